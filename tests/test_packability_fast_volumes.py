"""The packability check's volumes, made cheaper, give the numbers and verdicts they gave.

A screening plan checks every task's box with the conformers of its own seed, and each check
measures the convex hull (``_hull_volume``) and the excluded volume (``excluded_volume``) of
every conformer. The excluded volume now tests only the grid points in the caps that earlier
atoms' spheres can reach (every other point is outside them by more than any rounding), and
both volumes are kept by the exact bytes of the positions and the radius (Li⁺ and PF6⁻ are the
same bytes for every seed) in a bounded cache. The oracle is the first implementation,
``tests/packing_reference.py``: every grid point against every earlier atom, every sphere
point into qhull. Equality is exact: the same grid points are counted with the same sums.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import packing_reference  # noqa: E402

import ase_electrolyte.build as build  # noqa: E402
from ase_electrolyte.build import excluded_volume  # noqa: E402
from ase_electrolyte.screen.plan import PlanError, load_plan  # noqa: E402
from ase_electrolyte.species import get_species  # noqa: E402

RADII = (0.5, 1.0, 1.7)


@pytest.fixture(autouse=True)
def cold_cache():
    build._volume_of.cache_clear()
    yield
    build._volume_of.cache_clear()


def _conformers():
    """Conformers of rigid and flexible molecules and ions, and every rotamer of EMC and DMC."""
    out = {}
    for name in ("EC", "PF6", "Li", "G2", "TFSI", "FSI"):
        for seed in (0, 7):
            out[f"{name}-{seed}"] = build.conformer(name, seed=seed).positions
    for name in ("EMC", "DMC"):
        for label, atoms, *_ in build._rotamers(get_species(name), 3, build._DEFAULT_EMBEDDINGS):
            out[f"{name}-{label}"] = atoms.positions
    return out


CONFORMERS = _conformers()


def _walk(n, step, seed):
    """A random chain of ``n`` atoms ``step`` Å apart: overlaps at every distance."""
    steps = np.random.default_rng(seed).normal(size=(n, 3))
    return np.cumsum(step * steps / np.linalg.norm(steps, axis=1)[:, None], axis=0)


SHAPES = {
    "random cloud": np.random.default_rng(1).uniform(-3.0, 3.0, (30, 3)),
    "line": np.c_[np.arange(10) * 1.5, np.zeros(10), np.zeros(10)],
    "coincident atoms": np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),
    "one atom": np.array([[0.3, -0.2, 5.0]]),
    "touching at 2r": np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [1.0, 1.0, 0.0]]),
    "dense walk": _walk(60, 0.4, 2),
    "long walk": _walk(200, 1.5, 3),
}


@pytest.mark.parametrize("radius", RADII)
@pytest.mark.parametrize("name", sorted(CONFORMERS))
def test_conformer_volumes_equal_the_full_grid_and_hull(name, radius):
    positions = CONFORMERS[name]
    assert excluded_volume(positions, radius) == packing_reference.excluded_volume(
        positions, radius)
    assert build._hull_volume(positions, radius) == packing_reference.hull_volume(
        positions, radius)


@pytest.mark.parametrize("radius", RADII)
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shape_excluded_volumes_equal_the_full_grid(name, radius):
    positions = SHAPES[name]
    assert excluded_volume(positions, radius) == packing_reference.excluded_volume(
        positions, radius)


def test_a_cached_volume_is_never_that_of_other_positions_or_radius():
    positions = CONFORMERS["EC-0"].copy()
    first = excluded_volume(positions, 1.0)
    # the caller moves an atom of the same array: the volume is that of the new positions
    positions[0] += [0.0, 0.0, 0.7]
    moved = excluded_volume(positions, 1.0)
    assert moved != first
    assert moved == packing_reference.excluded_volume(positions, 1.0)
    assert build._hull_volume(positions, 1.0) == packing_reference.hull_volume(positions, 1.0)
    # another radius, the same positions
    assert excluded_volume(positions, 1.1) == packing_reference.excluded_volume(positions, 1.1)
    # the same bytes as a list, a float32 copy is other positions (rounded)
    assert excluded_volume(positions.tolist(), 1.0) == moved
    rounded = positions.astype(np.float32)
    assert excluded_volume(rounded, 1.0) == packing_reference.excluded_volume(rounded, 1.0)


def test_the_cache_is_bounded_and_skips_large_molecules():
    for k in range(build._VOLUME_CACHE_SIZE + 40):
        excluded_volume([[0.0, 0.0, 0.0], [0.0, 0.0, 3.0 + 0.01 * k]], 1.0)
    info = build._volume_of.cache_info()
    assert info.currsize == build._VOLUME_CACHE_SIZE
    build._volume_of.cache_clear()
    # more atoms than the cache keeps, 5 Å apart
    grid = np.arange(11) * 5.0
    large = np.stack(np.meshgrid(grid, grid, grid), axis=-1).reshape(-1, 3)
    assert len(large) > build._VOLUME_CACHE_ATOMS
    excluded_volume(large, 1.0)
    excluded_volume(large, 1.0)
    assert build._volume_of.cache_info().currsize == 0


def test_repeated_ions_are_measured_once():
    pf6 = CONFORMERS["PF6-0"]
    assert np.array_equal(pf6, CONFORMERS["PF6-7"])  # the octahedron does not depend on seed
    for _ in range(3):
        excluded_volume(pf6, 1.0)
        build._hull_volume(pf6, 1.0)
    info = build._volume_of.cache_info()
    assert (info.misses, info.hits) == (2, 4)


def test_the_callers_positions_are_not_changed_and_the_result_is_a_float():
    positions = CONFORMERS["G2-0"].copy()
    before = positions.copy()
    for _ in range(2):  # computed, then from the cache
        volume = excluded_volume(positions, 1.0)
        assert type(volume) is float
        assert type(build._hull_volume(positions, 1.0)) is float
    assert np.array_equal(positions, before)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_positions_that_are_no_numbers_are_refused_by_name(bad):
    positions = CONFORMERS["EC-0"].copy()
    positions[4, 1] = bad
    with pytest.raises(ValueError, match=r"positions: atom 4 is at .* must be finite"):
        excluded_volume(positions, 1.0)


def _with_reference(monkeypatch):
    monkeypatch.setattr(build, "_hull_volume", packing_reference.hull_volume)
    monkeypatch.setattr(build, "excluded_volume", packing_reference.excluded_volume)


def _verdict(counts, density, seed):
    try:
        build._check_packable_at(counts, density, {}, seed=seed)
    except ValueError as err:
        return str(err)
    return "packs"


# rotamer species (EMC, DMC), a flexible chain (G2), rigid ions; densities that pack and some
# that are refused with the molecules' numbers
BOXES = [
    ({"EC": 7, "EMC": 14, "Li": 2, "PF6": 2}, (1.2, 1.9, 3.0)),
    ({"DMC": 12, "Li": 1, "FSI": 1}, (1.1, 2.5)),
    ({"G2": 13}, (1.1, 3.0)),
]


@pytest.mark.parametrize("box, densities", BOXES)
def test_packability_verdicts_and_numbers_are_those_of_the_reference(box, densities,
                                                                   monkeypatch):
    counts = {get_species(name): n for name, n in box.items()}
    seeds = (5, 1234567)
    new = [_verdict(counts, d, s) for d in densities for s in seeds]
    _with_reference(monkeypatch)
    old = [_verdict(counts, d, s) for d in densities for s in seeds]
    assert new == old
    assert any(v == "packs" for v in new)
    assert any("cannot be packed" in v for v in new)


def _plan(density):
    return {"seed": 4, "replicas": 1, "temperatures": [298, 318], "n_atoms": 300,
            "density": density, "model": {"calculator": "ase.calculators.emt:EMT"},
            "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6",
                             "concentration": [0.5, 1.0]}]}


def _load(density):
    try:
        return [(t.id, t.seed) for t in load_plan(_plan(density)).tasks()]
    except PlanError as err:
        return str(err)


def test_plans_are_those_of_the_reference(monkeypatch):
    new = [_load(1.2), _load(2.2)]
    _with_reference(monkeypatch)
    old = [_load(1.2), _load(2.2)]
    assert new == old
    assert isinstance(new[0], list) and len(new[0]) == 4
    assert "cannot be packed" in new[1]
