"""Equilibrate and run an electrolyte with ASE's integrators: the protocol of Ju et al. in one call.

Ju, You, Kim, Park, An and Han, "Application of pretrained universal machine-learning interatomic
potential for physicochemical simulation of liquid electrolytes in Li-ion batteries", Digital
Discovery 4, 1544 (2025) (SevenNet-0 for liquid electrolytes): loose relaxation (maximum force
below 2 eV/Å); NPT pre-equilibration at 1 atm with a 2 fs step and hydrogen given the mass of
tritium (3 amu); then real masses at 1 fs: 0.2 ns equilibration and 0.2 ns production, the
density averaged every 10 fs.
Nosé–Hoover chain thermostat (:class:`ase.md.nose_hoover_chain.NoseHooverChainNVT`) and the
Martyna–Tobias–Klein barostat (:class:`ase.md.nose_hoover_chain.IsotropicMTKNPT`, ASE ≥ 3.25).

Every stage writes an H5MD file (:mod:`ase_electrolyte.trajectory`); an interrupted run is
restarted by calling the same function again: finished stages are read back, an interrupted stage
continues from its last written frame, with the Nosé–Hoover chain and MTK barostat variables
stored with that frame (:func:`~ase_electrolyte.trajectory.integrator_state`). What a resume
reproduces: a stage that had written no frame reruns bit for bit; a stage resumed from a frame
starts from its stored positions, cell, velocities (read back from Å/ps, a rounding of 1 ulp) and
thermostat and barostat state, within round-off (1e-12 Å over tens of steps) of the uninterrupted
run, then diverging as chaotic trajectories do. (Files of earlier versions store no integrator
state: their resume restarts the chains from zero, which follows another trajectory of the same
ensemble.) The integrators are deterministic: no random stream to restore. Each file records the
settings and the calculator that wrote it and the positions it started from: a rerun with other
ones raises instead of reusing the old results (``overwrite=True`` recomputes).

One writer at a time: :func:`run_protocol` claims its output folder, and :func:`run_md` and
:func:`relax` their trajectory file, before reading anything there
(:class:`~ase_electrolyte.writer_lock.WriterLock`). A second run into the same folder or file,
from another process or thread, raises :class:`~ase_electrolyte.writer_lock.\
ConcurrentWriterError` before any model evaluation and leaves the first run and its files alone;
once the first has finished (or died: the claim goes with its process) the same call resumes or
reuses its files. Readers (MDAnalysis, :func:`~mda_electrolyte.bridge.from_ase`) are never
refused.

Every step is checked (:class:`MDInstabilityError`): non-finite forces, positions or velocities, a
temperature above ``max_temperature_factor`` times the target (or 300 K, if higher), or an atom
moving more than ``max_displacement`` in one step stop the run before anything of that step is
written.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import json
import os
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from ase import units

# ASE's integrators and optimizers are imported in the functions that run them: ``ase.md``
# imports ``ase.optimize`` and with it ``scipy.optimize`` (0.5-1.2 s), which the argument checks
# of this module (check_protocol_arguments, protocol_steps), called by the ``electrolyte``
# command before any work, do not need
from .atomic_file import check_output_path
from .atoms_checks import MAX_TEMPERATURE_K as _MAX_TEMPERATURE_K
from .atoms_checks import check_flag, check_number, check_overlaps
from .estimate import METHODS, Estimate, mark_not_valid
from .termination import Terminated, _raise_if_terminated, terminate_as_interrupt
from .topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES, get_topology
from .trajectory import (
    ForeignTrajectoryError,
    H5MDWriter,
    _check_objects,
    foreign_h5md,
    h5md_info,
    h5md_series,
    integrator_state,
    open_h5md,
    particle_group,
    read_h5md,
    start_state,
)
from .units import (
    GCM3_TO_AMU_PER_A3,
    IMPLAUSIBLE_PRESSURE_BAR,
    VELOCITY_TO_ANGSTROM_PER_PS,
    slip_advice,
    warn_implausible,
)
from .units import MIN_PLAUSIBLE_TEMPERATURE_K as _MIN_PLAUSIBLE_TEMPERATURE_K
from .writer_lock import ConcurrentWriterError, WriterLock

__all__ = [
    "relax",
    "run_md",
    "hydrogen_timestep_fs",
    "ensemble_name",
    "run_protocol",
    "check_protocol_arguments",
    "protocol_steps",
    "StageSteps",
    "calculator_fingerprint",
    "physics_record",
    "MDInstabilityError",
    "RelaxationNotConvergedWarning",
    "Terminated",
    "terminate_as_interrupt",
    "ConcurrentWriterError",
    "ProtocolResult",
    "series_estimate",
    "energy_drift",
    "MAX_ENERGY_DRIFT",
    "ONE_ATM_BAR",
    "MAX_TEMPERATURE_K",
    "MIN_PLAUSIBLE_TEMPERATURE_K",
    "MAX_PRESSURE_BAR",
    "MAX_STEPS",
    "MIN_TDAMP_STEPS",
    "MIN_PDAMP_STEPS",
    "BATCH_PROGRESS_INTERVAL_S",
    "progress_bar_options",
    "temperature_dof",
    "velocity_temperature",
    "atoms_temperature_dof",
    "atoms_temperature",
    "stage_file_problem",
    "recorded_shapes",
]

#: 1 atm in bar.
ONE_ATM_BAR = 1.01325

_ENSEMBLES = ("nve", "nvt", "npt")
#: run_protocol's stage files (``<name>.h5md``), in the order it writes them.
_STAGE_FILES = ("relaxed", "preequilibration", "equilibration", "production")

#: Highest temperature (K) a run accepts: beyond it matter is a plasma, which no interatomic
#: potential describes (1e300 K gave velocities of 1e148 Å/fs after a relaxation of minutes).
MAX_TEMPERATURE_K = _MAX_TEMPERATURE_K
#: Largest absolute pressure (bar) a run accepts: 1e7 bar is 1 TPa, three times the pressure at the
#: centre of the Earth; beyond it every box collapses (or flies apart) at the first steps.
MAX_PRESSURE_BAR = 1.0e7
#: Lowest reference (K) of the temperature guard (``max_temperature_factor``): a structure relaxed
#: only loosely (the protocol's 2 eV/Å) releases heat in its first steps; EMT copper rattled by
#: 0.05–0.2 Å and relaxed so peaked at 126–249 K in NVT at a 1 K target and at 206–573 K at
#: 100 K, while a run that explodes passes thousands of K.
_GUARD_MIN_REFERENCE_K = 300.0
#: Most MD steps of one run or protocol stage: 1e11 steps are months even at 10^4 steps per
#: second; a length beyond it is a mistyped unit, and the run would never end.
MAX_STEPS = 10**11
#: Probability that the temperature guard stops a sound run at one step: its limit is at least
#: the instantaneous temperature's canonical 1 - 1e-12 quantile (see ``_Guard``).
_GUARD_FALSE_ALARM = 1e-12
#: Longest thermostat or barostat time constant (fs): 1e12 fs (a millisecond) is beyond the length
#: of any run, a coupling that never acts; ASE's Nosé–Hoover chain overflowed at 1e308 fs.
MAX_DAMPING_FS = 1.0e12
#: Shortest thermostat time constant ``tdamp_fs``, in time steps (ASE advises 100). Below about
#: two steps ASE's Nosé–Hoover chain cannot be integrated: EMT copper at 600 K and 2 fs steps
#: exploded at step 2 with tdamp of half a step, 25 with one, 51 with 1.2, 80 with 1.5 and 383
#: with 1.7 steps (ran 6000 steps at 2 and 3); the error blamed the time step or the model.
#: A liquid the same: 108 Lennard-Jones argon atoms at 100 K and 5 fs steps exploded at step 3
#: with one step and 521 with 1.5; from 2 to 10 steps 1000 steps held 99.9-100.5 K with the
#: canonical spread (7.4-8.5 K; 7.9 K expected). Five times the last step count that exploded.
MIN_TDAMP_STEPS = 10
#: Shortest barostat time constant ``pdamp_fs``, in time steps (ASE advises 1000). The MTK
#: barostat of a stiff solid cannot be integrated near ten steps: EMT copper at 600 K and 2 fs
#: steps flew apart within 4 steps with pdamp of 1 to 10 steps (ran 3000 steps at 20); the
#: error blamed the time step or the calculator's results. A liquid, whose volume follows the
#: barostat further, the same: 108 Lennard-Jones argon atoms at 100 K and 200 bar flew apart
#: within 5 steps with pdamp of 2 to 5 steps (at 5 fs and at 10 fs steps); at 7 steps they ran
#: 2000 steps but the density spread 0.106-0.118 g/cm³, four times the 0.030 of pdamp = 200
#: steps (the isothermal compressibility's); from 10 to 50 steps 0.030-0.045 g/cm³ about the
#: same mean (1.23-1.29 g/cm³ against 1.26, over 1500 steps).
MIN_PDAMP_STEPS = 20
#: Largest centre-of-mass kinetic energy (in kT) of given velocities: a chi-square of 3 degrees
#: of freedom exceeds 2 × 15 = 30 with probability 1e-6 (see ``_check_drift``).
_MAX_DRIFT_KT = 15.0
#: Longest MD time step (fs): 200 times the 5 fs a run with hydrogen is warned of (25 times
#: copper's 40 fs, :func:`~ase_electrolyte.units.plausible_timestep_fs`); an atomistic potential
#: moves atoms by ångströms in one such step (1e308 fs evaluated the model, then exploded).
MAX_TIMESTEP_FS = 1000.0
#: Shortest MD time step (fs) a run accepts: a thousandth of an attosecond, far below any
#: atomistic integration (electron dynamics uses attoseconds); 1e-320 fs ran the model, then its
#: writer refused the first frame after step 0, whose time (ps) had underflowed to 0.
_MIN_TIMESTEP_FS = 1.0e-6
#: Thermostat friction (per step, ``|p_eta / Q| · dt``) and barostat strain rate (per step,
#: ``|p_eps / W| · dt``) beyond which an explosion is blamed on the coupling that ran away
#: (see ``_Guard.cause``): sound runs stayed below 0.06 and 0.009, runaways passed 0.2 and 0.15.
_RUNAWAY_FRICTION = 0.1
_RUNAWAY_STRAIN = 0.05
#: Largest ω·dt of the MTK barostat's volume oscillation an NPT run starts with (see
#: ``_check_barostat_stiffness``): Verlet integration of an oscillation is unstable at ω·dt ≥ 2.
_MAX_BAROSTAT_OMEGA_DT = 2.0
#: Volume strain (±) at which the start's bulk modulus is measured for that check.
_BULK_STRAIN = 0.005


#: Seconds between two refreshes of a progress bar whose stream is not a terminal (a batch job's
#: log file): tqdm's 0.1 s, and a refresh at every change of the bar's postfix, wrote about
#: 1.5 kB a second into the log of a run that lasts days.
BATCH_PROGRESS_INTERVAL_S = 60.0


#: The folders of the packages whose frames a warning of this module passes over to reach its
#: user's call (:func:`_user_stacklevel`): the three packages are installed side by side.
_OWN_PACKAGES = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), name) + os.sep
    for name in ("ase_electrolyte", "mda_electrolyte", "electrolyte_cli"))


def _user_stacklevel(extra=0):
    """The ``stacklevel`` (for a ``warnings.warn`` in the function that calls this one) of the
    call from outside the packages into them: the caller of the outermost frame of
    ``ase_electrolyte``, ``mda_electrolyte`` or ``electrolyte_cli``.

    Fixed levels counted the frames of one route: the coupling warning of
    ``density_alignment.npt_density`` pointed inside it (its call of :func:`run_md`), and
    :func:`run_protocol`'s doubts inside this module, not at the line of the user's script.
    The outermost, not the first frame outside: ASE's integrator calls this module's
    observers, and its frames lie between. ``extra`` adds levels for a helper that warns on
    the caller's behalf (:func:`~ase_electrolyte.units.warn_implausible`: 1).
    """
    import sys

    frame, level, outermost = sys._getframe(1), 1, None
    while frame is not None:
        name = frame.f_code.co_filename
        if os.path.abspath(name).startswith(_OWN_PACKAGES):
            outermost = level
        frame, level = frame.f_back, level + 1
    return (1 if outermost is None else outermost + 1) + extra


def progress_bar_options(stream=None):
    """Keyword arguments for a tqdm progress bar written to ``stream``.

    On a terminal, tqdm's own (refreshed in place); on anything else, a log file or a pipe
    where every refresh is a new line, at most one refresh per
    :data:`BATCH_PROGRESS_INTERVAL_S` (tqdm reads ``TQDM_MININTERVAL`` only when it is
    imported, so the interval is set for each bar). The one mechanism of every progress bar
    of the package (:func:`relax`, :func:`run_md`, the analyses' bars).

    Parameters
    ----------
    stream : file-like, optional
        Where the bar is written; default ``sys.stderr`` (tqdm's), read at the call.

    Returns
    -------
    dict
        ``{"file": stream}``, with ``"mininterval"`` (s) when ``stream`` is not a terminal.

    Examples
    --------
    >>> import io
    >>> from ase_electrolyte.md import progress_bar_options
    >>> progress_bar_options(io.StringIO())["mininterval"]
    60.0
    """
    import sys

    stream = sys.stderr if stream is None else stream
    try:
        terminal = bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, a closed stream
        terminal = False
    options = {"file": stream}
    if not terminal:
        options["mininterval"] = BATCH_PROGRESS_INTERVAL_S
    return options


def _check_extremes(temperature_K=None, pressure_bar=None):
    """Refuse a temperature or pressure no run can mean (:data:`MAX_TEMPERATURE_K`,
    :data:`MAX_PRESSURE_BAR`), before any model evaluation."""
    if temperature_K is not None and temperature_K > MAX_TEMPERATURE_K:
        raise ValueError(
            f"temperature_K = {temperature_K:g} K is above {MAX_TEMPERATURE_K:g} K: a plasma, "
            "not a liquid, which no interatomic potential describes (is it in another unit?)"
        )
    if pressure_bar is not None and abs(pressure_bar) > MAX_PRESSURE_BAR:
        raise ValueError(
            f"pressure_bar = {pressure_bar:g} bar is beyond ±{MAX_PRESSURE_BAR:g} bar (1 TPa, "
            "three times the pressure at the centre of the Earth): the box would collapse or "
            "fly apart at the first steps (is it in Pa? 1 atm = 1.01325 bar)"
        )


#: Lowest target temperature (K) :func:`run_md` and :func:`run_protocol` take without a warning
#: (:data:`ase_electrolyte.units.MIN_PLAUSIBLE_TEMPERATURE_K`, the one bound of the package's
#: unit doubts): below 50 K no classical liquid exists (argon melts at 84 K), while 25 meant
#: as °C reads 25 K; below 1 K the warning asks about k_B·T in eV (300 K is 0.0259 eV).
MIN_PLAUSIBLE_TEMPERATURE_K = _MIN_PLAUSIBLE_TEMPERATURE_K
#: Set inside :func:`run_protocol`'s stages: its :func:`check_protocol_arguments` has warned
#: about an implausible temperature or pressure once, and each stage's :func:`run_md` would
#: repeat it.
_PROTOCOL_DOUBTS_SAID = contextvars.ContextVar("protocol_doubts_said", default=False)
#: The arguments (:func:`_arguments_key`) of the last :func:`check_protocol_arguments` call,
#: whose warnings were issued: :func:`run_protocol`, given the same next, does not repeat them.
_PROTOCOL_ARGUMENTS_SAID = contextvars.ContextVar("protocol_arguments_said", default=None)
#: Set inside :func:`run_protocol`'s stages: the stage (:class:`_ProtocolStage`) whose
#: :func:`relax` or :func:`run_md` runs. Their messages then name what the protocol's caller can
#: change: an exploding barostat's "lengthen pdamp_fs" named a setting run_protocol does not take.
_PROTOCOL_STAGE = contextvars.ContextVar("protocol_stage", default=None)
#: The thermostat and barostat time constants of :func:`run_protocol`'s stages, in time steps
#: (ASE's advice, :func:`run_md`'s defaults); the protocol does not take them as arguments.
_PROTOCOL_TDAMP_STEPS = 100
_PROTOCOL_PDAMP_STEPS = 1000


class _ProtocolStage(NamedTuple):
    """A stage of :func:`run_protocol` as its caller knows it: its name (``"relaxed"``,
    ``"preequilibration"``, ...) and the argument that sets its time step
    (``"preequilibration_timestep_fs"``, ``"timestep_fs"``; ``None`` for the relaxation)."""

    name: str
    timestep: str | None = None
    #: amu given to the hydrogen atoms in this stage (``hydrogen_mass``), if it has any
    hydrogen_mass: float | None = None

    @property
    def title(self):
        """``"run_protocol's equilibration stage"``, ``"run_protocol's relaxation"``."""
        return ("run_protocol's relaxation" if self.name == "relaxed"
                else f"run_protocol's {self.name} stage")


@contextlib.contextmanager
def _in_protocol_stage(stage):
    """Within: :func:`relax` and :func:`run_md` run ``stage`` (:class:`_ProtocolStage`) of
    :func:`run_protocol`, and their messages name the protocol's arguments."""
    token = _PROTOCOL_STAGE.set(stage)
    try:
        yield
    finally:
        _PROTOCOL_STAGE.reset(token)


def _arguments_key(arguments):
    """A comparable record of :func:`check_protocol_arguments`' arguments, defaults filled in
    (``repr`` keeps ``1`` and ``1.0``, ``None`` and ``nan`` apart, as the checks do)."""
    import inspect

    bound = inspect.signature(check_protocol_arguments).bind(**arguments)
    bound.apply_defaults()
    # the box only sharpens the time-step doubts: the electrolyte command checks before packing
    # it, run_protocol with it; the same arguments all the same
    return tuple((k, type(v).__name__, repr(v)) for k, v in bound.arguments.items()
                 if k != "atoms")


def _warn_unit_slips(ensemble, temperature_K, pressure_bar):
    """Warn (to :func:`run_md`'s caller) about a temperature or NPT pressure that is a valid
    number but most likely another unit: ``temperature_K=0.001`` ran a frozen box, and
    ``pressure_bar=101325`` (1 atm in Pa) compressed it at 10 GPa, without a word. The bounds
    and words are :func:`~ase_electrolyte.units.warn_implausible`'s, as in the protocol's check
    and the analyses (the pressure acts only in NPT)."""
    # NVE from rest (temperature_K=0) is no unit slip: its temperature draws velocities only
    start_from_rest = ensemble == "nve" and temperature_K == 0
    warn_implausible(temperature_K=None if start_from_rest else temperature_K,
                     pressure_bar=pressure_bar if ensemble == "npt" else None,
                     stacklevel=_user_stacklevel(1))


@contextlib.contextmanager
def _protocol_has_warned():
    """Within: :func:`run_md` leaves the unit-slip warnings to :func:`run_protocol`."""
    token = _PROTOCOL_DOUBTS_SAID.set(True)
    try:
        yield
    finally:
        _PROTOCOL_DOUBTS_SAID.reset(token)


#: ``run_protocol``'s hydrogen mass in its pre-equilibration, amu (tritium, for the 2 fs steps of
#: Ju et al. 2025); the default is no choice: a box in which no hydrogen moves runs that stage at
#: its real masses, and refuses another value, which would have no effect.
_PROTOCOL_HYDROGEN_MASS = 3.0


def _moving_hydrogen(atoms):
    """Mask of the hydrogen atoms that move: not held by a ``FixAtoms`` that acts (an atom that
    never moves integrates alike at any mass)."""
    from ase.constraints import FixAtoms

    moving = np.asarray(atoms.numbers) == 1
    for constraint in _acting_constraints(atoms):
        if isinstance(constraint, FixAtoms):
            moving[np.asarray(constraint.index, dtype=int)] = False
    return moving


def _check_hydrogen_mass_acts(atoms, hydrogen_mass, *, cure="leave out hydrogen_mass"):
    """Refuse a ``hydrogen_mass`` (amu) for ``atoms`` in which no hydrogen moves: the run would
    be the run without it, recorded as another (its file, and the report's "real masses"
    requirement, name a raised hydrogen mass that never acted), and a user who meant another
    box or element is not told. ``cure`` says what to give instead."""
    if hydrogen_mass is None or _moving_hydrogen(atoms).any():
        return
    hydrogen = int(np.count_nonzero(np.asarray(atoms.numbers) == 1))
    where = (f"atoms ({atoms.get_chemical_formula()}) hold no hydrogen" if not hydrogen
             else f"each of the {hydrogen} hydrogen atoms of atoms is fixed (FixAtoms)")
    raise ValueError(
        f"hydrogen_mass = {hydrogen_mass:g} amu is the mass given to moving hydrogen atoms, "
        f"and {where}: it would have no effect; {cure}")


def _check_seed_acts(atoms, seed, temperature_K):
    """Refuse a ``seed`` (other than the default 0) that draws nothing: run_md starts from
    the velocities ``atoms`` carries as they are, and an NVE run without ``temperature_K``
    from rest. Such a seed was taken without a word, and recorded in the file as the run's, so
    that a rerun with another one was refused as another run ("seed stored 5, now 7") though
    both ran the same. run_protocol's later stages continue a state and are not judged."""
    if seed == 0 or _PROTOCOL_STAGE.get() is not None:
        return
    if np.any(atoms.get_velocities()):
        why = (f"atoms carries velocities (kinetic temperature "
               f"{atoms_temperature(atoms):.4g} K), which run_md starts from as they are")
        cure = "or set its velocities to zero to draw them at temperature_K"
    elif temperature_K is None:
        why = "an NVE run without temperature_K starts at rest: nothing is drawn"
        cure = "or give temperature_K to draw its velocities"
    else:
        return
    raise ValueError(
        f"seed = {seed} seeds the Maxwell–Boltzmann draw of the starting velocities, and {why}: "
        f"it would have no effect; leave out seed, {cure}")


#: run_md's ``max_temperature_factor`` when none is given.
_DEFAULT_TEMPERATURE_FACTOR = 3.0


def _check_guard_acts(atoms, ensemble, temperature_K, max_temperature_factor):
    """The temperature guard of an NVE run whose reference is 0 K, which sets no limit.

    NVE's ``temperature_K`` draws the starting velocities and is the guard's reference. Given
    as 0 K (a start from rest) to atoms that carry velocities, it drew nothing and switched the
    guard off without a word: 2000 K velocities with ``max_temperature_factor = 1.5`` ran on,
    where ``temperature_K=None`` (the start's temperature as reference) guards them; refused.
    A start from rest (0 K, or no ``temperature_K`` and no velocities) has no reference: a
    ``max_temperature_factor`` other than the default then has no effect, and warns.
    run_protocol's stages continue a state and are not judged.
    """
    if ensemble != "nve" or _PROTOCOL_STAGE.get() is not None:
        return
    moving = bool(np.any(atoms.get_velocities()))
    if temperature_K == 0 and moving:
        raise ValueError(
            f"temperature_K = 0 K (NVE) is a start from rest, and atoms carries velocities "
            f"(kinetic temperature {atoms_temperature(atoms):.4g} K), which run_md starts from "
            "as they are: it would draw nothing and only switch off the temperature guard "
            "(max_temperature_factor times 0 K); leave out temperature_K (the guard then "
            "takes the start's temperature), or set the velocities to zero to start from rest")
    if (not moving and not temperature_K and max_temperature_factor is not None
            and max_temperature_factor != _DEFAULT_TEMPERATURE_FACTOR):
        import warnings

        warnings.warn(
            f"run_md: max_temperature_factor = {max_temperature_factor:g} scales the start's "
            "temperature, and this NVE run starts from rest (0 K): no temperature limit "
            "applies, it has no effect (max_displacement still guards the run); give "
            "temperature_K to draw velocities, or leave out max_temperature_factor",
            UserWarning, stacklevel=_user_stacklevel())


def _check_mass_total(masses, cure):
    """Refuse masses (amu) whose total is beyond a float: each finite, their sum (the centre of
    mass, the density, the temperature's centre-of-mass term) overflowed to inf, and the writer
    refused the density only after the model's first evaluation (or a run without a file went
    on with a frozen centre of mass). ``cure``: what sets them."""
    with np.errstate(over="ignore"):
        total = float(np.sum(masses, dtype=np.float64))
        # g/cm³ per Å³ of volume: the largest density the run could record
        density = total / GCM3_TO_AMU_PER_A3
    if not (np.isfinite(total) and np.isfinite(density)):
        raise ValueError(
            f"the masses sum to more than a float holds (the heaviest {float(np.max(masses)):g} "
            f"amu, {len(masses)} atoms): the centre of mass and the density are not finite; "
            f"masses are in amu: is one in another unit? {cure}")


def _lightest_mass(atoms, hydrogen_mass=None):
    """The lightest mass (amu) a run integrates: the atoms' own masses, hydrogen's replaced by
    ``hydrogen_mass`` where given (the heavy hydrogen that allows a longer step)."""
    masses = atoms.get_masses()
    if hydrogen_mass is not None:
        masses = np.where(atoms.numbers == 1, hydrogen_mass, masses)
    return float(masses.min()) if len(masses) else None


#: run_md's ``write_interval`` when none is given, steps.
_DEFAULT_WRITE_INTERVAL = 100


def _warn_settings_without_effect(what, trajectory, progress, *, write_interval=None,
                                  description=None, overwrite=False, observe_interval=None,
                                  steps=None):
    """Warn, once each and naming it, of an output setting that acts on nothing in this call.

    As ASE's ``loginterval`` spaces whichever output a run has, these are accepted where their
    output is missing (one settings dict serves runs with and without a file, with and without
    a progress bar), but each such call ran without a word: ``write_interval`` with neither a
    trajectory nor a progress bar (no frame kept), ``description`` (the progress bar's label)
    without a progress bar, ``overwrite=True`` without a trajectory (no file to start afresh:
    a caller who meant to replace a file kept none), an ``observe_interval`` longer than the
    run (its series samples step 0 alone, which run_protocol refuses for its stages). Defaults
    are no choice and are not said.
    Not inside :func:`run_protocol`, whose stages are given its own ``progress`` and names.
    """
    if _PROTOCOL_STAGE.get() is not None:
        return
    import warnings

    idle = []
    if (trajectory is None and not progress and write_interval is not None
            and write_interval != _DEFAULT_WRITE_INTERVAL):
        idle.append(
            f"{what}: write_interval = {write_interval} steps spaces the frames of a trajectory "
            "and the progress bar's readout, and this run has neither (trajectory=None, "
            "progress=False): no frame is kept; give a trajectory (*.h5md) to keep frames")
    if description is not None and not progress:
        idle.append(
            f"{what}: description = {description!r} labels the progress bar, and this run "
            "shows none (progress=False): it has no effect; leave out description, or give "
            "progress=True")
    if overwrite and trajectory is None:
        idle.append(
            f"{what}: overwrite=True starts a trajectory file afresh, and this run writes none "
            "(trajectory=None): it has no effect and no file is kept; give a trajectory "
            "(*.h5md), or leave out overwrite")
    if observe_interval is not None and steps is not None and observe_interval > steps:
        idle.append(
            f"{what}: observe_interval = {observe_interval} steps is longer than the run "
            f"({steps} steps): the sampled series holds step 0 alone (no time series, no "
            f"energy drift){'; frames keep their own observables' if trajectory else ''}; "
            f"give an observe_interval of at most {steps} steps")
    for message in idle:
        warnings.warn(message, UserWarning, stacklevel=_user_stacklevel())


def _warn_off_grid_last_frame(steps, write_interval):
    """Warn, before the run, of a last frame off the ``write_interval`` grid: run_md writes the
    last step as a frame, and 30 steps at 7 wrote frames at 0, 7, ..., 28, 30, which the
    Universe reader found unevenly spaced (and Green–Kubo, Einstein–Helfand and diffusion need
    even frames) only when the run, of hours, was done. Two frames are evenly spaced whatever
    they are (run_protocol rounds its production to whole intervals)."""
    if steps > write_interval and steps % write_interval:
        import warnings

        below = steps - steps % write_interval
        warnings.warn(
            f"steps = {steps} is not a multiple of write_interval = {write_interval}: the last "
            f"frame (step {steps}) comes {steps % write_interval} steps after the one before, "
            "and the frames are unevenly spaced (the transport analyses need even ones): give "
            f"steps = {below} or {below + write_interval}", stacklevel=_user_stacklevel())


def _affine_bulk_modulus(atoms, calc):
    """Bulk modulus (eV/Å³) of ``atoms`` under a uniform strain of ±:data:`_BULK_STRAIN` of
    its volume, atoms moved with the cell (as the MTK barostat moves them), from two stress
    evaluations of ``calc`` on copies; NaN where the stress is not finite."""
    pressures = []
    for strain in (-_BULK_STRAIN, _BULK_STRAIN):
        probe = atoms.copy()
        probe.set_constraint()
        probe.set_cell(atoms.cell * (1.0 + strain) ** (1.0 / 3.0), scale_atoms=True)
        probe.calc = calc
        pressures.append(-np.trace(probe.get_stress(voigt=False)) / 3.0)
    return -(pressures[1] - pressures[0]) / (2.0 * _BULK_STRAIN)


def _check_barostat_stiffness(atoms, calc, temperature_K, pdamp_fs, timestep_fs, stage=None):
    """Refuse an NPT run whose barostat is too light for the system's stiffness, before its
    first step.

    The MTK barostat (Martyna, Tobias and Klein 1994) has the mass W = (N_f + 3)·k_B·T·pdamp²,
    3N·k_B·T·pdamp² for run_md's N_f = 3N − 3 degrees of freedom;
    a volume strain ε meets the restoring force 9·V·B·ε, so the volume oscillates at
    ω = √(9VB / W), and Verlet integration of it is unstable at ω·dt ≥ 2
    (:data:`_MAX_BAROSTAT_OMEGA_DT`). B is measured at the start (:func:`_affine_bulk_modulus`,
    two stress evaluations): the atoms follow the box affinely, as they do in a volume
    oscillation of a few steps, faster than the atoms' own motion. Such runs exploded after
    their start (argon at 0.001 K, ω·dt = 5.3 with ASE's 1000 steps; EMT copper at 300 K with
    pdamp of 10 steps, 3.3) with an error that named the runaway only afterwards; EMT copper
    at 300 K and 20 steps (1.65) runs. A start whose pressure falls as it is compressed
    (B ≤ 0: a gas, a torn box) has no such oscillation and is left to the run.
    """
    bulk = _affine_bulk_modulus(atoms, calc)
    if not np.isfinite(bulk) or bulk <= 0:
        return
    # W = (N_f + 3)·k_B·T·pdamp² with run_md's N_f = 3N − 3 (_internal_dof_integrator)
    n_f = atoms_temperature_dof(atoms)
    kt = units.kB * temperature_K
    omega = np.sqrt(9.0 * atoms.get_volume() * bulk / ((n_f + 3) * kt)) / (pdamp_fs * units.fs)
    omega_dt = float(omega * timestep_fs * units.fs)
    if omega_dt < _MAX_BAROSTAT_OMEGA_DT:
        return
    # at ω·dt = 1, half the unstable frequency
    need_fs = pdamp_fs * omega_dt
    measured = (f"the start's bulk modulus of {bulk / units.GPa:.3g} GPa (from its stress at "
                f"±{100 * _BULK_STRAIN:g} % volume) makes the MTK barostat's volume oscillate at "
                f"ω·dt = {omega_dt:.3g} per step, and Verlet integration is unstable from "
                f"ω·dt = {_MAX_BAROSTAT_OMEGA_DT:g}: the box would fly apart within a few steps. "
                "The barostat's mass, 3N·k_B·T·pdamp², is too light")
    if stage is None:
        raise ValueError(
            f"{measured} with pdamp_fs = {pdamp_fs:g} fs ({pdamp_fs / timestep_fs:.4g} time "
            f"steps) at temperature_K = {temperature_K:g} K: is temperature_K in another unit "
            f"(k_B·T in eV: 300 K is 0.02585 eV)? Else give pdamp_fs ≥ {need_fs:.5g} fs "
            f"(ω·dt = 1)")
    raise ValueError(
        f"{stage.title}: {measured} with run_protocol's barostat time constant of "
        f"{pdamp_fs:g} fs ({pdamp_fs / timestep_fs:.4g} time steps of {stage.timestep} = "
        f"{timestep_fs:g} fs, ASE's advice) at temperature_K = {temperature_K:g} K: is "
        "temperature_K in another unit (k_B·T in eV: 300 K is 0.02585 eV)? Else run the stage "
        f"with run_md and pdamp_fs ≥ {need_fs:.5g} fs (ω·dt = 1)")


#: Wavenumber (cm⁻¹) of the C–H stretch, the fastest vibration of the carbonate, ester and
#: ether solvents of a liquid electrolyte (2850–3050 cm⁻¹); the O–H stretch of water or an
#: alcohol (3700 cm⁻¹) is faster still.
_CH_STRETCH_PER_CM = 3000.0
#: Largest ω·dt of that stretch a run takes without a warning: π/4, eight steps per period.
#: Verlet integration is stable to ω·dt = 2 (3.5 fs for C–H), but long before that the
#: fastest vibration is sampled too coarsely for the energy to be conserved: hydrogen at its
#: real mass needs ≤ 1.4 fs (0.5–1 fs in the papers; Ju et al. 2025's 1 fs, and their 2 fs with
#: tritium, take 11.1 and 8.9 steps per period).
_MAX_HYDROGEN_OMEGA_DT = np.pi / 4


def hydrogen_timestep_fs(hydrogen_mass_amu=None):
    """The longest time step (fs) that integrates a C–H stretch with eight steps per period.

    The accuracy rule for runs with moving hydrogen, beside the package's unit-slip bound
    (:func:`~ase_electrolyte.units.plausible_timestep_fs`: 5 fs for hydrogen, Verlet's
    stability, past which a step is doubted as another unit). The stretch (3000 cm⁻¹ for
    hydrogen at its real mass, period 11.1 fs) keeps its force constant when hydrogen is made
    heavier, so its angular frequency scales as 1/√μ with the C–H reduced mass μ.

    Parameters
    ----------
    hydrogen_mass_amu : float, optional
        Mass (amu) hydrogen is integrated with (``hydrogen_mass``); ``None``: its real mass.

    Returns
    -------
    float
        fs: 1.39 for hydrogen, 2.23 for tritium (3 amu).

    Examples
    --------
    >>> from ase_electrolyte.md import hydrogen_timestep_fs
    >>> round(hydrogen_timestep_fs(), 2), round(hydrogen_timestep_fs(3.0), 2)
    (1.39, 2.23)
    """
    from ase.data import atomic_masses

    real, carbon = float(atomic_masses[1]), float(atomic_masses[6])
    mass = real if hydrogen_mass_amu is None else check_number(
        "hydrogen_mass_amu", hydrogen_mass_amu, above=0)
    reduced_real = carbon * real / (carbon + real)
    reduced = carbon * mass / (carbon + mass)
    omega = 2.0 * np.pi * units._c * 100.0 * _CH_STRETCH_PER_CM * 1e-15  # rad/fs
    return float(_MAX_HYDROGEN_OMEGA_DT / omega * np.sqrt(reduced / reduced_real))


def _hydrogen_timestep_doubt(timestep_fs, hydrogen_mass, *, name="timestep_fs",
                             heavier=True):
    """The warning text for a time step too long for moving hydrogen at ``hydrogen_mass``
    (amu, ``None`` for its real mass), or ``None``. Steps beyond the unit-slip bound are left
    to that doubt (one warning per step). ``heavier``: whether the caller can give hydrogen
    another mass for this step (not the protocol's real-mass stages)."""
    from ase.data import atomic_masses

    from .units import plausible_timestep_fs

    limit = hydrogen_timestep_fs(hydrogen_mass)
    mass = float(atomic_masses[1]) if hydrogen_mass is None else float(hydrogen_mass)
    if timestep_fs <= limit or timestep_fs > plausible_timestep_fs(mass):
        return None
    per_period = 8.0 * limit / timestep_fs
    heavier = ("" if not heavier or (hydrogen_mass is not None and hydrogen_mass >= 3.0) else
               ", or give hydrogen a heavier mass (hydrogen_mass = 3, tritium: "
               f"{hydrogen_timestep_fs(3.0):.3g} fs)")
    return (f"{name} = {timestep_fs:g} fs takes {per_period:.2g} steps per period of a C–H "
            f"stretch (3000 cm⁻¹) with hydrogen at {mass:.4g} amu, where Verlet integration "
            f"needs about 8 for the energy to be conserved (ω·dt ≤ π/4; an O–H stretch is "
            f"faster still): the run will heat or drift, and its averages are not converged in "
            f"the time step; give {name} ≤ {limit:.3g} fs (Ju et al. 2025: 1 fs at real masses, "
            f"2 fs with tritium){heavier}")


def _check_timestep(name, dt_fs):
    """A time step (fs) between :data:`_MIN_TIMESTEP_FS` and :data:`MAX_TIMESTEP_FS`, or a
    ValueError naming ``name``: one check for :func:`run_md` and the protocol's arguments (a
    protocol with ``timestep_fs=1e-7`` relaxed and ran its pre-equilibration, and only its
    equilibration's ``run_md`` refused the step)."""
    dt_fs = check_number(name, dt_fs, above=0, maximum=MAX_TIMESTEP_FS)
    if dt_fs < _MIN_TIMESTEP_FS:
        raise ValueError(
            f"{name} = {dt_fs!r} fs is below {_MIN_TIMESTEP_FS} fs, far shorter "
            "than any atomistic time step (0.5–2 fs): is it in another unit?")
    return dt_fs


def _warn_couplings_outlast_run(ensemble, steps, timestep_fs, tdamp_fs, pdamp_fs):
    """Warn (to :func:`run_md`'s caller) of a given thermostat or barostat time constant (fs)
    longer than the whole run.

    ASE's Nosé–Hoover chain has the mass Q = N_f·k_B·T·τ² (the MTK barostat W ∝ τ² alike): a
    temperature gap ΔT drives its friction as ζ̇ = (ΔT / T) / τ², so by a time t it has
    corrected about (t / τ)² of the gap, and a run shorter than τ is NVE (or NVT) in all but
    name, recorded as the ensemble asked. ``tdamp_fs=1e12`` was taken without a word.
    ``None`` (the defaults, 100 and 1000 steps) is no choice and is not judged.
    """
    length_fs = steps * timestep_fs
    for name, tau, coupling, used, without, advice in (
            ("tdamp_fs", tdamp_fs, "thermostat", ensemble != "nve",
             "NVE" if ensemble == "nvt" else "NPH (no thermostat)", 100),
            ("pdamp_fs", pdamp_fs, "barostat", ensemble == "npt", "NVT", 1000)):
        if not used or tau is None or tau <= length_fs:
            continue
        import warnings

        warnings.warn(
            f"{name} = {tau:g} fs is longer than the whole run ({steps} steps of "
            f"{timestep_fs:g} fs, {length_fs:g} fs): a Nosé–Hoover {coupling} corrects about "
            f"(t/τ)² of a deviation by a time t, {(length_fs / tau) ** 2:.2g} of it by the "
            f"run's end, so the run is {without} in all but name; give {name} ≤ {length_fs:g} fs "
            f"(ASE advises {advice} time steps, {advice * timestep_fs:g} fs) or a longer run",
            UserWarning, stacklevel=_user_stacklevel())


def _check_stage_steps(name, length_fs, dt_fs=None):
    """Refuse a run length of more than :data:`MAX_STEPS` steps (it would never end).

    ``length_fs`` is a length in fs with ``dt_fs`` its time step, or a number of steps.
    """
    steps = length_fs if dt_fs is None else length_fs / dt_fs
    if steps > MAX_STEPS:
        of = "" if dt_fs is None else f" is {steps:.3g} steps of {dt_fs:g} fs,"
        raise ValueError(
            f"{name}{of} more than {MAX_STEPS:.0e} steps: months at any speed a "
            "machine-learned potential reaches; is the length in another unit?"
        )


class MDInstabilityError(RuntimeError):
    """The dynamics became unphysical (non-finite values, runaway temperature, a jumping atom).

    The trajectory keeps every frame written before; it is not marked complete.
    """


class RelaxationNotConvergedWarning(UserWarning):
    """:func:`relax` ran out of optimizer steps before the largest force fell below ``fmax``.

    The structure is returned as it is (and a protocol runs MD from it): a loose relaxation only
    removes the worst contacts, and the MD stages' equilibration detection discards the heat the
    rest releases; the warning, ``info["relaxed_converged"]`` and
    :attr:`ProtocolResult.relaxation` say how far it got.
    """


def _check_calculator(atoms):
    if atoms.calc is None:
        raise ValueError(
            "atoms has no calculator; set atoms.calc (e.g. ase_electrolyte.Calculator)"
        )
    _check_model(atoms.calc, "atoms.calc")


def _check_model(calc, what, needs=("energy", "forces")):
    """Refuse ``calc`` (named ``what``) when it is no model (a ``SinglePointCalculator``) or
    says it does not compute what is ``needs``-ed (ASE's ``implemented_properties``, which ASE
    itself enforces).

    A ``SinglePointCalculator`` is what ase.io.read attaches to a frame of an extxyz or
    trajectory file read with energies: it answers for that one structure only. run_md wrote the
    stored forces as its first frame (the relaxation took a step) before ASE's bare "The
    property "forces" is not available" at the next positions; a forces-only calculator failed
    with "energy property not implemented" after its first evaluation (the first frame's
    potential energy, FIRE's energy check).
    """
    from ase.calculators.singlepoint import SinglePointCalculator

    if isinstance(calc, SinglePointCalculator):
        raise ValueError(
            f"{what} is a {type(calc).__name__}: the stored results of one structure "
            "(ase.io.read attaches one to a frame read with energies or forces), which cannot "
            "compute forces at other positions; attach a model (e.g. ase_electrolyte.Calculator)"
        )
    props = getattr(calc, "implemented_properties", None)
    if props is not None:
        missing = [name for name in needs if name not in props]
        if missing:
            raise ValueError(
                f"{what} ({type(calc).__name__}) does not compute the {' and '.join(missing)} "
                f"(its implemented_properties {list(props)}), which the run needs; give a "
                "calculator that does"
            )


def _check_start(atoms, trajectory, overwrite):
    """The starting structure and the output file, before any model evaluation.

    Non-finite positions or a degenerate cell (:func:`~ase_electrolyte.atoms_checks.check_atoms`),
    coincident atoms (:func:`~ase_electrolyte.atoms_checks.check_overlaps`), masses that are not
    positive (or whose total overflows) or velocities that are not finite would reach the
    model, the optimizer or the integrator (which fail with errors that do not say why, or
    write NaN); an
    output path that is a folder, in a missing folder, or an existing file that is not HDF5
    (someone else's data, never replaced unless ``overwrite``) is refused here, by name.
    """
    _check_calculator(atoms)
    if len(atoms) == 0:
        raise ValueError("atoms holds no atom")
    check_overlaps(atoms, what="the starting structure")
    masses = atoms.get_masses()
    bad = np.flatnonzero(~(np.isfinite(masses) & (masses > 0)))
    if bad.size:
        raise ValueError(
            f"atoms {bad[:10].tolist()} have mass {float(masses[bad[0]])!r} amu; masses must be "
            "positive and finite (atoms.set_masses())"
        )
    _check_mass_total(masses, "Set them in amu (atoms.set_masses()).")
    momenta = atoms.get_momenta()
    bad = np.flatnonzero(~np.isfinite(momenta).all(axis=1))
    if bad.size:
        raise ValueError(f"non-finite velocities for atoms {bad[:10].tolist()}")
    # incomplete topology arrays fail the writer and the observables: after a relaxation, or
    # with a half-created trajectory left behind
    get_topology(atoms)
    if trajectory is not None:
        _check_trajectory_path(trajectory, overwrite)
        suffix = Path(os.fspath(trajectory)).suffix
        if suffix.lower() in (".h5", ".hdf5"):
            import warnings

            # from_ase reads these, but MDAnalysis takes its formats from the suffix and has
            # none for them: MDAnalysis.Universe("run.h5") of a finished run failed ("'H5'
            # isn't a valid topology format"), and so did format="H5MD"
            warnings.warn(
                f"trajectory {os.fspath(trajectory)}: MDAnalysis knows an H5MD file by the "
                f"suffix .h5md only, and MDAnalysis.Universe fails on {suffix!r}; from_ase "
                "reads it: name it *.h5md for both", UserWarning, stacklevel=_user_stacklevel())


def _check_trajectory_path(trajectory, overwrite=False):
    """Refuse an output trajectory name the run could not write, or its readers not read.

    Run by :func:`run_md` and :func:`relax` before any model evaluation, and by callers that
    load a model before they call them (:func:`~ase_electrolyte.density_alignment.npt_density`).

    Parameters
    ----------
    trajectory : str or os.PathLike
        The H5MD file to be written (``*.h5md``, ``.h5``, ``.hdf5``).
    overwrite : bool
        Whether an existing file that is not HDF5 may be replaced.

    Raises
    ------
    TypeError
        A name that is no file name (bytes, an open file, a number).
    ValueError
        An empty name, a folder, a missing folder, a looping or dangling symbolic link, another
        suffix, a folder without write permission, an existing file that is not HDF5.
    """
    from mda_electrolyte.observables import is_h5md_path

    if not isinstance(trajectory, (str, os.PathLike)) or isinstance(os.fspath(trajectory),
                                                                      bytes):
        # bytes, an open file, a number: os and h5py said "expected str, bytes or os.PathLike"
        raise TypeError(
            f"trajectory must be a file name (str or pathlib.Path), not "
            f"{type(trajectory).__name__} {trajectory!r:.60}"
        )
    if not os.fspath(trajectory):
        raise ValueError("trajectory is an empty name; give a file name (*.h5md) or None")
    path = check_output_path(trajectory, "trajectory")
    if not path.parent.is_dir():
        raise ValueError(f"trajectory {path}: the folder {path.parent} does not exist")
    if not is_h5md_path(trajectory):
        # HDF5 under another name: the run finished, then every reader (from_ase, MDAnalysis,
        # ASE) took it for the format its suffix names and failed
        suffix = Path(trajectory).suffix
        what = f"the suffix {suffix!r}" if suffix else "a name without a suffix"
        raise ValueError(
            f"trajectory {os.fspath(trajectory)}: the run writes H5MD, which its readers "
            f"know by the suffix (MDAnalysis by .h5md; from_ase also by .h5, .hdf5); with "
            f"{what} they would take the finished run for another format: name it *.h5md"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ValueError(f"trajectory {path} cannot be written (permission denied)")
    # a read-only file: a finished run in it is still reused (read only); a resume or a rewrite
    # is refused once the file has been read (_check_writable), before the model
    if path.is_file() and path.stat().st_size and not overwrite:
        import h5py

        if not h5py.is_hdf5(path):
            raise ValueError(
                f"trajectory {path} exists and is not an HDF5 (H5MD) file; it is not "
                "overwritten: choose another name, delete it, or pass overwrite=True"
            )


def _check_drift(atoms, temperature_K):
    """Refuse given velocities whose centre of mass drifts far beyond thermal motion.

    Nosé–Hoover thermostats hold the *total* kinetic energy at the target, and every frame's
    temperature counts the drift as heat: 32 argon atoms given 60 K of thermal velocities plus
    a drift of the thermal speed ran NVT at a recorded 58–60 K while their motion about the
    centre of mass cooled to 21 K. Independent Maxwell–Boltzmann velocities give the centre
    of mass kT/2 per direction (3/2 kT in all, a chi-square of 3 degrees of freedom), so
    a drift energy above :data:`_MAX_DRIFT_KT` kT (probability below 1e-6) was imposed, not
    drawn. The reference temperature is the higher of ``temperature_K`` and the velocities'
    own about their centre of mass (:func:`_kinetic_temperature`, the one every frame records).
    A reference that counted the drift as heat (ASE's ``get_temperature``, 3N) refused a drift
    only beyond 10/N of the whole kinetic energy: none of a molecule of 10 atoms or fewer
    (methane at 300 K with 37.5 kT of drift ran).
    """
    momenta = atoms.get_momenta()
    if not np.any(momenta):
        return  # drawn by run_md, without drift
    total = momenta.sum(axis=0)
    mass = float(atoms.get_masses().sum())
    drift_ev = float(total @ total) / (2.0 * mass)
    # velocities hotter than the target move their centre of mass more, thermally
    reference = max(temperature_K or 0.0, _kinetic_temperature(atoms))
    kt = units.kB * reference
    if drift_ev > _MAX_DRIFT_KT * kt:
        speed = float(np.sqrt(total @ total)) / mass * units.fs * 1000.0  # Å/ps
        measured = (f"a kinetic energy of {drift_ev / kt:.3g} kT at {reference:.4g} K"
                    if kt > 0 else f"all of the kinetic energy ({drift_ev:.3g} eV), with no "
                    "motion about the centre of mass and no temperature_K")
        raise ValueError(
            f"the given velocities carry a centre-of-mass drift of {speed:.3g} Å/ps, "
            f"{measured} (thermal velocities give "
            f"about 1.5 kT, {_MAX_DRIFT_KT:g} kT at most); the thermostat would count the "
            "drift as heat: remove it "
            "(ase.md.velocitydistribution.Stationary(atoms)) or zero the velocities to have "
            "them drawn"
        )


#: How run_md counts the degrees of freedom of its temperature and thermostat, as its files
#: record it (``run_info["temperature_dof"]``; :func:`atoms_temperature_dof`).
_TEMPERATURE_DOF = "3N - constrained - 3 (centre of mass at rest, unless atoms are fixed)"


def _dof_change(stored, now):
    """Why a file whose ``temperature_dof`` is not ``now``'s cannot be resumed or reused: one
    written before run_md counted the centre of mass out thermostatted 3N degrees of freedom,
    so its temperatures are not what this version would run at the same target."""
    if "temperature_dof" not in stored:
        return (
            "the file was written by an earlier version, whose thermostat and temperatures "
            "counted 3N degrees of freedom; this version counts "
            f"{now.get('temperature_dof')!r}, so a small system ran (3N)/(3N - 3) too hot "
            "there: recompute it"
        )
    return (f"temperature_dof stored {stored.get('temperature_dof')!r}, "
            f"now {now.get('temperature_dof')!r}")


def _momentum_conserving(constraint):
    """Whether ``constraint`` keeps the total momentum: one of ASE's internal constraints
    (bond lengths, linear triatomics, internal coordinates), which act between atoms, or
    ``FixCom``, which holds it at zero and already removes its 3 degrees of freedom. A
    ``Hookean`` spring between two atoms pulls them equally and oppositely and keeps it too (an
    NVE run started at rest has 3N − 3 degrees of freedom, not 3N); one to a point or plane
    takes momentum. So does ``ExternalForce``, which pulls its two atoms apart with equal and
    opposite forces (32 copper atoms at rest were recorded 3 % too cold, over 3N)."""
    from ase.constraints import (
        ExternalForce,
        FixBondLengths,
        FixCom,
        FixInternals,
        FixLinearTriatomic,
        Hookean,
    )

    if isinstance(constraint, Hookean):
        return getattr(constraint, "_type", None) == "two atoms"
    return isinstance(constraint, (ExternalForce, FixBondLengths, FixCom, FixInternals,
                                   FixLinearTriatomic))


def _com_removed(atoms):
    """Whether the centre-of-mass motion of ``atoms`` is no degree of freedom of its run: more
    than one atom, and every acting constraint keeps the total momentum (FixAtoms, FixCartesian,
    ... take momentum from the atoms, whose centre of mass then moves thermally)."""
    return len(atoms) > 1 and all(_momentum_conserving(c) for c in _acting_constraints(atoms))


def temperature_dof(n_atoms, n_constraints=None, com_removed=True):
    """Degrees of freedom of a kinetic temperature: N_dof = 3N − N_constraints − 3.

    The one count of the package: run_md's recorded temperature and its thermostat, the H5MD
    writer's and the analyses' kinetic temperatures
    (:func:`mda_electrolyte.conductivity.kinetic_temperature`) all use it. Where the
    centre-of-mass motion is no degree of freedom (run_md's runs start without it and keep it
    so; GROMACS' ``comm-mode`` and LAMMPS' ``compute temp/com`` default) its 3 are subtracted;
    where atoms fixed in space take momentum (``FixAtoms``) the centre of mass moves thermally
    and N_dof = 3N − N_constraints (ASE's ``get_temperature``).

    Parameters
    ----------
    n_atoms : int
        Atoms with mass (N ≥ 1); a massless virtual site (TIP4P's M) moves with its molecule
        and is none.
    n_constraints : int, optional
        Independent holonomic constraints (N_constraints, default 0): 3 per rigid water
        (SETTLE, or ``FixBondLengths`` of its three distances), 1 per constrained bond, 3 per
        atom fixed in space, 4 per rigid linear triatomic (``FixLinearTriatomic``).
    com_removed : bool
        Whether the centre-of-mass motion is no degree of freedom (default True; a single
        atom keeps its 3).

    Returns
    -------
    int
        N_dof, ≥ 0 (0: nothing moves, no temperature).

    Raises
    ------
    ValueError
        ``n_atoms`` or ``n_constraints`` not a whole number ≥ 1 (≥ 0), or more constraints
        than the 3N (3N − 3) coordinates they constrain.

    Examples
    --------
    >>> temperature_dof(32)                       # 32 argon atoms, run_md's count
    93
    >>> temperature_dof(24, n_constraints=24)     # 8 rigid waters
    45
    >>> temperature_dof(32, com_removed=False)    # ASE's get_temperature
    96
    """
    n_atoms = check_number("n_atoms (atoms with mass)", n_atoms, integer=True, minimum=1)
    n_constraints = check_number("n_constraints (holonomic constraints)", n_constraints,
                                 integer=True, minimum=0, allow_none=True) or 0
    check_flag("com_removed", com_removed)
    dof = 3 * n_atoms - n_constraints - (3 if com_removed and n_atoms > 1 else 0)
    if dof < 0:
        raise ValueError(
            f"n_constraints = {n_constraints} exceeds the {dof + n_constraints} coordinates of "
            f"{n_atoms} atoms{' about their centre of mass' if com_removed else ''}: count "
            "independent constraints only (3 per rigid water, 1 per bond, 3 per fixed atom)")
    return int(dof)


def velocity_temperature(masses, velocities, dof, com_removed=True):
    """Kinetic temperature (K) of velocities: T = 2 (K − P²/2M) / (N_dof k_B).

    With ``com_removed`` the kinetic energy of the centre of mass, P²/2M, is left out (LAMMPS'
    ``compute temp/com``), else T = 2K / (N_dof k_B) (ASE's ``get_temperature`` with N_dof =
    3N). With the centre of mass at rest (run_md's runs) P = 0; where it moves thermally (a
    Langevin run, another code's run that keeps no momentum) the 3N − 3 quadratic terms left
    still average T, and a drift is not counted as heat.

    Parameters
    ----------
    masses : array_like, shape (N,)
        amu, finite and ≥ 0 (a massless site contributes nothing).
    velocities : array_like, shape (..., N, 3)
        ASE's units (``atoms.get_velocities()``; Å/ps divided by
        :data:`~ase_electrolyte.units.VELOCITY_TO_ANGSTROM_PER_PS`, as MDAnalysis reads them);
        one temperature per leading index.
    dof : int
        N_dof of :func:`temperature_dof` (or :func:`atoms_temperature_dof`); 0 gives 0 K
        for velocities without motion that counts (none, or only the centre of mass' with
        ``com_removed``), and is refused for any other: no degree of freedom holds their
        kinetic energy, so they have no temperature.
    com_removed : bool
        Whether N_dof leaves out the centre of mass (default True).

    Returns
    -------
    float or numpy.ndarray
        K; a float for one frame of shape (N, 3), else an array of the leading shape.

    Raises
    ------
    ValueError
        Shapes that do not match, masses or velocities not finite, negative masses, a ``dof``
        that is no whole number ≥ 0, ``dof`` = 0 with kinetic energy to count.

    Examples
    --------
    >>> from ase import units
    >>> v = np.array([[1.0, 0, 0], [-1.0, 0, 0]]) * 0.01      # Å per ASE time unit
    >>> t = velocity_temperature([1.0, 1.0], v, temperature_dof(2))
    >>> round(t / (2 * 1e-4 / (3 * units.kB)), 12)            # 2K / (3 k_B), P = 0
    1.0
    """
    dof = check_number("dof (degrees of freedom)", dof, integer=True, minimum=0)
    check_flag("com_removed", com_removed)
    from mda_electrolyte.uncertainty import real_array

    # np.asarray(dtype=float) read flags as 1.0, number strings as numbers and failed on
    # complex values naming nothing
    masses = real_array(masses, "masses (amu)")
    v = real_array(velocities, "velocities")
    if masses.ndim != 1 or v.ndim < 2 or v.shape[-2:] != (masses.size, 3):
        raise ValueError(
            f"velocities must have the shape (..., N, 3) of masses' N = {masses.size}, got "
            f"masses of shape {masses.shape} and velocities of shape {v.shape}")
    bad = ~np.isfinite(masses) | (masses < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"masses must be finite and >= 0 (amu), got {float(masses[i])} at "
                         f"atom {i}")
    if not np.all(np.isfinite(v)):
        where = np.argwhere(~np.isfinite(v))[0]
        raise ValueError(f"velocities must be finite, got {float(v[tuple(where)])} at index "
                         f"{tuple(int(x) for x in where)}")
    if dof == 0:
        # 2K over no degrees of freedom: 0 K was returned for a moving atom
        moving = _temperature_of(masses, v, 1, com_removed) > 0
        if np.any(moving):
            where = "" if v.ndim == 2 else (
                f" (frame {tuple(int(x) for x in np.argwhere(moving)[0])})")
            counted = "relative to their centre of mass" if com_removed else "in all"
            raise ValueError(
                f"dof (degrees of freedom) = 0, but the velocities carry kinetic energy "
                f"{counted}{where}: no temperature without degrees of freedom to hold it; "
                "give N_dof of temperature_dof(N) or atoms_temperature_dof(atoms)")
    t = _temperature_of(masses, v, dof, com_removed)
    return float(t) if v.ndim == 2 else t


def _temperature_of(masses, v, dof, com_removed):
    """:func:`velocity_temperature` of checked arrays. run_md's own frames call it unchecked:
    velocities that went NaN are the integration's failure, which its guard names (non-finite
    forces, a blow-up), not a bad argument."""
    twice_kinetic = np.einsum("...nk,...nk,n->...", v, v, masses)
    if com_removed and masses.sum() > 0:
        momentum = np.einsum("...nk,n->...k", v, masses)
        internal = twice_kinetic - np.einsum("...k,...k->...", momentum,
                                             momentum) / masses.sum()
        # a rigid translation leaves the round-off of the difference (1e-14 K for 32 argon
        # atoms at 1 Å/ps), no motion
        twice_kinetic = np.where(internal > 1e-10 * twice_kinetic, internal, 0.0)
    if dof == 0:
        return np.zeros_like(twice_kinetic)
    return np.maximum(twice_kinetic, 0.0) / (dof * units.kB)


def _constraint_rows(atoms, constraint):
    """Gradients of the holonomic constraint functions of one of ASE's constraints, as
    ``[(atom indices, rows (k, 3·len(indices)))]``, or None for a constraint whose functions
    are not written here (its ``get_removed_dof`` is taken as it is)."""
    from ase.constraints import (
        FixAtoms,
        FixBondLengths,
        FixCartesian,
        FixedLine,
        FixedPlane,
        FixLinearTriatomic,
    )
    from ase.geometry import find_mic

    if isinstance(constraint, FixAtoms):
        return [([int(i)], np.eye(3)) for i in constraint.index]
    if isinstance(constraint, FixCartesian):
        rows = np.eye(3)[np.asarray(constraint.mask, bool)]
        return [([int(i)], rows) for i in constraint.index] if len(rows) else []
    if isinstance(constraint, (FixedPlane, FixedLine)):
        normal = np.asarray(constraint.dir, dtype=float)
        normal = normal / np.linalg.norm(normal)
        if isinstance(constraint, FixedLine):  # the two directions across the line
            normal = np.linalg.svd(normal[None])[2][1:]
        return [([int(i)], np.atleast_2d(normal)) for i in constraint.index]
    if isinstance(constraint, FixBondLengths):
        pairs = np.asarray(constraint.pairs, dtype=int).reshape(-1, 2)
        d = find_mic(atoms.positions[pairs[:, 1]] - atoms.positions[pairs[:, 0]],
                     atoms.cell, atoms.pbc)[0]
        u = d / np.linalg.norm(d, axis=1)[:, None]
        return [([int(i), int(j)], np.concatenate([-e, e])[None])
                for (i, j), e in zip(pairs, u, strict=True)]
    if isinstance(constraint, FixLinearTriatomic):
        out = []
        for n, o, m in np.asarray(constraint.triples, dtype=int).reshape(-1, 3):
            d_no = find_mic(atoms.positions[o] - atoms.positions[n], atoms.cell, atoms.pbc)[0]
            d_nm = find_mic(atoms.positions[m] - atoms.positions[n], atoms.cell, atoms.pbc)[0]
            w = np.linalg.norm(d_no) / np.linalg.norm(d_nm)
            eye = np.eye(3)
            # the centre atom on the line, r_o = (1 − w) r_n + w r_m (3), and |r_m − r_n| (1)
            rows = np.hstack([-(1 - w) * eye, eye, -w * eye])
            u = d_nm / np.linalg.norm(d_nm)
            rows = np.vstack([rows, np.concatenate([-u, np.zeros(3), u])])
            out.append(([int(n), int(o), int(m)], rows))
        return out
    return None


def _removed_dof(atoms, acting):
    """Independent holonomic constraints of ``acting``: the rank of their gradients over the
    atoms they share, not the sum of ASE's ``get_removed_dof`` (which ASE's
    ``get_number_of_degrees_of_freedom`` takes).

    The sum counts a coordinate twice where two constraints hold it: a rigid water
    (``FixBondLengths``) whose atoms ``FixAtoms`` also holds, or a pair listed twice (8 waters,
    one of them fixed: 39 instead of 42 degrees of freedom, every temperature 8 % too hot).
    Constraints whose functions :func:`_constraint_rows` does not write (``FixCom``,
    ``FixInternals``) add their own count."""
    rows, removed = [], 0
    for c in acting:
        got = _constraint_rows(atoms, c)
        if got is None:
            removed += int(c.get_removed_dof(atoms))
        else:
            rows.extend(got)
    parent = list(range(len(atoms)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for idx, _ in rows:
        for j in idx[1:]:
            parent[root(j)] = root(idx[0])
    groups = {}
    for idx, r in rows:
        groups.setdefault(root(idx[0]), []).append((idx, r))
    for group in groups.values():
        if len(group) == 1:  # one constraint's rows of its own atoms are independent
            removed += len(group[0][1])
            continue
        members = sorted({i for idx, _ in group for i in idx})
        column = {a: k for k, a in enumerate(members)}
        blocks = []
        for idx, r in group:
            block = np.zeros((len(r), 3 * len(members)))
            for k, a in enumerate(idx):
                block[:, 3 * column[a]:3 * column[a] + 3] += r[:, 3 * k:3 * k + 3]
            blocks.append(block)
        removed += int(np.linalg.matrix_rank(np.vstack(blocks)))
    return int(removed)


def _dependent_bond_lengths(atoms, acting):
    """The atoms of the first group of ``FixBondLengths`` pairs whose gradients are linearly
    dependent (the three distances of a linear CO2), or None."""
    from ase.constraints import FixBondLengths

    rows, seen = [], set()
    for c in acting:
        if isinstance(c, FixBondLengths):
            for r in _constraint_rows(atoms, c):
                # a pair listed twice is the same constraint, which RATTLE solves as one
                if tuple(sorted(r[0])) not in seen:
                    seen.add(tuple(sorted(r[0])))
                    rows.append(r)
    if not rows:
        return None
    parent = {}

    def root(i):
        while parent.setdefault(i, i) != i:
            i = parent[i]
        return i

    for (i, j), _ in rows:
        parent[root(j)] = root(i)
    groups = {}
    for idx, r in rows:
        groups.setdefault(root(idx[0]), []).append((idx, r))
    for group in groups.values():
        members = sorted({i for idx, _ in group for i in idx})
        column = {a: k for k, a in enumerate(members)}
        matrix = np.zeros((len(group), 3 * len(members)))
        for n, ((i, j), r) in enumerate(group):
            matrix[n, 3 * column[i]:3 * column[i] + 3] = r[0, :3]
            matrix[n, 3 * column[j]:3 * column[j] + 3] = r[0, 3:]
        if np.linalg.matrix_rank(matrix) < len(group):
            return members
    return None


def atoms_temperature_dof(atoms):
    """Degrees of freedom of the temperature run_md records for ``atoms`` and its thermostat
    holds: :func:`temperature_dof` with N_constraints the independent constraints of
    ``atoms.constraints``, the centre of mass removed unless a constraint takes momentum.

    N_constraints is the rank of the constraints' gradients (``FixAtoms``, ``FixCartesian``,
    ``FixedPlane``, ``FixedLine``, ``FixBondLengths``, ``FixLinearTriatomic``), so coordinates
    two constraints hold count once (ASE's ``get_number_of_degrees_of_freedom`` sums
    ``get_removed_dof``); other constraints count their ``get_removed_dof``. The centre of mass
    is no degree of freedom where every constraint keeps the total momentum (bond lengths,
    linear triatomics, ``FixInternals``, a ``Hookean`` spring between two atoms,
    ``ExternalForce``; ``FixCom`` removes those 3 itself); ``FixAtoms``,
    ``FixCartesian``, ... take momentum and leave 3N − N_constraints.

    Parameters
    ----------
    atoms : ase.Atoms

    Returns
    -------
    int
        N_dof.

    Raises
    ------
    ValueError
        A constraint that does not say what it removes (ASE's ``get_removed_dof``:
        ``FixSymmetry``, ...).

    Examples
    --------
    >>> from ase.build import molecule
    >>> from ase.constraints import FixAtoms, FixBondLengths
    >>> water = molecule("H2O")
    >>> water.set_constraint(FixBondLengths([(0, 1), (0, 2), (1, 2)]))
    >>> atoms_temperature_dof(water)              # 9 − 3 − 3: the rigid body's rotation
    3
    >>> water.set_constraint([FixAtoms([0, 1, 2]), FixBondLengths([(0, 1), (0, 2), (1, 2)])])
    >>> atoms_temperature_dof(water), water.get_number_of_degrees_of_freedom()
    (0, -3)
    """
    from ase.constraints import FixCom

    acting = _acting_constraints(atoms)
    try:
        removed = _removed_dof(atoms, acting)
    except NotImplementedError:
        names = ", ".join(type(c).__name__ for c in acting)
        raise ValueError(
            f"the constraints ({names}) do not all say how many degrees of freedom they remove "
            "(ASE's get_removed_dof), so no temperature can be counted; remove them "
            "(del atoms.constraints)") from None
    com = _com_removed(atoms) and not any(isinstance(c, FixCom) for c in acting)
    return temperature_dof(len(atoms), min(removed, 3 * len(atoms) - 3 * com), com)


#: The name test_md27_temperature_dof imports.
_degrees_of_freedom = atoms_temperature_dof


def atoms_temperature(atoms):
    """Kinetic temperature (K) of ``atoms`` as run_md records it: :func:`velocity_temperature`
    of ``atoms.get_velocities()`` with N_dof of :func:`atoms_temperature_dof`.

    ASE's ``get_temperature`` divides 2K by 3N less ``get_removed_dof``: with the centre of
    mass at rest it reads N_dof/(N_dof + 3) of this (8 EMT copper atoms: 21/24).

    Parameters
    ----------
    atoms : ase.Atoms
        With velocities (none: 0 K).

    Returns
    -------
    float
        K.

    Examples
    --------
    >>> from ase.build import bulk
    >>> from ase.md.velocitydistribution import Stationary
    >>> atoms = bulk("Cu", cubic=True).repeat(2)            # 32 atoms
    >>> atoms.set_velocities(np.random.default_rng(0).normal(0.0, 0.02, (32, 3)))
    >>> Stationary(atoms)                                    # P = 0, as run_md starts
    >>> float(round(atoms_temperature(atoms) * 93 / 96 / atoms.get_temperature(), 12))
    1.0
    """
    return _kinetic_temperature(atoms)


def _kinetic_temperature(atoms, dof=None, com_removed=None):
    """Temperature (K) of the motion of ``atoms`` (:func:`velocity_temperature`) with N_dof
    of :func:`atoms_temperature_dof`: about their centre of mass (LAMMPS' ``compute temp/com``);
    with constraints that take momentum (FixAtoms) the whole kinetic energy over 3N less the
    removed degrees of freedom, ASE's ``get_temperature``.

    ASE's ``get_temperature`` divides by 3N also when the centre of mass is at rest and stays
    so: 8 EMT copper atoms in NVT at 300 K held their 21 internal degrees of freedom at 343 K
    (the thermostat's target was 3N) while the recorded temperature averaged 300 K.
    """
    if dof is None:
        dof = atoms_temperature_dof(atoms)
    if com_removed is None:
        com_removed = _com_removed(atoms)
    return float(_temperature_of(atoms.get_masses(), atoms.get_velocities(), dof,
                                 com_removed))


def _internal_dof_integrator(dyn, dof, temperature_K, tdamp, pdamp=None):
    """Make ASE's Nosé–Hoover chain (and MTK barostat) of ``dyn`` work on ``dof`` degrees of
    freedom instead of 3N.

    ASE's integrators take N_f = 3 × ``num_atoms_global`` everywhere (the thermostat's force
    2K − N_f·k_B·T and mass N_f·k_B·T·τ², the barostat's 1 + 3/N_f and its mass
    (N_f + 3)·k_B·T·τ²; Martyna, Tobias and Klein 1994): run_md starts without centre-of-mass
    momentum, which the dynamics keep at zero, so N_f = 3N − 3 and ``num_atoms_global`` = N − 1.
    A thermostat of 3N drives the 3N − 3 that move to 3N/(3N − 3) times its target (8 EMT
    copper atoms at 300 K: 343 K).
    """
    from ase.md.nose_hoover_chain import IsotropicMTKBarostat, NoseHooverChainThermostat

    if dof % 3:
        raise ValueError(f"ASE's Nosé–Hoover integrators need 3·n degrees of freedom, not {dof}")
    n = dof // 3
    dyn._thermostat = NoseHooverChainThermostat(
        num_atoms_global=n, masses=dyn.masses, temperature_K=temperature_K, tdamp=tdamp)
    if pdamp is not None:
        dyn._num_atoms_global = n
        dyn._barostat = IsotropicMTKBarostat(
            num_atoms_global=n, temperature_K=temperature_K, pdamp=pdamp)
    return dyn



def _constrains_nothing(constraint, atoms):
    """Whether ``constraint`` is one of ASE's constraints on listed atoms, bonds or coordinates
    that lists none: ``FixAtoms(indices=[])``, ``FixCartesian`` or ``FixScaled`` with no
    direction fixed, ``FixBondLengths([])``, ``FixedLine``/``FixedPlane`` of no atom,
    ``FixInternals()``. It removes no degree of freedom and moves nothing.

    Such a constraint (a selection that came out empty) was refused for NVT and NPT as if it
    fixed atoms, while the same run without it ran. Constraints of other classes, or of a
    class of one's own, are never taken for empty: whether they act cannot be told.
    """
    from ase.constraints import (
        FixAtoms,
        FixBondLengths,
        FixCartesian,
        FixedLine,
        FixedPlane,
        FixInternals,
        FixLinearTriatomic,
        FixScaled,
    )

    if not isinstance(constraint, (FixAtoms, FixBondLengths, FixCartesian, FixedLine,
                                   FixedPlane, FixInternals, FixLinearTriatomic, FixScaled)):
        return False
    try:
        if constraint.get_removed_dof(atoms):
            return False
        if isinstance(constraint, (FixCartesian, FixScaled)) and not np.any(constraint.mask):
            return True
        return len(constraint.get_indices()) == 0
    except (NotImplementedError, AttributeError, TypeError, ValueError, IndexError):
        return False


def _acting_constraints(atoms):
    """The constraints of ``atoms`` that constrain something (see :func:`_constrains_nothing`),
    in their order: what the integrators, the checks and a run's record see."""
    return [c for c in atoms.constraints if not _constrains_nothing(c, atoms)]


def _check_constraints(atoms, ensemble, what=None, instead=None):
    """Refuse constraints where ASE's Nosé–Hoover integrators would mishandle them.

    :class:`~ase.md.nose_hoover_chain.IsotropicMTKNPT` raises ``NotImplementedError`` only once
    the trajectory has been opened (an ``overwrite`` has then already emptied it), and
    :class:`~ase.md.nose_hoover_chain.NoseHooverChainNVT` accepts them but thermostats 3N
    degrees of freedom: with half of 32 argon atoms fixed, NVT at 60 K sampled 7 K. Velocity
    Verlet (NVE) and the relaxation honour constraints. Any ensemble is refused when the
    constraints leave no degree of freedom (every atom fixed: the temperature is 0/0) or do not
    tell ASE how many they remove (``get_removed_dof``: FixSymmetry, MirrorForce, ...), which
    the temperature of every frame needs. A constraint that constrains nothing
    (:func:`_constrains_nothing`) is no constraint. ``instead``: what the caller can run in
    their place (run_md's "run NVE" is run_protocol's NVE production without NPT stages).
    """
    acting = _acting_constraints(atoms)
    if acting:
        # every atom fixed (FixAtoms of all, FixCom of one atom) leaves no motion: the
        # temperature is 0/0, which the writer refused only after the model's first evaluation
        names = ", ".join(type(c).__name__ for c in acting)
        try:
            free = atoms.get_number_of_degrees_of_freedom()
        except NotImplementedError:
            # ASE's temperature needs it: the run failed at its first observable, after the model
            raise ValueError(
                f"{what or 'MD'} cannot run with constraints ({names}): one of them does not "
                "say how many degrees of freedom it removes (ASE's get_removed_dof), so the "
                "temperature is undefined; remove it (del atoms.constraints) or use relax()"
            ) from None
        if free <= 0:
            raise ValueError(
                f"{what or 'MD'} cannot run: the constraints ({names}) leave none of the "
                f"{3 * len(atoms)} degrees of freedom of the {len(atoms)} atoms free (no atom "
                "can move, the temperature is undefined); free some atoms or use relax()"
            )
        degenerate = _dependent_bond_lengths(atoms, acting)
        if degenerate is not None:
            raise ValueError(
                f"{what or 'MD'} cannot run: the FixBondLengths pairs of atoms {degenerate} "
                "are not independent (a linear molecule held by all three of its distances), "
                "which ASE's RATTLE cannot solve ('Did not converge' at the first step); hold "
                "a linear triatomic with FixLinearTriatomic instead"
            )
    if ensemble == "nve" or not acting:
        return
    raise ValueError(
        f"{what or ensemble.upper()} cannot run with constraints ({names}): ASE's Nosé–Hoover "
        "thermostat and MTK barostat do not support them; remove them (del atoms.constraints) "
        f"or {instead or 'run NVE'}"
    )


def _check_stress(calc, what, instead="run NVT or NVE"):
    """Refuse, before any evaluation, a calculator that says it computes no stress where NPT
    needs it (ASE's ``implemented_properties``, which ASE itself enforces at ``get_stress``).

    The barostat asked for it at the first NPT step: a bare ``PropertyNotImplementedError``
    after the model's first evaluation, in run_protocol after the whole relaxation.
    """
    props = getattr(calc, "implemented_properties", None)
    if props is not None and "stress" not in props:
        raise ValueError(
            f"{what} needs the stress (the MTK barostat integrates the pressure), which "
            f"{type(calc).__name__} does not compute (implemented_properties "
            f"{list(props)}); give a calculator with stress, or {instead}"
        )


def _check_writable(path):
    """Refuse to resume or overwrite a trajectory that the process may not write.

    Called once the file is known not to hold the finished run (which is reused without
    writing, even from a read-only file), before the model is evaluated.
    """
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(
            f"trajectory {path} cannot be written (permission denied): it does not hold this "
            "finished run, and resuming or rewriting it needs write permission (chmod u+w, or "
            "choose another name)"
        )


def _absolute(path):
    """``path`` made absolute (not resolved) now, or ``None``.

    A relative trajectory or run folder is the one in the folder the call was made from: the
    calculator or another thread changing the process' folder during the run (``os.chdir``)
    made the writer stat a file that was not there (``FileNotFoundError`` mid-run) and the
    later stages write into the new folder.
    """
    return None if path is None else Path(os.path.abspath(os.fspath(path)))


def _claim(trajectory):
    """The one-writer claim on ``trajectory``, taken before the file is read for reuse.

    Held over the whole run: a second ``run_md``/``relax`` on the file is refused before it
    reads the file (which the first may be in the middle of writing) or evaluates the model.
    """
    if trajectory is None:
        return contextlib.nullcontext()
    return WriterLock(trajectory, "trajectory")


def calculator_fingerprint(calc):
    """JSON-able description of a calculator: class, model, dispersion, parameters, model files.

    Stored with every trajectory so that a rerun with another calculator is never answered with
    the old results. Every existing file the description names (a model file, committee
    members) enters with the SHA-256 of its bytes (``file_sha256``), so a model retrained into
    the same path is another calculator. A registered model name (:func:`~ase_electrolyte.\
models.list_models`) enters with what identifies its weights (``weights``): the backend
    package's name and version and, where the package ships the checkpoint as a file
    (SevenNet, CHGNet), that file's SHA-256, so an upgraded package with new weights under the
    same name is another calculator. A sum or mixture of calculators (ASE's ``SumCalculator``,
    ``MixedCalculator``, ``AverageCalculator``) enters with each term's fingerprint and weight
    (``terms``). A calculator that keeps its options as attributes rather than in
    ``parameters`` enters with its networks' weights (``networks``: SevenNet, CHGNet) or, with
    none, with the attributes named as its constructor's arguments (``attributes``: ASE's
    ``TIP3P`` ``rc`` and ``width``). The device is left out: the same model on CPU and GPU gives
    the same physics.
    """
    if calc is None:
        return None
    out = {"class": f"{type(calc).__module__}.{type(calc).__name__}"}
    for attr in ("model", "backend"):
        if isinstance(getattr(calc, attr, None), str):
            out[attr] = getattr(calc, attr)
    disp = getattr(calc, "dispersion", None)
    if disp is not None:
        out["dispersion"] = calculator_fingerprint(disp)
    try:
        params = dict(calc.todict())
    except Exception:  # noqa: BLE001 - todict is optional in ASE's calculator protocol
        params = dict(getattr(calc, "parameters", None) or {})
    params.pop("device", None)
    for term in ("dispersion", "electrostatics"):  # their todict() records a device too
        if isinstance(params.get(term), dict):
            params[term] = {k: v for k, v in params[term].items() if k != "device"}
    out["parameters"] = params
    # a model retrained into the same file is another calculator: record what the files hold
    files = _model_files(out)
    # ... but by the bytes the calculator loaded, not the file as it is now: a model file
    # replaced after the load was recorded under the new contents while the old network ran,
    # so a later run of the new model took these results for its own
    for path, digest in _loaded_digests(calc).items():
        if path in files:
            files[path] = digest
    if files:
        out["file_sha256"] = files
    # so is a registered name whose package now ships other weights under it
    weights = _registered_weights(out)
    if weights:
        out["weights"] = weights
    # after the files: each term records its own, by the bytes it loaded
    terms = _combined_terms(calc)
    if terms is not None:
        out["terms"] = terms
    loaded = _loaded_networks(calc) if not params else None
    if loaded is not None:
        out["networks"] = loaded
    elif not params:
        # options kept as plain attributes (ASE's TIP3P: rc, width): without them every
        # cutoff had one fingerprint, and a run at rc = 7 Å was answered with one at 4.5 Å
        options = _constructor_attributes(calc)
        if options:
            out["attributes"] = options
    return _finite_json(json.loads(json.dumps(out, default=_json_value, sort_keys=True)))


def _finite_json(value):
    """``value`` (plain JSON types) with every NaN or infinite float as its text (``"inf"``,
    ``"-inf"``, ``"nan"``): a calculator parameter of ``rc=inf`` made json write the bare token
    Infinity, which is no JSON (strict readers fail on it) and which the trajectory writer
    refuses in ``run_info``; the text still changes whenever the value does."""
    if isinstance(value, float) and not np.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_json(v) for v in value]
    return value


#: Attributes of a calculator that choose where or how it runs, not what it computes.
_NOT_OPTIONS = frozenset({"atoms", "results", "parameters", "device", "directory", "prefix",
                          "label", "use_cache", "implemented_properties", "name", "command",
                          "profile", "timeout"})
#: torch module -> (identity of its tensors, SHA-256 of their values): a run, a resume and an
#: analysis's every frame ask for the fingerprint; the weights are hashed once per change (weak
#: keys: a module loaded later at the same address is not taken for a freed one).
_NETWORK_DIGESTS = weakref.WeakKeyDictionary()


def _loaded_networks(calc):
    """The networks a calculator that keeps its options outside ``parameters`` holds (torch
    modules, as attributes or lists of them), by a SHA-256 of their weights, and its text and
    real-number attributes (``modal``, ``stress_weight``); ``None`` for a calculator
    without one (EMT, Lennard-Jones: their options are their parameters).

    sevenn's ``SevenNetCalculator`` and CHGNet's ``CHGNetCalculator`` record nothing in
    ``parameters`` (their ``todict()`` is empty): every model of the package had one
    fingerprint, its class, and a run with ``"7net-0"`` was answered with the stored run of
    another checkpoint, fine-tuned weights or another ``modal``.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is None:  # no network was ever loaded in this process
        return None
    networks, plain = {}, {}
    for name, value in sorted(vars(calc).items()):
        if name.startswith("_") or name in _NOT_OPTIONS:
            continue
        if isinstance(value, torch.nn.Module):
            networks[name] = _network_digest(value, torch)
        elif (isinstance(value, (list, tuple)) and value
              and all(isinstance(v, torch.nn.Module) for v in value)):
            networks[name] = [_network_digest(v, torch) for v in value]
        elif isinstance(value, (str, float)):
            # text and real numbers (a head, a stress unit): counters, flags and attributes
            # that are None until the first evaluation change as the calculator runs, and
            # would refuse its own run's resume
            plain[name] = value
    if not networks:
        return None
    return {"weights_sha256": networks, "attributes": plain}


def _constructor_attributes(calc):
    """A calculator's public attributes named as arguments of its class's ``__init__``, whose
    values are numbers, text, flags or ``None``: its options, where it keeps them outside
    ``parameters`` (ASE's ``TIP3P``, ``TIP4P``: ``rc``, ``width``).

    Only the constructor's names: a counter, a cache or a value set at the first evaluation
    (``self.calls``, ``self.energy``) is no argument, and recorded it would refuse the
    calculator's own run on resume (as scikit-learn's ``get_params`` reads its estimators).
    """
    import inspect

    names = set()
    # every class's own __init__: a subclass that passes **kwargs on keeps its parent's options
    for cls in type(calc).__mro__:
        if "__init__" not in vars(cls):
            continue
        try:
            args = inspect.signature(vars(cls)["__init__"]).parameters.values()
        except (TypeError, ValueError):  # a builtin or C-extension __init__: no names to read
            continue
        names.update(a.name for a in args if a.kind not in (a.VAR_POSITIONAL, a.VAR_KEYWORD))
    found = {}
    for name in sorted(names):
        if name == "self" or name.startswith("_") or name in _NOT_OPTIONS:
            continue
        value = getattr(calc, name, _MISSING)
        if value is None or isinstance(value, (str, bool, int, float, np.number, np.bool_)):
            found[name] = value
    return found


#: getattr's default where a constructor argument is kept under no attribute of its name.
_MISSING = object()


def _network_digest(module, torch):
    """SHA-256 of a torch module's parameters and buffers (names, dtypes, shapes, values), or
    of a frozen TorchScript module's graph constants (``models._network_tensors``)."""
    import hashlib

    from .models import _network_tensors

    state = _network_tensors(module)
    # a tensor changed in place bumps its _version: the cached digest is then recomputed
    identity = tuple((k, id(t), t._version, t.data_ptr()) for k, t in state
                     if isinstance(t, torch.Tensor))
    cached = _NETWORK_DIGESTS.get(module)
    if cached is not None and cached[0] == identity:
        return cached[1]
    digest = hashlib.sha256()
    for key, tensor in state:
        if not isinstance(tensor, torch.Tensor):
            continue
        data = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{key}|{data.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(data.view(torch.uint8).numpy().tobytes())
    _NETWORK_DIGESTS[module] = (identity, digest.hexdigest())
    return digest.hexdigest()


def _combined_terms(calc):
    """The terms of a calculator that combines others (ASE's ``SumCalculator``,
    ``MixedCalculator``, ``AverageCalculator``: a ``LinearCombinationCalculator``), each with
    its weight: ``[{"weight": w, "calculator": fingerprint}, ...]``; ``None`` for any other.

    Such a calculator has no parameters of its own (its ``todict()`` is empty): every sum of
    calculators had one fingerprint, so ``SumCalculator([model, D3(damping="bj")])`` was
    answered with the stored run of another model or another dispersion (a run of argon with
    a second Lennard-Jones term of ε 0.02 eV returned the stored one of ε 0.002 eV).
    """
    # ASE >= 3.23 keeps the terms in a Mixer; earlier versions on the calculator itself
    holder = getattr(calc, "mixer", calc)
    calcs, weights = getattr(holder, "calcs", None), getattr(holder, "weights", None)
    if not isinstance(calcs, (list, tuple)) or weights is None or any(
            c is None or not hasattr(c, "get_property") for c in calcs):
        return None
    weights = np.asarray(weights, dtype=np.float64).ravel()
    if weights.shape != (len(calcs),):
        return None
    return [{"weight": float(w), "calculator": calculator_fingerprint(c)}
            for w, c in zip(weights, calcs, strict=True)]


def _json_value(obj):
    """A JSON stand-in for what ``json`` cannot write, that changes whenever the value does.

    numpy's ``repr`` leaves out the middle of arrays over 1000 values, so two calculators whose
    arrays differ only there had one fingerprint; arrays enter by a digest of their bytes
    (a list of 10⁵ charges would not fit the HDF5 attribute the fingerprint is stored in).
    """
    import hashlib

    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.size <= 16 or obj.dtype == object:
            return obj.tolist()
        data = np.ascontiguousarray(obj)
        digest = hashlib.sha256(data.tobytes()).hexdigest()
        return {"ndarray_sha256": digest, "shape": list(obj.shape), "dtype": str(obj.dtype)}
    return repr(obj)


_FILE_HASHES = {}


def _file_digest(path, stat):
    """SHA-256 of the file ``path`` (whose ``os.stat`` is ``stat``), hashed once per version.

    Once per content version, not per stage; the change time and inode enter the key too: a
    model rewritten in the same size with its modification time restored (cp -p, rsync -a,
    os.utime) kept the old hash.
    """
    from .native_build import file_sha256

    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns,
           stat.st_ino)
    if key not in _FILE_HASHES:
        _FILE_HASHES[key] = file_sha256(path)
    return _FILE_HASHES[key]


def _sevennet_checkpoint(upstream):
    """The checkpoint file SevenNet loads for its pretrained name ``upstream``."""
    from sevenn.util import pretrained_name_to_path

    return pretrained_name_to_path(upstream)


def _chgnet_checkpoint(upstream):
    """The checkpoint file CHGNet ships for its version ``upstream`` (``chgnet/pretrained/``)."""
    import importlib.util

    spec = importlib.util.find_spec("chgnet")
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = [p for f in folders for p in Path(f, "pretrained", upstream).glob("*.pth.tar")]
    return found[0] if len(found) == 1 else None


#: backend → function from the backend's own model name to the weights file it loads; a
#: backend not listed (or whose file is not found) is identified by its package version alone
_WEIGHT_FILES = {"sevennet": _sevennet_checkpoint, "chgnet": _chgnet_checkpoint}


def _package_version(package):
    """Installed version of the distribution that provides the import name ``package``."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        pass
    for dist in metadata.packages_distributions().get(package, ()):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def _registered_weights(description):
    """Registered model name → its backend package, version and checkpoint SHA-256.

    The names are those of the description's ``model`` (the attribute or the parameter, one
    name or a committee's list); model files are recorded by :func:`_model_files`.
    """
    from .models import _BACKENDS, _NAMED, registered_name

    names = set()
    for value in (description.get("model"), description.get("parameters", {}).get("model")):
        for v in value if isinstance(value, (list, tuple)) else (value,):
            if registered_name(v) is not None:
                names.add(registered_name(v))
    out = {}
    for name in sorted(names):
        named = _NAMED[name]
        package = _BACKENDS[named.backend].package
        record = {"package": package, "version": _package_version(package)}
        locate = _WEIGHT_FILES.get(named.backend)
        try:
            path = None if locate is None else locate(named.upstream)
            stat = os.stat(path) if path is not None else None
        except Exception:  # noqa: BLE001 - not installed, or no file: the version identifies it
            stat = None
        if stat is not None and Path(path).is_file():
            record["file_sha256"] = _file_digest(path, stat)
        out[name] = record
    return out


def _loaded_digests(calc):
    """Model path → SHA-256 of the bytes ``calc`` loaded from it, where the calculator kept it
    (:class:`~ase_electrolyte.Calculator` and its committees record them at load)."""
    model = getattr(calc, "parameters", {}).get("model") if hasattr(calc, "parameters") \
        else None
    identities = getattr(calc, "_identities", None)
    if isinstance(model, (list, tuple)) and identities is not None:
        return {str(m): ident[1] for m, ident in zip(model, identities, strict=False)
                if isinstance(m, (str, os.PathLike)) and ident[0] == "file"}
    digest = getattr(calc, "_model_sha256", None)
    if isinstance(model, (str, os.PathLike)) and isinstance(digest, str):
        return {str(model): digest}
    return {}


def _model_files(description):
    """Path → SHA-256 of every existing file a calculator description names (model files)."""
    found = {}

    def visit(value):
        if isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)
        elif isinstance(value, (str, os.PathLike)) and len(str(value)) < 4096:
            path = Path(value)
            try:
                stat = path.stat()
            except (OSError, ValueError):
                return
            if not path.is_file():
                return
            found[str(value)] = _file_digest(path, stat)

    visit(description)
    return found


def _reuse(path, run_info, atoms, overwrite):
    """Whether ``path`` holds a finished run with these settings from this start; else raise.

    Returns ``None`` when there is nothing to reuse, the ``h5md_info`` dict otherwise.
    """
    path = Path(path)
    if overwrite:
        return None
    read = _read_for_reuse(path)
    if read is None or not read[0]["n_frames"]:
        return None
    info, first = read
    why = _other_run(info, first, run_info, atoms, path)
    if why:
        # run_md writes a file; inside run_protocol, a folder's stage, named as the refusals
        # before the first stage name it (a stage whose file before it was missing is judged
        # only once that stage has run again: the message named no stage)
        stage = _PROTOCOL_STAGE.get()
        elsewhere = "give another trajectory" if stage is None else "choose another folder"
        raise ValueError(
            f"{'' if stage is None else stage.title + ': '}{path} was written by a different "
            f"run: {why}; remove it, {elsewhere} or pass overwrite=True to recompute"
        )
    return info


def _other_run(info, first, run_info, atoms, path, *, positions=True, cell=True,
               velocities=True):
    """Why the trajectory ``path`` (its ``h5md_info`` and ``start_state``) is not the run of
    ``run_info`` from ``atoms``; ``None`` when it is.

    ``positions``, ``cell`` and ``velocities`` say which parts of the start ``atoms`` stand
    for (:func:`run_protocol` checks a later stage's file before the stages that make its
    start have run: the system and the settings, not yet the positions).
    """
    why = None
    if info["n_atoms"] != len(atoms):
        why = f"it holds {info['n_atoms']} atoms, the system {len(atoms)}"
    elif info["run_info"] is None:
        # an older version's file (or another program's): its settings and calculator are
        # unknown, so reusing or resuming it could mix two runs without a word
        why = (
            "it records no settings or calculator (written by an older version or another "
            "program), so it cannot be told to be this run"
        )
    elif physics_record(info["run_info"]) != physics_record(run_info):
        stored, now = physics_record(info["run_info"]), physics_record(run_info)
        diff = sorted(k for k in set(now) | set(stored) if now.get(k) != stored.get(k))
        # each setting with both values: both records whole (two dicts of a dozen keys and a
        # calculator's parameters) left the reader to find the one that differs
        why = f"its settings differ in {diff}: {_run_differences(stored, now, diff)}"
        if (diff == ["steps"] and info.get("complete")
                and isinstance(stored.get("steps"), int) and isinstance(now.get("steps"), int)
                and now["steps"] > stored["steps"]):
            why += (" (a finished run is not extended: to run on, start a new trajectory from "
                    f"its last frame, ase_electrolyte.trajectory.read_h5md({path.name!r}, -1))")
    elif count_why := _stated_count_differs(path, atoms):
        why = count_why
    else:
        why = _edited_clock(path, info["n_frames"], run_info) or _other_start(
            first, atoms, run_info, path, positions=positions, cell=cell,
            velocities=velocities)
    return why


#: Units of run_md's stored settings, for messages.
_RUN_UNITS = {"timestep_fs": "fs", "temperature_K": "K", "pressure_bar": "bar",
              "tdamp_fs": "fs", "pdamp_fs": "fs", "hydrogen_mass": "amu", "fmax": "eV/Å"}


def _leaves_differing(stored, now, prefix=""):
    """``(path, stored value, present value)`` of each leaf in which two JSON records differ
    (``("parameters['epsilon']", 0.0104, 0.011)``), as :func:`_paths_differing` names them."""
    if isinstance(stored, dict) and isinstance(now, dict):
        out = []
        for key in sorted(set(stored) | set(now), key=str):
            out += _leaves_differing(stored.get(key), now.get(key),
                                     f"{prefix}[{key!r}]" if prefix else str(key))
        return out
    return [] if stored == now else [(prefix or "value", stored, now)]


def _run_differences(stored, now, keys):
    """``"steps stored 20, now 40; calculator in parameters['epsilon'] (...)"``: the settings
    ``keys`` in which two run records (:func:`physics_record` of ``run_info``) differ, each
    with its stored and its present value."""
    parts = []
    for key in keys:
        old, new = stored.get(key), now.get(key)
        if key == "temperature_dof":
            parts.append(("and " if parts else "") + _dof_change(stored, now))
        elif isinstance(old, dict) and isinstance(new, dict):
            leaves = _leaves_differing(old, new)
            more = f"; and {len(leaves) - 4} more" if len(leaves) > 4 else ""
            parts.append(f"{key} in " + "; ".join(
                f"{where} stored {_shown(a)}, now {_shown(b)}" for where, a, b in leaves[:4])
                + more)
        else:
            unit = _RUN_UNITS.get(key, "")
            parts.append(f"{key} stored {_shown(old, unit)}, now {_shown(new, unit)}")
    return "; ".join(parts)


def _temperature_count_of(atoms):
    """``(N_dof, centre_of_mass_removed)`` of the temperature of ``atoms``, as the H5MD writer
    states it in its file: :func:`atoms_temperature_dof`, or the whole kinetic energy over 3N
    for a constraint of one's own that does not say what it removes."""
    try:
        return atoms_temperature_dof(atoms), _com_removed(atoms)
    except (NotImplementedError, ValueError):
        return 3 * len(atoms), False


def _stated_count_differs(path, atoms):
    """Why the temperatures of ``path`` are not counted as this version counts them for
    ``atoms`` (the count the file states, :func:`~ase_electrolyte.trajectory.H5MDWriter`), or
    None. A finished run of the same settings written with another count (constraints on the
    same coordinates summed, 39 instead of 42 for 8 waters of which one is fixed) would be
    reused with every temperature off by their ratio."""
    from .trajectory import stated_temperature_count

    stated = stated_temperature_count(path)
    if stated is None:
        return None
    now = _temperature_count_of(atoms)
    if tuple(stated) == tuple(now):
        return None
    return (f"its temperatures count {stated[0]} degrees of freedom (centre of mass "
            f"{'removed' if stated[1] else 'kept'}), this version counts {now[0]} ("
            f"{'removed' if now[1] else 'kept'}) for these atoms and constraints, so its "
            "temperatures and thermostat are not this run's")


def _edited_clock(path, n_frames, run_info):
    """Why the times of ``path``'s complete frames and samples are not their steps times the
    run's time step (``None`` when they are, or for a relaxation, which has no clock).

    :func:`run_md` writes ``step × timestep_fs`` as each time; a file whose times were edited
    (rescaled, shifted, a NaN) was resumed until its writer refused the first new frame
    ("time ... does not follow the last frame's time"), after the model had run up to a frame
    interval of steps; a time edited downwards was resumed without a word, the file's time
    axis then jumping. A reused complete file returned the edited time as ``info["time_ps"]``.
    """
    timestep_fs = run_info.get("timestep_fs")
    if timestep_fs is None or not n_frames:
        return None
    with open_h5md(path) as f:
        clocks = [("frame", f[particle_group(f)]["position"])]
        series = f["parameters/ase_electrolyte/series"]
        clocks += [(f"sample of {name}", series[name]) for name in sorted(series)]
        last = None
        for what, group in clocks:
            steps = group["step"][:n_frames] if what == "frame" else group["step"][()]
            times = group["time"][: steps.shape[0]]
            if what == "frame":
                last = int(steps[-1])
            else:
                keep = int(np.searchsorted(steps, last + 1))
                steps, times = steps[:keep], times[:keep]
            if times.shape != steps.shape:
                return (f"its {what} times are cut short ({times.shape[0]} for "
                        f"{steps.shape[0]} steps): the file is damaged")
            expected = steps * float(timestep_fs) / 1000.0
            bad = np.flatnonzero(~np.isclose(times, expected, rtol=1e-12, atol=0))
            if bad.size:
                k = int(bad[0])
                return (f"its clock does not follow its steps: the {what} at step {steps[k]} "
                        f"is at {float(times[k])!r} ps, not {steps[k]} × {timestep_fs} fs = "
                        f"{float(expected[k])!r} ps ({bad.size} such; times edited, or written by "
                        "another program), so it cannot be resumed or reused")
    return None


#: Backend options that choose GPU kernels (SevenNet's cuEquivariance, FlashTP and
#: OpenEquivariance; MACE's cuEquivariance), not the model: left out of the comparison of a
#: stored run with this one, as the device is left out of the fingerprint.
_ACCELERATIONS = frozenset({"enable_cueq", "enable_flash", "enable_oeq"})


def physics_record(run_info):
    """A run's record less the calculator's GPU kernel choices: what two runs must share to be
    the same physics.

    ``run_info`` is what :func:`run_md` and :func:`relax` store in their H5MD file
    (:func:`~ase_electrolyte.trajectory.h5md_info`'s ``"run_info"``), or any dict with a
    ``"calculator"`` entry (:func:`calculator_fingerprint`); other values are returned as
    they are. Two records are the same physics when their ``physics_record`` compare equal:
    the kernel flags ``enable_cueq``, ``enable_oeq`` and ``enable_flash`` (SevenNet's;
    MACE's cuEquivariance) choose how the same model is evaluated, as the
    device does, not the model. A run started on a GPU with ``enable_cueq=True`` and resumed
    where those kernels are not installed (a CPU node, another GPU) has to drop the option: it
    was refused as "settings differ in ['calculator']" and the run (up to 1 ns in Ju et al.
    2025's protocol) had to start again. The file keeps what ran.

    Parameters
    ----------
    run_info : dict
        A stored or planned run record.

    Returns
    -------
    dict
        A new dict (the argument is not changed), its ``"calculator"`` without those options
        at any depth.

    Examples
    --------
    >>> from ase_electrolyte.md import physics_record
    >>> physics_record({"calculator": {"name": "sevennet", "enable_cueq": True}, "steps": 5})
    {'calculator': {'name': 'sevennet'}, 'steps': 5}
    """
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _ACCELERATIONS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    if not isinstance(run_info, dict) or "calculator" not in run_info:
        return run_info
    return {**run_info, "calculator": strip(run_info["calculator"])}


class _Unreadable(ValueError):
    """A stage file that cannot be reused or resumed; ``why`` is the cause alone, for callers
    that word their own remedy (the command line has no ``overwrite=``)."""

    def __init__(self, message, *, why):
        super().__init__(message)
        self.why = why


def _read_for_reuse(path):
    """``(h5md_info, start_state)`` of an existing trajectory (``start_state`` ``None`` without
    frames), ``None`` for no file or an empty one; a ValueError naming a damaged file.

    Reads what a reuse or resume reads: the summary, the start, the last complete frame, its
    integrator state and the conserved-energy series.
    """
    # an empty file (e.g. a NamedTemporaryFile's name) holds nothing to keep or resume
    if not path.exists() or path.stat().st_size == 0:
        return None
    foreign = _foreign_hdf5(path)
    if foreign:
        raise _Unreadable(
            f"trajectory {path} exists and is {foreign}, not a trajectory of run_md (no "
            "parameters/ase_electrolyte); it is not overwritten: remove it, choose another "
            "name or pass overwrite=True", why=f"it is {foreign}, not a stage of run_md"
        )
    try:
        info = h5md_info(path)
        # every object, also those no reader opens (an observable, a per-step series): a
        # header damaged there failed the resume with h5py's bare KeyError after this check
        with open_h5md(path) as f:
            _check_objects(f, path)
        first = None
        if info["n_frames"]:
            first = start_state(path)
            read_h5md(path, -1)
            # the thermostat and barostat variables a resume restores: a NaN there ran the
            # model and was then blamed on the time step
            integrator_state(path, -1)
            if "conserved_energy" in info["series"]:
                # the series the run's energy_drift reads at its end: damaged, a resume ran
                # to the end before it was refused
                h5md_series(path, "conserved_energy")
    except ForeignTrajectoryError as err:
        # an early version's file, one whose units another tool rewrote: sound, and the
        # reader's message says what it is; "truncated or damaged" sent users hunting a fault
        raise _Unreadable(f"{err}; it is not overwritten: remove it, choose another name or "
                          "pass overwrite=True", why=str(err)) from None
    except (OSError, KeyError, ValueError) as err:  # truncated, damaged (a box or group lost)
        raise _Unreadable(
            f"trajectory {path} exists but cannot be read as an H5MD trajectory (truncated or "
            f"damaged: {err}); it is not overwritten: remove it, choose another name or pass "
            "overwrite=True", why=f"truncated or damaged: {err}"
        ) from None
    return info, first


def stage_file_problem(path):
    """Why an existing stage file cannot be reused or resumed, or ``None`` when it can.

    Reads what :func:`run_protocol` reads before it reuses or resumes ``<stage>.h5md`` (the
    file's summary, its start, its last complete frame and that frame's integrator state),
    without a model: a caller can refuse a damaged or foreign file before loading one
    (``electrolyte simulate`` does).

    Parameters
    ----------
    path : str or pathlib.Path
        A stage file (``relaxed.h5md``, ``preequilibration.h5md``, ...). No file, or an
        empty one, has nothing to refuse.

    Returns
    -------
    str or None
        The cause alone ("truncated or damaged: ...", "it is an H5MD file of another program,
        not a stage of run_md", ...), for the caller to word its own remedy; ``None`` for a
        file the protocol can reuse or resume, or none.

    Raises
    ------
    OSError
        The file cannot be looked at (its folder unreadable).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ase_electrolyte.md import stage_file_problem
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> stage_file_problem(folder / "production.h5md") is None  # no file yet
    True
    >>> _ = (folder / "production.h5md").write_bytes(b"not HDF5")
    >>> stage_file_problem(folder / "production.h5md").startswith("truncated or damaged")
    True
    """
    from pathlib import Path

    try:
        _read_for_reuse(Path(path))
    except _Unreadable as err:
        return err.why
    return None


def _foreign_hdf5(path):
    """What a sound HDF5 file of another program at ``path`` is
    (:func:`~ase_electrolyte.trajectory.foreign_h5md`); ``None`` for one of ours, or one that
    cannot be opened (left to the reader, which names the damage).

    Such a file was refused as "truncated or damaged", which sent users looking for a fault in
    a sound file (another program's output under a stage's name).
    """
    try:
        with open_h5md(path) as f:
            return foreign_h5md(f)
    except (OSError, KeyError, ValueError, AttributeError, RuntimeError):
        # RuntimeError: h5py's "addr overflow" on a damaged object header
        return None


def _other_start(first, atoms, run_info, path, *, positions=True, cell=True, velocities=True):
    """Why the stored start ``first`` (:func:`~ase_electrolyte.trajectory.start_state`) is not
    ``atoms``; ``None`` when it is (``positions``, ``cell``, ``velocities``: which of them
    to compare, see :func:`_other_run`).

    Positions, cell and (for MD) given velocities within the rounding of a stage's state read
    back from its file; elements, periodicity, masses (heavy hydrogen applied) and topology
    exactly: the same positions with other elements, masses, a larger box or another
    ``formal_charge`` had been answered with the old run.
    """
    if not np.array_equal(first["numbers"], atoms.numbers):
        return "it holds other elements (atomic numbers)"
    if not np.array_equal(first["pbc"], atoms.pbc):
        return (
            f"it is periodic along {first['pbc'].tolist()}, the system along "
            f"{atoms.pbc.tolist()}"
        )
    if cell and not np.allclose(first["cell"], atoms.cell.array, rtol=0, atol=1e-4):
        return "it started in another cell"
    if positions and not np.allclose(first["positions"], atoms.positions, rtol=0, atol=1e-4):
        return "it started from other positions (another input structure or earlier stage)"
    masses = atoms.get_masses()
    if run_info.get("hydrogen_mass") is not None:
        masses = np.where(atoms.numbers == 1, run_info["hydrogen_mass"], masses)
    if not np.allclose(first["masses"], masses, rtol=1e-9, atol=0) or (
            first.get("physical_masses") is not None
            and not np.allclose(first["physical_masses"], atoms.get_masses(), rtol=1e-9,
                                atol=0)):
        # the physical masses too: deuterium and hydrogen integrate alike at hydrogen_mass
        return "its atoms have other masses"
    topology = get_topology(atoms)
    stored = first["topology"]
    if (topology is None) != (stored is None) or topology is not None and any(
        not np.array_equal(np.asarray(stored[k]), np.asarray(topology[k]))
        for k in (FORMAL_CHARGE, MOLECULE_INDEX, SPECIES)
    ):
        return "its topology arrays (molecules, species, formal charges) differ"
    if "ensemble" not in run_info or not velocities:
        return None
    velocities = atoms.get_velocities()
    if np.any(velocities):
        # given velocities are the run's first frame (heavy hydrogen keeps each H's energy)
        if run_info.get("hydrogen_mass") is not None:
            velocities = velocities * np.sqrt(atoms.get_masses() / masses)[:, None]
        if atoms.constraints:
            given = atoms.copy()
            given.set_masses(masses)
            given.set_velocities(velocities)
            _obey_constraints(given)
            velocities = given.get_velocities()
        why = "it started from other velocities"
    else:
        # no velocities: the call draws them; a run that started from given ones (an earlier
        # stage's, or hotter) was returned for a run asked to start from the draw
        drawn = atoms.copy()
        drawn.set_masses(masses)
        _draw_velocities(drawn, run_info.get("temperature_K"), run_info["seed"])
        velocities = drawn.get_velocities()
        why = ("it started from given velocities, not from those this call draws "
               "(Maxwell–Boltzmann at temperature_K with this seed)")
    v0 = read_h5md(path, 0).get_velocities()
    scale = max(float(np.abs(velocities).max()), 1e-300)
    if not np.allclose(v0, velocities, rtol=0, atol=1e-6 * scale):
        return why
    return None


def _obey_constraints(atoms):
    """Give ``atoms`` the momenta their constraints allow (each one's ``adjust_momenta``).

    Velocities set before a constraint (``set_velocities`` and then ``FixAtoms``) keep the
    fixed atoms moving: run_md wrote them as its first frame, and Velocity Verlet stopped them
    only at its first step: 32 EMT copper atoms, half fixed, recorded 519 K at step 0 and 288 K
    at step 1, and the NVE total energy fell from 0.859 to 0.382 eV in that step. ASE's own
    ``set_momenta`` applies them so; drawn velocities are applied them as they are drawn.
    """
    if atoms.constraints:
        atoms.set_momenta(atoms.get_momenta(), apply_constraint=True)


def _draw_velocities(atoms, temperature_K, seed):
    """Give ``atoms`` run_md's initial velocities: Maxwell–Boltzmann, seeded, no drift."""
    from ase.md.velocitydistribution import Stationary

    try:  # ASE >= 3.29
        from ase.md.velocitydistribution import thermalize_momenta
    except ImportError:  # pragma: no cover - older ASE
        from ase.md.velocitydistribution import (
            MaxwellBoltzmannDistribution as thermalize_momenta,
        )

    atoms.set_velocities(np.zeros((len(atoms), 3)))
    thermalize_momenta(atoms, temperature_K=temperature_K or 0.0,
                       rng=np.random.default_rng(seed))
    # the centre of mass's share removed, not rescaled back onto the others: ASE's default
    # keeps the 3N temperature, which put 3N·kT/2 into the 3N - 3 degrees of freedom that
    # move (4 atoms drawn at 300 K started at 400 K on average). Only where the centre of mass
    # is no degree of freedom of the run (_com_removed): with FixAtoms it moves thermally and
    # is counted, and removing it started 8 copper atoms with one fixed at 257 K on average
    # for 300 K (2 atoms, one fixed, at 75 K), and a single atom at rest
    if _com_removed(atoms):
        Stationary(atoms, preserve_temperature=False)


#: The relaxation's most optimizer steps (:func:`relax`; :func:`run_protocol`'s relaxation).
_RELAX_STEPS = 500
#: Smallest force threshold (eV/Å) a relaxation takes: the round-off of forces in single
#: precision, the default of the machine-learned models (SevenNet; MACE-MP's ``mace_mp``),
#: summed over an atom's neighbours, is about 1e-6 eV/Å, so no such model reaches a smaller
#: one, and a relaxation before MD, whose thermal forces are about 1 eV/Å, gains nothing from it.
#: ``fmax=1e-9`` ran every optimizer step of the model (500) and only then was marked not
#: converged. (A double-precision pair potential goes further: 32 rattled Lennard-Jones argon
#: or EMT copper atoms reached 1e-14 eV/Å in 300 FIRE steps; relax is no tight optimizer.)
MIN_RELAX_FMAX = 1.0e-6
#: Largest force threshold (eV/Å) a relaxation takes: a packed box, a stretched bond or an
#: overlap the packer left hold forces below it, so a threshold above it relaxes nothing, and
#: is another unit (2 eV/Å, Ju et al. 2025's, is 2000 meV/Å, 193 kJ/(mol·nm)); ``fmax=1e9``
#: skipped the relaxation without a word. A threshold that lets the optimizer stop at once
#: on a given structure is a choice; a skip is ``steps=0``.
MAX_RELAX_FMAX = 100.0


def _check_relax_fmax(name, value):
    """``value`` (eV/Å) as a float, or a ValueError naming ``name`` and the bound: above 0,
    from :data:`MIN_RELAX_FMAX` to :data:`MAX_RELAX_FMAX`, checked before any evaluation."""
    from .units import slip_advice

    fmax = check_number(f"{name} (eV/Å)", value, above=0)
    if fmax < MIN_RELAX_FMAX:
        raise ValueError(
            f"{name} = {fmax:g} eV/Å is below {MIN_RELAX_FMAX:g} eV/Å, the round-off of a "
            "single-precision model's forces: no relaxation reaches it (it would run all its "
            f"optimizer steps, then be marked not converged); give {MIN_RELAX_FMAX:g} eV/Å or "
            "more (Ju et al. 2025: 2 eV/Å)"
            + slip_advice(fmax, "eV/Å", lambda x: MIN_RELAX_FMAX <= x <= MAX_RELAX_FMAX))
    if fmax > MAX_RELAX_FMAX:
        raise ValueError(
            f"{name} = {fmax:g} eV/Å is above {MAX_RELAX_FMAX:g} eV/Å, more than the forces of "
            "a structure MD can start from (a packed box holds a few eV/Å): the relaxation "
            "would stop before its first step and relax nothing; give a threshold in eV/Å "
            "(Ju et al. 2025: 2 eV/Å)"
            + slip_advice(fmax, "eV/Å", lambda x: MIN_RELAX_FMAX <= x <= MAX_RELAX_FMAX))
    return fmax


def relax(atoms, *, fmax=2.0, steps=_RELAX_STEPS, trajectory=None, overwrite=False, progress=False):
    """Loose relaxation of positions with FIRE (Ju et al. 2025: maximum force below 2 eV/Å).

    The cell is fixed.

    Parameters
    ----------
    atoms : ase.Atoms
        With a calculator; not modified.
    fmax : float
        Force threshold, eV/Å: from :data:`MIN_RELAX_FMAX` (1e-6, the round-off of a
        single-precision model's forces) to :data:`MAX_RELAX_FMAX` (100, above the forces of
        any start); others are refused before any evaluation.
    steps : int
        Maximum optimizer steps (0 returns the structure as it is).
    trajectory : str or os.PathLike, optional
        H5MD file receiving the relaxed structure (one frame, no velocities). If it holds a
        finished relaxation of the same structure with the same settings, calculator,
        constraints and calculator inputs of the Atoms (non-zero per-atom arrays such as
        ``initial_charges``, ``info["charge"]``, ``info["spin"]``), that one is returned; one
        with other ones, or without recorded settings (an older version's file), raises unless
        ``overwrite``.
    overwrite : bool
        Recompute even if ``trajectory`` holds a finished relaxation. Without a ``trajectory``
        it has no effect, and ``True`` warns so (no file is written).
    progress : bool
        Show a tqdm progress bar of the optimizer steps with the current maximum force.

    Returns
    -------
    ase.Atoms
        Relaxed copy with the same calculator and topology arrays; ``info["relaxed_fmax"]``
        is the final maximum force (eV/Å), ``info["relaxed_converged"]`` whether it is at most
        ``fmax``, ``info["step"]`` and ``info["time_ps"]`` are 0 (the frame it is stored as).
        Constraints, ``info`` and per-atom arrays (charges, tags) are the caller's, copied; the
        caller's Atoms are not modified.
        The calculator is the caller's own object, not a copy (a copy of a machine-learned
        model would load it a second time). Its ``results`` then describe the returned state;
        ASE recomputes them for any Atoms whose positions, cell, numbers or periodicity differ
        (:meth:`~ase.calculators.calculator.Calculator.check_state`), so the caller's Atoms, which
        may hold the same calculator, still get their own energy and forces (one evaluation).

    Raises
    ------
    ValueError
        Bad arguments, no calculator or a ``SinglePointCalculator`` (stored results, no
        model), or a ``trajectory`` of another run.
    ConcurrentWriterError
        Another process or thread is writing ``trajectory``; raised before any evaluation.
    MDInstabilityError
        The calculator returned non-finite forces, energy or stress (or forces of another
        shape): raised at that step, ``trajectory`` not written.
    ~ase_electrolyte.trajectory.TrajectoryFullError
        No room (disk or file-size limit) for ``trajectory``'s file and its frame; raised
        before the relaxation, ``trajectory`` unchanged.

    Warns
    -----
    RelaxationNotConvergedWarning
        The ``steps`` ran out above ``fmax``: it names the force reached and the one asked; the
        structure is returned (and stored) as it is. A relaxation read back from its file warns
        the same.
    UserWarning
        ``overwrite=True`` without a ``trajectory``: it has no effect.
    """
    fmax = _check_relax_fmax("fmax", fmax)
    steps = check_number("steps", steps, integer=True, minimum=0)
    check_flag("overwrite", overwrite)
    check_flag("progress", progress)
    _check_start(atoms, trajectory, overwrite)
    _warn_settings_without_effect("relax", trajectory, True, overwrite=overwrite)
    trajectory = _absolute(trajectory)
    with _claim(trajectory), terminate_as_interrupt():
        run_info = _with_constraints(
            _relax_run_info(fmax, steps, calculator_fingerprint(atoms.calc)), atoms)
        if trajectory is not None:
            info = _reuse(trajectory, run_info, atoms, overwrite)
            if info is not None and info["complete"]:
                stored = read_h5md(trajectory, -1)
                done = _stored_state(atoms, stored)
                done.set_velocities(np.zeros((len(done), 3)))
                _relaxation_verdict(done, float(np.linalg.norm(stored.get_forces(),
                                                               axis=1).max()), fmax, steps)
                return done
            _check_writable(trajectory)
        work = _copy_of(atoms)
        work.calc = atoms.calc
        work.set_velocities(np.zeros((len(work), 3)))
        writer = None
        if trajectory is not None:
            # built beside its name before the relaxation, with room for the relaxed frame: a
            # full disk or a file-size limit was met only once the relaxation had run
            writer = H5MDWriter(trajectory, work, velocities=False, run_info=run_info)
            try:
                scalars = ("potential_energy", "kinetic_energy", "temperature", "volume",
                           "density", "pressure")
                writer._check_room(dict.fromkeys(scalars, 0.0))
            except BaseException:
                writer.close(complete=False)
                raise
        from ase.optimize import FIRE

        opt = FIRE(work, logfile=None)
        opt.attach(_raise_if_terminated, interval=1)
        guard = _Guard(work, None, None, None, None)
        opt.attach(lambda: guard.check(opt.nsteps, writer), interval=1)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps, desc=f"relax to {fmax:g} eV/Å", unit="step",
                       **progress_bar_options())

            def show():
                # the postfix is shown at the next refresh that update() decides on: a refresh
                # of its own at every step wrote a line per step into a batch job's log
                bar.set_postfix(
                    fmax=f"{np.linalg.norm(work.get_forces(), axis=1).max():.2f}", refresh=False)
                bar.update(1)

            opt.attach(show, interval=1)
        written = False
        try:
            # dropped while the file was read or the model hashed: not even a first evaluation
            _raise_if_terminated()
            opt.run(fmax=fmax, steps=steps)
            # a SIGTERM dropped after the last step's observer: not written as relaxed
            _raise_if_terminated()
            final = float(np.linalg.norm(work.get_forces(), axis=1).max())
            work.info.update(step=0, time_ps=0.0)  # as a reused relaxation's (_stored_state)
            if not np.isfinite(final):
                raise MDInstabilityError(
                    f"relaxation ended with non-finite forces ({final} eV/Å)")
            _relaxation_verdict(work, final, fmax, steps)
            if writer is not None:
                writer.write(work, step=0, time=0.0,
                             observables=_observables(work, work.get_masses().sum()))
                writer.close(complete=True)
            written = True
        except KeyboardInterrupt as err:
            what = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
            kept = "nothing written" if trajectory is None else f"{trajectory} not written"
            stage = _PROTOCOL_STAGE.get()
            err.add_note(f"relax: {what} before it converged; {kept}; the same call "
                         "relaxes again from the start" if stage is None else
                         f"{stage.title}: {what} before it converged; {kept}; a rerun with "
                         "the same arguments relaxes again from the start")
            raise
        finally:
            if bar is not None:
                bar.close()
            if writer is not None and not written:
                writer.close(complete=False)  # the file is not published: the old one stays
        return work


def _relaxation_verdict(atoms, reached, fmax, steps):
    """Record in ``atoms.info`` the largest force a relaxation reached (``relaxed_fmax``, eV/Å)
    and whether it is below ``fmax`` (``relaxed_converged``); warn when it is not.

    The same for a fresh relaxation and one read back from its file (whose frame stores the
    forces, and its ``run_info`` the ``fmax`` asked): before, only ``relaxed_fmax`` said that
    FIRE had stopped short, and a protocol ran MD from the structure without a word.
    """
    import warnings

    atoms.info["relaxed_fmax"] = reached
    atoms.info["relaxed_converged"] = converged = bool(reached <= fmax)
    if not converged:
        if _PROTOCOL_STAGE.get() is None:
            message = (
                f"relax: the largest force is {reached:.3g} eV/Å after {steps} optimizer steps, "
                f"above fmax = {fmax:g} eV/Å asked; the structure is returned as it is (MD from "
                "it releases the remaining strain as heat): raise steps, or check the structure")
        else:
            # run_protocol takes no number of optimizer steps: "raise steps" named nothing its
            # caller could change
            message = (
                f"run_protocol's relaxation: the largest force is {reached:.3g} eV/Å after its "
                f"{steps} optimizer steps, above relax_fmax = {fmax:g} eV/Å; the MD stages start "
                "from the structure as it is (releasing the remaining strain as heat): check the "
                "structure, or relax it beforehand with relax(atoms, steps=...) and pass the "
                "result")
        warnings.warn(RelaxationNotConvergedWarning(message), stacklevel=_user_stacklevel())


def _relaxation_estimate(atoms, fmax):
    """The relaxation's largest force as an Estimate (eV/Å): exact, not valid above ``fmax``."""
    reached = float(atoms.info["relaxed_fmax"])
    notes = () if reached <= fmax else (
        f"not converged: the relaxation stopped at a largest force of {reached:.3g} eV/Å, "
        f"above relax_fmax = {fmax:g} eV/Å (its optimizer steps ran out); the MD stages "
        "started from it",)
    return Estimate(reached, 0.0, "eV/Å",
                    "exact: the largest force on an atom of the relaxed structure",
                    n_samples=1, converged=not notes, notes=notes)


#: Per-atom arrays a trajectory compares by itself (the frames and ``start_state`` hold them):
#: left out of :func:`_calculator_inputs`.
_STORED_ARRAYS = frozenset({"numbers", "positions", "momenta", "masses", FORMAL_CHARGE,
                            MOLECULE_INDEX, SPECIES})
#: ``Atoms.info`` entries calculators read as input: the net charge (``declared_total_charge``,
#: fairchem, MACE's charged heads) and the spin multiplicity (fairchem's OMol task).
_INFO_INPUTS = ("charge", "spin")


def _calculator_inputs(atoms):
    """What of ``atoms`` beyond positions, cell, elements, masses and topology a calculator may
    read: per-atom arrays that are not all zero (``initial_charges``, ``initial_magmoms``, an
    array an :class:`~ase_electrolyte.electrostatics.Electrostatics` of ``scheme="array"``
    names) and ``info["charge"]``, ``info["spin"]``; name -> JSON value (arrays over 16 values
    by a digest of their bytes, see :func:`_json_value`), empty when there is none.

    ASE leaves an absent ``initial_charges`` or ``initial_magmoms`` at zero, so an all-zero one
    records nothing: the same run as one without it.
    """
    record = {}
    for name in sorted(atoms.arrays):
        value = atoms.arrays[name]
        if name in _STORED_ARRAYS or (value.dtype.kind in "biuf" and not np.any(value)):
            continue
        record[f"arrays[{name!r}]"] = value
    for name in _INFO_INPUTS:
        if atoms.info.get(name) is not None:
            record[f"info[{name!r}]"] = atoms.info[name]
    return json.loads(json.dumps(record, default=_json_value, sort_keys=True))


def _with_constraints(run_info, atoms):
    """``run_info`` with the constraints of ``atoms`` (ASE's ``todict`` of each), if any, and
    the inputs a calculator reads from ``atoms`` (:func:`_calculator_inputs`), if any.

    The same start with other constraints is another run: a relaxation with the lower half of
    the atoms fixed was answered with the stored one of none fixed, whose "fixed" atoms had
    moved by 0.46 Å. So is one with other charges: NaCl whose ``initial_charges`` went from ±1
    to ±0.5 under ``Electrostatics(scheme="array")`` (-35.69 eV to -8.92 eV) was answered with
    the stored run of ±1, and resumed with the new charges, one file mixing two models. A run
    without constraints or such inputs records none (files of earlier versions, which recorded
    none, stay those runs).
    """
    inputs = _calculator_inputs(atoms)
    if inputs:
        run_info = {**run_info, "atoms_inputs": inputs}
    acting = _acting_constraints(atoms)
    if not acting:
        # an empty FixAtoms is the run without it: its record was another run's
        return run_info
    record = []
    for c in acting:
        todict = getattr(c, "todict", None)
        entry = todict() if callable(todict) else None
        if entry is None:
            # a constraint of one's own without todict (FixConstraint's returns None): its
            # class and attributes, so that another setting of it is another run
            entry = {"class": f"{type(c).__module__}.{type(c).__qualname__}",
                     "attributes": dict(vars(c))}
        entry = _with_bond_lengths(entry, c, atoms)
        record.append(entry)
    return {**run_info, "constraints": json.loads(
        json.dumps(record, default=_json_value, sort_keys=True))}


def _with_bond_lengths(entry, constraint, atoms):
    """``entry`` (a constraint's record) with the lengths a ``FixBondLengths`` was given, where
    they are not those of ``atoms``' positions.

    ASE's ``FixBondLengths.todict`` leaves ``bondlengths`` out: a run holding the bonds at
    given lengths recorded the same constraint as one holding them at the start's, and a rerun
    with other lengths (another model of the molecule) reused or resumed the first one's file.
    Lengths equal to the start's (to 1e-8 Å) are what ASE takes when none are given, the same
    run, and recorded as before.
    """
    from ase.constraints import FixBondLengths

    given = getattr(constraint, "bondlengths", None)
    if not isinstance(constraint, FixBondLengths) or given is None:
        return entry
    given = np.asarray(given, dtype=float).reshape(-1)
    start = constraint.initialize_bond_lengths(atoms)
    if given.shape == start.shape and np.allclose(given, start, rtol=0.0, atol=1e-8):
        return entry
    kwargs = dict(entry.get("kwargs", {}))
    kwargs["bondlengths"] = given.tolist()
    return {**entry, "kwargs": kwargs}


def _relax_run_info(fmax, steps, fingerprint):
    """The settings :func:`relax` records in its file's ``run_info`` (checked numbers)."""
    return {"stage": "relax", "fmax": fmax, "steps": steps, "calculator": fingerprint}


def _copy_of(atoms):
    """``atoms.copy()`` with its own ``info``: ASE's copy shares the values of ``info``, so a
    list or dict in the Atoms a run returned, once edited, edited the caller's."""
    out = atoms.copy()
    out.info = copy.deepcopy(atoms.info)
    return out


def _stored_state(atoms, stored):
    """``atoms`` (constraints, info, arrays, real masses, calculator) at a stored frame's state.

    A reused run returns what a fresh one would: a copy of the input with the frame's cell,
    positions and velocities, not the bare frame, which carries no constraints and none of the
    caller's ``info``.
    """
    out = _copy_of(atoms)
    out.calc = atoms.calc
    out.set_cell(stored.cell)
    out.set_positions(stored.positions, apply_constraint=False)
    # velocities, not momenta: the stored masses may be those of heavy hydrogen
    out.set_velocities(stored.get_velocities())
    out.info.update(step=stored.info["step"], time_ps=stored.info["time_ps"])
    return out


def _observables(atoms, mass_amu):
    """What a frame or an observed step records (see :class:`_StepObservables`)."""
    return _StepObservables(atoms, mass_amu)(atoms)


class _StepObservables:
    """The observables run_md records at a step, with what is fixed for the run computed once.

    Potential energy, density (of the real masses, also while hydrogen is heavy), pressure and
    the pressure tensor (when the calculator gave a stress, 3D-periodic systems), the
    per-species charge current (when the atoms carry topology arrays), kinetic energy,
    temperature and volume, and a committee calculator's largest per-atom force spread.
    """

    def __init__(self, atoms, mass_amu, ask_stress=False):
        self.mass_amu = float(mass_amu)
        self.periodic = bool(atoms.pbc.all())
        # NPT integrates the stress at every step: ask for it at every recorded step too. A
        # calculator that computes only what is asked (ASE's protocol allows it) had none at
        # step 0, whose frame then lacked the pressure that every later frame had: the writer
        # refused step 5 after the model had run
        self.ask_stress = bool(ask_stress)
        # the run's constraints are fixed: its temperature's degrees of freedom too
        self.dof = atoms_temperature_dof(atoms)
        self.com_removed = _com_removed(atoms)
        species = current_species(atoms)
        if species:
            topo = get_topology(atoms)
            # J_s = sum over atoms of species s of q_i v_i: one (n_species, n_atoms) product
            self.charges = np.array(
                [np.where(topo[SPECIES] == s, topo[FORMAL_CHARGE], 0) for s in species],
                dtype=np.float64,
            )
        else:
            self.charges = None

    def __call__(self, atoms, current=False):
        """Observables of ``atoms``.

        ``current=True`` promises that the calculator's results belong to ``atoms`` (run_md's
        guard has just asked for the forces), which spares the calculator's state comparisons.
        """
        calc = atoms.calc
        results = calc.results if current else {}
        energy = results.get("energy")
        obs = {"potential_energy": atoms.get_potential_energy() if energy is None else energy}
        momenta = atoms.get_momenta()
        masses = atoms.get_masses()
        velocities = momenta / masses[:, None]
        kinetic = 0.5 * float(np.vdot(momenta, velocities))
        obs["kinetic_energy"] = kinetic
        obs["temperature"] = _kinetic_temperature(atoms, self.dof, self.com_removed)
        stress = None
        if self.periodic:
            volume = atoms.get_volume()
            obs["volume"] = volume
            obs["density"] = self.mass_amu / volume / GCM3_TO_AMU_PER_A3
            if current:
                stress = results.get("stress")
            elif "stress" in getattr(calc, "implemented_properties", ("stress",)):
                stress = calc.get_property("stress", atoms, allow_calculation=False)
            # else: ASE raises PropertyNotImplementedError even when asked not to calculate;
            # a relaxation without stress failed so once it had relaxed
            if stress is None and self.ask_stress:
                stress = atoms.get_stress()
        if stress is not None:
            if np.shape(stress) == (3, 3):
                virial = -np.asarray(stress)
            else:
                xx, yy, zz, yz, xz, xy = stress
                virial = -np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
            tensor = (virial + (velocities.T @ momenta) / volume) / units.bar
            obs["pressure_tensor"] = tensor
            # p = -tr(σ)/3 + 2 K / (3 V), the ideal-gas term included
            obs["pressure"] = float(np.trace(tensor)) / 3.0
        if self.charges is not None:
            obs["charge_current"] = self.charges @ (velocities * VELOCITY_TO_ANGSTROM_PER_PS)
        # a committee calculator's largest per-atom force spread (eV/Å), the active-learning signal
        spread = calc.results.get("max_forces_std") if calc is not None else None
        if spread is not None:
            obs["max_forces_std"] = float(spread)
        return obs


def current_species(atoms):
    """Species whose charge current run_md records, in the order of the ``charge_current`` rows.

    Every molecule species (topology array ``molecule_species``) with a nonzero formal charge on
    some atom, in order of first appearance; empty without topology arrays.
    """
    topo = get_topology(atoms)
    if topo is None:
        return []
    names, first = np.unique(topo[SPECIES], return_index=True)
    charged = [
        (i, str(n)) for n, i in zip(names, first, strict=True)
        if np.any(topo[FORMAL_CHARGE][topo[SPECIES] == n] != 0)
    ]
    return [n for _, n in sorted(charged)]


def ensemble_name(ensemble, what="ensemble"):
    """``ensemble`` as one of ``("nve", "nvt", "npt")`` (``"NPT"``, ``" nvt "`` are ``"npt"``,
    ``"nvt"``: the names carry no case), refused otherwise with the closest name.

    One reading for :func:`run_md`, :func:`run_protocol`, screening plans and the
    ``electrolyte`` command, so that a run's stored settings and its resume see one spelling.

    Raises
    ------
    ValueError
        Not a string, or no ensemble's name.
    """
    from .option_words import choice_word

    return choice_word(what, ensemble, _ENSEMBLES)


def _check_run_numbers(ensemble, steps, timestep_fs, temperature_K, pressure_bar, tdamp_fs,
                       pdamp_fs, hydrogen_mass, max_temperature_factor, max_displacement,
                       write_interval, observe_interval, seed):
    """The ensemble and numeric arguments of :func:`run_md`, checked and normalised in its
    order; for callers that load a model first (:func:`~ase_electrolyte.density_alignment.
    npt_density`), so that a bad number fails before the model is read."""
    ensemble = ensemble_name(ensemble)
    steps = check_number("steps", steps, integer=True, minimum=1)
    _check_stage_steps(f"steps = {steps}:", steps)
    timestep_fs = _check_timestep("timestep_fs", timestep_fs)
    if ensemble == "nve" and temperature_K is not None:
        # NVE's temperature only draws the first velocities: 0 K is a start from rest, which
        # was refused as "is it in °C?"
        temperature_K = check_number("temperature_K (NVE)", temperature_K, minimum=0)
    elif ensemble != "nve":
        temperature_K = check_number(f"temperature_K ({ensemble.upper()})", temperature_K, above=0)
    # a NaN pressure is refused in every ensemble: it is never what the caller meant; None
    # (no pressure) is one only where no barostat needs one
    pressure_bar = check_number("pressure_bar", pressure_bar, allow_none=ensemble != "npt")
    if ensemble != "npt" and pressure_bar is not None and pressure_bar != ONE_ATM_BAR:
        # the default is no choice; another pressure at constant volume ran without a word
        raise ValueError(
            f"pressure_bar = {pressure_bar:g} bar is the barostat's target, and "
            f"{ensemble.upper()} has none (its volume is fixed): it would have no effect; leave "
            "out pressure_bar, or run NPT")
    _check_extremes(temperature_K, pressure_bar)
    tdamp_fs = check_number("tdamp_fs", tdamp_fs, above=0, maximum=MAX_DAMPING_FS,
                            allow_none=True)
    pdamp_fs = check_number("pdamp_fs", pdamp_fs, above=0, maximum=MAX_DAMPING_FS,
                            allow_none=True)
    for name, value, coupling, used in (
            ("tdamp_fs", tdamp_fs, "thermostat", ensemble != "nve"),
            ("pdamp_fs", pdamp_fs, "barostat", ensemble == "npt")):
        if value is not None and not used:
            # a coupling time of an integrator the run does not use was ignored without a
            # word: pdamp_fs=500 with NVT ran at constant volume
            raise ValueError(
                f"{name} = {value:g} fs sets the {coupling}, and {ensemble.upper()} has none: "
                f"it would have no effect; leave out {name}, or run an ensemble with a "
                f"{coupling} ({'NVT or ' if coupling == 'thermostat' else ''}NPT)")
    for name, value, fewest, used, advice in (
            ("tdamp_fs", tdamp_fs, MIN_TDAMP_STEPS, ensemble != "nve", 100),
            ("pdamp_fs", pdamp_fs, MIN_PDAMP_STEPS, ensemble == "npt", 1000)):
        if used and value is not None and value < fewest * timestep_fs:
            # the run exploded steps (or hundreds of steps) later, blaming the time step
            raise ValueError(
                f"{name} = {value:g} fs is {value / timestep_fs:.4g} time steps of "
                f"{timestep_fs:g} fs; the Nosé–Hoover/MTK integration needs at least {fewest} "
                f"(ASE advises {advice}, the default: {advice * timestep_fs:g} fs)")
    hydrogen_mass = check_number("hydrogen_mass (amu)", hydrogen_mass, above=0, allow_none=True)
    # a factor of 1 or less stops a sound run at its own target (a thermostatted temperature
    # fluctuates about it), possibly after overwrite=True has emptied the file
    max_temperature_factor = check_number(
        "max_temperature_factor", max_temperature_factor, above=1, allow_none=True
    )
    max_displacement = check_number(
        "max_displacement (Å)", max_displacement, above=0, allow_none=True
    )
    write_interval = check_number("write_interval", write_interval, integer=True, minimum=1)
    # Green–Kubo integrals need the current and pressure tensor at every step
    observe_interval = check_number(
        "observe_interval", 1 if observe_interval is None else observe_interval, integer=True,
        minimum=1,
    )
    seed = check_number("seed", seed, integer=True, minimum=0)
    return (steps, timestep_fs, temperature_K, pressure_bar, tdamp_fs, pdamp_fs, hydrogen_mass,
            max_temperature_factor, max_displacement, write_interval, observe_interval, seed)


def run_md(
    atoms,
    *,
    ensemble,
    steps,
    timestep_fs,
    temperature_K=None,
    pressure_bar=ONE_ATM_BAR,
    tdamp_fs=None,
    pdamp_fs=None,
    hydrogen_mass=None,
    trajectory=None,
    write_interval=_DEFAULT_WRITE_INTERVAL,
    observe_interval=None,
    seed=0,
    progress=True,
    description=None,
    max_temperature_factor=_DEFAULT_TEMPERATURE_FACTOR,
    max_displacement=0.5,
    overwrite=False,
):
    """Run MD with an ASE integrator, writing frames to H5MD; resumes an interrupted file.

    Parameters
    ----------
    atoms : ase.Atoms
        With a calculator; not modified. Velocities are drawn from Maxwell–Boltzmann at
        ``temperature_K`` (seeded; without centre-of-mass motion, except where it is a degree
        of freedom of the temperature: constraints that take momentum, one atom) if all are
        zero; given
        velocities are the first frame as they are, less what the constraints forbid (atoms
        of ``FixAtoms`` at rest, as ASE's ``set_momenta`` leaves them), and are refused if their
        centre of mass
        drifts beyond thermal motion (a kinetic energy above 15 kT, which the thermostat and
        the recorded temperatures would count as heat: remove it with
        :func:`ase.md.velocitydistribution.Stationary`). Constraints are refused for NVT and
        NPT (see Raises), except those that constrain nothing (``FixAtoms(indices=[])``,
        ``FixCartesian`` with no direction fixed, ``FixBondLengths([])``, ...): the run is the
        run without them, and the returned Atoms carry them.
    ensemble : {"nve", "nvt", "npt"}
        Velocity Verlet, Nosé–Hoover chain NVT, or isotropic MTK NPT; in any case (``"NPT"``
        is ``"npt"``, :func:`ensemble_name`).
    steps : int
        Total MD steps of the run (a resumed run does only the missing ones).
    timestep_fs : float
        Time step, fs, at least 1e-6 and at most :data:`MAX_TIMESTEP_FS`; a warning above
        :func:`~ase_electrolyte.units.plausible_timestep_fs` of the lightest mass integrated
        (5 fs for hydrogen, 8.6 fs at ``hydrogen_mass = 3``, 31 fs for argon).
    temperature_K : float
        Target temperature, K (NVT, NPT; initial velocities), above 0; in NVE only the
        temperature of the velocities drawn, 0 (a start from rest) or more, and optional
        (given velocities, or none drawn); 0 is refused for atoms that carry velocities (it
        would draw nothing and only switch the temperature guard off). The thermostat holds,
        and every frame records, the temperature of the motion about the centre of mass,
        2 (K − P²/2M) / (N_dof·k_B) with N_dof = 3N − N_constraints − 3 (GROMACS' and LAMMPS'
        convention: the centre of mass starts at rest and stays so); with constraints that
        take momentum (``FixAtoms``, ``FixCartesian``, ...; NVE only) 3N − N_constraints and
        the whole kinetic energy, ASE's ``get_temperature``. ASE's Nosé–Hoover chain and MTK
        barostat count 3N: 8 copper atoms at 300 K moved at 343 K.
    pressure_bar : float
        Target pressure for NPT, bar (default 1 atm); NVT and NVE take None or the default,
        and refuse another pressure, which they would ignore.
    tdamp_fs, pdamp_fs : float, optional
        Thermostat/barostat time constants, fs; default 100 and 1000 time steps (ASE's advice);
        at least :data:`MIN_TDAMP_STEPS` and :data:`MIN_PDAMP_STEPS` time steps (shorter ones
        cannot be integrated) and at most :data:`MAX_DAMPING_FS`. Only for the ensembles that
        have the coupling: ``tdamp_fs`` for NVT and NPT, ``pdamp_fs`` for NPT; given to
        another ensemble, which would ignore it, it is refused.
    hydrogen_mass : float, optional
        Mass (amu) given to H during this run (Ju et al. 2025 use 3 for 2 fs steps); the
        returned Atoms has the real masses back, with H velocities scaled to keep each H's
        kinetic energy (and the centre-of-mass drift that leaves removed, except with fixed
        atoms, whose centre of mass is a degree of freedom of the run). Refused for atoms in
        which no hydrogen moves (none, or each held by ``FixAtoms``): it would have no effect.
    trajectory : str or os.PathLike, optional
        H5MD output, named ``*.h5md`` (``.h5``, ``.hdf5`` with a warning: from_ase reads
        them, ``MDAnalysis.Universe`` does not; another suffix is refused, since readers
        would take the file for that format). If it exists and is incomplete it is
        resumed from its last frame; if it is
        complete the run is not repeated and its last frame is returned. A file written with
        other settings, another calculator, other constraints, other calculator inputs of the
        Atoms (non-zero per-atom arrays such as ``initial_charges`` or ``initial_magmoms``,
        ``info["charge"]``, ``info["spin"]``) or from another start, or one
        that records no settings (an older version's file), raises (see ``overwrite``). The
        device and the
        GPU kernels of the same model (``enable_cueq``, ``enable_flash``, ``enable_oeq``) do
        not make another calculator: a run resumes on another node; its file keeps what it
        started with. A resume restores the thermostat and barostat variables stored with the
        frame it starts from (:func:`~ase_electrolyte.trajectory.integrator_state`) and
        continues the uninterrupted run within round-off.
    write_interval : int
        Steps between frames; the last step is always written (a warning before the run when
        it is off this grid, after more than one interval: the frames would be unevenly
        spaced). Like ASE's ``loginterval``, it spaces whichever output the run has: without
        a ``trajectory`` no frame is written and it spaces only the progress bar's temperature
        and density readout (at most every 50 steps), so that one settings dict serves runs
        with and without a file; with neither a ``trajectory`` nor ``progress``, another
        value than the default warns (see Warns): it spaces nothing.
    observe_interval : int, optional
        Steps between observables (energies, the integrator's conserved energy
        ``conserved_energy``, temperature, density, pressure, the per-species
        charge current ``charge_current`` in e·Å/ps and the pressure tensor ``pressure_tensor``
        in bar, both for Green–Kubo integrals); default 1 (every step). The sampled series
        (:func:`~ase_electrolyte.trajectory.h5md_series`) holds exactly the steps that are
        multiples of it, evenly spaced; frames carry their own copy of the observables
        (MDAnalysis' ``ts.data``) also at steps off that grid. One longer than ``steps``
        samples step 0 alone, and warns.
    seed : int
        Seeds the initial velocities where they are drawn (``atoms`` at rest, with
        ``temperature_K``). Another value than the default 0 is refused where nothing is
        drawn (``atoms`` carries velocities, or an NVE run without ``temperature_K``): it
        would have no effect.
    progress : bool
        Show a tqdm progress bar.
    description : str, optional
        Label of the progress bar (default, ``None``, the ensemble's name; ``""`` no label);
        anything but text is refused. Without ``progress`` it labels nothing, and a warning
        says so.
    max_temperature_factor : float or None
        Stop when the instantaneous temperature exceeds this multiple of ``temperature_K`` (of
        the starting temperature in NVE without ``temperature_K``; no limit when that is 0 K, a
        start from rest, where another value than the default warns that it has no effect) or
        of 300 K, whichever is higher: a cold run from a loosely
        relaxed start heats up by hundreds of K before its thermostat brings it back. Above 1
        (the temperature fluctuates about its target); ``None`` disables. A system of few
        degrees of freedom f (a small molecule in vacuum) is allowed at least the canonical
        fluctuation of its instantaneous temperature, the 1 - 10⁻¹² quantile of
        χ²(f)/f (11.4 × for a diatomic, 3.8 × for 11 atoms; 3 × rules from 20 atoms on).
        Not a setting of the run (a guard that never fired leaves it unchanged), but a
        ``trajectory`` that records a temperature above this call's limit (written with a
        looser guard) is neither reused nor resumed: see Raises.
    max_displacement : float or None
        Stop when an atom moves more than this many Å in one step (minimum image);
        ``None`` disables.
    overwrite : bool
        Start ``trajectory`` afresh even if it holds a run (finished or not). Without a
        ``trajectory`` there is no file to start afresh, and ``True`` warns so.

    Returns
    -------
    ase.Atoms
        Final state (positions, velocities, cell) with the calculator attached;
        ``info["step"]`` and ``info["time_ps"]`` are its MD step and time (ps), for a fresh, a
        resumed and a reused run alike; ``info["energy_drift"]`` the drift of the integrator's
        conserved energy over the whole run (meV/atom/ps, :func:`energy_drift`, as
        :meth:`Estimate.to_dict <ase_electrolyte.estimate.Estimate.to_dict>`: it survives
        extxyz and ASE trajectory files): "too large" when the time step is too long for the
        model (then also a warning); without ``trajectory`` from samples kept in memory.
        Constraints, ``info`` (its values too) and per-atom arrays (charges,
        tags) are copies of the caller's; the trajectory stores positions, velocities, forces,
        the cell, numbers, masses and the topology arrays, not other arrays or ``info``.
        The calculator is the caller's own object, not a copy (a copy of a machine-learned
        model would load it a second time). Its ``results`` then describe the returned state;
        ASE recomputes them for any Atoms whose positions, cell, numbers or periodicity differ
        (:meth:`~ase.calculators.calculator.Calculator.check_state`), so the caller's Atoms, which
        may hold the same calculator, still get their own energy and forces (one evaluation).

    Raises
    ------
    ValueError
        Bad arguments (also velocities with a centre-of-mass drift, a ``hydrogen_mass`` for
        atoms in which no hydrogen moves, masses, or a ``hydrogen_mass``, whose total is
        beyond a float (1e308 amu: the centre of mass and density), a temperature above
        :data:`MAX_TEMPERATURE_K`, a pressure beyond
        :data:`MAX_PRESSURE_BAR` or more than :data:`MAX_STEPS` steps: no run can mean them;
        an NVE ``temperature_K`` of 0 for atoms that carry velocities;
        a ``tdamp_fs`` or ``pdamp_fs`` shorter than :data:`MIN_TDAMP_STEPS` or
        :data:`MIN_PDAMP_STEPS` time steps; an NPT barostat too light for the start's
        stiffness, whose volume oscillation ω = √(9VB / W) reaches ω·dt ≥ 2, B measured by two
        stress evaluations at ±0.5 % volume before the first step of a fresh run: the message
        gives a ``pdamp_fs`` that runs), a missing calculator or a
        ``SinglePointCalculator`` (the stored results ``ase.io.read`` attaches, which compute
        nothing at new positions), NPT without a 3D-periodic cell or with a calculator that
        computes no stress (its ``implemented_properties``), a
        ``trajectory`` of another run, one that records a temperature above this call's
        ``max_temperature_factor`` limit (the message names the step where a fresh run stops),
        of another program or whose times are not its steps
        times ``timestep_fs`` (an edited clock), an integrator state stored with other shapes
        than this run's integrator has, or a step whose data the trajectory writer refused
        (e.g. a calculator that adds a result, such as ``max_forces_std``, part-way through
        the run: every frame needs the same observables); the message names the step and the
        frames kept.
    MDInstabilityError
        Non-finite forces, positions or velocities, a runaway temperature or an atom jumping
        more than ``max_displacement``; the trajectory keeps the frames before and is not marked
        complete. The message names the cause: a thermostat or barostat that ran away (their
        masses are proportional to k_B·T: a temperature in another unit, or a ``tdamp_fs`` or
        ``pdamp_fs`` too short for the system, names that setting), an NPT pressure beyond
        5·10⁴ bar (Pa?), else the time step or the model.
    ConcurrentWriterError
        Another process or thread is writing ``trajectory`` (an ``OSError``); raised before the
        file is read or the model evaluated, the file is left to its writer.
    KeyboardInterrupt
        Ctrl-C, or :class:`Terminated` on SIGTERM (:func:`terminate_as_interrupt`); its note
        says what ``trajectory`` keeps and that the same call resumes. Stopped before its first
        frame, the run writes no file (an existing one is left as it was).
    OSError
        ``trajectory`` is open for reading in this process (a Universe of
        :func:`~mda_electrolyte.bridge.from_ase`: close it), ``errno.EBUSY``; raised before the
        model is evaluated, the file unchanged. Or the trajectory could not be written (e.g.
        :class:`~ase_electrolyte.trajectory.TrajectoryFullError` when the disk is full); the
        file keeps every frame written before and resumes when called again.

    Warns
    -----
    UserWarning
        Once each, values that are valid but the sign of a unit slip, by the one rule of
        :func:`~ase_electrolyte.units.warn_implausible`: a target temperature outside
        :data:`MIN_PLAUSIBLE_TEMPERATURE_K` –
        :data:`~ase_electrolyte.units.MAX_PLAUSIBLE_TEMPERATURE_K` (50–6000 K: °C? below 1 K,
        k_B·T in eV?), an NPT pressure beyond 5·10⁴ bar (Pa? 1 atm
        is 101325 Pa), a time step beyond Verlet's stability for the lightest mass integrated
        (:func:`~ase_electrolyte.units.plausible_timestep_fs`: 5 fs for hydrogen). Not inside
        :func:`run_protocol`, whose :func:`check_protocol_arguments` has said it once.
        Below that bound, a time step too long for the accuracy of moving hydrogen's
        integration: fewer than eight steps per period of a C–H stretch
        (:func:`hydrogen_timestep_fs`: 1.39 fs at the real mass, 2.23 fs at
        ``hydrogen_mass = 3``). A given ``tdamp_fs`` or ``pdamp_fs`` longer than the whole
        run (``steps × timestep_fs``): the coupling corrects about (t/τ)² of a deviation by a
        time t, and the run is NVE (NVT, NPH) in all but name. An output setting that acts on
        nothing in this call, each by name: a ``write_interval`` other than the default with
        neither ``trajectory`` nor ``progress`` (no frame is kept), a ``description`` without
        ``progress`` (no progress bar to label), ``overwrite=True`` without ``trajectory`` (no
        file is written), an ``observe_interval`` longer than ``steps`` (the series samples
        step 0 alone). A ``max_temperature_factor`` other than the default for an NVE run
        that starts from rest: no temperature limit applies.
    """
    ensemble = ensemble_name(ensemble)
    (steps, timestep_fs, temperature_K, pressure_bar, tdamp_fs, pdamp_fs, hydrogen_mass,
     max_temperature_factor, max_displacement, write_interval, observe_interval,
     seed) = _check_run_numbers(
        ensemble, steps, timestep_fs, temperature_K, pressure_bar, tdamp_fs, pdamp_fs,
        hydrogen_mass, max_temperature_factor, max_displacement, write_interval,
        observe_interval, seed)
    if not _PROTOCOL_DOUBTS_SAID.get():
        _warn_unit_slips(ensemble, temperature_K, pressure_bar)
    if _PROTOCOL_STAGE.get() is None:
        # run_protocol's stages take its fixed time constants, not the caller's
        _warn_couplings_outlast_run(ensemble, steps, timestep_fs, tdamp_fs, pdamp_fs)
    check_flag("progress", progress)
    check_flag("overwrite", overwrite)
    # a number or a flag was shown as the progress bar's label
    if description is not None and not isinstance(description, str):
        raise TypeError(f"description (the progress bar's label) must be text (str) or None, "
                        f"not {type(description).__name__} {description!r}")
    _check_start(atoms, trajectory, overwrite)
    trajectory = _absolute(trajectory)
    _check_constraints(atoms, ensemble)
    _check_hydrogen_mass_acts(atoms, hydrogen_mass)
    _check_seed_acts(atoms, seed, temperature_K)
    _check_guard_acts(atoms, ensemble, temperature_K, max_temperature_factor)
    if hydrogen_mass is not None:
        _check_mass_total(np.where(atoms.numbers == 1, hydrogen_mass, atoms.get_masses()),
                          "Give hydrogen_mass in amu (3 in Ju et al. 2025).")
    _check_drift(atoms, temperature_K)
    if ensemble == "npt" and not atoms.pbc.all():
        raise ValueError("NPT needs a 3D-periodic cell")
    if ensemble == "npt":
        _check_stress(atoms.calc, "NPT")
    if ensemble != "nve" and len(atoms) < 2:
        # after the centre-of-mass motion is removed one atom has no degree of freedom left
        raise ValueError(
            f"{ensemble.upper()} needs at least 2 atoms: a thermostat cannot act on one atom "
            "whose centre-of-mass motion is removed"
        )
    if not _PROTOCOL_DOUBTS_SAID.get():
        # the protocol's check and run_md judged steps by different rules (5 fs and 20 fs): water
        # at 10 fs with real masses ran without a doubt; one rule now, by the lightest mass
        warn_implausible(timestep_fs=timestep_fs,
                         lightest_mass_amu=_lightest_mass(atoms, hydrogen_mass),
                         stacklevel=_user_stacklevel(1))
        # Verlet's stability (the unit-slip rule's 5 fs) is not its accuracy: 3.5-5 fs with
        # hydrogen ran without a word, a C–H stretch sampled by 2-3 steps per period
        doubt = (_hydrogen_timestep_doubt(timestep_fs, hydrogen_mass)
                 if _moving_hydrogen(atoms).any() else None)
        if doubt is not None:
            import warnings

            warnings.warn(doubt, UserWarning, stacklevel=_user_stacklevel())
    if trajectory is not None and _PROTOCOL_STAGE.get() is None:
        _warn_off_grid_last_frame(steps, write_interval)
    _warn_settings_without_effect("run_md", trajectory, progress,
                                  write_interval=write_interval, description=description,
                                  overwrite=overwrite, observe_interval=observe_interval,
                                  steps=steps)
    with _claim(trajectory), terminate_as_interrupt():
        calc = atoms.calc
        real_masses = atoms.get_masses().copy()
        mass_total = float(real_masses.sum())

        tdamp = tdamp_fs or 100 * timestep_fs
        pdamp = pdamp_fs or 1000 * timestep_fs
        run_info = _with_constraints(
            _md_run_info(ensemble, steps, timestep_fs, temperature_K, pressure_bar, tdamp,
                         pdamp, hydrogen_mass, write_interval, observe_interval, seed,
                         calculator_fingerprint(calc)), atoms)
        work = _copy_of(atoms)
        work.calc = calc
        # an empty FixAtoms, FixCartesian of no direction, ...: no constraint for the
        # integrators (ASE's MTK barostat refuses any); the result gets the caller's back
        work.set_constraint(_acting_constraints(work))
        start = 0
        writer = None
        resumed = False
        # the temperature guard's reference: the target, or an NVE run's starting temperature
        guard_reference_K = temperature_K
        if trajectory is not None:
            trajectory = Path(trajectory)
            info = _reuse(trajectory, run_info, atoms, overwrite)
            if info is not None:
                _check_stored_temperatures(trajectory, info, work, temperature_K,
                                           max_temperature_factor, timestep_fs)
                last = read_h5md(trajectory, -1)
                if info["complete"] and info["last_step"] >= steps:
                    done = _stored_state(atoms, last)
                    _restore_hydrogen(done, hydrogen_mass)
                    # the reused run's record, as the run that wrote the file returned it
                    done.info["energy_drift"] = (
                        energy_drift(trajectory) if "conserved_energy" in info["series"]
                        else _no_drift(ensemble, trajectory)).to_dict()
                    return done
                _check_writable(trajectory)
                # resume from the last complete frame, with the masses the run integrated with
                # (the file's particles carry the physical ones)
                work.set_positions(last.positions)
                work.set_cell(last.cell)
                _set_masses_keep_velocities(work, start_state(trajectory)["masses"])
                work.set_velocities(last.get_velocities())
                start = info["last_step"]
                if guard_reference_K is None:
                    # the run's start, not the frame it resumes from: a resumed NVE run that
                    # had heated allowed 3 times that heat, and ran on where the whole one
                    # stopped
                    guard_reference_K = float(h5md_series(trajectory, "temperature")[2][0])
                # the stored settings, which _reuse found to be these up to the kernels
                writer = H5MDWriter(trajectory, atoms, mode="a", run_info=info["run_info"])
                resumed = True
        if not resumed:
            if trajectory is not None:
                _check_writable(trajectory)
            if ensemble == "npt":
                # before the file is written: a refused run leaves no file
                stage = _PROTOCOL_STAGE.get()
                try:
                    _check_barostat_stiffness(work, calc, temperature_K, pdamp, timestep_fs,
                                              stage)
                except KeyboardInterrupt as err:
                    # in the model's two stress evaluations: no file yet, nothing to resume
                    what = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
                    rerun = ("the same call runs it" if stage is None
                             else "a rerun with the same arguments runs it")
                    err.add_note(f"{'run_md' if stage is None else stage.title}: {what} before "
                                 f"its first step, nothing written; {rerun}")
                    raise
            if hydrogen_mass is not None:
                masses = work.get_masses()
                masses[work.numbers == 1] = hydrogen_mass
                _set_masses_keep_velocities(work, masses)
            if not np.any(work.get_velocities()):
                _draw_velocities(work, temperature_K, seed)
            else:
                if hydrogen_mass is not None:
                    _scale_hydrogen(work, real_masses, work.get_masses())
                _obey_constraints(work)
            if trajectory is not None:
                writer = H5MDWriter(trajectory, work, mode="w", run_info=run_info,
                                    masses=real_masses)

        try:
            dyn = _new_dynamics(work, ensemble, timestep_fs, temperature_K, pressure_bar,
                                tdamp, pdamp)
            if resumed:
                # the chains' momenta steer the next steps: zeroed, the resumed run followed
                # another trajectory than the uninterrupted one from its first step on
                _restore_integrator(dyn, integrator_state(trajectory, -1), trajectory)
            guard = _Guard(
                work, guard_reference_K, max_temperature_factor, max_displacement, timestep_fs
            )
            guard.watch(dyn, ensemble=ensemble, temperature_K=temperature_K,
                        pressure_bar=pressure_bar, tdamp_fs=tdamp, pdamp_fs=pdamp)
        except BaseException:
            # the writer's claim and file would stay open until garbage collection
            if writer is not None:
                writer.close(complete=False)
            raise
        dyn.nsteps = start

        bar = None
        if progress:
            from tqdm.auto import tqdm

            # an empty label is the caller's choice: "" was replaced by the ensemble's name
            label = ensemble.upper() if description is None else description
            bar = tqdm(total=steps, initial=start, desc=label, unit="step",
                       **progress_bar_options())

        record = _StepObservables(work, mass_total, ask_stress=ensemble == "npt")
        # the integrator's conserved quantity at each sampled step, whose drift judges the time
        # step (energy_drift); not added to a resumed file of an earlier version, whose
        # samples lack it (every sample holds the same observables)
        conserved = _conserved_energy(dyn, work)
        if resumed and "conserved_energy" not in info["series"]:
            conserved = None
        # without a file the samples are kept in memory for the drift of the returned Atoms
        drift = _DriftSeries() if trajectory is None and conserved is not None else None

        def observe():
            _raise_if_terminated()
            n = dyn.nsteps
            # checked before anything of this step is written: the file ends at the last good frame
            guard.check(n, writer)
            time_ps = n * timestep_fs / 1000.0
            if writer is not None and n > writer.last_step():
                # the guard has just asked for this step's forces: the calculator's results are
                # current
                # the per-step series holds the steps on the observe_interval grid only (evenly
                # spaced, as Green–Kubo integrals and statistical inefficiencies need); a frame
                # off the grid (the last step, write_interval not a multiple of
                # observe_interval) keeps its observables under /observables alone
                sampled = n % observe_interval == 0
                frame = n % write_interval == 0 or n == steps
                if frame or sampled:
                    obs = record(work, current=True)
                    if conserved is not None:
                        obs["conserved_energy"] = conserved(obs)
                    try:
                        if frame:
                            writer.write(
                                work, step=n, time=time_ps, observables=obs, sample=sampled,
                                integrator_state=_integrator_variables(dyn),
                            )
                        else:
                            writer.write_observables(work, step=n, time=time_ps, observables=obs)
                    except (ValueError, TypeError) as err:
                        # the writer's refusal is no failure of the integration: keep it apart
                        raise _WriterRefused(n, err) from err
            elif writer is None and drift is not None and n % observe_interval == 0:
                drift.add(time_ps, conserved(None))
            if bar is not None and n > bar.n:
                if n % max(1, min(write_interval, 50)) == 0:
                    # shown at update()'s next refresh (its mininterval): a refresh of its own
                    # wrote a line every 50 steps (every step with write_interval=1) to a log
                    bar.set_postfix(
                        T=f"{_kinetic_temperature(work):.0f}K",
                        rho=f"{_density(work, mass_total):.3f}", refresh=False,
                    )
                bar.update(n - bar.n)

        dyn.attach(observe, interval=1)
        try:
            # dropped while the file was read or the model hashed: not even a first evaluation
            _raise_if_terminated()
            # an exploding integrator overflows in ASE's exponentials (a warning per step):
            # the guard stops the run at the first non-finite value and names the cause
            with np.errstate(over="ignore", invalid="ignore"):
                dyn.run(steps - start)
            # a SIGTERM dropped after the last step's observer (in the writer, the progress
            # bar): the file is not marked complete; the same call completes it without a step
            _raise_if_terminated()
        except _WriterRefused as refused:
            writer.close(complete=False)
            err = refused.error
            kind = ValueError if isinstance(err, ValueError) else TypeError
            raise kind(
                f"{guard.label} {refused.step}: the trajectory writer refused the step's data "
                f"({err}){_kept(writer)}"
            ) from err
        except (ValueError, TypeError) as err:
            # raised between two guard checks: the integrator was fed malformed results (forces
            # of another shape) or the calculator refused the state the dynamics reached
            if writer is not None:
                writer.close(complete=False)
            if isinstance(err, MDInstabilityError):
                raise
            kept = _kept(writer)
            # the integrator used the forces before the guard could see them: name them
            problem = _malformed_forces(work.calc.results.get("forces"), len(work))
            if problem and "forces" in work.calc.results:
                raise MDInstabilityError(
                    f"{guard.label} {dyn.nsteps + 1}: {problem} ({type(err).__name__}: {err})"
                    f"{kept}"
                ) from err
            # a coupling that ran away makes a state no calculator takes (EMT copper in NPT at
            # 100 K with a 20-step barostat: a NaN cell, "cannot convert float NaN to integer")
            blame = guard.cause("the calculator's results are malformed or it refused the "
                                "state reached")
            raise MDInstabilityError(
                f"{guard.label} {dyn.nsteps + 1}: the integration failed "
                f"({type(err).__name__}: {err}); "
                f"{blame}{kept}"
            ) from err
        except BaseException as err:
            if writer is not None:
                writer.close(complete=False)
                # the calculator's own error (out of memory, a lost device) or Ctrl-C says
                # nothing of the file: say what is kept and that calling again resumes
                if isinstance(err, (Exception, KeyboardInterrupt)) and not isinstance(
                        err, MDInstabilityError):
                    what = "terminated (SIGTERM); " if isinstance(err, Terminated) else ""
                    # inside run_protocol (or the electrolyte command) "the same call" was a
                    # run_md call its caller never made
                    stage = _PROTOCOL_STAGE.get()
                    if writer.n_frames:
                        what += f"{_kept(writer)[2:]}, not marked complete; " + (
                            "the same call resumes from its last frame" if stage is None else
                            "a rerun with the same arguments resumes it from its last frame")
                    else:
                        what += f"{_kept(writer)[2:]}; " + (
                            "the same call runs it" if stage is None
                            else "a rerun with the same arguments runs it")
                    err.add_note(f"{'run_md' if stage is None else stage.title}: {what}")
            raise
        finally:
            if bar is not None:
                bar.close()
        if writer is not None:
            writer.close(complete=True)
        if conserved is None:
            estimate = _no_drift(ensemble, trajectory if resumed else None)
        elif drift is not None:
            estimate = _drift_estimate(drift.time_ps, drift.energy_eV, len(work),
                                       ensemble=ensemble, timestep_fs=timestep_fs,
                                       where="run_md's samples")
        else:
            estimate = energy_drift(trajectory)
        if _drifts_too_much(estimate):
            import warnings

            stage = _PROTOCOL_STAGE.get()
            # a thermostat hides the heating of too long a step: said where the run ends
            warnings.warn(f"{'run_md' if stage is None else stage.title}: {estimate.notes[0]}",
                          UserWarning, stacklevel=_user_stacklevel())
        final = work.copy()
        _set_masses_keep_velocities(final, real_masses)
        _restore_hydrogen(final, hydrogen_mass, heavy=work.get_masses())
        final.set_constraint(copy.deepcopy(atoms.constraints))
        final.calc = calc
        # as a reused run's Atoms (_stored_state) carry them: the step and time of the state
        final.info.update(step=int(dyn.nsteps), time_ps=dyn.nsteps * timestep_fs / 1000.0,
                          energy_drift=estimate.to_dict())
        return final


#: The variables of ASE's Nosé–Hoover chain and MTK integrators that positions, velocities and
#: cell do not hold: stored name -> (owner attribute of the dynamics or None, attribute).
#: ``_eta`` enters only the conserved energy; the momenta ``_p_eta``, ``_p_xi`` and
#: ``_p_eps`` steer the next steps (a resume that zeroed them followed another trajectory).
_INTEGRATOR_VARIABLES = {
    "thermostat_eta": ("_thermostat", "_eta"),
    "thermostat_p_eta": ("_thermostat", "_p_eta"),
    "barostat_xi": ("_barostat", "_xi"),
    "barostat_p_xi": ("_barostat", "_p_xi"),
    "strain": (None, "_eps"),
    "strain_momentum": (None, "_p_eps"),
    "reference_cell": (None, "_cell0"),
    "reference_volume": (None, "_volume0"),
}


def _integrator_variables(dyn):
    """The integrator's own state (name -> value, ASE units), as stored with each frame."""
    state = {}
    for name, (owner, attr) in _INTEGRATOR_VARIABLES.items():
        holder = dyn if owner is None else getattr(dyn, owner, None)
        if holder is not None and hasattr(holder, attr):
            state[name] = np.array(getattr(holder, attr), dtype=np.float64)
    return state


def _new_dynamics(atoms, ensemble, timestep_fs, temperature_K, pressure_bar, tdamp_fs,
                  pdamp_fs):
    """run_md's integrator of ``ensemble`` on ``atoms`` (``"nve"``, ``"nvt"`` or ``"npt"``);
    :func:`recorded_shapes` builds the same one to tell what its frames store."""
    from ase.md.nose_hoover_chain import IsotropicMTKNPT, NoseHooverChainNVT
    from ase.md.verlet import VelocityVerlet

    dt = timestep_fs * units.fs
    if ensemble == "nve":
        return VelocityVerlet(atoms, timestep=dt)
    if ensemble == "nvt":
        return _internal_dof_integrator(NoseHooverChainNVT(
            atoms, timestep=dt, temperature_K=temperature_K, tdamp=tdamp_fs * units.fs
        ), atoms_temperature_dof(atoms), temperature_K, tdamp_fs * units.fs)
    return _internal_dof_integrator(IsotropicMTKNPT(
        atoms,
        timestep=dt,
        temperature_K=temperature_K,
        pressure_au=pressure_bar * units.bar,
        tdamp=tdamp_fs * units.fs,
        pdamp=pdamp_fs * units.fs,
    ), atoms_temperature_dof(atoms), temperature_K, tdamp_fs * units.fs, pdamp_fs * units.fs)


def recorded_shapes(ensemble=None, charged_species=0, *, force_spread=False):
    """Shapes of what :func:`run_md` (or :func:`relax`) stores with each frame.

    Read off the code that records them, on a small stand-in box, so that a size estimate of
    the files (``electrolyte simulate``'s disk check) follows the writer's layout rather than a
    copy of it: the observables of a periodic box with a stress (each also a per-sample series
    of a run) and the integrator's own variables (:func:`~ase_electrolyte.trajectory.\
integrator_state`), with ASE's chains as run_md builds them. Each value is float64.

    Parameters
    ----------
    ensemble : {None, "nve", "nvt", "npt"}
        The integrator (any case); None for a relaxation's frame, which has neither a conserved
        energy nor an integrator state.
    charged_species : int
        Species with a formal charge on some atom (:func:`current_species`): the rows of the
        charge current (e Å/ps), absent when 0.
    force_spread : bool
        The calculator is a committee, whose largest force spread (eV/Å) is recorded too.

    Returns
    -------
    observables : dict of str to tuple of int
        Observable name → shape of one frame's value: ``()`` for the scalars (potential,
        kinetic and conserved energy in eV, temperature in K, volume in Å³, density in g/cm³,
        pressure in bar), ``(3, 3)`` for the pressure tensor (bar), ``(charged_species, 3)``
        for the charge current.
    integrator : dict of str to tuple of int
        Integrator variable → shape (ASE units): none for NVE, the Nosé–Hoover chain for NVT,
        the chains, strain, its momentum and the reference cell and volume for NPT.

    Raises
    ------
    ValueError
        ``ensemble`` is no ensemble's name, or ``charged_species`` no whole number from 0 to
        :data:`ase_electrolyte.build.MAX_ATOMS`.
    """
    # NaN and inf failed in int() without the parameter's name, and 1e308 passed as a whole
    # number and built a stand-in box of that many atoms: at most one species per atom of the
    # largest box the builder packs
    from .build import MAX_ATOMS

    charged_species = check_number("charged_species", charged_species, integer=True, minimum=0,
                                   maximum=MAX_ATOMS)
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator

    from .topology import set_topology

    n = int(charged_species) + 2  # 3(n - 1) degrees of freedom: ASE's chains need 3·k
    box = Atoms(f"H{n}", positions=[[2.0 * i, 0.0, 0.0] for i in range(n)],
                cell=[4.0 * n, 10.0, 10.0], pbc=True)
    charges = [1 if i < charged_species else 0 for i in range(n)]
    set_topology(box, molecule_index=np.arange(n), species=[f"s{i}" for i in range(n)],
                 formal_charge=charges)
    calc = SinglePointCalculator(box, energy=0.0, forces=np.zeros((n, 3)), stress=np.zeros(6))
    if force_spread:
        calc.results["max_forces_std"] = 0.0
    box.calc = calc
    obs = _StepObservables(box, float(box.get_masses().sum()), ask_stress=True)(box)
    integrator = {}
    if ensemble is not None:
        dyn = _new_dynamics(box, ensemble_name(ensemble), 1.0, 300.0, 1.0, 100.0, 1000.0)
        # as run_md: a conserved energy where the integrator has one
        if _conserved_energy(dyn, box) is not None:
            obs["conserved_energy"] = 0.0
        integrator = _integrator_variables(dyn)
    return ({k: np.shape(v) for k, v in obs.items()},
            {k: np.shape(v) for k, v in integrator.items()})


def _restore_integrator(dyn, state, path):
    """Give ``dyn`` the state stored with the frame it resumes from (nothing for a file that
    stores none: an earlier version's, whose chains restart from zero)."""
    if not state:
        return
    expected = _integrator_variables(dyn)
    common = sorted(set(expected) & set(state))
    if any(expected[k].shape != np.shape(state[k]) for k in common):
        # another chain length: an edited file, or another integrator's
        raise ValueError(
            f"{path} stores the integrator state "
            f"{ {k: np.shape(state[k]) for k in common} } (shapes), this run's integrator "
            f"{ {k: expected[k].shape for k in common} }: it cannot be resumed "
            "(overwrite=True starts it afresh)")
    if set(expected) != set(state):
        # another ASE version's integrator: what both know is restored, the rest starts anew
        import warnings

        warnings.warn(
            f"resuming {path}: its frame stores the integrator variables {sorted(state)}, "
            f"this ASE's integrator has {sorted(expected)}; those missing start from zero, so "
            "the resumed run is not the uninterrupted one (the same ensemble)",
            RuntimeWarning, stacklevel=_user_stacklevel())
    for name, (owner, attr) in _INTEGRATOR_VARIABLES.items():
        if name in state and name in expected:
            holder = dyn if owner is None else getattr(dyn, owner)
            value = np.array(state[name], dtype=np.float64)
            setattr(holder, attr, value if value.ndim else float(value))


def _check_stored_temperatures(trajectory, info, atoms, temperature_K, factor, timestep_fs):
    """Refuse to reuse or resume ``trajectory`` when a temperature it records exceeds this
    call's temperature guard (:class:`_Guard`, built for ``atoms`` as the run builds it).

    The guards are not part of a run's settings (a guard that never fired leaves the run
    unchanged), so a file written with ``max_temperature_factor=None`` was reused by a call
    with the default: copper that reached 18 000 K was returned where the same call run afresh
    stopped at 1674 K, step 1. The stored series holds every sample the guard saw on its
    grid (every step by default). ``info``: :func:`_reuse`'s record of the file.
    """
    if factor is None or "temperature" not in info["series"]:
        return
    step, _, temperature = h5md_series(trajectory, "temperature")
    if not len(temperature):
        return
    # an NVE run without a target is guarded by its own start, as run_md guards it
    reference = float(temperature[0]) if temperature_K is None else temperature_K
    guard = _Guard(atoms, reference, factor, None, timestep_fs)
    if guard.t_max is None:
        return
    over = np.flatnonzero(temperature > guard.t_max)
    if over.size:
        first = int(over[0])
        what = "reuse" if info["complete"] else "resume"
        raise ValueError(
            f"{trajectory} holds a run whose temperature reached {temperature[first]:.4g} K at "
            f"step {int(step[first])} ({float(temperature.max()):.4g} K at most), above this "
            f"call's limit of {guard.t_max:.4g} K (max_temperature_factor = {factor:g} × the "
            f"larger of the target and {_GUARD_MIN_REFERENCE_K:g} K), where this run stops as "
            f"unstable: it was written with a looser guard; give that max_temperature_factor "
            f"(or None) to {what} it, or overwrite=True to run it again")


def _md_run_info(ensemble, steps, timestep_fs, temperature_K, pressure_bar, tdamp_fs,
                 pdamp_fs, hydrogen_mass, write_interval, observe_interval, seed, fingerprint):
    """The settings :func:`run_md` records in its file's ``run_info`` (numbers checked by
    :func:`_check_run_numbers`, damping times given their defaults); what a reuse or resume
    compares, here and in :func:`run_protocol`'s check of its stage files."""
    return {
        "ensemble": ensemble,
        "steps": steps,
        "timestep_fs": float(timestep_fs),
        "temperature_K": None if temperature_K is None else float(temperature_K),
        "pressure_bar": float(pressure_bar) if ensemble == "npt" else None,
        "tdamp_fs": float(tdamp_fs) if ensemble != "nve" else None,
        "pdamp_fs": float(pdamp_fs) if ensemble == "npt" else None,
        "hydrogen_mass": None if hydrogen_mass is None else float(hydrogen_mass),
        "write_interval": write_interval,
        "observe_interval": observe_interval,
        "seed": int(seed),
        "calculator": fingerprint,
        # the temperature's and thermostat's count (atoms_temperature_dof): files of versions
        # whose thermostat held 3N record none, and resumed would go on at another temperature
        "temperature_dof": _TEMPERATURE_DOF,
    }


def _kept(writer):
    """``"; <path> keeps N frames up to step S"`` (or ``holds no frame``); ``""`` without file."""
    if writer is None:
        return ""
    if writer.n_frames:
        n = writer.n_frames
        return (f"; {writer.path} keeps {n} frame{'s' if n != 1 else ''} up to step "
                f"{writer.last_step()}")
    # the writer publishes its file with the first frame (H5MDWriter._create_whole)
    return f"; no frame was written, so {writer.path} was not written (nor replaced)"


class _WriterRefused(Exception):
    """The trajectory writer refused a step's data (a ValueError or TypeError of the writer).

    Kept apart from the errors the integrator raises, which run_md reports as an unstable or
    malformed calculation: a refused write is the writer's cause, named as such.
    """

    def __init__(self, step, error):
        super().__init__(step, error)
        self.step = step
        self.error = error


class _Guard:
    """Per-step checks that stop a run before unphysical states are written as data.

    Also of a relaxation (``timestep_fs=None``: non-finite values only), whose NaN forces
    otherwise went through every one of its steps (1195 evaluations for 300 FIRE steps) and
    whose NaN energy or stress was refused by the writer only once it had relaxed.
    """

    def __init__(self, atoms, temperature_K, factor, max_displacement, timestep_fs):
        self.atoms = atoms
        # inside run_protocol its arguments are named, and the stage: the caller sets no
        # run_md keyword there (max_displacement, pdamp_fs, the time step of "the" stage)
        self.stage = _PROTOCOL_STAGE.get()
        self.timestep_fs = timestep_fs
        self.label = "step" if timestep_fs is not None else "relaxation step"
        if self.stage is not None:
            self.label = f"{self.stage.title}, {self.label}"
        self.fallback = (f"{self._time_step()} too long, or the model failed"
                         if timestep_fs is not None else "the model failed on the structure "
                         "the relaxation reached")
        # the run's temperature (_kinetic_temperature), whose constraints are fixed for the run
        self.dof = atoms_temperature_dof(atoms)
        self.com_removed = _com_removed(atoms)
        reference = (temperature_K if temperature_K is not None
                     else _kinetic_temperature(atoms, self.dof, self.com_removed))
        if factor and reference > 0:
            # the instantaneous temperature of f degrees of freedom is chi-square(f)/f times
            # the target: a relaxed N2 at 300 K (f = 6, P(T > 3 T0) = 0.006 per sample) was
            # stopped as unstable at 920 K after 1221 steps of 0.5 fs; the limit is at least
            # that distribution's 1e-12 quantile (11.4 T0 for f = 6, 3.8 for 33, below 3 from
            # 60 on: liquids keep max_temperature_factor)
            from scipy.stats import chi2

            dof = self.dof
            spread = float(chi2.isf(_GUARD_FALSE_ALARM, dof) / dof) if dof > 0 else 1.0
            self.factor = max(factor, spread)
            self.t_max = self.factor * max(reference, _GUARD_MIN_REFERENCE_K)
        else:
            self.factor = self.t_max = None
        self.max_displacement = max_displacement
        self.timestep_fs = timestep_fs
        self.previous = atoms.get_positions()
        self.dyn = None
        self.settings = None
        self.friction = 0.0
        self.strain = 0.0
        self.hottest = 0.0

    def _temperature(self):
        """The instantaneous temperature the run records (:func:`_kinetic_temperature`)."""
        return _kinetic_temperature(self.atoms, self.dof, self.com_removed)

    def _time_step(self):
        """The time step as the caller set it: ``time step 2.0 fs``, inside run_protocol
        ``preequilibration_timestep_fs = 2 fs``."""
        if self.stage is None or self.stage.timestep is None:
            return f"time step {self.timestep_fs} fs"
        # light hydrogen is the protocol's other knob of the fastest motion
        light = ("" if self.stage.hydrogen_mass is None
                 else f" with hydrogen_mass = {self.stage.hydrogen_mass:g} amu")
        return f"{self.stage.timestep} = {self.timestep_fs:g} fs{light}"

    def watch(self, dyn, *, ensemble, temperature_K, pressure_bar, tdamp_fs, pdamp_fs):
        """Follow the thermostat and barostat of ``dyn``: an explosion they caused is blamed
        on their settings, not on the time step (see :meth:`cause`)."""
        self.dyn = dyn
        self.settings = dict(ensemble=ensemble, temperature_K=temperature_K,
                             pressure_bar=pressure_bar, tdamp_fs=tdamp_fs, pdamp_fs=pdamp_fs)

    def _note_couplings(self):
        """The largest finite thermostat friction and barostat strain rate so far, per step."""
        dyn = self.dyn
        if dyn is None:
            return
        temperature = self._temperature()
        if not np.isfinite(temperature) or (self.t_max is not None and temperature > self.t_max):
            # a time step far too long heats the atoms first (EMT copper at 55 fs: 5e5 K at
            # step 2), and a light thermostat's chain answers within the step: not its fault
            return
        self.hottest = max(self.hottest, float(temperature))
        thermostat = getattr(dyn, "_thermostat", None)
        if thermostat is not None:
            rate = abs(thermostat._p_eta[0] / thermostat._Q[0]) * dyn.dt
            if np.isfinite(rate):
                self.friction = max(self.friction, float(rate))
        barostat = getattr(dyn, "_barostat", None)
        if barostat is not None:
            rate = abs(dyn._p_eps / barostat.W) * dyn.dt
            if np.isfinite(rate):
                self.strain = max(self.strain, float(rate))

    def _lost_couplings(self):
        """Which of the thermostat and barostat momenta are no longer finite."""
        dyn = self.dyn
        lost = set()
        for name, owner, attr in (("thermostat", "_thermostat", "_p_eta"),
                                  ("barostat", "_barostat", "_p_xi")):
            value = getattr(getattr(dyn, owner, None), attr, None)
            if value is not None and not np.all(np.isfinite(value)):
                lost.add(name)
        if dyn is not None and not np.isfinite(getattr(dyn, "_p_eps", 0.0)):
            lost.add("barostat")
        return lost

    def cause(self, fallback, finite_forces=False):
        """What made the run explode, naming the setting: the coupling that ran away, a pressure
        in another unit; ``fallback`` (the time step, the model) when neither did.

        Both masses of ASE's Nosé–Hoover chain and MTK barostat are proportional to k_B·T
        (Martyna, Tobias and Klein 1994): at a temperature in another unit (0.001 K) or with a
        time constant of a few steps they are so light that their variables, not the atoms,
        explode; the time step was blamed. In the sound runs measured (EMT copper 0.5–600 K,
        Lennard-Jones argon at 84 K, time constants down to 10 thermostat and 20 barostat
        steps) the friction rescaled the velocities by at most 6 % per step and the box length
        changed by at most 0.9 % per step; in the runs that exploded from their couplings, by
        19–95 % and 15–26 %. With ``finite_forces`` (the step's forces were finite), a coupling
        whose momentum is no longer finite overflowed in its exponential rescaling within one
        step, before any finite reading: it is blamed too.
        """
        s = self.settings
        if s is None:
            return fallback
        lost = self._lost_couplings() if finite_forces else set()
        dt = self.timestep_fs
        temperature = s["temperature_K"]
        reasons = []
        pressure = None
        if s["ensemble"] == "npt" and abs(s["pressure_bar"]) > IMPLAUSIBLE_PRESSURE_BAR:
            # it compresses (or tears) the box over tens of steps, through a sound barostat:
            # named first, with the time step still possible
            pressure = (f"pressure_bar = {s['pressure_bar']:g} bar drove the box (beyond "
                        f"{IMPLAUSIBLE_PRESSURE_BAR:g} bar: is it in Pa? 1 atm = 1.01325 bar)")
        if self.friction > _RUNAWAY_FRICTION or "thermostat" in lost:
            reasons.append(
                "the Nosé–Hoover thermostat ran away (its friction "
                + ("overflowed" if "thermostat" in lost else
                   f"rescaled the velocities by {100 * -np.expm1(-self.friction):.3g} %")
                + f" in one step): its mass, proportional "
                f"to k_B·T·tdamp², is too light at temperature_K = {temperature:g} K with "
                f"{self._coupling('tdamp_fs', s['tdamp_fs'])} for the heat the system held (up "
                f"to {self.hottest:.4g} K); is temperature_K in another unit (k_B·T in eV: 300 K "
                "is 0.02585 eV)? Else "
                + ("lengthen tdamp_fs" if self.stage is None else self._fixed_coupling(
                    "thermostat", "tdamp_fs")))
        if self.strain > _RUNAWAY_STRAIN or "barostat" in lost:
            reasons.append(
                "the MTK barostat ran away (the box length "
                + ("overflowed" if "barostat" in lost else
                   f"changed by {100 * np.expm1(self.strain):.3g} %")
                + " in one step): its mass, proportional to "
                f"k_B·T·pdamp², is too light for this system's stiffness at temperature_K = "
                f"{temperature:g} K with {self._coupling('pdamp_fs', s['pdamp_fs'])}; is "
                "temperature_K in another unit? Else "
                + (self._fixed_coupling("barostat", "pdamp_fs") if self.stage is not None
                   else f"lengthen pdamp_fs (ASE advises 1000 time steps, {1000 * dt:g} fs)"
                   if s["pdamp_fs"] < 1000 * dt else
                   # "lengthen it to ASE's 1000 steps" of a barostat of 1000 steps said nothing
                   "the model's stress or the start drove it; a pdamp_fs beyond ASE's advice "
                   "of 1000 time steps makes the barostat heavier still"))
        if reasons:
            step = ("the time step" if self.stage is None or self.stage.timestep is None
                    else self.stage.timestep)
            return "; ".join(([pressure] if pressure else []) + reasons) + (
                f"; rather than {step} ({dt:g} fs)")
        if pressure:
            return f"{pressure}; else {fallback}"
        return fallback

    def _coupling(self, keyword, value_fs):
        """A time constant as the caller knows it: run_md's keyword, or run_protocol's own
        setting (it takes none)."""
        steps = value_fs / self.timestep_fs
        if self.stage is None:
            return f"{keyword} = {value_fs:g} fs ({steps:.4g} time steps)"
        what = "thermostat" if keyword == "tdamp_fs" else "barostat"
        return (f"run_protocol's {what} time constant of {value_fs:g} fs ({steps:.4g} time steps "
                f"of {self.stage.timestep} = {self.timestep_fs:g} fs, ASE's advice)")

    def _fixed_coupling(self, what, keyword):
        """The advice for a coupling that ran away inside run_protocol, which fixes its time
        constant: what its caller can change (the start's strain, released as heat and
        pressure, through ``relax_fmax``), and where the time constant is set."""
        return (f"the model or the start drove it (a smaller relax_fmax relaxes the start "
                f"further); run_protocol does not take the {what} time constant: run the stage "
                f"with run_md and a longer {keyword}")

    def check(self, step, writer):
        atoms = self.atoms
        where = _kept(writer)
        self._note_couplings()
        positions = atoms.get_positions()
        forces = atoms.get_forces()
        problem = _malformed_forces(forces, len(atoms))
        if problem:
            raise MDInstabilityError(f"{self.label} {step}: {problem}{where}")
        # everything the calculator gave (energy, stress, ...) is recorded or integrated
        for name, value in atoms.calc.results.items():
            try:
                finite = np.all(np.isfinite(value))
            except TypeError:  # not numeric: not ours to judge
                continue
            if not finite:
                raise MDInstabilityError(
                    f"{self.label} {step}: the calculator returned non-finite {name}; the "
                    f"simulation exploded ({self.cause(self.fallback)}){where}"
                )
        # forces first: a model that fails poisons the velocities within the same step
        for name, values in (
            ("forces", forces),
            ("positions", positions),
            ("velocities", atoms.get_velocities()),
            ("cell", atoms.cell.array),
        ):
            bad = ~np.isfinite(values)
            if bad.any():
                rows = np.unique(np.nonzero(bad)[0])[:10].tolist()
                raise MDInstabilityError(
                    f"{self.label} {step}: non-finite {name} (rows {rows}); the simulation "
                    f"exploded ({self.cause(self.fallback, finite_forces=name != 'forces')})"
                    f"{where}"
                )
        # from here on every value is finite: a coupling whose momentum is not overflowed
        # within this step (EMT copper in NPT at 0.001 K: a NaN barostat momentum and an atom
        # thrown 0.9 Å at step 1, blamed on the time step)
        temperature = self._temperature()
        if self.t_max is not None and temperature > self.t_max:
            limit = ("max_temperature_factor × the larger of the target" if self.stage is None
                     else f"run_protocol's limit: {self.factor:g} × the larger of temperature_K")
            if step == 0:
                # no step integrated yet: the start's own velocities, which were blamed on the
                # time step and the model ("the dynamics are unstable")
                nve = bool(self.settings) and self.settings.get("ensemble") == "nve"
                cure = ("the stage before it ended this hot" if self.stage is not None else
                        "give velocities near temperature_K (or none, to draw them), "
                        + ("leave out temperature_K (in NVE the start's temperature is then "
                           "the reference), " if nve else "")
                        + "or raise max_temperature_factor")
                raise MDInstabilityError(
                    f"{self.label} {step}: temperature {temperature:.4g} K exceeds "
                    f"{self.t_max:.4g} K ({limit} and {_GUARD_MIN_REFERENCE_K:g} K) before any "
                    f"step was integrated: the starting velocities are too hot, not the "
                    f"dynamics; {cure}{where}")
            raise MDInstabilityError(
                f"{self.label} {step}: temperature {temperature:.4g} K exceeds "
                f"{self.t_max:.4g} K ({limit} and {_GUARD_MIN_REFERENCE_K:g} K); the dynamics "
                f"are unstable ({self.cause(f'{self._time_step()}, model', True)}){where}"
            )
        if self.max_displacement is not None:
            # minimum image along the periodic directions only (ASE's find_mic): a slab's atom
            # wrapped across its periodic faces did not move, one along its open axis did
            d = positions - self.previous
            jump = np.linalg.norm(d, axis=1)
            # a minimum image is never longer than the plain difference: only the atoms whose
            # plain jump passes the limit are imaged (find_mic of every atom at every step
            # cost about as much as the rest of the check)
            far = np.flatnonzero(jump > self.max_displacement)
            if far.size and atoms.pbc.any():
                from ase.geometry import find_mic

                jump[far] = find_mic(d[far], atoms.cell, atoms.pbc)[1]
            worst = int(np.argmax(jump)) if len(jump) else 0
            if len(jump) and jump[worst] > self.max_displacement:
                limit = (f"limit max_displacement = {self.max_displacement} Å"
                         if self.stage is None
                         else f"run_protocol's limit, {self.max_displacement:g} Å")
                raise MDInstabilityError(
                    f"{self.label} {step}: atom {worst} ({atoms.get_chemical_symbols()[worst]}) "
                    f"moved {jump[worst]:.3g} Å in one step ({limit}); the dynamics are unstable "
                    f"({self.cause(f'{self._time_step()}, model', True)}){where}"
                )
        self.previous = positions


def _malformed_forces(forces, n_atoms):
    """Why ``forces`` cannot be the forces on ``n_atoms`` atoms; ``None`` when they can.

    Integer or boolean forces are refused too: an integer cast truncates every force below
    1 eV/Å to zero, and the run would go on without them. Single precision is accepted (some
    models compute in it).
    """
    if not isinstance(forces, np.ndarray):
        return (
            f"the calculator returned forces as {type(forces).__name__}, not a numpy array of "
            f"shape ({n_atoms}, 3) (eV/Å)"
        )
    array = forces
    if array.shape != (n_atoms, 3) or array.dtype.kind != "f":
        return (
            f"the calculator returned forces of shape {array.shape} and type {array.dtype}, "
            f"not ({n_atoms}, 3) floating-point values (eV/Å)"
        )
    return None


def _density(atoms, mass_amu):
    return mass_amu / atoms.get_volume() / GCM3_TO_AMU_PER_A3


def _set_masses_keep_velocities(atoms, masses):
    # ASE stores momenta: set_masses alone would change the velocities
    v = atoms.get_velocities()
    atoms.set_masses(masses)
    atoms.set_velocities(v)


def _scale_hydrogen(atoms, old_masses, new_masses):
    """Scale velocities so every atom keeps its kinetic energy when its mass changes."""
    v = atoms.get_velocities() * np.sqrt(old_masses / new_masses)[:, None]
    atoms.set_velocities(v)


def _restore_hydrogen(atoms, hydrogen_mass, heavy=None):
    if hydrogen_mass is None:
        return
    from ase.md.velocitydistribution import Stationary

    real = atoms.get_masses()
    if heavy is None:
        heavy = real.copy()
        heavy[atoms.numbers == 1] = hydrogen_mass
    _scale_hydrogen(atoms, heavy, real)
    # the drift the rescaled hydrogens leave is removed where the centre of mass is no degree
    # of freedom; with atoms fixed (FixAtoms, NVE) it is one, and the removal, which a fixed
    # atom cannot take part in, changed every velocity of the returned state (5 % of the
    # largest for 4 methanes with one atom fixed) instead of the hydrogens' alone
    if _com_removed(atoms):
        Stationary(atoms)


@dataclass
class ProtocolResult:
    """What :func:`run_protocol` produced.

    Every reported scalar is an :class:`~ase_electrolyte.estimate.Estimate`: the mean over the
    sampled steps after the equilibration point that :func:`pymbar.timeseries.\
detect_equilibration` finds, its one-sigma error from the statistical inefficiency of the rest
    (:func:`mda_electrolyte.uncertainty.timeseries_mean`), and a verdict: ``"valid"``, or why
    the number is not a result (too short: fewer than 50 independent samples, see
    :func:`mda_electrolyte.uncertainty.equilibrated_series_mean`; not equilibrated: the
    equilibration point lies in the second half of the run, or, for the density, the kept
    samples still drift along a significant linear trend, a barostat still compressing; not
    converged: a slow start-up transient fitted to the whole series still drifts the kept mean
    by more than its error; not a result: a density fixed by the input; time step too long:
    the conserved energy of the stage the number averages drifts "too large", see
    ``energy_drift``, so the average is not converged in the time step).

    Attributes
    ----------
    atoms : ase.Atoms
        Final state of the production run, with the ``calculator`` given to
        :func:`run_protocol` attached (the same object; see :func:`run_md`).
    files : dict
        Stage name → H5MD path (``relaxed``, ``preequilibration``, ``equilibration``,
        ``production``).
    density : Estimate
        g/cm³. Of the NPT production; for an NVT/NVE production, of the last NPT stage (whose
        mean volume the production runs at), as its ``method`` says.
    temperature : Estimate
        Mean temperature of the production, K.
    pressure : Estimate or None
        Mean pressure of the production, bar (kinetic term included); ``None`` when the
        calculator gave no stress.
    density_std : float
        Standard deviation of the sampled densities that ``density`` averages, g/cm³.
    relaxation : Estimate
        The largest force on an atom of the relaxed structure, eV/Å (exact: error 0); not
        valid, saying so, when it is above ``relax_fmax`` (the relaxation's optimizer steps ran
        out; :class:`RelaxationNotConvergedWarning` is issued then). Not among
        :meth:`estimates`: it describes the start of the MD, not a result of it.
    energy_drift : dict
        MD stage name → :class:`~ase_electrolyte.estimate.Estimate` of the drift of its
        integrator's conserved energy, meV/atom/ps (:func:`energy_drift`): "too large" says
        that stage's time step is too long for the model, and makes the averages over that
        stage not valid. A stage file of an earlier version, which holds no conserved energy,
        has a drift "not recorded" (NaN, said). Not among :meth:`estimates`: it judges the
        run, it is no property of the liquid.
    settings : dict
        The settings the stages ran with, by argument name, each an
        :meth:`Estimate.given_value <ase_electrolyte.estimate.Estimate.given_value>` (shown as
        given, never as a measured result): ``temperature_K`` (K), ``pressure_bar`` (bar, only
        when an NPT stage ran: otherwise it acted on nothing), ``relax_fmax`` (eV/Å),
        ``timestep_fs`` and, when that stage ran, ``preequilibration_timestep_fs`` (fs) and
        ``hydrogen_mass`` (amu; only where hydrogen moved, at the mass that stage gave it), and
        each MD stage's length as run, in whole steps (``preequilibration_ps``,
        ``equilibration_ps``, ``production_ps``: ps; the production rounded to whole frame
        intervals). Serialise with :meth:`settings_record`. Not among :meth:`estimates`.
    density_sem, density_verdict
        Aliases of ``density.stderr`` and ``density.verdict`` (earlier versions' attributes).
    """

    atoms: object
    files: dict = field(default_factory=dict)
    density: Estimate = None
    temperature: Estimate = None
    pressure: Estimate = None
    density_std: float = float("nan")
    relaxation: Estimate = None
    energy_drift: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def settings_record(self):
        """:attr:`settings` as a run record holds them (``simulation.json``): name →
        :meth:`Estimate.to_dict <ase_electrolyte.estimate.Estimate.to_dict>`, each marked
        given (``"given": true``, method ``"given (run_protocol(temperature_K=))"``), so that a
        reader tells a setting from a measured number."""
        from .estimate import estimates_to_dict

        return estimates_to_dict(dict(self.settings))

    @property
    def density_sem(self):
        """Alias of ``density.stderr`` (g/cm³)."""
        return float("nan") if self.density is None else self.density.stderr

    @property
    def density_verdict(self):
        """Alias of ``density.verdict``."""
        return "not computed" if self.density is None else self.density.verdict

    def density_record(self):
        """The flat density fields of a run record (``simulation.json`` of ``electrolyte
        simulate``, a screening task's record): ``density_g_cm3``, ``density_sem_g_cm3``,
        ``density_std_g_cm3`` (g/cm³) and ``density_verdict``.

        Earlier versions' readers take the numbers as bare results, so they hold a number
        only when ``density`` is valid and ``None`` otherwise (a too-short run's density, an
        NVT run's fixed one); the :class:`~ase_electrolyte.estimate.Estimate` written beside
        them keeps the number with its verdict.
        """
        from .estimate import json_number

        valid = self.density is not None and self.density.valid
        return {
            "density_g_cm3": json_number(self.density.value) if valid else None,
            "density_sem_g_cm3": json_number(self.density_sem) if valid else None,
            "density_std_g_cm3": json_number(self.density_std) if valid else None,
            "density_verdict": self.density_verdict,
        }

    def estimates(self):
        """The reported numbers by name: ``density``, ``temperature``, ``pressure``.

        Serialise with :func:`ase_electrolyte.estimate.estimates_to_dict`.
        """
        out = {"density": self.density, "temperature": self.temperature}
        if self.pressure is not None:
            out["pressure"] = self.pressure
        return out


def run_protocol(
    atoms,
    calculator,
    outdir,
    *,
    temperature_K,
    pressure_bar=ONE_ATM_BAR,
    relax_fmax=2.0,
    preequilibration_ps=1000.0,
    equilibration_ps=200.0,
    production_ps=200.0,
    production_ensemble="npt",
    preequilibration_timestep_fs=2.0,
    timestep_fs=1.0,
    hydrogen_mass=_PROTOCOL_HYDROGEN_MASS,
    write_interval_fs=100.0,
    observe_interval_fs=10.0,
    seed=0,
    progress=True,
    overwrite=False,
):
    """The protocol of Ju et al. (2025) in one call: relax, heavy-H NPT, equilibration, production.

    Parameters
    ----------
    atoms : ase.Atoms
        Starting box (e.g. from :func:`ase_electrolyte.electrolyte_box`); not modified. Its
        velocities are not used (a warning says so when it has any): the relaxation starts at
        rest and the first MD stage draws them (Maxwell–Boltzmann at ``temperature_K``, seeded
        by ``seed``; its file records both, and a reuse or resume compares its first frame's
        velocities with that draw), so a run with and without them is the same run.
    calculator : ase.calculators.calculator.Calculator
        E.g. ``ase_electrolyte.Calculator("sevennet-0", dispersion="d3-bj")``; must give stress
        for NPT.
    outdir : str or os.PathLike
        Receives ``relaxed.h5md``, ``preequilibration.h5md``, ``equilibration.h5md``,
        ``production.h5md``. Calling again with the same folder resumes an interrupted run;
        calling while another run writes the folder raises (one run per folder).
    temperature_K : float
        K (Ju et al. 2025: 298 K; 313 K for EC and FEC; 293 K for DME and DEE).
    pressure_bar : float
        NPT pressure, bar (1 atm); another value is refused when no NPT stage runs (it would
        have no effect), as ``preequilibration_timestep_fs`` and ``hydrogen_mass`` other than
        their defaults are when ``preequilibration_ps`` is 0.
    relax_fmax : float
        Loose relaxation threshold, eV/Å (from :data:`MIN_RELAX_FMAX` to
        :data:`MAX_RELAX_FMAX`, as :func:`relax`).
    preequilibration_ps, equilibration_ps, production_ps : float
        Stage lengths in ps (Ju et al. 2025: 1000, 200, 200); a zero length skips the
        pre-equilibration or the equilibration. The production cannot be skipped (the
        results and the trajectory are its): at least one frame interval.
    production_ensemble : {"npt", "nvt", "nve"}
        NPT for densities (Ju et al. 2025); NVT (or NVE) for transport, run at the mean volume
        of the last NPT stage after its detected equilibration (pymbar). The production stage
        records its observables (charge current, pressure tensor) at every step.
    preequilibration_timestep_fs, timestep_fs : float
        2 fs with heavy hydrogen, then 1 fs.
    hydrogen_mass : float or None
        amu of the hydrogen atoms during pre-equilibration (tritium, 3 amu); None for the real
        masses. A box without hydrogen runs the stage at its real masses with the default
        (and records none), and refuses another value, which would have no effect; so does a
        ``preequilibration_ps`` of 0.
    write_interval_fs : float
        Time between frames, fs.
    observe_interval_fs : float
        Time between density/energy/pressure samples of the pre-equilibration and
        equilibration, fs (Ju et al. 2025: 10 fs). The production records every step, whatever
        this is: Green–Kubo needs the currents at every step. So an interval longer than
        a step (other than the default) is refused when neither of those stages runs: it
        would have no effect; and one longer than a stage that runs, which would sample its
        first step alone.
    seed : int
        Seeds the initial velocities.
    progress : bool
        Progress bars.
    overwrite : bool
        Recompute every stage even if ``outdir`` holds finished ones (which are otherwise
        reused only when their settings, calculator and start match, else an error is raised).

    Returns
    -------
    ProtocolResult

    Raises
    ------
    ValueError
        Bad arguments (checked before any model evaluation, see
        :func:`check_protocol_arguments`), or stage files of another run in ``outdir``: every
        existing stage file is compared before the first stage runs with the settings,
        calculator and system (elements, masses, topology, constraints, the inputs a calculator
        reads from the Atoms such as ``initial_charges`` or ``info["charge"]``; the
        relaxation's input structure,
        the first MD stage's cell and drawn velocities) of this call, and the message names
        the stage and what differs. So is a stage file that does not continue the stage before
        it (the message names both): one whose start differs from the last frame of the
        complete file before it (positions, velocities, cell), or any later file beside an
        unfinished stage (a stage starts only once the one before it is complete). Where the
        file before it is missing, that stage is recomputed and the later file is judged by its
        stage (a deterministic run reproduces it). So is the file of a stage this call skips
        (``equilibration_ps=0`` beside an earlier run's ``equilibration.h5md``), which
        ``overwrite=True`` removes instead (an HDF5 file only; never a folder or other file),
        and a later stage file of a run without a stage this call runs (one that continues
        the stage before the missing file directly).
    ConcurrentWriterError
        Another process or thread is running into ``outdir`` (or writing one of its stage
        files); raised before any evaluation, ``outdir`` is left to that run.
    MDInstabilityError, OSError
        As :func:`run_md`; the message names the stage (``run_protocol's preequilibration
        stage, step 12: ...``) and the protocol's arguments (``preequilibration_timestep_fs``,
        ``relax_fmax``), and says which settings run_protocol fixes (the thermostat and
        barostat time constants, 100 and 1000 time steps; the guards' limits, those of
        :func:`run_md`'s defaults). So do a stage's note on an interruption and
        :class:`RelaxationNotConvergedWarning`.

    Warns
    -----
    UserWarning
        ``atoms`` carries velocities (they are not used, see ``atoms``), or no topology arrays;
        and those of :func:`check_protocol_arguments`.
    """
    production_ensemble = ensemble_name(production_ensemble, "production_ensemble")
    arguments = dict(
        temperature_K=temperature_K,
        pressure_bar=pressure_bar,
        relax_fmax=relax_fmax,
        preequilibration_ps=preequilibration_ps,
        equilibration_ps=equilibration_ps,
        production_ps=production_ps,
        production_ensemble=production_ensemble,
        preequilibration_timestep_fs=preequilibration_timestep_fs,
        timestep_fs=timestep_fs,
        hydrogen_mass=hydrogen_mass,
        write_interval_fs=write_interval_fs,
        observe_interval_fs=observe_interval_fs,
    )
    if _PROTOCOL_ARGUMENTS_SAID.get() == _arguments_key(arguments):
        # checked just before with the same arguments (the electrolyte command does, before
        # packing a box): its warnings were said, under the caller's option names; a second
        # time each unit doubt came twice
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_protocol_arguments(**arguments, atoms=atoms)
    else:
        check_protocol_arguments(**arguments, atoms=atoms)
    # used once: a later run_protocol with the same arguments warns again
    _PROTOCOL_ARGUMENTS_SAID.set(None)
    check_number("seed", seed, integer=True, minimum=0)
    check_flag("progress", progress)
    check_flag("overwrite", overwrite)
    if calculator is None:
        raise ValueError(
            "calculator is None; give an ASE calculator (e.g. ase_electrolyte.Calculator)"
        )
    _check_model(calculator, "calculator")
    probe = atoms.copy()
    probe.calc = calculator
    _check_start(probe, None, overwrite)
    thermostatted = production_ensemble != "nve" or preequilibration_ps > 0 or equilibration_ps > 0
    _check_constraints(
        atoms, "npt" if thermostatted else "nve", what="run_protocol's MD",
        instead="run NVE alone (production_ensemble='nve', preequilibration_ps=0, "
        "equilibration_ps=0: the production at the input density)")
    if not atoms.pbc.all():
        raise ValueError("the protocol needs a 3D-periodic box")
    if hydrogen_mass is not None and not _moving_hydrogen(atoms).any():
        # the default mass (the only one check_protocol_arguments lets through here) acts on
        # no atom: the stage runs, and records, the real masses that it integrates
        hydrogen_mass = None
    if preequilibration_ps > 0 or equilibration_ps > 0 or production_ensemble == "npt":
        _check_stress(calculator, "run_protocol's NPT stages (pre-equilibration, "
                      "equilibration, an NPT production)",
                      instead="skip them (preequilibration_ps=0, equilibration_ps=0, "
                      "production_ensemble='nvt' or 'nve': the production at the input density)")
    if Path(outdir).exists() and not Path(outdir).is_dir():
        raise ValueError(f"outdir {outdir}: a file of that name exists; give a folder")
    check_output_path(outdir, "outdir", folder=True)
    if get_topology(atoms) is None:
        # not fatal: the bridge can guess molecules, but say so early
        import warnings

        warnings.warn(
            "atoms carries no molecule/species/charge arrays; "
            "analyses will guess molecules from bonds",
            stacklevel=_user_stacklevel(),
        )
    if np.any(atoms.get_momenta()):
        import warnings

        # the protocol's start is the papers' (a relaxed structure at rest, then a seeded
        # draw), whatever the input carries: a user who set momenta is told, not ignored
        warnings.warn(
            f"run_protocol: the velocities of atoms (kinetic energy "
            f"{atoms.get_kinetic_energy():.4g} eV) are not used: the protocol relaxes the "
            "structure at rest and its first MD stage draws Maxwell–Boltzmann velocities at "
            f"temperature_K = {temperature_K:g} K with seed = {seed} (Ju et al. 2025); to "
            "continue from given velocities call run_md", stacklevel=_user_stacklevel(),
        )
    # the stages and the result name their files from here on, whatever the process' folder is
    outdir = _absolute(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with WriterLock(outdir, "run folder"), terminate_as_interrupt():
        # every stage file that will be written, before the first stage: a folder, someone's
        # notes or a damaged file under a later stage's name was refused only once the stages
        # before it had run (a relaxation and 1.2 ns of MD in Ju et al. 2025's protocol)
        plan = protocol_steps(
            preequilibration_ps=preequilibration_ps, equilibration_ps=equilibration_ps,
            production_ps=production_ps,
            preequilibration_timestep_fs=preequilibration_timestep_fs, timestep_fs=timestep_fs,
            write_interval_fs=write_interval_fs, observe_interval_fs=observe_interval_fs,
        )
        runs = _stage_run_infos(plan, calculator, atoms, temperature_K=temperature_K,
                                pressure_bar=pressure_bar, relax_fmax=relax_fmax,
                                hydrogen_mass=hydrogen_mass,
                                production_ensemble=production_ensemble, seed=seed)
        for name in runs:
            _check_trajectory_path(outdir / f"{name}.h5md", overwrite)
        _clear_skipped_stages(outdir, runs, arguments, overwrite)
        if not overwrite:
            _check_stage_files(atoms, outdir, runs)
        try:
            return _protocol_stages(
                atoms, calculator, outdir, temperature_K=temperature_K,
                pressure_bar=pressure_bar, relax_fmax=relax_fmax,
                preequilibration_ps=preequilibration_ps, equilibration_ps=equilibration_ps,
                production_ps=production_ps, production_ensemble=production_ensemble,
                preequilibration_timestep_fs=preequilibration_timestep_fs,
                timestep_fs=timestep_fs, hydrogen_mass=hydrogen_mass,
                write_interval_fs=write_interval_fs, observe_interval_fs=observe_interval_fs,
                seed=seed, progress=progress, overwrite=overwrite,
            )
        except KeyboardInterrupt as err:
            done = [f"{name}.h5md" for name in _STAGE_FILES
                    if _finished(outdir / f"{name}.h5md")]
            what = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
            err.add_note(
                f"run_protocol: {what}; finished stage files in {outdir}: "
                f"{', '.join(done) or 'none'}; the same call (overwrite=False) reuses them and "
                "resumes the stage that was running"
            )
            raise


def _stage_run_infos(plan, calculator, atoms, *, temperature_K, pressure_bar, relax_fmax,
                     hydrogen_mass, production_ensemble, seed):
    """Stage name → the ``run_info`` its call of :func:`relax` or :func:`run_md` will record,
    for the stages that run (in their order); built as those calls build it."""
    fingerprint = calculator_fingerprint(calculator)
    runs = {"relaxed": _with_constraints(_relax_run_info(
        _check_relax_fmax("relax_fmax", relax_fmax), _RELAX_STEPS, fingerprint),
        atoms)}
    for name, ensemble, h_mass in (("preequilibration", "npt", hydrogen_mass),
                                   ("equilibration", "npt", None),
                                   ("production", production_ensemble, None)):
        steps = plan[name]
        if steps.steps == 0:
            continue
        numbers = _check_run_numbers(
            ensemble, steps.steps, steps.timestep_fs, temperature_K,
            pressure_bar if ensemble == "npt" else None, None, None,
            h_mass, None, None, steps.write_interval, steps.observe_interval, seed)
        (n, dt, temperature, pressure, _, _, h_mass, _, _, write, observe, seed_) = numbers
        # every stage starts from the caller's constraints (copied from stage to stage)
        runs[name] = _with_constraints(
            _md_run_info(ensemble, n, dt, temperature, pressure, _PROTOCOL_TDAMP_STEPS * dt,
                         _PROTOCOL_PDAMP_STEPS * dt, h_mass, write, observe, seed_, fingerprint),
            atoms)
    return runs


def _shown(value, unit=""):
    """A stored or given setting in a message: a number by ``:g`` with ``unit``, else its
    ``repr`` (cut at 60 characters)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}{' ' + unit if unit else ''}"
    return f"{value!r:.60}"


def _paths_differing(stored, now):
    """The keys (``parameters['epsilon']``) in which two JSON records differ, each once (the
    paths of :func:`_leaves_differing`)."""
    return [path for path, _, _ in _leaves_differing(stored, now)]


def _stage_differences(name, stored, now):
    """The settings in which a stage file (its ``run_info``, ``stored``) is not the stage of
    this :func:`run_protocol` call (``now``), named by the protocol's arguments, with both
    values: ``['preequilibration_ps']: preequilibration_ps stored 0.05 ps (10 steps of 5 fs),
    now 0.1 ps (20 steps of 5 fs)``; ``""`` when they are the same.

    The files record run_md's settings (``steps``, ``write_interval``, ``tdamp_fs``), which a
    protocol's caller never gives: a longer pre-equilibration was refused as "settings differ in
    ['steps']", and another production ensemble as "['ensemble', 'pdamp_fs', 'pressure_bar']".
    """
    stored, now = physics_record(stored), physics_record(now)
    differ = {k for k in set(stored) | set(now) if stored.get(k) != now.get(k)}
    if not differ:
        return ""
    timestep = "preequilibration_timestep_fs" if name == "preequilibration" else "timestep_fs"

    def dt(info):
        value = info.get("timestep_fs")
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
        return float(value) if ok else None

    def steps_of(info, key, scale=1.0, unit="fs"):
        """``key``'s steps as a length (``scale`` fs per ``unit``) and as text, or its value."""
        n, step = info.get(key), dt(info)
        if not isinstance(n, int) or isinstance(n, bool) or step is None:
            return None, _shown(n)
        length = n * step / scale
        return length, f"{length:g} {unit} ({n} step{'s' if n != 1 else ''} of {step:g} fs)"

    names, details = [], []

    def add(argument, old, new):
        names.append(argument)
        details.append(f"{argument} stored {old}, now {new}")

    def in_steps(argument, key, scale=1.0, unit="fs"):
        old, old_text = steps_of(stored, key, scale, unit)
        new, new_text = steps_of(now, key, scale, unit)
        # the same length in another time step: the time step alone is named
        if old is None or new is None or not np.isclose(old, new, rtol=1e-9, atol=0):
            add(argument, old_text, new_text)

    if "ensemble" in differ:
        if name == "production":
            add("production_ensemble", _shown(stored.get("ensemble")), _shown(now.get("ensemble")))
        else:
            add("ensemble", _shown(stored.get("ensemble")),
                f"{now.get('ensemble')!r} (run_protocol's {name} stage)")
        # the barostat's and thermostat's settings come and go with the ensemble
        differ -= {"pressure_bar", "pdamp_fs", "tdamp_fs"}
    if "timestep_fs" in differ:
        add(timestep, _shown(stored.get("timestep_fs"), "fs"), _shown(now.get("timestep_fs"), "fs"))
    if "steps" in differ:
        if name == "relaxed":
            add("steps", f"{_shown(stored.get('steps'))} optimizer steps",
                f"run_protocol's {now.get('steps')}")
        else:
            in_steps(f"{name}_ps", "steps", 1000.0, "ps")
    if "write_interval" in differ:
        in_steps("write_interval_fs", "write_interval")
    if "observe_interval" in differ:
        in_steps("observe_interval_fs", "observe_interval")
    for key, steps in (("tdamp_fs", _PROTOCOL_TDAMP_STEPS), ("pdamp_fs", _PROTOCOL_PDAMP_STEPS)):
        old, step = stored.get(key), dt(stored)
        if key in differ and not (step is not None and isinstance(old, (int, float))
                                  and np.isclose(old, steps * step, rtol=1e-9, atol=0)):
            # not run_protocol's number of the file's own time steps: run_md wrote it
            add(key, _shown(old, "fs"), f"{_shown(now.get(key), 'fs')} (run_protocol's "
                f"{steps} time steps)")
    for key, argument, unit in (("fmax", "relax_fmax", "eV/Å"), ("temperature_K", None, "K"),
                                ("pressure_bar", None, "bar"), ("hydrogen_mass", None, "amu"),
                                ("seed", None, "")):
        if key in differ:
            add(argument or key, _shown(stored.get(key), unit), _shown(now.get(key), unit))
    if "calculator" in differ:
        paths = _paths_differing(stored.get("calculator"), now.get("calculator"))
        more = f" and {len(paths) - 4} more" if len(paths) > 4 else ""
        names.append("calculator")
        details.append(f"calculator in {', '.join(paths[:4])}{more} (stored "
                       f"{_shown(stored.get('calculator'))}, now {_shown(now.get('calculator'))})")
    if "constraints" in differ:
        def classes(info):
            listed = info.get("constraints") or []
            return [c.get("name", c.get("class")) if isinstance(c, dict) else c
                    for c in listed] if listed else "none"
        add("constraints", classes(stored), classes(now))
    if "atoms_inputs" in differ:
        keys = _paths_differing(stored.get("atoms_inputs") or {}, now.get("atoms_inputs") or {})
        names.append("atoms_inputs")
        details.append(f"the calculator's inputs of atoms differ in {', '.join(keys)}")
    if "temperature_dof" in differ:
        names.append("temperature_dof")
        details.append(_dof_change(stored, now))
    said = {"ensemble", "timestep_fs", "steps", "write_interval", "observe_interval",
            "tdamp_fs", "pdamp_fs", "fmax", "temperature_K", "pressure_bar", "hydrogen_mass",
            "seed", "calculator", "constraints", "atoms_inputs", "temperature_dof"}
    for key in sorted(differ - said, key=str):
        add(key, _shown(stored.get(key)), _shown(now.get(key)))
    if not names:
        return ""
    return f"{names}: {'; '.join(details)}"


def _clear_skipped_stages(outdir, runs, arguments, overwrite):
    """Refuse (or, with ``overwrite``, remove) the file of a stage this run skips.

    A rerun with ``equilibration_ps=0`` in a folder whose earlier run had an equilibration
    left that run's ``equilibration.h5md`` beside the new stages: the folder then held a stage
    of another run under this run's name, which ``electrolyte screen``'s record of the kept
    trajectories listed, and a reader of the folder took for this run's equilibration.
    ``overwrite=True`` recomputes every stage, so the file of a skipped one goes with it; a
    file that is not HDF5 (someone's notes) or a folder is never removed.
    """
    import h5py

    for name in _STAGE_FILES:
        path = outdir / f"{name}.h5md"
        if name in runs or not (path.exists() or path.is_symlink()):
            continue
        length = f"{name}_ps = {arguments[f'{name}_ps']:g}"
        removable = path.is_file() and not path.is_symlink() and (
            path.stat().st_size == 0 or h5py.is_hdf5(path))
        if overwrite and removable:
            path.unlink()
            continue
        cure = ("move it away or choose another folder" if overwrite else
                "remove it, choose another folder, or pass overwrite=True (which removes it)")
        raise ValueError(
            f"run_protocol: {path} is the {name} stage of an earlier run, and this run skips "
            f"that stage ({length}): left beside this run's stages it would be taken for one "
            f"of them; refused before the first stage runs; {cure}")


def _check_stage_files(atoms, outdir, runs):
    """Refuse, before the first stage, every stage file of ``outdir`` that its stage would
    refuse (a damaged file, other settings, another calculator, another system).

    Each stage checked its own file only once the stages before it had run: a file of another
    temperature, seed or model under ``production.h5md`` was refused after the relaxation and
    every MD stage before it. What a stage's start will be is known here for the relaxation
    (the input structure) and, up to its positions, for the first MD stage (the input cell,
    velocities drawn with this seed); for the later ones the system (elements, masses,
    periodicity, topology) and the settings.
    """
    first_md = True
    reads = {}
    for name, run_info in runs.items():
        path = outdir / f"{name}.h5md"
        read = reads[name] = _read_for_reuse(path)
        if read is not None and read[0]["n_frames"]:
            start = atoms.copy()
            if name != "relaxed":
                start.set_velocities(np.zeros((len(start), 3)))  # the relaxation's are zero
            info = read[0]
            differences = (
                _stage_differences(name, info["run_info"], run_info)
                if info["n_atoms"] == len(atoms) and isinstance(info["run_info"], dict)
                and physics_record(info["run_info"]) != physics_record(run_info) else "")
            why = f"its settings differ in {differences}" if differences else _other_run(
                *read, run_info, start, path, positions=name == "relaxed",
                cell=name == "relaxed" or first_md, velocities=first_md)
            if why:
                raise ValueError(
                    f"run_protocol's {name} stage: {path} was written by a different run: "
                    f"{why}; refused before the first stage runs; remove it, choose another "
                    "folder or pass overwrite=True to recompute"
                )
        if name != "relaxed":
            first_md = False
    _check_stage_chain(atoms, outdir, runs, reads)


def _check_stage_chain(atoms, outdir, runs, reads):
    """Refuse, before the first stage, a stage file that does not continue the stage before it.

    ``reads``: each stage's ``_read_for_reuse`` (``None`` for no file). A stage starts from the
    last frame of the stage before it (the relaxation's at rest, its velocities drawn; heavy
    hydrogen's velocities scaled back; an NVT or NVE production at the mean volume of the NPT
    run before it). Where that stage's file is complete, this start is read from it and
    compared as the stage itself would (positions, velocities, cell): a broken chain was met
    only once the stage was reached. Where that stage's file is unfinished, a later file is
    stale: the protocol starts a stage only once the one before it is complete (an
    ``overwrite=True`` run stopped part-way leaves the old later files), and the resume of the
    unfinished stage (up to 1 ns in Ju et al. 2025's protocol) ended in the refusal. A missing
    earlier file is left to its stage: it is recomputed, and a deterministic run reproduces it.
    """
    def ended(stage):
        # complete, or holding its last step (a SIGTERM after it: the stage closes it unchanged)
        info = reads[stage][0]
        return info["complete"] or info["last_step"] >= runs[stage].get("steps", 0)

    names = list(runs)
    for i, name in enumerate(names[1:], start=1):
        read = reads[name]
        if read is None or not read[0]["n_frames"]:
            continue
        path = outdir / f"{name}.h5md"
        for before in names[:i]:
            held = reads[before]
            if held is not None and held[0]["n_frames"] and not ended(before):
                raise ValueError(
                    f"run_protocol's {name} stage: {path} holds a run, but the {before} stage "
                    f"before it is unfinished ({outdir / f'{before}.h5md'}: "
                    f"{held[0]['n_frames']} frames up to step {held[0]['last_step']} of "
                    f"{runs[before]['steps']}), and a stage starts only once the one before "
                    f"it is complete: {name}.h5md is left from another run; refused before "
                    "the first stage "
                    f"runs; remove it (the {before} stage then resumes), or pass overwrite=True "
                    "to recompute"
                )
        previous = names[i - 1]
        held = reads[previous]
        if held is None or not held[0]["n_frames"]:
            _check_not_of_fewer_stages(atoms, outdir, runs, reads, names[:i], name)
            continue
        previous_path = outdir / f"{previous}.h5md"
        start = _chain_start(atoms, outdir, runs, previous, name)
        why = _other_start(read[1], start, runs[name], path)
        if why:
            raise ValueError(
                f"run_protocol's {name} stage: {path} does not continue the {previous} stage "
                f"({previous_path}, last frame at step {held[0]['last_step']}): {why}; refused "
                "before the first stage runs; remove it, choose another folder or pass "
                "overwrite=True to recompute"
            )


def _chain_start(atoms, outdir, runs, previous, name):
    """The start of stage ``name`` when it follows stage ``previous`` (whose file holds its
    last frame): the relaxation's at rest (the stage draws its velocities), heavy hydrogen's
    velocities scaled back, an NVT or NVE production at the NPT stage's mean volume."""
    previous_path = outdir / f"{previous}.h5md"
    start = _stored_state(atoms, read_h5md(previous_path, -1))
    if previous == "relaxed":
        start.set_velocities(np.zeros((len(start), 3)))
    else:
        _restore_hydrogen(start, runs[previous].get("hydrogen_mass"))
        if name == "production" and runs[name]["ensemble"] != "npt":
            start = _at_mean_volume(start, previous_path)
    return start


def _check_not_of_fewer_stages(atoms, outdir, runs, reads, before, name):
    """Refuse a stage file that continues an earlier stage directly, over the stages between
    them whose files are missing: it was written by a run without those stages.

    A run with ``equilibration_ps=0`` left a production that starts from the
    pre-equilibration's end; a rerun with an equilibration in the same folder ran the whole
    equilibration, then its production stage refused that file ("started in another cell").
    A missing file alone is not refused (a deterministic run reproduces a deleted stage): only
    a start that the stages between would have moved on from.
    """
    held = [stage for stage in before if reads[stage] is not None and reads[stage][0]["n_frames"]]
    if not held:
        return
    earlier = held[-1]
    skipped = before[before.index(earlier) + 1:]
    path = outdir / f"{name}.h5md"
    start = _chain_start(atoms, outdir, runs, earlier, name)
    if _other_start(reads[name][1], start, runs[name], path):
        return
    lengths = ", ".join(f"{stage}_ps = 0" for stage in skipped)
    raise ValueError(
        f"run_protocol's {name} stage: {path} continues the {earlier} stage "
        f"({outdir / f'{earlier}.h5md'}) directly: it was written by a run without the "
        f"{' and '.join(skipped)} stage{'s' * (len(skipped) > 1)} ({lengths}), and this run's "
        f"{name} starts where its {skipped[-1]} stage ends; refused before the first stage "
        "runs; remove it, choose another folder or pass overwrite=True to recompute")


def _finished(path):
    """Whether ``path`` is a trajectory that its run closed as complete."""
    try:
        return h5md_info(path)["complete"]
    except (OSError, KeyError, ValueError):
        return False


def _protocol_stages(atoms, calculator, outdir, *, temperature_K, pressure_bar, relax_fmax,
                     preequilibration_ps, equilibration_ps, production_ps, production_ensemble,
                     preequilibration_timestep_fs, timestep_fs, hydrogen_mass,
                     write_interval_fs, observe_interval_fs, seed, progress, overwrite):
    """run_protocol's stages, once its arguments are checked and its folder claimed."""
    files = {}
    work = _copy_of(atoms)
    work.calc = calculator

    files["relaxed"] = outdir / "relaxed.h5md"
    with _in_protocol_stage(_ProtocolStage("relaxed")):
        state = relax(
            work, fmax=relax_fmax, steps=_RELAX_STEPS, trajectory=files["relaxed"],
            overwrite=overwrite, progress=progress,
        )
    relaxation = _relaxation_estimate(state, relax_fmax)
    plan = protocol_steps(
        preequilibration_ps=preequilibration_ps, equilibration_ps=equilibration_ps,
        production_ps=production_ps, preequilibration_timestep_fs=preequilibration_timestep_fs,
        timestep_fs=timestep_fs, write_interval_fs=write_interval_fs,
        observe_interval_fs=observe_interval_fs,
    )

    def stage(name, ensemble, h_mass):
        nonlocal state
        if plan[name].steps == 0:  # a zero length skips the stage
            return
        # a SIGTERM dropped since the last stage's last step (its file's closing, the mean
        # volume's detection): no stage starts, not even its first model evaluation
        _raise_if_terminated()
        files[name] = outdir / f"{name}.h5md"
        timestep = ("preequilibration_timestep_fs" if name == "preequilibration"
                    else "timestep_fs")
        light = h_mass if h_mass is not None and np.any(state.numbers == 1) else None
        with _protocol_has_warned(), _in_protocol_stage(_ProtocolStage(name, timestep, light)):
            state = run_md(
                state,
                ensemble=ensemble,
                steps=plan[name].steps,
                timestep_fs=plan[name].timestep_fs,
                temperature_K=temperature_K,
                # only the couplings the ensemble has (run_md refuses the others)
                pressure_bar=pressure_bar if ensemble == "npt" else None,
                tdamp_fs=(_PROTOCOL_TDAMP_STEPS * plan[name].timestep_fs
                          if ensemble != "nve" else None),
                pdamp_fs=(_PROTOCOL_PDAMP_STEPS * plan[name].timestep_fs
                          if ensemble == "npt" else None),
                hydrogen_mass=h_mass,
                trajectory=files[name],
                write_interval=plan[name].write_interval,
                observe_interval=plan[name].observe_interval,
                seed=seed,
                progress=progress,
                description=name,
                overwrite=overwrite,
            )

    stage("preequilibration", "npt", hydrogen_mass)
    stage("equilibration", "npt", None)
    if production_ensemble != "npt":
        # transport runs in NVT at the mean density of the equilibrated NPT run (Ju et al. 2025)
        state = _at_mean_volume(
            state, files.get("equilibration") or files.get("preequilibration")
        )
    stage("production", production_ensemble, None)
    # the estimates detect equilibration over every sample (seconds to minutes): not after
    # SIGTERM; the stage files are complete and the same call reuses them
    _raise_if_terminated()

    production = files["production"]
    if production_ensemble == "npt":
        # a barostat still compressing drifts the mean through the kept samples: the
        # density says "not equilibrated: drifting" then, not valid (trend test)
        density, rho = _stage_estimate(production, "density", "g/cm^3", "production (NPT)",
                                       trend=True)
    else:
        npt = [n for n in ("equilibration", "preequilibration") if n in files]
        if npt:
            density, rho = _stage_estimate(
                files[npt[0]], "density", "g/cm^3",
                f"{npt[0]} (NPT; the {production_ensemble.upper()} production runs at its mean "
                "volume)", trend=True,
            )
        else:
            rho = h5md_series(production, "density")[2]
            density = Estimate.invalid(
                float(rho[0]), float("nan"), "g/cm^3", METHODS["none"],
                f"not a result: no NPT stage; the {production_ensemble.upper()} production "
                "keeps the input density",
            )
    temperature, _ = _stage_estimate(production, "temperature", "K", "production")
    pressure = None
    if "pressure" in h5md_info(production)["series"]:
        pressure, _ = _stage_estimate(production, "pressure", "bar", "production")
    # a stage file of an earlier version holds no conserved energy: its drift is "not
    # recorded", said, rather than left out (or made up)
    drifts = {name: energy_drift(path) if _records_conserved(path) else _no_drift("", path)
              for name, path in files.items() if name != "relaxed"}
    density_stage = "production" if production_ensemble == "npt" else (npt[0] if npt else None)
    density = _judged_by_drift(density, density_stage, drifts)
    temperature = _judged_by_drift(temperature, "production", drifts)
    pressure = _judged_by_drift(pressure, "production", drifts)
    return ProtocolResult(
        atoms=state,
        files=files,
        density=density,
        temperature=temperature,
        pressure=pressure,
        density_std=float(np.std(rho)),
        relaxation=relaxation,
        energy_drift=drifts,
        settings=_protocol_settings(plan, files, temperature_K=temperature_K,
                                    pressure_bar=pressure_bar, relax_fmax=relax_fmax,
                                    production_ensemble=production_ensemble,
                                    hydrogen_mass=hydrogen_mass),
    )


def _protocol_settings(plan, files, *, temperature_K, pressure_bar, relax_fmax,
                       production_ensemble, hydrogen_mass=None):
    """:attr:`ProtocolResult.settings`: the settings that acted, as given values, the stage
    lengths those of the steps run (``plan``, :func:`protocol_steps`); ``files`` names the
    stages that ran; ``hydrogen_mass`` (amu) is the pre-equilibration's, ``None`` where no
    hydrogen moves (the stage ran the real masses)."""
    def given(name, value, unit):
        return Estimate.given_value(float(value), unit, source=f"run_protocol({name}=)")

    settings = {"temperature_K": given("temperature_K", temperature_K, "K")}
    if "preequilibration" in files or "equilibration" in files or production_ensemble == "npt":
        settings["pressure_bar"] = given("pressure_bar", pressure_bar, "bar")
    settings["relax_fmax"] = given("relax_fmax", relax_fmax, "eV/Å")
    if "preequilibration" in files:
        settings["preequilibration_timestep_fs"] = given(
            "preequilibration_timestep_fs", plan["preequilibration"].timestep_fs, "fs")
        # the mass the 2 fs step was chosen for (Ju et al. 2025: tritium): a record without it
        # did not say whether the pre-equilibration's step was one for heavy or real hydrogen
        if hydrogen_mass is not None:
            settings["hydrogen_mass"] = given("hydrogen_mass", hydrogen_mass, "amu")
    settings["timestep_fs"] = given("timestep_fs", plan["production"].timestep_fs, "fs")
    for name in ("preequilibration", "equilibration", "production"):
        if name in files:
            stage = plan[name]
            settings[f"{name}_ps"] = given(f"{name}_ps", stage.steps * stage.timestep_fs
                                           / 1000.0, "ps")
    return settings


def _drifts_too_much(drift):
    """Whether a drift Estimate of :func:`energy_drift` says the time step is too long."""
    return drift is not None and any(n.startswith("too large") for n in drift.notes)


def _judged_by_drift(estimate, stage, drifts):
    """``estimate`` (an average over the MD stage ``stage``) marked not valid when that
    stage's conserved energy drifts beyond the tolerance.

    A drift beyond tolerance says the integration is not converged in its time step (the
    shadow Hamiltonian it conserves is not the model's): its averages differ from those of a
    shorter step by an amount the statistical error does not contain, however small it is.
    """
    drift = drifts.get(stage)
    if estimate is None or not _drifts_too_much(drift):
        return estimate
    return mark_not_valid(estimate, (
        f"time step too long: the {stage} stage's conserved energy drifts by "
        f"{drift.value:+.3g} ± {drift.stderr:.2g} meV/atom/ps, beyond the tolerance (its "
        "energy_drift), so its averages are not converged in the time step; rerun with a "
        "shorter timestep_fs and compare"))


def _records_conserved(path):
    """Whether a stage file holds the conserved-energy series (not one of an earlier version)."""
    return "conserved_energy" in h5md_info(path)["series"]


def _at_mean_volume(atoms, npt_file):
    """``atoms`` scaled isotropically to the mean volume of an NPT run after equilibration.

    The equilibration point is the one :func:`pymbar.timeseries.detect_equilibration` finds
    (through :func:`mda_electrolyte.uncertainty.detect_equilibration`).
    """
    if npt_file is None:
        return atoms
    from mda_electrolyte.uncertainty import MIN_SERIES_SAMPLES, detect_equilibration

    _, _, volume = h5md_series(npt_file, "volume")
    # below 4 samples no equilibration can be detected: the mean of all of them, as the
    # reported density (series_estimate, "too short") averages them; the production had run
    # at the stage's last volume instead, another density than the one reported
    t0 = detect_equilibration(volume)[0] if volume.size >= MIN_SERIES_SAMPLES else 0
    target = float(np.mean(volume[t0:]))
    out = _copy_of(atoms)
    out.calc = atoms.calc
    out.set_cell(atoms.cell * (target / atoms.get_volume()) ** (1.0 / 3.0), scale_atoms=True)
    out.info["nvt_volume_from"] = str(npt_file)
    return out


def _stage_estimate(path, name, unit, stage, trend=False):
    """Estimate of the mean of one observable series of a stage file; also the samples used."""
    _, _, x = h5md_series(path, name)
    estimate, t0 = series_estimate(x, unit, where=f"{stage}, {Path(path).name}", trend=trend)
    return estimate, x[t0:]


def series_estimate(x, unit, *, min_independent=None, where=None, detect=True, trend=False):
    """Mean of a sampled MD series after detected equilibration, as an Estimate.

    The recipe is :func:`mda_electrolyte.uncertainty.equilibrated_series_mean`: the
    equilibration point of :func:`pymbar.timeseries.detect_equilibration` (the start that
    maximises the number of uncorrelated samples, Chodera 2016), the error of
    :func:`mda_electrolyte.uncertainty.timeseries_mean` over the rest (statistical inefficiency,
    t-scaled).

    Parameters
    ----------
    x : array_like
        Equally spaced samples of one quantity (1-D; a column or row vector is taken as one).
    unit : str
        Unit of ``x`` (:mod:`ase_electrolyte.units`).
    min_independent : float, optional
        Fewer independent samples after the equilibration point make the verdict "too short"
        (default :data:`mda_electrolyte.uncertainty.MIN_INDEPENDENT_SAMPLES`, 50).
    where : str, optional
        Where the samples come from, for the method text.
    detect : bool
        Detect and discard the equilibration; ``False`` averages every sample (for a series
        whose mean is used as a whole elsewhere, e.g. the kinetic temperature of the frames an
        analysis reads).
    trend : bool
        Also test the kept samples for a linear drift (a slope significant at p < 0.01 against
        their correlated noise): "not equilibrated: drifting" when found. :func:`run_protocol`
        does for the NPT density, whose mean would otherwise depend on where a still
        compressing run stopped.

    Returns
    -------
    estimate : Estimate
        Not valid ("too short", "not equilibrated", "not converged", "not finite") when so.
    t0 : int
        First sample counted.

    Raises
    ------
    TypeError
        ``x`` is not real numbers (flags, text, ``None`` entries).
    ValueError
        ``x`` holds more than one series (e.g. shape ``(n, 3)``).
    """
    from mda_electrolyte.uncertainty import MIN_INDEPENDENT_SAMPLES, equilibrated_series_mean

    given = np.asarray(x)
    if given.dtype.kind not in "iuf":
        # flags were averaged as 0/1, text failed in float(); None entries became NaN
        raise TypeError(
            f"series_estimate: x must be real numbers in {unit}, got an array of "
            f"{given.dtype} {given.ravel()[:3].tolist()!r:.60}"
        )
    if sum(n > 1 for n in given.shape) > 1:
        # ravelled, an (n, 3) series was read as 3n consecutive samples: the components
        # averaged together, their correlations counted as the time series'
        raise ValueError(
            f"series_estimate: x must be one series of samples (1-D), got shape {given.shape}; "
            "estimate each component (x[:, k]) or their mean (x.mean(axis=1))"
        )
    x = given.astype(np.float64).ravel()
    source = f" of {where}" if where else ""
    if x.size < 4:
        mean = float(np.mean(x)) if x.size else float("nan")
        return Estimate.invalid(
            mean, float("nan"), unit, METHODS["none"] + source,
            f"too short: {x.size} samples", n_samples=x.size,
        ), 0
    if not np.all(np.isfinite(x)):
        bad = int(np.count_nonzero(~np.isfinite(x)))
        return Estimate.invalid(
            float("nan"), float("nan"), unit, METHODS["none"] + source,
            f"not finite: {bad} of {x.size} samples are NaN or infinite", n_samples=x.size,
        ), 0
    r = equilibrated_series_mean(
        x, detect=detect, trend=trend,
        min_independent=MIN_INDEPENDENT_SAMPLES if min_independent is None else min_independent,
    )
    method = f"{METHODS['inefficiency']}{source}, " + (
        f"after detected equilibration (first {r.t0} of {x.size} samples discarded)" if detect
        else f"all {x.size} samples"
    )
    return Estimate(
        r.mean, r.error, unit, method, n_samples=int(r.n_independent), converged=not r.notes,
        notes=r.notes, dof=r.dof if np.isfinite(r.error) else None,
    ), r.t0


#: Drift of the conserved energy (meV/atom/ps) beyond which :func:`energy_drift` calls a run's
#: time step too long: GROMACS' default tolerance of the energy drift, 0.005 kJ/mol/ps per atom
#: (its ``verlet-buffer-tolerance``; Páll and Hess 2013), about 2 kT per atom per ns at 300 K.
#: Velocity Verlet on EMT copper (32 atoms, 600 K) drifted 0.0054 ± 0.0012 meV/atom/ps at 5 fs
#: and 0.0075 ± 0.0020 at 10 fs steps (16 replicas of 300 steps each), a tenth of it; its
#: energy fluctuates more with longer steps (0.002, 0.007, 0.05, 0.19 meV/atom RMS at 1, 2, 5,
#: 10 fs) but does not drift: a symplectic integrator's error stays bounded until the step
#: nears its stability limit (about 40 fs for copper).
MAX_ENERGY_DRIFT = 0.005 * units.kJ / units.mol * 1000.0
# The drift's error is that of mda_electrolyte.uncertainty.linear_slope (delete-one-block
# jackknife over 10-40 contiguous blocks of about 10 statistical inefficiencies of the residuals;
# fewer than 10 blocks of 2 and 5 samples is "too short"). The conserved energy of Verlet
# oscillates with the vibrations, so its residuals are anticorrelated and an error from
# pymbar's statistical inefficiency (which stops at the first negative correlation) was 4 times
# too large (rms z 0.24 over 12 replicas of EMT copper NVE at 5 fs, 300 samples).
_DRIFT_UNIT = "meV/atom/ps"


def _conserved_energy(dyn, atoms):
    """``f(obs) -> float``, the conserved quantity of ``dyn`` (eV) at the current step, or
    ``None`` where this ASE's integrator exposes none.

    The atoms' energy (force-consistent ``free_energy`` where the calculator gives it, as ASE's
    ``get_conserved_energy``, else ``energy``) and kinetic energy, plus the energy of the
    integrator's own variables: none in Velocity Verlet; the Nosé–Hoover chain's
    (``get_thermostat_energy``); for MTK NPT also the barostat chain's, the kinetic energy of
    the cell's strain momentum and P·V (ASE's ``IsotropicMTKNPT.get_conserved_energy``). ASE's
    method is not called: it requires ``free_energy``, which a calculator need not give.
    ``obs`` is the step's observables (``None``: computed here).
    """
    from ase.md.verlet import VelocityVerlet

    if isinstance(dyn, VelocityVerlet):
        def extra():
            return 0.0
    else:
        thermostat = getattr(getattr(dyn, "_thermostat", None), "get_thermostat_energy", None)
        barostat = getattr(dyn, "_barostat", None)
        if thermostat is None:
            return None
        if barostat is None:
            extra = thermostat
        else:
            def extra():
                return (thermostat() + barostat.get_barostat_energy()
                        + dyn._p_eps * dyn._p_eps / (2.0 * barostat.W)
                        + dyn._pressure_au * dyn._get_volume())
        try:
            float(extra())
        except (AttributeError, TypeError):
            # another ASE version's integrator: no conserved quantity rather than a wrong one
            return None

    def conserved(obs):
        results = atoms.calc.results
        potential = results.get("free_energy", results.get("energy"))
        if potential is None:
            potential = atoms.get_potential_energy()
        kinetic = atoms.get_kinetic_energy() if obs is None else obs["kinetic_energy"]
        return float(potential) + float(kinetic) + float(extra())

    return conserved


class _DriftSeries:
    """Conserved-energy samples of a run without a file, kept evenly spaced in bounded memory:
    past :data:`_LIMIT` samples every other one is dropped and the stride doubles."""

    _LIMIT = 2**20

    def __init__(self):
        self._time, self._energy, self._stride, self._seen = [], [], 1, 0

    def add(self, time_ps, energy_eV):
        if self._seen % self._stride == 0:
            self._time.append(time_ps)
            self._energy.append(energy_eV)
            if len(self._time) >= self._LIMIT:
                self._time, self._energy = self._time[::2], self._energy[::2]
                self._stride *= 2
        self._seen += 1

    @property
    def time_ps(self):
        return np.asarray(self._time, dtype=np.float64)

    @property
    def energy_eV(self):
        return np.asarray(self._energy, dtype=np.float64)


def _what_is_conserved(ensemble):
    return {"nve": "total energy",
            "nvt": "Nosé–Hoover chain's conserved energy",
            "npt": "MTK barostat's conserved energy"}.get(ensemble, "conserved energy")


def _no_drift(ensemble, path=None):
    """The drift Estimate of a run that recorded no conserved energy, saying why."""
    why = (f"not recorded: {path} was started by an earlier version, whose samples hold no "
           "conserved energy (overwrite=True records it)" if path is not None else
           f"not recorded: this ASE's {ensemble.upper()} integrator exposes no conserved "
           "energy")
    return Estimate.invalid(float("nan"), float("nan"), _DRIFT_UNIT, METHODS["none"], why)


def _drift_estimate(time_ps, energy_eV, n_atoms, *, ensemble, timestep_fs, where,
                    tolerance=None):
    """Slope of the conserved energy per atom (meV/atom/ps) with its jackknife error and
    verdict; see :func:`energy_drift`."""
    from mda_electrolyte.uncertainty import linear_slope

    tolerance = MAX_ENERGY_DRIFT if tolerance is None else tolerance
    what = _what_is_conserved(ensemble)

    def method(n_blocks):
        return (f"least-squares slope of the {what} over time ({where}), "
                f"{METHODS['blocks'].format(n=n_blocks)} (delete-one-block jackknife)")

    t = np.asarray(time_ps, dtype=np.float64)
    t = t - t[0] if t.size else t
    e = np.asarray(energy_eV, dtype=np.float64)
    # relative to the first sample: the fluctuations are 1e-7 of a box's energy
    e = (e - e[0]) * 1000.0 / n_atoms if e.size else e
    if not np.all(np.isfinite(e)):
        return Estimate.invalid(float("nan"), float("nan"), _DRIFT_UNIT, method(0),
                                f"not finite: NaN or infinite conserved energies in {where}",
                                n_samples=e.size)
    fit = linear_slope(t, e)
    slope, error, n_blocks = fit.slope, fit.error, fit.n_blocks
    if not error >= 0:
        return Estimate.invalid(
            slope, float("nan"), _DRIFT_UNIT, method(n_blocks),
            f"too short: {e.size} samples of the {what}"
            + (f", correlated over {fit.g:.3g} samples" if fit.g > 1.0 else "")
            + f" (need {n_blocks} blocks of {fit.block}: {fit.needed}); run longer"
            # no error bar yet, but a slope far beyond the tolerance is rarely the noise of a
            # conserving run: said, so that "run longer" is not read as "sound so far"
            + (f"; its slope so far, {slope:+.3g} meV/atom/ps, is {abs(slope) / tolerance:.0f} "
               f"times the tolerance: check the time step and the model's forces first"
               if abs(slope) > 10.0 * tolerance else ""),
            n_samples=e.size)
    notes = []
    converged = True
    step = f"{timestep_fs:g} fs " if timestep_fs is not None else ""
    halves = _part_slopes(t, e, 2)
    thirds = _part_slopes(t, e, 3)
    unsteady = next(((name, parts) for name, parts in (("halves", halves), ("thirds", thirds))
                     if not all(np.sign(slope) * h > tolerance for h in parts)), None)
    if abs(slope) - 2.0 * error > tolerance and unsteady:
        # a slow wander of a thermostat's conserved energy (Nosé-Hoover) over a fifth to half
        # of the run passes the block jackknife's test in 14-18 % of drift-free runs; a drift
        # of the time step is steady, so every third must show it. Over 400 replicas of an
        # Ornstein-Uhlenbeck wander of 20-50 % of 0.2 ps: halves 5.8-9.0 % false alarms, thirds
        # 3.2-3.8 %; a drift of 4 tolerances over 1 ps still found in 97.8-100 %
        name, parts = unsteady
        shown = ", ".join(f"{h:+.3g}" for h in parts)
        notes.append(
            f"its {name} disagree: slopes {shown} meV/atom/ps against the whole run's "
            f"{slope:+.3g} ± {error:.2g}, not all beyond the tolerance of {tolerance:.3g}; a "
            f"slow wander of the {what} rather than a steady drift, which a longer run tells "
            "apart")
    elif abs(slope) - 2.0 * error > tolerance:
        converged = False
        notes.append(
            f"too large: the {what} drifts by {slope:+.3g} ± {error:.2g} meV/atom/ps, beyond "
            f"the tolerance of {tolerance:.3g} meV/atom/ps"
            + (" (0.005 kJ/mol/ps per atom, GROMACS' default)" if tolerance == MAX_ENERGY_DRIFT
               else "")
            + f": the time step {step}is too long for this model (halve it and compare: a "
            "drift that shrinks with the step is the step's), or its forces are not the "
            "gradient of its energy (a drift that stays: a cutoff without smoothing, or "
            "single-precision arithmetic, which a float64 model, e.g. dtype='float64', removes)")
    elif error > tolerance:
        notes.append(
            f"the error ({error:.2g} meV/atom/ps) exceeds the tolerance of {tolerance:.3g} "
            "meV/atom/ps: too short a run to tell whether the time step is short enough")
    return Estimate(slope, error, _DRIFT_UNIT, method(n_blocks), n_samples=n_blocks,
                    converged=converged, notes=tuple(notes), dof=fit.dof)


def _part_slopes(t, e, parts):
    """Least-squares slopes of ``parts`` consecutive, equally long parts of a series
    (neighbours share their boundary sample)."""
    edges = np.linspace(0, t.size - 1, parts + 1).round().astype(int)
    return tuple(float(np.polyfit(t[a:b + 1], e[a:b + 1], 1)[0])
                 for a, b in zip(edges[:-1], edges[1:], strict=True))


def energy_drift(trajectory, *, tolerance=None):
    """Drift of the conserved energy of a :func:`run_md` trajectory, per atom, as an Estimate.

    The conserved quantity is the integrator's (sampled every ``observe_interval`` steps as the
    ``conserved_energy`` series, eV): the total energy in NVE (Velocity Verlet), with the
    Nosé–Hoover chain's energy in NVT, and with the MTK barostat's terms and P·V in NPT (ASE's
    ``get_conserved_energy``). A Langevin or Berendsen run has none (run_md runs neither).
    The drift is the least-squares slope over the run; its error the t-scaled delete-one-block
    jackknife over 10-40 contiguous blocks (:func:`mda_electrolyte.uncertainty.linear_slope`),
    which holds for the oscillating, anticorrelated fluctuations of a Verlet integrator's
    energy (where pymbar's statistical inefficiency overestimated it 4 times) as for
    positively correlated noise. A symplectic integrator's energy fluctuates more with longer
    steps but does not drift until the step nears its stability limit, or unless the forces are
    not the gradient of the energy (a direct-force model, a cutoff without smoothing,
    single-precision round-off): a drift is the sign of either.

    Parameters
    ----------
    trajectory : str or os.PathLike
        An H5MD file of :func:`run_md` (one of :func:`run_protocol`'s MD stages).
    tolerance : float, optional
        Largest drift (meV/atom/ps) not called too large; default :data:`MAX_ENERGY_DRIFT`
        (0.0518 meV/atom/ps, GROMACS' 0.005 kJ/mol/ps per atom).

    Returns
    -------
    Estimate
        meV/atom/ps, signed (negative: the energy decreases). Not valid when "too short" (fewer
        than 10 blocks of at least 5 samples and 2 statistical inefficiencies of the residuals)
        or "too large": the drift exceeds ``tolerance`` by more than two error bars and each
        half and each third of the run drifts beyond ``tolerance`` in its direction (a drift of
        the time step is steady; a thermostat's slow wander is not: an Ornstein–Uhlenbeck
        wander of 20–50 % of the run was called too large in 6–9 % of drift-free runs when
        only the halves were asked, 3–4 % now), naming the time step. A valid drift
        whose error exceeds ``tolerance``, or whose parts disagree, says so in its notes (the
        run cannot tell).

    Raises
    ------
    ValueError
        Not a trajectory of run_md, or one that records no conserved energy (a relaxation:
        the message says so); a ``tolerance`` that is not a positive number. A run_md file of
        an earlier version, whose samples hold no conserved energy, is no error: its drift is
        "not recorded" (NaN), as :func:`run_md` and :func:`run_protocol` report it.
    """
    if tolerance is not None:
        tolerance = check_number("tolerance (meV/atom/ps)", tolerance, above=0)
    path = Path(trajectory)
    info = h5md_info(path)
    run_info = info["run_info"] or {}
    if "conserved_energy" not in info["series"]:
        if "ensemble" in run_info:
            # run_md's file of an earlier version: as run_md and run_protocol report it
            return _no_drift(run_info["ensemble"], path)
        what = ("a relaxation (no dynamics)" if "fmax" in run_info else
                "a file of another writer than run_md")
        raise ValueError(f"{path} records no conserved energy: {what}; its drift needs a "
                         "run_md trajectory of this version")
    _, time_ps, energy = h5md_series(path, "conserved_energy")
    return _drift_estimate(time_ps, energy, info["n_atoms"],
                           ensemble=run_info.get("ensemble"),
                           timestep_fs=run_info.get("timestep_fs"), where=path.name,
                           tolerance=tolerance)


def _check_protocol_settings_act(*, pressure_bar, preequilibration_ps, equilibration_ps,
                                 production_ps, production_ensemble,
                                 preequilibration_timestep_fs, hydrogen_mass):
    """Refuse a protocol setting, given other than its default, that no stage of this protocol
    uses (as run_md refuses a coupling its ensemble lacks): it was ignored without a word.

    The defaults (:func:`check_protocol_arguments`' own) are no choice, and ``hydrogen_mass``
    None is none; the values are checked numbers.
    """
    import inspect

    defaults = {name: p.default for name, p in
                inspect.signature(check_protocol_arguments).parameters.items()}
    pre = preequilibration_ps > 0
    npt = pre or equilibration_ps > 0 or (production_ensemble == "npt" and production_ps > 0)
    skipped_pre = "preequilibration_ps = 0 skips that stage"
    for name, value, unit, what, used, why, cure in (
            ("preequilibration_timestep_fs", preequilibration_timestep_fs, "fs",
             "the pre-equilibration's time step", pre, skipped_pre, "give the stage a length"),
            ("hydrogen_mass", hydrogen_mass, "amu", "the pre-equilibration's hydrogen mass",
             pre, skipped_pre, "give the stage a length"),
            ("pressure_bar", pressure_bar, "bar", "the NPT stages' pressure", npt,
             # each keyword with its own value: the CLI writes "--equilibration-ps 0" for
             # "equilibration_ps = 0", and "a = b = 0" read "--a --b 0" there
             "no NPT stage runs (preequilibration_ps = 0, equilibration_ps = 0 and an "
             f"{production_ensemble.upper()} production: the box keeps its volume)",
             "give an NPT stage a length")):
        if value is None or value == defaults[name] or used:
            continue
        raise ValueError(
            f"{name} = {value:g} {unit} is {what}, and {why}: it would have no effect; leave "
            f"out {name}, or {cure}")


def _check_observe_interval_acts(observe_interval_fs, preequilibration_ps, equilibration_ps,
                                 timestep_fs):
    """Refuse a sampling interval that no stage samples at: the production records every step
    (Green–Kubo needs them) whatever ``observe_interval_fs`` is, so with both NPT stages
    skipped an interval longer than the step was ignored without a word.

    One that rounds to every step asks for what the production does (1 fs with a 1 fs step),
    and the default is no choice: both pass.
    """
    import inspect

    default = inspect.signature(check_protocol_arguments).parameters["observe_interval_fs"]
    if (preequilibration_ps > 0 or equilibration_ps > 0
            or observe_interval_fs == default.default
            or max(1, _n_steps(observe_interval_fs, timestep_fs)) == 1):
        return
    raise ValueError(
        f"observe_interval_fs = {observe_interval_fs:g} fs is the sampling interval of the "
        "pre-equilibration and the equilibration, and preequilibration_ps = 0, "
        "equilibration_ps = 0 skip both; the production records every step "
        f"({timestep_fs:g} fs) whatever the interval: it would have no effect; leave out "
        "observe_interval_fs, or give one of those stages a length")


def _check_stages_sampled(observe_interval_fs, preequilibration_ps, equilibration_ps,
                          preequilibration_dt_fs, dt_fs):
    """Refuse a sampling interval, given other than its default, longer than an NPT stage
    that runs: the stage's series holds the steps that are multiples of the interval, so it
    held its first sample alone. Its density was "too short: 1 samples", and an NVT or NVE
    production, run at the mean volume of that stage, ran at the input box's (an
    ``observe_interval_fs`` of 100 fs beside a 50 fs equilibration did so without a word).

    The default is no choice (tests and demos run stages shorter than it); it is said by the
    stage's "too short" estimates.
    """
    import inspect

    default = inspect.signature(check_protocol_arguments).parameters["observe_interval_fs"]
    if observe_interval_fs == default.default:
        return
    for name, ps, dt in (("preequilibration", preequilibration_ps, preequilibration_dt_fs),
                         ("equilibration", equilibration_ps, dt_fs)):
        steps = _n_steps(ps * 1000.0, dt)
        every = max(1, _n_steps(observe_interval_fs, dt))
        if steps > 0 and every > steps:
            raise ValueError(
                f"observe_interval_fs = {observe_interval_fs:g} fs is longer than the {name} "
                f"({name}_ps = {ps:g} ps, {steps} step{'s' if steps != 1 else ''} of {dt:g} "
                "fs): the stage would record no sample after its first (its mean density, "
                "and the volume an NVT or NVE production takes from the last NPT stage, would "
                "be its start's); give "
                f"observe_interval_fs ≤ {steps * dt:g} fs or lengthen the stage")


def check_protocol_arguments(
    *,
    temperature_K,
    pressure_bar=ONE_ATM_BAR,
    relax_fmax=2.0,
    preequilibration_ps=1000.0,
    equilibration_ps=200.0,
    production_ps=200.0,
    production_ensemble="npt",
    preequilibration_timestep_fs=2.0,
    timestep_fs=1.0,
    hydrogen_mass=_PROTOCOL_HYDROGEN_MASS,
    write_interval_fs=100.0,
    observe_interval_fs=10.0,
    atoms=None,
):
    """Check the arguments of :func:`run_protocol` without running anything.

    Cheap, so that the ``electrolyte`` command calls it before loading a model or packing a box.

    ``atoms``, the box when it is known (:func:`run_protocol` gives it), sets the time-step
    doubts by its lightest atom as each stage integrates it (hydrogen at ``hydrogen_mass`` in
    the pre-equilibration, :func:`~ase_electrolyte.units.plausible_timestep_fs`), as
    :func:`run_md` judges a step; without it the lightest atom is taken to be hydrogen.

    Raises
    ------
    ValueError
        Naming the first bad argument: non-positive or non-finite temperature, time steps,
        intervals or force threshold; a non-finite pressure; a temperature above
        :data:`MAX_TEMPERATURE_K` or a pressure beyond :data:`MAX_PRESSURE_BAR`; a stage of more
        than :data:`MAX_STEPS` steps (it would never end); negative stage lengths; a positive
        stage length shorter than half its time step (the stage would run no step); a
        production run shorter than one frame interval; a setting other than its default
        that no stage uses, which would have no effect: ``preequilibration_timestep_fs`` or
        ``hydrogen_mass`` with ``preequilibration_ps = 0``, ``pressure_bar`` when no NPT stage
        runs, an ``observe_interval_fs`` longer than a step when neither the
        pre-equilibration nor the equilibration runs (the production records every step),
        or, given ``atoms``, a ``hydrogen_mass`` for a box in which no hydrogen moves.

    Warns
    -----
    UserWarning
        Values that are valid numbers but implausible for a liquid electrolyte, the sign of a
        wrong unit: a temperature outside 50–6000 K (°C?), a pressure beyond 5·10⁴ bar (Pa?),
        time steps beyond Verlet's stability for the lightest atom of ``atoms`` (without it,
        hydrogen: :func:`~ase_electrolyte.units.plausible_timestep_fs`, 5 fs, and 8.6 fs for
        the pre-equilibration's ``hydrogen_mass = 3``); a stage length more than 1 % from a
        whole number of its stage's time steps, and a frame or sampling interval that its
        stage's time step does not divide, however little (each is rounded to whole steps,
        an interval to at least one: 15 fs samples with a 2 fs step are taken every 8 steps,
        16 fs, and 0.75 fs frames with a 1 fs step every step, 1 fs; the warning says what
        is run and names the whole steps either side); a frame interval shorter than half
        the step is said with a unit doubt (every step is then more than twice the interval
        asked, and the largest file the run can write: the warning asks whether it is in
        ps); a production length more
        than 1 % from a whole number of frame intervals (it is rounded to one: see
        :func:`production_steps`); a time step too long for moving hydrogen (fewer than
        eight steps per C–H stretch period, :func:`hydrogen_timestep_fs`: 1.39 fs at real
        masses for ``timestep_fs``, 2.23 fs for the pre-equilibration's tritium; judged
        when ``atoms`` holds moving hydrogen, or without ``atoms``).
        Each once: :func:`run_protocol` called next with the same arguments does not repeat
        them.
    """
    production_ensemble = ensemble_name(production_ensemble, "production_ensemble")
    given = _arguments_key(locals())
    temperature_K = check_number("temperature_K", temperature_K, above=0)
    pressure_bar = check_number("pressure_bar", pressure_bar)
    _check_extremes(temperature_K, pressure_bar)
    _check_relax_fmax("relax_fmax", relax_fmax)
    preequilibration_timestep_fs = check_number(
        "preequilibration_timestep_fs", preequilibration_timestep_fs, above=0,
        maximum=MAX_TIMESTEP_FS,
    )
    timestep_fs = check_number("timestep_fs", timestep_fs, above=0, maximum=MAX_TIMESTEP_FS)
    warn_implausible(temperature_K=temperature_K, pressure_bar=pressure_bar,
                     stacklevel=_user_stacklevel(1))
    # each step by its name (a doubt of "a time step of 8 fs" left the caller to guess which)
    # the box is not known here: its lightest atom is taken to be hydrogen, at the mass the
    # pre-equilibration gives it (run_md judges the same stage alike)
    hydrogen_mass = check_number("hydrogen_mass (amu)", hydrogen_mass, above=0, allow_none=True)
    lightest = {"preequilibration_timestep_fs": hydrogen_mass, "timestep_fs": None}
    if atoms is not None and hasattr(atoms, "get_masses") and len(atoms):
        # argon at 6 fs was doubted by run_protocol as if it were hydrogen (31 fs is its limit)
        lightest = {"preequilibration_timestep_fs": _lightest_mass(atoms, hydrogen_mass),
                    "timestep_fs": _lightest_mass(atoms)}
    for name, dt_fs, light in (
            ("preequilibration_timestep_fs", preequilibration_timestep_fs,
             lightest["preequilibration_timestep_fs"]),
            ("timestep_fs", timestep_fs, lightest["timestep_fs"])):
        warn_implausible(timestep_fs=dt_fs, timestep_name=name, lightest_mass_amu=light,
                         stacklevel=_user_stacklevel(1))
    check_number("hydrogen_mass (amu)", hydrogen_mass, above=0, allow_none=True)
    write_interval_fs = check_number("write_interval_fs", write_interval_fs, above=0)
    check_number("observe_interval_fs", observe_interval_fs, above=0)
    observe_interval_fs = check_number("observe_interval_fs", observe_interval_fs, above=0)
    preequilibration_ps = check_number("preequilibration_ps", preequilibration_ps, minimum=0)
    equilibration_ps = check_number("equilibration_ps", equilibration_ps, minimum=0)
    production_ps = check_number("production_ps", production_ps, minimum=0)
    if production_ps == 0:
        # before the settings a skipped stage refuses: "no NPT stage runs (... production_ps
        # = 0)" blamed the pressure for a production that cannot be skipped
        _check_production_frames(production_ps, timestep_fs, write_interval_fs)
    _check_protocol_settings_act(
        pressure_bar=pressure_bar, preequilibration_ps=preequilibration_ps,
        equilibration_ps=equilibration_ps, production_ps=production_ps,
        production_ensemble=production_ensemble,
        preequilibration_timestep_fs=preequilibration_timestep_fs, hydrogen_mass=hydrogen_mass)
    if (hydrogen_mass is not None and hydrogen_mass != _PROTOCOL_HYDROGEN_MASS
            and atoms is not None and hasattr(atoms, "numbers") and len(atoms)):
        # the default is no choice (run_protocol runs a box without hydrogen at its real
        # masses); another mass that acts on no atom ran without a word, recorded as raised
        _check_hydrogen_mass_acts(
            atoms, hydrogen_mass,
            cure=f"leave out hydrogen_mass (its default, {_PROTOCOL_HYDROGEN_MASS:g} amu, "
            "raises only hydrogen: this box then runs at its real masses)")
    _check_production_frames(production_ps, timestep_fs, write_interval_fs)
    # lengths and intervals become whole numbers of steps (run_protocol's stage()): a stage
    # shorter than half a step would be skipped without a word, and an interval or length far
    # from a multiple of the step is not what was asked for
    stages = (
        ("preequilibration", preequilibration_ps, preequilibration_timestep_fs),
        ("equilibration", equilibration_ps, timestep_fs),
        ("production", production_ps, timestep_fs),
    )
    for name, ps, dt_fs in stages:
        _check_stage_steps(f"{name}_ps = {ps:g} ps", ps * 1000.0, dt_fs)
        if ps > 0 and _n_steps(ps * 1000.0, dt_fs) == 0:
            raise ValueError(
                f"{name}_ps = {ps} ps is shorter than half its time step ({dt_fs} fs): the "
                "stage would run no step; give 0 to skip it"
            )
    # after the stage lengths, which name the endless stage a vanishing step makes: a step
    # below run_md's shortest passed here, and run_protocol relaxed and ran its
    # pre-equilibration before the next stage's run_md refused it
    _check_timestep("preequilibration_timestep_fs", preequilibration_timestep_fs)
    _check_timestep("timestep_fs", timestep_fs)
    # the accuracy of hydrogen's integration, as run_md judges it; without a box, hydrogen is
    # taken to move (the solvents of a liquid electrolyte carry it)
    moving = (_moving_hydrogen(atoms).any()
              if atoms is not None and hasattr(atoms, "numbers") and len(atoms) else True)
    if moving:
        import warnings

        for name, dt_fs, mass in (
                ("preequilibration_timestep_fs", preequilibration_timestep_fs, hydrogen_mass),
                ("timestep_fs", timestep_fs, None)):
            if name == "preequilibration_timestep_fs" and preequilibration_ps == 0:
                continue
            doubt = _hydrogen_timestep_doubt(dt_fs, mass, name=name,
                                             heavier=name.startswith("pre"))
            if doubt is not None:
                warnings.warn(doubt, UserWarning, stacklevel=_user_stacklevel())
    _check_observe_interval_acts(observe_interval_fs, preequilibration_ps, equilibration_ps,
                                 timestep_fs)
    _check_stages_sampled(observe_interval_fs, preequilibration_ps, equilibration_ps,
                          preequilibration_timestep_fs, timestep_fs)
    # run_md writes the last step as a frame: off the frame grid it would end the trajectory
    # with a shorter spacing, and Green–Kubo, Einstein–Helfand and diffusion refuse unevenly
    # spaced frames; run_protocol rounds the production to whole frame intervals
    steps = _n_steps(production_ps * 1000.0, timestep_fs)
    frames = production_steps(production_ps, timestep_fs, write_interval_fs)
    if production_ps > 0 and abs(frames - steps) * timestep_fs > 0.01 * production_ps * 1000.0:
        import warnings

        every = max(1, _n_steps(write_interval_fs, timestep_fs))
        warnings.warn(
            f"production_ps = {production_ps:g} ps is not a whole number of frame intervals "
            f"({every * timestep_fs:g} fs): the production runs {frames // every} of them, "
            f"{frames * timestep_fs / 1000.0:g} ps (evenly spaced frames, as the transport "
            "analyses need)",
            stacklevel=_user_stacklevel(),
        )
    doubts = {}
    for name, ps, dt_fs in stages:
        if ps <= 0:
            continue
        checks = [(f"{name}_ps", ps * 1000.0, "length")]
        checks.append(("write_interval_fs", write_interval_fs, "frame interval"))
        if name != "production":  # production observes every step
            checks.append(("observe_interval_fs", observe_interval_fs, "sampling interval"))
        for arg, fs, what in checks:
            n = max(1, _n_steps(fs, dt_fs))
            # an interval is said whenever the stage's step does not divide it (to rounding):
            # 0.75 fs frames with a 1 fs step were written every 1 fs, and 100.5 fs every
            # 100 fs, without a word (a 1 % tolerance and "shorter than a step is every step,
            # the nearest there is" kept them silent). Said, not refused: one interval serves
            # stages of different steps (1 fs frames with the 2 fs pre-equilibration), which
            # a refusal would leave no way to ask for. A length keeps its 1 % tolerance
            tolerance = 0.01 if what == "length" else 1e-9
            if abs(n * dt_fs - fs) > tolerance * fs:
                doubts.setdefault((arg, dt_fs), (fs, n, what, []))[3].append(name)
    import warnings

    for (arg, dt_fs), (fs, n, what, names) in doubts.items():
        # the whole steps either side of the value, in the argument's own unit
        lo = max(1, int(np.floor(fs / dt_fs)))
        if arg.endswith("_ps"):
            value = f"{fs / 1000.0:g} ps"
            nearest = f"{lo * dt_fs / 1000.0:g} or {(lo + 1) * dt_fs / 1000.0:g} ps"
        else:
            value = f"{fs:g} fs"
            nearest = (f"{dt_fs:g} fs (every step), {2 * dt_fs:g} fs, ..." if fs < dt_fs
                       else f"{lo * dt_fs:g} or {(lo + 1) * dt_fs:g} fs")
        shorter = times = slip = ""
        if fs < 0.5 * dt_fs:
            shorter = ", and shorter than half of it"
            times = f", {n * dt_fs / fs:.3g} times the interval asked"
            slip = slip_advice(fs, "fs", lambda x, dt=dt_fs: x >= dt)
        warnings.warn(
            f"{arg} = {value} is not a multiple of the {dt_fs:g} fs time step{shorter}: the "
            f"{' and '.join(names)} {what} is {n} step{'s' if n != 1 else ''} ({n * dt_fs:g} fs)"
            f"{times}; the nearest whole steps are {nearest}{slip}",
            stacklevel=_user_stacklevel(),
        )
    _PROTOCOL_ARGUMENTS_SAID.set(given)


class StageSteps(NamedTuple):
    """One MD stage of :func:`run_protocol` in whole steps (see :func:`protocol_steps`).

    Examples
    --------
    >>> from ase_electrolyte.md import protocol_steps
    >>> stage = protocol_steps(equilibration_ps=0.2, write_interval_fs=50.0)["equilibration"]
    >>> stage.steps * stage.timestep_fs, stage.write_interval * stage.timestep_fs
    (200.0, 50.0)
    """

    #: Time step, fs.
    timestep_fs: float
    #: MD steps of the stage.
    steps: int
    #: Steps between written frames.
    write_interval: int
    #: Steps between recorded observables (density, energy, pressure; charge current and
    #: pressure tensor in production).
    observe_interval: int


def protocol_steps(*, preequilibration_ps=1000.0, equilibration_ps=200.0, production_ps=200.0,
                   preequilibration_timestep_fs=2.0, timestep_fs=1.0, write_interval_fs=100.0,
                   observe_interval_fs=10.0):
    """The MD stages :func:`run_protocol` runs for these lengths, in whole steps.

    The one place where stage lengths and intervals become steps: :func:`run_protocol` runs
    these, and the ``electrolyte simulate`` command compares a folder's stage files with them
    before it resumes. Each length and interval is rounded to the nearest whole number of its
    stage's time steps (an interval to at least one step; :func:`check_protocol_arguments`,
    which :func:`run_protocol` and the command call first, warns of each interval a step
    does not divide, saying what is run); the production is rounded to whole
    frame intervals (:func:`production_steps`) and records its observables at every step
    (Green–Kubo conductivity and viscosity need the charge current and the pressure tensor
    at every step; frames every 100 fs cannot resolve them).

    Parameters
    ----------
    preequilibration_ps, equilibration_ps, production_ps : float
        Stage lengths, ps (>= 0; a stage shorter than half its time step is not run).
    preequilibration_timestep_fs, timestep_fs : float
        Time steps, fs (> 0): of the pre-equilibration, and of equilibration and production.
    write_interval_fs, observe_interval_fs : float
        Time between written frames and between recorded observables, fs (> 0). The production
        records its observables at every step (``observe_interval`` 1) whatever
        ``observe_interval_fs`` is: Green–Kubo needs the currents at every step.

    Returns
    -------
    dict of str to StageSteps
        ``"preequilibration"``, ``"equilibration"``, ``"production"`` in the order they run;
        a stage of 0 steps (a zero length) is not run.

    Raises
    ------
    ValueError
        Naming the argument: a negative or non-finite length, a time step outside 1e-6 fs to
        :data:`MAX_TIMESTEP_FS`, an interval that is not > 0, a production (> 0) shorter than
        one frame interval (:func:`production_steps`), or a stage of more than
        :data:`MAX_STEPS` steps.

    Examples
    --------
    >>> from ase_electrolyte.md import protocol_steps
    >>> plan = protocol_steps(preequilibration_ps=1.0, equilibration_ps=0.0, production_ps=0.25)
    >>> {name: stage.steps for name, stage in plan.items()}
    {'preequilibration': 500, 'equilibration': 0, 'production': 200}
    >>> plan["preequilibration"]
    StageSteps(timestep_fs=2.0, steps=500, write_interval=50, observe_interval=5)
    >>> plan["production"].steps, plan["production"].write_interval
    (200, 100)
    """
    # checked here, not only by check_protocol_arguments: called directly, a time step of
    # 1e-9 fs or a frame interval of 1e6 fs longer than the production made a plan of 1e11 or
    # 1e6 steps (a production of 1 ns for 1 ps asked), and a zero step divided by zero
    preequilibration_timestep_fs = _check_timestep("preequilibration_timestep_fs",
                                                   preequilibration_timestep_fs)
    timestep_fs = _check_timestep("timestep_fs", timestep_fs)
    write_interval_fs = check_number("write_interval_fs", write_interval_fs, above=0)
    observe_interval_fs = check_number("observe_interval_fs", observe_interval_fs, above=0)
    stages = {}
    for name, ps, dt_fs in (
        ("preequilibration", preequilibration_ps, preequilibration_timestep_fs),
        ("equilibration", equilibration_ps, timestep_fs),
        ("production", production_ps, timestep_fs),
    ):
        ps = check_number(f"{name}_ps", ps, minimum=0)
        _check_stage_steps(f"{name}_ps = {ps:g} ps", ps * 1000.0, dt_fs)
        write_every = max(1, _n_steps(write_interval_fs, dt_fs))
        observe_every = max(1, _n_steps(observe_interval_fs, dt_fs))
        if _n_steps(ps * 1000.0, dt_fs) == 0:
            stages[name] = StageSteps(dt_fs, 0, write_every, observe_every)
        elif name == "production":
            stages[name] = StageSteps(dt_fs, production_steps(ps, dt_fs, write_interval_fs),
                                      write_every, 1)
        else:
            stages[name] = StageSteps(dt_fs, _n_steps(ps * 1000.0, dt_fs), write_every,
                                      observe_every)
    return stages


def production_steps(production_ps, timestep_fs, write_interval_fs):
    """Steps of :func:`run_protocol`'s production: the nearest whole number of frame intervals.

    ``run_md`` writes the last step as a frame; a production that ended off the frame grid
    would end its trajectory with a shorter spacing, which the transport analyses refuse.

    Parameters
    ----------
    production_ps : float
        Length asked, ps: at least one frame interval.
    timestep_fs : float
        Time step, fs (1e-6 to :data:`MAX_TIMESTEP_FS`).
    write_interval_fs : float
        Time between frames, fs (> 0; rounded to whole steps, at least one).

    Returns
    -------
    int
        MD steps, a whole number of frame intervals, at most :data:`MAX_STEPS`.

    Raises
    ------
    ValueError
        An argument that is not a finite number in its range (named), a production shorter
        than one frame interval (it was stretched to that interval: 1e6 steps for 1 ps with
        frames every 1 ns), or more than :data:`MAX_STEPS` steps.

    Examples
    --------
    >>> from ase_electrolyte.md import production_steps
    >>> production_steps(0.25, 1.0, 100.0)   # 2.5 frame intervals: 2 of them (round half even)
    200
    """
    production_ps = check_number("production_ps", production_ps, minimum=0)
    timestep_fs = _check_timestep("timestep_fs", timestep_fs)
    write_interval_fs = check_number("write_interval_fs", write_interval_fs, above=0)
    _check_stage_steps(f"production_ps = {production_ps:g} ps", production_ps * 1000.0,
                       timestep_fs)
    _check_production_frames(production_ps, timestep_fs, write_interval_fs)
    every = max(1, _n_steps(write_interval_fs, timestep_fs))
    steps = every * max(1, _n_steps(production_ps * 1000.0, every * timestep_fs))
    _check_stage_steps(f"production_ps = {production_ps:g} ps in whole frame intervals,",
                       steps)
    return steps


def _check_production_frames(production_ps, timestep_fs, write_interval_fs):
    """Refuse a production shorter than one frame interval: it would hold no frame after its
    first, and rounding it to whole intervals stretched it to one interval."""
    interval_fs = max(write_interval_fs, timestep_fs)
    if production_ps == 0:
        # "a zero length skips the stage" holds for the two NPT stages only: a zero production
        # was refused as "shorter than one frame interval", with the advice to shorten the
        # frame interval, which could never make it run
        raise ValueError(
            "production_ps = 0 ps: the production cannot be skipped (the protocol's results, "
            "and the trajectory the analyses read, are its); give it a length of at least one "
            f"frame interval ({interval_fs:g} fs)")
    if production_ps * 1000.0 < interval_fs:
        # both named: a write_interval_fs in another unit (ps given as fs) is as likely
        interval = (f"write_interval_fs = {write_interval_fs:g} fs"
                    if write_interval_fs >= timestep_fs else f"timestep_fs = {timestep_fs:g} fs")
        raise ValueError(
            f"production_ps = {production_ps} ps is shorter than one frame interval "
            f"({interval}): the production run would hold no frame after its first; lengthen "
            "production_ps or shorten write_interval_fs"
        )


def _n_steps(length_fs, dt_fs):
    """Whole MD steps of ``dt_fs`` closest to ``length_fs`` (a stage length or an interval)."""
    return int(round(length_fs / dt_fs))
