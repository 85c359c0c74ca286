"""Molecules of a frame: the one place that knows them.

Every analysis of :mod:`mda_electrolyte` that needs molecules (intra/inter RDFs, solvation shells,
conductivity of molecular ions, volume scans, error decomposition) uses these functions rather than
its own copies.

A *molecule* is a residue of the Universe (the default, and what :func:`mda_electrolyte.from_ase`
writes) or a bonded fragment (``compound="fragments"``). Molecule indices are contiguous
``0 .. n_molecules - 1`` in the order molecules first appear in the AtomGroup.

All positions are in Å, masses in amu, velocities in Å/ps.
"""

from __future__ import annotations

import numpy as np
from ase.geometry import find_mic
from MDAnalysis.lib.mdamath import triclinic_vectors

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.option_words import choice_word
from ase_electrolyte.topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES
from mda_electrolyte.atom_categories import element_symbols

__all__ = [
    "molecule_ids",
    "bond_reach",
    "check_residues_are_molecules",
    "make_whole",
    "check_whole",
    "centers_of_mass",
    "inertia_tensors",
    "rigid_decomposition",
    "atoms_molecule_ids",
    "bonded_components",
    "check_bonds",
    "covalent_bonds",
    "covalent_contacts",
    "check_stored_molecules",
    "first_appearance",
    "check_molecule_ids",
    "molecule_species",
    "isolated_molecules",
    "MOLECULE_ID_ARRAYS",
    "check_vacuum",
    "check_masses",
    "MassElementWarning",
    "MOLECULE_MASS_TOLERANCE",
]

#: Per-atom arrays of an ASE ``Atoms`` read as molecule indices, in order of preference
#: (:mod:`ase_electrolyte.topology`, written by ``ase_electrolyte.electrolyte_box``, is the first).
MOLECULE_ID_ARRAYS = (
    MOLECULE_INDEX,
    "mol_id",
    "molecule_ids",
    "molecule_id",
    "mol-id",
    "molid",
    "residuenumbers",
)
#: Per-atom arrays read as molecule species names (e.g. ``"EC"``, ``"PF6"``).
MOLECULE_SPECIES_ARRAYS = (SPECIES, "mol_species", "molecule_species", "mol_name", "residuenames")


def molecule_ids(atomgroup, compound="residues"):
    """Contiguous molecule index of every atom of ``atomgroup``.

    Parameters
    ----------
    atomgroup : MDAnalysis.core.groups.AtomGroup
    compound : {"residues", "fragments"}
        Residues of the topology, or fragments found from its bonds.

    Returns
    -------
    ids : numpy.ndarray of int, shape (n_atoms,)
        ``ids[i]`` is the molecule of atom ``i``; values run from 0 to ``n_molecules - 1`` in order
        of first appearance.

    Raises
    ------
    ValueError
        For an unknown ``compound``, fragments asked of a topology without bonds, or residues
        that are evidently not molecules (:func:`check_residues_are_molecules`).
    """
    compound = choice_word("compound", compound, ("residues", "fragments"))
    if compound == "residues":
        check_residues_are_molecules(atomgroup)
        raw = atomgroup.resindices
    elif compound == "fragments":
        if not hasattr(atomgroup, "fragindices"):
            raise ValueError(
                "compound='fragments' needs bonds in the topology; guess them with "
                "universe.guess_TopologyAttrs(to_guess=['bonds'], box=universe.dimensions) "
                "or use compound='residues'"
            )
        raw = atomgroup.fragindices
    return first_appearance(raw)


_FRAGMENTS_HINT = ("use compound='fragments' (bonds from the topology, or guessed: "
                   "universe.guess_TopologyAttrs(to_guess=['bonds'], box=universe.dimensions)), "
                   "or load a topology whose "
                   "residues are the molecules (a LAMMPS data file of atom style full or "
                   "molecular: with molecule ids)")


def _refuse_residues_of_several_molecules(universe, resindex, judged, fragment, what, how,
                                          hint):
    """Raise when a residue holds atoms of several bonded fragments (among ``judged`` atoms).

    It runs before every analysis: each residue is compared with the fragment of one of its
    atoms (an assignment, linear), and only the offending residues are counted exactly (the
    unique (residue, fragment) rows of all atoms took 6 ms of a 7000-atom electrolyte, idle).
    """
    res, frag = resindex[judged], fragment[judged]
    reference = np.empty(universe.residues.n_residues, dtype=frag.dtype)
    reference[res] = frag
    split = np.unique(res[frag != reference[res]])
    if split.size:
        r = int(split[0])
        pieces = np.unique(frag[res == r]).size
        name = universe.residues.resnames[r] if hasattr(universe.residues, "resnames") else ""
        raise ValueError(
            f"the residues are not molecules: {split.size} residue(s) hold "
            f"{what} (e.g. residue {r}{f' {name}' if name else ''}: {pieces} "
            f"molecules{f', {how}' if how else ''}); {hint}")


def check_residues_are_molecules(atomgroup):
    """Raise where the residues of ``atomgroup``'s Universe are evidently not its molecules.

    Three cases, each of which would silently count pairs of different molecules as
    intramolecular (or the reverse):

    - a covalent bond of the topology joins atoms of two residues (a residue cuts a molecule);
    - a residue holds several molecules by the topology's bonds (two solvents, an ion pair:
      :func:`check_one_molecule_per_residue`);
    - the whole Universe is one residue (formats without residue numbers, e.g. XYZ, read so)
      and its atoms form several molecules: several fragments of the topology's bonds or,
      without bonds, several covalently bonded groups (covalent radii, minimum image) at the
      current frame. One molecule in one residue is accepted.

    A topology of several residues without bonds (a GRO file, a PDB without CONECT records) is
    judged on the covalent bonds guessed at the current frame (:func:`covalent_bonds`), as
    the topology's bonds are: a residue whose atoms form several bonded groups holds several
    molecules, and a guessed bond shorter than :data:`SPLIT_BOND_SCALE` times the sum of the
    covalent radii that joins two residues splits a molecule over them. Residues with atoms
    of unknown element (united atoms, virtual sites) are not judged.

    Parameters
    ----------
    atomgroup : MDAnalysis.core.groups.AtomGroup

    Raises
    ------
    ValueError
        Naming the bond or the number of molecules found, with what to do instead.
    """
    from mda_electrolyte.shell_cutoffs import bond_indices

    universe = atomgroup.universe
    bonds = bond_indices(universe)
    if len(bonds):
        resindex = universe.atoms.resindices
        touches = np.zeros(universe.atoms.n_atoms, dtype=bool)
        touches[atomgroup.ix] = True
        across = np.flatnonzero((resindex[bonds[:, 0]] != resindex[bonds[:, 1]])
                                & (touches[bonds[:, 0]] | touches[bonds[:, 1]]))
        if across.size:
            i, j = bonds[across[0]]
            raise ValueError(
                f"the residues are not molecules: {across.size} bond(s) of the topology join "
                f"two residues (e.g. atoms {i} and {j}, of residues {resindex[i]} and "
                f"{resindex[j]}); {_FRAGMENTS_HINT}")
        if universe.residues.n_residues > 1:  # one residue: the message below says so
            check_one_molecule_per_residue(atomgroup, bonds)
    elif universe.residues.n_residues > 1:
        _check_residues_by_covalent_guess(atomgroup)
    if universe.residues.n_residues != 1 or atomgroup.n_atoms < 2:
        return
    n_atoms = universe.atoms.n_atoms
    if len(bonds):
        n_molecules = int(bonded_components(n_atoms, bonds).max()) + 1
    else:
        n_molecules = _covalent_molecule_count(universe)
        if n_molecules is None:
            return
    if n_molecules > 1:
        raise ValueError(
            f"the residues are not molecules: the Universe is one residue holding all "
            f"{n_atoms} atoms (a format without residue numbers, e.g. XYZ, or a PDB or GRO file "
            f"written with one residue, as ASE writes them), which form {n_molecules} bonded "
            f"molecules; {_FRAGMENTS_HINT}, or read the file with mda_electrolyte.from_ase, "
            "which finds the molecules")


def check_one_molecule_per_residue(atomgroup, bonds, hint=_FRAGMENTS_HINT):
    """Refuse a residue of ``atomgroup`` whose atoms form several molecules by the topology's
    bonds (two solvent molecules, or an ion pair such as Li⁺ PF6⁻, written as one residue).

    A residue the bonds say nothing about (a PDB whose CONECT records cover some residues only)
    is not judged, nor are atoms without element or mass (virtual sites, e.g. TIP4P's M, have
    no bonds). ``bonds``: the Universe's bonds as an ``(n, 2)`` index array
    (:func:`~mda_electrolyte.shell_cutoffs.bond_indices`); ``hint``: what the message advises.
    """
    universe = atomgroup.universe
    n_atoms = universe.atoms.n_atoms
    resindex = universe.atoms.resindices
    real = np.ones(n_atoms, dtype=bool)
    if hasattr(universe.atoms, "elements"):
        # compared as the objects they are: a cast of every element to str and np.isin took
        # half the time of this check (it runs before every analysis)
        elements = np.asarray(universe.atoms.elements, dtype=object)
        real &= (elements != "") & (elements != "X")
    if hasattr(universe.atoms, "masses"):
        real &= np.asarray(universe.atoms.masses, dtype=np.float64) > 0
    analysed = np.zeros(universe.residues.n_residues, dtype=bool)
    analysed[atomgroup.resindices] = True
    if not len(bonds):
        return
    with_bonds = np.bincount(resindex[bonds.ravel()], minlength=analysed.size) > 0
    judged = real & analysed[resindex] & with_bonds[resindex]
    if not judged.any():
        return
    _refuse_residues_of_several_molecules(
        universe, resindex, judged, bonded_components(n_atoms, bonds),
        "several molecules by the topology's bonds", None, hint)


