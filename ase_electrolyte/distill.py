r"""Ensemble knowledge distillation: relabel frames with a committee mean, fine-tune students.

BAMBOO (Gong et al., 2024) trains an ensemble, relabels MD frames with the ensemble mean (no new
DFT labels) and fine-tunes the members on them; the students agree better with each other than
the members did (their density spread fell from 0.030 to 0.014 g/cm³). :func:`relabel` makes
the labels, :func:`distill` fine-tunes the students through
:func:`ase_electrolyte.finetuning.finetune`.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator

from .atomic_file import atomic_path, check_output_path
from .atoms_checks import check_atoms, check_number, check_overlaps
from .topology import check_extxyz

__all__ = ["relabel", "distill"]


def relabel(frames, committee, *, labels=None, **calc_options):
    """Frames labelled with a committee's mean energy, forces and (periodic frames) stress.

    Parameters
    ----------
    frames : str, os.PathLike, ase.Atoms or sequence of ase.Atoms
        Unlabelled or labelled frames (extxyz/ase.db path or Atoms); existing labels (a
        calculator's, or ``energy``, ``free_energy``, ``stress``, ``virial`` in ``info`` and
        ``forces`` in ``arrays``) are replaced, and labels under other names (``REF_energy``,
        ``REF_forces``, ``dft_stress``: any ``info``/``arrays`` entry named for an energy,
        force, stress, virial, dipole or Hessian,
        :func:`mda_electrolyte.model_labels.drop_stored_labels`) are dropped, except the box
        builder's records, a candidate's selection records
        (:data:`~ase_electrolyte.active_learning.CANDIDATE_RECORDS`) and per-frame training
        weights (names holding ``weight``).
    committee : list of models or a committee calculator
        The teacher: ``ase_electrolyte.Calculator([...])`` or the list of its models.
    labels : str or os.PathLike, optional
        A folder recording each frame's labels as soon as the teacher has made them (one JSON
        file per frame, written atomically, named by the SHA-256 of the frame's elements,
        positions, cell, periodicity, initial charges and, where it has them, declared net
        charge (``info["charge"]``, ``formal_charge``) and the arrays the teacher's
        Electrostatics reads, in a subfolder named by the
        teacher's fingerprint, :func:`ase_electrolyte.md.calculator_fingerprint`: its
        members' files by content, its options). A rerun of a stopped labelling (Ctrl-C,
        SIGTERM) reuses them and labels only the frames that have none; another teacher (other
        members, a member file retrained in place, other options) labels every frame again,
        and the labels of earlier teachers are removed, except those a run (of this process
        or another) is labelling into at the time: it keeps them. Runs of one teacher may
        share the folder at the same time (different frame sets, or the same): a frame's
        labels are one file, replaced whole, and equal whichever run wrote them.
        ``None``: nothing is recorded.
    **calc_options
        For :class:`ase_electrolyte.Calculator` when a list is given (e.g. ``device="cpu"``);
        refused beside a committee calculator, which does not take them.

    Raises
    ------
    TypeError
        ``committee`` is one model (a string or path) or a frame is not an Atoms.
    ValueError
        A file that cannot be read as frames (see
        :func:`ase_electrolyte.finetuning.read_frames_file`), no frames, a frame with no atoms,
        non-finite positions, a degenerate cell or atoms closer than 0.1 Å, raised before the
        teacher is loaded; elements the teacher does not cover, before it evaluates any frame;
        frames on which the teacher returns non-finite labels, named once every frame has
        been tried (the finite labels are kept in ``labels``).
    ase.calculators.calculator.InputError
        With ``labels``: a member file of the ``committee`` calculator replaced or removed
        since it was loaded (the labels would be filed under the new file's contents), before
        any frame is labelled.
    KeyboardInterrupt
        Ctrl-C, or :class:`ase_electrolyte.md.Terminated` on SIGTERM (where SIGTERM has its
        default action): with ``labels``, the note says how many frames are labelled and kept.

    Returns
    -------
    list of ase.Atoms
        Copies with a single-point calculator holding the mean labels (the forces and stress
        the teacher gives without the frame's constraints, which the copies keep), and
        ``info["teacher_max_forces_std"]`` (eV/Å) and ``info["teacher_energy_std"]`` (eV), the
        committee spread on that frame, and on a periodic frame, where the teacher gives one,
        ``info["teacher_stress_std"]`` (Voigt, eV/Å³): raw spreads, no error bars until
        calibrated (:func:`~ase_electrolyte.committee.spread_calibration`).
    """
    from .calculator import Calculator

    if not hasattr(committee, "members") and (
            isinstance(committee, (str, bytes, os.PathLike)) or not np.iterable(committee)):
        # list("model.pth") would make a committee of its letters
        raise TypeError(
            "committee must be a committee calculator or a list of two or more models, not "
            f"{committee!r}")
    from mda_electrolyte.model_labels import drop_stored_labels

    from .finetuning import _check_frames_for_model, _frame_list

    if hasattr(committee, "members") and calc_options:
        # they were dropped without a word (device="cuda" beside a CPU committee labelled on
        # the CPU), as npt_density and mean_pressure refuse them beside a calculator
        raise ValueError(
            f"relabel: {sorted(calc_options)} are options of a committee given as a list of "
            "models; the committee given is already a calculator, which does not take them: "
            "set them when building it (or give the list of models)")
    if labels is not None:
        labels = check_output_path(labels, "labels", folder=True)
    # one Atoms was iterated into its Atom objects ("frame 0 is a Atom")
    frames = _frame_list(frames, "frames")
    _check_geometry(frames)
    teacher = committee if hasattr(committee, "members") else Calculator(list(committee),
                                                                         **calc_options)
    # elements the teacher does not cover failed at their frame, after those before it
    _check_frames_for_model(teacher, frames, "frames")
    if labels is not None and hasattr(teacher, "_check_members_unchanged"):
        # the labels are filed under the members' files as they are now: a member replaced
        # since the teacher was loaded would have its old model's labels reused as its own
        teacher._check_members_unchanged(f"the labels folder {labels}")
    store = _LabelStore(labels, teacher) if labels is not None else None
    out = []
    from .md import Terminated, terminate_as_interrupt

    bad = []  # frames the teacher gave non-finite labels
    reached = 0
    with terminate_as_interrupt():
        try:
            for reached, atoms in enumerate(frames):
                record = store.read(atoms) if store is not None else None
                if record is None:
                    record = _teacher_labels(atoms, teacher)
                    if not all(np.isfinite(v).all() for v in record.values()):
                        # NaN labels were returned as the teacher's: a member far outside its
                        # data; finetune refused them only after every frame was labelled
                        bad.append(reached)
                        continue
                    if store is not None:
                        store.write(atoms, record)
                copy = atoms.copy()
                # the frame's earlier labels in info/arrays stayed beside the teacher's: ase's
                # extxyz writer then refused the frames ("key from calculator already exists
                # in atoms.info"), distill after the teacher had labelled every frame; and
                # under other names (MACE's REF_energy/REF_forces/REF_stress, dft_forces, an
                # earlier teacher's spread) they were written beside the new teacher's, read
                # as its labels by a trainer told energy_key="REF_energy"
                drop_stored_labels(copy, keep=_kept_records(copy))
                copy.info["teacher_max_forces_std"] = record["max_forces_std"]
                copy.info["teacher_energy_std"] = record["energy_std"]
                if "stress_std" in record:
                    copy.info["teacher_stress_std"] = record["stress_std"]
                copy.calc = SinglePointCalculator(
                    copy, **{k: record[k] for k in ("energy", "forces", "stress") if k in record})
                out.append(copy)
            reached = len(frames)
            if bad:
                shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
                kept = (f"; the labels of the other {len(frames) - len(bad)} are kept in "
                        f"{store.folder}" if store is not None else "")
                raise ValueError(
                    f"the teacher gave non-finite energy, forces or stress (a member "
                    f"extrapolating far outside its training data) on {len(bad)} of "
                    f"{len(frames)} frame(s): {shown}; these frames cannot be labelled by "
                    f"this committee: leave them out{kept}")
        except KeyboardInterrupt as err:
            if store is not None:
                what = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
                err.add_note(
                    f"relabel: {what} at frame {reached} of {len(frames)}; the labels of "
                    f"{store.written + store.reused} frame(s) are kept in {store.folder}: the "
                    "same call labels only the others")
            raise
        finally:
            if store is not None:
                store.close()
    return out


def _kept_records(atoms):
    """Names in ``atoms.info``/``arrays`` that look like labels but are no calculation's
    values, kept on a relabelled frame: the box builder's records (``conformer_energies``),
    a candidate's selection records (the selecting committee's spread,
    :data:`~ase_electrolyte.active_learning.CANDIDATE_RECORDS`) and per-frame training weights
    (MACE's ``config_energy_weight``, ``config_forces_weight``), which belong to the frame,
    not to the teacher that labels it."""
    from .active_learning import CANDIDATE_RECORDS
    from .build import BOX_RECORDS

    weights = [key for entries in (atoms.info, atoms.arrays) for key in entries
               if "weight" in str(key).lower()]
    return (*BOX_RECORDS, *CANDIDATE_RECORDS, *weights)


def _check_some_frames(frames, what="frames"):
    """No frames to label refused before the teacher's members are loaded: an empty list (a
    filter that kept nothing) loaded every member and returned nothing (relabel) or ended in
    finetune's refusal after it (distill)."""
    if not frames:
        raise ValueError(f"{what} holds no frames: there is nothing for the teacher to label")


def _check_geometry(frames):
    """Every frame checked before the teacher is loaded and the first frame evaluated."""
    _check_some_frames(frames)
    for k, atoms in enumerate(frames):
        if len(atoms) == 0:
            raise ValueError(f"frame {k} has no atoms")
        try:
            # its refusal named no frame ("non-finite positions for 1 atom(s), indices 1")
            check_atoms(atoms)
        except ValueError as err:
            raise ValueError(f"frame {k}: {err}") from None
        check_overlaps(atoms, what=f"frame {k}")


def _teacher_labels(atoms, teacher):
    """The teacher's mean labels and spread on one frame (float64 arrays, eV, eV/Å, eV/Å³)."""
    from mda_electrolyte.model_labels import evaluate_frame

    # the teacher's own forces and stress: a frame's constraint (FixAtoms of a slab's lower
    # layers) zeroed its fixed atoms' force labels, which a student then learnt as the
    # model's, and the label file, whose name does not hold constraints, gave the zeros to
    # the same frame unconstrained; non-finite labels are named by relabel, every frame tried
    record = evaluate_frame(teacher, atoms, ("energy", "forces", "stress")
                            if atoms.pbc.all() else ("energy", "forces"), checked=False)
    record["max_forces_std"] = float(teacher.results["max_forces_std"])
    record["energy_std"] = float(teacher.results["energy_std"])
    if "stress" in record and _gives_stress_spread(teacher):
        record["stress_std"] = np.array(teacher.results["stress_std"],
                                        dtype=np.float64).reshape(6)
    return record


def _gives_stress_spread(teacher):
    """Whether ``teacher`` gives a stress spread (a :class:`~ase_electrolyte.committee.Committee`
    does on a periodic frame): its ``stress_std`` is then recorded beside the others."""
    return "stress_std" in getattr(teacher, "implemented_properties", ())


def _frame_sha256(atoms, teacher=None):
    """SHA-256 of what a frame's labels depend on: elements, positions, cell, periodicity and
    initial charges, exactly (a frame moved by any amount is another frame), and, where the
    frame has them, the inputs that a Calculator compares besides those (its declared net
    charge: ``info["charge"]``, ``formal_charge``) and that ``teacher``'s summed terms read
    (Electrostatics: its charge and ``molecule_index`` arrays).

    Without the latter, a frame relabelled after its net charge or charge array was
    corrected was given the labels of the old charges. A frame with none of them hashes as
    it did before they were added.
    """
    import hashlib

    from .calculator_charges import declaration_inputs

    h = hashlib.sha256()
    for array in (atoms.numbers, atoms.positions, atoms.cell.array, atoms.pbc,
                  atoms.get_initial_charges()):
        h.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        h.update(b"|")
    inputs = dict(declaration_inputs(atoms))
    for term in _summed_terms(teacher):
        if hasattr(term, "_untracked_inputs"):
            inputs.update(term._untracked_inputs(atoms))
    for key in sorted(inputs):
        value = inputs[key]
        if value is None:
            continue
        h.update(key.encode())
        try:
            h.update(np.ascontiguousarray(value, dtype=np.float64).tobytes())
        except (TypeError, ValueError):
            h.update(repr(value).encode())
        h.update(b"|")
    return h.hexdigest()


def _summed_terms(teacher):
    """The dispersion and electrostatics terms a teacher sums in (none for ``None``)."""
    return [t for t in (getattr(teacher, name, None) for name in ("dispersion", "electrostatics"))
            if t is not None and not isinstance(t, (str, dict))]


#: The file inside a teacher's labels folder that every run using the folder holds a shared
#: ``flock`` on, and that a run of another teacher must lock exclusively to remove the folder.
_IN_USE = ".in-use.lock"


def _same_file(fd, path):
    """Whether the open file ``fd`` is still the file at ``path``."""
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


def _claim_folder(folder):
    """A shared claim on a teacher's labels folder (made if missing): an open descriptor
    holding a shared ``flock`` on its :data:`_IN_USE` file, closed to give it back.

    Runs of one teacher share the folder (their labels of one frame are equal, each written
    atomically); a run of another teacher removes the folder only while no claim is held
    (:func:`_remove_unclaimed`). A claim taken on the file of a folder being removed is
    taken again on the new folder.
    """
    import fcntl

    while True:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _IN_USE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:  # the folder was removed after mkdir
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            if _same_file(fd, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _remove_unclaimed(folder):
    """Remove another teacher's labels folder unless a run holds a claim on it.

    A run of the other teacher that was still labelling into it lost its folder mid-run (its
    next label failed to be written, its earlier ones were gone).
    """
    import fcntl
    import shutil
    import uuid

    path = folder / _IN_USE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:  # removed meanwhile
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # in use: kept
        if not _same_file(fd, path):
            return
        # renamed away first, so that no run can claim it while it is removed; a run waiting
        # on this lock file finds no folder at its path and claims a new one
        trash = folder.with_name(f".removing-{folder.name}-{uuid.uuid4().hex[:12]}")
        try:
            os.rename(folder, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)
    finally:
        os.close(fd)


class _LabelStore:
    """The teacher's labels of each frame, one atomically written JSON file per frame, under
    ``folder/<teacher fingerprint digest>/``; the folders of other teachers are removed unless
    another run is using them. Close it (or use it in ``with``) to give its claim back."""

    def __init__(self, labels, teacher):
        import hashlib
        import json

        from .md import calculator_fingerprint

        fingerprint = calculator_fingerprint(teacher)
        self._teacher_calc = teacher
        self.teacher = hashlib.sha256(
            json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()
        self.folder = labels / self.teacher[:20]
        self._fd = _claim_folder(self.folder)
        for old in labels.iterdir():
            # another teacher's labels are never this one's: not kept to mislead, unless a
            # run of that teacher is labelling into them now
            if old.is_dir() and old.name != self.folder.name:
                _remove_unclaimed(old)
        self.written = self.reused = 0

    def close(self):
        """Give the claim on the folder back; idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _path(self, atoms):
        frame = _frame_sha256(atoms, self._teacher_calc)
        return frame, self.folder / f"{frame}.json"

    def read(self, atoms):
        """The recorded labels of ``atoms`` by this teacher, or ``None`` (none, damaged, or of
        another frame or teacher)."""
        import json

        frame, path = self._path(atoms)
        try:
            stored = json.loads(path.read_text())
            if stored["teacher"] != self.teacher or stored["frame"] != frame:
                return None
            if atoms.constraints and not stored.get("unconstrained", False):
                # written before the labels were read without the frame's constraints: its
                # fixed atoms' forces may be zeros that are no teacher's
                return None
            record = {"energy": float(stored["energy"]),
                      "forces": np.array(stored["forces"], dtype=np.float64),
                      "max_forces_std": float(stored["max_forces_std"]),
                      "energy_std": float(stored["energy_std"])}
            if atoms.pbc.all():
                record["stress"] = np.array(stored["stress"], dtype=np.float64)
                if record["stress"].shape != (6,):
                    return None
                if _gives_stress_spread(self._teacher_calc):
                    # written before the stress spread was recorded: relabelled, so that
                    # every frame of the run carries it
                    record["stress_std"] = np.array(stored["stress_std"], dtype=np.float64)
                    if record["stress_std"].shape != (6,):
                        return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if record["forces"].shape != (len(atoms), 3) or not all(
                np.isfinite(v).all() for v in record.values()):
            return None
        self.reused += 1
        return record

    def write(self, atoms, record):
        from .atomic_file import write_json_atomic

        frame, path = self._path(atoms)
        # removed by hand while labelling: the labels made so far are lost, this one is not
        self.folder.mkdir(parents=True, exist_ok=True)
        # repr of a float64 reads back as the same float64: reused labels equal fresh ones
        write_json_atomic(path, {
            "teacher": self.teacher, "frame": frame, "unconstrained": True,
            **{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in record.items()},
        })
        self.written += 1


def distill(models, frames, *, epochs, out="distill", n_students=1, device="auto", **kwargs):
    r"""Fine-tune student(s) on frames relabelled by the committee mean of ``models``.

    Student :math:`k` starts from member :math:`k` (``n_students`` ≤ K) and is fine-tuned on
    the same mean labels, so that with several students their spread measures what the
    distillation left of the members' disagreement.

    Parameters
    ----------
    models : list of str or os.PathLike
        The committee (SevenNet checkpoints or registered names).
    frames : str, os.PathLike or sequence of ase.Atoms
        Configurations to distil on, e.g. frames of an MD trajectory of the committee.
    epochs : int
    out : str or os.PathLike
        Student ``k`` is trained in ``out/student_k``; the relabelled frames are written to
        ``out/relabelled.extxyz``, each frame's labels as soon as made to ``out/labels``
        (see :func:`relabel`): a distillation stopped while the committee labels resumes
        with the frames not labelled yet; with another committee every frame is labelled
        again.
    n_students : int
        ``out`` must not hold more students (``out/student_k``, k ≥ ``n_students``) of an
        earlier distillation: they would pass for this run's.
    device : str
    **kwargs
        Passed to :func:`ase_electrolyte.finetuning.finetune` (``lr``, ``batch_size``, ``valid``,
        ``stress_weight``, ...).

    Returns
    -------
    list of ase_electrolyte.finetuning.FinetuneResult
        One per student; ``[r.checkpoint for r in results]`` is the student committee. Each
        student is evaluated on up to 32 of the training frames: students whose energies
        are off the labels by offsets that differ by at least 1 meV/atom and by more than
        they disagree otherwise (one student: an offset of at least 1 meV/atom, larger than
        its scatter) are not converged, and every result's ``notes`` says so with the
        offsets: a committee of them reports the offset as its energy spread
        (:class:`~ase_electrolyte.committee.EnergyOffsetWarning`).

    Raises
    ------
    ValueError
        Before the committee labels any frame: fewer than two models, one model given
        several times (a name in two spellings, a file under two paths or a copy), a bad
        ``epochs``,
        ``n_students`` or fine-tuning option, an ``out`` holding more students of an earlier
        distillation, frames that cannot be read or no frames, students of one batch per
        epoch.
    ase_electrolyte.writer_lock.ConcurrentWriterError
        Another distillation (another process or thread) is working in ``out``, before the
        committee labels any frame (``out`` is claimed until the call returns).
    """
    if isinstance(models, (str, bytes, os.PathLike)):
        raise TypeError(f"models must be a list of two or more models, not {models!r}")
    models = [str(m) for m in models]
    if len(models) < 2:
        raise ValueError("distillation needs a committee of at least two models")
    from .committee import _member_identity

    # one model given K times (a name in two spellings, a file under two paths, a copy): its
    # 'mean' labels are its own, the teacher spread 0 on every frame; the committee labelled
    # every frame and the students were fine-tuned on their own model's labels, changing
    # nothing, the notes reporting a teacher spread of 0 eV/Å as if it were confident
    # (a path to no file is named by the loader, once the options are checked)
    identities = {repr(_member_identity(m)) for m in models}
    if len(identities) == 1 and not identities.pop().startswith("('path'"):
        raise ValueError(
            f"the committee ({', '.join(models)}) holds one model {len(models)} times (the "
            "same name, file, link or copy): its mean labels are that model's own and its "
            "spread is zero, so a student would learn nothing; distil a committee of distinct "
            "models (e.g. finetune(..., ensemble=K))")
    # checked before the committee labels any frame (minutes of model evaluations)
    epochs = check_number("epochs", epochs, integer=True, minimum=1)
    n_students = check_number(f"n_students (between 1 and {len(models)})", n_students,
                              integer=True, minimum=1, maximum=len(models))
    out = check_output_path(out, "out", folder=True)
    # finetune's options too: a bad lr or batch_size failed only after the relabelling
    _check_student_options(epochs, kwargs, out)
    _check_no_extra_students(out, n_students)
    from .finetuning import (
        _check_base_outside_members,
        _check_disjoint,
        _check_members_can_differ,
        _frame_list,
    )

    for k in range(int(n_students)):
        # a teacher inside the student folder that replaces it was deleted before it was read
        if os.path.isfile(models[k]):
            _check_base_outside_members(models[k], out / f"student_{k}",
                                        kwargs.get("ensemble", 1))
    frames = _frame_list(frames, "frames")
    _check_some_frames(frames)
    # students of an ensemble each with one batch per epoch are one model: refused by
    # finetune, but only after the committee had labelled every frame
    _check_members_can_differ(kwargs.get("ensemble", 1), kwargs.get("batch_size", 4),
                              len(frames))
    if kwargs.get("valid") is not None:
        # a missing, unlabelled or leaked validation set was refused by finetune, after the
        # committee had labelled every frame
        from .finetuning import read_labelled

        kwargs["valid"] = read_labelled(kwargs["valid"], what="validation data")
        _check_disjoint(frames, kwargs["valid"])
    from .writer_lock import WriterLock

    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        # two distillations into one folder: the second relabelled (minutes of committee
        # evaluations), replaced relabelled.extxyz with its frames under the first's students,
        # and only then met the first's student folder; it is refused here, before any of it
        with WriterLock(out, "distillation folder"):
            return _relabel_and_train(models, frames, out, epochs=epochs,
                                      n_students=n_students, device=device, **kwargs)
    except BaseException:
        if created:  # a distillation refused or stopped before it wrote anything leaves none
            with contextlib.suppress(OSError):
                out.rmdir()
        raise


def _relabel_and_train(models, frames, out, *, epochs, n_students, device, **kwargs):
    """distill's work, once its options are checked and its folder claimed."""
    import ase.io

    from .calculator import Calculator
    from .finetuning import ONE_MEMBER_NOTE, _check_frames_for_model, finetune

    teacher = list(models)
    if kwargs.get("valid") is not None:
        _check_geometry(frames)
        teacher = Calculator(teacher, device=device)
        # an element a student lacks in the validation frames was refused by finetune, as
        # 'of the training data', after the teacher had labelled every frame
        members = getattr(teacher, "members", None)
        if members is None or len(members) != len(models):
            members = [teacher] * len(models)
        for k in range(int(n_students)):
            _check_frames_for_model(members[k], kwargs["valid"],
                                    f"validation data (student {k} starts from {models[k]})")
    # before the teacher labels anything: the labelled frames are written as extended XYZ
    check_extxyz(frames)
    # an earlier distillation's relabelled frames (another teacher or other frames) stayed
    # under this run's name when its labelling stopped or failed; its labels folder is
    # what a rerun resumes from, this file only this run's complete labelling
    (out / "relabelled.extxyz").unlink(missing_ok=True)
    # each frame's labels are kept as soon as made: a rerun after a stop labels only the rest
    labelled = relabel(frames, teacher, labels=out / "labels",
                       **({"device": device} if isinstance(teacher, list) else {}))
    with atomic_path(out / "relabelled.extxyz") as tmp:
        ase.io.write(tmp, labelled, format="extxyz")
    spread = np.array([a.info["teacher_max_forces_std"] for a in labelled])
    results = []
    for k in range(int(n_students)):
        res = finetune(models[k], labelled, epochs=epochs, out=out / f"student_{k}",
                       device=device, **kwargs)
        if n_students > 1:  # each student is one fine-tune; together they are the committee
            res.notes = [n for n in res.notes if n != ONE_MEMBER_NOTE]
        res.notes.append(
            f"teacher spread on the {len(labelled)} frames: max force spread mean "
            f"{spread.mean():.3g} eV/Å, max {spread.max():.3g} eV/Å (the raw spread, no "
            "error bar: Committee.calibrate_spread measures its scale on held-out frames)"
        )
        results.append(res)
    note = _unconverged_note(_student_energy_errors(results, labelled, device))
    if note:
        for res in results:
            res.notes.append(note)
    return results


#: Training frames on which the students' energies are compared with their labels: their
#: offsets are means over frames, and these few bound their cost to a fraction of an epoch.
_CONVERGENCE_FRAMES = 32


def _student_energy_errors(results, labelled, device):
    """Each student's energy error (eV/atom) on up to :data:`_CONVERGENCE_FRAMES` of the
    training frames (evenly spaced): array (students, frames)."""
    from .calculator import Calculator

    pick = np.unique(np.linspace(0, len(labelled) - 1,
                                 min(_CONVERGENCE_FRAMES, len(labelled))).round().astype(int))
    errors = []
    for res in results:
        student = Calculator(str(res.checkpoint), device=device)
        row = []
        for k in pick:
            work = labelled[k].copy()
            work.calc = student
            row.append((work.get_potential_energy() - labelled[k].get_potential_energy())
                       / len(work))
        errors.append(row)
    return np.array(errors, dtype=np.float64)


def _unconverged_note(errors):
    """What the students' energy errors on their training frames (eV/atom, (students,
    frames)) say of their convergence: ``None`` when nothing is off, else a note.

    A student's mean error is its energy-reference offset from the labels. Students with
    offsets that differ by at least 1 meV/atom (the standard deviation across students)
    and by more than they disagree otherwise (the mean over frames of their standard
    deviation once the offsets are removed) are not converged: a committee of them reports
    the offset as its energy spread (:class:`~ase_electrolyte.committee.EnergyOffsetWarning`),
    which is no uncertainty. One student is not converged when its offset is at least
    1 meV/atom and larger than its scatter about it.
    """
    from .committee import _MIN_OFFSET_EV_PER_ATOM

    offsets = errors.mean(axis=1)
    residual = errors - offsets[:, None]
    n_frames = errors.shape[1]
    shown = ", ".join(f"{b * 1e3:+.3g}" for b in offsets)
    if len(errors) >= 2:
        between = float(offsets.std())
        rest = float(residual.std(axis=0).mean())
        if between < _MIN_OFFSET_EV_PER_ATOM or between <= rest:
            return None
        return (
            f"the students are not converged: on {n_frames} training frame(s) their energies "
            f"are off the labels by {shown} meV/atom on average, an offset between them of "
            f"{between * 1e3:.3g} meV/atom (their other disagreement: {rest * 1e3:.3g} "
            "meV/atom); a committee of them reports that offset as its energy spread "
            "(EnergyOffsetWarning), not an uncertainty: train them for more epochs"
        )
    scatter = float(residual.std())
    if abs(offsets[0]) < _MIN_OFFSET_EV_PER_ATOM or abs(offsets[0]) <= scatter:
        return None
    return (
        f"the student is not converged: on {n_frames} training frame(s) its energies are off "
        f"the labels by {shown} meV/atom on average (scatter about that: {scatter * 1e3:.3g} "
        "meV/atom): train it for more epochs"
    )


def _check_student_options(epochs, kwargs, out):
    """finetune's option checks for every student folder, before the committee labels."""
    import inspect

    from .finetuning import _FINETUNE_SIGNATURE, check_finetune_options

    try:
        bound = _FINETUNE_SIGNATURE.bind("student", None, epochs=epochs, **kwargs)
    except TypeError as err:
        raise TypeError(f"distill: {err}") from None
    bound.apply_defaults()
    options = dict(bound.arguments)
    names = inspect.signature(check_finetune_options).parameters
    # each student is a one-member fine-tune in out/student_k
    check_finetune_options(**{**{k: options[k] for k in names}, "out": out / "student_0"})


def _check_no_extra_students(out, n_students):
    """ValueError when ``out`` holds students of an earlier distillation with more of them.

    They stayed beside this run's students, and ``out/student_*`` read as one committee mixed
    students of another teacher, frames or settings into it.
    """
    from pathlib import Path

    extra = sorted(
        (p.name for p in Path(out).glob("student_*")
         if p.is_dir() and p.name[8:].isdigit() and int(p.name[8:]) >= int(n_students)),
        key=lambda name: int(name[8:]),
    ) if Path(out).is_dir() else []
    if extra:
        raise ValueError(
            f"out {out} holds {', '.join(extra)} of an earlier distillation with more students "
            f"than this one ({int(n_students)}); choose another folder or remove them"
        )
