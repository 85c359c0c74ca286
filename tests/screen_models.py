"""Cheap calculators for the screening tests, named in plans as ``screen_models.py:function``.

Not a test module: the dask workers load these functions from the file, as they would a user's
``module:function`` potential.
"""

import os
import signal

from ase.calculators.lj import LennardJones


def lj():
    """A smooth Lennard-Jones pair potential: cheap, with stress (NPT works)."""
    return LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)


class _KillingLJ(LennardJones):
    """Kills its own worker process once, at its ``kill_at``-th evaluation of a box.

    ``sentinel`` is created atomically by the first process to get there, so exactly one worker
    dies in the whole test, mid-task, as a node lost by a cluster would.
    """

    def __init__(self, sentinel, kill_at):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.sentinel, self.kill_at, self.calls = sentinel, kill_at, 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.kill_at:
            try:
                fd = os.open(self.sentinel, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass
            else:
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)
        super().calculate(*args, **kwargs)


def killing_lj(sentinel, kill_at=40):
    return _KillingLJ(sentinel, kill_at)


class _PickyLJ(LennardJones):
    def __init__(self, max_atoms):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.max_atoms = max_atoms

    def calculate(self, atoms=None, *args, **kwargs):
        if atoms is not None and len(atoms) > self.max_atoms:
            raise RuntimeError(f"this model takes at most {self.max_atoms} atoms")
        super().calculate(atoms, *args, **kwargs)


def picky_lj(max_atoms):
    """Lennard-Jones that refuses boxes of more than ``max_atoms`` atoms: a failing task."""
    return _PickyLJ(max_atoms)


class _CrashingLJ(LennardJones):
    """Raises once, at its ``crash_at``-th evaluation, as an interrupted job would; counts calls."""

    def __init__(self, crash_at):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.crash_at, self.calls = crash_at, 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.crash_at:
            raise RuntimeError("simulated interruption")
        super().calculate(*args, **kwargs)


def crashing_lj(crash_at):
    return _CrashingLJ(crash_at)


def broken_model(reason="no weights on this worker"):
    """A model function that raises when called, as a model that fails to load would."""
    raise RuntimeError(reason)


class _BlockedLJ(LennardJones):
    def __init__(self, block, max_atoms):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.block, self.max_atoms = block, max_atoms

    def calculate(self, atoms=None, *args, **kwargs):
        if atoms is not None and len(atoms) > self.max_atoms and os.path.exists(self.block):
            raise RuntimeError(f"blocked: boxes of more than {self.max_atoms} atoms")
        super().calculate(atoms, *args, **kwargs)


def blocked_lj(block, max_atoms):
    """Lennard-Jones that fails boxes of more than ``max_atoms`` atoms while the file ``block``
    exists: a failure that a rerun of the same plan (the file removed) gets past."""
    return _BlockedLJ(block, max_atoms)


class _SlowLJ(LennardJones):
    def __init__(self, seconds):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.seconds = seconds

    def calculate(self, *args, **kwargs):
        import time

        time.sleep(self.seconds)
        super().calculate(*args, **kwargs)


def slow_lj(seconds):
    """Lennard-Jones that sleeps ``seconds`` in every evaluation: a task that runs for long."""
    return _SlowLJ(seconds)


class _StubbornLJ(LennardJones):
    """Lennard-Jones that ignores the timer signal from its loading on (as a library that sets
    its own handlers may) and whose every evaluation waits forever, swallowing any exception
    raised in it (a retry loop around a stalled device): only a kill stops it."""

    def __init__(self):
        import signal

        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)

    def calculate(self, *args, **kwargs):
        import time

        while True:
            try:
                time.sleep(0.05)
            except BaseException:  # noqa: BLE001, S110 - the point of this model
                pass


def stubborn_lj():
    return _StubbornLJ()


class _GilHogLJ(LennardJones):
    """Lennard-Jones whose evaluations sit ``seconds`` in native code holding the GIL (libc's
    ``sleep`` called through ``ctypes.PyDLL``; the timer's signal ignored from the model's
    loading on, so that it neither cuts the sleep short nor stops the task before): no signal
    handler and no other thread of its process runs meanwhile, as in a model stuck in an
    extension that never releases the GIL."""

    def __init__(self, seconds):
        import signal

        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.seconds = int(seconds)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)

    def calculate(self, *args, **kwargs):
        import ctypes

        ctypes.PyDLL(None).sleep(self.seconds)
        super().calculate(*args, **kwargs)


def gil_hog_lj(seconds):
    return _GilHogLJ(seconds)


