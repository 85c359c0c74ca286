"""LIQUID_DENSITIES holds each measured density with its standard uncertainty, temperature and
source in one record, and estimate_density's Estimate is the documented ideal-mixing formula
applied to those records (checked here by an independent reimplementation in g/cm³ and
cm³/mol, without the package's Å³ conversion)."""

import itertools
import math
import warnings

import pytest

from ase_electrolyte.build import composition_counts, estimate_density
from ase_electrolyte.species import LIQUID_DENSITIES, SALT_VOLUMES, Species, get_species

# c of estimate_density's docstring: ideal mixing's relative doubt, 1 %; 7 % with water
MIXING = 0.01
MIXING_WATER = 0.07


def _documented_estimate(counts):
    """(value, one-sigma error) in g/cm³ by the formula of estimate_density's docstring."""
    mass = 0.0  # g/mol
    solvents = {}  # name -> (volume in cm³/mol, its error)
    salt_volume = salt_error = 0.0
    for name, n in counts.items():
        sp = get_species(name)
        mass += n * sp.mass
        if sp.charge:
            continue
        record = LIQUID_DENSITIES[sp.name]
        v = n * sp.mass / record.value_g_cm3
        solvents[sp.name] = (v, v * record.error_g_cm3 / record.value_g_cm3)
    if "Li" in counts:
        v_salt, u_salt, _ = SALT_VOLUMES["LiPF6"]
        salt_volume, salt_error = counts["Li"] * v_salt, counts["Li"] * u_salt
    total = sum(v for v, _ in solvents.values()) + salt_volume
    rho = mass / total
    inputs = math.sqrt(sum(e * e for _, e in solvents.values()) + salt_error**2) / total
    solvent_volume = sum(v for v, _ in solvents.values())
    c = MIXING_WATER if "H2O" in solvents and len(solvents) > 1 else MIXING
    mixing = c * (1 - sum((v / solvent_volume) ** 2 for v, _ in solvents.values()))
    return rho, rho * math.hypot(inputs, mixing)


GRID = [
    dict(zip(pair, shares, strict=True)) | salt
    for pair in itertools.combinations(sorted(LIQUID_DENSITIES), 2)
    for shares in ((30, 70), (90, 10))
    for salt in ({}, {"Li": 3, "PF6": 3})
] + [{name: 40} | salt for name in sorted(LIQUID_DENSITIES) for salt in ({}, {"Li": 2, "PF6": 2})]


def test_every_record_carries_a_positive_finite_error_below_two_percent():
    assert len(LIQUID_DENSITIES) >= 12
    for name, record in LIQUID_DENSITIES.items():
        assert record._fields == ("value_g_cm3", "error_g_cm3", "temperature_K", "source")
        assert math.isfinite(record.error_g_cm3) and record.error_g_cm3 > 0, name
        assert record.error_g_cm3 < 0.02 * record.value_g_cm3, name
        # the tuple order of (value, ..., source) is the record's
        assert record[0] == record.value_g_cm3 and record[-1] == record.source


def test_each_record_states_the_temperature_it_was_measured_at():
    # EC melts at 36 °C: its value is the molten liquid's at 40 °C, and the record says so
    ec = LIQUID_DENSITIES["EC"]
    assert (ec.value_g_cm3, ec.temperature_K) == (1.321, 313.15)
    assert "40 °C" in ec.source
    # taken as it stands at 25 °C, its error holds the shift of 15 K at the documented expansion
    # of about 0.001 g/cm³/K (0.010 held two thirds of it)
    assert ec.error_g_cm3 >= (ec.temperature_K - 298.15) * 0.001
    # standing in at 25 °C, 15 K away, its error is the largest relative one of the library
    relative = {k: r.error_g_cm3 / r.value_g_cm3 for k, r in LIQUID_DENSITIES.items()}
    assert max(relative, key=relative.get) == "EC"
    for name, record in LIQUID_DENSITIES.items():
        if name != "EC":
            assert record.temperature_K == 298.15, name


@pytest.mark.parametrize("counts", GRID, ids=lambda c: "-".join(f"{k}{n}" for k, n in c.items()))
def test_the_estimate_is_the_documented_formula_on_the_records(counts):
    with warnings.catch_warnings():
        # a salt in an ether or water warns that its volume there is not measured
        warnings.simplefilter("ignore", UserWarning)
        rho = estimate_density(counts, with_uncertainty=True)
        bare = estimate_density(counts).value
    value, error = _documented_estimate(counts)
    assert rho.unit == "g/cm^3" and rho.value == bare
    assert rho.value == pytest.approx(value, rel=1e-12)
    assert rho.stderr == pytest.approx(error, rel=1e-12)


def test_a_record_error_moves_the_estimate_error_as_documented(monkeypatch):
    """One record's error alone: the density's error is V_k/V of the relative error (mixing
    of one solvent adds none)."""
    from ase_electrolyte import species

    record = species.LIQUID_DENSITIES["DMC"]
    monkeypatch.setitem(species.LIQUID_DENSITIES, "DMC", record._replace(error_g_cm3=0.05))
    rho = estimate_density({"DMC": 10}, with_uncertainty=True)
    assert rho.stderr == pytest.approx(0.05, rel=1e-12)


def test_a_user_species_with_a_library_name_but_another_molecule_has_no_density():
    from ase_electrolyte.species import _liquid_density

    impostor = Species("DMC", "CCO")  # ethanol named DMC
    assert _liquid_density(impostor) is None
    with pytest.raises(ValueError, match=r"no measured liquid density of DMC \(this DMC is"):
        estimate_density({impostor: 5, "EC": 5}, with_uncertainty=True)
    # a volume ratio turns volumes into molecules with the record: refused for it too
    with pytest.raises(ValueError, match="has none for DMC"):
        composition_counts({"EC": 1, impostor: 1}, ratio="volume", n_atoms=300)
    # the library's molecule in another SMILES spelling keeps its whole record
    same = Species("DMC", "O=C(OC)OC")
    assert _liquid_density(same) == LIQUID_DENSITIES["DMC"]
    assert (estimate_density({same: 5}, with_uncertainty=True).stderr
            == estimate_density({"DMC": 5}, with_uncertainty=True).stderr)
