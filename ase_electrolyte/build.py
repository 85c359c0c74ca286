"""An electrolyte box from a composition: RDKit conformers packed with PACKMOL (Ju et al. 2025).

The initial box follows Ju et al. 2025: the van der Waals volumes of all atoms are added (V0, Bondi
radii from :data:`ase.data.vdw_radii`) and the cubic box length is ``L = 1.1 · V0^(1/3)``, unless a
density is given. Cations are placed in separate sub-cubes of the box so they do not start
clustered; chiral solvents whose SMILES leaves the handedness open (PC, FEC, DFEC) are packed
as racemic mixtures, those whose SMILES fixes it as written (:attr:`Species.is_racemic`). The
cis/trans rotamers of linear carbonates and esters are drawn from their Boltzmann ratio
(:func:`conformer_ensemble`), as Ju et al. (2025) did.

The returned Atoms carries the per-atom topology arrays of :mod:`ase_electrolyte.topology`
(``molecule_index``, ``species``, ``formal_charge``).
"""

from __future__ import annotations

import copy
import functools
import inspect
import itertools
import math
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
from ase import Atoms, units
from ase.data import atomic_numbers, covalent_radii

from .atoms_checks import MAX_TEMPERATURE_K, check_flag, check_number
from .species import (
    _canonical_smiles,
    _library_counterpart,
    _rotamer_enthalpies,
    get_salt,
    get_species,
    hill_formula,
)
from .topology import MOLECULE_INDEX, SPECIES, set_topology
from .units import GCM3_TO_AMU_PER_A3, warn_implausible

__all__ = [
    "electrolyte_box",
    "check_density",
    "composition_counts",
    "composition_density",
    "composition_word",
    "conformer",
    "conformer_ensemble",
    "CONFORMER_MODES",
    "MAX_ROTAMER_DIHEDRALS",
    "MAX_ROTAMER_ENERGY_SPREAD",
    "estimate_density",
    "packmol_executable",
    "packed_composition",
    "PackingShortfallWarning",
    "MIN_TOLERANCE",
    "packmol_seconds",
    "replicate_box",
]

# Ju et al. 2025: L = 1.1 V0^(1/3)
_VDW_BOX_SCALE = 1.1
#: Most atoms of a packed box (``n_atoms``, or the atoms ``counts`` give; also the most
#: molecules of one species in ``counts``): a thousand times the boxes of Ju et al. (2025) and
#: far beyond what a machine-learned potential runs; larger counts (a typo, or 1e9 for 1e3)
#: would have PACKMOL exhaust memory or disk before it fails, or one structure file per spread
#: cation fill the temporary folder.
MAX_ATOMS = 1_000_000
#: Largest salt concentration (mol/kg or mol/L): beyond any salt's solubility.
MAX_CONCENTRATION = 1000.0
# Salt formula units per solvent molecule beyond which composition_counts doubts a
# concentration: a 1:1 solvate ionic liquid (Li(G3)TFSI) is the most salt a solvent is known to
# hold as a liquid solution
_MAX_SALT_PER_SOLVENT = 1.0
#: Longest PACKMOL run allowed (s): a year.
MAX_PACKMOL_TIMEOUT_S = 3.2e7
#: Smallest PACKMOL tolerance (Å) accepted; PACKMOL's usual is 2 Å.
MIN_TOLERANCE = 0.5
# PACKMOL's linked cells, (box edge / 1.1 tolerance)³: 10⁸ cells take about a gigabyte
MAX_PACKMOL_CELLS = 1e8
#: Largest fraction of the box the molecules' convex hulls may fill (the hull of the union of
#: the atoms' spheres of radius tolerance/2: :func:`excluded_volume` plus the hollows), for
#: molecules whose spheres fill at most :data:`HOLLOW_MOLECULE` of their hull. Measured with
#: PACKMOL (30 molecules, default nloop, seed 0, tolerance 2 Å, 30-60 s): EC packed at a hull
#: fraction of 0.81 (2.22 g/cm³) and not at 0.86 (2.39 g/cm³, where it searched until the
#: timeout), EMC at 0.76 and not at 0.80, DMC at 0.76 and not at 0.79, DEC at 0.78 and not at
#: 0.79, PF6⁻ and FSI⁻ at 0.80 and not at 0.84. Unlike the union of the spheres (which EC packed
#: at 0.52 and EMC not at 0.44), the hull counts the hollows a ring or a chain keeps to itself;
#: the pure liquids at 1.15 times their measured densities stay below it (DEC, the least compact,
#: at 0.744). Those EMC and DEC were folded conformers; the lowest-MMFF of :func:`conformer`'s
#: ten embeddings are all-trans chains, which PACKMOL packed at hull fractions up to 0.87 (EMC,
#: 1.50 g/cm³) and 0.90 (DEC, 1.35 g/cm³): for them the limit is conservative.
MAX_PACKING_FRACTION = 0.79
#: Ratio of a molecule's spheres to their hull (:func:`excluded_volume` / hull) up to which
#: :data:`MAX_PACKING_FRACTION` holds (EC at tolerance 2 Å: 0.64).
HOLLOW_MOLECULE = 0.65
#: Largest fraction of the box a molecule that is one sphere (ratio 1: Li⁺) may fill; between
#: :data:`HOLLOW_MOLECULE` and 1 the limit falls linearly to it. Near the random close packing
#: of spheres (0.64, Scott and Kilgour 1969); measured: water (ratio 0.94) did not pack at 0.76,
#: EC at tolerance 3 Å (ratio 0.84) packed at 0.717 and not at 0.76, EMC at 3 Å (ratio 0.76)
#: not at 0.76.
SPHERE_PACKING_FRACTION = 0.66
#: PACKMOL's time (s) for a box of :data:`PACKMOL_REFERENCE_ATOMS` atoms, the fastest it can be
#: expected to be: 203 s measured for 3000 EC (30 000 atoms, 1.32 g/cm³, tolerance 2 Å) on a
#: shared machine, divided by 4 for a fast, idle one.
PACKMOL_REFERENCE_SECONDS = 50.0
#: Atoms of the box behind :data:`PACKMOL_REFERENCE_SECONDS`.
PACKMOL_REFERENCE_ATOMS = 30_000
#: PACKMOL's time grows as (atoms)^1.3: fitted to 1 000, 3 000, 10 000 and 30 000 atoms of EC
#: (1.9, 11, 33 and 203 s).
PACKMOL_TIME_EXPONENT = 1.3


def _check_stereo_defined(sp):
    """Refuse a species whose SMILES leaves a diastereomer open, before any conformer.

    An unassigned stereocentre beside another stereo element (``O=C1OC(F)C(F)O1``: cis- or
    trans-DFEC; ``C[C@@H](O)C(C)CC``) or an unassigned stereo double bond (``CC=CC``) name
    molecules of different shapes and energies;
    the box packed whichever one ETKDG and MMFF94 made lowest, for every molecule, without a
    word. One open stereocentre stays allowed: its two forms are mirror images, packed as a
    racemic mixture (:attr:`~ase_electrolyte.species.Species.is_racemic`).
    """
    from rdkit import Chem

    found = Chem.FindPotentialStereo(Chem.Mol(sp.rdkit_mol))
    unspecified = [i for i in found if i.specified == Chem.StereoSpecified.Unspecified]
    centres = [i.centeredOn for i in unspecified if i.type == Chem.StereoType.Atom_Tetrahedral]
    bonds = [i.centeredOn for i in unspecified if i.type == Chem.StereoType.Bond_Double]
    # one stereo element open and nothing else: mirror images; an open one beside another
    # (open or fixed, C[C@@H](O)C(C)CC): diastereomers
    if not bonds and (not centres or len(found) < 2):
        return
    mol = sp.rdkit_mol
    what = []
    if centres:
        what.append(f"the relative configuration of its stereocentre(s) at atom(s) "
                    f"{', '.join(map(str, centres))} ({len(found)} stereo elements in all): "
                    "write each with @ or @@, and a racemate with an '&1' group of CXSMILES "
                    "(the library's DFEC: 'O=C1O[C@@H](F)[C@H](F)O1 |&1:3,5|')")
    for b in bonds:
        bond = mol.GetBondWithIdx(b)
        what.append(f"the E/Z configuration of its double bond between atoms "
                    f"{bond.GetBeginAtomIdx()} and {bond.GetEndAtomIdx()}: write it with / "
                    "and \\ ('C/C=C/C' is E, 'C/C=C\\C' Z)")
    raise ValueError(
        f"species {sp.name}: SMILES {sp.smiles!r} leaves open {'; and '.join(what)}. Its "
        "isomers differ in shape and energy, and the box would pack only the one MMFF94 "
        "puts lowest; for a mixture of isomers give each as a species of its own")


def _one_species_per_name(species, where):
    """Refuse two different species of one name, and one molecule under two names: molecules
    are told apart by name downstream.

    The topology array ``molecule_species``, ``info["composition"]`` and the analyses group
    molecules by name; a second "EC" of another SMILES would be merged with the library's
    (its count lost from the composition). The same molecule under two names
    (``{"EC": 1, Species("ethylene_carbonate", "C1COC(=O)O1"): 1}``) would be split in two:
    each RDF, coordination number and diffusion coefficient of the liquid's one EC would come
    out as two, each over part of its molecules. Same molecule is same canonical SMILES,
    stereochemistry and charges included (two enantiomers stay two species).
    """
    seen = {}
    molecules = {}
    for sp in species:
        other = seen.setdefault(sp.name, sp)
        if other != sp:
            raise ValueError(
                f"{where}: two different species are named {sp.name!r} (SMILES "
                f"{other.smiles!r} and {sp.smiles!r}); give one of them another name"
            )
    for sp in seen.values():
        twin = molecules.setdefault(_canonical_smiles(sp), sp)
        if twin is not sp:
            raise ValueError(
                f"{where}: {twin.name!r} and {sp.name!r} are the same molecule (SMILES "
                f"{twin.smiles!r} and {sp.smiles!r}): the analyses would count it as two "
                "species; give it once, under one name, with the two amounts summed"
            )


def _read_counts(counts):
    """``{Species: number of molecules}`` of ``counts`` (a dict of names or Species, or its
    text ``"EC=30,Li=3,PF6=3"``), each a whole number >= 0, at least one above 0, each species
    named once, one species per name (:func:`_one_species_per_name`).

    The one reader of molecule counts: :func:`electrolyte_box` and
    :func:`packed_composition`, which took ``int()`` of each count (10.7 EC as 10, ``True`` as
    one, ``"10"`` as ten, NaN as "cannot convert float NaN to integer") and kept the last of
    ``"EC"`` and ``"ec"`` (10 and 5 EC: a box of 5).
    """
    if isinstance(counts, str):
        # the notation of --counts and of solvent= as text ("EC=30,Li=3,PF6=3") was
        # refused as "counts must be a non-empty dict" here, where solvent= reads it
        from .species import parse_shares

        counts = parse_shares(counts, "counts")
    if not isinstance(counts, dict) or not counts:
        raise ValueError("counts must be a non-empty dict {species: number} or its text, "
                         "e.g. {'EC': 30, 'Li': 3, 'PF6': 3} or 'EC=30,Li=3,PF6=3'")
    resolved = {}
    for k, v in counts.items():
        v = check_number(f"count of {k}", v, integer=True, minimum=0)
        sp = get_species(k)
        if sp in resolved:
            # as in composition_counts: "EC" and "ec" are one species, and one of the two
            # numbers is likely a typo
            raise ValueError(f"{sp.name} is named twice in counts {dict(counts)}")
        resolved[sp] = v
    if not any(resolved.values()):
        raise ValueError(f"counts {dict(counts)} hold no molecule to pack")
    _one_species_per_name(resolved, "counts")
    return resolved


def packmol_executable():
    """Path of the PACKMOL binary: the one shipped by the ``packmol`` PyPI package, else PATH.

    Raises
    ------
    FileNotFoundError
        If neither is available.
    """
    try:
        from packmol.cli import get_binary_path

        return str(get_binary_path())
    except (ImportError, FileNotFoundError):
        found = shutil.which("packmol")
        if found:
            return found
    raise FileNotFoundError("PACKMOL not found: pip install packmol (or put packmol on PATH)")


#: The words :func:`composition_counts`, :func:`electrolyte_box` and screening plans accept for a
#: concentration's ``units`` and the solvent shares' ``ratio`` (compared stripped and in lower
#: case), and the one each stands for: a plan's labels, task seeds and tables use that one only,
#: so "mol/kg" and "molal" name one composition and its task folders.
UNIT_SPELLINGS = {"molal": "molal", "mol/kg": "molal", "molality": "molal",
                  "molar": "molar", "mol/l": "molar", "mol/dm3": "molar", "molarity": "molar"}
# "molar" is a mole ratio here (a "molar ratio"), as it is mol/L in units=; each word is read by
# the argument it is given to, never guessed across the two
#: As :data:`UNIT_SPELLINGS`, for the solvent shares' ``ratio``.
RATIO_SPELLINGS = {"mass": "mass", "weight": "mass", "wt": "mass", "mass fraction": "mass",
                   "weight fraction": "mass", "w/w": "mass", "wt%": "mass", "by mass": "mass",
                   "by weight": "mass",
                   "mole": "mole", "molar": "mole", "mol": "mole", "mole fraction": "mole",
                   "mol/mol": "mole", "mol%": "mole", "by mole": "mole",
                   # the pure liquids' volumes before mixing: the literature's "v/v"
                   "volume": "volume", "v/v": "volume", "vol": "volume", "vol%": "volume",
                   "volume fraction": "volume", "by volume": "volume"}
# words that could mean either of two things: the case that tells M (mol/L) from m (mol/kg) is
# lost by the case-blind comparison, and often by the writer
_AMBIGUOUS = {
    "units": {"m": "M is mol/L and m mol/kg, a difference of case that is easily lost: write "
                   "'mol/L' or 'mol/kg'"},
    "ratio": {},
}


def composition_word(value, kind):
    """The canonical word for a composition's ``units`` or ``ratio`` as written by a user.

    The one reader of these words, for :func:`composition_counts`, :func:`electrolyte_box` and
    screening plans (:mod:`ase_electrolyte.screen`), so that all of them accept the same ones.
    ``"molar"`` is read by the argument it is given to: mol/L of solution as ``units``, a mole
    ratio as ``ratio``; ``"M"`` and ``"m"`` are refused (their case tells mol/L from mol/kg).

    Parameters
    ----------
    value : str
        The word as written (blanks around it and its case are ignored).
    kind : {"units", "ratio"}
        ``"units"``: ``"molal"`` (also ``"mol/kg"``, ``"molality"``) or ``"molar"`` (also
        ``"mol/L"``, ``"mol/dm3"``, ``"molarity"``); ``"ratio"``: ``"mass"`` (also ``"weight"``,
        ``"wt"``, ``"w/w"``, ``"wt%"``, ...), ``"mole"`` (also ``"molar"``, ``"mol"``,
        ``"mol/mol"``, ...) or ``"volume"`` (also ``"v/v"``, ``"vol"``, ...): the keys of
        ``RATIO_SPELLINGS``.

    Returns
    -------
    str
        ``"molal"`` or ``"molar"`` (units), ``"mass"``, ``"mole"`` or ``"volume"`` (ratio).

    Raises
    ------
    ValueError
        A word not listed (naming the choices), or one that could mean either of two.

    Examples
    --------
    >>> from ase_electrolyte.build import composition_word
    >>> composition_word(" mol/L", "units"), composition_word("molar", "ratio")
    ('molar', 'mole')
    """
    spellings = {"units": UNIT_SPELLINGS, "ratio": RATIO_SPELLINGS}.get(kind)
    if spellings is None:
        raise ValueError(f"kind must be 'units' or 'ratio', not {kind!r}")
    word = value.strip().lower() if isinstance(value, str) else None
    if word in spellings:
        return spellings[word]
    choices = ", ".join(repr(k) for k in spellings)
    why = _AMBIGUOUS[kind].get(word)
    other = "ratio" if kind == "units" else "units"
    if why is None and word in {"units": UNIT_SPELLINGS, "ratio": RATIO_SPELLINGS}[other]:
        why = f"that is a word for {other}="
    raise ValueError(f"{kind} must be one of {choices}, not {value!r}"
                     + (f" ({why})" if why else ""))


#: How a box of no solvent is asked for: a molality or molarity needs a solvent to count against.
_SOLVENT_FREE = ("{ion: number} (a salt without solvent, an ionic liquid or a molten salt, has "
                 "no concentration in a solvent), e.g. {'Li': 20, 'FSI': 20}")


def composition_density(units, density):
    """The ``density`` :func:`composition_counts` takes for ``units``: the box's density for a
    molar concentration, ``None`` for a molal one (a density converts mol/L only).

    The one rule for callers that hold a box density whatever the units (:func:`electrolyte_box`,
    ``electrolyte simulate``, screening plans): :func:`composition_counts` refuses a density
    with molal units, where it has no effect.

    Parameters
    ----------
    units : str
        The concentration's units, as :func:`composition_word` reads them.
    density : float or None
        The box's density in g/cm³.

    Returns
    -------
    float or None
        ``density`` for molar units, else ``None``.

    Examples
    --------
    >>> from ase_electrolyte.build import composition_density
    >>> composition_density("mol/L", 1.2), composition_density("molal", 1.2)
    (1.2, None)
    """
    return density if composition_word(units, "units") == "molar" else None


