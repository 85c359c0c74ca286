r"""Shear viscosity from the pressure tensor: Green–Kubo and Einstein–Helfand.

Green–Kubo with the symmetrised traceless tensor
:math:`P^\circ = (P + P^T)/2 - \mathrm{tr}(P)/3\,\mathbb 1`, which uses all five independent
shear components of an isotropic liquid (Daivis & Evans, J. Chem. Phys. 100, 541 (1994)):

.. math:: \eta = \frac{V}{10\, k_B T} \int_0^\infty
          \sum_{\alpha\beta} \langle P^\circ_{\alpha\beta}(t)\, P^\circ_{\alpha\beta}(0)\rangle\, dt

or, with ``components="offdiagonal"``, the mean over :math:`P_{xy}, P_{xz}, P_{yz}` of
:math:`\frac{V}{k_B T}\int_0^\infty\langle P_{\alpha\beta}(t)P_{\alpha\beta}(0)\rangle dt`.
The Einstein–Helfand form fits the growth of the time-integrated tensor
:math:`G^\circ(t) = \int_0^t P^\circ dt'`:
:math:`\eta = \frac{V}{20 k_B T} \frac{d}{dt} \sum_{\alpha\beta}\langle|\Delta G^\circ_{\alpha\beta}
(t)|^2\rangle`.

Both need the pressure tensor every step or few fs (BAMBOO, Gong et al. 2025, report viscosity
for every electrolyte; Ju et al. 2025 discuss it): :func:`ase_electrolyte.md.run_md` records it as
the ``pressure_tensor`` observable (bar) at every step. Both are estimators of pressure-tensor
collections (:mod:`mda_electrolyte.ion_collection`): ``from_collections`` takes the
``pressure_tensor_observable`` that :class:`~mda_electrolyte.ion_collection.IonCollector` reads
with a run_md trajectory, or :meth:`IonCollection.from_pressure_tensor
<mda_electrolyte.ion_collection.IonCollection.from_pressure_tensor>` of arrays; the constructors
(files or arrays) build those collections and call the same estimator. Input pressures in bar,
time in ps, volume in Å³; viscosities in mPa·s. Errors: Student-t scaled standard errors over
segments (:mod:`mda_electrolyte.uncertainty`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from MDAnalysis.analysis.results import Results
from scipy import constants
from scipy.integrate import cumulative_trapezoid

from ase_electrolyte.atomic_file import save_figure
from ase_electrolyte.atoms_checks import check_flag, check_number
from ase_electrolyte.option_words import choice_word

from .analysis_base import require_results
from .carriers import (
    _observed_at_steps,
    check_distinct_series,
    check_volume,
    doubted_unit_notes,
    given_temperature,
    given_volume_notes,
    temperature_notes,
    volume_drift_note,
    volume_drift_notes,
)
from .conductivity import _check_temperature
from .correlation import (
    check_fit_window,
    check_sampling,
    check_segment_lags,
    check_window,
    counted,
    fit_line,
    fit_window_slice,
    independence_notes,
    max_lag_count,
    mean_squared_displacement,
    plateau_verdict,
    refuse_underflow,
    relative_error,
    straightness,
    time_correlation,
    transport_estimate,
)
from .ion_collection import IonCollection, check_pressure_tensor_shape
from .observables import is_h5md_path, read_observable
from .plotting import axes_to_draw_into, draws_user_text
from .report import (
    estimate_label,
    mark_invalid,
    register_analysis,
    shared,
    shared_value,
    temperature_settings,
)
from .uncertainty import mean_error, real_array

__all__ = ["GreenKuboViscosity", "EinsteinHelfandViscosity", "read_pressure_tensor",
           "pressure_tensor_collection"]

# Å³ bar² ps / J -> mPa·s
#: Largest ratio of the recorded temperatures of runs averaged as one state point when no
#: temperature is given (kinetic temperatures of equal NVT runs differ by a few K).
MAX_RUN_TEMPERATURE_SPREAD = 1.05
_MPAS = constants.angstrom**3 * constants.bar**2 * constants.pico / constants.milli
_REMEDY = (
    "record the pressure tensor every step (run_md observe_interval=1, the default) or use "
    "EinsteinHelfandViscosity (check_sampling=False overrides)"
)


def read_pressure_tensor(path, *, required=True, window=None):
    """The ``pressure_tensor`` observable of an H5MD file of :func:`ase_electrolyte.md.run_md`.

    Parameters
    ----------
    path : str or os.PathLike
    required : bool
        Raise ValueError when the file records no pressure tensor (else return ``None``).
    window : (float, float), optional
        Time span in ps (first, last) of the analysed frames: only its samples (of the volume
        and temperature too; see :func:`~mda_electrolyte.observables.read_observable`).

    Returns
    -------
    dict or None
        ``tensor`` (T, 3, 3) in bar, ``dt`` (sample spacing, ps), ``volume`` (mean of the
        ``volume`` observable, Å³), ``volume_range`` (min, max), ``volume_spread`` (std/mean)
        ``volume_notes`` (a drifting volume's note,
        :func:`~mda_electrolyte.carriers.volume_drift_note`) and ``temperature`` (mean of the
        ``temperature`` observable in K at the tensor's steps, ``None`` if not recorded at
        every one of them) with ``temperature_series`` (those samples).
    """
    p = read_observable(path, "pressure_tensor", required=required, window=window)
    if p is None:
        return None
    vol = np.asarray(read_observable(path, "volume", required=True, window=window)["value"],
                     dtype=np.float64)
    temp = _observed_at_steps(read_observable(path, "temperature", window=window), p)
    mean = float(np.mean(vol))
    return {
        "tensor": p["value"],
        "dt": p["dt"],
        "volume": mean,
        "volume_range": (float(np.min(vol)), float(np.max(vol))),
        "volume_spread": float(np.std(vol) / mean),
        "volume_notes": tuple(n for n in [volume_drift_note(vol, str(path))] if n),
        "temperature": None if temp is None else float(np.mean(temp)),
        "temperature_series": temp,
    }


def pressure_tensor_collection(path, *, required=True, window=None):
    """The ``pressure_tensor`` observable of an H5MD file as an
    :class:`~mda_electrolyte.ion_collection.IonCollection` (see :func:`read_pressure_tensor`).

    The collection :class:`~mda_electrolyte.ion_collection.IonCollector` attaches as
    ``pressure_tensor_observable`` (the samples of its analysed frames' time span,
    ``window`` in ps); ``None`` when the file records none and not ``required``.
    """
    rec = read_pressure_tensor(path, required=required, window=window)
    if rec is None:
        return None
    return IonCollection.from_pressure_tensor(
        rec["tensor"], dt=rec["dt"], volume=rec["volume"], temperature=rec["temperature"],
        volume_range=rec["volume_range"], volume_spread=rec["volume_spread"], label=str(path),
        temperature_series=rec["temperature_series"], volume_notes=rec["volume_notes"],
    )


def _components(tensor, components):
    """(T, m) columns and the normalisation of the summed autocorrelation.

    Written column by column into one array: the symmetrised (and traceless) tensor as whole
    (T, 3, 3) temporaries held three float64 copies, 216 B per sample (2 GB at 10⁷ per-step
    samples) for a result of 72.
    """
    tensor = np.asarray(tensor, dtype=np.float64)

    def sym(i, j):
        return 0.5 * (tensor[:, i, j] + tensor[:, j, i])

    if components == "traceless":
        cols = np.empty((tensor.shape[0], 9))
        trace = (tensor[:, 0, 0] + tensor[:, 1, 1] + tensor[:, 2, 2]) / 3.0
        for i in range(3):
            for j in range(3):
                cols[:, 3 * i + j] = sym(i, i) - trace if i == j else sym(i, j)
        return cols, 10.0
    cols = np.empty((tensor.shape[0], 3))
    for k, (i, j) in enumerate(((0, 1), (0, 2), (1, 2))):
        cols[:, k] = sym(i, j)
    return cols, 3.0


#: Largest ratio of the root-mean-square antisymmetric off-diagonal part of a pressure tensor,
#: :math:`(P_{\alpha\beta} - P_{\beta\alpha})/2`, to its symmetric off-diagonal part that the
#: viscosities accept. The virial of torque-free forces is symmetric to round-off and a
#: molecular pressure tensor's antisymmetric part is smaller than its shear part; a tensor with
#: one triangle left at zero has a ratio of 1 and one with components in the wrong places
#: about 1 or more.
MAX_ANTISYMMETRY = 0.75


def _unit_notes(tensor, label):
    """Why a (T, 3, 3) pressure tensor's viscosity is not a result for its unit.

    The doubts of :func:`ase_electrolyte.units.warn_implausible` about the tensor (the one
    rule; its collection has warned them already, so they are caught here, not warned twice):
    values beyond 50 kbar (Pa?) or shear stresses that scatter by less than 1 bar (eV/Å³, GPa,
    kbar?). η goes with the square of the tensor's unit: in Pa it came out 8.6e9 mPa·s, valid,
    and in GPa 8.6e-9 mPa·s, valid, with a warning beside it only.
    """
    return doubted_unit_notes(f"{label} (η goes with the square of the tensor's unit)",
                              pressure_bar=tensor,
                              shear_stress_bar=tensor[:, [0, 0, 1], [1, 2, 2]])


def _symmetry_notes(tensor, label):
    """Why a (T, 3, 3) pressure tensor's viscosity is not a result for its asymmetry.

    A triangle of exact zeros under a filled one (a tensor built from the six Voigt
    components, one triangle left unfilled) is refused: symmetrised, every shear component is
    halved and η is a quarter of the truth (0.26, valid, before). An antisymmetric off-diagonal
    part whose root mean square is more than :data:`MAX_ANTISYMMETRY` of the symmetric one
    (components in the wrong places: nine columns reshaped in another order gave 1.03-1.12)
    makes the viscosity not valid with a note; below it the tensor is symmetrised without
    comment (Daivis & Evans 1994). Column by column, as :func:`_components`. A tensor whose
    off-diagonal components are all zero while its diagonal varies (the diagonal pressures
    only, with normal-stress differences) is refused too.
    """
    pairs = ((0, 1), (0, 2), (1, 2))
    upper = any(np.any(tensor[:, i, j] != 0) for i, j in pairs)
    lower = any(np.any(tensor[:, j, i] != 0) for i, j in pairs)
    trace = (tensor[:, 0, 0] + tensor[:, 1, 1] + tensor[:, 2, 2]) / 3.0
    # a hydrostatic p·I has no shear of any kind: left to the "do not fluctuate" refusal
    scale = float(np.max(np.abs(tensor))) if tensor.size else 0.0
    if not upper and not lower and any(np.ptp(tensor[:, i, i] - trace) > 1e-9 * scale
                                       for i in range(3)):
        # the diagonal pressures alone (a code or file that writes P_xx, P_yy, P_zz): the
        # traceless estimator then reads only the normal-stress differences, 0.38 of the full
        # tensor's viscosity in an OU test, marked valid, and the off-diagonal one reads zeros
        raise ValueError(
            f"{label}: every off-diagonal (shear) component of the pressure tensor is zero at "
            "every sample while its diagonal varies: a tensor of the diagonal pressures only "
            "(shear stresses not written?), whose viscosity would leave out the shear "
            "stresses; give the full (T, 3, 3) tensor (run_md records it as 'pressure_tensor')")
    if upper != lower:
        empty = "lower" if upper else "upper"
        raise ValueError(
            f"{label}: the {empty} off-diagonal triangle of the pressure tensor is zero at every "
            "sample while the other is not: a symmetric tensor has P[:, j, i] = P[:, i, j] "
            "(fill it from the other triangle; symmetrised as given, every shear component "
            "would be halved and the viscosity a quarter of the truth)")
    anti = sym = 0.0
    for i, j in pairs:
        anti += float(np.sum((0.5 * (tensor[:, i, j] - tensor[:, j, i])) ** 2))
        sym += float(np.sum((0.5 * (tensor[:, i, j] + tensor[:, j, i])) ** 2))
    if not anti > MAX_ANTISYMMETRY**2 * sym:
        return []
    ratio = math.sqrt(anti / sym) if sym > 0 else math.inf
    return [
        f"not symmetric: the antisymmetric off-diagonal part of {label}'s pressure tensor is "
        f"{ratio:.3g} times its symmetric one (root mean square; a virial is symmetric, a "
        f"molecular one nearly: at most {MAX_ANTISYMMETRY:g}); components in the wrong places "
        "(Voigt order xx yy zz yz xz xy, nine columns reshaped in another order)? It was "
        "symmetrised"]


#: Range of the instantaneous (infinite-frequency) shear modulus
#: :math:`G_\infty = V \langle \delta P_{xy}^2 \rangle / (k_B T)` (Zwanzig & Mountain 1965), in
#: Pa, that a liquid's pressure tensor, volume and temperature are taken to describe together.
#: Liquids of MD lie near 1-10 GPa (water about 1.5, a Lennard-Jones argon 0.8, molten salts
#: and ionic liquids a few); their kinetic part alone, ρ k_B T, is 0.4 GPa for 0.1 atoms per Å³
#: at 300 K. η = G_∞ τ_M goes with V, so a volume given in nm³ where Å³ is read (1000 times
#: too small) put G_∞ near 1-10 MPa and the viscosity 1000 times too small, marked valid.
MIN_SHEAR_MODULUS = 5e7
#: Ceiling of the same: 200 GPa, below diamond's 480 GPa and far above any liquid's.
MAX_SHEAR_MODULUS = 2e11


def _shear_modulus_notes(tensor, volume, temperature, label):
    r"""Why a viscosity is not a result for its volume (or temperature) unit: the instantaneous
    shear modulus :math:`G_\infty = V \langle \delta P_{\alpha\beta}^2 \rangle / (k_B T)` of the
    (T, 3, 3) tensor in bar, its ``volume`` (Å³) and ``temperature`` (K), outside
    :data:`MIN_SHEAR_MODULUS` to :data:`MAX_SHEAR_MODULUS`.

    The only check a volume given with an array has (no box to compare it with): V k_B T and
    the shear-stress fluctuations of one liquid belong together, and the viscosity is
    :math:`G_\infty` times a relaxation time.
    """
    shear = 0.5 * (tensor[:, [0, 0, 1], [1, 2, 2]] + tensor[:, [1, 2, 2], [0, 0, 1]])
    variance = float(np.mean(np.var(shear, axis=0))) * constants.bar**2
    if not variance > 0:
        return []
    modulus = volume * constants.angstrom**3 * variance / (constants.k * temperature)
    if MIN_SHEAR_MODULUS <= modulus <= MAX_SHEAR_MODULUS:
        return []
    return [
        f"unit doubted: {label}: its shear-stress fluctuations, volume ({volume:.6g} Å³) and "
        f"temperature ({temperature:.6g} K) give an instantaneous shear modulus V<δP_xy²>/(k_B T) "
        f"of {modulus / 1e9:.3g} GPa, no liquid's (they lie within "
        f"{MIN_SHEAR_MODULUS / 1e9:g}-{MAX_SHEAR_MODULUS / 1e9:g} GPa): a volume in another unit "
        "(1 nm³ = 1000 Å³)? η goes with the volume"]


def _source_collections(source, *, dt, volume):
    """The pressure-tensor collections of the constructors' input (files, arrays, collections)."""
    items = list(source) if isinstance(source, (list, tuple)) else [source]
    if items and all(_is_tensor_sample(x) for x in items):
        # a list of (3, 3) samples ([atoms.get_stress(voigt=False) ...], a JSON series) is one
        # series, as its array is: each sample was taken for a run and refused as "not (3, 3)"
        items = [np.asarray(items)]
    if not items:
        raise ValueError("no pressure-tensor input given")
    out = []
    for k, item in enumerate(items):
        if isinstance(item, IonCollection):
            out.append(item)
        elif is_h5md_path(item):
            out.append(pressure_tensor_collection(item))
        elif hasattr(item, "trajectory") or hasattr(item, "universe"):
            # a Universe's frames hold no per-step pressure tensor; its file may
            filename = getattr(getattr(getattr(item, "universe", item), "trajectory", None),
                               "filename", None)
            hint = (f" (here {filename!r})" if is_h5md_path(filename) else "")
            raise TypeError(
                f"the viscosity reads the per-step pressure tensor, which the frames of "
                f"{type(item).__name__} {k} do not hold: pass the H5MD file of run_md{hint}, a "
                "(T, 3, 3) array in bar with dt= and volume=, or an IonCollection")
        else:
            if np.ndim(item) == 0:
                raise TypeError(
                    f"pressure-tensor input {k} must be an H5MD path, a (T, 3, 3) array in bar "
                    f"or an IonCollection, not {type(item).__name__}")
            # complex values were cast to real with only numpy's ComplexWarning
            tensor = real_array(item, f"pressure-tensor input {k} (bar)")
            check_pressure_tensor_shape(tensor)
            if dt is None or volume is None:
                raise ValueError("array input needs dt= (ps) and volume= (Å³)")
            out.append(IonCollection.from_pressure_tensor(tensor, dt=dt, volume=volume,
                                                          label=f"array {k}"))
    return out


