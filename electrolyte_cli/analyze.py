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
        help="H5MD file of electrolyte simulate, ASE .traj/.extxyz, GROMACS .gro (every "
        "frame), or LAMMPS data",
    )
    ana.add_argument("--dump", default=None,
                     help="LAMMPS text dump to read with a data file (its atom style from the "
                     "data file's 'Atoms # style' comment: atomic, charge, molecular, full)")
    ana.add_argument("--dt", type=float, default=None,
                     help="ps between frames, for a LAMMPS dump or ASE frames without times "
                     "(without it the transport analyses refuse: rates need the time)")
    ana.add_argument("--lammps-units", type=A.choice("--lammps-units", ("metal", "real")),
                     default=None, choices=("metal", "real"),
                     help="LAMMPS unit style of --dump, for velocities and forces (default metal)")
    ana.add_argument("--temperature", type=float, default=None,
                     help="K, used as given by the conductivities and the viscosity instead of "
                     "the velocities' kinetic temperature")
    ana.add_argument("--constraints", type=int, default=None,
                     help="holonomic constraints of the run that wrote a trajectory of another "
                     "program (3 per rigid water, 1 per constrained bond), which the kinetic "
                     "temperature's 3N - constraints - 3 degrees of freedom leave out "
                     "(default: an H5MD file's own count, else 0)")
    ana.add_argument("--com-removed", type=A.choice("--com-removed", ("yes", "no")),
                     default=None, choices=("yes", "no"),
                     help="whether that run kept the centre of mass at rest (default: an H5MD "
                     "file's own count, else yes)")
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
    """Check every argument, then run the analyses into the output folder.

    The checks that need no analysis module come first: the analyses' names and the files
    they write are known only once their modules (MDAnalysis) are imported, seconds on a
    loaded machine, which a mistyped ``--dt`` or ``--device`` waited for. Their warnings (a
    temperature in °C?) are held until the model loads, and written in the line of a refusal
    (:func:`~electrolyte_cli.arguments.warnings_after_checks`).
    """
    import contextlib

    with contextlib.ExitStack() as checks:
        checks.enter_context(A.warnings_after_checks())
        return _run(args, checks)


