"""The ``electrolyte diagnose`` run: volume scans and intra/inter model errors on a trajectory."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

__all__ = ["diagnose", "has_labels", "placeholder_reason"]


def _pick(n_frames, max_frames):
    """Every frame, or the volume scan's own choice of at most ``max_frames`` of them."""
    if max_frames is None:
        return np.arange(n_frames)
    from .volume_scan import report_frames

    return report_frames(n_frames, max_frames)


def has_labels(atoms):
    """Whether ``atoms`` stores reference labels that :func:`diagnose` compares a model with.

    Parameters
    ----------
    atoms : ase.Atoms
        A frame; its energy (eV) or forces (eV/Å) may be calculator results (as
        ``ase.io.read`` leaves them), ``atoms.info["energy"]``, ``atoms.arrays["forces"]`` or
        ``atoms.info["forces"]`` (as :class:`~mda_electrolyte.IntraInterErrors` reads them).

    Returns
    -------
    bool
        ``True`` when an energy, forces or (of a periodic frame) a stress or virial are
        stored: a stress alone is compared too (it was taken for no labels, and the error
        part skipped as "no reference").

    Examples
    --------
    >>> from ase import Atoms
    >>> from mda_electrolyte.diagnose import has_labels
    >>> water = Atoms("H2O", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    >>> has_labels(water)
    False
    >>> water.info["energy"] = -14.2
    >>> has_labels(water)
    True
    >>> stressed = Atoms("H2O", positions=water.positions, cell=[8, 8, 8], pbc=True)
    >>> stressed.info["stress"] = [0.01, 0.01, 0.01, 0.0, 0.0, 0.0]
    >>> has_labels(stressed)
    True
    """
    from .model_labels import label_places

    # a label under the names and in the places IntraInterErrors reads them
    # (model_labels.stored_labels): frames labelled with a stress alone had their errors
    # skipped as "no reference" while IntraInterErrors compares a stress
    # (a stress only of a periodic frame: one without a cell has none to compare)
    names = ("energy", "free_energy", "energies", "forces") + (
        ("stress", "virial") if np.all(atoms.pbc) else ())
    return any(store.get(name) is not None for _, store in label_places(atoms)
               for name in names)


def placeholder_reason(frames):
    """Why the energies, forces and stresses stored on ``frames`` are no reference labels, or
    ``None``.

    Some exporters write zeros where a quantity was not computed: energies, forces and
    stresses that are, where stored, exactly zero in every frame are such placeholders
    (:func:`~mda_electrolyte.intra_inter_errors.placeholder_labels`), and ``diagnose`` then
    skips the error part with this reason (``electrolyte diagnose`` refuses
    ``--max-error-frames`` for them before loading the model).

    Parameters
    ----------
    frames : list of ase.Atoms
        Frames as read from a file, with their stored energies and forces.

    Returns
    -------
    str or None
        The reason, naming the quantities; ``None`` for frames with real labels, and for labels
        that are malformed or missing on some frames (left to
        :class:`~mda_electrolyte.intra_inter_errors.IntraInterErrors` to name).
    """
    from .intra_inter_errors import placeholder_labels
    from .model_labels import stored_labels

    try:
        labels = [stored_labels(atoms) for atoms in frames]
    except ValueError:
        return None
    stored = [q for q in ("energy", "forces", "stress")
              if any(lab[q] is not None for lab in labels)]
    if any(lab[q] is None for lab in labels for q in stored):
        return None
    zero = placeholder_labels(labels)
    # a stress is judged alone where it is the only label; beside placeholder energies and
    # forces it is no label either (IntraInterErrors refuses it there)
    judged = [q for q in stored if q != "stress"] or stored
    if judged and all(q in zero for q in judged):
        return " ".join(zero[q] for q in judged) + " The frames hold no reference labels"
    return None


def _is_loader(obj):
    """Whether ``obj`` is a function that returns a calculator (not a calculator or labels)."""
    from .model_labels import is_calculator

    return (obj is not None and callable(obj) and not is_calculator(obj)
            and not isinstance(obj, (str, Path, list, tuple)))


def _loader(obj):
    """``obj`` when it is a calculator loader (checked once called), else ``None``."""
    if not _is_loader(obj):
        return None

    def load():
        from .model_labels import is_calculator

        calc = obj()
        if not is_calculator(calc):
            raise TypeError(f"the model loader returned {type(calc).__name__}, not an ASE "
                            "calculator")
        return calc

    return load


class _Unloaded:
    """Stands in for a model not yet loaded while :func:`diagnose` checks its inputs.

    Never evaluated: the analyses' set-up reads only what a calculator implements.
    """

    implemented_properties = ("energy", "forces", "stress")

    def get_property(self, *args, **kwargs):  # pragma: no cover - a check never evaluates
        raise RuntimeError("diagnose evaluated a model before loading it")

    calculate = get_potential_energy = get_forces = get_stress = get_property


