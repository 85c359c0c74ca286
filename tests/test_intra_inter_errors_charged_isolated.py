"""Isolated ions that a calculator's summed term cannot evaluate are refused before any evaluation.

An isolated ion in a periodic cube of vacuum (``vacuum=``) is a charged cell: ``Electrostatics``
refuses it without ``background=True``, and a molecule without a cell is refused by an Ewald or
PME sum. Alone, in ASE's ``SumCalculator`` or as a model's summed term, that refusal came after
the first frame had been evaluated (the model and the frame's lattice sum paid for); now the
term's own ``check_input`` is asked for the frame and for one molecule of each kind and charge
before any evaluation. With a neutralising background the split runs and the isolated ions'
energies are the term's own less the Madelung energy of their images (Makov & Payne 1995).
"""

import numpy as np
import pytest
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.mixing import SumCalculator
from counting_bonds import Bonds
from counting_bonds import ionic_frame as _ionic_frame

from ase_electrolyte.electrostatics import COULOMB, Electrostatics
from mda_electrolyte.intra_inter_errors import IntraInterErrors
from mda_electrolyte.model_labels import input_checks as _input_checks
from mda_electrolyte.molecules import isolated_molecules


class ModelWithTerms(Calculator):
    """A model with a summed electrostatic term held as ``electrostatics`` (as
    :class:`ase_electrolyte.Calculator` holds its terms)."""

    implemented_properties = ["energy", "forces"]

    def __init__(self, electrostatics):
        super().__init__()
        self.model = Bonds()
        self.dispersion = None
        self.electrostatics = electrostatics

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        out = {}
        for calc in (self.model, self.electrostatics):
            a = self.atoms.copy()
            a.calc = calc
            out["energy"] = out.get("energy", 0.0) + a.get_potential_energy()
            out["forces"] = out.get("forces", 0.0) + a.get_forces()
        self.results = out


def _ewald(**kwargs):
    return Electrostatics(scheme="array", array="formal_charge", method="ewald", **kwargs)


def _sum(term):
    model = Bonds()
    return model, SumCalculator([model, term])


def _terms(term):
    calc = ModelWithTerms(term)
    return calc.model, calc


@pytest.mark.parametrize("combine", [_sum, _terms])
@pytest.mark.parametrize("side", ["model", "reference"])
def test_an_ion_in_a_vacuum_cube_without_background_is_refused_before_any_evaluation(combine,
                                                                                      side):
    counted, calc = combine(_ewald())
    other = Bonds()
    model, reference = (calc, other) if side == "model" else (other, calc)
    with pytest.raises(ValueError, match=rf"the {side}'s electrostatics cannot evaluate the "
                                         r"isolated molecule Li \(net charge \+1 e\) in a "
                                         r"periodic cube of vacuum.*background=True"):
        IntraInterErrors([_ionic_frame()], model, reference=reference, vacuum=12.0).run()
    assert counted.calls == 0 and other.calls == 0


def test_an_ewald_term_without_a_cell_for_the_molecules_is_refused_before_any_evaluation():
    counted, calc = _sum(_ewald(background=True))
    with pytest.raises(ValueError, match=r"isolated molecule Li \(net charge \+1 e\) without a "
                                         "cell.*needs a 3D-periodic cell"):
        IntraInterErrors([_ionic_frame()], calc, reference=Bonds()).run()
    assert counted.calls == 0


def test_a_term_that_refuses_the_frame_itself_is_named_before_any_evaluation():
    counted, calc = _sum(Electrostatics(scheme="array", array="formal_charge", method="direct"))
    with pytest.raises(ValueError, match="the model's electrostatics cannot evaluate frame 0: "
                                         "method='direct' is for non-periodic"):
        IntraInterErrors([_ionic_frame()], calc, reference=Bonds(), vacuum=12.0).run()
    assert counted.calls == 0


def test_with_a_neutralising_background_the_ions_are_the_terms_less_their_images():
    frame = _ionic_frame()
    term = _ewald(background=True)
    _, calc = _sum(term)
    errors = IntraInterErrors([frame, frame.copy()], calc, reference=Bonds(), vacuum=12.0,
                              keep_arrays=True).run()
    molecules = isolated_molecules(frame, frame.arrays["molecule_index"], vacuum=12.0)
    in_cube = []
    for mol in molecules:
        alone = mol.copy()
        alone.calc = SumCalculator([Bonds(), _ewald(background=True)])
        in_cube.append(alone.get_potential_energy())
    got = errors.results.molecule_energies["model"]
    assert np.all(np.isfinite(got))
    # in its cube a lone ion has the Madelung energy of its images, -ξ e²/(2L) (Makov & Payne
    # 1995); alone it has none: the split takes the ion alone
    side = molecules[0].cell[0, 0]
    madelung = -COULOMB * 2.837297 / (2.0 * side)
    np.testing.assert_allclose(in_cube[:2], [madelung, madelung], rtol=1e-5)
    np.testing.assert_allclose(got[0], [0.0, 0.0, in_cube[2]], atol=1e-5)
    # the frame is not changed by the check
    assert frame.info == {} or "charge" not in frame.info


def test_neutral_molecules_in_a_vacuum_cube_pass_the_check():
    _, calc = _sum(_ewald())
    errors = IntraInterErrors([_ionic_frame((0, 0, 0, 0, 0))] * 2, calc, reference=Bonds(),
                              vacuum=12.0, keep_arrays=True).run()
    assert np.all(np.isfinite(errors.results.molecule_energies["model"]))


def test_the_terms_of_sums_and_models_are_found_once():
    term = _ewald()
    assert _input_checks(term) == [term]
    assert _input_checks(SumCalculator([Bonds(), term])) == [term]
    assert _input_checks(ModelWithTerms(term)) == [term]
    nested = SumCalculator([SumCalculator([Bonds(), term]), ModelWithTerms(term)])
    assert _input_checks(nested) == [term]
    assert _input_checks(Bonds()) == []
