"""Model files of the MACE, NequIP/Allegro and GAP backends through ``ase_electrolyte.Calculator``.

Every model here is built and saved by the tests themselves (tiny hyperparameters, random or
quickly fitted weights), so nothing is downloaded. For each file format the wrapped calculator
must give the upstream calculator's numbers, forces that are minus the energy gradient, a stress
that is the strain derivative of the energy, per-atom energies that sum to the energy, and a
clear error for elements outside the model.

Each backend is an optional extra: its tests skip when its package is missing (MACE lives in the
``mace`` tox env because mace-torch pins e3nn 0.4.4, which conflicts with sevenn).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule
from ase.calculators.calculator import InputError, PropertyNotImplementedError

from ase_electrolyte import Calculator

# fourth-order central differences with a 1e-3 step (Å, or strain): truncation ~h⁴ f⁽⁵⁾ is
# negligible and round-off ~δE/h stays ~1e-7 even for QUIP, whose energies carry ~1e-10 eV of
# noise (a 1e-4 second-order step would amplify that to ~1e-6)
_FD_STEP = 1e-3
_FD_ATOL = 1e-6


@contextlib.contextmanager
def _torch_default_dtype(dtype):
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def _hco_box():
    """Methanol and water in a small triclinic periodic cell, rattled so no force vanishes."""
    methanol = molecule("CH3OH")
    water = molecule("H2O")
    water.translate([2.6, 2.4, 2.2])
    atoms = methanol + water
    atoms.set_cell([[6.4, 0.0, 0.0], [0.7, 6.2, 0.0], [-0.4, 0.5, 6.0]])
    atoms.pbc = True
    atoms.translate([2.0, 2.0, 2.0])
    atoms.rattle(0.05, seed=3)
    return atoms


def _hco_molecule():
    atoms = molecule("CH3CH2OH")
    atoms.rattle(0.05, seed=4)
    return atoms


def _with_foreign_atom(atoms, symbol):
    atoms = atoms.copy()
    atoms += Atoms(symbol, positions=[atoms.positions.mean(axis=0) + [0.0, 0.0, 1.3]])
    return atoms


@dataclass
class ModelFile:
    """A model file written by a test, with the upstream calculator that reads it."""

    path: str
    backend: str
    upstream: object  # () -> the upstream ASE calculator of ``path``
    periodic: Atoms
    molecule: Atoms | None
    foreign: str  # an element the model does not cover
    upstream_context: object = contextlib.nullcontext  # () -> context to evaluate upstream in


#: the model files written in this process, by fixture: a module-scoped fixture imported into
#: another module (test_calculator*.py) is another fixture to pytest, which wrote the same file
#: again for each module; the file is now written once per run
_WRITTEN = {}


def _written_once(name, write, tmp_path_factory):
    """``write(tmp_path_factory)``'s :class:`ModelFile`, written on the first call; every caller
    gets its own copies of the structures, as when each module wrote its own file."""
    if name not in _WRITTEN:
        _WRITTEN[name] = write(tmp_path_factory)
    model_file = _WRITTEN[name]
    return dataclasses.replace(
        model_file, periodic=model_file.periodic.copy(),
        molecule=None if model_file.molecule is None else model_file.molecule.copy())


def _evaluate(calc, atoms, properties, context=contextlib.nullcontext):
    atoms = atoms.copy()
    with context():
        calc.calculate(atoms, properties, ["positions", "numbers", "cell", "pbc"])
    return {key: np.array(calc.results[key], dtype=np.float64) for key in properties}


def _energy(calc, atoms):
    atoms = atoms.copy()
    atoms.calc = calc
    return atoms.get_potential_energy()


def _derivative(energy_at, step=_FD_STEP):
    """d/dx of ``energy_at(x)`` at x = 0 by the five-point central stencil."""
    return (8.0 * (energy_at(step) - energy_at(-step))
            - (energy_at(2.0 * step) - energy_at(-2.0 * step))) / (12.0 * step)


# --------------------------------------------------------------------------------------------
# NequIP: a tiny float64 NequIP GNN, written by the two nequip-compile paths
# --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _plain_index_select():
    """TorchScript-compile with torch's own ``index_select``.

    torch_geometric (which sevenn and chgnet import) replaces ``torch.index_select`` with a
    Python wrapper that TorchScript cannot compile, and nequip's TorchScript writer scripts code
    that calls it; a model written in a process that never imported torch_geometric is unaffected.
    """
    import torch

    hash_tensor = sys.modules.get("torch_geometric.hash_tensor")
    if hash_tensor is None:
        yield
        return
    patched = torch.index_select
    torch.index_select = hash_tensor._old_index_select
    try:
        yield
    finally:
        torch.index_select = patched


def _nequip_model(num_layers=2):
    pytest.importorskip("nequip")
    import torch
    from nequip.model import NequIPGNNModel
    from nequip.utils.global_state import set_global_state

    # nequip's model builders require its global state, whose set-up changes torch's default
    # dtype: keep the test process's own
    with _torch_default_dtype(torch.get_default_dtype()):
        set_global_state(allow_tf32=False)
        model = NequIPGNNModel(
            seed=7, model_dtype="float64", type_names=["H", "C", "O"], r_max=3.5,
            num_layers=num_layers, l_max=1, num_features=4, radial_mlp_width=8, num_bessels=4,
            avg_num_neighbors=5.0,
            per_type_energy_shifts={"H": -13.6, "C": -1030.5, "O": -2042.6},
            per_type_energy_scales={"H": 0.5, "C": 1.5, "O": 2.0},
        )
    model.eval()
    return model


def _nequip_metadata(model):
    from nequip.utils.global_state import get_latest_global_state

    # what nequip-compile stores next to the model: its metadata plus the global state
    metadata = dict(model.metadata)
    metadata.update(get_latest_global_state(only_metadata_related=True))
    return {k: str(int(v)) if isinstance(v, bool) else v for k, v in metadata.items()}


def _nequip_upstream(path):
    from nequip.integrations.ase import NequIPCalculator

    return NequIPCalculator.from_compiled_model(path, device="cpu",
                                                chemical_species_to_atom_type_map=True)


def _nequip_context():
    import torch

    # nequip evaluates under the float64 default dtype that its global state sets at load time
    return _torch_default_dtype(torch.float64)


@pytest.fixture(scope="module")
def nequip_torchscript(tmp_path_factory):
    return _written_once("nequip_torchscript", _write_nequip_torchscript, tmp_path_factory)


def _write_nequip_torchscript(tmp_path_factory):
    """``--mode torchscript``: nequip-compile refuses it for torch >= 2.10 but nequip still reads
    such files (written by older installs), and this writer is the one nequip-compile uses."""
    import torch

    model = _nequip_model()
    from nequip.model.inference_models.torchscript import save_torchscript_model

    path = str(tmp_path_factory.mktemp("nequip") / "tiny.nequip.pth")
    with _torch_default_dtype(torch.get_default_dtype()), _plain_index_select():
        save_torchscript_model(model, _nequip_metadata(model), path, "cpu")
    return ModelFile(path, "nequip", lambda: _nequip_upstream(path), _hco_box(), _hco_molecule(),
                     "N", _nequip_context)


@pytest.fixture(scope="module")
def nequip_aotinductor(tmp_path_factory):
    return _written_once("nequip_aotinductor", _write_nequip_aotinductor, tmp_path_factory)


def _write_nequip_aotinductor(tmp_path_factory):
    """``--mode aotinductor --target ase``, the format of nequip-compile for current torch, done
    as nequip-compile does it (it only reads checkpoints or packages, which need a training
    run). One interaction layer and an unoptimised wrapper keep the C++ compilation to ~30 s."""
    import torch

    model = _nequip_model(num_layers=1)
    from nequip.data import from_ase
    from nequip.integrations.utils import basic_transforms
    from nequip.scripts._compile_utils import AOTI_ASE_TARGET, COMPILE_TARGET_DICT
    from nequip.utils.aot import aot_export_model
    from nequip.utils.aoti_metadata import (
        NEQUIP_AOTI_INPUTS_KEY,
        NEQUIP_AOTI_OUTPUTS_KEY,
        serialize_aoti_keys,
    )

    target = COMPILE_TARGET_DICT[AOTI_ASE_TARGET]
    metadata = _nequip_metadata(model)
    metadata[NEQUIP_AOTI_INPUTS_KEY] = serialize_aoti_keys(target["input"])
    metadata[NEQUIP_AOTI_OUTPUTS_KEY] = serialize_aoti_keys(target["output"])
    path = str(tmp_path_factory.mktemp("nequip") / "tiny.nequip.pt2")
    with _torch_default_dtype(torch.float64):
        data = from_ase(_hco_box())
        type_names = ["H", "C", "O"]
        for transform in basic_transforms(model.metadata, 3.5, type_names,
                                          {t: t for t in type_names}):
            data = transform(data)
        dim = torch.export.dynamic_shapes.Dim
        batch_map = target["batch_map_settings"]({
            "graph": torch.export.Dim.STATIC,
            "node": dim("num_nodes", min=2, max=torch.inf),
            "edge": dim("num_edges", min=2, max=torch.inf),
        })
        aot_export_model(
            model=model, device="cpu", input_fields=target["input"],
            output_fields=target["output"], data=target["data_settings"](data),
            batch_map=batch_map, output_path=path,
            inductor_configs={
                "aot_inductor.metadata": {k: str(v) for k, v in metadata.items()},
                "aot_inductor.compile_wrapper_opt_level": "O0",
            },
            seed=1,
        )
    return ModelFile(path, "nequip", lambda: _nequip_upstream(path), _hco_box(), _hco_molecule(),
                     "N", _nequip_context)


@pytest.fixture(scope="module")
def allegro_torchscript(tmp_path_factory):
    return _written_once("allegro_torchscript", _write_allegro_torchscript, tmp_path_factory)


def _write_allegro_torchscript(tmp_path_factory):
    """A tiny Allegro model (nequip-allegro); nequip's calculator reads it like a NequIP one."""
    pytest.importorskip("nequip")
    pytest.importorskip("allegro")
    import torch
    from allegro.model import AllegroModel
    from nequip.model.inference_models.torchscript import save_torchscript_model
    from nequip.utils.global_state import set_global_state

    with _torch_default_dtype(torch.get_default_dtype()):
        set_global_state(allow_tf32=False)
        model = AllegroModel(
            seed=3, model_dtype="float64", type_names=["H", "C", "O"], r_max=3.5, l_max=1,
            radial_chemical_embed={"_target_": "allegro.nn.TwoBodyBesselScalarEmbed",
                                   "num_bessels": 4},
            num_layers=1, num_scalar_features=8, num_tensor_features=4,
            allegro_mlp_hidden_layers_width=8, readout_mlp_hidden_layers_width=8,
            avg_num_neighbors=5.0,
            per_type_energy_shifts={"H": -13.6, "C": -1030.5, "O": -2042.6},
        )
        model.eval()
        path = str(tmp_path_factory.mktemp("allegro") / "tiny.nequip.pth")
        with _plain_index_select():
            save_torchscript_model(model, _nequip_metadata(model), path, "cpu")
    return ModelFile(path, "nequip", lambda: _nequip_upstream(path), _hco_box(), _hco_molecule(),
                     "N", _nequip_context)


