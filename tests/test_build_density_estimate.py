"""estimate_density: the pure liquids' measured densities, ideal mixing, the ions' van der Waals
volume (Ju et al. 2025), and the compositions it refuses."""

import pytest

from ase_electrolyte.build import composition_counts, estimate_density
from ase_electrolyte.species import LIQUID_DENSITIES, SOLVENTS, Species, get_species
from ase_electrolyte.trajectory import GCM3_TO_AMU_PER_A3


@pytest.mark.parametrize("name", sorted(LIQUID_DENSITIES))
def test_a_pure_liquid_is_its_measured_density(name):
    assert estimate_density({name: 17}).value == pytest.approx(LIQUID_DENSITIES[name][0], rel=1e-12)


def test_ideal_mixing_of_ec_emc_3_7_by_mass():
    # the volumes add: 1/rho = w_EC/rho_EC + w_EMC/rho_EMC, with Xu (2004)'s 1.321 and 1.006
    counts = composition_counts({"EC": 3, "EMC": 7}, n_atoms=3000)
    named = {sp.name: n for sp, n in counts.items()}
    m = {k: n * get_species(k).mass for k, n in named.items()}
    w_ec = m["EC"] / (m["EC"] + m["EMC"])
    expected = 1.0 / (w_ec / 1.321 + (1.0 - w_ec) / 1.006)
    assert estimate_density(named).value == pytest.approx(expected, rel=1e-12)
    # between the pure liquids, near the mass-weighted value
    assert 1.006 < estimate_density(named).value < 1.321


def test_salt_ions_take_the_scaled_van_der_waals_volume():
    # LiTFSI has no measured volume in solution: the van der Waals rule, and a warning that
    # says so (LiPF6's measured volume is test_box29_salt_volumes')
    li, tfsi = get_species("Li"), get_species("TFSI")
    n = 20
    counts = {"EC": n, "Li": 2, "TFSI": 2}
    mass = n * get_species("EC").mass + 2 * (li.mass + tfsi.mass)
    volume = (n * get_species("EC").mass / (1.321 * GCM3_TO_AMU_PER_A3)
              + 2 * 1.1**3 * (li.vdw_volume + tfsi.vdw_volume))
    with pytest.warns(UserWarning, match="no measured volume in solution of the ions Li\\+TFSI"):
        rho = estimate_density(counts).value
    assert rho == pytest.approx(mass / volume / GCM3_TO_AMU_PER_A3, rel=1e-12)


def test_the_estimate_is_independent_of_the_order_and_of_scale():
    a = estimate_density({"EC": 3, "DMC": 7, "Li": 1, "PF6": 1}).value
    b = estimate_density({"PF6": 1, "Li": 1, "DMC": 7, "EC": 3}).value
    c = estimate_density({"EC": 300, "DMC": 700, "Li": 100, "PF6": 100}).value
    assert a == pytest.approx(b, rel=1e-14)
    # every count times 100: one composition, one density
    assert c == pytest.approx(a, rel=1e-12)


@pytest.mark.parametrize("counts, match", [
    ({"EC": 10, "Li": 1}, r"net charge \+1 e"),
    ({"EC": 3, "ec": 2}, "EC is named twice"),
    ({"Li": 1, "PF6": 1}, "at least one solvent"),
    ({"EC": 0}, "at least one solvent"),
    # water has IAPWS-95's density (Wagner and Pruss 2002); FEC has none in the library
    ({"FEC": 5}, r"no measured liquid density of FEC in the species library \(known"),
    ({"EC": -1}, "count of EC"),
    ({"EC": float("nan")}, "count of EC"),
    ({"XYZ": 1}, "unknown species"),
])
def test_compositions_without_an_estimate_are_refused_by_name(counts, match):
    with pytest.raises(ValueError, match=match):
        estimate_density(counts)


def test_a_user_species_under_a_library_name_gets_no_library_density():
    other = Species("EC", "OCCO")  # ethylene glycol named EC
    with pytest.raises(ValueError, match=r"this EC is SMILES 'OCCO', not the library's"):
        estimate_density({other: 4})
    # the library's own species is never told it is another
    assert SOLVENTS["EC"] == get_species("EC")