def _run(args, checks):
    """:func:`run`; ``checks`` holds the checks' warnings until it is closed."""
    if args.list:
        given = _given_with_list(args)
        if given:
            # they were ignored without a word: `analyze run.h5md --list` analysed nothing
            raise ValueError(f"--list lists the analyses and exits, so it takes no "
                             f"{', '.join(given)}: leave out those to list, or --list to analyse")
        from mda_electrolyte.report import ANALYSIS_ALIASES, declared_analyses

        # read from the analyses' source: importing them (MDAnalysis, SciPy) to print ten
        # lines took seconds
        for name, needs in declared_analyses().items():
            # the short names --only reads as this analysis alone (``rdf``): not said anywhere
            # a user looks before a refusal
            also = [alias for alias, meant in ANALYSIS_ALIASES.items() if meant == (name,)]
            print(f"{name}" + (f"  (needs {', '.join(needs)})" if needs else "")
                  + (f"  (also: {', '.join(also)})" if also else ""))
        return None
    if args.trajectory is None:
        # optional only so that --list needs none
        raise ValueError("the following arguments are required: trajectory")
    only = None
    if args.only is not None:
        given = [s.strip() for s in args.only.split(",")]
        if not any(given):
            raise ValueError("--only names no analysis; give names from `electrolyte analyze "
                             "--list`, comma-separated")
        if not all(given):
            # 'rdf,,shells' (a name left out?) was read as 'rdf,shells' without a word
            raise ValueError(f"--only {args.only!r} has an empty item between commas; give "
                             "names from `electrolyte analyze --list`, comma-separated")
        # an argument, checked before the files: the names are read without importing the
        # analyses (a mistyped name waited seconds for them, then for the file's checks)
        only = _analysis_names(given)
        # the library's reading keeps each analysis once: each name is read alone to tell
        each = [_analysis_names([name])[0] for name in given]
        twice = [name for name in only if each.count(name) > 1]
        if twice:
            # 'rdf,RDF' ran it once: two names meant as two analyses, one of them mistyped?
            raise ValueError(f"--only {args.only!r} names {', '.join(twice)} more than once "
                             "(a short name, another case or spelling names the same "
                             "analysis); give each analysis once")
        from mda_electrolyte.report import TemperatureSettings, check_temperature_used

        check_temperature_used(only, TemperatureSettings(**_temperature_options(args)),
                               _TEMPERATURE_FLAGS)
    A.check_trajectory_files(args.trajectory, args.dump)
    traj = Path(args.trajectory)
    _check_time_and_units(args, traj)
    _check_temperature_options(args)
    if args.model is not None:
        args.modal = A.modal_word(args.model, args.modal)
        A.check_model_args(args.model, args.dispersion, args.device, modal=args.modal)
    elif args.dispersion != "none" or args.device != "auto" or args.modal is not None:
        # they would be ignored without a word: only the model-based analyses use them
        raise ValueError("--dispersion, --device and --modal apply to the --model of the "
                         "model-based analyses; give --model, or leave them out")
    A.check_not_being_written(traj)
    A.check_trajectory_contents(traj, args.dump)
    _check_constraints_fit(args, traj)
    _check_dt_fits_stored_times(args, traj)
    _check_count_against_file(args, traj)
    atom_style = None if args.dump is None else lammps_atom_style(traj)
    out = traj.with_name(traj.stem + "_analysis") if args.output is None else args.output
    A.check_output(out, "analyze")
    out = Path(out)
    from mda_electrolyte.report import (
        check_outputs,
        check_replaceable,
        declared_analyses,
        report_files,
    )

    if only:
        _check_requested_file(traj, only)
        if args.model is not None:
            _check_model_is_used(only)
    # a folder where summary.json or a figure goes failed only after every analysis had run
    check_outputs(out, report_files(only or declared_analyses()), links_removed=True)
    # a rerun replaces the earlier files, and removes those of analyses not run now: a file the
    # user protected was refused by a rename of the last step, after every analysis had run
    check_replaceable(out, report_files(declared_analyses()))
    A.check_plotting()
    try:
        summary = _analyze_into(args, traj, out, only, atom_style, checks)
    except KeyboardInterrupt as err:
        # stopped before run_analyses (reading the trajectory, loading the model), which
        # says itself what it left: the output folder has not been touched
        if not any(str(note).startswith("run_analyses: ") for note in
                   getattr(err, "__notes__", ())):
            err.add_note(f"analyze: the earlier outputs in {out} are untouched")
        raise
    if only:
        _check_delivered(summary, only, out / "summary.json")
    else:
        A.check_some_result(summary, out / "summary.json")
    return summary


def _analysis_names(only):
    """``--only``'s names as the registered analyses spell them, or a ValueError naming every
    unknown one with the closest name: the library's one reading
    (:func:`mda_electrolyte.report.analysis_names`; any case, spaces, hyphens and underscores
    alike), so that the words of a report's heading name the analysis here as in a plan."""
    from mda_electrolyte.report import analysis_names

    try:
        return analysis_names(only)
    except ValueError as err:
        raise ValueError(f"--only: {err}") from None


def _analyze_into(args, traj, out, only, atom_style, checks=None):
    """The analyses of ``traj`` into ``out``, once every argument is checked."""
    # one writer per output folder (e.g. not the analysis folder of a demo that is running);
    # the library's checks of --temperature repeat the doubt its check said, naming no option
    with A.claim_output_folder(out):
        with A.temperature_doubted():
            universe = _checked_universe(args, traj, only, atom_style)
        if checks is not None:
            # every check passed: their warnings are said now, before the model and the work
            # (closed outside temperature_doubted: warnings filters are restored in order)
            checks.close()
        with A.temperature_doubted():
            calc = (A.make_calculator(args.model, args.dispersion, args.device, args.modal)
                    if args.model else None)
            summary = run_report(universe, out, calc, only, not args.quiet, args.keep_going,
                                 source=input_record(traj, args.dump, universe),
                                 **_temperature_options(args))
            A.print_summary(summary, out, command="analyze")
    return summary


def _check_temperature_runs(universe, only, args):
    """``--temperature``, ``--constraints`` or ``--com-removed`` given where every analysis
    that would use them is skipped for what the trajectory lacks, refused before the model
    loads (:func:`mda_electrolyte.report.check_temperature_runs`)."""
    from mda_electrolyte.report import (
        TemperatureSettings,
        check_temperature_runs,
        registered_analyses,
    )

    settings = TemperatureSettings(**_temperature_options(args))
    check_temperature_runs(universe, only or list(registered_analyses()), settings,
                           object() if args.model else None, _TEMPERATURE_FLAGS)


