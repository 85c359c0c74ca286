"""DFT-D3 damping functions and their parameters by functional (simple-dftd3's data base)."""

import json
from functools import lru_cache

import numpy as np
from ase.data import chemical_symbols
from ase.units import Bohr

from ..atoms_checks import check_number
from .reference import DATA_DIR, reference_tables

# enum D3Damping of csrc/d3_abi.h (names without the D3_ prefix, lower case); the kernel
# libraries report these ids and backend.check_abi refuses a library that disagrees
KERNEL_DAMPINGS = {"rational": 0, "zero": 1, "mzero": 2, "optimizedpower": 3, "cso": 4}

# public damping name -> (kernel damping id, name in the parameter data base)
DAMPINGS = {
    "bj": (KERNEL_DAMPINGS["rational"], "bj"),
    "zero": (KERNEL_DAMPINGS["zero"], "zero"),
    "bjm": (KERNEL_DAMPINGS["rational"], "bjm"),
    "zerom": (KERNEL_DAMPINGS["mzero"], "zerom"),
    "op": (KERNEL_DAMPINGS["optimizedpower"], "op"),
    "cso": (KERNEL_DAMPINGS["cso"], "cso"),
}

#: Other names of the dampings (lower case; spaces, ``-``, ``_``, ``/`` and parentheses
#: dropped) → the damping: simple-dftd3's ASE interface ("d3bj", "d3zero", "d3bjm", "d3zerom",
#: "d3op"), its own damping names ("rational", "mrational", "mzero", "optimizedpower") and the
#: literature's D3(BJ), D3(0), D3M(BJ), D3M(0). A user coming from DFTD3(damping="d3bj") was
#: told "unknown D3 damping".
DAMPING_ALIASES = {
    "d3bj": "bj", "rational": "bj", "d3zero": "zero", "d30": "zero",
    "d3bjm": "bjm", "d3mbj": "bjm", "mrational": "bjm",
    "d3zerom": "zerom", "d3m0": "zerom", "d3mzero": "zerom", "mzero": "zerom",
    "d3op": "op", "optimizedpower": "op", "d3cso": "cso",
}


def damping_name(damping) -> str:
    """The name in :func:`known_dampings` of ``damping`` (any case, ``-``, ``_``, ``/``,
    spaces and parentheses ignored, or an alias in :data:`DAMPING_ALIASES`).

    Raises
    ------
    ValueError
        An unknown damping (or not a string), naming the known ones.
    """
    key = (_normalise(damping).replace("(", "").replace(")", "")
           if isinstance(damping, str) else None)
    name = key if key in DAMPINGS else DAMPING_ALIASES.get(key)
    if name is None:
        raise ValueError(
            f"unknown D3 damping {damping!r}; known dampings: {', '.join(known_dampings())} "
            "(also simple-dftd3's d3bj, d3zero, d3bjm, d3zerom, d3op)"
        )
    return name


