"""shell_geometry's public helpers refuse what they cannot place.

Before: ``histogram_bins`` put a value beyond the last edge, and NaN, into the last bin and
one below the first edge into bin -1 (numpy.histogram leaves both out); ``angle`` gave NaN for
a vector of zero length (no direction), and broadcast rows of different counts.
"""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mda_electrolyte.shell_geometry import angle, histogram_bins

EDGES = np.linspace(0.0, 8.0, 81)


@pytest.mark.parametrize("seed", range(3))
def test_bins_are_numpy_histograms(seed):
    rng = np.random.default_rng(seed)
    values = np.r_[rng.uniform(0.0, 8.0, 1000), EDGES]  # every edge, the last one included
    counts = np.bincount(histogram_bins(values, EDGES), minlength=EDGES.size - 1)
    np.testing.assert_array_equal(counts, np.histogram(values, EDGES)[0])


@pytest.mark.parametrize("bad", [8.0 + 1e-9, 11.0, -1e-12, -3.0, np.nan, np.inf])
def test_a_value_outside_the_edges_is_refused(bad):
    values = np.array([1.0, bad, 2.0])
    with pytest.raises(ValueError, match="outside the edges"):
        histogram_bins(values, EDGES)


@pytest.mark.parametrize("degrees", [0.0, 30.0, 90.0, 107.0, 132.0, 180.0])
def test_angles_are_the_constructed_ones_whatever_the_rotation_and_lengths(degrees):
    t = np.radians(degrees)
    u = np.array([[1.0, 0.0, 0.0]])
    v = np.array([[np.cos(t), np.sin(t), 0.0]])
    rot = Rotation.random(5, random_state=1).as_matrix()
    us = np.einsum("kij,j->ki", rot, u[0]) * 2.5
    vs = np.einsum("kij,j->ki", rot, v[0]) * 0.3
    np.testing.assert_allclose(angle(us, vs), degrees, atol=1e-6)


@pytest.mark.parametrize("u, v, words", [
    ([[0.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]], "zero length"),
    ([[1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]], "zero length"),
    ([[np.nan, 0.0, 0.0]], [[1.0, 0.0, 0.0]], "not finite"),
    ([[np.inf, 0.0, 0.0]], [[1.0, 0.0, 0.0]], "not finite"),
    ([[1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "one shape"),
    ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], "one shape"),
    ([[1.0, 0.0]], [[0.0, 1.0]], "one shape"),
])
def test_vectors_without_a_direction_or_of_other_shapes_are_refused(u, v, words):
    with pytest.raises(ValueError, match=words):
        angle(u, v)
