"""D3's ``smooth_cutoff`` has a floor, :data:`MIN_SMOOTH_CUTOFF` (0.1 Å).

The switch carries the impulse of the pairs crossing the cutoff (what the hard cutoff's tail
correction adds as (n/3) E_n) through the large forces of the few pairs inside it. A
near-zero width almost never holds a pair: ``D3(smooth_cutoff=1e-300, tail_correction=True)``
gave the hard cutoff's energy but a stress 3.7e-4 eV/Å³ (600 bar) lower on rattled NaCl, and
77 of the 107 bar that tail and impulse carry in the 58-atom LiPF6/EC/EMC box; at 1e-3 Å the
liquid's stress scattered by 55 bar per configuration. Such widths are now refused by name in
the constructor and ``set()``; from the floor up the mean pressure of rattled liquid copies is
the hard cutoff's.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.units import GPa

from ase_electrolyte.build import electrolyte_box
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.d3 import D3
from ase_electrolyte.d3.calculator import MIN_SMOOTH_CUTOFF

NARROW = [5e-324, 1e-300, 1e-3, 0.0999, np.float32(0.05), np.float64(1e-12)]
OPTIONS = {"cutoff": 10.0, "cn_cutoff": 8.0, "tail_correction": True, "device": "cpu"}


@pytest.mark.parametrize("width", NARROW, ids=repr)
def test_a_switch_narrower_than_the_floor_is_refused_in_the_constructor(width):
    with pytest.raises(InputError, match="smooth_cutoff must be 0/None .* at least 0.1"):
        D3(smooth_cutoff=width, **OPTIONS)


@pytest.mark.parametrize("width", NARROW, ids=repr)
def test_a_switch_narrower_than_the_floor_is_refused_by_set_which_keeps_the_old_one(width):
    calc = D3(smooth_cutoff=2.0, **OPTIONS)
    with pytest.raises(InputError, match="smooth_cutoff"):
        calc.set(smooth_cutoff=width)
    with pytest.raises(InputError, match="smooth_cutoff"):
        calc.smooth_cutoff = width
    assert calc.parameters["smooth_cutoff"] == 2.0 and calc.smooth_cutoff == 2.0


@pytest.mark.parametrize("width, stored", [
    (0, None), (0.0, None), (None, None), (MIN_SMOOTH_CUTOFF, 0.1), (np.float64(0.5), 0.5),
    (1, 1.0),
])
def test_a_hard_cutoff_and_widths_from_the_floor_up_are_accepted(width, stored):
    calc = D3(smooth_cutoff=width, **OPTIONS)
    assert calc.parameters["smooth_cutoff"] == stored
    assert D3(**calc.todict()).parameters["smooth_cutoff"] == stored


def _pressures_bar(box, width, copies, amplitude):
    calc = D3(smooth_cutoff=width, **OPTIONS)
    out = []
    for seed in range(copies):
        atoms = box.copy()
        atoms.rattle(amplitude, seed=seed)
        atoms.calc = calc
        out.append(-atoms.get_stress()[:3].mean() / GPa * 1e4)
    return np.array(out)


@pytest.mark.parametrize("width", [MIN_SMOOTH_CUTOFF, 0.5, 1.0])
def test_from_the_floor_up_the_liquid_pressure_is_the_hard_cutoffs(width):
    box = electrolyte_box(counts={"EC": 2, "EMC": 2, "Li": 1, "PF6": 1}, seed=0)
    hard = _pressures_bar(box, None, 8, 0.3)
    switched = _pressures_bar(box, width, 8, 0.3)
    # the tail and impulse the two carry differently are 107 bar here; a 1e-300 Å switch was
    # 77 bar off
    assert abs(np.mean(switched - hard)) < 10.0


def test_the_floor_message_names_the_measured_reason():
    nacl = bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(2)
    nacl.rattle(0.1, seed=0)
    with pytest.raises(InputError, match="impulse of the pairs crossing the cutoff"):
        nacl.calc = D3(smooth_cutoff=1e-300, **OPTIONS)
