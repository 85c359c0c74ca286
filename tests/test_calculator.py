"""ase_electrolyte.Calculator: equality with the upstream calculators, derivatives, invariances,
bad input."""

import re

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.calculator import InputError, PropertyNotImplementedError
from scipy.spatial.transform import Rotation

# the tiny NequIP model file (module scope) of the model-file tests: a model loaded in a second
from test_model_files import nequip_torchscript  # noqa: F401

from ase_electrolyte import Calculator, list_models

pytest.importorskip("sevenn")


@pytest.fixture(scope="module")
def sevennet():
    return Calculator("sevennet-0", device="cpu")


@pytest.fixture(scope="module")
def chgnet():
    pytest.importorskip("chgnet")
    return Calculator("chgnet-0.3.0", device="cpu")


@pytest.fixture(scope="module")
def liquid_box(electrolyte_box_small):
    """A small periodic LiPF6/EC/EMC box, slightly perturbed so no force vanishes by symmetry."""
    atoms = electrolyte_box_small.copy()
    rng = np.random.default_rng(7)
    atoms.positions += rng.normal(scale=0.02, size=atoms.positions.shape)
    return atoms


@pytest.fixture(scope="module")
def small_box():
    """A 28-atom periodic box (1 LiPF6, 2 EC; 8.1 Å, so atoms also see their own images),
    perturbed as ``liquid_box``.

    For the checks whose meaning does not depend on the size (the strain derivative: its
    float32 noise and stencil error per volume are intensive; sums of terms): a SevenNet-0 call
    on the 58-atom box costs 4.4 times as much CPU (5.0 s against 1.1 s on a loaded 2-core
    machine), and the strain derivative makes 25 of them.
    """
    pytest.importorskip("rdkit")
    from ase_electrolyte.build import electrolyte_box

    atoms = electrolyte_box(counts={"EC": 2, "Li": 1, "PF6": 1}, seed=0)
    rng = np.random.default_rng(7)
    atoms.positions += rng.normal(scale=0.02, size=atoms.positions.shape)
    return atoms


def _ev(atoms, calc):
    atoms = atoms.copy()
    atoms.calc = calc
    out = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
    if atoms.pbc.all():
        out["stress"] = atoms.get_stress()
    return out


def test_sevennet_equals_upstream_on_box_and_molecule(sevennet, liquid_box):
    from sevenn.calculator import SevenNetCalculator

    upstream = SevenNetCalculator("7net-0", device="cpu")
    for atoms in (liquid_box, molecule("CH3CH2OH")):
        ours, ref = _ev(atoms, sevennet), _ev(atoms, upstream)
        # forces and stress to float32 reproducibility across model instances
        assert ours["energy"] == pytest.approx(ref["energy"], abs=1e-6)
        np.testing.assert_allclose(ours["forces"], ref["forces"], atol=1e-5)
        if "stress" in ref:
            np.testing.assert_allclose(ours["stress"], ref["stress"], atol=1e-7)


def test_chgnet_equals_upstream_on_box(chgnet, liquid_box):
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    upstream = CHGNetCalculator(CHGNet.load(model_name="0.3.0", use_device="cpu", verbose=False),
                                use_device="cpu")
    # the model is given the atoms wrapped into the cell (CHGNet's float32 forces on atoms
    # outside it differ by up to 6e-5 eV/Å)
    unwrapped = _ev(liquid_box, chgnet)
    liquid_box = liquid_box.copy()
    liquid_box.wrap()
    ours, ref = _ev(liquid_box, chgnet), _ev(liquid_box, upstream)
    np.testing.assert_allclose(unwrapped["forces"], ours["forces"], atol=2e-4)
    assert ours["energy"] == pytest.approx(ref["energy"], abs=1e-6)
    np.testing.assert_allclose(ours["forces"], ref["forces"], atol=1e-6)
    np.testing.assert_allclose(ours["stress"], ref["stress"], atol=1e-8)
    # that CHGNet's own unit and sign conventions end up as ASE's (σ = (1/V) ∂E/∂ε) is the
    # contract's strain-derivative check of chgnet_case (test_calculator_contract.py): along a
    # random symmetric strain, every component at once


