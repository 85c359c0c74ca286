"""One rule for the CLI's choice-like options: a word in any case is that word; any other value
is one line, exit status 2, naming the option, what it takes and the closest word.

``--device CPU`` was refused while ``--dispersion D3-BJ`` passed, ``--ensemble NPT`` and
``--method FPS`` were argparse's "invalid choice", ``--only DENSITY`` an unknown analysis, and
``--dispersion NONE`` counted as a dispersion given (``analyze --list`` refused it). SevenNet-MF-0
(Kim et al. 2024) could not be run from the command (no ``--modal``), and was refused only by the
model's load, after the box was packed.
"""

import pytest

from electrolyte_cli import build_parser, main


def _parsed(argv):
    return vars(build_parser().parse_args(argv))


_SIM = ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
        "--model", "sevennet-0"]


@pytest.mark.parametrize("flag, spellings, word", [
    ("--device", ["CPU", "Cpu", " cpu "], "cpu"),
    ("--device", ["AUTO", "Auto"], "auto"),
    ("--device", ["CUDA:1", "Cuda:1"], "cuda:1"),
    ("--dispersion", ["D3-BJ", "D3(BJ)", "d3", "d3_bj", "D3"], "d3-bj"),
    ("--dispersion", ["D3-ZERO", "d3(zero)"], "d3-zero"),
    ("--dispersion", ["NONE", "None", "none"], "none"),
    ("--ensemble", ["NPT", "Npt", "npt"], "npt"),
])
def test_simulate_words_in_any_case_are_one_word(flag, spellings, word):
    for text in spellings:
        assert _parsed(_SIM + [flag, text])[flag.lstrip("-")] == word, text


@pytest.mark.parametrize("argv, dest, word", [
    (["select", "c.extxyz", "-n", "2", "--method", "FPS"], "method", "fps"),
    (["select", "c.extxyz", "-n", "2", "--method", "D-Optimal"], "method", "d-optimal"),
    (["select", "c.extxyz", "-n", "2", "--device", "CPU"], "device", "cpu"),
    (["analyze", "t.h5md", "--lammps-units", "METAL", "--dump", "d"], "lammps_units", "metal"),
    (["demo", "--device", "CPU"], "device", "cpu"),
    (["demo", "--dispersion", "NONE"], "dispersion", "none"),
    (["finetune", "t.extxyz", "--epochs", "1", "--device", "Cpu"], "device", "cpu"),
])
def test_every_subcommand_reads_its_words_alike(argv, dest, word):
    assert _parsed(argv)[dest] == word