def composition_counts(
    solvent,
    salt=None,
    concentration=0.0,
    *,
    units="molal",
    n_atoms=1000,
    ratio="mass",
    density=None,
):
    """Integer molecule counts for a composition, with about ``n_atoms`` atoms in total.

    Parameters
    ----------
    solvent : dict or str
        ``{species: share}``; species are library names or
        :class:`~ase_electrolyte.species.Species`,
        shares are positive numbers (normalised), e.g. ``{"EC": 3, "EMC": 7}``; or the same
        as text, ``"EC:3,EMC:7"`` (:func:`~ase_electrolyte.species.parse_shares`; one name
        alone, ``"EC"``, is the pure solvent).
    salt : str or Salt, optional
        ``"LiPF6"`` etc.; ``None`` for a pure solvent.
    concentration : float or Estimate
        Salt concentration in mol/kg of solvent (``units="molal"``) or mol/L of solution
        (``units="molar"``); an :class:`~ase_electrolyte.estimate.Estimate` (a given value,
        or a box's ``concentration_asked`` read back) is converted to that unit, and refused
        when not valid.
    units : {"molal", "molar"}
        Or another spelling of :func:`composition_word` (``"mol/kg"``, ``"mol/L"``, ...;
        ``"M"`` is refused: its case tells it from molal ``"m"``).
    n_atoms : int
        Target total number of atoms (at most :data:`MAX_ATOMS`); the closest achievable
        composition is returned.
    ratio : {"mass", "mole", "volume"}
        Whether the solvent shares are mass (weight), mole or volume fractions. ``EC:EMC 3:7``
        in the battery literature is by mass unless marked ``v/v``. A volume ratio is of the
        pure liquids before mixing, at the densities of
        :data:`~ase_electrolyte.species.LIQUID_DENSITIES` (EC's is the molten liquid's, at
        40 °C); a solvent without one there is refused. Other spellings as
        :func:`composition_word` (``"weight"``, ``"w/w"``, ``"molar"`` for a molar ratio,
        ``"v/v"``, ...).
    density : float, optional
        Solution density in g/cm³; required for ``units="molar"`` (to convert mol/L to counts),
        refused with ``units="molal"`` (where it has no effect: :func:`composition_density`
        gives a box density to pass on).

    Returns
    -------
    dict
        ``{Species: count}`` in packing order: solvents, then cations, then anions.

    Notes
    -----
    Rounding to whole molecules: the number of solvent molecules is the nearest whole number
    to what ``n_atoms`` holds, shared among the solvents so that their mole fractions are the
    closest of that total to the asked mixture's (no molecule moved from one solvent to another
    brings them closer): one mixture given by mass, by mole or by volume packs the same
    molecules. The salt count is then the whole number (at least one) whose
    concentration beside those solvent molecules is closest to ``concentration`` (mol/L at
    ``density`` for ``units="molar"``). What the counts realise, beside what was asked, is
    ``info["packed_composition"]`` of :func:`electrolyte_box`: a
    few per cent off in a box of a thousand atoms, tens of per cent in one of a hundred.

    Raises
    ------
    ValueError
        Unknown species/salt (a mixture of salts is named as one, with how to pack it by
        counts), non-positive shares, unknown units, a salt without a concentration (or a
        concentration without a salt), no solvent, a molar concentration without a density,
        a density beside a molal concentration (it has no effect), ``units="molar"`` without a
        salt (a pure solvent has no concentration: neither the units nor a density change a
        count), an ``n_atoms`` whose rounding leaves a solvent without a molecule or the salt
        without a formula unit (the message names them and the smallest ``n_atoms`` that keeps
        one of each), or two different species of one name.

    Warns
    -----
    UserWarning
        A concentration that puts more than one formula unit of salt beside each solvent
        molecule (11.4 mol/kg in EC, 55.5 in water): beyond any salt's solubility, a unit
        slip or a salt wetted by a little solvent, which ``counts=`` packs; besides
        :func:`~ase_electrolyte.units.warn_implausible`'s doubts of the numbers' units.
    """
    solvent = _solvent_shares(solvent)
    if not isinstance(solvent, dict) or not solvent:
        raise ValueError("solvent must be a non-empty dict {name: share}, e.g. {'EC': 3, 'EMC': 7}"
                         + (f"; a salt alone: counts={_SOLVENT_FREE}" if salt is not None
                            else ""))
    solvents = [get_species(k) for k in solvent]
    if len(set(solvents)) < len(solvents):
        raise ValueError(f"a solvent is named twice in {dict(solvent)}")
    shares = [check_number(f"solvent share of {k}", v, above=0) for k, v in solvent.items()]
    # in the library's order, not the dict's: ties of the rounding went to the solvent named
    # first ({"EC": 1, "EMC": 1} by moles at 88 atoms packed 4 EC + 3 EMC, the same mixture
    # written {"EMC": 1, "EC": 1} 3 EC + 4 EMC), and PACKMOL placed them in that order
    order = sorted(range(len(solvents)), key=lambda k: _canonical_key(solvents[k]))
    solvents = [solvents[k] for k in order]
    names_given = [sp.name for sp in solvents]
    shares = np.array([shares[k] for k in order])
    n_atoms = check_number("n_atoms", n_atoms, integer=True, minimum=1, maximum=MAX_ATOMS)
    # 1000 mol/kg (or mol/L) is beyond any salt's solubility; 1e308 ended in "cannot convert
    # float NaN to integer"
    concentration = check_number("concentration", _concentration_number(concentration, units),
                                 minimum=0, maximum=MAX_CONCENTRATION)
    units_given, units = units, composition_word(units, "units")
    if density is not None and units != "molar":
        # a density beside a molality converted nothing: density=1.2 and density=12 gave
        # the same counts, so the one that was a slip (kg/m³ meant as g/cm³) went unnoticed
        raise ValueError(
            f"density={density!r} has no effect with units={units!r}: density is used only "
            "for units='molar' (to convert mol/L of solution to molecule counts); leave it "
            + ("out, or give the concentration in mol/L with units='molar'" if salt is not None
               # units='molar' is no cure without a salt: it is refused in turn
               else "out: a pure solvent has no concentration to convert (a box's own density "
               "is electrolyte_box's density=)"))
    if salt is None and units == "molar":
        # a pure solvent has no concentration to convert: units='molar' and its density
        # changed no count (density=1.2 and 2.5 packed the same molecules), as --units without
        # --salt, which electrolyte simulate refuses
        given = f" and density={density!r}" if density is not None else ""
        raise ValueError(
            f"units={units_given!r}{given} {'have' if given else 'has'} no effect without a salt: "
            "mol/L converts a salt's concentration, and a pure solvent has none; leave out "
            f"units={' and density=' if given else ''} for a pure solvent (a box's own "
            "density is electrolyte_box's density=), or give salt= and concentration=")
    density = check_density(density)
    warn_implausible(concentration=concentration, density_g_cm3=density,
                     density_measured=False)
    for sp in solvents:
        if sp.charge != 0:
            raise ValueError(f"solvent {sp.name} has charge {sp.charge:+d}; ions go in salt=")
    # only the shares' proportions count: scaled by the largest, 1e-323 (which underflowed
    # to a NaN mole fraction) and 1e308 (whose sum overflowed to inf) are the 1:1 they say
    shares = shares / shares.max()
    # what one molecule adds to its share: g/mol by mass, cm³/mol of the pure liquid by volume
    per_molecule = _share_per_molecule(solvents, composition_word(ratio, "ratio"))
    moles = shares / per_molecule
    x = moles / moles.sum()
    mean_mass = float(np.dot(x, [sp.mass for sp in solvents]))  # g/mol per solvent molecule
    atoms_per_solvent = float(np.dot(x, [sp.n_atoms for sp in solvents]))

    salt_obj = None if salt is None else get_salt(salt)
    if salt_obj is None and concentration > 0:
        raise ValueError("concentration > 0 needs a salt")
    if salt_obj is not None and concentration == 0:
        # the default concentration would otherwise pack the solvent alone under the salt's name
        raise ValueError(
            f"salt {salt_obj.name} needs a concentration > 0 (mol/kg of solvent, or mol/L with "
            "units='molar'); pass salt=None for a pure solvent"
        )
    _one_species_per_name(
        solvents + ([salt_obj.cation, salt_obj.anion] if salt_obj else []),
        f"composition {dict(solvent)} with salt {getattr(salt_obj, 'name', None)}",
    )
    # salt formula units per solvent molecule
    if salt_obj is None or concentration == 0:
        per_solvent = 0.0
    elif units == "molal":
        per_solvent = concentration * mean_mass / 1000.0
    else:
        if density is None:
            raise ValueError(
                "a molar concentration (mol/L of solution) needs the solution density to convert "
                "to molecule counts: pass density= in g/cm³, or use units='molal'"
            )
        denominator = 1000.0 * density - concentration * salt_obj.mass
        if denominator <= 0:
            # the bare statement named neither the keyword nor a cure; the salt's mass per
            # litre is the least density a solution of it can have
            raise ValueError(
                f"concentration={concentration} mol/L of {salt_obj.name} weighs "
                f"{concentration * salt_obj.mass / 1000.0:.4g} kg per litre of solution, not less "
                f"than the {density:.4g} kg a litre weighs at density={density} g/cm³: no "
                f"solvent is left; give the "
                f"solution's measured density (above "
                f"{concentration * salt_obj.mass / 1000.0:.4g} g/cm³) or a lower concentration"
            )
        per_solvent = concentration * mean_mass / denominator
    if per_solvent > _MAX_SALT_PER_SOLVENT:
        import warnings

        # 25 or 100 mol/kg passed without a word, below the unit-slip bound of warn_implausible:
        # beyond one formula unit per solvent molecule no salt dissolves, and the box is a salt
        # wetted by its solvent (the densest known solutions keep more: a 1:1 solvate ionic
        # liquid as Li(G3)TFSI, water-in-salt LiTFSI's 2.6 waters per Li at 21 mol/kg, the
        # hydrate melts' 2)
        one = _MAX_SALT_PER_SOLVENT * 1000.0 / mean_mass
        warnings.warn(
            f"concentration={concentration:g} {'mol/kg' if units == 'molal' else 'mol/L'} of "
            f"{salt_obj.name} puts {per_solvent:.3g} formula units of salt beside each solvent "
            f"molecule of {'+'.join(names_given)} (one per molecule is {one:.3g} mol/kg of "
            "solvent): beyond any salt's solubility (solvate ionic liquids hold one, "
            "water-in-salt electrolytes two or more waters per ion pair); is it in another unit "
            "(mmol)? A salt wetted by little solvent is packed by counts= (the molecules of "
            "each species)", stacklevel=2)
    n_c, n_a = salt_obj.stoichiometry if salt_obj else (0, 0)
    salt_atoms = n_c * salt_obj.cation.n_atoms + n_a * salt_obj.anion.n_atoms if salt_obj else 0
    names = [s.name for s in solvents]

    def drafted(size):
        """(solvent counts, salt formula units, unrounded salt) of a box of ``size`` atoms."""
        n_solvent = size / (atoms_per_solvent + per_solvent * salt_atoms)
        # largest-remainder rounding keeps the total solvent count and the mole ratio close
        raw = x * n_solvent
        counts = np.floor(raw).astype(int)
        for k in np.argsort(-(raw - counts))[: int(round(n_solvent)) - counts.sum()]:
            counts[k] += 1
        return counts, int(round(per_solvent * n_solvent)), per_solvent * n_solvent

    counts, n_salt, exact_salt = drafted(n_atoms)
    if np.any(counts < 1) or (salt_obj is not None and n_salt < 1):
        lost = [n for n, c in zip(names, counts, strict=True) if c < 1]
        if salt_obj is not None and n_salt < 1:
            lost.append(f"{salt_obj.name} (its {exact_salt:.2g} ion pairs (< 1) round to none)")
        smallest = _smallest_size(lambda size: (
            drafted(size)[0].min() >= 1 and (salt_obj is None or drafted(size)[1] >= 1)),
            n_atoms)
        # the cure of what rounds to none: "no box ... keeps one of each, or a higher
        # concentration" named none to give, and a higher concentration keeps no solvent
        other = [f"a larger share of {n}" for n, c in zip(names, counts, strict=True) if c < 1]
        if salt_obj is not None and n_salt < 1:
            other.append("a higher concentration")
        fix = (f"give n_atoms={smallest} or more (the smallest box that keeps one of each), "
               f"or {' or '.join(other)}" if smallest is not None else
               f"no box of at most {MAX_ATOMS} atoms keeps one of each; give "
               f"{' or '.join(other)}")
        what = (f"{concentration} {units} {salt_obj.name} in " if salt_obj is not None
                else "")
        raise ValueError(
            f"n_atoms={n_atoms} is too small to hold every solvent{' and ion' if what else ''} "
            f"of {what}{dict(solvent)}: rounding to whole molecules leaves none of "
            f"{', '.join(lost)} (counts would be "
            f"{dict(zip(names, counts.tolist(), strict=True))}); {fix}")
    # rounded in moles against a total that is no whole number, the fractions were not always
    # the closest of this total count: DMC:EMC 7:1 by mass at 1411 atoms packed 102 + 12
    # (0.880 of DMC) where 101 + 13 (0.871) is closer to 0.875, FEC:EC 1:9 by moles at 2925
    # atoms 30 + 263 (0.102) where 29 + 264 (0.099) is closer to 0.1. Closest in molecules
    # (mole fractions), whichever ratio the shares were given in: one mixture given by mass,
    # by moles or by volume is one target in molecules, and closeness measured in each ratio's
    # own fractions packed it differently (6 % of 300 random 2-3 solvent mixtures: EC:DEC:H2O
    # at 329 atoms 9:18:13 by mass, 8:19:13 by moles)
    counts = _closest_fractions(counts, x, np.ones(len(x)))
    out = {sp: int(c) for sp, c in zip(solvents, counts, strict=True)}
    if n_salt:
        # the salt is rounded against the solvent molecules as rounded, not as estimated
        # before: 4 mol/kg LiClO4 in EMC:DEC 1:9 at 374 atoms packed 9 ion pairs (4.29 mol/kg)
        # where 8 (3.81 mol/kg) were closer
        n_salt = _closest_salt_count(
            concentration, units, sum(sp.mass * n for sp, n in out.items()), salt_obj.mass,
            density)
    if n_salt:
        out[salt_obj.cation] = out.get(salt_obj.cation, 0) + n_c * n_salt
        out[salt_obj.anion] = out.get(salt_obj.anion, 0) + n_a * n_salt
    return out


def _concentration_number(concentration, units):
    """``concentration`` as the number :func:`composition_counts` reads in ``units``: an
    :class:`~ase_electrolyte.estimate.Estimate` (a given value, or the ``concentration_asked``
    of a box's ``info["packed_composition"]`` read back with
    :meth:`~ase_electrolyte.estimate.Estimate.from_dict`) converted to mol/kg or mol/L, as
    :func:`check_density` takes a density's; anything else as it is, for
    :func:`~ase_electrolyte.atoms_checks.check_number` to judge.

    Raises
    ------
    ValueError
        An Estimate that is not valid, or in a unit that is not a concentration in ``units``
        (a molarity with ``units="molal"``).
    """
    from .estimate import Estimate

    if not isinstance(concentration, Estimate):
        return concentration
    unit = "mol/kg" if composition_word(units, "units") == "molal" else "mol/L"
    if not concentration.valid:
        # a number the package itself marks untrusted is no composition to pack
        raise ValueError(f"concentration {concentration} is not valid: give a concentration "
                         f"in {unit} that is")
    try:
        return concentration.to(unit).value
    except ValueError as err:
        other = "molar" if unit == "mol/kg" else "molal"
        raise ValueError(f"concentration {concentration}: {err}; units={units!r} reads a "
                         f"concentration in {unit} (units={other!r} for the other)") from None


def _short_int(n):
    """A whole number ``n`` of any size in three significant digits (``1e+301``, ``1.23e+15``):
    a float holds none beyond 1.8e308 (``float(10 * 10**308)`` overflowed)."""
    digits = str(abs(int(n)))
    mantissa = f"{int(digits[:3]) / 100:g}" if len(digits) >= 3 else digits
    return f"{'-' if n < 0 else ''}{mantissa}e+{len(digits) - 1:02d}"


def _canonical_key(sp):
    """The packing order of a species: solvents, then cations, then anions, each by name (and
    SMILES: a box holds one species per name, but the key is total). A composition packs the
    same box whatever order its dict lists the species in, and whatever spelling names them
    (``"ec"``, ``"E C"`` are the library's EC)."""
    return ({0: 0, 1: 1, -1: 2}[int(np.sign(sp.charge))], sp.name, sp.smiles)


def _solvent_shares(solvent):
    """``solvent`` as given, or its text ``"EC:3,EMC:7"`` (``"EC"``: the pure solvent) as
    :func:`~ase_electrolyte.species.parse_shares` reads the CLI's and screening plans'; the
    text was refused with advice about salts without solvent."""
    if isinstance(solvent, str):
        from .species import parse_shares

        return parse_shares(solvent, "solvent", default=1.0)
    return solvent


def _share_per_molecule(solvents, ratio):
    """What one molecule of each solvent adds to its share of a ``ratio`` (canonical word):
    its mass (g/mol), 1 (mole), or its molar volume in the pure liquid (cm³/mol, from
    :data:`~ase_electrolyte.species.LIQUID_DENSITIES`: volumes measured out before mixing, as
    a v/v electrolyte is made)."""
    from .species import LIQUID_DENSITIES, _liquid_density

    if ratio == "mole":
        return np.ones(len(solvents))
    masses = np.array([sp.mass for sp in solvents])
    # one solvent is all of the solvent by any ratio: no density is needed to say so
    if ratio == "mass" or len(solvents) == 1:
        return masses
    densities = [_liquid_density(sp) for sp in solvents]
    missing = [sp.name for sp, d in zip(solvents, densities, strict=True) if d is None]
    if missing:
        raise ValueError(
            f"a volume ratio needs each solvent's measured liquid density to turn volumes into "
            f"molecules; the species library has none for {', '.join(missing)} (known: "
            f"{sorted(LIQUID_DENSITIES)}): give the shares by mass (ratio='mass') or by mole")
    return masses / np.array([d.value_g_cm3 for d in densities])


def _smallest_size(keeps, n_atoms):
    """The smallest box size above ``n_atoms`` (which fails ``keeps``) at which ``keeps(size)``
    holds, or None up to :data:`MAX_ATOMS`.

    Bisection, then down while the next smaller size keeps it too: rounding to whole molecules
    may keep a minor species at one size and lose it at the next, so a box said to be the
    smallest is one that works and whose one-smaller neighbour does not.
    """
    if not keeps(MAX_ATOMS):
        return None
    low, high = n_atoms, MAX_ATOMS
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if keeps(middle) else (middle, high)
    while high - 1 > n_atoms and keeps(high - 1):
        high -= 1
    return high


def _closest_fractions(counts, target, weights):
    """``counts`` with molecules moved one at a time between species while that brings the
    fractions ``counts · weights / Σ counts · weights`` closer to ``target`` (summed absolute
    deviation); the total count is kept and no species falls below one molecule."""
    counts = np.array(counts, dtype=int)

    def deviation(c):
        amounts = c * weights
        return float(np.abs(amounts / amounts.sum() - target).sum())

    best = deviation(counts)
    improved = True
    while improved:
        improved = False
        for i, j in itertools.permutations(range(len(counts)), 2):
            if counts[i] <= 1:
                continue
            trial = counts.copy()
            trial[i] -= 1
            trial[j] += 1
            d = deviation(trial)
            if d < best - 1e-12:
                counts, best, improved = trial, d, True
    return counts


def _closest_salt_count(concentration, units, solvent_mass, salt_mass, density):
    """Formula units of salt (at least 1) whose concentration beside ``solvent_mass`` g/mol of
    solvent molecules is closest to ``concentration``.

    Molal: ``1000 n / solvent_mass`` mol/kg; molar: ``1000 ρ n / (solvent_mass + n salt_mass)``
    mol/L of a box of density ρ (g/cm³). The latter is not linear in ``n``, so the two whole
    numbers around the exact count are compared by the concentration they give.
    """
    if units == "molal":
        exact = concentration * solvent_mass / 1000.0

        def realised(n):
            return 1000.0 * n / solvent_mass
    else:
        exact = concentration * solvent_mass / (1000.0 * density - concentration * salt_mass)

        def realised(n):
            return 1000.0 * density * n / (solvent_mass + n * salt_mass)
    low = max(1, math.floor(exact))
    return min((low, low + 1), key=lambda n: abs(realised(n) - concentration))


