"""plot_by_type keeps its legends short and marks panels of numbers that are not valid once.

Before: every legend entry of the angle panels carried the whole reason its mean angle is not
valid ("... NOT VALID: no error: the angles of a shell type are summed over all frames, ..."),
about 170 characters: the legends ran over the neighbouring panels and past the figure, and
matplotlib warned "Tight layout not applied".
"""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from test_solvation import build, groups  # noqa: E402

from mda_electrolyte import SolvationShells  # noqa: E402


@pytest.fixture(scope="module")
def shells():
    u = build(
        [
            ((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
            ((15, 15, 15), [("EC", None, "Oc")] * 4),
            ((25, 25, 25), [("EC", None, "Oc")] * 2 + [("EC", None, "Oe")]),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SolvationShells(*groups(u), cutoffs={"EC": 2.6, "PF6": 2.6}).run()


@pytest.mark.parametrize("n_labels", [1, 3])
def test_legends_are_short_and_the_layout_fits(shells, n_labels):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Tight layout not applied" before
        fig = shells.plot_by_type(n_labels=n_labels)
    try:
        for ax in fig.axes[1:]:
            texts = [t.get_text() for t in ax.get_legend().get_texts()]
            assert len(texts) == n_labels
            assert all(len(t) < 60 and t.endswith("(NOT VALID)") for t in texts)
            # the reason, once per panel, in its stamp
            stamps = [t.get_text() for t in ax.texts if t.get_text().startswith("NOT VALID")]
            assert len(stamps) == 1 and "summed over all" in stamps[0].replace("\n", " ")
            assert ax.title.get_color() == "tab:red"
    finally:
        plt.close(fig)
