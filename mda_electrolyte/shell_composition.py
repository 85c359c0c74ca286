"""What the cation shells hold: members, classes, labels, coordination numbers and networks.

Derived from a :class:`~mda_electrolyte.shell_table.ShellTable` and the shell cutoffs, for all
frames at once (no trajectory needed):

- :func:`shell_members`: the table's rows inside each species' cutoff;
- :func:`shell_molecules`: one entry per (shell, molecule), with whether the molecule coordinates
  through a carbonyl (Oc) or an ether (Oe) oxygen;
- :func:`molecule_counts`: molecules of each species in every shell;
- :func:`shell_classes`: SSIP/CIP/AGG under the ``"anion_count"`` (Gong et al. 2025) or the
  ``"bridging"`` (mdgo) convention;
- :func:`shell_tallies`: the composition behind each shell's Ju et al. (2025) label, which
  :func:`label_text` writes, e.g. ``Li(ECc)3(PF6)``;
- :func:`network_sizes`: size of the network of cations joined through shared molecules
  (Chalykh et al. 2025);
- :func:`free_ion_fractions`: the per-frame fraction of free ions;
- :func:`distribution`: a normalised histogram of integers.

A *shell* is one cation in one frame, numbered ``frame_position * n_cations + slot``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.option_words import choice_word, close_option
from ase_electrolyte.units import slip_advice
from mda_electrolyte.shell_table import OC, OE

#: Shortest shell cutoff taken, Å: no cation–ligand contact is shorter (Li–O about 1.9–2.1 Å,
#: Li–F and Li–N about 2 Å; a covalent bond is about 1 Å); a shorter one is a unit slip (nm).
MIN_SHELL_CUTOFF = 1.0


def check_shell_cutoff(name, value):
    """A species' shell cutoff in Å as a float: a finite number of at least
    :data:`MIN_SHELL_CUTOFF`, or ValueError (0.26, a cutoff in nm, counted every shell empty:
    coordination number 0 and 100 % SSIP, as if measured)."""
    value = check_number(f"cutoffs[{name!r}] (Å)", value, above=0)
    if value < MIN_SHELL_CUTOFF:
        raise ValueError(_too_short(f"cutoff of {name!r} =", value))
    return value


def _named_species(what, name, names):
    """The one of the species ``names`` that ``name`` is, in any case and spacing as
    :func:`~ase_electrolyte.option_words.choice_word` reads option words (``cutoffs={"ec":
    2.6}`` for the solvent ``"EC"`` was refused while ``"EC"`` was not), or ValueError naming
    the species known and a near one."""
    names = [str(n) for n in names]
    if name in names:
        return name
    try:
        return choice_word(what, name, tuple(names))
    except ValueError:
        close = close_option(name, names, cutoff=0.6) if isinstance(name, str) else None
        hint = f" (did you mean {close!r}?)" if close else ""
        raise ValueError(f"{what} names unknown species {name!r}{hint}; known: "
                         f"{sorted(names)}") from None


def _species_keys(what, values, names):
    """``values`` keyed by the species of ``names`` its keys name (:func:`_named_species`);
    a key that names none is kept as it is, for the caller's own refusal, and two keys that
    name one species are refused."""
    keyed = {}
    for key, value in values.items():
        try:
            name = _named_species(what, key, names)
        except ValueError:
            name = key
        if name in keyed:
            raise ValueError(f"{what} names species {name!r} twice ({key!r} and another "
                             "spelling); give it once")
        keyed[name] = value
    return keyed


def _too_short(what, value, why=""):
    """The refusal of a length in Å below :data:`MIN_SHELL_CUTOFF` where a shell is to be
    counted or searched (``what``, e.g. ``"max_cutoff ="``, then the value; ``why`` after it),
    with the unit that brings it in (:func:`~ase_electrolyte.units.slip_advice`: ``0.26`` is
    told ``0.26 nm = 2.6 Å``)."""
    slip = slip_advice(value, "Å", lambda length: length >= MIN_SHELL_CUTOFF)
    return (f"{what} {value:g} Å is shorter than any cation–ligand contact (below "
            f"{MIN_SHELL_CUTOFF:g} Å; Li–O is about 2 Å){why}{slip}")

__all__ = ["ShellMembers", "ShellMolecules", "shell_members", "shell_molecules",
           "molecule_counts", "shell_classes", "shell_tallies", "label_text", "network_sizes",
           "free_ion_fractions", "distribution", "CLASSES", "CONVENTIONS"]

CLASSES = ("SSIP", "CIP", "AGG")
CONVENTIONS = ("anion_count", "bridging")


@dataclass
class ShellMembers:
    """The atoms inside the shells: one row per (frame, cation, atom) within the cutoff.

    ``frame`` is the frame position (0 … n_frames − 1), ``cation`` the slot, ``atom`` the
    Universe index, ``species`` the species code, ``molecule`` the residue index, ``oxygen``
    the oxygen type, ``distance`` in Å; ``m_to_o`` and ``o_to_c`` the vectors of the Oc rows
    in row order.
    """

    frame: np.ndarray
    cation: np.ndarray
    atom: np.ndarray
    species: np.ndarray
    molecule: np.ndarray
    oxygen: np.ndarray
    distance: np.ndarray
    m_to_o: np.ndarray
    o_to_c: np.ndarray


@dataclass
class ShellMolecules:
    """One entry per molecule in a shell: ``shell`` number, ``molecule``, ``species``, and
    whether any of its carbonyl (``has_c``) or ether (``has_e``) oxygens is a member."""

    shell: np.ndarray
    molecule: np.ndarray
    species: np.ndarray
    has_c: np.ndarray
    has_e: np.ndarray


def shell_members(table, radii):
    """Rows of ``table`` within the cutoff of their species.

    Parameters
    ----------
    table : ShellTable
    radii : dict of {str: float}
        Cutoff per species in Å, none larger than ``table.radius``.

    Returns
    -------
    ShellMembers

    Raises
    ------
    TypeError, ValueError
        ``radii`` not a dict, a species of the table without a cutoff, a cutoff for a species
        the table does not hold, a cutoff that is not a number of at least
        :data:`MIN_SHELL_CUTOFF` Å (one in nm), or one beyond the table's radius.
    """
    layout = table.layout
    if not isinstance(radii, dict):
        raise TypeError(f"cutoffs must be a dict {{species name: cutoff in Å}}, not {radii!r}")
    # a key that names a species in another case or spacing is that species, as
    # SolvationShells reads its cutoffs
    radii = _species_keys("cutoffs", radii, layout.species)
    missing = set(layout.species) - set(radii)
    if missing:
        raise ValueError(f"no cutoff for species {sorted(missing)}")
    unknown = set(radii) - set(layout.species)
    if unknown:
        raise ValueError(f"cutoffs given for species {sorted(unknown)} the table does not hold; "
                         f"its species are {list(layout.species)}")
    # a zero, negative, NaN or nm cutoff kept no pair: coordination numbers of 0, as if measured
    radii = {n: check_shell_cutoff(n, r) for n, r in radii.items()}
    too_far = {n: r for n, r in radii.items() if r > table.radius * (1 + 1e-12)}
    if too_far:
        raise ValueError(f"cutoffs {too_far} exceed the collection radius {table.radius} Å")
    # compared in the table's single precision: a pair counts when its float32 distance does
    cut = np.array([radii[n] for n in layout.species] + [-1.0], dtype=np.float32)
    species = layout.atom_species[table.atom]
    keep = table.distance <= cut[species]
    is_oc = layout.atom_oxygen[table.atom] == OC
    oc_keep = keep[is_oc]
    atom = table.atom[keep]
    return ShellMembers(
        frame=table.row_frames()[keep], cation=table.cation[keep], atom=atom,
        species=species[keep], molecule=layout.atom_molecule[atom],
        oxygen=layout.atom_oxygen[atom], distance=table.distance[keep],
        m_to_o=table.m_to_o[oc_keep], o_to_c=table.o_to_c[oc_keep],
    )


def shell_molecules(members, n_cations):
    """Collapse member atoms to molecules per shell (see :class:`ShellMolecules`).

    Raises
    ------
    ValueError
        ``n_cations`` not a whole number ≥ 1, or members whose cation slot lies outside ``0 …
        n_cations − 1``, or whose frame or molecule is negative: a slot beyond was numbered
        as a shell of the next frame and merged with it (its molecules counted there).
    """
    n_cations = check_number("shell_molecules: n_cations", n_cations, integer=True, minimum=1)
    for name, column, bound in (("cation slots", members.cation, n_cations),
                                ("frames", members.frame, None),
                                ("molecules", members.molecule, None)):
        column = np.asarray(column)
        if column.size and (column.min() < 0 or (bound is not None and column.max() >= bound)):
            raise ValueError(f"shell_molecules: members' {name} run from {int(column.min())} "
                             f"to {int(column.max())}"
                             + (f", outside the {bound} cations" if bound is not None else ""))
    shell = members.frame.astype(np.int64) * n_cations + members.cation
    n_mol = int(members.molecule.max()) + 1 if members.molecule.size else 1
    keys, inverse = np.unique(shell * n_mol + members.molecule, return_inverse=True)
    inverse = inverse.ravel()
    species = np.empty(keys.size, dtype=np.int8)
    species[inverse] = members.species
    has_c = np.zeros(keys.size, dtype=bool)
    has_e = np.zeros(keys.size, dtype=bool)
    has_c[inverse[members.oxygen == OC]] = True
    has_e[inverse[members.oxygen == OE]] = True
    return ShellMolecules(shell=keys // n_mol, molecule=(keys % n_mol).astype(np.int32),
                          species=species, has_c=has_c, has_e=has_e)


def _check_entries(who, molecules, n_frames, n_cations, n_species=None):
    """``n_frames``, ``n_cations`` (and ``n_species``) as whole numbers, or an error naming
    the first that is not, or the molecule entry that lies outside them: a shell beyond
    ``n_frames × n_cations`` or a species beyond ``n_species`` was counted as the next shell's
    (a species code 2 of 2 as species 0 of the next cation), a negative one as the previous
    shell's."""
    n_frames = check_number(f"{who}: n_frames", n_frames, integer=True, minimum=0)
    n_cations = check_number(f"{who}: n_cations", n_cations, integer=True, minimum=1)
    if n_species is not None:
        n_species = check_number(f"{who}: n_species", n_species, integer=True, minimum=1)
    n_shells = n_frames * n_cations
    for name, column, bound, what in (
            ("shells", molecules.shell, n_shells,
             f"the {n_shells} shells of {n_frames} frame(s) × {n_cations} cation(s) (shell = "
             "frame position × n_cations + slot)"),
            ("species", molecules.species, n_species, f"the {n_species} species"),
            ("molecule indices", molecules.molecule, None, "the indices ≥ 0")):
        column = np.asarray(column)
        if not column.size or (name == "species" and bound is None):
            continue
        low, high = int(column.min()), int(column.max())
        if low < 0 or (bound is not None and high >= bound):
            raise ValueError(f"{who}: molecule entries name {name} {low} to {high}, outside "
                             f"{what}")
    return n_frames, n_cations, n_species


