"""``electrolyte demo``: LiPF6 in EC:EMC with SevenNet-0, simulated, analysed, reported in HTML."""

from __future__ import annotations

import functools
import math
import time
from pathlib import Path

from . import arguments as A
from .analyze import run_report
from .simulate import check_resumable, run_protocol_into


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    demo = sub.add_parser(
        "demo", help="small LiPF6/EC/EMC box with SevenNet-0: simulate + analyse",
        description="LiPF6 1.0 mol/kg in EC:EMC 3:7 by mass with SevenNet-0 + D3(BJ), the "
        "system of Ju et al. (2025), with a short protocol (ps, not their 200 ps of production), "
        "analysed and reported in HTML; its numbers are marked not valid.",
    )
    demo.add_argument("-o", "--output", default="electrolyte_demo",
                      help="output folder (default electrolyte_demo)")
    demo.add_argument("--n-atoms", type=int, default=None,
                      help="default 100 on CPU, 1000 on GPU; at least one LiPF6 pair with its "
                      "solvent (about 70)")
    demo.add_argument(
        "--production-ps", type=float, default=None, help="default 0.2 ps on CPU, 10 ps on GPU"
    )
    demo.add_argument(
        "--equilibration-ps", type=float, default=None,
        help="NPT equilibration at real masses whose density the demo reports; default 0 on "
        f"CPU, {GPU_EQUILIBRATION_PS:g} ps on GPU (enough independent volume samples for a "
        "density that is a result)",
    )
    A.add_dispersion_arg(
        demo, "d3-bj",
        "D3 dispersion (Grimme et al. 2010, 2011; default d3-bj with the 50.2/20 Å cutoffs "
        "of Ju et al. 2025; 'none' to leave out)",
    )
    A.add_device_arg(demo)
    demo.add_argument("-q", "--quiet", action="store_true")


def run(args):
    """Check every argument, then simulate, analyse and report the demo.

    The checks of what the user typed come first and need no torch (imported, seconds on a
    loaded machine, to learn whether a GPU sets the defaults): ``--n-atoms 5`` was refused
    only once torch was imported. The checks that depend on the defaults of the device
    (a CPU or a GPU protocol) follow, and those that need the analyses' registry
    (MDAnalysis) last.
    """
    from ase_electrolyte.atoms_checks import check_number

    if args.n_atoms is not None and args.n_atoms > MAX_DEMO_ATOMS:
        raise ValueError(f"--n-atoms {args.n_atoms}: the demo runs up to {MAX_DEMO_ATOMS} atoms; "
                         "use electrolyte simulate for larger boxes")
    check_number("--production-ps", args.production_ps, above=0, allow_none=True)
    check_number("--equilibration-ps", args.equilibration_ps, minimum=0, allow_none=True)
    if args.n_atoms is not None:
        _check_demo_atoms(args.n_atoms)
    # the demo's run is a simulate run: its files are the demo's own
    A.check_output(args.output, "demo", writes_like=("simulate",))
    # the words before the run files' check, which imports the analyses' report module
    # (MDAnalysis: seconds on a loaded machine before --device gpu7 was refused)
    A.check_dispersion(args.dispersion)
    A.check_device(args.device)  # torch only for a CUDA device, whether torch sees it
    # a folder where a file of the run or of its report goes failed only when it was written
    # (report.html at the very end)
    from .simulate import check_run_files

    check_run_files(args.output)
    # a diagnose's folder as the demo's analysis folder lost its volume-scan figures and table
    # (the demo's analyses clear those names) while diagnose.json still named them
    A.check_not_another_commands_folder(Path(args.output) / "analysis", "demo",
                                        writes_like=("analyze",))
    gpu = _uses_gpu(args.device)
    if args.n_atoms is None:
        _check_demo_atoms(1000 if gpu else 100)
    from .simulate import check_mean_volume_stage, check_protocol

    settings = protocol_settings(args, gpu)
    if args.production_ps is not None and args.production_ps * 1000.0 < settings.write_interval_fs:
        # the protocol's own refusal advised "shorten --write-interval-fs", an option the demo
        # does not have: its frame interval is fixed
        raise ValueError(
            f"--production-ps {args.production_ps:g}: shorter than one of the demo's frame "
            f"intervals ({settings.write_interval_fs:g} fs on a {'GPU' if gpu else 'CPU'}), so "
            "the production would hold no frame after its first; give at least "
            f"{settings.write_interval_fs / 1000.0:g} ps")
    # every stage length and interval judged before the box is packed or the model loaded;
    # a warning of one (a length rounded to whole intervals) said before a refusal of the
    # next made it several lines
    with A.warnings_after_checks():
        check_protocol(protocol_settings(args, gpu))
        check_mean_volume_stage(protocol_settings(args, gpu), args.output)
    from mda_electrolyte.report import (
        check_outputs,
        check_replaceable,
        registered_analyses,
        report_files,
    )

    analysis = [*report_files(registered_analyses()), "report.html"]
    check_outputs(Path(args.output) / "analysis", analysis, links_removed=True)
    # the analyses replace or remove them after the whole simulation: a protected one was
    # refused (or its page deleted) only then
    check_replaceable(Path(args.output) / "analysis", analysis)
    A.check_model_args("sevennet-0", args.dispersion, args.device)
    A.check_plotting()
    # the run folder and the analysis folder in it: `electrolyte analyze -o <it>` waits its turn
    with A.claim_output_folder(args.output), A.claim_output_folder(Path(args.output) / "analysis"):
        return _run(args, gpu)


