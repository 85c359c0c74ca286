"""Charge carriers of trajectories: species, ion charges, ion centres, per-frame collection.

Shared by the transport analyses (:class:`~mda_electrolyte.GreenKuboConductivity`,
:class:`~mda_electrolyte.EinsteinHelfandConductivity`, :class:`~mda_electrolyte.Diffusion`).

An *ion* is a molecule (see :mod:`mda_electrolyte.molecules`) of the atoms selected for a species:
a single atom (Li⁺) or a molecular ion (PF₆⁻). Its centre is its centre of mass or one chosen atom
(Chalykh et al. 2025 follow PF₆⁻ by its P atom); its charge is, in this order of preference, a
value given
per species, the sum of the formal charges of its atoms, or the sum of their partial charges.
Positions are in Å, velocities in Å/ps, charges in e, time in ps.

Independent trajectories (several Universes) and, for a single trajectory, contiguous blocks of
it are the *segments* over which means and standard errors are taken.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from MDAnalysis.core.groups import AtomGroup
from MDAnalysis.core.universe import Universe
from MDAnalysis.lib.mdamath import triclinic_vectors
from scipy import constants

from ase_electrolyte.atoms_checks import (
    MAX_COORDINATE,
    MAX_TEMPERATURE_K,
    check_flag,
    check_number,
)
from ase_electrolyte.option_words import choice_word
from ase_electrolyte.units import GCM3_TO_AMU_PER_A3, implausible_doubts, warn_implausible

from . import frame_estimates
from .analysis_base import check_atomgroup, check_universe
from .correlation import check_fit_window, check_segment_lags
from .molecules import _identified_numbers, check_masses, molecule_ids

__all__ = ["IonSpecies", "resolve_species", "atomgroup_masses", "unwrap_trajectory",
           "given_volume_notes",
           "find_wrapping_jump", "check_neutral", "temperature_notes", "MAX_TEMPERATURE_RATIO",
           "run_temperature", "recorded_temperature", "TEMPERATURE_MISMATCH",
           "TEMPERATURE_MISMATCH_SIGMAS", "MIN_THERMAL_DOF",
           "few_ions_notes", "dilution_notes", "MIN_ION_CONCENTRATION",
           "MAX_ION_CONCENTRATION", "doubted_unit_notes", "given_temperature"]


@dataclass
class IonSpecies:
    """The ions of one species in one Universe.

    Attributes
    ----------
    name : str
    atoms : MDAnalysis.core.groups.AtomGroup
        All atoms of the species' ions.
    ids : numpy.ndarray of int, shape (n_atoms,)
        Ion index of every atom (0 .. n_ions-1).
    masses : numpy.ndarray, shape (n_atoms,)
        Atomic masses in amu.
    charges : numpy.ndarray or None, shape (n_ions,)
        Charge of every ion in e (``None`` if unknown and not required).
    center_atoms : numpy.ndarray of int or None, shape (n_ions,)
        Index into ``atoms`` of the atom that represents each ion, or ``None`` for the centre of
        mass.
    charge_source : {"given", "formal", "partial"} or None
        Where the charges came from: the ``charges=`` mapping, the sum of the formal charges
        of each ion, or the sum of its partial charges (GROMACS TPR, LAMMPS data).
    """

    name: str
    atoms: AtomGroup
    ids: np.ndarray
    masses: np.ndarray
    charges: np.ndarray | None
    center_atoms: np.ndarray | None
    charge_source: str | None = None

    @property
    def n_ions(self):
        """Ions of the species (``ids.max() + 1``)."""
        return int(self.ids.max()) + 1

    @property
    def tracked(self):
        """Indices into ``atoms`` of the atoms whose coordinates are read every frame."""
        if self.center_atoms is not None:
            return self.center_atoms
        return np.arange(self.atoms.n_atoms)

    @property
    def follows_com(self):
        """Whether ion centres are centres of mass of several atoms."""
        return self.center_atoms is None and self.ids.size != self.n_ions

    def center_matrix(self):
        """Sparse ``(n_ions, n_tracked)`` matrix taking tracked-atom coordinates to ion centres.

        Rows hold mass fractions (centre of mass, as
        :func:`mda_electrolyte.molecules.centers_of_mass`) or a single 1 (a chosen atom).
        """
        n_tracked = self.tracked.size
        if not self.follows_com:
            rows = self.ids[self.tracked] if self.center_atoms is None else np.arange(self.n_ions)
            return scipy.sparse.csr_matrix(
                (np.ones(n_tracked), (rows, np.arange(n_tracked))), shape=(self.n_ions, n_tracked)
            )
        total = np.bincount(self.ids, weights=self.masses, minlength=self.n_ions)
        return scipy.sparse.csr_matrix(
            (self.masses / total[self.ids], (self.ids, np.arange(n_tracked))),
            shape=(self.n_ions, n_tracked),
        )


#: How to make a Universe of a trajectory file, for the refusal of a path.
_LOAD_FILE = ("load it first: mda_electrolyte.from_ase(path) for a run_md H5MD file or an ASE "
              "trajectory, MDAnalysis.Universe(topology, trajectory) for another engine's")


def _as_universes(universes):
    if isinstance(universes, Universe):
        return [check_universe("the Universe", universes)]
    if isinstance(universes, AtomGroup):
        raise TypeError(
            "pass the Universe (or a list of Universes), and the ions as ions={name: ...}"
        )
    if isinstance(universes, (str, os.PathLike)):
        # a str was split into its characters: "expected Universes in the list, got str"
        raise TypeError(f"the analysis takes a Universe, not the path "
                        f"{os.fspath(universes)!r}: {_LOAD_FILE}")
    try:
        universes = list(universes)
    except TypeError:
        raise TypeError(
            f"expected a Universe or a list of Universes, got {type(universes).__name__}"
        ) from None
    if not universes:
        raise ValueError("the list of Universes is empty")
    for k, u in enumerate(universes):
        if isinstance(u, (str, os.PathLike)):
            raise TypeError(f"item {k} of the list is the path {os.fspath(u)!r}, not a "
                            f"Universe: {_LOAD_FILE}")
        if not isinstance(u, Universe):
            raise TypeError(f"expected Universes in the list, got {type(u).__name__}")
        check_universe(f"Universe {k}" if len(universes) > 1 else "the Universe", u)
    files = [_trajectory_files(u) for u in universes]
    for k, u in enumerate(universes):
        for j in range(k):
            same = universes[j] is u or universes[j].trajectory is u.trajectory
            shared_files = sorted(files[j] & files[k])
            if same or shared_files:
                what = ("the same Universe" if same else
                        f"Universes reading the same file {shared_files[0]}")
                raise ValueError(
                    f"Universe {j} and Universe {k} are {what}: the list holds independent "
                    "trajectories of one system, and one counted twice would shrink the error "
                    "bar (to zero for one block each); give each trajectory once")
    return universes


def _trajectory_files(universe):
    """The resolved paths of the files a Universe's trajectory reads (none in memory)."""
    import os

    trajectory = universe.trajectory
    names = getattr(trajectory, "filenames", None)
    if names is None:
        names = [getattr(trajectory, "filename", None)]
    return {os.path.realpath(os.fspath(n)) for n in names
            if isinstance(n, (str, os.PathLike)) and os.path.isfile(n)}


def _stretch_of(short, long):
    """The first sample of ``long`` at which ``short`` recurs as a contiguous stretch, or
    ``None`` (series of other shapes per sample, or a longer ``short``)."""
    if short.shape[1:] != long.shape[1:] or not 0 < short.shape[0] <= long.shape[0]:
        return None
    n = short.shape[0]
    rows = long[: long.shape[0] - n + 1].reshape(long.shape[0] - n + 1, -1)
    starts = np.flatnonzero(np.all(rows == short[0].reshape(-1), axis=1))
    # a series repeating its first sample at many frames does not fluctuate (refused where
    # a fluctuation is needed): a bounded number of starts is checked
    for i in starts[:64]:
        if np.array_equal(long[i:i + n], short):
            return int(i)
    return None


def check_distinct_series(collections, who="the analysis"):
    """Refuse two collections holding the same series, or one holding a stretch of the
    other's: one trajectory given twice (the same Universe or file, a copy of it, the same
    collection, a truncated copy or a window of it) would count as two independent
    trajectories and shrink the error bar, to zero with one block each (the Einstein–Helfand
    viscosity of a run and its first half, prefixes of one series cut to their common
    length, was 0.000545 ± 0 mPa·s, valid).

    Parameters
    ----------
    collections : list of IonCollection
    who : str
        The analysis, as the message shows it.

    Raises
    ------
    ValueError
        Naming the two collections.
    """
    fields = ("velocity_sum", "current", "position_sum", "dipole", "pressure_tensor")

    def series(col):
        return next((a for a in (getattr(col, f, None) for f in fields) if a is not None), None)

    arrays = [series(c) for c in collections]
    for k, a in enumerate(arrays):
        for j in range(k):
            b = arrays[j]
            names = [c.label or "unnamed" for c in (collections[j], collections[k])]
            if collections[j] is collections[k] or (
                    a is not None and b is not None and a.shape == b.shape
                    and np.array_equal(a, b)):
                raise ValueError(
                    f"{who}: inputs {j} and {k} ({names[0]}, {names[1]}) hold the same series: "
                    "the inputs are "
                    "independent trajectories of one system, and one counted twice would "
                    "shrink the error bar (to zero for one block each); give each trajectory "
                    "once")
            if a is None or b is None:
                continue
            short, long, (s, lg) = (a, b, (k, j)) if a.shape[0] <= b.shape[0] else (b, a, (j, k))
            start = _stretch_of(short, long)
            if start is not None:
                n = short.shape[0]
                raise ValueError(
                    f"{who}: input {s} ({collections[s].label or 'unnamed'}) is samples "
                    f"{start}-{start + n - 1} of input {lg} ({collections[lg].label or 'unnamed'}):"
                    " the inputs are independent trajectories of one system, and a stretch of "
                    "one given again would count twice and shrink the error bar; give each "
                    "trajectory once (the longest)")


