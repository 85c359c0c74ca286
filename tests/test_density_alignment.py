"""Compressibility and pressure-shift helpers of density alignment on bad or degenerate input:
refused by name before any fit, or marked not valid when an error is unknown."""

import re

import numpy as np
import pytest

from ase_electrolyte.density_alignment import (
    compressibility_from_fluctuations,
    compressibility_from_shifts,
    pressure_shift_for_density,
)

P = np.array([-1000.0, 0.0, 1000.0])
RHO = 1.2 * np.exp(5e-5 * P)


def _tait(rho_model, rho_target, kappa):
    """The Tait equation's shift (C = 0.0894, Dymond and Malhotra 1988), written out."""
    b = 0.0894 / kappa
    return -b * (np.exp((1 - rho_model / rho_target) / 0.0894) - 1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_shift_fit_refuses_non_finite_pressures_and_errors(bad):
    # NaN reached LAPACK ("SVD did not converge"); an infinite error dropped its point
    with pytest.raises(ValueError, match="pressures_bar must be finite"):
        compressibility_from_shifts([bad, 0.0, 1000.0], RHO)
    with pytest.raises(ValueError, match="density_errors must be positive and finite"):
        compressibility_from_shifts(P, RHO, [bad, 0.01, 0.01])


def test_a_compressibility_without_an_error_gives_no_valid_shift():
    # two points without density errors: kappa_error is NaN; it was counted as 0, giving a
    # shift of error 0 marked valid
    fit = compressibility_from_shifts(P[:2], RHO[:2])
    assert fit.kappa_per_bar == pytest.approx(5e-5, rel=1e-9) and np.isnan(fit.kappa_error)
    shift = pressure_shift_for_density(1.18, 1.204, fit)
    assert shift.delta_bar == pytest.approx(_tait(1.18, 1.204, 5e-5), rel=1e-9)
    assert not shift.valid and "too few points" in shift.note
    # three points on a line: an error of 0 from one degree of freedom, not valid either
    three = compressibility_from_shifts(P, RHO)
    assert three.kappa_error == pytest.approx(0, abs=1e-12)
    assert not pressure_shift_for_density(1.18, 1.204, three).valid
    explicit = pressure_shift_for_density(1.18, 1.204, 5e-5, kappa_error=np.nan,
                                          rho_model_error=0.002)
    assert not explicit.valid and "no error estimate" in explicit.note
    known = pressure_shift_for_density(1.18, 1.204, 5e-5, kappa_error=1e-6,
                                       rho_model_error=0.002)
    assert known.valid and known.note == ""


@pytest.mark.parametrize("name, kwargs", [
    ("rho_model", {"rho_model": np.inf}),
    ("rho_model", {"rho_model": "1.18"}),
    ("rho_target", {"rho_target": np.nan}),
    ("rho_model_error", {"rho_model_error": np.nan}),
    ("rho_model_error", {"rho_model_error": -0.01}),
    ("rho_target_error", {"rho_target_error": np.inf}),
    ("kappa_error", {"kappa_error": -1e-6}),
    ("compressibility", {"kappa_per_bar": np.inf}),
    ("compressibility", {"kappa_per_bar": "8e-5"}),
])
def test_pressure_shift_refuses_bad_numbers_by_name(name, kwargs):
    # an infinite density gave ΔP = inf marked valid, a NaN error an error bar of NaN, a
    # negative error was squared away, a string density a TypeError
    args = {"rho_model": 1.18, "rho_target": 1.204, "kappa_per_bar": 8e-5, **kwargs}
    with pytest.raises(ValueError, match=name):
        pressure_shift_for_density(args.pop("rho_model"), args.pop("rho_target"),
                                   args.pop("kappa_per_bar"), **args)


@pytest.mark.parametrize("rho_target", [1e-30, 0.5, 0.9, 1.18 * 1.3, 8.0])
def test_a_target_density_outside_a_pressure_shifts_reach_gives_no_valid_shift(rho_target):
    """Targets a factor 1.25 or more from the model's 1.18 g/cm³ (a vacuum, another phase, a
    unit slip): a constant compressibility cannot carry the density there; 1e-30 g/cm³ gave
    a 'valid' shift of 1.7e6 bar. The shift is marked not valid, and align_density refuses
    it before any training."""
    from ase_electrolyte.density_alignment import align_density

    shift = pressure_shift_for_density(1.18, rho_target, 8e-5)
    assert not shift.valid and not shift.estimate.valid
    assert re.search(r"rho_target = .* × rho_model = 1.18 g/cm\^3, beyond a factor 1.25",
                     shift.note)
    with pytest.raises(ValueError, match=r"the pressure shift is not valid: rho_target"):
        align_density("no-such-model.pth", [], shift, epochs=1)
    # within reach: the Tait equation's shift, valid (the linear response -ln(ratio)/κ was
    # 2.7 times smaller at this 20 % difference)
    near = pressure_shift_for_density(1.18, 1.18 * 1.2, 8e-5, rho_model_error=0.002)
    assert near.valid and near.delta_bar == pytest.approx(_tait(1.18, 1.18 * 1.2, 8e-5))


@pytest.mark.parametrize("name, kwargs", [
    ("temperature_K", {"temperature_K": "300"}),
    ("temperature_K", {"temperature_K": np.nan}),
    ("dt", {"dt": np.nan}),
    ("dt", {"dt": -0.01}),
])
def test_fluctuation_compressibility_refuses_bad_numbers_by_name(name, kwargs):
    # a string temperature was a numpy ufunc TypeError; a NaN dt reported "the first nan ps"
    v = 2e4 + 50 * np.random.default_rng(0).standard_normal(100)
    args = {"temperature_K": 300.0, **kwargs}
    with pytest.raises(ValueError, match=name):
        compressibility_from_fluctuations(v, args.pop("temperature_K"), **args)


class _GivenPressure:
    """An ASE calculator whose pressure on a frame is ``atoms.info['p_bar']`` (isotropic)."""

    @staticmethod
    def make():
        from ase.calculators.calculator import Calculator, all_changes
        from ase.units import bar

        class Given(Calculator):
            implemented_properties = ["energy", "forces", "stress"]

            def calculate(self, atoms=None, properties=("stress",), system_changes=all_changes):
                super().calculate(atoms, properties, system_changes)
                p = atoms.info["p_bar"] * bar
                self.results = {"energy": 0.0, "forces": np.zeros((len(atoms), 3)),
                                "stress": np.array([-p, -p, -p, 0.0, 0.0, 0.0])}

        return Given()


def _frames(pressures):
    from ase import Atoms

    frames = []
    for k, p in enumerate(pressures):
        # distinct positions: the calculator recomputes (a change of info alone is cached)
        atoms = Atoms("Ar", positions=[[0.001 * k, 0, 0]], cell=[5, 5, 5], pbc=True)
        atoms.info["p_bar"] = float(p)
        frames.append(atoms)
    return frames


def test_mean_pressure_is_an_estimate_with_its_t_scaled_error_and_verdict():
    from ase_electrolyte.density_alignment import MeanPressure, mean_pressure
    from mda_electrolyte.uncertainty import t_factor

    rng = np.random.default_rng(5)
    p = 100.0 + 30.0 * rng.standard_normal(12)
    res = mean_pressure(_GivenPressure.make(), _frames(p))
    mean, err, values = res  # unpacks as before: (mean, error, per-frame)
    assert isinstance(res, MeanPressure) and np.allclose(values, p, rtol=1e-12)
    est = res.estimate
    assert est.value == pytest.approx(p.mean(), rel=1e-12) == mean
    assert est.unit == "bar" and est.stderr == err
    # 12 pressures, one per frame, cannot show whether the frames are correlated (54 can)
    assert not est.valid and "too few frames to measure correlation" in est.verdict
    plain = p.std(ddof=1) / np.sqrt(p.size)
    assert err >= plain * t_factor(11) * (1 - 1e-12)  # never the plain, unscaled SEM
    # independent frames: the t-scaled error covers the true mean about 68 % of the time
    hits = 0
    for _ in range(400):
        z = MeanPressure(0, 0, 100.0 + 30.0 * rng.standard_normal(8)).estimate
        hits += abs(z.value - 100.0) < z.stderr
    assert 0.62 < hits / 400 < 0.85
    # correlated MD frames (AR(1), tau ~ 20 frames): the statistical-inefficiency error, several
    # times the naive SEM, not the naive one
    x = np.zeros(400)
    for i in range(1, x.size):
        x[i] = 0.95 * x[i - 1] + rng.standard_normal()
    corr = MeanPressure(0, 0, x).estimate
    assert corr.stderr > 3 * x.std(ddof=1) / np.sqrt(x.size)
    assert "inefficiency" in corr.method and corr.n_samples < 100


@pytest.mark.parametrize("pressures, words", [
    ([5.0], "a single frame"),
    ([5.0, 7.0, 6.0], "too few frames: 2 degrees of freedom"),
    ([5.0] * 8, "no fluctuation: the pressure is 5 bar in all 8 frames"),
])
def test_mean_pressure_that_cannot_be_trusted_is_marked(pressures, words):
    from ase_electrolyte.density_alignment import mean_pressure

    res = mean_pressure(_GivenPressure.make(), _frames(pressures))
    assert res.mean_bar == pytest.approx(np.mean(pressures))
    assert not res.estimate.valid and words in res.estimate.verdict


def test_mean_pressure_refuses_bad_frames_before_any_calculation():
    from ase import Atoms

    from ase_electrolyte.density_alignment import mean_pressure

    calc = _GivenPressure.make()
    with pytest.raises(ValueError, match="at least one 3D-periodic frame"):
        mean_pressure(calc, [])
    slab = _frames([1.0, 2.0])
    slab[1].pbc = [True, True, False]
    with pytest.raises(ValueError, match="frame 1 is not 3D-periodic"):
        mean_pressure(calc, slab)
    with pytest.raises(TypeError, match="frame 0 is a str"):
        mean_pressure(calc, ["a.xyz"])
    nan = _frames([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="frame 1: the model's pressure is nan"):
        mean_pressure(calc, nan)
    one = mean_pressure(calc, _frames([3.0])[0])  # one Atoms: one frame, not its atoms
    assert one.mean_bar == pytest.approx(3.0) and isinstance(_frames([1])[0], Atoms)


def test_a_volume_series_with_a_slow_start_up_transient_gives_no_valid_compressibility():
    """A transient left after equilibration detection inflates <δV²>: κ_T is 'not converged'.

    AR(1) volumes (φ = 0.9, 2000 samples) plus a decay of 3 standard deviations over 30 % of
    the run: 0 of 40 replicas valid (10 of these 12 were before, as the density in
    tests/test_calibration_transients.py); the same series without it stay valid (38 of 40).
    """
    from scipy.signal import lfilter

    rng = np.random.default_rng(0)
    n, sd = 2000, 5.0
    t = np.arange(n)
    valid_stationary = valid_transient = 0
    for _ in range(12):
        noise = lfilter([1.0], [1.0, -0.9], rng.normal(size=n)) * np.sqrt(1 - 0.81) * sd
        valid_stationary += compressibility_from_fluctuations(1000 + noise, 300.0).valid
        drifting = compressibility_from_fluctuations(
            1000 + noise + 3 * sd * np.exp(-t / (0.3 * n)), 300.0)
        valid_transient += drifting.valid
    assert valid_transient == 0
    assert valid_stationary >= 10
    assert drifting.notes[0].startswith("not converged: a relaxation over")


@pytest.mark.parametrize("name, error, words", [
    ("run.xyz", ValueError, "suffix '.xyz'"),
    ("run", ValueError, "without a suffix"),
    ("missing_folder/run.h5md", ValueError, "does not exist"),
    (b"run.h5md", TypeError, "file name"),
])
def test_npt_density_names_a_bad_trajectory_before_loading_the_model(tmp_path, monkeypatch,
                                                                      name, error, words):
    from ase.build import bulk

    import ase_electrolyte.calculator as calculator_module
    from ase_electrolyte.density_alignment import npt_density

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded before the trajectory name was checked")

    monkeypatch.setattr(calculator_module, "Calculator", no_model)
    monkeypatch.chdir(tmp_path)
    copper = bulk("Cu", cubic=True)
    with pytest.raises(error, match=re.escape(words)):
        npt_density("sevennet-0", copper, temperature_K=300.0, steps=10, trajectory=name)
    assert list(tmp_path.iterdir()) == []
