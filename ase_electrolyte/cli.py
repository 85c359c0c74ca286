"""The ``electrolyte`` command: build + simulate, analyse, and the end-to-end demo.

::

    electrolyte simulate --solvent EC:3,EMC:7 --salt LiPF6 --concentration 1.0 \\
        --model sevennet-0 --dispersion d3-bj --temperature 298 -o run/
    electrolyte analyze run/production.h5md -o run/analysis
    electrolyte diagnose run/production.h5md --model sevennet-0 -o run/diagnose
    electrolyte demo -o demo/
    electrolyte screen plan.toml -o results/
    electrolyte finetune train.extxyz --valid valid.extxyz --epochs 50 -o ft/
    electrolyte select candidates.extxyz -n 20 --model ft/member_0/finetuned.pth -o label_me.extxyz

``simulate`` writes ``initial.extxyz`` (the packed box), the H5MD files of every protocol stage
and, once the run has finished, ``simulation.json``; running it again on the same folder resumes
an interrupted run. ``analyze`` runs every analysis registered in
:mod:`mda_electrolyte.report` that the trajectory supports and writes ``summary.json`` and PNG
plots. ``diagnose`` runs the MLIP diagnostics (rigid-molecule volume scan, intra/inter error
decomposition) of a model on the trajectory's frames, against stored forces or a ``--reference``.
``demo`` is a small LiPF6 in EC:EMC (3:7 by mass) box with SevenNet-0 simulated for a few
hundred femtoseconds and analysed: minutes on a laptop CPU, a larger and longer run on a GPU.
``screen`` runs a plan of compositions × temperatures × replicas on dask.distributed and writes
one table of means ± standard errors (:mod:`ase_electrolyte.screen`). ``finetune`` fine-tunes
a SevenNet model through sevenn's trainer (:func:`ase_electrolyte.finetuning.finetune`);
``select`` thins active-learning candidates by farthest-point sampling
(:func:`ase_electrolyte.active_learning.select_candidates`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]


def _parse_mapping(text, what):
    """``"EC:3,EMC:7"`` or ``"EC=3,EMC=7"`` → ``{"EC": 3.0, "EMC": 7.0}``."""
    out = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        sep = ":" if ":" in item else "="
        name, _, value = item.partition(sep)
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"bad {what} entry {item!r}; expected NAME:NUMBER, e.g. EC:3,EMC:7"
            ) from None
    if not out:
        raise argparse.ArgumentTypeError(f"empty {what}")
    return out


class _Parser(argparse.ArgumentParser):
    """Argument errors in one line (no usage block) and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _finite(name, value, *, positive=False, minimum=None, allow_none=False):
    """Raise ValueError unless ``value`` is a finite number (> 0, >= minimum)."""
    if value is None and allow_none:
        return
    import math

    ok = isinstance(value, (int, float)) and math.isfinite(value)
    if ok and positive:
        ok = value > 0
    if ok and minimum is not None:
        ok = value >= minimum
    if not ok:
        need = "> 0" if positive else (f">= {minimum}" if minimum is not None else "finite")
        raise ValueError(f"{name} must be a finite number {need}, not {value!r}")


def _check_output_folder(path, flag="-o/--output"):
    """The output folder may exist (resume) but must not be a file; its parent must be writable."""
    import os

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{flag} {path}: a file of that name exists; give a folder")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{flag} {path}: {parent} is not a writable folder")


def _check_model_args(model, dispersion, device, flag="--model"):
    """Model name or file, dispersion spec and device, checked without loading anything."""
    import re

    from ase_electrolyte.calculator import _DISPERSION_SPEC
    from ase_electrolyte.models import check_model

    try:
        check_model(model)
    except ImportError as err:
        raise ValueError(f"{flag} {model}: {err}") from None
    except ValueError as err:
        raise ValueError(f"{flag}: {err}") from None
    if dispersion not in (None, "none", "None", "") and not _DISPERSION_SPEC.match(
        dispersion.lower()
    ):
        raise ValueError(
            f"--dispersion {dispersion!r}: use none, d3, d3-bj, d3-zero, d3-bjm, d3-zerom, "
            "d3-op or d3-cso"
        )
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", device or ""):
        raise ValueError(f"--device {device!r}: use auto, cpu, cuda or cuda:N")
    if device.startswith("cuda"):
        from ase_electrolyte.models import resolve_device

        resolve_device(device)


