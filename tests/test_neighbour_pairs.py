"""Neighbour pairs through vesin on cells its cell list cannot index (SIGFPE before the guard)."""

import itertools
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ase_electrolyte.neighbour_pairs import VESIN_MAX_CELLS, search_cutoff

# elongated cells whose rescaled cell list had a direction of zero cells, and ordinary ones
CASES = [
    ([8.0, 8.0, 1e6], 8.0),
    ([4.0, 4.0, 1e6], 4.0),
    ([8.0, 16.0, 1e6], 8.0),
    ([1e6, 8.0, 8.0], 8.0),
    ([8.0, 1e7, 8.0], 4.0),
    ([16.0, 16.0, 1e6], 8.0),  # rescaled by vesin without a zero
    ([20.0, 20.0, 20.0], 6.0),
]


def brute_force_pairs(positions, cell, cutoff):
    """Each pair within ``cutoff`` once, over enough images of an orthorhombic ``cell``."""
    lengths = np.diag(cell)
    reach = [int(np.ceil(cutoff / L)) for L in lengths]
    found = set()
    for shift in itertools.product(*(range(-r, r + 1) for r in reach)):
        shift = np.array(shift)
        d = positions[None, :, :] - positions[:, None, :] + shift @ cell
        for i, j in zip(*np.nonzero(np.linalg.norm(d, axis=-1) < cutoff), strict=True):
            if i == j and not shift.any():
                continue
            key = (i, j, *shift) if (i, j, *shift) < (j, i, *(-shift)) else (j, i, *(-shift))
            found.add(tuple(int(x) for x in key))
    return found


def _pairs_in_subprocess(lengths, cutoff, code):
    """Run ``code`` in a fresh interpreter: a SIGFPE there fails the test, not the test run."""
    script = textwrap.dedent(f"""
        import json, numpy as np
        lengths, cutoff = {list(lengths)!r}, {cutoff!r}
        cell = np.diag(lengths)
        rng = np.random.default_rng(7)
        positions = rng.random((12, 3)) * np.minimum(lengths, 12.0)
    """) + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.splitlines()[-1])


def _positions(lengths):
    rng = np.random.default_rng(7)
    return rng.random((12, 3)) * np.minimum(lengths, 12.0)


@pytest.mark.parametrize("lengths,cutoff", CASES)
def test_half_pairs_equal_brute_force(lengths, cutoff):
    got = _pairs_in_subprocess(lengths, cutoff, """
        from ase_electrolyte.neighbour_pairs import half_pairs
        i, j, s = half_pairs(positions, cell, cutoff)
        keys = []
        for a, b, sh in zip(i.tolist(), j.tolist(), s.tolist()):
            sh = tuple(sh)
            neg = tuple(-x for x in sh)
            keys.append(min((a, b, *sh), (b, a, *neg)))
        print(json.dumps(sorted(keys)))
    """)
    cell = np.diag(lengths)
    expected = brute_force_pairs(_positions(lengths), cell, cutoff)
    assert {tuple(k) for k in got} == expected and len(got) == len(expected)


@pytest.mark.parametrize("lengths,cutoff", CASES)
def test_rdf_pair_distances_equal_brute_force(lengths, cutoff):
    got = _pairs_in_subprocess(lengths, cutoff, """
        from vesin import NeighborList
        from mda_electrolyte.rdf import _pair_distances
        box = np.array([*lengths, 90.0, 90.0, 90.0])
        pairs, dist = _pair_distances(NeighborList(cutoff=cutoff, full_list=False), positions, box)
        print(json.dumps(sorted(np.round(dist, 9).tolist())))
    """)
    cell = np.diag(lengths)
    positions = _positions(lengths)
    expected = sorted(
        round(float(np.linalg.norm(positions[j] - positions[i] + np.array(s) @ cell)), 9)
        for i, j, *s in brute_force_pairs(positions, cell, cutoff)
    )
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_search_cutoff_is_the_cutoff_unless_vesin_would_fail():
    assert search_cutoff(np.diag([20.0, 20.0, 20.0]), 6.0) == 6.0
    assert search_cutoff(np.diag([16.0, 16.0, 1e6]), 8.0) == 8.0  # vesin rescales, no zero
    wider = search_cutoff(np.diag([8.0, 8.0, 1e6]), 8.0)
    assert wider > 8.0 and 1e6 / wider <= VESIN_MAX_CELLS


