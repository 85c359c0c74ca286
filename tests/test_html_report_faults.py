"""The HTML report with large, hostile or undecodable content: a page of bounded size, escaped.

Settings and summaries hold arrays and lists from the analyses and names from the user and the
file system; none of them may blow the page up to megabytes, run as script, or fail the write
after every analysis ran.
"""

import base64
import errno
import os

import numpy as np
import pytest

from ase_electrolyte.html_report import write_html_report

_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _page(tmp_path, settings, summary=None, **kw):
    path = write_html_report(tmp_path / "report.html", title="t", settings=settings,
                             summary=summary or {}, **kw)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("value, shown", [
    (np.arange(10**6), "[1000000 values]"),
    (np.zeros((5, 10**5)), "[5 × 100000 values]"),
    ([[0.0] * 10**5] * 5, "[5 × 100000 values]"),
    ([[1, 2, 3]] * 5, "[5 × 3 values]"),           # 15 numbers in a short list
    ([[1.0], [2.0, 3.0]] * 7, "[14 values]"),        # ragged
])
def test_large_arrays_and_nested_lists_are_summarised(tmp_path, value, shown):
    page = _page(tmp_path, {"series": value})
    assert shown in page and len(page) < 5000


def test_short_arrays_are_written_out(tmp_path):
    page = _page(tmp_path, {"temperatures": np.array([298.0, 318.0]), "pair": [[1, 2], [3, 4]]})
    assert "[298.0, 318.0]" in page and "[[1, 2], [3, 4]]" in page


def test_undecodable_file_names_do_not_fail_the_write(tmp_path):
    name = os.fsdecode(b"traj_\xff.h5")  # a non-UTF-8 file name: a lone surrogate
    page = _page(tmp_path, {"trajectory": name, name: 1})
    assert "traj_\\udcff.h5" in page


def test_hostile_strings_are_escaped_everywhere(tmp_path):
    evil = "<script>alert('x')</script> & é"
    (tmp_path / "fig.png").write_bytes(_PNG)
    page = write_html_report(tmp_path / "r.html", title=evil, settings={evil: evil, 3: (evil,)},
                             summary={evil: {"unit": evil, "value": 1}},
                             figures=[tmp_path / "fig.png"]).read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;" in page and "&amp; é" in page


@pytest.mark.parametrize("as_type", [str, os.fspath, lambda p: p])
def test_one_figure_path_is_one_figure(tmp_path, as_type):
    fig = tmp_path / "rdf.png"
    fig.write_bytes(_PNG)
    page = _page(tmp_path, {}, figures=as_type(fig))
    assert page.count("<figure>") == 1 and "rdf.png" in page
    with pytest.raises(FileNotFoundError, match="figure missing.png does not exist"):
        _page(tmp_path, {}, figures="missing.png")  # named whole, not as 'm'


def test_a_list_of_estimates_is_rendered_as_estimates(tmp_path):
    from ase_electrolyte.estimate import Estimate

    valid = Estimate(1.02, 0.08, "S/m", "blocks", 10)
    bad = Estimate.invalid(96.0, 21.0, "S/m", "blocks", "too coarse: 100 fs frames")
    for listed in ([valid, bad], (valid, bad), [valid.to_dict(), bad.to_dict()]):
        page = _page(tmp_path, {}, {"per temperature": listed})
        # a row each, the invalid one struck through with its reason; no JSON text of them
        assert "<th>[0]</th><td>1.020 ± 0.080</td><td>S/m</td><td>valid</td>" in page
        assert ("<tr class='invalid'><th>[1]</th><td><s>96 ± 21</s></td><td>S/m</td>"
                "<td>too coarse: 100 fs frames</td>") in page
        assert "\\u00b1" not in page and "&quot;" not in page.split("<h2>Results</h2>")[1]


def test_non_ascii_text_in_lists_and_non_finite_numpy_scalars(tmp_path):
    page = _page(tmp_path, {"solvents": ["EC", "carbonate d’éthylène", "溶媒"],
                            "drift": np.float32(np.inf), "rate": np.float64(np.nan),
                            "missing": None})
    assert '[&quot;EC&quot;, &quot;carbonate d’éthylène&quot;, &quot;溶媒&quot;]' in page
    assert "\\u" not in page
    assert "<th>drift</th><td>–</td>" in page and "<th>rate</th><td>–</td>" in page
    assert "<th>missing</th><td>null</td>" in page