def _checked_universe(args, traj, only, atom_style):
    """The trajectory read, and the checks that need it, before the model loads."""
    from mda_electrolyte.bridge import from_ase

    with A.options_named({"dt": "--dt", "lammps_units": "--lammps-units"}):
        universe = from_ase(traj, dump=args.dump, dt=args.dt,
                            lammps_units=args.lammps_units or "metal",
                            lammps_atom_style=atom_style)
    # a count the file's own contradicts, before any analysis (and the model) runs
    try:
        with A.options_named(_TEMPERATURE_FLAGS, warnings_too=False):
            _checked_temperature_settings(universe, **_temperature_options(args))
    except ValueError as err:
        raise ValueError(_com_removed_as_typed(str(err))) from None
    if only:
        _check_requested(universe, only, args.model)
    else:
        if args.model is not None:  # the more specific reason first
            _check_model_can_be_used(universe)
        _check_some_analysis_runs(universe, traj, args.model)
    _check_temperature_runs(universe, only, args)
    if args.model is not None:
        _check_model_frames(universe, only, args.keep_going)
    return universe


def _check_model_frames(universe, only, keep_going=False):
    """The frames the model-based analyses to run will evaluate, checked before the model loads.

    A molecule that cannot be made whole (a proton transfer, a molecule come apart) in a frame
    the rigid volume scan scans (:func:`mda_electrolyte.volume_scan.report_frames`) or in any
    frame of the intra/intermolecular errors was refused only once the model had been loaded
    (17 s for sevennet-0 on a CPU); a scale factor that pushes molecules into each other
    likewise (with ``keep_going`` these are left to the analysis, which records them). Reference
    forces that are exactly zero in every frame (an exporter's placeholder), which the errors
    skip, likewise: an ``--only`` naming the errors is refused, and so is a ``--model`` that
    no other analysis would use. These checks need no calculator.
    """
    from mda_electrolyte.report import registered_analyses, unmet_requirements
    from mda_electrolyte.volume_scan import check_report_frames

    checks = {"rigid_volume_scan": check_report_frames,
              "intra_inter_errors": _check_reference_frames}
    needs = registered_analyses()
    # the analyses that will evaluate the model: those asked for, or those the input supports
    running = [name for name, need in needs.items() if "calculator" in need and (
        name in only if only is not None else not unmet_requirements(universe, need, object()))]
    skipped = {}
    for name in running:
        try:
            if name == "intra_inter_errors":
                skipped[name] = _placeholder_forces(universe)
                if skipped[name] is not None:
                    continue
            if name in checks and not keep_going:
                checks[name](universe)
        except ValueError as err:
            raise ValueError(f"{name}: {err}; checked before loading the model (--keep-going "
                             "records it and runs the other analyses)") from None
    skipped = {name: reason for name, reason in skipped.items() if reason is not None}
    if only is not None and skipped:
        name, reason = next(iter(skipped.items()))
        raise ValueError(f"--only {name}: {reason} Nothing to compare the model with: give "
                         "frames with the reference method's forces (or electrolyte diagnose "
                         "--reference LABELS)")
    if skipped and all(name in skipped for name in running):
        raise ValueError(f"--model: no analysis that evaluates a model can run on this "
                         f"trajectory ({'; '.join(f'{k}: {v}' for k, v in skipped.items())}); "
                         "leave out --model, or give a trajectory with what they need")


def _check_reference_frames(universe):
    """Every frame of the intra/intermolecular errors: its molecules whole (a proton transfer
    named) and its reference forces stored, as the analysis refuses them."""
    from mda_electrolyte.analysis_base import kept_frame
    from mda_electrolyte.intra_inter_errors import check_molecules_whole
    from mda_electrolyte.model_frames import FrameSource

    source = FrameSource(universe)
    with kept_frame(universe.trajectory) as trajectory:
        for ts in trajectory:
            if not ts.has_forces:
                raise ValueError(f"frame {ts.frame} has no reference forces (the first "
                                 "frame has): give a trajectory whose every frame holds them")
        check_molecules_whole(source, trajectory, "IntraInterErrors")


