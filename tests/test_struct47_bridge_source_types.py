"""``from_ase`` of a dict: named as a dict.

Before: a dict was iterated for its keys and refused as "frame 0 is a str, not ase.Atoms"
(``{0: atoms}`` as "frame 0 is a int"), naming neither the dict nor its values.
"""

import numpy as np
import pytest
from ase.build import molecule

from mda_electrolyte import from_ase


def _atoms():
    atoms = molecule("H2O")
    atoms.center(vacuum=4.0)
    atoms.pbc = True
    return atoms


@pytest.mark.parametrize("source", [{"a": 1}, {0: _atoms()}, {"frames": [_atoms()]}])
def test_a_dict_is_named(source):
    with pytest.raises(ValueError, match="not a dict .*values"):
        from_ase(source)


@pytest.mark.parametrize(
    "source,kind",
    [
        ([1, 2], "int"),
        ([_atoms(), "x"], "str"),
        ((_atoms(), None), "NoneType"),
        ([np.zeros((3, 3))], "ndarray"),
    ],
)
def test_frames_of_something_else_name_the_frame(source, kind):
    with pytest.raises(ValueError, match=rf"frame \d is a {kind}, not ase.Atoms"):
        from_ase(source)


@pytest.mark.parametrize("wrap", [list, tuple, iter])
def test_frames_of_atoms_in_any_container(wrap):
    u = from_ase(wrap([_atoms(), _atoms()]), dt=0.1)
    assert u.trajectory.n_frames == 2
    assert u.trajectory.dt == pytest.approx(0.1)
