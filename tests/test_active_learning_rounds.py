"""Active learning over rounds: no frame labelled twice, thresholds in the unit they name.

* select_candidates is deterministic: selecting again from a candidates file appended to over
  rounds, or with a larger ``n``, gave the earlier picks again, to be labelled twice.
  ``exclude=`` (``--exclude``) takes the frames labelled already; a candidate that is one of
  them (atoms reordered, moved, wrapped, written and read back) is not selected.
* A ``select_threshold`` in meV/Å (50 for 0.05 eV/Å) ran the whole MD selecting nothing,
  which read as a model confident everywhere; it is refused when the collector is made.
"""

import ase.io
import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

from ase_electrolyte.active_learning import (
    MAX_SELECT_THRESHOLD,
    CandidateCollector,
    select_candidates,
)
from electrolyte_cli import main


def _candidates(n=8, seed=3):
    frames = []
    rng = np.random.default_rng(seed)
    for k, atoms in enumerate(emt_copper(n, seed=seed, rattle=0.12)):
        atoms.calc = None
        atoms.info["max_forces_std"] = float(0.1 + 0.05 * rng.random())
        atoms.info["evaluation"] = k
        frames.append(atoms)
    return frames


def _labelled_copy(atoms, seed):
    """The frame as a labelling round returns it: atoms reordered, moved by a lattice
    vector's fraction and wrapped, labels attached."""
    rng = np.random.default_rng(seed)
    copy = atoms[rng.permutation(len(atoms))]
    copy.positions += [0.37, -1.1, 2.3]
    copy.wrap()
    copy.info = {"energy": -1.0}
    return copy


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_al_rounds"))[1]


def test_labelled_frames_are_not_selected_again(tiny, tmp_path):
    frames = _candidates()
    path = tmp_path / "cand.extxyz"
    ase.io.write(path, frames)
    first = select_candidates(path, 3, model=tiny[0], device="cpu")
    picked = [a.info["candidate_index"] for a in first]
    # the same call again picks the same frames: what exclude is for
    assert [a.info["candidate_index"] for a in select_candidates(
        path, 3, model=tiny[0], device="cpu")] == picked
    labelled = tmp_path / "labelled.extxyz"
    ase.io.write(labelled, [_labelled_copy(frames[i], i) for i in picked])
    second = select_candidates(path, 8, model=tiny[0], device="cpu", exclude=labelled)
    again = [a.info["candidate_index"] for a in second]
    # every other frame, each once, numbered as in the candidates file
    assert sorted(again) == sorted(set(range(len(frames))) - set(picked))
    for atoms in second:
        # read back from extxyz: its 8 decimals
        np.testing.assert_allclose(atoms.positions,
                                   frames[atoms.info["candidate_index"]].positions, atol=1e-6)
    # the first pick is still the largest spread among the frames left
    spreads = {i: frames[i].info["max_forces_std"] for i in again}
    assert again[0] == max(spreads, key=spreads.get)


def test_the_cli_takes_exclude_files(tiny, tmp_path, capsys):
    frames = _candidates(6, seed=5)
    path = tmp_path / "cand.extxyz"
    ase.io.write(path, frames)
    ase.io.write(tmp_path / "round1.extxyz", [_labelled_copy(frames[0], 0)])
    ase.io.write(tmp_path / "round2.extxyz", [frames[4], frames[5]])
    out = tmp_path / "sel.extxyz"
    assert main(["select", str(path), "-n", "6", "--model", tiny[0], "--device", "cpu",
                 "-o", str(out), "--exclude", str(tmp_path / "round1.extxyz"),
                 "--exclude", str(tmp_path / "round2.extxyz")]) == 0
    assert sorted(a.info["candidate_index"] for a in ase.io.read(out, ":")) == [1, 2, 3]
    assert "3 frame(s) selected" in capsys.readouterr().out


def test_nothing_new_is_refused_before_the_model_loads(tmp_path, capsys):
    frames = _candidates(4)
    labelled = [_labelled_copy(a, k) for k, a in enumerate(frames)]
    # a model file that does not exist: the refusal comes before it would be read
    with pytest.raises(ValueError, match=r"every one of the 4 candidate frame\(s\) is one of "
                                         r"the frames labelled already \(those to exclude\)"):
        select_candidates(frames, 2, model=str(tmp_path / "none.pth"), exclude=labelled)
    path = tmp_path / "cand.extxyz"
    ase.io.write(path, frames)
    assert main(["select", str(path), "-n", "2", "--exclude",
                 str(tmp_path / "missing.extxyz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--exclude" in err and "missing.extxyz" in err
    assert not (tmp_path / "selected.extxyz").exists()


@pytest.mark.parametrize("threshold", [50.0, 10.5, 300])
def test_a_select_threshold_in_mev_is_refused(tmp_path, threshold):
    with pytest.raises(ValueError, match=rf"select_threshold {threshold:g} eV/Å is beyond any "
                                         rf"committee force spread.*meV/Å\? give it in eV/Å "
                                         rf"\({threshold / 1000:g}\)"):
        CandidateCollector(tmp_path / "c.extxyz", threshold, np.inf)
    assert not (tmp_path / "c.extxyz").exists()


def test_thresholds_up_to_the_ceiling_are_taken(tmp_path):
    for select, stop in ((0.05, 0.3), (MAX_SELECT_THRESHOLD, np.inf), (2.0, 1e6)):
        collector = CandidateCollector(tmp_path / "c.extxyz", select, stop, overwrite=True)
        assert collector.select_threshold == select and collector.stop_threshold == stop