def _placeholder_forces(universe):
    """Why the intra/intermolecular errors would skip the trajectory's reference forces
    (:func:`mda_electrolyte.model_labels.placeholder_labels`: exactly zero in every frame, an
    exporter's placeholder), else None."""
    import numpy as np

    from mda_electrolyte.analysis_base import kept_frame
    from mda_electrolyte.model_labels import placeholder_labels

    with kept_frame(universe.trajectory) as trajectory:
        n = 0
        for ts in trajectory:
            if not ts.has_forces or np.any(ts.forces):
                return None
            n += 1
        positions = trajectory[0].positions
    # the library's sentence; its test needs no copy of each frame's zeros
    label = {"positions": positions, "energy": None, "forces": np.zeros(1), "stress": None}
    return placeholder_labels([label] * n).get("forces")


def _check_model_is_used(only):
    """``--model`` with an ``--only`` that names no analysis evaluating a model is refused.

    The model was loaded (seconds to minutes, gigabytes on a GPU) and then not used, without a
    word: ``--only density --model sevennet-0`` looked like the model's density.
    """
    from mda_electrolyte.report import declared_analyses

    if only is None:
        return
    needs = declared_analyses()
    model_based = [name for name, need in needs.items() if "calculator" in need]
    if not any(name in model_based for name in only):
        raise ValueError(f"--model applies to the analyses that evaluate a model "
                         f"({', '.join(model_based)}); --only {','.join(only)} names none of "
                         "them: leave out --model, or add one of them to --only")


def _given_with_list(args):
    """The trajectory and the options given beside ``--list``, which lists and does nothing else."""
    given = ["trajectory"] if args.trajectory is not None else []
    for flag, value, default in (
        ("--dump", args.dump, None), ("--dt", args.dt, None),
        ("--lammps-units", args.lammps_units, None), ("--only", args.only, None),
        ("--temperature", args.temperature, None), ("--constraints", args.constraints, None),
        ("--com-removed", args.com_removed, None),
        ("--model", args.model, None), ("--modal", args.modal, None),
        ("--dispersion", args.dispersion, "none"),
        ("--device", args.device, "auto"), ("-o/--output", args.output, None),
        ("--keep-going", args.keep_going, False),
    ):
        if value != default:
            given.append(flag)
    return given


#: Longest time between frames --dt accepts, ps (a microsecond; 1e308 overflowed the times).
MAX_DT_PS = 1.0e6

def _check_time_and_units(args, traj):
    """``--dt`` a time between frames, for inputs without their own; ``--lammps-units`` with a
    dump only (ignored without a word otherwise)."""
    import math

    # the library's bound (from_ase's dt, the transport analyses): a spacing in seconds (2e-15
    # for 2 fs) was taken as 2e-15 ps and every rate came out 1e15 times too large
    from ase_electrolyte.units import MIN_FRAME_SPACING_PS as MIN_DT_PS

    if args.dt is not None:
        if not (math.isfinite(args.dt) and 0 < args.dt <= MAX_DT_PS):
            raise ValueError(f"--dt {args.dt:g}: give the time between frames in ps, a number "
                             f"above 0 and at most {MAX_DT_PS:g}")
        if args.dt < MIN_DT_PS:
            raise ValueError(f"--dt {args.dt:g} ps is below {MIN_DT_PS:g} ps, shorter than "
                             "any MD time step: is it in seconds? give the time between "
                             "frames in ps (2 fs = 0.002)")
        from ase_electrolyte.trajectory import is_h5md_path

        if is_h5md_path(traj):
            raise ValueError(f"--dt: {traj} is an H5MD file whose frames carry their own "
                             "times; leave out --dt")
    if args.lammps_units is not None and args.dump is None:
        raise ValueError("--lammps-units applies to a LAMMPS dump (--dump); leave it out")
    if args.lammps_units is not None:
        columns = dump_columns(args.dump)
        if columns is not None and not set(columns) & set(_UNIT_COLUMNS):
            # positions are in Å in both styles and the times come from --dt: the style
            # converts velocities and forces alone, and the dump has neither
            raise ValueError(
                f"--lammps-units {args.lammps_units}: {args.dump} holds no velocities or "
                f"forces (its columns: {' '.join(columns)}), the only numbers the unit style "
                "converts (positions are in Å in metal and real alike, times come from --dt); "
                "leave it out")


