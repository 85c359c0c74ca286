"""IntraInterRDF reads frames that are one configuration as one frame.

Before, a configuration repeated 60 times gave a valid first peak and first minimum whose
errors were those of 60 independent frames (the first minimum 2.49 ± 0.12 Å where the frame
alone gives ± 0.32 Å), while the same result's ``cn_first_shell`` said "no fluctuation": the
radial bands whose block error is 0 were skipped as carrying no series, so the frames' count
of independent ones was never measured, and the shell search took every frame's pairs as
independent. Repeated 2-4 times (too few frames for blocks) the search read them so as well.

The frames count as one configuration where every bin's counts (within and between
molecules) and the volume are the first frame's, per pair, as SolvationShells counts one
configuration repeated as one frame. A pair whose range holds only the fixed bonds of rigid
molecules is no such case (their counts are the same in independent frames), and bands that
never change beside bands that do leave the count to the others.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from shell_shapes import bound_shells

from mda_electrolyte import IntraInterRDF, SolvationShells

PAIRS = [("Li", "Li"), ("Li", "O"), ("O", "O")]


def _rdf(u, engine="auto", **run_kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=60, engine=engine).run(
            **run_kwargs).results


@pytest.fixture(scope="module")
def one_frame():
    return _rdf(bound_shells(1, 1, seed=3))


@pytest.mark.parametrize("k", [2, 4, 5, 12, 60, 230])
def test_a_configuration_repeated_k_times_is_one_frame(k, one_frame):
    res = _rdf(bound_shells(1, k, seed=3))
    for pair in PAIRS:
        assert res.shell[pair]["inefficiency"] == pytest.approx(k)
        for name in ("first_peak", "first_minimum"):
            est, alone = res.estimates[pair][name], one_frame.estimates[pair][name]
            # the single frame's search, its counting noise and its scatter
            assert est.value == pytest.approx(alone.value, rel=1e-12, nan_ok=True)
            assert est.stderr == pytest.approx(alone.stderr, rel=1e-9, nan_ok=True)
        assert not any(e.valid for e in res.estimates[pair].values()), pair
        if k >= 5:
            # blocks of frames: one independent segment in every band that holds pairs
            independent = res.independent_segments[pair]
            assert np.all(independent[np.isfinite(independent)] == 1.0)
            # the 8 radial bands of 60 bins, as the docs state them
            starts = np.unique(np.linspace(0, 60, 9).round().astype(int))[:-1]
            held = np.add.reduceat(res.counts[PAIRS.index(pair)].sum(axis=0), starts) > 0
            assert held.any()
            assert np.isfinite(independent[starts][held]).all()
            verdict = res.estimates[pair]["first_minimum"].verdict
            assert "too short: 1.0 independent segments of frames" in verdict, verdict


@pytest.mark.parametrize(("n_configs", "repeat"), [(20, 3), (10, 6), (60, 1)])
def test_held_or_independent_configurations_keep_their_measured_count(n_configs, repeat):
    res = _rdf(bound_shells(n_configs, repeat, seed=4))
    pair = ("Li", "O")
    g = res.shell[pair]["inefficiency"]
    # the measured statistical inefficiency of configurations held ``repeat`` frames
    assert 0.5 * repeat <= g < 2.5 * repeat, g
    independent = res.independent_segments[pair]
    assert np.nanmedian(independent) > 1.5
    minimum = res.estimates[pair]["first_minimum"]
    assert minimum.valid == (n_configs * repeat / g >= 2 * 10), minimum.verdict


def _frames(positions, box=18.0):
    """A Universe of one-atom residues: Li then O, frames of ``positions`` (frames, atoms, 3)."""
    n_li = 16
    n = positions.shape[1]
    u = mda.Universe.empty(n, n_residues=n, trajectory=True, atom_resindex=np.arange(n))
    u.add_TopologyAttr("elements", ["Li"] * n_li + ["O"] * (n - n_li))
    u.load_new(positions.astype(np.float32), order="fac",
               dimensions=np.tile([box] * 3 + [90.0] * 3, (len(positions), 1)).astype(
                   np.float32))
    return u


def test_held_atoms_are_one_configuration_of_their_own_pair_only():
    """The Li⁺ held in place over 60 frames of otherwise independent configurations: Li–Li
    is one configuration (partly constant in its bands: none changes), Li–O and O–O are
    measured from their changing bands as before."""
    rng = np.random.default_rng(8)
    li = rng.uniform(0, 18, (16, 3))
    frames = []
    for _ in range(60):
        v = rng.normal(size=(16, 4, 3))
        v /= np.linalg.norm(v, axis=-1, keepdims=True)
        bound = (li[:, None] + rng.normal(2.0, 0.1, (16, 4))[..., None] * v).reshape(-1, 3)
        cand = rng.uniform(0, 18, (800, 3))
        d = cand[:, None] - li[None]
        d -= 18 * np.round(d / 18)
        free = cand[np.linalg.norm(d, axis=-1).min(axis=1) > 3.0][:160]
        frames.append(np.concatenate([li, bound, free]) % 18)
    res = _rdf(_frames(np.array(frames)))
    assert res.shell[("Li", "Li")]["inefficiency"] == pytest.approx(60)
    assert not res.estimates[("Li", "Li")]["g_max"].valid
    for pair in (("Li", "O"), ("O", "O")):
        assert res.shell[pair]["inefficiency"] < 2.0
        assert np.nanmedian(res.independent_segments[pair]) > 30
    assert res.estimates[("Li", "O")]["first_minimum"].valid


def test_fixed_bonds_of_rigid_molecules_are_not_one_configuration():
    """Rigid dimers 1.0 Å long in independent frames, a range that holds only their bond:
    the counts never change, the frames are not therefore one."""
    rng = np.random.default_rng(7)
    lattice = np.array([[x, y, z] for x in (0, 6, 12) for y in (0, 6, 12) for z in (0, 6, 12)],
                       float)
    frames = []
    for _ in range(40):
        v = rng.normal(size=(27, 3))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        a = (lattice + rng.uniform(0, 18, 3) + rng.normal(0, 0.3, lattice.shape)) % 18
        frames.append(np.concatenate([a, (a + v) % 18]))
    u = mda.Universe.empty(54, n_residues=27, trajectory=True,
                           atom_resindex=np.r_[np.arange(27), np.arange(27)])
    u.add_TopologyAttr("elements", ["C"] * 27 + ["N"] * 27)
    u.load_new(np.array(frames, dtype=np.float32), order="fac",
               dimensions=np.tile([18.0] * 3 + [90.0] * 3, (40, 1)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = IntraInterRDF(u.atoms, range=(0.0, 1.6), nbins=16).run().results
    pair = ("C", "N")
    assert res.cn_intra[pair][-1] == pytest.approx(1.0)
    assert res.cn_inter[pair][-1] == 0.0
    # measured from the bins' series (a bond on a bin edge moves between two), not 40
    assert res.shell[pair]["inefficiency"] < 5.0
    assert not np.any(res.independent_segments[pair] == 1.0)


@pytest.mark.parametrize(("n_configs", "repeat"), [(1, 20), (10, 3)])
def test_parallel_workers_and_engines_count_as_the_serial_run(n_configs, repeat):
    u = bound_shells(n_configs, repeat, seed=5)
    serial = _rdf(u)
    parallel = _rdf(u, backend="multiprocessing", n_workers=2)
    searched = _rdf(u, engine="vesin")
    for pair in PAIRS:
        assert searched.shell[pair]["inefficiency"] == pytest.approx(
            serial.shell[pair]["inefficiency"])
        assert parallel.shell[pair]["inefficiency"] == serial.shell[pair]["inefficiency"]
        np.testing.assert_array_equal(parallel.independent_segments[pair],
                                      serial.independent_segments[pair])
        assert {k: str(v) for k, v in parallel.estimates[pair].items()} == {
            k: str(v) for k, v in serial.estimates[pair].items()}


def test_solvation_shells_say_the_same_of_one_configuration():
    """SolvationShells' cutoff of a configuration repeated 10 times (too few frames to
    measure a correlation) carries the RDF's note: one independent segment, not "not
    measured"."""
    u = bound_shells(1, 10, seed=6)
    rdf = _rdf(u)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shells = SolvationShells(u.select_atoms("element Li"), {},
                                 {"W": u.select_atoms("element O")}, rdf_range=(0.0, 6.0),
                                 rdf_nbins=60).run().results
    note = "too short: 1.0 independent segments of frames (need 10, 2 per block)"
    assert note in shells.cutoff_estimates["W"].verdict
    assert note in rdf.estimates[("Li", "O")]["first_minimum"].verdict