def molecule_counts(molecules, n_frames, n_cations, n_species):
    """Molecules of every species in every shell, shape (n_frames, n_cations, n_species).

    Raises
    ------
    ValueError
        A count not a whole number (≥ 1 cation and species, ≥ 0 frames), or a molecule
        entry whose shell or species lies outside them.
    """
    n_frames, n_cations, n_species = _check_entries("molecule_counts", molecules, n_frames,
                                                    n_cations, n_species)
    flat = np.bincount(molecules.shell * n_species + molecules.species,
                       minlength=n_frames * n_cations * n_species)
    return flat.reshape(n_frames, n_cations, n_species).astype(np.int32)


def shell_classes(counts, molecules, anion_codes, convention="anion_count"):
    """SSIP (0), CIP (1) or AGG (2) of every shell, shape (n_frames, n_cations), int8.

    ``"anion_count"``: no anion, one anion, more. ``"bridging"``: CIP only when the one anion
    is in no other cation's shell of the frame; an anion shared by several cations makes each of
    their shells AGG.
    """
    convention = choice_word("convention", convention, CONVENTIONS)
    if np.ndim(counts) != 3:
        raise ValueError(f"shell_classes: counts must be molecule_counts' array of shape "
                         f"(n_frames, n_cations, n_species), not of shape {np.shape(counts)}")
    n_frames, n_cat, n_species = counts.shape
    # a code of -1 was the last species, read as an anion without a word
    anion_codes = [check_number("shell_classes: anion code", k, integer=True, minimum=0,
                                maximum=n_species - 1) for k in anion_codes]
    n_anion = counts[..., anion_codes].sum(axis=-1) if anion_codes else np.zeros(
        (n_frames, n_cat), dtype=np.int32)
    classes = np.where(n_anion == 0, 0, np.where(n_anion == 1, 1, 2)).astype(np.int8)
    is_anion = np.isin(molecules.species, anion_codes)
    # no anion in any shell (a frame of free cations, counted alone by a streamed run): all
    # SSIP; the molecules' largest index was a reduction over nothing
    if convention == "bridging" and is_anion.any():
        shell = molecules.shell[is_anion]
        frame = shell // n_cat
        n_mol = int(molecules.molecule.max()) + 1
        key = frame * n_mol + molecules.molecule[is_anion]
        _, inverse, hosts = np.unique(key, return_inverse=True, return_counts=True)
        shares = np.zeros(n_frames * n_cat, dtype=bool)
        shares[shell[hosts[inverse.ravel()] > 1]] = True
        shares = shares.reshape(n_frames, n_cat)
        classes[(n_anion == 1) & shares] = 2
    return classes


