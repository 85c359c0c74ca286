"""Frames clearly too far apart to unwrap are refused before the pass.

Before, ``unwrap=True`` on frames written a box of motion apart read every frame and then
refused (more than 0.5 % of the steps beyond 0.45 of a box vector). Now 32 pairs of consecutive
analysed frames spread over the selection are judged first; the selection is refused when their
share of far steps exceeds 0.5 % by four standard errors of the pairs. A damaged last frame (NaN
positions) shows the order: the pass would stop on it with its own message. Near the threshold
the sample never refuses what the pass accepts (checked over steps and seeds); the pass still
judges every step.
"""

import warnings

import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import IONS, salt_universe

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, OnsagerCoefficients
from mda_electrolyte.carriers import MAX_FAR_STEPS
from mda_electrolyte.ion_collection import UNWRAP_PROBE_PAIRS, IonCollector

BOX, DT, N_FRAMES, T = 20.0, 0.01, 2000, 300.0
FAR = r"% of the atoms' steps between \d+ pairs of consecutive analysed frames .* more than 0.45"


def _universe(step, seed=1, nan_last=False, n_frames=N_FRAMES):
    rng = np.random.default_rng(seed)
    x = (np.cumsum(step * rng.standard_normal((n_frames, 16, 3)), axis=0) + 10.0) % BOX
    if nan_last:
        x[-1, 0] = np.nan
    return salt_universe(np.zeros_like(x), x, n_cations=8, dt=DT, box=BOX)


ANALYSES = {
    "Diffusion": lambda u: Diffusion(u, IONS, unwrap=True),
    "EinsteinHelfandConductivity": lambda u: EinsteinHelfandConductivity(u, IONS, T,
                                                                          unwrap=True),
    "OnsagerCoefficients": lambda u: OnsagerCoefficients(u, IONS, T, unwrap=True),
}


@pytest.mark.parametrize("name", ANALYSES)
def test_frames_a_box_apart_are_refused_before_the_damaged_last_frame(name, monkeypatch):
    u = _universe(20.0, nan_last=True)
    u.trajectory[5]
    reads = []
    original = MemoryReader._read_frame

    def counted(reader, frame):
        reads.append(frame)
        return original(reader, frame)

    monkeypatch.setattr(MemoryReader, "_read_frame", counted)
    with pytest.raises(ValueError, match=FAR):
        ANALYSES[name](u).run()
    # the pairs and the return to the caller's frame, not the trajectory
    assert len(reads) <= 2 * UNWRAP_PROBE_PAIRS + 4
    assert u.trajectory.ts.frame == 5
    monkeypatch.undo()
    # without the check before it, the pass reads up to the damaged frame and stops there
    monkeypatch.setattr(IonCollector, "check_unwrap_spacing", lambda *args, **kwargs: None)
    with pytest.raises(ValueError, match=f"frame {N_FRAMES - 1} has non-finite positions"):
        ANALYSES[name](u).run()


def test_a_step_selection_is_judged_on_its_own_consecutive_frames():
    # steps of 1 Å per frame pass; every 40th frame is about a box of motion apart
    u = _universe(1.0, n_frames=6000)
    IonCollector(u, IONS, unwrap=True).check_unwrap_spacing()
    with pytest.raises(ValueError, match=FAR + r".*frames 0.4 ps apart"):
        IonCollector(u, IONS, unwrap=True).check_unwrap_spacing(step=40)
    # a selection too short for the sample is left to the pass, which refuses it
    collector = IonCollector(u, IONS, unwrap=True)
    collector.check_unwrap_spacing(step=40, stop=40 * 4 * UNWRAP_PROBE_PAIRS - 40)
    with pytest.raises(ValueError, match="between analysed frames reach more than 0.45"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Diffusion(u, IONS, unwrap=True).run(step=40, stop=40 * 4 * UNWRAP_PROBE_PAIRS - 40)


def test_the_sample_never_refuses_what_the_pass_accepts():
    """Gaussian steps around the threshold (0.5 % beyond 0.45 box near sigma = 0.16 box): over
    steps and seeds, a refusal before the pass only where the pass refuses too."""
    before = after = 0
    for step in (2.6, 2.9, 3.2, 3.5, 3.8):
        for seed in range(4):
            u = _universe(step, seed=seed)
            try:
                IonCollector(u, IONS, unwrap=True).check_unwrap_spacing()
                refused_before = False
            except ValueError:
                refused_before = True
            collector = IonCollector(u, IONS, unwrap=True)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    collector.run()
                refused_after = False
            except ValueError as err:
                assert "reach more than 0.45" in str(err)
                refused_after = True
            assert refused_after or not refused_before, (step, seed)
            before += refused_before
            after += refused_after
    # the threshold lies inside the range: the pass refuses some, not all
    assert 0 < after < 20
    assert before <= after


def test_without_unwrapping_or_a_box_nothing_is_read_before_the_pass(monkeypatch):
    u = _universe(20.0)
    reads = []
    original = MemoryReader._read_frame
    monkeypatch.setattr(MemoryReader, "_read_frame",
                        lambda reader, frame: reads.append(frame) or original(reader, frame))
    IonCollector(u, IONS).check_unwrap_spacing()
    IonCollector(u, IONS, unwrap=True, positions=False).check_unwrap_spacing()
    assert reads == []
    assert MAX_FAR_STEPS == 0.005
