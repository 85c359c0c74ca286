"""Every comma list of the command refuses what it cannot mean, in one line, exit status 2.

``--only rdf,rdf`` (or ``rdf,intra_inter_rdf``, one analysis twice), ``--only rdf,,diffusion``
and ``--scales 0.9,,1.1`` (an item left out?) were read without a word, and ``--counts
EC=0,Li=1,PF6=1`` packed a box without EC while the command was asked for it. ``--counts`` and
``--solvent`` already refused empty items and names given twice (species.parse_shares).
"""

import pytest


@pytest.fixture(autouse=True)
def _nothing_expensive(monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded: the list was not refused")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)


def _refused(argv, capsys):
    from electrolyte_cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("only, said", [
    ("rdf,rdf", "names intra_inter_rdf more than once"),
    ("rdf,intra_inter_rdf", "names intra_inter_rdf more than once"),
    ("Diffusion,msd,rdf", "names diffusion more than once"),
    ("rdf,,diffusion", "has an empty item between commas"),
    ("rdf,", "has an empty item between commas"),
    (",rdf", "has an empty item between commas"),
    (" , ", "names no analysis"),
])
def test_only(only, said, capsys, tmp_path):
    err = _refused(["analyze", str(tmp_path / "none.extxyz"), "--only", only], capsys)
    assert err.startswith("electrolyte analyze: error: --only") and said in err, err


@pytest.mark.parametrize("only", ["rdf,diffusion", "RDF, Solvation shells"])
def test_only_of_distinct_analyses_reaches_the_file_check(only, capsys, tmp_path):
    err = _refused(["analyze", str(tmp_path / "none.extxyz"), "--only", only], capsys)
    assert "none.extxyz" in err and "--only" not in err, err


@pytest.mark.parametrize("counts, zero", [
    ("EC=0,Li=1,PF6=1", "EC counted 0, which packs none; leave it out"),
    ("EC=10,EMC=0,DMC=0,Li=1,PF6=1", "EMC, DMC counted 0, which packs none; leave them out"),
])
def test_counts_of_zero(counts, zero, capsys, tmp_path):
    err = _refused(["simulate", "--counts", counts, "--model", "sevennet-0", "-o",
                    str(tmp_path / "run")], capsys)
    assert f"--counts {counts}: {zero}" in err, err


@pytest.mark.parametrize("counts, said", [
    ("EC=0,Li=0", "no molecule to pack"),
    ("EC=1,,Li=1", "empty item between commas"),
    ("EC=1,EC=2", "EC is named twice"),
])
def test_counts_already_refused(counts, said, capsys, tmp_path):
    assert said in _refused(["simulate", "--counts", counts, "--model", "sevennet-0", "-o",
                             str(tmp_path / "run")], capsys)


@pytest.mark.parametrize("scales, said", [
    ("0.9,,1.1", "has an empty item between commas"),
    ("0.9,0.95,1,1.05,1.1,", "has an empty item between commas"),
    (",", "names no scale factor"),
    ("1,1.0", "names a factor twice"),
])
def test_scales(scales, said):
    from electrolyte_cli.diagnose import _parse_scales

    with pytest.raises(ValueError, match=said):
        _parse_scales(scales)
    assert _parse_scales("0.9, 0.95,1,1.05,1.1") == [0.9, 0.95, 1.0, 1.05, 1.1]
