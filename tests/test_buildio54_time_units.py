"""A time in seconds where the writer reads ps is refused before it is written.

``H5MDWriter.write(atoms, step=10, time=2.5e-14)`` (25 fs frames in seconds) was stored as
2.5e-14 ps: the file then held a frame spacing that ``from_ase(dt=...)`` and every transport
analysis refuse, found only after the whole run had been written.
"""

import h5py
import pytest
from ase.build import bulk

from ase_electrolyte.trajectory import H5MDWriter, h5md_info

# frame spacings (ps) of 10 MD steps, as run_md's time steps give them or as slips make them
SECONDS = [2.5e-14, 5e-12]


def _writer(path):
    return H5MDWriter(path, bulk("Cu", cubic=True), forces=False)


@pytest.mark.parametrize("spacing", SECONDS)
@pytest.mark.parametrize("how", ["frame", "sample"])
def test_a_time_in_seconds_is_refused_and_nothing_is_written(tmp_path, spacing, how):
    path = tmp_path / "run.h5md"
    atoms = bulk("Cu", cubic=True)
    with _writer(path) as w:
        w.write(atoms, step=0, time=0.0)
        write = w.write if how == "frame" else w.write_observables
        with pytest.raises(ValueError, match=r"ps per MD step.*is it in seconds"):
            write(atoms, step=10, time=spacing)
        # the writer goes on with a time in ps
        w.write(atoms, step=10, time=0.025)
    assert h5md_info(path)["n_frames"] == 2
    with h5py.File(path, "r") as f:
        assert f["particles/trajectory/position/time"][-1] == pytest.approx(0.025)
        series = f["parameters/ase_electrolyte/series/temperature/time"][()]
        assert series.min() >= 0 and all(t in (0.0, 0.025) for t in series)


@pytest.mark.parametrize("per_step_ps", [2e-9, 1e-3])
def test_time_steps_run_md_takes_are_written(tmp_path, per_step_ps):
    """run_md takes time steps down to 1e-6 fs: each of them is written."""
    path = tmp_path / "run.h5md"
    atoms = bulk("Cu", cubic=True)
    with _writer(path) as w:
        for k in range(3):
            w.write(atoms, step=10 * k, time=10 * k * per_step_ps)
        w.write_observables(atoms, step=31, time=31 * per_step_ps)
    assert h5md_info(path)["n_frames"] == 3
