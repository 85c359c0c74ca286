"""``electrolyte analyze``: every registered analysis the trajectory supports, in one report."""

from __future__ import annotations

from pathlib import Path

from . import arguments as A


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    ana = sub.add_parser(
        "analyze", help="analyse a trajectory: summary.json + PNG plots",
        description="Every registered analysis the trajectory supports (see --list): density "
        "(g/cm³), Li+ solvation shells, diffusion (m²/s), Green-Kubo and Einstein-Helfand "
        "conductivity (S/m; Chalykh et al. (2025)), viscosity (mPa·s), intra/intermolecular "
        "RDFs and errors (Magdău et al. (2023)), each number with its error and verdict.",
    )
    ana.add_argument(
        "trajectory", nargs="?", default=None,
        help="H5MD file of electrolyte simulate, ASE .traj/.extxyz, or LAMMPS data",
    )
    ana.add_argument("--dump", default=None, help="LAMMPS dump to read with a data file")
    ana.add_argument("--only", default=None, help="comma-separated analysis names")
    ana.add_argument("--list", action="store_true", help="list the available analyses and exit")
    A.add_model_args(ana, required=False)
    ana.add_argument("-o", "--output", default=None, help="folder (default: <trajectory>_analysis)")
    ana.add_argument(
        "--keep-going",
        action="store_true",
        help="record a failing analysis in the summary and run the others",
    )
    ana.add_argument("-q", "--quiet", action="store_true")


def run(args):
    from mda_electrolyte.bridge import from_ase
    from mda_electrolyte.report import registered_analyses

    if args.list:
        for name, needs in registered_analyses().items():
            print(f"{name}" + (f"  (needs {', '.join(needs)})" if needs else ""))
        return None
    if args.trajectory is None:
        # optional only so that --list needs none
        raise ValueError("the following arguments are required: trajectory")
    only = None
    if args.only is not None:
        only = [s.strip() for s in args.only.split(",") if s.strip()]
        if not only:
            raise ValueError("--only names no analysis; give names from `electrolyte analyze "
                             "--list`, comma-separated")
        unknown = sorted(set(only) - set(registered_analyses()))
        if unknown:
            raise ValueError(f"--only: unknown analyses {unknown}; known: "
                             f"{sorted(registered_analyses())}")
    A.check_input_file(args.trajectory, args.dump)
    traj = Path(args.trajectory)
    out = traj.with_name(traj.stem + "_analysis") if args.output is None else args.output
    A.check_output_folder(out)
    out = Path(out)
    if args.model is not None:
        A.check_model_args(args.model, args.dispersion, args.device)
    elif args.dispersion != "none" or args.device != "auto":
        # they would be ignored without a word: only the model-based analyses use them
        raise ValueError("--dispersion and --device apply to the --model of the model-based "
                         "analyses; give --model, or leave them out")
    # one writer per output folder (e.g. not the analysis folder of a demo that is running)
    with A.claim_output_folder(out):
        universe = from_ase(traj, dump=args.dump)
        if only:
            _check_requested(universe, only, args.model)
        calc = A.make_calculator(args.model, args.dispersion, args.device) if args.model else None
        summary = run_report(universe, out, calc, only, not args.quiet, args.keep_going)
        A.print_summary(summary, out)
    if only:
        _check_delivered(summary, only)
    return summary


def _check_delivered(summary, only):
    """An analysis asked for by name that skipped itself is an error (exit status 2).

    Some requirements are known only inside an analysis (the density needs the density
    observable of a run_md H5MD file): such an analysis returns ``{"skipped": reason}``. Asked
    for with ``--only``, that must not end with exit status 0 and no result; the summary with
    the reason is written and printed first.
    """
    skipped = [f"{name} ({summary[name]['skipped']})" for name in dict.fromkeys(only)
               if isinstance(summary.get(name), dict) and "skipped" in summary[name]]
    if skipped:
        raise ValueError(f"--only: skipped, the input lacks what it needs: {'; '.join(skipped)}")


def _check_requested(universe, only, model):
    """An analysis asked for by name that the input cannot support is an argument error.

    Without ``--only`` such analyses are skipped with the reason in the summary; asked for by
    name, skipping would end with exit status 0 and without the result that was asked for.
    Checked before the model loads.
    """
    from mda_electrolyte.report import registered_analyses, unmet_requirements

    needs = registered_analyses()
    for name in only:
        missing = unmet_requirements(universe, needs[name], object() if model else None)
        if missing:
            raise ValueError(f"--only {name}: the analysis needs {', '.join(missing)}, which "
                             "this trajectory does not have")


def run_report(universe, out, calc, only, verbose, keep_going):
    """Run the registered analyses; with ``keep_going`` a failing one is recorded, not fatal."""
    from mda_electrolyte.report import run_analyses

    return run_analyses(universe, out, calculator=calc, only=only, verbose=verbose,
                        keep_going=keep_going)


