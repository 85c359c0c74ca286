"""A screening plan refused for a production its analyses cannot use names what the plan's
author can change.

The refusal quoted the analysis' own reason, which advises its Python keywords ("analyse
more frames, or give n_blocks = 2", "give fewer n_blocks", "a wider window fit_window"): a plan
has no such key (a screen runs each analysis at its defaults), so the advice read as a plan
setting to give. Now those keywords are said to be the analysis' Python settings, and the
refusal gives a production length that serves the analysis (tried on the same synthetic
data): that length, put in the plan, is accepted."""

import functools
import re
import warnings
from pathlib import Path

import pytest

pytest.importorskip("rdkit")

from ase_electrolyte.screen import PlanError, load_plan  # noqa: E402
from ase_electrolyte.screen.plan import _analysis_settings, _check_production_serves  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
PROTOCOL = {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
            "production_ensemble": "nvt", "timestep_fs": 1.0, "observe_interval_fs": 10.0}


def _plan(analysis, **protocol):
    return {
        "name": "frames", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": 70,
        "analyses": [analysis],
        "model": {"calculator": f"{MODELS}:lj", "device": "cpu", "options": {}},
        "protocol": {**PROTOCOL, **protocol},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 4.0}],
    }


@functools.cache  # each refusal is read by two tests
def _refusal(analysis, production_ps, write_interval_fs):
    protocol = {**PROTOCOL, "production_ps": production_ps,
                "write_interval_fs": write_interval_fs}
    with pytest.raises(PlanError) as err:
        _check_production_serves(protocol, [analysis], [300.0])
    return str(err.value)


CASES = [
    ("diffusion", 0.3, 100.0),
    ("nernst_einstein", 0.3, 100.0),
    ("einstein_helfand_conductivity", 0.3, 100.0),
    ("einstein_helfand_conductivity", 2.0, 100.0),
    ("einstein_helfand_conductivity", 0.01, 1.0),
    ("green_kubo_conductivity", 0.01, 1.0),
    ("viscosity", 0.01, 1.0),
]


@pytest.mark.parametrize("analysis, production_ps, write_interval_fs", CASES)
def test_python_settings_are_said_to_be_no_plan_keys(analysis, production_ps,
                                                     write_interval_fs):
    text = _refusal(analysis, production_ps, write_interval_fs)
    quoted = set(re.findall(r"\b[a-z]\w*_\w+\b", text)) & _analysis_settings()
    assert quoted  # the class is not empty: each of these reasons advises one
    said = re.search(r"\(([\w, ]+): settings? of the analysis in Python, which a screen runs "
                     r"at its defaults, not plan keys\)", text)
    assert said, text
    assert set(said.group(1).split(", ")) == quoted


@pytest.mark.parametrize("analysis, production_ps, write_interval_fs", CASES)
def test_the_length_advised_serves_the_analysis(analysis, production_ps, write_interval_fs):
    text = _refusal(analysis, production_ps, write_interval_fs)
    found = re.search(r"A production of ([\d.e+-]+) ps at this write interval serves it", text)
    assert found, text
    advised = float(found.group(1))
    assert advised > production_ps
    # the plan with that length is accepted
    _check_production_serves({**PROTOCOL, "production_ps": advised,
                              "write_interval_fs": write_interval_fs}, [analysis], [300.0])


def test_a_whole_plan_with_the_advised_length_loads():
    with pytest.raises(PlanError) as err:
        load_plan(_plan("diffusion", production_ps=0.3, write_interval_fs=100.0))
    advised = re.search(r"A production of ([\d.e+-]+) ps", str(err.value)).group(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 70-atom box's packing shortfall
        plan = load_plan(_plan("diffusion", production_ps=float(advised),
                               write_interval_fs=100.0))
    assert plan is not None