def estimate_density(counts, *, with_uncertainty=None):
    r"""Starting density of a mixture from its pure liquids' measured densities (ideal mixing).

    .. math::

        \rho = \frac{\sum_k m_k}{\sum_{k\in\mathrm{solvents}} m_k/\rho_k
                + \sum_{s\in\mathrm{salts}} n_s V_s}

    with the solvents' densities :math:`\rho_k` from
    :data:`ase_electrolyte.species.LIQUID_DENSITIES` and the salt's volume per formula unit
    :math:`V_s` from :data:`ase_electrolyte.species.SALT_VOLUMES` (sources kept there). That
    volume is an effective one, fitted to measured solution densities: it holds the solvent's
    contraction around the ions, which the ions' van der Waals volume leaves out (with the
    van der Waals rule of Ju et al. (2025), 1 mol/L LiPF6 in EC:DMC 1:1 by mass started at
    1.205 g/cm³ against the measured 1.29-1.30). LiPF6 solutions near 1 mol/L come within
    about 1 % of their measured densities (1.29 g/cm³ for EC:DMC 1:1, 1.20 for EC:EMC 3:7, both
    by mass). A salt without a measured volume, a mixture of salts, or ions that are no one
    salt take the van der Waals rule (summed atomic spheres, box edge ×1.1) and a
    ``UserWarning`` says the estimate is likely several per cent low; so does a salt far above
    the concentration its volume was measured at. An estimate to start from (excess volumes of
    the solvents are left out), not a result.

    The estimate is of a mixture at 25 °C, and every :math:`\rho_k` is taken as the pure
    liquid's density at 25 °C as it stands, with no expansion correction, whatever the
    temperature it was measured at (``temperature_K`` of its record): all are measured at
    298.15 K but EC's, which melts at 36 °C and stands in with its molten liquid's 1.321
    g/cm³ at 313.15 K. That 15 K is held by the record's error, not corrected: EC's
    ``error_g_cm3`` of 0.015 g/cm³ is the shift its expansion of about 0.001 g/cm³/K makes
    over 15 K.

    The density comes as an
    :class:`~ase_electrolyte.estimate.Estimate` in g/cm³ whose one-sigma error is propagated
    to first order from three independent sources: each solvent's measured density (its
    standard uncertainty as a 25 °C density, ``error_g_cm3`` of its record in
    :data:`~ase_electrolyte.species.LIQUID_DENSITIES`), the
    salt's volume in solution (the standard uncertainty of
    :data:`~ase_electrolyte.species.SALT_VOLUMES`, ±5 cm³/mol for LiPF6) and ideal mixing
    itself, a relative :math:`c\,(1 - \sum_k \phi_k^2)` of the density for the solvents'
    volume fractions :math:`\phi_k` (zero for one solvent; :math:`c` = 1 %, an assumed size:
    excess volumes of mixed aprotic solvents are well under 0.5 % of the volume at equal
    shares; 7 % where water is mixed with another solvent, whose mixtures with polar liquids
    contract by up to 3-4 %). The
    estimate is marked not valid, with the reason, wherever the warnings above are given: the
    ions' volume is not measured (its error is then the distance to the density the ions
    would have at LiPF6's ratio of measured to van der Waals volume), or measured in other
    solvents or at other concentrations than these.

    Parameters
    ----------
    counts : dict or str
        ``{species name or Species: number of molecules}``, as ``composition_counts`` returns,
        or its text ``"EC=30,Li=3,PF6=3"``.
    with_uncertainty : bool, optional
        Deprecated: the density is always an :class:`~ase_electrolyte.estimate.Estimate`.
        ``True`` (what asked for the Estimate before it was the default) is taken as it is;
        ``False`` still returns the bare float, with a :class:`DeprecationWarning`: a number
        without its error and verdict (a density left not valid by unmeasured ions read as
        any other). Take ``.value`` of the Estimate where a float is needed.

    Returns
    -------
    Estimate
        g/cm³, with its error and verdict (a float, deprecated, with
        ``with_uncertainty=False``). :func:`electrolyte_box` and :func:`check_density` take it
        as a density.

    Raises
    ------
    ValueError
        A neutral species without a measured liquid density in the library, no solvent, a
        species named twice (``"EC"`` and ``"ec"``), or counts of net charge.

    Warns
    -----
    UserWarning
        Ions whose volume in solution is not measured (taken by the van der Waals rule), or a
        salt concentration beyond the measured one.

    Examples
    --------
    >>> from ase_electrolyte.build import estimate_density
    >>> round(estimate_density({"EMC": 10}).value, 3)
    1.006
    >>> lp30 = {"EC": 130, "DMC": 128, "Li": 20, "PF6": 20}  # 1 mol/L LiPF6, EC:DMC 1:1 by mass
    >>> print(estimate_density(lp30))  # measured: 1.29-1.30 g/cm³
    1.292 ± 0.011 g/cm^3 (valid)
    """
    from .species import LIQUID_DENSITIES, SOLVENTS, _liquid_density

    if with_uncertainty is not None:
        check_flag("with_uncertainty", with_uncertainty)
    bare = with_uncertainty is not None and not with_uncertainty  # np.False_ too
    if bare:
        import warnings

        # the bare float dropped the error and the verdict (not valid for ions of no measured
        # volume), so a doubted start density read as any other
        warnings.warn(
            "estimate_density(..., with_uncertainty=False) is deprecated: the density is an "
            "Estimate (g/cm³, with its error and verdict); leave the flag out and take .value "
            "where a float is needed", DeprecationWarning, stacklevel=2)
    if isinstance(counts, str):
        # the text electrolyte_box(counts=...) and --counts read, refused here as "not a dict"
        from .species import parse_shares

        counts = parse_shares(counts, "counts")
    if not isinstance(counts, dict):
        raise ValueError(f"counts must be a dict {{species name: number of molecules}} or its "
                         f"text ('EC=30,Li=3,PF6=3'), not {counts!r}")
    mass = 0.0  # amu
    volume = 0.0  # Å³
    solvent_mass = 0.0  # amu
    n_solvent = 0
    seen = set()
    ions = {}
    solvents = set()
    # (volume in Å³, its standard error from the measured density in Å³) of each solvent
    volumes = {}
    charge = 0
    for key, n in counts.items():
        sp = get_species(key)
        n = check_number(f"count of {sp.name}", n, integer=True, minimum=0, maximum=MAX_ATOMS)
        if sp in seen:
            # as electrolyte_box: "EC" and "ec" are one species, one of the numbers a typo
            raise ValueError(f"{sp.name} is named twice in counts {dict(counts)}")
        seen.add(sp)
        charge += sp.charge * n
        m = n * sp.mass
        mass += m
        if sp.charge:
            if n:
                ions[sp] = n
            continue
        measured = _liquid_density(sp)
        if measured is None:
            # the library's own H2O was told it was "SMILES 'O', not the library's 'O'"
            other = (f" (this {sp.name} is SMILES {sp.smiles!r}, not the library's "
                     f"{SOLVENTS[sp.name].smiles!r})"
                     if sp.name in SOLVENTS and sp != SOLVENTS[sp.name] else "")
            # "give density=" named an argument estimate_density does not have
            raise ValueError(
                f"no measured liquid density of {sp.name}{other} in the species library "
                f"(known: {sorted(LIQUID_DENSITIES)}), so no estimate; give electrolyte_box "
                "density= in g/cm³ from a measurement, or leave density out for the van der "
                "Waals box of Ju et al. (2025)"
            )
        n_solvent += n
        solvent_mass += m
        if n:
            # by the library's name of the molecule: the carbonates the salt volume was
            # measured in and water's mixing doubt are molecules, whatever a Species calls them
            solvents.add(_library_counterpart(sp).name)
        v = m / (measured.value_g_cm3 * GCM3_TO_AMU_PER_A3)
        volume += v
        if n:
            # V = m/ρ: a relative error of ρ is the same relative error of V
            volumes[sp.name] = (v, v * measured.error_g_cm3 / measured.value_g_cm3)
    if not n_solvent:
        raise ValueError("estimate_density needs at least one solvent molecule")
    if charge:
        # the density of a box electrolyte_box refuses to build
        raise ValueError(f"counts {dict(counts)} have net charge {charge:+d} e; an electrolyte "
                         "is neutral")
    # the warnings it gives are the estimate's reasons not to be valid
    ions_volume, measured, ions_error, notes = _ions_volume(ions, solvent_mass, solvents)
    rho = mass / (volume + ions_volume) / GCM3_TO_AMU_PER_A3
    bias = 0.0
    if not measured:
        import warnings

        from .species import SALT_VOLUMES, SALTS

        # how far off the van der Waals volume may leave it grows with the salt's share of the
        # volume: said with LiPF6's measured volume, 0.30 of its van der Waals one (4 mol/L
        # LiFSI in DME: 1.055 g/cm³, 1.486 at LiPF6's ratio; a bare "several per cent" hid that)
        lipf6 = SALTS["LiPF6"]
        shrink = SALT_VOLUMES["LiPF6"][0] * _A3_PER_CM3_MOL / (
            _VDW_BOX_SCALE**3 * (lipf6.cation.vdw_volume + lipf6.anion.vdw_volume))
        shrunk = mass / (volume + shrink * ions_volume) / GCM3_TO_AMU_PER_A3
        bias = shrunk - rho
        names = "+".join(sorted(sp.name for sp in ions))
        message = (
            f"estimate_density: no measured volume in solution of the ions {names} in the "
            f"species library (measured: {sorted(SALT_VOLUMES)} alone); they take their van "
            f"der Waals volume, which left 1 mol/L LiPF6 solutions 7 % below their measured "
            f"densities: {rho:.3f} g/cm³ is likely low, by as much as "
            f"{100 * (shrunk / rho - 1):.0f} % if these ions shrink as LiPF6's do ({shrunk:.3f} "
            f"g/cm³ at its ratio of measured to van der Waals volume, {shrink:.2f}); give "
            "electrolyte_box density= from a measurement of the solution")
        warnings.warn(message, stacklevel=2)
        notes.append(message)
    if bare:
        return rho
    return _density_estimate(rho, volume + ions_volume, volumes, ions_error, bias, notes,
                             water="H2O" in solvents)


def _density_estimate(rho, total_volume, volumes, ions_error, bias, notes, water=None):
    """The :class:`~ase_electrolyte.estimate.Estimate` of :func:`estimate_density`: ``rho``
    g/cm³ of a mixture of ``total_volume`` Å³, from the solvents' ``{name: (volume, error)}``
    and the ions' volume error (Å³); ``bias`` (g/cm³) the unmeasured ions' possible shift;
    ``notes`` the reasons it is not valid (none: valid); ``water`` whether one of the
    solvents is water (default: one named H2O)."""
    from .estimate import METHODS, Estimate

    # ρ = M / V: a volume error δV moves it by -ρ δV / V; the inputs are independent
    terms = [err for _, err in volumes.values()] + [ions_error]
    relative = math.sqrt(sum(t * t for t in terms)) / total_volume
    solvent_volume = sum(v for v, _ in volumes.values())
    phi = [v / solvent_volume for v, _ in volumes.values()]
    if water is None:
        water = "H2O" in volumes
    mixing = _MIXING_DOUBT_WATER if water and len(volumes) > 1 else _MIXING_DOUBT
    relative = math.hypot(relative, mixing * (1.0 - sum(f * f for f in phi)))
    stderr = math.hypot(rho * relative, bias)
    return Estimate(rho, stderr, "g/cm^3", METHODS["propagated"],
                    n_samples=len(volumes) + bool(ions_error or bias),
                    converged=not notes, notes=tuple(notes))


# Ideal mixing's relative doubt (c of estimate_density: c (1 - Σ φ²), half of c at 1:1). A
# size assumed, not fitted: excess molar volumes of mixed aprotic solvents (carbonates, glymes,
# esters) are tenths of a cm³/mol against molar volumes of 70-130 cm³/mol, well under 0.5 %;
# the LiPF6 solutions' volume (SALT_VOLUMES) was fitted under ideal mixing, so their check
# holds what is left of it
_MIXING_DOUBT = 0.01
# the same with water: its mixtures with polar organic liquids contract by up to 3-4 % of the
# volume (ethanol-water about -1.1 cm³/mol at x = 0.3, 3.6 %)
_MIXING_DOUBT_WATER = 0.07


# molality (mol/kg) up to which SALT_VOLUMES' 1 mol/L fits hold: 1 mol/L LiPF6 in the
# carbonates is 0.9-1.1 mol/kg; the effective volume grows as the free solvent runs out
_SALT_VOLUME_MOLALITY = 2.0
# Å³ per cm³/mol
_A3_PER_CM3_MOL = 1e24 / units.mol


# the solvents SALT_VOLUMES' measurements were made in, and their kin (cyclic and linear
# carbonates): in an ether, an ester or water the salt's volume is another
_CARBONATES = frozenset({"EC", "PC", "VC", "FEC", "DFEC", "DMC", "EMC", "DEC"})


def _ions_volume(ions, solvent_mass, solvents=frozenset()):
    """``(Å³, measured, error in Å³, notes)``: the volume the ions ``{Species: count}`` take
    beside ``solvent_mass`` amu of solvent, whether it is measured, its standard error, and the
    warnings given about it (each also warned). The measured salt volume of
    :data:`~ase_electrolyte.species.SALT_VOLUMES` when they are one such salt in its
    stoichiometry (a warning above the concentration it was measured at, or in solvents other
    than those it was measured in), else the van der Waals rule (error 0: its doubt is a bias,
    said by :func:`estimate_density`)."""
    import warnings

    from .species import SALT_VOLUMES, SALTS

    if not ions:
        return 0.0, True, 0.0, []
    # the library's ions of these molecules: SALT_VOLUMES measured the ions, not their names
    # (Species("PF6", "[P-](F)(F)(F)(F)(F)F") took the van der Waals rule, 12 % low)
    library = {}
    for sp, n in ions.items():
        same = _library_counterpart(sp) or sp
        library[same] = library.get(same, 0) + n
    ions = library
    for name, (v_salt, u_salt, _) in SALT_VOLUMES.items():
        salt = SALTS[name]
        n_c, n_a = salt.stoichiometry
        if (set(ions) != {salt.cation, salt.anion}
                or ions[salt.cation] * n_a != ions[salt.anion] * n_c):
            continue
        formula_units = ions[salt.cation] // n_c
        molality = 1000.0 * formula_units / solvent_mass
        others = sorted(set(solvents) - _CARBONATES)
        notes = []
        if others:
            notes.append(
                f"estimate_density: {name}'s volume in solution was measured in carbonates "
                f"(SALT_VOLUMES); in {', '.join(others)} the estimate's error is not known: "
                "give electrolyte_box density= from a measurement of this solution")
        if molality > _SALT_VOLUME_MOLALITY:
            notes.append(
                f"estimate_density: {name} at {molality:.2g} mol/kg is beyond the ~1 mol/L its "
                f"volume in solution was measured at (SALT_VOLUMES); the estimate's error there "
                "is not known: give electrolyte_box density= from a measurement of this "
                "solution")
        for note in notes:
            warnings.warn(note, stacklevel=3)
        return (formula_units * v_salt * _A3_PER_CM3_MOL, True,
                formula_units * u_salt * _A3_PER_CM3_MOL, notes)
    return (sum(n * _VDW_BOX_SCALE**3 * sp.vdw_volume for sp, n in ions.items()), False, 0.0,
            [])


#: Most ETKDG embeddings :func:`conformer` tries (each is an MMFF optimisation).
MAX_CONFORMERS = 10000
# the embeddings electrolyte_box's conformers come from (conformer's default)
_DEFAULT_EMBEDDINGS = 10
# MMFF94 energies (kcal/mol) closer than this are one minimum found twice (far below RT)
_SAME_MINIMUM_KCAL_MOL = 1e-3
# second entropy word of the rotamer draws' generator, beside the box seed ("rota")
_ROTAMER_STREAM = 0x726F7461
# seeds below this are RDKit's own; with the embeddings' seed + i + 1 all stay below 2³¹
_EMBEDDING_SEEDS = 2**31 - 1 - MAX_CONFORMERS


def conformer(species, seed=0, n_conformers=10):
    """A low-energy 3D conformer of ``species`` as ASE Atoms (RDKit ETKDG + MMFF, seeded).

    The lowest MMFF94 (else UFF) energy of ``n_conformers`` distinct ETKDG embeddings is kept;
    embedding ``i`` is seeded ``seed + i + 1`` (RDKit's sequential seeds; ``seed`` modulo
    2³¹ - 10 001 for the top seeds), so a seed always gives the same conformer and the first
    embeddings of a longer search are those of a shorter. Ions
    of the AX6 type (PF6⁻), which the RDKit force fields do not describe, get an ideal
    octahedron with the bond length from the sum of covalent radii
    (:data:`ase.data.covalent_radii`).

    Parameters
    ----------
    species : str or Species
    seed : int
        RDKit random seed, 0 to 2³¹ - 1.
    n_conformers : int
        Embeddings tried, 1 to :data:`MAX_CONFORMERS`.

    Returns
    -------
    ase.Atoms
        Positions in Å centred at the origin, with the topology arrays for one molecule.
    """
    # RDKit reads a seed of -1 as "random" (not reproducible) and truncates 1.5; a negative
    # count overflows its unsigned int
    seed = check_number("seed", seed, integer=True, minimum=0, maximum=2**31 - 1)
    n_conformers = check_number("n_conformers", n_conformers, integer=True, minimum=1,
                                maximum=MAX_CONFORMERS)
    sp = get_species(species)
    symbols = sp.symbols
    if len(symbols) == 1:
        positions = np.zeros((1, 3))
    elif _is_ax6(sp.rdkit_mol):
        positions = _octahedron(sp.rdkit_mol)
    else:
        mol, ids, energies = _embeddings(sp, seed, n_conformers)
        best = ids[int(np.argmin(energies))]
        positions = mol.GetConformer(best).GetPositions()
    return _molecule(sp, positions)


def _molecule(sp, positions):
    """One molecule of ``sp`` at ``positions`` (Å), centred, with its topology arrays."""
    positions = positions - positions.mean(axis=0)
    atoms = Atoms(symbols=sp.symbols, positions=positions)
    set_topology(atoms, np.zeros(len(atoms)), [sp.name] * len(atoms), sp.atomic_formal_charges)
    return atoms


def _embeddings(sp, seed, n_conformers):
    """``n_conformers`` ETKDG embeddings of ``sp``, each optimised by MMFF94 (else UFF).

    Returns the RDKit molecule holding them, their conformer ids and energies (kcal/mol; zeros
    when neither force field has parameters). Embedding ``i`` is seeded ``seed + i + 1``.
    """
    from rdkit import RDLogger
    from rdkit.Chem import AllChem

    mol = type(sp.rdkit_mol)(sp.rdkit_mol)  # a copy: the cached one stays conformer-free
    RDLogger.DisableLog("rdApp.*")
    try:
        params = AllChem.ETKDGv3()
        # embedding i is seeded seed + i + 1, which RDKit refuses past 2³¹ - 1 (an
        # "Invariant Violation" for seed 2³¹ - 2): the top seeds wrap round
        params.randomSeed = int(seed) % _EMBEDDING_SEEDS
        # without it every embedding of one call repeats the first (one seed, one stream):
        # n_conformers would be one conformer, TFSI⁻ 9.6 and DME 2.7 kcal/mol above the
        # lowest of 10
        params.enableSequentialRandomSeeds = True
        ids = list(AllChem.EmbedMultipleConfs(mol, numConfs=int(n_conformers), params=params))
        if not ids:
            raise ValueError(f"RDKit could not embed a 3D conformer of {sp.name} ({sp.smiles})")
        if AllChem.MMFFHasAllMoleculeParams(mol):
            energies = [e for _, e in AllChem.MMFFOptimizeMoleculeConfs(mol, maxIters=2000)]
        elif AllChem.UFFHasAllMoleculeParams(mol):
            energies = [e for _, e in AllChem.UFFOptimizeMoleculeConfs(mol, maxIters=2000)]
        else:
            energies = [0.0] * len(ids)
    finally:
        RDLogger.EnableLog("rdApp.*")
    return mol, ids, energies


#: Most O=C–O–C dihedrals a species may have for :func:`conformer_ensemble` (each of its
#: embeddings is MMFF-minimised in all 2^n cis/trans classes).
MAX_ROTAMER_DIHEDRALS = 4
#: Largest spread (kcal/mol) of one species' ``rotamer_energies`` accepted: rotamers of one
#: molecule differ by a few kcal/mol (MMFF94's DMC near-trans–near-trans: 19), a spread in the
#: thousands is J/mol or cal/mol.
MAX_ROTAMER_ENERGY_SPREAD = 100.0
#: How :func:`electrolyte_box` chooses each molecule's conformer.
CONFORMER_MODES = ("boltzmann", "lowest")
# kcal/mol per kelvin: the MMFF94 energies are in kcal/mol
_KCAL_MOL_PER_K = units.kB * units.mol / units.kcal


class Rotamer(NamedTuple):
    """One O=C–O–C rotamer of :func:`conformer_ensemble`.

    Attributes
    ----------
    label : str
        ``"cis"`` or ``"trans"`` for each O=C–O–C dihedral of
        :attr:`~ase_electrolyte.species.Species.carbonyl_dihedrals`, joined by ``-``
        (``"cis-trans"``); sides that the molecule's symmetry exchanges (the two of DMC or DEC)
        are sorted, and their permutations counted in ``degeneracy``.
    atoms : ase.Atoms
        Its lowest MMFF94 minimum found, centred, with the topology arrays of one molecule.
    delta_e : float
        MMFF94 energy above the lowest rotamer, kcal/mol.
    degeneracy : int
        Distinct minima of the labelled molecule it stands for (DMC's cis-trans and trans-cis: 2).
    weight : float
        Boltzmann probability ``degeneracy · exp(-delta_e / RT)``, normalised over the rotamers.
    dihedrals_deg : tuple of float
        Its O=C–O–C dihedrals, degrees, in the order of ``carbonyl_dihedrals``.

    Examples
    --------
    >>> from ase_electrolyte.build import conformer_ensemble
    >>> ea = conformer_ensemble("EA", temperature_K=1000.0)  # ethyl acetate: syn and anti
    >>> [(r.label, r.degeneracy, r.weight > 0.9) for r in ea]
    [('cis', 1, True), ('trans', 1, False)]
    >>> len(ea[0].atoms), [round(abs(a)) for a in ea[1].dihedrals_deg]
    (14, [180])
    """

    label: str
    atoms: Atoms
    delta_e: float
    degeneracy: int
    weight: float
    dihedrals_deg: tuple


def conformer_ensemble(species, seed=0, n_conformers=_DEFAULT_EMBEDDINGS, temperature_K=298.15):
    """The O=C–O–C rotamers of an open-chain carbonate or ester, Boltzmann-weighted by MMFF94.

    Linear carbonates (DMC, EMC, DEC) and esters (EA) have cis (syn) and trans (anti) rotamers
    about each O=C–O–C dihedral (:attr:`~ase_electrolyte.species.Species.carbonyl_dihedrals`)
    that MD does not interconvert in its nanoseconds (a barrier of about 0.4 eV), so their ratio
    in a box is set when it is built, from a Boltzmann distribution (Ju et al. 2025). Each of the
    ``n_conformers`` ETKDG embeddings of :func:`conformer` (the same seeds) is MMFF94-optimised
    as it is and with every dihedral set to 0° or 180° in turn; the minima are classed by their
    dihedrals (cis below 90°), the lowest of each class kept. The weight of rotamer ``k`` is
    ``g_k · exp(-ΔE_k / RT)`` with ``g_k`` the symmetry-equivalent minima it stands for. The
    rotamers' vibrational free energies are left out, and MMFF94 places DMC's cis-trans
    4.98 kcal/mol above cis-cis, above the measured 8.0 ± 0.4 kJ/mol (1.91 kcal/mol) of the
    pure liquid and 13.6 kJ/mol of the vapour (Bohets and van der Veken 1999): these MMFF94
    weights underestimate the trans populations (``tests/test_build_rotamers.py``).
    :func:`electrolyte_box` weighs with the measured enthalpies of
    :data:`~ase_electrolyte.species.ROTAMER_ENTHALPIES` where the library has them.

    The ethyl groups of EMC, DEC and EA also turn about their O–CH₂ bond (C–O–C–C gauche or
    trans): their rotamers are not weighed, each molecule keeps the lowest (trans), because
    that barrier is low (MMFF94: gauche 0.44 kcal/mol above trans, a barrier of 1.2 kcal/mol
    between them, crossed about once a picosecond at 298 K by transition-state theory,
    against 11.8 kcal/mol from cis to trans about the O=C–O–C, about once in 70 µs): MD
    equilibrates the ethyl groups by itself (``tests/test_build_measured_rotamers.py``).

    Parameters
    ----------
    species : str or Species
        A species with at least one O=C–O–C dihedral outside rings.
    seed : int
        As in :func:`conformer`.
    n_conformers : int
        Embeddings, 1 to :data:`MAX_CONFORMERS`.
    temperature_K : float
        Temperature of the weights, K (above 0, at most
        :data:`ase_electrolyte.md.MAX_TEMPERATURE_K`).

    Returns
    -------
    list of Rotamer
        Lowest ΔE first.

    Raises
    ------
    ValueError
        A species without such a dihedral or with more than :data:`MAX_ROTAMER_DIHEDRALS`,
        one MMFF94 has no parameters for, a bad seed,
        count or temperature (before any embedding).

    Examples
    --------
    >>> from ase_electrolyte.build import conformer_ensemble
    >>> [(r.label, r.degeneracy, round(r.delta_e, 1)) for r in conformer_ensemble("DMC")][:2]
    [('cis-cis', 1, 0.0), ('cis-trans', 2, 5.0)]
    """
    seed = check_number("seed", seed, integer=True, minimum=0, maximum=2**31 - 1)
    n_conformers = check_number("n_conformers", n_conformers, integer=True, minimum=1,
                                maximum=MAX_CONFORMERS)
    temperature_K = _check_conformer_temperature(temperature_K)
    sp = get_species(species)
    _check_rotamer_species(sp)
    rotamers = _rotamers(sp, seed, n_conformers)
    return _weighted(rotamers, temperature_K)


