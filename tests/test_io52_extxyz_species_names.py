"""Species names and per-atom text that extended XYZ cannot carry are refused, not corrupted.

ASE's extended XYZ writer stores a per-atom string unquoted and its reader splits a line at any
whitespace: ``set_topology(..., species=["my solvent", ...])`` was accepted and the species read
back from an ``.extxyz`` file as ``'my'`` (another species, silently); a name with a newline made
the file unreadable. Every name either is refused by name, or survives the round trip exactly.
"""

import io

import ase.io
import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.topology import (
    FORMAL_CHARGE,
    MOLECULE_INDEX,
    SPECIES,
    check_extxyz,
    get_topology,
    set_topology,
)

BLANKS = [" ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\xa0", "\u2003", "\u3000"]
GOOD = ["EC", "my_solvent", "my-solvent", "Li+", "PF6-", "a=b", 'q"', "x,y", "T", "1", "É"]


def _atoms():
    return Atoms("H3", positions=[[0, 0, 0], [0, 0, 1], [3, 0, 0]])


def _round_trip(atoms):
    text = io.StringIO()
    ase.io.write(text, atoms, format="extxyz")
    text.seek(0)
    return ase.io.read(text, format="extxyz")


@pytest.mark.parametrize("blank", BLANKS)
def test_set_topology_refuses_a_name_with_whitespace_inside(blank):
    atoms = _atoms()
    set_topology(atoms, [0, 0, 1], ["EC", "EC", "Li"], [0, 0, 1])
    name = f"my{blank}solvent"
    with pytest.raises(ValueError, match="without whitespace"):
        set_topology(atoms, [0, 0, 1], [name, name, "Li"], [0, 0, 1])
    # the atoms keep what they had
    assert get_topology(atoms)[SPECIES].tolist() == ["EC", "EC", "Li"]


@pytest.mark.parametrize("blank", BLANKS)
def test_get_topology_and_check_extxyz_refuse_names_set_by_hand(blank):
    atoms = _atoms()
    atoms.new_array(MOLECULE_INDEX, np.array([0, 0, 1]))
    atoms.new_array(SPECIES, np.array(["a", "a", f"b{blank}c"]))
    atoms.new_array(FORMAL_CHARGE, np.array([0, 0, 0]))
    with pytest.raises(ValueError, match="without whitespace"):
        get_topology(atoms)
    with pytest.raises(ValueError, match="frame 1: .*without whitespace"):
        check_extxyz([_atoms(), atoms])


# ASE's new_array decodes a bytes array as ASCII
@pytest.mark.parametrize("blank, dtype", [(b, t) for b in BLANKS for t in (str, object, bytes)
                                          if t is not bytes or b.isascii()])
def test_check_extxyz_refuses_any_per_atom_text_it_would_cut(blank, dtype):
    atoms = _atoms()
    text = f"x{blank}y"
    values = ["a", "b", text.encode() if dtype is bytes else text]
    atoms.new_array("label", np.array(values, dtype=None if dtype is bytes else dtype))
    with pytest.raises(ValueError, match=r"'label'.*atom 2"):
        check_extxyz(atoms)


@pytest.mark.parametrize("name", GOOD)
def test_accepted_names_survive_the_extxyz_round_trip(name):
    atoms = _atoms()
    set_topology(atoms, [0, 0, 1], [name, name, "Li"], [0, 0, 1])
    atoms.new_array("label", np.array([name, "b", "c"]))
    check_extxyz(atoms)
    back = _round_trip(atoms)
    assert get_topology(back)[SPECIES].tolist() == [name, name, "Li"]
    assert back.arrays["label"].tolist() == [name, "b", "c"]


@pytest.mark.parametrize("text", ["my solvent", "a\tb", "a\nb", "x\xa0y", "a\u2003b", "a b c"])
def test_every_name_is_refused_or_kept_exactly(text):
    """The rule is exactly what ASE's reader keeps: a refused name is one it would change."""
    atoms = _atoms()
    atoms.new_array("label", np.array([text, "b", "c"]))
    try:
        check_extxyz(atoms)
    except ValueError:
        try:
            back = _round_trip(atoms).arrays["label"][0]
        except Exception:  # noqa: BLE001 - an unreadable file is what the refusal prevents
            return
        assert back != text
    else:
        assert _round_trip(atoms).arrays["label"][0] == text


def test_check_extxyz_needs_atoms():
    with pytest.raises(TypeError, match="needs an ase.Atoms"):
        check_extxyz(["not atoms"])


@pytest.mark.parametrize("dataset, values, message", [
    ("parameters/ase_electrolyte/species_name", ["my solvent", "my solvent", "Li"],
     "without whitespace"),
    ("parameters/ase_electrolyte/species_name", ["", "", "Li"], "non-empty"),
    ("parameters/ase_electrolyte/molecule_index", [0, -1, 1], "negative"),
    ("particles/trajectory/charge", [0.5, 0, 1], "whole numbers"),
])
def test_read_h5md_names_the_file_of_a_stored_topology_it_refuses(tmp_path, dataset, values,
                                                                  message):
    import h5py

    from ase_electrolyte.trajectory import H5MDWriter, read_h5md

    atoms = Atoms("OHLi", positions=[[1, 1, 1], [1.96, 1, 1], [5, 5, 5]], cell=[9, 9, 9],
                  pbc=True)
    set_topology(atoms, [0, 0, 1], ["W", "W", "Li"], [0, 0, 1])
    path = tmp_path / "run.h5md"
    with H5MDWriter(path, atoms, forces=False, velocities=False) as writer:
        writer.write(atoms, step=0, time=0.0)
    with h5py.File(path, "a") as f:
        # rewritten as another program (or an earlier version) could have stored it
        kind = f[dataset].dtype
        del f[dataset]
        if kind.kind == "O":
            f.create_dataset(dataset, data=np.array(values, dtype=object),
                             dtype=h5py.string_dtype())
        else:
            f.create_dataset(dataset, data=np.array(values, dtype=float))
    with pytest.raises(ValueError, match=rf"{path.name}: its stored topology.*{message}"):
        read_h5md(path)
