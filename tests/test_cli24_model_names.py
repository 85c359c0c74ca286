"""One reading of a model name (models.registered_name) wherever the command line compares one.

Before: ``electrolyte diagnose --model sevennet-0 --reference 7net-0`` was not seen to be one
model (every error 0, after both models' evaluations); ``simulate``'s resume compared names by
``.lower()`` alone, so a run recorded as ``sevennet-0`` was refused for ``--model 7net-0`` or
``' SevenNet-0 '`` (which load the same network); a screening plan's ``name = "7net-0"`` was an
unknown model; ``md._registered_weights`` (the checkpoint record of a stage file) knew only
lower-case spellings.
"""

import os
import warnings

import pytest
from test_cli_interrupted import _argon_box
from test_cli_old_runs import _NAMED, _given, _NamedLJ

from ase_electrolyte.models import registered_name
from ase_electrolyte.trajectory import h5md_info
from electrolyte_cli.diagnose import _same_model

_SPELLINGS = ["sevennet-0", "SevenNet-0", " sevennet-0 ", "7net-0", "7NET-0",
              "7net-0_11Jul2024", "sevennet-0\n"]


@pytest.mark.parametrize("model", _SPELLINGS)
@pytest.mark.parametrize("reference", _SPELLINGS[::2])
def test_diagnose_sees_every_spelling_of_one_registered_model(model, reference):
    assert _same_model(model, reference)


@pytest.mark.parametrize("model, reference", [
    ("sevennet-0", "sevennet-0-22may2024"), ("7net-0", "sevennet-l3i5"),
    ("sevennet-0", "chgnet-0.3.0")])
def test_diagnose_tells_two_registered_models_apart(model, reference):
    assert not _same_model(model, reference)


def test_diagnose_compares_files_by_what_they_are(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.pth").write_bytes(b"1")
    (tmp_path / "b.pth").write_bytes(b"1")
    os.symlink(tmp_path / "a.pth", tmp_path / "link.pth")
    assert _same_model("a.pth", str(tmp_path / "link.pth"))
    assert not _same_model("a.pth", "b.pth")  # same bytes, two models for the user
    # a path is never folded: another case is another file (or none)
    assert not _same_model("a.pth", "A.pth")
    # a file named like a model is not the registered model, which wins for the bare name
    (tmp_path / "sevennet-0").write_bytes(b"1")
    assert not _same_model("./sevennet-0", "7net-0")
    assert _same_model("sevennet-0", "7net-0")


def test_diagnose_refuses_an_alias_of_its_model_as_reference_before_any_load(tmp_path,
                                                                              capsys):
    from electrolyte_cli import main

    traj = tmp_path / "t.extxyz"
    _argon_box().write(traj)
    assert main(["diagnose", str(traj), "--model", "sevennet-0", "--reference", "7net-0",
                 "-o", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "--reference 7net-0 is the --model itself" in err and err.count("\n") == 1
    assert not (tmp_path / "d").exists()


def test_registered_weights_read_one_name_in_any_spelling():
    from ase_electrolyte.md import _registered_weights

    plain = _registered_weights({"model": "sevennet-0"})
    assert list(plain) == ["sevennet-0"]
    for given in ("7NET-0", " SevenNet-0 ", "sevennet-0_11jul2024"):
        assert _registered_weights({"model": given}) == plain
        assert _registered_weights({"parameters": {"model": [given, "sevennet-0"]}}) == plain
    assert _registered_weights({"model": "/no/such/file.pth"}) == {}


def _plan(name):
    from ase_electrolyte.screen import load_plan

    return load_plan({
        "name": "names", "seed": 3, "replicas": 1, "temperatures": [298], "n_atoms": 400,
        "model": {"name": name, "device": "cpu"},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}],
    })


def test_a_plan_reads_a_model_name_as_the_calculator_does():
    from ase_electrolyte.screen import PlanError

    pytest.importorskip("sevenn")
    plain = _plan("sevennet-0")
    for given in ("7net-0", " SevenNet-0", "SEVENNET-0"):
        read = _plan(given)
        assert read.model["value"] == registered_name(given) == "sevennet-0"
        assert read.fingerprint() == plain.fingerprint()
    with pytest.raises(PlanError, match=r"unknown model 'sevenet-0' \(did you mean "
                                        r"'sevennet-0'\?\).*calculator = 'module:function'"):
        _plan("sevenet-0")


@pytest.fixture(scope="module")
def named_run(tmp_path_factory):
    """A finished run whose stages record the model sevennet-0 with D3(BJ)."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    out = tmp_path_factory.mktemp("named24") / "run"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _NamedLJ())
        assert main(_NAMED + ["-o", str(out)]) == 0
    assert h5md_info(out / "production.h5md")["run_info"]["calculator"]["model"] == "sevennet-0"
    return out


@pytest.mark.parametrize("value", ["7net-0", " SevenNet-0 ", "7NET-0_11jul2024"])
def test_simulate_resumes_a_run_under_an_alias_of_its_model(named_run, value, capsys,
                                                            monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _NamedLJ())
    frames = {p.name: h5md_info(p)["n_frames"] for p in named_run.glob("*.h5md")}
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_given(_NAMED, "--model", value) + ["-o", str(named_run)]) == 0
    assert "error" not in capsys.readouterr().err
    # reused, not run again
    assert {p.name: h5md_info(p)["n_frames"] for p in named_run.glob("*.h5md")} == frames


def test_simulate_still_refuses_another_model_under_any_spelling(named_run, capsys,
                                                                 monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the model was compared")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_given(_NAMED, "--model", "7NET-L3I5") + ["-o", str(named_run)]) == 2
    assert "holds a run with --model sevennet-0" in capsys.readouterr().err