def _check_conformer_temperature(temperature_K):
    # the MD's ceiling: a box for any run the MD accepts
    return check_number("temperature_K (K)", temperature_K, above=0, maximum=MAX_TEMPERATURE_K)


def _check_rotamer_species(sp):
    """Refuse a species :func:`conformer_ensemble` cannot weigh, before any embedding."""
    from rdkit.Chem import AllChem

    if not sp.carbonyl_dihedrals:
        raise ValueError(
            f"{sp.name} ({sp.smiles}) has no O=C-O-C dihedral outside a ring: it has no "
            "cis/trans rotamers to weigh; use conformer()"
        )
    if len(sp.carbonyl_dihedrals) > MAX_ROTAMER_DIHEDRALS:
        # each embedding is minimised in every one of the 2^n classes: 2^20 would not end
        raise ValueError(
            f"{sp.name} has {len(sp.carbonyl_dihedrals)} O=C-O-C dihedrals outside rings, "
            f"2^{len(sp.carbonyl_dihedrals)} rotamer classes to search (at most "
            f"{MAX_ROTAMER_DIHEDRALS} dihedrals); pass conformers='lowest'"
        )
    if not AllChem.MMFFHasAllMoleculeParams(sp.rdkit_mol):
        raise ValueError(
            f"MMFF94 has no parameters for {sp.name} ({sp.smiles}): its rotamers' Boltzmann "
            "weights cannot be computed; pass conformers='lowest'"
        )


def _rotamers(sp, seed, n_conformers):
    """``[(label, Atoms, E kcal/mol, degeneracy, dihedrals)]`` of ``sp``'s rotamer classes,
    unweighted: the MMFF94 part of :func:`conformer_ensemble`, which is the costly one."""
    import itertools

    from rdkit import Chem
    from rdkit.Chem import AllChem
    from rdkit.Chem import rdMolTransforms as transforms

    dihedrals = sp.carbonyl_dihedrals
    mol, ids, energies = _embeddings(sp, seed, n_conformers)
    props = AllChem.MMFFGetMoleculeProperties(mol)
    best = {}  # (cis/trans per dihedral) -> (energy, positions, dihedral angles)

    def keep(conf, energy):
        angles = tuple(transforms.GetDihedralDeg(conf, *d) for d in dihedrals)
        key = tuple("cis" if abs(a) < 90.0 else "trans" for a in angles)
        # one minimum found twice differs by its convergence (1e-5 kcal/mol): the first kept
        if key not in best or energy < best[key][0] - _SAME_MINIMUM_KCAL_MOL:
            best[key] = (energy, conf.GetPositions(), angles)

    # conformer()'s choice first: its class's rotamer is that very geometry unless another is
    # lower, so a box whose rotamers are all that class is the box of conformers="lowest"
    order = np.argsort(energies, kind="stable")
    for k in order:
        keep(mol.GetConformer(ids[k]), energies[k])
    # embeddings of one energy are one minimum (or its mirror image): forced alike, so each is
    # forced once (EMC's ten embeddings are two minima: 8 minimisations instead of 40)
    distinct = []
    for k in order:
        if not distinct or energies[k] > energies[distinct[-1]] + _SAME_MINIMUM_KCAL_MOL:
            distinct.append(k)
    for cid in [ids[k] for k in sorted(distinct)]:
        # every embedding forced into every class: ETKDG's torsion preferences make every DMC
        # embedding cis-cis, so the trans rotamers are never embedded
        for target in itertools.product((0.0, 180.0), repeat=len(dihedrals)):
            trial = Chem.Mol(mol, confId=cid)
            conf = trial.GetConformer()
            for d, angle in zip(dihedrals, target, strict=True):
                transforms.SetDihedralDeg(conf, *d, angle)
            field = AllChem.MMFFGetMoleculeForceField(trial, props)
            if field.Minimize(maxIts=2000) != 0:
                continue  # not a minimum yet: its energy would be no rotamer's
            keep(conf, field.CalcEnergy())
    if not best:
        raise ValueError(f"MMFF94 optimisation of {sp.name}'s rotamers did not converge")
    merged = {}
    for key, (energy, positions, angles) in best.items():
        label, degeneracy = _rotamer_label(sp, key)
        if label not in merged or energy < merged[label][2]:
            merged[label] = (label, _molecule(sp, positions), energy, degeneracy, angles)
    return sorted(merged.values(), key=lambda r: r[2])


def _rotamer_label(sp, key):
    """``(label, degeneracy)`` of the rotamer with ``key`` (cis/trans per dihedral of ``sp``).

    Sides the molecule's symmetry exchanges (DMC's two methoxy groups) make one rotamer of
    cis-trans and trans-cis: the label is sorted within them, the permutations are its
    degeneracy.
    """
    from rdkit import Chem

    ranks = list(Chem.CanonicalRankAtoms(sp.rdkit_mol, breakTies=False))
    side_rank = [ranks[d[2]] for d in sp.carbonyl_dihedrals]
    canonical = list(key)
    degeneracy = 1
    for rank in set(side_rank):
        sides = [i for i, r in enumerate(side_rank) if r == rank]
        labels = sorted(key[i] for i in sides)
        for i, label in zip(sides, labels, strict=True):
            canonical[i] = label
        degeneracy *= math.factorial(len(labels)) // math.prod(
            math.factorial(labels.count(x)) for x in set(labels))
    return "-".join(canonical), degeneracy


def _check_rotamer_energies(rotamer_energies, rotamer_species):
    """``{Species: {label: ΔE kcal/mol}}`` of ``electrolyte_box``'s ``rotamer_energies``.

    Labels are put in :func:`_rotamer_label`'s form; refused before any embedding: a species
    not among ``rotamer_species``, a label that is not one cis/trans per dihedral, a rotamer
    given twice, a ΔE that is not a finite number.
    """
    if rotamer_energies is None:
        return {}
    if not isinstance(rotamer_energies, dict):
        raise ValueError(f"rotamer_energies must be a dict {{species: {{rotamer: ΔE kcal/mol}}}}, "
                         f"not {rotamer_energies!r}")
    known = {sp.name: sp for sp in rotamer_species}
    out = {}
    for name, table in rotamer_energies.items():
        sp = get_species(name)
        if sp.name not in known:
            raise ValueError(
                f"rotamer_energies names {sp.name}, which this box does not draw rotamers of "
                f"(it does for: {sorted(known) or 'none'}; conformers='boltzmann' and a species "
                "with an O=C-O-C dihedral outside a ring)")
        sp = known[sp.name]
        if sp in out:
            raise ValueError(f"rotamer_energies names {sp.name} twice")
        if not isinstance(table, dict) or not table:
            raise ValueError(f"rotamer_energies[{name!r}] must be a dict {{rotamer label: ΔE "
                             f"kcal/mol}}, e.g. {{'cis-cis': 0.0, 'cis-trans': 2.6}}")
        n = len(sp.carbonyl_dihedrals)
        given = {}
        for label, value in table.items():
            key = tuple(label.split("-")) if isinstance(label, str) else ()
            if len(key) != n or not set(key) <= {"cis", "trans"}:
                raise ValueError(
                    f"rotamer_energies[{name!r}]: {label!r} is not a rotamer of {sp.name}: "
                    f"give 'cis' or 'trans' for each of its {n} O=C-O-C dihedral(s), joined "
                    "by '-'")
            canonical = _rotamer_label(sp, key)[0]
            if canonical in given:
                raise ValueError(f"rotamer_energies[{name!r}] gives rotamer {canonical} twice "
                                 f"({label!r} is {canonical!r} by {sp.name}'s symmetry)")
            given[canonical] = check_number(
                f"rotamer_energies[{name!r}][{label!r}] (kcal/mol)", value)
        spread = max(given.values()) - min(given.values())
        if spread > MAX_ROTAMER_ENERGY_SPREAD:
            # 8000 for DMC's 8.0 kJ/mol (in J/mol) drew no trans rotamer at all, silently
            raise ValueError(
                f"rotamer_energies[{name!r}] spans {spread:.4g} kcal/mol, more than "
                f"{MAX_ROTAMER_ENERGY_SPREAD:g} kcal/mol (rotamers differ by a few): are they "
                "in J/mol or cal/mol? give kcal/mol (1 kJ/mol = 0.239 kcal/mol)")
        out[sp] = given
    return out


def _measured_energies(found, entry):
    """``(energies, sources)`` of the rotamers ``found`` (:func:`_rotamers`) of a species with
    an entry of :data:`~ase_electrolyte.species.ROTAMER_ENTHALPIES`: the measured enthalpies
    above the all-cis rotamer where the entry has them, MMFF94's energies above it otherwise;
    ``sources`` names, per rotamer label, where its energy came from."""
    enthalpies, phase, citation, _ = entry
    mmff = {r[0]: r[2] for r in found}
    reference = next((label for label in mmff if set(label.split("-")) == {"cis"}), None)
    if reference is None:
        # the measurements are above the all-cis rotamer: without it they have no reference
        return None, dict.fromkeys(mmff, "MMFF94")
    energies = {label: e - mmff[reference] for label, e in mmff.items()}
    sources = dict.fromkeys(energies, "MMFF94")
    sources[reference] = f"{citation}, {phase}: the reference, 0 kcal/mol"
    for label, (value, sigma) in enthalpies.items():
        if label in energies:  # a rotamer the search did not find draws nothing
            energies[label] = value
            # ASCII: extended XYZ (a screening task's initial box) wrote '±' back as 'u00b1'
            sources[label] = f"{citation}, {phase}: {value:.2f} +/- {sigma:.2f} kcal/mol"
    return energies, sources


def _weight_ranges(found, temperature_K, energies, entry):
    """``{label: [low, high]}``: each rotamer's weight with the measured enthalpies of
    ``entry`` one standard uncertainty lower and higher (all together)."""
    weights = []
    for sign in (-1.0, 1.0):
        shifted = dict(energies)
        for label, (value, sigma) in entry[0].items():
            if label in shifted:
                shifted[label] = value + sign * sigma
        weights.append({r.label: r.weight for r in _weighted(found, temperature_K, shifted)})
    return {label: sorted([weights[0][label], weights[1][label]]) for label in weights[0]}


def _energies_source(sources):
    """``info["conformer_energies"]`` of one species from its rotamers' ``sources``:
    ``"MMFF94"``, ``"given"``, or ``"measured: <citation> (<rotamers>); MMFF94: <rotamers>"``."""
    kinds = set(sources.values())
    if kinds <= {"MMFF94", "given"}:
        return kinds.pop()
    cited = {}
    for label, source in sources.items():
        cited.setdefault(source.split(",")[0], []).append(label)
    parts = [f"{citation} ({', '.join(labels)})" for citation, labels in cited.items()
             if citation != "MMFF94"]
    rest = cited.get("MMFF94")
    return "measured: " + "; ".join(parts) + (f"; MMFF94: {', '.join(rest)}" if rest else "")


def _weighted(rotamers, temperature_K, given=None):
    """:class:`Rotamer` s of :func:`_rotamers`' classes at ``temperature_K``; ``given`` maps
    labels to energies (kcal/mol) that replace MMFF94's, and must hold every rotamer found
    and no other."""
    if given:
        missing = [r[0] for r in rotamers if r[0] not in given]
        if missing:
            raise ValueError(
                f"rotamer_energies of {rotamers[0][1].arrays['molecule_species'][0]} leave out "
                f"rotamer(s) {missing}, which were found; give an energy for each of "
                f"{[r[0] for r in rotamers]}")
        extra = [label for label in given if label not in {r[0] for r in rotamers}]
        if extra:
            # its weight was dropped from the draw without a word: a trans-trans DEC given
            # 0.5 kcal/mol was never placed
            raise ValueError(
                f"rotamer_energies of {rotamers[0][1].arrays['molecule_species'][0]} give "
                f"rotamer(s) {extra}, which MMFF94's search did not find as minima (found: "
                f"{[r[0] for r in rotamers]}): no molecule can be placed in them; leave them "
                "out")
        rotamers = [(r[0], r[1], given[r[0]], *r[3:]) for r in rotamers]
        rotamers.sort(key=lambda r: r[2])
    energies = np.array([r[2] for r in rotamers])
    delta = energies - energies.min()
    factors = np.array([r[3] for r in rotamers]) * np.exp(
        -delta / (_KCAL_MOL_PER_K * temperature_K))
    weights = factors / factors.sum()
    return [
        Rotamer(label, atoms, float(d), int(g), float(w), tuple(float(a) for a in angles))
        for (label, atoms, _, g, angles), d, w in zip(rotamers, delta, weights, strict=True)
    ]


def _is_ax6(mol):
    return mol.GetNumAtoms() == 7 and any(
        a.GetDegree() == 6 and all(n.GetDegree() == 1 for n in a.GetNeighbors())
        for a in mol.GetAtoms()
    )


def _octahedron(mol):
    centre = next(a for a in mol.GetAtoms() if a.GetDegree() == 6)
    positions = np.zeros((mol.GetNumAtoms(), 3))
    directions = np.vstack([np.eye(3), -np.eye(3)])
    for d, n in zip(directions, centre.GetNeighbors(), strict=True):
        bond = (
            covalent_radii[atomic_numbers[centre.GetSymbol()]]
            + covalent_radii[atomic_numbers[n.GetSymbol()]]
        )
        positions[n.GetIdx()] = positions[centre.GetIdx()] + bond * d
    return positions


