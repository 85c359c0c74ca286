"""``fit_qrd`` refuses by name what it cannot fit, before any sum or model call.

One Atoms given as ``frames`` was iterated into Atom objects ("'Atom' object has no attribute
'get_chemical_symbols'"); ``scheme=`` or ``qrd=`` among the options ended in "Electrostatics()
got multiple values for keyword argument" (``qrd=`` only after every frame was summed); a
reference energy of ``True`` was fitted as 1 eV and one of ``"1.5"`` as 1.5 eV.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import Calculator as AseCalculator
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte import Electrostatics, fit_qrd
from ase_electrolyte.electrostatics import qrd_charges

_TRUTH = {"Li": (0.9, 1.0), "F": (-0.7, 2.0)}


def _frames():
    frames = []
    for n, charge in ((1, 0), (2, 1), (2, 0)):
        atoms = Atoms("LiF" * n + "Li" * charge)
        atoms.positions = [[2.1 * k, 0.4 * (k % 2), 0.0] for k in range(len(atoms))]
        atoms.info["charge"] = charge
        labelled = atoms.copy()
        labelled.calc = Electrostatics(scheme="qrd", qrd=_TRUTH)
        atoms.calc = SinglePointCalculator(
            atoms, energy=labelled.get_potential_energy(), forces=labelled.get_forces()
        )
        frames.append(atoms)
    return frames


class _Counting(AseCalculator):
    """A model of zero energy and forces that counts its calls."""

    implemented_properties = ["energy", "forces"]
    calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, properties, system_changes)
        type(self).calls += 1
        self.results = {"energy": 0.0, "forces": np.zeros((len(atoms), 3))}


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda f, m: fit_qrd(f[0], m), TypeError, "sequence of ase.Atoms; for one structure pass"),
        (lambda f, m: fit_qrd([f[0], None], m), TypeError, "frame 1 is a NoneType"),
        (lambda f, m: fit_qrd([f[0], "x.xyz"], m), TypeError, "frame 1 is a str"),
        (lambda f, m: fit_qrd(f, m, scheme="fixed"), ValueError, "fit_qrd sets scheme itself"),
        (lambda f, m: fit_qrd(f, m, qrd=_TRUTH), ValueError, "fit_qrd sets qrd itself"),
        (lambda f, m: fit_qrd(f, m, charges=[0.0]), ValueError, "fit_qrd sets charges itself"),
        (
            lambda f, m: fit_qrd(f, m, reference=[{"energy": True}] * 3),
            ValueError,
            "frame 0: reference energy must be numbers",
        ),
        (
            lambda f, m: fit_qrd(f, m, reference=[{"energy": np.True_}] * 3),
            ValueError,
            "frame 0: reference energy must be numbers",
        ),
        (
            lambda f, m: fit_qrd(f, m, reference=[{"energy": "1.5"}] * 3),
            ValueError,
            "frame 0: reference energy must be numbers",
        ),
        (
            lambda f, m: fit_qrd(f, m, reference=[{"forces": [[True, 0, 0], [0, 0, 0]]}] * 3),
            ValueError,
            "frame 0: reference forces must be numbers",
        ),
        (
            lambda f, m: fit_qrd(f, m, reference=[{"forces": np.zeros((2, 3), bool)}] * 3),
            ValueError,
            "frame 0: reference forces must be numbers",
        ),
    ],
)
@pytest.mark.parametrize("with_model", [False, True])
def test_what_fit_qrd_cannot_fit_is_refused_before_any_model_call(call, error, match, with_model):
    _Counting.calls = 0
    with pytest.raises(error, match=match):
        call(_frames(), _Counting() if with_model else None)
    assert _Counting.calls == 0


def test_a_fit_of_a_tuple_of_frames_with_sum_options_recovers_the_charges():
    frames = _frames()
    fit = fit_qrd(
        tuple(frames),
        initial={"Li": (0.5, 1.0), "F": (-0.5, 1.0)},
        regularization=0.0,
        method="direct",
    )
    for frame in frames:
        expected = qrd_charges(frame.numbers, _TRUTH, frame.info["charge"])
        got = qrd_charges(frame.numbers, fit.qrd, frame.info["charge"])
        assert got == pytest.approx(expected, abs=1e-6)
