"""``electrolyte simulate``/``demo`` into a folder whose ``simulation.json`` its owner made
read-only: every run rewrites that file last, so the refusal came only after the protocol had
run. Now it is one line, exit status 2, naming the file, before the box is packed or the model
loaded. Permissions are simulated through ``os.access`` (the tests may run as root)."""

import os

import pytest

import electrolyte_cli.arguments as cli_arguments
import electrolyte_cli.simulate as cli_simulate
from electrolyte_cli import main


class _Reached(Exception):
    """Raised by the work the check must come before."""


@pytest.mark.parametrize("argv", [
    ["simulate", "-o", "run", "--model", "sevennet-0", "--solvent", "EC:3,EMC:7",
     "--n-atoms", "60", "-q"],
    ["demo", "-o", "run", "--device", "cpu", "-q"],
])
def test_a_protected_run_summary_is_refused_before_packing(tmp_path, monkeypatch, capsys, argv):
    def reached(*args, **kwargs):
        raise _Reached

    monkeypatch.setattr(cli_arguments, "make_calculator", reached)
    monkeypatch.setattr(cli_simulate, "run_protocol_into", reached)
    import ase_electrolyte.build
    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", reached)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    out.mkdir()
    (out / "simulation.json").write_text('{"earlier": true}')
    protected = os.path.realpath(out / "simulation.json")
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        not (mode & os.W_OK and os.path.realpath(path) == protected)
        and access(path, mode, **kw)))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert os.path.join("run", "simulation.json") in err and "is read-only" in err, err
    assert (out / "simulation.json").read_text() == '{"earlier": true}'
    assert sorted(p.name for p in out.iterdir()) == ["simulation.json"]
