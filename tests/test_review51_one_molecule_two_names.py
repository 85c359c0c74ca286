"""One molecule under two names in one box is refused before packing.

The analyses group molecules by the topology's species name: a box holding EC under "EC" and
under "ethylene_carbonate" would report two RDFs, two coordination numbers and two diffusion
coefficients of the one liquid EC, each over part of its molecules. Same molecule is same
canonical SMILES (stereo and charges kept), so enantiomers stay two species.
"""

import pytest

from ase_electrolyte.build import composition_counts, electrolyte_box
from ase_electrolyte.species import Species, get_species

TWINS = [
    # a library molecule under another name and SMILES spelling
    ("EC", Species("ethylene_carbonate", "C1COC(=O)O1")),
    # a library molecule under another name, the library's SMILES
    ("DMC", Species("dimethyl_carbonate", get_species("DMC").smiles)),
    # two user species, neither in the library: ethanol written two ways
    (Species("ethanol", "CCO"), Species("EtOH", "OCC")),
]


@pytest.mark.parametrize("first, second", TWINS)
def test_composition_with_a_molecule_under_two_names_is_refused(first, second):
    a, b = first if isinstance(first, str) else first.name, second.name
    # the two names in either order: the composition is sorted before it is checked
    either = f"('{a}' and '{b}'|'{b}' and '{a}') are the same molecule"
    with pytest.raises(ValueError, match=either):
        composition_counts({first: 1, second: 1}, n_atoms=300)


@pytest.mark.parametrize("first, second", TWINS)
def test_counts_with_a_molecule_under_two_names_are_refused_before_packing(
        first, second, monkeypatch):
    import ase_electrolyte.build as build

    def no_packing(*args, **kwargs):
        raise AssertionError("packmol was reached")

    monkeypatch.setattr(build, "packmol_executable", no_packing)
    with pytest.raises(ValueError, match="are the same molecule"):
        electrolyte_box(counts={first: 2, second: 3})


def test_a_salt_ion_given_again_as_a_solvent_under_another_name_is_refused():
    pf6 = Species("hexafluorophosphate", "[P-](F)(F)(F)(F)(F)F")
    with pytest.raises(ValueError, match="'PF6' and 'hexafluorophosphate' are the same molecule"):
        electrolyte_box(counts={"EC": 4, "Li": 2, "PF6": 1, pf6: 1})


def test_enantiomers_and_distinct_molecules_stay_two_species():
    r = Species("R-2-butanol", "C[C@@H](O)CC")
    s = Species("S-2-butanol", "C[C@H](O)CC")
    counts = composition_counts({r: 1, s: 1}, n_atoms=150)
    assert {sp.name for sp in counts} == {"R-2-butanol", "S-2-butanol"}
    # the same name twice for the same molecule is one species, not a twin
    counts = composition_counts({"EC": 1, "EMC": 1}, n_atoms=300)
    assert {sp.name for sp in counts} == {"EC", "EMC"}
