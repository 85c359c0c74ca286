"""Chemical atom categories from the covalent bonds (Ju et al. 2025, force softening per atom type).

Ju et al. (2025, Digital Discovery 4, 1544, §2.1 and Fig. S3) split the atoms of carbonate
electrolytes into 19 categories to see which atoms a model softens:

- oxygens are carbonyl ``Oc`` (one bond, to a carbon with at most three bonds: the O of an
  alkoxide ``CH3O-`` is bonded to one carbon too, but by a single bond, and is no carbonyl) or
  ether ``Oe`` (two bonds, both to carbons); any other oxygen is ``O``;
- a carbon bonded to an Oc is the carbonyl carbon ``Cc``; any other carbon is named by its bonded
  atoms, ``C`` followed by their symbols in the order C, O, F, H (others alphabetically after
  them), e.g. ``CCOFH`` (one C, one O, one F, one H); a carbon with fewer than four bonds (a
  double-bonded carbon, as in vinylene carbonate) gets a trailing ``=``;
- a fluorine is named after the carbon it is bonded to, ``F`` followed by that carbon's name
  without its leading ``C`` (``FCOFH`` for the F of a ``CCOFH`` carbon), and ``FCc`` on a
  carbonyl carbon (an acyl fluoride: its name without the ``C`` read ``Fc``, a "carbonyl
  fluorine"); a fluorine bonded to another atom is ``F`` followed by that atom's symbol:
  ``FP`` in PF6⁻, ``FB`` in BF4⁻ and DFOB⁻, ``FS`` in FSI⁻ (these were all ``F``, one category
  with a free fluoride, although their forces differ); an unbonded fluoride is ``F``;
- every other atom (Li, P, H, ...) is its element.
"""

from __future__ import annotations

import re

import numpy as np
from ase.data import chemical_symbols

from mda_electrolyte.shell_table import OC, OE, OTHER

__all__ = ["atom_categories", "element_symbols", "oxygen_classes"]

_ORDER = {"C": 0, "O": 1, "F": 2, "H": 3}


_SYMBOLS = frozenset(chemical_symbols[1:])


def element_symbols(elements):
    """Element symbols as MDAnalysis' PDB parser reads them: ``'LI'`` is ``'Li'``.

    GRO and PDB files, and MDAnalysis' element guesser
    (``guess_TopologyAttrs(to_guess=['elements'])``), write symbols in upper case (``LI``,
    ``CL``, ``NA``, ``MG``); MDAnalysis' ``PDBParser`` reads a symbol whose
    :meth:`str.capitalize` is an element as that element. Every analysis of the package reads
    elements through this one function, so ``'LI'`` and ``'Li'`` give the same results, and
    ``'CL'`` is chlorine (``'Cl'``), never carbon.

    Parameters
    ----------
    elements : sequence of str
        The topology's ``elements`` (e.g. ``atomgroup.elements``).

    Raises
    ------
    TypeError
        A single text (``"LiO"``) or scalar instead of one symbol per atom.

    Returns
    -------
    numpy.ndarray of object
        The symbols, stripped, in their written case (``'Li'``, ``'Cl'``) where their
        capitalised form is an element; others (``''`` of a virtual site, ``'X'``, an atom
        type such as ``'OW'``) as given, stripped, for the callers to refuse or skip.

    Examples
    --------
    >>> from mda_electrolyte.atom_categories import element_symbols
    >>> list(element_symbols(["LI", "CL", "c", "O", "OW", ""]))
    ['Li', 'Cl', 'C', 'O', 'OW', '']
    """
    if isinstance(elements, (str, bytes)) or np.ndim(elements) == 0:
        # "LiO" (or None) was read as one symbol 'LiO' ('None'), one atom
        raise TypeError(f"elements must be a sequence of element symbols, one per atom, not "
                        f"{type(elements).__name__} {elements!r}")
    # a topology has few distinct symbols: each is read once
    written, inverse = np.unique(np.asarray(elements, dtype=object).astype(str),
                                 return_inverse=True)
    read = np.empty(written.size, dtype=object)
    for k, text in enumerate(written):
        text = text.strip()
        read[k] = text.capitalize() if text.capitalize() in _SYMBOLS else text
    return read[inverse.reshape(-1)]


def _written_case_hint(atoms, selection=None):
    """A hint for a selection that matched nothing where the topology writes its elements in
    another case ('LI': MDAnalysis' selections match the case written, so ``"element Li"``
    selects none of them), or where ``selection`` types in another case an element the
    topology writes (``"element LI"`` of a topology's 'Li'); ``""`` where neither."""
    written = getattr(atoms, "elements", None)
    if written is None or not len(written):
        return ""
    written = np.unique(np.asarray(written, dtype=object).astype(str))
    read = element_symbols(written)
    other = [str(w) for w, r in zip(written, read, strict=True) if w != r and r in _SYMBOLS]
    if not other:
        return _typed_case_hint(written, selection)
    return (f"; the topology writes elements {other[:4]} in another case, which MDAnalysis' "
            f"selections match as written (select 'element {other[0]}'), or set them with "
            "universe.add_TopologyAttr('elements', element_symbols(universe.atoms.elements)) "
            "(mda_electrolyte.atom_categories.element_symbols)")


