"""The analyses' plot() methods on small synthetic results: numbers that are not valid are marked,
errors are drawn where the Estimates have them, axes carry units, a given Axes is drawn into and
returned, bad plot arguments and empty results end in a clear error or a labelled empty panel, and
no plot hands matplotlib a NaN (a warning) or raises from inside it.
"""

import math
import re
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from test_fault_catalogue_analysis import _liquid, _model, _molecular_frames, _salt, _shells
from test_viscosity import pressure_process
from transport_data import IONS

import mda_electrolyte as mdae
from ase_electrolyte.estimate import Estimate
from mda_electrolyte import density as density_module
from mda_electrolyte.plotting import INVALID_HATCH, estimate_bars

matplotlib.use("Agg")


def _quiet(make):
    """Run an analysis factory with its own (expected) warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make()


def _plot(call):
    """Call a plot with every warning an error: no NaN handed to matplotlib, no empty legend."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


def _stamp(ax):
    return [t.get_text() for t in ax.texts if t.get_text().startswith("NOT VALID")]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# every plot that draws one Axes: (name, factory of the run analysis, x unit, y unit)
_SALT_RUNS = {}


def _salt_run(cls, **kw):
    def make():
        key = (cls, tuple(sorted(kw.items())))
        if key not in _SALT_RUNS:
            _SALT_RUNS[key] = _quiet(lambda: cls(_salt(), IONS, **kw).run())
        return _SALT_RUNS[key]
    return make


SINGLE = [
    ("GreenKuboConductivity",
     _salt_run(mdae.GreenKuboConductivity, temperature=300.0, n_blocks=2, max_lag=0.05),
     "ps", "S/m"),
    ("EinsteinHelfandConductivity",
     _salt_run(mdae.EinsteinHelfandConductivity, temperature=300.0, n_blocks=2), "ps", "e² Å²"),
    ("Diffusion", _salt_run(mdae.Diffusion, n_blocks=2), "ps", "Å²"),
    ("OnsagerCoefficients", _salt_run(mdae.OnsagerCoefficients, temperature=300.0, n_blocks=2),
     None, None),
    ("NernstEinstein", lambda: mdae.NernstEinstein(
        temperature=300.0, diffusivities={"Li": 1.0, "AN": 0.5}, n_ions={"Li": 4, "AN": 4},
        charges={"Li": 1, "AN": -1}, volume=8000.0), None, "S/m"),
    ("GreenKuboViscosity", lambda: _quiet(lambda: mdae.GreenKuboViscosity(
        pressure_process(6, n=2000), temperature=300.0, volume=2e4, dt=0.01,
        max_lag=1.0).run()), "ps", "mPa·s"),
    ("EinsteinHelfandViscosity", lambda: _quiet(lambda: mdae.EinsteinHelfandViscosity(
        pressure_process(6, n=2000), temperature=300.0, volume=2e4, dt=0.01).run()),
     "ps", "bar² ps²"),
    ("Density", lambda: mdae.Density(np.random.default_rng(0).normal(1.2, 0.01, 400),
                                     dt=0.01).run(), "ps", "g/cm³"),
    ("EquationOfState", lambda: mdae.EquationOfState([1.2, 1.21, 1.22, 1.23],
                                                     [-150, -40, 60, 180]).run(),
     "g/cm³", "bar"),
    ("TaitCompressibility", lambda: _quiet(lambda: mdae.TaitCompressibility(
        [1, 100, 200, 300, 400], [100, 99.5, 99, 98.6, 98.1]).run()), "bar", "Å³"),
    ("ThermalExpansion", lambda: mdae.ThermalExpansion([280, 300, 320, 340],
                                                       [1.22, 1.21, 1.2, 1.19]).run(),
     "K", "g/cm³"),
    ("RigidVolumeScan", lambda: _quiet(lambda: mdae.RigidVolumeScan(
        mdae.from_ase(_molecular_frames()).atoms, _model(), scales=[1.0, 1.1]).run()),
     None, "meV/atom"),
]
SINGLE_IDS = [s[0] for s in SINGLE]


@pytest.mark.parametrize("name,make,x_unit,y_unit", SINGLE, ids=SINGLE_IDS)
def test_a_given_axes_is_drawn_into_returned_and_labelled_with_units(name, make, x_unit, y_unit):
    analysis = make()
    fig_mine, _ = plt.subplots()
    fig, ax = plt.subplots()
    plt.figure(fig_mine.number)
    out = _plot(lambda: analysis.plot(ax=ax))
    assert out is ax and ax.has_data() or ax.images
    assert plt.gcf() is fig_mine   # the caller's current figure is left as it was
    for unit, label in ((x_unit, ax.get_xlabel()), (y_unit, ax.get_ylabel())):
        if unit is not None:
            assert f"({unit})" in label or f"({unit.replace('²', '^2')})" in label, label
    # a second call makes the same figure again (nothing in the results changed by drawing)
    first, second = _plot(analysis.plot), _plot(analysis.plot)
    assert first.figure is not second.figure

    def artists(a):
        return (len(a.lines), len(a.collections), len(a.patches), a.get_title(),
                [t.get_text() for t in a.texts])
    assert artists(first) == artists(second)