def electrolyte_box(
    solvent=None,
    salt=None,
    concentration=0.0,
    *,
    units="molal",
    n_atoms=1000,
    ratio="mass",
    counts=None,
    density=None,
    seed=0,
    tolerance=2.0,
    spread_cations=True,
    packmol_timeout=600,
    packmol_nloop=None,
    conformers="boltzmann",
    temperature_K=298.15,
    rotamer_energies=None,
):
    """An electrolyte box: solvents and salt, packed by PACKMOL in a periodic cubic cell.

    Give either a composition (``solvent``, ``salt``, ``concentration``, ``units``, ``n_atoms``)
    or explicit molecule ``counts``.

    Parameters
    ----------
    solvent : dict or str, optional
        ``{species: share}``, e.g. ``{"EC": 3, "EMC": 7}`` (see ``ratio``), or the same as
        text, ``"EC:3,EMC:7"``.
    salt : str or Salt, optional
        ``"LiPF6"``, ``"LiFSI"``, ``"LiTFSI"``, ``"NaPF6"``, ``"KPF6"`` or a
        :class:`~ase_electrolyte.species.Salt`.
    concentration : float or Estimate
        mol/kg of solvent (``units="molal"``) or mol/L of solution (``units="molar"``); an
        :class:`~ase_electrolyte.estimate.Estimate` as in :func:`composition_counts`.
    units : {"molal", "molar"}
        ``"molar"`` needs ``density``. Or another spelling of :func:`composition_word`, as in
        :func:`composition_counts`.
    n_atoms : int
        Target number of atoms (Ju et al. 2025: closest to 1000).
    ratio : {"mass", "mole", "volume"}
        Meaning of the solvent shares, as in :func:`composition_counts` (other spellings:
        :func:`composition_word`).
    counts : dict or str, optional
        ``{species: number of molecules}`` (names or Species, ions included), or its text
        ``"EC=30,Li=3,PF6=3"`` (:func:`~ase_electrolyte.species.parse_shares`), instead of a
        composition; must be neutral. ``n_atoms``, ``units`` and ``ratio`` other than their
        defaults are refused with it (they were ignored).
    density : float, optional
        Box density in g/cm³. Default: Ju et al.'s ``L = 1.1 · V0^(1/3)`` from the summed van der
        Waals volumes.
    seed : int
        Seeds RDKit conformers, the cation regions and PACKMOL.
    tolerance : float
        PACKMOL minimum distance between atoms of different molecules, Å (at least
        :data:`MIN_TOLERANCE`).
    spread_cations : bool
        Put every cation in its own sub-cube of the box (Ju et al. 2025).
    packmol_timeout : float
        Seconds before PACKMOL is stopped.
    packmol_nloop : int, optional
        PACKMOL's ``nloop`` (optimisation loops per molecule; PACKMOL's default 50); fewer makes an
        impossible packing fail sooner.
    conformers : {"boltzmann", "lowest"}
        ``"boltzmann"`` (Ju et al. 2025): each molecule of a species with O=C–O–C rotamers
        (linear carbonates, esters: :attr:`~ase_electrolyte.species.Species.carbonyl_dihedrals`)
        gets a rotamer of :func:`conformer_ensemble` drawn from its Boltzmann weights at
        ``temperature_K`` with ``seed``; every other species, and every species with
        ``"lowest"``, gets the one conformer of :func:`conformer`. In any case
        (``"Boltzmann"``).
    temperature_K : float
        Temperature of the rotamers' Boltzmann weights, K (the MD's; above 0, at most
        :data:`ase_electrolyte.md.MAX_TEMPERATURE_K`); another than the default is refused
        with ``conformers="lowest"``, where it has no effect.
    rotamer_energies : dict, optional
        ``{species: {rotamer label: energy in kcal/mol}}`` for the weights (e.g. the
        machine-learned potential's, as Ju et al. 2025 used): every rotamer
        :func:`conformer_ensemble` finds for the species needs one; labels as
        :attr:`Rotamer.label` (``"trans-cis"`` of DMC is its ``"cis-trans"``); one species'
        energies span at most :data:`MAX_ROTAMER_ENERGY_SPREAD`. A species not given here
        is weighed by the measured enthalpies of
        :data:`~ase_electrolyte.species.ROTAMER_ENTHALPIES` (the library's DMC: its
        cis-trans 8.0 ± 0.4 kJ/mol above cis-cis in the pure liquid, Bohets and van der
        Veken 1999), its other rotamers, and every other species', by MMFF94's energies.

    Returns
    -------
    ase.Atoms
        Periodic cubic box, molecules whole (possibly extending past the cell faces), with
        per-atom ``molecule_index``, ``molecule_species`` and ``formal_charge`` arrays
        (:mod:`ase_electrolyte.topology`), ``info["composition"]`` (molecule counts) and
        ``info["cation_molality"]`` (mol of cations per kg of solvent: the salt molality of
        the 1:1 salts of the library, as realised by the integer counts; exact, in the
        :class:`~ase_electrolyte.estimate.Estimate` dict form of ``counted_composition``'s
        numbers),
        ``info["counted_composition"]`` (the molality of each ion, mol per kg of solvent, and
        the mass fraction of each species, ``"ion_molality"``, ``"mass_fractions"``: exact
        ratios of the counts, each an :class:`~ase_electrolyte.estimate.Estimate`'s dict form
        with its unit, error 0 and the method saying why); for a composition
        (not ``counts``), ``info["packed_composition"]``: the salt concentration in the units
        asked and the solvent shares by the ratio asked, as packed beside as asked, with their
        deviations (``"units"``, ``"concentration_asked"``, ``"concentration_packed"``,
        ``"concentration_deviation"`` = packed/asked - 1, ``"ratio"``,
        ``"solvent_shares_asked"``, ``"solvent_shares_packed"``, ``"solvent_share_deviation"``:
        the largest difference of a fraction; 1 mol/kg LiPF6 in EC:EMC 3:7 at 100 atoms
        packs 1.44 mol/kg, +44 %): each number an Estimate's dict form, the asked ones given
        (:meth:`~ase_electrolyte.estimate.Estimate.given_value`), the packed ones and the
        deviations exact, but for shares by volume, whose errors are propagated from the
        measured densities of the pure liquids. With
        ``conformers="boltzmann"`` and a species with rotamers, ``info["conformers"]``:
        ``{species: {rotamer label: {"count", "delta_e_kcal_mol", "weight", "degeneracy",
        "source"}}}`` (the weight at ``info["conformer_temperature_K"]``; ``source`` says
        where the energy came from: ``"MMFF94"``, ``"given"`` or the measurement with its
        uncertainty; a species weighed by measured enthalpies also gives each rotamer's
        ``"weight_range"``, ``[low, high]`` with the enthalpies one standard uncertainty
        lower and higher), and ``info["conformer_energies"]``: ``{species: "MMFF94", "given" or
        "measured: <citation> (<rotamers>); MMFF94: <rotamers>"}``.

    Raises
    ------
    ValueError
        Unknown species or salt (the message lists the known ones), a SMILES RDKit rejects or
        one that leaves a diastereomer open (an unassigned stereocentre beside another stereo
        element, an unassigned stereo double bond; a lone open stereocentre is packed
        racemic), a
        non-neutral composition, fewer than one ion pair, a species named twice in ``counts``,
        two different species of one name, more than :data:`MAX_ATOMS` atoms, a tolerance
        below :data:`MIN_TOLERANCE` or one too fine for PACKMOL's cell grid in this box, or
        inconsistent arguments, an unknown ``conformers`` or a temperature not above 0 K, a
        species with rotamers that MMFF94 has no parameters for or with more than
        :data:`MAX_ROTAMER_DIHEDRALS` rotamer dihedrals (``conformers="lowest"`` packs it), a
        ``rotamer_energies`` table naming a species without rotamers in this box, a label that
        is no rotamer, one rotamer twice, an energy that is no finite number or energies
        spanning more than :data:`MAX_ROTAMER_ENERGY_SPREAD` (J/mol?), a box PACKMOL
        cannot pack within ``packmol_timeout``
        (:func:`packmol_seconds`; the message names the largest box that fits and
        :func:`replicate_box`); all before any conformer or PACKMOL run. A box whose diagonal
        is shorter than one of its molecules (PACKMOL keeps a molecule's atoms inside the box;
        the message names a density and a number of molecules that hold it), a box too small
        for its molecules at this tolerance (the convex hulls of their atoms' tolerance/2 spheres
        above :data:`MAX_PACKING_FRACTION` of the box, less for nearly round molecules; the
        message names the density, the volumes and the highest density allowed), or a
        ``rotamer_energies`` table that leaves out a rotamer the search found, after the
        conformers and before PACKMOL; as is one that gives a rotamer the search did not find
        as a minimum (DEC's trans-trans: no molecule can be placed in it).
    FileNotFoundError
        No PACKMOL (neither the ``packmol`` PyPI package nor one on PATH), before the
        conformers.
    RuntimeError
        If PACKMOL cannot be started, fails or is killed (the signal is named), cannot pack the
        molecules at this density (the density and tolerance are named, and a
        ``packmol_nloop`` given, which may be too few loops), writes fewer
        positions than atoms (its message is included), reports success for a box in which
        atoms of different molecules are closer than half the tolerance, packs a box in which
        atoms of different molecules are within the reach of the covalent bond guess
        (:func:`mda_electrolyte.molecules.covalent_bonds`: S···O up to 2.31 Å, beyond a 2 Å
        tolerance) both as asked and when packed again with every atom kept its bond reach
        (plus :data:`BOND_REACH_MARGIN`) from other molecules (the closest pair is named), or
        does not finish within ``packmol_timeout`` (both packings together; it is stopped
        with every process it started: a wrapper's solver too). Its temporary folder is
        removed in every case.

    Warns
    -----
    PackingShortfallWarning
        For a composition (not ``counts``) that whole molecules at ``n_atoms`` pack farther
        than :data:`~ase_electrolyte.screen.plan.PACKING_TOLERANCE` from the asked one (the
        salt concentration relatively, a solvent share absolutely), before any conformer or
        PACKMOL run: the packed numbers and the ``n_atoms`` that keeps them within it
        (:func:`~ase_electrolyte.screen.plan.packing_shortfall`, the screening plans' rule).

    Examples
    --------
    >>> from ase_electrolyte import electrolyte_box
    >>> atoms = electrolyte_box({"EC": 3, "EMC": 7}, "LiPF6", 1.0, n_atoms=150, seed=0)
    >>> atoms.info["composition"]
    {'EC': 4, 'EMC': 7, 'Li': 1, 'PF6': 1}
    >>> int(atoms.arrays["formal_charge"].sum())
    0
    """
    if counts is not None:
        if solvent is not None or salt is not None or concentration:
            raise ValueError("give either counts= or a composition (solvent, salt, concentration)")
        # the composition's size and meaning; with counts they were ignored: n_atoms=5000
        # packed the counts' 40 atoms without a word
        defaults = inspect.signature(electrolyte_box).parameters
        ignored = [f"{name}={value!r}" for name, value in
                   (("n_atoms", n_atoms), ("units", units), ("ratio", ratio))
                   if not _same_value(value, defaults[name].default)]
        if ignored:
            one = len(ignored) == 1
            raise ValueError(
                f"{', '.join(ignored)} {'is' if one else 'are'} for a composition (solvent, "
                "salt, concentration) and would be ignored with counts=, which gives the "
                f"molecules themselves: leave {'it' if one else 'them'} out, or give a "
                "composition")
        resolved = _read_counts(counts)
        total = sum(sp.n_atoms * n for sp, n in resolved.items())
        if total > MAX_ATOMS:
            raise ValueError(
                # 1e300 EC wrote all 301 digits of the atoms' count
                f"counts {dict(counts)} make "
                f"{total if total < 10**12 else _short_int(total)} atoms, more than "
                f"{MAX_ATOMS} (a box "
                "PACKMOL and a machine-learned potential cannot handle); is a count mistyped?"
            )
        # solvents first, then cations, then anions (the order of the residues downstream),
        # each by name: the dict's order set PACKMOL's input, the rotamer draws and the cation
        # regions, so {"EC": 3, "EMC": 3} and {"EMC": 3, "EC": 3} packed different boxes
        plan = dict(sorted(((s, n) for s, n in resolved.items() if n),
                           key=lambda t: _canonical_key(t[0])))
    else:
        if solvent is None or (isinstance(solvent, dict) and not solvent):
            raise ValueError("give a solvent composition, e.g. solvent={'EC': 3, 'EMC': 7}, or "
                             f"counts={_SOLVENT_FREE}")
        # read once: the packed-composition record after PACKMOL iterates it as a dict
        solvent = _solvent_shares(solvent)
        # an Estimate's number, in the units asked: the record after PACKMOL divides by it
        concentration = _concentration_number(concentration, units)
        plan = composition_counts(
            solvent, salt, concentration, units=units, n_atoms=n_atoms, ratio=ratio,
            density=composition_density(units, density),
        )
        _warn_packing_shortfall(plan, solvent, salt, concentration, units, ratio, n_atoms,
                                density)
    net = sum(sp.charge * n for sp, n in plan.items())
    if net != 0:
        raise ValueError(
            f"composition {{{', '.join(f'{s.name}: {n}' for s, n in plan.items())}}} has net "
            f"charge {net:+d} e; an electrolyte box must be neutral"
        )
    # denser than any liquid: the sign of another unit (kg/m³), and an impossible packing
    density = check_density(density)
    if counts is not None or composition_density(units, density) is None:
        # composition_counts has warned of a molar composition's density: twice was one doubt
        # said twice (a molal one's box density it is not given)
        warn_implausible(density_g_cm3=density, density_measured=False)
    # below half an ångström atoms of different molecules may start closer than a bond (an MD
    # step then explodes), and PACKMOL's grid of tolerance-sized cells grows as tolerance⁻³:
    # 1e-7 Å overflowed its allocation ("Fortran runtime error: Integer overflow")
    tolerance = check_number("tolerance (Å)", tolerance, minimum=MIN_TOLERANCE)
    # RDKit's random seed is a C int
    seed = check_number("seed", seed, integer=True, minimum=0, maximum=2**31 - 2)
    # a timeout beyond a year was an OverflowError of the subprocess wait; PACKMOL reads nloop
    # as a 32-bit Fortran integer (1e308 failed inside it, after the conformers were built)
    packmol_timeout = check_number("packmol_timeout (s)", packmol_timeout, above=0,
                                   maximum=MAX_PACKMOL_TIMEOUT_S)
    packmol_nloop = check_number("packmol_nloop", packmol_nloop, integer=True, minimum=1,
                                 maximum=2**31 - 1, allow_none=True)
    check_flag("spread_cations", spread_cations)
    # in any case, as the package's other option words ('Boltzmann' was refused)
    from .option_words import choice_word

    conformers = choice_word("conformers", conformers, CONFORMER_MODES)
    temperature_K = _check_conformer_temperature(temperature_K)
    default_temperature = inspect.signature(electrolyte_box).parameters["temperature_K"].default
    if conformers == "lowest" and temperature_K != default_temperature:
        # the temperature weighs the drawn rotamers only: with every molecule its lowest
        # conformer, temperature_K=400 packed the box of 298.15 K without a word (as
        # rotamer_energies without a drawn rotamer is refused)
        raise ValueError(
            f"temperature_K={temperature_K:.10g} has no effect with conformers='lowest': it "
            "weighs the rotamers drawn with conformers='boltzmann' only; leave it out, or "
            "draw rotamers")
    rotamer_species = ([sp for sp in plan if sp.carbonyl_dihedrals]
                       if conformers == "boltzmann" else [])
    for sp in rotamer_species:
        _check_rotamer_species(sp)
    if rotamer_species:
        # 25 meant as °C drew the rotamers of 25 K (all cis) without a word; only where the
        # temperature is used
        warn_implausible(temperature_K=temperature_K)
    given = _check_rotamer_energies(rotamer_energies, rotamer_species)
    measured = {sp: entry for sp in rotamer_species if sp not in given
                for entry in [_rotamer_enthalpies(sp)] if entry is not None}

    mass = sum(sp.mass * n for sp, n in plan.items())  # amu
    if density is None:
        v0 = sum(sp.vdw_volume * n for sp, n in plan.items())
        length = _VDW_BOX_SCALE * v0 ** (1.0 / 3.0)
    else:
        length = (mass / (density * GCM3_TO_AMU_PER_A3)) ** (1.0 / 3.0)
    cells = (length / (1.1 * tolerance)) ** 3  # PACKMOL's cells are 1.1 tolerance wide
    if cells > MAX_PACKMOL_CELLS:
        raise ValueError(
            f"a {length:.4g} Å box at tolerance {tolerance} Å needs {cells:.3g} PACKMOL cells "
            f"(more than {MAX_PACKMOL_CELLS:.0e}, gigabytes of memory); give a higher density "
            "or a larger tolerance"
        )
    if sum(plan.values()) > 1 and tolerance >= length / 2:
        # no two molecules fit: PACKMOL would search until its timeout
        raise ValueError(
            f"tolerance {tolerance} Å is not below half the box edge ({length:.3g} Å); "
            "PACKMOL's usual tolerance is 2 Å"
        )

    for sp in plan:
        _check_stereo_defined(sp)
    # a box PACKMOL cannot pack within the timeout: refused now, not after it (10⁵ molecules)
    _check_packing_time(sum(sp.n_atoms * n for sp, n in plan.items()), packmol_timeout)
    # a missing PACKMOL is named before the conformers, not after them
    exe = packmol_executable()
    # each species' rotamers are embedded and MMFF-optimised once, for the checks and the box
    ensembles, sources, ranges = {}, {}, {}
    for sp in rotamer_species:
        found = _rotamers(sp, seed, _DEFAULT_EMBEDDINGS)
        if sp in given:
            table, sources[sp] = given[sp], dict.fromkeys(given[sp], "given")
        elif sp in measured:
            table, sources[sp] = _measured_energies(found, measured[sp])
        else:
            table, sources[sp] = None, {r[0]: "MMFF94" for r in found}
        ensembles[sp] = _weighted(found, temperature_K, table)
        if sp in measured and table is not None:
            ranges[sp] = _weight_ranges(found, temperature_K, table, measured[sp])
    placed = {sp: [(conformer(sp, seed=seed), n)] for sp, n in plan.items()
              if sp not in ensembles}
    # the draws have their own stream: the cations' regions stay those of conformers="lowest"
    draws = np.random.default_rng([seed, _ROTAMER_STREAM])
    drawn = {sp: draws.multinomial(plan[sp], [r.weight for r in rotamers])
             for sp, rotamers in ensembles.items()}
    for sp, rotamers in ensembles.items():
        placed[sp] = [(r.atoms, int(k)) for r, k in zip(rotamers, drawn[sp], strict=True) if k]
    # the checks see every template placed: a species' drawn rotamers at the largest of them
    templates = {sp: [t for t, _ in placed[sp]] for sp in plan}
    _check_molecules_fit(plan, templates, length, tolerance)
    _check_packable(plan, templates, length, tolerance)
    if spread_cations:
        _check_cation_regions(plan, templates, length, tolerance)
    rng = np.random.default_rng(seed)
    structures = []  # (species, Atoms template, number, region or None)
    # one sub-cube each for every cation, whatever its species and conformer: drawn per
    # species, Li⁺ and Na⁺ of one box shared sub-cubes (4 + 4 cations in 2³ sub-cubes twice
    # over) and a lone cation of a second species was not kept apart at all
    n_cations = _spread_cation_count(plan)
    pool = (iter(_cation_cells(n_cations, rng))
            if spread_cations and n_cations > 1 else None)
    for sp in plan:
        regions = pool if sp.charge > 0 else None
        done = 0  # molecules of sp placed so far
        for template, n in placed[sp]:
            # half of all of sp's molecules mirrored, whatever their rotamers: per rotamer, the
            # odd ones out all unmirrored made 4 R and 2 S of six
            mirrored = (done + n) // 2 - done // 2 if sp.is_racemic else 0
            done += n
            if regions is not None:
                for _ in range(n):
                    structures.append((sp, template, 1, _cation_region(
                        next(regions), n_cations, length, tolerance, len(template) == 1)))
            elif mirrored:
                mirror = template.copy()
                mirror.positions[:, 0] *= -1.0
                if n > mirrored:
                    structures.append((sp, template, n - mirrored, None))
                structures.append((sp, mirror, mirrored, None))
            else:
                structures.append((sp, template, n, None))

    started = time.monotonic()
    positions = _run_packmol(exe, structures, length, tolerance, seed, packmol_timeout,
                             packmol_nloop)
    atoms = _packed_atoms(structures, positions, length)
    _check_own_images(atoms, templates, tolerance)
    _check_packed_distances(atoms, tolerance)
    if _bond_contacts(atoms).size:
        # two molecules within a covalent bond's reach (S···O of FSI⁻ 2.2 Å: tolerance 2 Å,
        # S–O reach 2.31 Å) are one molecule to every bond guess downstream: packed again
        # with each atom kept its bond reach from other molecules' atoms. A box without
        # such a contact is packed once, as it was
        left = packmol_timeout - (time.monotonic() - started)
        # less than PACKMOL's least time for this box: a second run would only be stopped
        if left <= 0 or left < packmol_seconds(len(atoms)):
            raise RuntimeError(
                f"PACKMOL's box holds {_describe_contact(atoms)}; the first packing took "
                f"{packmol_timeout - left:.3g} s of packmol_timeout={packmol_timeout:g} s, "
                f"leaving {max(left, 0.0):.3g} s, less than packing it again (with every atom "
                f"its bond reach from other molecules) takes at least "
                f"({packmol_seconds(len(atoms)):.3g} s): give a longer packmol_timeout")
        try:
            positions = _run_packmol(exe, structures, length, tolerance, seed, left,
                                     packmol_nloop, radii=_bond_radii(tolerance))
        except RuntimeError as err:
            raise RuntimeError(
                f"PACKMOL's box holds {_describe_contact(atoms)}; packing it again with every "
                f"atom its bond reach from other molecules failed: {err}") from None
        atoms = _packed_atoms(structures, positions, length)
        _check_own_images(atoms, templates, tolerance)
        _check_packed_distances(atoms, tolerance)
        if _bond_contacts(atoms).size:
            raise RuntimeError(
                f"PACKMOL's box holds {_describe_contact(atoms)}, packed with every atom its "
                "bond reach from other molecules; give a lower density or a larger tolerance")
    atoms.info["composition"] = {sp.name: n for sp, n in plan.items()}
    if ensembles:
        atoms.info["conformers"] = {
            sp.name: {r.label: {"count": int(k), "delta_e_kcal_mol": r.delta_e,
                                "weight": r.weight, "degeneracy": r.degeneracy,
                                "source": sources[sp][r.label],
                                **({"weight_range": ranges[sp][r.label]} if sp in ranges
                                   else {})}
                      for r, k in zip(rotamers, drawn[sp], strict=True)}
            for sp, rotamers in ensembles.items()}
        atoms.info["conformer_temperature_K"] = temperature_K
        atoms.info["conformer_energies"] = {sp.name: _energies_source(sources[sp])
                                            for sp in ensembles}
    solvent_mass = sum(sp.mass * n for sp, n in plan.items() if sp.charge == 0)
    n_cations = sum(n for sp, n in plan.items() if sp.charge > 0)
    if solvent_mass > 0:
        from .estimate import Estimate

        # exact, as counted_composition's numbers: a bare float was a number without its
        # error or verdict (the one of the box's records that had none)
        atoms.info["cation_molality"] = Estimate(
            1000.0 * n_cations / solvent_mass, 0.0, "mol/kg", COUNTED_METHOD).to_dict()
    # the total cation molality alone said nothing of a box of two salts (counts Li=2, Na=2,
    # PF6=4: 'cation_molality' of both) nor of the mass fractions papers give
    atoms.info["counted_composition"] = _counted_composition(plan)
    if counts is None:
        # whole molecules miss the asked composition (1 mol/L of LiPF6 in EC:DMC 1:1 at 1000
        # atoms packs 1.043 mol/L): only the molality was recorded, so a molar box or the
        # solvent ratio said nothing of what was packed
        atoms.info["packed_composition"] = _packed_record(_packed_composition(
            plan, solvent, salt, concentration, units=units, ratio=ratio, density=density),
            plan)
    return atoms


def _warn_packing_shortfall(plan, solvent, salt, concentration, units, ratio, n_atoms,
                            density):
    """Warn, before any conformer or PACKMOL run, where whole molecules miss the asked
    composition by more than the screening plans' tolerance.

    1 mol/kg LiPF6 in EC:EMC 3:7 at 100 atoms packed 1.44 mol/kg (+44 %) recorded in
    ``info["packed_composition"]`` only, where a screening plan of the same box was marked:
    one rule (:func:`ase_electrolyte.screen.plan.packing_shortfall`, within
    :data:`~ase_electrolyte.screen.plan.PACKING_TOLERANCE`) with the packed numbers and the
    box size that keeps them within it.
    """
    import warnings

    from .screen.plan import packing_shortfall

    composition = {"solvent": dict(solvent), "salt": salt, "concentration": concentration,
                   "units": units, "ratio": ratio}
    text = packing_shortfall(composition, n_atoms, density=density,
                             box={sp.name: n for sp, n in plan.items()})
    if text:
        warnings.warn(f"electrolyte_box: {text}", PackingShortfallWarning, stacklevel=3)


class PackingShortfallWarning(UserWarning):
    """Whole molecules pack a composition farther from the asked one than
    :data:`~ase_electrolyte.screen.plan.PACKING_TOLERANCE` (a salt concentration relatively,
    a solvent share absolutely); the message names the packed numbers and the ``n_atoms``
    that keeps them within it."""


def packed_composition(counts, solvent, salt=None, concentration=0.0, *, units="molal",
                       ratio="mass", density=None):
    """What whole molecules realise of an asked composition, as a box records it.

    The record :func:`electrolyte_box` keeps in ``atoms.info["packed_composition"]``, for
    counts packed elsewhere or planned (the demo's report, a screening plan): the asked salt
    concentration and solvent shares as given values, the packed ones and their deviations as
    exact ratios of the counts, each an :meth:`~ase_electrolyte.estimate.Estimate.to_dict`.

    Parameters
    ----------
    counts : dict
        Species (or library name) -> number of molecules packed.
    solvent, salt, concentration, units, ratio, density
        The asked composition, as for :func:`composition_counts` (mol/kg of solvent with
        ``units="molal"``, mol/L with ``"molar"``; ``density`` in g/cm³, for ``"molar"``
        only).

    Returns
    -------
    dict
        Name -> Estimate dict (``concentration_asked``, ``concentration_packed``,
        ``concentration_deviation``, the shares and ``solvent_share_deviation``).

    Raises
    ------
    ValueError
        A concentration or density :func:`composition_counts` refuses (a density as
        :func:`check_density` refuses it, or given beside a molality, where it has no effect).

    Examples
    --------
    >>> from ase_electrolyte.build import packed_composition
    >>> record = packed_composition({"EC": 10, "Li": 1, "PF6": 1}, {"EC": 1.0}, "LiPF6", 1.0)
    >>> record["concentration_asked"]["given"], round(record["concentration_packed"]["value"], 3)
    (True, 1.136)
    """
    # as composition_counts reads it: a NaN concentration made a record of NaNs, and a salt
    # needs one above 0 (its deviation is relative to it)
    bound = {"above": 0} if salt is not None else {"minimum": 0}
    concentration = check_number("concentration", _concentration_number(concentration, units),
                                 maximum=MAX_CONCENTRATION, **bound)
    # the density converts the packed molecules to mol/L: unchecked, -1 gave a packed
    # concentration of -0.97 mol/L and 1200 (kg/m³) one of 1162 mol/L, each "exact" and valid;
    # beside a molality it changed nothing, as composition_counts says
    density = check_density(density)
    if density is not None and composition_word(units, "units") != "molar":
        raise ValueError(
            f"density={density!r} has no effect with units={units!r}: density converts the "
            "packed molecules to mol/L of solution for units='molar' only; leave it out")
    # text as composition_counts reads it: "EC:3,EMC:7" was iterated letter by letter
    # ("unknown species 'E'")
    solvent = _solvent_shares(solvent)
    plan = {sp: n for sp, n in _read_counts(counts).items() if n}
    net = sum(sp.charge * n for sp, n in plan.items())
    if net:
        # a charged box is no composition of a neutral salt: its cations (2 Li beside one
        # PF6) were read as formula units, 2.27 mol/kg "packed" of a 1.14 mol/kg box
        raise ValueError(f"counts {_counts_text(plan)} have net charge {net:+d} e: an "
                         "electrolyte box is neutral")
    composition = [get_species(k) for k in solvent]
    if salt is not None:
        composition += [get_salt(salt).cation, get_salt(salt).anion]
    foreign = [sp.name for sp in plan if sp not in composition]
    if foreign:
        # 3 EMC beside 10 EC asked as pure EC were solvent in the molality while the shares
        # said 100 % EC: the record described another box than the one counted
        raise ValueError(
            f"counts {_counts_text(plan)} hold {', '.join(foreign)}, which the composition "
            f"(solvent {', '.join(sp.name for sp in composition if not sp.charge)}"
            f"{', salt ' + get_salt(salt).name if salt is not None else ''}) does not: the "
            "record compares the counts with the composition they were packed for")
    return _packed_record(_packed_composition(plan, solvent, salt, concentration, units=units,
                                              ratio=ratio, density=density), plan)


