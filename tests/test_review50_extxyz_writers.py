"""Every extended-XYZ writer of the package refuses per-atom text that extxyz would cut.

ASE stores a per-atom string unquoted and its reader splits at whitespace, so a label
``'a b'`` came back as ``'a'`` (``topology.check_extxyz``). The writers of the package wrote
such frames without a word.
"""

import ast
import pathlib

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("ase_electrolyte", "mda_electrolyte", "electrolyte_cli")


def _extxyz_writers():
    """(file, function) of every function that writes extended XYZ."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text()
            if "extxyz" not in text:
                # format="extxyz" is a literal in the source: walking every function of every
                # module took 1.6 s of CPU at each worker's collection (0.65 s skipping these)
                continue
            tree = ast.parse(text)
            lines = text.splitlines()
            for node in ast.walk(tree):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                if "extxyz" not in "\n".join(lines[node.lineno - 1:node.end_lineno]):
                    continue
                writes = any(
                    isinstance(c, ast.Call) and getattr(c.func, "attr", getattr(c.func, "id", ""))
                    == "write" and any(k.arg == "format" and getattr(k.value, "value", None)
                                       == "extxyz" for k in c.keywords)
                    for c in ast.walk(node))
                if writes:
                    checks = any(isinstance(c, ast.Call) and getattr(
                        c.func, "id", getattr(c.func, "attr", "")) == "check_extxyz"
                        for c in ast.walk(node))
                    found.append((f"{path.relative_to(ROOT)}:{node.name}", checks))
    return found


WRITERS = _extxyz_writers()


def test_the_writers_are_found():
    assert len(WRITERS) >= 7, WRITERS


@pytest.mark.parametrize("where, checks", WRITERS, ids=[w for w, _ in WRITERS])
def test_every_writer_checks_its_frames(where, checks):
    assert checks, f"{where} writes extended XYZ without topology.check_extxyz"


@pytest.mark.parametrize("text", ["a b", "a\tb", "a\nb", ""])
def test_fine_tuning_data_with_cut_text_is_refused_and_not_written(tmp_path, text):
    from ase_electrolyte.finetuning import _write_frames

    frames = []
    for k in range(2):
        atoms = molecule("H2O")
        atoms.arrays["label"] = np.array(["ok", "ok", text if k else "ok"], dtype=object)
        atoms.calc = SinglePointCalculator(atoms, energy=-1.0, forces=np.zeros((3, 3)))
        frames.append(atoms)
    path = tmp_path / "train.extxyz"
    with pytest.raises(ValueError, match=r"frame 1: Atoms.arrays\['label'\].*atom 2"):
        _write_frames(frames, path)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_fine_tuning_data_without_text_round_trips(tmp_path):
    import ase.io

    from ase_electrolyte.finetuning import _write_frames

    atoms = molecule("H2O")
    atoms.arrays["label"] = np.array(["a", "b_c", "d-e"])
    atoms.calc = SinglePointCalculator(atoms, energy=-1.0, forces=np.ones((3, 3)))
    _write_frames([atoms], tmp_path / "t.extxyz")
    back = ase.io.read(tmp_path / "t.extxyz")
    assert back.arrays["label"].tolist() == ["a", "b_c", "d-e"]
    assert np.allclose(back.get_forces(), 1.0)
