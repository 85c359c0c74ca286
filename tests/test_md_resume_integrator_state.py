"""A resumed NVT or NPT run continues the uninterrupted one: the thermostat and barostat state.

ASE's Nosé–Hoover chain (NVT) and MTK barostat (NPT) carry variables that positions, velocities
and cell do not hold: the chain positions and momenta, the barostat chain, the logarithmic strain
and its momentum, the reference cell. A resume that rebuilt the integrator restarted them from
zero: 40 steps after a stop, Lennard-Jones argon (tdamp 50 fs, pdamp 200 fs, 5 fs steps) was
0.03 Å (NVT) and 0.05 Å, cell 0.04 Å (NPT) away from the uninterrupted run. ``run_md`` now stores
them with each frame and restores them: every frame after a resume, at each stop point, equals
the uninterrupted run's within round-off (positions, velocities, cell and the variables).
"""

import warnings

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones
from stopping_argon import StoppingArgon as _Stopping  # noqa: E402
from stopping_argon import argon

import ase_electrolyte.md as md
from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import H5MDWriter, h5md_info, integrator_state, read_h5md

_STEPS = 60
_WRITE = 10




def _run(path, ensemble, stop_at=None, steps=_STEPS):
    atoms = argon(_Stopping(stop_at), rattle=0.02, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the couplings the ensemble has (run_md refuses the others)
        coupling = {"tdamp_fs": 50, "pdamp_fs": 200}
        coupling = {k: v for k, v in coupling.items()
                    if ensemble == "npt" or (ensemble == "nvt" and k == "tdamp_fs")}
        return run_md(atoms, ensemble=ensemble, steps=steps, timestep_fs=5.0,
                      temperature_K=120, write_interval=_WRITE,
                      trajectory=path, progress=False, seed=4, **coupling)


def _frames(path):
    n = h5md_info(path)["n_frames"]
    return [read_h5md(path, k) for k in range(n)], [integrator_state(path, k) for k in range(n)]


_NAMES = {
    "nve": None,
    "nvt": ["thermostat_eta", "thermostat_p_eta"],
    "npt": ["barostat_p_xi", "barostat_xi", "reference_cell", "reference_volume", "strain",
            "strain_momentum", "thermostat_eta", "thermostat_p_eta"],
}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    frames = {}
    for ens in _NAMES:
        _run(folder / f"{ens}.h5md", ens)
        frames[ens] = _frames(folder / f"{ens}.h5md")
    return frames


@pytest.mark.parametrize("ensemble", sorted(_NAMES))
def test_every_frame_stores_the_integrator_state(uninterrupted, ensemble):
    frames, states = uninterrupted[ensemble]
    assert [f.info["step"] for f in frames] == list(range(0, _STEPS + 1, _WRITE))
    if _NAMES[ensemble] is None:
        assert states == [None] * len(frames)
        return
    assert all(sorted(s) == _NAMES[ensemble] for s in states)
    # the chains start at rest and move: a resume that zeroed them would lose something
    assert not np.any(states[0]["thermostat_p_eta"])
    assert np.all(np.abs(states[-1]["thermostat_p_eta"]) > 0)
    if ensemble == "npt":
        # the cell is the reference cell scaled by exp(strain)
        for frame, state in zip(frames, states, strict=True):
            np.testing.assert_allclose(
                frame.cell.array, state["reference_cell"] * np.exp(state["strain"]),
                rtol=1e-14, atol=1e-14)
        assert abs(states[-1]["strain_momentum"]) > 0


# stopped in the first evaluation after the first frame, mid-run, and in the last step
@pytest.mark.parametrize("stop_at", [2, 25, 47, _STEPS + 1])
@pytest.mark.parametrize("ensemble", sorted(_NAMES))
def test_resume_continues_the_uninterrupted_run(uninterrupted, ensemble, stop_at, tmp_path):
    path = tmp_path / "stopped.h5md"
    # an NPT start's stiffness is measured first, by two stress evaluations (no file yet)
    stop_at += 2 if ensemble == "npt" else 0
    with pytest.raises(KeyboardInterrupt):
        _run(path, ensemble, stop_at)
    assert not h5md_info(path)["complete"]
    resumed_from = h5md_info(path)["last_step"]
    _run(path, ensemble)
    assert h5md_info(path)["complete"]
    frames, states = _frames(path)
    whole_frames, whole_states = uninterrupted[ensemble]
    assert [f.info["step"] for f in frames] == [f.info["step"] for f in whole_frames]
    for frame, whole, state, whole_state in zip(frames, whole_frames, states, whole_states,
                                                     strict=True):
        where = f"{ensemble} stopped at evaluation {stop_at}, step {frame.info['step']}"
        # round-off: velocities are read back from Å/ps (1 ulp) at the resume frame
        np.testing.assert_allclose(frame.positions, whole.positions, rtol=0, atol=1e-10,
                                   err_msg=where)
        np.testing.assert_allclose(frame.get_velocities(), whole.get_velocities(), rtol=0,
                                   atol=1e-12, err_msg=where)
        np.testing.assert_allclose(frame.cell.array, whole.cell.array, rtol=0, atol=1e-11,
                                   err_msg=where)
        if whole_state is None:
            assert state is None
            continue
        assert sorted(state) == sorted(whole_state)
        for name in whole_state:
            np.testing.assert_allclose(state[name], whole_state[name], rtol=1e-9, atol=1e-11,
                                       err_msg=f"{where}: {name}")
    assert 0 <= resumed_from < _STEPS


@pytest.mark.parametrize("ensemble", ["nvt", "npt"])
def test_zeroed_chains_are_what_the_test_detects(uninterrupted, ensemble, tmp_path,
                                                 monkeypatch):
    """The comparison above has the power to see the old defect: a resume that restarts the
    chains from zero ends far beyond round-off from the uninterrupted run."""
    path = tmp_path / "stopped.h5md"
    with pytest.raises(KeyboardInterrupt):
        _run(path, ensemble, 25)
    monkeypatch.setattr(md, "_restore_integrator", lambda *args: None)
    end = _run(path, ensemble)
    whole = uninterrupted[ensemble][0][-1]
    assert np.abs(end.positions - whole.positions).max() > 1e-4


def test_a_file_without_integrator_state_resumes_from_zeroed_chains(tmp_path):
    """A file of an earlier version (no integrator group) still resumes, as it did."""
    path = tmp_path / "old.h5md"
    with pytest.raises(KeyboardInterrupt):
        _run(path, "nvt", 25)
    with h5py.File(path, "a") as f:
        del f["parameters/ase_electrolyte/integrator"]
    assert integrator_state(path) is None
    end = _run(path, "nvt")
    assert np.isfinite(end.positions).all() and h5md_info(path)["complete"]
    # the frames written after the resume store the state again
    assert sorted(integrator_state(path)) == _NAMES["nvt"]


def test_a_state_of_another_shape_is_refused_before_any_step(tmp_path):
    """A file whose chain length differs (edited, or another integrator's) cannot be resumed:
    refused naming the file, the file still resumable by an overwrite, no step taken."""
    path = tmp_path / "edited.h5md"
    with pytest.raises(KeyboardInterrupt):
        _run(path, "nvt", 25)
    with h5py.File(path, "a") as f:
        g = f["parameters/ase_electrolyte/integrator/thermostat_p_eta"]
        value = g["value"][()]
        del g["value"]
        g.create_dataset("value", data=np.concatenate([value, value[:, :1]], axis=1),
                         maxshape=(None, 4))
    last = h5md_info(path)["last_step"]
    with pytest.raises(ValueError, match="cannot be resumed") as err:
        _run(path, "nvt")
    assert str(path) in str(err.value)
    assert h5md_info(path)["last_step"] == last


def _atoms():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0)
    return atoms