@pytest.mark.parametrize("name,make,x_unit,y_unit", SINGLE, ids=SINGLE_IDS)
@pytest.mark.parametrize("bad", ["figure", "array", "string"])
def test_something_other_than_an_axes_is_refused_before_drawing(name, make, x_unit, y_unit, bad):
    analysis = make()
    fig, axes = plt.subplots(1, 2)
    ax = {"figure": fig, "array": axes, "string": "ax"}[bad]
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        analysis.plot(ax=ax)
    assert not any(a.has_data() for a in axes)


def test_bars_of_estimates_carry_their_errors_and_hatch_only_the_invalid_ones():
    _, ax = plt.subplots()
    good = Estimate(2.0, 0.3, "S/m", "m", 10)
    bad = Estimate.invalid(1.0, 0.2, "S/m", "m", "too short", 3)
    nan = Estimate.invalid(float("nan"), float("nan"), "S/m", "m", "not finite", 3)
    bars = _plot(lambda: estimate_bars(ax, ["a", "b", "c"], [good, bad, nan]))
    assert [b.get_height() for b in bars] == [2.0, 1.0, 0.0]   # NaN: no bar, no warning
    assert [b.get_hatch() for b in bars] == [None, INVALID_HATCH, INVALID_HATCH]
    (segments,) = [c.get_segments() for c in ax.collections]
    np.testing.assert_allclose([s[1, 1] - s[0, 1] for s in segments], [0.6, 0.4, 0.0])
    with pytest.raises(ValueError, match="2 labels for 3 estimates"):
        estimate_bars(ax, ["a", "b"], [good, bad, nan])


def test_bars_of_several_units_or_a_colour_list_of_another_length_are_refused():
    """Two conductivities, 1 mS/cm and 0.1 S/m (the same number), drawn ten times apart on one
    axis; a short colour list was cycled without a word."""
    _, ax = plt.subplots()
    ms_cm = Estimate(1.0, 0.1, "mS/cm", "m", 10)
    s_m = Estimate(0.1, 0.01, "S/m", "m", 10)
    with pytest.raises(ValueError, match=r"estimates are in \['mS/cm', 'S/m'\]"):
        estimate_bars(ax, ["a", "b"], [ms_cm, s_m])
    with pytest.raises(ValueError, match="1 colors for 2 bars"):
        estimate_bars(ax, ["a", "b"], [s_m, s_m], colors=["k"])
    assert not ax.has_data()
    bars = estimate_bars(ax, ["a", "b"], [ms_cm.to("S/m"), s_m])
    np.testing.assert_allclose([b.get_height() for b in bars], [0.1, 0.1])


def test_nernst_einstein_bars_show_each_number_with_its_own_error_and_verdict():
    d = {"Li": Estimate.invalid(1.0, 0.1, "Å^2/ps", "m", "bad D of Li"),
         "AN": Estimate(0.5, 0.05, "Å^2/ps", "m", 10)}
    ne = mdae.NernstEinstein.from_estimates(
        temperature=300.0, diffusivities=d, n_ions={"Li": 4, "AN": 4},
        charges={"Li": 1, "AN": -1}, volume=8000.0)
    ax = _plot(ne.plot)
    r = ne.results
    assert [b.get_hatch() for b in ax.patches] == [INVALID_HATCH, None, INVALID_HATCH]
    heights = [b.get_height() for b in ax.patches]
    np.testing.assert_allclose(heights, [r.contributions["Li"].value, r.contributions["AN"].value,
                                         r.conductivity.value])
    (segments,) = [c.get_segments() for c in ax.collections]
    # each bar spans its own Estimate's one-sigma interval (symmetric in log value for these
    # conductivities: value ± stderr drew it lower than the interval the Estimate reports)
    one_sigma = math.erf(1 / math.sqrt(2))
    np.testing.assert_allclose(
        [(s[0, 1], s[1, 1]) for s in segments],
        [e.interval(one_sigma, allow_invalid=True) for e in
         (r.contributions["Li"], r.contributions["AN"], r.conductivity)])
    assert any("bad D of Li" in t for t in _stamp(ax))


