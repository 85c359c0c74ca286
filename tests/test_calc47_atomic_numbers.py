"""Atomic numbers given to ``qrd_charges`` and ``D3.compute_tensor`` are checked, not cast.

``qrd_charges`` read its ``numbers`` with ``np.asarray(numbers, dtype=int).reshape(-1)``: 8.5 was
truncated to oxygen, ``[True, True]`` were two hydrogens, a (1, 3) table was flattened, a scalar
was one atom, ``"O"`` ended in "invalid literal for int()", Z=200 in an ``IndexError`` and Z=-1 in
"no QRd parameters for the element(s) Og". ``D3.compute_tensor`` took ``[True, 1]`` (numpy reads
it as integers) as two hydrogens. Fixed charges given as ``[True, -1.0]`` were read as
``[1.0, -1.0]``.
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.calculator_charges import atomic_number_values, charge_values
from ase_electrolyte.electrostatics import COULOMB, Electrostatics, qrd_charges

_QRD = {"O": (-0.8, 1.0), "H": (0.4, 1.0), "X": (0.0, 1.0)}

_BAD = [
    ([8.5, 1, 1], "must be integer atomic numbers"),
    ([True, True, False], "must be integer atomic numbers, not bool"),
    ([True, 1, 1], "must be integer atomic numbers, not bool"),
    ([8, np.True_, 1], "must be integer atomic numbers, not bool"),
    (np.array([True, True]), "must be integer atomic numbers, not bool"),
    (["O", "H", "H"], "must be integer atomic numbers"),
    ([8, 1, np.nan], "must be integer atomic numbers"),
    ([8, 1, np.inf], "must be integer atomic numbers"),
    ([[8, 1, 1]], r"one atomic number per atom \(1D\), not shape \(1, 3\)"),
    (8, r"one atomic number per atom \(1D\), not shape \(\)"),
    ([200, 1, 1], r"hold\(s\) \[200\], no atomic number"),
    ([-1, 1, 1], r"hold\(s\) \[-1\], no atomic number"),
    ([119, 1], r"hold\(s\) \[119\], no atomic number"),
    ([2**40, 1], "no atomic number"),
]


@pytest.mark.parametrize("numbers, match", _BAD)
def test_qrd_charges_refuses_what_is_no_list_of_atomic_numbers(numbers, match):
    with pytest.raises(ValueError, match=match):
        qrd_charges(numbers, _QRD)


@pytest.mark.parametrize(
    "numbers",
    [
        [8, 1, 1],
        (8, 1, 1),
        np.array([8, 1, 1], np.int8),
        np.array([8, 1, 1], np.uint64),
        [8.0, 1.0, 1.0],
        np.array([8.0, 1.0, 1.0], np.float32),
        [np.int64(8), np.int32(1), 1],
    ],
)
def test_qrd_charges_reads_atomic_numbers_of_any_integer_type(numbers):
    q = qrd_charges(numbers, _QRD, total_charge=1.0)
    # b + s (Q - sum b) / sum s: -0.8 + (1 - 0) / 3 and 0.4 + 1/3
    assert q.tolist() == pytest.approx([-0.8 + 1 / 3, 0.4 + 1 / 3, 0.4 + 1 / 3], abs=1e-15)


def test_qrd_charges_of_a_ghost_atom_and_of_no_atoms():
    assert qrd_charges([0, 0], _QRD, total_charge=1.0).tolist() == pytest.approx([0.5, 0.5])
    assert qrd_charges([], _QRD).shape == (0,)


@pytest.mark.parametrize("numbers, match", _BAD)
def test_atomic_number_values_names_the_argument(numbers, match):
    with pytest.raises(ValueError, match="^atomic numbers of the frame"):
        atomic_number_values(numbers, "atomic numbers of the frame")


@pytest.mark.parametrize("charges", [[True, -1.0], (1.0, np.False_), [np.True_, -1]])
def test_charges_holding_a_bool_are_refused(charges):
    with pytest.raises(ValueError, match="must hold finite numbers"):
        charge_values(charges, "the fixed charges")
    with pytest.raises(ValueError, match="must hold finite numbers"):
        Electrostatics(scheme="fixed", charges=charges)


def test_electrostatics_qrd_energy_is_unchanged_for_a_real_structure():
    atoms = Atoms("NaCl", positions=[[0, 0, 0], [2.5, 0, 0]])
    atoms.calc = Electrostatics(scheme="qrd", qrd={"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)})
    # two unit charges 2.5 Å apart: -e²/(4πε₀ r)
    assert atoms.get_potential_energy() == pytest.approx(-COULOMB / 2.5, rel=1e-12)


@pytest.mark.cuda_host
def test_d3_compute_tensor_refuses_a_bool_among_the_numbers():
    torch = pytest.importorskip("torch")
    from ase_electrolyte.d3 import D3, backend

    backend.set_cuda_host("host")
    try:
        calc = D3(device="cuda")
        positions = torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]], dtype=torch.float64)
        with pytest.raises(ValueError, match="must be integer atomic numbers, not bool"):
            calc.compute_tensor(positions, [True, 1])
        with pytest.raises(ValueError, match=r"hold\(s\) \[200\], no atomic number"):
            calc.compute_tensor(positions, [200, 1])
        out = calc.compute_tensor(positions, torch.tensor([1, 1]))
        reference = Atoms("H2", positions=positions.numpy())
        reference.calc = D3(device="cpu")
        assert float(out["energy"]) == pytest.approx(reference.get_potential_energy(), rel=1e-10)
    finally:
        backend.set_cuda_host(None)
