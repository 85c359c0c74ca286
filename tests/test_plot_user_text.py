"""Names the user chose (species, selections, files) drawn in figures with ``$``, ``^``, ``_``
or ``\\`` in them: shown as typed, never read as mathtext.

A name like ``$x^$`` or ``a$\\foo$`` reached matplotlib's mathtext parser and failed the save
of the whole figure ("ParseSyntaxException: Expected end of text"), in ``electrolyte analyze``
after the analysis had run. Each figure is saved here and every text on it compared with what
matplotlib will draw (its text after mathtext processing).
"""

import warnings

import matplotlib
import matplotlib.pyplot as plt
import pytest
from cli_inputs import empty_registry, two_atoms
from test_fault_catalogue_analysis import _liquid, _salt
from transport_data import IONS

import mda_electrolyte as mdae
from ase_electrolyte.atomic_file import save_figure
from ase_electrolyte.estimate import Estimate
from mda_electrolyte import report
from mda_electrolyte.plotting import estimate_bars, note_empty, user_text_literally

matplotlib.use("Agg")

HOSTILE = ["$x^$", "a$\\foo$b", "$_$", "50$", "a\\$b", "$\\alpha$", "Li^+_2"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _drawn(text):
    """What matplotlib draws of a Text: its string after mathtext processing, or None if math."""
    shown, is_math = text._preprocess_math(text.get_text())
    return None if is_math else shown


def _all_texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def _saved(fig, tmp_path):
    path = tmp_path / "figure.png"
    fig.savefig(path, dpi=40)
    assert path.read_bytes().startswith(b"\x89PNG")
    texts = _all_texts(fig)
    assert all(_drawn(t) is not None for t in texts), [t.get_text() for t in texts]
    return [_drawn(t) for t in texts]


def test_bars_empty_notes_and_not_valid_stamps_show_names_as_typed(tmp_path):
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3)
    estimates = [Estimate(1.0 + i, 0.1, "S/m", "test") for i in range(len(HOSTILE))]
    estimate_bars(ax1, HOSTILE, estimates)
    note_empty(ax2, f"no {HOSTILE[0]} in these shells")
    bad = Estimate.invalid(1.0, 0.1, "S/m", "test", f"too few {HOSTILE[1]} ions")
    report.mark_invalid(ax3, bad)
    drawn = _saved(fig, tmp_path)
    for name in HOSTILE:
        assert name in drawn, (name, drawn)
    assert f"no {HOSTILE[0]} in these shells" in drawn
    assert any(f"too few {HOSTILE[1]} ions" in d for d in drawn), drawn


def test_nernst_einstein_bars_of_hostile_species_save(tmp_path):
    a, b = HOSTILE[0], HOSTILE[1]
    ne = mdae.NernstEinstein(temperature=300.0, diffusivities={a: 1.0, b: 0.5},
                             n_ions={a: 4, b: 4}, charges={a: 1, b: -1}, volume=8000.0)
    drawn = _saved(ne.plot().figure, tmp_path)
    assert a in drawn and b in drawn, drawn