def _covalent_molecule_count(universe):
    """Covalently bonded groups of the Universe's atoms at the current frame; ``None`` where
    the elements or positions do not allow counting them."""
    guess = _guessed_bonds(universe)
    if guess is None or not guess[1].all():
        return None
    return int(bonded_components(universe.atoms.n_atoms, guess[0]).max()) + 1


def _identified_numbers(atoms, strict=True):
    """Atomic number of every atom of an AtomGroup, 0 where none can be told.

    The elements, else types that are element symbols (a GRO file: no elements, and
    MDAnalysis gives Li mass 0), as the calculators of the diagnostics read them; types that
    their masses contradict (AMBER's CA, OS) are refused (``strict``) or read by their
    masses. Where neither names every atom
    (virtual sites with element ``''``, united atoms, a LAMMPS data file of numeric types),
    each atom by its element, else by its mass (:func:`numbers_of_masses`).
    """
    from ase.data import atomic_numbers
    from MDAnalysis.exceptions import NoDataError

    from .model_frames import _element_numbers_or_none

    try:
        numbers = _element_numbers_or_none(atoms)
    except ValueError:
        if strict:
            raise
        numbers = None  # types that are no elements (AMBER's CA): elements or masses decide
    if numbers is not None:
        return np.where(numbers > 0, numbers, 0)  # "X" is no element
    numbers = np.zeros(atoms.n_atoms, dtype=int)
    if hasattr(atoms, "elements"):
        # 'LI', 'CL' of GRO/PDB files as MDAnalysis reads them (one rule, element_symbols)
        numbers[:] = [atomic_numbers.get(e, 0) for e in element_symbols(atoms.elements)]
    try:
        by_mass = numbers_of_masses(atoms.masses)
    except (AttributeError, NoDataError):
        return numbers
    return np.where(numbers > 0, numbers, by_mass)


def _guessed_bonds(universe, numbers=None):
    """Covalent bonds (:func:`covalent_bonds`) of a Universe's atoms at the current frame.

    Returns
    -------
    tuple or None
        ``(bonds, known)``: bonds as Universe atom indices among the atoms whose element is
        known (:func:`_identified_numbers`), and the mask of those atoms; ``None`` without
        positions or with non-finite ones.
    """
    from ase import Atoms
    from MDAnalysis.exceptions import NoDataError

    try:
        positions = universe.atoms.positions
    except (AttributeError, NoDataError):
        return None
    if not np.all(np.isfinite(positions)):
        return None
    if numbers is None:
        numbers = _identified_numbers(universe.atoms)
    known = numbers > 0
    index = np.flatnonzero(known)
    atoms = Atoms(numbers=numbers[index], positions=positions[index])
    box = universe.dimensions
    if box is not None and np.all(np.isfinite(box)) and np.all(box[:3] > 0):
        with np.errstate(invalid="ignore"):
            cell = triclinic_vectors(box, dtype=np.float64)
        if abs(np.linalg.det(cell)) > 0:
            atoms.cell, atoms.pbc = cell, True
    return index[covalent_bonds(atoms)], known


#: Scale of the sum of covalent radii within which a guessed bond between two residues is a
#: bond that cuts a molecule (the contact test of :func:`check_whole`): O–H 1.16 Å, C–C 1.82 Å.
#: The guess itself reaches further (O–H 1.57 Å), as far as a hydrogen bond's H···O in a hot
#: liquid, which joins no molecules.
SPLIT_BOND_SCALE = 1.2


def covalent_contacts(positions, numbers, bonds, cell=None, pbc=False):
    """Which guessed ``bonds`` are certainly covalent: shorter (minimum image) than
    :data:`SPLIT_BOND_SCALE` times the sum of the covalent radii.

    A label (a residue, a molecule id of another program) that cuts such a bond splits a
    molecule; one that cuts only a longer guessed contact (a short hydrogen bond) may be right
    where the guess is not.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Å.
    numbers : array_like of int, shape (n_atoms,)
    bonds : array_like of int, shape (n_bonds, 2)
    cell : array_like, shape (3, 3), optional
        Cell vectors as rows, Å.
    pbc : bool or array_like of bool
        Periodic directions of ``cell``.

    Returns
    -------
    numpy.ndarray of bool, shape (n_bonds,)
    """
    from ase.data import covalent_radii
    from ase.geometry import find_mic

    positions = np.asarray(positions, dtype=np.float64)
    numbers = np.asarray(numbers)
    bonds = check_bonds(bonds, len(positions))
    direct = positions[bonds[:, 1]] - positions[bonds[:, 0]]
    pbc = np.broadcast_to(np.asarray(pbc, dtype=bool), (3,))
    if len(bonds) and cell is not None and pbc.any():
        _, length = find_mic(direct, np.asarray(cell, dtype=np.float64), pbc=pbc)
    else:
        length = np.linalg.norm(direct, axis=1)
    radii = np.asarray(covalent_radii)[numbers]
    return length < SPLIT_BOND_SCALE * (radii[bonds[:, 0]] + radii[bonds[:, 1]])


#: Most covalent bonds an atom of these elements makes in an electrolyte (P of PF6⁻ 6, S of
#: TFSI⁻ 4, Cl of ClO4⁻ 4, B of BF4⁻ 4). A frame in which a contact shorter than
#: :data:`SPLIT_BOND_SCALE` times the covalent radii gives an atom more is no molecular
#: structure the bond guess can read (atoms at random, a lattice of test points).
MAX_VALENCE = {1: 1, 5: 4, 6: 4, 7: 4, 8: 2, 9: 1, 14: 4, 15: 6, 16: 6, 17: 4, 35: 4, 53: 6}
#: The most for any other element: a metal or a crystal (Cu with 12 neighbours at 2.55 Å,
#: within 1.2 × its covalent radii) has atoms, not molecules, to guess.
MAX_OTHER_VALENCE = 6


def _chemical_valences(numbers, bonds):
    """Whether no atom has more ``bonds`` than :data:`MAX_VALENCE` (else
    :data:`MAX_OTHER_VALENCE`) allows its element."""
    from ase.data import chemical_symbols

    counts = np.bincount(np.asarray(bonds, dtype=np.intp).ravel(), minlength=len(numbers))
    table = np.full(len(chemical_symbols), MAX_OTHER_VALENCE, dtype=np.int64)
    table[list(MAX_VALENCE)] = list(MAX_VALENCE.values())
    return bool(np.all(counts <= table[np.asarray(numbers)]))


def _check_residues_by_covalent_guess(atomgroup):
    """The residue checks of :func:`check_residues_are_molecules` for a Universe of several
    residues without bonds, on the covalent bonds guessed at the current frame.

    A residue is judged only when the element of each of its atoms is known (a united-atom
    CH2, a virtual site or a hydrogen of repartitioned mass leaves it unjudged: its bonds
    cannot be told), and a frame only when its certain bonds (:func:`covalent_contacts`) give
    no atom more than :data:`MAX_VALENCE` (random test points are no molecules to guess). A
    residue whose atoms form several bonded groups holds several molecules; two residues, not
    both of one atom, joined by a guessed bond shorter than :data:`SPLIT_BOND_SCALE` times the
    sum of covalent radii share a molecule.
    """
    universe = atomgroup.universe
    # a check of the residues, not an evaluation: types that contradict their masses are
    # not refused here but set aside
    numbers = _identified_numbers(universe.atoms, strict=False)
    guess = _guessed_bonds(universe, numbers)
    if guess is None:
        return
    bonds, known = guess
    box = universe.dimensions
    cell = None if box is None else _cell_matrix(box)
    certain = covalent_contacts(universe.atoms.positions, numbers, bonds, cell,
                                pbc=cell is not None)
    if not _chemical_valences(numbers, bonds[certain]):
        return
    resindex = universe.atoms.resindices
    analysed = np.zeros(universe.residues.n_residues, dtype=bool)
    analysed[atomgroup.resindices] = True
    across = resindex[bonds[:, 0]] != resindex[bonds[:, 1]]
    if across.any():
        i, j = bonds[across, 0], bonds[across, 1]
        # two one-atom residues in contact are ions met at random (point ions of a toy gas,
        # Cl⁻ with Cl⁻ at 2 Å), not a molecule cut in two
        size = np.bincount(resindex, minlength=analysed.size)
        short = certain[across] & (analysed[resindex[i]] | analysed[resindex[j]]) \
            & ((size[resindex[i]] > 1) | (size[resindex[j]] > 1))
        if short.any():
            k = int(np.flatnonzero(short)[0])
            a, b = int(i[k]), int(j[k])
            vector = (universe.atoms.positions[b] - universe.atoms.positions[a])[None, :]
            distance = float(_mic(vector, cell)[1][0] if cell is not None
                             else np.linalg.norm(vector))
            raise ValueError(
                f"the residues are not molecules: {int(short.sum())} covalent bond(s) join two "
                f"residues at this frame (e.g. atoms {a} and {b}, {distance:.2f} Å apart, "
                f"of residues {resindex[a]} and {resindex[b]}: one molecule split over "
                f"residues); the topology has no bonds to say otherwise; {_FRAGMENTS_HINT}")
    inside = bonds[~across]
    complete = np.bincount(resindex[~known], minlength=analysed.size) == 0
    judged = known & analysed[resindex] & complete[resindex]
    if not judged.any():
        return
    _refuse_residues_of_several_molecules(
        universe, resindex, judged, bonded_components(universe.atoms.n_atoms, inside),
        "several covalently bonded molecules at this frame",
        "bonds guessed from covalent radii: the topology has none", _FRAGMENTS_HINT)


