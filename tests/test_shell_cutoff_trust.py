"""The shells' numbers are no more trustworthy than the cutoffs they were counted with: a cutoff
taken from an RDF first minimum that is not valid (shallow, not significant, a small sample)
makes every headline Estimate of SolvationShells not valid, with the reason, in every way of
running it; a valid minimum, a given cutoff and a preset leave them as they are."""

import warnings

import numpy as np
import pytest
from shell_shapes import loose_shells

import mda_electrolyte as mdae
from ase_electrolyte.estimate import Estimate
from mda_electrolyte.solvation import _with_cutoff_errors

DOUBT = "counted with shell cutoffs from RDF first minima that are not valid: 'SOL' at"


def _loose_shells(first, n_frames=120, n_background=400, seed=0, box=20.0):
    """8 Li on a 10 Å grid in loose shells of one-atom solvent (shell_shapes.loose_shells): a
    first shell as loose as ``first`` makes it (relative depth 0.32 of the first minimum for
    ``first=1``, 0.6 for 2)."""
    return loose_shells(first, n_frames, seed=seed, n_background=n_background, box=box)


def _shells(u, **kw):
    kw = {"rdf_range": (0.0, 7.0), "rdf_nbins": 70, **kw}
    return mdae.SolvationShells(u.select_atoms("resname LI"), {},
                                {"SOL": u.select_atoms("resname SOL")}, **kw)


def _estimates(tree):
    if isinstance(tree, Estimate):
        yield tree
    elif isinstance(tree, dict):
        for value in tree.values():
            yield from _estimates(value)


@pytest.fixture(scope="module")
def loose():
    warnings.simplefilter("ignore", UserWarning)
    u = _loose_shells(first=1.0)
    shells = _shells(u).run()
    return u, shells


def test_a_shallow_minimum_makes_every_number_of_the_shells_not_valid(loose):
    u, shells = loose
    cutoff = shells.results.cutoff_estimates["SOL"]
    assert shells.results.cutoff_source["SOL"] == "rdf_minimum"
    assert not cutoff.valid and "shallow first minimum" in cutoff.verdict
    # the same cutoff, given: the numbers as the frames alone judge them (the coordination
    # number was called valid, 7.99 ± 0.13, its error blind to where the shell ends)
    given = _shells(u, cutoffs={"SOL": cutoff.value}).run().results
    assert given.estimates["coordination_numbers"]["SOL"].valid
    # the classes and free fractions count anions alone (none here: SSIPs by definition), so
    # the solvent's cutoff does not bound them (tests/test_shells54_cutoff_reach.py)
    anion_only = ("fractions", "free_cation_fraction", "free_ion_fraction")
    for key in anion_only:
        assert shells.results.estimates[key] == given.estimates[key]
    marked = list(_estimates({k: v for k, v in shells.results.estimates.items()
                              if k not in anion_only}))
    # the coordination number also carries the cutoff's own error (tests/
    # test_shell_cutoff_cn_error.py); everything else is the frames' alone
    expected_tree = {k: v for k, v in given.estimates.items() if k not in anion_only}
    expected_tree["coordination_numbers"] = _with_cutoff_errors(
        given.estimates["coordination_numbers"], shells.results.cutoff_cn_errors)
    assert shells.results.cutoff_cn_errors["SOL"][1] > 0
    plain = list(_estimates(expected_tree))
    assert len(marked) == len(plain) > 10
    for got, expected in zip(marked, plain, strict=True):
        assert not got.valid
        assert got.notes[:-1] == expected.notes and got.notes[-1].startswith(DOUBT)
        assert "shallow first minimum" in got.notes[-1]
        assert got.value == expected.value
        np.testing.assert_equal(got.stderr, expected.stderr)  # NaN where there is none


@pytest.mark.parametrize("how", [{"store_table": False}, {"n_parts": 3},
                                 {"backend": "multiprocessing", "n_workers": 2}])
def test_every_way_of_running_marks_them_alike(loose, how):
    u, shells = loose
    kw = dict(how)
    if kw.pop("store_table", True) is False:
        # streamed shells need the cutoffs before the pass: given, they are the caller's
        got = _shells(u, cutoffs=shells.results.cutoffs, store_table=False).run().results
        assert got.estimates["coordination_numbers"]["SOL"].valid
        return
    got = _shells(u).run(**kw).results
    for a, b in zip(_estimates(shells.results.estimates), _estimates(got.estimates),
                    strict=True):
        assert (a.value, a.notes, a.converged) == (b.value, b.notes, b.converged)
        np.testing.assert_allclose(b.stderr, a.stderr, rtol=1e-12)


def test_a_deep_minimum_leaves_the_numbers_to_the_frames():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        shells = _shells(_loose_shells(first=2.0)).run()
    assert shells.results.cutoff_estimates["SOL"].valid
    assert shells.results.estimates["coordination_numbers"]["SOL"].valid
    for estimate in _estimates(shells.results.estimates):
        assert not any(note.startswith(DOUBT[:30]) for note in estimate.notes)
