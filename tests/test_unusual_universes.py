"""Trajectory analyses on unusual Universes: a damaged box in one frame, frames read in parts
(parallel backends), times that jump. Each ends in a clear error naming the frame, or in the
result of the undamaged trajectory.
"""

import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from test_fault_catalogue_analysis import _liquid, _model, _molecular_frames, _shells
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

import mda_electrolyte as mdae
from mda_electrolyte.carriers import find_wrapping_jump
from mda_electrolyte.ion_collection import IonCollector

BOX = 10.0


def _salt(n_frames=120, wrap=True, damage=None, frame=50, seed=0):
    """4 Li and 4 one-atom anions moving fast (several box lengths), positions wrapped into the
    box or not, the box of ``frame`` damaged by ``damage``."""
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (8, 3), 0.05, 0.01, 30.0)
    x = integrate(v, 0.01, start=rng.uniform(0, BOX, (8, 3)))
    if wrap:
        x = x % BOX
    u = salt_universe(v, x, n_cations=4, dt=0.01, box=BOX)
    dims = np.tile([BOX, BOX, BOX, 90.0, 90.0, 90.0], (n_frames, 1))
    if damage is not None:
        dims[frame] = damage
    u.load_new(x.astype(np.float32), format=MemoryReader, dt=0.01, dimensions=dims,
               velocities=v.astype(np.float32))
    return u


# a frame without a box, with a non-finite length, with angles that span no cell
DAMAGES = [[0.0] * 6, [np.nan, BOX, BOX, 90.0, 90.0, 90.0], [BOX, BOX, BOX, 90.0, 90.0, 0.0]]
DAMAGE_IDS = ["no box", "NaN length", "flat cell"]


@pytest.mark.parametrize("damage", DAMAGES, ids=DAMAGE_IDS)
@pytest.mark.parametrize("frame", [50, 1])
def test_one_frame_without_a_box_does_not_hide_wrapped_positions(damage, frame):
    # the wrap check was skipped for the whole chunk holding such a frame: D came out 6x too
    # small from the wrapped coordinates, with no error
    u = _salt(damage=damage, frame=frame)
    with pytest.raises(ValueError, match=r"positions look wrapped \(atom index \d+ jumps by more "
                                         r"than half a box vector into frame \d+\)"):
        mdae.Diffusion(u, IONS, n_blocks=2).run()
    with pytest.raises(ValueError, match="positions look wrapped"):
        mdae.EinsteinHelfandConductivity(u, IONS, 300.0, n_blocks=2, volume=BOX**3).run()


@pytest.mark.parametrize("damage", DAMAGES, ids=DAMAGE_IDS)
def test_unwrapping_through_a_frame_without_a_box_names_the_frame(damage):
    u = _salt(damage=damage)
    with pytest.raises(ValueError, match=r"frame 50 has no box .*cannot be unwrapped"):
        mdae.Diffusion(u, IONS, n_blocks=2, unwrap=True).run()
    # the frames before it are analysed as the message says
    d = mdae.Diffusion(u, IONS, n_blocks=2, unwrap=True).run(stop=50)
    ref = mdae.Diffusion(_salt(), IONS, n_blocks=2, unwrap=True).run(stop=50)
    assert (d.results.diffusion_coefficient["Li"].value
            == ref.results.diffusion_coefficient["Li"].value)


@pytest.mark.parametrize("damage", DAMAGES, ids=DAMAGE_IDS)
def test_unwrapped_positions_with_one_frame_without_a_box_give_the_undamaged_result(damage):
    d = mdae.Diffusion(_salt(wrap=False, damage=damage), IONS, n_blocks=2).run()
    ref = mdae.Diffusion(_salt(wrap=False), IONS, n_blocks=2).run()
    for name in ("Li", "AN"):
        assert d.results.diffusion_coefficient[name].value == pytest.approx(
            ref.results.diffusion_coefficient[name].value, rel=1e-12)


def test_find_wrapping_jump_judges_a_step_in_the_box_of_either_frame():
    x = np.zeros((4, 1, 3))
    x[2, 0, 0] = 6.0  # a jump of 0.6 box into frame 2 and back out of it into frame 3
    boxes = np.tile([BOX, BOX, BOX, 90.0, 90.0, 90.0], (4, 1))
    assert find_wrapping_jump(x, boxes) == (2, 0)
    boxes[2] = 0.0  # the step into frame 2 in the box of frame 1
    assert find_wrapping_jump(x, boxes) == (2, 0)
    boxes[1] = 0.0  # neither frame of the step into 2 has a box: the step out is judged
    assert find_wrapping_jump(x, boxes) == (3, 0)
    boxes[3] = 0.0
    assert find_wrapping_jump(x, boxes) is None
    x[2, 0, 0] = 4.0  # less than half a box: no jump in any box
    assert find_wrapping_jump(x, np.tile([BOX, BOX, BOX, 90.0, 90.0, 90.0], (4, 1))) is None


