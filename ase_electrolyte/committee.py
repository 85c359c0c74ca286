"""A committee (ensemble) of MLIPs as one ASE calculator: the mean and the spread of its members.

The committee spread is the uncertainty signal of ensemble knowledge distillation (Gong et al.,
2024, BAMBOO) and of committee-based active learning; the per-atom force spread follows the
"model deviation" of DP-GEN (Zhang et al., 2020).
"""

from __future__ import annotations

import copy
import math
import os
import warnings

import numpy as np
from ase.calculators.calculator import Calculator as _AseCalculator
from ase.calculators.calculator import PropertyNotImplementedError, all_changes, equal
from ase.data import chemical_symbols

from .atoms_checks import check_elements
from .calculator import Calculator
from .calculator_errors import InputError, check_finite, input_errors
from .calculator_parameters import _options_snapshot
from .models import modal_spelling, model_modals, model_spec

__all__ = ["Committee", "EnergyOffsetWarning", "RepeatedMemberWarning", "committee_spread",
           "spread_calibration"]

#: A structure is judged for an energy-reference offset only when its members' mean binding
#: energy (energy less that of its atoms apart) is at least this, eV/atom: the atoms of a
#: structure that hardly binds are nearly apart, so the members' disagreement on isolated
#: atoms (unconstrained by training) is all their disagreement there, offset or not.
_BOUND_EV_PER_ATOM = 0.05
#: An energy spread below this (eV/atom) is not judged: whatever its cause, it is small.
_MIN_OFFSET_EV_PER_ATOM = 1e-3
#: The spread is an offset when the binding-energy spread is below this fraction of it.
_OFFSET_FRACTION = 0.1
#: An offset spread of at least this (eV/atom) is refused as members of different energy
#: references: members fitted to one set of labels leave smaller offsets (students of one
#: distillation: 17 meV/atom after 3 epochs); the labels of two DFT codes, functionals or
#: pseudopotentials differ by more (0.5 eV/atom and up).
_REFERENCE_EV_PER_ATOM = 0.1


class EnergyOffsetWarning(UserWarning):
    """A committee's energy spread on a structure is a near-constant per-atom offset between
    its members (the same on the structure as on its atoms apart): it shifts every structure
    of that composition alike, so it is no uncertainty of energy differences."""


class RepeatedMemberWarning(UserWarning):
    """A committee holds the same model more than once, so its spread understates uncertainty.

    The same model is the same registered name, the same file bytes (under any path, a link,
    a copy) or the same network (equal weights, backend, cutoff and elements) in files of
    other bytes: sevenn writes each run's time and a random hash into its checkpoints, so one
    fine-tune seed run twice gave two files of one network, taken for two members."""


def _member_identity(model):
    """What makes two member specs the same model: a registered name in any spelling, or a
    file's content (the same file under another path or name, a link, a copy)."""
    from .models import _NAMED, registered_name

    name = registered_name(model)
    named = None if name is None else _NAMED[name]
    if named is not None:
        path = None
        if named.backend == "sevennet":
            # a registered SevenNet model is a checkpoint shipped with sevenn: a copy of that
            # file given by path is the same model
            try:
                from sevenn.util import pretrained_name_to_path

                path = pretrained_name_to_path(named.upstream)
            except (ImportError, ValueError, KeyError, NotImplementedError):
                path = None
        if path is None or not os.path.isfile(path):
            return ("named", named.upstream)
        model = path
    elif not os.path.isfile(model):
        return ("path", model)  # load_model names the problem
    from .native_build import file_sha256

    return ("file", file_sha256(model))


def _weights_digest(member):
    """SHA-256 of a loaded member's network: backend, cutoff, elements and every tensor of
    its torch modules (names, dtypes, shapes, values); ``None`` where its calculator holds no
    torch module (a GAP potential) or none with a tensor (in its state dict, or for a frozen,
    compiled nequip model among its graph's constants: ``models._network_tensors``).

    Two files with one network are one model whatever else they hold: a fine-tune of one
    seed run twice writes checkpoints with equal weights and other bytes (sevenn stores the
    run's time and a random hash in each), which the files' digests took for two members.
    """
    import hashlib

    import torch

    from .models import _calculator_modules, _network_tensors

    modules = _calculator_modules(member._model_calc)
    if not modules:
        return None
    digest = hashlib.sha256(repr((
        member.backend, _member_cutoff(member),
        sorted(member._numbers) if member._numbers is not None else None)).encode())
    hashed = 0
    for module in modules:
        for name, tensor in _network_tensors(module):
            if not isinstance(tensor, torch.Tensor):
                return None  # not a plain network: its files decide
            data = tensor.detach().cpu().contiguous().reshape(-1)
            digest.update(f"{name}|{data.dtype}|{tuple(tensor.shape)}|".encode())
            digest.update(data.view(torch.uint8).numpy().tobytes())
            hashed += 1
    # a frozen TorchScript module (a compiled NequIP/Allegro file) holds its weights as
    # constants of its graph, which _network_tensors reads: two different compiled models of
    # one cutoff and element set hashed alike and were made one member (spread 0). With no
    # tensor seen at all, their files decide
    return digest.hexdigest() if hashed else None


def _warn_repeats(models, networks, identities):
    """Warn when a model is a member more than once (its repeats agree exactly): the same
    name or file (``identities``), or files of one network (``networks``)."""
    groups = {}
    for k, network in enumerate(networks):
        groups.setdefault(network, []).append(k)
    repeated = [ks for ks in groups.values() if len(ks) > 1]
    if not repeated:
        return
    shown = "; ".join(
        " = ".join(repr(models[k]) for k in ks)
        + ("" if len({identities[k] for k in ks}) == 1
           else " (other files, one network: equal weights)")
        for ks in repeated)
    if len(groups) == 1:
        effect = ("every member is the same model, so the spread (energy_std, forces_std, "
                  "stress_std) is zero whatever the structure and says nothing about the error")
    else:
        effect = ("repeats agree exactly, so the spread (energy_std, forces_std, stress_std) "
                  f"comes from {len(groups)} distinct models and is smaller than theirs")
    warnings.warn(
        f"the committee holds the same model more than once ({shown}): {effect}",
        RepeatedMemberWarning,
        stacklevel=5,
    )


