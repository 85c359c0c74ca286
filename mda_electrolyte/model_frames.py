"""Frames handed to an ASE calculator by the model diagnostics.

:class:`~mda_electrolyte.RigidVolumeScan` and :class:`~mda_electrolyte.IntraInterErrors` take a
Universe (or AtomGroup) or a list of ASE ``Atoms``. Both run as MDAnalysis analyses, so a list of
``Atoms`` is wrapped in an in-memory Universe to iterate over, while the calculator always sees the
original float64 ``Atoms`` of that frame; Universe frames are turned into ``Atoms`` with their box.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.data import atomic_numbers
from MDAnalysis.lib.mdamath import triclinic_vectors

from .atom_categories import element_symbols
from .molecules import (
    MOLECULE_SPECIES_ARRAYS,
    atoms_molecule_ids,
    molecule_ids,
    molecule_species,
    numbers_of_masses,
)

__all__ = ["FrameSource"]


def _element_numbers(atomgroup):
    """Atomic numbers of an AtomGroup from its elements (or, failing that, its types)."""
    numbers = _element_numbers_or_none(atomgroup)
    if numbers is not None:
        return numbers
    raise ValueError(
        "the Universe needs chemical elements to be evaluated by a calculator: add them with "
        "universe.add_TopologyAttr('elements', [...]) or "
        "universe.guess_TopologyAttrs(to_guess=['elements'])"
    )


def _element_numbers_or_none(atomgroup):
    """:func:`_element_numbers`, ``None`` where neither elements nor types are element symbols;
    types that their masses contradict are refused."""
    for attr in ("elements", "types"):
        if hasattr(atomgroup, attr):
            # read as every analysis reads them ('LI' is lithium, 'CL' chlorine)
            symbols = list(element_symbols(getattr(atomgroup, attr)))
            unknown = sorted({s for s in symbols if s not in atomic_numbers})
            if not unknown:
                numbers = np.array([atomic_numbers[s] for s in symbols], dtype=int)
                if attr == "types":
                    _check_types_against_masses(atomgroup, numbers)
                return numbers
    return None


def _check_types_against_masses(atomgroup, numbers):
    """Refuse atom types read as elements that their masses contradict.

    Force-field types are not elements: AMBER's aromatic carbon ``CA`` reads as calcium, its
    ether oxygen ``OS`` as osmium, ``HO`` as holmium. Where a mass is an element's standard
    atomic mass (:func:`~mda_electrolyte.molecules.numbers_of_masses`) and not the type's, the
    calculator would be handed another element.
    """
    from ase.data import chemical_symbols

    masses = getattr(atomgroup, "masses", None)
    if masses is None:
        return
    by_mass = numbers_of_masses(masses)
    wrong = np.flatnonzero((by_mass != 0) & (by_mass != numbers))
    if wrong.size:
        k = wrong[0]
        raise ValueError(
            f"the Universe has no elements and {wrong.size} atom type(s) read as elements "
            f"contradict their masses (e.g. type {atomgroup.types[k]!r} reads as "
            f"{chemical_symbols[numbers[k]]}, but its mass {masses[k]:.4g} amu is "
            f"{chemical_symbols[by_mass[k]]}'s): add the elements with "
            "universe.add_TopologyAttr('elements', [...])"
        )


def _names_are_species(numbers, ids, names):
    """Whether per-atom ``names`` name species: one name per molecule, one composition per
    name."""
    from ase.formula import Formula

    _, codes = np.unique(np.asarray(names).astype(str), return_inverse=True)
    if len(np.unique(np.stack([ids, codes.ravel()], axis=1), axis=0)) != int(ids.max()) + 1:
        return False  # a molecule of several names
    labels = molecule_species(numbers, ids, names)
    formulas = molecule_species(numbers, ids)
    seen = {}
    for label, formula in zip(labels, formulas, strict=True):
        if seen.setdefault(label, Formula(formula)) != Formula(formula):
            return False
    return True


def _masses(atomgroup, numbers):
    """Masses (amu) of an AtomGroup: the topology's, and the element's standard atomic mass
    where the topology has none (MDAnalysis gives 0 to atoms whose type it does not know, e.g.
    ``LI`` of a GRO file), with one warning naming them."""
    import warnings

    from ase.data import atomic_masses, chemical_symbols

    standard = np.asarray(atomic_masses, dtype=np.float64)[numbers]
    if not hasattr(atomgroup, "masses"):
        return standard
    masses = np.asarray(atomgroup.masses, dtype=np.float64)
    bad = np.flatnonzero(np.isinf(masses) | (masses < 0))
    if bad.size:
        raise ValueError(f"masses must be finite and not negative (amu): atom {bad[0]} has "
                         f"{masses[bad[0]]}")
    _check_united_atoms(numbers, masses)
    missing = np.isnan(masses) | (masses == 0)
    if missing.any():
        symbols = sorted({chemical_symbols[z] for z in numbers[missing]})
        warnings.warn(
            f"{int(missing.sum())} atom(s) have no mass in the topology (elements {symbols}): "
            "given their element's standard atomic mass",
            stacklevel=3,
        )
        masses = np.where(missing, standard, masses)
    return masses


#: Largest difference (amu) between a heavy atom's mass and its element's standard mass plus
#: k hydrogen masses (k = 1 .. 4) read as a united-atom site (CH2 of 14.027 amu as carbon).
UNITED_ATOM_TOLERANCE = 0.05


#: Masses (amu) of the stable or common heavy isotopes that lie within
#: :data:`UNITED_ATOM_TOLERANCE` of their element's standard mass plus 1 or 2 hydrogens
#: (¹³C 13.0034 beside CH 13.019, ¹⁵N 15.0001 beside NH 15.015, ¹⁸O 17.9992 beside OH₂ 18.015;
#: Meija et al. 2016): an isotope-labelled atom, not a united-atom site.
_LABELLED_ISOTOPES = {6: (13.0033548, 14.0032420), 7: (15.0001089,),
                      8: (16.9991317, 17.9991596)}
#: Largest difference (amu) from a mass of :data:`_LABELLED_ISOTOPES` read as that isotope: the
#: nearest united-atom mass is 0.008 amu away (OH, 17.007, from ¹⁷O).
_ISOTOPE_TOLERANCE = 0.002


def _check_united_atoms(numbers, masses):
    """Refuse heavy atoms whose mass is their element's plus that of 1 to 4 hydrogens.

    A united-atom topology (TraPPE, OPLS-UA, GROMOS: CH3 of 15.035 amu with element C) has no
    hydrogens on its carbons; a calculator handed its frames evaluated a molecule without them
    (dimethyl ether as C2O) and gave energies as if they were the molecule's. The masses of
    heavy isotopes near such a mass (:data:`_LABELLED_ISOTOPES`: ¹³C, ¹⁴C, ¹⁵N, ¹⁷O, ¹⁸O, to
    :data:`_ISOTOPE_TOLERANCE`) are isotope labels, not united atoms.
    """
    from ase.data import atomic_masses, chemical_symbols

    heavy = (numbers > 1) & np.isfinite(masses) & (masses > 0)
    extra = (masses - np.asarray(atomic_masses, dtype=np.float64)[numbers]) / atomic_masses[1]
    k = np.rint(extra)
    # a ¹³C- or ¹⁸O-labelled molecule was refused as united-atom CH or OH₂ sites
    isotope = np.zeros(numbers.shape, dtype=bool)
    for z, isotopes in _LABELLED_ISOTOPES.items():
        for m in isotopes:
            isotope |= (numbers == z) & (np.abs(masses - m) <= _ISOTOPE_TOLERANCE)
    united = heavy & ~isotope & (k >= 1) & (k <= 4) & (
        np.abs(extra - k) * atomic_masses[1] <= UNITED_ATOM_TOLERANCE)
    if united.any():
        i = int(np.flatnonzero(united)[0])
        raise ValueError(
            f"{int(united.sum())} atom(s) are united-atom sites (e.g. atom {i}: element "
            f"{chemical_symbols[numbers[i]]}, mass {masses[i]:.3f} amu = "
            f"{chemical_symbols[numbers[i]]} + {int(k[i])} H): their hydrogens are not in the "
            "frames, and a calculator would evaluate the molecules without them; give an "
            "all-atom topology"
        )


def _how_different(atoms, first):
    """How frame ``atoms`` differs from ``first``: its atom count, its composition, or (the
    same atoms) the first atom whose element differs, for the message."""
    from ase.data import chemical_symbols

    if len(atoms) != len(first):
        return (f"{len(atoms)} atoms where frame 0 has {len(first)} (all frames must share one "
                "topology: analyse different systems separately)")
    if not np.array_equal(np.sort(atoms.numbers), np.sort(first.numbers)):
        return (f"{atoms.get_chemical_formula()} where frame 0 is "
                f"{first.get_chemical_formula()} (all frames must share one topology: analyse "
                "different systems separately)")
    i = int(np.flatnonzero(atoms.numbers != first.numbers)[0])
    return (f"the same atoms in another order (atom {i} is "
            f"{chemical_symbols[atoms.numbers[i]]} here, {chemical_symbols[first.numbers[i]]} "
            "in frame 0): put every frame in one atom order")


class FrameSource:
    """The frames of a diagnostic as ``Atoms``, with molecule indices and species.

    Parameters
    ----------
    frames : MDAnalysis.Universe, MDAnalysis.core.groups.AtomGroup, ase.Atoms or list of ase.Atoms
        A list of ``Atoms`` must share one topology (same atoms in the same order).
    compound : {"residues", "fragments"}
        What a molecule is in a Universe (see :func:`mda_electrolyte.molecules.molecule_ids`;
        in any case, as :func:`ase_electrolyte.option_words.choice_word` reads it, and checked
        for a list of ``Atoms`` too); ``Atoms`` use their molecule-index array or bond
        detection (:func:`mda_electrolyte.molecules.atoms_molecule_ids`).

    Attributes
    ----------
    atomgroup : MDAnalysis.core.groups.AtomGroup
        What the analysis iterates over.
    ids : numpy.ndarray of int, shape (n_atoms,)
    species : list of str, one per molecule
    numbers, masses : numpy.ndarray, shape (n_atoms,)
    """

    def __init__(self, frames, compound="residues"):
        import MDAnalysis as mda

        from ase_electrolyte.option_words import choice_word

        # the word as choice_word reads it (any case, spaces): compound="Residues" passed
        # molecule_ids and skipped the whole-residue check below, which compared the raw word,
        # so that the one atom of a cut CO2 was taken for a molecule of its own; a list of
        # Atoms took any word (None, "molecules") without a look
        compound = choice_word("compound", compound, ("residues", "fragments"))
        if isinstance(frames, Atoms):
            frames = [frames]
        if isinstance(frames, mda.Universe):
            frames = frames.atoms
        if isinstance(frames, mda.core.groups.AtomGroup):
            if frames.n_atoms == 0:
                raise ValueError("the AtomGroup is empty")
            self.atomgroup = frames
            self.ase_frames = None
            self.ids = molecule_ids(frames, compound=compound)
            self._check_whole_residues(frames, compound)
            self.numbers = _element_numbers(frames)
            self.masses = _masses(frames, self.numbers)
            names = (
                frames.resnames
                if (compound == "residues" and hasattr(frames, "resnames"))
                else None
            )
            self.species = self._species(names)
            return
        frames = list(frames)
        if not frames or not all(isinstance(a, Atoms) for a in frames):
            raise TypeError(
                "frames must be a Universe, an AtomGroup or a non-empty list of ase.Atoms"
            )
        first = frames[0]
        for k, atoms in enumerate(frames[1:], start=1):
            if len(atoms) != len(first) or np.any(atoms.numbers != first.numbers):
                raise ValueError(f"frame {k} has different atoms from frame 0: "
                                 + _how_different(atoms, first))
        self.ase_frames = frames
        self.ids = atoms_molecule_ids(first)
        self.numbers = first.numbers.copy()
        self.masses = first.get_masses().astype(np.float64)
        _check_united_atoms(self.numbers, self.masses)
        names = next(
            (
                first.arrays[n]
                for n in MOLECULE_SPECIES_ARRAYS
                # extxyz reads string columns back as object arrays of str
                if n in first.arrays and (first.arrays[n].dtype.kind in "US" or (
                    first.arrays[n].dtype.kind == "O"
                    and all(isinstance(x, str) for x in first.arrays[n])))
            ),
            None,
        )
        self.species = self._species(names)
        self.atomgroup = self._universe(frames).atoms

    def _species(self, names):
        """One species label per molecule: ``names`` where they tell the molecules apart,
        else the molecules' formulas."""
        if names is not None and not _names_are_species(self.numbers, self.ids, names):
            # e.g. the residue name "MOL" or "1DUM" that ASE or a topology builder writes for
            # every molecule: one name for EC and PF6 would pool them as one species
            names = None
        return molecule_species(self.numbers, self.ids, names)

    @staticmethod
    def _check_whole_residues(atomgroup, compound):
        if compound != "residues":
            return
        residues = atomgroup.residues
        counts = np.bincount(atomgroup.resindices, minlength=residues.resindices.max() + 1)
        partial = [r for r in residues if counts[r.resindex] != r.atoms.n_atoms]
        if partial:
            raise ValueError(
                f"the AtomGroup holds part of {len(partial)} residue(s) (e.g. residue index "
                f"{partial[0].resindex}): select whole molecules"
            )

    def _universe(self, frames):
        import MDAnalysis as mda
        from ase.data import chemical_symbols
        from MDAnalysis.coordinates.memory import MemoryReader

        n_atoms = len(frames[0])
        n_mol = int(self.ids.max()) + 1
        u = mda.Universe.empty(n_atoms, n_residues=n_mol, atom_resindex=self.ids, trajectory=True)
        symbols = [chemical_symbols[z] for z in self.numbers]
        u.add_TopologyAttr("elements", symbols)
        u.add_TopologyAttr("names", symbols)
        u.add_TopologyAttr("types", symbols)
        u.add_TopologyAttr("masses", self.masses)
        u.add_TopologyAttr("resnames", self.species)
        coordinates = np.array([a.positions for a in frames], dtype=np.float32)
        periodic = [bool(np.all(a.pbc)) for a in frames]
        for k, atoms in enumerate(frames):
            if np.any(atoms.pbc) and not np.all(atoms.pbc):
                raise ValueError(
                    f"frame {k} is periodic in some directions only; use full or no periodicity"
                )
        if all(periodic):
            dims = np.array([a.cell.cellpar() for a in frames])
        elif not any(periodic):
            dims = None
        else:
            raise ValueError("frames mix periodic and non-periodic structures")
        u.load_new(coordinates, format=MemoryReader, dimensions=dims)
        return u

    @property
    def n_atoms(self):
        """Atoms of each frame."""
        return self.ids.size

    @property
    def n_molecules(self):
        """Molecules of each frame (``ids.max() + 1``)."""
        return int(self.ids.max()) + 1

    def atoms(self, ts):
        """The frame ``ts`` as a new ``Atoms`` (float64; periodic when the frame has a box)."""
        if self.ase_frames is not None:
            atoms = self.ase_frames[ts.frame].copy()
            atoms.calc = None
            return atoms
        atoms = Atoms(
            numbers=self.numbers,
            positions=np.asarray(self.atomgroup.positions, dtype=np.float64),
            masses=self.masses,
        )
        if ts.dimensions is not None:
            atoms.set_cell(triclinic_vectors(ts.dimensions, dtype=np.float64))
            atoms.pbc = True
        if hasattr(self.atomgroup, "formalcharges"):
            # the same per-atom topology that the box builder attaches, for calculators that
            # read it (charge-aware models, molecule-aware test potentials)
            from ase_electrolyte.topology import set_topology

            set_topology(atoms, self.ids, np.asarray(self.species)[self.ids],
                         self.atomgroup.formalcharges)
        return atoms

    def has_box(self):
        """Whether every frame is periodic."""
        if self.ase_frames is not None:
            return all(np.all(a.pbc) for a in self.ase_frames)
        return self.atomgroup.universe.trajectory.ts.dimensions is not None
