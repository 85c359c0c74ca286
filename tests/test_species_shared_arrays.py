"""The library's species are shared: their per-atom data cannot be changed in place.

``get_species("PF6").atomic_formal_charges`` was a writable array cached on the one library
object, and ``symbols`` a list: ``charges[0] = 0`` (a caller zeroing a copy it thought its own)
changed the formal charges of every later box's PF₆⁻ (their sum no longer its charge), and a
symbol changed in place every later box's atoms.
"""

import numpy as np
import pytest

pytest.importorskip("rdkit")

from ase_electrolyte.build import conformer  # noqa: E402
from ase_electrolyte.species import IONS, SOLVENTS, Species, get_species  # noqa: E402


@pytest.mark.parametrize("sp", [*SOLVENTS.values(), *IONS.values(), Species("X", "[NH4+]")],
                         ids=lambda sp: sp.name)
def test_per_atom_data_refuse_changes_in_place(sp):
    charges = sp.atomic_formal_charges
    with pytest.raises(ValueError, match="read-only"):
        charges[0] = 7
    with pytest.raises(TypeError):
        sp.symbols[0] = "X"
    assert int(sp.atomic_formal_charges.sum()) == sp.charge


def test_a_copy_stays_the_callers_to_change():
    pf6 = get_species("PF6")
    mine = np.array(pf6.atomic_formal_charges)
    mine[:] = 0
    symbols = list(pf6.symbols)
    symbols[0] = "Cl"
    molecule = conformer("PF6")
    assert molecule.arrays["formal_charge"].sum() == -1
    assert molecule.get_chemical_symbols() == list(pf6.symbols) and "Cl" not in pf6.symbols
    # the molecule's own arrays are its own: changing them leaves the library alone
    molecule.arrays["formal_charge"][:] = 0
    assert int(pf6.atomic_formal_charges.sum()) == -1
