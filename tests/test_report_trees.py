"""Summaries and settings no report can be written of: containers that hold themselves,
nesting beyond any summary's, one list shared without bound.

A dict that contained itself failed ``write_html_report`` and ``run_analyses`` (through the
serialiser of summary.json) with RecursionError after the work; each is now refused by name,
with the path to the offending entry, before anything is written (an earlier report stays).
"""

import json
import re

import numpy as np
import pytest
from cli_inputs import empty_registry, two_atoms

from ase_electrolyte.estimate import Estimate, estimates_to_dict
from ase_electrolyte.html_report import (
    MAX_CONTAINERS,
    MAX_NESTING,
    check_report_tree,
    write_html_report,
)
from mda_electrolyte import report


def _self_dict():
    d = {"a": {"b": [1.0, 2.0]}}
    d["a"]["b"].append(d)
    return d, "['a']['b'][2]", "holds the container it is in"


def _self_list():
    inner = [Estimate(1.0, 0.1, "S/m", "test")]
    inner.append(inner)
    return {"sigma": inner}, "['sigma'][1]", "holds the container it is in"


def _self_in_tuple():
    inner = []
    outer = {"t": (1, inner)}
    inner.append(outer)
    return outer, "['t'][1][0]", "holds the container it is in"


def _self_in_object_array():
    d = {}
    d["arr"] = np.array([None, d], dtype=object)
    return d, "['arr'][1]", "holds the container it is in"


def _too_deep():
    y = [1.0]
    for _ in range(MAX_NESTING + 5):
        y = [y]
    return {"y": y}, "['y'][0][0]…[0][0][0]", f"is nested more than {MAX_NESTING} dicts"


def _too_many():
    x = [1.0]
    for _ in range(60):  # 61 lists, 2**60 paths through them
        x = [x, x]
    return {"x": x}, "", f"holds more than {MAX_CONTAINERS} dicts and lists"


_BAD = [_self_dict, _self_list, _self_in_tuple, _self_in_object_array, _too_deep, _too_many]


@pytest.mark.parametrize("make", _BAD)
@pytest.mark.parametrize("where", ["summary", "settings"])
def test_html_report_refuses_by_name_and_keeps_the_earlier_page(tmp_path, make, where):
    bad, path, phrase = make()
    page = write_html_report(tmp_path / "report.html", title="t", settings={"T": 298},
                             summary={"ok": 1})
    before = page.read_bytes()
    kwargs = {"settings": {"T": 298}, "summary": {"ok": 1}, where: bad}
    with pytest.raises(ValueError) as err:
        write_html_report(page, title="t", **kwargs)
    assert str(err.value).startswith(f"{where}{path} {phrase}"), err.value
    assert page.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


@pytest.mark.parametrize("make", _BAD)
def test_summary_json_refuses_by_name_and_keeps_no_half_file(tmp_path, make, monkeypatch):
    bad, path, phrase = make()
    empty_registry(monkeypatch)

    @report.register_analysis("plugin")
    def plugin(universe, outdir, *, calculator=None, verbose=False):
        return bad

    u = two_atoms(box=10.0)
    root = "summary['plugin']" if path else "summary"
    if "…" in path:  # the shortened path starts at the summary, not at the analysis
        path = "['plugin']['y'][0]…[0][0][0]"
        root = "summary"
    with pytest.raises(ValueError) as err:
        report.run_analyses(u, tmp_path)
    assert str(err.value).startswith(f"{root}{path} {phrase}"), err.value
    assert not (tmp_path / "summary.json").exists()


def test_shared_but_acyclic_structures_are_written_whole(tmp_path):
    shared = [Estimate(2.0, 0.5, "S/m", "test"), 3.0]
    summary = {"a": shared, "b": {"again": shared}, "c": (shared, shared)}
    check_report_tree(summary)
    page = write_html_report(tmp_path / "r.html", title="t", settings={}, summary=summary)
    text = page.read_text(encoding="utf-8")
    # the one Estimate, shown at each of its four places
    assert text.count("2.00 ± 0.50") == 4, text
    written = report._plain_numbers_to_json(estimates_to_dict(summary))
    assert json.loads(json.dumps(written))["b"]["again"][1] == 3.0


def test_nesting_at_the_limit_is_written(tmp_path):
    y = {"leaf": 1.5}
    for _ in range(MAX_NESTING - 1):
        y = {"k": y}
    check_report_tree(y)
    text = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary=y).read_text(encoding="utf-8")
    assert "1.5" in text


@pytest.mark.parametrize("make", _BAD)
def test_estimates_to_dict_refuses_by_name_for_library_callers(make):
    # the CLI and the report writers checked first; a library caller got RecursionError (or a
    # walk without end through shared lists)
    tree, path, why = make()
    with pytest.raises(ValueError, match=rf"^estimates{re.escape(path)} {why}"):
        estimates_to_dict(tree)
