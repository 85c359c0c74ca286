"""Shell cutoffs given by the caller or taken from a preset are settings, not results.

``ShellCutoff.estimate`` made a given or preset cutoff ``Estimate(2.6, 0.0, "Å", "given: ...")``.
Since reports tell given numbers by their flag (``Estimate.given``) and no longer by a method
text beginning "given", such a cutoff read "2.6 ± 0 Å (valid)": a result measured without
error, in ``results.cutoff_estimates`` and the analyze report's "cutoffs". Now it is made by
``Estimate.given_value`` and reads "2.6 Å (given)"; a cutoff found from an RDF minimum stays a
measurement, and a given one that a warning doubts stays not valid with it.
"""

import warnings

import pytest
from test_solvation import build, groups

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_cutoffs import ShellCutoff


def _shells(**options):
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
               ((25, 25, 25), [("EC", None, "Oc")] * 4)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(*groups(u), **options).run().results


def _is_given(estimate, value):
    assert estimate.given and estimate.value == value
    assert estimate.valid and estimate.stderr == 0.0
    assert str(estimate) == f"{value:g} Å (given)"
    assert "±" not in str(estimate)
    # written and read back, it stays given
    assert Estimate.from_dict(estimate.to_dict()).given


@pytest.mark.parametrize("cutoffs", [{"EC": 2.6, "PF6": 3.0}, {"EC": 2.45, "PF6": 2.9},
                                     {"EC": 3.1, "PF6": 3.3}])
def test_cutoffs_given_by_the_caller_read_as_given(cutoffs):
    res = _shells(cutoffs=cutoffs)
    assert res.cutoff_source == {"EC": "given", "PF6": "given"}
    for name, value in cutoffs.items():
        _is_given(res.cutoff_estimates[name], value)
    # the shells counted with them: three EC and the anion around the first Li, four EC
    # around the second
    assert res.coordination_numbers["EC"] == pytest.approx(3.5)


def test_preset_donor_atom_cutoffs_read_as_given_with_their_source():
    res = _shells(cutoff_convention="donor_atoms")
    assert res.cutoff_source == {"EC": "preset", "PF6": "preset"}
    for name, value in {"EC": 2.6, "PF6": 4.2}.items():
        estimate = res.cutoff_estimates[name]
        _is_given(estimate, value)
        assert "Ju et al. (2025)" in estimate.method


@pytest.mark.parametrize("method", ["given", "preset"])
def test_a_given_cutoff_doubted_by_a_warning_stays_not_valid(method):
    # overlapping atoms within a given cutoff make it not valid: that verdict is kept
    doubted = ShellCutoff(cutoff=2.6, method=method, warnings=["3 pairs closer than 0.5 Å"],
                          note="given by the caller")
    estimate = doubted.estimate()
    assert not estimate.valid and "closer than 0.5" in estimate.verdict
    assert not estimate.given


@pytest.mark.parametrize("method, note", [("given", "given by the caller"),
                                          ("preset", "Ju et al. (2025) donor-atom cutoff")])
def test_shell_cutoff_estimate_of_a_setting_is_given(method, note):
    estimate = ShellCutoff(cutoff=2.6, method=method, note=note).estimate()
    _is_given(estimate, 2.6)


def test_a_cutoff_found_from_the_rdf_stays_a_measurement():
    found = ShellCutoff(cutoff=2.71, method="rdf_first_minimum", smoothing=0.2, n_pairs=900,
                        cutoff_err=0.04)
    estimate = found.estimate()
    assert not estimate.given and estimate.stderr == pytest.approx(0.04)
    assert "±" in str(estimate)
