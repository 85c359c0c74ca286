"""A damaged ``initial.extxyz`` (the packed box a resume starts from) in simulate's folder.

It is written whole or not at all, but a copy cut short, an edit or another program's file can
put a damaged one there. An empty one ended in "internal error: UnknownFileTypeError ... (a
bug)" (exit 1), a cut one in "error: ase.io.extxyz: Frame has 1 atoms, expected 32" and a
binary one in a bare UnicodeDecodeError text, none naming the file. Each is now one line naming
the file and what to do, exit status 2, before the box is packed or the model loaded.
"""

import pytest

from electrolyte_cli import main

_ARGV = ["simulate", "--counts", "EC=2", "--model", "sevennet-0", "-q", "--temperature", "60",
         "--preequilibration-ps", "0", "--equilibration-ps", "0.03", "--production-ps", "0.02",
         "--write-interval-fs", "2"]


@pytest.fixture
def no_work(monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("the box was packed or the model loaded before the check")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)


@pytest.mark.parametrize("content,reason", [
    (b"", "(it is empty)"),
    (b'32\nLattice="9 0 0 0 9 0 0 0 9" Properties=species:S:1:pos:R:3\nAr 0 0 0\n',
     "expected 32"),
    (b"\x00\xff\xfe", "UnicodeDecodeError"),
])
@pytest.mark.parametrize("stage", [False, True], ids=["no-stage", "with-stage"])
def test_a_damaged_packed_box_is_named_before_any_work(tmp_path, capsys, no_work, content,
                                                       reason, stage):
    out = tmp_path / "run"
    out.mkdir()
    (out / "initial.extxyz").write_bytes(content)
    if stage:
        (out / "relaxed.h5md").write_bytes(b"stage")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(_ARGV + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err, err
    assert f"{out / 'initial.extxyz'} (the packed box this folder's run started from) cannot " \
           "be read" in err, err
    assert reason in err, err
    if stage:
        assert "the stage files (relaxed.h5md) were made from the box it held" in err, err
    else:
        assert "remove it and run the same command again to pack a new box" in err, err
    # nothing removed or rewritten
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# --- a damaged stage file ----------------------------------------------------------------------

def test_a_damaged_stage_file_is_named_before_any_work_and_the_advice_resumes(
        tmp_path, capsys, monkeypatch):
    """A truncated production.h5md was found only once the model had loaded, and the message
    advised ``overwrite=True``, a keyword the command does not have."""
    import warnings

    from test_cli_interrupted import _argon_box, _SignallingLJ

    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
    out = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_ARGV + ["-o", str(out)]) == 0
    (out / "simulation.json").unlink()
    production = out / "production.h5md"
    production.write_bytes(production.read_bytes()[: production.stat().st_size // 2])
    (out / "relaxed.h5md").write_bytes(b"not hdf5" * 8)
    capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(ase_electrolyte.build, "electrolyte_box", _forbidden)
        m.setattr(cli_arguments, "make_calculator", _forbidden)
        assert main(_ARGV + ["-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "overwrite=True" not in err, err
        # the first stage that cannot be read, and every file after it
        assert f"{out / 'relaxed.h5md'} (the relaxed stage of this folder's run) cannot be " \
               "read (truncated or damaged: " in err, err
        assert "remove it and the later stages' files (equilibration.h5md, production.h5md) " \
               "and run the same command again" in err, err
        (out / "relaxed.h5md").unlink()
        (out / "equilibration.h5md").unlink()
        # the equilibration is gone too: only the production is left to name
        assert main(_ARGV + ["-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"{production} (the production stage of this folder's run) cannot be read " \
               "(truncated or damaged" in err and "remove it and run the same command" in err
    production.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_ARGV + ["-o", str(out)]) == 0
    assert (out / "simulation.json").exists()


def _forbidden(*args, **kwargs):
    raise AssertionError("the box was packed or the model loaded before the check")