# parameters each damping needs after the defaults of the data base are applied
_REQUIRED = {
    "bj": ("s6", "s8", "a1", "a2", "alp"),
    "bjm": ("s6", "s8", "a1", "a2", "alp"),
    "zero": ("s6", "s8", "rs6", "rs8", "alp"),
    "zerom": ("s6", "s8", "rs6", "rs8", "alp", "bet"),
    "op": ("s6", "s8", "a1", "a2", "alp", "bet"),
    "cso": ("s6", "a1", "a2", "rs6", "rs8", "alp"),
}
# Corrections to simple-dftd3's parameter table (kept verbatim in data/d3_parameters.json):
# OPBE-D3(0) s8 is 2.055 in Goerigk & Grimme (2011) and in Grimme's dftd3 program; the table
# of simple-dftd3 1.7 has 2.033.
ERRATA = {("opbe", "zero"): {"s8": 2.055}}
# Entries simple-dftd3's library (dftd3/param.f90, what its ASE and PySCF interfaces read) has
# and its parameters.toml lacks: D3(0) of BOP, revPBE0, PBE38, M06-HF, HCTH120 (Goerigk &
# Grimme 2011) and optimized-power B97-2, which Witte et al. (2017) fitted together with B97-1.
# Without them these names were refused where the reference returns a number.
ADDITIONS = {
    ("bop", "zero"): {"rs6": 0.929, "s8": 1.975, "doi": "10.1039/c0cp02984j"},
    ("revpbe0", "zero"): {"rs6": 0.949, "s8": 0.792, "doi": "10.1039/c0cp02984j"},
    ("pbe38", "zero"): {"rs6": 1.333, "s8": 0.998, "doi": "10.1039/c0cp02984j"},
    ("m06hf", "zero"): {"rs6": 1.446, "s8": 0.0, "doi": "10.1039/c0cp02984j"},
    ("hcth120", "zero"): {"rs6": 1.221, "s8": 1.206},
    ("b97_2", "op"): {"s6": 0.97388, "s8": 0.0, "a1": 0.150, "a2": 4.25, "bet": 6.0,
                      "doi": "10.1021/acs.jctc.7b00176"},
}
#: Other names of functionals' parameter sets that simple-dftd3's library accepts (its
#: get_method_id; lower case, spaces, ``-``, ``_`` and ``/`` dropped) → the table's name: the same
#: method under a functional's other spelling (BP86 for BP, PBEh for PBE0, B3LYP with VWN3 or
#: VWN5, the DM21 family that it gives B3LYP's parameters, Greek letters spelled out). Refused
#: before, so that D3(functional="bp86") failed where simple-dftd3's DFTD3(method="bp86")
#: returned BP-D3.
ALIASES = {
    "b88b95": "b1b95", "b1p86": "b1p", "b3p86": "b3p", "bhandhlyp": "bhlyp", "bp86": "bp",
    "b3lyp5": "b3lyp", "b3lypg": "b3lyp", "b3lyp3": "b3lyp",
    "dm21": "b3lyp", "dm21m": "b3lyp", "dm21mc": "b3lyp", "dm21mu": "b3lyp",
    "dsdpbepbe": "dsdpbe", "dsdtpsstpss": "dsdtpss", "dodpbepbe": "dodpbe",
    "lcomegahpbe": "lc_whpbe", "lcωhpbe": "lc_whpbe", "mpw1pw91": "mpw1pw",
    "mpwpw91": "mpwpw", "pbeh": "pbe0", "pw91p86": "pwp", "slaterdiracexchange": "slaterdirac",
    "τhcth": "tauhcth", "τhcthhyb": "tauhcthhyb",
}

_KNOWN_KEYS = {"s6", "s8", "s9", "a1", "a2", "a3", "a4", "rs6", "rs8", "alp", "bet"}

# Valid ranges: (lowest, whether the lowest itself is allowed, highest, what the parameter is).
# The published sets (simple-dftd3's table: s6 0.07..1.22, s8 -1.96..4.07, a1 -0.15..2.10,
# a2 2.7..10.1 bohr, rs6 0.63..4.04, rs8 0.70..1.09, alp 14, bet 0..0.13 /bohr (zerom) and
# 0..10 (op), CSO a2 2.5, a3 0, a4 6.25 bohr) lie well inside. The upper bounds leave room
# for fits yet keep every power the kernel forms below ~1e250 for atoms >= 0.1 Å apart and
# coordinates up to 1e8 Å (with s8 = 1e308 or a zero-damping rs6 = 1e308 the energy
# overflowed to inf inside the kernel, and alp or op's bet of 1e3 gave inf * 0 = NaN); the
# lower bounds at 0 are the poles: a damping length <= 0 leaves -C6/r^6 undamped as r -> 0,
# and a negative one raised to a non-integer power (zero damping's alp, op's bet) is NaN.
# Scale factors may be negative (s8 < 0 is published, s6 = -1 subtracts a D3 term).
_SCALE = (-100.0, True, 100.0, "a scale factor")
_A1 = (-10.0, True, 10.0, "the slope of the damping radius a1·R0 + a2")
_A2 = (0.0, True, 100.0, "the offset of the damping radius, bohr")
_RS = (0.0, False, 100.0, "a scale of the cutoff radius R0AB of the damping")
# alp >= 7: zero damping's f_6/r^6 ~ r^(alp - 6) and the ATM term's f/r^9 ~ r^(alp + 2 - 9) as
# r -> 0, so below 7 the three-body pole survives the damping (and below 6 the two-body one)
_ALP = (7.0, True, 30.0, "the steepness exponent of zero damping and of the ATM term, whose "
        "r^-9 pole it removes only from 7 on")
