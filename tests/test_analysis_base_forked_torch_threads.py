"""Every FrameAnalysis runs its forked workers' parts with one torch thread.

torch's OpenMP thread pool does not survive a fork: a worker's first multi-threaded operation
can wait for good for threads that do not exist. Only the two model diagnostics
(IntraInterErrors, RigidVolumeScan) set one torch thread in their workers; any other analysis
that runs torch per frame (vesin's neighbour lists import it) kept the caller's pool size in
its forked workers (measured: 2 threads seen in every worker's frames). The guard is now
FrameAnalysis's own: one thread in a worker's part, the caller's count in a serial run and
back in the caller after the run.
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch")

_SCRIPT = textwrap.dedent("""
    import os
    import numpy as np
    import torch
    import MDAnalysis as mda
    from MDAnalysis.analysis.results import ResultsGroup
    from mda_electrolyte.analysis_base import FrameAnalysis

    torch.set_num_threads(2)
    torch.ones(64, 64) @ torch.ones(64, 64)  # the caller's pool started before the fork

    class TorchPerFrame(FrameAnalysis):
        _analysis_algorithm_is_parallelizable = True

        @classmethod
        def get_supported_backends(cls):
            return ("serial", "multiprocessing")

        def _get_aggregator(self):
            return ResultsGroup(lookup={"seen": ResultsGroup.ndarray_hstack})

        def __init__(self, atomgroup):
            super().__init__(atomgroup.universe.trajectory)
            self._ag = atomgroup

        def _prepare(self):
            self.results.seen = []

        def _single_frame(self):
            x = torch.as_tensor(self._ag.positions, dtype=torch.float64)
            (x @ x.T).sum()
            self.results.seen.append((os.getpid(), torch.get_num_threads()))

        def _conclude(self):
            self.results.seen = np.asarray(self.results.seen).reshape(-1, 2)

    u = mda.Universe.empty(4, trajectory=True)
    coords = np.random.default_rng(0).uniform(0, 10, (6, 4, 3)).astype(np.float32)
    u.load_new(coords, order="fac")
    for backend, kwargs in (("serial", {}), ("multiprocessing", {"n_workers": 2})):
        run = TorchPerFrame(u.atoms).run(backend=backend, **kwargs)
        seen = np.asarray(run.results.seen).reshape(-1, 2)
        others = seen[seen[:, 0] != os.getpid()]
        print(backend, len(seen), len(others), sorted(set(seen[:, 1].tolist())),
              torch.get_num_threads())
""")


def test_a_plain_frame_analysis_runs_one_torch_thread_in_forked_workers_only():
    # a session of its own: a hung run's workers are ended with it, not left behind
    child = subprocess.Popen([sys.executable, "-c", _SCRIPT], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail("a FrameAnalysis running torch on forked workers hung")
    assert child.returncode == 0, err[-2000:]
    lines = {line.split()[0]: line.split(maxsplit=1)[1] for line in out.splitlines()}
    # serial: every frame in the caller, with its 2 threads
    assert lines["serial"] == "6 0 [2] 2"
    # forked workers: every frame in a worker, with one thread; the caller keeps its 2
    assert lines["multiprocessing"] == "6 6 [1] 2"
