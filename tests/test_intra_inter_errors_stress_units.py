"""Stress labels in GPa, kbar or bar, or as a pressure (the other sign), of a liquid; forces
stored as energy gradients (the other sign) against a model that is off.

A liquid's stresses are tenths of a GPa: in GPa read as eV/Å³ (×160) they stay below the
1 eV/Å³ that no liquid reaches, so that only the comparison with the model shows them. A
pressure in GPa (−160 times ASE's stress) was told "convert the labels" (converted, it kept
the wrong sign), and labels in GPa of a model whose stress is 0.7 times the reference's were
reported as a valid stress error of 160 times the labels' size.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors_label_checks import FRAMES, Counting  # noqa: E402

from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    MAX_LABEL_STRESS,
    STRESS_UNIT_FACTORS,
    IntraInterErrors,
    unit_doubt,
)

SLIPS = [("eV/Å³", -1.0)] + [(u, sign * f) for u, f in STRESS_UNIT_FACTORS.items()
                             for sign in (1.0, -1.0)]


def _liquid_stresses(n_frames=20, seed=0):
    """Voigt stresses (eV/Å³) of a liquid near 0.1 GPa with 0.3 GPa fluctuations."""
    rng = np.random.default_rng(seed)
    gpa = 1 / 160.21766
    diag = -0.1 * gpa + rng.normal(scale=0.3 * gpa, size=(n_frames, 3))
    off = rng.normal(scale=0.2 * gpa, size=(n_frames, 3))
    return np.hstack([diag, off])


@pytest.mark.parametrize("gain", [0.7, 1.0, 1.4])
@pytest.mark.parametrize("unit, factor", SLIPS)
def test_a_stress_in_another_unit_or_sign_is_named_for_a_model_that_is_off(unit, factor, gain):
    ref = _liquid_stresses()
    noise = np.random.default_rng(1).normal(scale=0.2 * ref.std(), size=ref.shape)
    model = gain * ref + noise
    assert unit_doubt(ref, model, "stress") is None
    doubt = unit_doubt(factor * ref, model, "stress")
    assert doubt is not None
    assert ("flip their sign" in doubt) == (factor < 0)
    assert (f"in {unit} rather than" in doubt) == (abs(factor) != 1.0)


def test_a_model_far_off_is_no_unit():
    ref = _liquid_stresses()
    # a model 5 or 1/20 times off matches no unit (GPa is 160, kbar 1602)
    for gain in (5.0, 0.2, 1 / 20):
        assert unit_doubt(ref, gain * ref, "stress") is None


def _labels(scale, factor):
    out = []
    for atoms in FRAMES:
        probe = atoms.copy()
        probe.calc = MolecularPairModel(sigma=2.4, scale=scale)
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=probe.get_potential_energy(),
                                         forces=probe.get_forces(),
                                         stress=factor * probe.get_stress())
        out.append(lab)
    return out


# the test model's stresses times 5e-4: about 0.04 GPa, a liquid's
SCALE = 5e-4


def _run(factor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stored labels without reference_isolated
        return IntraInterErrors(FRAMES, MolecularPairModel(scale=SCALE),
                                reference=_labels(SCALE, factor)).run().results


@pytest.mark.parametrize("unit, factor", [s for s in SLIPS if abs(s[1]) < 1e4])
def test_such_labels_mark_the_stress_errors_alone_with_the_reason(unit, factor):
    right = _run(1.0)
    got = _run(factor)
    assert np.max(np.abs(factor * right.stress["reference"]["total"])) < MAX_LABEL_STRESS
    for est in (got.rmse["total"]["stress"], got.rrmse["total"]["stress"]):
        assert not est.valid
        assert ("flip their sign" in est.verdict) == (factor < 0)
    # 6 frames: the six values of a stress cannot show their correlation (it takes 14), the
    # one note the right labels' stress error may carry
    assert all(n.startswith("too few frames to measure correlation")
               for n in right.rmse["total"]["stress"].notes)
    # the forces, stored right, keep their numbers and verdicts
    for c in ("total", "trans", "rot", "vib"):
        a, b = got.rmse[c]["forces"], right.rmse[c]["forces"]
        assert (a.value, a.valid) == (b.value, b.valid)


@pytest.mark.parametrize("factor", [STRESS_UNIT_FACTORS["bar"], -STRESS_UNIT_FACTORS["bar"]])
def test_a_liquids_stress_in_bar_is_refused_before_the_model_runs(factor):
    model = Counting(scale=SCALE)
    with pytest.raises(ValueError, match="no liquid is under such a stress"):
        IntraInterErrors(FRAMES, model, reference=_labels(SCALE, factor)).run()
    assert model.calls == 0


@pytest.mark.parametrize("gain", [0.6, 0.8, 1.0, 1.5])
def test_forces_of_the_other_sign_are_named_for_a_model_that_is_off(gain):
    rng = np.random.default_rng(2)
    ref = rng.normal(scale=1.5, size=(10, 30, 3))
    model = gain * ref + rng.normal(scale=0.2, size=ref.shape)
    assert unit_doubt(ref, model, "forces") is None
    doubt = unit_doubt(-ref, model, "forces")
    assert doubt is not None and "energy gradients rather than forces" in doubt


def test_forces_as_gradients_mark_every_number():
    from ase.calculators.lj import LennardJones

    ref = LennardJones(sigma=1.5, epsilon=0.01, rc=5.0, smooth=True)
    labels = []
    for atoms in FRAMES:
        probe = atoms.copy()
        probe.calc = ref
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=probe.get_potential_energy(),
                                         forces=-probe.get_forces())
        labels.append(lab)
    model = LennardJones(sigma=1.5, epsilon=0.008, rc=5.0, smooth=True)
    with pytest.warns(UserWarning, match="energy gradients rather than forces"):
        r = IntraInterErrors(FRAMES, model, reference=labels,
                             quantities=("energy", "forces")).run().results
    assert not r.rmse["total"]["forces"].valid and not r.rmse["total"]["energy"].valid
    assert all(not est.valid for est in r.softening.values())
