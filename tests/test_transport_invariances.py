"""Physics identities and invariances of the transport analyses, on synthetic data of known truth.

A 1:1 salt of single-atom cations and two-atom anions (followed by their centre of mass) whose
velocities are Ornstein–Uhlenbeck processes (``transport_data``). Positions are put on a grid of
1/256 Å, so that translating them, wrapping them into a box or storing them as float32 loses no
digit: what is compared is then exact up to float64 round-off (1e-10), not float32 storage.

Identities: σ of Einstein–Helfand is Σ z_i z_j L_ij of the Onsager matrix (same frames, same
fit window), Green–Kubo σ likewise from the Green–Kubo Onsager matrix; L is symmetric; the
transference numbers add up to 1; Nernst–Einstein from D is the self part of the Onsager sum;
the running Green–Kubo integral starts at 0 and its self and distinct parts add up to it.

Invariances: atom and molecule order, a translation (by any vector and by a box vector),
wrapped input unwrapped (orthorhombic, triclinic, the same lattice in a sheared cell, jumps of
almost half a box), every 2nd frame of a trajectory against the same frames at twice the dt,
parallel parts, a second run() on other frames, the file's units, a reader that records no dt.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.lib.mdamath import triclinic_box, triclinic_vectors
from transport_data import IONS, integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.conductivity import _conductivity_prefactor

TAU, DT, S, BOX, T = 0.5, 0.05, 2.0, 40.0, 300.0
N = 5  # ion pairs
GRID = 256.0  # positions on multiples of 1/256 Å: exact in float32 up to 2^15 Å
CUBE = np.array([BOX, BOX, BOX, 90.0, 90.0, 90.0])
TRICLINIC = np.array([30.0, 35.0, 40.0, 70.0, 80.0, 100.0])
MAX_LAG = 5 * TAU


def _motion(seed=1, n_frames=2000):
    """(velocities, positions) of N cations and N two-atom anions; anion atoms move together."""
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (2 * N, 3), TAU, DT, S)
    vel = np.concatenate([v[:, :N], np.repeat(v[:, N:], 2, axis=1)], axis=1)
    start = rng.uniform(0, BOX, (3 * N, 3))
    start[N + 1 :: 2] = start[N::2] + [1.0, 0.5, 0.25]
    pos = np.round(integrate(vel, DT, start) * GRID) / GRID
    return vel, pos


def _universe(vel, pos, *, order=None, box=CUBE, dt=DT, formal=True):
    """The salt with its atoms in ``order`` (a permutation of cations, then anion A, B pairs)."""
    n_atoms = 3 * N
    order = np.arange(n_atoms) if order is None else np.asarray(order)
    resindex = np.concatenate([np.arange(N), N + np.repeat(np.arange(N), 2)])[order]
    u = mda.Universe.empty(n_atoms, n_residues=2 * N, atom_resindex=resindex, trajectory=True)
    u.add_TopologyAttr("names", np.array(["Li"] * N + ["A", "B"] * N)[order])
    u.add_TopologyAttr("resnames", ["LI"] * N + ["AN"] * N)
    u.add_TopologyAttr("masses", np.array([6.94] * N + [19.0, 12.0] * N)[order])
    if formal:
        u.add_TopologyAttr("formalcharges", np.array([1.0] * N + [-1.0, 0.0] * N)[order])
    boxes = np.broadcast_to(np.asarray(box, dtype=np.float32), (pos.shape[0], 6)).copy()
    u.load_new(pos[:, order].astype(np.float32), velocities=vel[:, order].astype(np.float32),
               format=MemoryReader, dt=dt, dimensions=boxes)
    return u


def _wrap(pos, box):
    """Positions moved into the cell by whole lattice vectors (exact on the grid for a cube)."""
    h = triclinic_vectors(np.asarray(box, dtype=np.float32)).astype(np.float64)
    frac = pos @ np.linalg.inv(h)
    return pos - np.floor(frac) @ h


def _analyses(u, *, unwrap=False, green_kubo=True):
    out = [
        Diffusion(u, IONS, unwrap=unwrap),
        EinsteinHelfandConductivity(u, IONS, T, unwrap=unwrap),
        OnsagerCoefficients(u, IONS, T, unwrap=unwrap),
        OnsagerCoefficients(u, IONS, T, unwrap=unwrap, remove_drift=True),
    ]
    if green_kubo:
        out += [GreenKuboConductivity(u, IONS, T, max_lag=MAX_LAG),
                OnsagerCoefficients(u, IONS, T, method="green-kubo", max_lag=MAX_LAG)]
    return out


def _numbers(analyses, **run_kw):
    """Every reported value and error of the analyses, by name."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k, a in enumerate(analyses):
            r = a.run(**run_kw).results
            if isinstance(a, Diffusion):
                estimates = r.diffusion_coefficient
            elif isinstance(a, OnsagerCoefficients):
                estimates = dict(r.coefficients, **r.transference_numbers, sigma=r.conductivity)
            else:
                estimates = dict(r.get("transference_numbers", {}), sigma=r.conductivity)
                if r.get("conductivity_self") is not None:
                    estimates["self"] = r.conductivity_self
            for name, e in estimates.items():
                out[f"{k}:{name}"] = (e.value, e.stderr, e.verdict)
    return out


