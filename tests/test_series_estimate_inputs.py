"""What :func:`ase_electrolyte.md.series_estimate` is given: one series of real numbers.

Before, a series of several components (shape ``(n, 3)``: a vector observable, a pressure
tensor's diagonal) was ravelled into 3n "consecutive" samples, so that components of other means
were averaged together and their interleaving counted as the time series' correlation; a
series of flags was averaged as 0/1; ``None`` entries became NaN.
"""

import numpy as np
import pytest

from ase_electrolyte.md import series_estimate


def _series(n=4000, seed=0):
    """AR(1) noise about 300 with a correlation time of a few samples."""
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    x[0] = 0.0
    for i in range(1, n):
        x[i] = 0.8 * x[i - 1] + rng.normal()
    return 300.0 + x


@pytest.mark.parametrize("shape", [(4000, 3), (3, 4000), (100, 2, 2)])
def test_several_series_at_once_are_refused(shape):
    x = np.random.default_rng(1).normal(size=shape) + np.arange(shape[-1])
    with pytest.raises(ValueError, match=r"x must be one series of samples \(1-D\), got shape "
                                         + repr(shape).replace("(", r"\(").replace(")", r"\)")):
        series_estimate(x, "bar")


@pytest.mark.parametrize("x", [np.array([True, False] * 100), ["300", "301"] * 50,
                               [300.0, None] * 50])
def test_what_is_not_real_numbers_is_refused(x):
    with pytest.raises(TypeError, match="x must be real numbers in K"):
        series_estimate(x, "K")


@pytest.mark.parametrize("reshape", [lambda x: x, lambda x: x[:, None], lambda x: x[None, :],
                                     lambda x: x.tolist(), lambda x: x.astype(np.float32)])
def test_one_series_in_any_container_gives_one_estimate(reshape):
    x = _series()
    reference, t0 = series_estimate(x, "K")
    got, t1 = series_estimate(reshape(x), "K")
    assert t1 == t0
    assert got.value == pytest.approx(reference.value, rel=1e-6)
    assert got.stderr == pytest.approx(reference.stderr, rel=1e-3)
    # the mean of AR(1) noise about 300 K: within 4 of its error bars
    assert abs(got.value - 300.0) < 4 * got.stderr