def _is_tensor_sample(item):
    """Whether ``item`` is one pressure-tensor sample, not a run: (3, 3), or the (6,) Voigt
    and (9,) rows that the shape check names."""
    if isinstance(item, (str, bytes, IonCollection)) or hasattr(item, "trajectory"):
        return False
    try:
        return np.shape(item) in ((3, 3), (6,), (9,))
    except ValueError:
        # ragged nesting has no shape
        return False


def _pressure_of(collection):
    """The collection holding the pressure tensor: itself or its ``pressure_tensor_observable``."""
    if not isinstance(collection, IonCollection):
        raise TypeError("from_collections needs an IonCollection or a list of them, not "
                        f"{type(collection).__name__}")
    if collection.pressure_tensor is not None:
        return collection
    observed = getattr(collection, "pressure_tensor_observable", None)
    if observed is None:
        raise ValueError(
            f"{collection.label or 'the collection'} holds no pressure tensor: the viscosity "
            "needs the per-step pressure_tensor observable of a run_md H5MD file (read by the "
            "IonCollector of a Universe of that file) or IonCollection.from_pressure_tensor(...)"
        )
    return observed


class _PressureAnalysis:
    """Pressure-tensor collections, segments, and checks shared by both forms.

    A subclass implements ``_configure(collections, **parameters)`` (calling
    :meth:`_configure_pressure`) and ``run()``; the constructor turns files or arrays into
    collections, :meth:`from_collections` takes collections made elsewhere.
    """

    def __init__(self, source, *, dt=None, volume=None, **parameters):
        self._configure(_source_collections(source, dt=dt, volume=volume), volume=volume,
                        **parameters)

    @classmethod
    def from_collections(cls, collections, **parameters):
        """The viscosity estimated from pressure-tensor collections; ``results`` filled.

        Parameters
        ----------
        collections : IonCollection or list of IonCollection
            One per independent run of the same system: collections of
            :meth:`IonCollection.from_pressure_tensor
            <mda_electrolyte.ion_collection.IonCollection.from_pressure_tensor>`, or those of
            an :class:`~mda_electrolyte.ion_collection.IonCollector` whose trajectory records
            the pressure tensor (their ``pressure_tensor_observable`` is used; no frame is
            read).
        **parameters
            The estimator's parameters as for the constructor (``temperature``, ``volume``,
            ``n_blocks``, ``components``, ...), without ``dt``: the collections carry it.

        Returns
        -------
        The analysis after :meth:`run`.

        Examples
        --------
        One read of a run_md trajectory, shared with the conductivity (``u``: a Universe of
        the H5MD file); the result is an Estimate in mPa·s:

        >>> col = IonCollector(u, {"LI": "resname LI"}).run().collection  # doctest: +SKIP
        >>> eta = GreenKuboViscosity.from_collections(col, max_lag=20.0)  # doctest: +SKIP
        >>> eta.results.shear_viscosity  # doctest: +SKIP
        """
        if isinstance(collections, IonCollection):
            collections = [collections]
        collections = list(collections)
        if not collections:
            raise ValueError("no pressure-tensor input given")
        obj = cls.__new__(cls)
        obj._configure(collections, **parameters)
        return obj.run()

    def _configure_pressure(self, collections, *, temperature, volume, n_blocks, components):
        # option words carry no case or spacing, as the calculators' and run_md's
        components = choice_word("components", components, ("traceless", "offdiagonal"))
        self._components = components
        #: the pressure-tensor collections estimated from
        self.collections = [_pressure_of(c) for c in collections]
        check_distinct_series(self.collections, type(self).__name__)
        runs = [{"tensor": c.pressure_tensor, "dt": c.dt, "volume": c.volume,
                 "temperature": c.kinetic_temperature} for c in self.collections]
        symmetry_notes = []
        for r, c in zip(runs, self.collections, strict=True):
            if not np.all(np.isfinite(r["tensor"])):
                raise ValueError("the pressure tensor contains NaN or infinite values")
            symmetry_notes.extend(_symmetry_notes(r["tensor"], c.label or "the input"))
            symmetry_notes.extend(_unit_notes(r["tensor"], c.label or "the input"))
            if volume is not None:
                r["volume"] = check_volume(volume, allow_none=False)
            if r["volume"] is None:
                raise ValueError("give volume= (Å³): the collection has none")
            if volume is None:
                # an NPT run whose volume varied by more than 5 % has no one V to multiply by
                # (the conductivities refuse it too); a given volume accepts it
                r["volume"] = c.checked_volume(c.label or "the pressure tensor")
            if not 0 < r["volume"] < np.inf:
                raise ValueError(f"volume must be positive and finite (Å³), not {r['volume']}")
        dts = {round(r["dt"], 12) for r in runs}
        if len(dts) != 1:
            raise ValueError(f"the inputs have different sample spacings {sorted(dts)} ps")
        self._dt = runs[0]["dt"]
        if not 0 < self._dt < np.inf:
            raise ValueError(f"dt must be positive and finite (ps), not {self._dt}")
        if temperature is None:
            temps = [r["temperature"] for r in runs]
            if any(t is None for t in temps):
                raise ValueError("give temperature= (K)")
            if max(temps) > MAX_RUN_TEMPERATURE_SPREAD * min(temps):
                # runs at two state points are not segments of one: their mean T is neither's
                shown = ", ".join(f"{t:.4g}" for t in temps)
                raise ValueError(
                    f"the runs record different temperatures ({shown} K, more than "
                    f"{MAX_RUN_TEMPERATURE_SPREAD - 1:.0%} apart): analyse each "
                    "state point on its own, or give temperature= (K) if they are one"
                )
            temperature = float(np.mean(temps))
        self._temperature = _check_temperature(temperature)
        for r, c in zip(runs, self.collections, strict=True):
            symmetry_notes.extend(_shear_modulus_notes(
                r["tensor"], r["volume"], self._temperature, c.label or "the input"))
        if n_blocks is None:
            n_blocks = 10 if len(runs) == 1 else 1
        n_blocks = check_number("n_blocks", n_blocks, integer=True, minimum=1)
        if len(runs) * n_blocks < 2:
            raise ValueError(
                "the error estimate needs at least 2 segments: several runs or n_blocks >= 2"
            )
        self._n_runs, self._n_blocks = len(runs), int(n_blocks)
        self._run_lengths = [(r["tensor"].shape[0], c.label or "the pressure tensor")
                             for r, c in zip(runs, self.collections, strict=True)]
        self._check_runs(**self._segment_needs)
        columns = [_components(r["tensor"], components) for r in runs]
        self._norm = columns[0][1]
        # the distinct components: xx, yy, zz, xy, xz, yz of the 9 traceless columns
        distinct = [0, 4, 8, 1, 2, 5] if components == "traceless" else [0, 1, 2]
        self._stress_runs = [c[:, distinct] for c, _ in columns]
        self._sampling_notes = independence_notes(
            self._stress_runs, int(n_blocks), "the shear stress"
        ) + temperature_notes(self.collections, self._temperature) + volume_drift_notes(
            self.collections) + given_volume_notes(self.collections, volume) + symmetry_notes
        stacked = np.concatenate([c for c, _ in columns])
        # relative to the tensor's size: the traceless part of a hydrostatic p·I is round-off
        scale = max(float(np.max(np.abs(r["tensor"]))) for r in runs)
        self._static = bool(np.all(np.ptp(stacked, axis=0) <= 1e-12 * scale))
        self._segments = []
        for r, (cols, _) in zip(runs, columns, strict=True):
            block = cols.shape[0] // int(n_blocks)
            for b in range(int(n_blocks)):
                self._segments.append((cols[b * block : (b + 1) * block], r["volume"]))
        mean, self._static_notes = _static_shear_stress(
            [c for c, _ in self._segments], stacked.mean(axis=0), distinct)
        if mean is not None:
            self._segments = [(c - mean, v) for c, v in self._segments]
        self.results = Results()

    #: Fewest samples of a segment (the correlation and the fit need a few lags).
    _MIN_SEGMENT = 4

    def _check_runs(self, **needs):
        """Refuse runs whose segments are too short for ``needs`` (``max_lag``, ``fit_window``;
        see :func:`~mda_electrolyte.correlation.check_segment_lags`), before any correlation.

        The refusal names the run, its split and what would do, as the conductivities' do (it
        said "a segment has 20" of a 200-sample run only).
        """
        # several runs take one segment each (checked_blocks): the advice says so
        fewest = 1 if len(self._run_lengths) > 1 else 2
        for n, label in self._run_lengths:
            rows = n // self._n_blocks
            check_segment_lags(
                rows, self._dt, where=f"{type(self).__name__}: {label}: {n} samples give "
                f"segments of {rows} samples", n_blocks=self._n_blocks, n_total=n,
                min_rows=self._MIN_SEGMENT, what="samples", fewest_blocks=fewest, **needs)

    def _check_fluctuations(self):
        # checked by run(), before any correlation pass: Green–Kubo failed on a zero
        # autocorrelation after it, and Einstein–Helfand reported a NaN log-log slope
        if self._static:
            raise ValueError("the shear components of the pressure tensor do not fluctuate "
                             "(a constant or purely hydrostatic tensor): no viscosity")
        # products of components this small leave float64's normal range (refuse_underflow)
        refuse_underflow(max(float(np.max(np.abs(c))) for c, _ in self._segments),
                         "the shear components of the pressure tensor", "bar")

    def _estimate(self, samples, notes):
        return transport_estimate(samples, "mPa·s", n_runs=self._n_runs,
                                  n_blocks=self._n_blocks, notes=notes, positive=True)

    def _store_viscosity(self, samples, notes):
        """Results of the per-segment viscosities ``samples`` (mPa·s): the estimate, marked
        with the method's ``notes`` and those of the tensor (sampling, static stress), its
        aliases and the settings it was made with."""
        res = self.results
        res.shear_viscosity = self._estimate(
            samples, [*notes, *self._sampling_notes, *self._static_notes])
        _viscosity_aliases(res)
        res.temperature = self._temperature
        res.volume = float(np.mean([v for _, v in self._segments]))
        res.n_segments = len(self._segments)

    def _prefactor(self, volume):
        return volume / (constants.k * self._temperature) * _MPAS / self._norm