def shell_tallies(molecules, layout, n_frames):
    """The composition behind every shell's label, as distinct rows and a code per shell.

    Returns
    -------
    rows : numpy.ndarray of int64, shape (n_distinct, n_species, 3)
        Molecules of each species in a shell, split by how they coordinate: through an Oc
        (``[..., 0]``), else an Oe (``[..., 1]``), else neither or an anion (``[..., 2]``).
    codes : numpy.ndarray of int32, shape (n_frames, n_cations)
        Row of every shell.

    Raises
    ------
    ValueError
        ``n_frames`` not a whole number ≥ 0, or a molecule entry whose shell or species lies
        outside the frames, the layout's cations or its species (counted into the next
        shell's label).
    """
    n_cat, names = layout.n_cations, layout.species
    n_species = len(names)
    n_frames, _, _ = _check_entries("shell_tallies", molecules, n_frames, n_cat, n_species)
    solvent = np.array([n in layout.solvents for n in names])
    suffix = np.where(molecules.has_c, 0, np.where(molecules.has_e, 1, 2))
    suffix = np.where(solvent[molecules.species], suffix, 2)
    n_shells = n_frames * n_cat
    tally = np.bincount((molecules.shell * n_species + molecules.species) * 3 + suffix,
                        minlength=n_shells * n_species * 3).reshape(n_shells, n_species * 3)
    # few distinct compositions: each label is built once from its row
    rows, inverse = np.unique(tally, axis=0, return_inverse=True)
    return (rows.reshape(-1, n_species, 3),
            inverse.ravel().astype(np.int32).reshape(n_frames, n_cat))


