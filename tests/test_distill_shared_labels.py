"""Distillations that share one labels folder, in one process or several.

A labelling run removed the folders of every other teacher when it started, including one that
another run was labelling into at that moment: that run's labels so far were lost and its next
label failed to be written (``FileNotFoundError: cannot write <frame>.json: folder ... does not
exist``) after its teacher had evaluated the frame. Runs now hold a shared claim (``flock``) on
their teacher's folder while labelling; another teacher removes only folders nobody claims.

The processes here are ordered by blocking pipe reads (each step waits for the other's line),
never by time.
"""

import json
import os
import signal
import subprocess
import sys

import numpy as np
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.distill import _IN_USE, _LabelStore

# A run of one teacher (Lennard-Jones of the given sigma) that claims its folder, says its
# folder's name, and then obeys one command per line: "write SEED" (label a frame, read it
# back, say whether it reads back equal), "close", "quit".
_RUN = r"""
import json, sys, pathlib
import numpy as np
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase_electrolyte.distill import _LabelStore

store = _LabelStore(pathlib.Path(sys.argv[1]), LennardJones(sigma=float(sys.argv[2])))
print("@" + store.folder.name, flush=True)
for line in sys.stdin:
    command = line.split()
    if command[0] == "write":
        rng = np.random.default_rng(int(command[1]))
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
        atoms.positions += rng.normal(0.0, 0.05, atoms.positions.shape)
        rng = np.random.default_rng(int(command[1]) + 1000)
        record = {"energy": float(rng.normal()), "forces": rng.normal(size=(4, 3)),
                  "stress": rng.normal(size=6), "max_forces_std": 0.1, "energy_std": 0.2}
        store.write(atoms, record)
        back = store.read(atoms)
        same = back is not None and back["energy"] == record["energy"] and bool(
            np.array_equal(back["forces"], record["forces"]))
        print("@" + json.dumps({"same": same, "written": store.written}), flush=True)
    elif command[0] == "close":
        store.close()
        print("@closed", flush=True)
    else:
        break
"""


class _Run:
    """A labelling run of another process, driven line by line."""

    def __init__(self, labels, sigma):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _RUN, str(labels), repr(sigma)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        self.folder = labels / self._line()

    def _line(self):
        # the run's own lines start with "@": anything else a library prints is passed over
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                raise AssertionError(
                    f"the labelling run ended early (exit {self.proc.returncode})")
            if line.startswith("@"):
                return line[1:].strip()

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._line()

    def write(self, seed):
        return json.loads(self.ask(f"write {seed}"))

    def quit(self):
        with self.proc:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        assert self.proc.returncode == 0

    def kill(self):
        with self.proc:
            self.proc.send_signal(signal.SIGKILL)
        assert self.proc.returncode == -signal.SIGKILL


def _frame(seed):
    rng = np.random.default_rng(seed)
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.positions += rng.normal(0.0, 0.05, atoms.positions.shape)
    return atoms


def _record(seed):
    rng = np.random.default_rng(seed + 1000)  # as the labelling run's
    return {"energy": float(rng.normal()), "forces": rng.normal(size=(4, 3)),
            "stress": rng.normal(size=6), "max_forces_std": 0.1, "energy_std": 0.2}


def _json_files(folder):
    return sorted(p.name for p in folder.glob("*.json"))


def test_another_teacher_keeps_the_folder_another_process_is_labelling_into(tmp_path):
    labels = tmp_path / "labels"
    run = _Run(labels, 2.0)
    try:
        assert run.write(1) == {"same": True, "written": 1}
        # another teacher starts in this process while that run labels
        with _LabelStore(labels, LennardJones(sigma=2.5)) as mine:
            assert mine.folder != run.folder
            assert run.folder.is_dir() and len(_json_files(run.folder)) == 1
            # the other run goes on: its next label is written and its first is still there
            assert run.write(2) == {"same": True, "written": 2}
            assert len(_json_files(run.folder)) == 2
            mine.write(_frame(7), _record(7))
        assert run.ask("close") == "closed"
        # nobody labels into it any more: the next run of another teacher removes it
        with _LabelStore(labels, LennardJones(sigma=2.5)) as mine:
            assert not run.folder.exists()
            assert len(_json_files(mine.folder)) == 1  # its own, kept
            assert mine.read(_frame(7))["energy"] == _record(7)["energy"]
    finally:
        run.quit()
    # no folder of a removal is left behind
    assert sorted(p.name for p in labels.iterdir()) == [mine.folder.name]


