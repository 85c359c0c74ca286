"""A salt mixture given to ``electrolyte simulate --salt`` is refused in one line with the
``--counts`` that packs it (the library's refusal advised Python the command does not take),
and the molality rule the line gives is the one the single-salt path packs by."""

import re
from pathlib import Path

import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import get_species
from electrolyte_cli import main


@pytest.mark.parametrize("salt, ions", [
    ("LiPF6+LiFSI", "Li=n1+n2,PF6=n1,FSI=n2"),
    ("lipf6 and LiFSI", "Li=n1+n2,PF6=n1,FSI=n2"),
    ("LiPF6/LiTFSI/LiBOB", "Li=n1+n2+n3,PF6=n1,TFSI=n2,BOB=n3"),
    ("LiPF6, NaPF6", "Li=n1,PF6=n1+n2,Na=n2"),
])
def test_a_salt_mixture_is_refused_with_the_counts_that_pack_it(salt, ions, tmp_path, capsys,
                                                                 monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.chdir(tmp_path)
    status = main(["simulate", "--solvent", "EC:3,EMC:7", "--salt", salt, "--concentration",
                   "0.5", "--model", "sevennet-0", "-o", "run"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"--salt {salt}: a mixture of " in err
    assert f"--counts EC=N1,EMC=N2,{ions} with " in err
    # nothing of the Python API's advice, which the command does not take
    assert "counts={" not in err and "Salt(" not in err and "composition_counts" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("salt, molality, n_atoms", [
    ("LiPF6", 0.5, 1000), ("LiFSI", 0.5, 1000), ("LiTFSI", 1.2, 700), ("LiBOB", 0.3, 3000),
])
def test_the_molality_rule_of_the_line_is_the_single_salt_packing(salt, molality, n_atoms):
    """n = c × (the solvent molecules' total molar mass in g/mol) / 1000, rounded: what
    composition_counts packs for one salt beside the same solvent molecules."""
    counts = composition_counts({"EC": 3, "EMC": 7}, salt, molality, n_atoms=n_atoms)
    names = {sp.name: n for sp, n in counts.items()}
    solvent_mass = sum(get_species(name).mass * names[name] for name in ("EC", "EMC"))
    anion = re.sub(r"^Li", "", salt)
    assert names[anion] == round(molality * solvent_mass / 1000)


@pytest.mark.parametrize("argv, value, n", [
    (["simulate", "--solvent", "EC:3", "--salt", "LiPF6", "--model", "sevennet-0",
      "--concentration"], "0.5,0.5", 2),
    (["simulate", "--solvent", "EC:3", "--model", "sevennet-0", "--temperature"],
     "300 310 320", 3),
    (["demo", "--production-ps"], "1; 2", 2),
    (["analyze", "traj.h5md", "--dt"], "0.1, 0.2", 2),
    (["finetune", "train.extxyz", "--epochs", "1", "--lr"], "1e-3,1e-4", 2),
])
def test_a_list_of_numbers_for_a_one_number_option_is_named_as_such(argv, value, n, capsys,
                                                                    tmp_path, monkeypatch):
    """One value per salt of a mixture (or per temperature) read 'give a number', as if the
    numbers typed were none; a decimal comma keeps its own advice."""
    monkeypatch.chdir(tmp_path)
    for typed, advice in ((value, f"{n} numbers where the option takes one: give one value"),
                          ("5,0", "write the decimals with a point: 5.0")):
        with pytest.raises(SystemExit) as stop:
            main(argv + [typed])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and err.count("\n") == 1, err
        assert err.strip().endswith(f"'{typed}'; {advice}"), err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("salt", ["LiPF6+LiFSI", ["LiPF6", "LiFSI"], "LiPF6 & lifsi"])
def test_a_plan_with_a_salt_mixture_says_it_is_not_screened(salt):
    """The library's advice (counts=, Salt(...)) is no key of a plan: the plan says its own."""
    from ase_electrolyte.screen.plan import PlanError, load_plan

    with pytest.raises(PlanError) as err:
        load_plan({"name": "m", "seed": 1, "replicas": 1, "temperatures": [300],
                   "n_atoms": 300,
                   "model": {"calculator": f"{Path(__file__).with_name('screen_models.py')}:lj"},
                   "composition": [{"solvent": "EC", "salt": salt, "concentration": [0.5]}]})
    text = str(err.value)
    assert "is a mixture of LiPF6 and LiFSI; a plan's composition holds one salt, so a " \
        "mixture of salts is not screened" in text
    assert "'Li': n1 + n2, 'PF6': n1, 'FSI': n2" in text
    assert "Salt(" not in text and "known salts" not in text
