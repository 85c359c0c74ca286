"""A shell cutoff's own error is carried into the coordination number counted with it.

A cutoff from an RDF first minimum (e.g. 2.8 ± 0.1 Å) moves the number of molecules within it
by the slope of the running count: δCN = δ · (CN(r_c + δ) − CN(r_c − δ)) / 2δ, added in
quadrature to the block error over frames. Before, the coordination number's error was the
frames' alone whatever the cutoff's error. Checked against a brute-force count of the
positions, for growth with the cutoff's error, for molecules of several atoms (the nearest
atom counts, once), and that given cutoffs add nothing.
"""

import dataclasses
import warnings

import numpy as np
import pytest
from MDAnalysis.lib.distances import distance_array
from shell_shapes import loose_shells

import mda_electrolyte as mdae
from mda_electrolyte.solvation import cutoff_cn_errors

BOX = 20.0


def _shells_universe(n_frames=60, n_background=400, atoms_per_molecule=1, seed=0):
    """8 Li on a 10 Å grid, each with Poisson(2) solvent molecules at 2.0 ± 0.15 Å and
    Poisson(3) at 4.0 ± 0.15 Å, the rest uniform: a deep first minimum near 2.9 Å. A molecule
    of several atoms has the others 1.2 Å further out from the Li."""
    return loose_shells(2.0, n_frames, seed=seed, n_background=n_background, box=BOX,
                        element="Ar", atoms_per_molecule=atoms_per_molecule)


