"""Rigid volume scans of unusual boxes, and scan tables given in another order.

A box of one molecule, of ions only, and of chains longer than half the box (crossing its
faces) are scanned exactly: the scaled frame's energy is the calculator's on the rigidly scaled
positions, E_intra the isolated molecules', E_inter their difference. A scan table whose scale
factors come in another order (rows of a CSV file) gave another, wrong minimum, called valid;
a table of another shape failed with an IndexError inside the fit.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.lj import LennardJones

from mda_electrolyte import RigidVolumeScan
from mda_electrolyte.volume_scan import rigid_scaled_atoms, scan_minimum


def _lj():
    # molecule-agnostic and translation invariant; no pair within 1.2 Å of the test boxes
    return LennardJones(sigma=1.2, epsilon=0.01, rc=4.0, smooth=True)


def _energy(atoms):
    a = atoms.copy()
    a.calc = _lj()
    return a.get_potential_energy()


def _check_exact(frames, scales):
    scan = RigidVolumeScan(frames, _lj(), scales=scales).run()
    r = scan.results
    for k, frame in enumerate(frames):
        ids = frame.arrays["molecule_index"]
        n = len(frame)
        # every molecule whole (s = 1 keeps the positions, made whole) and alone, no cell
        whole = rigid_scaled_atoms(frame, ids, 1.0)
        whole.pbc = False
        intra = sum(_energy(whole[ids == j]) for j in np.unique(ids))
        for i, s in enumerate(scales):
            total = _energy(rigid_scaled_atoms(frame, ids, s))
            assert r.total[k, i] == pytest.approx(total * 1000 / n, rel=1e-9, abs=1e-9)
            assert r.inter[k, i] == pytest.approx((total - intra) * 1000 / n, rel=1e-9,
                                                  abs=1e-9)
            assert r.volumes[k, i] == pytest.approx(frame.get_volume() * s**3, rel=1e-12)
    return r


def test_a_box_of_one_molecule_scans_its_own_images():
    m = molecule("CH3OH")
    m.cell, m.pbc = [4.5, 4.5, 4.5], True
    m.center()
    m.arrays["molecule_index"] = np.zeros(len(m), dtype=int)
    r = _check_exact([m], [1.0, 1.2, 3.0])
    # its images within the cutoff at s = 1, none at s = 3
    assert r.inter[0, 0] != 0.0 and r.inter[0, 2] == pytest.approx(0.0, abs=1e-9)


def test_a_box_of_ions_only_has_no_intramolecular_energy():
    rng = np.random.default_rng(0)
    grid = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)]) * 3.0
    ions = Atoms("LiF" * 4, positions=grid + rng.normal(scale=0.1, size=(8, 3)),
                 cell=[6.0, 6.0, 6.0], pbc=True)
    ions.arrays["molecule_index"] = np.arange(8)
    r = _check_exact([ions], [0.9, 1.0, 1.5])
    np.testing.assert_allclose(r.intra, 0.0, atol=1e-12)
    np.testing.assert_allclose(r.inter, r.total, rtol=0, atol=1e-12)


def test_chains_longer_than_half_the_box_are_scanned_whole_wherever_they_sit():
    def frame(shift):
        a = Atoms("C6", positions=[[1.5 * i + shift, 2.0, 2.0 + 0.3 * (i % 2)] for i in range(6)])
        b = Atoms("C6", positions=[[1.5 * i + shift + 3, 7.0, 6.0 + 0.3 * (i % 2)]
                                   for i in range(6)])
        f = a + b
        f.cell, f.pbc = [10.0, 10.0, 10.0], True
        f.arrays["molecule_index"] = np.array([0] * 6 + [1] * 6)
        f.wrap()  # 7.5 Å chains cut by the faces
        return f

    frames = [frame(shift) for shift in (5.0, 6.5, 9.0)]
    r = _check_exact(frames, [0.95, 1.0, 1.5, 3.0])
    # translations of one configuration: the same scan in every frame
    np.testing.assert_allclose(r.total, np.repeat(r.total[:1], 3, axis=0), rtol=1e-9,
                               atol=1e-9)


def _table(seed=0, n_frames=6):
    rng = np.random.default_rng(seed)
    s = np.array([0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3])
    total = np.array([50 * (s - 1.04) ** 2 - 3 + rng.normal(0, 0.02, s.size)
                      for _ in range(n_frames)])
    return s, np.outer(np.ones(n_frames), 1000 * s**3), total


def test_a_scan_table_in_another_order_gives_the_same_minimum():
    s, volumes, total = _table()
    ordered = scan_minimum(s, volumes, total, 100)
    # the fitted minimum of 50 (s - 1.04)² near 1.04
    assert ordered["scale"].value == pytest.approx(1.04, abs=4 * ordered["scale"].stderr)
    for seed in range(3):
        p = np.random.default_rng(seed).permutation(s.size)
        shuffled = scan_minimum(s[p], volumes[:, p], total[:, p], 100)
        for key in ("scale", "bulk_modulus"):
            assert shuffled[key].value == ordered[key].value
            assert shuffled[key].stderr == ordered[key].stderr
            assert shuffled[key].verdict == ordered[key].verdict


@pytest.mark.parametrize("change, message", [
    (lambda s, v, e, n: (s, v, e[:, :3], n), "must hold one row of the 8 scale factors"),
    (lambda s, v, e, n: (s, v[:2], e, n), "must hold one row"),
    (lambda s, v, e, n: (np.r_[s[:-1], s[0]], v, e, n), "distinct finite factors > 0"),
    (lambda s, v, e, n: (-s, v, e, n), "distinct finite factors > 0"),
    (lambda s, v, e, n: (s, -v, e, n), "volumes must be finite and > 0"),
    (lambda s, v, e, n: (s, v, e, 0), "n_atoms must be a whole number >= 1"),
    (lambda s, v, e, n: (s, v, e + 1j, n), "complex"),
])
def test_scan_tables_that_do_not_fit_together_are_named(change, message):
    s, volumes, total = _table()
    with pytest.raises(ValueError, match=message):
        scan_minimum(*change(s, volumes, total, 100))
