"""D3 damping parameters: out-of-range values, poles and dampings that do not damp at covalent
bond lengths refused by name before any work; every accepted corner of the admissible region
finite and equal to simple-dftd3."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.units import Bohr, Hartree
from test_d3 import REF_PARAM

from ase_electrolyte.d3 import D3, backend
from ase_electrolyte.d3.parameters import (
    RANGES,
    THREE_BODY_ALP,
    functional_is_idle,
    resolve_parameters,
)
from ase_electrolyte.d3.reference import reference_tables

dftd3 = pytest.importorskip("dftd3.interface")

# simple-dftd3's keyword names of each damping
KEYS = {
    "bj": ("s6", "s8", "a1", "a2", "alp"),
    "bjm": ("s6", "s8", "a1", "a2", "alp"),
    "zero": ("s6", "s8", "rs6", "rs8", "alp"),
    "zerom": ("s6", "s8", "rs6", "rs8", "alp", "bet"),
    "op": ("s6", "s8", "a1", "a2", "alp", "bet"),
    "cso": ("s6", "a1", "a2", "a3", "a4", "alp"),
}
# a functional with published parameters of each damping (the others stay at these values)
FUNCTIONAL = {"bj": "pbe", "bjm": "pbe", "zero": "pbe", "zerom": "pbe", "op": "pbe0",
              "cso": "pbe"}
CASES = [(d, k) for d in RANGES for k in RANGES[d]]


def accepted(damping, params):
    try:
        resolve_parameters(damping, FUNCTIONAL[damping], params, atm=True)
    except ValueError:
        return False
    return True


def admissible_end(damping, params, key, side):
    """(inside, outside): the extreme value of ``key`` (the others as in ``params``) accepted
    on ``side`` of its range, and a value 1e-9 (relative) beyond it that is refused; outside
    is None when the end of the range itself is accepted. The boundary is found by bisection
    from the current value (accepted) toward the end of the range."""
    low, closed, high, _ = RANGES[damping][key]
    end = high if side == "high" else low
    if (side == "high" or closed) and accepted(damping, {**params, key: end}):
        return end, None
    inside = resolve_parameters(damping, FUNCTIONAL[damping], params, atm=True)[key]
    assert accepted(damping, {**params, key: inside})
    outside = end
    while abs(outside - inside) > 1e-9 * max(1.0, abs(inside)):
        middle = 0.5 * (inside + outside)
        if accepted(damping, {**params, key: middle}):
            inside = middle
        else:
            outside = middle
    return inside, outside


def probe():
    """Methanol, LiCl and an H atom 0.1001 Å from Cl: the closest pair calculate accepts,
    where the undamped and the steepest dampings are largest."""
    atoms = molecule("CH3OH")
    atoms += Atoms("LiClH", positions=[[2.6, 0.3, 0.1], [4.5, 0.6, -0.2], [4.6001, 0.6, -0.2]])
    return atoms


def reference(atoms, damping, p, cutoff=50.2):
    """simple-dftd3's energy (eV) and forces (eV/Å) for the resolved parameter set ``p``."""
    param = REF_PARAM[damping](**{k: p[k] for k in KEYS[damping]}, s9=p["s9"])
    model = dftd3.DispersionModel(atoms.numbers, atoms.positions / Bohr)
    model.set_realspace_cutoff(cutoff / Bohr, 40.0, 20.0 / Bohr, 0.0, 0.0)
    res = model.get_dispersion(param, grad=True)
    return res["energy"] * Hartree, -res["gradient"] * Hartree / Bohr


def assert_matches_reference(atoms, damping, params, atm, cutoff=50.2):
    # a functional all of whose values params replace is refused as without effect
    functional = (None if functional_is_idle(damping, FUNCTIONAL[damping], params)
                  else FUNCTIONAL[damping])
    p = resolve_parameters(damping, functional, params, atm)
    atoms = atoms.copy()
    atoms.calc = D3(damping=damping, functional=functional, params=params, atm=atm,
                    cutoff=cutoff, device="cpu")
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    assert np.isfinite(energy) and np.isfinite(forces).all()
    e_ref, f_ref = reference(atoms, damping, p, cutoff)
    assert energy == pytest.approx(e_ref, rel=1e-11, abs=1e-300)
    assert np.abs(forces - f_ref).max() <= 1e-11 * np.abs(f_ref).max()
    return energy


