"""Temporary files of killed writers are found and removed for names of any length.

A new trajectory is built as a hidden temporary beside its name
(``.<stem>.<pid>-<thread>-<n>.part.h5md``) and renamed at its first frame; the next writer of
the name removes the temporaries killed writers left. For a long name the temporary's stem is
shortened to fit 255 bytes, by a length that depends on the process and thread numbers, and the
next writer looked for the whole stem only: the temporary of a killed writer of a trajectory
named with some 200 bytes or more stayed for good, one more per killed run.
"""

import os
import subprocess
import sys

import pytest
from ase import Atoms

from ase_electrolyte import atomic_file
from ase_electrolyte.atomic_file import temporaries_of
from ase_electrolyte.trajectory import H5MDWriter, h5md_info


def _name(n_bytes, char="r", suffix=".h5md"):
    room = n_bytes - len(suffix)
    width = len(char.encode())
    return char * (room // width) + "q" * (room % width) + suffix


LENGTHS = [12, 150, 200, 230, 245, 255]
CHARS = ["r", "é"]


def _temporary_of_another_writer(path, monkeypatch, pid, thread):
    """The name atomic_path gives ``path``'s temporary in a writer of this pid and thread."""
    monkeypatch.setattr(atomic_file.os, "getpid", lambda: pid)
    monkeypatch.setattr(atomic_file.threading, "get_ident", lambda: thread)
    name = atomic_file._temporary_name(path)
    monkeypatch.undo()
    return name


@pytest.mark.parametrize("char", CHARS)
@pytest.mark.parametrize("n_bytes", LENGTHS)
def test_every_writers_temporary_of_a_name_is_found(tmp_path, monkeypatch, n_bytes, char):
    path = tmp_path / _name(n_bytes, char)
    made = set()
    for pid, thread in [(7, 1), (4194304, 140737488355328), (12345, 98765432101234)]:
        tmp = _temporary_of_another_writer(path, monkeypatch, pid, thread)
        assert len(os.fsencode(tmp.name)) <= 255
        tmp.write_bytes(b"skeleton")
        made.add(tmp)
    # temporaries of other names beside it are not this name's
    other = tmp_path / _name(n_bytes, char, suffix="x.h5md")
    others = {_temporary_of_another_writer(other, monkeypatch, 99, 3)}
    if n_bytes > 20:
        shorter = tmp_path / _name(n_bytes - 40, char)
        others.add(_temporary_of_another_writer(shorter, monkeypatch, 99, 3))
    for tmp in others:
        tmp.write_bytes(b"other")
    assert set(temporaries_of(path)) == made
    assert not set(temporaries_of(path)) & others


@pytest.mark.parametrize("n_bytes", [12, 235, 255])
def test_the_next_writer_removes_a_killed_writers_file(tmp_path, n_bytes):
    path = tmp_path / _name(n_bytes, "é")
    code = ("import os, sys\nfrom ase import Atoms\n"
            "from ase_electrolyte.trajectory import H5MDWriter\n"
            "w = H5MDWriter(sys.argv[1], Atoms('Ar', cell=[5, 5, 5], pbc=True), forces=False, "
            "velocities=False)\nos._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120)
    left = [n for n in os.listdir(tmp_path) if ".part" in n]
    assert len(left) == 1 and not path.exists()
    atoms = Atoms("Ar", cell=[5, 5, 5], pbc=True)
    with H5MDWriter(path, atoms, forces=False, velocities=False) as writer:
        writer.write(atoms, step=0, time=0.0)
    assert sorted(os.listdir(tmp_path)) == [path.name]
    assert h5md_info(path)["n_frames"] == 1