def _check_simulate(args):
    """Every argument of ``simulate``, before any packing or model loading."""
    from ase_electrolyte.md import check_protocol_arguments

    check_protocol_arguments(
        temperature_K=args.temperature,
        pressure_bar=args.pressure,
        relax_fmax=args.relax_fmax,
        preequilibration_ps=args.preequilibration_ps,
        equilibration_ps=args.equilibration_ps,
        production_ps=args.production_ps,
        production_ensemble=args.ensemble,
        write_interval_fs=args.write_interval_fs,
    )
    _finite("--density (g/cm³)", args.density, positive=True, allow_none=True)
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, not {args.seed}")
    if args.counts:
        if args.solvent or args.salt:
            raise ValueError("give --counts or --solvent/--salt, not both")
        for name, value in _parse_mapping(args.counts, "counts").items():
            if value != int(value) or value < 0:
                raise ValueError(f"--counts {name}={value}: counts are whole numbers >= 0")
    else:
        if not args.solvent:
            raise ValueError("give --solvent (e.g. EC:3,EMC:7) or --counts")
        for name, value in _parse_mapping(args.solvent, "solvent").items():
            _finite(f"--solvent share of {name}", value, minimum=0)
        _finite("--concentration", args.concentration, minimum=0)
        if args.n_atoms < 1:
            raise ValueError(f"--n-atoms must be >= 1, not {args.n_atoms}")
    _check_output_folder(args.output)
    _check_model_args(args.model, args.dispersion, args.device)


