"""The per-atom topology arrays that travel with an electrolyte's ASE Atoms.

:func:`ase_electrolyte.electrolyte_box` writes them, the MD driver and the H5MD writer carry them,
and :func:`mda_electrolyte.from_ase` reads them, so that nothing downstream guesses molecules or
ionic charges. They are ordinary ``Atoms.arrays`` entries:

``"molecule_index"`` (:data:`MOLECULE_INDEX`), int, shape (n_atoms,)
    Molecule of every atom, contiguous ``0 .. n_molecules - 1`` in order of first appearance.
``"molecule_species"`` (:data:`SPECIES`), str, shape (n_atoms,)
    Name of the atom's molecule in the species library (``"EC"``, ``"EMC"``, ``"Li"``, ``"PF6"``,
    ...), or the name given to a user-defined species.
``"formal_charge"`` (:data:`FORMAL_CHARGE`), int, shape (n_atoms,)
    Formal charge of the atom in units of e, from the species' SMILES (``[P-]`` in PF6⁻,
    ``[N-]`` in FSI⁻/TFSI⁻, ``[Li+]``); summed over a molecule it is the ionic charge.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "MOLECULE_INDEX", "SPECIES", "FORMAL_CHARGE", "get_topology", "set_topology", "check_extxyz",
]

MOLECULE_INDEX = "molecule_index"
# not "species": extended XYZ uses that name for the chemical symbols
SPECIES = "molecule_species"
FORMAL_CHARGE = "formal_charge"


def get_topology(atoms):
    """The three topology arrays of ``atoms``, or ``None`` when it carries none.

    Parameters
    ----------
    atoms : ase.Atoms

    Returns
    -------
    dict or None
        ``{"molecule_index": int array, "molecule_species": str array, "formal_charge": int array}``
        (copies), or ``None`` if none of the arrays is present.

    Raises
    ------
    ValueError
        If only some of the arrays are present, an index or charge is not a whole number
        within ±2**53, a molecule index is negative, or a species name is not a non-empty
        string without whitespace.
    """
    from ase import Atoms

    if not isinstance(atoms, Atoms):
        raise TypeError(f"get_topology needs an ase.Atoms, not {atoms!r:.80}")
    keys = (MOLECULE_INDEX, SPECIES, FORMAL_CHARGE)
    present = [k for k in keys if k in atoms.arrays]
    if not present:
        return None
    if len(present) != len(keys):
        missing = sorted(set(keys) - set(present))
        raise ValueError(f"Atoms carries topology arrays {present} but not {missing}")
    mol = _whole_numbers(atoms.arrays[MOLECULE_INDEX], MOLECULE_INDEX)
    if mol.size and mol.min() < 0:
        raise ValueError("negative molecule_index in Atoms.arrays")
    return {
        MOLECULE_INDEX: mol,
        SPECIES: _species_names(atoms.arrays[SPECIES]),
        FORMAL_CHARGE: _whole_numbers(atoms.arrays[FORMAL_CHARGE], FORMAL_CHARGE),
    }


def _species_names(values):
    """The species names as a str array, or ValueError naming the first bad one.

    A name is a non-empty string without whitespace (bytes are decoded): ``None``, numbers and
    ``''`` were kept as the names ``'None'``, ``'1'`` and ``''`` (an analysis refused them only
    after a whole MD run), and ``'my solvent'`` read back from extended XYZ as ``'my'``.
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "S":
        arr = np.char.decode(arr, "utf-8")
    elif arr.dtype.kind == "O":
        bad = [v for v in arr.ravel() if not isinstance(v, (str, bytes))]
        if bad:
            raise ValueError(f"{SPECIES} must hold species names (strings), got "
                             f"{type(bad[0]).__name__} {bad[0]!r:.40}")
        arr = np.array([v.decode("utf-8") if isinstance(v, bytes) else v for v in arr.ravel()],
                       dtype=str).reshape(arr.shape)
    elif arr.dtype.kind != "U" and arr.size:
        raise ValueError(f"{SPECIES} must hold species names (strings), got {arr.dtype} values "
                         f"such as {arr.ravel()[:4].tolist()}")
    arr = arr.astype(str)
    if not arr.size:
        return arr
    names, where = np.unique(arr, return_index=True)
    for name, i in zip(names.tolist(), where, strict=True):
        # one token: ASE's extended XYZ writer stores a per-atom string unquoted and its reader
        # splits the line at any whitespace, so 'my solvent' read back as 'my' (another
        # species, without a word) and a name with a newline made the file unreadable
        if name.split() != [name]:
            raise ValueError(f"{SPECIES} holds {name!r} (atom {int(i)}): a species name is a "
                             "non-empty string without whitespace (write "
                             f"{'_'.join(name.split()) or 'a name'!r})")
    # a molecule of several names is refused where the molecules are read against the atoms
    # (mda_electrolyte.molecules.check_stored_molecules), naming the frame and the file
    return arr


