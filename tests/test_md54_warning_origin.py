"""Every warning of the MD module points at the user's call, whichever public entry point
(``run_md``, ``relax``, ``run_protocol``, ``check_protocol_arguments``, and
``density_alignment.npt_density``, which runs ``run_md``) it came through.

Fixed ``stacklevel`` values counted the frames of one route: ``npt_density``'s "coupling longer
than the run" warning pointed at its own call of ``run_md`` (density_alignment.py), and
``run_protocol``'s unit doubts and its relaxation's RelaxationNotConvergedWarning inside md.py.
"""

import warnings

import numpy as np
import pytest
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.density_alignment import npt_density
from ase_electrolyte.md import (
    RelaxationNotConvergedWarning,
    check_protocol_arguments,
    relax,
    run_md,
    run_protocol,
)


class NoisyArgon(StoppingArgon):
    """Lennard-Jones argon whose forces carry 0.01 eV/Å of noise: no relaxation reaches
    1e-4 eV/Å (a model's round-off, as a single-precision network's)."""

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        rng = np.random.default_rng(self.calls)
        self.results["forces"] = self.results["forces"] + rng.normal(
            0.0, 0.01, self.results["forces"].shape)


def _moving():
    atoms = argon(StoppingArgon(), rattle=0.05)
    thermalize_momenta(atoms, temperature_K=84.0, rng=np.random.default_rng(4))
    Stationary(atoms)
    return atoms


_PROTOCOL = dict(temperature_K=84.0, pressure_bar=200.0, timestep_fs=5.0,
                 write_interval_fs=25.0, observe_interval_fs=5.0, preequilibration_ps=0.0,
                 equilibration_ps=0.0, production_ps=0.05, production_ensemble="npt",
                 progress=False)


def _run_md_coupling(tmp_path):
    run_md(_moving(), ensemble="nvt", steps=20, timestep_fs=5.0, temperature_K=84.0,
           tdamp_fs=500.0, progress=False)


def _npt_density_coupling(tmp_path):
    npt_density(StoppingArgon(), argon(rattle=0.05), temperature_K=84.0, pressure_bar=200.0,
                steps=10, timestep_fs=5.0, tdamp_fs=50.0, pdamp_fs=500.0,
                trajectory=tmp_path / "density.h5md")


def _relax_unconverged(tmp_path):
    relax(argon(NoisyArgon(), rattle=0.05), fmax=1e-4, steps=5)


def _protocol_unit_doubt(tmp_path):
    run_protocol(argon(rattle=0.05), StoppingArgon(), tmp_path / "run",
                 **{**_PROTOCOL, "temperature_K": 25.0})


def _protocol_relaxation_unconverged(tmp_path):
    run_protocol(argon(rattle=0.05), NoisyArgon(), tmp_path / "run",
                 **{**_PROTOCOL, "relax_fmax": 1e-4})


def _protocol_production_rounded(tmp_path):
    run_protocol(argon(rattle=0.05), StoppingArgon(), tmp_path / "run",
                 **{**_PROTOCOL, "production_ps": 0.06})


def _check_arguments(tmp_path):
    check_protocol_arguments(temperature_K=25.0)


@pytest.mark.parametrize("call, said, category", [
    (_run_md_coupling, "tdamp_fs = 500 fs is longer than the whole run", UserWarning),
    (_npt_density_coupling, "pdamp_fs = 500 fs is longer than the whole run", UserWarning),
    (_relax_unconverged, "relax: the largest force", RelaxationNotConvergedWarning),
    (_protocol_unit_doubt, "temperature_K = 25", UserWarning),
    (_protocol_relaxation_unconverged, "run_protocol's relaxation: the largest force",
     RelaxationNotConvergedWarning),
    (_protocol_production_rounded, "production_ps = 0.06 ps is not a whole number",
     UserWarning),
    (_check_arguments, "temperature_K = 25", UserWarning),
], ids=lambda v: getattr(v, "__name__", None))
def test_the_warning_points_at_the_users_call(tmp_path, call, said, category):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(tmp_path)
    found = [w for w in caught if str(w.message).startswith(said)]
    assert found, [str(w.message)[:80] for w in caught]
    for w in found:
        assert issubclass(w.category, category)
        assert w.filename == __file__, (w.filename, w.lineno, str(w.message)[:80])
    # every warning of the call, whatever module said it, points outside the packages
    inside = [(w.filename, str(w.message)[:60]) for w in caught
              if "/ase_electrolyte/" in w.filename or "/mda_electrolyte/" in w.filename]
    assert inside == []