#: Two-sided probability below which the mean shear stress of the blocks is taken as a static
#: stress (a liquid at equilibrium has none): 1e-4, so that of the 3-6 distinct components of a
#: liquid's tensor one is misread in about 1 of 2000 analyses.
_STATIC_STRESS_P = 1e-4


def _static_shear_stress(blocks, mean, distinct):
    """The static shear stress to subtract (``None`` when the blocks show none) and its notes.

    A liquid at equilibrium carries no mean shear stress, so none is subtracted: the mean over
    all input, subtracted every time before, lowers every segment's autocorrelation by the
    variance of that mean, ``2 s² τ / T``, and both forms of η by about ``2 t / T`` for a
    plateau or fit window at lag ``t`` of ``T`` of input (measured over 1500-2000 replicas of
    a tensor of known η: -7.5 % at ``T`` = 200 τ, -2.9 % at 500 τ; the 95 % intervals covered
    η in 0.86-0.94; unsubtracted, Green–Kubo is +0.3 ± 0.5 % and +0.6 ± 0.3 % off and covers
    0.944-0.948 on the log scale). A mean that the blocks' means put ``_STATIC_STRESS_P``
    away from zero (Student-t over the blocks) is a static stress: a solid or a glass, or a run not
    equilibrated. It is subtracted, as a constant would add ``m²`` to the autocorrelation at
    every lag, and the viscosity is marked not valid.

    Parameters
    ----------
    blocks : list of numpy.ndarray, shape (n_i, n_columns)
        The segments' stress columns (bar).
    mean : numpy.ndarray, shape (n_columns,)
        Their mean over all input.
    distinct : list of int
        The columns that are not copies of others.
    """
    from scipy import stats

    if len(blocks) < 2:
        return None, []
    means = np.array([b.mean(axis=0) for b in blocks])[:, distinct]
    n = means.shape[0]
    err = means.std(axis=0, ddof=1) / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(means.mean(axis=0)) / err
    # 0/0 (a constant zero column) is NaN, never significant; a constant offset is infinite
    significant = t > stats.t.ppf(1.0 - 0.5 * _STATIC_STRESS_P, n - 1)
    if not np.any(significant):
        return None, []
    worst = int(np.argmax(np.where(significant, t, 0.0)))
    return mean, [
        f"static shear stress: the mean shear stress over the {n} blocks is "
        f"{means.mean(axis=0)[worst]:.3g} ± {err[worst]:.2g} bar ({t[worst]:.3g} standard errors "
        "from zero); a liquid at equilibrium has none (a solid or a glass, or a run not "
        "equilibrated); it was subtracted"]


