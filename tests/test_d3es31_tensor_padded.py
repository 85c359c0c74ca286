"""D3.compute_tensor (the CUDA path, run on its host build) for molecules, slabs and wires.

They run in the padded 3D cell of :meth:`D3.calculate` (cell lists, O(N)), not the
all-pairs loop over the lattice translations (O(N^2) times the translations). Oracles:
simple-dftd3 (``dftd3``) and the CPU kernel through ASE's ``calculate``; the padding depends
on the positions, so a structure that breathes, drifts or grows across calls must still
equal the CPU kernel at every call.
"""

import numpy as np
import pytest
from ase import Atoms
from test_d3 import reference

from ase_electrolyte import native_build
from ase_electrolyte.d3 import D3, backend

pytestmark = pytest.mark.cuda_host

torch = pytest.importorskip("torch")

KW = dict(cutoff=9.3, cn_cutoff=6.1)


@pytest.fixture(scope="module", autouse=True)
def cuda_host():
    try:
        backend.cpu_library()
        backend.cuda_host_library()
    except native_build.NativeBuildError as err:
        pytest.fail(f"the cuda_host tests need the host builds of the D3 kernels: {err}",
                    pytrace=False)
    backend.set_cuda_host("host", "shuffled", seed=3)
    yield
    backend.set_cuda_host(None)


