"""In-memory trajectories with known transport coefficients, shared by the transport tests.

Velocities follow Ornstein–Uhlenbeck processes: every Cartesian component has variance ``s²``
(Å²/ps²) and autocorrelation ``s² exp(-t/tau)``, so ``∫_0^∞ <v(t)·v(0)> dt = 3 s² tau`` and
``D = s² tau``. Positions integrate the velocities with the trapezoidal rule.
"""

import MDAnalysis as mda
import numpy as np
from MDAnalysis.coordinates.memory import MemoryReader
from scipy.signal import lfilter


def ornstein_uhlenbeck(rng, n_frames, shape, tau, dt, s):
    """Stationary OU series, shape ``(n_frames, *shape)``, exact discretisation."""
    a = np.exp(-dt / tau)
    burn = int(np.ceil(10 * tau / dt))
    noise = rng.normal(size=(n_frames + burn,) + tuple(shape))
    return lfilter([s * np.sqrt(1 - a * a)], [1, -a], noise, axis=0)[burn:]


def integrate(velocities, dt, start=None):
    """Positions from velocities by the trapezoidal rule (so Δr/dt is the mean velocity)."""
    steps = 0.5 * (velocities[1:] + velocities[:-1]) * dt
    pos = np.zeros_like(velocities)
    pos[1:] = np.cumsum(steps, axis=0)
    if start is not None:
        pos += start
    return pos


def salt_universe(
    velocities,
    positions=None,
    *,
    n_cations,
    dt,
    box=40.0,
    anion_atoms=1,
    masses=(6.94, 19.0),
    charges=(1.0, -1.0),
    formal=True,
):
    """Universe of ``n_cations`` "Li" (one atom) and as many anions of ``anion_atoms`` atoms.

    Anion atoms are named A, B, C, ...; the first anion atom carries the whole formal charge.
    ``velocities`` and ``positions`` have shape (n_frames, n_atoms, 3).
    """
    n_an = n_cations
    n_atoms = n_cations + n_an * anion_atoms
    resindex = np.concatenate(
        [np.arange(n_cations), n_cations + np.repeat(np.arange(n_an), anion_atoms)]
    )
    u = mda.Universe.empty(
        n_atoms, n_residues=n_cations + n_an, atom_resindex=resindex, trajectory=True
    )
    anion_names = [chr(ord("A") + k) for k in range(anion_atoms)]
    u.add_TopologyAttr("names", ["Li"] * n_cations + anion_names * n_an)
    u.add_TopologyAttr("resnames", ["LI"] * n_cations + ["AN"] * n_an)
    an_masses = [masses[1]] * anion_atoms
    u.add_TopologyAttr("masses", [masses[0]] * n_cations + an_masses * n_an)
    if formal:
        an_q = [charges[1]] + [0.0] * (anion_atoms - 1)
        u.add_TopologyAttr("formalcharges", [charges[0]] * n_cations + an_q * n_an)
    if positions is None:
        positions = np.zeros_like(velocities)
    kwargs = {"velocities": velocities.astype(np.float32)} if velocities is not None else {}
    dims = None if box is None else [box, box, box, 90.0, 90.0, 90.0]
    u.load_new(positions.astype(np.float32), format=MemoryReader, dt=dt, dimensions=dims, **kwargs)
    return u


IONS = {"Li": "name Li", "AN": "resname AN"}


def caged_velocities(rng, n_frames, shape, dt, *, period, damping, s_cage, tau_slow, s_slow):
    """Velocities of ions rattling in a cage while the cage itself diffuses slowly.

    Sum of a damped harmonic oscillator's velocity (Langevin particle in a harmonic well of
    angular frequency ``2π/period``, friction ``damping`` in 1/ps, velocity std ``s_cage``) and an
    independent OU velocity (``tau_slow``, ``s_slow``). The oscillator is bound, so its velocity
    autocorrelation integrates to zero: ``∫<v·v> dt = 3 s_slow² tau_slow`` exactly, while almost
    all of the velocity variance sits in the fast cage mode (a Li⁺ cage mode near 400 cm⁻¹ has a
    period of ~83 fs). Exact discretisation of the linear SDE.
    """
    import scipy.linalg

    omega = 2 * np.pi / period
    drift = np.array([[0.0, 1.0], [-(omega**2), -damping]])
    stat = np.diag([s_cage**2 / omega**2, s_cage**2])  # stationary covariance of (x, v)
    a = scipy.linalg.expm(drift * dt)
    chol = np.linalg.cholesky(stat - a @ stat @ a.T)
    state = rng.normal(size=tuple(shape) + (2,)) * np.sqrt(np.diag(stat))
    noise = rng.normal(size=(n_frames,) + tuple(shape) + (2,))
    out = np.empty((n_frames,) + tuple(shape))
    for t in range(n_frames):
        state = state @ a.T + noise[t] @ chol.T
        out[t] = state[..., 1]
    return out + ornstein_uhlenbeck(rng, n_frames, shape, tau_slow, dt, s_slow)


