"""The demo says what its box holds, not only what was asked: ~100 atoms hold one LiPF6 among
two EC and five EMC, 1.44 mol/kg and EC:EMC 25:75 by mass, while the banner said
"LiPF6 1.0 mol/kg in EC:EMC 3:7" and nothing printed or recorded the packed value."""
import pytest

from ase_electrolyte.build import electrolyte_box, estimate_density
from electrolyte_cli.demo import _demo_counts, _held


@pytest.mark.parametrize("n_atoms", [100, 140])
def test_the_banner_gives_the_packed_molality_of_the_box(n_atoms):
    pytest.importorskip("packmol")
    counts = _demo_counts(n_atoms)
    atoms = electrolyte_box(counts=counts, density=estimate_density(counts).value, seed=0)
    held = _held(counts)
    # the builder's own record of the packed box, to the banner's three digits
    assert f"{atoms.info['cation_molality']['value']:.3g} mol/kg" in held
    ec, emc = (atoms.info["composition"][k] for k in ("EC", "EMC"))
    assert f"+ {ec} EC + {emc} EMC" in held


def test_the_demo_box_is_not_called_1_mol_per_kg():
    from ase_electrolyte.species import get_species

    ec, emc = get_species("EC").mass, get_species("EMC").mass
    # one ion pair per kg of 2 EC + 5 EMC (g/mol -> kg/mol)
    molality = 1000.0 / (2 * ec + 5 * emc)
    assert molality == pytest.approx(1.435, abs=1e-3)
    held = _held(_demo_counts(100))
    assert f"{molality:.3g} mol/kg" in held
    assert f"EC:EMC {100 * 2 * ec / (2 * ec + 5 * emc):.0f}:" in held
