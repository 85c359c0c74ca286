"""The summary says when its replicas' scatter contradicts their in-run error bars.

Measured before: 6 replicas of a density whose in-run errors are 10 times too small (scatter
0.01 g/cm^3, errors 0.001) made a valid row with nothing said, and so did 6 whose errors are 20
times too large (replicas agreeing far better than their error bars allow: not independent,
so the error over them is too small, or bars too wide); the summary did not read the in-run
errors at all. Now the ``error_bars`` column says either; the second makes the row not valid
(its error, the replicas' scatter, is then in doubt), the first leaves the row's error (that
scatter) standing.

The check is Welch's (1951) test of the replicas' means with their own (estimated) errors,
at 0.001 on each side: Cochran's χ² where the errors are normal; checked against
statsmodels' Welch ANOVA of the raw samples, and calibrated over replicas.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_screen50_summary_rows_as_text import PLAN

from ase_electrolyte.screen import aggregate, load_plan
from ase_electrolyte.screen.aggregate import BOOTSTRAP_BELOW, _row
from ase_electrolyte.screen.engine import _prepare_outdir
from ase_electrolyte.screen.task import write_json

T1 = stats.t.ppf(stats.norm.cdf(1.0), np.arange(1, 200))  # t_{0.8413}(ν) at ν = index + 1


def _group(values, errors, dofs):
    n = len(values)
    return {"valid": [True] * n, "value": list(values), "verdict": ["valid"] * n,
            "error": list(errors), "error_dof": list(dofs)}


def _replicas(rng, n, m, sigma, error_factor=1.0):
    """``n`` replicas, each the mean of ``m`` normal samples of spread ``sigma`` (one per
    replica): their means, t-scaled in-run errors (``m - 1`` dof) times ``error_factor``, and
    the samples."""
    samples = [5.0 + s * rng.standard_normal(m) for s in sigma]
    means = np.array([x.mean() for x in samples])
    errors = np.array([T1[m - 2] * x.std(ddof=1) / math.sqrt(m) for x in samples])
    return means, errors * error_factor, samples


@pytest.mark.parametrize("n", [5, 8])
@pytest.mark.parametrize("m", [7, 11, None], ids=["6dof", "10dof", "normal"])
@pytest.mark.parametrize("factor, word", [(0.1, "more"), (20.0, "less")])
def test_error_bars_far_from_the_scatter_are_said(n, m, factor, word):
    rng = np.random.default_rng(n * 1000 + (m or 0))
    flagged = 0
    for _ in range(100):
        sigma = rng.uniform(0.5, 2.0, n)
        if m is None:
            values, errors, dofs = 5.0 + sigma * rng.standard_normal(n), sigma * factor, \
                [math.nan] * n
        else:
            values, errors, _ = _replicas(rng, n, m, sigma, factor)
            dofs = [m - 1.0] * n
        row = _row(_group(values, errors, dofs), n, [])
        if f"scatter {word} than their in-run errors allow" in row["error_bars"]:
            # scattering less: the error over replicas is in doubt, the row not valid
            assert row["valid"] == (word == "more")
            assert (row["error_bars"] in row["verdict"]) == (word == "less")
            # the row's own numbers are still the replicas' plain mean
            assert row["mean"] == pytest.approx(np.mean(values), rel=1e-12)
            flagged += 1
        else:
            assert row["error_bars"].startswith("consistent")
    assert flagged >= 90


@pytest.mark.parametrize("n, m, most", [(3, 7, 12), (5, 7, 12), (5, 11, 12), (5, None, 12),
                                        (10, 11, 12), (10, None, 12), (10, 7, 12)])
def test_honest_error_bars_are_flagged_about_as_often_as_stated(n, m, most):
    """2 × 0.001 of rows whose in-run errors are right: at most 12 of 2000 (a binomial tail
    of 2e-4 at the stated rate); the χ² taking estimated errors as exact flagged 3 to 7 times
    that many. Welch's approximation alone flagged 10 replicas of 6 dof each about twice the
    stated rate; the parametric bootstrap holds it (screen53_error_bar_rate)."""
    from ase_electrolyte.screen.aggregate import _scatter_note

    rng = np.random.default_rng(7 + n + (m or 0))
    flagged = 0
    for _ in range(2000):
        sigma = rng.uniform(0.5, 2.0, n)
        if m is None:
            values, errors, dofs = 5.0 + sigma * rng.standard_normal(n), sigma, [math.nan] * n
        else:
            values, errors, _ = _replicas(rng, n, m, sigma)
            dofs = [m - 1.0] * n
        flagged += _scatter_note(values, errors, dofs)[0].startswith("error bars not")
    assert flagged <= most


@pytest.mark.parametrize("seed", range(6))
def test_cochrans_chi2_of_normal_errors_is_scipys(seed):
    from ase_electrolyte.screen.aggregate import _scatter_test

    rng = np.random.default_rng(seed)
    n = 4 + seed
    sigma = rng.uniform(0.5, 2.0, n)
    values = 5.0 + 3.0 * sigma * rng.standard_normal(n)  # scattered: a p of any size
    f, d1, d2 = _scatter_test(values, sigma, [math.nan] * n)
    mean = np.average(values, weights=sigma**-2)
    chi2 = np.sum(((values - mean) / sigma) ** 2)
    assert (d1, d2) == (n - 1, math.inf)
    assert f * d1 == pytest.approx(chi2, rel=1e-12)
    note, _ = _scatter_note_of(values, sigma, [math.nan] * n)
    p = stats.chi2.sf(chi2, n - 1)
    assert ("scatter more" in note) == (p < 0.001)
    assert f"P(≥ that) = {p:.2g}" in note


def _scatter_note_of(values, errors, dofs):
    from ase_electrolyte.screen.aggregate import _scatter_note

    return _scatter_note(values, errors, dofs)


@pytest.mark.parametrize("seed", range(8))
def test_welchs_test_is_statsmodels_welch_anova_of_the_raw_samples(seed):
    oneway = pytest.importorskip("statsmodels.stats.oneway")
    from ase_electrolyte.screen.aggregate import _scatter_test

    rng = np.random.default_rng(seed)
    n = 3 + seed % 5
    sizes = rng.integers(6, 30, n)
    samples = [5.0 + rng.uniform(0.5, 2.0) * rng.standard_normal(k) + 0.3 * seed * j
               for j, k in enumerate(sizes)]
    values = [x.mean() for x in samples]
    errors = [T1[len(x) - 2] * x.std(ddof=1) / math.sqrt(len(x)) for x in samples]
    f, d1, d2 = _scatter_test(values, errors, [len(x) - 1.0 for x in samples])
    want = oneway.anova_oneway(samples, use_var="unequal")
    assert f == pytest.approx(want.statistic, rel=1e-9)
    assert (d1, d2) == pytest.approx(tuple(want.df), rel=1e-9)
    note, _ = _scatter_note_of(values, errors, [len(x) - 1.0 for x in samples])
    if want.pvalue >= BOOTSTRAP_BELOW:
        assert "scatter more" not in note
        assert f"P(≥ that) = {want.pvalue:.2g}" in note
    else:
        # Welch's P is quoted; the parametric bootstrap decides (screen53_error_bar_rate)
        assert f"({want.pvalue:.2g} by Welch's F law)" in note


@pytest.mark.parametrize("errors", [[0.01, 0.0, 0.01], [0.01, math.nan, 0.01],
                                    [0.01, math.inf, 0.01]])
def test_a_replica_without_a_usable_error_leaves_the_check_out(errors):
    row = _row(_group([1.0, 2.0, 3.0], errors, [math.nan] * 3), 3, [])
    assert "error bars" not in row["verdict"]
    assert row["error_bars"].startswith("not checked: a valid replica has no in-run error")


def test_excluded_replicas_are_not_in_the_check():
    group = _group([1.0, 1.01, 0.99, 1.02, 0.98, 50.0], [0.01] * 6, [math.nan] * 6)
    group["valid"][-1], group["verdict"][-1] = False, "no plateau"
    row = _row(group, 6, [])
    assert row["error_bars"].startswith("consistent")
    assert row["mean"] == pytest.approx(1.0)


def _result(t, value, error):
    return {"task": t.id, "status": "done", "seed": t.seed, "properties": {
        "density": {"value": value, "stderr": error, "unit": "g/cm^3", "converged": True,
                    "verdict": "valid", "dof": 10}}}


@pytest.mark.parametrize("error, word", [(0.001, "more"), (0.2, "less"), (0.01, None)])
def test_the_summary_table_says_it(tmp_path, error, word):
    plan = load_plan({**PLAN, "replicas": 6})
    out = tmp_path / "out"
    _prepare_outdir(plan, out)
    scatter = [0.0, 0.012, -0.009, 0.004, -0.015, 0.008]  # sd 0.01 g/cm^3
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        write_json(folder / "result.json", _result(t, 1.25 + scatter[r], error))
    row = aggregate(out, plots=False).iloc[0]
    assert row["mean"] == pytest.approx(1.25 + np.mean(scatter), rel=1e-12)
    written = pd.read_csv(out / "summary.csv").iloc[0]
    assert written["error_bars"] == row["error_bars"]
    if word is None:
        assert row["valid"] and row["verdict"] == "valid"
        assert row["error_bars"].startswith("consistent (Welch's F = ")
    else:
        said = f"error bars not consistent: the replicas scatter {word}"
        assert row["error_bars"].startswith(said)
        assert row["valid"] == (word == "more")
        assert (said in row["verdict"]) == (word == "less")
