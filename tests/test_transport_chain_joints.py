"""Joined files (a ChainReader) that store the atoms in different orders are refused before
the pass; joined files in one order are analysed as one run.

A restart written in another atom order puts every reordered ion on another ion's place at the
joint. Unwrapped by minimum image this read as motion: D(Li⁺) = 0.86 ± 0.80 Å²/ps, "valid",
for 0.1 (20 of 40 ions reordered in the second of two files).
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, OnsagerCoefficients
from mda_electrolyte.ion_collection import JOINT_JUMP_RATIO

N, N_FRAMES, DT, TAU, S, BOX, JOINT = 20, 2000, 0.05, 0.1, 1.0, 30.0, 1100


def _write_chain(folder, perm=None, joint=JOINT, step_scale=1.0, seed=5, n_solvent=0):
    """Topology and two XTC files split at ``joint``; the second stores atom ``perm[i]`` at
    place ``i``. ``step_scale`` multiplies the velocities (and so the frame steps)."""
    rng = np.random.default_rng(seed)
    n_atoms = 2 * N + n_solvent
    v = ornstein_uhlenbeck(rng, N_FRAMES, (n_atoms, 3), TAU, DT, S * step_scale)
    x = integrate(v, DT) + rng.uniform(0, BOX, size=(1, n_atoms, 3))
    u = salt_universe(v[:, : 2 * N], x[:, : 2 * N] % BOX, n_cations=N, dt=DT, box=BOX)
    if n_solvent:
        u = mda.Merge(u.atoms, _solvent(n_solvent).atoms)
        u.load_new((x % BOX).astype(np.float32), dt=DT, dimensions=[BOX] * 3 + [90.0] * 3)
    names = list(u.atoms.names)
    u.add_TopologyAttr("resids", np.arange(1, u.atoms.n_residues + 1))
    u.add_TopologyAttr("elements", ["Li" if n == "Li" else "F" for n in names])
    u.atoms.write(folder / "top.pdb")
    perm = np.arange(n_atoms) if perm is None else perm
    for k, (a, b) in enumerate(((0, joint), (joint, N_FRAMES))):
        with mda.Writer(str(folder / f"part{k}.xtc"), n_atoms) as w:
            for _ in u.trajectory[a:b]:
                if k == 1:
                    u.atoms.positions = u.atoms.positions[perm]
                w.write(u.atoms)
    return folder


def _solvent(n):
    s = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    s.add_TopologyAttr("names", ["O"] * n)
    s.add_TopologyAttr("resnames", ["SOL"] * n)
    s.add_TopologyAttr("masses", [16.0] * n)
    s.add_TopologyAttr("formalcharges", [0.0] * n)
    return s


def _universe(folder):
    u = mda.Universe(str(folder / "top.pdb"), [str(folder / "part0.xtc"),
                                                str(folder / "part1.xtc")])
    u.add_TopologyAttr("masses", [6.94 if n == "Li" else 19.0 for n in u.atoms.names])
    u.add_TopologyAttr("formalcharges",
                       [1.0 if n == "Li" else (-1.0 if n == "A" else 0.0)
                        for n in u.atoms.names])
    return u


def _li_reordered(rng):
    perm = np.arange(2 * N)
    perm[:N] = rng.permutation(N)
    assert np.any(perm[:N] != np.arange(N))
    return perm


@pytest.mark.parametrize("analysis", ["diffusion", "einstein_helfand", "onsager"])
def test_atoms_stored_in_another_order_are_refused_before_the_pass(tmp_path, analysis):
    u = _universe(_write_chain(tmp_path, _li_reordered(np.random.default_rng(0))))
    make = {
        "diffusion": lambda: Diffusion(u, IONS, unwrap=True),
        "einstein_helfand": lambda: EinsteinHelfandConductivity(u, IONS, temperature=300.0,
                                                                unwrap=True),
        "onsager": lambda: OnsagerCoefficients(u, IONS, temperature=300.0, unwrap=True),
    }[analysis]()
    frame = u.trajectory.ts.frame
    with pytest.raises(ValueError, match="different orders") as err:
        make.run()
    message = str(err.value)
    assert "part0.xtc" in message and "part1.xtc" in message
    assert f"frames {JOINT - 1} to {JOINT}" in message
    # nothing was computed, and the trajectory is left where it was
    assert not make.results
    assert u.trajectory.ts.frame == frame


def test_the_same_files_in_one_order_give_the_exact_d(tmp_path):
    u = _universe(_write_chain(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(u, IONS, unwrap=True).run().results.diffusion_coefficient
    for est in d.values():
        assert est.valid, est
        assert abs(est.value - S**2 * TAU) < 4 * est.stderr, est


def test_a_selection_ending_before_the_joint_is_not_judged_by_it(tmp_path):
    u = _universe(_write_chain(tmp_path, _li_reordered(np.random.default_rng(1))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(u, IONS, unwrap=True).run(stop=JOINT).results
    assert d.diffusion_coefficient["Li"].valid


def test_reordered_atoms_outside_the_analysis_are_not_its_concern(tmp_path):
    n_sol = 10
    perm = np.arange(2 * N + n_sol)
    perm[2 * N:] = 2 * N + np.random.default_rng(2).permutation(n_sol)
    u = _universe(_write_chain(tmp_path, perm, n_solvent=n_sol))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(u, IONS, unwrap=True).run().results.diffusion_coefficient
    assert d["Li"].valid and d["AN"].valid
    with pytest.raises(ValueError, match="different orders"):
        Diffusion(u, {**IONS, "SOL": "resname SOL"}, unwrap=True).run()


@pytest.mark.parametrize("seed", range(4))
def test_joints_of_one_order_pass_whatever_the_chance_displacement(tmp_path, seed):
    # the joint step is one more frame step: the largest of 40 atoms' steps stays far below
    # JOINT_JUMP_RATIO times their RMS whatever the seed
    u = _universe(_write_chain(tmp_path, seed=10 + seed, joint=700 + 37 * seed))
    Diffusion(u, IONS, unwrap=True)._collectors[0]._check_selection()
    assert JOINT_JUMP_RATIO >= 10


def test_frames_too_far_apart_to_tell_a_reorder_from_motion_pass(tmp_path):
    # steps of ~8 Å RMS: a reorder cannot be told from motion (and is not claimed to be)
    u = _universe(_write_chain(tmp_path, _li_reordered(np.random.default_rng(3)),
                               step_scale=60.0))
    Diffusion(u, IONS, unwrap=True)._collectors[0]._check_selection()