def _plateau_window(plateau, n_lags, dt, max_lag=None, n_blocks=None):
    """``"auto"`` or the window ``(lo, hi)`` in ps as floats, holding at least 2 lags."""
    # a string compared with != "auto" element by element would make an array here
    if isinstance(plateau, str):
        # any case and spacing, as every option word; a word is no window, and its message
        # names the near miss ('aut') as Green-Kubo conductivity's does
        try:
            return choice_word("plateau", plateau, ("auto",))
        except ValueError as exc:
            raise ValueError(f"plateau must be 'auto' or a window of two numbers (start, stop) "
                             f"in ps: {exc}") from None
    try:
        lo, hi = check_window("plateau (ps)", plateau)
    except ValueError as exc:
        raise ValueError(f"plateau must be 'auto' or a window: {exc}") from None
    last = (n_lags - 1) * dt
    if hi > last + 1e-9 * dt:
        # without max_lag the lags reach half a segment, which "within 0..max_lag" did not say
        reach = (f"max_lag = {max_lag} ps" if max_lag is not None else
                 "half a segment without max_lag")
        # with max_lag given, the lags end there whatever the run's length and split
        # and fewer segments only where there are several (one per run is the fewest)
        fewer = " or fewer n_blocks (longer segments)" if n_blocks != 1 else ""
        longer = ("a longer max_lag" if max_lag is not None else
                  f"more samples{fewer}, or a max_lag up to a segment's length")
        raise ValueError(f"plateau window {plateau!r} ends beyond the longest lag, {last:.6g} ps "
                         f"({reach}): give a plateau ending by then, or {longer}")
    lags = np.arange(n_lags) * dt
    inside = int(np.count_nonzero((lags >= lo - 1e-9 * dt) & (lags <= hi + 1e-9 * dt)))
    if inside < 2:
        # one lag has no drift to measure: the flatness verdict would pass whatever η(τ) does
        raise ValueError(f"plateau window {plateau!r} holds {counted(inside, 'lag')} at "
                         f"{dt:g} ps "
                         "spacing; it needs at least 2")
    return (lo, hi)