def test_a_table_of_a_thousand_estimates_with_long_unicode_names(tmp_path):
    from ase_electrolyte.estimate import Estimate

    name = "溶媒-" * 200 + "<script>alert(1)</script>"
    rows = {f"{name} {i}": Estimate(i, 0.5, "S/m", "blocks", 5) for i in range(1000)}
    page = _page(tmp_path, {"solvent": name}, {"conductivity": rows})
    assert page.count("<tr class='valid'>") == 1000 and "<script" not in page
    assert f"<th>{'溶媒-' * 200}&lt;script&gt;alert(1)&lt;/script&gt; 999</th><td>999.00 ± 0.50" \
        in page


@pytest.mark.parametrize("form, reason", [
    ({"value": 5.0, "stderr": 0.1, "unit": "S/m", "method": "blocks", "converged": "no"},
     "converged must be True or False"),
    ({"value": 5.0, "stderr": 0.1, "unit": "S/m", "converged": False}, "no method"),
    ({"value": 5.0, "stderr": 0.1}, "no unit, method, converged"),  # no verdict at all
    ({"value": 5.0, "stderr": -1.0, "unit": "S/m", "method": "blocks", "converged": True},
     "error"),  # a valid estimate with a negative error
])
def test_an_unreadable_estimate_is_marked_never_a_bare_number(tmp_path, capsys, form, reason):
    """A dict with a value and an error that Estimate.from_dict refuses (an edited or foreign
    summary.json): the page showed "value 5.0" as a plain row and the terminal left it out."""
    from pathlib import Path

    from electrolyte_cli.arguments import print_summary
    from electrolyte_cli.demo import mark_estimates

    page = _page(tmp_path, {}, {"conductivity": {"sigma": form}})
    results = page.split("<h2>Results</h2>")[1]
    assert "<tr class='invalid'><th>sigma</th><td><s>5" in results, results  # struck through
    assert "not a readable estimate" in results and reason in results.replace("&#x27;", "'")
    assert "<th>value</th>" not in results  # no raw row of the number
    print_summary({"conductivity": {"sigma": form}}, Path("out"))
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith("    sigma: NOT VALID (not a readable estimate") and "5.0" not in line
    # the demo marks it too, instead of failing after the whole run
    marked = mark_estimates({"conductivity": {"sigma": form}}, ["too short: 0.2 ps"])
    assert marked["conductivity"]["sigma"]["converged"] is False
    assert "too short: 0.2 ps" in marked["conductivity"]["sigma"]["notes"]


@pytest.mark.parametrize("value, stderr, shown", [
    (1e300, 3e299, "(1.00 ± 0.30)e+300"), (1e-300, 3e-301, "(1.00 ± 0.30)e-300"),
    (-1.7e308, 1e308, "(-1.7 ± 1.0)e+308"), (1.0, 0.0, "1 ± 0"),
])
def test_huge_and_tiny_estimates_keep_their_power_of_ten(tmp_path, value, stderr, shown):
    from ase_electrolyte.estimate import Estimate

    page = _page(tmp_path, {}, {"x": Estimate(value, stderr, "S/m", "blocks", 10)})
    assert f"<tr class='valid'><th></th><td>{shown}</td><td>S/m</td>" in page
    assert "inf" not in page.split("<h2>Results</h2>")[1].lower()


@pytest.mark.parametrize("value, stderr", [(np.nan, 0.1), (np.inf, np.inf), (-np.inf, 1.0)])
def test_non_finite_invalid_estimates_read_no_value(tmp_path, value, stderr):
    from ase_electrolyte.estimate import Estimate

    est = Estimate.invalid(value, stderr, "S/m", "blocks", "diverged")
    for form in (est, est.to_dict()):
        results = _page(tmp_path, {}, {"x": form}).split("<h2>Results</h2>")[1]
        assert "<tr class='invalid'><th></th><td><s>no value</s></td><td>S/m</td>" in results
        assert "nan" not in results.lower() and "inf" not in results.lower()


def test_a_page_that_meets_a_file_size_limit_keeps_the_earlier_page_whole(tmp_path):
    """A child process whose file-size limit is reached midway through the page (its figure):
    the write fails with EFBIG, the earlier page is unchanged and no partial file is left."""
    import subprocess
    import sys

    figure = tmp_path / "big.png"
    figure.write_bytes(_PNG + bytes(200_000))  # ~270 kB once inlined
    earlier = write_html_report(tmp_path / "report.html", title="earlier", settings={},
                                summary={"x": 1}).read_bytes()
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "from ase_electrolyte.html_report import write_html_report\n"
        "try:\n"
        f"    write_html_report({str(tmp_path / 'report.html')!r}, title='new', settings={{}},\n"
        f"                      summary={{'x': 2}}, figures=[{str(figure)!r}])\n"
        "except OSError as err:\n"
        "    print(err.errno)\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr
    assert int(done.stdout) == errno.EFBIG
    assert (tmp_path / "report.html").read_bytes() == earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.png", "report.html"]
