"""A Calculator that sums an electrostatics term in gives that term's charges, as ASE does.

The term computed its charges for every evaluation and they were thrown away:
``atoms.get_charges()`` raised PropertyNotImplementedError for ``Calculator(model,
electrostatics=...)``, and the Electrostatics calculator itself listed no ``charges``
property. Each case here is checked against the Electrostatics calculator alone (its
``get_charges``) on the tiny float64 NequIP model of ``test_model_files`` (H, C, O).
"""

import warnings

import numpy as np
import pytest
from ase.calculators.calculator import PropertyNotImplementedError

# the model-file fixture (module scope) is shared with its own tests
from test_model_files import nequip_torchscript  # noqa: F401

from ase_electrolyte import Calculator, Electrostatics

QRD = {"H": (0.1, 0.5), "C": (0.1, 0.6), "O": (-0.4, 0.8)}


def _structures(model_file):
    box, mol = model_file.periodic.copy(), model_file.molecule.copy()
    charged = mol.copy()
    charged.info["charge"] = 1.0
    return {"box": box, "molecule": mol, "charged molecule": charged}


def _options(scheme, atoms):
    if scheme == "qrd":
        return {"scheme": "qrd", "qrd": QRD}
    if scheme == "fixed":
        q = np.linspace(-0.3, 0.3, len(atoms))
        q -= q.mean() - atoms.info.get("charge", 0.0) / len(atoms)
        return {"scheme": "fixed", "charges": q.tolist()}
    return {"scheme": "array", "array": "initial_charges"}


@pytest.fixture(scope="module")
def model(nequip_torchscript):  # noqa: F811
    return nequip_torchscript


@pytest.fixture(scope="module")
def loaded(model):
    """One loaded model: ``set(electrostatics=...)`` rebuilds the term only, not the model."""
    return _calculator(model.path)


@pytest.fixture(scope="module")
def model_alone(model):
    return _calculator(model.path)


def _calculator(path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the trust warning of a TorchScript file
        return Calculator(path, device="cpu", **options)


@pytest.mark.parametrize("scheme", ["qrd", "fixed", "array"])
@pytest.mark.parametrize("which", ["box", "molecule", "charged molecule"])
def test_charges_are_the_electrostatics_terms(model, loaded, model_alone, scheme, which):
    atoms = _structures(model)[which]
    if scheme == "array":
        q = np.linspace(-0.2, 0.2, len(atoms))
        q -= q.mean() - atoms.info.get("charge", 0.0) / len(atoms)
        atoms.set_initial_charges(q)
    options = _options(scheme, atoms)
    if atoms.pbc.all():
        options["tolerance"] = 1e-4  # the charges do not depend on it; the sum is cheaper
    alone = Electrostatics(**options)
    expected = alone.get_charges(atoms)
    summed = atoms.copy()
    loaded.set(electrostatics=options)
    summed.calc = loaded
    assert "charges" in summed.calc.implemented_properties
    before = summed.get_positions()
    np.testing.assert_allclose(summed.get_charges(), expected, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(summed.get_positions(), before)
    # computed with the energy: the summed energy is the model's plus the term's
    e_model = model_alone.get_potential_energy(atoms)
    alone_atoms = atoms.copy()
    alone_atoms.calc = alone
    assert summed.get_potential_energy() == pytest.approx(
        e_model + alone_atoms.get_potential_energy(), abs=1e-8)
    # the Electrostatics calculator lists them too, as the same numbers
    np.testing.assert_allclose(alone_atoms.calc.get_property("charges", alone_atoms), expected,
                               rtol=0, atol=1e-14)
    assert abs(summed.get_charges().sum() - atoms.info.get("charge", 0.0)) < 1e-9


def test_no_term_no_charges_and_the_cure_named(model, model_alone):
    atoms = model.molecule.copy()
    atoms.calc = model_alone
    assert "charges" not in atoms.calc.implemented_properties
    with pytest.raises(PropertyNotImplementedError, match="electrostatics="):
        atoms.get_charges()


@pytest.mark.parametrize("how", ["set", "direct edit"])
def test_charges_follow_the_term_given_or_removed(model, loaded, how):
    atoms = model.molecule.copy()
    calc = loaded
    calc.set(electrostatics=None)
    atoms.calc = calc
    e0 = atoms.get_potential_energy()
    term = {"scheme": "qrd", "qrd": QRD}
    if how == "set":
        assert "electrostatics" in calc.set(electrostatics=term)
    else:
        calc.parameters["electrostatics"] = term
    np.testing.assert_allclose(atoms.get_charges(), Electrostatics(**term).get_charges(atoms),
                               atol=1e-14)
    assert "charges" in calc.implemented_properties
    if how == "set":
        calc.set(electrostatics=None)
    else:
        calc.parameters["electrostatics"] = None
    with pytest.raises(PropertyNotImplementedError):
        atoms.get_charges()
    assert "charges" not in calc.implemented_properties
    assert atoms.get_potential_energy() == pytest.approx(e0, abs=1e-10)


def test_no_stale_charges_after_a_change_of_declared_charge_or_scale(model, loaded):
    atoms = model.molecule.copy()
    term = Electrostatics(scheme="qrd", qrd=QRD)
    loaded.set(electrostatics=term)
    atoms.calc = loaded
    q_neutral = atoms.get_charges().copy()
    atoms.info["charge"] = 1.0
    q_cation = atoms.get_charges()
    np.testing.assert_allclose(q_cation, term.get_charges(atoms), atol=1e-14)
    assert q_cation.sum() == pytest.approx(1.0) and q_neutral.sum() == pytest.approx(0.0)
    # the term's own option changed in place of the calculator's
    term.set(charge_scale=0.8)
    np.testing.assert_allclose(atoms.get_charges().sum(), 0.8, atol=1e-12)


def test_allow_calculation_false_and_results(model, loaded):
    atoms = model.molecule.copy()
    calc = loaded
    calc.set(electrostatics={"scheme": "qrd", "qrd": QRD, "tolerance": 1e-5})
    atoms.calc = calc
    assert calc.get_property("charges", atoms, allow_calculation=False) is None
    atoms.get_potential_energy()
    q = calc.get_property("charges", atoms, allow_calculation=False)
    np.testing.assert_allclose(q, calc.results["charges"])
    # ASE hands out a copy: editing it leaves the results alone
    q[:] = 7.0
    assert not np.any(calc.results["charges"] == 7.0)


def test_a_committee_gives_the_terms_charges(model, tmp_path):
    """A committee sums the term once for all members: its charges are the term's."""
    from test_calc51_compiled_members import _write_changed

    atoms = model.periodic
    atoms.info["charge"] = -1.0
    term = {"scheme": "qrd", "qrd": QRD, "background": True, "tolerance": 1e-4}
    committee = _calculator([model.path, _write_changed(tmp_path, 0.01)], electrostatics=term)
    assert "charges" in committee.implemented_properties
    atoms.calc = committee
    np.testing.assert_allclose(atoms.get_charges(), Electrostatics(**term).get_charges(atoms),
                               rtol=0, atol=1e-14)
    assert atoms.get_charges().sum() == pytest.approx(-1.0)