# --------------------------------------------------------------------------------------------
# MACE: a tiny float64 ScaleShiftMACE saved with torch.save, as mace_run_train writes it
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mace_model(tmp_path_factory):
    return _written_once("mace_model", _write_mace_model, tmp_path_factory)


def _write_mace_model(tmp_path_factory):
    pytest.importorskip("mace")  # before e3nn: mace sets torch.load's weights_only policy
    import torch
    from e3nn import o3
    from mace import modules

    with _torch_default_dtype(torch.float64):
        torch.manual_seed(11)
        model = modules.ScaleShiftMACE(
            r_max=4.0, num_bessel=4, num_polynomial_cutoff=5, max_ell=2,
            interaction_cls=modules.interaction_classes["RealAgnosticResidualInteractionBlock"],
            interaction_cls_first=modules.interaction_classes[
                "RealAgnosticResidualInteractionBlock"],
            num_interactions=2, num_elements=3, hidden_irreps=o3.Irreps("4x0e + 4x1o"),
            MLP_irreps=o3.Irreps("4x0e"), gate=torch.nn.functional.silu,
            atomic_energies=np.array([-13.6, -1030.5, -2042.6]), avg_num_neighbors=5.0,
            atomic_numbers=[1, 6, 8], correlation=2, radial_type="bessel",
            atomic_inter_scale=0.8, atomic_inter_shift=0.1,
        )
    path = str(tmp_path_factory.mktemp("mace") / "tiny.model")
    torch.save(model, path)

    def upstream():
        from mace.calculators import MACECalculator

        return MACECalculator(model_paths=path, device="cpu", default_dtype="float64")

    return ModelFile(path, "mace", upstream, _hco_box(), _hco_molecule(), "N")


