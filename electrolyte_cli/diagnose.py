"""``electrolyte diagnose``: MLIP diagnostics (rigid-molecule volume scan, intra/inter errors)."""

from __future__ import annotations

from pathlib import Path

from . import arguments as A
from .analyze import lammps_atom_style

#: :data:`mda_electrolyte.volume_scan.DEFAULT_SCALES` and ``MIN_MINIMUM_POINTS`` as the help
#: and the refusals say them, written out: importing the scan (MDAnalysis) for ``--help``
#: took seconds. The help said "default 0.9 ... 1.5" of a default 0.85 ... 2.0, and the
#: refusals' example, 0.9,1.0,1.2, was a scan whose minimum the fit refuses (too few points).
_DEFAULT_SCALES_TEXT = "0.85 ... 2.0, 11 factors"
_MIN_MINIMUM_POINTS = 5
_EXAMPLE_SCALES = "0.9,0.95,1.0,1.05,1.1,1.2"


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    diag = sub.add_parser(
        "diagnose",
        help="MLIP diagnostics on a trajectory: rigid-molecule volume scan, intra/inter errors",
        description="The diagnostics of Magdău et al. (2023): rigid-molecule volume scans "
        "(centres of mass and cell scaled by s, molecules rigid; energies in meV/atom) and the "
        "intra/intermolecular decomposition of energy and force errors (eV, eV/Å) against "
        "stored labels or a reference model; the force softening scale of Ju et al. (2025).",
    )
    diag.add_argument("trajectory", help="H5MD file of electrolyte simulate, or ASE .traj/.extxyz")
    diag.add_argument("--dump", default=None, help="LAMMPS dump to read with a data file")
    A.add_model_args(diag, required=True)
    diag.add_argument(
        "--reference",
        default=None,
        help="stored labels (extxyz or ASE database) or a second model (name or .pth/.pt/"
        ".model file, not the --model) to compare with (default: forces stored in the "
        "trajectory)",
    )
    diag.add_argument(
        "--scales", default=None,
        help="comma-separated linear scale factors s of the scan (the volume scales by s³; "
        f"default {_DEFAULT_SCALES_TEXT}; the fit of its minimum needs at least "
        f"{_MIN_MINIMUM_POINTS} factors)",
    )
    diag.add_argument("--max-scan-frames", type=int, default=None,
                      help="frames of the trajectory scanned (default 5: an error over fewer "
                           "frames is no error bar)")
    diag.add_argument("--max-error-frames", type=int, default=None,
                      help="frames of the error decomposition (default 60: one energy per "
                           "frame shows whether frames are correlated from 54 on)")
    diag.add_argument(
        "--vacuum", type=float, default=None, help="Å around isolated molecules (CHGNet needs it)"
    )
    diag.add_argument(
        "-o", "--output", default=None, help="folder (default: <trajectory>_diagnose)"
    )
    diag.add_argument("-q", "--quiet", action="store_true")