def _typed_case_hint(written, selection):
    """The hint of :func:`_written_case_hint` for a topology that writes its elements as
    symbols and a ``selection`` that types one of them in another case, or ``""``."""
    if not isinstance(selection, str):
        return ""
    present = set(written)
    for word in selection.replace("(", " ").replace(")", " ").split():
        # the element the word names, as the topology writes it
        same = [str(w) for w in written if w.lower() == word.lower()]
        if same and word not in present:
            fixed = re.sub(rf"\b{re.escape(word)}\b", same[0], selection)
            return (f"; the topology writes element {same[0]!r}, not {word!r}, and "
                    f"MDAnalysis' selections match the case written (select {fixed!r})")
    return ""


def _neighbour_name(symbols):
    return "".join(sorted(symbols, key=lambda s: (_ORDER.get(s, 4), s)))


def _bond_pairs(bonds, n):
    """The distinct bonds as (i, j) index pairs, checked.

    A category counts the partners of each atom: a bond listed in both directions made a
    carbonyl oxygen an ether one (two C partners), and a (n, 3) list with bond orders was read
    as other pairs (reshaped), both without a word."""
    bonds = np.asarray(bonds)
    if bonds.size == 0:
        return np.zeros((0, 2), dtype=np.intp)
    if (bonds.ndim != 2 or bonds.shape[1] != 2 or not np.issubdtype(bonds.dtype, np.number)
            or np.issubdtype(bonds.dtype, np.complexfloating)
            or not np.all(np.isfinite(bonds)) or not np.all(bonds == np.round(bonds))):
        raise ValueError(
            f"bonds must be pairs of atom indices, shape (n_bonds, 2), not an array of shape "
            f"{bonds.shape} and dtype {bonds.dtype} (a bond-order column, or fractional "
            "indices?)")
    bonds = bonds.astype(np.intp)
    if bonds.min() < 0 or bonds.max() >= n:
        raise ValueError(f"bonds index atoms outside 0 .. {n - 1}")
    if np.any(bonds[:, 0] == bonds[:, 1]):
        k = int(np.flatnonzero(bonds[:, 0] == bonds[:, 1])[0])
        raise ValueError(f"bond {k} joins atom {bonds[k, 0]} to itself")
    return np.unique(np.sort(bonds, axis=1), axis=0)


def oxygen_classes(symbols, bonds):
    """Carbonyl (Oc) or ether (Oe) class of every atom from its element and covalent bonds.

    The one rule of :func:`atom_categories` (``Oc``/``Oe``) and of the shell labels of
    :class:`~mda_electrolyte.solvation.SolvationShells` (``c``/``e`` suffixes, the
    M–Oc–Cc angles): an Oc is an oxygen with exactly one bond, to a carbon with at most three
    bonds (the O of an alkoxide, CH3O⁻, is bonded to one four-bonded carbon and is no
    carbonyl); an Oe is an oxygen with exactly two bonds, both to carbons.

    Parameters
    ----------
    symbols : array_like of str, shape (n_atoms,)
        Element symbols (``"O"``, ``"C"``; read by :func:`element_symbols`, so ``"CL"`` is
        chlorine).
    bonds : array_like of int, shape (n_bonds, 2)
        Covalent bonds as atom index pairs, in either order; a bond listed twice is one bond.

    Returns
    -------
    kind : numpy.ndarray of int8, shape (n_atoms,)
        :data:`mda_electrolyte.shell_table.OC` (1) for a carbonyl oxygen,
        :data:`~mda_electrolyte.shell_table.OE` (2) for an ether oxygen,
        :data:`~mda_electrolyte.shell_table.OTHER` (0) for every other atom.
    carbonyl_carbon : numpy.ndarray of intp, shape (n_atoms,)
        Index of the carbon bonded to each Oc, -1 elsewhere.

    Raises
    ------
    TypeError
        ``symbols`` given as one text (``"OHH"``) or a scalar, not one symbol per atom.
    ValueError
        Bonds that are not pairs of whole atom indices, index atoms that do not exist, or bond
        an atom to itself.
    """
    if isinstance(symbols, (str, bytes)) or np.ndim(symbols) == 0:
        # "OHH" was one symbol of one atom: its bonds were refused as indexing atoms
        # "outside 0 .. 0"
        raise TypeError(f"symbols must be a sequence of element symbols, one per atom, not "
                        f"{type(symbols).__name__} {symbols!r}")
    symbols = element_symbols(np.asarray(symbols).reshape(-1))
    n = symbols.size
    bonds = _bond_pairs(bonds, n)
    ends = np.concatenate([bonds, bonds[:, ::-1]])
    degree = np.bincount(ends[:, 0], minlength=n)
    is_c = symbols == "C"
    carbons = np.bincount(ends[:, 0], weights=is_c[ends[:, 1]], minlength=n)
    partner = np.full(n, -1, dtype=np.intp)
    partner[ends[:, 0]] = ends[:, 1]
    is_o = symbols == "O"
    oc = is_o & (degree == 1) & (carbons == 1) & (degree[np.maximum(partner, 0)] <= 3)
    oe = is_o & (degree == 2) & (carbons == 2)
    kind = np.where(oc, OC, np.where(oe, OE, OTHER)).astype(np.int8)
    return kind, np.where(oc, partner, -1)


