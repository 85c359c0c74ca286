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


def _dense_box(n=64, edge=8.0, seed=5):
    return np.random.default_rng(seed).random((n, 3)) * edge, np.diag([edge] * 3)


@pytest.mark.parametrize("quantities", ["PSd", "Pd", "PSDd"])
@pytest.mark.parametrize("n_atoms, cutoff", [(64, 2e3), (5, 1e4), (20_000, 40.0)])
def test_a_search_beyond_the_memory_budget_is_refused_before_vesin(monkeypatch, quantities,
                                                                   n_atoms, cutoff):
    """Huge cutoffs in a dense box (the old 10⁹-pair guard let ~50 GB through, and 2.5e8
    pairs of a 40 Å cutoff on 20000 atoms, ~27 GiB, passed it): refused
    before vesin allocates, naming the cutoff, the pairs and the estimated GiB."""
    import vesin

    from ase_electrolyte import neighbour_pairs

    def no_search(*args, **kwargs):
        raise AssertionError("vesin was called")

    monkeypatch.setattr(vesin, "NeighborList", no_search)
    positions, cell = _dense_box(n_atoms, edge=8.0 if n_atoms < 1000 else 60.0)
    volume = abs(np.linalg.det(cell))
    pairs = 0.5 * n_atoms**2 * 4 / 3 * np.pi * cutoff**3 / volume
    per_pair = {"PSd": 36, "Pd": 24, "PSDd": 60}[quantities]
    gib = 3 * per_pair * pairs / 2**30
    assert gib * 2**30 > neighbour_pairs.PAIR_MEMORY_BUDGET
    with pytest.raises(ValueError) as err:
        neighbour_pairs.pairs_within(positions, cell, cutoff, quantities)
    message = str(err.value)
    assert f"pair cutoff of {cutoff:.4g} Å" in message
    assert f"~{pairs:.3g} pairs" in message
    assert f"~{gib:.3g} GiB" in message and "budget 8 GiB" in message


def test_the_pair_budget_is_in_bytes_of_the_quantities_asked_for(monkeypatch):
    """The same search fits when only pairs and distances are asked for and is refused with
    vectors and shifts (2.5 × the bytes); the 'MAX_PAIRS' of a half_pairs search follows."""
    from ase_electrolyte import neighbour_pairs

    positions, cell = _dense_box(64)
    cutoff = 6.0
    pairs = 0.5 * 64**2 * 4 / 3 * np.pi * cutoff**3 / 8.0**3  # ~3600
    monkeypatch.setattr(neighbour_pairs, "PAIR_MEMORY_BUDGET", int(3 * 30 * pairs))
    found, d = neighbour_pairs.pairs_within(positions, cell, cutoff, "Pd")  # 24 B/pair
    assert len(found) > 0.5 * pairs and d.max() < cutoff
    with pytest.raises(ValueError, match=r"GiB at the search's peak"):
        neighbour_pairs.pairs_within(positions, cell, cutoff, "PSDd")  # 60 B/pair
    with pytest.raises(ValueError, match=r"GiB at the search's peak"):
        neighbour_pairs.half_pairs(positions, cell, cutoff)  # 36 B/pair
    assert neighbour_pairs.MAX_PAIRS == 2**33 // (3 * 36)


def test_the_budget_counts_the_wider_search_of_an_elongated_cell(monkeypatch):
    """On a cell vesin cannot index at the cutoff the search runs at a wider radius: its
    pairs are what is allocated, and the message says so."""
    from ase_electrolyte import neighbour_pairs

    cell = np.diag([8.0, 8.0, 1e6])
    radius = search_cutoff(cell, 8.0)
    assert radius > 8.0
    positions = _positions([8.0, 8.0, 1e6])
    at_cutoff = neighbour_pairs._pair_search_bytes(12, cell, 8.0, "PSd")
    at_radius = neighbour_pairs._pair_search_bytes(12, cell, radius, "PSd")
    monkeypatch.setattr(neighbour_pairs, "PAIR_MEMORY_BUDGET", 0.5 * (at_cutoff + at_radius))
    with pytest.raises(ValueError, match=rf"searched within {radius:.4g} Å, a wider radius"):
        neighbour_pairs.half_pairs(positions, cell, 8.0)