#: The columns of a LAMMPS dump whose units ``--lammps-units`` sets (velocities and forces).
_UNIT_COLUMNS = ("vx", "vy", "vz", "fx", "fy", "fz")


def dump_columns(path):
    """The per-atom columns of the first frame of the LAMMPS text dump ``path`` (``["id",
    "type", "x", "y", "z"]``), from its ``ITEM: ATOMS`` line; ``None`` where it is not found
    in the file's first 64 KiB or the file cannot be read (the reader then says what is
    wrong). Plain, gzip or bz2 files."""
    import bz2
    import gzip

    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(Path(path).suffix.lower(), open)
    try:
        with opener(path, "rb") as f:
            head = f.read(65536)
    except (OSError, EOFError):
        return None
    for line in head.split(b"\n"):
        words = line.split()
        if words[:2] == [b"ITEM:", b"ATOMS"]:
            return [w.decode("utf-8", "replace") for w in words[2:]]
    return None


#: MDAnalysis' column descriptions of the LAMMPS atom styles a data file names in a comment
#: (``Atoms # atomic``); MDAnalysis guesses "full" or "molecular" by column count, and failed on
#: the five columns of "atomic" ("supply a description of the atom_style as a keyword").
_ATOM_STYLES = {
    "atomic": "id type x y z",
    "charge": "id type charge x y z",
    "molecular": "id resid type x y z",
    "bond": "id resid type x y z",
    "angle": "id resid type x y z",
    "full": "id resid type charge x y z",
}


def lammps_atom_style(data):
    """The MDAnalysis ``atom_style`` of the LAMMPS data file ``data``, from the comment of its
    ``Atoms`` section header; ``None`` when it names none (MDAnalysis' guess by columns).

    Raises
    ------
    ValueError
        A style whose columns are not known here (``sphere``, ``ellipsoid`` ...), naming it.
    """
    with open(data, encoding="utf-8", errors="replace") as f:
        for line in f:
            head, _, comment = line.partition("#")
            if head.strip() != "Atoms":
                continue
            words = comment.split()
            if not words:
                return None
            if words[0] not in _ATOM_STYLES:
                raise ValueError(f"{data}: LAMMPS atom style {words[0]!r} (its Atoms section's "
                                 f"comment) is not read; known: {', '.join(_ATOM_STYLES)}")
            return _ATOM_STYLES[words[0]]
    return None


def _check_delivered(summary, only, report):
    """An analysis asked for by name that gave no result is an error (exit status 2).

    Some requirements are known only inside an analysis (the density needs the density
    observable of a run_md H5MD file): such an analysis returns ``{"skipped": reason}``; one
    that judged its input unfit returns ``{"refused": reason}`` (one frame for a diffusion
    coefficient), and with ``--keep-going`` one that raised is ``{"failed": reason}``. Asked
    for with ``--only``, none of them may end with exit status 0 and no result (a refusal or a
    recorded failure did); the summary with the reasons is written and printed first, and
    when no analysis asked for gave a result the error says that ``report`` holds the reasons
    alone (it was printed as ``report: ...``, a report of results, before the error).
    """
    def given(kind):
        return [f"{name} ({summary[name][kind]})" for name in dict.fromkeys(only)
                if isinstance(summary.get(name), dict) and kind in summary[name]]

    parts = []
    if given("skipped"):
        parts.append(f"skipped, the input lacks what it needs: {'; '.join(given('skipped'))}")
    for kind in ("refused", "failed"):
        if given(kind):
            parts.append(f"{kind}, no result: {'; '.join(given(kind))}")
    if parts:
        alone = (f"; {report} records the reasons alone, no result"
                 if A.gave_no_result(summary) else "")
        raise ValueError(f"--only: {'; '.join(parts)}{alone}")


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


def _check_requested_file(traj, only):
    """An analysis asked for by name that needs what the file cannot hold, known from its name
    (the observables of an H5MD file), is refused before the trajectory is read."""
    from mda_electrolyte.report import declared_analyses, unmet_file_requirements

    needs = declared_analyses()
    for name in only:
        missing = unmet_file_requirements(traj, needs[name])
        if missing:
            raise ValueError(f"--only {name}: the analysis needs {', '.join(missing)}, which "
                             f"{traj} is not; give the H5MD file of electrolyte simulate")