def _cluster(n, seed, spacing=2.3):
    """``n`` atoms of H, Li, C, O and F on a jittered grid (no two closer than ~1.3 Å)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(n ** (1 / 3)))
    grid = np.array(list(np.ndindex(side, side, side)))[:n] * spacing
    positions = grid + rng.uniform(-0.4, 0.4, grid.shape)
    return Atoms(numbers=rng.choice([1, 3, 6, 8, 9], n), positions=positions)


def molecule():
    return _cluster(60, seed=1)  # ~9 Å across: wider than the cutoffs below


def _lattice_cluster(cell, counts, seed):
    """A jittered grid of ``counts`` points along the rows of ``cell`` (periodic with it)."""
    rng = np.random.default_rng(seed)
    grid = np.array(list(np.ndindex(*counts))) / counts
    positions = grid @ np.asarray(cell) + rng.uniform(-0.3, 0.3, (len(grid), 3))
    return Atoms(numbers=rng.choice([1, 3, 6, 8, 9], len(grid)), positions=positions, cell=cell)


def slab():
    # the non-periodic vector is tilted and shorter than the slab: the padding replaces it
    atoms = _lattice_cluster([[6.9, 0.0, 0.0], [2.1, 6.6, 0.0], [1.0, -0.5, 9.2]], (3, 3, 4), 2)
    atoms.pbc = (True, True, False)
    return atoms


def wire():
    atoms = _lattice_cluster([[6.9, 0.0, 0.0], [0.0, 6.9, 0.0], [0.3, 0.2, 6.9]], (3, 3, 3), 3)
    atoms.pbc = (False, False, True)
    return atoms


def vacuum_3d(atoms):
    """The same structure 3D-periodic, its non-periodic vectors replaced by orthogonal ones
    with 40 Å of vacuum (beyond every cutoff here): simple-dftd3 1.7 with pbc=(T, T, F) gave
    -2.325 eV for a slab whose energy is -2.725 eV (ours, and its own in 3D with vacuum)."""
    atoms = atoms.copy()
    if not atoms.pbc.any():
        return atoms
    from ase_electrolyte.d3.calculator import _padded_cell

    atoms.cell = _padded_cell(atoms.positions, atoms.cell[:], atoms.pbc, 40.0)
    atoms.pbc = True
    return atoms


def tensor(calc, atoms, positions=None):
    pos = torch.tensor(atoms.positions if positions is None else positions)
    out = calc.compute_tensor(pos, atoms.numbers, atoms.cell, atoms.pbc)
    return {key: value.numpy() for key, value in out.items()}


def cpu(atoms, **kwargs):
    atoms = atoms.copy()
    atoms.calc = D3(device="cpu", **kwargs)
    out = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
    if atoms.pbc.any():
        out["stress"] = atoms.get_stress()
    return out


def assert_same(got, expected, rel=1e-10):
    assert float(got["energy"]) == pytest.approx(expected["energy"], rel=rel)
    for key in ("forces", "stress"):
        if expected.get(key) is not None:
            scale = np.abs(expected[key]).max()
            assert np.abs(got[key] - expected[key]).max() <= rel * scale, key


@pytest.mark.parametrize("make", [molecule, slab, wire])
@pytest.mark.parametrize("damping,atm", [("bj", False), ("zero", True)])
def test_tensor_path_equals_cpu_and_simple_dftd3(make, damping, atm):
    atoms = make()
    # atm_cutoff only with the ATM term (refused without it)
    kwargs = dict(KW, damping=damping, atm=atm, **({"atm_cutoff": 7.4} if atm else {}))
    backend.cuda_host_visits()
    got = tensor(D3(device="cuda", **kwargs), atoms)
    # the binned passes ran (the all-pairs loop counts no visits)
    assert backend.cuda_host_visits() > 0
    assert_same(got, cpu(atoms, **kwargs))
    ref_kwargs = dict(KW, atm=atm, atm_cutoff=7.4) if atm else dict(KW)
    energy, forces, _ = reference(vacuum_3d(atoms), damping, "pbe", **ref_kwargs)
    assert_same(got, {"energy": energy, "forces": forces})


@pytest.mark.parametrize("make", [molecule, slab])
def test_padding_follows_breathing_drifting_and_growing_structures(make):
    # one calculator over calls whose positions need another padding (kept within a margin,
    # then sized anew): every call equals the CPU kernel on its own positions, also after a
    # molecule shrinks within every cutoff (the all-pairs loop) and grows back
    atoms = make()
    calc = D3(device="cuda", **KW)
    centre = atoms.positions.mean(axis=0)
    rng = np.random.default_rng(7)
    for scale, shift in ((1.0, 0.0), (1.02, 3.0), (1.6, -40.0), (1.0, 0.0), (0.3, 5.0),
                         (1.1, 0.0)):
        moved = atoms.copy()
        moved.positions = (centre + scale * (atoms.positions - centre) + shift
                           + rng.normal(scale=0.05, size=atoms.positions.shape))
        if scale < 1 and moved.pbc.any():
            continue  # a slab compressed 0.3x in-plane would overlap its images
        assert_same(tensor(calc, moved), cpu(moved, **KW))


def test_molecule_refusals_as_calculate():
    # a molecule that every cutoff spans runs the all-pairs loop in both paths; the same
    # limit and message refuse it when the pairs are too many, before the kernel
    atoms = molecule()
    kwargs = dict(cutoff=1e6, cn_cutoff=1e6)
    got = tensor(D3(device="cuda", **kwargs), atoms)
    assert_same(got, cpu(atoms, **kwargs))
    import ase_electrolyte.d3.calculator as module

    saved = module.MAX_PAIR_IMAGES
    module.MAX_PAIR_IMAGES = 100.0
    try:
        for run in (lambda: tensor(D3(device="cuda", **kwargs), atoms),
                    lambda: cpu(atoms, **kwargs)):
            with pytest.raises(ValueError, match="spans this whole 60-atom molecule"):
                run()
    finally:
        module.MAX_PAIR_IMAGES = saved


@pytest.mark.parametrize("make", [slab, wire])
def test_tail_correction_in_the_padded_frame(make):
    # the tail's cell frame turns with the padded cell's rotation, as the positions do
    atoms = make()
    kwargs = dict(KW, tail_correction=True, smooth_cutoff=2.0)
    with pytest.warns(UserWarning):  # a thick slab/wire: the tail's approximation is named
        got = tensor(D3(device="cuda", **kwargs), atoms)
    with pytest.warns(UserWarning):
        expected = cpu(atoms, **kwargs)
    assert_same(got, expected)