def _counts_text(plan):
    """``{name: count}`` of ``{Species: count}``, as the messages show counts."""
    return str({sp.name: n for sp, n in plan.items()})


def _packed_record(packed, plan):
    """:func:`_packed_composition`'s numbers as ``info["packed_composition"]`` keeps them: each
    the :meth:`~ase_electrolyte.estimate.Estimate.to_dict` form of an Estimate, as
    ``counted_composition``'s.

    The asked numbers are given (:meth:`~ase_electrolyte.estimate.Estimate.given_value`), the
    packed ones and their deviations exact ratios of the counts (:data:`COUNTED_METHOD`):
    bare floats beside the Estimates of the other records were numbers without an error or a
    verdict, and an asked value read as a measured one. Solvent shares by volume are the
    exception: the packed molecules' volumes as pure liquids depend on the measured densities
    of :data:`~ase_electrolyte.species.LIQUID_DENSITIES`, whose standard uncertainties are
    propagated (first order) to the packed shares and the largest deviation.
    """
    from .estimate import METHODS, Estimate

    def exact(value, unit):
        return Estimate(value, 0.0, unit, COUNTED_METHOD).to_dict()

    def given(value, unit, source):
        return Estimate.given_value(value, unit, source=source).to_dict()

    names = list(packed["solvent_shares_packed"])
    shares = np.array([packed["solvent_shares_packed"][n] for n in names])
    errors = np.zeros(len(names))
    if packed["ratio"] == "volume" and len(names) > 1:
        from .species import _liquid_density

        by_name = {sp.name: sp for sp in plan}
        records = [_liquid_density(by_name[n]) for n in names]
        rho = np.array([r.value_g_cm3 for r in records])
        sigma = np.array([r.error_g_cm3 for r in records])
        # share_i = v_i / V, v_j = n_j m_j / rho_j: d share_i / d rho_j = -(delta_ij - share_i)
        # share_j / rho_j
        jacobian = -(np.eye(len(names)) - shares[:, None]) * (shares / rho)[None, :]
        errors = np.sqrt((jacobian * sigma[None, :]) ** 2 @ np.ones(len(names)))

    def share(k):
        if not errors[k]:
            return exact(float(shares[k]), "1")
        return Estimate(float(shares[k]), float(errors[k]), "1", METHODS["propagated"]
                        + ": the measured densities of the pure liquids (LIQUID_DENSITIES)"
                        ).to_dict()

    asked = packed["solvent_shares_asked"]
    worst = int(np.argmax([abs(shares[k] - asked[n]) for k, n in enumerate(names)]))
    deviation = packed["solvent_share_deviation"]
    unit = packed["units"]
    return {
        "units": unit,
        "concentration_asked": given(packed["concentration_asked"], unit, "concentration="),
        "concentration_packed": exact(packed["concentration_packed"], unit),
        "concentration_deviation": exact(packed["concentration_deviation"], "1"),
        "ratio": packed["ratio"],
        "solvent_shares_asked": {n: given(v, "1", "solvent= shares, normalised")
                                 for n, v in asked.items()},
        "solvent_shares_packed": {n: share(k) for k, n in enumerate(names)},
        # the largest difference moves with the share it is of
        "solvent_share_deviation": (exact(deviation, "1") if not errors[worst] else Estimate(
            deviation, float(errors[worst]), "1", METHODS["propagated"]
            + ": the measured densities of the pure liquids (LIQUID_DENSITIES)").to_dict()),
    }


def _counted_composition(plan):
    """The composition whole molecules make, per ion and per species: exact numbers, each with
    its unit, error and verdict.

    Parameters
    ----------
    plan : dict
        ``{Species: molecules}`` of a box.

    Returns
    -------
    dict
        ``"ion_molality"``: ``{ion: molality}``, mol per kg of the neutral species (each ion
        of a box of several salts; ``{}`` without ions or without solvent);
        ``"mass_fractions"``: ``{species: g per g of the box}`` (unit ``"1"``), summing to 1.
        Each number is the :meth:`~ase_electrolyte.estimate.Estimate.to_dict` form of an
        :class:`~ase_electrolyte.estimate.Estimate` with error 0 and the method
        :data:`COUNTED_METHOD` (ratios of whole-molecule counts and molar masses, no sampled
        quantity): the form JSON and an extxyz file keep (ASE's extxyz writer drops an
        Estimate object from ``info``). :meth:`~ase_electrolyte.estimate.Estimate.from_dict`
        gives the Estimate back, to convert (``.to("mmol/g")``). What the counts miss of an
        asked composition is in ``packed_composition``.

    Examples
    --------
    >>> from ase_electrolyte.build import _counted_composition
    >>> from ase_electrolyte.estimate import Estimate
    >>> from ase_electrolyte.species import get_species
    >>> c = _counted_composition({get_species(k): n for k, n in
    ...                           {"EC": 30, "Li": 2, "Na": 1, "PF6": 3}.items()})
    >>> print(Estimate.from_dict(c["ion_molality"]["Li"]).to("mmol/g"))
    0.757042 ± 0 mmol/g (valid)
    """
    from .estimate import Estimate

    def exact(value, unit):
        return Estimate(value, 0.0, unit, COUNTED_METHOD).to_dict()

    solvent_g = sum(sp.mass * n for sp, n in plan.items() if sp.charge == 0)
    total_g = sum(sp.mass * n for sp, n in plan.items())
    return {
        "ion_molality": ({sp.name: exact(1000.0 * n / solvent_g, "mol/kg")
                          for sp, n in plan.items() if sp.charge != 0 and n}
                         if solvent_g > 0 else {}),
        "mass_fractions": ({sp.name: exact(sp.mass * n / total_g, "1")
                            for sp, n in plan.items() if n} if total_g > 0 else {}),
    }


#: The method of :func:`_counted_composition`'s numbers: exact, no error bar to estimate.
COUNTED_METHOD = ("exact: a ratio of whole-molecule counts and molar masses (no sampled "
                  "quantity, no error)")


def _salt_concentration(plan, stoichiometry, units, density):
    """Concentration of a salt in ``plan`` (``{Species: count}``): mol/kg of solvent, or mol/L
    of the box at ``density`` g/cm³ (NaN without one); formula units from the cations."""
    solvent_g = sum(sp.mass * n for sp, n in plan.items() if sp.charge == 0)
    total_g = sum(sp.mass * n for sp, n in plan.items())
    formula_units = sum(n for sp, n in plan.items() if sp.charge > 0) / stoichiometry[0]
    if units == "molal":
        return 1000.0 * formula_units / solvent_g  # masses in g/mol
    if density is None:
        return math.nan
    # the inverse of composition_counts' conversion of mol/L to molecules
    return 1000.0 * density * formula_units / total_g


def _packed_composition(counts, solvent, salt=None, concentration=0.0, *, units="molal",
                       ratio="mass", density=None):
    """What whole molecules realise of an asked composition: the salt concentration and the
    solvent shares packed, beside those asked, with their deviations.

    Parameters
    ----------
    counts : dict
        ``{species name or Species: molecules}``, as :func:`composition_counts` returns.
    solvent, salt, concentration, units, ratio, density
        The composition asked, as given to :func:`composition_counts` (``density`` in g/cm³:
        the box's, needed for a molar concentration).

    Returns
    -------
    dict
        ``"units"`` (``"mol/kg"`` or ``"mol/L"``), ``"concentration_asked"``,
        ``"concentration_packed"`` and ``"concentration_deviation"`` (packed/asked - 1; 0 for a
        pure solvent), ``"ratio"`` (``"mass"``, ``"mole"`` or ``"volume"``),
        ``"solvent_shares_asked"`` and ``"solvent_shares_packed"`` (``{name: fraction}``,
        summing to 1) and ``"solvent_share_deviation"`` (the largest absolute difference of a
        fraction).

    Raises
    ------
    ValueError
        Counts without a solvent of the composition, or a molar concentration without a
        density. The composition itself is :func:`composition_counts`' to check.

    Examples
    --------
    >>> from ase_electrolyte.build import _packed_composition, composition_counts
    >>> c = composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0, n_atoms=100)
    >>> p = _packed_composition(c, {"EC": 3, "EMC": 7}, "LiPF6", 1.0)
    >>> round(p["concentration_packed"], 2), p["solvent_shares_packed"]["EC"] > 0
    (1.44, True)
    """
    # the composition was checked by composition_counts, which made the counts: checked again
    # here, its warnings (an implausible density) were given twice
    plan = {}
    for key, n in counts.items():
        sp = get_species(key)
        plan[sp] = plan.get(sp, 0) + check_number(f"count of {sp.name}", n, integer=True,
                                                  minimum=0)
    solvents = [get_species(k) for k in solvent]
    missing = [sp.name for sp in solvents if not plan.get(sp)]
    if missing:
        raise ValueError(f"counts {dict(counts)} hold no {', '.join(missing)} of the solvent "
                         f"{dict(solvent)}")
    units = composition_word(units, "units")
    ratio = composition_word(ratio, "ratio")
    # in g/cm³: float() of an Estimate in kg/m³ (which check_density converts) made
    # electrolyte_box's shortfall warning say 924 mol/L packed for 0.924 (+92309 %)
    density = check_density(density)
    if salt is not None and units == "molar" and density is None:
        raise ValueError("a molar concentration of the box needs its density (g/cm³)")
    shares = np.array([float(v) for v in solvent.values()])
    shares = shares / shares.max()  # as composition_counts: only the proportions count
    asked = shares / shares.sum()
    amounts = (np.array([plan[sp] for sp in solvents], dtype=float)
               * _share_per_molecule(solvents, ratio))
    packed = amounts / amounts.sum()
    if salt is None:
        conc, deviation = 0.0, 0.0
    else:
        conc = _salt_concentration(plan, get_salt(salt).stoichiometry, units, density)
        deviation = conc / float(concentration) - 1.0
    return {
        "units": "mol/kg" if units == "molal" else "mol/L",
        "concentration_asked": float(concentration),
        "concentration_packed": float(conc),
        "concentration_deviation": float(deviation),
        "ratio": ratio,
        "solvent_shares_asked": {sp.name: float(f) for sp, f in zip(solvents, asked,
                                                                    strict=True)},
        "solvent_shares_packed": {sp.name: float(f) for sp, f in zip(solvents, packed,
                                                                     strict=True)},
        "solvent_share_deviation": float(np.abs(packed - asked).max()),
    }


def _same_value(value, default):
    """Whether an argument is its default (``1000.0`` is ``1000``; an array is not)."""
    try:
        return bool(value == default) and type(value) is not bool
    except (TypeError, ValueError):
        return False


#: Å beyond the bond reach at which a repacked box keeps atoms of different molecules:
#: PACKMOL's "Success!" leaves pairs up to about 0.05 Å inside its distances.
BOND_REACH_MARGIN = 0.1


def _molecules_bond_reach():
    """:func:`mda_electrolyte.molecules.bond_reach`: the reach of the bond guess downstream."""
    from mda_electrolyte.molecules import bond_reach

    return bond_reach()


def _bond_radii(tolerance):
    """PACKMOL radius (Å) per atomic number for a repacking in which no atom comes within the
    bond reach of another molecule's: PACKMOL keeps ``r_i + r_j`` between them."""
    return np.maximum(tolerance / 2.0, _molecules_bond_reach() + BOND_REACH_MARGIN / 2.0)


def _bond_contacts(atoms):
    """``(n, 2)`` atom pairs of different molecules of ``atoms`` that the covalent bond guess
    bonds (:func:`mda_electrolyte.molecules.covalent_bonds`), closest first."""
    from mda_electrolyte.molecules import covalent_bonds

    bonds = covalent_bonds(atoms)
    molecule = atoms.arrays[MOLECULE_INDEX]
    inter = bonds[molecule[bonds[:, 0]] != molecule[bonds[:, 1]]]
    d = atoms.get_distances(inter[:, 0], inter[:, 1], mic=True) if len(inter) else []
    return inter[np.argsort(d, kind="stable")]


def _describe_contact(atoms):
    """The closest pair of :func:`_bond_contacts`, in words."""
    pairs = _bond_contacts(atoms)
    i, j = (int(x) for x in pairs[0])
    reach = _molecules_bond_reach()
    molecule, names = atoms.arrays[MOLECULE_INDEX], atoms.arrays[SPECIES]
    return (
        f"{len(pairs)} pair(s) of atoms of different molecules within a covalent bond's reach, "
        f"which a bond guess would join into one molecule: the closest, {atoms[i].symbol} "
        f"{i} of {names[i]} {molecule[i]} and {atoms[j].symbol} {j} of {names[j]} "
        f"{molecule[j]}, {atoms.get_distance(i, j, mic=True):.2f} Å apart (reach "
        f"{reach[atoms.numbers[i]] + reach[atoms.numbers[j]]:.2f} Å)"
    )


def excluded_volume(positions, radius):
    """Volume (Å³) of the union of spheres of ``radius`` Å around ``positions`` (Å).

    The space one molecule keeps for itself in a PACKMOL box of tolerance ``2 · radius``: atoms of
    different molecules stay ``tolerance`` apart, so these unions of different molecules do not
    overlap. Each sphere counts the points of a fixed grid (24 per diameter, about 7200 points)
    outside the spheres of the atoms before it; within 1 % of the exact volume. Only the points
    in the caps that earlier atoms' spheres reach are measured (the count is that of the full
    grid), and the volumes of the last 256 distinct molecules of up to 1000 atoms are kept by
    their exact positions and radius.

    Parameters
    ----------
    positions : array_like, shape (n, 3)
        Atom positions, Å.
    radius : float
        Sphere radius, Å (> 0).

    Returns
    -------
    float
        Å³.

    Raises
    ------
    ValueError
        A radius that is no number > 0; positions of another shape than (n, 3); a position
        that is NaN or infinite; a position or radius beyond
        :data:`~ase_electrolyte.atoms_checks.MAX_COORDINATE`.

    Examples
    --------
    >>> import numpy as np
    >>> from ase_electrolyte.build import excluded_volume
    >>> round(excluded_volume([[0, 0, 0]], 1.0) / (4 / 3 * np.pi), 2)  # one unit sphere
    1.0
    """
    from .atoms_checks import MAX_COORDINATE

    positions = np.asarray(positions, dtype=float)
    if positions.size == 0:
        positions = positions.reshape(0, 3)
    if positions.ndim != 2 or positions.shape[1] != 3:
        # reshaped to (-1, 3), a (3, 2) array was taken as two atoms of other coordinates
        raise ValueError(f"positions must have shape (n, 3) (Å), not {positions.shape}")
    radius = check_number("radius (Å)", radius, above=0)
    if not np.all(np.isfinite(positions)):
        # a NaN atom overlaps nothing: its ball would be counted whole
        bad = int(np.flatnonzero(~np.all(np.isfinite(positions), axis=1))[0])
        raise ValueError(f"positions: atom {bad} is at {positions[bad].tolist()} Å; positions "
                         "must be finite")
    far = np.abs(positions).max(initial=0.0)
    if far > MAX_COORDINATE or radius > MAX_COORDINATE:
        # 1e200 Å overflowed inside scipy's k-d tree ("The value of p too large")
        raise ValueError(f"positions up to {far:.3g} Å and radius {radius:.3g} Å: beyond "
                         f"{MAX_COORDINATE:.0e} Å no molecule lies (positions in Å?)")
    return _cached_volume(_excluded_volume, positions, radius)


# distinct (positions, radius) whose volumes are kept: a screening plan checks every task's
# conformers, and those of rigid ions (Li⁺, PF6⁻) are the same bytes for every seed
_VOLUME_CACHE_SIZE = 256
_VOLUME_CACHE_ATOMS = 1000
# a point this far (Å) beyond a test that excludes it stays excluded whatever the rounding
_VOLUME_MARGIN = 1e-6


@functools.lru_cache(maxsize=_VOLUME_CACHE_SIZE)
def _volume_of(kind, data, radius):
    return kind(np.frombuffer(data, dtype=float).reshape(-1, 3), radius)


def _cached_volume(kind, positions, radius):
    """``kind(positions, radius)``, computed once per exact positions and radius (molecules of
    at most :data:`_VOLUME_CACHE_ATOMS` atoms: the cache holds a few MB at most)."""
    if len(positions) > _VOLUME_CACHE_ATOMS:
        return kind(positions, float(radius))
    return _volume_of(kind, np.ascontiguousarray(positions, dtype=float).tobytes(),
                      float(radius))


def _excluded_volume(positions, radius):
    from scipy.spatial import cKDTree

    points = radius * _UNIT_BALL
    ball = 4.0 / 3.0 * math.pi * radius**3
    # atoms within 2 radius of an earlier one, by the same test as each atom's own: the tree's
    # reach a little longer so that its rounding loses none
    pairs = cKDTree(positions).query_pairs(2.0 * radius * (1.0 + 1e-9) + _VOLUME_MARGIN,
                                           output_type="ndarray")
    earlier = {}
    for j, i in pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))] if len(pairs) else ():
        earlier.setdefault(int(i), []).append(int(j))
    volume = 0.0
    for i, centre in enumerate(positions):
        before = positions[earlier.get(i, [])]
        before = before[np.linalg.norm(before - centre, axis=1) < 2.0 * radius]
        if len(before) == 0:
            volume += ball
            continue
        # a grid point can lie in the sphere of an earlier atom only within its cap beyond the
        # plane at (distance - radius) from the centre: the points outside every cap count as
        # outside without their distances, and those of the rest are the very sums of the
        # full grid's
        inside = np.zeros(len(points), dtype=bool)
        for other in before:
            offset = other - centre
            distance = float(np.linalg.norm(offset))
            if distance == 0.0:
                near = np.arange(len(points))  # an atom at the very centre has no cap
            else:
                near = np.flatnonzero(points @ (offset / distance)
                                      >= distance - radius - _VOLUME_MARGIN)
            d2 = np.sum((centre + points[near] - other) ** 2, axis=-1)
            inside[near[d2 < radius**2]] = True
        volume += ball * ((len(points) - int(np.count_nonzero(inside))) / len(points))
    return volume


def _unit_ball(n=24):
    grid = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    points = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), axis=-1).reshape(-1, 3)
    return points[np.einsum("ij,ij->i", points, points) <= 1.0]


_UNIT_BALL = _unit_ball()


#: Highest box density (g/cm³) accepted: denser than any liquid, and the sign of another unit.
MAX_DENSITY = 10.0
#: Lowest box density (g/cm³) accepted: about a tenth of hydrogen gas at 1 bar and 300 K
#: (8.1·10⁻⁵ g/cm³), the thinnest gas there is. A box packed thinner holds molecules more than
#: 100 Å apart, no phase an interatomic potential is run on, and PACKMOL's cells outgrow any
#: memory; 1e-320 made a box of infinite edge. Gases down to it are packed with
#: :func:`~ase_electrolyte.units.warn_implausible`'s doubt.
MIN_DENSITY = 1.0e-5