class GreenKuboViscosity(_PressureAnalysis):
    r"""Shear viscosity from the Green–Kubo integral of the pressure-tensor autocorrelation.

    Parameters
    ----------
    source : path, array, IonCollection or list of them
        H5MD file(s) of :func:`ase_electrolyte.md.run_md` (their ``pressure_tensor``, ``volume``
        and ``temperature`` observables), pressure-tensor series of shape (T, 3, 3) in bar, or
        pressure-tensor collections (see :meth:`from_collections`, which is what the
        constructor calls once it has built them). Several inputs are independent runs.
        Real numbers only. The tensor is symmetrised, :math:`(P + P^T)/2` (Daivis & Evans
        1994): one off-diagonal triangle left at zero is refused (its viscosity was a quarter
        of the truth, valid), as is a tensor of the diagonal pressures only (every
        off-diagonal component zero: 0.38 of the truth, valid), and one whose antisymmetric
        off-diagonal part is more than
        :data:`MAX_ANTISYMMETRY` of its symmetric one (components in the wrong places) makes
        the viscosity not valid ("not symmetric: ..."). So does a tensor whose unit
        :func:`ase_electrolyte.units.warn_implausible` doubts ("unit doubted: ...": values
        beyond 50 kbar, or shear stresses scattering by less than 1 bar).
    temperature : float, optional
        K (default: mean of the files' temperature observable). One given that differs from
        that mean (or from a ``temperature_series`` of the collection) by more than
        :data:`~mda_electrolyte.carriers.TEMPERATURE_MISMATCH` (5 %) and 3 standard errors of
        it makes η not valid ("not at the run's temperature: ...", naming both): η is
        divided by k_B T (:func:`~mda_electrolyte.carriers.temperature_notes`).
    volume : float, optional
        Å³ (required for arrays; default: mean of the files' volume); more than
        :data:`~mda_electrolyte.carriers.MAX_GIVEN_VOLUME_RATIO` times off a file's volume makes
        η not valid.
    dt : float, optional
        Spacing of array samples in ps.
    max_lag : float, optional
        Longest correlation time in ps (default: half a segment).
    plateau : "auto" or (float, float)
        Averaging window of the running integral in ps; ``"auto"``: the second half of the lags.
    n_blocks : int, optional
        Blocks per run (default 10 for one run, 1 for several); the segments of the error.
    components : {"traceless", "offdiagonal"}
        Daivis–Evans traceless average (default) or the three off-diagonal elements.
    check_sampling : bool
        Refuse samples too sparse to resolve the autocorrelation (see
        :func:`~mda_electrolyte.correlation.check_sampling`).

    Attributes
    ----------
    collections : list of IonCollection
        The pressure-tensor collections estimated from, one per run.
    results.time : numpy.ndarray
        Lags in ps.
    results.acf : numpy.ndarray
        Normalised autocorrelation (per shear component) in bar².
    results.running_integral, results.running_integral_err : numpy.ndarray
        η(τ) in mPa·s and its error.
    results.shear_viscosity : Estimate
        η in mPa·s: mean over segments of η(τ) averaged over the plateau, its t-scaled standard
        error, and the verdict (not converged, too coarse). ``results.viscosity``,
        ``results.viscosity_err``, ``results.verdict`` and ``results.valid`` are aliases.
    results.plateau : tuple of float
        Window in ps; ``results.plateau_converged`` whether η(τ) is flat within its error there.
    results.sampling : dict
        The sampling check.

    Examples
    --------
    >>> import numpy as np
    >>> from mda_electrolyte import GreenKuboViscosity
    >>> rng = np.random.default_rng(0)
    >>> p = rng.normal(scale=100.0, size=(4000, 3, 3))   # bar, white noise: unresolved
    >>> GreenKuboViscosity(p, temperature=300, volume=1e4, dt=0.001,
    ...                    max_lag=0.05).run()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: frames every 1 fs are too sparse to resolve the pressure-tensor autocorrelation...
    """

    def __init__(
        self,
        source,
        *,
        temperature=None,
        volume=None,
        dt=None,
        max_lag=None,
        plateau="auto",
        n_blocks=None,
        components="traceless",
        check_sampling=True,
    ):
        super().__init__(
            source, temperature=temperature, volume=volume, dt=dt, max_lag=max_lag,
            plateau=plateau, n_blocks=n_blocks, components=components,
            check_sampling=check_sampling,
        )

    def _configure(self, collections, *, temperature=None, volume=None, max_lag=None,
                   plateau="auto", n_blocks=None, components="traceless", check_sampling=True):
        if max_lag is not None:
            max_lag = check_number("max_lag (ps)", max_lag, above=0)
        self._segment_needs = {"max_lag": max_lag}
        self._configure_pressure(collections, temperature=temperature, volume=volume,
                                 n_blocks=n_blocks, components=components)
        n_min = min(c.shape[0] for c, _ in self._segments)
        # max_lag was checked against the segments by _configure_pressure
        self._n_lags = (n_min // 2 + 1 if max_lag is None
                        else max_lag_count(max_lag, self._dt, "samples", n_rows=n_min))
        self._plateau = _plateau_window(plateau, self._n_lags, self._dt, max_lag,
                                        self._n_blocks)
        check_flag("check_sampling", check_sampling)
        self._check = bool(check_sampling)

    def run(self):
        """Compute the autocorrelations and the viscosity; returns ``self``."""
        self._check_fluctuations()
        dt, n_lags = self._dt, self._n_lags
        acfs = np.array(
            [time_correlation(c, n_lags=n_lags) / self._norm for c, _ in self._segments]
        )
        running = np.array(
            [
                self._prefactor(v) * self._norm
                * cumulative_trapezoid(a, dx=dt, initial=0.0)
                for a, (_, v) in zip(acfs, self._segments, strict=True)
            ]
        )
        res = self.results
        res.time = np.arange(n_lags) * dt
        res.acf, _, _ = mean_error(acfs)
        res.sampling = check_sampling(
            res.acf, dt, what="pressure-tensor", raise_error=self._check, remedy=_REMEDY
        )
        res.running_integral, res.running_integral_err, res.dof = mean_error(running)
        if self._plateau == "auto":
            window = slice((n_lags - 1) // 2, n_lags)
        else:
            lo, hi = self._plateau
            sel = np.nonzero((res.time >= lo - 1e-9 * dt) & (res.time <= hi + 1e-9 * dt))[0]
            window = slice(sel[0], sel[-1] + 1)
        res.plateau = (float(res.time[window][0]), float(res.time[window][-1]))
        verdict = plateau_verdict(res.time, running, window)
        res.plateau_converged = verdict["converged"]
        res.plateau_drift, res.plateau_drift_err = verdict["drift"], verdict["drift_err"]
        notes = []
        if not verdict["converged"]:
            notes.append(
                f"not converged: η(τ) drifts by {verdict['drift']:.3g} ± "
                f"{verdict['drift_err']:.2g} mPa·s over {res.plateau[0]:.4g}–{res.plateau[1]:.4g} "
                "ps (longer max_lag or runs)"
            )
        if not res.sampling["resolved"]:
            notes.append(f"too coarse: {res.sampling['message']}")
        self._store_viscosity(running[:, window].mean(axis=1), notes)
        res.components = self._components
        if not res.valid:
            warnings.warn(f"Green–Kubo viscosity: {res.verdict}", RuntimeWarning, stacklevel=2)
        return self

    @draws_user_text
    def plot(self, ax=None):
        """Running integral η(τ) with its error band and the plateau window.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "time")

        ax = axes_to_draw_into(ax)
        r = self.results
        ax.plot(r.time, r.running_integral, color="C0")
        ax.fill_between(r.time, r.running_integral - r.running_integral_err,
                        r.running_integral + r.running_integral_err, color="C0", alpha=0.3)
        ax.axvspan(*r.plateau, color="0.85", zorder=0)
        ax.axhline(r.viscosity, color="k", lw=0.8)
        ax.set_xlabel("correlation time τ (ps)")
        ax.set_ylabel("η(τ) (mPa·s)")
        ax.set_title(f"Green–Kubo: η = {estimate_label(r.shear_viscosity, reason=False)}")
        mark_invalid(ax, r.shear_viscosity)
        return ax


class EinsteinHelfandViscosity(_PressureAnalysis):
    r"""Shear viscosity from the mean-squared growth of the time-integrated pressure tensor.

    Parameters
    ----------
    source, temperature, volume, dt, n_blocks, components
        As for :class:`GreenKuboViscosity`.
    fit_window : (float, float)
        Fit range as fractions of a segment (default 10 %–30 %).
    fit_window_ps : (float, float), optional
        Fit range in ps, instead of ``fit_window`` (both given are refused), as for
        :class:`~mda_electrolyte.EinsteinHelfandConductivity` and
        :class:`~mda_electrolyte.Diffusion`. One ending beyond the last lag of a segment is
        fitted up to that lag with a RuntimeWarning naming it (``results.fit_window`` records
        the range used); one holding fewer than 3 lags is refused before any integral.

    Attributes
    ----------
    collections : list of IonCollection
        As for :class:`GreenKuboViscosity`.
    results.time : numpy.ndarray
        Lags in ps.
    results.msd : numpy.ndarray
        :math:`\sum\langle|\Delta G|^2\rangle` per shear component, bar² ps².
    results.shear_viscosity : Estimate
        mPa·s, mean of the segments' slopes and its t-scaled standard error
        (``results.viscosity``, ``results.viscosity_err``: float aliases).
    results.loglog_slope : float
        Of the mean MSD over the window, ``results.loglog_slope_err`` its jackknife error over the
        segments (for information: a straight ⟨ΔG²⟩ with an offset has one above 1).
    results.slope_exponent : float
        How the slope of the mean MSD grows over the window
        (:func:`~mda_electrolyte.correlation.slope_exponent`: 1 for a straight line, 2 for
        ballistic growth), ``results.slope_exponent_err`` its jackknife error; the viscosity is
        "not diffusive" when neither it nor the log-log slope is 1
        (:func:`~mda_electrolyte.correlation.straightness`), or when the bend of ⟨ΔG²⟩
        before the stress has decorrelated biases the fitted slope by more than half its error
        (:func:`~mda_electrolyte.correlation.bend_bias`).
        Judged by the log-log slope and by a fit start of 3 estimated correlation times, the
        valid results had been selected low: over 400 Ornstein–Uhlenbeck replicas of 6000
        samples (window at 3-9 τ) those left valid had a mean z-score of -1.14 (all: -0.26);
        now 97 % are valid, mean z -0.33 (all -0.30), their 95 % intervals covering η in 95 %.
    """

    def __init__(
        self,
        source,
        *,
        temperature=None,
        volume=None,
        dt=None,
        fit_window=None,
        fit_window_ps=None,
        n_blocks=None,
        components="traceless",
    ):
        super().__init__(
            source, temperature=temperature, volume=volume, dt=dt, fit_window=fit_window,
            fit_window_ps=fit_window_ps, n_blocks=n_blocks, components=components,
        )

    def _configure(self, collections, *, temperature=None, volume=None, fit_window=None,
                   fit_window_ps=None, n_blocks=None, components="traceless"):
        self._fit_window, self._fit_window_ps = check_fit_window(fit_window, fit_window_ps,
                                                                 (0.1, 0.3))
        # the window is checked by run() (before the integrals), so that an analysis whose
        # window its segments cannot hold can still be made, as the conductivity's
        self._segment_needs = {}
        self._configure_pressure(collections, temperature=temperature, volume=volume,
                                 n_blocks=n_blocks, components=components)

    def run(self):
        """Integrate the tensor, compute the MSDs and fit them; returns ``self``."""
        self._check_runs(fit_window=self._fit_window, fit_window_ps=self._fit_window_ps)
        self._check_fluctuations()
        dt = self._dt
        n = min(c.shape[0] for c, _ in self._segments)
        msds = np.array(
            [
                mean_squared_displacement(cumulative_trapezoid(c[:n], dx=dt, axis=0, initial=0))
                / self._norm
                for c, _ in self._segments
            ]
        )
        res = self.results
        res.time = np.arange(n) * dt
        window = fit_window_slice(res.time, self._fit_window, self._fit_window_ps)
        slopes, _, _ = fit_line(res.time[window], msds[:, window].T)
        # <ΔG²> = 2 t k_B T η / V per component
        eta = np.array(
            [0.5 * s * self._prefactor(v) * self._norm
             for s, (_, v) in zip(slopes, self._segments, strict=True)]
        )
        res.msd, res.msd_err, _ = mean_error(msds)
        res.dof = len(eta) - 1
        res.fit_window = (float(res.time[window][0]), float(res.time[window][-1]))
        # not by the log-log slope alone, which reads the offset of a straight
        # ⟨ΔG²⟩ = 2 η' (t - τ) as growth (1.22 ± 0.07 at 3-9 τ) and, near its tolerance,
        # called the replicas whose slope came out low valid (mean z -0.8 of those)
        (res.loglog_slope, res.loglog_slope_err, res.slope_exponent, res.slope_exponent_err,
         notes) = straightness(res.time, msds, window, "⟨ΔG²⟩")
        # a window in the bend of ⟨ΔG²⟩ fits a slope too low: judged by the size of that bias
        # against the error (400-sample blocks of a 20-sample-correlated stress, window at
        # 2-6 τ, gave η 2.7 ± 0.4 % low over 1000 replicas, called valid)
        fit_notes = independence_notes(
            self._stress_runs, self._n_blocks, "the shear stress", fit_start=res.fit_window[0],
            dt=dt, fit_stop=res.fit_window[1], relative_error=relative_error(eta))
        notes.extend(n for n in fit_notes if n not in self._sampling_notes)
        self._store_viscosity(eta, notes)
        return self

    @draws_user_text
    def plot(self, ax=None):
        """⟨ΔG²⟩ with its error band and the fit window.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "time")

        ax = axes_to_draw_into(ax)
        r = self.results
        ax.plot(r.time, r.msd, color="C0")
        ax.fill_between(r.time, r.msd - r.msd_err, r.msd + r.msd_err, color="C0", alpha=0.3)
        ax.axvspan(*r.fit_window, color="0.9", zorder=0)
        ax.set_xlabel("lag time (ps)")
        ax.set_ylabel("⟨ΔG²⟩ (bar² ps²)")
        ax.set_title(f"Einstein–Helfand: η = {estimate_label(r.shear_viscosity, reason=False)}")
        mark_invalid(ax, r.shear_viscosity)
        return ax


