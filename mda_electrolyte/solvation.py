"""Cation solvation shells: SSIP/CIP/AGG classes, Ju et al. (2025) labels, networks and angles.

Ju et al. 2025; Gong et al. 2025; Chalykh et al. 2025 (see the theory page). Collect once,
derive many (the shape of solvation-analysis' ``Solute`` → ``Pairing.from_solute``): one pass
over the trajectory collects a :class:`~mda_electrolyte.shell_table.ShellTable` (every cation's
candidate shell atoms with their distances, the cation–species RDF counts, the vectors the angles
need), the cutoffs are taken from the first minima of those RDFs over all frames
(:mod:`mda_electrolyte.shell_cutoffs`), and :func:`shell_results` derives from the table
(:mod:`mda_electrolyte.shell_composition`, :mod:`mda_electrolyte.shell_geometry`):

- class per cation and frame under one of two named conventions, never mixed:

  ``"anion_count"`` (Gong et al. 2025): SSIP = no anion in the shell, CIP = one anion, AGG =
  more than one;
  ``"bridging"`` (mdgo): SSIP = no anion, CIP = exactly one anion and that anion is in no other
  cation's shell, AGG = any other shell with an anion (an anion bridging two or more cations, or
  several anions);
- label in Ju et al.'s (2025) notation, e.g. ``Li(ECc)3(PF6)``: every solvent molecule is ``c``
  when any of
  its carbonyl oxygens (Oc: bonded to exactly one atom, a carbon with at most three bonds)
  coordinates, else ``e`` when an
  ether oxygen (Oe: bonded to exactly two carbons) does, else no suffix; anions get no suffix;
  solvents come first in the order given, then anions;
- coordination numbers (distinct molecules of a species per cation) and pairing fractions exactly
  as solvation-analysis defines them, the static degree of dissociation (free cations; free ions),
  the size distribution of cation networks joined through shared molecules (Chalykh et al. 2025)
  and the
  Oc–M–Oc and M–Oc–Cc angle distributions (Ju et al. 2025 Fig. 4).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import types
import warnings
from collections import Counter

import numpy as np
import pandas as pd
from MDAnalysis.analysis.results import Results
from MDAnalysis.exceptions import NoDataError
from MDAnalysis.lib.distances import minimize_vectors

from ase_electrolyte.atomic_file import save_figure
from ase_electrolyte.atoms_checks import FlagError, check_flag, check_number
from ase_electrolyte.estimate import Estimate, mark_not_valid
from ase_electrolyte.option_words import choice_word, close_option
from mda_electrolyte import rdf as _rdf
from mda_electrolyte import shell_composition as _shell_composition
from mda_electrolyte.analysis_base import (
    BOX_ROUNDING,
    FrameAnalysis,
    check_atomgroup,
    check_coordinate_precision,
    check_range,
    half_box_width,
    names_errors,
    reduced_box,
    require_results,
    trajectory_boxes,
)
from mda_electrolyte.atom_categories import _written_case_hint, element_symbols, oxygen_classes
from mda_electrolyte.frame_estimates import _n_blocks, frame_average
from mda_electrolyte.molecules import check_one_molecule_per_residue
from mda_electrolyte.plotting import count_argument, draws_user_text, estimate_bars, note_empty
from mda_electrolyte.rdf import (
    _MAX_CLOSE_FRAMES,
    _check_boxes_before_pass,
    _correlation_too_short,
    _describe_close_pairs,
    _frames_inefficiency,
    _overlap_verdict,
    _selected_frame_indices,
    _with_doubts,
    _without_overlaps,
)
from mda_electrolyte.report import estimate_label, mark_invalid, register_analysis
from mda_electrolyte.shell_composition import (
    CLASSES,
    CONVENTIONS,
    ShellMolecules,
    _named_species,
    _species_keys,
    check_shell_cutoff,
    molecule_counts,
    shell_classes,
    shell_members,
)
from mda_electrolyte.shell_cutoffs import (
    ShellCutoff,
    bond_indices,
    check_smoothable,
    donor_atoms,
    first_minimum,
)
from mda_electrolyte.shell_geometry import histogram_bins
from mda_electrolyte.shell_summary import (
    ShellSummaryBuilder,
    _check_network_species,
    summarize,
    summary_results,
)
from mda_electrolyte.shell_table import OC as _OC
from mda_electrolyte.shell_table import OE as _OE
from mda_electrolyte.shell_table import OTHER as _OTHER
from mda_electrolyte.shell_table import (
    BlockColumn,
    ShellLayout,
    ShellTable,
    ShellTableBuilder,
    check_table,
)
from mda_electrolyte.uncertainty import _few_runs_note

__all__ = ["SolvationShells", "cutoff_cn_errors", "cutoff_share_errors", "oxygen_types",
           "shell_results"]

#: How a species' shell atoms and cutoff are chosen: any atom of the molecule with the first RDF
#: minimum (``"whole_molecule"``), or the donor atoms of Ju et al. (2025) with their fixed cutoffs,
#: Li–O 2.6 Å and Li–P 4.2 Å (``"donor_atoms"``).
CUTOFF_CONVENTIONS = ("whole_molecule", "donor_atoms")
# what a species without a first minimum gets: an error, or the donor-atom preset cutoff
NO_MINIMUM = ("raise", "preset")
_PRESET = "ju2025"
#: Shell labels listed one by one in the report, most common first; the rest as one share
_REPORTED_LABELS = 20


class _NoRdfMinimum(ValueError):
    """A cation–species RDF has no first minimum to take the shell cutoff from."""


# more bins than this are a mistaken argument, not a resolution (and would not fit in memory)
_MAX_BINS = 10**6
#: Size in bytes of the collected table (``store_table=True``), extrapolated from the first
#: :data:`_TABLE_PROBE_FRAMES` frames to all frames of the run, above which a warning names its
#: cost per cation and frame and ``store_table=False``; the conclusion's peak is a few times
#: the table (loose shells: 1.7 kB per cation and frame held, 8 kB at the peak).
TABLE_WARNING_BYTES = 2**30
_TABLE_PROBE_FRAMES = 10
#: Most bytes the table of a run with the default ``store_table=None`` may take, extrapolated
#: from its first :data:`_TABLE_PROBE_FRAMES` frames to all of them: beyond it the table is
#: dropped and the shells are counted frame by frame in a second pass (the conclusion's peak
#: is about 5 times the table, so a run stays well under 2 GB).
TABLE_BUDGET_BYTES = 2**28
#: Most angle bins (0.05° each): every shell label keeps two angle histograms, so 10⁶ bins took
#: 50 MB per label after the pass (1 GB for bn_fec's 15 labels; a large system has hundreds)
#: for a resolution no angle distribution has.
MAX_ANGLE_BINS = 3600


def _joined_columns(columns):
    """One :class:`~mda_electrolyte.shell_table.BlockColumn` of the parts' rows in the order of
    the parts (a parallel run's workers, in frame order)."""
    columns = list(columns)
    joined = columns[0]
    for column in columns[1:]:
        joined.extend(column)
    return joined


def _correlation_probe(cn_series, range_pairs, k, name):
    """The per-frame series whose statistical inefficiency counts the independent frames of
    species ``k``'s RDF, and its name.

    Its coordination number, where that changed often enough for a calibrated error
    (``uncertainty._few_runs_note``); else the number of its pairs within
    the RDF range (``range_pairs[:, k]``, one row per frame), which the search's counting
    noise is about. A shell count that never changed (four waters on every Li⁺ of 60
    independent frames) had read the frames as one: the cutoff "too short: 1.0 independent
    segments", where the RDF of the same frames was valid; one that changed twice read a
    statistical inefficiency from two steps.
    """
    x = np.asarray(cn_series, dtype=float)
    if len(range_pairs) != x.size or not _few_runs_note(x):
        return x, f"coordination number of {name}"
    return (np.asarray(range_pairs[:, k], dtype=float),
            f"pairs of the cation–{name} RDF within its range")


def _check_bins(label, value, maximum=_MAX_BINS):
    """A number of histogram bins: an integer from 1 to ``maximum``."""
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or not 1 <= value <= maximum):
        raise ValueError(f"{label} must be an integer from 1 to {maximum}, not {value!r}")
    return int(value)


def _pairs_within(reference, configuration, radius, box):
    """Minimum-image pairs within ``radius`` (Å) of ``reference`` and ``configuration``.

    :func:`MDAnalysis.lib.distances.capped_distance` with its own choice of method, except
    where its grid search refuses a triclinic box for a radius within half the box (its own
    bound on tilted cells is stricter than :func:`~mda_electrolyte.analysis_base.half_box_width`;
    e.g. 3.17 Å for a cell whose faces lie 7.8 Å apart): the periodic KD-tree then finds the
    same pairs.
    """
    from MDAnalysis.lib.distances import capped_distance

    try:
        return capped_distance(reference, configuration, radius, box=box)
    except ValueError as err:
        if "too large for box" not in str(err):
            raise
    return capped_distance(reference, configuration, radius, box=box, method="pkdtree")


# Å added to the candidate search's radius: more than the single-precision rounding of its
# distances (about 1e-7 of the box length)
_SEARCH_MARGIN = 1e-4


def _pair_distances(reference, configuration, box):
    """Minimum-image distances in Å of the rows of ``reference`` and ``configuration``,
    computed in double precision from their (single-precision) coordinates.

    ``box`` is a cell whose half width exceeds every distance of interest (the minimum image
    is then the one image within that distance)."""
    vectors = np.asarray(configuration, dtype=np.float64) - np.asarray(reference,
                                                                       dtype=np.float64)
    if len(vectors):
        vectors = minimize_vectors(vectors, np.asarray(box, dtype=np.float64))
    return np.sqrt(np.einsum("ij,ij->i", vectors, vectors))


def oxygen_types(atomgroup, bonds=None):
    """Carbonyl/ether type of every atom from the bonds of the topology.

    Parameters
    ----------
    atomgroup : MDAnalysis.core.groups.AtomGroup
        Needs ``elements`` and ``bonds``.
    bonds : numpy.ndarray, shape (n_bonds, 2), optional
        The Universe's bonds as indices, when the caller has them already.

    Returns
    -------
    types : numpy.ndarray of int, shape (n_atoms,)
        1 for a carbonyl oxygen Oc (bonded to exactly one atom, a carbon with at most three
        bonds: not the single-bonded O of an alkoxide), 2 for an ether oxygen
        Oe (bonded to exactly two atoms, both carbons), 0 for every other atom.
    carbonyl_carbon : numpy.ndarray of int, shape (n_atoms,)
        Universe index of the carbon bonded to each Oc, -1 elsewhere.

    The rule is :func:`mda_electrolyte.atom_categories.oxygen_classes`, the one of the atom
    categories' Oc/Oe; a bond listed twice is one bond.

    Raises
    ------
    ValueError
        ``bonds`` that are not pairs of atom indices of the Universe, or bond an atom to itself.
    """
    universe = atomgroup.universe
    # the rule of atom_categories' Oc/Oe, one implementation
    types, carbon = oxygen_classes(universe.atoms.elements,
                                   bond_indices(universe) if bonds is None else bonds)
    return types[atomgroup.ix], carbon[atomgroup.ix]


def _check_element_symbols(cations, species):
    """Refuse elements that are not element symbols in any case ('' or 'X' for a virtual site
    are accepted): the shells find Li cations, oxygens and carbons by them, so an 'OW' (a type
    given as the element) would silently be none. 'LI', 'CL' (GRO/PDB files, MDAnalysis'
    guesser) are read as 'Li', 'Cl' (:func:`~mda_electrolyte.atom_categories.element_symbols`),
    as MDAnalysis' PDB parser reads them."""
    from ase.data import chemical_symbols

    # "" and "X": virtual sites and dummies (TIP4P's M), which are no donor either way
    known = set(chemical_symbols) | {""}
    for name, group in {"the cations": cations, **species}.items():
        # the whole molecules: an oxygen's type is read from the elements of its neighbours
        bad = sorted(set(element_symbols(group.residues.atoms.elements)) - known)
        if bad:
            what = name if name == "the cations" else f"the molecules of species {name!r}"
            raise ValueError(
                f"SolvationShells: {what}: elements {bad[:5]} are not element symbols ('Li', "
                "'O', 'C'; an atom type given as the element?); set them with "
                "universe.add_TopologyAttr('elements', [...]) or "
                "universe.guess_TopologyAttrs(to_guess=['elements'], force_guess=['elements'])"
            )


def _check_one_cation_element(cations):
    """Refuse cations of several elements (Li⁺ with Na⁺ or Mg²⁺): every shell was labelled
    with the first cation's symbol (half the shells of a Li/Na mixture read "Na(BN)5"), one
    RDF first minimum cut the Li–O and Na–O shells alike, and the Li⁺ donor presets applied
    to all when the first was Li."""
    symbols, counts = np.unique(element_symbols(cations.elements).astype(str),
                                return_counts=True)
    if symbols.size > 1:
        found = ", ".join(f"{n} {e or 'without element'}" for e, n in zip(symbols, counts,
                                                                            strict=True))
        raise ValueError(
            f"SolvationShells: the cations are of {symbols.size} elements ({found}); their "
            "shells differ (size, cutoff): analyse each element with its own SolvationShells")
    if symbols[0] == "" and not hasattr(cations, "names"):
        # the shells are labelled by the cation's element, or its atom name without one: with
        # neither, MDAnalysis' NoDataError ('does not contain name information') came from
        # inside the constructor
        raise ValueError(
            "SolvationShells: the cations have no element symbol ('') and the "
            "topology no atom names to label their shells with; set their elements, e.g. "
            "universe.add_TopologyAttr('elements', [...])")


def _check_bonds_within_molecules(universe, bonds, groups):
    """Refuse a bond of the topology that joins two residues and touches an analysed atom.

    Molecules are residues, and an oxygen is a carbonyl or ether oxygen by its bonds: bonds
    guessed from distances (``guess_TopologyAttrs(to_guess=["bonds"])``) also join neighbouring
    molecules in a liquid (O···O, Li–O contacts), which turned carbonyl oxygens into neither
    type, made the oxygens of an FSI⁻ into donors, and changed labels and angles without a word.
    """
    if not len(bonds):
        return
    resindex = universe.atoms.resindices
    touches = np.zeros(universe.atoms.n_atoms, dtype=bool)
    for group in groups:
        touches[group.residues.atoms.ix] = True
    across = np.flatnonzero((resindex[bonds[:, 0]] != resindex[bonds[:, 1]])
                            & (touches[bonds[:, 0]] | touches[bonds[:, 1]]))
    if across.size:
        i, j = (int(x) for x in bonds[across[0]])
        names = universe.residues.resnames if hasattr(universe.residues, "resnames") else None
        where = "" if names is None else f" ({names[resindex[i]]} and {names[resindex[j]]})"
        raise ValueError(
            f"SolvationShells: {across.size} bond(s) of the topology join two molecules "
            f"(residues), e.g. atoms {i} and {j} of residues {resindex[i]} and {resindex[j]}"
            f"{where}: molecules are residues and oxygens are typed by their bonds, so the "
            "shells would be wrong. Bonds guessed from distances join neighbouring molecules; "
            "keep those within a residue: universe.delete_bonds([b for b in universe.bonds if "
            "b[0].resindex != b[1].resindex])")


def _doubtful_cutoffs(cutoff_estimates, cutoff_source):
    """Species → ``(source, text)`` of each cutoff whose doubt makes what it bounds not valid:
    one taken from an RDF first minimum whose Estimate is not valid (shallow, not significant,
    a small sample), or one given as a measured Estimate that is not valid.

    A shallow minimum (a loose shell, relative depth 0.32) moves with the counting noise: its
    cutoff 2.80 ± 0.33 Å was not valid while the coordination number counted with it, 7.99 ±
    0.13, was called valid, its error blind to where the shell ends. A given or preset cutoff
    (also the fallback chosen with ``no_minimum="preset"``) is the caller's choice; one given
    as a measured Estimate (``cutoffs=results.cutoff_estimates`` of a run on part of the
    trajectory) keeps that Estimate's verdict (a cutoff 2.85 ± 0.33 Å from a small sample,
    given on as its number, counted 10.97 ± 0.17 molecules, valid). Which numbers a doubt
    reaches is :func:`_mark_shells`' choice."""
    return {name: (cutoff_source[name],
                   f"{name!r} at {est.value:.2f} Å ({'; '.join(est.notes)})")
            for name, est in cutoff_estimates.items()
            if cutoff_source[name] in ("rdf_minimum", "given")
            and _measured(cutoff_source[name], est) and not est.valid}


def _doubt_note(doubts, names=None):
    """The note of the cutoffs of ``names`` (all by default) among ``doubts``
    (:func:`_doubtful_cutoffs`); None where none of them is doubtful."""
    chosen = {n: d for n, d in doubts.items() if names is None or n in names}
    parts = []
    found = [text for source, text in chosen.values() if source == "rdf_minimum"]
    if found:
        parts.append("counted with shell cutoffs from RDF first minima that are not valid: "
                     + ", ".join(found) + "; give cutoffs= or analyse more frames")
    given = [text for source, text in chosen.values() if source == "given"]
    if given:
        parts.append("counted with shell cutoffs given as measured Estimates that are not "
                     "valid: " + ", ".join(given) + "; find them on more frames")
    return "; ".join(parts) or None


def _fallback_cutoffs(cutoff_estimates, cutoff_source):
    """Species → the text of each cutoff that is a preset used because its RDF showed no first
    minimum (``no_minimum="preset"``): a chosen shell, which what it bounds says."""
    return {name: ("preset_fallback", f"{name!r} at {est.value:.2f} Å, {est.method}")
            for name, est in cutoff_estimates.items()
            if cutoff_source[name] == "preset_fallback"}


def _fallback_note(fallbacks, names=None):
    """The note of the preset fallback cutoffs of ``names`` (all by default); None without."""
    chosen = [text for n, (_, text) in fallbacks.items() if names is None or n in names]
    if not chosen:
        return None
    return ("counted within preset shell cutoffs where the RDF showed no first minimum: "
            + ", ".join(chosen) + "; the shell is the preset's, not one the RDF found")


#: The headline Estimates whose shells depend only on the anions' cutoffs: the class of a shell
#: (SSIP/CIP/AGG, either convention) counts anion molecules, and a free ion is a cation of an
#: SSIP or an anion in no shell.
_ANION_ONLY = ("fractions", "free_cation_fraction", "free_ion_fraction")


def _measured(source, estimate):
    """Whether a cutoff of ``source`` with ``estimate`` carries its error (and, measured, its
    verdict) into its shells: an RDF first minimum, one given as a measured Estimate, or one
    given with its error (:meth:`~ase_electrolyte.estimate.Estimate.given_value` with a
    ``stderr``: an input of known uncertainty, not a setting used as it is)."""
    return source == "rdf_minimum" or (source == "given" and _carries_error(estimate))


