"""The net charge an Atoms declares, read one way by every calculator of this package.

Two entries of an :class:`ase.Atoms` state its net charge: ``atoms.info["charge"]`` (ASE's
convention, which a charge-aware model reads and which
:func:`mda_electrolyte.molecules.isolated_molecules` sets for each molecule) and the sum of the
``formal_charge`` array (:data:`ase_electrolyte.topology.FORMAL_CHARGE`, written by the box
builder and :func:`~ase_electrolyte.topology.set_topology`). They could disagree (``li + pf6``
keeps Li⁺'s ``info["charge"] = 1`` beside formal charges summing to 0; a box's info edited by
hand), and each reader then took its own: :class:`~ase_electrolyte.Electrostatics`' QRd charges
the formal sum, a model the info, while charges read from an array (``scheme="array"``,
``"fixed"``) were compared with neither. :func:`declared_total_charge` is the one rule: the
entries present must agree (within :func:`net_charge_tolerance`, 10⁻⁶ e or the float32
round-off of the charges summed), or the structure is refused before any evaluation.

Examples
--------
>>> import numpy as np
>>> from ase import Atoms
>>> from ase_electrolyte.calculator_charges import declared_total_charge
>>> li = Atoms("Li", info={"charge": 1})
>>> li.arrays["formal_charge"] = np.array([1])
>>> declared_total_charge(li)
1.0
>>> li.info["charge"] = 0
>>> try:
...     declared_total_charge(li)
... except ValueError as err:
...     print(str(err)[:70])
the Atoms declares two net charges: atoms.info['charge'] = 0 e but its
"""

from __future__ import annotations

import numpy as np

from .atoms_checks import check_number
from .topology import FORMAL_CHARGE

__all__ = ["declared_total_charge", "declaration_changed", "MAX_ATOM_CHARGE",
           "TOTAL_CHARGE_TOLERANCE"]

#: net charges (e) closer than this are one charge (the floor of :func:`net_charge_tolerance`)
TOTAL_CHARGE_TOLERANCE = 1e-6
#: Largest charge (e) of one atom: no atom of a molecule or ion carries more than ±10 e. Every
#: charge is held to it (QRd's base charges and totals, arrays, fixed charges): charges in
#: another unit (AMBER's prmtop stores e × 18.2223) gave 332 × the energy of a neutral box, and
#: 1e308 e QRd charges of 5e307 e, each returned as a result.
MAX_ATOM_CHARGE = 10.0


def net_charge_tolerance(*charges):
    """Net charges (e) of the per-atom ``charges`` closer than this to another are one charge.

    The one tolerance for comparing net charges in this package (declarations, the charges an
    :class:`~ase_electrolyte.Electrostatics` term uses, unread ``initial_charges``):
    :data:`TOTAL_CHARGE_TOLERANCE`, or the round-off of charges that passed through float32
    (trajectory and topology files, MDAnalysis), ``N · 2⁻²⁴ · max|q|`` of the largest array
    given, whichever is larger. The neutral charges of 3000 atoms read as float32 summed to
    1.3e-6 e and were refused as a charged cell, or warned about as unread charges of another
    net charge, while the same charges in float64 passed. A net charge that small is no
    physics: its uniform background changes the energy by ~Q² (1e-12 eV).

    Parameters
    ----------
    *charges : array_like
        Per-atom charges (e), one array per sum being compared.

    Returns
    -------
    float
        e.
    """
    bound = TOTAL_CHARGE_TOLERANCE
    for q in charges:
        q = np.asarray(q, dtype=float).ravel()
        bound = max(bound, len(q) * 2.0**-24 * float(np.max(np.abs(q), initial=0.0)))
    return bound


