"""Numbers shown without an Estimate: mean shell angles, Nernst–Einstein terms, report sections.

House rule: every number a user sees carries its uncertainty and a verdict, or is clearly a
setting (``settings``) or a fit check (``diagnostics``), never a bare result beside an Estimate.
"""

import json
import math
import warnings

import numpy as np
import pytest

import mda_electrolyte as mdae
from ase_electrolyte.estimate import Estimate
from mda_electrolyte.frame_estimates import frame_average
from mda_electrolyte.shell_summary import angle_mean_estimate

_NE = {"temperature": 300.0, "n_ions": {"Li": 8, "AN": 8},
       "charges": {"Li": 1.0, "AN": -1.0}, "volume": 8000.0}
_BLOCKS = "t-scaled standard error over 10 blocks"


def test_mean_angle_is_the_pooled_ratio_with_its_error_over_frames():
    rng = np.random.default_rng(3)
    counts = rng.integers(5, 15, size=(200, 1)).astype(float)
    sums = counts * (120.0 + rng.normal(0.0, 2.0, size=counts.shape))
    est = angle_mean_estimate(sums[:, 0], counts[:, 0], n_cations=20)
    assert est.value == pytest.approx(sums.sum() / counts.sum(), rel=1e-14)
    # the linearised ratio's frame average: its error, about the spread of the frame means
    mean = sums.sum() / counts.sum()
    z = mean + (sums[:, 0] - mean * counts[:, 0]) / counts.mean()
    assert est.stderr == pytest.approx(frame_average(z, 20).stderr, rel=1e-12)
    assert est.stderr == pytest.approx(2.0 / np.sqrt(200), rel=0.5)  # frame means spread 2°
    assert est.valid and est.unit == "°"
    assert angle_mean_estimate(np.zeros(10), np.zeros(10), 20) is None  # no such angle
    short = angle_mean_estimate(sums[:3, 0], counts[:3, 0], n_cations=2)
    assert not short.valid and "too few frames: 3" in short.verdict
    assert "too few ions: 2" in short.verdict and math.isnan(short.stderr)


def test_shell_angle_results_carry_estimates():
    from tests.test_solvation import build, groups

    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    res = mdae.SolvationShells(*groups(u), cutoffs={"EC": 2.6, "PF6": 4.2}).run().results
    for kind, entry in res.angles.items():
        est = entry["estimate"]
        assert isinstance(est, Estimate) and est.value == pytest.approx(entry["mean"]), kind
        assert not est.valid and "too few frames: 1" in est.verdict
    (by_type,) = res.by_type.values()
    typed = by_type["angles"]["M-Oc-Cc"]["estimate"]
    assert typed.value == pytest.approx(by_type["angles"]["M-Oc-Cc"]["mean"])
    assert not typed.valid and "not kept per frame" in typed.verdict


def test_nernst_einstein_terms_are_estimates_with_their_errors():
    d = {"Li": Estimate(0.02, 0.002, "Å^2/ps", _BLOCKS, 10),
         "AN": Estimate(0.03, 0.004, "Å^2/ps", _BLOCKS, 10)}
    r = mdae.NernstEinstein(**_NE, diffusivities=d).results
    li, an = r.contributions["Li"], r.contributions["AN"]
    assert li.unit == "S/m" and li.valid and an.valid
    assert li.value + an.value == pytest.approx(r.conductivity.value, rel=1e-12)
    assert li.stderr / li.value == pytest.approx(0.1) and an.stderr / an.value == pytest.approx(
        4 / 30)
    assert np.hypot(li.stderr, an.stderr) == pytest.approx(r.conductivity.stderr, rel=1e-12)


def test_a_slightly_negative_diffusivity_is_propagated_and_a_clearly_negative_one_marked():
    frozen = Estimate(-0.001, 0.002, "Å^2/ps", _BLOCKS, 10)
    d = {"Li": frozen, "AN": Estimate(0.03, 0.003, "Å^2/ps", _BLOCKS, 10)}
    sigma = Estimate(1.0, 0.1, "S/m", _BLOCKS, 10)
    r = mdae.NernstEinstein(**_NE, diffusivities=d, conductivity=sigma).results
    w = r.contributions["AN"].value / 0.03
    assert r.conductivity.value == pytest.approx(w * 0.029, rel=1e-12)
    assert r.conductivity.stderr == pytest.approx(w * np.hypot(0.002, 0.003), rel=1e-12)
    assert r.conductivity.valid and r.contributions["Li"].valid
    assert r.transference_numbers["Li"].value == pytest.approx(-0.001 / 0.029)
    alpha = r.dissociation
    assert alpha.valid and alpha.value == pytest.approx(1.0 / r.conductivity.value)
    assert alpha.stderr == pytest.approx(alpha.value * np.hypot(
        0.1, r.conductivity.stderr / r.conductivity.value), rel=1e-12)
    # far below zero, or negative without an error: not noise about zero, marked
    for bad, words in ((Estimate(-0.01, 0.002, "Å^2/ps", _BLOCKS, 10), "more than 2"),
                       (-0.001, "without an error")):
        r = mdae.NernstEinstein(**_NE, diffusivities={**d, "Li": bad}).results
        assert not r.conductivity.valid and words in r.conductivity.verdict
        assert not r.contributions["Li"].valid and r.contributions["AN"].valid
        assert not r.transference_numbers["AN"].valid
    with pytest.raises(ValueError, match="diffusivity of 'Li' must be a finite number"):
        mdae.NernstEinstein(**_NE, diffusivities={**d, "Li": np.nan})
    with pytest.raises(ValueError, match="conductivity is zero"):
        mdae.NernstEinstein(**_NE, diffusivities={"Li": 0.0, "AN": 0.0})