def test_solvation_bars_carry_the_estimates_errors_and_bad_counts_are_refused():
    long = _quiet(lambda: _shells(_liquid(n_frames=30)).run())
    ax1, ax2 = _plot(long.plot).axes
    fractions = long.results.estimates["fractions"]
    assert all(np.isfinite(e.stderr) and e.stderr > 0 for e in fractions.values())
    (segments,) = [c.get_segments() for c in ax1.collections]
    np.testing.assert_allclose([(s[1, 1] - s[0, 1]) / 2 for s in segments],
                               [e.stderr for e in fractions.values()])
    np.testing.assert_allclose([b.get_height() for b in ax1.patches],
                               [e.value for e in fractions.values()])
    assert [b.get_hatch() == INVALID_HATCH for b in ax1.patches] == [
        not e.valid for e in fractions.values()]
    # three frames: no fraction is valid (no error at all), every bar hatched, panels stamped
    shells = _quiet(lambda: _shells(_liquid(n_frames=3)).run())
    ax1, ax2 = _plot(shells.plot).axes
    assert all(b.get_hatch() == INVALID_HATCH for b in ax1.patches + ax2.patches)
    assert _stamp(ax1) and _stamp(ax2)
    # no labels asked for: an empty panel that says so
    fig = _plot(lambda: shells.plot(n_labels=0))
    assert not fig.axes[1].patches and "no labels asked for" in fig.axes[1].texts[0].get_text()
    for n in (-1, 2.5, "3", True):   # -1 silently dropped the last label
        with pytest.raises(ValueError, match="n_labels must be a whole number >= 0"):
            shells.plot(n_labels=n)
        with pytest.raises(ValueError, match="n_labels must be a whole number >= 0"):
            shells.plot_by_type(n_labels=n)
    with pytest.raises(TypeError, match="not the string 'Li'"):
        shells.plot_by_type(labels="Li")


def test_shell_types_without_oxygens_are_labelled_empty_panels_without_warnings():
    # no carbonyl or ether oxygens in this liquid: the angle densities are all zero (n = 0),
    # which were drawn as flat lines at zero, and the empty g(r) panel's legend warned
    shells = _quiet(lambda: _shells(_liquid(n_frames=3)).run())
    fig = _plot(shells.plot_by_type)
    for ax, text in zip(fig.axes, ("cation–Oc/Oe pairs", "Oc-M-Oc angles", "M-Oc-Cc angles"),
                        strict=True):
        assert not ax.lines and ax.get_legend() is None
        assert any(text in t.get_text() for t in ax.texts)
        assert ax.get_xlabel() and ax.get_ylabel()


def test_rdf_plot_refuses_bad_pairs_and_columns_and_takes_pairs_in_either_order():
    rdf = mdae.IntraInterRDF(_liquid(n_frames=2).atoms, range=(0.0, 5.0), nbins=20).run()
    fig = _plot(lambda: rdf.plot(pairs=[("N", "Li")], ncols=3))
    assert [a.get_title() for a in fig.axes] == ["Li–N"]
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), rdf.results.total[("Li", "N")])
    assert fig.axes[0].get_xlabel() == "r (Å)"
    with pytest.raises(ValueError, match="no pairs to plot"):
        rdf.plot(pairs=[])
    with pytest.raises(TypeError, match="not the string 'LiN'"):
        rdf.plot(pairs="LiN")
    for n in (0, -2, 1.5, "4"):   # 0 divided by zero
        with pytest.raises(ValueError, match="ncols must be a whole number >= 1"):
            rdf.plot(ncols=n)


def test_intra_inter_errors_panels_are_stamped_and_too_few_axes_refused():
    err = _quiet(lambda: mdae.IntraInterErrors(mdae.from_ase(_molecular_frames()).atoms, _model(),
                                               _model(k=22.0), keep_arrays=True).run())
    axes = _plot(err.plot)
    components = list(err.results.forces["model"])
    assert len(axes) == len(components)
    for ax, c in zip(axes, components, strict=True):
        # three frames: the RMSE is not valid, and every panel says why, not only "(NOT VALID)"
        assert not err.results.rmse[c]["forces"].valid
        assert any(note in " ".join(_stamp(ax)).replace("\n", " ")
                   for note in err.results.rmse[c]["forces"].notes)
        assert ax.get_xlabel() == "reference force (eV/Å)"
    _, one = plt.subplots()
    with pytest.raises(ValueError, match=f"at least {len(components)} matplotlib Axes"):
        err.plot(ax=one)
    assert not one.has_data()
    _, six = plt.subplots(2, 3)
    assert [a for a in _plot(lambda: err.plot(ax=six))] == list(six.ravel())
    for n in (0, -1, 2.5):
        with pytest.raises(ValueError, match="max_points must be a whole number >= 1"):
            err.plot(max_points=n)


def test_green_kubo_parts_is_a_switch():
    gk = SINGLE[0][1]()
    with pytest.raises(TypeError, match="parts"):
        gk.plot(parts="no")