def _viscosity_aliases(res):
    """Float aliases of ``res.shear_viscosity``: viscosity, viscosity_err, verdict, valid."""
    est = res.shear_viscosity
    res.viscosity, res.viscosity_err = float(est.value), float(est.stderr)
    res.verdict, res.valid = est.verdict, est.valid


def _trajectory_file(universe):
    name = getattr(universe.trajectory, "filename", None)
    return name if name and is_h5md_path(name) else None


def _pressure_collection_of(universe, path):
    """The trajectory's pressure-tensor collection for ``electrolyte analyze``, read once.

    The shared transport collection (:func:`mda_electrolyte.conductivity.transport_collection`,
    whose collector reads the observable with the trajectory) when an analysis before this one
    built it; otherwise the observable alone, shared too. A viscosity needs no frame, so it
    never starts the frame pass itself.
    """
    col = shared_value(("transport collection", id(universe)))
    if col is not None and col.pressure_tensor_observable is not None:
        return col.pressure_tensor_observable
    return shared(("pressure tensor", id(universe)),
                  lambda: pressure_tensor_collection(path, required=False))


@register_analysis("viscosity", needs=("observables", "real masses"))
def _report_viscosity(universe, outdir, *, calculator=None, verbose=False):
    import matplotlib

    matplotlib.use("Agg")

    skipped = {"skipped": "needs the per-step pressure_tensor observable of a run_md H5MD file"}
    path = _trajectory_file(universe)
    if path is None:
        return skipped
    try:
        col = _pressure_collection_of(universe, path)
        if col is None:
            return skipped
        # the temperature given to run_analyses (electrolyte analyze --temperature) as it is,
        # else the file's, which its run counted as it states
        given = temperature_settings().temperature
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gk = GreenKuboViscosity.from_collections(col, temperature=given)
    except ValueError as err:
        return {"refused": str(err)}
    r = gk.results
    ax = gk.plot()
    save_figure(ax.figure, f"{outdir}/viscosity.png", dpi=120)
    return {
        "viscosity": r.shear_viscosity,
        # the temperature of the pressure-tensor samples, mean with its error and verdict, or
        # the one given
        "temperature_K": (col.temperature_estimate() if given is None else given_temperature(
            given, "temperature=, electrolyte analyze --temperature; not the run's "
            "recorded temperature")),
        # inputs and fit checks apart from the results, as the conductivity entries keep them:
        # no bare number beside an Estimate
        "settings": {"plateau_ps": list(r.plateau), "components": r.components,
                     "frame_spacing_ps": r.sampling["frame_spacing"],
                     "n_segments": r.n_segments},
        "diagnostics": {"acf_first_lag_ratio": r.sampling["first_lag_correlation"]},
        "warnings": [str(w.message) for w in caught],
        "plot": "viscosity.png",
    }
