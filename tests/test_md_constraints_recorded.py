"""The constraints of the start are part of a run: a file of the same start without them (or
with others) is another run, never reused or resumed for this one.

Before, the settings a file records (and a reuse compares) left the constraints out: a
relaxation with the lower half of a box fixed was answered with the stored relaxation of none
fixed, whose "fixed" atoms had moved by 0.46 Å; an NVE run from velocities that the
constraint leaves as they are was answered with the unconstrained run.
"""

import warnings

import numpy as np
import pytest
from ase.constraints import FixAtoms, FixCartesian
from stopping_argon import StoppingArgon, argon  # noqa: E402

from ase_electrolyte.md import relax, run_md, run_protocol
from ase_electrolyte.trajectory import h5md_info

_Counting = StoppingArgon  # counts its evaluations, never stops


def _argon(constraint=None, rattle=0.2):
    atoms = argon(_Counting(), rattle=rattle, seed=1)
    if constraint is not None:
        atoms.set_constraint(constraint)
    return atoms


_LOWER = FixAtoms(indices=range(16))
_CHANGES = [(None, _LOWER), (_LOWER, None), (_LOWER, FixAtoms(indices=range(8))),
            (_LOWER, FixCartesian(range(16), mask=(1, 1, 0)))]
_IDS = ["none-then-fixed", "fixed-then-none", "other-indices", "other-kind"]


@pytest.mark.parametrize("first, then", _CHANGES, ids=_IDS)
def test_a_relaxation_with_other_constraints_is_another_run(first, then, tmp_path):
    path = tmp_path / "relaxed.h5md"
    relax(_argon(first), fmax=0.01, trajectory=path)
    atoms = _argon(then)
    with pytest.raises(ValueError, match=r"its settings differ in \['constraints'\]"):
        relax(atoms, fmax=0.01, trajectory=path)
    assert atoms.calc.calls == 0
    done = relax(atoms, fmax=0.01, trajectory=path, overwrite=True)
    fresh = relax(_argon(then), fmax=0.01)
    np.testing.assert_allclose(done.positions, fresh.positions, rtol=0, atol=1e-9)
    if isinstance(then, FixAtoms):
        np.testing.assert_array_equal(done.positions[then.index],
                                      _argon(then).positions[then.index])


@pytest.mark.parametrize("constraint", [_LOWER, FixCartesian(range(16), mask=(1, 1, 0))])
def test_the_same_constraints_are_reused(constraint, tmp_path):
    path = tmp_path / "relaxed.h5md"
    first = relax(_argon(constraint), fmax=0.01, trajectory=path)
    atoms = _argon(constraint)
    again = relax(atoms, fmax=0.01, trajectory=path)
    assert atoms.calc.calls == 0
    np.testing.assert_array_equal(again.positions, first.positions)
    assert h5md_info(path)["run_info"]["constraints"][0]["name"] == type(constraint).__name__


def test_an_md_run_from_velocities_the_constraint_keeps_is_not_the_unconstrained_one(tmp_path):
    """Velocities zero on the atoms to be fixed: the first frame of both runs is the same, and
    only the recorded constraints tell them apart."""
    velocities = np.random.default_rng(3).normal(0.0, 0.005, (32, 3))
    velocities[:16] = 0.0

    def start(constraint):
        atoms = _argon(constraint, rattle=0.02)
        atoms.set_velocities(velocities)
        return atoms

    kw = dict(ensemble="nve", steps=6, timestep_fs=2.0, write_interval=2, progress=False)
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(start(None), trajectory=path, **kw)
        atoms = start(_LOWER)
        with pytest.raises(ValueError, match=r"its settings differ in \['constraints'\]"):
            run_md(atoms, trajectory=path, **kw)
        assert atoms.calc.calls == 0
        done = run_md(atoms, trajectory=tmp_path / "fixed.h5md", **kw)
    np.testing.assert_array_equal(done.positions[:16], atoms.positions[:16])


def test_a_protocol_with_constraints_reuses_its_own_files_and_refuses_others(tmp_path):
    kw = dict(temperature_K=60, relax_fmax=0.05, preequilibration_ps=0, equilibration_ps=0,
              production_ps=0.016, production_ensemble="nve", timestep_fs=2.0,
              write_interval_fs=4.0, observe_interval_fs=2.0, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 60 K; no topology arrays
        done = run_protocol(_argon(_LOWER), _Counting(), tmp_path / "fixed", **kw)
        calc = _Counting()
        again = run_protocol(_argon(_LOWER), calc, tmp_path / "fixed", **kw)
        assert calc.calls == 0
        np.testing.assert_array_equal(again.atoms.positions, done.atoms.positions)
        run_protocol(_argon(), _Counting(), tmp_path / "free", **kw)
        calc = _Counting()
        with pytest.raises(ValueError, match=r"run_protocol's relaxed stage: .*its settings "
                                             r"differ in \['constraints'\]"):
            run_protocol(_argon(_LOWER), calc, tmp_path / "free", **kw)
    assert calc.calls == 0


class _OwnFix:
    """A constraint of one's own, without ``todict``: the atoms of ``index`` stay put."""

    def __init__(self, index):
        self.index = np.asarray(index)

    def adjust_positions(self, atoms, new):
        new[self.index] = atoms.positions[self.index]

    def adjust_forces(self, atoms, forces):
        forces[self.index] = 0.0

    def adjust_momenta(self, atoms, momenta):
        momenta[self.index] = 0.0

    def get_removed_dof(self, atoms):
        return 3 * len(self.index)

    def copy(self):
        return _OwnFix(self.index.copy())

    def index_shuffle(self, atoms, ind):
        raise NotImplementedError


def test_a_constraint_without_todict_is_recorded_by_its_attributes(tmp_path):
    path = tmp_path / "relaxed.h5md"
    first = relax(_argon(_OwnFix(range(16))), fmax=0.01, trajectory=path)
    np.testing.assert_array_equal(first.positions[:16], _argon().positions[:16])
    atoms = _argon(_OwnFix(range(16)))
    again = relax(atoms, fmax=0.01, trajectory=path)
    assert atoms.calc.calls == 0
    np.testing.assert_array_equal(again.positions, first.positions)
    for other in (_OwnFix(range(8)), None):
        atoms = _argon(other)
        with pytest.raises(ValueError, match=r"its settings differ in \['constraints'\]"):
            relax(atoms, fmax=0.01, trajectory=path)
        assert atoms.calc.calls == 0