def _carries_error(estimate):
    """Whether a cutoff given as ``estimate`` carries an error into the shells: a measured
    Estimate, or a given one with a finite, non-zero error (``Estimate.given_value(2.6, "Å",
    stderr=0.15)`` lost its error: 1.788 ± 0.070 molecules where the cutoff's 0.15 Å moves
    them by 0.23)."""
    if not isinstance(estimate, Estimate):
        return False
    if not estimate.given:
        return True
    return bool(np.isfinite(estimate.stderr) and estimate.stderr > 0)


def cutoff_cn_errors(table, cutoffs, cutoff_estimates, cutoff_source, *, spreads=None,
                     _nearest=None):
    """The error of each coordination number that its RDF-minimum cutoff's own error causes.

    A cutoff from a first minimum scatters by ``δ`` over repeated runs (``spreads``: its
    ``cutoff_spread`` of :class:`~mda_electrolyte.shell_cutoffs.ShellCutoff`, e.g. 2.80 ± 0.15 Å);
    the coordination number counted with it moves with it. Counted again from the table at
    ``r_c − δ`` and ``r_c + δ`` (the running count of distinct molecules of the species within
    r of a cation, the molecules' nearest candidate atoms: the running integral of the atom
    RDF would count every atom of a molecule that crosses, not the molecule), ``δCN =
    δ · (CN(r_c + δ) − CN(r_c − δ)) / (2δ)``, with ``r_c + δ`` held within the table's radius.

    Parameters
    ----------
    table : ~mda_electrolyte.shell_table.ShellTable
    cutoffs, cutoff_estimates, cutoff_source : dict
        ``results.cutoffs`` (Å), ``results.cutoff_estimates`` and ``results.cutoff_source`` of
        the run.
    spreads : dict, optional
        Species → one-sigma scatter of its cutoff, Å (``results.cutoff_details[name]
        ["cutoff_spread"]``); by default the cutoff Estimates' errors. Those are wider in a flat
        trough (they reach where the true minimum may lie): carried into the counts, loose Li⁺
        shells' coordination numbers covered the true one at one sigma in 0.95-1.0 of replicas
        (median absolute z 0.37-0.45), with the scatter 0.68-0.80 (0.54-0.67).

    Returns
    -------
    dict
        Species → ``(δ in Å, δCN)`` for the cutoffs from an RDF minimum with a finite,
        non-zero error, and those given as measured Estimates; given numbers and presets
        are exact and absent.

    Raises
    ------
    TypeError, ValueError
        ``table`` not a ShellTable; a record not a dict, without an entry for a species of
        the table or naming one it does not hold (keys read in any case and spacing, as
        ``cutoffs=`` is); a cutoff that is not a number of at least 1 Å or beyond the
        table's radius; a source not one of ``"given"``, ``"rdf_minimum"``, ``"preset"``,
        ``"preset_fallback"``; an estimate that is not an Estimate; a scatter that is not a
        finite number from 0 Å to the table's radius (``None``: the estimate's error).
    """
    cutoffs, cutoff_estimates, cutoff_source, spreads = _check_cutoff_records(
        "cutoff_cn_errors", table, cutoffs, cutoff_estimates, cutoff_source, spreads)
    return _cutoff_cn_errors(table, cutoffs, cutoff_estimates, cutoff_source, spreads=spreads,
                             _nearest=_nearest)


def _cutoff_cn_errors(table, cutoffs, cutoff_estimates, cutoff_source, *, spreads=None,
                      _nearest=None):
    """:func:`cutoff_cn_errors` of records already checked (a run's own)."""
    entries = list(_uncertain_cutoffs(table, cutoffs, cutoff_estimates, cutoff_source,
                                      spreads))
    counts = _cutoff_counts(table, entries, cutoffs, _nearest=_nearest, shares=False)
    return _cn_errors_of_counts(entries, counts, table.n_frames * table.layout.n_cations)


#: The words of ``results.cutoff_source``.
_CUTOFF_SOURCES = ("given", "rdf_minimum", "preset", "preset_fallback")


def _check_cutoff_records(who, table, cutoffs, cutoff_estimates, cutoff_source, spreads):
    """The run records :func:`cutoff_cn_errors` and :func:`cutoff_share_errors` take, keyed by
    the table's species (any spelling, as ``cutoffs=`` is read), or an error naming what is
    wrong.

    Before: a species missing from a record was a bare ``KeyError``; a NaN cutoff, or one
    beyond the table's radius, gave an error of 0 (no count changes within it); a source
    misspelt (``"rdf-minimum"``) or a NaN scatter dropped the error without a word; a scatter
    given as text was numpy's ``TypeError``, one of 10⁶ Å an error of 10⁵ molecules, and one
    keyed by a species the table does not hold was ignored.
    """
    if not isinstance(table, ShellTable):
        raise TypeError(f"{who}: table must be a ShellTable (results.table of "
                        f"SolvationShells), not {type(table).__name__}")
    names = list(table.layout.species)
    records = {}
    for what, record in (("cutoffs", cutoffs), ("cutoff_estimates", cutoff_estimates),
                         ("cutoff_source", cutoff_source), ("spreads", spreads)):
        if record is None and what == "spreads":
            records[what] = {}
            continue
        if not isinstance(record, dict):
            raise TypeError(f"{who}: {what} must be a dict {{species name: ...}} (the run's "
                            f"results.{what}), not {record!r}")
        keyed = _species_keys(what, record, names)
        unknown = [k for k in keyed if k not in names]
        if unknown:
            raise ValueError(f"{who}: {what} names species {unknown} the table does not hold; "
                             f"its species are {names}")
        missing = [n for n in names if n not in keyed]
        if missing and what != "spreads":
            raise ValueError(f"{who}: {what} has no entry for species {missing}")
        records[what] = keyed
    radius = float(table.radius)
    for name in names:
        # results.cutoff_estimates given as the cutoffs too: their values
        cut = check_shell_cutoff(name, _cutoff_value(name, records["cutoffs"][name]))
        if cut > radius * (1 + 1e-12):
            raise ValueError(f"{who}: cutoff of {name!r} = {cut} Å exceeds the table's "
                             f"collection radius {radius} Å")
        records["cutoffs"][name] = cut
        source = records["cutoff_source"][name]
        if source not in _CUTOFF_SOURCES:
            raise ValueError(f"{who}: cutoff_source[{name!r}] must be one of {_CUTOFF_SOURCES}, "
                             f"not {source!r}")
        est = records["cutoff_estimates"][name]
        if not hasattr(est, "stderr"):
            raise TypeError(f"{who}: cutoff_estimates[{name!r}] must be an Estimate (the run's "
                            f"results.cutoff_estimates), not {est!r}")
        spread = records["spreads"].get(name)
        if spread is not None:
            records["spreads"][name] = check_number(
                f"spreads[{name!r}] (scatter of the cutoff, Å)", spread, minimum=0,
                maximum=radius)
    return records["cutoffs"], records["cutoff_estimates"], records["cutoff_source"], \
        records["spreads"]


def _cn_errors_of_counts(entries, counts, n_shells):
    """:func:`cutoff_cn_errors` from the summed counts of :func:`_cutoff_counts`."""
    out = {}
    for (_, name, delta, lo, hi), row in zip(entries, counts, strict=True):
        count_lo, count_hi = int(row[_CN_LO]), int(row[_CN_HI])
        slope = (count_hi - count_lo) / n_shells / (hi - lo) if hi > lo else 0.0
        out[name] = (float(delta), float(slope * delta))
    return out


# the columns of _cutoff_counts: molecules within r_c - δ and r_c + δ, shells holding one, and
# the shells of each class with the anion's cutoff at either end
_CN_LO, _CN_HI, _PAIRED_LO, _PAIRED_HI = 0, 1, 2, 3
_CLASSES_LO = slice(4, 4 + len(CLASSES))
_CLASSES_HI = slice(4 + len(CLASSES), 4 + 2 * len(CLASSES))
# and (anions) the molecules of the species held by a shell of their frame at either end: the
# free ion fraction's anions
_HELD_LO, _HELD_HI = 4 + 2 * len(CLASSES), 5 + 2 * len(CLASSES)
_N_COUNTS = 6 + 2 * len(CLASSES)


def _cutoff_counts(table, entries, cutoffs, convention="anion_count", *, _nearest=None,
                   shares=True):
    """Counts behind the cutoffs' errors, one row per ``entries`` item
    (:func:`_uncertain_cutoffs`): the molecules of its species within ``r_c − δ`` and ``r_c +
    δ`` of a cation, the shells holding one, and (anions, ``shares``) the shells of each class
    with its cutoff at either end, the others kept. Sums over frames: a table of one frame at a
    time gives, summed, the whole table's (shells of different frames share nothing), which
    lets a streamed run carry the errors a stored table gives."""
    counts = np.zeros((len(entries), _N_COUNTS), dtype=np.int64)
    layout = table.layout
    n_frames, n_cat = table.n_frames, layout.n_cations
    names = list(layout.species)
    anion_codes = [k for k, n in enumerate(names) if n in layout.anions]
    anions = ({k: _nearest_molecules(table, k, _nearest) for k in anion_codes}
              if shares and any(e[0] in anion_codes for e in entries) else {})

    def classes_at(radii):
        # the anion molecules within their cutoffs, classified as shell_results does
        parts = [(shell[d <= np.float32(radii[k])], molecule[d <= np.float32(radii[k])], k)
                 for k, (shell, molecule, d) in anions.items()]
        molecules = _anion_members(parts)
        classes = shell_classes(molecule_counts(molecules, n_frames, n_cat, len(names)),
                                molecules, anion_codes, convention)
        return [np.count_nonzero(classes == c) for c in range(len(CLASSES))]

    for row, (k, _, _, lo, hi) in zip(counts, entries, strict=True):
        shell, _, nearest = anions[k] if k in anions else _nearest_molecules(table, k, _nearest)
        # compared in the table's single precision, as shell_members counts
        row[_CN_LO] = np.count_nonzero(nearest <= np.float32(lo))
        row[_CN_HI] = np.count_nonzero(nearest <= np.float32(hi))
        if not shares:
            continue
        row[_PAIRED_LO] = np.unique(shell[nearest <= np.float32(lo)]).size
        row[_PAIRED_HI] = np.unique(shell[nearest <= np.float32(hi)]).size
        if k in anions:
            radii = {j: cutoffs[names[j]] for j in anion_codes}
            row[_CLASSES_LO] = classes_at({**radii, k: lo})
            row[_CLASSES_HI] = classes_at({**radii, k: hi})
            held = _held_radii(anions[k], n_cat)
            row[_HELD_LO] = np.count_nonzero(held <= np.float32(lo))
            row[_HELD_HI] = np.count_nonzero(held <= np.float32(hi))
    return counts