def test_chgnet_evaluates_a_molecule_without_cell(chgnet):
    atoms = molecule("H2O")
    atoms.calc = chgnet
    forces = atoms.get_forces()
    assert np.isfinite(atoms.get_potential_energy())
    # an isolated molecule feels no net force
    np.testing.assert_allclose(forces.sum(axis=0), 0.0, atol=2e-3)
    with pytest.raises(PropertyNotImplementedError, match="3D-periodic"):
        atoms.get_stress()


# forces as minus the energy gradient of SevenNet-0: the contract's check of sevennet_case
# (test_calculator_contract.py), on ethanol rattled by 0.05 Å and on a periodic box, along a
# random direction of all atoms and along one component, at a 4x tighter tolerance (5e-3 eV/Å)
# than the per-component check that stood here


@pytest.mark.slow
def test_stress_is_strain_derivative(sevennet, small_box):
    atoms = small_box.copy()
    atoms.calc = sevennet
    stress = atoms.get_stress(voigt=False)
    volume = atoms.get_volume()
    # SevenNet-0's energy is float32: one ulp of ~160 eV is 1.5e-5 eV, which a two-point
    # difference at h = 1e-3 turns into ~1.5e-5 eV/Å³ of noise (530 Å³), the size of the
    # tolerance; the five-point stencil at h = 4e-3 keeps the noise near 7e-6 (measured at most
    # 9e-6 over the six components, of stresses of 2e-4 to 1e-2) and the O(h^4) error far below
    h = 4e-3
    for i, j in ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)):
        energies = {}
        for k in (2, 1, -1, -2):
            strain = np.eye(3)
            strain[i, j] += k * h / (1 if i == j else 2)
            if i != j:
                strain[j, i] += k * h / 2
            strained = atoms.copy()
            strained.set_cell(atoms.cell.array @ strain, scale_atoms=True)
            strained.calc = sevennet
            energies[k] = strained.get_potential_energy()
        derivative = (-energies[2] + 8 * energies[1] - 8 * energies[-1] + energies[-2]) / (12 * h)
        assert derivative / volume == pytest.approx(stress[i, j], abs=2e-5)


def test_translation_and_rotation_invariance(sevennet):
    atoms = molecule("CH3CH2OH")
    atoms.calc = sevennet
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    rotation = Rotation.from_euler("xyz", [0.3, -1.1, 2.0])
    moved = atoms.copy()
    moved.positions = rotation.apply(atoms.positions) + [3.0, -2.0, 7.5]
    moved.calc = sevennet
    assert moved.get_potential_energy() == pytest.approx(energy, abs=1e-4)
    np.testing.assert_allclose(moved.get_forces(), rotation.apply(forces), atol=1e-4)


def test_per_atom_energies_sum_to_energy(sevennet, liquid_box):
    atoms = liquid_box.copy()
    atoms.calc = sevennet
    assert atoms.get_potential_energies().sum() == pytest.approx(atoms.get_potential_energy(),
                                                                 abs=1e-3)
    assert atoms.get_potential_energy() == atoms.get_potential_energy(force_consistent=True)


def test_one_model_evaluation_per_state(sevennet, monkeypatch):
    atoms = molecule("H2O")
    calls = []
    original = sevennet._model_calc.calculate

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(sevennet._model_calc, "calculate", counting)
    atoms.calc = sevennet
    atoms.get_potential_energy()
    atoms.get_forces()
    atoms.get_potential_energies()
    assert len(calls) == 1
    atoms.positions[0, 0] += 0.01
    atoms.get_forces()
    assert len(calls) == 2


def test_caller_atoms_not_modified(chgnet):
    atoms = molecule("H2O")
    before = (atoms.positions.copy(), atoms.cell.array.copy(), atoms.pbc.copy())
    atoms.calc = chgnet
    atoms.get_forces()
    np.testing.assert_array_equal(atoms.positions, before[0])
    np.testing.assert_array_equal(atoms.cell.array, before[1])
    np.testing.assert_array_equal(atoms.pbc, before[2])


def test_list_models_names_backends():
    names = {m.name: m for m in list_models()}
    assert {"sevennet-0", "sevennet-0-22may2024", "sevennet-mf-0", "sevennet-l3i5",
            "chgnet-0.3.0", "chgnet-0.2.0"} <= set(names)
    assert names["sevennet-0"].installed and names["sevennet-0"].extra == "sevennet"


