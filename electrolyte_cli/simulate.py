"""``electrolyte simulate``: build a box and run the MD protocol of Ju et al. (2025)."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

from . import arguments as A


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    sim = sub.add_parser(
        "simulate", help="build a box and run the MD protocol of Ju et al. (2025)",
        description="Pack an electrolyte box (PACKMOL, box edge 1.1·V0^(1/3) from the van der "
        "Waals volumes, Li+ spread over the box) and run the protocol of Ju et al. (2025): "
        "loose relaxation, NPT pre-equilibration (2 fs, hydrogen mass 3 amu), NPT equilibration "
        "(1 fs), production. Units: K, bar, ps, fs, g/cm³, eV/Å. Running it again on the same "
        "folder resumes an interrupted run.",
    )
    comp = sim.add_argument_group("composition")
    comp.add_argument("--solvent", help="solvent shares, e.g. EC:3,EMC:7")
    comp.add_argument(
        "--ratio",
        type=A.composition_word("ratio"),
        default=None,
        help="meaning of the solvent shares: mass (also weight, wt), mole (also molar, mol) or "
        "volume (also v/v: the pure liquids' volumes before mixing); default: mass",
    )
    comp.add_argument("--salt", default=None, help="LiPF6, LiFSI, LiTFSI, NaPF6, KPF6")
    comp.add_argument(
        "--concentration", type=float, default=None,
        help="salt concentration (needed with --salt; see --units)",
    )
    comp.add_argument(
        "--units",
        type=A.composition_word("units"),
        default=None,
        help="mol/kg solvent (molal, also mol/kg; the default) or mol/L solution (molar, "
        "also mol/L; needs --density)",
    )
    comp.add_argument(
        "--counts", default=None, help="explicit molecule counts, e.g. EC=30,Li=3,PF6=3"
    )
    comp.add_argument(
        "--n-atoms", type=int, default=None,
        help="target number of atoms (default 1000, about the size of Ju et al. (2025))",
    )
    comp.add_argument(
        "--density",
        type=float,
        default=None,
        help="g/cm³ (default: Ju et al. (2025) box from van der Waals volumes)",
    )
    comp.add_argument(
        "--seed", type=int, default=0,
        help="seeds the conformers, the packing and the velocities (0 ... 2147483646)",
    )
    A.add_model_args(sim, required=True)
    md = sim.add_argument_group("protocol")
    md.add_argument("--temperature", type=float, default=298.0, help="K (default 298)")
    md.add_argument("--pressure", type=float, default=None,
                    help="bar, of the NPT stages (default 1 atm)")
    md.add_argument(
        "--relax-fmax", type=float, default=2.0,
        # the bounds of ase_electrolyte.md (MIN_RELAX_FMAX, MAX_RELAX_FMAX), written out to
        # keep the CLI's start free of the MD module (a test checks they are equal)
        help="eV/Å, largest force after the loose relaxation, from 1e-06 to 100 (default 2, "
        "Ju et al. (2025))",
    )
    md.add_argument(
        "--preequilibration-ps", type=float, default=1000.0,
        help="ps of NPT at a 2 fs step with hydrogen mass 3 amu (default 1000, Ju et al. (2025))",
    )
    md.add_argument(
        "--equilibration-ps", type=float, default=200.0,
        help="ps of NPT at 1 fs with real masses (default 200, Ju et al. (2025))",
    )
    md.add_argument(
        "--production-ps", type=float, default=200.0,
        help="ps of production (default 200, Ju et al. (2025))",
    )
    md.add_argument(
        "--ensemble", type=A.choice("--ensemble", ("npt", "nvt", "nve")), default="nvt",
        choices=("npt", "nvt", "nve"),
        help="production ensemble: nvt (default; at the mean density of the equilibrated NPT run, "
        "charge current and pressure tensor every step, for transport) or npt (densities)",
    )
    md.add_argument(
        "--write-interval-fs", type=float, default=100.0,
        help="fs between written frames (default 100)",
    )
    sim.add_argument("-o", "--output", default="electrolyte_run", help="output folder")
    sim.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def _protocol_options(args):
    """The protocol keywords of :func:`ase_electrolyte.md.run_protocol` named by the arguments."""
    return {
        "temperature_K": args.temperature,
        "pressure_bar": args.pressure,
        "relax_fmax": args.relax_fmax,
        "preequilibration_ps": args.preequilibration_ps,
        "equilibration_ps": args.equilibration_ps,
        "production_ps": args.production_ps,
        "production_ensemble": args.ensemble,
        "write_interval_fs": args.write_interval_fs,
    }


#: The option of each keyword of :func:`_protocol_options`, named in the library's errors.
PROTOCOL_FLAGS = {
    "temperature_K": "--temperature",
    "pressure_bar": "--pressure",
    "relax_fmax": "--relax-fmax",
    "preequilibration_ps": "--preequilibration-ps",
    "equilibration_ps": "--equilibration-ps",
    "production_ps": "--production-ps",
    "production_ensemble": "--ensemble",
    "write_interval_fs": "--write-interval-fs",
}


def check_protocol(args):
    """The protocol's stage lengths, interval, temperature and pressure, errors naming options."""
    from ase_electrolyte.md import check_protocol_arguments

    with A.options_named(PROTOCOL_FLAGS):
        check_protocol_arguments(**_protocol_options(args))


#: Fewest volume samples of the NPT stage whose mean volume an NVT or NVE production takes:
#: the mean is taken after the detected equilibration (Ju et al. 2025), which
#: :func:`mda_electrolyte.uncertainty.detect_equilibration` finds in no fewer samples; with
#: fewer, :func:`ase_electrolyte.md.run_protocol` averages every sample, the unequilibrated
#: start included (one step: the volume before the stage's only step). It is
#: :data:`mda_electrolyte.uncertainty.MIN_SERIES_SAMPLES`, written out to keep the CLI's start
#: free of scipy (a test checks they are equal).
MIN_MEAN_VOLUME_SAMPLES = 4


