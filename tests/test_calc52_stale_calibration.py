"""A committee's spread calibration belongs to the summed terms it was measured with.

``calibrate_spread`` measures the factor between the spread and the error of the committee's
mean, dispersion and electrostatics included. ``set`` drops it, but an option of a summed term
changed on the term itself (``calc.dispersion.set(damping="zero")``, an edit of
``calc.dispersion.parameters``) goes around ``set``: the committee kept giving calibrated
spreads scaled by the error of the old terms, and active learning reported them as such.
"""

import numpy as np
import pytest
from ase.calculators.calculator import PropertyNotImplementedError
from tiny_models import emt_copper, tiny_committee

from ase_electrolyte import Calculator


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_calc52"), epochs=2)[1]


@pytest.fixture(scope="module")
def held_out():
    return emt_copper(6, seed=52)


def _damping_zero(calc):
    calc.dispersion.set(damping="zero")


def _cutoff_edited_in_place(calc):
    calc.dispersion.parameters["cutoff"] = 30.0


def _cutoff_attribute(calc):
    calc.dispersion.cutoff = 30.0


def _electrostatics_tolerance(calc):
    calc.electrostatics.set(tolerance=1e-5)


def _committee_option(calc):
    # through the committee's own set(): dropped before too
    calc.parameters["dispersion"] = "d3-zero"


@pytest.mark.parametrize("edit", [_damping_zero, _cutoff_edited_in_place, _cutoff_attribute,
                                  _electrostatics_tolerance, _committee_option])
def test_a_changed_term_drops_the_calibration(members, held_out, edit):
    calc = Calculator(members, device="cpu", dispersion="d3",
                      electrostatics={"qrd": {"Cu": (0.0, 1.0)}})
    scale = calc.calibrate_spread(held_out)
    atoms = held_out[0].copy()
    atoms.calc = calc
    raw = calc.get_property("forces_std", atoms)
    calibrated = calc.get_property("forces_std_calibrated", atoms)
    assert scale["forces"].valid and np.all(calibrated > raw)

    edit(calc)
    assert calc.spread_scale is None
    with pytest.raises(PropertyNotImplementedError, match="not calibrated"):
        calc.get_property("forces_std_calibrated", atoms)
    # the raw spread stands (the terms add the same to every member), and no calibrated
    # number of the old terms is left among the results
    np.testing.assert_allclose(calc.get_property("forces_std", atoms), raw, rtol=1e-10)
    assert not any(k.endswith("_calibrated") for k in calc.results)

    # calibrated again with the new terms: the factor is that of the new error
    again = calc.calibrate_spread(held_out)
    assert calc.spread_scale is again
    cal = calc.get_property("forces_std_calibrated", atoms)
    assert np.all(np.isfinite(cal)) and np.all(cal > raw)


def test_the_same_terms_keep_the_calibration(members, held_out):
    calc = Calculator(members, device="cpu", dispersion="d3")
    scale = calc.calibrate_spread(held_out)
    atoms = held_out[1].copy()
    atoms.calc = calc
    first = calc.get_property("energy_std_calibrated", atoms)
    # a value equal to the one in force is no change, a moved atom no option
    calc.dispersion.set(cutoff=calc.dispersion.cutoff)
    atoms.positions[0] += 0.01
    assert calc.spread_scale is scale
    second = calc.get_property("energy_std_calibrated", atoms)
    assert np.isfinite(second) and second != first
