"""Selecting candidates: one reading of the method word, no input overwritten, spreads shown.

* ``select_candidates(method="FPS")`` and ``"D-optimal"`` were refused, while the CLI read
  ``--method`` in any case; a near miss (``"d_optimal"``) now names the method it looks like,
  before any descriptor is computed.
* ``out`` equal to the candidates file (or to an ``exclude`` file, the frames labelled
  already) replaced those frames with the selection; ``electrolyte select -o L --exclude L
  --overwrite`` did the same to a training set. Refused before any work, the file intact.
* The CLI's line now shows the selected frames' committee spreads, in eV/Å, as their range.

The descriptors are replaced by the frames' flattened positions (no model is trained here):
the selection logic is checked against a direct farthest-point sampling of them.
"""

import os

import ase.io
import numpy as np
import pytest
from ase.build import bulk

import ase_electrolyte.active_learning as al
from ase_electrolyte.active_learning import select_candidates
from electrolyte_cli import main
from electrolyte_cli.select import selection_line


def _frames(n=7, seed=4):
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n):
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
        atoms.positions += rng.normal(scale=0.15, size=atoms.positions.shape)
        atoms.info["max_forces_std"] = float(0.05 + 0.3 * rng.random())
        atoms.info["evaluation"] = k
        frames.append(atoms)
    return frames


def _positions(frames, model=None, device=None):
    return np.array([a.positions.ravel() for a in frames])


@pytest.fixture
def positions_as_descriptors(monkeypatch):
    monkeypatch.setattr(al, "frame_descriptors", _positions)


@pytest.fixture
def no_descriptors(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("descriptors computed before the arguments were checked")

    monkeypatch.setattr(al, "frame_descriptors", refuse)


def _direct_fps(frames, n):
    """Farthest-point sampling from the largest spread, written out directly."""
    d = _positions(frames)
    z = (d - d.mean(axis=0)) / d.std(axis=0)
    picked = [int(np.argmax([a.info["max_forces_std"] for a in frames]))]
    while len(picked) < n:
        dist = np.min(np.linalg.norm(z[:, None] - z[picked][None], axis=2), axis=1)
        picked.append(int(np.argmax(dist)))
    return picked


@pytest.mark.parametrize("word, method", [("FPS", "fps"), (" Fps ", "fps"),
                                          ("D-Optimal", "d-optimal"),
                                          ("D-OPTIMAL", "d-optimal"),
                                          # separators are spelling (option_words.choice_word)
                                          ("d_optimal", "d-optimal")])
def test_method_in_any_case_selects_as_the_lowercase_word(positions_as_descriptors, word,
                                                          method):
    frames = _frames()
    picks = [a.info["candidate_index"] for a in select_candidates(frames, 4, method=word)]
    assert picks == [a.info["candidate_index"] for a in select_candidates(frames, 4,
                                                                          method=method)]
    if method == "fps":
        assert picks == _direct_fps(frames, 4)
    assert all(a.info["selection_method"] == method
               for a in select_candidates(frames, 2, method=word))


@pytest.mark.parametrize("word", ["d_optimum", "dopt", "fsp"])
def test_a_near_miss_names_the_method_before_any_descriptor(no_descriptors, word):
    with pytest.raises(ValueError, match=r"method must be one of .*did you mean "
                                         r"'(d-optimal|fps)'"):
        select_candidates(_frames(), 2, method=word)


def _spelled(tmp_path, path, how):
    if how == "same":
        return path
    if how == "dotted":
        return tmp_path / "sub" / ".." / path.name
    link = tmp_path / "link.extxyz"
    os.symlink(path, link)
    return link


@pytest.mark.parametrize("how", ["same", "dotted", "link"])
@pytest.mark.parametrize("which", ["candidates", "exclude"])
def test_out_over_an_input_file_is_refused_and_the_file_kept(no_descriptors, tmp_path, how,
                                                             which):
    (tmp_path / "sub").mkdir()
    frames = _frames()
    cand = tmp_path / "cand.extxyz"
    ase.io.write(cand, frames)
    labelled = tmp_path / "labelled.extxyz"
    ase.io.write(labelled, frames[:2])
    target = cand if which == "candidates" else labelled
    before = target.read_bytes()
    with pytest.raises(ValueError, match=rf"is the {which} file itself"):
        select_candidates(cand, 3, out=_spelled(tmp_path, target, how), exclude=labelled)
    assert target.read_bytes() == before


def test_cli_output_over_an_exclude_file_is_one_line_exit_2(tmp_path, capsys):
    frames = _frames()
    cand = tmp_path / "cand.extxyz"
    ase.io.write(cand, frames)
    labelled = tmp_path / "labelled.extxyz"
    ase.io.write(labelled, frames[:2])
    before = labelled.read_bytes()
    assert main(["select", str(cand), "-n", "2", "-o", str(labelled), "--exclude",
                 str(labelled), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--exclude" in err and "Traceback" not in err
    assert labelled.read_bytes() == before


def test_cli_line_shows_the_selected_spreads_in_ev_per_angstrom(positions_as_descriptors,
                                                                tmp_path, capsys):
    frames = _frames()
    cand = tmp_path / "cand.extxyz"
    ase.io.write(cand, frames)
    out = tmp_path / "sel.extxyz"
    assert main(["select", str(cand), "-n", "3", "--device", "cpu", "-o", str(out)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    written = [a.info["max_forces_std"] for a in ase.io.read(out, ":")]
    assert len(written) == 3
    # the first pick is the largest spread of all candidates
    assert written[0] == pytest.approx(max(a.info["max_forces_std"] for a in frames))
    assert f"{min(written):.3g} to {max(written):.3g} eV/Å" in line


def test_selection_line_names_missing_and_non_finite_spreads():
    line = selection_line(3, 3, "fps", "x.extxyz", spreads=[0.25, float("nan"), None])
    assert "0.25 to 0.25 eV/Å, and not finite in 1 frame(s)" in line
    assert "(1 frame(s) without one)" in line
    # frames without spreads (hand-made candidates): no number is shown for them
    assert selection_line(2, 2, "fps", "x.extxyz", spreads=[None, None]) == (
        "2 frame(s) selected (fps) written to x.extxyz")


def test_exclude_takes_several_files_as_the_cli_does(no_descriptors, tmp_path):
    frames = _frames(6)
    cand = tmp_path / "cand.extxyz"
    ase.io.write(cand, frames)
    first, second = tmp_path / "round1.extxyz", tmp_path / "round2.extxyz"
    ase.io.write(first, frames[:3])
    ase.io.write(second, frames[3:])
    # both rounds together cover every candidate: refused before any descriptor
    with pytest.raises(ValueError, match=r"every one of the 6 candidate frame\(s\)"):
        select_candidates(cand, 2, exclude=[first, str(second)])
    before = second.read_bytes()
    with pytest.raises(ValueError, match=r"is the exclude file itself"):
        select_candidates(cand, 2, exclude=[first, second], out=second)
    assert second.read_bytes() == before


def test_exclude_files_leave_the_rest_selected(positions_as_descriptors, tmp_path):
    frames = _frames(6)
    first, second = tmp_path / "round1.extxyz", tmp_path / "round2.extxyz"
    ase.io.write(first, frames[:2])
    ase.io.write(second, frames[4:5])
    picked = select_candidates(frames, 6, exclude=(first, second))
    assert sorted(a.info["candidate_index"] for a in picked) == [2, 3, 5]