def check_mean_volume_stage(args, out=None):
    """An NVT or NVE production after an NPT stage too short to average its volume is refused.

    The production runs at the mean volume of the equilibration (or, without one, of the
    pre-equilibration) after detected equilibration (Ju et al. 2025). ``--equilibration-ps
    0.001`` is one NPT step: one volume sample, taken before the step, so the production ran
    at the volume the stage started from, and a long pre-equilibration's mean was not used.
    Checked through the protocol's own steps (:func:`ase_electrolyte.md.protocol_steps`),
    before any packing.

    Only a stage yet to start is refused: a folder ``out`` that holds the stage's file (a run
    of an earlier version, which started such stages) is resumed, with a warning that its
    production runs, or ran, at the mean of every volume sample. Such a folder could be
    neither finished nor reused (its settings repeated were refused before anything was read);
    its numbers are judged by the analyses, as any run's.

    Parameters
    ----------
    args : argparse.Namespace
        The protocol settings (stage lengths in ps, ``write_interval_fs``, ``ensemble``).
    out : str or os.PathLike, optional
        The output folder, whose stage files tell a stage already started from one to start.

    Raises
    ------
    ValueError
        A stage to start with fewer than :data:`MIN_MEAN_VOLUME_SAMPLES` volume samples,
        naming its option and the shortest length that has enough.
    """
    from ase_electrolyte.md import protocol_steps

    if args.ensemble == "npt":
        return
    plan = protocol_steps(
        preequilibration_ps=args.preequilibration_ps, equilibration_ps=args.equilibration_ps,
        production_ps=args.production_ps, write_interval_fs=args.write_interval_fs)
    stage = next((name for name in ("equilibration", "preequilibration")
                  if plan[name].steps > 0), None)
    if stage is None:
        return  # no NPT stage: the production keeps the packed volume, and says so
    steps, every = plan[stage].steps, plan[stage].observe_interval
    samples = steps // every + 1
    if samples >= MIN_MEAN_VOLUME_SAMPLES:
        return
    flag = f"--{stage}-ps"
    if out is not None and _holds_stage(Path(out) / f"{stage}.h5md"):
        started = Path(out) / f"{stage}.h5md"
        import warnings

        warnings.warn(
            f"{started} is an NPT stage of {steps} step{'s' * (steps != 1)} with {samples} "
            f"volume sample{'s' * (samples != 1)}, fewer than the {MIN_MEAN_VOLUME_SAMPLES} "
            f"that equilibration detection needs (a run of an earlier version): its "
            f"{args.ensemble.upper()} production runs, or ran, at the mean of all of them, the "
            f"unequilibrated start included; resumed as it was started (a new run refuses "
            f"such a stage)", UserWarning, stacklevel=2)
        return
    shortest = (MIN_MEAN_VOLUME_SAMPLES - 1) * every * plan[stage].timestep_fs / 1000.0
    other = ("0 to take the pre-equilibration's" if stage == "equilibration"
             and args.preequilibration_ps > 0 else "--ensemble npt")
    raise ValueError(
        f"{flag} {getattr(args, stage + '_ps'):g}: {steps} NPT step{'s' * (steps != 1)} "
        f"record{'s' * (steps == 1)} {samples} volume sample{'s' * (samples != 1)}; the "
        f"{args.ensemble.upper()} production runs at the stage's mean volume after its "
        f"detected equilibration, which needs at least {MIN_MEAN_VOLUME_SAMPLES} "
        f"({shortest:g} ps): give at least {shortest:g} ps, or {other}")


def _check_simulate(args):
    """Every argument of ``simulate``, before any packing or model loading."""
    from ase_electrolyte.atoms_checks import check_number

    # the range the help states (that of electrolyte_box); 2**31 - 1 failed only after the
    # output folder had been claimed. First, with the option words: the protocol's checks
    # import the MD module (scipy's constants, ASE's integrators), a second on a loaded machine
    check_number("--seed", args.seed, integer=True, minimum=0, maximum=2**31 - 2)
    A.check_dispersion(args.dispersion)
    from ase_electrolyte.md import ONE_ATM_BAR

    given_pressure = args.pressure
    if args.pressure is None:
        args.pressure = ONE_ATM_BAR
    check_protocol(args)
    check_mean_volume_stage(args, args.output)
    if given_pressure is not None and not (
            args.preequilibration_ps > 0 or args.equilibration_ps > 0 or args.ensemble == "npt"):
        # the box kept its packed volume and the pressure asked for was ignored without a word
        raise ValueError(
            f"--pressure {given_pressure:g}: no stage of this protocol holds a pressure "
            f"(--preequilibration-ps 0, --equilibration-ps 0 and a {args.ensemble} production "
            "keep the packed volume); leave out --pressure, or give an NPT stage")
    from ase_electrolyte.build import check_density

    # electrolyte_box's check, which refused 1e308 only after the folder was claimed, and
    # tells a density in kg/m³ (1200) its reading in g/cm³
    check_density(args.density, "--density (g/cm³)")
    if args.counts is not None:
        if args.solvent is not None or args.salt is not None:
            raise ValueError("give --counts or --solvent/--salt, not both")
        # the counts fix the box: these were ignored without a word
        for flag, value in (("--concentration", args.concentration), ("--units", args.units),
                            ("--ratio", args.ratio), ("--n-atoms", args.n_atoms)):
            if value is not None:
                raise ValueError(f"{flag} does not apply to --counts (the counts fix the box); "
                                 "leave it out, or give --solvent/--salt instead of --counts")
        counts = A.parse_mapping(args.counts, "--counts")
        for name, value in counts.items():
            if not math.isfinite(value) or value != int(value) or value < 0:
                raise ValueError(f"--counts {name}={value}: counts are whole numbers >= 0")
        _check_names(counts, "--counts")
        if sum(counts.values()) == 0:
            raise ValueError(f"--counts {args.counts}: no molecule to pack (every count is 0)")
        zero = [name for name, value in counts.items() if value == 0]
        if zero:
            # dropped from the box and its composition without a word: a typo for 10, or a
            # species meant to be there, ran the protocol on another electrolyte
            raise ValueError(f"--counts {args.counts}: {', '.join(zero)} counted 0, which packs "
                             f"none; leave {'it' if len(zero) == 1 else 'them'} out, or give "
                             "the molecules meant")
        _check_count_box(args.counts, counts)
    else:
        if not args.solvent:
            raise ValueError("give --solvent (e.g. EC:3,EMC:7) or --counts")
        if args.salt is None:
            # --units molar packed the pure solvent as --units molal would, without a word
            for flag, value in (("--concentration", args.concentration),
                                ("--units", args.units)):
                if value is not None:
                    raise ValueError(f"{flag} applies to a --salt, and none is given; give "
                                     f"--salt, or leave out {flag} for a pure solvent")
        given_ratio = args.ratio
        args.units = args.units or "molal"
        args.ratio = args.ratio or "mass"
        args.n_atoms = 1000 if args.n_atoms is None else args.n_atoms
        shares = A.parse_mapping(args.solvent, "--solvent")
        for name, value in shares.items():
            # a share of 0 was refused later as "solvent share of EC must be ...", without the
            # option's name
            check_number(f"--solvent share of {name}", value, above=0)
        _check_names(shares, "--solvent")
        check_shares(args.solvent, shares, given_ratio)
        if args.salt is not None:
            from ase_electrolyte.species import get_salt

            _check_one_salt(args.salt, shares)
            with A.about("--salt"):
                get_salt(args.salt)
        check_number("--concentration", args.concentration, minimum=0, allow_none=True)
        if args.salt and not args.concentration:
            # argparse's default would otherwise pack the solvent alone and call it the salt's box
            raise ValueError(
                f"--salt {args.salt} needs a --concentration > 0 (mol/kg of solvent, or mol/L "
                "with --units molar); leave out --salt for a pure solvent"
            )
        if args.n_atoms < 1:
            raise ValueError(f"--n-atoms must be >= 1, not {args.n_atoms}")
        if args.units == "molar" and args.density is None:
            raise ValueError("--units molar (mol/L of solution) needs the solution's --density "
                             "(g/cm³) to count the molecules; give --density, or use --units "
                             "molal")
        # the molecule counts are cheap: unknown species, a molar concentration without a
        # density or a box too small for one ion pair are named before the folder is made
        with A.options_named(_COMPOSITION_FLAGS, mappings=True):
            _composition(args)
    A.check_output(args.output, "simulate")
    check_run_files(args.output)
    args.modal = A.modal_word(args.model, args.modal)
    A.check_model_args(args.model, args.dispersion, args.device, modal=args.modal)


