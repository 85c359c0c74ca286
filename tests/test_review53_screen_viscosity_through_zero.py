"""The screen's Yeh–Hummer correction refuses a viscosity whose interval reaches zero, by the
rule Diffusion's own term follows (:meth:`Estimate.reaches_zero`).

1/η has no bounded interval once η's reaches zero (Fieller 1954), so the first-order error of
ξ k_B T / (6 π η L) means nothing there: a valid viscosity row of 0.9 ± 5 mPa·s corrected
the compared D with that error, and the comparison was valid.
"""

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder  # noqa: E402
from test_screen_finite_size_diffusion import _experiment, _replica, _run  # noqa: E402

from ase_electrolyte.estimate import Estimate  # noqa: E402
from ase_electrolyte.screen import aggregate  # noqa: E402
from ase_electrolyte.screen.aggregate import compare_experimental  # noqa: E402


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screen")
    _folder(folder, lambda c, r: _replica(r), replicas=5, simulation=_run)
    return folder, aggregate(folder, plots=False)


@pytest.mark.parametrize("sem, bounded", [(5.0, False), (0.5, False), (0.3, True),
                                          (0.05, True)])
def test_a_viscosity_through_zero_is_not_compared(summary, tmp_path, sem, bounded):
    folder, table = summary
    table = table.copy()
    rows = table["property"] == "viscosity"
    table.loc[rows, "mean"] = 0.9
    table.loc[rows, "sem"] = sem
    exp = _experiment(tmp_path / "exp.csv", ["EC,LiPF6,3.0,D_Li,1.6e-10,,m^2/s",
                                             "EC,LiPF6,4.0,D_Li,1.4e-10,,m^2/s"])
    compare_experimental(table, exp, tmp_path, plots=False)
    comparison = pd.read_csv(tmp_path / "comparison.csv")
    said = comparison["verdict"].str.contains("interval reaching zero", regex=False)
    assert (said == (not bounded)).all(), comparison["verdict"]
    if not bounded:
        assert not comparison["valid"].any()
        assert comparison["verdict"].str.contains("Fieller 1954", regex=False).all()
    # the correction itself is still made (a finite number beside its verdict)
    assert np.isfinite(comparison["finite_size_correction"]).all()
    # the same rule as an Estimate of the row (dof of 5 replicas)
    dof = table.loc[rows, "dof"].iloc[0] if "dof" in table else 4
    assert Estimate(0.9, sem, "mPa·s", "row", dof=dof).reaches_zero() is (not bounded)