#: Accepted values of each damping's parameters: damping → {parameter: (lowest, whether the
#: lowest itself is accepted, highest, what the parameter is)}; a1, a2 and a4 in bohr where
#: they are lengths, bet of zerom in 1/bohr. Published sets lie well inside; the lower bounds
#: are the dampings' poles, the upper ones keep the kernel's powers finite. A value outside is
#: refused naming the parameter and its range.
RANGES = {
    "bj": {"s6": _SCALE, "s8": _SCALE, "s9": _SCALE, "a1": _A1, "a2": _A2, "alp": _ALP},
    "zero": {"s6": _SCALE, "s8": _SCALE, "s9": _SCALE, "rs6": _RS, "rs8": _RS, "alp": _ALP},
    "zerom": {"s6": _SCALE, "s8": _SCALE, "s9": _SCALE, "rs6": _RS, "rs8": _RS, "alp": _ALP,
              # a negative offset makes r/(rs6 R0) + bet R0 vanish at r = -bet rs6 R0²
              "bet": (0.0, True, 100.0, "the offset of modified zero damping, 1/bohr")},
    "op": {"s6": _SCALE, "s8": _SCALE, "s9": _SCALE, "a1": _A1, "a2": _A2, "alp": _ALP,
           "bet": (0.0, True, 20.0, "the exponent of optimized-power damping")},
    "cso": {"s6": _SCALE, "s9": _SCALE, "a1": (-10.0, True, 10.0, "the sigmoid's amplitude"),
            "a2": (0.0, True, 100.0, "the sigmoid's position in units of R0"),
            "a3": (0.0, True, 100.0, "the slope of the damping radius a3·R0 + a4"),
            "a4": (0.0, True, 100.0, "the offset of the damping radius, bohr"),
            "alp": _ALP},
}
RANGES["bjm"] = RANGES["bj"]
# dampings whose two-body radius is slope * R0 + offset, R0 = sqrt(3 Q_i Q_j) (bohr)
_RADIUS = {"bj": ("a1", "a2"), "bjm": ("a1", "a2"), "op": ("a1", "a2"), "cso": ("a3", "a4")}


def _check_ranges(damping: str, values: dict) -> None:
    """ValueError naming the first parameter outside :data:`RANGES`, or a damping radius that
    is <= 0 for some element pair H..Pu (a pole of the damping)."""
    for key, (low, closed, high, what) in RANGES[damping].items():
        x = values[key]
        if (x < low if closed else x <= low) or x > high:
            raise ValueError(
                f"D3({damping}) parameter {key} = {x:g} is outside its valid range "
                f"{low:g} {'<=' if closed else '<'} {key} <= {high:g} ({what}; published "
                "values lie well inside)"
            )
    if damping not in _RADIUS:
        return
    slope, offset = _RADIUS[damping]
    r4r2 = reference_tables()["r4r2"][1:]  # H..Pu
    # the radius is linear in R0 = sqrt(3) Q: smallest at the smallest or the largest Q
    z = 1 + int(np.argmin(r4r2) if values[slope] >= 0 else np.argmax(r4r2))
    r0 = float(np.sqrt(3.0) * r4r2[z - 1])
    radius = values[slope] * r0 + values[offset]
    if not radius > 0:
        pair = f"{chemical_symbols[z]}–{chemical_symbols[z]}"
        raise ValueError(
            f"D3({damping}): the damping radius {slope}·R0 + {offset} = {values[slope]:g}·"
            f"{r0:.4g} + {values[offset]:g} = {radius:.4g} bohr for {pair} is not positive: "
            "the damping would have a pole (-C6/r^6 undamped as r -> 0, or a negative radius "
            "raised to a power). Published sets have radii of 3.2 bohr and more"
        )


