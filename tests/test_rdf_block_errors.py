"""Per-bin errors of IntraInterRDF's g(r) over blocks of frames, and their verdict.

Calibrated on ideal gases (g_inter = 0.99 in every bin): over many bins and replicas the
one-sigma band covers the true g in about 68 % of the bins and the z-scores have the spread of
t-scaled block means (1.24 with 5 blocks, 1.07 with 10), with 5 blocks
(20 frames) and 10 blocks (60 frames). Too few frames for blocks: errors NaN, not valid, and
the plot stamped.
"""

import matplotlib
import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte import IntraInterRDF
from mda_electrolyte.uncertainty import t_factor

matplotlib.use("Agg")

BOX = 20.0


def _ideal_gas(n_frames, n_atoms=200, seed=0, box=BOX):
    """Independent uniform frames of two-atom "molecules" of Ar and Kr."""
    rng = np.random.default_rng(seed)
    u = mda.Universe.empty(
        n_atoms, n_residues=n_atoms // 2, atom_resindex=np.arange(n_atoms) // 2, trajectory=True
    )
    u.add_TopologyAttr("elements", ["Ar", "Kr"] * (n_atoms // 2))
    # the molecules by their bonds: random frames put atoms of different residues in contact
    u.add_TopologyAttr("bonds", [(2 * i, 2 * i + 1) for i in range(n_atoms // 2)])
    coords = rng.uniform(0, box, (n_frames, n_atoms, 3)).astype(np.float32)
    dims = np.tile([box, box, box, 90, 90, 90], (n_frames, 1)).astype(np.float32)
    u.load_new(coords, order="fac", dimensions=dims)
    return u


def _rdf(u):
    return IntraInterRDF(u.atoms, range=(0.0, 8.0), nbins=40, compound="fragments")


@pytest.mark.parametrize("n_frames", [20, 60])
def test_per_bin_errors_are_calibrated_on_ideal_gases(n_frames):
    z = []
    for seed in range(8):
        u = _ideal_gas(n_frames, seed=seed)
        rdf = _rdf(u).run()
        for key in rdf.results.pairs:
            # bins beyond 2 Å: enough pairs per block for a near-Gaussian block mean
            keep = rdf.results.bins > 2.0
            g = rdf.results.inter[key][keep]
            err = rdf.results.inter_err[key][keep]
            assert np.all(np.isfinite(err)) and np.all(err > 0)
            # each atom has 99 others of the other (or its own) element outside its molecule,
            # normalised by 100: g_inter = 0.99
            z.append((g - 0.99) / err)
    z = np.concatenate(z)
    coverage = np.mean(np.abs(z) < 1.0)
    assert 0.60 < coverage < 0.77, coverage
    # t-scaled: one-sigma coverage, and the spread of a t variable with n_blocks - 1 degrees
    # of freedom over the t factor (1.24 for 5 blocks, 1.07 for 10)
    dof = (5 if n_frames < 50 else 10) - 1
    expected = np.sqrt(dof / (dof - 2)) / t_factor(dof)
    assert 0.85 * expected < np.std(z) < 1.15 * expected, (np.std(z), expected)
    assert abs(np.mean(z)) < 0.15


def test_error_of_the_total_is_that_of_its_parts_and_shrinks_with_frames():
    short = IntraInterRDF(
        _ideal_gas(20, seed=3).atoms, range=(0.0, 8.0), nbins=40, compound="fragments"
    ).run()
    long = IntraInterRDF(
        _ideal_gas(180, seed=3).atoms, range=(0.0, 8.0), nbins=40, compound="fragments"
    ).run()
    key = ("Ar", "Kr")
    # the intra pairs of the two-atom molecules are random too; total = intra + inter per block
    assert np.all(
        short.results.total_err[key]
        <= short.results.intra_err[key] + short.results.inter_err[key] + 1e-12
    )
    far = short.results.bins > 3.0
    ratio = np.median(short.results.total_err[key][far] / long.results.total_err[key][far])
    # 9 times the frames: errors 3 times smaller (10 blocks against 5 also changes the t factor)
    assert 2.2 < ratio < 3.8, ratio
    # an ideal gas has no peak: the highest of its flat bins is no g_max
    estimate = long.results.estimates[key]["g_max"]
    # (nor a peak "too coarse" for its bins, which sent the user to narrower bins)
    assert not estimate.valid and estimate.verdict.startswith(("no resolved peak", "no peak"))


@pytest.mark.parametrize(
    "backend,kwargs", [("serial", {"n_parts": 3}), ("multiprocessing", {"n_workers": 2})]
)
def test_block_errors_equal_across_backends_and_parts(backend, kwargs):
    u = _ideal_gas(23, seed=5)
    serial = _rdf(u).run()
    other = _rdf(u).run(
        backend=backend, **kwargs
    )
    np.testing.assert_array_equal(serial.results.counts_blocks, other.results.counts_blocks)
    for key in serial.results.pairs:
        np.testing.assert_array_equal(serial.results.total[key], other.results.total[key])
        np.testing.assert_allclose(
            serial.results.total_err[key], other.results.total_err[key], rtol=1e-12, atol=0
        )


def test_blocks_are_consecutive_frames_and_cover_every_frame():
    u = _ideal_gas(23, seed=1)
    rdf = _rdf(u).run()
    frames = rdf.results.frames_blocks
    assert frames.sum() == 23 and frames.size == 5 and frames.max() - frames.min() <= 1
    assert rdf.results.volume_blocks.sum() == pytest.approx(23 * BOX**3, rel=1e-6)
    # the blocks' pair counts are the run's
    np.testing.assert_array_equal(rdf.results.counts_blocks.sum(axis=0), rdf.results.counts_ordered)


@pytest.mark.parametrize("stop", [1, 4])
def test_too_few_frames_give_no_error_and_a_stamped_plot(stop):
    u = _ideal_gas(10, seed=2)
    rdf = _rdf(u).run(stop=stop)
    for key in rdf.results.pairs:
        assert np.all(np.isnan(rdf.results.total_err[key]))
        estimate = rdf.results.estimates[key]["g_max"]
        assert not estimate.valid
        assert estimate.verdict.startswith(f"too few frames: {stop}")
        # g itself is still the histogram of those frames
        assert np.all(np.isfinite(rdf.results.total[key]))
    fig = rdf.plot()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts and all(t.startswith("NOT VALID") for t in texts)
    assert all(not ax.collections for ax in fig.axes if ax.get_visible())


def test_plot_draws_the_band_of_a_valid_rdf():
    # from 2 Å: below it the highest bin of a gas holds a pair or two, counting noise
    rdf = IntraInterRDF(
        _ideal_gas(20, seed=4).atoms, range=(2.0, 8.0), nbins=40, compound="fragments"
    ).run()
    fig = rdf.plot()
    for ax in fig.axes:
        assert not ax.texts
        # the total's band (labelled "± 1σ"; the intra and inter curves have their own)
        (band,) = [c for c in ax.collections if c.get_label() == "± 1σ"]
        # the band's upper edge is g_total + err at the bin centres
        vertices = band.get_paths()[0].vertices
        key = tuple(ax.get_title().split("–"))
        upper = rdf.results.total[key] + rdf.results.total_err[key]
        assert np.max(vertices[:, 1]) == pytest.approx(upper.max())
