"""Collect once, estimate many: IonCollector/IonCollection and the estimators built on them."""

import json
import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte import ion_collection as ic
from mda_electrolyte.conductivity import _conductivity_prefactor
from mda_electrolyte.ion_collection import IonCollection, IonCollector

TAU, DT, S, BOX, T = 0.5, 0.05, 2.0, 40.0, 300.0


@pytest.fixture(scope="module")
def salt():
    rng = np.random.default_rng(31)
    v = ornstein_uhlenbeck(rng, 4000, (8, 3), TAU, DT, S)
    x = integrate(v, DT, rng.uniform(0, BOX, (8, 3)))
    # what the Universe stores: single precision
    return v.astype(np.float32).astype(np.float64), x.astype(np.float32).astype(np.float64)


def test_estimators_from_stored_arrays_equal_the_trajectory_path(salt):
    """A collection built from arrays (no trajectory) gives the numbers of the Universe path."""
    v, x = salt
    u = salt_universe(v, x, n_cations=4, dt=DT, box=BOX)
    col = IonCollection.from_arrays({"Li": 4, "AN": 4}, dt=DT, velocities=v, positions=x,
                                    charges={"Li": 1.0, "AN": -1.0}, volume=BOX**3,
                                    masses={"Li": 6.94, "AN": 19.0})
    kw = dict(temperature=T, max_lag=5 * TAU)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gk_u = GreenKuboConductivity(u, IONS, **kw).run().results
        gk_a = GreenKuboConductivity.from_collections(col, **kw).results
    np.testing.assert_allclose(gk_a.running_integral, gk_u.running_integral, rtol=1e-9)
    assert gk_a.conductivity.value == pytest.approx(gk_u.conductivity.value, rel=1e-9)
    assert gk_a.sigma_self == pytest.approx(gk_u.sigma_self, rel=1e-9)
    eh_u = EinsteinHelfandConductivity(u, IONS, temperature=T).run().results
    eh_a = EinsteinHelfandConductivity.from_collections(col, temperature=T).results
    assert eh_a.sigma == pytest.approx(eh_u.sigma, rel=1e-8)
    d_u = Diffusion(u, IONS).run().results
    d_a = Diffusion.from_collections(col).results
    for s in ("Li", "AN"):
        assert d_a.D[s] == pytest.approx(d_u.D[s], rel=1e-8)
        assert d_a.diffusion_coefficient[s].stderr == pytest.approx(d_u.D_err[s], rel=1e-6)
    on_u = OnsagerCoefficients(u, IONS, T).run().results
    on_a = OnsagerCoefficients.from_collections(col, temperature=T).results
    np.testing.assert_allclose(on_a.L, on_u.L, rtol=1e-8)
    # the analytic value: 8 independent ions, ∫<v·v> = 3 s² τ each
    exact = _conductivity_prefactor(BOX**3, T, 3) * 8 * 3 * S**2 * TAU
    assert abs(gk_a.sigma - exact) < 3 * gk_a.sigma_err
    # Nernst–Einstein from the same collection: D of the charged species, α_d from GK
    ne = NernstEinstein.from_collections(col, temperature=T, conductivity=gk_a.conductivity)
    assert set(ne.results.transference_numbers) == {"Li", "AN"}
    assert isinstance(ne.results.dissociation, Estimate)
    assert abs(ne.results.dissociation.value - 1) < 3 * ne.results.dissociation.stderr + 0.1


def test_every_number_is_an_estimate_with_method_and_verdict(salt):
    v, x = salt
    col = IonCollection.from_arrays({"Li": 4, "AN": 4}, dt=DT, velocities=v, positions=x,
                                    charges={"Li": 1.0, "AN": -1.0}, volume=BOX**3)
    with pytest.warns(RuntimeWarning, match="not converged"):
        short = GreenKuboConductivity.from_collections(col, temperature=T, max_lag=0.3 * TAU)
    est = short.results.conductivity
    assert not est.valid and est.verdict.startswith("not converged")
    assert est.method == "t-scaled standard error over 10 contiguous blocks"
    assert est.n_samples == 10
    # the float keys are aliases of the Estimate, verdict included
    assert short.results.sigma == est.value and short.results.verdict == est.verdict
    # the plot marks the number as not valid
    import matplotlib

    matplotlib.use("Agg")
    ax = short.plot()
    assert "NOT VALID" in ax.get_title() and ax.title.get_color() == "tab:red"
    assert any(t.get_text().startswith("NOT VALID\nnot converged") for t in ax.texts)
    matplotlib.pyplot.close("all")
    two = [IonCollection.from_arrays({"Li": 4, "AN": 4}, dt=DT, positions=x[:2000] + k,
                                     charges={"Li": 1.0, "AN": -1.0}, volume=BOX**3)
           for k in range(2)]
    eh = EinsteinHelfandConductivity.from_collections(two, temperature=T).results.conductivity
    assert eh.method == "t-scaled standard error over 2 independent runs"
    d = Diffusion.from_collections(two[0], n_blocks=1).results.diffusion_coefficient["Li"]
    # one segment: the error is the spread over 4 ions, said so in the method
    assert "4 ions" in d.method


