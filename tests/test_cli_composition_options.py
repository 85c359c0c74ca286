"""``electrolyte simulate``'s composition options, alone and together, on meaningless values.

Each is refused in one line naming the option as typed, with exit status 2, before a box is
packed or a model loaded; what is meaningful packs the box its shares mean, whichever way
they are written (parts, fractions, mole or mass).
"""

import pytest

_MODEL = ["--model", "sevennet-0", "-q"]


#: What the stand-in for the packing raises (an argument-like error: exit status 2).
_PACKED = "packing reached"


@pytest.fixture
def packing(monkeypatch):
    """The counts the command would pack (the packing itself stopped there)."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    packed = []

    def box(counts=None, **kwargs):
        packed.append({getattr(sp, "name", sp): int(n) for sp, n in counts.items()})
        raise ValueError(_PACKED)

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", box)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    return packed


def _simulate(words, out, capsys=None):
    """The exit status, or ``"packed"`` where the command reached the packing."""
    from electrolyte_cli import main

    status = main(["simulate", *words, *_MODEL, "-o", str(out)])
    if capsys is not None and status == 2 and _PACKED in capsys.readouterr().err:
        return "packed"
    return status


@pytest.mark.parametrize("words, said", [
    # a ratio of one solvent
    (["--solvent", "EC:1", "--ratio", "mole"], "--ratio mole: --solvent EC:1 names one solvent"),
    (["--solvent", "EC:1", "--ratio", "mass"], "--ratio mass: --solvent EC:1 names one solvent"),
    (["--solvent", "EMC:7", "--salt", "LiPF6", "--concentration", "1", "--ratio", "mole"],
     "--ratio mole: --solvent EMC:7 names one solvent"),
    # fractions that do not sum to 1: a solvent left out, or a typo
    (["--solvent", "EC:0.3,EMC:0.3"], "--solvent EC:0.3,EMC:0.3: shares written as fractions "
     "(each below 1) sum to 0.6, not 1"),
    (["--solvent", "EC:0.3,EMC:0.3", "--ratio", "mole"], "sum to 0.6, not 1"),
    (["--solvent", "EC:0.3"], "--solvent EC:0.3: shares written as fractions"),
    (["--solvent", "EC:0.25,EMC:0.25,DMC:0.25"], "sum to 0.75, not 1"),
    (["--solvent", "EC:0.7,EMC:0.7"], "sum to 1.4, not 1"),
    # shares beyond floating point: an internal ZeroDivisionError, "cannot convert float NaN"
    # refused where the shares are read (parse_shares), naming the float limit they pass
    (["--solvent", "EC:1e308,EMC:1e308", "--ratio", "mole"],
     "'EC:1e308,EMC:1e308' sum beyond the largest float"),
    (["--solvent", "EC:1e308,EMC:1e308"], "sum beyond the largest float"),
    (["--solvent", "EC:1e-320,EMC:1"], "share of EC 1e-320 in 'EC:1e-320' of 'EC:1e-320,EMC:1' "
                                       "underflows a float"),
    (["--solvent", "EC:5e-324"], "share of EC 5e-324 in 'EC:5e-324' of 'EC:5e-324' underflows"),
    # zero, negative, not a number
    (["--solvent", "EC:0,EMC:1"], "--solvent share of EC must be a finite number > 0"),
    (["--solvent", "EC:-1,EMC:2"], "--solvent share of EC must be a finite number > 0"),
    (["--solvent", "EC:nan,EMC:2"], "--solvent share of EC must be a finite number > 0"),
    (["--solvent", "EC:1,EMC:inf"], "--solvent share of EMC must be a finite number > 0"),
    # one species named twice, spelled alike or not
    (["--solvent", "EC:1,EC:2"], "--solvent EC is named twice in 'EC:1,EC:2'"),
    (["--solvent", "EC:1,ec:2"], "--solvent: EC and ec name the same species (EC)"),
    (["--solvent", "EC:1,Ethylene carbonate:2"],
     "--solvent: EC and Ethylene carbonate name the same species (EC)"),
    (["--counts", "EC=1,ec=2"], "--counts: EC and ec name the same species (EC)"),
    (["--counts", "Li=1,Li+=1,PF6=2,EC=3"], "--counts: Li and Li+ name the same species (Li)"),
    # combinations that leave an option without meaning
    (["--counts", "EC=3", "--ratio", "mole"], "--ratio does not apply to --counts"),
    (["--counts", "EC=3", "--solvent", "EC:1"], "give --counts or --solvent/--salt, not both"),
    (["--ratio", "mole"], "give --solvent (e.g. EC:3,EMC:7) or --counts"),
    (["--solvent", "EC:3,EMC:7", "--units", "molar"], "--units applies to a --salt"),
    (["--solvent", "EC:3,EMC:7", "--salt", "LiPF6"], "--salt LiPF6 needs a --concentration > 0"),
])
def test_meaningless_composition_is_refused_before_packing(words, said, packing, tmp_path,
                                                          capsys):
    out = tmp_path / "run"
    assert _simulate(words, out) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if ": warning: " not in line]
    assert len(lines) == 1 and lines[0].startswith("electrolyte simulate: error: "), err
    assert said in lines[0], err
    assert packing == [] and not out.exists()


@pytest.mark.parametrize("fractions, parts, ratio", [
    ("EC:0.3,EMC:0.7", "EC:3,EMC:7", "mass"),
    ("EC:0.3,EMC:0.7", "EC:3,EMC:7", "mole"),
    ("EC:0.33,EMC:0.33,DMC:0.33", "EC:1,EMC:1,DMC:1", "mole"),  # rounded thirds
    ("EC:1e300,EMC:1e300", "EC:1,EMC:1", "mole"),  # large, but their sum is finite
    ("EC:0.1,EMC:0.2,DMC:0.7", "EC:1,EMC:2,DMC:7", "mass"),
])
def test_shares_pack_the_box_their_ratio_means(fractions, parts, ratio, packing, tmp_path,
                                              capsys):
    from ase_electrolyte.build import composition_counts
    from ase_electrolyte.species import parse_shares

    for shares in (fractions, parts):
        assert _simulate(["--solvent", shares, "--ratio", ratio, "--salt", "LiPF6",
                          "--concentration", "1", "--n-atoms", "400"], tmp_path / "run",
                         capsys) == "packed"
    assert packing[0] == packing[1]
    expected = composition_counts(parse_shares(parts), "LiPF6", 1.0, n_atoms=400, ratio=ratio)
    assert packing[0] == {sp.name: int(n) for sp, n in expected.items()}
    assert packing[0]["Li"] >= 1 and sum(n for k, n in packing[0].items()
                                         if k not in ("Li", "PF6")) > 0


def test_one_solvent_without_ratio_is_a_pure_solvent(packing, tmp_path, capsys):
    """One share, of any size but written as a fraction, is the whole solvent."""
    for share in ("EC:1", "EC:7", "EC:1e300"):
        assert _simulate(["--solvent", share, "--n-atoms", "100"], tmp_path / "run",
                         capsys) == "packed"
    assert packing[0] == packing[1] == packing[2] and list(packing[0]) == ["EC"]
    assert packing[0]["EC"] == 10  # 10 atoms per EC: 100 atoms
