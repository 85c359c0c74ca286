r"""Active learning with a committee: collect uncertain MD frames, thin them, label them.

Following the scheme of the moment-tensor-potential electrolyte study (Hodapp et al., MTP
active learning): during MD, every configuration whose uncertainty exceeds a *selection*
threshold is written to a candidates file, and the run stops above a second, larger *stop*
threshold, where the potential is extrapolating too far to be trusted. Here the uncertainty is
the committee's largest per-atom force spread
:math:`\max_i \sigma_{F,i}` (:class:`ase_electrolyte.committee.Committee`), the "model
deviation" of DP-GEN (Zhang et al., 2020), in place of the MTP extrapolation grade. The
candidates are then thinned by farthest-point sampling in the model's descriptor space
or by greedy D-optimal design (:func:`select_candidates`) to the number one can afford to
label.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import time
import warnings

import numpy as np

from .atomic_file import atomic_path, check_output_path
from .atoms_checks import check_number
from .topology import check_extxyz

__all__ = [
    "CandidateCollector",
    "ExtrapolationError",
    "frame_descriptors",
    "farthest_point_sampling",
    "d_optimal_selection",
    "select_candidates",
]


#: Largest ``select_threshold`` (eV/Å) a collector takes: committees select at force spreads of
#: 0.05-0.35 eV/Å (DP-GEN's trust levels, Zhang et al. 2020); a spread beyond this is no
#: structure a committee describes, and a threshold there (50 meant as meV/Å) selected nothing.
#: ``stop_threshold`` has no ceiling: a large one means never stop.
MAX_SELECT_THRESHOLD = 10.0

#: The spread records :class:`CandidateCollector` writes into a candidate frame (the selecting
#: committee's, at selection): named like labels, but the frame's provenance, which
#: :func:`~ase_electrolyte.distill.relabel` keeps.
CANDIDATE_RECORDS = ("max_forces_std", "energy_std", "forces_std", "forces_std_scale",
                     "energy_std_scale")


class ExtrapolationError(RuntimeError):
    """The committee spread passed the stop threshold: the model is extrapolating."""


class CandidateCollector:
    r"""Write frames whose committee force spread exceeds a threshold; stop above a second one.

    Attach it to a committee calculator (``Calculator([m1, m2, ...])``); it is then called after
    every evaluation, whatever drives the calculator (:func:`ase_electrolyte.md.run_md`, an ASE
    dynamics or optimizer).

    Parameters
    ----------
    path : str or os.PathLike
        Candidates file (extxyz), appended to, a frame whole or not at all (a write that
        fails, e.g. a full disk, leaves the earlier frames readable). Each frame carries
        in ``info``:
        ``max_forces_std`` (eV/Å), ``energy_std`` (eV), ``select_threshold``,
        ``stop_threshold``, ``min_interval``, ``evaluation`` (index of the committee
        evaluation), ``source`` (provenance), ``models``, ``committee`` (``sha256:`` of the
        members' identities: file contents, or registered names; these three when known) and
        ``time`` (UNIX time), ``spread_calibrated`` (whether the committee had measured
        its spread's scale factors, :meth:`~ase_electrolyte.committee.Committee.calibrate_spread`;
        then ``forces_std_scale`` and ``energy_std_scale``, by which the raw spreads are
        multiplied for RMS error bars); per-atom ``forces_std`` in ``arrays``. No energies or forces
        are stored as labels: the frames are to be labelled by the reference method.
    select_threshold : float
        Frames with :math:`\max_i \sigma_{F,i}` above this (eV/Å) are written.
    stop_threshold : float
        Above this (eV/Å) the frame is written and :class:`ExtrapolationError` is raised, which
        stops the MD run (``run_md`` closes its trajectory as incomplete).
    source : str, optional
        Provenance written into every frame (e.g. the run's trajectory file).
    min_interval : int
        Write at most one candidate every ``min_interval`` evaluations (consecutive MD steps are
        nearly the same configuration).
    overwrite : bool
        Remove an existing ``path`` here, so that the file holds this collector's frames
        only (a run that finds no candidate leaves none, not an earlier run's). By default
        frames are appended to an existing file only when it was written by a collector of
        the same thresholds, ``min_interval`` and committee (checked here and in
        :meth:`attach`): frames selected by other criteria or another committee's spread
        would be mixed in one file, none telling them apart.

    Raises
    ------
    ValueError
        Thresholds not positive numbers (``stop_threshold`` may be infinite: never stop) or
        not in the order ``select_threshold < stop_threshold``; a ``select_threshold`` above
        ``MAX_SELECT_THRESHOLD`` (10 eV/Å), which reads as meV/Å, ``min_interval`` not a positive
        integer, a ``path`` that is a folder or inside a file; an existing ``path`` (without
        ``overwrite``) whose first frame was written with other thresholds or another
        ``min_interval``, or not by a collector (naming what differs).

    Notes
    -----
    A non-finite spread (a member returned NaN or infinite forces) stops like one above
    ``stop_threshold``.

    Examples
    --------
    >>> from ase_electrolyte.active_learning import CandidateCollector
    >>> CandidateCollector("candidates.extxyz", select_threshold=0.5, stop_threshold=0.2)
    Traceback (most recent call last):
    ...
    ValueError: select_threshold (0.5 eV/Å) must be below stop_threshold (0.2 eV/Å)
    """

    def __init__(self, path, select_threshold, stop_threshold, *, source=None, min_interval=1,
                 overwrite=False):
        select_threshold = check_number("select_threshold (eV/Å)", select_threshold, above=0)
        # infinity: never stop
        if isinstance(stop_threshold, (float, np.floating)) and stop_threshold == np.inf:
            stop_threshold = float("inf")
        else:
            stop_threshold = check_number("stop_threshold (eV/Å)", stop_threshold, above=0)
        if select_threshold > MAX_SELECT_THRESHOLD:
            # in meV/Å it ran the whole MD selecting nothing, reading as a model confident
            # everywhere
            raise ValueError(
                f"select_threshold {select_threshold:g} eV/Å is beyond any committee force "
                "spread of a structure it describes (selection at 0.05-0.35 eV/Å; at most "
                f"{MAX_SELECT_THRESHOLD:g} eV/Å taken): is it in meV/Å? give it in eV/Å "
                f"({select_threshold / 1000:g})"
            )
        if not select_threshold < stop_threshold:
            raise ValueError(
                f"select_threshold ({select_threshold:g} eV/Å) must be below stop_threshold "
                f"({stop_threshold:g} eV/Å)"
            )
        min_interval = check_number("min_interval", min_interval, integer=True, minimum=1)
        self.path = check_output_path(path, "candidates file")
        self.select_threshold = select_threshold
        self.stop_threshold = stop_threshold
        self.source = "" if source is None else str(source)
        self.min_interval = int(min_interval)
        if not isinstance(overwrite, (bool, np.bool_)):
            raise TypeError(f"overwrite must be True or False, not {overwrite!r}")
        self.overwrite = bool(overwrite)
        self.models = ""
        self.committee = ""
        self.n_evaluations = 0
        self.n_candidates = 0
        self.max_spread = 0.0
        self._last_written = None
        self._calc, self._members = None, None
        # refused before any MD step, not at the first candidate
        self._check_existing()

    def _settings(self):
        """What decides which frames this collector writes, as its frames record it."""
        settings = {"select_threshold": self.select_threshold,
                    "stop_threshold": self.stop_threshold, "min_interval": self.min_interval}
        if self.committee:
            settings["committee"] = self.committee
        return settings

    def _check_existing(self):
        """ValueError when ``path`` holds frames selected otherwise than this collector would.

        Appending to them mixed selections in one file: candidates of another threshold, or
        of another committee's spread, with nothing in ``select`` telling them apart.
        """
        if self.overwrite:
            # started anew: the earlier frames would otherwise pass for this run's candidates
            if self.n_candidates == 0 and os.path.lexists(self.path):
                os.unlink(self.path)
            return
        first = _first_frame_info(self.path)
        if first is None:
            return
        advice = "choose another file, or pass overwrite=True to replace it"
        if "select_threshold" not in first or "stop_threshold" not in first:
            raise ValueError(
                f"candidates file {self.path} holds frames not written by a CandidateCollector "
                f"(no select_threshold/stop_threshold in its first frame): {advice}"
            )
        differ = []
        for key, ours in self._settings().items():
            if key not in first:
                if key == "committee" and "models" in first:
                    # written before the committee's identity was recorded: its spec
                    if str(first["models"]) != self.models:
                        differ.append(f"models {first['models']!r}, not {self.models!r}")
                continue
            theirs = first[key]
            if key == "committee":
                same = str(theirs) == ours
                shown = (f"another committee ({first.get('models', '?')!r}, not "
                         f"{self.models!r}, or the same files with other contents)")
            else:
                try:
                    same = float(theirs) == float(ours)
                except (TypeError, ValueError):
                    same = False
                shown = f"{key} {_shown(theirs)}, not {_shown(ours)}"
            if not same:
                differ.append(shown)
        if differ:
            raise ValueError(
                f"candidates file {self.path} was written with {'; '.join(differ)}: appending "
                f"would mix two selections in one file; {advice}"
            )

    def attach(self, calc):
        """Register on a committee calculator; returns ``calc``.

        Raises
        ------
        TypeError
            ``calc`` is not a committee (has no spread to watch).
        ValueError
            ``path`` exists (and ``overwrite`` is not set) with frames of another committee
            (other model files or contents), naming it; the collector is attached to another
            committee already (attaching it again to the same one changes nothing); a
            committee whose members are all one model (a name in any spelling, a file under
            any path, a link or a copy, files of equal weights: :class:`~ase_electrolyte.\
committee.RepeatedMemberWarning`), whose spread is zero everywhere.
        ase.calculators.calculator.InputError
            A member file replaced or removed since the committee loaded it: the frames
            would be marked with the new file's committee.
        """
        if not hasattr(calc, "callbacks") or not isinstance(calc.model, list):
            raise TypeError(
                "active learning needs a committee calculator, e.g. "
                "ase_electrolyte.Calculator(['a.pth', 'b.pth']), not " + type(calc).__name__
            )
        if self._calc is not None and self._calc is not calc:
            # both committees' evaluations would be written, all marked as the second's
            raise ValueError(
                f"this collector of {self.path} is attached to another committee already "
                f"({self.models}); make one collector per committee"
            )
        from .committee import _member_identity

        loaded = getattr(calc, "_identities", None)
        if loaded is not None:
            # a member file replaced since the load: the frames would be marked as the new
            # file's committee, selected by the spread of the models loaded before
            calc._check_members_unchanged(f"the candidates file {self.path}")
        else:
            loaded = [_member_identity(os.fspath(m)) for m in calc.model]
        # the members' file contents (or registered names), not their paths: a path retrained
        # in place is another committee, a copy elsewhere the same one
        identities = sorted(repr(identity) for identity in loaded)
        # files of one network (equal weights, other bytes) are one model too
        networks = getattr(calc, "_networks", None) or identities
        if len(networks) > 1 and len({repr(n) for n in networks}) == 1:
            # its spread is zero on every structure: nothing was ever selected and the run
            # never stopped, reading as a model confident everywhere
            raise ValueError(
                f"the committee ({';'.join(map(str, calc.model))}) holds one model "
                f"{len(identities)} times (the same name, file, link or copy, or files of "
                "equal weights): its force "
                "spread is zero on every structure, so no frame would be selected and no "
                "extrapolation stopped; build it of distinct models (e.g. finetune(..., "
                "ensemble=K))"
            )
        before = self.models, self.committee
        self.models = ";".join(map(str, calc.model))
        self.committee = "sha256:" + hashlib.sha256("\n".join(identities).encode()).hexdigest()
        try:
            self._check_existing()
        except ValueError:
            self.models, self.committee = before
            raise
        # attached twice, every evaluation was judged twice: each candidate written twice and
        # the evaluations counted double
        if not any(c is self for c in calc.callbacks):
            calc.callbacks.append(self)
        self._calc, self._members = calc, list(calc.model)
        return calc

    def __call__(self, atoms, results):
        """Judge one evaluation (called by the committee with its Atoms and results)."""
        if self._calc is not None and list(self._calc.model) != self._members:
            # calc.set(model=[...]) after attach: its frames would carry the old committee's
            # identity; attach the collector again (it checks the file against the new one)
            raise ValueError(
                f"the committee's members changed since this collector of {self.path} was "
                f"attached ({';'.join(map(str, self._members))} -> "
                f"{';'.join(map(str, self._calc.model))}); call attach again"
            )
        k = self.n_evaluations
        self.n_evaluations += 1
        spread = float(results["max_forces_std"])
        # a NaN spread (a member returned NaN forces) compared below every threshold and passed
        # for a confident model; it is the strongest sign of extrapolation
        finite = np.isfinite(spread)
        # unbounded, not NaN: the attribute stays a number a user can print and compare
        self.max_spread = max(self.max_spread, spread) if finite else math.inf
        stop = not finite or spread > self.stop_threshold
        due = self._last_written is None or k - self._last_written >= self.min_interval
        if stop or (spread > self.select_threshold and due):
            self._write(atoms, results, k, spread)
        if stop:
            why = (
                f"exceeds the stop threshold {self.stop_threshold:g} eV/Å" if finite
                else "is not finite (a member returned non-finite forces)"
            )
            scale = getattr(self._calc, "spread_scale", None)
            bar = ("" if not finite else " (a raw spread, not calibrated as an error bar)"
                   if scale is None else
                   f" (calibrated: an RMS force error of about "
                   f"{scale['forces'].value * spread:.3g} eV/Å)")
            raise ExtrapolationError(
                f"committee force spread {spread:.3g} eV/Å at evaluation {k} {why}{bar}: "
                "the model "
                f"is extrapolating; {self.n_candidates} candidate frame(s) are in {self.path} "
                "for labelling"
            )

    def _write(self, atoms, results, k, spread):
        import ase.io

        frame = atoms.copy()
        frame.calc = None
        frame.info.update(
            {
                "max_forces_std": spread,
                "energy_std": float(results["energy_std"]),
                "select_threshold": self.select_threshold,
                "stop_threshold": self.stop_threshold,
                "min_interval": self.min_interval,
                "evaluation": int(k),
                "time": time.time(),
            }
        )
        # an empty text is written as 'source=' and read back swallowing the next key
        # ('source' became "models=a.pth;b.pth" and 'models' was lost)
        frame.info.update({key: value for key, value in (
            ("source", self.source), ("models", self.models), ("committee", self.committee))
            if value})
        frame.arrays["forces_std"] = np.asarray(results["forces_std"], dtype=np.float64)
        # the raw spread is what the thresholds judge; whether it is an error bar is said
        scale = getattr(self._calc, "spread_scale", None)
        frame.info["spread_calibrated"] = scale is not None
        if scale is not None:
            frame.info["forces_std_scale"] = float(scale["forces"].value)
            frame.info["energy_std_scale"] = float(scale["energy"].value)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = io.StringIO()
        check_extxyz(frame)
        ase.io.write(text, frame, format="extxyz")
        _append_whole(self.path, text.getvalue().encode())
        self._last_written = k
        self.n_candidates += 1


def _shown(value):
    """A setting as its file shows it (numpy scalars as plain numbers)."""
    value = value.item() if isinstance(value, np.generic) else value
    return repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(
        value, float) else str(value)


def _first_frame_info(path):
    """``info`` of the first extxyz frame of ``path`` (``None``: no file or an empty one).

    Only the first two lines are read: a candidates file may hold thousands of frames.
    """
    from ase.io.extxyz import key_val_str_to_dict

    try:
        with open(path, "rb") as f:
            count = f.readline(256)
            comment = f.readline(1 << 20)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ValueError(f"candidates file {path} cannot be read: {err}") from None
    if not count.strip() and not comment:
        return None
    try:
        int(count.decode())
        info = key_val_str_to_dict(comment.decode().strip())
    except (UnicodeDecodeError, ValueError, SyntaxError) as err:
        raise ValueError(
            f"candidates file {path} is not an extxyz of candidate frames (its first frame "
            f"cannot be read: {err}): choose another file, or pass overwrite=True to replace it"
        ) from None
    return info


def _append_whole(path, data):
    """Append ``data`` to ``path`` whole or not at all.

    ase.io's appending writer wrote a frame line by line: a write that failed part-way (a full
    disk, a file-size limit) left a frame cut short at the end, and ase.io then refused the
    whole file ("Frame has 18 atoms, expected 108"), so every candidate collected before was
    lost with it. On a failure the file is cut back to its length before this append (a
    file this append created is removed).
    """
    from .atomic_file import _naming

    existed = os.path.lexists(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        start = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except BaseException as err:
            os.ftruncate(fd, start)
            if not existed:
                os.unlink(path)
            if isinstance(err, OSError) and err.filename is None:
                raise _naming(err, path) from err
            raise
    finally:
        os.close(fd)


def frame_descriptors(frames, model="sevennet-0", *, device="auto"):
    r"""Invariant descriptors of frames from a SevenNet model's last hidden layer.

    The per-atom input of the model's energy read-out (scalar, rotation- and
    permutation-invariant features) is averaged over the atoms of each element; a frame's
    descriptor is the concatenation of these means over the elements present in any frame
    (zeros where a frame lacks an element).

    Parameters
    ----------
    frames : ase.Atoms or sequence of ase.Atoms
    model : str, os.PathLike or ase_electrolyte.Calculator
        A SevenNet model (a committee: its first member).
    device : str

    Returns
    -------
    numpy.ndarray, shape (n_frames, n_elements * n_features)

    Raises
    ------
    TypeError
        An item of ``frames`` that is not an ase.Atoms.
    ValueError
        Naming the frame, before any is evaluated: no atom, an element the model does not
        cover, non-finite positions, a degenerate cell, overlapping atoms.
    """
    import torch

    from .calculator import Calculator
    from .finetuning import _check_frames_for_model, _frame_list

    _check_device_beside(model, device)
    frames = _frame_list(frames, "frames")

    calc = model if isinstance(model, Calculator) else Calculator(model, device=device)
    if hasattr(calc, "members"):
        calc = calc.members[0]
    if calc.backend != "sevennet":
        raise ValueError(f"descriptors need a SevenNet model, not a {calc.backend} model")
    net = calc._model_calc.model
    readout = net._modules.get("reduce_hidden_to_energy")
    if readout is None:
        raise ValueError("this SevenNet model has no 'reduce_hidden_to_energy' read-out layer")
    # a frame the model cannot evaluate failed only when reached, after the frames before it
    _check_frames_for_model(calc, frames, "frames")
    captured = {}

    def hook(_module, inputs):
        captured["x"] = inputs[0]["x"].detach().cpu().numpy().astype(np.float64)

    elements = sorted({int(z) for a in frames for z in a.numbers})
    handle = readout.register_forward_pre_hook(hook)
    rows = []
    try:
        for atoms in frames:
            work = atoms.copy()
            # a frame equal to the previous one would be served from the results cache, and the
            # hook would capture nothing (exact duplicates are common among candidates)
            calc.reset()
            work.calc = calc
            with torch.enable_grad():
                work.get_potential_energy()
            feats = captured.pop("x")[: len(atoms)]
            parts = []
            for z in elements:
                mask = atoms.numbers == z
                parts.append(feats[mask].mean(axis=0) if mask.any() else np.zeros(feats.shape[1]))
            rows.append(np.concatenate(parts))
    finally:
        handle.remove()
    return np.asarray(rows)


def _check_device_beside(model, device):
    """ValueError when ``device`` is set beside a calculator object, which does not take it.

    The device of a model given by name or path is where it is loaded; a calculator given is
    loaded already, and ``device="cuda"`` beside a CPU one ran on the CPU without a word (as
    :func:`~ase_electrolyte.density_alignment.npt_density` refuses options beside one).
    """
    from .calculator import Calculator

    if isinstance(model, Calculator) and not (isinstance(device, str) and device == "auto"):
        raise ValueError(
            f"device={device!r} is for a model given by name or path; the model given is "
            "already a calculator, which runs where it was loaded: leave device out (or give "
            "the model's name or path, or build the calculator with that device)")


def _descriptor_array(descriptors):
    """Descriptors as a float array divided by their largest magnitude (the selections are
    invariant to one common factor), checked: 2D, non-empty, finite."""
    from mda_electrolyte.uncertainty import real_array

    try:
        np.asarray(descriptors)
    except (TypeError, ValueError):
        # rows of unequal length were numpy's "setting an array element with a sequence"
        raise ValueError(
            "descriptors must be a 2D array of numbers, one row of equal length per frame"
        ) from None
    # complex descriptors lost their imaginary part with a ComplexWarning, flags and numeric
    # text became numbers, masked values were selected by the data under the mask
    d = real_array(descriptors, "descriptors")
    if d.ndim != 2 or len(d) == 0:
        raise ValueError(
            f"descriptors must be a non-empty 2D array (one row per frame), got shape "
            f"{d.shape}; give a 1-frame descriptor as one row, [row]"
        )
    if d.shape[1] == 0:
        # rows without a feature (a descriptor model that returned nothing) ended in numpy's
        # "zero-size array to reduction operation maximum which has no identity"
        raise ValueError(
            f"descriptors of shape {d.shape}: {len(d)} frames with no feature each; give at "
            "least one feature per frame (did the descriptor model return any?)"
        )
    if not np.all(np.isfinite(d)):
        # which frames: a NaN descriptor is a frame the model failed on (atoms on top of
        # each other), which the user drops or fixes; "must be finite" named none
        rows = np.flatnonzero(~np.isfinite(d).all(axis=1))
        listed = ", ".join(str(int(k)) for k in rows[:10]) + (" ..." if rows.size > 10 else "")
        raise ValueError(
            f"descriptors must be finite: frame(s) {listed} ({rows.size} of {len(d)}) hold "
            "NaN or infinite values; drop those frames or recompute their descriptors"
        )
    # descriptors of 1e200 overflowed in the variances and those of 1e-200 fell below the
    # absolute constant-column floor: both selected one frame as if all were copies
    peak = float(np.abs(d).max())
    return d / peak if peak > 0 else d


#: Rows whose descriptors differ by at most this (largest magnitude 1, any feature) are
#: copies: SevenNet's features are float32, and one frame with its atoms in another order or
#: shifted by a lattice vector differs in its per-element means by float32 rounding (1e-7
#: relative), where a frame rattled by 0.01 Å differs by 1e-3.
_COPY_TOLERANCE = 1e-5


def _copies_of(d, j):
    """Mask of the rows of ``d`` (from :func:`_descriptor_array`) that are copies of row ``j``
    (:data:`_COPY_TOLERANCE`)."""
    return np.max(np.abs(d - d[j]), axis=1) <= _COPY_TOLERANCE


def _standardised(descriptors, n):
    """Descriptors as z-scores per column (constant columns dropped); checks ``n``."""
    d = _descriptor_array(descriptors)
    # NaN was int()'s "cannot convert float NaN to integer", True passed as 1
    n = check_number(f"n (between 1 and the number of frames, {len(d)})", n, integer=True,
                     minimum=1, maximum=len(d))
    std = d.std(axis=0)
    # relative to the largest magnitude (1 after _descriptor_array): float noise on an offset
    keep = std > 1e-12
    return (d[:, keep] - d[:, keep].mean(axis=0)) / std[keep] if keep.any() else d[:, :0]


#: Largest ``ridge`` of :func:`d_optimal_selection`: a frame brings about 1 per feature, which
#: beside a prior of 1e6 still moves the pivots by 1e-6, ten orders of magnitude above float64
#: rounding; far beyond it the frames' information is lost to rounding.
MAX_RIDGE = 1.0e6


def d_optimal_selection(descriptors, n, *, first=None, ridge=1e-3):
    r"""Indices of ``n`` rows picked greedily to maximise the log-determinant of their information.

    With centred descriptors :math:`z_j`, scaled by one factor so that the mean variance per
    column is 1 (per-column z-scores, as in :func:`farthest_point_sampling`, would blow up
    columns that vary only by noise into directions worth labelling), the information of a set
    :math:`S` about a model linear in the descriptors is
    :math:`A_S = \lambda I + \sum_{j\in S} z_j z_j^\mathsf{T}`. Each pick maximises
    :math:`\log\det A_S`; by the matrix determinant lemma the gain of adding frame :math:`j` is
    :math:`\log(1 + z_j^\mathsf{T} A_S^{-1} z_j)` — frame :math:`j`'s leverage, the quantity
    MaxVol-type selection bounds in moment-tensor potentials. Computed in frame space: since
    :math:`\det A_S = \lambda^{F-|S|}\det(\lambda I + K_{SS})` with the Gram matrix
    :math:`K = ZZ^\mathsf{T}`, the greedy choice is a pivoted Cholesky factorisation of
    :math:`K + \lambda I` taking the largest remaining pivot, :math:`O(N n F)` for ``N`` frames
    of ``F`` features.

    Unlike farthest-point sampling, a frame far out along a direction already covered adds
    little: D-optimal picks span new directions of descriptor space.

    Parameters
    ----------
    descriptors : array_like, shape (n_frames, n_features)
    n : int
        Number to pick (at most ``n_frames``).
    first : int, optional
        Force the first pick (e.g. the frame of largest committee spread); by default the
        frame of largest leverage, the one farthest from the mean.
    ridge : float
        :math:`\lambda`, the prior information per feature, in units of the mean column
        variance (> 0, at most :data:`MAX_RIDGE`); a frame brings on average 1 per feature.
        The small default makes the selection volume-maximising (MaxVol-like): a frame along
        a direction not yet covered always beats a repeat of a covered one. Larger values
        weigh a frame's own leverage more; D-optimal designs then replicate extreme frames,
        near-duplicates included.

    Warns
    -----
    UserWarning
        ``n`` above the rank of the descriptors: the picks beyond it are by leverage alone and
        may repeat near-duplicates of earlier picks (farthest-point sampling does not).

    Returns
    -------
    list of int
        The picks, in order; never a frame whose descriptors equal a picked one's within
        10⁻⁵ of the largest magnitude (float32 rounding; fewer than ``n``,
        with a warning, when the frames hold fewer distinct descriptors).
    float
        :math:`\log\det(\lambda I + K_{SS}) - n\log\lambda` of the picked set, i.e.
        :math:`\log\det A_S - \log\det \lambda I`.

    Examples
    --------
    Frames far along x in both directions and one along y: farthest-point takes both x
    extremes, D-optimal the x extreme and the y direction.

    >>> from ase_electrolyte.active_learning import d_optimal_selection, farthest_point_sampling
    >>> d = [[5.0, 0.0], [-5.0, 0.0], [0.0, 3.0], [0.1, 0.1], [-0.1, -0.1]]
    >>> farthest_point_sampling(d, 2)
    [0, 1]
    >>> d_optimal_selection(d, 2, first=0)[0]
    [0, 2]
    """
    return _d_optimal_picks(descriptors, n, first, ridge, asked=None)


def _asked_words(n, asked, excluded=0):
    """How a shortage warning names the frames asked for: ``asked`` (what the caller asked for
    before it was capped at the ``n`` frames there are) where it differs from ``n``, and the
    ``excluded`` candidates labelled already; the capped number read as the user's own (10
    asked of 5 candidates warned '5 frames asked for')."""
    if asked is None or asked == n:
        return f"{n} frames asked for,"
    left = (f" ({excluded} more labelled already)" if excluded else "")
    return f"{asked} frames asked for, of {n} candidates{left},"


def _d_optimal_picks(descriptors, n, first, ridge, *, asked, excluded=0):
    """:func:`d_optimal_selection`; ``asked`` as in :func:`_asked_words`."""
    d = _descriptor_array(descriptors)
    _standardised(d, n)  # the same checks as farthest-point sampling
    z = d - d.mean(axis=0)
    # one scale for all columns (mean column variance 1): unlike per-column z-scores, columns
    # that vary only by noise stay small and do not pass for new directions
    scale = np.sqrt(np.mean(z.var(axis=0)))
    z = z / scale if scale > 0 else z
    # float() took True and "0.1" as numbers and failed on None with its own words; a ridge of
    # 1e300 drowned every frame's information (about 1 per feature) in rounding: the picks
    # fell to index order, [0, 1, 2], with a log-determinant of 0
    ridge = check_number("ridge (in units of the mean column variance)", ridge, above=0,
                         maximum=MAX_RIDGE)
    # int() read 1.5 and True as frames 1 and failed on NaN without naming the argument
    first = check_number(f"first (a frame index, 0 to {len(z) - 1})", first, integer=True,
                         minimum=0, maximum=len(z) - 1, allow_none=True)
    n = int(n)
    rank = np.linalg.matrix_rank(z) if z.size else 0
    if n > rank:
        warnings.warn(
            f"{_asked_words(n, asked, excluded)} but the descriptors span only {rank} directions: "
            "the picks beyond those are by leverage and may repeat near-duplicates (method "
            "'fps' avoids them)",
            stacklevel=3,  # the caller of d_optimal_selection or select_candidates
        )
    residual = np.einsum("ij,ij->i", z, z) + ridge  # pivots still available
    chol = np.zeros((len(z), n))
    picked, logdet = [], 0.0
    for m in range(n):
        j = int(first) if (m == 0 and first is not None) else int(np.argmax(residual))
        if not np.isfinite(residual[j]):
            # every frame left is a copy of a picked one: it was picked again (a pool of
            # identical frames gave n copies of one frame to label)
            warnings.warn(
                f"{_asked_words(n, asked, excluded)} but only {len(picked)} have distinct "
                f"descriptors: {len(picked)} selected (the others are copies of selected frames)",
                stacklevel=3,
            )
            break
        pivot = residual[j]
        column = z @ z[j] - chol[:, :m] @ chol[j, :m]
        column[j] += ridge
        chol[:, m] = column / np.sqrt(pivot)
        residual = residual - chol[:, m] ** 2
        residual[picked + [j]] = -np.inf
        # copies of the pick (to float32 rounding) teach the model nothing more
        residual[_copies_of(d, j)] = -np.inf
        picked.append(j)
        logdet += float(np.log(pivot / ridge))
    return picked, logdet


def farthest_point_sampling(descriptors, n, *, first=0):
    r"""Indices of ``n`` rows picked greedily, each farthest from those already picked.

    The features are standardised (zero mean, unit variance per column; constant columns
    dropped), then :math:`i_{k+1} = \arg\max_j \min_{l \le k} \lVert d_j - d_{i_l} \rVert`.

    Parameters
    ----------
    descriptors : array_like, shape (n_frames, n_features)
    n : int
        Number to pick (at most ``n_frames``).
    first : int
        The first pick.

    Returns
    -------
    list of int
        Never a frame twice, and no frame whose descriptors equal a picked one's (within
        10⁻⁵ of the largest magnitude: float32 rounding): fewer than ``n``
        when the frames hold fewer distinct descriptors.

    Warns
    -----
    UserWarning
        Fewer than ``n`` distinct frames (identical frames, or frames the model cannot tell
        apart): labelling a copy of a labelled frame teaches the model nothing.

    Examples
    --------
    >>> from ase_electrolyte.active_learning import farthest_point_sampling
    >>> farthest_point_sampling([[0.0], [0.1], [5.0], [2.4]], 3)
    [0, 2, 3]
    """
    return _farthest_point_picks(descriptors, n, first, asked=None)


def _farthest_point_picks(descriptors, n, first, *, asked, excluded=0):
    """:func:`farthest_point_sampling`; ``asked`` as in :func:`_asked_words`."""
    d = _descriptor_array(descriptors)
    z = _standardised(d, n)
    n = int(n)
    first = check_number(f"first (a frame index, 0 to {len(z) - 1})", first, integer=True,
                         minimum=0, maximum=len(z) - 1)
    picked = [first]
    dist = np.linalg.norm(z - z[first], axis=1)
    # copies to float32 rounding, which the per-column z-scores may blow up
    dist[_copies_of(d, first)] = 0.0
    while len(picked) < n:
        nxt = int(np.argmax(dist))
        if not dist[nxt] > 0:
            # every frame left equals a picked one: argmax returned a picked frame again
            warnings.warn(
                f"{_asked_words(n, asked, excluded)} but only {len(picked)} have distinct "
                f"descriptors: {len(picked)} selected (the others are copies of selected frames)",
                stacklevel=3,
            )
            break
        picked.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(z - z[nxt], axis=1))
        dist[_copies_of(d, nxt)] = 0.0
    return picked


def _exclude_paths(exclude):
    """The files of ``exclude``: one path, or a non-empty list of paths; else ``[]``."""
    if isinstance(exclude, (str, os.PathLike)):
        return [exclude]
    if isinstance(exclude, (list, tuple)) and exclude and all(
            isinstance(e, (str, os.PathLike)) for e in exclude):
        return list(exclude)
    return []


def _same_file(out, given):
    """Whether ``given`` (a path, or frames) is the file at the output path ``out``."""
    if not isinstance(given, (str, os.PathLike)):
        return False
    try:
        if os.path.exists(out) and os.path.exists(given):
            return os.path.samefile(out, given)
        return os.path.realpath(out) == os.path.realpath(os.fspath(given))
    except (OSError, ValueError, TypeError):
        return False


def _spread(atoms, k):
    """A frame's ``info["max_forces_std"]`` as a float (-inf when it has none)."""
    value = atoms.info.get("max_forces_std", -np.inf)
    try:
        spread = float(np.asarray(value, dtype=np.float64).item())
    except (TypeError, ValueError):
        raise ValueError(
            f"candidates: frame {k} has max_forces_std {value!r:.60}, not one number (eV/Å)"
        ) from None
    if spread < 0 and "max_forces_std" in atoms.info:
        # a standard deviation: a negative one is another quantity or a corrupted file, and
        # it ranked the frame last
        raise ValueError(
            f"candidates: frame {k} has max_forces_std {spread:g}, below 0: not a committee "
            "spread (a standard deviation, eV/Å)"
        )
    return spread


