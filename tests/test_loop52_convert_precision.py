"""units.convert works in double precision whatever the value's type, and refuses what a float
cannot hold, by name.

Before: a float32 value (MDAnalysis' arrays are float32) kept its type, so 1e38 S/m was refused
as "overflows in mS/cm" (1e39 fits a float), a float16 60000 S/m likewise, 1e-38 Å²/ps came
back as 0.0 m²/s without a word, and every result lost the digits past the seventh
(1.2345678 g/cm³ gave 1234.5677 kg/m³); a Python int beyond 64 bits (10**30 S/m) raised
numpy's "ufunc 'isfinite' not supported for the input types".
"""

import re

import numpy as np
import pytest
from scipy import constants as c

from ase_electrolyte.units import UNITS, convert

# pairs of units of one dimension, with the SI factor from scipy.constants apart from UNITS
PAIRS = [
    ("S/m", "mS/cm", 10.0),
    ("Å^2/ps", "m^2/s", c.angstrom**2 / c.pico),
    ("Å^2/ps", "1e-9 m^2/s", c.angstrom**2 / c.pico / 1e-9),
    ("g/cm^3", "kg/m^3", 1000.0),
    ("eV", "kcal/mol", c.e * c.N_A / (c.kilo * c.calorie)),
    ("eV/Å^3", "GPa", c.e / c.angstrom**3 / c.giga),
    ("bar", "atm", c.bar / c.atm),
    ("1/bar", "1/GPa", c.giga / c.bar),
]
TYPES = [np.float16, np.float32, np.float64, np.int32, np.int64]


@pytest.mark.parametrize(("a", "b", "factor"), PAIRS)
@pytest.mark.parametrize("dtype", TYPES)
def test_the_result_is_the_double_precision_product(a, b, factor, dtype):
    value = np.array([1.2345678, 3.0, 700.25]).astype(dtype)
    out = convert(value, a, b)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, value.astype(np.float64) * factor, rtol=1e-12)
    scalar = convert(value[0], a, b)
    assert float(scalar) == pytest.approx(float(value[0]) * factor, rel=1e-12)
    # there and back again to 15 digits
    np.testing.assert_allclose(convert(out, b, a), value.astype(np.float64), rtol=1e-14)


@pytest.mark.parametrize(("value", "a", "b"), [
    (np.float32(1e38), "S/m", "mS/cm"),
    (np.float16(60000.0), "S/m", "mS/cm"),
    (np.float32(3e38), "kbar", "bar"),
    (np.float32(1e-38), "Å^2/ps", "m^2/s"),
    (np.float16(1e-4), "1/GPa", "1/Pa"),
])
def test_a_low_precision_value_a_double_holds_is_converted(value, a, b):
    out = convert(value, a, b)
    assert np.isfinite(out) and out != 0
    assert float(out) == pytest.approx(float(value) * UNITS[a][1] / UNITS[b][1], rel=1e-12)


@pytest.mark.parametrize("value", [10**30, 2**70, -(10**25), np.array([10**20]).astype(object)
                                   .astype(np.float64)])
def test_a_large_int_is_converted(value):
    assert convert(value, "S/m", "mS/cm") == pytest.approx(np.asarray(value, float) * 10.0,
                                                             rel=1e-15)


@pytest.mark.parametrize(("value", "a", "b", "said"), [
    (10**400, "S/m", "mS/cm", "beyond the range of a float"),
    (-(10**400), "bar", "Pa", "beyond the range of a float"),
    (1e308, "S/m", "µS/cm", "overflows in µS/cm"),
    (np.array([1.0, 1e308]), "S/m", "mS/cm", "overflows in mS/cm"),
    (1e-320, "Å^2/ps", "m^2/s", "underflows to 0 in m^2/s"),
    (np.array([0.0, 1.0, 3e-320]), "Å^2/ps", "m^2/s", "underflows to 0 in m^2/s"),
])
def test_what_no_float_holds_is_refused_by_name(value, a, b, said):
    with pytest.raises(ValueError, match=re.escape(said)):
        convert(value, a, b)


@pytest.mark.parametrize("value", [0.0, -0.0, np.array([0.0, np.nan, np.inf, -np.inf])])
def test_zero_nan_and_infinities_pass_as_they_are(value):
    out = convert(value, "Å^2/ps", "m^2/s")
    np.testing.assert_array_equal(np.isnan(out), np.isnan(value))
    np.testing.assert_array_equal(out[~np.isnan(out)] if np.ndim(out) else out,
                                  (np.asarray(value) * 1e-8)[~np.isnan(value)]
                                  if np.ndim(value) else value * 1e-8)
