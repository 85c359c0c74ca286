"""The species library's names: unambiguous, found case-insensitively, close matches offered,
and every entry consistent (formula, mass, charge, measured density and its source)."""

import re

import numpy as np
import pytest
from ase.data import atomic_masses, atomic_numbers
from ase.formula import Formula

from ase_electrolyte import species as lib
from ase_electrolyte.species import (
    IONS,
    LIQUID_DENSITIES,
    SALTS,
    SOLVENTS,
    get_salt,
    get_species,
)


def test_every_name_description_and_signed_ion_name_means_one_species():
    keys = lib._keys()
    assert all(len(set(v)) == 1 for v in keys.values())
    for sp in (*SOLVENTS.values(), *IONS.values()):
        for word in (sp.name, sp.name.upper(), sp.name.lower(), f"  {sp.description.upper()} "):
            assert get_species(word) is sp
        if sp.charge:
            sign = "+" if sp.charge > 0 else "-"
            assert get_species(sp.name.lower() + sign) is sp
            assert get_species(f"{sp.name} {sign}") is sp
            with pytest.raises(ValueError, match="unknown species"):
                get_species(sp.name + ("-" if sign == "+" else "+"))


def test_a_library_naming_two_species_alike_is_refused(monkeypatch):
    clash = dict(SOLVENTS)
    clash["XX"] = lib.Species("XX", "CCO", 0, "ethylene carbonate")  # EC's description
    monkeypatch.setattr(lib, "SOLVENTS", clash)
    with pytest.raises(RuntimeError, match="ethylene carbonate"):
        lib._check_library_names()


@pytest.mark.parametrize("typo, meant", [("EMCC", "EMC"), ("DMCE", "DME"), ("PF7", "PF6"),
                                         ("TFS", "TFSI"), ("lithium", "Li"),
                                         ("ethylene carbonat", "EC")])
def test_an_unknown_species_names_the_closest_library_names(typo, meant):
    with pytest.raises(ValueError, match=rf"unknown species '{typo}' \(did you mean [^)]*"
                                         rf"'{meant}'"):
        get_species(typo)


@pytest.mark.parametrize("typo, meant", [("LiPF", "LiPF6"), ("Li PF", "LiPF6"),
                                         ("LiTFS", "LiTFSI"), ("NaPF", "NaPF6")])
def test_an_unknown_salt_names_the_closest_library_salts(typo, meant):
    with pytest.raises(ValueError, match=rf"unknown salt '{typo}' \(did you mean [^)]*'{meant}'"):
        get_salt(typo)


def test_a_name_like_nothing_gets_no_guess_but_the_list():
    with pytest.raises(ValueError) as err:
        get_species("zzzzqqqq")
    assert "did you mean" not in str(err.value)
    assert "known solvents: EC" in str(err.value)


@pytest.mark.parametrize("smiles, name", [("[Li+]", "Li"), ("[Na+]", "Na"),
                                          ("C1COC(=O)O1", "EC"), ("F[B-](F)(F)F", "BF4")])
def test_the_smiles_of_a_library_species_names_it(smiles, name):
    # one atom too: "[Li+]" got no hint
    with pytest.raises(ValueError, match=rf"it is the SMILES of {name}: use the name '{name}'"):
        get_species(smiles)


def test_every_entry_is_consistent():
    for table in (SOLVENTS, IONS):
        for name, sp in table.items():
            assert sp.name == name
            # the Hill formula and molar mass from the atoms agree with ASE's formula parser
            assert Formula(sp.formula).format("hill") == sp.formula
            mass = sum(atomic_masses[atomic_numbers[s]] * n
                       for s, n in Formula(sp.formula).count().items())
            assert sp.mass == pytest.approx(mass, rel=1e-12)
            assert sp.charge == int(sp.atomic_formal_charges.sum())
            assert (sp.charge == 0) == (table is SOLVENTS)
            assert sp.vdw_volume > 0
    for name, salt in SALTS.items():
        n_c, n_a = salt.stoichiometry
        assert n_c * salt.cation.charge + n_a * salt.anion.charge == 0
        assert name == salt.cation.name + salt.anion.name


def test_measured_densities_are_physical_and_sourced():
    for name, (rho, _, temperature, source) in LIQUID_DENSITIES.items():
        assert name in SOLVENTS
        assert 0.6 < rho < 2.0
        assert 273.15 <= temperature <= 373.15
        # a year, or the supplier's catalogue value at 25 °C: a citable source
        assert re.search(r"\(\d{4}\)|Sigma-Aldrich", source)
        # the volume per molecule of the liquid against its atoms' summed Bondi spheres (which
        # overlap: bonded atoms are closer than their radii): 0.82 (EC, GBL) to 0.97 (EA) for the
        # library; a density mistyped by a digit or given in another unit leaves the band
        sp = SOLVENTS[name]
        volume = sp.mass / (rho * 0.602214076)  # Å³ per molecule
        assert 0.6 < volume / sp.vdw_volume < 1.2


def test_compositions_are_unique_so_formulas_name_molecules():
    formulas = [sp.formula for sp in (*SOLVENTS.values(), *IONS.values())]
    assert len(set(formulas)) == len(formulas)
    for sp in (*SOLVENTS.values(), *IONS.values()):
        assert lib.species_from_formula(sp.symbols[::-1]) is sp
    assert lib.species_from_formula(["C", "O", "O"]) is None
    assert np.all([isinstance(sp.description, str) and sp.description for sp in IONS.values()])