def _check_some_analysis_runs(universe, traj, model):
    """A trajectory on which no registered analysis can run is refused, before any runs.

    Frames without a periodic box, or in a non-H5MD file, skipped every analysis one by one
    and ended with exit status 0 and a ``summary.json`` of reasons only.
    """
    from mda_electrolyte.report import registered_analyses, unmet_requirements

    lacking = []
    for name, needs in registered_analyses().items():
        missing = unmet_requirements(universe, needs, object() if model else None)
        if not missing:
            return
        lacking.append(f"{name} needs {', '.join(missing)}")
    raise ValueError(f"no analysis can run on {traj}: {'; '.join(lacking)}")


def _check_model_can_be_used(universe):
    """``--model`` (without ``--only``) on a trajectory on which no analysis that evaluates a
    model can run is refused before the model loads.

    The model was loaded (seconds to minutes, gigabytes on a GPU) and every analysis that
    would use it skipped itself (no box for the volume scan, no reference forces for the
    errors): the same analyses without a word of the model.
    """
    from mda_electrolyte.report import registered_analyses, unmet_requirements

    lacking = []
    for name, needs in registered_analyses().items():
        if "calculator" not in needs:
            continue
        missing = unmet_requirements(universe, needs, object())
        if not missing:
            return
        lacking.append(f"{name} needs {', '.join(missing)}")
    raise ValueError(f"--model: no analysis that evaluates a model can run on this trajectory "
                     f"({'; '.join(lacking)}); leave out --model, or give a trajectory with "
                     "what they need")


def run_report(universe, out, calc, only, verbose, keep_going, source=None, **temperature):
    """Run the registered analyses; with ``keep_going`` a failing one is recorded, not fatal.
    ``temperature``: run_analyses' ``temperature``, ``constraints`` and ``com_removed``."""
    from mda_electrolyte.report import run_analyses

    return run_analyses(universe, out, calculator=calc, only=only, verbose=verbose,
                        keep_going=keep_going, source=source, **temperature)


#: run_analyses' keywords of the temperature, as the options of analyze name them.
_TEMPERATURE_FLAGS = {"temperature": "--temperature", "constraints": "--constraints",
                      "n_constraints": "--constraints",
                      "com_removed": "--com-removed"}


def _temperature_options(args):
    """run_analyses' ``temperature``, ``constraints`` and ``com_removed`` of the options."""
    return {"temperature": args.temperature, "constraints": args.constraints,
            "com_removed": None if args.com_removed is None else args.com_removed == "yes"}


def _com_removed_as_typed(text):
    """``text`` with the library's ``--com-removed False`` (its keyword's value, renamed) as
    the option is typed, ``--com-removed no``: "False" is no value the option takes."""
    import re

    return re.sub(r"--com-removed (True|False)\b",
                  lambda m: f"--com-removed {'yes' if m.group(1) == 'True' else 'no'}", text)


def _checked_temperature_settings(universe, **options):
    """The library's one check of the settings (it needs the Universe: a count against the
    file's own, the atoms' masses)."""
    from mda_electrolyte.report import check_temperature_settings as check

    return check(universe, options["temperature"], options["constraints"],
                 options["com_removed"])


def _check_temperature_options(args):
    """``--temperature``, ``--constraints`` and ``--com-removed``, before the trajectory is
    read: a temperature in K, a whole number of constraints >= 0, and not a temperature beside
    a count it would not use (the kinetic temperature they count is then not used)."""
    if args.temperature is not None:
        # simulate's check and messages: a temperature <= 0 is told its reading in °C
        A.check_temperature(args.temperature)
    if args.constraints is not None and args.constraints < 0:
        raise ValueError(f"--constraints {args.constraints}: give the holonomic constraints of "
                         "the run, a whole number >= 0 (3 per rigid water, 1 per constrained "
                         "bond)")
    if args.temperature is not None and (args.constraints is not None
                                         or args.com_removed is not None):
        raise ValueError("--temperature is used as given, so --constraints and --com-removed, "
                         "which count the velocities' kinetic temperature, would change "
                         "nothing: give the temperature or the count, not both")


