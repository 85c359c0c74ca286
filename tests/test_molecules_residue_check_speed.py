"""The check that no residue holds several molecules runs before every analysis; it was made
linear (one fragment per residue compared, no row-unique sort of all atoms: 6 ms of the bn_fec
system, idle). Its outcome and message must be those of the sorted implementation on every
kind of input: random residues, fragments and judged atoms, and boxes of every library
species with two molecules put into one residue."""

import MDAnalysis as mda
import numpy as np
import pytest
from ase import Atoms

from mda_electrolyte import molecules
from mda_electrolyte.molecules import (
    _FRAGMENTS_HINT,
    _refuse_residues_of_several_molecules,
    check_residues_are_molecules,
    covalent_bonds,
)


def _sorted_reference(universe, resindex, judged, fragment, what, how, hint):
    """The check as first written: the unique (residue, fragment) rows of the judged atoms."""
    pairs = np.unique(np.stack([resindex[judged], fragment[judged]], axis=1), axis=0)
    pieces = np.bincount(pairs[:, 0], minlength=universe.residues.n_residues)
    if np.any(pieces > 1):
        r = int(np.flatnonzero(pieces > 1)[0])
        name = universe.residues.resnames[r] if hasattr(universe.residues, "resnames") else ""
        raise ValueError(
            f"the residues are not molecules: {int(np.sum(pieces > 1))} residue(s) hold "
            f"{what} (e.g. residue {r}{f' {name}' if name else ''}: {int(pieces[r])} "
            f"molecules{f', {how}' if how else ''}); {hint}")


def _outcome(check, *args):
    try:
        check(*args)
    except ValueError as error:
        return str(error)
    return None


def _universe(resindex, n_residues, names=True):
    u = mda.Universe.empty(len(resindex), n_residues=n_residues, atom_resindex=resindex)
    if names:
        u.add_TopologyAttr("resnames", [f"R{i}" for i in range(n_residues)])
    return u


def test_random_residues_and_fragments_give_the_sorted_checks_outcome():
    rng = np.random.default_rng(7)
    refused = 0
    for case in range(300):
        n_atoms = int(rng.integers(1, 40))
        n_residues = int(rng.integers(1, n_atoms + 1))
        # residues unsorted and some empty; fragments that mostly follow the residues
        resindex = rng.integers(0, n_residues, n_atoms)
        fragment = resindex.copy() if case % 3 else rng.integers(0, n_atoms, n_atoms)
        flip = rng.random(n_atoms) < rng.choice([0.0, 0.05, 0.3])
        fragment[flip] = rng.integers(0, n_atoms, int(flip.sum()))
        judged = rng.random(n_atoms) < rng.choice([1.0, 0.7, 0.2])
        u = _universe(resindex, n_residues, names=bool(case % 2))
        args = (u, u.atoms.resindices, judged, fragment, "several molecules",
                None if case % 4 else "how", "hint")
        expected = _outcome(_sorted_reference, *args)
        assert _outcome(_refuse_residues_of_several_molecules, *args) == expected, case
        refused += expected is not None
    # both outcomes exercised
    assert 50 <= refused <= 250


def test_no_judged_atom_and_one_residue_cases():
    u = _universe(np.array([0, 0, 1]), 2)
    resindex = u.atoms.resindices
    nothing = np.zeros(3, dtype=bool)
    for judged in (nothing, ~nothing):
        for fragment in (np.array([0, 1, 2]), np.array([0, 0, 1]), np.array([5, 5, 5])):
            args = (u, resindex, judged, fragment, "w", None, "h")
            assert (_outcome(_refuse_residues_of_several_molecules, *args)
                    == _outcome(_sorted_reference, *args))


def _library_box():
    """One molecule of every library species, 12 Å apart along x, with the covalent bonds
    as the topology's bonds and one residue per molecule."""
    pytest.importorskip("rdkit")
    from ase_electrolyte.build import conformer
    from ase_electrolyte.species import IONS, SOLVENTS

    species = {**SOLVENTS, **IONS}
    parts, names = [], []
    for k, name in enumerate(sorted(species)):
        # one embedding: the geometry only has to bond as the species does
        atoms = conformer(species[name], seed=0, n_conformers=1)
        atoms.positions += [12.0 * k - atoms.positions[:, 0].mean(), 0.0, 0.0]
        parts.append(atoms)
        names.append(name)
    box = Atoms()
    resindex = []
    for k, atoms in enumerate(parts):
        box += atoms
        resindex += [k] * len(atoms)
    bonds = covalent_bonds(box)
    u = mda.Universe.empty(len(box), n_residues=len(parts), atom_resindex=resindex,
                           trajectory=True)
    u.add_TopologyAttr("elements", box.get_chemical_symbols())
    u.add_TopologyAttr("names", box.get_chemical_symbols())
    u.add_TopologyAttr("masses", box.get_masses())
    u.add_TopologyAttr("resnames", names)
    u.add_TopologyAttr("bonds", [tuple(map(int, b)) for b in bonds])
    u.atoms.positions = box.positions
    return u, names


def test_every_library_species_passes_and_two_in_one_residue_are_refused_alike(monkeypatch):
    u, names = _library_box()
    check_residues_are_molecules(u.atoms)
    resindex = np.array(u.atoms.resindices)
    for k in range(len(names) - 1):
        # molecules k and k + 1 written as one residue (the later residue left empty)
        merged = np.where(resindex == k + 1, k, resindex)
        v = mda.Universe.empty(u.atoms.n_atoms, n_residues=len(names), atom_resindex=merged,
                               trajectory=True)
        for attr in ("elements", "names", "masses"):
            v.add_TopologyAttr(attr, getattr(u.atoms, attr))
        v.add_TopologyAttr("resnames", names)
        v.add_TopologyAttr("bonds", u.bonds.to_indices())
        v.atoms.positions = u.atoms.positions
        fast = _outcome(check_residues_are_molecules, v.atoms)
        if u.residues[k].atoms.n_atoms + u.residues[k + 1].atoms.n_atoms == 2:
            # two one-atom ions (K, Li, Na): no bond says anything of that residue, unjudged
            assert fast is None
        else:
            assert fast is not None and f"residue {k} {names[k]}: 2 molecules" in fast, fast
            assert "several molecules by the topology's bonds" in fast
            assert _FRAGMENTS_HINT in fast
        with monkeypatch.context() as patched:
            patched.setattr(molecules, "_refuse_residues_of_several_molecules",
                            _sorted_reference)
            assert _outcome(check_residues_are_molecules, v.atoms) == fast
        # judged only where the analysed atoms are: the other residues' atoms alone pass
        others = v.atoms[(merged != k)]
        assert _outcome(check_residues_are_molecules, others) is None
