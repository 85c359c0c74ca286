"""``errors.csv`` gives the MAPE the rows and degrees of freedom its error rests on.

A measured value of zero has no percentage deviation: the MAPE and its error are over the other
rows, while ``n``, ``dof`` and the verdict counted every compared row. With one measured zero
among 5 rows the MAPE's error had 3 degrees of freedom and was called valid with 4. Now
``MAPE_n`` and ``MAPE_dof`` are its own, and too few of them make the row not valid.
"""

import warnings

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder  # noqa: E402

from ase_electrolyte.screen import aggregate, compare_experimental  # noqa: E402

PROPERTY = "shells.cip"  # a share that can be measured zero (no contact ion pairs)


@pytest.fixture(scope="module")
def base_rows(tmp_path_factory):
    """Two summary rows of a stored screening folder (3 and 4 mol/kg), marked valid."""
    out = tmp_path_factory.mktemp("screen")
    _folder(out, lambda c, r: {PROPERTY: {"value": 0.05 + 0.01 * r + 0.02 * c,
                                          "stderr": 0.005, "unit": "1", "converged": True}},
            replicas=5)
    return aggregate(out, plots=False)


def _summary(base, concentrations):
    """The summary's rows copied to each concentration, scaled as a packed box would be."""
    rows = []
    for k, c in enumerate(concentrations):
        row = base.iloc[k % 2].copy()
        scale = c / row["concentration"]
        row["composition"] = f"EC_LiPF6-{c:g}molal"
        for col in ("concentration", "packed_concentration", "cation_molality"):
            row[col] = row[col] * scale
        row["valid"], row["verdict"] = True, "valid"
        rows.append(row)
    return pd.DataFrame(rows).reset_index(drop=True)


@pytest.mark.parametrize("measured, mape_n, valid", [
    ([0.0, 0.09, 0.1, 0.11, 0.125], 4, False),         # one zero in 5: 3 dof for the MAPE
    ([0.0, 0.09, 0.1, 0.11, 0.125, 0.13], 5, True),    # one zero in 6: 4 dof, enough
    # two zeros in 6, at the ends: the measurements are interpolated to the packed
    # concentrations, which only the end rows' clamp keeps at zero
    ([0.0, 0.09, 0.1, 0.11, 0.125, 0.0], 4, False),
    ([0.08, 0.09, 0.1, 0.11, 0.125], 5, True),         # no zero: the MAPE over every row
])
def test_the_mape_counts_its_own_rows(base_rows, tmp_path, measured, mape_n, valid):
    concentrations = [3.0 + k for k in range(len(measured))]
    summary = _summary(base_rows, concentrations)
    exp = tmp_path / "exp.csv"
    exp.write_text("solvent,salt,concentration,property,value,unit\n" + "".join(
        f"EC,LiPF6,{c},{PROPERTY},{v},1\n" for c, v in zip(concentrations, measured, strict=True)))
    (tmp_path / "cmp").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = compare_experimental(summary, exp, tmp_path / "cmp", plots=False).iloc[0]
    assert row["n"] == len(measured) and row["dof"] == len(measured) - 1
    assert row["MAPE_n"] == mape_n and row["MAPE_dof"] == mape_n - 1
    assert bool(row["valid"]) is valid
    assert ("the MAPE: too few" in row["verdict"]) is (not valid)
    # the MAPE itself: over the rows of non-zero measurements (interpolated to the packed
    # concentrations), against numpy
    cmp = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    nonzero = cmp["experiment"].to_numpy() != 0
    assert int(nonzero.sum()) == mape_n
    expected = 100 * np.mean(np.abs(cmp["deviation"].to_numpy()[nonzero])
                             / np.abs(cmp["experiment"].to_numpy()[nonzero]))
    assert row["MAPE_percent"] == pytest.approx(expected, rel=1e-9)