def outside(low, closed, high):
    """Values just outside the range and far outside it."""
    below = low - 1e-9 * max(1.0, abs(low)) if closed else low
    return [below, high * (1 + 1e-12) + 1e-12, 1e308, -1e308]


@pytest.mark.parametrize("damping,key", CASES)
def test_a_value_outside_the_range_is_refused_by_name_before_any_work(damping, key,
                                                                      monkeypatch):
    # s8 = 1e308 used to overflow inside the kernel and surface as NonFiniteResult only after
    # the whole run; a negative rs6 was taken as |rs6| (alp = 14 is even) and rs6 = 0 gave an
    # undamped -13 eV for methanol
    def never(*args):
        raise AssertionError("the kernel ran")

    monkeypatch.setattr(backend, "run_kernel", never)
    low, closed, high, _ = RANGES[damping][key]
    good = D3(damping=damping, device="cpu")
    before = dict(good.parameters)
    for value in outside(low, closed, high):
        with pytest.raises(ValueError, match=rf"parameter {key} = .* outside its valid range"):
            D3(damping=damping, params={key: value}, device="cpu")
        with pytest.raises(ValueError, match=rf"parameter {key} = "):
            resolve_parameters(damping, FUNCTIONAL[damping], {key: value}, atm=False)
        with pytest.raises(ValueError, match=rf"parameter {key} = "):
            good.set(params={key: value})
        assert good.parameters == before


@pytest.mark.parametrize("damping,key", CASES)
def test_every_accepted_corner_matches_reference(damping, key):
    # each parameter at the ends of the admissible region (the others published): where the
    # range end itself is refused (a pole, or a damping that no longer damps), the last value
    # accepted equals simple-dftd3 and a value 1e-9 beyond it is refused by name
    atm = key in ("s9", "alp")  # alp also sets the three-body damping
    atoms = probe()
    for side in ("low", "high"):
        inside, outside = admissible_end(damping, {}, key, side)
        if outside is not None:
            with pytest.raises(ValueError, match="does not damp|not positive|outside its valid"):
                D3(damping=damping, functional=FUNCTIONAL[damping], params={key: outside},
                   device="cpu")
        assert_matches_reference(atoms, damping, {key: inside}, atm)


def radius_bounds():
    r0 = np.sqrt(3.0) * reference_tables()["r4r2"][1:]
    return r0.min(), r0.max()


@pytest.mark.parametrize("damping", ["bj", "bjm", "op", "cso"])
def test_a_damping_radius_at_or_below_zero_is_refused_and_just_above_does_not_damp(damping):
    # R = slope * sqrt(3 Q_i Q_j) + offset: at R = 0 BJ is an undamped -C6/r^6 (a pole as
    # r -> 0), and op raises R to the power bet, NaN for R < 0; just above 0 the damping
    # leaves bonded atoms undamped (ethanol -83.7 eV instead of -0.12 eV with BJ at
    # R = 1e-3 bohr), refused since the covalent-bond check
    slope, offset = ("a3", "a4") if damping == "cso" else ("a1", "a2")
    _, r0max = radius_bounds()
    # with a negative slope the heaviest pair (Fr) has the smallest radius
    offset_value = 5.0
    pole = -offset_value / r0max
    for value in (pole * (1 + 1e-12), 2 * pole, -10.0):
        if damping == "cso" and value < 0:
            continue  # CSO's slope a3 >= 0 is a range bound (tested above)
        with pytest.raises(ValueError, match=r"damping radius .* is not positive"):
            D3(damping=damping, params={slope: value, offset: offset_value}, device="cpu")
    with pytest.raises(ValueError, match=r"damping radius .* = 0 bohr .* is not positive"):
        D3(damping=damping, params={slope: 0.0, offset: 0.0}, device="cpu")
    near = {slope: 0.0, offset: 1e-3}  # R = 1e-3 bohr for every pair
    with pytest.raises(ValueError, match=r"does not damp: at the .* covalent bond length"):
        D3(damping=damping, params=near, device="cpu")
    # the most negative slope accepted with this offset is exact (for BJ the radius of the
    # heaviest pairs then nears 0: published BJ sets keep 99% of -C6/r^6 at their covalent
    # bond lengths too, so the slope is limited by the pole alone)
    inside, _ = admissible_end(damping, {offset: offset_value}, slope, "low")
    atoms = molecule("CH3OH")
    atoms += Atoms("CsFr", positions=[[3.0, 0.3, 0.1], [7.5, 0.6, -0.2]])
    assert_matches_reference(atoms, damping, {slope: inside, offset: offset_value}, atm=False)