@pytest.mark.parametrize("state, match", [
    ({"p": np.array([np.nan, 0.0])}, "non-finite integrator state"),
    ({"p": np.array([np.inf])}, "non-finite integrator state"),
    ({"p": "fast"}, "real numbers"),
    ({"p": 1 + 2j}, "real numbers"),
    ({"not a name": 1.0}, "real numbers"),
])
def test_writer_refuses_bad_integrator_state_before_writing(tmp_path, state, match):
    path = tmp_path / "t.h5md"
    atoms = _atoms()
    with H5MDWriter(path, atoms) as writer:
        writer.write(atoms, step=0, time=0.0, integrator_state={"p": np.zeros(2)})
        with pytest.raises(ValueError, match=match):
            writer.write(atoms, step=1, time=0.001, integrator_state=state)
        writer.write(atoms, step=2, time=0.002, integrator_state={"p": np.ones(2)})
    assert h5md_info(path)["n_frames"] == 2
    np.testing.assert_array_equal(integrator_state(path, 1)["p"], np.ones(2))


def test_writer_refuses_a_variable_of_another_shape(tmp_path):
    path = tmp_path / "t.h5md"
    atoms = _atoms()
    with H5MDWriter(path, atoms) as writer:
        writer.write(atoms, step=0, time=0.0, integrator_state={"p": np.zeros(2)})
        for other in ({"p": np.zeros(3)}, {"p": 0.0}, {"p": np.zeros(2), "q": 0.0, "r": []}):
            with pytest.raises(ValueError, match="keeps its shape|real numbers"):
                writer.write(atoms, step=1, time=0.001, integrator_state=other)
        # another integrator's variables (another ASE version) from a later frame on
        writer.write(atoms, step=2, time=0.002, integrator_state={"q": np.ones(4)})
    assert h5md_info(path)["n_frames"] == 2
    assert sorted(integrator_state(path, 0)) == ["p"]
    assert sorted(integrator_state(path, 1)) == ["q"]