def run(args):
    """Check every argument, then run the diagnostics into the output folder.

    The checks of the options come first, the vacuum (whose check imports MDAnalysis with
    the molecule tools) and then the labels file (read whole) after them: the readers
    (MDAnalysis) were imported before any check, and a mistyped ``--scales`` was refused
    only once a ``--reference`` file had been read.
    """
    A.check_trajectory_files(args.trajectory, args.dump)
    traj = Path(args.trajectory)
    # None: not given (the scan's options are refused for frames that have no box)
    max_scan_frames = 5 if args.max_scan_frames is None else args.max_scan_frames
    max_error_frames = 60 if args.max_error_frames is None else args.max_error_frames
    for flag, value in (
        ("--max-scan-frames", max_scan_frames),
        ("--max-error-frames", max_error_frames),
    ):
        if value < 1:
            raise ValueError(f"{flag} must be >= 1, not {value}")
    parsed = None if args.scales is None else _parse_scales(args.scales)
    args.modal = A.modal_word(args.model, args.modal)
    A.check_model_args(args.model, args.dispersion, args.device, modal=args.modal)
    A.check_not_empty(args.reference, "--reference", "a labels file or a model name")
    labels = args.reference is not None and _labels_file(args.reference)
    if args.reference is not None:
        if not labels:
            if _frames_file_name(args.reference):
                # a mistyped labels file was called an unknown model ("unknown model
                # 'labels.extxyz'; registered names: ...")
                raise ValueError(f"--reference {args.reference}: no such labels file; give an "
                                 "existing extxyz or ASE database, or a model name")
            A.check_model_args(args.reference, args.dispersion, args.device, flag="--reference")
            if _same_model(args.model, args.reference):
                # the same model with the same --dispersion: every error 0, after minutes of both
                # models' evaluations
                raise ValueError(f"--reference {args.reference} is the --model itself (with the "
                                 "same --dispersion): every error would be 0; give another model "
                                 "or labelled frames")
        elif Path(args.reference).is_dir():
            raise ValueError(f"--reference {args.reference} is a folder; give a labels file "
                             "(extxyz or ASE database) or a model name")
        else:
            # a pipe with no writer blocked the read forever. A format ase.io cannot read (an
            # H5MD trajectory, an empty file) was refused in the trajectory's words, "give an
            # H5MD file of run_md, ...": for production.h5md itself, the file it was
            check_input_file(args.reference)
    A.check_not_being_written(args.trajectory)
    atom_style = None if args.dump is None else lammps_atom_style(traj)
    out = traj.with_name(traj.stem + "_diagnose") if args.output is None else args.output
    A.check_output(out, "diagnose")
    out = Path(out)
    from mda_electrolyte.diagnose import OUTPUT_FILES
    from mda_electrolyte.report import check_replaceable

    # replaced or removed once the scan and the errors are computed: a file the user protected
    # was refused only then, after the model's evaluations
    check_replaceable(out, list(OUTPUT_FILES))
    from mda_electrolyte.molecules import check_vacuum

    # before the labels file is read whole: --vacuum nan was refused only after seconds of
    # reading a large --reference
    with A.options_named({"vacuum": "--vacuum"}):
        check_vacuum(args.vacuum)  # its bounds (1e308 was taken here, refused after the read)
    _check_scale_range(parsed)
    if labels and Path(args.reference).is_file():
        from mda_electrolyte.model_labels import read_frames

        # a labels file that cannot be read fails now, not after the model has loaded
        try:
            read_frames(args.reference)
        except ValueError as err:
            text = str(err)
            if "not a trajectory format that can be read" in text:
                # the reader's cure is a trajectory's ("give an H5MD file of run_md, ...")
                text = text.rsplit("; give ", 1)[0] + f"; give {_REFERENCE_HINT}"
            raise ValueError(f"--reference: {text}") from None
    A.check_trajectory_contents(traj, args.dump)
    A.check_plotting()
    from mda_electrolyte.bridge import from_ase, read_ase_frames
    from mda_electrolyte.diagnose import diagnose

    with A.claim_output_folder(out):
        # ASE files are read as Atoms, which keep their stored energies, forces and stress
        ase_file = traj.suffix in (".extxyz", ".xyz", ".traj") and args.dump is None
        # read (and refused if unreadable) before any model is loaded
        frames = read_ase_frames(traj) if ase_file else from_ase(
            traj, dump=args.dump, lammps_atom_style=atom_style)
        scan_options = [flag for flag, value in (("--scales", args.scales),
                                                 ("--max-scan-frames", args.max_scan_frames))
                        if value is not None]
        if scan_options and not _has_box(frames):
            # the scan was skipped without a word, its options ignored, after the model loaded
            raise ValueError(f"{' and '.join(scan_options)} given, but the frames of "
                             f"{args.trajectory} have no periodic box: no volume scan runs "
                             "without one (drop the option, or give periodic frames)")
        if args.max_error_frames is not None and args.reference is None \
                and not _has_labels(frames):
            # the error decomposition was skipped without a word, the option ignored
            raise ValueError(f"--max-error-frames given, but {args.trajectory} holds no "
                             "reference labels (energies, forces or stresses) and no "
                             "--reference is given: no error decomposition runs (give "
                             "--reference, or drop the option)")
        if labels:
            from mda_electrolyte.intra_inter_errors import check_reference_frames
            from mda_electrolyte.model_labels import read_frames

            # labels of other frames, atoms or positions: said now, not after the model loaded
            check_reference_frames(frames, read_frames(args.reference))
        reference = args.reference
        if reference is not None and not labels:
            # not a file of labels: a model name or file path for a reference calculator,
            # loaded like the model once diagnose has checked everything else
            def reference(name=reference):
                return A.make_calculator(name, args.dispersion, args.device)
        summary = diagnose(
            frames,
            # loaded only after diagnose's checks of molecules, scale factors, vacuum and labels
            lambda: A.make_calculator(args.model, args.dispersion, args.device, args.modal),
            out,
            reference=reference,
            verbose=not args.quiet,
            scales=parsed,
            max_scan_frames=max_scan_frames,
            max_error_frames=max_error_frames,
            vacuum=args.vacuum,
        )
        A.print_summary(summary, out, "diagnose.json")
    return summary




def _has_box(frames):
    """Whether every frame (a list of Atoms or a Universe) is periodic."""
    import numpy as np

    if isinstance(frames, list):
        return all(np.all(atoms.pbc) for atoms in frames)
    return frames.trajectory.ts.dimensions is not None