def atomgroup_masses(atoms, ids, what):
    """The masses (amu) of an AtomGroup's atoms, checked against their elements by
    :func:`~mda_electrolyte.molecules.check_masses`.

    The one reading of a topology's masses for the transport species and the density of a
    Universe: a GRO/XYZ topology whose ``LI`` MDAnalysis gave mass 0 is refused with the atom
    types named, a massless virtual site (TIP4P's M: no element, mass 0) beside massive atoms
    of its molecule carries no mass and passes.

    Parameters
    ----------
    atoms : MDAnalysis.core.groups.AtomGroup
    ids : array_like of int, shape (n_atoms,)
        Molecule index of every atom (:func:`~mda_electrolyte.molecules.molecule_ids`).
    what : str
        Who needs the masses, for the messages (``"species 'Li'"``).

    Returns
    -------
    numpy.ndarray of float64, shape (n_atoms,)

    Raises
    ------
    ValueError
        No masses in the topology, or masses :func:`check_masses` refuses.
    """
    masses = getattr(atoms, "masses", None)
    if masses is None:
        raise ValueError(
            f"{what} needs every atom's mass: {atoms.n_atoms} of {atoms.n_atoms} atoms have "
            "none; set them, e.g. universe.add_TopologyAttr('masses', [...]) in amu")
    # elements, else types that are element symbols, else masses; 0 for virtual sites
    numbers = _identified_numbers(atoms, strict=False)
    labels = getattr(atoms, "types", None)
    return check_masses(numbers, masses, ids, what,
                        labels=getattr(atoms, "names", None) if labels is None else labels)


def _is_com(center):
    """Whether an ``ion_center`` value is the word ``"com"`` in any case and spacing (no
    MDAnalysis selection reads so) rather than a selection string."""
    try:
        return isinstance(center, str) and choice_word("ion_center", center, ("com",)) == "com"
    except ValueError:
        return False


def resolve_species(
    universe,
    ions,
    *,
    charges=None,
    ion_center=None,
    compound="residues",
    require_charges=True,
    n_universes=1,
    charges_used=True,
):
    """The :class:`IonSpecies` of ``universe`` described by ``ions``.

    Parameters
    ----------
    universe : MDAnalysis.Universe
    ions : dict
        Species name -> selection string or AtomGroup (an AtomGroup only when one Universe is
        analysed).
    charges : dict, optional
        Species name -> charge per ion in e. Species not given take the sum of the formal charges
        (topology attribute ``formalcharges``) of each ion's atoms, or, without formal charges
        (or with all of them zero), the sum of the partial charges (attribute ``charges``, as
        GROMACS TPR and LAMMPS data files give).
    ion_center : dict, optional
        Species name -> ``"com"`` (default) or a selection string, applied to the species' atoms,
        that picks exactly one atom per ion to stand for it.
    compound : {"residues", "fragments"}
        What an ion is (see :func:`mda_electrolyte.molecules.molecule_ids`).
    require_charges : bool
        Raise if a charge is unknown or zero.
    n_universes : int
        Number of Universes analysed together (AtomGroups are only allowed for one).
    charges_used : bool
        Whether the analysis uses the charges (default). An analysis that does not (a
        diffusion coefficient) accepts a selection that cuts molecules (``"name OW"`` of water)
        whatever charges the topology has: the charges of such a species stay unknown
        (``None``) instead of being refused, so that D does not depend on whether the
        topology records charges.

    Returns
    -------
    list of IonSpecies
        In the order of ``ions``.

    Raises
    ------
    ValueError, TypeError
        Empty or overlapping selections, missing masses, missing or zero charges, ion centres that
        do not pick one atom per ion, selections that cut molecules while charges come from the
        topology.
    """
    if not isinstance(ions, dict) or not ions:
        raise TypeError(
            "ions must be a non-empty dict {species name: selection string or AtomGroup}"
        )
    n_universes = check_number("n_universes", n_universes, integer=True, minimum=1)
    # read once here: the charge lookup below compared the word as given ("Residues" took the
    # fragments' branch) while molecule_ids read it in any case
    compound = choice_word("compound", compound, ("residues", "fragments"))
    for label, mapping in (("charges", charges), ("ion_center", ion_center)):
        if mapping is not None and not isinstance(mapping, Mapping):
            # a list raised "cannot convert dictionary update sequence element #0"
            raise TypeError(f"{label} must be a dict {{species name: ...}} over the species of "
                            f"ions, not {type(mapping).__name__} {mapping!r:.80}")
    charges = {} if charges is None else dict(charges)
    ion_center = {} if ion_center is None else dict(ion_center)
    for label, mapping in (("charges", charges), ("ion_center", ion_center)):
        unknown = sorted(set(mapping) - set(ions))
        if unknown:
            raise ValueError(f"{label} names species {unknown} that are not in ions {list(ions)}")
    species = []
    # the species that took each atom (-1: none), to name the one an overlap is with
    seen = np.full(universe.atoms.n_atoms, -1, dtype=np.intp)
    for position, (name, sel) in enumerate(ions.items()):
        if isinstance(sel, str):
            atoms = _selected(universe, sel, f"ions[{name!r}]")
        elif isinstance(sel, AtomGroup):
            if n_universes > 1:
                raise TypeError(
                    f"ions[{name!r}] is an AtomGroup, which belongs to one Universe; with several "
                    "Universes give selection strings"
                )
            # an empty group is named below, with the selection strings
            if sel.n_atoms:
                check_atomgroup(f"ions[{name!r}]", sel, universe=universe)
            atoms = sel
        else:
            raise TypeError(
                f"ions[{name!r}] must be a selection string or an AtomGroup, "
                f"not {type(sel).__name__}"
            )
        if atoms.n_atoms == 0:
            raise ValueError(f"ions[{name!r}] = {sel!r} selects no atoms")
        if np.unique(atoms.ix).size != atoms.n_atoms:
            raise ValueError(f"ions[{name!r}] contains repeated atoms")
        owners = seen[atoms.ix]
        if np.any(owners >= 0):
            # said with the other species and a cure: an ion counted in two species adds its
            # current twice
            names = list(ions)
            other = names[int(owners[owners >= 0][0])]
            shared = int(np.count_nonzero(owners >= 0))
            raise ValueError(
                f"species {name!r} ({sel!r}) shares atoms with species {other!r} "
                f"({ions[other]!r}): {shared} of its {atoms.n_atoms} atoms are in both, and "
                "each atom belongs to one species (its current would count twice); select "
                "disjoint groups, e.g. 'resname LI' and 'resname PF6', not 'resname LI PF6' "
                "beside one of them")
        seen[atoms.ix] = position
        ids = molecule_ids(atoms, compound)
        n_ions = int(ids.max()) + 1
        masses = atomgroup_masses(atoms, ids, f"species {name!r}")

        center = ion_center.get(name, "com")
        if _is_com(center):
            center_atoms = None
        elif isinstance(center, str):
            picked = _selected(atoms, center, f"ion_center[{name!r}]")
            order = np.argsort(atoms.ix)
            picked_pos = order[np.searchsorted(atoms.ix[order], picked.ix)]
            if picked.n_atoms != n_ions or np.unique(ids[picked_pos]).size != n_ions:
                raise ValueError(
                    f"ion_center[{name!r}] = {center!r} must pick exactly one atom per ion "
                    f"({n_ions} ions), it picks {picked.n_atoms} atoms"
                )
            center_atoms = np.empty(n_ions, dtype=np.intp)
            center_atoms[ids[picked_pos]] = picked_pos
        else:
            raise TypeError(
                f"ion_center[{name!r}] must be 'com' or a selection string, not {center!r}"
            )

        ion_charges, charge_source = None, None
        if name in charges:
            q = check_ion_charge(f"charges[{name!r}] (e per ion)", charges[name])
            ion_charges = np.full(n_ions, q)
            charge_source = "given"
        else:
            for attr, source in (("formalcharges", "formal"), ("charges", "partial")):
                if not hasattr(atoms, attr):
                    continue
                if compound == "residues":
                    n_whole = atoms.residues.atoms.n_atoms
                else:
                    n_whole = sum(f.n_atoms for f in atoms.fragments)
                if n_whole != atoms.n_atoms:
                    if not charges_used and not require_charges:
                        # the charges of part of a molecule are not its ion charge: unknown
                        break
                    raise ValueError(
                        f"ions[{name!r}] selects only part of its molecules, so their {source} "
                        "charges do not add up to the ion charge; select whole ions (and use "
                        f"ion_center to follow one atom) or give charges={{{name!r}: ...}}"
                    )
                summed = np.bincount(
                    ids, weights=np.asarray(getattr(atoms, attr), dtype=np.float64),
                    minlength=n_ions,
                )
                # formal charges of zero on a topology that also has partial charges (e.g. a
                # guessed attribute) say nothing: fall through to the partial charges
                if source == "formal" and not np.any(summed) and hasattr(atoms, "charges"):
                    continue
                if not np.all(np.isfinite(summed)):
                    raise ValueError(f"species {name!r}: the topology's {source} charges are "
                                     "not finite; give charges={name: charge per ion in e}")
                ion_charges, charge_source = summed, source
                break
        if ion_charges is None and require_charges:
            raise ValueError(
                f"species {name!r}: the topology has neither formal charges (attribute "
                "'formalcharges') nor partial charges ('charges'); "
                f"give charges={{{name!r}: charge per ion in e}}"
            )
        if require_charges and np.any(ion_charges == 0):
            n_zero = int(np.count_nonzero(ion_charges == 0))
            # a neutral species (a solvent listed with the ions) was told only to include "the
            # whole ion": it carries no current and is left out of J
            cure = ("a neutral species carries no current: leave it out of ions (the "
                    "solvent is not summed in J; OnsagerCoefficients takes it for its "
                    "coefficients), or give its ions' charge with charges=..."
                    if n_zero == ion_charges.size else
                    "did the selection include the whole ion? or pass charges=...")
            raise ValueError(
                f"species {name!r} has ions of zero charge ({n_zero} of {ion_charges.size}); "
                f"a charge carrier needs a charge ({cure})"
            )
        species.append(
            IonSpecies(name, atoms, ids, masses, ion_charges, center_atoms, charge_source)
        )
    return species


def _box_matrices(boxes):
    return np.array([triclinic_vectors(b) for b in boxes], dtype=np.float64)


#: Largest relative standard deviation of the box volume over analysed frames: equilibrated NPT
#: liquids of a few hundred atoms fluctuate by about 1 %.
_MAX_VOLUME_SPREAD = 0.05