#: A damping may leave at most this many times the fraction of -C_n/r^n that the
#: least-damping published set of the same damping leaves at a covalent bond length (capped at
#: all of it). Near a pole (BJ's a1·R0 + a2 -> 0, zero damping's rs6 -> 0, zerom's bet large)
#: the damping stops damping: ethanol's D3(BJ) energy is -0.0003 ... -1.03 eV over the 157
#: published sets, -3.3 eV with a1 = 0, a2 = 3.5 bohr (the smallest a2 this bound accepts with
#: a1 = 0), -18.9 eV at a2 = 2.5 and -83.7 eV (undamped) at a2 = 1e-3; D3(zero) -0.74 eV at
#: worst published, -1.1 eV at rs6 = 0.55 (accepted), -19.5 eV at rs6 = 1e-3.
DAMPING_SLACK = 10.0
#: Fraction of -C_n/r^n a damping may always leave at a covalent bond length, whatever
#: :data:`DAMPING_SLACK` allows (where published sets damp to 1e-7, ten times that is still no
#: failure to damp).
DAMPING_FLOOR = 0.01

# the parameters each damping's fraction depends on (for the message)
_SHAPE = {
    "bj": {6: ("a1", "a2"), 8: ("a1", "a2")},
    "bjm": {6: ("a1", "a2"), 8: ("a1", "a2")},
    "op": {6: ("a1", "a2", "bet"), 8: ("a1", "a2", "bet")},
    "cso": {6: ("a3", "a4")},
    "zero": {6: ("rs6", "alp"), 8: ("rs8", "alp")},
    "zerom": {6: ("rs6", "alp", "bet"), 8: ("rs8", "alp", "bet")},
}


def covalent_lengths() -> np.ndarray:
    """Covalent bond lengths R_cov,i + R_cov,j (bohr) of the element pairs H..Pu, shape (94, 94).

    The radii are D3's (Pyykkö's single-bond radii; the table holds them scaled by k2 = 4/3).
    """
    rcov = 0.75 * reference_tables()["rcov"][1:]
    return rcov[:, None] + rcov[None, :]


def damping_fractions(damping: str, values: dict, r=None) -> dict:
    """The fraction f_n(r) of -s_n C_n / r^n that a damping keeps, for every element pair.

    Parameters
    ----------
    damping : str
        One of :func:`known_dampings`, in any spelling ``D3(damping=...)`` takes (``"BJ"``
        was read as zero damping and ended in ``KeyError: 'rs6'``).
    values : dict
        Parameters as :func:`resolve_parameters` returns them (a2, a4 in bohr).
    r : numpy.ndarray, optional
        Distances (bohr), broadcastable to (94, 94); default :func:`covalent_lengths`.

    Returns
    -------
    dict
        ``{6: f6, 8: f8}`` arrays over the element pairs H..Pu (CSO: ``{6: f6}``, its radius
        part, without the sigmoid's scale), each in [0, 1], whatever the scale factors.
    """
    damping = damping_name(damping)
    tables = reference_tables()
    r = covalent_lengths() if r is None else np.asarray(r, dtype=float)
    q = tables["r4r2"][1:]
    r0c = np.sqrt(3.0 * q[:, None] * q[None, :])  # sqrt(C8 / C6), bohr
    r0ab = tables["r0ab"][1:, 1:]
    v = values
    orders = (6,) if damping == "cso" else (6, 8)
    out = {}
    with np.errstate(over="ignore", divide="ignore"):
        for n in orders:
            if damping in ("bj", "bjm", "op", "cso"):
                slope, offset = ("a3", "a4") if damping == "cso" else ("a1", "a2")
                p = n + (v["bet"] if damping == "op" else 0.0)
                ratio = (v[slope] * r0c + v[offset]) / r  # > 0: _check_ranges ran first
                out[n] = 1.0 / (1.0 + ratio**p)
            else:
                rs, alp = v["rs6" if n == 6 else "rs8"], v["alp"] + (n - 6)
                x = r / (rs * r0ab) + (v["bet"] * r0ab if damping == "zerom" else 0.0)
                out[n] = 1.0 / (1.0 + 6.0 * x ** (-alp))
    return out


