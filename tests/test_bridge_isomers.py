"""from_ase names a guessed molecule after a library species only if it is that molecule.

The composition alone named 1,4-dioxane (C4H8O2) "EA", ethyl acetate, in boxes read without
their topology arrays; now the bond graph must match too (a Weisfeiler-Lehman label of every
atom), and an isomer is named by its formula with a warning that says so.
"""

import re
import warnings

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.build import conformer
from ase_electrolyte.species import IONS, SOLVENTS, Species
from mda_electrolyte import from_ase
from mda_electrolyte.bridge import _bond_graph_labels


def _box(species_list, spacing=15.0):
    """Conformers of ``species_list`` on a 3×3×3 grid ``spacing`` Å apart (longer than any
    library molecule), in a periodic cube, without topology arrays."""
    parts = []
    for k, sp in enumerate(species_list):
        m = conformer(sp, seed=0)
        shift = spacing * (0.5 + np.array([k % 3, (k // 3) % 3, k // 9]))
        parts.append(Atoms(m.numbers, m.positions + shift))
    atoms = parts[0]
    for p in parts[1:]:
        atoms = atoms + p
    atoms.cell = [3 * spacing] * 3
    atoms.pbc = True
    return atoms


def _read(atoms):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        u = from_ase(atoms)
    return u, [str(w.message) for w in caught]


@pytest.mark.parametrize("smiles", ["C1COCCO1", "CCC(=O)OC", "CC(=O)CCO"])
def test_an_isomer_of_a_library_species_is_named_by_its_formula(smiles):
    isomer = Species("ISO", smiles)
    assert isomer.formula == SOLVENTS["EA"].formula
    u, messages = _read(_box([isomer, "EA", isomer]))
    assert [str(r) for r in u.residues.resnames] == ["C4H8O2", "EA", "C4H8O2"]
    assert any("C4H8O2 has the composition of EA but other bonds (an isomer)" in m
               for m in messages)
    assert np.all(u.atoms.formalcharges == 0)


@pytest.mark.parametrize("name", sorted(n for n, sp in {**SOLVENTS, **IONS}.items()
                                        if sp.n_atoms > 1))
def test_every_library_species_read_without_topology_keeps_its_name(name):
    sp = {**SOLVENTS, **IONS}[name]
    # a neutral box: counter-ions in the cells after the two molecules
    counter = ["Li" if sp.charge < 0 else "PF6"] * (2 * abs(sp.charge))
    u, messages = _read(_box([name, name] + counter))
    assert [str(r) for r in u.residues.resnames][:2] == [name, name]
    assert not any("isomer" in m for m in messages)
    charges = np.bincount(u.atoms.resindices, weights=u.atoms.formalcharges)
    assert charges[:2].tolist() == [sp.charge] * 2


def test_the_labels_tell_isomers_apart_and_ignore_the_atom_order():
    from ase_electrolyte.species import get_species

    def graph(sp, order=None):
        mol = sp.rdkit_mol
        z = np.array([a.GetAtomicNum() for a in mol.GetAtoms()])
        bonds = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()])
        if order is not None:  # renumber the atoms
            inverse = np.argsort(order)
            z, bonds = z[order], inverse[bonds]
        return sorted(_bond_graph_labels(z, bonds))

    ea = get_species("EA")
    rng = np.random.default_rng(0)
    assert graph(ea) == graph(ea, rng.permutation(ea.n_atoms))
    assert graph(ea) != graph(Species("DIOX", "C1COCCO1"))
    # DME and 1,1-dimethoxyethane: one composition, other bonds
    assert graph(get_species("DME")) != graph(Species("ACETAL", "CC(OC)OC"))


def _built():
    from ase_electrolyte.build import electrolyte_box

    return electrolyte_box(counts={"EC": 4, "Li": 1, "PF6": 1}, seed=0)


@pytest.mark.parametrize("species, element, charge", [("Li", "Li", 0), ("Li", "Li", 2),
                                                      ("PF6", "P", 0), ("PF6", "P", -2)])
def test_stored_charges_against_the_library_species_are_refused(species, element, charge):
    # an Li of +2 or a neutral PF6 made every conductivity wrong by their charges
    atoms = _built()
    mask = (atoms.arrays["molecule_species"] == species) & (atoms.symbols == element)
    atoms.arrays["formal_charge"][mask] = charge
    before = atoms.arrays["formal_charge"].copy()
    with pytest.raises(ValueError, match=rf"molecules named '{species}' .* carry net formal "
                                         rf"charge {re.escape(f'{charge:+d}')} e, the "
                                         "library's"):
        from_ase(atoms)
    np.testing.assert_array_equal(atoms.arrays["formal_charge"], before)


def test_stored_charges_of_the_library_and_of_user_species_are_taken():
    atoms = _built()
    u = from_ase(atoms)
    net = dict(zip(map(str, u.residues.resnames),
                   np.bincount(u.atoms.resindices, weights=u.atoms.formalcharges).tolist(),
                   strict=False))
    assert net == {"EC": 0, "Li": 1, "PF6": -1}
    # a user species under a name outside the library keeps whatever charge it was given
    atoms.arrays["molecule_species"] = np.where(atoms.arrays["molecule_species"] == "Li", "M",
                                                atoms.arrays["molecule_species"])
    mask = atoms.arrays["molecule_species"] == "M"
    atoms.arrays["formal_charge"][mask] = 1
    assert from_ase(atoms).select_atoms("resname M").formalcharges.tolist() == [1]