def _uses_gpu(device):
    """Whether the demo runs on a GPU (its GPU defaults): ``--device cpu`` is known without
    importing torch, ``auto`` and ``cuda`` ask torch."""
    if device == "cpu":
        return False
    from ase_electrolyte.device import resolve_device

    return resolve_device(device).is_cuda


def _check_demo_atoms(n_atoms):
    """``--n-atoms`` (given, or the device's default) holds one ion pair with its solvent.

    Raises
    ------
    ValueError
        Naming the fewest atoms the demo's box takes.
    """
    try:
        # a box too small for one ion pair (--n-atoms 20 ... 71 passed a bound of 20) failed
        # only after the banner was printed and the folders were claimed
        _demo_counts(n_atoms)
    except ValueError:
        # the library's reason named its keyword n_atoms and a concentration the demo fixes
        raise ValueError(
            f"--n-atoms {n_atoms}: the demo's box (LiPF6 1.0 mol/kg in EC:EMC 3:7) holds at "
            f"least one ion pair with its solvent, {min_demo_atoms()} atoms or more; give at "
            f"least {min_demo_atoms()}") from None


def _run(args, gpu):
    from ase_electrolyte.atomic_file import write_json_atomic
    from ase_electrolyte.build import electrolyte_box, estimate_density
    from ase_electrolyte.estimate import estimates_to_dict
    from ase_electrolyte.html_report import write_html_report
    from mda_electrolyte.bridge import from_ase

    from .simulate import check_disk_room

    start = time.perf_counter()
    n_atoms = args.n_atoms if args.n_atoms is not None else (1000 if gpu else 100)
    sim_args = protocol_settings(args, gpu)
    production_ps = sim_args.production_ps
    dispersion = args.dispersion
    out = Path(args.output)
    counts = _demo_counts(n_atoms)
    # a folder of another demo (--n-atoms, --production-ps ...) was found only after the box
    # had been packed and the model loaded
    check_resumable(out, {sp.name: int(n) for sp, n in counts.items() if n}, {}, sim_args,
                    options={"--production-ps", "--equilibration-ps"})
    # a GPU demo with a long --production-ps writes gigabytes: refused before the banner,
    # the packing and the model load when the disk cannot hold them
    check_disk_room(out, counts, sim_args,
                    fewer_bytes="a shorter --production-ps or --equilibration-ps")
    print(
        f"demo: LiPF6 in EC:EMC 3:7 (by mass) at 1.0 mol/kg as nearly as ~{n_atoms} atoms "
        f"hold it ({_held(counts)}), SevenNet-0"
        f"{' + ' + dispersion if dispersion != 'none' else ''}, "
        f"{'GPU' if gpu else 'CPU'}",
        flush=True,
    )
    # start near the liquid's density (pure liquids' densities, the salt's volume in
    # solution), not the sparse van der Waals box, so that a short run samples the liquid
    estimated = estimate_density(counts)
    density = estimated.value
    print(starting_density_line(estimated), flush=True)
    atoms = electrolyte_box(counts=counts, density=density, seed=0,
                            temperature_K=sim_args.temperature)
    calc = A.make_calculator("sevennet-0", dispersion, args.device)
    result = run_protocol_into(atoms, calc, out, sim_args)
    if gpu:
        # the one number a GPU demo is long enough for: say whether it is a result
        rho = result.density
        if rho.valid and rho.stderr < 0.01:
            print(f"density {rho}: uncertainty below 0.01 g/cm³", flush=True)
        else:
            print(f"density {rho}: not a result with an uncertainty below 0.01 g/cm³; rerun "
                  "into a new folder with a longer --equilibration-ps (this run: "
                  f"{sim_args.equilibration_ps:g} ps)", flush=True)
    universe = from_ase(result.files["production"])
    print(trajectory_line(universe), flush=True)
    from mda_electrolyte.report import clear_outputs

    # a 0.2 ps trajectory of one ion pair is too short for some analyses: report, go on
    summary = run_report(
        universe, out / "analysis", calc if gpu else None, None, not args.quiet, keep_going=True
    )
    # the analyses replace an earlier demo's summary and figures only once all have run (a
    # rerun that fails there leaves the earlier page, summary and figures together); the
    # earlier page must not outlive them when this run fails before writing its own
    clear_outputs(out / "analysis", ["report.html"])
    n_li = sum(1 for name in universe.residues.resnames if name == "Li")
    limits = demo_limits(n_li, production_ps, len(atoms))
    short = [r for r in limits if r.startswith("too short")]
    if short:
        # the analyses judge their own numbers (an average over too few ions among them); the
        # demo adds what concerns every number: its run is too short
        summary = mark_demo_summary(summary, limits)
        # the analyses' own summary lacks these marks: gone before the marked one is written,
        # so that a failed write leaves no summary rather than numbers that read as results
        (out / "analysis" / "summary.json").unlink(missing_ok=True)
        write_json_atomic(out / "analysis" / "summary.json", estimates_to_dict(summary),
                          indent=2, default=str)
        print("demo-sized run, no number below is a result: " + "; ".join(short), flush=True)
    few = [r for r in limits if r.startswith("too few ions")]
    if few:
        # the analyses say which of their numbers average over too few ions
        print("demo-sized box: " + "; ".join(few) + "; each analysis marks its own averages "
              "over too few ions", flush=True)
    A.print_summary(summary, out / "analysis", command="demo")
    settings = demo_settings(counts, estimated, sim_args, n_atoms=len(atoms),
                             dispersion=dispersion, gpu=gpu,
                             wall_s=time.perf_counter() - start, limits=limits)
    report = write_html_report(
        out / "analysis" / "report.html",
        title="electrolyte demo: LiPF6 in EC:EMC with SevenNet-0",
        settings=settings,
        # the run's own numbers (density, temperature, pressure) with their verdicts first
        # with each MD stage's conserved-energy drift (meV/atom/ps), which judges its time step
        summary={"simulation": {**result.estimates(),
                                **({"energy drift (per MD stage)": dict(result.energy_drift)}
                                   if result.energy_drift else {})},
                 **summary},
        figures=sorted((out / "analysis").glob("*.png")),
    )
    print(f"HTML report: {A.shown_path(report)}", flush=True)
    # a demo whose every analysis failed (a broken install) ended "demo finished", status 0
    A.check_some_result(summary, report)
    print(f"demo finished in {time.perf_counter() - start:.0f} s", flush=True)
    return summary


