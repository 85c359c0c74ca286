"""A dtype given to a backend that takes none is refused naming the cure.

The NequIP/Allegro and GAP backends evaluate a model in the precision it was written in; any
dtype given to them was refused as "dtype='float64' is not available for the nequip backend;
choose from [None]", which named no precision and no cure (and read as if float64 were missing
for a model that is float64). Now the refusal says the backend takes no dtype and to leave it
out, before the model is loaded, and a refused ``set`` leaves the calculator as it was.
"""

import warnings

import pytest
from ase.calculators.calculator import InputError

# the model-file fixture (module scope) is shared with its own tests
from test_model_files import nequip_torchscript  # noqa: F401

from ase_electrolyte import Calculator

WORDS = ["float32", "float64", "Float64", " float32 "]


def _calculator(path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the trust warning of a TorchScript file
        return Calculator(path, device="cpu", **options)


@pytest.mark.parametrize("dtype", WORDS)
def test_constructor_names_the_cure(nequip_torchscript, dtype):  # noqa: F811
    with pytest.raises(InputError, match=r"nequip backend takes no dtype.*leave dtype out"):
        _calculator(nequip_torchscript.path, dtype=dtype)


@pytest.fixture(scope="module")
def fresh_energy(nequip_torchscript):  # noqa: F811
    """The molecule's energy from a calculator no refused ``set`` has touched: the same for
    every dtype word, so loaded and evaluated once for the module."""
    return _calculator(nequip_torchscript.path).get_potential_energy(
        nequip_torchscript.molecule.copy())


@pytest.mark.parametrize("dtype", WORDS)
def test_refused_set_leaves_the_calculator(nequip_torchscript, fresh_energy, dtype):  # noqa: F811
    calc = _calculator(nequip_torchscript.path)
    atoms = nequip_torchscript.molecule
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    with pytest.raises(InputError, match="leave dtype out"):
        calc.set(dtype=dtype)
    assert calc.parameters["dtype"] is None
    # the results stand and agree with a fresh evaluation
    assert calc.get_property("energy", atoms, allow_calculation=False) == energy
    assert fresh_energy == pytest.approx(energy, abs=1e-10)
