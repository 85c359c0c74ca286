"""RDF block errors of frames correlated over more than a block.

The per-bin errors of IntraInterRDF were the standard error of 10 block means, which assumes
the blocks independent. Frames of a slowly moving liquid are not: over random-walk ideal gases
of 200 frames (0.3 Å steps per frame) the 95 % intervals covered 0.82 of the true g, and every
g(r) was valid. Now each band of bins is widened by the ratio of its statistical-inefficiency
error (over segments of the blocks) to its block error, and a pair whose blocks hold fewer than
2 independent segments each is not valid. Calibrated over seeded replicas: independent frames
keep calibrated, valid errors; correlated ones are widened (coverage up) or refused.
"""

import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte import IntraInterRDF

BOX = 20.0
TRUE_G = 0.99  # 99 of 100 atoms of an element outside an atom's two-atom molecule


def _random_walk_gas(n_frames, step, seed, n_atoms=200):
    """Two-atom "molecules" of Ar and Kr random-walking from a uniform start (stationary)."""
    rng = np.random.default_rng(seed)
    u = mda.Universe.empty(n_atoms, n_residues=n_atoms // 2,
                           atom_resindex=np.arange(n_atoms) // 2, trajectory=True)
    u.add_TopologyAttr("elements", ["Ar", "Kr"] * (n_atoms // 2))
    u.add_TopologyAttr("bonds", [(2 * i, 2 * i + 1) for i in range(n_atoms // 2)])
    steps = rng.normal(0.0, step, (n_frames, n_atoms, 3))
    steps[0] = rng.uniform(0, BOX, (n_atoms, 3))
    coords = (np.cumsum(steps, axis=0) % BOX).astype(np.float32)
    u.load_new(coords, order="fac",
               dimensions=np.tile([BOX, BOX, BOX, 90, 90, 90], (n_frames, 1)).astype(np.float32))
    return u


def _replicas(step, n_frames=200, n_replicas=10):
    """z-scores of the bins beyond 2 Å with the widened and the block errors, and the
    verdicts of every pair's g(r)."""
    z, z_blocks, valid = [], [], []
    for seed in range(n_replicas):
        rdf = IntraInterRDF(_random_walk_gas(n_frames, step, seed).atoms, range=(0.0, 8.0),
                            nbins=40, compound="fragments").run()
        keep = rdf.results.bins > 2.0
        for key in rdf.results.pairs:
            err = rdf.results.inter_err[key][keep]
            widening = rdf.results.error_widening[key][keep]
            assert np.all(widening >= 1.0) and np.all(np.isfinite(err))
            deviation = rdf.results.inter[key][keep] - TRUE_G
            z.append(deviation / err)
            z_blocks.append(deviation / (err / widening))
            # the verdict of the g(r) (a gas has no peak: g_max is refused for that too)
            valid.append("blocks of frames are correlated"
                         not in rdf.results.estimates[key]["g_max"].verdict)
    return np.concatenate(z), np.concatenate(z_blocks), np.array(valid)


@pytest.mark.parametrize("step", [3.0, 1.0])
def test_nearly_independent_frames_stay_valid_and_calibrated(step):
    z, z_blocks, valid = _replicas(step)
    # 900 bins of 10 replicas (bins of a replica share its frames): wide binomial margins
    assert valid.mean() >= 0.9
    coverage = np.mean(np.abs(z) < 1.96)
    assert 0.91 < coverage < 0.99, coverage
    # little widening where the blocks are independent
    assert np.mean(np.abs(z_blocks) < 1.96) > coverage - 0.05


def test_correlated_frames_are_widened():
    z, z_blocks, valid = _replicas(0.3)
    covered, covered_blocks = np.mean(np.abs(z) < 1.96), np.mean(np.abs(z_blocks) < 1.96)
    # the block errors alone covered 0.80 of these replicas, widened 0.85 (every replica's
    # errors only grow, so the gain is systematic)
    assert covered > covered_blocks + 0.02, (covered, covered_blocks)
    assert covered > 0.8
    assert valid.mean() < 0.9


def test_strongly_correlated_frames_are_not_valid():
    z, z_blocks, valid = _replicas(0.1)
    # blocks of 20 frames that decorrelate over far more: refused, with the reason
    assert valid.mean() <= 0.1
    rdf = IntraInterRDF(_random_walk_gas(200, 0.1, 0).atoms, range=(0.0, 8.0), nbins=40,
                        compound="fragments").run()
    estimate = rdf.results.estimates[("Ar", "Kr")]["g_max"]
    assert not estimate.valid and "blocks of frames are correlated" in estimate.verdict
    assert np.all(rdf.results.independent_segments[("Ar", "Kr")] < 200)
    assert np.mean(np.abs(z) < 1.96) > np.mean(np.abs(z_blocks) < 1.96)


@pytest.mark.parametrize("backend,kwargs", [("serial", {"n_parts": 3}),
                                            ("multiprocessing", {"n_workers": 2})])
def test_parallel_runs_widen_and_count_below_as_the_serial_run(backend, kwargs):
    # segments, bins below a range starting after 0 Å, widening and verdicts are the serial
    # run's whatever worker counted which frames
    u = _random_walk_gas(60, 0.3, seed=4)

    def rdf():
        return IntraInterRDF(u.atoms, range=(1.0, 8.0), nbins=35, compound="fragments")

    serial, other = rdf().run(), rdf().run(backend=backend, **kwargs)
    np.testing.assert_array_equal(serial.results.counts_segments, other.results.counts_segments)
    np.testing.assert_array_equal(serial.results.counts_blocks, other.results.counts_blocks)
    for key in serial.results.pairs:
        np.testing.assert_array_equal(serial.results.error_widening[key],
                                      other.results.error_widening[key])
        np.testing.assert_allclose(serial.results.total_err[key], other.results.total_err[key],
                                   rtol=1e-12, atol=0)
        assert (serial.results.estimates[key]["g_max"].verdict
                == other.results.estimates[key]["g_max"].verdict)
    assert np.any(serial.results.error_widening[("Ar", "Kr")] > 1.0)
