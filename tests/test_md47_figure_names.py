"""save_figure refuses a name whose suffix chooses no format, naming the file.

The figure is written to a temporary ``.part`` name first, and matplotlib took the format
from it: ``save_figure(fig, "out/plot")`` failed with "Format 'part' is not supported".
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from ase_electrolyte.atomic_file import save_figure  # noqa: E402


def _figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return fig


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("plot", "has no suffix"),
        ("plot.", "has no suffix"),
        ("plot.xyz", "matplotlib writes no 'xyz' figure"),
        ("plot.part", "matplotlib writes no 'part' figure"),
        ("plot.h5md", "matplotlib writes no 'h5md' figure"),
    ],
)
def test_no_format_refused_before_writing(tmp_path, name, match):
    fig = _figure()
    with pytest.raises(ValueError, match=match) as err:
        save_figure(fig, tmp_path / name)
    assert name.rstrip(".") in str(err.value)
    assert list(tmp_path.iterdir()) == []
    assert not plt.fignum_exists(fig.number)  # closed on failure too


@pytest.mark.parametrize("name", ["plot.png", "plot.PDF", "plot.svg", "a.b.png"])
def test_known_suffixes_write_that_format(tmp_path, name):
    path = save_figure(_figure(), tmp_path / name)
    assert path == tmp_path / name and path.stat().st_size > 0
    head = path.read_bytes()[:8]
    suffix = name.rsplit(".", 1)[1].lower()
    assert {
        "png": head.startswith(b"\x89PNG"),
        "pdf": head.startswith(b"%PDF"),
        "svg": b"<?xml" in head or b"<svg" in head,
    }[suffix]


def test_an_explicit_format_needs_no_suffix(tmp_path):
    path = save_figure(_figure(), tmp_path / "plot", format="png")
    assert path.read_bytes().startswith(b"\x89PNG")