@pytest.mark.parametrize("argv, flag, meant", [
    (_SIM + ["--ensemble", "npx"], "--ensemble", "npt"),
    (_SIM + ["--dispersion", "d3-bjj"], "--dispersion", "d3-bj"),
    (_SIM + ["--device", "cpux"], "--device", "cpu"),
    (_SIM + ["--units", "molall"], "--units", "molal"),
    (_SIM + ["--ratio", "mas"], "--ratio", "mass"),
    (_SIM[:-1] + ["sevenet-0"], "--model", "sevennet-0"),
    (["select", "c.extxyz", "-n", "2", "--method", "dopt"], "--method", "d-optimal"),
    (["analyze", "t.h5md", "--dump", "d", "--lammps-units", "metl"], "--lammps-units", "metal"),
    (["analyze", "TRAJ", "--only", "densty"], "--only", "density"),
])
def test_an_unknown_word_is_one_line_naming_the_closest(argv, flag, meant, tmp_path,
                                                        monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    # an existing trajectory: a missing one is refused first, before the analyses' names,
    # which are known once their modules (MDAnalysis) are imported
    argv = [str(_junk_h5md(tmp_path)) if a == "TRAJ" else a for a in argv]
    try:
        code = main(argv)
    except SystemExit as done:  # refused by the parser
        code = done.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert flag in err and f"did you mean {meant!r}?" in err, err
    assert not any(work.iterdir())  # nothing made
    assert {p.name for p in tmp_path.iterdir()} <= {"t.h5md", "work"}


def _junk_h5md(folder):
    """An H5MD file name whose content is refused only when it is read."""
    path = folder / "t.h5md"
    path.write_text("not HDF5")
    return path


def test_none_in_capitals_is_no_dispersion_given(capsys):
    # analyze --list refuses options given beside it: NONE and AUTO are the defaults
    assert main(["analyze", "--list", "--dispersion", "NONE", "--device", "AUTO"]) in (0, None)
    listed = capsys.readouterr().out
    assert main(["analyze", "--list"]) in (0, None)
    assert capsys.readouterr().out == listed and "density" in listed


def test_analysis_names_in_any_case_are_the_analyses(tmp_path, monkeypatch, capsys):
    # the same refusal for both spellings: that of the file's read, once the names were taken
    monkeypatch.chdir(tmp_path)
    traj = _junk_h5md(tmp_path)
    errors = []
    for only in ("density,diffusion", "DENSITY,Diffusion"):
        assert main(["analyze", str(traj), "--only", only]) == 2
        errors.append(capsys.readouterr().err)
    assert errors[0] == errors[1] and "is not an HDF5 (H5MD) file" in errors[0], errors


# --- --modal: the fidelity of a multi-fidelity model -----------------------------------------

@pytest.fixture
def no_work(monkeypatch):
    """Packing and model construction fail the test."""
    import ase_electrolyte
    import ase_electrolyte.build

    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(ase_electrolyte, "Calculator", forbidden)


@pytest.mark.parametrize("extra, said", [
    ([], "give --modal"),
    (["--modal", "pbx"], "unknown modal 'pbx'"),
    (["--modal", ""], "--modal is empty"),
])
def test_a_multi_fidelity_model_needs_a_known_modal_before_any_work(extra, said, tmp_path,
                                                                    monkeypatch, capsys, no_work):
    monkeypatch.chdir(tmp_path)
    argv = _SIM[:-1] + ["sevennet-mf-0", "-o", "run", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1 and "modal=" not in err, err
    assert not (tmp_path / "run").exists()


def test_a_modal_for_a_model_of_one_fidelity_is_refused(tmp_path, monkeypatch, capsys, no_work):
    monkeypatch.chdir(tmp_path)
    assert main(_SIM + ["--modal", "PBE", "-o", "run"]) == 2
    err = capsys.readouterr().err
    assert "one fidelity" in err and "--modal" in err and err.count("\n") == 1, err


def test_commands_without_modal_refuse_a_multi_fidelity_model(tmp_path, monkeypatch, capsys,
                                                              no_work):
    from ase.build import bulk
    from ase.io import write

    monkeypatch.chdir(tmp_path)
    write("c.extxyz", [bulk("Cu", cubic=True)] * 3)
    assert main(["select", "c.extxyz", "-n", "1", "--model", "sevennet-mf-0"]) == 2
    err = capsys.readouterr().err
    assert "multi-fidelity" in err and "one fidelity" in err and err.count("\n") == 1, err


def test_the_modal_reaches_the_calculator_spelled_as_the_model_spells_it(tmp_path, monkeypatch,
                                                                        capsys):
    """``--modal r2scan`` is the model's ``R2SCAN``, passed to ``Calculator(modal=...)``."""
    from cli_inputs import labelled_water_frames

    import ase_electrolyte

    seen = {}

    def recorder(model, **kwargs):
        seen.update(kwargs, model=model)
        raise ValueError("recorded")  # stops the command: nothing is evaluated

    monkeypatch.setattr(ase_electrolyte, "Calculator", recorder)
    monkeypatch.chdir(tmp_path)
    labelled_water_frames("lab.extxyz")
    argv = ["analyze", "lab.extxyz", "--only", "intra_inter_errors", "--model",
            "SevenNet-MF-0", "--modal", "r2scan", "--device", "CPU", "--dt", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "recorded" in err, err
    assert seen["modal"] == "R2SCAN" and seen["device"] == "cpu", seen
    assert seen["model"] == "SevenNet-MF-0"


def test_a_multi_fidelity_checkpoint_file_needs_its_modal(tmp_path, monkeypatch, capsys, no_work):
    """A SevenNet checkpoint file's fidelities are read from it: judged like the name's."""
    pytest.importorskip("sevenn")
    from sevenn.util import pretrained_name_to_path

    path = pretrained_name_to_path("7net-mf-0")
    monkeypatch.chdir(tmp_path)
    base = ["simulate", "--counts", "EC=3,Li=1,PF6=1", "--model", str(path), "-o", "run"]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "give --modal" in err and "R2SCAN" in err and err.count("\n") == 1, err
    # a known fidelity passes the model's check: the next check speaks (this file holds more
    # than tensors, so its fidelities are read only after the model's trust warning, and
    # --modal is taken as typed)
    assert main(base + ["--modal", "R2SCAN", "--device", "cpux"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("electrolyte simulate: error: --device 'cpux'"), err
    assert not (tmp_path / "run").exists()


def test_a_resume_with_another_fidelity_is_refused(tmp_path):
    """Another fidelity is another potential energy surface: no resume of a PBE run as R2SCAN."""
    import argparse

    from electrolyte_cli.simulate import _check_stage_calculator

    stored = {"calculator": {"model": "sevennet-mf-0", "parameters": {"modal": "PBE"}}}
    path = tmp_path / "production.h5md"

    def args(modal):
        return argparse.Namespace(model="sevennet-mf-0", dispersion="none", modal=modal)

    _check_stage_calculator(tmp_path, path, stored, args("PBE"))  # the same run: resumed
    for other in ("R2SCAN", None):
        with pytest.raises(ValueError, match="--modal PBE"):
            _check_stage_calculator(tmp_path, path, stored, args(other))
