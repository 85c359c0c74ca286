"""``electrolyte demo`` into a folder that holds another run: refused before packing or loading.

The demo resumes a run in its folder as ``simulate`` does, but compared nothing before it had
packed a new box and loaded SevenNet-0: ``demo --n-atoms 200`` into the folder of a 100-atom
demo packed and loaded, then failed on the composition; a folder of other protocol settings
(another ``--equilibration-ps``, a ``simulate`` run, a CPU demo rerun on a GPU) was found by
``run_md`` later still. It now stops at once with one line (exit status 2), and a setting the
demo fixes (it has no ``--relax-fmax``) is not named as an option to give.
"""

import warnings

import ase.io
import pytest
from ase import Atoms
from test_cli_interrupted import _argon_box, _SignallingLJ

_SIM = ["simulate", "--counts", "EC=2", "--model", "sevennet-0", "-q", "--temperature", "60",
        "--preequilibration-ps", "0", "--equilibration-ps", "0.03", "--production-ps", "0.02",
        "--write-interval-fs", "2"]
_DEMO = ["demo", "--device", "cpu", "--dispersion", "none", "-q"]


def _run_into(out, extra):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
        assert main(_SIM + extra + ["-o", str(out)]) == 0


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A simulate run (relax to 2 eV/Å), and one relaxed as the demo relaxes (0.3 eV/Å) with
    an NPT equilibration the CPU demo does not run."""
    root = tmp_path_factory.mktemp("demo_resume")
    _run_into(root / "simulate", [])
    _run_into(root / "equilibrated", ["--relax-fmax", "0.3"])
    return root


@pytest.fixture
def nothing_expensive(monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the folder's run was compared")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)


def _refused(argv, out, capsys):
    from electrolyte_cli import main

    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert main(argv + ["-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith(
        "electrolyte demo: error: "), captured.err
    assert captured.out == ""  # not even the banner: nothing started
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    return captured.err


def test_a_demo_of_another_size_is_refused_before_packing(tmp_path, capsys, nothing_expensive):
    out = tmp_path / "demo"
    out.mkdir()
    first = Atoms("H", cell=[5, 5, 5], pbc=True)
    first.info["composition"] = {"EC": 2, "EMC": 5, "Li": 1, "PF6": 1}
    ase.io.write(out / "initial.extxyz", first, format="extxyz")
    err = _refused(_DEMO + ["--n-atoms", "200"], out, capsys)
    assert f"{out} holds a run of {{'EC': 2, 'EMC': 5, 'Li': 1, 'PF6': 1}}, not {{" in err


def test_a_stage_the_demo_would_skip_names_the_demos_option(folders, capsys,
                                                             nothing_expensive):
    err = _refused(_DEMO, folders / "equilibrated", capsys)
    assert ("equilibration.h5md is the equilibration stage of an earlier run, and this run "
            "skips that stage (--equilibration-ps 0)") in err


def test_a_setting_the_demo_fixes_is_not_named_as_an_option_to_give(folders, capsys,
                                                                    nothing_expensive):
    err = _refused(_DEMO, folders / "simulate", capsys)
    assert ("holds a run with relax-fmax 2 (relaxed.h5md), not the 0.3 this command runs"
            in err), err
    assert "rerun with --relax-fmax" not in err
