"""``write_html_report``'s path and figures: each bad one refused by name before the page is
built, nothing written, an earlier page left whole.

``figures=None`` failed with "'NoneType' object is not iterable" and ``figures=[None]`` with
Path's TypeError, naming neither argument; ``path=""`` read "IsADirectoryError: . is a
folder"; and a figure file was read whole and base64-encoded in memory whatever its size (a
mistaken multi-gigabyte file).
"""

import os

import pytest

from ase_electrolyte import html_report
from ase_electrolyte.html_report import MAX_FIGURE_BYTES, write_html_report

_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _write(path, **kwargs):
    args = dict(title="t", settings={"T (K)": 298}, summary={"density": 1.2})
    args.update(kwargs)
    return write_html_report(path, **args)


@pytest.fixture
def earlier(tmp_path):
    page = tmp_path / "report.html"
    _write(page)
    return page, page.read_bytes()


@pytest.mark.parametrize("figures, error, named", [
    (3, TypeError, "figures must be an iterable"),
    ([None], TypeError, "figures must be PNG file paths, not NoneType"),
    ([1.5], TypeError, "figures must be PNG file paths, not float"),
    (["missing.png"], FileNotFoundError, "missing.png"),
])
def test_bad_figures_are_named_and_the_earlier_page_stays(earlier, figures, error, named):
    page, before = earlier
    with pytest.raises(error, match=named):
        _write(page, figures=figures)
    assert page.read_bytes() == before
    assert sorted(p.name for p in page.parent.iterdir()) == ["report.html"]


@pytest.mark.parametrize("figures", [None, [], (), iter([])])
def test_no_figures_is_a_page_without_figures(tmp_path, figures):
    page = _write(tmp_path / "r.html", figures=figures).read_text()
    assert "<h2>Figures</h2>" not in page and "<th>T (K)</th>" in page


def test_one_figure_from_a_generator_is_embedded(tmp_path):
    png = tmp_path / "a.png"
    png.write_bytes(_PNG)
    page = _write(tmp_path / "r.html", figures=(p for p in [png])).read_text()
    assert page.count("data:image/png;base64,") == 1


def test_a_figure_above_the_limit_is_refused_before_it_is_read(earlier, monkeypatch):
    page, before = earlier
    assert MAX_FIGURE_BYTES == 64 * 2**20
    limit = 2 * 2**20  # the same check at a smaller limit: no test writes 64 MiB
    monkeypatch.setattr(html_report, "MAX_FIGURE_BYTES", limit)
    big = page.parent / "big.png"
    with open(big, "wb") as f:  # sparse: the size without the disk
        f.write(_PNG)
        f.truncate(limit + 1)
    read = []
    original = html_report.Path.read_bytes
    monkeypatch.setattr(html_report.Path, "read_bytes",
                        lambda self: read.append(self) or original(self))
    with pytest.raises(ValueError, match=r"big.png is 2 MiB, more than the 2 MiB a report"):
        _write(page, figures=[big])
    assert big not in read and page.read_bytes() == before
    os.truncate(big, limit)  # at the limit: embedded
    assert "data:image/png" in _write(page, figures=[big]).read_text()


@pytest.mark.parametrize("path, named", [("", "path is empty"), ("   ", "path is empty")])
def test_an_empty_path_is_named(tmp_path, monkeypatch, path, named):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=named):
        _write(path)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_or_a_path_under_a_file_is_refused_before_the_page_is_built(tmp_path,
                                                                            monkeypatch):
    built = []
    monkeypatch.setattr(html_report, "package_versions", lambda: built.append(1) or {})
    with pytest.raises(ValueError, match="is a folder"):
        _write(tmp_path)
    (tmp_path / "notes").write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        _write(tmp_path / "notes" / "report.html")
    assert built == [] and sorted(p.name for p in tmp_path.iterdir()) == ["notes"]
