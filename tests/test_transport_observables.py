"""Per-step charge current and pressure tensor of run_md, and Green–Kubo reading them."""

import gc
import warnings

import numpy as np
import pytest
from ase import units
from transport_data import lj_salt

from ase_electrolyte.md import current_species, run_md
from ase_electrolyte.trajectory import h5md_series, open_h5md, read_h5md
from mda_electrolyte import GreenKuboConductivity, from_ase


def charged_salt():
    """32 ions, 16 cations "A" (+1) and 16 anions "B" (-1), with a Lennard-Jones calculator
    (:func:`transport_data.lj_salt`; EMT copper labelled as ions is refused since from_ase
    checks the stored molecules against covalent bonds)."""
    return lj_salt()


def salt_calculator():
    return lj_salt().calc


@pytest.fixture(scope="module")
def md_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("obs") / "nvt.h5md"
    run_md(
        charged_salt(), ensemble="nvt", steps=60, timestep_fs=2.0, temperature_K=600,
        trajectory=path, write_interval=1, progress=False,
    )
    return path


def test_observables_every_step_with_units(md_file):
    step, time, current = h5md_series(md_file, "charge_current")
    np.testing.assert_array_equal(step, np.arange(61))
    assert current.shape == (61, 2, 3)
    _, _, tensor = h5md_series(md_file, "pressure_tensor")
    assert tensor.shape == (61, 3, 3)
    with open_h5md(md_file) as f:
        series = f["parameters/ase_electrolyte/series"]
        assert series["charge_current/value"].attrs["unit"] == "e Angstrom ps-1"
        assert series["pressure_tensor/value"].attrs["unit"] == "bar"


def test_current_is_sum_of_charge_times_velocity(md_file):
    _, _, current = h5md_series(md_file, "charge_current")
    u = from_ase(md_file)
    q = np.array([1.0, -1.0] * 16)
    for k, ts in enumerate(u.trajectory):
        v = ts.velocities.astype(np.float64)
        expected = [(q[:, None] * v)[0::2].sum(axis=0), (q[:, None] * v)[1::2].sum(axis=0)]
        np.testing.assert_allclose(current[k], expected, rtol=1e-5, atol=1e-4)
    # HDF5 refuses to reopen a file MDAnalysis holds with other locking flags
    u.trajectory.close()
    assert current_species(charged_salt()) == ["A", "B"]


def test_pressure_tensor_trace_is_the_pressure(md_file):
    _, _, tensor = h5md_series(md_file, "pressure_tensor")
    _, _, pressure = h5md_series(md_file, "pressure")
    np.testing.assert_allclose(np.trace(tensor, axis1=1, axis2=2) / 3, pressure, rtol=1e-10)
    # pair forces are central: the virial, and so the tensor, is symmetric
    np.testing.assert_allclose(tensor, tensor.transpose(0, 2, 1), atol=1e-6 * np.abs(tensor).max())
    # first sample: the unmoved start, so the tensor is the static virial plus Σ m v v / V
    atoms = charged_salt()
    xx, yy, zz, yz, xz, xy = salt_calculator().get_stress(atoms)
    virial = -np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    start = read_h5md(md_file, 0)
    p = start.get_momenta()
    kinetic = (p / start.get_masses()[:, None]).T @ p / start.get_volume()
    np.testing.assert_allclose(tensor[0], (virial + kinetic) / units.bar, rtol=1e-6, atol=1e-3)


