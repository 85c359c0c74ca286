"""A committee of compiled (frozen TorchScript) models: distinct networks are distinct members.

A frozen TorchScript module holds its weights as constants of its graph, so its state dict is
empty: the committee's network digest (backend, cutoff, elements and the state dict's tensors)
was the same for every compiled NequIP/Allegro model of one cutoff and element set. Two
different models were taken for one network, the committee evaluated the first twice and
reported a spread of zero (with a RepeatedMemberWarning saying "equal weights"). Checked here
against each model evaluated alone; a copy of one file is still one member.
"""

import shutil
import warnings

import numpy as np
import pytest

# the model-file fixture (module scope) is shared with its own tests
from test_model_files import (  # noqa: F401
    _nequip_metadata,
    _nequip_model,
    _plain_index_select,
    _torch_default_dtype,
    nequip_torchscript,
)

from ase_electrolyte import Calculator
from ase_electrolyte.committee import RepeatedMemberWarning


def _write_changed(tmp_path, relative):
    """The tiny NequIP model of test_model_files with every weight of its first parameter
    scaled by ``1 + relative``, compiled to a TorchScript file as that one is."""
    import torch
    from nequip.model.inference_models.torchscript import save_torchscript_model

    model = _nequip_model()
    with torch.no_grad():
        first = next(p for p in model.parameters() if p.numel() > 1)
        first.mul_(1.0 + relative)
    path = str(tmp_path / f"changed_{relative:g}.nequip.pth")
    with _torch_default_dtype(torch.get_default_dtype()), _plain_index_select():
        save_torchscript_model(model, _nequip_metadata(model), path, "cpu")
    return path


def _quiet(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = make()
    return out, [w for w in caught if issubclass(w.category, RepeatedMemberWarning)]


@pytest.mark.parametrize("relative", [1e-6, 0.05])
def test_different_compiled_models_are_two_members(nequip_torchscript, tmp_path,  # noqa: F811
                                                   relative):
    base = nequip_torchscript.path
    changed = _write_changed(tmp_path, relative)
    atoms = nequip_torchscript.periodic
    alone = [_quiet(lambda p=p: Calculator(p, device="cpu"))[0].get_potential_energy(atoms)
             for p in (base, changed)]
    assert alone[0] != alone[1]  # two networks
    committee, repeated = _quiet(lambda: Calculator([base, changed], device="cpu"))
    assert not repeated
    assert committee.members[0] is not committee.members[1]
    atoms.calc = committee
    energy = atoms.get_potential_energy()
    np.testing.assert_allclose(committee.results["member_energies"], alone, rtol=0, atol=1e-9)
    assert energy == pytest.approx(np.mean(alone), abs=1e-9)
    assert committee.results["energy_std"] == pytest.approx(abs(alone[1] - alone[0]) / 2,
                                                            rel=1e-6, abs=1e-12)


def test_a_copy_of_one_compiled_file_is_one_member(nequip_torchscript, tmp_path):  # noqa: F811
    copy = tmp_path / "copy.nequip.pth"
    shutil.copyfile(nequip_torchscript.path, copy)
    committee, repeated = _quiet(lambda: Calculator([nequip_torchscript.path, str(copy)],
                                                    device="cpu"))
    assert repeated and committee.members[0] is committee.members[1]
    atoms = nequip_torchscript.molecule
    atoms.calc = committee
    atoms.get_potential_energy()
    assert committee.results["energy_std"] == 0.0