def lj_salt():
    """32 ions, rock-salt ordered on a simple-cubic lattice 4 Å apart (16 × 16 × 8 Å cell):
    "A" (Li, +1) and "B" (F, -1) alternating in index order, one ion per molecule, with a
    Lennard-Jones calculator (σ = 3.6 Å, minimum at the lattice spacing; ε = 0.1 eV, a solid at
    300-600 K). No two ions are closer than a covalent bond (Li–F 2.2 Å), so the stored
    topology of an H5MD file of it is read back as 32 molecules (a metal labelled as ions,
    Cu atoms 2.55 Å apart, is refused as molecules joined by bonds)."""
    from ase import Atoms
    from ase.calculators.lj import LennardJones

    from ase_electrolyte.topology import set_topology

    sites = np.array([[i, j, k] for i in range(4) for j in range(4) for k in range(2)]) * 4.0
    parity = (sites / 4.0).astype(int).sum(axis=1) % 2
    order = np.ravel(np.column_stack([np.flatnonzero(parity == 0), np.flatnonzero(parity == 1)]))
    atoms = Atoms(["Li", "F"] * 16, positions=sites[order] + 0.5, cell=[16.0, 16.0, 8.0],
                  pbc=True)
    atoms.rattle(0.05, seed=1)
    set_topology(atoms, np.arange(32), ["A", "B"] * 16, [1, -1] * 16)
    atoms.calc = LennardJones(sigma=3.6, epsilon=0.1, rc=7.0)
    return atoms


def ion_run_file(folder, name="nvt.h5md"):
    """A run_md H5MD file (per-step observables, every step a frame) of 32 EMT copper atoms as
    single-atom ions A⁺/B⁻ 5 Å apart (no bond guess joins them): 39 NVT steps of 1 fs at
    600 K. Tests copy it and edit the copy (its recorded volume, box or positions)."""
    from ase.build import bulk
    from ase.calculators.emt import EMT

    from ase_electrolyte.md import run_md
    from ase_electrolyte.topology import set_topology

    atoms = bulk("Cu", a=7.2, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=1)
    n = len(atoms)
    set_topology(atoms, np.arange(n), ["A", "B"] * (n // 2), [1, -1] * (n // 2))
    atoms.calc = EMT()
    path = folder / name
    run_md(atoms, ensemble="nvt", steps=39, timestep_fs=1.0, temperature_K=600,
           trajectory=path, write_interval=1, progress=False)
    return path


def with_volume_ramp(path, ramp, end):
    """Copy the run_md file ``path`` to ``ramp`` with its recorded volume series scaled
    linearly from 1 to ``end`` over the run (a box still compressing or expanding)."""
    import shutil

    import h5py

    shutil.copy(path, ramp)
    with h5py.File(ramp, "r+") as f:
        volume = f["parameters/ase_electrolyte/series/volume/value"]
        volume[...] = volume[...] * np.linspace(1.0, end, volume.shape[0])
    return ramp


def species_universe(rng, counts, masses, *, charges=None, n_frames=600, dt=0.05, box=40.0,
                     tau=0.1, s=2.0):
    """A Universe of single-atom residues of the species ``counts`` (name → number), moving
    with Ornstein–Uhlenbeck velocities (``D = s² tau``) from uniform random positions in a
    cubic ``box`` (Å); ``masses`` and ``charges`` (e, optional) by name."""
    names = [name for name, k in counts.items() for _ in range(k)]
    n = len(names)
    v = ornstein_uhlenbeck(rng, n_frames, (n, 3), tau, dt, s)
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("names", names)
    u.add_TopologyAttr("resnames", names)
    u.add_TopologyAttr("masses", [masses[name] for name in names])
    if charges is not None:
        u.add_TopologyAttr("formalcharges", [charges[name] for name in names])
    u.load_new(integrate(v, dt, rng.uniform(0, box, (n, 3))).astype(np.float32),
               format=MemoryReader, dt=dt, dimensions=[box, box, box, 90, 90, 90])
    return u
