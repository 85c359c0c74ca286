"""Validation sets that cannot measure what the fine-tune learns, refused before training.

* Validation frames of an element no training frame holds: from scratch, sevenn took its
  species from both sets, so the element got an embedding never trained, its validation
  errors were a random network's and the model file named it as covered (a tiny copper model
  validated on CuNi trained and then accepted Ni). Refused; from a pretrained base, noted.
* Validation energy labels offset from the training labels (another code or reference):
  each set passed the energy check against the base model on its own (an offset is
  allowed), and the validation energy errors were the offset (0.3 eV/atom after training,
  against 0.015 for labels of one reference). The per-frame and per-element offsets the
  training labels show are fitted and the validation frames of compositions they determine
  must follow them: an offset of 0.1 eV/atom and more is refused (0.5 without a base).
"""

import re

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from tiny_models import TINY, emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import finetuning  # noqa: E402


class Trained(Exception):
    """Raised in place of training: the run got past every check."""


@pytest.fixture
def no_training(monkeypatch):
    def reached(*_args, **_kwargs):
        raise Trained

    monkeypatch.setattr(finetuning, "_train_one", reached)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_validation_labels"))[1][0]


def _alloy(n_frames, n_ni, *, seed, a=3.6):
    """Rattled 4-atom fcc cells with ``n_ni`` Ni atoms, EMT labels."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        atoms = bulk("Cu", "fcc", a=a, cubic=True)
        for i in range(n_ni):
            atoms[i].symbol = "Ni"
        atoms.rattle(0.08, rng=rng)
        atoms.calc = EMT()
        labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces(),
                  "stress": atoms.get_stress()}
        atoms.calc = SinglePointCalculator(atoms, **labels)
        frames.append(atoms)
    return frames


def _shifted(frames, per_atom=0.0, per_element=None):
    """Copies whose energy labels are shifted by ``per_atom`` eV per atom and by
    ``per_element[symbol]`` eV per atom of that element."""
    out = []
    for atoms in frames:
        copy = atoms.copy()
        labels = dict(atoms.calc.results)
        labels["energy"] = labels["energy"] + per_atom * len(atoms) + sum(
            (per_element or {}).get(s, 0.0) for s in atoms.get_chemical_symbols())
        copy.calc = SinglePointCalculator(copy, **labels)
        out.append(copy)
    return out


def _finetune(model, train, valid, out, **kw):
    kw = {"batch_size": 3, **kw}
    return finetuning.finetune(model, train, valid=valid, epochs=1, lr=0.005, out=out,
                               device="cpu", plot=False, **kw)


def test_from_scratch_a_validation_only_element_is_refused(tmp_path, no_training):
    with pytest.raises(ValueError, match=r"validation data: frame\(s\) 0, 1, 2 \(frames "
                                         r"numbered from 0, as ase.io.read's index\) hold "
                                         r"Ni, which no training frame holds: a model trained from "
                                         r"scratch"):
        _finetune(TINY, emt_copper(6), _alloy(3, 1, seed=1), tmp_path / "ft")
    # the same validation frames with Ni in the training data pass every check
    with pytest.raises(Trained):
        _finetune(TINY, emt_copper(6) + _alloy(4, 1, seed=2), _alloy(3, 1, seed=1),
                  tmp_path / "ft")


def test_from_a_pretrained_base_a_validation_only_element_is_noted(tmp_path):
    # a tiny base that covers Cu and Ni, fine-tuned on copper alone and validated on CuNi
    cuni = finetuning.finetune(TINY, emt_copper(3) + _alloy(3, 1, seed=3), epochs=1,
                               lr=0.02, batch_size=3, out=tmp_path / "base", device="cpu",
                               plot=False).checkpoint
    res = _finetune(cuni, emt_copper(3, seed=4), _alloy(2, 1, seed=5), tmp_path / "ft",
                    check_units=False, batch_size=2)
    assert any("hold Ni, which no training frame holds: their errors measure the base "
               "model's" in note for note in res.notes), res.notes


def _measured_offset(err):
    found = re.search(r"offset from the training labels by ([-+0-9.e]+) eV/atom", str(err.value))
    assert found, str(err.value)
    return float(found.group(1))


@pytest.mark.parametrize("offset", [0.3, -1.0])
def test_a_validation_set_offset_from_the_training_labels_is_refused(base, tmp_path,
                                                                    no_training, offset):
    valid = _shifted(emt_copper(4, seed=9), per_atom=offset)
    with pytest.raises(ValueError, match=r"validation data: the energy labels of 4 validation "
                                         r"frame\(s\) are offset from the training labels "
                                         r".*against the base model's energies") as err:
        _finetune(base, emt_copper(8, seed=5), valid, tmp_path / "ft")
    # the offset put in, up to what the base model's errors differ by on other frames
    assert abs(_measured_offset(err) - offset) < 0.05
    assert not (tmp_path / "ft" / "member_0").exists()
    # the check is one of check_units'
    with pytest.raises(Trained):
        _finetune(base, emt_copper(8, seed=5), valid, tmp_path / "ft", check_units=False)


@pytest.mark.parametrize("offset", [1.0, -0.7])
def test_one_offset_in_both_sets_passes(base, tmp_path, no_training, offset):
    # labels of another reference than the base model's, the same for both sets
    with pytest.raises(Trained):
        _finetune(base, _shifted(emt_copper(8, seed=5), per_atom=offset),
                  _shifted(emt_copper(4, seed=9), per_atom=offset), tmp_path / "ft")


def test_other_structures_of_the_same_labels_pass(base, tmp_path, no_training):
    # compressed and expanded cells, more strongly rattled: the base model's error differs
    # there, the labels' reference does not
    valid = (emt_copper(3, a=3.45, rattle=0.15, seed=11)
             + emt_copper(3, a=3.75, rattle=0.15, seed=12))
    with pytest.raises(Trained):
        _finetune(base, emt_copper(8, seed=5), valid, tmp_path / "ft")


def test_from_scratch_per_element_offsets_are_allowed_and_a_common_one_refused(
        tmp_path, no_training):
    # per-element reference energies (another pseudopotential) shift both sets alike
    per_element = {"Cu": -1.3, "Ni": 2.1}
    train = _shifted(_alloy(4, 0, seed=20) + _alloy(4, 1, seed=21) + _alloy(4, 2, seed=22),
                     per_element=per_element)
    valid = _shifted(_alloy(2, 1, seed=23) + _alloy(2, 2, seed=24), per_element=per_element)
    with pytest.raises(Trained):
        _finetune(TINY, train, valid, tmp_path / "ft")
    with pytest.raises(ValueError, match=r"offset from the training labels by .* eV/atom "
                                         r"on average \(against their elements") as err:
        _finetune(TINY, train, _shifted(valid, per_atom=0.6), tmp_path / "ft")
    # the structural spread of the labels (tens of meV/atom) stays in it
    assert abs(_measured_offset(err) - 0.6) < 0.1
    # below the floor without a base model (structural spread is not removed): accepted
    with pytest.raises(Trained):
        _finetune(TINY, train, _shifted(valid, per_atom=0.3), tmp_path / "ft")


def test_validation_compositions_the_training_ones_do_not_determine_are_not_judged(
        tmp_path, no_training):
    # one training composition (a per-frame and a per-element offset cannot be told apart):
    # a validation frame of another composition carries no offset the fit could predict
    train = _alloy(6, 1, seed=30)
    valid = _shifted(_alloy(3, 2, seed=31), per_element={"Ni": 3.0})
    with pytest.raises(Trained):
        _finetune(TINY, train, valid, tmp_path / "ft")
