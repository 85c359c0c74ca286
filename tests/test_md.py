"""MD driver and H5MD trajectories: energy conservation, restarts, heavy hydrogen, NPT, protocol."""

import h5py
import numpy as np
import pytest
from ase import units
from ase.calculators.lj import LennardJones

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.build import electrolyte_box  # noqa: E402
from ase_electrolyte.md import _observables, relax, run_md, run_protocol  # noqa: E402
from ase_electrolyte.trajectory import (  # noqa: E402
    H5MDWriter,
    h5md_info,
    h5md_series,
    read_h5md,
    start_state,
)


def _lj():
    # a smooth pair potential: cheap, differentiable everywhere, stress implemented
    return LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)


class _CrashingLJ(LennardJones):
    """Fails on the n-th evaluation, as a killed job would.

    It poses as the LennardJones it extends, so that a trajectory it started counts as written by
    the same calculator when plain LennardJones resumes it.
    """

    def __init__(self, fail_at):
        super().__init__(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
        self.calls, self.fail_at = 0, fail_at

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("simulated crash")
        super().calculate(*args, **kwargs)


_CrashingLJ.__module__, _CrashingLJ.__name__ = LennardJones.__module__, LennardJones.__name__


@pytest.fixture(scope="module")
def small_box():
    return electrolyte_box(counts={"EC": 3, "Li": 1, "PF6": 1}, density=1.0, seed=0)


def _with(atoms, calc):
    a = atoms.copy()
    a.calc = calc
    return a


def _energy_drift(box, dt_fs, total_fs, tmp_path):
    path = tmp_path / f"nve_{dt_fs}.h5md"
    steps = int(round(total_fs / dt_fs))
    run_md(
        _with(box, _lj()),
        ensemble="nve",
        steps=steps,
        timestep_fs=dt_fs,
        temperature_K=300,
        trajectory=path,
        write_interval=1,
        progress=False,
    )
    with h5py.File(path) as f:
        e = f["observables/potential_energy/value"][()] + f["observables/kinetic_energy/value"][()]
    return np.abs(e - e[0]).max()


def test_nve_conserves_energy_with_second_order_error(small_box, tmp_path):
    coarse = _energy_drift(small_box, 0.5, 50.0, tmp_path)
    fine = _energy_drift(small_box, 0.25, 50.0, tmp_path)
    # stated tolerance: 2e-5 eV/atom at 0.5 fs for this soft system
    assert coarse / len(small_box) < 2e-5
    # velocity Verlet: the energy error shrinks like dt²
    assert coarse / fine > 2.5


def test_frames_units_and_observables(small_box, tmp_path):
    path = tmp_path / "nvt.h5md"
    final = run_md(
        _with(small_box, _lj()),
        ensemble="nvt",
        steps=12,
        timestep_fs=1.0,
        temperature_K=300,
        trajectory=path,
        write_interval=4,
        observe_interval=2,
        progress=False,
    )
    info = h5md_info(path)
    assert info["complete"] and info["n_frames"] == 4 and info["last_step"] == 12
    with h5py.File(path) as f:
        np.testing.assert_array_equal(f["particles/trajectory/position/step"][()], [0, 4, 8, 12])
        np.testing.assert_allclose(f["particles/trajectory/position/time"][()],
                                   [0, 0.004, 0.008, 0.012])
        # one value per frame where MDAnalysis looks, every sample in the series
        np.testing.assert_array_equal(f["observables/density/step"][()], [0, 4, 8, 12])
        v = f["particles/trajectory/velocity/value"][-1]
        frc = f["particles/trajectory/force/value"][-1]
        assert f["particles/trajectory/velocity/value"].attrs["unit"] == "Angstrom ps-1"
    # Å/ps from the ASE velocity: 1 ps = 1000 fs, and ASE's time unit is units.fs^-1 fs
    np.testing.assert_allclose(v, final.get_velocities() * 1000 * units.fs, rtol=1e-12)
    np.testing.assert_allclose(frc, final.get_forces() * units.mol / units.kJ, rtol=1e-10)
    np.testing.assert_array_equal(h5md_series(path, "density")[0], [0, 2, 4, 6, 8, 10, 12])
    back = read_h5md(path)
    np.testing.assert_allclose(back.get_velocities(), final.get_velocities(), rtol=1e-12)
    np.testing.assert_allclose(back.get_forces(), final.get_forces(), rtol=1e-12)
    np.testing.assert_array_equal(back.arrays["molecule_index"], small_box.arrays["molecule_index"])
    np.testing.assert_array_equal(
        back.arrays["molecule_species"], small_box.arrays["molecule_species"]
    )
    assert back.get_kinetic_energy() == pytest.approx(final.get_kinetic_energy(), rel=1e-12)


def test_restart_after_crash_reproduces_uninterrupted_run(small_box, tmp_path):
    ref_path, path = tmp_path / "ref.h5md", tmp_path / "crash.h5md"
    ref = run_md(
        _with(small_box, _lj()),
        ensemble="nve",
        steps=40,
        timestep_fs=0.5,
        temperature_K=300,
        trajectory=ref_path,
        write_interval=5,
        progress=False,
    )
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_md(
            _with(small_box, _CrashingLJ(fail_at=23)),
            ensemble="nve",
            steps=40,
            timestep_fs=0.5,
            temperature_K=300,
            trajectory=path,
            write_interval=5,
            progress=False,
        )
    info = h5md_info(path)
    assert not info["complete"] and info["n_frames"] == 5  # steps 0..20 survived
    with h5py.File(path) as f:
        before = f["particles/trajectory/position/value"][()]
    final = run_md(
        _with(small_box, _lj()),
        ensemble="nve",
        steps=40,
        timestep_fs=0.5,
        temperature_K=300,
        trajectory=path,
        write_interval=5,
        progress=False,
    )
    with h5py.File(path) as f, h5py.File(ref_path) as g:
        steps = f["particles/trajectory/position/step"][()]
        np.testing.assert_array_equal(steps, np.arange(0, 41, 5))
        np.testing.assert_array_equal(f["particles/trajectory/position/value"][:5], before)
        np.testing.assert_allclose(
            f["particles/trajectory/position/value"][()],
            g["particles/trajectory/position/value"][()], atol=1e-9
        )
        assert np.all(np.diff(f["observables/potential_energy/step"][()]) > 0)
    assert h5md_info(path)["complete"]
    np.testing.assert_allclose(final.positions, ref.positions, atol=1e-9)


def test_half_written_frame_is_dropped(small_box, tmp_path):
    path = tmp_path / "t.h5md"
    run_md(
        _with(small_box, _lj()),
        ensemble="nve",
        steps=4,
        timestep_fs=0.5,
        temperature_K=300,
        trajectory=path,
        write_interval=2,
        progress=False,
    )
    with h5py.File(path, "a") as f:  # a writer killed between two datasets of frame 3
        f["particles/trajectory/position/value"].resize(4, axis=0)
        f["particles/trajectory/position/step"].resize(4, axis=0)
    assert h5md_info(path)["n_frames"] == 3
    atoms = _with(small_box, _lj())
    with H5MDWriter(path, atoms, mode="a") as w:
        assert w.n_frames == 3
        # every frame carries the same observables (MDAnalysis indexes them by frame), run_md's
        # NVE conserved energy among them
        obs = _observables(atoms, 1.0)
        obs["conserved_energy"] = obs["potential_energy"] + obs["kinetic_energy"]
        w.write(atoms, step=6, time=0.003, observables=obs)
    with h5py.File(path) as f:
        np.testing.assert_array_equal(f["particles/trajectory/position/step"][()], [0, 2, 4, 6])
        assert f["particles/trajectory/velocity/value"].shape[0] == 4


def test_heavy_hydrogen_keeps_temperature(small_box, tmp_path):
    path = tmp_path / "heavy.h5md"
    final = run_md(
        _with(small_box, _lj()),
        ensemble="nvt",
        steps=10,
        timestep_fs=2.0,
        temperature_K=300,
        hydrogen_mass=3.0,
        trajectory=path,
        write_interval=10,
        progress=False,
    )
    last = read_h5md(path)
    h = last.numbers == 1
    # the file's particles carry the physical masses; the run's own are recorded apart
    np.testing.assert_array_equal(last.get_masses(), small_box.get_masses())
    assert np.all(start_state(path)["masses"][h] == 3.0)
    v = last.get_velocities()  # the velocities of 3 amu H (ASE keeps momenta: set them again)
    last.set_masses(start_state(path)["masses"])
    last.set_velocities(v)
    np.testing.assert_allclose(final.get_masses(), small_box.get_masses())
    # each H keeps its kinetic energy when its mass goes back to 1.008 amu
    assert final.get_temperature() == pytest.approx(last.get_temperature(), rel=0.02)
    # H velocities scale by sqrt(3 / 1.008) (up to the removal of the centre-of-mass drift)
    ratio = np.linalg.norm(final.get_velocities()[h], axis=1) / np.linalg.norm(
        last.get_velocities()[h], axis=1
    )
    np.testing.assert_allclose(np.median(ratio), np.sqrt(3.0 / final.get_masses()[h][0]), rtol=0.02)
    # a finished run is read back, not repeated, and gives the same state
    again = run_md(
        _with(small_box, _lj()),
        ensemble="nvt",
        steps=10,
        timestep_fs=2.0,
        temperature_K=300,
        hydrogen_mass=3.0,
        trajectory=path,
        write_interval=10,
        progress=False,
    )
    np.testing.assert_allclose(again.get_velocities(), final.get_velocities(), rtol=1e-10)
    np.testing.assert_allclose(again.get_masses(), final.get_masses())


def test_npt_changes_volume_isotropically(small_box, tmp_path):
    path = tmp_path / "npt.h5md"
    final = run_md(
        _with(small_box, _lj()),
        ensemble="npt",
        steps=20,
        timestep_fs=1.0,
        temperature_K=300,
        pressure_bar=1.0,
        pdamp_fs=50,
        trajectory=path,
        write_interval=5,
        progress=False,
    )
    assert final.get_volume() != pytest.approx(small_box.get_volume(), rel=1e-6)
    lengths = final.cell.lengths()
    np.testing.assert_allclose(lengths, lengths[0], rtol=1e-10)
    with h5py.File(path) as f:
        vol = f["observables/volume/value"][()]
        rho = f["observables/density/value"][()]
        assert np.all(np.isfinite(f["observables/pressure/value"][()]))
        edges = f["particles/trajectory/box/edges/value"][()]
    np.testing.assert_allclose(vol, np.abs(np.linalg.det(edges)), rtol=1e-10)
    np.testing.assert_allclose(
        rho * vol, small_box.get_masses().sum() / (1e-24 * units.mol), rtol=1e-10
    )


def test_relax_reaches_threshold(small_box):
    relaxed = relax(_with(small_box, _lj()), fmax=0.05, steps=300)
    assert relaxed.info["relaxed_fmax"] < 0.05
    assert small_box.calc is None  # caller untouched


def test_protocol_runs_and_resumes(small_box, tmp_path):
    kw = dict(
        temperature_K=300,
        preequilibration_ps=0.01,
        equilibration_ps=0.004,
        production_ps=0.01,
        production_ensemble="nvt",
        write_interval_fs=2.0,
        observe_interval_fs=1.0,
        progress=False,
    )
    result = run_protocol(small_box, _lj(), tmp_path, **kw)
    assert set(result.files) == {"relaxed", "preequilibration", "equilibration", "production"}
    assert h5md_info(result.files["preequilibration"])["last_step"] == 5  # 2 fs steps
    assert h5md_info(result.files["production"])["last_step"] == 10
    expect = small_box.get_masses().sum() / small_box.get_volume() / (1e-24 * units.mol)
    with h5py.File(result.files["preequilibration"]) as f:
        assert f["observables/density/value"][0] == pytest.approx(expect, rel=1e-10)
    # every reported number is an Estimate; 5 samples of a 10 fs stage are not a result
    from ase_electrolyte.estimate import Estimate, estimates_to_dict

    assert set(result.estimates()) == {"density", "temperature", "pressure"}
    for est in result.estimates().values():
        assert isinstance(est, Estimate) and not est.valid and "too short" in est.verdict
    assert "equilibration" in result.density.method  # NVT production: the NPT stage's density
    _, _, rho = h5md_series(result.files["equilibration"], "density")
    assert rho.min() <= result.density.value <= rho.max()
    _, _, temperature = h5md_series(result.files["production"], "temperature")
    assert temperature.min() <= result.temperature.value <= temperature.max()
    assert result.density_verdict == result.density.verdict  # the earlier attributes
    assert result.density_sem == result.density.stderr or np.isnan(result.density_sem)
    assert estimates_to_dict(result.estimates())["density"]["converged"] is False
    counting = _CrashingLJ(fail_at=-1)
    again = run_protocol(small_box, counting, tmp_path, **kw)
    assert counting.calls == 0  # nothing recomputed
    np.testing.assert_allclose(again.atoms.positions, result.atoms.positions)
    assert again.density.value == result.density.value


def test_bad_arguments(small_box, tmp_path):
    with pytest.raises(ValueError, match="calculator"):
        run_md(small_box, ensemble="nvt", steps=1, timestep_fs=1, temperature_K=300)
    with pytest.raises(ValueError, match="ensemble"):
        run_md(_with(small_box, _lj()), ensemble="npH", steps=1, timestep_fs=1)
    with pytest.raises(ValueError, match="temperature"):
        run_md(_with(small_box, _lj()), ensemble="nvt", steps=1, timestep_fs=1)
    other = electrolyte_box(counts={"EC": 2}, seed=0)
    path = tmp_path / "x.h5md"
    run_md(
        _with(small_box, _lj()),
        ensemble="nve",
        steps=2,
        timestep_fs=1,
        temperature_K=10,
        trajectory=path,
        write_interval=1,
        progress=False,
    )
    with pytest.raises(ValueError, match="atoms"):
        run_md(
            _with(other, _lj()),
            ensemble="nve",
            steps=4,
            timestep_fs=1,
            temperature_K=10,
            trajectory=path,
            progress=False,
        )


def test_sevennet_short_run(tmp_path):
    pytest.importorskip("sevenn")
    from ase_electrolyte import Calculator

    box = electrolyte_box(counts={"EC": 2, "Li": 1, "PF6": 1}, seed=0)
    calc = Calculator("sevennet-0", device="cpu")
    path = tmp_path / "7net.h5md"
    final = run_md(
        _with(box, calc),
        ensemble="nvt",
        steps=3,
        timestep_fs=1.0,
        temperature_K=300,
        trajectory=path,
        write_interval=1,
        progress=False,
    )
    with h5py.File(path) as f:
        frc = f["particles/trajectory/force/value"][-1]
        assert np.all(np.isfinite(f["observables/pressure/value"][()]))
    np.testing.assert_allclose(frc, final.get_forces() * units.mol / units.kJ, rtol=1e-6)
    # net force of a periodic system vanishes (translation invariance)
    np.testing.assert_allclose(final.get_forces().sum(axis=0), 0, atol=1e-3)


def test_trajectory_of_another_run_is_not_resumed(small_box, tmp_path):
    path = tmp_path / "a.h5md"
    run_md(
        _with(small_box, _lj()),
        ensemble="nvt",
        steps=4,
        timestep_fs=1,
        temperature_K=300,
        trajectory=path,
        write_interval=2,
        progress=False,
    )
    with pytest.raises(ValueError, match="different run"):
        run_md(
            _with(small_box, _lj()),
            ensemble="npt",
            steps=4,
            timestep_fs=1,
            temperature_K=300,
            trajectory=path,
            write_interval=2,
            progress=False,
        )
