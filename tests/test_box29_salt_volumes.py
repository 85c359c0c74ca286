"""estimate_density against measured electrolyte densities: the salt's measured volume in
solution (SALT_VOLUMES), the van der Waals rule it replaces, and the warnings where no volume is
measured; the solvents whose measured densities were added (VC, DEE, diglyme)."""

import warnings

import pytest

from ase_electrolyte.build import composition_counts, estimate_density
from ase_electrolyte.species import LIQUID_DENSITIES, SALT_VOLUMES, get_salt, get_species
from ase_electrolyte.trajectory import GCM3_TO_AMU_PER_A3

A3_PER_CM3_MOL = 1e24 / 6.02214076e23

# 1 mol/L LiPF6 at 25 °C, solvents by mass: LP30 1.29-1.30 g/cm³, LP57 about 1.20 g/cm³
MEASURED = [({"EC": 1, "DMC": 1}, 1.295), ({"EC": 3, "EMC": 7}, 1.20)]


def _vdw_rule(counts):
    mass = sum(get_species(k).mass * n for k, n in counts.items())
    volume = sum(n * (1.1**3 * get_species(k).vdw_volume if get_species(k).charge
                      else get_species(k).mass / (LIQUID_DENSITIES[get_species(k).name][0]
                                                  * GCM3_TO_AMU_PER_A3))
                 for k, n in counts.items())
    return mass / volume / GCM3_TO_AMU_PER_A3


@pytest.mark.parametrize("solvent, measured", MEASURED)
def test_one_molar_lipf6_solutions_start_at_their_measured_density(solvent, measured):
    counts = composition_counts(solvent, "LiPF6", 1.0, units="molar", density=measured,
                                n_atoms=20000)
    named = {sp.name: n for sp, n in counts.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a measured salt volume: nothing to warn about
        rho = estimate_density(named).value
    # within 1 % (the measurements' own spread is 0.5 %); the van der Waals rule was 7 % low
    assert rho == pytest.approx(measured, rel=0.01)
    assert _vdw_rule(named) < 0.95 * measured


def test_the_salt_takes_its_measured_volume_per_formula_unit():
    counts = {"EC": 30, "DMC": 30, "Li": 6, "PF6": 6}
    mass = sum(get_species(k).mass * n for k, n in counts.items())
    v_solvent = sum(n * get_species(k).mass / (LIQUID_DENSITIES[k][0] * GCM3_TO_AMU_PER_A3)
                    for k, n in counts.items() if k in ("EC", "DMC"))
    v_salt = 6 * SALT_VOLUMES["LiPF6"][0] * A3_PER_CM3_MOL
    expect = mass / (v_solvent + v_salt) / GCM3_TO_AMU_PER_A3
    assert estimate_density(counts).value == pytest.approx(expect, rel=1e-9)
    # an effective volume far below the ions' 1.1³-scaled van der Waals spheres (104 cm³/mol)
    salt = get_salt("LiPF6")
    vdw = 1.1**3 * (salt.cation.vdw_volume + salt.anion.vdw_volume) / A3_PER_CM3_MOL
    value, error, source = SALT_VOLUMES["LiPF6"]
    assert 0 < value + 2 * error < 0.5 * vdw and "LP30" in source


def test_one_ion_pair_in_a_thousand_solvents_is_the_solvent():
    rho = estimate_density({"EC": 1000, "Li": 1, "PF6": 1}).value
    assert rho == pytest.approx(LIQUID_DENSITIES["EC"][0], rel=2e-3) and rho > 1.321


@pytest.mark.parametrize("counts, match", [
    ({"EC": 20, "Li": 2, "FSI": 2}, r"ions FSI\+Li .* van der Waals"),
    ({"PC": 20, "Na": 2, "PF6": 2}, r"ions Na\+PF6"),
    # a mixture of salts is no one salt's measured volume
    ({"EC": 40, "Li": 3, "PF6": 2, "FSI": 1}, r"ions FSI\+Li\+PF6"),
])
def test_ions_without_a_measured_volume_warn_and_take_the_van_der_waals_rule(counts, match):
    with pytest.warns(UserWarning, match=match + r".*density=") as caught:
        rho = estimate_density(counts).value
    assert rho == pytest.approx(_vdw_rule(counts), rel=1e-9)
    # the warning sizes the possible error: the density with the ions at LiPF6's ratio of
    # measured to van der Waals volume
    salt = get_salt("LiPF6")
    ratio = SALT_VOLUMES["LiPF6"][0] * A3_PER_CM3_MOL / (
        1.1**3 * (salt.cation.vdw_volume + salt.anion.vdw_volume))
    mass = sum(get_species(k).mass * n for k, n in counts.items())
    volume = sum(n * (ratio * 1.1**3 * get_species(k).vdw_volume if get_species(k).charge
                      else get_species(k).mass / (LIQUID_DENSITIES[get_species(k).name][0]
                                                  * GCM3_TO_AMU_PER_A3))
                 for k, n in counts.items())
    shrunk = mass / volume / GCM3_TO_AMU_PER_A3
    text = str(caught[0].message)
    assert f"{rho:.3f} g/cm³ is likely low" in text and f"({shrunk:.3f} g/cm³" in text


def test_a_superconcentrated_salt_is_beyond_the_measured_volume():
    counts = composition_counts({"EC": 1, "DMC": 1}, "LiPF6", 4.0, n_atoms=2000)
    with pytest.warns(UserWarning, match=r"LiPF6 at 4.* mol/kg is beyond .* not known"):
        estimate_density(counts)


@pytest.mark.parametrize("name, rho", [("VC", 1.355), ("DEE", 0.842), ("diglyme", 0.939),
                                       (" g2 ", 0.939)])
def test_added_solvents_start_at_their_measured_density(name, rho):
    assert estimate_density({name: 5}).value == pytest.approx(rho, rel=1e-12)
    # the same molecules by volume and by mass: a v/v mixture needs the measured densities
    sp = get_species(name)
    by_volume = composition_counts({sp.name: 1, "EC": 1}, ratio="volume", n_atoms=3000)
    ec = get_species("EC")
    volumes = {s.name: n * s.mass / LIQUID_DENSITIES[s.name][0] for s, n in by_volume.items()}
    assert volumes[sp.name] / volumes["EC"] == pytest.approx(1.0, rel=0.05)
    assert by_volume[ec] > 0


@pytest.mark.parametrize("solvent", ["DME", "H2O", "GBL"])
def test_a_salt_volume_measured_in_carbonates_is_not_carried_to_other_solvents_silently(solvent):
    with pytest.warns(UserWarning, match=rf"measured in carbonates .* in {solvent} the "
                                         r"estimate's error is not known"):
        estimate_density({solvent: 20, "EC": 5, "Li": 2, "PF6": 2})
