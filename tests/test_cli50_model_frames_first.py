"""``electrolyte analyze --model`` checks the frames the model-based analyses evaluate before
the model loads.

Measured before: a proton moved to the other water in one frame was refused by the rigid volume
scan (frame 4 of 6) and by the intra/intermolecular errors only after ``make_calculator``
(17 s for sevennet-0 on a CPU). Now the same refusal comes first, and the model is never made;
the scan's frames are those of :func:`mda_electrolyte.volume_scan.report_frames`, so a broken
frame the scan does not evaluate is no reason to refuse it.
"""

import ase.io
import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator

from electrolyte_cli import main


def _two_waters(path, broken=None, n_frames=6, forces=False):
    """Two waters 2.9 Å apart in a 10 Å cube; in frame ``broken`` a proton of the first sits
    1 Å from the second's oxygen (a proton transfer), 1.9 Å from its own oxygen: within what
    the reader takes for the same bond, so the Universe is read."""
    frames = []
    for k in range(n_frames):
        a, b = molecule("H2O"), molecule("H2O")
        b.positions += [2.9, 0, 0]
        box = a + b
        box.cell, box.pbc = [10, 10, 10], True
        box.positions += 3 + 0.02 * k
        if k == broken:
            box.positions[1] = box.positions[3] - [1.0, 0, 0]
        box.info["time_ps"] = 0.01 * k
        if forces:
            box.calc = SinglePointCalculator(box, forces=np.full((6, 3), 0.1 * (k + 1)))
        frames.append(box)
    ase.io.write(path, frames)
    return path


@pytest.fixture
def no_model(monkeypatch):
    """A model load fails the test with words the assertions look for."""
    import electrolyte_cli.arguments as A

    def loaded(*args, **kwargs):
        raise ValueError("MODEL LOADED")

    monkeypatch.setattr(A, "make_calculator", loaded)


@pytest.mark.parametrize("only,forces,frame", [
    ("rigid_volume_scan", False, 4),
    ("rigid_volume_scan", False, 5),
    ("intra_inter_errors", True, 3),
    (None, False, 5),
    (None, True, 3),
])
def test_a_broken_molecule_is_refused_before_the_model(tmp_path, capsys, no_model, only,
                                                       forces, frame):
    traj = _two_waters(tmp_path / "w.extxyz", broken=frame, forces=forces)
    argv = ["analyze", str(traj), "--model", "sevennet-0", "-o", str(tmp_path / "out")]
    status = main(argv + (["--only", only] if only else []))
    err = capsys.readouterr().err
    assert status == 2, err
    assert "MODEL LOADED" not in err, err
    assert f"frame {frame}: molecule 0 cannot be made whole" in err, err
    assert "proton transfer" in err and "before loading the model" in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("frame", [1, 3])
def test_the_scan_is_checked_on_its_own_frames_only(tmp_path, frame):
    """Frame 3 of 6 is not among the scanned frames [0, 1, 2, 4, 5]: no refusal; frame 1 is."""
    from electrolyte_cli.analyze import _check_model_frames
    from mda_electrolyte.bridge import from_ase

    universe = from_ase(_two_waters(tmp_path / "w.extxyz", broken=frame))
    universe.trajectory[2]
    if frame == 3:
        _check_model_frames(universe, ["rigid_volume_scan"])
    else:
        with pytest.raises(ValueError, match="frame 1: molecule 0"):
            _check_model_frames(universe, None)
    # the caller's frame is kept
    assert universe.trajectory.ts.frame == 2


@pytest.mark.parametrize("n,most,expected", [
    (1, 5, [0]), (2, 5, [0, 1]), (5, 5, [0, 1, 2, 3, 4]), (6, 5, [0, 1, 2, 4, 5]),
    (100, 5, [0, 25, 50, 74, 99]), (np.int64(7), 3, [0, 3, 6]), (4, 1, [0]),
])
def test_report_frames_spread_over_the_run(n, most, expected):
    from mda_electrolyte.volume_scan import report_frames

    assert report_frames(n, most).tolist() == expected


@pytest.mark.parametrize("n,most", [(0, 5), (True, 5), (2.5, 5), (5, 0), (5, "5")])
def test_report_frames_refuses_what_is_no_count(n, most):
    from mda_electrolyte.volume_scan import report_frames

    with pytest.raises(ValueError, match="n_frames|max_frames"):
        report_frames(n, most)


def _zero_forces(path, box=True, zero_frames=None):
    """Two waters, 4 frames, reference forces exactly zero in ``zero_frames`` (all without it),
    0.1 eV/Å elsewhere; periodic 10 Å cube or no cell."""
    frames = ase.io.read(_two_waters(path, n_frames=4), ":")
    for k, atoms in enumerate(frames):
        zero = zero_frames is None or k in zero_frames
        if not box:
            atoms.cell, atoms.pbc = None, False
        atoms.calc = SinglePointCalculator(
            atoms, forces=np.zeros((6, 3)) if zero else np.full((6, 3), 0.1))
    ase.io.write(path, frames)
    return path


@pytest.mark.parametrize("only,box,words", [
    ("intra_inter_errors", True, "--only intra_inter_errors: the reference forces are exactly "
     "zero in every one of the 4 frames"),
    ("intra_inter_errors,rigid_volume_scan", True, "--only intra_inter_errors: the reference "
     "forces are exactly zero"),
    # no box: the errors are the one analysis that would use the model
    (None, False, "--model: no analysis that evaluates a model can run on this trajectory "
     "(intra_inter_errors: the reference forces are exactly zero"),
])
def test_placeholder_forces_are_refused_before_the_model(tmp_path, capsys, no_model, only, box,
                                                         words):
    """Before: the model was loaded, the errors skipped ('all-zero labels'), and the run ended
    with exit status 2 (--only) or without any use of the model."""
    traj = _zero_forces(tmp_path / "z.extxyz", box=box)
    argv = ["analyze", str(traj), "--model", "sevennet-0", "-o", str(tmp_path / "out")]
    status = main(argv + (["--only", only] if only else []))
    err = capsys.readouterr().err
    assert status == 2, err
    assert "MODEL LOADED" not in err and words in err, err
    assert err.count("\n") == 1


def test_forces_zero_in_some_frames_only_are_labels(tmp_path):
    """A frame of zero forces among others is a label (the analysis compares it): no refusal."""
    from electrolyte_cli.analyze import _check_model_frames, _placeholder_forces
    from mda_electrolyte.bridge import from_ase

    universe = from_ase(_zero_forces(tmp_path / "z.extxyz", zero_frames={1, 2}))
    assert _placeholder_forces(universe) is None
    _check_model_frames(universe, ["intra_inter_errors"])


def test_keep_going_leaves_a_broken_frame_to_the_analysis(tmp_path, capsys, no_model):
    """--keep-going records a failing analysis and runs the others: no refusal up front."""
    traj = _two_waters(tmp_path / "w.extxyz", broken=4)
    status = main(["analyze", str(traj), "--model", "sevennet-0", "--keep-going",
                   "--only", "rigid_volume_scan", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and "MODEL LOADED" in err, err
