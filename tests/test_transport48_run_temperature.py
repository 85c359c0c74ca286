"""A temperature given to a transport analysis is judged by the run's measured temperature.

Found by probing: ``GreenKuboConductivity("nvt.h5md", None, 100)`` of a run_md NVT run at
600 K gave σ six times too large, marked valid with no note (σ ∝ 1/T); only a temperature 10
times off (``MAX_TEMPERATURE_RATIO``) was caught, and the charge-current observable path
judged no temperature at all. Now every analysis dividing by k_B T (Green–Kubo and
Einstein–Helfand σ, Onsager L_ij, σ_NE, the Yeh–Hummer D, η) marks its numbers "not at the
run's temperature" when the temperature given is more than 5 % and 3 standard errors of the
mean from the run's (its H5MD ``temperature`` observable, or the kinetic temperature of all its
atoms), while the velocities of a few ions, or of a small synthetic system, stay judged by the
ratio rule only.
"""

import warnings

import numpy as np
import pytest
from transport_data import ion_run_file

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    NernstEinstein,
    OnsagerCoefficients,
    from_ase,
)
from mda_electrolyte.carriers import TEMPERATURE_MISMATCH, run_temperature, temperature_notes
from mda_electrolyte.ion_collection import IonCollection, IonCollector
from mda_electrolyte.observables import read_observable

IONS = {"A": "resname A", "B": "resname B"}
NOTE = "not at the run's temperature"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = ion_run_file(tmp_path_factory.mktemp("run"))
    recorded = float(np.mean(read_observable(path, "temperature")["value"]))
    return path, recorded


def _notes(estimate):
    return [n for n in estimate.notes if n.startswith(NOTE)]