#: Largest difference (amu) between a mass and an element's standard atomic mass taken as
#: that element, for counting molecules of a topology without elements.
MASS_ELEMENT_TOLERANCE = 0.05


def numbers_of_masses(masses):
    """Atomic number whose standard atomic mass (ASE) each mass is, within
    :data:`MASS_ELEMENT_TOLERANCE` amu; 0 where none is (a united atom, a hydrogen-mass
    repartitioned or isotope-substituted atom, a zero mass).

    Parameters
    ----------
    masses : array_like of float
        amu.

    Returns
    -------
    numpy.ndarray of int
    """
    from ase.data import atomic_masses

    masses = np.asarray(masses, dtype=np.float64)
    unique, inverse = np.unique(masses, return_inverse=True)
    reference = np.asarray(atomic_masses[1:], dtype=np.float64)
    nearest = np.abs(unique[:, None] - reference[None, :]).argmin(axis=1)
    numbers = np.where(np.abs(reference[nearest] - unique) <= MASS_ELEMENT_TOLERANCE,
                       nearest + 1, 0)
    return numbers[inverse.reshape(masses.shape)]


#: Largest difference (amu) between a molecule's total mass and the sum of its elements'
#: standard atomic masses (``ase.data``) taken as agreement: mass tables differ by up to
#: 0.01 amu per atom (Li 6.941 amu in MDAnalysis, 6.94 in ASE); one deuterium adds 1.006 amu.
MOLECULE_MASS_TOLERANCE = 0.5


class MassElementWarning(UserWarning):
    """Masses that contradict the elements: molecules whose total mass is not that of their
    elements (a hydrogen mass raised without repartitioning, isotopes, a Li given 1.008 amu).
    Densities, molar masses and centres of mass are those of the masses given."""


def check_masses(numbers, masses, ids, what, labels=None):
    """The masses of a mass-weighted quantity, checked against the elements.

    The one check of masses for densities, centres of mass and centre-of-mass motion (the
    Universe densities, ion species and :func:`centers_of_mass` call it).
    Refused: masses of another shape than the atoms, masses that are not finite or negative,
    an atom of a known element with mass 0 (a topology that gave none: MDAnalysis' 0 for a
    type it does not know) and a molecule of no mass. A massless atom of unknown element (a
    virtual site, TIP4P's M) beside massive ones carries no mass and passes. A molecule whose
    atoms all have known elements and whose total mass differs
    from the sum of their standard atomic masses by more than
    :data:`MOLECULE_MASS_TOLERANCE` is named in a :class:`MassElementWarning`: isotopes may
    be meant, a Li of 1.008 amu is not. Masses moved between the atoms of a molecule
    (hydrogen mass repartitioning) keep its total: its density, molar mass and the long-time
    motion of its centre are those of the real molecule, and they pass. Atoms of unknown
    element (``numbers`` 0: virtual sites, united atoms) are judged by their molecule's mass
    only.

    Parameters
    ----------
    numbers : array_like of int, shape (n_atoms,)
        Atomic numbers, 0 where the element is unknown.
    masses : array_like of float, shape (n_atoms,)
        amu.
    ids : array_like of int, shape (n_atoms,)
        Molecule index of every atom (:func:`first_appearance` order).
    what : str
        What the masses are of, for the messages (a file, "the Atoms").
    labels : array_like of str, shape (n_atoms,), optional
        Atom types or names, for the message of massless atoms of known element.

    Returns
    -------
    numpy.ndarray of float64, shape (n_atoms,)
        The masses, a new array.

    Raises
    ------
    ValueError
        Naming the first atom or molecule at fault.

    Warns
    -----
    MassElementWarning
        Molecules whose total mass contradicts their elements, with the masses.
    """
    import warnings

    from ase.data import atomic_masses, chemical_symbols

    numbers = np.asarray(numbers, dtype=np.intp)
    try:
        raw = np.asarray(masses)
        # a flag (True as 1 amu) or text ("6.94") is no mass; numpy converts both silently
        if raw.dtype.kind in "bUS" or np.iscomplexobj(raw):
            raise TypeError
        masses = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: masses must be real numbers in amu, got "
                         f"{str(masses)[:80]}") from None
    ids = check_molecule_ids(ids, numbers.size)
    if masses.shape != numbers.shape:
        raise ValueError(f"{what}: masses of shape {masses.shape} for {numbers.size} atoms")
    bad = np.flatnonzero(~(np.isfinite(masses) & (masses >= 0)))
    if bad.size:
        raise ValueError(f"{what}: atom {bad[0]} has {masses[bad[0]]} amu (and {bad.size - 1} "
                         "more masses not finite or negative): masses must be finite and not "
                         "negative")
    known = numbers > 0
    zero = np.flatnonzero(known & (masses == 0))
    if zero.size:
        named = ""
        if labels is not None:
            # the types name the atoms the topology could not give masses ("LI" of a GRO file)
            types = sorted(set(np.asarray(labels)[zero].tolist()))[:5]
            named = f"masses [0.0] of atom types {types}; "
        raise ValueError(
            f"{what}: {zero.size} of {numbers.size} atoms have no positive mass ({named}mass 0 "
            f"on atoms of known element, e.g. atom {zero[0]}, "
            f"{chemical_symbols[numbers[zero[0]]]}): the topology gave them none; give the "
            "masses in amu (universe.add_TopologyAttr('masses', [...]), or leave an ASE Atoms' "
            "masses unset for the standard ones)")
    if not ids.size:
        return masses
    n_mol = int(ids.max()) + 1
    total = np.bincount(ids, weights=masses, minlength=n_mol)
    if np.any(total <= 0):
        j = int(np.flatnonzero(total <= 0)[0])
        raise ValueError(f"{what}: molecule {j} has no mass (all its atoms have mass 0)")
    standard = np.bincount(ids, weights=np.asarray(atomic_masses)[numbers] * known,
                           minlength=n_mol)
    judged = np.bincount(ids, weights=~known, minlength=n_mol) == 0
    off = np.flatnonzero(judged & (np.abs(total - standard) > MOLECULE_MASS_TOLERANCE))
    if off.size:
        j = int(off[0])
        formula = molecule_species(numbers[ids == j], np.zeros(int(np.sum(ids == j)),
                                                               dtype=np.intp))[0]
        warnings.warn(
            f"{what}: {off.size} of {n_mol} molecules have a total mass other than their "
            f"elements' (e.g. molecule {j}, {formula}: {total[j]:.4g} amu, the standard "
            f"atomic masses {standard[j]:.4g} amu); densities, molar masses and centres of "
            "mass are those of the masses given (isotopes? a hydrogen mass raised for MD "
            "without repartitioning?)",
            MassElementWarning, stacklevel=3)
    return masses


def _cell_matrix(box):
    """3×3 cell (rows are vectors, Å) from an MDAnalysis box or a 3×3 matrix, in float64."""
    box = np.asarray(box, dtype=np.float64)
    if box.shape == (3, 3):
        if not np.all(np.isfinite(box)):
            # find_mic failed with "cannot convert float NaN to integer"
            raise ValueError(f"cell {box.tolist()} holds non-finite values")
        # rows of zeros are directions without periodicity (ASE's convention); the others
        # must span their own directions (parallel vectors: numpy's "Singular matrix")
        rows = box[np.any(box != 0, axis=1)]
        if len(rows) and np.linalg.matrix_rank(rows) < len(rows):
            raise ValueError(f"cell {box.tolist()} has parallel cell vectors: no periodic box")
        return box
    if box.shape != (6,):
        raise ValueError(
            f"box must be [a, b, c, alpha, beta, gamma] or a 3x3 cell, not shape {box.shape}"
        )
    if not np.all(np.isfinite(box)) or np.any(box[:3] <= 0):
        raise ValueError(f"box {box.tolist()} has non-positive or non-finite lengths")
    cell = triclinic_vectors(box, dtype=np.float64)
    if not np.any(cell):
        # MDAnalysis gives a zero matrix for angles that make no box (0°, 180°, 60/60/150°):
        # taken as no periodicity, molecules cut by the box were left cut without a word
        raise ValueError(f"box {box.tolist()}: the angles (degrees) describe no box")
    return cell


def _intramolecular_pairs(ids):
    """Every unordered pair ``(i, j)``, ``i < j``, of atoms in the same molecule."""
    ids = np.asarray(ids)
    order = np.argsort(ids, kind="stable")
    sizes = np.bincount(ids)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    first, second = [], []
    # molecules of one size share one triangle of index offsets: one numpy pass per size
    for size in np.unique(sizes[sizes > 1]):
        a, b = np.triu_indices(int(size), k=1)
        starts = bounds[:-1][sizes == size]
        first.append(order[(starts[:, None] + a).ravel()])
        second.append(order[(starts[:, None] + b).ravel()])
    if not first:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    first, second = np.concatenate(first), np.concatenate(second)
    swap = first > second
    first[swap], second[swap] = second[swap], first[swap]
    return first, second


def _mic(vectors, cell):
    """Minimum-image vectors and lengths in float64 for any triclinic cell."""
    if len(vectors) == 0:
        return np.zeros((0, 3)), np.zeros(0)
    return find_mic(vectors, cell, pbc=True)


#: Most pairs of atoms within molecules that the whole-molecule functions enumerate (every
#: pair of each molecule's atoms). Molecules with more (a polymer chain of 2 000 atoms and up:
#: two chains of 20 000 atoms asked for 4·10⁸ pairs, some 16 GB of arrays) have their pairs
#: within a contact distance searched instead (:data:`CONTACT_CUTOFF`; 0.35 GB peak and 6.5 s
#: for those two chains, made whole and checked).
MAX_INTRAMOLECULAR_PAIRS = 2_000_000
#: Å; the reach of the contact search for large molecules without bonds: longer than any
#: covalent bond of an electrolyte (S–C 1.85 Å, P–F 1.6 Å) with room for thermal stretching.
CONTACT_CUTOFF = 3.0


