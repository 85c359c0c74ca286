"""Active learning: candidates above the selection threshold, a stop above the second one,
farthest-point and D-optimal thinning in descriptor space."""

import itertools

import ase.io
import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.active_learning import (  # noqa: E402
    CandidateCollector,
    ExtrapolationError,
    d_optimal_selection,
    farthest_point_sampling,
    select_candidates,
)
from electrolyte_cli import main  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee"))[1]


def test_hot_md_writes_candidates_and_stops_above_the_second_threshold(tiny, tmp_path):
    import h5py

    from ase_electrolyte.md import run_md

    calc = Calculator(tiny, device="cpu")
    collector = CandidateCollector(tmp_path / "cand.extxyz", 0.05, 0.15, source="hot-md")
    collector.attach(calc)
    atoms = emt_copper(1, seed=1)[0]
    atoms.calc = calc
    traj = tmp_path / "run.h5md"
    # 3000 K melts the 4-atom cell out of the training distribution (rattled fcc at 0 K)
    with pytest.raises(ExtrapolationError, match="exceeds the stop threshold 0.15"):
        run_md(atoms, ensemble="nvt", steps=200, timestep_fs=2.0, temperature_K=3000,
               trajectory=traj, write_interval=1, progress=False, max_temperature_factor=None)
    frames = ase.io.read(tmp_path / "cand.extxyz", index=":")
    assert len(frames) == collector.n_candidates >= 2
    spreads = np.array([f.info["max_forces_std"] for f in frames])
    assert np.all(spreads > 0.05)
    assert spreads[-1] > 0.15 and np.all(spreads[:-1] <= 0.15)  # the last one stopped the run
    first = frames[0]
    assert first.info["source"] == "hot-md" and first.info["stop_threshold"] == 0.15
    assert first.info["models"].split(";") == tiny
    np.testing.assert_allclose(first.arrays["forces_std"].max(), first.info["max_forces_std"])
    assert first.calc is None  # no committee numbers pretending to be labels
    # the run recorded the spread as an observable, and only whole steps before the stop
    with h5py.File(traj, "r") as f:
        recorded = f["observables/max_forces_std/value"][:]
    assert np.all(np.isfinite(recorded)) and recorded.max() <= 0.15
    assert recorded.max() >= spreads[:-1].max() - 1e-6
    assert atoms.calc is calc and len(atoms) == 4


def test_threshold_order_and_non_committee_are_refused(tmp_path):
    with pytest.raises(ValueError, match="must be below stop_threshold"):
        CandidateCollector(tmp_path / "c.extxyz", 0.3, 0.3)
    with pytest.raises(ValueError, match=r"select_threshold \(eV/Å\) must be a finite number > 0"):
        CandidateCollector(tmp_path / "c.extxyz", -0.1, 0.3)
    collector = CandidateCollector(tmp_path / "c.extxyz", 0.1, 0.3)

    class Single:
        model = "sevennet-0"

    with pytest.raises(TypeError, match="committee"):
        collector.attach(Single())


