"""A replica's log-scale interval (positive transport coefficients, Estimate.interval_scale)
survives the screening's reading of summary.json: it was dropped, so the replica's D or σ came
back with a symmetric interval."""
import math

import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.screen.properties import _from_estimate, replica_property


def _diffusion(scale="log", value=2.0e-10):
    return Estimate(value, 0.6e-10, "m^2/s", "EH fit over segments", 5, True, (), 4.0, scale)


@pytest.mark.parametrize("unit", [None, "m^2/s", "cm^2/s"])
def test_a_log_scale_estimate_read_back_keeps_its_interval(unit):
    est = _diffusion()
    prop = _from_estimate(est.to_dict(), unit)
    assert prop["interval_scale"] == "log"
    back = Estimate.from_dict(prop)
    factor = 1.0 if unit in (None, "m^2/s") else 1e4
    low, high = est.interval(0.95)
    blow, bhigh = back.interval(0.95)
    assert blow == pytest.approx(low * factor, rel=1e-12)
    assert bhigh == pytest.approx(high * factor, rel=1e-12)
    # the log interval is the asymmetric one: further above than below
    assert bhigh - back.value > back.value - blow


def test_a_linear_estimate_is_written_as_before():
    prop = _from_estimate(_diffusion("linear").to_dict(), None)
    assert "interval_scale" not in prop


@pytest.mark.parametrize("value", [0.0, -1.0, math.nan, None])
def test_a_log_scale_is_dropped_where_the_value_is_not_positive(value):
    prop = replica_property(value, 0.1, "1", interval_scale="log")
    assert "interval_scale" not in prop
    if value is not None and math.isfinite(value):
        Estimate.from_dict(prop)
