"""A number argument given an Estimate is refused saying the Estimate as it prints and the
number to give.

check_number showed the dataclass repr ("got Estimate(value=2.0, stderr=0.1, unit='Å',
method='x', n_samples=0, converged=True, notes=(), dof=None, interval_scale='linear',
given=False)"), nine fields and no way on.
"""

import pytest
from ase import Atoms

from ase_electrolyte.atoms_checks import check_number, check_overlaps
from ase_electrolyte.build import (
    composition_counts,
    electrolyte_box,
    excluded_volume,
    packmol_seconds,
)
from ase_electrolyte.estimate import Estimate

E_ANGSTROM = Estimate(2.0, 0.1, "Å", "x")
E_KELVIN = Estimate(300.0, 1.0, "K", "x")
E_COUNT = Estimate(1000.0, 0.0, "1", "x")

CASES = [
    ("tolerance (Å)", "Å", lambda: electrolyte_box(counts={"EC": 3}, tolerance=E_ANGSTROM)),
    ("temperature_K (K)", "K", lambda: electrolyte_box(counts={"DMC": 3},
                                                       temperature_K=E_KELVIN)),
    ("seed", None, lambda: electrolyte_box(counts={"EC": 3}, seed=E_COUNT)),
    ("n_atoms", None, lambda: composition_counts({"EC": 1}, n_atoms=E_COUNT)),
    ("radius (Å)", "Å", lambda: excluded_volume([[0.0, 0.0, 0.0]], E_ANGSTROM)),
    ("min_distance (Å)", "Å", lambda: check_overlaps(Atoms("H"), min_distance=E_ANGSTROM)),
    ("n_atoms", None, lambda: packmol_seconds(E_COUNT)),
]


@pytest.mark.parametrize(("name", "unit", "call"), CASES)
def test_estimate_argument_is_named_with_its_number(name, unit, call):
    with pytest.raises(ValueError) as err:
        call()
    text = str(err.value)
    assert text.startswith(f"{name} must be")
    assert "Estimate(value=" not in text
    assert "got the Estimate " in text
    assert "give a number: the Estimate's .value" in text
    if unit:
        assert f".to({unit!r}).value" in text


@pytest.mark.parametrize("value", [E_ANGSTROM, E_KELVIN, E_COUNT])
def test_estimate_prints_as_itself(value):
    with pytest.raises(ValueError, match="got the Estimate " + str(value).split(" ")[0]):
        check_number("x", value)
