"""Inputs of the volume scan's public helpers, refused by name before any work.

Before:

- ``scan_estimates(values, [1.0, 1.0000001])`` returned one Estimate for two columns (both
  keyed ``"1"``): a column lost without a word; ``[True, 1.5]``, ``[nan, 1.5]``, ``[-1, 1.5]``
  were made keys ``"1"``, ``"nan"``, ``"-1"``; a table of flags was averaged as 0/1.
- ``rigid_scaled_atoms(atoms, ids, "1.1")`` failed inside numpy (``TypeError: ufunc
  'isfinite' not supported``), ``[1.1]`` in a comparison, ``True`` scaled by 1, ``1e300``
  gave an infinite cell, a list of Atoms an ``AttributeError``.
- ``dir(mda_electrolyte.volume_scan)`` did not list the documented ``MIN_SCAN_DISTANCE``
  (served by the module's ``__getattr__``).
"""

import numpy as np
import pytest
from ase.build import molecule

import mda_electrolyte.volume_scan as volume_scan
from mda_electrolyte.volume_scan import (
    MAX_SCALE,
    RigidVolumeScan,
    rigid_scaled_atoms,
    scan_estimates,
)

VALUES = np.array([[-3.0, -1.0], [-5.0, -1.0], [-4.0, -1.2], [-3.5, -0.9], [-4.5, -1.1]])


def _two_waters():
    a, b = molecule("H2O"), molecule("H2O")
    b.positions += [3.2, 0.0, 0.0]
    box = a + b
    box.cell, box.pbc = [8.0, 8.0, 8.0], True
    return box


@pytest.mark.parametrize(
    "scales", [[1.0, 1.0000001], [1.0, 1.0], (2.5, 2.5000001), np.array([1.5, 1.50000004])]
)
def test_scale_factors_of_one_key_are_refused(scales):
    with pytest.raises(ValueError, match="repeat the factor"):
        scan_estimates(VALUES, scales)


@pytest.mark.parametrize(
    "scales,fragment",
    [
        ([True, 1.5], r"scales\[0\] must be a finite number > 0, got True"),
        ([np.nan, 1.5], r"scales\[0\] must be a finite number > 0, got nan"),
        ([1.0, np.inf], r"scales\[1\] must be a finite number > 0, got inf"),
        ([-1.0, 1.5], r"scales\[0\] must be a finite number > 0, got -1"),
        ([0, 1.5], r"scales\[0\] must be a finite number > 0, got 0"),
        (["1", 1.5], r"scales\[0\] must be a finite number > 0, got '1'"),
        ("12", "non-empty sequence of numbers"),
        ([], "non-empty sequence of numbers"),
        (np.array([True, False]), r"scales\[0\] .*got (np.)?True"),
    ],
)
def test_scale_factors_that_are_not_factors_are_refused(scales, fragment):
    with pytest.raises(ValueError, match=fragment):
        scan_estimates(VALUES, scales)


@pytest.mark.parametrize("values", [VALUES > -2, [["a", "b"]] * 5, VALUES.astype(str)])
def test_values_that_are_not_numbers_are_refused(values):
    with pytest.raises(ValueError, match=r"values \(meV/atom\) must be real numbers"):
        scan_estimates(values, [1.0, 1.5])


@pytest.mark.parametrize(
    "scales", [[1.0, 1.5], (1, 1.5), np.array([1.0, 1.5]), [np.float32(1.0), np.int64(2)]]
)
def test_good_scale_factors_of_any_type_give_every_column(scales):
    out = scan_estimates(VALUES, scales)
    assert len(out) == 2
    assert out[f"{float(scales[0]):g}"].value == pytest.approx(-4.0)


@pytest.mark.parametrize(
    "scale,fragment",
    [
        ("1.1", "give it as a number"),
        ([1.1], r"got \[1.1\]"),
        (True, "got True"),
        (1e300, f"<= {MAX_SCALE:g}"),
        (np.nan, "got nan"),
        (0.0, "got 0"),
        (-1.0, "got -1"),
    ],
)
def test_rigid_scaled_atoms_refuses_scales_by_name(scale, fragment):
    with pytest.raises(ValueError, match=rf"scale must be a finite number > 0.*{fragment}"):
        rigid_scaled_atoms(_two_waters(), [0, 0, 0, 1, 1, 1], scale)


@pytest.mark.parametrize("atoms", [[_two_waters()], np.zeros((6, 3)), None])
def test_rigid_scaled_atoms_refuses_what_is_no_atoms(atoms):
    with pytest.raises(TypeError, match="atoms must be an ase.Atoms frame"):
        rigid_scaled_atoms(atoms, [0, 0, 0, 1, 1, 1], 1.1)


@pytest.mark.parametrize("scale", [np.float32(1.1), np.array(1.1), 2, MAX_SCALE])
def test_rigid_scaled_atoms_takes_numbers_of_any_type(scale):
    box = _two_waters()
    scaled = rigid_scaled_atoms(box, [0, 0, 0, 1, 1, 1], scale)
    assert np.allclose(scaled.cell.lengths(), 8.0 * float(scale))
    # the molecules stay rigid: O-H distances unchanged
    assert np.allclose(scaled.get_distance(0, 1), box.get_distance(0, 1))


def test_the_documented_bound_is_listed_and_a_typo_is_named():
    assert "MIN_SCAN_DISTANCE" in dir(volume_scan)
    assert volume_scan.MIN_SCAN_DISTANCE > 0
    with pytest.raises(AttributeError, match="has no attribute 'MIN_SCAN_DISTANC'"):
        volume_scan.MIN_SCAN_DISTANC  # noqa: B018


@pytest.mark.parametrize("frames", [np.array([True]), np.array([True, False, True]), [7], [0, 5]])
def test_check_frames_names_a_selection_outside_the_trajectory(frames):
    # check_frames gave numpy's or MDAnalysis' bare IndexError where run() names it
    from ase.calculators.lj import LennardJones

    scan = RigidVolumeScan(
        [_two_waters(), _two_waters()], LennardJones(sigma=2.0, rc=3.9), scales=[1.0, 1.5]
    )
    for call in (scan.check_frames, scan.run):
        with pytest.raises(ValueError, match=r"frame selection is outside the trajectory \(2"):
            call(frames=frames)
