"""D3 probes of d3elec23: a slab whose non-periodic cell vector is skewed, and the hard
three-body cutoff that simple-dftd3 has by default.

A slab (pbc=(True, True, False)) is its two periodic vectors and its atoms: the third cell
vector, whatever its length or tilt, must not change a number. simple-dftd3 1.7 counts the
images of a tilted third vector's cell and misses some (LiF in a 3.2 Å cell tilted 60°:
1.2e-3 relative), so the reference is taken with the third vector along the normal.

simple-dftd3's three-body cutoff is hard by default (its ``width3`` is 0): a triple whose
longest side crosses ``atm_cutoff`` drops out and the energy jumps by its term. Ours must do
the same (documented on D3's ``atm_cutoff``), on both sides of the cutoff, with forces that are
the derivative of the energy away from it.
"""

import numpy as np
import pytest
from ase import Atoms
from test_d3 import reference

from ase_electrolyte.d3 import D3

pytest.importorskip("dftd3.interface")

TILTED = np.array([[3.2, 0.0, 0.0], [3.0, 1.4, 0.0], [2.8, 1.1, 1.5]])
KW = {"cutoff": 14.0, "cn_cutoff": 10.0, "atm_cutoff": 8.0}


def _slab(third):
    cell = TILTED.copy()
    cell[2] = third
    atoms = Atoms("LiF", positions=[[0.0, 0.0, 0.0], [3.1, 1.3, 1.0]], cell=cell,
                  pbc=[True, True, False])
    return atoms


def _ours(atoms, **options):
    if not options.get("atm"):
        options.pop("atm_cutoff", None)  # refused without the ATM term (it changes nothing)
    work = atoms.copy()
    work.calc = D3(device="cpu", **options)
    return work.get_potential_energy(), work.get_forces()


@pytest.mark.parametrize("atm", [False, True])
def test_a_slab_does_not_depend_on_its_non_periodic_vector(atm):
    normal = np.cross(TILTED[0], TILTED[1])
    normal /= np.linalg.norm(normal)
    results = [_ours(_slab(third), atm=atm, **KW)
               for third in (TILTED[2], 20.0 * normal, 3.0 * normal + [5.0, -7.0, 0.0])]
    for energy, forces in results[1:]:
        assert energy == pytest.approx(results[0][0], rel=1e-13)
        assert np.abs(forces - results[0][1]).max() < 1e-13
    e_ref, f_ref, _ = reference(_slab(20.0 * normal), atm=atm, **KW)
    assert results[0][0] == pytest.approx(e_ref, rel=1e-12)
    assert np.abs(results[0][1] - f_ref).max() < 1e-12


def _triple(x):
    # Ar-Ar 4.0 Å and ~4.1 Å; the third side, x, is the longest: only it crosses 8 Å
    return Atoms("Ar3", positions=[[0.0, 0.0, 0.0], [4.0, 0.3, 0.0], [x, 0.0, 0.4]])


def test_the_three_body_cutoff_is_hard_as_simple_dftd3s_default():
    cutoff = 8.0
    # the side r13 = sqrt(x^2 + 0.16) straddles the cutoff
    x_in, x_out = np.sqrt((cutoff - 1e-6) ** 2 - 0.16), np.sqrt((cutoff + 1e-6) ** 2 - 0.16)
    energies = {}
    for name, x in (("in", x_in), ("out", x_out)):
        atoms = _triple(x)
        energies[name] = {atm: _ours(atoms, atm=atm, atm_cutoff=cutoff)[0]
                          for atm in (False, True)}
        e_ref, _, _ = reference(atoms, atm=True, atm_cutoff=cutoff)
        assert energies[name][True] == pytest.approx(e_ref, rel=1e-12)
    # outside, the triple is gone: the ATM energy is exactly the two-body one's
    assert energies["out"][True] == energies["out"][False]
    jump = energies["in"][True] - energies["in"][False]
    # the triple's term at the cutoff (-3.8e-5 eV here) against the two-body energy's change
    # over the 2e-6 Å move (1.8e-8 eV): a switched cutoff would leave ~1e-10 eV
    assert abs(jump) > 1e-5
    two_body_change = abs(energies["in"][False] - energies["out"][False])
    assert two_body_change < 1e-2 * abs(jump)


def test_forces_inside_the_three_body_cutoff_are_the_energys_derivative():
    atoms = _triple(7.0)
    options = {"atm": True, "atm_cutoff": 8.0}
    _, forces = _ours(atoms, **options)
    h = 1e-4
    for index, axis in ((0, 0), (2, 0), (1, 1), (2, 2)):
        energies = []
        for step in (h, -h):
            moved = atoms.copy()
            moved.positions[index, axis] += step
            energies.append(_ours(moved, **options)[0])
        assert -(energies[0] - energies[1]) / (2 * h) == pytest.approx(
            forces[index, axis], abs=1e-10)