def test_other_registered_sevennet_models_load(sevennet):
    atoms = molecule("H2O")
    calc = Calculator("sevennet-mf-0", device="cpu", modal="PBE")
    emf = _ev(atoms, calc)["energy"]
    assert np.isfinite(emf)
    assert calc.parameters["modal"] == "PBE"
    # a new model is loaded by set(); the multi-fidelity option does not carry over to it
    assert set(calc.set(model="sevennet-0-22may2024")) >= {"model", "modal"}
    assert "modal" not in calc.parameters and calc.model == "sevennet-0-22may2024"
    e22 = _ev(atoms, calc)["energy"]
    e11 = _ev(atoms, sevennet)["energy"]
    assert np.isfinite(e22) and e22 != e11 and e22 != emf


# --- bad input -------------------------------------------------------------------------------


def test_unknown_model_lists_known_names():
    with pytest.raises(ValueError, match="sevennet-0.*chgnet-0.3.0"):
        Calculator("sevennet-99", device="cpu")


def test_missing_backend_names_the_extra(monkeypatch):
    import ase_electrolyte.models as models

    monkeypatch.setattr(models, "_installed", lambda backend: False)
    with pytest.raises(ImportError, match=r"ase-electrolyte\[chgnet\]"):
        Calculator("chgnet-0.3.0", device="cpu")


def test_multifidelity_model_needs_modal():
    with pytest.raises(ValueError, match="modal"):
        Calculator("sevennet-mf-0", device="cpu")


@pytest.fixture
def no_loading(monkeypatch):
    """Every backend loader fails the test: what is refused must be refused before a load."""
    from ase_electrolyte import models

    def never(*args):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(models, "_LOADERS", dict.fromkeys(models._LOADERS, never))


@pytest.mark.parametrize(("model", "modal", "reason"), [
    ("sevennet-mf-0", "XYZ", r"unknown modal 'XYZ' for 'sevennet-mf-0'; choose one of \['PBE'"),
    ("sevennet-mf-0", "PBE0", r"unknown modal .PBE0. for .sevennet-mf-0. \(did you mean .PBE.\?\)"),
    ("sevennet-mf-0", None, r"multi-fidelity: pass modal=\.\.\., one of \['PBE', 'R2SCAN'\]"),
    ("sevennet-0", "PBE", r"'sevennet-0' has one fidelity and takes no modal \(got modal='PBE'\)"),
    ("sevennet-l3i5", "R2SCAN", r"'sevennet-l3i5' has one fidelity and takes no modal"),
    ("chgnet-0.3.0", "PBE", r"'chgnet-0.3.0' has one fidelity and takes no modal"),
])
def test_a_modal_the_registered_model_cannot_take_is_refused_before_loading(
        model, modal, reason, no_loading):
    """SevenNet ignored a modal given to a one-fidelity model (with only a warning) and
    checked an unknown modal of a multi-fidelity model only after loading it."""
    with pytest.raises(InputError, match=reason):
        Calculator(model, device="cpu", modal=modal)


def test_a_modal_given_to_a_one_fidelity_checkpoint_file_is_refused(tmp_path):
    from sevenn.util import pretrained_name_to_path

    path = tmp_path / "mine.pth"
    path.symlink_to(pretrained_name_to_path("7net-0_11Jul2024"))
    with pytest.raises(InputError, match=r"mine.pth' has one fidelity and takes no modal"):
        Calculator(str(path), device="cpu", modal="PBE")


@pytest.mark.parametrize(("model", "backend"), [
    ("sevennet-0", "chgnet"), ("sevennet-0", "mace"), ("chgnet-0.3.0", "sevennet"),
    ("sevennet-0", "no-such-backend"),
])
def test_a_backend_contradicting_a_registered_name_is_refused(model, backend, no_loading):
    """It was ignored: the name's own backend loaded the model without a word."""
    with pytest.raises(InputError, match=f"{model!r} is a .* model; backend={backend!r} "
                                         "cannot load it"):
        Calculator(model, device="cpu", backend=backend)


