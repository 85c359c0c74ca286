r"""Self-diffusion coefficients of ion species from mean-squared displacements.

.. math:: \mathrm{MSD}(\tau) = \langle |\mathbf r_i(t+\tau) - \mathbf r_i(t)|^2 \rangle_{t,i},
          \qquad D = \frac{\text{slope}}{6}

averaged over all ions of a species and all time origins (by FFT), the slope from a straight line
fitted between 10 % and 60 % of the trajectory length by default (Ju et al. 2025), R² reported.

The centre-of-mass drift of the analysed particles is removed first (a thermostat or a net
momentum moves every particle alike and would add to every D); the log-log slope of the MSD over
the fit window tells whether the motion there is diffusive (slope 1) rather than ballistic (2) or
caged (< 1). Given the shear viscosity η, the Yeh–Hummer correction for the periodic box of side L
(Yeh & Hummer, J. Phys. Chem. B 108, 15873 (2004)) is reported:

.. math:: D_\infty = D_{PBC} + \frac{\xi\, k_B T}{6 \pi \eta L}, \qquad \xi = 2.837297
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from MDAnalysis.analysis.results import Results
from scipy import constants

from ase_electrolyte import units as _units
from ase_electrolyte.atomic_file import save_figure
from ase_electrolyte.atoms_checks import check_flag, check_number
from ase_electrolyte.estimate import Estimate, propagated_dof

from .analysis_base import require_results
from .carriers import (
    CarrierAnalysis,
    check_temperature,
    default_blocks,
    few_ions_notes,
    given_volume_notes,
    n_universes_of,
    same_system,
    volume_drift_notes,
)
from .correlation import (
    SegmentValues,
    check_segment_lags,
    fit_line,
    fit_window_slice,
    independence_notes,
    particle_msd,
    relative_error,
    segment_too_short,
    straightness,
    transport_estimate,
)
from .ion_collection import block_slices
from .plotting import axes_to_draw_into, draws_user_text
from .report import estimate_label, mark_invalid, register_analysis
from .uncertainty import real_array

__all__ = ["Diffusion"]

# Å²/ps -> m²/s
_M2_PER_S = constants.angstrom**2 / constants.pico
#: Fewest ions whose spread may stand for the error of D of a single segment.
MIN_IONS_FOR_ION_ERROR = 3
#: Ions per species whose position increments give the correlation time of the "too short"
#: and fit-start verdicts (:meth:`Diffusion._too_short_notes`). Up to this many, every ion
#: counts, so the verdict and its numbers do not depend on the order of the ions.
MAX_INEFFICIENCY_IONS = 16
#: Madelung-like constant of the Yeh–Hummer correction for a cubic box.
YEH_HUMMER_XI = 2.837297


#: Largest relative difference of the box lengths, and of the angles from 90°, of a box taken
#: as cubic by the Yeh–Hummer correction.
CUBIC_TOLERANCE = 0.01


def check_cubic_box(box, where):
    """Refuse a box for which the Yeh–Hummer correction with ``ξ = 2.837297`` does not hold.

    ξ is the lattice sum of a cubic box; the hydrodynamic self-interaction of an elongated or
    triclinic box differs by direction and in size (Kikugawa et al., J. Chem. Phys. 143, 024507
    (2015)), and ``L = V^(1/3)`` stands for none of them: a 20 × 20 × 160 Å box was corrected as
    a 40 Å cube.

    Parameters
    ----------
    box : array_like, shape (6,) or None
        ``[a, b, c, alpha, beta, gamma]`` in Å and degrees; ``None`` (no box known: the volume
        was given) is accepted.
    where : str
        The trajectory, for the message.

    Raises
    ------
    ValueError
        Lengths differing by more than :data:`CUBIC_TOLERANCE` or angles off 90° by more.
    """
    if box is None:
        return
    box = real_array(box, "box")
    if box.shape != (6,) or not np.all(np.isfinite(box)) or not np.all(box[:3] > 0):
        # a NaN box passed as cubic (NaN compares false), three lengths as a box without angles
        raise ValueError(f"the Yeh–Hummer correction needs the box of {where} as [a, b, c, "
                         f"alpha, beta, gamma] with finite positive lengths, not {box.tolist()}")
    lengths, angles = box[:3], box[3:]
    if (np.ptp(lengths) > CUBIC_TOLERANCE * np.mean(lengths)
            or np.any(np.abs(angles - 90.0) > CUBIC_TOLERANCE * 90.0)):
        raise ValueError(
            f"the Yeh–Hummer correction (xi = {YEH_HUMMER_XI}) holds for a cubic box; {where} "
            f"has a {lengths[0]:.4g} x {lengths[1]:.4g} x {lengths[2]:.4g} Å box with angles "
            f"{angles[0]:.4g}, {angles[1]:.4g}, {angles[2]:.4g}°, whose finite-size correction "
            "differs by direction (Kikugawa et al. 2015): leave out viscosity= and correct D "
            "for this box yourself"
        )


def yeh_hummer_correction(temperature, viscosity_mpas, box_length):
    """Finite-size correction ``ξ k_B T / (6 π η L)`` in Å²/ps.

    Parameters
    ----------
    temperature : float
        K.
    viscosity_mpas : float
        Shear viscosity in mPa·s.
    box_length : float
        Cubic box side in Å.

    Raises
    ------
    ValueError
        Any of them not a finite positive number (text, ``True``, an array, an Estimate: give
        its ``value``), named.
    """
    # "40" and an Estimate raised TypeError from ">", an array "truth value ... ambiguous",
    # and True was taken as 1 K
    temperature = check_temperature(temperature)
    viscosity_mpas = check_number("viscosity (mPa·s)", viscosity_mpas, above=0)
    box_length = check_number("box length (Å)", box_length, above=0)
    si = YEH_HUMMER_XI * constants.k * temperature / (
        6 * np.pi * viscosity_mpas * constants.milli * box_length * constants.angstrom
    )
    return si / _M2_PER_S


class Diffusion(CarrierAnalysis):
    r"""Self-diffusion coefficient of every ion species from its MSD.

    Parameters
    ----------
    universes : MDAnalysis.Universe or list of Universe
        One or several independent trajectories of the same system, analysed frames equally
        spaced in time.
    ions : dict
        Species name -> selection string or AtomGroup (one Universe only); each molecule (residue
        or fragment) of the selection is one particle, followed by its centre of mass or by the
        atom ``ion_center`` picks. Neutral molecules (solvent) are allowed.
    fit_window : (float, float)
        Fit range as fractions of the segment length (default 10 %–60 %): by default a segment
        is a whole trajectory, so the lags fitted are 10 %–60 % of the run, as Ju et al. (2025)
        fit them (past the ballistic and caged motion; lags of 1 %–6 % of a 1 ns run, 10 of
        its segments', are 10–60 ps, where the MSD of a Li⁺ ion in a carbonate is still in its
        cage).
    fit_window_ps : (float, float), optional
        Fit range in ps, instead of ``fit_window`` (both given are refused). One ending
        beyond the last lag of a segment is fitted up to that lag with a RuntimeWarning naming
        it (``results.fit_window`` records the range used); one holding fewer than 3 lags is
        refused before the pass.
    unwrap : bool
        Unwrap positions as MDAnalysis' ``NoJump`` does: minimum-image steps between analysed
        frames in fractional coordinates of each frame's box, so that wrapped input and the
        engine's unwrapped positions of an NPT run give the same D
        (:func:`~mda_electrolyte.carriers.unwrap_trajectory`; needs a box, and frames closer
        than half a box). If ``False`` (default), positions that jump by
        more than half a box between frames raise an error.
    charges, ion_center, compound
        As for :class:`~mda_electrolyte.GreenKuboConductivity`; charges (optional here) are passed
        on to :class:`~mda_electrolyte.NernstEinstein`. A selection of part of each molecule
        (``"name OW"`` of water) is allowed whatever charges the topology has: its charges are
        then unknown (``results.charges`` is ``None``), as part of a molecule has no ion charge.
    n_blocks : int
        Blocks each trajectory is split into (default 1: the fit window is of the whole
        trajectory). The error of D is the Student-t scaled standard error over the segments
        (the trajectories, by default); with a single segment (one trajectory) it is taken over
        the ions, as if they moved independently (a species of one ion has none: its D is
        marked not valid, and single ions alone are refused). ``n_blocks`` > 1 fits the window
        of each block instead, shorter lags with more time origins.
    remove_drift : bool
        Measure displacements relative to the centre of mass of all analysed particles
        (mass-weighted centres of every species in ``ions``; default ``True``), so that a common
        drift (thermostat, net momentum) does not add to D. The reference's own diffusive
        motion, an O(1/N) bias, is removed exactly for independent particles:
        :math:`\langle|\Delta r_i - \Delta R|^2\rangle = (1 - 2 w_i)\,\mathrm{MSD}_i +
        \sum_j w_j^2\,\mathrm{MSD}_j` with mass fractions :math:`w_j` is inverted.
    viscosity : Estimate or float or (float, float) or GreenKuboViscosity, optional
        Shear viscosity (a number in mPa·s, with its error) for the Yeh–Hummer correction, which
        holds for a cubic box of side ``V^(1/3)``: a box whose lengths differ by more than 1 %,
        or whose angles are not 90°, is refused (:func:`check_cubic_box`; before any frame is
        read, and again for the mean box of the frames), and so is a trajectory without a box
        unless ``volume`` gives the cube's volume. A given viscosity below any liquid's (0.05
        mPa·s: a number in Pa·s) is refused, a measured one that low marks the term not valid;
        so does one whose 95 % interval reaches zero, where 1/η is unbounded (Fieller 1954).
    temperature : float, optional
        K, for the Yeh–Hummer correction (default: the viscosity analysis' temperature);
        refused without ``viscosity``, as D itself divides by no temperature. One
        that differs from the run's measured temperature
        (:func:`~mda_electrolyte.carriers.run_temperature`: the ``temperature`` observable of
        an H5MD file of run_md, or the kinetic temperature of all atoms) by more than
        :data:`~mda_electrolyte.carriers.TEMPERATURE_MISMATCH` of it and 3 of its standard
        errors makes the corrected D not valid ("not at the run's temperature: ...").
    volume : float, optional
        Volume in Å³ for Nernst–Einstein and the Yeh–Hummer correction (default: mean box
        volume, if there is a box); more than
        :data:`~mda_electrolyte.carriers.MAX_GIVEN_VOLUME_RATIO` times off the box volumes makes
        the corrected D (and σ_NE) not valid.
    verbose : bool
        Progress bar.

    Attributes
    ----------
    results.time : numpy.ndarray
        Lag times in ps.
    results.msd : dict
        Species -> MSD in Å², mean over ions and segments.
    results.diffusion_coefficient : dict
        Species -> Estimate of D in Å²/ps: the slope of the mean MSD / 6, the Student-t scaled
        standard error over segments of their D (see :mod:`mda_electrolyte.uncertainty`; with
        one segment over the ions, "too few ions" below 3), the method and the verdict
        (``"not diffusive: ..."``; ``"too short: ..."`` when the ions' position increments, the
        frame-averaged velocities, hold fewer than 50 independent samples over all runs or a
        segment spans less than 4 of their correlation times, the rule the conductivities
        apply to the current, :func:`~mda_electrolyte.correlation.independence_notes`; "not
        diffusive" also when the fit window starts within
        :data:`~mda_electrolyte.correlation.MIN_FIT_START_CORRELATION_TIMES` of those
        correlation times, where the MSD still bends, as for Einstein–Helfand).
    results.D, results.D_err, results.D_m2_s, results.D_err_m2_s : dict
        Float aliases in Å²/ps and m²/s.
    results.r2 : dict
        Species -> R² of the line fitted to the mean MSD.
    results.loglog_slope : dict
        Species -> d ln MSD / d ln t over the fit window (1 when diffusive; NaN when the MSD is
        not positive at 3 lags of the window, e.g. frozen ions, whose D is then not valid);
        ``results.loglog_slope_err`` its jackknife error over the segments (0 for fewer than 5),
        which widens the tolerance (:func:`~mda_electrolyte.correlation.is_diffusive`).
    results.slope_exponent : dict
        Species -> how the MSD's slope grows over the window
        (:func:`~mda_electrolyte.correlation.slope_exponent`), ``results.slope_exponent_err``
        its jackknife error: D is not diffusive when neither it nor the log-log slope is 1
        (:func:`~mda_electrolyte.correlation.straightness`), or when the window's bend biases
        D by more than half its error (:func:`~mda_electrolyte.correlation.bend_bias`).
    results.verdict : dict
        Species -> the verdict of its Estimate (alias).
    results.diffusion_coefficient_yeh_hummer : dict or None
        Species -> Estimate of D_∞ in Å²/ps with the error of D and of the correction (only
        with ``viscosity``; aliases ``D_yeh_hummer``, ``D_yeh_hummer_err``), its interval on
        the log scale when positive, as D's.
    results.finite_size_correction : Estimate or None
        The added term ξ k_B T / (6 π η L) in Å²/ps (only with ``viscosity``), with the
        relative error of η and a verdict that is η's and the box's (a volume still drifting,
        a temperature not the run's); ``results.yeh_hummer_correction`` and
        ``results.yeh_hummer_correction_err`` are its float aliases.
    results.charge_sources : dict
        Species -> where the ion charge came from (``"given"``, ``"formal"``, ``"partial"``).
    results.fit_window : tuple of float
        Fit range in ps.
    results.n_ions, results.charges : dict
        Species -> number of ions and ion charge in e (``charges`` is ``None`` if unknown, or
        when a species mixes ions of different charge, e.g. ``"name Li or name Mg"``: D is still
        estimated, Nernst–Einstein refuses it by name).
    results.volume : float or None
        Mean volume in Å³; ``None`` without a box, or when the box volume varied by more than
        5 % (std/mean) and ``volume`` was not given: Nernst–Einstein and the Yeh–Hummer
        correction then refuse it by that reason, as the conductivities do.

    Examples
    --------
    >>> import numpy as np, MDAnalysis as mda
    >>> from MDAnalysis.coordinates.memory import MemoryReader
    >>> from mda_electrolyte import Diffusion
    >>> rng = np.random.default_rng(1)
    >>> u = mda.Universe.empty(50, n_residues=50, atom_resindex=np.arange(50), trajectory=True)
    >>> u.add_TopologyAttr("names", ["Li"] * 50)
    >>> u.add_TopologyAttr("masses", [6.94] * 50)
    >>> D, dt = 0.1, 0.5  # Å²/ps, ps
    >>> x = np.cumsum(rng.normal(scale=np.sqrt(2 * D * dt), size=(400, 50, 3)), axis=0)
    >>> u.load_new(x, format=MemoryReader, dt=dt)  # doctest: +ELLIPSIS
    <Universe with 50 atoms>
    >>> d = Diffusion(u, ions={"Li": "name Li"}).run()
    >>> abs(d.results.D["Li"] - D) < 4 * d.results.D_err["Li"]
    True
    """

    _blocks_kept_frames = True
    # one run in one segment has the error over ions
    _fewest_blocks_one_run = 1
    _needs = ("positions",)
    _needs_charges = False
    # charges only go on to Nernst–Einstein: a selection cutting molecules ("name OW") has D
    _uses_charges = False
    _needs_volume = False

    def __init__(
        self,
        universes,
        ions,
        *,
        fit_window=None,
        fit_window_ps=None,
        unwrap=False,
        charges=None,
        ion_center=None,
        compound="residues",
        n_blocks=None,
        volume=None,
        remove_drift=True,
        viscosity=None,
        temperature=None,
        verbose=False,
    ):
        n_universes = n_universes_of(universes)
        self._configure(
            n_universes, fit_window=fit_window, fit_window_ps=fit_window_ps, n_blocks=n_blocks,
            volume=volume, remove_drift=remove_drift, viscosity=viscosity,
            temperature=temperature,
        )
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
        if n_universes * self._n_blocks == 1:
            _refuse_only_single_ions([s.name for s in self.species],
                                     [s.name for s in self.species if s.n_ions == 1])
        if self._viscosity is not None:
            # the box of the current frame: an elongated one is refused before any frame is read
            for k, u in enumerate(self._universes):
                dims = u.trajectory.ts.dimensions
                if dims is not None and np.all(np.asarray(dims[:3]) > 0):
                    check_cubic_box(dims, f"Universe {k}")
                elif self._volume is None:
                    # was found only after the whole pass
                    raise ValueError(
                        f"the Yeh–Hummer correction (viscosity=) needs the box length, and "
                        f"Universe {k} has no box; give volume= (Å³) of the cubic box, or "
                        "analyse without viscosity")
        if self._remove_drift:
            # known from the topology: refused before any frame is read
            masses = np.concatenate([np.bincount(s.ids, weights=s.masses, minlength=s.n_ions)
                                     for s in self.species])
            self._check_drift_weights(masses / masses.sum())

    def _configure(self, n_collections, *, fit_window=None, fit_window_ps=None,
                   n_blocks=None, volume=None, remove_drift=True, viscosity=None,
                   temperature=None, species=None):
        self._configure_fit_window(fit_window, fit_window_ps, default=(0.1, 0.6))
        check_flag("remove_drift", remove_drift)
        self._remove_drift = remove_drift
        from .viscosity import MAX_RUN_TEMPERATURE_SPREAD

        self._viscosity = _viscosity_value(viscosity)
        used = getattr(getattr(viscosity, "results", None), "temperature", None)
        if viscosity is not None and temperature is None:
            temperature = used
            if temperature is None:
                raise ValueError("the Yeh–Hummer correction needs temperature= (K)")
        self._temperature = check_temperature(temperature, allow_none=True)
        if viscosity is None and self._temperature is not None:
            # D divides by no temperature: only the Yeh–Hummer term does. Taken without a word,
            # it then made NernstEinstein at another temperature a refusal ("the Diffusion
            # analysis (Yeh–Hummer) used ... K") although no term used it
            raise ValueError(
                f"Diffusion: temperature = {self._temperature:g} K sets the Yeh–Hummer "
                "correction, which needs viscosity= (mPa·s): without it the temperature would "
                "have no effect; leave it out, or give viscosity=")
        if (used is not None and self._temperature is not None
                and max(used, self._temperature) > MAX_RUN_TEMPERATURE_SPREAD * min(
                    used, self._temperature)):
            # k_B T / (6 π η L) with η of another state point: a 350 K correction with the
            # 300 K viscosity was taken as it came
            raise ValueError(
                f"the Yeh–Hummer correction at temperature={self._temperature:g} K, but the "
                f"viscosity analysis is of {float(used):g} K (more than "
                f"{MAX_RUN_TEMPERATURE_SPREAD - 1:.0%} apart): give the temperature of the "
                "viscosity's run, or a viscosity of this temperature")
        # one segment per trajectory unless asked: the fit window is a fraction of the run, as
        # Ju et al. (2025) fit 10-60 % of it; the default 10 blocks of one run fitted lags of
        # 1-6 % of it instead
        blocks = 1 if n_blocks is None else default_blocks(n_collections, n_blocks)
        self._configure_common(blocks, volume, species, n_collections)

    def _check_segment(self, n_rows, dt, where, n_total=None):
        if self._n_blocks == 1:
            # the run is not split: its length and the window's need, without the advice on
            # segments (one is allowed: the error is over the runs, or the ions of one)
            check_segment_lags(n_rows, dt, where=where, fit_window=self._fit_window,
                               fit_window_ps=self._fit_window_ps, blocks_advice=False)
        else:
            check_segment_lags(n_rows, dt, where=where, fit_window=self._fit_window,
                               fit_window_ps=self._fit_window_ps, n_blocks=self._n_blocks,
                               n_total=n_total, default_blocks=None,
                               fewest_blocks=self._fewest_blocks_given)

    def _estimate(self, collections):
        self.results = Results()
        # kept for NernstEinstein: the kinetic temperature of their velocities
        self._estimated_from = list(collections)
        # and D per segment, for α_d with a σ of the same segments
        self._diffusion_segments = {}
        first = collections[0]
        names = self._species_names or list(first.species)
        frame_dt = same_system(collections, names, type(self).__name__)
        for col in collections:
            # collections read elsewhere (from_collections, the CLI's one pass) were refused
            # only by the fit, "of a 0.1 ps segment", without the run's length or the remedy
            if col.ion_positions is not None:
                segment_too_short(self, col, col.ion_positions.shape[0],
                                  frame_dt * col.ion_stride, "kept frames")
        if len(collections) * self._n_blocks == 1:
            _refuse_only_single_ions(
                names, [s for s in names if first.n_ions[first.species.index(s)] == 1])
        segments = []
        strides = set()
        self._volume_refusal = None
        for col in collections:
            col.require("ion_positions", who="Diffusion")
            volume = self._run_volume(col)
            strides.add(col.ion_stride)
            pos = col.ion_positions
            if self._remove_drift:
                w = self._drift_weights(col)
                com = col.com_position[col.ion_offset :: col.ion_stride][: pos.shape[0]]
            slices = col.species_slices()
            for sl in block_slices(pos.shape[0], self._n_blocks, col.label, "kept frames",
                                   self._fewest_blocks(len(collections))):
                # the reference is subtracted a chunk of ions at a time (particle_msd): a copy
                # of the whole block was 1x the kept positions of scratch
                segments.append({"msd": self._block_msd(
                    pos[sl], slices, w if self._remove_drift else None,
                    com[sl] if self._remove_drift else None), "volume": volume})
        if len(strides) != 1:
            raise ValueError("the collections keep per-ion positions at different spacings")
        dt = same_system(collections, names, type(self).__name__) * strides.pop()
        self._combine(segments, dt, collections, names)

    def _too_short_notes(self, collections, name, fit_start, dt, fit_stop=None,
                         rel_error=None):
        """The "too short" notes of :func:`~mda_electrolyte.correlation.independence_notes` for
        one species: its ions' position increments (frame-averaged velocities) must hold 50
        independent samples and every segment 4 of their correlation times, as Green–Kubo and
        Einstein–Helfand ask of the current. Five blocks of 4 velocity correlation times each
        gave D 14 % low and "valid" in 7 of 40 replicas (2 ions per species): the slope's
        jackknife error had widened the diffusive check. Up to :data:`MAX_INEFFICIENCY_IONS`
        ions, evenly spread, stand for the species (the correlation time is a property of the
        species; pymbar's inefficiency costs a pass over each column). A fit window starting
        at ``fit_start`` (ps) whose bend biases D by more than half its relative error
        ``rel_error`` (window ending at ``fit_stop``) adds a "not diffusive" note, as for
        Einstein–Helfand."""
        runs = []
        for col in collections:
            sl = col.species_slices()[name]
            pick = np.unique(np.linspace(sl.start, sl.stop - 1,
                                         min(MAX_INEFFICIENCY_IONS, sl.stop - sl.start))
                             .round().astype(int))
            pos = col.ion_positions[:, pick]
            runs.append(np.diff(pos, axis=0).reshape(pos.shape[0] - 1, -1))
        # a singular subject: the notes say "{what} holds N independent samples" ("the
        # position increments of Li holds" read wrong)
        return independence_notes(runs, self._n_blocks,
                                  f"the position-increment series of {name}",
                                  fit_start=fit_start, dt=dt, fit_stop=fit_stop,
                                  relative_error=rel_error)

    def _volume_required(self):
        # D needs no volume; the Yeh–Hummer correction (viscosity=) does
        return self._viscosity is not None and self._volume is None

    def _run_volume(self, col):
        """The volume (Å³) of a run for Nernst–Einstein and Yeh–Hummer: the given one, the mean
        box volume, or ``None``: no box, or one whose volume varied by more than 5 %, whose
        refusal (:meth:`IonCollection.checked_volume
        <mda_electrolyte.ion_collection.IonCollection.checked_volume>`, as the conductivities
        refuse it) is kept for them. D itself needs no volume."""
        if self._volume is not None:
            return self._volume
        if col.volume is None:
            return None
        try:
            return col.checked_volume(col.label)
        except ValueError as err:
            self._volume_refusal = str(err)
            return None

    @staticmethod
    def _block_msd(pos, slices, w, reference=None):
        # |Δr|² per ion, shape (T, n_ions), a chunk of ions at a time
        msd = {name: particle_msd(pos[:, sl], reference) for name, sl in slices.items()}
        if w is not None:
            # displacements relative to the centre of mass R = Σ w_j r_j of independent
            # particles have <|Δr_i - ΔR|²> = (1 - 2 w_i) MSD_i + Σ_j w_j² MSD_j; inverting it
            # removes the O(1/N) bias of the reference's own motion while a common drift,
            # which cancels in Δr_i - ΔR, stays removed
            rel = np.concatenate([msd[name] for name in msd], axis=1)
            c = w**2 / (1.0 - 2.0 * w)
            common = (rel @ c) / (1.0 + c.sum())
            true = (rel - common[:, None]) / (1.0 - 2.0 * w)
            start = 0
            for name in msd:
                k = msd[name].shape[1]
                msd[name] = true[:, start : start + k]
                start += k
        return msd

    @staticmethod
    def _drift_weights(col):
        return Diffusion._check_drift_weights(col.drift_weights())

    @staticmethod
    def _check_drift_weights(w):
        if np.any(w >= 0.5):
            raise ValueError(
                "drift removal needs several particles, none carrying half the analysed mass; "
                "select more molecules (e.g. the solvent too) or pass remove_drift=False"
            )
        return w

    def _combine(self, segments, dt, collections, names):
        n = min(next(iter(s["msd"].values())).shape[0] for s in segments)
        time = np.arange(n) * dt
        window = fit_window_slice(time, self._fit_window, self._fit_window_ps)
        first = collections[0]
        n_runs = len(collections)
        res = self.results
        res.time = time
        res.fit_window = (float(time[window][0]), float(time[window][-1]))
        res.msd, res.r2, res.loglog_slope, res.loglog_slope_err = {}, {}, {}, {}
        res.slope_exponent, res.slope_exponent_err = {}, {}
        res.diffusion_coefficient = {}
        for name in names:
            per_ion = np.concatenate([s["msd"][name][:n] for s in segments], axis=1)
            mean = per_ion.mean(axis=1)
            slope, _, r2 = fit_line(time[window], mean[window])
            res.msd[name] = mean
            # the segments' MSDs give the slope its error (their mean is that over the ions)
            seg_msds = np.array([s["msd"][name][:n].mean(axis=1) for s in segments])
            res.r2[name] = float(r2)
            if len(segments) == 1 and per_ion.shape[1] == 1:
                # one ion of one unsplit run: no scatter gives its D an error, nor its MSD's
                # straightness one; the other species keep theirs (_refuse_only_single_ions)
                nan = float("nan")
                (res.loglog_slope[name], res.loglog_slope_err[name],
                 res.slope_exponent[name], res.slope_exponent_err[name]) = nan, nan, nan, nan
                res.diffusion_coefficient[name] = Estimate(
                    float(slope / 6.0), nan, "Å^2/ps", "slope of one ion's MSD", n_samples=1,
                    converged=False, notes=(
                        "a single ion in a single trajectory: no scatter gives D an error "
                        "(analyse several trajectories or use n_blocks >= 2)",))
                continue
            # judged by how the slope grows too and by the bend's bias against the error, not
            # by the log-log slope and a fit start of 3 correlation times estimated from the
            # same data alone, which passed the low replicas (as in Einstein–Helfand)
            (res.loglog_slope[name], res.loglog_slope_err[name], res.slope_exponent[name],
             res.slope_exponent_err[name], notes) = straightness(
                time, seg_msds if len(segments) > 1 else _ion_groups(per_ion), window,
                "the MSD")
            if len(segments) > 1:
                values = fit_line(time[window], seg_msds[:, window].T)[0]
            else:
                values = fit_line(time[window], per_ion[window])[0]
            # with 4 Ornstein–Uhlenbeck ions per species the default window at 2-12 τ was
            # valid in 43 % of 300 replicas under the 3 τ rule, their intervals covering D in
            # 0.91: a window whose bend biases D beyond half its error is not valid
            notes.extend(self._too_short_notes(collections, name, res.fit_window[0], dt,
                                               res.fit_window[1], relative_error(values)))
            ion_charges = first.charges[first.species.index(name)]
            # a species is a solvent's molecules only where its charges are known to be zero:
            # Li+ of a topology without charges is still counted in ions
            neutral = ion_charges is not None and not np.any(ion_charges)
            few = few_ions_notes({name: first.n_ions[first.species.index(name)]},
                                 neutral=(name,) if neutral else (), n_runs=n_runs)
            notes.extend(few)
            if len(segments) > 1:
                # segments, not ions, are independent: ions of one liquid move together
                seg_mean = np.array([s["msd"][name][:n].mean(axis=1) for s in segments])
                seg_slopes, _, _ = fit_line(time[window], seg_mean[:, window].T)
                self._diffusion_segments[name] = SegmentValues(
                    self._segment_runs_of(collections), self._n_blocks, seg_slopes / 6.0)
                est = transport_estimate(seg_slopes / 6.0, "Å^2/ps", n_runs=n_runs,
                                         n_blocks=self._n_blocks, notes=notes, positive=True)
            else:
                ion_slopes, _, _ = fit_line(time[window], per_ion[window])
                # a solvent's D is over its molecules: "too few ions" read wrong for EC
                what = "molecules" if neutral else "ions"
                if per_ion.shape[1] < MIN_IONS_FOR_ION_ERROR and not few:
                    notes.append(
                        f"too few {what}: the error comes from the spread over "
                        f"{per_ion.shape[1]} {what} of one segment (need "
                        f"{MIN_IONS_FOR_ION_ERROR}; use n_blocks >= 2)"
                    )
                est = transport_estimate(
                    ion_slopes / 6.0, "Å^2/ps", n_runs=1, n_blocks=1, notes=notes, what=what,
                    positive=True,
                    method=f"t-scaled standard error over {per_ion.shape[1]} {what} (taken as "
                    "independent)",
                )
                if est.interval_scale == "log":
                    # each ion's slope is gamma-like (relative spread 0.8, skewness 1.5): on
                    # the log scale the 95 % intervals of 16 Brownian ions still missed D
                    # above it in 3.9 % of 1000 replicas, below in 1.6 %
                    est = replace(est, interval_scale="gamma")
            # D is the slope of the mean MSD; the error is that of the segment (or ion) slopes
            # (the same number as the segments' mean but for round-off, which may cross zero)
            value = float(slope / 6.0)
            res.diffusion_coefficient[name] = replace(
                est, value=value, interval_scale=est.interval_scale if value > 0 else "linear")
        res.D = {k: e.value for k, e in res.diffusion_coefficient.items()}
        res.D_err = {k: e.stderr for k, e in res.diffusion_coefficient.items()}
        res.verdict = {k: e.verdict for k, e in res.diffusion_coefficient.items()}
        res.drift_removed = self._remove_drift
        res.charge_sources = {s: first.charge_sources[first.species.index(s)] for s in names}
        res.D_m2_s = {k: v * _M2_PER_S for k, v in res.D.items()}
        res.D_err_m2_s = {k: v * _M2_PER_S for k, v in res.D_err.items()}
        res.n_ions = {s: int(first.n_ions[first.species.index(s)]) for s in names}
        res.charges = None
        self._charges_refusal = None
        charges = [first.charges[first.species.index(s)] for s in names]
        mixed = {s: np.unique(q) for s, q in zip(names, charges, strict=True)
                 if q is not None and not np.allclose(q, q[0])}
        if mixed:
            # D needs no charge: it stays a result (this was raised after the whole pass);
            # Nernst–Einstein, which needs one z per species, refuses with this reason
            shown = "; ".join(f"{s!r}: {', '.join(f'{z:+g}' for z in zs)} e"
                              for s, zs in mixed.items())
            self._charges_refusal = (
                f"species mixing ions of different charge ({shown}) have no one ion charge "
                "z_s: select each kind of ion as a species of its own")
        elif all(q is not None for q in charges):
            res.charges = {s: float(q[0]) for s, q in zip(names, charges, strict=True)}
        volumes = [s["volume"] for s in segments]
        res.volume = None if any(v is None for v in volumes) else float(np.mean(volumes))
        res.n_segments = len(segments)
        res.frame_spacing = float(dt)
        res.diffusion_coefficient_yeh_hummer = res.finite_size_correction = None
        if self._viscosity is not None:
            if res.volume is None:
                raise ValueError(self._volume_refusal
                                 or "the Yeh–Hummer correction needs the box (volume)")
            # the mean box of every run (a barostat may have stretched it)
            for col in collections:
                check_cubic_box(col.box, col.label or "a trajectory")
            eta = self._viscosity
            # the correction is k_B T / (6 π η L): a temperature given that is not the run's
            # (its recorded or all-atom kinetic temperature) makes it as far off
            drift = (volume_drift_notes(collections)
                     + given_volume_notes(collections, self._volume)
                     + self._temperature_notes(collections, self._temperature))
            length = res.volume ** (1.0 / 3.0)
            corr = yeh_hummer_correction(self._temperature, eta.value, length)
            eta_notes = tuple(f"η: {n}" for n in eta.notes if not eta.valid)
            # 1/η has no bounded interval once η's own reaches zero (Fieller 1954), and the
            # first-order error of ξkT/(6πηL) is then meaningless: 0.9 ± 5 mPa·s gave the
            # term 0.017 ± 0.096 Å²/ps 'valid'
            unbounded = eta.reaches_zero()
            eta_ok = eta.valid and not unbounded
            if unbounded:
                eta_notes += (
                    f"η = {eta.value:.3g} ± {eta.stderr:.2g} mPa·s: its 95 % interval reaches "
                    "zero, where 1/η and the Yeh–Hummer term are unbounded (Fieller 1954): a "
                    "more precise viscosity is needed",)
            # the term with its error and verdict: as a bare float it dropped η's error (10 %
            # of the term for η = 0.50 ± 0.05 mPa·s) and its verdict, which D_∞ carries
            res.finite_size_correction = Estimate(
                corr, corr * eta.stderr / eta.value, "Å^2/ps",
                "ξ k_B T / (6 π η L) (Yeh & Hummer), the relative error of η",
                eta.n_samples, converged=eta_ok and not drift,
                notes=eta_notes + tuple(drift), dof=eta.dof, interval_scale="log")
            res.yeh_hummer_correction = corr
            res.yeh_hummer_correction_err = res.finite_size_correction.stderr
            res.diffusion_coefficient_yeh_hummer = {}
            for k, e in res.diffusion_coefficient.items():
                # L of a box still drifting depends on where the run stopped, as σ's V does
                notes = (e.notes + eta_notes + tuple(n for n in drift if n not in e.notes))
                # the correction scales as 1/η, so its relative error is that of η
                terms = [(e.stderr, e.dof), (corr * eta.stderr / eta.value, eta.dof)]
                value = e.value + corr
                # D and 1/η both skew right: the symmetric interval missed D + ξkT/(6πηL) above
                # in 6.7-7.2 % of replicas, below in 0.4 % (coverage 0.92); log, as D's own
                res.diffusion_coefficient_yeh_hummer[k] = Estimate(
                    value, float(np.hypot(*(a for a, _ in terms))), "Å^2/ps",
                    "propagated from the errors of D and η (first order)", e.n_samples,
                    converged=e.valid and eta_ok and not drift, notes=notes,
                    dof=propagated_dof(terms),
                    interval_scale="log" if value > 0 else "linear",
                )
            res.D_yeh_hummer = {
                k: e.value for k, e in res.diffusion_coefficient_yeh_hummer.items()
            }
            res.D_yeh_hummer_err = {
                k: e.stderr for k, e in res.diffusion_coefficient_yeh_hummer.items()
            }

    @draws_user_text
    def plot(self, ax=None):
        """MSD of every species with its fitted line over the fit window.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "fit_window")

        ax = axes_to_draw_into(ax)
        r = self.results
        t = np.linspace(*r.fit_window, 2)
        for i, (name, msd) in enumerate(r.msd.items()):
            est = r.diffusion_coefficient[name]
            ax.plot(
                r.time,
                msd,
                color=f"C{i}",
                label=f"{name}: D = {estimate_label(est.to('m^2/s'), reason=False)} "
                f"(R² = {r.r2[name]:.3f})",
                ls="-" if est.valid else ":",
            )
            # the fitted line through the window's mean MSD, and the band of slopes 6(D ± δD)
            d = est.to("Å^2/ps")
            pivot = msd[(r.time >= t[0]) & (r.time <= t[1])].mean()
            ax.plot(t, pivot + 6 * d.value * (t - t.mean()), color=f"C{i}", ls="--")
            if np.isfinite(d.stderr) and d.stderr > 0:
                tb = np.linspace(*r.fit_window, 3)   # the two slopes cross at the centre
                ax.fill_between(tb, pivot + 6 * (d.value - d.stderr) * (tb - t.mean()),
                                pivot + 6 * (d.value + d.stderr) * (tb - t.mean()),
                                color=f"C{i}", alpha=0.25, lw=0)
        ax.axvspan(*r.fit_window, color="0.9", zorder=0)
        ax.set_xlabel("lag time (ps)")
        ax.set_ylabel("MSD (Å²)")
        ax.legend()
        mark_invalid(ax, *r.diffusion_coefficient.values())
        return ax


#: Groups of ions whose MSDs stand for the independent samples of one trajectory's regime
#: check (:func:`_ion_groups`).
MAX_ION_GROUPS = 20


def _refuse_only_single_ions(names, single):
    """Refuse a Diffusion of one trajectory, not split, whose every species has one ion.

    The error of D over one unsplit trajectory is the scatter of its ions' slopes: a species of
    a single ion has none, and its D is marked not valid at the fit ("a single ion in a single
    trajectory"). Where every species is such, no D could be a result: refused before the pass
    over the frames. (A demo box of one LiPF6 in a carbonate refused the solvents' D with it.)
    """
    if single and len(single) == len(names):
        raise ValueError(
            f"species {single} have a single ion in a single trajectory, so D has no error "
            "estimate; analyse several trajectories or use n_blocks >= 2")


def _ion_groups(per_ion):
    """The MSDs ``(lags, ions)`` of one trajectory as up to :data:`MAX_ION_GROUPS` group MSDs
    whose mean is the ions' mean MSD.

    The error of D of one trajectory is over its ions (taken as independent), so the
    diffusive check's jackknife is too (:func:`~mda_electrolyte.correlation.straightness`): one
    segment gave the log-log slope no error, and its fixed tolerance doubted a diffusive run
    whose slope over 10-60 % of the run scattered (0.90 for 40 Brownian ions of 2000
    frames). Each group is its ions' sum scaled by ``groups / ions``, so the groups' mean is
    the mean over every ion whatever the group sizes.
    """
    n_ions = per_ion.shape[1]
    groups = np.array_split(np.arange(n_ions), min(n_ions, MAX_ION_GROUPS))
    scale = len(groups) / n_ions
    return np.array([per_ion[:, g].sum(axis=1) * scale for g in groups])


#: Largest shear viscosity taken (mPa·s): a glass, 1e12 Pa·s.
MAX_VISCOSITY_MPAS = 1.0e15
#: Smallest shear viscosity given as a number taken (mPa·s): below any liquid (water 0.89,
#: dimethyl carbonate 0.59, acetonitrile 0.34; gases 0.01-0.02), where a liquid's viscosity
#: given in Pa·s (0.0005 for 0.5 mPa·s) lands and would make the correction 1000 times too large.
#: The lower bound of :data:`~ase_electrolyte.units.PLAUSIBLE_VISCOSITY_PA_S`, in mPa·s.
MIN_GIVEN_VISCOSITY_MPAS = _units.PLAUSIBLE_VISCOSITY_PA_S[0] * 1e3


def _viscosity_value(viscosity):
    """η as an Estimate in mPa·s: an Estimate, a run viscosity analysis (its
    ``results.shear_viscosity``), a number in mPa·s or a (value, error) pair."""
    if viscosity is None:
        return None
    if isinstance(viscosity, Estimate):
        est = viscosity.to("mPa·s")
    elif getattr(viscosity, "results", None) is not None:
        if "shear_viscosity" not in viscosity.results:
            # an AttributeError from inside Results
            raise ValueError(f"viscosity: the {type(viscosity).__name__} has no result (not "
                             "run, or its last run was refused); run it first")
        est = viscosity.results.shear_viscosity.to("mPa·s")
    else:
        pair = (viscosity, 0.0) if np.ndim(viscosity) == 0 else tuple(np.ravel(viscosity))
        if len(pair) != 2:
            # (1.0,) raised "not enough values to unpack"
            raise ValueError(f"viscosity must be an Estimate, a run viscosity analysis, or a "
                             f"number in mPa·s with an optional error, not {viscosity!r:.80}")
        eta, err = pair
        # True was 1 mPa·s and "3" 3 mPa·s; 1e308 (a placeholder) passed as a correction of 0
        eta = check_number("viscosity (mPa·s)", eta, above=0, maximum=MAX_VISCOSITY_MPAS)
        err = check_number("viscosity error (mPa·s)", err, minimum=0)
        est = Estimate.given_value(eta, "mPa·s", err, source="viscosity=")
    if not est.value > 0:
        raise ValueError(f"viscosity must be positive (mPa·s), not {viscosity!r}")
    if est.value < MIN_GIVEN_VISCOSITY_MPAS:
        # 0.0005 (Pa·s) was taken as 0.0005 mPa·s: a Yeh–Hummer term 1000 times too large. An
        # Estimate labelled mPa·s holding a number in Pa·s passed without this check:
        # ξkT/(6πηL) = 31 Å²/ps 'valid'. A measured one is the run's own result: its
        # correction is marked, not refused
        eta = est.value
        if not est.given:
            return est.with_notes(
                f"below any liquid's viscosity (at least {MIN_GIVEN_VISCOSITY_MPAS:g} mPa·s; "
                f"water 0.89): {eta:.3g} mPa·s, a pressure or volume in another unit?",
                converged=False)
        raise ValueError(
            f"viscosity = {eta:g} mPa·s is below any liquid's (at least "
            f"{MIN_GIVEN_VISCOSITY_MPAS:g} mPa·s; water 0.89): give it in mPa·s (a viscosity "
            f"in Pa·s is 1000 times smaller: {eta:g} Pa·s = {eta * 1e3:g} mPa·s)")
    return est


@register_analysis("diffusion", needs=("box", "real masses", "charged species"))
def _report_diffusion(universe, outdir, *, calculator=None, verbose=False):
    import matplotlib

    matplotlib.use("Agg")

    from .conductivity import charged_species, transport_collection

    try:
        ions = charged_species(universe)
    except ValueError as err:
        return {"skipped": str(err)}
    # every molecule species, solvent too: D of each, and the whole system's centre of mass as
    # the drift reference; the collection is the one the other transport analyses share
    try:
        col = transport_collection(universe, verbose)
        diff = Diffusion.from_collections(col)
    except ValueError as err:
        return {"refused": str(err), "ions": ions}
    r = diff.results
    ax = diff.plot()
    save_figure(ax.figure, outdir / "diffusion.png", dpi=120)
    d_si = {k: e.to("m^2/s") for k, e in r.diffusion_coefficient.items()}
    return {
        "D": d_si,
        # inputs and fit checks apart from the results (the plain D_m2_per_s, D_err_m2_per_s
        # and verdict aliases of "D" are gone: bare numbers beside a not-valid D read as results)
        "settings": {"fit_window_ps": list(r.fit_window), "drift_removed": r.drift_removed,
                     "n_segments": r.n_segments, "n_ions": r.n_ions},
        "diagnostics": {"r2": r.r2, "loglog_slope": r.loglog_slope},
        "ions": ions,
        "plot": "diffusion.png",
    }