#: The files a run of the protocol writes into its folder (:func:`run_protocol_into`).
RUN_FILES = ("initial.extxyz", *(f"{stage}.h5md" for stage in
                                  ("relaxed", "preequilibration", "equilibration",
                                   "production")), "simulation.json")


def check_run_files(out):
    """A folder (or a link that loops) where a run writes one of :data:`RUN_FILES` is refused
    before packing: ``production.h5md`` as a folder failed after the relaxation and both NPT
    stages, ``simulation.json`` after the whole protocol. So is a ``simulation.json`` its owner
    made read-only, which every run rewrites last: it was refused only after the protocol ran
    (a read-only stage file is named by its stage when it must be resumed, before its work)."""
    from mda_electrolyte.report import check_outputs, check_replaceable

    check_outputs(out, list(RUN_FILES))
    check_replaceable(out, ["simulation.json"])


#: The option of each keyword of :func:`ase_electrolyte.build.composition_counts` it sets,
#: and of the counts it advises (which ``--counts`` packs).
_COMPOSITION_FLAGS = {"n_atoms": "--n-atoms", "concentration": "--concentration",
                      "density": "--density", "salt": "--salt", "units": "--units",
                      "ratio": "--ratio", "counts would be": "--counts would be"}


def _check_names(mapping, flag):
    """Every name of ``--solvent`` or ``--counts`` is a species of the library, each once.

    Two spellings of one species (``EC:1,ec:2``, ``EC=2,Ethylene carbonate=2``) were refused
    by the library without the option's name, ``--counts`` only after the folder was claimed.
    """
    from ase_electrolyte.species import get_species

    seen = {}
    with A.about(flag):
        for name in mapping:
            _check_not_a_salt(name, mapping[name], flag)
            species = get_species(name).name
            if species in seen:
                raise ValueError(f"{seen[species]} and {name} name the same species "
                                 f"({species}); give each species once")
            seen[species] = name


def _check_not_a_salt(name, value, flag):
    """A salt's name in ``--counts`` or ``--solvent`` is refused with the options that give it.

    The library's refusal named its Python keywords ("LiPF6 is a salt: give it as salt=, its
    ions as species ... for anything else pass Species(name, smiles)"), options the command does
    not have. Now ``--counts LiPF6=2`` is told its ions (``Li=2,PF6=2``), and ``--solvent
    EC:3,LiPF6:1`` the ``--salt`` and ``--concentration`` that add a salt to a solvent.
    """
    from ase_electrolyte.species import get_salt

    try:
        salt = get_salt(name)
    except (ValueError, TypeError):
        return  # no salt: the species check names it
    if flag == "--counts":
        # a count is a whole number here (checked before the names)
        ions = ",".join(f"{ion.name}={int(value) * k}" for ion, k in
                        zip((salt.cation, salt.anion), salt.stoichiometry, strict=True))
        raise ValueError(f"{salt.name} is a salt, and --counts counts molecules and ions: give "
                         f"its ions ({ions} for {name}={int(value)})")
    raise ValueError(f"{salt.name} is a salt, not a solvent; give it as --salt {salt.name} "
                     "with its --concentration, beside the solvents of --solvent")


def _check_count_box(text, counts):
    """The box of ``--counts`` is one :func:`~ase_electrolyte.build.electrolyte_box` packs:
    at most :data:`~ase_electrolyte.build.MAX_ATOMS` atoms, no net charge.

    ``--counts EC=1e300,Li=1,PF6=1`` was refused by the disk-room check in a line that wrote
    out the box's 301-digit atom count; ``--counts Li=1`` by the library without the option's
    name or a cure.

    Parameters
    ----------
    text : str
        ``--counts`` as typed.
    counts : dict
        Its counts by name (each a whole number >= 0, each species known and named once).

    Raises
    ------
    ValueError
        More than ``MAX_ATOMS`` atoms (the total in a power of ten when beyond a machine's
        reach), or a net charge (its value in e and the counts that would cancel it).
    """
    from ase_electrolyte.build import MAX_ATOMS
    from ase_electrolyte.species import get_species

    species = {get_species(name): int(n) for name, n in counts.items()}
    atoms = sum(sp.n_atoms * n for sp, n in species.items())
    if atoms > MAX_ATOMS:
        shown = f"{atoms}" if atoms < 1e15 else f"{float(atoms):.3g}"
        raise ValueError(f"--counts {text}: the box would hold {shown} atoms, more than the "
                         f"{MAX_ATOMS} that PACKMOL and a machine-learned potential handle; is "
                         "a count mistyped?")
    net = sum(sp.charge * n for sp, n in species.items())
    if net:
        ions = ", ".join(f"{sp.name} {sp.charge:+g} e each" for sp in species if sp.charge)
        raise ValueError(f"--counts {text}: the box has a net charge of {net:+g} e ({ions}); "
                         "an electrolyte box is neutral: give counts whose ion charges cancel "
                         "(e.g. Li=3,PF6=3)")


#: How far from 1 the shares of ``--solvent`` may sum when each is below 1 (written as
#: fractions): rounded thirds (0.33 three times) pass, a solvent left out does not.
FRACTION_SUM_TOLERANCE = 0.02


def check_shares(text, shares, ratio=None):
    """The ``--solvent`` shares make a ratio: refused, before any packing, where they do not.

    Parameters
    ----------
    text : str
        ``--solvent`` as typed.
    shares : dict
        Its shares by name (each finite and > 0).
    ratio : str, optional
        ``--ratio`` as given (``None`` when left out).

    Raises
    ------
    ValueError
        ``--ratio`` with one solvent (a ratio of one solvent means nothing: ``--solvent EC:1
        --ratio mole`` was accepted); shares written as fractions, each below 1, that do not
        sum to 1 within :data:`FRACTION_SUM_TOLERANCE` (``EC:0.3,EMC:0.3`` was packed as 1:1,
        ``EC:0.3`` as pure EC: a solvent left out, or a typo); shares whose sum, or whose
        ratio, is beyond floating point (``EC:1e308,EMC:1e308 --ratio mole`` ended in an
        internal ZeroDivisionError, ``EC:1e-323,EMC:1e-323`` in "cannot convert float NaN to
        integer").
    """
    values = list(shares.values())
    if ratio is not None and len(shares) == 1:
        raise ValueError(f"--ratio {ratio}: --solvent {text} names one solvent, and a ratio of "
                         "one solvent means nothing; leave out --ratio, or give every solvent "
                         "with its share (e.g. EC:3,EMC:7)")
    total = sum(values)
    if all(v < 1 for v in values) and abs(total - 1) > FRACTION_SUM_TOLERANCE:
        raise ValueError(f"--solvent {text}: shares written as fractions (each below 1) sum to "
                         f"{total:.3g}, not 1: is a solvent left out? give fractions that sum "
                         "to 1, or parts (e.g. EC:3,EMC:7)")
    if not math.isfinite(total) or min(values) / max(values) < _SMALLEST_SHARE_RATIO:
        raise ValueError(f"--solvent {text}: shares between {min(values):g} and "
                         f"{max(values):g} are beyond what floating point divides (their sum "
                         "or ratio overflows); give parts of ordinary size (e.g. EC:3,EMC:7)")


#: Smallest ratio of two ``--solvent`` shares: below it a share is a subnormal number of the
#: largest's, whose mass or mole fraction has no significant digit left.
_SMALLEST_SHARE_RATIO = 1e-300