def _held_radii(nearest, n_cations):
    """The radius of an anion species' cutoff from which each of its molecules is held by a
    shell of its frame (float32, one per molecule in some shell of the table): the least of its
    nearest-atom distances over the frame's shells (:func:`_nearest_molecules`' entries)."""
    shell, molecule, dist = nearest
    if not shell.size:
        return np.zeros(0, np.float32)
    key = (shell // n_cations) * (int(molecule.max()) + 1) + molecule.astype(np.int64)
    _, where = np.unique(key, return_inverse=True)
    held = np.full(int(where.max()) + 1, np.inf, dtype=np.float32)
    np.minimum.at(held, where.ravel(), dist)
    return held


#: Half width, in multiples of a cutoff's scatter δ, of the window around ``r_c`` in which a
#: second pass keeps the step functions of its counts (:class:`_CutoffSteps`): the frames'
#: correlation, known after that pass, widens δ (by √g at most where the search finds no
#: minimum again), and a widened ``r_c ± δ`` within the window is counted from the steps, not by
#: a third read of the frames.
_STEP_WINDOW = 4.0
# the columns of a step function: molecules within r, shells holding one, shells of each class
_STEP_CN, _STEP_PAIRED, _STEP_CLASSES = 0, 1, slice(2, 2 + len(CLASSES))
# and (anions) the molecules held by a shell of their frame
_STEP_HELD = 2 + len(CLASSES)
_N_STEPS = 3 + len(CLASSES)


def _cutoff_steps(table, windows, cutoffs, convention="anion_count", *, _nearest=None):
    """The counts of :func:`_cutoff_counts` as step functions of the radius, one per ``windows``
    item ``(species code, r_lo, r_hi)``: ``(base, molecules_at, shells_at, classes_at,
    class_jumps)`` with ``base`` the counts at ``r_lo`` (molecules of the species within it,
    shells holding one, and for anions the shells of each class with its cutoff there, the
    other anions' kept), ``molecules_at`` and ``shells_at`` the radii (float32, in ``(r_lo,
    r_hi]``) where a molecule enters and where a shell first holds one, and ``class_jumps[i]``
    the change of the class counts where the radius reaches ``classes_at[i]``. The counts at
    any radius of the window are then exact sums; like :func:`_cutoff_counts` they add up over
    frames, in the table's single precision (4 bytes per molecule in a window)."""
    names = list(table.layout.species)
    anion_codes = [k for k, n in enumerate(names) if n in table.layout.anions]
    nearest = {} if _nearest is None else _nearest
    out = []
    for k, r_lo, r_hi in windows:
        shell, _, dist = _nearest_molecules(table, k, nearest)
        lo32, hi32 = np.float32(r_lo), np.float32(r_hi)
        inside = (dist > lo32) & (dist <= hi32)
        base = np.zeros(_N_STEPS, dtype=np.int64)
        base[_STEP_CN] = np.count_nonzero(dist <= lo32)
        # a shell holds the species from its nearest molecule on
        hosts, inverse = np.unique(shell, return_inverse=True)
        first = np.full(hosts.size, np.inf, dtype=np.float32)
        np.minimum.at(first, inverse.ravel(), dist)
        base[_STEP_PAIRED] = np.count_nonzero(first <= lo32)
        classes_at = np.zeros(0, np.float32)
        class_jumps = np.zeros((0, len(CLASSES)), np.int32)
        held_at = np.zeros(0, np.float32)
        if k in anion_codes:
            held = _held_radii((shell, _nearest_molecules(table, k, nearest)[1], dist),
                               table.layout.n_cations)
            base[_STEP_HELD] = np.count_nonzero(held <= lo32)
            held_at = held[(held > lo32) & (held <= hi32)]
            radii = np.array([cutoffs[n] for n in names], dtype=np.float32)
            r_cip, r_agg = _class_radii(table, {j: _nearest_molecules(table, j, nearest)
                                                for j in anion_codes}, k, radii, convention)
            base[_STEP_CLASSES] = [np.count_nonzero(r_cip > lo32),
                                   np.count_nonzero((r_cip <= lo32) & (r_agg > lo32)),
                                   np.count_nonzero(r_agg <= lo32)]
            # a shell turns CIP (SSIP −1, CIP +1) and AGG (CIP −1, AGG +1) once each
            at = np.concatenate([r_cip, r_agg])
            moves = np.repeat(np.array([[-1, 1, 0], [0, -1, 1]], np.int32), r_cip.size, axis=0)
            within = (at > lo32) & (at <= hi32)
            classes_at, where = np.unique(at[within], return_inverse=True)
            class_jumps = np.zeros((classes_at.size, len(CLASSES)), np.int32)
            np.add.at(class_jumps, where.ravel(), moves[within])
            keep = np.any(class_jumps != 0, axis=1)
            classes_at = classes_at[keep].astype(np.float32)
            class_jumps = class_jumps[keep]
        out.append((base, dist[inside].astype(np.float32),
                    first[(first > lo32) & (first <= hi32)], classes_at, class_jumps, held_at))
    return out


def _anion_members(parts):
    """:class:`ShellMolecules` of anion molecules from ``parts``: per anion species,
    ``(shell indices, molecule indices, species code)``; empty arrays where none is given."""
    shell = np.concatenate([p[0] for p in parts] + [np.zeros(0, np.int64)])
    return ShellMolecules(
        shell=shell, molecule=np.concatenate([p[1] for p in parts] + [np.zeros(0, np.int32)]),
        species=np.concatenate([np.full(p[0].size, p[2], np.int8) for p in parts]
                               + [np.zeros(0, np.int8)]),
        has_c=np.zeros(shell.size, bool), has_e=np.zeros(shell.size, bool))


def _class_radii(table, anions, k, radii, convention):
    """The radii of anion species ``k``'s cutoff at which each shell of the table turns CIP
    and AGG (float32, shape (n_shells,) each; ``inf`` never, ``-inf`` at any radius), the other
    anions' cutoffs held at ``radii``: the classes of :func:`_cutoff_counts`' ``classes_at``
    at every radius at once.

    A shell's class only grows with the cutoff (its anions only enter, and an anion once shared
    stays shared): SSIP below the radius its first anion enters at, AGG from the radius its
    second enters at, and with ``"bridging"`` also from where its first is held by a second
    shell of the frame (the second-least radius of that molecule over the frame's shells).
    Classifying every shell once per radius where a molecule enters took a copy of the
    frame's shells per radius: for one frame of 60 Li⁺ and a window of 1-4.9 Å, 1.7-2.2 s
    (``"anion_count"``) and 4.8-6.5 s (``"bridging"``) per frame, against 0.003-0.013 s so,
    with the same steps."""
    n_cat = table.layout.n_cations
    n_shells = table.n_frames * n_cat
    parts = []
    for j, (shell, molecule, d) in anions.items():
        if j == k:
            parts.append((shell, molecule, d.astype(np.float32)))
        else:
            # in at any radius of k's cutoff, compared as _cutoff_counts does
            keep = d <= radii[j]
            parts.append((shell[keep], molecule[keep],
                          np.full(np.count_nonzero(keep), -np.inf, np.float32)))
    shell = np.concatenate([p[0] for p in parts] + [np.zeros(0, np.int64)])
    molecule = np.concatenate([p[1] for p in parts] + [np.zeros(0, np.int32)]).astype(np.int64)
    enter = np.concatenate([p[2] for p in parts] + [np.zeros(0, np.float32)])
    r_cip = np.full(n_shells, np.inf, np.float32)
    r_agg = np.full(n_shells, np.inf, np.float32)
    if not shell.size:
        return r_cip, r_agg
    first, second = _first_two(shell, enter)
    r_cip[shell[first]] = enter[first]
    r_agg[shell[second]] = enter[second]
    if convention == "bridging":
        # a molecule is shared from its second-least radius over the frame's shells on
        key = (shell // n_cat) * (int(molecule.max()) + 1) + molecule
        mol_first, mol_second = _first_two(key, enter)
        keys, where = np.unique(key, return_inverse=True)
        shared = np.full(keys.size, np.inf, np.float32)
        shared[where.ravel()[mol_second]] = enter[mol_second]
        mine = shell[first]
        r_agg[mine] = np.minimum(r_agg[mine],
                                 np.maximum(enter[first], shared[where.ravel()[first]]))
    return r_cip, r_agg


def _first_two(group, value):
    """Indices of the least and the second-least ``value`` of each ``group`` (a group of one
    entry has no second)."""
    order = np.lexsort((value, group))
    sorted_group = group[order]
    start = np.ones(order.size, dtype=bool)
    start[1:] = sorted_group[1:] != sorted_group[:-1]
    second = np.zeros(order.size, dtype=bool)
    second[1:] = start[:-1] & ~start[1:]
    return order[start], order[second]


class _CutoffSteps:
    """The step functions of :func:`_cutoff_steps` summed over a pass's frames, for the
    windows it was given: the counts of :func:`_cutoff_counts` at any ``r_c ± δ`` within them,
    without reading the frames again."""

    # the radii and jumps of _cutoff_steps after its base, one list of parts per window each
    _PARTS = ("molecules_at", "shells_at", "classes_at", "class_jumps", "held_at")

    def __init__(self, windows):
        self.windows = list(windows)
        self.base = np.zeros((len(self.windows), _N_STEPS), dtype=np.int64)
        for name in self._PARTS:
            setattr(self, name, [[] for _ in self.windows])

    def add(self, steps):
        for i, (base, *parts) in enumerate(steps):
            self.base[i] += base
            for name, part in zip(self._PARTS, parts, strict=True):
                if len(part):
                    getattr(self, name)[i].append(part)
        return self

    @staticmethod
    def concatenate(parts):
        """The steps of a run's parts (a parallel backend's workers), summed."""
        total = _CutoffSteps(parts[0].windows)
        for part in parts:
            total.base += part.base
            for name in _CutoffSteps._PARTS:
                for mine, theirs in zip(getattr(total, name), getattr(part, name), strict=True):
                    mine += theirs
        return total

    def _joined(self, name, i, width=None):
        empty = (np.zeros(0, np.float32) if width is None
                 else np.zeros((0, width), np.int32))
        return np.concatenate(getattr(self, name)[i] + [empty])

    def counts(self, entries):
        """The rows of :func:`_cutoff_counts` for ``entries`` (:func:`_uncertain_cutoffs`), or
        None where one of them reaches beyond its species' window (or has none)."""
        windows = {k: i for i, (k, _, _) in enumerate(self.windows)}
        counts = np.zeros((len(entries), _N_COUNTS), dtype=np.int64)
        for row, (k, _, _, lo, hi) in zip(counts, entries, strict=True):
            if k not in windows:
                return None
            i = windows[k]
            _, w_lo, w_hi = self.windows[i]
            lo32, hi32 = np.float32(lo), np.float32(hi)
            if not np.float32(w_lo) <= lo32 <= hi32 <= np.float32(w_hi):
                return None
            molecules_at = self._joined("molecules_at", i)
            shells_at = self._joined("shells_at", i)
            classes_at = self._joined("classes_at", i)
            class_jumps = self._joined("class_jumps", i, len(CLASSES))
            held_at = self._joined("held_at", i)
            base = self.base[i]
            for r, cn, paired, classes, held in (
                    (lo32, _CN_LO, _PAIRED_LO, _CLASSES_LO, _HELD_LO),
                    (hi32, _CN_HI, _PAIRED_HI, _CLASSES_HI, _HELD_HI)):
                row[cn] = base[_STEP_CN] + np.count_nonzero(molecules_at <= r)
                row[paired] = base[_STEP_PAIRED] + np.count_nonzero(shells_at <= r)
                row[classes] = base[_STEP_CLASSES] + class_jumps[classes_at <= r].sum(axis=0)
                row[held] = base[_STEP_HELD] + np.count_nonzero(held_at <= r)
        return counts


def _uncertain_cutoffs(table, cutoffs, cutoff_estimates, cutoff_source, spreads=None):
    """``(species code, name, δ, r_c − δ, r_c + δ)`` of every cutoff from an RDF minimum with
    a finite, non-zero error (its scatter in ``spreads`` where given there), the ends held
    within 0 Å and the table's radius."""
    spreads = spreads or {}
    for k, name in enumerate(table.layout.species):
        delta = spreads.get(name)
        if delta is None:
            delta = cutoff_estimates[name].stderr
        if (not _measured(cutoff_source[name], cutoff_estimates[name])
                or not np.isfinite(delta) or delta <= 0):
            continue
        cut = cutoffs[name]
        yield k, name, float(delta), max(cut - delta, 0.0), min(cut + delta, table.radius)


def _nearest_molecules(table, k, cache=None):
    """Every (shell, molecule) of species ``k`` in the table with the distance of its nearest
    candidate atom (float32): the molecule is in the shell for cutoffs at or beyond it.

    ``cache``: a dict the caller keeps for this table alone (the coordination numbers' and the
    shares' errors recount the same species)."""
    if cache is not None and k in cache:
        return cache[k]
    layout = table.layout
    rows = np.flatnonzero(layout.atom_species[table.atom] == k)
    molecule = layout.atom_molecule[table.atom[rows]].astype(np.int64)
    shell = table.row_frames()[rows].astype(np.int64) * layout.n_cations + table.cation[rows]
    n_mol = int(molecule.max(initial=0)) + 1
    key = shell * n_mol + molecule
    # the nearest candidate atom of every (shell, molecule): the least distance of each run of
    # equal keys (one sort of one key, not a sort by key and distance)
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    nearest = (np.minimum.reduceat(table.distance[rows][order], starts) if starts.size
               else table.distance[:0])
    key = key[starts]
    out = key // n_mol, (key % n_mol).astype(np.int32), nearest
    if cache is not None:
        cache[k] = out
    return out


def cutoff_share_errors(table, cutoffs, cutoff_estimates, cutoff_source,
                        convention="anion_count", *, spreads=None, _nearest=None):
    """The error of each share of shells that an RDF-minimum cutoff's own error causes.

    As :func:`cutoff_cn_errors` does for coordination numbers: the shares are counted again
    from the table with the cutoff of one species at ``r_c − δ`` and ``r_c + δ`` (the others
    kept), and ``δX = δ · (X(r_c + δ) − X(r_c − δ)) / (2δ)``: for an anion, the SSIP, CIP and
    AGG fractions (of ``convention``), the free cation fraction (the SSIP one) and the free
    ion fraction (those cations and the anion molecules in no shell of their frame, over all
    ions); for every species, its pairing (the share of shells holding it). Errors of
    several species' cutoffs are independent: :class:`SolvationShells` adds them in
    quadrature to the block errors. The shares of shell labels, network sizes and total
    coordination numbers depend on every cutoff at once and carry no such term (their verdict
    follows the cutoffs').

    Parameters
    ----------
    table : ~mda_electrolyte.shell_table.ShellTable
    cutoffs, cutoff_estimates, cutoff_source : dict
        ``results.cutoffs`` (Å), ``results.cutoff_estimates`` and ``results.cutoff_source``.
    convention : {"anion_count", "bridging"}
    spreads : dict, optional
        Species → one-sigma scatter of its cutoff, Å, as for :func:`cutoff_cn_errors`.

    Returns
    -------
    dict
        Species → ``{"delta": δ in Å, "pairing": δ, "fractions": {class: δ},
        "free_cation_fraction": δ, "free_ion_fraction": δ}`` (the last three for anions only;
        shares are fractions of shells, or of ions, dimensionless), for the cutoffs from an RDF
        minimum with a finite, non-zero error, and those given as Estimates with an error;
        given numbers and presets are exact and absent.

    Raises
    ------
    TypeError, ValueError
        As :func:`cutoff_cn_errors`, and an unknown ``convention``.
    """
    convention = choice_word("convention", convention, CONVENTIONS)
    cutoffs, cutoff_estimates, cutoff_source, spreads = _check_cutoff_records(
        "cutoff_share_errors", table, cutoffs, cutoff_estimates, cutoff_source, spreads)
    return _cutoff_share_errors(table, cutoffs, cutoff_estimates, cutoff_source, convention,
                                spreads=spreads, _nearest=_nearest)


def _cutoff_share_errors(table, cutoffs, cutoff_estimates, cutoff_source,
                         convention="anion_count", *, spreads=None, _nearest=None):
    """:func:`cutoff_share_errors` of records already checked (a run's own)."""
    entries = list(_uncertain_cutoffs(table, cutoffs, cutoff_estimates, cutoff_source,
                                      spreads))
    counts = _cutoff_counts(table, entries, cutoffs, convention, _nearest=_nearest)
    return _share_errors_of_counts(entries, counts, table.n_frames * table.layout.n_cations,
                                   table.layout.anions, table.layout.n_anion_molecules,
                                   table.layout.n_cations)


def _share_errors_of_counts(entries, counts, n_shells, anions, n_anion_molecules=0,
                            n_cations=1):
    """:func:`cutoff_share_errors` from the summed counts of :func:`_cutoff_counts`; the free
    ion fraction's over ``n_cations + n_anion_molecules`` ions a frame."""
    out = {}
    # ion-frames: the free ion fraction's denominator summed over the frames
    n_ion_frames = n_shells // max(n_cations, 1) * (n_cations + n_anion_molecules)
    for (_, name, delta, lo, hi), row in zip(entries, counts, strict=True):
        scale = delta / (hi - lo) if hi > lo else 0.0
        paired = [int(row[j]) / n_shells for j in (_PAIRED_LO, _PAIRED_HI)]
        entry = {"delta": delta, "pairing": float(abs(paired[1] - paired[0]) * scale)}
        if name in anions:
            at = [np.array(row[j]) / n_shells for j in (_CLASSES_LO, _CLASSES_HI)]
            moved = np.abs(at[1] - at[0]) * scale
            entry["fractions"] = {c: float(moved[j]) for j, c in enumerate(CLASSES)}
            entry["free_cation_fraction"] = float(moved[0])
            # free ions: the SSIPs' cations and the anion molecules in no shell; a larger
            # cutoff lowers both, so their moves add
            free = [int(row[_CLASSES_LO][0]) - int(row[_HELD_LO]),
                    int(row[_CLASSES_HI][0]) - int(row[_HELD_HI])]
            entry["free_ion_fraction"] = float(abs(free[1] - free[0]) / n_ion_frames * scale)
        out[name] = entry
    return out


def _with_share_errors(estimates, errors):
    """The estimates' fractions, free cation fraction and pairing with the cutoffs' share
    errors (:func:`cutoff_share_errors`) added in quadrature (in place, also returned)."""
    def widened(est, terms):
        terms = [(d, e) for d, e in terms if e > 0]
        if est is None or not terms or not np.isfinite(est.stderr):
            return est
        extra = float(np.sqrt(sum(e * e for _, e in terms)))
        text = ", ".join(f"±{d:.3g} Å: ±{e:.3g}" for d, e in terms)
        return dataclasses.replace(
            est, stderr=float(np.hypot(est.stderr, extra)),
            method=f"{est.method} ⊕ the shell cutoffs' scatter (shares at r_c ± δ, {text})")

    anion_terms = [(e["delta"], e) for e in errors.values() if "fractions" in e]
    for c in list(estimates.get("fractions", {})):
        estimates["fractions"][c] = widened(estimates["fractions"][c],
                                            [(d, e["fractions"][c]) for d, e in anion_terms])
    for key in ("free_cation_fraction", "free_ion_fraction"):
        if key in estimates:
            estimates[key] = widened(estimates[key], [(d, e[key]) for d, e in anion_terms])
    for name, entry in errors.items():
        if name in estimates.get("pairing", {}):
            estimates["pairing"][name] = widened(estimates["pairing"][name],
                                                 [(entry["delta"], entry["pairing"])])
    return estimates


def _with_cutoff_errors(cn_estimates, errors):
    """Coordination-number Estimates with their cutoff's scatter (δCN) added in quadrature."""
    out = dict(cn_estimates)
    for name, (delta, d_cn) in errors.items():
        est = out.get(name)
        if est is None or not np.isfinite(est.stderr):
            continue
        out[name] = dataclasses.replace(
            est, stderr=float(np.hypot(est.stderr, d_cn)),
            method=f"{est.method} ⊕ the shell cutoff's scatter ±{delta:.3g} Å (CN at r_c ± δ: "
                   f"±{d_cn:.3g})")
    return out


def _mark_shells(results, cutoff_estimates, cutoff_source, anions, network_species=None):
    """The shells' Estimates in ``results`` (headline numbers, mean angles, per label) marked
    not valid where a doubtful cutoff (:func:`_doubtful_cutoffs`) bounds them, and noted (still
    valid) where a preset fallback cutoff does.

    What a cutoff bounds: a species' coordination number and pairing count its molecules
    within its own cutoff alone; the classes, free cation and free ion fractions count anion
    molecules (``anions``' cutoffs alone); network sizes the molecules of ``network_species``
    (all species by default) that cations share, and the SSIPs in networks those and the
    anions; labels, total coordination numbers, angles and the per-label results depend on
    every cutoff. Before, one
    doubtful solvent cutoff marked every Estimate not valid, the anion's own coordination
    number and the SSIP/CIP/AGG fractions counted within a sound anion cutoff included."""
    doubts = _doubtful_cutoffs(cutoff_estimates, cutoff_source)
    fallbacks = _fallback_cutoffs(cutoff_estimates, cutoff_source)
    if not doubts and not fallbacks:
        return

    def marked(tree, names=None):
        note = _doubt_note(doubts, names)
        if note is not None:
            tree = mark_not_valid(tree, note)
        note = _fallback_note(fallbacks, names)
        return tree if note is None else _noted(tree, note)

    if "estimates" in results:
        estimates = {}
        for key, value in results["estimates"].items():
            if key in ("coordination_numbers", "pairing"):
                estimates[key] = {n: marked(e, [n]) for n, e in value.items()}
            elif key in _ANION_ONLY:
                estimates[key] = marked(value, list(anions))
            elif key == "network_sizes" and network_species is not None:
                estimates[key] = marked(value, list(network_species))
            elif key == "ssip_fraction_in_networks" and network_species is not None:
                estimates[key] = marked(value, [*anions, *network_species])
            else:
                estimates[key] = marked(value)
        results["estimates"] = estimates
    for key in ("angles", "by_type"):
        if key in results:
            results[key] = marked(results[key])


def _noted(tree, note):
    """``tree`` with ``note`` added to every Estimate in it, each verdict kept."""
    if isinstance(tree, Estimate):
        return tree.with_notes(note)
    if isinstance(tree, dict):
        return {k: _noted(v, note) for k, v in tree.items()}
    return tree


def _check_group(name, group, universe=None):
    """:func:`~mda_electrolyte.analysis_base.check_atomgroup` of the cations; an empty one of
    a topology that writes its elements in upper case ('LI': "element Li" selects none) says
    how to select them."""
    try:
        return check_atomgroup(name, group, universe=universe)
    except ValueError as err:
        if getattr(group, "n_atoms", None) == 0:
            raise ValueError(f"{err}{_written_case_hint(group.universe.atoms)}") from None
        raise


def _option_words(convention, cutoff_convention, no_minimum):
    """The three word options read in any case and spacing (``"Bridging"``, ``"DONOR_ATOMS"``),
    as the calculators and run_md read theirs: ``"Bridging"`` was refused while ``"bridging"``
    ran."""
    return (choice_word("convention", convention, CONVENTIONS),
            choice_word("cutoff_convention", cutoff_convention, CUTOFF_CONVENTIONS),
            choice_word("no_minimum", no_minimum, NO_MINIMUM))


#: The settings of the first-minimum search as their defaults in :class:`SolvationShells`.
_SEARCH_DEFAULTS = {"no_minimum": "raise", "rdf_smoothing": 0.2, "max_cutoff": 6.0}


def _refuse_search_settings(known, cutoff_convention, **settings):
    """Refuse a setting of the first-minimum search other than its default where every
    species' cutoff is known before the pass (given, or a donor-atom preset): no RDF minimum
    is searched, and ``no_minimum="preset"``, ``rdf_smoothing=0.5`` or ``max_cutoff=4.0``
    beside ``cutoffs=`` for every species changed nothing, without a word (the caller took
    the shells for those of the search's cutoffs).

    Raises
    ------
    ValueError
        Naming the settings and where the cutoffs come from.
    """
    changed = {k: v for k, v in settings.items() if v != _SEARCH_DEFAULTS[k]}
    if not changed:
        return
    source = ("cutoffs= and the donor-atom presets of cutoff_convention='donor_atoms':"
              if cutoff_convention == "donor_atoms" else "cutoffs=")
    given = ", ".join(f"{k}={v!r}" for k, v in changed.items())
    raise ValueError(
        f"SolvationShells: {given} set{'s' if len(changed) == 1 else ''} the search of the RDF "
        f"first minima, but every species' cutoff is known before the pass ({source}"
        f"{ {n: round(float(r), 4) for n, r in known.items()} } Å), so no minimum is searched "
        f"and {'it has' if len(changed) == 1 else 'they have'} no effect; leave "
        f"{'it' if len(changed) == 1 else 'them'} out, or leave out the cutoffs that are to "
        "come from the RDF")


def _refuse_idle_fallback(element, searched, presets):
    """Refuse ``no_minimum="preset"`` where no species whose cutoff is searched has a preset
    to fall back to: cations other than Li⁺ (Ju et al. (2025)'s donor-atom cutoffs are Li⁺'s)
    or species without donor atoms (water, a sulfonyl anion). It could change nothing: the
    run went through every frame and then raised "no first minimum", or, with minima found,
    ran as ``"raise"`` without a word.

    Raises
    ------
    ValueError
        Naming the cations or the species and the presets there are.
    """
    if element != "Li":
        raise ValueError(
            f"SolvationShells: no_minimum='preset' falls back to Ju et al. (2025)'s donor-atom "
            f"cutoffs where an RDF has no first minimum; they are Li⁺'s, and the cations are "
            f"{element!r}, so it has no effect; leave it out, or give cutoffs={{name: Å}} for "
            f"{searched}")
    if not any(name in presets for name in searched):
        raise ValueError(
            f"SolvationShells: no_minimum='preset' falls back to a donor-atom cutoff where an "
            f"RDF has no first minimum, but it has no donor-atom cutoff for {searched}, the "
            f"species whose cutoffs are searched (Ju et al. (2025) define Li–O for O bonded to "
            "a carbon and Li–P for PF6⁻), so it has no effect; leave it out, or give "
            f"cutoffs={{name: Å}} for {searched}")


def _cutoff_value(name, value):
    """The number in Å of a cutoff given as a number or as an Estimate (a run's
    ``results.cutoff_estimates``), or an error naming what is wrong with the Estimate."""
    if not isinstance(value, Estimate):
        return value
    if value.unit not in ("Å", "A", "angstrom", "Angstrom"):
        raise ValueError(f"cutoffs[{name!r}] is an Estimate in {value.unit!r}; a shell cutoff "
                         "is in Å")
    if not np.isfinite(value.value):
        raise ValueError(f"cutoffs[{name!r}] is an Estimate without a value (a cutoff that was "
                         f"not found: {'; '.join(value.notes) or value.method}); give a number")
    return float(value.value)


def _measured_cutoffs(cutoffs, species):
    """Species → the cutoffs given as Estimates that carry an error (:func:`_carries_error`:
    measured ones, or given ones with an error): their error, and a measured one's verdict,
    are carried into the shells counted with them."""
    out = {}
    for name, value in _species_keys("cutoffs", cutoffs or {}, species).items():
        if _carries_error(value):
            out[_named_species("a cutoff given", name, species)] = value
    return out


def _check_inputs(cations, anions, solvents, cutoffs, convention, rdf_range,
                  cutoff_convention="whole_molecule", no_minimum="raise", bonds=None):
    _option_words(convention, cutoff_convention, no_minimum)
    _check_group("SolvationShells: the cation selection", cations)
    if not isinstance(anions, dict) or not isinstance(solvents, dict):
        raise TypeError("anions and solvents must be dicts mapping a species name to an AtomGroup")
    for name, group in {**anions, **solvents}.items():
        check_atomgroup(f"SolvationShells: the selection of species {name!r}", group,
                        universe=cations.universe)
    try:
        _ = cations.universe.atoms.elements
    except (AttributeError, NoDataError):
        raise ValueError("SolvationShells needs element symbols in the topology (guess them, "
                         "e.g. universe.guess_TopologyAttrs(to_guess=['elements']))") from None
    _check_element_symbols(cations, {**anions, **solvents})
    _check_one_cation_element(cations)
    if not anions and not solvents:
        raise ValueError("SolvationShells: give at least one anion or solvent species")
    overlap = set(anions) & set(solvents)
    if overlap:
        raise ValueError(f"species names used both as anion and solvent: {sorted(overlap)}")
    species = {**anions, **solvents}
    universe = cations.universe
    if len(cations.residues) != cations.n_atoms or (
        cations.residues.atoms.n_atoms != cations.n_atoms
    ):
        # a topology without molecule ids (LAMMPS atom style atomic/charge, a bare .xyz) puts
        # every atom in one residue: say what was found and where residues come from
        raise ValueError(
            "every cation must be a single atom in a residue of its own (one Li/Na/K per "
            f"residue): the {cations.n_atoms} cation(s) lie in {len(cations.residues)} "
            f"residue(s) of {cations.residues.atoms.n_atoms} atoms; load a topology whose "
            "residues are the molecules (a LAMMPS data file of atom style full or molecular, "
            "with molecule ids; a GROMACS .tpr or .gro)"
        )
    groups = {"cations": cations, **species}
    names = list(groups)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            shared = np.intersect1d(groups[names[a]].ix, groups[names[b]].ix)
            if shared.size:
                raise ValueError(
                    f"selections {names[a]!r} and {names[b]!r} overlap "
                    f"({shared.size} atoms, e.g. index {shared[0]})"
                )
            shared_res = np.intersect1d(groups[names[a]].resindices, groups[names[b]].resindices)
            if shared_res.size:
                raise ValueError(
                    f"selections {names[a]!r} and {names[b]!r} share residues "
                    f"(e.g. residue index {shared_res[0]}); molecules are residues"
                )
    if bonds is None:
        bonds = bond_indices(universe)
    _check_bonds_within_molecules(universe, bonds, [cations, *species.values()])
    # two molecules in one residue would be counted as one molecule of the shell
    check_one_molecule_per_residue(
        sum(species.values(), cations), bonds,
        hint="SolvationShells counts each residue as one molecule; load a topology whose "
             "residues are the molecules, or, where the bonds were guessed, guess them with the "
             "box (guess_TopologyAttrs(to_guess=['bonds'], box=universe.dimensions)): without "
             "it a molecule that crosses the box loses the bonds across")
    # an equivalent cell of the same lattice allows the same range (its tilts reduced)
    half = half_box_width(reduced_box(universe.dimensions), "SolvationShells")
    if rdf_range[1] > half * BOX_ROUNDING:
        # distances are minimum-image: beyond half the box, pairs are missed
        raise ValueError(
            f"rdf_range ends at {rdf_range[1]} Å, beyond half the smallest box width "
            f"({half:.3f} Å); reduce rdf_range"
        )
    r_min, r_max = rdf_range
    if cutoffs is not None and not isinstance(cutoffs, dict):
        raise TypeError(f"cutoffs must be a dict {{species name: cutoff in Å}}, not {cutoffs!r}")
    known = {}
    for name, value in _species_keys("cutoffs", cutoffs or {}, species).items():
        # refused with the species known and a near one
        name = _named_species("a cutoff given", name, species)
        value = _cutoff_value(name, value)
        # 0.26 (nm) ran the whole pass to coordination number 0 and 100 % SSIP
        value = check_shell_cutoff(name, value)
        if not (r_min < value <= r_max):
            raise ValueError(f"cutoff of {name!r} = {value} Å is outside the RDF range {rdf_range}")
        known[name] = value
    for name, group in species.items():
        oxygens = group[element_symbols(group.elements) == "O"]
        residue_size = np.bincount(universe.atoms.resindices)[oxygens.resindices]
        # an oxygen that is a molecule of its own (an oxide ion, a one-bead solvent) has no
        # bond to have: neither carbonyl nor ether, without bonds in the topology (it was
        # refused for the topology's lack of bonds)
        if not np.any(residue_size > 1):
            continue
        if bonds is None:
            bonds = bond_indices(universe)
        if len(bonds) == 0:
            raise ValueError(
                f"species {name!r} has oxygen atoms but the topology has no bonds, so carbonyl "
                "and ether oxygens cannot be told apart; add bonds (e.g. "
                "universe.guess_TopologyAttrs(to_guess=['bonds'], box=universe.dimensions))"
            )
        degree = np.bincount(np.asarray(bonds).ravel(), minlength=universe.atoms.n_atoms)
        lonely = oxygens[(residue_size > 1) & (degree[oxygens.ix] == 0)]
        if lonely.n_atoms:
            raise ValueError(
                f"species {name!r}: {lonely.n_atoms} oxygen atoms (e.g. index {lonely[0].ix}) have "
                "no bonds, so their carbonyl/ether type cannot be found; check the topology bonds"
            )
    return known


class SolvationShells(FrameAnalysis):
    r"""First solvation shells of cations, their SSIP/CIP/AGG classes and Ju et al. (2025) labels.

    Parameters
    ----------
    cations : MDAnalysis.core.groups.AtomGroup
        The cations (Li⁺, Na⁺, K⁺, ...), one atom per residue, all of one element (several
        are refused: their shells differ).
    anions, solvents : dict of {str: AtomGroup}
        Species name → its atoms; molecules are the residues. Results are keyed by these names.
        The atoms given are the candidate coordinating atoms (usually whole molecules).
    cutoffs : dict of {str: float or Estimate}, optional
        Shell cutoff per species in Å (cation to any candidate atom of the species); an atom
        at the cutoff is inside. An :class:`~ase_electrolyte.estimate.Estimate` in Å (the
        ``results.cutoff_estimates`` of a run on part of the trajectory) is used at its value
        and, measured (not ``given``), keeps its meaning: its error ``δ`` is carried into the
        coordination numbers and shares counted at ``r_c ± δ`` as for a cutoff found here
        (``δ`` its Estimate's error, which for an RDF first minimum is wider than the scatter
        a search on this run would use; in ``results.cutoff_cn_errors``, also with
        ``store_table=False``), and a cutoff that is not valid makes every shell Estimate not
        valid with its reason (given as its number, 2.85 ± 0.33 Å from a small sample counted
        10.97 ± 0.17 molecules, valid); it is ``results.cutoff_estimates``' entry. A given one
        with an error (``Estimate.given_value(2.4, "Å", stderr=0.15)``, an input of known
        uncertainty) carries its error the same way, its verdict its own (no doubt); one
        without is a setting, exact. Distances
        are minimum-image, computed in double precision from the coordinates (as
        :class:`~mda_electrolyte.rdf.IntraInterRDF`'s) and compared with the cutoff at the
        table's single precision. A key names its species in any case
        and spacing (``"ec"`` for ``"EC"``); one no species is, or two that name one, are
        refused. Species without one get the first
        minimum of the cation–species RDF
        (:func:`mda_electrolyte.shell_cutoffs.first_minimum`: smoothed, bin-count independent,
        with a depth test), or the preset of ``cutoff_convention="donor_atoms"``.
    convention : {"anion_count", "bridging"}
        How shells are classed, see the module documentation (Gong et al. 2025 vs mdgo).
    cutoff_convention : {"whole_molecule", "donor_atoms"}
        ``"whole_molecule"`` (default): the atoms given are the candidates and the cutoffs come
        from the RDF first minimum. ``"donor_atoms"``: Ju et al. (2025, SevenNet-0)'s Li⁺ shells,
        through donor atoms found from the bonds (oxygens bonded to carbon, the P of PF6⁻) with
        Li–O 2.6 Å and Li–P 4.2 Å (:data:`mda_electrolyte.shell_cutoffs.DONOR_PRESETS`);
        Li cations only.
    no_minimum : {"raise", "preset"}
        What to do when an RDF has no acceptable first minimum: raise, or (Li cations) use the
        ``"donor_atoms"`` preset for that species and say so in ``results.cutoff_details``.
        ``"preset"`` with other cations, or where no species whose cutoff is searched has a
        donor-atom preset (water, a sulfonyl anion), could change nothing and is refused
        before the pass. This, ``rdf_smoothing`` and ``max_cutoff`` set the first-minimum
        search: other than
        their defaults where every species' cutoff is known before the pass (``cutoffs`` for
        all, or the donor-atom presets) they would have no effect, and are refused.
    rdf_smoothing : float
        Smallest Gaussian smoothing width in Å of the first-minimum search.
    max_cutoff : float
        Largest cutoff in Å an RDF first minimum may give (when some cutoffs are not given):
        the pass keeps the cation–atom pairs up to this distance (about 12 bytes each), and a
        first minimum beyond it raises. Memory, not accuracy: raise it for unusual shells.
        Below 1 Å, the shortest cutoff a shell is given (a length in nm), it is refused before
        the pass while a cutoff is to be found, as an ``rdf_range`` that ends there is.
    rdf_range : tuple of float
        Range of the cation–species RDFs in Å; given cutoffs must lie inside. A range that
        starts inside or after the first shell has no first minimum of its own (the pairs
        closer than its start are counted to tell): such a cutoff is refused after the pass.
        Its end must lie within half the smallest box width of every selected frame (checked
        for all their boxes before the pass). Pairs closer than
        :data:`~mda_electrolyte.rdf.MIN_PAIR_DISTANCE` (overlapping atoms) are left out of the
        first-minimum search; where they are more than the first shell's counting noise
        (the pairs within its cutoff, whether given, preset or from the RDF), or without a
        shell more than chance puts that close, the shells are refused after the pass naming
        their number, frames, atoms and distances (the rule by which
        :class:`~mda_electrolyte.rdf.IntraInterRDF` marks its shell not valid); fewer are
        named in a warning.
    rdf_nbins : int
        Bins of those RDFs.
    network_species : list of str, optional
        Species whose shared molecules join cations into networks (default: all species).
    angle_bins : int
        Bins of the angle histograms over 0–180°, at most :data:`MAX_ANGLE_BINS` (two
        histograms are kept per shell label).
    store_table : bool or None
        ``True``: the pass keeps every cation–atom pair within the collection radius
        (:class:`~mda_electrolyte.shell_table.ShellTable`, about 12 bytes a pair): cutoffs can
        come from the RDF minima, and ``results.table``, ``results.shells``,
        ``results.classes`` and ``results.shell_labels`` are kept. ``False``: every frame is
        reduced to its shells as it is read (:mod:`mda_electrolyte.shell_summary`: 7 bytes per
        cation and frame below 256 cations, 9 above, plus 56 per frame, whatever the number of
        pairs; the conclusion peaks at about twice that: 0.71 GiB measured for 10⁶ frames of
        50 Li⁺), for long trajectories; every cutoff must then be known before the pass
        (``cutoffs`` or ``cutoff_convention="donor_atoms"``; refused before the pass
        otherwise), and the shells are given only as ``results.class_codes`` and
        ``results.label_codes``. Every other result is the same. The table grows with frames ×
        cations × neighbours within ``max_cutoff``: loose shells of 16 Li⁺ over 200 frames
        held 1.7 kB per cation and frame (8 kB at the peak of the conclusion; 6.7 kB per
        cation and frame at the peak for 8 Li⁺ in loose shells without cutoffs given, 400 GB
        for 10⁶ frames of 60 Li⁺); a run whose table, extrapolated from its first 10 frames
        to all of them, exceeds :data:`TABLE_WARNING_BYTES` (1 GiB) says so in a warning with
        its cost per cation and frame (in a parallel run, from each worker).
        ``None`` (default): the table while the run's, extrapolated from its first 10
        frames, stays within :data:`TABLE_BUDGET_BYTES` (256 MiB; a run in several parts,
        parallel or not, judges the same 10 frames before the parts are computed, reading
        them twice, so every backend keeps or drops the table as one part does); beyond it
        the table is
        dropped, the pass goes on counting the RDFs of every frame, and the shells are counted
        frame by frame in a second pass over the same frames (the same backend) with the
        cutoffs then known, as ``store_table=False`` counts them: the same results (the
        cutoffs' scatter carried into the coordination numbers and shares as from a table),
        without ``results.table``, ``shells``, ``classes`` and ``shell_labels``, and a warning
        says so. Memory then stays bounded by the shells, not the pairs (0.8 MB at the peak
        for 400 and 800 frames of 8 Li⁺ where the table took 11-22 MB;
        ``tests/test_struct27_shell_two_pass.py``). With every cutoff known there is no second
        pass: the frames read to judge the table are reduced to their shells and the run goes
        on as ``store_table=False``'s, reading each frame once (a run in several parts reads
        the judged frames twice, as above).
    **kwargs
        Passed to :class:`~MDAnalysis.analysis.base.AnalysisBase` (e.g. ``verbose``).

    Attributes
    ----------
    results.cutoffs : dict
        Species → cutoff in Å; ``results.cutoff_source`` says ``"given"``, ``"rdf_minimum"``,
        ``"preset"`` or ``"preset_fallback"`` (no RDF minimum).
    results.cutoff_estimates : dict
        Species → the cutoff as an :class:`~ase_electrolyte.estimate.Estimate` in Å
        (:meth:`~mda_electrolyte.shell_cutoffs.ShellCutoff.estimate`): the resolution of the
        first-minimum search as error, not valid when the minimum is shallow, not significant,
        from a small sample (counted over the independent frames: ``N / g`` of ``N``, ``g`` the
        statistical inefficiency of the species' per-frame coordination number as
        :class:`~mda_electrolyte.rdf.IntraInterRDF` measures its frames', or of its pairs
        within the RDF range where the coordination number changed fewer than 19 times; one
        frame where those never change either), or from a run "too short" for
        IntraInterRDF's g(r) (fewer than four frames per block of
        :func:`~mda_electrolyte.frame_estimates.frame_average`, or fewer than two independent
        ones); a cutoff given by the caller or a preset, also the preset
        ``no_minimum="preset"`` falls back to (its method says why and whose), is given
        (:meth:`~ase_electrolyte.estimate.Estimate.given_value`, ``"2.6 Å (given)"``). A
        doubtful cutoff marks not valid the numbers it bounds, and a preset fallback notes
        them (valid): its species' coordination number and pairing; an anion's, also the
        classes and free cation and ion fractions; any, the labels, networks, total
        coordination numbers and angles.
    results.cutoff_details : dict
        Species → how the cutoff was chosen (:class:`~mda_electrolyte.shell_cutoffs.ShellCutoff`
        as a dict: first peak, depth, significance, pairs in the shell, warnings, a note).
    results.shell_atoms : dict
        Species → ``"whole_molecule"`` or ``"donor_atoms"``: the atoms the cutoff applies to.
    results.rdfs : dict
        Species → (r in Å, n(r) in Å⁻³) of the RDFs used for the cutoffs (empty when all
        were given): n(r) is the mean number density of the species' candidate atoms at r from
        one cation (other residues only), ``InterRDF(cations, species, norm="density",
        exclude_same="residue")`` of MDAnalysis divided by the number of cations (MDAnalysis'
        ``"density"`` sums over them); ``n(r) / ρ`` with ``ρ`` the species' atoms over the
        mean box volume is its ``norm="rdf"`` g(r). The first minimum does not depend on the
        scale.
    results.shells : pandas.DataFrame
        One row per coordinating atom: frame, cation (atom index), species, molecule (residue
        index), atom (index), oxygen type ("Oc", "Oe" or ""), distance in Å
        (``store_table=True`` only).
    results.classes : numpy.ndarray of str, shape (n_frames, n_cations)
        SSIP/CIP/AGG of every cation in every frame (``store_table=True`` only).
    results.shell_labels : numpy.ndarray of object, shape (n_frames, n_cations)
        Ju et al. (2025) label of every shell, e.g. ``"Li(ECc)3(PF6)"`` (``store_table=True``
        only).
    results.class_codes : numpy.ndarray of int8, shape (n_frames, n_cations)
        The classes as indices into :data:`~mda_electrolyte.shell_composition.CLASSES`
        (SSIP, CIP, AGG).
    results.label_codes : numpy.ndarray of int32, shape (n_frames, n_cations)
        The labels as indices into ``results.label_names`` (most common first).
    results.fractions : dict
        Class → fraction of cation shells (over cations and frames).
    results.labels : dict
        Label → fraction of cation shells, most common first.
    results.coordination_numbers, results.pairing : dict
        Species → mean number of its molecules in a shell; fraction of cations with at least one
        (solvation-analysis' definitions).
    results.free_cation_fraction : float
        Static degree of dissociation α_s: fraction of cations with no anion in the shell.
        Without anion species (``anions={}``) every shell is an SSIP by definition: the
        classes' fractions and the free fractions are then not valid, saying so.
    results.free_ion_fraction : float
        Free cations plus anion molecules in no shell, over all cations and anion molecules.
    results.network_sizes : dict
        Network size n (cations) → fraction of cations in networks of n cations (1 = isolated).
    results.angles : dict
        ``"Oc-M-Oc"`` and ``"M-Oc-Cc"`` → dict with ``bins`` (degrees), ``density`` (1/degree),
        ``estimate`` (the mean angle in degrees, an Estimate with its error over frames and
        verdict; unit ``"°"``; ``None`` when no such angle occurred), ``mean`` (a plain alias
        of its value) and ``n`` (number of angles).
    results.cn_distribution : dict
        Species (and ``"total"``: molecules of all species) → ``{n: fraction of cation shells
        with n such molecules}`` over cations and frames; ``results.cn_distribution_by_class``
        the total's distribution per class.
    results.ssip_networks : dict
        SSIPs joined into networks through shared solvent molecules (Chalykh et al. 2025):
        ``fraction_in_networks`` (SSIPs in networks of two or more cations; ``None`` without
        SSIPs), ``sizes`` (network size → fraction of SSIP shells), ``cn_distribution`` and
        ``composition`` (mean molecules of each species) for ``"network"`` and ``"isolated"``
        SSIPs, and ``n_ssip`` (SSIP shells counted).
    results.by_type : dict
        Per shell label (most common first), as Ju et al. (2025) Fig. 4: ``n_shells``;
        ``rdf`` and ``cn`` with ``"M-Oc"`` and ``"M-Oe"`` (g(r) of the cations of that label
        around the carbonyl/ether oxygens of all species, ``None`` without such oxygens, and the
        cumulative coordination number), on ``results.by_type_bins`` (Å, the RDF range and
        bins); ``angles`` with ``"Oc-M-Oc"`` and ``"M-Oc-Cc"`` (``density``, ``mean``, ``n``, and
        ``estimate``: the mean marked not valid, without an error, since a shell type's angles
        are not kept per frame).
    results.timeseries : dict
        Per frame: ``fractions`` (n_frames, 3) in SSIP/CIP/AGG order, ``coordination_numbers``
        and ``pairing`` (dict species → array), ``free_cation_fraction`` (n_frames,).
    results.estimates : dict
        The headline numbers as :class:`~ase_electrolyte.estimate.Estimate` (value, t-scaled
        standard error over contiguous blocks of frames, verdict: too few frames or ions), from
        :func:`mda_electrolyte.frame_estimates.frame_average`: ``fractions`` (class →),
        ``coordination_numbers`` and ``pairing`` (species →), ``free_cation_fraction``,
        ``free_ion_fraction``, and the shares of the distributions, ``labels`` (label →),
        ``network_sizes`` and ``cn_distribution_total`` (int →), each the average over frames
        of that frame's share, and ``ssip_fraction_in_networks`` (the SSIPs in networks over
        all SSIP shells, ``ssip_networks["fraction_in_networks"]``, with the error of that
        pooled ratio over frames: :func:`~mda_electrolyte.shell_summary.pooled_ratio_estimate`;
        ``None`` without any SSIP). The plain floats above are their values. Every one of
        them (and the mean angles) is not valid, with the reason, where a cutoff taken from an
        RDF first minimum is not valid (shallow, not significant, a small sample): where the
        shell ends is then uncertain beyond the error bars. A coordination number counted with
        a cutoff from an RDF first minimum also carries that cutoff's scatter over runs
        (``cutoff_spread`` of :class:`~mda_electrolyte.shell_cutoffs.ShellCutoff`), in quadrature
        (:func:`cutoff_cn_errors`; ``results.cutoff_cn_errors`` holds species →
        ``(δ in Å, δCN)``, empty for given and preset cutoffs); so do the SSIP/CIP/AGG
        fractions and the free cation and free ion fractions (an anion's cutoff) and the
        pairing of a
        species (its own cutoff) (:func:`cutoff_share_errors`, ``results.cutoff_share_errors``).
    results.table : ShellTable
        What the pass collected (:class:`~mda_electrolyte.shell_table.ShellTable`); every
        result above is :func:`shell_results` of it, so it can be saved and re-derived (other
        cutoffs up to its radius, the other convention) without the trajectory
        (``store_table=True`` only).

    Notes
    -----
    One pass through AnalysisBase's hooks: each frame's cation–atom pairs (one neighbour search
    of the cations against every atom of the species, up to the RDF range) are reduced to a
    compact table and summed histograms; cutoffs from the RDF first minima are found over all
    analysed frames in ``_conclude``, so ``run(backend="multiprocessing")`` and ``"dask"`` give
    the serial results. The shells equal solvation-analysis' ``Solute`` with the same radii,
    also for bidentate solvents, bridging anions, empty shells and triclinic cells whose size
    changes (a random Li⁺/DME/BF₄⁻ cell: the same 160 frame–cation–molecule triples), except
    for pairs within single-precision rounding of a cutoff (a few 1e-8 Å at 2 Å): those are
    inside here (their float32 distance is the cutoff), while solvation-analysis compares
    double-precision distances taken with single-precision cell vectors (off by up to 1e-6 Å
    in a tilted cell), placing some on either side. Cations of two elements (Li⁺ and Na⁺),
    which solvation-analysis pools as one solute, are refused: run one analysis per element.

    Examples
    --------
    solvation-analysis' LiPF6 in butyronitrile/FEC test trajectory, with the radii of its tests:

    >>> import os, numpy as np, MDAnalysis as mda, solvation_analysis
    >>> from mda_electrolyte import SolvationShells
    >>> d = os.path.join(os.path.dirname(solvation_analysis.__file__), "tests/data/bn_fec_data")
    >>> u = mda.Universe(f"{d}/bn_fec.data", f"{d}/bn_fec_short_wrap.dcd")
    >>> u.add_TopologyAttr("elements", np.loadtxt(f"{d}/bn_fec_elements.csv", dtype=str))
    >>> shells = SolvationShells(
    ...     u.select_atoms("type 22"), {"PF6": u.select_atoms("byres type 20")},
    ...     {"BN": u.select_atoms("byres type 5"), "FEC": u.select_atoms("byres type 19")},
    ...     cutoffs={"PF6": 2.8, "BN": 2.61468, "FEC": 2.43158}).run()
    >>> round(shells.results.coordination_numbers["BN"], 3), shells.results.fractions["AGG"]
    (4.329, 0.0)
    >>> list(shells.results.labels)[:3]
    ['Li(BN)5', 'Li(BN)4', 'Li(BN)4(FECc)']

    For a long trajectory, with the cutoffs known, reduce each frame to its shells as it is
    read (a few bytes per cation and frame): the same results, the shells as codes.

    >>> streamed = SolvationShells(
    ...     u.select_atoms("type 22"), {"PF6": u.select_atoms("byres type 20")},
    ...     {"BN": u.select_atoms("byres type 5"), "FEC": u.select_atoms("byres type 19")},
    ...     cutoffs=shells.results.cutoffs, store_table=False).run()
    >>> streamed.results.labels == shells.results.labels
    True
    >>> str(streamed.results.label_names[streamed.results.label_codes[0, 0]])
    'Li(BN)4(FECc)'
    >>> print(streamed.results.estimates["coordination_numbers"]["BN"])  # 10 frames: not enough
    ... # doctest: +NORMALIZE_WHITESPACE
    4.329 ± 0.017 (too short: 6.3 independent frames (need 50); too few changes: the value
    changed 9 times (a calibrated error needs at least 19))
    """

    @names_errors
    def __init__(
        self,
        cations,
        anions,
        solvents,
        cutoffs=None,
        convention="anion_count",
        rdf_range=(0.0, 8.0),
        rdf_nbins=80,
        network_species=None,
        angle_bins=90,
        cutoff_convention="whole_molecule",
        no_minimum="raise",
        rdf_smoothing=0.2,
        max_cutoff=6.0,
        store_table=None,
        **kwargs,
    ):
        rdf_range = check_range("rdf_range", rdf_range)
        convention, cutoff_convention, no_minimum = _option_words(
            convention, cutoff_convention, no_minimum)
        _check_group("SolvationShells: the cation selection", cations)
        _check_bins("rdf_nbins", rdf_nbins)
        _check_bins("angle_bins", angle_bins, MAX_ANGLE_BINS)
        # wider than the RDF range it flattens every peak; 1e308 was an OverflowError
        rdf_smoothing = check_number("rdf_smoothing (a width in Å)", rdf_smoothing, above=0,
                                     maximum=rdf_range[1])
        max_cutoff = check_number("max_cutoff (Å)", max_cutoff, above=0)
        if isinstance(network_species, str):
            raise TypeError(f"network_species must be a list of species names, not the string "
                            f"{network_species!r}")
        # read once: building the bond group is the slowest step of the set-up
        bonds = bond_indices(cations.universe)
        # the cutoffs by the species' own names
        given_cutoffs = cutoffs
        cutoffs = _check_inputs(cations, anions, solvents, cutoffs, convention, rdf_range,
                                cutoff_convention, no_minimum, bonds)
        if store_table is not None:
            try:
                check_flag("store_table", store_table)
            except FlagError as err:
                # None is the third choice, the default
                raise FlagError(f"{err}, or None (the default: the table while it fits "
                                f"TABLE_BUDGET_BYTES, else two passes)") from None
        super().__init__(cations.universe.trajectory, **kwargs)
        self._cations = cations
        self._anion_names = list(anions)
        self._solvent_names = list(solvents)
        self._species = {**solvents, **anions}
        self._cutoffs_given = {k: float(v) for k, v in (cutoffs or {}).items()}
        # cutoffs given as measured Estimates: their verdict and error go into the shells
        self._cutoffs_measured = _measured_cutoffs(given_cutoffs, self._species)
        self._cutoff_convention = cutoff_convention
        self._no_minimum = no_minimum
        self._rdf_smoothing = float(rdf_smoothing)
        # 'LI' (GRO/PDB, MDAnalysis' guesser) is Li, as everywhere in the package
        cation_element = str(element_symbols(cations.elements[:1])[0])
        self._is_lithium = cation_element == "Li"
        self._shell_atoms = {name: "whole_molecule" for name in self._species}
        self._presets = {}
        if cutoff_convention == "donor_atoms" or no_minimum == "preset":
            for name, group in self._species.items():
                try:
                    self._presets[name] = donor_atoms(group, _PRESET, bonds)
                except ValueError as err:
                    if cutoff_convention == "donor_atoms":
                        raise ValueError(f"species {name!r}: {err}") from None
        if cutoff_convention == "donor_atoms":
            if not self._is_lithium:
                raise ValueError("cutoff_convention='donor_atoms' holds Li⁺ cutoffs (Ju et al. "
                                 f"2025); the cations are {cation_element!r}")
            for name, (donors, _) in self._presets.items():
                self._species[name] = donors
                self._shell_atoms[name] = "donor_atoms"
        self._convention = convention
        self._rdf_range = rdf_range
        self._rdf_nbins = int(rdf_nbins)
        self._angle_bins = int(angle_bins)
        self._network_species = _check_network_species(network_species, self._species)
        universe = cations.universe
        types, carbon = oxygen_types(universe.atoms, bonds)
        self._otype = types
        self._carbonyl_carbon = carbon
        element = cation_element
        # the oxygens of the per-type RDFs: of the molecules given, whatever the shell atoms
        in_species = np.zeros(universe.atoms.n_atoms, dtype=bool)
        for group in {**anions, **solvents}.values():
            in_species[group.ix] = True
        # every atom of the molecules given is searched once per frame
        self._targets = np.flatnonzero(in_species)
        self._oxygen_kind = np.where(in_species, types, _OTHER).astype(np.int8)
        n_oxygens = (int((self._oxygen_kind == _OC).sum()), int((self._oxygen_kind == _OE).sum()))
        names = list(self._species)
        atom_species = np.full(universe.atoms.n_atoms, -1, dtype=np.int8)
        for k, name in enumerate(names):
            atom_species[self._species[name].ix] = k
        self._layout = ShellLayout(
            species=tuple(names), anions=tuple(anions), solvents=tuple(solvents),
            cation_ix=cations.ix.astype(np.int64),
            cation_symbol=element if element else cations.names[0],
            atom_species=atom_species,
            atom_molecule=universe.atoms.resindices.astype(np.int32),
            atom_oxygen=types.astype(np.int8),
            n_anion_molecules=sum(anions[n].n_residues for n in anions),
            n_oxygens=n_oxygens,
        )
        self._edges = np.linspace(*self._rdf_range, self._rdf_nbins + 1)
        # the pairs closer than an rdf_range that starts after 0 Å, in bins of its width below
        # it (the lowest cut at 0 Å): whether its first peak is the first shell's. Set here,
        # not in _prepare: a parallel run prepares its workers' copies, and the conclusion
        # (on this object) reads them (an AttributeError after the whole pass)
        width = self._edges[1] - self._edges[0]
        n_lower = int(math.ceil(self._edges[0] / width * (1 - 1e-12)))
        # a narrow range far from 0 Å (7.9-8 Å in 2000 bins): all of them in one bin from 0 Å
        # (first_minimum's one number: a looser bound, no memory per bin)
        self._below_one_bin = n_lower > max(self._rdf_nbins, 1000)
        self._n_below = 1 if self._below_one_bin else n_lower
        # a cutoff may come from an RDF minimum after the pass: bins it cannot smooth refused now
        check_smoothable(self._edges, self._rdf_smoothing)
        # cutoffs known now, and the largest one the RDF minima may still give
        known = dict(self._cutoffs_given)
        if cutoff_convention == "donor_atoms":
            known.update({n: self._presets[n][1] for n in names if n not in known})
        self._rdf_needed = not set(known) >= set(names)
        if not self._rdf_needed:
            _refuse_search_settings(known, cutoff_convention, no_minimum=no_minimum,
                                    rdf_smoothing=self._rdf_smoothing,
                                    max_cutoff=float(max_cutoff))
        if self._rdf_needed and no_minimum == "preset":
            _refuse_idle_fallback(cation_element, sorted(set(names) - set(known)),
                                  self._presets)
        if self._rdf_needed:
            # a search that ends short of any shell (a range or limit in nm) ran the whole pass
            # to "no first minimum found within (0.0, 0.8) Å", as a given cutoff of 0.26 is
            # refused before it
            for what, end in (("rdf_range's end", self._rdf_range[1]),
                              ("max_cutoff =", float(max_cutoff))):
                if end < _shell_composition.MIN_SHELL_CUTOFF:
                    raise ValueError(_shell_composition._too_short(
                        what, end, ", so no first minimum can lie within it for "
                        f"{sorted(set(names) - set(known))}"))
        if self._rdf_needed and self._rdf_nbins < 3:
            raise ValueError(
                f"rdf_nbins = {self._rdf_nbins}: the cutoffs of "
                f"{sorted(set(names) - set(known))} come from the first minima of their RDFs, "
                "which need at least 3 bins; use more bins or give cutoffs={name: Å}")
        radius = max(known.values(), default=0.0)
        if self._rdf_needed:
            radius = max(radius, min(float(max_cutoff), self._rdf_range[1]))
            if no_minimum == "preset":
                radius = max([radius] + [cut for _, cut in self._presets.values()])
        # a cutoff given with an error is counted again at r_c ± δ, within the RDF range
        # (the pairs searched)
        self._uncertain = []
        for k, name in enumerate(names):
            est = self._cutoffs_measured.get(name)
            if est is None or not np.isfinite(est.stderr) or est.stderr <= 0:
                continue
            cut = known[name]
            hi = min(cut + est.stderr, self._rdf_range[1])
            radius = max(radius, hi)
            self._uncertain.append((k, name, float(est.stderr), max(cut - est.stderr, 0.0), hi))
        self._radius = radius
        self._search_radius = max(radius, self._rdf_range[1])
        # None: the table while it fits TABLE_BUDGET_BYTES, else shells counted frame by frame
        self._table_auto = store_table is None
        self._store_table = store_table is not False
        # "": one pass; "second": the pass that counts the shells with cutoffs found before
        self._pass = ""
        if not self._store_table and self._rdf_needed:
            unknown = sorted(set(names) - set(known))
            raise ValueError(
                f"store_table=False reduces each frame to its shells as it is read, so every "
                f"cutoff must be known before the pass; none is given for {unknown}: pass "
                "cutoffs={name: Å} (e.g. the results.cutoffs of a store_table=True run on part "
                "of the trajectory) or cutoff_convention='donor_atoms'")
        self._known_cutoffs = known
        # per species, the cutoff known before the pass (NaN: from its RDF after it): the
        # pairs within it are the shell whose counting noise its overlapping atoms are judged
        # by, as a cutoff from an RDF minimum's are (_judge_overlaps)
        self._known_radius = np.array([known.get(n, np.nan) for n in names], dtype=float)
        self._preset_radius = np.array(
            [self._presets[n][1] if n in self._presets else np.nan for n in names],
            dtype=np.float32)
        self._angle_edges = np.linspace(0.0, 180.0, self._angle_bins + 1)

    _analysis_algorithm_is_parallelizable = True
    # the estimates are over blocks of consecutive frames (frame_estimates.frame_average)
    _errors_over_frames = True

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")


    @names_errors
    def _prepare(self):
        # the rows of every frame in compact blocks, joined in frame order across workers (see
        # _get_aggregator); everything else is derived from them in _conclude
        # parts that dropped their table (store_table=None beyond TABLE_BUDGET_BYTES)
        self.results._dropped = 0
        # the parts of a run in several drop their table as the calling process decided from the
        # run's first frames (_probe_table), as a serial run decides from the same frames
        decided = getattr(self, "_table_decision", None)
        self._dropping = bool(decided)
        if decided:
            self.results._dropped = decided
        if self._store_table:
            self.results._rows = ShellTableBuilder()
        else:
            # this run's (or this worker's) frames, known now: one array per column
            self.results._summary = ShellSummaryBuilder(self._layout, self._angle_edges,
                                                        self._edges, n_frames=self.n_frames)
        self.results._rdf_counts = np.zeros((len(self._species), self._rdf_nbins), dtype=np.int64)
        self.results._rdf_below = np.zeros((len(self._species), self._n_below), dtype=np.int64)
        # per frame and species: the pairs within the RDF range, how correlated the frames are
        # where the shells' counts never change (_correlated_cutoffs)
        self.results._range_pairs = BlockColumn(np.int32, len(self._species),
                                                capacity=self.n_frames)
        self.results._half_width = np.inf
        # (frame, cation, atom, distance) of pairs closer than MIN_PAIR_DISTANCE in the first
        # frames that have them: named if they make an RDF's first peak
        self.results._close_pairs = []
        # per species: the pairs closer than MIN_PAIR_DISTANCE and the frames that hold them
        self.results._close_counts = np.zeros((2, len(self._species)), dtype=np.int64)
        # per species: the pairs within its cutoff known before the pass (zero for the others)
        self.results._known_pairs = np.zeros(len(self._species), dtype=np.int64)
        # per species: the pairs within its donor-atom preset (no_minimum="preset"), for a
        # fallback's overlap rule where the table was dropped
        self.results._preset_pairs = np.zeros(len(self._species), dtype=np.int64)
        self.results._volume_sum = 0.0
        # counts at r_c ± δ of the cutoffs with an error, where no table keeps the pairs
        self.results._cutoff_counts = np.zeros((len(self._uncertain), _N_COUNTS),
                                               dtype=np.int64)
        # a second pass's counts as step functions about r_c, for a widened δ (_conclude)
        self.results._cutoff_steps = _CutoffSteps(getattr(self, "_windows", ()))

    def _get_aggregator(self):
        from MDAnalysis.analysis.results import ResultsGroup

        return ResultsGroup(lookup={"_rows": ShellTableBuilder.concatenate,
                                    "_summary": ShellSummaryBuilder.concatenate,
                                    "_half_width": min,
                                    "_rdf_counts": ResultsGroup.ndarray_sum,
                                    "_rdf_below": ResultsGroup.ndarray_sum,
                                    "_range_pairs": _joined_columns,
                                    "_close_pairs": ResultsGroup.flatten_sequence,
                                    "_close_counts": ResultsGroup.ndarray_sum,
                                    "_known_pairs": ResultsGroup.ndarray_sum,
                                    "_preset_pairs": ResultsGroup.ndarray_sum,
                                    "_volume_sum": sum,
                                    "_dropped": max,
                                    "_cutoff_counts": ResultsGroup.ndarray_sum,
                                    "_cutoff_steps": _CutoffSteps.concatenate})

    def _configure_backend(self, backend, n_workers, unsupported_backend=False):
        # a run that drops its table counts the shells in a second pass on the same backend
        self._backend_choice = (backend, n_workers, unsupported_backend)
        return super()._configure_backend(backend, n_workers,
                                          unsupported_backend=unsupported_backend)

    @names_errors
    def _single_frame(self):
        ts = self._ts
        # a sheared cell as its equivalent of reduced tilts: the same distances, and the range
        # half the lattice allows (see analysis_base.reduced_box)
        box = self._reduced_box(ts.dimensions)
        positions = self._cations.universe.atoms.positions
        cation_ix = self._layout.cation_ix
        # NaN distances fall outside every shell: counts from such a frame would look valid
        if not (np.all(np.isfinite(positions[cation_ix]))
                and np.all(np.isfinite(positions[self._targets]))):
            raise ValueError(f"frame {ts.frame}: non-finite positions of shell atoms")
        # an atom at 1e30 Å sits at a position rounded by 1e23 Å: its shells are noise
        for ix in (cation_ix, self._targets):
            check_coordinate_precision(positions[ix], self._edges[1] - self._edges[0],
                                       "SolvationShells", ts.frame)
        half = half_box_width(box, "SolvationShells", ts.frame)
        if self._rdf_range[1] > half * BOX_ROUNDING:
            raise self._box_refusal(ts.frame, half)
        self.results._half_width = min(self.results._half_width, half)
        # the search's distances carry single-precision rounding of its own (an O at exactly
        # 2.5 Å from a Li read 2.50000013 Å on a 30 Å box with one search method, 2.5 with
        # another): it finds the candidates with a margin, the distances that decide the
        # shells and the RDF bins are recomputed in double precision from the coordinates, as
        # IntraInterRDF's are
        pairs, _ = _pairs_within(positions[cation_ix], positions[self._targets],
                                 self._search_radius * (1.0 + 1e-6) + _SEARCH_MARGIN, box)
        dist = _pair_distances(positions[cation_ix[pairs[:, 0]]],
                               positions[self._targets[pairs[:, 1]]], box)
        # a shell holds the pairs whose single-precision distance is within its cutoff
        # (shell_members): so does the table that is its source, else a pair 2e-8 Å beyond
        # a cutoff of 2 Å was in the shell when another species' cutoff was larger, out of
        # it when this cutoff was the largest (the collection radius)
        single = dist.astype(np.float32)
        found = (dist <= self._search_radius) | (single <= np.float32(self._radius))
        single = single[found]
        pairs, dist = pairs[found], dist[found]
        cation = pairs[:, 0].astype(np.int32)
        atom = self._targets[pairs[:, 1]]
        close = np.flatnonzero(dist < self._min_pair_distance)
        if close.size:
            close_species = self._layout.atom_species[atom[close]]
            per_species = np.bincount(close_species[close_species >= 0],
                                      minlength=len(self._species))
            self.results._close_counts += [per_species, per_species > 0]
            if len(self.results._close_pairs) < _MAX_CLOSE_FRAMES:
                self.results._close_pairs.append(
                    (int(ts.frame), cation_ix[cation[close]], atom[close], dist[close]))
        edges = self._edges
        in_range = (dist >= edges[0]) & (dist <= edges[-1])
        species = self._layout.atom_species[atom]
        if self._rdf_needed:
            # the counts of InterRDF(cations, species, exclude_same="residue"), all species
            keep = in_range & (species >= 0)
            flat = species[keep].astype(np.intp) * self._rdf_nbins + histogram_bins(
                dist[keep], edges)
            self.results._rdf_counts += np.bincount(
                flat, minlength=self.results._rdf_counts.size).reshape(
                    self.results._rdf_counts.shape)
            self.results._range_pairs.append(np.bincount(species[keep],
                                                         minlength=len(self._species)))
            below = self.results._rdf_below
            if below.shape[1]:
                keep = (dist < edges[0]) & (species >= 0)
                lower = below.shape[1] - 1 - np.floor(
                    (edges[0] - dist[keep]) / (edges[1] - edges[0])).astype(np.intp)
                if self._below_one_bin:
                    lower[:] = 0
                flat = species[keep].astype(np.intp) * below.shape[1] + np.maximum(lower, 0)
                below += np.bincount(flat, minlength=below.size).reshape(below.shape)
        keep = (species >= 0) & (single <= np.float32(self._radius))
        c, a, d = cation[keep], atom[keep], dist[keep]
        within = single[keep] <= self._known_radius[species[keep]].astype(np.float32)
        self.results._known_pairs += np.bincount(species[keep][within],
                                                 minlength=len(self._species))
        # compared in the table's single precision, as a fallback's shell is counted
        within = d.astype(np.float32) <= self._preset_radius[species[keep]]
        self.results._preset_pairs += np.bincount(species[keep][within],
                                                  minlength=len(self._species))
        self.results._volume_sum += float(ts.volume)
        if self._dropping:
            return
        if np.any(d == 0.0):
            # an atom on a cation has no direction: its angles were NaN, refused after the
            # pass as "NaN in the per-frame values" without naming the frame or the atoms
            k = int(np.argmax(d == 0.0))
            raise ValueError(f"frame {ts.frame}: atom {a[k]} lies on cation "
                             f"{cation_ix[c[k]]} (0 Å apart): overlapping atoms, a broken frame")
        oc = self._layout.atom_oxygen[a] == _OC
        if oc.any():
            o_pos = positions[a[oc]]
            m_to_o = minimize_vectors(o_pos - positions[cation_ix[c[oc]]], box)
            o_to_c = minimize_vectors(positions[self._carbonyl_carbon[a[oc]]] - o_pos, box)
            on_carbon = ~np.any(o_to_c != 0.0, axis=1)
            if on_carbon.any():
                k = int(np.argmax(on_carbon))
                raise ValueError(
                    f"frame {ts.frame}: carbonyl oxygen {a[oc][k]} lies on its carbon "
                    f"{self._carbonyl_carbon[a[oc][k]]} (0 Å apart): overlapping atoms, a "
                    "broken frame")
        else:
            m_to_o = o_to_c = np.zeros((0, 3), dtype=np.float32)
        kind = self._oxygen_kind[atom]
        oxy = in_range & (kind != _OTHER)
        rows = (ts.frame, ts.volume, c, a, d, m_to_o, o_to_c, cation[oxy], kind[oxy] - 1,
                histogram_bins(dist[oxy], edges))
        if self._store_table:
            self.results._rows.add_frame(*rows)
            if (self.results._rows.n_frames == self._table_limits[0]
                    and getattr(self, "_table_decision", None) is None):
                self._check_table_size()
        else:
            table = ShellTable.of_frame(self._layout, self._radius, self._edges, *rows)
            self.results._summary.add(summarize(
                table, shell_members(table, self._known_cutoffs), self._convention,
                self._network_species, self._angle_edges))
            nearest = {}
            if self._uncertain:
                self.results._cutoff_counts += _cutoff_counts(
                    table, self._uncertain, self._known_cutoffs, self._convention,
                    _nearest=nearest)
            if getattr(self, "_windows", ()):
                self.results._cutoff_steps.add(_cutoff_steps(
                    table, self._windows, self._known_cutoffs, self._convention,
                    _nearest=nearest))

    def _check_table_size(self):
        """Drop the table (``store_table=None``) or warn (``True``) where the table of the
        whole run, extrapolated from its first frames, exceeds :data:`TABLE_BUDGET_BYTES` or
        :data:`TABLE_WARNING_BYTES` (its size grows with frames × cations × neighbours, and
        the run's frames are known before the pass)."""
        frames = getattr(self, "_run_frames", None) or self.n_frames
        per_frame = self.results._rows.used_bytes / self.results._rows.n_frames
        expected = per_frame * frames
        probe, budget, warning_bytes = self._table_limits
        if self._table_auto:
            if expected > budget:
                self.results._dropped = per_frame / self._layout.n_cations
                if not self._rdf_needed:
                    # every cutoff known: the frames read so far are reduced to their shells
                    # and the pass goes on as store_table=False's, read once
                    table = self.results.pop("_rows").table(self._layout, self._radius,
                                                            self._edges)
                    self.results._summary = ShellSummaryBuilder(
                        self._layout, self._angle_edges, self._edges, n_frames=self.n_frames)
                    self.results._summary.add(summarize(
                        table, shell_members(table, self._known_cutoffs), self._convention,
                        self._network_species, self._angle_edges))
                    if self._uncertain:
                        self.results._cutoff_counts += _cutoff_counts(
                            table, self._uncertain, self._known_cutoffs, self._convention)
                    self._store_table = False
                    return
                # the RDF counts go on over every frame; the shells are counted in a second
                # pass once the cutoffs are known (_conclude)
                self._dropping = True
                self.results._rows = ShellTableBuilder()
            return
        if expected <= warning_bytes:
            return
        n_cat = self._layout.n_cations
        warnings.warn(
            f"SolvationShells: store_table=True keeps every cation–atom pair within "
            f"{self._radius:g} Å: {per_frame / n_cat:.0f} bytes per cation and frame on the "
            f"first {probe} frames, so about {expected / 2**30:.1f} GB for the "
            f"{frames} frames of this run (the conclusion's peak is a few times that); with "
            "cutoffs known, store_table=False reduces each frame to its shells as it is read "
            "(about 8 bytes per cation and frame): find the cutoffs on spaced frames "
            "(run(step=...)) and pass their results.cutoffs with store_table=False",
            UserWarning, stacklevel=2)

    def _box_refusal(self, frame, half_width):
        return ValueError(
            f"frame {frame}: rdf_range ends at {self._rdf_range[1]} Å, beyond half the "
            f"smallest box width ({half_width:.3f} Å; the box shrank); reduce rdf_range")

    @names_errors
    def _check_selected_frames(self):
        # a box that shrinks below twice the range, refused before the pass (it was refused
        # at its frame, after the others' work)
        frames = _selected_frame_indices(self._sliced_trajectory)
        # the whole run's frames (a parallel worker sees its own part's as n_frames): the
        # table's size is extrapolated to them
        self._run_frames = int(self.n_frames)
        _check_boxes_before_pass(self._trajectory, frames,
                                self._rdf_range[1], "SolvationShells", self._box_refusal)
        # read here, in the calling process: a dask worker is a fresh interpreter (spawned)
        # that saw the module's values, not the ones the caller set
        self._table_limits = (_TABLE_PROBE_FRAMES, TABLE_BUDGET_BYTES, TABLE_WARNING_BYTES)
        # rdf.MIN_PAIR_DISTANCE as the user set it, read once per run (it was copied at import:
        # set to 0.3 Å, IntraInterRDF left pairs at 0.4 Å in its RDF and SolvationShells did
        # not), and in this process for the same reason
        self._min_pair_distance = _rdf.MIN_PAIR_DISTANCE
        self._table_decision = None
        # a run that went streamed by the budget (_setup_computation_groups) keeps the
        # default's choice for the next run()
        if self._table_auto:
            self._store_table = True
        self._streamed_by_budget = 0

    def _setup_computation_groups(self, n_parts, start=None, stop=None, step=None,
                                  frames=None):
        groups = super()._setup_computation_groups(n_parts, start=start, stop=stop, step=step,
                                                   frames=frames)
        probe = self._table_limits[0]
        # every cutoff known: a dropped table makes the run the streamed one (store_table=False)
        # from its first frame, not a pass that reads every frame for nothing before a second
        # pass reads them again (bn_fec, 10 frames: 94 frame reads where store_table=False
        # took 47)
        if (self._table_auto and self._store_table and len(groups) > 1
                and self.n_frames >= probe):
            first = np.concatenate([g[:, 1] for g in groups])[:probe]
            self._table_decision = self._probe_table(first)
            if self._table_decision and not self._rdf_needed:
                self._streamed_by_budget = self._table_decision
                self._table_decision = None
                self._store_table = False
        return groups

    def _probe_table(self, frames):
        """The per cation and frame size of a table to drop (``store_table=None`` beyond
        the budget) or 0 to keep it, judged from ``frames``, the run's first ones.

        A run of one part judges its table at its first :data:`_TABLE_PROBE_FRAMES` frames;
        each of several parts (``n_parts``, ``n_workers``: a parallel backend's workers, or
        the serial ``run(n_workers=2)``) judging its own first frames could decide otherwise
        (its frames are others, or fewer than those), and the results would then keep or lack
        ``results.table`` by the backend. The calling process judges the frames a run of one
        part does, once, before the parts are computed (those frames are read twice)."""
        # AnalysisBase's _compute sets the run's frames and times to the part's
        # and a probe that judges the table too big goes on as the streamed run would
        kept = self.frames, self.times, self._store_table, getattr(self, "_dropping", False)
        try:
            part = self._compute(np.column_stack([np.arange(len(frames)), frames]))
        finally:
            self.frames, self.times, self._store_table, self._dropping = kept
        return part.results._dropped

    def _reduced_box(self, box):
        """:func:`~mda_electrolyte.analysis_base.reduced_box` of ``box``, once per distinct box
        (an NVT run has one)."""
        key = None if box is None else np.asarray(box).tobytes()
        cached = getattr(self, "_last_box", None)
        if cached is None or cached[0] != key:
            self._last_box = cached = (key, reduced_box(None if box is None else np.array(box)))
        return cached[1]

    @names_errors
    def _conclude(self):
        if self._pass == "second":
            # the shells with the cutoffs found by the first pass, which concludes the rest
            self.results.pop("_range_pairs")
            self._second_counts = self.results.pop("_cutoff_counts")
            self._second_steps = self.results.pop("_cutoff_steps")
            self.results = Results(summary_results(self.results.pop("_summary").take(),
                                                   self._convention, _in_place=True))
            return
        dropped = self.results.pop("_dropped")
        self._range_pairs = self.results.pop("_range_pairs").take()
        streamed_counts = self.results.pop("_cutoff_counts")
        self.results.pop("_cutoff_steps")
        # every cutoff known: a table dropped in the pass left the streamed run's summary
        streamed_drop = self._streamed_by_budget or (0 if self._rdf_needed else dropped)
        if not self._rdf_needed:
            dropped = 0
        self._preset_pairs = self.results.pop("_preset_pairs")
        volume_sum = self.results.pop("_volume_sum")
        if dropped:
            self.results.pop("_rows")
        half = self.results.pop("_half_width")
        # the parts' frames in frame order (a parallel run's parts end in any order)
        self._close_pairs = sorted(self.results.pop("_close_pairs", []),
                                   key=lambda item: item[0])[:_MAX_CLOSE_FRAMES]
        self._rdf_below = self.results.pop("_rdf_below")
        self._close_counts = self.results.pop("_close_counts")
        self._known_pairs = self.results.pop("_known_pairs")
        if dropped:
            # the RDFs of every frame, without the pairs: the shells come from a second pass
            table = None
            radii, rdfs, layout, shell_atoms = self._cutoffs(types.SimpleNamespace(
                rdf_edges=self._edges, rdf_counts=self.results.pop("_rdf_counts"),
                n_frames=self.n_frames, volumes=np.array([volume_sum / self.n_frames])))
        elif "_rows" in self.results:
            # (a part in another process that went streamed told only by its results)
            table = self.results.pop("_rows").table(self._layout, self._radius, self._edges,
                                                    self.results.pop("_rdf_counts"))
            radii, rdfs, layout, shell_atoms = self._cutoffs(table)
        else:
            self.results.pop("_rdf_counts")
            table = None
            radii, rdfs, layout, shell_atoms = self._cutoffs(None)
        too_long = {n: float(r) for n, r in radii.items() if n in self._species and r > half}
        if too_long:
            # minimum-image distances: beyond half the box a shell misses periodic images
            raise ValueError(
                f"shell cutoffs {too_long} Å exceed half the smallest box width "
                f"({half:.2f} Å): a shell would miss periodic images; use a larger box"
            )
        self.results.cutoffs = {name: float(radii[name]) for name in self._species}
        source = {"given": "given", "rdf_first_minimum": "rdf_minimum", "preset": "preset",
                  "preset_fallback": "preset_fallback"}
        self.results.cutoff_source = {
            name: source[self._details[name].method] for name in self._species
        }
        self.results.cutoff_details = {
            name: self._details[name].as_dict() for name in self._species
        }
        self.results.cutoff_estimates = {
            name: self._cutoffs_measured.get(name, self._details[name].estimate())
            for name in self._species
        }
        self.results.shell_atoms = shell_atoms
        self.results.rdfs = rdfs
        if dropped:
            self._warn_dropped(dropped)
            def uncertain():
                spreads = {name: self._details[name].cutoff_spread for name in self._species}
                return list(_uncertain_cutoffs(
                    types.SimpleNamespace(layout=layout, radius=self._radius),
                    self.results.cutoffs, self.results.cutoff_estimates,
                    self.results.cutoff_source, spreads))

            entries = uncertain()
            # the counts about each r_c as steps, within _STEP_WINDOW δ
            cut = self.results.cutoffs
            windows = [(k, max(cut[name] - _STEP_WINDOW * delta, 0.0),
                        min(cut[name] + _STEP_WINDOW * delta, self._radius))
                       for k, name, delta, _, _ in entries]
            second = self._second_pass(self.results.cutoffs, layout, entries, windows)
            self.results.update(second.results)
            counts = second._second_counts
            # the frames' correlation, known from the shells just counted, widened a scatter:
            # its r_c ± δ counted from the steps, as a table recounts them; beyond their
            # window (δ widened more than _STEP_WINDOW times), by a third read of the frames
            if self._correlated_cutoffs():
                entries = uncertain()
                counts = second._second_steps.counts(entries)
                if counts is None:
                    counts = self._second_pass(self.results.cutoffs, layout,
                                               entries)._second_counts
            n_shells = self.n_frames * layout.n_cations
            self._apply_cutoff_errors(
                _cn_errors_of_counts(entries, counts, n_shells),
                _share_errors_of_counts(entries, counts, n_shells, layout.anions,
                                        layout.n_anion_molecules, layout.n_cations))
        elif table is None:
            if streamed_drop:
                self._warn_dropped(streamed_drop)
            # streamed shells were given every cutoff: those given as measured Estimates carry
            # their errors, counted at r_c ± δ frame by frame
            self.results.update(summary_results(self.results.pop("_summary").take(),
                                                self._convention, _in_place=True))
            n_shells = self.n_frames * self._layout.n_cations
            self._apply_cutoff_errors(
                _cn_errors_of_counts(self._uncertain, streamed_counts, n_shells),
                _share_errors_of_counts(self._uncertain, streamed_counts, n_shells,
                                        self._layout.anions, self._layout.n_anion_molecules,
                                        self._layout.n_cations))
        else:
            table.layout = layout
            self.results.table = table
            self.results.update(shell_results(
                table, self.results.cutoffs, convention=self._convention,
                network_species=self._network_species, angle_bins=self._angle_bins))
            # a cutoff from an RDF minimum is known only to its error: so is the number of
            # molecules within it
            # each species' nearest atoms per shell and molecule, found once for both
            nearest = {}
            # where repeated runs put each cutoff (its scatter), not where the true minimum of a
            # flat trough may lie (its Estimate's wider error); over the independent frames
            self._correlated_cutoffs()
            spreads = {name: self._details[name].cutoff_spread for name in self._species}
            cn_errors = _cutoff_cn_errors(
                table, self.results.cutoffs, self.results.cutoff_estimates,
                self.results.cutoff_source, spreads=spreads, _nearest=nearest)
            # and so are the shares of shells with or without an anion, or with a species
            share_errors = _cutoff_share_errors(
                table, self.results.cutoffs, self.results.cutoff_estimates,
                self.results.cutoff_source, self._convention, spreads=spreads,
                _nearest=nearest)
            self._apply_cutoff_errors(cn_errors, share_errors)
        _mark_shells(self.results, self.results.cutoff_estimates, self.results.cutoff_source,
                     self._layout.anions, self._network_species)

    def _apply_cutoff_errors(self, cn_errors, share_errors):
        """The cutoffs' errors (counted at ``r_c ± δ`` of the scatter over the independent
        frames, :meth:`_correlated_cutoffs`) into ``results`` and the shells' estimates."""
        self.results.cutoff_cn_errors = cn_errors
        estimates = self.results.estimates
        estimates["coordination_numbers"] = _with_cutoff_errors(
            estimates["coordination_numbers"], cn_errors)
        self.results.cutoff_share_errors = share_errors
        _with_share_errors(estimates, share_errors)

    def _correlated_cutoffs(self):
        """Cutoffs from RDF first minima searched again with the counting noise of the
        independent frames, and judged by how many there are; species → the factor their
        scatter widened by.

        The search's counting noise (its significance, the small-sample count, the Poisson
        bootstrap of the cutoff's error and scatter) takes every pair of every frame as
        independent. Consecutive MD frames hold mostly the same pairs: one frame repeated 4
        times gave a valid cutoff of 2.85 ± 0.14 Å, 60 times 2.849 ± 0.035 Å, where the frame
        alone gave 2.85 ± 0.33 Å, not valid (a small sample). The frames count as ``N / g``
        independent ones, ``g`` the statistical inefficiency of the species' per-frame
        coordination number (or, where that changed too few times to tell, of its pairs within
        the RDF range: ``_correlation_probe``) measured as
        :class:`~mda_electrolyte.rdf.IntraInterRDF` measures its frames'
        (:func:`~mda_electrolyte.rdf._frames_inefficiency`: the larger of pymbar's two
        estimates; pairs that never change: one frame), and the search is run again
        with ``inefficiency=g`` (:func:`~mda_electrolyte.shell_cutoffs.first_minimum`): the
        cutoff is kept (its place does not depend on the counts' scale), its errors are the
        larger of the two searches', and the verdict is the second's (its warnings, or that
        it finds no significant minimum). A run too short to measure that correlation, or of
        fewer independent frames than two per block, gives the cutoff IntraInterRDF's "too
        short" verdict (:func:`~mda_electrolyte.rdf._correlation_too_short`): a first minimum
        of 10 frames was valid where the RDF of the same frames refused its own."""
        factors = {}
        series = self.results.timeseries["coordination_numbers"]
        for name, (edges, g_search, counts, below) in getattr(self, "_search_inputs",
                                                              {}).items():
            detail = self._details[name]
            if detail.method != "rdf_first_minimum" or detail.cutoff is None:
                continue
            x, what = _correlation_probe(series[name], self._range_pairs,
                                         list(self._species).index(name), name)
            n_frames = x.size
            n_blocks = _n_blocks(n_frames)
            g, independent = 1.0, math.nan
            if n_frames >= 2 and np.ptp(x) == 0:
                # neither the shells nor the pairs about them ever change: frames that are
                # one configuration, however many
                g = float(n_frames)
                independent = 1.0
            elif not _correlation_too_short(n_frames, n_blocks, math.nan):
                g = _frames_inefficiency(x, what=what)[1]
                independent = n_frames / g
            doubts = _correlation_too_short(n_frames, n_blocks, independent)
            if g > 1.0 + 1e-9:
                factor = self._searched_again(name, detail, edges, g_search, counts, below, g,
                                              n_frames, what)
                if factor is not None:
                    factors[name] = factor
            self.results.cutoff_details[name] = detail.as_dict()
            self.results.cutoff_estimates[name] = _with_doubts(detail.estimate(), doubts)
        return factors

    def _searched_again(self, name, detail, edges, g_search, counts, below, g, n_frames,
                        what):
        """``detail`` updated by the search of :meth:`_correlated_cutoffs` over frames of
        statistical inefficiency ``g`` (of the per-frame ``what``); the factor its scatter
        widened by (None: unchanged)."""
        again = first_minimum(edges, g_search, counts=counts, smoothing=self._rdf_smoothing,
                              below=below, inefficiency=g)
        why = (f"the {n_frames} frames count as {n_frames / g:.3g} independent ones "
               f"(statistical inefficiency {g:.3g} of the per-frame {what})")
        old_spread = detail.cutoff_spread
        new_warnings = list(again.warnings)
        if again.cutoff is None:
            new_warnings.append(f"no significant first minimum once {why}: {again.note}")
            scale = math.sqrt(g)
            err = (detail.cutoff_err or 0.0) * scale
            spread = (old_spread or 0.0) * scale
        else:
            err = max(detail.cutoff_err or 0.0, again.cutoff_err or 0.0)
            spread = min(max(old_spread or 0.0, again.cutoff_spread or 0.0), err)
            detail.significance = again.significance
            if again.peak_err is not None:
                detail.peak_err = max(detail.peak_err or 0.0, again.peak_err)
        for text in new_warnings:
            if text not in detail.warnings:
                warnings.warn(f"SolvationShells: shell cutoff of {name!r} "
                              f"({detail.cutoff} Å): {text}", UserWarning, stacklevel=6)
        detail.warnings = new_warnings
        detail.cutoff_err, detail.cutoff_spread = err, spread
        detail.inefficiency = g
        detail.note = f"{detail.note}; its counting noise from {why}"
        if spread == old_spread:
            return None
        return spread / old_spread if old_spread else math.inf

    def _warn_dropped(self, per_cation_frame):
        total = per_cation_frame * self._layout.n_cations * self.n_frames
        warnings.warn(
            f"SolvationShells: the table of every cation–atom pair within {self._radius:g} Å "
            f"would take about {total / 2**30:.1f} GB for the {self.n_frames} frames of this "
            f"run ({per_cation_frame:.0f} bytes per "
            f"cation and frame, beyond {TABLE_BUDGET_BYTES / 2**20:.0f} MB): the shells are "
            "counted frame by frame in a second pass over the frames, with the same results "
            "except results.table, shells, classes and shell_labels (the shells are "
            "results.class_codes and label_codes); pass store_table=True to keep the table",
            UserWarning, stacklevel=4)

    def _second_pass(self, cutoffs, layout, entries, windows=()):
        """A streamed run (``store_table=False``) over this run's frames and backend: with
        every cutoff known (``cutoffs`` None), the plain one; else with ``cutoffs`` found by
        this pass, counting what their errors need (:func:`_cutoff_counts` of ``entries``, and
        the steps of :func:`_cutoff_steps` in ``windows``)."""
        second = copy.copy(self)
        second._store_table = second._table_auto = False
        second._dropping = False
        second._table_decision = None
        second._windows = list(windows)
        if cutoffs is not None:
            second._pass = "second"
            second._rdf_needed = False
            second._known_cutoffs = dict(cutoffs)
            second._known_radius = np.array([cutoffs[n] for n in self._species], dtype=float)
            second._layout = layout
            second._uncertain = entries
        backend, n_workers, unsupported = getattr(self, "_backend_choice",
                                                  ("serial", None, False))
        return second.run(frames=np.asarray(self.frames, dtype=np.intp), backend=backend,
                          n_workers=n_workers, unsupported_backend=unsupported)

    def _cutoffs(self, table):
        """Radii of all species and the RDFs behind those not given, from the table's counts.

        The RDFs are :class:`MDAnalysis.analysis.rdf.InterRDF`'s with ``norm="density"``
        divided by the number of cations (the density around one cation), over all analysed
        frames (serial and parallel runs alike); their first minima come from
        :func:`mda_electrolyte.shell_cutoffs.first_minimum`.
        """
        radii = dict(self._cutoffs_given)
        layout, shell_atoms = self._layout, dict(self._shell_atoms)
        self._details = {
            name: ShellCutoff(cutoff=value, method="given", note="given by the caller")
            for name, value in radii.items()
        }
        if self._cutoff_convention == "donor_atoms":
            for name in self._species:
                if name not in radii:
                    radii[name] = self._presets[name][1]
                    element = self._presets[name][0].elements[0]
                    self._details[name] = ShellCutoff(
                        cutoff=radii[name], method="preset",
                        note=f"Ju et al. (2025) donor-atom cutoff Li–{element} {radii[name]} Å")
        # a given or preset cutoff's shell is judged by the rule a found one's is: overlapping
        # atoms beyond its counting noise refuse it, whatever the cutoff's source
        for k, name in enumerate(self._species):
            if name in radii:
                self._judge_overlaps(
                    k, name, float(self._known_pairs[k]), 0.0,
                    f"the cation–{name} shell within its {self._details[name].method} cutoff "
                    f"{radii[name]} Å")
        self._search_inputs = {}
        if set(radii) >= set(self._species):
            return radii, {}, layout, shell_atoms
        rdfs = {}
        missing = []
        edges = table.rdf_edges
        bins = 0.5 * (edges[1:] + edges[:-1])
        shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
        counts = table.rdf_counts
        for k, name in enumerate(self._species):
            # InterRDF's norm="density" over the cations: species atoms per Å³ around one
            g = counts[k] / (table.n_frames * shell * self._cations.n_atoms)
            rdfs[name] = (bins, g)
            if name not in radii:
                below = self._rdf_below[k] if self._rdf_below.shape[1] else None
                if below is not None and self._below_one_bin:
                    below = float(below.sum())
                # the search sees the pairs that can be a shell, not overlapping atoms
                g_search, counts_search, below = _without_overlaps(edges, g, counts[k], below)
                found = first_minimum(edges, g_search, counts=counts_search,
                                      smoothing=self._rdf_smoothing, below=below)
                # searched again once the shells tell how correlated the frames are
                self._search_inputs[name] = (edges, g_search, counts_search, below)
                self._details[name] = found
                # the search left the overlapping pairs out of the shell's pairs: counted back
                n_close = float(self._close_counts[0, k])
                density = (np.count_nonzero(self._layout.atom_species == k)
                           / float(np.mean(table.volumes)))
                chance = (table.n_frames * self._cations.n_atoms * density
                          * 4.0 / 3.0 * np.pi * self._min_pair_distance**3)
                self._judge_overlaps(
                    k, name,
                    None if found.cutoff is None else float(found.n_pairs or 0.0) + n_close,
                    chance, f"the cation–{name} RDF")
                if found.cutoff is not None:
                    radii[name] = found.cutoff
                else:
                    missing.append(name)
        for name in [n for n in missing if self._no_minimum == "preset"]:
            if not self._is_lithium or name not in self._presets:
                continue
            donors, radius = self._presets[name]
            element = donors.elements[0]
            layout = layout.with_members(name, donors.ix)
            shell_atoms[name] = "donor_atoms"
            radii[name] = radius
            self._details[name] = ShellCutoff(
                cutoff=radius, method="preset_fallback",
                warnings=[f"no first minimum ({self._details[name].note})"],
                note=(f"no first minimum in the Li–{name} RDF ({self._details[name].note}); "
                      f"used Ju et al. (2025)'s donor-atom cutoff Li–{element} {radius} Å"))
            missing.remove(name)
            # the preset's shell is judged by the rule every cutoff's is (the search, finding
            # none, judged its overlapping pairs against chance only)
            k = list(self._species).index(name)
            shell_pairs = int(self._preset_pairs[k])
            self._judge_overlaps(k, name, float(shell_pairs), 0.0,
                                 f"the cation–{name} shell within its preset_fallback cutoff "
                                 f"{radius} Å")
        for name, detail in self._details.items():
            for text in detail.warnings:
                warnings.warn(f"SolvationShells: shell cutoff of {name!r} ({detail.cutoff} Å): "
                              f"{text}", UserWarning, stacklevel=3)
        if missing:
            # the remedy that can work: no_minimum='preset' was advised to a caller who had
            # passed it, for a species (water, a sulfonyl anion) that has no donor-atom preset
            if self._no_minimum == "preset" and self._is_lithium:
                remedy = ("no_minimum='preset' has no donor-atom cutoff for it (Ju et al. "
                          "(2025) define Li–O for O bonded to a carbon and Li–P for PF6⁻)")
            elif self._is_lithium:
                remedy = "or no_minimum='preset'"
            else:
                remedy = "(no donor-atom preset exists for this cation)"
            raise _NoRdfMinimum(
                f"no first minimum found in a cation–species RDF within {self._rdf_range} Å; "
                f"pass cutoffs={{name: value}} for it, {remedy} "
                f"({'; '.join(f'{n}: {self._details[n].note}' for n in sorted(missing))})"
            )
        beyond = {n: r for n, r in radii.items() if r > self._radius}
        if beyond:
            raise ValueError(
                f"the RDF first minima {beyond} lie beyond max_cutoff = {self._radius} Å, the "
                "largest cutoff the pass kept pairs for; run again with a larger max_cutoff")
        return radii, rdfs, layout, shell_atoms

    def _judge_overlaps(self, k, name, shell_pairs, chance, what):
        """Refuse the cation–species ``k`` shell whose overlapping atoms' pairs are material
        (:func:`~mda_electrolyte.rdf._overlap_verdict`, the rule by which
        :class:`~mda_electrolyte.rdf.IntraInterRDF` marks its first shell not valid: no preset
        repairs broken frames); warn of the others where a shell was found. ``shell_pairs``:
        the pairs within the cutoff, given, preset or found (``None``: no minimum found);
        ``chance``: the pairs an ideal gas puts closer than
        :data:`~mda_electrolyte.rdf.MIN_PAIR_DISTANCE`; ``what``: the shell, as the message
        names it."""
        n_close, frames_with = (float(self._close_counts[0, k]), int(self._close_counts[1, k]))
        n_frames = self.n_frames
        material, text = _overlap_verdict(n_close, frames_with, n_frames, shell_pairs, chance,
                                          [])
        if not text:
            return
        _, text = _overlap_verdict(n_close, frames_with, n_frames, shell_pairs, chance,
                                   self._close_pairs_text(k))
        if material:
            raise ValueError(f"SolvationShells: {what}: {text}")
        # at the caller's run() (through _cutoffs, _conclude, names_errors and run)
        warnings.warn(f"SolvationShells: {what}: {text}", UserWarning,
                      stacklevel=6)

    def _close_pairs_text(self, k):
        """:func:`~mda_electrolyte.rdf._describe_close_pairs` of the cation–species ``k`` pairs
        closer than :data:`~mda_electrolyte.rdf.MIN_PAIR_DISTANCE` the pass kept."""
        atoms = self._cations.universe.atoms
        described = []
        for frame, cation, atom, dist in self._close_pairs:
            mine = self._layout.atom_species[atom] == k
            described.append(_describe_close_pairs(atoms, frame, cation[mine], atom[mine],
                                                  dist[mine]))
        return described

    @draws_user_text
    @names_errors
    def plot_by_type(self, labels=None, n_labels=3):
        """Cation–Oc/Oe RDFs and angle distributions per shell label (Ju et al. 2025 Fig. 4).

        Parameters
        ----------
        labels : list of str, optional
            Shell labels to show (default: the ``n_labels`` most common); a list, not a string.
            A label this run did not find raises ValueError naming the labels it found.
        n_labels : int
            A whole number >= 0. A panel with nothing to draw (no carbonyl or ether oxygens in
            the shells) says so.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return _plot_by_type(require_results(self, "by_type"), labels, n_labels)

    @draws_user_text
    @names_errors
    def plot(self, n_labels=10):
        """Bar charts of the class fractions and of the most common shell labels.

        Parameters
        ----------
        n_labels : int
            How many labels to show (a whole number >= 0; with 0 the panel says so). Bars
            carry their Estimates' errors; a number that is not valid is hatched and stamped.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        require_results(self, "fractions")
        n_labels = count_argument("n_labels", n_labels, minimum=0)
        fig, (ax1, ax2) = plt.subplots(
            1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 2.5]}
        )
        # the bars are the estimates: their errors drawn, a number that is not valid hatched
        # and stamped as such
        estimates = self.results.estimates
        estimate_bars(ax1, list(estimates["fractions"]), list(estimates["fractions"].values()),
                      colors=["C0", "C1", "C3"])
        ax1.set_ylabel("fraction of shells")
        ax1.set_title(f"classes ({self.results.convention})", fontsize=9)
        items = list(self.results.labels)[:n_labels][::-1]
        estimate_bars(ax2, items, [estimates["labels"][k] for k in items], horizontal=True,
                      colors=["C2"] * len(items))
        if not items:
            note_empty(ax2, "no shell labels" if not self.results.labels
                       else "n_labels=0: no labels asked for")
        ax2.set_xlabel("fraction of shells")
        ax2.set_title("shell labels", fontsize=9)
        mark_invalid(ax1, *estimates["fractions"].values())
        mark_invalid(ax2, *(estimates["labels"][k] for k in items))
        fig.tight_layout()
        return fig


