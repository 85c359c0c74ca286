"""``analyze --model`` on a trajectory on which no analysis that evaluates a model can run.

The model was loaded (seconds to minutes, gigabytes on a GPU) and then every analysis that would
use it skipped itself: no box for a volume scan, no reference forces for the force errors. It
is refused in one line, before the model loads; an analysis that needs reference forces says so
(the requirement ``"forces"``) and is checked like a box or velocities.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write
from cli_inputs import empty_registry

from electrolyte_cli import main
from mda_electrolyte import report


class _Loaded(Exception):
    """The model would load here."""


@pytest.fixture
def model_analyses(tmp_path, monkeypatch):
    """Only two analyses, both evaluating a model: one needs a box, one reference forces."""
    import electrolyte_cli.arguments as cli_arguments

    def analysis(universe, outdir, *, calculator=None, verbose=False):
        return {}

    def loaded(*args, **kwargs):
        raise _Loaded

    empty_registry(monkeypatch)
    report._REGISTRY.update({
        "scan": (analysis, ("calculator", "box")),
        "errors": (analysis, ("calculator", "forces")),
    })
    monkeypatch.setattr(cli_arguments, "check_model_args", lambda *a, **k: None)
    monkeypatch.setattr(cli_arguments, "make_calculator", loaded)
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")  # _Loaded raised, not reported as a bug
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _frames(path, box, forces):
    frames = []
    for i in range(3):
        atoms = Atoms("LiF", positions=[[0, 0, 0], [2.0 + 0.1 * i, 0, 0]],
                      cell=[8, 8, 8] if box else None, pbc=box)
        if forces:
            atoms.calc = SinglePointCalculator(atoms, forces=np.full((2, 3), 0.1 * i),
                                               energy=-1.0)
        atoms.info["time_ps"] = 0.01 * i
        frames.append(atoms)
    write(path, frames)


def test_a_model_no_analysis_can_use_is_refused_before_it_loads(model_analyses, capsys):
    _frames(model_analyses / "bare.extxyz", box=False, forces=False)
    assert main(["analyze", "bare.extxyz", "--model", "m.pth", "-o", "out", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no analysis that evaluates a model can run" in err
    assert "scan needs box" in err and "errors needs forces" in err
    assert not (model_analyses / "out").exists()


@pytest.mark.parametrize("box, forces", [(True, False), (False, True), (True, True)])
def test_a_model_one_analysis_can_use_goes_on_to_load(model_analyses, box, forces):
    _frames(model_analyses / "t.extxyz", box=box, forces=forces)
    with pytest.raises(_Loaded):
        main(["analyze", "t.extxyz", "--model", "m.pth", "-o", "out", "-q"])


def test_an_analysis_asked_for_that_needs_forces_is_refused_before_the_model(model_analyses,
                                                                            capsys):
    _frames(model_analyses / "boxed.extxyz", box=True, forces=False)
    argv = ["analyze", "boxed.extxyz", "--model", "m.pth", "-o", "out", "-q", "--only", "errors"]
    assert main(argv) == 2
    assert "--only errors: the analysis needs forces" in capsys.readouterr().err


def test_forces_are_a_requirement_run_analyses_checks(model_analyses):
    from mda_electrolyte.bridge import from_ase

    _frames(model_analyses / "boxed.extxyz", box=True, forces=False)
    universe = from_ase("boxed.extxyz")
    summary = report.run_analyses(universe, "out", calculator=object())
    assert summary == {"scan": {}, "errors": {"skipped": "needs forces"}}
    assert report.unmet_requirements(universe, ("forces",), None) == ["forces"]
