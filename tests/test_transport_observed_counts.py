"""Species currents (run_md's ``charge_current`` observable, ``IonCollection.from_charge_current``)
carry the ion counts of the topology.

Before, a species-current collection held one stand-in ion per species: the net-charge check
of Green–Kubo weighed a 2:1 salt's Mg²⁺ and PF₆⁻ as +2 - 1 = +1 e and refused it (after the
whole pass, for a Universe of run_md's H5MD file), and a few-ion count could not be judged.
"""

import gc
import warnings

import numpy as np
import pytest
from transport_data import integrate, lj_salt, ornstein_uhlenbeck

from ase_electrolyte.md import run_md
from ase_electrolyte.topology import set_topology
from mda_electrolyte import GreenKuboConductivity, from_ase
from mda_electrolyte.ion_collection import IonCollection, IonCollector

DT, TAU, S, VOLUME, T = 0.005, 0.05, 1.0, 30.0**3, 300.0
CHARGES = {"Mg": 2.0, "PF6": -1.0}


def _per_ion(n_mg, seed=0):
    rng = np.random.default_rng(seed)
    n = 3 * n_mg
    v = ornstein_uhlenbeck(rng, 6000, (n, 3), TAU, DT, S)
    return IonCollection.from_arrays({"Mg": n_mg, "PF6": 2 * n_mg}, dt=DT, velocities=v,
                                     positions=integrate(v, DT), charges=CHARGES,
                                     volume=VOLUME)


def _species_current(col, n_ions="counts"):
    """The per-species currents of ``col`` as a species-current collection."""
    q = np.concatenate(col.charges)
    sl = col.species_slices()
    qv = col.ion_velocities * q[None, :, None]
    current = np.stack([qv[:, sl[s]].sum(axis=1) for s in col.species], axis=1)
    record = {s: {"charge": CHARGES[s], "source": "formal"} for s in col.species}
    counts = (None if n_ions is None else
              dict(zip(col.species, map(int, col.n_ions), strict=True)) if n_ions == "counts"
              else n_ions)
    return IonCollection.from_charge_current(current, col.species, dt=col.dt, volume=VOLUME,
                                             charges=record, n_ions=counts)


KW = dict(temperature=T, max_lag=10 * TAU)


@pytest.mark.parametrize("n_ions", ["counts", None])
def test_species_currents_of_a_2_1_salt_give_the_per_ion_sigma(n_ions):
    col = _per_ion(8)
    observed = _species_current(col, n_ions)
    assert observed.ion_counts_known == (n_ions is not None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = GreenKuboConductivity.from_collections(col, **KW).results
        got = GreenKuboConductivity.from_collections(observed, **KW).results
    assert got.sigma == pytest.approx(ref.sigma, rel=1e-9)
    assert got.conductivity.valid == ref.conductivity.valid
    if n_ions is not None:
        np.testing.assert_array_equal(observed.n_ions, [8, 16])
        # the net charge of the counted ions is zero: the check still runs, and passes
        assert sum(float(np.sum(q)) for q in observed.charges) == 0.0


def test_species_currents_of_few_counted_ions_are_marked():
    col = _per_ion(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        counted = GreenKuboConductivity.from_collections(_species_current(col), **KW).results
        uncounted = GreenKuboConductivity.from_collections(_species_current(col, None),
                                                           **KW).results
    assert not counted.conductivity.valid
    assert "too few ions: 1 Mg, 2 PF6 (" in counted.conductivity.verdict
    # without counts there is no count to judge
    assert "too few" not in uncounted.conductivity.verdict


@pytest.mark.parametrize("n_ions, message", [
    ({"Mg": 8}, "n_ions lacks species"),
    ({"Mg": 0, "PF6": 16}, "n_ions"),
    ({"Mg": 8.5, "PF6": 16}, "n_ions"),
])
def test_bad_counts_are_refused_by_name(n_ions, message):
    with pytest.raises(ValueError, match=message):
        _species_current(_per_ion(8), n_ions)


def _salt_2_1():
    """The 32-site Lennard-Jones salt relabelled: 8 "M" (Mg, +2), 16 "B" (F, -1) and 8 neutral
    "N" (Ar)."""
    atoms = lj_salt()
    atoms.set_chemical_symbols(["Mg", "F", "F", "Ar"] * 8)
    names = np.array(["M", "B", "B", "N"] * 8)
    charges = np.array([2, -1, -1, 0] * 8)
    set_topology(atoms, np.arange(32), names, charges)
    return atoms


def test_green_kubo_of_a_2_1_salt_reads_its_observable(tmp_path):
    path = tmp_path / "nvt.h5md"
    run_md(_salt_2_1(), ensemble="nvt", steps=60, timestep_fs=2.0, temperature_K=600,
           trajectory=path, write_interval=1, progress=False)
    kw = dict(temperature=600, max_lag=0.02, n_blocks=2, plateau=(0.01, 0.02))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gk = GreenKuboConductivity(path, None, **kw).run()
        obs = gk.results
        del gk
        gc.collect()
        frames = GreenKuboConductivity(path, None, observables=False, **kw).run().results
    assert obs.source == "charge_current observable" and frames.source == "frames"
    assert obs.sigma == pytest.approx(frames.sigma, rel=1e-5)
    assert obs.charges["M"]["charge"] == 2.0 and obs.charges["B"]["charge"] == -1.0
    # the collection of one pass carries the observable with the topology's counts
    u = from_ase(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        col = IonCollector(u, {"M": "resname M", "B": "resname B"}).run().collection
    observed = col.charge_current_observable
    assert observed.ion_counts_known
    np.testing.assert_array_equal(observed.n_ions, [8, 16])
    u.trajectory.close()
