"""A screening plan's protocol ``hydrogen_mass`` other than the default 3 amu, for a
composition none of whose species holds hydrogen, was refused only on the worker, after the
box was packed (run_protocol refuses a hydrogen mass that acts on no atom): every task of that
composition failed. The plan now refuses it when it is read, naming the composition and the
cure; the default (no choice: such a box runs at its real masses) and compositions with
hydrogen are taken. The plan's verdict is the worker's: both are asked of the same box."""
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.md import check_protocol_arguments
from ase_electrolyte.screen import PlanError, load_plan
from ase_electrolyte.species import SOLVENTS, Species

MODELS = str(Path(__file__).with_name("screen_models.py"))


@pytest.fixture
def no_hydrogen_solvents(monkeypatch):
    """Two solvents without hydrogen, as the library could hold (carbon disulfide, and
    perfluorinated dimethyl carbonate)."""
    added = {"CS2": Species("CS2", "S=C=S", description="carbon disulfide"),
             "FDMC": Species("FDMC", "O=C(OC(F)(F)F)OC(F)(F)F",
                             description="bis(trifluoromethyl) carbonate")}
    for name, sp in added.items():
        monkeypatch.setitem(SOLVENTS, name, sp)
    return added


def _plan(compositions, **protocol):
    return load_plan({
        "n_atoms": 600, "analyses": [], "temperatures": [298.0],
        "model": {"calculator": f"{MODELS}:lj", "device": "cpu"},
        "protocol": protocol,
        "composition": compositions,
    })


def _worker_refuses(species_counts, hydrogen_mass):
    """run_protocol's own check on a box of these molecules (positions play no part)."""
    symbols = [s for sp, n in species_counts for _ in range(n) for s in sp.symbols]
    atoms = Atoms(symbols, positions=np.zeros((len(symbols), 3)), cell=[20, 20, 20], pbc=True)
    try:
        check_protocol_arguments(atoms=atoms, temperature_K=298.0, hydrogen_mass=hydrogen_mass)
    except ValueError:
        return True
    return False


_ENTRIES = {
    "CS2": {"solvent": "CS2"},
    "CS2+LiPF6": {"solvent": "CS2", "salt": "LiPF6", "concentration": 0.5},
    "FDMC+LiFSI": {"solvent": "FDMC", "salt": "LiFSI", "concentration": 1.0},
    "CS2:FDMC": {"solvent": "CS2:1,FDMC:1"},
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("hydrogen_mass", [1.008, 2.014, 4.0, 3.0000001])
@pytest.mark.parametrize("entry", list(_ENTRIES), ids=str)
def test_a_hydrogen_mass_for_a_composition_without_hydrogen_is_refused_when_read(
        no_hydrogen_solvents, entry, hydrogen_mass):
    from ase_electrolyte.species import get_salt, get_species

    with pytest.raises(PlanError) as err:
        _plan([_ENTRIES[entry]], hydrogen_mass=hydrogen_mass)
    message = str(err.value)
    assert message.startswith("composition 1 (")
    assert f"hydrogen_mass = {hydrogen_mass:g} amu" in message
    assert "leave out hydrogen_mass" in message
    # the worker refuses the same box
    e = _ENTRIES[entry]
    species = [get_species(k) for k in e["solvent"].replace(":1", "").split(",")]
    if "salt" in e:
        salt = get_salt(e["salt"])
        species += [salt.cation, salt.anion]
    assert _worker_refuses([(sp, 2) for sp in species], hydrogen_mass)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("entry", list(_ENTRIES), ids=str)
def test_the_default_hydrogen_mass_is_no_choice(no_hydrogen_solvents, entry):
    for protocol in ({}, {"hydrogen_mass": 3.0}, {"hydrogen_mass": 3}):
        plan = _plan([_ENTRIES[entry]], **protocol)
        assert plan.protocol["hydrogen_mass"] == 3.0
    assert not _worker_refuses([(no_hydrogen_solvents["CS2"], 2)], 3.0)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("hydrogen_mass", [1.008, 4.0])
@pytest.mark.parametrize("solvent", ["EC", "CS2:1,EC:1", "FDMC:9,DMC:1"])
def test_a_composition_with_hydrogen_takes_the_mass(no_hydrogen_solvents, solvent,
                                                     hydrogen_mass):
    plan = _plan([{"solvent": solvent, "salt": "LiPF6", "concentration": 0.5}],
                 hydrogen_mass=hydrogen_mass)
    assert plan.protocol["hydrogen_mass"] == hydrogen_mass


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_refusal_names_the_composition_without_hydrogen_among_others(no_hydrogen_solvents):
    with pytest.raises(PlanError) as err:
        _plan([{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0},
               {"solvent": "CS2", "salt": "LiPF6", "concentration": 0.5, "label": "carbon"}],
              hydrogen_mass=4.0)
    message = str(err.value)
    assert message.startswith("composition 2 (carbon)")
    assert "CS2 + Li + PF6 holds none" in message
