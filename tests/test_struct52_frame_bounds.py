"""``run(start=, stop=, step=)`` takes whole numbers of frames or None, and nothing else.

A flag is an ``int`` to Python: ``run(start=True)`` analysed from frame 1 (frame 0 silently
left out) and ``run(stop=True)`` one frame; a float (``stop=2.0``) or text was MDAnalysis'
"start is not an integer", naming neither the analysis nor the value. Every analysis built on
FrameAnalysis now refuses them by a TypeError naming the analysis, the argument and the value,
before any frame is read or any model called; whole numbers of any integer type (``np.int64``,
negative counts from the end) select what Python's slice does.
"""

import warnings

import numpy as np
import pytest
from ase.calculators.lj import LennardJones
from test_struct50_parallel_parts import _frames

from mda_electrolyte import IntraInterErrors, IntraInterRDF, RigidVolumeScan
from mda_electrolyte.bridge import from_ase


class _CountingLJ(LennardJones):
    """Lennard-Jones that counts its evaluations (none may happen before a refusal)."""

    def __init__(self):
        super().__init__(sigma=1.0, rc=4.0)
        self.calls = 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        super().calculate(*args, **kwargs)


def _rdf(calc):
    frames = _frames(6)
    for atoms in frames:
        atoms.arrays["formal_charge"] = np.zeros(len(atoms), dtype=int)
        atoms.arrays["molecule_species"] = np.array(["H2O"] * len(atoms))
    return IntraInterRDF(from_ase(frames, dt=1.0).atoms, range=(0.0, 4.0), nbins=20)


def _errors(calc):
    return IntraInterErrors(_frames(6), calc, reference=LennardJones(sigma=1.0, rc=4.0))


def _scan(calc):
    return RigidVolumeScan(_frames(6), calc, scales=[0.95, 1.0, 1.2])


MAKERS = pytest.mark.parametrize("make", [_rdf, _errors, _scan],
                                 ids=["IntraInterRDF", "IntraInterErrors", "RigidVolumeScan"])


@MAKERS
@pytest.mark.parametrize("key", ["start", "stop", "step"])
@pytest.mark.parametrize("value", [True, False, np.True_, 2.0, np.float64(1.0), "1", [1]],
                         ids=["True", "False", "np.True_", "2.0", "np.float64", "text", "list"])
def test_a_bound_that_is_not_a_whole_number_is_refused_by_name_before_any_frame(
        make, key, value):
    calc = _CountingLJ()
    analysis = make(calc)
    name = type(analysis).__name__
    with pytest.raises(TypeError, match=rf"^{name}: {key} must be None or a whole number of "
                                        rf"frames, not {type(value).__name__} "):
        analysis.run(**{key: value})
    assert calc.calls == 0
    assert not hasattr(analysis, "frames") or analysis.frames is None


@MAKERS
@pytest.mark.parametrize("bounds,expected", [
    ({"start": np.int64(1)}, [1, 2, 3, 4, 5]),
    ({"start": -2}, [4, 5]),
    ({"stop": np.int32(2)}, [0, 1]),
    ({"start": 1, "stop": 6, "step": np.uint8(2)}, [1, 3, 5]),
    ({"start": 0, "stop": None, "step": None}, [0, 1, 2, 3, 4, 5]),
])
def test_whole_numbers_of_any_integer_type_select_as_a_slice(make, bounds, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        analysis = make(_CountingLJ()).run(**bounds)
    np.testing.assert_array_equal(analysis.frames, expected)