# --- one trajectory given twice --------------------------------------------------------------

# each transport analysis with its parameters
TRANSPORT = [
    (mdae.Diffusion, {}),
    (mdae.EinsteinHelfandConductivity, {"temperature": 300.0}),
    (mdae.GreenKuboConductivity, {"temperature": 300.0, "max_lag": 0.1}),
    (mdae.OnsagerCoefficients, {"temperature": 300.0}),
]
TRANSPORT_IDS = [cls.__name__ for cls, _ in TRANSPORT]


@pytest.mark.parametrize("cls,kw", TRANSPORT, ids=TRANSPORT_IDS)
def test_the_same_universe_twice_is_refused_when_created(cls, kw):
    # two copies of one trajectory counted as independent gave D = 37.4 ± 0 Å²/ps 'valid'
    u = _salt(wrap=False)
    with pytest.raises(ValueError, match="Universe 0 and Universe 2 are the same Universe"):
        cls([u, _salt(wrap=False, seed=1), u], IONS, **kw)


@pytest.mark.parametrize("cls,kw", TRANSPORT, ids=TRANSPORT_IDS)
def test_a_copy_of_a_trajectory_is_refused_as_the_same_series(cls, kw):
    u = _salt(wrap=False)
    with pytest.raises(ValueError,
                       match=r"inputs 0 and 1 \(Universe 0, Universe 1\) hold the same series"):
        cls([u, u.copy()], IONS, **kw).run()
    collections = cls([u, _salt(wrap=False, seed=1)], IONS, **kw).run().collections
    with pytest.raises(ValueError,
                       match=r"inputs 0 and 2 \(Universe 0, Universe 0\) hold the same series"):
        cls.from_collections([collections[0], collections[1], collections[0]], **kw)


def test_two_universes_reading_the_same_file_are_refused(tmp_path):
    import MDAnalysis as mda

    u = _salt(wrap=False, n_frames=30)
    path = tmp_path / "salt.trr"
    with mda.Writer(str(path), n_atoms=u.atoms.n_atoms) as writer:
        for _ in u.trajectory:
            writer.write(u.atoms)
    a = mda.Universe(u._topology, str(path))
    b = mda.Universe(u._topology, str(tmp_path / "." / "salt.trr"))
    with pytest.raises(ValueError, match="Universes reading the same file .*salt.trr"):
        mdae.Diffusion([a, b], IONS)


def test_a_viscosity_of_the_same_pressure_series_twice_is_refused():
    rng = np.random.default_rng(0)
    tensor = ornstein_uhlenbeck(rng, 400, (3, 3), 0.05, 0.01, 100.0)
    other = ornstein_uhlenbeck(rng, 400, (3, 3), 0.05, 0.01, 100.0)
    for cls in (mdae.GreenKuboViscosity, mdae.EinsteinHelfandViscosity):
        cls([tensor, other], dt=0.01, volume=1000.0, temperature=300.0)  # distinct runs pass
        with pytest.raises(ValueError, match=rf"{cls.__name__}: inputs 0 and 1 \(array 0, array "
                                             r"1\) hold the same series"):
            cls([tensor, tensor.copy()], dt=0.01, volume=1000.0, temperature=300.0)


# --- frames read in parts ---------------------------------------------------------------------

# every FrameAnalysis, with the per-frame result that shows each frame was counted once
PARTED = [
    ("IntraInterRDF", lambda: _liquid(n_frames=10),
     lambda u: mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=20),
     lambda a: a.results.counts),
    ("SolvationShells", lambda: _liquid(n_frames=10), _shells,
     lambda a: a.results.class_codes),
    ("IonCollector", lambda: _salt(wrap=False, n_frames=30), lambda u: IonCollector(u, IONS),
     lambda a: a.collection.position_sum),
    ("RigidVolumeScan", lambda: mdae.from_ase(_molecular_frames(10)),
     lambda u: mdae.RigidVolumeScan(u.atoms, _model(), scales=[1.0, 1.1]),
     lambda a: a.results.total),
    ("IntraInterErrors", lambda: mdae.from_ase(_molecular_frames(10)),
     lambda u: mdae.IntraInterErrors(u.atoms, _model(), _model(k=22.0)),
     lambda a: a.results.energies["model"]["total"]),
]


@pytest.mark.parametrize("name,universe,make,per_frame", PARTED, ids=[p[0] for p in PARTED])
@pytest.mark.parametrize("backend,n_workers,n_parts", [("serial", 1, 3),
                                                        ("multiprocessing", 2, 9)])
def test_a_run_in_parts_counts_every_frame_once(name, universe, make, per_frame, backend,
                                                n_workers, n_parts):
    # AnalysisBase._compute returned self: the parts one object computed in turn (every part of
    # a serial run, two parts in one multiprocessing chunk when n_parts > 4 n_workers) all
    # came back as the last one: frames [8 9 10 11 8 9 10 11 ...] of 12, with no error
    u = universe()
    serial = make(u).run()
    parted = make(u).run(backend=backend, n_workers=n_workers, n_parts=n_parts)
    np.testing.assert_array_equal(parted.frames, np.arange(u.trajectory.n_frames))
    np.testing.assert_array_equal(parted.times, serial.times)
    np.testing.assert_allclose(per_frame(parted), per_frame(serial), rtol=1e-12, atol=1e-12)


