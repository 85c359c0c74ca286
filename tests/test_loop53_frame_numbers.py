"""Every message of a fine-tune names a frame by its index from 0.

The label checks of ``read_labelled`` name "frame k" from 0, as ``ase.io.read(path, k)`` and
Python index a file's frames; the leakage check (validation frames that are training frames),
the repeated-frame check and the model-labels note counted from 1 beside them (the leakage
message without saying so): a validation file whose first frame was a training set's first
was refused as "1 (= training frame 1)", which read from 0 is the second of each. The number
in each message is checked here to index the frame it names, wherever in the set it lies.
"""

import re
import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write

from ase_electrolyte import active_learning
from ase_electrolyte.finetuning import (
    FRAMES_NUMBERED,
    RepeatedFramesWarning,
    _check_disjoint,
    _check_repeated_frames,
    _model_labels_note,
    _shared_frames,
    _untrained_elements,
    read_labelled,
)


def _frame(seed, symbols="CuCuCuCu", energy=-1.0):
    """Four atoms at random in a 6 Å box (no two closer than 1.5 Å), labelled."""
    rng = np.random.default_rng(seed)
    pos = []
    while len(pos) < len(Atoms(symbols)):
        trial = rng.uniform(0.0, 6.0, 3)
        if all(np.linalg.norm(trial - p) > 1.5 for p in pos):
            pos.append(trial)
    atoms = Atoms(symbols, positions=pos, cell=[6.0, 6.0, 6.0], pbc=True)
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=np.zeros((len(atoms), 3)))
    return atoms


def _relabelled(atoms, energy):
    copy = atoms.copy()
    copy.calc = SinglePointCalculator(copy, energy=energy, forces=np.zeros((len(copy), 3)))
    return copy


@pytest.mark.parametrize("v, t", [(0, 0), (0, 4), (2, 0), (3, 5), (1, 2)])
def test_shared_frames_index_from_zero(v, t):
    train = [_frame(seed) for seed in range(6)]
    valid = [_frame(100 + seed) for seed in range(4)]
    valid[v] = _relabelled(train[t], -1.0)
    assert _shared_frames(train, valid) == [(v, t)]


@pytest.mark.parametrize("v, t", [(0, 0), (0, 4), (2, 0), (3, 5)])
def test_leakage_message_names_the_frames_as_indexed(v, t):
    train = [_frame(seed) for seed in range(6)]
    valid = [_frame(100 + seed) for seed in range(4)]
    valid[v] = _relabelled(train[t], -1.0)
    with pytest.raises(ValueError, match=rf": {v} \(= training frame {t}\) \(frames numbered "
                                         r"from 0"):
        _check_disjoint(train, valid)


def test_leakage_numbers_are_those_of_files_read_back(tmp_path):
    train = [_frame(seed) for seed in range(5)]
    valid = [_frame(100), _relabelled(train[3], -1.0)]
    write(tmp_path / "train.extxyz", train)
    write(tmp_path / "valid.extxyz", valid)
    with pytest.raises(ValueError) as info:
        _check_disjoint(read_labelled(tmp_path / "train.extxyz", check_units=False),
                        read_labelled(tmp_path / "valid.extxyz", check_units=False))
    v, t = map(int, re.search(r"training frames: (\d+) \(= training frame (\d+)\)",
                              str(info.value)).groups())
    assert (v, t) == (1, 3)
    # the numbers index the files as ase.io.read does
    np.testing.assert_allclose(read(tmp_path / "valid.extxyz", v).positions,
                               read(tmp_path / "train.extxyz", t).positions)


@pytest.mark.parametrize("k, j", [(1, 0), (4, 0), (4, 2), (5, 3)])
def test_repeated_frame_note_indexes_from_zero(k, j):
    frames = [_frame(seed) for seed in range(6)]
    frames[k] = _relabelled(frames[j], -1.0)
    with pytest.warns(RepeatedFramesWarning) as record:
        note = _check_repeated_frames(frames, "training data")
    assert f"{k} (= frame {j})" in note and FRAMES_NUMBERED in note
    assert str(record[0].message) == note


@pytest.mark.parametrize("k, j", [(1, 0), (4, 2)])
def test_contradictory_repeat_indexes_from_zero(k, j):
    frames = [_frame(seed) for seed in range(6)]
    frames[k] = _relabelled(frames[j], -2.0)
    with pytest.raises(ValueError, match=rf"{k} \(= frame {j}, energy labels 0.25 eV/atom "
                                         r"apart\) \(frames numbered from 0"):
        _check_repeated_frames(frames, "training data")


@pytest.mark.parametrize("marked", [[0], [0, 3], [2, 5]])
def test_model_labels_note_indexes_from_zero(marked):
    frames = [_frame(seed) for seed in range(6)]
    for k in marked:
        frames[k].info.update(label_source="model", label_calculator="m")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        note = _model_labels_note(frames, "training data")
    assert f"frames {', '.join(map(str, marked))}; {FRAMES_NUMBERED}" in note


@pytest.mark.parametrize("from_scratch", [True, False])
def test_untrained_elements_say_how_frames_are_numbered(from_scratch):
    train = [_frame(seed) for seed in range(3)]
    valid = [_frame(10), _frame(11, "CuCuCuLi")]
    if from_scratch:
        with pytest.raises(ValueError, match=rf"frame\(s\) 1 \({FRAMES_NUMBERED}\) hold Li"):
            _untrained_elements(train, valid, True)
    else:
        assert f"frame(s) 1 ({FRAMES_NUMBERED}) hold Li" in _untrained_elements(
            train, valid, False)


@pytest.mark.parametrize("done", [[0], [2], [0, 3], [1, 2, 4]])
def test_selection_leaves_out_exactly_the_labelled_candidates(monkeypatch, done):
    # descriptors of the frames' own positions: no model needed to check which are left out
    monkeypatch.setattr(active_learning, "frame_descriptors",
                        lambda frames, model, device: [a.positions.ravel() for a in frames])
    candidates = [_frame(200 + seed) for seed in range(5)]
    for k, atoms in enumerate(candidates):
        atoms.calc = None
        atoms.info["max_forces_std"] = 0.1 * (k + 1)
    labelled = [candidates[k].copy() for k in done] + [_frame(300)]
    picked = active_learning.select_candidates(candidates, 5, exclude=labelled)
    assert sorted(a.info["candidate_index"] for a in picked) == sorted(
        set(range(5)) - set(done))
