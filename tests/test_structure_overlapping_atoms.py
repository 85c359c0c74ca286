"""Overlapping atoms (a pair closer than MIN_PAIR_DISTANCE) in the structure analyses.

Before: a stray N 0.23 Å from a Li⁺ in one frame of a short run became the cation–N RDF's
"first peak", and SolvationShells ended in "no first minimum ... the dip after the first peak
at 0.24 Å is not significant", naming a peak instead of the overlapping atoms; an RDF whose
first peak was such a pair gave its first minimum and coordination number from it. Now the
refusal names the frame, the atoms (Universe indices) and their distance; where a rare
overlapping pair is not the first peak, the shell is the one of the clean frames.

Since struct21 the rule is about the pairs closer than MIN_PAIR_DISTANCE, not a "peak" of a
handful of counts (rdf._overlap_verdict): the first-minimum search does not see them, and one
stray pair in one of 5 frames beside a shell of 160 pairs is named (a note, a warning) but
refuses nothing; pairs that move the shell's count beyond its counting noise (one on every
Li⁺ in every frame) refuse it (tests/test_struct21_overlap_rule.py).
"""

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import SolvationShells
from mda_electrolyte.rdf import MIN_PAIR_DISTANCE, IntraInterRDF, _describe_close_pairs

GRID = np.array([[x, y, z] for x in (5, 15) for y in (5, 15) for z in (5, 15)], float)
FIRST = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]], float)
SECOND = np.array([[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1], [0, 0, 1], [0, 0, -1]],
                  float)
SECOND /= np.linalg.norm(SECOND, axis=1)[:, None]
#: the N moved onto Li 0 (the second of its first shell) and the frame it is moved in
STRAY, FRAME = 9, 2