def worst(damping, side):
    """Every parameter of the damping at the same end of its admissible region, one after the
    other from the published set (each the extreme accepted with the ones before it)."""
    params = {}
    for key in RANGES[damping]:
        params[key] = admissible_end(damping, params, key, side)[0]
    return params


@pytest.mark.parametrize("side", ["low", "high"])
@pytest.mark.parametrize("damping", list(RANGES))
def test_all_parameters_at_one_end_stay_finite_at_the_closest_and_farthest_pairs(damping, side):
    # the bounds are chosen so that no power the kernel forms overflows for atoms >= 0.1 Å
    # apart: all of them at once, with a pair at 0.1001 Å and one 10⁴ Å away
    params = worst(damping, side)
    atoms = probe()
    atoms += Atoms("Ar", positions=[[1e4, 0.0, 0.0]])
    assert_matches_reference(atoms, damping, params, atm=True, cutoff=2e4)


@pytest.mark.parametrize("damping", list(RANGES))
def test_upper_bounds_finite_for_atoms_1e8_angstrom_apart(damping):
    # op's r^(bet + 8) and zero damping's (R0/r)^alp at the largest coordinates calculate
    # accepts (10⁸ Å), where an exponent past the bounds overflows to inf * 0 = NaN
    params = worst(damping, "high")
    params["s9"] = 0.0
    if damping in THREE_BODY_ALP:  # the ATM term's alone, refused with atm off
        params.pop("alp", None)
    far = Atoms("ArKr", positions=[[0, 0, 0], [1e8, 0, 0]])
    calc = D3(damping=damping, params=params, cutoff=2e8, cn_cutoff=20.0, device="cpu")
    far.calc = calc
    energy, forces = far.get_potential_energy(), far.get_forces()
    assert np.isfinite(energy) and np.isfinite(forces).all()
    # |E| <= s6 C6 / r^6 + s8 C8 / r^8 with C6(Ar-Kr) ~ 100 hartree bohr^6, r ~ 1.9e8 bohr
    assert abs(energy) < 1e-40 and np.abs(forces).max() < 1e-45


@pytest.fixture
def cuda_host():
    backend.set_cuda_host("host")
    yield
    backend.set_cuda_host(None)


@pytest.mark.parametrize("side", ["low", "high"])
@pytest.mark.parametrize("damping", list(RANGES))
def test_cuda_kernel_equals_cpu_at_the_ends_of_the_ranges(cuda_host, damping, side):
    # one matrix for both kernels: the CUDA code (run on its host emulation) instantiates each
    # damping separately, and its binned 3D-periodic passes differ from the CPU's cell lists
    params = worst(damping, side)
    molecule_case = probe()
    cell_case = probe()
    cell_case.set_cell([[9.0, 0.0, 0.0], [2.0, 8.5, 0.0], [-1.0, 1.5, 8.0]])
    cell_case.pbc = True
    for atoms in (molecule_case, cell_case):
        results = {}
        for device in ("cpu", "cuda"):
            work = atoms.copy()
            work.calc = D3(damping=damping, params=params, atm=True, cutoff=12.0,
                           cn_cutoff=8.0, atm_cutoff=6.0, device=device)
            results[device] = [work.get_potential_energy(), work.get_forces()]
            if work.pbc.all():
                results[device].append(work.get_stress())
        for cpu, gpu in zip(results["cpu"], results["cuda"], strict=True):
            assert np.isfinite(gpu).all()
            scale = np.abs(cpu).max()
            assert np.abs(gpu - cpu).max() <= 1e-10 * scale


@pytest.mark.parametrize("name,stored", [("a3", "rs6"), ("a4", "rs8")])
def test_cso_parameter_given_under_both_names_is_refused(name, stored):
    # a3 silently won over rs6 (and a4 over rs8), whichever the caller meant
    with pytest.raises(ValueError, match=rf"takes {name} or its other name {stored}, not both"):
        D3(damping="cso", params={name: 1.0, stored: 2.0}, device="cpu")
    # one name alone is the same parameter
    value = {"a3": 1.5, "a4": 6.0}[name]
    one = resolve_parameters("cso", "pbe", {name: value}, atm=False)
    other = resolve_parameters("cso", "pbe", {stored: value}, atm=False)
    assert one == other and one[name] == value
