"""A task's properties keep an Estimate's verdict and notes as they are: each reason once."""

import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.screen.task import task_properties

REASONS = ("not equilibrated: still drifting for 7 of 11 samples",
           "too short: 4.0 independent samples after equilibration (need 50)")


def _est(unit, notes, value=1.0):
    return Estimate(value, 0.1 * value, unit, "blocks", n_samples=4, converged=not notes,
                    notes=notes).to_dict()


@pytest.mark.parametrize("notes", [REASONS[:1], REASONS], ids=["one reason", "two reasons"])
def test_every_estimate_path_keeps_its_verdict_and_notes(notes):
    simulation = {"density": _est("g/cm^3", notes)}
    summary = {
        "einstein_helfand_conductivity": {"sigma": _est("S/m", notes, 0.5)},
        "diffusion": {"D": {"Li": _est("m^2/s", notes, 1e-10)}},
        "transference": {"t_plus": _est("1", notes, 0.3)},
    }
    props = task_properties(simulation, summary)
    assert set(props) == {"density", "conductivity_eh", "D_Li", "transference.t_plus"}
    for name, prop in props.items():
        assert prop["verdict"] == "; ".join(notes), name
        assert prop["notes"] == list(notes), name
        assert not prop["converged"]
    # converted where the table has its own unit, the error with it
    assert props["conductivity_eh"]["value"] == pytest.approx(5.0)
    assert props["conductivity_eh"]["stderr"] == pytest.approx(0.5)


def test_a_valid_estimate_stays_valid_and_an_invalid_one_without_notes_says_its_verdict():
    props = task_properties({"density": _est("g/cm^3", ())}, {})
    assert props["density"]["verdict"] == "valid" and props["density"]["notes"] == []
    lost = {**_est("g/cm^3", REASONS[:1]), "notes": []}  # an older file without notes
    props = task_properties({"density": lost}, {})
    assert props["density"]["verdict"] == REASONS[0]
    assert props["density"]["notes"] == [REASONS[0]]