def label_text(row, layout):
    """Ju et al. (2025) label of one row of :func:`shell_tallies`, e.g. ``Li(ECc)3(PF6)``."""
    text = ("c", "e", "")
    parts = [layout.cation_symbol]
    for s, name in enumerate(layout.species):
        for k in range(3):
            n = int(row[s][k])
            if n:
                parts.append(f"({name}{text[k]})" + (str(n) if n > 1 else ""))
    return "".join(parts)


def _check_mask(who, name, value, size, what):
    """``value`` as a bool array of ``size`` entries (any shape), or an error naming it: an
    integer array indexes instead of masking, a wrong length was numpy's broadcast error."""
    mask = np.asarray(value)
    if mask.dtype != bool:
        raise TypeError(f"{who}: {name} must be booleans (one per {what}), not an array of "
                        f"{mask.dtype} (integers would pick entries by index)")
    if mask.size != size:
        raise ValueError(f"{who}: {name} has {mask.size} entries, not {size} (one per "
                         f"{what})")
    return mask.reshape(-1)


def network_sizes(molecules, n_frames, n_cations, linking=None, shells=None):
    """Number of cations in the network of every shell, shape (n_frames, n_cations).

    Cations of one frame are joined when they share a molecule; ``linking`` (bool per molecule
    entry) restricts the joining molecules, ``shells`` (bool per shell, flattened) the cations
    that take part (the others get 0).

    Raises
    ------
    TypeError, ValueError
        ``n_frames`` or ``n_cations`` not a whole number ≥ 0 (≥ 1 cation); a molecule entry's
        shell outside ``0 … n_frames·n_cations − 1`` or a negative molecule index (its
        network was joined to another frame's, or to a molecule node); ``linking`` or
        ``shells`` not booleans of one per entry or shell.
    """
    who = "network_sizes"
    n_frames, n_cations, _ = _check_entries(who, molecules, n_frames, n_cations)
    n_shells = n_frames * n_cations
    shell_ix = np.asarray(molecules.shell)
    use = (np.ones(molecules.shell.size, dtype=bool) if linking is None
           else _check_mask(who, "linking", linking, shell_ix.size, "molecule entry"))
    if shells is not None:
        shells = _check_mask(who, "shells", shells, n_shells, "shell")
    shell = molecules.shell[use]
    frame = shell // n_cations
    n_mol = int(molecules.molecule.max()) + 1 if molecules.molecule.size else 1
    _, mol_node = np.unique(frame * n_mol + molecules.molecule[use], return_inverse=True)
    mol_node = mol_node.ravel()
    n_nodes = n_shells + (int(mol_node.max()) + 1 if mol_node.size else 0)
    graph = coo_matrix((np.ones(shell.size), (shell, n_shells + mol_node)),
                       shape=(n_nodes, n_nodes))
    _, component = connected_components(graph, directed=False)
    size = np.bincount(component[:n_shells])[component[:n_shells]]
    if shells is not None:
        size = np.where(shells, size, 0)
    return size.reshape(n_frames, n_cations)