def shell_results(table, cutoffs, convention="anion_count", network_species=None, angle_bins=90):
    """Every result of :class:`SolvationShells` from a collected table and the cutoffs.

    The derivation half of the analysis: ``SolvationShells`` collects a
    :class:`~mda_electrolyte.shell_table.ShellTable` in one pass and calls this; a table saved
    with :meth:`~mda_electrolyte.shell_table.ShellTable.save` gives the same results without the
    trajectory (with other cutoffs or another convention, within the table's radius).

    Parameters
    ----------
    table : ShellTable
    cutoffs : dict of {str: float or Estimate}
        Cutoff per species in Å, a number or an Estimate (``results.cutoff_estimates`` of the
        run): a measured one's error is carried into the coordination numbers and shares
        (``cutoff_cn_errors``, ``cutoff_share_errors``) and its verdict into every shell
        Estimate, as :class:`SolvationShells` does for cutoffs it finds.
    convention : {"anion_count", "bridging"}
    network_species : list of str, optional
        Species whose shared molecules join cations into networks (default: all).
    angle_bins : int
        Bins of the angle histograms over 0–180°, at most :data:`MAX_ANGLE_BINS`.

    Returns
    -------
    dict
        The keys of ``SolvationShells.results`` described there, except the cutoff bookkeeping
        (``cutoffs``, ``cutoff_source``, ``cutoff_details``, ``shell_atoms``, ``rdfs``,
        ``table``); ``cutoff_cn_errors`` and ``cutoff_share_errors`` hold the errors of the
        cutoffs given as measured Estimates (empty without).

    Raises
    ------
    TypeError, ValueError
        An unknown convention, a table of no frames or whose arrays disagree
        (:func:`~mda_electrolyte.shell_table.check_table`), cutoffs that are not one positive number
        per species of the table (:func:`~mda_electrolyte.shell_composition.shell_members`),
        unknown ``network_species`` or a string, ``angle_bins`` that is not a whole number
        from 1 to 10⁶.
    """
    convention = choice_word("convention", convention, CONVENTIONS)
    if not isinstance(table, ShellTable):
        raise TypeError(f"table must be a ShellTable (results.table of SolvationShells, or "
                        f"ShellTable.load), not {type(table).__name__}")
    if table.n_frames == 0:
        raise ValueError("no frames analysed")
    # arrays that disagree (an edited file, fields replaced) ended in numpy errors deep in the
    # derivation, or, with NaN distances, in coordination numbers of 0 without a word
    check_table(table)
    names = list(table.layout.species)
    network_species = _check_network_species(network_species, names)
    angle_bins = _check_bins("angle_bins", angle_bins, MAX_ANGLE_BINS)
    measured = _measured_cutoffs(cutoffs, names) if isinstance(cutoffs, dict) else {}
    if isinstance(cutoffs, dict):
        cutoffs = {key: _cutoff_value(str(key), value) for key, value in cutoffs.items()}
    members = shell_members(table, cutoffs)
    summary = summarize(table, members, convention, network_species,
                        np.linspace(0.0, 180.0, angle_bins + 1))
    out = summary_results(summary, convention, _in_place=True)
    # cutoffs given as measured Estimates: their error counted at r_c ± δ from the table, and
    # their verdict, as SolvationShells carries them
    out["cutoff_cn_errors"], out["cutoff_share_errors"] = {}, {}
    if measured:
        values = _species_keys("cutoffs", cutoffs, names)
        source = {n: "given" for n in names}
        estimates = {n: measured.get(n, Estimate.given_value(values[n], "Å")) for n in names}
        nearest = {}
        out["cutoff_cn_errors"] = _cutoff_cn_errors(table, values, estimates, source,
                                                    _nearest=nearest)
        out["cutoff_share_errors"] = _cutoff_share_errors(table, values, estimates, source,
                                                          convention, _nearest=nearest)
        out["estimates"]["coordination_numbers"] = _with_cutoff_errors(
            out["estimates"]["coordination_numbers"], out["cutoff_cn_errors"])
        _with_share_errors(out["estimates"], out["cutoff_share_errors"])
        _mark_shells(out, estimates, source, table.layout.anions, network_species)
    out["classes"] = np.array(CLASSES)[out["class_codes"]]
    out["shell_labels"] = np.array(list(out["label_names"]), dtype=object)[out["label_codes"]]
    out["shells"] = _shell_frame(table, members, names)
    return out


