"""Refusals that need no heavy import, judged by sys.modules in a fresh process.

Before: ``electrolyte screen --workers 0`` was refused after importing scipy.stats (the
screening package's ``__init__`` imported its table module for ``check_workers``; 1.3 s idle,
2.1 s loaded); ``electrolyte finetune`` into its own folder with other options was refused after
importing torch (sevenn, for the base checkpoint and its version; 4.2-4.6 s idle) though the
members' records alone show the options differ. A plan's refusal imported the table module
first as well (1.2 -> 0.66 s CPU).
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator


def _fresh(code, cwd):
    """Run ``code`` in a fresh interpreter: (its stdout, stderr)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


_MAIN = """
import sys
from electrolyte_cli import main
status = main({argv!r})
print(status, sorted(m for m in ("torch", "scipy.stats", "sevenn", "MDAnalysis")
                     if m in sys.modules))
"""


@pytest.mark.parametrize("extra, said", [
    (["--workers", "0"], "--workers (worker processes"),
    # a plan's refusal came after the table module's import too (run_screen imported it first)
    ([], "the plan needs a [model] table"),
])
def test_screen_refuses_without_the_table_statistics(tmp_path, extra, said):
    (tmp_path / "plan.toml").write_text('name = "x"\n')
    out, err = _fresh(_MAIN.format(argv=["screen", "plan.toml", "-o", "out", *extra]),
                      tmp_path)
    assert out.split("\n")[0] == "2 []", out
    assert err.count("\n") == 1 and said in err, err
    assert not (tmp_path / "out").exists()


def test_the_screening_package_keeps_its_names_when_imported_lazily(tmp_path):
    out, _ = _fresh("""
        import sys
        import ase_electrolyte.screen as screen
        from ase_electrolyte.screen.engine import check_workers
        print("scipy.stats" in sys.modules)
        import ase_electrolyte.screen.aggregate as module  # the submodule, imported first
        from ase_electrolyte.screen import aggregate, run_screen, PlanError, __all__
        print(callable(aggregate) and aggregate is screen.aggregate
              and aggregate is sys.modules["ase_electrolyte.screen.aggregate"].aggregate,
              all(hasattr(screen, name) for name in __all__))
    """, tmp_path)
    assert out.split() == ["False", "True", "True"]


def _frames(path, shift=0.0):
    rng = np.random.default_rng(0)
    frames = []
    for i in range(3):
        atoms = Atoms("H2O", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]],
                      cell=[8, 8, 8], pbc=True)
        atoms.rattle(0.02, seed=i)
        forces = rng.normal(0, 0.1, (3, 3))
        forces -= forces.mean(axis=0)
        atoms.calc = SinglePointCalculator(atoms, energy=-14.0 + 0.01 * i + shift,
                                           forces=forces, stress=np.zeros(6))
        frames.append(atoms)
    import ase.io

    ase.io.write(path, frames)


def _member(folder, k=0, finished=True, **settings):
    """A member as an earlier fine-tune left it: its record of the options it was trained with
    (epochs 3 and finetune's defaults unless given), seed 1 + k."""
    from ase_electrolyte.native_build import file_sha256

    work = folder / f"member_{k}"
    work.mkdir(parents=True)
    record = {"epochs": 3, "lr": 1e-3, "batch_size": 4, "force_weight": 1.0,
              "stress_weight": 0.01, "loss": "huber", "pressure_shift_bar": 0.0,
              "base": {"file_sha256": "0"}, "train": "0", "valid": None, "sevenn": "0",
              **settings}
    (work / "lc.csv").write_text("epoch\n1\n")
    if finished:
        (work / "finetuned.pth").write_bytes(b"model")
        (work / "finetuned.json").write_text(json.dumps({
            "settings": record, "seed": 1 + k,
            "model_sha256": file_sha256(work / "finetuned.pth")}))
    else:
        (work / "checkpoint_2.pth").write_bytes(b"model")
        (work / "training.json").write_text(json.dumps({"settings": record, "seed": 1 + k}))


@pytest.mark.parametrize("argv, finished, said", [
    (["--epochs", "5"], True, "member_0/finetuned.pth: trained with epochs 3, not 5"),
    (["--epochs", "3", "--lr", "0.01"], True, "lr 0.001, not 0.01"),
    (["--epochs", "3", "--seed", "7"], True, "seed 1, not 7"),
    (["--epochs", "5"], False, "member_0/checkpoint_2.pth: a training stopped at epoch 2, "
                               "trained with epochs 3, not 5"),
])
def test_finetune_refuses_members_of_other_options_without_torch(tmp_path, argv, finished,
                                                                 said):
    _frames(tmp_path / "train.extxyz")
    _member(tmp_path / "ft", finished=finished)
    before = sorted(p.name for p in (tmp_path / "ft" / "member_0").iterdir())
    out, err = _fresh(_MAIN.format(argv=["finetune", "train.extxyz", "-o", "ft", *argv]),
                      tmp_path)
    assert out.split("\n")[0] == "2 []", out
    assert err.count("\n") == 1 and said in err and "pass --overwrite" in err, err
    assert sorted(p.name for p in (tmp_path / "ft" / "member_0").iterdir()) == before


def test_finetune_compares_the_rest_when_the_options_agree(tmp_path, monkeypatch, capsys):
    """Options as recorded: the full comparison (the data, the base checkpoint, sevenn's
    version) still decides, and refuses what it finds different."""
    pytest.importorskip("sevenn")
    from electrolyte_cli import main

    _frames(tmp_path / "train.extxyz")
    _member(tmp_path / "ft")
    monkeypatch.chdir(tmp_path)
    assert main(["finetune", "train.extxyz", "-o", "ft", "--epochs", "3"]) == 2
    err = capsys.readouterr().err
    assert "another base model, other training data" in err and "epochs" not in err, err