def shells(n_frames, stray=None, seed=0, box=20.0):
    """8 Li⁺ (atoms 0-7), each with 4 N at 2.0 ± 0.1 Å and 6 at 4.0 ± 0.1 Å (no two atoms
    closer than 1 Å); ``stray``: that distance (Å) of N :data:`STRAY` from Li 0 in frame
    :data:`FRAME`."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        parts = [GRID]
        for li in GRID:
            parts.append(li + FIRST * rng.normal(2.0, 0.1, (4, 1)) + rng.normal(0, 0.05, (4, 3)))
            parts.append(li + SECOND * rng.normal(4.0, 0.1, (6, 1))
                         + rng.normal(0, 0.05, (6, 3)))
        frames.append(np.concatenate(parts))
    frames = np.array(frames)
    if stray is not None:
        frames[FRAME, STRAY] = frames[FRAME, 0] + [0.0, 0.0, stray]
    n = frames.shape[1]
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    elements = ["Li"] * 8 + ["N"] * (n - 8)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", ["LI"] * 8 + ["SOL"] * (n - 8))
    u.load_new((frames % box).astype(np.float32), format=MemoryReader,
               dimensions=[box] * 3 + [90] * 3)
    return u


def run_shells(u, **kwargs):
    return SolvationShells(u.select_atoms("element Li"), {},
                           {"SOL": u.select_atoms("resname SOL")}, **kwargs).run()


def li_n_rdf(u, **kwargs):
    rdf = IntraInterRDF(u.atoms, pairs=[("element Li", "element N")], **kwargs).run()
    return rdf.results.estimates[("element Li", "element N")]


def test_the_fixture_has_no_close_pair_but_the_stray_one():
    u = shells(5, stray=0.23)
    for ts in u.trajectory:
        d = mda.lib.distances.self_distance_array(u.atoms.positions, box=u.dimensions)
        close = int((d < 1.0).sum())
        assert close == (1 if ts.frame == FRAME else 0)


@pytest.mark.parametrize("distance", [0.05, 0.23, 0.45])  # 0 Å: refused at its frame
def test_shells_name_a_stray_overlapping_pair_and_keep_the_clear_shell(distance):
    # cutoffs from the RDF need the stored table (store_table=False needs them given)
    u = shells(5, stray=distance)
    u.trajectory[4]
    with pytest.warns(UserWarning, match=(
            rf"cation–SOL RDF: 1 pair\(s\) of atoms closer than {MIN_PAIR_DISTANCE} Å in 1 of 5 "
            rf"frames \(frame {FRAME}: Li 0-N {STRAY} at {distance:.3g} Å")):
        stray = run_shells(u)
    # the frames read again to name the atoms: the caller's Universe is where it was
    assert u.trajectory.ts.frame == 4
    clean = run_shells(shells(5))
    assert stray.results.cutoffs["SOL"] == pytest.approx(
        clean.results.cutoffs["SOL"], abs=2 * clean.results.cutoff_estimates["SOL"].stderr)


def test_shells_with_a_rare_overlap_that_is_not_the_first_peak_are_the_clean_ones():
    clean = run_shells(shells(30))
    stray = run_shells(shells(30, stray=0.23))
    cutoff = clean.results.cutoff_estimates["SOL"]
    assert stray.results.cutoffs["SOL"] == pytest.approx(clean.results.cutoffs["SOL"],
                                                         abs=2 * cutoff.stderr)
    # the moved N left its shell for a closer one: the same count (4 per Li)
    cn_clean = clean.results.estimates["coordination_numbers"]["SOL"]
    cn_stray = stray.results.estimates["coordination_numbers"]["SOL"]
    assert cn_stray.value == pytest.approx(cn_clean.value, abs=1e-12)


@pytest.mark.parametrize("engine", ["auto", "vesin"])
def test_rdf_names_a_stray_overlapping_pair_and_keeps_the_clear_shell(engine):
    u = shells(5, stray=0.23)
    # bins of 0.1 Å, as the shells' RDF: the lone pair's bin was taken for the first peak
    est = li_n_rdf(u, range=(0.0, 8.0), nbins=80, engine=engine)
    clean = li_n_rdf(shells(5), range=(0.0, 8.0), nbins=80, engine=engine)
    # 5 frames are too few to measure their correlation: the shell's only doubt
    for shell in (clean, est):
        assert [n.split(":")[0] for n in shell["first_minimum"].notes] == ["too short"]
    assert est["first_minimum"].value == pytest.approx(clean["first_minimum"].value,
                                                       abs=2 * clean["first_minimum"].stderr)
    assert est["first_peak"].value == pytest.approx(2.0, abs=0.1)
    # the shell's count holds the pair, and says so
    assert any(f"frame {FRAME}: Li 0-N {STRAY} at 0.23 Å" in note
               for note in est["cn_first_shell"].notes), est["cn_first_shell"].notes
    assert not any("closer than" in note for note in clean["cn_first_shell"].notes)
    # the highest peak is the shell at 2 Å, not the pair: its height stands
    assert est["g_max_position"].value == pytest.approx(2.0, abs=0.1)
    assert not any("overlapping" in note for note in est["g_max"].notes)


def test_rdf_parallel_parts_name_the_same_frames():
    u = shells(6, stray=0.23)
    kwargs = {"pairs": [("element Li", "element N")], "range": (0.0, 8.0), "nbins": 80}
    serial = IntraInterRDF(u.atoms, **kwargs).run()
    parallel = IntraInterRDF(u.atoms, **kwargs).run(backend="multiprocessing", n_workers=2)
    key = ("element Li", "element N")
    assert (serial.results.estimates[key]["cn_first_shell"].notes
            == parallel.results.estimates[key]["cn_first_shell"].notes)
    assert any(f"frame {FRAME}: Li 0-N {STRAY}" in note
               for note in serial.results.estimates[key]["cn_first_shell"].notes)
    assert "_close_frames" not in parallel.results


def test_describe_close_pairs_without_names_or_elements():
    u = mda.Universe.empty(3, trajectory=True)
    text = _describe_close_pairs(u.atoms, 4, np.array([0, 1]), np.array([2, 2]),
                                np.array([0.3, 0.6]))
    assert text == "frame 4: atom 0-atom 2 at 0.3 Å"
    assert _describe_close_pairs(u.atoms, 4, np.array([0]), np.array([1]), np.array([0.5])) == ""


def test_shells_in_parallel_parts_name_the_same_atoms():
    u = shells(5, stray=0.23)
    with pytest.warns(UserWarning, match=rf"in 1 of 5 frames \(frame {FRAME}: Li 0-N {STRAY} "
                                         r"at 0.23 Å"):
        run_shells(u, backend="multiprocessing", n_workers=2)