def _assert_same(got, ref, rtol=1e-10):
    assert got.keys() == ref.keys()
    for key, (value, err, verdict) in ref.items():
        assert got[key][0] == pytest.approx(value, rel=rtol), key
        # NaN: a transference number the masses fix has no error (no scatter)
        assert got[key][1] == pytest.approx(err, rel=rtol, nan_ok=True), key
        assert got[key][2] == verdict, key


@pytest.fixture(scope="module")
def motion():
    return _motion()


@pytest.fixture(scope="module")
def reference(motion):
    return _numbers(_analyses(_universe(*motion)))


# ------------------------------------------------------------------------- identities
def test_conductivity_identities_between_the_estimators(motion):
    u = _universe(*motion)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        on = OnsagerCoefficients(u, IONS, T).run().results
        eh = EinsteinHelfandConductivity(u, IONS, T).run().results
        og = OnsagerCoefficients(u, IONS, T, method="green-kubo", max_lag=MAX_LAG).run().results
        gk = GreenKuboConductivity(u, IONS, T, max_lag=MAX_LAG).run().results
        diff = Diffusion(u, IONS, remove_drift=False, fit_window=(0.1, 0.3),
                         n_blocks=10).run()
    z = np.array([1.0, -1.0])
    # Σ z_i z_j <ΔR_i·ΔR_j> is the charge-dipole MSD, fitted over the same window
    assert on.sigma == pytest.approx(eh.sigma, rel=1e-10)
    assert on.sigma_err == pytest.approx(eh.sigma_err, rel=1e-10)
    assert on.sigma == pytest.approx(z @ on.L @ z, rel=1e-10)
    assert og.sigma == pytest.approx(gk.sigma, rel=1e-10)
    assert og.sigma_err == pytest.approx(gk.sigma_err, rel=1e-10)
    for r in (on, og):
        np.testing.assert_array_equal(r.L, r.L.T)
        np.testing.assert_allclose(r.L_self + r.L_distinct, r.L, rtol=1e-12)
        assert sum(r.transference.values()) == pytest.approx(1.0, abs=1e-12)
    assert sum(gk.transference.values()) == pytest.approx(1.0, abs=1e-12)
    # t_Li of the Green–Kubo estimator is that of the Green–Kubo Onsager matrix
    assert gk.transference["Li"] == pytest.approx(og.transference["Li"], rel=1e-10)
    # the running integral starts at zero, its parts add up to it at every lag
    assert gk.running_integral[0] == 0.0 and og.curves["AN-Li"][0] == 0.0
    assert gk.sigma_self + gk.sigma_distinct == pytest.approx(gk.sigma, rel=1e-12)
    # the self part of Green–Kubo is the self part of its Onsager matrix
    assert gk.sigma_self == pytest.approx(np.sum(z**2 * np.diag(og.L_self)), rel=1e-10)
    parts = sum(p["running_integral"] for p in gk.parts.values())
    np.testing.assert_allclose(parts, gk.running_integral, rtol=1e-10, atol=1e-14)
    # Nernst–Einstein from the MSDs is the self part of the Onsager sum: Σ z_i² L_self,ii
    ne = NernstEinstein(diff, temperature=T).results
    assert ne.sigma == pytest.approx(np.sum(z**2 * np.diag(on.L_self)), rel=1e-10)
    # and the truth: D = s² τ for every ion, independent ions, so σ = σ_NE within the errors
    exact = _conductivity_prefactor(BOX**3, T, 1) * 2 * N * S**2 * TAU
    for sigma, err in ((ne.sigma, ne.sigma_err), (on.sigma, on.sigma_err),
                       (gk.sigma, gk.sigma_err)):
        assert abs(sigma - exact) < 3 * err


