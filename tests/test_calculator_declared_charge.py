"""One net charge per structure: ``atoms.info["charge"]`` and the ``formal_charge`` array's sum
(and a charge array read by Electrostatics) must agree, for every term and for the Calculator,
refused before any sum or model call.

Before, each reader took its own: the QRd charges the formal sum (an ``info["charge"]`` of +1
beside formal charges of 0 was summed as a neutral cell), a charge-aware model the info, and a
charge array (``scheme="array"``/``"fixed"``) was compared with neither (initial charges
summing to +1 e in a cell declared neutral were summed as a charged cell).
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from test_calculator_faults import CountingEMT, emt_model  # noqa: F401

from ase_electrolyte import Electrostatics
from ase_electrolyte.calculator_charges import declared_total_charge
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.d3 import D3
from ase_electrolyte.topology import FORMAL_CHARGE

CU_QRD = {"Cu": (0.0, 1.0)}


def _pair(info=None, formal=None, initial=None, periodic=True):
    """Two copper atoms 2.6 Å apart (in a 9 Å cube or alone) with the given declarations."""
    atoms = Atoms("Cu2", positions=[[1.0, 1.0, 1.0], [3.6, 1.0, 1.0]])
    if periodic:
        atoms.set_cell([9.0, 9.0, 9.0])
        atoms.pbc = True
    if info is not None:
        atoms.info["charge"] = info
    if formal is not None:
        atoms.arrays[FORMAL_CHARGE] = np.asarray(formal)
    if initial is not None:
        atoms.set_initial_charges(initial)
    return atoms


def _poisoned(term, monkeypatch):
    """``term`` whose sum fails the test if it is reached."""
    def sum_reached(*args, **kwargs):
        raise AssertionError("the lattice sum ran before the refusal")

    monkeypatch.setattr(term, "_evaluate", sum_reached)
    return term


# ------------------------------------------------------------------ the rule itself
@pytest.mark.parametrize(("info", "formal", "expected"), [
    (None, None, None),
    (1, None, 1.0),
    (-2.0, None, -2.0),
    (None, [1, 0], 1.0),
    (1, [1, 0], 1.0),
    (np.int64(-1), np.array([0, -1], dtype=np.int8), -1.0),
    (0.0, [0.5, -0.5], 0.0),
])
def test_agreeing_declarations_give_the_net_charge(info, formal, expected):
    assert declared_total_charge(_pair(info, formal)) == expected


@pytest.mark.parametrize(("info", "formal"), [(0, [1, 0]), (1, [0, 0]), (-1, [1, 0]),
                                              (1.0, [1, 1e-3])])
def test_disagreeing_declarations_are_named_with_both_values(info, formal):
    with pytest.raises(ValueError, match=r"two net charges: atoms.info\['charge'\] = .* but its "
                                         r"'formal_charge' array sums to"):
        declared_total_charge(_pair(info, formal))


@pytest.mark.parametrize("info", [float("nan"), float("inf"), True, "1", [1]])
def test_a_declared_charge_that_is_not_a_number_is_refused(info):
    with pytest.raises(ValueError, match=r"atoms.info\['charge'\]"):
        declared_total_charge(_pair(info))


def test_initial_charges_are_not_a_declaration():
    """Per-atom charges (partial or scaled) are what a term may read, not a statement of the
    net charge: alone they declare nothing."""
    assert declared_total_charge(_pair(initial=[0.8, 0.0])) is None


# ------------------------------------------------------------------ Electrostatics, every scheme
@pytest.mark.parametrize("options", [
    {"scheme": "qrd", "qrd": CU_QRD},
    {"scheme": "array"},
    {"scheme": "fixed", "charges": [0.5, 0.5]},
])
def test_electrostatics_refuses_two_declarations_before_any_sum(options, monkeypatch):
    atoms = _pair(info=0, formal=[1, 0], initial=[0.5, 0.5])
    term = _poisoned(Electrostatics(**options, background=True, method="ewald"), monkeypatch)
    before = atoms.copy()
    with pytest.raises(InputError, match="two net charges"):
        term.get_potential_energy(atoms)
    with pytest.raises(InputError, match="two net charges"):
        term.check_input(atoms)
    assert atoms.info == before.info
    np.testing.assert_array_equal(atoms.arrays[FORMAL_CHARGE], before.arrays[FORMAL_CHARGE])


@pytest.mark.parametrize(("declaration", "charges"), [
    ({"info": 0}, [1.0, 0.0]),
    ({"formal": [0, 0]}, [1.0, 0.0]),
    ({"info": 1, "formal": [1, 0]}, [0.5, -0.5]),
    ({"info": -1}, [0.8, -0.8]),
])
@pytest.mark.parametrize("scheme", ["array", "fixed"])
def test_a_charge_array_summing_to_another_net_charge_is_refused(declaration, charges, scheme,
                                                                 monkeypatch):
    atoms = _pair(**declaration, initial=charges)
    options = {"scheme": "fixed", "charges": charges} if scheme == "fixed" else {}
    term = _poisoned(Electrostatics(**{"scheme": scheme, **options}, background=True,
                                    method="ewald"), monkeypatch)
    with pytest.raises(InputError, match=r"sums? to .* but the Atoms declares a net charge"):
        term.get_potential_energy(atoms)


def test_a_stated_total_charge_is_the_terms_own_statement():
    """Scaled ionic charges (0.8 e) beside a formal +1: total_charge=0.8 says they are meant,
    and the energy is the sum of those charges, as without any declaration."""
    bare = _pair(initial=[0.8, 0.0])
    declared = _pair(info=1, formal=[1, 0], initial=[0.8, 0.0])
    options = {"scheme": "array", "background": True, "method": "ewald", "tolerance": 1e-8}
    expected = Electrostatics(**options).get_potential_energy(bare)
    stated = Electrostatics(**options, total_charge=0.8).get_potential_energy(declared)
    assert stated == pytest.approx(expected, abs=1e-10)
    with pytest.raises(InputError, match="declares a net charge of 1"):
        Electrostatics(**options).get_potential_energy(declared)


@pytest.mark.parametrize("declaration", [{"info": 1}, {"formal": [1, 0]},
                                         {"info": 1, "formal": [1, 0]}])
def test_qrd_charges_sum_to_the_one_declared_charge(declaration):
    """Either declaration, or both agreeing, give the same QRd charges (summing to it) and the
    same energy of a molecule (direct sum, no background)."""
    atoms = _pair(**declaration, periodic=False)
    term = Electrostatics(scheme="qrd", qrd=CU_QRD)
    q = term.get_charges(atoms)
    assert q.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(q, [0.5, 0.5], atol=1e-12)
    # the Coulomb energy of two half charges 2.6 Å apart, e²/(4πε₀ r) = 14.3996 eV Å / r
    assert term.get_potential_energy(atoms) == pytest.approx(0.25 * 14.399645 / 2.6, rel=1e-6)


def test_a_changed_declaration_is_not_answered_from_the_last_results():
    atoms = _pair(info=1, periodic=False)
    atoms.calc = Electrostatics(scheme="qrd", qrd=CU_QRD)
    charged = atoms.get_potential_energy()
    atoms.arrays[FORMAL_CHARGE] = np.array([0, 0])
    with pytest.raises(InputError, match="two net charges"):
        atoms.get_potential_energy()
    del atoms.info["charge"]
    assert atoms.get_potential_energy() == pytest.approx(0.0, abs=1e-12)
    assert charged > 0


# ------------------------------------------------------------------ the Calculator, every term
@pytest.mark.parametrize("terms", [
    {},
    {"dispersion": {"cutoff": 9.0, "cn_cutoff": 6.0}},
    {"electrostatics": {"scheme": "qrd", "qrd": CU_QRD, "background": True}},
    {"electrostatics": {"scheme": "array", "background": True}},
])
def test_the_calculator_refuses_two_declarations_before_the_model(emt_model, terms):  # noqa: F811
    calc = emt_model(**terms)
    atoms = _pair(info=1, formal=[0, 0], initial=[0.0, 0.0])
    before = atoms.copy()
    atoms.calc = calc
    with pytest.raises(InputError, match="two net charges"):
        atoms.get_potential_energy()
    assert CountingEMT.calls == 0
    assert atoms.info == before.info
    np.testing.assert_array_equal(atoms.get_initial_charges(), before.get_initial_charges())


def test_the_calculator_refuses_an_array_term_disagreeing_before_the_model(emt_model):  # noqa: F811
    calc = emt_model(electrostatics={"scheme": "array", "background": True})
    atoms = _pair(info=0, initial=[1.0, 0.0])
    atoms.calc = calc
    with pytest.raises(InputError, match="declares a net charge of 0"):
        atoms.get_potential_energy()
    assert CountingEMT.calls == 0


def test_the_calculator_sums_the_terms_of_one_agreed_charge(emt_model):  # noqa: F811
    """Agreeing declarations: the sum is the model plus the D3 and Coulomb terms alone."""
    from ase.calculators.emt import EMT

    terms = {"dispersion": D3(cutoff=9.0, cn_cutoff=6.0, device="cpu"),
             "electrostatics": Electrostatics(scheme="qrd", qrd=CU_QRD, background=True,
                                              method="ewald", tolerance=1e-8)}
    calc = emt_model(**terms)
    atoms = _pair(info=1, formal=[1, 0])
    expected = sum(c.get_potential_energy(atoms.copy())
                   for c in (EMT(), terms["dispersion"], terms["electrostatics"]))
    atoms.calc = calc
    assert atoms.get_potential_energy() == pytest.approx(expected, abs=1e-9)
    assert CountingEMT.calls == 1


def test_the_isolated_molecule_background_reads_the_same_charge():
    """mda_electrolyte's Makov-Payne term asks the term for its charges: a molecule with two
    declarations is refused there too, one with one declaration gets its q²."""
    from mda_electrolyte.model_labels import background_self_energy

    term = Electrostatics(scheme="qrd", qrd=CU_QRD, background=True, method="ewald")
    agreed = _pair(info=1, formal=[1, 0])
    assert background_self_energy(term, agreed) < 0
    with pytest.raises(ValueError, match="two net charges"):
        background_self_energy(term, _pair(info=0, formal=[1, 0]))


# ------------------------------------------------------------------ a changed declaration
def test_the_calculator_does_not_answer_a_changed_declaration_from_its_last_results(
        emt_model):  # noqa: F811
    """ASE's check_state compares neither info['charge'] nor the formal charges: a declaration
    changed after an evaluation returned the last results, unchecked (a charge-aware model
    reads info['charge'])."""
    atoms = _pair(info=1, formal=[1, 0])
    atoms.calc = emt_model()
    energy = atoms.get_potential_energy()
    atoms.info["charge"] = 0
    with pytest.raises(InputError, match="two net charges"):
        atoms.get_potential_energy()
    del atoms.info["charge"]
    assert atoms.get_potential_energy() == pytest.approx(energy, abs=1e-12)
    assert CountingEMT.calls == 2


def test_an_array_term_does_not_answer_a_changed_declaration_from_its_last_results():
    atoms = _pair(info=0, initial=[0.5, -0.5])
    atoms.calc = Electrostatics(scheme="array", method="ewald", tolerance=1e-6)
    assert np.isfinite(atoms.get_potential_energy())
    atoms.info["charge"] = 1
    with pytest.raises(InputError, match="declares a net charge of 1"):
        atoms.get_potential_energy()
