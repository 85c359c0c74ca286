"""Frozen TorchScript networks (compiled NequIP/Allegro files) hold their weights as constants
of their graph and have an empty state dict. The run fingerprint hashed the state dict only, so
every frozen network of one architecture had one fingerprint: a run with one model would be
answered with another's stored run. ``models._network_tensors`` reads the graph's constants;
the fingerprint, the committee's member digest and the finite-weight check all use it."""
import io

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import Calculator as AseCalculator
from ase.calculators.calculator import all_changes

torch = pytest.importorskip("torch")

from ase_electrolyte.md import calculator_fingerprint  # noqa: E402
from ase_electrolyte.models import _check_finite_weights, _network_tensors  # noqa: E402


class _Pair(torch.nn.Module):
    """A pair energy of the distances through a small linear layer (weights scaled by w)."""

    def __init__(self, w):
        super().__init__()
        self.lin = torch.nn.Linear(1, 1)
        with torch.no_grad():
            self.lin.weight.fill_(w)
            self.lin.bias.fill_(0.0)

    def forward(self, pos):
        d = torch.cdist(pos, pos)
        return self.lin(d.reshape(-1, 1)).sum()


def _frozen(w, reload=False):
    module = torch.jit.freeze(torch.jit.script(_Pair(w)).eval())
    if reload:  # as read back from a compiled file
        buf = io.BytesIO()
        torch.jit.save(module, buf)
        module = torch.jit.load(io.BytesIO(buf.getvalue()))
    return module


class _Upstream(AseCalculator):
    """A calculator that keeps its network as an attribute, as upstream NequIPCalculator does."""

    implemented_properties = ["energy"]

    def __init__(self, model):
        super().__init__()
        self.model = model

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        pos = torch.tensor(self.atoms.positions, dtype=torch.float32)
        self.results["energy"] = float(self.model(pos))


def test_a_frozen_module_has_no_state_but_graph_constants():
    module = _frozen(1.0)
    assert not any(isinstance(t, torch.Tensor) for t in module.state_dict().values())
    tensors = [t for _, t in _network_tensors(module) if isinstance(t, torch.Tensor)]
    assert any(float(t.reshape(-1)[0]) == 1.0 for t in tensors if t.numel() == 1)


@pytest.mark.parametrize("w_a, w_b", [(1.0, 2.0), (1.0, 1.0 + 1e-6), (0.5, -0.5)])
@pytest.mark.parametrize("reload", [False, True])
def test_two_frozen_networks_have_two_fingerprints(w_a, w_b, reload):
    a, b = _Upstream(_frozen(w_a, reload)), _Upstream(_frozen(w_b, reload))
    atoms = Atoms("H2", positions=[[0, 0, 0], [0, 0, 1.0]])
    assert a.get_potential_energy(atoms.copy()) != b.get_potential_energy(atoms.copy())
    assert calculator_fingerprint(a) != calculator_fingerprint(b)


@pytest.mark.parametrize("reload", [False, True])
def test_one_frozen_network_loaded_twice_has_one_fingerprint(reload):
    # the same weights frozen (or read back) twice: one network, one fingerprint, so a
    # resume with the same model is not refused
    a, b = _Upstream(_frozen(1.5, reload)), _Upstream(_frozen(1.5, reload))
    assert calculator_fingerprint(a) == calculator_fingerprint(b)


def test_a_nan_weight_of_a_frozen_network_is_named_at_load():
    bad = _Pair(1.0)
    with torch.no_grad():
        bad.lin.weight.fill_(np.nan)
    calc = _Upstream(torch.jit.freeze(torch.jit.script(bad).eval()))
    with pytest.raises(ValueError, match="graph constant"):
        _check_finite_weights(calc, "frozen.pth")
