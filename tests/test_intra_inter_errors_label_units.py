"""Reference labels in the wrong unit, per atom or of the other sign: each quantity is judged.

Before, only the forces (or, without forces, the energies) were compared with the model's
magnitude: energies in kcal/mol or per atom beside forces in eV/Å, and stresses in GPa or of
the other sign, were reported as valid errors of the size of the labels.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _flatten, _frame  # noqa: E402

from mda_electrolyte.intra_inter_errors import IntraInterErrors, unit_doubt  # noqa: E402


def _labels(frames, model, energy=1.0, forces=1.0, stress=1.0, per_atom=False):
    out = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = model
        e = probe.get_potential_energy() * energy / (len(atoms) if per_atom else 1)
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=e, forces=probe.get_forces() * forces,
                                         stress=probe.get_stress() * stress)
        out.append(lab)
    return out


def _run(frames, model, labels, match):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = IntraInterErrors(frames, model, reference=labels).run().results
    said = [str(w.message) for w in caught if match in str(w.message)]
    assert said, [str(w.message) for w in caught]
    return r


def _verdicts(tree, quantity):
    return {name: est for name, est in _flatten(tree).items()
            if hasattr(est, "verdict") and name.endswith(quantity)}


@pytest.mark.parametrize("case, kwargs, quantity, match", [
    ("energy in kcal/mol", {"energy": 23.0605}, "energy", "in kcal/mol rather than eV"),
    ("energy per atom", {"per_atom": True}, "energy", "as if it were per atom"),
    ("stress in GPa", {"stress": 160.21766}, "stress", "in GPa rather than eV/Å³"),
    ("stress as a pressure", {"stress": -1.0}, "stress", "opposite sign"),
])
def test_a_doubtful_quantity_is_marked_and_the_others_stay_valid(case, kwargs, quantity, match):
    frames = [_frame(seed=s) for s in range(6)]
    # 1 % off: the 15-atom frame's 1/15 is then nearer than Rydberg's 1/13.6; k = 0.2 gives a
    # liquid's stress (4 meV/Å³: in GPa 0.7 "eV/Å³", where k = 20 gave 69 and was refused
    # before the model ran as no liquid's stress)
    model = MolecularPairModel(scale=0.99, k=0.2)
    labels = _labels(frames, MolecularPairModel(k=0.2), **kwargs)
    r = _run(frames, model, labels, match)
    marked = _verdicts(r.estimates, quantity)
    assert marked and all(not e.valid and match.split()[-1] in e.verdict
                          for e in marked.values()), case
    # the forces were in eV/Å: their errors are the model's, valid
    forces = r.rmse["total"]["forces"]
    assert forces.valid and match.split()[-1] not in forces.verdict
    assert r.softening["O"].valid


def test_forces_of_the_other_sign_mark_every_number():
    frames = [_frame(seed=s) for s in range(6)]
    model = MolecularPairModel(scale=0.95)
    r = _run(frames, model, _labels(frames, MolecularPairModel(), forces=-1.0), "opposite sign")
    for tree in (r.estimates, r.softening):
        assert all(not e.valid for e in _flatten(tree).values() if hasattr(e, "verdict"))


def test_labels_of_the_right_unit_and_sign_raise_no_doubt():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 20, 3))
    # a model 0.8 times the reference (a softened model) is no unit mistake, nor one
    # uncorrelated with it, nor energies within 10 % of the model's
    assert unit_doubt(x, 0.8 * x, "forces") is None
    assert unit_doubt(x, rng.normal(size=x.shape), "forces") is None
    assert unit_doubt([-100.0, -101.0], [-99.0, -100.5], "energy", n_atoms=15) is None
    assert "per atom" in unit_doubt([-100.0 / 15, -101.0 / 15], [-99.0, -100.5], "energy",
                                    n_atoms=15)
    # the stress of a single atom's frame cannot be per atom
    assert unit_doubt([-1.0], [-1.0], "energy", n_atoms=1) is None


def test_energies_of_another_zero_are_no_unit_mistake():
    rng = np.random.default_rng(1)
    model = -40.0 + rng.normal(size=12)
    # a level 23.06 times the model's, fluctuations the model's own: another energy zero
    shifted = model + (23.0605 - 1.0) * model.mean()
    assert unit_doubt(shifted, model, "energy", n_atoms=50) is None
    # the same labels in kcal/mol: level and fluctuations both scaled
    assert "kcal/mol" in unit_doubt(23.0605 * model, model, "energy", n_atoms=50)
    assert "per atom" in unit_doubt(model / 50, model, "energy", n_atoms=50)
