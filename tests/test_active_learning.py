"""Active learning: candidates above the selection threshold, a stop above the second one,
farthest-point thinning in descriptor space."""

import ase.io
import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.active_learning import (  # noqa: E402
    CandidateCollector,
    ExtrapolationError,
    farthest_point_sampling,
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
    with pytest.raises(ValueError, match="positive"):
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


def test_select_starts_with_the_largest_spread_and_skips_duplicates(tiny, tmp_path):
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
                 "-o", str(out)]) == 0
    selected = ase.io.read(out, index=":")
    idx = [s.info["candidate_index"] for s in selected]
    spreads = [f.info["max_forces_std"] for f in frames]
    assert idx[0] == int(np.argmax(spreads))
    assert sorted(i // 3 for i in idx) == [0, 1, 2]


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["select", str(tmp_path / "missing.extxyz"), "-n", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no candidates file" in err
    frames = emt_copper(1)
    frames[0].calc = None
    ase.io.write(tmp_path / "nolabels.extxyz", frames)
    assert main(["finetune", str(tmp_path / "nolabels.extxyz"), "--epochs", "1",
                 "-o", str(tmp_path / "ft")]) == 2
    assert "no energy" in capsys.readouterr().err
