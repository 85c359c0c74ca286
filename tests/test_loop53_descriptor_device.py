"""A device beside a calculator object is refused by the selection, not ignored.

``frame_descriptors`` and ``select_candidates`` take a model by name or path (loaded on
``device``) or a calculator loaded already: ``device="cuda"`` beside a CPU calculator ran on
the CPU without a word. It is refused before any frame is read or evaluated, as
``npt_density`` and ``mean_pressure`` refuse options beside a calculator; ``"auto"`` (the
default) passes, and the calculator is used as it is.
"""

import pytest
from ase.build import bulk

from ase_electrolyte import active_learning
from ase_electrolyte.active_learning import frame_descriptors, select_candidates
from ase_electrolyte.calculator import Calculator

pytest.importorskip("sevenn")


@pytest.fixture(scope="module")
def calc():
    return Calculator("sevennet-0", device="cpu")


def _frames(n=3):
    frames = []
    for k in range(n):
        atoms = bulk("Cu", cubic=True)
        atoms.rattle(0.05, seed=k)
        atoms.info["max_forces_std"] = 0.1 * (k + 1)
        frames.append(atoms)
    return frames


@pytest.mark.parametrize("device", ["cuda", "cpu", "cuda:0", "CPU", None, 0])
def test_a_device_beside_a_calculator_is_refused_before_any_frame(calc, monkeypatch, device):
    def never(*args, **kwargs):
        raise AssertionError("a frame was read before the device was refused")

    monkeypatch.setattr("ase_electrolyte.finetuning._frame_list", never)
    for call in (lambda: frame_descriptors(_frames(), calc, device=device),
                 lambda: select_candidates(_frames(), 2, model=calc, device=device)):
        with pytest.raises(ValueError, match=rf"device={device!r} is for a model given by name "
                                             r"or path; the model given is already a "
                                             r"calculator"):
            call()


def test_auto_uses_the_calculator_as_it_is(calc, monkeypatch):
    seen = []
    real = active_learning.frame_descriptors

    def recorded(frames, model, device="auto"):
        seen.append((model, device))
        return real(frames, model, device=device)

    monkeypatch.setattr(active_learning, "frame_descriptors", recorded)
    picked = select_candidates(_frames(), 2, model=calc)
    assert seen == [(calc, "auto")] and len(picked) == 2
    assert picked[0].info["max_forces_std"] == pytest.approx(0.3)
