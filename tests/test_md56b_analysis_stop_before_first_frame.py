"""FrameAnalysis takes ``stop`` by Python's slice, also below ``-n_frames``.

MDAnalysis' ``check_slice_indices`` adds ``n_frames`` once: ``run(stop=-20)`` on 13 frames
analysed frames 0-5 (Python's ``frames[:-20]`` is empty), and backwards ``stop=-20, step=-1``
stopped at frame 7 instead of frame 0. Now a forward stop before the first frame selects no
frame (refused as too few, before any is read) and a backward one is refused with the
``frames=range(...)`` cure; every other ``stop`` selects Python's frames.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.analysis.results import ResultsGroup

from mda_electrolyte.analysis_base import FrameAnalysis

N_FRAMES = 13


class _Seen(FrameAnalysis):
    """The frames analysed, in order."""

    _analysis_algorithm_is_parallelizable = True

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing")

    def _get_aggregator(self):
        return ResultsGroup(lookup={"frames_seen": ResultsGroup.ndarray_hstack})

    def _prepare(self):
        self.results.frames_seen = []

    def _single_frame(self):
        self.results.frames_seen.append(self._ts.frame)

    def _conclude(self):
        self.results.frames_seen = np.asarray(self.results.frames_seen, dtype=int)


@pytest.fixture(scope="module")
def universe():
    u = mda.Universe.empty(2, trajectory=True)
    coords = np.random.default_rng(0).uniform(0, 10, (N_FRAMES, 2, 3)).astype(np.float32)
    u.load_new(coords, order="fac")
    return u


@pytest.mark.parametrize("stop", [-N_FRAMES - 1, -20, -2 * N_FRAMES, -2 * N_FRAMES - 5])
def test_a_forward_stop_before_the_first_frame_selects_none(universe, stop):
    assert list(range(N_FRAMES))[:stop] == []
    with pytest.raises(ValueError, match=rf"stop={stop}.*gives 0 of the trajectory's "
                                         rf"{N_FRAMES} frames"):
        _Seen(universe.trajectory).run(stop=stop)


@pytest.mark.parametrize("stop", [-N_FRAMES - 1, -20])
def test_a_backward_stop_before_the_first_frame_is_refused(universe, stop):
    with pytest.raises(ValueError, match=rf"stop={stop} lies before the trajectory's first "
                                         r"frame.*frames=range\(start, -1, step\)"):
        _Seen(universe.trajectory).run(stop=stop, step=-1)


@pytest.mark.parametrize("start, stop, step", [
    (None, -N_FRAMES, None), (None, -N_FRAMES + 1, None), (None, -3, None), (-20, None, None),
    (None, 20, None), (2, -4, 3), (None, -3, -1), (10, -N_FRAMES, -2), (None, None, None),
])
@pytest.mark.parametrize("backend", ["serial", "multiprocessing"])
def test_other_stops_select_pythons_frames(universe, start, stop, step, backend):
    expected = list(range(N_FRAMES))[start:stop:step]
    kwargs = dict(backend=backend, n_workers=2) if backend != "serial" else {}
    if not expected:
        with pytest.raises(ValueError, match="gives 0 of"):
            _Seen(universe.trajectory).run(start=start, stop=stop, step=step, **kwargs)
        return
    seen = _Seen(universe.trajectory).run(start=start, stop=stop, step=step, **kwargs)
    assert sorted(seen.results.frames_seen.tolist()) == sorted(expected)