def check_density(density, name="density (g/cm³)", allow_none=True):
    """``density`` in g/cm³ as a float (or None), or :class:`ValueError` naming it.

    A number above :data:`MAX_DENSITY` is refused naming the unit it was most likely given in:
    a liquid's 1200 kg/m³ is 1.2 g/cm³ (the bound alone told the user "must be <= 10" and left
    them to guess, while :func:`~ase_electrolyte.units.warn_implausible`'s kg/m³ doubt came only
    for values under the bound). A number below :data:`MIN_DENSITY` is refused as well, before
    any conformer or packing: ``1e-320`` had passed, to a warning and "a inf Å box needs inf
    PACKMOL cells". :func:`electrolyte_box`, :func:`composition_counts`, screening plans and
    ``electrolyte simulate --density`` check a density with it.

    Parameters
    ----------
    density : float, Estimate or None
        Mass density in g/cm³ (an :class:`~ase_electrolyte.estimate.Estimate`, such as
        :func:`estimate_density` gives: its value, in g/cm³).
    name : str
        The argument, as the message shows it.
    allow_none : bool
        Whether ``None`` (no density given) is accepted.

    Returns
    -------
    float or None

    Raises
    ------
    ValueError
        Not a finite number in ``[MIN_DENSITY, MAX_DENSITY]`` (10⁻⁵–10 g/cm³); a value
        between 300 and 5000 is told its reading in kg/m³, one below 10⁻⁵ the units it may
        have been given in; an Estimate that is not valid (:func:`estimate_density`'s for a
        salt without a measured volume in solution), naming its verdict.

    Examples
    --------
    >>> from ase_electrolyte.build import check_density
    >>> check_density(1.2)
    1.2
    >>> try:
    ...     check_density(1200)
    ... except ValueError as err:
    ...     print(str(err).split(": ", 1)[1])
    is it in kg/m³? 1200 kg/m³ = 1.2 g/cm³; pass 1.2
    """
    from .estimate import Estimate

    if isinstance(density, Estimate):
        if not density.valid:
            # estimate_density marks the density of a salt without a measured volume in
            # solution not valid ("likely low, by as much as 16 %"): its value was taken as it
            # was, setting the box and the molecules of a mol/L composition without a word, as
            # a not-valid concentration Estimate is refused (_concentration_number)
            raise ValueError(
                f"{name}: {density} is not valid ({density.verdict}); give a measured density "
                "of the solution in g/cm³, or the estimate's .value to start from it as it is")
        # estimate_density's Estimate is a density to start a box from: its
        # value in g/cm³ (an estimate in kg/m³ is converted, not refused as 1000 times denser)
        try:
            density = density.to("g/cm^3").value
        except ValueError as err:
            raise ValueError(f"{name}: {err}; give a density") from None
    try:
        density = check_number(name, density, above=0, maximum=MAX_DENSITY,
                               allow_none=allow_none)
    except ValueError as err:
        # a 0-d array is the number check_number takes it for (np.array(1200) is 1200)
        given = density.item() if isinstance(density, np.ndarray) and density.ndim == 0 \
            else density
        if isinstance(given, (bool, np.bool_)) or not isinstance(given, (int, float, np.number)):
            raise err from None
        value = float(given)
        # a liquid's density read as kg/m³ (warn_implausible's plausible 0.3–5 g/cm³)
        if 300.0 <= value <= 5000.0:
            raise ValueError(
                f"{name} = {value:g} is denser than any liquid (at most {MAX_DENSITY:g} g/cm³): "
                f"is it in kg/m³? {value:g} kg/m³ = {value / 1000:g} g/cm³; pass "
                f"{value / 1000:g}") from None
        raise err from None
    if density is not None and density < MIN_DENSITY:
        # 1 g/cm³ is 10⁻³ kg/cm³ and 10⁻²⁴ g/Å³: which unit it was only the user knows
        raise ValueError(
            f"{name} = {density!r} is thinner than any gas (at least {MIN_DENSITY:g} g/cm³, "
            "about a tenth of hydrogen at 1 bar; a liquid electrolyte's 0.7–2 g/cm³): is it "
            "in another unit? give g/cm³ (1 g/cm³ = 1 g/mL = 10⁻²⁴ g/Å³ = 1000 kg/m³)")
    return density


def _check_packable_at(plan, density, templates, seed=0):
    """:func:`_check_packable` for ``plan`` at ``density`` g/cm³ and the default tolerance.

    For checks made before :func:`electrolyte_box` runs (a screening plan): ``templates`` is a
    dict of conformers by species, filled here as needed and kept by the caller for the next
    composition. A species with rotamers is checked at the largest of them, as the box's
    default ``conformers="boltzmann"`` does (a species MMFF94 cannot weigh is refused, as the
    box would refuse it).
    """
    tolerance = inspect.signature(electrolyte_box).parameters["tolerance"].default
    for sp in plan:
        if sp not in templates:
            _check_stereo_defined(sp)
            if sp.carbonyl_dihedrals:
                _check_rotamer_species(sp)
                templates[sp] = [r[1] for r in _rotamers(sp, seed, _DEFAULT_EMBEDDINGS)]
            else:
                templates[sp] = conformer(sp, seed=seed)
    mass = sum(sp.mass * n for sp, n in plan.items())
    length = (mass / (density * GCM3_TO_AMU_PER_A3)) ** (1.0 / 3.0)
    _check_packable(plan, templates, length, tolerance)


def _default_packmol_timeout():
    """The ``packmol_timeout`` (s) :func:`electrolyte_box` uses when none is given."""
    return inspect.signature(electrolyte_box).parameters["packmol_timeout"].default


def _check_packable(plan, templates, length, tolerance):
    """Refuse a box too small for its molecules at this tolerance, before PACKMOL searches.

    Each molecule keeps the convex hull of the spheres of radius ``tolerance/2`` around its
    atoms (:func:`_hull_volume`) nearly to itself: PACKMOL packs these hulls at most to
    :func:`_packing_limit` of the box (measured); a denser request is refused with its numbers
    instead of PACKMOL searching until ``packmol_timeout``. ``templates`` maps each species
    to its conformer, or to the list of conformers its molecules may take (rotamers): every
    molecule is counted at the largest need among them, whichever a seed draws.
    """
    if sum(plan.values()) < 2:
        return  # one molecule: only its own images, checked after packing
    own = need = 0.0
    for sp, n in plan.items():
        largest = (0.0, 0.0)  # (need, hull) of one molecule
        for template in _template_list(templates[sp]):
            hull = _hull_volume(template.positions, tolerance / 2.0)
            one = hull / _packing_limit(
                excluded_volume(template.positions, tolerance / 2.0) / hull)
            largest = max(largest, (one, hull))
        need += largest[0] * n
        own += largest[1] * n
    box = length**3
    if need > box:
        mass = sum(sp.mass * n for sp, n in plan.items())
        raise ValueError(
            f"the {sum(plan.values())} molecules cannot be packed at "
            f"{mass / box / GCM3_TO_AMU_PER_A3:.3g} g/cm³ with {tolerance} Å between molecules: "
            f"they need at least {need:.4g} Å³ (the {own:.4g} Å³ of the convex hulls of their "
            f"atoms' {tolerance / 2:g} Å spheres at a packing fraction of at most "
            f"{own / need:.3g}), the {length:.4g} Å box has {box:.4g} Å³; give a lower "
            f"density (at most {_floor3(mass / need / GCM3_TO_AMU_PER_A3):g} g/cm³) or a smaller "
            "tolerance"
        )


def _template_list(templates):
    """A species' conformers as a list: one Atoms, or the list of its rotamers."""
    return [templates] if isinstance(templates, Atoms) else list(templates)


def _packing_limit(filled):
    """Largest packing fraction of hulls whose spheres fill ``filled`` (0-1) of them.

    :data:`MAX_PACKING_FRACTION` up to :data:`HOLLOW_MOLECULE`, then linearly down to
    :data:`SPHERE_PACKING_FRACTION` for a sphere (``filled`` = 1).
    """
    t = min(max((filled - HOLLOW_MOLECULE) / (1.0 - HOLLOW_MOLECULE), 0.0), 1.0)
    return MAX_PACKING_FRACTION + t * (SPHERE_PACKING_FRACTION - MAX_PACKING_FRACTION)


def _hull_volume(positions, radius):
    """Volume (Å³) of the convex hull of the spheres of ``radius`` Å around ``positions`` (Å).

    Each sphere is sampled by 400 points of a Fibonacci lattice (the hull is within 2 % of the
    exact one, slightly inside it).
    """
    positions = np.asarray(positions, dtype=float).reshape(-1, 3)
    return _cached_volume(_hull_volume_of, positions, radius)


def _hull_volume_of(positions, radius):
    from scipy.spatial import ConvexHull

    points = (positions[:, None, :] + radius * _SPHERE_POINTS[None]).reshape(-1, 3)
    return float(ConvexHull(points).volume)


def _sphere_points(n=400):
    k = np.arange(n) + 0.5
    polar = np.arccos(1.0 - 2.0 * k / n)
    azimuth = math.pi * (1.0 + 5.0**0.5) * k
    return np.stack([np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar),
                     np.cos(polar)], axis=1)


_SPHERE_POINTS = _sphere_points()


def packmol_seconds(n_atoms):
    """The least time (s) PACKMOL is expected to take for a box of ``n_atoms`` atoms.

    ``PACKMOL_REFERENCE_SECONDS · (n_atoms / PACKMOL_REFERENCE_ATOMS) ** PACKMOL_TIME_EXPONENT``,
    from PACKMOL runs of 1 000 to 30 000 atoms (EC near its liquid density), scaled to a fast,
    idle machine: a box predicted to take longer than ``packmol_timeout`` would surely be stopped.

    Parameters
    ----------
    n_atoms : int
        0 to :data:`MAX_ATOMS`.

    Returns
    -------
    float
        Seconds.

    Examples
    --------
    >>> from ase_electrolyte.build import packmol_seconds
    >>> round(packmol_seconds(30_000))
    50
    """
    n_atoms = check_number("n_atoms", n_atoms, minimum=0, maximum=MAX_ATOMS)
    return PACKMOL_REFERENCE_SECONDS * (n_atoms / PACKMOL_REFERENCE_ATOMS) ** PACKMOL_TIME_EXPONENT


def _largest_packable(timeout):
    """Most atoms :func:`packmol_seconds` allows within ``timeout`` s."""
    return int(PACKMOL_REFERENCE_ATOMS
               * (timeout / PACKMOL_REFERENCE_SECONDS) ** (1.0 / PACKMOL_TIME_EXPONENT))


def _check_packing_time(n_atoms, timeout):
    """Refuse a box PACKMOL cannot pack within ``timeout`` s (:func:`packmol_seconds`)."""
    expected = packmol_seconds(n_atoms)
    if expected > timeout:
        most = _largest_packable(timeout)
        copies = math.ceil((n_atoms / most) ** (1.0 / 3.0)) if most else 0
        hint = (f"pack a box of at most {most} atoms and replicate it with "
                f"replicate_box(atoms, ({copies}, {copies}, {copies})), or " if most else "")
        raise ValueError(
            f"{n_atoms} atoms would take PACKMOL at least {expected:.3g} s (measured: "
            f"{PACKMOL_REFERENCE_SECONDS:g} s for {PACKMOL_REFERENCE_ATOMS} atoms, growing as "
            f"atoms^{PACKMOL_TIME_EXPONENT}), more than packmol_timeout={timeout:g} s; {hint}"
            "give a longer packmol_timeout"
        )


def _topology_composition(atoms, ids, topology):
    """``{species: molecules}`` of a box by its topology arrays (molecule ``ids`` numbered by
    first appearance), in order of first appearance; ValueError for a molecule whose atoms
    are not those of its library species (a piece of a molecule, cut from a box)."""
    names = topology[SPECIES]
    held, known = {}, {}
    for m in range(int(ids.max()) + 1 if ids.size else 0):
        where = np.flatnonzero(ids == m)
        name = str(names[where[0]])
        held[name] = held.get(name, 0) + 1
        if name not in known:
            try:
                known[name] = sorted(get_species(name).symbols)
            except (KeyError, ValueError):
                known[name] = None
        mine = sorted(atoms.symbols[where])
        if known[name] is not None and mine != known[name]:
            raise ValueError(
                f"replicate_box: molecule {m} ({name}) holds {len(mine)} atoms "
                f"({hill_formula(mine)}), not those of {name} ({hill_formula(known[name])}): a "
                "piece of a molecule (atoms cut from a box?); repeat whole molecules only"
            )
    return held


def replicate_box(atoms, repeats, *, seed=0):
    """``atoms`` repeated ``repeats`` times along its cell vectors, molecules numbered anew.

    For boxes too large for PACKMOL (:func:`packmol_seconds`): pack a small box and replicate it.
    Unlike :meth:`ase.Atoms.repeat`, which copies ``molecule_index`` (every copy of a molecule
    would then be one molecule), each copy's molecules get their own indices, and
    ``info["composition"]`` is multiplied. The molecules of a box with the topology arrays are
    made whole first (a frame wrapped into the cell, its molecules cut by the faces, gave
    copies whose indices held pieces of several molecules); positions of whole molecules are
    repeated as they are. ``atoms`` is not changed. With the topology arrays the composition
    is that of the molecules the box holds: an ``info["composition"]`` that differs (a box cut
    from a packed one) is replaced, and the records of the packed box (``conformers``,
    ``packed_composition``, ``cation_molality``, ``counted_composition``) are dropped.

    A box that moves (a frame of a run) does not give its velocities to every copy: copied,
    each copy of an atom had its velocity, and as the copies see the same forces (periodic
    images of one another) they moved in step under deterministic MD (NVE, Nosé–Hoover,
    Bussi; :func:`~ase_electrolyte.md.run_md` keeps given velocities), a large box with the
    statistics of the small one. The repeated box's velocities are drawn anew
    (Maxwell–Boltzmann, seeded), then shifted and scaled so that its kinetic energy and
    momentum are those of the copies together: the box's kinetic temperature and drift are
    kept, the copies move independently. A box at rest stays at rest.

    What ``info`` and the per-atom arrays held of a calculation of the box (labels named
    for an energy, forces, stress, virial, dipole or Hessian, with any prefix or suffix:
    ``energy``, ``REF_energy``, ``REF_forces``, ``REF_stress``, as extxyz training sets hold
    them) is dropped, as :meth:`ase.Atoms.repeat` drops the calculator and its results: the
    repeated box was never computed (its energy is the copies' sum only for a reference of
    the same k-point sampling per copy, which no label records), and a small box's energy
    beside the large box's atoms was wrong by the factor of copies. The net charge
    ``info["charge"]`` (ASE's convention, e) is extensive and multiplied, as the
    ``formal_charge`` array's sum is (kept unchanged, the two declarations disagreed and the
    box was refused by every calculator); a spin multiplicity ``info["spin"]`` other than 1
    is refused, the copies' together not being set by one's. The frame's place in its run
    (:data:`RUN_RECORDS`: ``step``, ``time_ps``, ``timestep``) is dropped from a box of
    several copies, a new system at no step of that run. Other entries are kept as they are.

    Parameters
    ----------
    atoms : ase.Atoms
        A periodic box with the topology arrays (:mod:`ase_electrolyte.topology`).
    repeats : int or tuple of 3 int
        Copies along each cell vector (each at least 1).
    seed : int or None, optional
        Seed of the velocities drawn for a box that moves (unused for a box at rest); None
        draws from fresh entropy.

    Returns
    -------
    ase.Atoms

    Raises
    ------
    ValueError
        Repeats that are not whole numbers >= 1, a seed that is no whole number >= 0,
        momenta that are not finite, an ``info["charge"]`` that is no number or an
        ``info["spin"]`` other than 1, more than :data:`MAX_ATOMS` atoms, a box not
        periodic in three directions, molecules that cannot be made whole, or a molecule whose
        atoms are not those of its library species (a piece of a molecule).

    Examples
    --------
    >>> from ase_electrolyte.build import replicate_box
    >>> from ase_electrolyte import electrolyte_box
    >>> big = replicate_box(electrolyte_box(counts={"EC": 4}, seed=0), 2)
    >>> big.info["composition"], int(big.arrays["molecule_index"].max())
    ({'EC': 32}, 31)
    """
    from ase import Atoms as _Atoms

    from .topology import get_topology

    if not isinstance(atoms, _Atoms):
        raise ValueError(f"replicate_box needs an ase.Atoms, not {type(atoms).__name__}")
    reps = (repeats,) * 3 if np.ndim(repeats) == 0 else tuple(repeats)
    if len(reps) != 3:
        raise ValueError(f"repeats must be one count or three, not {repeats!r}")
    reps = tuple(check_number("repeats", r, integer=True, minimum=1, maximum=MAX_ATOMS)
                 for r in reps)
    if len(atoms) * math.prod(reps) > MAX_ATOMS:
        raise ValueError(f"{len(atoms)} atoms repeated {reps} make more than {MAX_ATOMS} atoms")
    if not np.all(atoms.pbc) or atoms.cell.rank < 3:
        raise ValueError("replicate_box needs a periodic box with three cell vectors")
    if seed is not None:
        seed = check_number("seed", seed, integer=True, minimum=0)
    momenta = atoms.get_momenta()
    if not np.all(np.isfinite(momenta)):
        bad = np.flatnonzero(~np.isfinite(momenta).all(axis=1))
        raise ValueError(f"replicate_box: the momenta of atoms {bad[:5].tolist()} are not "
                         "finite")
    topology = get_topology(atoms)
    source = atoms
    if topology is not None:
        # a wrapped box (a frame of a run, molecules cut by the faces) repeated as it is put
        # the atoms of a cut molecule in different copies: its copy's index held several
        # pieces, refused later with a hint about joining boxes. Whole molecules first.
        from mda_electrolyte.molecules import check_whole, first_appearance, make_whole

        ids = first_appearance(topology[MOLECULE_INDEX])
        try:
            whole = make_whole(atoms.positions, ids, atoms.cell.array)
            check_whole(whole, ids, atoms.cell.array, atoms.numbers)
        except ValueError as err:
            raise ValueError(f"replicate_box: the molecules of the box cannot be made whole "
                             f"before repeating it: {err}") from None
        source = atoms.copy()
        source.positions = whole
    out = source.repeat(reps)
    # ase copies info shallowly: the copies' nested dicts (conformer_energies, a reader's
    # records) were the box's own, and a change to the repeated box's changed the box's
    out.info = _repeated_info(atoms, math.prod(reps))
    from mda_electrolyte.model_labels import drop_stored_labels

    # the box's calculation (REF_energy, REF_forces) is not the repeated box's, as ase's
    # repeat drops the calculator; the builder's records stay
    drop_stored_labels(out, keep=BOX_RECORDS)
    if topology is not None:
        # numbered by first appearance, as the topology arrays are: a box with a molecule
        # deleted (indices 0, 2) gave copies with gaps (0, 2, 3, 5)
        mol = ids
        n_mol = int(mol.max()) + 1 if mol.size else 0
        which = np.repeat(np.arange(math.prod(reps)), len(atoms))
        out.arrays[MOLECULE_INDEX] = np.tile(mol, math.prod(reps)) + which * n_mol
    composition = atoms.info.get("composition")
    if topology is not None:
        # the molecules the box holds: a box cut from a packed one (one molecule, or none)
        # kept the packed box's info["composition"], multiplied as it was ({'EC': 16, ...}
        # for 8 EC molecules), and a piece of a molecule was repeated as if whole
        held = _topology_composition(atoms, ids, topology)
        if isinstance(composition, dict) and composition != held:
            # what electrolyte_box recorded of the box it packed, not of this one
            for key in ("conformers", "packed_composition", "cation_molality",
                        "counted_composition"):
                out.info.pop(key, None)
        composition = held
    if isinstance(composition, dict):
        out.info["composition"] = {k: v * math.prod(reps) for k, v in composition.items()}
    mix = out.info.get("conformers")
    if isinstance(mix, dict):
        # copied as it was, the rotamer counts were those of one copy beside the multiplied
        # composition
        out.info["conformers"] = {
            name: {label: {**entry, "count": entry["count"] * math.prod(reps)}
                   if isinstance(entry, dict) and "count" in entry else entry
                   for label, entry in rotamers.items()} if isinstance(rotamers, dict)
            else rotamers
            for name, rotamers in mix.items()}
    if np.any(momenta) and math.prod(reps) > 1:
        _redraw_copies_momenta(out, atoms, math.prod(reps), seed)
    return out


#: ``info`` entries of the box builder (:func:`electrolyte_box`): records of the box, never a
#: calculation's labels, whatever their names hold (``conformer_energies`` names where the
#: rotamers' energies came from)
BOX_RECORDS = ("composition", "conformers", "conformer_energies", "cation_molality",
               "counted_composition", "packed_composition")
#: ``info`` entries that place a frame in the run it was read from: the step and time (ps)
#: of :func:`ase_electrolyte.trajectory.read_h5md` and :func:`~ase_electrolyte.md.run_md`'s
#: final frame, and the step of a LAMMPS dump frame read by ASE (``timestep``).
#: :func:`replicate_box` drops them from a box of several copies.
RUN_RECORDS = ("step", "time_ps", "timestep")