class _CountingSlowLJ(LennardJones):
    def __init__(self, seconds, log, block, min_atoms, after=None):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.seconds, self.log, self.block, self.min_atoms = seconds, log, block, min_atoms
        self.after = after

    def calculate(self, atoms=None, *args, **kwargs):
        import time

        with open(self.log, "a") as f:
            f.write(f"{os.getpid()} {len(atoms) if atoms is not None else 0}\n")
        if (atoms is not None and len(atoms) > self.min_atoms and os.path.exists(self.block)
                and (self.after is None or os.path.exists(self.after))):
            time.sleep(self.seconds)
        super().calculate(atoms, *args, **kwargs)


def counting_slow_lj(seconds, log, block, min_atoms=0, after=None):
    """Lennard-Jones that appends ``"<pid> <atoms>"`` to ``log`` per evaluation (counted across
    processes: tells a resume from a restart) and, while the file ``block`` exists, sleeps
    ``seconds`` in each evaluation of a box of more than ``min_atoms`` atoms; with ``after``
    only once that file exists too (a stage's trajectory: the stages before it run at full
    speed, however slow the machine)."""
    return _CountingSlowLJ(seconds, log, block, min_atoms, after)


class _ChattyLJ(LennardJones):
    """Lennard-Jones that writes a numbered line of ``width`` characters to standard error in
    every evaluation (as a model that warns at every MD step), with the size its standard
    error's file had before it, and sleeps ``seconds``."""

    def __init__(self, width, seconds):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.width, self.seconds, self.calls = int(width), seconds, 0

    def calculate(self, *args, **kwargs):
        import sys
        import time

        self.calls += 1
        sys.stderr.flush()
        head = f"warning {self.calls} at {os.fstat(2).st_size} bytes: "
        sys.stderr.write(head + "x" * max(0, self.width - len(head)) + "\n")
        sys.stderr.flush()
        time.sleep(self.seconds)
        super().calculate(*args, **kwargs)


def chatty_lj(width=1000, seconds=0.0):
    return _ChattyLJ(width, seconds)


class _GatedLJ(LennardJones):
    """Lennard-Jones whose evaluations, once the file ``after`` exists, wait while the file
    ``gate`` exists: a task held mid-run until the test lets it go (no race with a timer)."""

    def __init__(self, gate, after):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.gate, self.after = gate, after

    def calculate(self, *args, **kwargs):
        import time

        while os.path.exists(self.after) and os.path.exists(self.gate):
            time.sleep(0.05)
        super().calculate(*args, **kwargs)


def gated_lj(gate, after):
    return _GatedLJ(gate, after)


class _HungryLJ(LennardJones):
    """Lennard-Jones that keeps ``mb`` MiB more (written, so resident) at every evaluation, up
    to ``hold_mb`` in all, then holds it and sleeps ``wait`` seconds per evaluation; with
    ``at_once_mb`` its first evaluation asks for that much in one allocation. ``cap_mb`` guards
    the test machine: past it the model raises instead of growing (a memory limit that did not
    stop it)."""

    def __init__(self, mb, hold_mb, at_once_mb, cap_mb, wait):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.mb, self.hold_mb, self.at_once_mb, self.cap_mb = mb, hold_mb, at_once_mb, cap_mb
        self.wait, self.kept = wait, []

    def calculate(self, *args, **kwargs):
        import time

        import numpy as np

        if self.at_once_mb and not self.kept:
            self.kept.append(np.ones(int(self.at_once_mb) * 2**17))
        held = sum(a.nbytes for a in self.kept) / 2**20
        if held >= self.cap_mb:
            raise RuntimeError(f"grew to {held:.0f} MiB: no memory limit stopped it")
        if held < self.hold_mb:
            self.kept.append(np.ones(int(self.mb) * 2**17))
        else:
            time.sleep(self.wait)
        super().calculate(*args, **kwargs)


def hungry_lj(mb=20, hold_mb=1e9, at_once_mb=0, cap_mb=3000, wait=0.0):
    return _HungryLJ(mb, hold_mb, at_once_mb, cap_mb, wait)


class _RemovingLJ(LennardJones):
    def __init__(self, folder, remove_at, sentinel):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.folder, self.remove_at, self.sentinel, self.calls = folder, remove_at, sentinel, 0

    def calculate(self, *args, **kwargs):
        import shutil

        self.calls += 1
        if self.calls == self.remove_at:
            try:
                os.close(os.open(self.sentinel, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                pass
            else:
                shutil.rmtree(self.folder)
        super().calculate(*args, **kwargs)


def removing_lj(folder, remove_at, sentinel):
    """Lennard-Jones that removes the task folder ``folder`` (with everything in it) at its
    ``remove_at``-th evaluation, once in the whole test (``sentinel`` made by the first): a
    user or a script deleting the folder of a running task."""
    return _RemovingLJ(folder, remove_at, sentinel)