def _composition(args):
    """Molecule counts of ``--solvent``/``--salt``/``--concentration`` (no packing)."""
    from ase_electrolyte.build import composition_counts, composition_density
    from ase_electrolyte.units import warn_implausible

    # --density is the box's density; it converts the concentration only in mol/L
    density = composition_density(args.units, args.density)
    if density is None and args.density is not None:
        # composition_counts doubts a molar composition's density; a molal one's it is not
        # given, and --density 0.0012 (kg/L meant as g/cm³?) went unsaid until packing
        warn_implausible(density_g_cm3=args.density, density_measured=False)
    return composition_counts(
        A.parse_mapping(args.solvent, "solvent"),
        args.salt,
        args.concentration or 0.0,
        units=args.units,
        n_atoms=args.n_atoms,
        ratio=args.ratio,
        density=density,
    )


def run(args):
    # a warning of a check (a rounded interval) beside a later refusal made it several lines
    with A.warnings_after_checks():
        _check_simulate(args)
    with A.claim_output_folder(args.output):
        return _run(args)


#: The option of each keyword of :func:`ase_electrolyte.build.electrolyte_box` that
#: ``simulate`` sets; its other keywords (``packmol_timeout``, ``tolerance``, ...) it has none
#: for.
BOX_OPTIONS = {**_COMPOSITION_FLAGS, "counts": "--counts", "seed": "--seed",
               "temperature_K": "--temperature"}


@contextlib.contextmanager
def builder_advice():
    """The box builder's refusals name the options of ``simulate``, and mark its Python
    keywords the command has no option for.

    ``--counts H2O=300000`` was told to "pack a box of at most 202890 atoms and replicate it
    with replicate_box(atoms, (2, 2, 2)), or give a longer packmol_timeout": a function and a
    keyword no option of the command sets, read as something to type. They are marked
    :data:`~electrolyte_cli.arguments.PYTHON_ONLY`, with a note saying what that means; a
    keyword the command has an option for is named by it (:data:`BOX_OPTIONS`).
    """
    try:
        with A.options_named(BOX_OPTIONS, mappings=True):
            yield
    except (ValueError, RuntimeError) as err:
        text, marked = A.python_only(str(err), BOX_OPTIONS, A.builder_keywords())
        if not marked:
            raise
        err.args = (f"{text}; {A.PYTHON_ONLY}: a keyword of the box builder in Python "
                    "(ase_electrolyte.build), not an option of electrolyte simulate, "
                    "which packs with its defaults", *err.args[1:])
        raise


def _check_one_salt(salt, shares):
    """A ``--salt`` that mixes library salts (``LiPF6+LiFSI``) is refused with the
    ``--counts`` that packs it.

    The library's refusal advised ``counts={solvent: ..., 'Li': n1 + n2, ...}`` and
    ``Salt(...)``: Python, which the command does not take.
    """
    from ase_electrolyte.species import mixture_ion_counts, salt_mixture

    salts = salt_mixture(salt)
    if not salts:
        return
    ions = ",".join(f"{ion}={terms.replace(' ', '')}"
                    for ion, terms in mixture_ion_counts(salts).items())
    solvents = ",".join(f"{name}=N{k}" for k, name in enumerate(shares, 1))
    units = ", ".join(f"n{k}" for k in range(1, len(salts) + 1))
    raise ValueError(
        f"--salt {salt}: a mixture of {' and '.join(s.name for s in salts)}, and a "
        "--solvent/--salt box holds one salt; pack the mixture by its molecules instead: "
        f"--counts {solvents},{ions} with {units} the formula units of each salt (at a "
        "molality c in mol/kg, c × the solvent molecules' total molar mass in g/mol / 1000, "
        "rounded)")


def _box_settings(args):
    """What, besides the composition, made the packed box: recorded in ``initial.extxyz``."""
    return {
        "box_seed": int(args.seed),
        "box_density_g_cm3": "van der Waals" if args.density is None else float(args.density),
    }


def check_resumable(out, composition, box_settings, args, options=None):
    """A folder that holds a run of another box or protocol is refused, before packing or
    loading anything (``simulate`` and ``demo``).

    Parameters
    ----------
    out : pathlib.Path
        The output folder.
    composition : dict
        Species name → count of the box these arguments pack (as ``info["composition"]``).
    box_settings : dict
        What else made the box, as ``initial.extxyz`` records it: ``box_seed`` (``--seed``)
        and ``box_density_g_cm3`` (``--density``, or ``"van der Waals"``); empty where the
        command fixes the box.
    args : argparse.Namespace
        The protocol settings: ``temperature``, ``pressure``, ``relax_fmax``, the stage
        lengths ``preequilibration_ps``, ``equilibration_ps``, ``production_ps`` (ps),
        ``ensemble``, ``write_interval_fs`` and ``seed``.
    options : set of str, optional
        The protocol options the command takes (default: all of ``simulate``'s); a setting
        the command fixes is named as such, not as an option to give.
    """
    _check_box_settings(out, composition, box_settings)
    skipped = {stage for stage, steps in _stage_plan(args).items() if not steps.steps}
    _check_stage_files(out, skipped)
    _check_run_settings(out, args, options, skipped)


def _check_skipped_stage(out, stage, args):
    """A file under the name of ``stage``, which these settings do not run, is refused before
    packing.

    The library refuses it too (:func:`ase_electrolyte.md.run_protocol`, in the same words),
    but only once the box was packed and the model loaded; and only a stage file with frames
    was refused here, by length 0 alone: an empty or damaged ``equilibration.h5md`` beside
    ``--equilibration-ps 0`` was told to be removed "to run that stage anew", a stage this run
    does not run, and someone's notes under the name reached the library. A stage runs where
    the protocol's own plan (:func:`ase_electrolyte.md.protocol_steps`) gives it steps.
    """
    path, flag = out / f"{stage}.h5md", _STAGES[stage]
    try:
        there = path.exists() or path.is_symlink()
    except OSError:
        return  # a folder that cannot be looked at: its own check names it
    if there:
        length = getattr(args, f"{stage}_ps")
        raise ValueError(
            f"{path} is the {stage} stage of an earlier run, and this run skips that stage "
            f"({flag} {length:g}): left beside this run's stages it would be taken for one "
            "of them; refused before the box is packed; remove it or choose another "
            "output folder")


def _check_stage_files(out, skipped=()):
    """A stage file the resume cannot read is refused before packing or loading anything.

    A truncated or foreign ``production.h5md`` was found by the protocol only after the model
    had loaded, and its message advised ``overwrite=True``, a keyword of the Python function
    that the command does not have. The files of the ``skipped`` stages (which these
    settings do not run) are left to :func:`_check_skipped_stage`.
    """
    from ase_electrolyte.md import stage_file_problem

    stages = [stage for stage in _STAGES if stage not in skipped]
    for k, stage in enumerate(stages):
        path = out / f"{stage}.h5md"
        try:
            why = stage_file_problem(path)
        except OSError:
            continue  # a file that cannot be looked at: the folder's own checks name it
        if why is not None:
            later = [f"{s}.h5md" for s in stages[k + 1:] if (out / f"{s}.h5md").exists()]
            also = f" and the later stages' files ({', '.join(later)})" if later else ""
            raise ValueError(
                f"{path} (the {stage} stage of this folder's run) cannot be read ({why}); "
                f"it is left as it is: remove it{also} and run the same command again to run "
                f"{'that stage' if not also else 'those stages'} anew, or choose another "
                "output folder")


