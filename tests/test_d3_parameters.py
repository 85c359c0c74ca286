"""Every functional's D3 parameters against simple-dftd3's own table and its energies."""

import importlib.resources

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.units import Bohr, Hartree
from test_d3 import REF_PARAM

from ase_electrolyte.d3 import D3, known_functionals
from ase_electrolyte.d3.parameters import ADDITIONS, DAMPINGS, ERRATA, resolve_parameters

dftd3 = pytest.importorskip("dftd3.interface")
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")


def reference_table():
    text = (importlib.resources.files("dftd3") / "parameters.toml").read_text()
    table = tomllib.loads(text)
    entries = {name: p["d3"] for name, p in table["parameter"].items() if "d3" in p}
    return table["default"]["parameter"]["d3"], entries


DEFAULTS, TABLE = reference_table()
CASES = sorted((f, d) for f, entry in TABLE.items() for d in entry)


def test_every_functional_of_the_reference_table_is_known():
    # the table and the entries of simple-dftd3's library that its table lacks (ADDITIONS,
    # checked against the library in test_d3calc20_functional_names)
    assert set(known_functionals()) == set(TABLE) | {f for f, _ in ADDITIONS}
    for damping in DAMPINGS:
        assert set(known_functionals(damping)) == (
            {f for f, e in TABLE.items() if damping in e}
            | {f for f, d in ADDITIONS if d == damping})


def test_resolved_parameters_equal_reference_table():
    for functional, damping in CASES:
        ref = {**DEFAULTS[damping], **TABLE[functional][damping]}
        ref.update(ERRATA.get((functional, damping), {}))
        ours = resolve_parameters(damping, functional, None, atm=True)
        for key in ("s6", "s8", "s9", "a1", "a2", "rs6", "rs8", "alp", "bet"):
            if key in ref:
                # CSO keeps its s8 at 0 (C6 only)
                if damping == "cso" and key == "s8":
                    continue
                assert ours[key] == ref[key], (functional, damping, key)
        if "s8" not in ref and damping != "cso":
            assert ours["s8"] == 0.0  # C6-only entries (CF22D-D3(0)), as simple-dftd3 reads them


def test_opbe_zero_uses_published_s8():
    assert resolve_parameters("zero", "opbe", None, atm=False)["s8"] == 2.055


KEYS = {
    "bj": ("s6", "s8", "a1", "a2", "alp"),
    "bjm": ("s6", "s8", "a1", "a2", "alp"),
    "zero": ("s6", "s8", "rs6", "rs8", "alp"),
    "zerom": ("s6", "s8", "rs6", "rs8", "alp", "bet"),
    "op": ("s6", "s8", "a1", "a2", "alp", "bet"),
    "cso": ("s6", "a1", "a2", "a3", "a4", "alp"),
}


def reference_param(functional, damping):
    """simple-dftd3's parameters of one method (by name, or from its table where the library
    does not know the name), with the errata applied explicitly."""
    if (functional, damping) not in ERRATA:
        try:
            return REF_PARAM[damping](method=functional, atm=False)
        except RuntimeError:
            pass
    values = {**DEFAULTS[damping], **TABLE[functional][damping]}
    values.update(ERRATA.get((functional, damping), {}))
    if damping == "cso":
        values["a3"], values["a4"] = values["rs6"], values["rs8"]
    values.setdefault("s8", 0.0)
    return REF_PARAM[damping](**{k: values[k] for k in KEYS[damping]}, s9=0.0)


@pytest.fixture(scope="module")
def probe():
    atoms = molecule("CH3OH")
    atoms += Atoms("LiCl", positions=[[2.6, 0.3, 0.1], [4.5, 0.6, -0.2]])
    model = dftd3.DispersionModel(atoms.numbers, atoms.positions / Bohr)
    return atoms, model


@pytest.mark.parametrize("damping", list(DAMPINGS))
def test_every_functional_energy_matches_reference(probe, damping):
    atoms, model = probe
    functionals = [f for f, d in CASES if d == damping]
    assert functionals
    for functional in functionals:
        calc = D3(damping=damping, functional=functional, device="cpu")
        energy = calc.get_potential_energy(atoms)
        param = reference_param(functional, damping)
        ref = model.get_dispersion(param, grad=False)["energy"] * Hartree
        assert energy == pytest.approx(ref, rel=1e-10, abs=1e-15), functional
        assert np.isfinite(energy)


def test_cf22d_zero_damping_runs_and_matches_reference(probe):
    atoms, model = probe
    energy = D3(damping="zero", functional="cf22d", device="cpu").get_potential_energy(atoms)
    ref = model.get_dispersion(REF_PARAM["zero"](method="cf22d"), grad=False)["energy"]
    assert energy == pytest.approx(ref * Hartree, rel=1e-10)


@pytest.mark.parametrize("mutate", [
    lambda params: params.update(s8=3.0),
    lambda params: params.pop("a2"),
    lambda params: params.clear(),
])
def test_the_callers_params_dict_changed_later_changes_neither_results_nor_record(mutate):
    # the dict was kept by reference: todict() then recorded values that were never used, and
    # D3(**todict()) gave another energy
    params = {"s8": 0.7875, "a1": 0.4289, "a2": 4.4407}
    calc = D3(device="cpu", params=dict(params))
    given = dict(params)
    twin = D3(device="cpu", params=given)
    mutate(given)
    atoms = molecule("CH3CH2OH")
    assert twin.todict()["params"] == params
    assert twin.get_potential_energy(atoms.copy()) == calc.get_potential_energy(atoms.copy())
    rebuilt = D3(**twin.todict())
    assert rebuilt.get_potential_energy(atoms.copy()) == calc.get_potential_energy(atoms.copy())
    changed = dict(params, s8=2.0)
    twin.set(params=changed)
    changed["s8"] = 5.0
    assert twin.parameters["params"]["s8"] == 2.0
