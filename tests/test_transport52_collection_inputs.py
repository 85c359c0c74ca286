"""IonCollection inputs that contradict themselves are refused, naming what is wrong.

- ``from_arrays(masses=...)`` giving some species' masses weighed the others at the default
  1 amu: ``masses={"Li": 6.94}`` beside 145 amu anions made the drift reference Li's (0.22 of
  it per Li ion instead of 0.011).
- NaN or infinite positions or velocities were refused as "position_sum contains NaN or
  infinite values" (an internal sum; no frame, no ion).
- A mean volume outside its own ``volume_range`` was accepted: the spread was judged by the
  range and the numbers divided by the volume of another run.
"""

import warnings

import numpy as np
import pytest

from mda_electrolyte import Diffusion
from mda_electrolyte.ion_collection import IonCollection

DT = 0.1
SPECIES = {"Li": 2, "AN": 2, "EC": 3}


def _walk(n_frames=400, n_ions=7, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(0.0, 0.3, (n_frames, n_ions, 3)), axis=0)


@pytest.mark.parametrize("masses, lacking", [
    ({"Li": 6.94}, ["AN", "EC"]),
    ({"Li": 6.94, "AN": 145.0}, ["EC"]),
    ({"EC": [88.0, 88.0, 88.0]}, ["Li", "AN"]),
    ({"AN": 145.0, "EC": 88.0}, ["Li"]),
])
@pytest.mark.parametrize("field", ["positions", "velocities"])
def test_masses_of_some_species_only_are_refused(masses, lacking, field):
    with pytest.raises(ValueError, match="but not") as info:
        IonCollection.from_arrays(SPECIES, dt=DT, **{field: _walk()}, masses=masses)
    assert str(lacking) in str(info.value)


@pytest.mark.parametrize("masses", [None, {}, {"Li": 6.94, "AN": 145.0, "EC": 88.0}])
def test_all_masses_or_none_are_taken(masses):
    col = IonCollection.from_arrays(SPECIES, dt=DT, positions=_walk(), masses=masses)
    w = col.drift_weights()
    if not masses:
        np.testing.assert_allclose(w, np.full(7, 1 / 7))
    else:
        m = np.array([6.94] * 2 + [145.0] * 2 + [88.0] * 3)
        np.testing.assert_allclose(w, m / m.sum())


def test_the_drift_reference_with_every_mass_is_the_centre_of_mass():
    # the ions' common drift, mass-weighted, is what remove_drift takes away: a shared
    # displacement of every ion leaves D of independent walks unchanged
    x = _walk(n_frames=2000, seed=3)
    shift = np.cumsum(np.full((2000, 1, 3), 0.05), axis=0)
    masses = {"Li": 6.94, "AN": 145.0, "EC": 88.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = Diffusion.from_collections(
            IonCollection.from_arrays(SPECIES, dt=DT, positions=x, masses=masses)).results
        moved = Diffusion.from_collections(
            IonCollection.from_arrays(SPECIES, dt=DT, positions=x + shift,
                                      masses=masses)).results
    for name in SPECIES:
        assert moved.diffusion_coefficient[name].value == pytest.approx(
            plain.diffusion_coefficient[name].value, rel=1e-6)


@pytest.mark.parametrize("field", ["positions", "velocities"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("frame, ion, species", [(0, 0, "Li"), (57, 3, "AN"), (399, 6, "EC")])
def test_non_finite_arrays_name_the_frame_and_ion(field, bad, frame, ion, species):
    x = _walk()
    x[frame, ion, 1] = bad
    with pytest.raises(ValueError) as info:
        IonCollection.from_arrays(SPECIES, dt=DT, **{field: x})
    text = str(info.value)
    assert text.startswith(f"{field} hold 1 frame(s) with NaN or infinite values")
    assert f"frame {frame} (ion {ion}, of species {species!r})" in text
    assert "_sum" not in text


@pytest.mark.parametrize("volume, volume_range", [
    (8000.0, (9000.0, 9500.0)),
    (10000.0, (9000.0, 9500.0)),
    (8999.0, (9000.0, 9000.0)),
])
@pytest.mark.parametrize("kind", ["pressure tensor", "charge current"])
def test_a_volume_outside_its_range_is_refused(volume, volume_range, kind):
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="outside volume_range"):
        if kind == "pressure tensor":
            IonCollection.from_pressure_tensor(300 * rng.normal(size=(100, 3, 3)), dt=DT,
                                               volume=volume, volume_range=volume_range)
        else:
            IonCollection.from_charge_current(rng.normal(size=(100, 2, 3)), ["Li", "AN"],
                                              dt=DT, volume=volume,
                                              volume_range=volume_range)


@pytest.mark.parametrize("volume, volume_range", [
    (9000.0, (9000.0, 9000.0)),
    (9250.0, (9000.0, 9500.0)),
    # a float32 mean of equal volumes rounds within float32 precision
    (float(np.float32(9000.0) * (1 + 2e-7)), (9000.0, 9000.0)),
])
def test_a_volume_within_its_range_is_kept(volume, volume_range):
    rng = np.random.default_rng(1)
    col = IonCollection.from_pressure_tensor(300 * rng.normal(size=(100, 3, 3)), dt=DT,
                                             volume=volume, volume_range=volume_range)
    assert col.volume == volume and col.volume_range == volume_range