def demo_settings(counts, density, sim_args, *, n_atoms, dispersion, gpu, wall_s, limits):
    """The settings table of the demo's HTML report: what was asked and what the box holds.

    The packing density and the composition the whole molecules make are numbers with an
    error and a verdict like every other on the page: the density the box was packed at is
    given (an input, not the simulated density) with the error of its estimate, the asked
    concentration and solvent shares are given, the packed ones exact ratios of the counts
    (``info["packed_composition"]`` of :func:`ase_electrolyte.build.electrolyte_box`). The
    page showed the density and its uncertainty as two bare numbers, and the 1.44 mol/kg that
    ~100 atoms pack of the 1.0 asked only in the terminal.

    Parameters
    ----------
    counts : dict
        ``{Species: molecules}`` of the box: the demo's composition (LiPF6 1.0 mol/kg in
        EC:EMC 3:7 by mass) for its ``--n-atoms``, counts rounded to whole molecules.
    density : Estimate
        g/cm³, :func:`ase_electrolyte.build.estimate_density` of ``counts``.
    sim_args : argparse.Namespace
        :func:`protocol_settings`.
    n_atoms : int
        Atoms in the box.
    dispersion : str
        The dispersion word (``"none"``: left out).
    gpu : bool
    wall_s : float
        Wall time so far, s.
    limits : list of str
        :func:`demo_limits`.

    Returns
    -------
    dict
    """
    from ase_electrolyte.build import packed_composition
    from ase_electrolyte.estimate import Estimate

    packing = Estimate.given_value(
        density.value, density.unit, density.stderr,
        source="the box's packing density: an input estimated from the pure liquids' "
        "densities and the salt's volume in solution, not the simulated density; its error "
        + density.method)
    if not density.valid:
        packing = packing.with_notes(*density.notes, converged=False)
    plan = {sp: int(n) for sp, n in counts.items() if n}
    return {
        "composition": "LiPF6 1.0 mol/kg in EC:EMC 3:7 by mass",
        "molecules": {sp.name: int(n) for sp, n in counts.items()},
        "atoms": n_atoms,
        "model": "sevennet-0" + (f" + {dispersion}" if dispersion != "none" else ""),
        # the simulated density is among the results, with its verdict
        "packing density": packing,
        # whole molecules miss the asked composition: asked (given) beside packed (exact)
        "packed composition": packed_composition(plan, DEMO_SOLVENT, "LiPF6", DEMO_MOLALITY,
                                                 units="molal"),
        "temperature": Estimate.given_value(sim_args.temperature, "K", source="the demo's "
                                            "thermostat"),
        "pressure": Estimate.given_value(sim_args.pressure, "bar", source="the demo's "
                                         "barostat"),
        # the protocol's lengths, set by the demo or its options: given, as the others
        **{name: Estimate.given_value(value, unit, source=source)
           for name, value, unit, source in (
            ("pre-equilibration NPT", sim_args.preequilibration_ps, "ps", "the demo's protocol"),
            ("equilibration NPT", sim_args.equilibration_ps, "ps",
             "--equilibration-ps, or the demo's default"),
            ("production NVT", sim_args.production_ps, "ps",
             "--production-ps, or the demo's default"),
            ("frame interval", sim_args.write_interval_fs, "fs", "the demo's protocol"))},
        "device": "GPU" if gpu else "CPU",
        "wall time (s)": round(wall_s),
        "limits of this run": "; ".join(limits) or "none found",
    }


