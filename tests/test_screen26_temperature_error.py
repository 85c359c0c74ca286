"""summary.csv's measured temperature carries its standard error (independent replicas).

The mean of the replicas' production temperatures was shown with no uncertainty; its error is
``sqrt(sum e_i^2) / n`` of the replicas' own standard errors, NaN where one of them has none.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ase_electrolyte.screen.aggregate import _run_shape


def _place(temperatures, errors):
    n = len(temperatures)
    return pd.DataFrame({"replica": range(n), "measured_temperature_K": temperatures,
                         "measured_temperature_error_K": errors,
                         "cell": ["20 20 20 90 90 90"] * n})


def test_error_of_the_mean_of_independent_replicas():
    t, e, shape, doubts = _run_shape(_place([298.0, 301.0, 300.0], [1.0, 2.0, 2.0]), 300.0)
    assert t == pytest.approx(299.6666666666667)
    assert e == pytest.approx(math.sqrt(1.0 + 4.0 + 4.0) / 3.0)
    assert shape == "cubic" and doubts == []


def test_rows_of_one_replica_count_once():
    # a replica has one row per property: its temperature is one sample, not three
    place = pd.concat([_place([300.0, 296.0], [3.0, 4.0])] * 3, ignore_index=True)
    t, e, _, _ = _run_shape(place, 300.0)
    assert t == pytest.approx(298.0) and e == pytest.approx(2.5)


@pytest.mark.parametrize("errors", [[1.0, math.nan], [math.inf, 1.0]])
def test_an_error_missing_for_one_replica_leaves_none(errors):
    t, e, _, _ = _run_shape(_place([300.0, 302.0], errors), 300.0)
    assert t == pytest.approx(301.0) and math.isnan(e)


def test_no_temperature_no_error():
    t, e, _, _ = _run_shape(_place([300.0, math.nan], [1.0, 1.0]), 300.0)
    assert math.isnan(t) and math.isnan(e)
