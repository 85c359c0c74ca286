r"""Ionic conductivity: Green–Kubo, Einstein–Helfand and Nernst–Einstein.

Green–Kubo (Chalykh et al. 2025 §4.6):

.. math:: \sigma = \frac{1}{3 V k_B T}
          \int_0^\infty \langle \mathbf J(t)\cdot\mathbf J(0)\rangle\, dt,
          \qquad \mathbf J(t) = \sum_i q_i \mathbf v_i(t)

over the charge carriers only (solvent is left out), molecular ions by the velocity of their centre
of mass or of one chosen atom. The current autocorrelation splits exactly into a *self* part
:math:`\sum_i q_i^2 \langle \mathbf v_i(t)\cdot\mathbf v_i(0)\rangle` (the Nernst–Einstein-like
part) and a *distinct* part (all cross-correlations between different ions: cation–cation,
anion–anion, cation–anion).

Einstein–Helfand: :math:`\sigma = \lim_{t\to\infty} \frac{1}{6 V k_B T t}
\langle |\mathbf M(t) - \mathbf M(0)|^2\rangle` with :math:`\mathbf M = \sum_i q_i \mathbf r_i` on
unwrapped positions.

Nernst–Einstein: :math:`\sigma_{NE} = \frac{e^2}{V k_B T} \sum_s N_s z_s^2 D_s`; the dynamic
degree of dissociation is :math:`\alpha_d = \sigma / \sigma_{NE}` (Ju et al. 2025).

Inputs follow MDAnalysis units (Å, ps, e, Å³); conductivities are returned in S/m (and mS/cm).
Constants are CODATA values from :mod:`scipy.constants`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
from MDAnalysis.analysis.results import Results
from scipy import constants
from scipy.integrate import cumulative_trapezoid

from ase_electrolyte.atomic_file import save_figure
from ase_electrolyte.atoms_checks import check_flag, check_number
from ase_electrolyte.estimate import Estimate, propagated_dof
from ase_electrolyte.option_words import choice_word

from .analysis_base import check_universe, kept_frame, require_results
from .bridge import kinetic_masses
from .carriers import (
    MAX_IONS,
    CarrierAnalysis,
    _observed_at_steps,
    check_ion_charge,
    check_neutral,
    check_temperature,
    check_volume,
    checked_blocks,
    dilution_notes,
    few_ions_notes,
    given_temperature,
    given_volume_notes,
    n_universes_of,
    net_charge,
    run_temperature,
    same_system,
    species_list,
    temperature_notes,
    transference_estimate,
    volume_drift_note,
    volume_drift_notes,
)
from .correlation import (
    SegmentValues,
    check_sampling,
    check_segment_lags,
    check_window,
    counted,
    fit_line,
    fit_window_slice,
    independence_notes,
    lag_count,
    max_lag_count,
    mean_squared_displacement,
    plateau_verdict,
    relative_error,
    segment_too_short,
    straightness,
    time_correlation,
    transport_estimate,
)
from .ion_collection import block_slices
from .observables import (
    current_ion_charges_of_file,
    current_species_of_file,
    is_h5md_path,
    read_observable,
)
from .plotting import axes_to_draw_into, draws_user_text, estimate_bars
from .report import (
    estimate_label,
    mark_invalid,
    register_analysis,
    shared,
    temperature_settings,
)
from .uncertainty import mean_error

__all__ = ["GreenKuboConductivity", "EinsteinHelfandConductivity", "NernstEinstein"]

# e² Å² ps⁻¹ / (Å³ J)  ->  S/m
_SIEMENS_PER_METRE = constants.e**2 / (constants.angstrom * constants.pico)


#: Largest conductivity (S/m) taken as a measured ionic one: molten salts and superionic
#: solids reach a few hundred S/m; metals (1e6-1e8 S/m) conduct by electrons.
MAX_IONIC_CONDUCTIVITY = 1.0e4


def _conductivity_prefactor(volume, temperature, dimensions):
    """S/m per (e² Å² / ps) of a time-integrated current correlation, ``1 / (d V k_B T)``."""
    return _SIEMENS_PER_METRE / (dimensions * volume * constants.k * temperature)


def _check_temperature(temperature):
    return check_temperature(temperature)


_GK_REMEDY = (
    "write velocities every few fs (run_md write_interval of 1-5 steps), or give the H5MD file "
    "of run_md, whose per-step 'charge_current' observable GreenKuboConductivity reads, or use "
    "EinsteinHelfandConductivity, which tolerates coarse frames (check_sampling=False overrides)"
)

def _check_segments(n_universes, n_blocks):
    return checked_blocks(n_universes, n_blocks)


def _refuse_still_segments(totals, labels, n_blocks, who, what):
    """Refuse segments in which the ions' charge transport is exactly zero: nothing moves.

    Green–Kubo, Einstein–Helfand and the Onsager coefficients divide each segment's species
    shares by its total (the transference numbers): a segment of ions that do not move (frozen
    atoms, a stretch or a replica without written positions or velocities) has σ exactly 0
    there and shares of 0/0. All three refuse it alike, naming the runs and segments.

    Parameters
    ----------
    totals : array_like, shape (n_segments,)
        Each segment's total (σ's running-integral plateau, the dipole MSD's slope), in
        segment order: ``n_blocks`` segments per run.
    labels : sequence of str
        The runs' names, one per run.
    n_blocks : int
        Segments per run.
    who : str
        The analysis, for the message.
    what : str
        What is zero in a still segment, e.g. ``"the charge current"``.

    Raises
    ------
    ValueError
        If any segment's total is exactly zero.
    """
    totals = np.asarray(totals, dtype=np.float64)
    still = np.flatnonzero(totals == 0)
    if still.size == 0:
        return
    where = []
    for run in dict.fromkeys(int(k) // n_blocks for k in still):
        own = [int(k) % n_blocks + 1 for k in still if int(k) // n_blocks == run]
        label = labels[run] if run < len(labels) and labels[run] else f"run {run}"
        where.append(f"{label}: segment{'s' if len(own) > 1 else ''} "
                     f"{', '.join(map(str, own))} of {n_blocks}")
    raise ValueError(
        f"{who}: nothing moves in {still.size} of the {totals.size} segments ("
        f"{'; '.join(where[:5])}{'; ...' if len(where) > 5 else ''}): {what} is exactly zero "
        "there, so σ is 0 and no transference number (its share) exists; analyse frames "
        "and runs in which the ions move (start=/stop=, or leave that run out), or check that "
        "the ions' positions and velocities were written")


def auto_plateau(curve, err, min_fraction=0.2):
    r"""Start of the converged part of a running integral.

    The plateau is the longest final window ``[k0, K]`` in which every point lies within twice its
    standard error of the window mean: :math:`|\sigma(\tau_k) - \bar\sigma_{[k_0,K]}| \le
    2\,\delta\sigma(\tau_k)` for all :math:`k \ge k_0`. ``k0`` is at most ``(1 - min_fraction) K``.

    Parameters
    ----------
    curve, err : numpy.ndarray, shape (K+1,)
        Running integral and its standard error at every lag.
    min_fraction : float
        Shortest window accepted, as a fraction of the lags.

    Returns
    -------
    k0 : int
        First index of the plateau.
    converged : bool
        ``False`` if no window met the criterion; ``k0`` then starts the last ``min_fraction``
        of the lags.
    """
    n = curve.size
    k_max = int(np.floor((1.0 - min_fraction) * (n - 1)))
    suffix_sum = np.cumsum(curve[::-1])[::-1]
    for k0 in range(k_max + 1):
        mean = suffix_sum[k0] / (n - k0)
        if np.all(np.abs(curve[k0:] - mean) <= 2.0 * err[k0:]):
            return k0, True
    return k_max, False


def _universes_of_files(universes, ions):
    """Universes for H5MD paths (and the charged species as default ions), paths kept."""
    items = universes if isinstance(universes, (list, tuple)) else [universes]
    if not any(is_h5md_path(x) for x in items):
        if ions is None:
            raise TypeError("ions is required: {species name: selection string or AtomGroup}")
        return universes, ions, [], None
    if not all(is_h5md_path(x) for x in items):
        raise TypeError("give either Universes or H5MD paths, not a mix")
    from .bridge import from_ase

    files = [Path(x) for x in items]
    for f in files:
        if not f.exists():
            raise ValueError(f"{f} does not exist")
    # before the Universes open the files (HDF5 refuses mixed locking modes in one process)
    observed = [read_charge_current(f) for f in files]
    us = [from_ase(f) for f in files]
    if ions is None:
        ions = charged_species(us[0])
    elif not isinstance(ions, dict):
        ions = {str(n): f"resname {n}" for n in ions}
    return us, ions, files, observed


def read_charge_current(path, window=None):
    """Per-species charge currents an H5MD file records, or ``None`` if it records none.

    ``window`` (first, last) in ps keeps the samples of the analysed frames' time span (see
    :func:`~mda_electrolyte.observables.read_observable`), the volume's too.

    Returns
    -------
    dict or None
        ``current`` (T, n_species, 3) in e·Å/ps, ``species`` (list of names), ``ion_charges``
        (species -> charge of each of its molecules, e, as the current has them), ``dt`` (ps),
        ``volume`` (mean, Å³), ``volume_range`` (min, max), ``volume_spread`` (std/mean) and
        ``volume_notes`` (a drifting volume's note,
        :func:`~mda_electrolyte.carriers.volume_drift_note`) and ``temperature`` (the file's
        ``temperature`` observable over the same span, K, or ``None``: what a temperature
        given to Green–Kubo is judged by,
        :func:`~mda_electrolyte.carriers.temperature_notes`).
    """
    obs = read_observable(path, "charge_current", window=window)
    if obs is None:
        return None
    species = current_species_of_file(path)
    ion_charges = current_ion_charges_of_file(path)
    volume = np.asarray(read_observable(path, "volume", required=True, window=window)["value"],
                        dtype=float)
    mean = float(np.mean(volume))
    temperature = read_observable(path, "temperature", window=window)
    # the spread goes with the mean: the estimators refuse an NPT volume that varied by more
    # than 5 %, as they do for frames (the observable path divided by its mean unchecked)
    return {"current": obs["value"], "species": species, "ion_charges": ion_charges,
            "dt": obs["dt"], "volume": mean,
            "volume_range": (float(np.min(volume)), float(np.max(volume))),
            "volume_spread": float(np.std(volume) / mean),
            "volume_notes": tuple(n for n in [volume_drift_note(volume, str(path))] if n),
            "temperature": _observed_at_steps(temperature, obs)}


def observed_currents(obs, species, where):
    """The ``charge_current`` columns of ``species`` with the charges the analysis uses.

    ``run_md`` records each species' current with the file's formal charges; an analysis given
    other charges (``charges={"Li": 0.8, ...}``, the scaled charges of a force field) scales
    that current by the ratio, as its frames would have it (the observable was used as it was,
    so σ kept the formal charges while ``results.charges`` said 0.8 "given": 1.56 times too
    large).

    Parameters
    ----------
    obs : dict
        :func:`read_charge_current` of one file.
    species : sequence of IonSpecies
        The analysed species (``name``, ``charges`` per ion).
    where : str
        Names the file in messages.

    Returns
    -------
    numpy.ndarray, shape (T, n_species, 3)
        e·Å/ps.

    Raises
    ------
    ValueError
        A species whose selection is not the file's whole species (another number of ions: the
        recorded current is that of all of them), or charges that differ from the file's for
        ions of mixed charge (no one factor).
    """
    columns = []
    for s in species:
        current = obs["current"][:, obs["species"].index(s.name)]
        recorded = obs.get("ion_charges", {}).get(s.name)
        used = s.charges
        if recorded is None or used is None:
            columns.append(current)
            continue
        if recorded.size != np.size(used):
            raise ValueError(
                f"{where}: species {s.name!r} selects {np.size(used)} ions, the file's "
                f"charge_current records all {recorded.size} of them: select the whole species "
                "or pass observables=False to use the frames"
            )
        if np.allclose(used, recorded, rtol=1e-9, atol=1e-12):
            columns.append(current)
            continue
        if not (np.allclose(recorded, recorded[0]) and np.allclose(used, used[0])
                and recorded[0] != 0):
            raise ValueError(
                f"{where}: the charge_current of {s.name!r} was recorded with its formal "
                f"charges ({', '.join(f'{q:+g}' for q in np.unique(recorded))} e per ion), the "
                "analysis uses others for ions of mixed charge, which no one factor converts: "
                "pass observables=False to use the frames"
            )
        columns.append(current * (float(used[0]) / float(recorded[0])))
    return np.stack(columns, axis=1)


class GreenKuboConductivity(CarrierAnalysis):
    r"""Ionic conductivity from the Green–Kubo integral of the charge-current autocorrelation.

    Parameters
    ----------
    universes : MDAnalysis.Universe, path, or list of them
        One trajectory, or several independent trajectories of the same system (Chalykh et al.
        2025 use 10); they need velocities (Å/ps) and a box, analysed frames equally spaced in
        time. H5MD files written by :func:`ase_electrolyte.md.run_md` (paths) are read with
        :func:`mda_electrolyte.from_ase`, and their per-step ``charge_current`` observable
        (:math:`\mathbf J_s = \sum_{i\in s} q_i \mathbf v_i` per species, formal charges) is
        used instead of the frames when every file has it (see ``observables``).
    ions : dict or list of str or None
        Charge carriers: species name -> selection string (applied to every Universe) or
        AtomGroup (one Universe only), e.g. ``{"Li": "name Li", "PF6": "resname PF6"}``.
        Solvent is simply not listed. With H5MD paths: species names (``None``: every charged
        species).
    temperature : float
        Temperature in K, which σ is divided by (1/(3 V k_B T)). The run's measured temperature
        judges it (:func:`~mda_electrolyte.carriers.run_temperature`: the ``temperature`` observable
        of an H5MD file of run_md, or the kinetic temperature of the velocities where they cover
        every atom with at least :data:`~mda_electrolyte.carriers.MIN_THERMAL_DOF` degrees of
        freedom or the file's stated count; not a few ions' velocities): one differing from it by
        more than :data:`~mda_electrolyte.carriers.TEMPERATURE_MISMATCH` (5 %) and 3 standard errors
        of its mean makes σ not valid ("not at the run's temperature: ...", naming both); any
        kinetic temperature more than :data:`~mda_electrolyte.carriers.MAX_TEMPERATURE_RATIO` times
        off does too.
    max_lag : float, optional
        Longest correlation time τ_c in ps (default: half the shortest segment, when replicas
        of different lengths are analysed together).
    charges : dict, optional
        Species name -> charge per ion in e; by default the sum of the formal charges
        (``formalcharges`` topology attribute) of each ion, else of its partial charges
        (``charges``): a force field's scaled charges (e.g. 0.8 e of a TPR or LAMMPS data
        file) are then used as they are, σ scaling with their square; give ``charges`` to use
        the formal ones. ``results.charges`` records the value and its source (``"given"``,
        ``"formal"``, ``"partial"``).
    ion_center : dict, optional
        Species name -> ``"com"`` (centre-of-mass velocity, default) or a selection string that
        picks one atom per ion, e.g. ``{"PF6": "name P"}`` as in Chalykh et al. 2025.
    compound : {"residues", "fragments"}
        What an ion is.
    plateau : "auto" or (float, float)
        Window of τ in ps over which the running integral is averaged, or ``"auto"``: the longest
        final window in which every point is within twice its standard error of the window mean
        (see :func:`auto_plateau`; at least the last 20 % of the lags), starting no earlier than
        ``max_lag / 2`` (a noisy integral can look flat while still rising). The integral counts as
        converged only when it is flat over the window within its error: the drift of every
        segment's running integral across the window (a fitted line) averages to within twice
        its standard error of zero (:func:`~mda_electrolyte.correlation.plateau_verdict`);
        otherwise a RuntimeWarning is issued and ``results.verdict`` says so.
    n_blocks : int, optional
        Contiguous blocks each trajectory is split into; blocks and trajectories are the segments
        over which the mean and its error are taken (default 10 for one trajectory, 1 for
        several). Each block must be longer than ``max_lag``.
    check_sampling : bool
        Refuse (ValueError naming the spacing, the measured decay and the remedy) frames too
        sparse to resolve the current autocorrelation: ``C(dt)/C(0) < 1/2``
        (:func:`~mda_electrolyte.correlation.check_sampling`). The trapezoid integral over such
        frames is dominated by aliasing: a Li⁺ cage mode near 400 cm⁻¹ seen every 100 fs gave
        60 times the conductivity. Default ``True``.
    observables : bool or path or list of paths
        Use the ``charge_current`` observable of H5MD inputs when present (default); ``False``
        reads velocities from the frames; path(s): the H5MD files recording the currents of the
        given Universes (one per Universe), whose species names must match ``ions``. With
        :meth:`from_collections`, ``True`` prefers each collection's
        ``charge_current_observable`` (read by the :class:`~mda_electrolyte.IonCollector` of an
        H5MD trajectory) to its frames.
    volume : float, optional
        Volume in Å³ (default: mean box volume of each trajectory over the analysed frames; an
        NPT box whose volume varies by more than 5 % (std/mean) is refused unless ``volume``
        is given). A volume more than
        :data:`~mda_electrolyte.carriers.MAX_GIVEN_VOLUME_RATIO` times off the box volumes of
        a trajectory makes σ not valid ("not a result: the volume given ...": nm³ for Å³).
    verbose : bool
        Progress bar.

    Attributes
    ----------
    results.time : numpy.ndarray
        Correlation times τ in ps.
    results.acf : numpy.ndarray
        ⟨J(τ)·J(0)⟩ in e² Å² / ps², mean over segments (``results.acf_err``: its standard error).
    results.running_integral : numpy.ndarray
        σ(τ) = 1/(3 V k_B T) ∫_0^τ ⟨J(t)·J(0)⟩ dt in S/m, mean over segments
        (``results.running_integral_err``: standard error of the mean at each τ).
    results.conductivity : Estimate
        σ in S/m: mean over segments of each segment's σ(τ) averaged over the plateau, its
        Student-t scaled standard error (:mod:`mda_electrolyte.uncertainty`), the method and
        the verdict (``"not converged: ..."``, ``"too coarse: ..."`` with
        ``check_sampling=False``, ``"not a result: the velocities ... have a kinetic
        temperature ..."`` when it is more than
        :data:`~mda_electrolyte.carriers.MAX_TEMPERATURE_RATIO` times above or below
        ``temperature``: velocities in another unit than Å/ps, or a temperature in another unit
        than K). Float aliases: ``results.sigma``, ``results.sigma_err``,
        ``results.sigma_mS_cm``, ``results.sigma_err_mS_cm``; ``results.verdict`` and
        ``results.valid`` are its verdict.
    results.conductivity_self, results.conductivity_distinct : Estimate or None
        Self and distinct parts in S/m; they add up to σ. ``None`` from species currents alone
        (observables, or per-ion velocities beyond the collector's memory budget), which do not
        separate them (aliases ``sigma_self``, ``sigma_distinct`` and their ``_err``).
    results.transference_numbers : dict
        Species -> Estimate of (σ_AA + ½ Σ_B≠A σ_AB) / σ (``results.transference``: values).
    results.sampling : dict
        The sampling check (frame spacing, ``C(dt)/C(0)``, half-decay time in ps).
    results.plateau_drift, results.plateau_drift_err : float
        Drift of σ(τ) across the plateau window and its error, S/m.
    results.source : str
        ``"frames"`` or ``"charge_current observable"``.
    results.charges : dict
        Species -> ``{"charge": e per ion, "source": "given" | "formal" | "partial"}``.
    results.parts : dict
        ``"self:<A>"``, ``"distinct:<A>-<A>"``, ``"distinct:<A>-<B>"`` (from frames) or
        ``"collective:<A>"``, ``"distinct:<A>-<B>"`` (from species currents) -> dict with ``acf``,
        ``running_integral``, ``running_integral_err``, ``conductivity`` (Estimate; ``sigma``,
        ``sigma_err`` aliases); the parts add up to the total. ``distinct:<A>-<B>`` holds both
        ⟨J_A(t)·J_B(0)⟩ and ⟨J_B(t)·J_A(0)⟩.
    results.plateau : tuple of float
        The averaging window in ps; ``results.plateau_converged`` tells whether the automatic
        criterion was met.
    results.volume : float
        Mean volume in Å³; ``results.n_segments``: number of segments.

    Examples
    --------
    >>> import numpy as np, MDAnalysis as mda
    >>> from MDAnalysis.coordinates.memory import MemoryReader
    >>> from mda_electrolyte import GreenKuboConductivity
    >>> rng = np.random.default_rng(0)
    >>> u = mda.Universe.empty(2, n_residues=2, atom_resindex=[0, 1], trajectory=True)
    >>> u.add_TopologyAttr("names", ["Li", "F"])
    >>> u.add_TopologyAttr("masses", [6.94, 19.0])
    >>> u.add_TopologyAttr("formalcharges", [1.0, -1.0])
    >>> from scipy.signal import lfilter
    >>> # velocities correlated over ~0.2 ps, sampled every 10 fs: resolved
    >>> v = lfilter([0.3], [1, -0.95], rng.normal(size=(4000, 2, 3)), axis=0)
    >>> u.load_new(np.zeros_like(v), velocities=v, dimensions=[20, 20, 20, 90, 90, 90],
    ...            format=MemoryReader, dt=0.01)  # doctest: +ELLIPSIS
    <Universe with 2 atoms>
    >>> gk = GreenKuboConductivity(u, ions={"Li": "name Li", "F": "name F"},
    ...                            temperature=300, max_lag=1.5).run()
    >>> gk.results.sigma > 0, gk.results.sampling["resolved"]
    (True, True)
    """

    _needs = ("velocities",)
    _needs_neutral = True

    def __init__(
        self,
        universes,
        ions,
        temperature,
        max_lag=None,
        *,
        charges=None,
        ion_center=None,
        compound="residues",
        plateau="auto",
        n_blocks=None,
        volume=None,
        check_sampling=True,
        observables=True,
        verbose=False,
    ):
        universes, ions, files, observed = _universes_of_files(universes, ions)
        if observables not in (True, False):
            # H5MD files recording the currents of the trajectories given as Universes
            given = observables if isinstance(observables, (list, tuple)) else [observables]
            if not given or not all(isinstance(f, (str, os.PathLike)) for f in given):
                # 3 raised "expected str, bytes or os.PathLike object, not int" from Path()
                raise TypeError(f"observables must be True, False, or the path(s) of the H5MD "
                                f"file(s) recording the currents, not {observables!r:.80}")
            files = [Path(f) for f in (
                observables if isinstance(observables, (list, tuple)) else [observables]
            )]
            n_u = len(universes) if isinstance(universes, (list, tuple)) else 1
            if len(files) != n_u:
                raise ValueError(f"{len(files)} observable files for {n_u} trajectories")
            observed = [read_charge_current(f) for f in files]
            if any(o is None for o in observed):
                raise ValueError("observables names a file without a charge_current observable")
        n_universes = n_universes_of(universes)
        self._configure(
            n_universes, temperature=temperature, max_lag=max_lag, plateau=plateau,
            n_blocks=n_blocks, volume=volume, check_sampling=check_sampling,
        )
        super().__init__(
            universes,
            ions,
            charges=charges,
            ion_center=ion_center,
            compound=compound,
            volume=volume,
            verbose=verbose,
        )
        self._observed = None
        if files and observables and all(o is not None for o in observed):
            missing = sorted(set(ions) - set(observed[0]["species"]))
            if missing:
                raise ValueError(
                    f"species {missing} have no recorded charge current in "
                    f"{files[0]} (recorded: {observed[0]['species']}); name ions by "
                    "the recorded species or pass observables=False to use the frames"
                )
            self._observed_files = files
            self._observed = self._observed_collections(observed)

    def _observed_collections(self, observed):
        """Collections of the ``charge_current`` records of the observable files."""
        from .ion_collection import IonCollection

        names = [s.name for s in self.species]
        record = {s.name: {"charge": float(np.mean(s.charges)), "source": s.charge_source}
                  for s in self.species}
        collections = [
            IonCollection.from_charge_current(
                observed_currents(obs, self.species, str(f)), names,
                dt=obs["dt"], volume=obs["volume"], volume_range=obs["volume_range"],
                volume_spread=obs["volume_spread"], charges=record, label=str(f),
                n_ions={s.name: s.n_ions for s in self.species},
                volume_notes=obs["volume_notes"],
            )
            for obs, f in zip(observed, self._observed_files, strict=True)
        ]
        # each file's temperature observable: what the temperature given is judged by
        self._recorded_temperatures = [(c, obs.get("temperature"))
                                       for c, obs in zip(collections, observed, strict=True)]
        return collections

    def _observed_of_selection(self, start, stop, step, frames):
        """The observables over the time span of the frames a run would analyse: a
        ``run(start=...)`` leaving out an equilibration leaves it out of them too (it was
        ignored: the whole file was integrated)."""
        if start is None and stop is None and step is None and frames is None:
            return self._observed
        observed = []
        for col, u, f in zip(self._collectors, self._universes, self._observed_files,
                             strict=True):
            index = col._selected_index(start, stop, step, frames)
            if index is None or index.size < 2 or np.any(np.diff(index) <= 0):
                raise ValueError(
                    f"{f}: the selection (start={start}, stop={stop}, step={step}, frames="
                    f"{'None' if frames is None else '[...]'}) gives fewer than 2 frames in "
                    "increasing order, so no time span of the charge_current observable"
                )
            if frames is not None and np.any(np.diff(index) != index[1] - index[0]):
                raise ValueError(
                    f"{f}: frames= selects unevenly spaced frames; the charge_current "
                    "observable is used over one continuous time span: select it with "
                    "start= and stop="
                )
            with kept_frame(u.trajectory) as traj:
                window = (float(traj[int(index[0])].time), float(traj[int(index[-1])].time))
            observed.append(read_charge_current(f, window))
        return self._observed_collections(observed)

    def _configure(self, n_collections, *, temperature, max_lag=None, plateau="auto",
                   n_blocks=None, volume=None, check_sampling=True, species=None,
                   observables=True):
        self._temperature = _check_temperature(temperature)
        check_flag("check_sampling", check_sampling)
        self._check_sampling = bool(check_sampling)
        self._max_lag = check_number("max_lag (ps)", max_lag, above=0, allow_none=True)
        if isinstance(plateau, str):
            # any case and spacing, as every option word of the package
            try:
                plateau = choice_word("plateau", plateau, ("auto",))
            except ValueError as exc:
                raise ValueError(f"plateau must be 'auto' or a (start, stop) window in ps: "
                                 f"{exc}") from None
        else:
            # the one window check of the package (also the viscosity plateau and fit windows)
            lo, hi = check_window("plateau (ps)", plateau)
            if self._max_lag is not None and hi > self._max_lag:
                raise ValueError(
                    f"plateau window ends at {hi} ps, beyond max_lag = {self._max_lag} ps"
                )
            plateau = (lo, hi)
        self._plateau = plateau
        self._configure_common(_check_segments(n_collections, n_blocks), volume, species,
                               n_collections)
        check_flag("observables", observables)
        self._prefer_observed = observables
        self._n_lags = None

    def _check_segment(self, n_rows, dt, where, n_total=None):
        check_segment_lags(n_rows, dt, where=where, max_lag=self._max_lag,
                           n_blocks=self._n_blocks, n_total=n_total,
                           fewest_blocks=self._fewest_blocks_given)
        if self._plateau != "auto" and dt is not None and 0 < dt < np.inf:
            # a window between two lags, or around one, was refused only after the pass
            lo, hi = self._plateau
            n_lags = (n_rows // 2 + 1 if self._max_lag is None
                      else lag_count(self._max_lag, dt * (1 - 1e-3)))
            lags = np.arange(n_lags) * dt
            inside = int(np.count_nonzero((lags * (1 + 1e-3) >= lo) & (lags * (1 - 1e-3) <= hi)))
            if inside < 2:
                raise ValueError(
                    f"{where} of {dt:.4g} ps: the plateau window {tuple(self._plateau)} ps holds "
                    f"{counted(inside, 'lag')} of the charge-current autocorrelation; a drift "
                    "needs at least 2: give a wider plateau window")
        if self._plateau != "auto" and self._max_lag is None and dt is not None and dt > 0:
            # the lags reach half a segment; a plateau beyond them was refused after the pass
            last = (n_rows // 2) * dt
            if self._plateau[1] > last * (1 + 1e-3):
                raise ValueError(
                    f"{where} of {dt:.4g} ps: the plateau window ends at {self._plateau[1]} ps, "
                    f"beyond the longest lag without max_lag, {last:.6g} ps (half a segment); "
                    "give a plateau window ending by then, or analyse more frames or fewer "
                    "n_blocks")

    def run(self, *args, **kwargs):
        """Read the trajectories once (or the ``charge_current`` observables), then estimate.

        Parameters are those of :meth:`MDAnalysis.analysis.base.AnalysisBase.run`.

        Returns
        -------
        self
        """
        if self._observed is not None:
            # per-step observables of H5MD files replace the frames, over the frames' span
            selection = dict(zip(("start", "stop", "step", "frames"), args, strict=False))
            selection.update({k: kwargs[k] for k in ("start", "stop", "step", "frames")
                              if k in kwargs})
            self._estimate(self._observed_of_selection(**{
                k: selection.get(k) for k in ("start", "stop", "step", "frames")}))
            return self
        return super().run(*args, **kwargs)

    def _estimate(self, collections):
        self.results = Results()
        self._n_lags = None
        # the runs as given (an observable's segments span the same times as their frames')
        self._segment_runs = tuple(self._segment_runs_of(collections))
        self._conductivity_segments = None
        observed = [getattr(c, "charge_current_observable", None) for c in collections]
        # the run's temperature is that of its frames' collection or of its file's observables
        judged = list(collections)
        if getattr(self, "_prefer_observed", False) and all(o is not None for o in observed):
            # the per-step currents of run_md resolve what frames every 100 fs cannot
            collections = observed
            # an observable collection carrying its file's temperature judges that run
            judged = [o if run_temperature(o) is not None else c
                      for c, o in zip(judged, observed, strict=True)]
        names = carrier_names(collections[0], self._species_names, type(self).__name__)
        if getattr(collections[0], "ion_counts_known", True):
            # species currents given without their ion counts cannot be weighed (a 2:1 salt's
            # one Mg²⁺ and one PF₆⁻ stand-in ions added up to +1 e, refused)
            check_neutral(names, [collections[0].charges[collections[0].species.index(n)]
                                  for n in names], type(self).__name__)
        dt = same_system(collections, names, type(self).__name__)
        for col in collections:
            # collections read elsewhere: refused with the run's length and the remedy
            segment_too_short(self, col, col.n_frames, dt)
        shortest = min(c.n_frames for c in collections) // self._n_blocks
        if self._max_lag is None:
            # half the shortest segment: replicas of different lengths took half the first
            # one's and refused the shorter after the pass ("max_lag = None ps needs ...")
            self._n_lags = shortest // 2 + 1
        else:
            # the segments were checked against max_lag above (segment_too_short)
            self._n_lags = max_lag_count(self._max_lag, dt, n_rows=shortest)
        split = all(c.ion_velocities is not None for c in collections)
        segments = []
        for col in collections:
            col.require("current", who=type(self).__name__)
            idx = [col.species.index(n) for n in names]
            volume = col.checked_volume(col.label, self._volume)
            slices = col.species_slices()
            if split:
                ranges = [slices[col.species[i]] for i in idx]
            for sl in block_slices(col.n_frames, self._n_blocks, col.label,
                                   fewest=self._fewest_blocks(len(collections))):
                if split:
                    parts = self._frame_parts(col.ion_velocities[sl], ranges,
                                              col.current[sl][:, idx], names, col, idx, dt)
                else:
                    parts = self._current_parts(col.current[sl][:, idx], names, dt)
                segments.append({"parts": parts, "volume": volume})
        self._n_runs = len(collections)
        self._run_labels = [c.label for c in collections]
        # the total current of the carriers, per run: is it long against its own correlation?
        self._sampling_notes = independence_notes(
            [c.current[:, [c.species.index(n) for n in names]].sum(axis=1) for c in collections],
            self._n_blocks, "the charge current",
        ) + self._temperature_notes(judged, self._temperature) + volume_drift_notes(
            collections) + given_volume_notes(collections, self._volume) + _few_ions_notes(
            collections, names) + _dilution_notes(collections, names, self._volume)
        self._combine(segments, dt, collections[0], names)

    def _current_parts(self, currents, names, dt):
        """⟨J_A(t)·J_A(0)⟩ and ⟨J_A·J_B⟩ + ⟨J_B·J_A⟩ from species currents (T, n_species, 3)."""
        parts = {}
        self._part_species = {}
        for a_i, a in enumerate(names):
            self._part_species[f"collective:{a}"] = (a, a)
            parts[f"collective:{a}"] = time_correlation(currents[:, a_i], n_lags=self._n_lags)
            for b_i in range(a_i + 1, len(names)):
                b = names[b_i]
                self._part_species[f"distinct:{a}-{b}"] = (a, b)
                parts[f"distinct:{a}-{b}"] = time_correlation(
                    currents[:, a_i], currents[:, b_i], n_lags=self._n_lags
                ) + time_correlation(currents[:, b_i], currents[:, a_i], n_lags=self._n_lags)
        return parts

    def _frame_parts(self, velocities, ranges, currents, names, col, idx, dt):
        """Self and distinct parts from per-ion velocities (T, n_ions, 3), the analysed
        species' ions at ``ranges`` (slices of the ion axis) times their charges."""
        n_frames = velocities.shape[0]
        parts = {}
        self._part_species = {}
        for a_i, a in enumerate(names):
            self._part_species[f"self:{a}"] = (a,)
            self._part_species[f"distinct:{a}-{a}"] = (a, a)
            # one species' charge velocities at a time: the copy of every analysed ion's
            # (fancy index, then the product) peaked at 1.5 times the stored velocities
            own = (velocities[:, ranges[a_i]] * col.charges[idx[a_i]][None, :, None]).reshape(
                n_frames, -1)
            self_a = time_correlation(own, n_lags=self._n_lags)
            del own
            parts[f"self:{a}"] = self_a
            parts[f"distinct:{a}-{a}"] = (
                time_correlation(currents[:, a_i], n_lags=self._n_lags) - self_a
            )
            for b_i in range(a_i + 1, len(names)):
                b = names[b_i]
                self._part_species[f"distinct:{a}-{b}"] = (a, b)
                parts[f"distinct:{a}-{b}"] = time_correlation(
                    currents[:, a_i], currents[:, b_i], n_lags=self._n_lags
                ) + time_correlation(currents[:, b_i], currents[:, a_i], n_lags=self._n_lags)
        return parts

    def _combine(self, segments, dt, first, names):
        n_lags = self._n_lags
        time = np.arange(n_lags) * dt
        res = self.results
        res.time = time
        res.n_segments = len(segments)
        res.volume = float(np.mean([s["volume"] for s in segments]))
        res.temperature = self._temperature
        res.source = first.source
        res.frame_spacing = float(dt)
        res.charges = first.charge_record(names)

        def running(seg, key):
            pref = _conductivity_prefactor(seg["volume"], self._temperature, 3)
            return pref * cumulative_trapezoid(seg["parts"][key], dx=dt, initial=0.0)

        keys = list(segments[0]["parts"])
        acf_parts = {k: np.array([s["parts"][k] for s in segments]) for k in keys}
        int_parts = {k: np.array([running(s, k) for s in segments]) for k in keys}
        acf_total = sum(acf_parts.values())
        int_total = sum(int_parts.values())
        # a segment without current: σ = 0 there and its shares 0/0 (NaN refused as "estimates
        # to average are NaN"), said as Einstein–Helfand and Onsager say it
        _refuse_still_segments(acf_total[:, 0], self._run_labels, self._n_blocks,
                              type(self).__name__, "the charge current")
        res.acf, res.acf_err, _ = mean_error(acf_total)
        res.running_integral, res.running_integral_err, res.dof = mean_error(int_total)
        res.sampling = check_sampling(
            res.acf, dt, what="charge-current", raise_error=self._check_sampling,
            remedy=_GK_REMEDY,
        )

        if self._plateau == "auto":
            k0, _ = auto_plateau(res.running_integral, res.running_integral_err)
            # a noisy integral can look flat while still rising: never start before max_lag/2
            window = slice(max(k0, (n_lags - 1) // 2), n_lags)
        else:
            lo, hi = self._plateau
            if hi > time[-1] + 1e-9 * dt:
                raise ValueError(f"plateau window ends at {hi} ps, beyond max_lag = {time[-1]} ps")
            sel = np.nonzero((time >= lo - 1e-9 * dt) & (time <= hi + 1e-9 * dt))[0]
            if sel.size == 0:
                raise ValueError(
                    f"plateau window {self._plateau} ps contains no lag (step {dt} ps)"
                )
            window = slice(sel[0], sel[-1] + 1)
        res.plateau = (float(time[window][0]), float(time[window][-1]))
        verdict = plateau_verdict(time, int_total, window)
        res.plateau_drift, res.plateau_drift_err = verdict["drift"], verdict["drift_err"]
        res.plateau_converged = verdict["converged"]
        notes = []
        if not res.plateau_converged:
            notes.append(
                f"not converged: the running integral drifts by {verdict['drift']:.3g} ± "
                f"{verdict['drift_err']:.2g} S/m over the plateau window {res.plateau[0]:.4g}–"
                f"{res.plateau[1]:.4g} ps (use a longer max_lag or more/longer trajectories)"
            )
            warnings.warn(
                f"Green–Kubo: {notes[0]}; sigma is not converged", RuntimeWarning, stacklevel=3
            )
        if not res.sampling["resolved"]:
            notes.append(f"too coarse: {res.sampling['message']}")
        notes.extend(self._sampling_notes)

        def plateau_estimate(stack, positive=True):
            # distinct parts are signed; σ, its self part and a species' collective part are
            # autocorrelation integrals, positive by nature
            return transport_estimate(
                stack[:, window].mean(axis=1), "S/m", n_runs=self._n_runs,
                n_blocks=self._n_blocks, notes=notes, positive=positive,
            )

        res.conductivity = plateau_estimate(int_total)
        # for α_d with D's of the same segments (NernstEinstein): their joint scatter
        self._conductivity_segments = SegmentValues(
            self._segment_runs, self._n_blocks, int_total[:, window].mean(axis=1))
        _conductivity_aliases(res)
        self_keys = [k for k in keys if k.startswith("self:")]
        dist_keys = [k for k in keys if k.startswith("distinct:")]
        if self_keys:
            res.conductivity_self = plateau_estimate(sum(int_parts[k] for k in self_keys))
            res.conductivity_distinct = plateau_estimate(sum(int_parts[k] for k in dist_keys),
                                                         positive=False)
            res.sigma_self, res.sigma_self_err = _pair(res.conductivity_self)
            res.sigma_distinct, res.sigma_distinct_err = _pair(res.conductivity_distinct)
        else:
            # species currents alone (H5MD observables, or per-ion velocities beyond the
            # collector's budget) do not separate self from distinct
            res.conductivity_self = res.conductivity_distinct = None
            res.sigma_self = res.sigma_self_err = None
            res.sigma_distinct = res.sigma_distinct_err = None
        res.parts = {}
        for k in keys:
            acf, _, _ = mean_error(acf_parts[k])
            run_mean, run_err, _ = mean_error(int_parts[k])
            est = plateau_estimate(int_parts[k], positive=not k.startswith("distinct:"))
            res.parts[k] = {
                "acf": acf,
                "running_integral": run_mean,
                "running_integral_err": run_err,
                "conductivity": est,
                "sigma": est.value,
                "sigma_err": est.stderr,
            }
        res.transference, res.transference_numbers = {}, {}
        plateau_seg = {k: int_parts[k][:, window].mean(axis=1) for k in keys}
        total_seg = int_total[:, window].mean(axis=1)
        for a in names:
            own = sum(plateau_seg[k] for k, pair in self._part_species.items()
                      if pair == (a,) or pair == (a, a))
            cross = sum(plateau_seg[k] for k, pair in self._part_species.items()
                        if len(pair) == 2 and pair[0] != pair[1] and a in pair)
            share = own + 0.5 * cross
            res.transference[a] = float(np.mean(share) / np.mean(total_seg))
            res.transference[a] += 0.0  # no "-0"
            est = transport_estimate(share / total_seg, "1", n_runs=self._n_runs,
                                     n_blocks=self._n_blocks, notes=notes)
            res.transference_numbers[a] = transference_estimate(est, res.transference[a],
                                                                share / total_seg, a)

    @draws_user_text
    def plot(self, ax=None, parts=True):
        """Running integral σ(τ) with its standard-error band and the plateau.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        parts : bool
            Also draw the self and distinct parts.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "time")
        check_flag("parts", parts)   # parts="no" drew the parts
        ax = axes_to_draw_into(ax)
        r = self.results
        ax.plot(r.time, r.running_integral, color="C0", label="total")
        ax.fill_between(
            r.time,
            r.running_integral - r.running_integral_err,
            r.running_integral + r.running_integral_err,
            color="C0",
            alpha=0.3,
        )
        if parts and r.sigma_self is not None:
            selfs = sum(p["running_integral"] for k, p in r.parts.items() if k.startswith("self:"))
            ax.plot(r.time, selfs, color="C1", ls="--", label="self")
            ax.plot(r.time, r.running_integral - selfs, color="C2", ls=":", label="distinct")
        ax.axvspan(*r.plateau, color="0.85", zorder=0, label="plateau")
        ax.axhline(r.sigma, color="k", lw=0.8)
        ax.set_xlabel("correlation time τ (ps)")
        ax.set_ylabel("σ(τ) (S/m)")
        ax.set_title(f"Green–Kubo: σ = {estimate_label(r.conductivity, reason=False)}")
        mark_invalid(ax, r.conductivity)
        ax.legend()
        return ax


class EinsteinHelfandConductivity(CarrierAnalysis):
    r"""Ionic conductivity from the mean-squared displacement of the charge dipole.

    :math:`\mathbf M(t) = \sum_i q_i \mathbf r_i(t)` over the charge carriers (unwrapped centres);
    its MSD is averaged over all time origins (FFT) and σ = slope / (6 V k_B T) from a line fitted
    over a window.

    Parameters
    ----------
    universes : MDAnalysis.Universe or list of Universe
        Independent trajectories of the same system, analysed frames equally spaced in time.
    ions, charges, ion_center, compound, volume, verbose
        As for :class:`GreenKuboConductivity`.
    temperature : float
        Temperature in K, which σ is divided by (1/(6 V k_B T)). The run's measured temperature
        judges it (:func:`~mda_electrolyte.carriers.run_temperature`: the ``temperature`` observable
        of an H5MD file of run_md, or the kinetic temperature of the velocities where they cover
        every atom with at least :data:`~mda_electrolyte.carriers.MIN_THERMAL_DOF` degrees of
        freedom or the file's stated count; not a few ions' velocities): one differing from it by
        more than :data:`~mda_electrolyte.carriers.TEMPERATURE_MISMATCH` (5 %) and 3 standard errors
        of its mean makes σ not valid ("not at the run's temperature: ...", naming both); any
        kinetic temperature more than :data:`~mda_electrolyte.carriers.MAX_TEMPERATURE_RATIO` times
        off does too.
    fit_window : (float, float)
        Fit range as fractions of the segment length (default 10 %–30 %: the dipole MSD at
        longer lags rests on few independent time origins, and over replicas of analytic data
        a window to 60 % gave error bars 1.36 times too small).
    fit_window_ps : (float, float), optional
        Fit range in ps, instead of ``fit_window`` (both given are refused). One ending
        beyond the last lag of a segment is fitted up to that lag with a RuntimeWarning naming
        it (``results.fit_window`` records the range used); one holding fewer than 3 lags is
        refused before the pass.
    unwrap : bool
        Unwrap positions as MDAnalysis' ``NoJump`` does: minimum-image steps between analysed
        frames in fractional coordinates of each frame's box
        (:func:`~mda_electrolyte.carriers.unwrap_trajectory`; needs a box and frames closer
        than half a box). If ``False`` (default), positions that
        jump by more than half a box between frames raise an error.
    n_blocks : int, optional
        Blocks each trajectory is split into (default 10 for one trajectory, 1 for several).

    Attributes
    ----------
    results.time : numpy.ndarray
        Lag times in ps (over the shortest segment).
    results.msd, results.msd_err : numpy.ndarray
        ``<|M(t) - M(0)|²>`` in e² Å², mean over segments and standard error.
    results.conductivity : Estimate
        Mean over segments of the fitted conductivity in S/m, its t-scaled standard error, and
        the verdict (``"not diffusive: ..."`` when the log-log slope of the dipole MSD over the
        window is not near 1; ``"too short: ..."`` when the dipole's increments, the
        frame-averaged charge current, hold fewer independent samples than Green–Kubo asks of the
        current, see :func:`~mda_electrolyte.correlation.independence_notes`). Aliases
        ``results.sigma``, ``results.sigma_err``, ``results.sigma_mS_cm``,
        ``results.sigma_err_mS_cm``, ``results.verdict``, ``results.valid``.
    results.loglog_slope, results.loglog_slope_err : float
        d ln MSD / d ln t of the dipole MSD over the window and its jackknife error over the
        segments (0 for fewer than 5). ``results.slope_exponent`` (and ``_err``): how the MSD's
        slope grows over the window (:func:`~mda_electrolyte.correlation.slope_exponent`; 1
        for a straight MSD whatever its offset). Not diffusive when neither is 1
        (:func:`~mda_electrolyte.correlation.straightness`), or when the window starts where
        the MSD still bends by more than half the error
        (:func:`~mda_electrolyte.correlation.bend_bias`): the log-log slope alone and a fixed
        start of 3 estimated correlation times had passed the low replicas (valid mean z-score
        -1.10 over 80 Ornstein–Uhlenbeck salts at a window of 3-9 τ; now -0.32, all -0.25).
    results.slope : float
        Slope of the mean MSD over the window, e² Å² / ps; ``results.r2`` its R².
    results.transference_numbers : dict
        Species -> Estimate of t_A = (σ_AA + ½ Σ_B≠A σ_AB) / σ, the definition of Green–Kubo
        and Onsager (Σ_j z_A z_j L_Aj / Σ_kl z_k z_l L_kl): the slope over the same window of
        the species' share of the dipole MSD, ⟨ΔM_A·ΔM⟩, over the slope of ``⟨|ΔM|²⟩``, per
        segment; the value is the ratio of the mean slopes, the error the segments' scatter,
        the verdict σ's (a share equal in every segment to rounding has no error and is not
        valid). They add up to 1 (``results.transference``: the values).
    results.fit_window : tuple of float
        Fit range in ps.

    Raises
    ------
    ValueError
        After the pass, where the charge dipole does not change in some segment (ions that do
        not move: σ would be 0 there and the transference numbers 0/0), naming the segments,
        as Green–Kubo and the Onsager coefficients refuse it.
    """

    _needs = ("positions",)
    _needs_neutral = True

    def __init__(
        self,
        universes,
        ions,
        temperature,
        *,
        charges=None,
        ion_center=None,
        compound="residues",
        fit_window=None,
        fit_window_ps=None,
        unwrap=False,
        n_blocks=None,
        volume=None,
        verbose=False,
    ):
        n_universes = n_universes_of(universes)
        self._configure(n_universes, temperature=temperature, fit_window=fit_window,
                        fit_window_ps=fit_window_ps, n_blocks=n_blocks, volume=volume)
        super().__init__(
            universes,
            ions,
            charges=charges,
            ion_center=ion_center,
            compound=compound,
            volume=volume,
            unwrap=unwrap,
            verbose=verbose,
        )

    def _configure(self, n_collections, *, temperature, fit_window=None,
                   fit_window_ps=None, n_blocks=None, volume=None, species=None):
        self._temperature = _check_temperature(temperature)
        self._configure_fit_window(fit_window, fit_window_ps)
        self._configure_common(_check_segments(n_collections, n_blocks), volume, species,
                               n_collections)

    _check_segment = CarrierAnalysis._check_fit_segment

    def _estimate(self, collections):
        self.results = Results()
        self._conductivity_segments = None
        names = carrier_names(collections[0], self._species_names, type(self).__name__)
        check_neutral(names, [collections[0].charges[collections[0].species.index(n)]
                              for n in names], type(self).__name__)
        dt = same_system(collections, names, type(self).__name__)
        for col in collections:
            # collections read elsewhere were refused by the fit only, "of a 0.1 ps segment"
            segment_too_short(self, col, col.n_frames, dt)
        segments = []
        for col in collections:
            col.require("dipole", who=type(self).__name__)
            idx = [col.species.index(n) for n in names]
            volume = col.checked_volume(col.label, self._volume)
            species_dipoles = col.dipole[:, idx]
            dipole = species_dipoles.sum(axis=1)
            for sl in block_slices(col.n_frames, self._n_blocks, col.label,
                                   fewest=self._fewest_blocks(len(collections))):
                total = mean_squared_displacement(dipole[sl])
                # each species' share of it, ⟨ΔM_A·ΔM⟩ = ½ (⟨|ΔM|²⟩ + ⟨|ΔM_A|²⟩ − ⟨|ΔM − ΔM_A|²⟩):
                # its own term and half of every cross term (σ_AA + ½ Σ_B≠A σ_AB)
                shares = [0.5 * (total + mean_squared_displacement(species_dipoles[sl, k])
                                 - mean_squared_displacement(dipole[sl]
                                                             - species_dipoles[sl, k]))
                          for k in range(len(names))]
                segments.append({"msd": total, "shares": shares, "volume": volume})
        n = min(s["msd"].size for s in segments)
        time = np.arange(n) * dt
        window = fit_window_slice(time, self._fit_window, self._fit_window_ps)
        msd = np.array([s["msd"][:n] for s in segments])
        slopes, _, _ = fit_line(time[window], msd[:, window].T)
        # frozen ions: σ was 0 ± 0 "not valid" where Green–Kubo and Onsager refuse, and a
        # still segment among moving ones left every transference number NaN
        _refuse_still_segments(
            np.where(np.any(msd[:, window] != 0, axis=1), slopes, 0.0),
            [c.label for c in collections], self._n_blocks, type(self).__name__,
            "the dipole MSD")
        sig = np.array(
            [
                _conductivity_prefactor(s["volume"], self._temperature, 6) * k
                for s, k in zip(segments, slopes, strict=True)
            ]
        )
        res = self.results
        res.time = time
        res.msd, res.msd_err, _ = mean_error(msd)
        res.charges = collections[0].charge_record(names)
        # judged by how the slope grows too, and the bend by its bias against the error: the
        # log-log slope alone (1.2 for a straight dipole MSD fitted at 3-9 τ, its offset read
        # as growth) and a fit start of 3 correlation times estimated from the same data passed
        # the low replicas (80 Ornstein–Uhlenbeck salts of 6000 frames: those left valid had a
        # mean z-score of -1.10, all -0.25)
        (res.loglog_slope, res.loglog_slope_err, res.slope_exponent, res.slope_exponent_err,
         notes) = straightness(time, msd, window, "the dipole MSD")
        res.diffusive = not notes
        # the dipole's increments are the frame-averaged charge current: as long against its own
        # correlation time as Green–Kubo asks (a 0.4 ps run of a 0.2 ps-correlated current gave
        # 10 segments of 2 correlation times, fitted "valid")
        notes += independence_notes(
            [np.diff(c.dipole[:, [c.species.index(n) for n in names]].sum(axis=1), axis=0)
             for c in collections],
            self._n_blocks, "the charge current (dipole increments)",
            fit_start=float(time[window][0]), dt=dt, fit_stop=float(time[window][-1]),
            relative_error=relative_error(sig))
        notes += self._temperature_notes(collections, self._temperature)
        notes += volume_drift_notes(collections)
        notes += given_volume_notes(collections, self._volume)
        notes += _few_ions_notes(collections, names)
        notes += _dilution_notes(collections, names, self._volume)
        res.conductivity = transport_estimate(sig, "S/m", n_runs=len(collections),
                                              n_blocks=self._n_blocks, notes=notes,
                                              positive=True)
        # for α_d with D's of the same segments (NernstEinstein): their joint scatter
        self._conductivity_segments = SegmentValues(self._segment_runs_of(collections),
                                                    self._n_blocks, sig)
        _conductivity_aliases(res)
        res.dof = len(segments) - 1
        slope, intercept, r2 = fit_line(time[window], res.msd[window])
        res.slope, res.intercept, res.r2 = float(slope), float(intercept), float(r2)
        res.fit_window = (float(time[window][0]), float(time[window][-1]))
        res.volume = float(np.mean([s["volume"] for s in segments]))
        res.temperature = self._temperature
        res.n_segments = len(segments)
        # transference numbers as Green–Kubo's and Onsager's: each species' share of the
        # dipole MSD's slope, per segment, over the total's (ratios: free of V and k_B T)
        res.transference, res.transference_numbers = {}, {}
        still = int(np.count_nonzero(~(np.asarray(slopes, dtype=np.float64) != 0)))
        for k, a in enumerate(names):
            if still:
                # a dipole MSD that does not grow (frozen ions) has no shares to divide: σ is
                # 0, not valid, and the ratios do not exist (they were 0/0 = NaN, refused)
                res.transference[a] = float("nan")
                res.transference_numbers[a] = Estimate.invalid(
                    float("nan"), float("nan"), "1", "share of the dipole MSD's slope",
                    f"not measured: the dipole MSD does not grow in {still} of the "
                    f"{len(segments)} segments (nothing moves), so no share of it exists")
                continue
            share = np.array([s["shares"][k][:n] for s in segments])
            share_slopes, _, _ = fit_line(time[window], share[:, window].T)
            share_slopes = np.asarray(share_slopes, dtype=np.float64)
            ratio = share_slopes / slopes
            res.transference[a] = float(np.mean(share_slopes) / np.mean(slopes)) + 0.0
            est = transport_estimate(ratio, "1", n_runs=len(collections),
                                     n_blocks=self._n_blocks, notes=notes)
            res.transference_numbers[a] = transference_estimate(est, res.transference[a],
                                                                ratio, a)

    @draws_user_text
    def plot(self, ax=None):
        """Charge-dipole MSD with its standard-error band and the fitted line.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "time")

        ax = axes_to_draw_into(ax)
        r = self.results
        ax.plot(r.time, r.msd, color="C0", label="MSD of M")
        ax.fill_between(r.time, r.msd - r.msd_err, r.msd + r.msd_err, color="C0", alpha=0.3)
        t = np.linspace(*r.fit_window, 2)
        ax.plot(t, r.slope * t + r.intercept, "k--", label=f"fit (R² = {r.r2:.3f})")
        ax.set_xlabel("lag time (ps)")
        ax.set_ylabel("⟨|ΔM|²⟩ (e² Å²)")
        ax.set_title(f"Einstein–Helfand: σ = {estimate_label(r.conductivity, reason=False)}")
        mark_invalid(ax, r.conductivity)
        ax.legend()
        return ax


class NernstEinstein:
    r"""Nernst–Einstein conductivity, dynamic degree of dissociation and transference numbers.

    .. math:: \sigma_{NE} = \frac{e^2}{V k_B T} \sum_s N_s z_s^2 D_s,
              \qquad \alpha_d = \sigma / \sigma_{NE},
              \qquad t_s^{NE} = N_s z_s^2 D_s / \sum_{s'} N_{s'} z_{s'}^2 D_{s'}

    An estimator built from Estimates (:meth:`from_estimates`), from collections
    (:meth:`from_collections`: the diffusion coefficients are estimated from them), or, for
    compatibility, from the arguments below; computed on construction (no trajectory pass).
    Errors are propagated to first order from the errors of D and σ; a number is valid only if
    every input is. α_d's error takes the covariance of σ and σ_NE when both come from the same
    blocks of the same trajectory (a run conductivity analysis and a run Diffusion that read the
    same frames, of one Universe or of two Universes of the same unchanged file at the same
    times (:class:`~mda_electrolyte.correlation.TrajectoryFrames`), or the same collection, with
    the same ``n_blocks``): from the joint scatter of
    their segment values (:class:`~mda_electrolyte.correlation.SegmentValues`). As independent
    errors it was 1.3 times α_d's scatter over replicas of one trajectory. σ_NE and the
    transference numbers of a run Diffusion's D's (several segments) take the covariance of the
    D's the same way.

    Parameters
    ----------
    diffusion : mda_electrolyte.Diffusion, optional
        A run :class:`~mda_electrolyte.Diffusion`: supplies D (its ``results.diffusion_coefficient``
        Estimates), ion counts, charges and volume unless given explicitly below. Its
        neutral species (charge 0: a solvent analysed as the drift reference) have no term and
        are left out, as :meth:`from_collections` leaves them out.
    temperature : float
        Temperature in K. It must be the temperature a conductivity analysis given used (and a
        Diffusion's Yeh–Hummer term): another one is refused, as α_d would be off by their
        ratio. Where the D's come from trajectories (:meth:`from_collections`, a run
        Diffusion): The run's measured temperature judges it
        (:func:`~mda_electrolyte.carriers.run_temperature`: the ``temperature`` observable of an
        H5MD file of run_md, or the kinetic temperature of the velocities where they cover every
        atom with at least :data:`~mda_electrolyte.carriers.MIN_THERMAL_DOF` degrees of freedom
        or the file's stated count; not a few ions' velocities): one differing from it by more
        than :data:`~mda_electrolyte.carriers.TEMPERATURE_MISMATCH` (5 %) and 3 standard errors
        of its mean makes σ_NE not valid ("not at the run's temperature: ...", naming both);
        any kinetic temperature more than
        :data:`~mda_electrolyte.carriers.MAX_TEMPERATURE_RATIO` times off does too.
    diffusivities : dict, optional
        Species -> D, an :class:`~ase_electrolyte.estimate.Estimate` or a number in Å²/ps.
    diffusivity_errors : dict, optional
        Species -> standard error in Å²/ps of a D given as a number (default 0).
    n_ions : dict, optional
        Species -> number of ions N_s in the volume.
    charges : dict, optional
        Species -> ion charge z_s in e.
    volume : float, optional
        Volume in Å³; more than :data:`~mda_electrolyte.carriers.MAX_GIVEN_VOLUME_RATIO` times
        off the box volumes of a Diffusion's trajectories makes σ_NE not valid.
    conductivity : Estimate or analysis or float or (float, float), optional
        The collective conductivity σ for α_d: an Estimate, a run conductivity analysis (its
        ``results.conductivity``), or a number in S/m with an optional error.

    Attributes
    ----------
    results.conductivity : Estimate
        σ_NE in S/m (``results.sigma``, ``results.sigma_err`` and the ``_mS_cm`` variants are
        float aliases); its interval is on the log scale (``interval_scale="log"``) when σ_NE
        is positive, as the D's it sums, and so is each term of ``contributions``.
    results.contributions : dict
        Species -> its term of σ_NE, an Estimate in S/m (the error and verdict of its D; a
        D more than two errors below zero, or negative without an error, not valid).
    results.transference_numbers : dict
        Species -> Nernst–Einstein (uncorrelated) transference number, an Estimate
        (``results.transference``: the values).
    results.n_ions, results.charges : dict
        Species -> N_s and z_s (e) of the species summed; ``results.volume`` (Å³) and
        ``results.temperature`` (K) are the other inputs.
    results.dissociation : Estimate or None
        α_d = σ / σ_NE (only when ``conductivity`` is given; ``results.alpha_d``,
        ``results.alpha_d_err`` are float aliases), its interval on the log scale when
        positive; ``results.collective_conductivity`` is σ (one given as a number is
        :meth:`~ase_electrolyte.estimate.Estimate.given_value`: shown as given, not as a
        result).
    """

    def __init__(
        self,
        diffusion=None,
        *,
        temperature,
        diffusivities=None,
        diffusivity_errors=None,
        n_ions=None,
        charges=None,
        volume=None,
        conductivity=None,
    ):
        given_d = diffusivities
        if diffusion is not None:
            r = getattr(diffusion, "results", None)
            if r is None or "diffusion_coefficient" not in r:
                raise ValueError("diffusion must be a Diffusion analysis that has been run")
            if diffusivities is None:
                diffusivities = dict(r.diffusion_coefficient)
            n_ions = dict(r.n_ions) if n_ions is None else n_ions
            if charges is None:
                _refuse_unknown_inputs(diffusion, "_charges_refusal")
                charges = r.charges
            if volume is None:
                _refuse_unknown_inputs(diffusion, "_volume_refusal")
                volume = r.volume
        elif diffusivities is None:
            raise ValueError(
                "give a run Diffusion analysis or diffusivities={species: D in Å²/ps}"
            )
        diffusivities = _species_mapping("diffusivities", diffusivities, "D in Å²/ps")
        if given_d is None and isinstance(charges, Mapping):
            # a Diffusion of the solvent too (its drift reference; the report's every species):
            # a neutral species has no term. It was refused, "the charge of 'SOL' must be
            # non-zero; leave uncharged species out", which only diffusivities= could, losing
            # the D's joint segments; from_collections takes the charged species alike
            neutral = [sp for sp in diffusivities
                       if isinstance(charges.get(sp), (int, float, np.integer, np.floating))
                       and not isinstance(charges.get(sp), bool) and charges.get(sp) == 0]
            if len(neutral) < len(diffusivities):
                diffusivities = {sp: e for sp, e in diffusivities.items() if sp not in neutral}
        if not diffusivities:
            raise ValueError("diffusivities is empty: give {species: D in Å²/ps}")
        errors = _species_mapping("diffusivity_errors",
                                  {} if diffusivity_errors is None else diffusivity_errors,
                                  "standard error of D in Å²/ps")
        # an error under a name without a D (a typo, "li" for "Li") or beside a D that carries
        # its own (an Estimate, a Diffusion's) was dropped: σ_NE came out exact, ± 0, valid
        unknown = sorted(set(errors) - set(diffusivities), key=str)
        if unknown:
            raise ValueError(f"diffusivity_errors names species {unknown} that have no "
                             f"diffusivity (species: {sorted(diffusivities, key=str)})")
        own = sorted((s for s in errors if isinstance(diffusivities[s], Estimate)), key=str)
        if own:
            raise ValueError(f"diffusivity_errors gives an error for {own}, whose D is an "
                             "Estimate with its own error; give the error in one place only")
        d = {s: _diffusivity_estimate(v, errors.get(s, 0.0), s) for s, v in diffusivities.items()}
        temperature = _check_temperature(temperature)
        # the temperatures the inputs were computed at must be this one (before any work)
        _same_temperature(temperature, _analysis_temperature_used(conductivity),
                          "the conductivity analysis")
        _same_temperature(temperature, _analysis_temperature_used(diffusion),
                          "the Diffusion analysis (Yeh–Hummer)")
        # the runs behind a Diffusion analysis' D count their ions (few_ions_notes)
        runs = len(getattr(diffusion, "_estimated_from", None) or [None])
        segments = _shared_segments(conductivity, diffusion if given_d is None else None)
        self._compute(temperature, d, n_ions, charges, volume,
                      None if conductivity is None else _conductivity_estimate(conductivity),
                      _input_temperature_notes(diffusion, temperature, volume), n_runs=runs,
                      segments=segments)

    @classmethod
    def from_estimates(cls, *, temperature, diffusivities, n_ions, charges, volume,
                       conductivity=None):
        """Nernst–Einstein from D's (species -> Estimate, or a number in Å²/ps) and σ (as
        ``conductivity=`` of the constructor, or None), checked as the constructor checks them.
        """
        # through the constructor's checks: a D or σ given as a number raised AttributeError
        # ("'float' object has no attribute 'to'") and the temperature went unchecked
        return cls(temperature=temperature, diffusivities=diffusivities, n_ions=n_ions,
                   charges=charges, volume=volume, conductivity=conductivity)

    @classmethod
    def _from_collections_estimates(cls, collections, *, temperature, diffusivities, n_ions,
                                    charges, volume, conductivity, segments=None):
        obj = cls.__new__(cls)
        obj._compute(temperature, dict(diffusivities), n_ions, charges, volume, conductivity,
                     temperature_notes(collections, _check_temperature(temperature))
                     + volume_drift_notes(collections) + given_volume_notes(collections, volume),
                     n_runs=len(collections), segments=segments)
        return obj

    @classmethod
    def from_collections(cls, collections, *, temperature, conductivity=None, species=None,
                         **diffusion_parameters):
        """Nernst–Einstein of the charged species of collections (their D estimated here).

        ``diffusion_parameters`` go to :meth:`Diffusion.from_collections
        <mda_electrolyte.Diffusion.from_collections>`; ``conductivity`` as for the class (an
        Estimate, a run conductivity analysis, or a number in S/m with an optional error).
        """
        from .diffusion import Diffusion
        from .ion_collection import IonCollection

        if isinstance(collections, IonCollection):
            collections = [collections]
        temperature = _check_temperature(temperature)
        # refused before the diffusion estimate, as the class refuses it
        _same_temperature(temperature, _analysis_temperature_used(conductivity),
                          "the conductivity analysis")
        given_conductivity = conductivity
        if conductivity is not None:
            conductivity = _conductivity_estimate(conductivity)
        if diffusion_parameters.get("viscosity") is not None:
            # the Yeh–Hummer term of the D estimated here is at this temperature
            diffusion_parameters["temperature"] = temperature
        analysis = Diffusion.from_collections(collections, **diffusion_parameters)
        _refuse_unknown_inputs(analysis, "_charges_refusal")
        if diffusion_parameters.get("volume") is None:
            _refuse_unknown_inputs(analysis, "_volume_refusal")
        diff = analysis.results
        charged = carrier_names(collections[0], species, "NernstEinstein")
        return cls._from_collections_estimates(
            list(collections),
            temperature=temperature,
            diffusivities={s: diff.diffusion_coefficient[s] for s in charged},
            n_ions=diff.n_ions, charges=diff.charges, volume=diff.volume,
            conductivity=conductivity,
            segments=_shared_segments(given_conductivity, analysis),
        )

    def _compute(self, temperature, d, n_ions, charges, volume, conductivity, t_notes=(),
                 n_runs=1, segments=None):
        temperature = _check_temperature(temperature)
        if n_ions is None or charges is None or volume is None:
            missing = [
                k
                for k, v in (("n_ions", n_ions), ("charges", charges), ("volume", volume))
                if v is None
            ]
            raise ValueError(
                f"Nernst–Einstein needs {', '.join(missing)} (not known from the input)"
            )
        n_ions = _species_mapping("n_ions", n_ions, "number of ions")
        charges = _species_mapping("charges", charges, "ion charge in e")
        for label, mapping in (("n_ions", n_ions), ("charges", charges)):
            missing = sorted(set(d) - set(mapping))
            if missing:
                raise ValueError(f"{label} lacks species {missing}")
        volume = check_volume(volume)
        n_ions = dict(n_ions)
        for s in d:
            count, q = n_ions[s], charges[s]
            # the checked whole number: 4.0 passed the check and then failed in numpy
            # ("expected a sequence of integers or a single integer, got '4.0'")
            n_ions[s] = int(check_number(f"n_ions of {s!r}", count, integer=True, minimum=1,
                                         maximum=MAX_IONS))
            if check_ion_charge(f"the charge of {s!r} (e)", q) == 0:
                raise ValueError(f"the charge of {s!r} must be finite and non-zero (e), not {q!r}; "
                                 "leave uncharged species out of Nernst–Einstein")
        d = {s: e.to("Å^2/ps") for s, e in d.items()}
        for s, e in d.items():
            # only a D without a value is impossible; a slightly negative D of a nearly frozen
            # ion (an MSD slope of noise about zero) is a measurement, propagated with its error
            if not np.isfinite(e.value):
                raise ValueError(f"diffusivity of {s!r} must be a finite number, not {e.value}")
        pref = _SIEMENS_PER_METRE / (volume * constants.k * temperature)
        weight = {s: pref * n_ions[s] * charges[s] ** 2 for s in d}
        contrib = {s: weight[s] * d[s].value for s in d}
        contrib_err = {s: weight[s] * d[s].stderr for s in d}
        sigma = float(sum(contrib.values()))
        # a D whose error is unknown (NaN: a single ion of a single trajectory) makes σ_NE's
        # unknown too, not an overflow: it was refused as "the terms overflow ... (a unit
        # slip?)", hiding the D's own verdict
        unknown_err = [s for s in d if np.isnan(d[s].stderr)]
        with np.errstate(over="ignore"):
            # squares past the float range are inf, refused below (Python's ** raised an
            # OverflowError)
            terms = [sigma, *contrib.values(),
                     float(np.sum(np.square([e for s, e in contrib_err.items()
                                             if s not in unknown_err])))]
        if not np.all(np.isfinite(terms)) or abs(sigma) > MAX_IONIC_CONDUCTIVITY:
            # finite inputs whose product overflows (a D of 1e300 Å²/ps): no number to report;
            # one just below the float limit (4e301 S/m, or a volume of 1e-300 Å³) was valid
            shown = ", ".join(f"{s}: {e.value:g} ± {e.stderr:g}" for s, e in d.items())
            size = ("overflow" if not np.all(np.isfinite(terms)) else
                    f"give σ_NE = {sigma:.3g} S/m, beyond any ionic conductor (at most "
                    f"{MAX_IONIC_CONDUCTIVITY:g} S/m; molten salts reach a few hundred)")
            raise ValueError(
                f"the Nernst–Einstein terms {size}: diffusivities and diffusivity_errors "
                f"({shown} Å²/ps), n_ions, charges, volume ({volume:g} Å³) and temperature "
                f"({temperature:g} K) must be of physical size (a unit slip?)"
            )
        if sigma == 0:
            raise ValueError(
                "the Nernst–Einstein conductivity is zero: all diffusivities are zero, so "
                "transference numbers and α_d (divided by it) do not exist"
            )
        # σ_NE sums N_s z_s² D_s: as few ions as its D's, counted here from n_ions (D given as
        # numbers carries no count); a D's own "too few ions" is this one, said once
        few = tuple(few_ions_notes({s: n_ions[s] for s in d}, n_runs=n_runs))
        own_d = {s: _verdict_without_few(s, e, n_ions[s], n_runs) for s, e in d.items()
                 if not e.valid}
        notes = few + tuple(f"D of {s}: {v}" for s, v in own_d.items() if v)
        notes += tuple(_negative_diffusivity_notes(d)) + tuple(t_notes)
        notes += tuple(dilution_notes(sum(n_ions[s] for s in d), volume))
        net = net_charge(list(d), [np.full(n_ions[s], float(charges[s])) for s in d])
        if net is not None:
            # accepted (the counter-ions may be left out on purpose), but σ_NE then lacks their
            # terms: Li⁺ alone gave t_Li = 1 ± 0 and α_d = σ / σ_NE(Li) as valid results
            notes += (f"the species given carry a net charge of {net[0]:+.4g} e ({net[1]}): "
                      "σ_NE sums only their terms, not the system's, and so do t and α_d; "
                      "give the D of every charged species, the counter-ions too (in the "
                      "Diffusion's ions, or in diffusivities=)",)
        if sigma < 0:
            notes += (f"σ_NE = {sigma:.3g} S/m is not positive (the diffusivities are noise "
                      "about zero)",)
        method = "propagated from the errors of D (first order)"
        sne_err = float(np.sqrt(sum(e**2 for e in contrib_err.values())))
        sne_dof = propagated_dof((contrib_err[s], d[s].dof) for s in d)
        sne_method = method
        sigma_seg, d_segs = segments if segments is not None else (None, None)
        ne_seg = _sigma_ne_segments(d_segs, weight)
        if ne_seg is not None:
            # the D's of one run's segments are correlated (the drift removed from one
            # reference moves cations against anions): taken as independent, σ_NE's error was
            # 1.09-1.15 times its scatter over replicas (4 and 2 ions per species)
            _, sne_err, sne_dof = mean_error(ne_seg.values)
            sne_err, sne_dof = float(sne_err), int(sne_dof)
            sne_method = (f"t-scaled standard error over the {ne_seg.values.size} segments of "
                          "σ_NE (its D's of the same segments, their covariance included)")
        res = Results()
        # a sum of D's, right-skewed as they are: its symmetric interval missed σ_NE above in
        # 5.3 % of replicas and below in 0.7 % (one ion per species); on the log scale as D's
        res.conductivity = Estimate(
            sigma, sne_err, "S/m", sne_method,
            n_samples=min(e.n_samples for e in d.values()), converged=not notes, notes=notes,
            dof=sne_dof, interval_scale="log" if sigma > 0 else "linear",
        )
        _conductivity_aliases(res)
        # each species' term N_s z_s² D_s e²/(V k_B T) with its error and its D's verdict
        res.contributions = {}
        for s in d:
            own = tuple(few_ions_notes({s: n_ions[s]}, n_runs=n_runs))
            own += tuple(f"D of {s}: {n}" for n in d[s].notes if not d[s].valid
                         and n not in own)
            own += tuple(_negative_diffusivity_notes({s: d[s]}))
            # a positive multiple of D: D's interval scaled
            res.contributions[s] = Estimate(contrib[s], contrib_err[s], "S/m", method,
                                            d[s].n_samples, converged=not own, notes=own,
                                            dof=d[s].dof,
                                            interval_scale=("log" if contrib[s] > 0
                                                            else "linear"))
        res.transference = {s: float(c / sigma) for s, c in contrib.items()}
        res.transference_numbers = {}
        for s in d:
            # ∂t_s/∂c_j = (δ_sj σ - c_s) / σ²
            # (σ² overflowed, an OverflowError, for terms near the float limit)
            grad = {j: ((1.0 if j == s else 0.0) - contrib[s] / sigma) / sigma for j in d}
            terms = [(grad[j] * contrib_err[j], d[j].dof) for j in d]
            err, t_dof, t_method = (float(np.sqrt(sum(a**2 for a, _ in terms))),
                                    propagated_dof(terms), method)
            if ne_seg is not None:
                # t_s = c_s/σ_NE, a ratio of terms of the same segments
                term = SegmentValues(ne_seg.runs, ne_seg.n_blocks,
                                     weight[s] * d_segs[s].values)
                err, t_dof = term.ratio_error(ne_seg)
                t_method = (f"first order, from the joint scatter of N_s z_s² D_s and σ_NE "
                            f"over their {ne_seg.values.size} segments (t-scaled)")
            res.transference_numbers[s] = Estimate(
                res.transference[s], err, "1", t_method, res.conductivity.n_samples,
                converged=not notes, notes=notes, dof=t_dof,
            )
        res.temperature = temperature
        res.volume = volume
        # the inputs σ_NE is made of, kept with it (the summary's settings)
        res.n_ions = {s: int(n_ions[s]) for s in d}
        res.charges = {s: float(charges[s]) for s in d}
        res.dissociation = res.collective_conductivity = None
        if conductivity is not None:
            res.collective_conductivity = conductivity
            s_val, s_err = conductivity.value, conductivity.stderr
            alpha = s_val / sigma
            # ∂α/∂σ = 1/σ_NE, ∂α/∂σ_NE = -α/σ_NE: absolute, so σ = 0 ± δσ gives 0 ± δσ/σ_NE
            # (a relative error of σ would be 0/0 there)
            terms = [(s_err / sigma, conductivity.dof),
                     (alpha * res.conductivity.stderr / sigma, res.conductivity.dof)]
            alpha_err = float(np.hypot(*(a for a, _ in terms)))
            alpha_dof = propagated_dof(terms)
            alpha_method = "propagated from the errors of σ and σ_NE (first order)"
            if (sigma_seg is not None and ne_seg is not None
                    and sigma_seg.same_segments(ne_seg)):
                # σ and the D's of one trajectory's segments rise and fall together: taken as
                # independent, α_d's error was 1.3 times its scatter over replicas
                alpha_err, alpha_dof = sigma_seg.ratio_error(ne_seg)
                n_seg = ne_seg.values.size
                alpha_method = (f"first order, from the joint scatter of σ and σ_NE over the "
                                f"{n_seg} segments they share (t-scaled)")
            a_notes = notes + tuple(f"σ: {n}" for n in conductivity.notes
                                    if not conductivity.valid)
            if not s_val > 0:
                # a degree of dissociation is a positive fraction; σ <= 0 is noise, not a result
                a_notes += (f"σ = {s_val:.3g} S/m is not positive",)
            # a ratio of right-skewed positive coefficients: its symmetric interval missed α_d
            # above in 3.9 % of replicas, below in 0.9 %; on the log scale 2.5 % / 1.9 %
            res.dissociation = Estimate(
                alpha, alpha_err, "1", alpha_method,
                n_samples=min(conductivity.n_samples, res.conductivity.n_samples),
                converged=not a_notes, notes=a_notes, dof=alpha_dof,
                interval_scale="log" if alpha > 0 else "linear",
            )
            res.alpha_d, res.alpha_d_err = _pair(res.dissociation)
        self.results = res

    @draws_user_text
    def plot(self, ax=None):
        """Bar chart of the species' Nernst–Einstein terms, with σ if given.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = axes_to_draw_into(ax)
        r = self.results
        names = list(r.contributions) + ["σ_NE"]
        estimates = list(r.contributions.values()) + [r.conductivity]
        if r.dissociation is not None:
            names.append("σ")
            estimates.append(r.collective_conductivity)
        # each bar with its own error bar, hatched when its own number is not valid (a valid
        # σ_NE beside a σ that is not was drawn alike)
        estimate_bars(ax, names, [e.to("S/m") for e in estimates])
        ax.set_ylabel("conductivity (S/m)")
        title = "Nernst–Einstein"
        if r.dissociation is not None:
            title += f": α_d = {estimate_label(r.dissociation, reason=False)}"
        ax.set_title(title)
        mark_invalid(ax, *estimates, r.dissociation)
        return ax


def _shared_segments(conductivity, diffusion):
    """(σ's :class:`~mda_electrolyte.correlation.SegmentValues` or ``None``, species -> the
    D's SegmentValues or ``None``) of a run conductivity analysis and of the run Diffusion whose
    D's NernstEinstein takes. The D's are kept only when all are of the same segments; σ_NE,
    its transference numbers and α_d then take their errors from the segments' joint scatter
    (α_d only when σ's segments are those too). ``None`` stands for no segments: an Estimate or
    a number, D's given apart, a Diffusion of one segment."""
    sigma = getattr(conductivity, "_conductivity_segments", None)
    ds = getattr(diffusion, "_diffusion_segments", None) or None
    if ds is not None:
        first = next(iter(ds.values()))
        if not all(first.same_segments(seg) for seg in ds.values()):
            ds = None
    return sigma, ds


def _sigma_ne_segments(d_segs, weight):
    """σ_NE per segment, ``Σ_s weight_s D_s,k`` (``weight``: species -> S/m per Å²/ps), or
    ``None`` where some species' D has no segment values or their mean is not positive."""
    if d_segs is None or not set(weight) <= set(d_segs):
        return None
    first = d_segs[next(iter(weight))]
    total = first.scaled_sum((weight[s], d_segs[s]) for s in weight)
    # a σ_NE of segments averaging to zero or below has no ratio to take (and is not valid)
    return total if total.values.mean() > 0 else None


#: A diffusivity this many of its errors below zero is not noise about zero.
NEGATIVE_D_SIGMAS = 2.0


def _few_ions_notes(collections, names):
    """:func:`~mda_electrolyte.carriers.few_ions_notes` of the carriers ``names`` of the
    collections of independent runs (none where the counts are unknown: species currents given
    without them)."""
    first = collections[0]
    if not getattr(first, "ion_counts_known", True):
        return []
    return few_ions_notes({n: first.n_ions[first.species.index(n)] for n in names},
                          n_runs=len(collections))


def _dilution_notes(collections, names, volume=None):
    """:func:`~mda_electrolyte.carriers.dilution_notes` of the charged carriers ``names`` of
    each collection in ``volume`` (Å³; default its box's), none where the counts or charges
    are unknown."""
    notes = []
    for col in collections:
        if not getattr(col, "ion_counts_known", True):
            continue
        charged = 0
        for n in names:
            q = col.charges[col.species.index(n)]
            if q is not None:
                charged += int(np.count_nonzero(q))
        where = f" of {col.label}" if len(collections) > 1 and col.label else ""
        notes += dilution_notes(charged, col.volume if volume is None else volume, where)
    return list(dict.fromkeys(notes))


def _verdict_without_few(species, est, n_ions, n_runs):
    """The verdict of the D of ``species`` without the "too few ions" note of its ``n_ions``
    (Nernst–Einstein says it itself, once for all species); its other reasons stay."""
    drop = set(few_ions_notes({species: n_ions}, n_runs=n_runs))
    return "; ".join(n for n in est.notes if n not in drop)


def _negative_diffusivity_notes(d):
    """Why negative diffusivities (species -> Estimate in Å²/ps) are not noise about zero.

    A D below zero by less than :data:`NEGATIVE_D_SIGMAS` of its errors is consistent with a
    nearly frozen ion and stays a valid input; one further below, or with an unknown error, is
    not a measurement of a diffusivity.
    """
    for s, e in d.items():
        if e.value >= 0:
            continue
        if not np.isfinite(e.stderr) or e.stderr == 0:
            yield (f"D of {s} = {e.value:.3g} Å²/ps is negative without an error to say whether "
                   "it is noise about zero")
        elif e.value < -NEGATIVE_D_SIGMAS * e.stderr:
            yield (f"D of {s} = {e.number_text()} Å²/ps is negative by more than "
                   f"{NEGATIVE_D_SIGMAS:g} of its errors (not noise about zero)")


def _refuse_unknown_inputs(diffusion, which):
    """Refuse what a Diffusion could not say for σ_NE, with its reason: the volume of a box
    that varied by more than 5 % (``"_volume_refusal"``: the conductivities refuse it, an NPT
    run still compressing) or the charge of a species mixing ions of different charge
    (``"_charges_refusal"``)."""
    refusal = getattr(diffusion, which, None)
    if refusal:
        raise ValueError(f"Nernst–Einstein: {refusal}")


def _same_temperature(temperature, used, what):
    """Refuse a Nernst–Einstein temperature (K) other than the one (K, or ``None``: not known)
    an input was computed at: σ and the Yeh–Hummer term are divided by k_B T, so α_d = σ/σ_NE
    with σ at another temperature is off by their ratio."""
    if used is None:
        return
    used = float(used)
    if not np.isclose(used, temperature, rtol=1e-6, atol=0.0):
        raise ValueError(
            f"Nernst–Einstein at temperature={temperature:g} K, but {what} used {used:g} K: "
            "give the same temperature to both"
        )


def _analysis_temperature_used(analysis):
    """The temperature (K) a run analysis divided by (``None`` when it used none or is not an
    analysis: an Estimate or a number carries no temperature)."""
    if getattr(analysis, "results", None) is None:
        return None
    used = getattr(analysis, "_temperature", None)
    if used is None:
        used = analysis.results.get("temperature")
    return None if used is None or np.ndim(used) != 0 else float(used)


def _input_temperature_notes(diffusion, temperature, volume=None):
    """Verdict notes when the velocities of the trajectories a run Diffusion read have a
    kinetic temperature far from ``temperature`` (see
    :func:`~mda_electrolyte.carriers.temperature_notes`), or their boxes a volume far from
    ``volume`` (Å³, :func:`~mda_electrolyte.carriers.given_volume_notes`)."""
    collections = getattr(diffusion, "_estimated_from", None) or []
    # judged by their files' recorded temperature where the Diffusion read one
    judge = getattr(diffusion, "_temperature_notes", None)
    notes = (judge(collections, temperature) if callable(judge) and collections
             else temperature_notes(collections, temperature))
    # and a volume still drifting: σ_NE divides by the mean volume of those runs
    return (notes + volume_drift_notes(collections)
            + given_volume_notes(collections, volume))


def _pair(est):
    """(value, stderr) floats of an Estimate: the documented float aliases of the results."""
    return float(est.value), float(est.stderr)


def _conductivity_aliases(res):
    """Float aliases of ``res.conductivity``: sigma, sigma_err, mS/cm variants, verdict, valid."""
    est = res.conductivity
    res.sigma, res.sigma_err = _pair(est)
    res.sigma_mS_cm, res.sigma_err_mS_cm = _pair(est.to("mS/cm"))
    res.verdict = est.verdict
    res.valid = est.valid


def carrier_names(collection, species, who):
    """Species of ``collection`` that carry charge (known and nonzero), or the ``species`` given.

    Raises
    ------
    ValueError
        Given species that are not collected or have no charges, or no charged species.
    """
    species = species_list(species, who)
    if species is not None:
        for s in species:
            if s not in collection.species:
                raise ValueError(f"{who}: species {s!r} is not collected "
                                 f"(collected: {collection.species})")
            q = collection.charges[collection.species.index(s)]
            if q is None or np.any(q == 0):
                raise ValueError(f"{who}: species {s!r} has no (or zero) charge")
        return list(species)
    names = [s for s, q in zip(collection.species, collection.charges, strict=True)
             if q is not None and np.all(q != 0)]
    partly = {s: int(np.count_nonzero(q)) for s, q in zip(collection.species,
                                                          collection.charges, strict=True)
              if q is not None and np.any(q != 0) and not np.all(q != 0)}
    if partly:
        # left out as uncharged, such a species was named nowhere: the rest was refused as
        # "a net charge of +4 e (Li +4 e)", or summed without the species' charged ions
        shown = ", ".join(f"{s!r} ({k} of {collection.n_ions[collection.species.index(s)]} "
                          "ions charged)" for s, k in partly.items())
        raise ValueError(f"{who}: species {shown} mix charged and uncharged ions: select the "
                         "charged ions as a species of their own (or give their charges)")
    if not names:
        raise ValueError(f"{who}: no collected species carries a charge")
    return names


def _conductivity_estimate(x):
    """σ for α_d as an Estimate: an Estimate, an analysis' ``results.conductivity``, S/m number
    or (value, error) pair."""
    if isinstance(x, Estimate):
        est = x
    elif hasattr(x, "results"):
        if "conductivity" not in x.results:
            # an analysis not run, or whose last run was refused: float() of it was a TypeError
            raise ValueError(f"conductivity: the {type(x).__name__} has no result (not run, or "
                             "its last run was refused); run it first")
        est = x.results.conductivity
    else:
        try:
            if isinstance(x, (str, bytes)):
                raise TypeError  # "1.0" read as 1 S/m, "abc" a bare ValueError of float()
            value, err = (x, 0.0) if np.ndim(x) == 0 else tuple(x)
            if any(isinstance(v, (bool, np.bool_, str, bytes)) for v in (value, err)):
                raise TypeError  # True read as 1 S/m
            value, err = float(value), float(err)
        except (TypeError, ValueError):
            raise ValueError(f"conductivity must be an Estimate, a run conductivity analysis, "
                             f"or a number in S/m with an optional error, not {x!r:.80}") from None
        if not (np.isfinite(value) and np.isfinite(err) and err >= 0):
            est = None
        else:
            # given, not measured: Estimate(..., "given") read "1.00 ± 0.10 S/m (valid)"
            est = Estimate.given_value(value, "S/m", err, source="conductivity=")
    if est is None or not (np.isfinite(est.value) and np.isfinite(est.stderr)
                           and est.stderr >= 0):
        shown = x if est is None else f"{est.value} ± {est.stderr}"
        # a refused or failed conductivity must not turn into a NaN alpha_d
        raise ValueError(
            f"conductivity must be finite with a finite, non-negative error (S/m), not {shown}"
        )
    est = est.to("S/m")
    if max(abs(est.value), est.stderr) > MAX_IONIC_CONDUCTIVITY:
        # 1e308 S/m gave a "valid" degree of dissociation of 1e306
        raise ValueError(
            f"conductivity = {est.value:g} ± {est.stderr:g} S/m is beyond any ionic conductor "
            "(at most "
            f"{MAX_IONIC_CONDUCTIVITY:g} S/m; molten salts reach a few hundred): a unit slip?"
        )
    return est


def _species_mapping(name, value, what):
    """``value`` as a dict of species -> ``what``, or TypeError naming ``name`` (a list of
    charges failed with "cannot convert dictionary update sequence element #0")."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict {{species name: {what}}}, not "
                        f"{type(value).__name__} {value!r:.80}")
    return dict(value)


#: Smallest magnitude of a non-zero D given as a number (Å²/ps; 1e-15 m²/s): below any liquid
#: (ionic liquids near their glass transition diffuse at ~1e-13 m²/s), where a D in m²/s of a
#: liquid (1e-9 to 1e-12) lands, read as Å²/ps 1e8 times too small.
MIN_GIVEN_DIFFUSIVITY = 1e-7


def _diffusivity_estimate(value, error, species):
    if isinstance(value, Estimate):
        return value
    value = check_number(f"diffusivity of {species!r}", value)  # diffusivities[species], Å²/ps
    error = check_number(f"diffusivity_errors[{species!r}] (Å²/ps)", error, minimum=0)
    if 0 < abs(value) < MIN_GIVEN_DIFFUSIVITY:
        # 1e-10 (m²/s) was read as 1e-10 Å²/ps: σ_NE = 1.2e-8 S/m, valid
        raise ValueError(
            f"diffusivity of {species!r} = {value:g} Å²/ps ({value * 1e-8:g} m²/s) is below any "
            f"liquid's (at least {MIN_GIVEN_DIFFUSIVITY:g} Å²/ps): give D in Å²/ps (a D in "
            f"m²/s is 1e8 times smaller: {value:g} m²/s = {value * 1e8:g} Å²/ps), or an "
            "Estimate with its unit")
    return Estimate.given_value(value, "Å^2/ps", error, source="diffusivities=")


class TemperatureCount(NamedTuple):
    """How a kinetic temperature counts its degrees of freedom
    (:func:`ase_electrolyte.md.temperature_dof`).

    ``dof``: N_dof; ``com_removed``: whether the centre of mass is left out; ``how``: where
    the count comes from (the file's statement, the caller's arguments, or assumed), for the
    method text of a temperature; ``doubt``: ``None``, or why the assumed count is not to be
    trusted (bonds whose lengths stay constant, as constraints keep them), the verdict of a
    temperature counted so; ``stated``: whether the count is the one an H5MD file of run_md
    states (the velocities' temperature is then the run's recorded one, whatever the number
    of atoms: :func:`~mda_electrolyte.carriers.run_temperature`).
    """

    dof: int
    com_removed: bool
    how: str
    doubt: str | None = None
    stated: bool = False


#: Frames spread over a trajectory whose bond lengths :func:`rigid_bonds` compares.
RIGID_PROBE_FRAMES = 5

#: Standard deviation (Å) of a constrained bond's length over frames: SHAKE, RATTLE and LINCS
#: keep lengths to about 1e-4 of a bond (1e-4 Å; SETTLE to the round-off). A flexible bond of
#: 300 K varies by some 0.02 Å (0.006 Å at 20 K).
RIGID_BOND_TOLERANCE = 3.0e-4

#: The stiffest covalent bond of an electrolyte's molecules, eV/Å²: a nitrile's C≡N, 18 mdyn/Å
#: (O–H 7.8, C=O 12). A flexible bond's length varies at least by sqrt(k_B T / k) at T.
STIFFEST_BOND_EV_A2 = 18.0 * 6.2415

#: Lowest temperature (K) a flexible bond is assumed to vibrate at where the frames carry no
#: velocities to tell the run's.
_PROBE_TEMPERATURE_FLOOR = 10.0

#: Chance of a wrong call of either kind in :func:`rigid_bonds`' test of each bond kind.
_RIGID_TEST_ALPHA = 1e-3

#: Bonded pairs found by distance when the topology has no bonds (Å): covalent bonds of
#: electrolytes (C–H 1.09, P–F 1.6) are shorter, contacts between molecules (Li–O 1.9) longer.
_BOND_GUESS_CUTOFF = 1.75

#: Grids (Å, or fractions of the box for scaled coordinates) a file may round positions to,
#: coarsest first: GRO and XTC 0.01 Å, PDB 0.001 Å, a LAMMPS dump as its format says.
_POSITION_GRIDS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)


def _on_grid(values, grid, size):
    """Whether every value (differences from a reference atom, so that an origin a reader
    shifted them by does not matter) lies on multiples of ``grid``, to within the float32
    resolution of values of ``size``."""
    slack = 0.05 + 4.0 * np.finfo(np.float32).eps * size / grid
    if slack > 0.25:
        return False
    scaled = values / grid
    close = np.abs(scaled - np.round(scaled)) < slack
    # most, not all: an atom a reader wrapped back into the box by a length off the grid
    # (a GRO box has 1e-4 Å) leaves it; values off any grid fall within the slack by chance
    # (at most 1 in 2) far below 9 in 10 of 30 or more
    return bool(np.mean(close) >= 0.9) if close.size >= 30 else bool(np.all(close))


def _rounding_variance(positions, box):
    """Variance (Å²) that rounding of the positions adds to a bond length: Σ_a δ_a² / 18 for
    the grid δ_a a format rounds axis a to (uniform errors δ²/12 on both atoms, projected on a
    bond of random direction), from the coarsest grid the positions (Cartesian, or scaled by
    the box as a LAMMPS dump's ``xs ys zs``) lie on; else the float32 resolution of the data."""
    from MDAnalysis.lib.mdamath import triclinic_vectors

    size = float(np.max(np.abs(positions))) + 1.0
    floor = (np.finfo(np.float32).eps * size) ** 2 / 6.0
    cart = positions - positions[0]
    for grid in _POSITION_GRIDS:
        if _on_grid(cart, grid, size):
            return max(grid**2 / 6.0, floor)
    if box is not None and np.all(np.isfinite(box)) and np.all(box[:3] > 0):
        cell = triclinic_vectors(box).astype(np.float64)
        frac = positions @ np.linalg.inv(cell)
        frac = frac - frac[0]
        for grid in _POSITION_GRIDS:
            if _on_grid(frac, grid, 1.0 + float(np.max(np.abs(frac)))):
                return max(grid**2 * float(np.sum(cell**2)) / 18.0, floor)
    return floor


def rigid_bonds(universe, atoms=None, n_frames=RIGID_PROBE_FRAMES, temperature=None):
    """Bond kinds whose lengths stay constant over frames spread over the trajectory, as
    constraints (SETTLE, SHAKE, LINCS) keep them.

    A cheap test (``n_frames`` frames read, the trajectory left on its frame) of whether a
    trajectory without a statement of its count had constraints: its kinetic temperature
    counted 3N − 3 then reads too cold (rigid water: 6 of 9 degrees of freedom per
    molecule, 300 K read as 200 K). Bonds are the topology's, else pairs of atoms of one
    residue closer than 1.75 Å in the first frame. For each kind (residue name and the two
    elements) the median over its bonds of each bond's variance over the frames is compared
    (tests at 10⁻³ of its order statistic of χ² variables) with two hypotheses. Rigid: the
    variance that rounding of the file's positions adds (from the grid they lie on: GRO and
    XTC 0.01 Å, PDB 0.001 Å, a LAMMPS dump's ``%.Nf`` in Å or of the box for scaled
    coordinates) plus a constrained bond's :data:`RIGID_BOND_TOLERANCE`. Flexible: rounding
    plus the thermal variance :math:`k_B T / k` of the stiffest bond
    (:data:`STIFFEST_BOND_EV_A2`) at the temperature the frames' velocities give counted
    3N − 3 (a lower bound of the run's), or 10 K without velocities. A kind consistent with
    rigid and not with flexible is rigid; one consistent with both (positions rounded too
    coarsely for so few bonds and frames) cannot be told: a UserWarning says so, and the
    kind is not listed.

    Parameters
    ----------
    universe : MDAnalysis.Universe
    atoms : MDAnalysis.AtomGroup, optional
        The atoms whose bonds are judged (default all).
    n_frames : int
        Frames read (at least 3; fewer frames in the trajectory: nothing is judged).
    temperature : float, optional
        A lower bound of the run's temperature, K (default: from the velocities, see above).

    Returns
    -------
    list of str
        ``"O-H of H2O (lengths within 2e-06 Å)"`` for each rigid kind; empty when none is, or
        when the trajectory has fewer than 3 frames or no bonds.

    Warns
    -----
    UserWarning
        "cannot tell whether ... are rigid" for kinds the positions' precision cannot judge.
    """
    from MDAnalysis.lib.distances import calc_bonds, capped_distance
    from scipy import stats

    from ase_electrolyte.md import velocity_temperature
    from ase_electrolyte.units import VELOCITY_TO_ANGSTROM_PER_PS

    # a list or an AtomGroup raised AttributeError ('list' object has no attribute 'atoms')
    universe = check_universe("universe", universe)
    atoms = universe.atoms if atoms is None else atoms
    n_frames = check_number("n_frames", n_frames, integer=True, minimum=3)
    temperature = check_number("temperature (K)", temperature, above=0, allow_none=True)
    traj = universe.trajectory
    if traj.n_frames < 3 or atoms.n_atoms < 2:
        return []
    frames = np.unique(np.linspace(0, traj.n_frames - 1, min(n_frames, traj.n_frames))
                       .astype(int))
    try:
        masses = kinetic_masses(atoms)
    except (AttributeError, ValueError):
        masses = None
    with kept_frame(traj):
        traj[int(frames[0])]
        pairs = None
        if hasattr(universe, "bonds") and len(atoms.bonds):
            inside = np.isin(atoms.bonds.indices, atoms.ix).all(axis=1)
            pairs = np.searchsorted(np.sort(atoms.ix), atoms.bonds.indices[inside])
            order = np.argsort(atoms.ix)
            pairs = order[pairs] if pairs.size else pairs
        if pairs is None or not len(pairs):
            box = traj.ts.dimensions
            pairs = capped_distance(atoms.positions, atoms.positions, _BOND_GUESS_CUTOFF,
                                    box=box, return_distances=False)
            pairs = pairs[pairs[:, 0] < pairs[:, 1]]
            pairs = pairs[atoms.resindices[pairs[:, 0]] == atoms.resindices[pairs[:, 1]]]
        if not len(pairs):
            return []
        lengths, rounding, temperatures = [], 0.0, []
        for frame in frames:
            ts = traj[int(frame)]
            pos = atoms.positions.astype(np.float64)
            rounding = max(rounding, _rounding_variance(pos, ts.dimensions))
            lengths.append(calc_bonds(pos[pairs[:, 0]], pos[pairs[:, 1]], box=ts.dimensions))
            if (temperature is None and ts.has_velocities and masses is not None
                    and np.all(np.isfinite(masses)) and atoms.n_atoms > 1):
                v = atoms.velocities.astype(np.float64) / VELOCITY_TO_ANGSTROM_PER_PS
                if np.all(np.isfinite(v)):
                    temperatures.append(velocity_temperature(
                        np.clip(masses, 0, None), v, 3 * atoms.n_atoms - 3))
    lengths = np.asarray(lengths)
    if temperature is None:
        # 3N − 3 overcounts a constrained run's degrees of freedom: its temperature reads low,
        # a lower bound of the run's, as the flexible hypothesis wants
        temperature = (float(np.mean(temperatures)) if temperatures and np.mean(temperatures) > 0
                       else _PROBE_TEMPERATURE_FLOOR)
    from ase.units import kB

    thermal = kB * temperature / STIFFEST_BOND_EV_A2
    names = (atoms.elements if hasattr(atoms, "elements") else
             atoms.names if hasattr(atoms, "names") else np.full(atoms.n_atoms, "atom"))
    residue = (atoms.resnames if hasattr(atoms, "resnames")
               else np.full(atoms.n_atoms, "its molecule"))
    kinds = {}
    for k, (i, j) in enumerate(pairs):
        pair = "-".join(sorted((str(names[i]), str(names[j]))))
        kinds.setdefault(f"{pair} of {residue[i]}", []).append(k)
    rigid, unclear = [], []
    n_read = lengths.shape[0]
    for kind, members in kinds.items():
        sample = lengths[:, members]
        # the median over bonds of each bond's variance over the frames: one bond split by a
        # box a file does not carry (XYZ), or a contact taken for a bond, weighs no more than
        # another; its quantiles are the chi-square's at the Beta quantiles of the middle
        # order statistic
        m, dof = len(members), n_read - 1
        middle = np.median(np.var(sample, axis=0, ddof=1))
        order = stats.beta((m + 1) // 2, m + 1 - (m + 1) // 2)

        def bound(variance, q, dof=dof, order=order):
            return variance * stats.chi2.ppf(order.ppf(q), dof) / dof

        if middle > bound(rounding + RIGID_BOND_TOLERANCE**2, 1 - _RIGID_TEST_ALPHA):
            continue
        if middle < bound(rounding + thermal, _RIGID_TEST_ALPHA):
            rigid.append(f"{kind} (lengths within {np.median(np.ptp(sample, axis=0)):.1g} Å)")
        else:
            unclear.append(kind)
    if unclear:
        warnings.warn(
            f"cannot tell whether the bonds {'; '.join(unclear[:3])}"
            f"{' ...' if len(unclear) > 3 else ''} are rigid: the positions are rounded to "
            f"about {np.sqrt(6.0 * rounding):.2g} Å, which hides a flexible bond's spread at "
            f"{temperature:.3g} K over {n_read} frames; if the run had constraints, give them "
            "(constraints=, com_removed=; electrolyte analyze --constraints), or the "
            "temperature", UserWarning, stacklevel=2)
    return rigid


def _checked_count(constraints, com_removed):
    """``constraints`` (a whole number >= 0) and ``com_removed`` (a flag), each or None,
    checked: the one check of the count's arguments (run_analyses' and the analyses')."""
    constraints = check_number("constraints (rigid bonds and angles of the run)", constraints,
                               integer=True, minimum=0, allow_none=True)
    if com_removed is not None:
        check_flag("com_removed", com_removed)
        com_removed = bool(com_removed)
    return constraints, com_removed


def _universe_temperature_count(universe, constraints=None, com_removed=None, atoms=None,
                                probe=True):
    """The :class:`TemperatureCount` of a Universe's kinetic temperature: run_md's and
    GROMACS'/LAMMPS' N_dof = 3N − N_constraints − 3 (:func:`ase_electrolyte.md.
    temperature_dof`), as an H5MD file of run_md states it, else from the arguments (see
    :func:`kinetic_temperature`), else assumed without constraints and with the centre of mass
    at rest, doubted where :func:`rigid_bonds` finds bonds held constant (``probe``).
    Arguments that contradict the file's statement are refused.

    ``atoms``: the AtomGroup counted (default all; the file's statement, and the arguments,
    hold for all of them only: a part is counted 3n − 3). N counts the atoms with mass: a
    massless virtual site (TIP4P's M) moves with its molecule, no degree of freedom (GROMACS
    counts none)."""
    from MDAnalysis.exceptions import NoDataError

    from ase_electrolyte.md import temperature_dof
    from ase_electrolyte.trajectory import stated_temperature_count

    atoms = universe.atoms if atoms is None else atoms
    everything = atoms.n_atoms == universe.atoms.n_atoms
    constraints, com_removed = _checked_count(constraints, com_removed)
    given = constraints is not None or com_removed is not None
    if given and not everything:
        raise ValueError(
            f"constraints= and com_removed= count the degrees of freedom of the whole run, "
            f"but the temperature is of {atoms.n_atoms} of its {universe.atoms.n_atoms} atoms: "
            "select every molecule (solvent too) or leave them out")
    try:
        # the masses the run integrated with (heavy hydrogen), which equipartition holds for
        masses = kinetic_masses(atoms)
    except NoDataError:
        raise ValueError("the topology has no masses, which a kinetic temperature weighs the "
                         "velocities by: add them (universe.add_TopologyAttr('masses', ...)) "
                         "or give the temperature (K)") from None
    if not np.all(np.isfinite(masses)) or np.any(masses < 0):
        raise ValueError("the atoms' masses must be finite and not negative for a kinetic "
                         f"temperature (amu), got {masses[~(masses >= 0)][:3]}")
    n_atoms = int(np.count_nonzero(masses > 0))
    name = getattr(universe.trajectory, "filename", None) if everything else None
    stated = stated_temperature_count(name) if name else None
    if stated is not None and 0 < stated[0] <= 3 * n_atoms:
        dof, com = stated
        stated_constraints = 3 * n_atoms - 3 * (com and n_atoms > 1) - dof
        if (constraints is not None and constraints != stated_constraints) or (
                com_removed is not None and com_removed != com):
            said = []
            if constraints is not None:
                said.append(f"constraints={constraints}")
            if com_removed is not None:
                said.append(f"com_removed={com_removed}")
            raise ValueError(
                f"{', '.join(said)} contradicts {name}, whose run states the count of its "
                f"temperatures: N_dof = {dof} ({stated_constraints} constraints, centre of mass "
                f"{'at rest' if com else 'moving'}); leave out constraints= and com_removed= "
                "(the file's count is used), or give the file's values")
        return TemperatureCount(dof, com, f"N_dof = {dof} as {name} states it",
                                stated=True)
    com = (True if com_removed is None else com_removed) and n_atoms > 1
    dof = temperature_dof(n_atoms, constraints or 0, com)
    if dof <= 0:
        raise ValueError(
            f"{n_atoms} atoms with mass and {constraints or 0} constraints"
            f"{' with the centre of mass at rest' if com else ''} leave {dof} degrees of "
            "freedom: no temperature; give the run's constraints (rigid bonds, angles)")
    formula = (f"N_dof = 3N{f' - {constraints}' if constraints else ''}"
               f"{' - 3' if com else ''} = {dof}")
    if given:
        return TemperatureCount(dof, com, f"{formula} (constraints={constraints or 0}, "
                                f"com_removed={com} given)")
    how = (f"{formula} assumed (no constraints, centre of mass at rest: the trajectory "
           "states no count)")
    rigid = rigid_bonds(universe, atoms) if probe else []
    doubt = None
    if rigid:
        doubt = (f"temperature count assumed 3N - 3 = {dof}, but the bonds "
                 f"{'; '.join(rigid[:3])}{' ...' if len(rigid) > 3 else ''} keep their lengths "
                 "as constraints keep them, which take degrees of freedom (3 per rigid water, "
                 "1 per constrained bond): the temperature reads too low, and what is divided "
                 "by it too high; give the run's constraints= and com_removed= (electrolyte "
                 "analyze --constraints, --com-removed), or the temperature (--temperature)")
    return TemperatureCount(dof, com, how, doubt)


def kinetic_temperature(universe, max_frames=200, constraints=None, com_removed=None):
    """Mean kinetic temperature of the whole system, counted as run_md, GROMACS and LAMMPS
    count it: 2 (K − P²/2M) / (N_dof k_B) with N_dof = 3N − N_constraints − 3
    (:func:`ase_electrolyte.md.run_md`'s recorded temperature of the same frames).

    Used by ``electrolyte analyze`` when no temperature is given; reads at most ``max_frames``
    evenly spaced frames and restores the trajectory position.

    Parameters
    ----------
    universe : MDAnalysis.Universe
        With velocities (Å/ps).
    max_frames : int
        Frames read at most.
    constraints : int, optional
        Holonomic constraints of the run that wrote the trajectory (3 per rigid water of
        SETTLE/SHAKE, 1 per constrained bond); default: what an H5MD file of run_md states,
        else 0. Another program's file (GROMACS, LAMMPS) states none: give them. A value
        that contradicts the file's statement is refused.
    com_removed : bool, optional
        Whether the run kept the centre of mass at rest (run_md; GROMACS' ``comm-mode``,
        LAMMPS' ``fix momentum``), whose 3 degrees of freedom are then no heat; default: the
        file's statement, else True. Its kinetic energy is left out either way when True:
        where the centre of mass moved thermally (a Langevin run), 3N − 3 quadratic terms
        remain and the mean is still T. False for runs with atoms fixed in space, whose
        momentum is not conserved (N_dof = 3N − N_constraints, the whole kinetic energy).
        A value that contradicts the file's statement is refused.

    Returns
    -------
    Estimate
        K: the mean over the frames read with the error from their statistical inefficiency
        (:func:`ase_electrolyte.md.series_estimate`, every frame counted), its method saying
        how N_dof was counted (stated by the file, given, or assumed); not valid when too
        short (fewer than :data:`~mda_electrolyte.uncertainty.MIN_INDEPENDENT_SAMPLES` independent
        frames), not finite, or counted 3N − 3 by assumption (no statement, no argument) where
        bonds keep their lengths as constraints keep them (:func:`rigid_bonds`; verdict
        ``"temperature count assumed ..."``).

    Raises
    ------
    ValueError
        Without velocities, with arguments that leave no degree of freedom or contradict the
        count the file states; before any frame is read.
    """
    from ase_electrolyte.md import series_estimate, velocity_temperature
    from ase_electrolyte.units import VELOCITY_TO_ANGSTROM_PER_PS

    # a list or an AtomGroup raised AttributeError ('list' object has no attribute 'trajectory')
    universe = check_universe("universe", universe)
    max_frames = check_number("max_frames", max_frames, integer=True, minimum=1)
    if not universe.trajectory.ts.has_velocities:
        raise ValueError("the trajectory has no velocities, from which a kinetic temperature "
                         "is computed: give the temperature (K) instead")
    count = _universe_temperature_count(universe, constraints, com_removed)
    dof, com = count.dof, count.com_removed
    frames = np.unique(np.linspace(0, universe.trajectory.n_frames - 1,
                                   min(max_frames, universe.trajectory.n_frames)).astype(int))
    # the masses the run integrated with: weighed by the physical masses, methane run at
    # 314 K with 3 amu hydrogens read 146 K
    masses = kinetic_masses(universe.atoms)
    temps = []
    with kept_frame(universe.trajectory) as traj:
        for _ in traj[frames]:
            # Å/ps -> ASE units, in double precision (the reader's are float32)
            v = universe.atoms.velocities.astype(np.float64) / VELOCITY_TO_ANGSTROM_PER_PS
            temps.append(float(velocity_temperature(masses, v, dof, com)))
    est = series_estimate(temps, "K", detect=False,
                          where=f"the kinetic temperature of {len(temps)} frames")[0]
    return _counted(est, count)


def _counted(estimate, count):
    """A kinetic temperature (Estimate, K) whose method says how its degrees of freedom were
    counted (:class:`TemperatureCount`), not valid where that count is doubted."""
    from dataclasses import replace

    estimate = replace(estimate, method=f"{estimate.method}; {count.how}")
    return estimate if count.doubt is None else estimate.with_notes(count.doubt,
                                                                    converged=False)



#: Largest net charge (e) of a residue still read as neutral by :func:`charged_species`:
#: partial charges printed with 4 decimals (MOL2, PQR, ITP files) leave a 20-atom molecule's sum
#: up to 1e-3 e off zero, and were counted as charge carriers beyond 1e-6 e, while the
#: smallest ionic charges of scaled-charge force fields are ±0.5–0.8 e.
ROUNDED_NET_CHARGE = 0.01


def charged_species(universe):
    """Selection strings of the charged molecules of a Universe, grouped by residue name.

    Net charges are the sums of the formal charges of each residue, or, without formal charges
    (or with all of them zero), of its partial charges.

    Returns
    -------
    dict
        ``{resname: "resname <resname>"}`` for every residue name whose residues carry a net
        charge beyond :data:`ROUNDED_NET_CHARGE` (a smaller nonzero one, the rounding of
        partial charges in a file, is read as neutral with a warning naming the residues).

    Raises
    ------
    ValueError
        If the topology has no charges or nothing is charged.
    """
    atoms = universe.atoms
    res = universe.residues
    _require_resnames(universe)
    for attr in ("formalcharges", "charges"):
        if not hasattr(atoms, attr):
            continue
        net = np.bincount(
            atoms.resindices, weights=getattr(atoms, attr), minlength=res.n_residues
        )[res.resindices]
        charged = np.abs(net) > ROUNDED_NET_CHARGE
        rounded = (np.abs(net) > 1e-6) & ~np.isin(res.resnames, res.resnames[charged])
        if rounded.any():
            shown = ", ".join(f"{n} (up to {np.abs(net[res.resnames == n]).max():.2g} e)"
                              for n in np.unique(res.resnames[rounded]))
            warnings.warn(
                f"charged_species: residues {shown} carry net {attr} below "
                f"{ROUNDED_NET_CHARGE:g} e and are read as neutral (partial charges rounded in "
                "the file); give the ions explicitly if one of them is an ion",
                UserWarning, stacklevel=2)
        names = [str(n) for n in np.unique(res.resnames[charged])]
        if names:
            return {n: f"resname {n}" for n in names}
    if not (hasattr(atoms, "formalcharges") or hasattr(atoms, "charges")):
        raise ValueError(
            "the topology has neither formal nor partial charges, so the charge carriers are "
            "unknown"
        )
    raise ValueError("no residue carries a net charge")


def _require_resnames(universe):
    """Refuse a Universe whose residues have no names (a LAMMPS data file: molecule ids only),
    whose species the residue names are."""
    if not hasattr(universe.residues, "resnames"):
        raise ValueError(
            "the topology has no residue names (e.g. a LAMMPS data file), by which the species "
            "are grouped: add them (universe.add_TopologyAttr('resnames', [...])) or give the "
            "analyses ions={species: selection}"
        )


def transport_collection(universe, verbose=False):
    """The one :class:`~mda_electrolyte.ion_collection.IonCollection` of a trajectory that the
    transport analyses of ``electrolyte analyze`` share: every molecule species (residue name),
    velocities when present (their kinetic temperature counted with the run's
    :func:`~mda_electrolyte.report.temperature_settings`), unwrapped positions (a box given),
    read in one pass."""
    from .ion_collection import IonCollector

    _require_resnames(universe)

    def build():
        species = {str(n): f"resname {n}" for n in np.unique(universe.residues.resnames)}
        ts = universe.trajectory.ts
        has_box = ts.dimensions is not None and bool(np.all(ts.dimensions[:3] > 0))
        settings = temperature_settings()
        count = ({} if not ts.has_velocities else
                 {"constraints": settings.constraints, "com_removed": settings.com_removed})
        collector = IonCollector(universe, species, velocities="auto", positions=True,
                                 unwrap=has_box, label="trajectory", verbose=verbose, **count)
        return collector.run(verbose=verbose).collection

    return shared(("transport collection", id(universe)), build)


#: Where the temperature an analysis of ``run_analyses`` divided by came from: its summary key.
_GIVEN_KEY, _KINETIC_KEY = "temperature_K (given)", "temperature_K (kinetic)"


def _analysis_temperature(universe, collection):
    """The temperature (an Estimate, K) the transport analyses of ``run_analyses`` divide by,
    with its summary key and the verdict note for the numbers divided by it (``None``: none).

    The temperature given (:func:`~mda_electrolyte.report.temperature_settings`) as it is,
    else the kinetic temperature of the collection when it covers every atom, else of 200
    frames, counted with the run's settings. A count assumed where bonds keep their lengths
    as constraints keep them (the temperature's verdict) makes every number divided by it
    not valid: 300 K of rigid water read as 200 K made σ 1.5 times too high.
    """
    settings = temperature_settings()
    if settings.temperature is not None:
        return given_temperature(
            settings.temperature,
            "temperature=, electrolyte analyze --temperature; not the velocities' "
            "kinetic temperature"), _GIVEN_KEY, None
    if collection.kinetic_temperature is not None and collection.covers_all_atoms:
        est = collection.temperature_estimate()
    else:
        est = kinetic_temperature(universe, constraints=settings.constraints,
                                  com_removed=settings.com_removed)
    if not est.value > 0:
        # all velocities zero (not written, or nothing moves): refused as a temperature the
        # user gave, "got 0.0; is it in °C?", where none was given
        raise ValueError(
            f"the kinetic temperature of the frames' velocities is {est.value:.6g} K: their "
            "velocities are all zero (not written, or the atoms do not move), so they give no "
            "temperature to divide by; give the run's temperature (electrolyte analyze "
            "--temperature, run_analyses(temperature=))")
    doubt = next((n for n in est.notes if n.startswith("temperature count assumed")), None)
    return est, _KINETIC_KEY, doubt


def _unmet_temperature(universe):
    """Why the transport analyses of ``run_analyses`` have no temperature to divide by, or
    ``None``: none given and no velocities for a kinetic one.

    Einstein–Helfand and Nernst–Einstein need velocities only for that temperature: declared
    as a need, a trajectory of positions alone was skipped ("velocities") even with the
    temperature given. Said before the trajectory is read.
    """
    if temperature_settings().temperature is not None:
        return None
    if universe.trajectory.ts.has_velocities:
        return None
    return ("needs velocities (for the kinetic temperature σ is divided by; the frames have "
            "none) or the run's temperature given (electrolyte analyze --temperature, "
            "run_analyses(temperature=))")


def _conductivity_of(cls, universe, verbose, **parameters):
    """``cls`` (a conductivity) of the shared collection's charged species at the run's
    temperature (:func:`_analysis_temperature`) and ``parameters``, with the charged species,
    that temperature (``(Estimate, summary key, doubt)``) and the texts of the warnings the
    estimate gave."""
    ions = charged_species(universe)
    col = transport_collection(universe, verbose)
    temperature = _analysis_temperature(universe, col)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analysis = cls.from_collections(col, temperature=temperature[0].value,
                                        species=list(ions), **parameters)
    return analysis, ions, temperature, [str(w.message) for w in caught]


def _doubted(numbers, temperature):
    """``numbers`` (an Estimate or a tree of them) marked not valid when the temperature they
    were divided by is doubted (:func:`_analysis_temperature`)."""
    from ase_electrolyte.estimate import mark_not_valid

    doubt = temperature[2]
    return numbers if doubt is None else mark_not_valid(numbers, doubt)


def _green_kubo_of(universe, verbose):
    """Green–Kubo of the shared collection (its charge_current observable when recorded)."""
    # the collection's per-step charge_current observable (H5MD of run_md), when the file
    # records one, is preferred to the frames
    return shared(("green kubo", id(universe)),
                  lambda: _conductivity_of(GreenKuboConductivity, universe, verbose))


@register_analysis("green_kubo_conductivity",
                   needs=("velocities", "box", "real masses", "charged species"))
def _report_green_kubo(universe, outdir, *, calculator=None, verbose=False):
    import matplotlib

    matplotlib.use("Agg")

    try:
        ions = charged_species(universe)
    except ValueError as err:
        return {"skipped": str(err)}
    try:
        gk, ions, temperature, caught = _green_kubo_of(universe, verbose)
    except ValueError as err:
        # a refusal (frames too sparse, too few frames) is the answer, not a crash
        return {"refused": str(err), "ions": ions}
    r = gk.results
    ax = gk.plot(parts=r.sigma_self is not None)
    if temperature[2] is not None and r.conductivity.valid:
        # the plot stamps a number not valid by its own verdict; this one's is the count's
        mark_invalid(ax, _doubted(r.conductivity, temperature))
    save_figure(ax.figure, outdir / "green_kubo_conductivity.png", dpi=120)
    return {
        # σ ∝ 1/T: numbers divided by a doubted temperature are not valid (the transference
        # numbers, ratios of them, do not depend on it)
        **_doubted({"conductivity": r.conductivity,
                    "conductivity_self": r.conductivity_self,
                    "conductivity_distinct": r.conductivity_distinct,
                    "parts": {k: p["conductivity"] for k, p in r.parts.items()}}, temperature),
        "transference_numbers": r.transference_numbers,
        temperature[1]: temperature[0],
        # inputs and fit checks, apart from the results: no bare number beside an Estimate
        "settings": {"source": r.source, "plateau_ps": list(r.plateau),
                     "frame_spacing_ps": r.sampling["frame_spacing"], "charges": r.charges,
                     "n_segments": r.n_segments},
        "diagnostics": {"acf_first_lag_ratio": r.sampling["first_lag_correlation"]},
        "ions": ions,
        "warnings": caught,
        "plot": "green_kubo_conductivity.png",
    }


@register_analysis("einstein_helfand_conductivity", needs=("box", "real masses", "charged species"))
def _report_einstein_helfand(universe, outdir, *, calculator=None, verbose=False):
    import matplotlib

    matplotlib.use("Agg")

    try:
        ions = charged_species(universe)
    except ValueError as err:
        return {"skipped": str(err)}
    unmet = _unmet_temperature(universe)
    if unmet:
        return {"skipped": unmet}
    try:
        eh, ions, temperature, caught = _conductivity_of(EinsteinHelfandConductivity, universe,
                                                         verbose)
    except ValueError as err:
        return {"refused": str(err), "ions": ions}
    r = eh.results
    ax = eh.plot()
    if temperature[2] is not None and r.conductivity.valid:
        # the plot stamps a number not valid by its own verdict; this one's is the count's
        mark_invalid(ax, _doubted(r.conductivity, temperature))
    save_figure(ax.figure, outdir / "einstein_helfand_conductivity.png", dpi=120)
    return {
        "conductivity": _doubted(r.conductivity, temperature),
        # as Green–Kubo's: ratios of the dipole MSD's slopes, free of the temperature
        "transference_numbers": r.transference_numbers,
        temperature[1]: temperature[0],
        "settings": {"fit_window_ps": list(r.fit_window), "charges": r.charges,
                     "n_segments": r.n_segments},
        "diagnostics": {"r2": r.r2, "loglog_slope": r.loglog_slope},
        "ions": ions,
        "warnings": caught,
        "plot": "einstein_helfand_conductivity.png",
    }


@register_analysis("nernst_einstein", needs=("box", "real masses", "charged species"))
def _report_nernst_einstein(universe, outdir, *, calculator=None, verbose=False):
    try:
        ions = charged_species(universe)
    except ValueError as err:
        return {"skipped": str(err)}
    unmet = _unmet_temperature(universe)
    if unmet:
        return {"skipped": unmet}
    try:
        # the analysis, not its Estimate: its segments are the D's, so α_d's error comes from
        # their joint scatter
        gk = _green_kubo_of(universe, verbose)[0]
    except ValueError:
        gk = None  # refused: σ_NE without α_d (a collection refused is refused again below)
    try:
        ne, ions, temperature, caught = _conductivity_of(NernstEinstein, universe, verbose,
                                                         conductivity=gk)
    except ValueError as err:
        return {"refused": str(err), "ions": ions}
    r = ne.results
    return {
        # σ_NE ∝ 1/T; α_d = σ/σ_NE and the transference numbers are ratios free of it
        "conductivity": _doubted(r.conductivity, temperature),
        "dissociation": r.dissociation,
        "contributions": _doubted(r.contributions, temperature),
        "transference_numbers": r.transference_numbers,
        temperature[1]: temperature[0],
        # the inputs of e²/(V k_B T) Σ N_s z_s² D_s beside it, as the conductivities give
        # theirs (the temperature is the entry above)
        "settings": {"charges": transport_collection(universe, verbose).charge_record(
                         list(r.charges)),
                     "n_ions": r.n_ions, "volume_A3": r.volume},
        "ions": ions,
        "warnings": caught,
    }
