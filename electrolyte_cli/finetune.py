"""``electrolyte finetune``: fine-tune a SevenNet model through sevenn's trainer."""

from __future__ import annotations

from . import arguments as A


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    ft = sub.add_parser(
        "finetune", help="fine-tune a SevenNet model on labelled frames (sevenn's trainer)",
        description="Fine-tune a SevenNet model on labelled frames (energy in eV, forces in "
        "eV/Å, stress in eV/Å³), the remedy Ju et al. (2025) name for soft intermolecular "
        "interactions; with --pressure-shift, one step of the density alignment of Gong et al. "
        "(2025). Member k of --ensemble is written to OUTPUT/member_k/finetuned.pth.",
    )
    ft.add_argument("train", help="labelled frames: extxyz or ase.db (energy, forces, stress)")
    ft.add_argument("--valid", default=None, help="validation frames (errors per epoch)")
    ft.add_argument("--base", default="sevennet-0", help="registered name or .pth checkpoint")
    ft.add_argument("--epochs", type=int, required=True, help="passes over the training frames")
    ft.add_argument("--lr", type=float, default=1e-3,
                    help="initial learning rate of Adam (default 1e-3)")
    ft.add_argument("--batch-size", type=int, default=4, help="frames per batch (default 4)")
    ft.add_argument("--ensemble", type=int, default=1, help="members with seeds seed..seed+K-1")
    ft.add_argument("--seed", type=int, default=1, help="seed of the first member (default 1)")
    ft.add_argument("--pressure-shift", type=float, default=0.0,
                    help="ΔP (bar) added to every stress label's pressure (density alignment, "
                    "Gong et al. (2025))")
    A.add_device_arg(ft)
    ft.add_argument("-o", "--output", default="finetune", help="output folder")
    ft.add_argument("--overwrite", action="store_true",
                    help="replace the models (or a stopped member's epoch checkpoints) of an "
                    "earlier fine-tune in the output folder (refused otherwise; the members an "
                    "earlier run of this same command finished are reused and the one it was "
                    "training resumes at its last epoch, so a stopped run resumes without it)")


#: The option of each keyword of :func:`~ase_electrolyte.finetuning.finetune` it sets.
_FLAGS = {"epochs": "--epochs", "ensemble": "--ensemble", "lr": "--lr",
          "batch_size": "--batch-size", "seed": "--seed", "pressure_shift_bar": "--pressure-shift",
          "out": "-o/--output"}


def _check_finetune(args):
    """The output folder, the numbers, the files, the base model and the device, before any
    data is read.

    The output folder and the numbers come first: they need no import of ase.io, which the
    frames files' check needs (a second on an idle core, before ``--epochs 0`` or ``--lr
    nan`` was refused).
    """
    from pathlib import Path

    from ase_electrolyte.finetuning import check_finetune_options

    A.check_output(args.output, "finetune")
    # the numbers reached finetune only inside the claimed folder (--epochs 0, --lr nan)
    with A.options_named(_FLAGS):
        check_finetune_options(
            epochs=args.epochs, ensemble=args.ensemble, lr=args.lr, batch_size=args.batch_size,
            seed=args.seed, pressure_shift_bar=args.pressure_shift, out=args.output,
            # keywords the command does not set (finetune's defaults apply): values that pass
            loss="huber", check_units=True, plot=True, force_weight=1.0, stress_weight=0.01,
        )
    # a mistyped word is refused before the frames files' check imports ase.io (a second)
    A.check_device(args.device)
    A.check_frames_file(args.train, "the training data")
    if args.valid is not None:
        A.check_frames_file(args.valid, "--valid")
        if Path(args.valid).resolve() == Path(args.train).resolve():
            # validation errors of the training frames themselves are no validation
            raise ValueError(f"--valid {args.valid} is the training data itself; give frames "
                             "the model is not trained on, or leave out --valid")
    A.check_model_args(args.base, "none", args.device, flag="--base", backend="sevennet")
    out = Path(args.output)
    # a member stopped part-way holds epoch checkpoints only: another command's retraining
    # discarded them without a word
    earlier = [*out.glob("member_*/finetuned.pth"), *out.glob("member_*/checkpoint_*.pth")]
    if earlier and not args.overwrite:
        # members trained with other options are refused from their records alone: the full
        # comparison (base checkpoint, sevenn's version, the data) imports torch (3.5-4 s on a
        # loaded machine), needed only when the folder would be reused
        replaced = _replaced_by_options(args)
        if replaced:
            _refuse_replacing(args, replaced)
        from ase_electrolyte.finetuning import earlier_members

        # a second run into the same folder replaced them without a word; the members of an
        # earlier run of this same command (stopped by SIGTERM, whose message says the same
        # command resumes) are reused, not replaced
        with A.options_named(_FLAGS):
            replaced = earlier_members(
                args.output, args.base, args.train, valid=args.valid, ensemble=args.ensemble,
                epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed,
                pressure_shift_bar=args.pressure_shift,
            )["replaced"]
        if replaced:
            _refuse_replacing(args, replaced)


