"""A DCD header's time step that a writer put there for want of one is refused, not used.

MDAnalysis reads a DCD's time from its header (``delta`` x ``nsavc``). Writers that know no time
write a placeholder: 1 ps per frame (MDAnalysis' ``DCDWriter`` without ``dt``), 1 AKMA time unit
(48.9 fs: VMD's and MDTraj's molfile writer; a LAMMPS "real" run of 1 fs, whose fs are read as
AKMA); LAMMPS writes any step in its own unit (its title says "Created by LAMMPS"). Before,
frames 50 fs apart written without ``dt`` read as 1 ps apart and D came out 20 times too small;
now every time-dependent analysis refuses the file before reading a frame, naming it and the
remedy (``dt=`` when loading), and accepts it with ``dt=`` given.
"""

import struct
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.units import convert as mda_convert
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, OnsagerCoefficients
from mda_electrolyte.density import Density

DT, TAU, S = 0.05, 0.1, 2.0


@pytest.fixture(scope="module")
def salt():
    rng = np.random.default_rng(17)
    v = ornstein_uhlenbeck(rng, 600, (16, 3), TAU, DT, S)
    return salt_universe(v, integrate(v, DT) + 20.0, n_cations=8, dt=DT, box=40.0)


def _write(u, path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mda.Writer(str(path), u.atoms.n_atoms, **kwargs) as w:
            for _ in u.trajectory:
                w.write(u.atoms)
    u.trajectory[0]
    return str(path)


def _set_header(path, delta=None, nsavc=None):
    """Rewrite the DCD header's step (float32, AKMA) and frames per save in place."""
    raw = bytearray(open(path, "rb").read())
    assert raw[4:8] == b"CORD"
    # ICNTRL: 20 int32 after "CORD"; [2] is NSAVC, [9] is DELTA as float32
    if nsavc is not None:
        raw[8 + 2 * 4 : 8 + 3 * 4] = struct.pack("<i", nsavc)
    if delta is not None:
        raw[8 + 9 * 4 : 8 + 10 * 4] = struct.pack("<f", delta)
    open(path, "wb").write(bytes(raw))
    return path


def _load(u, path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = mda.Universe(u._topology, path, **kwargs)
    return v


ANALYSES = {
    "Diffusion": lambda v: Diffusion(v, IONS),
    "EinsteinHelfand": lambda v: EinsteinHelfandConductivity(v, IONS, temperature=300.0),
    "Onsager": lambda v: OnsagerCoefficients(v, IONS, 300.0),
}


@pytest.mark.parametrize("name", list(ANALYSES))
@pytest.mark.parametrize("placeholder", ["MDAnalysis 1 ps", "VMD 1 AKMA", "LAMMPS 1 fs"])
def test_a_placeholder_step_is_refused_before_any_frame_is_read(salt, tmp_path, name,
                                                                 placeholder):
    path = _write(salt, tmp_path / "t.dcd")   # MDAnalysis' default: 1 ps per frame
    if placeholder == "VMD 1 AKMA":
        _set_header(path, delta=1.0, nsavc=1)
    elif placeholder == "LAMMPS 1 fs":
        _set_header(path, delta=1.0, nsavc=25)   # a dump every 25 steps of 1 fs
    v = _load(salt, path)
    read = []
    v.trajectory.add_transformations(lambda ts: read.append(ts.frame) or ts)
    with pytest.raises(ValueError, match=r"t\.dcd records .*(placeholder|default of "
                       r"MDAnalysis' DCDWriter).*dt=<ps between frames>"):
        ANALYSES[name](v).run()
    # the construction reads the current frame at most; the pass never started
    assert len(set(read)) <= 1


def test_the_density_series_refuses_it_too(salt, tmp_path):
    u = salt.copy()
    path = _write(u, tmp_path / "t.dcd")
    v = _load(u, path)
    with pytest.raises(ValueError, match="default of MDAnalysis' DCDWriter"):
        Density(v)


@pytest.mark.parametrize("name", list(ANALYSES))
def test_the_same_file_with_dt_given_gives_the_in_memory_numbers(salt, tmp_path, name):
    path = _write(salt, tmp_path / "t.dcd")
    ref = ANALYSES[name](salt).run().results
    got = ANALYSES[name](_load(salt, path, dt=DT)).run().results
    if name == "Diffusion":
        for s in ("Li", "AN"):
            assert got.D[s] == pytest.approx(ref.D[s], rel=1e-4)
    else:
        assert got.conductivity.value == pytest.approx(ref.conductivity.value, rel=1e-4)
    # a placeholder that is the true spacing is accepted when given: D scales with 1/dt
    ones = ANALYSES[name](_load(salt, path, dt=1.0)).run().results
    if name == "Diffusion":
        assert ones.D["Li"] == pytest.approx(ref.D["Li"] * DT, rel=1e-4)


def test_chained_placeholder_files_are_refused_and_accepted_with_dt(salt, tmp_path):
    a = _write(salt, tmp_path / "a.dcd")
    b = _write(salt, tmp_path / "b.dcd")
    with pytest.raises(ValueError, match=r"a\.dcd records 1 ps per frame"):
        Diffusion(_load(salt, [a, b]), IONS)
    # with dt the chain is judged by its times alone (both files start at 0 ps: refused so)
    with pytest.raises(ValueError, match="time does not increase"):
        Diffusion(_load(salt, [a, b], dt=DT), IONS).run()


def test_an_engine_header_is_used_as_it_is(salt, tmp_path):
    # CHARMM/NAMD/OpenMM: the integration step (2 fs in AKMA) and frames every 25 steps
    path = _write(salt, tmp_path / "t.dcd")
    _set_header(path, delta=mda_convert(0.002, "ps", "AKMA"), nsavc=25)
    v = _load(salt, path)
    assert v.trajectory.dt == pytest.approx(DT, rel=1e-6)
    got = Diffusion(v, IONS).run().results
    ref = Diffusion(salt, IONS).run().results
    assert got.D["AN"] == pytest.approx(ref.D["AN"], rel=1e-4)


@pytest.mark.parametrize("remarks, delta, nsavc", [
    # a header step of 1 fs, a frame every 50 steps: read in its own unit, not as a placeholder
    (None, 1.0, 50),
    # units real, 2 fs steps, a frame every 25 steps: the header holds 2.0 (fs), which the
    # generic reader takes as 2 AKMA = 97.8 fs per step, 2.4 ps per frame instead of 50 fs
    ("Created by LAMMPS at 2024-05-01 12:00:00", 2.0, 25),
])
def test_a_lammps_dcd_is_read_in_its_own_unit(salt, tmp_path, remarks, delta, nsavc):
    kwargs = {} if remarks is None else {"remarks": remarks}
    path = _set_header(_write(salt, tmp_path / "t.dcd", **kwargs), delta=delta, nsavc=nsavc)
    if remarks is not None:
        # the title says LAMMPS wrote it: the generic reader's AKMA is refused
        with pytest.raises(ValueError, match=r"t\.dcd was written by LAMMPS.*LAMMPS time units.*"
                           r"read by MDAnalysis' DCD reader as AKMA.*format='LAMMPS'"):
            Diffusion(_load(salt, path), IONS)
    # format="LAMMPS" reads the header's step in timeunit: the user's statement of the unit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = mda.Universe(salt._topology, path, format="LAMMPS", timeunit="fs")
    assert v.trajectory.dt == pytest.approx(DT, rel=1e-6)
    got = Diffusion(v, IONS).run().results
    assert got.D["AN"] == pytest.approx(Diffusion(salt, IONS).run().results.D["AN"], rel=1e-4)
    if remarks is not None:
        # dt given to the generic reader is taken as the spacing
        assert Diffusion(_load(salt, path, dt=DT), IONS).run().results.D["AN"] == (
            pytest.approx(got.D["AN"], rel=1e-6))


def test_a_zero_step_is_refused_before_the_pass(salt, tmp_path):
    path = _write(salt, tmp_path / "t.dcd", dt=0.0)
    with pytest.raises(ValueError, match=r"time step is 0\.0 ps"):
        Diffusion(_load(salt, path), IONS).run()
