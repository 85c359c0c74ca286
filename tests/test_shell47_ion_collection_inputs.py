"""IonCollection's own arguments are checked as from_arrays' are, each named, at construction.

Before: ``IonCollection(["Li"], [1.5], dt)`` held one ion (``np.asarray(..., dtype=intp)``), so
did ``[True]``, and ``["2"]`` held two; ``"Li"`` as species was read letter by letter; a species
named twice lost the first one's ions from ``species_slices()``; ``ion_stride=0`` / ``-1`` /
``1.5`` and ``ion_offset=-3`` gave nonsense frame counts (1, -48, ...); NaN ``ion_positions``,
charges or box passed; ``volume_spread=nan`` passed ``checked_volume`` (NaN > 5 % is false) and a
spread given without ``volume_range`` was a ``TypeError`` (unpacking None) in the refusal;
``kinetic_temperature=-5`` became a *valid* "-5 ± 0 K"; a list as ``velocity_sum`` was an
``AttributeError``; ``from_arrays`` with 3 charges for 2 ions was numpy's broadcasting error and
``from_charge_current`` with a species missing from ``charges`` a bare ``KeyError``.
"""

import numpy as np
import pytest

from mda_electrolyte.ion_collection import IonCollection

DT = 0.001
T = 40


def _velocities(n=2):
    return np.random.default_rng(1).normal(size=(T, n, 3))


@pytest.mark.parametrize(
    "kwargs,error,fragment",
    [
        ({"species": "Li", "n_ions": [1]}, TypeError, "not the string 'Li'"),
        ({"species": ["Li", "Li"], "n_ions": [1, 1]}, ValueError, "['Li'] occur more than once"),
        ({"n_ions": [1.5]}, ValueError, "n_ions['Li'] (number of ions) must be a whole number"),
        ({"n_ions": [True]}, ValueError, "got True"),
        ({"n_ions": ["2"]}, ValueError, "not as text"),
        ({"n_ions": [np.nan]}, ValueError, "n_ions['Li']"),
        ({"n_ions": [1, 1]}, ValueError, "one positive count per species"),
        ({"ion_stride": 0}, ValueError, "ion_stride (frames between kept rows)"),
        ({"ion_stride": -1}, ValueError, "ion_stride"),
        ({"ion_stride": 1.5}, ValueError, "ion_stride"),
        ({"ion_offset": -3}, ValueError, "ion_offset (frame of the first kept row)"),
        ({"ion_positions": np.full((5, 1, 3), np.nan)}, ValueError, "ion_positions contains NaN"),
        (
            {"ion_positions": np.zeros((5, 3))},
            ValueError,
            "ion_positions must have shape (T, 1, 3)",
        ),
        (
            {"ion_velocities": np.zeros((5, 2, 3))},
            ValueError,
            "ion_velocities must have shape (T, 1, 3)",
        ),
        ({"com_position": np.zeros((5, 1, 3))}, ValueError, "com_position must have shape (T, 3)"),
        (
            {
                "velocity_sum": np.zeros((5, 1, 3)),
                "ion_positions": np.zeros((3, 1, 3)),
                "ion_stride": 3,
            },
            ValueError,
            "its last row would be frame 6",
        ),
        ({"volume": 1e3, "volume_spread": np.nan}, ValueError, "volume_spread"),
        ({"volume": 1e3, "volume_spread": -0.1}, ValueError, "volume_spread"),
        ({"volume": 1e3, "volume_range": (5.0,)}, ValueError, "volume_range must be (min, max)"),
        ({"volume": 1e3, "volume_range": (1100.0, 900.0)}, ValueError, "min above max"),
        ({"volume": 1e3, "volume_range": (np.nan, 900.0)}, ValueError, "volume"),
        ({"kinetic_temperature": -5.0}, ValueError, "kinetic_temperature (K)"),
        ({"kinetic_temperature": np.nan}, ValueError, "kinetic_temperature (K)"),
        (
            {"temperature_series": [300.0, np.nan, 301.0]},
            ValueError,
            "temperature_series (K) contains NaN",
        ),
        ({"temperature_series": [300.0, -1.0, 301.0]}, ValueError, "negative temperatures"),
        ({"box": [np.nan] * 6}, ValueError, "box contains NaN"),
        ({"box": [10.0, 10.0, 10.0]}, ValueError, "6 numbers, not 3"),
        ({"charges": [[np.nan]]}, ValueError, "charges of 'Li' (e) contains NaN"),
        (
            {"species": ["Li", "PF6"], "n_ions": [1, 1], "charges": [[1.0]]},
            ValueError,
            "charges has 1 entries for 2 species",
        ),
        (
            {"species": ["Li", "PF6"], "n_ions": [1, 1], "charge_sources": ["given"]},
            ValueError,
            "charge_sources has 1 entries for 2 species",
        ),
    ],
)
def test_bad_constructor_arguments_are_refused_by_name(kwargs, error, fragment):
    args = {"species": ["Li"], "n_ions": [1], "dt": DT, **kwargs}
    with pytest.raises(error) as err:
        IonCollection(args.pop("species"), args.pop("n_ions"), args.pop("dt"), **args)
    assert fragment in str(err.value)