# ------------------------------------------------------------------------- invariances
def test_atom_and_molecule_order_do_not_change_any_number(motion, reference):
    rng = np.random.default_rng(5)
    atoms = rng.permutation(3 * N)
    cations, anions = rng.permutation(N), rng.permutation(N)
    molecules = np.concatenate([cations, N + np.stack([2 * anions, 2 * anions + 1], 1).ravel()])
    for order in (atoms, molecules):
        _assert_same(_numbers(_analyses(_universe(*motion, order=order))), reference)


@pytest.mark.parametrize("shift", [[3.25, -7.125, 12.0], [BOX, 0.0, -BOX]])
def test_translating_the_whole_system_changes_no_number(motion, reference, shift):
    vel, pos = motion
    _assert_same(_numbers(_analyses(_universe(vel, pos + np.array(shift)))), reference)


def test_wrapped_input_unwrapped_gives_the_numbers_of_the_unwrapped_motion(motion, reference):
    vel, pos = motion
    wrapped = _wrap(pos, CUBE)
    assert np.abs(wrapped - pos).max() >= BOX  # molecules are cut, atoms cross the box
    _assert_same(_numbers(_analyses(_universe(vel, wrapped), unwrap=True)), reference)
    # unwrap=True on input that is already unwrapped is the identity
    _assert_same(_numbers(_analyses(_universe(vel, pos), unwrap=True)), reference)


def _sheared(box):
    """The same lattice in another cell: c + a and b - a as cell vectors."""
    h = triclinic_vectors(np.asarray(box, dtype=np.float64))
    h2 = h.copy()
    h2[2] += h[0]
    h2[1] -= h[0]
    return triclinic_box(*h2)


@pytest.mark.parametrize("name", ["triclinic", "sheared cube", "sheared triclinic"])
def test_triclinic_and_equivalent_sheared_cells(motion, name):
    vel, pos = motion
    box = {"triclinic": TRICLINIC, "sheared cube": _sheared(CUBE),
           "sheared triclinic": _sheared(TRICLINIC)}[name]
    ref = _numbers(_analyses(_universe(vel, pos, box=box), green_kubo=False))
    # the cell's lattice vectors are single precision (MDAnalysis boxes): wrapping and
    # unwrapping by them is exact to float32 round-off of a ~40 Å vector, not to 1e-10
    got = _numbers(_analyses(_universe(vel, _wrap(pos, box), box=box), unwrap=True,
                             green_kubo=False))
    _assert_same(got, ref, rtol=2e-6)
    # the same lattice in another cell: the same volume and numbers
    original = {"triclinic": None, "sheared cube": CUBE, "sheared triclinic": TRICLINIC}[name]
    if original is not None:
        _assert_same(ref, _numbers(_analyses(_universe(vel, pos, box=original),
                                             green_kubo=False)), rtol=2e-6)


@pytest.mark.parametrize("box", [CUBE, TRICLINIC], ids=["cube", "triclinic"])
def test_jumps_of_almost_half_a_box_between_frames_are_unwrapped(box):
    # a random walk whose every step is up to 0.45 of a cell vector along each vector
    rng = np.random.default_rng(3)
    h = triclinic_vectors(np.asarray(box, dtype=np.float32)).astype(np.float64)
    steps = rng.uniform(-0.45, 0.45, size=(400, 3 * N, 3))
    # along one cell vector at a time, so every step is its own minimum image
    steps *= np.eye(3)[rng.integers(0, 3, size=(400, 3 * N))]
    frac = np.cumsum(steps, axis=0) + rng.uniform(0, 1, size=(3 * N, 3))
    pos = frac @ h
    if box is CUBE:
        pos = np.round(pos * GRID) / GRID
    pos[:, N + 1 :: 2] = pos[:, N::2] + [1.0, 0.5, 0.25]  # rigid anions
    vel = np.zeros_like(pos)
    free = _numbers(_analyses(_universe(vel, pos, box=box), green_kubo=False))
    got = _numbers(_analyses(_universe(vel, _wrap(pos, box), box=box), unwrap=True,
                             green_kubo=False))
    _assert_same(got, free, rtol=1e-10 if box is CUBE else 2e-6)


def test_every_second_frame_is_the_trajectory_at_twice_the_time_step(motion):
    vel, pos = motion
    coarse = _numbers(_analyses(_universe(vel[::2], pos[::2], dt=2 * DT)))
    _assert_same(_numbers(_analyses(_universe(vel, pos)), step=2), coarse)