def free_ion_fractions(classes, molecules, anion_codes, n_anion_molecules):
    """Per frame: (free cations + anion molecules in no shell) / (cations + anion molecules).

    Raises
    ------
    ValueError
        ``classes`` not of shape (n_frames, n_cations); ``n_anion_molecules`` not a whole
        number ≥ 0, or fewer than the anion molecules in the shells of a frame (the free
        fraction came out below its truth, or above 1 for a negative count).
    """
    if np.ndim(classes) != 2:
        raise ValueError(f"free_ion_fractions: classes must be of shape (n_frames, "
                         f"n_cations), not {np.shape(classes)}")
    n_anion_molecules = check_number("free_ion_fractions: n_anion_molecules",
                                     n_anion_molecules, integer=True, minimum=0)
    n_frames, n_cat = classes.shape
    is_anion = np.isin(molecules.species, list(anion_codes))
    frame = molecules.shell[is_anion] // n_cat
    n_mol = int(molecules.molecule.max()) + 1 if molecules.molecule.size else 1
    bound = np.unique(frame * n_mol + molecules.molecule[is_anion]) // n_mol
    n_bound = np.bincount(bound, minlength=n_frames)
    if n_bound.size and n_bound.max() > n_anion_molecules:
        raise ValueError(f"free_ion_fractions: {int(n_bound.max())} anion molecules are in "
                         f"the shells of frame {int(np.argmax(n_bound))}, more than the "
                         f"{n_anion_molecules} given as n_anion_molecules")
    free = (classes == 0).sum(axis=1) + (n_anion_molecules - n_bound)
    return free / (n_cat + n_anion_molecules)


# elements tallied at a time: np.bincount makes an intp copy of what it counts (8 bytes per
# shell beside a 1-byte code), which set the peak of the streamed shells' conclusion
_TALLY_CHUNK = 1 << 20


def _whole_numbers(who, values):
    """``values`` flattened, as non-negative integers (bools, or floats that are whole
    numbers), or an error naming ``who``: numpy's bincount said "'list' argument must have no
    negative elements" or "Cannot cast array data from dtype('float64')" without naming the
    counts or the value."""
    flat = np.asarray(values).reshape(-1)
    if not flat.size:
        return flat.astype(np.intp)
    if flat.dtype == bool:
        return flat
    if flat.dtype.kind == "f":
        bad = ~np.isfinite(flat) | (flat != np.floor(flat)) | (flat < 0)
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(f"{who}: values must be whole numbers ≥ 0 (counts or codes), got "
                             f"{float(flat[k])!r} at position {k}")
        return flat.astype(np.int64)
    if flat.dtype.kind not in "iu":
        raise TypeError(f"{who}: values must be whole numbers ≥ 0 (counts or codes), not an "
                        f"array of {flat.dtype}")
    if flat.dtype.kind == "i" and flat.min() < 0:
        k = int(np.argmax(flat < 0))
        raise ValueError(f"{who}: values must be whole numbers ≥ 0 (counts or codes), got "
                         f"{int(flat[k])} at position {k}")
    return flat


def tally(values, minlength=0):
    """``np.bincount`` of the non-negative integers in ``values`` (any shape), a chunk at a
    time: the same counts with scratch bounded by the chunk, not 8 bytes per value.

    Raises
    ------
    TypeError, ValueError
        ``values`` not whole numbers ≥ 0 (negative, fractional, NaN, strings; whole floats
        are counted), ``minlength`` not a whole number ≥ 0.
    """
    minlength = check_number("tally: minlength", minlength, integer=True, minimum=0)
    flat = _whole_numbers("tally", values)
    counts = np.zeros(minlength, dtype=np.int64)
    for start in range(0, flat.size, _TALLY_CHUNK):
        part = np.bincount(flat[start:start + _TALLY_CHUNK], minlength=minlength)
        if part.size > counts.size:
            part[:counts.size] += counts
            counts = part
        else:
            counts[:part.size] += part
    return counts


def distribution(values):
    """``{n: fraction}`` of the non-negative integers in ``values`` (empty for no values).

    Raises
    ------
    TypeError, ValueError
        ``values`` not whole numbers ≥ 0 (negative, fractional, NaN, strings).
    """
    values = _whole_numbers("distribution", values)
    if values.size == 0:
        return {}
    counts = tally(values)
    return {int(n): float(c / values.size) for n, c in enumerate(counts) if c}
