"""A frame selection (``run(start=, stop=, step=)``) applies to the per-step observables of a
run_md file too: Green–Kubo and the viscosity integrate the samples of the analysed frames'
time span, not the whole file.

Before, ``GreenKuboConductivity(path).run(start=10)`` gave the very σ of ``run()`` (the
equilibration it was asked to leave out was integrated), and an
:class:`~mda_electrolyte.ion_collection.IonCollector` run with ``start=`` attached the whole
file's ``charge_current`` and ``pressure_tensor`` series to its collection.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.md import run_md
from ase_electrolyte.topology import set_topology
from mda_electrolyte import GreenKuboConductivity, GreenKuboViscosity, from_ase
from mda_electrolyte.conductivity import read_charge_current
from mda_electrolyte.ion_collection import IonCollection, IonCollector
from mda_electrolyte.observables import read_observable
from mda_electrolyte.viscosity import read_pressure_tensor

STEPS, EVERY = 80, 4   # MD steps of 1 fs, frames every 4 steps: observables every step
KW = dict(ions=None, temperature=600.0, check_sampling=False, n_blocks=2)


@pytest.fixture(scope="module")
def md_file(tmp_path_factory):
    # ions 5 Å apart: single-atom residues that no bond guess joins
    atoms = bulk("Cu", a=7.2, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=1)
    n = len(atoms)
    set_topology(atoms, np.arange(n), ["A", "B"] * (n // 2), [1, -1] * (n // 2))
    atoms.calc = EMT()
    path = tmp_path_factory.mktemp("selection") / "nvt.h5md"
    run_md(atoms, ensemble="nvt", steps=STEPS, timestep_fs=1.0, temperature_K=600,
           trajectory=path, write_interval=EVERY, progress=False)
    return path


def _sigma_of_samples(path, lo, hi):
    """Green–Kubo of the observable samples lo..hi (inclusive), built by hand."""
    rec = read_observable(path, "charge_current")
    names = read_charge_current(path)["species"]
    charges = {"A": {"charge": 1.0, "source": "formal"},
               "B": {"charge": -1.0, "source": "formal"}}
    vol = read_observable(path, "volume")["value"][lo : hi + 1]
    col = IonCollection.from_charge_current(rec["value"][lo : hi + 1], names, dt=rec["dt"],
                                            volume=float(np.mean(vol)), charges=charges)
    return GreenKuboConductivity.from_collections(
        col, temperature=600.0, check_sampling=False, n_blocks=2).results.conductivity


@pytest.mark.parametrize("selection, first, last", [
    ({}, 0, 20), ({"start": 10}, 10, 20), ({"stop": 11}, 0, 10), ({"start": 5, "stop": 16}, 5, 15),
    ({"step": 2}, 0, 20), ({"frames": list(range(4, 21, 2))}, 4, 20),
])
def test_green_kubo_of_a_file_integrates_the_selected_span(md_file, selection, first, last):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = GreenKuboConductivity(str(md_file), **KW).run(**selection).results.conductivity
        want = _sigma_of_samples(md_file, first * EVERY, last * EVERY)
    assert got.value == pytest.approx(want.value, rel=1e-12)
    assert got.stderr == pytest.approx(want.stderr, rel=1e-12)


def test_unusable_selections_of_a_file_are_refused(md_file):
    gk = GreenKuboConductivity(str(md_file), **KW)
    with pytest.raises(ValueError, match="unevenly spaced frames.*start= and stop="):
        gk.run(frames=[0, 1, 5, 6, 12])
    with pytest.raises(ValueError, match="fewer than 2 frames"):
        gk.run(start=20)


def test_a_collector_run_with_a_selection_keeps_only_its_span(md_file):
    u = from_ase(md_file)
    try:
        col = IonCollector(u, {"A": "resname A", "B": "resname B"}).run(start=10).collection
    finally:
        u.trajectory.close()
    n = (20 - 10) * EVERY + 1
    assert col.n_frames == 11
    assert col.charge_current_observable.n_frames == n
    assert col.pressure_tensor_observable.pressure_tensor.shape == (n, 3, 3)
    full = read_pressure_tensor(md_file)["tensor"]
    np.testing.assert_array_equal(col.pressure_tensor_observable.pressure_tensor,
                                  full[10 * EVERY :])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eta = GreenKuboViscosity.from_collections(col, check_sampling=False, n_blocks=2)
        direct = GreenKuboViscosity(full[10 * EVERY :], temperature=eta.results.temperature,
                                    volume=eta.results.volume, dt=0.001, check_sampling=False,
                                    n_blocks=2).run()
    assert eta.results.viscosity == pytest.approx(direct.results.viscosity, rel=1e-12)


def test_a_window_the_observable_does_not_cover_is_refused(md_file):
    with pytest.raises(ValueError, match="span 0.05-0.2 ps.*only 0-0.08 ps"):
        read_observable(md_file, "charge_current", window=(0.05, 0.2))
    rec = read_observable(md_file, "charge_current", window=(0.02, 0.04))
    np.testing.assert_allclose(rec["time"], np.arange(20, 41) * 0.001, atol=1e-12)