def test_alpha_d_of_a_zero_conductivity_keeps_the_error_of_sigma():
    d = {"Li": Estimate(0.02, 0.002, "Å^2/ps", _BLOCKS, 10),
         "AN": Estimate(0.03, 0.003, "Å^2/ps", _BLOCKS, 10)}
    r = mdae.NernstEinstein(**_NE, diffusivities=d,
                            conductivity=Estimate(0.0, 0.5, "S/m", _BLOCKS, 10)).results
    alpha = r.dissociation
    assert alpha.value == 0.0 and alpha.stderr == pytest.approx(0.5 / r.conductivity.value)
    assert not alpha.valid and "not positive" in alpha.verdict


#: Sections of an analysis' summary that hold inputs and fit checks, not results.
_NOT_RESULTS = {"settings", "diagnostics"}


def _bare_numbers(obj, path=""):
    """Paths of plain numbers outside Estimates and outside settings/diagnostics."""
    if isinstance(obj, dict):
        if {"value", "stderr", "verdict", "converged"} <= set(obj):
            return []
        return [p for k, v in obj.items() if k not in _NOT_RESULTS
                for p in _bare_numbers(v, f"{path}.{k}")]
    if isinstance(obj, list):
        if obj and all(isinstance(v, (int, float)) for v in obj):
            return []  # a curve drawn in the plots
        return [p for i, v in enumerate(obj) for p in _bare_numbers(v, f"{path}[{i}]")]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return [path]
    return []


def test_transport_and_shell_summaries_show_no_bare_result(tmp_path):
    """summary.json and report.html of the transport and shell analyses: every number is an
    Estimate with its verdict, or lies under 'settings' or 'diagnostics'."""
    from ase_electrolyte.html_report import write_html_report
    from mda_electrolyte.report import run_analyses
    from tests.transport_data import integrate, ornstein_uhlenbeck, salt_universe

    rng = np.random.default_rng(1)
    n_cat, dt = 8, 0.01
    v = ornstein_uhlenbeck(rng, 600, (2 * n_cat, 3), 0.05, dt, 10.0)
    u = salt_universe(v, integrate(v, dt, rng.uniform(0, 40, size=(2 * n_cat, 3))),
                      n_cations=n_cat, dt=dt)
    names = ["green_kubo_conductivity", "einstein_helfand_conductivity", "nernst_einstein",
             "diffusion"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = run_analyses(u, tmp_path, only=names)
    stored = json.loads((tmp_path / "summary.json").read_text())
    for name in names:
        assert not {"refused", "failed", "skipped"} & set(stored[name]), stored[name]
        assert _bare_numbers(stored[name]) == [], name
    assert "D_m2_per_s" not in stored["diffusion"]
    assert set(stored["diffusion"]["diagnostics"]) == {"r2", "loglog_slope"}
    ne = stored["nernst_einstein"]
    terms = {k: Estimate.from_dict(e) for k, e in ne["contributions"].items()}
    sigma = Estimate.from_dict(stored["nernst_einstein"]["conductivity"])
    assert sum(t.value for t in terms.values()) == pytest.approx(sigma.value, rel=1e-12)
    page = write_html_report(tmp_path / "report.html", title="t", settings={},
                             summary=summary).read_text()
    assert "<th>settings</th>" in page and "<th>diagnostics</th>" in page
    assert "D_m2_per_s" not in page


def test_solvation_summary_shows_no_bare_result(tmp_path):
    from mda_electrolyte.solvation import _report
    from tests.test_solvation import build

    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    charges = np.zeros(u.atoms.n_atoms)
    charges[u.select_atoms("element Li").ix] = 1
    charges[u.select_atoms("element P").ix] = -1
    u.add_TopologyAttr("formalcharges", charges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = _report(u, tmp_path)
    from ase_electrolyte.estimate import estimates_to_dict

    assert _bare_numbers(estimates_to_dict(summary)) == []
    angle = summary["angles_mean_degrees"]["M-Oc-Cc"]
    assert isinstance(angle, Estimate) and not angle.valid and "too few ions" in angle.verdict
    assert summary["settings"]["cutoffs_angstrom"] == {"EC": 2.6, "PF6": 4.2}
    assert "cutoffs_angstrom" not in summary