def atom_categories(numbers, bonds):
    """Category of every atom from its element and covalent bonds.

    Parameters
    ----------
    numbers : array_like of int, shape (n_atoms,)
        Atomic numbers.
    bonds : array_like of int, shape (n_bonds, 2)
        Covalent bonds as atom index pairs (``universe.bonds.indices``, or
        :func:`mda_electrolyte.molecules.covalent_bonds` of an ASE ``Atoms``), in either
        order; a bond listed twice (``(i, j)`` and ``(j, i)``, as a full neighbour list
        gives) is one bond.

    Returns
    -------
    numpy.ndarray of str, shape (n_atoms,)

    Raises
    ------
    ValueError
        Numbers that are not atomic numbers (flags and text among them too); bonds that
        are not pairs of whole atom indices (a third column, such as a bond order, or
        fractional values), index atoms that do not exist, or bond an atom to itself.

    Examples
    --------
    Fluoroethylene carbonate from its SMILES (RDKit, through the box builder's conformer):

    >>> from ase_electrolyte.build import conformer
    >>> from mda_electrolyte.molecules import covalent_bonds
    >>> from mda_electrolyte.atom_categories import atom_categories
    >>> fec = conformer("FEC")
    >>> sorted(set(atom_categories(fec.numbers, covalent_bonds(fec)).tolist()))
    ['CCOFH', 'CCOHH', 'Cc', 'FCOFH', 'H', 'Oc', 'Oe']
    """
    # a flag among the numbers was the atomic number 1 or 0: [True, 1, 1] made three H
    flags = (isinstance(numbers, (str, bytes)) or not isinstance(numbers, np.ndarray)
             and np.ndim(numbers) == 1
             and any(isinstance(z, (bool, np.bool_, str, bytes)) for z in numbers))
    shown = list(numbers[:5]) if flags and not isinstance(numbers, (str, bytes)) else None
    numbers = np.asarray(numbers)
    if flags or numbers.ndim != 1 or not (
            numbers.size == 0 or np.issubdtype(numbers.dtype, np.number)
            and np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers))
            and numbers.min() >= 0 and numbers.max() < len(chemical_symbols)):
        raise ValueError(
            "numbers must be one atomic number (0 .. "
            f"{len(chemical_symbols) - 1}) per atom, got "
            f"{shown if shown is not None else numbers.ravel()[:5].tolist()}"
            + (" ..." if numbers.size > 5 else "")
        )
    numbers = numbers.astype(np.intp)
    n = numbers.size
    bonds = _bond_pairs(bonds, n)
    symbols = np.array([chemical_symbols[z] for z in numbers], dtype=object)
    neighbours = [[] for _ in range(n)]
    for a, b in bonds:
        neighbours[a].append(b)
        neighbours[b].append(a)
    labels = symbols.copy()
    kind = oxygen_classes(symbols.astype(str), bonds)[0]
    labels[kind == OC] = "Oc"
    labels[kind == OE] = "Oe"
    for k in range(n):
        if symbols[k] != "C":
            continue
        if any(labels[j] == "Oc" for j in neighbours[k]):
            labels[k] = "Cc"
            continue
        name = "C" + _neighbour_name([symbols[j] for j in neighbours[k]])
        labels[k] = name + ("=" if len(neighbours[k]) < 4 else "")
    for k in range(n):
        if symbols[k] != "F" or len(neighbours[k]) != 1:
            continue
        partner = neighbours[k][0]
        if labels[partner] == "Cc":
            labels[k] = "FCc"
        elif symbols[partner] == "C":
            labels[k] = "F" + labels[partner][1:]
        else:
            labels[k] = "F" + symbols[partner]
    return labels.astype(str)