@pytest.mark.parametrize("index", [True, 1.0, -1, "1", None])
def test_a_device_index_that_is_no_integer_is_refused(index):
    """``Device("cuda", True)`` printed as "cuda:True", which no backend reads."""
    from ase_electrolyte.device import Device

    with pytest.raises(ValueError, match=f"device index must be an integer >= 0, not "
                                         f"{re.escape(repr(index))}"):
        Device("cuda", index)
    assert str(Device("cuda", np.int64(2))) == "cuda:2"


@pytest.mark.parametrize("kind", ["meta", "mps", "xpu"])
def test_a_torch_device_that_is_neither_cpu_nor_cuda_is_refused(kind, no_loading):
    """It was taken for the CPU, so the model silently ran elsewhere than asked."""
    import torch

    from ase_electrolyte.device import parse_device

    device = torch.device(kind)
    with pytest.raises(ValueError, match=f"CPU or CUDA device, not torch.device\\('{kind}'\\)"):
        parse_device(device)
    with pytest.raises(InputError, match=f"torch.device\\('{kind}'\\)"):
        Calculator("sevennet-0", device=device)


def test_unknown_option_and_dtype_are_rejected():
    # ASE's InputError, which stays a ValueError for callers that catch that
    with pytest.raises(InputError, match="no option"):
        Calculator("sevennet-0", device="cpu", temperature=300)
    with pytest.raises(ValueError, match="dtype"):
        Calculator("sevennet-0", device="cpu", dtype="float64")


def test_missing_model_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        Calculator(str(tmp_path / "nothing.model"), device="cpu")


def test_bad_dispersion_spec_fails_before_model_load():
    with pytest.raises(ValueError, match="unknown dispersion"):
        Calculator("sevennet-0", dispersion="d4", device="cpu")


def test_uncovered_element_is_named(sevennet):
    atoms = Atoms(["H", "O", "Og"], positions=[[0, 0, 0], [0, 0, 1.0], [0, 1.5, 0]])
    atoms.calc = sevennet
    with pytest.raises(ValueError, match="Og"):
        atoms.get_potential_energy()


def test_non_finite_positions_raise(sevennet):
    atoms = molecule("H2O")
    atoms.positions[1, 2] = np.nan
    atoms.calc = sevennet
    with pytest.raises(ValueError, match="non-finite positions.*indices 1"):
        atoms.get_forces()


def test_model_nan_is_an_error_naming_the_closest_atoms(sevennet, monkeypatch):
    # a model may return NaN without an error (SevenNet-0 does for coincident atoms, which
    # are now refused before it): the closest pair is named, no result is kept
    from ase.calculators.calculator import CalculationFailed
    from calculator_contract import nan_from_model

    nan_from_model(monkeypatch, sevennet)
    atoms = molecule("H2O")
    atoms.calc = sevennet
    sevennet.reset()
    with pytest.raises(CalculationFailed, match=r"non-finite energy.*closest atoms O0-H1"):
        atoms.get_forces()
    assert atoms.calc.results == {}


def _broken_structures():
    coincident = molecule("H2O")
    coincident.positions[2] = coincident.positions[1]
    image = molecule("H2O", cell=[6.0, 6.0, 6.0], pbc=True)
    image.positions[2] = image.positions[1] + [0.0, 6.0, 0.0]  # on the image of H1
    thin = molecule("H2O", vacuum=3.0, pbc=True)
    thin.set_cell([[6.0, 0.0, 0.0], [5.99, 0.01, 0.0], [0.0, 0.0, 6.0]])
    return [(coincident, "H1-H2 at 0 Å"), (image, "H1-H2 at"), (thin, "thin across a face"),
            (Atoms(), "at least one atom"), (Atoms(cell=[5, 5, 5], pbc=True), "at least one atom")]


@pytest.mark.parametrize("atoms, match", _broken_structures())
def test_overlapping_atoms_thin_cells_and_no_atoms_are_refused_before_the_model(
        nequip_torchscript, atoms, match, monkeypatch):  # noqa: F811
    # coincident atoms reached the model (NaN), a 0.01 Å thin cell gave a finite -2e4 eV and
    # an empty Atoms torch's "min(): Expected reduction dim" RuntimeError
    calc = Calculator(nequip_torchscript.path, device="cpu")
    monkeypatch.setattr(calc._model_calc, "calculate", lambda *a, **k: pytest.fail("evaluated"))
    atoms.calc = calc
    with pytest.raises(InputError, match=match):
        atoms.get_potential_energy()
    assert not calc.results


