"""``electrolyte select``: thin active-learning candidates (farthest-point or D-optimal)."""

from __future__ import annotations


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    sel = sub.add_parser(
        "select", help="thin active-learning candidates by farthest-point or D-optimal selection"
    )
    sel.add_argument("candidates", help="candidates extxyz (from CandidateCollector)")
    sel.add_argument("-n", type=int, required=True, help="number of frames to keep")
    sel.add_argument("--model", default="sevennet-0", help="SevenNet model for the descriptors")
    sel.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    sel.add_argument(
        "--method", choices=("fps", "d-optimal"), default="fps",
        help="fps: farthest-point sampling; d-optimal: greedy maximum log-determinant of the "
        "descriptor information (skips frames that only extend a direction already covered)",
    )
    sel.add_argument("-o", "--output", default="selected.extxyz", help="selected frames (extxyz)")


def run(args):
    from ase_electrolyte.active_learning import select_candidates

    selected = select_candidates(
        args.candidates, args.n, model=args.model, device=args.device, out=args.output,
        method=args.method,
    )
    print(f"{len(selected)} frame(s) selected ({args.method}) written to {args.output}",
          flush=True)
    return selected