def _shell_frame(table, members, names):
    shells = pd.DataFrame({
        "frame": table.frames[members.frame],
        "cation": table.layout.cation_ix[members.cation],
        "species": np.array(names, dtype=object)[members.species],
        "molecule": members.molecule.astype(np.int64),
        "atom": members.atom.astype(np.int64),
        "oxygen_type": np.array(["", "Oc", "Oe"], dtype=object)[members.oxygen],
        "distance": members.distance,
    })
    return shells.sort_values(["frame", "cation", "distance"], kind="stable").reset_index(
        drop=True)


def _plot_by_type(results, labels=None, n_labels=3):
    import matplotlib.pyplot as plt

    if "by_type" not in results:
        raise RuntimeError("run() the analysis before plot_by_type()")
    n_labels = count_argument("n_labels", n_labels, minimum=0)
    if isinstance(labels, str):
        raise TypeError(f"labels must be a list of shell labels, not the string {labels!r}")
    if labels is None:
        names = list(results.by_type)[:n_labels]
    else:
        try:
            names = list(labels)
        except TypeError:
            raise TypeError(f"labels must be a list of shell labels (str), not "
                            f"{type(labels).__name__} {labels!r}") from None
        wrong = [n for n in names if not isinstance(n, str)]
        if wrong:
            raise TypeError(f"labels must be shell labels (str), got {wrong[0]!r} "
                            f"({type(wrong[0]).__name__})")
    # a KeyError (an unknown label is a bad argument, not a missing entry of a mapping)
    unknown = [n for n in names if n not in results.by_type]
    if unknown:
        known = list(results.by_type)
        close = close_option(unknown[0], known, cutoff=0.6)
        hint = f" (did you mean {close!r}?)" if close else ""
        raise ValueError(f"unknown shell labels {unknown}{hint}; the labels of this run: "
                         f"{known if known else 'none (no shells)'}")
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    r = results.by_type_bins
    angle_bins = results.angles["Oc-M-Oc"]["bins"]
    # the estimates drawn in each angle panel: a panel of numbers that are not valid is marked
    # once with the reasons (mark_invalid), the legend keeps the short value; the reasons in
    # every legend entry ran past the figure (tight_layout not applied, text cut off)
    drawn = {"Oc-M-Oc": [], "M-Oc-Cc": []}
    for k, name in enumerate(names):
        entry = results.by_type[name]
        for kind, style in (("M-Oc", "-"), ("M-Oe", "--")):
            if entry["rdf"][kind] is not None:
                axes[0].plot(r, entry["rdf"][kind], style, color=f"C{k}", label=f"{name} {kind}")
        for ax, kind in ((axes[1], "Oc-M-Oc"), (axes[2], "M-Oc-Cc")):
            angles = entry["angles"][kind]
            if not angles["n"]:
                continue   # no such angle in these shells: no flat line at zero drawn as data
            est = angles["estimate"]
            drawn[kind].append(est)
            ax.plot(angle_bins, angles["density"], color=f"C{k}",
                    ls="-" if est is None or est.valid else ":",
                    label=name if est is None else f"{name}: {estimate_label(est, reason=False)}")
    axes[0].set_xlabel("r (Å)")
    axes[0].set_ylabel("g(r)")
    for ax, kind in ((axes[1], "Oc-M-Oc"), (axes[2], "M-Oc-Cc")):
        ax.set_xlabel(f"{kind} angle (degrees)")
        ax.set_ylabel("density (1/degree)")
    # a panel with nothing to draw says why instead of an empty frame (and a legend warning)
    if not names:
        for ax in axes:
            note_empty(ax, "no shell labels" if not results.by_type else "no labels asked for")
    else:
        for ax, what in zip(axes, ("cation–Oc/Oe pairs: no carbonyl or ether oxygens",
                                   "Oc-M-Oc angles: fewer than 2 carbonyl oxygens",
                                   "M-Oc-Cc angles: no carbonyl oxygens"), strict=True):
            if not ax.lines:
                note_empty(ax, f"no {what} in these shells")
    for ax in axes:
        if ax.lines:
            ax.legend(fontsize=7)
    for ax, kind in ((axes[1], "Oc-M-Oc"), (axes[2], "M-Oc-Cc")):
        mark_invalid(ax, *drawn[kind])
    fig.tight_layout()
    return fig