#: A linear trend of the box volume over the analysed run beyond this fraction of its mean
#: volume, significant at p = 0.01 (two-sided), marks the transport numbers "not
#: equilibrated" (:func:`volume_drift_notes`). An equilibrated NPT liquid of 1000 atoms wanders
#: by about 1 % (std/mean); a significant trend of that size is an NPT run still relaxing.
MAX_VOLUME_DRIFT = 0.01
#: Two-sided p-value of the volume's linear trend below which it is a drift (the nominal 1 %
#: false-alarm rate of the density's trend test, :func:`~mda_electrolyte.uncertainty.
#: equilibrated_series_mean`).
_VOLUME_TREND_P = 0.01
#: The volume series is reduced to at most this many consecutive means before its trend is
#: fitted: a per-step observable of 10^7 samples costs the same as a short run, and a trend
#: survives averaging over neighbours.
_VOLUME_TREND_POINTS = 2000


def volume_drift_note(volumes, label=""):
    r"""Why transport numbers of a run whose box volume still drifts are "not equilibrated".

    The fixed-volume Green–Kubo and Einstein–Helfand formulas divide by the mean volume, which
    for a fluctuating NPT volume is exact to :math:`(\delta V/V)^2` (0.25 % at the limit of a
    5 % relative standard deviation of the volume over the analysed frames). A volume that
    drifts is another matter: the system is still relaxing, the mean volume depends on where
    the run stopped, and so do the correlations. A
    linear ramp of 15 % has a standard deviation of only 4.3 % (range/√12) and passed the 5 %
    spread rule, giving a "valid" conductivity of a compressing box.

    The trend is the least-squares slope of the volume against the frame index with the
    package's block-jackknife error (:func:`~mda_electrolyte.uncertainty.linear_slope`, the
    density's trend test); it is a drift where its change over the run exceeds
    :data:`MAX_VOLUME_DRIFT` of the mean and its two-sided p-value is below 0.01.
    A series too short for the jackknife's blocks is a drift only where the trend stands out of
    a residual scatter below a tenth of the change (a smooth barostat ramp).

    Parameters
    ----------
    volumes : array_like, shape (T,)
        Box volume of every analysed frame (or observable sample), Å³, in time order.
    label : str
        Names the trajectory in the note.

    Returns
    -------
    str or None
        The note, or ``None`` for a volume that does not drift (or is constant, or has fewer
        than 8 finite samples).
    """
    from .uncertainty import linear_slope

    v = np.asarray(volumes, dtype=np.float64).ravel()
    if v.size < 8 or not np.all(np.isfinite(v)) or np.ptp(v) == 0:
        return None
    mean = float(np.mean(v))
    n_bins = min(v.size, _VOLUME_TREND_POINTS)
    # consecutive means over near-equal spans (their centres stand at the spans' mean index)
    edges = np.linspace(0, v.size, n_bins + 1).astype(np.intp)
    sums = np.add.reduceat(v, edges[:-1])
    counts = np.diff(edges)
    y = sums / counts / mean
    t = (edges[:-1] + edges[1:] - 1) / 2.0
    # as the density's trend test: a wander slower than the blocks moves the mean as a drift does
    fit = linear_slope(t, y, longer_blocks=False)
    change = fit.slope * (v.size - 1)
    if not abs(change) > MAX_VOLUME_DRIFT:
        return None
    p = fit.p_value
    if np.isfinite(p):
        if not p < _VOLUME_TREND_P:
            return None
        how = f"p = {p:.2g}"
    else:
        resid = y - y.mean() - fit.slope * (t - t.mean())
        if not np.std(resid) < 0.1 * abs(change):
            return None
        how = "a smooth trend, too few samples for its error"
    where = f"{label}: " if label else ""
    return (f"not equilibrated: {where}the box volume drifts by {100 * change:+.1f} % of its "
            f"mean over the analysed frames (linear trend, {how}); the run is still relaxing "
            "and its mean volume depends on where it stopped: analyse the equilibrated part "
            "(start=) or an NVT production at the equilibrated volume")


def transference_estimate(est, value, samples, name):
    """A transference number's Estimate with ``value`` (the ratio of the means), judged for an
    exact share.

    A species whose ions carry no current at all (frozen atoms, velocities or positions not
    written for it) has a transference number of exactly 0 in every segment, and the other
    species exactly 1: "0 ± 0 (valid)" and, from ``(L z) z / σ`` with a negative charge,
    "-0 ± 0". The sign of zero is dropped, and a share that is the same in every segment to
    rounding has no scatter to give an error: NaN, not valid, saying why (besides any other
    reason it is not valid): ions that do not move for a share of 0 or 1, the system itself
    (momenta that cancel) for any other.

    Parameters
    ----------
    est : Estimate
        :func:`~mda_electrolyte.correlation.transport_estimate` of the per-segment shares.
    value : float
        The transference number (the share of the mean currents).
    samples : array_like
        The per-segment shares ``est`` was made from.
    name : str
        The species.

    Returns
    -------
    Estimate
    """
    from dataclasses import replace

    from .correlation import NO_SCATTER, NO_SCATTER_NOTE

    value = float(value) + 0.0  # -0.0 -> 0.0
    samples = np.asarray(samples, dtype=np.float64)
    out = replace(est, value=value)
    if samples.size >= 2 and np.all(np.isfinite(samples)) and (
            np.ptp(samples) <= NO_SCATTER * max(1.0, float(np.max(np.abs(samples))))):
        # frozen ions give a share of exactly 0 or 1; any other constant share is fixed by the
        # system (two species whose momenta cancel: equal masses, opposite charges, no solvent
        # give t = 0.5 in every segment), and blaming frozen atoms misled
        why = ("a species carrying exactly none of the current has ions that do not move "
               "(frozen atoms, or velocities/positions not written for them?)"
               if min(abs(value), abs(value - 1.0)) <= 1e-9 else
               "a share the same in every segment is fixed by the system itself (e.g. the "
               "momenta of two ion species cancel: no solvent, or ions alone in the analysis) "
               "or by a motion repeated in every segment (strictly periodic, or frames "
               "repeated)")
        # its own cause said here, instead of transport_estimate's general note
        kept = tuple(n for n in out.notes if not n.startswith(NO_SCATTER_NOTE))
        out = replace(out, stderr=float("nan"), converged=False, notes=kept + (
            f"no scatter: the transference number of {name} is {value:.6g} in every segment to "
            f"rounding, so it has no error; {why}",))
    return out


#: Largest factor between a volume given to a transport analysis (``volume=``) and the box
#: volumes of the runs it reads before the result is not one: a slab's liquid volume may be a
#: fraction of its box, but ten times off is a unit (1 nm³ = 1000 Å³).
MAX_GIVEN_VOLUME_RATIO = 10.0


def _given_volume_density_notes(collection, volume):
    """Verdict notes when a ``volume`` (Å³) given for a collection without a box puts the
    mass of its Universe's atoms (``total_mass``, amu) at a density above any liquid's
    (:func:`ase_electrolyte.units.implausible_doubts`, 5 g/cm³).

    Without a box a given volume had no check but the ions' concentration, which a dilute
    electrolyte passes a thousand times too concentrated: 16 ions among 4000 solvent molecules
    with ``volume=120`` (a 120 nm³ box given in nm³) gave σ = 2983 S/m "valid", its density
    600 g/cm³.
    """
    mass = getattr(collection, "total_mass", None)
    if mass is None or not mass > 0:
        return []
    density = mass / (volume * GCM3_TO_AMU_PER_A3)
    # the one rule of plausible densities (its words are about a density's own unit), on the
    # dense side only: a trajectory written with some atoms only (the ions, without the
    # solvent) is thinner than its liquid, but no subset of a liquid's atoms is denser
    if not (density > 1.0 and implausible_doubts(density_g_cm3=density)):
        return []
    where = f" of {collection.label}" if collection.label else ""
    return [f"not a result: the volume given, {volume:.6g} Å³, holds the atoms{where} "
            f"({mass:.6g} amu) at {density:.3g} g/cm³, no liquid's (a liquid electrolyte "
            "has 0.7-2 g/cm³): a volume in another unit (1 nm³ = 1000 Å³)? The coefficient "
            "goes with the volume"]


def given_volume_notes(collections, volume):
    """Verdict notes when ``volume`` (Å³, or ``None``: the boxes' own) is more than
    :data:`MAX_GIVEN_VOLUME_RATIO` times off the box volumes a collection recorded, or, for
    a collection without a box, puts its Universe's atoms at a density no liquid has: the
    Universe's total mass (``IonCollection.total_mass``) in the given volume above 5 g/cm³
    (the dense side only: a trajectory of some atoms, the ions alone, is thinner than its
    liquid, but no subset of a liquid's atoms is denser).

    ``volume=64`` meant as nm³ for a 64 000 Å³ box gave σ = 29 000 S/m, valid: a given volume
    replaces the box's without a look at it.

    Parameters
    ----------
    collections : list of IonCollection
        Their ``volume`` (mean box volume, Å³) and ``volume_range`` where recorded; those
        without a box are not judged.
    volume : float or None
        The volume the estimate divides by or multiplies with, Å³.

    Returns
    -------
    list of str
    """
    if volume is None:
        return []
    notes = []
    for col in collections:
        box = getattr(col, "volume", None)
        if box is None or not np.isfinite(box) or box <= 0:
            notes.extend(_given_volume_density_notes(col, volume))
            continue
        lo, hi = getattr(col, "volume_range", None) or (box, box)
        if volume * MAX_GIVEN_VOLUME_RATIO < lo or volume > MAX_GIVEN_VOLUME_RATIO * hi:
            where = f" of {col.label}" if col.label else ""
            notes.append(
                f"not a result: the volume given, {volume:.6g} Å³, is {volume / box:.3g} times "
                f"the box volume{where} ({box:.6g} Å³): a volume in another unit (1 nm³ = "
                "1000 Å³)? The coefficient goes with it")
    return notes


#: Fewest charged ions per litre (mol/L) of a transport estimate's volume that is taken as an
#: electrolyte: 1 µmol/L, a millionth of a usual 1 mol/L electrolyte. Eight ions in a box of
#: 1e7 Å (1e-17 mol/L) gave σ = 3e-16 S/m "valid": right for that box, but a box in another
#: unit or a placeholder cell (a vacuum box written as 1e7) rather than a solution.
MIN_ION_CONCENTRATION = 1e-6
#: Most charged ions per litre (mol/L) of a transport estimate's volume that is taken as a
#: liquid: 300 mol/L, 0.18 ions per Å³, the atom density of diamond. The densest ionic
#: matter holds fewer (molten LiF 140 mol/L of ions, solid LiF or LiH about 205). Sixteen ions
#: in ``volume=64`` (a 64 nm³ box given in nm³, no box to compare it with) gave σ = 7900 S/m
#: "valid", in 2 Å³ 250 000 S/m: a volume in another unit, or a box too small.
MAX_ION_CONCENTRATION = 300.0