@lru_cache(maxsize=None)
def _published_fractions(damping: str) -> dict:
    """Largest f_n at the covalent bond lengths over the published sets of ``damping`` (a set
    without a C8 term counts for f_8 too: its shape is what a user who adds s8 gets)."""
    most = {}
    for functional in known_functionals(damping):
        values = _assemble(damping, functional, None)
        for n, f in damping_fractions(damping, values).items():
            most[n] = f if n not in most else np.maximum(most[n], f)
    return most


def _check_damps(damping: str, values: dict) -> None:
    """ValueError when the damping leaves more than DAMPING_SLACK times the published fraction
    of some term at the covalent bond length of some element pair (see DAMPING_SLACK)."""
    published = _published_fractions(damping)
    worst = None
    # a term scaled by 0 is off: its damping does not matter (CSO's C6 term is s6 + a1·sigmoid)
    on = {6: values["s6"] != 0.0 or (damping == "cso" and values["a1"] != 0.0),
          8: values["s8"] != 0.0}
    for n, f in damping_fractions(damping, values).items():
        if not on[n]:
            continue
        bound = np.minimum(1.0, np.maximum(DAMPING_SLACK * published[n], DAMPING_FLOOR))
        excess = f / bound
        k = int(np.argmax(excess))
        if excess.flat[k] > 1.0 and (worst is None or excess.flat[k] > worst[0]):
            worst = (excess.flat[k], n, k, f.flat[k], published[n].flat[k])
    if worst is None:
        return
    _, n, k, kept, most = worst
    zi, zj = (1 + i for i in np.unravel_index(k, (94, 94)))
    pair = f"{chemical_symbols[zi]}–{chemical_symbols[zj]}"
    shape = ", ".join(f"{key} = {values[key]:g}" for key in _SHAPE[damping][n])
    length = covalent_lengths()[zi - 1, zj - 1] * Bohr
    raise ValueError(
        f"D3({damping}) with {shape} does not damp: at the {pair} covalent bond length "
        f"({length:.3g} Å) it keeps {100 * kept:.3g}% of the C{n} "
        f"term -C{n}/r^{n}, more than {DAMPING_SLACK:g} times the {100 * most:.3g}% that the "
        f"least-damping published D3({damping}) set keeps there, and more than "
        f"{100 * DAMPING_FLOOR:g}% (the damping is near its "
        "pole: the dispersion of bonded atoms would be nearly undamped, tens of eV for a "
        "molecule). Use parameters closer to a published set"
    )


def _normalise(name: str) -> str:
    # "/" too: simple-dftd3 spells the table's hf_minis, b3lyp_631gd as HF/MINIS, B3LYP/631GD
    return "".join(name.lower().split()).translate({ord(c): None for c in "-_/"})


@lru_cache(maxsize=1)
def _database() -> dict:
    db = json.loads((DATA_DIR / "d3_parameters.json").read_text())
    for (functional, damping), values in ERRATA.items():
        db["functionals"][functional][damping].update(values)
    for (functional, damping), values in ADDITIONS.items():
        db["functionals"].setdefault(functional, {}).setdefault(damping, dict(values))
    return db


def _table_name(functional) -> str | None:
    """The data base's name of ``functional`` (any case, ``-``/``_``/``/``/spaces, an alias
    in :data:`ALIASES`), or None."""
    lookup = {_normalise(name): name for name in _database()["functionals"]}
    key = _normalise(str(functional))
    return lookup.get(key) or ALIASES.get(key)


def known_dampings() -> list:
    """Names of the damping functions, e.g. ``"bj"``."""
    return list(DAMPINGS)