def header_atoms(traj, lammps_data=False):
    """The number of atoms the file ``traj`` states in its header, read without reading a
    frame; ``None`` where the format states none this reads, or the header cannot be read.

    H5MD (the shape of its one particle group's positions), XYZ/extended XYZ (the first
    line), GROMACS .gro (the second line) and, with ``lammps_data``, a LAMMPS data file (its
    ``N atoms`` line among the first 100).
    """
    from ase_electrolyte.trajectory import is_h5md_path

    suffix = traj.suffix.lower()
    try:
        if is_h5md_path(traj):
            import h5py

            with h5py.File(traj, "r", locking=False) as f:
                groups = list(f.get("particles", {}).values())
                if len(groups) != 1:
                    return None
                return int(groups[0]["position/value"].shape[1])
        with open(traj, encoding="utf-8", errors="replace") as f:
            if suffix in (".xyz", ".extxyz", ".gro"):
                if suffix == ".gro":
                    f.readline()  # the title
                words = f.readline().split()
                return int(words[0]) if len(words) == 1 else None
            if not lammps_data:
                return None
            for _, line in zip(range(100), f, strict=False):
                words = line.partition("#")[0].split()
                if len(words) == 2 and words[1] == "atoms":
                    return int(words[0])
    except (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError):
        return None
    return None


def _check_constraints_fit(args, traj):
    """``--constraints`` no more than the coordinates of the atoms the file's header states
    (3N, less the centre of mass's 3 unless ``--com-removed no``), before the frames are read.

    ``--constraints 100000`` on a small box was refused only once every frame had been read
    (seconds to minutes for a long extxyz file). The header counts every atom, the library's
    check only those with mass (a massless virtual site has no degree of freedom): a count
    refused here is refused there, and a count this lets through is still checked there.
    """
    if args.constraints is None:
        return
    n_atoms = header_atoms(traj, lammps_data=args.dump is not None)
    if n_atoms is None or n_atoms < 1:
        return  # the reader says what the file holds; the library checks the count then
    from ase_electrolyte.md import temperature_dof

    com = args.com_removed != "no"
    with A.options_named(_TEMPERATURE_FLAGS, warnings_too=False):
        dof = temperature_dof(n_atoms, args.constraints, com)
    if dof == 0:
        raise ValueError(
            f"--constraints {args.constraints}: {traj} holds {n_atoms} atoms, whose "
            f"{3 * n_atoms - 3 * (com and n_atoms > 1)} coordinates"
            f"{' about their centre of mass' if com and n_atoms > 1 else ''} the constraints "
            "would take every one: no degree of freedom, no temperature; count independent "
            "constraints only (3 per rigid water, 1 per constrained bond)")


def _check_count_against_file(args, traj):
    """``--constraints`` or ``--com-removed`` that contradict the count of the temperatures an
    H5MD file of ``electrolyte simulate`` states, refused before its frames are read.

    The library refuses them too (:func:`mda_electrolyte.report.check_temperature_settings`),
    but only once every frame had been read into memory: seconds to minutes for a long run.
    The statement and the masses the run integrated with are read from the file's metadata,
    the count as the library makes it (N counts the atoms with mass).
    """
    if args.constraints is None and args.com_removed is None:
        return
    from ase_electrolyte.trajectory import (
        integration_masses,
        is_h5md_path,
        stated_temperature_count,
    )

    if not is_h5md_path(traj):
        return
    stated = stated_temperature_count(traj)
    try:
        masses = integration_masses(traj)
    except ValueError:
        return  # a damaged file: the reader names it
    if stated is None or masses is None:
        return
    n_atoms = int((masses > 0).sum())
    dof, com = stated
    if not 0 < dof <= 3 * n_atoms:
        return  # a statement the library does not use either
    file_constraints = 3 * n_atoms - 3 * (com and n_atoms > 1) - dof
    typed = [] if args.constraints is None else [f"--constraints {args.constraints}"]
    if args.com_removed is not None:
        typed.append(f"--com-removed {args.com_removed}")
    if ((args.constraints is not None and args.constraints != file_constraints)
            or (args.com_removed is not None and (args.com_removed == "yes") != com)):
        raise ValueError(
            f"{', '.join(typed)} contradicts {traj}, whose run states the count of its "
            f"temperatures: {dof} degrees of freedom ({file_constraints} constraints, centre "
            f"of mass {'at rest' if com else 'moving'}); leave out --constraints and --com-removed "
            "(the file's count is used), or give the file's values")


