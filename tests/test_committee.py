"""Committee calculator: mean and spread of several models."""

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.committee import Committee, committee_spread  # noqa: E402


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
    assert out["energy_std"] == pytest.approx(np.sqrt(2.0))
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
