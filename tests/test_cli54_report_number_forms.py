"""The report's sentences show a number in the one form of an Estimate (``number_text``).

``given_temperature_record`` (``analyze --temperature``: the setting beside the run's own
temperature) wrote an unknown error as ``± 0 K`` (one frame's kinetic temperature read as
exact), a missing temperature as ``nan K``, and the others with digits of its own
(``.4g ± .2g``: 298.2 ± 0.35 where the summary's row of the same Estimate reads 298.15 ±
0.35). The demo's starting-density line wrote ``.3f ± .3f``: "1.208 ± 0.009" beside the
report's "1.2079 ± 0.0086", "± 0.000" for an error below 0.0005, "± nan" for an unknown one.
"""

import math
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from ase_electrolyte.estimate import Estimate
from electrolyte_cli.demo import starting_density_line
from mda_electrolyte.report import given_temperature_record

#: amu Å²/ps² per eV (the velocities' unit, Å/ps, with masses in amu) and k_B in eV/K.
_AMU_A2_PS2_PER_EV = 9648.533212
_KB_EV = 8.617333262e-5


def _gas(n_frames, temperature_K, n_atoms=20, seed=0):
    """``n_atoms`` carbon atoms in a 10 Å box, ``n_frames`` frames of Maxwell-Boltzmann
    velocities at ``temperature_K`` (centre of mass at rest)."""
    rng = np.random.default_rng(seed)
    sigma = math.sqrt(_KB_EV * temperature_K * _AMU_A2_PS2_PER_EV / 12.0)
    velocities = rng.normal(0.0, sigma, (n_frames, n_atoms, 3))
    velocities -= velocities.mean(axis=1, keepdims=True)
    positions = rng.uniform(0.0, 10.0, (n_frames, n_atoms, 3))
    u = mda.Universe.empty(n_atoms, trajectory=False)
    u.add_TopologyAttr("masses", np.full(n_atoms, 12.0))
    u.load_new(positions.astype(np.float32), format=MemoryReader,
               velocities=velocities.astype(np.float32),
               dimensions=np.tile([10.0, 10, 10, 90, 90, 90], (n_frames, 1)), dt=0.1)
    return u


@pytest.mark.parametrize("n_frames, temperature_K, given", [
    (1, 3.0, 300.0),      # one frame: no error; the setting far off
    (1, 300.0, 301.0),    # one frame near the setting
    (60, 298.15, 298.0),  # many frames: an error to two digits
    (60, 300.0, 450.0),
    (60, 1.0, 300.0),
])
def test_the_runs_temperature_is_written_as_its_estimate(n_frames, temperature_K, given):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = given_temperature_record(_gas(n_frames, temperature_K), given)
    measured = record["run_temperature"]
    text = record["temperature_check"]
    assert f"the run's {measured.number_text()} K" in text, text
    if not math.isfinite(measured.stderr):
        assert "error unknown" in text and "± 0 K" not in text, text
    assert "nan" not in text.lower(), text


@pytest.mark.parametrize("est", [
    Estimate(1.207926, 0.0086105, "g/cm^3", "propagated", n_samples=3),
    Estimate(1.2449, 0.0004, "g/cm^3", "propagated", n_samples=3),
    Estimate(0.9871, 0.00002, "g/cm^3", "propagated", n_samples=3),
    Estimate.invalid(1.3, float("nan"), "g/cm^3", "propagated", "no measured density of X"),
    Estimate.invalid(float("nan"), float("nan"), "g/cm^3", "propagated", "no density"),
])
def test_the_packing_density_is_written_as_its_estimate(est):
    line = starting_density_line(est)
    if math.isfinite(est.value):
        assert f"box packed at {est.number_text()} g/cm³" in line, line
    assert "nan" not in line.lower() and "± 0.000 " not in line, line
    if not est.valid:
        assert "estimate not valid" in line, line
