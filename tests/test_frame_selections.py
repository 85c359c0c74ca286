"""Frame selections of the structural analyses (FrameAnalysis.run): every kind a user writes —
tuples, ranges, index arrays of any integer type, boolean masks, frames backwards or shuffled —
is either the frames it names or a named error before any frame is read; errors blocked over
consecutive frames refuse frames out of order; a check of every frame runs before a parallel
backend divides the work; a run that failed leaves no results of an earlier one behind."""

import warnings

import numpy as np
import pytest
from molecular_pair_model import MolecularPairModel
from test_structure_invariances import _liquid, _shells, _universe
from test_volume_scan import _box, _model

import mda_electrolyte as mdae
from mda_electrolyte.frame_estimates import frame_average

# 57 bins of 6 Å: no distance of the rigid test molecules (1.2, 1.6, 3.2 Å) on a bin edge
RDF = {"range": (0.0, 6.0), "nbins": 57}


@pytest.fixture(scope="module")
def correlated():
    """A liquid whose molecules drift 0.15 Å a frame: shells persist for tens of frames."""
    warnings.simplefilter("ignore", UserWarning)
    molecules, frames = _liquid(n_frames=1, n_li=8, n_an=8, n_so=20)
    rng = np.random.default_rng(1)
    current, series = list(frames[0]), []
    for _ in range(150):
        current = [m + rng.normal(scale=0.15, size=3) for m in current]
        series.append(list(current))
    return _universe(molecules, series)


def test_shuffled_frames_would_make_correlated_shells_look_independent(correlated):
    """Why the order matters: the same per-frame values, shuffled, lose their correlation, and
    the block error of a series measured too short becomes a valid, much smaller one."""
    shells = _shells(correlated).run()
    series = shells.results.timeseries["free_cation_fraction"]
    ordered = frame_average(series, 8)
    shuffled = frame_average(np.random.default_rng(2).permutation(series), 8)
    assert ordered.value == pytest.approx(shuffled.value, abs=1e-12)
    assert not ordered.valid and ordered.notes[0].startswith("too short")
    assert shuffled.stderr < ordered.stderr / 2


@pytest.mark.parametrize("store_table", [True, False])
def test_shells_refuse_frames_out_of_order_before_reading_any(correlated, store_table):
    u = correlated
    u.trajectory[7]
    shells = _shells(u, store_table=store_table)
    order = np.random.default_rng(3).permutation(u.trajectory.n_frames)
    # the first step sets the direction; the first step against it is named
    steps = np.sign(np.diff(order))
    turn = int(np.flatnonzero(steps != steps[0])[0]) + 1
    with pytest.raises(ValueError, match=f"frame {order[turn]} follows frame "
                                         f"{order[turn - 1]}.*sorted"):
        shells.run(frames=order)
    assert u.trajectory.ts.frame == 7
    assert "estimates" not in shells.results
    with pytest.raises(ValueError, match="frame 2 follows frame 5"):
        shells.run(frames=[0, 5, 2])
    # sorted, the same frames are accepted
    assert shells.run(frames=np.sort(order[:40])).n_frames == 40


@pytest.mark.parametrize("store_table", [True, False])
def test_frames_backwards_give_the_estimates_of_frames_forwards(correlated, store_table):
    n = correlated.trajectory.n_frames
    forwards = _shells(correlated, store_table=store_table).run().results.estimates
    backwards = _shells(correlated, store_table=store_table).run(
        frames=range(n - 1, -1, -1)).results.estimates
    for group in ("fractions", "coordination_numbers", "pairing", "labels"):
        assert list(forwards[group]) == list(backwards[group])
        for key, a in forwards[group].items():
            b = backwards[group][key]
            assert b.value == pytest.approx(a.value, abs=1e-12)
            np.testing.assert_allclose(b.stderr, a.stderr, rtol=1e-12, atol=1e-15)
            assert b.verdict == a.verdict


