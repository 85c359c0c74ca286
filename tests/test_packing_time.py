"""A box PACKMOL cannot pack within its timeout is refused before any work, with what to do.

PACKMOL's time grows faster than the number of atoms (measured: 1.9, 11, 33 and 203 s for 1 000
to 30 000 atoms of EC on a shared machine); 10⁵ molecules, within ``MAX_ATOMS``, ran into its
600 s timeout after the conformers were built. ``packmol_seconds`` is a lower bound of that time
(a fast, idle machine); a box it puts beyond ``packmol_timeout`` is refused, naming the largest
box that fits and ``replicate_box`` to make a larger one from it.
"""

import re

import builder_stops
import numpy as np
import pytest

import ase_electrolyte.build as build
from ase_electrolyte.build import electrolyte_box, packmol_seconds, replicate_box
from ase_electrolyte.topology import MOLECULE_INDEX, SPECIES

no_work = builder_stops.no_work  # the shared fixture

# (atoms, seconds) PACKMOL took for EC at 1.32 g/cm³, tolerance 2 Å (2 shared cores)
_MEASURED = [(1000, 1.9), (3000, 11.3), (10_000, 33.4), (30_000, 203.5)]


@pytest.mark.parametrize("n_atoms, seconds", _MEASURED)
def test_the_prediction_is_a_lower_bound_of_the_measured_times(n_atoms, seconds):
    assert packmol_seconds(n_atoms) < seconds
    # and not so low that it says nothing: within a factor 8 of the measurement
    assert packmol_seconds(n_atoms) > seconds / 8


def test_the_prediction_grows_faster_than_the_atoms():
    small, large = packmol_seconds(10_000), packmol_seconds(100_000)
    assert large / small == pytest.approx(10**build.PACKMOL_TIME_EXPONENT)
    assert large / small > 10


@pytest.mark.parametrize("kw", [
    # 900 000 asked (1 000 000 rounds to 1 000 001 molecules-worth of atoms, beyond MAX_ATOMS)
    {"solvent": {"EC": 3, "EMC": 7}, "salt": "LiPF6", "concentration": 1.0, "n_atoms": 900_000},
    {"solvent": {"EC": 1}, "n_atoms": 400_000},
    {"counts": {"EC": 30_000, "Li": 1, "PF6": 1}},  # 300 008 atoms
    {"counts": {"EC": 25_000}, "packmol_timeout": 300},  # 250 000 atoms, shorter timeout
])
def test_a_box_packmol_cannot_pack_in_time_is_refused_before_work(kw, no_work):
    with pytest.raises(ValueError) as err:
        electrolyte_box(seed=0, **kw)
    text = str(err.value)
    found = re.search(r"^(\d+) atoms would take PACKMOL at least ([0-9.e+]+) s .* more than "
                      r"packmol_timeout=(\d+) s; pack a box of at most (\d+) atoms and "
                      r"replicate it with replicate_box\(atoms, \((\d+), \d+, \d+\)\), or give a "
                      r"longer packmol_timeout$", text)
    assert found, text
    n, seconds, timeout, most, copies = (float(v) for v in found.groups())
    assert timeout == kw.get("packmol_timeout", 600)
    assert seconds == pytest.approx(packmol_seconds(n), rel=1e-2) and seconds > timeout
    assert packmol_seconds(most) <= timeout < packmol_seconds(most + 1000)
    # the named replication holds the box: copies³ boxes of at most `most` atoms
    assert copies**3 * most >= n and (copies - 1) ** 3 * most < n


def test_a_longer_timeout_lets_a_large_box_through(no_work):
    # 300 000 atoms pass the time check with an hour: the next step (conformers) is reached
    with pytest.raises(AssertionError, match="conformers, rotamers or PACKMOL were started"):
        electrolyte_box(counts={"EC": 30_000}, seed=0, packmol_timeout=3600)


def test_a_screening_plan_of_boxes_too_large_for_packmol_is_refused():
    from ase_electrolyte.screen import PlanError, load_plan

    with pytest.raises(PlanError, match=r"composition 1: \d+ atoms would take PACKMOL at least"):
        load_plan({"model": {"calculator": "ase.calculators.emt:EMT"}, "n_atoms": 500_000,
                   "composition": [{"solvent": "EC:3,EMC:7"}]})


def _small_box():
    return electrolyte_box(counts={"EC": 2, "Li": 1, "PF6": 1}, density=1.0, seed=0)


def test_replicate_box_numbers_each_copy_s_molecules_anew():
    small = _small_box()
    before = small.copy()
    big = replicate_box(small, (2, 1, 3))
    assert len(big) == 6 * len(small)
    np.testing.assert_allclose(big.cell.lengths(), small.cell.lengths() * [2, 1, 3])
    mol = big.arrays[MOLECULE_INDEX]
    assert sorted(set(mol.tolist())) == list(range(6 * 4))  # 4 molecules per copy, all distinct
    for k in range(24):  # each molecule is one species, with the atoms of one copy's molecule
        names = set(big.arrays[SPECIES][mol == k])
        assert len(names) == 1
    assert big.info["composition"] == {"EC": 12, "Li": 6, "PF6": 6}
    assert int(big.arrays["formal_charge"].sum()) == 0
    # the copies are the box shifted by whole cell vectors
    np.testing.assert_allclose(big.positions[len(small):2 * len(small)],
                               small.positions + small.cell[2], atol=1e-9)
    # the caller's box is not changed
    assert (small.positions == before.positions).all() and small.info == before.info
    assert (small.arrays[MOLECULE_INDEX] == before.arrays[MOLECULE_INDEX]).all()


@pytest.mark.parametrize("repeats, match", [
    (0, r"repeats must be a whole number >= 1"), (1.5, r"repeats must be"),
    ((2, 2), r"repeats must be one count or three"), ((2, 2, -1), "repeats must be"),
    (10**4, r"make more than 1000000 atoms"),
])
def test_replicate_box_refuses_bad_repeats(repeats, match):
    with pytest.raises(ValueError, match=match):
        replicate_box(_small_box(), repeats)


def test_replicate_box_needs_a_periodic_box():
    from ase import Atoms

    with pytest.raises(ValueError, match="needs a periodic box"):
        replicate_box(Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.7]]), 2)


@pytest.mark.parametrize("n_atoms", [float("nan"), -1, float("inf"), "3", True, 1e300])
def test_packmol_seconds_refuses_what_is_no_box_size(n_atoms):
    with pytest.raises(ValueError, match="n_atoms must be a finite number >= 0 and <= 1000000"):
        packmol_seconds(n_atoms)
