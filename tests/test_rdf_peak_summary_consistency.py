"""The height and position of g(r)'s highest peak are one result: one verdict, one kind of number.

Before, a peak refused as "too coarse" (or at the range's edge, or in sparse bins) reported
``g_max`` as the highest bin's height while ``g_max_position`` was NaN, and the sparse case gave
the height a bin's block error beside a position without one; a pair with no pairs at all gave
``g_max = 0`` beside a NaN position. Now every refused peak shows both numbers of the same
provenance (the fitted top, or the highest bin and its centre, or NaN for both where g is zero
everywhere), no error bar on either, and the same notes; the report's JSON carries the same.
"""

import json
import math

import MDAnalysis as mda
import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import IntraInterRDF
from mda_electrolyte.rdf import MIN_PEAK_PAIRS

BOX = 20.0


def _dimers(n_frames, sigma, mu=1.5, n=100, seed=0, extra_atoms=()):
    """Independent frames of ``n`` Ar–Kr dimers (bond N(mu, sigma)) plus lone atoms."""
    rng = np.random.default_rng(seed)
    n_extra = len(extra_atoms)
    n_atoms = 2 * n + n_extra
    u = mda.Universe.empty(n_atoms, n_residues=n + n_extra,
                           atom_resindex=np.concatenate([np.arange(2 * n) // 2,
                                                         n + np.arange(n_extra)]),
                           trajectory=True)
    u.add_TopologyAttr("elements", ["Ar", "Kr"] * n + list(extra_atoms))
    a = rng.uniform(0, BOX, (n_frames, n, 3))
    d = rng.normal(mu, sigma, (n_frames, n))
    v = rng.normal(size=(n_frames, n, 3))
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    coords = np.stack([a, a + d[..., None] * v], axis=2).reshape(n_frames, 2 * n, 3)
    lone = rng.uniform(0, BOX, (n_frames, n_extra, 3))
    coords = np.concatenate([coords, lone], axis=1) % BOX
    u.load_new(coords.astype(np.float32), order="fac",
               dimensions=np.tile([BOX] * 3 + [90.0] * 3, (n_frames, 1)).astype(np.float32))
    return u


def _check_one_peak(rdf, key):
    """The class invariant: one verdict, both finite or both NaN, errors alike."""
    est = rdf.results.estimates[key]
    height, position = est["g_max"], est["g_max_position"]
    assert height.converged == position.converged
    assert height.notes == position.notes
    assert math.isfinite(height.value) == math.isfinite(position.value), (height, position)
    assert math.isfinite(height.stderr) == math.isfinite(position.stderr), (height, position)
    assert height.method == position.method
    if not height.converged:
        # a refused peak says why, and carries no error bar that would read as a result's
        assert height.notes and all(n for n in height.notes)
        assert math.isnan(height.stderr) and math.isnan(position.stderr)
    if math.isfinite(position.value):
        edges = rdf.results.edges
        assert edges[0] <= position.value <= edges[-1]
    return height, position


def test_a_peak_narrower_than_the_bins_shows_its_highest_bin_and_that_bin_s_centre():
    # σ = 0.02 Å in 0.2 Å bins: refused as too coarse (a height was shown, no position)
    rdf = IntraInterRDF(_dimers(20, 0.02).atoms, range=(0.0, 6.0), nbins=30,
                        compound="residues").run()
    height, position = _check_one_peak(rdf, ("Ar", "Kr"))
    assert not height.valid and ("too coarse" in height.verdict
                                 or "narrower than the bins" in height.verdict)
    total = rdf.results.total[("Ar", "Kr")]
    k = int(np.argmax(total))
    assert height.value == total[k]
    assert position.value == rdf.results.bins[k]
    assert abs(position.value - 1.5) <= 0.1 + 1e-9
    assert "highest bin" in height.method


def test_a_peak_at_the_edge_of_the_range_is_shown_where_g_is_highest():
    # the range stops at the top of the bond peak: g is highest in its last bin
    rdf = IntraInterRDF(_dimers(20, 0.1).atoms, range=(0.0, 1.5), nbins=30,
                        compound="residues").run()
    height, position = _check_one_peak(rdf, ("Ar", "Kr"))
    assert not height.valid and "not inside the range" in height.verdict
    assert position.value == rdf.results.bins[-1]


