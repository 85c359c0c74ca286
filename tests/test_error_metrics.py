"""RMSE, RRMSE and softening fits of error_metrics on degenerate values: complex numbers, huge
magnitudes, a constant model and too few values each get a clear answer or a named reason."""

import numpy as np
import pytest

from mda_electrolyte.error_metrics import error_estimates, fit_estimates

# ten frames: over fewer, twelve values per frame cannot show whether the frames are
# correlated (error_metrics._unresolved_note)
REF = np.random.default_rng(0).normal(size=(10, 4, 3))


@pytest.mark.parametrize("which", ["reference", "model"])
def test_complex_values_are_refused(which):
    # the imaginary part was dropped with a ComplexWarning and the RMSE reported as 0, valid
    values = {"reference": REF, "model": REF.copy()}
    values[which] = values[which] + 1j
    for function in (error_estimates, fit_estimates):
        with pytest.raises(ValueError, match=f"the {which} values: complex values, not real"):
            function(values["reference"], values["model"], "eV/Å")


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_results_scale_with_the_values(scale):
    # at 1e200 the squares overflowed: the RMSE failed on NaN per-frame errors, and the fits said
    # "the reference does not vary"
    model = 1.1 * REF + 0.01
    rmse, rrmse = error_estimates(REF, model, "eV/Å")
    big_rmse, big_rrmse = error_estimates(REF * scale, model * scale, "eV/Å")
    assert big_rmse.value == pytest.approx(rmse.value * scale, rel=1e-9)
    assert big_rmse.stderr == pytest.approx(rmse.stderr * scale, rel=1e-9)
    assert big_rrmse.value == pytest.approx(rrmse.value, rel=1e-9)
    assert big_rmse.valid and big_rrmse.valid
    fits, big = fit_estimates(REF, model, "eV/Å"), fit_estimates(REF * scale, model * scale, "eV/Å")
    for name in ("slope_origin", "slope", "r2"):
        assert big[name].value == pytest.approx(fits[name].value, rel=1e-9)
        assert big[name].valid
    assert big["intercept"].value == pytest.approx(fits["intercept"].value * scale, rel=1e-9)


def test_a_constant_model_has_an_undefined_r2_for_its_own_reason():
    # was "the reference does not vary", of a reference that varies
    fits = fit_estimates(REF, np.zeros_like(REF), "eV/Å")
    assert not fits["r2"].valid and fits["r2"].verdict == "the model does not vary: R² undefined"
    assert fits["slope"].valid and fits["slope"].value == 0.0


def test_two_values_are_too_few_for_a_line_for_that_reason():
    # was "the reference does not vary", of a reference [0, 1]
    fits = fit_estimates(np.array([0.0, 1.0]), np.array([0.0, 1.1]), "eV")
    for name in ("slope", "intercept", "r2"):
        assert not fits[name].valid
        assert "2 value(s): a line fit needs at least 3" in fits[name].verdict


def test_rrmse_of_vectors_and_tensors_uses_the_mean_component_and_ignores_rotations():
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(3)
    # forces with a large common drift along x: about the scalar mean the spread would mix axes
    ref = rng.normal(size=(4, 5, 3)) + [5.0, 0.0, 0.0]
    mod = ref + rng.normal(scale=0.2, size=ref.shape)
    _, rr = error_estimates(ref, mod, "eV/Å", component_axes=1)
    expected = np.sqrt(((mod - ref) ** 2).sum() / ((ref - ref.mean(axis=(0, 1))) ** 2).sum())
    assert rr.value == pytest.approx(expected, rel=1e-12)
    rot = Rotation.from_euler("xyz", [40, -25, 70], degrees=True).as_matrix()
    r_rot, rr_rot = error_estimates(ref @ rot.T, mod @ rot.T, "eV/Å", component_axes=1)
    assert rr_rot.value == pytest.approx(rr.value, rel=1e-10)
    # stress tensors (n_frames, 3, 3): rotated as R S Rᵀ
    s_ref = rng.normal(size=(4, 3, 3))
    s_ref = s_ref + np.swapaxes(s_ref, 1, 2) + 3.0 * np.eye(3)
    s_mod = s_ref + 0.1 * rng.normal(size=s_ref.shape)
    s_mod = 0.5 * (s_mod + np.swapaxes(s_mod, 1, 2))
    a = error_estimates(s_ref, s_mod, "eV/Å^3", component_axes=2)
    b = error_estimates(rot @ s_ref @ rot.T, rot @ s_mod @ rot.T, "eV/Å^3", component_axes=2)
    for x, y in zip(a, b, strict=True):
        assert y.value == pytest.approx(x.value, rel=1e-10)
    with pytest.raises(ValueError, match="component_axes"):
        error_estimates(REF[:, 0, 0], REF[:, 0, 0], "eV/Å", component_axes=2)
