"""Arguments of the wrong kind, refused by name before any work.

- run_md(description=5) was accepted (a label of the progress bar is text).
- check_output_path(None / 5 / True / "") failed in os.fspath naming nothing, or took "" as
  the current folder; every caller (run_md's trajectory, outdir of reports, ...) names it now.
- finetune's loss="MSE" was refused as case-sensitive while every other option word is read
  in any case (option_words.choice_word).
"""

import os

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.atomic_file import check_output_path
from ase_electrolyte.finetuning import check_finetune_options
from ase_electrolyte.md import run_md


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=5.0, smooth=True)
    return atoms


class _Counting(LennardJones):
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


@pytest.mark.parametrize("description", [5, 2.5, True, b"npt", ["NPT"], np.str_("x").encode()])
def test_run_md_description_must_be_text(tmp_path, description):
    atoms = _argon()
    atoms.calc = _Counting(sigma=3.4, epsilon=0.0104, rc=5.0, smooth=True)
    _Counting.calls = 0
    with pytest.raises(TypeError, match="description .*must be text"):
        run_md(atoms, ensemble="nve", steps=2, timestep_fs=2.0, temperature_K=60,
               trajectory=tmp_path / "md.h5md", progress=False, description=description)
    assert _Counting.calls == 0
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("description", [None, "", "production", np.str_("NVE run")])
def test_run_md_description_text_runs(tmp_path, description):
    atoms = run_md(_argon(), ensemble="nve", steps=2, timestep_fs=2.0, temperature_K=60,
                   trajectory=tmp_path / "md.h5md", write_interval=2, progress=False,
                   description=description)
    assert (tmp_path / "md.h5md").is_file() and len(atoms) == 4


@pytest.mark.parametrize("path, error, match", [
    (None, TypeError, "trajectory must be a path .*not NoneType"),
    (5, TypeError, "trajectory must be a path .*not int 5"),
    (2.5, TypeError, "trajectory must be a path .*not float"),
    (True, TypeError, "trajectory must be a path .*not bool"),
    (["a.h5md"], TypeError, "trajectory must be a path .*not list"),
    ("", ValueError, r"trajectory path is empty \(''\)"),
    ("   ", ValueError, "trajectory path is empty"),
    ("a\0b.h5md", ValueError, "holds a NUL character"),
])
@pytest.mark.parametrize("folder", [False, True])
def test_check_output_path_refuses_non_paths(path, error, match, folder):
    with pytest.raises(error, match=match):
        check_output_path(path, "trajectory", folder=folder)


def test_check_output_path_accepts_paths(tmp_path):
    assert check_output_path(str(tmp_path / "a.h5md"), "x") == tmp_path / "a.h5md"
    assert check_output_path(tmp_path / "out", "x", folder=True) == tmp_path / "out"
    assert check_output_path(os.fsencode(tmp_path / "b.h5md"), "x") == tmp_path / "b.h5md"


@pytest.mark.parametrize("trajectory, error", [(5, TypeError), ("", ValueError)])
def test_run_md_names_a_bad_trajectory(tmp_path, trajectory, error):
    with pytest.raises(error, match="trajectory"):
        run_md(_argon(), ensemble="nve", steps=2, timestep_fs=2.0, temperature_K=60,
               trajectory=trajectory, progress=False)


_OPTIONS = dict(epochs=1, ensemble=1, check_units=True, plot=False, lr=1e-3, batch_size=2,
                seed=0, force_weight=1.0, stress_weight=0.01, pressure_shift_bar=0.0)


@pytest.mark.parametrize("loss", ["MSE", "Mse", " mse ", "HUBER", "Huber", "huber", "mse"])
def test_loss_in_any_case(tmp_path, loss):
    assert check_finetune_options(loss=loss, out=tmp_path / "ft", **_OPTIONS) == (1, 1)


def test_loss_spelling_is_one_setting():
    from ase_electrolyte.finetuning import _loss_word

    assert _loss_word("MSE") == _loss_word("mse") == "mse"
    assert _loss_word(" Huber ") == "huber"


@pytest.mark.parametrize("loss", ["l1", "", None, 5, "mae"])
def test_loss_unknown_refused(tmp_path, loss):
    with pytest.raises(ValueError, match="loss must be 'huber' or 'mse', not"):
        check_finetune_options(loss=loss, out=tmp_path / "ft", **_OPTIONS)


@pytest.mark.parametrize("write", ["text", "json", "figure"])
@pytest.mark.parametrize("path, error, match", [
    (None, TypeError, "the output file must be a path .*not NoneType"),
    (7, TypeError, "not int 7"),
    ("", ValueError, "the output file path is empty"),
])
def test_atomic_writers_name_a_bad_path(tmp_path, monkeypatch, write, path, error, match):
    # atomic_path, under every writer: os.fspath's "expected str, bytes or os.PathLike
    # object, not NoneType", and "" read as the current folder (". is a folder")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ase_electrolyte.atomic_file import save_figure, write_json_atomic, write_text_atomic

    monkeypatch.chdir(tmp_path)
    call = {"text": lambda: write_text_atomic(path, "x"),
            "json": lambda: write_json_atomic(path, {"a": 1}),
            "figure": lambda: save_figure(plt.figure(), path, format="png")}[write]
    with pytest.raises(error, match=match):
        call()
    assert os.listdir(tmp_path) == []


def test_atomic_writers_take_bytes_paths(tmp_path):
    from ase_electrolyte.atomic_file import write_json_atomic, write_text_atomic

    assert write_text_atomic(os.fsencode(tmp_path / "a.txt"), "x").read_text() == "x"
    assert write_json_atomic(os.fsencode(tmp_path / "a.json"), {"a": 1}).is_file()
