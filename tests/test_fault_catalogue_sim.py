"""Fault catalogue of the simulation side (issue 16): bad numbers, broken starting structures and
misbehaving calculators end in a clear error before any evaluation or write, or stop the run at
the last good frame — never a traceback from deep inside, a NaN written as data or a file that
claims to be complete."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.atoms_checks import check_number, check_overlaps
from ase_electrolyte.build import composition_counts, electrolyte_box, estimate_density
from ase_electrolyte.md import MDInstabilityError, check_protocol_arguments, relax, run_md
from ase_electrolyte.trajectory import h5md_info


class _LJ(LennardJones):
    """Argon LJ that counts its evaluations and can be made to fail from its ``at``-th one."""

    calls = 0

    def __init__(self, fault=None, at=1):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.fault, self.at = fault, at

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)
        if self.fault is not None and type(self).calls >= self.at:
            self.fault(self.results)


def _argon(calc=None):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.calc = calc or _LJ()
    return atoms


_MD = dict(ensemble="nvt", steps=3, timestep_fs=1.0, temperature_K=80, progress=False)


@pytest.mark.parametrize("value", [np.float32(2.0), np.array(2.0), np.int64(2), 2, 2.0])
def test_numpy_scalars_and_0d_arrays_are_numbers(value):
    assert check_number("x", value, above=0) == 2.0


@pytest.mark.parametrize("value", [True, np.bool_(True), "1", [1.0], np.array([1.0]), None,
                                   float("nan"), float("inf"), 1 + 0j])
def test_what_is_not_a_finite_number_is_refused_by_name(value):
    with pytest.raises(ValueError, match="^x must be a finite number"):
        check_number("x", value)


@pytest.mark.parametrize("kw,match", [
    ({"timestep_fs": True}, "timestep_fs"),
    ({"steps": float("inf")}, "steps"),
    ({"steps": [3]}, "steps"),
    ({"write_interval": float("nan")}, "write_interval"),
    ({"pressure_bar": "1", "ensemble": "npt"}, "pressure_bar"),
    ({"pressure_bar": float("nan")}, "pressure_bar"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"hydrogen_mass": True}, "hydrogen_mass"),
    ({"overwrite": "yes"}, "overwrite"),
])
def test_run_md_numbers_of_the_wrong_kind_are_refused_before_the_model(kw, match, tmp_path):
    _LJ.calls = 0
    with pytest.raises(ValueError, match=match):
        run_md(_argon(), trajectory=tmp_path / "md.h5md", **{**_MD, **kw})
    assert _LJ.calls == 0 and not (tmp_path / "md.h5md").exists()


def test_numpy_arguments_are_accepted(tmp_path):
    out = run_md(_argon(), **{**_MD, "steps": np.array(3), "timestep_fs": np.float32(1.0),
                              "temperature_K": np.array(80.0)})
    assert np.isfinite(out.positions).all()


def _duplicate(atoms):
    atoms.positions[1] = atoms.positions[0]


def _zero_mass(atoms):
    masses = atoms.get_masses()
    masses[4] = 0.0
    atoms.set_masses(masses)


def _nan_velocity(atoms):
    v = np.zeros((len(atoms), 3))
    v[2, 0] = np.nan
    atoms.set_velocities(v)


def _nan_cell_nonperiodic(atoms):
    atoms.pbc = False
    atoms.cell[0, 0] = np.nan


def _thin_cell(atoms):
    atoms.set_cell([[10.0, 0, 0], [10.0, 1e-4, 0], [0, 0, 10.0]], scale_atoms=False)


@pytest.mark.parametrize("damage,match", [
    (_duplicate, "closer than 0.1"),
    (_zero_mass, "mass"),
    (_nan_velocity, "non-finite velocities"),
    (_nan_cell_nonperiodic, "cell has non-finite"),
    (_thin_cell, "thin"),
])
@pytest.mark.parametrize("call", ["run_md", "relax"])
def test_broken_starts_are_refused_before_the_model(damage, match, call, tmp_path):
    atoms = _argon()
    damage(atoms)
    before = atoms.copy()
    _LJ.calls = 0
    with pytest.raises(ValueError, match=match):
        if call == "run_md":
            run_md(atoms, trajectory=tmp_path / "x.h5md", **_MD)
        else:
            relax(atoms, trajectory=tmp_path / "x.h5md")
    assert _LJ.calls == 0 and not (tmp_path / "x.h5md").exists()
    assert np.array_equal(atoms.positions, before.positions, equal_nan=True)


def test_a_thermostat_on_one_atom_is_refused():
    atoms = Atoms("Ar", cell=[10, 10, 10], pbc=True)
    atoms.calc = _LJ()
    with pytest.raises(ValueError, match="at least 2 atoms"):
        run_md(atoms, **_MD)


def _nan_energy(results):
    results["energy"] = np.nan


def _inf_stress(results):
    results["stress"] = np.full(6, np.inf)


def _short_forces(results):
    results["forces"] = results["forces"][:-1]


def _complex_forces(results):
    results["forces"] = results["forces"] + 0j


@pytest.mark.parametrize("fault,match", [
    (_nan_energy, "non-finite energy"),
    (_inf_stress, "non-finite stress"),
    (_short_forces, r"\(31, ?3\)"),
    (_complex_forces, "complex"),
])
@pytest.mark.parametrize("ensemble", ["nvt", "npt"])
def test_a_calculator_that_turns_bad_stops_the_run_at_the_last_good_frame(
    fault, match, ensemble, tmp_path
):
    path = tmp_path / "md.h5md"
    _LJ.calls = 0
    kw = dict(_MD, ensemble=ensemble, steps=20, write_interval=2, trajectory=path)
    with pytest.raises(MDInstabilityError, match=match):
        run_md(_argon(_LJ(fault, at=6)), **kw)
    info = h5md_info(path)
    assert not info["complete"] and info["n_frames"] >= 1
    # the file resumes with a sound calculator and ends complete
    run_md(_argon(), **kw)
    info = h5md_info(path)
    assert info["complete"] and info["last_step"] == 20


@pytest.mark.parametrize("kw,match", [
    ({"n_atoms": float("inf")}, "n_atoms"),
    ({"n_atoms": True}, "n_atoms"),
    ({"concentration": "1"}, "concentration"),
    ({"units": "molar", "density": float("nan")}, "density"),
    ({"solvent": {"EC": True, "EMC": 1}}, "share of EC"),
    ({"solvent": {"EC": 1, "ec": 1}}, "named twice"),
])
def test_composition_counts_refuses_numbers_of_the_wrong_kind(kw, match):
    args = dict(solvent={"EC": 3, "EMC": 7}, salt="LiPF6", concentration=1.0, n_atoms=150)
    with pytest.raises(ValueError, match=match):
        composition_counts(**{**args, **kw})


@pytest.mark.parametrize("kw,match", [
    ({"density": 1e6}, "density"),
    ({"tolerance": 1e6}, "half the box edge"),
    ({"tolerance": float("nan")}, "tolerance"),
    ({"seed": 2**40}, "seed"),
    ({"packmol_timeout": 0}, "packmol_timeout"),
    ({"packmol_nloop": -1}, "packmol_nloop"),
    ({"spread_cations": "no"}, "spread_cations"),
])
def test_electrolyte_box_refuses_before_packing(kw, match, monkeypatch):
    import ase_electrolyte.build as build

    def no_packing(*args, **kwargs):
        raise AssertionError("PACKMOL was started")

    monkeypatch.setattr(build, "_run_packmol", no_packing)
    with pytest.raises(ValueError, match=match):
        electrolyte_box({"EC": 3, "EMC": 7}, "LiPF6", 1.0, n_atoms=150, **kw)


@pytest.mark.parametrize("counts,match", [
    ({"EC": 0}, "no molecule"), ({"EC": float("nan")}, "count of EC"), ({"EC": True}, "EC"),
])
def test_box_counts_are_checked(counts, match):
    with pytest.raises(ValueError, match=match):
        electrolyte_box(counts=counts)


@pytest.mark.parametrize("counts", [{"EMC": -1}, {"EMC": float("inf")}, {"EMC": "3"}])
def test_estimate_density_never_returns_nan(counts):
    with pytest.raises(ValueError, match="count of EMC"):
        estimate_density(counts)


def test_protocol_arguments_refuse_bools_and_strings():
    with pytest.raises(ValueError, match="temperature_K"):
        check_protocol_arguments(temperature_K=True)
    with pytest.raises(ValueError, match="production_ps"):
        check_protocol_arguments(temperature_K=298, production_ps="200")


def test_overlap_check_sees_periodic_images():
    atoms = Atoms("Ar2", positions=[[0.02, 0, 0], [9.97, 0, 0]], cell=[10, 10, 10], pbc=True)
    with pytest.raises(ValueError, match="Ar0-Ar1 at 0.05"):
        check_overlaps(atoms)
    atoms.pbc = False
    check_overlaps(atoms)


def _write(path, entry, **kw):
    if entry == "run_md":
        return run_md(_argon(), trajectory=path, write_interval=1, **_MD, **kw)
    return relax(_argon(), trajectory=path, **kw)


def _damaged(path, how, entry):
    import h5py

    _write(path, entry)
    if how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        with h5py.File(path, "a") as f:
            del f[how]


@pytest.mark.parametrize(
    "how",
    ["truncated", "particles/trajectory/position", "particles/trajectory/box",
     "particles/trajectory/species", "observables"],
)
@pytest.mark.parametrize("entry", ["run_md", "relax"])
def test_a_damaged_trajectory_is_named_and_kept_not_resumed(tmp_path, how, entry):
    path = tmp_path / "run.h5md"
    _damaged(path, how, entry)
    before = path.read_bytes()
    calls = _LJ.calls
    with pytest.raises(ValueError, match="cannot be read as an H5MD trajectory.*overwrite=True"):
        _write(path, entry)
    assert _LJ.calls == calls  # refused before any evaluation
    assert path.read_bytes() == before  # the file is not touched
    # overwrite=True is the way out, and gives a complete file
    _write(path, entry, overwrite=True)
    assert h5md_info(path)["complete"]


def test_an_empty_file_is_a_new_trajectory(tmp_path):
    path = tmp_path / "run.h5md"
    path.touch()  # e.g. the name of a NamedTemporaryFile
    run_md(_argon(), trajectory=path, write_interval=1, **_MD)
    info = h5md_info(path)
    assert info["complete"] and info["n_frames"] == 4


# --- files of an older version, which record no run settings ----------------------------------
def _forget_settings(path):
    import h5py

    with h5py.File(path, "a") as f:
        del f["parameters/ase_electrolyte"].attrs["run_info"]


@pytest.mark.parametrize("case", ["relax", "finished", "interrupted", "writer"])
def test_a_file_without_recorded_settings_is_neither_reused_nor_resumed(case, tmp_path):
    from ase_electrolyte.trajectory import H5MDWriter, read_h5md

    path = tmp_path / "old.h5md"
    md = dict(_MD, ensemble="nve", steps=6, write_interval=2)
    if case == "relax":
        relax(_argon(), trajectory=path)
    else:
        run_md(_argon(), trajectory=path, **md)
    _forget_settings(path)
    if case == "interrupted":
        import h5py

        with h5py.File(path, "a") as f:
            f["parameters/ase_electrolyte"].attrs["complete"] = False
    with open(path, "rb") as f:
        before = f.read()
    calls = _LJ.calls
    with pytest.raises(ValueError, match="records no (run )?settings"):
        if case == "relax":
            relax(_argon(), trajectory=path, fmax=0.01)  # the old file would answer fmax 2
        elif case == "writer":
            H5MDWriter(path, _argon(), mode="a", run_info={"ensemble": "nve"})
        else:
            run_md(_argon(), trajectory=path, **dict(md, timestep_fs=0.5))
    assert _LJ.calls == calls  # refused before any evaluation
    with open(path, "rb") as f:
        assert f.read() == before  # and the file is left alone
    if case == "writer":
        return
    # overwrite=True recomputes, and the new file records its settings
    if case == "relax":
        out = relax(_argon(), trajectory=path, fmax=0.01, overwrite=True)
        assert out.info["relaxed_fmax"] < 0.01
        assert h5md_info(path)["run_info"]["fmax"] == 0.01
    else:
        run_md(_argon(), trajectory=path, overwrite=True, **dict(md, timestep_fs=0.5))
        info = h5md_info(path)
        assert info["complete"] and info["run_info"]["timestep_fs"] == 0.5
        assert read_h5md(path, -1).info["time_ps"] == pytest.approx(0.003)


# --- the sampled series is evenly spaced for every interval combination, also after a resume ---
class _Killed(LennardJones):
    """Argon LJ that raises at its ``at``-th evaluation (a run killed mid-way)."""

    def __init__(self, at):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.n, self.at = 0, at

    def calculate(self, *args, **kwargs):
        self.n += 1
        if self.n == self.at:
            raise RuntimeError("killed")
        super().calculate(*args, **kwargs)


# poses as plain LJ, so that plain LJ may resume what it started
_Killed.__module__, _Killed.__name__ = LennardJones.__module__, LennardJones.__name__


def _dump(path):
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        def take(name, obj):
            if hasattr(obj, "shape"):
                out[name] = obj[()]

        f["particles"].visititems(take)
        f["observables"].visititems(lambda n, o: take("observables/" + n, o))
        f["parameters/ase_electrolyte/series"].visititems(lambda n, o: take("series/" + n, o))
    return out


@pytest.mark.parametrize("write_interval,observe_interval,steps,kill_at", [
    (3, 2, 17, 9),  # frames off the sampling grid, the last step off both grids
    (7, 3, 13, 12),
    (2, 5, 11, 6),  # samples rarer than frames
    (50, 4, 10, 5),  # no frame but the first and the last
])
def test_resumed_series_are_evenly_spaced_and_equal_an_uninterrupted_run(
    write_interval, observe_interval, steps, kill_at, tmp_path
):
    from ase_electrolyte.trajectory import h5md_series
    from mda_electrolyte.observables import read_observable

    def lj():
        return LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)

    def atoms(calc):
        a = _argon(calc)
        a.rattle(0.05, seed=1)
        return a

    md = dict(ensemble="nve", steps=steps, timestep_fs=2.0, temperature_K=60, progress=False,
              write_interval=write_interval, observe_interval=observe_interval)
    ref, path = tmp_path / "ref.h5md", tmp_path / "killed.h5md"
    run_md(atoms(lj()), trajectory=ref, **md)
    with pytest.raises(RuntimeError, match="killed"):
        run_md(atoms(_Killed(kill_at)), trajectory=path, **md)
    assert not h5md_info(path)["complete"]
    run_md(atoms(lj()), trajectory=path, **md)
    got, want = _dump(path), _dump(ref)
    assert got.keys() == want.keys()
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=0, atol=1e-9, err_msg=name)
    frames = sorted(set(range(0, steps + 1, write_interval)) | {steps})
    np.testing.assert_array_equal(got["trajectory/position/step"], frames)
    grid = np.arange(0, steps + 1, observe_interval)
    for name in ("temperature", "pressure_tensor", "density"):
        step, time, _ = h5md_series(path, name)
        np.testing.assert_array_equal(step, grid)
        np.testing.assert_allclose(time, grid * 0.002, rtol=1e-12)
    assert read_observable(path, "pressure_tensor")["dt"] == pytest.approx(0.002 * observe_interval)


# --- run_protocol: stage lengths and intervals are whole numbers of steps ----------------------
@pytest.mark.parametrize("kw", [
    {"preequilibration_ps": 0.0004},  # 0.2 steps of 2 fs
    {"equilibration_ps": 0.0005, "timestep_fs": 1.0},  # 0.5 steps: rounds to none
])
def test_a_stage_shorter_than_half_a_step_is_refused_not_skipped(kw, tmp_path):
    from ase_electrolyte.md import run_protocol

    name = next(k for k in kw if k.endswith("_ps"))
    with pytest.raises(ValueError, match=f"^{name} = .* shorter than half its time step.*give 0"):
        check_protocol_arguments(temperature_K=300, **kw)
    calls = _LJ.calls
    with pytest.raises(ValueError, match=f"^{name} = "):
        run_protocol(_argon(), _LJ(), tmp_path / "run", temperature_K=300, progress=False, **kw)
    assert _LJ.calls == calls and not (tmp_path / "run").exists()


@pytest.mark.parametrize("kw,frames,run_ps", [
    ({"production_ps": 0.05, "write_interval_fs": 4.0}, 12, "0.048"),  # 12.5 intervals
    ({"production_ps": 0.011, "write_interval_fs": 2.0}, 6, "0.012"),  # 5.5 intervals: 6
    ({"production_ps": 0.0125, "timestep_fs": 0.5, "write_interval_fs": 2.0}, 6, "0.012"),
])
def test_a_production_off_the_frame_grid_runs_whole_frame_intervals(kw, frames, run_ps,
                                                                     tmp_path):
    """run_md writes the last step as a frame: off the grid it would be unevenly spaced and
    every transport analysis would refuse the trajectory; the protocol rounds, and says so."""
    from ase_electrolyte.md import production_steps, run_protocol
    from mda_electrolyte.bridge import from_ase

    with pytest.warns(UserWarning, match=f"^production_ps = .* not a whole number of frame "
                                         f"intervals.* runs {frames} of them, {run_ps} ps"):
        check_protocol_arguments(temperature_K=300, **kw)
    dt = kw.get("timestep_fs", 1.0)
    assert production_steps(kw["production_ps"], dt, kw["write_interval_fs"]) * dt == (
        pytest.approx(float(run_ps) * 1000))
    with pytest.warns(UserWarning, match="not a whole number of frame intervals"):
        result = run_protocol(_argon(), _LJ(), tmp_path / "run", temperature_K=300,
                              relax_fmax=10.0, preequilibration_ps=0.0, equilibration_ps=0.0,
                              production_ensemble="nvt", progress=False, **kw)
    times = np.array([ts.time for ts in from_ase(result.files["production"]).trajectory])
    np.testing.assert_allclose(np.diff(times), kw["write_interval_fs"] / 1000.0, rtol=1e-9)
    assert times[-1] == pytest.approx(float(run_ps)) and len(times) == frames + 1


@pytest.mark.parametrize("kw,expected", [
    ({"observe_interval_fs": 15.0}, "observe_interval_fs = 15 fs .* 2 fs time step: the "
                                    r"preequilibration sampling interval is 8 steps \(16 fs\)"),
    ({"write_interval_fs": 2.5, "preequilibration_ps": 0.0}, r"write_interval_fs = 2.5 fs .* 1 fs"
     r" time step: the equilibration and production frame interval is 2 steps \(2 fs\)"),
    ({"equilibration_ps": 0.0015}, r"equilibration_ps = 0.0015 ps .* the equilibration length "
                                   r"is 2 steps \(2 fs\)"),
    ({"equilibration_ps": 0.0008}, r"equilibration_ps = 0.0008 ps .* the equilibration length "
                                   r"is 1 step \(1 fs\)"),
])
def test_intervals_off_the_step_grid_warn_with_what_is_run(kw, expected):
    with pytest.warns(UserWarning, match=expected) as caught:
        check_protocol_arguments(temperature_K=300, **kw)
    assert len(caught) == 1


@pytest.mark.parametrize("kw", [
    {},  # Ju et al. 2025: 2 fs and 1 fs steps, frames every 100 fs, samples every 10 fs
    # (1.25 fs with tritium: 2.5 fs is now said as too long for its C–H stretch)
    {"timestep_fs": 0.5, "observe_interval_fs": 5.0, "preequilibration_timestep_fs": 1.25},
    # 100 fs = 125 steps of 0.8 fs, 9.6 fs = 12 steps; no 2 fs stage (an interval a step
    # does not divide, however little or below the step, is said: test_cli48_interval_rounding)
    {"timestep_fs": 0.8, "observe_interval_fs": 9.6, "preequilibration_ps": 0.0},
    {"observe_interval_fs": 2.0, "write_interval_fs": 2.0},
])
def test_intervals_on_the_step_grid_do_not_warn(kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_protocol_arguments(temperature_K=300, **kw)