def test_good_constructor_arguments_of_any_numeric_type_are_taken():
    col = IonCollection(
        ("Li",),
        np.array([3]),
        np.float32(0.002),
        velocity_sum=[[[0.0, 0.0, 0.0]]] * 5,
        ion_stride=np.int64(2),
        kinetic_temperature=np.float32(300.0),
        volume=1e3,
        volume_range=[990, 1010],
        volume_spread=np.float64(0.004),
        box=np.array([[10.0, 10.0, 10.0, 90.0, 90.0, 90.0]]),
    )
    assert col.n_frames == 5 and col.velocity_sum.shape == (5, 1, 3)
    assert list(col.n_ions) == [3] and col.ion_stride == 2
    assert col.volume_range == (990.0, 1010.0) and col.box.shape == (6,)
    assert col.checked_volume("x") == 1e3
    # the pressure-tensor collection has no species: still taken
    empty = IonCollection((), (), DT, volume=1e3, pressure_tensor=np.zeros((5, 3, 3)))
    assert empty.n_frames == 5 and empty.species == []
    # rows every 2 frames ending at the last frame are consistent
    kept = IonCollection(
        ["Li"],
        [1],
        DT,
        velocity_sum=np.zeros((5, 1, 3)),
        ion_positions=np.zeros((3, 1, 3)),
        ion_stride=2,
    )
    assert kept.n_frames == 5


@pytest.mark.parametrize("volume_range", [None, (800.0, 1200.0)])
def test_a_varying_volume_is_refused_with_or_without_its_range(volume_range):
    col = IonCollection(
        ["Li"], [1], DT, volume=1e3, volume_spread=0.5, volume_range=volume_range, label="run"
    )
    with pytest.raises(ValueError, match=r"run: the box volume varies by 50\.0 %"):
        col.checked_volume("GK")


@pytest.mark.parametrize(
    "charges,fragment",
    [
        (
            {"Li": [1.0, 1.0, 1.0]},
            "charges['Li'] must be one charge or 2 (one per ion), not shape (3,)",
        ),
        ({"Li": [[1.0, 1.0]]}, "not shape (1, 2)"),
        # refused per ion as any given charge is (carriers.check_ion_charge)
        ({"Li": np.nan}, "charges['Li'] (e per ion) must be a finite number"),
    ],
)
def test_from_arrays_charges_of_the_wrong_shape_are_named(charges, fragment):
    with pytest.raises(ValueError) as err:
        IonCollection.from_arrays(
            {"Li": 2, "PF6": 2}, dt=DT, velocities=_velocities(4), charges=charges
        )
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "charges,fragment",
    [
        ({"Li": {"charge": 1.0, "source": "formal"}}, "charges lacks species ['PF6']"),
        ({"Li": {"charge": 1.0, "source": "formal"}, "PF6": -1.0}, "must be dicts"),
        (
            {"Li": {"charge": 1.0, "source": "formal"}, "PF6": {"charge": np.nan, "source": "x"}},
            "charges['PF6']['charge'] (e)",
        ),
    ],
)
def test_from_charge_current_charges_missing_or_malformed_are_named(charges, fragment):
    with pytest.raises(ValueError) as err:
        IonCollection.from_charge_current(
            np.zeros((T, 2, 3)), ["Li", "PF6"], dt=DT, volume=1e3, charges=charges
        )
    assert fragment in str(err.value)


def test_from_charge_current_species_as_a_string_is_refused():
    with pytest.raises(TypeError, match="not the string 'Li'"):
        IonCollection.from_charge_current(np.zeros((T, 1, 3)), "Li", dt=DT, volume=1e3)


def _tensor(n=200):
    p = np.random.default_rng(0).normal(0.0, 300.0, (n, 3, 3))
    return (p + p.transpose(0, 2, 1)) / 2


def test_a_temperature_that_is_not_its_series_mean_is_refused():
    # before: 300 K used by the viscosity while temperature_estimate() reported 350 K
    with pytest.raises(
        ValueError,
        match=r"the temperature 300 K is not the mean of "
        r"temperature_series \(350 K\)",
    ):
        IonCollection.from_pressure_tensor(
            _tensor(), dt=DT, volume=1e4, temperature=300, temperature_series=np.full(200, 350.0)
        )
    with pytest.raises(ValueError, match="not the mean of temperature_series"):
        IonCollection(["Li"], [1], DT, kinetic_temperature=300.0, temperature_series=[340.0, 360.0])


def test_a_series_alone_gives_the_temperature_and_a_float32_mean_is_its_mean():
    # before: a series without temperature= left kinetic_temperature None
    col = IonCollection.from_pressure_tensor(
        _tensor(), dt=DT, volume=1e4, temperature_series=[340.0, 360.0] * 100
    )
    assert col.kinetic_temperature == pytest.approx(350.0)
    assert col.temperature_estimate().value == pytest.approx(350.0)
    # the mean a float32 series gives (as an H5MD file's temperature observable) is taken
    series = (300.0 + np.random.default_rng(1).normal(0.0, 5.0, 100_000)).astype(np.float32)
    # a tensor of the same samples: a series of other samples is refused (transport56)
    col = IonCollection.from_pressure_tensor(
        _tensor(series.size),
        dt=DT,
        volume=1e4,
        temperature=float(np.mean(series)),
        temperature_series=series.astype(float),
    )
    assert col.kinetic_temperature == pytest.approx(300.0, abs=0.1)


@pytest.mark.parametrize("given", [-5.0, 0, float("nan"), float("inf"), True, "1e3"])
def test_checked_volume_refuses_a_given_volume_that_is_none(given):
    # before: float(given) returned -5.0, 0.0, nan, 1.0 and 1000.0
    col = IonCollection(["Li"], [1], DT, volume=1e3)
    with pytest.raises(ValueError, match=r"volume \(Å³\) must be a finite number > 0"):
        col.checked_volume("GK", given)
    assert col.checked_volume("GK", np.float32(2e3)) == 2e3