def test_green_kubo_reads_the_observable_and_matches_frames(md_file):
    kw = dict(temperature=600, max_lag=0.02, n_blocks=2, plateau=(0.01, 0.02))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gk = GreenKuboConductivity(md_file, None, **kw).run()
        obs = gk.results
        # the Universe's MDAnalysis reader holds the file with HDF5 locking; a second
        # lock-free open of it in this process would fail
        del gk
        gc.collect()
        frames = GreenKuboConductivity(md_file, None, observables=False, **kw).run().results
    assert obs.source == "charge_current observable" and frames.source == "frames"
    np.testing.assert_allclose(obs.running_integral, frames.running_integral, rtol=1e-5)
    assert obs.sigma == pytest.approx(frames.sigma, rel=1e-5)
    assert obs.sigma_self is None
    assert set(obs.parts) == {"collective:A", "collective:B", "distinct:A-B"}
    assert obs.transference["A"] + obs.transference["B"] == pytest.approx(1.0)
    assert obs.charges == {"A": {"charge": 1.0, "source": "formal"},
                           "B": {"charge": -1.0, "source": "formal"}}


def test_universe_with_its_observable_file_and_the_report(md_file, tmp_path):
    from mda_electrolyte.report import run_analyses

    _, _, current = h5md_series(md_file, "charge_current")
    u = from_ase(md_file)
    ions = {"A": "resname A", "B": "resname B"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = GreenKuboConductivity(u, ions, temperature=600, max_lag=0.02, n_blocks=2,
                                  observables=md_file).run().results
        summary = run_analyses(u, tmp_path, only=["green_kubo_conductivity", "viscosity",
                                                  "density"])
    assert r.source == "charge_current observable"
    assert r.acf[0] == pytest.approx(np.mean(np.sum(current.sum(axis=1) ** 2, axis=1)), rel=0.2)
    gk = summary["green_kubo_conductivity"]
    assert gk["settings"]["source"] == "charge_current observable" and gk["conductivity"]["verdict"]
    # 60 steps of an ionic crystal: far too short, and the answer says so rather than a number
    assert "viscosity" in summary["viscosity"] or "refused" in summary["viscosity"]
    density = summary["density"]
    assert "refused" in density or (
        density["density"]["verdict"] != "valid" or density["diagnostics"]["n_effective"] >= 50
    )
    u.trajectory.close()


def test_protocol_runs_nvt_production_at_the_npt_mean_volume(tmp_path):
    from ase_electrolyte.md import run_protocol
    from mda_electrolyte.uncertainty import detect_equilibration

    atoms = charged_salt()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = run_protocol(
            atoms, salt_calculator(), tmp_path, temperature_K=300, preequilibration_ps=0.0,
            equilibration_ps=0.06, production_ps=0.01, production_ensemble="nvt",
            write_interval_fs=5.0, observe_interval_fs=1.0, progress=False,
        )
    _, _, volume = h5md_series(res.files["equilibration"], "volume")
    target = volume[detect_equilibration(volume)[0]:].mean()
    step, _, prod_volume = h5md_series(res.files["production"], "volume")
    np.testing.assert_allclose(prod_volume, target, rtol=1e-9)
    # observables at every production step
    np.testing.assert_array_equal(np.diff(step), 1)
    assert h5md_series(res.files["production"], "pressure_tensor")[2].shape == (step.size, 3, 3)


def test_one_collection_carries_the_observable_and_green_kubo_prefers_it(md_file):
    from mda_electrolyte.ion_collection import IonCollector

    u = from_ase(md_file)
    kw = dict(temperature=600, max_lag=0.02, n_blocks=2, plateau=(0.01, 0.02))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        col = IonCollector(u, {"A": "resname A", "B": "resname B"}).run().collection
        observed = GreenKuboConductivity.from_collections(col, **kw).results
        frames = GreenKuboConductivity.from_collections(col, observables=False, **kw).results
        direct = GreenKuboConductivity(md_file, None, **kw).run().results
    assert col.charge_current_observable is not None
    assert observed.source == "charge_current observable" and frames.source == "frames"
    assert observed.sigma == pytest.approx(direct.sigma, rel=1e-12)
    # the observable records every step, as the frames here: the same current
    np.testing.assert_allclose(observed.running_integral, frames.running_integral, rtol=1e-5)
    u.trajectory.close()


def test_analyze_reports_temperatures_as_estimates_and_model_errors_without_stored_energies(
        md_file, tmp_path):
    from ase_electrolyte.estimate import Estimate
    from mda_electrolyte.report import run_analyses
    from mda_electrolyte.uncertainty import timeseries_mean

    u = from_ase(md_file)
    masses = u.atoms.masses
    n = u.atoms.n_atoms
    temps = []
    for ts in u.trajectory:
        v = ts.velocities / (1000 * units.fs)  # Å/ps -> ASE velocity units
        p = masses @ v
        temps.append((np.sum(masses[:, None] * v * v) - p @ p / masses.sum())
                     / ((3 * n - 3) * units.kB))
    # the frames' temperature is the one run_md recorded at their steps (3N - 3 degrees of
    # freedom: the centre of mass at rest), not 3N/(3N - 3) = 96/93 times less
    steps, _, recorded = h5md_series(md_file, "temperature")
    frame_steps = [int(round(ts.data["step"])) if "step" in ts.data else k
                   for k, ts in enumerate(u.trajectory)]
    np.testing.assert_allclose(temps, recorded[np.searchsorted(steps, frame_steps)], rtol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = run_analyses(u, tmp_path, calculator=salt_calculator(), only=[
            "green_kubo_conductivity", "viscosity", "intra_inter_errors"])
    gk = summary["green_kubo_conductivity"]
    if "refused" not in gk:
        t = Estimate.from_dict(gk["temperature_K (kinetic)"])
        # the frames' kinetic temperature: mean and statistical-inefficiency error of all frames
        assert t.unit == "K" and t.value == pytest.approx(np.mean(temps), rel=1e-5)
        assert t.stderr == pytest.approx(timeseries_mean(np.array(temps))[1], rel=1e-4)
    visc = summary["viscosity"]
    if "refused" not in visc:
        t = Estimate.from_dict(visc["temperature_K"])
        observed = h5md_series(md_file, "temperature")[2]
        assert t.value == pytest.approx(np.mean(observed), rel=1e-9)
    assert "refused" not in gk or "refused" not in visc  # a temperature was checked
    # run_md's forces are the model's own (its run records the calculator): no labels, the
    # errors are skipped with that reason (they were compared, the model's rounding, < 1e-4
    # eV/Å, reported as its error)
    errors = summary["intra_inter_errors"]
    assert "failed" not in errors and "the model's own" in errors["skipped"], errors
    u.trajectory.close()


#: Summary keys whose plain numbers are settings or fit diagnostics of an Estimate next to them,
#: not results: frame spacing, windows, charges, counts, fit quality.
_NOT_RESULTS = {"frame_spacing_ps", "plateau_ps", "fit_window_ps", "charge", "charges",
                "acf_first_lag_ratio", "r2", "loglog_slope", "n_segments", "n_ions",
                "settings", "diagnostics"}


def test_every_reported_number_is_an_estimate_or_a_setting_and_none_is_nan(md_file, tmp_path):
    import json

    from mda_electrolyte.report import run_analyses

    u = from_ase(md_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_analyses(u, tmp_path, calculator=salt_calculator(), keep_going=True)
    u.trajectory.close()

    def refuse(constant):
        raise AssertionError(f"{constant} in summary.json")

    summary = json.loads((tmp_path / "summary.json").read_text(), parse_constant=refuse)
    bare = []

    def walk(obj, path):
        if isinstance(obj, dict):
            if {"value", "stderr", "verdict", "converged"} <= set(obj):
                assert obj["converged"] is False or None not in (obj["value"], obj["stderr"])
                return
            for key, value in obj.items():
                if key not in _NOT_RESULTS:
                    walk(value, path + [key])
        elif isinstance(obj, list):
            if all(isinstance(v, (int, float)) for v in obj):
                return  # a curve (g(r), r): data drawn in the plots, not a reported number
            for value in obj:
                walk(value, path)
        elif isinstance(obj, float):
            bare.append("/".join(path))

    walk(summary, [])
    assert not bare, bare
