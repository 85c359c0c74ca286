"""Checks of an ASE Atoms object that every calculator of this package runs before any work.

They raise :class:`ValueError` naming the offending atoms or cell, so that a bad structure fails
loudly instead of reaching a model or kernel that would return NaN or garbage.
:func:`check_flag` is the one check of a switch (both packages); :func:`check_number` is the
one check of a numeric argument (MD, box building, the CLI): a bool, a string, a list, NaN or
infinity passed where a number is expected fails by name instead of deep inside numpy, or after
the model has loaded.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from ase.data import chemical_symbols

__all__ = ["check_atoms", "check_elements", "check_flag", "check_number", "check_overlaps",
           "check_number_density", "MAX_NUMBER_DENSITY", "FlagError"]

# below this volume (Å³) a periodic cell is treated as degenerate
_MIN_VOLUME = 1e-6
#: Å; coordinates beyond 1 cm are no molecular structure (a unit mistake, or a blown-up run),
#: and neighbour searches overflow on them
MAX_COORDINATE = 1e8
#: K; the highest temperature anything accepts (``ase_electrolyte.md.MAX_TEMPERATURE_K``, the
#: transport analyses): beyond it matter is a plasma, which no interatomic potential describes
MAX_TEMPERATURE_K = 1.0e5


def check_atoms(atoms):
    """Raise :class:`ValueError` for non-finite positions or a degenerate periodic cell.

    Parameters
    ----------
    atoms : ase.Atoms

    Raises
    ------
    ValueError
        If any position is NaN or infinite, if a position or a cell entry lies beyond
        :data:`MAX_COORDINATE` (10⁸ Å), if the cell has a zero-length vector along a periodic
        direction, or if a 3D-periodic cell has (near) zero volume.
    """
    positions = atoms.positions
    bad = np.flatnonzero(~np.isfinite(positions).all(axis=1))
    if bad.size:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if bad.size > 10 else "")
        raise ValueError(f"non-finite positions for {bad.size} atom(s), indices {shown}")
    far = np.flatnonzero(np.abs(positions).max(axis=1) > MAX_COORDINATE)
    if far.size:
        shown = ", ".join(map(str, far[:10])) + (" ..." if far.size > 10 else "")
        raise ValueError(
            f"positions beyond {MAX_COORDINATE:.0e} Å for {far.size} atom(s), indices {shown}: "
            "no molecular structure (positions in Å?)"
        )
    pbc = np.asarray(atoms.pbc, dtype=bool)
    # a non-periodic cell is still written to trajectories and scaled by barostats
    if not np.isfinite(atoms.cell.array).all():
        raise ValueError("the cell has non-finite entries")
    if np.abs(atoms.cell.array).max() > MAX_COORDINATE:
        raise ValueError(
            f"the cell has entries beyond {MAX_COORDINATE:.0e} Å ({atoms.cell.lengths()} Å): no "
            "molecular simulation cell (lengths in Å?)"
        )
    if pbc.any():
        lengths = np.linalg.norm(atoms.cell.array, axis=1)
        flat = [("abc"[k]) for k in range(3) if pbc[k] and lengths[k] < 1e-8]
        if flat:
            raise ValueError(
                f"the cell vector(s) {', '.join(flat)} are zero along periodic direction(s); "
                "set a cell or atoms.pbc = False"
            )
        if pbc.all() and abs(atoms.cell.volume) < _MIN_VOLUME:
            raise ValueError(
                f"the periodic cell has zero volume ({atoms.cell.volume:.3g} Å³): its vectors are "
                "linearly dependent"
            )


def check_elements(atoms, supported_numbers, what):
    """Raise :class:`ValueError` if ``atoms`` has elements outside ``supported_numbers``.

    Parameters
    ----------
    atoms : ase.Atoms
    supported_numbers : collection of int or None
        Atomic numbers that ``what`` covers; ``None`` skips the check.
    what : str
        Name of the model or method, for the message.
    """
    if supported_numbers is None:
        return
    present = np.unique(atoms.numbers)
    missing = [int(z) for z in present if int(z) not in supported_numbers]
    if missing:
        # Z = 0 is ASE's ghost (dummy) atom 'X', which no model or dispersion table covers
        names = ", ".join(
            chemical_symbols[z] if 0 < z < len(chemical_symbols)
            else "X (Z=0, a ghost atom: remove it)" if z == 0 else f"Z={z}" for z in missing
        )
        raise ValueError(f"{what} does not cover the element(s) {names}")


def check_number(
    name, value, *, minimum=None, above=None, maximum=None, integer=False, allow_none=False,
):
    """``value`` as a Python ``float`` (``int`` if ``integer``), or :class:`ValueError` naming it.

    Python and NumPy real scalars and 0-d arrays are accepted; ``bool`` (a flag passed by
    mistake), strings, sequences, NaN and infinities are refused. A string that is a number
    with its unit (``"300 K"``) or a number in quotes is told the number to give
    (:func:`~ase_electrolyte.units.unit_advice`, in the unit ``name`` ends in:
    :func:`~ase_electrolyte.units.unit_of_name`); a number out of its bounds that a likely
    other unit brings into them is told that reading (``tolerance (Å)`` of 0.2: "is it in nm?
    0.2 nm = 2 Å", :func:`~ase_electrolyte.units.slip_advice`).

    Parameters
    ----------
    name : str
        The argument, as the message shows it (with its unit).
    value : object
    minimum, above, maximum : float, optional
        ``value >= minimum``, ``value > above``, ``value <= maximum``.
    integer : bool
        A whole number (``3.0`` is accepted as 3).
    allow_none : bool
        ``None`` passes (returned as ``None``).

    Returns
    -------
    float or int or None

    Raises
    ------
    ValueError
        Naming the argument, the value and what is required.

    Examples
    --------
    >>> check_number("steps", np.array(10), integer=True, minimum=1)
    10
    >>> check_number("timestep_fs", True, above=0)
    Traceback (most recent call last):
    ...
    ValueError: timestep_fs must be a finite number > 0, got True
    """
    if value is None and allow_none:
        return None
    need = "a whole number" if integer else "a finite number"
    def show(x):
        return str(int(x)) if float(x).is_integer() else f"{x:g}"

    bounds = [f"> {show(above)}" if above is not None else None,
              f">= {show(minimum)}" if minimum is not None else None,
              f"<= {show(maximum)}" if maximum is not None else None]
    need = " ".join([need, " and ".join(b for b in bounds if b)]).strip()
    if isinstance(value, (np.generic, np.ndarray)) and value.dtype.kind in "mM":
        # NumPy's timedelta64 is an integer type: 10 fs (np.timedelta64(10, "fs")) was read
        # as 10 of the argument's own unit (dt = 10 ps), and a 0-d array of it as its count
        _refuse_time_type(name, value, need)
    scalar = value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
    ok = isinstance(scalar, numbers.Real) and not isinstance(scalar, (bool, np.bool_))
    x = math.nan
    if ok:
        try:
            x = float(scalar)
        except OverflowError:
            # a Python int beyond a float (10**400) raised OverflowError, naming no argument
            x = math.inf
        ok = np.isfinite(x) and (not integer or x.is_integer())
        if ok and isinstance(scalar, numbers.Integral):
            # a whole number is compared and returned exactly: through float, seed 2**53 + 1
            # came back as 2**53 (another run's seed) and 2**64 - 1 was refused as above
            # maximum=2**64 - 1
            x = int(scalar)
        ok = ok and (above is None or x > above) and (minimum is None or x >= minimum)
        ok = ok and (maximum is None or x <= maximum)
    if not ok:
        from .units import slip_advice, unit_advice, unit_of_name

        advice = ""
        if isinstance(value, str):
            # "300 K" or "300": the unit or the quotes are the trouble, said as the CLI says it
            advice = unit_advice(value, unit_of_name(name)) or ""
        elif isinstance(scalar, numbers.Real) and not isinstance(scalar, (bool, np.bool_)) \
                and math.isfinite(x) and not integer:
            # a number out of bounds in its unit but in them in another (0.2 nm for 2 Å)
            advice = slip_advice(scalar, unit_of_name(name), lambda y: (
                (above is None or y > above) and (minimum is None or y >= minimum)
                and (maximum is None or y <= maximum)))
        from .estimate import Estimate

        # an element of an array: "got np.float64(nan)" (numpy 2's repr) for nan; a numpy
        # flag keeps its name (np.True_ is a flag, not the number 1)
        number = isinstance(value, np.generic) and not isinstance(value, np.bool_)
        shown = repr(value.item() if number else value)
        if isinstance(value, Estimate):
            # an Estimate's dataclass repr (nine fields) said neither its number nor what to
            # give: said as the Estimate prints, with the number it holds
            unit = unit_of_name(name)
            shown = f"the Estimate {value}"
            advice = ("; give a number: the Estimate's .value"
                      + (f" in {unit} (.to({unit!r}).value)" if unit else ""))
        if isinstance(value, numbers.Integral) and len(shown) > 30:
            # the 400 digits of 10**400 said nothing a reader could check
            digits = str(abs(int(value)))
            shown = f"{'-' if value < 0 else ''}{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"
        raise ValueError(f"{name} must be {need}, got {shown}{advice}")
    return int(x) if integer else float(x)


#: The time units NumPy's timedelta64 converts to, by the name the package's arguments use.
_NUMPY_TIME_UNITS = {"s": "s", "ms": "ms", "us": "us", "µs": "us", "ns": "ns", "ps": "ps",
                     "fs": "fs"}


def _refuse_time_type(name, value, need):
    """Refuse a NumPy timedelta64 or datetime64 given for a number: a duration carries a unit
    of its own, which the argument's unit (``dt`` in ps) would have replaced without a word;
    the message gives the number in the argument's unit where both are times."""
    from .units import unit_of_name

    shown = repr(value.item() if value.ndim == 0 and value.dtype.kind == "M" else value)
    given_unit = unit_of_name(name)
    unit = _NUMPY_TIME_UNITS.get(given_unit or "")
    if value.dtype.kind == "M":
        advice = ", a date, no number"
    else:
        advice = ", a duration with a unit of its own: give the number"
        if given_unit:
            advice += f" in {given_unit}"
        if unit is not None and np.ndim(value) == 0 \
                and np.datetime_data(value.dtype)[0] != "generic":
            advice += f" ({float(value / np.timedelta64(1, unit)):g})"
    raise ValueError(f"{name} must be {need}, got {shown}{advice}")


class FlagError(TypeError, ValueError):
    """A switch was given something other than True or False.

    A wrong type, so a :class:`TypeError`; also a :class:`ValueError`, as a bad argument (the
    way :class:`numpy.exceptions.AxisError` is both a ``ValueError`` and an ``IndexError``), so
    callers that catch either see it.
    """


def check_flag(name, value):
    """:class:`FlagError` naming ``name`` unless ``value`` is a bool (Python or NumPy).

    A string such as ``"no"`` or a number would otherwise be taken as true (``"no"`` is truthy;
    ``1 in (True, False)`` holds).

    Examples
    --------
    >>> from ase_electrolyte.atoms_checks import check_flag
    >>> check_flag("unwrap", True)
    >>> check_flag("unwrap", "no")
    Traceback (most recent call last):
    ...
    ase_electrolyte.atoms_checks.FlagError: unwrap must be True or False, not 'no'
    """
    if not isinstance(value, (bool, np.bool_)):
        raise FlagError(f"{name} must be True or False, not {value!r}")


#: Largest ``min_distance`` (Å) :func:`check_overlaps` accepts: an overlap is a distance no bond
#: reaches (H–H, the shortest, is 0.74 Å); a threshold of 5 Å would refuse every liquid.
MAX_OVERLAP_DISTANCE = 5.0


def _check_thin_cell(cell, pbc, what="the structure", min_distance=0.1):
    """Raise :class:`ValueError` for a periodic cell thinner than ``min_distance`` Å across a
    face, naming its periodic vectors shorter than that.

    Every atom then lies that close to its own image, and the pair search of
    :func:`check_overlaps` (or any model's neighbour search) would visit
    ``(min_distance / height)^d`` images. The one check of this for
    :class:`~ase_electrolyte.Calculator`, :class:`~ase_electrolyte.D3` and
    :class:`~ase_electrolyte.Electrostatics`, run before :func:`check_number_density`: a
    7 × 7 × 0.001 Å cell was refused by the MLIP calculator as "a cell in nm" while D3 and
    Electrostatics named the 0.001 Å vector.

    Parameters
    ----------
    cell : array_like, shape (3, 3)
        Å, rows the cell vectors; passed :func:`check_atoms` (no zero periodic vector).
    pbc : array_like of bool, shape (3,)
    what : str
        Who refuses, for the message.
    min_distance : float
        Å, the smallest height across a face accepted.

    Raises
    ------
    ValueError
        Naming the height, and where a periodic vector is itself that short, the vector
        and the fix (a correct cell, or that direction non-periodic).
    """
    pbc = np.asarray(pbc, dtype=bool)
    cell = np.asarray(cell, dtype=float)
    if not pbc.any():
        return
    lat = cell[pbc]
    if len(lat) == 1:
        heights = np.linalg.norm(lat, axis=1)
    elif len(lat) == 2:
        area = np.linalg.norm(np.cross(lat[0], lat[1]))
        heights = area / np.linalg.norm(lat[::-1], axis=1)
    else:
        volume = abs(np.linalg.det(lat))
        heights = volume / np.linalg.norm(np.cross(lat[[1, 2, 0]], lat[[2, 0, 1]]), axis=1)
    if not heights.min() < min_distance:
        return
    message = (f"{what}: the periodic cell is {heights.min():.3g} Å thin across a face "
               f"(< {min_distance} Å): every atom is that close to its own image (nearly "
               "linearly dependent vectors?)")
    lengths = np.linalg.norm(cell, axis=1)
    short = [f"{'abc'[k]} ({lengths[k]:.3g} Å)" for k in range(3)
             if pbc[k] and lengths[k] < min_distance]
    if short:
        message += (f"; periodic cell vector {', '.join(short)} is shorter than "
                    f"{min_distance} Å: fix the cell, or make that direction non-periodic")
    raise ValueError(message)


def check_overlaps(atoms, min_distance=0.1, what="the structure",
                   hint="fix the structure (duplicated atoms? wrong cell?)"):
    """Raise :class:`ValueError` naming atom pairs (periodic images included) closer than
    ``min_distance`` Å, or a periodic cell thinner than that.

    Coincident atoms give every model a zero-length edge (NaN forces) and dispersion a
    meaningless energy; no molecule or liquid has atoms 0.1 Å apart. The pairs are found by
    the k-d tree search of the D3 calculator (O(N log N), periodic images included).

    Parameters
    ----------
    atoms : ase.Atoms
        Checked with :func:`check_atoms` first.
    min_distance : float
        Å, above 0 and at most :data:`MAX_OVERLAP_DISTANCE` (an overlap, not a packing
        distance); NaN, infinities and values outside are refused by name.
    what : str
        Who refuses, for the message.
    hint : str
        What to do, ending the message about close pairs: a caller whose own operation made
        the pairs (a volume scan's scale factor) says so instead of blaming the structure.
    """
    from .d3.calculator import _close_pairs

    # NaN compared false and skipped the check; -1 passed every structure; 1e308 blamed the cell
    min_distance = check_number("min_distance (Å)", min_distance, above=0,
                                maximum=MAX_OVERLAP_DISTANCE)
    check_atoms(atoms)
    pbc = np.asarray(atoms.pbc, dtype=bool)
    cell = np.asarray(atoms.cell[:], dtype=float)
    _check_thin_cell(cell, pbc, what, min_distance)
    pairs = _close_pairs(np.asarray(atoms.positions, dtype=float), cell, pbc, min_distance)
    if not pairs:
        return
    symbols = atoms.get_chemical_symbols()
    shown = ", ".join(
        f"{symbols[a]}{a}-{symbols[b]}{b}" + (" (its own periodic image)" if a == b else "")
        + f" at {r:.3g} Å" for a, b, r in pairs[:5])
    more = f" and {len(pairs) - 5} more" if len(pairs) > 5 else ""
    raise ValueError(
        f"{what}: atoms closer than {min_distance} Å: {shown}{more}; {hint}"
    )


#: atoms/Å³ a 3D-periodic cell may hold: no condensed phase comes near it (a liquid
#: electrolyte ~0.1, LiH 0.12, diamond 0.18, solid hydrogen at 300 GPa ~0.5), while a cell
#: whose lengths were given in nm instead of Å holds 1000 × its atoms' density
MAX_NUMBER_DENSITY = 1.0


def check_number_density(atoms, what="the structure"):
    """Raise :class:`ValueError` for a 3D-periodic cell too small for its atoms (cell in nm?).

    A cell given in nm instead of Å (1.2 for a 12 Å box) leaves the positions in Å: the
    atoms and their images crowd 1000 × denser than a liquid. Many of them then overlap
    (refused elsewhere), but a small system need not: one water in a 1.2 Å cell gave a D3
    energy of -1.85 eV and went on to a model. The calculators (:class:`~ase_electrolyte.D3`,
    :class:`~ase_electrolyte.Electrostatics`, :class:`~ase_electrolyte.Calculator`) call it
    before any evaluation.

    The atoms are counted against the product of the cell lengths (the volume of the cell
    at right angles, never less than its own), so that a nearly singular cell of ordinary
    lengths is left to :func:`check_overlaps`, which names it
    thin across a face.

    Parameters
    ----------
    atoms : ase.Atoms
        Slabs, wires and molecules (not 3D-periodic) and degenerate cells are left alone.
    what : str
        Who refuses, for the message.

    Raises
    ------
    ValueError
        More than :data:`MAX_NUMBER_DENSITY` atoms per Å³.
    """
    if not np.asarray(atoms.pbc, dtype=bool).all():
        return
    lengths = np.linalg.norm(np.asarray(atoms.cell[:], dtype=float), axis=1)
    product = float(np.prod(lengths))
    if not product > 0.0:
        return  # a zero cell vector (ZeroDivisionError before): check_atoms names it
    # judged at the product of the lengths (>= the volume): a nearly singular cell of
    # ordinary lengths is no unit slip, check_overlaps names it thin across a face
    if not len(atoms) / product > MAX_NUMBER_DENSITY:
        return
    volume = abs(float(np.linalg.det(np.asarray(atoms.cell[:], dtype=float))))
    if not volume > 0.0:
        return  # a degenerate cell: check_atoms names it
    density = len(atoms) / volume
    if density > MAX_NUMBER_DENSITY:
        lengths = ", ".join(f"{x:.4g}" for x in lengths)
        raise ValueError(
            f"{what}: {len(atoms)} atoms in a periodic cell of {volume:.4g} Å³ ({lengths} Å) "
            f"are {density:.3g} atoms/Å³, above {MAX_NUMBER_DENSITY:g} (a liquid holds ~0.1, "
            "diamond 0.18): is the cell in nm instead of Å?"
        )