def charge_values(values, what):
    """Per-atom charges (e) as a float array; ValueError naming ``what`` when not finite numbers
    within ±:data:`MAX_ATOM_CHARGE`.

    Booleans and strings are refused (``np.asarray([True], float)`` would make them 1.0), and so
    is any shape but one value per atom.
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf" or not np.isfinite(arr).all() or _holds_bool(values, arr):
        # [True, -1.0] was read as the charges [1.0, -1.0]
        raise ValueError(f"{what} must hold finite numbers (charges in e), got {values!r}")
    if arr.ndim != 1:
        # a (2, 3) table was flattened into six charges and accepted for six atoms
        raise ValueError(f"{what} must be one charge per atom (a flat sequence), got an array "
                         f"of shape {arr.shape}")
    arr = arr.astype(float)
    if arr.size and float(np.abs(arr).max()) > MAX_ATOM_CHARGE:
        atom = int(np.argmax(np.abs(arr)))
        raise ValueError(
            f"{what}: a charge of {arr[atom]:.4g} e on atom {atom} (limit ±"
            f"{MAX_ATOM_CHARGE:g} e per atom); charges in another unit (AMBER's prmtop stores "
            "e × 18.2223)?")
    return arr


def _holds_bool(values, arr):
    """Whether a sequence that numpy read as numbers held a bool (``[True, 1]`` is int64)."""
    if arr.dtype.kind == "b":
        return True
    # only a list or tuple can mix flags into numbers; other array-likes (an ASE Cell, a
    # tensor) hold one dtype, and an ASE Cell cannot even be read as objects
    if not isinstance(values, (list, tuple)) or arr.dtype.kind not in "iuf" \
            or arr.size > 10**6:
        return False
    return any(isinstance(v, (bool, np.bool_)) for v in np.asarray(values, dtype=object).ravel())


def atomic_number_values(values, what="numbers"):
    """Atomic numbers as a 1D int64 array; ValueError naming ``what`` for anything else.

    Integers, or floats that are whole numbers, from 0 (ASE's ghost atom ``X``) to the last
    element ASE names (118). Booleans, strings, fractions and any shape but one number per
    atom are refused: ``np.asarray([8.5, 1], int)`` truncated 8.5 to oxygen, ``True`` was
    hydrogen, ``"O"`` a "invalid literal for int()", a table was flattened, and 200 ended in
    an ``IndexError`` (-1 in a message naming oganesson).

    Parameters
    ----------
    values : array_like of int, shape (n_atoms,)
    what : str
        The argument, as the message names it.

    Returns
    -------
    numpy.ndarray of int64, shape (n_atoms,)

    Raises
    ------
    ValueError
    """
    from ase.data import chemical_symbols

    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one atomic number per atom (1D), not shape {arr.shape}")
    whole = arr.dtype.kind in "iu" or (
        arr.dtype.kind == "f" and bool(np.isfinite(arr).all())
        and bool((arr == np.round(arr)).all()))
    held_bool = _holds_bool(values, arr)
    if not whole or held_bool:
        shown = list(values)[:5] if isinstance(values, (list, tuple)) else arr[:5].tolist()
        kind = "bool" if held_bool else arr.dtype
        raise ValueError(f"{what} must be integer atomic numbers, not {kind} values such as "
                         f"{shown}")
    bad = arr[(arr < 0) | (arr >= len(chemical_symbols))]
    if bad.size:
        raise ValueError(f"{what} hold(s) {bad[:5].tolist()}, no atomic number(s) (0 to "
                         f"{len(chemical_symbols) - 1})")
    return arr.astype(np.int64)


def declared_total_charge(atoms):
    """The net charge (e) that ``atoms`` declares, or ``None`` where it declares none.

    Parameters
    ----------
    atoms : ase.Atoms
        Read: ``atoms.info["charge"]`` and the sum of the ``formal_charge`` array, where
        present. ``initial_charges`` are per-atom charges (partial, scaled or formal), not a
        declaration; a calculator that reads them compares their sum with this.

    Returns
    -------
    float or None
        The net charge in e.

    Raises
    ------
    ValueError
        A non-finite or non-numeric entry, or the two entries disagreeing by more than
        :func:`net_charge_tolerance` of the formal charges (both values named).
    """
    info = atoms.info.get("charge")
    if info is not None:
        info = check_number("atoms.info['charge'] (e)", info)
    formal = None
    if FORMAL_CHARGE in atoms.arrays:
        formal = float(np.sum(charge_values(atoms.arrays[FORMAL_CHARGE],
                                            f"the {FORMAL_CHARGE!r} array")))
    if info is not None and formal is not None and \
            abs(info - formal) > net_charge_tolerance(atoms.arrays[FORMAL_CHARGE]):
        raise ValueError(
            f"the Atoms declares two net charges: atoms.info['charge'] = {info:.6g} e but its "
            f"{FORMAL_CHARGE!r} array sums to {formal:.6g} e; make them agree (or delete the "
            "wrong one)"
        )
    return formal if formal is not None else info


def declaration_inputs(atoms):
    """The entries of ``atoms`` that :func:`declared_total_charge` reads, by name (``None``
    where absent): ASE's ``check_state`` compares neither, so a calculator adds them to the
    changes that call for a new evaluation (a changed ``info["charge"]`` returned the last
    results, unchecked)."""
    return {
        f"atoms.arrays[{FORMAL_CHARGE!r}]": atoms.arrays.get(FORMAL_CHARGE),
        "atoms.info['charge']": atoms.info.get("charge"),
    }


def same_input_value(a, b):
    """Whether two per-atom arrays or info values are equal (a missing one is ``None``)."""
    if a is None or b is None:
        return a is None and b is None
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except (TypeError, ValueError):
        return False


def declaration_changed(old, atoms):
    """Whether an entry :func:`declared_total_charge` reads differs between ``old`` and
    ``atoms`` (``False`` when ``old`` is ``None``: nothing evaluated yet)."""
    if old is None:
        return False
    before, now = declaration_inputs(old), declaration_inputs(atoms)
    return not all(same_input_value(before[key], now[key]) for key in now)


def unread_charge_sum(atoms, agree, seen):
    """The sum of ``atoms``' ``initial_charges`` to warn about, or ``None``.

    The one rule behind :class:`~ase_electrolyte.electrostatics.UnreadChargesWarning`, for a
    calculator or term that does not read ``initial_charges``: a non-zero array (all zeros is
    ASE's "none given") whose sum (e) is none of the charges in ``agree`` (the declared net
    charge, the charges used; within :func:`net_charge_tolerance` of the initial charges, so
    that the round-off of float32 charges is no net charge) and was not warned about
    yet. ``seen`` is the caller's set of sums already warned about (rounded to 1e-6 e); the
    returned sum is added to it.
    """
    if "initial_charges" not in atoms.arrays:
        return None
    unread = np.asarray(atoms.arrays["initial_charges"], dtype=float)
    if not np.any(unread):
        return None
    net = float(unread.sum())
    key = round(net, 6)
    tolerance = net_charge_tolerance(unread)
    if key in seen or any(abs(net - x) <= tolerance for x in agree):
        return None
    seen.add(key)
    return net
