"""A tiny molecule-aware ASE calculator for the diagnostics' tests (not a test module).

E = Σ_{i<j in one molecule} k/2 (r_ij − r0)²
    + Σ_{pairs in different molecules or images} 4ε((σ/r)¹² − (σ/r)⁶)

With ``r0="initial"`` each intramolecular pair's r0 is its distance at the first evaluation (an
elastic network that keeps every molecule's shape: a cheap stand-in for an MLIP in a run whose
molecules must stay whole). The harmonic term uses the direct (whole-molecule) vector of every
intramolecular pair; the
Lennard-Jones term runs over all pairs within ``rc`` (periodic images included) except those
direct intramolecular pairs, so it is exactly the intermolecular energy.
"""

import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.neighborlist import neighbor_list


def _whole(positions, ids, cell, pbc):
    """Each molecule made whole atom by atom: the next atom is the one closest (minimum image)
    to an atom already placed, put at that image (a chain longer than half the box, EMC in
    the demo's 10.8 Å box, is not whole about its first atom alone)."""
    pos = positions.copy()
    if not np.any(pbc):
        return pos
    inv = np.linalg.inv(cell)
    for j in np.unique(ids):
        idx = list(np.flatnonzero(ids == j))
        placed, rest = [idx[0]], idx[1:]
        while rest:
            d = pos[rest][:, None, :] - pos[placed][None, :, :]
            frac = d @ inv
            frac -= np.round(frac)
            d = frac @ cell
            r = np.linalg.norm(d, axis=2)
            a, b = np.unravel_index(np.argmin(r), r.shape)
            pos[rest[a]] = pos[placed[b]] + d[a, b]
            placed.append(rest.pop(a))
    return pos


class MolecularPairModel(Calculator):
    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(
        self,
        k=20.0,
        r0=1.0,
        epsilon=0.01,
        sigma=2.5,
        rc=6.0,
        scale=1.0,
        fail_on_small=False,
        atomic=False,
    ):
        super().__init__()
        self.k, self.r0, self.epsilon, self.sigma, self.rc = k, r0, epsilon, sigma, rc
        self.scale = scale
        self.fail_on_small = fail_on_small
        self.atomic = atomic  # every atom its own molecule: a plain Lennard-Jones model

    def _pair_r0(self, a, b, r):
        if self.r0 != "initial":
            return self.r0
        initial = self.__dict__.setdefault("_initial_r0", {})
        return initial.setdefault((int(a), int(b)), float(r))

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        n = len(atoms)
        if self.fail_on_small and n < 6:
            raise RuntimeError("this model needs at least 6 atoms")
        if self.atomic:
            ids = np.arange(n)
        else:
            ids = np.asarray(atoms.arrays.get("molecule_index", np.zeros(n, dtype=int)))
        pos = _whole(atoms.positions, ids, atoms.cell.array, atoms.pbc)
        energy = 0.0
        forces = np.zeros((n, 3))
        virial = np.zeros((3, 3))
        # harmonic intramolecular pairs, direct vectors
        for j in np.unique(ids):
            idx = np.flatnonzero(ids == j)
            for a in range(len(idx)):
                for b in range(a + 1, len(idx)):
                    d = pos[idx[b]] - pos[idx[a]]
                    r = np.linalg.norm(d)
                    r0 = self._pair_r0(idx[a], idx[b], r)
                    energy += 0.5 * self.k * (r - r0) ** 2
                    dedr = self.k * (r - r0)
                    f = dedr * d / r  # force on a
                    forces[idx[a]] += f
                    forces[idx[b]] -= f
                    virial += dedr / r * np.outer(d, d)
        # Lennard-Jones over every other pair within rc
        if n > 1:
            probe = atoms.copy()
            probe.positions = pos
            i, jj, D, S = neighbor_list("ijDS", probe, self.rc)
            # the pair's whole-molecule vector, whatever image shift the list gave it (it wraps
            # the positions into the cell first: a molecule across a face has shifted pairs)
            direct = (ids[i] == ids[jj]) & (
                np.linalg.norm(D - (pos[jj] - pos[i]), axis=1) < 1e-6)
            keep = ~direct
            i, jj, D = i[keep], jj[keep], D[keep]
            r = np.linalg.norm(D, axis=1)
            sr6 = (self.sigma / r) ** 6
            energy += 0.5 * np.sum(4 * self.epsilon * (sr6**2 - sr6))
            dedr = 4 * self.epsilon * (-12 * sr6**2 + 6 * sr6) / r
            # the list holds (i, j) and (j, i): adding each pair's force to i alone counts it once
            np.add.at(forces, i, (dedr / r)[:, None] * D)
            virial += 0.5 * np.einsum("p,pa,pb->ab", dedr / r, D, D)
        self.results["energy"] = self.scale * energy
        self.results["free_energy"] = self.scale * energy
        self.results["forces"] = self.scale * forces
        if np.all(atoms.pbc):
            sigma = self.scale * virial / atoms.get_volume()
            self.results["stress"] = sigma[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
