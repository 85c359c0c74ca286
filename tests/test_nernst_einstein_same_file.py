"""α_d pairs σ with the D's of the same frames of one trajectory file read by two Universes.

The joint-segment error of α_d (test_nernst_einstein_joint_segments.py) needed the very same
reader: a conductivity and a Diffusion of two Universes of one file (a notebook that builds its
Universe again, or one per analysis) fell back to the two errors taken as independent, 1.3
times α_d's scatter. The frames are now the same when the readers read the same unchanged
file (path, size, modification time, inode) at the same frame indices and times.
"""

import os
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, NernstEinstein
from mda_electrolyte.correlation import TrajectoryFrames

T, TAU, DT, S = 300.0, 0.2, 0.05, 2.0
JOINT = "first order, from the joint scatter"


@pytest.fixture(scope="module")
def trajectory(tmp_path_factory):
    rng = np.random.default_rng(12)
    v = ornstein_uhlenbeck(rng, 600, (8, 3), TAU, DT, S)
    u = salt_universe(v, integrate(v, DT) + 20.0, n_cations=4, dt=DT)
    path = str(tmp_path_factory.mktemp("same_file") / "salt.trr")
    with mda.Writer(path, n_atoms=u.atoms.n_atoms) as w:
        for _ in u.trajectory:
            w.write(u.atoms)
    return v, path


def _universe(trajectory, **kwargs):
    v, path = trajectory
    u = salt_universe(v, n_cations=4, dt=DT)
    u.load_new(path, **kwargs)
    return u


def _alpha(trajectory, u_sigma, u_d, **run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eh = EinsteinHelfandConductivity(u_sigma, IONS, temperature=T).run()
        d = Diffusion(u_d, IONS, n_blocks=10).run(**run)
        return NernstEinstein(d, temperature=T, conductivity=eh).results.dissociation


def test_two_universes_of_one_file_pair_their_segments(trajectory):
    u1, u2 = _universe(trajectory), _universe(trajectory)
    assert u1.trajectory is not u2.trajectory
    joint = _alpha(trajectory, u1, u2)
    same = _alpha(trajectory, u1, u1)
    assert same.method.startswith(JOINT)
    # the same numbers as one Universe's: the same value, error and degrees of freedom
    assert joint.method.startswith(JOINT)
    assert (joint.value, joint.stderr, joint.dof) == (same.value, same.stderr, same.dof)


def test_other_frames_or_times_of_the_same_file_are_not_paired(trajectory):
    u1 = _universe(trajectory)
    assert not _alpha(trajectory, u1, _universe(trajectory), step=2).method.startswith(JOINT)
    # a dt= given to one Universe relabels the frames' times
    relabelled = _universe(trajectory, dt=2 * DT)
    assert not _alpha(trajectory, u1, relabelled).method.startswith(JOINT)


def test_a_file_rewritten_between_the_readings_is_another_trajectory(trajectory, tmp_path):
    v, path = trajectory
    copy = tmp_path / "copy.trr"
    copy.write_bytes(open(path, "rb").read())
    u1 = salt_universe(v, n_cations=4, dt=DT)
    u1.load_new(str(copy))
    read = TrajectoryFrames(u1.trajectory, [0, 1], [0.0, DT])
    # the same path, other content (size and modification time): not the same frames
    copy.write_bytes(open(path, "rb").read()[:-10])
    os.utime(copy, ns=(0, 0))
    u2 = salt_universe(v, n_cations=4, dt=DT)
    u2.load_new(str(copy))
    assert not read.same_as(TrajectoryFrames(u2.trajectory, [0, 1], [0.0, DT]))
    # an in-memory reader of the same numbers matches only itself
    assert not read.same_as(TrajectoryFrames(salt_universe(v, n_cations=4, dt=DT).trajectory,
                                             [0, 1], [0.0, DT]))


def test_a_pickled_reading_of_a_file_still_matches_it(trajectory):
    import pickle

    u1, u2 = _universe(trajectory), _universe(trajectory)
    read = TrajectoryFrames(u1.trajectory, [0, 1, 2], [0.0, DT, 2 * DT])
    copy = pickle.loads(pickle.dumps(read))
    assert copy.same_as(TrajectoryFrames(u2.trajectory, [0, 1, 2], [0.0, DT, 2 * DT]))
    assert not copy.same_as(TrajectoryFrames(u2.trajectory, [0, 1, 3], [0.0, DT, 3 * DT]))
