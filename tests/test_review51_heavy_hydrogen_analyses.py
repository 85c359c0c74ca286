"""The analyses' kinetic temperatures of a heavy-hydrogen run are the temperature it ran at.

A run with 3 amu hydrogens (Ju et al. 2025) or deuterium stores the physical masses as the
particles' masses, and its velocities are those of the heavy atoms. The analyses weighed the
velocities by the Universe's (physical) masses: methane run at ~300 K read ~140 K in
``kinetic_temperature``, in an IonCollector's per-frame temperature and in the count of
degrees of freedom; every transport coefficient divided by k_B T of it was twice too large.
Now they weigh by :func:`mda_electrolyte.bridge.kinetic_masses`.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from ase.data import atomic_masses
from test_io53_heavy_hydrogen_velocities import _methane_box

from ase_electrolyte.trajectory import H5MDWriter, h5md_series
from mda_electrolyte.bridge import from_ase
from mda_electrolyte.conductivity import kinetic_temperature
from mda_electrolyte.ion_collection import IonCollector


@pytest.fixture(scope="module", params=[3.0, 2.014, None], ids=["H3", "D", "physical"])
def heavy_run(request, tmp_path_factory):
    """An H5MD file of 6 frames of methane whose hydrogens weigh ``hydrogen`` amu (None: the
    physical mass), the physical masses stored as the particles'; its recorded temperatures."""
    hydrogen = request.param
    path = tmp_path_factory.mktemp("heavy") / "run.h5md"
    atoms = _methane_box(hydrogen or atomic_masses[1], seed=51)
    physical = np.array([atomic_masses[z] for z in atoms.numbers])
    run_info = {"hydrogen_mass": hydrogen} if hydrogen else None
    with H5MDWriter(path, atoms, masses=physical if hydrogen else None, forces=False,
                    run_info=run_info) as w:
        for step in range(6):
            frame = _methane_box(hydrogen or atomic_masses[1], seed=step)
            w.write(frame, step=step, time=0.01 * step)
    return path, h5md_series(path, "temperature")[2]


def _universe(path, how):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_ase(path) if how == "from_ase" else mda.Universe(str(path), format="H5MD")


@pytest.mark.parametrize("how", ["from_ase", "MDAnalysis"])
def test_kinetic_temperature_is_the_recorded_one(heavy_run, how):
    path, recorded = heavy_run
    u = _universe(path, how)
    # MDAnalysis' minimal H5MD topology has no masses: the file's are read
    est = kinetic_temperature(u)
    # the mean of the frames' exact temperatures, to the float32 rounding of the velocities
    assert est.value == pytest.approx(np.mean(recorded), rel=1e-5)


def test_an_ion_collection_records_the_recorded_temperature_per_frame(heavy_run):
    path, recorded = heavy_run
    u = _universe(path, "from_ase")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        col = IonCollector(u, {"CH4": "all"}, positions=False).run().collection
    # every frame's temperature, and their mean
    assert col.temperature_series == pytest.approx(recorded, rel=1e-5)
    assert col.kinetic_temperature == pytest.approx(np.mean(recorded), rel=1e-5)
