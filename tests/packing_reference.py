"""The packability check's volumes as first written (every grid point, every sphere point): the
oracle the fast :func:`ase_electrolyte.build.excluded_volume` and ``_hull_volume`` are held to,
and the "before" of ``benchmarks/bench_plan_load.py``."""

import math

import numpy as np
from scipy.spatial import ConvexHull

from ase_electrolyte.build import _SPHERE_POINTS, _UNIT_BALL


def excluded_volume(positions, radius):
    """Union of spheres by the full grid of every sphere against every earlier atom."""
    positions = np.asarray(positions, dtype=float).reshape(-1, 3)
    points = radius * _UNIT_BALL
    ball = 4.0 / 3.0 * math.pi * radius**3
    volume = 0.0
    for i, centre in enumerate(positions):
        before = positions[:i]
        before = before[np.linalg.norm(before - centre, axis=1) < 2.0 * radius]
        if len(before) == 0:
            volume += ball
            continue
        d2 = np.sum((centre + points[:, None, :] - before[None]) ** 2, axis=-1)
        volume += ball * float(np.mean(np.all(d2 >= radius**2, axis=1)))
    return volume


def hull_volume(positions, radius):
    """Convex hull of all 400 points of every sphere."""
    positions = np.asarray(positions, dtype=float).reshape(-1, 3)
    points = (positions[:, None, :] + radius * _SPHERE_POINTS[None]).reshape(-1, 3)
    return float(ConvexHull(points).volume)