def _quiet(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build()


ANALYSES = {
    "GK path": lambda p, t: GreenKuboConductivity(str(p), None, t, n_blocks=2).run()
    .results.conductivity,
    "GK frames": lambda p, t: GreenKuboConductivity(from_ase(str(p)), IONS, t, n_blocks=2,
                                                    observables=False).run()
    .results.conductivity,
    "EH": lambda p, t: EinsteinHelfandConductivity(from_ase(str(p)), IONS, t, n_blocks=2).run()
    .results.conductivity,
    "Onsager": lambda p, t: OnsagerCoefficients(from_ase(str(p)), IONS, t, n_blocks=2).run()
    .results.conductivity,
    "GK collection": lambda p, t: GreenKuboConductivity.from_collections(
        IonCollector(from_ase(str(p)), IONS).run().collection, temperature=t, n_blocks=2)
    .results.conductivity,
    "NE of a Diffusion": lambda p, t: NernstEinstein(
        Diffusion(from_ase(str(p)), IONS, n_blocks=2).run(), temperature=t)
    .results.conductivity,
    "Yeh-Hummer D": lambda p, t: Diffusion(from_ase(str(p)), IONS, n_blocks=2,
                                           viscosity=(0.5, 0.05), temperature=t).run()
    .results.diffusion_coefficient_yeh_hummer["A"],
    "GK viscosity": lambda p, t: GreenKuboViscosity(str(p), temperature=t, n_blocks=2,
                                                    max_lag=0.01).run().results.shear_viscosity,
}


@pytest.mark.parametrize("factor", [100 / 600, 0.88])
@pytest.mark.parametrize("name", list(ANALYSES))
def test_a_temperature_off_the_runs_is_not_valid(run, name, factor):
    path, recorded = run
    given = round(recorded * factor, 3)
    est = _quiet(lambda: ANALYSES[name](path, given))
    notes = _notes(est)
    assert not est.valid and len(notes) == 1, (name, est.verdict)
    # both temperatures named
    assert f"{given:g} K given" in notes[0] and f"{recorded:.4g}" in notes[0]


@pytest.mark.parametrize("name", list(ANALYSES))
def test_the_runs_own_temperature_passes_the_check(run, name):
    path, recorded = run
    est = _quiet(lambda: ANALYSES[name](path, recorded * (1 + TEMPERATURE_MISMATCH / 2)))
    assert _notes(est) == [], est.verdict


def _collection(n_atoms_covered, covers_all, temperature, rng, dof=None):
    from mda_electrolyte.conductivity import TemperatureCount

    n = 50
    series = temperature * (1 + 0.01 * rng.standard_normal(n))
    col = IonCollection(["A", "B"], [1, 1], 0.01, charges=[np.ones(1), -np.ones(1)],
                        velocity_sum=rng.standard_normal((n, 2, 3)),
                        current=rng.standard_normal((n, 2, 3)),
                        com_velocity=np.zeros((n, 3)), volume=1e4,
                        covers_all_atoms=covers_all, temperature_series=series,
                        temperature_count=TemperatureCount(
                            dof if dof is not None else 3 * n_atoms_covered - 3, True,
                            "assumed"))
    return col


@pytest.mark.parametrize(("n_atoms", "covers_all", "judged"), [
    (2, True, False),       # a pair of synthetic ions: their velocities measure nothing
    (20, True, False),      # fewer than MIN_THERMAL_DOF degrees of freedom
    (500, False, False),    # ions alone, the solvent left out
    (40, True, True),       # every atom, 117 degrees of freedom
    (500, True, True),
])
def test_which_velocities_are_the_runs_temperature(n_atoms, covers_all, judged):
    rng = np.random.default_rng(3)
    col = _collection(n_atoms, covers_all, 450.0, rng)
    assert (run_temperature(col) is not None) is judged
    notes = temperature_notes([col], 300.0)
    assert bool(notes) is judged
    if judged:
        assert "300 K given" in notes[0] and "450" in notes[0]
    # within the ratio rule either way: a temperature ten times off is refused by it alone
    # (45 K is also no liquid's: its unit is doubted first, carriers.doubted_unit_notes)
    notes = temperature_notes([col], 45.0)
    assert notes[0].startswith("unit doubted: the temperature")
    assert any(n.startswith("not a result") for n in notes[1:])


def test_a_recorded_series_without_a_count_is_judged():
    rng = np.random.default_rng(4)
    p = rng.standard_normal((400, 3, 3))
    col = IonCollection.from_pressure_tensor(
        p, dt=0.001, volume=1e4, temperature_series=np.full(400, 350.0)
        + rng.standard_normal(400))
    assert temperature_notes([col], 300.0)[0].startswith(NOTE)
    assert temperature_notes([col], 351.0) == []


def test_recorded_series_one_per_collection():
    col = _collection(40, True, 300.0, np.random.default_rng(5))
    with pytest.raises(ValueError, match="recorded holds 2 temperature series for 1"):
        temperature_notes([col], 300.0, [None, None])
    # a recorded series judges a collection whose own velocities are not trusted
    partial = _collection(500, False, 300.0, np.random.default_rng(6))
    assert temperature_notes([partial], 300.0, [np.full(20, 600.0)])[0].startswith(NOTE)


def test_an_observable_collection_carrying_its_files_temperature_judges_the_run(run):
    # IonCollector's charge_current_observable carries the file's temperature observable (as
    # read_charge_current returns it): it judges Green–Kubo's run, though the ions' own
    # velocities are not the run's temperature
    from mda_electrolyte.conductivity import read_charge_current

    path, recorded = run
    u = from_ase(str(path))
    col = _quiet(lambda: IonCollector(u, IONS).run().collection)
    obs = col.charge_current_observable
    assert obs is not None
    series = read_charge_current(path)["temperature"]
    assert series.mean() == pytest.approx(recorded)
    np.testing.assert_array_equal(obs.temperature_series, series)
    assert obs.kinetic_temperature == pytest.approx(recorded)
    gk = _quiet(lambda: GreenKuboConductivity.from_collections(col, temperature=100.0,
                                                                n_blocks=2))
    assert _notes(gk.results.conductivity), gk.results.conductivity.verdict
    ok = _quiet(lambda: GreenKuboConductivity.from_collections(col, temperature=recorded,
                                                                n_blocks=2))
    assert _notes(ok.results.conductivity) == []
