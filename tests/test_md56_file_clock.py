"""The per-step observables of a run_md file go with the analysed frames on the file's clock,
whatever times the Universe shows.

Before, an :class:`~mda_electrolyte.ion_collection.IonCollector` took the ``charge_current`` and
``pressure_tensor`` samples of the Universe's time span: a copy in memory of part of the file
(``transfer_to_memory(start=5, step=2)``, times restarting at 0 ps) got the samples of
0-0.056 ps for frames at 0.02-0.076 ps, and a transformation that halves ``ts.time`` the samples
of half the span, both without a word; a reader's ``time_offset`` lost them (a span outside
the file). Now a shifted clock is honoured (the frames are the file's by index), and a Universe
whose frames cannot be matched (another spacing, a partial copy) has its observables refused
with a warning naming the file's clock; its frames alone are analysed.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.md import run_md
from ase_electrolyte.topology import set_topology
from mda_electrolyte import from_ase
from mda_electrolyte.bridge import file_time_span
from mda_electrolyte.ion_collection import IonCollector
from mda_electrolyte.observables import read_observable

STEPS, EVERY = 60, 4   # 1 fs steps, frames every 4 steps (16 frames), observables every step
IONS = {"A": "resname A", "B": "resname B"}


@pytest.fixture(scope="module")
def md_file(tmp_path_factory):
    atoms = bulk("Cu", a=7.2, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=1)
    n = len(atoms)
    set_topology(atoms, np.arange(n), ["A", "B"] * (n // 2), [1, -1] * (n // 2))
    atoms.calc = EMT()
    path = tmp_path_factory.mktemp("clock") / "nvt.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(atoms, ensemble="nvt", steps=STEPS, timestep_fs=1.0, temperature_K=600,
               trajectory=path, write_interval=EVERY, progress=False)
    return path


def _shift(ts):
    ts.time = ts.time + 100.0
    return ts


def _halve(ts):
    ts.time = ts.time * 0.5
    return ts


def _to_fs(ts):
    ts.time = ts.time * 1000.0
    return ts


def _universe(path, how):
    u = from_ase(path)
    if how == "offset":
        u.load_new(str(path), time_offset=3.0)
    elif how == "shift":
        u.trajectory.add_transformations(_shift)
    elif how == "halve":
        u.trajectory.add_transformations(_halve)
    elif how == "fs":
        u.trajectory.add_transformations(_to_fs)
    elif how == "memory":
        u.transfer_to_memory()
    elif how == "memory part":
        u.transfer_to_memory(start=5, step=2)
    elif how == "memory tail":
        u.transfer_to_memory(start=3)
    return u


def _collect(u, **selection):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        col = IonCollector(u, IONS).run(**selection).collection
    return col, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("how", ["plain", "offset", "shift", "memory"])
@pytest.mark.parametrize("selection, first, last", [
    ({}, 0, 15), ({"start": 5}, 5, 15), ({"step": 3}, 0, 15),
])
def test_observables_of_the_analysed_frames_on_the_files_clock(md_file, how, selection,
                                                               first, last):
    u = _universe(md_file, how)
    try:
        col, said = _collect(u, **selection)
    finally:
        u.trajectory.close()
    assert not [s for s in said if "not used" in s]
    # the file's samples of the frames' own steps, first to last
    lo, hi = first * EVERY, last * EVERY
    want = read_observable(md_file, "charge_current")["value"][lo : hi + 1]
    got = col.charge_current_observable
    assert got is not None and got.n_frames == hi - lo + 1
    pressure = read_observable(md_file, "pressure_tensor")["value"][lo : hi + 1]
    np.testing.assert_array_equal(col.pressure_tensor_observable.pressure_tensor, pressure)
    assert np.abs(want).sum() > 0


@pytest.mark.parametrize("how, why", [
    ("halve", "not spaced as the file's"), ("fs", "not spaced as the file's"),
    ("memory part", "cannot be\\s+matched"), ("memory tail", "cannot be\\s+matched"),
])
def test_frames_off_the_files_clock_have_their_observables_refused(md_file, how, why):
    u = _universe(md_file, how)
    try:
        col, said = _collect(u)
        times = np.array([ts.time for ts in u.trajectory])
    finally:
        u.trajectory.close()
    assert col.charge_current_observable is None
    assert col.pressure_tensor_observable is None
    refused = [s for s in said if "per-step observables of the file are not used" in s]
    assert len(refused) == 1
    import re

    assert re.search(why, refused[0])
    # the frames themselves are analysed on the Universe's clock, as MDAnalysis gives it
    assert col.dt == pytest.approx(times[1] - times[0], rel=1e-9)


@pytest.mark.parametrize("offset", [0.0, 0.25, -0.01, 1e4])
@pytest.mark.parametrize("frames", [[0, 1, 2], [3, 7, 11], [15]])
def test_file_time_span_maps_a_shifted_clock_by_frame(md_file, offset, frames):
    u = from_ase(md_file)
    try:
        stored = np.array([ts.time for ts in u.trajectory])
        frames = np.array(frames)
        span = file_time_span(u, frames, stored[frames] + offset)
    finally:
        u.trajectory.close()
    assert span == pytest.approx((stored[frames[0]], stored[frames[-1]]), abs=1e-12)
    assert span[0] == pytest.approx(frames[0] * EVERY * 1e-3, abs=1e-12)


@pytest.mark.parametrize("factor", [0.5, 2.0, 1000.0, 1.001])
def test_file_time_span_refuses_another_spacing(md_file, factor):
    u = from_ase(md_file)
    try:
        stored = np.array([ts.time for ts in u.trajectory])
        with pytest.raises(ValueError, match="not spaced as the file's.*0-0.06 ps in the file"):
            file_time_span(u, np.arange(stored.size), stored * factor)
    finally:
        u.trajectory.close()


def test_file_time_span_of_a_universe_without_a_file(md_file):
    u = from_ase(md_file)
    try:
        u.transfer_to_memory()
        u.trajectory.filename = None
        assert file_time_span(u, [0, 1], [0.0, 0.004]) is None
    finally:
        u.trajectory.close()
