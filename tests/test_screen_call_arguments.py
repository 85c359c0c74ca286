"""Arguments of ``run_screen`` that failed or hung only once the tasks were queued are refused
before the plan is read or the output folder made.

``n_workers=-1`` started a local cluster without a worker and the screen waited for ever;
``n_workers=0`` was taken for the default; ``n_workers=2.5`` was a ``TypeError`` traceback of
the cluster's; ``poll_s=nan`` was reported as a lost scheduler ("KeyError: Invalid time unit")
after the tasks had been submitted; ``poll_s=0`` polled the scheduler without a pause."""


import pytest

pytest.importorskip("distributed")

from test_screen_failures import _plan  # noqa: E402

from ase_electrolyte.environment import _usable_cpus  # noqa: E402
from ase_electrolyte.screen import run_screen  # noqa: E402

# the package's count: affinity and any cgroup CPU quota (a CI runner's limit)
CORES = _usable_cpus()


@pytest.mark.parametrize("arguments, message", [
    ({"n_workers": -1}, r"n_workers \(worker processes, at most the \d+ cores this process may "
                        r"use\) must be a whole number >= 1 and <= \d+, got -1"),
    ({"n_workers": 0}, "n_workers .* must be a whole number >= 1 .*, got 0"),
    ({"n_workers": 2.5}, "n_workers .* must be a whole number >= 1 .*, got 2.5"),
    ({"n_workers": True}, "n_workers .* got True"),
    ({"n_workers": "2"}, "n_workers .* got '2'"),
    ({"n_workers": CORES + 1}, rf"n_workers .* <= {CORES}, got {CORES + 1}"),
    ({"n_workers": 1, "scheduler": "tcp://127.0.0.1:8786"},
     "n_workers sizes the local cluster; with a client or a scheduler"),
    ({"n_workers": 1, "client": object()}, "n_workers sizes the local cluster"),
    ({"poll_s": 0}, "poll_s must be a finite number > 0, got 0"),
    ({"poll_s": -1.0}, "poll_s must be a finite number > 0, got -1.0"),
    ({"poll_s": float("nan")}, "poll_s must be a finite number > 0, got nan"),
    ({"poll_s": float("inf")}, "poll_s must be a finite number > 0, got inf"),
    ({"progress": "no"}, "progress must be True or False, not 'no'"),
    ({"plots": 1}, "plots must be True or False, not 1"),
])
def test_a_bad_argument_is_refused_before_anything_is_made(tmp_path, arguments, message):
    out = tmp_path / "screen"
    options = {"progress": False, "plots": False, **arguments}
    with pytest.raises(ValueError, match=message):
        run_screen(_plan(1, concentrations=(3.0,)), out, **options)
    assert not out.exists()


@pytest.mark.parametrize("workers, message", [
    ("0", r"--workers \(worker processes, at most the \d+ cores this process may use\) must be "
          r"a whole number >= 1 and <= \d+, got 0"),
    ("-3", "--workers .* got -3"),
    (str(CORES + 1), rf"--workers .* <= {CORES}, got {CORES + 1}"),
])
def test_the_command_line_names_its_flag_in_one_line(tmp_path, monkeypatch, capsys, workers,
                                                     message):
    import re

    from electrolyte_cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.toml").write_text("")
    assert main(["screen", "plan.toml", "-o", "out", "--workers", workers]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and err.count("\n") == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml"]