#: The demo's solvent shares (by mass) and salt molality (mol/kg), as its description says.
DEMO_SOLVENT = {"EC": 3, "EMC": 7}
DEMO_MOLALITY = 1.0


def _held(counts):
    """What the demo's counts hold, e.g. ``1 LiPF6 + 2 EC + 5 EMC: 1.44 mol/kg, EC:EMC 25:75 by
    mass`` (one ion pair among ~100 atoms is 1.44 mol/kg, not the 1.0 asked)."""
    named = {sp.name: (int(n), sp.mass, sp.charge) for sp, n in counts.items() if n}
    solvent = {name: n * mass for name, (n, mass, charge) in named.items() if charge == 0}
    pairs = min(n for n, _, charge in named.values() if charge != 0)
    ec = 100.0 * solvent.get("EC", 0.0) / sum(solvent.values())
    return (f"{pairs} LiPF6 + {named['EC'][0]} EC + {named['EMC'][0]} EMC: "
            f"{1000.0 * pairs / sum(solvent.values()):.3g} mol/kg, EC:EMC "
            f"{ec:.0f}:{100 - ec:.0f} by mass")


def _demo_counts(n_atoms):
    """Molecules of the demo's box: LiPF6 1.0 mol/kg in EC:EMC 3:7 by mass, about ``n_atoms``.

    Raises
    ------
    ValueError
        Fewer atoms than one ion pair needs with its solvent (about 70).
    """
    from ase_electrolyte.build import composition_counts

    return composition_counts(DEMO_SOLVENT, "LiPF6", DEMO_MOLALITY, units="molal",
                              n_atoms=n_atoms)