#: The largest magnitude of a molecule index or formal charge kept: whole numbers beyond it are
#: not exact in float64, and a cast to int64 wrapped 1e30 to -9223372036854775808 (a formal
#: charge stored so without a word, a molecule index refused as "negative").
_MAX_WHOLE = 2**53


def _whole_numbers(values, name):
    """An integer array of ``values``, refusing fractions, NaN and magnitudes beyond
    :data:`_MAX_WHOLE` (a cast made 0.5 molecule 0, merging two molecules, NaN an arbitrary
    integer and 1e30 the most negative int64)."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        big = np.abs(values.astype(np.float64)) > _MAX_WHOLE if values.size else values
        if np.any(big):
            raise ValueError(
                f"Atoms.arrays[{name!r}] holds {values[big].ravel()[0]}, beyond ±{_MAX_WHOLE}"
            )
        return values.astype(np.int64)
    if (
        values.dtype.kind != "f"
        or not np.all(np.isfinite(values))
        or np.any(values != np.round(values))
    ):
        raise ValueError(
            f"Atoms.arrays[{name!r}] must hold whole numbers, got "
            f"{values.dtype} values such as {values.ravel()[:4].tolist()}"
        )
    big = np.abs(values) > _MAX_WHOLE
    if np.any(big):
        raise ValueError(
            f"Atoms.arrays[{name!r}] holds {values[big].ravel()[0]:g}, beyond ±{_MAX_WHOLE}"
        )
    return values.astype(np.int64)


def set_topology(atoms, molecule_index, species, formal_charge):
    """Attach the topology arrays to ``atoms`` in place (for Atoms this package creates).

    Parameters
    ----------
    atoms : ase.Atoms
    molecule_index, species, formal_charge : array_like, shape (n_atoms,)
        Molecule indices and formal charges (e) are whole numbers, indices not negative;
        species names are non-empty strings without whitespace (bytes are decoded; extended
        XYZ cuts a name at a blank).

    Raises
    ------
    ValueError
        An array of another length, a fractional or NaN index or charge (a cast made 0.5
        molecule 0, merging two molecules), one beyond ±2**53, a negative index, a species
        name that is none (``None``, a number, ``''``, ``' EC'``, ``'my solvent'``);
        ``atoms`` is then left as it was (all three are checked before any is set).
    TypeError
        ``atoms`` not an ase.Atoms.
    """
    from ase import Atoms

    if not isinstance(atoms, Atoms):
        raise TypeError(f"set_topology needs an ase.Atoms, not {atoms!r:.80}")
    n = len(atoms)
    arrays = {}
    for name, value in (
        (MOLECULE_INDEX, molecule_index),
        (SPECIES, species),
        (FORMAL_CHARGE, formal_charge),
    ):
        arr = np.asarray(value)
        if arr.shape != (n,):
            raise ValueError(f"{name} has shape {arr.shape}, expected ({n},)")
        if name == SPECIES:
            arrays[name] = arr  # checked below, with the molecule indices
            continue
        if arr.dtype.kind == "b" or (arr.size and arr.dtype.kind not in "iuf"):
            raise ValueError(
                f"{name} must hold whole numbers, got {arr.dtype} values such as "
                f"{arr.ravel()[:4].tolist()}"
            )
        arrays[name] = _whole_numbers(arr if arr.size else arr.astype(np.int64), name)
    if arrays[MOLECULE_INDEX].size and arrays[MOLECULE_INDEX].min() < 0:
        raise ValueError(f"negative {MOLECULE_INDEX} ({int(arrays[MOLECULE_INDEX].min())})")
    arrays[SPECIES] = _species_names(arrays[SPECIES])
    for name, arr in arrays.items():
        if name in atoms.arrays:
            del atoms.arrays[name]
        atoms.new_array(name, arr)


def check_extxyz(frames):
    """Refuse frames whose per-atom text ASE's extended XYZ writer would not read back.

    Every writer of extended XYZ calls this before it writes: ASE stores a per-atom string
    unquoted and its reader splits the line at any whitespace, so ``'my solvent'`` came back as
    ``'my'`` (a molecule of another species, without a word) and a string with a newline made
    the file unreadable. The frame's ``info`` goes to the comment line, which read ``""`` back
    as the text of the next key, ``"1.5"`` as a number and ``None`` as ``True``.

    Parameters
    ----------
    frames : ase.Atoms or sequence of ase.Atoms

    Raises
    ------
    ValueError
        A frame whose species names are not one word each (:func:`get_topology`'s rule), or a
        per-atom string array (any name) holding an empty string or one with whitespace; the
        message names the frame, the array and the atom. Also an ``info`` entry that ASE's
        comment line would not read back as written (key, type and value): a string with a
        newline, tab or backslash, one that reads as a number, flag or list (``"1.5"``,
        ``"T"``, ``"1 2 3"``), an empty string, ``None``, a key with ``=``, or a key that
        extended XYZ writes itself (``pbc``, ``Lattice``, ``Properties``); a label held
        both by the calculator and by ``info`` or ``arrays`` (``energy``, ``forces``, ...).
    TypeError
        A frame that is not an ase.Atoms.
    """
    from ase import Atoms

    frames = [frames] if isinstance(frames, Atoms) else list(frames)
    for k, atoms in enumerate(frames):
        try:
            if not isinstance(atoms, Atoms):
                raise TypeError(f"check_extxyz needs an ase.Atoms, not {atoms!r:.80}")
            # the names alone: frames carrying some topology arrays only (a molecule_index for
            # an error analysis) write and read back whole, as before
            if SPECIES in atoms.arrays:
                _species_names(atoms.arrays[SPECIES])
            for name, values in atoms.arrays.items():
                if name == SPECIES or np.asarray(values).dtype.kind not in "USO":
                    continue
                rows = np.asarray(values).reshape(len(atoms), -1).tolist()
                for i, text in ((i, t) for i, row in enumerate(rows) for t in row):
                    if isinstance(text, bytes):
                        text = text.decode("utf-8", "replace")
                    if isinstance(text, str) and text.split() != [text]:
                        raise ValueError(
                            f"Atoms.arrays[{name!r}] holds {text!r} (atom {i}), which extended "
                            "XYZ would cut at the whitespace: a per-atom string is one "
                            "non-empty word"
                        )
            _check_info(atoms.info)
            _check_calculator_keys(atoms)
        except (TypeError, ValueError) as err:
            where = f"frame {k}: " if len(frames) > 1 else ""
            raise type(err)(f"{where}{err}") from None


#: ``Atoms.info`` keys ASE's extended XYZ writer fills in itself or reads as the cell: an
#: ``info["pbc"]`` of one's own was replaced by the Atoms' pbc, an ``info["Properties"]``
#: dropped without a word
_EXTXYZ_HEADER_KEYS = {"pbc", "Lattice", "Properties"}


def _check_info(info):
    """Refuse ``info`` entries that ASE's extended XYZ comment line does not read back as
    written (the same key, type and value), naming the first.

    The comment line is ASE's own (:func:`ase.io.extxyz.key_val_dict_to_str`, read back with
    :func:`~ase.io.extxyz.key_val_str_to_dict`, as its reader reads it): a string with a
    newline made the file unreadable, a tab split it into two keys, a backslash was lost,
    ``"1.5"``, ``"T"`` or ``"1 2 3"`` came back as a number, a flag or an array, ``""`` as the
    text of the next key, ``None`` as ``True`` and a key with ``=`` was lost.
    """
    from ase.io.extxyz import key_val_dict_to_str, key_val_str_to_dict

    for key, value in info.items():
        if key in _EXTXYZ_HEADER_KEYS:
            raise ValueError(
                f"Atoms.info[{key!r}]: extended XYZ writes {key!r} itself (the cell, the "
                "columns, the periodicity), so this entry would not read back; rename it")
        written = value
        # (a list is not: ASE's writer fails on it, "'list' object has no attribute 'shape'")
        voigt = key == "stress" and isinstance(value, np.ndarray) and value.shape == (6,)
        if voigt:
            # ASE's writer writes a Voigt stress as its 3×3 matrix, its reader gives it back
            # as Voigt (as the calculator's stress)
            from ase.stress import voigt_6_to_full_3x3_stress

            written = voigt_6_to_full_3x3_stress(np.asarray(value, dtype=np.float64))
        try:
            text = key_val_dict_to_str({key: written})
        except Exception as err:  # noqa: BLE001 - ASE's writer fails on it the same way
            raise ValueError(f"Atoms.info[{key!r}] = {value!r:.60} cannot be written to "
                             f"extended XYZ: {err}") from None
        back = None
        if "\n" not in text and "\r" not in text:
            try:
                with warnings.catch_warnings():
                    # ASE's "Skipping unhashable information" of a value it cannot read
                    warnings.simplefilter("ignore")
                    back = key_val_str_to_dict(text)
            except Exception:  # noqa: BLE001 - refused below as not read back
                back = None
        if voigt and back is not None and np.shape(back.get(key)) == (3, 3):
            from ase.stress import full_3x3_to_voigt_6_stress

            back[key] = full_3x3_to_voigt_6_stress(back[key])
        if back is None or list(back) != [key] or not _same_info(value, back[key]):
            got = ("an unreadable file" if back is None else
                   f"{back!r:.80}" if list(back) != [key] else f"{back[key]!r:.60}")
            raise ValueError(
                f"Atoms.info[{key!r}] = {value!r:.60} would read back from extended XYZ as "
                f"{got}: give a value of one line that reads back (a string that is not a "
                "number, flag or list, without backslashes, newlines or tabs; not None; "
                "a key without '=' or whitespace), or leave it out of the frames written")


def _check_calculator_keys(atoms):
    """Refuse a label held twice, by the calculator and by ``info`` or ``arrays``: ASE's
    writer stops on it with a bare ``KeyError('key from calculator already exists in
    atoms.info')`` naming neither the key nor the frame."""
    from ase.io.extxyz import per_atom_properties, per_config_properties

    results = getattr(atoms.calc, "results", None) or {}
    for key in results:
        where = ("info" if key in per_config_properties and key in atoms.info else
                 "arrays" if key in per_atom_properties and key in atoms.arrays else None)
        if where is not None:
            raise ValueError(
                f"Atoms.{where}[{key!r}] and the calculator's {key!r} result are two labels "
                "of one frame, which extended XYZ cannot write both (ASE's writer refuses "
                f"it); keep one: del atoms.{where}[{key!r}], or atoms.calc = None")


def _same_info(value, back):
    """Whether an ``info`` value read back from extended XYZ is the one written."""
    import json

    if value is None:
        return False
    if isinstance(value, dict):
        # ASE writes a dict as JSON: compared as JSON, so that a NaN in it is itself
        try:
            return (isinstance(back, dict)
                    and json.dumps(value, sort_keys=True) == json.dumps(back, sort_keys=True))
        except (TypeError, ValueError):
            return False
    if isinstance(value, str):
        return isinstance(back, str) and back == value
    if isinstance(back, (str, dict)):
        return False
    try:
        a, b = np.asarray(value), np.asarray(back)
    except (TypeError, ValueError):
        return False
    kinds = {"b": "b", "i": "n", "u": "n", "f": "n"}
    if a.dtype.kind == "U" or b.dtype.kind == "U":
        return a.dtype.kind == b.dtype.kind and a.shape == b.shape and bool(np.all(a == b))
    if kinds.get(a.dtype.kind) is None or kinds.get(a.dtype.kind) != kinds.get(b.dtype.kind):
        return False
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
