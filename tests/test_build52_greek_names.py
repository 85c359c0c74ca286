"""Papers write gamma-butyrolactone as "γ-butyrolactone"; the library knew only the Latin
spelling of its description, so ``get_species("γ-butyrolactone")`` was unknown (with "did you
mean 'GBL'?") and a solvent text holding it refused. The Greek letters of chemical names are
read as their names; other unknown names stay unknown."""
import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import get_species, parse_shares


@pytest.mark.parametrize("name", ["γ-butyrolactone", "γ-Butyrolactone", "γ butyrolactone",
                                  "Γ-BUTYROLACTONE", " γ-butyrolactone "])
def test_gamma_butyrolactone_by_its_greek_letter(name):
    assert get_species(name) is get_species("GBL")
    text = composition_counts(parse_shares(f"{name}:1,EC:1"), "LiBF4", 1.0, n_atoms=300)
    assert text == composition_counts({"GBL": 1, "EC": 1}, "LiBF4", 1.0, n_atoms=300)


@pytest.mark.parametrize("name", ["γBL", "β-butyrolactone", "δ-valerolactone"])
def test_other_greek_names_are_still_unknown(name):
    with pytest.raises(ValueError, match="unknown species"):
        get_species(name)
