"""Shell classes without anion species: SSIP by definition, said so, not "no exchange sampled".

With ``anions={}`` every shell is an SSIP: the SSIP/CIP/AGG fractions (1, 0, 0), the free cation
fraction and the free ion fraction (1) are no measurement. Their Estimates were not valid as
"no fluctuation: the value is 1 in all N frames (no exchange sampled)", which tells the user to
run longer for a number no run can change; now the reason names the missing anion species.
A run with anions that never enter a shell keeps the fluctuation verdict (it is measured).
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mda_electrolyte import SolvationShells
from mda_electrolyte.solvation import shell_results

sys.path.insert(0, str(Path(__file__).parent))
from test_struct29_solvation_analysis_cases import _cell  # noqa: E402

_KEYS = ("free_cation_fraction", "free_ion_fraction")


def _run(u, anions, **kwargs):
    li = u.select_atoms("element Li")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(li, anions, {"DME": u.select_atoms("resname DME")},
                               **kwargs).run().results


def _check_by_definition(res):
    assert res.fractions == {"SSIP": 1.0, "CIP": 0.0, "AGG": 0.0}
    ests = [*res.estimates["fractions"].values(), *(res.estimates[k] for k in _KEYS)]
    for est in ests:
        assert not est.valid and np.isnan(est.stderr)
        assert "no anion species given" in est.verdict
        assert "no exchange sampled" not in est.verdict
    assert res.estimates["fractions"]["SSIP"].value == 1.0
    assert res.estimates["free_ion_fraction"].value == pytest.approx(1.0)


@pytest.mark.parametrize("store_table", [True, False])
@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
def test_no_anion_species_is_ssip_by_definition(convention, store_table):
    res = _run(_cell(seed=4, n_frames=8), {}, cutoffs={"DME": 2.6}, convention=convention,
               store_table=store_table)
    _check_by_definition(res)
    # the shells themselves are measured: the coordination number keeps its own verdict
    assert "no anion species" not in res.estimates["coordination_numbers"]["DME"].verdict


def test_cutoff_from_the_rdf_and_rederived_table():
    res = _run(_cell(seed=5, n_frames=8), {})
    assert res.cutoff_source == {"DME": "rdf_minimum"}
    _check_by_definition(res)
    _check_by_definition(type(res)(shell_results(res.table, res.cutoffs)))


def test_anions_outside_every_shell_are_measured():
    u = _cell(seed=4, n_frames=8)
    res = _run(u, {"BF4": u.select_atoms("resname BF4 and element B")},
               cutoffs={"DME": 2.6, "BF4": 1.0})
    est = res.estimates["fractions"]["SSIP"]
    assert res.fractions["SSIP"] == 1.0
    assert "no exchange sampled" in est.verdict
    assert "no anion species" not in est.verdict