def test_species_currents_beyond_the_budget_give_the_same_total(salt):
    """Without per-ion velocities (memory budget) σ is the same; self/distinct are not split."""
    v, x = salt
    u = salt_universe(v, x, n_cations=4, dt=DT, box=BOX)
    full = IonCollector(u, IONS, require_charges=True).run().collection
    lean = IonCollector(u, IONS, require_charges=True, ion_velocity_budget=0).run().collection
    assert full.ion_velocities is not None and lean.ion_velocities is None
    assert "ion_velocity_budget" in lean.notes[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = GreenKuboConductivity.from_collections(full, temperature=T, max_lag=5 * TAU).results
        b = GreenKuboConductivity.from_collections(lean, temperature=T, max_lag=5 * TAU).results
    assert b.sigma == pytest.approx(a.sigma, rel=1e-10)
    assert b.conductivity_self is None and set(b.parts) == {
        "collective:Li", "collective:AN", "distinct:Li-AN"}
    # what is kept per frame does not grow with the atoms: species sums and the centre of mass
    assert lean.nbytes() - lean.ion_positions.nbytes == lean.n_frames * (4 * 2 * 3 + 2 * 3) * 8


def test_chunks_parts_and_kept_frames_reproduce_the_whole_trajectory(monkeypatch):
    """Small chunks, two parallel parts joined by minimum-image steps, and positions kept every
    k-th frame give the unwrapped centres of the free trajectory."""
    rng = np.random.default_rng(4)
    n_frames, box = 301, 6.0
    steps = rng.normal(scale=0.4, size=(n_frames, 6, 3))
    steps[0] = rng.uniform(0, box, size=(6, 3))
    free = np.cumsum(steps, axis=0)
    free32 = free.astype(np.float32).astype(np.float64)
    u = salt_universe(np.zeros_like(free), free32 % box, n_cations=3, dt=DT, box=box)
    monkeypatch.setattr(ic, "CHUNK_FRAMES", 7)
    serial = IonCollector(u, IONS, unwrap=True).run().collection
    par = IonCollector(u, IONS, unwrap=True).run(backend="multiprocessing", n_workers=2)
    par = par.collection
    # unwrapping reproduces the free track up to float32 wrapping round-off
    np.testing.assert_allclose(serial.ion_positions, free32, atol=1e-4)
    np.testing.assert_allclose(par.ion_positions, serial.ion_positions, atol=1e-9)
    np.testing.assert_allclose(par.position_sum, serial.position_sum, atol=1e-9)
    kept = IonCollector(u, IONS, unwrap=True, max_ion_frames=31).run().collection
    assert kept.ion_stride == 10 and kept.ion_positions.shape[0] == 31
    np.testing.assert_allclose(kept.ion_positions, serial.ion_positions[::10], atol=1e-9)
    d = Diffusion.from_collections(kept, n_blocks=1).results
    assert d.frame_spacing == pytest.approx(10 * DT)
    # the same rows from a parallel run and from a slice: kept on trajectory frames 0, 10, ...
    kept_par = IonCollector(u, IONS, unwrap=True, max_ion_frames=31).run(
        backend="multiprocessing", n_workers=3).collection
    np.testing.assert_allclose(kept_par.ion_positions, kept.ion_positions, atol=1e-9)
    sliced = IonCollector(u, IONS, unwrap=True, max_ion_frames=31).run(start=5).collection
    assert sliced.ion_offset == 5 and sliced.ion_stride == 10
    np.testing.assert_allclose(sliced.ion_positions - sliced.ion_positions[0],
                               kept.ion_positions[1:] - kept.ion_positions[1], atol=1e-6)


def test_analyze_reads_the_trajectory_once_for_every_transport_quantity(tmp_path, monkeypatch,
                                                                         salt):
    from mda_electrolyte import conductivity, report

    v, x = salt
    u = salt_universe(v, x, n_cations=4, dt=DT, box=BOX)
    calls = []
    original = IonCollector._single_frame

    def counted(self):
        calls.append(self._ts.frame)
        return original(self)

    monkeypatch.setattr(IonCollector, "_single_frame", counted)

    def no_second_read(*args, **kwargs):
        raise AssertionError("the kinetic temperature re-read the trajectory")

    monkeypatch.setattr(conductivity, "kinetic_temperature", no_second_read)
    names = ["green_kubo_conductivity", "einstein_helfand_conductivity", "diffusion",
             "nernst_einstein", "viscosity"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = report.run_analyses(u, tmp_path, only=names)
    assert sorted(calls) == list(range(u.trajectory.n_frames))
    for name in names[:4]:
        assert "refused" not in summary[name], summary[name]
    assert Estimate.from_dict(summary["nernst_einstein"]["dissociation"]).unit == "1"
    stored = json.loads((tmp_path / "summary.json").read_text())
    assert stored == summary
    d = stored["diffusion"]["D"]["LI"]
    assert set(d) == {"value", "stderr", "unit", "method", "n_samples", "converged", "verdict",
                      "notes", "dof", "interval_scale"}
    # the t-scaled error over segments keeps its degrees of freedom for its intervals
    assert d["dof"] == d["n_samples"] - 1
    # a second run_analyses reads again: the sharing is per call, never stale
    report.run_analyses(u, tmp_path, only=["diffusion"])
    assert len(calls) == 2 * u.trajectory.n_frames


def test_bad_collections_are_refused():
    x = np.zeros((10, 2, 3))
    with pytest.raises(ValueError, match="shape"):
        IonCollection.from_arrays({"Li": 3}, dt=DT, positions=x)
    with pytest.raises(ValueError, match="NaN"):
        IonCollection.from_arrays({"Li": 2}, dt=DT, positions=x * np.nan)
    col = IonCollection.from_arrays({"Li": 1, "AN": 1}, dt=DT, positions=x,
                                    charges={"Li": 1, "AN": -1})
    with pytest.raises(ValueError, match="velocity_sum|current"):
        GreenKuboConductivity.from_collections(col, temperature=T)
    with pytest.raises(ValueError, match="no box"):
        EinsteinHelfandConductivity.from_collections(col, temperature=T)
    with pytest.raises(TypeError, match="IonCollection"):
        Diffusion.from_collections([x])


def test_pressure_tensor_collections():
    rng = np.random.default_rng(5)
    p = rng.normal(size=(50, 3, 3))
    col = IonCollection.from_pressure_tensor(p, dt=0.001, volume=8000.0, temperature=300.0)
    assert col.n_frames == 50 and col.species == [] and col.nbytes() == p.nbytes
    # a copy: the caller's later edits do not reach the collection (test_transport_caller_arrays)
    assert col.pressure_tensor is not None and not np.shares_memory(col.pressure_tensor, p)
    np.testing.assert_array_equal(col.pressure_tensor, p)
    assert col.kinetic_temperature == 300.0 and col.source == "pressure_tensor"
    with pytest.raises(ValueError, match=r"\(T, 3, 3\)"):
        IonCollection.from_pressure_tensor(p[:, :2], dt=0.001, volume=8000.0)
    with pytest.raises(ValueError, match="NaN"):
        IonCollection.from_pressure_tensor(p * np.nan, dt=0.001, volume=8000.0)
    with pytest.raises(ValueError, match="volume"):
        IonCollection.from_pressure_tensor(p, dt=0.001, volume=None)
    with pytest.raises(ValueError, match="temperature"):
        IonCollection.from_pressure_tensor(p, dt=0.001, volume=8000.0, temperature=-1)
    # a field of a collection shares its frames with the others
    with pytest.raises(ValueError, match="frames"):
        IonCollection(["Li"], [1], 0.001, current=np.zeros((49, 1, 3)), pressure_tensor=p)


def test_a_trajectory_without_observables_carries_none(salt):
    v, x = salt
    u = salt_universe(v[:20], x[:20], n_cations=4, dt=DT, box=BOX)
    col = IonCollector(u, IONS).run().collection
    assert col.pressure_tensor_observable is None and col.charge_current_observable is None