def committee_spread(energies, forces, stresses=None):
    r"""Mean and spread of K members' energies, forces and (optionally) stresses.

    Parameters
    ----------
    energies : array_like, shape (K,)
        Member energies, eV.
    forces : array_like, shape (K, N, 3)
        Member forces, eV/Å.
    stresses : array_like, shape (K, 6), optional
        Member stresses (Voigt), eV/Å³.

    Returns
    -------
    dict
        ``energy`` (the members' mean energy) and ``energy_std`` (their spread), each an
        :class:`~ase_electrolyte.estimate.Estimate` in eV with its error and verdict;
        ``forces`` and ``stress`` (member means, arrays), ``forces_std`` (shape (N,), eV/Å)
        and ``stress_std`` (shape (6,), eV/Å³), with

        .. math::

            \sigma_E = \sqrt{\langle (E_k - \bar E)^2 \rangle_k}, \qquad
            \sigma_{F,i} = \sqrt{\langle \lVert \mathbf F_{ik} - \bar{\mathbf F}_i \rVert^2
            \rangle_k},

        population averages over the K members (the DP-GEN model deviation of atom *i*; the
        values a :class:`Committee` gives as ``energy_std`` and ``forces_std``). The error of
        ``energy`` is the t-scaled standard error of the mean over the members,
        :math:`t_{0.8413}(K-1)\,\sigma_E/\sqrt{K-1}` (``dof`` K − 1); that of
        ``energy_std`` is the scatter of the population standard deviation of K normal
        members, :math:`\sigma_E\sqrt{1-c_4^2}/c_4` with
        :math:`c_4 = \sqrt{2/(K-1)}\,\Gamma(K/2)/\Gamma((K-1)/2)`: it estimates the spread
        that K members trained alike give on average. Both are not valid over fewer than 5
        members (fewer than 4 degrees of freedom, :func:`~mda_electrolyte.uncertainty.few_dof_note`)
        or where the members agree exactly (a spread of 0 says nothing of the error).

    Raises
    ------
    ValueError
        Fewer than 2 members, shapes that do not match (K,), (K, N, 3), (K, 6), or values
        that are not finite real numbers (naming the members).

    Notes
    -----
    The spread ranks structures for active learning; it is no error bar of the committee's
    prediction until calibrated (:func:`spread_calibration`). For K members scattered
    independently about the truth, the population standard deviation has a median of 0.49,
    0.69, 0.76, 0.81 and 0.90 of the members' true scatter at K = 2, 3, 4, 5, 8, and the
    z-score of the mean against σ/√K has a standard deviation of 598 (a Cauchy ratio), 5.6,
    2.1, 1.5, 1.2 and one-sigma coverage 0.40-0.62 (4000 replicas); the t-scaled error of
    ``energy`` covers 0.68 of them at every K, and that of ``energy_std`` covered the
    spread expected of K members in 0.65, 0.68, 0.68, 0.68 of normal replicas at
    K = 2, 5, 8, 32. Members trained on the same data share their errors, so the spread
    understates the error further; a committee of identical members has spread 0
    (:class:`RepeatedMemberWarning`).

    Examples
    --------
    >>> import numpy as np
    >>> from ase_electrolyte.committee import committee_spread
    >>> out = committee_spread([1.0, 3.0], np.zeros((2, 1, 3)))
    >>> out["energy"].value, out["energy_std"].value, out["forces_std"].tolist()
    (2.0, 1.0, [0.0])
    >>> out["energy_std"].valid  # 2 members: 1 degree of freedom
    False
    """
    out, k = _spread_numbers(energies, forces, stresses)
    out["energy"], out["energy_std"] = _spread_estimates(out["energy"], out["energy_std"], k,
                                                         "eV")
    return out


def _spread_estimates(mean, spread, k, unit):
    """The members' mean and population spread as Estimates (see :func:`committee_spread`)."""
    from scipy.special import gammaln

    from mda_electrolyte.uncertainty import few_dof_note, t_factor

    from .estimate import Estimate

    notes = []
    few = few_dof_note(k - 1, "committee members", "the members' scatter")
    if few is not None:
        notes.append(few)
    if spread == 0:
        notes.append("the members agree exactly (repeats of one model?): a spread of 0 says "
                     "nothing of the error")
    # members trained on one data set share errors that no spread sees
    caveat = ("uncalibrated: members trained on one data set share errors no spread sees "
              "(spread_calibration measures how much)")
    # the error of the mean from the population spread, t-scaled: t(K-1) s/sqrt(K) with the
    # sample std s = spread sqrt(K/(K-1)); computed from the (power-of-two scaled) spread, so
    # a diverged member's 1e200 eV does not overflow it
    mean_error = t_factor(k - 1) * spread / math.sqrt(k - 1)
    c4 = math.sqrt(2.0 / (k - 1)) * math.exp(gammaln(k / 2) - gammaln((k - 1) / 2))
    spread_error = spread * math.sqrt(1.0 - c4 * c4) / c4
    valid = not notes
    mean_estimate = Estimate(
        mean, mean_error, unit, f"t-scaled standard error over {k} committee members",
        n_samples=k, converged=valid, notes=(*notes, caveat), dof=k - 1)
    spread_estimate = Estimate(
        spread, spread_error, unit,
        f"scatter of the standard deviation of {k} normal committee members (c4)",
        n_samples=k, converged=valid, notes=(*notes, caveat))
    return mean_estimate, spread_estimate


def _spread_numbers(energies, forces, stresses=None):
    """:func:`committee_spread`'s numbers as plain floats and arrays (what a calculator's
    ``results`` hold), and the number of members."""
    from mda_electrolyte.uncertainty import real_array

    # mismatched member counts were averaged each on its own (2 energies with 3 force sets),
    # no member gave NaN, forces of shape (K, N) a scalar spread, a NaN member a NaN mean
    energies = real_array(energies, "committee_spread energies")
    forces = real_array(forces, "committee_spread forces")
    if energies.ndim != 1 or len(energies) < 2:
        raise ValueError(f"committee_spread needs the energies of at least 2 members, shape "
                         f"(K,), not {energies.shape}")
    k = len(energies)
    if forces.ndim != 3 or forces.shape[0] != k or forces.shape[2] != 3:
        raise ValueError(f"committee_spread forces must have shape ({k}, N, 3) for {k} "
                         f"members, not {forces.shape}")
    arrays = [("energies", energies), ("forces", forces)]
    if stresses is not None:
        stresses = real_array(stresses, "committee_spread stresses")
        if stresses.shape != (k, 6):
            raise ValueError(f"committee_spread stresses must have shape ({k}, 6) (Voigt) for "
                             f"{k} members, not {stresses.shape}")
        arrays.append(("stresses", stresses))
    for name, values in arrays:
        bad = ~np.isfinite(values.reshape(k, -1)).all(axis=1)
        if bad.any():
            bad = np.flatnonzero(bad).tolist()
            which = (f"member {bad[0]}" if len(bad) == 1
                     else f"members {', '.join(map(str, bad))}")
            raise ValueError(f"committee_spread {name} of {which} are not finite")
    energies, e_scale = _power_of_two_scaled(energies)
    forces, f_scale = _power_of_two_scaled(forces)
    mean_f = forces.mean(axis=0)
    out = {
        "energy": float(energies.mean()) * e_scale,
        "energy_std": float(energies.std()) * e_scale,
        "forces": mean_f * f_scale,
        "forces_std": np.sqrt(((forces - mean_f) ** 2).sum(axis=-1).mean(axis=0)) * f_scale,
    }
    if stresses is not None:
        stresses, s_scale = _power_of_two_scaled(stresses)
        out["stress"] = stresses.mean(axis=0) * s_scale
        out["stress_std"] = stresses.std(axis=0) * s_scale
    return out, k