#: Elements whose single-atom residues ``electrolyte analyze`` takes as shell centres (its
#: "shell cations" requirement, judged from the topology before any analysis runs).
SHELL_CATIONS = ("Li", "Na", "K")
#: Frames ``electrolyte analyze`` finds shell cutoffs on: a longer trajectory has them found on
#: this many evenly spaced frames and is then reduced frame by frame (``store_table=False``).
_CUTOFF_FRAMES = 2000


def _uncharged_cations_note(cations):
    """Why the formal charges cannot tell anions from solvents, or ``None`` where they can.

    A topology that records no formal charges in a column it has (a PDB file's blank charge
    column reads 0, as does a topology attribute added without values) gives every residue
    0: its anions were then counted as solvents, every shell an SSIP, and the report said
    "no anion species given". Cations of formal charge 0 or less (or not a whole number)
    tell such a column.

    Parameters
    ----------
    cations : MDAnalysis.core.groups.AtomGroup
        The single-atom cations of the shells, with ``formalcharges``.

    Returns
    -------
    str or None
        The reason, naming the cations and their formal charges.
    """
    charges = np.asarray(cations.formalcharges, dtype=float)
    bad = ~(np.isfinite(charges) & (charges > 0) & (charges == np.round(charges)))
    if not bad.any():
        return None
    shown = sorted({float(q) for q in charges[bad]}, key=str)[:3]
    return (f"the formal charges of {int(bad.sum())} of {charges.size} single-atom cations are "
            f"{', '.join(f'{q:g}' for q in shown)}, not a positive whole number: the topology "
            "records no formal charges (a blank charge column reads 0), so they cannot tell "
            "anions from solvents")


