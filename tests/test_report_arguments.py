"""``run_analyses`` and ``register_analysis``: bad arguments refused by name before any analysis
runs or any file is touched.

Before: ``only="density"`` was read letter by letter ("unknown analyses ['d', 'e', ...]");
``only=[]`` ran nothing and wrote an empty summary as the result; ``only=3`` failed with
"'int' object is not iterable"; an ``outdir`` that is a file, or under one, failed with a bare
FileExistsError/NotADirectoryError; ``universe=None`` with an AttributeError; ``verbose="no"``
and ``keep_going="yes"`` were taken as true. ``register_analysis(needs=("velocity",))`` kept a
requirement that nothing checks (the analysis ran on frames without velocities) and
``needs="box"`` became the requirements "b", "o", "x".
"""

import re

import pytest
from cli_inputs import empty_registry, two_atoms

from mda_electrolyte import report


@pytest.fixture
def plugin(monkeypatch):
    """A registry of one analysis that counts its runs."""
    empty_registry(monkeypatch)
    runs = []

    @report.register_analysis("counted", needs=("box",))
    def counted(universe, outdir, *, calculator=None, verbose=False):
        runs.append(outdir)
        return {"n_atoms": universe.atoms.n_atoms}

    return runs


@pytest.mark.parametrize("kwargs, error, named", [
    (dict(only="counted"), TypeError, "only must be a list of analysis names, not 'counted'"),
    (dict(only=3), TypeError, "only must be a list"),
    (dict(only=[3]), TypeError, "only must be a list of analysis names \\(strings\\)"),
    (dict(only=[["counted"]]), TypeError, "strings"),
    (dict(only=[]), ValueError, "only names no analysis"),
    (dict(only=()), ValueError, "only names no analysis"),
    (dict(only=["counted", "nosuch"]), ValueError, "unknown analyses \\['nosuch'\\]"),
    (dict(verbose="no"), ValueError, "verbose"),
    (dict(keep_going="yes"), ValueError, "keep_going"),
    (dict(universe=None), TypeError, "universe must be an MDAnalysis Universe, not NoneType"),
    (dict(universe="traj.h5md"), TypeError, "not str"),
])
def test_bad_arguments_are_named_before_any_analysis(plugin, tmp_path, kwargs, error, named):
    out = tmp_path / "out"
    universe = kwargs.pop("universe", two_atoms(box=10.0))
    with pytest.raises(error, match=named):
        report.run_analyses(universe, out, **kwargs)
    assert plugin == [] and not out.exists()


def test_an_outdir_that_is_a_file_or_under_one_is_refused_and_the_file_kept(plugin, tmp_path):
    notes = tmp_path / "notes"
    notes.write_text("mine")
    for outdir in (notes, notes / "analysis"):
        with pytest.raises(ValueError, match="outdir"):
            report.run_analyses(two_atoms(box=10.0), outdir)
    assert plugin == [] and notes.read_text() == "mine"


def test_good_arguments_still_run(plugin, tmp_path):
    summary = report.run_analyses(two_atoms(box=10.0), tmp_path / "a", only=("counted", "counted"))
    assert summary == {"counted": {"n_atoms": 2}} and len(plugin) == 1
    summary = report.run_analyses(two_atoms(box=10.0), tmp_path / "b", only=iter(["counted"]))
    assert summary == {"counted": {"n_atoms": 2}} and len(plugin) == 2


@pytest.mark.parametrize("name, needs, named", [
    ("x", ("velocity",), "among " + re.escape(str(report.REQUIREMENTS))),
    ("x", "box", "not 'box'"),
    ("x", ("box", "calculator", "gpu"), "'gpu'"),
    ("", (), "name must be a non-empty string"),
    (None, (), "name must be a non-empty string"),
])
def test_register_analysis_refuses_what_would_not_be_checked(plugin, name, needs, named):
    with pytest.raises(ValueError, match=named):
        report.register_analysis(name, needs=needs)
    assert list(report._REGISTRY) == ["counted"]


def test_every_registered_analysis_needs_only_what_is_checked():
    # the analyses of the packages themselves, through the same check
    for name, needs in report.registered_analyses().items():
        assert set(needs) <= set(report.REQUIREMENTS), (name, needs)
