"""What a shell cutoff's doubt or source reaches: exactly the numbers it bounds.

Before: one doubtful cutoff (an RDF first minimum, or a cutoff given as a measured Estimate,
that is not valid) marked every shell Estimate not valid, also the coordination number and
pairing of a species counted within its own sound cutoff, and the SSIP/CIP/AGG and free ion
fractions where only a solvent's cutoff was doubtful. The preset used where an RDF has no
first minimum (``no_minimum="preset"``) read "4.2 ± 0 Å, not valid" (neither a setting nor a
result) while the shells counted within it stayed valid without a word of it.

A species' coordination number and pairing depend on its own cutoff alone; the classes and
free fractions on the anions' cutoffs alone; labels, networks, total coordination numbers and
angles on every cutoff.
"""

import warnings

import numpy as np
import pytest
from test_solvation import build, groups

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import SolvationShells
from mda_electrolyte.solvation import shell_results

DOUBT = "counted with shell cutoffs given as measured Estimates that are not valid"
PRESET = "counted within preset shell cutoffs where the RDF showed no first minimum"
# the estimates each species' cutoff bounds (per-species keys hold the species' own entry)
OWN = ("coordination_numbers", "pairing")
ANION_ONLY = ("fractions", "free_cation_fraction", "free_ion_fraction")
EVERY = ("labels", "network_sizes", "cn_distribution_total", "ssip_fraction_in_networks")


def _universe(jitter=0.15):
    # 16 Li⁺ with 3 or 4 EC and some a PF6, jittered (Å) over 6 frames
    shells = [((5 + 10 * i, 5 + 10 * j, 5),
               [("EC", None, "Oc")] * (3 + (i + j) % 2) + [("PF6", None)] * ((i * j) % 2))
              for i in range(4) for j in range(4)]
    u = build(shells)
    rng = np.random.default_rng(0)
    pos = u.atoms.positions
    frames = np.array([pos + rng.normal(0, jitter, pos.shape) for _ in range(6)]) % 40.0
    u.load_new(frames.astype(np.float32), dimensions=u.dimensions)
    return u


@pytest.fixture(scope="module")
def universe():
    return _universe()


@pytest.fixture(scope="module")
def table(universe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        run = SolvationShells(*groups(universe), cutoffs={"EC": 2.6, "PF6": 4.2}).run()
    return run.results.table


def _doubtful(value):
    return Estimate(value, 0.05, "Å", "first minimum of another run", 40, converged=False,
                    notes=("from a small sample",))


def _estimates(tree):
    if isinstance(tree, Estimate):
        yield tree
    elif isinstance(tree, dict):
        for value in tree.values():
            yield from _estimates(value)


def _has(est, text):
    return any(text in note for note in est.notes)


def _check_reach(results, doubtful, other, is_anion, text, invalid=True):
    est = results["estimates"]
    for key in OWN:
        assert _has(est[key][doubtful], text), (key, doubtful)
        if invalid:
            assert not est[key][doubtful].valid
        assert not _has(est[key][other], text), (key, other)
    for key in ANION_ONLY:
        for got in _estimates(est[key]):
            assert _has(got, text) == is_anion, key
    for key in EVERY:
        assert all(_has(got, text) for got in _estimates(est[key])), key
    angles = [v["estimate"] for v in results["angles"].values()]
    assert angles and all(_has(got, text) for got in angles)


@pytest.mark.parametrize("doubtful,other,is_anion", [("EC", "PF6", False),
                                                     ("PF6", "EC", True)])
def test_a_doubtful_measured_cutoff_reaches_what_it_bounds(table, doubtful, other,
                                                           is_anion):
    cutoffs = {"EC": 2.6, "PF6": 4.2}
    cutoffs[doubtful] = _doubtful(cutoffs[doubtful])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = shell_results(table, cutoffs)
    _check_reach(out, doubtful, other, is_anion, DOUBT)


@pytest.mark.parametrize("store_table", [True, False])
@pytest.mark.parametrize("doubtful,other,is_anion", [("EC", "PF6", False),
                                                     ("PF6", "EC", True)])
def test_a_run_given_a_doubtful_cutoff_marks_what_it_bounds(universe, store_table, doubtful,
                                                            other, is_anion):
    cutoffs = {"EC": 2.6, "PF6": 4.2}
    cutoffs[doubtful] = _doubtful(cutoffs[doubtful])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = SolvationShells(*groups(universe), cutoffs=cutoffs,
                              store_table=store_table).run().results
    _check_reach(res, doubtful, other, is_anion, DOUBT)


def test_a_preset_fallback_is_a_given_value_its_shells_name(universe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = SolvationShells(*groups(universe), no_minimum="preset",
                              max_cutoff=4.5).run().results
    assert res.cutoff_source == {"EC": "rdf_minimum", "PF6": "preset_fallback"}
    preset = res.cutoff_estimates["PF6"]
    # a setting with its source, not a result with a verdict of its own
    assert preset.given and preset.value == 4.2 and preset.stderr == 0.0
    assert "Ju et al. (2025)" in preset.method and "no first minimum" in preset.method
    # the shells it bounds say so, and the note alone does not make them not valid
    _check_reach(res, "PF6", "EC", True, PRESET, invalid=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = SolvationShells(*groups(universe), cutoffs=res.cutoffs).run().results
    for key in OWN + ANION_ONLY + EVERY:
        for got, expected in zip(_estimates(res.estimates[key]),
                                 _estimates(plain.estimates[key]), strict=True):
            assert got.valid == expected.valid, key


def test_a_preset_fallback_passed_on_is_no_doubtful_measurement(universe):
    """``cutoffs=results.cutoff_estimates`` of a run with a preset fallback (the documented way
    to count a long trajectory with cutoffs found on part of it): the preset read as a measured
    cutoff that is not valid, and every number of the second run was marked not valid."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        first = SolvationShells(*groups(universe), no_minimum="preset",
                                max_cutoff=4.5).run().results
        again = SolvationShells(*groups(universe), cutoffs=first.cutoff_estimates,
                                store_table=False).run().results
    assert again.cutoff_estimates["PF6"].given
    for got in _estimates(again.estimates):
        assert not _has(got, "not valid: 'PF6'"), got.notes


@pytest.mark.parametrize("network", [["PF6"], ["EC"], None])
def test_networks_take_the_doubt_of_the_species_that_join_them(table, network):
    """Network sizes count cations joined by shared molecules of ``network_species``; SSIPs in
    networks those and the anions: a doubtful solvent cutoff reaches them only where the
    solvent joins networks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = shell_results(table, {"EC": _doubtful(2.6), "PF6": 4.2},
                            network_species=network)
    reached = network is None or "EC" in network
    est = out["estimates"]
    for key in ("network_sizes", "ssip_fraction_in_networks"):
        got = list(_estimates(est[key]))
        assert got and all(_has(e, DOUBT) == reached for e in got), key
    # the labels count every species, whatever joins the networks
    assert all(_has(e, DOUBT) for e in _estimates(est["labels"]))
