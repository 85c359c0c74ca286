"""A ``vacuum`` that leaves an isolated molecule within the model's cutoff of its own images.

``isolated_molecules(vacuum=v)`` puts each molecule in a cube whose nearest image atoms are
``2 v`` apart. With SevenNet-0 (5 Å cutoff) and ``vacuum=2`` every "isolated" molecule
interacted with its own images, and the intra/inter split and volume scans reported the
energies of those periodic chains as the molecules' own, marked valid. Such a vacuum is now
refused before any model call, naming the model's cutoff and the smallest vacuum that passes.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.mixing import SumCalculator
from counting_bonds import Bonds

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.topology import set_topology  # noqa: E402
from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.molecules import isolated_molecules  # noqa: E402
from mda_electrolyte.volume_scan import RigidVolumeScan  # noqa: E402


@pytest.fixture(scope="module")
def model():
    return Calculator("sevennet-0", device="cpu")


def _waters():
    a, b = molecule("H2O"), molecule("H2O")
    b.positions += [3.1, 0.4, 0.2]
    atoms = a + b
    atoms.set_cell([9.0, 9.0, 9.0])
    atoms.pbc = True
    atoms.positions += 3.0
    set_topology(atoms, [0, 0, 0, 1, 1, 1], ["H2O"] * 6, [0] * 6)
    return atoms


def _counting(calc):
    calls = []
    calculate = calc.calculate

    def counted(*args, **kwargs):
        calls.append(1)
        return calculate(*args, **kwargs)

    calc.calculate = counted
    return calls


def test_the_model_cutoff_is_the_backends(model):
    assert model.model_cutoff == pytest.approx(float(model._model_calc.cutoff))
    assert model.model_cutoff == pytest.approx(5.0)


def test_an_isolated_molecule_within_the_cutoff_of_its_images_interacts_with_them(model):
    # the physics the refusal is about: at 2 v < r_c the cube's energy is not the molecule's
    water = isolated_molecules(_waters(), [0, 0, 0, 1, 1, 1], vacuum=None)[0]

    def energy(mol):
        mol = mol.copy()
        mol.calc = model
        return mol.get_potential_energy()

    alone = energy(water)
    near = energy(isolated_molecules(_waters(), [0, 0, 0, 1, 1, 1], vacuum=1.5)[0])
    far = energy(isolated_molecules(_waters(), [0, 0, 0, 1, 1, 1], vacuum=2.6)[0])
    assert abs(far - alone) < 1e-4
    assert abs(near - alone) > 1e-3


@pytest.mark.parametrize("vacuum", [1.0, 2.0, 2.5])
@pytest.mark.parametrize("wrap", ["alone", "sum"])
@pytest.mark.parametrize("analysis", ["split", "scan"])
def test_a_vacuum_within_the_models_cutoff_is_refused_before_any_model_call(
        model, vacuum, wrap, analysis):
    calls = _counting(model)
    reference = Bonds()
    calc = model if wrap == "alone" else SumCalculator([model, Bonds()])
    frames = [_waters(), _waters()]
    try:
        with pytest.raises(ValueError, match=rf"vacuum = {vacuum:g} Å leaves an isolated "
                                             rf"molecule {2 * vacuum:g} Å from its own periodic "
                                             r"images, within the model's 5 Å cutoff.*give "
                                             r"vacuum > 2\.5 Å"):
            if analysis == "split":
                IntraInterErrors(frames, calc, reference=reference, vacuum=vacuum).run()
            else:
                RigidVolumeScan(frames, calc, scales=[1.0, 1.2], reference=reference,
                                vacuum=vacuum).run()
    finally:
        del model.calculate
    assert calls == [] and reference.calls == 0


def test_a_vacuum_beyond_the_cutoff_and_no_vacuum_are_taken(model):
    frames = [_waters()]
    for vacuum in (None, 2.6):
        errors = IntraInterErrors(frames, model, reference=Bonds(), vacuum=vacuum).run()
        assert np.isfinite(errors.results.rmse["intra"]["energy"].value)
    scan = RigidVolumeScan(frames, model, scales=[1.0, 1.2], reference=Bonds(), vacuum=2.6)
    scan.run()


def test_a_calculator_without_a_known_cutoff_is_not_judged():
    # the stand-in says no cutoff: its vacuum is the caller's to choose, as before
    errors = IntraInterErrors([_waters()], Bonds(), reference=Bonds(), vacuum=0.5).run()
    assert errors.results.rmse["intra"]["energy"].value == pytest.approx(0.0, abs=1e-12)
