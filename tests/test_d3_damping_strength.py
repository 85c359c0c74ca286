"""D3 dampings that do not damp at covalent bond lengths (parameters near a pole) are refused
by name before any work; the admissible region keeps a molecule's dispersion within a few
times the published range, and its defining fractions are the kernel's."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.data import atomic_numbers
from ase.units import Bohr, Hartree
from test_d3 import REF_PARAM
from test_d3_parameter_ranges import FUNCTIONAL, KEYS, admissible_end

from ase_electrolyte.d3 import D3, backend
from ase_electrolyte.d3.parameters import (
    DAMPING_FLOOR,
    DAMPING_SLACK,
    RANGES,
    _assemble,
    _published_fractions,
    covalent_lengths,
    damping_fractions,
    known_functionals,
    resolve_parameters,
)

dftd3 = pytest.importorskip("dftd3.interface")

# parameters that put each damping next to its pole (every pair's radius 1e-3 bohr, or a
# radius scale of 1e-3, or zerom's offset at its upper range end): the kernels accepted them
# and returned nearly undamped energies
NEAR_POLE = {
    "bj": {"a1": 0.0, "a2": 1e-3},
    "bjm": {"a1": 0.0, "a2": 1e-3},
    "op": {"a1": 0.0, "a2": 1e-3},
    "cso": {"a3": 0.0, "a4": 1e-3},
    "zero": {"rs6": 1e-3},
    "zerom": {"rs6": 1e-3, "bet": 0.0},
}
SHAPE_KEYS = [(d, k) for d in RANGES for k in RANGES[d] if k not in ("s6", "s8", "s9")]


def reference_energy(atoms, damping, params):
    """simple-dftd3's two-body energy (eV) with a complete parameter set (no ATM)."""
    p = _assemble(damping, FUNCTIONAL[damping], params)
    param = REF_PARAM[damping](**{k: p[k] for k in KEYS[damping]}, s9=0.0)
    model = dftd3.DispersionModel(atoms.numbers, atoms.positions / Bohr)
    model.set_realspace_cutoff(50.2 / Bohr, 40.0, 20.0 / Bohr, 0.0, 0.0)
    return model.get_dispersion(param, grad=False)["energy"] * Hartree


def published_extreme(damping):
    """Largest |E| (eV) of ethanol over the published sets of the damping (simple-dftd3)."""
    atoms = molecule("CH3CH2OH")
    out = 0.0
    for functional in known_functionals(damping):
        p = _assemble(damping, functional, None)
        param = REF_PARAM[damping](**{k: p[k] for k in KEYS[damping]}, s9=0.0)
        model = dftd3.DispersionModel(atoms.numbers, atoms.positions / Bohr)
        model.set_realspace_cutoff(50.2 / Bohr, 40.0, 20.0 / Bohr, 0.0, 0.0)
        out = max(out, abs(model.get_dispersion(param, grad=False)["energy"] * Hartree))
    return out


@pytest.fixture(scope="module")
def extremes():
    return {d: published_extreme(d) for d in RANGES}


@pytest.mark.parametrize("damping", list(RANGES))
def test_a_damping_near_its_pole_is_refused_before_any_work(damping, extremes, monkeypatch):
    params = NEAR_POLE[damping]
    # what the kernels returned for it (simple-dftd3 computes it too): ethanol far outside
    # every published set of this damping
    undamped = abs(reference_energy(molecule("CH3CH2OH"), damping, params))
    assert undamped > 8 * extremes[damping]

    def never(*args):
        raise AssertionError("the kernel ran")

    monkeypatch.setattr(backend, "run_kernel", never)
    with pytest.raises(ValueError, match=rf"D3\({damping}\) with .* does not damp: at the "
                                         r"\w+–\w+ covalent bond length"):
        D3(damping=damping, functional=FUNCTIONAL[damping], params=params, device="cpu")
    good = D3(damping=damping, functional=FUNCTIONAL[damping], device="cpu")
    before = dict(good.parameters)
    with pytest.raises(ValueError, match="does not damp"):
        good.set(params=params)
    assert good.parameters == before


