"""Overlapping atoms (pairs closer than MIN_PAIR_DISTANCE) judged by their number, not a "peak".

Before: the first-minimum search saw every pair, so a handful of chance pairs in bins of a
few thousandths of an Å³ made a "first peak" at 0.3-0.4 Å. Of 40 loose shells at 2 Å over a
uniform background (8 Li⁺, 120 frames), seed 26 was refused ("the first peak at 0.282 Å is
atoms closer than 0.5 Å") and seed 10 took its "first minimum" at 6.89 Å (refused as beyond
max_cutoff); every one of 4 ideal gases carried "the first peak at 0.08-0.43 Å is atoms closer
than 0.5 Å ... fix those frames" in its not-valid verdicts. Now the search does not see such
pairs; they are counted and judged (rdf._overlap_verdict), the same rule in IntraInterRDF
(numbers marked not valid) and SolvationShells (the cutoff refused): 0 of 40 loose shells
refused, the ideal gases' verdicts say "no peak" / "too shallow".
"""

import re
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from test_shell_cutoff_reach_calibration import _loose_truth

from mda_electrolyte import IntraInterRDF, SolvationShells
from mda_electrolyte.rdf import (
    MIN_PAIR_DISTANCE,
    MIN_PEAK_PAIRS,
    _overlap_verdict,
    _without_overlaps,
)
from tests.test_structure_overlapping_atoms import shells

KEY = ("element Li", "element N")
RHO = 0.0775


def _universe(frames, n_li, box):
    n = frames.shape[1]
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    elements = ["Li"] * n_li + ["N"] * (n - n_li)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", ["LI"] * n_li + ["SOL"] * (n - n_li))
    u.load_new((frames % box).astype(np.float32), format=MemoryReader,
               dimensions=[box] * 3 + [90] * 3)
    return u


