"""Read a trajectory once, estimate every transport coefficient from what was read.

    python examples/one_pass_transport.py

:class:`mda_electrolyte.IonCollector` reads each frame of a Universe once into an
:class:`mda_electrolyte.IonCollection` (per-species velocity sums, currents, unwrapped centres,
per-ion velocities): a few MB where the trajectory may be GB. Every transport estimator then
works from the collections (``from_collections``) without reading a frame again, and several
collections are independent runs of the same system, whose spread is the error.

The two "runs" here are a synthetic 1:1 salt whose ions move with Ornstein–Uhlenbeck velocities
(variance s² per component, correlation time tau), so D = s² tau exactly and, the ions being
independent, σ = e² N D / (V k_B T). On an MD run the Universes come from
:func:`mda_electrolyte.from_ase` of the ``electrolyte simulate`` H5MD files.
"""

import MDAnalysis as mda
import numpy as np
from MDAnalysis.coordinates.memory import MemoryReader
from scipy import constants
from scipy.signal import lfilter

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    IonCollector,
)

N_PAIRS, N_FRAMES, DT, TAU, S, BOX, T = 8, 10000, 0.05, 0.5, 2.0, 40.0, 300.0  # ps, Å/ps, Å, K
IONS = {"Li": "name Li", "Cl": "name Cl"}


def salt_run(seed):
    """A Universe of N_PAIRS Li+ and Cl- whose velocities are OU processes, positions wrapped."""
    rng = np.random.default_rng(seed)
    a = np.exp(-DT / TAU)
    noise = rng.normal(size=(N_FRAMES + 200, 2 * N_PAIRS, 3))
    vel = lfilter([S * np.sqrt(1 - a * a)], [1, -a], noise, axis=0)[200:]
    pos = rng.uniform(0, BOX, (2 * N_PAIRS, 3)) + np.cumsum(vel, axis=0) * DT
    u = mda.Universe.empty(2 * N_PAIRS, n_residues=2 * N_PAIRS,
                           atom_resindex=np.arange(2 * N_PAIRS), trajectory=True)
    u.add_TopologyAttr("names", ["Li"] * N_PAIRS + ["Cl"] * N_PAIRS)
    u.add_TopologyAttr("masses", [6.94] * N_PAIRS + [35.45] * N_PAIRS)
    u.add_TopologyAttr("formalcharges", [1.0] * N_PAIRS + [-1.0] * N_PAIRS)
    u.load_new(pos % BOX, velocities=vel, format=MemoryReader, dt=DT,
               dimensions=[BOX, BOX, BOX, 90, 90, 90])
    return u


universes = [salt_run(seed) for seed in (1, 2)]
collections = [IonCollector(u, IONS, unwrap=True).run().collection for u in universes]
print(f"collected {N_FRAMES} frames twice: {collections[0].nbytes() / 1e6:.1f} MB each")

sigma_exact = (constants.e**2 * 2 * N_PAIRS * S**2 * TAU * 1e-8
               / (BOX**3 * 1e-30 * constants.k * T))
print(f"exact: sigma = {sigma_exact:.3f} S/m, D = {S * S * TAU} Å²/ps")

# two runs give one degree of freedom: 5 blocks of each make 10 segments for the errors
gk = GreenKuboConductivity.from_collections(collections, temperature=T, max_lag=5.0, n_blocks=5)
eh = EinsteinHelfandConductivity.from_collections(collections, temperature=T, n_blocks=5)
diff = Diffusion.from_collections(collections, n_blocks=5)
print(f"Green–Kubo conductivity:       {gk.results.conductivity}")
print(f"Einstein–Helfand conductivity: {eh.results.conductivity}")
for name in IONS:
    print(f"D({name}): {diff.results.diffusion_coefficient[name]}")

# the collections hold what the estimators would read: the same numbers as a pass of their own
direct = GreenKuboConductivity(universes, IONS, temperature=T, max_lag=5.0, n_blocks=5).run()
print(f"Green–Kubo from the Universes: {direct.results.conductivity}")
