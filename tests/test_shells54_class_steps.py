"""The class counts of a second pass's cutoff windows, one pass over the shells.

``_cutoff_steps`` keeps, for an anion's cutoff window, the radii where the SSIP/CIP/AGG counts
change. Before, it classified every shell of the frame once per radius where a molecule of the
anion entered the window (a stacked copy of the frame's shells per radius: the work grew with
breakpoints × shells, 1.7-6.5 s per frame of 60 Li⁺); now each shell's class is known at every
radius from the two radii where it turns CIP and AGG. The steps must still give, at any radius
of the window, exactly the counts a classification at that radius gives (``_cutoff_counts``,
itself :func:`~mda_electrolyte.shell_composition.shell_classes`), for both conventions, several
anion species and every pass split (parallel parts add up).
"""

import itertools
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mda_electrolyte import SolvationShells, shell_composition, solvation
from mda_electrolyte.solvation import _CLASSES_HI, _cutoff_counts, _cutoff_steps, _CutoffSteps

sys.path.insert(0, str(Path(__file__).parent))
from shell_shapes import loose_shells  # noqa: E402


def _table(n_li, n_frames, seed, **frames):
    # one-atom molecules split into two anion species A and B, dense enough to share anions
    u = loose_shells(1.0, n_frames, seed=seed, n_li=n_li, n_background=40)
    sol = u.select_atoms("resname SOL")
    a, b = sol[sol.resindices % 2 == 0], sol[sol.resindices % 2 == 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(u.select_atoms("resname LI"), {"A": a, "B": b}, {},
                               cutoffs={"A": 5.0, "B": 5.0}).run(**frames).results.table


@pytest.fixture(scope="module")
def tables():
    return [_table(8, 3, 0), _table(20, 2, 1)]


CUTS = [{"A": 2.8, "B": 3.2}, {"A": 3.9, "B": 2.0}]
WINDOWS = [(0, 1.0, 4.9), (1, 0.5, 4.0), (0, 2.7, 2.9)]
# one window per species, as a second pass keeps them
SPLIT = WINDOWS[:2]


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
@pytest.mark.parametrize("cut", CUTS, ids=["A2.8", "A3.9"])
def test_steps_give_the_classes_counted_at_every_radius(tables, convention, cut):
    n_jumps = 0
    for table, (k, lo, hi) in itertools.product(tables, WINDOWS):
        # one window per species at a time (the steps keep one per species)
        steps = _CutoffSteps([(k, lo, hi)]).add(_cutoff_steps(table, [(k, lo, hi)], cut,
                                                              convention))
        n_jumps += sum(len(c) for c in steps.classes_at)
        # radii where a count changes (the classes' own, those of molecules entering), and
        # between them
        _, _, dist = solvation._nearest_molecules(table, k)
        inside = np.unique(dist[(dist > np.float32(lo)) & (dist <= np.float32(hi))])
        some = np.concatenate([steps.classes_at[0][0] if steps.classes_at[0] else [],
                               inside[::max(1, inside.size // 12)]]).astype(np.float32)
        radii = np.concatenate([[lo, hi], some, np.nextafter(some, np.float32(0)),
                                np.nextafter(some, np.float32(9))])
        entries = [(k, "AB"[k], 0.1, lo, float(r)) for r in radii]
        expected = _cutoff_counts(table, entries, cut, convention)
        got = steps.counts(entries)
        np.testing.assert_array_equal(got, expected)
        assert (got[:, _CLASSES_HI].sum(axis=1)
                == table.n_frames * table.layout.n_cations).all()
    assert n_jumps > 3


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
def test_steps_of_frames_add_up_to_the_whole_table(tables, convention):
    """A pass's parts (each frame alone, as a streamed or parallel run counts) give the steps
    of the whole table."""
    table = tables[0]
    whole = _CutoffSteps(SPLIT).add(_cutoff_steps(table, SPLIT, CUTS[0], convention))
    parts = [_CutoffSteps(SPLIT).add(_cutoff_steps(_table(8, 3, 0, start=f, stop=f + 1),
                                                   SPLIT, CUTS[0], convention))
             for f in range(table.n_frames)]
    split = _CutoffSteps.concatenate(parts)
    entries = [(k, "AB"[k], 0.1, lo + 0.3 * (hi - lo), hi - 0.2 * (hi - lo))
               for k, lo, hi in SPLIT]
    assert np.any(whole.counts(entries)[:, _CLASSES_HI] != whole.counts(entries)[:, 4:7])
    np.testing.assert_array_equal(split.counts(entries), whole.counts(entries))


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
def test_steps_classify_each_shell_a_bounded_number_of_times(tables, convention,
                                                             monkeypatch):
    """The work of the steps does not grow with the breakpoints of the window: at most one
    classification of the frame's shells per anion species (before: one per breakpoint)."""
    table = tables[1]
    classified = []
    original = shell_composition.shell_classes

    def counting(counts, *args, **kwargs):
        classified.append(counts.shape[0] * counts.shape[1])
        return original(counts, *args, **kwargs)

    monkeypatch.setattr(solvation, "shell_classes", counting)
    steps = _cutoff_steps(table, WINDOWS, CUTS[1], convention)
    assert sum(len(s[3]) for s in steps) > 5
    n_shells = table.n_frames * table.layout.n_cations
    assert sum(classified) <= len(WINDOWS) * n_shells