def dilution_notes(n_charged, volume, where=""):
    """Verdict notes when ``n_charged`` ions in ``volume`` (Å³) are more dilute than
    :data:`MIN_ION_CONCENTRATION` (mol/L), or more concentrated than
    :data:`MAX_ION_CONCENTRATION`: a conductivity is proportional to the concentration, and
    one beyond those bounds is no electrolyte's.

    Parameters
    ----------
    n_charged : int
        Charged ions the estimate counts.
    volume : float
        The volume it divides by, Å³.
    where : str
        The run, for the note (``" of Universe 1"``).

    Returns
    -------
    list of str
    """
    if volume is None or not np.isfinite(volume) or volume <= 0 or n_charged <= 0:
        return []
    # 1 Å³ = 1e-27 L
    concentration = n_charged / (volume * 1e-27 * constants.N_A)
    if concentration > MAX_ION_CONCENTRATION:
        return [f"concentrated beyond any liquid: {n_charged} charged ions in {volume:.3g} "
                f"Å³{where} are {concentration:.3g} mol/L, above {MAX_ION_CONCENTRATION:g} "
                "mol/L (molten LiF holds 140); a volume in another unit (1 nm³ = 1000 Å³) or "
                "a box too small? The conductivity goes with the concentration"]
    if concentration >= MIN_ION_CONCENTRATION:
        return []
    return [f"dilute beyond an electrolyte: {n_charged} charged ions in {volume:.3g} Å³{where} "
            f"are {concentration:.3g} mol/L, below {MIN_ION_CONCENTRATION:g} mol/L; a box in "
            "another unit or a placeholder cell? The conductivity goes with the concentration"]


def volume_drift_notes(collections):
    """The :func:`volume_drift_note` of every collection that has one (``volume_notes``)."""
    notes = []
    for col in collections:
        for note in getattr(col, "volume_notes", ()):
            if note not in notes:
                notes.append(note)
    return notes


def _box_volumes(boxes):
    """Volume in Å³ of every MDAnalysis box, NaN where a frame has no box (zero lengths) or a
    degenerate one (angles that leave no volume, non-finite entries)."""
    a, b, c = boxes[:, 0], boxes[:, 1], boxes[:, 2]
    ca, cb, cg = (np.cos(np.radians(boxes[:, k])) for k in (3, 4, 5))
    with np.errstate(invalid="ignore"):
        vol = a * b * c * np.sqrt(1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg)
    # a flat cell (e.g. gamma = 0) has no volume to divide by and no minimum image to unwrap in
    vol[~np.all(boxes[:, :3] > 0, axis=1) | ~(np.isfinite(vol) & (vol > 1e-6 * a * b * c))] = (
        np.nan)
    return vol


def _constant_orthorhombic(boxes):
    return bool(np.all(boxes == boxes[0]) and np.all(boxes[0, 3:] == 90.0))


def find_wrapping_jump(positions, boxes):
    """First jump of more than half a box vector between consecutive frames, or ``None``.

    A step is judged in the box of its later frame, or of its earlier one where the later frame
    has no box (zero lengths, a flat cell, non-finite entries): one frame without a box must not
    hide a wrapped coordinate beside it. Steps between two frames without a box are not judged.

    Parameters
    ----------
    positions : numpy.ndarray, shape (T, n, 3)
        Positions in Å.
    boxes : numpy.ndarray, shape (T, 6)
        MDAnalysis boxes.

    Returns
    -------
    tuple (frame index, particle index) or None
        The later frame of the first jump found.
    """
    bad = np.abs(_fractional_steps(positions, boxes)) > 0.5
    if not bad.any():
        return None
    t, n, _ = np.argwhere(bad)[0]
    return int(t) + 1, int(n)


