"""What our calculators record of themselves (``todict()``, which ASE trajectories, databases and
the run fingerprints store): plain JSON whatever numeric types the options were given in, and
``type(calc)(**json.loads(json.dumps(calc.todict())))`` the same calculator."""

import json

import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte import Electrostatics
from ase_electrolyte.d3 import D3

# options given as numpy values, as a script computing them would: float32 charges or D3
# parameters made todict() fail json.dumps ("Object of type ndarray/float32 is not JSON
# serializable"), and a repr-based record of a long charge array elides its middle
_CASES = {
    "fixed charges, float32 array": lambda: Electrostatics(
        scheme="fixed", charges=np.array([0.2, -0.2, 0.2, -0.2], dtype=np.float32)),
    "fixed charges, int array": lambda: Electrostatics(
        scheme="fixed", charges=np.array([1, -1, 1, -1])),
    "qrd and sum settings, numpy scalars": lambda: Electrostatics(
        qrd={"Cu": (np.float32(0.0), np.float32(1.0))}, total_charge=np.float32(0.0),
        tolerance=np.float32(1e-5), cutoff=np.int64(8)),
    "D3 params, float32": lambda: D3(
        functional=None, device="cpu", cutoff=10.0, cn_cutoff=8.0,
        params={k: np.float32(v) for k, v in
                {"s6": 1.0, "s8": 0.7875, "a1": 0.4289, "a2": 4.4407}.items()}),
    "D3 cutoffs and flags, numpy": lambda: D3(
        device="cpu", cutoff=np.float32(10.0), cn_cutoff=np.int32(8), atm=np.bool_(True),
        atm_cutoff=np.float64(6.0), num_threads=np.int64(1)),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_todict_is_plain_json_and_rebuilds_the_same_calculator(case):
    calc = _CASES[case]()
    record = json.loads(json.dumps(calc.todict()))
    twin = type(calc)(**record)
    assert json.loads(json.dumps(twin.todict())) == record
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=3)
    atoms.calc = calc
    energy, stress = atoms.get_potential_energy(), atoms.get_stress()
    atoms.calc = twin
    assert atoms.get_potential_energy() == pytest.approx(energy, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(atoms.get_stress(), stress, rtol=1e-10, atol=1e-14)


def test_a_long_charge_array_is_recorded_in_full():
    # numpy's repr elides arrays of more than 1000 values: two charge sets differing in the
    # middle would have given one record
    q = np.tile([0.5, -0.5], 1000)
    other = q.copy()
    other[1000:1002] = [0.25, -0.25]
    first = json.dumps(Electrostatics(scheme="fixed", charges=q).todict())
    second = json.dumps(Electrostatics(scheme="fixed", charges=other).todict())
    assert first != second
    assert json.loads(second)["charges"][1000] == 0.25