def loose(seed, n_frames=120, box=20.0):
    """8 Li⁺ with 2 N at 2.0 ± 0.15 Å and 3 at 4.0 ± 0.15 Å over uniform N of density RHO
    (the shells of tests/test_shell_cutoff_reach_calibration.py as a trajectory)."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        li = rng.uniform(0, box, (8, 3))
        parts = [li]
        for centre in li:
            for count, radius in ((2, 2.0), (3, 4.0)):
                v = rng.normal(size=(count, 3))
                v /= np.linalg.norm(v, axis=1)[:, None]
                parts.append(centre + v * rng.normal(radius, 0.15, (count, 1)))
        parts.append(rng.uniform(0, box, (int(RHO * box**3), 3)))
        frames.append(np.concatenate(parts))
    return _universe(np.array(frames), 8, box)


def gas(seed, n=300, n_li=20, n_frames=30, box=20.0):
    frames = np.random.default_rng(seed).uniform(0, box, (n_frames, n, 3))
    return _universe(frames, n_li, box)


def run_shells(u, **kwargs):
    return SolvationShells(u.select_atoms("element Li"), {},
                           {"SOL": u.select_atoms("resname SOL")}, **kwargs).run()


def rdf(u, **kwargs):
    return IntraInterRDF(u.atoms, pairs=[KEY], **kwargs).run()


@pytest.mark.parametrize("seed", [10, 26, 0])
def test_a_clear_shell_over_chance_close_pairs_is_found_by_both_analyses(seed):
    # seeds 10 and 26 were refused before (a "first peak" of chance pairs at 0.28 Å, or a
    # first minimum at 6.89 Å after it); 0 was not
    u = loose(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        shell = run_shells(u)
    est = rdf(u, range=(0.0, 8.0), nbins=80).results.estimates[KEY]
    truth = _loose_truth(2.0)
    cutoff = shell.results.cutoff_estimates["SOL"]
    # one search over the same counts: the same cutoff in both
    assert cutoff.value == pytest.approx(est["first_minimum"].value, abs=1e-9)
    assert est["first_peak"].value == pytest.approx(2.0, abs=0.15)
    assert cutoff.valid and abs(cutoff.value - truth) < 3 * cutoff.stderr, (cutoff, truth)
    # the chance pairs (40-60 of a shell of ~12 000) are named, not held against the shell
    assert not any("overlapping atoms" in n for v in est.values() for n in v.notes)
    notes = [n for n in est["cn_first_shell"].notes if "closer than" in n]
    assert len(notes) == 1 and "fewer than its counting noise" in notes[0], notes


@pytest.mark.parametrize("seed", range(3))
def test_an_ideal_gas_has_no_shell_and_no_blame_on_close_atoms(seed):
    est = rdf(gas(seed)).results.estimates[KEY]
    for name in ("first_peak", "first_minimum", "cn_first_shell"):
        assert not est[name].valid
        text = "; ".join(est[name].notes)
        assert "closer than" not in text and "overlapping" not in text, text
        assert any(word in text for word in ("no peak", "shallow", "not significant")), text
    # nor a "peak" too coarse for its bins (seeds 1 and 2 read "too coarse: the peak is 0.55
    # bin widths wide ... use narrower bins" before): the highest bin of a flat g is noise
    assert not est["g_max"].valid
    assert not any("too coarse" in n for n in est["g_max"].notes), est["g_max"].notes
    assert any("no peak" in n or "no resolved peak" in n for n in est["g_max"].notes)


def _duplicates(u, distance=0.3, frames=None):
    """The Universe with N :data:`STRAY`-like extra atoms: each Li's first first-shell N moved
    ``distance`` from it in ``frames`` (all by default)."""
    positions = u.trajectory.coordinate_array
    frames = range(len(positions)) if frames is None else frames
    for f in frames:
        for li in range(8):
            positions[f, 8 + 10 * li] = positions[f, li] + [0.0, 0.0, distance]
    return u


def test_overlaps_beyond_the_counting_noise_refuse_the_shell_in_both_analyses():
    # one N 0.3 Å from every Li⁺ in every frame: 40 of the shell's 160 pairs (√160 = 12.6)
    u = _duplicates(shells(5))
    head = f"40 pair(s) of atoms closer than {MIN_PAIR_DISTANCE} Å in 5 of 5 frames"
    est = rdf(u, range=(0.0, 8.0), nbins=80).results.estimates[KEY]
    for name in ("first_peak", "first_minimum", "cn_first_shell"):
        assert not est[name].valid
        assert any(head in n and "more than its counting noise" in n
                   for n in est[name].notes), est[name].notes
    with pytest.raises(ValueError, match=rf"cation–SOL RDF: {re.escape(head)}.*Li 0-N 8 at 0.3 Å"
                                         r".*fix or leave out those frames"):
        run_shells(u)


def test_one_garbled_frame_of_many_is_named_and_many_garbled_frames_refused():
    # the same overlaps in 1 of 30 frames: 8 pairs beside 960 (√960 = 31): named, counted
    u = _duplicates(shells(30), frames=[3])
    with pytest.warns(UserWarning, match=r"8 pair\(s\) of atoms closer than 0.5 Å in 1 of 30 "
                                         r"frames \(frame 3: Li"):
        shell = run_shells(u)
    assert shell.results.cutoff_estimates["SOL"].value == pytest.approx(2.9, abs=0.5)
    # in 5 of 30 frames: 40 pairs, more than √960: refused
    with pytest.raises(ValueError, match=r"40 pair\(s\) .* in 5 of 30 frames"):
        run_shells(_duplicates(shells(30), frames=[3, 7, 11, 20, 29]))


def test_overlaps_without_a_shell_beyond_chance_are_said_as_such():
    # an ideal gas with an N 0.2 Å from each of its 20 Li⁺ in every frame: 600 pairs where
    # chance puts ~8; there is no shell, and the verdict says what is there
    u = gas(0)
    positions = u.trajectory.coordinate_array
    positions[:, 20:40] = positions[:, :20] + np.float32(0.2)
    est = rdf(u).results.estimates[KEY]
    text = "; ".join(est["first_minimum"].notes)
    n_close = int(text.split(" pair(s) of atoms closer than 0.5 Å in 30 of 30 frames")[0]
                  .split()[-1])
    assert 600 <= n_close <= 640, text
    assert "where an ideal gas of the same density has" in text


def test_the_verdict_thresholds():
    # a found shell: material above √(shell pairs), named below
    assert _overlap_verdict(12, 3, 10, 144, 5.0, []) == (False, _overlap_verdict(
        12, 3, 10, 144, 5.0, [])[1])
    assert _overlap_verdict(13, 3, 10, 144, 5.0, [])[0]
    assert "fewer than its counting noise" in _overlap_verdict(12, 3, 10, 144, 5.0, [])[1]
    # no shell: nothing below chance + 3√chance or MIN_PEAK_PAIRS, material above both
    assert _overlap_verdict(16, 9, 10, None, 9.0, []) == (False, "")
    assert _overlap_verdict(19, 9, 10, None, 9.0, [])[0]
    assert _overlap_verdict(MIN_PEAK_PAIRS - 1, 1, 10, None, 0.0, []) == (False, "")
    assert _overlap_verdict(0, 0, 10, 100, 1.0, []) == (False, "")


def test_the_search_leaves_out_whole_bins_closer_than_the_bound_only():
    edges = np.linspace(0.0, 1.2, 13)  # 0.5 Å is an edge
    g = np.arange(12.0) + 1
    out, counts, below = _without_overlaps(edges, g, g.copy(), None)
    assert np.all(out[:5] == 0) and np.array_equal(out[5:], g[5:]) and below is None
    assert np.array_equal(counts, out)
    edges = np.linspace(0.3, 1.5, 9)  # a bin straddles 0.5 Å: kept; the pairs below 0.3 go
    out, _, below = _without_overlaps(edges, np.ones(8), None, np.array([4.0, 2.0]))
    assert out[0] == 0 and np.all(out[1:] == 1) and np.all(below == 0)
    # a range from beyond the bound: nothing left out
    edges = np.linspace(1.0, 2.0, 5)
    out, _, below = _without_overlaps(edges, np.ones(4), None, 3.0)
    assert np.all(out == 1) and below == 3.0
