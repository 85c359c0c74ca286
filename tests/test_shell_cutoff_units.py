"""Shell cutoffs in nm are refused wherever shells are counted, before any counting.

Before: SolvationShells refused a cutoff of 0.26 (nm for Li–O), but shell_results, which
re-derives every result from a stored table, took 0.28/0.26/0.24 on bn_fec and reported
100 % SSIP and coordination numbers of 0, as if measured. Both now use one check.
"""

import warnings

import numpy as np
import pytest

from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_composition import MIN_SHELL_CUTOFF, check_shell_cutoff
from mda_electrolyte.solvation import shell_results
from tests.test_solvation import CUTOFFS, build, groups

SHELLS = [((5, 5, 5), [("EC", None, "Oc"), ("PF6",)]),
          ((20, 20, 20), [("EC", None, "Oc"), ("EC", None, "Oc")])]


@pytest.fixture(scope="module")
def table():
    return SolvationShells(*groups(build(SHELLS)), cutoffs=CUTOFFS).run().results.table


@pytest.mark.parametrize("unit_slip", [{"EC": 0.23, "PF6": 2.3}, {"EC": 2.3, "PF6": 0.23},
                                       {"EC": 0.999, "PF6": 0.999}])
def test_a_cutoff_in_nm_is_refused_by_every_entry(table, unit_slip):
    short = min(unit_slip, key=unit_slip.get)
    with pytest.raises(ValueError, match=f"cutoff of '{short}' = .* is it in nm"):
        shell_results(table, unit_slip)
    with pytest.raises(ValueError, match=f"cutoff of '{short}' = .* is it in nm"):
        SolvationShells(*groups(build(SHELLS)), cutoffs=unit_slip)


def test_the_shortest_cutoff_taken_counts_what_its_distance_holds(table):
    # 1 Å is taken (no ligand that close: empty shells, measured); 2.3 Å holds every ligand
    assert check_shell_cutoff("EC", MIN_SHELL_CUTOFF) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        empty = shell_results(table, {"EC": 1.0, "PF6": 1.0})
        full = shell_results(table, CUTOFFS)
    assert empty["coordination_numbers"] == {"EC": 0.0, "PF6": 0.0}
    assert full["coordination_numbers"] == {"EC": 1.5, "PF6": 0.5}
    assert full["fractions"] == pytest.approx({"SSIP": 0.5, "CIP": 0.5, "AGG": 0.0})
    for bad in (np.nan, -2.0, 0.0, "2.3", True):
        with pytest.raises(ValueError, match="cutoffs\\['EC'\\]"):
            shell_results(table, {"EC": bad, "PF6": 2.3})