def _quiet(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make()


_HOSTILE_IONS = dict(zip(HOSTILE[:2], IONS.values(), strict=True))
_PLOTS = {
    "Diffusion": lambda: mdae.Diffusion(_salt(), _HOSTILE_IONS, n_blocks=2).run().plot(),
    "OnsagerCoefficients": lambda: mdae.OnsagerCoefficients(
        _salt(), _HOSTILE_IONS, temperature=300.0, n_blocks=2).run().plot(),
    "GreenKuboConductivity": lambda: mdae.GreenKuboConductivity(
        _salt(), _HOSTILE_IONS, temperature=300.0, n_blocks=2, max_lag=0.05).run().plot(),
    "EinsteinHelfandConductivity": lambda: mdae.EinsteinHelfandConductivity(
        _salt(), _HOSTILE_IONS, temperature=300.0, n_blocks=2).run().plot(),
    "SolvationShells": lambda: _shells_of_hostile_names().plot(),
}


#: Plots that draw the totals only, no species name (drawn here for their verdict stamps).
_NO_NAMES = {"GreenKuboConductivity", "EinsteinHelfandConductivity"}


def _shells_of_hostile_names():
    u = _liquid()
    return mdae.SolvationShells(
        u.select_atoms("resname LI"), {HOSTILE[0]: u.select_atoms("resname AN")},
        {HOSTILE[1]: u.select_atoms("resname SOL")},
        cutoffs={HOSTILE[0]: 2.5, HOSTILE[1]: 2.5}, rdf_range=(0.0, 5.0)).run()


@pytest.mark.parametrize("name", list(_PLOTS))
def test_every_plot_of_user_names_saves_them_as_typed_in_the_analysis_context(name, tmp_path):
    """How ``electrolyte analyze`` draws (run_analyses): every text of the figure literal."""
    with user_text_literally():
        drawn = _saved(_quiet(_PLOTS[name]).figure, tmp_path)
    if name not in _NO_NAMES:
        assert any(HOSTILE[0] in d or HOSTILE[1] in d for d in drawn), drawn


@pytest.mark.parametrize("name", list(_PLOTS))
def test_every_plot_called_directly_saves_user_names_as_typed(name, tmp_path):
    """plot() outside any context, the figure saved afterwards (Diffusion and Onsager failed
    the save with mathtext's ParseSyntaxException): each plot() draws its texts literally."""
    assert matplotlib.rcParams["text.parse_math"]
    drawn = _saved(_quiet(_PLOTS[name]).figure, tmp_path)
    if name not in _NO_NAMES:
        assert any(HOSTILE[0] in d or HOSTILE[1] in d for d in drawn), drawn
    # matplotlib's own setting is the user's again after the call
    assert matplotlib.rcParams["text.parse_math"]


def test_every_plot_method_of_the_analyses_draws_user_text_literally():
    import inspect

    from mda_electrolyte import plotting

    missing = []
    for cls_name in mdae.__all__:
        cls = getattr(mdae, cls_name)
        if not inspect.isclass(cls):
            continue
        for attr in ("plot", "plot_by_type"):
            method = cls.__dict__.get(attr)
            if method is not None and not getattr(method, "draws_user_text", False):
                missing.append(f"{cls_name}.{attr}")
    assert not missing, f"plot methods without plotting.draws_user_text: {missing}"
    assert plotting.draws_user_text(lambda: 1)() == 1


def test_run_analyses_saves_figures_of_hostile_names(tmp_path, monkeypatch):
    """A registered analysis that titles its figure with a user's name and saves it."""
    empty_registry(monkeypatch)
    seen = {}

    @report.register_analysis("named")
    def named(universe, outdir, *, calculator=None, verbose=False):
        fig, ax = plt.subplots()
        ax.set_title(" ".join(HOSTILE))
        ax.bar(HOSTILE, range(len(HOSTILE)))  # tick labels made while the figure is saved
        ax.legend(ax.containers[:1], [HOSTILE[2]])
        seen["texts"] = _all_texts(fig)
        save_figure(fig, outdir / "named.png", dpi=40)
        seen["drawn"] = [_drawn(t) for t in _all_texts(fig)]
        return {"ok": Estimate(1.0, 0.1, "1", "test")}

    u = two_atoms(box=10.0)
    summary = report.run_analyses(u, tmp_path)
    assert summary["named"]["ok"]["value"] == 1.0
    assert (tmp_path / "named.png").read_bytes().startswith(b"\x89PNG")
    assert " ".join(HOSTILE) in seen["drawn"]
    for name in HOSTILE:
        assert name in seen["drawn"], (name, seen["drawn"])
    # the caller's matplotlib settings are as they were
    assert matplotlib.rcParams["text.parse_math"] is True


def test_cli_screen_draws_the_plans_labels_as_typed(tmp_path, monkeypatch, capsys):
    """``electrolyte screen`` draws its figures (labels from the plan) inside the literal
    context: a label with ``$`` in it no longer fails the figures after the screen."""
    import ase_electrolyte.screen
    from electrolyte_cli import main

    def run_screen(plan, out, **kwargs):
        (tmp_path / "out").mkdir()
        fig, ax = plt.subplots()
        ax.errorbar([1.0], [2.0], yerr=[0.1], label=f"LiPF6 in {HOSTILE[0]} (mass), 298 K")
        ax.legend()
        save_figure(fig, tmp_path / "out" / "screen.png", dpi=40)
        run_screen.drawn = [_drawn(t) for t in _all_texts(fig)]

    monkeypatch.setattr(ase_electrolyte.screen, "run_screen", run_screen)
    (tmp_path / "plan.toml").write_text('name = "p"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["screen", "plan.toml", "-o", "out"]) == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "screen.png").read_bytes().startswith(b"\x89PNG")
    assert f"LiPF6 in {HOSTILE[0]} (mass), 298 K" in run_screen.drawn
    assert matplotlib.rcParams["text.parse_math"] is True