def test_state_rows_after_the_last_complete_frame_are_dropped_on_resume(tmp_path):
    """A write cut after the integrator rows but before the frame counted: the reopened file
    holds the state of its complete frames only, and the next frame's state follows them."""
    path = tmp_path / "t.h5md"
    atoms = _atoms()
    with H5MDWriter(path, atoms) as writer:
        writer.write(atoms, step=0, time=0.0, integrator_state={"p": np.zeros(2)})
        writer.write(atoms, step=5, time=0.005, integrator_state={"p": np.ones(2)})
    with h5py.File(path, "a") as f:
        f["parameters/ase_electrolyte"].attrs["n_frames"] = 1  # as if frame 2 had not counted
    with H5MDWriter(path, atoms, mode="a") as writer:
        assert writer.last_step() == 0
        writer.write(atoms, step=3, time=0.003, integrator_state={"p": np.full(2, 7.0)})
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(
            f["parameters/ase_electrolyte/integrator/p/step"][()], [0, 3])
    np.testing.assert_array_equal(integrator_state(path, -1)["p"], [7.0, 7.0])


def test_integrator_state_index_checks(tmp_path):
    path = tmp_path / "t.h5md"
    atoms = _atoms()
    with H5MDWriter(path, atoms) as writer:
        writer.write(atoms, step=0, time=0.0, integrator_state={"p": np.zeros(2)})
    with pytest.raises(IndexError, match="out of range"):
        integrator_state(path, 1)
    with pytest.raises(TypeError, match="integer"):
        integrator_state(path, True)
    np.testing.assert_array_equal(integrator_state(path, -1)["p"], [0.0, 0.0])


def test_a_variable_this_integrator_lacks_or_adds_warns_and_restores_the_rest(
        uninterrupted, tmp_path):
    """A file of an ASE whose integrator keeps other variables: those both know are restored,
    a warning says the rest start from zero. The chain positions (``thermostat_eta``) enter
    only the conserved energy: without them the run still follows the uninterrupted one."""
    path = tmp_path / "other_ase.h5md"
    with pytest.raises(KeyboardInterrupt):
        _run(path, "nvt", 25)
    with h5py.File(path, "a") as f:
        del f["parameters/ase_electrolyte/integrator/thermostat_eta"]
    with pytest.warns(RuntimeWarning, match="start from zero"):
        atoms = argon(_Stopping(), rattle=0.02, seed=1)
        end = run_md(atoms, ensemble="nvt", steps=_STEPS, timestep_fs=5.0, temperature_K=120,
                     tdamp_fs=50, write_interval=_WRITE, trajectory=path,
                     progress=False, seed=4)
    whole = uninterrupted["nvt"][0][-1]
    np.testing.assert_allclose(end.positions, whole.positions, rtol=0, atol=1e-10)
