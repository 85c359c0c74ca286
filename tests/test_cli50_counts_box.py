"""``electrolyte simulate --counts`` of a box no one can pack is refused among the argument
checks, in one line that names ``--counts``.

Before: ``--counts EC=1e300,Li=1,PF6=1`` was refused by the disk-room check, in a line that
wrote out the box's 301-digit atom count ("need up to 4.88e+291 TB more
(1000000000000000052504760255204420248704468581...) atoms"); ``--counts Li=1`` (a net charge)
passed every check of the command and was refused by the library without the option's name or
a cure ("composition {Li: 1} has net charge +1 e; an electrolyte box must be neutral").
"""

import pytest

_ARGS = ["simulate", "--model", "sevennet-0", "--production-ps", "0.2",
         "--preequilibration-ps", "0", "--equilibration-ps", "0", "--ensemble", "nvt"]


@pytest.fixture
def nothing_packed(monkeypatch):
    """Packing the box, or loading the model, fails the test."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the refusal")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(electrolyte_cli.arguments, "make_calculator", forbidden)


def _refusal(counts, tmp_path, capsys):
    from electrolyte_cli import main

    out = tmp_path / "run"
    status = main(_ARGS + ["--counts", counts, "-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not out.exists()
    return err


@pytest.mark.parametrize("counts, atoms", [
    ("EC=1e300,Li=1,PF6=1", "1e+301 atoms"),
    ("EC=100000000000,Li=1,PF6=1", "1000000000008 atoms"),
    ("EC=100000,Li=1,PF6=1", "1000008 atoms"),  # just above the library's bound
    ("H2O=333334", "1000002 atoms"),
])
def test_a_box_beyond_the_atom_bound_is_refused_in_short_numbers(counts, atoms, tmp_path,
                                                                  capsys, nothing_packed):
    err = _refusal(counts, tmp_path, capsys)
    assert err == (f"electrolyte simulate: error: --counts {counts}: the box would hold {atoms}, "
                   "more than the 1000000 that PACKMOL and a machine-learned potential handle; "
                   "is a count mistyped?\n"), err
    assert len(err) < 250


@pytest.mark.parametrize("counts, net, ions", [
    ("Li=1", "+1", "Li +1 e each"),
    ("EC=3,Li=2,PF6=1", "+1", "Li +1 e each, PF6 -1 e each"),
    ("EC=3,Li=1,PF6=3", "-2", "Li +1 e each, PF6 -1 e each"),
    ("EC=3,Li=1,TFSI=1,Na=1", "+1", "Li +1 e each, TFSI -1 e each, Na +1 e each"),
    ("EC=2,FSI=1", "-1", "FSI -1 e each"),
])
def test_a_charged_box_is_refused_by_the_option(counts, net, ions, tmp_path, capsys,
                                                nothing_packed):
    err = _refusal(counts, tmp_path, capsys)
    assert err == (f"electrolyte simulate: error: --counts {counts}: the box has a net charge of "
                   f"{net} e ({ions}); an electrolyte box is neutral: give counts whose ion "
                   "charges cancel (e.g. Li=3,PF6=3)\n"), err


@pytest.mark.parametrize("counts", ["EC=3,Li=1,PF6=1", "EC=3", "EC=99998,Li=1,PF6=1",
                                    "EC=2,Li=2,PF6=1,FSI=1"])
def test_a_neutral_box_within_the_bound_goes_on_to_be_packed(counts, tmp_path, monkeypatch):
    """The checks let the boxes the library packs through (the largest: 999 994 atoms)."""
    import ase_electrolyte.build
    from electrolyte_cli import main

    class Packed(BaseException):  # past the command's own handling of errors
        pass

    def packing(*args, counts=None, **kwargs):
        raise Packed(counts)

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", packing)
    monkeypatch.setattr("electrolyte_cli.simulate.check_disk_room", lambda *a, **k: None)
    with pytest.raises(Packed) as packed:
        main(_ARGS + ["--counts", counts, "-o", str(tmp_path / "run")])
    asked = dict(item.split("=") for item in counts.split(","))
    assert packed.value.args[0] == {k: int(v) for k, v in asked.items()}