def test_runs_of_one_teacher_share_the_folder_and_its_labels(tmp_path):
    labels = tmp_path / "labels"
    first, second = _Run(labels, 2.0), _Run(labels, 2.0)
    try:
        assert first.folder == second.folder
        # both label the same frame (seed 3), and each one of its own
        assert first.write(3)["same"] and second.write(3)["same"]
        assert first.write(4)["same"] and second.write(5)["same"]
        assert len(_json_files(first.folder)) == 3
        # each sees the other's labels as its own: one teacher, one frame, one file
        with _LabelStore(labels, LennardJones(sigma=2.0)) as third:
            for seed in (3, 4, 5):
                back = third.read(_frame(seed))
                assert back["energy"] == _record(seed)["energy"]
                np.testing.assert_array_equal(back["forces"], _record(seed)["forces"])
        # another teacher cannot remove the folder while either run still claims it
        assert first.ask("close") == "closed"
        with _LabelStore(labels, LennardJones(sigma=3.0)):
            assert len(_json_files(first.folder)) == 3
    finally:
        first.quit()
        second.quit()
    with _LabelStore(labels, LennardJones(sigma=3.0)):
        assert not first.folder.exists()


def test_a_killed_run_leaves_no_claim(tmp_path):
    """A flock dies with its process: the folder of a run killed mid-labelling (SIGKILL) is
    another teacher's to remove, and its own teacher's to resume."""
    labels = tmp_path / "labels"
    run = _Run(labels, 2.0)
    assert run.write(1)["same"]
    run.kill()
    assert (run.folder / _IN_USE).is_file()  # the lock file is left; no lock is held on it
    with _LabelStore(labels, LennardJones(sigma=2.0)) as same_teacher:
        assert same_teacher.folder == run.folder
        assert same_teacher.read(_frame(1))["energy"] == _record(1)["energy"]
    with _LabelStore(labels, LennardJones(sigma=2.5)):
        assert not run.folder.exists()


def test_two_teachers_in_one_process_keep_each_others_folders(tmp_path):
    labels = tmp_path / "labels"
    first = _LabelStore(labels, LennardJones(sigma=2.0))
    first.write(_frame(1), _record(1))
    with _LabelStore(labels, LennardJones(sigma=2.5)) as second:
        second.write(_frame(2), _record(2))
        assert first.read(_frame(1))["energy"] == _record(1)["energy"]
    first.write(_frame(3), _record(3))
    assert len(_json_files(first.folder)) == 2
    first.close()
    first.close()  # idempotent
    with _LabelStore(labels, LennardJones(sigma=2.5)) as second:
        assert not first.folder.exists()
        assert second.read(_frame(2))["energy"] == _record(2)["energy"]


def test_a_folder_removed_by_hand_while_labelling_is_made_again(tmp_path):
    import shutil

    labels = tmp_path / "labels"
    with _LabelStore(labels, LennardJones(sigma=2.0)) as store:
        store.write(_frame(1), _record(1))
        shutil.rmtree(store.folder)
        store.write(_frame(2), _record(2))
        assert store.read(_frame(2))["energy"] == _record(2)["energy"]
        assert store.read(_frame(1)) is None  # gone with the folder: labelled again


def test_relabel_gives_its_claim_back_and_keeps_a_claimed_folder(tmp_path):
    """relabel through a stand-in committee (Lennard-Jones members, a committee calculator's
    interface): its claim ends with the call, and a folder another process claims survives it."""
    from ase.calculators.calculator import Calculator as AseCalculator
    from ase.calculators.calculator import all_changes

    from ase_electrolyte.distill import relabel

    class LJCommittee(AseCalculator):
        implemented_properties = ["energy", "forces", "stress"]

        def __init__(self, sigmas):
            super().__init__()
            self.members = [LennardJones(sigma=s, rc=4.0) for s in sigmas]
            self.parameters = {"sigmas": list(sigmas)}

        def todict(self):
            return dict(self.parameters)

        def _check(self, atoms):
            pass

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            energies, forces, stresses = [], [], []
            for member in self.members:
                work = self.atoms.copy()
                work.calc = member
                energies.append(work.get_potential_energy())
                forces.append(work.get_forces())
                stresses.append(work.get_stress())
            forces = np.array(forces)
            self.results = {
                "energy": float(np.mean(energies)), "forces": forces.mean(axis=0),
                "stress": np.mean(stresses, axis=0), "energy_std": float(np.std(energies)),
                "max_forces_std": float(np.sqrt(((forces - forces.mean(axis=0)) ** 2)
                                                .sum(-1).mean(0)).max()),
            }

    labels = tmp_path / "labels"
    frames = [_frame(s) for s in range(4)]
    run = _Run(labels, 2.0)
    try:
        assert run.write(1)["same"]
        teacher = LJCommittee([2.2, 2.25, 2.3])
        out = relabel(frames, teacher, labels=labels)
        assert run.folder.is_dir() and run.write(2) == {"same": True, "written": 2}
        ours = [p for p in labels.iterdir() if p.is_dir() and p != run.folder]
        assert len(ours) == 1 and len(_json_files(ours[0])) == len(frames)
        # a rerun reuses every label, equal to the first run's
        again = relabel(frames, teacher, labels=labels)
        for a, b in zip(out, again, strict=True):
            assert a.get_potential_energy() == b.get_potential_energy()
    finally:
        run.quit()
    # relabel has given its claim back: another teacher removes its folder
    with _LabelStore(labels, LennardJones(sigma=3.0)):
        assert not ours[0].exists() and not run.folder.exists()
