"""IonCollection species names and float32 spacings; bond_indices of a non-Universe.

``IonCollection.from_arrays({"": 1, ...})`` kept an empty species name ('' and '  ' alike),
``'Li '`` differed from the ``'Li'`` of a charges dict and ``None`` became the name 'None';
``dt=np.float32(0.01)`` was kept as 0.009999999776 ps (frame times off the 0.01 ps grid);
``shell_cutoffs.bond_indices(None)`` (or an AtomGroup) returned ``[]``, "no bonds".
"""

import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte.ion_collection import IonCollection
from mda_electrolyte.shell_cutoffs import bond_indices

V = np.random.default_rng(0).normal(size=(6, 2, 3))


@pytest.mark.parametrize("bad, error, fragment", [
    ("", ValueError, "empty or blank"),
    ("   ", ValueError, "empty or blank"),
    ("\t\n", ValueError, "empty or blank"),
    ("Li ", ValueError, "leading or trailing whitespace"),
    (" PF6", ValueError, "leading or trailing whitespace"),
    (None, TypeError, "must be strings"),
    (1, TypeError, "must be strings"),
    (b"Li", TypeError, "must be strings"),
])
@pytest.mark.parametrize("build", ["from_arrays", "init", "from_charge_current"])
def test_bad_species_names_are_refused(bad, error, fragment, build):
    with pytest.raises(error, match=fragment):
        if build == "from_arrays":
            IonCollection.from_arrays({bad: 1, "B": 1}, dt=0.01, velocities=V)
        elif build == "init":
            IonCollection([bad, "B"], [1, 1], 0.01, velocity_sum=V)
        else:
            IonCollection.from_charge_current(V, [bad, "B"], dt=0.01, volume=1000.0)


def test_numpy_string_names_are_kept():
    c = IonCollection.from_arrays({np.str_("Li"): 1, "PF6": 1}, dt=0.01, velocities=V)
    assert c.species == ["Li", "PF6"] and all(type(s) is str for s in c.species)


@pytest.mark.parametrize("dt", [
    np.float32(0.01), np.float16(0.01), np.array(0.01, dtype=np.float32),
    np.float32(0.002), np.float32(0.1),
])
@pytest.mark.parametrize("build", ["from_arrays", "from_charge_current"])
def test_low_precision_spacing_is_its_decimal(dt, build):
    if build == "from_arrays":
        c = IonCollection.from_arrays({"A": 1, "B": 1}, dt=dt, velocities=V)
    else:
        c = IonCollection.from_charge_current(V, ["A", "B"], dt=dt, volume=1000.0)
    assert type(c.dt) is float
    assert c.dt == float(str(np.asarray(dt)[()]))
    # frame k at k·dt lies on the decimal grid
    assert 5 * c.dt == pytest.approx(5 * float(str(np.asarray(dt)[()])), rel=1e-15)


@pytest.mark.parametrize("dt", [np.float64(0.009999999776482582), 0.009999999776482582, 1])
def test_float64_spacing_is_kept_exactly(dt):
    c = IonCollection.from_arrays({"A": 1, "B": 1}, dt=dt, velocities=V)
    assert c.dt == float(dt)


@pytest.mark.parametrize("dt", [np.float32(np.nan), np.float32(-0.01), np.float32(np.inf)])
def test_bad_low_precision_spacing_still_refused(dt):
    with pytest.raises(ValueError, match="dt"):
        IonCollection.from_arrays({"A": 1, "B": 1}, dt=dt, velocities=V)


def _universe():
    u = mda.Universe.empty(3, trajectory=True)
    u.add_TopologyAttr("bonds", [(0, 1)])
    return u


@pytest.mark.parametrize("bad, fragment", [
    (None, "not NoneType"), ("u", "not str"), ([], "not list"), (object(), "not object"),
])
def test_bond_indices_of_no_universe(bad, fragment):
    with pytest.raises(TypeError, match=fragment):
        bond_indices(bad)


def test_bond_indices_of_atomgroup_says_universe():
    u = _universe()
    with pytest.raises(TypeError, match=r"give its \.universe"):
        bond_indices(u.atoms)
    assert bond_indices(u).tolist() == [[0, 1]]
    assert bond_indices(mda.Universe.empty(2, trajectory=True)).shape == (0, 2)


@pytest.mark.parametrize("bad, error", [
    ("", ValueError), ("  ", ValueError), ("Li ", ValueError), (1, TypeError), (None, TypeError),
])
def test_ion_collector_refuses_bad_names_before_the_pass(bad, error, monkeypatch):
    from transport_data import salt_universe

    from mda_electrolyte.ion_collection import IonCollector

    rng = np.random.default_rng(3)
    u = salt_universe(rng.normal(size=(5, 4, 3)), n_cations=2, dt=0.01)
    with pytest.raises(error, match="species name"):
        IonCollector(u, {bad: "name Li", "AN": "resname AN"})