# --------------------------------------------------------------------------------------------
# GAP: a two-body GAP for Cu fitted by gap_fit to a few EMT structures (about a second)
# --------------------------------------------------------------------------------------------

def _cu_box():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 1, 1))
    atoms.set_cell(atoms.cell.array + [[0.0, 0.1, 0.0], [0.2, 0.0, 0.0], [0.0, 0.0, 0.0]],
                   scale_atoms=True)
    atoms.rattle(0.06, seed=5)
    return atoms


@pytest.fixture(scope="module")
def gap_model(tmp_path_factory):
    return _written_once("gap_model", _write_gap_model, tmp_path_factory)


def _write_gap_model(tmp_path_factory):
    pytest.importorskip("quippy")
    from ase.calculators.emt import EMT
    from ase.io import write

    gap_fit = shutil.which("gap_fit") or os.path.join(os.path.dirname(sys.executable), "gap_fit")
    if not os.path.exists(gap_fit):
        pytest.skip("quippy-ase is installed without its gap_fit program")
    folder = tmp_path_factory.mktemp("gap")
    frames = []
    for k in range(6):
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 1, 1))
        atoms.rattle(0.1, seed=k)
        atoms.set_cell(atoms.cell * (1.0 + 0.02 * (k - 3)), scale_atoms=True)
        atoms.calc = EMT()
        atoms.info["energy"] = atoms.get_potential_energy()
        atoms.arrays["forces"] = atoms.get_forces()
        atoms.calc = None
        frames.append(atoms)
    write(folder / "train.xyz", frames)
    subprocess.run(
        [gap_fit, "at_file=train.xyz", "gp_file=tiny.xml", "e0={Cu:-0.1}",
         "gap={distance_2b cutoff=4.0 covariance_type=ard_se delta=1.0 theta_uniform=1.0 "
         "n_sparse=15 sparse_method=uniform}",
         "default_sigma={0.002 0.02 0.02 0.0}",
         "energy_parameter_name=energy", "force_parameter_name=forces"],
        cwd=folder, check=True, capture_output=True,
    )
    path = str(folder / "tiny.xml")

    def upstream():
        from quippy.potential import Potential

        return Potential(param_filename=path)

    cluster = bulk("Cu", "fcc", a=3.6, cubic=True)
    cluster.pbc = False
    cluster.cell = None
    cluster.rattle(0.05, seed=6)
    return ModelFile(path, "gap", upstream, _cu_box(), cluster, "Au")


