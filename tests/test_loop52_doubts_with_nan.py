"""implausible_doubts judges a series by its finite values: one NaN no longer hides a unit slip.

Before: a NaN made a series' extremes NaN, which compare false, so a temperature series in °C
with one NaN was doubted as "temperature_K = nan–nan K ...: " with no hint, a density series in
kg/m³ as "nan–nan g/cm³: are masses missing ...", and a pressure series in Pa or a
concentration in mmol/kg with a NaN was not doubted at all; a lone NaN temperature was doubted
as a temperature "far from a liquid's" with an empty hint.
"""

import numpy as np
import pytest

from ase_electrolyte.units import implausible_doubts

# (keyword, a slipped series, what its doubt must say, a plausible series)
SLIPS = [
    ("temperature_K", [25.0, 26.0, 24.5], ("°C?",), [298.0, 300.0]),
    ("temperature_K", [0.0259, 0.026], ("eV",), [298.0, 300.0]),
    ("temperature_K", [3.0e5, 3.1e5], ("typo",), [298.0, 300.0]),
    ("density_g_cm3", [1200.0, 1210.0], ("in kg/m³",), [1.2, 1.21]),
    ("pressure_bar", [1.01325e5, 1.0e5], ("in Pa",), [1.0, 1.1]),
    ("pressure_bar", [-2.0e5, 1.0], ("in Pa",), [1.0, 1.1]),
    ("concentration", [1000.0, 1200.0], ("mmol?",), [1.0, 1.2]),
]
NON_FINITE = [np.nan, np.inf, -np.inf]


@pytest.mark.parametrize(("key", "series", "said", "plausible"), SLIPS)
@pytest.mark.parametrize("bad", NON_FINITE)
@pytest.mark.parametrize("where", [0, 1, -1])
def test_a_non_finite_value_does_not_hide_a_slip(key, series, said, plausible, bad, where):
    values = list(series)
    values.insert(where if where >= 0 else len(values), bad)
    expected = implausible_doubts(**{key: series})
    doubts = implausible_doubts(**{key: values})
    assert doubts == expected and len(doubts) == 1
    assert all(word in doubts[0] for word in said) and "nan" not in doubts[0]


@pytest.mark.parametrize(("key", "series", "said", "plausible"), SLIPS)
@pytest.mark.parametrize("bad", NON_FINITE)
def test_a_non_finite_value_is_no_unit_slip(key, series, said, plausible, bad):
    # a plausible series with a NaN, or a NaN alone: nothing to say about units (the checks
    # of numbers refuse NaN where a number is needed)
    assert implausible_doubts(**{key: [*plausible, bad]}) == []
    assert implausible_doubts(**{key: bad}) == []
    assert implausible_doubts(**{key: [bad, bad]}) == []


@pytest.mark.parametrize(("key", "series", "said", "plausible"), SLIPS)
def test_one_number_is_shown_as_itself(key, series, said, plausible):
    doubts = implausible_doubts(**{key: series[0]})
    assert len(doubts) == 1 and all(word in doubts[0] for word in said)
    assert implausible_doubts(**{key: np.float32(plausible[0])}) == []
