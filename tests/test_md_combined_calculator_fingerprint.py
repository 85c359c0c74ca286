"""A sum or mixture of calculators (ASE's ``SumCalculator``, ``MixedCalculator``,
``AverageCalculator``) is recorded with its terms and their weights.

Before, such a calculator was recorded by its class alone (its ``todict()`` is empty): every
``SumCalculator`` had one fingerprint, so ``SumCalculator([model, D3(...)])`` with another model
or another dispersion was answered with the stored run (argon with a second Lennard-Jones term
of ε 0.02 eV returned the stored run of ε 0.002 eV, whose positions differ from the true ones
by 7e-5 Å after 6 steps).
"""

import warnings

import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from ase.calculators.mixing import AverageCalculator, MixedCalculator, SumCalculator
from stopping_argon import StoppingArgon, argon  # noqa: E402

from ase_electrolyte.md import calculator_fingerprint, relax, run_md


def _lj(epsilon=0.002, sigma=3.0):
    return LennardJones(sigma=sigma, epsilon=epsilon, rc=8.0, smooth=True)


def _sum(epsilon=0.002, counting=None):
    return SumCalculator([counting if counting is not None else StoppingArgon(),
                          _lj(epsilon)])


@pytest.mark.parametrize("one, other", [
    (lambda: SumCalculator([EMT(), _lj(0.002)]), lambda: SumCalculator([EMT(), _lj(0.02)])),
    (lambda: SumCalculator([EMT(), _lj()]), lambda: SumCalculator([EMT(), _lj(), _lj()])),
    (lambda: SumCalculator([EMT(), _lj()]), lambda: SumCalculator([_lj(), _lj()])),
    (lambda: MixedCalculator(EMT(), _lj(), 0.3, 0.7),
     lambda: MixedCalculator(EMT(), _lj(), 0.7, 0.3)),
    (lambda: AverageCalculator([EMT(), _lj()]), lambda: SumCalculator([EMT(), _lj()])),
    (lambda: SumCalculator([EMT(), SumCalculator([_lj(), _lj(0.01)])]),
     lambda: SumCalculator([EMT(), SumCalculator([_lj(), _lj(0.02)])])),
], ids=["term-parameter", "term-added", "term-class", "weights", "average-vs-sum", "nested"])
def test_other_terms_or_weights_are_another_calculator(one, other):
    assert calculator_fingerprint(one()) == calculator_fingerprint(one())
    assert calculator_fingerprint(one()) != calculator_fingerprint(other())


def test_a_mixture_whose_weights_are_set_later_is_another_calculator():
    calc = MixedCalculator(EMT(), _lj(), 1.0, 0.0)
    before = calculator_fingerprint(calc)
    calc.set_weights(0.5, 0.5)
    assert calculator_fingerprint(calc) != before
    assert [t["weight"] for t in calculator_fingerprint(calc)["terms"]] == [0.5, 0.5]


_MD = dict(ensemble="nve", steps=6, timestep_fs=2.0, temperature_K=40, write_interval=2,
           progress=False)


def test_a_run_of_another_sum_is_not_reused(tmp_path):
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a cold start without topology arrays
        first = run_md(argon(_sum(0.002), rattle=0.05), trajectory=path, **_MD)
        counting = StoppingArgon()
        atoms = argon(_sum(0.02, counting), rattle=0.05)
        with pytest.raises(ValueError, match=r"its settings differ in \['calculator'\]"):
            run_md(atoms, trajectory=path, **_MD)
        assert counting.calls == 0
        # the refusal guards a real difference: the other sum moves the atoms elsewhere
        other = run_md(argon(_sum(0.02), rattle=0.05), **_MD)
        assert np.abs(other.positions - first.positions).max() > 1e-5
        # the same sum is reused without an evaluation
        counting = StoppingArgon()
        again = run_md(argon(_sum(0.002, counting), rattle=0.05), trajectory=path, **_MD)
    assert counting.calls == 0
    np.testing.assert_array_equal(again.positions, first.positions)


def test_a_relaxation_with_another_sum_is_not_reused(tmp_path):
    path = tmp_path / "relaxed.h5md"
    relax(argon(_sum(0.002), rattle=0.2), fmax=0.01, trajectory=path)
    counting = StoppingArgon()
    with pytest.raises(ValueError, match=r"its settings differ in \['calculator'\]"):
        relax(argon(_sum(0.02, counting), rattle=0.2), fmax=0.01, trajectory=path)
    assert counting.calls == 0
