"""SolvationShells' docstring states the units its results carry.

Before: ``results.angles[...]["estimate"]`` was documented as unit ``"1"`` while the Estimate
carries ``"°"`` (the mean angle in degrees).
"""

import re
import warnings

import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells


@pytest.fixture(scope="module")
def results():
    u = build(
        [
            ((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
            ((15, 15, 15), [("EC", None, "Oc")] * 4),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SolvationShells(*groups(u), cutoffs={"EC": 2.6, "PF6": 2.6}).run().results


def _entry(name):
    doc = SolvationShells.__doc__
    start = doc.index(f"    {name} :")
    end = doc.index("\n    results.", start + 1)
    return doc[start:end]


@pytest.mark.parametrize("kind", ["Oc-M-Oc", "M-Oc-Cc"])
def test_the_mean_angle_unit_documented_is_the_one_carried(results, kind):
    entry = _entry("results.angles")
    stated = re.findall(r'unit ``"([^"]+)"``', entry)
    assert stated == [results.angles[kind]["estimate"].unit] == ["°"]


def test_shares_and_counts_are_dimensionless_and_cutoffs_in_angstrom(results):
    est = results.estimates
    assert {e.unit for e in est["fractions"].values()} == {"1"}
    assert {e.unit for e in est["coordination_numbers"].values()} == {"1"}
    assert {e.unit for e in results.cutoff_estimates.values()} == {"Å"}
    assert "in Å" in _entry("results.cutoffs")
