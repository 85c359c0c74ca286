"""A calculator that keeps its network outside ``parameters`` (sevenn's ``SevenNetCalculator``,
CHGNet's ``CHGNetCalculator``: their ``todict()`` is empty) is recorded by its weights and its
plain attributes (``modal``, ``stress_weight``).

Before, such a calculator was recorded by its class alone: every SevenNet model had one
fingerprint, and a run with ``"7net-0"`` was answered with the stored run of another
checkpoint, fine-tuned weights or another ``modal``.
"""

import warnings

import numpy as np
import pytest
import torch
from ase.build import bulk
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import calculator_fingerprint, relax, run_md


class _Well(Calculator):
    """Each atom in a harmonic well about where it started, of stiffness ``model(1)`` eV/Å²
    (a one-weight torch network), as a package's calculator holds its network: an attribute,
    no parameters. Counts its evaluations (``_calls``: private, no option)."""

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, stiffness=1.0, modal=None, models=None):
        super().__init__()
        self.model = torch.nn.Linear(1, 1, bias=False, dtype=torch.float64)
        with torch.no_grad():
            self.model.weight.fill_(stiffness)
        self.modal = modal
        if models is not None:
            self.models = models
        self.centre, self._calls = None, 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self._calls += 1
        if self.centre is None:
            self.centre = self.atoms.positions.copy()
        with torch.no_grad():
            k = float(self.model(torch.ones(1, dtype=torch.float64)))
        d = self.atoms.positions - self.centre
        self.results = {"energy": 0.5 * k * float((d**2).sum()), "forces": -k * d}
        self.results["free_energy"] = self.results["energy"]


def _fp(calc):
    return calculator_fingerprint(calc)


def test_other_weights_are_another_calculator():
    assert _fp(_Well(1.0)) == _fp(_Well(1.0))
    assert _fp(_Well(1.0)) != _fp(_Well(2.0))
    # the plain attributes too: another head of a multi-fidelity model
    assert _fp(_Well(1.0, modal="mpa")) != _fp(_Well(1.0, modal="omat24"))
    # a committee of networks (a list of modules, as MACE's ``models``)
    one = _Well(1.0, models=[torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)])
    assert len(_fp(one)["networks"]["weights_sha256"]["models"]) == 2


def test_weights_loaded_in_place_are_seen():
    """The digest is cached per module; ``load_state_dict`` (an in-place copy) is another
    model, as is a weight changed under ``torch.no_grad``."""
    calc = _Well(1.0)
    before = _fp(calc)
    calc.model.load_state_dict(_Well(3.0).model.state_dict())
    loaded = _fp(calc)
    assert loaded != before and loaded == _fp(_Well(3.0))
    with torch.no_grad():
        calc.model.weight.mul_(2.0)
    assert _fp(calc) == _fp(_Well(6.0))


def test_a_calculator_with_parameters_is_recorded_as_before():
    """Options in ``parameters`` (ASE's contract) are the record: no weights are hashed."""
    assert "networks" not in _fp(LennardJones(sigma=3.4, epsilon=0.0104))


def _copper(calc):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    atoms.calc = calc
    return atoms


_MD = dict(ensemble="nve", steps=6, timestep_fs=2.0, temperature_K=300, write_interval=2,
           progress=False)


def test_a_run_of_another_network_is_not_reused(tmp_path):
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no topology arrays
        first = run_md(_copper(_Well(1.0)), trajectory=path, **_MD)
        calc = _Well(4.0)
        with pytest.raises(ValueError, match=r"its settings differ in \['calculator'\]"):
            run_md(_copper(calc), trajectory=path, **_MD)
        assert calc._calls == 0
        # the refusal guards a real difference: a stiffer well moves the atoms elsewhere
        other = run_md(_copper(_Well(4.0)), **_MD)
        assert np.abs(other.positions - first.positions).max() > 1e-4
        calc = _Well(1.0)
        again = run_md(_copper(calc), trajectory=path, **_MD)
    assert calc._calls == 0
    np.testing.assert_array_equal(again.positions, first.positions)


def test_a_relaxation_with_another_network_is_not_reused(tmp_path):
    path = tmp_path / "relaxed.h5md"
    atoms = _copper(_Well(1.0))
    atoms.calc.centre = atoms.positions + 0.1
    relax(atoms, fmax=0.01, trajectory=path)
    calc = _Well(2.0)
    with pytest.raises(ValueError, match=r"its settings differ in \['calculator'\]"):
        relax(_copper(calc), fmax=0.01, trajectory=path)
    assert calc._calls == 0


def test_the_same_calculator_object_resumes_its_interrupted_run(tmp_path):
    """What the network computed before (its call count, the centre it kept) does not make it
    another calculator: an interrupted run resumes with the same object."""
    path = tmp_path / "md.h5md"
    calc = _Well(1.0)

    class _Stop(Exception):
        pass

    evaluate = calc.calculate

    def stop_at_four(*args, **kwargs):
        if calc._calls == 4:
            raise _Stop
        evaluate(*args, **kwargs)

    calc.calculate = stop_at_four
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(_Stop):
            run_md(_copper(calc), trajectory=path, **_MD)
        calc.calculate = evaluate
        resumed = run_md(_copper(calc), trajectory=path, **_MD)
        whole = run_md(_copper(_Well(1.0)), **_MD)
    np.testing.assert_allclose(resumed.positions, whole.positions, rtol=0, atol=1e-9)