def _check_dt_fits_stored_times(args, traj):
    """``--dt`` over an ASE file whose frames carry evenly spaced times of another spacing,
    refused from the frames' headers before the frames are read.

    The library refuses it too (:func:`mda_electrolyte.bridge.from_ase`: a dt overrides uneven
    stored times only), but only once every frame had been read: minutes for a long extxyz
    file, then the refusal. The times of an extended XYZ file stand in its comment lines and
    those of an ASE ``.traj`` file in each frame's header, both read here without the atoms.
    """
    if args.dt is None or args.dump is not None:
        return
    times = _stored_frame_times(traj)
    if not times or len(times) < 2 or any(t is None for t in times):
        return  # none stored, or some frames without: the library's rule (dt overrides)
    from mda_electrolyte.bridge import check_dt_against_times

    try:
        check_dt_against_times(args.dt, times)
    except ValueError:
        stored = times[1] - times[0]
        # info['time_ps'] quoted: a bare keyword-like word in a refusal imports every
        # analysis module (seconds) to look for Python keywords to mark
        raise ValueError(f"--dt {args.dt:g} ps: the frames of {traj} carry their own times "
                         f"(info['time_ps']), evenly {stored:g} ps apart: leave out --dt (the "
                         f"stored times are used), or give --dt {stored:g}") from None


def _stored_frame_times(traj):
    """``time_ps`` of every frame of an (extended) XYZ or ASE ``.traj`` file, None for a frame
    without one, read from the frames' headers alone; None for another format or a file
    that cannot be read so (the reader then says what is wrong)."""
    import math

    suffix = traj.suffix.lower()
    times = []
    try:
        if suffix in (".xyz", ".extxyz"):
            from ase.io.extxyz import key_val_str_to_dict

            with open(traj, encoding="utf-8", errors="replace") as f:
                for count in f:
                    if not count.strip():
                        break  # trailing blank lines
                    n = int(count)
                    info = key_val_str_to_dict(f.readline())
                    for _ in range(n):
                        if not f.readline():
                            return None  # cut short: the reader names it
                    times.append(info.get("time_ps"))
        elif suffix == ".traj":
            from ase.io.trajectory import Trajectory

            with Trajectory(traj) as frames:
                times = [frames.backend[k].get("info", {}).get("time_ps")
                         for k in range(len(frames))]
        else:
            return None
        times = [None if t is None else float(t) for t in times]
    except Exception:  # noqa: BLE001 - any fault here is the reader's to name
        return None
    return times if all(t is None or math.isfinite(t) for t in times) else None


def input_record(traj, dump, universe):
    """What ``analyze`` analysed, for the summary: the file(s), the frames read and, of an H5MD
    file of a run, whether that run had finished.

    The frames of an interrupted run were analysed with a warning on the terminal only: its
    ``summary.json`` read as that of the whole run.
    """
    from ase_electrolyte.trajectory import h5md_info
    from mda_electrolyte.observables import is_h5md_path

    record = {"trajectory": str(traj)}
    if dump is not None:
        record["dump"] = str(dump)
    record["frames"] = int(universe.trajectory.n_frames)
    if is_h5md_path(traj):
        info = h5md_info(traj)
        finished = bool(info["complete"])
        record["run_finished"] = finished
        if "conserved_energy" in info["series"]:
            from ase_electrolyte.estimate import Estimate
            from ase_electrolyte.md import energy_drift

            # whether the run's time step was short enough for its model, with its verdict:
            # the analyses of a run whose energy drifts are of a wrong ensemble
            try:
                drift = energy_drift(traj)
            except (ValueError, OSError, KeyError) as err:
                # a damaged series costs the judgement, not the analyses
                drift = Estimate.invalid(float("nan"), float("nan"), "meV/atom/ps",
                                         "energy_drift", f"not computed: {err}")
            record["energy_drift"] = drift.to_dict()
        if not finished:
            record["note"] = (f"the run that wrote it had not finished (interrupted): the "
                              f"analyses are of the {record['frames']} frames it had written, "
                              "not of the whole run")
    return record


