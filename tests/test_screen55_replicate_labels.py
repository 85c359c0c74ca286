"""replicate_box and what a box's ``info``/arrays say of the box as a whole.

A repeated box is not the box: a calculation's labels of the small box (``REF_energy`` of an
extxyz training file, a stress, a dipole, per-atom ``REF_forces``) were copied to the repeated
box unchanged, an energy of one copy beside the atoms of eight; they are dropped, as
``ase.Atoms.repeat`` drops the calculator. The net charge ``info["charge"]`` is extensive and
multiplied, so that it still agrees with the ``formal_charge`` array's sum (the one rule every
calculator reads it by, ``declared_total_charge``)."""

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte import electrolyte_box  # noqa: E402
from ase_electrolyte.build import replicate_box  # noqa: E402
from ase_electrolyte.calculator_charges import declared_total_charge  # noqa: E402


@pytest.fixture(scope="module")
def box():
    return electrolyte_box(counts={"EC": 2, "Li": 1, "PF6": 1}, seed=0)


@pytest.fixture(scope="module")
def cation_box(box):
    """The box without its PF6-: a net charge of +1 e, declared both ways."""
    keep = np.array([s != "PF6" for s in box.arrays["molecule_species"]])
    charged = box[keep]
    for key in ("composition", "counted_composition", "cation_molality"):
        charged.info.pop(key, None)
    charged.info["charge"] = 1
    assert declared_total_charge(charged) == 1.0
    return charged


@pytest.mark.parametrize("where, key, value", [
    ("info", "energy", -123.4),
    ("info", "free_energy", -123.5),
    ("info", "REF_energy", -123.4),
    ("info", "dft_energy", -123.4),
    ("info", "stress", np.arange(6.0)),
    ("info", "REF_stress", np.arange(9.0).reshape(3, 3)),
    ("info", "virial", np.arange(9.0).reshape(3, 3)),
    ("info", "REF_dipole", np.array([0.1, 0.2, 0.3])),
    ("info", "energy_xtb", -1.0),
    ("arrays", "REF_forces", None),
    ("arrays", "forces", None),
    ("arrays", "dft_Forces", None),
])
@pytest.mark.parametrize("reps", [(2, 1, 1)])
def test_labels_of_the_small_box_are_not_the_repeated_boxs(box, where, key, value, reps):
    small = box.copy()
    if where == "arrays":
        value = np.random.default_rng(0).normal(size=(len(small), 3))
    getattr(small, where)[key] = value
    before = {k: np.copy(v) for k, v in small.arrays.items()}
    big = replicate_box(small, reps)
    assert key not in getattr(big, where)
    # the box's own stays (no mutation of the caller's Atoms)
    assert key in getattr(small, where)
    assert all(np.array_equal(before[k], small.arrays[k]) for k in before)
    # the builder's records survive: composition multiplied, the rest kept
    assert big.info["composition"] == {k: v * len(big) // len(small)
                                       for k, v in small.info["composition"].items()}
    assert "cation_molality" in big.info and "counted_composition" in big.info


def test_the_builders_records_named_for_energies_are_kept(box):
    small = box.copy()
    small.info["conformer_energies"] = {"EC": "MMFF94"}
    big = replicate_box(small, 2)
    assert big.info["conformer_energies"] == {"EC": "MMFF94"}


@pytest.mark.parametrize("reps, copies", [((3, 1, 1), 3), ((1, 2, 2), 4), (1, 1)])
@pytest.mark.parametrize("as_float", [False, True])
def test_the_net_charge_is_the_copies_together(cation_box, reps, copies, as_float):
    small = cation_box.copy()
    small.info["charge"] = 1.0 if as_float else 1
    big = replicate_box(small, reps)
    # both declarations agree: a calculator reads the box (before: 'declares two net charges')
    assert declared_total_charge(big) == pytest.approx(copies)
    assert big.info["charge"] == copies
    assert isinstance(big.info["charge"], float if as_float else int)
    assert small.info["charge"] == 1


@pytest.mark.parametrize("spin", [2, 3.0, "2"])
def test_a_spin_multiplicity_of_copies_is_refused(box, spin):
    small = box.copy()
    small.info["spin"] = spin
    with pytest.raises(ValueError, match=r"info\['spin'\].*delete"):
        replicate_box(small, 2)
    # one copy is the box itself: nothing to decide
    assert replicate_box(small, 1).info["spin"] == spin


def test_a_closed_shell_box_keeps_its_spin(box):
    small = box.copy()
    small.info["spin"] = 1
    assert replicate_box(small, 2).info["spin"] == 1


@pytest.mark.parametrize("charge", ["1", None, float("nan"), True])
def test_a_charge_that_is_no_number_is_refused(cation_box, charge):
    small = cation_box.copy()
    small.info["charge"] = charge
    if charge is None:
        assert replicate_box(small, 2).info["charge"] is None
        return
    with pytest.raises(ValueError, match="charge"):
        replicate_box(small, 2)