@pytest.mark.parametrize("damping,key", SHAPE_KEYS)
def test_the_admissible_boundary_keeps_a_molecule_near_the_published_range(damping, key,
                                                                          extremes):
    # at the last accepted value of each damping parameter ethanol's dispersion is at most
    # 5.6 times the largest published one (zerom's bet; BJ's a2 3.0, a1 3.5); near the pole
    # it is 80 (BJ) to 20 (zero) times
    atoms = molecule("CH3CH2OH")
    for side in ("low", "high"):
        inside, outside = admissible_end(damping, {}, key, side)
        if outside is None:
            continue
        energy = abs(reference_energy(atoms, damping, {key: inside}))
        assert energy < 8 * extremes[damping]


def test_every_published_set_is_admissible():
    for damping in RANGES:
        for functional in known_functionals(damping):
            resolve_parameters(damping, functional, None, atm=True)


@pytest.mark.parametrize("damping", list(RANGES))
def test_the_fractions_of_the_check_are_the_kernels_damping(damping):
    # f_6 at a C–H pair 1.2 covalent bond lengths apart: our kernel's C6-only energy over
    # simple-dftd3's undamped -C6/r^6 (rational damping with a zero radius) at the same CN
    zi, zj = atomic_numbers["C"], atomic_numbers["H"]
    r = 1.2 * covalent_lengths()[zi - 1, zj - 1]
    pair = Atoms("CH", positions=[[0.0, 0.0, 0.0], [r * Bohr, 0.0, 0.0]])
    p = _assemble(damping, FUNCTIONAL[damping], None)
    params = {"s6": 1.0} if damping == "cso" else {"s6": 1.0, "s8": 0.0}
    if damping == "cso":
        params["a1"] = 0.0  # the sigmoid's scale off: the radius part alone
    work = pair.copy()
    work.calc = D3(damping=damping, functional=FUNCTIONAL[damping], params=params,
                   device="cpu")
    damped = work.get_potential_energy()
    model = dftd3.DispersionModel(pair.numbers, pair.positions / Bohr)
    undamped = model.get_dispersion(
        dftd3.RationalDampingParam(s6=1.0, s8=0.0, a1=0.0, a2=0.0, s9=0.0), grad=False
    )["energy"] * Hartree
    f6 = damping_fractions(damping, {**p, **params}, r)[6][zi - 1, zj - 1]
    assert 0.0 < f6 < 1.0
    assert damped / undamped == pytest.approx(f6, rel=1e-10)


@pytest.mark.parametrize("damping", list(RANGES))
def test_the_check_binds_at_slack_times_the_published_fraction_or_the_floor(damping):
    # along each shape parameter the refusal sets in where some pair's kept fraction crosses
    # max(DAMPING_SLACK x published, DAMPING_FLOOR): just inside, no pair is above its bound
    # and one is within 1e-6 of it
    published = _published_fractions(damping)
    for key in RANGES[damping]:
        if key in ("s6", "s8", "s9"):
            continue
        inside, outside = admissible_end(damping, {}, key, "low")
        if outside is None:
            inside, outside = admissible_end(damping, {}, key, "high")
        if outside is None:
            continue
        with pytest.raises(ValueError) as refused:
            resolve_parameters(damping, FUNCTIONAL[damping], {key: outside}, atm=False)
        if "does not damp" not in str(refused.value):
            continue  # a range end or the radius' pole: tested elsewhere
        values = _assemble(damping, FUNCTIONAL[damping], {key: inside})
        excess = []
        for n, f in damping_fractions(damping, values).items():
            if n == 8 and values["s8"] == 0.0:
                continue
            bound = np.minimum(1.0, np.maximum(DAMPING_SLACK * published[n], DAMPING_FLOOR))
            excess.append((f / bound).max())
        assert max(excess) <= 1.0
        assert max(excess) > 1.0 - 1e-6
