"""A shell cutoff's own error is carried into the shares of shells counted with it.

SSIP/CIP/AGG fractions (and the free cation fraction) move with the anion's cutoff, the
pairing of a species with its own; before, their errors were the frames' alone while the
coordination numbers already carried the cutoff's. Now ``δX = δ · (X(r_c + δ) − X(r_c − δ)) /
2δ`` is added in quadrature. Checked against the public derivation of a stored table
(:func:`shell_results` at the shifted cutoffs, after a save and load), against a run with the
same cutoffs given (the block error alone), for both conventions, and that given cutoffs add
nothing.
"""

import dataclasses
import warnings

import numpy as np
import pytest
from test_shell_cutoff_cn_error import _shells_universe

import mda_electrolyte as mdae
from mda_electrolyte.shell_composition import CLASSES
from mda_electrolyte.shell_table import ShellTable
from mda_electrolyte.solvation import cutoff_share_errors, shell_results


def _universe():
    # every third molecule of the shells' fixture is an anion (one atom, Cl)
    u = _shells_universe(n_frames=40, seed=3)
    resnames = np.array(u.residues.resnames, dtype=object)
    sol = np.flatnonzero(resnames == "SOL")
    resnames[sol[::3]] = "AN"
    u.residues.resnames = resnames
    elements = np.array(u.atoms.elements, dtype=object)
    elements[np.isin(u.atoms.resindices, sol[::3])] = "Cl"
    u.atoms.elements = elements
    return u


def _run(u, convention="anion_count", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return mdae.SolvationShells(u.select_atoms("resname LI"),
                                    {"AN": u.select_atoms("resname AN")},
                                    {"SOL": u.select_atoms("resname SOL")},
                                    convention=convention, rdf_range=(0.0, 7.0), rdf_nbins=70,
                                    **kw).run()


@pytest.fixture(scope="module")
def universe():
    return _universe()


@pytest.fixture(scope="module", params=["anion_count", "bridging"])
def shells(request, universe):
    return _run(universe, convention=request.param)


def _shares(table, cutoffs, convention):
    out = shell_results(table, cutoffs, convention=convention)
    return out["fractions"], out["free_cation_fraction"], out["pairing"]


def test_share_errors_are_the_stored_tables_shares_over_the_cutoff_error(shells, tmp_path):
    results = shells.results
    assert results.cutoff_source == {"AN": "rdf_minimum", "SOL": "rdf_minimum"}
    # the reference: the public derivation of the table, saved and loaded, at r_c ± δ
    path = tmp_path / "table.npz"
    results.table.save(path)
    table = ShellTable.load(path)
    convention = results.convention
    errors = results.cutoff_share_errors
    assert set(errors) == {"AN", "SOL"}
    for name in ("AN", "SOL"):
        # the cutoff's scatter over runs, at most its Estimate's error
        delta = results.cutoff_details[name]["cutoff_spread"]
        assert errors[name]["delta"] == delta > 0
        assert delta <= results.cutoff_estimates[name].stderr
        lo = max(results.cutoffs[name] - delta, 0.0)
        hi = min(results.cutoffs[name] + delta, table.radius)
        f_lo, free_lo, pair_lo = _shares(table, {**results.cutoffs, name: lo}, convention)
        f_hi, free_hi, pair_hi = _shares(table, {**results.cutoffs, name: hi}, convention)
        scale = delta / (hi - lo)
        assert errors[name]["pairing"] == pytest.approx(
            abs(pair_hi[name] - pair_lo[name]) * scale, rel=1e-12, abs=1e-15)
        if name == "AN":
            for c in CLASSES:
                assert errors[name]["fractions"][c] == pytest.approx(
                    abs(f_hi[c] - f_lo[c]) * scale, rel=1e-12, abs=1e-15)
            assert errors[name]["free_cation_fraction"] == pytest.approx(
                abs(free_hi - free_lo) * scale, rel=1e-12, abs=1e-15)
            # an anion within a broadened cutoff moves shells between the classes
            assert errors[name]["fractions"]["SSIP"] > 0
        else:
            # a solvent's cutoff does not move the classes
            assert "fractions" not in errors[name]


def test_fraction_errors_add_the_cutoff_error_in_quadrature(shells, universe):
    results = shells.results
    # the same cutoffs given: exact, the block error alone
    given = _run(universe, convention=results.convention, cutoffs=dict(results.cutoffs))
    assert given.results.cutoff_share_errors == {}
    errors = results.cutoff_share_errors
    for c in CLASSES:
        est, base = results.estimates["fractions"][c], given.results.estimates["fractions"][c]
        assert est.value == base.value
        assert est.stderr == pytest.approx(np.hypot(base.stderr, errors["AN"]["fractions"][c]),
                                           rel=1e-12)
    est = results.estimates["free_cation_fraction"]
    base = given.results.estimates["free_cation_fraction"]
    assert est.stderr == pytest.approx(
        np.hypot(base.stderr, errors["AN"]["free_cation_fraction"]), rel=1e-12)
    assert est.stderr > base.stderr
    assert "shell cutoffs' scatter" in est.method
    for name in ("AN", "SOL"):
        est, base = results.estimates["pairing"][name], given.results.estimates["pairing"][name]
        # (a species in every shell of every frame has no block error: NaN, not valid)
        assert est.stderr == pytest.approx(np.hypot(base.stderr, errors[name]["pairing"]),
                                           rel=1e-12, nan_ok=True)


def test_share_errors_grow_with_the_cutoff_error(shells):
    results = shells.results
    previous = -1.0
    for delta in (0.02, 0.1, 0.3, 0.6):
        estimates = dict(results.cutoff_estimates)
        estimates["AN"] = dataclasses.replace(estimates["AN"], stderr=delta)
        errors = cutoff_share_errors(results.table, results.cutoffs, estimates,
                                     results.cutoff_source, results.convention)
        moved = errors["AN"]["fractions"]["SSIP"]
        assert moved >= previous
        previous = moved
    # a cutoff known to within 0.6 Å over this shell structure moves a visible share of shells
    assert previous > 0.01


def test_fractions_at_the_cutoffs_equal_the_results(shells):
    # the shares are recounted the way the results count them: no error term at δ = 0 Å, and
    # an invalid convention is refused
    results = shells.results
    estimates = {n: dataclasses.replace(e, stderr=0.0)
                 for n, e in results.cutoff_estimates.items()}
    assert cutoff_share_errors(results.table, results.cutoffs, estimates,
                               results.cutoff_source, results.convention) == {}
    with pytest.raises(ValueError, match="convention"):
        cutoff_share_errors(results.table, results.cutoffs, results.cutoff_estimates,
                            results.cutoff_source, "mdgo")