def test_a_changed_total_charge_reaches_the_summed_electrostatics(nequip_torchscript):  # noqa: F811
    # ASE's check_state does not compare info["charge"]: the Calculator returned the energy of
    # the previous total charge (its electrostatics term too, even after calc.reset())
    from ase_electrolyte import Electrostatics

    qrd = {"H": (0.4, 1.0), "C": (0.0, 1.0), "O": (-0.8, 1.0)}
    options = dict(electrostatics={"qrd": qrd, "background": True}, device="cpu")
    calc = Calculator(nequip_torchscript.path, **options)
    assert isinstance(calc.electrostatics, Electrostatics)
    atoms = molecule("CH3OH", vacuum=4.0, pbc=True)
    atoms.calc = calc
    neutral = atoms.get_potential_energy()
    atoms.info["charge"] = 1.0
    charged = atoms.get_potential_energy()
    fresh = atoms.copy()
    fresh.calc = Calculator(nequip_torchscript.path, **options)
    # the lattice sum keeps the set tuned for the neutral molecule while it meets the tolerance
    # for the new charges (electrostatics' kept sets): 2e-7 eV from a freshly tuned one
    assert charged == pytest.approx(fresh.get_potential_energy(), abs=1e-6)
    assert abs(charged - neutral) > 1e-3
    assert calc.check_state(atoms) == []


def test_zero_volume_cell_raises(sevennet):
    atoms = molecule("H2O", cell=[[5, 0, 0], [0, 5, 0], [5, 5, 0]], pbc=True)
    atoms.calc = sevennet
    with pytest.raises(ValueError, match="zero volume"):
        atoms.get_potential_energy()


def test_cuda_without_gpu_is_refused():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        Calculator("sevennet-0", device="cuda")


def test_dispersion_is_summed_inside_one_calculator(sevennet, small_box):
    from ase_electrolyte import D3

    # short cutoffs keep the test fast; the sum does not depend on them
    settings = dict(damping="bj", functional="pbe", cutoff=12.0, cn_cutoff=8.0)
    combined = Calculator("sevennet-0", dispersion=D3(**settings), device="cpu")
    atoms = small_box.copy()
    atoms.calc = combined
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    stress, energies = atoms.get_stress(), atoms.get_potential_energies()
    # the model's own output of this very evaluation (float32 models are not bit-reproducible
    # across calls, so a second model call would blur an exact check)
    model = combined._model_calc.results
    ref = atoms.copy()
    ref.calc = D3(**settings)
    assert ref.get_potential_energy() < 0  # dispersion binds
    assert energy == pytest.approx(float(model["energy"]) + ref.get_potential_energy(), abs=1e-9)
    np.testing.assert_allclose(forces, model["forces"] + ref.get_forces(), atol=1e-9)
    np.testing.assert_allclose(stress, model["stress"] + ref.get_stress(), atol=1e-12)
    np.testing.assert_allclose(energies, model["energies"] + ref.get_potential_energies(),
                               atol=1e-9)
    # and the model part is what the model alone gives, to float32 reproducibility (the
    # module's SevenNet-0: a second load of the same model checks nothing more)
    alone = small_box.copy()
    alone.calc = sevennet
    assert alone.get_potential_energy() == pytest.approx(float(model["energy"]), abs=1e-4)


def test_dispersion_spec_builds_pbe_d3():
    calc = Calculator("sevennet-0", dispersion="d3-zero", device="cpu")
    assert calc.dispersion.damping == "zero"
    assert calc.dispersion.cutoff == pytest.approx(50.2)


def test_dispersion_uncovered_element_is_named():
    calc = Calculator("sevennet-0", dispersion="d3-bj", device="cpu")
    atoms = Atoms(["H", "Am"], positions=[[0, 0, 0], [0, 0, 2.0]])
    atoms.calc = calc
    with pytest.raises(ValueError, match="Am"):
        atoms.get_potential_energy()


