"""``electrolyte screen``'s exit status says whether every task finished.

A screen every task of which failed (a model that fails on the workers) exited 0 like a
finished one, so a batch job's next step went on to a table of failure verdicts. Now a failed
task makes the command end with one error line (exit status 2) that counts the failed tasks,
names the first with its reason and says the table is kept; a rerun that finishes them exits 0.
"""

from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from electrolyte_cli import main  # noqa: E402
from electrolyte_cli.screen import _check_no_failures  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))

PLAN = """
seed = 7
replicas = 1
temperatures = [300]
n_atoms = 70
analyses = []
[model]
calculator = "{models}:blocked_lj"
device = "cpu"
options = {{ block = "{block}", max_atoms = 1 }}
[protocol]
relax_fmax = 20.0
preequilibration_ps = 0.0
equilibration_ps = 0.0
production_ps = 0.004
write_interval_fs = 1.0
observe_interval_fs = 1.0
[[composition]]
solvent = "EC"
salt = "LiPF6"
concentration = [3.0, 4.0]
"""


@pytest.fixture(scope="module")
def address():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0", silence_logs=50)
    with cluster:
        yield cluster.scheduler_address


def test_a_screen_whose_tasks_all_failed_exits_2_and_a_rerun_that_finishes_them_exits_0(
        address, tmp_path, capsys):
    block = tmp_path / "block"
    block.write_text("every box fails while this file exists")
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(models=MODELS, block=block.as_posix()))
    out = tmp_path / "out"
    argv = ["screen", str(plan), "-o", str(out), "--scheduler", address, "--no-plots", "-q"]

    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("electrolyte screen: error: 2 of the 2 tasks failed (first "
                               "EC_LiPF6-3molal/T300K/r0: RuntimeError: blocked: boxes of more "
                               "than 1 atoms; 1 more in failures.csv)")
    assert "run the same command again to retry the failed tasks" in lines[0]
    # the table is written, and its rows say the replicas failed
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["composition"]) == ["EC_LiPF6-3molal", "EC_LiPF6-4molal"]
    assert list(summary["n_failed"]) == [1, 1] and not summary["valid"].any()
    assert len(pd.read_csv(out / "failures.csv")) == 2

    block.unlink()
    rc = main(argv)
    assert rc == 0, capsys.readouterr().err
    assert pd.read_csv(out / "failures.csv").empty
    assert (pd.read_csv(out / "summary.csv")["n_failed"] == 0).all()


class _Result:
    def __init__(self, failures, n_tasks=3):
        self.failures, self.n_tasks, self.outdir = failures, n_tasks, Path("out")


@pytest.mark.parametrize("failures, text", [
    ({"a/T300K/r0": "RuntimeError: x"},
     "1 of the 3 tasks failed (first a/T300K/r0: RuntimeError: x); the finished tasks and "
     "the table out/summary.csv are kept"),
    ({"a/T300K/r0": "RuntimeError: x", "b/T300K/r0": "ValueError: y"},
     "2 of the 3 tasks failed (first a/T300K/r0: RuntimeError: x; 1 more in failures.csv)"),
])
def test_one_failed_task_of_several_fails_the_command(failures, text):
    with pytest.raises(RuntimeError) as err:
        _check_no_failures(_Result(failures))
    assert str(err.value).startswith(text)


@pytest.mark.parametrize("result", [_Result({}), None])
def test_a_screen_without_failures_passes(result):
    _check_no_failures(result)