def test_a_pair_without_pairs_shows_no_number_at_all():
    # one lone Li: Li–Li has no pair; g_max was 0 beside a NaN position
    rdf = IntraInterRDF(_dimers(20, 0.1, extra_atoms=["Li"]).atoms, range=(0.0, 6.0),
                        nbins=60, compound="residues").run()
    height, position = _check_one_peak(rdf, ("Li", "Li"))
    assert math.isnan(height.value) and math.isnan(position.value)
    assert "no pairs counted" in height.verdict


def test_too_few_frames_and_no_pairs_give_both_reasons():
    rdf = IntraInterRDF(_dimers(2, 0.1, extra_atoms=["Li"]).atoms, range=(0.0, 6.0),
                        nbins=60, compound="residues").run()
    height, _ = _check_one_peak(rdf, ("Li", "Li"))
    assert "too few frames" in height.verdict and "no pairs counted" in height.verdict
    # a peak with pairs: the fitted top shown, both numbers, refused for the frames only
    height, position = _check_one_peak(rdf, ("Ar", "Kr"))
    assert "too few frames" in height.verdict
    assert math.isfinite(height.value) and abs(position.value - 1.5) < 0.1


def test_sparse_bins_show_the_highest_bin_without_its_block_error():
    # two Li among dimers: Li–Li has a pair or two per bin at most
    rdf = IntraInterRDF(_dimers(20, 0.1, extra_atoms=["Li", "Li"], seed=4).atoms,
                        range=(0.0, 6.0), nbins=60, compound="residues").run()
    p = rdf.results.pairs.index(("Li", "Li"))
    counts = rdf.results.counts[p].sum(axis=0)
    assert 0 < counts.max() < MIN_PEAK_PAIRS
    height, position = _check_one_peak(rdf, ("Li", "Li"))
    assert "counting noise" in height.verdict
    k = int(np.argmax(rdf.results.total[("Li", "Li")]))
    assert position.value == rdf.results.bins[k]


def test_an_ideal_gas_without_a_peak_shows_a_counted_bin():
    # Ar–Ar of uniformly placed dimers is an ideal gas: no resolved peak; the bin shown is
    # one holding enough pairs (a close pair or two at small r is passed over)
    rdf = IntraInterRDF(_dimers(20, 0.1, seed=5).atoms, range=(0.0, 6.0), nbins=60,
                        compound="residues").run()
    for key in rdf.results.pairs:
        height, position = _check_one_peak(rdf, key)
    height, position = _check_one_peak(rdf, ("Ar", "Ar"))
    assert not height.valid
    p = rdf.results.pairs.index(("Ar", "Ar"))
    counts = rdf.results.counts[p].sum(axis=0)
    k = int(np.searchsorted(rdf.results.edges, position.value)) - 1
    assert counts[k] >= MIN_PEAK_PAIRS


def test_a_resolved_peak_keeps_both_errors_and_one_verdict():
    rdf = IntraInterRDF(_dimers(20, 0.08, seed=6).atoms, range=(0.0, 6.0), nbins=120,
                        compound="residues").run()
    height, position = _check_one_peak(rdf, ("Ar", "Kr"))
    assert height.valid and height.stderr > 0 and position.stderr > 0


@pytest.mark.parametrize("nbins,range_", [(30, (0.0, 6.0)), (30, (0.0, 1.5)), (120, (0.0, 6.0))])
def test_the_report_json_carries_the_same_pair_of_numbers(tmp_path, monkeypatch, nbins, range_):
    # the report writes the Estimates' dicts: both null or both numbers, one verdict
    from mda_electrolyte import rdf as rdf_module

    u = _dimers(20, 0.02 if nbins == 30 else 0.08, extra_atoms=["Li"], seed=7)
    real = rdf_module.IntraInterRDF

    def fixed(atomgroup, **kwargs):
        kwargs.update(range=range_, nbins=nbins, compound="residues")
        return real(atomgroup, **kwargs)

    monkeypatch.setattr(rdf_module, "IntraInterRDF", fixed)
    summary = rdf_module._report(u, tmp_path)
    text = json.dumps({k: {n: v.to_dict() if isinstance(v, Estimate) else v
                           for n, v in e.items()} for k, e in summary["pairs"].items()})
    for entry in json.loads(text).values():
        height, position = entry["g_max"], entry["g_max_position"]
        assert (height["value"] is None) == (position["value"] is None)
        assert (height["stderr"] is None) == (position["stderr"] is None)
        assert height["verdict"] == position["verdict"]
