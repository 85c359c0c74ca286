"""The analyses are listed and run in one order, whatever was imported first.

Before: :func:`~mda_electrolyte.report.registered_analyses` gave the registry's order, that of
the first imports: after ``from mda_electrolyte import intra_inter_errors, diffusion`` (a test
module, a user's script) intra_inter_errors and diffusion came first, while ``electrolyte
analyze --list`` (which reads the decorators from the sources, a2b8197b) lists rdf first;
test_cli_output_faults::test_list_alone_or_quiet_lists failed when run after such an import.
"""

import pytest

from mda_electrolyte import report


def _permuted(monkeypatch, order):
    """The registry as another order of first imports leaves it: the modules' registrations
    in ``order``, each module's in its decorators' order (the source's)."""
    registry = dict(report._REGISTRY)
    modules = list(dict.fromkeys(func.__module__ for func, _ in registry.values()))
    monkeypatch.setattr(report, "_REGISTRY", {
        name: entry for k in order(modules) for name, entry in registry.items()
        if entry[0].__module__ == modules[k]})


def _reverse(names):
    return range(len(names) - 1, -1, -1)


def _rotate(names):
    return [*range(3, len(names)), *range(3)]


def _interleave(names):
    return [*range(1, len(names), 2), *range(0, len(names), 2)]


@pytest.mark.parametrize("order", [_reverse, _rotate, _interleave])
def test_the_order_does_not_follow_the_imports(monkeypatch, capsys, order):
    from electrolyte_cli import main

    canonical = list(report.registered_analyses())
    # the package's order: its modules' order, as declared_analyses reads the sources
    ranks = [report._ANALYSIS_MODULES.index(report._REGISTRY[n][0].__module__)
             for n in canonical]
    assert ranks == sorted(ranks)
    _permuted(monkeypatch, order)
    assert list(report._REGISTRY) != canonical  # the registry was reordered
    assert list(report.registered_analyses()) == canonical
    assert list(report.declared_analyses()) == canonical
    assert main(["analyze", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == canonical


def test_a_users_analysis_comes_after_the_packages(monkeypatch):
    canonical = list(report.registered_analyses())

    def mine(universe, outdir):
        return {}

    registry = dict(report._REGISTRY)
    # registered before the package's modules were imported: first in the registry
    monkeypatch.setattr(report, "_REGISTRY", {"mine": (mine, ()), **registry})
    assert list(report.registered_analyses()) == [*canonical, "mine"]
