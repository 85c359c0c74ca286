"""Functional names: every spelling simple-dftd3's library accepts gives its parameters.

simple-dftd3 (``dftd3`` 1.7, the reference) looks names up in its library (``param.f90``), which
knows other spellings of its table's entries (BP86, PBEh, HF/MINIS, ...) and a few entries its
``parameters.toml`` lacks; a name it accepts and we refused, or that resolved to another entry,
would make ``D3(functional=name)`` disagree with ``DFTD3(method=name)``.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.units import Bohr, Hartree

from ase_electrolyte.d3 import D3, known_functionals
from ase_electrolyte.d3.parameters import (
    ADDITIONS,
    ALIASES,
    DAMPINGS,
    _database,
    _normalise,
    resolve_parameters,
)

dftd3 = pytest.importorskip("dftd3.interface")

REF_PARAM = {
    "bj": dftd3.RationalDampingParam,
    "zero": dftd3.ZeroDampingParam,
    "bjm": dftd3.ModifiedRationalDampingParam,
    "zerom": dftd3.ModifiedZeroDampingParam,
    "op": dftd3.OptimizedPowerDampingParam,
}
KEYS = ("s6", "s8", "s9", "a1", "a2", "a3", "a4", "rs6", "rs8", "alp", "bet")


@pytest.fixture(scope="module")
def probe():
    atoms = molecule("CH3CH2OH")
    atoms += Atoms("LiF", positions=[[2.7, 0.4, 0.2], [4.4, 0.7, -0.3]])
    atoms.positions[0] += 0.05
    return atoms, dftd3.DispersionModel(atoms.numbers, atoms.positions / Bohr)


def reference_energy(model, damping, name, atm):
    """simple-dftd3's energy (eV) of method ``name``, or None where its library has no entry."""
    try:
        param = REF_PARAM[damping](method=name, atm=atm)
    except RuntimeError:
        return None
    return model.get_dispersion(param=param, grad=False)["energy"] * Hartree


def our_energy(atoms, damping, name, atm=False):
    calc = D3(damping=damping, functional=name, atm=atm, device="cpu",
              cutoff=60 * Bohr, cn_cutoff=40 * Bohr)  # simple-dftd3's cutoffs
    return calc.get_potential_energy(atoms.copy())


# the library's spellings, as a user would type them
SPELLINGS = ["BP86", "b-p86", "PBEh", "PBE-h", "B3LYP5", "B3LYP-G", "b3lyp3", "DM21", "DM21mu",
             "B88B95", "B1P86", "B3P86", "BHandHLYP", "mPW1PW91", "mPWPW91", "PW91P86",
             "DSD-PBEPBE", "DSD-TPSSTPSS", "DOD-PBEPBE", "LC-omegahPBE", "LC-ωhPBE", "τ-HCTH",
             "τHCTHhyb", "Slater-Dirac-Exchange", "HF/MINIS", "hf/mixed", "HF/SV",
             "B3LYP/631GD", "HCTH/407", "PBE", "pbe0", "B97-D", "r2SCAN", "B2-PLYP"]


@pytest.mark.parametrize("damping", list(REF_PARAM))
def test_every_spelling_the_reference_accepts_gives_its_energy(probe, damping):
    atoms, model = probe
    accepted = 0
    for name in SPELLINGS:
        ref = reference_energy(model, damping, name, atm=False)
        if ref is None:
            continue
        accepted += 1
        assert our_energy(atoms, damping, name) == pytest.approx(ref, rel=1e-9, abs=1e-12), name
    assert accepted >= 3  # bjm/zerom/op know few functionals, yet BP86, PBEh, B3LYP5...


@pytest.mark.parametrize("functional, damping", sorted(ADDITIONS))
def test_entries_the_table_lacks_are_the_library_values(probe, functional, damping):
    atoms, model = probe
    assert functional in known_functionals(damping)
    # the library spells them without '_' (b97_2 is b972 there)
    ref = reference_energy(model, damping, _normalise(functional), atm=True)
    assert ref is not None
    ours = our_energy(atoms, damping, functional, atm=True)
    assert ours == pytest.approx(ref, rel=1e-9, abs=1e-12)


def test_an_alias_resolves_to_its_entry_for_every_damping():
    names = {_normalise(name) for name in _database()["functionals"]}
    for alias, target in ALIASES.items():
        # an alias never hides a table entry of its own name
        assert alias not in names, alias
        for damping in DAMPINGS:
            if damping not in _database()["functionals"][target]:
                with pytest.raises(ValueError, match=f"no D3\\({damping}\\) parameters"):
                    resolve_parameters(damping, alias, None, atm=False)
                continue
            got = resolve_parameters(damping, alias.upper(), None, atm=True)
            want = resolve_parameters(damping, target, None, atm=True)
            assert {k: got[k] for k in KEYS} == {k: want[k] for k in KEYS}, (alias, damping)


def test_case_and_separators_do_not_change_the_parameters(probe):
    atoms, _ = probe
    energies = [our_energy(atoms, "bj", name) for name in ("pbe0", "PBE0", " PBE0 ", "pbe-0",
                                                           "PBEh", "pbe_h")]
    assert np.ptp(energies) == 0.0
    assert energies[0] != our_energy(atoms, "bj", "pbe")


@pytest.mark.parametrize("name", ["bp87", "pbeh4c", "hf/tz", "b3lyp/631g"])
def test_an_unknown_name_is_refused_naming_the_known_ones(name):
    with pytest.raises(ValueError, match=r"no D3 parameters for functional .*known functionals"):
        D3(functional=name, device="cpu")


ASE_DAMPINGS = {"d3bj": "bj", "d3zero": "zero", "d3bjm": "bjm", "d3zerom": "zerom", "d3op": "op"}


@pytest.mark.parametrize("name, damping", sorted(ASE_DAMPINGS.items()))
def test_simple_dftd3_ase_damping_names_give_its_energy(probe, name, damping):
    from dftd3.ase import DFTD3

    atoms, _ = probe
    ref = atoms.copy()
    ref.calc = DFTD3(method="pbe0", damping=name)
    for spelling in (name, name.upper(), damping.upper()):
        calc = D3(damping=spelling, functional="pbe0", device="cpu",
                  cutoff=60 * Bohr, cn_cutoff=40 * Bohr)
        assert calc.damping == damping  # todict() records the one name
        assert calc.get_potential_energy(atoms.copy()) == pytest.approx(
            ref.get_potential_energy(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("alias", ["rational", "D3(BJ)", "D3(0)", "mrational", "D3M(BJ)",
                                   "mzero", "D3M(0)", "optimized-power", "D3-CSO"])
def test_literature_damping_names_resolve_to_the_same_parameters(alias):
    from ase_electrolyte.d3.parameters import DAMPING_ALIASES, damping_name

    name = damping_name(alias)
    assert name in DAMPINGS and name == DAMPING_ALIASES.get(
        _normalise(alias).replace("(", "").replace(")", ""), name)
    functional = "pbe0" if name != "cso" else "pbe"
    got = resolve_parameters(alias, functional, None, atm=True)
    want = resolve_parameters(name, functional, None, atm=True)
    assert got == want


@pytest.mark.parametrize("bad", ["d4", "bj3", "", 3, None])
def test_an_unknown_damping_is_refused_naming_the_known_ones(bad):
    with pytest.raises(ValueError, match=r"unknown D3 damping .*bj, zero, bjm, zerom, op, cso"):
        D3(damping=bad, device="cpu")
