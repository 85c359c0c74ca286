"""check_number refuses NumPy's timedelta64 and datetime64, which carry units of their own.

``np.timedelta64`` is a NumPy integer type: ``np.timedelta64(10, "fs")`` passed as ``dt`` (ps)
was read as 10 ps, a thousand times the spacing meant, and a 0-d array of it as its count; every
rate computed from it was off by the ratio of the units. Refused now, with the number in the
argument's unit where both are times.
"""

import numpy as np
import pytest
from ase.build import molecule

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.build import electrolyte_box
from mda_electrolyte import from_ase

DURATIONS = [
    (np.timedelta64(10, "fs"), "dt (ps)", "(0.01)"),
    (np.timedelta64(2, "fs"), "timestep_fs", "(2)"),
    (np.timedelta64(10, "m"), "packmol_timeout (s)", "(600)"),
    (np.timedelta64(3, "ns"), "production_ps", "(3000)"),
    (np.array(np.timedelta64(5, "fs")), "dt (ps)", "(0.005)"),
    (np.timedelta64(5), "dt (ps)", "in ps"),
    (np.timedelta64(5, "fs"), "steps", "give the number"),
]


@pytest.mark.parametrize("value, name, advice", DURATIONS)
@pytest.mark.parametrize("integer", [False, True])
def test_a_duration_is_no_number_of_the_argument_unit(value, name, advice, integer):
    with pytest.raises(ValueError, match="a duration with a unit of its own") as err:
        check_number(name, value, above=0, integer=integer)
    assert advice in str(err.value)


@pytest.mark.parametrize("value", [np.datetime64("2020-01-01"), np.datetime64(5, "s"),
                                   np.array(np.datetime64("2020-01-01T00:00"))])
def test_a_date_is_no_number(value):
    with pytest.raises(ValueError, match="a date, no number"):
        check_number("time_ps", value)


@pytest.mark.parametrize("value, expected", [(np.int64(3), 3), (np.float32(0.5), 0.5),
                                             (np.array(2.0), 2.0), (np.uint8(7), 7)])
def test_numpy_numbers_are_still_numbers(value, expected):
    assert check_number("x", value, minimum=0) == expected


def test_from_ase_refuses_a_timedelta_dt():
    frames = []
    for k in range(3):
        water = molecule("H2O")
        water.center(vacuum=4.0)
        water.pbc = True
        water.positions += 0.01 * k
        frames.append(water)
    with pytest.raises(ValueError, match=r"dt \(ps\).*in ps \(0.01\)"):
        from_ase(frames, dt=np.timedelta64(10, "fs"))


def test_the_builder_refuses_a_timedelta_timeout_before_packing():
    with pytest.raises(ValueError, match=r"packmol_timeout \(s\).*\(600\)"):
        electrolyte_box(counts={"EC": 2}, seed=0, packmol_timeout=np.timedelta64(10, "m"))
