"""``from_ase(data, dump=..., lammps_units="real")`` beside a dump without velocities or
forces is refused: the unit style converts those only (positions are Å in metal and real
alike), and was taken without effect from Python as it was from the command line."""

import numpy as np
import pytest
from test_cli52_lammps_units_without_effect import NO_UNIT_COLUMNS, OPENERS, _data_file, _dump

from mda_electrolyte import from_ase


@pytest.mark.parametrize("columns", NO_UNIT_COLUMNS)
@pytest.mark.parametrize("suffix", list(OPENERS))
@pytest.mark.parametrize("units", ["real", "REAL"])
def test_real_units_without_velocities_or_forces_are_refused(tmp_path, columns, suffix, units):
    data = _data_file(tmp_path / "data.lmp")
    dump = _dump(tmp_path / f"traj{suffix}", columns, opener=OPENERS[suffix])
    with pytest.raises(ValueError, match=r"lammps_units='real' converts .* has neither"):
        from_ase(data, dump=dump, lammps_units=units, dt=0.01)


@pytest.mark.parametrize("columns", NO_UNIT_COLUMNS)
def test_the_default_reads_positions_only(tmp_path, columns):
    data = _data_file(tmp_path / "data.lmp")
    u = from_ase(data, dump=_dump(tmp_path / "traj.dump", columns), dt=0.01)
    assert u.trajectory.n_frames == 4 and not u.trajectory.ts.has_velocities


@pytest.mark.parametrize("columns, attr", [
    (("x", "y", "z", "vx", "vy", "vz"), "velocities"),
    (("x", "y", "z", "fx", "fy", "fz"), "forces"),
])
def test_real_units_convert_what_the_dump_has(tmp_path, columns, attr):
    data = _data_file(tmp_path / "data.lmp")
    dump = _dump(tmp_path / "traj.dump", columns)
    metal = from_ase(data, dump=dump, dt=0.01)
    real = from_ase(data, dump=dump, lammps_units="real", dt=0.01)
    a = getattr(metal.trajectory[0], attr).copy()
    b = getattr(real.trajectory[0], attr).copy()
    # real: Å/fs is 1000 Å/ps; kcal/(mol·Å) is 0.0434 eV/Å
    ratio = b[np.abs(a) > 0] / a[np.abs(a) > 0]
    expected = 1000.0 if attr == "velocities" else 0.0433641
    assert np.allclose(ratio, expected, rtol=1e-4)