def known_functionals(damping: str | None = None) -> list:
    """Functionals with tabulated parameters (for one damping if given), sorted.

    ``damping`` is read as ``D3(damping=...)`` reads it (:func:`damping_name`: any case,
    simple-dftd3's aliases such as ``"d3bj"`` or ``"rational"``).

    Raises
    ------
    ValueError
        An unknown damping, naming the known ones (``"BJ"``, ``"d3bj"`` and a misspelling
        all gave an empty list).
    """
    funcs = _database()["functionals"]
    if damping is None:
        return sorted(funcs)
    damping = damping_name(damping)
    return sorted(name for name, entry in funcs.items() if damping in entry)


def resolve_parameters(
    damping: str, functional: str | None, params: dict | None, atm: bool
) -> dict:
    """Return the complete, checked parameter set of one D3 method.

    Parameters
    ----------
    damping : str
        One of :func:`known_dampings`.
    functional : str or None
        Functional whose published parameters are used; ``None`` when ``params`` is complete.
    params : dict or None
        Values that replace (or, with ``functional=None``, make up) the parameter set; keys
        among s6, s8, s9, a1, a2, rs6, rs8, alp, bet (CSO: a3 = rs6, a4 = rs8 may also be
        given as a3/a4). a1 is dimensionless, a2 in bohr, as in the literature.
    atm : bool
        Whether the three-body term is on; without it s9 is set to 0.

    Returns
    -------
    dict
        ``damping_id`` (kernel code) and floats s6, s8, s9, a1, a2, a3, a4, rs6, rs8, alp, bet.

    Raises
    ------
    ValueError
        Unknown damping, functional or parameter; a parameter the damping does not use; a
        parameter outside :data:`RANGES` (s9 too, even with ``atm`` off); a three-body
        parameter without effect (s9 other than 0, or alp where only the ATM term reads it,
        :data:`THREE_BODY_ALP`, given with ``atm`` off; ``atm`` on with s9 = 0); a damping radius
        a1·√(3 Q_i Q_j) + a2 (CSO: a3·√(3 Q_i Q_j) + a4) that is <= 0 for some element pair;
        or a damping that does not damp: at the covalent bond length of some element pair it
        leaves more than :data:`DAMPING_SLACK` times the fraction of -C_n/r^n that the
        least-damping published set of that damping leaves, and more than
        :data:`DAMPING_FLOOR` of it (:func:`damping_fractions`).
    """
    damping = damping_name(damping)
    out = _assemble(damping, functional, params)
    # before the kernel sees them (the overflow used to surface after the whole run)
    _check_ranges(damping, out)
    _check_damps(damping, out)
    _check_three_body(damping, params, out, atm)
    if not atm:
        out["s9"] = 0.0
    out["damping_id"] = DAMPINGS[damping][0]
    return out


#: Dampings whose two-body term does not read ``alp``: there it is the exponent of the
#: three-body (ATM) damping alone (Grimme et al. 2010; simple-dftd3 reads it so).
THREE_BODY_ALP = ("bj", "bjm", "op", "cso")


def _check_three_body(damping: str, params: dict | None, out: dict, atm: bool) -> None:
    """ValueError for three-body settings without effect: s9 (non-zero) or, for the
    dampings of :data:`THREE_BODY_ALP`, alp given with ``atm`` off (the energy was the same
    for any value: s9 = 0.3 or alp = 20 changed nothing), or ``atm`` on with s9 = 0 (a
    three-body loop, the costliest part of D3, that adds exactly 0)."""
    given = set(params or ())
    if not atm:
        idle = (["alp"] if "alp" in given and damping in THREE_BODY_ALP else []) + (
            ["s9"] if "s9" in given and out["s9"] != 0.0 else [])
        if idle:
            raise ValueError(
                f"D3({damping}) parameter(s) {idle} act on the three-body ATM term only, "
                f"which atm=False leaves out: they would change nothing; set atm=True or "
                f"leave them out")
    elif out["s9"] == 0.0:
        raise ValueError(
            "atm=True with s9 = 0: the three-body ATM term would add exactly 0 at the cost of "
            "its triple loop; set atm=False, or give s9 (1 in the published parameters)")