def test_diffusion_fit_band_is_the_slope_error_of_d():
    diff = SINGLE[2][1]()
    ax = _plot(diff.plot)
    r = diff.results
    t0, t1 = r.fit_window
    tm = 0.5 * (t0 + t1)
    bands = [c for c in ax.collections if c.get_paths()]
    assert len(bands) == len(r.msd)
    for band, (name, msd) in zip(bands, r.msd.items(), strict=True):
        d = r.diffusion_coefficient[name].to("Å^2/ps")
        xy = band.get_paths()[0].vertices
        pivot = msd[(r.time >= t0) & (r.time <= t1)].mean()
        # at the window's end the band spans 6 (D ± δD) (t1 - tm) about the pivot
        end = np.sort(xy[np.isclose(xy[:, 0], t1), 1])
        np.testing.assert_allclose(
            [end.min(), end.max()],
            [pivot + 6 * (d.value - d.stderr) * (t1 - tm),
             pivot + 6 * (d.value + d.stderr) * (t1 - tm)], rtol=1e-10)
        line = [ln for ln in ax.lines if ln.get_linestyle() == "--"][list(r.msd).index(name)]
        np.testing.assert_allclose(np.diff(line.get_ydata()) / np.diff(line.get_xdata()),
                                   6 * d.value, rtol=1e-10)


def test_volume_scan_draws_the_reported_means_with_errors_and_stamps_them():
    scan = SINGLE[-1][1]()
    ax = _plot(scan.plot)
    est = list(scan.results.estimates["inter"].values())
    (mean,) = [c for c in ax.containers if c.get_label().startswith("model mean")]
    data_line, _, (bars,) = mean.lines
    np.testing.assert_allclose(np.asarray(data_line.get_ydata(), float), [e.value for e in est])
    np.testing.assert_allclose([(s[1, 1] - s[0, 1]) / 2 for s in bars.get_segments()],
                               [e.stderr for e in est])
    assert "(NOT VALID)" in mean.get_label()   # three frames: too few degrees of freedom
    assert any("too few scanned frames" in t for t in _stamp(ax))


def test_thermal_expansion_draws_its_fitted_line():
    te = mdae.ThermalExpansion([280, 300, 320, 340], [1.22, 1.212, 1.199, 1.19]).run()
    ax = _plot(te.plot)
    (line,) = [ln for ln in ax.lines if ln.get_label().startswith("fit")]
    slope, intercept = np.polyfit([280, 300, 320, 340], [1.22, 1.212, 1.199, 1.19], 1)
    np.testing.assert_allclose(line.get_ydata(), slope * line.get_xdata() + intercept,
                               rtol=1e-10)
    # a flat line (α = 0) is the mean density
    flat = mdae.ThermalExpansion([280, 300, 320], [1.2, 1.21, 1.2],
                                 reference_temperature=300.0).run()
    if flat.results.alpha == 0:
        (line,) = [ln for ln in _plot(flat.plot).lines if ln.get_label().startswith("fit")]
        np.testing.assert_allclose(line.get_ydata(), np.mean([1.2, 1.21, 1.2]))


def test_an_equation_of_state_fit_that_did_not_converge_draws_no_nan(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("Optimal parameters not found")

    monkeypatch.setattr(density_module.optimize, "curve_fit", fail)
    eos = mdae.EquationOfState([1.2, 1.21, 1.22, 1.23], [-150, -40, 60, 180]).run()
    assert not eos.results.zero_pressure_density.valid
    ax = _plot(eos.plot)   # axvspan(nan, nan) and a line "a ρ^nan + b" before
    assert not any("nan" in ln.get_label() for ln in ax.lines)
    assert all(np.all(np.isfinite(ln.get_ydata())) for ln in ax.lines
               if len(np.atleast_1d(ln.get_ydata())))
    assert "n/a" in ax.get_title() and any("did not converge" in t for t in _stamp(ax))


@pytest.mark.parametrize("title_of", [
    lambda: SINGLE[0][1]().plot().get_title(),
    lambda: SINGLE[1][1]().plot().get_title(),
])
def test_titles_of_numbers_that_are_not_valid_say_so(title_of):
    # the synthetic salts are short: their σ is not valid and is never titled as a result
    title = _plot(title_of)
    assert re.search(r"σ = .* S/m \(NOT VALID\)", title)


def test_plot_helpers_take_only_axes():
    from mda_electrolyte.plotting import axes_to_draw_into

    ax = axes_to_draw_into(None, figsize=(2, 2))
    assert isinstance(ax, Axes) and tuple(ax.figure.get_size_inches()) == (2.0, 2.0)
    assert axes_to_draw_into(ax) is ax
