"""The viscosity entry of the analysis summary keeps its inputs under "settings", as the
conductivity entries do.

Found by probing: ``summary["viscosity"]`` held ``plateau_ps`` and ``n_segments`` beside the
Estimate, where the Green–Kubo and Einstein–Helfand conductivity entries keep such inputs and
fit checks under ``"settings"`` and ``"diagnostics"`` (no bare number beside a result).
"""

import warnings

import pytest

from ase_electrolyte.estimate import Estimate


@pytest.fixture(scope="module")
def summaries(tmp_path_factory):
    from transport_data import lj_salt

    from ase_electrolyte.md import run_md
    from mda_electrolyte import from_ase
    from mda_electrolyte.report import run_analyses

    folder = tmp_path_factory.mktemp("visc50")
    path = folder / "nvt.h5md"
    run_md(lj_salt(), ensemble="nvt", steps=40, timestep_fs=2.0, temperature_K=600,
           trajectory=path, write_interval=1, progress=False)
    u = from_ase(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = run_analyses(u, folder, only=["viscosity"])
    u.trajectory.close()
    return summary


def _bare_numbers(entry):
    return sorted(k for k, v in entry.items()
                  if isinstance(v, (int, float, list)) and not isinstance(v, bool)
                  and k != "warnings")


def test_no_bare_number_beside_the_estimate(summaries):
    entry = summaries["viscosity"]
    assert "refused" not in entry, entry
    assert _bare_numbers(entry) == []
    assert set(entry["settings"]) >= {"plateau_ps", "frame_spacing_ps", "n_segments"}
    assert "acf_first_lag_ratio" in entry["diagnostics"]


def test_viscosity_settings_are_the_ones_used(summaries):
    entry = summaries["viscosity"]
    eta = Estimate.from_dict(entry["viscosity"])
    assert eta.unit == "mPa·s"
    settings = entry["settings"]
    lo, hi = settings["plateau_ps"]
    assert 0.0 <= lo < hi <= 40 * 0.002 + 1e-9
    assert settings["frame_spacing_ps"] == pytest.approx(0.002)
    assert settings["components"] == "traceless"
    assert isinstance(settings["n_segments"], int) and settings["n_segments"] >= 1
