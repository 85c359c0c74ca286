"""The values the analyses of one run_analyses call share belong to that call alone.

They were kept in one module dict: a call in another thread (a dask worker with several
threads runs several tasks' analyses at once) cleared it when it started and when it ended, and
wrote its own values under the same keys, so that an analysis read another trajectory's value
(or a KeyError). Outside a call, values were kept by ``id(universe)`` until the next call.
"""

import threading

import pytest
from cli_inputs import two_atoms

from mda_electrolyte import report

#: Long enough never to be reached by a waiting thread on a loaded machine; reached only when
#: the other thread failed.
WAIT_S = 300


def test_two_threads_each_read_their_own_shared_value(tmp_path, monkeypatch):
    """Thread A shares a value, thread B's whole call runs (sharing its own under the same key)
    while A waits, then A reads its key again: A's value, computed once."""
    a_shared, b_done = threading.Event(), threading.Event()
    computed, seen = [], {}

    def analysis(universe, outdir, *, calculator=None, verbose=False):
        me = threading.current_thread().name

        def factory():
            computed.append(me)
            return me

        first = report.shared("the value", factory)
        if me == "A":
            a_shared.set()
            assert b_done.wait(WAIT_S)
        seen[me] = (first, report.shared("the value", factory),
                    report.shared_value("the value"))
        return {}

    report.registered_analyses()
    monkeypatch.setitem(report._REGISTRY, "zz_shares", (analysis, ()))
    errors = []

    def call(name, folder):
        try:
            if name == "B":
                assert a_shared.wait(WAIT_S)
            report.run_analyses(two_atoms(2.0), folder, only=["zz_shares"])
        except Exception as err:  # noqa: BLE001 - reported by the test thread
            errors.append(err)
        finally:
            if name == "B":
                b_done.set()

    threads = [threading.Thread(target=call, name=n, args=(n, tmp_path / n)) for n in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert seen == {"A": ("A", "A", "A"), "B": ("B", "B", "B")}
    assert sorted(computed) == ["A", "B"]  # once per call


def test_outside_a_call_nothing_is_kept(monkeypatch):
    calls = []
    assert report.shared("k", lambda: calls.append(1) or len(calls)) == 1
    assert report.shared("k", lambda: calls.append(1) or len(calls)) == 2
    assert report.shared_value("k") is None


def test_a_failed_factory_fails_every_analysis_of_the_call_the_same_way(tmp_path, monkeypatch):
    calls = []

    def factory():
        calls.append(1)
        raise ValueError("no frames")

    def analysis(universe, outdir, *, calculator=None, verbose=False):
        report.shared("k", factory)

    report.registered_analyses()
    monkeypatch.setitem(report._REGISTRY, "zz_one", (analysis, ()))
    monkeypatch.setitem(report._REGISTRY, "zz_two", (analysis, ()))
    with pytest.warns(UserWarning, match="failed"):
        summary = report.run_analyses(two_atoms(2.0), tmp_path, only=["zz_one", "zz_two"],
                                      keep_going=True)
    assert summary == {"zz_one": {"failed": "ValueError: no frames"},
                       "zz_two": {"failed": "ValueError: no frames"}}
    assert calls == [1]
    # the next call computes afresh
    with pytest.warns(UserWarning, match="failed"):
        report.run_analyses(two_atoms(2.0), tmp_path, only=["zz_one"], keep_going=True)
    assert calls == [1, 1]
