r"""Ensemble knowledge distillation: relabel frames with a committee mean, fine-tune students.

BAMBOO (Gong et al., 2024) trains an ensemble, relabels MD frames with the ensemble mean (no new
DFT labels) and fine-tunes the members on them; the students agree better with each other than
the members did (their density spread fell from 0.030 to 0.014 g/cm³). :func:`relabel` makes
the labels, :func:`distill` fine-tunes the students through
:func:`ase_electrolyte.finetuning.finetune`.
"""

from __future__ import annotations

import os

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator

from .atomic_file import atomic_path, check_output_path
from .atoms_checks import check_number, check_overlaps

__all__ = ["relabel", "distill"]


def relabel(frames, committee, **calc_options):
    """Frames labelled with a committee's mean energy, forces and (periodic frames) stress.

    Parameters
    ----------
    frames : str, os.PathLike, ase.Atoms or sequence of ase.Atoms
        Unlabelled or labelled frames (extxyz/ase.db path or Atoms); existing labels are
        replaced.
    committee : list of models or a committee calculator
        The teacher: ``ase_electrolyte.Calculator([...])`` or the list of its models.
    **calc_options
        For :class:`ase_electrolyte.Calculator` when a list is given (e.g. ``device="cpu"``).

    Raises
    ------
    TypeError
        ``committee`` is one model (a string or path) or a frame is not an Atoms.
    ValueError
        A file that cannot be read as frames (see
        :func:`ase_electrolyte.finetuning.read_frames_file`), a frame with no atoms,
        non-finite positions, a degenerate cell or atoms closer than 0.1 Å, raised before the
        teacher is loaded; elements the teacher does not cover, before it evaluates any frame.

    Returns
    -------
    list of ase.Atoms
        Copies with a single-point calculator holding the mean labels, and
        ``info["teacher_max_forces_std"]`` (eV/Å) and ``info["teacher_energy_std"]`` (eV), the
        committee spread on that frame.
    """
    from .calculator import Calculator

    if not hasattr(committee, "members") and (
            isinstance(committee, (str, bytes, os.PathLike)) or not np.iterable(committee)):
        # list("model.pth") would make a committee of its letters
        raise TypeError(
            "committee must be a committee calculator or a list of two or more models, not "
            f"{committee!r}")
    from .finetuning import _check_frames_for_model, _frame_list

    # one Atoms was iterated into its Atom objects ("frame 0 is a Atom")
    frames = _frame_list(frames, "frames")
    # every frame is checked before the teacher is loaded and the first frame evaluated
    for k, atoms in enumerate(frames):
        if len(atoms) == 0:
            raise ValueError(f"frame {k} has no atoms")
        check_overlaps(atoms, what=f"frame {k}")
    teacher = committee if hasattr(committee, "members") else Calculator(list(committee),
                                                                         **calc_options)
    # elements the teacher does not cover failed at their frame, after those before it
    _check_frames_for_model(teacher, frames, "frames")
    out = []
    for atoms in frames:
        work = atoms.copy()
        work.calc = teacher
        labels = {"energy": work.get_potential_energy(), "forces": work.get_forces()}
        if work.pbc.all():
            labels["stress"] = work.get_stress()
        copy = atoms.copy()
        copy.info["teacher_max_forces_std"] = float(teacher.results["max_forces_std"])
        copy.info["teacher_energy_std"] = float(teacher.results["energy_std"])
        copy.calc = SinglePointCalculator(copy, **labels)
        out.append(copy)
    return out


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
        ``out/relabelled.extxyz``.
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
        One per student; ``[r.checkpoint for r in results]`` is the student committee.

    Raises
    ------
    ValueError
        Before the committee labels any frame: fewer than two models, a bad ``epochs``,
        ``n_students`` or fine-tuning option, an ``out`` holding more students of an earlier
        distillation, frames that cannot be read, students of one batch per epoch.
    """
    import ase.io

    from .finetuning import ONE_MEMBER_NOTE, finetune

    if isinstance(models, (str, bytes, os.PathLike)):
        raise TypeError(f"models must be a list of two or more models, not {models!r}")
    models = [str(m) for m in models]
    if len(models) < 2:
        raise ValueError("distillation needs a committee of at least two models")
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
    labelled = relabel(frames, models, device=device)
    out.mkdir(parents=True, exist_ok=True)
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
            f"{spread.mean():.3g} eV/Å, max {spread.max():.3g} eV/Å"
        )
        results.append(res)
    return results


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