def _set_up(universe_or_frames, source, calculator, reference, scales, vacuum, scan_frames,
            check_scan=True):
    """The scan and the error decomposition, set up (and so checked) without evaluating;
    ``check_scan``: build every scaled frame of ``scan_frames`` too (once is enough)."""
    from .intra_inter_errors import IntraInterErrors
    from .model_labels import is_calculator
    from .volume_scan import DEFAULT_SCALES, RigidVolumeScan

    ref_calc = reference if (reference is not None and is_calculator(reference)) else None
    scan = None
    if source.has_box():
        scan = RigidVolumeScan(
            universe_or_frames,
            calculator,
            scales=DEFAULT_SCALES if scales is None else scales,
            reference=ref_calc,
            vacuum=vacuum,
        )
        if check_scan:
            scan.check_frames(frames=scan_frames)
    no_labels = None
    if reference is None:
        if source.ase_frames is not None:
            # labels on any frame (not just the first): a frame without them is then named
            # by IntraInterErrors, rather than every label skipped
            if any(has_labels(a) for a in source.ase_frames):
                # zeros written where nothing was computed are no labels: the error part is
                # skipped with that reason (it was the model's own forces reported as errors)
                no_labels = placeholder_reason(source.ase_frames)
                reference = source.ase_frames if no_labels is None else None
            else:
                from .intra_inter_errors import _other_label_keys

                # labels under other names (MACE's REF_energy) were skipped as no labels
                other = _other_label_keys(source.ase_frames)
                no_labels = ("the frames hold no labels under the names read" + other
                             if other else None)
        elif source.atomgroup.universe.trajectory.ts.has_forces:
            reference = "trajectory"
    errors = None
    if reference is not None:
        from .intra_inter_errors import _NothingToCompare

        # a trajectory stores forces only, no energies or stress
        quantities = {"quantities": ("forces",)} if reference == "trajectory" else {}
        try:
            errors = IntraInterErrors(
                universe_or_frames, calculator, reference=reference, vacuum=vacuum, **quantities
            )
        except _NothingToCompare as err:
            if not (isinstance(reference, str) and reference == "trajectory"):
                raise
            # the forces of the model's own run_md trajectory are no labels: the error part
            # is skipped with that reason, as for placeholder labels (they were compared, the
            # model's rounding reported as its error)
            no_labels = str(err)
    return scan, errors, ref_calc, no_labels


