"""A temperature given to the analyses is judged by one rule wherever it is shown.

Before: ``analyze --temperature 25`` (25 °C typed as K) marked the summary's ``input`` record
not valid ("unit doubted"), while the conductivity's own ``temperature_K (given)`` entry of the
same setting still read "25 K (a setting given, not a result)", valid; the viscosity's alike.
Now :func:`mda_electrolyte.carriers.given_temperature` makes the given Estimate for all of them.
"""

import warnings

import pytest
from test_transport52_temperature_without_velocities import positions_only  # noqa: F401

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.carriers import given_temperature
from mda_electrolyte.report import given_temperature_record, run_analyses

EH = "einstein_helfand_conductivity"


#: (temperature K, plausible for a liquid): the bounds of units.implausible_doubts, 50-6000 K
CASES = [(25.0, False), (49.0, False), (51.0, True), (300.0, True), (1600.0, True),
         (5999.0, True), (7000.0, False), (1e4, False)]


@pytest.mark.parametrize("temperature, plausible", CASES)
def test_the_helper_marks_a_temperature_no_liquid_has(temperature, plausible):
    est = given_temperature(temperature, "temperature=")
    assert est.given and est.unit == "K" and est.value == temperature
    assert est.valid is plausible
    if not plausible:
        assert est.notes and all(n.startswith("unit doubted: the temperature given:")
                                 for n in est.notes)
        # the value, not the keyword "temperature_K = " of the underlying rule
        assert "temperature_K =" not in " ".join(est.notes)


@pytest.mark.parametrize("temperature, plausible", [(25.0, False), (300.0, True),
                                                    (7000.0, False)])
def test_the_conductivity_entry_and_the_input_record_agree(positions_only, tmp_path,  # noqa: F811
                                                           temperature, plausible):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = run_analyses(positions_only, tmp_path / "out", only=[EH],
                               temperature=temperature)
    entry = summary[EH]
    assert "skipped" not in entry
    shown = Estimate.from_dict(entry["temperature_K (given)"])
    record = given_temperature_record(positions_only, temperature)["settings"]["temperature_K"]
    assert shown.given and shown.value == temperature
    assert shown.valid is plausible is record.valid
    assert shown.notes == record.notes
    # a conductivity divided by a doubted temperature is no result either
    if not plausible:
        assert not Estimate.from_dict(entry["conductivity"]).valid
