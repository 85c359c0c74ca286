r"""Onsager transport coefficients of every species pair, and conductivity and transference
numbers built from them (BAMBOO, Gong et al. 2025, after Mistry et al.).

Einstein form, with :math:`\Delta\mathbf R_i(t) = \sum_{n \in i} (\mathbf r_n(t) - \mathbf r_n(0))`
the summed displacement of species *i*:

.. math:: L_{ij} = \frac{1}{6 V k_B T} \lim_{t\to\infty} \frac{d}{dt}
          \langle \Delta\mathbf R_i(t) \cdot \Delta\mathbf R_j(t) \rangle

Green–Kubo form, with :math:`\mathbf V_i = \sum_{n\in i} \mathbf v_n` (symmetrised):

.. math:: L_{ij} = \frac{1}{3 V k_B T}\int_0^\infty
          \langle \mathbf V_i(t)\cdot\mathbf V_j(0)\rangle dt

The diagonal splits into a *self* part (each particle with itself, the sum of the
particles' MSDs) and a *distinct* part. Then

.. math:: \sigma = e^2 \sum_{ij} z_i z_j L_{ij}, \qquad
          t_i = \frac{\sum_j z_i z_j L_{ij}}{\sum_{kl} z_k z_l L_{kl}}

L is reported in S/m per e² (the conductivity the pair would carry with unit charges):
multiply by :math:`z_i z_j` for its share of σ. Displacements are taken relative to the centre of
mass of the analysed particles with ``remove_drift=True``; select the solvent too for the
barycentric frame the transference numbers of Mistry et al. assume.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from MDAnalysis.analysis.results import Results
from scipy.integrate import cumulative_trapezoid

from ase_electrolyte.atoms_checks import check_flag, check_number
from ase_electrolyte.option_words import choice_word

from .analysis_base import require_results
from .carriers import (
    CarrierAnalysis,
    check_neutral,
    few_ions_notes,
    given_volume_notes,
    n_universes_of,
    same_system,
    transference_estimate,
    volume_drift_notes,
)
from .conductivity import (
    _check_segments,
    _check_temperature,
    _conductivity_prefactor,
    _dilution_notes,
    _refuse_still_segments,
)
from .correlation import (
    NO_SCATTER_NOTE,
    check_sampling,
    check_segment_lags,
    fit_line,
    fit_window_slice,
    independence_notes,
    inefficiencies_of_columns,
    max_lag_count,
    mean_squared_displacement,
    particle_msd,
    plateau_verdict,
    relative_error,
    segment_too_short,
    straightness,
    time_correlation,
    transport_estimate,
)
from .ion_collection import block_slices
from .plotting import axes_to_draw_into, draws_user_text, tick_labels_as_typed
from .report import estimate_label, mark_invalid
from .uncertainty import mean_error

__all__ = ["OnsagerCoefficients"]


def _check_one_charge_per_species(names, charges):
    """Refuse a species whose ions carry different charges: σ = Σ z_i z_j L_ij weights the
    summed displacement of a species by one charge z_i, and the mean charge of Li⁺ and Mg²⁺
    selected as one species is no charge of either (σ was computed with it, valid)."""
    for name, q in zip(names, charges, strict=True):
        if q is not None and not np.allclose(q, q[0]):
            shown = ", ".join(f"{z:+g}" for z in np.unique(q))
            raise ValueError(
                f"OnsagerCoefficients: species {name!r} mixes ions of different charge "
                f"({shown} e), but L_ij takes one charge per species: select each kind of ion "
                "as a species of its own"
            )


class OnsagerCoefficients(CarrierAnalysis):
    r"""Onsager coefficients :math:`L_{ij}` (self and distinct) for every species pair.

    Parameters
    ----------
    universes : MDAnalysis.Universe or list of Universe
        Trajectories of the same system; positions (Einstein) or velocities (Green–Kubo).
    ions : dict
        Species name -> selection string or AtomGroup; every molecule is a particle followed by
        its centre of mass. Neutral species (solvent) are allowed: they enter L but not σ.
    temperature : float
        K, which every L_ij is divided by. The run's measured temperature judges it
        (:func:`~mda_electrolyte.carriers.run_temperature`: the ``temperature`` observable of an
        H5MD file of run_md, or the kinetic temperature of the velocities where they cover every
        atom with at least :data:`~mda_electrolyte.carriers.MIN_THERMAL_DOF` degrees of freedom
        or the file's stated count; not a few ions' velocities): one differing from it by more
        than :data:`~mda_electrolyte.carriers.TEMPERATURE_MISMATCH` (5 %) and 3 standard errors
        of its mean makes the coefficients not valid ("not at the run's temperature: ...",
        naming both); any kinetic temperature more than
        :data:`~mda_electrolyte.carriers.MAX_TEMPERATURE_RATIO` times off does too.
    method : {"einstein", "green-kubo"}
        Displacement (default; tolerates frames every 100 fs) or velocity form.
    charges, ion_center, compound, volume, n_blocks, unwrap, verbose
        As for :class:`~mda_electrolyte.EinsteinHelfandConductivity`; charges as there, but
        neutral species get 0.
    fit_window : (float, float), optional
        Einstein fit range as fractions of a segment (default 10 %–30 %).
    fit_window_ps : (float, float), optional
        Einstein fit range in ps, as for :class:`~mda_electrolyte.EinsteinHelfandConductivity`
        (overrides ``fit_window``; ``results.fit_window`` records the range used). Either
        window is refused with ``method="green-kubo"``, which integrates up to ``max_lag``
        instead: it would have no effect.
    max_lag : float, optional
        Green–Kubo correlation time in ps (default: half a segment); the plateau is its second
        half. ``method="green-kubo"`` only: refused with the Einstein method, which has none.
    remove_drift : bool
        Displacements relative to the centre of mass of all analysed particles: the barycentric
        frame of Mistry et al. when every species, the solvent too, is analysed. With only the
        ions analysed their own centre of mass would tie the species' displacements together
        (a singular L), hence the default ``False`` (the simulation frame). With only a
        cation and an anion species analysed the transference numbers are then set by their
        masses, :math:`t_a = z_a m_b/(z_a m_b - z_b m_a)`, and are marked "not measured".
    check_sampling : bool
        Green–Kubo sampling guard (see :class:`~mda_electrolyte.GreenKuboConductivity`);
        ``False`` is refused with the Einstein method, which has no such guard, as
        ``unwrap=True`` is with ``method="green-kubo"``, whose velocities need none.

    Attributes
    ----------
    results.species : list of str
    results.L, results.L_err : numpy.ndarray, shape (n_species, n_species)
        Symmetric matrix in S/m per e², and its error (Student-t over segments).
    results.L_self, results.L_distinct : numpy.ndarray
        Diagonal self part and the rest (``L = L_self + L_distinct``), same units;
        ``results.L_self_err`` and ``results.L_distinct_err`` their errors over the segments.
    results.self_coefficients, results.distinct_coefficients : dict
        Species ``"i"`` -> Estimate of the self part of :math:`L_{ii}` (the sum of the ions'
        MSDs or velocity autocorrelations, :math:`N_i D_i` over :math:`3 V k_B T` in S/m per
        e²), and ``"i-i"`` -> Estimate of its distinct part, each judged as :math:`L_{ii}`;
        the cross coefficients are distinct whole.
    results.coefficients : dict
        ``"i-j"`` -> Estimate of :math:`L_{ij}` in S/m per e² (the matrices above hold the same).
    results.conductivity : Estimate or None
        :math:`\sum_{ij} z_i z_j L_{ij}` in S/m (aliases ``sigma``, ``sigma_err``).
    results.transference_numbers : dict
        Species -> Estimate of :math:`t_i` (only charged species; they sum to 1; aliases
        ``transference``, ``transference_err``).
    results.charges : dict
        Species -> ``{"charge", "source"}``.
    results.curves : dict
        ``"i-j"`` -> the averaged correlation (Einstein: ⟨ΔR_i·ΔR_j⟩ in Å²; Green–Kubo: running
        integral in S/m per e²).
    results.time : numpy.ndarray
        Lags in ps.
    results.loglog_slope : dict
        Einstein only: d ln MSD / d ln t over the fit window of each species' ⟨ΔR_i·ΔR_i⟩
        (``"i-i"``) and of the charge-dipole MSD (``"dipole"``, with charges);
        ``results.loglog_slope_err`` their jackknife errors over the segments. A slope not 1
        by :func:`~mda_electrolyte.correlation.is_diffusive` (ballistic or caged motion)
        marks the coefficients of that species, or σ and the transference numbers, not
        diffusive, as :class:`~mda_electrolyte.EinsteinHelfandConductivity` does.
    results.verdict : str
        ``"valid"`` or every reason why not (e.g. Green–Kubo not converged, not diffusive) of
        any estimate. Each estimate's own verdict counts the independent samples of the
        currents it integrates: :math:`L_{ij}` those of species *i* and *j*, σ and the
        transference numbers the charge current's, as
        :class:`~mda_electrolyte.EinsteinHelfandConductivity` and
        :class:`~mda_electrolyte.GreenKuboConductivity` judge σ (the same data, the same σ and
        verdict).
    """

    _blocks_kept_frames = True
    _needs = ("positions",)
    _needs_charges = False
    _needs_neutral = True

    def __init__(
        self,
        universes,
        ions,
        temperature,
        *,
        method="einstein",
        charges=None,
        ion_center=None,
        compound="residues",
        fit_window=None,
        fit_window_ps=None,
        max_lag=None,
        n_blocks=None,
        volume=None,
        unwrap=False,
        remove_drift=False,
        check_sampling=True,
        verbose=False,
    ):
        n_universes = n_universes_of(universes)
        self._configure(
            n_universes, temperature=temperature, method=method, fit_window=fit_window,
            fit_window_ps=fit_window_ps, max_lag=max_lag, n_blocks=n_blocks, volume=volume,
            remove_drift=remove_drift,
            check_sampling=check_sampling,
        )
        # the word as _configure read it: "EINSTEIN" asked the collector for velocities
        einstein = self._method == "einstein"
        check_flag("unwrap", unwrap)
        if unwrap and not einstein:
            # the velocities of Green–Kubo need no unwrapping: unwrap=True was dropped without
            # a word, as the Einstein windows are refused with this method
            raise ValueError(
                "OnsagerCoefficients: unwrap=True unwraps the positions of the Einstein MSDs, "
                "and method='green-kubo' integrates velocities instead: it would have no "
                "effect; leave it out, or give method='einstein'")
        self._needs = ("positions",) if einstein else ("velocities",)
        super().__init__(
            universes,
            ions,
            charges=charges,
            ion_center=ion_center,
            compound=compound,
            volume=volume,
            unwrap=unwrap if einstein else False,
            verbose=verbose,
        )
        # known from the topology: refused before any frame is read
        _check_one_charge_per_species([s.name for s in self.species],
                                      [s.charges for s in self.species])

    def _configure(self, n_collections, *, temperature, method="einstein",
                   fit_window=None, fit_window_ps=None, max_lag=None, n_blocks=None,
                   volume=None, remove_drift=False, check_sampling=True, species=None):
        method = choice_word("method", method, ("einstein", "green-kubo"))
        self._method = method
        self._temperature = _check_temperature(temperature)
        if method == "green-kubo":
            given = [f"{k} = {v}" for k, v in (("fit_window", fit_window),
                                               ("fit_window_ps", fit_window_ps))
                     if v is not None]
            if given:
                # a window of no effect was ignored without a word (the Green–Kubo plateau is
                # the second half of max_lag), as max_lag is refused with the Einstein method
                raise ValueError(
                    f"OnsagerCoefficients: {' and '.join(given)} sets the Einstein MSD fit, "
                    "and method='green-kubo' integrates the correlations up to max_lag "
                    "instead: it would have no effect; leave it out, or give "
                    "method='einstein'")
        self._configure_fit_window(fit_window, fit_window_ps)
        self._max_lag = check_number("max_lag (ps)", max_lag, above=0, allow_none=True)
        if method == "einstein" and max_lag is not None:
            # ignored without a word before (even 1e300): a setting of no effect is refused,
            # as run_md refuses a barostat time for NVT
            raise ValueError(
                f"OnsagerCoefficients: max_lag = {max_lag} ps sets the Green–Kubo correlation "
                "time, and method='einstein' fits the MSDs over fit_window instead: it would "
                "have no effect; leave out max_lag, or give method='green-kubo'")
        check_flag("remove_drift", remove_drift)
        check_flag("check_sampling", check_sampling)
        if method == "einstein" and not check_sampling:
            # the guard is of the Green–Kubo correlations: turning it off with the Einstein fit
            # was taken without a word, as if the caller's coarse frames had been let through
            raise ValueError(
                "OnsagerCoefficients: check_sampling=False turns off the Green–Kubo sampling "
                "guard, and method='einstein' fits the MSDs, which have none: it would have no "
                "effect; leave it out, or give method='green-kubo'")
        self._remove_drift = bool(remove_drift)
        self._check = bool(check_sampling)
        self._configure_common(_check_segments(n_collections, n_blocks), volume, species,
                               n_collections)

    def _check_segment(self, n_rows, dt, where, n_total=None):
        if self._method == "einstein":
            self._check_fit_segment(n_rows, dt, where, n_total)
        else:
            check_segment_lags(n_rows, dt, where=where, max_lag=self._max_lag,
                               n_blocks=self._n_blocks, n_total=n_total,
                               fewest_blocks=self._fewest_blocks_given)

    def _estimate(self, collections):
        self.results = Results()
        first = collections[0]
        names = self._species_names or list(first.species)
        dt = same_system(collections, names, type(self).__name__)
        check_neutral(names, [first.charges[first.species.index(n)] for n in names],
                      "OnsagerCoefficients")
        _check_one_charge_per_species(names, [first.charges[first.species.index(n)]
                                              for n in names])
        einstein = self._method == "einstein"
        need = ("position_sum", "ion_positions") if einstein else ("velocity_sum",
                                                                   "ion_velocities")
        for col in collections:
            # collections read elsewhere: refused with the run's length and the remedy
            segment_too_short(self, col, col.n_frames, dt)
        # one lag count for every segment of every run (max_lag's, capped at the shortest)
        self._shortest = min(c.n_frames for c in collections) // self._n_blocks
        segments = []
        current_runs = []
        strides = set()
        for col in collections:
            col.require(*need, "ion_masses", who=f"OnsagerCoefficients ({self._method})")
            volume = col.checked_volume(col.label, self._volume)
            idx = [col.species.index(n) for n in names]
            slices = col.species_slices()
            ion_idx = np.concatenate([np.arange(slices[n].start, slices[n].stop) for n in names])
            counts = col.n_ions[idx]
            bounds = np.concatenate([[0], np.cumsum(counts)])
            if einstein:
                totals, per_ion, stride = col.position_sum, col.ion_positions, col.ion_stride
            else:
                totals, per_ion, stride = col.velocity_sum, col.ion_velocities, 1
            strides.add(stride)
            totals = totals[:, idx]
            # all species in order need no copy (the analysed ions are most often all)
            if not np.array_equal(ion_idx, np.arange(per_ion.shape[1])):
                per_ion = per_ion[:, ion_idx]
            reference = None
            if self._remove_drift:
                com = self._reference(col, idx, totals)
                totals = totals - counts[None, :, None] * com[:, None, :]
                offset = col.ion_offset if einstein else 0
                reference = com[offset::stride][: per_ion.shape[0]]
                if not einstein:
                    per_ion = per_ion - reference[:, None, :]
                    reference = None
            t_slices = block_slices(col.n_frames, self._n_blocks, col.label,
                                    fewest=self._fewest_blocks(len(collections)))
            i_slices = (t_slices if stride == 1 else
                        block_slices(per_ion.shape[0], self._n_blocks, col.label, "kept frames",
                                     self._fewest_blocks(len(collections))))
            # Einstein: the summed positions' increments are the frame-averaged velocities
            flux = np.diff(totals, axis=0) if einstein else totals
            current_runs.append(flux)
            for ts_, is_ in zip(t_slices, i_slices, strict=True):
                segments.append(self._segment(
                    totals[ts_], per_ion[is_], bounds, dt, dt * stride, volume,
                    None if reference is None else reference[is_]))
        self._n_runs = len(collections)
        # the species' summed velocities (Einstein: their position increments), (T, species,
        # 3) per run: each estimate is judged by the currents it integrates (_sampling_notes)
        self._current_runs = current_runs
        # per run and series weights, filled by _sampling_notes (new for every estimate)
        self._column_inefficiency = {}
        self._run_labels = [c.label for c in collections]
        self._temperature_verdicts = (
            self._temperature_notes(collections, self._temperature)
            + volume_drift_notes(collections) + given_volume_notes(collections, self._volume)
            + _dilution_notes(collections, names, self._volume))
        # the species' counts; each coefficient takes those of its two species (one pair's cross
        # term is one ion's with the other), σ and the transference numbers the charged ones'
        self._counts = {n: int(first.n_ions[first.species.index(n)]) for n in names}
        self._combine(segments, dt, first, names)

    @staticmethod
    def _reference(col, idx, totals):
        r"""Centre of mass of the analysed species, every frame, from their summed coordinates.

        Ions of one species share a mass, so the centre of mass is
        :math:`\sum_s m_s \mathbf R_s / \sum_s N_s m_s` with the species sums
        :math:`\mathbf R_s`.
        """
        masses = []
        for i in idx:
            m = col.ion_masses[i]
            if not np.allclose(m, m[0]):
                raise ValueError(
                    f"remove_drift needs ions of one mass per species; {col.species[i]!r} mixes "
                    "masses"
                )
            masses.append(m[0])
        masses = np.array(masses)
        return np.einsum("tsk,s->tk", totals, masses) / np.sum(masses * col.n_ions[idx])

    def _sampling_notes(self, weights, what, samples, fit_window=None, dt=None):
        r"""Whether the current an estimate integrates is long enough, as verdict notes.

        Each estimate is judged by its own series, as :class:`GreenKuboConductivity` and
        :class:`EinsteinHelfandConductivity` judge σ by the charge current: σ and the
        transference numbers by :math:`\mathbf J = \sum_i z_i \mathbf V_i`, a coefficient
        :math:`L_{ij}` by the summed velocities of *i* and *j*. Judged all by every species'
        velocity, σ of a salt whose ions move in pairs (a slow common mode that cancels in
        **J**) was "not diffusive" or "too short" here and valid by Einstein–Helfand, the very
        same number.

        Parameters
        ----------
        weights : numpy.ndarray, shape (n_species,) or (k, n_species)
            One row per series: the series is ``Σ_i w_i V_i`` (three Cartesian columns each).
        what : str
            The series, for the notes.
        samples : list of numpy.ndarray
            Per-segment values of the estimates judged (their smallest relative error is the
            error the bend of an Einstein window is held against).
        fit_window, dt : optional
            The Einstein fit window (ps) and the frame spacing (ps).
        """
        weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        series = [[np.einsum("tsk,s->tk", flux, w) for w in weights]
                  for flux in self._current_runs]
        runs = [np.concatenate(parts, axis=1) for parts in series]
        # each species' columns are judged in every pair it is in (16 series of 5 species):
        # their inefficiencies are computed once per run and series weights
        cache = self._column_inefficiency
        columns = []
        for k, parts in enumerate(series):
            gs = []
            for w, part in zip(weights, parts, strict=True):
                key = (k, w.tobytes())
                if key not in cache:
                    cache[key] = inefficiencies_of_columns(part)
                gs += cache[key]
            columns.append(gs)
        what += " (position increments)" if self._method == "einstein" else ""
        if fit_window is None:
            return independence_notes(runs, self._n_blocks, what, column_inefficiencies=columns)
        return independence_notes(runs, self._n_blocks, what, fit_start=fit_window[0], dt=dt,
                                  fit_stop=fit_window[1],
                                  relative_error=min(relative_error(v) for v in samples),
                                  column_inefficiencies=columns)

    def _segment(self, totals, per_ion, bounds, dt, dt_ion, volume, reference=None):
        """Pair and self parts of one segment; ``reference`` (Einstein only) is the drift
        reference subtracted from the per-ion positions a chunk of ions at a time."""
        n_frames = totals.shape[0]
        n_sp = totals.shape[1]
        if self._method == "einstein":
            pair = np.zeros((n_sp, n_sp, n_frames))
            for i in range(n_sp):
                pair[i, i] = mean_squared_displacement(totals[:, i])
                for j in range(i):
                    both = mean_squared_displacement(totals[:, i] + totals[:, j])
                    pair[i, j] = pair[j, i] = 0.5 * (both - pair[i, i] - pair[j, j])
            selfs = np.array([
                particle_msd(per_ion[:, bounds[i] : bounds[i + 1]], reference,
                             sum_particles=True)
                for i in range(n_sp)
            ])
        else:
            # the segments were checked against max_lag (segment_too_short); one within 1e-3
            # of half a lag past its last lag takes that lag (max_lag_count)
            n_lags = (
                n_frames // 2 + 1 if self._max_lag is None
                else max_lag_count(self._max_lag, dt, n_rows=self._shortest)
            )
            pair = np.zeros((n_sp, n_sp, n_lags))
            for i in range(n_sp):
                for j in range(i + 1):
                    c = time_correlation(totals[:, i], totals[:, j], n_lags=n_lags)
                    if i != j:
                        c = 0.5 * (c + time_correlation(totals[:, j], totals[:, i],
                                                        n_lags=n_lags))
                    pair[i, j] = pair[j, i] = c
            selfs = np.array([
                time_correlation(per_ion[:, bounds[i] : bounds[i + 1]].reshape(n_frames, -1),
                                 n_lags=n_lags)
                for i in range(n_sp)
            ])
        return {"pair": pair, "self": selfs, "volume": volume, "dt_self": dt_ion}

    def _combine(self, segments, dt, first, names):
        n_sp = len(names)
        n = min(s["pair"].shape[-1] for s in segments)
        n_self = min(s["self"].shape[-1] for s in segments)
        dt_self = segments[0]["dt_self"]
        time = np.arange(n) * dt
        res = self.results
        res.time = time
        res.species = names
        res.n_segments = len(segments)
        res.temperature = self._temperature
        res.volume = float(np.mean([s["volume"] for s in segments]))
        res.method = self._method
        res.charges = first.charge_record(names)
        z = np.array([res.charges.get(s, {"charge": 0.0})["charge"] for s in names])
        pair = np.array([s["pair"][..., :n] for s in segments])
        selfs = np.array([s["self"][:, :n_self] for s in segments])
        vols = np.array([s["volume"] for s in segments])
        if not (np.any(pair) or np.any(selfs)):
            # frozen ions: the transference numbers divide by σ = 0 ("2 of the estimates to
            # average are NaN", naming an internal step); said as Green–Kubo says it
            raise ValueError("Onsager coefficients: every correlation of the ions' "
                             "displacements or velocities is zero: nothing moves")
        notes = list(self._temperature_verdicts)
        fit_window = None
        if self._method == "einstein":
            window = fit_window_slice(time, self._fit_window, self._fit_window_ps)
            slopes, _, _ = fit_line(time[window], pair.reshape(-1, n)[:, window].T)
            pref = _conductivity_prefactor(vols, self._temperature, 6)
            l_seg = slopes.reshape(len(segments), n_sp, n_sp) * pref[:, None, None]
            t_self = np.arange(n_self) * dt_self
            s_window = fit_window_slice(t_self, self._fit_window, self._fit_window_ps)
            s_slopes, _, _ = fit_line(t_self[s_window], selfs.reshape(-1, n_self)[:, s_window].T)
            self_seg = s_slopes.reshape(len(segments), n_sp) * pref[:, None]
            res.curves = {
                f"{a}-{b}": pair[:, i, j].mean(axis=0)
                for i, a in enumerate(names) for j, b in enumerate(names) if j <= i
            }
            res.fit_window = (float(time[window][0]), float(time[window][-1]))
            # the same regime check as EinsteinHelfandConductivity and Diffusion: a line
            # fitted to a ballistic or caged MSD is no transport coefficient (200 frames of a
            # 0.1 ps-correlated salt gave a "valid" sigma of a third of the exact one, which
            # EinsteinHelfandConductivity, fitting the very same dipole MSD, marked not
            # diffusive). Cross terms change sign; the diagonal and the dipole MSD do not.
            curves = {f"{a}-{a}": pair[:, i, i] for i, a in enumerate(names)}
            if np.any(z):
                curves["dipole"] = np.einsum("sijt,i,j->st", pair, z, z)
            # judged by how each slope grows too, not by the log-log slope alone, which reads a
            # straight MSD's offset as growth and, with a fit start of 3 correlation times
            # estimated from the same data, passed the low replicas (40 Ornstein–Uhlenbeck
            # salts of 6000 frames: the σ left valid had a mean z-score of -1.36, all -0.10)
            straight = {k: straightness(time, c, window, "the dipole MSD" if k == "dipole"
                                        else f"<ΔR·ΔR> of {k}") for k, c in curves.items()}
            res.loglog_slope = {k: v[0] for k, v in straight.items()}
            res.loglog_slope_err = {k: v[1] for k, v in straight.items()}
            res.slope_exponent = {k: v[2] for k, v in straight.items()}
            res.slope_exponent_err = {k: v[3] for k, v in straight.items()}
            regime = {k: v[4] for k, v in straight.items()}
            fit_window = res.fit_window
        else:
            pref = _conductivity_prefactor(vols, self._temperature, 3)
            running = cumulative_trapezoid(pair, dx=dt, axis=-1, initial=0.0)
            running *= pref[:, None, None, None]
            self_run = cumulative_trapezoid(selfs, dx=dt, axis=-1, initial=0.0)
            self_run *= pref[:, None, None]
            # the charge current if there is one, else the summed diagonal
            weights = z if np.any(z) else np.ones(n_sp)
            total_acf = np.einsum("sijt,i,j->t", pair, weights, weights) / len(segments)
            res.sampling = check_sampling(
                total_acf, dt, what="species-current", raise_error=self._check,
                remedy="record velocities every few fs or use method='einstein'",
            )
            if not res.sampling["resolved"]:
                notes.append(f"too coarse: {res.sampling['message']}")
            window = slice((n - 1) // 2, n)
            l_seg = running[..., window].mean(axis=-1)
            self_seg = self_run[..., window].mean(axis=-1)
            # σ's running integral, or without charges (neutral species only) that of Σ_ij L_ij
            # (the same weights as the sampling check), which was taken as converged unchecked
            verdict = plateau_verdict(time, np.einsum("sijt,i,j->st", running, weights, weights),
                                      window)
            res.curves = {
                f"{a}-{b}": running[:, i, j].mean(axis=0)
                for i, a in enumerate(names) for j, b in enumerate(names) if j <= i
            }
            res.plateau = (float(time[window][0]), float(time[window][-1]))
            if not verdict["converged"]:
                # with its size and window, as Green–Kubo's conductivity says it (a drift
                # without a number could not be weighed against the estimate)
                notes.insert(0, f"not converged: the running integral of "
                             f"{'σ' if np.any(z) else 'Σ_ij L_ij'} drifts by "
                             f"{verdict['drift']:.3g} ± {verdict['drift_err']:.2g} S/m over the "
                             f"plateau window {res.plateau[0]:.4g}–{res.plateau[1]:.4g} ps "
                             "(longer max_lag or trajectories)")
                warnings.warn(f"Onsager coefficients: {notes[0]}", RuntimeWarning,
                              stacklevel=3)
            regime = {}
        res.L, res.L_err, res.dof = mean_error(l_seg)
        l_self, l_self_err, _ = mean_error(self_seg)
        res.L_self = np.diag(l_self)
        res.L_self_err = np.diag(l_self_err)
        res.L_distinct = res.L - res.L_self
        # the distinct part per segment, for its error: L_distinct had none (a bare matrix)
        distinct_seg = l_seg - self_seg[:, :, None] * np.eye(n_sp)[None]
        res.L_distinct_err = mean_error(distinct_seg)[1]

        neutral = [s for s, q in zip(names, z, strict=True) if q == 0]
        charged = {s: self._counts[s] for s in names if s not in neutral}

        # the sampling of the currents each estimate integrates: a coefficient's bend is held
        # against its diagonal ones' errors (a cross term's own error may dwarf any bias)
        eye = np.eye(n_sp)
        sampling = {}
        for i, a in enumerate(names):
            for j, b in enumerate(names[: i + 1]):
                pair = a if i == j else f"{b} and {a}"
                sampling[f"{a}-{b}"] = self._sampling_notes(
                    eye[sorted({i, j})], f"the summed velocity of {pair}",
                    [l_seg[:, i, i], l_seg[:, j, j]], fit_window, dt)
        sig_seg = np.einsum("sij,i,j->s", l_seg, z, z)
        if np.any(z):
            # σ's, as Green–Kubo and Einstein–Helfand judge it: the charge current's
            sampling["dipole"] = self._sampling_notes(z, "the charge current", [sig_seg],
                                                      fit_window, dt)

        def est(samples, unit, sampled, *curves, counts, positive=False):
            extra = list(sampling.get(sampled, []))
            extra += [n for c in dict.fromkeys(curves) for n in regime.get(c, [])]
            extra += few_ions_notes(counts, neutral=neutral, n_runs=self._n_runs)
            return transport_estimate(samples, unit, n_runs=self._n_runs,
                                      n_blocks=self._n_blocks,
                                      notes=list(dict.fromkeys(notes + extra)),
                                      positive=positive)

        res.coefficients = {
            # a diagonal L_aa is the autocorrelation integral of a's current: positive
            f"{a}-{b}": est(l_seg[:, i, j], "S/m", f"{a}-{b}", f"{a}-{a}", f"{b}-{b}",
                            counts={s: self._counts[s] for s in (b, a)}, positive=i == j)
            for i, a in enumerate(names) for j, b in enumerate(names) if j <= i
        }
        # the parts of L_aa (self: Σ of the ions' MSDs, N_a D_a; distinct: the rest), judged
        # as L_aa is; the cross coefficients are distinct whole
        res.self_coefficients = {
            a: est(self_seg[:, i], "S/m", f"{a}-{a}", f"{a}-{a}",
                   counts={a: self._counts[a]}, positive=True)
            for i, a in enumerate(names)
        }
        res.distinct_coefficients = {
            f"{a}-{a}": est(l_seg[:, i, i] - self_seg[:, i], "S/m", f"{a}-{a}", f"{a}-{a}",
                            counts={a: self._counts[a]})
            for i, a in enumerate(names)
        }
        if np.any(z):
            # a segment of ions that do not move among moving ones: σ = 0 there and the
            # transference numbers 0/0 ("5 of the estimates to average are NaN")
            _refuse_still_segments(sig_seg, self._run_labels, self._n_blocks,
                                  "Onsager coefficients", "the charge current's correlation")
        res.conductivity = (est(sig_seg, "S/m", "dipole", "dipole", counts=charged, positive=True)
                            if np.any(z) else None)
        res.sigma, res.sigma_err = (
            (res.conductivity.value, res.conductivity.stderr) if np.any(z) else (0.0, 0.0)
        )
        every = notes + [n for v in (*sampling.values(), *regime.values()) for n in v]
        every = list(dict.fromkeys(every))
        every += few_ions_notes(self._counts, neutral=neutral, n_runs=self._n_runs)
        # a diagonal coefficient or σ whose mean is not positive (transport_estimate) is no
        # result, and neither is the whole
        every += list(dict.fromkeys(
            n for e in (*res.coefficients.values(), res.conductivity) if e is not None
            for n in e.notes if n.startswith("not positive") and n not in every))
        res.verdict = "valid" if not every else "; ".join(every)
        res.valid = not every
        res.transference, res.transference_err, res.transference_numbers = {}, {}, {}
        fixed = None
        if np.any(z) and self._remove_drift and not neutral and len(charged) == 2:
            # the analysed particles' centre of mass is removed: m_a R_a + m_b R_b = 0 for the
            # two species' summed displacements, so J = (z_a - z_b m_a/m_b) R_a and
            # t_a = z_a m_b / (z_a m_b - z_b m_a) whatever the ions do (0.5 ± 6e-18, "valid",
            # for equal masses; Li⁺ beside PF6⁻ 0.954)
            a, b = charged
            m = {n: float(first.ion_masses[first.species.index(n)][0]) for n in (a, b)}
            za, zb = (float(z[names.index(n)]) for n in (a, b))
            fixed = (f"not measured: with remove_drift=True and only the two charged species "
                     f"analysed, their common centre of mass ties {b}'s displacement to "
                     f"{a}'s, which sets t_{a} = z_{a} m_{b}/(z_{a} m_{b} - z_{b} m_{a}) = "
                     f"{za * m[b] / (za * m[b] - zb * m[a]):.4g} by the masses alone; select "
                     "the solvent too (the barycentric frame) or remove_drift=False")
        if np.any(z):
            t_seg = np.einsum("sij,i,j->si", l_seg, z, z) / sig_seg[:, None]
            t_mean = (res.L @ z) * z / res.sigma
            for k, name in enumerate(names):
                if z[k] != 0:
                    e = est(t_seg[:, k], "1", "dipole", "dipole", counts=charged)
                    if fixed is not None:
                        # shares the masses fix are the same in every segment: "not measured"
                        # says why, not transport_estimate's repeated motion; their error is
                        # unknown (NaN: the scatter is round-off)
                        e = replace(e, converged=False, notes=tuple(
                            n for n in e.notes if not n.startswith(NO_SCATTER_NOTE)) + (fixed,))
                    res.transference_numbers[name] = (
                        transference_estimate(e, t_mean[k], t_seg[:, k], name) if fixed is None
                        else replace(e, value=float(t_mean[k]) + 0.0))
                    res.transference[name] = res.transference_numbers[name].value
                    res.transference_err[name] = res.transference_numbers[name].stderr


    @draws_user_text
    def plot(self, ax=None):
        """The Onsager matrix as a heat map with its values.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "L")

        ax = axes_to_draw_into(ax)
        r = self.results
        lim = np.abs(r.L).max() or 1.0
        im = ax.imshow(r.L, cmap="RdBu_r", vmin=-lim, vmax=lim)
        for i in range(len(r.species)):
            for j in range(len(r.species)):
                ax.text(j, i, f"{r.L[i, j]:.3g}\n±{r.L_err[i, j]:.2g}", ha="center",
                        va="center", fontsize=8)
        places = range(len(r.species))
        tick_labels_as_typed(ax.xaxis, places, r.species)
        tick_labels_as_typed(ax.yaxis, places, r.species)
        ax.figure.colorbar(im, ax=ax, label="L (S/m per e²)")
        ax.set_title(f"Onsager ({r.method}): σ = {estimate_label(r.conductivity, reason=False)}")
        mark_invalid(ax, r.conductivity)
        return ax