def _has_labels(frames):
    """Whether the frames carry reference labels that diagnose compares with (energies,
    forces or stresses on any Atoms, forces in a trajectory)."""
    from mda_electrolyte.diagnose import has_labels as atoms_have_labels
    from mda_electrolyte.diagnose import placeholder_reason

    if isinstance(frames, list):
        # zeros an exporter wrote where nothing was computed are no labels: diagnose skips the
        # error decomposition for them, and --max-error-frames was ignored
        return any(atoms_have_labels(atoms) for atoms in frames) \
            and placeholder_reason(frames) is None
    return bool(frames.trajectory.ts.has_forces)


def _labels_file(reference):
    """Whether ``--reference`` names a file of labelled frames, not a model: an existing path
    without a model file's suffix. A model file (``other.pth``) was read as frames and refused
    as "not a trajectory format that can be read (pth)", though the help offers a second
    model."""
    from ase_electrolyte.models import is_model_file

    return Path(reference).exists() and not (Path(reference).is_file()
                                             and is_model_file(reference))


def _same_model(model, reference):
    """Whether two ``--model``-style values name one model: one registered name as
    :func:`ase_electrolyte.models.registered_name` reads it (any case and spacing, sevenn's
    ``7net-0``), or one file by two paths."""
    import os

    from ase_electrolyte.models import registered_name

    names = registered_name(model), registered_name(reference)
    if names != (None, None):
        # a registered name wins over a file of that name (as the calculator loads it):
        # '--model sevennet-0 --reference 7net-0' is one model, a name and a file are two
        return names[0] == names[1]
    if os.path.exists(model) and os.path.exists(reference):
        return os.path.samefile(model, reference)
    return os.path.abspath(model) == os.path.abspath(reference)


def check_input_file(path):
    """``--reference`` names a file of labelled frames ase.io reads: refused in one line, with
    what ``--reference`` takes, where it is missing, empty, a pipe or of another format."""
    A.check_frames_file(path, "--reference", hint=_REFERENCE_HINT)


#: What ``--reference`` takes, as its refusals say.
_REFERENCE_HINT = ("labelled frames (an extxyz file or ASE database with reference energies or "
                   "forces) or a model name")


def _frames_file_name(name):
    """Whether ``name`` names, by its suffix, a file of frames ase.io reads (never a model:
    registered names and model files have no such suffix)."""
    from ase.io.formats import UnknownFileTypeError, filetype, get_ioformat

    try:
        get_ioformat(filetype(str(name), read=False, guess=False))
    except (UnknownFileTypeError, ValueError):
        return False
    return True


def _parse_scales(text):
    """``"0.9,1,1.2"`` → ``[0.9, 1.0, 1.2]``: positive, finite, distinct, at least one."""
    from ase_electrolyte.atoms_checks import check_number

    items = [x.strip() for x in text.split(",")]
    if not any(items):
        # an empty list reached the scan only after the model had loaded
        raise ValueError(f"--scales {text!r} names no scale factor; give e.g. "
                         f"{_EXAMPLE_SCALES}")
    if not all(items):
        # '0.9,,1.1' (a factor left out?) was scanned as '0.9,1.1' without a word
        raise ValueError(f"--scales {text!r} has an empty item between commas; give e.g. "
                         f"{_EXAMPLE_SCALES}")
    try:
        parsed = [float(x) for x in items]
    except ValueError:
        raise ValueError(f"--scales must be comma-separated numbers, not {text!r}") from None
    for x in parsed:
        check_number("every --scales factor", x, above=0)
    # the scan keys its results by f"{s:g}" and refuses factors equal to 6 digits, but only
    # once the trajectory was read: 1,1.0000001 passed here as two factors
    keys = [f"{x:g}" for x in parsed]
    if len(set(keys)) < len(keys):
        raise ValueError(f"--scales {text!r} names a factor twice (to 6 significant digits; "
                         "each costs a model evaluation of every scanned frame): give each "
                         "once")
    return parsed


def _check_scale_range(parsed):
    """The scan's own bound on each factor (:data:`~mda_electrolyte.volume_scan.MAX_SCALE`),
    named as ``--scales``: 1e308 passed here and was refused by the scan as ``scales[0]``
    after the trajectory had been read."""
    from mda_electrolyte.volume_scan import MAX_SCALE

    for x in parsed or ():
        if x > MAX_SCALE:
            raise ValueError(f"--scales factor {x:g} is above {MAX_SCALE:g}: each must be "
                             f"> 0 and <= {MAX_SCALE:g}, linear factors of a rigid-molecule "
                             f"scan (the volume scales by s³), such as {_EXAMPLE_SCALES}")