_MODEL_FIXTURES = ["nequip_torchscript", "nequip_aotinductor", "allegro_torchscript", "mace_model",
                   "gap_model"]


@pytest.fixture(params=_MODEL_FIXTURES)
def model_file(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def calculator(model_file):
    return Calculator(model_file.path, device="cpu")


# --------------------------------------------------------------------------------------------
# physics and agreement, for every backend
# --------------------------------------------------------------------------------------------

def test_backend_is_recognised_from_the_file(model_file, calculator):
    assert calculator.backend == model_file.backend


def test_matches_upstream_calculator_on_periodic_box(model_file, calculator):
    atoms = model_file.periodic
    before = atoms.positions.copy()
    props = ["energy", "forces", "stress", "energies"]
    ours = _evaluate(calculator, atoms, props)
    theirs = _evaluate(model_file.upstream(), atoms, props, model_file.upstream_context)
    np.testing.assert_allclose(ours["energy"], theirs["energy"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["forces"], theirs["forces"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["stress"], theirs["stress"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["energies"], theirs["energies"], rtol=0, atol=1e-6)
    # a tiny random model still has non-trivial forces, so the comparison means something
    assert np.abs(ours["forces"]).max() > 1e-3
    np.testing.assert_array_equal(atoms.positions, before)


def test_matches_upstream_calculator_on_molecule(model_file, calculator):
    atoms = model_file.molecule
    ours = _evaluate(calculator, atoms, ["energy", "forces"])
    theirs = _evaluate(model_file.upstream(), atoms, ["energy", "forces"],
                       model_file.upstream_context)
    np.testing.assert_allclose(ours["energy"], theirs["energy"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["forces"], theirs["forces"], rtol=0, atol=1e-6)
    work = atoms.copy()
    work.calc = calculator
    with pytest.raises(PropertyNotImplementedError, match="3D-periodic"):
        work.get_stress()


def test_forces_are_minus_energy_gradient(model_file, calculator):
    atoms = model_file.periodic.copy()
    atoms.calc = calculator
    forces = atoms.get_forces()
    numerical = np.zeros_like(forces)
    for i in range(len(atoms)):
        for k in range(3):
            def energy_at(shift, i=i, k=k):
                probe = model_file.periodic.copy()
                probe.positions[i, k] += shift
                return _energy(calculator, probe)

            numerical[i, k] = -_derivative(energy_at)
    np.testing.assert_allclose(forces, numerical, rtol=0, atol=_FD_ATOL)


def test_stress_is_strain_derivative_of_energy(model_file, calculator):
    atoms = model_file.periodic.copy()
    atoms.calc = calculator
    stress = atoms.get_stress(voigt=False)
    volume = atoms.get_volume()
    numerical = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            # E at the deformation gradient 1 + x e_a e_b; for a rotation-invariant energy
            # dE/dx / V is the Cauchy stress component ab
            def energy_at(x, a=a, b=b):
                deformation = np.eye(3)
                deformation[a, b] += x
                probe = model_file.periodic.copy()
                probe.set_cell(probe.cell.array @ deformation.T, scale_atoms=True)
                return _energy(calculator, probe)

            numerical[a, b] = _derivative(energy_at) / volume
    np.testing.assert_allclose(stress, numerical, rtol=0, atol=_FD_ATOL / volume)


def test_per_atom_energies_sum_to_energy(model_file, calculator):
    atoms = model_file.periodic.copy()
    atoms.calc = calculator
    energies = atoms.get_potential_energies()
    assert energies.shape == (len(atoms),)
    assert energies.sum() == pytest.approx(atoms.get_potential_energy(), abs=1e-8)
    # per-atom energies differ between chemically different atoms, they are not E / N
    assert np.ptp(energies) > 1e-4


def test_uncovered_element_raises_naming_it(model_file, calculator):
    atoms = _with_foreign_atom(model_file.periodic, model_file.foreign)
    atoms.calc = calculator
    with pytest.raises(ValueError, match=rf"element\(s\) {model_file.foreign}\b"):
        atoms.get_potential_energy()


# --------------------------------------------------------------------------------------------
# file recognition and the backend= override
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", ["nequip_torchscript", "nequip_aotinductor", "mace_model"])
def test_shared_suffix_is_told_apart_by_content(fixture, request, tmp_path):
    model_file = request.getfixturevalue(fixture)
    renamed = tmp_path / "weights.pt"  # the suffix of a SevenNet checkpoint
    shutil.copy(model_file.path, renamed)
    calc = Calculator(renamed, device="cpu")
    assert calc.backend == model_file.backend
    reference = _evaluate(Calculator(model_file.path, device="cpu"), model_file.periodic,
                          ["energy"])["energy"]
    assert _evaluate(calc, model_file.periodic, ["energy"])["energy"] == pytest.approx(
        reference, abs=1e-6)


@pytest.mark.parametrize("fixture", ["nequip_torchscript", "nequip_aotinductor", "mace_model",
                                     "gap_model"])
def test_backend_override_for_unknown_suffix(fixture, request, tmp_path):
    model_file = request.getfixturevalue(fixture)
    renamed = tmp_path / "weights.bin"
    shutil.copy(model_file.path, renamed)
    if model_file.backend == "gap":  # the XML names gap_fit's sparse-point file beside it
        folder = os.path.dirname(model_file.path)
        for extra in os.listdir(folder):
            if ".sparseX." in extra:
                shutil.copy(os.path.join(folder, extra), tmp_path / extra)
    with pytest.raises(ValueError, match="backend="):
        Calculator(renamed, device="cpu")
    calc = Calculator(renamed, device="cpu", backend=model_file.backend)
    assert calc.backend == model_file.backend
    ours = _evaluate(calc, model_file.periodic, ["energy", "forces"])
    theirs = _evaluate(model_file.upstream(), model_file.periodic, ["energy", "forces"],
                       model_file.upstream_context)
    np.testing.assert_allclose(ours["energy"], theirs["energy"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["forces"], theirs["forces"], rtol=0, atol=1e-6)


def test_nequip_override_on_a_file_that_is_no_nequip_model(tmp_path):
    pytest.importorskip("nequip")
    import torch

    path = tmp_path / "weights.pth"
    torch.save({"model_state_dict": {"w": torch.zeros(3)}}, path)
    with pytest.raises(ValueError, match="not a NequIP/Allegro compiled model"):
        Calculator(path, device="cpu", backend="nequip")


# --------------------------------------------------------------------------------------------
# backend specifics
# --------------------------------------------------------------------------------------------

def test_nequip_is_right_under_float32_default_dtype(nequip_aotinductor):
    """nequip builds its inputs in torch's default dtype; under the float32 default that most
    processes run with, its own calculator feeds an AOTInductor model float32 data and gets wrong
    numbers (6e-4 eV off for this box and model, 1 eV for a two-layer one). Ours must give the
    float64 answer regardless."""
    import torch

    model_file = nequip_aotinductor
    theirs = _evaluate(model_file.upstream(), model_file.periodic, ["energy", "forces"],
                       model_file.upstream_context)
    with _torch_default_dtype(torch.float32):
        calc = Calculator(model_file.path, device="cpu")
        ours = _evaluate(calc, model_file.periodic, ["energy", "forces"])
        assert torch.get_default_dtype() == torch.float32
    np.testing.assert_allclose(ours["energy"], theirs["energy"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["forces"], theirs["forces"], rtol=0, atol=1e-6)


_FRESH_PROCESS_LOAD = """
import random, sys
import numpy as np, torch
from ase_electrolyte import Calculator
random.seed(5); np.random.seed(5); torch.manual_seed(5)
expected = (random.random(), np.random.random(), torch.rand(1).item())
random.seed(5); np.random.seed(5); torch.manual_seed(5)
Calculator(sys.argv[1], device="cpu")
got = (random.random(), np.random.random(), torch.rand(1).item())
print(torch.get_default_dtype(), got == expected)
"""


def test_nequip_load_leaves_process_state_alone(nequip_torchscript):
    """nequip's first model load in a process sets torch's default dtype to float64 and reseeds
    random, numpy and torch; loading through us must leave the caller's process as it was. Run in
    a fresh interpreter because only the first load in a process does this."""
    result = subprocess.run([sys.executable, "-c", _FRESH_PROCESS_LOAD, nequip_torchscript.path],
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["torch.float32", "True"], result.stderr[-2000:]


def test_nequip_elements_follow_species_map(nequip_torchscript):
    """With a species map that leaves out O, oxygen is outside what the calculator covers."""
    calc = Calculator(nequip_torchscript.path, device="cpu",
                      chemical_species_to_atom_type_map={"H": "H", "C": "C"})
    atoms = nequip_torchscript.periodic.copy()
    atoms.calc = calc
    with pytest.raises(ValueError, match=r"element\(s\) O\b"):
        atoms.get_potential_energy()


def test_mace_dtype_option_converts_the_model(mace_model):
    from mace.calculators import MACECalculator

    atoms = mace_model.periodic
    ours = _evaluate(Calculator(mace_model.path, device="cpu", dtype="float32"), atoms,
                     ["energy", "forces"])
    theirs = _evaluate(MACECalculator(model_paths=mace_model.path, device="cpu",
                                      default_dtype="float32"), atoms, ["energy", "forces"])
    np.testing.assert_allclose(ours["energy"], theirs["energy"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours["forces"], theirs["forces"], rtol=0, atol=1e-6)
    float64 = _evaluate(Calculator(mace_model.path, device="cpu"), atoms, ["energy"])
    # float32 rounding is visible at this energy scale (~1e4 eV), so the conversion happened
    assert ours["energy"] != float64["energy"]
    assert ours["energy"] == pytest.approx(float64["energy"], abs=1e-2)


# ------------------------------------------------------------------ damaged and foreign files
def _sevennet_checkpoint():
    pytest.importorskip("sevenn")
    from sevenn.util import pretrained_name_to_path

    path = pretrained_name_to_path("7net-0_11Jul2024")
    assert os.path.isfile(path), path
    return path


def _make_damaged(kind, folder):
    """A file (or non-file) of ``kind`` in ``folder``; returns its path and the expected text."""
    if kind == "directory":
        path = folder / "model.pth"
        path.mkdir()
        return path, "is not a file"
    if kind.startswith("empty"):
        path = folder / ("model" + kind[len("empty"):])
        path.write_bytes(b"")
        return path, "is empty"
    if kind == "dangling link":
        path = folder / "model.pth"
        path.symlink_to(folder / "gone.pth")
        return path, "symbolic link that does not resolve"
    if kind == "link loop":
        path = folder / "model.pth"
        path.symlink_to(path)
        return path, "symbolic link that does not resolve"
    if kind == "text as torch":
        path = folder / "model.pth"
        path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:0\n")
        return path, "is not a torch file"
    if kind == "truncated checkpoint":
        path = folder / "model.pth"
        data = open(_sevennet_checkpoint(), "rb").read()
        path.write_bytes(data[: len(data) // 2])
        return path, "damaged zip archive"
    if kind == "binary as xml":
        path = folder / "model.xml"
        path.write_bytes(b"PK\x03\x04" + bytes(60))
        return path, "is not XML"
    raise AssertionError(kind)


_DAMAGED = ["directory", "empty.pth", "empty.model", "empty.xml", "empty.nequip.pt2",
            "dangling link", "link loop", "text as torch", "truncated checkpoint",
            "binary as xml"]


@pytest.mark.parametrize("kind", _DAMAGED)
def test_damaged_model_files_are_named_before_any_loader_runs(kind, tmp_path, monkeypatch):
    """check_model and Calculator refuse the file by name and reason; no loader is called
    (they used to fail inside it with IsADirectoryError, EOFError or KeyError: 101)."""
    from ase_electrolyte import models
    from ase_electrolyte.models import check_model

    path, reason = _make_damaged(kind, tmp_path)

    def never(*args):
        raise AssertionError("the loader ran on a damaged file")

    monkeypatch.setattr(models, "_LOADERS", dict.fromkeys(models._LOADERS, never))
    with pytest.raises(ValueError, match=reason) as err:
        check_model(str(path))
    assert str(path) in str(err.value)
    with pytest.raises(InputError, match=reason) as err:
        Calculator(str(path), device="cpu")
    assert str(path) in str(err.value)


def test_foreign_file_of_the_right_format_is_named_with_the_backend(tmp_path):
    """A torch archive that holds no SevenNet checkpoint fails in the loader; the error names
    the file and the backend tried (it was a bare ``KeyError: 'cutoff'``)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("sevenn")
    path = tmp_path / "weights.pth"
    torch.save({"w": torch.ones(3)}, path)
    with pytest.raises(InputError, match="cannot be loaded as a sevennet model") as err:
        Calculator(str(path), device="cpu")
    assert str(path) in str(err.value) and "cutoff" in str(err.value)


def test_foreign_xml_is_named_with_the_backend(tmp_path):
    pytest.importorskip("quippy")
    path = tmp_path / "notgap.xml"
    path.write_text("<settings><cutoff>5.0</cutoff></settings>\n")
    with pytest.raises(InputError, match="cannot be loaded as a gap model") as err:
        Calculator(str(path), device="cpu")
    assert str(path) in str(err.value)


def test_a_relative_model_path_is_recorded_absolute(tmp_path, monkeypatch):
    """``Calculator(**calc.todict())`` from another working folder loads the same file."""
    (tmp_path / "run" / "models").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "run" / "models" / "mine.pth").symlink_to(_sevennet_checkpoint())
    monkeypatch.chdir(tmp_path / "run")
    calc = Calculator(os.path.join("models", "mine.pth"), device="cpu")
    record = calc.todict()
    assert record["model"] == str(tmp_path / "run" / "models" / "mine.pth")
    loaded = calc._model_calc
    # the same file under its relative name is no change and loads nothing
    assert calc.set(model=os.path.join(".", "models", "mine.pth")) == {}
    assert calc._model_calc is loaded
    monkeypatch.chdir(tmp_path / "elsewhere")
    again = Calculator(**record)
    assert again.model == record["model"]
    atoms = molecule("H2O")
    assert again.get_potential_energy(atoms) == pytest.approx(
        calc.get_potential_energy(atoms), abs=1e-6)
