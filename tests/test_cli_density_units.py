"""``electrolyte simulate --density`` is checked as electrolyte_box checks a density
(:func:`ase_electrolyte.build.check_density`): a density in kg/m³ is told its reading in g/cm³.

The command had its own bound and said only "must be <= 10, got 1200", while the library,
screening plans and composition_counts name the unit; now one check serves all of them.
"""

import pytest

import electrolyte_cli
from ase_electrolyte.build import check_density

BASE = ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
        "--model", "sevennet-0"]


@pytest.mark.parametrize("given, grams", [("1200", 1.2), ("1320.5", 1.3205), ("998", 0.998)])
def test_a_density_in_kg_per_m3_is_told_its_reading(tmp_path, capsys, given, grams):
    assert electrolyte_cli.main([*BASE, "--density", given, "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert f"is it in kg/m³? {given} kg/m³ = {grams:g} g/cm³; pass {grams:g}" in err[0], err[0]
    assert not (tmp_path / "o").exists()
    # the library's reading of the same number is the same sentence
    with pytest.raises(ValueError, match=f"pass {grams:g}$"):
        check_density(float(given))


@pytest.mark.parametrize("given", ["11", "1e308", "0", "-1.2", "nan"])
def test_a_density_that_no_unit_explains_gets_the_bound(tmp_path, capsys, given):
    assert electrolyte_cli.main([*BASE, "--density", given, "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--density (g/cm³)" in err[0], err
    assert "kg/m³" not in err[0], err[0]
