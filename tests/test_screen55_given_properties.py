"""A number given to the analyses (Estimate.given_value) is no screened property.

task_properties took every Estimate dict of a task's summary as a measured number of that task:
a fallback shell cutoff or a viscosity given to a correction became a table row, a "valid" mean
over replicas of a setting (or of a setting in some replicas and a measurement in others).
"""

import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.screen.properties import task_properties


def _given(value, unit, stderr=0.0, old=False):
    entry = Estimate.given_value(value, unit, stderr, source="a setting").to_dict()
    if old:  # written before the flag: told by the method and an error of 0
        entry.pop("given")
    return entry


def _measured(value, stderr, unit):
    return Estimate(value, stderr, unit, "block average", n_samples=40).to_dict()


# an old file's given number (no flag) is told by an error of 0; one with an error reads measured
@pytest.mark.parametrize(("stderr", "old"), [(0.0, False), (0.15, False), (0.0, True)])
@pytest.mark.parametrize("where", ["nested", "known scalar", "per species", "density",
                                   "input record"])
def test_given_numbers_are_not_properties(where, stderr, old):
    given = _given(2.6, "Å", stderr, old)
    simulation = {"density": _measured(1.25, 0.01, "g/cm^3")}
    summary = {"solvation_shells": {"fractions": {"SSIP": _measured(0.4, 0.02, "1")}},
               "viscosity": {"viscosity": _measured(3.0, 0.3, "mPa·s")},
               "diffusion": {"D": {"Li": _measured(1e-10, 1e-11, "m^2/s")}}}
    if where == "nested":
        summary["solvation_shells"]["cutoffs"] = {"Li": {"O": given}}
    elif where == "known scalar":
        summary["viscosity"] = {"viscosity": _given(3.0, "mPa·s", stderr, old)}
    elif where == "per species":
        summary["diffusion"]["D"]["PF6"] = _given(1e-10, "m^2/s", stderr, old)
    elif where == "density":
        simulation = {"density": _given(1.25, "g/cm^3", stderr, old)}
    else:
        summary["input"] = {"settings": {"temperature_K": _given(298.15, "K", stderr, old)}}
    props = task_properties(simulation, summary)
    expected = {"density", "SSIP", "viscosity", "D_Li"}
    expected.discard({"known scalar": "viscosity", "density": "density"}.get(where))
    assert set(props) == expected
    for prop in props.values():
        assert prop["method"] != "given" and not prop["method"].startswith("given (")


def test_measured_number_with_a_given_methods_words_stays():
    # an error of 0 of a measured number without the flag is not a given one
    summary = {"viscosity": {"viscosity": Estimate(3.0, 0.0, "mPa·s", "block average",
                                                   n_samples=5, given=False).to_dict()}}
    assert set(task_properties({}, summary)) == {"viscosity"}
