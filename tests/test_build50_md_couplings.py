"""run_md's couplings and NVE's temperature: a thermostat or barostat time given to an
ensemble without that coupling is refused before the model is evaluated (pdamp_fs=500 with NVT
ran at constant volume without a word), and NVE from rest (temperature_K=0) runs, as the start
without velocities it is."""
import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import ONE_ATM_BAR, run_md, run_protocol
from ase_electrolyte.trajectory import h5md_series, read_h5md

_RUN = dict(steps=4, timestep_fs=5.0, progress=False)


@pytest.mark.parametrize("ensemble, kw, coupling", [
    ("nvt", {"pdamp_fs": 500.0}, "barostat"),
    ("nvt", {"pdamp_fs": 5000.0, "tdamp_fs": 500.0}, "barostat"),
    ("NVT", {"pdamp_fs": 1}, "barostat"),
    ("nve", {"pdamp_fs": 500.0}, "barostat"),
    ("nve", {"tdamp_fs": 100.0}, "thermostat"),
    ("nve", {"tdamp_fs": np.float32(100.0)}, "thermostat"),
])
def test_a_coupling_the_ensemble_has_not_is_refused_before_the_model(ensemble, kw, coupling):
    atoms = argon(StoppingArgon(), rattle=0.02)
    name = "pdamp_fs" if coupling == "barostat" else "tdamp_fs"
    with pytest.raises(ValueError) as err:
        run_md(atoms, ensemble=ensemble, temperature_K=100.0, **kw, **_RUN)
    message = str(err.value)
    assert message.startswith(f"{name} = {float(kw[name]):g} fs sets the {coupling}, and "
                              f"{ensemble.upper()} has none")
    assert f"leave out {name}" in message and "NPT" in message
    assert atoms.calc.calls == 0


@pytest.mark.parametrize("ensemble", ["nvt", "NVE"])
@pytest.mark.parametrize("pressure", [500.0, 101325.0, -1.0, 0.0, np.float32(2.0)])
def test_a_pressure_at_constant_volume_is_refused_before_the_model(ensemble, pressure):
    atoms = argon(StoppingArgon(), rattle=0.02)
    with pytest.raises(ValueError) as err:
        run_md(atoms, ensemble=ensemble, temperature_K=100.0, pressure_bar=pressure, **_RUN)
    assert str(err.value).startswith(
        f"pressure_bar = {float(pressure):g} bar is the barostat's target, and "
        f"{ensemble.upper()} has none")
    assert atoms.calc.calls == 0


@pytest.mark.parametrize("ensemble", ["nvt", "nve"])
@pytest.mark.parametrize("pressure", [None, ONE_ATM_BAR])
def test_no_pressure_or_the_default_runs_at_constant_volume(ensemble, pressure):
    # None was refused as "pressure_bar must be a finite number, got None"
    out = run_md(argon(StoppingArgon(), rattle=0.02), ensemble=ensemble, temperature_K=100.0,
                 pressure_bar=pressure, **_RUN)
    assert out.info["step"] == 4


def test_npt_needs_its_pressure():
    with pytest.raises(ValueError, match="pressure_bar must be a finite number, got None"):
        run_md(argon(StoppingArgon()), ensemble="npt", temperature_K=100.0, pressure_bar=None,
               **_RUN)


@pytest.mark.parametrize("ensemble, kw", [
    ("nvt", {"tdamp_fs": 500.0}),
    ("npt", {"tdamp_fs": 500.0, "pdamp_fs": 5000.0}),
    ("nve", {}),
])
def test_the_couplings_an_ensemble_has_are_taken(ensemble, kw):
    atoms = argon(StoppingArgon(), rattle=0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_md(atoms, ensemble=ensemble, temperature_K=100.0, **kw, **_RUN)
    assert out.info["step"] == 4


@pytest.mark.parametrize("zero", [0, 0.0, np.float64(0.0), -0.0])
def test_nve_from_rest_at_zero_kelvin_runs_as_the_start_without_velocities(zero, tmp_path):
    # rattled argon released from rest: its potential energy turns into heat, the total is
    # conserved, and the run is the one without temperature_K (velocities none drawn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rest = run_md(argon(StoppingArgon(), rattle=0.05), ensemble="nve", temperature_K=zero,
                      trajectory=tmp_path / "rest.h5md", write_interval=2, **_RUN)
    assert not [w for w in caught if "temperature" in str(w.message)]  # no "°C?" doubt
    unset = run_md(argon(StoppingArgon(), rattle=0.05), ensemble="nve", **_RUN)
    np.testing.assert_allclose(rest.positions, unset.positions, rtol=0, atol=1e-12)
    first = read_h5md(tmp_path / "rest.h5md", 0)
    assert not np.any(first.get_velocities())
    _, _, temperature = h5md_series(tmp_path / "rest.h5md", "temperature")
    assert temperature[0] == 0.0 and temperature[-1] > 0.1
    _, _, total = h5md_series(tmp_path / "rest.h5md", "conserved_energy")
    assert np.ptp(total) < 1e-4 * 0.0104 * 32  # eV: conserved to 1e-4 of the well depths


@pytest.mark.parametrize("ensemble, temperature", [("nve", -1.0), ("nvt", 0.0), ("npt", 0.0)])
def test_no_temperature_below_zero_nor_a_thermostat_at_zero(ensemble, temperature):
    atoms = argon(StoppingArgon(), rattle=0.02)
    bound = ">= 0" if ensemble == "nve" else "> 0"
    with pytest.raises(ValueError, match=f"temperature_K \\({ensemble.upper()}\\) must be a "
                                         f"finite number {bound}"):
        run_md(atoms, ensemble=ensemble, temperature_K=temperature, **_RUN)
    assert atoms.calc.calls == 0


@pytest.mark.parametrize("production", ["nve", "nvt"])
def test_the_protocol_gives_its_production_only_the_couplings_it_has(production, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # a pressure for the NPT stages, which the production at constant volume has not
        out = run_protocol(argon(rattle=0.02), StoppingArgon(), tmp_path, temperature_K=80.0,
                           pressure_bar=200.0,
                           preequilibration_ps=0.0, equilibration_ps=0.01, production_ps=0.01,
                           production_ensemble=production, hydrogen_mass=None,
                           timestep_fs=5.0, write_interval_fs=5.0, observe_interval_fs=5.0,
                           progress=False)
    assert out is not None and (tmp_path / "production.h5md").exists()