def diagnose(
    universe_or_frames,
    calculator,
    outdir,
    reference=None,
    verbose=False,
    *,
    scales=None,
    max_scan_frames=5,
    max_error_frames=60,
    vacuum=None,
):
    """Run :class:`~mda_electrolyte.RigidVolumeScan` and :class:`~mda_electrolyte.IntraInterErrors`.

    Parameters
    ----------
    universe_or_frames : MDAnalysis.Universe, list of ase.Atoms, str or pathlib.Path
        Frames with whole molecules; a path is read with ``ase.io.read(path, ":")``, an H5MD
        file of :func:`ase_electrolyte.md.run_md` (``.h5md``, ``.h5``, ``.hdf5``) with
        :func:`~mda_electrolyte.from_ase`.
    calculator : ase.calculators.calculator.BaseCalculator or callable
        The model, or a function of no arguments that returns it: called only once every
        check below has passed, so that a model that takes seconds to load (and memory to
        hold) is loaded only for a run that goes ahead (``electrolyte diagnose`` passes one).
    outdir : str or pathlib.Path
        Created if needed; receives ``diagnose.json``, ``rigid_volume_scan.png``,
        ``intra_inter_errors.png`` and ``volume_scan_frames.extxyz`` (scan frames with the
        reference's labels when there is a reference calculator, else the model's).
    reference : calculator, callable, str, pathlib.Path or list of ase.Atoms, optional
        Reference calculator (or a function of no arguments returning one, called like
        ``calculator``) or stored labels (see :class:`~mda_electrolyte.IntraInterErrors`).
        Without one, errors are computed against labels stored on the frames (Atoms with results,
        or a trajectory with forces) and skipped when there are none.
    verbose : bool
        Progress bars.
    scales : sequence of float, optional
        Scan scale factors (default :data:`mda_electrolyte.volume_scan.DEFAULT_SCALES`).
    max_scan_frames, max_error_frames : int or None
        At most this many frames (a whole number >= 1; ``None``: all), evenly spread, are
        scanned / compared (defaults 5 and 60: an error over fewer than 5 frames is marked not
        valid, :func:`mda_electrolyte.uncertainty.few_dof_note`, and a model's error over
        frames whose own values cannot show whether consecutive frames are correlated,
        :mod:`mda_electrolyte.error_metrics`: one energy per frame takes 54 frames, the six
        components of a stress 14, forces of many atoms 5; the forces of the frames do not
        vouch for their energies, which decorrelate more slowly). Over 20 frames every energy
        error was marked "too few frames to measure correlation"; 60 leave it a margin. The
        verdict of each number is that of its own error bar.
    vacuum : float, optional
        Vacuum (Å) around isolated molecules for calculators that need a cell.

    Returns
    -------
    dict
        ``{"rigid_volume_scan": {...}, "intra_inter_errors": {...}}`` as written to
        ``diagnose.json``; a part that could not run holds ``{"skipped": reason}``.

    Raises
    ------
    ValueError
        Before any model is evaluated (or loaded, when given as a function), and before the
        files of an earlier run in ``outdir`` are removed: a molecule that cannot be made
        whole, bad scale factors or a scan that would push molecules into each other
        (:meth:`RigidVolumeScan.check_frames`), ``scales`` for frames without a periodic box,
        nothing to run (no box and no reference), reference labels of other frames,
        malformed, non-finite, missing on some frames or in another unit
        (:func:`~mda_electrolyte.intra_inter_errors.check_reference_frames`), stale
        calculator results on the frames (:func:`~mda_electrolyte.model_labels.stored_labels`),
        a reference that is the model itself, an ``outdir`` that is (or lies under) a file,
        a bad ``vacuum`` or frame count (these settings, bad scale factors, the ``outdir`` and
        a reference that is the model are refused before a path is read). An error while the
        model is evaluated, or while the outputs are written (a full disk, Ctrl-C), leaves the
        files of an earlier run in ``outdir`` as they were: the outputs are written once both
        parts have run, into a hidden folder in ``outdir``, and published as
        :func:`~mda_electrolyte.report.run_analyses` publishes, ``diagnose.json`` last (a killed
        run's hidden folder is removed by the next run).
    """
    from ase_electrolyte.atoms_checks import check_number
    from ase_electrolyte.writer_lock import WriterLock

    from .model_frames import FrameSource

    # the settings first, then the frames: a path was read whole (minutes for a long
    # trajectory) before max_scan_frames=0 or an outdir under a file was refused
    max_scan_frames = check_number("max_scan_frames", max_scan_frames, integer=True, minimum=1,
                                   allow_none=True)
    max_error_frames = check_number("max_error_frames", max_error_frames, integer=True,
                                    minimum=1, allow_none=True)
    from ase_electrolyte.atomic_file import check_output_path

    # an outdir that is a file was found by mkdir once both analyses had run (95 model calls
    # of a small test), as run_analyses checks its own first
    outdir = check_output_path(outdir, "outdir", folder=True)
    from mda_electrolyte.report import check_replaceable

    # a protected earlier output was found only when publishing, after every model call
    check_replaceable(outdir, list(OUTPUT_FILES))
    if reference is not None and reference is calculator:
        # an error of exactly zero, reported as valid
        raise ValueError("the reference is the model under test itself: give the reference "
                         "method's calculator or labels (or reference=None for the labels "
                         "stored on the frames)")
    # checked again, with the frames, by the analyses: here before a path is read
    from .molecules import check_vacuum
    from .volume_scan import MAX_SCALE, _keyed_scales

    check_vacuum(vacuum)
    if scales is not None:
        if isinstance(scales, np.ndarray) and scales.ndim != 1:
            raise ValueError(f"scales must be a non-empty sequence of numbers, not {scales!r}")
        _keyed_scales(scales, maximum=MAX_SCALE)
    if isinstance(universe_or_frames, (str, Path)):
        from ase_electrolyte.trajectory import is_h5md_path

        from .bridge import from_ase, read_ase_frames

        path = Path(universe_or_frames)
        # an H5MD file of run_md is no ase.io format: read as a Universe (with its forces)
        universe_or_frames = (from_ase(path) if is_h5md_path(path) else read_ase_frames(path))
    source = FrameSource(universe_or_frames)
    n_frames = source.atomgroup.universe.trajectory.n_frames

    scan_frames = _pick(n_frames, max_scan_frames)
    error_frames = _pick(n_frames, max_error_frames)
    if scales is not None and not source.has_box():
        # the scan was skipped, the scale factors ignored, after the model had loaded
        raise ValueError("scales given, but the frames have no periodic box: a volume scan "
                         "needs one (drop scales, or give periodic frames)")
    if source.has_box():
        # minutes of model evaluations must not come before a failure that costs milliseconds
        from .analysis_base import kept_frame
        from .intra_inter_errors import check_molecules_whole

        with kept_frame(source.atomgroup.universe.trajectory) as trajectory:
            check_molecules_whole(source, trajectory[np.union1d(scan_frames, error_frames)],
                                  "diagnose")

    # both analyses are set up, and so check their settings and labels (scale factors, vacuum,
    # labels of other frames, NaN or partly missing labels), before any model evaluation and
    # before the outputs of an earlier run are cleared; a model given as a loader is stood in
    # for by a calculator that is never called, and loaded only once every check has passed
    model_loader = _loader(calculator)
    reference_loader = _loader(reference)
    with warnings.catch_warnings():
        if model_loader or reference_loader:
            # the set-up's warnings are given once, by the set-up with the loaded models
            warnings.simplefilter("ignore")
        plan = _set_up(universe_or_frames, source,
                       _Unloaded() if model_loader else calculator,
                       _Unloaded() if reference_loader else reference,
                       scales, vacuum, scan_frames)
    if plan[0] is None and plan[1] is None:
        # both parts skipped: the model was loaded (minutes, gigabytes) for an empty report
        raise ValueError("nothing to diagnose: the frames have no periodic box (no volume "
                         "scan) and no reference labels or calculator (no error "
                         "decomposition"
                         + ("" if plan[3] is None else f": {plan[3]}")
                         + "); give periodic frames or a reference")
    if model_loader or reference_loader:
        plan = _set_up(universe_or_frames, source,
                       model_loader() if model_loader else calculator,
                       reference_loader() if reference_loader else reference,
                       scales, vacuum, scan_frames, check_scan=False)
    scan, errors, ref_calc, no_labels = plan

    # both analyses run before anything of an earlier run in outdir is touched: a model that
    # failed (or was interrupted) in the error part had the earlier diagnose.json and figures
    # removed already, and left the new scan's files beside no summary
    if scan is not None:
        scan.run(frames=scan_frames, verbose=verbose)
    if errors is not None:
        errors.run(frames=error_frames, verbose=verbose)
    outdir.mkdir(parents=True, exist_ok=True)
    # claimed (a nested claim where electrolyte diagnose holds it): the staging folders of
    # this host's killed runs are then known stale
    with WriterLock(outdir, "diagnose output folder"):
        return _write_outputs(outdir, scan, errors, ref_calc, no_labels)


