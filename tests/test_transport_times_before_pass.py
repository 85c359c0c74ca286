"""Analysed frames not equally spaced in time are refused before the transport pass.

Before, a frame missing from a trajectory (a restart, a writer that dropped one) or times that
go back were refused only after every frame was read (``check_time_spacing`` in the
collector's conclusion). Now the frames' times are judged first: every selected frame's where
the reader keeps its times apart from the coordinates (in memory, H5MD: the refusal after the
pass, word for word, and no frame read), all of a selection of at most 32, else (from 128 frames
on) 32 frames spread over it, whose time differences must be the median spacing times the
frames between them. A damaged
last frame (NaN velocities) shows the order: the pass would stop on it with its own message.
Evenly spaced times, in single precision far from zero too, are never refused by the sample.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import Diffusion, GreenKuboConductivity
from mda_electrolyte.ion_collection import VOLUME_PROBE_FRAMES, IonCollector

DT, N_FRAMES, T = 0.01, 600, 300.0
UNEVEN = "not equally spaced in time"


def _salt(n_frames=N_FRAMES, nan_last=False, seed=0):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (8, 3), 0.05, DT, 2.0)
    x = integrate(v, DT, start=rng.uniform(5, 15, (8, 3)))
    if nan_last:
        v[-1, 0] = np.nan
        x[-1, 0] = np.nan
    return salt_universe(v, x, n_cations=4, dt=DT, box=40.0)


def _write(u, path, times, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mda.Writer(str(path), n_atoms=u.atoms.n_atoms, **kwargs) as writer:
            for k, t in enumerate(times):
                u.trajectory[k]
                u.trajectory.ts.time = t
                writer.write(u.atoms)
    u.trajectory[0]
    v = mda.Universe(u._topology, str(path))
    return v


class _Reads:
    def __init__(self, monkeypatch, cls):
        self.frames = []
        original = cls._read_frame

        def counted(reader, frame):
            self.frames.append(frame)
            return original(reader, frame)

        monkeypatch.setattr(cls, "_read_frame", counted)


def _missing(at=370):
    """Times of N_FRAMES frames with the frame before ``at`` missing (one step of 2 dt)."""
    return DT * (np.arange(N_FRAMES) + (np.arange(N_FRAMES) >= at))


def test_a_missing_frame_in_a_trr_is_refused_before_the_damaged_last_frame(tmp_path,
                                                                            monkeypatch):
    u = _write(_salt(nan_last=True), tmp_path / "gap.trr", _missing())
    reads = _Reads(monkeypatch, type(u.trajectory))
    with pytest.raises(ValueError, match=UNEVEN + r": frames \d+ and \d+ .* spread over the "):
        GreenKuboConductivity(u, IONS, T, max_lag=0.1).run()
    # the sample and the return to the caller's frame, not the 600 frames
    assert len(reads.frames) <= VOLUME_PROBE_FRAMES + 4
    monkeypatch.undo()
    # the frames before the gap are analysed up to it; the pass stops on the damaged frame
    monkeypatch.setattr(IonCollector, "_judge_times", lambda *args, **kwargs: None)
    with pytest.raises(ValueError, match=f"frame {N_FRAMES - 1} has non-finite velocities"):
        GreenKuboConductivity(u, IONS, T, max_lag=0.1).run()


def test_the_gap_is_located_between_the_frames_read_around_it(tmp_path):
    u = _write(_salt(), tmp_path / "gap.trr", _missing(at=370))
    collector = IonCollector(u, IONS)
    with pytest.raises(ValueError, match=UNEVEN) as caught:
        collector.check_frame_times()
    import re

    first, second = (int(w) for w in re.search(r"frames (\d+) and (\d+)",
                                               str(caught.value)).groups())
    assert first < 370 <= second and second - first < N_FRAMES / (VOLUME_PROBE_FRAMES - 2)
    # the evenly spaced frames before it pass, and are analysed
    collector.check_frame_times(stop=369)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isfinite(GreenKuboConductivity(u, IONS, T, max_lag=0.1)
                           .run(stop=369).results.sigma)


def test_times_that_go_back_are_refused_before_the_pass(tmp_path):
    times = DT * np.arange(N_FRAMES)
    times[300:] -= 50 * DT  # a restart written with an overlapping time
    u = _write(_salt(), tmp_path / "back.trr", times)
    with pytest.raises(ValueError, match=UNEVEN):
        IonCollector(u, IONS).check_frame_times()


def test_an_h5md_gap_is_refused_as_after_the_pass_without_reading_a_frame(tmp_path,
                                                                          monkeypatch):
    u = _write(_salt(), tmp_path / "gap.h5md", _missing(at=370), lengthunit="Angstrom",
               timeunit="ps", velocityunit="Angstrom/ps")
    reads = _Reads(monkeypatch, type(u.trajectory))
    with pytest.raises(ValueError, match=UNEVEN + r" .*the first uneven step is into frame "
                                                  r"370, from 3.69 to 3.71 ps"):
        IonCollector(u, IONS).check_frame_times()
    assert reads.frames == []


@pytest.mark.parametrize("offset", [0.0, 1234.5, 2.0e5])
def test_evenly_spaced_single_precision_times_are_never_refused(tmp_path, offset):
    u = _write(_salt(), tmp_path / "even.trr", offset + DT * np.arange(N_FRAMES))
    collector = IonCollector(u, IONS)
    collector.check_frame_times()
    for step in (1, 3, 7):
        collector.check_frame_times(step=step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(u, IONS).run(step=3).results.D
    assert all(np.isfinite(list(d.values())))


def test_a_memory_selection_with_frames_is_judged_on_the_selected_frames():
    u = _salt()
    u.load_new(u.trajectory.coordinate_array, format=MemoryReader, dt=DT,
               dimensions=[40.0, 40.0, 40.0, 90.0, 90.0, 90.0],
               velocities=u.trajectory.velocity_array)
    collector = IonCollector(u, IONS)
    collector.check_frame_times(frames=np.arange(0, N_FRAMES, 5))
    with pytest.raises(ValueError, match=UNEVEN + r" .*the first uneven step is into frame 17"):
        collector.check_frame_times(frames=[0, 5, 10, 15, 17, 22, 27])
