"""RDFs of 5-19 frames: blocks of one to three frames, whose correlation is not measured.

The blocks' correlation is measured from 4 segments per block on (20 frames in 5 blocks).
Below that the block errors were used as if the blocks were independent and the verdicts
stayed valid: over random-walk gases (0.3 Å steps per frame) of 10-15 frames the bins' 95 %
intervals covered 0.86-0.88 of the true g, and nothing said so. Now g_max, its position and
the first shell's coordination number are not valid, "too short: correlation not measured",
and the plot is stamped; from 20 frames the correlation is measured and independent frames are
valid as before.
"""

import matplotlib
import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte import IntraInterRDF

matplotlib.use("Agg")

BOX = 20.0


def _dimers(n_frames, seed=0, n=100, sigma=0.1):
    """Independent frames of Ar–Kr dimers (bond lengths N(1.5, sigma) Å): a real peak."""
    rng = np.random.default_rng(seed)
    u = mda.Universe.empty(2 * n, n_residues=n, atom_resindex=np.arange(2 * n) // 2,
                           trajectory=True)
    u.add_TopologyAttr("elements", ["Ar", "Kr"] * n)
    u.add_TopologyAttr("bonds", [(2 * i, 2 * i + 1) for i in range(n)])
    a = rng.uniform(0, BOX, (n_frames, n, 3))
    v = rng.normal(size=(n_frames, n, 3))
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    b = a + rng.normal(1.5, sigma, (n_frames, n))[..., None] * v
    coords = np.stack([a, b], axis=2).reshape(n_frames, 2 * n, 3) % BOX
    u.load_new(coords.astype(np.float32), order="fac",
               dimensions=np.tile([BOX] * 3 + [90.0] * 3, (n_frames, 1)).astype(np.float32))
    return u


def _rdf(u, **run):
    return IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=80, compound="fragments").run(**run)


@pytest.mark.parametrize("n_frames", [5, 12, 19])
def test_runs_too_short_to_measure_the_correlation_are_not_valid(n_frames):
    rdf = _rdf(_dimers(n_frames))
    assert np.all(np.isfinite(rdf.results.total_err[("Ar", "Kr")]))
    for key in rdf.results.pairs:
        for name in ("g_max", "g_max_position", "cn_first_shell"):
            est = rdf.results.estimates[key][name]
            assert not est.valid, (key, name)
            # (a count without a first minimum is refused for that alone)
            if not est.verdict.startswith("no first minimum"):
                assert "correlation not measured" in est.verdict, (key, name, est.verdict)
        assert np.all(np.isnan(rdf.results.independent_segments[key]))
    texts = [t.get_text() for ax in rdf.plot().axes for t in ax.texts]
    assert texts and all("correlation not measured" in t for t in texts)


def test_from_twenty_frames_the_correlation_is_measured_and_a_real_peak_is_valid():
    rdf = _rdf(_dimers(20))
    g_max = rdf.results.estimates[("Ar", "Kr")]["g_max"]
    assert g_max.valid, g_max
    assert np.all(np.isfinite(rdf.results.independent_segments[("Ar", "Kr")]))
    assert not [t for ax in rdf.plot().axes for t in ax.texts]


def test_the_frames_analysed_decide_not_the_trajectory_length():
    # 40 frames, 12 of them analysed: not measured; all 40: measured
    u = _dimers(40)
    assert "correlation not measured" in _rdf(u, stop=12).results.estimates[
        ("Ar", "Kr")]["g_max"].verdict
    assert "correlation not measured" not in _rdf(u).results.estimates[
        ("Ar", "Kr")]["g_max"].verdict
