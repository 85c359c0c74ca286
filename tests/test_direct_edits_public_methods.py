"""Public methods that read a calculator's options outside ASE's ``get_property`` apply an edit
of ``calc.parameters`` first, as ``set`` would (``calculator_parameters.applies_direct_edits``).

Before, only ``get_property``, ``set`` and ``todict`` did. After
``calc.parameters["damping"] = "zero"``, ``D3.compute_tensor`` kept the BJ parameters
(-0.0527 eV for methanol in a 9 Å cell instead of zero damping's -0.0157), ``atm``,
``functional`` and ``params`` edits were ignored alike, and a bad cutoff reached the kernel
(refused there, in bohr). ``Electrostatics.evaluate`` kept its last lattice-sum set-up after an
edited cutoff or method, ran a refused tolerance of 0.5 through ``lattice_parameters``
unchecked, and an edited ``short_range="gaussian"`` without its length ended in float()'s
TypeError. Each case is compared with a fresh calculator built with the edited option; a bad
edit is refused by name (``InputError``) and undone.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk, molecule

from ase_electrolyte import Electrostatics
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.d3 import D3, backend

D3_BASE = {"cutoff": 15.0, "cn_cutoff": 8.0}
D3_EDITS = [("damping", "zero"), ("functional", "b3lyp"), ("params", {"s8": 0.1}),
            ("atm", True), ("tail_correction", True), ("smooth_cutoff", 2.0),
            ("cutoff", 10.0), ("cn_cutoff", 6.0)]

QRD = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}
ES_BASE = {"scheme": "qrd", "qrd": QRD, "tolerance": 1e-6}
ES_EDITS = [("cutoff", 3.0), ("method", "pme"), ("tolerance", 1e-8),
            ("qrd", {"Na": (0.5, 1.0), "Cl": (-0.5, 1.0)}),
            # a length needs a treatment that reads it (a length alone is refused)
            ("short_range", "cutoff", {"short_range": "gaussian", "short_range_length": 1.0}),
            ("dtype", "float32")]
ES_BAD = [("tolerance", 0.5, "tolerance"), ("background", "yes", "background"),
          ("short_range", "gaussian", "short_range_length"), ("method", "fmm", "method"),
          ("cutoff", -1.0, "cutoff")]


def _methanol_cell():
    atoms = molecule("CH3OH")
    atoms.set_cell([[9.0, 0.0, 0.0], [1.0, 8.5, 0.0], [-0.5, 1.0, 9.5]])
    atoms.pbc = True
    return atoms


def _nacl():
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.rattle(0.05, seed=2)
    return atoms


@pytest.fixture
def cuda_host():
    pytest.importorskip("torch")
    backend.set_cuda_host("host")
    yield
    backend.set_cuda_host(None)


def _tensor_results(calc, atoms):
    import torch

    out = calc.compute_tensor(torch.tensor(atoms.positions), atoms.numbers, atoms.cell,
                              atoms.pbc)
    return float(out["energy"]), out["forces"].numpy()


@pytest.mark.parametrize("key, value", D3_EDITS, ids=[k for k, _ in D3_EDITS])
def test_compute_tensor_runs_the_edited_d3(cuda_host, key, value):
    atoms = _methanol_cell()
    calc = D3(device="cuda", **D3_BASE)
    before = _tensor_results(calc, atoms)
    calc.parameters[key] = value
    edited = _tensor_results(calc, atoms)
    fresh = _tensor_results(D3(device="cuda", **{**D3_BASE, key: value}), atoms)
    assert edited[0] != pytest.approx(before[0], rel=1e-9, abs=0)  # the edit matters
    assert edited[0] == pytest.approx(fresh[0], rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(edited[1], fresh[1], rtol=0, atol=1e-12)
    assert calc.todict()[key] == D3(**{**D3_BASE, key: value}, device="cpu").todict()[key]


@pytest.mark.parametrize("key, value", [("cutoff", -5.0), ("damping", "becke"),
                                        ("tail_correction", "yes"), ("atm", 1)])
def test_a_bad_edit_is_refused_by_compute_tensor_and_check_input_before_the_kernel(
        cuda_host, key, value):
    atoms = _methanol_cell()
    for run in (lambda c: _tensor_results(c, atoms), lambda c: c.check_input(atoms)):
        calc = D3(device="cuda", **D3_BASE)
        expected = calc.todict()
        calc.parameters[key] = value
        with pytest.raises(InputError, match=f"edited directly \\('{key}'\\).*undone"):
            run(calc)
        assert calc.todict() == expected  # undone
        _tensor_results(calc, atoms)  # and the calculator still works


def test_check_input_sees_an_edited_cutoff_that_spans_too_many_images():
    # a 1e5 Å cutoff around a 3 Å cell: refused by the check the Calculator runs before its
    # model, as D3(cutoff=1e5) refuses it; before the edit was not seen there
    atoms = bulk("Cu", "fcc", a=3.6)
    calc = D3(device="cpu")
    calc.check_input(atoms)
    calc.parameters["cutoff"] = 1e5
    with pytest.raises(InputError, match="periodic images"):
        calc.check_input(atoms)


def _es_results(calc, atoms):
    q = calc.get_charges(atoms)
    out = calc.evaluate(atoms, q)
    return out["energy"], out["forces"], calc.lattice_parameters(atoms, q)


@pytest.mark.parametrize("edit", ES_EDITS, ids=[e[0] for e in ES_EDITS])
def test_electrostatics_methods_run_the_edited_term(edit):
    key, value = edit[:2]
    extra = edit[2] if len(edit) > 2 else {}
    atoms = _nacl()
    calc = Electrostatics(**ES_BASE, **extra)
    before = _es_results(calc, atoms)  # sets up and caches the lattice sum
    calc.parameters[key] = value
    edited = _es_results(calc, atoms)
    fresh = _es_results(Electrostatics(**{**ES_BASE, **extra, key: value}), atoms)
    assert edited[2] == fresh[2]
    assert edited[0] == pytest.approx(fresh[0], rel=1e-12)
    np.testing.assert_allclose(edited[1], fresh[1], rtol=0, atol=1e-12)
    if key in ("qrd", "short_range", "cutoff", "method", "dtype", "tolerance"):
        assert edited[2] != before[2] or edited[0] != before[0]


@pytest.mark.parametrize("key, value, name", ES_BAD, ids=[e[0] + str(e[1]) for e in ES_BAD])
@pytest.mark.parametrize("method", ["evaluate", "lattice_parameters", "get_charges",
                                    "total_charge", "check_input", "check_elements",
                                    "todict_json"])
def test_a_bad_edit_is_refused_by_every_public_method_and_undone(key, value, name, method):
    atoms = _nacl()
    calc = Electrostatics(**ES_BASE)
    q = calc.get_charges(atoms)
    expected = calc.todict()
    calc.parameters[key] = value
    args = {"evaluate": (atoms, q), "lattice_parameters": (atoms, q),
            "todict_json": ()}.get(method, (atoms,))
    with pytest.raises(InputError, match=f"edited directly \\('{key}'\\).*{name}"):
        getattr(calc, method)(*args)
    assert calc.todict() == expected
    assert np.isfinite(calc.evaluate(atoms, q)["energy"])


def test_save_after_a_bad_edit_keeps_the_earlier_file(tmp_path):
    path = tmp_path / "term.json"
    calc = Electrostatics(**ES_BASE)
    calc.save(path)
    written = path.read_text()
    calc.parameters["tolerance"] = 0.5
    with pytest.raises(InputError, match="tolerance"):
        calc.save(path)
    assert path.read_text() == written
    calc.parameters["tolerance"] = 1e-8
    calc.save(path)
    assert Electrostatics.load(path).parameters["tolerance"] == 1e-8
