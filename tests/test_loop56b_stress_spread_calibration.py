"""A committee's stress spread is calibrated as its energy and force spreads are (one
mechanism: spread_calibration's factor, Musil et al. 2019), where every held-out frame carries
a stress label. Before, ``stress_std`` had no factor: asked for ``stress_std_calibrated``, an
uncalibrated committee named calibrate_spread as the cure, and a calibrated one then raised
ASE's bare 'not implemented'. Frames without stress labels leave the stress uncalibrated, said
so by name, and the energy and force factors as they were."""
import numpy as np
import pytest
from ase.calculators.calculator import PropertyNotImplementedError
from ase.calculators.singlepoint import SinglePointCalculator
from tiny_models import emt_copper, tiny_committee

from ase_electrolyte import Calculator
from ase_electrolyte.committee import _prediction_factor, spread_calibration


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_loop56b"))[1]


@pytest.fixture(scope="module")
def held_out():
    return emt_copper(6, seed=56)


def _without_stress(frames, which):
    out = []
    for k, atoms in enumerate(frames):
        copy = atoms.copy()
        labels = dict(atoms.calc.results)
        if k in which:
            labels.pop("stress")
        copy.calc = SinglePointCalculator(copy, **labels)
        out.append(copy)
    return out


def test_stress_factor_is_the_rms_error_over_the_rms_spread(members, held_out):
    calc = Calculator(members, device="cpu")
    atoms = held_out[0].copy()
    atoms.calc = calc
    with pytest.raises(PropertyNotImplementedError, match="calibrate_spread"):
        calc.get_property("stress_std_calibrated", atoms)
    # the factor by hand: RMS stress error over RMS stress spread, Voigt components, frames
    err2, spread2 = [], []
    for frame in held_out:
        work = frame.copy()
        work.calc = calc
        err2.append(np.mean((work.get_stress() - frame.calc.results["stress"]) ** 2))
        spread2.append(np.mean(calc.get_property("stress_std", work) ** 2))
    expected = np.sqrt(np.sum(err2) / np.sum(spread2))
    scale = calc.calibrate_spread(held_out)
    assert set(scale) == {"energy", "forces", "stress"}
    assert scale["stress"].value == pytest.approx(expected, rel=1e-9)
    assert scale["stress"].valid and np.isfinite(scale["stress"].stderr)
    # energy and forces as computed without the stress
    alone = spread_calibration(calc, _without_stress(held_out, range(len(held_out))))
    for key in ("energy", "forces"):
        assert scale[key].value == pytest.approx(alone[key].value, rel=1e-12)
    cal2 = []
    for frame in held_out:
        work = frame.copy()
        work.calc = calc
        raw = calc.get_property("stress_std", work)
        cal = calc.get_property("stress_std_calibrated", work)
        np.testing.assert_allclose(cal, _prediction_factor(scale["stress"]) * raw, rtol=1e-12)
        cal2.append(np.mean((cal / _prediction_factor(scale["stress"])
                             * scale["stress"].value) ** 2))
    # on its own frames, c times the raw spread is the RMS error by construction
    np.testing.assert_allclose(np.mean(cal2), np.mean(err2), rtol=1e-9)


@pytest.mark.parametrize("missing", [(0,), (2, 5), tuple(range(6))])
def test_frames_without_stress_labels_leave_the_stress_uncalibrated(members, held_out,
                                                                   missing):
    calc = Calculator(members, device="cpu")
    scale = calc.calibrate_spread(_without_stress(held_out, missing))
    assert set(scale) == {"energy", "forces"} and calc.spread_scale is scale
    atoms = held_out[1].copy()
    atoms.calc = calc
    assert calc.get_property("forces_std_calibrated", atoms).shape == (len(atoms),)
    assert np.all(calc.get_property("stress_std", atoms) >= 0)
    with pytest.raises(PropertyNotImplementedError,
                       match="stress spread is not calibrated: not every calibration frame "
                             "had a stress label"):
        calc.get_property("stress_std_calibrated", atoms)