@pytest.mark.parametrize("n_parts", [2, 3])
def test_parallel_parts_of_a_wrapped_triclinic_trajectory_give_the_serial_numbers(motion,
                                                                                  n_parts):
    vel, pos = motion
    u = _universe(vel, _wrap(pos, TRICLINIC), box=TRICLINIC)
    serial = _numbers(_analyses(u, unwrap=True))
    parallel = _numbers(_analyses(u, unwrap=True), backend="multiprocessing", n_workers=2,
                        n_parts=n_parts)
    _assert_same(parallel, serial, rtol=1e-12)


def test_a_second_run_on_other_frames_leaves_nothing_of_the_first(motion):
    u = _universe(*motion)
    again = _analyses(u)
    _numbers(again)  # a first run on every frame
    fresh = _numbers(_analyses(u), stop=1000)
    _assert_same(_numbers(again, stop=1000), fresh, rtol=0)
    for a, b in zip(again, _analyses(u), strict=True):
        assert set(a.results) == set(b.run(stop=1000).results)


def test_the_file_unit_is_converted(motion, tmp_path):
    # TRR stores nm and nm/ps: the numbers are those of the Å, Å/ps input to float32 round-off
    vel, pos = motion
    u = _universe(vel[:1000], pos[:1000])
    path = tmp_path / "salt.trr"
    with mda.Writer(str(path), u.atoms.n_atoms) as w:
        for _ in u.trajectory:
            w.write(u.atoms)
    from_file = _universe(vel[:1000], pos[:1000])
    from_file.load_new(str(path))
    assert from_file.trajectory.ts.positions[0] == pytest.approx(pos[0, 0], abs=1e-5)
    _assert_same(_numbers(_analyses(from_file)), _numbers(_analyses(u)), rtol=2e-5)


def test_a_reader_without_a_time_step_is_judged_by_its_frame_times(motion, tmp_path):
    # MDAnalysis' own H5MD reader records no dt (it assumes 1 ps, with a warning) while its
    # frames carry their times: the checks before the pass must not take the 1 ps for the
    # spacing (a second trajectory at 0.05 ps was refused as of another time step)
    pytest.importorskip("h5py")
    vel, pos = motion
    path = tmp_path / "salt.h5md"
    u = _universe(vel[:200], pos[:200])
    with mda.Writer(str(path), u.atoms.n_atoms, lengthunit="Angstrom",
                    velocityunit="Angstrom/ps", timeunit="ps", positions=True,
                    velocities=True) as w:
        for _ in u.trajectory:
            w.write(u.atoms)
    h5 = _universe(vel[:200], pos[:200])
    h5.load_new(str(path))
    with pytest.warns(UserWarning, match="no dt"):
        assert h5.trajectory.dt == 1.0
    assert h5.trajectory[1].time == pytest.approx(DT)
    other = _universe(*_motion(seed=2, n_frames=200))
    both = Diffusion([other, h5], IONS).run().results
    assert both.frame_spacing == pytest.approx(DT, rel=1e-6)
    singles = [Diffusion(x, IONS, n_blocks=1).run().results for x in (other, h5)]
    np.testing.assert_allclose(both.msd["Li"], (singles[0].msd["Li"] + singles[1].msd["Li"]) / 2,
                               rtol=1e-10)
    # a fit window in ps longer than 1 ps frames would allow a segment, within the true one:
    # 200 frames of 2 ps in 2 blocks are segments of 200 ps (100 ps at the assumed 1 ps)
    slow = _universe(vel[:200], pos[:200], dt=2.0)
    path2 = tmp_path / "slow.h5md"
    with mda.Writer(str(path2), slow.atoms.n_atoms, lengthunit="Angstrom",
                    velocityunit="Angstrom/ps", timeunit="ps", positions=True,
                    velocities=True) as w:
        for _ in slow.trajectory:
            w.write(slow.atoms)
    slow_h5 = _universe(vel[:200], pos[:200])
    slow_h5.load_new(str(path2))
    ref = EinsteinHelfandConductivity(slow, IONS, T, fit_window_ps=(20, 150),
                                      n_blocks=2).run().results
    got = EinsteinHelfandConductivity(slow_h5, IONS, T, fit_window_ps=(20, 150),
                                      n_blocks=2).run().results
    assert got.sigma == pytest.approx(ref.sigma, rel=1e-10)
    assert got.fit_window == pytest.approx((20.0, 150.0))