def _many_pairs(ids):
    """Whether the molecules of ``ids`` hold more atom pairs than
    :data:`MAX_INTRAMOLECULAR_PAIRS`."""
    sizes = np.bincount(ids).astype(np.int64)
    return int(np.sum(sizes * (sizes - 1) // 2)) > MAX_INTRAMOLECULAR_PAIRS


def _close_intramolecular_pairs(positions, ids, cell, cutoff):
    """The pairs ``(i, j)``, ``i < j``, of atoms of one molecule within ``cutoff`` Å (minimum
    image), each once: bounded by the contacts, not by the square of the molecules' sizes."""
    from ase_electrolyte.neighbour_pairs import pairs_within

    pairs, _ = pairs_within(positions, cell, cutoff, "Pd")
    i, j = pairs[:, 0], pairs[:, 1]
    keep = (ids[i] == ids[j]) & (i != j)
    first, second = np.minimum(i[keep], j[keep]), np.maximum(i[keep], j[keep])
    key = np.unique(first.astype(np.int64) * len(ids) + second)
    return (key // len(ids)).astype(np.intp), (key % len(ids)).astype(np.intp)


def _contact_tree(positions, ids, cell, bonds=None):
    """Edges ``(a, b)`` of the tree that joins every molecule by its shortest periodic contacts.

    The minimum spanning tree of the minimum-image distances, over the given bonds or (without
    bonds) over all pairs of atoms of a molecule. A minimum spanning tree minimises its longest
    edge, so its edges are never longer than the longest bond of the molecule: each one is a
    covalent contact whose minimum image is unambiguous for any molecule shorter than the box.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    n = len(ids)
    if bonds is None and _many_pairs(ids):
        # the tree of the contacts within CONTACT_CUTOFF is the tree of all pairs wherever
        # they join the molecule (its edges are bonds); make_whole names a molecule they
        # do not join
        i, j = _close_intramolecular_pairs(positions, ids, cell, CONTACT_CUTOFF)
    elif bonds is None:
        i, j = _intramolecular_pairs(ids)
    else:
        bonds = check_bonds(bonds, n)
        bonds = bonds[ids[bonds[:, 0]] == ids[bonds[:, 1]]]
        bonds = bonds[bonds[:, 0] != bonds[:, 1]]
        i, j = bonds.min(axis=1), bonds.max(axis=1)
    _, dist = _mic(positions[j] - positions[i], cell)
    # zero-length contacts would vanish from the sparse graph; the offset keeps them as edges
    graph = coo_matrix((dist + 1e-9, (i, j)), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    return tree.row.astype(np.intp), tree.col.astype(np.intp)


def make_whole(positions, ids, box=None, bonds=None):
    """Positions with every molecule whole across periodic boundaries.

    Walks each molecule's bond graph from its first atom, placing every atom at the minimum image
    of its bond partner: the graph is the minimum spanning tree of the minimum-image distances
    between the atoms of a molecule (over ``bonds`` when given), whose edges are the molecule's
    covalent contacts. This is exact for any molecule shorter than the box, including molecules
    longer than half of it (e.g. an EMC spanning 0.62 of an 11.7 Å box), as long as no atom comes
    within a bond length of a periodic image of its own molecule. The first atom of every molecule
    keeps its position; already whole positions are returned unchanged up to lattice vectors.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Positions in Å.
    ids : array_like of int, shape (n_atoms,)
        Molecule index of every atom (see :func:`molecule_ids`).
    box : array_like, shape (6,) or (3, 3), optional
        MDAnalysis box ``[a, b, c, alpha, beta, gamma]`` (Å, degrees) or a 3×3 cell matrix (rows
        are cell vectors, Å, as ``atoms.cell``); ``None`` returns a copy.
    bonds : array_like of int, shape (n_bonds, 2), optional
        Covalent bonds (atom index pairs, e.g. ``universe.bonds.indices``); bonds between
        molecules are ignored. Without bonds, every pair of atoms of a molecule is a candidate
        contact.

    Returns
    -------
    numpy.ndarray of float64, shape (n_atoms, 3)
        New array; the input is not modified.

    Raises
    ------
    ValueError
        For a bad box, non-finite positions, or when ``bonds`` do not connect every molecule.
    """
    pos = np.array(positions, dtype=np.float64, copy=True)
    ids = np.asarray(ids)
    if box is None or pos.size == 0:
        return pos
    ids = check_molecule_ids(ids, len(pos))
    bad = np.flatnonzero(~np.all(np.isfinite(pos), axis=-1))
    if bad.size:
        # else a NaN atom reads as a molecule broken into fragments, which is not the fault
        raise ValueError(f"non-finite positions of {bad.size} atom(s) (e.g. index {bad[0]}): "
                         "no molecule can be made whole")
    cell = _cell_matrix(box)
    a, b = _contact_tree(pos, ids, cell, bonds)
    start, end = np.concatenate([a, b]), np.concatenate([b, a])
    n_mol = int(ids.max()) + 1
    first = np.full(n_mol, -1, dtype=np.intp)
    # reversed assignment leaves the smallest index of each molecule
    first[ids[::-1]] = np.arange(ids.size)[::-1]
    placed = np.zeros(len(pos), dtype=bool)
    placed[first] = True
    original = pos.copy()
    # one tree level per pass; in a tree an unplaced atom has at most one placed neighbour
    while not placed.all():
        step = placed[start] & ~placed[end]
        if not step.any():
            lost = int(np.flatnonzero(~placed)[0])
            how = ("no contact within CONTACT_CUTOFF joins it to the rest; give the bonds "
                   "(bonds=)" if bonds is None else "it is not bonded to the rest of it; check "
                   "the bonds")
            raise ValueError(
                f"the bonds do not connect molecule {int(ids[lost])} (atom {lost}: {how} or "
                "the molecule assignment)"
            )
        s, e = start[step], end[step]
        offset, _ = _mic(original[e] - original[s], cell)
        pos[e] = pos[s] + offset
        placed[e] = True
    return pos


def check_whole(positions, ids, box, numbers=None):
    """Raise if a molecule was not made whole correctly (or cannot be).

    With ``numbers``, the check is exact for covalently bonded molecules: every pair of atoms of
    a molecule that is a covalent contact under periodic boundaries (minimum-image distance
    below 1.2 × the sum of covalent radii) must be the same contact in the whole-molecule
    positions. A molecule split wrongly breaks at least one such bond. Without ``numbers`` the
    contacts are the edges of the tree :func:`make_whole` walks (the shortest periodic contacts
    joining each molecule), each of which must not cross the boundary.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å (from :func:`make_whole`).
    ids : array_like of int, shape (n_atoms,)
    box : array_like, shape (6,) or (3, 3)
        MDAnalysis box or 3×3 cell matrix.
    numbers : array_like of int, shape (n_atoms,), optional
        Atomic numbers, for the bond check.

    Raises
    ------
    ValueError
        Naming the first molecule that is not whole.
    """
    from ase.data import covalent_radii

    cell = _cell_matrix(box)
    positions = np.asarray(positions, dtype=np.float64)
    ids = check_molecule_ids(ids, len(positions))
    if numbers is None:
        first, second = _contact_tree(positions, ids, cell)
        bonded = np.ones(len(first), dtype=bool)
    else:
        radii = covalent_radii[np.asarray(numbers)]
        if _many_pairs(ids):
            # no pair beyond 1.2 × twice the largest radius is a bond: the same test, bounded
            reach = 2.4 * float(radii.max()) * (1 + 1e-9) if radii.size else 1.0
            first, second = _close_intramolecular_pairs(positions, ids, cell, max(reach, 1e-3))
        else:
            first, second = _intramolecular_pairs(ids)
        bonded = None
    if first.size == 0:
        return
    direct = positions[second] - positions[first]
    periodic, distance = _mic(direct, cell)
    if bonded is None:
        bonded = distance < 1.2 * (radii[first] + radii[second])
    if numbers is not None:
        # a molecule that is not one bonded fragment has no defined whole form
        fragments = bonded_components(len(ids), np.stack([first[bonded], second[bonded]], axis=1))
        n_mol = int(ids.max()) + 1
        pieces = np.bincount(ids[np.unique(fragments, return_index=True)[1]], minlength=n_mol)
        if np.any(pieces > 1):
            j = int(np.flatnonzero(pieces > 1)[0])
            raise ValueError(
                f"molecule {j} cannot be made whole: its atoms form {int(pieces[j])} separate "
                "covalently bonded fragments; the molecule assignment joins separate molecules"
            )
    broken = bonded & (np.linalg.norm(direct - periodic, axis=1) > 1e-6)
    if broken.any():
        k = int(np.flatnonzero(broken)[0])
        bad = np.unique(ids[first[broken]])
        raise ValueError(
            f"{bad.size} molecule(s) cannot be made whole: in molecule {int(ids[first[k]])} the "
            f"bond between atoms {int(first[k])} and {int(second[k])} "
            f"({distance[k]:.2f} Å across the boundary) is "
            f"{np.linalg.norm(direct[k]):.2f} Å long in the whole positions; the box is too small "
            "for the molecule or the molecule assignment joins separate molecules"
        )


def centers_of_mass(positions, masses, ids):
    """Centre of mass of every molecule.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å (see :func:`make_whole`), or velocities in Å/ps to get
        centre-of-mass velocities.
    masses : array_like, shape (n_atoms,)
        Masses in amu.
    ids : array_like of int, shape (n_atoms,)

    Returns
    -------
    numpy.ndarray, shape (n_molecules, 3)

    Raises
    ------
    ValueError
        Masses refused by :func:`check_masses` (another shape, negative or not finite, a
        molecule without mass; massless atoms, e.g. virtual sites, are fine beside massive
        ones): its centre would be NaN.
    """
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(f"centres of mass: positions must have shape (n_atoms, 3), not "
                         f"{positions.shape}")
    ids = check_molecule_ids(ids, len(positions))
    bad = np.flatnonzero(~np.isfinite(positions).all(axis=1))
    if bad.size:
        # a NaN centre would surface later as NaN distances or displacements naming nothing
        raise ValueError(f"centres of mass: atom {bad[0]} has non-finite coordinates "
                         f"{positions[bad[0]].tolist()} (and {bad.size - 1} more atoms)")
    # elements unknown here: the masses are judged by their values and molecules only
    masses = check_masses(np.zeros(ids.shape, dtype=np.intp), masses, ids,
                          "centres of mass")
    n_mol = int(ids.max()) + 1 if ids.size else 0
    # each atom's share of its molecule's mass (at most 1), from masses scaled by the largest:
    # a centre does not depend on the unit of mass, and 1e308 amu summed to inf (NaN
    # centres) as products of masses and 1e308 Å coordinates did
    scaled = masses / masses.max() if masses.size else masses
    share = scaled / np.bincount(ids, weights=scaled, minlength=n_mol)[ids]
    com = np.empty((n_mol, 3))
    for k in range(3):
        com[:, k] = np.bincount(ids, weights=share * positions[:, k], minlength=n_mol)
    return com


def inertia_tensors(positions, masses, ids, com=None):
    """Inertia tensor of every molecule about its centre of mass.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å.
    masses : array_like, shape (n_atoms,)
        Masses in amu.
    ids : array_like of int, shape (n_atoms,)
    com : array_like, shape (n_molecules, 3), optional
        Centres of mass (or any other reference points, Å), computed when not given.

    Returns
    -------
    numpy.ndarray, shape (n_molecules, 3, 3)
        ``I = Σ m (|r|² 1 − r ⊗ r)`` in amu·Å².

    Raises
    ------
    ValueError
        As :func:`centers_of_mass` (positions, masses, ids), also when ``com`` is given (NaN
        masses made NaN tensors), and a ``com`` of another shape than ``(n_molecules, 3)`` or
        not finite (three rows for one molecule gave three tensors, two of them zero).
    """
    positions = np.asarray(positions, dtype=np.float64)
    ids = check_molecule_ids(ids, len(positions))
    if com is None:
        com = centers_of_mass(positions, masses, ids)
    else:
        if positions.ndim != 2 or positions.shape[1] != 3:
            raise ValueError(f"inertia tensors: positions must have shape (n_atoms, 3), not "
                             f"{positions.shape}")
        if not np.isfinite(positions).all():
            bad = int(np.flatnonzero(~np.isfinite(positions).all(axis=1))[0])
            raise ValueError(f"inertia tensors: atom {bad} has non-finite coordinates "
                             f"{positions[bad].tolist()}")
        com = np.asarray(com, dtype=np.float64)
        n_mol = int(ids.max()) + 1 if ids.size else 0
        if com.shape != (n_mol, 3) or not np.isfinite(com).all():
            raise ValueError(f"inertia tensors: com must hold one finite point per molecule "
                             f"(shape ({n_mol}, 3)), not shape {com.shape}"
                             + ("" if com.shape != (n_mol, 3) else " with non-finite values"))
    masses = check_masses(np.zeros(ids.shape, dtype=np.intp), masses, ids, "inertia tensors")
    rel = positions - com[ids]
    outer = masses[:, None, None] * (
        np.einsum("ij,ij->i", rel, rel)[:, None, None] * np.eye(3)
        - rel[:, :, None] * rel[:, None, :]
    )
    n_mol = com.shape[0]
    tensors = np.zeros((n_mol, 3, 3))
    np.add.at(tensors, ids, outer)
    return tensors


def rigid_decomposition(positions, masses, ids):
    """Write every atom as ``r_i = τ_j + ξ_i``.

    ``τ_j`` is the centre of mass of molecule ``j`` and ``ξ_i = Θ_j ξ_i⁰`` the atom's offset in the
    laboratory frame; a rigid-molecule transformation moves ``τ`` and keeps ``ξ``.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å.
    masses : array_like, shape (n_atoms,)
    ids : array_like of int, shape (n_atoms,)

    Returns
    -------
    com : numpy.ndarray, shape (n_molecules, 3)
        Centres of mass τ in Å.
    offsets : numpy.ndarray, shape (n_atoms, 3)
        ξ in Å, such that ``com[ids] + offsets == positions``.
    """
    positions = np.asarray(positions, dtype=np.float64)
    com = centers_of_mass(positions, masses, ids)
    return com, positions - com[np.asarray(ids)]


def check_molecule_ids(ids, n_atoms):
    """``ids`` as a molecule index: integers numbering the molecules ``0 .. n - 1`` without gaps.

    The functions that take a molecule index (:func:`make_whole`, :func:`centers_of_mass`,
    ...) index per-molecule arrays with it. Labels such as residue ids (1-based, or with gaps)
    left a molecule without atoms: :func:`make_whole` took the last atom of the frame as that
    molecule's first and left the last molecule cut by the box, and
    :func:`centers_of_mass` said that molecule 0 had no mass.

    Parameters
    ----------
    ids : array_like of int, shape (n_atoms,)
    n_atoms : int

    Returns
    -------
    numpy.ndarray of intp

    Raises
    ------
    ValueError
        Another shape, values that are not integers, negative ones, or a number without atoms
        (relabel with :func:`first_appearance`).
    """
    ids = np.asarray(ids)
    if ids.shape != (n_atoms,):
        raise ValueError(f"ids has shape {ids.shape}, expected ({n_atoms},)")
    if ids.size == 0:
        return ids.astype(np.intp)
    if ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers (a molecule index), not {ids.dtype} values such "
                         f"as {ids[:3].tolist()}")
    if ids.min() < 0:
        raise ValueError(f"ids must not be negative, got {int(ids.min())}")
    empty = np.flatnonzero(np.bincount(ids) == 0)
    if empty.size:
        raise ValueError(
            f"ids must number the molecules 0 .. n - 1 without gaps: {empty.size} number(s) "
            f"have no atom (e.g. {int(empty[0])}; labels {np.unique(ids)[:5].tolist()}, such "
            "as residue ids?); relabel with first_appearance(ids) or use molecule_ids()")
    return ids.astype(np.intp)


def first_appearance(raw):
    """Relabel ``raw`` (any per-atom molecule labels) to 0 .. n-1 in order of first appearance."""
    _, first, inverse = np.unique(np.asarray(raw), return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse.ravel()].astype(np.intp)


#: Largest scale of the covalent radii a bond search takes: at 3 times the radii second
#: neighbours (C···C across an ethane bond angle, O···O of a carbonate) are bonded and
#: different molecules merge; a negative or zero scale found no bond at all, every atom a
#: molecule of its own.
MAX_BOND_SCALE = 3.0

#: Largest vacuum (Å) around an isolated molecule: 500 times any model's cutoff; a cell of
#: 1e308 Å ended in an SVD failure inside the model.
MAX_VACUUM = 1.0e4


def check_bond_scale(mult):
    """``mult`` (the scale of the covalent radii) as a float in ``(0, MAX_BOND_SCALE]``."""
    return check_number("mult (scale of the covalent radii)", mult, above=0,
                        maximum=MAX_BOND_SCALE)


#: Atomic numbers of the alkali and alkaline-earth metals (Li⁺, Na⁺, K⁺, Mg²⁺, Ca²⁺, ...) and of
#: zinc (Zn²⁺ of aqueous zinc-battery electrolytes): free ions in an electrolyte, never bonded
#: by the covalent guess. Their contacts with solvent and anion oxygens (Li–O ≈ 1.9-2.1 Å,
#: Zn–O ≈ 2.1 Å within Zn–O's reach of 2.48 Å) lie within the covalent cutoffs, and a guess
#: that bonds them merges each cation with its solvation shell into one neutral "molecule"
#: (Zn(H2O)6, named H12O6Zn, charge 0). A zincate (ZnCl4²⁻) is read as Zn²⁺ and its chlorides.
FREE_ION_NUMBERS = frozenset([3, 11, 19, 37, 55, 87, 4, 12, 20, 38, 56, 88, 30])


#: Å added to each atom's scaled covalent radius in the bond test (the skin of ASE's
#: ``NeighborList``, which this search replaced and whose bonds it keeps): two atoms are
#: bonded closer than ``mult·(r_i + r_j) + 2·BOND_SKIN``, O–H up to 1.57 Å at ``mult=1``.
BOND_SKIN = 0.3


def bond_reach(mult=1.0):
    """Per-element reach (Å) of :func:`covalent_bonds`: two atoms closer than the sum of their
    reaches, ``mult·r_i + BOND_SKIN``, are bonded; free ions (``FREE_ION_NUMBERS``) reach
    nothing (0).

    Returns
    -------
    numpy.ndarray, shape (len(ase.data.covalent_radii),)
        Indexed by atomic number.
    """
    from ase.data import covalent_radii

    reach = check_bond_scale(mult) * np.asarray(covalent_radii, dtype=np.float64) + BOND_SKIN
    reach[list(FREE_ION_NUMBERS)] = 0.0
    return reach


def covalent_bonds(atoms, mult=1.0):
    """Covalent bonds of an ASE ``Atoms``, periodic images included.

    The one bond guess of the package (:func:`atoms_molecule_ids`, :func:`mda_electrolyte.from_ase`,
    the molecule count of :func:`check_residues_are_molecules`, atom categories). Alkali and
    alkaline-earth atoms and zinc (``FREE_ION_NUMBERS``: Li⁺, Na⁺, K⁺, Mg²⁺, Ca²⁺, Zn²⁺, ...)
    are free ions and get no bonds: their contacts with oxygens lie within the covalent
    cutoffs.

    The pairs come from vesin (:func:`ase_electrolyte.neighbour_pairs.pairs_within`, the
    package's one neighbour search); the bonds are those ASE's ``NeighborList`` with
    ``natural_cutoffs`` found before (``tests/test_molecules_bond_search.py``). Directions
    that are not periodic (a molecule without a cell, a slab) are searched without images.

    Parameters
    ----------
    atoms : ase.Atoms
    mult : float
        Scale of the covalent radii (``ase.data.covalent_radii``, Å), in ``(0, 3]``. Two atoms
        are bonded closer than ``mult·(r_i + r_j) + 2·BOND_SKIN`` (:data:`BOND_SKIN` 0.3 Å;
        O–H up to 1.57 Å, C–C up to 2.12 Å at ``mult=1``).

    Returns
    -------
    numpy.ndarray of int, shape (n_bonds, 2)
        Atom index pairs ``(i, j)`` with ``i < j``, each once, in lexicographic order.

    Raises
    ------
    ValueError
        A scale outside ``(0, 3]``; an atomic number of no element (below 0 or beyond the
        radii table); non-finite positions, a degenerate periodic cell, or a
        search that would exceed the pair-memory budget
        (:data:`ase_electrolyte.neighbour_pairs.PAIR_MEMORY_BUDGET`), before searching.
    """
    from ase.data import covalent_radii

    from ase_electrolyte.neighbour_pairs import pairs_within

    mult = check_bond_scale(mult)
    empty = np.zeros((0, 2), dtype=np.intp)
    numbers = np.asarray(atoms.numbers)
    bad = np.flatnonzero((numbers < 0) | (numbers >= len(covalent_radii)))
    if bad.size:
        # Z = 200 was an IndexError of the radii table, Z = -1 the radius of its last entry
        raise ValueError(f"atoms {bad[:10].tolist()} have atomic number {int(numbers[bad[0]])}, "
                         "no element: no covalent radius, no bonds")
    # free ions take no part: their radii (K 2.03 Å) would widen the search for nothing
    bonding = np.flatnonzero(~np.isin(atoms.numbers, list(FREE_ION_NUMBERS)))
    if bonding.size < 2:
        return empty
    reach = bond_reach(mult)[atoms.numbers[bonding]]
    cutoff = 2.0 * float(reach.max())
    positions, cell = _search_cell(atoms.positions[bonding], atoms.cell.array, atoms.pbc,
                                   cutoff)
    # a hair wider than the widest bond: the test below is the one that decides
    pairs, distances = pairs_within(positions, cell, cutoff * (1 + 1e-9), "Pd")
    i, j = pairs[:, 0], pairs[:, 1]
    keep = (i != j) & (distances < reach[i] + reach[j])
    if not keep.any():
        return empty
    first, second = bonding[np.minimum(i[keep], j[keep])], bonding[np.maximum(i[keep], j[keep])]
    # a pair bonded through several periodic images is one bond (one key per pair: a sort of
    # int64 keys is several times faster than np.unique over rows)
    key, which = np.unique(first.astype(np.int64) * len(atoms) + second, return_inverse=True)
    length = np.full(key.size, np.inf)
    np.minimum.at(length, which.ravel(), distances[keep])
    bonds = np.stack([key // len(atoms), key % len(atoms)], axis=1).astype(np.intp)
    return _without_angle_contacts(bonds, length, atoms.numbers, len(atoms))


def _without_angle_contacts(bonds, length, numbers, n_atoms):
    """``bonds`` less the contacts across a bond angle.

    The skin of the guess reaches the second neighbours of some molecules: the two S of
    FSI⁻ and TFSI⁻ across their S–N–S angle (2.60-2.66 Å in RDKit's MMFF conformers,
    within the S–S reach of 2.70 Å), the carbonyl C and the C=C carbons of vinylene
    carbonate across a ring O (2.124 Å, reach 2.12 Å: bonded in half the frames of a run).
    Such a contact is the third side of a triangle whose other two sides are certain bonds
    (shorter than :data:`SPLIT_BOND_SCALE` times the covalent radii) and is itself no
    certain bond; the sides of a true three-membered ring (cyclopropane's C–C 1.51 Å,
    an epoxide's C–O 1.43 Å) are all certain and stay. Removing one side of a triangle
    joins or splits no molecule.
    """
    from ase.data import chemical_symbols, covalent_radii
    from scipy.sparse import coo_matrix

    if len(bonds) < 2:
        return bonds
    radii = np.asarray(covalent_radii, dtype=np.float64)[np.asarray(numbers)]
    certain = length < SPLIT_BOND_SCALE * (radii[bonds[:, 0]] + radii[bonds[:, 1]])
    doubtful = np.flatnonzero(~certain)
    if not doubtful.size:
        return bonds
    sure = bonds[certain]
    graph = coo_matrix((np.ones(2 * len(sure)), (sure.ravel(order="F"), sure[:, ::-1].ravel(
        order="F"))), shape=(n_atoms, n_atoms)).tocsr()
    a, b = bonds[doubtful, 0], bonds[doubtful, 1]
    shared = np.asarray(graph[a].multiply(graph[b]).sum(axis=1)).ravel() > 0
    # an atom whose certain bonds fill its valence makes no further one: the contact is with
    # a neighbouring molecule (two ClO4⁻ of a packed box, Cl···O 2.20 Å within the reach of
    # 2.28 Å; a hydrogen bond's H···O)
    valence = np.full(len(chemical_symbols), MAX_OTHER_VALENCE, dtype=np.int64)
    valence[list(MAX_VALENCE)] = list(MAX_VALENCE.values())
    full = np.bincount(sure.ravel(), minlength=n_atoms) >= valence[np.asarray(numbers)]
    drop = np.zeros(len(bonds), dtype=bool)
    drop[doubtful[shared | full[a] | full[b]]] = True
    return bonds[~drop]


def _search_cell(positions, cell, pbc, cutoff):
    """Positions and a periodic cell in which vesin finds the pairs of ``positions`` that
    ASE's ``pbc`` defines: each direction that is not periodic gets a cell vector normal to
    the periodic ones and longer than the atoms' extent along it plus ``cutoff``, so that no
    image across it lies within ``cutoff``."""
    positions = np.asarray(positions, dtype=np.float64)
    pbc = np.asarray(pbc, dtype=bool)
    if pbc.all():
        return positions, np.asarray(cell, dtype=np.float64)
    if not np.all(np.isfinite(positions)):
        raise ValueError("non-finite positions: no bonds can be found")
    periodic = np.asarray(cell, dtype=np.float64)[pbc]
    if len(periodic) and np.linalg.matrix_rank(periodic) < len(periodic):
        raise ValueError(f"the periodic cell vectors {periodic.tolist()} (pbc {pbc.tolist()}) "
                         "are zero or parallel: no periodic images can be searched")
    # an orthonormal basis whose first vectors span the periodic ones: its remaining
    # vectors are normal to them (and to each other)
    q, _ = np.linalg.qr(np.concatenate([periodic, np.eye(3)]).T)
    normals = q[:, len(periodic):].T
    search = np.empty((3, 3))
    search[pbc] = periodic
    extent = np.ptp(positions @ normals.T, axis=0)
    search[~pbc] = normals * (extent + cutoff + 1.0)[:, None]
    return positions, search


def check_stored_molecules(atoms, ids, bonds=None, whole=False, cut_bonds=False):
    """Refuse a stored molecule index (:data:`~ase_electrolyte.topology.MOLECULE_INDEX`) that
    the atoms contradict.

    The box builder's topology is taken as it is, so an index that no longer fits its atoms
    gave wrong molecules without a word: two boxes joined with ``+`` keep each part's indices
    (every molecule of one shares its index with one of the other: EC residues of 20 atoms, a
    "Li" of charge +2), and atoms removed from some molecules leave one species name on
    molecules of different compositions.

    Parameters
    ----------
    atoms : ase.Atoms
    ids : array_like of int, shape (n_atoms,)
        The stored molecule index, contiguous (:func:`first_appearance`).
    bonds : array_like of int, shape (n_bonds, 2), optional
        :func:`covalent_bonds` of ``atoms`` when already found.
    whole : bool
        The positions hold whole molecules whatever the cell (a cluster in vacuum, a slab for
        a term that sums over them as they are): the bond test runs without a periodic cell
        too.
    cut_bonds : bool
        Also refuse a bond shorter than :data:`SPLIT_BOND_SCALE` times the covalent radii
        between two molecules, with ``bonds`` or those found: where the index must be the
        molecules (:func:`mda_electrolyte.from_ase`: residues); a calculator's groups (the
        short-range exclusion of :class:`~ase_electrolyte.Electrostatics`) may be smaller.

    Raises
    ------
    ValueError
        A molecule whose atoms form several covalently bonded groups (periodic Atoms, or
        ``whole``: without the cell a wrapped box's molecules are cut); with ``cut_bonds``,
        a bond shorter than :data:`SPLIT_BOND_SCALE` times the covalent radii between two
        molecules (one molecule split over two indices, or molecules that reacted); a
        molecule of several species names
        (:data:`~ase_electrolyte.topology.SPECIES`), or a name on molecules of different
        compositions or different net formal charges
        (:data:`~ase_electrolyte.topology.FORMAL_CHARGE`).
    """
    ids = np.asarray(ids)
    pieces = np.zeros(0, dtype=int)
    # without a periodic cell the molecules of a wrapped box are cut at its faces: the
    # analyses refuse such frames naming the missing box
    if (atoms.pbc.all() or whole) and len(atoms):
        if bonds is None:
            bonds = covalent_bonds(atoms)
        bonds = check_bonds(bonds, len(atoms))
        inside = bonds[ids[bonds[:, 0]] == ids[bonds[:, 1]]]
        fragment = bonded_components(len(atoms), inside)
        pairs = np.unique(np.stack([ids, fragment], axis=1), axis=0)
        pieces = np.bincount(pairs[:, 0], minlength=int(ids.max()) + 1)
    if np.any(pieces > 1):
        j = int(np.flatnonzero(pieces > 1)[0])
        raise ValueError(
            f"Atoms.arrays[{MOLECULE_INDEX!r}] does not fit the atoms: {int(np.sum(pieces > 1))} "
            f"molecule(s) are several covalently bonded groups (e.g. molecule {j}: "
            f"{int(pieces[j])} groups), which cannot be made whole as one molecule. Atoms "
            "joined with '+' keep each part's molecule indices: renumber one part "
            "(part.arrays['molecule_index'] += n_molecules of the other) before joining; an "
            "index set by hand must give each molecule its own; if molecules really broke "
            "apart, delete the topology arrays (ase_electrolyte.topology) to find the "
            "molecules from the bonds")
    if cut_bonds and len(atoms):
        if bonds is None:
            bonds = covalent_bonds(atoms)
        bonds = check_bonds(bonds, len(atoms))
        across = bonds[ids[bonds[:, 0]] != ids[bonds[:, 1]]]
        # only a bond shorter than SPLIT_BOND_SCALE × the radii: a short hydrogen bond
        # between two molecules is within the guess's reach
        certain = across[covalent_contacts(atoms.positions, atoms.numbers, across,
                                           atoms.cell.array, atoms.pbc)]
        if len(certain):
            a, b = (int(k) for k in certain[0])
            raise ValueError(
                f"Atoms.arrays[{MOLECULE_INDEX!r}] does not fit the atoms: {len(certain)} "
                f"covalent bond(s) join atoms of two molecules (e.g. atoms {a} and {b}, "
                f"{atoms.get_distance(a, b, mic=bool(atoms.pbc.any())):.2f} Å apart, of "
                f"molecules {int(ids[a])} and {int(ids[b])}): a molecule split over two "
                "indices (an index set by hand or by another tool), or molecules that reacted "
                "since the box was built; delete the topology arrays (ase_electrolyte.topology) "
                "to find the molecules from the bonds")
    if SPECIES not in atoms.arrays:
        return
    names = np.asarray(atoms.arrays[SPECIES]).astype(str)
    _, codes = np.unique(names, return_inverse=True)
    pairs = np.unique(np.stack([ids, codes.ravel()], axis=1), axis=0)
    mixed = np.flatnonzero(np.bincount(pairs[:, 0], minlength=int(ids.max()) + 1) > 1)
    if mixed.size:
        # the first atom's name was the molecule's, whatever the others said
        j = int(mixed[0])
        raise ValueError(
            f"Atoms.arrays[{SPECIES!r}] does not fit the atoms: {mixed.size} molecule(s) "
            f"carry several species names (e.g. molecule {j}: "
            f"{sorted(set(names[ids == j].tolist()))}); the topology arrays were edited or "
            "mixed: delete them (ase_electrolyte.topology) to find the molecules from the "
            "bonds")
    formulas = molecule_species(atoms.numbers, ids)
    labels = molecule_species(atoms.numbers, ids, names)
    charges = (np.bincount(ids, weights=np.asarray(atoms.arrays[FORMAL_CHARGE], dtype=float))
               if FORMAL_CHARGE in atoms.arrays else np.zeros(len(labels)))
    seen = {}
    for label, formula, charge in zip(labels, formulas, charges, strict=True):
        first = seen.setdefault(label, (formula, charge))
        if first[0] != formula:
            raise ValueError(
                f"Atoms.arrays[{SPECIES!r}] does not fit the atoms: molecules named {label!r} "
                f"are {first[0]} and {formula} (atoms removed from some of them?); the "
                "topology arrays describe the box as built: delete them "
                "(ase_electrolyte.topology) to find the molecules from the bonds")
        if first[1] != charge:
            raise ValueError(
                f"Atoms.arrays[{FORMAL_CHARGE!r}] does not fit the atoms: molecules named "
                f"{label!r} ({formula}) carry formal charges {first[1]:+g} and {charge:+g} e; "
                "one species has one charge: the charges were edited, or the names are wrong")


def check_bonds(bonds, n_atoms, what="bonds"):
    """``bonds`` as an integer array of atom index pairs, shape ``(n_bonds, 2)``.

    Every function here that takes bonds reads them through this: a cast to integers made a
    bond ``[0, 1.7]`` one between atoms 0 and 1 and NaN the most negative index, and a reshape
    to pairs read the ``(2, n_bonds)`` form of a graph library's edge list (``[[0, 2, 4],
    [1, 3, 5]]``: bonds 0-1, 2-3, 4-5) as the bonds 0-2, 4-1 and 3-5, joining and splitting
    molecules without a word.

    Parameters
    ----------
    bonds : array_like of int, shape (n_bonds, 2)
        Atom index pairs (``universe.bonds.indices``, :func:`covalent_bonds`); empty for none
        (``[]``, shape ``(0,)`` or ``(0, 2)``). Whole-valued floats are taken.
    n_atoms : int
        Number of atoms the indices refer to.
    what : str
        What the bonds are, for the message.

    Returns
    -------
    numpy.ndarray of intp, shape (n_bonds, 2)

    Raises
    ------
    ValueError
        Another shape (the ``(2, n_bonds)`` form is named), values that are not whole numbers
        (fractions, NaN, flags, text), or indices outside ``0 .. n_atoms - 1``.
    """
    arr = np.asarray(bonds)
    if arr.size == 0 and arr.ndim <= 2 and (arr.ndim < 2 or arr.shape[1] in (0, 2)):
        return np.zeros((0, 2), dtype=np.intp)
    if arr.ndim != 2 or arr.shape[1] != 2:
        hint = (" (the (2, n_bonds) form of an edge list: give bonds.T)"
                if arr.ndim == 2 and arr.shape[0] == 2 else "")
        raise ValueError(f"{what} must be atom index pairs of shape (n_bonds, 2), not shape "
                         f"{arr.shape}{hint}")
    if arr.dtype.kind == "f":
        whole = np.isfinite(arr) & (arr == np.round(arr))
        if not whole.all():
            k = tuple(np.argwhere(~whole)[0])
            raise ValueError(f"{what} must hold atom indices (whole numbers), got "
                             f"{float(arr[k])} in bond {int(k[0])}")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"{what} must hold atom indices (whole numbers), not {arr.dtype} "
                         f"values such as {arr.ravel()[:4].tolist()}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_atoms):
        k = int(np.flatnonzero(((arr < 0) | (arr >= n_atoms)).any(axis=1))[0])
        raise ValueError(f"{what} index atoms outside 0 .. {n_atoms - 1}: bond {k} is "
                         f"{arr[k].tolist()}")
    return arr.astype(np.intp)


def bonded_components(n_atoms, bonds):
    """Molecule index of every atom: the connected components of ``bonds``.

    Parameters
    ----------
    n_atoms : int
    bonds : array_like of int, shape (n_bonds, 2)

    Returns
    -------
    numpy.ndarray of int, shape (n_atoms,)
        In order of first appearance; an atom without bonds is a molecule of its own.

    Raises
    ------
    ValueError
        ``n_atoms`` not a whole number of at least 0, or bonds refused by :func:`check_bonds`.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from ase_electrolyte.atoms_checks import check_number

    n_atoms = check_number("n_atoms", n_atoms, integer=True, minimum=0)
    bonds = check_bonds(bonds, n_atoms)
    graph = coo_matrix((np.ones(len(bonds)), (bonds[:, 0], bonds[:, 1])), shape=(n_atoms, n_atoms))
    _, labels = connected_components(graph, directed=False)
    return first_appearance(labels)


def atoms_molecule_ids(atoms, mult=1.0, bonds=None, whole=False):
    """Contiguous molecule index of every atom of an ASE ``Atoms``.

    The box builder's array (:data:`~ase_electrolyte.topology.MOLECULE_INDEX`) is used when
    present. Otherwise molecules are the connected components of the covalent bonds
    (:func:`covalent_bonds`: covalent radii times ``mult``, periodic images included, free
    ions unbonded), and the labels another program wrote (the other
    :data:`MOLECULE_ID_ARRAYS`: the residue numbers ASE reads from a PDB or GRO file, a
    ``mol-id`` column) are used where they are molecules: where no label holds atoms of
    several bonded molecules. A file that puts all atoms in one residue (ASE writes PDB and GRO
    files so) holds no molecules; labels that put several molecules in one (an ion pair in one
    residue, residue numbers wrapped at 10⁵ in a GRO file) are set aside with a warning, as are
    labels that cut a covalent bond (shorter than :data:`SPLIT_BOND_SCALE` times the covalent
    radii: a molecule split over two labels, every atom a label of its own). Labels that
    separate two molecules the guess joins by a longer contact (C···O 1.95 Å between two CO2)
    are kept: they say more than the guess.

    Parameters
    ----------
    atoms : ase.Atoms
    mult : float
        Scale of the covalent radii for bond detection.
    bonds : array_like of int, shape (n_bonds, 2), optional
        The covalent bonds of ``atoms`` when already found (:func:`covalent_bonds` at ``mult``).
    whole : bool
        A stored index is checked against the bonds without a periodic cell too
        (:func:`check_stored_molecules`).

    Returns
    -------
    ids : numpy.ndarray of int, shape (n_atoms,)
        Values from 0 to ``n_molecules - 1`` in order of first appearance.

    Raises
    ------
    ValueError
        Atoms without a periodic cell in which a hydrogen is bonded to nothing: molecules split
        by a periodic boundary whose cell the file did not keep (a wrapped box as plain XYZ).

    Warns
    -----
    UserWarning
        Labels of several residues set aside because one holds several bonded molecules or
        a covalent bond joins two of them.
    """
    mult = check_bond_scale(mult)  # refused whichever way the molecules are found
    if MOLECULE_INDEX in atoms.arrays:
        ids = first_appearance(atoms.arrays[MOLECULE_INDEX])
        check_stored_molecules(atoms, ids, bonds, whole=whole)
        return ids
    bonds = covalent_bonds(atoms, mult=mult) if bonds is None else check_bonds(bonds, len(atoms))
    fragments = bonded_components(len(atoms), bonds)
    lone = np.flatnonzero((atoms.numbers == 1) & (np.bincount(fragments)[fragments] == 1))
    if lone.size and not np.any(atoms.pbc) and len(atoms) > 1:
        # a periodic box written without its cell (plain XYZ) and wrapped: the molecules
        # that cross the boundary fall apart, and would be analysed as fragments
        raise ValueError(
            f"{lone.size} hydrogen atom(s) (e.g. atom {lone[0]}) are bonded to nothing: the "
            "molecules are split, as in a periodic box written wrapped without its cell "
            "(plain XYZ); give a file with the cell (extxyz, PDB with CRYST1, GRO) or with "
            "whole molecules"
        )
    name = next((n for n in MOLECULE_ID_ARRAYS if n in atoms.arrays), None)
    if name is None:
        return fragments
    import warnings

    raw = atoms.arrays[name]
    labels = first_appearance(raw)
    pairs = np.unique(np.stack([labels, fragments], axis=1), axis=0)
    pieces = np.bincount(pairs[:, 0], minlength=int(labels.max()) + 1)
    n_labels = pieces.size
    if np.any(pieces > 1):
        if n_labels > 1:
            k = int(np.flatnonzero(pieces > 1)[0])
            warnings.warn(
                f"Atoms.arrays[{name!r}] does not label molecules: {int(np.sum(pieces > 1))} of "
                f"its {n_labels} labels hold several covalently bonded molecules (e.g. label "
                f"{_plain(raw[np.flatnonzero(labels == k)[0]])!r}: {int(pieces[k])} "
                "molecules); the molecules are found from the covalent bonds instead",
                stacklevel=2,
            )
        return fragments
    cut = bonds[labels[bonds[:, 0]] != labels[bonds[:, 1]]]
    certain = covalent_contacts(atoms.positions, atoms.numbers, cut, atoms.cell.array, atoms.pbc)
    if certain.any():
        # a label that cuts a guessed contact longer than a covalent bond (a short hydrogen
        # bond) is kept: it says more than the guess; one that cuts a covalent bond is no
        # molecule (every atom its own molecule id, a polymer's monomers)
        a, b = cut[np.flatnonzero(certain)[0]]
        warnings.warn(
            f"Atoms.arrays[{name!r}] does not label molecules: {int(certain.sum())} covalent "
            f"bond(s) join atoms of two labels (e.g. atoms {a} and {b}, labels "
            f"{_plain(raw[a])!r} and {_plain(raw[b])!r}); the molecules are found from the "
            "covalent bonds instead",
            stacklevel=2,
        )
        return fragments
    return labels


def _plain(value):
    """A NumPy scalar label as the Python value it holds (``4``, not ``np.int64(4)``)."""
    return value.item() if isinstance(value, np.generic) else value


def molecule_species(numbers, ids, names=None):
    """Species label of every molecule.

    Parameters
    ----------
    numbers : array_like of int, shape (n_atoms,)
        Atomic numbers.
    ids : array_like of int, shape (n_atoms,)
    names : array_like of str, shape (n_atoms,), optional
        Per-atom species names (residue names, or the builder's species array); the name of a
        molecule's first atom is its label. Without names the label is the Hill formula.

    Returns
    -------
    list of str, length n_molecules
    """
    from ase.data import chemical_symbols
    from ase.formula import Formula

    numbers = np.asarray(numbers)
    ids = check_molecule_ids(ids, len(numbers))
    n_mol = int(ids.max()) + 1 if ids.size else 0
    first = np.full(n_mol, -1, dtype=np.intp)
    first[ids[::-1]] = np.arange(ids.size)[::-1]
    if names is not None:
        names = np.asarray(names)
        if names.shape != ids.shape:
            # [] was an IndexError, longer names were cut without a word
            raise ValueError(f"names has shape {names.shape}, expected ({ids.size},): one "
                             "species name per atom")
        return [str(names[k]) for k in first]
    if n_mol == 0:
        return []
    # one formula per composition: a formula per molecule, over a mask of all atoms each,
    # took 4.8 s for the 9 500 molecules of a 10⁵-atom box
    elements, column = np.unique(numbers, return_inverse=True)
    counts = np.zeros((n_mol, elements.size), dtype=np.int64)
    np.add.at(counts, (ids, column.ravel()), 1)
    compositions, which = np.unique(counts, axis=0, return_inverse=True)
    formulas = [
        Formula("".join(f"{chemical_symbols[z]}{c}" for z, c in zip(elements, row, strict=True)
                        if c)).format("hill")
        for row in compositions
    ]
    return [formulas[k] for k in which.ravel()]


def isolated_molecules(atoms, ids, vacuum=None):
    """Every molecule of a frame as its own ASE ``Atoms``, whole and centred on its centre of mass.

    Parameters
    ----------
    atoms : ase.Atoms
        The frame; periodic frames are made whole first (the input is not modified).
    ids : array_like of int, shape (n_atoms,)
        Molecule index of every atom (:func:`molecule_ids`, :func:`atoms_molecule_ids`).
    vacuum : float, optional
        ``None`` (default) gives non-periodic molecules without a cell. A value in Å puts each
        molecule in a periodic cubic cell with at least this much vacuum around it, for
        calculators that need a cell (it must exceed the model's cutoff to mean "isolated").

    Returns
    -------
    molecules : list of ase.Atoms
        Molecule ``j`` in order; ``atoms.info["molecule_index"] = j`` and
        ``atoms.arrays["frame_index"]`` holds the atoms' indices in the frame. Every other
        per-atom array of the frame is carried over for the molecule's atoms, as ``atoms[index]``
        does (charges and tags, for calculators that read them), ``molecule_index`` set to 0,
        but for the frame's stored labels
        (:func:`~mda_electrolyte.model_labels.drop_stored_labels`: ``REF_forces``,
        ``forces``, per-atom ``energies``, ...), which are the atoms' in the frame, not the
        molecule's alone;
        a frame with formal charges (:data:`ase_electrolyte.topology.FORMAL_CHARGE`) gives each
        molecule ``info["charge"]``, the sum of its atoms' (e), so that a charge-aware
        calculator sees an isolated PF₆⁻ as an anion, not as a neutral PF₆.
    """
    from ase import Atoms

    from ase_electrolyte.topology import FORMAL_CHARGE, MOLECULE_INDEX

    from .model_labels import drop_stored_labels

    vacuum = check_vacuum(vacuum)
    ids = check_molecule_ids(ids, len(atoms))
    pos = atoms.get_positions()
    if np.any(atoms.pbc):
        if not np.all(atoms.pbc):
            raise ValueError("frames must be periodic in all three directions or in none")
        pos = make_whole(pos, ids, atoms.cell.array)
        check_whole(pos, ids, atoms.cell.array, atoms.numbers)
    masses = atoms.get_masses()
    numbers = atoms.numbers
    charges = atoms.arrays.get(FORMAL_CHARGE)
    charges = None if charges is None else np.asarray(charges)
    carried = [name for name in atoms.arrays
               if name not in ("numbers", "positions", "masses", "frame_index")]
    com = centers_of_mass(pos, masses, ids)
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(com.shape[0] + 1))
    molecules = []
    for j in range(com.shape[0]):
        index = order[bounds[j] : bounds[j + 1]]
        mol = Atoms(numbers=numbers[index], positions=pos[index] - com[j], masses=masses[index])
        for name in carried:
            # np.asarray: an array set as a plain list (atoms.arrays["molecule_index"] = [...])
            mol.new_array(name, np.asarray(atoms.arrays[name])[index].copy())
        # a training frame's labels (REF_forces) are the forces on these atoms in the liquid:
        # carried, the molecules returned for labelling (unique_isolated_molecules) kept them,
        # and a file of molecules labelled with energies alone read back with the frame's
        # forces as theirs
        drop_stored_labels(mol)
        if MOLECULE_INDEX in mol.arrays:
            mol.arrays[MOLECULE_INDEX][:] = 0
        if charges is not None:
            net = charges[index].sum()
            mol.info["charge"] = int(net) if charges.dtype.kind in "iu" else float(net)
        if vacuum is not None:
            extent = np.ptp(mol.positions, axis=0).max() if len(mol) else 0.0
            length = extent + 2.0 * float(vacuum)
            mol.set_cell(np.eye(3) * length)
            mol.pbc = True
            mol.positions += 0.5 * length
        mol.info["molecule_index"] = j
        mol.arrays["frame_index"] = index
        molecules.append(mol)
    return molecules


def check_vacuum(vacuum):
    """``None`` or the vacuum around an isolated molecule as a positive, finite float (Å).

    Raises
    ------
    ValueError
        For zero, negative, non-finite or non-numeric values.
    """
    # zero vacuum puts a molecule next to its own images: not isolated
    return check_number("vacuum (a length in Å, or None)", vacuum, above=0, maximum=MAX_VACUUM,
                        allow_none=True)