def test_farthest_point_sampling_skips_near_duplicates():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 5)) * 10
    desc = np.repeat(centres, 5, axis=0) + 1e-3 * rng.normal(size=(20, 5))
    picked = farthest_point_sampling(desc, 4, first=7)
    assert picked[0] == 7
    assert sorted(i // 5 for i in picked) == [0, 1, 2, 3]


def _logdet(z, subset, ridge):
    k = z[subset] @ z[subset].T + ridge * np.eye(len(subset))
    return np.linalg.slogdet(k)[1] - len(subset) * np.log(ridge)


def _z(d):
    z = np.asarray(d, dtype=float) - np.mean(d, axis=0)
    return z / np.sqrt(np.mean(z.var(axis=0)))


def test_d_optimal_is_the_greedy_log_determinant_maximum():
    rng = np.random.default_rng(4)
    desc = rng.normal(size=(30, 6)) * rng.uniform(0.1, 5.0, size=6)
    z = _z(desc)
    for ridge in (0.01, 1.0):
        with pytest.warns(UserWarning, match="span only 6 directions"):
            picked, logdet = d_optimal_selection(desc, 9, ridge=ridge)  # beyond the rank
        assert len(set(picked)) == 9
        assert logdet == pytest.approx(_logdet(z, picked, ridge), rel=1e-9)
        # each pick is the best single addition to the earlier ones (checked by brute force)
        for m in range(9):
            gains = {j: _logdet(z, picked[:m] + [j], ridge) for j in range(30)
                     if j not in picked[:m]}
            assert gains[picked[m]] == pytest.approx(max(gains.values()), rel=1e-9)
    # for two picks, greedy from the largest-leverage frame is within the exhaustive optimum's
    # reach and never beaten by the farthest-point pair
    best = max(_logdet(z, list(p), 1.0) for p in itertools.combinations(range(30), 2))
    fps = farthest_point_sampling(desc, 2, first=d_optimal_selection(desc, 1)[0][0])
    assert d_optimal_selection(desc, 2, ridge=1.0)[1] <= best + 1e-9
    assert d_optimal_selection(desc, 2, ridge=1.0)[1] >= _logdet(z, fps, 1.0) - 1e-9


def test_d_optimal_spans_new_directions_where_farthest_point_does_not():
    rng = np.random.default_rng(1)
    bulk = 0.05 * rng.normal(size=(40, 3))  # near-duplicates around the mean
    far = np.array([[6.0, 0, 0], [-6.0, 0, 0], [0, 2.0, 0], [0, 0, 1.5]])
    desc = np.vstack([bulk, far])
    fps = farthest_point_sampling(desc, 3, first=40)
    dopt, _ = d_optimal_selection(desc, 3, first=40)
    assert fps[:2] == [40, 41]  # the opposite end of the same direction
    assert dopt == [40, 42, 43]  # the other two directions, the most informative frames
    # no forced start: the frame of largest leverage (largest scaled norm), then new directions
    z = _z(desc)
    free = d_optimal_selection(desc, 3)[0]
    assert free[0] == int(np.argmax((z**2).sum(axis=1))) and free[0] in (40, 41)
    assert set(free[1:]) == {42, 43}  # one frame per direction
    # clusters of near-duplicates: one frame from each
    centres = rng.normal(size=(4, 5)) * 10
    desc = np.repeat(centres, 5, axis=0) + 1e-3 * rng.normal(size=(20, 5))
    picked, _ = d_optimal_selection(desc, 4, first=7, ridge=1e-3)
    assert picked[0] == 7 and sorted(i // 5 for i in picked) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="ridge"):
        d_optimal_selection(desc, 2, ridge=0.0)
    with pytest.raises(ValueError, match="between 1"):
        d_optimal_selection(desc, 21)
    with pytest.raises(ValueError, match="method"):
        select_candidates([], 2, method="random")


@pytest.mark.parametrize("method", ["fps", "d-optimal"])
def test_select_starts_with_the_largest_spread_and_skips_duplicates(tiny, tmp_path, method):
    calc = Calculator(tiny, device="cpu")
    frames = []
    # three distinct structures, each with two near-copies
    for a in (3.0, 3.4, 3.8):
        base = emt_copper(1, a=a, seed=2)[0]
        for k in range(3):
            copy = base.copy()
            copy.positions += 1e-4 * k
            copy.calc = calc
            copy.get_potential_energy()
            copy.info["max_forces_std"] = calc.results["max_forces_std"]
            copy.calc = None
            frames.append(copy)
    path = tmp_path / "cand.extxyz"
    ase.io.write(path, frames)
    out = tmp_path / "sel.extxyz"
    assert main(["select", str(path), "-n", "3", "--model", tiny[0], "--device", "cpu",
                 "-o", str(out), "--method", method]) == 0
    selected = ase.io.read(out, index=":")
    idx = [s.info["candidate_index"] for s in selected]
    assert {s.info["selection_method"] for s in selected} == {method}
    spreads = [f.info["max_forces_std"] for f in frames]
    assert idx[0] == int(np.argmax(spreads))
    assert sorted(i // 3 for i in idx) == [0, 1, 2]


@pytest.mark.parametrize("select", [
    lambda d, n: farthest_point_sampling(d, n),
    lambda d, n: d_optimal_selection(d, n)[0],
    lambda d, n: d_optimal_selection(d, n, first=3, ridge=10.0)[0],
])
def test_no_method_picks_a_copy_of_a_picked_frame(select):
    """A pool of identical frames (or three distinct ones among copies): each method picks
    one frame per distinct descriptor and warns; D-optimal returned n copies to label."""
    rng = np.random.default_rng(2)
    distinct = rng.normal(size=(3, 4))
    for desc, expected in ((np.repeat(distinct[:1], 5, axis=0), 1),
                           (np.repeat(distinct, 3, axis=0), 3)):
        with pytest.warns(UserWarning, match=rf"only {expected} have distinct descriptors"):
            picked = select(desc, 5)
        assert len(picked) == expected
        assert len({tuple(desc[i]) for i in picked}) == expected


def test_a_negative_spread_is_refused_before_any_descriptor():
    frames = emt_copper(3, seed=1)
    for atoms in frames:
        atoms.calc = None
        atoms.info["max_forces_std"] = 0.1
    frames[2].info["max_forces_std"] = -5.0
    # model=None: the refusal comes before the model would be loaded
    with pytest.raises(ValueError, match=r"^candidates: frame 2 has max_forces_std -5, below 0"):
        select_candidates(frames, 2, model=None)


def test_exact_duplicate_frames_get_equal_descriptors(tiny):
    from ase_electrolyte.active_learning import frame_descriptors

    calc = Calculator(tiny, device="cpu")
    base = emt_copper(1, a=3.4, seed=2)[0]
    other = emt_copper(1, a=3.8, seed=2)[0]
    # the second frame repeats the first exactly: a results cache must not skip its evaluation
    desc = frame_descriptors([base, base.copy(), other, base], calc)
    assert desc.shape[0] == 4 and np.all(np.isfinite(desc))
    np.testing.assert_array_equal(desc[0], desc[1])
    np.testing.assert_array_equal(desc[0], desc[3])
    assert not np.allclose(desc[0], desc[2])
    assert select_candidates([base, base.copy(), other], 2, model=calc) is not None


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["select", str(tmp_path / "missing.extxyz"), "-n", "2"]) == 2
    err = capsys.readouterr().err
    # the message names the missing file (the CLI's own check or select_candidates')
    assert err.count("\n") == 1 and "missing.extxyz" in err and "candidates file" in err
    frames = emt_copper(1)
    frames[0].calc = None
    ase.io.write(tmp_path / "nolabels.extxyz", frames)
    assert main(["finetune", str(tmp_path / "nolabels.extxyz"), "--epochs", "1",
                 "-o", str(tmp_path / "ft")]) == 2
    assert "no energy" in capsys.readouterr().err


def _evaluation(spread):
    return {"max_forces_std": spread, "energy_std": 0.01, "forces_std": np.full(4, spread)}


def test_a_non_finite_spread_stops_like_one_above_the_threshold(tmp_path):
    # NaN compared below both thresholds: a committee member returning NaN forces passed as
    # a confident model, nothing written, max_spread unchanged
    frame = emt_copper(1)[0]
    frame.calc = None
    for spread in (float("nan"), float("inf")):
        path = tmp_path / f"{spread}.extxyz"
        collector = CandidateCollector(path, 0.1, 0.3)
        collector(frame, _evaluation(0.05))
        with pytest.raises(ExtrapolationError, match=r"spread (nan|inf) eV/Å at evaluation 1 "
                                                     "is not finite"):
            collector(frame, _evaluation(spread))
        assert collector.n_candidates == 1 and not np.isfinite(collector.max_spread)
        assert len(ase.io.read(path, index=":")) == 1


@pytest.mark.parametrize("kw,message", [
    ({"min_interval": float("nan")}, "min_interval must be a whole number >= 1, got nan"),
    ({"min_interval": float("inf")}, "min_interval must be a whole number >= 1, got inf"),
    ({"min_interval": True}, "min_interval must be a whole number >= 1, got True"),
    ({"min_interval": 0}, "min_interval must be a whole number >= 1, got 0"),
    ({"select_threshold": True}, r"select_threshold \(eV/Å\) must be a finite number > 0"),
    ({"select_threshold": "0.1"}, r"select_threshold \(eV/Å\) must be a finite number > 0"),
    ({"stop_threshold": float("nan")}, r"stop_threshold \(eV/Å\) must be a finite number > 0"),
    ({"stop_threshold": -np.inf}, r"stop_threshold \(eV/Å\) must be a finite number > 0"),
])
def test_collector_numbers_of_the_wrong_kind_are_refused_by_name(kw, message, tmp_path):
    args = {"path": tmp_path / "c.extxyz", "select_threshold": 0.1, "stop_threshold": 0.3}
    with pytest.raises(ValueError, match=message):
        CandidateCollector(**{**args, **kw})
    # an infinite stop threshold means: never stop
    assert CandidateCollector(**{**args, "stop_threshold": np.inf}).stop_threshold == np.inf


def test_collector_and_selection_paths_are_checked_before_any_work(tmp_path, monkeypatch):
    import ase_electrolyte.active_learning as al

    def no_model(*args, **kwargs):
        raise AssertionError("descriptors were computed")

    monkeypatch.setattr(al, "frame_descriptors", no_model)
    (tmp_path / "notes").write_text("a file")
    frames = emt_copper(3)
    for where, message in ((tmp_path, "is a folder"),
                           (tmp_path / "notes" / "c.extxyz", "notes is a file, not a folder")):
        with pytest.raises(ValueError, match=message):
            CandidateCollector(where, 0.1, 0.3)
        with pytest.raises(ValueError, match=f"out .*{message}"):
            select_candidates(frames, 2, out=where)
    for n in (True, float("nan"), float("inf"), 0, 1.5):
        with pytest.raises(ValueError, match=f"n must be a whole number >= 1, got {n}"):
            select_candidates(frames, n)


def test_a_failed_selection_write_keeps_the_earlier_file(tmp_path, monkeypatch):
    import ase_electrolyte.active_learning as al

    monkeypatch.setattr(al, "frame_descriptors",
                        lambda frames, *a, **k: np.arange(3 * len(frames), dtype=float)
                        .reshape(len(frames), 3) ** 1.5)
    out = tmp_path / "selected.extxyz"
    frames = emt_copper(3)
    select_candidates(frames, 2, out=out)
    before = out.read_bytes()
    real_write = ase.io.write

    def disk_full(path, images, **kw):
        real_write(path, images[:1], **kw)  # half the frames reach the disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ase.io, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        select_candidates(frames, 3, out=out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["selected.extxyz"]


@pytest.mark.parametrize("descriptors, n, picked", [
    ([[1.0, 2.0]] * 4, 3, [0]),  # all frames identical: [0, 0, 0] before
    ([[1.0, 2.0], [1.0, 2.0], [3.0, 1.0], [3.0, 1.0]], 4, [0, 2]),
    ([[0.0], [0.0], [5.0]], 3, [0, 2]),
])
def test_farthest_point_sampling_never_picks_a_frame_or_its_copy_twice(descriptors, n, picked):
    with pytest.warns(UserWarning, match=f"{n} frames asked for, but only {len(picked)} have "
                                         "distinct descriptors"):
        assert farthest_point_sampling(descriptors, n) == picked


@pytest.mark.parametrize("kw, message", [
    ({"n": float("nan")}, r"n \(between 1 and the number of frames, 3\) must be a whole number "
                          ">= 1 and <= 3, got nan"),
    ({"n": True}, "got True"),
    ({"n": 4}, "<= 3, got 4"),
    ({"n": 2, "first": 3}, r"first \(a frame index, 0 to 2\) must be a whole number >= 0 and "
                           "<= 2, got 3"),
    ({"n": 2, "first": -1}, "got -1"),
])
def test_selection_numbers_are_refused_by_name(kw, message):
    with pytest.raises(ValueError, match=message):
        farthest_point_sampling([[0.0], [1.0], [2.0]], **kw)
    if "first" not in kw:
        with pytest.raises(ValueError, match=message):
            d_optimal_selection([[0.0], [1.0], [2.0]], **kw)


def _uncovered_frames():
    """Copper frames of two sizes, a non-periodic cluster, then a gold frame in the middle."""
    from ase import Atoms
    from ase.build import bulk

    frames = emt_copper(2) + emt_copper(1, repeat=2)
    cluster = Atoms("Cu3", positions=[[0, 0, 0], [2.5, 0, 0], [0, 2.5, 0]])
    gold = bulk("Au", "fcc", a=4.08, cubic=True)
    return frames + [gold, cluster]


class _Counting:
    """Counts a calculator's evaluations (calculate calls)."""

    def __init__(self, calc):
        self.calls = 0
        inner = calc.calculate

        def calculate(*args, **kwargs):
            self.calls += 1
            return inner(*args, **kwargs)

        calc.calculate = calculate


def test_frames_the_model_cannot_evaluate_are_named_before_any_descriptor(tiny):
    from ase import Atoms

    from ase_electrolyte.active_learning import frame_descriptors

    calc = Calculator(tiny[0], device="cpu")
    counter = _Counting(calc)
    frames = _uncovered_frames()
    # an element the model does not cover failed at its frame (after those before it), as
    # the calculator's InputError naming no frame
    with pytest.raises(ValueError, match=r"frames: frame 3: the model .* does not cover "
                                         r"the element\(s\) Au"):
        select_candidates(frames, 2, model=calc)
    nan = emt_copper(1)[0]
    nan.positions[2] = np.nan
    for bad, message in ((nan, r"frames: frame 1: non-finite positions for 1 atom"),
                         (Atoms(), "frames: frame 1: Calculator needs at least one atom")):
        with pytest.raises(ValueError, match=message):
            frame_descriptors([frames[0], bad], calc)
    assert counter.calls == 0
    # frames of different sizes and periodicity, one system: one row each, size-independent
    desc = frame_descriptors(frames[:3] + frames[4:], calc)
    assert desc.shape[0] == 4 and np.isfinite(desc).all()
    # a 2×2×2 repeat of a frame has its per-element mean features
    big = frames[0].repeat(2)
    np.testing.assert_allclose(frame_descriptors([frames[0], big], calc)[1],
                               frame_descriptors([frames[0]], calc)[0], atol=1e-6)


def test_one_atoms_is_one_candidate_and_other_items_are_named(tiny, tmp_path):
    atoms = emt_copper(1)[0]
    picked = select_candidates(atoms, 3, model=tiny[0], device="cpu")
    assert len(picked) == 1 and len(picked[0]) == len(atoms)
    assert picked[0].info["candidate_index"] == 0
    with pytest.raises(TypeError, match="candidates: frame 1 is a str, not an ase.Atoms"):
        select_candidates([atoms, "b.extxyz"], 1, model="no-such-model")
    with pytest.raises(TypeError, match="candidates must be a file, an ase.Atoms or a "
                                        "sequence of ase.Atoms, not int"):
        select_candidates(3, 1, model="no-such-model")
    odd = atoms.copy()
    odd.info["max_forces_std"] = "high"
    with pytest.raises(ValueError, match=r"candidates: frame 1 has max_forces_std 'high', not "
                                         r"one number \(eV/Å\)"):
        select_candidates([atoms, odd], 1, model="no-such-model")
