"""Every calculator backend against the shared contract of ``calculator_contract.py``.

A backend joins by one fixture returning a ``ContractCase``, named in ``BACKENDS``; a backend
whose package is missing skips. SevenNet and CHGNet are the registered float32 models; the
model files are the tiny NequIP, Allegro and GAP models that ``test_model_files.py`` writes
(MACE when mace-torch is installed); D3 and Electrostatics are float64 and checked tightly.
"""

from __future__ import annotations

import numpy as np
import pytest
from calculator_contract import CalculatorContract, ContractCase, nan_from_model

# the model-file fixtures (module scope) are shared with their own tests
from test_model_files import (  # noqa: F401
    allegro_torchscript,
    gap_model,
    mace_model,
    nequip_torchscript,
)

# short D3 cutoffs keep the checks fast; the contract does not depend on them
D3_OPTIONS = {"damping": "bj", "cutoff": 9.0, "cn_cutoff": 7.0, "smooth_cutoff": 1.5}
D3_CHANGED = {**D3_OPTIONS, "cutoff": 7.5}
HCO_QRD = {"H": (0.1, 0.5), "C": (0.1, 0.6), "O": (-0.4, 0.8)}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread: on a shared, loaded CPU, two threads make small models 10x slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _float32_case(calc, **kwargs):
    # float32 MLIPs: energies carry ~1e-5 eV of round-off, so a 1e-2 step and loose tolerances
    options = dict(fd_step=1e-2, fd_atol=5e-3, energy_atol=1e-4, forces_atol=2e-4,
                   stress_atol=2e-6, poison=nan_from_model)
    options.update(kwargs)
    return ContractCase(calc, **options)


def _float64_case(calc, model_file, **options):
    # float64 models: a 1e-4 step keeps the central difference's h² error (GAP's stress:
    # ~3e-5 eV at 1e-3) below the tolerance, far above the energies' ~1e-10 eV noise
    settings = dict(periodic=model_file.periodic, molecule=model_file.molecule, fd_step=1e-4,
                    fd_atol=1e-5, energy_atol=1e-8, forces_atol=1e-7, stress_atol=1e-8,
                    poison=nan_from_model)
    settings.update(options)
    return ContractCase(calc, **settings)


def _model_file_case(model_file, **options):
    from ase_electrolyte import Calculator

    calc = Calculator(model_file.path, device="cpu", **options)
    change = {"dispersion": D3_CHANGED if "dispersion" in options else D3_OPTIONS}
    return _float64_case(calc, model_file, change=change)


# --------------------------------------------------------------------------------------------
# one fixture per backend
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sevennet_case():
    pytest.importorskip("sevenn")
    from ase_electrolyte import Calculator

    return _float32_case(Calculator("sevennet-0", device="cpu"), rebuild=False,
                         change={"dispersion": D3_OPTIONS})


@pytest.fixture(scope="module")
def calculator_d3_case(nequip_torchscript):  # noqa: F811
    # a Calculator with dispersion summed in, on the cheapest model (float64: tight checks)
    return _model_file_case(nequip_torchscript, dispersion=D3_OPTIONS)


@pytest.fixture(scope="module")
def chgnet_case():
    pytest.importorskip("chgnet")
    from ase_electrolyte import Calculator

    # CHGNet's central differences converge slowly (off by 6e-3 eV/Å at a 3e-3 step, 2e-3 at
    # 1e-3, where float32 round-off adds ~1.5e-3): a 1e-3 step; its molecule is evaluated in a
    # box of vacuum
    return _float32_case(Calculator("chgnet-0.3.0", device="cpu"), fd_step=1e-3,
                         energy_atol=2e-4, rebuild=False, change={"dispersion": D3_OPTIONS})


@pytest.fixture(scope="module")
def nequip_case(nequip_torchscript):  # noqa: F811
    return _model_file_case(nequip_torchscript)


@pytest.fixture(scope="module")
def allegro_case(allegro_torchscript):  # noqa: F811
    return _model_file_case(allegro_torchscript)


@pytest.fixture(scope="module")
def gap_case(gap_model):  # noqa: F811
    return _model_file_case(gap_model)


@pytest.fixture(scope="module")
def mace_case(mace_model):  # noqa: F811
    return _model_file_case(mace_model)


@pytest.fixture(scope="module")
def d3_case():
    from ase_electrolyte import D3
    from ase_electrolyte.d3 import backend

    def poison(monkeypatch, calc):
        run = backend.run_kernel

        def nan_kernel(*args, **kwargs):
            out = run(*args, **kwargs)
            out["gradient"][0, 0] = np.nan
            return out

        monkeypatch.setattr(backend, "run_kernel", nan_kernel)

    # the three-body term too, so that every part of the kernel meets the checks; the CN and
    # ATM cutoffs are hard, so a tiny step keeps every pair on its side of them
    return ContractCase(D3(**D3_OPTIONS, atm=True, atm_cutoff=7.0, device="cpu"),
                        fd_step=1e-5, fd_atol=1e-8, energy_atol=1e-11, forces_atol=1e-10,
                        stress_atol=1e-12,
                        change={"cutoff": 7.5}, poison=poison)


@pytest.fixture(scope="module")
def electrostatics_case():
    pytest.importorskip("torchpme")
    from ase_electrolyte import Electrostatics

    def poison(monkeypatch, calc):
        # the sum calculate runs (evaluate is its checked public form)
        evaluate = calc._evaluate

        def nan_evaluate(atoms, charges):
            out = evaluate(atoms, charges)
            out["energy"] = np.inf
            return out

        monkeypatch.setattr(calc, "_evaluate", nan_evaluate)

    return ContractCase(Electrostatics(qrd=HCO_QRD, tolerance=1e-9),
                        fd_atol=1e-6, energy_atol=1e-8, forces_atol=1e-6, stress_atol=1e-8,
                        change={"short_range": "gaussian", "short_range_length": 1.0},
                        poison=poison)


@pytest.fixture(scope="module")
def committee_case(nequip_torchscript, allegro_torchscript):  # noqa: F811
    # two different float64 models on the same elements, with dispersion: the member-by-member
    # path (the shared SevenNet graph is compared with it in test_committee.py)
    from ase_electrolyte import Calculator

    calc = Calculator([nequip_torchscript.path, allegro_torchscript.path],
                      dispersion=D3_OPTIONS, device="cpu")

    def poison(monkeypatch, calc):
        evaluate = calc._members_one_by_one

        def nan_member(*args):
            out = [dict(r) for r in evaluate(*args)]
            out[1]["forces"] = out[1]["forces"].copy()
            out[1]["forces"][0, 0] = np.nan
            return out

        monkeypatch.setattr(calc, "_members_one_by_one", nan_member)

    return _float64_case(calc, nequip_torchscript, poison=poison,
                         change={"dispersion": D3_CHANGED})


BACKENDS = ["d3_case", "electrostatics_case", "sevennet_case", "chgnet_case", "nequip_case",
            "allegro_case", "gap_case", "mace_case", "calculator_d3_case", "committee_case"]


@pytest.fixture(params=BACKENDS)
def case(request):
    return request.getfixturevalue(request.param)


class TestCalculatorContract(CalculatorContract):
    """The contract, once per backend."""

