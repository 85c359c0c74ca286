"""``D3.compute_tensor`` reads ``cell`` as ASE's ``Atoms(cell=...)`` does, and refuses the rest
by name (run on the host build of the CUDA kernel, as ``test_d3_cuda_host``).

Three lengths, the form ``Atoms(cell=[a, b, c])`` takes, ended in numpy's "1-dimensional
array given. Array must be at least two-dimensional"; a cell of flags was read as 1 Å.
"""

import numpy as np
import pytest
import torch
from ase.build import bulk

from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.d3 import D3, backend

A = 5.64


@pytest.fixture(scope="module")
def setup():
    backend.set_cuda_host("host")
    try:
        calc = D3(device="cuda", cutoff=10.0, cn_cutoff=8.0, smooth_cutoff=1.0)
        atoms = bulk("NaCl", "rocksalt", a=A, cubic=True)
        atoms.rattle(0.05, seed=0)
        positions = torch.tensor(atoms.positions)
        reference = calc.compute_tensor(positions, atoms.numbers, atoms.cell, atoms.pbc)
        yield calc, atoms, positions, reference
    finally:
        backend.set_cuda_host(None)


@pytest.mark.parametrize("cell", [
    [A, A, A], (A, A, A), np.array([A, A, A]), [A, A, A, 90, 90, 90], np.diag([A, A, A]),
    [[A, 0, 0], [0, A, 0], [0, 0, A]], torch.tensor([A, A, A], dtype=torch.float64),
], ids=["list-3", "tuple-3", "array-3", "cellpar-6", "matrix", "nested-list", "tensor-3"])
def test_every_cell_form_ase_reads_gives_the_matrix_result(setup, cell):
    calc, atoms, positions, reference = setup
    backend.set_cuda_host("host")
    try:
        out = calc.compute_tensor(positions, atoms.numbers, cell, True)
    finally:
        backend.set_cuda_host(None)
    assert float(out["energy"]) == pytest.approx(float(reference["energy"]), abs=1e-12)
    assert torch.allclose(out["forces"], reference["forces"], atol=1e-12)
    assert torch.allclose(out["stress"], reference["stress"], atol=1e-14)


@pytest.mark.parametrize("cell, match", [
    ([[True] * 3] * 3, "cell must be numbers .*not bool"),
    ([[A, 0, 0], [0, A, 0], [0, 0, np.True_]], "not bool"),
    ("abc", "cell must be numbers"),
    ([A, A], "three lengths or six cell parameters .*shape \\(2,\\)"),
    ([[A, 0, 0], [0, A, 0]], "shape \\(2, 3\\)"),
    (np.full(3, np.nan), "non-finite"),
    (np.zeros((3, 3, 1)), "shape \\(3, 3, 1\\)"),
], ids=["flags", "one-flag", "text", "two-lengths", "two-rows", "nan", "3d"])
def test_a_cell_of_another_kind_is_refused_by_name(setup, cell, match):
    calc, atoms, positions, _ = setup
    backend.set_cuda_host("host")
    try:
        with pytest.raises(InputError, match=match):
            calc.compute_tensor(positions, atoms.numbers, cell, True)
    finally:
        backend.set_cuda_host(None)
