"""Equilibrate and run an electrolyte with ASE's integrators: the seed-000 protocol in one call.

Seed 000 (SevenNet-0 for liquid electrolytes): loose relaxation (maximum force below 2 eV/Å); NPT
pre-equilibration at 1 atm with a 2 fs step and hydrogen given the mass of tritium (3 amu); then
real masses at 1 fs: 0.2 ns equilibration and 0.2 ns production, the density averaged every 10 fs.
Nosé–Hoover chain thermostat (:class:`ase.md.nose_hoover_chain.NoseHooverChainNVT`) and the
Martyna–Tobias–Klein barostat (:class:`ase.md.nose_hoover_chain.IsotropicMTKNPT`, ASE ≥ 3.25).

Every stage writes an H5MD file (:mod:`ase_electrolyte.trajectory`); an interrupted run is
restarted by calling the same function again: finished stages are read back, an interrupted stage
continues from its last written frame (the thermostat/barostat chain variables restart from zero
there, which perturbs the conserved quantity but not the sampled ensemble).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ase import units
from ase.md.nose_hoover_chain import IsotropicMTKNPT, NoseHooverChainNVT
from ase.md.velocitydistribution import Stationary

try:  # ASE >= 3.29
    from ase.md.velocitydistribution import thermalize_momenta
except ImportError:  # pragma: no cover - older ASE
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta
from ase.md.verlet import VelocityVerlet
from ase.optimize import FIRE

from .topology import get_topology
from .trajectory import GCM3_TO_AMU_PER_A3, H5MDWriter, h5md_info, read_h5md

__all__ = ["relax", "run_md", "run_protocol", "ProtocolResult", "ONE_ATM_BAR"]

#: 1 atm in bar.
ONE_ATM_BAR = 1.01325

_ENSEMBLES = ("nve", "nvt", "npt")


def _check_calculator(atoms):
    if atoms.calc is None:
        raise ValueError(
            "atoms has no calculator; set atoms.calc (e.g. ase_electrolyte.Calculator)"
        )


def relax(atoms, *, fmax=2.0, steps=500, trajectory=None):
    """Loose relaxation of positions with FIRE (seed 000: maximum force below 2 eV/Å), cell fixed.

    Parameters
    ----------
    atoms : ase.Atoms
        With a calculator; not modified.
    fmax : float
        Force threshold, eV/Å.
    steps : int
        Maximum optimizer steps.
    trajectory : str or os.PathLike, optional
        H5MD file receiving the relaxed structure (one frame, no velocities).

    Returns
    -------
    ase.Atoms
        Relaxed copy with the same calculator and topology arrays; ``info["relaxed_fmax"]``
        is the final maximum force (eV/Å).
    """
    _check_calculator(atoms)
    if not fmax > 0:
        raise ValueError(f"fmax must be positive (eV/Å), got {fmax}")
    work = atoms.copy()
    work.calc = atoms.calc
    work.set_velocities(np.zeros((len(work), 3)))
    opt = FIRE(work, logfile=None)
    opt.run(fmax=fmax, steps=steps)
    final = float(np.linalg.norm(work.get_forces(), axis=1).max())
    work.info["relaxed_fmax"] = final
    if trajectory is not None:
        with H5MDWriter(trajectory, work, velocities=False) as w:
            w.write(work, step=0, time=0.0, observables=_observables(work, work.get_masses().sum()))
    return work


def _observables(atoms, mass_amu):
    # the density of the real masses, also while hydrogen is heavy
    obs = {"potential_energy": atoms.get_potential_energy()}
    if atoms.pbc.all():
        obs["density"] = _density(atoms, mass_amu)
    stress = atoms.calc.get_property("stress", atoms, allow_calculation=False)
    if stress is not None and atoms.pbc.all():
        # pressure with the kinetic (ideal-gas) term, p = -tr(σ)/3 + 2 K / (3 V)
        p = -np.sum(stress[:3]) / 3.0 + 2.0 * atoms.get_kinetic_energy() / (
            3.0 * atoms.get_volume()
        )
        obs["pressure"] = p / units.bar
    # a committee calculator's largest per-atom force spread (eV/Å), the active-learning signal
    spread = atoms.calc.results.get("max_forces_std") if atoms.calc is not None else None
    if spread is not None:
        obs["max_forces_std"] = float(spread)
    return obs


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
    write_interval=100,
    observe_interval=None,
    seed=0,
    progress=True,
    description=None,
):
    """Run MD with an ASE integrator, writing frames to H5MD; resumes an interrupted file.

    Parameters
    ----------
    atoms : ase.Atoms
        With a calculator; not modified. Velocities are drawn from Maxwell–Boltzmann at
        ``temperature_K`` (seeded) if all are zero.
    ensemble : {"nve", "nvt", "npt"}
        Velocity Verlet, Nosé–Hoover chain NVT, or isotropic MTK NPT.
    steps : int
        Total MD steps of the run (a resumed run does only the missing ones).
    timestep_fs : float
        Time step, fs.
    temperature_K : float
        Target temperature, K (NVT, NPT; initial velocities).
    pressure_bar : float
        Target pressure for NPT, bar (default 1 atm).
    tdamp_fs, pdamp_fs : float, optional
        Thermostat/barostat time constants; default 100 and 1000 time steps (ASE's advice).
    hydrogen_mass : float, optional
        Mass (amu) given to H during this run (seed 000 uses 3 for 2 fs steps); the returned
        Atoms has the real masses back, with H velocities scaled to keep each H's kinetic energy.
    trajectory : str or os.PathLike, optional
        H5MD output. If it exists and is incomplete it is resumed from its last frame; if it is
        complete the run is not repeated and its last frame is returned.
    write_interval : int
        Steps between frames; the last step is always written.
    observe_interval : int, optional
        Steps between observables (energies, temperature, density, pressure); default
        ``write_interval``.
    seed : int
        Seeds the initial velocities.
    progress : bool
        Show a tqdm progress bar.
    description : str, optional
        Label of the progress bar.

    Returns
    -------
    ase.Atoms
        Final state (positions, velocities, cell) with the calculator attached.

    Raises
    ------
    ValueError
        Bad arguments, a missing calculator, or NPT without a 3D-periodic cell.
    """
    _check_calculator(atoms)
    if ensemble not in _ENSEMBLES:
        raise ValueError(f"ensemble must be one of {_ENSEMBLES}, not {ensemble!r}")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps}")
    if not timestep_fs > 0:
        raise ValueError(f"timestep_fs must be positive, got {timestep_fs}")
    if ensemble != "nve" and not (temperature_K and temperature_K > 0):
        raise ValueError(f"{ensemble.upper()} needs temperature_K > 0")
    if ensemble == "npt" and not atoms.pbc.all():
        raise ValueError("NPT needs a 3D-periodic cell")
    if write_interval < 1:
        raise ValueError("write_interval must be >= 1")
    observe_interval = write_interval if observe_interval is None else int(observe_interval)
    steps = int(steps)
    calc = atoms.calc
    real_masses = atoms.get_masses().copy()
    mass_total = float(real_masses.sum())

    run_info = {
        "ensemble": ensemble,
        "steps": steps,
        "timestep_fs": float(timestep_fs),
        "temperature_K": None if temperature_K is None else float(temperature_K),
        "pressure_bar": float(pressure_bar) if ensemble == "npt" else None,
        "hydrogen_mass": None if hydrogen_mass is None else float(hydrogen_mass),
        "write_interval": int(write_interval),
    }
    work = atoms.copy()
    work.calc = calc
    start = 0
    writer = None
    if trajectory is not None:
        trajectory = Path(trajectory)
        info = h5md_info(trajectory) if trajectory.exists() else None
        if info and info["n_frames"]:
            if info["n_atoms"] != len(atoms):
                raise ValueError(
                    f"{trajectory} holds {info['n_atoms']} atoms, the system {len(atoms)}; "
                    "remove the file or choose another"
                )
            if info["run_info"] is not None and info["run_info"] != run_info:
                raise ValueError(
                    f"{trajectory} was written by a different run ({info['run_info']}), not "
                    f"{run_info}; remove it or choose another path"
                )
            last = read_h5md(trajectory, -1)
            if info["complete"] and info["last_step"] >= steps:
                _set_masses_keep_velocities(last, real_masses)
                _restore_hydrogen(last, hydrogen_mass)
                last.calc = calc
                return last
            # resume from the last complete frame
            work.set_positions(last.positions)
            work.set_cell(last.cell)
            _set_masses_keep_velocities(work, last.get_masses())
            work.set_velocities(last.get_velocities())
            start = info["last_step"]
            writer = H5MDWriter(trajectory, work, mode="a", run_info=run_info)
    if start == 0:
        if hydrogen_mass is not None:
            masses = work.get_masses()
            masses[work.numbers == 1] = hydrogen_mass
            _set_masses_keep_velocities(work, masses)
        if not np.any(work.get_velocities()):
            thermalize_momenta(
                work, temperature_K=temperature_K or 0.0, rng=np.random.default_rng(seed)
            )
            Stationary(work)
        elif hydrogen_mass is not None:
            _scale_hydrogen(work, real_masses, work.get_masses())
        if trajectory is not None:
            writer = H5MDWriter(trajectory, work, mode="w", run_info=run_info)

    dt = timestep_fs * units.fs
    if ensemble == "nve":
        dyn = VelocityVerlet(work, timestep=dt)
    elif ensemble == "nvt":
        dyn = NoseHooverChainNVT(
            work,
            timestep=dt,
            temperature_K=temperature_K,
            tdamp=(tdamp_fs or 100 * timestep_fs) * units.fs,
        )
    else:
        dyn = IsotropicMTKNPT(
            work,
            timestep=dt,
            temperature_K=temperature_K,
            pressure_au=pressure_bar * units.bar,
            tdamp=(tdamp_fs or 100 * timestep_fs) * units.fs,
            pdamp=(pdamp_fs or 1000 * timestep_fs) * units.fs,
        )
    dyn.nsteps = start

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=start, desc=description or ensemble.upper(), unit="step")

    def observe():
        n = dyn.nsteps
        time_ps = n * timestep_fs / 1000.0
        if writer is not None and n > writer.last_step():
            if n % write_interval == 0 or n == steps:
                writer.write(work, step=n, time=time_ps, observables=_observables(work, mass_total))
            elif n % observe_interval == 0:
                writer.write_observables(
                    work, step=n, time=time_ps, observables=_observables(work, mass_total)
                )
        if bar is not None and n > bar.n:
            bar.update(n - bar.n)
            if n % max(1, min(write_interval, 50)) == 0:
                bar.set_postfix(
                    T=f"{work.get_temperature():.0f}K", rho=f"{_density(work, mass_total):.3f}"
                )

    dyn.attach(observe, interval=1)
    try:
        dyn.run(steps - start)
    except BaseException:
        if writer is not None:
            writer.close(complete=False)
        raise
    finally:
        if bar is not None:
            bar.close()
    if writer is not None:
        writer.close(complete=True)
    final = work.copy()
    _set_masses_keep_velocities(final, real_masses)
    _restore_hydrogen(final, hydrogen_mass, heavy=work.get_masses())
    final.calc = calc
    return final


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
    real = atoms.get_masses()
    if heavy is None:
        heavy = real.copy()
        heavy[atoms.numbers == 1] = hydrogen_mass
    _scale_hydrogen(atoms, heavy, real)
    Stationary(atoms)


@dataclass
class ProtocolResult:
    """What :func:`run_protocol` produced.

    Attributes
    ----------
    atoms : ase.Atoms
        Final state of the production run.
    files : dict
        Stage name → H5MD path (``relaxed``, ``preequilibration``, ``equilibration``,
        ``production``).
    density : float
        Mean density of the production run, g/cm³ (NPT production), else the fixed density.
    density_std : float
        Standard deviation of the sampled densities, g/cm³.
    """

    atoms: object
    files: dict = field(default_factory=dict)
    density: float = float("nan")
    density_std: float = float("nan")


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
    hydrogen_mass=3.0,
    write_interval_fs=100.0,
    observe_interval_fs=10.0,
    seed=0,
    progress=True,
):
    """The seed-000 protocol in one call: relax, heavy-H NPT, real-mass equilibration, production.

    Parameters
    ----------
    atoms : ase.Atoms
        Starting box (e.g. from :func:`ase_electrolyte.electrolyte_box`); not modified.
    calculator : ase.calculators.calculator.Calculator
        E.g. ``ase_electrolyte.Calculator("sevennet-0", dispersion="d3-bj")``; must give stress
        for NPT.
    outdir : str or os.PathLike
        Receives ``relaxed.h5md``, ``preequilibration.h5md``, ``equilibration.h5md``,
        ``production.h5md``. Calling again with the same folder resumes an interrupted run.
    temperature_K : float
        K (seed 000: 298 K; 313 K for EC and FEC; 293 K for DME and DEE).
    pressure_bar : float
        NPT pressure, bar (1 atm).
    relax_fmax : float
        Loose relaxation threshold, eV/Å.
    preequilibration_ps, equilibration_ps, production_ps : float
        Stage lengths in ps (seed 000: 1000, 200, 200); a zero length skips the stage.
    production_ensemble : {"npt", "nvt", "nve"}
        NPT for densities (seed 000); NVT at the equilibrated density for transport.
    preequilibration_timestep_fs, timestep_fs : float
        2 fs with heavy hydrogen, then 1 fs.
    hydrogen_mass : float
        amu during pre-equilibration (tritium, 3 amu).
    write_interval_fs : float
        Time between frames, fs.
    observe_interval_fs : float
        Time between density/energy/pressure samples, fs (seed 000: 10 fs).
    seed : int
        Seeds the initial velocities.
    progress : bool
        Progress bars.

    Returns
    -------
    ProtocolResult
    """
    if production_ensemble not in _ENSEMBLES:
        raise ValueError(f"production_ensemble must be one of {_ENSEMBLES}")
    for name, value in (
        ("preequilibration_ps", preequilibration_ps),
        ("equilibration_ps", equilibration_ps),
        ("production_ps", production_ps),
    ):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    if not production_ps > 0:
        raise ValueError("production_ps must be positive")
    if not atoms.pbc.all():
        raise ValueError("the protocol needs a 3D-periodic box")
    if get_topology(atoms) is None:
        # not fatal: the bridge can guess molecules, but say so early
        import warnings

        warnings.warn(
            "atoms carries no molecule/species/charge arrays; "
            "analyses will guess molecules from bonds",
            stacklevel=2,
        )
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    files = {}
    work = atoms.copy()
    work.calc = calculator

    files["relaxed"] = outdir / "relaxed.h5md"
    if files["relaxed"].exists() and h5md_info(files["relaxed"])["complete"]:
        relaxed = read_h5md(files["relaxed"], -1)
        relaxed.set_velocities(np.zeros((len(relaxed), 3)))
        relaxed.calc = calculator
    else:
        relaxed = relax(work, fmax=relax_fmax, trajectory=files["relaxed"])
    state = relaxed

    def stage(name, ps, dt_fs, ensemble, h_mass):
        nonlocal state
        steps = int(round(ps * 1000.0 / dt_fs))
        if steps == 0:
            return
        files[name] = outdir / f"{name}.h5md"
        state = run_md(
            state,
            ensemble=ensemble,
            steps=steps,
            timestep_fs=dt_fs,
            temperature_K=temperature_K,
            pressure_bar=pressure_bar,
            hydrogen_mass=h_mass,
            trajectory=files[name],
            write_interval=max(1, int(round(write_interval_fs / dt_fs))),
            observe_interval=max(1, int(round(observe_interval_fs / dt_fs))),
            seed=seed,
            progress=progress,
            description=name,
        )

    stage(
        "preequilibration", preequilibration_ps, preequilibration_timestep_fs, "npt", hydrogen_mass
    )
    stage("equilibration", equilibration_ps, timestep_fs, "npt", None)
    stage("production", production_ps, timestep_fs, production_ensemble, None)

    import h5py

    with h5py.File(files["production"], "r") as f:
        rho = f["observables/density/value"][()]
    return ProtocolResult(
        atoms=state, files=files, density=float(np.mean(rho)), density_std=float(np.std(rho))
    )
