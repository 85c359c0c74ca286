"""A short-ranged stand-in model for tests of charged molecules: harmonic pairs closer than
1.6 Å, counting its evaluations (so a test can say a refusal came before any model call),
and the ionic frame those tests evaluate."""

import numpy as np
from ase import Atoms
from ase.build import molecule
from ase.calculators.calculator import Calculator, all_changes

from ase_electrolyte.topology import set_topology


def ionic_frame(charges=(1, -1, 0, 0, 0)):
    """Li+, F- and a water in a periodic box, with the box builder's topology arrays."""
    water = molecule("H2O")
    water.positions += [6.0, 6.0, 6.0]
    atoms = Atoms("LiF", positions=[[1.0, 1.0, 1.0], [4.0, 1.5, 1.0]]) + water
    atoms.set_cell([10.0, 10.0, 10.0])
    atoms.pbc = True
    set_topology(atoms, [0, 1, 2, 2, 2], ["Li", "F", "H2O", "H2O", "H2O"], list(charges))
    return atoms


class Bonds(Calculator):
    """Harmonic pairs closer than 1.6 Å, E = 1.25 Σ (r − 1)², counting its calls."""

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self):
        super().__init__()
        self.calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.calls += 1
        a = self.atoms
        d = a.get_all_distances(mic=bool(np.any(a.pbc)), vector=True)
        r = np.linalg.norm(d, axis=-1)
        near = (r > 0) & (r < 1.6)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(near[..., None], 5.0 * (r - 1.0)[..., None] * d / r[..., None], 0.0)
        self.results = {"energy": 1.25 * float(np.sum(np.where(near, (r - 1.0) ** 2, 0.0))),
                        "forces": np.sum(g, axis=0), "stress": np.zeros(6)}
