"""Composition grids finer than the box resolves: two grid points that pack the same molecules
are one electrolyte, which the table would plot at two concentrations — refused when the plan is
read, naming both and the box; a box large enough to tell them apart is accepted."""

from pathlib import Path

import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.screen import PlanError, load_plan

MODELS = str(Path(__file__).with_name("screen_models.py"))


def _plan(n_atoms, compositions):
    return load_plan({
        "n_atoms": n_atoms, "analyses": [],
        "model": {"calculator": f"{MODELS}:lj", "device": "cpu"},
        "composition": compositions,
    })


def _counts(c, n_atoms):
    counts = composition_counts(c.solvent, c.salt, c.concentration, units=c.units,
                                n_atoms=n_atoms, ratio=c.ratio)
    return {sp.name: n for sp, n in counts.items()}


def test_concentrations_that_pack_the_same_box_are_refused():
    grid = [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": [1.0, 1.05, 1.5]}]
    with pytest.raises(PlanError, match=r"compositions 'EC3-EMC7_LiPF6-1molal' and "
                                        r"'EC3-EMC7_LiPF6-1.05molal' give the same box at "
                                        r"n_atoms = 300 \(7 EC, 14 EMC, 2 Li, 2 PF6\)"):
        _plan(300, grid)
    # a box that resolves the step: accepted, and every composition packs its own molecules
    plan = _plan(3000, grid)
    boxes = [_counts(c, 3000) for c in plan.compositions]
    assert len({tuple(sorted(b.items())) for b in boxes}) == 3


def test_solvent_mixtures_that_pack_the_same_box_are_refused():
    # EC:3.2,EMC:6.8 packed 7 EC + 14 EMC at 300 atoms too while the solvents were rounded in
    # moles; 8 + 13 (0.342 of EC by mass) is closer to its 0.32 than 7 + 14 (0.297)
    mixtures = [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0},
                {"solvent": "EC:3.1,EMC:6.9", "salt": "LiPF6", "concentration": 1.0}]
    plan_small = None
    with pytest.raises(PlanError, match="give the same box at n_atoms = 300"):
        plan_small = _plan(300, mixtures)
    assert plan_small is None
    plan = _plan(5000, mixtures)
    a, b = (_counts(c, 5000) for c in plan.compositions)
    assert a != b


def test_the_same_electrolyte_twice_keeps_its_own_message():
    # proportional shares are the same electrolyte whatever the box: named as such
    with pytest.raises(PlanError, match="are the same electrolyte"):
        _plan(3000, [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0},
                     {"solvent": "EC:6,EMC:14", "salt": "LiPF6", "concentration": 1.0}])
