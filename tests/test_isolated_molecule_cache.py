"""Isolated-molecule energies are cached per geometry only while the calculator stays the same.

Before, the cache was keyed by geometry alone: an ``IntraInterErrors`` rerun after
``calc.set(...)`` (or a ``RigidVolumeScan`` of a retrained model file) combined the frames' new
totals with the old isolated molecules, a stale intra/inter split reported as the new model's.
"""
import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.lj import LennardJones

from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator


def _waters():
    first = molecule("H2O")
    second = first.copy()
    second.positions += [7.0, 0.0, 0.0]  # the same geometry elsewhere: one evaluation
    third = molecule("H2O")
    third.positions[1] *= 1.05
    return [first, second, third]


def test_the_same_calculator_evaluates_each_geometry_once():
    calc = LennardJones(sigma=1.0, epsilon=0.01, rc=5.0)
    ev = IsolatedMoleculeEvaluator(calc)
    energies, _ = ev.evaluate(_waters())
    assert ev.n_evaluated == 2 and energies[0] == energies[1]
    again, _ = ev.evaluate(_waters())
    assert ev.n_evaluated == 2
    np.testing.assert_array_equal(again, energies)


@pytest.mark.parametrize("change", [{"epsilon": 0.02}, {"sigma": 1.1}, {"rc": 4.0}])
def test_a_changed_calculator_is_evaluated_anew(change):
    calc = LennardJones(sigma=1.0, epsilon=0.01, rc=5.0)
    ev = IsolatedMoleculeEvaluator(calc)
    ev.evaluate(_waters())
    calc.set(**change)
    energies, forces = ev.evaluate(_waters())
    fresh_e, fresh_f = IsolatedMoleculeEvaluator(LennardJones(**{
        "sigma": 1.0, "epsilon": 0.01, "rc": 5.0, **change})).evaluate(_waters())
    np.testing.assert_allclose(energies, fresh_e, rtol=1e-12, atol=0)
    for f, g in zip(forces, fresh_f, strict=True):
        np.testing.assert_allclose(f, g, rtol=1e-12, atol=1e-15)
    assert ev.n_evaluated == 4
    if "epsilon" in change:  # LJ energies scale with epsilon: the old ones were half
        first, _ = IsolatedMoleculeEvaluator(LennardJones(sigma=1.0, epsilon=0.01,
                                                          rc=5.0)).evaluate(_waters())
        np.testing.assert_allclose(energies, 2 * first, rtol=1e-12)


def test_an_analysis_rerun_after_calc_set_equals_a_fresh_one():
    from molecular_pair_model import MolecularPairModel
    from test_intra_inter_errors import _frame

    from mda_electrolyte import IntraInterErrors

    frames = [_frame(seed=s) for s in range(2)]
    model = LennardJones(sigma=2.0, epsilon=0.01, rc=6.0, smooth=True)
    err = IntraInterErrors(frames, model, reference=MolecularPairModel(sigma=2.4),
                           keep_arrays=True)
    before = err.run().results.energies["model"]["intra"].copy()
    model.set(epsilon=0.02)
    after = err.run().results
    fresh = IntraInterErrors(frames, LennardJones(sigma=2.0, epsilon=0.02, rc=6.0, smooth=True),
                             reference=MolecularPairModel(sigma=2.4),
                             keep_arrays=True).run().results
    for part in ("intra", "inter", "total"):
        np.testing.assert_allclose(after.energies["model"][part], fresh.energies["model"][part],
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(after.forces["model"][part], fresh.forces["model"][part],
                                   rtol=1e-12, atol=1e-12)
    # LJ energies scale with epsilon: the intra part doubled (the stale cache kept it)
    np.testing.assert_allclose(after.energies["model"]["intra"], 2 * before, rtol=1e-12)
