"""One frame given several times has no scatter over frames, so its errors have no error.

The rule of the transport analyses and of the volume scan ("no scatter": values that agree to
rounding in every segment or frame give no error) holds for the error metrics as well: a
streamed analysis (IntraInterErrors' PairStream) of one frame given 30 times reported its force
RMSE as "1.93 ± 0 eV/Å (valid)" and its RRMSE and fits ± 1e-16, valid. Distinct frames keep
their exact cases: a model equal to the reference, a model proportional to it.
"""
import math

import numpy as np
import pytest

from mda_electrolyte.error_metrics import PairStream, error_estimates, fit_estimates

N_FRAMES = 30


def _frame_pair(seed, n_items, p):
    rng = np.random.default_rng(seed)
    ref = rng.normal(size=(n_items, p))
    return ref, 0.9 * ref + 0.3 * rng.normal(size=(n_items, p))


def _streamed(frames, n_items, p):
    stream = PairStream({"all": np.arange(n_items)}, p)
    for k, (ref, mod) in enumerate(frames):
        stream.add(k, ref, mod)
    return stream


@pytest.mark.parametrize("n_items, p", [(1, 1), (24, 3), (40, 1)])
@pytest.mark.parametrize("path", ["stream", "arrays"])
def test_one_frame_repeated_has_an_unknown_error(n_items, p, path):
    frames = [_frame_pair(0, n_items, p)] * N_FRAMES
    if path == "stream":
        stream = _streamed(frames, n_items, p)
        rmse, rrmse = stream.estimates("all", "eV/Å")
        fits = stream.fits("all", "eV/Å")
    else:
        ref = np.stack([f[0] for f in frames])
        mod = np.stack([f[1] for f in frames])
        axes = 1 if p > 1 else 0
        rmse, rrmse = error_estimates(ref, mod, "eV/Å", component_axes=axes)
        fits = fit_estimates(ref, mod, "eV/Å")
    # the value is that of the one frame
    ref0, mod0 = frames[0]
    assert rmse.value == pytest.approx(math.sqrt(np.mean((mod0 - ref0) ** 2)), rel=1e-12)
    named = [rmse, fits["slope_origin"]]
    if n_items * p >= 3:  # a least-squares line and an RRMSE need a varying reference
        named += [rrmse, fits["slope"], fits["intercept"], fits["r2"]]
    for est in named:
        assert not est.converged, est
        assert math.isnan(est.stderr), est
        assert any(n.startswith("no scatter") for n in est.notes), est.notes


@pytest.mark.parametrize("path", ["stream", "arrays"])
@pytest.mark.parametrize("case", ["offset", "proportional", "exact"])
def test_distinct_frames_with_an_exact_relation_keep_their_exact_error(path, case):
    # frames that differ, with an error the same in every value (energies off by a constant),
    # a model proportional to the reference, or equal to it: not one frame repeated
    rng = np.random.default_rng(5)
    ref = rng.normal(size=(80, 12, 1))
    mod = {"offset": ref + 0.25, "proportional": 0.8 * ref, "exact": ref.copy()}[case]
    if path == "stream":
        stream = _streamed(zip(ref, mod, strict=True), 12, 1)
        rmse, _ = stream.estimates("all", "eV")
        fits = stream.fits("all", "eV")
    else:
        rmse, _ = error_estimates(ref, mod, "eV")
        fits = fit_estimates(ref, mod, "eV")
    assert not any(n.startswith("no scatter") for n in rmse.notes), rmse.notes
    if case != "proportional":
        # the same error in every value, exactly: the rounding of ref + 0.25 - ref is no
        # correlation of the frames (it read as 80 frames correlated over 600)
        assert rmse.value == pytest.approx({"offset": 0.25, "exact": 0.0}[case], abs=1e-12)
        assert rmse.stderr == pytest.approx(0.0, abs=1e-12)
        assert rmse.converged, rmse.notes
    else:
        slope = fits["slope_origin"]
        assert slope.value == pytest.approx({"proportional": 0.8, "exact": 1.0}[case])
        assert slope.converged, slope.notes


def test_repeated_frames_among_distinct_ones_are_judged_as_usual():
    # two frames the same in a run of different ones: scatter remains, the error is measured
    frames = [_frame_pair(s, 24, 3) for s in range(N_FRAMES)]
    frames[1] = frames[0]
    rmse, _ = _streamed(frames, 24, 3).estimates("all", "eV/Å")
    assert math.isfinite(rmse.stderr) and rmse.stderr > 0
    assert not any(n.startswith("no scatter") for n in rmse.notes), rmse.notes
