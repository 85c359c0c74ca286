"""``electrolyte select``: thin active-learning candidates by farthest-point sampling."""

from __future__ import annotations


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    sel = sub.add_parser(
        "select", help="thin active-learning candidates by farthest-point sampling"
    )
    sel.add_argument("candidates", help="candidates extxyz (from CandidateCollector)")
    sel.add_argument("-n", type=int, required=True, help="number of frames to keep")
    sel.add_argument("--model", default="sevennet-0", help="SevenNet model for the descriptors")
    sel.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    sel.add_argument("-o", "--output", default="selected.extxyz", help="selected frames (extxyz)")


def run(args):
    from ase_electrolyte.active_learning import select_candidates

    selected = select_candidates(
        args.candidates, args.n, model=args.model, device=args.device, out=args.output
    )
    print(f"{len(selected)} frame(s) written to {args.output}", flush=True)
    return selected