def test_analyses_with_errors_over_consecutive_frames_sort_or_refuse_a_shuffled_selection():
    """The RDF's errors are over blocks of consecutive frames: a shuffled selection (correlated
    frames looking independent) is refused by name, the sorted one gives the whole run's
    counts. The model diagnostics sort their frames into trajectory order before any error:
    a shuffled selection is the sorted one."""
    molecules, frames = _liquid(n_frames=6)
    u = _universe(molecules, frames)
    ref = mdae.IntraInterRDF(u.atoms, **RDF).run()
    with pytest.raises(ValueError, match="frames must follow the trajectory's order .* frame 5 "
                                         "follows frame 0"):
        mdae.IntraInterRDF(u.atoms, **RDF).run(frames=[4, 0, 5, 2, 1, 3])
    got = mdae.IntraInterRDF(u.atoms, **RDF).run(frames=sorted([4, 0, 5, 2, 1, 3]))
    np.testing.assert_array_equal(got.results.counts, ref.results.counts)
    assert got.results.volume == ref.results.volume
    labelled = [_box(seed=s)[0] for s in range(6)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shuffled = mdae.IntraInterErrors(labelled, _model(), reference=_model(sigma=2.4),
                                          keep_arrays=True).run(
            frames=[4, 0, 5, 2, 1, 3]).results
        ordered = mdae.IntraInterErrors(labelled, _model(), reference=_model(sigma=2.4),
                                         keep_arrays=True).run().results
    np.testing.assert_array_equal(shuffled.forces["model"]["inter"],
                                  ordered.forces["model"]["inter"])
    for c in ("total", "inter"):
        assert shuffled.rmse[c]["forces"] == ordered.rmse[c]["forces"]
    boxes = [_box(seed=s)[0] for s in range(3)]
    scan = mdae.RigidVolumeScan(boxes, _model(), scales=[0.9, 1.1]).run(frames=[2, 0, 1])
    ordered = mdae.RigidVolumeScan(boxes, _model(), scales=[0.9, 1.1]).run()
    np.testing.assert_array_equal(scan.results.frames, [0, 1, 2])
    np.testing.assert_array_equal(scan.results.inter, ordered.results.inter)


@pytest.mark.parametrize("given, frames", [
    ((0, 2, 3), [0, 2, 3]),
    (range(1, 6, 2), [1, 3, 5]),
    (np.array([0, 4], dtype=np.int32), [0, 4]),
    (np.array([1, 5], dtype=np.uint64), [1, 5]),
    ([np.int64(2), 3], [2, 3]),
    ([True, False, True, False, False, True], [0, 2, 5]),
    (np.array([False] * 5 + [True]), [5]),
    ([-1, 0], [5, 0]),
])
def test_every_way_of_writing_frame_indices_selects_those_frames(given, frames):
    molecules, traj = _liquid(n_frames=6)
    u = _universe(molecules, traj)
    got = mdae.IntraInterRDF(u.atoms, **RDF).run(frames=given)
    np.testing.assert_array_equal(got.frames, frames)
    ref = mdae.IntraInterRDF(_universe(molecules, [traj[k] for k in frames]).atoms, **RDF).run()
    np.testing.assert_array_equal(got.results.counts, ref.results.counts)


@pytest.mark.parametrize("given, message", [
    ({0, 1}, "not set"),
    ((k for k in range(3)), "not generator"),
    ("012", "not str"),
    (3, "not int"),
    ([[0, 1]], "1-D"),
    ([0.0, 1.0], "whole frame indices"),
])
def test_frames_that_are_no_frame_indices_are_named_before_any_frame_is_read(given, message):
    molecules, traj = _liquid(n_frames=4)
    u = _universe(molecules, traj)
    u.trajectory[2]
    rdf = mdae.IntraInterRDF(u.atoms, **RDF).run()
    with pytest.raises(TypeError, match=f"IntraInterRDF: frames .*{message}"):
        rdf.run(frames=given)
    assert u.trajectory.ts.frame == 2
    assert "counts" not in rdf.results
    with pytest.raises(TypeError, match=f"RigidVolumeScan: frames .*{message}"):
        mdae.RigidVolumeScan([_box()[0]], _model(), scales=[1.0]).check_frames(frames=given)


def test_a_backward_step_that_reads_no_frames_says_what_to_pass():
    """AnalysisBase slices a backward run to frame 0 with stop -1, the last frame: none."""
    molecules, traj = _liquid(n_frames=4)
    rdf = mdae.IntraInterRDF(_universe(molecules, traj).atoms, **RDF)
    with pytest.raises(ValueError, match=r"gives 0 of .*frames=range\(start, -1, step\)"):
        rdf.run(step=-1)
    assert list(rdf.run(frames=range(3, -1, -1)).frames) == [3, 2, 1, 0]


class LoggedModel(MolecularPairModel):
    """The test model, writing a character to a file on every evaluation (in any process)."""

    def __init__(self, log, **kw):
        super().__init__(**kw)
        self.log = log

    def calculate(self, *args, **kwargs):
        with open(self.log, "a") as handle:
            handle.write("x")
        return super().calculate(*args, **kwargs)


@pytest.mark.parametrize("kw", [{}, {"backend": "multiprocessing", "n_workers": 2, "n_parts": 4},
                                {"backend": "multiprocessing", "n_workers": 2, "n_parts": 2}])
def test_a_scan_checks_every_frame_before_any_worker_evaluates_one(tmp_path, kw):
    """Frame 7 of 8 overlaps at s = 0.5: refused before the first model call, also where the
    workers of a parallel run each checked only their own part (36 evaluations before)."""
    log = tmp_path / "calls"
    log.write_text("")
    boxes = [_box(seed=s)[0] for s in range(8)]
    model = LoggedModel(str(log), k=20.0, r0=1.0, epsilon=0.01, sigma=2.5, rc=5.0)
    scan = mdae.RigidVolumeScan(boxes, model, scales=[0.5, 1.0])
    with pytest.raises(ValueError, match="frame 7 scaled by s = 0.5"):
        scan.run(**kw)
    assert log.read_text() == ""
    # the frames that pass are scanned, also in parallel
    scan.run(frames=range(7), **kw)
    assert scan.results.inter.shape == (7, 2)
    assert len(log.read_text()) > 0


def test_a_failed_rerun_leaves_no_scanned_frames_of_the_earlier_run():
    boxes = [_box(seed=s)[0] for s in range(3)]
    scan = mdae.RigidVolumeScan(boxes, _model(), scales=[0.9, 1.1]).run()
    assert len(scan.scanned_frames()) == 6
    with pytest.raises(ValueError, match="outside the trajectory"):
        scan.run(frames=[5])
    with pytest.raises(ValueError, match="last run\\(\\) failed"):
        scan.scanned_frames()
    scan.run(frames=[1])
    assert [a.info["frame"] for a in scan.scanned_frames()] == [1, 1]


def _assert_same_rdf(a, b):
    assert b.n_frames == a.n_frames
    assert b.results.volume == pytest.approx(a.results.volume, rel=1e-12)
    for name in ("total", "intra", "inter", "cn_total", "cn_intra", "cn_inter"):
        for key in a.results.pairs:
            np.testing.assert_allclose(b.results[name][key], a.results[name][key], rtol=1e-12,
                                       atol=1e-12, err_msg=f"{name}{key}")
    for key, pair in a.results.estimates.items():
        for which, x in pair.items():
            y = b.results.estimates[key][which]
            np.testing.assert_equal((y.value, y.stderr, y.notes), (x.value, x.stderr, x.notes))


@pytest.mark.parametrize("kw", [{"n_parts": 2}, {"n_parts": 3}, {"n_workers": 2},
                                {"backend": "multiprocessing", "n_workers": 2, "n_parts": 3}])
def test_a_run_in_parts_normalises_by_all_its_frames(kw):
    """AnalysisBase left the last part's frame count on the analysis after a serial run in
    parts: an RDF of 3 frames in 2 parts was normalised by 1 frame and 3 summed volumes (9
    times too high)."""
    molecules, traj = _liquid(n_frames=3)
    u = _universe(molecules, traj)
    reference = mdae.IntraInterRDF(u.atoms, **RDF).run()
    got = mdae.IntraInterRDF(u.atoms, **RDF).run(**kw)
    _assert_same_rdf(reference, got)
    assert got.n_frames == 3 and got.results.volume == pytest.approx(13.0**3, rel=1e-6)


@pytest.mark.parametrize("kw, message", [
    ({"n_parts": 0}, "n_parts must be a whole number >= 1, got 0"),
    ({"n_parts": 2.5}, "n_parts must be a whole number >= 1, got 2.5"),
    ({"n_parts": True}, "n_parts must be a whole number >= 1, got True"),
    ({"backend": "multiprocessing", "n_workers": 0}, "n_workers must be a whole number"),
    ({"backend": "multiprocessing", "n_workers": 1.5}, "n_workers must be a whole number"),
])
def test_part_and_worker_counts_that_are_not_whole_numbers_are_named(kw, message):
    molecules, traj = _liquid(n_frames=3)
    u = _universe(molecules, traj)
    u.trajectory[1]
    with pytest.raises(ValueError, match=f"IntraInterRDF: {message}"):
        mdae.IntraInterRDF(u.atoms, **RDF).run(**kw)
    assert u.trajectory.ts.frame == 1
