"""D3 options that act on a part of the calculation that is off are refused.

Before: ``atm_cutoff`` with ``atm=False`` was taken, recorded by ``todict()`` and changed
nothing (ethanol: -0.115874607069 eV at any atm_cutoff; the three-body parameters s9 and alp
were already refused there), and ``num_threads`` with a CUDA device was stored while the CUDA
kernel (and its host emulation) takes no thread count.
"""

import numpy as np
import pytest
from ase.build import bulk, molecule
from ase.calculators.calculator import InputError

from ase_electrolyte.d3 import D3, backend
from ase_electrolyte.d3.calculator import DEFAULT_ATM_CUTOFF

SHORT = dict(cutoff=9.3, cn_cutoff=7.1)


def structures():
    cell = bulk("LiF", "rocksalt", a=4.03, cubic=True)
    cell.rattle(0.05, seed=3)
    pair = molecule("CH3CH2OH")
    other = pair.copy()
    other.translate([6.5, 1.0, 0.5])
    return {"molecule": pair + other, "cell": cell}


def energy(atoms, **kwargs):
    atoms = atoms.copy()
    atoms.calc = D3(device="cpu", **SHORT, **kwargs)
    return atoms.get_potential_energy()


@pytest.mark.parametrize("name", ["molecule", "cell"])
@pytest.mark.parametrize("atm_cutoff", [3.0, 5.0, 8.0])
def test_atm_cutoff_changes_the_energy_with_atm_and_is_refused_without(name, atm_cutoff):
    atoms = structures()[name]
    # with the ATM term the cutoff acts (the energy moves with it) ...
    assert energy(atoms, atm=True, atm_cutoff=atm_cutoff) != pytest.approx(
        energy(atoms, atm=True), rel=1e-9, abs=0)
    # ... without it, it would not: refused by name, before any structure
    with pytest.raises(InputError, match=r"atm_cutoff = .* atm=False leaves out"):
        D3(device="cpu", atm_cutoff=atm_cutoff)
    # the default (also as todict() records it) is accepted with the term off
    assert energy(atoms, atm_cutoff=DEFAULT_ATM_CUTOFF) == pytest.approx(energy(atoms), rel=1e-13)


def test_set_keeps_atm_and_its_cutoff_consistent():
    calc = D3(device="cpu", atm=True, atm_cutoff=8.0, **SHORT)
    before = calc.todict()
    with pytest.raises(InputError, match="atm=False leaves out"):
        calc.set(atm=False)
    assert calc.todict() == before
    # turning the term off together with its cutoff is taken, and round-trips
    calc.set(atm=False, atm_cutoff=DEFAULT_ATM_CUTOFF)
    assert D3(**calc.todict()).todict() == calc.todict()
    with pytest.raises(InputError, match="atm=False leaves out"):
        calc.set(atm_cutoff=12.0)
    # a direct edit of calc.parameters is checked the same way, and undone
    calc.parameters["atm_cutoff"] = 12.0
    with pytest.raises(InputError, match="atm=False leaves out"):
        calc.get_potential_energy(molecule("H2O"))
    assert calc.parameters["atm_cutoff"] == DEFAULT_ATM_CUTOFF


@pytest.fixture
def cuda_host():
    backend.set_cuda_host("host")
    yield
    backend.set_cuda_host(None)


@pytest.mark.cuda_host
@pytest.mark.parametrize("threads", [1, 2, np.int64(4)])
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "auto"])
def test_num_threads_with_the_cuda_kernel_is_refused(cuda_host, device, threads):
    with pytest.raises(InputError, match=r"num_threads = \d+ sets the CPU kernel's threads"):
        D3(device=device, num_threads=threads)
    # the CUDA kernel's results do not depend on a thread count it never reads
    calc = D3(device=device)
    assert calc.device == "cuda:0"
    with pytest.raises(InputError, match="does not read it"):
        calc.set(num_threads=threads)
    assert calc.parameters["num_threads"] is None
    cpu = D3(device="cpu", num_threads=threads)
    with pytest.raises(InputError, match="does not read it"):
        cpu.set(device=device)
    assert cpu.device == "cpu"
    # moving to the GPU together with dropping the thread count is taken
    cpu.set(device=device, num_threads=None)
    assert cpu.device == "cuda:0"
