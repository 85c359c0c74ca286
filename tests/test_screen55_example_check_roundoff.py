"""examples/model_error_decomposition.py checks its RMSEs against D3's own RMS force to the
model's round-off, not to float64's.

Run as documented (SevenNet-0, float32) it printed 'check: the force RMSE of each part MISSES
(relative difference 7.9e-06) D3's own RMS force': the model cancels in model - (model + D3)
only to its rounding, and a tolerance of 1e-9 called that a miss. The tolerance is now the
model's own round-off, measured in the same run (its forces on the frame translated); a
reference that is not model + D3 still misses.
"""

import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.mixing import SumCalculator

from tests.molecular_pair_model import MolecularPairModel

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "model_error_decomposition.py"


class NoisyModel(Calculator):
    """The molecular pair model whose forces carry a little noise that differs from call to
    call (3e-8 eV/Å), as SevenNet-0's float32 forces on CPU do (its intra RMSE of this example
    0.004070207 in one run, 0.004070153 in the next)."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self):
        super().__init__()
        self.inner = MolecularPairModel()
        self.rng = np.random.default_rng(5)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        a = self.atoms.copy()
        a.calc = self.inner
        self.results = {"energy": a.get_potential_energy(),
                        "forces": a.get_forces() + self.rng.normal(scale=3e-8, size=(len(a), 3))}
        self.results["free_energy"] = self.results["energy"]
        if a.cell.rank == 3:
            self.results["stress"] = a.get_stress()


class _Stop(Exception):
    """Raised in place of the volume scan, which follows the check: not needed here."""


def _no_scan(*args, **kwargs):
    raise _Stop


@pytest.fixture(scope="module")
def example():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runpy.run_path(str(EXAMPLE), run_name="example")


def _check_line(capsys):
    line, = [x for x in capsys.readouterr().out.splitlines() if "RMS force" in x]
    return line


_BOXES = {}


def _run(example, monkeypatch, model):
    build = example["electrolyte_box"]

    def packed_once(**kwargs):  # the same three boxes for every test: PACKMOL once
        key = repr(sorted(kwargs.items()))
        if key not in _BOXES:
            _BOXES[key] = build(**kwargs)
        return _BOXES[key].copy()

    monkeypatch.setitem(example["main"].__globals__, "electrolyte_box", packed_once)
    monkeypatch.setitem(example["main"].__globals__, "RigidVolumeScan", _no_scan)
    with warnings.catch_warnings(), pytest.raises(_Stop):
        warnings.simplefilter("ignore")
        example["main"](model)


def test_the_check_holds_to_the_models_roundoff(example, capsys, monkeypatch):
    _run(example, monkeypatch, NoisyModel())
    line = _check_line(capsys)
    assert line.startswith("check: the force RMSE of each part equals D3's own RMS force"), line


def test_a_reference_that_is_not_model_plus_d3_misses(example, capsys, monkeypatch):
    # the reference's D3 scaled by 1.001: the RMSEs are 1.001 times D3's RMS force
    from ase_electrolyte import D3

    real_sum = SumCalculator

    class ScaledD3(Calculator):
        implemented_properties = ["energy", "free_energy", "forces", "stress"]

        def __init__(self, d3):
            super().__init__()
            self.d3 = d3

        def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
            super().calculate(atoms, properties, system_changes)
            a = self.atoms.copy()
            a.calc = self.d3
            self.results = {"energy": 1.001 * a.get_potential_energy(),
                            "forces": 1.001 * a.get_forces()}
            self.results["free_energy"] = self.results["energy"]
            if a.cell.rank == 3:
                self.results["stress"] = 1.001 * a.get_stress()

    def scaled_sum(calcs):
        model, d3 = calcs
        assert isinstance(d3, D3)
        return real_sum([model, ScaledD3(d3)])

    monkeypatch.setitem(example["main"].__globals__, "SumCalculator", scaled_sum)
    _run(example, monkeypatch, NoisyModel())
    assert "MISSES" in _check_line(capsys)
