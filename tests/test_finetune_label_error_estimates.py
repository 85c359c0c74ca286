"""A model's RMS errors on labelled frames carry a calibrated uncertainty and a verdict.

``label_errors`` gives bare RMSEs (a validation error on 2 frames reads like one on 2000);
``label_error_estimates`` gives the same numbers as Estimates: the error from the scatter of the
frames' squared errors, not valid below 20 frames.
"""

import numpy as np
import pytest
from test_calibration import assert_calibrated
from tiny_models import emt_copper, tiny_committee

from ase_electrolyte.finetuning import _label_error_estimates, read_labelled

SIGMA_E, SIGMA_F, SIGMA_S = 0.01, 0.1, 1e-3  # eV/atom, eV/Å, eV/Å³ per component


@pytest.fixture(scope="module")
def frames():
    # frames of two sizes: each frame counts once in the force RMSE; 60 of them, since one
    # error per frame shows a correlation of consecutive frames only from 54 frames on
    # (error_metrics._unresolved_note)
    return read_labelled(emt_copper(30, seed=1) + emt_copper(30, seed=2, repeat=2))


def _noisy(frames, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    out = []
    for atoms in frames:
        ref = atoms.calc.results
        out.append({
            "energy": ref["energy"] + scale * rng.normal(0.0, SIGMA_E) * len(atoms),
            "forces": ref["forces"] + scale * rng.normal(0.0, SIGMA_F, (len(atoms), 3)),
            "stress": ref["stress"] + scale * rng.normal(0.0, SIGMA_S, 6),
        })
    return out


def test_the_errors_of_the_rmses_are_calibrated_over_replicas(frames):
    from ase.units import GPa

    truth = {"energy_rmse": SIGMA_E, "force_rmse": SIGMA_F * np.sqrt(3.0),
             "stress_rmse": SIGMA_S * np.sqrt(6.0) / GPa}
    z = {key: [] for key in truth}
    flagged = 0
    for seed in range(200):
        est = _label_error_estimates(frames, _noisy(frames, seed))
        for key, value in truth.items():
            # independent frames pass for correlated ones by chance (a lag-1 test at 2.3 %)
            flagged += not est[key].converged
            z[key].append((est[key].value - value) / est[key].stderr)
    assert flagged < 0.1 * 600
    for key, values in z.items():
        # the RMSE of 40 skewed squared errors lay low by about a quarter of its error
        # (measured -0.23 for the energies over two sets of 200 seeds, within ±0.08)
        assert abs(np.mean(values)) < 0.45, key
        assert_calibrated(values, what=key)
    assert est["energy_rmse"].unit == "eV/atom" and est["force_rmse"].unit == "eV/Å"
    assert est["stress_rmse"].unit == "GPa"


@pytest.mark.parametrize("n", [1, 2, 5, 19])
def test_an_rmse_over_few_frames_is_not_valid(frames, n):
    est = _label_error_estimates(frames[:n], _noisy(frames[:n], 0))
    # the forces of 19 frames of the same 4 atoms (228 components) resolve their correlation
    # and are valid (test_loop54_force_error_frames); one energy or stress per frame cannot
    for key in ("energy_rmse", "stress_rmse") + (("force_rmse",) if n < 19 else ()):
        assert not est[key].converged and est[key].notes, (key, est[key])
        assert np.isfinite(est[key].value)


def test_a_perfect_model_has_an_exact_zero_error(frames):
    est = _label_error_estimates(frames, _noisy(frames, 0, scale=0.0))
    assert all(e.value == 0.0 and e.stderr == 0.0 for e in est.values())


def test_frames_without_stress_give_no_stress_rmse(frames):
    from ase.build import molecule
    from ase.calculators.emt import EMT
    from ase.calculators.singlepoint import SinglePointCalculator

    gas = []
    for k in range(3):
        atoms = molecule("CH4")
        atoms.rattle(0.05, seed=k)
        atoms.calc = EMT()
        atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(),
                                           forces=atoms.get_forces())
        gas.append(atoms)
    gas = read_labelled(gas, check_units=False)
    pred = [{"energy": a.calc.results["energy"] + 0.1, "forces": a.calc.results["forces"]}
            for a in gas]
    est = _label_error_estimates(gas, pred)
    assert set(est) == {"energy_rmse", "force_rmse"}
    assert est["energy_rmse"].value == pytest.approx(0.1 / 5)


def test_the_values_are_those_of_label_errors_for_frames_of_one_size(tmp_path_factory):
    pytest.importorskip("sevenn")
    from ase_electrolyte.finetuning import label_error_estimates, label_errors

    model = tiny_committee(tmp_path_factory.mktemp("tiny"))[1][0]
    test = emt_copper(4, seed=21)
    bare = label_errors(model, test, device="cpu")
    est = label_error_estimates(model, test, device="cpu")
    assert est["energy_rmse"].value == pytest.approx(bare["energy_rmse"], rel=1e-9)
    assert est["force_rmse"].value == pytest.approx(bare["force_rmse"], rel=1e-9)
    # label_errors' stress in kbar, the Estimate's in GPa
    assert est["stress_rmse"].value * 10.0 == pytest.approx(bare["stress_rmse"], rel=1e-9)
    assert not est["force_rmse"].converged  # 4 frames
