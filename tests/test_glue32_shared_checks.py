"""The checks shared by the MLIP Calculator, D3 and Electrostatics are one implementation each.

- A periodic cell vector of 1e-3 Å: the Calculator called it "a cell in nm" (its density check
  ran first) while D3 and Electrostatics named the vector; now all three (and check_overlaps)
  give one message, the Calculator before its model.
- Net charges: the unread-``initial_charges`` comparison used a flat 1e-6 e, so the neutral
  float32 charges of 3000 atoms (summing to ~1e-6 e by round-off) warned of a net charge the
  Electrostatics term's own checks accepted; one tolerance (calculator_charges) now serves both.
- The volume scan's overlap distance was a copy of rdf.MIN_PAIR_DISTANCE taken at import.
- Committee messages said "(1 elements)", "1 backends", "member(s) [0]".
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from test_calculator_faults import CountingEMT, emt_model  # noqa: F401

from ase_electrolyte import D3, Electrostatics
from ase_electrolyte.atoms_checks import check_overlaps
from ase_electrolyte.calculator_charges import net_charge_tolerance, unread_charge_sum
from ase_electrolyte.electrostatics import UnreadChargesWarning

VECTOR = "periodic cell vector {} (0.001 Å) is shorter than 0.1 Å: fix the cell, or make that " \
    "direction non-periodic"


def _thin(axis, pbc):
    cell = np.diag([7.0, 7.5, 8.0])
    cell[axis] *= 1e-3 / cell[axis, axis]
    return Atoms("Cu2", positions=[[0.1, 0.2, 0.0], [2.6, 0.2, 0.0]], cell=cell, pbc=pbc)


@pytest.mark.parametrize(("axis", "pbc"), [(2, True), (0, True), (1, (True, True, False)),
                                           (0, (True, False, False))])
def test_a_short_periodic_vector_is_named_alike_by_every_calculator(emt_model, axis, pbc):  # noqa: F811
    atoms = _thin(axis, pbc)
    before = atoms.copy()
    messages = {}
    terms = {"Calculator": emt_model(), "D3": D3(device="cpu"),
             "Electrostatics": Electrostatics(scheme="fixed", charges=[0.5, -0.5])}
    for name, calc in terms.items():
        if name == "Electrostatics" and pbc is not True:
            continue  # partial periodicity is its own refusal, checked after the cell
        with pytest.raises(ValueError) as err:
            calc.get_potential_energy(atoms)
        messages[name] = str(err.value)
    assert CountingEMT.calls == 0  # refused before the model was evaluated
    with pytest.raises(ValueError) as err:
        check_overlaps(atoms)
    messages["check_overlaps"] = str(err.value)
    tails = {name: m.split(": ", 1)[1] for name, m in messages.items()}
    assert all(m.startswith(f"{name}: ") for name, m in messages.items() if name in terms)
    assert len(set(tails.values())) == 1, tails
    assert VECTOR.format("abc"[axis]) in tails["D3"] and "in nm" not in tails["D3"]
    assert atoms == before


def test_a_cell_in_nm_is_still_called_one(emt_model):  # noqa: F811
    # one water in a 1.2 Å box: no vector is short, the density is the fault
    water = Atoms("OH2", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]],
                  cell=[1.2, 1.2, 1.2], pbc=True)
    with pytest.raises(ValueError, match="in nm instead of Å"):
        emt_model().get_potential_energy(water)


def _neutral_float32(n, net=0.0, seed=0):
    """``n`` charges of a neutral liquid (|q| up to ~3 e) stored as float32, plus ``net`` e."""
    rng = np.random.default_rng(seed)
    q = rng.normal(0.0, 0.8, n)
    q -= q.mean()
    q += net / n
    return q.astype(np.float32)


def _box(n):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((10, 10, 10))[:n]
    atoms.pbc = True
    return atoms


@pytest.mark.parametrize("n", [1000, 3000])
def test_float32_neutral_charges_are_no_net_charge(emt_model, n):  # noqa: F811
    q32 = _neutral_float32(n)
    atoms = _box(n)
    atoms.set_initial_charges(q32)
    # the float32 round-off is above the old flat 1e-6 e for 3000 atoms, within the bound
    roundoff = abs(float(np.sum(q32, dtype=np.float64)))
    assert roundoff <= net_charge_tolerance(q32) < 1e-3
    assert unread_charge_sum(atoms, [0.0], set()) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnreadChargesWarning)
        emt_model()._warn_unread_charges(atoms)
        # an Electrostatics term using neutral float64 charges agrees with them too
        q64 = q32.astype(float) - q32.astype(float).mean()
        term = Electrostatics(scheme="fixed", charges=q64)
        term._warn_unread_charges(atoms, q64)
        # and the initial charges summed as a periodic cell are neutral (no background asked)
        Electrostatics(scheme="array", array="initial_charges").check_input(
            atoms, overlaps=False)


@pytest.mark.parametrize("n", [1000, 3000])
def test_a_real_net_charge_of_1e3_e_is_still_caught(emt_model, n):  # noqa: F811
    atoms = _box(n)
    atoms.set_initial_charges(_neutral_float32(n, net=1e-3))
    assert unread_charge_sum(atoms, [0.0], set()) == pytest.approx(1e-3, abs=2e-5)
    with pytest.warns(UnreadChargesWarning, match="sum to 0.001"):
        emt_model()._warn_unread_charges(atoms)


def test_declared_charges_compare_within_the_same_tolerance():
    from ase_electrolyte.calculator_charges import declared_total_charge

    atoms = _box(3000)
    atoms.arrays["formal_charge"] = np.zeros(3000, dtype=np.float32)
    atoms.info["charge"] = 2e-6  # all-zero formal charges carry no round-off: the 1e-6 e floor
    with pytest.raises(ValueError, match="two net charges"):
        declared_total_charge(atoms)
    atoms.info["charge"] = 5e-7
    assert declared_total_charge(atoms) == 0.0


def test_volume_scan_reads_the_rdf_overlap_bound_at_run_time(monkeypatch):
    from mda_electrolyte import rdf, volume_scan

    # two diatomics whose closest inter-molecular atoms are 0.7 Å apart
    atoms = Atoms("H4", positions=[[1, 1, 1], [1.74, 1, 1], [2.44, 1, 1], [3.18, 1, 1]],
                  cell=[10, 10, 10], pbc=True)
    ids = np.array([0, 0, 1, 1])
    assert volume_scan.MIN_SCAN_DISTANCE == rdf.MIN_PAIR_DISTANCE
    assert volume_scan._scale_passes(atoms, ids, 1.0)
    monkeypatch.setattr(rdf, "MIN_PAIR_DISTANCE", 0.72)
    assert volume_scan.MIN_SCAN_DISTANCE == 0.72
    assert not volume_scan._scale_passes(atoms, ids, 1.0)
    # the 0.74 Å bonds themselves are no overlap at 0.72 Å: the bound is what moved
    assert volume_scan._scale_passes(atoms, ids, 1.1)


def test_committee_messages_count_in_singular_and_plural():
    from types import SimpleNamespace

    from ase_electrolyte import Calculator
    from ase_electrolyte.committee import _check_element_sets, committee_spread

    members = [SimpleNamespace(model="a", _numbers={1}),
               SimpleNamespace(model="b", _numbers={1, 8})]
    with pytest.raises(ValueError) as err:
        _check_element_sets(members)
    assert "'a' (1 element)" in str(err.value) and "'b' (2 elements; also O)" in str(err.value)

    forces = np.zeros((3, 2, 3))
    for bad, said in (([1], "energies of member 1 are not finite"),
                      ([0, 2], "energies of members 0, 2 are not finite")):
        energies = np.zeros(3)
        energies[bad] = np.nan
        with pytest.raises(ValueError, match=said):
            committee_spread(energies, forces)
    with pytest.raises(ValueError, match="1 backend for 3 committee members"):
        Calculator(["a.pth", "b.pth", "c.pth"], backend=["sevennet"])
