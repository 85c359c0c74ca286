"""The frames our writers put in extended XYZ read back with the ``info`` they were given.

ASE writes ``Atoms.info`` to the comment line: a string with a backslash lost it, ``"1.5"``,
``"T"`` and ``"1 2 3"`` came back as a number, a flag and an array, ``""`` as the text
``'pbc=F F F'`` of the next key, ``None`` as ``True``, a tab split the entry into two keys, a
key with ``=`` was lost, a newline made the file unreadable, and an ``info["pbc"]`` of one's
own was replaced by the periodicity. ``topology.check_extxyz`` (called by every writer) passed
all of them.
"""

import io
import warnings

import ase.io
import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte.topology import check_extxyz

CHANGED = {
    "backslash": ("note", "C:\\runs\\a"),
    "number text": ("note", "1.5"),
    "integer text": ("note", "3"),
    "flag text": ("note", "T"),
    "True text": ("note", "True"),
    "list text": ("note", "1 2 3"),
    "empty": ("note", ""),
    "None": ("note", None),
    "tab": ("note", "a\tb"),
    "newline": ("note", "first line\nsecond"),
    "carriage return": ("note", "a\rb"),
    "key with =": ("a=b", 2),
    "pbc of one's own": ("pbc", "slab"),
    "Properties of one's own": ("Properties", "x"),
    "complex": ("note", 1j),
    "Voigt stress as a list": ("stress", [0.1, 0.2, 0.3, 0.0, 0.0, 0.0]),
    "virial of 6 values": ("virial", np.ones(6)),
}

KEPT = {
    "blanks": ("solvent", "my solvent"),
    "quotes": ("note", 'say "hi"'),
    "apostrophe": ("note", "it's"),
    "equals in value": ("note", "a=b"),
    "braces": ("note", "{x}"),
    "json text": ("note", '{"a": 1}'),
    "unicode": ("note", "Li⁺ in EC"),
    "float": ("time_ps", 0.1 + 0.2),
    "nan": ("spread", float("nan")),
    "int": ("step", np.int64(2**60)),
    "flag": ("converged", True),
    "array": ("dipole_ref", np.array([0.1, -2.0, 3e-9])),
    "matrix": ("cell_ref", np.eye(3) * 1.5),
    "strings with blanks": ("names", ["a b", "c"]),
    "dict with nan and None": ("record", {"value": float("nan"), "error": None, "n": 3}),
    "key with blank": ("my key", 1),
    # labels ASE's reader gives the calculator
    "energy label": ("energy", -1.25),
    "Voigt stress label": ("stress", np.array([0.1, 0.2, 0.3, -0.01, 0.02, -0.03])),
    "3x3 virial label": ("virial", np.arange(9.0).reshape(3, 3)),
}


def _kept(value, got):
    """Whether ``got`` (read back) is ``value`` (written), type and all."""
    if isinstance(value, str) or isinstance(got, str):
        return isinstance(value, str) and isinstance(got, str) and got == value
    if value is None or isinstance(value, complex):
        return False
    a, b = np.asarray(value), np.asarray(got)
    return a.dtype.kind == b.dtype.kind and np.array_equal(a, b)


def _written_and_read(atoms):
    text = io.StringIO()
    ase.io.write(text, atoms, format="extxyz")
    return ase.io.read(io.StringIO(text.getvalue()), format="extxyz")


@pytest.mark.parametrize("key, value", CHANGED.values(), ids=CHANGED.keys())
def test_info_that_would_not_read_back_is_refused_naming_it(key, value):
    atoms = molecule("H2O")
    atoms.info[key] = value
    before = dict(atoms.info)
    with pytest.raises(ValueError, match=rf"Atoms.info\[{key!r}\]"):
        check_extxyz(atoms)
    assert atoms.info.keys() == before.keys()
    # the refusal is honest: ASE's own writer and reader do change (or lose) it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            back = _written_and_read(atoms)
    except Exception:  # noqa: BLE001 - an unreadable file is a change
        return
    assert key not in back.info or not _kept(value, back.info[key])


@pytest.mark.parametrize("key, value", KEPT.values(), ids=KEPT.keys())
def test_info_that_reads_back_is_accepted_and_reads_back(key, value):
    atoms = molecule("H2O")
    atoms.info[key] = value
    check_extxyz(atoms)
    back = _written_and_read(atoms)
    labels = back.calc.results if back.calc is not None else {}
    assert list(back.info) + list(labels) == [key]
    got = back.info[key] if key in back.info else labels[key]
    if isinstance(value, dict):
        assert got.keys() == value.keys() and got["n"] == 3 and got["error"] is None
        assert np.isnan(got["value"])
    elif isinstance(value, str):
        assert got == value
    else:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(value))
        assert np.asarray(got).dtype.kind == np.asarray(value).dtype.kind


def test_the_refusal_names_the_frame_among_several():
    frames = [molecule("H2O") for _ in range(3)]
    frames[2].info["note"] = "2.0"
    with pytest.raises(ValueError, match=r"frame 2: Atoms.info\['note'\] = '2.0' would read "
                                         r"back .* as np.float64\(2.0\)"):
        check_extxyz(frames)


@pytest.mark.parametrize("key, value", [CHANGED["number text"], CHANGED["None"],
                                        CHANGED["newline"]])
def test_a_writer_refuses_such_frames_and_writes_nothing(tmp_path, key, value):
    from ase_electrolyte.finetuning import _write_frames

    frames = []
    for k in range(2):
        atoms = molecule("H2O")
        atoms.info["config_type"] = "md"
        if k:
            atoms.info[key] = value
        atoms.calc = SinglePointCalculator(atoms, energy=-1.0, forces=np.zeros((3, 3)))
        frames.append(atoms)
    path = tmp_path / "train.extxyz"
    with pytest.raises(ValueError, match=rf"frame 1: Atoms.info\[{key!r}\]"):
        _write_frames(frames, path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key, where", [("energy", "info"), ("free_energy", "info"),
                                        ("stress", "info"), ("forces", "arrays")])
def test_a_label_held_by_the_calculator_and_the_frame_is_refused_naming_it(key, where):
    atoms = molecule("H2O")
    atoms.cell = [8.0, 8.0, 8.0]
    atoms.pbc = True
    results = {"energy": -1.0, "free_energy": -1.0, "forces": np.zeros((3, 3)),
               "stress": np.zeros(6)}
    atoms.calc = SinglePointCalculator(atoms, **results)
    getattr(atoms, where)[key] = np.ones(6) if key == "stress" else (
        np.ones((3, 3)) if key == "forces" else 2.0)
    with pytest.raises(ValueError, match=rf"Atoms.{where}\[{key!r}\] and the calculator's"):
        check_extxyz(atoms)
    # ASE's writer refuses it too, without naming the key
    with pytest.raises(KeyError, match="already exists"):
        _written_and_read(atoms)
    # either one alone is written and read back as the calculator's label
    del getattr(atoms, where)[key]
    check_extxyz(atoms)
    back = _written_and_read(atoms)
    assert key in back.calc.results
