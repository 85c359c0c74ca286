"""estimate_density returns its Estimate (g/cm³, error and verdict) by default: the default was a
bare float, so a start density left not valid by ions of no measured volume read as any other.
with_uncertainty=False still gives the float, with a DeprecationWarning; True is taken."""
import warnings

import pytest

from ase_electrolyte.build import _ions_volume, electrolyte_box, estimate_density
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.species import LIQUID_DENSITIES, get_species
from ase_electrolyte.units import GCM3_TO_AMU_PER_A3

_MEASURED_SALT = {"EC": 130, "DMC": 128, "Li": 20, "PF6": 20}  # LP30
_UNMEASURED_IONS = {"DME": 40, "Li": 4, "FSI": 4}


def _ideal(counts):
    """The ideal-mixing density (g/cm³) by its definition: Σ m / (Σ m_k/ρ_k + V_ions)."""
    plan = {get_species(k): n for k, n in counts.items()}
    mass = sum(sp.mass * n for sp, n in plan.items())
    volume = sum(sp.mass * n / (LIQUID_DENSITIES[sp.name][0] * GCM3_TO_AMU_PER_A3)
                 for sp, n in plan.items() if sp.charge == 0)
    solvent_mass = sum(sp.mass * n for sp, n in plan.items() if sp.charge == 0)
    ions = {sp: n for sp, n in plan.items() if sp.charge}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ions_volume = _ions_volume(ions, solvent_mass, {sp.name for sp in plan
                                                        if sp.charge == 0})[0]
    return mass / (volume + ions_volume) / GCM3_TO_AMU_PER_A3


@pytest.mark.parametrize("counts", [{"EMC": 10}, {"EC": 3, "EMC": 7}, {"H2O": 20, "EC": 5},
                                    _MEASURED_SALT, _UNMEASURED_IONS],
                         ids=["EMC", "EC-EMC", "H2O-EC", "LP30", "LiFSI-DME"])
def test_the_default_is_the_estimate_with_its_error_and_verdict(counts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the unmeasured ions' doubt
        warnings.simplefilter("error", DeprecationWarning)
        rho = estimate_density(counts)
        taken = estimate_density(counts, with_uncertainty=True)
    assert isinstance(rho, Estimate) and rho.unit == "g/cm^3"
    assert rho == taken
    assert rho.value == pytest.approx(_ideal(counts), rel=1e-12)
    assert rho.stderr >= 0 and rho.to("kg/m^3").value == pytest.approx(1000 * rho.value)


def test_a_density_of_unmeasured_ions_is_not_valid_and_says_why():
    with pytest.warns(UserWarning, match="no measured volume in solution"):
        rho = estimate_density(_UNMEASURED_IONS)
    assert not rho.valid and "no measured volume in solution" in rho.verdict
    assert rho.stderr > 0  # the distance to the density at LiPF6's ratio of volumes
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a measured salt in carbonates: no doubt
        assert estimate_density(_MEASURED_SALT).valid


@pytest.mark.parametrize("flag", [False, pytest.param("numpy", id="np.False_")])
def test_the_bare_float_is_deprecated_and_still_the_same_number(flag):
    if flag == "numpy":
        import numpy as np

        flag = np.False_
    with pytest.warns(DeprecationWarning, match=r"with_uncertainty=False\) is deprecated.*\.value"):
        bare = estimate_density(_MEASURED_SALT, with_uncertainty=flag)
    assert type(bare) is float
    assert bare == estimate_density(_MEASURED_SALT).value


@pytest.mark.parametrize("flag", ["no", 0, 2, "False"])
def test_a_flag_that_is_no_bool_is_refused(flag):
    with pytest.raises(ValueError, match="with_uncertainty"):
        estimate_density({"EC": 3}, with_uncertainty=flag)


def test_the_estimate_is_a_density_to_build_from():
    counts = {"EC": 6, "EMC": 10, "Li": 1, "PF6": 1}
    rho = estimate_density(counts)
    box = electrolyte_box(counts=counts, density=rho, seed=0)
    mass = box.get_masses().sum()
    assert mass / box.get_volume() / GCM3_TO_AMU_PER_A3 == pytest.approx(rho.value, rel=1e-9)
