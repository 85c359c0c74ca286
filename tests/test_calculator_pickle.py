"""Our calculators sent between processes (pickle: multiprocessing, dask) and copied (copy,
deepcopy): the same model and terms, or a clear error, never another model."""

import copy
import pickle
import shutil

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.calculator import InputError

# EMT loaded as a registered model: pickling without a model file
from test_calculator_faults import emt_model  # noqa: F401

# the tiny NequIP model file (module scope) of the model-file tests: a model loaded in a second
from test_model_files import nequip_torchscript  # noqa: F401

from ase_electrolyte import Calculator, Electrostatics
from ase_electrolyte.d3 import D3

_QRD = {"H": (0.4, 1.0), "C": (0.0, 1.0), "O": (-0.8, 1.0)}


def _d3():
    return D3(device="cpu", cutoff=12.0, cn_cutoff=8.0)


def _electrostatics():
    return Electrostatics(qrd=_QRD, device="cpu")


def _summed(path):
    # NequIP's ASE calculator is a class local to the loader: it cannot be pickled, and
    # pickle.dumps(atoms) failed with "Can't pickle local object '_load_nequip.<locals>...'"
    return Calculator(path, device="cpu", dispersion={"cutoff": 12.0, "cn_cutoff": 8.0},
                      electrostatics={"qrd": _QRD})


def _pickled(obj):
    return pickle.loads(pickle.dumps(obj))


_COPIES = {"pickle": _pickled, "deepcopy": copy.deepcopy, "copy": copy.copy}


@pytest.fixture(scope="module")
def summed(nequip_torchscript):  # noqa: F811
    return _summed(nequip_torchscript.path)


@pytest.fixture(params=["d3", "electrostatics", "summed"])
def make_calc(request):
    if request.param == "d3":
        return _d3
    if request.param == "electrostatics":
        return _electrostatics
    calc = request.getfixturevalue("summed")  # loaded once; every test starts it afresh
    calc.reset()
    return lambda: calc


@pytest.mark.parametrize("how", sorted(_COPIES))
def test_a_copied_calculator_gives_the_original_numbers_on_new_structures(make_calc, how):
    calc = make_calc()
    atoms = molecule("CH3CH2OH")
    atoms.rattle(0.05, seed=1)
    atoms.calc = calc
    e0 = atoms.get_potential_energy()
    twin = _COPIES[how](calc)
    assert type(twin) is type(calc)
    assert twin.todict() == calc.todict()
    # a new structure for both: the copy evaluates it itself, with the same model and terms
    moved = atoms.copy()
    moved.positions[2] += [0.15, -0.1, 0.05]
    moved.calc = twin
    ours = moved.get_potential_energy(), moved.get_forces()
    moved.calc = calc
    assert ours[0] == pytest.approx(moved.get_potential_energy(), abs=1e-9)
    np.testing.assert_allclose(ours[1], moved.get_forces(), atol=1e-8)
    assert abs(ours[0] - e0) > 1e-4  # the displacement changed the energy: no stale result


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_atoms_carrying_a_calculator_survive_pickle_with_their_results(make_calc, how):
    atoms = molecule("CH3OH")
    atoms.calc = make_calc()
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    twin = _COPIES[how](atoms)
    # the results travel with the calculator: read back without a new evaluation ...
    assert twin.calc.get_property("energy", twin, allow_calculation=False) == energy
    np.testing.assert_array_equal(twin.get_forces(), forces)
    # ... and a change of the copy is evaluated by the copy's own model
    twin.positions[0] += [0.1, 0.0, 0.0]
    atoms.positions[0] += [0.1, 0.0, 0.0]
    assert twin.get_potential_energy() == pytest.approx(atoms.get_potential_energy(), abs=1e-9)


def test_an_unpickled_calculator_refuses_a_model_file_changed_or_removed_since(
        nequip_torchscript, tmp_path):  # noqa: F811
    path = tmp_path / "model.nequip.pth"
    shutil.copy(nequip_torchscript.path, path)
    calc = Calculator(path, device="cpu")
    data = pickle.dumps(calc)
    assert _pickled(calc).parameters["model"] == str(path)  # the same bytes load again
    with open(path, "ab") as handle:  # the file is retrained or replaced under its name
        handle.write(b"\0")
    with pytest.raises(InputError, match="model file has changed since the calculator was "
                                         "pickled"):
        pickle.loads(data)
    path.unlink()
    with pytest.raises(InputError, match="model file no longer exists"):
        pickle.loads(data)


def _gpu_state(calc):
    """The pickled state of ``calc`` as a machine with a GPU would have written it."""
    state = copy.deepcopy(calc.__getstate__())
    state["parameters"]["device"] = state["_configured"]["device"] = "cuda:0"
    return state


def test_a_calculator_pickled_on_a_gpu_is_refused_by_name_where_there_is_none(
        emt_model, monkeypatch):  # noqa: F811
    """Unpickled on a machine without a GPU (a dask worker), the copy failed inside the
    backend's loader with torch's error; now an InputError names the device before any
    loading."""
    import torch

    from ase_electrolyte import models

    state = _gpu_state(emt_model())
    assert state["_reload_model"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loads = []
    monkeypatch.setattr(models, "_LOADERS", {"sevennet": lambda *a: loads.append(a)})
    moved = Calculator.__new__(Calculator)
    with pytest.raises(InputError, match=r"cannot unpickle Calculator\('sevennet-0'\) here: "
                                         r"device='cuda:0' .* no CUDA GPU"):
        moved.__setstate__(state)
    assert loads == []


def test_an_electrostatics_term_pickled_on_a_gpu_is_refused_before_any_sum(monkeypatch):
    import torch

    term = _electrostatics()
    atoms = molecule("CH3OH")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    moved = Electrostatics.__new__(Electrostatics)
    moved.__dict__.update(copy.deepcopy(term.__dict__))
    moved.parameters["device"] = "cuda:0"
    moved._configured["device"] = "cuda:0"  # as the GPU machine configured it
    with pytest.raises(InputError, match=r"device='cuda:0' .* no CUDA GPU"):
        moved.check_input(atoms)
    atoms.calc = moved
    with pytest.raises(InputError, match=r"device='cuda:0' .* no CUDA GPU"):
        atoms.get_potential_energy()
