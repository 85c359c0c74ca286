"""``task.log`` of a task run in its own process (``task_timeout_s``) is bounded: each attempt
appends to it, a model that warns at every MD step wrote to it without end, attempt after
attempt. The file keeps its last ``LOG_MAX_BYTES`` (from a line start, behind a line saying
what was dropped), is cut while the task runs once it has grown past twice that, and still ends
with what the last attempt wrote last."""

import re
from pathlib import Path

import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")
pytest.importorskip("distributed")

from ase_electrolyte.screen import load_plan, run_task  # noqa: E402
from ase_electrolyte.screen import task as task_module  # noqa: E402
from ase_electrolyte.screen.engine import TASKS_DIR, _prepare_outdir, _spec  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
DROPPED = re.compile(rb"^\[\.\.\. (\d+) bytes of earlier output dropped: task\.log keeps its "
                     rb"last (\d+) kB\]$")
WARNING = re.compile(rb"^warning (\d+) at (\d+) bytes: x+$")


def _plan(width, seconds):
    return load_plan({
        "name": "chatty", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": 70,
        "analyses": [], "task_timeout_s": 600,
        "model": {"calculator": f"{MODELS}:chatty_lj", "device": "cpu",
                  "options": {"width": width, "seconds": seconds}},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": 0.03, "write_interval_fs": 1.0,
                     "observe_interval_fs": 1.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 4.0}],
    })


def test_the_log_keeps_its_tail_across_attempts_and_while_a_task_runs(tmp_path, monkeypatch):
    keep = 8 * 1024
    monkeypatch.setattr(task_module, "LOG_MAX_BYTES", keep)
    width = 4000
    plan = _plan(width, 0.05)
    out = tmp_path / "screen"
    _prepare_outdir(plan, out)
    task = plan.tasks()[0]
    folder = out / TASKS_DIR / task.id
    folder.mkdir(parents=True)
    # what a megabyte of earlier attempts left
    old = b"".join(b"old attempt line %d\n" % k for k in range(50_000))
    (folder / "task.log").write_bytes(old)
    result = run_task(_spec(plan, task, out, 1, plan.to_dict()))
    assert result["status"] == "done", result.get("error")
    text = (folder / "task.log").read_bytes()
    lines = text.splitlines()
    # cut to its tail, from a line start, behind the line that says so (a line written at the
    # instant of a cut while the task runs may land before it, or be lost: at most one)
    notes = [k for k, line in enumerate(lines) if DROPPED.match(line)]
    assert len(notes) == 1 and notes[0] <= 1
    match = DROPPED.match(lines[notes[0]])
    assert int(match.group(2)) == keep // 1024
    assert len(text) - len(lines[notes[0]]) - 1 <= keep
    assert b"old attempt" not in text
    warnings = [WARNING.match(line) for line in lines if line.startswith(b"warning")]
    assert warnings and all(warnings)
    assert all(WARNING.match(line) or DROPPED.match(line) or line.startswith(b"--- ")
               for line in lines)  # whole lines only
    calls = [int(w.group(1)) for w in warnings]
    # the last lines the task wrote, in order and whole
    assert calls == sorted(calls) and calls[-1] - calls[0] + 1 - len(calls) <= 1
    total = calls[-1] * width  # bytes of warnings the task wrote
    assert total > 10 * keep
    # cut while it ran: the file each line was written to never held the attempt's whole
    # output (it would have reached `total`); twice the limit and a watchdog period's lines
    assert max(int(w.group(2)) for w in warnings) < total / 2
    # the dropped count adds up over the cuts: the old megabyte, the attempt's header and the
    # warnings before the tail. A line in flight at an in-place cut may be lost (not counted),
    # or land before that cut's note and go with a later cut (counted): the one gap in `calls`
    header = [line for line in lines if line.startswith(b"---")]
    dropped = int(match.group(1))
    line_bytes = width + 1
    gap = calls[-1] - calls[0] + 1 - len(calls)
    assert len(old) + (calls[0] - 2) * width <= dropped
    assert dropped <= (len(old) + (calls[0] - 1 + gap) * line_bytes
                       + 200 * (1 - len(header)))


def test_a_log_under_the_limit_is_left_alone_and_one_over_it_is_cut_whole(tmp_path):
    log = tmp_path / "task.log"
    log.write_bytes(b"a\n" * 100)
    task_module._trim_log(log, keep=1024)
    assert log.read_bytes() == b"a\n" * 100
    body = b"".join(b"line %05d\n" % k for k in range(1000))  # 11 000 bytes
    log.write_bytes(body)
    task_module._trim_log(log, keep=1024)
    head, _, tail = log.read_bytes().partition(b"\n")
    assert body.endswith(tail) and len(tail) <= 1024
    assert tail.startswith(b"line ") and len(tail) % 11 == 0  # whole lines only
    assert int(DROPPED.match(head).group(1)) == len(body) - len(tail)
    # a second cut counts on from the first: the bytes of output dropped in all
    with log.open("ab") as f:
        f.write(body)
    task_module._trim_log(log, keep=1024)
    head, _, again = log.read_bytes().partition(b"\n")
    assert again == tail
    assert int(DROPPED.match(head).group(1)) == 2 * len(body) - len(tail)
    # a line written at the instant of an in-place cut, before its note: the next cut keeps
    # one note, whose count goes on
    log.write_bytes(b"line in flight\n" + head + b"\n" + tail[-500:])
    task_module._trim_log(log, keep=520)
    text = log.read_bytes()
    assert text.count(b"bytes of earlier output dropped") == 1
    head, _, rest = text.partition(b"\n")
    assert rest == tail[-500:]
    assert int(DROPPED.match(head).group(1)) >= 2 * len(body) - len(tail)
