"""A salt named in ``--counts`` or ``--solvent`` is refused with the options that give it.

Before: ``--counts EC=3,LiPF6=1`` said "unknown species 'LiPF6' (LiPF6 is a salt: give it as
salt=, its ions as species); ... for anything else pass Species(name, smiles)": Python keywords
the command does not have. Now ``--counts`` is told the salt's ions and their counts, and
``--solvent`` the ``--salt`` and ``--concentration`` that add a salt to a solvent.
"""

import pytest

_ARGS = ["simulate", "--model", "sevennet-0", "-o", "run"]


def _error(argv, capsys, monkeypatch, tmp_path):
    import ase_electrolyte.build
    from electrolyte_cli import main

    def forbidden(*args, **kwargs):
        raise AssertionError("packed before the refusal")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.chdir(tmp_path)
    assert main(_ARGS + argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "salt=," not in err and "pass Species(" not in err, err
    assert not (tmp_path / "run").exists()
    return err


@pytest.mark.parametrize("counts, salt, ions, typed", [
    ("EC=3,LiPF6=1", "LiPF6", "Li=1,PF6=1", "LiPF6=1"),
    ("EC=3,lipf6=2", "LiPF6", "Li=2,PF6=2", "lipf6=2"),
    ("DME=4,LiTFSI=3", "LiTFSI", "Li=3,TFSI=3", "LiTFSI=3"),
    ("EC=5,NaPF6=1,Li=1,PF6=1", "NaPF6", "Na=1,PF6=1", "NaPF6=1"),
])
def test_a_salt_in_counts_is_told_its_ions(counts, salt, ions, typed, capsys, monkeypatch,
                                           tmp_path):
    err = _error(["--counts", counts], capsys, monkeypatch, tmp_path)
    assert err == (f"electrolyte simulate: error: --counts: {salt} is a salt, and --counts "
                   f"counts molecules and ions: give its ions ({ions} for {typed})\n"), err


@pytest.mark.parametrize("solvent, salt", [("EC:3,LiPF6:1", "LiPF6"), ("LiTFSI", "LiTFSI"),
                                           ("EC:1,kpf6:1", "KPF6")])
def test_a_salt_in_solvent_is_told_the_salt_option(solvent, salt, capsys, monkeypatch,
                                                   tmp_path):
    err = _error(["--solvent", solvent], capsys, monkeypatch, tmp_path)
    assert err == (f"electrolyte simulate: error: --solvent: {salt} is a salt, not a solvent; "
                   f"give it as --salt {salt} with its --concentration, beside the solvents of "
                   "--solvent\n"), err


@pytest.mark.parametrize("argv, flag, what", [
    (["--counts", "EC=3,XYZ=1"], "--counts", "unknown species 'XYZ'"),
    (["--solvent", "XYZ:1"], "--solvent", "unknown species 'XYZ'"),
    (["--solvent", "EC", "--salt", "NaCl", "--concentration", "1"], "--salt",
     "unknown salt 'NaCl'"),
])
def test_an_unknown_name_is_told_that_python_builds_others(argv, flag, what, capsys,
                                                           monkeypatch, tmp_path):
    """"for anything else pass Species(name, smiles)" read as something to type: the command
    takes the library's names only, and says where one's own species is built."""
    err = _error(argv, capsys, monkeypatch, tmp_path)
    assert err.startswith(f"electrolyte simulate: error: {flag}: {what}"), err
    assert "for anything else pass" not in err
    kind = "salt" if flag == "--salt" else "species"
    assert f"; the command packs these only; a {kind} of your own is built from Python " \
           "(ase_electrolyte.species." in err, err