def test_dispersion_falls_back_to_cpu_when_the_cuda_kernel_cannot_be_built(monkeypatch):
    # a GPU machine without nvcc: the model uses the GPU through torch, D3 must still work
    from ase_electrolyte.d3 import backend

    real = backend.select_device

    def no_cuda_build(device):
        if str(device).startswith("cuda"):
            raise RuntimeError("nvcc not found")
        return real(device)

    monkeypatch.setattr(backend, "select_device", no_cuda_build)
    with pytest.warns(RuntimeWarning, match="CPU kernel"):
        disp = Calculator._make_dispersion("d3-bj", "cuda:1")
    assert disp.device == "cpu"
    assert disp.damping == "bj"


# --- ASE parameters contract ------------------------------------------------------------------


def test_todict_records_model_device_and_dispersion_cutoffs(sevennet):
    import json

    from ase_electrolyte import D3

    loaded = sevennet._model_calc
    record = sevennet.todict()
    assert record["model"] == "sevennet-0" and record["backend"] == "sevennet"
    assert record["device"] == "cpu" and record["dispersion"] is None
    try:
        assert set(sevennet.set(dispersion="d3-zero")) == {"dispersion"}
        assert sevennet._model_calc is loaded  # a new term, not a new model
        dispersion = json.loads(json.dumps(sevennet.todict()))["dispersion"]
        assert dispersion["damping"] == "zero" and dispersion["device"] == "cpu"
        assert dispersion["cutoff"] == 50.2 and dispersion["cn_cutoff"] == 20.0
        assert sevennet.dispersion.damping == "zero"
        # the term's own options changed afterwards: the summed results are not reused
        atoms = molecule("CH3CH2OH", cell=[6.0, 6.5, 7.0], pbc=True)
        atoms.calc = sevennet
        e_long = atoms.get_potential_energy()
        sevennet.dispersion.cutoff = 4.0
        assert atoms.get_potential_energy() - e_long == pytest.approx(
            _ev(atoms, D3(damping="zero", cutoff=4.0, device="cpu"))["energy"]
            - _ev(atoms, D3(damping="zero", device="cpu"))["energy"], abs=1e-4)
    finally:
        sevennet.set(dispersion=None)
    assert sevennet.dispersion is None and sevennet._model_calc is loaded


def test_set_cannot_turn_a_calculator_into_a_committee(sevennet):
    loaded = sevennet._model_calc
    with pytest.raises(InputError, match=r"a list of models is a committee: build it with "
                                         r"Calculator\(\[\.\.\.\]\)"):
        sevennet.set(model=["sevennet-0", "sevennet-0-22may2024"])
    assert sevennet.model == "sevennet-0" and sevennet._model_calc is loaded


def test_one_device_vocabulary(sevennet):
    import torch

    from ase_electrolyte.device import Device

    loaded = sevennet._model_calc
    # the same device in every spelling changes nothing and loads nothing
    for same in ("cpu", "CPU", Device("cpu"), torch.device("cpu")):
        assert sevennet.set(device=same) == {}
    assert sevennet._model_calc is loaded and sevennet.parameters["device"] == "cpu"
    with pytest.raises(InputError, match="device must be"):
        sevennet.set(device="gpu:0")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA GPU"):
            sevennet.set(device="cuda:0")
    assert sevennet.parameters["device"] == "cpu" and sevennet._model_calc is loaded


def test_d3_options_are_parameters_and_attributes():
    from ase_electrolyte import D3

    atoms = molecule("CH3CH2OH", cell=[6.0, 6.5, 7.0], pbc=True)  # images beyond 5 Å
    calc = D3(device="cpu", cutoff=8.0, cn_cutoff=6.0)
    atoms.calc = calc
    e8 = atoms.get_potential_energy()
    calc.cutoff = 5.0  # the attribute goes through set(): results reset, kernel input changed
    assert calc.parameters["cutoff"] == 5.0 and not calc.results
    fresh = atoms.copy()
    fresh.calc = D3(device="cpu", cutoff=5.0, cn_cutoff=6.0)
    assert atoms.get_potential_energy() == pytest.approx(fresh.get_potential_energy(), abs=1e-14)
    assert atoms.get_potential_energy() != pytest.approx(e8, abs=1e-6)
    # a bad value is refused and the calculator keeps its options
    with pytest.raises(InputError, match="smooth_cutoff"):
        calc.set(smooth_cutoff=6.0)
    assert calc.parameters["smooth_cutoff"] is None and calc.cutoff == 5.0
    assert D3(**calc.todict()).todict() == calc.todict()


