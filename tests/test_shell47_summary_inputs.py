"""summarize / summary_results refuse inputs they cannot use, by name.

Before: ``summarize(..., network_species=["XX"])`` (or ``"EC"`` as a string, or ``["ec"]``
for ``"EC"``) was Python's "'XX' is not in list"; angle edges of 0–90° put every Oc–M–Oc angle
(109°) into the last bin, a density at 85° without a word, reversed or NaN edges binned them at
random and one edge was numpy's "'list' argument must have no negative elements";
``summary_results`` of a ShellTable was an ``AttributeError``.
"""

import warnings

import numpy as np
import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_composition import shell_members
from mda_electrolyte.shell_summary import summarize, summary_results

CUTOFFS = {"EC": 2.6, "PF6": 2.6}
EDGES = np.linspace(0.0, 180.0, 91)


@pytest.fixture(scope="module")
def table():
    u = build(
        [
            ((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
            ((15, 15, 15), [("EC", None, "Oc")] * 4),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SolvationShells(*groups(u), cutoffs=CUTOFFS).run().results.table


@pytest.mark.parametrize(
    "network,error,fragment",
    [
        (["XX"], ValueError, "network_species names unknown species 'XX'; known: ['EC', 'PF6']"),
        ("EC", TypeError, "not the string 'EC'"),
    ],
)
def test_unknown_network_species_are_named(table, network, error, fragment):
    with pytest.raises(error) as err:
        summarize(table, shell_members(table, CUTOFFS), "anion_count", network, EDGES)
    assert fragment in str(err.value)


def test_network_species_in_another_spelling_are_the_species(table):
    members = shell_members(table, CUTOFFS)
    exact = summary_results(summarize(table, members, "anion_count", ["PF6"], EDGES))
    spelt = summary_results(summarize(table, members, "anion_count", [" pf6 "], EDGES))
    assert spelt["network_sizes"] == exact["network_sizes"] == {1: 1.0}


@pytest.mark.parametrize(
    "edges,fragment",
    [
        (np.linspace(0.0, 90.0, 10), "not 10 edges from 0 to 90"),
        (EDGES[::-1], "not 91 edges from 180 to 0"),
        ([0.0], "not 1 edges"),
        ([0.0, np.nan, 180.0], "some not finite"),
        (np.linspace(10.0, 180.0, 10), "from 10 to 180"),
        (np.zeros((2, 3)), "not 6 edges"),
    ],
)
def test_angle_edges_that_do_not_cover_0_to_180_are_refused(table, edges, fragment):
    with pytest.raises(ValueError, match="angle_edges must be increasing finite bin edges") as err:
        summarize(table, shell_members(table, CUTOFFS), "anion_count", ["EC"], edges)
    assert fragment in str(err.value)


def test_edges_wider_than_0_to_180_and_coarse_edges_are_taken(table):
    members = shell_members(table, CUTOFFS)
    wide = summary_results(
        summarize(table, members, "anion_count", ["EC"], np.linspace(-10.0, 190.0, 21))
    )
    angles = wide["angles"]["Oc-M-Oc"]
    # tetrahedral shells: every Oc–M–Oc angle is 109.47°, in the bin 100–110°
    assert angles["bins"][np.argmax(angles["density"])] == pytest.approx(105.0)
    assert angles["mean"] == pytest.approx(109.4712, abs=1e-3)


def test_summary_results_of_a_table_says_what_to_call(table):
    with pytest.raises(TypeError, match="summary must be a ShellSummary.*shell_results"):
        summary_results(table)


def test_summarize_of_members_beyond_the_table_is_refused(table):
    members = shell_members(table, CUTOFFS)
    members.cation = members.cation + 7
    with pytest.raises(ValueError, match="members are not of this table: their cation 8"):
        summarize(table, members, "anion_count", ["EC"], EDGES)
