"""``Calculator.model_cutoff`` of NequIP/Allegro and GAP models, and what reads it.

Their calculators keep the cutoff where ``model_cutoff`` did not look (nequip: the neighbour
list transform built from the compiled model's ``r_max``; quippy: the QUIP potential), so it
was ``None``: a committee of nequip models of 3.5 and 4.5 Å passed the one-cutoff check
(their spread then measures what only the longer cutoff sees), and the checks that a
molecule in a periodic box is isolated from its images (vacuum beyond the cutoff) were
skipped.
"""

import pytest
import torch
from ase.calculators.calculator import InputError
from test_model_files import (  # noqa: F401
    _nequip_metadata,
    _plain_index_select,
    _torch_default_dtype,
    gap_model,
    nequip_torchscript,
)

from ase_electrolyte import Calculator

pytest.importorskip("nequip")


def _nequip_file(folder, r_max, seed=7):
    """A tiny float64 NequIP TorchScript model of cutoff ``r_max`` (Å) on H, C, O."""
    from nequip.model import NequIPGNNModel
    from nequip.model.inference_models.torchscript import save_torchscript_model
    from nequip.utils.global_state import set_global_state

    with _torch_default_dtype(torch.get_default_dtype()):
        set_global_state(allow_tf32=False)
        model = NequIPGNNModel(
            seed=seed, model_dtype="float64", type_names=["H", "C", "O"], r_max=r_max,
            num_layers=1, l_max=1, num_features=4, radial_mlp_width=8, num_bessels=4,
            avg_num_neighbors=5.0,
            per_type_energy_shifts={"H": -13.6, "C": -1030.5, "O": -2042.6},
        )
        model.eval()
        path = str(folder / f"r{r_max:g}_s{seed}.nequip.pth")
        with _plain_index_select():
            save_torchscript_model(model, _nequip_metadata(model), path, "cpu")
    return path


@pytest.fixture(scope="module")
def nequip_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calc52_cutoffs")
    return {r: _nequip_file(folder, r) for r in (3.5, 4.5)}


@pytest.mark.parametrize("r_max", [3.5, 4.5])
def test_nequip_cutoff_is_the_compiled_r_max(nequip_files, r_max):
    calc = Calculator(nequip_files[r_max], device="cpu")
    assert calc.model_cutoff == pytest.approx(r_max, abs=1e-12)


def test_gap_cutoff_is_its_descriptors(gap_model):  # noqa: F811
    import re

    with open(gap_model.path) as handle:
        written = {float(v) for v in re.findall(r"\bcutoff=([0-9.eE+-]+)", handle.read())}
    calc = Calculator(gap_model.path, device="cpu")
    assert written and calc.model_cutoff == pytest.approx(max(written), abs=1e-12)


def test_committee_of_two_nequip_cutoffs_is_refused(nequip_files):
    with pytest.raises(InputError, match=r"cutoff of 4\.5 Å and member 0 .* one of 3\.5 Å"):
        Calculator([nequip_files[3.5], nequip_files[4.5]], device="cpu")


def test_committee_of_one_nequip_cutoff_has_it(nequip_files, tmp_path, nequip_torchscript):  # noqa: F811
    other = _nequip_file(tmp_path, 3.5, seed=11)
    committee = Calculator([nequip_files[3.5], other], device="cpu")
    assert committee.model_cutoff == pytest.approx(3.5, abs=1e-12)
    assert Calculator(nequip_torchscript.path, device="cpu").model_cutoff == pytest.approx(3.5)