def _power_of_two_scaled(values):
    """``values`` divided by a power of two near their largest magnitude when that is beyond
    1e150, and the power: the squares of a diverged member's 1e200 eV overflowed, and the
    spread came out inf without a word. Exact (a power of two); others are left as they are."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest <= 1e150:
        return values, 1.0
    scale = float(np.exp2(np.floor(np.log2(largest))))
    return values / scale, scale


def _trained_on(calc, frames):
    """The committee members fine-tuned on exactly ``frames`` (their records' training digest)."""
    from .finetuning import _frames_digest

    models = getattr(calc, "model", None)
    if not isinstance(models, list):
        return []
    digest = _frames_digest(frames)
    return [k for k, m in enumerate(models)
            if (_finetune_record(m) or {}).get("train") == digest]


def spread_calibration(committee, frames):
    r"""How far a committee's spread is from its error, measured on held-out labelled frames.

    The spread of a committee (``energy_std``, ``forces_std``) ranks structures; it is no
    error bar until scaled (Musil et al., 2019; Palmer et al., 2022): members trained on
    the same data share much of their error, which no spread sees. This measures the
    scale factors

    .. math::

        c_E = \sqrt{\frac{\langle (\Delta E/N)^2 \rangle}{\langle (\sigma_E/N)^2 \rangle}},
        \qquad
        c_F = \sqrt{\frac{\langle \langle \lVert \Delta\mathbf F_i \rVert^2 \rangle_i \rangle}
        {\langle \langle \sigma_{F,i}^2 \rangle_i \rangle}},

    averages over frames (each frame weighted once), :math:`\Delta` the committee mean less
    the label, so that :math:`c\,\sigma` is an RMS error bar for structures like these
    frames; :math:`c > 1` means the spread understates the error.

    Parameters
    ----------
    committee : Committee or ase.calculators.calculator.Calculator
        A :class:`Committee`, or any ASE calculator that gives ``energy_std`` (eV) and
        ``forces_std`` (per atom, eV/Å) beside its energy and forces.
    frames : str, os.PathLike or sequence of ase.Atoms
        Labelled frames (energy in eV, forces in eV/Å) the members were not trained on, read
        by :func:`ase_electrolyte.finetuning.read_labelled`; the Atoms given are not changed.

    Returns
    -------
    dict of Estimate
        ``energy`` (:math:`c_E`), ``forces`` (:math:`c_F`) and, where every frame carries a
        stress label and the committee gives ``stress_std``, ``stress`` (:math:`c_S`, the
        RMS stress error over the RMS ``stress_std``, both over the 6 Voigt components and
        the frames, as :math:`c_F` is over atoms), dimensionless, with the
        jackknife error over frames of :math:`\log c` times :math:`c`, t-scaled with
        Satterthwaite's ``dof`` :math:`(\sum_i s_i^2)^2 / \sum_i s_i^4 - 1` of the frames'
        squared spreads :math:`s_i^2` (frames − 1 for equal spreads), and a log-scale
        :meth:`~ase_electrolyte.estimate.Estimate.interval`. Not valid over fewer than 5
        frames, or where the members agree exactly on every frame (no spread to scale: the
        value is then ``inf``).

    Raises
    ------
    ValueError
        Before any evaluation: a calculator that gives no spread, unlabelled or non-finite
        frames, frames that the committee's members were fine-tuned on (their records
        say so: the members fit them, so the error there is not the error elsewhere), or
        (a :class:`Committee`) a frame it refuses, e.g. of an element a member lacks
        (:class:`~ase.calculators.calculator.InputError`, naming the frame, from 0).

    Notes
    -----
    For K members scattered independently about the truth, :math:`c = 1/\sqrt{K-1}`
    (the mean's error is :math:`\sigma/\sqrt K`, the population spread
    :math:`\sigma\sqrt{(K-1)/K}`). A tiny SevenNet committee (3 members trained from scratch
    on 6 frames of EMT copper) gave :math:`c_F = 7.7` and :math:`c_E = 3.6` on 20 held-out
    frames: its spread was far below its error.

    :math:`c` is the square root of a ratio of spread-weighted sums of squares, skewed and
    carried by the frames of largest spread. Its plain jackknife error with frames − 1
    degrees of freedom covered the true factor 0.57-0.63 at one sigma and 0.84-0.90 at 95 %
    over 5-50 frames whose spreads vary (lognormal, 0.5 in log; errors normal, 3000
    replicas each), 0.63-0.69 and 0.89-0.94 for equal spreads; with the log jackknife,
    the log interval and Satterthwaite's dof, 0.65-0.69 and 0.93-0.97, 0.67-0.69 and
    0.93-0.94. Heavy-tailed errors (Student t, 4 dof) still under-cover (0.57-0.60 and
    0.85-0.93): a few outlying frames carry the factor, which no spread shows.

    On a new frame, :math:`\hat c\,\sigma` is an estimate of the RMS error, not a one-sigma
    interval: the uncertainty of :math:`\hat c` adds to the error's own, and over 5-50
    calibration frames (normal errors, 4000 replicas, equal or lognormal spreads) it covered
    0.61-0.68 of new frames' errors at one sigma and 0.87-0.94 at 1.96 times. The error over
    :math:`\hat c\,\sigma` follows Student's t with Satterthwaite's
    :math:`\nu = (\sum_i s_i^2)^2/\sum_i s_i^4` degrees of freedom (``dof`` + 1), and its
    t quantiles cover 0.683-0.691 and 0.949-0.962: the note of each factor gives both
    prediction factors, and :meth:`Committee.calibrate_spread` the one-sigma one. The interval
    assumes normal errors: errors of Student's t with 3 degrees of freedom cover 0.71-0.78 at
    one sigma and 0.92-0.94 at 95 %. D'Agostino's kurtosis test on the errors over their
    spread (energies per frame, force components per atom; from 8 of them, p < 0.01: 1 %
    false alarms, 25 % of such energies over 20 frames and 57 % over 50 found) adds a note
    "heavy-tailed" to the factor, which stays valid.

    Examples
    --------
    >>> from ase_electrolyte.committee import spread_calibration
    >>> c = spread_calibration(committee, held_out_frames)  # doctest: +SKIP
    >>> atoms.calc = committee  # doctest: +SKIP
    >>> sigma_f = committee.get_property("forces_std", atoms)  # doctest: +SKIP
    >>> force_error = c["forces"].value * sigma_f  # eV/Å, per atom  # doctest: +SKIP
    """
    from dataclasses import replace

    from ase.calculators.calculator import Calculator as _Ase
    from scipy import stats

    from mda_electrolyte.uncertainty import few_dof_note, jackknife_error, t_factor

    from .estimate import Estimate
    from .finetuning import read_labelled

    if not isinstance(committee, _Ase) or not {"energy_std", "forces_std"} <= set(
            getattr(committee, "implemented_properties", ())):
        raise ValueError(
            f"spread_calibration needs a committee (Calculator([model1, model2, ...])) that "
            f"gives energy_std and forces_std, not {type(committee).__name__}")
    frames = read_labelled(frames, what="calibration frames")
    trained = _trained_on(committee, frames)
    if trained:
        raise ValueError(
            "spread_calibration: committee "
            + (f"member {trained[0]} was" if len(trained) == 1
               else f"members {', '.join(map(str, trained))} were")
            + " fine-tuned on these very frames (their fine-tune records say so): the members "
            "fit their training frames, so the error there is not the error elsewhere; give "
            "held-out frames")
    if isinstance(committee, Committee):
        # an element a member lacks in the last frame is refused before the first is evaluated
        for k, atoms in enumerate(frames):
            try:
                committee._check(atoms)
            except ValueError as err:
                raise InputError(f"spread_calibration: frame {k}: {err}") from err
    de2, se2, df2, sf2, ds2, ss2 = [], [], [], [], [], []
    # the stress spread is calibrated as the others where every frame has a stress label
    # (read_labelled refuses one on a frame that is not periodic): stress_std was given
    # beside calibrated energy and force spreads with no factor of its own
    with_stress = "stress_std" in getattr(committee, "implemented_properties", ()) and all(
        "stress" in atoms.calc.results for atoms in frames)
    wanted = ("energy", "forces", "stress") if with_stress else ("energy", "forces")
    # errors in units of their spread, for the test of the normal tails the interval assumes
    standard = {key: [] for key in wanted}
    from mda_electrolyte.model_labels import evaluate_frame

    for atoms in frames:
        labels = atoms.calc.results
        # the committee's forces on these coordinates, as the labels are
        got = evaluate_frame(committee, atoms, wanted, checked=False)
        n = len(atoms)
        de = (got["energy"] - labels["energy"]) / n
        df = got["forces"] - labels["forces"]
        # the spread of the evaluation just made (the state is the frame's: no new one)
        se = committee.get_property("energy_std", atoms) / n
        sf = np.asarray(committee.get_property("forces_std", atoms), dtype=np.float64)
        de2.append(de ** 2)
        df2.append(np.mean(np.sum(df ** 2, axis=1)))
        se2.append(se ** 2)
        sf2.append(np.mean(sf ** 2))
        if se > 0:
            standard["energy"].append(de / se)
        standard["forces"].extend((df[sf > 0] / sf[sf > 0, None]).ravel())
        if with_stress:
            ds = got["stress"] - np.asarray(labels["stress"], dtype=np.float64)
            ss = np.asarray(committee.get_property("stress_std", atoms), dtype=np.float64)
            ds2.append(np.mean(ds ** 2))
            ss2.append(np.mean(ss ** 2))
            standard["stress"].extend(ds[ss > 0] / ss[ss > 0])
    out = {}
    n = len(frames)
    sums = (("energy", de2, se2), ("forces", df2, sf2))
    for key, err2, spread2 in sums + ((("stress", ds2, ss2),) if with_stress else ()):
        err2, spread2 = np.asarray(err2), np.asarray(spread2)

        def factor(keep, err2=err2, spread2=spread2):
            total = spread2[keep].sum()
            return math.sqrt(err2[keep].sum() / total) if total > 0 else math.inf

        value = factor(np.ones(n, dtype=bool))
        # the factor's scatter is that of a sum of squared errors weighted by the spreads: a
        # few frames of large spread carry it, so its degrees of freedom are Satterthwaite's
        # (sum s^2)^2 / sum s^4 - 1, not frames - 1 (see the Notes)
        total = spread2.sum()
        dof = (min(max(total**2 / float(np.sum(spread2**2)) - 1.0, 1.0), n - 1.0)
               if total > 0 else n - 1.0)
        method = f"jackknife of log over {n} frames, t-scaled"
        if not math.isfinite(value):
            out[key] = Estimate.invalid(
                math.inf, math.nan, "1", "no uncertainty available",
                f"the members agree exactly on every frame ({key} spread 0): there is no "
                "spread to scale; build the committee of members that differ", n_samples=n)
            continue
        # the factor is a square root of a ratio of chi-square-like sums: skewed, its low
        # values with small jackknife errors; the jackknife of its log, with a log interval
        def log_factor(keep, factor=factor):
            f = factor(keep)
            return math.log(f) if f > 0 else -math.inf  # an error-free rest: no jackknife

        log_error = jackknife_error(log_factor, n) if value > 0 else math.nan
        stderr = (value * log_error * t_factor(dof) / t_factor(n - 1)
                  if math.isfinite(log_error) else math.nan)
        note = few_dof_note(n - 1, "frames", "the scale factor")
        if note is None and not math.isfinite(stderr):
            note = (f"the {key} spread is zero on all frames but one: the factor rests on "
                    "that frame alone")
        if not math.isfinite(stderr):
            stderr, method = math.nan, "no uncertainty available"
        estimate = Estimate(
            value, stderr, "1", method=method, n_samples=n, converged=note is None,
            dof=dof if math.isfinite(stderr) else None,
            interval_scale="log" if value > 0 else "linear", notes=(note,) if note else ())
        if not note:
            nu = _prediction_dof(estimate)
            notes = (f"multiply {key}_std by {value:.3g} for an RMS error bar of structures "
                     f"like these frames; by {value * t_factor(nu):.3g} for a one-sigma and "
                     f"{value * float(stats.t.ppf(0.975, nu)):.3g} for a 95 % prediction "
                     f"interval on a new frame (c times Student's t quantile of {nu:.3g} "
                     "degrees of freedom, for the uncertainty of c; normal errors assumed)",)
            tails = _heavy_tails_note(key, standard[key])
            if tails:
                notes += (tails,)
            estimate = replace(estimate, notes=notes)
        out[key] = estimate
    return out


def _prediction_dof(scale):
    r"""Degrees of freedom of the prediction interval of a calibrated spread on a new frame.

    The scale factor :math:`c` of :func:`spread_calibration` is estimated from a weighted sum
    of squared errors: for normal errors of variance :math:`c^2 s_i^2`, :math:`\hat c^2/c^2`
    is close to :math:`\chi^2_\nu/\nu` with Satterthwaite's
    :math:`\nu = (\sum_i s_i^2)^2/\sum_i s_i^4` (the frames for equal spreads), so the error
    of a new frame over :math:`\hat c\,s` follows Student's t with :math:`\nu` degrees of
    freedom (a predictive interval, not the normal one).

    Parameters
    ----------
    scale : Estimate
        A scale factor of :func:`spread_calibration` (its ``dof`` is :math:`\nu - 1`, that of
        the jackknife of :math:`\log c`).

    Returns
    -------
    float
        :math:`\nu` (at least 2); ``inf`` for an estimate without ``dof`` (no calibration
        uncertainty to add).

    Examples
    --------
    >>> from ase_electrolyte.estimate import Estimate
    >>> from ase_electrolyte.committee import _prediction_dof
    >>> _prediction_dof(Estimate(2.0, 0.3, "1", "jackknife", n_samples=10, dof=9.0))
    10.0
    """
    return math.inf if scale.dof is None else max(float(scale.dof) + 1.0, 2.0)


def _prediction_factor(scale):
    r"""The factor on a raw spread for a one-sigma prediction interval on a new frame:
    :math:`c\,t_{0.8413}(\nu)`, :math:`\nu` of :func:`_prediction_dof`."""
    from mda_electrolyte.uncertainty import t_factor

    nu = _prediction_dof(scale)
    return float(scale.value) * (t_factor(nu) if math.isfinite(nu) else 1.0)


#: p-value of D'Agostino's kurtosis test (:func:`scipy.stats.kurtosistest`) below which the
#: errors in units of their spread are called heavy-tailed (1 % false alarms on normal errors)
_HEAVY_TAILS_P = 0.01
#: fewest errors the kurtosis test is run on (its false alarm rate is still ~1 % at 8)
_HEAVY_TAILS_MIN = 8


def _heavy_tails_note(key, standard):
    """A note when the errors over their spread are heavier-tailed than normal, or ``None``.

    The prediction interval of a calibrated spread assumes normal errors. Errors of Student's
    t with 3 degrees of freedom, scaled to the spread, give one-sigma intervals that cover
    0.71-0.78 and 95 % intervals 0.92-0.94 over 5-50 calibration frames (4000 replicas): a
    few large errors carry the tails, which the spread does not show.
    """
    from scipy import stats

    z = np.asarray(standard, dtype=np.float64)
    z = z[np.isfinite(z)]
    if z.size < _HEAVY_TAILS_MIN or np.ptp(z) == 0:
        return None
    with warnings.catch_warnings():
        # scipy warns below 20 samples; its false alarm rate stays ~1 % from 8 (measured)
        warnings.simplefilter("ignore")
        test = stats.kurtosistest(z, alternative="greater")
    if not test.pvalue < _HEAVY_TAILS_P:
        return None
    kurtosis = float(stats.kurtosis(z, fisher=False))
    return (f"heavy-tailed {key} errors: their kurtosis over the spread is {kurtosis:.3g} "
            f"(3 for normal errors; p = {test.pvalue:.2g}), so the prediction intervals, "
            "which assume normal errors, cover less than they say at 95 % and beyond; check "
            "the frames of largest error over spread")


def _same_options(a, b):
    """Whether two lists of option dicts (:func:`_options_snapshot` of the summed terms) are
    equal, arrays compared by value."""
    return a is not None and len(a) == len(b) and all(
        equal(x, y) for x, y in zip(a, b, strict=True))


def _counted(n, word):
    """``"1 element"``, ``"2 elements"``: the screen plan's count with its noun (one rule for
    the package's messages), imported late as the screen package imports the MD engine."""
    from .screen.plan import counted

    return counted(n, word)


def _check_element_sets(members):
    """InputError when the members cover different elements (naming what each adds)."""
    sets = [m._numbers for m in members]
    known = [s for s in sets if s is not None]
    if known and any(s != known[0] for s in known):
        lines = []
        for member, s in zip(members, sets, strict=True):
            if s is None:
                continue
            extra = sorted(set(s) - set.intersection(*map(set, known)))
            shown = ", ".join(chemical_symbols[z] for z in extra[:8])
            also = f"; also {shown}" if shown else ""
            lines.append(f"{member.model!r} ({_counted(len(s), 'element')}{also})")
        raise InputError(
            "the committee mixes models with different element sets: " + "; ".join(lines)
        )


def _member_cutoff(member):
    """The cutoff radius (Å) of a member's model, ``None`` where its backend does not say."""
    return Calculator.model_cutoff.fget(member)


def _check_same_kind(models, members):
    """InputError when the members are models of another kind than the first member's: another
    backend (architecture, training set and energy reference), element set or cutoff radius.

    Their spread would then measure the difference of two models (what a longer cutoff sees,
    what another reference calls zero), not the uncertainty of one; it is refused before
    any structure is evaluated, naming the member and the difference.
    """
    first = members[0]
    for k, member in enumerate(members[1:], start=1):
        if member.backend != first.backend:
            raise InputError(
                f"committee member {k} ({models[k]!r}) is a {member.backend} model and member 0 "
                f"({models[0]!r}) a {first.backend} model: models of another architecture, "
                "training set and energy reference disagree by what makes them differ, so "
                "their spread is not an uncertainty; build the committee of one kind of model"
            )
    _check_element_sets(members)
    cutoffs = [_member_cutoff(m) for m in members]
    for k, cutoff in enumerate(cutoffs[1:], start=1):
        if cutoff is not None and cutoffs[0] is not None and cutoff != cutoffs[0]:
            short, long = sorted((cutoff, cutoffs[0]))
            raise InputError(
                f"committee member {k} ({models[k]!r}) has a cutoff of {cutoff:g} Å and member "
                f"0 ({models[0]!r}) one of {cutoffs[0]:g} Å: their spread would measure what "
                f"only the longer cutoff sees (neighbours between {short:g} and {long:g} Å), "
                "not the uncertainty; build the committee of models with one cutoff"
            )


def _finetune_record(model):
    """The record :func:`ase_electrolyte.finetuning.finetune` wrote beside a member file (its
    ``settings``: base, training frames, epochs, ...), ``None`` when there is none or the file
    is not the one recorded."""
    import json

    from .finetuning import _RECORD
    from .native_build import file_sha256

    if not os.path.isfile(model):
        return None
    # a link to a fine-tuned member: its record is beside the file it points to
    record = os.path.join(os.path.dirname(os.path.realpath(model)), _RECORD)
    try:
        with open(record) as handle:
            stored = json.load(handle)
        if stored["model_sha256"] != file_sha256(model) or not isinstance(
                stored["settings"], dict):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return stored["settings"]


def _fine_tuned_from(model):
    """SHA-256 of the base model a member file was fine-tuned from, as its record says
    (``None`` when there is no record, or the file is not the one recorded)."""
    settings = _finetune_record(model)
    try:
        base = settings["base"].get("file_sha256")
    except (TypeError, KeyError, AttributeError):
        return None
    return base if isinstance(base, str) else None


def _fitted_to_one_set_of_labels(models):
    """The epochs of members that were all fine-tuned on the same training frames and labels
    (their records say so), e.g. the students of one distillation; ``None`` otherwise."""
    records = [_finetune_record(m) for m in models]
    if any(r is None for r in records):
        return None
    try:
        trained = {r["train"] for r in records}
        epochs = sorted({int(r["epochs"]) for r in records})
    except (TypeError, KeyError, ValueError):
        return None
    if len(trained) != 1 or None in trained:
        return None
    return epochs


def _check_no_base_of_another(models, identities):
    """InputError when a member was fine-tuned from another member (its record says so).

    Their spread is what the fine-tuning changed (with labels of another energy reference,
    that offset), not an uncertainty of either model.
    """
    files = {identity[1]: k for k, identity in enumerate(identities) if identity[0] == "file"}
    for k, model in enumerate(models):
        base = _fine_tuned_from(model)
        j = files.get(base)
        if j is not None and j != k:
            raise InputError(
                f"committee member {k} ({model!r}) was fine-tuned from member {j} "
                f"({models[j]!r}): their spread is what the fine-tuning changed (an energy "
                "offset of its labels included), not an uncertainty; build the committee of "
                "members fine-tuned alike (finetune(..., ensemble=K))"
            )


def _isolated_atom_energy(member, z):
    """A member's energy (eV) of one atom of element ``z`` with no neighbour, ``None`` where
    the member cannot evaluate it."""
    from ase import Atoms

    cutoff = _member_cutoff(member) or 10.0
    # periodic-only models see the atom in a box whose images are beyond the cutoff
    edge = 2.0 * cutoff + 2.0
    atom = Atoms(numbers=[z], positions=[[edge / 2] * 3], cell=[edge] * 3,
                 pbc=bool(member._periodic_only))
    try:
        member.reset()
        member.calculate(atom, ["energy"], all_changes)
        energy = float(member.results["energy"])
    except Exception:  # noqa: BLE001 - a backend that cannot take a lone atom leaves it unjudged
        return None
    finally:
        member.reset()
    return energy if np.isfinite(energy) else None


def _covered_numbers(members):
    """Atomic numbers every member covers (members of unknown set aside); ``None`` if none
    says."""
    known = [frozenset(m._numbers) for m in members if m._numbers is not None]
    return frozenset.intersection(*known) if known else None


class Committee(Calculator):
    r"""K MLIPs evaluated on the same structure: mean energy/forces/stress and their spread.

    ``ase_electrolyte.Calculator([m1, m2, ...])`` constructs this class. Energies, forces,
    stress and per-atom energies are member means; the spread is in ``energy_std`` (eV),
    ``forces_std`` (per atom, eV/Å, see :func:`committee_spread`), ``stress_std`` (Voigt,
    eV/Å³) and ``max_forces_std`` (eV/Å), the largest per-atom force spread used to select
    frames in active learning. The member values are in ``calc.results["member_energies"]``
    (eV), ``calc.results["member_forces"]`` (eV/Å) and, where a stress was asked (a periodic
    cell), ``calc.results["member_stresses"]`` (Voigt, eV/Å³, shape (K, 6)). These results
    are plain numbers, as ASE's are;
    ``committee_spread(calc.results["member_energies"], calc.results["member_forces"],
    calc.results["member_stresses"])`` gives the mean energy and its spread as
    :class:`~ase_electrolyte.estimate.Estimate`\ s with their errors and verdicts (not valid
    below 5 members), and the stress's mean and spread from the members.

    Parameters
    ----------
    models : sequence of str or os.PathLike
        At least two registered names or model files (see :class:`ase_electrolyte.Calculator`)
        of one backend; all must have the same cutoff radius and cover the same elements.
        Also accepted as ``model=`` (the name ``todict()`` uses). A model given more than
        once (a name in another spelling, a file under another path or a copy of it, or
        files of equal weights: a checkpoint saved again, one fine-tune seed run twice) is
        one member, warned about (:class:`RepeatedMemberWarning`): its repeats agree
        exactly and add no spread.
    dispersion, electrostatics : see :class:`ase_electrolyte.Calculator`
        Evaluated once and added to the mean and to every member (they add no spread).
    backend : None, str or sequence of str
        One backend for every member, or one per member (``None``: detect).
    device, dtype, **options
        Passed to every member :class:`ase_electrolyte.Calculator`.

    Notes
    -----
    The spread is no error bar: members trained on the same data share much of their error.
    :func:`spread_calibration` measures, on held-out labelled frames, the factor by which
    it must be multiplied to be the RMS error (7.7 for the forces of a tiny copper
    committee); :meth:`calibrate_spread` measures them and then gives the calibrated
    spreads as ``energy_std_calibrated``, ``forces_std_calibrated``,
    ``max_forces_std_calibrated`` and, calibrated on frames with stress labels,
    ``stress_std_calibrated`` (asking for them before refuses, naming the cure). The
    ``*_std`` results stay raw, as in other committee codes.

    When every member is a single-fidelity SevenNet model, the atom graph (neighbour list)
    is built once per structure and each member's network runs on a copy of it, so K members
    cost less than K single evaluations. Other backends are evaluated member by member.

    A member fine-tuned from another member (the record
    :func:`~ase_electrolyte.finetuning.finetune` writes beside it names that member's file by
    content) is refused: their spread is what the fine-tuning changed.

    No file says a model's energy reference, so the members' references are compared on the
    first structure of each element set that binds (mean binding energy, the energy less
    that of its atoms apart, at least 0.05 eV/atom): members offset by a constant per atom
    (fine-tuned on labels of another code, functional or pseudopotential) differ by as much
    on the structure as on its atoms apart. When the spread of their binding energies is
    under a tenth of the spread of their energies (at least 1 meV/atom), the spread is an
    offset: from 0.1 eV/atom refused (:class:`~ase.calculators.calculator.InputError`, also
    for every later structure of those elements, before its members run), below warned
    about once (:class:`EnergyOffsetWarning`); members whose fine-tune records name one
    set of training labels are then said to be not converged (they would share its
    reference), not of different references. A SevenNet model's per-element shift is no
    such reference: the 11Jul2024 and 22May2024 releases of SevenNet-0 differ in it by up
    to 1.3 eV/atom, yet agree on water, ethanol, fcc Cu and LiF within 0.03 eV/atom (the
    network absorbs it) and differ on isolated atoms; they pass.

    Options follow :class:`ase_electrolyte.Calculator`'s contract: ``parameters["model"]``
    is the list of members, ``parameters["backend"]`` the backend of each;
    ``Calculator(**committee.todict())`` rebuilds the committee, and ``set(model=[...])``
    (or a change of device, dtype, backend or backend options) loads the members again.

    Raises
    ------
    ase.calculators.calculator.InputError
        Fewer than two members; members of different backends, cutoff radii or element sets,
        or a member fine-tuned from another
        (their spread would measure how the models differ, not the uncertainty), naming the
        member and the difference, once the members are loaded and before any structure is
        evaluated; any bad option (also a ``ValueError``); a structure with an element a
        member lacks, naming the member, before any member runs (members whose set is
        unknown are not checked); members whose energy spread on a structure that binds is
        an offset of 0.1 eV/atom or more (different energy references, see the notes).
    ase.calculators.calculator.CalculationFailed
        A member returned a non-finite energy, force or stress.

    Examples
    --------
    >>> from ase.build import molecule
    >>> from ase_electrolyte import Calculator
    >>> calc = Calculator(["sevennet-0", "sevennet-0-22may2024"], device="cpu")
    >>> atoms = molecule("H2O")
    >>> atoms.calc = calc
    >>> bool(atoms.calc.get_property("energy_std", atoms) > 0)  # two releases disagree
    True
    """

    implemented_properties = Calculator.implemented_properties + [
        "energy_std",
        "forces_std",
        "stress_std",
        "max_forces_std",
        "energy_std_calibrated",
        "forces_std_calibrated",
        "max_forces_std_calibrated",
        "stress_std_calibrated",
    ]

    @property
    def spread_scale(self):
        """The scale factors of :meth:`calibrate_spread` (``{"energy": Estimate, "forces":
        Estimate}``), or ``None``: the spread is then raw, no error bar.

        Dropped (``None``) once an option of a summed term differs from what it was at the
        calibration (``calc.dispersion.set(damping="zero")``, an edit of
        ``calc.electrostatics.parameters``): the factors measured the error of the mean with
        the old terms. Such an edit changes no option of the committee, so :meth:`set`,
        which drops them too, never ran: a committee calibrated with D3(BJ) and then given
        zero damping kept giving ``*_std_calibrated`` values scaled by the BJ error.
        """
        scale = self.__dict__.get("_spread_scale")
        if scale is not None and not _same_options(self._calibrated_terms,
                                                   self._terms_snapshot()):
            self._spread_scale = None
            self._calibration_dropped = (
                "a summed term's options changed since calibrate_spread (the factors measured "
                "the error with the old terms)")
            scale = None
        return scale

    @spread_scale.setter
    def spread_scale(self, scale):
        self._spread_scale = scale
        self._calibration_dropped = None
        # the terms' options as calibrated with, to notice an edit that bypasses set()
        self._calibrated_terms = None if scale is None else self._terms_snapshot()

    def _terms_snapshot(self):
        # read without applying options edited in calc.parameters (that would reset the
        # results in the middle of calculate): a term given there as a spec is no calculator
        # yet, and its spec differs from the options calibrated with
        return [_options_snapshot(t.todict()) if hasattr(t, "todict") else copy.deepcopy(t)
                for t in (self.parameters["dispersion"], self.parameters["electrostatics"])
                if t is not None]

    def calibrate_spread(self, frames):
        r"""Measure the spread's scale factors on held-out labelled frames, and from then on
        give calibrated spreads beside the raw ones.

        The raw spread stays in ``energy_std``, ``forces_std`` and ``max_forces_std`` (what
        active-learning thresholds, e.g. DP-GEN's trust levels, are set on); once calibrated,
        ``energy_std_calibrated`` (eV), ``forces_std_calibrated`` (per atom, eV/Å) and
        ``max_forces_std_calibrated`` (eV/Å) are the raw spreads times :math:`c_E` or
        :math:`c_F` of :func:`spread_calibration` (Musil et al. 2019) and the Student-t
        factor :math:`t_{0.8413}(\nu)` of the calibration's degrees of freedom: one-sigma
        prediction intervals for new structures like ``frames`` (:math:`c\,\sigma` alone,
        the RMS error, covered 0.61-0.68 of new errors when :math:`c` came from 5-50 frames;
        see :func:`spread_calibration`). Where every frame carries a stress label,
        ``stress_std_calibrated`` (Voigt, eV/Å³) is ``stress_std`` scaled likewise by
        :math:`c_S`; otherwise (or when :math:`c_S` is not valid) it is refused, naming why,
        and the energy and forces are calibrated all the same. Changing any option
        (``set``) drops the calibration: other members or summed terms have another error.

        Parameters
        ----------
        frames : str, os.PathLike or sequence of ase.Atoms
            As for :func:`spread_calibration`: labelled frames the members were not trained
            on (at least 5).

        Returns
        -------
        dict of Estimate
            The scale factors, also kept in :attr:`spread_scale`.

        Raises
        ------
        ValueError
            What :func:`spread_calibration` refuses, or a scale factor that is not valid
            (fewer than 5 frames, members that agree exactly), naming why; the committee
            then keeps its earlier calibration (or none).
        """
        scale = spread_calibration(self, frames)
        # a stress factor that is not valid leaves the stress spread uncalibrated (its
        # stress_std_calibrated refused, naming why), not the energy and forces
        bad = [f"{key}: {'; '.join(e.notes) or e.method}" for key, e in scale.items()
               if not e.valid and key != "stress"]
        # the frames evaluated for the factors are no state of the caller's
        self.reset()
        if bad:
            raise ValueError(
                "calibrate_spread: the scale factors are not valid, so no calibrated spread "
                f"is given ({'; '.join(bad)}); give more held-out labelled frames")
        self.spread_scale = scale
        return scale

    def set(self, **kwargs):
        changed = super().set(**kwargs)
        if changed:
            # the factors measured the error of the old members and terms
            self.spread_scale = None
        return changed

    set.__doc__ = Calculator.set.__doc__

    def get_property(self, name, atoms=None, allow_calculation=True):
        # options edited in calc.parameters first (they drop the calibration through set)
        self._apply_direct_edits()
        if name.endswith("_std_calibrated") and self.spread_scale is None:
            dropped = self.__dict__.get("_calibration_dropped")
            raise PropertyNotImplementedError(
                f"{name}: this committee's spread is not calibrated"
                + (f" any more: {dropped}" if dropped else "")
                + " (a raw spread is no error "
                "bar: members trained on one data set share their error); call "
                "calc.calibrate_spread(held_out_labelled_frames) first, or read the raw "
                f"{name[:-len('_calibrated')]}")
        if name == "stress_std_calibrated":
            stress = self.spread_scale.get("stress")
            if stress is None or not stress.valid:
                why = ("not every calibration frame had a stress label" if stress is None
                       else f"its factor is not valid ({'; '.join(stress.notes) or stress.method})")
                raise PropertyNotImplementedError(
                    f"stress_std_calibrated: this committee's stress spread is not calibrated: "
                    f"{why}; stress_std is the raw spread (no error bar); calibrate on "
                    "periodic held-out frames that all carry stress labels")
        return super().get_property(name, atoms, allow_calculation)

    get_property.__doc__ = Calculator.get_property.__doc__

    def __init__(self, models=None, *, model=None, dispersion=None, electrostatics=None,
                 device="auto", dtype=None, backend=None, **options):
        if models is None:
            models = model
        elif model is not None:
            raise InputError("give the committee members once, as models= or model=")
        ase_keywords = self._split_ase_keywords(options)
        _AseCalculator.__init__(self, **ase_keywords)
        self._own_terms = {}
        # called as f(atoms, results) after every evaluation, whatever drives the calculator
        # (run_md, an ASE optimizer): see ase_electrolyte.active_learning.CandidateCollector
        self.callbacks = []
        self._initialise(dict(
            model=models, dispersion=dispersion, electrostatics=electrostatics, device=device,
            dtype=dtype, backend=backend, **options,
        ))

    def _configure(self, p, old, given):
        """Check the options, then (re)load the members and build the summed terms."""
        p = dict(p)
        models = p["model"]
        if not isinstance(models, (str, bytes, os.PathLike)) and models is not None:
            try:
                models = list(models)  # a generator, a tuple, a numpy array of paths
            except TypeError:
                pass
        if not isinstance(models, list) or len(models) < 2:
            raise InputError(
                f"a committee needs at least two models, got {models!r}; use "
                "Calculator(name) for a single model"
            )
        for k, m in enumerate(models):
            if not isinstance(m, (str, os.PathLike)):
                raise InputError(
                    f"committee member {k} must be a registered name or a model file, not "
                    f"{m!r}"
                )
        p["model"] = [model_spec(m) for m in models]
        if old is not None and "model" in given and not equal(p["model"], old["model"]):
            for key in set(p) - set(self.default_parameters) - given:
                del p[key]
            if "backend" not in given:
                p["backend"] = None
        if isinstance(p.get("modal"), str):
            # as Calculator records it (modal="pbe" is "PBE"), so that set(modal="PBE") after
            # modal="pbe" is no change and reloads no member; members spelling a fidelity
            # differently keep it as given, for each member to read
            spelled = {modal_spelling(p["modal"], model_modals(m)) for m in p["model"]}
            if len(spelled) == 1:
                p["modal"] = spelled.pop()
        backends = p["backend"]
        if backends is None or isinstance(backends, str):
            backends = [backends] * len(p["model"])
        elif len(backends) != len(p["model"]):
            raise InputError(
                f"backend: {_counted(len(backends), 'backend')} for "
                f"{_counted(len(p['model']), 'committee member')}"
            )
        device, terms, reload = self._device_terms_reload(p, old, given)
        if reload:
            options = {k: v for k, v in p.items() if k not in self.default_parameters}
            # a model given twice (in any spelling, under any path) is loaded once
            identities = [_member_identity(m) for m in p["model"]]
            loaded = {}
            members = []
            for m, key, b in zip(p["model"], identities, backends, strict=True):
                if (key, b) not in loaded:
                    loaded[key, b] = Calculator(m, device=device, dtype=p["dtype"], backend=b,
                                                **options)
                members.append(loaded[key, b])
            _check_same_kind(p["model"], members)
            _check_no_base_of_another(p["model"], identities)
            # files of one network (a checkpoint saved again, one fine-tune seed run twice)
            # are one member: their spread is zero everywhere
            digests = {id(m): _weights_digest(m) for m in members}
            networks, first = [], {}
            for k, (member, identity) in enumerate(zip(members, identities, strict=True)):
                digest = digests[id(member)]
                key = identity if digest is None else ("weights", digest)
                if key in first:
                    members[k] = members[first[key]]
                first.setdefault(key, k)
                networks.append(key)
            _warn_repeats(p["model"], networks, identities)
            p["backend"] = [m.backend for m in members]
            # every option is valid: only now is the calculator changed
            for member in members:
                # the committee warns about unread initial charges once, not each member
                member._warns_unread_charges = False
            self.members = members
            # what each member was loaded from (file contents or registered names) and which
            # network it is: a file replaced since is not what the committee evaluates
            self._identities, self._networks = identities, networks
            # the elements every member covers: the first member's set alone let through an
            # element a later one lacks when the first's is unknown (a GAP file whose
            # descriptors name no species), which that member then evaluated silently
            self._numbers = _covered_numbers(members)
            self._periodic_only = any(m._periodic_only for m in members)
            self._shared_graph = self._sevennet_shared_graph()
            # member energies of isolated atoms, and the element sets whose energy
            # reference is judged (_check_energy_reference), for these members
            self._isolated = {}
            self._reference_judged = {}
        self._own_terms = terms["owned"]
        p["dispersion"], p["electrostatics"] = terms["dispersion"], terms["electrostatics"]
        self._list_term_properties(p["electrostatics"])
        self._unread_warned = set()  # UnreadChargesWarning said again for new options
        return p

    @property
    def model_cutoff(self):
        """The members' cutoff radius (Å; one for all, as the committee requires), ``None``
        where their backend does not say."""
        cutoffs = [c for c in (_member_cutoff(m) for m in self.members) if c is not None]
        return max(cutoffs) if cutoffs else None

    def _check_members_unchanged(self, use):
        """InputError when a member file no longer holds the bytes the committee loaded.

        The committee evaluates the networks it loaded; ``use`` (a labels folder, a
        candidates file) records the members by what their files hold now, so a member
        retrained or copied over in place since the load would file the loaded model's
        results under the new one's name, to be reused as its own.
        """
        for k, (model, identity) in enumerate(zip(self.model, self._identities, strict=True)):
            if identity[0] != "file":
                continue
            now = _member_identity(model)
            if now != identity:
                what = "was removed" if now[0] != "file" else "holds another model"
                raise InputError(
                    f"committee member {k} ({model!r}) {what} since the committee loaded it: "
                    f"{use} would record the members as their files are now, while the "
                    "committee evaluates the models it loaded; load the committee again"
                )

    def _sevennet_shared_graph(self):
        calcs = [m._model_calc for m in self.members]
        if not all(m.backend == "sevennet" for m in self.members):
            return False
        cutoffs = {float(c.cutoff) for c in calcs}
        return len(cutoffs) == 1 and all(c.modal is None for c in calcs)

    def _members_shared_graph(self, atoms, periodic):
        import torch
        from sevenn.atom_graph_data import AtomGraphData
        from sevenn.train.dataload import unlabeled_atoms_to_graph

        first = self.members[0]._model_calc
        work = atoms.copy()
        work.calc = None
        data = AtomGraphData.from_numpy_dict(
            unlabeled_atoms_to_graph(work, first.cutoff, with_shift=False)
        )
        data.to(first.device)
        out = []
        for member in self.members:
            calc = member._model_calc
            with torch.enable_grad():
                res = calc.output_to_results(calc.model(data.clone()))
            r = {
                "energy": float(res["energy"]),
                "forces": np.array(res["forces"], dtype=np.float64).reshape(-1, 3),
                "energies": np.array(res["energies"], dtype=np.float64).reshape(-1),
            }
            if periodic:
                r["stress"] = np.array(res["stress"], dtype=np.float64).reshape(6)
            out.append(r)
        return out

    def _members_one_by_one(self, atoms, properties):
        out = []
        for member in self.members:
            member.reset()
            member.calculate(atoms, properties, all_changes)
            out.append(member.results)
        return out

    def _check_energy_reference(self, atoms, energies):
        """InputError when the members' energy spread on ``atoms`` is an energy-reference
        offset: the same on the structure as on its atoms apart.

        Judged once per element set, on the first structure that binds
        (:data:`_BOUND_EV_PER_ATOM`); see the class notes.
        """
        elements = frozenset(atoms.numbers.tolist())
        if elements in self._reference_judged:
            refusal = self._reference_judged[elements]
            if refusal is not None:  # every later structure of these elements too
                raise InputError(refusal)
            return
        n = len(atoms)
        energies = np.asarray(energies, dtype=np.float64)
        if energies.std() / n < _MIN_OFFSET_EV_PER_ATOM:
            return  # not judged: a later structure may spread more
        apart = np.zeros(len(self.members))
        for z, count in zip(*np.unique(atoms.numbers, return_counts=True), strict=True):
            for k, member in enumerate(self.members):
                key = (k, int(z))
                if key not in self._isolated:
                    self._isolated[key] = _isolated_atom_energy(member, int(z))
                if self._isolated[key] is None:
                    self._reference_judged[elements] = None  # cannot be judged
                    return
                apart[k] += count * self._isolated[key]
        binding = energies - apart
        if abs(binding.mean()) / n < _BOUND_EV_PER_ATOM:
            return  # not judged: a structure that binds will tell
        if binding.std() > _OFFSET_FRACTION * energies.std():
            self._reference_judged[elements] = None
            return
        # the member farthest from member 0 names the offset
        k = int(np.argmax(np.abs(energies - energies[0])))
        what = (
            f"the committee's energy spread on a {atoms.get_chemical_formula()} structure "
            f"({energies.std() / n * 1e3:.3g} meV/atom) is an energy offset: member {k} "
            f"({self.model[k]!r}) is {(energies[k] - energies[0]) / n:+.4g} eV/atom from "
            f"member 0 ({self.model[0]!r}) on it and {(apart[k] - apart[0]) / n:+.4g} eV/atom "
            "on its atoms apart, while the members' binding energies spread by only "
            f"{binding.std() / n * 1e3:.3g} meV/atom"
        )
        epochs = _fitted_to_one_set_of_labels(self.model)
        if epochs is not None:
            # members fitted to one set of labels share its reference once converged: an
            # offset between them is what the fine-tune has not yet fitted
            shown = "/".join(map(str, epochs))
            cause = (
                f"; the members are not converged: they were fine-tuned on the same labels "
                f"({shown} epoch(s), as their records say) and still differ by this offset "
                "(students keep their teachers' energy references until trained long "
                "enough): train them for more epochs"
            )
        if energies.std() / n < _REFERENCE_EV_PER_ATOM:
            self._reference_judged[elements] = None
            warnings.warn(
                f"{what}{cause if epochs is not None else ''}; it shifts every structure of "
                "this composition alike, so energy_std is no uncertainty of energy "
                "differences there (forces_std is unaffected)",
                EnergyOffsetWarning, stacklevel=2)
            return
        if epochs is not None:
            refusal = f"{what}{cause}; their energy spread and mean energy mean nothing"
        else:
            refusal = (
                f"{what}; an offset this large means the members use different energy "
                "references (e.g. fine-tuned on labels of different codes, functionals or "
                "pseudopotentials), so their energy spread and mean energy mean nothing: build "
                "the committee of members with one energy reference"
            )
        self._reference_judged[elements] = refusal
        raise InputError(refusal)

    def _check(self, atoms):
        # an element a member lacks is refused naming that member, before any member runs
        with input_errors():
            for k, (model, member) in enumerate(zip(self.model, self.members, strict=True)):
                check_elements(atoms, member._numbers, f"committee member {k} ({model!r})")
        # a committee refused for an energy-reference offset on these elements is refused
        # again before its members run
        refusal = self._reference_judged.get(frozenset(atoms.numbers.tolist()))
        if refusal is not None:
            raise InputError(refusal)
        super()._check(atoms)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        """Evaluate every member once for this state; store means and spreads."""
        if atoms is not None:
            self._check(atoms)
        # ASE's (through the parameters contract), not the one-model Calculator's
        super(Calculator, self).calculate(atoms, properties, system_changes)
        wanted = self._wanted(properties)
        periodic = "stress" in wanted
        if self._shared_graph:
            member_results = self._members_shared_graph(self.atoms, periodic)
        else:
            member_results = self._members_one_by_one(
                self.atoms, [p for p in wanted if p != "energies"]
            )
        for k, r in enumerate(member_results):
            check_finite(r, self.atoms, f"committee member {k} ({self.model[k]!r})")
        self._check_energy_reference(self.atoms, [r["energy"] for r in member_results])

        # plain numbers: ASE results (trajectories, databases) hold floats and arrays;
        # committee_spread gives the same numbers as Estimates
        stats, _ = _spread_numbers(
            [r["energy"] for r in member_results],
            [r["forces"] for r in member_results],
            [r["stress"] for r in member_results] if periodic else None,
        )
        results = dict(stats)
        results["max_forces_std"] = float(stats["forces_std"].max())
        if self.spread_scale is not None:
            # one-sigma prediction intervals on a new frame: c alone, estimated from few
            # frames, covered 0.61-0.68 (see calibrate_spread)
            c_e, c_f = (_prediction_factor(self.spread_scale[k]) for k in ("energy", "forces"))
            results["energy_std_calibrated"] = c_e * results["energy_std"]
            results["forces_std_calibrated"] = c_f * results["forces_std"]
            results["max_forces_std_calibrated"] = c_f * results["max_forces_std"]
            stress_scale = self.spread_scale.get("stress")
            if "stress_std" in results and stress_scale is not None and stress_scale.valid:
                results["stress_std_calibrated"] = (_prediction_factor(stress_scale)
                                                    * results["stress_std"])
        if all("energies" in r for r in member_results):
            results["energies"] = np.mean([r["energies"] for r in member_results], axis=0)
        results["member_energies"] = np.array([r["energy"] for r in member_results])
        results["member_forces"] = np.array([r["forces"] for r in member_results])
        if periodic:
            # the stress and stress_std were given without the members' values, from which
            # committee_spread gives them as Estimates (errors, verdicts) as it does the energy's
            results["member_stresses"] = np.array(
                [np.asarray(r["stress"], dtype=np.float64).reshape(6) for r in member_results])

        before = {q: results[q] for q in ("energy", "forces", "stress") if q in results}
        results = self._add_terms(results, wanted)
        # the terms add the same to every member: they shift the members, not the spread
        for q, members in (("energy", "member_energies"), ("forces", "member_forces"),
                           ("stress", "member_stresses")):
            if members in results:
                results[members] = results[members] + (results[q] - before[q])

        results["free_energy"] = results["energy"]
        # kept (and reported to the callbacks) before refusing per-atom energies, as by a
        # single model: the members' evaluation is not paid for twice
        self.results = results
        for callback in self.callbacks:
            callback(self.atoms, results)
        if "energies" in properties and "energies" not in results:
            raise PropertyNotImplementedError("not every committee member gives per-atom energies")