def _fractional_steps(positions, boxes):
    """Steps between consecutive frames in fractions of the box vectors, shape (T-1, n, 3).

    Judged in the box of the later frame, or of the earlier one where the later has none; 0
    for steps between two frames without a box (not judged)."""
    positions = np.asarray(positions, dtype=np.float64)
    boxes = np.asarray(boxes, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[2] != 3 or boxes.shape != (positions.shape[0], 6):
        # boxes of another frame count failed in numpy broadcasting, or were paired silently
        raise ValueError(f"positions of shape (T, n, 3) and boxes of shape (T, 6) are needed, "
                         f"not {positions.shape} and {boxes.shape}")
    disp = np.diff(positions, axis=0)
    valid = np.isfinite(_box_volumes(boxes))
    if valid.all() and _constant_orthorhombic(boxes):
        return disp / boxes[0, :3]
    later = np.arange(1, boxes.shape[0])
    which = np.where(valid[later], later, later - 1)
    judged = np.flatnonzero(valid[which])
    out = np.zeros(disp.shape)
    if judged.size:
        inv = np.linalg.inv(_box_matrices(boxes[which[judged]]))
        # fractional displacement along each box vector: r = s @ H, so s = r @ H^-1
        out[judged] = np.einsum("tnj,tjk->tnk", disp[judged], inv)
    return out


#: Minimum-image steps (fractions of a box vector) near half a box, the signature of frames too
#: far apart to unwrap, and the share of such steps beyond which unwrapping is refused. Steps
#: of a Gaussian spread σ show 0.5 % of them beyond 0.45 box at σ = 0.16 box, where 0.18 %
#: cross half a box and are unwrapped the wrong way (each adds a box length to a
#: displacement); frames so far apart that the steps wrap show up to 10 % (uniform steps).
#: Steps that never exceed 0.45 box, however many come close, are unwrapped exactly and pass.
FAR_STEP = 0.45
#: Share of the judged minimum-image steps beyond :data:`FAR_STEP` above which unwrapping is
#: refused (0.5 %, see :data:`FAR_STEP`).
MAX_FAR_STEPS = 0.005


def count_far_steps(positions, boxes):
    """(steps beyond :data:`FAR_STEP` of a box vector after the minimum image, steps judged)
    between consecutive frames of ``positions`` (T, n, 3) in ``boxes`` (T, 6)."""
    steps = _fractional_steps(positions, boxes)
    steps -= np.rint(steps)
    return int(np.count_nonzero(np.abs(steps) > FAR_STEP)), int(steps.size)


def unwrap_trajectory(positions, boxes, start=None):
    """Unwrap positions as MDAnalysis' :class:`~MDAnalysis.transformations.nojump.NoJump` does
    (Kulke & Vermaas, J. Chem. Theory Comput. 18, 6161 (2022), eq. B6): in fractional
    coordinates of each frame's own box.

    A particle's fractional coordinates change between consecutive frames by the step minus
    whole box vectors; the whole vectors are removed and the fractional track is turned back
    into Å with the box of each frame. A barostat that scales coordinates with the box keeps the
    fractional track continuous, so wrapped input and the engine's unwrapped input give the same
    track; summing minimum-image steps in Å instead adds each image's share of every box change
    (+5 % in D of 16 ions wandering across a 20 Å box that fluctuates by 2 % per frame). Exact
    when no particle moves more than half a box vector between
    consecutive frames; works on wrapped and on already unwrapped input alike.

    Parameters
    ----------
    positions : array_like, shape (T, n, 3)
        Positions in Å (wrapped or not), finite.
    boxes : array_like, shape (T, 6) or (6,)
        MDAnalysis box of every frame (lengths in Å, angles in degrees), or one box for all;
        every frame needs a box with a volume.
    start : array_like, shape (n, 3), optional
        Unwrapped positions (Å) of frame 0, where ``positions[0]`` continues a track unwrapped
        before (a trajectory read in chunks); default ``positions[0]``.

    Returns
    -------
    numpy.ndarray, shape (T, n, 3)
        New array starting at ``start`` (empty for ``T = 0``).

    Raises
    ------
    ValueError
        Shapes other than these, a frame without a box (zero lengths, a flat cell, non-finite
        entries), or non-finite positions or ``start``: unwrapped through them, a zero box
        divided by zero and NaN spread through every later frame, a singular cell raised
        LinAlgError, boxes of other frames than the positions were paired silently.
    """
    positions = np.asarray(positions, dtype=np.float64)
    boxes = np.asarray(boxes, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[2] != 3:
        raise ValueError(f"positions must have shape (T, n, 3) in Å, not {positions.shape}")
    if boxes.shape == (6,):
        boxes = np.broadcast_to(boxes, (positions.shape[0], 6))
    if boxes.shape != (positions.shape[0], 6):
        raise ValueError(f"boxes must have shape (T, 6) (MDAnalysis boxes) or (6,) for "
                         f"positions of {positions.shape[0]} frames, not {boxes.shape}")
    if positions.shape[0] == 0:
        return positions.copy()
    no_box = np.flatnonzero(~np.isfinite(_box_volumes(boxes)))
    if no_box.size:
        raise ValueError(f"frame {int(no_box[0])} has no box (or a flat or non-finite one: "
                         f"{boxes[no_box[0]].tolist()}), so positions cannot be unwrapped "
                         "through it")
    # one pass without a T x n x 3 temporary: a NaN or an inf anywhere makes the sum so
    if not np.isfinite(positions.sum()):
        raise ValueError("positions contain NaN or infinite values; they cannot be unwrapped")
    if start is not None:
        start = np.asarray(start, dtype=np.float64)
        if start.shape != positions.shape[1:] or not np.all(np.isfinite(start)):
            raise ValueError(f"start must be finite unwrapped positions of shape "
                             f"{positions.shape[1:]} in Å, not shape {start.shape}")
    out = np.empty_like(positions)
    out[0] = positions[0] if start is None else start
    if _constant_orthorhombic(boxes):
        # one box: the fractional and the Cartesian forms are the same, vectorised in place
        # (no T x n x 3 temporaries beyond one, well below the cost of reading the frames)
        disp = np.subtract(positions[1:], positions[:-1], out=out[1:])
        length = boxes[0, :3]
        shift = disp / length
        np.rint(shift, out=shift)
        shift *= length
        disp -= shift
        del shift
        np.cumsum(disp, axis=0, out=disp)
        disp += out[0]
        return out
    h = _box_matrices(boxes)
    frac = np.einsum("tnj,tjk->tnk", positions, np.linalg.inv(h))
    steps = np.diff(frac, axis=0)
    steps -= np.rint(steps)
    frac[0] = out[0] @ np.linalg.inv(h[0])
    np.cumsum(steps, axis=0, out=steps)
    frac[1:] = frac[0] + steps
    del steps
    np.einsum("tnj,tjk->tnk", frac[1:], h[1:], out=out[1:])
    return out


class CarrierAnalysis:
    """Base of the transport analyses of Universes: collect once, then estimate.

    A multi-Universe orchestrator, **not** an :class:`MDAnalysis.analysis.base.AnalysisBase`:
    the public classes (:class:`~mda_electrolyte.GreenKuboConductivity`,
    :class:`~mda_electrolyte.EinsteinHelfandConductivity`, :class:`~mda_electrolyte.Diffusion`,
    :class:`~mda_electrolyte.OnsagerCoefficients`) take one Universe or a list of independent
    runs of one system. Construction resolves the species and checks the input, with one
    :class:`~mda_electrolyte.ion_collection.IonCollector` (an ``AnalysisBase``) per Universe;
    :meth:`run` checks the selection against the estimator's windows and blocks, runs the
    collectors one Universe after another (each with the ``backend``, ``n_workers`` and
    ``n_parts`` given: ``"serial"``, ``"multiprocessing"`` or ``"dask"``, see
    :meth:`get_supported_backends`; every backend gives the serial result to rounding) and
    hands their :class:`~mda_electrolyte.ion_collection.IonCollection` objects to the
    estimator, which a subclass implements as ``_estimate(collections)``. What an
    ``AnalysisBase`` has per trajectory (``frames``, ``times``, ``n_frames``) is not an
    attribute here: the estimate is over all Universes, and ``results`` holds it.
    ``cls.from_collections(collections, **parameters)`` runs the same estimator on collections
    made elsewhere (one read of a trajectory shared by several estimators, or stored arrays).

    Subclasses set ``_needs`` (``"velocities"`` and/or ``"positions"``), ``_needs_charges`` and
    ``_needs_volume``, and implement ``_configure(n_collections, **parameters)`` and
    ``_estimate(collections)``.
    """

    _needs: tuple = ()
    _needs_charges = True
    # whether the estimate uses the charges at all (a diffusion coefficient does not: a selection
    # cutting molecules then leaves them unknown instead of being refused)
    _uses_charges = True
    # whether the estimate is a conductivity, which a net-charged set of carriers has not
    _needs_neutral = False
    _needs_volume = True
    # whether the estimator splits the kept per-ion frames (max_ion_frames) into its blocks
    _blocks_kept_frames = False
    # fewest n_blocks for one run: its segments' scatter is the error (checked_blocks); an
    # estimator with an error from one segment (Diffusion's over ions) takes 1
    _fewest_blocks_one_run = 2

    def _fewest_blocks(self, n_runs):
        """Fewest ``n_blocks`` this estimator accepts for ``n_runs`` runs, for the remedies:
        1 where several runs give the segments (:func:`checked_blocks`)."""
        return 1 if n_runs > 1 else self._fewest_blocks_one_run

    def __init__(
        self,
        universes,
        ions,
        *,
        charges=None,
        ion_center=None,
        compound="residues",
        volume=None,
        unwrap=False,
        verbose=False,
    ):
        from .ion_collection import IonCollector

        self._universes = _as_universes(universes)
        check_flag("unwrap", unwrap)
        n_u = len(self._universes)
        for k, u in enumerate(self._universes):
            ts = u.trajectory.ts
            if "velocities" in self._needs and not ts.has_velocities:
                raise ValueError(
                    f"Universe {k} has no velocities: {type(self).__name__} needs them (write them "
                    "to the trajectory, e.g. TRR, H5MD, ASE .traj or a LAMMPS dump with vx vy vz)"
                )
            has_box = ts.dimensions is not None and bool(np.isfinite(
                _box_volumes(np.asarray(ts.dimensions, dtype=np.float64)[None]))[0])
            if self._needs_volume and volume is None and not has_box:
                raise ValueError(f"Universe {k} has no box (or a flat or non-finite one): "
                                 "give the volume in Å³ with volume=...")
        self._collectors = [
            IonCollector(
                u,
                ions,
                charges=charges,
                ion_center=ion_center,
                compound=compound,
                require_charges=self._needs_charges,
                charges_used=self._uses_charges,
                velocities="velocities" in self._needs,
                positions="positions" in self._needs,
                unwrap=unwrap and "positions" in self._needs,
                observables=False,
                n_universes=n_u,
                label=f"Universe {k}",
                verbose=verbose,
            )
            for k, u in enumerate(self._universes)
        ]
        first = self._collectors[0].species
        if self._needs_neutral:
            # known from the topology: refused before any frame is read
            check_neutral([s.name for s in first], [s.charges for s in first],
                          type(self).__name__)
        for k, col in enumerate(self._collectors[1:], start=1):
            for a, b in zip(first, col.species, strict=True):
                same_charges = (a.charges is None) == (b.charges is None) and (
                    a.charges is None or np.array_equal(a.charges, b.charges)
                )
                if a.n_ions != b.n_ions or not same_charges:
                    raise ValueError(
                        f"species {a.name!r} differs between Universe 0 and Universe {k} "
                        f"({a.n_ions} vs {b.n_ions} ions or different charges); the trajectories "
                        "must be of the same system"
                    )

    @classmethod
    def get_supported_backends(cls):
        """The MDAnalysis backends :meth:`run` takes, those of its
        :class:`~mda_electrolyte.ion_collection.IonCollector` (as
        :meth:`MDAnalysis.analysis.base.AnalysisBase.get_supported_backends`).

        Returns
        -------
        tuple of str
        """
        from .ion_collection import IonCollector

        return IonCollector.get_supported_backends()

    @property
    def species(self):
        """The resolved :class:`IonSpecies` of the first Universe."""
        return list(self._collectors[0].species)

    @property
    def collections(self):
        """The :class:`~mda_electrolyte.ion_collection.IonCollection` of each Universe (after
        :meth:`run`)."""
        return [c.collection for c in self._collectors]

    def run(
        self,
        start=None,
        stop=None,
        step=None,
        frames=None,
        verbose=None,
        n_workers=None,
        n_parts=None,
        backend=None,
        *,
        unsupported_backend=False,
        progressbar_kwargs=None,
    ):
        """Read every Universe once (its :class:`IonCollector`), then estimate.

        Parameters are those of :meth:`MDAnalysis.analysis.base.AnalysisBase.run`; ``start``,
        ``stop``, ``step`` and ``frames`` apply to every Universe, and ``backend``,
        ``n_workers`` and ``n_parts`` to the pass over each (the Universes are read one after
        another). A selection too short for the blocks or windows, uneven frame times or a
        box that changes too much are refused before any Universe is read.

        Returns
        -------
        self
        """
        from MDAnalysis.analysis.results import Results

        # a run refused below leaves no results: before, those of the previous run stayed and
        # read as the refused selection's (d.run(); d.run(frames=gap) refused; d.results.D old)
        self.results = Results()
        # a selection too short for the blocks fails now, not after the whole pass
        n_blocks = getattr(self, "_n_blocks", None)
        for col in self._collectors if n_blocks else ():
            n_frames, n_kept = col.selected_rows(start, stop, step, frames)
            for n, what in ((n_frames, "frames"),
                            (n_kept if self._blocks_kept_frames else None, "kept frames")):
                # no frame at all is the collector's own error ("no frames analysed")
                if n and n // n_blocks < 2:
                    raise ValueError(
                        f"{type(self).__name__}: {col._label}: the selection holds {n} {what}, "
                        f"which cannot be split into {n_blocks} blocks of at least 2 "
                        f"({_selection_text(start, stop, step, frames)}); "
                        + _blocks_remedy(n, n_blocks, what,
                                         self._fewest_blocks(len(self._collectors)))
                    )
        spacings = [c.selected_spacing(start, stop, step, frames)[0] for c in self._collectors]
        for k, dt in enumerate(spacings[1:], start=1):
            # the estimators' same_system, before the pass
            if dt is not None and spacings[0] is not None and not np.isclose(
                    dt, spacings[0], rtol=1e-3):
                raise ValueError(
                    f"{self._collectors[k]._label} has a time step of {dt} ps between the "
                    f"selected frames, {self._collectors[0]._label} has {spacings[0]} ps; they "
                    "must be the same"
                )
        for col in self._collectors if n_blocks else ():
            n_frames, n_kept = col.selected_rows(start, stop, step, frames)
            dt, dt_kept = col.selected_spacing(start, stop, step, frames)
            kept = self._blocks_kept_frames and n_kept is not None
            n, spacing = (n_kept, dt_kept) if kept else (n_frames, dt)
            if n:
                # max_lag and fit windows a segment cannot hold fail now, not after the pass
                self._check_segment(n // n_blocks, spacing, f"{type(self).__name__}: "
                                    f"{col._label}: the selection "
                                    f"({_selection_text(start, stop, step, frames)}) gives "
                                    f"segments of {n // n_blocks} "
                                    f"{'kept frames' if kept else 'frames'}", n_total=n)
        # every Universe's selection and joined files before the first pass
        for col in self._collectors:
            col._check_selection(start, stop, step, frames)
        # an NPT run still compressing, uneven frame times and frames too far apart to unwrap
        # were refused only after the whole pass
        for col in self._collectors:
            col.check_before_pass(start, stop, step, frames, volume=self._volume_required())
        for col in self._collectors:
            col.run(
                start=start, stop=stop, step=step, frames=frames, verbose=verbose,
                n_workers=n_workers, n_parts=n_parts, backend=backend,
                unsupported_backend=unsupported_backend, progressbar_kwargs=progressbar_kwargs,
            )
        from .correlation import TrajectoryFrames

        # the frames each Universe was read at: another analysis of the same frames has its
        # segments (NernstEinstein pairs σ's with the D's by them)
        self._read_frames = [(c.collection, TrajectoryFrames(u.trajectory, c.frames, c.times))
                             for c, u in zip(self._collectors, self._universes, strict=True)]
        # the run_md files' own temperature over the analysed span: what a temperature given
        # is judged by (run_temperature)
        self._recorded_temperatures = [
            (c.collection, _recorded_temperature_of_frames(u, c.frames, c.times))
            for c, u in zip(self._collectors, self._universes, strict=True)]
        self._estimate(self.collections)
        return self

    def _temperature_notes(self, collections, temperature):
        """:func:`temperature_notes` of ``collections``, each judged by its file's recorded
        ``temperature`` observable where this analysis read it from an H5MD file of run_md."""
        known = getattr(self, "_recorded_temperatures", None) or []
        recorded = [next((t for c, t in known if c is col), None) for col in collections]
        return temperature_notes(collections, temperature, recorded)

    def _segment_runs_of(self, collections):
        """The runs the blocks of ``collections`` are of, for
        :class:`~mda_electrolyte.correlation.SegmentValues`: the frames of the trajectories
        this analysis read them from (:meth:`run`), else the collections themselves."""
        read = getattr(self, "_read_frames", None) or []
        if len(read) == len(collections) and all(
                c is r for c, (r, _) in zip(collections, read, strict=True)):
            return [frames for _, frames in read]
        return list(collections)

    def _volume_required(self):
        """Whether the estimate divides by the trajectories' mean box volume (none given), so
        that a volume varying by more than 5 % is refused before the pass."""
        return self._needs_volume and getattr(self, "_volume", None) is None

    def _check_segment(self, n_rows, dt, where, n_total=None):
        """Refuse, before the pass, an estimate a segment of ``n_rows`` rows ``dt`` ps apart
        (``None``: not known yet) cannot hold; ``where`` starts the message and ``n_total``
        (the run's selected rows, where known) lets it say what length would do. Subclasses
        with lags or fit windows override it."""

    def _configure_fit_window(self, fit_window, fit_window_ps=None, default=(0.1, 0.3)):
        """Check and keep the MSD fit window of an Einstein-type estimator (fractions of the
        lags, ``default`` where neither is given, or ps with ``fit_window_ps``; both given are
        refused, :func:`~mda_electrolyte.correlation.check_fit_window`)."""
        self._fit_window, self._fit_window_ps = check_fit_window(fit_window, fit_window_ps,
                                                                 default)

    def _check_fit_segment(self, n_rows, dt, where, n_total=None):
        """:meth:`_check_segment` of an estimator fitting an MSD over its fit window."""
        check_segment_lags(n_rows, dt, where=where, fit_window=self._fit_window,
                           fit_window_ps=self._fit_window_ps, n_blocks=self._n_blocks,
                           n_total=n_total, fewest_blocks=self._fewest_blocks_given)

    def _configure_common(self, n_blocks, volume, species, n_runs=1):
        """Keep the parameters every estimator shares: ``n_blocks`` (already checked),
        ``volume`` (Å³ or None) and the ``species`` names to estimate (None: all), and start
        with empty results; ``n_runs`` sets the fewest ``n_blocks`` the remedies advise."""
        from MDAnalysis.analysis.results import Results

        self._n_blocks = n_blocks
        self._fewest_blocks_given = self._fewest_blocks(n_runs)
        self._volume = check_volume(volume)
        self._species_names = species_list(species, type(self).__name__)
        self.results = Results()

    @classmethod
    def from_collections(cls, collections, **parameters):
        """The analysis estimated from collections already read (no trajectory pass).

        Parameters
        ----------
        collections : IonCollection or list of IonCollection
            One per independent trajectory of the same system (see
            :mod:`mda_electrolyte.ion_collection`).
        **parameters
            The analysis' own parameters (temperature, windows, ``n_blocks``, ``volume``, ...),
            as for its constructor.

        Returns
        -------
        The analysis, with ``results`` filled.
        """
        from .ion_collection import IonCollection

        if isinstance(collections, IonCollection):
            collections = [collections]
        collections = list(collections)
        if not collections or not all(isinstance(c, IonCollection) for c in collections):
            raise TypeError("from_collections needs an IonCollection or a list of them")
        obj = cls.__new__(cls)
        obj._universes = []
        obj._collectors = []
        obj._configure(len(collections), **parameters)
        obj._estimate(collections)
        return obj


def net_charge(names, charges):
    """``(net, per_species)`` of charge carriers whose charges do not add up to zero (the net
    charge in e and a text "Li +4 e, AN -3 e"), or ``None`` when they do to within half the
    smallest ion charge (partial charges that round to a neutral set); the rule of
    :func:`check_neutral`."""
    qs = [np.asarray(q, dtype=np.float64).ravel() for q in charges if q is not None]
    allq = np.concatenate(qs) if qs else np.zeros(0)
    nonzero = np.abs(allq[allq != 0])
    if not nonzero.size:
        return None
    net = float(allq.sum())
    if abs(net) <= 0.5 * float(nonzero.min()):
        return None
    return net, ", ".join(f"{n} {float(np.sum(q)):+.4g} e"
                          for n, q in zip(names, charges, strict=True) if q is not None)


def check_neutral(names, charges, who):
    r"""Refuse charge carriers whose charges do not add up to zero.

    The current :math:`\sum_i q_i \mathbf v_i` of a set with net charge :math:`Q` gains
    :math:`Q\,\mathbf V` from a drift :math:`\mathbf V` of the whole system (and its dipole
    :math:`Q\,\Delta\mathbf R_{com}`), so its conductivity depends on the frame of reference:
    a charged species was left out of ``ions`` or a charge is wrong.

    Parameters
    ----------
    names : list of str
        Species names.
    charges : list of numpy.ndarray or None
        Charge of every ion of each species in e (``None``: a neutral species).
    who : str
        Name of the analysis in the message.

    Raises
    ------
    ValueError
        When the net charge exceeds half the smallest ion charge (partial charges that round
        to a neutral set pass; a left-out ion does not).
    """
    net = net_charge(names, charges)
    if net is not None:
        net, per = net
        raise ValueError(
            f"{who}: the charge carriers carry a net charge of {net:+.4g} e ({per}); the "
            "current of a charged set changes with the frame of reference (a drift of the "
            "whole system adds to it), so it has no conductivity. List every charged species "
            "of the system in ions, or give charges= that add up to zero"
        )


def few_ions_notes(counts, neutral=(), n_runs=None):
    r"""The verdict note of a transport number behind fewer than
    :data:`~mda_electrolyte.frame_estimates.MIN_IONS` ions of a species (empty when every
    species has enough; the threshold is read at the call).

    A transport coefficient is a property of the electrolyte: an average over its ions (D of a
    species, the self terms) or a correlation of their summed motion (σ, :math:`L_{ij}`). The
    error over blocks of one run measures how well these ions' trajectories were sampled, never
    how much ions differ from each other for longer than the run (a Li⁺ paired for the whole run
    beside a free one). Measured over 400 replicas of Ornstein–Uhlenbeck ions (1000 frames, 10
    blocks): ions alike, the 95 % interval of D(Li⁺) covers the species' D in 92 % of replicas
    with one ion (z-score SD 1.16) and 94-96 % with 2-16; ions whose mobilities differ by a
    lognormal factor of SD 0.5 for the whole run, in 58 % with one ion (z-score SD 3.5), 63 %
    with 2, 61 % with 4, 67 % with 8 and 16 (z-score SD 2.4-2.8). So the count does not make the
    block error honest for such ions at any number; what it bounds is how much one ion can make
    the number: with one ion it is that ion's (the z-score SD 3.5), with two half of it. Below
    the shell statistics' threshold (:data:`~mda_electrolyte.frame_estimates.MIN_IONS`, one
    "too few ions" threshold for the analyses and the demo) a transport number is a sample of
    ions, not the electrolyte, and is not valid.

    Parameters
    ----------
    counts : dict
        Species name -> number of ions (molecules) behind the number.
    neutral : collection of str
        Species of ``counts`` that are neutral molecules (a solvent): said "too few molecules".
    n_runs : int, optional
        Independent trajectories of the system behind the number (``None``: one): their ions
        are independent samples of the species (the error over runs holds how ions differ), so
        the count is ``counts × n_runs``.

    Returns
    -------
    list of str
        ``["too few ions: 1 Li, 1 PF6 (...)"]``, a ``"too few molecules: ..."`` note for
        neutral species, or ``[]``.
    """
    notes = []
    # read at the call, as the shell statistics do: a threshold set on the module holds here too
    min_ions = frame_estimates.MIN_IONS
    n_runs = 1 if n_runs is None else check_number("n_runs", n_runs, integer=True, minimum=1)
    runs = f" over {n_runs} runs" if n_runs > 1 else ""
    for noun, charged in (("ions", True), ("molecules", False)):
        few = {name: int(n) * n_runs for name, n in counts.items()
               if int(n) * n_runs < min_ions and (name not in neutral) == charged}
        if few:
            shown = ", ".join(f"{n} {name}" for name, n in few.items()) + runs
            notes.append(
                f"too few {noun}: {shown} (a transport coefficient averages over the {noun} "
                f"of the electrolyte; with fewer than {min_ions} of a species its error "
                f"describes these {noun}' trajectories, not the electrolyte)")
    return notes


def same_system(collections, names, who="the analysis"):
    """Raise unless every collection holds ``names`` with the same ion counts and charges, and
    no two hold the same series (:func:`check_distinct_series`, naming ``who``)."""
    check_distinct_series(collections, who)
    first = collections[0]
    labels = [c.label for c in collections]
    # IonCollector's default label is "Universe" for every collection: "Universe has 0.1 ps,
    # Universe has 0.05 ps" named neither
    shown = labels if len(set(labels)) == len(labels) else [
        f"collection {k} ({label})" if label else f"collection {k}"
        for k, label in enumerate(labels)]
    for name in names:
        if name not in first.species:
            raise ValueError(f"species {name!r} is not collected (collected: {first.species})")
    for k, col in enumerate(collections[1:], start=1):
        for name in names:
            if name not in col.species:
                raise ValueError(f"species {name!r} is not in {shown[k] or f'collection {k}'}")
            a, b = first.species.index(name), col.species.index(name)
            qa, qb = first.charges[a], col.charges[b]
            same_q = (qa is None) == (qb is None) and (qa is None or np.array_equal(qa, qb))
            if first.n_ions[a] != col.n_ions[b] or not same_q:
                raise ValueError(
                    f"species {name!r} differs between {shown[0]} and {shown[k]} "
                    f"({first.n_ions[a]} vs {col.n_ions[b]} ions or different charges); the "
                    "trajectories must be of the same system"
                )
    dts = [c.dt for c in collections]
    for k, dt in enumerate(dts[1:], start=1):
        if not np.isclose(dt, dts[0], rtol=1e-3):
            raise ValueError(
                f"{shown[k]} has a time step of {dt} ps between analysed frames, "
                f"{shown[0]} has {dts[0]} ps; they must be the same (read the finer run "
                "with run(step=...) to the coarser spacing, or analyse the runs apart)"
            )
    return dts[0]


#: Blocks a single trajectory is split into for the error estimate: 10 blocks (9 degrees of
#: freedom, t factor 1.06) give z-scores with a standard deviation near 1, 5 blocks did not.
DEFAULT_BLOCKS = 10


def _observed_at_steps(series, reference):
    """The values of an observable ``series`` at the steps of ``reference`` (both
    :func:`~mda_electrolyte.observables.read_observable` records), as float64, or ``None``
    where ``series`` is missing or lacks one of those steps. A collection's temperature series
    is that of its own samples (refused otherwise): a temperature recorded at other steps than
    the current or tensor is matched to them, not taken whole."""
    if series is None:
        return None
    steps = np.asarray(series["step"])
    want = np.asarray(reference["step"])
    at = np.searchsorted(steps, want)
    if steps.size == 0 or np.any(at >= steps.size) or not np.array_equal(
            steps[np.minimum(at, steps.size - 1)], want):
        return None
    return np.asarray(series["value"], dtype=np.float64)[at].ravel()


def _blocks_remedy(n, n_blocks, what="frames", fewest=2):
    """What a user can change when ``n`` rows cannot be split into ``n_blocks`` blocks of at
    least 2: the ``n_blocks`` the rows allow, or that more rows are needed. "give fewer
    n_blocks" alone was offered for 3 frames, which no ``n_blocks`` splits into the 2 blocks one
    trajectory's error needs, and to users who gave none (:data:`DEFAULT_BLOCKS` by default).

    ``fewest`` is the fewest ``n_blocks`` the estimator accepts
    (``CarrierAnalysis._fewest_blocks``): 2 for one run, whose segments' scatter is the
    error; 1 for several runs (one segment each) and for Diffusion. With 1 allowed, 3 frames
    of each of two runs were told "2 blocks need at least 4 frames", and 6 frames
    "n_blocks = 2 to 3", though ``n_blocks = 1`` takes them."""
    allowed = n // 2
    if allowed >= fewest:
        # not "or fewer": one trajectory's error needs 2 segments at least
        choice = f"{fewest}" if allowed == fewest else f"{fewest} to {allowed}"
        return f"analyse more {what}, or give n_blocks = {choice}"
    if fewest > 1 and n_blocks > 1:
        return f"analyse more {what} (2 blocks need at least 4 {what})"
    return f"analyse more {what} (a block needs at least 2 {what})"


def n_universes_of(universes):
    """How many runs an analysis' ``universes`` argument holds: a list or tuple of them, or
    one. An empty list is refused (it was "the error estimate needs at least 2 segments")."""
    if isinstance(universes, (list, tuple)) and not universes:
        raise ValueError("the list of Universes is empty")
    return len(universes) if isinstance(universes, (list, tuple)) else 1


def _selected(group, selection, label):
    """``group.select_atoms(selection)``, or ValueError naming ``label`` and the selection (a
    typo raised MDAnalysis' SelectionError "Unknown selection token: 'None'", naming neither)."""
    from MDAnalysis.exceptions import NoDataError, SelectionError

    try:
        return group.select_atoms(selection)
    except (SelectionError, NoDataError) as exc:
        # NoDataError: a keyword the topology has no attribute for ("resid" of a Universe
        # without residue ids): "This Universe does not contain resid information"
        raise ValueError(f"{label} = {selection!r} is not a valid MDAnalysis selection "
                         f"({exc})") from None


def default_blocks(n_collections, n_blocks):
    """Blocks per trajectory: 10 for one (9 degrees of freedom give calibrated errors), else 1."""
    if n_blocks is None:
        return DEFAULT_BLOCKS if n_collections == 1 else 1
    return check_number("n_blocks", n_blocks, integer=True, minimum=1)


def checked_blocks(n_collections, n_blocks):
    """:func:`default_blocks`, refusing fewer than 2 segments in all: the estimators whose
    error is the scatter of segments (conductivities, Onsager coefficients) have none from
    one."""
    n_blocks = default_blocks(n_collections, n_blocks)
    if n_collections * n_blocks < 2:
        raise ValueError(
            "the error estimate needs at least 2 segments: pass several independent trajectories "
            "or split one with n_blocks >= 2"
        )
    return n_blocks


#: Ceilings of the physical parameters of the transport analyses. Beyond them a value is a
#: mistake (a unit slip, a placeholder such as 1e308), and the products of the estimates
#: (V k_B T, q², D V) overflow to inf or NaN only after the whole pass. The temperature is
#: run_md's ceiling (``ase_electrolyte.atoms_checks.MAX_TEMPERATURE_K``); a volume is at most a
#: cube of ``MAX_COORDINATE`` on a side (1e24 Å³); no ion
#: of an electrolyte carries 1000 elementary charges.
MAX_VOLUME = float(MAX_COORDINATE) ** 3
#: Floors of the same: 1e-300 K made the viscosity's V/(k_B T) infinite ("1010 of the estimates
#: to average are NaN", after the pass) and Nernst–Einstein raise a bare OverflowError; no run is
#: colder than a millikelvin (run_md's thermostat tests use 0.001 K), and no volume that holds
#: an ion is smaller than 1 Å³.
MIN_TEMPERATURE_K = 1e-3
#: Smallest volume (Å³) a transport analysis takes, given or of a box (see
#: :data:`MIN_TEMPERATURE_K`).
MIN_VOLUME = 1.0
MAX_ION_CHARGE = 1000.0
#: Smallest size of a non-zero ion charge given (e): scaled-charge models give ions 0.5-0.9 e;
#: a charge given in coulombs (1.602e-19 for +1 e) lands far below, and made a Green–Kubo σ of
#: 3e-37 S/m, valid.
MIN_ION_CHARGE = 1e-3


def check_ion_charge(label, charge):
    """A given ion charge in e: finite, at most ``MAX_ION_CHARGE`` in size, and either 0 or
    at least ``MIN_ION_CHARGE`` in size (a charge in coulombs is refused naming its value in e).

    Parameters
    ----------
    label : str
        What the charge is, for the message.
    charge : float
        e per ion.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Not a finite number in range, or a non-zero charge below ``MIN_ION_CHARGE`` e.
    """
    q = check_number(label, charge, minimum=-MAX_ION_CHARGE, maximum=MAX_ION_CHARGE)
    if q != 0 and abs(q) < MIN_ION_CHARGE:
        raise ValueError(
            f"{label} = {q:g} is below any ion's charge (at least {MIN_ION_CHARGE:g} e in size, "
            f"or 0): give it in elementary charges (a charge in coulombs is "
            f"{constants.e:.4g} times smaller: {q:g} C = {q / constants.e:.4g} e)")
    return q


#: No simulation holds 10¹² ions (N q² D overflows for a count like 1e308).
MAX_IONS = 10**12


def species_list(species, who):
    """The ``species=`` of an estimator as a list of names (``None``: all collected ones).

    One name given as a string is that species ("Li" was read as its letters, "species 'L' is
    not collected"); an empty list (Green–Kubo: "'int' object is not subscriptable",
    Einstein–Helfand: "nothing moves", Onsager and Diffusion: every species, without a word)
    and a name given twice (its charge counted twice in the net charge) are refused.
    """
    if species is None:
        return None
    if isinstance(species, (str, bytes)):
        species = [species]
    try:
        names = [s.decode() if isinstance(s, bytes) else str(s) for s in species]
    except TypeError:
        raise TypeError(f"{who}: species must be species names (a list of str) or None for "
                        f"all, not {type(species).__name__} {species!r}") from None
    if not names:
        raise ValueError(f"{who}: species is empty; give the names of the species to analyse, "
                         "or species=None for all collected ones")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{who}: species names {twice} more than once ({names}); give each "
                         "species once")
    return names


def _physical(name, value, maximum, allow_none, minimum):
    # two steps, so that NaN, inf and non-positive values keep check_number's message
    value = check_number(name, value, above=0, allow_none=allow_none)
    if value is not None and not minimum <= value <= maximum:
        raise ValueError(f"{name} must be a finite number >= {minimum:g} and <= {maximum:g}, "
                         f"got {value!r}")
    return value


def check_volume(volume, allow_none=True):
    """``None`` or a volume in Å³ from :data:`MIN_VOLUME` to :data:`MAX_VOLUME`."""
    return _physical("volume (Å³)", volume, MAX_VOLUME, allow_none, MIN_VOLUME)


def check_temperature(temperature, allow_none=False):
    """A temperature in K from :data:`MIN_TEMPERATURE_K` to ``MAX_TEMPERATURE_K`` (``None`` if
    allowed).

    One outside :data:`~ase_electrolyte.units.MIN_PLAUSIBLE_TEMPERATURE_K` to
    :data:`~ase_electrolyte.units.MAX_PLAUSIBLE_TEMPERATURE_K` (50–6000 K) is
    taken, with a warning naming the likely unit
    (:func:`ase_electrolyte.units.warn_implausible`): 25 given in °C made a Green–Kubo
    conductivity 12 times too large, marked valid, where the velocities record no kinetic
    temperature to contradict it (:func:`temperature_notes`).
    """
    value = _physical("temperature (K)", temperature, MAX_TEMPERATURE_K, allow_none,
                      MIN_TEMPERATURE_K)
    if value is not None:
        warn_implausible(temperature_K=value, stacklevel=4)
    return value


#: A kinetic temperature this many times above or below the temperature an analysis is given
#: marks its numbers: a velocity unit mistaken for Å/ps is off by 10 or more in speed (nm/ps,
#: Å/fs, m/s, ASE's own unit), 100 or more in temperature; no thermostatted run is that far from
#: its target, and a temperature typed in another unit (°C, or 3000 for 300) is caught too.
MAX_TEMPERATURE_RATIO = 10.0


def _selection_text(start, stop, step, frames):
    """The frame selection as a message shows it: ``frames`` by count when given."""
    if frames is not None:
        frames = np.asarray(frames)
        picked = np.count_nonzero(frames) if frames.dtype == bool else frames.size
        return f"frames= picking {picked} frames"
    return f"start={start}, stop={stop}, step={step}"


#: Relative margin between a temperature given to a transport analysis and the run's measured
#: mean temperature (:func:`run_temperature`) beyond which (and beyond
#: :data:`TEMPERATURE_MISMATCH_SIGMAS` standard errors of that mean) the numbers divided by
#: k_B T are not valid: 100 K given for a run at 600 K made a Green–Kubo σ six times too
#: large, marked valid, where only a ratio beyond :data:`MAX_TEMPERATURE_RATIO` was caught. A
#: thermostatted run's mean is within 1–2 % of its target; 5 % of σ is well inside a
#: transport coefficient's usual error bar.
TEMPERATURE_MISMATCH = 0.05
#: Standard errors of the run's mean temperature a given temperature may differ by.
TEMPERATURE_MISMATCH_SIGMAS = 3.0
#: Fewest degrees of freedom of a velocities' kinetic temperature that is taken as the run's
#: temperature (about 35 atoms): a few ions of a synthetic trajectory, or a handful of atoms
#: whose velocities were drawn without a temperature, have a "kinetic temperature" that
#: measures nothing.
MIN_THERMAL_DOF = 100


def run_temperature(collection, recorded=None):
    """The run's measured mean temperature, as a transport analysis judges a temperature given
    to it by (:func:`temperature_notes`), or ``None`` where the run records none it trusts.

    In this order:

    1. ``recorded``: the ``temperature`` observable of the H5MD file of
       :func:`ase_electrolyte.md.run_md` the trajectory is (every step's temperature of the
       whole system, counted as the thermostat counts it);
    2. a collection whose ``temperature_series`` was recorded without a count of the
       velocities' degrees of freedom: the ``temperature`` observable of the file a pressure
       tensor (viscosity) or a charge current (Green–Kubo of H5MD paths) came from, or a
       series the caller gave; without a series, the mean temperature stated with a pressure
       tensor (:meth:`~mda_electrolyte.ion_collection.IonCollection.from_pressure_tensor`
       ``temperature=``), taken as exact;
    3. the kinetic temperature of the velocities the collection read, only where it covers
       every atom of its Universe, its count of degrees of freedom is not doubted
       (:func:`~mda_electrolyte.conductivity.rigid_bonds`) and has at least
       :data:`MIN_THERMAL_DOF` of them, or is the count an H5MD file of run_md states (then
       the file's recorded temperature of the same frames). The velocities of a few ions
       alone (the solvent left out), or of a small synthetic system whose velocities were not
       drawn at a temperature, are not the run's temperature: only the
       :data:`MAX_TEMPERATURE_RATIO` check judges them.

    Parameters
    ----------
    collection : IonCollection
    recorded : array_like, optional
        Temperatures (K) of the run's ``temperature`` observable over the analysed span.

    Returns
    -------
    (Estimate, str) or None
        The mean temperature (K) with its standard error (statistical inefficiency of the
        series), and a text naming where it comes from.
    """
    from ase_electrolyte.md import series_estimate

    where = f" of {collection.label}" if getattr(collection, "label", None) else ""
    if recorded is not None:
        series = np.asarray(recorded, dtype=np.float64).ravel()
        if series.size >= 2 and np.all(np.isfinite(series)):
            est = series_estimate(series, "K", where=f"the temperature{where}",
                                  detect=False)[0]
            return est, f"the run's recorded temperature{where}"
    series = getattr(collection, "temperature_series", None)
    if series is None or np.size(series) < 2:
        stated = getattr(collection, "kinetic_temperature", None)
        if (getattr(collection, "source", None) == "pressure_tensor" and stated is not None
                and np.isfinite(stated)):
            from ase_electrolyte.estimate import Estimate

            # the system's mean temperature stated with a bare tensor: a viscosity given
            # twice it was a valid η off by 2
            return (Estimate(float(stated), 0.0, "K", "stated with the pressure tensor",
                             n_samples=1),
                    "the temperature stated with the pressure tensor"
                    + ("" if collection.label in (None, "", "pressure tensor")
                       else f" ({collection.label})"))
        return None
    count = getattr(collection, "temperature_count", None)
    if count is None:
        return collection.temperature_estimate(), f"the recorded temperature{where}"
    if (not getattr(collection, "covers_all_atoms", False) or count.doubt is not None
            or (count.dof < MIN_THERMAL_DOF and not getattr(count, "stated", False))):
        return None
    return (collection.temperature_estimate(),
            f"the kinetic temperature of the velocities{where} ({count.dof} degrees of "
            "freedom)")


def doubted_unit_notes(what, **values):
    """The doubts of :func:`ase_electrolyte.units.implausible_doubts` about ``values`` (its
    keywords: ``temperature_K``, ``pressure_bar``, ``shear_stress_bar``, ...) as verdict notes
    ``"unit doubted: {what}: ..."`` of a number computed from them.

    The one rule of plausible values, caught instead of warned: the input's own check has
    warned already, and the warning alone left the number valid (a temperature of 25 given in
    °C made σ 12 times too large; a pressure tensor in Pa, η 10¹⁰ times).
    """
    return [f"unit doubted: {what}: {doubt}" for doubt in implausible_doubts(**values)]


def given_temperature(temperature, source):
    """A temperature given as a setting, as the analyses and reports show it: a given
    :class:`~ase_electrolyte.estimate.Estimate` (K, not a result), not valid where the value
    is no liquid's (:func:`doubted_unit_notes`: outside 50-6000 K, "unit doubted: the
    temperature given: 25.0 K is far from ...; is it in °C?").

    One rule for every place the given temperature is shown: the summary's ``input`` record
    marked 25 K not valid while the conductivity's and viscosity's own entries of the same
    setting still read "25 K (a setting given, not a result)".

    Parameters
    ----------
    temperature : float
        The temperature given, K.
    source : str
        Where it was given (the method text says ``given (source)``).

    Returns
    -------
    ase_electrolyte.estimate.Estimate

    Examples
    --------
    >>> from mda_electrolyte.carriers import given_temperature
    >>> given_temperature(300.0, "temperature=").valid
    True
    >>> t = given_temperature(25.0, "temperature=")
    >>> t.valid, t.given, t.notes[0].startswith("unit doubted: the temperature given: 25")
    (False, True, True)
    """
    from ase_electrolyte.estimate import Estimate

    setting = Estimate.given_value(temperature, "K", source=source)
    # the value alone, not the keyword: the terminal of electrolyte analyze shows it too
    doubts = [note.replace("temperature_K = ", "") for note in
              doubted_unit_notes("the temperature given", temperature_K=temperature)]
    return setting.with_notes(*doubts, converged=False) if doubts else setting


def temperature_notes(collections, temperature, recorded=None):
    """Verdict notes when the run's temperature contradicts ``temperature``, or when
    ``temperature`` is no liquid's.

    Transport coefficients are divided by :math:`k_B T` of the temperature given, while the
    correlations they integrate scale with the temperature the velocities (or displacements)
    have: the two must agree. A temperature outside 50–6000 K
    (:func:`ase_electrolyte.units.warn_implausible`: °C? k_B T in eV?) makes them not valid
    whatever the runs record ("unit doubted: the temperature ...: ..."; with no collection
    too: Nernst–Einstein of numbers). Two rules more:

    * a kinetic temperature of the velocities (any collection that recorded one) beyond
      :data:`MAX_TEMPERATURE_RATIO` times above or below ``temperature``: velocities in another
      unit than Å/ps or a temperature in another unit than K ("not a result: ...");
    * the run's measured mean temperature (:func:`run_temperature`: its recorded
      ``temperature`` observable, or the kinetic temperature of all its atoms) differing from
      ``temperature`` by more than :data:`TEMPERATURE_MISMATCH` of it and more than
      :data:`TEMPERATURE_MISMATCH_SIGMAS` standard errors of that mean ("not at the run's
      temperature: ...", naming both temperatures).

    Parameters
    ----------
    collections : list of IonCollection
        Their ``kinetic_temperature`` (K) where recorded; collections without one are not
        judged.
    temperature : float
        The temperature the analysis uses, K.
    recorded : list, optional
        Per collection, the ``temperature`` observable (K, array) of the H5MD file it was
        read from over the analysed span, or ``None`` (:func:`recorded_temperature`).

    Returns
    -------
    list of str
        Empty when every run's temperature agrees with ``temperature``.
    """
    # 25 (°C) with positions only, or with velocities of a few ions: σ was 12 times too
    # large and valid, the doubt only a warning
    notes = doubted_unit_notes("the temperature (the coefficient is divided by k_B T)",
                               temperature_K=temperature)
    recorded = [None] * len(collections) if recorded is None else list(recorded)
    if len(recorded) != len(collections):
        raise ValueError(f"recorded holds {len(recorded)} temperature series for "
                         f"{len(collections)} collections: give one (or None) per collection")
    for col, rec in zip(collections, recorded, strict=True):
        where = f" of {col.label}" if col.label else ""
        kinetic = col.kinetic_temperature
        if kinetic is not None and np.isfinite(kinetic):
            ratio = kinetic / temperature
            if not 1 / MAX_TEMPERATURE_RATIO <= ratio <= MAX_TEMPERATURE_RATIO:
                notes.append(
                    f"not a result: the velocities{where} read as Å/ps have a kinetic "
                    f"temperature of {kinetic:.4g} K, {ratio:.3g} times the {temperature:g} K "
                    "given (velocities in another unit, or the temperature)"
                )
                continue
        measured = run_temperature(col, rec)
        if measured is None:
            continue
        est, source = measured
        err = est.stderr if np.isfinite(est.stderr) else 0.0
        gap = abs(temperature - est.value)
        if gap > TEMPERATURE_MISMATCH * est.value and gap > TEMPERATURE_MISMATCH_SIGMAS * err:
            notes.append(
                f"not at the run's temperature: {source} is {est.value:.4g} ± {err:.2g} K, "
                f"the {temperature:g} K given differs by {gap / est.value:.1%} (more than "
                f"{TEMPERATURE_MISMATCH:.0%} and {TEMPERATURE_MISMATCH_SIGMAS:g} standard "
                "errors); the coefficient is divided by k_B T of the temperature given: give "
                f"the run's temperature (temperature={est.value:.4g})"
            )
    return notes


def _recorded_temperature_of_frames(universe, frames, times):
    """:func:`recorded_temperature` over the analysed frames' span on the file's clock, or
    ``None`` where they cannot be matched to it (the collector has warned)."""
    from .bridge import file_time_span

    try:
        span = file_time_span(universe, frames, times)
    except (OSError, ValueError):
        return None
    return None if span is None else recorded_temperature(universe, span)


def recorded_temperature(universe, times=None):
    """The ``temperature`` observable (K) of the H5MD file of
    :func:`ase_electrolyte.md.run_md` a Universe reads, over ``times`` (first, last) in ps
    when given, or ``None`` (another file, no such observable, or one that cannot be read)."""
    from .observables import is_h5md_path, read_observable

    name = getattr(universe.trajectory, "filename", None)
    if not (name and is_h5md_path(name) and os.path.isfile(name)):
        return None
    try:
        obs = read_observable(name, "temperature", window=times)
    except (OSError, ValueError):
        return None
    return None if obs is None else np.asarray(obs["value"], dtype=np.float64).ravel()
