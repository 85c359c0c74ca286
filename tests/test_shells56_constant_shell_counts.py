"""SolvationShells counts the independent frames behind a searched cutoff from a series that
changes: the coordination number where it changes often enough, else the pairs within the RDF
range.

Before, a coordination number that never changed (four waters on every Li⁺ in each of 60
independent configurations) read the frames as one: the cutoff was "too short: 1.0 independent
segments of frames" (2.62 ± 0.19 Å), where IntraInterRDF of the same frames gave a valid
2.62 ± 0.12 Å; one that changed twice read its statistical inefficiency from two steps. Frames
that are one configuration repeated still count as one.
"""

import warnings

import numpy as np
import pytest
from shell_shapes import bound_shells

from mda_electrolyte import IntraInterRDF, SolvationShells, solvation

BOX = 18.0
#: 27 Li⁺ 6 Å apart: no cation's waters come near another's
GRID = np.array([[x, y, z] for x in (0, 6, 12) for y in (0, 6, 12) for z in (0, 6, 12)], float)


def _rigid_shells(n_configs, repeat=1, seed=0, n_free=150):
    """Every Li⁺ holds four water O (one molecule each) at N(2.0, 0.1) Å, the free O lie
    beyond 3.3 Å of every Li⁺: a coordination number of 4 in every frame. ``n_configs``
    independent configurations (the lattice shifted and jittered), each held ``repeat``
    frames."""
    return bound_shells(n_configs, repeat, seed, n_free=n_free, box=BOX, lattice=GRID, gap=3.3,
                        spare=20)


def _run(u, **run_kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = SolvationShells(u.select_atoms("element Li"), {}, {"W": u.select_atoms("element O")},
                            rdf_range=(0.0, 6.0), rdf_nbins=60).run(**run_kwargs)
    return s.results


def _rdf_minimum(u):
    rdf = IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=60).run()
    return rdf.results.estimates[("Li", "O")]["first_minimum"]


@pytest.fixture(params=["table", "second pass"])
def path(request, monkeypatch):
    if request.param == "second pass":
        # the table dropped after its first frames: the shells come from a second pass
        monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    return request.param


@pytest.mark.parametrize("seed", [0, 1])
def test_independent_frames_of_a_constant_shell_count_keep_the_rdfs_cutoff(seed, path):
    u = _rigid_shells(60, seed=seed)
    res = _run(u)
    # the shells never changed: that is what made the frames read as one
    assert np.ptp(res.timeseries["coordination_numbers"]["W"]) == 0
    est, detail = res.cutoff_estimates["W"], res.cutoff_details["W"]
    rdf = _rdf_minimum(u)
    assert est.valid, est.verdict
    assert rdf.valid
    assert est.value == pytest.approx(rdf.value)
    assert est.stderr == pytest.approx(rdf.stderr, rel=0.3)
    assert detail["inefficiency"] is None or detail["inefficiency"] < 2.0


@pytest.mark.parametrize("n_frames", [40, 60])
def test_one_configuration_repeated_is_still_one_frame(n_frames, path):
    res = _run(_rigid_shells(1, repeat=n_frames))
    est, detail = res.cutoff_estimates["W"], res.cutoff_details["W"]
    assert not est.valid
    assert "1.0 independent segments" in est.verdict, est.verdict
    assert detail["inefficiency"] == pytest.approx(n_frames)


@pytest.mark.parametrize(("seed", "repeat"), [(0, 3), (1, 4)])
def test_held_configurations_count_as_the_configurations(seed, repeat, path):
    """20 configurations each held ``repeat`` frames: about 20 independent frames, read from
    the pairs within the RDF range (the shell count changes at most a few times)."""
    res = _run(_rigid_shells(20, repeat=repeat, seed=seed))
    detail = res.cutoff_details["W"]
    assert 0.7 * repeat < detail["inefficiency"] < 2.0 * repeat, detail["inefficiency"]
    assert "pairs of the cation–W RDF within its range" in detail["note"]
    assert not res.cutoff_estimates["W"].valid


def test_parallel_workers_join_the_pairs_in_frame_order(path):
    # held configurations: the pairs' series is read in frame order, its g measured
    u = _rigid_shells(20, repeat=3, seed=2)
    serial = _run(u)
    parallel = _run(u, backend="multiprocessing", n_workers=2)
    assert parallel.cutoff_details["W"]["inefficiency"] == serial.cutoff_details["W"][
        "inefficiency"]
    assert str(parallel.cutoff_estimates["W"]) == str(serial.cutoff_estimates["W"])
