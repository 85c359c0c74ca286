"""``electrolyte screen``: a plan of compositions × temperatures × replicas on dask.distributed."""

from __future__ import annotations


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    scr = sub.add_parser(
        "screen",
        help="run a plan of compositions × temperatures × replicas on dask.distributed",
    )
    scr.add_argument("plan", help="plan file (.toml or .yaml), see ase_electrolyte.screen")
    scr.add_argument("-o", "--output", default="screen_results", help="output folder")
    scr.add_argument(
        "--scheduler",
        default=None,
        help="address of a running dask scheduler, e.g. tcp://HOST:8786 (default: a local "
        "cluster, one worker per GPU or per few cores)",
    )
    scr.add_argument("--workers", type=int, default=None, help="workers of the local cluster")
    scr.add_argument(
        "--experimental", default=None, help="CSV of measured values for parity plots and errors"
    )
    scr.add_argument("--no-plots", action="store_true", help="write the tables only")
    scr.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def run(args):
    from ase_electrolyte.screen import run_screen

    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1, not {args.workers}")
    return run_screen(
        args.plan,
        args.output,
        scheduler=args.scheduler,
        n_workers=args.workers,
        experimental=args.experimental,
        progress=not args.quiet,
        plots=not args.no_plots,
    )