#: The files :func:`diagnose` writes, or removes as an earlier run's where it writes none now.
OUTPUT_FILES = ("diagnose.json", "rigid_volume_scan.png", "rigid_volume_scan.csv",
                "intra_inter_errors.png", "volume_scan_frames.extxyz")


def _write_outputs(outdir, scan, errors, ref_calc, no_labels):
    """Write the outputs of the finished parts and publish them all at once,
    ``diagnose.json`` last (:func:`~mda_electrolyte.report.staged_outputs`).

    The earlier run's outputs were removed before the new ones were written: a failure while
    writing (a full disk at a figure, Ctrl-C) left no summary, or the new scan's files beside
    nothing, and the earlier run lost.
    """
    from ase.io import write

    from ase_electrolyte.atomic_file import atomic_path, write_json_atomic
    from ase_electrolyte.estimate import estimates_to_dict
    from ase_electrolyte.topology import check_extxyz

    from .intra_inter_errors import errors_summary
    from .report import staged_outputs
    from .volume_scan import scan_summary

    with staged_outputs(outdir, OUTPUT_FILES, last="diagnose.json",
                        what="diagnose") as files:
        summary = {}
        if scan is not None:
            summary["rigid_volume_scan"] = scan_summary(scan, files)
            labels = "reference" if ref_calc is not None else "model"
            scanned = scan.scanned_frames(labels=labels)
            check_extxyz(scanned)
            with atomic_path(files / "volume_scan_frames.extxyz") as tmp:
                write(str(tmp), scanned, format="extxyz")
        else:
            summary["rigid_volume_scan"] = {"skipped": "the frames have no periodic box"}
        if errors is None:
            # said to both readers: "pass a reference calculator" named no option of
            # electrolyte diagnose, whose terminal prints this reason
            summary["intra_inter_errors"] = {
                "skipped": "no reference: give a reference model or labelled frames "
                "(reference= in Python, --reference of electrolyte diagnose)"
                + ("" if no_labels is None else f" ({no_labels})")
            }
        else:
            summary["intra_inter_errors"] = errors_summary(errors, files)
        # Estimates as value, error, unit, method and verdict (the one serialiser), not bare
        # floats
        summary = estimates_to_dict(summary)
        write_json_atomic(files / "diagnose.json", summary, indent=2, default=float)
    return summary
