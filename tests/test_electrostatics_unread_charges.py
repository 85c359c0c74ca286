"""Charges an Electrostatics term would use unseen: unread ``initial_charges``, runaway QRd.

A QRd (or fixed-charge) term takes its net charge from ``atoms.info["charge"]`` or the formal
charges. A net charge given only as ``initial_charges`` (``set_initial_charges([1, 0, 0])``,
as xTB-style ASE calculators take it) was ignored without a word: the QRd charges of a cation
summed to 0. ASE calculators ignore inputs they do not use, so this warns rather than refuses,
and only where the unread charges' sum is neither that of the charges used nor the declared.
QRd weights of both signs that nearly cancel over a composition gave charges of 10⁸ e and were
summed as valid; a charge beyond ±10 e per atom is now refused.
"""

import warnings

import numpy as np
import pytest
from ase.build import molecule

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import UnreadChargesWarning

QRD = {"O": (-0.8, 1.0), "H": (0.4, 1.0)}


def _water(initial=None, charge=None):
    atoms = molecule("H2O")
    if initial is not None:
        atoms.set_initial_charges(initial)
    if charge is not None:
        atoms.info["charge"] = charge
    return atoms


def _energy(atoms, term):
    atoms.calc = term
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        energy = atoms.get_potential_energy()
    return energy, [w for w in caught if issubclass(w.category, UnreadChargesWarning)]


def test_a_net_charge_given_only_as_initial_charges_is_named():
    atoms = _water(initial=[1.0, 0.0, 0.0])  # meant as H2O+, declared nowhere else
    energy, caught = _energy(atoms, Electrostatics(qrd=QRD))
    assert len(caught) == 1
    assert "initial_charges sum to 1 e" in str(caught[0].message)
    assert "charges sum to 0 e" in str(caught[0].message)
    # the energy is that of the charges used (neutral QRd), as before
    assert energy == pytest.approx(Electrostatics(qrd=QRD).get_potential_energy(_water()),
                                   rel=1e-14)


@pytest.mark.parametrize("initial, charge, options", [
    ([-0.8, 0.4, 0.4], None, {}),                 # partial charges summing to the QRd total
    ([1.0, 0.0, 0.0], 1, {}),                     # formal charges of a declared cation
    ([0.8, 0.0, 0.0], 1, {"charge_scale": 0.8}),  # scaled charges of a declared cation
    ([1.0, 0.0, 0.0], 1, {"charge_scale": 0.8}),  # its formal charges beside scaled QRd
    (None, None, {}),
])
def test_initial_charges_that_agree_pass_silently(initial, charge, options):
    _, caught = _energy(_water(initial, charge), Electrostatics(qrd=QRD, **options))
    assert caught == []


def test_read_initial_charges_never_warn_and_another_array_does():
    atoms = _water(initial=[-0.6, 0.3, 0.3])
    assert _energy(atoms, Electrostatics(scheme="array"))[1] == []
    atoms = _water(initial=[1.0, 0.0, 0.0])
    atoms.new_array("ff_charges", np.array([-0.8, 0.4, 0.4]))
    assert len(_energy(atoms, Electrostatics(scheme="array", array="ff_charges"))[1]) == 1
    assert len(_energy(_water(initial=[1.0, 0.0, 0.0]),
                       Electrostatics(scheme="fixed", charges=[-0.8, 0.4, 0.4]))[1]) == 1


def test_once_per_calculator_along_a_run_and_again_after_set():
    atoms = _water(initial=[1.0, 0.0, 0.0])
    term = Electrostatics(qrd=QRD)
    counts = []
    for _step in range(3):
        atoms.positions[0, 0] += 0.01  # a new evaluation each step
        counts.append(len(_energy(atoms, term)[1]))
    assert counts == [1, 0, 0]
    atoms.set_initial_charges([2.0, 0.0, 0.0])  # another unread sum: named too
    assert len(_energy(atoms, term)[1]) == 1
    term.set(tolerance=1e-7)
    assert len(_energy(atoms, term)[1]) == 1


@pytest.mark.parametrize("eps", [1e-9, 1e-5])
def test_qrd_weights_that_nearly_cancel_are_refused_not_summed(eps):
    # s of both signs summing to 2·eps over H2O: the one extra charge of H2O+ divided by it gave
    # 5e8 e (eps 1e-9) or 5e4 e (1e-5) per atom and an energy of 1e18 eV, returned as valid
    qrd = {"O": (-0.8, 1.0), "H": (0.4, -0.5 + eps)}
    cation = _water(charge=1)
    with pytest.raises(ValueError, match=r"QRd gives a charge of .* e \(limit ±10 e.*weights s "
                                         r"sum to"):
        Electrostatics(qrd=qrd).get_potential_energy(cation)
    # the same weights on the neutral molecule redistribute nothing: its b charges
    np.testing.assert_allclose(Electrostatics(qrd=qrd).get_charges(_water(charge=0)),
                               [-0.8, 0.4, 0.4], atol=1e-12)
