"""A FixBondLengths holding bonds at given lengths is another run than one holding the start's.

ASE's ``FixBondLengths.todict`` leaves ``bondlengths`` out, so run_md and relax recorded a run
with the bond held at 2.0 Å as the run with it held at its start length (2.55 Å), and reused or
resumed that file: a stale result of other physics.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.constraints import FixBondLengths

from ase_electrolyte import md

MD = dict(ensemble="nve", steps=2, timestep_fs=1.0, temperature_K=300.0, progress=False)


def _atoms(lengths=None, pairs=((0, 1),)):
    atoms = bulk("Cu", cubic=True).repeat((2, 1, 1))
    atoms.rattle(0.05, seed=1)  # forces, so that relax takes steps (which set the lengths)
    atoms.calc = EMT()
    atoms.set_constraint(FixBondLengths([list(p) for p in pairs], bondlengths=lengths))
    return atoms


def _run(kind, atoms, path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "run_md":
            return md.run_md(atoms, trajectory=path, **MD, **kwargs)
        return md.relax(atoms, trajectory=path, fmax=0.5, steps=3, **kwargs)


START = _atoms().get_distance(0, 1, mic=True)


@pytest.mark.parametrize("kind", ["run_md", "relax"])
@pytest.mark.parametrize(
    ("first", "second"),
    [(None, [2.0]), ([2.0], None), ([2.0], [2.2]), ([START], [2.0]), (None, [START + 1e-3])],
)
def test_other_lengths_are_another_run(tmp_path, kind, first, second):
    path = tmp_path / "run.h5md"
    _run(kind, _atoms(first), path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"differ in \['constraints'\]"):
        _run(kind, _atoms(second), path)
    assert path.read_bytes() == before
    # overwrite=True runs with the new lengths
    out = _run(kind, _atoms(second), path, overwrite=True)
    want = START if second is None else second[0]
    assert out.get_distance(0, 1, mic=True) == pytest.approx(want, abs=1e-4)


@pytest.mark.parametrize("kind", ["run_md", "relax"])
@pytest.mark.parametrize(("first", "second"), [(None, [START]), ([START], None), ([2.0], [2.0])])
def test_the_same_lengths_are_the_same_run(tmp_path, kind, first, second):
    path = tmp_path / "run.h5md"
    done = _run(kind, _atoms(first), path)
    again = _run(kind, _atoms(second), path)
    np.testing.assert_array_equal(done.positions, again.positions)


def test_several_pairs_compare_each_length(tmp_path):
    pairs = ((0, 1), (2, 3))
    d23 = _atoms(pairs=pairs).get_distance(2, 3, mic=True)
    path = tmp_path / "run.h5md"
    _run("run_md", _atoms([START, d23], pairs), path)
    _run("run_md", _atoms(None, pairs), path)  # the start's lengths: reused
    with pytest.raises(ValueError, match=r"differ in \['constraints'\]"):
        _run("run_md", _atoms([START, 2.0], pairs), path)