def _held_molality(atoms):
    """The cation molality (mol/kg of solvent) ``atoms.info`` records, as an
    :class:`~ase_electrolyte.estimate.Estimate`; ``None`` without a readable one.

    :func:`~ase_electrolyte.build.electrolyte_box` records it in the Estimate's dict form; a
    box packed before that (a resumed run's ``initial.extxyz``) holds the bare number, which
    is the same exact ratio of whole-molecule counts.
    """
    from ase_electrolyte.build import COUNTED_METHOD
    from ase_electrolyte.estimate import Estimate

    recorded = atoms.info.get("cation_molality")
    if isinstance(recorded, dict):
        try:
            return Estimate.from_dict(recorded)
        except ValueError:  # a hand-edited record: the box is still the one packed
            return None
    if isinstance(recorded, (int, float)) and not isinstance(recorded, bool) \
            and math.isfinite(recorded):
        return Estimate(float(recorded), 0.0, "mol/kg", COUNTED_METHOD)
    return None


def read_initial(initial):
    """The packed box a run in the folder started from (``initial.extxyz``).

    Raises
    ------
    ValueError
        The file cannot be read as the box of a run (empty, cut short, not extxyz, or a
        different number of atoms than its header says), naming it and what to do: an empty
        file was "internal error: UnknownFileTypeError (a bug)", a cut one
        "ase.io.extxyz: Frame has 1 atoms, expected 32", neither naming the file.
    """
    import ase.io

    try:
        atoms = None if initial.stat().st_size == 0 else ase.io.read(initial, format="extxyz")
    except Exception as err:  # noqa: BLE001 - ase's readers raise anything on a damaged file
        reason = f"{type(err).__name__}: {str(err).strip() or repr(err)}"
    else:
        reason = "it is empty" if atoms is None else None
    if reason is not None:
        stages = sorted(p.name for p in initial.parent.glob("*.h5md"))
        what_next = (f"the stage files ({', '.join(stages)}) were made from the box it held: "
                     "choose another output folder, or remove the folder's run files to start "
                     "over" if stages else
                     "no stage file was made from it yet: remove it and run the same command "
                     "again to pack a new box, or choose another output folder")
        raise ValueError(
            f"{initial} (the packed box this folder's run started from) cannot be read "
            f"({reason}); it is damaged or not the file simulate wrote; {what_next}")
    return atoms


def _check_box_settings(out, composition, box_settings):
    """A folder whose box was packed with another ``--seed`` or ``--density`` is refused.

    Checked before packing. A resume reads the box of the first call from ``initial.extxyz``
    and compared only its composition: ``--density 1.3`` on a folder packed at 1.2 g/cm³
    went on with the old box, and an NVT/NVE-only protocol reported its density as the new.
    """
    initial = out / "initial.extxyz"
    if not initial.is_file():
        return
    stored = read_initial(initial).info
    if isinstance(stored.get("composition"), dict) and stored["composition"] != composition:
        # found after packing the new box before (seconds to minutes, with the model loaded;
        # the demo's too)
        raise ValueError(f"{out} holds a run of {stored['composition']}, not {composition}; "
                         "choose another output folder")
    for key, value in box_settings.items():
        if key not in stored:  # a box of an earlier version records none
            continue
        if stored[key] != value and not (
            isinstance(value, float) and isinstance(stored[key], float)
            and abs(stored[key] - value) <= 1e-12 * abs(value)
        ):
            def shown(v, key=key):
                if key == "box_seed":
                    return f"--seed {v}"
                return "no --density (the van der Waals box)" if isinstance(v, str) else (
                    f"--density {_g(v)}")

            raise ValueError(
                f"{out} holds a box packed with {shown(stored[key])}, not {shown(value)}: a "
                f"resume continues the box it started from; rerun with {shown(stored[key])} to "
                "resume it, or choose another output folder"
            )


#: The stage files of :func:`ase_electrolyte.md.run_protocol`, with the option of each length.
_STAGES = {"relaxed": None, "preequilibration": "--preequilibration-ps",
           "equilibration": "--equilibration-ps", "production": "--production-ps"}


def _stored_settings(path):
    """The settings a stage file records (``run_info``), or ``None`` when it records none or
    cannot be read (the library names a damaged or foreign file when it gets there)."""
    from ase_electrolyte.trajectory import h5md_info

    try:
        info = h5md_info(path)
    except (OSError, KeyError, ValueError):
        return None
    return info["run_info"] if info["n_frames"] else None


def _holds_stage(path):
    """Whether ``path`` is a stage file with frames (an output folder not yet checked: a path
    that cannot be looked at holds none, and the folder's own check names it)."""
    try:
        return path.is_file() and _stored_settings(path) is not None
    except OSError:
        return False


def _expected_settings(stage, stored, args):
    """``{key: (option, stored value expected, value given, how a stored value reads)}`` of one
    stage's ``run_info``.

    The step counts follow from the stage lengths and the time step the file records, through
    the protocol's own rounding (:func:`ase_electrolyte.md.protocol_steps`).
    """
    from ase_electrolyte.md import protocol_steps

    if stage == "relaxed":
        return {"fmax": ("--relax-fmax", args.relax_fmax, args.relax_fmax, _g)}
    dt = stored.get("timestep_fs")
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not 0 < dt < math.inf:
        return {}
    length = getattr(args, f"{stage}_ps")
    plan = protocol_steps(
        preequilibration_ps=args.preequilibration_ps, equilibration_ps=args.equilibration_ps,
        production_ps=args.production_ps, preequilibration_timestep_fs=dt, timestep_fs=dt,
        write_interval_fs=args.write_interval_fs)
    steps, every = plan[stage].steps, plan[stage].write_interval
    ps = lambda v: _g(v * dt / 1000)  # noqa: E731 - steps of this stage as ps
    expected = {
        "temperature_K": ("--temperature", float(args.temperature), args.temperature, _g),
        "seed": ("--seed", int(args.seed), args.seed, str),
        "steps": (_STAGES[stage], steps, length, ps),
        "write_interval": ("--write-interval-fs", every, args.write_interval_fs,
                           lambda v: _g(v * dt)),
    }
    if stored.get("ensemble") == "npt":
        expected["pressure_bar"] = ("--pressure", float(args.pressure), args.pressure, _g)
    if stage == "production":
        expected["ensemble"] = ("--ensemble", args.ensemble, args.ensemble, str)
    return expected


def _g(value):
    # whole, so that the value a refusal advises resumes the run when typed back (six digits
    # of 298.1534 were refused again)
    from ase_electrolyte.html_report import plain_number_text

    return plain_number_text(value)


