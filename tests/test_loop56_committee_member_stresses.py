"""A committee gives its members' stresses beside their energies and forces.

``calc.results`` held ``member_energies`` and ``member_forces`` but no member stresses: the
stress and ``stress_std`` could not be recomputed from the members (``committee_spread``'s
``stresses``), nor a member's stress read, as the energy's can. ``member_stresses`` (K, 6)
now holds them where a stress is computed, shifted by the summed terms (dispersion,
electrostatics) as the member energies and forces are; their mean and population spread are
the committee's ``stress`` and ``stress_std``, and each row is that member alone.
"""

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

from ase_electrolyte import Calculator
from ase_electrolyte.committee import committee_spread


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_loop56"), epochs=2)[1]


@pytest.fixture(scope="module")
def frame():
    return emt_copper(1, seed=56, rattle=0.12)[0]


TERMS = {"none": {}, "d3": {"dispersion": "d3"},
         "d3+coulomb": {"dispersion": "d3", "electrostatics": {"qrd": {"Cu": (0.0, 1.0)}}}}


def _stress(model, atoms, **terms):
    work = atoms.copy()
    work.calc = Calculator(model, device="cpu", **terms)
    return work.get_stress()


@pytest.mark.parametrize("terms", list(TERMS), ids=list(TERMS))
def test_member_stresses_are_the_members_and_give_the_mean_and_spread(members, frame, terms):
    calc = Calculator(members, device="cpu", **TERMS[terms])
    atoms = frame.copy()
    atoms.calc = calc
    stress = atoms.get_stress()
    res = calc.results
    per = res["member_stresses"]
    assert per.shape == (len(members), 6)
    # each row is that member alone with the same terms
    for k, model in enumerate(members):
        np.testing.assert_allclose(per[k], _stress(model, frame, **TERMS[terms]),
                                   rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(per.mean(axis=0), stress, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(per.std(axis=0), res["stress_std"], rtol=1e-10, atol=1e-12)
    # the terms shift every member alike: no spread of their own
    spread = committee_spread(res["member_energies"], res["member_forces"], per)
    np.testing.assert_allclose(spread["stress"], stress, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(spread["stress_std"], res["stress_std"], rtol=1e-10, atol=1e-12)
    assert np.all(res["stress_std"] > 0)


def test_no_member_stresses_without_a_cell(members, frame):
    calc = Calculator(members, device="cpu")
    atoms = frame.copy()
    atoms.pbc = False
    atoms.center(vacuum=5.0)
    atoms.calc = calc
    atoms.get_forces()
    assert "member_stresses" not in calc.results and "stress" not in calc.results
