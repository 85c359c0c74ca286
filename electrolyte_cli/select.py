"""``electrolyte select``: thin active-learning candidates (farthest-point or D-optimal)."""

from __future__ import annotations

from . import arguments as A


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    sel = sub.add_parser(
        "select", help="thin active-learning candidates by farthest-point or D-optimal selection",
        description="Thin the candidate frames of an active-learning run (Chalykh et al. (2025); "
        "a committee's force spread in eV/Å plays the extrapolation grade's role) to -n frames "
        "to label, in the descriptor space of a SevenNet model.",
    )
    sel.add_argument("candidates", help="candidates extxyz (from CandidateCollector)")
    sel.add_argument("-n", type=int, required=True, help="number of frames to keep")
    sel.add_argument("--model", default="sevennet-0", help="SevenNet model for the descriptors")
    A.add_device_arg(sel)
    sel.add_argument(
        "--method", type=A.choice("--method", ("fps", "d-optimal")), default="fps",
        choices=("fps", "d-optimal"),
        help="fps: farthest-point sampling; d-optimal: greedy maximum log-determinant of the "
        "descriptor information (Podryabinkin & Shapeev (2017); skips frames that only extend "
        "a direction already covered)",
    )
    sel.add_argument("-o", "--output", default="selected.extxyz", help="selected frames (extxyz)")
    sel.add_argument(
        "--exclude", action="append", default=[], metavar="FILE",
        help="frames labelled already (an earlier selection, the training set; repeatable): "
        "candidates that are one of them are not selected again",
    )
    sel.add_argument("--overwrite", action="store_true",
                     help="replace an existing output file (refused otherwise)")


def _check_select(args):
    """``-n``, the candidates file, the output and the model, before any model is loaded."""
    from pathlib import Path

    if args.n < 1:
        raise ValueError(f"-n must be >= 1 (frames to keep), not {args.n}")
    # a mistyped word is refused before the frames files' check imports ase.io (a second)
    A.check_device(args.device)
    A.check_not_empty(args.output, "-o/--output", "a file name ending in .extxyz")
    out = Path(args.output)
    # a link that loops failed after the model had loaded and the selection had run
    A.check_link(out, "-o/--output", dangling_ok=True)
    if out.is_dir():
        raise ValueError(f"-o/--output {out}: a folder of that name exists; give a file name")
    if out.suffix.lower() not in (".extxyz", ".xyz"):
        # the frames are written as extxyz whatever the name says
        raise ValueError(f"-o/--output {out}: the selection is written as extxyz; give a name "
                         "ending in .extxyz")
    A.check_input_file(args.candidates, flag="the candidates file")
    for path in args.exclude:
        # a missing file was named only after the frames files' check had imported ase.io
        A.check_input_file(path, flag="--exclude")
    candidates = Path(args.candidates)
    for path in args.exclude:
        if out.exists() and out.resolve() == Path(path).resolve():
            # --overwrite replaced the frames labelled already (a training set) with the
            # selection
            raise ValueError(f"-o/--output {out} is the --exclude file {path}; the selection "
                             "would replace the frames labelled already")
    if out.exists() and out.resolve() == candidates.resolve():
        raise ValueError(f"-o/--output {out} is the candidates file itself; the selection "
                         "would replace the candidates it came from")
    if out.exists() and not args.overwrite:
        raise ValueError(f"-o/--output {out} exists; choose another name or pass --overwrite")
    if out.exists():
        from mda_electrolyte.report import check_replaceable

        # --overwrite of a file its owner protected was refused by the write, after the model
        # had loaded and the selection had run; the write replaces the file a link points to
        real = out.resolve()
        check_replaceable(real.parent, [real.name])
    A.check_output_folder(out.parent, flag=f"-o/--output {out}: the folder")
    # a folder that looks writable may still refuse the file (/proc, root on a squashed NFS
    # export): found before the model loads, not at the write after the selection
    A.check_files_creatable(out.resolve().parent, flag=f"-o/--output {out}")
    from ase_electrolyte.trajectory import is_h5md_path

    if is_h5md_path(candidates):
        raise ValueError(f"{candidates}: select reads candidate frames (extxyz of a "
                         "CandidateCollector), not an H5MD trajectory")
    A.check_frames_file(candidates, "the candidates file", "the extxyz of a CandidateCollector")
    for path in args.exclude:
        # checked with the rest, before the descriptors' model loads
        A.check_frames_file(Path(path), "--exclude", "frames (extxyz or ase.db)")
    # the descriptors are a SevenNet model's: another model was refused only after it loaded
    A.check_model_args(args.model, "none", args.device, backend="sevennet")


def run(args):
    # checked before the library (numpy, ase) is imported: a bad -n answers at once
    _check_select(args)
    from ase_electrolyte.active_learning import select_candidates

    exclude = None
    if args.exclude:
        from ase_electrolyte.finetuning import read_frames_file

        exclude = [a for path in args.exclude for a in read_frames_file(path, "--exclude")]
    selected = select_candidates(
        args.candidates, args.n, model=args.model, device=args.device, out=args.output,
        method=args.method, exclude=exclude,
    )
    spreads = [getattr(a, "info", {}).get("max_forces_std") for a in selected]
    print(selection_line(len(selected), args.n, args.method, args.output, spreads=spreads),
          flush=True)
    return selected


def selection_line(n_selected, n_asked, method, out, *, spreads=None):
    """The terminal line of a selection; fewer frames than ``-n`` asked for say why.

    ``spreads``: the selected frames' ``max_forces_std`` (eV/Å; ``None`` where a frame has
    none), shown as their range.
    """
    import math

    line = f"{n_selected} frame(s) selected ({method}) written to {out}"
    if n_selected < n_asked:
        # the count alone read as the -n asked for
        line += (f": fewer than the {n_asked} asked for (fewer candidates, or the rest add "
                 "nothing the picked ones do not cover)")
    known = []
    for value in spreads or ():
        try:
            known.append(float(value))
        except (TypeError, ValueError):
            continue
    if known:
        finite = [v for v in known if math.isfinite(v)]
        shown = (f"{min(finite):.3g} to {max(finite):.3g} eV/Å" if finite else "")
        if len(finite) < len(known):
            # a NaN spread is a member's non-finite forces: shown, not averaged away
            shown += (", and " if shown else "") + (
                f"not finite in {len(known) - len(finite)} frame(s)")
        line += (f"; their committee force spread (largest per atom, raw): {shown}"
                 + ("" if len(known) == n_selected else
                    f" ({n_selected - len(known)} frame(s) without one)"))
    return line


