"""The per-step guards (non-finite results, runaway temperature) at every stage: the relaxation,
NVE, NVT and NPT, and a resumed run.

Before: a relaxation whose model returned NaN forces went through all of its steps (1195
evaluations for 300 FIRE steps) before it said so, and one whose NaN energy or stress came with
finite forces relaxed to the end and was refused by the trajectory writer (a ValueError about
writing, not the model); a resumed NVE run without ``temperature_K`` took its temperature limit
from the frame it resumed from, not from its start: a heating run stopped by the guard at step
137 (1393 K > 1392 K) ran on to step 147 (limit 1644 K) once resumed.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from MDAnalysis.coordinates.H5MD import H5MDReader

from ase_electrolyte.md import MDInstabilityError, relax, run_md
from ase_electrolyte.trajectory import h5md_info, read_h5md


class _Faulty(LennardJones):
    """Argon LJ that fails (``fault``) from its ``at``-th evaluation on, or heats the atoms
    (``"heat"``: a force γ·p along each momentum, an exponential runaway), or is interrupted
    (Ctrl-C) at evaluation ``stop_at``."""

    def __init__(self, fault=None, at=None, stop_at=None, gamma=0.05):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.fault, self.at, self.stop_at, self.gamma, self.calls = fault, at, stop_at, gamma, 0

    def calculate(self, atoms=None, *args, **kwargs):
        self.calls += 1
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        super().calculate(atoms, *args, **kwargs)
        if self.fault == "heat":
            self.results["forces"] = self.results["forces"] + self.gamma * self.atoms.get_momenta()
        elif self.at is not None and self.calls >= self.at:
            if self.fault == "forces":
                self.results["forces"][3, 1] = np.nan
            elif self.fault == "energy":
                self.results["energy"] = np.inf
            elif self.fault == "stress":
                self.results["stress"] = np.full(6, np.nan)


# poses as plain LJ: a run it started is resumed by plain LJ
_Faulty.__module__, _Faulty.__name__ = LennardJones.__module__, LennardJones.__name__


def _argon(calc=None, temperature_K=None):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=4)
    if temperature_K:
        MaxwellBoltzmannDistribution(atoms, temperature_K=temperature_K,
                                     rng=np.random.default_rng(0))
        Stationary(atoms)
    atoms.calc = calc or _Faulty()
    return atoms


@pytest.mark.parametrize("fault", ["forces", "energy", "stress"])
@pytest.mark.parametrize("old_file", [False, True])
def test_a_relaxation_stops_at_the_step_its_model_fails(fault, old_file, tmp_path):
    path = tmp_path / "relaxed.h5md"
    if old_file:
        relax(_argon(), fmax=0.5, steps=3, trajectory=path)
        before = path.read_bytes()
    calc = _Faulty(fault, at=4)
    with pytest.raises(MDInstabilityError, match=rf"relaxation step \d+: the calculator "
                                                 rf"returned non-finite {fault}"):
        relax(_argon(calc), fmax=1e-6, steps=300, trajectory=path, overwrite=True)
    assert calc.calls == 4  # no evaluation after the failed one
    if old_file:
        assert path.read_bytes() == before  # the overwrite never published a file
    else:
        assert not path.exists()
    assert [p.name for p in tmp_path.iterdir()] == (["relaxed.h5md"] if old_file else [])


_RUN = dict(steps=30, timestep_fs=2.0, temperature_K=60, write_interval=5, progress=False)


@pytest.mark.parametrize("ensemble", ["nve", "nvt", "npt"])
@pytest.mark.parametrize("fault", ["forces", "energy", "stress"])
def test_a_model_failing_mid_run_stops_every_ensemble_at_its_last_good_frame(
        ensemble, fault, tmp_path):
    path = tmp_path / "md.h5md"
    # an NPT start's stiffness is measured first, by two stress evaluations
    probes = 2 if ensemble == "npt" else 0
    calc = _Faulty(fault, at=13 + probes)
    with pytest.raises(MDInstabilityError, match=rf"step 12: the calculator returned "
                                                 rf"non-finite {fault}.* keeps 3 frames up to "
                                                 rf"step 10"):
        run_md(_argon(calc), ensemble=ensemble, trajectory=path, **_RUN)
    assert calc.calls == 13 + probes
    info = h5md_info(path)
    assert not info["complete"] and info["n_frames"] == 3
    reader = H5MDReader(str(path))
    assert reader.n_frames == 3 and all(np.isfinite(ts.positions).all() for ts in reader)
    reader.close()
    # a sound model resumes the run to its end
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = run_md(_argon(), ensemble=ensemble, trajectory=path, **_RUN)
    assert final.info["step"] == 30 and h5md_info(path)["complete"]
    assert np.isfinite(read_h5md(path).positions).all()


@pytest.mark.parametrize("ensemble", ["nvt", "npt"])
def test_a_runaway_is_stopped_in_every_thermostatted_ensemble(ensemble, tmp_path):
    path = tmp_path / "md.h5md"
    with pytest.raises(MDInstabilityError, match=r"exceeds 900 K"):
        run_md(_argon(_Faulty("heat", gamma=0.2)), ensemble=ensemble, trajectory=path,
               **dict(_RUN, steps=400))
    info = h5md_info(path)
    assert not info["complete"] and info["n_frames"] >= 1
    assert read_h5md(path).get_temperature() <= 900


_HEATING = dict(ensemble="nve", steps=400, timestep_fs=2.0, write_interval=5, progress=False)


@pytest.mark.parametrize("stop_at", [30, 60, 100])
def test_a_resumed_nve_run_keeps_the_temperature_limit_of_its_start(stop_at, tmp_path):
    with pytest.raises(MDInstabilityError, match="exceeds") as whole:
        run_md(_argon(_Faulty("heat"), temperature_K=500), trajectory=tmp_path / "whole.h5md",
               **_HEATING)
    path = tmp_path / "md.h5md"
    with pytest.raises(KeyboardInterrupt):
        run_md(_argon(_Faulty("heat", stop_at=stop_at), temperature_K=500), trajectory=path,
               **_HEATING)
    with pytest.raises(MDInstabilityError, match="exceeds") as resumed:
        run_md(_argon(_Faulty("heat"), temperature_K=500), trajectory=path, **_HEATING)
    # the same step, the same limit (3 × the starting 500 K or so): not 3 × the resumed frame's
    assert str(resumed.value).split(" (")[0] == str(whole.value).split(" (")[0]
    assert h5md_info(path)["last_step"] == h5md_info(tmp_path / "whole.h5md")["last_step"]