def _add_model_args(p, required):
    p.add_argument(
        "--model",
        required=required,
        default=None,
        help="MLIP name or file (e.g. sevennet-0, chgnet-0.3.0, model.pth)",
    )
    p.add_argument(
        "--dispersion",
        default="none",
        help="D3 dispersion: none, d3-bj (default cutoffs 50.2/20 Å), d3-zero, ...",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")


def build_parser():
    """The argument parser of ``electrolyte``."""
    parser = _Parser(
        prog="electrolyte",
        description="Liquid electrolytes with machine-learning potentials: "
        "build, simulate, analyse.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="build a box and run the MD protocol of Ju et al. (2025)")
    comp = sim.add_argument_group("composition")
    comp.add_argument("--solvent", help="solvent shares, e.g. EC:3,EMC:7")
    comp.add_argument(
        "--ratio",
        choices=("mass", "mole"),
        default="mass",
        help="meaning of the solvent shares (default: mass)",
    )
    comp.add_argument("--salt", default=None, help="LiPF6, LiFSI, LiTFSI, NaPF6, KPF6")
    comp.add_argument("--concentration", type=float, default=0.0, help="salt concentration")
    comp.add_argument(
        "--units",
        choices=("molal", "molar"),
        default="molal",
        help="mol/kg solvent (molal) or mol/L solution (molar, needs --density)",
    )
    comp.add_argument(
        "--counts", default=None, help="explicit molecule counts, e.g. EC=30,Li=3,PF6=3"
    )
    comp.add_argument("--n-atoms", type=int, default=1000, help="target number of atoms")
    comp.add_argument(
        "--density",
        type=float,
        default=None,
        help="g/cm³ (default: Ju et al. (2025) box from van der Waals volumes)",
    )
    comp.add_argument("--seed", type=int, default=0)
    _add_model_args(sim, required=True)
    md = sim.add_argument_group("protocol")
    md.add_argument("--temperature", type=float, default=298.0, help="K")
    md.add_argument("--pressure", type=float, default=1.01325, help="bar")
    md.add_argument("--relax-fmax", type=float, default=2.0, help="eV/Å")
    md.add_argument("--preequilibration-ps", type=float, default=1000.0)
    md.add_argument("--equilibration-ps", type=float, default=200.0)
    md.add_argument("--production-ps", type=float, default=200.0)
    md.add_argument(
        "--ensemble", choices=("npt", "nvt", "nve"), default="nvt",
        help="production ensemble: nvt (default; at the mean density of the equilibrated NPT run, "
        "charge current and pressure tensor every step, for transport) or npt (densities)",
    )
    md.add_argument("--write-interval-fs", type=float, default=100.0)
    sim.add_argument("-o", "--output", default="electrolyte_run", help="output folder")
    sim.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    ana = sub.add_parser("analyze", help="analyse a trajectory: summary.json + PNG plots")
    ana.add_argument(
        "trajectory", help="H5MD file of electrolyte simulate, ASE .traj/.extxyz, or LAMMPS data"
    )
    ana.add_argument("--dump", default=None, help="LAMMPS dump to read with a data file")
    ana.add_argument("--only", default=None, help="comma-separated analysis names")
    ana.add_argument("--list", action="store_true", help="list the available analyses and exit")
    _add_model_args(ana, required=False)
    ana.add_argument("-o", "--output", default=None, help="folder (default: <trajectory>_analysis)")
    ana.add_argument(
        "--keep-going",
        action="store_true",
        help="record a failing analysis in the summary and run the others",
    )
    ana.add_argument("-q", "--quiet", action="store_true")

    diag = sub.add_parser(
        "diagnose",
        help="MLIP diagnostics on a trajectory: rigid-molecule volume scan, intra/inter errors",
    )
    diag.add_argument("trajectory", help="H5MD file of electrolyte simulate, or ASE .traj/.extxyz")
    diag.add_argument("--dump", default=None, help="LAMMPS dump to read with a data file")
    _add_model_args(diag, required=True)
    diag.add_argument(
        "--reference",
        default=None,
        help="stored labels (extxyz or ASE database) or a second model name to compare with "
        "(default: forces stored in the trajectory)",
    )
    diag.add_argument(
        "--scales", default=None, help="comma-separated scan factors (default 0.9 ... 1.5)"
    )
    diag.add_argument("--max-scan-frames", type=int, default=3)
    diag.add_argument("--max-error-frames", type=int, default=20)
    diag.add_argument(
        "--vacuum", type=float, default=None, help="Å around isolated molecules (CHGNet needs it)"
    )
    diag.add_argument(
        "-o", "--output", default=None, help="folder (default: <trajectory>_diagnose)"
    )
    diag.add_argument("-q", "--quiet", action="store_true")

    demo = sub.add_parser("demo", help="small LiPF6/EC/EMC box with SevenNet-0: simulate + analyse")
    demo.add_argument("-o", "--output", default="electrolyte_demo")
    demo.add_argument("--n-atoms", type=int, default=None, help="default 100 on CPU, 1000 on GPU")
    demo.add_argument(
        "--production-ps", type=float, default=None, help="default 0.2 ps on CPU, 10 ps on GPU"
    )
    demo.add_argument(
        "--dispersion",
        default="d3-bj",
        help="D3 dispersion (default d3-bj with the 50.2/20 Å cutoffs of Ju et al. 2025; "
        "'none' to leave out)",
    )
    demo.add_argument("--device", default="auto")
    demo.add_argument("-q", "--quiet", action="store_true")

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
    _add_model_loop_parsers(sub)
    return parser


def _add_model_loop_parsers(sub):
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
    sel = sub.add_parser(
        "select", help="thin active-learning candidates by farthest-point sampling"
    )
    sel.add_argument("candidates", help="candidates extxyz (from CandidateCollector)")
    sel.add_argument("-n", type=int, required=True, help="number of frames to keep")
    sel.add_argument("--model", default="sevennet-0", help="SevenNet model for the descriptors")
    sel.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    sel.add_argument("-o", "--output", default="selected.extxyz", help="selected frames (extxyz)")


def _finetune(args):
    from ase_electrolyte.finetuning import finetune

    res = finetune(
        args.base, args.train, valid=args.valid, epochs=args.epochs, out=args.output,
        lr=args.lr, batch_size=args.batch_size, seed=args.seed, ensemble=args.ensemble,
        device=args.device, pressure_shift_bar=args.pressure_shift,
    )
    for path, curve in zip(res.checkpoints, res.learning_curves, strict=True):
        last = curve[-1]
        errs = ", ".join(f"{k} {v:.4g}" for k, v in last.items() if k.endswith("_rmse"))
        print(f"{path}: epoch {last['epoch']}: {errs}", flush=True)
    for note in res.notes:
        print(f"note: {note}", flush=True)
    return res


def _select(args):
    from ase_electrolyte.active_learning import select_candidates

    selected = select_candidates(
        args.candidates, args.n, model=args.model, device=args.device, out=args.output
    )
    print(f"{len(selected)} frame(s) written to {args.output}", flush=True)
    return selected


def _calculator(model, dispersion, device):
    from ase_electrolyte import Calculator

    disp = None if dispersion in (None, "none", "None", "") else dispersion
    return Calculator(model, dispersion=disp, device=device)


def _simulate(args):
    _check_simulate(args)
    from ase_electrolyte.build import electrolyte_box

    out = Path(args.output)
    if args.counts:
        counts = {k: int(v) for k, v in _parse_mapping(args.counts, "counts").items()}
        atoms = electrolyte_box(counts=counts, density=args.density, seed=args.seed)
    else:
        if not args.solvent:
            raise ValueError("give --solvent (e.g. EC:3,EMC:7) or --counts")
        atoms = electrolyte_box(
            _parse_mapping(args.solvent, "solvent"),
            args.salt,
            args.concentration,
            units=args.units,
            n_atoms=args.n_atoms,
            ratio=args.ratio,
            density=args.density,
            seed=args.seed,
        )
    calc = _calculator(args.model, args.dispersion, args.device)
    return _run(atoms, calc, out, args)


def _run(atoms, calc, out, args):
    import ase.io

    from ase_electrolyte.md import run_protocol

    out.mkdir(parents=True, exist_ok=True)
    initial = out / "initial.extxyz"
    if initial.exists():
        # resuming: the packed box of the first call is the one the stages started from
        previous = ase.io.read(initial)
        if previous.info.get("composition") != atoms.info.get("composition"):
            raise ValueError(
                f"{out} holds a run of {previous.info.get('composition')}, not "
                f"{atoms.info.get('composition')}; choose another output folder"
            )
        atoms = previous
    else:
        tmp = out / "initial.extxyz.part"
        ase.io.write(tmp, atoms, format="extxyz")
        tmp.replace(initial)
    print(
        f"box: {len(atoms)} atoms, {atoms.info.get('composition')}, L = {atoms.cell[0, 0]:.2f} Å",
        flush=True,
    )
    result = run_protocol(
        atoms,
        calc,
        out,
        temperature_K=args.temperature,
        pressure_bar=args.pressure,
        relax_fmax=args.relax_fmax,
        preequilibration_ps=args.preequilibration_ps,
        equilibration_ps=args.equilibration_ps,
        production_ps=args.production_ps,
        production_ensemble=args.ensemble,
        write_interval_fs=args.write_interval_fs,
        seed=getattr(args, "seed", 0),
        progress=not args.quiet,
    )
    summary = {
        "n_atoms": len(atoms),
        "composition": atoms.info.get("composition"),
        "temperature_K": args.temperature,
        "pressure_bar": args.pressure,
        "production_ensemble": args.ensemble,
        "density_g_cm3": result.density,
        "density_sem_g_cm3": result.density_sem,
        "density_std_g_cm3": result.density_std,
        "density_verdict": result.density_verdict,
        "files": {k: str(v) for k, v in result.files.items()},
    }
    # written last: its presence means the run finished
    (out / "simulation.json").write_text(json.dumps(summary, indent=2))
    if result.density_verdict == "valid":
        density = f"{result.density:.4f} ± {result.density_sem:.4f} g/cm³ (standard error)"
    else:
        density = f"not reported ({result.density_verdict})"
    print(f"production density: {density}; trajectory {result.files['production']}", flush=True)
    return result


def _analyze(args):
    from mda_electrolyte.bridge import from_ase
    from mda_electrolyte.report import registered_analyses

    if args.list:
        for name, needs in registered_analyses().items():
            print(f"{name}" + (f"  (needs {', '.join(needs)})" if needs else ""))
        return None
    traj = Path(args.trajectory)
    out = Path(args.output) if args.output else traj.with_name(traj.stem + "_analysis")
    _check_input_file(traj, args.dump)
    _check_output_folder(out)
    if args.model:
        _check_model_args(args.model, args.dispersion, args.device)
    universe = from_ase(traj, dump=args.dump)
    calc = _calculator(args.model, args.dispersion, args.device) if args.model else None
    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else None
    summary = _report(universe, out, calc, only, not args.quiet, args.keep_going)
    _print_summary(summary, out)
    return summary


def _report(universe, out, calc, only, verbose, keep_going):
    """Run the registered analyses; with ``keep_going`` a failing one is recorded, not fatal."""
    from mda_electrolyte.report import run_analyses

    return run_analyses(universe, out, calculator=calc, only=only, verbose=verbose,
                        keep_going=keep_going)


def _print_summary(summary, out, filename="summary.json"):
    for name, value in summary.items():
        if isinstance(value, dict) and "skipped" in value:
            print(f"  {name}: skipped ({value['skipped']})")
        elif isinstance(value, dict) and "failed" in value:
            print(f"  {name}: FAILED ({value['failed']})")
        else:
            print(f"  {name}: done")
    print(f"report: {out / filename}", flush=True)


def _diagnose(args):
    from mda_electrolyte.bridge import from_ase
    from mda_electrolyte.diagnose import diagnose

    traj = Path(args.trajectory)
    out = Path(args.output) if args.output else traj.with_name(traj.stem + "_diagnose")
    _check_input_file(traj, args.dump)
    _check_output_folder(out)
    _check_model_args(args.model, args.dispersion, args.device)
    if args.reference is not None and not Path(args.reference).exists():
        _check_model_args(args.reference, args.dispersion, args.device, flag="--reference")
    for flag, value in (
        ("--max-scan-frames", args.max_scan_frames),
        ("--max-error-frames", args.max_error_frames),
    ):
        if value < 1:
            raise ValueError(f"{flag} must be >= 1, not {value}")
    _finite("--vacuum (Å)", args.vacuum, positive=True, allow_none=True)
    if args.scales:
        try:
            parsed = [float(x) for x in args.scales.split(",") if x.strip()]
        except ValueError:
            raise ValueError(
                f"--scales must be comma-separated numbers, not {args.scales!r}"
            ) from None
        for x in parsed:
            _finite("every --scales factor", x, positive=True)
    # ASE files are read as Atoms, which keep their stored energies, forces and stress
    ase_file = traj.suffix in (".extxyz", ".xyz", ".traj") and args.dump is None
    frames = traj if ase_file else from_ase(traj, dump=args.dump)
    calc = _calculator(args.model, args.dispersion, args.device)
    reference = args.reference
    if reference is not None and not Path(reference).exists():
        # not a file of labels: a model name or file path for a reference calculator
        reference = _calculator(reference, args.dispersion, args.device)
    scales = None
    if args.scales:
        try:
            scales = [float(x) for x in args.scales.split(",") if x.strip()]
        except ValueError:
            raise ValueError(
                f"--scales must be comma-separated numbers, not {args.scales!r}"
            ) from None
    summary = diagnose(
        frames,
        calc,
        out,
        reference=reference,
        verbose=not args.quiet,
        scales=scales,
        max_scan_frames=args.max_scan_frames,
        max_error_frames=args.max_error_frames,
        vacuum=args.vacuum,
    )
    _print_summary(summary, out, "diagnose.json")
    return summary


def _check_input_file(path, dump=None):
    for p in (path, dump):
        if p is not None and not Path(p).is_file():
            raise ValueError(f"{p}: no such file")


def _demo(args):
    if args.n_atoms is not None and args.n_atoms < 20:
        raise ValueError(f"--n-atoms must be >= 20 (one salt pair and solvent), not {args.n_atoms}")
    _finite("--production-ps", args.production_ps, positive=True, allow_none=True)
    _check_output_folder(args.output)
    _check_model_args("sevennet-0", args.dispersion, args.device)
    import torch

    from ase_electrolyte.build import composition_counts, electrolyte_box, estimate_density
    from ase_electrolyte.html_report import write_html_report
    from mda_electrolyte.bridge import from_ase

    start = time.perf_counter()
    gpu = torch.cuda.is_available() and args.device != "cpu"
    n_atoms = args.n_atoms or (1000 if gpu else 100)
    production_ps = args.production_ps or (10.0 if gpu else 0.2)
    dispersion = args.dispersion
    out = Path(args.output)
    print(
        f"demo: LiPF6 1.0 mol/kg in EC:EMC 3:7 (by mass), ~{n_atoms} atoms, SevenNet-0"
        f"{' + ' + dispersion if dispersion != 'none' else ''}, "
        f"{'GPU' if gpu else 'CPU'}",
        flush=True,
    )
    counts = composition_counts(
        {"EC": 3, "EMC": 7}, "LiPF6", 1.0, units="molal", n_atoms=n_atoms
    )
    # start near the liquid's density (pure-liquid densities, ideal mixing), not the sparse
    # van der Waals box, so that a short run samples the liquid
    density = estimate_density(counts)
    print(f"starting density {density:.3f} g/cm³ (pure liquids, ideal mixing)", flush=True)
    atoms = electrolyte_box(counts=counts, density=density, seed=0)
    calc = _calculator("sevennet-0", dispersion, args.device)
    sim_args = argparse.Namespace(
        temperature=298.0,
        pressure=1.01325,
        relax_fmax=2.0,
        preequilibration_ps=5.0 if gpu else 0.1,
        equilibration_ps=5.0 if gpu else 0.0,
        production_ps=production_ps,
        ensemble="nvt",
        write_interval_fs=10.0 if gpu else 5.0,
        seed=0,
        quiet=args.quiet,
    )
    result = _run(atoms, calc, out, sim_args)
    universe = from_ase(result.files["production"])
    print(
        f"trajectory: {universe.trajectory.n_frames} frames, dt = {universe.trajectory.dt} ps, "
        f"residues {dict(zip(*_count(universe.residues.resnames), strict=True))}",
        flush=True,
    )
    # a 0.2 ps trajectory of one ion pair is too short for some analyses: report, go on
    summary = _report(
        universe, out / "analysis", calc if gpu else None, None, not args.quiet, keep_going=True
    )
    _print_summary(summary, out / "analysis")
    settings = {
        "composition": "LiPF6 1.0 mol/kg in EC:EMC 3:7 by mass",
        "molecules": {sp.name: n for sp, n in counts.items()},
        "atoms": len(atoms),
        "model": "sevennet-0" + (f" + {dispersion}" if dispersion != "none" else ""),
        "starting density (g/cm³, estimate)": round(density, 4),
        "temperature (K)": sim_args.temperature,
        "pre-equilibration NPT (ps)": sim_args.preequilibration_ps,
        "equilibration NPT (ps)": sim_args.equilibration_ps,
        "production NVT (ps)": sim_args.production_ps,
        "frame interval (fs)": sim_args.write_interval_fs,
        "device": "GPU" if gpu else "CPU",
        "wall time (s)": round(time.perf_counter() - start),
    }
    report = write_html_report(
        out / "analysis" / "report.html",
        title="electrolyte demo: LiPF6 in EC:EMC with SevenNet-0",
        settings=settings,
        summary=summary,
        figures=sorted((out / "analysis").glob("*.png")),
    )
    print(f"HTML report: {report}", flush=True)
    print(f"demo finished in {time.perf_counter() - start:.0f} s", flush=True)
    return summary


def _count(names):
    import numpy as np

    values, counts = np.unique(np.asarray(names, dtype=str), return_counts=True)
    return [str(v) for v in values], [int(c) for c in counts]


def _screen(args):
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


def _one_line(err):
    return " ".join(str(err).split())


def main(argv=None):
    """Entry point of the ``electrolyte`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "simulate": _simulate,
        "analyze": _analyze,
        "diagnose": _diagnose,
        "demo": _demo,
        "screen": _screen,
        "finetune": _finetune,
        "select": _select,
    }
    try:
        handlers[args.command](args)
    except (ValueError, OSError, RuntimeError, argparse.ArgumentTypeError) as err:
        # OSError: a file that cannot be written (disk full, size limit) or read
        print(f"electrolyte {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"electrolyte {args.command}: interrupted; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
