"""The cation molality a packed box records was a bare float (``atoms.info["cation_molality"]``,
``simulation.json["cation_molality_mol_kg"]``): a number a user sees without its error or
verdict, beside ``counted_composition`` whose numbers carry both. It is now the same exact
Estimate dict (error 0, method "exact: ..."), equal to the sum of the cations' molalities,
kept by the extxyz file, and read back by ``electrolyte simulate`` (also from a box packed
before, which holds the bare number)."""
import math

import ase.io
import pytest
from ase.data import atomic_masses, atomic_numbers

from ase_electrolyte.build import COUNTED_METHOD, electrolyte_box
from ase_electrolyte.estimate import Estimate

_BOXES = [
    {"EC": 4, "Li": 1, "PF6": 1},
    {"EC": 6, "Li": 1, "Na": 1, "PF6": 2},
    {"DMC": 3, "EMC": 2, "Li": 2, "FSI": 1, "PF6": 1},
    {"EMC": 5},
]


def _grams(symbols):
    return math.fsum(atomic_masses[atomic_numbers[s]] for s in symbols)


@pytest.mark.parametrize("counts", _BOXES, ids=lambda d: "-".join(d))
def test_the_cation_molality_is_an_exact_estimate_of_the_packed_atoms(counts, tmp_path):
    box = electrolyte_box(counts=counts, density=1.0, seed=0)
    record = box.info["cation_molality"]
    assert isinstance(record, dict)
    molality = Estimate.from_dict(record)
    assert molality.unit == "mol/kg" and molality.stderr == 0.0 and molality.valid
    assert molality.method == COUNTED_METHOD
    # reference from the atoms themselves: molecules with no net formal charge are the
    # solvent (g/mol = g per mol of molecules), cations those with a positive one
    charges = box.arrays["formal_charge"]
    molecules = box.arrays["molecule_index"]
    symbols = box.get_chemical_symbols()
    solvent_g, cations = 0.0, 0
    for m in set(molecules.tolist()):
        atoms = [i for i, k in enumerate(molecules) if k == m]
        q = int(sum(charges[i] for i in atoms))
        if q == 0:
            solvent_g += _grams([symbols[i] for i in atoms])
        elif q > 0:
            cations += 1
    assert molality.value == pytest.approx(1000.0 * cations / solvent_g, rel=1e-6)
    # the total of the per-ion record beside it
    ions = box.info["counted_composition"]["ion_molality"]
    from ase_electrolyte.species import get_species

    total = math.fsum(Estimate.from_dict(v).value for k, v in ions.items()
                      if get_species(k).charge > 0)
    assert molality.value == pytest.approx(total, rel=1e-12)
    # in mmol/g: the same number (1 mol/kg = 1 mmol/g)
    assert molality.to("mmol/g").value == pytest.approx(molality.value, rel=1e-12)
    # the file a run keeps (initial.extxyz) gives it back unchanged
    path = tmp_path / "box.extxyz"
    ase.io.write(path, box, format="extxyz")
    assert ase.io.read(path, format="extxyz").info["cation_molality"] == record


@pytest.mark.parametrize("recorded, expected", [
    ("estimate", 0.5), (0.75, 0.75), (2, 2.0), (None, None), (float("nan"), None),
    (True, None), ("text", None), ({"value": 1.0}, None),
])
def test_the_command_reads_the_record_of_new_and_earlier_boxes(recorded, expected):
    from ase import Atoms

    from electrolyte_cli.simulate import _held_molality

    atoms = Atoms("H", cell=[5, 5, 5], pbc=True)
    if recorded == "estimate":
        recorded = Estimate(0.5, 0.0, "mol/kg", COUNTED_METHOD).to_dict()
    if recorded is not None:
        atoms.info["cation_molality"] = recorded
    held = _held_molality(atoms)
    if expected is None:
        assert held is None
        return
    # an earlier box's bare number is the same exact count ratio: told so, not bare
    assert held.value == expected and held.stderr == 0.0 and held.valid
    assert held.unit == "mol/kg" and held.method == COUNTED_METHOD
    # what simulation.json writes of it reads back as the same Estimate
    assert Estimate.from_dict(held.to_dict()) == held
