"""The HTML report's figures say the verdict of the analysis they draw.

A figure's caption was its file name alone: below the figure of a conductivity that was not
valid the page said nothing of it, where the table above struck the number through. The
page stays self-contained (figures embedded, no external address) and well formed.
"""

import re
from html.parser import HTMLParser

import matplotlib.pyplot as plt

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import write_html_report


def _png(path):
    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    ax.plot([0, 1], [0, 1])
    fig.savefig(path)
    plt.close(fig)
    return path


class _Balance(HTMLParser):
    """Every element closed in order (void elements aside)."""

    VOID = {"meta", "img", "br"}

    def __init__(self):
        super().__init__()
        self.open, self.wrong = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.wrong.append(tag)


def test_captions_carry_each_analysis_verdict(tmp_path):
    good = Estimate(1.2, 0.01, "g/cm³", "blocks", 50)
    bad = Estimate(5.0, 0.1, "S/m", "blocks", 10, converged=False,
                   notes=("too short: 2 independent samples",))
    summary = {
        # the analyses name their figure under "plot" or under "png" (the RDFs, the shells)
        "density": {"density": good, "plot": "density.png"},
        "green_kubo_conductivity": {"conductivity": bad.to_dict(),
                                    "transference_numbers": {"Li": good.to_dict()},
                                    "plot": "green_kubo_conductivity.png"},
        "intra_inter_rdf": {"pairs": {"Li-O": {"first_minimum": bad}},
                            "png": "intra_inter_rdf.png"},
    }
    figures = [_png(tmp_path / f"{name}.png") for name in summary] + [_png(tmp_path / "x.png")]
    page = write_html_report(tmp_path / "report.html", title="t", settings={},
                             summary=summary, figures=figures).read_text()
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page)
    assert captions[0] == "density.png (density): 1 numbers, all valid"
    assert captions[1].startswith("green_kubo_conductivity.png (green_kubo_conductivity): "
                                  "NOT VALID, 1 of 2 numbers not valid (too short: 2 ")
    assert captions[2].startswith("intra_inter_rdf.png (intra_inter_rdf): NOT VALID, 1 of 1")
    assert captions[3] == "x.png"  # a figure of no analysis: its name alone
    # the invalid numbers are struck through in the tables, the valid ones are not
    struck = re.findall(r"<tr class='invalid'><th>[^<]*</th><td><s>([^<]*)</s>", page)
    assert struck == [bad.number_text()] * 2, struck
    # self-contained and well formed
    assert not re.search(r"(src|href)=['\"](?!data:)", page)
    assert page.count("src='data:image/png;base64,") == len(figures)
    parser = _Balance()
    parser.feed(page)
    assert parser.wrong == [] and parser.open == []
