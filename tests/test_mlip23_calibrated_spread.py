"""A committee's spread shown as an error bar only once calibrated (Musil et al. 2019).

The raw ``*_std`` results stay what they were; ``*_std_calibrated`` appear after
``calibrate_spread`` and are one-sigma prediction intervals: c times the raw spread (on the
calibration frames the RMS error by construction) times Student's t factor of the
calibration's degrees of freedom.
"""

import numpy as np
import pytest
from ase.calculators.calculator import PropertyNotImplementedError
from tiny_models import emt_copper, tiny_committee

from ase_electrolyte import Calculator
from ase_electrolyte.active_learning import CandidateCollector, ExtrapolationError
from mda_electrolyte.uncertainty import t_factor


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_mlip23"))[1]


@pytest.fixture(scope="module")
def held_out():
    return emt_copper(5, seed=23)


def test_calibrated_spread_is_the_rms_error_on_its_frames(members, held_out):
    calc = Calculator(members, device="cpu")
    with pytest.raises(ValueError, match="not valid"):
        calc.calibrate_spread(held_out[:3])  # fewer than 5 frames: no verdict
    assert calc.spread_scale is None
    atoms = held_out[0].copy()
    atoms.calc = calc
    raw_before = atoms.calc.get_property("forces_std", atoms).copy()
    with pytest.raises(PropertyNotImplementedError, match="calibrate_spread"):
        calc.get_property("forces_std_calibrated", atoms)

    scale = calc.calibrate_spread(held_out)
    assert calc.spread_scale is scale and scale["forces"].valid and scale["energy"].valid
    t_f, t_e = (t_factor(scale[key].dof + 1) for key in ("forces", "energy"))
    assert t_f > 1 and t_e > 1

    err2, cal2, e_err2, e_cal2 = [], [], [], []
    for frame in held_out:
        work = frame.copy()
        work.calc = calc
        forces = work.get_forces()
        raw = calc.get_property("forces_std", work)
        cal = calc.get_property("forces_std_calibrated", work)
        # the raw spread is unchanged by the calibration, and the calibrated one is c_F times
        # it times the Student-t factor of the calibration's dof (a one-sigma prediction
        # interval on new frames: c_F alone covered 0.61-0.68 there, test_unc27_*)
        np.testing.assert_allclose(cal, scale["forces"].value * t_f * raw, rtol=1e-12)
        assert calc.get_property("max_forces_std_calibrated", work) == pytest.approx(cal.max())
        err2.append(np.mean(np.sum((forces - frame.calc.results["forces"]) ** 2, axis=1)))
        cal2.append(np.mean(cal ** 2))
        n = len(work)
        e_err2.append(((work.get_potential_energy() - frame.calc.results["energy"]) / n) ** 2)
        e_cal2.append((calc.get_property("energy_std_calibrated", work) / n) ** 2)
    # on its own frames, c times the raw spread is the RMS error by construction
    np.testing.assert_allclose(np.mean(cal2) / t_f**2, np.mean(err2), rtol=1e-9)
    np.testing.assert_allclose(np.mean(e_cal2) / t_e**2, np.mean(e_err2), rtol=1e-9)
    atoms.calc = calc
    np.testing.assert_allclose(calc.get_property("forces_std", atoms), raw_before, rtol=1e-12)

    # other members (here: another order, so a new load) have another error: dropped
    calc.set(model=list(reversed(members)))
    assert calc.spread_scale is None
    with pytest.raises(PropertyNotImplementedError, match="not calibrated"):
        calc.get_property("forces_std_calibrated", atoms)


def test_candidate_frames_say_whether_the_spread_was_calibrated(members, held_out, tmp_path):
    import ase.io

    calc = Calculator(members, device="cpu")
    atoms = emt_copper(1, seed=9)[0]
    collector = CandidateCollector(tmp_path / "raw.extxyz", 1e-9, 1e3)
    collector.attach(calc)
    atoms.calc = calc
    atoms.get_forces()
    frame = ase.io.read(tmp_path / "raw.extxyz")
    assert frame.info["spread_calibrated"] is False and "forces_std_scale" not in frame.info

    scale = calc.calibrate_spread(held_out)
    stop = CandidateCollector(tmp_path / "cal.extxyz", 1e-9, 2e-9)
    stop.attach(calc)
    atoms.calc = calc
    with pytest.raises(ExtrapolationError, match="RMS force error of about"):
        atoms.get_forces()
    frame = ase.io.read(tmp_path / "cal.extxyz")
    assert frame.info["spread_calibrated"] is True
    assert frame.info["forces_std_scale"] == pytest.approx(scale["forces"].value)
