"""A temperature that the velocities contradict marks the transport numbers that divide by it.

Green–Kubo, Einstein–Helfand and Onsager coefficients are correlations (which scale with the
temperature the velocities have) divided by k_B T of the temperature given. Velocities in another
unit than Å/ps (nm/ps, Å/fs, m/s) or a temperature in another unit give numbers off by orders of
magnitude that would otherwise read as valid.
"""

import numpy as np
import pytest
from ase import units
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.units import MAX_PLAUSIBLE_TEMPERATURE_K, MIN_PLAUSIBLE_TEMPERATURE_K
from mda_electrolyte import (
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    IonCollector,
    OnsagerCoefficients,
)
from mda_electrolyte.carriers import MAX_TEMPERATURE_RATIO, temperature_notes

TEMPERATURE, TAU, DT, BOX = 300.0, 0.2, 0.02, 30.0
MASSES = (6.94, 19.0)


def _thermal(scale=1.0, seed=0, n_pairs=8, n_frames=2000):
    """Ions moving with the Maxwell–Boltzmann spread of 300 K, velocities stored x ``scale``."""
    rng = np.random.default_rng(seed)
    # k_B T / m in Å²/ps²: eV/amu -> (Å/ps)² through ASE's units
    per_mass = units.kB * TEMPERATURE / (units.fs * 1000) ** -2
    v = np.concatenate([
        ornstein_uhlenbeck(rng, n_frames, (n_pairs, 3), TAU, DT, np.sqrt(per_mass / m))
        for m in MASSES
    ], axis=1)
    start = rng.uniform(0, BOX, size=(2 * n_pairs, 3))
    # the positions are right (Å); only the velocities are stored in another unit
    return salt_universe(v * scale, integrate(v, DT, start), n_cations=n_pairs, dt=DT, box=BOX,
                         masses=MASSES)


def _marked(estimate):
    return [n for n in estimate.notes if "kinetic temperature" in n]


def test_thermal_velocities_have_the_temperature_and_no_mark():
    u = _thermal()
    col = IonCollector(u, IONS).run().collection
    assert col.kinetic_temperature == pytest.approx(TEMPERATURE, rel=0.05)
    gk = GreenKuboConductivity(u, IONS, temperature=TEMPERATURE, max_lag=2.0).run()
    assert _marked(gk.results.conductivity) == []
    assert temperature_notes([col], TEMPERATURE) == []


@pytest.mark.parametrize("scale, temperature, ratio", [
    (0.1, TEMPERATURE, 1e-2),     # nm/ps read as Å/ps
    (1e-3, TEMPERATURE, 1e-6),    # Å/fs read as Å/ps
    (100.0, TEMPERATURE, 1e4),    # m/s read as Å/ps
    (1.0, 26.85, 11.2),           # the temperature in °C
    # a digit too many; beyond the 10x limit by more than the kinetic temperature's sampling
    # error (1.6 %): 3001 K marked 299.3 K (3N) but not 300.7 K (3N - 3, the same frames)
    (1.0, 3200.0, 0.094),
])
def test_velocities_or_temperature_in_another_unit_mark_every_transport_number(
        scale, temperature, ratio):
    u = _thermal(scale)
    col = IonCollector(u, IONS, unwrap=False).run().collection
    notes = temperature_notes([col], temperature)
    # a temperature outside units' plausible range is doubted as a unit first (4e882fb),
    # whatever the velocities say; the ratio to the velocities' temperature is the note after it
    doubted = not (MIN_PLAUSIBLE_TEMPERATURE_K <= temperature <= MAX_PLAUSIBLE_TEMPERATURE_K)
    assert len(notes) == 1 + doubted
    if doubted:
        assert notes[0].startswith("unit doubted: the temperature")
    ratio_note = notes[-1]
    assert ratio_note.startswith("not a result")
    measured = col.kinetic_temperature / temperature
    assert measured == pytest.approx(ratio, rel=0.06)
    assert f"{measured:.3g} times the {temperature:g} K given" in ratio_note
    # the analyses that integrate velocities; Einstein–Helfand from positions is judged when
    # its collection holds velocities too
    for analysis in (
        GreenKuboConductivity(u, IONS, temperature=temperature, max_lag=2.0),
        OnsagerCoefficients(u, IONS, temperature=temperature, method="green-kubo",
                            max_lag=2.0),
        OnsagerCoefficients.from_collections(
            IonCollector(u, IONS).run().collection, temperature=temperature),
        EinsteinHelfandConductivity.from_collections(
            IonCollector(u, IONS, velocities=True).run().collection, temperature=temperature),
    ):
        results = (analysis.results if "conductivity" in analysis.results
                   else analysis.run().results)
        estimates = [results.conductivity]
        if isinstance(analysis, OnsagerCoefficients):
            estimates += [results.coefficients["Li-Li"], results.transference_numbers["Li"]]
        for estimate in estimates:
            assert not estimate.valid and _marked(estimate), type(analysis).__name__


def test_the_ratio_limit_is_inclusive_and_symmetric():
    class Col:
        label = "run"

    col = Col()
    for factor, marked in ((MAX_TEMPERATURE_RATIO, False), (1 / MAX_TEMPERATURE_RATIO, False),
                           (MAX_TEMPERATURE_RATIO * 1.01, True), (0.99 / MAX_TEMPERATURE_RATIO,
                                                                  True)):
        col.kinetic_temperature = TEMPERATURE * factor
        assert bool(temperature_notes([col], TEMPERATURE)) is marked, factor
    col.kinetic_temperature = None  # a collection of charge currents only: not judged
    assert temperature_notes([col], TEMPERATURE) == []