@functools.cache
def min_demo_atoms():
    """The fewest atoms ``--n-atoms`` may ask for: the smallest box of the demo's composition
    that holds one LiPF6 pair with its solvent (found by bisection over the demo's
    composition, whose molecule counts are rounded)."""
    low, high = 1, MAX_DEMO_ATOMS  # low fails, high holds a pair
    while high - low > 1:
        mid = (low + high) // 2
        try:
            _demo_counts(mid)
        except ValueError:
            low = mid
        else:
            high = mid
    return high


def protocol_settings(args, gpu):
    """The demo's protocol as ``electrolyte simulate`` arguments (lengths in ps, intervals in fs).

    On a GPU the NPT equilibration is long enough for a density with an uncertainty below
    0.01 g/cm³ that counts as a result:
    :data:`mda_electrolyte.uncertainty.MIN_INDEPENDENT_SAMPLES` independent samples of the
    volume after detected equilibration (the 1 ps barostat of ``run_md`` decorrelated the
    volume of a Lennard-Jones liquid in 0.3 ps; a molecular liquid is allowed three times
    longer). On a CPU it is a short smoke test of the workflow.
    """
    import argparse

    return argparse.Namespace(
        temperature=298.0,
        pressure=1.01325,
        relax_fmax=0.3,
        preequilibration_ps=10.0 if gpu else 0.2,
        equilibration_ps=(
            args.equilibration_ps if args.equilibration_ps is not None
            else GPU_EQUILIBRATION_PS if gpu else 0.0
        ),
        production_ps=args.production_ps or (10.0 if gpu else 0.2),
        ensemble="nvt",
        # a multiple of the 2 fs pre-equilibration step and the 1 fs production step
        write_interval_fs=10.0 if gpu else 4.0,
        seed=0,
        quiet=args.quiet,
    )


#: NPT equilibration of the GPU demo, ps: 50 independent volume samples at up to 0.9 ps each
#: and the start that equilibration detection discards.
GPU_EQUILIBRATION_PS = 60.0
#: Shorter production than this (ps) and every analysis number of the demo is marked not
#: valid: Ju et al. (2025) sample 200 ps of production.
MIN_PRODUCTION_PS = 200.0
#: Largest demo box (atoms): beyond it packing and MD take hours, a typo rather than a demo.
MAX_DEMO_ATOMS = 20000


def demo_limits(n_li, production_ps, n_atoms):
    """The limits of the demo's run (empty when none applies), for its settings and terminal.

    "too short" marks every number of the run (:func:`mark_demo_summary`); "too few ions" is
    said of the box, and each analysis marks its own averages over too few ions.

    Parameters
    ----------
    n_li : int
        Li⁺ ions in the box.
    production_ps : float
        Length of the production run, ps.
    n_atoms : int
        Atoms in the box.

    Returns
    -------
    list of str
        Verdict notes: ``"too few ions: ..."``, ``"too short: ..."``.
    """
    # the threshold of the shell statistics, said of the box (imported here to keep the CLI
    # start fast)
    from mda_electrolyte.frame_estimates import MIN_IONS

    reasons = []
    if n_li < MIN_IONS:
        reasons.append(
            f"too few ions: {n_li} Li+ in the {n_atoms}-atom demo box (the shell statistics "
            f"need at least {MIN_IONS})"
        )
    if production_ps < MIN_PRODUCTION_PS:
        reasons.append(
            f"too short: {production_ps:g} ps of production (the demo shows the workflow; "
            f"Ju et al. (2025) sample {MIN_PRODUCTION_PS:g} ps)"
        )
    return reasons