@pytest.mark.parametrize("pbc, zero_cell, long_cell", [
    ((True, True, False), [[6.0, 0.0, 0.0], [1.0, 6.0, 0.0], [0.0, 0.0, 0.0]],
     [[6.0, 0.0, 0.0], [1.0, 6.0, 0.0], [0.0, 0.0, 40.0]]),
    ((True, False, True), [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 7.0]],
     [[6.0, 0.0, 0.0], [0.0, 40.0, 0.0], [0.0, 0.0, 7.0]]),
    ((False, False, True), [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 6.5]],
     [[40.0, 0.0, 0.0], [0.0, 40.0, 0.0], [0.0, 0.0, 6.5]]),
])
def test_a_slab_or_wire_without_non_periodic_cell_vectors_on_a_crystal_graph_model(
        chgnet, pbc, zero_cell, long_cell):
    # CHGNet needs an invertible lattice: a zero vector along a non-periodic direction was a
    # bare LinAlgError 'Singular matrix'; no image exists along it, so any vector gives the
    # numbers of a long one
    atoms = molecule("CH3CH2OH")
    atoms.rattle(0.05, seed=1)
    results = []
    for cell in (zero_cell, long_cell):
        probe = atoms.copy()
        probe.cell, probe.pbc = cell, pbc
        before = probe.copy()
        probe.calc = chgnet
        results.append((probe.get_potential_energy(), probe.get_forces()))
        np.testing.assert_array_equal(probe.cell[:], before.cell[:])
        np.testing.assert_array_equal(probe.positions, before.positions)
    assert results[0][0] == pytest.approx(results[1][0], abs=1e-4)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-4)
    # the periodic images are felt: a molecule alone has another energy
    alone = atoms.copy()
    alone.calc = chgnet
    assert abs(alone.get_potential_energy() - results[0][0]) > 3e-4


@pytest.mark.parametrize("pbc", [(True, True, False), (True, False, True), (False, False, True),
                                 (False, True, False)])
def test_completed_cell_keeps_the_periodic_vectors_and_is_invertible(pbc):
    from ase_electrolyte.calculator import _MOLECULE_VACUUM, _completed_cell

    atoms = molecule("CH3CH2OH")
    cell = np.array([[5.0, 0.0, 0.0], [2.0, 6.0, 0.0], [1.0, -1.0, 7.0]])
    atoms.cell = np.where(np.asarray(pbc)[:, None], cell, 0.0)
    atoms.pbc = pbc
    done = _completed_cell(atoms)
    periodic = np.asarray(pbc)
    np.testing.assert_array_equal(done[periodic], cell[periodic])
    assert abs(np.linalg.det(done)) > 1.0
    for k in np.flatnonzero(~periodic):
        # perpendicular to the periodic vectors, longer than the molecule plus the vacuum
        np.testing.assert_allclose(done[periodic] @ done[k], 0.0, atol=1e-9)
        assert np.linalg.norm(done[k]) > 2 * _MOLECULE_VACUUM


@pytest.mark.parametrize("pbc", [(True, True, False), (True, False, False), False])
def test_stress_without_3d_periodicity_is_refused_before_the_model_even_with_a_full_cell(
        nequip_torchscript, pbc, monkeypatch):  # noqa: F811
    # a slab or molecule in a full-rank cell ran the model, then 'stress not present in this
    # calculation'; now the message names pbc and the model is not called
    calc = Calculator(nequip_torchscript.path, device="cpu")
    atoms = nequip_torchscript.periodic.copy()
    atoms.pbc = pbc
    atoms.calc = calc
    calls = []
    monkeypatch.setattr(calc._model_calc, "calculate", lambda *a, **k: calls.append(a))
    with pytest.raises(PropertyNotImplementedError, match=r"3D-periodic.*pbc=\["):
        atoms.get_stress()
    assert calls == []
