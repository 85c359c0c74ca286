"""Whole-molecule functions on molecules of thousands of atoms: bounded memory, same result.

``make_whole`` and ``check_whole`` without bonds enumerated every pair of each molecule's
atoms: two polymer chains of 20 000 atoms asked for 4·10⁸ pairs (some 16 GB) before anything
was checked. Above :data:`~mda_electrolyte.molecules.MAX_INTRAMOLECULAR_PAIRS` they search
the pairs within a contact distance instead; the results are those of every pair.
"""

import numpy as np
import pytest

from mda_electrolyte import molecules
from mda_electrolyte.molecules import check_whole, make_whole


def _chains(n_per_chain, n_chains=2, bond=1.5, box_x=None):
    """Zig-zag carbon chains along x, cut by the box faces (wrapped), each its own molecule."""
    box_x = box_x or n_per_chain * 1.3 + 40.0
    k = np.arange(n_per_chain)
    parts = []
    for c in range(n_chains):
        x = 0.6 * box_x + k * bond * np.cos(np.radians(30))
        y = 5.0 + 8.0 * c + 0.75 * (k % 2)
        parts.append(np.stack([x, y, np.full_like(x, 5.0 + 3.0 * c)], axis=1))
    positions = np.concatenate(parts)
    cell = np.diag([box_x, 10.0 + 8.0 * n_chains, 12.0])
    wrapped = positions - np.floor(positions / np.diag(cell)) * np.diag(cell)
    ids = np.repeat(np.arange(n_chains), n_per_chain)
    return wrapped, ids, cell, positions


def _chain_is_whole(whole, ids):
    for j in np.unique(ids):
        chain = whole[ids == j]
        steps = np.linalg.norm(np.diff(chain, axis=0), axis=1)
        assert np.allclose(steps, steps[0]) and steps[0] < 1.6


def test_large_molecules_are_made_whole_without_enumerating_every_pair(monkeypatch):
    wrapped, ids, cell, unwrapped = _chains(2600)
    assert np.any(np.abs(np.diff(wrapped[:, 0])) > 100.0)  # cut by the face
    assert molecules._many_pairs(ids)

    def refuse(_ids):
        raise AssertionError("every pair of a large molecule was enumerated")

    monkeypatch.setattr(molecules, "_intramolecular_pairs", refuse)
    whole = make_whole(wrapped, ids, cell)
    _chain_is_whole(whole, ids)
    # the first atom keeps its place: the chains are the unwrapped ones, shifted by lattice
    # vectors
    shift = (whole - unwrapped) / np.diag(cell)
    assert np.allclose(shift, np.round(shift)) and np.allclose(shift, shift[ids * 2600])
    check_whole(whole, ids, cell, np.full(len(ids), 6))
    check_whole(whole, ids, cell)


def test_the_contact_search_gives_what_every_pair_gives(monkeypatch):
    wrapped, ids, cell, _ = _chains(400, n_chains=3)
    assert not molecules._many_pairs(ids)
    every = make_whole(wrapped, ids, cell)
    monkeypatch.setattr(molecules, "MAX_INTRAMOLECULAR_PAIRS", 1000)
    assert molecules._many_pairs(ids)
    assert np.array_equal(make_whole(wrapped, ids, cell), every)
    check_whole(every, ids, cell, np.full(len(ids), 6))
    # a chain broken in the middle: refused as by the every-pair test
    broken = every.copy()
    broken[ids == 1] += np.where(np.arange(400) >= 200, 5.0, 0.0)[:, None] * [0, 0, 1]
    for limit in (1000, 10**9):
        monkeypatch.setattr(molecules, "MAX_INTRAMOLECULAR_PAIRS", limit)
        with pytest.raises(ValueError, match="molecule 1 cannot be made whole: its atoms form "
                                             "2 separate"):
            check_whole(broken, ids, cell, np.full(len(ids), 6))


def test_a_large_molecule_whose_contacts_do_not_join_it_is_refused(monkeypatch):
    wrapped, ids, cell, _ = _chains(400, n_chains=2)
    ids = ids.copy()
    ids[:] = 0  # the two chains, 8 Å apart, as one molecule
    monkeypatch.setattr(molecules, "MAX_INTRAMOLECULAR_PAIRS", 1000)
    with pytest.raises(ValueError, match="do not connect molecule 0.*CONTACT_CUTOFF"):
        make_whole(wrapped, ids, cell)