def mark_estimates(summary, reasons, applies=None):
    """A copy of ``summary`` with every measured Estimate (object or its dict) marked not
    valid; a given number (:meth:`~ase_electrolyte.estimate.Estimate.given_value`) is left as
    it is.

    Parameters
    ----------
    summary : dict
        As returned by :func:`mda_electrolyte.report.run_analyses`.
    reasons : list of str
        Notes added to each Estimate's verdict (once).
    applies : callable, optional
        ``applies(path, reason) -> bool``: whether ``reason`` applies to the Estimate at
        ``path``, the tuple of keys (list positions for lists) from the top of ``summary``
        down to it. Default: every reason applies to every Estimate. An Estimate to which no
        reason applies is left as it is.

    Returns
    -------
    dict
        Same structure; Estimate dicts stay dicts, Estimate objects stay objects; every other
        value is unchanged.
    """
    from ase_electrolyte.estimate import Estimate
    from ase_electrolyte.html_report import estimate_of

    def mark(est, path):
        own = [r for r in reasons if applies is None or applies(path, r)]
        if not own or est.given:
            # a number given (a cutoff, a temperature) is no result of the run: a run "too
            # short" says nothing of it, and the mark read as a doubt of the setting
            return est
        # an analysis that already counted too few ions says so with its own threshold
        has_few = any(n.startswith("too few ions") for n in est.notes)
        new = [r for r in own
               if r not in est.notes and not (has_few and r.startswith("too few ions"))]
        return est.with_notes(*new, converged=False)

    def walk(obj, path):
        if isinstance(obj, Estimate):
            return mark(obj, path)
        if isinstance(obj, dict):
            # one reading of an estimate's dict form with the reports (a dict from_dict refused
            # failed the demo here, after the whole run)
            est = estimate_of(obj)
            if est is not None:
                return mark(est, path).to_dict()
            return {k: walk(v, (*path, k)) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(walk(v, (*path, i)) for i, v in enumerate(obj))
        return obj

    return walk(summary, ())


def mark_demo_summary(summary, reasons):
    """``summary`` marked with the demo's :func:`demo_limits` that concern every number.

    "too short" concerns every number of the run: each gets it. "too few ions" concerns the
    averages over ions, and only the analysis that made a number knows whether it is one and
    how many ions it needs (the shell statistics below
    :data:`mda_electrolyte.frame_estimates.MIN_IONS`, an ion's diffusion coefficient below
    :data:`mda_electrolyte.diffusion.MIN_IONS_FOR_ION_ERROR`, the transport analyses their
    own): the demo adds it to no number. It guessed from the summary's key paths which numbers
    were ion averages (an unknown quantity was taken for one), and so could mark a number that
    its analysis had judged over enough ions, or use another threshold than the analysis.

    Parameters
    ----------
    summary : dict
        As returned by :func:`mda_electrolyte.report.run_analyses`.
    reasons : list of str
        As returned by :func:`demo_limits`.

    Returns
    -------
    dict
        As :func:`mark_estimates` returns it: the analyses' own verdicts kept, each number's
        notes followed by the reasons that concern it; the caller's summary is not modified.
    """
    return mark_estimates(summary, [r for r in reasons if not r.startswith("too few ions")])


def trajectory_line(universe):
    """The terminal line of the demo's production trajectory: frames, their spacing, residues.

    The spacing is the frames' times' difference, printed as it came:
    ``dt = 0.0020999999999999994 ps`` for frames 2.1 fs apart; now to 6 significant digits.
    """
    counts = dict(zip(*_count(universe.residues.resnames), strict=True))
    return (f"trajectory: {universe.trajectory.n_frames} frames, "
            f"dt = {universe.trajectory.dt:.6g} ps, residues {counts}")


def _count(names):
    import numpy as np

    values, counts = np.unique(np.asarray(names, dtype=str), return_counts=True)
    return [str(v) for v in values], [int(c) for c in counts]


def starting_density_line(density):
    """The terminal line of the demo's starting density: an input setting, not a result.

    The density the box is packed at is estimated from the pure liquids' measured densities
    and the salt's measured volume in solution (:func:`ase_electrolyte.build.estimate_density`,
    ideal mixing of the solvents). Given as that function's
    :class:`~ase_electrolyte.estimate.Estimate`, the line shows its propagated error and, where
    the estimate is not valid, why; a plain number is shown alone.
    It is not the simulated density, which the run reports with its error and verdict.
    """
    from ase_electrolyte.estimate import Estimate

    if isinstance(density, Estimate):
        # the one form of a number (Estimate.number_text), as the report's settings table
        # shows it: "1.208 ± 0.009" here was "1.2079 ± 0.0086" there, an error below 0.0005
        # read "± 0.000", an unknown one "± nan"
        shown = (f"{density.number_text()} g/cm³" if math.isfinite(density.value)
                 else "no value")
        if not density.valid:
            shown += f" (estimate not valid: {'; '.join(density.notes)})"
    else:
        shown = f"{density:.3f} g/cm³"
    return (f"setting: box packed at {shown} (an input estimated from the pure "
            "liquids' densities and the salt's volume in solution; not a result: the "
            "simulated density is reported with its error and verdict)")
