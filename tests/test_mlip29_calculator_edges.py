"""Calculator on the edge cases of its structures and options, checked against ASE's EMT.

The model is EMT loaded in SevenNet's place (no weights needed), so every number has ASE's
own reference: a 1-atom cell is the 4-atom cubic cell per atom, atoms far outside the cell are
the wrapped structure, and an option refused after a calculation leaves the results and the
parameters as they were. An element the model lacks is named with the elements it covers
(was "does not cover the element(s) H" alone), before any evaluation.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from test_calculator_faults import CountingEMT

from ase_electrolyte import Calculator
from ase_electrolyte.calculator_errors import InputError


@pytest.fixture
def model(monkeypatch):
    from ase_electrolyte import models

    def load(source, device, dtype, options):
        return CountingEMT(), frozenset({29, 79}), False

    monkeypatch.setattr(models, "_LOADERS", {**models._LOADERS, "sevennet": load})
    monkeypatch.setattr(models, "_require", lambda backend: None)
    CountingEMT.calls = 0
    return lambda **kw: Calculator("sevennet-0", device="cpu", **kw)


def test_an_element_the_model_lacks_is_named_with_those_it_covers(model):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms[1].symbol = "Ag"
    atoms.calc = model()
    with pytest.raises(InputError, match=r"\(trained on Cu, Au\) does not cover the "
                                         r"element\(s\) Ag"):
        atoms.get_potential_energy()
    assert CountingEMT.calls == 0


def test_one_atom_cell_and_far_images_are_the_same_crystal(model):
    one = bulk("Cu", "fcc", a=3.6)
    four = bulk("Cu", "fcc", a=3.6, cubic=True)
    for atoms in (one, four):
        atoms.calc = model()
    assert one.get_potential_energy() == pytest.approx(four.get_potential_energy() / 4,
                                                       abs=1e-10)
    np.testing.assert_allclose(one.get_stress(), four.get_stress(), atol=1e-10)
    rattled = four.copy()
    rattled.rattle(0.05, seed=3)
    far = rattled.copy()
    far.positions += 7 * far.cell[0] - 5 * far.cell[2]
    placed = far.positions.copy()
    ref = rattled.copy()
    ref.calc = EMT()
    far.calc = model()
    assert far.get_potential_energy() == pytest.approx(ref.get_potential_energy(), abs=1e-9)
    np.testing.assert_allclose(far.get_forces(), ref.get_forces(), atol=1e-9)
    np.testing.assert_array_equal(far.positions, placed)  # the caller's atoms stay put


@pytest.mark.parametrize("bad", [{"device": "gpu9"}, {"dtype": "float16"},
                                 {"dispersion": "d4"}, {"backend": "foo"},
                                 {"model": "/no/such/model.pth"}])
def test_a_bad_option_after_a_calculation_changes_nothing(model, bad):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=4)
    calc = model()
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    before = calc.todict()
    with pytest.raises(InputError):
        calc.set(**bad)
    assert calc.todict() == before
    assert calc.results["energy"] == energy
    calls = CountingEMT.calls
    assert atoms.get_potential_energy() == energy and CountingEMT.calls == calls
    # the round trip of every parameter gives the same calculator and numbers
    again = Calculator(**before)
    assert again.todict() == before
    probe = atoms.copy()
    probe.calc = again
    assert probe.get_potential_energy() == pytest.approx(energy, abs=1e-12)
