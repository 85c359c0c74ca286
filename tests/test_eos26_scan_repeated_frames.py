"""Volume scans of one frame given several times, and the rigid scan of broken molecules.

Rows of a scan that do not differ are not independent samples: ``[atoms] * 5`` was reported
as its energies ± 0 (valid), and the minimum's s0 and bulk modulus likewise.
"""

import numpy as np
from ase import Atoms
from ase.calculators.lj import LennardJones
from ase.units import GPa
from test_mlip23_volume_scan_virial import _dimers

from mda_electrolyte.volume_scan import (
    RigidVolumeScan,
    rigid_scaled_atoms,
    scan_estimates,
    scan_minimum,
)

SCALES = np.array([0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2])


def test_one_frame_repeated_has_no_error_over_frames():
    calc = LennardJones(sigma=1.0, epsilon=0.01, rc=3.0, smooth=True)
    atoms = _dimers(1)
    scan = RigidVolumeScan([atoms] * 5, calc, scales=[0.95, 1.0, 1.1]).run()
    for table in scan.results.estimates.values():
        for est in table.values():
            assert not est.valid and "no scatter" in est.verdict
    # six different frames (five of 8 dimers cannot show their correlation): valid means
    # with errors of their scatter
    scan = RigidVolumeScan([_dimers(seed) for seed in range(6)], calc,
                           scales=[0.95, 1.0, 1.1]).run()
    est = scan.results.estimates["total"]["1"]
    assert est.valid and est.stderr > 0
    frames = scan.results.total[:, 1]
    expected = np.std(frames, ddof=1) / np.sqrt(frames.size)
    assert expected <= est.stderr <= 1.5 * expected   # t-scaled over 5 dof


def test_repeated_curve_minimum_is_not_valid_but_exact():
    curve = 5000.0 * (SCALES - 1.02) ** 2 - 30.0    # meV/atom
    volumes = np.tile(1000.0 * SCALES**3, (6, 1))
    m = scan_minimum(SCALES, volumes, np.tile(curve, (6, 1)), 100)
    # B0 = E''(s0) / (9 s0 V1) of the analytic parabola
    bulk = 2 * 5000.0 * 100 / 1000.0 / (9 * 1.02 * 1000.0) / GPa
    assert abs(m["scale"].value - 1.02) < 1e-9
    assert abs(m["bulk_modulus"].value - bulk) < 1e-7 * bulk
    for est in m.values():
        assert not est.valid and "no scatter" in est.verdict
    assert not scan_estimates(np.tile(curve, (6, 1)), SCALES)["1"].valid


def test_minimum_errors_cover_over_replicas():
    # frames that each have their own well (curvature 5 %, minimum 0.005 in s): the jackknife
    # over 8 frames covers the population's minimum at the nominal rate
    rng = np.random.default_rng(1)
    volumes = np.tile(1000.0 * SCALES**3, (8, 1))
    bulk = 2 * 5000.0 * 100 / 1000.0 / (9 * 1.02 * 1000.0) / GPa
    hits = []
    for _ in range(200):
        c = 5000.0 * (1 + 0.05 * rng.normal(size=(8, 1)))
        s0 = 1.02 + 0.005 * rng.normal(size=(8, 1))
        m = scan_minimum(SCALES, volumes, c * (SCALES - s0) ** 2 - 30.0, 100)
        lo, hi = m["scale"].interval(0.95)
        blo, bhi = m["bulk_modulus"].interval(0.95)
        hits.append((lo <= 1.02 <= hi, blo <= bulk <= bhi))
    cover = np.mean(hits, axis=0)
    assert np.all((cover >= 0.90) & (cover <= 0.99)), cover


def test_broken_molecules_scaled_rigidly_in_a_triclinic_box():
    rng = np.random.default_rng(3)
    cell = np.array([[9.0, 0, 0], [2.5, 8.5, 0], [1.0, 1.5, 8.0]])
    water = np.array([[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    positions = []
    for _ in range(6):
        rot = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        positions += list(rng.uniform(0, 1, 3) @ cell + water @ rot.T)
    atoms = Atoms("OH2" * 6, positions=positions, cell=cell, pbc=True)
    atoms.wrap()    # molecules broken across the faces
    ids = np.repeat(np.arange(6), 3)
    before = atoms.positions.copy()
    for s in (0.9, 1.0, 1.3, 2.0):
        scaled = rigid_scaled_atoms(atoms, ids, s)
        np.testing.assert_allclose(scaled.cell.array, s * cell, rtol=0, atol=1e-12)
        for m in range(6):
            idx = np.flatnonzero(ids == m)
            inside = atoms.get_distances(idx[0], idx, mic=True, vector=True)
            np.testing.assert_allclose(scaled.positions[idx] - scaled.positions[idx[0]],
                                       inside, rtol=0, atol=1e-12)
        # centres of mass scaled by s (of the whole molecules)
        com = np.array([scaled[ids == m].get_center_of_mass() for m in range(6)])
        whole = np.array([atoms.positions[idx[0]] + atoms.get_distances(
            idx[0], idx, mic=True, vector=True) for idx in
            (np.flatnonzero(ids == m) for m in range(6))])
        com1 = np.array([np.average(w, axis=0, weights=atoms.get_masses()[:3])
                         for w in whole])
        np.testing.assert_allclose(com, s * com1, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(atoms.positions, before)
