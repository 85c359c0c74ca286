"""The HTML report of a run whose analyses failed, refused or were skipped shows each reason
in red, and no figure of an analysis without a result: neither the one it saved before it failed
nor the earlier run's (the demo embeds the analysis folder's PNGs)."""

import re

import matplotlib.pyplot as plt
import pytest
from cli_inputs import empty_registry, four_atoms

from ase_electrolyte.atomic_file import save_figure
from ase_electrolyte.html_report import write_html_report
from mda_electrolyte import report


@pytest.fixture
def registry(monkeypatch):
    empty_registry(monkeypatch)

    def figure(path):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        save_figure(fig, path, dpi=20)

    @report.register_analysis("good")
    def good(universe, outdir, *, calculator=None, verbose=False):
        figure(outdir / "good.png")
        return {"mean_x_angstrom": float(universe.atoms.positions[:, 0].mean())}

    @report.register_analysis("broken")
    def broken(universe, outdir, *, calculator=None, verbose=False):
        figure(outdir / "broken.png")
        raise ValueError("too few frames <1>")

    @report.register_analysis("needs_model", needs=("calculator",))
    def needs_model(universe, outdir, *, calculator=None, verbose=False):
        return {}


def test_failed_and_skipped_analyses_show_their_reason_and_no_figure(tmp_path, registry):
    u = four_atoms()
    # an earlier run's figure of the analysis that now fails
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nan earlier figure")
    with pytest.warns(UserWarning, match="'broken' failed"):
        summary = report.run_analyses(u, tmp_path, keep_going=True)
    figures = sorted(tmp_path.glob("*.png"))  # as the demo collects them
    assert [f.name for f in figures] == ["good.png"]
    page = write_html_report(tmp_path / "report.html", title="t", settings={},
                             summary=summary, figures=figures).read_text()
    assert ("<p class='no-result'><strong>FAILED</strong>: ValueError: too few frames &lt;1&gt;</p>"
            in page)
    assert "<strong>SKIPPED</strong>: needs calculator (pass --model)" in page
    assert re.findall(r"<img alt='([^']+)'", page) == ["good"]


@pytest.mark.parametrize("value", [{"failed": "x", "partial": 1.0}, {"failed": 3},
                                   {"note": "failed"}])
def test_a_result_that_merely_holds_such_a_key_is_a_table(tmp_path, value):
    page = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary={"a": value}).read_text()
    assert "no-result'>" not in page
