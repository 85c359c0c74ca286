"""``electrolyte finetune``: fine-tune a SevenNet model through sevenn's trainer."""

from __future__ import annotations


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    ft = sub.add_parser(
        "finetune", help="fine-tune a SevenNet model on labelled frames (sevenn's trainer)"
    )
    ft.add_argument("train", help="labelled frames: extxyz or ase.db (energy, forces, stress)")
    ft.add_argument("--valid", default=None, help="validation frames (errors per epoch)")
    ft.add_argument("--base", default="sevennet-0", help="registered name or .pth checkpoint")
    ft.add_argument("--epochs", type=int, required=True)
    ft.add_argument("--lr", type=float, default=1e-3, help="initial learning rate (Adam)")
    ft.add_argument("--batch-size", type=int, default=4)
    ft.add_argument("--ensemble", type=int, default=1, help="members with seeds seed..seed+K-1")
    ft.add_argument("--seed", type=int, default=1)
    ft.add_argument("--pressure-shift", type=float, default=0.0,
                    help="ΔP (bar) added to every stress label's pressure (density alignment)")
    ft.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    ft.add_argument("-o", "--output", default="finetune", help="output folder")


def run(args):
    import math

    from ase_electrolyte.finetuning import finetune

    res = finetune(
        args.base, args.train, valid=args.valid, epochs=args.epochs, out=args.output,
        lr=args.lr, batch_size=args.batch_size, seed=args.seed, ensemble=args.ensemble,
        device=args.device, pressure_shift_bar=args.pressure_shift,
    )
    for path, curve in zip(res.checkpoints, res.learning_curves, strict=True):
        last = curve[-1]
        # a quantity without labels (no stress in the data) has no RMSE: not printed as nan
        errs = ", ".join(f"{k} {v:.4g}" if math.isfinite(v) else f"{k} n/a (no labels)"
                         for k, v in last.items() if k.endswith("_rmse"))
        print(f"{path}: epoch {last['epoch']}: {errs}", flush=True)
    for note in res.notes:
        print(f"note: {note}", flush=True)
    return res


