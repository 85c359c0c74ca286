"""The screening plan: compositions × temperatures × replicas, protocol, model, analyses.

A plan is a TOML (or YAML) file, or the same content as a dict. Everything in it is checked
when it is loaded — species and salts against :mod:`ase_electrolyte.species`, ratios, positive
concentrations, the box size against the salt content, the model and its package, the analysis
names — so a bad plan fails before any task is submitted.

Each (composition, temperature, replica) is one :class:`Task`. Its seed is derived from the plan's
``seed`` and the task's own keys (never from its position in the plan), so a rerun, a plan with
more replicas or more compositions, reproduces every task it shares with the earlier one.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import math
import os
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Plan", "Composition", "Task", "PlanError", "load_plan"]

#: Analyses run when the plan names none: the transport and solvation numbers the papers report.
DEFAULT_ANALYSES = (
    "diffusion",
    "green_kubo_conductivity",
    "einstein_helfand_conductivity",
    "solvation_shells",
)

# the protocol keys of run_protocol a plan may set, with the defaults of Ju et al. (2025)
_PROTOCOL_DEFAULTS = {
    "pressure_bar": 1.01325,
    "relax_fmax": 2.0,
    "preequilibration_ps": 1000.0,
    "equilibration_ps": 200.0,
    "production_ps": 200.0,
    "production_ensemble": "npt",
    "preequilibration_timestep_fs": 2.0,
    "timestep_fs": 1.0,
    "hydrogen_mass": 3.0,
    "write_interval_fs": 100.0,
    "observe_interval_fs": 10.0,
}
_TOP_KEYS = {
    "name",
    "seed",
    "replicas",
    "temperatures",
    "n_atoms",
    "density",
    "analyses",
    "model",
    "protocol",
    "composition",
    "experimental",
    "task_timeout_s",
}
_MODEL_KEYS = {"name", "file", "calculator", "dispersion", "device", "options"}
_COMPOSITION_KEYS = {"solvent", "ratio", "salt", "concentration", "units", "label"}

#: Most tasks (compositions × temperatures × replicas) a plan may hold. Each task is an MD run
#: of minutes to hours; a plan past this is a typo (replicas = 1e6) and would spend minutes
#: building, checking and submitting task records before the first simulation, or run out of
#: memory doing it. Refused when the plan is read, before any per-task work.
MAX_TASKS = 100_000
#: Longest composition label, in bytes of UTF-8: it names a folder (NAME_MAX on Linux and macOS).
MAX_LABEL_BYTES = 255
#: Longest ``task_timeout_s``: one year. The task's timer (``setitimer``) overflows the
#: platform's ``time_t`` near 1e12 s; a limit beyond a year is a typo of another unit.
MAX_TASK_TIMEOUT_S = 365 * 86400.0


class PlanError(ValueError):
    """A plan that cannot run: the message names the entry and the problem."""


def _unknown_keys(message, keys):
    """A PlanError for unknown ``keys``; :func:`load_plan` adds their lines in the plan file."""
    err = PlanError(message)
    err.keys = list(keys)
    return err


def _key_lines(text, keys):
    """1-based lines of ``text`` (a TOML or YAML plan) where one of ``keys`` is set."""
    lines = []
    for key in keys:
        name = re.escape(str(key))
        pattern = re.compile(
            # key = / key: at a line's start (a YAML list item too), in an inline table or
            # after a dotted prefix, quoted or not; or a [table] / [[array]] header of it
            rf"""(?:^\s*(?:-\s+)?|[{{,.]\s*)(?:"{name}"|'{name}'|{name})\s*[=:]"""
            rf"|^\s*\[\[?\s*(?:[\w.]*\.)?(?:\"{name}\"|{name})\s*\]"
        )
        for n, line in enumerate(text.splitlines(), start=1):
            if pattern.search(line.split("#", 1)[0]):
                lines.append(n)
    return sorted(set(lines))


@dataclass(frozen=True)
class Composition:
    """One electrolyte composition of a plan.

    Attributes
    ----------
    solvent : dict
        ``{solvent name: share}`` in the order of the plan.
    ratio : {"mass", "mole", "volume"}
        Meaning of the shares (``"volume"``: of the pure liquids before mixing).
    salt : str or None
        Library salt name (``"LiPF6"``), ``None`` for a pure solvent.
    concentration : float
        Salt concentration in ``units`` (0 for a pure solvent).
    units : {"molal", "molar"}
        mol/kg of solvent or mol/L of solution (molar needs the plan's ``density``).
    label : str
        Folder and table name, e.g. ``"EC3-EMC7_LiPF6-1molal"``.
    """

    solvent: dict
    ratio: str
    salt: str | None
    concentration: float
    units: str
    label: str

    @property
    def solvent_text(self):
        """``"EC:3,EMC:7"``: the solvent column of the tables."""
        return ",".join(f"{k}:{v:g}" for k, v in self.solvent.items())

    def keys(self):
        """The columns that identify this composition in the tables."""
        return {
            "composition": self.label,
            "solvent": self.solvent_text,
            "ratio": self.ratio,
            "salt": self.salt or "",
            "concentration": self.concentration,
            "units": self.units,
        }


@dataclass(frozen=True)
class Task:
    """One (composition, temperature, replica) of a plan: build → simulate → analyse.

    Attributes
    ----------
    composition : Composition
    temperature_K : float
    replica : int
        0-based replica index.
    seed : int
        Seeds the box (RDKit conformers, PACKMOL) and the initial velocities.
    """

    composition: Composition
    temperature_K: float
    replica: int
    seed: int

    @property
    def id(self):
        """``"<composition label>/T298K/r0"``: the task's folder below ``outdir/tasks``."""
        return f"{self.composition.label}/T{self.temperature_K:g}K/r{self.replica}"


@dataclass
class Plan:
    """A parsed and checked screening plan (see :func:`load_plan` for the file format).

    Attributes
    ----------
    name : str
    seed : int
    replicas : int
    temperatures : list of float
        K.
    n_atoms : int
        Target atoms per box.
    density : float or None
        Initial box density, g/cm³ (``None``: the van der Waals box of Ju et al. (2025)).
    compositions : list of Composition
    protocol : dict
        Keyword arguments of :func:`ase_electrolyte.md.run_protocol`.
    model : dict
        ``kind`` (``"name"``, ``"file"`` or ``"calculator"``), ``value``, ``dispersion``,
        ``device``, ``options``.
    analyses : list of str
        Names registered in :mod:`mda_electrolyte.report`.
    experimental : str or None
        CSV of measured values (absolute path), see :func:`ase_electrolyte.screen.aggregate`.
    source : str or None
        The file the plan was read from.
    task_timeout_s : float or None
        Wall-clock seconds a task may run on its worker (model loading, packing, MD, analyses)
        before it is stopped and recorded as failed with the limit named; ``None``: no limit.
        Not part of :meth:`invariant`: a rerun with a longer limit resumes the stopped tasks.
    """

    name: str
    seed: int
    replicas: int
    temperatures: list
    n_atoms: int
    density: float | None
    compositions: list
    protocol: dict
    model: dict
    analyses: list
    experimental: str | None = None
    source: str | None = None
    task_timeout_s: float | None = None
    _tasks: list = field(default=None, repr=False, compare=False, init=False)

    def tasks(self):
        """Every :class:`Task` of the plan: compositions × temperatures × replicas."""
        if self._tasks is None:
            self._tasks = [
                task
                for c in self.compositions
                for task in _tasks_of(c, self.temperatures, self.replicas, self.seed)
            ]
        return list(self._tasks)

    def invariant(self):
        """What every task of one output folder must share: seed, box, protocol, model, analyses.

        Compositions, temperatures and replicas are left out: a plan that adds to them reuses the
        finished tasks of the earlier one.
        """
        return {
            "seed": self.seed,
            "n_atoms": self.n_atoms,
            "density": self.density,
            "protocol": self.protocol,
            "model": {k: v for k, v in self.model.items() if k != "device"},
            "analyses": list(self.analyses),
        }

    def fingerprint(self):
        """Hash of :meth:`invariant` (hex, 16 characters)."""
        return fingerprint_of(self.invariant())

    def to_dict(self):
        """JSON-serialisable content (written to ``outdir/plan.json``).

        ``planned`` names what this plan asks for (composition labels, temperatures,
        replicas): ``plan.json`` records the union of every plan run into its folder in the
        other keys, and the table counts as not finished only the replicas of the latest one.
        """
        return {
            "name": self.name,
            "seed": self.seed,
            "replicas": self.replicas,
            "temperatures": list(self.temperatures),
            "n_atoms": self.n_atoms,
            "density": self.density,
            "compositions": [asdict(c) for c in self.compositions],
            "protocol": dict(self.protocol),
            "model": dict(self.model),
            "analyses": list(self.analyses),
            "experimental": self.experimental,
            "source": self.source,
            "task_timeout_s": self.task_timeout_s,
            "fingerprint": self.fingerprint(),
            "planned": {"compositions": [c.label for c in self.compositions],
                        "temperatures": list(self.temperatures), "replicas": self.replicas},
        }


def fingerprint_of(invariant):
    """The hash :meth:`Plan.fingerprint` gives a plan of this :meth:`Plan.invariant`."""
    text = json.dumps(invariant, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_fingerprints(record):
    """The plan fingerprints a task of the folder recorded as ``record`` may carry.

    ``record``: a ``plan.json`` (:meth:`Plan.to_dict`). Its ``fingerprint``, and that of the
    same plan without the model file's hash: a folder recorded before calculator files were
    hashed is taken on by :func:`~ase_electrolyte.screen.run_screen` and re-recorded with the
    hash, while its finished tasks keep the fingerprint they ran under. Empty for a record
    of an earlier version without a fingerprint: its tasks cannot be judged by theirs.
    """
    if not isinstance(record.get("fingerprint"), str):
        return set()
    found = {record["fingerprint"]}
    model = record.get("model")
    if isinstance(model, dict):
        found.add(fingerprint_of({
            "seed": record.get("seed"), "n_atoms": record.get("n_atoms"),
            "density": record.get("density"), "protocol": record.get("protocol"),
            "model": {k: v for k, v in model.items() if k not in ("device", "sha256")},
            "analyses": record.get("analyses"),
        }))
    return {f for f in found if isinstance(f, str)}


def spelled_as_recorded(plan, record):
    """``plan`` with what it shares with an output folder's ``record`` spelled as the record has it.

    The same chemistry and settings written otherwise than in the folder's ``plan.json`` gave
    other task folders, seeds or fingerprint: a composition given without a label whose solvents
    come in another order or in proportional shares (``EMC:7,EC:3`` or ``EC:6,EMC:14`` beside a
    folder of ``EC:3,EMC:7``), the analyses in another order, the dispersion spelled otherwise
    (``"D3(BJ)"`` for ``"d3-bj"``). The rerun was refused, or run into a new folder from scratch.
    Such a composition now takes the folder's label and shares (its finished tasks are reused,
    with their seeds), the analyses the folder's order, the dispersion its spelling. A
    composition with a label of its own keeps it: the folder then refuses it as the same
    electrolyte under two labels.

    Parameters
    ----------
    plan : Plan
    record : dict
        The folder's ``plan.json`` (:meth:`Plan.to_dict`); one that is not a usable record
        leaves ``plan`` as it is (the folder's own checks name its fault).

    Returns
    -------
    Plan
        ``plan`` itself when nothing is spelled otherwise, else a new :class:`Plan` (the
        caller's is not changed).
    """
    import dataclasses

    from ..calculator import parse_dispersion

    if not isinstance(record, dict):
        return plan
    changes = {}
    stored = {}
    for c in record.get("compositions") or []:
        try:
            held = Composition(**{k: c[k] for k in (
                "solvent", "ratio", "salt", "concentration", "units", "label")})
            stored.setdefault(composition_key(held), held)
        except (KeyError, TypeError, AttributeError, ZeroDivisionError, ValueError):
            continue  # a damaged entry: check_record names it
    own = {c.label for c in plan.compositions}
    compositions = []
    for c in plan.compositions:
        held = stored.get(composition_key(c))
        default = c.label == _label(c.solvent, c.ratio, c.salt, c.concentration, c.units)
        if held is not None and held.label != c.label and default and held.label not in own:
            c = held
        compositions.append(c)
    if compositions != plan.compositions:
        changes["compositions"] = compositions
    analyses = record.get("analyses")
    if (isinstance(analyses, list) and analyses != plan.analyses
            and sorted(map(str, analyses)) == sorted(plan.analyses)):
        changes["analyses"] = list(analyses)
    model = record.get("model")
    if isinstance(model, dict) and model.get("dispersion") != plan.model.get("dispersion"):
        try:
            same = parse_dispersion(model.get("dispersion")) == parse_dispersion(
                plan.model.get("dispersion"))
        except (ValueError, AttributeError):
            same = False
        if same:
            changes["model"] = dict(plan.model, dispersion=model.get("dispersion"))
    return dataclasses.replace(plan, **changes) if changes else plan


def model_path(model):
    """The file whose bytes are a plan's model (``None`` for a registered model or a module).

    A model file, or the ``file.py`` of ``calculator = "file.py:function"``.
    """
    if model.get("kind") == "file":
        return model["value"]
    if model.get("kind") == "calculator":
        module = model["value"].rpartition(":")[0]
        return module if module.endswith(".py") else None
    return None


def _tasks_of(composition, temperatures, replicas, plan_seed):
    """The :class:`Task` of ``composition`` at each temperature and replica, in plan order."""
    return [Task(composition, t, r, task_seed(plan_seed, composition, t, r))
            for t in temperatures for r in range(replicas)]


def task_seed(plan_seed, composition, temperature_K, replica):
    """A task's seed from the plan seed and the task's keys (31-bit, reproducible)."""
    text = json.dumps(
        [int(plan_seed), composition.label, f"{float(temperature_K):g}", int(replica)]
    )
    # PACKMOL takes the seed + 1 as a Fortran 32-bit integer
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x3FFFFFFF


def _read_file(path):
    suffix = Path(path).suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise PlanError(
            f"{path}: a plan is a .toml or .yaml file, not {suffix or 'no suffix'!r}"
        )
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) made line 1 invalid TOML
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        # the bare codec error named neither the file nor that a plan is text
        raise PlanError(f"{path}: not a text file in UTF-8 ({err.reason} at byte "
                        f"{err.start}); a plan is a .toml or .yaml text") from None
    if not text.strip():
        # an empty file was read as a plan without compositions (or YAML's None)
        raise PlanError(f"{path}: the plan file is empty")
    if suffix == ".toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise PlanError(f"{path}: not valid TOML ({err})") from None
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:  # pragma: no cover - PyYAML comes with dask
            raise PlanError(f"{path}: YAML plans need PyYAML (pip install pyyaml)") from None
        try:
            data = yaml.load(text, Loader=_unique_key_loader(yaml))  # noqa: S506 - a SafeLoader
        except yaml.YAMLError as err:
            # PyYAML's message spans lines (a caret under the line): one line, as CLI errors are
            raise PlanError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from None
        if not isinstance(data, dict):
            raise PlanError(f"{path}: a plan is a mapping of keys, not {type(data).__name__}")
        return data


def _unique_key_loader(yaml):
    """PyYAML's SafeLoader that refuses a key given twice in one mapping.

    ``safe_load`` kept the last of them without a word (``replicas: 5`` then ``replicas: 1``
    ran one replica); TOML refuses the same, so both plan formats do.
    """

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = {}
            # the keys written in this mapping (a "<<" merge's keys may be overridden)
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                first = seen.setdefault((key_node.tag, key_node.value), key_node.start_mark)
                if first is not key_node.start_mark:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key_node.value!r} is given twice (lines "
                        f"{first.line + 1} and {key_node.start_mark.line + 1})",
                        key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

    # YAML 1.1 (PyYAML) reads a number without a decimal point in exponent form (1e-3, 5E4)
    # as text: 'concentration: 1e-3' was refused as the string '1e-3', which TOML and YAML 1.2
    # read as the number. YAML 1.2's float forms are added; the others are YAML 1.1's as before
    UniqueKeyLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"))
    return UniqueKeyLoader


def load_plan(plan, *, base_dir=None):
    """Read and check a screening plan.

    Parameters
    ----------
    plan : str, os.PathLike, dict or Plan
        A ``.toml``/``.yaml`` file or its content as a dict (a :class:`Plan` is returned as is).
        In a dict, a tuple or a 1-d NumPy array stands wherever a file has a list
        (``temperatures``, ``concentration``, ``solvent``, ``composition``, ``analyses``), and
        NumPy numbers wherever it has numbers.
    base_dir : str or os.PathLike, optional
        Folder for relative paths in the plan (model file, experimental table, calculator file);
        default: the plan file's folder, else the working directory.

    Returns
    -------
    Plan

    Raises
    ------
    PlanError
        (a :class:`ValueError`) for an unknown key, solvent or salt, a ratio or share that does
        not parse, a concentration ≤ 0 with a salt, a box too small to hold one ion pair, an
        unknown model or one whose package is not installed, a missing model/experimental file,
        an unknown analysis or protocol setting, a protocol ``hydrogen_mass`` other than the
        default 3 amu for a composition without hydrogen (it would act on no atom, and
        run_protocol refuses it on the worker), temperatures that share a task folder (equal
        to 6 significant digits), the same electrolyte given twice (under two labels, or with
        proportional shares), two compositions that pack the same molecules at ``n_atoms`` (a
        grid finer than the box resolves), a ``density`` at which a task's molecules cannot
        be packed (checked for every task with the conformers of its own seed, as its
        :func:`~ase_electrolyte.build.electrolyte_box` builds them: about 0.1 s a task),
        a ``task_timeout_s`` that is no number of seconds
        > 0 (at most a year), a label starting with a dot or longer than a folder name may be,
        more than :data:`MAX_TASKS` tasks (counted before any composition is checked), a model
        file that cannot be a model of its backend (empty, a folder, text), calculator options
        the calculator function does not take, a production too short or too sparsely
        written for one of the analyses (diffusion, Einstein–Helfand, Nernst–Einstein,
        Green–Kubo, viscosity), by those analyses' own checks on synthetic data of its length and
        spacing: each task refused it only after its whole MD. The refusal names the
        analysis' Python settings its reason quotes (``n_blocks``, ``fit_window``: a screen
        runs each analysis at its defaults, a plan has no key for them) and a production
        length that serves the analysis, tried likewise. Nothing is built or simulated.

    Warns
    -----
    UserWarning
        Once, naming each composition whose box at ``n_atoms`` is not the asked composition
        within :data:`PACKING_TOLERANCE` (:func:`packing_shortfall`: what the box holds, and the
        ``n_atoms`` from which it would), after the checks above that need no conformers and
        before any task: the summary marks those rows not valid.

    Notes
    -----
    The file format (TOML; YAML has the same keys)::

        name = "EC:EMC with LiPF6"
        seed = 1              # task seeds are derived from it
        replicas = 5          # independent trajectories per composition and temperature
                              # (a row's error over fewer than 5 is not yet a result)
        temperatures = [298]  # K
        n_atoms = 1000        # atoms per box (Ju et al., 2025)
        analyses = ["diffusion", "green_kubo_conductivity", "solvation_shells"]
        task_timeout_s = 86400  # optional: a task running longer is stopped, recorded as
                                # failed, and resumed by the next run of the screen

        [model]               # one of name / file / calculator
        name = "sevennet-0"   # registered model; file = "my.model"; calculator = "pkg.mod:func"
        dispersion = "d3-bj"  # or "none"
        device = "auto"
        options = {}          # backend options, or keyword arguments of the calculator function

        [protocol]            # keyword arguments of ase_electrolyte.md.run_protocol
        preequilibration_ps = 1000
        equilibration_ps = 200
        production_ps = 200
        production_ensemble = "npt"

        [[composition]]
        solvent = "EC:3,EMC:7"        # or a table {EC = 3, EMC = 7}; a list makes a grid
        ratio = "mass"                # the shares are mass (default, "weight", "w/w"), mole or
                                      # volume ("v/v": of the pure liquids before mixing)
        salt = "LiPF6"
        concentration = [0.5, 1.0, 1.5]   # a list makes a grid
        units = "molal"               # "mol/kg"; or "molar", "mol/L" (needs density = ... g/cm³)
                                      # (the words of ase_electrolyte.build.composition_word)

    A ``calculator = "module:function"`` (or ``"path/to/file.py:function"``) is called as
    ``function(**options)`` on every worker and must return an ASE calculator with energy,
    forces and (for NPT) stress.

    Examples
    --------
    >>> from ase_electrolyte.screen import load_plan
    >>> plan = load_plan({
    ...     "replicas": 2, "temperatures": [298, 318],
    ...     "model": {"calculator": "ase.calculators.emt:EMT"},
    ...     "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6",
    ...                      "concentration": [1.0, 1.5]}],
    ... })
    >>> len(plan.tasks())  # 2 concentrations × 2 temperatures × 2 replicas
    8
    >>> plan.tasks()[0].id
    'EC3-EMC7_LiPF6-1molal/T298K/r0'
    >>> load_plan({"model": {"name": "sevennet-0"},
    ...            "composition": [{"solvent": "EC", "salt": "LiPF7", "concentration": 1}]})
    Traceback (most recent call last):
    ...
    ase_electrolyte.screen.plan.PlanError: composition 1: unknown salt 'LiPF7' (did you mean...
    """
    return _load_plan(plan, base_dir=base_dir)


def _load_plan(plan, *, base_dir=None, before_compositions=None):
    """:func:`load_plan`, calling ``before_compositions(invariant)`` (a plan's
    :meth:`Plan.invariant` before its compositions are checked) when given: the compositions'
    checks build every task's conformers (about 0.1 s a task), and
    :func:`~ase_electrolyte.screen.run_screen` refuses the folder of another plan first."""
    if isinstance(plan, Plan):
        return plan
    source = None
    if isinstance(plan, (str, os.PathLike)):
        path = Path(plan)
        if path.is_dir():
            raise PlanError(f"plan file {str(path)!r} is a folder, not a .toml or .yaml file")
        if not path.is_file():
            raise PlanError(f"plan file {str(path)!r} does not exist")
        source = str(path.resolve())
        base = Path(base_dir) if base_dir is not None else path.resolve().parent
        data = _read_file(path)
    elif isinstance(plan, dict):
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        data = plan
    else:
        raise PlanError(f"a plan is a file path or a dict, not {type(plan).__name__}")
    try:
        return _checked_plan(data, base, source, before_compositions)
    except PlanError as err:
        keys = getattr(err, "keys", None)
        if not (keys and source):
            raise
        # a typo in a long plan file is found by its line, not by reading the whole file
        lines = _key_lines(Path(source).read_text(encoding="utf-8-sig"), keys)
        if not lines:
            raise
        where = ", ".join(str(n) for n in lines)
        raise PlanError(
            f"{err} (line{'s' if len(lines) > 1 else ''} {where} of {Path(source).name})"
        ) from None


def _checked_plan(data, base, source, before_compositions=None):
    """The checks of :func:`load_plan` on the plan's content."""
    from ..build import MAX_ATOMS

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _unknown_keys(f"unknown plan key(s) {unknown}; known: {sorted(_TOP_KEYS)}",
                            unknown)
    seed = _integer(data.get("seed", 0), "seed", minimum=0)
    replicas = _integer(data.get("replicas", 1), "replicas", minimum=1)
    # the ceiling here too: it was named as a fault of "composition 1"
    n_atoms = _integer(data.get("n_atoms", 1000), "n_atoms", minimum=1, maximum=MAX_ATOMS)
    density = data.get("density")
    if density is not None:
        from ..build import check_density

        # every task's electrolyte_box refuses a density above MAX_DENSITY (1200, in kg/m³,
        # failed every task after its model had loaded)
        try:
            density = check_density(density, allow_none=False)
        except ValueError as err:
            raise PlanError(str(err)) from None
    temps = _listed(data.get("temperatures", [298.0]))
    if not temps:
        raise PlanError("temperatures is empty")
    _check_task_count(len(temps) * replicas, f"{counted(len(temps), 'temperature')} × "
                                             f"{counted(replicas, 'replica')}")
    temperatures = [_temperature(t) for t in temps]
    # tasks are told apart by their folder, T{t:g}K: 300 and 300.0000001 would share one, and
    # the second would be answered with the first one's result
    folders = {}
    for k, t in enumerate(temperatures):
        first = folders.setdefault(f"T{t:g}K", k)
        if first != k:
            other = temperatures[first]
            raise PlanError(
                f"temperatures repeat: {other:.10g} K and {t:.10g} K are both task folder "
                f"T{t:g}K; give distinct temperatures (to 6 significant digits)"
            )

    timeout = data.get("task_timeout_s")
    if timeout is not None:
        timeout = _number(timeout, "task_timeout_s (s)", above=0, maximum=MAX_TASK_TIMEOUT_S)
    # the compositions last: with a density they build every task's conformers (about 0.1 s
    # a task), and a misspelt analysis or model was named only after 7 s for 40 tasks
    protocol = _protocol(data.get("protocol", {}))
    _check_protocol(protocol, temperatures)
    model = _model(data.get("model"), base)
    analyses = _analyses(data.get("analyses", list(DEFAULT_ANALYSES)))
    _check_production_serves(protocol, analyses, temperatures)
    experimental = None
    exp = data.get("experimental")
    if exp is not None:
        file = exp.get("file") if isinstance(exp, dict) else exp
        if not isinstance(file, str):
            raise PlanError("experimental must be a CSV path or a table with file = '...'")
        path = (base / file).resolve()
        if not path.is_file():
            raise PlanError(f"experimental table {path} does not exist")
        from .aggregate import read_experimental, warn_uncorrectable_diffusion

        rows = read_experimental(path, temperatures)  # every row, before a task is submitted
        warn_uncorrectable_diffusion(rows, analyses, path.name)
        experimental = str(path)
    if before_compositions is not None:
        before_compositions({"seed": seed, "n_atoms": n_atoms, "density": density,
                             "protocol": protocol, "model": model, "analyses": analyses})
    compositions = _compositions(data.get("composition"), n_atoms, density,
                                 temperatures=temperatures, replicas=replicas, seed=seed,
                                 hydrogen_mass=protocol["hydrogen_mass"])
    return Plan(
        name=_text(data.get("name", Path(source).stem if source else "screen"), "name"),
        seed=seed,
        replicas=replicas,
        temperatures=temperatures,
        n_atoms=n_atoms,
        density=density,
        compositions=compositions,
        protocol=protocol,
        model=model,
        analyses=analyses,
        experimental=experimental,
        source=source,
        task_timeout_s=timeout,
    )


def _text(value, what):
    """``value`` if it is a non-empty string, else a PlanError naming ``what``.

    ``str()`` of anything else made a list of names the text ``"['a', 'b']"`` (a plan's name,
    a model name or file), and a flag or a number a composition label such as ``"True"``.
    """
    if not isinstance(value, str) or not value.strip():
        raise PlanError(f"{what} must be a non-empty text in quotes, not {value!r}")
    return value


def counted(n, word):
    """``"1 temperature"``, ``"3 temperatures"``: a count with its noun (a plural ``-s``)."""
    return f"{_count_text(n)} {word}{'' if n == 1 else 's'}"


def _count_text(n, sep=""):
    """``n`` in digits (``sep``: the thousands separator), or to 3 significant digits from
    10**16 on: ``replicas = 1e308`` (a whole number to TOML) was spelled out in 309 digits."""
    return f"{n:{sep}}" if abs(n) < 10**16 else f"{float(n):.3g}"


def _check_task_count(n_tasks, what):
    """PlanError when a plan would hold more than :data:`MAX_TASKS` tasks."""
    if n_tasks > MAX_TASKS:
        raise PlanError(
            f"the plan makes {_count_text(n_tasks, ',')} tasks ({what}); at most "
            f"{MAX_TASKS:,} tasks per plan "
            "(each is an MD run): check replicas, temperatures and the composition grid, or "
            "split the screen into several plans and output folders"
        )


def _listed(value):
    """A plan's list of values (temperatures, concentrations, solvents, compositions,
    analyses) as a ``list``; a single value as a list of it.

    A plan given as a dict from Python may hold a tuple or a 1-d NumPy array where a file
    holds a list: ``temperatures = np.array([298, 318])`` was refused as "each must be a
    finite number > 0, got array([298., 318.])", and a tuple of compositions as "the plan
    needs at least one [[composition]]". An array's elements become Python numbers (as a
    file's would be); a 0-d array is one value.
    """
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    ndim = getattr(value, "ndim", None)
    if ndim == 1 and hasattr(value, "tolist"):
        return value.tolist()
    return [value]


def _integer(value, what, minimum, maximum=None):
    from ..atoms_checks import check_number

    try:
        return check_number(what, value, integer=True, minimum=minimum, maximum=maximum)
    except ValueError as err:
        raise PlanError(str(err)) from None


def _positive(value, what):
    # a quoted number ("300") is refused like any string: in a plan it is a typo or a unit
    # that lost its number, and YAML and TOML both write numbers unquoted
    from ..atoms_checks import check_number

    try:
        return check_number(what, value, above=0)
    except ValueError as err:
        raise PlanError(str(err)) from None


def _check_hydrogen_mass(hydrogen_mass, shares, salt, where):
    """Refuse the protocol's ``hydrogen_mass`` (amu) for a composition without hydrogen.

    run_protocol refuses it on the worker, after the box is packed (a mass that acts on no
    atom would run the real masses recorded as raised); the default, 3 amu, is no choice (run
    at the real masses there). The species' elements tell it from the names alone.

    Raises
    ------
    PlanError
        A ``hydrogen_mass`` other than the default for a composition none of whose species
        (solvents, the salt's ions) holds hydrogen, naming the composition and the cure.
    """
    from ..md import _PROTOCOL_HYDROGEN_MASS
    from ..species import get_salt, get_species

    if hydrogen_mass is None or hydrogen_mass == _PROTOCOL_HYDROGEN_MASS:
        return
    species = [get_species(name) for name in shares]
    if salt is not None:
        species += [get_salt(salt).cation, get_salt(salt).anion]
    if any("H" in sp.symbols for sp in species):
        return
    raise PlanError(
        f"{where}: protocol hydrogen_mass = {hydrogen_mass:g} amu is the mass given to "
        f"hydrogen atoms, but {' + '.join(sp.name for sp in species)} holds none: it would "
        "act on no atom (each task would be refused after packing); leave out hydrogen_mass "
        f"(its default, {_PROTOCOL_HYDROGEN_MASS:g} amu, raises only hydrogen: this "
        "composition then runs at its real masses), or screen this composition in a plan of "
        "its own")


def _solvent(value, where):
    """``"EC:3,EMC:7"``, ``"EC"``, ``{"EC": 3, "EMC": 7}`` → ``{"EC": 3.0, "EMC": 7.0}``."""
    from ..species import get_species, parse_shares

    if isinstance(value, str):
        try:
            out = parse_shares(value, "solvent", default=1.0)
        except ValueError as err:
            # the reader's refusal quotes the entry and gives an example of the notation; a
            # negative share "did not parse" before it
            raise PlanError(f"{where}: solvent ratio {value!r}: {err}") from None
    elif isinstance(value, dict):
        # np.int64 is no int (np.float64 is a float): a share from NumPy was refused; a share
        # of inf or nan was told it "must be positive" (inf is): each is checked as the
        # string form's shares are, a finite number > 0, quoting what was given
        out = {str(name): float(_positive(share, f"{where}: solvent share of {name}"))
               for name, share in value.items()}
    else:
        raise PlanError(f"{where}: solvent must be 'EC:3,EMC:7' or a table, not {value!r}")
    if not out:
        raise PlanError(f"{where}: empty solvent")
    canonical = {}
    for name, share in out.items():
        if not (math.isfinite(share) and share > 0):
            raise PlanError(f"{where}: solvent share of {name} must be a finite number > 0, "
                            f"got {share:g}; e.g. EC:3,EMC:7")
        try:
            sp = get_species(name)
        except ValueError as err:
            raise PlanError(f"{where}: {err}") from None
        if sp.charge != 0:
            raise PlanError(f"{where}: {sp.name} is an ion; give it as salt = '...'")
        if sp.name in canonical:
            raise PlanError(f"{where}: solvent {sp.name} is named twice (as {name!r} too)")
        canonical[sp.name] = share
    return canonical


def _spelling(value, kind, what):
    """The canonical word of a composition's ``units`` or ``ratio``
    (:func:`ase_electrolyte.build.composition_word`, the reader the Python API uses); PlanError
    naming the entry and the choices."""
    from ..build import composition_word

    try:
        return composition_word(value, kind)
    except ValueError as err:
        raise PlanError(f"{what}: {err}") from None


def _label(solvent, ratio, salt, concentration, units):
    text = "-".join(f"{k}{v:g}" if len(solvent) > 1 else k for k, v in solvent.items())
    # a label per ratio: the same shares by volume are another electrolyte, whose tasks must
    # not be answered with the mass ratio's finished ones
    if ratio in ("mole", "volume") and len(solvent) > 1:
        text += f"-{ratio}"
    if salt:
        text += f"_{salt}-{concentration:g}{units}"
    return text


def _electrolyte_of(c):
    """What tells two compositions apart, to the 6 significant digits of their labels: the
    solvents' shares of their total, the ratio, the salt, the concentration and its units."""
    total = sum(c.solvent.values())
    shares = tuple(sorted((name, float(f"{share / total:.6g}"))
                          for name, share in c.solvent.items()))
    return shares, c.ratio, c.salt, float(f"{c.concentration:.6g}"), c.units


def _composition_text(c):
    """``"EC:3,EMC:7 (mass), LiPF6 1 molal"``: a composition as a message names it."""
    solvent = ",".join(f"{name}:{share:g}" for name, share in c.solvent.items())
    salt = f", {c.salt} {c.concentration:g} {c.units}" if c.salt else ""
    return f"{solvent} ({c.ratio}){salt}"


def _compositions(entries, n_atoms, density, temperatures=(298.0,), replicas=1, seed=0,
                  hydrogen_mass=None):
    from ..build import (
        _check_packing_time,
        _default_packmol_timeout,
        composition_counts,
        composition_density,
    )
    from ..species import get_salt

    entries = [] if entries is None else _listed(entries)
    if not entries:
        raise PlanError("the plan needs at least one [[composition]] with a solvent")
    tasks_per_composition = len(temperatures) * replicas
    # the grid's size first, from the list lengths alone: each composition is then checked
    # (species, salt, box counts), which for a million of them took minutes
    n_compositions = 0
    for entry in entries:
        if isinstance(entry, dict):
            solvents, concs = entry.get("solvent"), entry.get("concentration")
            n_concs = len(_listed(concs)) if entry.get("salt") else 1
            n_compositions += len(_listed(solvents)) * n_concs
    _check_task_count(
        n_compositions * tasks_per_composition,
        f"{counted(n_compositions, 'composition')} × {_count_text(tasks_per_composition)} "
        "temperatures "
        "and replicas",
    )
    out = []
    boxes = []  # each composition's molecule counts, in the order of out
    packed = []  # (composition, counts, where) for the packing check, made last
    for i, entry in enumerate(entries, start=1):
        where = f"composition {i}"
        if not isinstance(entry, dict):
            raise PlanError(f"{where}: a table of solvent, salt, concentration, not {entry!r}")
        unknown = sorted(set(entry) - _COMPOSITION_KEYS)
        if unknown:
            raise _unknown_keys(
                f"{where}: unknown key(s) {unknown}; known: {sorted(_COMPOSITION_KEYS)}", unknown
            )
        if "solvent" not in entry:
            raise PlanError(f"{where}: no solvent" + (
                " (a plan's composition is a salt in a solvent; a salt alone, an ionic liquid "
                "or a molten salt, has no concentration to screen: electrolyte_box(counts=...) "
                "packs one)" if entry.get("salt") is not None else ""))
        ratio = _spelling(entry.get("ratio", "mass"), "ratio", where)
        units = _spelling(entry.get("units", "molal"), "units", where)
        if units == "molar" and entry.get("salt") is None:
            # checked before the density: without a salt the density is not what is missing,
            # and composition_counts' refusal speaks of electrolyte_box's arguments
            raise PlanError(
                f"{where}: units = {entry['units']!r} has no effect without a salt: mol/L is a "
                "salt's concentration, and a pure solvent has none; leave units out (the "
                "plan's density, if given, still sets the box) or give salt and concentration"
            )
        if units == "molar" and density is None:
            raise PlanError(
                f"{where}: a molar concentration needs the plan's density (g/cm³) to convert "
                "mol/L into molecule counts; give density = ... or use units = 'molal'"
            )
        salt = entry.get("salt")
        if salt is not None:
            try:
                salt = get_salt(salt).name
            except ValueError as err:
                raise PlanError(f"{where}: {_mixture_refusal(salt) or err}") from None
        solvents = entry["solvent"]
        solvents = _listed(solvents)
        if not solvents:  # an empty grid would drop the entry without a word
            raise PlanError(f"{where}: solvent is an empty list")
        concs = entry.get("concentration", None if salt is None else [])
        if salt is None:
            given = [c for c in _listed(concs) if c is not None]
            # type, not isinstance: False == 0, and a flag is no concentration
            if any(type(c) not in (int, float) or c != 0 for c in given):
                raise PlanError(f"{where}: a concentration without a salt")
            concs = [0.0]
        else:
            concs = _listed(concs)
            if not concs:
                raise PlanError(f"{where}: salt {salt} needs a concentration")
            if any(type(c) in (int, float) and c == 0 for c in concs):
                # 0 mol/kg of a salt is the pure solvent, which a plan gives without a salt;
                # the bare "> 0" did not say how
                raise PlanError(f"{where}: concentration 0 of salt {salt}: a pure solvent is a "
                                "composition without salt (leave out salt and concentration)")
            concs = [_positive(c, f"{where}: concentration ({units})") for c in concs]
        if entry.get("label") is not None and len(solvents) * len(concs) > 1:
            # one label for several compositions: it would name none of them
            raise PlanError(
                f"{where}: label {entry['label']!r} names one composition, but this entry makes "
                f"{len(solvents) * len(concs)} (a list of solvents or concentrations); drop the "
                "label or give each composition its own [[composition]]"
            )
        for solvent in solvents:
            shares = _solvent(solvent, where)
            for c in concs:
                label = entry.get("label")
                if label is None:
                    label = _label(shares, ratio, salt, c, units)
                label = _text(label, f"{where}: label")
                # a leading dot makes a hidden folder, and "." or ".." a folder outside tasks/
                if not re.fullmatch(r"[A-Za-z0-9_+-][A-Za-z0-9_.+-]*", label):
                    raise PlanError(
                        f"{where}: label {label!r}: letters, digits, _ . + - only, not starting "
                        "with '.'"
                    )
                if len(label.encode()) > MAX_LABEL_BYTES:
                    # the task folder could not be created: every task of it would fail
                    raise PlanError(
                        f"{where}: label {label[:40]!r}... is {len(label.encode())} "
                        f"bytes long; a folder name holds at most {MAX_LABEL_BYTES}"
                    )
                _check_hydrogen_mass(hydrogen_mass, shares, salt, f"{where} ({label})")
                try:  # the box must hold the composition: cheap, and fails before any task
                    counts = composition_counts(
                        shares, salt, c, units=units, n_atoms=n_atoms, ratio=ratio,
                        density=composition_density(units, density),
                    )
                    # PACKMOL at the default timeout of electrolyte_box (the tasks' one)
                    _check_packing_time(sum(sp.n_atoms * n for sp, n in counts.items()),
                                        _default_packmol_timeout())
                except ValueError as err:
                    raise PlanError(f"{where}: {err}") from None
                composition = Composition(shares, ratio, salt, c, units, label)
                out.append(composition)
                boxes.append(_box_key(counts))
                packed.append((composition, counts, where))
    counts = Counter(c.label for c in out)  # list.count per label: quadratic in big grids
    repeated = sorted(label for label, n in counts.items() if n > 1)
    if repeated:
        # the bare "compositions repeat: [label]" named neither the entries nor the fix, where
        # the repeat was "ec:3,emc:7" beside "EC:3,EMC:7" or mol/kg beside molal
        label = repeated[0]
        entries = [w for c, _, w in packed if c.label == label]
        named = {}  # each electrolyte the label is given to -> its first entry
        for c, _, w in packed:
            if c.label == label:
                named.setdefault(_electrolyte_of(c), (w, c))
        if len(named) > 1:
            # a label given to two electrolytes was told they were one ("repeats ... one
            # electrolyte in any spelling"), and to give it once
            (w1, c1), (w2, c2) = list(named.values())[:2]
            raise PlanError(
                f"label {label!r} is given to different compositions: {w1} "
                f"({_composition_text(c1)}) and {w2} ({_composition_text(c2)}); each task "
                "folder is named by its label: give each composition its own label")
        places = (f"{entries[0]} lists it {len(entries)} times" if len(set(entries)) == 1
                  else " and ".join(dict.fromkeys(entries)) + " both make it")
        raise PlanError(
            f"composition {label!r} repeats: {places} (one electrolyte in any spelling, case "
            "or unit alias: one task folder, one row); give it once (more samples: "
            "replicas = ...)" + (f"; {len(repeated) - 1} more repeat(s): {repeated[1:4]}"
                                 if len(repeated) > 1 else ""))
    # labels that differ in case only name one folder on a case-insensitive file system
    # (macOS, Windows): the second composition would be answered with the first one's results
    folded = {}
    for c in out:
        first = folded.setdefault(c.label.casefold(), c.label)
        if first != c.label:
            raise PlanError(
                f"composition labels {first!r} and {c.label!r} differ in case only: one task "
                "folder on a case-insensitive file system; give them distinct labels"
            )
    check_distinct(out, boxes, n_atoms)
    # after the checks that refuse a plan, before the packing check's conformers and any task:
    # a marked row was found only by the aggregate, after every simulation had run
    _warn_packing_shortfalls(packed, n_atoms, density)
    if density is not None:
        # too dense for its molecules (the van der Waals box of density=None always passes);
        # after every cheap check: it builds each task's conformers (about 0.1 s a task), and
        # an unknown salt in the last composition was named after those of all the others
        for composition, counts, where in packed:
            _check_tasks_packable(_tasks_of(composition, temperatures, replicas, seed), counts,
                                  density, where)
    return out


def _warn_packing_shortfalls(packed, n_atoms, density):
    """One UserWarning naming each composition of ``packed`` (``(composition, counts, where)``)
    whose box at ``n_atoms`` is not the asked composition (:func:`packing_shortfall`).

    A warning, not a refusal: a small box is a fair choice for a first look, and the tables
    mark those rows not valid; the user is told before the simulations, not after them.
    """
    import warnings

    marked = []
    for composition, counts, where in packed:
        text, first = _shortfall(composition, n_atoms, density, counts, PACKING_TOLERANCE)
        if text:
            marked.append((f"{composition.label!r} ({where}): {text}", first))
    if not marked:
        return
    sizes = [first for _, first in marked]
    larger = (f"; n_atoms = {max(sizes)} or more packs each of them within "
              f"{100 * PACKING_TOLERANCE:g} %" if None not in sizes else "")
    # stacklevel: the caller of load_plan or run_screen (each calls _load_plan, then
    # _checked_plan, then _compositions, which calls this)
    warnings.warn(
        f"n_atoms = {n_atoms} packs {len(marked)} of the plan's "
        f"{counted(len(packed), 'composition')} off what they ask, and the tables will mark "
        "their rows not valid: " + "; ".join(text for text, _ in marked) + larger,
        UserWarning, stacklevel=6)


def _mixture_refusal(salt):
    """Why a plan refuses ``salt`` when it mixes library salts (``"LiPF6+LiFSI"``), or ``""``.

    The library's refusal advised ``counts={...}``, which is no key of a plan, before the
    plan's own word that a mixture is not screened; one box of the mixture is packed by its
    molecules in Python.
    """
    from ..species import mixture_ion_counts, salt_mixture

    salts = salt_mixture(salt)
    if not salts:
        return ""
    ions = ", ".join(f"{ion!r}: {terms}" for ion, terms in mixture_ion_counts(salts).items())
    return (f"salt {salt!r} is a mixture of {' and '.join(s.name for s in salts)}; a plan's "
            "composition holds one salt, so a mixture of salts is not screened; one box of it "
            f"is packed by its molecules with electrolyte_box(counts={{solvent: ..., {ions}}}) "
            "and run with run_protocol")


def _check_tasks_packable(tasks, counts, density, where):
    """PlanError naming the ``tasks`` whose boxes cannot be packed at ``density``.

    Each task packs the conformers of its own seed (:func:`~ase_electrolyte.build.conformer`),
    and a flexible molecule's lowest-energy conformer changes with it: the packing limit of
    five G2 was 1.077 g/cm³ with the conformers of seed 0, which this check once used for
    every task, and 1.029 to 1.193 g/cm³ with those of twelve task seeds; at 1.05 g/cm³ the
    plan was accepted and three of the twelve tasks failed after loading their model. The
    check is the one :func:`~ase_electrolyte.build.electrolyte_box` makes before PACKMOL, with
    the task's seed.
    """
    from ..build import _check_packable_at

    refused = []
    for task in tasks:
        try:
            # each seed its own conformers: kept for no other task, whose seed differs
            _check_packable_at(counts, density, {}, seed=task.seed)
        except ValueError as err:
            refused.append((task, err))
    if not refused:
        return
    task, err = refused[0]
    others = ""
    if len(refused) > 1:
        names = ", ".join(t.id for t, _ in refused[1:4])
        more = f" and {len(refused) - 4} more" if len(refused) > 4 else ""
        # each task's limit is that of its own conformers: the one named is the first's
        others = (f"; the density named is this task's limit: {len(refused) - 1} other "
                  f"task(s) of the composition's {len(tasks)} are refused at {density:g} "
                  f"g/cm³ too, and may need a lower one ({names}{more})")
    raise PlanError(
        f"{where}: {err} (task {task.id}, whose seed {task.seed} gives its molecules' "
        f"conformers{others})"
    )


def box_of(composition, n_atoms, density=None):
    """The molecules a task of ``composition`` packs at ``n_atoms`` (and the plan's ``density``).

    Parameters
    ----------
    composition : Composition or dict
        A :class:`Composition` or its ``asdict`` form (as stored in ``plan.json``).
    n_atoms : int
    density : float, optional
        g/cm³ (needed for molar concentrations).

    Returns
    -------
    tuple
        ``((species name, molecules), ...)`` sorted by name: equal for two compositions whose
        tasks pack the same box.

    Raises
    ------
    ValueError
        A composition :func:`~ase_electrolyte.build.composition_counts` refuses.
    """
    from ..build import composition_counts, composition_density

    c = composition if isinstance(composition, dict) else asdict(composition)
    counts = composition_counts(c["solvent"], c["salt"], c["concentration"], units=c["units"],
                                n_atoms=n_atoms, ratio=c["ratio"],
                                density=composition_density(c["units"], density))
    return _box_key(counts)


def packed_concentration(box, salt, units, density=None):
    """The salt concentration a box's integer molecule counts realise, and its cation molality.

    In a small box the counts are rounded: 1.0 and 1.05 mol/kg of LiPF6 in 300 atoms of
    EC:EMC 3:7 both pack 2 ion pairs with 7 EC and 14 EMC, which is 0.96 mol/kg.

    Parameters
    ----------
    box : dict or tuple
        ``{species name: molecules}`` (a task's recorded ``composition_counts``) or
        :func:`box_of`'s tuple.
    salt : str or None
        The composition's salt (its stoichiometry turns cations into formula units).
    units : {"molal", "molar"}
        Of the returned concentration.
    density : float, optional
        g/cm³: a molar concentration is that of the box at this density (the plan's).

    Returns
    -------
    tuple of float
        ``(concentration in units, cation molality in mol/kg of solvent)``; ``(0, 0)`` for a
        pure solvent, NaN for a molar concentration without a density.

    Raises
    ------
    ValueError
        An unknown species or salt name.
    """
    from ..build import _salt_concentration
    from ..species import get_salt, get_species

    plan = {get_species(name): n for name, n in dict(box).items()}
    solvent_g = sum(sp.mass * n for sp, n in plan.items() if sp.charge == 0)
    cations = sum(n for sp, n in plan.items() if sp.charge > 0)
    if not salt or not cations:
        return 0.0, 0.0
    molality = 1000.0 * cations / solvent_g  # mol/kg: masses in g/mol
    # one conversion with electrolyte_box's info["packed_composition"]
    return (_salt_concentration(plan, get_salt(salt).stoichiometry, units, density),
            molality)


#: Relative difference between the salt concentration a box packs and the one asked (and
#: absolute difference of a solvent share) beyond which the box is not the asked composition:
#: the whole-molecule rounding of a box of a thousand atoms stays within it for 1 mol/kg and
#: more, that of 70-300 atoms does not (3.0 mol/kg LiPF6 in 70 atoms of EC packs 3.79 mol/kg).
#: :data:`~ase_electrolyte.screen.aggregate.CONCENTRATION_TOLERANCE` is this number.
PACKING_TOLERANCE = 0.05


def packing_shortfall(composition, n_atoms, density=None, box=None,
                      tolerance=PACKING_TOLERANCE):
    """How far the box of ``composition`` at ``n_atoms`` is from the asked one, or ``""``.

    Parameters
    ----------
    composition : Composition or dict
        A :class:`Composition` or its ``asdict`` form (as stored in ``plan.json``).
    n_atoms : int
        The plan's box size (atoms).
    density : float, optional
        g/cm³, the plan's (a molar concentration is the box's at it).
    box : dict or tuple, optional
        The molecules packed (``{name: count}`` or :func:`box_of`'s tuple); default: the
        box the plan packs.
    tolerance : float
        Relative deviation of the salt concentration, and absolute deviation of a solvent
        share, within which the box is the asked composition.

    Returns
    -------
    str
        ``""`` within ``tolerance`` (or where the box cannot be made: its own refusal says
        why); else what the box holds against what was asked, and the ``n_atoms`` from which
        the rounding to whole molecules keeps the composition within ``tolerance`` (one salt
        formula unit and one solvent molecule are then at most ``tolerance`` of their totals).

    Notes
    -----
    The search for that ``n_atoms`` packs some twenty boxes (about 5 ms); its answer is kept
    for the process, keyed on the composition, ``density``, ``tolerance`` and the size the
    search starts from, so the plan's check and every aggregate of a screen ask it once.
    """
    return _shortfall(composition, n_atoms, density, box, tolerance)[0]


def _shortfall(composition, n_atoms, density, box, tolerance):
    """:func:`packing_shortfall`'s text and the ``n_atoms`` it suggests (``None`` where it
    suggests none, or the box is within ``tolerance``)."""
    from ..build import _packed_composition, composition_counts, composition_density

    c = composition if isinstance(composition, dict) else asdict(composition)
    salt = c["salt"] or None

    def packed(size, counts=None):
        if counts is None:
            counts = composition_counts(c["solvent"], salt, c["concentration"],
                                        units=c["units"], n_atoms=size, ratio=c["ratio"],
                                        density=composition_density(c["units"], density))
        return _packed_composition(dict(counts), c["solvent"], salt, c["concentration"],
                                   units=c["units"], ratio=c["ratio"], density=density), counts

    def within(p):
        return (abs(p["concentration_deviation"]) <= tolerance
                and p["solvent_share_deviation"] <= tolerance)

    try:
        p, counts = packed(n_atoms, dict(box) if box is not None else None)
    except (ValueError, TypeError, KeyError):
        return "", None
    if not math.isfinite(p["concentration_deviation"]) or within(p):
        return "", None
    from ..species import get_salt, get_species

    units = p["units"]
    parts = []
    if abs(p["concentration_deviation"]) > tolerance:
        parts.append(f"{p['concentration_packed']:.3g} {units} of {salt}, not the "
                     f"{p['concentration_asked']:g} {units} asked "
                     f"({100 * p['concentration_deviation']:+.0f} %)")
    if p["solvent_share_deviation"] > tolerance:
        def shares(which):
            return ":".join(f"{v:.3g}" for v in p[which].values())
        names = ":".join(p["solvent_shares_asked"])
        parts.append(f"solvent {names} {shares('solvent_shares_packed')} by {p['ratio']}, "
                     f"not {shares('solvent_shares_asked')}")
    # whole molecules round the salt by at most half a formula unit and each share by about
    # half a molecule of the solvent: 1/(2 tolerance) of each keeps both within tolerance
    species = {get_species(k): n for k, n in dict(counts).items()}
    n_solvent = sum(n for sp, n in species.items() if sp.charge == 0)
    n_salt = 0.0
    if salt:
        n_salt = (sum(n for sp, n in species.items() if sp.charge > 0)
                  / get_salt(salt).stoichiometry[0])
        n_salt *= p["concentration_asked"] / p["concentration_packed"]  # unrounded
    need = 0.5 / tolerance
    size = max(n_atoms, math.ceil(n_atoms * max(need / n_salt if n_salt else 1.0,
                                                need / n_solvent)))
    solvent = tuple(c["solvent"].items())
    # the search packs some twenty boxes (about 5 ms a marked composition): it is asked again
    # by every aggregate and by the plan's check of the same composition. The key holds the
    # values' types too (lru_cache's typed= sees only the top level): 1 and True must not share
    # an answer, though a share or concentration of either type packs the same box
    key = (solvent, tuple(type(v) for _, v in solvent), c["ratio"], salt, c["concentration"],
           c["units"], density, tolerance, size)
    try:
        hash(key)
    except TypeError:  # an unhashable value the library took: no reuse, the same answer
        first = _first_size_within.__wrapped__(*key)
    else:
        first = _first_size_within(*key)
    # no "; ": the table's verdicts join their reasons with it
    fix = ("" if first is None
           else f" (n_atoms = {first} or more packs it within {100 * tolerance:g} %)")
    return (f"the box of {n_atoms} atoms holds {' and '.join(parts)}, beyond the "
            f"{100 * tolerance:g} % {_SHORTFALL_MARK}{fix}", first)


@functools.lru_cache(maxsize=4096, typed=True)
def _first_size_within(solvent, types, ratio, salt, concentration, units, density, tolerance,
                       size):
    """The first box size, from ``size`` on in steps of 5 %, from which the composition is
    packed within ``tolerance`` (at every size sampled up to 1.5 times it); ``None`` where
    there is none up to :data:`~ase_electrolyte.build.MAX_ATOMS`. ``types`` is for the cache
    key only (see :func:`packing_shortfall`)."""
    from ..build import MAX_ATOMS, _packed_composition, composition_counts, composition_density

    shares = dict(solvent)

    def within(k):
        counts = composition_counts(shares, salt, concentration, units=units, n_atoms=k,
                                    ratio=ratio, density=composition_density(units, density))
        p = _packed_composition(dict(counts), shares, salt, concentration, units=units,
                                ratio=ratio, density=density)
        return (abs(p["concentration_deviation"]) <= tolerance
                and p["solvent_share_deviation"] <= tolerance)

    def holds_from(size):
        # the bound is approximate (2 in 3000 sizes above it were 5.3 % off): "or more" is
        # checked on sizes up to 1.5 times it
        try:
            return all(within(k)
                       for k in range(size, math.ceil(1.5 * size), max(1, size // 40)))
        except ValueError:
            return False

    for _ in range(40):
        if size > MAX_ATOMS:
            return None
        if holds_from(size):
            return size
        size = math.ceil(size * 1.05)
    return None


#: What every :func:`packing_shortfall` text says: the comparison with a measurement taken at
#: the packed concentration finds it in a row's verdict.
_SHORTFALL_MARK = ("of whole-molecule rounding: its numbers are that box's, not the asked "
                  "composition's")


def _box_key(counts):
    return tuple(sorted((sp.name, n) for sp, n in counts.items()))


def check_distinct(compositions, boxes, n_atoms, held=0):
    """PlanError for two compositions that are one electrolyte, or that pack one box.

    Parameters
    ----------
    compositions : list of Composition or dict
        The first ``held`` of them are those an output folder already records (``asdict`` form,
        from its ``plan.json``), the others the plan's.
    boxes : list
        Each composition's molecule counts (``{Species: n}`` or :func:`box_of`'s tuple); ``None``
        where they cannot be computed (a recorded composition this version refuses).
    n_atoms : int
    held : int
        How many leading entries the folder records: they are not compared with each other,
        and the message says the folder holds them.
    """

    def label(c):
        return c["label"] if isinstance(c, dict) else c.label

    def name(k, c):
        text = repr(label(c))
        return f"{text} (recorded in the output folder)" if k < held else text

    # the same electrolyte under two labels (EC:3,EMC:7 and EC:6,EMC:14, or one composition
    # labelled twice) would be simulated twice and reported as two rows
    seen = {}
    for k, c in enumerate(compositions):
        first = seen.setdefault(composition_key(c), k)
        if first != k and k >= held:
            d = c if isinstance(c, dict) else asdict(c)
            raise PlanError(
                f"compositions {name(first, compositions[first])} and {name(k, c)} are the same "
                f"electrolyte ({_solvent_text(d)} by {d['ratio']}, {d['salt'] or 'no salt'} "
                f"{float(d['concentration']):g} {d['units']}); "
                + (f"the folder holds it: give it as {label(compositions[first])!r}"
                   if first < held else "give it once (more samples: replicas = ...)")
            )
    # a grid finer than the box resolves: 1.0, 1.05 and 1.1 molal of LiPF6 in 300 atoms of
    # EC:EMC are all 2 ion pairs in 7 EC + 14 EMC. Each was simulated as a composition of its
    # own and plotted at its nominal concentration: a flat line that is one electrolyte. A
    # plan that adds 1.05 molal to a folder of 1.0 molal is the same grid, run in two goes
    same_box = {}
    for k, (c, counts) in enumerate(zip(compositions, boxes, strict=True)):
        if counts is None:
            continue
        key = counts if isinstance(counts, tuple) else _box_key(counts)
        first = same_box.setdefault(key, k)
        if first != k and k >= held:
            molecules = ", ".join(f"{n} {species}" for species, n in key)
            raise PlanError(
                f"compositions {name(first, compositions[first])} and {name(k, c)} give the "
                f"same box at n_atoms = {n_atoms} ({molecules}): one electrolyte, which the "
                "table would show at two concentrations; "
                + ("drop it from this plan, or use a larger n_atoms in another output folder"
                   if first < held else "use a larger n_atoms or a coarser grid")
            )


def _solvent_text(c):
    return ",".join(f"{k}:{float(v):g}" for k, v in c["solvent"].items())


def composition_key(composition):
    """What makes two compositions the same electrolyte: normalised shares, salt, concentration.

    Parameters
    ----------
    composition : Composition or dict
        A :class:`Composition` or its ``asdict`` form (as stored in ``plan.json``).
    """
    c = composition if isinstance(composition, dict) else asdict(composition)
    shares, ratio = mole_shares(c["solvent"], c["ratio"])
    shares = tuple(sorted((k, round(v, 9)) for k, v in shares.items()))
    return shares, ratio, c["salt"] or None, round(float(c["concentration"]), 9), c["units"]


def mole_shares(solvent, ratio):
    """``(mole fractions, None)`` of ``solvent`` (``{name: share}``) given by ``ratio``.

    One mixture given by mass, by moles or by volume packs the same molecules
    (:func:`~ase_electrolyte.build.composition_counts`): compared by their shares as written,
    EC:EMC 3:7 by mass and its mole fractions were two electrolytes, simulated twice. A
    solvent the library does not know (a record of another version) keeps its shares as
    written and its ratio (marked "as written"), which then still tells it apart.
    """
    from ..build import _share_per_molecule, composition_word
    from ..species import get_species

    total = sum(solvent.values())
    if len(solvent) == 1:  # the ratio means nothing for a single solvent
        return {k: v / total for k, v in solvent.items()}, None
    try:
        per_molecule = _share_per_molecule([get_species(k) for k in solvent],
                                           composition_word(ratio, "ratio"))
    except ValueError:
        # never None, which stands for mole fractions
        return {k: v / total for k, v in solvent.items()}, f"{ratio} as written"
    moles = [float(v / w) for v, w in zip(solvent.values(), per_molecule, strict=True)]
    return {k: m / sum(moles) for k, m in zip(solvent, moles, strict=True)}, None


def _protocol(data):
    if not isinstance(data, dict):
        raise PlanError(f"protocol must be a table, not {data!r}")
    unknown = sorted(set(data) - set(_PROTOCOL_DEFAULTS))
    if unknown:
        raise _unknown_keys(
            f"unknown protocol setting(s) {unknown}; known: {sorted(_PROTOCOL_DEFAULTS)}",
            unknown,
        )
    out = dict(_PROTOCOL_DEFAULTS)
    for key, value in data.items():
        if key == "production_ensemble":
            from ..md import ensemble_name

            try:
                # "NPT" is "npt": one reading with run_protocol, and one task folder
                out[key] = ensemble_name(value, "protocol production_ensemble")
            except ValueError as err:
                raise PlanError(str(err)) from None
            continue
        stage = key.endswith("_ps") and key != "production_ps"
        out[key] = _number(value, f"protocol {key}", **({"minimum": 0} if stage else {"above": 0}))
    return out


def _number(value, what, **bounds):
    from ..atoms_checks import check_number

    try:
        return check_number(what, value, **bounds)
    except ValueError as err:
        raise PlanError(str(err)) from None


def _temperature(value, where=None):
    """One of the plan's ``temperatures`` (K) as a float, or a :class:`PlanError` naming it.

    The protocol's check of a run's temperature, as ``electrolyte simulate --temperature``
    and ``analyze --temperature`` make it: -10 is told its reading in °C, a temperature
    outside a liquid's 50–6000 K is doubted, each one of a plan (only the first was: the
    protocol's doubts are said once per plan, and ``[298, 25]`` ran 25 K without a word).
    ``where``: the row of an experimental table, whose column is the keyword the check names
    (``temperature_K``); without it the messages name the plan's ``temperatures``.
    """
    import re
    import warnings

    from ..md import check_protocol_arguments

    def named(message):
        if where is not None:
            return f"{where}: {message}"
        message = re.sub(r"^temperature_K must", "each must", message)
        return "temperatures: " + re.sub(r"^temperature_K = ", "", message)

    with warnings.catch_warnings(record=True) as doubts:
        warnings.simplefilter("always")
        try:
            check_protocol_arguments(temperature_K=value)
        except ValueError as err:
            raise PlanError(named(str(err))) from None
    for doubt in doubts:
        warnings.warn(named(str(doubt.message)), doubt.category, stacklevel=4)
    return float(value)


def _check_protocol(protocol, temperatures):
    """The checks run_protocol makes, here, before a box is packed on any worker."""
    import warnings

    from ..md import check_protocol_arguments

    for k, t in enumerate(temperatures):
        try:
            with warnings.catch_warnings():
                # each temperature was doubted by _temperature, naming the plan's entry
                warnings.filterwarnings("ignore", message=r"temperature_K = ")
                if k:  # implausible settings warn once per plan, not once per temperature
                    warnings.simplefilter("ignore")
                check_protocol_arguments(temperature_K=t, **protocol)
        except ValueError as err:
            raise PlanError(f"protocol: {err}") from None



def _plan_device(value):
    """The plan's device in the calculator's one spelling (:func:`~ase_electrolyte.device.
    device_spelling`: any case, torch's ``cpu:0``; a bare ``cuda`` gives each worker its own
    GPU)."""
    from ..device import device_spelling

    try:
        return device_spelling(str(value))
    except ValueError as e:
        raise PlanError(f"model: {e}") from None


def _model(data, base):
    from ..calculator import parse_dispersion
    from ..models import (
        _BACKENDS,
        _NAMED,
        _backend_of_file,
        _check_modal,
        _installed,
        _unknown_model,
        registered_name,
    )

    if not isinstance(data, dict):
        raise PlanError(
            "the plan needs a [model] table with name = '<registered model>', file = '<path>' "
            "or calculator = 'module:function'"
        )
    unknown = sorted(set(data) - _MODEL_KEYS)
    if unknown:
        raise _unknown_keys(f"model: unknown key(s) {unknown}; known: {sorted(_MODEL_KEYS)}",
                            unknown)
    given = [k for k in ("name", "file", "calculator") if data.get(k)]
    if len(given) != 1:
        raise PlanError(
            f"model: give exactly one of name, file, calculator (got {given or 'none'})"
        )
    kind = given[0]
    value = _text(data[kind], f"model {kind}")
    options = data.get("options", {}) or {}
    if not isinstance(options, dict):
        raise PlanError(f"model options must be a table, not {options!r}")
    dispersion = data.get("dispersion", "none")
    try:
        # one spelling per damping ("D3(BJ)", " d3" and "d3-bj" are one model): the spelling
        # is in the plan's fingerprint, and "D3-BJ" made a rerun of a "d3-bj" folder another plan
        damping = parse_dispersion(dispersion)
        dispersion = None if damping is None else f"d3-{damping}"
    except ValueError:
        raise PlanError(
            f"model: unknown dispersion {dispersion!r}; use 'none', 'd3-bj', 'd3-zero', "
            "'d3-bjm', 'd3-zerom', 'd3-op' or 'd3-cso'"
        ) from None
    device = _plan_device(data.get("device", "auto"))

    if kind == "name":
        # the one reading of a name (models.registered_name): sevenn's '7net-0' and any spacing
        # were refused here though the calculator and the command line take them
        name = registered_name(value)
        if name is None:
            # the calculator's own refusal, whose near miss ('sevenet-0') names the model
            raise PlanError(
                f"model: {str(_unknown_model(value)).removesuffix(', or give a model file')}; "
                "or give file = '<model file>' or calculator = 'module:function'"
            )
        named = _NAMED[name]
        try:  # a multi-fidelity model without its modal failed in every task
            _check_modal(value, named, options)
        except ValueError as err:
            raise PlanError(f"model: {err}") from None
        backend = _BACKENDS[named.backend]
        if not _installed(named.backend):
            raise PlanError(
                f"model {value!r} needs the package {backend.package!r}, which is not "
                f'installed: pip install "ase-electrolyte[{backend.extra}]"'
            )
        value = name
    elif kind == "file":
        from ..models import _check_file_content, _check_file_path

        path = (base / value).resolve()
        if not os.path.lexists(path):
            raise PlanError(f"model file {str(path)!r} does not exist")
        try:  # a directory, an empty file, a dangling link
            _check_file_path(str(path))
        except ValueError as err:
            raise PlanError(f"model: {err}") from None
        try:
            name = options.get("backend") or _backend_of_file(str(path))
        except ValueError as err:
            raise PlanError(f"model: {err}") from None
        if name not in _BACKENDS:
            raise PlanError(f"model: unknown backend {name!r}; known: {sorted(_BACKENDS)}")
        if not _installed(name):
            raise PlanError(
                f"model file {path.name} needs the package {_BACKENDS[name].package!r}, which is "
                f'not installed: pip install "ase-electrolyte[{_BACKENDS[name].extra}]"'
            )
        try:  # its first bytes: a text file named .pth failed in every task, after packing
            _check_file_content(str(path), name)
        except ValueError as err:
            raise PlanError(f"model: {err}") from None
        value = str(path)
    else:
        value = _check_calculator_function(value, base, options)
    model = {
        "kind": kind,
        "value": value,
        "dispersion": dispersion,
        "device": device,
        "options": dict(options),
    }
    if model_path(model) is not None:
        from ..native_build import file_sha256

        # the file's bytes, not only its path, are the model: one retrained into the same path
        # (the model loop writes its fine-tuned model over the old one), or a calculator file
        # edited between two runs (other parameters), made a rerun reuse every finished task
        # of the old model as if it were the new one's
        model["sha256"] = file_sha256(model_path(model))
    return model


def _check_calculator_function(spec, base, options=None):
    """``module:function`` or ``file.py:function`` → the same with an absolute file path.

    The plan's ``options`` must fit the function's signature: it is called as
    ``function(**options)`` on every worker, where a misspelt option failed each task.
    """
    module, sep, func = spec.rpartition(":")
    if not sep or not module or not func.isidentifier():
        raise PlanError(
            f"model calculator {spec!r} must be 'module:function' or 'path/to/file.py:function'"
        )
    if module.endswith(".py"):
        path = (base / module).resolve()
        if not path.is_file():
            raise PlanError(f"model calculator file {str(path)!r} does not exist")
        spec = f"{path}:{func}"
    try:
        target = resolve_function(spec)
    except ImportError as err:
        raise PlanError(
            f"model calculator {spec!r}: cannot import {module!r} ({err}); is its package "
            "installed on this machine and on the workers?"
        ) from None
    except AttributeError:
        raise PlanError(f"model calculator {spec!r}: {module!r} has no {func!r}") from None
    if not callable(target):
        raise PlanError(f"model calculator {spec!r} is not callable")
    import inspect

    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # some builtins have none: nothing to check against
        return spec
    try:
        signature.bind(**(options or {}))
    except TypeError as err:
        raise PlanError(
            f"model calculator {spec!r} cannot be called with options "
            f"{sorted(options or {})} ({err}); its parameters: {signature}"
        ) from None
    return spec


def resolve_function(spec):
    """The object named by ``"module:function"`` or ``"/path/file.py:function"``."""
    module, _, func = spec.rpartition(":")
    if module.endswith(".py"):
        from ..native_build import file_sha256

        # named by the file's bytes as well as its path: a file edited after a first import
        # (a notebook's in-process cluster, a scheduler's workers kept from one screen to the
        # next) was answered with the module loaded before the edit, and its tasks ran the old
        # potential under the new file's hash
        digest = file_sha256(module)
        name = "_electrolyte_screen_" + hashlib.sha256(
            f"{module}\0{digest}".encode()).hexdigest()[:12]
        loaded = sys.modules.get(name)
        if loaded is None:
            file_spec = importlib.util.spec_from_file_location(name, module)
            loaded = importlib.util.module_from_spec(file_spec)
            file_spec.loader.exec_module(loaded)
            sys.modules[name] = loaded
        return getattr(loaded, func)
    return getattr(importlib.import_module(module), func)


def _analyses(names):
    from mda_electrolyte.report import analysis_names

    given, names = names, _listed(names)
    if not all(isinstance(n, str) for n in names):
        raise PlanError(f"analyses must be a list of names, not {given!r}")
    if not names:
        return []
    try:
        # "Diffusion" is diffusion, as for the electrolyte command's --only
        return analysis_names(names)
    except ValueError as err:
        raise PlanError(str(err)) from None


#: Analyses of a task whose estimate needs a length of the production (frames apart by
#: ``write_interval_fs``, or the per-step charge current) it can refuse
_LENGTH_BOUND = ("diffusion", "einstein_helfand_conductivity", "nernst_einstein",
                 "green_kubo_conductivity", "viscosity")


#: Per-step samples of a production beyond which its charge current is not tried: 20 ps of
#: 1 fs steps hold ten 2 ps blocks, past any length Green–Kubo refuses (the try's cost grows
#: with the samples: 70 s for the 200 ps of Ju et al. 2025)
_LONG_CURRENT = 20_000


def _check_production_serves(protocol, analyses, temperatures):
    """Refuse, before any task runs, an analysis the production's frames cannot serve.

    Each task ran its whole MD and only then had ``einstein_helfand_conductivity`` refuse
    ("4 frames cannot be split into 10 blocks") or ``diffusion`` ("the fit window holds 1
    lag"): a production of 0.3 ps written every 100 fs. The analyses are run here, as the
    task's report runs them, on a synthetic collection of the production's frame count
    and spacing (:func:`~ase_electrolyte.md.protocol_steps`; 4 Li+ and 4 PF6- diffusing at
    0.02 Å²/ps in 8000 Å³, and for Green–Kubo and the viscosity a per-step charge current
    and pressure tensor correlated over 0.1 ps); a refusal that an ample production (8
    times as long, and at least 2001 frames) would not meet is the analysis' own, said with
    the setting that causes it. One the ample run meets too is a property of the synthetic
    data, left to the task.
    """
    wanted = [name for name in _LENGTH_BOUND if name in analyses]
    if not wanted:
        return
    from ..md import protocol_steps

    keys = ("production_ps", "timestep_fs", "write_interval_fs", "observe_interval_fs")
    stage = protocol_steps(**{k: protocol[k] for k in keys})["production"]
    if stage.steps == 0:
        return
    temperature = float(min(temperatures))
    for name in wanted:
        per_step = name in ("green_kubo_conductivity", "viscosity")
        if per_step and stage.steps > _LONG_CURRENT:
            continue
        # ample: 8 times as long, and at least the 2001 frames of Ju et al. (2025)'s
        # production, or a per-step current of _LONG_CURRENT steps
        ample = max(8 * stage.steps,
                    _LONG_CURRENT if per_step else 2000 * stage.write_interval)
        refusal = _dry_run(name, stage, temperature, stage.steps)
        if refusal is None or _dry_run(name, stage, temperature, ample) is not None:
            continue
        frames = stage.steps // stage.write_interval + 1
        # the analysis' reason advises its Python keywords ("give fewer n_blocks", "a wider
        # window fit_window"), which a plan has no key for: said as such, and what the plan
        # can change, the production's length, given as a number that was tried
        settings = sorted(set(re.findall(r"\b[a-z]\w*_\w+\b", refusal)) & _analysis_settings())
        fixed = (f" ({', '.join(settings)}: setting{'s' * (len(settings) > 1)} of the analysis "
                 "in Python, which a screen runs at its defaults, not plan keys)"
                 if settings else "")
        serving = _serving_length(name, stage, temperature, ample)
        length = ("Lengthen the production" if serving is None else
                  f"A production of {serving:g} ps at this write interval serves it (tried "
                  "likewise): lengthen the production")
        raise PlanError(
            f"analysis {name} cannot work on the production of this protocol "
            f"(production_ps = {protocol['production_ps']:g} ps, write_interval_fs = "
            f"{protocol['write_interval_fs']:g} fs: {frames} frames, {stage.steps + 1} "
            f"per-step samples); it would refuse after every task's MD: {refusal}{fixed}. "
            f"{length}{'' if per_step else ', write frames more often'}, or leave the "
            "analysis out")


def _serving_length(name, stage, temperature, ample):
    """A production (ps, whole frame intervals, as :func:`~ase_electrolyte.md.production_steps`
    rounds it) that analysis ``name`` serves on synthetic data, by bisection between
    ``stage``'s refused length and ``ample`` steps; ``None`` where the ample length, rounded
    up to whole frames, is refused too.

    Not always the shortest: the lengths served are not one interval (Einstein–Helfand's fit
    window, in fractions of a segment, holds 3 lags in segments of 11 frames and 2 in
    segments of 12 to 14).
    """
    every = stage.write_interval
    refused, served = stage.steps // every, -(-ample // every)
    if _dry_run(name, stage, temperature, served * every) is not None:
        return None
    while served - refused > 1:
        middle = (refused + served) // 2
        if _dry_run(name, stage, temperature, middle * every) is None:
            served = middle
        else:
            refused = middle
    return served * every * stage.timestep_fs / 1000.0


def _analysis_settings():
    """The keywords of the analyses :func:`_dry_run` runs (``n_blocks``, ``fit_window``,
    ``max_lag`` ...): settings a screen leaves at their defaults."""
    import inspect

    from mda_electrolyte.conductivity import (
        EinsteinHelfandConductivity,
        GreenKuboConductivity,
        NernstEinstein,
    )
    from mda_electrolyte.diffusion import Diffusion
    from mda_electrolyte.viscosity import GreenKuboViscosity

    return {name for cls in (EinsteinHelfandConductivity, GreenKuboConductivity, NernstEinstein,
                             Diffusion, GreenKuboViscosity)
            for name in inspect.signature(cls).parameters}


def _dry_run(name, stage, temperature, steps):
    """The refusal (text) of analysis ``name`` on synthetic data of a production of
    ``steps`` steps with ``stage``'s time step and frame interval, or ``None`` when it gives
    numbers."""
    import warnings

    import numpy as np
    from scipy.signal import lfilter

    from mda_electrolyte.conductivity import (
        EinsteinHelfandConductivity,
        GreenKuboConductivity,
        NernstEinstein,
    )
    from mda_electrolyte.diffusion import Diffusion
    from mda_electrolyte.ion_collection import IonCollection
    from mda_electrolyte.viscosity import GreenKuboViscosity

    rng = np.random.default_rng(0)
    counts, charges = {"Li": 4, "PF6": 4}, {"Li": 1.0, "PF6": -1.0}
    volume, diffusivity = 8000.0, 0.02  # Å³, Å²/ps: a 1.7 mol/L liquid's ions
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name in ("green_kubo_conductivity", "viscosity"):
                dt = stage.timestep_fs / 1000.0
                # white noise changes sign from step to step, refused as aliased: an
                # Ornstein-Uhlenbeck series of 0.1 ps, as a liquid's decorrelates
                a = np.exp(-dt / 0.1)
            if name == "viscosity":
                tensor = lfilter([np.sqrt(1 - a * a)], [1, -a],
                                 rng.normal(size=(steps + 1, 3, 3)), axis=0)
                col = IonCollection.from_pressure_tensor(
                    0.5 * (tensor + tensor.transpose(0, 2, 1)), dt=dt, volume=volume,
                    temperature=temperature, label="the production's pressure tensor")
                GreenKuboViscosity.from_collections(col, temperature=temperature)
                return None
            if name == "green_kubo_conductivity":
                current = lfilter([np.sqrt(1 - a * a)], [1, -a],
                                  rng.normal(size=(steps + 1, 2, 3)), axis=0)
                col = IonCollection.from_charge_current(
                    current, list(counts), dt=dt, volume=volume, n_ions=counts,
                    label="the production's charge current",
                    charges={s: {"charge": q, "source": "formal"} for s, q in charges.items()})
                GreenKuboConductivity.from_collections(col, temperature=temperature)
                return None
            dt = stage.write_interval * stage.timestep_fs / 1000.0
            n = steps // stage.write_interval + 1
            walk = rng.normal(scale=np.sqrt(2 * diffusivity * dt), size=(n, 8, 3))
            col = IonCollection.from_arrays(
                counts, dt=dt, positions=np.cumsum(walk, axis=0),
                velocities=rng.normal(size=(n, 8, 3)), charges=charges,
                masses={"Li": 6.94, "PF6": 144.96}, volume=volume,
                label="the production's frames")
            if name == "diffusion":
                Diffusion.from_collections(col)
            elif name == "einstein_helfand_conductivity":
                EinsteinHelfandConductivity.from_collections(col, temperature=temperature)
            else:
                NernstEinstein.from_collections(col, temperature=temperature)
    except ValueError as err:
        return str(err)
    return None