def _refuse_replacing(args, replaced):
    shown = "; ".join(f"{path}: {why}" for path, why in replaced)
    raise ValueError(f"-o/--output {args.output} holds the models of an earlier "
                     f"fine-tune ({shown}); choose another folder or pass --overwrite")


def _replaced_by_options(args):
    """``(model file, why)`` of the members in the output folder that this command would
    replace, judged from their records and the command's options only (no torch, no data):
    :func:`ase_electrolyte.finetuning.replaced_by_settings`. Empty: every member may be
    reused, which the full comparison decides."""
    from ase_electrolyte.finetuning import replaced_by_settings

    return replaced_by_settings(
        args.output, ensemble=args.ensemble, seed=args.seed, epochs=args.epochs, lr=args.lr,
        batch_size=args.batch_size, pressure_shift_bar=args.pressure_shift)


def run(args):
    from ase_electrolyte.finetuning import finetune

    _check_finetune(args)
    A.check_plotting()  # the learning curves
    # one writer per folder: two fine-tunes into one folder would mix their members
    # the refusals finetune makes once it has read the frames named its keywords
    # ("pressure_shift_bar 100 bar shifts stress labels", "ensemble=2 ... batch_size 6"), which
    # the command's user never typed; warnings are shown as issued, during the training
    with A.claim_output_folder(args.output), A.options_named(_FLAGS, warnings_too=False):
        res = finetune(
            args.base, args.train, valid=args.valid, epochs=args.epochs, out=args.output,
            lr=args.lr, batch_size=args.batch_size, seed=args.seed, ensemble=args.ensemble,
            device=args.device, pressure_shift_bar=args.pressure_shift,
        )
    for path, curve in zip(res.checkpoints, res.learning_curves, strict=True):
        print(fit_check_line(path, curve[-1]), flush=True)
    for note in res.notes:
        print(f"note: {note}", flush=True)
    return res


def fit_check_line(path, last):
    """The terminal line of one fine-tuned model's last epoch: a fit check, not a result.

    The learning curve's RMSEs have no error bar and are measured on the frames the model was
    fitted on (``train_*``) or early-stopped on (``valid_*``, the ``--valid`` frames), so they
    are labelled as a fit check with their units; a model's error with its uncertainty is what
    ``electrolyte diagnose`` reports. A quantity without labels (no stress in the data) has no
    RMSE: shown as n/a, never as nan. The ``valid_*`` RMSEs are named "validation": "valid
    energy 0.02 eV/atom" read as a verdict on the number, the word every result's verdict
    uses, and the line called them RMSEs on the fine-tuning frames.
    """
    import math

    from ase_electrolyte.finetuning import RMSE_UNITS

    errs = []
    for key, value in last.items():
        if not key.endswith("_rmse"):
            continue
        unit = next((u for k, u in RMSE_UNITS.items() if key.endswith(f"{k}_rmse")), "")
        split, _, target = key[: -len("_rmse")].partition("_")
        name = (f"{_SPLIT_NAMES[split]} {target}" if split in _SPLIT_NAMES and target
                else key[: -len("_rmse")]).replace("_", " ")
        errs.append(f"{name} {value:.4g} {unit}".rstrip() if math.isfinite(value)
                    else f"{name} n/a (no labels)")
    frames = ("training and --valid frames" if any(k.startswith("valid_") for k in last)
              else "training frames")
    return (f"{path}: fit check at epoch {last['epoch']} (RMSEs on the {frames}, no error "
            f"bar, not a model-error result; see electrolyte diagnose): "
            f"{', '.join(errs) or 'no RMSE recorded'}")


#: How :func:`fit_check_line` names the frames of a learning curve's RMSE (its key's prefix).
_SPLIT_NAMES = {"train": "training", "valid": "validation"}
