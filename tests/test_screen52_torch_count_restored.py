"""A screen task run in the caller's own thread gives torch's thread count back when it ends.

Measured before: ``task._run`` with a budget of 3 threads, called in a thread whose torch
count was 1 (a client of ``processes=False``, or ``run_task`` called directly), left that
thread on 3 threads after the task, ended or failed; the same for a model that imports torch
at its first evaluation. The analyses, which evaluate the model too, keep the task's count.
"""

import sys
import threading

import pytest
from ase.calculators.emt import EMT
from test_screen51_task_threads import (
    _LazyTorch,
    _spec,
    _Stop,
    worker_process,  # noqa: F401 (the fixture)
)

from ase_electrolyte.screen import task as task_module

torch = pytest.importorskip("torch")



def _in_caller_thread(tmp_path, threads, caller_count, protocol, lazy=False, analyses=()):
    """Run one task in a fresh thread whose torch count is ``caller_count``, as its caller;
    returns the thread's count after the task and what ``protocol`` recorded."""
    import ase_electrolyte.md

    seen, after, errors = {}, [], []

    def caller_thread():
        try:
            torch.set_num_threads(caller_count)
            spec, folder = _spec(tmp_path, "t", threads)
            spec["plan"]["analyses"] = list(analyses)
            try:
                task_module._run(spec, folder, {})
            except _Stop:
                pass
            after.append(torch.get_num_threads())
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ase_electrolyte.md, "run_protocol", lambda *a, **k: protocol(seen, *a, **k))
        if lazy:
            mp.delitem(sys.modules, "torch")
            mp.setattr(task_module, "make_calculator", lambda model: _LazyTorch())
        worker = threading.Thread(target=caller_thread)
        worker.start()
        worker.join(30)
    assert not errors, errors
    return after[0], seen


def _stopping_protocol(seen, atoms, calc, folder, **kwargs):
    atoms.calc = calc
    atoms.get_potential_energy()
    seen["in_task"] = torch.get_num_threads()
    raise _Stop


@pytest.mark.parametrize("threads, caller_count", [(3, 1), (2, 5), (5, 2), (1, 4)])
@pytest.mark.parametrize("lazy", [False, True], ids=["torch-loaded", "torch-imported-late"])
def test_a_task_in_the_callers_thread_gives_torchs_count_back(worker_process, tmp_path,  # noqa: F811
                                                             threads,
                                                             caller_count, lazy):
    after, seen = _in_caller_thread(tmp_path, threads, caller_count, _stopping_protocol,
                                    lazy=lazy)
    assert seen["in_task"] == threads
    assert after == caller_count


class _Result:
    """What ``_run_task`` reads of a protocol's result before the analyses."""

    files = {"production": "production.h5md"}


@pytest.mark.parametrize("threads, caller_count", [(3, 1), (2, 4)])
def test_the_analyses_run_on_the_tasks_count_and_the_caller_gets_its_own_back(
        worker_process, tmp_path, monkeypatch, threads, caller_count):  # noqa: F811
    import mda_electrolyte.bridge
    import mda_electrolyte.report

    def protocol(seen, atoms, calc, folder, **kwargs):
        return _Result()

    def analyses(universe, folder, calculator=None, **kwargs):
        counts["analyses"] = torch.get_num_threads()
        assert isinstance(calculator, EMT)
        raise _Stop

    counts = {}
    monkeypatch.setattr(mda_electrolyte.bridge, "from_ase", lambda path: None)
    monkeypatch.setattr(mda_electrolyte.report, "run_analyses", analyses)
    after, _ = _in_caller_thread(tmp_path, threads, caller_count, protocol,
                                 analyses=["density"])
    assert counts["analyses"] == threads
    assert after == caller_count
