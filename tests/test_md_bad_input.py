"""Bad input to run_md, relax, run_protocol, H5MDWriter and from_ase: a clear error before any
model evaluation or write, never a traceback from deep inside, a NaN result or a lost file."""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import relax, run_md, run_protocol
from ase_electrolyte.trajectory import H5MDWriter, h5md_info
from mda_electrolyte.bridge import from_ase


class _CountingLJ(LennardJones):
    """Argon LJ that counts its evaluations (none may happen before a refusal)."""

    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.calc = _CountingLJ(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


def _nan_position(atoms):
    atoms.positions[3] = [np.nan, 0.0, 0.0]
    return atoms


def _inf_cell(atoms):
    atoms.cell[0, 0] = np.inf
    return atoms


def _flat_cell(atoms):
    atoms.cell[2] = [0.0, 0.0, 0.0]
    return atoms


_MD = dict(ensemble="nvt", steps=3, timestep_fs=1.0, temperature_K=80, progress=False)


@pytest.mark.parametrize("damage,match", [
    (_nan_position, "non-finite positions for 1 atom"),
    (_inf_cell, "non-finite"),
    (_flat_cell, "zero along periodic"),
])
@pytest.mark.parametrize("call", ["run_md", "relax"])
def test_broken_structures_are_refused_before_the_model(damage, match, call, tmp_path):
    atoms = damage(_argon())
    _CountingLJ.calls = 0
    with pytest.raises(ValueError, match=match):
        if call == "run_md":
            run_md(atoms, trajectory=tmp_path / "md.h5md", **_MD)
        else:
            relax(atoms, trajectory=tmp_path / "relaxed.h5md")
    assert _CountingLJ.calls == 0
    assert not (tmp_path / "md.h5md").exists() and not (tmp_path / "relaxed.h5md").exists()


@pytest.mark.parametrize("kw,match", [
    ({"timestep_fs": float("inf")}, "timestep_fs"),
    ({"steps": True}, "steps"),
    ({"steps": 2.5}, "steps"),
    ({"write_interval": 2.5}, "write_interval"),
    ({"observe_interval": 0}, "observe_interval"),
    ({"max_temperature_factor": 0}, "max_temperature_factor"),
    # at or below 1 the guard stops a sound run at its own target temperature
    ({"max_temperature_factor": 1.0}, "max_temperature_factor must be a finite number > 1"),
    ({"max_temperature_factor": 0.9}, "max_temperature_factor must be a finite number > 1"),
    ({"hydrogen_mass": float("nan")}, "hydrogen_mass"),
    # "NVT" is nvt (md.ensemble_name, as the electrolyte command reads it)
    ({"ensemble": "langevin"}, "ensemble must be one of"),
    ({"temperature_K": float("inf")}, "temperature_K"),
])
def test_run_md_arguments_other_cases(kw, match, tmp_path):
    _CountingLJ.calls = 0
    with pytest.raises(ValueError, match=match):
        run_md(_argon(), trajectory=tmp_path / "md.h5md", **{**_MD, **kw})
    assert _CountingLJ.calls == 0


def test_output_paths_that_are_folders_missing_or_foreign_files_are_refused(tmp_path):
    foreign = tmp_path / "notes.h5md"
    foreign.write_text("someone's notes, not HDF5")
    for path, match in (
        (tmp_path, "is a folder"),
        (tmp_path / "missing" / "md.h5md", "does not exist"),
        (foreign, "not an HDF5"),
    ):
        _CountingLJ.calls = 0
        with pytest.raises(ValueError, match=match):
            run_md(_argon(), trajectory=path, **_MD)
        with pytest.raises(ValueError, match=match):
            relax(_argon(), trajectory=path)
        assert _CountingLJ.calls == 0
    # the foreign file is untouched unless the caller says to replace it
    assert foreign.read_text() == "someone's notes, not HDF5"
    run_md(_argon(), trajectory=foreign, overwrite=True, **_MD)
    assert h5md_info(foreign)["complete"]
    with pytest.raises(ValueError, match="a file of that name exists"):
        run_protocol(_argon(), _argon().calc, foreign, temperature_K=300, preequilibration_ps=0,
                     equilibration_ps=0, production_ps=0.2, progress=False)


@pytest.mark.parametrize("frames,match", [
    ([(0, 0.0), (0, 0.001)], "does not follow the last frame's step"),
    ([(-1, 0.0)], "non-negative integer"),
    ([(True, 0.0)], "non-negative integer"),
    ([(0, 0.0), (1, 0.0)], "time 0.0 ps of step 1 does not follow"),
    ([(0, 0.002), (5, 0.001)], "does not follow the last frame's time"),
    ([(0, float("inf"))], "time must be finite"),
])
def test_writer_refuses_steps_and_times_that_do_not_increase(frames, match, tmp_path):
    atoms = _argon()
    path = tmp_path / "w.h5md"
    with pytest.raises(ValueError, match=match):
        with H5MDWriter(path, atoms) as w:
            for step, time in frames:
                w.write(atoms, step=step, time=time)
    # what was written before the refusal is intact and readable; a file refused its first
    # frame is not written (a file of no frame is no trajectory MDAnalysis can open)
    if len(frames) > 1:
        assert h5md_info(path)["n_frames"] == len(frames) - 1
    else:
        assert not path.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("dt", [-1.0, 0.0, float("nan"), float("inf"), "x"])
def test_from_ase_refuses_a_bad_dt(dt):
    atoms = _argon()
    with pytest.raises(ValueError, match="dt must be a positive, finite time"):
        from_ase([atoms, atoms], dt=dt)


@pytest.mark.parametrize("content,suffix,match", [
    ("", ".extxyz", "not a trajectory format"),
    ("3\nno properties\nH 0 0\n", ".extxyz", "expected 3|cannot be read"),
    ("plain notes\n", ".txt", "not a trajectory format"),
    ("not HDF5 at all", ".h5md", "is not an HDF5"),
])
def test_from_ase_names_an_unreadable_file(content, suffix, match, tmp_path):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        from_ase(path)


def test_writer_refuses_a_folder_a_missing_folder_and_no_atoms(tmp_path):
    atoms = _argon()
    for path, match in ((tmp_path, "is a folder"), (tmp_path / "no" / "w.h5md", "does not exist")):
        with pytest.raises(ValueError, match=match):
            H5MDWriter(path, atoms)
    with pytest.raises(ValueError, match="no atoms"):
        H5MDWriter(tmp_path / "w.h5md", atoms[:0])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ensemble", ["nvt", "npt"])
def test_thermostats_refuse_constraints_before_the_model_and_the_file(ensemble, tmp_path):
    from ase.constraints import FixAtoms

    # NoseHooverChainNVT took them and thermostatted the wrong degrees of freedom; MTK NPT
    # raised NotImplementedError only after overwrite=True had emptied the file
    path = tmp_path / "md.h5md"
    run_md(_argon(), trajectory=path, **{**_MD, "ensemble": ensemble})
    before = path.read_bytes()
    atoms = _argon()
    atoms.set_constraint(FixAtoms([0, 1]))
    _CountingLJ.calls = 0
    for overwrite in (False, True):
        with pytest.raises(ValueError, match=f"{ensemble.upper()} cannot run with constraints "
                                             r"\(FixAtoms\)"):
            run_md(atoms, trajectory=path, overwrite=overwrite, **{**_MD, "ensemble": ensemble})
    with pytest.raises(ValueError, match="run_protocol's MD cannot run with constraints"):
        run_protocol(atoms, atoms.calc, tmp_path / "run", temperature_K=298,
                     preequilibration_ps=0, equilibration_ps=0, production_ps=0.003,
                     production_ensemble=ensemble, write_interval_fs=1, progress=False)
    assert _CountingLJ.calls == 0 and path.read_bytes() == before
    assert not (tmp_path / "run").exists()


def test_a_reused_run_returns_the_callers_constraints_and_info(tmp_path):
    from ase.constraints import FixAtoms

    atoms = _argon()
    atoms.set_constraint(FixAtoms([0, 1]))
    atoms.info["label"] = "argon"
    for call in ("run_md", "relax"):
        path = tmp_path / f"{call}.h5md"
        outs = []
        for _ in range(2):  # fresh, then read back from the finished file
            if call == "run_md":
                outs.append(run_md(atoms, trajectory=path, **{**_MD, "ensemble": "nve"}))
            else:
                outs.append(relax(atoms, trajectory=path))
        fresh, reused = outs
        for out in outs:
            assert [type(c) for c in out.constraints] == [FixAtoms]
            assert out.constraints[0].index.tolist() == [0, 1]
            assert out.info["label"] == "argon" and out.calc is atoms.calc
            assert np.array_equal(out.positions[:2], atoms.positions[:2])
        np.testing.assert_allclose(reused.positions, fresh.positions, atol=1e-12)
        np.testing.assert_allclose(reused.get_velocities(), fresh.get_velocities(), atol=1e-12)
    assert [type(c) for c in atoms.constraints] == [FixAtoms]


def test_incomplete_topology_arrays_are_refused_before_the_model_and_the_file(tmp_path):
    atoms = _argon()
    atoms.new_array("molecule_index", np.arange(len(atoms)))
    _CountingLJ.calls = 0
    match = r"topology arrays \['molecule_index'\] but not"
    with pytest.raises(ValueError, match=match):
        run_md(atoms, trajectory=tmp_path / "md.h5md", **_MD)
    with pytest.raises(ValueError, match=match):
        relax(atoms, trajectory=tmp_path / "relaxed.h5md")  # was: after the relaxation
    with pytest.raises(ValueError, match=match):
        H5MDWriter(tmp_path / "w.h5md", atoms)
    assert _CountingLJ.calls == 0
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".h5md"]


def test_a_trajectory_inside_a_file_is_named(tmp_path):
    (tmp_path / "notes").write_text("a file")
    with pytest.raises(ValueError, match="notes is a file, not a folder"):
        run_md(_argon(), trajectory=tmp_path / "notes" / "md.h5md", **_MD)
    with pytest.raises(ValueError, match="notes is a file, not a folder"):
        relax(_argon(), trajectory=tmp_path / "notes" / "relaxed.h5md")