def _check_run_settings(out, args, options=None, skipped=()):
    """A folder whose stages ran with other protocol settings is refused, before packing or
    loading anything.

    ``run_md`` refuses a stage file written with other settings, but only once the box had
    been packed (seconds to minutes) and the model loaded; a resume with another
    ``--temperature`` or stage length now stops at once, naming the option, the stored value
    and the file.
    """
    import math

    for stage in _STAGES:
        path = out / f"{stage}.h5md"
        if stage in skipped:
            # in the stages' order, as the settings of the stages before it
            _check_skipped_stage(out, stage, args)
            continue
        stored = _stored_settings(path) if path.is_file() else None
        if stored is None:
            continue
        _check_stage_calculator(out, path, stored, args)
        for key, (flag, now, given, shown) in _expected_settings(stage, stored, args).items():
            before = stored.get(key)
            if key not in stored or before == now or (
                    isinstance(before, float) and isinstance(now, float)
                    and math.isclose(before, now, rel_tol=1e-12)):
                continue
            was = (shown(before) if isinstance(before, (int, float, str))
                   and not isinstance(before, bool) else repr(before))
            given = _g(given) if isinstance(given, float) else given
            if options is not None and flag not in options:
                # the demo has no --relax-fmax: "rerun with --relax-fmax 2" could not be done
                raise ValueError(
                    f"{out} holds a run with {flag.lstrip('-')} {was} ({path.name}), not the "
                    f"{given} this command runs (a run of another command, or of other "
                    "defaults: CPU or GPU); choose another output folder")
            raise ValueError(
                f"{out} holds a run with {flag} {was} ({path.name}), not {flag} {given}: "
                f"a resume continues the run it started; rerun with {flag} {was} to resume "
                "it, or choose another output folder")


def _stage_calculator(stored):
    """``(model, damping)`` of the calculator a stage file records, as
    :func:`~ase_electrolyte.md.calculator_fingerprint` wrote it; ``None`` for a calculator
    that is no model of the library (another program's, a test's)."""
    calc = stored.get("calculator")
    if not isinstance(calc, dict) or not isinstance(calc.get("model"), str):
        return None
    disp = calc.get("dispersion")
    params = disp.get("parameters") if isinstance(disp, dict) else None
    damping = params.get("damping") if isinstance(params, dict) else None
    return calc["model"], damping if isinstance(damping, str) else None


def _stage_modal(stored):
    """The ``modal`` (fidelity) of the calculator a stage file records, or ``None``."""
    calc = stored.get("calculator")
    params = calc.get("parameters") if isinstance(calc, dict) else None
    modal = params.get("modal") if isinstance(params, dict) else None
    return modal if isinstance(modal, str) else None


def _check_stage_calculator(out, path, stored, args):
    """A folder whose stages ran with another ``--model`` or ``--dispersion`` is refused, before
    the model loads.

    ``run_md`` refuses a stage file of another calculator, but only once the model had loaded
    (seconds to minutes, gigabytes on a GPU), in a line of both calculators' full descriptions
    that ended "pass overwrite=True", a keyword the command does not have.
    """
    from ase_electrolyte.calculator import parse_dispersion
    from ase_electrolyte.models import model_spec

    found = _stage_calculator(stored)
    if found is None or getattr(args, "model", None) is None:
        return  # the demo fixes its model: the library compares it
    model, damping = found
    # one reading of a name on both sides (models.model_spec): a run recorded as 'sevennet-0'
    # resumes with --model 7net-0 or 'SevenNet-0 ', as the calculator loads the same network
    given = model_spec(args.model)
    same = given == (model if Path(model).is_absolute() else model_spec(model))
    checks = [("--model", same, model, args.model)]
    if hasattr(args, "dispersion"):
        now = parse_dispersion(None if args.dispersion == "none" else args.dispersion)
        was = "none" if damping is None else f"d3-{damping}"
        checks.append(("--dispersion", now == damping, was, args.dispersion))
    if hasattr(args, "modal"):
        # another fidelity is another potential energy surface (PBE or R2SCAN)
        was = _stage_modal(stored)
        checks.append(("--modal", (was or "").lower() == (args.modal or "").lower(),
                       was or "(none)", args.modal or "(none)"))
    for flag, same, was, given in checks:
        if not same:
            raise ValueError(
                f"{out} holds a run with {flag} {was} ({path.name}), not {flag} {given}: a "
                f"resume continues the run it started; rerun with {flag} {was} to resume it, "
                "or choose another output folder")


def _expected_composition(args):
    """The ``info["composition"]`` the box of these arguments gets (species name → count),
    without packing: as :func:`~ase_electrolyte.build.electrolyte_box` names it."""
    from ase_electrolyte.species import get_species

    if args.counts:
        counts = A.parse_mapping(args.counts, "counts")
        return {get_species(k).name: int(v) for k, v in counts.items() if v}
    return {sp.name: int(n) for sp, n in _composition(args).items() if n}


# Calibrated on the stage files run_protocol wrote (LennardJones, with and without a committee's
# force spread; boxes of 14 to 1660 atoms holding 0 to 8 charged species; NPT, NVT and NVE
# productions; 1 to 601 frames, 1 to 1001 samples; ext4): the estimate is at least st_size and
# the allocated blocks of every file. Each term below counts what the writer
# (ase_electrolyte.trajectory) lays out; only the fixed parts are measured. The layout itself is
# read from its owners, not copied: the chunk rule (trajectory.series_chunk_rows,
# PARTICLE_CHUNK_ROWS) and what each frame and sample holds (md.recorded_shapes).

# a chunked dataset's header, attributes and the root node of its chunk index (a v1 B-tree node
# of 2096 to 3136 B for 64 chunks), allocated when it is created: measured 2.9 to 3.2 kB per
# dataset with the file's own part below (54 to 96 datasets a file)
_BYTES_PER_DATASET = 3 * 1024
# past 64 chunks the index splits into nodes of at most 3136 B (rank 3), each at least half full
# (32 chunks), and a node above them: 98 B per chunk, counted only beyond the root
_INDEX_NODE_CHUNKS = 64
_INDEX_NODE_BYTES = 3136
# the rest of a file: superblock, groups, attributes, run_info (0.2 to 0.5 kB here; a model's
# description is longer), HDF5's free space and the blocks ext4 keeps past a closed file's end
# (under 8 kB since the writer gives its reserve back): measured at most 30.5 kB beyond the
# other terms; 48 KiB leaves 18 kB for a longer run_info
_BYTES_PER_FILE = 48 * 1024
# per atom whatever the frames: species (int32), mass, charge, molecule index, start position
# and heavy hydrogen's integration mass (60 B), and the species name, a variable-length string:
# 16 B in the dataset and a global-heap object of 16 B plus the name in 8-byte words (measured
# 82 B per atom with 'EC', counted 100)
_BYTES_PER_ATOM = 60 + 16 + 16


