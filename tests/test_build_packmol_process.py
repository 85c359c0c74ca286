"""PACKMOL's process: stopped whole at the timeout, its end by a signal named, no folder left.

The stand-in packmol is a shell script, as a conda or module shim is: the solver runs as its
child. Only the stand-in's own processes are ever signalled (the process group the builder
started for it).
"""

import os
import stat
import tempfile
import time

import pytest

import ase_electrolyte.build as build
from ase_electrolyte.build import electrolyte_box


def _fake_packmol(tmp_path, monkeypatch, body):
    exe = tmp_path / "packmol"
    exe.write_text("#!/bin/sh\ncat > /dev/null\n" + body)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(build, "packmol_executable", lambda: str(exe))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def _running(pid):
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_a_wrapper_whose_solver_outlives_the_timeout_is_stopped_whole(tmp_path, monkeypatch):
    pid_file = tmp_path / "solver.pid"
    # the "solver" runs 300 s in the background of the wrapper, which waits for it
    scratch = _fake_packmol(tmp_path, monkeypatch,
                            f"sleep 300 &\necho $! > {pid_file}\nwait\n")
    start = time.monotonic()
    # 5 s: time for even a loaded machine's shell to start the "solver"
    with pytest.raises(RuntimeError, match=r"PACKMOL did not finish within 5(\.0)? s "
                                           r"\(packmol_timeout\); it was stopped"):
        electrolyte_box(counts={"EC": 3}, density=1.3, seed=0, packmol_timeout=5)
    # far below the solver's 300 s: nothing waited for it
    assert time.monotonic() - start < 150
    assert list(scratch.iterdir()) == []
    written = pid_file.read_text().strip() if pid_file.exists() else ""
    if not written:
        return  # stopped before the wrapper started its solver: nothing left to outlive it
    pid = int(written)
    deadline = time.monotonic() + 60
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    # the wrapper's kill alone left the solver searching on
    assert not _running(pid)


def test_a_packmol_killed_by_a_signal_is_named(tmp_path, monkeypatch):
    scratch = _fake_packmol(tmp_path, monkeypatch, "kill -KILL $$\n")
    with pytest.raises(RuntimeError, match=r"was killed by SIGKILL \(out of memory\?\) and "
                                           "wrote no packed structure"):
        electrolyte_box(counts={"EC": 3}, density=1.3, seed=0)
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("body", [
    "exit 3\n",
    "printf '30\\nx\\nC 0 0 0\\n' > packed.xyz\necho 'Success!'\n",  # cut mid-way
])
def test_a_failed_packmol_leaves_no_folder(tmp_path, monkeypatch, body):
    scratch = _fake_packmol(tmp_path, monkeypatch, body)
    with pytest.raises(RuntimeError, match="PACKMOL"):
        electrolyte_box(counts={"EC": 3}, density=1.3, seed=0)
    assert list(scratch.iterdir()) == []


def test_the_exit_status_in_words():
    assert build._exit_status(2) == "failed with exit code 2"
    assert build._exit_status(-11) == "was killed by SIGSEGV"
    assert build._exit_status(-9) == "was killed by SIGKILL (out of memory?)"


def test_molecular_cations_too_large_for_their_sub_cubes_are_named():
    # an ionic liquid: EMIM⁺ (7.4 Å across) kept in 4.4 Å sub-cubes; PACKMOL's own words were
    # "check the spatial constraints" after 560 cycles per cation
    from ase_electrolyte.species import Species

    emim = Species("EMIM", "CCn1cc[n+](C)c1")
    counts = {emim: 27, "BF4": 27}
    with pytest.raises(RuntimeError, match=r"could not place the 27 spread cations each inside "
                                           r"its own 4\.\d+ Å sub-cube .*EMIM is 7\.\d+ Å "
                                           r"across\); pass spread_cations=False"):
        electrolyte_box(counts=counts, density=1.28, seed=0)
    atoms = electrolyte_box(counts=counts, density=1.28, seed=0, spread_cations=False)
    assert atoms.info["composition"] == {"EMIM": 27, "BF4": 27}


def test_cations_longer_than_their_sub_cubes_diagonal_are_refused_before_packmol(monkeypatch):
    from ase_electrolyte.species import Species

    def no_packmol(*args, **kwargs):
        raise AssertionError("PACKMOL was run")

    monkeypatch.setattr(build, "_run_packmol", no_packmol)
    c12 = Species("C12TMA", "CCCCCCCCCCCC[N+](C)(C)C")  # about 15 Å long
    with pytest.raises(ValueError, match=r"spread_cations: each of the 64 C12TMA cations is kept "
                                         r"inside its own .* Å sub-cube .*\(4³ sub-cubes\), whose "
                                         r"diagonal is shorter than the molecule"):
        # 0.8 g/cm³: the all-trans C12TMA (16 Å) fills too much of a box at 1.0 g/cm³ (the
        # packability check, limit 0.92, refuses first); its sub-cubes' diagonal is 11.6 Å here
        electrolyte_box(counts={c12: 64, "BF4": 64}, density=0.8, seed=0)


def test_a_success_with_overlapping_molecules_is_refused(tmp_path, monkeypatch):
    # three EC (30 atoms), every atom at one point: PACKMOL "succeeded"
    body = ("{ echo 30; echo x; for i in $(seq 30); do echo 'C 1.0 1.0 1.0'; done; } "
            "> packed.xyz\necho 'Success!'\n")
    scratch = _fake_packmol(tmp_path, monkeypatch, body)
    with pytest.raises(RuntimeError, match=r"PACKMOL reported success, but atoms \d+ and \d+ of "
                                           r"different molecules are 0\.00 Å apart \(tolerance "
                                           r"2\.0 Å"):
        electrolyte_box(counts={"EC": 3}, density=1.0, seed=0)
    assert list(scratch.iterdir()) == []


def test_real_packmol_boxes_keep_their_molecules_apart():
    from ase_electrolyte.neighbour_pairs import pairs_within

    for tolerance in (1.5, 2.5):
        atoms = electrolyte_box(counts={"DMC": 6, "Li": 2, "TFSI": 2}, seed=3,
                                tolerance=tolerance)
        pairs, d = pairs_within(atoms.positions, atoms.cell.array, tolerance, "Pd")
        ids = atoms.arrays["molecule_index"]
        other = ids[pairs[:, 0]] != ids[pairs[:, 1]]
        assert not other.any() or d[other].min() > tolerance - 0.1


def test_a_missing_packmol_is_named_before_the_conformers(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "packmol.cli", None)  # no PyPI packmol
    monkeypatch.setenv("PATH", str(tmp_path))  # and none on PATH
    with pytest.raises(FileNotFoundError, match="PACKMOL not found"):
        build.packmol_executable()

    def started(*args, **kwargs):
        raise AssertionError("conformers were built")

    monkeypatch.setattr(build, "conformer", started)
    with pytest.raises(FileNotFoundError, match=r"PACKMOL not found: pip install packmol"):
        electrolyte_box(counts={"EC": 3, "Li": 1, "PF6": 1}, seed=0)