def _species_name(residue):
    name = getattr(residue, "resname", "") or ""
    if name:
        return name
    counts = Counter(element_symbols(residue.atoms.elements))
    return "".join(f"{e}{counts[e] if counts[e] > 1 else ''}" for e in sorted(counts))


@register_analysis("solvation_shells", needs=("box", "shell cations"))
def _report(universe, outdir, *, calculator=None, verbose=False):
    """Shell classes and labels of the Li/Na/K cations for ``electrolyte analyze``.

    Cations are single-atom Li/Na/K residues, of the most common of these elements; other
    single-atom metal cations (:data:`~mda_electrolyte.rdf.CATION_ELEMENTS`) are left out of
    the species and listed under ``"cations_not_analysed"``. Anions are residues with negative
    total formal charge (the topology needs ``formalcharges``, and cations of a positive
    formal charge: all 0 is a column that records none, and is skipped); everything else is solvent,
    grouped by residue name (or composition). Beyond :data:`_CUTOFF_FRAMES` frames the
    cutoffs are found on that many evenly spaced frames (``cutoff_frames``) and the shells of
    every frame are counted with ``store_table=False``, so memory stays bounded on long
    trajectories.
    """
    import matplotlib

    matplotlib.use("Agg")

    if not hasattr(universe.atoms, "elements"):
        return {"skipped": "no element symbols in the topology"}
    # 'LI' of a GRO file is Li, as in every analysis (element_symbols)
    element_of = element_symbols(universe.atoms.elements)
    single = [
        r for r in universe.residues
        if r.atoms.n_atoms == 1 and element_of[r.atoms[0].ix] in SHELL_CATIONS
    ]
    if not single:
        return {"skipped": "no single-atom Li/Na/K residues"}
    symbol = Counter(element_of[r.atoms[0].ix] for r in single).most_common(1)[0][0]
    cations = sum(r.atoms for r in single if element_of[r.atoms[0].ix] == symbol)
    if not hasattr(universe.atoms, "formalcharges"):
        return {"skipped": "no formal charges in the topology to tell anions from solvents"}
    uncharged = _uncharged_cations_note(cations)
    if uncharged:
        return {"skipped": uncharged}
    # the other metal cations (a Na⁺ or Mg²⁺ salt beside the Li⁺ one) are no species of the
    # shells (a Mg²⁺ was counted as a solvent for its positive charge) and their own shells
    # are not analysed: the report says so
    others = Counter(element_of[r.atoms[0].ix] for r in universe.residues
                     if r.atoms.n_atoms == 1 and element_of[r.atoms[0].ix] != symbol
                     and element_of[r.atoms[0].ix] in _rdf.CATION_ELEMENTS)
    anions, solvents = {}, {}
    for residue in universe.residues:
        if residue.atoms.n_atoms == 1 and (element_of[residue.atoms[0].ix] == symbol
                                           or element_of[residue.atoms[0].ix] in others):
            continue
        name = _species_name(residue)
        target = anions if residue.atoms.formalcharges.sum() < 0 else solvents
        target[name] = target[name] + residue.atoms if name in target else residue.atoms
    # a short run or a single cation gives RDFs too noisy to have a first minimum; for Li such a
    # species falls back to Ju et al. (2025)'s donor-atom cutoffs (Li–O 2.6 Å, Li–P 4.2 Å)
    # the smallest box of the run limits the RDF range (NPT boxes fluctuate)
    # (from the reader's box array when it has one, each distinct box once; the caller's
    # frame is kept)
    r_max = min([8.0] + [half_box_width(reduced_box(box), "solvation_shells", frame)
                         for frame, box in trajectory_boxes(universe.trajectory, distinct=True)])
    options = {"verbose": verbose, "rdf_range": (0.0, r_max), "rdf_nbins": max(1, int(r_max * 10))}
    # a long trajectory: cutoffs from evenly spaced frames, then every frame reduced to its
    # shells as it is read (memory per cation and frame, not per pair)
    step = -(-universe.trajectory.n_frames // _CUTOFF_FRAMES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        chosen = SolvationShells(cations, anions, solvents,
                                 no_minimum="preset" if symbol == "Li" else "raise",
                                 **options).run(step=step)
        shells = chosen
        if step > 1:
            groups = {**anions, **solvents}
            for name, atoms in chosen.results.shell_atoms.items():
                if atoms == "donor_atoms":
                    groups[name] = donor_atoms(groups[name], _PRESET)[0]
            shells = SolvationShells(
                cations, {n: groups[n] for n in anions}, {n: groups[n] for n in solvents},
                cutoffs=chosen.results.cutoffs, store_table=False, **options).run()
            # given to the second pass, the cutoffs keep the verdict of the first
            # the cutoffs' own errors, measured on the first pass's table, carried into the
            # coordination numbers of the second
            cn = shells.results.estimates
            cn["coordination_numbers"] = _with_cutoff_errors(
                cn["coordination_numbers"], chosen.results.get("cutoff_cn_errors", {}))
            _with_share_errors(cn, chosen.results.get("cutoff_share_errors", {}))
            _mark_shells(shells.results, chosen.results.cutoff_estimates,
                         chosen.results.cutoff_source, anions)
    notes = {name: d["note"] for name, d in chosen.results.cutoff_details.items()}
    cutoff_warnings = [str(w.message) for w in caught if "shell cutoff" in str(w.message)]
    fallbacks = [
        notes[name] for name, src in chosen.results.cutoff_source.items()
        if src == "preset_fallback"
    ]
    estimates = shells.results.estimates
    listed = list(estimates["labels"])[:_REPORTED_LABELS]
    # the labels past the listed ones as one share: the listed shares summed to less than 1
    # without a word where a large system has hundreds of labels
    unlisted = {}
    if len(estimates["labels"]) > len(listed):
        n_other = len(estimates["labels"]) - len(listed)
        unlisted["labels_not_listed"] = frame_average(
            (shells.results.label_codes >= len(listed)).mean(axis=1),
            shells.results.n_cations, what=f"share of the {n_other} labels not listed")
        # a share of labels: every cutoff bounds it
        held = {"estimates": unlisted}
        _mark_shells(held, chosen.results.cutoff_estimates, chosen.results.cutoff_source,
                     anions)
        unlisted = held["estimates"]
    fig = shells.plot()
    save_figure(fig, outdir / "solvation_shells.png", dpi=120)
    return {
        "cation": symbol,
        "convention": shells.results.convention,
        # the cutoffs with their resolution and verdict (a preset fallback is marked)
        "cutoffs": chosen.results.cutoff_estimates,
        # what the shells were counted with, apart from the results: no bare number beside an
        # Estimate (the cutoffs' values as used, in Å, are the "cutoffs" Estimates' values)
        "settings": {"cutoffs_angstrom": chosen.results.cutoffs,
                     "cutoff_source": chosen.results.cutoff_source,
                     "cutoff_frames": int(chosen.n_frames), "frames": int(shells.n_frames),
                     # what each RDF-minimum cutoff's scatter added to its coordination
                     # number (δ in Å, δCN), in quadrature with the block error
                     "cutoff_cn_errors": {
                         name: list(pair)
                         for name, pair in chosen.results.get("cutoff_cn_errors", {}).items()}},
        # Estimates: value, block error over frames and verdict (too few frames or ions)
        "fractions": estimates["fractions"],
        "coordination_numbers": estimates["coordination_numbers"],
        "pairing": estimates["pairing"],
        "free_cation_fraction": estimates["free_cation_fraction"],
        "free_ion_fraction": estimates["free_ion_fraction"],
        # shares of shell labels, network sizes and total coordination numbers: Estimates
        "labels": {k: estimates["labels"][k] for k in listed},
        **unlisted,
        "network_sizes": {str(k): v for k, v in estimates["network_sizes"].items()},
        "ssip_fraction_in_networks": estimates["ssip_fraction_in_networks"],
        "cn_distribution_total": {
            str(k): v for k, v in estimates["cn_distribution_total"].items()
        },
        # Estimates (degrees): the mean over all shells' angles, error over frames
        "angles_mean_degrees": {k: v["estimate"] for k, v in shells.results.angles.items()},
        "cutoff_notes": notes,
        **({"cutoff_note": "; ".join(fallbacks)} if fallbacks else {}),
        **({"cations_not_analysed": {
            "counts": dict(sorted(others.items())),
            "note": f"only the most common cation, {symbol}, is analysed; the shells of "
                    f"{', '.join(sorted(others))} are not, nor are they counted in {symbol}'s"}}
           if others else {}),
        "cutoff_warnings": cutoff_warnings,
        "shell_atoms": chosen.results.shell_atoms,
        "png": "solvation_shells.png",
    }
