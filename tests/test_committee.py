"""Committee calculator: mean and spread of several models."""

import os

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase.calculators.calculator import InputError  # noqa: E402

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.committee import (  # noqa: E402
    Committee,
    RepeatedMemberWarning,
    committee_spread,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee"))[1]


def _max_spread(calc, frames):
    out = []
    for atoms in frames:
        work = atoms.copy()
        work.calc = calc
        work.get_potential_energy()
        out.append(calc.results["max_forces_std"])
    return np.array(out)


def test_identical_members_have_zero_spread_and_the_member_values(tiny):
    atoms = emt_copper(1, seed=3)[0]
    with pytest.warns(RepeatedMemberWarning, match="every member is the same model"):
        committee = Calculator([tiny[0], tiny[0], tiny[0]], device="cpu")
    assert isinstance(committee, Committee) and isinstance(committee, Calculator)
    single = Calculator(tiny[0], device="cpu")
    a, b = atoms.copy(), atoms.copy()
    a.calc, b.calc = committee, single
    assert a.get_potential_energy() == pytest.approx(b.get_potential_energy(), abs=1e-5)
    np.testing.assert_allclose(a.get_forces(), b.get_forces(), atol=1e-5)
    np.testing.assert_allclose(a.get_stress(), b.get_stress(), atol=1e-7)
    assert committee.results["energy_std"] == 0.0
    # float32 scatter sums may differ in the last bits between evaluations
    assert committee.results["max_forces_std"] < 1e-5
    assert np.all(committee.results["stress_std"] < 1e-7)


def test_mean_and_spread_equal_the_members_evaluated_one_by_one(tiny):
    committee = Calculator(tiny, device="cpu")
    assert committee._shared_graph  # one atom graph for both SevenNet members
    atoms = emt_copper(1, a=3.4, rattle=0.15, seed=7)[0]
    energies, forces, stresses = [], [], []
    for path in tiny:
        work = atoms.copy()
        work.calc = Calculator(path, device="cpu")
        energies.append(work.get_potential_energy())
        forces.append(work.get_forces())
        stresses.append(work.get_stress())
    work = atoms.copy()
    work.calc = committee
    assert work.get_potential_energy() == pytest.approx(np.mean(energies), abs=1e-5)
    np.testing.assert_allclose(work.get_forces(), np.mean(forces, axis=0), atol=1e-5)
    np.testing.assert_allclose(work.get_stress(), np.mean(stresses, axis=0), atol=1e-6)
    assert committee.results["energy_std"] == pytest.approx(np.std(energies), abs=1e-5)
    dev = np.asarray(forces) - np.mean(forces, axis=0)
    expected = np.sqrt(np.mean(np.sum(dev**2, axis=2), axis=0))
    np.testing.assert_allclose(committee.results["forces_std"], expected, atol=1e-5)
    assert committee.results["forces_std"].shape == (len(atoms),)
    assert atoms.calc is not committee  # the caller's Atoms untouched


def test_spread_grows_away_from_the_training_data(tiny):
    committee = Calculator(tiny, device="cpu")
    near = _max_spread(committee, emt_copper(3, seed=11))  # like the training frames
    compressed = _max_spread(committee, emt_copper(3, a=3.0, seed=11))  # never seen
    assert compressed.min() > 3 * near.max()


def test_committee_spread_formula():
    forces = np.zeros((3, 2, 3))
    forces[:, 0, 0] = [1.0, 2.0, 3.0]  # atom 0 spread along x: population std sqrt(2/3)
    out = committee_spread([0.0, 0.0, 3.0], forces, np.ones((3, 6)))
    assert out["energy_std"].value == pytest.approx(np.sqrt(2.0))
    np.testing.assert_allclose(out["forces_std"], [np.sqrt(2 / 3), 0.0])
    np.testing.assert_allclose(out["stress_std"], 0.0)


def test_mixed_element_sets_are_refused(tiny):
    with pytest.raises(ValueError, match="different element sets"):
        Calculator([tiny[0], "sevennet-0"], device="cpu")


def test_a_committee_needs_two_models():
    with pytest.raises(ValueError, match="at least two"):
        Calculator(["sevennet-0"], device="cpu")


def test_uncovered_element_is_refused_before_evaluation(tiny):
    from ase.build import molecule

    atoms = molecule("H2O")
    atoms.calc = Calculator(tiny, device="cpu")
    with pytest.raises(ValueError, match="does not cover"):
        atoms.get_potential_energy()


def _spellings_of_one_model(path, folder):
    """The same model file as given, relative, through a link and as a copy."""
    import os
    import shutil

    link = folder / "link.pth"
    link.symlink_to(path)
    copy = folder / "copy.pth"
    shutil.copy(path, copy)
    return [str(path), os.path.relpath(path), str(link), str(copy)]


def test_one_model_in_several_spellings_is_loaded_once_and_its_zero_spread_warned(
        tiny, tmp_path):
    """A committee of one model under other paths had K loads and reported a spread of 0 as
    if the members agreed: the spread says nothing then, and the user is told."""
    spellings = _spellings_of_one_model(tiny[0], tmp_path)
    with pytest.warns(RepeatedMemberWarning, match="every member is the same model") as record:
        committee = Calculator(spellings, device="cpu")
    message = next(str(w.message) for w in record if w.category is RepeatedMemberWarning)
    assert all(repr(os.path.abspath(m)) in message for m in spellings)
    assert len({id(m) for m in committee.members}) == 1


def test_a_repeated_member_among_others_is_warned_about(tiny, tmp_path):
    copy = _spellings_of_one_model(tiny[0], tmp_path)[-1]
    with pytest.warns(RepeatedMemberWarning, match="comes from 2 distinct models"):
        committee = Calculator([tiny[0], tiny[1], copy], device="cpu")
    assert committee.members[0] is committee.members[2]
    assert committee.members[0] is not committee.members[1]


def test_distinct_members_give_no_repeat_warning(tiny):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedMemberWarning)
        Calculator(list(tiny), device="cpu")