# ------------------------------------------------------------------------- selections
def test_diffusion_of_part_of_each_molecule_does_not_depend_on_topology_charges(motion):
    # D of the anions' A atoms: charges are not used by Diffusion, so a topology that records
    # them must not refuse the selection (it did: "selects only part of its molecules")
    vel, pos = motion
    with_q = Diffusion(_universe(vel, pos), {"A": "name A"}).run().results
    without = Diffusion(_universe(vel, pos, formal=False), {"A": "name A"}).run().results
    centre = Diffusion(_universe(vel, pos), {"AN": "resname AN"},
                       ion_center={"AN": "name A"}).run().results
    assert with_q.D["A"] == pytest.approx(without.D["A"], rel=1e-12)
    assert with_q.D["A"] == pytest.approx(centre.D["AN"], rel=1e-12)
    assert with_q.D_err["A"] == pytest.approx(centre.D_err["AN"], rel=1e-12)
    # the charge of part of a molecule is unknown, not the sum over the part
    assert with_q.charges is None and with_q.charge_sources == {"A": None}
    with pytest.raises(ValueError, match="needs charges"):
        NernstEinstein(Diffusion(_universe(vel, pos), {"A": "name A"}).run(), temperature=T)
    # analyses that use the charges still refuse the cut molecule, naming the remedy
    for cls in (EinsteinHelfandConductivity, OnsagerCoefficients, GreenKuboConductivity):
        with pytest.raises(ValueError, match="selects only part of its molecules"):
            cls(_universe(vel, pos), {"Li": "name Li", "A": "name A"}, T)


@pytest.mark.parametrize("ions, net", [
    ({"Li": "name Li"}, r"\+5 e"),
    ({"AN": "resname AN"}, "-5 e"),
    ({"Li": "name Li", "AN": "resname AN and index 7:14"}, r"\+1 e"),
])
@pytest.mark.parametrize("cls, kw", [
    (EinsteinHelfandConductivity, {}),
    (GreenKuboConductivity, {"max_lag": MAX_LAG}),
    (OnsagerCoefficients, {}),
    (OnsagerCoefficients, {"method": "green-kubo", "max_lag": MAX_LAG}),
])
def test_a_conductivity_of_one_species_or_a_charged_selection_is_refused(motion, cls, kw, ions,
                                                                         net):
    with pytest.raises(ValueError, match=f"net charge of {net}"):
        cls(_universe(*motion), ions, T, **kw)


def test_diffusion_of_one_species_needs_no_counter_ion(motion):
    u = _universe(*motion)
    one = Diffusion(u, {"Li": "name Li"}, remove_drift=False).run().results
    both = Diffusion(u, IONS, remove_drift=False).run().results
    # without a drift reference each species' D is its own: the same with or without the other
    assert one.D["Li"] == pytest.approx(both.D["Li"], rel=1e-12)
    assert one.D_err["Li"] == pytest.approx(both.D_err["Li"], rel=1e-12)


# ------------------------------------------------------------------------- thinned ion frames
def test_a_step_that_keeps_no_per_ion_frames_is_refused_before_reading(motion, monkeypatch):
    # 2000 frames, max_ion_frames=100: per-ion centres on every 21st trajectory frame; frames
    # 7, 10, 13, ... never meet one (the refusal came after the whole pass)
    from mda_electrolyte.ion_collection import IonCollector

    u = _universe(*motion)
    thinned = IonCollector(u, IONS, max_ion_frames=100)
    assert thinned._keep_every == 21
    ok = IonCollector(u, IONS, max_ion_frames=100).run(start=3, stop=1500, step=2).collection
    # every 42nd trajectory frame from 21 on: analysed rows 9, 30, 51, ...
    assert (ok.ion_stride, ok.ion_offset, ok.ion_positions.shape[0]) == (21, 9, 36)
    parts = IonCollector(u, IONS, max_ion_frames=100).run(
        start=3, stop=1500, step=2, backend="multiprocessing", n_workers=2, n_parts=3).collection
    np.testing.assert_allclose(parts.ion_positions, ok.ion_positions, rtol=0, atol=1e-12)

    def fail(self):
        raise AssertionError("a frame was read before the refusal")

    monkeypatch.setattr(IonCollector, "_single_frame", fail)
    with pytest.raises(ValueError, match=r"keep 0 per-ion positions \(fewer than 2.*dividing 21"):
        thinned.run(start=7, step=3)
    assert "collection" not in thinned.results