def test_elongated_cell_in_electrostatics_and_rdf(tmp_path):
    """The two callers on the cell that killed the process: a finite energy, an RDF."""
    out = _pairs_in_subprocess([8.0, 8.0, 1e6], 8.0, """
        from ase import Atoms
        from ase_electrolyte.electrostatics import Electrostatics
        atoms = Atoms("NaCl", positions=[[1, 1, 1], [3.5, 1, 1]], cell=cell, pbc=True)
        atoms.calc = Electrostatics(scheme="fixed", charges=[1.0, -1.0], method="ewald",
                                    cutoff=8.0)
        print(json.dumps(float(atoms.get_potential_energy())))
    """)
    assert np.isfinite(out) and out < 0


def _bad_pair_searches():
    cell = np.diag([5.0, 5.0, 5.0])
    positions = np.random.default_rng(0).random((5, 3)) * 5.0
    return [
        (positions + 1e17, cell, 3.0, "beyond 1e\\+08 Å"),  # spacing 16 Å: wrong pairs
        (positions + 2e8, cell, 3.0, "beyond 1e\\+08 Å"),
        (np.where(np.eye(5, 3) == 1, np.nan, positions), cell, 3.0, "non-finite"),
        (positions, np.diag([5.0, np.inf, 5.0]), 3.0, "non-finite"),
        (positions, np.diag([5.0, 5.0, 0.0]), 3.0, "degenerate"),  # was ZeroDivisionError
        (positions, [[5.0, 0, 0], [5.0, 1e-12, 0], [0, 0, 5.0]], 3.0, "degenerate"),
        (positions, np.diag([5.0, 5.0, 2e8]), 3.0, "cell has entries beyond"),
        (positions, cell[:2], 3.0, "shape \\(3, 3\\)"),
        (positions[:, :2], cell, 3.0, "shape \\(n, 3\\)"),
        (positions, cell, 0.0, "cutoff must be a finite number > 0"),  # ZeroDivisionError
        (positions, cell, -1.0, "cutoff must be a finite number > 0"),  # vesin RuntimeError
        (positions, cell, np.nan, "cutoff must be a finite number > 0"),
        (positions, cell, np.inf, "cutoff must be a finite number > 0"),
        (positions, cell, 1e4, "4.19e\\+11 pairs"),  # ran until killed
    ]


@pytest.mark.parametrize("positions, cell, cutoff, match", _bad_pair_searches())
def test_a_bad_pair_search_is_refused_before_vesin(positions, cell, cutoff, match):
    from ase_electrolyte.neighbour_pairs import half_pairs, pairs_within

    with pytest.raises(ValueError, match=match):
        half_pairs(positions, cell, cutoff)
    with pytest.raises(ValueError, match=match):
        pairs_within(positions, cell, cutoff, "Pd")


@pytest.mark.parametrize("offset", [1e4, 1e6, 1e7, 9e7])
def test_pairs_far_from_the_origin_are_those_near_it(offset):
    from ase_electrolyte.neighbour_pairs import half_pairs

    cell = np.array([[9.0, 0.0, 0.0], [2.0, 8.0, 0.0], [-1.0, 1.5, 10.0]])
    positions = np.random.default_rng(3).random((20, 3)) * 9.0

    def keyed(i, j, shifts):
        return sorted(min((a, b, *s), (b, a, *(-np.array(s)))) for a, b, s in
                      zip(i.tolist(), j.tolist(), shifts.tolist(), strict=True))

    near = keyed(*half_pairs(positions, cell, 6.0))
    # the far copy sits a whole number of cells away: its pairs carry the same shifts
    lattice = np.round(np.array([1.0, -0.6, 0.3]) * offset / 9.0) @ cell
    far = keyed(*half_pairs(positions + lattice, cell, 6.0))
    assert far == near and len(near) > 100
