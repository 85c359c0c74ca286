"""npt_density's defaults run a box with hydrogen at a time step its hydrogen allows.

run_md now warns of a time step too long for C–H at hydrogen's real mass (1.39 fs); npt_density's
default 2 fs at real masses warned on every box of an electrolyte. Its default now gives
hydrogen 3 amu where the box holds hydrogen (Ju et al. 2025: 2 fs with tritium-mass hydrogen;
an equilibrium density does not depend on the masses), and keeps the real masses otherwise.
"""

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.emt import EMT

import ase_electrolyte.md as md
from ase_electrolyte.density_alignment import npt_density


class _Reached(Exception):
    """run_md was reached: the arguments it got are recorded, nothing is run."""


def _box(symbols):
    n = len(Atoms(symbols))
    rng = np.random.default_rng(0)
    return Atoms(symbols, positions=rng.uniform(0, 9, (n, 3)), cell=[9, 9, 9], pbc=True)


@pytest.fixture
def recorded(monkeypatch):
    calls = []

    def fake_run_md(atoms, **kwargs):
        calls.append(kwargs)
        raise _Reached

    monkeypatch.setattr(md, "run_md", fake_run_md)
    return calls


@pytest.mark.parametrize("symbols, given, passed", [
    ("CH4CH4", "auto", 3.0),       # hydrogen: heavy by default
    ("Cu8", "auto", None),         # no hydrogen: real masses, nothing to make heavy
    ("CH4CH4", None, None),        # asked for real masses: taken as asked
    ("CH4CH4", 2.014, 2.014),      # deuterium
])
def test_the_hydrogen_mass_reaching_run_md(recorded, tmp_path, symbols, given, passed):
    with pytest.raises(_Reached):
        npt_density(EMT(), _box(symbols), temperature_K=300.0, steps=10,
                    trajectory=tmp_path / "run.h5md", hydrogen_mass=given)
    assert recorded[0]["hydrogen_mass"] == passed
    assert recorded[0]["timestep_fs"] == 2.0


def test_the_default_step_is_within_the_heavy_hydrogens_limit_and_not_the_real_ones():
    assert md._hydrogen_timestep_doubt(2.0, 3.0) is None
    assert "C–H stretch" in md._hydrogen_timestep_doubt(2.0, None)


@pytest.mark.parametrize("bad", ["heavy", -1.0, float("nan")])
def test_a_bad_hydrogen_mass_is_refused_before_the_model(recorded, tmp_path, bad):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="hydrogen_mass"):
            npt_density("no-such-model", _box("CH4CH4"), temperature_K=300.0, steps=10,
                        trajectory=tmp_path / "run.h5md", hydrogen_mass=bad)
    assert recorded == []