def test_a_registered_name_and_its_checkpoint_file_are_one_member(tmp_path):
    """Names in any case and a copy of the file sevenn ships are the same model."""
    from sevenn.util import pretrained_name_to_path

    link = tmp_path / "sevennet0.pth"
    link.symlink_to(pretrained_name_to_path("7net-0_11Jul2024"))
    with pytest.warns(RepeatedMemberWarning, match="every member is the same model"):
        committee = Calculator(["sevennet-0", "SevenNet-0", str(link)], device="cpu")
    assert len({id(m) for m in committee.members}) == 1


def test_members_from_any_iterable_and_a_bad_member_named_by_position(tiny):
    committee = Committee(path for path in tiny)
    assert committee.model == [os.path.abspath(p) for p in tiny]
    for bad in (None, 3, b"model.pth"):
        with pytest.raises(InputError, match=f"committee member 1 must be a registered name "
                                             f"or a model file, not {bad!r}"):
            Committee([tiny[0], bad], device="cpu")
    with pytest.raises(InputError, match="at least two models, got 5"):
        Committee(5, device="cpu")


def test_a_committee_asked_without_any_structure_says_so(tiny):
    committee = Calculator(tiny, device="cpu")
    with pytest.raises(InputError, match=r"Committee: no structure to evaluate"):
        committee.get_potential_energy()
    atoms = emt_copper(1, seed=2)[0]
    atoms.calc = committee
    energy = atoms.get_potential_energy()
    assert committee.get_potential_energy() == energy
    assert committee.get_property("energy_std") == committee.results["energy_std"] > 0


@pytest.mark.parametrize("args,match", [
    # 2 energies with 3 force sets were averaged each on its own
    (([1.0, 2.0], np.zeros((3, 4, 3))), r"forces must have shape \(2, N, 3\)"),
    (([], np.zeros((0, 4, 3))), r"at least 2 members"),  # was a NaN mean
    (([1.0], np.zeros((1, 2, 3))), r"at least 2 members"),  # a spread of 0
    (([1.0, np.nan], np.zeros((2, 4, 3))), r"energies of member 1 are not finite"),
    (([1.0, 2.0], np.zeros((2, 4))), r"forces must have shape"),  # was a scalar spread
    (([1.0, 2.0], np.zeros((2, 4, 3)), np.zeros((2, 3))), r"stresses must have shape"),
    (([[1.0, 2.0]], np.zeros((2, 4, 3))), r"shape \(K,\)"),
    ((["a", "b"], np.zeros((2, 4, 3))), r"must be real numbers"),
    (([1.0, 2.0], np.full((2, 4, 3), np.inf)), r"forces of members 0, 1 are not finite"),
])
def test_committee_spread_refuses_what_has_no_spread_by_name(args, match):
    with pytest.raises(ValueError, match=match):
        committee_spread(*args)
