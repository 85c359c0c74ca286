"""The registered force-error analysis declares the reference forces it measures against.

Registered with ``needs=("calculator",)`` alone, ``electrolyte analyze --model M --only
intra_inter_errors`` on a trajectory without forces loaded the model and then skipped itself.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write

from electrolyte_cli import main
from mda_electrolyte.report import registered_analyses


class _Loaded(Exception):
    """The model would load here."""


@pytest.fixture
def no_model(tmp_path, monkeypatch):
    import electrolyte_cli.arguments as cli_arguments

    def loaded(*args, **kwargs):
        raise _Loaded

    monkeypatch.setattr(cli_arguments, "check_model_args", lambda *a, **k: None)
    monkeypatch.setattr(cli_arguments, "make_calculator", loaded)
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")  # _Loaded raised, not reported as a bug
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _frames(path, forces):
    frames = []
    for i in range(3):
        atoms = Atoms("LiF", positions=[[0, 0, 0], [2.0 + 0.1 * i, 0, 0]], cell=[8, 8, 8],
                      pbc=True)
        if forces:
            f = np.array([[0.1 * i, 0, 0], [-0.1 * i, 0, 0]])
            atoms.calc = SinglePointCalculator(atoms, forces=f, energy=-1.0)
        atoms.info["time_ps"] = 0.01 * i
        frames.append(atoms)
    write(path, frames)


def test_the_force_errors_need_a_model_and_reference_forces():
    assert set(registered_analyses()["intra_inter_errors"]) == {"calculator", "forces"}


def test_force_errors_asked_for_without_forces_are_refused_before_the_model(no_model, capsys):
    _frames(no_model / "t.extxyz", forces=False)
    argv = ["analyze", "t.extxyz", "--model", "m.pth", "-o", "out", "-q",
            "--only", "intra_inter_errors"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--only intra_inter_errors: the analysis needs forces" in err
    assert not (no_model / "out").exists()


def test_force_errors_with_reference_forces_go_on_to_load_the_model(no_model):
    _frames(no_model / "t.extxyz", forces=True)
    with pytest.raises(_Loaded):
        main(["analyze", "t.extxyz", "--model", "m.pth", "-o", "out", "-q",
              "--only", "intra_inter_errors"])
