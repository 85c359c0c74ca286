"""unique_isolated_molecules reads start/stop/step as run() does.

``start=True`` listed the molecules from frame 1 (frame 0's left unlabelled without a word,
then "no stored reference label" once the model had run on it), ``stop=True`` those of one
frame, and a float or text was MDAnalysis' bare "start is not an integer"; ``step=0`` its bare
"Step size is zero", naming neither the method nor the value.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.lj import LennardJones

from mda_electrolyte import IntraInterErrors

N_FRAMES = 6


@pytest.fixture(scope="module")
def errors():
    rng = np.random.default_rng(4)
    frames = []
    for _ in range(N_FRAMES):
        pair = molecule("H2O") + molecule("H2O")
        pair.positions[3:] += [3.1, 0.3, 0.1]
        pair.positions += rng.normal(0.0, 0.05, pair.positions.shape)
        pair.arrays["molecule_index"] = np.repeat([0, 1], 3)
        frames.append(pair)
    return IntraInterErrors(frames, LennardJones(sigma=1.0, epsilon=0.01, rc=5.0),
                            reference=LennardJones(sigma=1.0, epsilon=0.012, rc=5.0))


BAD = [True, False, np.bool_(True), 1.5, np.float64(2.0), "1"]


@pytest.mark.parametrize("key", ["start", "stop", "step"])
@pytest.mark.parametrize("value", BAD, ids=[repr(v) for v in BAD])
def test_a_bound_that_is_no_whole_number_is_named(errors, key, value):
    with pytest.raises(TypeError, match=f"unique_isolated_molecules: {key} must be None or a "
                                        "whole number"):
        errors.unique_isolated_molecules(**{key: value})


def test_a_step_of_zero_is_named(errors):
    with pytest.raises(ValueError, match="unique_isolated_molecules: step=0"):
        errors.unique_isolated_molecules(step=0)


@pytest.mark.parametrize("bounds", [{}, {"start": 1}, {"start": np.int64(2), "stop": 5},
                                    {"step": 2}, {"stop": -2}, {"step": -1},
                                    {"start": np.int32(4), "step": -2}])
def test_whole_numbers_select_the_frames_of_a_slice(errors, bounds):
    expected = list(range(N_FRAMES))[slice(bounds.get("start"), bounds.get("stop"),
                                           bounds.get("step"))]
    found = errors.unique_isolated_molecules(**bounds)
    # two molecules of their own geometry in every selected frame
    assert len(found) == 2 * len(expected)
    assert sorted({m.info["frame"] for m in found}) == sorted(expected)
