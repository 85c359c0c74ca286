"""A measurement compared with a summary that holds its composition twice.

Summaries of two screens concatenated (``pd.concat`` keeps both indices) made
``compare_experimental`` a ``TypeError`` (``float()`` of the frame one index label returned),
and a summary holding one electrolyte under two labels (a folder of an earlier version)
compared the measurement with the last row only, in silence. Now each such row is listed in
``comparison.csv``, not valid with the reason, and out of the errors."""

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder  # noqa: E402

from ase_electrolyte.screen import aggregate, compare_experimental  # noqa: E402


def _summary(tmp_path, offset):
    out = tmp_path / f"screen{offset}"
    _folder(out, lambda c, r: {"density": {"value": 1.2 + offset + 0.01 * r, "stderr": 0.01,
                                           "unit": "g/cm^3", "converged": True}}, replicas=5)
    return aggregate(out, plots=False)


def _exp(tmp_path):
    exp = tmp_path / "exp.csv"
    exp.write_text("solvent,salt,concentration,property,value\nEC,LiPF6,3.0,density,1.3\n"
                   "EC,LiPF6,4.0,density,1.35\nEC,LiPF6,5.0,density,1.4\n")
    return exp


def test_one_screens_summary_is_compared_as_before(tmp_path):
    errors = compare_experimental(_summary(tmp_path, 0.0), _exp(tmp_path), tmp_path,
                                  plots=False)
    assert (errors.iloc[0]["n"], errors.iloc[0]["n_excluded"]) == (2, 0)
    assert pd.read_csv(tmp_path / "comparison.csv")["valid"].all()


@pytest.mark.parametrize("relabel", [False, True], ids=["same labels", "other labels"])
def test_a_composition_held_twice_is_named_not_compared(tmp_path, relabel):
    a, b = _summary(tmp_path, 0.0), _summary(tmp_path, 0.1)
    if relabel:
        b["composition"] = b["composition"] + "-again"
    both = pd.concat([a, b])  # indices 0, 1, 0, 1
    before = both.copy()
    errors = compare_experimental(both, _exp(tmp_path), tmp_path, plots=False)
    pd.testing.assert_frame_equal(both, before)  # the caller's frame is not changed
    comparison = pd.read_csv(tmp_path / "comparison.csv")
    assert len(comparison) == 4 and not comparison["valid"].any()
    assert comparison["verdict"].str.contains(
        "the summary holds this composition, temperature and property 2 times").all()
    assert sorted(comparison["mean"]) == pytest.approx(sorted(a["mean"].tolist()
                                                              + b["mean"].tolist()))
    row = errors.iloc[0]
    assert (row["n"], row["n_excluded"], bool(row["valid"])) == (0, 4, False)