def _run(u, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return mdae.SolvationShells(u.select_atoms("resname LI"), {},
                                    {"SOL": u.select_atoms("resname SOL")},
                                    rdf_range=(0.0, 7.0), rdf_nbins=70, **kw).run()


def _brute_cn(u, r, atoms_per_molecule=1):
    """Mean number of SOL molecules with an atom within r of a Li, per Li and frame."""
    li, sol = u.select_atoms("resname LI"), u.select_atoms("resname SOL")
    total = 0
    for _ in u.trajectory:
        d = distance_array(li.positions, sol.positions, box=u.dimensions)
        near = (d.astype(np.float32) <= np.float32(r)).reshape(
            len(li), -1, atoms_per_molecule).any(axis=2)
        total += near.sum()
    return total / (len(li) * u.trajectory.n_frames)


@pytest.fixture(scope="module")
def deep():
    u = _shells_universe()
    return u, _run(u)


def test_the_cn_error_is_the_running_count_over_the_cutoff_error(deep):
    u, shells = deep
    res = shells.results
    assert res.cutoff_source["SOL"] == "rdf_minimum"
    cut = res.cutoff_estimates["SOL"]
    assert cut.valid and 2.6 < cut.value < 3.3 and cut.stderr > 0
    delta, d_cn = res.cutoff_cn_errors["SOL"]
    # the cutoff's scatter over runs, not its Estimate's wider reach of a flat trough
    # (tests/test_struct23_cn_calibration.py)
    assert delta == res.cutoff_details["SOL"]["cutoff_spread"]
    assert 0 < delta <= cut.stderr
    expected = 0.5 * (_brute_cn(u, cut.value + delta) - _brute_cn(u, cut.value - delta))
    assert d_cn == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # the uniform background alone: 4π r² ρ δ at the cutoff (ρ ≈ 608 / 20³ per Å³)
    assert d_cn == pytest.approx(4 * np.pi * cut.value**2 * 608 / BOX**3 * delta, rel=0.35)
    # the count at the cutoff itself is the analysis' coordination number
    assert res.coordination_numbers["SOL"] == pytest.approx(_brute_cn(u, cut.value), rel=1e-9)


def test_the_cn_error_adds_the_cutoff_error_in_quadrature(deep):
    u, shells = deep
    frames_only = _run(u, cutoffs={"SOL": shells.results.cutoffs["SOL"]}).results
    plain = frames_only.estimates["coordination_numbers"]["SOL"]
    carried = shells.results.estimates["coordination_numbers"]["SOL"]
    _, d_cn = shells.results.cutoff_cn_errors["SOL"]
    assert carried.value == plain.value and carried.converged == plain.converged
    assert carried.stderr == pytest.approx(np.hypot(plain.stderr, d_cn), rel=1e-12)
    assert carried.stderr > plain.stderr
    assert "shell cutoff's scatter" in carried.method
    # a given cutoff is exact: nothing carried
    assert frames_only.cutoff_cn_errors == {}


def test_the_cn_error_grows_with_the_cutoff_error(deep):
    _, shells = deep
    res = shells.results
    previous = 0.0
    for delta in (0.02, 0.05, 0.1, 0.2, 0.4):
        estimates = {"SOL": dataclasses.replace(res.cutoff_estimates["SOL"], stderr=delta)}
        _, d_cn = cutoff_cn_errors(res.table, res.cutoffs, estimates, res.cutoff_source)["SOL"]
        assert d_cn > previous
        previous = d_cn
    # a cutoff error reaching past the collection radius is held within it
    estimates = {"SOL": dataclasses.replace(res.cutoff_estimates["SOL"], stderr=50.0)}
    _, d_cn = cutoff_cn_errors(res.table, res.cutoffs, estimates, res.cutoff_source)["SOL"]
    assert np.isfinite(d_cn) and d_cn > 0


def test_molecules_of_several_atoms_count_once_by_their_nearest_atom():
    u = _shells_universe(n_frames=20, n_background=200, atoms_per_molecule=3, seed=3)
    shells = _run(u)
    res = shells.results
    cut = res.cutoffs["SOL"]
    delta, d_cn = res.cutoff_cn_errors["SOL"]
    # (the atoms of a molecule fill the minimum: it lies near 5.8 ± 0.5 Å, and r_c + δ is
    # held at the collection radius, 6 Å)
    lo, hi = cut - delta, min(cut + delta, res.table.radius)
    expected = (_brute_cn(u, hi, 3) - _brute_cn(u, lo, 3)) / (hi - lo) * delta
    assert d_cn == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # counted by atoms, the same shells would give a larger slope (each molecule 3 times)
    by_atoms = (_brute_cn(u, hi, 1) - _brute_cn(u, lo, 1)) / (hi - lo) * delta
    assert by_atoms > d_cn


def test_parallel_runs_carry_the_same_error(deep):
    u, shells = deep
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        other = mdae.SolvationShells(u.select_atoms("resname LI"), {},
                                     {"SOL": u.select_atoms("resname SOL")},
                                     rdf_range=(0.0, 7.0), rdf_nbins=70).run(
                                         backend="multiprocessing", n_workers=2)
    a = shells.results.estimates["coordination_numbers"]["SOL"]
    b = other.results.estimates["coordination_numbers"]["SOL"]
    assert (a.value, a.method) == (b.value, b.method)
    assert b.stderr == pytest.approx(a.stderr, rel=1e-12)


def test_intra_inter_rdf_carries_the_cutoff_error_into_its_first_shell_count(deep):
    u, _ = deep
    pair = ("resname LI", "resname SOL")
    rdf = mdae.IntraInterRDF(u.atoms, pairs=[pair], range=(1.0, 7.0), nbins=120).run()
    est = rdf.results.estimates[pair]
    cut = est["first_minimum"]
    cn = est["cn_first_shell"]
    assert cut.valid and cn.valid
    # its error: the block error of the count ⊕ δ·dCN/dr, dCN/dr from the brute-force count
    slope = (_brute_cn(u, cut.value + cut.stderr) - _brute_cn(u, cut.value - cut.stderr)) / (
        2 * cut.stderr)
    # every pair within the cutoff (those closer than the range's start at 1 Å too: before,
    # they were left out), interpolated within its bin (0.05 Å): a brute-force count to within
    # the slope over a bin
    expected = _brute_cn(u, cut.value)
    assert _brute_cn(u, 1.0) > 0.05
    assert cn.value == pytest.approx(expected, abs=0.5 * slope * 0.05)
    assert "the cutoff's scatter" in cn.method
    d_cn = float(cn.method.rsplit("±", 1)[1].rstrip(")"))
    # δ is the cutoff's scatter over runs (rdf.results.shell[pair]["cutoff_spread"])
    delta = rdf.results.shell[pair]["cutoff_spread"]
    assert 0 < delta <= cut.stderr
    slope = (_brute_cn(u, cut.value + delta) - _brute_cn(u, cut.value - delta)) / (2 * delta)
    assert d_cn == pytest.approx(slope * delta, rel=0.05)
    assert cn.stderr >= d_cn


def test_intra_inter_rdf_first_shell_count_without_blocks_or_minimum_is_not_valid(deep):
    u, _ = deep
    pair = ("resname LI", "resname SOL")
    few = mdae.IntraInterRDF(u.atoms, pairs=[pair], range=(1.0, 7.0), nbins=120).run(stop=3)
    cn = few.results.estimates[pair]["cn_first_shell"]
    assert not cn.valid and cn.verdict.startswith("too few frames: 3")
    # a range that starts inside the first shell has no minimum of its own
    inside = mdae.IntraInterRDF(u.atoms, pairs=[pair], range=(2.2, 7.0), nbins=96).run()
    cn = inside.results.estimates[pair]["cn_first_shell"]
    assert not cn.valid and "inside a shell" in cn.verdict