def _dataset_bytes(rows, chunk_rows, row_bytes):
    """Bytes of a chunked dataset of ``rows`` rows at most (see the constants above)."""
    chunks = -(-rows // chunk_rows)
    index = (0 if chunks <= _INDEX_NODE_CHUNKS
             else (chunks // (_INDEX_NODE_CHUNKS // 2) + 1) * _INDEX_NODE_BYTES)
    return _BYTES_PER_DATASET + chunks * chunk_rows * row_bytes + index


def _series_bytes(rows, shape, chunk_rows=None):
    """Bytes of a time series (value, step, time) of ``rows`` rows of float64 ``shape``, its
    values in the writer's chunks (``chunk_rows`` rows, else the writer's rule for ``shape``);
    step and time are chunked as a scalar's."""
    from ase_electrolyte.trajectory import series_chunk_rows

    if chunk_rows is None:
        chunk_rows = series_chunk_rows(shape)
    return (_dataset_bytes(rows, chunk_rows, 8 * math.prod(shape))
            + 2 * _dataset_bytes(rows, series_chunk_rows(()), 8))


def _box_layout(counts):
    """``(atoms, charged species, bytes of the per-atom arrays)`` of a box of ``counts``."""
    from collections.abc import Mapping

    from ase_electrolyte.atoms_checks import check_number
    from ase_electrolyte.species import get_species

    if not isinstance(counts, Mapping):
        raise TypeError(f"counts must map each species (a name or Species) to its molecules, "
                        f"not {type(counts).__name__} {counts!r:.60}")
    n_atoms = charged = per_atom = 0
    for name, n in counts.items():
        n = check_number(f"counts: molecules of {name}", n, integer=True, minimum=0)
        if not n:
            continue
        species = get_species(name)
        atoms = int(n) * species.n_atoms
        n_atoms += atoms
        # md.current_species: a species with a formal charge on any atom has a charge current,
        # a zwitterion (net charge 0) too
        charged += any(species.atomic_formal_charges)
        per_atom += atoms * (_BYTES_PER_ATOM + 8 * -(-len(species.name.encode()) // 8))
    return n_atoms, charged, per_atom


def _stage_plan(args):
    from ase_electrolyte.md import protocol_steps

    return protocol_steps(
        preequilibration_ps=args.preequilibration_ps, equilibration_ps=args.equilibration_ps,
        production_ps=args.production_ps, write_interval_fs=args.write_interval_fs)


def trajectory_bytes(counts, args, *, force_spread=False):
    """Bytes the stage files of this protocol take on disk, at most: ``{stage: bytes}``.

    From the protocol's own steps (:func:`ase_electrolyte.md.protocol_steps`): each stage
    writes ``steps // write_interval + 1`` frames and ``steps // observe_interval + 1``
    observable samples; the relaxation one frame and one sample. A file takes a fixed part
    (48 KiB, and 3 KiB for each of its 54 to 96 datasets: headers and chunk indices), the
    per-atom arrays, the particle data of every frame and each series (the observables of the
    frames and of the samples, the integrator's state of the frames) in the writer's whole
    chunks. The box sets the series: a charge current of 3 numbers per charged species (any
    species with a formal charge on an atom), in chunks of fewer rows from 6 species on.
    Measured on run_protocol's files (14 to 1660 atoms, 0 to 8 charged species), the bound
    lies 1 % to 18 % above them (32 to 120 kB), the larger ratios for files of under 0.6 MB.

    Parameters
    ----------
    counts : mapping of str or Species to int
        Molecules of each species in the box (library names or
        :class:`~ase_electrolyte.species.Species`), as
        :func:`~ase_electrolyte.build.electrolyte_box` takes them.
    args : argparse.Namespace
        The protocol settings (stage lengths in ps, ``write_interval_fs``; ``ensemble`` of the
        production, NPT's larger integrator state when absent).
    force_spread : bool
        The calculator is a committee (:class:`~ase_electrolyte.committee.Committee`), whose
        largest force spread every frame and sample also record.

    Returns
    -------
    dict of str to int
        Bytes of ``relaxed``, ``preequilibration``, ``equilibration`` and ``production``
        (0 for a stage that is not run).

    Raises
    ------
    TypeError, ValueError
        ``counts`` is no mapping, names an unknown species or holds no whole number;
        ``args.ensemble`` names no ensemble (as :func:`~ase_electrolyte.md.run_md` reads it).
    """
    from ase_electrolyte.md import ensemble_name, recorded_shapes
    from ase_electrolyte.trajectory import PARTICLE_CHUNK_ROWS, PARTICLE_DATA

    n_atoms, charged, per_atom = _box_layout(counts)
    plan = _stage_plan(args)
    # one reading of the name with run_md's: a misspelt ensemble is refused, never counted as NPT
    ensemble = ensemble_name(getattr(args, "ensemble", "npt"))

    def file_bytes(frames, samples, ensemble):
        # what each frame (and each sample) records, as run_md/relax lay it out: the
        # relaxation (ensemble None) has no conserved energy and no integrator state
        observables, integrator = recorded_shapes(ensemble, charged,
                                                  force_spread=force_spread)
        # position, velocity and force: a float64 vector per atom each
        return (_BYTES_PER_FILE + per_atom
                + len(PARTICLE_DATA) * _series_bytes(frames, (n_atoms, 3), PARTICLE_CHUNK_ROWS)
                + _series_bytes(frames, (3, 3))  # the box
                + sum(_series_bytes(frames, shape) + _series_bytes(samples, shape)
                      for shape in observables.values())
                + sum(_series_bytes(frames, shape) for shape in integrator.values())
                # the frame spacing (/observables/dt), from the second frame on
                + (_series_bytes(frames, ()) if frames > 1 else 0))

    sizes = {"relaxed": file_bytes(1, 1, None)}
    for stage, steps in plan.items():
        if steps.steps == 0:
            sizes[stage] = 0
            continue
        # pre-equilibration and equilibration run NPT, as a production of no known ensemble
        integrator = (ensemble if stage == "production" and ensemble in ("nve", "nvt")
                      else "npt")
        sizes[stage] = file_bytes(steps.steps // steps.write_interval + 1,
                                  steps.steps // steps.observe_interval + 1, integrator)
    return sizes


def free_bytes(folder):
    """Bytes free for this user on the disk of ``folder`` (the one query of the check)."""
    import shutil

    return shutil.disk_usage(folder).free


#: What ``simulate`` can change when its trajectories do not fit.
_FEWER_BYTES = "write fewer frames (--write-interval-fs) or shorter stages"


def _finished(path, steps):
    """Whether the stage file ``path`` is complete up to ``steps``: the protocol reuses it as
    it is."""
    from ase_electrolyte.trajectory import h5md_info

    if not path.is_file():
        return False
    try:
        info = h5md_info(path)
    except (OSError, KeyError, ValueError):
        # damaged or foreign: check_run_files words that; here it counts as still to write
        return False
    return info["complete"] and info["last_step"] >= steps


def check_disk_room(out, counts, args, fewer_bytes=_FEWER_BYTES):
    """Refuse, before the box is packed or the model loaded, a run whose trajectories the disk
    of ``out`` (or the file-size limit) cannot hold.

    A long run on a nearly full disk ran for hours and stopped at the first frame that did not
    fit. The bytes needed are :func:`trajectory_bytes`' upper bound, so that a run let start
    has room for its files. Of a resume, a finished stage file (complete, up to its last step:
    reused as it is) needs nothing more, and an unfinished one its estimate less its size.

    Parameters
    ----------
    out : pathlib.Path
        The output folder (it exists: claimed by the command).
    counts : mapping of str or Species to int
        Molecules of each species in the box (see :func:`trajectory_bytes`).
    args : argparse.Namespace
        The protocol settings (stage lengths in ps, ``write_interval_fs``, ``ensemble``).
    fewer_bytes : str
        What the command's options can change to write less (``demo`` has no
        ``--write-interval-fs``).

    Raises
    ------
    ValueError
        Naming the bytes free and the bytes the remaining stages need (or the file-size limit
        and the largest file still to write), and what to change.
    """
    import resource

    n_atoms = _box_layout(counts)[0]
    sizes = trajectory_bytes(counts, args)
    plan = _stage_plan(args)
    to_write = {}
    remaining = 0
    for stage, size in sizes.items():
        path = out / f"{stage}.h5md"
        # a finished stage's estimate beyond its file was counted as still needed
        if not size or _finished(path, plan[stage].steps if stage in plan else 0):
            continue
        to_write[stage] = size
        remaining += max(size - (path.stat().st_size if path.is_file() else 0), 0)
    free = free_bytes(out)
    what = (f"{n_atoms} atoms, frames every {args.write_interval_fs:g} fs over "
            f"{args.preequilibration_ps + args.equilibration_ps + args.production_ps:g} ps")
    advice = f"make room, give another -o/--output folder, or {fewer_bytes}"
    if remaining > free:
        raise ValueError(
            f"-o/--output {out}: its disk has {_bytes(free)} free, and the trajectories of "
            f"this run need up to {_bytes(remaining)} more ({what}); {advice}")
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if not to_write or limit == resource.RLIM_INFINITY:
        return
    stage, largest = max(to_write.items(), key=lambda item: item[1])
    if largest > limit:
        raise ValueError(
            f"-o/--output {out}: {stage}.h5md of this run takes up to {_bytes(largest)}, "
            f"more than the file-size limit of {_bytes(limit)} (ulimit -f; {what}); raise "
            f"the limit, or {fewer_bytes}")


def _bytes(n):
    """``n`` bytes as text with its unit (``"1.2 GB"``)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def _run(args):
    from ase_electrolyte.build import electrolyte_box

    out = Path(args.output)
    composition = _expected_composition(args)
    check_resumable(out, composition, _box_settings(args), args)
    # the molecule counts give the atoms and the charged species before the box is packed or
    # the model loaded
    check_disk_room(out, composition, args)
    if args.counts:
        counts = {k: int(v) for k, v in A.parse_mapping(args.counts, "counts").items()}
    else:
        counts = _composition(args)
    with A.temperature_doubted(), builder_advice():
        # the protocol's checks doubted an implausible --temperature already
        atoms = electrolyte_box(counts=counts, density=args.density, seed=args.seed,
                                temperature_K=args.temperature)
    atoms.info.update(_box_settings(args))
    calc = A.make_calculator(args.model, args.dispersion, args.device, args.modal)
    return run_protocol_into(atoms, calc, out, args)


def run_protocol_into(atoms, calc, out, args):
    import ase.io

    from ase_electrolyte.atomic_file import atomic_path, write_json_atomic
    from ase_electrolyte.md import run_protocol
    from ase_electrolyte.topology import check_extxyz

    out.mkdir(parents=True, exist_ok=True)
    initial = out / "initial.extxyz"
    if initial.exists():
        # resuming: the packed box of the first call is the one the stages started from
        previous = read_initial(initial)
        if previous.info.get("composition") != atoms.info.get("composition"):
            raise ValueError(
                f"{out} holds a run of {previous.info.get('composition')}, not "
                f"{atoms.info.get('composition')}; choose another output folder"
            )
        atoms = previous
    else:
        check_extxyz(atoms)
        with atomic_path(initial) as tmp:
            ase.io.write(tmp, atoms, format="extxyz")
    molality = _held_molality(atoms)
    # what the box holds, not what was asked: a small box can only come near the asked
    # concentration (the demo's ~100 atoms hold one LiPF6 per 1.44 mol/kg, not 1.0)
    held = (f", {molality.value:.3g} mol/kg of cations as packed"
            if molality is not None and molality.value else "")
    print(
        f"box: {len(atoms)} atoms, {atoms.info.get('composition')}{held}, "
        f"L = {atoms.cell[0, 0]:.2f} Å",
        flush=True,
    )
    # the run's errors advise the protocol's arguments: here the options that set them
    with A.options_named(PROTOCOL_FLAGS, warnings_too=False):
        result = run_protocol(
            atoms,
            calc,
            out,
            **_protocol_options(args),
            seed=getattr(args, "seed", 0),
            progress=not args.quiet,
        )
    from ase_electrolyte.estimate import estimates_to_dict

    estimates = result.estimates()
    summary = {
        "n_atoms": len(atoms),
        "composition": atoms.info.get("composition"),
        # mol of cations per kg of solvent as packed (the counts', not the asked value): an
        # exact number, as Estimate.to_dict (error 0, method "exact: ...")
        "cation_molality_mol_kg": molality.to_dict() if molality is not None else None,
        # each ion's molality and each species' mass fraction the counts make (exact: ratios
        # of whole-molecule counts, marked so; a box of several salts has more than one
        # cation molality)
        "counted_composition": atoms.info.get("counted_composition"),
        # the settings that acted, as given Estimates ("given": true), so that a reader tells
        # them from the run's results: a pressure only where an NPT stage ran
        # (ProtocolResult.settings)
        "settings": result.settings_record(),
        "production_ensemble": args.ensemble,
        # value, error, method, verdict of each reported number (Estimate.to_dict)
        "estimates": estimates_to_dict(estimates),
        # the density's Estimate under the name the screening's reader looks for
        # (ase_electrolyte.screen.properties.task_properties)
        "density": result.density.to_dict() if result.density is not None else None,
        # flat keys of earlier versions, for readers that take the bare number: it is one only
        # when valid (a too-short run's density read as a result beside a verdict few check);
        # otherwise null, the number with its verdict in "density" and "estimates"
        **result.density_record(),
        # MD stage -> drift of its integrator's conserved energy (meV/atom/ps, with its
        # verdict): whether the time step was short enough for the model; a judgement of the
        # run, not a property of the liquid, so not among "estimates"
        "energy_drift": estimates_to_dict(dict(result.energy_drift)),
        "files": {k: str(v) for k, v in result.files.items()},
    }
    # written last: its presence means the run finished
    write_json_atomic(out / "simulation.json", summary, indent=2)
    for line in result_lines(estimates):
        print(line, flush=True)
    for line in drift_lines(result.energy_drift):
        print(line, flush=True)
    print(f"trajectory: {A.shown_path(result.files['production'])}", flush=True)
    return result


def result_lines(estimates):
    """Terminal lines for named Estimates: ``value ± error unit (valid)`` only when valid.

    A number that is not valid is not printed as a result: the line gives the verdict instead.
    """
    lines = []
    for name, est in estimates.items():
        if est.valid:
            lines.append(f"{name}: {est} — {est.method}")
        else:
            lines.append(f"{name}: no result ({est.verdict})")
    return lines




def drift_lines(drifts):
    """Terminal lines of the MD stages whose conserved-energy drift is not valid, one each.

    A valid drift says nothing the user must act on and is in ``simulation.json``; one that
    is "too large" (beyond GROMACS' 0.005 kJ/mol/ps per atom by two error bars) means that
    stage's time step is too long for the model, or its forces are no gradient of its energy:
    its line names the step, and the remedy, which the command's fixed protocol steps
    (Ju et al. 2025) leave to Python. One that is "too short" or not recorded says so.

    Parameters
    ----------
    drifts : dict
        MD stage name → :class:`~ase_electrolyte.estimate.Estimate` (meV/atom/ps), as
        :attr:`ase_electrolyte.md.ProtocolResult.energy_drift`.

    Returns
    -------
    list of str
    """
    lines = []
    for stage, est in drifts.items():
        if est.valid:
            continue
        line = f"energy drift ({stage}): no result ({est.verdict})"
        if est.verdict.startswith("too large"):
            line += ("; the stage's numbers are suspect: the command runs the protocol's "
                     "time steps, a shorter one is timestep_fs= (preequilibration_timestep_fs=) "
                     "of ase_electrolyte.md.run_protocol in Python")
        lines.append(line)
    return lines