# --- coordinates a frame cannot hold ---------------------------------------------------------

HISTOGRAMS = [
    ("SolvationShells", _shells),
    ("IntraInterRDF", lambda u: mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=20)),
]


def _liquid_with(value, frame=3, atom=5):
    u = _liquid(n_frames=5)
    x = u.trajectory.coordinate_array.copy()
    x[frame, atom, 1] = value
    u.load_new(x, format=MemoryReader, dt=0.1, dimensions=[12.0, 12.0, 12.0, 90.0, 90.0, 90.0])
    return u


@pytest.mark.parametrize("name,make", HISTOGRAMS, ids=[h[0] for h in HISTOGRAMS])
@pytest.mark.parametrize("value,match", [
    (np.nan, "frame 3.*non-finite positions"),
    (np.inf, "frame 3.*non-finite positions"),
    # shells counted an anion at 1e30 Å (rounded to 7.6e22 Å) with no error; the RDF refused it
    (1e30, r"frame 3 has coordinates as large as 1e\+30 Å, which single precision resolves "
           r"only to 7.56e\+22 Å"),
    (-1e12, "frame 3 has coordinates as large as 1e\\+12 Å"),
])
def test_a_coordinate_no_histogram_resolves_is_refused_naming_the_frame(name, make, value, match):
    with pytest.raises(ValueError, match=match):
        make(_liquid_with(value)).run()


@pytest.mark.parametrize("name,make", HISTOGRAMS, ids=[h[0] for h in HISTOGRAMS])
def test_an_atom_far_from_the_origin_but_resolved_counts_as_its_image(name, make):
    # 12 Å * 800 away: single precision still resolves it to 1e-3 Å, the minimum image is the
    # same atom, and the results are those of the wrapped coordinate
    near = make(_liquid_with(_liquid(n_frames=5).trajectory[3].positions[5, 1])).run()
    far = make(_liquid_with(_liquid(n_frames=5).trajectory[3].positions[5, 1] + 12.0 * 800)).run()
    if name == "SolvationShells":
        np.testing.assert_array_equal(far.results.class_codes, near.results.class_codes)
    else:
        np.testing.assert_array_equal(far.results.counts, near.results.counts)


# --- times that jump ---------------------------------------------------------------------------


def _write_trr(u, path, frames, times):
    import MDAnalysis as mda

    with mda.Writer(str(path), n_atoms=u.atoms.n_atoms) as writer:
        for i, t in zip(frames, times, strict=True):
            u.trajectory[i]
            u.trajectory.ts.time = t
            writer.write(u.atoms)
    return str(path)


def test_files_joined_with_overlapping_times_name_the_frame_where_time_goes_back(tmp_path):
    import MDAnalysis as mda

    u = _salt(wrap=False, n_frames=40)
    a = _write_trr(u, tmp_path / "a.trr", range(20), 0.01 * np.arange(20))
    b = _write_trr(u, tmp_path / "b.trr", range(15, 40), 0.15 + 0.01 * np.arange(25))
    joined = mda.Universe(u._topology, [a, b])
    with pytest.raises(ValueError, match=r"time does not increase between analysed frames \(from "
                                         r"0.19 ps at frame 19 to 0.15 ps at frame 20; .*"
                                         r"continuous=True"):
        mdae.Diffusion(joined, IONS, n_blocks=2).run()
    # read as one continuous run, the frames are those of the original trajectory
    continuous = mda.Universe(u._topology, [a, b], continuous=True)
    d = mdae.Diffusion(continuous, IONS, n_blocks=2).run()
    ref = mdae.Diffusion(u, IONS, n_blocks=2).run()
    assert d.results.diffusion_coefficient["Li"].value == pytest.approx(
        ref.results.diffusion_coefficient["Li"].value, rel=1e-5)


def test_a_time_step_that_jumps_names_the_first_uneven_frame(tmp_path):
    import MDAnalysis as mda

    u = _salt(wrap=False, n_frames=40)
    times = 0.01 * np.arange(40) + np.where(np.arange(40) >= 25, 0.05, 0.0)
    uneven = mda.Universe(u._topology, _write_trr(u, tmp_path / "u.trr", range(40), times))
    with pytest.raises(ValueError, match=r"not equally spaced in time .*the first uneven step "
                                         r"is into frame 25, from 0.24 to 0.3 ps"):
        mdae.GreenKuboConductivity(uneven, IONS, 300.0, n_blocks=2, max_lag=0.05).run()
    # the frames before the jump are evenly spaced
    mdae.GreenKuboConductivity(uneven, IONS, 300.0, n_blocks=2, max_lag=0.05).run(stop=25)
