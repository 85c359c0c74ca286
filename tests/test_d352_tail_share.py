"""A cutoff so short that ``tail_correction`` carries much of the dispersion energy.

Before: ``D3(cutoff=2.0, tail_correction=True)`` on NaCl returned -13.45 eV without a word,
all of it from the homogeneous estimate (no Na-Cl pair lies within 2 Å; the energy at a 60 Å
cutoff is -13.73 eV), and 193 atoms of an electrolyte-like box at 4 Å were 37 % tail. Now a
TailShareWarning names the share whenever it exceeds TAIL_MAX_SHARE.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from d3_structures import electrolyte_like_box

from ase_electrolyte.d3 import D3, InhomogeneousTailWarning, TailShareWarning, backend
from ase_electrolyte.d3.calculator import TAIL_MAX_SHARE


def nacl():
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    return atoms


def liquid():
    return electrolyte_like_box(3, 5.0)


def nacl_slab():
    atoms = nacl()
    atoms.pbc = (True, True, False)
    atoms.cell[2] = [0.0, 0.0, 40.0]
    return atoms


STRUCTURES = {"nacl": nacl, "liquid": liquid, "slab": nacl_slab}


def energy(atoms, **kwargs):
    """Energy and the TailShareWarnings of one calculation."""
    atoms = atoms.copy()
    atoms.calc = D3(device="cpu", cn_cutoff=10.0, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e = atoms.get_potential_energy()
    return e, [w for w in caught if issubclass(w.category, TailShareWarning)]


@pytest.mark.parametrize("name", list(STRUCTURES))
@pytest.mark.parametrize("cutoff, smooth", [(1.5, None), (3.0, None), (4.0, None),
                                            (7.0, 5.0), (12.0, None), (16.0, 2.0)])
def test_warned_exactly_when_the_tail_carries_more_than_its_share(name, cutoff, smooth):
    atoms = STRUCTURES[name]()
    plain, none = energy(atoms, cutoff=cutoff, smooth_cutoff=smooth)
    corrected, marks = energy(atoms, cutoff=cutoff, smooth_cutoff=smooth,
                              tail_correction=True)
    assert not none
    share = abs(corrected - plain) / abs(corrected)
    assert bool(marks) == (share > TAIL_MAX_SHARE), share
    if marks:
        assert len(marks) == 1
        assert f"carries {share:.0%} of the dispersion energy" in str(marks[0].message)


def test_a_warned_tail_is_indeed_far_off_and_an_unwarned_one_close():
    """The threshold is about accuracy: against a 60 Å cutoff, the warned 4 Å correction of
    NaCl is off by more than 2 %, the unwarned 12 Å one by less than 0.5 %."""
    atoms = nacl()
    reference, _ = energy(atoms, cutoff=60.0)
    short, marks = energy(atoms, cutoff=4.0, tail_correction=True)
    long, none = energy(atoms, cutoff=12.0, tail_correction=True)
    assert marks and not none
    assert abs(short / reference - 1) > 0.02
    assert abs(long / reference - 1) < 0.005


def test_warned_once_per_calculator_until_the_options_change():
    atoms = nacl()
    atoms.calc = D3(device="cpu", cutoff=3.0, cn_cutoff=10.0, tail_correction=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        atoms.get_potential_energy()
        atoms.rattle(0.01, seed=2)
        atoms.get_potential_energy()
        atoms.calc.set(cutoff=3.5)
        atoms.get_potential_energy()
    marks = [w for w in caught if issubclass(w.category, TailShareWarning)]
    assert len(marks) == 2
    assert not any(issubclass(w.category, InhomogeneousTailWarning) for w in caught)


@pytest.mark.cuda_host
@pytest.mark.parametrize("cutoff, warned", [(3.0, True), (12.0, False)])
def test_compute_tensor_warns_as_calculate(cutoff, warned):
    torch = pytest.importorskip("torch")
    atoms = nacl()
    backend.set_cuda_host("host")
    try:
        calc = D3(device="cuda", cutoff=cutoff, cn_cutoff=10.0, tail_correction=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = calc.compute_tensor(torch.tensor(atoms.positions), atoms.numbers,
                                      atoms.cell[:], atoms.pbc)
    finally:
        backend.set_cuda_host(None)
    marks = [w for w in caught if issubclass(w.category, TailShareWarning)]
    assert bool(marks) == warned
    corrected, _ = energy(atoms, cutoff=cutoff, tail_correction=True)
    assert float(out["energy"]) == pytest.approx(corrected, rel=1e-10)
    assert np.isfinite(out["forces"].numpy()).all()