def select_candidates(candidates, n, *, model="sevennet-0", device="auto", out=None,
                      method="fps", exclude=None):
    """Thin candidate frames to ``n`` by farthest-point or D-optimal selection.

    The first pick is the frame with the largest committee spread (``info["max_forces_std"]``,
    when present; a NaN spread counts as the largest, the first of equal ones is taken). With
    ``method="fps"`` each further pick is the frame farthest, in the model's
    descriptor space (:func:`frame_descriptors`), from those already picked
    (:func:`farthest_point_sampling`), so that near-duplicates of consecutive MD steps are not
    labelled twice; with ``method="d-optimal"`` the frame that most raises the log-determinant
    of the picked frames' descriptor information (:func:`d_optimal_selection`), which also skips
    near-duplicates and, beyond that, frames that only extend a direction already covered.

    Parameters
    ----------
    candidates : str, os.PathLike, ase.Atoms or sequence of ase.Atoms
        Candidates (e.g. written by :class:`CandidateCollector`).
    n : int
        Number of frames to keep; all frames are kept when there are fewer.
    model : str, os.PathLike or ase_electrolyte.Calculator
        SevenNet model for the descriptors.
    device : str
    out : str or os.PathLike, optional
        Write the selected frames (extxyz, ``info`` kept, plus ``candidate_index`` and
        ``selection_method``).
    method : {"fps", "d-optimal"}
        In any case and spacing (``"FPS"``, ``"D-optimal"``); a near miss is named.
    exclude : str, os.PathLike, list of them, ase.Atoms or sequence of ase.Atoms, optional
        Frames labelled already (an earlier round's selection, the training set): a
        candidate that is one of them (atoms in any order, moved or wrapped, as the
        fine-tune's leakage check matches frames) is not selected again. A candidates file
        appended to over rounds, or selected from twice with a larger ``n``, gave the
        earlier picks again (farthest-point sampling is deterministic), to be labelled twice.

    Returns
    -------
    list of ase.Atoms
        The selected frames in the order picked.

    Warns
    -----
    UserWarning
        Candidates of more than one committee (``info["committee"]`` of
        :class:`CandidateCollector`), whose spreads are not on one scale; fewer distinct
        candidates than ``n`` (or, with ``method="d-optimal"``, descriptors of lower rank),
        naming the ``n`` asked for and the candidates left after ``exclude``.

    Raises
    ------
    TypeError
        A candidate that is not an ase.Atoms.
    ValueError
        An unknown ``method``, no frames, ``n`` not a positive integer, an ``out`` that is
        a folder or inside a file, or the ``candidates`` or ``exclude`` file itself, a
        ``candidates`` (or ``exclude``) file that cannot be read as frames (see
        :func:`ase_electrolyte.finetuning.read_frames_file`), a
        ``max_forces_std`` that is not a number, every candidate one of ``exclude``, or a
        frame the model cannot evaluate (see :func:`frame_descriptors`), before any model
        evaluation.
    """
    import ase.io

    from .option_words import choice_word

    # 'FPS' and 'D-optimal' (the CLI reads --method in any case) were refused here
    method = choice_word("method", method, ("fps", "d-optimal"))
    n = check_number("n", n, integer=True, minimum=1)
    _check_device_beside(model, device)
    if out is not None:
        # checked before the descriptors are computed, which is the expensive part
        out = check_output_path(out, "out")
        # the selection written over its own candidates, or over the frames labelled
        # already, lost them with no trace
        for given, what in ((candidates, "candidates"), *((path, "exclude")
                                                          for path in _exclude_paths(exclude))):
            if _same_file(out, given):
                raise ValueError(
                    f"out {out} is the {what} file itself: writing the selection there "
                    f"would replace the {what} frames; give another out")
    from .finetuning import _frame_list

    # one Atoms was iterated into its Atom objects ("'Atom' object has no attribute 'info'")
    frames = _frame_list(candidates, "candidates")
    if not frames:
        raise ValueError("there are no candidate frames to select from")
    # each candidate's index in the file, kept through the exclusion
    index = list(range(len(frames)))
    excluded = 0
    if exclude is not None:
        from .finetuning import _shared_frames

        paths = _exclude_paths(exclude)
        # several files, as --exclude is repeated: a list of paths was refused as 'frame 0
        # is a str'
        labelled = ([a for path in paths for a in _frame_list(path, "exclude")] if paths
                    else _frame_list(exclude, "exclude"))
        done = {k for k, _ in _shared_frames(labelled, frames)}
        if len(done) == len(frames):
            raise ValueError(
                # "a frame of exclude" named the Python keyword, and the command line shows
                # this message too: the frames are named by what they are
                f"every one of the {len(frames)} candidate frame(s) is one of the frames "
                "labelled already (those to exclude): there is nothing new to select; give "
                "candidates collected since they were labelled"
            )
        index = [k for k in index if k not in done]
        frames = [frames[k] for k in index]
        excluded = len(done)
    # the selection warns in the words of the n asked for, not of the frames it was capped at
    asked, n = n, min(n, len(frames))
    spreads = np.array([_spread(a, k) for k, a in zip(index, frames, strict=True)])
    committees = sorted({str(a.info["committee"]) for a in frames if "committee" in a.info})
    if len(committees) > 1:
        # files of several committees put together by hand: the first pick compares
        # spreads of different models
        warnings.warn(
            f"the candidates come from {len(committees)} committees (info['committee']): "
            "their force spreads are not on one scale, and the first pick is the largest of "
            "them; select each committee's candidates on their own to avoid it",
            stacklevel=2,
        )
    # a NaN spread (a member returned NaN forces) is the strongest sign of extrapolation, as
    # CandidateCollector reads it; nanargmax passed it over
    spreads[np.isnan(spreads)] = np.inf
    first = int(np.argmax(spreads))
    desc = frame_descriptors(frames, model, device=device)
    if method == "fps":
        picked = _farthest_point_picks(desc, n, first, asked=asked, excluded=excluded)
    else:
        picked = _d_optimal_picks(desc, n, first, d_optimal_selection.__kwdefaults__["ridge"],
                                  asked=asked, excluded=excluded)[0]
    selected = []
    for i in picked:
        frame = frames[i].copy()
        frame.calc = None
        frame.info["candidate_index"] = int(index[i])
        frame.info["selection_method"] = method
        selected.append(frame)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        # a failed write (disk full, killed) leaves an earlier selection of that name intact
        check_extxyz(selected)
        with atomic_path(out) as tmp:
            ase.io.write(tmp, selected, format="extxyz")
    return selected
