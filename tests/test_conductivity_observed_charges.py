"""The H5MD ``charge_current`` observable at the charges the analysis uses.

``run_md`` records each species' current with the file's formal charges. Given other charges
(``charges={"LI": 0.8, "F": -0.8}``, a force field's scaled ones), Green–Kubo used the recorded
current as it was: σ kept the formal charges (1243 S/m against 795.5 from the frames, a factor
1/0.64) while ``results.charges`` said 0.8 "given". The current is now scaled by the ratio, and
a selection that is not the file's whole species is refused (the recorded current is that of
all its ions) or, read through a collector, falls back to the frames.
"""

import warnings

import numpy as np
import pytest

from mda_electrolyte import GreenKuboConductivity, from_ase
from mda_electrolyte.conductivity import read_charge_current
from mda_electrolyte.ion_collection import IonCollector

KW = dict(temperature=300.0, n_blocks=2, check_sampling=False, max_lag=0.1)


@pytest.fixture(scope="module")
def md_file(tmp_path_factory):
    """300 NVT steps of 26 Lennard-Jones ions (13 LI of +1, 13 F of -1), every step observed."""
    from ase import Atoms
    from ase.calculators.lj import LennardJones

    from ase_electrolyte.md import run_md
    from ase_electrolyte.topology import set_topology

    grid = np.arange(3) * 4.0
    pos = np.array([[x, y, z] for x in grid for y in grid for z in grid])[:26]
    atoms = Atoms(["Li", "F"] * 13, positions=pos, cell=[12, 12, 12], pbc=True)
    atoms.rattle(0.05, seed=1)
    set_topology(atoms, np.arange(26), ["LI", "F"] * 13, [1, -1] * 13)
    atoms.calc = LennardJones(sigma=3.0, epsilon=0.01, rc=5.9)
    path = tmp_path_factory.mktemp("observed") / "nvt.h5md"
    run_md(atoms, ensemble="nvt", steps=300, timestep_fs=2.0, temperature_K=300,
           trajectory=path, write_interval=1, progress=False)
    return path


def _gk(source, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return GreenKuboConductivity(source, **{**KW, **kwargs}).run().results


def test_the_file_records_the_formal_charge_of_every_ion(md_file):
    obs = read_charge_current(md_file)
    assert obs["species"] == ["LI", "F"]
    assert np.array_equal(obs["ion_charges"]["LI"], np.ones(13))
    assert np.array_equal(obs["ion_charges"]["F"], -np.ones(13))


@pytest.mark.parametrize("q", [0.8, 1.0, 2.0])
def test_given_charges_scale_the_observable_as_they_scale_the_frames(md_file, q):
    charges = {"LI": q, "F": -q}
    observed = _gk(md_file, ions=["LI", "F"], charges=charges)
    frames = _gk(md_file, ions=["LI", "F"], charges=charges, observables=False)
    assert observed.source == "charge_current observable" and frames.source == "frames"
    # every step observed and every step a frame: the same currents, to round-off
    assert observed.sigma == pytest.approx(frames.sigma, rel=1e-6)
    assert observed.charges["LI"] == {"charge": pytest.approx(q), "source": "given"}
    formal = _gk(md_file, ions=["LI", "F"])
    assert observed.sigma == pytest.approx(formal.sigma * q**2, rel=1e-9)


def test_the_collector_path_scales_it_too(md_file):
    u = from_ase(md_file)
    ions = {"LI": "resname LI", "F": "resname F"}
    col = IonCollector(u, ions, charges={"LI": 0.8, "F": -0.8}).run().collection
    assert col.charge_current_observable is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        observed = GreenKuboConductivity.from_collections(col, **KW).results
        frames = GreenKuboConductivity.from_collections(col, observables=False, **KW).results
    assert observed.source == "charge_current observable"
    assert observed.sigma == pytest.approx(frames.sigma, rel=1e-6)


def test_part_of_a_species_is_not_given_the_whole_species_current(md_file):
    u = from_ase(md_file)
    part = {"LI": "resname LI and index 0:11", "F": "resname F and index 0:11"}
    # through a collector: the observable is left out with a warning, the frames are used
    with pytest.warns(RuntimeWarning, match="selects 6 ions, the file's charge_current "
                      "records all 13"):
        col = IonCollector(u, part).run().collection
    assert col.charge_current_observable is None
    # given as the observable files of Universes: refused before the pass
    with pytest.raises(ValueError, match="selects 6 ions.*observables=False"):
        GreenKuboConductivity(u, part, observables=[md_file], **KW)