def functional_is_idle(damping: str, functional, params: dict | None) -> bool:
    """Whether ``params`` replace every value that ``functional``'s table entry for
    ``damping`` gives, so that the functional changes nothing (False for an unknown
    functional or damping: :func:`resolve_parameters` refuses those by name)."""
    if functional is None or not isinstance(params, dict) or not params:
        return False
    try:
        damping = damping_name(damping)
    except ValueError:
        return False
    key = _table_name(functional)
    entry = _database()["functionals"].get(key, {}).get(damping) if key else None
    if entry is None:
        return False
    provided = {k for k in entry if k in _KNOWN_KEYS}
    if damping != "cso":
        provided.add("s8")  # an entry without s8 gives s8 = 0 (_assemble)
    given = {str(k) for k in params}
    if damping == "cso":
        given = {{"a3": "rs6", "a4": "rs8"}.get(k, k) for k in given}
    return provided <= given


def _assemble(damping: str, functional: str | None, params: dict | None) -> dict:
    """The parameter set of resolve_parameters, its values checked as numbers only."""
    db = _database()
    values = dict(db["default"][damping])
    values.pop("damping", None)
    if functional is not None:
        key = _table_name(functional)
        if key is None:
            raise ValueError(
                f"no D3 parameters for functional {functional!r}; known functionals: "
                + ", ".join(known_functionals())
            )
        entry = db["functionals"][key]
        if damping not in entry:
            raise ValueError(
                f"functional {functional!r} has no D3({damping}) parameters; it has: "
                + ", ".join(sorted(entry))
                + f". Functionals with D3({damping}): "
                + ", ".join(known_functionals(damping))
            )
        values.update({k: v for k, v in entry[damping].items() if k in _KNOWN_KEYS})
        # a table entry without s8 (CF22D-D3(0)) is a C6-only method, as in simple-dftd3
        values.setdefault("s8", 0.0)
    if params is not None:
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict of D3 parameters, not {type(params).__name__}")
        unknown = set(params) - _KNOWN_KEYS
        if unknown:
            # sorted by their text: keys of several types ({1: 0.5, "zz": 1}) are not
            # comparable, and the message was "'<' not supported between 'str' and 'int'"
            raise ValueError(
                f"unknown D3 parameter(s) {sorted(unknown, key=repr)}; known: "
                f"{sorted(_KNOWN_KEYS)}"
            )
        params = dict(params)
        if damping == "cso":  # CSO's a3/a4 are stored as rs6/rs8 in the data base
            for name, stored in (("a3", "rs6"), ("a4", "rs8")):
                if name in params and stored in params:
                    # one of the two was dropped without a word (a3 won over rs6)
                    raise ValueError(
                        f"D3(cso) takes {name} or its other name {stored}, not both "
                        f"({name}={params[name]!r}, {stored}={params[stored]!r})"
                    )
                if name in params:
                    params[stored] = params.pop(name)
        # a parameter the damping does not use would be dropped without a word (a1/a2 under
        # zero damping, rs6 under BJ, s8 under CSO, whose C8 term is its own)
        unused = sorted(set(params) - set(_REQUIRED[damping]) - {"s9"})
        if unused:
            raise ValueError(
                f"D3({damping}) does not use parameter(s) {unused}; it uses "
                f"{sorted({*_REQUIRED[damping], 's9'})}"
                + (" (a3, a4 as rs6, rs8)" if damping == "cso" else "")
            )
        values.update(params)
    missing = [k for k in _REQUIRED[damping] if k not in values]
    if missing:
        raise ValueError(
            f"D3({damping}) needs parameter(s) {missing}: give a functional or pass them in params"
        )
    # a string or a bool given as a parameter is refused by name, as NaN and infinity are
    out = {
        k: check_number(f"D3 parameter {k}", values.get(k, 0.0))
        for k in ("s6", "s8", "s9", "a1", "a2", "rs6", "rs8", "alp", "bet")
    }
    if damping == "cso":
        out["s8"] = 0.0
        out["a3"], out["a4"] = out["rs6"], out["rs8"]
    else:
        out["a3"] = out["a4"] = 0.0
    out["s9"] = check_number("D3 parameter s9", values.get("s9", 1.0))
    return out