def _repeated_info(atoms, copies):
    """``atoms.info`` for ``copies`` periodic copies of ``atoms`` (a deep copy): its net charge
    ``info["charge"]`` (e) multiplied (the calculation's labels are dropped by the caller); a spin
    multiplicity other than 1 refused (that of the copies together is not set by one's)."""
    info = copy.deepcopy(atoms.info)
    charge = info.get("charge")
    if charge is not None and copies > 1:
        try:
            total = check_number("info['charge'] (e)", charge)
        except ValueError as err:
            raise ValueError(f"replicate_box: {err}") from None
        # an int stays an int: the declaration a charge-aware model reads, compared with the
        # formal charges' sum (declared_total_charge), which the copies multiply
        info["charge"] = (int(charge) * copies if isinstance(charge, (int, np.integer))
                          and not isinstance(charge, bool) else total * copies)
    if copies > 1:
        # a frame's place in its run (a trajectory reader's step and time): the copies are a
        # new system, with velocities drawn anew, at no step of that run; kept, a replicated
        # frame of step 5000 was read back (extxyz, from_ase) as a frame 5 ps into a run
        for key in RUN_RECORDS:
            info.pop(key, None)
    spin = info.get("spin")
    if spin is not None and copies > 1 and not (
            isinstance(spin, (int, float, np.integer, np.floating))
            and not isinstance(spin, bool) and spin == 1):
        raise ValueError(
            f"replicate_box: atoms.info['spin'] = {spin!r} is the box's spin multiplicity; "
            f"that of {copies} copies together is not set by one copy's (from "
            "singlet-like pairings to all spins aligned): delete info['spin'] before "
            "repeating and set the repeated box's")
    return info


def _redraw_copies_momenta(out, atoms, copies, seed):
    """Independent velocities for ``out``, ``copies`` repeats of ``atoms``; kinetic energy
    (eV) and momentum those of the copies together."""
    try:  # ASE >= 3.29
        from ase.md.velocitydistribution import thermalize_momenta
    except ImportError:  # pragma: no cover - older ASE
        from ase.md.velocitydistribution import (
            MaxwellBoltzmannDistribution as thermalize_momenta,
        )

    masses = out.get_masses()
    kinetic = copies * atoms.get_kinetic_energy()
    drift = atoms.get_momenta().sum(axis=0) / atoms.get_masses().sum()
    drift_energy = 0.5 * masses.sum() * float(drift @ drift)
    thermal = kinetic - drift_energy
    n_free = 3 * len(out)
    temperature = max(2.0 * thermal / (n_free * units.kB), 1.0)
    thermalize_momenta(out, temperature_K=temperature, rng=np.random.default_rng(seed))
    velocities = out.get_velocities()
    velocities -= (masses @ velocities) / masses.sum()
    drawn = 0.5 * float(np.sum(masses[:, None] * velocities**2))
    # the drawn energy made exactly the copies' (the draw's own scatter of 1/sqrt(3N) gone);
    # a box that moves only as a whole keeps that drift alone
    velocities *= np.sqrt(thermal / drawn) if thermal > 0 and drawn > 0 else 0.0
    out.set_velocities(velocities + drift)
    if out.constraints:
        out.set_momenta(out.get_momenta(), apply_constraint=True)


# most pair distances one block of _extent holds (32 MB of float64)
_EXTENT_BLOCK = 2**22


def _extent(positions):
    """Largest distance (Å) between two of ``positions`` (Å): across one molecule.

    Searched among the vertices of their convex hull (the farthest pair is two of them), in
    blocks: the full distance matrix of a 5000-atom chain was 600 MB, of 20 000 atoms 9.6 GB.
    """
    from scipy.spatial import ConvexHull, QhullError

    x = np.asarray(positions, dtype=float).reshape(-1, 3)
    if len(x) > 16:
        try:
            x = x[ConvexHull(x).vertices]
        except QhullError:
            pass  # flat or collinear: all of them, in blocks
    best = 0.0
    rows = max(1, _EXTENT_BLOCK // max(len(x), 1))
    for start in range(0, len(x), rows):
        d = np.linalg.norm(x[start:start + rows, None] - x[None], axis=-1)
        best = max(best, float(d.max()))
    return best


def _floor3(x):
    """``x`` > 0 rounded down to three significant digits: a limit the user can give as it is."""
    scale = 10.0 ** (math.floor(math.log10(x)) - 2)
    return math.floor(x / scale) * scale


def _clear_edge(templates, tolerance):
    """(box edge in Å, species name): the edge at which the longest molecule of ``templates``
    keeps ``tolerance`` and the bond guess's reach from its own periodic images in every
    orientation (its extent plus that distance), and the species it is."""
    reach = _molecules_bond_reach()
    edges = {}
    for sp, ts in templates.items():
        for t in _template_list(ts):
            cutoff = max(tolerance, 2.0 * float(reach[t.numbers].max()))
            edges[sp.name] = max(edges.get(sp.name, 0.0), _extent(t.positions) + cutoff)
    name = max(edges, key=edges.get)
    return edges[name], name


def _fit_advice(mass, templates, length, tolerance):
    """What box keeps every molecule of ``templates`` clear of its own images, in words: the
    edge, the density of these molecules (``mass`` in g/mol) in it, and how many times the
    molecules at this density."""
    edge, name = _clear_edge(templates, tolerance)
    times = math.ceil((edge / length) ** 3)
    return (f"a box edge of {edge:.3g} Å keeps one {name} clear of its own images in any "
            f"orientation: give a density of at most "
            f"{_floor3(mass / edge**3 / GCM3_TO_AMU_PER_A3):g} g/cm³ for these molecules, or "
            # n_atoms alone named a setting refused with counts=
            f"{times} times as many molecules at this density (n_atoms, or every count of "
            f"counts, {times} times as large)")


def _check_molecules_fit(plan, templates, length, tolerance):
    """Refuse, before PACKMOL, a box whose diagonal is shorter than one of its molecules.

    PACKMOL keeps every atom of a molecule inside the periodic box it is given: one molecule
    longer than the box's diagonal cannot be placed, and PACKMOL searched, failed and printed
    its "check the spatial constraints" (constraints the user never gave) with exit code 173
    (one DEC, 8.9 Å across, in a 5.1 Å box: 8.8 Å diagonal).
    """
    diagonal = math.sqrt(3.0) * length
    longest = max(((_extent(t.positions), sp.name) for sp, ts in templates.items()
                   for t in _template_list(ts)))
    if longest[0] >= diagonal:
        mass = sum(sp.mass * n for sp, n in plan.items())
        raise ValueError(
            f"one {longest[1]} molecule ({longest[0]:.3g} Å across) is longer than the "
            f"diagonal of the {length:.3g} Å box ({diagonal:.3g} Å): no box this small holds "
            f"it; {_fit_advice(mass, templates, length, tolerance)}")


def _check_own_images(atoms, templates, tolerance):
    """Refuse a box in which a molecule comes closer than ``tolerance`` to its periodic image,
    or within the covalent bond guess's reach of it.

    PACKMOL keeps ``tolerance`` between different molecules, periodic images included, but not
    between a molecule and its own images: in a box barely larger than a molecule (one EMC at
    the van der Waals density: 0.9 Å) the returned box held overlapping atoms. An S···O 2.2 Å
    from its own image is a bond to the bond guess downstream: the molecule an endless chain
    through the images, which cannot be made whole.
    """
    length = float(atoms.cell[0, 0])
    extent = {
        sp.name: max(_extent(t.positions) for t in _template_list(ts))
        for sp, ts in templates.items()
    }
    reach = _molecules_bond_reach()[atoms.numbers]
    cutoff = max(tolerance, 2.0 * float(reach.max()))
    if length > max(extent.values()) + cutoff:
        return  # no molecule reaches across the box
    from .neighbour_pairs import pairs_within

    pairs, shifts, d = pairs_within(atoms.positions, atoms.cell.array, cutoff, "PSd")
    i, j = pairs[:, 0], pairs[:, 1]
    molecule = atoms.arrays[MOLECULE_INDEX]
    near = np.maximum(tolerance, reach[i] + reach[j])
    own = (molecule[i] == molecule[j]) & np.any(shifts != 0, axis=1) & (d < near)
    if own.any():
        k = int(np.argmin(np.where(own, d, np.inf)))
        name = atoms.arrays[SPECIES][i[k]]
        # two decimals, three where two would round up to the bound (1.996 Å shown as 2.00 Å
        # beside a tolerance of 2.0 Å)
        shown = f"{d[k]:.2f}" if round(float(d[k]), 2) < near[k] else f"{d[k]:.3f}"
        why = (f"tolerance {tolerance} Å" if d[k] < tolerance else
               f"within the {near[k]:.2f} Å reach of a covalent bond guess: a bond to itself")
        raise ValueError(
            f"the box edge {length:.3g} Å is too short for one {name} molecule (about "
            f"{extent[name]:.3g} Å across): it comes {shown} Å from its own periodic image "
            f"({why}); {_fit_advice(float(atoms.get_masses().sum()), templates, length, tolerance)}"
        )


#: Fraction of the tolerance below which two atoms of different molecules in PACKMOL's box are
#: refused: PACKMOL's "Success!" keeps them within about 0.05 Å of the tolerance.
PACKED_DISTANCE_FRACTION = 0.5


def _check_packed_distances(atoms, tolerance):
    """Refuse a box PACKMOL called a success whose molecules overlap (a damaged or foreign
    build, or one that ignores ``pbc``): it was returned as it was, and the first MD step
    exploded or a model gave NaN."""
    from .neighbour_pairs import pairs_within

    pairs, d = pairs_within(atoms.positions, atoms.cell.array,
                            PACKED_DISTANCE_FRACTION * tolerance, "Pd")
    molecule = atoms.arrays[MOLECULE_INDEX]
    other = np.flatnonzero(molecule[pairs[:, 0]] != molecule[pairs[:, 1]])
    if other.size:
        k = other[int(np.argmin(d[other]))]
        a, b = (int(i) for i in pairs[k])
        raise RuntimeError(
            f"PACKMOL reported success, but atoms {a} and {b} of different molecules are "
            f"{d[k]:.2f} Å apart (tolerance {tolerance} Å; {other.size} such pair(s)): "
            "a damaged or foreign packmol build? reinstall it (pip install packmol)"
        )


def _cation_grid(n, length, tolerance, single_atom=False):
    """Sub-cubes per edge, their edge and the margin inside each (Å) for ``n`` spread cations.

    A single-atom cation (Li⁺, Na⁺, K⁺) keeps to the central half of its sub-cube, so that two
    in neighbouring sub-cubes start at least half a sub-cube apart: with a margin of
    tolerance/2 (1 Å) they could start on either side of the shared face, and did (Li⁺ pairs
    2.2 and 3.4 Å apart in boxes of 1 mol/kg LiPF6 in EC:EMC 3:7 of 1000 atoms, where the
    liquid keeps them a solvation shell apart). A molecular cation keeps the margin of
    tolerance/2, for room to turn in.
    """
    g = math.ceil(n ** (1.0 / 3.0) - 1e-9)
    side = length / g
    return g, side, side / 4.0 if single_atom else min(tolerance / 2.0, side / 4.0)


def _spread_cation_count(plan):
    """The cations of ``plan`` (``{Species: count}``), of every species: each gets its own
    sub-cube of one grid when they are spread."""
    return sum(n for sp, n in plan.items() if sp.charge > 0)


def _check_cation_regions(plan, templates, length, tolerance):
    """Refuse spread cations too large for their sub-cubes, before PACKMOL.

    A molecular cation (EMIM⁺ of an ionic liquid: 8 Å across) confined with all its atoms to
    a sub-cube whose diagonal is shorter than the molecule cannot be placed: PACKMOL searched
    its 560 initial cycles per cation and failed with a message about its spatial constraints.
    """
    n = _spread_cation_count(plan)
    for sp, count in plan.items():
        if sp.charge <= 0 or n < 2 or not count:
            continue
        g, side, margin = _cation_grid(n, length, tolerance)
        room = side - 2.0 * margin
        across = max(_extent(t.positions) for t in _template_list(templates[sp]))
        if across > math.sqrt(3.0) * room:
            what = (f"{n} {sp.name} cations" if count == n
                    else f"{n} cations ({count} {sp.name})")
            raise ValueError(
                f"spread_cations: each of the {what} is kept inside its own "
                f"{room:.3g} Å sub-cube of the {length:.4g} Å box ({g}³ sub-cubes), whose "
                f"diagonal is shorter than the molecule ({across:.3g} Å across); pass "
                "spread_cations=False, or pack fewer cations"
            )


def _cation_cells(n, rng):
    """``n`` distinct sub-cubes of the grid for ``n`` spread cations, chosen at random, as
    indices ``(i, j, k)`` along the cell vectors."""
    g = math.ceil(n ** (1.0 / 3.0) - 1e-9)
    return [np.unravel_index(c, (g, g, g)) for c in rng.permutation(g**3)[:n]]


def _cation_region(cell, n, length, tolerance, single_atom):
    """PACKMOL's ``inside box`` bounds (Å) of the sub-cube ``cell`` of :func:`_cation_cells`
    for a cation (:func:`_cation_grid`'s margin)."""
    _, side, margin = _cation_grid(n, length, tolerance, single_atom)
    lo = np.array(cell) * side + margin
    return lo, lo + side - 2 * margin


def _packed_atoms(structures, positions, length):
    """The periodic box of PACKMOL's ``positions`` for ``structures``, with its topology."""
    symbols, mol_index, names, charges = [], [], [], []
    k = 0
    for sp, tmpl, n, _ in structures:
        for _ in range(n):
            symbols += list(tmpl.get_chemical_symbols())
            mol_index += [k] * len(tmpl)
            names += [sp.name] * len(tmpl)
            charges += list(sp.atomic_formal_charges)
            k += 1
    atoms = Atoms(symbols=symbols, positions=positions, cell=[length] * 3, pbc=True)
    # molecule indices follow the packing order, which groups molecules by species
    set_topology(atoms, mol_index, names, charges)
    return atoms


#: PACKMOL's ``nloop`` (optimisation loops per molecule) when none is given.
_PACKMOL_DEFAULT_NLOOP = 50


def _run_packmol(exe, structures, length, tolerance, seed, timeout, nloop=None, radii=None):
    """PACKMOL's positions for ``structures``; ``radii`` (Å per atomic number), when given,
    replace ``tolerance / 2`` as the atoms' radii: atoms of different molecules are kept the
    sum of their radii apart."""
    with tempfile.TemporaryDirectory(prefix="electrolyte_packmol_") as tmp:
        tmp = Path(tmp)
        lines = [
            f"tolerance {tolerance}",
            "filetype xyz",
            "output packed.xyz",
            f"seed {int(seed) + 1}",  # packmol treats seed -1 as "from the clock"; keep >= 1
            f"pbc 0. 0. 0. {length:.6f} {length:.6f} {length:.6f}",
        ]
        if nloop is not None:
            lines.append(f"nloop {int(nloop)}")
        lines.append("")
        for i, (_, tmpl, n, region) in enumerate(structures):
            name = f"s{i}.xyz"
            _write_xyz(tmp / name, tmpl)
            lines += [f"structure {name}", f"  number {n}"]
            if radii is not None:
                own = radii[tmpl.numbers]
                for r in np.unique(own[own > tolerance / 2.0]):
                    which = " ".join(str(i + 1) for i in np.flatnonzero(own == r))
                    lines += [f"  atoms {which}", f"    radius {r:.4f}", "  end atoms"]
            if region is not None:
                lo, hi = region
                lines.append("  inside box " + " ".join(f"{v:.6f}" for v in (*lo, *hi)))
            lines += ["end structure", ""]
        (tmp / "input.inp").write_text("\n".join(lines))
        with open(tmp / "input.inp") as stdin:
            try:
                # its own process group: a packmol that is a wrapper script (a conda or module
                # shim) runs the solver as a child, which a kill of the wrapper alone left
                # running after the timeout, searching on and writing into this folder
                proc = subprocess.Popen(
                    [exe], stdin=stdin, cwd=tmp, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True, start_new_session=True,
                )
            except OSError as err:
                # not executable, a broken file, a folder: was a bare PermissionError
                raise RuntimeError(
                    f"PACKMOL at {exe} could not be started ({err.strerror or err}); reinstall "
                    "it (pip install packmol) or put a working packmol on PATH"
                ) from None
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired as err:
                _kill_group(proc)
                raise RuntimeError(
                    f"PACKMOL did not finish within {timeout} s (packmol_timeout); it was "
                    "stopped: give a longer packmol_timeout, a lower density or fewer atoms"
                ) from err
            except BaseException:
                _kill_group(proc)  # Ctrl-C: no PACKMOL left behind
                raise
        proc = subprocess.CompletedProcess([exe], proc.returncode, stdout, stderr)
        out = tmp / "packed.xyz"
        text = (proc.stdout + proc.stderr).strip()
        density = f"{_density(structures, length):.3g} g/cm³"
        if "ENDED WITHOUT PERFECT PACKING" in proc.stdout or (
            proc.returncode == 0 and out.exists() and "Success!" not in proc.stdout
        ):
            # PACKMOL's exit code 173: it wrote its best, overlapping, attempt
            tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
            # a limited nloop is the likelier cause where it was given: a box PACKMOL packs
            # with its default 50 loops failed with packmol_nloop=1, advised a lower density
            loops = ("" if nloop is None else
                     f", or more optimisation loops (packmol_nloop={int(nloop)} given; "
                     f"PACKMOL's default is {_PACKMOL_DEFAULT_NLOOP})")
            raise RuntimeError(
                f"PACKMOL could not pack the molecules into the {length:.4g} Å box ({density}) "
                f"with {tolerance} Å between molecules; give a lower density or a smaller "
                f"tolerance{loops}:\n{tail}"
            )
        regions = [(sp, tmpl, region) for sp, tmpl, _, region in structures if region]
        if regions and "unable to put the molecules" in proc.stdout:
            # its "check the spatial constraints": the only ones are the cations' sub-cubes
            sp, tmpl, (lo, hi) = regions[0]
            across = _extent(tmpl.positions)
            raise RuntimeError(
                f"PACKMOL could not place the {len(regions)} spread cations each inside its "
                f"own {float(np.min(hi - lo)):.3g} Å sub-cube of the {length:.4g} Å box "
                f"({sp.name} is {across:.3g} Å across); pass spread_cations=False, or pack "
                "fewer cations"
            )
        if not regions and "unable to put the molecules" in proc.stdout:
            # no constraint but the box: a molecule nearly as long as its diagonal (PACKMOL
            # keeps every atom inside it), which PACKMOL's orientations did not find a way in for
            across, name = max((_extent(tmpl.positions), sp.name) for sp, tmpl, _, _ in structures)
            templates = {}
            for sp, tmpl, _, _ in structures:
                templates.setdefault(sp, []).append(tmpl)
            mass = sum(sp.mass * n for sp, _, n, _ in structures)
            raise RuntimeError(
                f"PACKMOL could not place the molecules inside the {length:.4g} Å box at all "
                f"(its diagonal {math.sqrt(3.0) * length:.3g} Å; one {name} is {across:.3g} Å "
                f"across); {_fit_advice(mass, templates, length, tolerance)}")
        if proc.returncode != 0 or not out.exists() or "ERROR" in proc.stdout:
            tail = "\n".join(text.splitlines()[-25:]) or "(it printed nothing)"
            raise RuntimeError(
                f"PACKMOL ({exe}) {_exit_status(proc.returncode)}"
                f"{'' if out.exists() else ' and wrote no packed structure'}:\n{tail}"
            )
        expected = sum(len(tmpl) * n for _, tmpl, n, _ in structures)
        try:
            data = out.read_text().splitlines()
            positions = np.array(
                [[float(v) for v in line.split()[1:4]] for line in data[2 : 2 + int(data[0])]]
            )
        except (ValueError, IndexError):
            positions = None
        if positions is None or positions.shape != (expected, 3) or not np.all(
            np.isfinite(positions)
        ):
            raise RuntimeError(
                f"PACKMOL ({exe}) reported success but its packed.xyz does not hold {expected} "
                "finite positions (a damaged or foreign packmol build?)"
            )
        return positions


def _exit_status(code):
    """How a process ended, in words: a negative code is the signal that killed it."""
    import signal

    if code >= 0:
        return f"failed with exit code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    why = " (out of memory?)" if name == "SIGKILL" else ""
    return f"was killed by {name}{why}"


def _kill_group(proc):
    """Kill ``proc`` and every process it started (its session), and reap it."""
    import os
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone
    proc.communicate()


def _density(structures, length):
    """g/cm³ of the molecules of ``structures`` in a cubic box of edge ``length`` Å."""
    mass = sum(float(np.sum(tmpl.get_masses())) * n for _, tmpl, n, _ in structures)
    return mass / length**3 / GCM3_TO_AMU_PER_A3


def _write_xyz(path, atoms):
    body = [str(len(atoms)), "packmol template"]
    body += [
        f"{s} {x:.8f} {y:.8f} {z:.8f}"
        for s, (x, y, z) in zip(atoms.get_chemical_symbols(), atoms.positions, strict=True)
    ]
    Path(path).write_text("\n".join(body) + "\n")
