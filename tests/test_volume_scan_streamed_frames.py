"""Scanned frames streamed to a file (``keep_frames=<path>``) and the isolated-molecule cache bound.

Kept in memory, a scan's frames took ~100 bytes per atom of every frame and scale; streamed,
one analysed frame's scan at a time. The file must hold the same frames and labels as the
in-memory scan, in frame order under every backend, and a run that fails must leave an
earlier file as it was and no part files behind.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte import RigidVolumeScan  # noqa: E402
from mda_electrolyte.model_labels import (  # noqa: E402
    MAX_CACHED_ATOMS,
    IsolatedMoleculeEvaluator,
)

FRAMES = [_frame(seed=s) for s in range(4)]
SCALES = [1.0, 1.1, 1.3]


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.info == y.info
        np.testing.assert_allclose(x.positions, y.positions, rtol=0, atol=1e-7)
        np.testing.assert_allclose(x.cell.array, y.cell.array, rtol=0, atol=1e-7)
        assert x.get_potential_energy() == pytest.approx(y.get_potential_energy(), abs=1e-7)
        np.testing.assert_allclose(x.get_forces(), y.get_forces(), rtol=1e-7, atol=1e-7)
        np.testing.assert_allclose(x.get_stress(), y.get_stress(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("run", [{}, {"backend": "multiprocessing", "n_workers": 2},
                                 {"n_parts": 3}])
def test_streamed_frames_are_the_kept_frames_in_order(tmp_path, run):
    kw = {"scales": SCALES, "reference": MolecularPairModel(sigma=2.4)}
    kept = RigidVolumeScan(FRAMES, MolecularPairModel(), **kw).run()
    path = tmp_path / "scan.extxyz"
    streamed = RigidVolumeScan(FRAMES, MolecularPairModel(), keep_frames=str(path), **kw)
    streamed.run(**run)
    assert [p.name for p in tmp_path.iterdir()] == ["scan.extxyz"]  # no part files left
    for labels in ("model", "reference"):
        _same(streamed.scanned_frames(labels), kept.scanned_frames(labels))
    np.testing.assert_array_equal(streamed.results.total, kept.results.total)
    # the file alone is training data: the model's labels as ASE reads them
    from ase.io import read
    frames = read(path, index=":")
    assert [(a.info["frame"], a.info["scale"]) for a in frames] == \
        [(f, s) for f in range(4) for s in SCALES]


def test_a_failed_run_leaves_the_earlier_file_and_no_parts(tmp_path):
    path = tmp_path / "scan.extxyz"
    scan = RigidVolumeScan(FRAMES, MolecularPairModel(), scales=SCALES, keep_frames=path)
    scan.run()
    before = path.read_bytes()

    class Failing(MolecularPairModel):
        def calculate(self, atoms=None, *args, **kwargs):
            if abs(atoms.cell.array[0, 0] - 1.3 * FRAMES[2].cell.array[0, 0]) < 1e-9:
                raise RuntimeError("the model failed")
            super().calculate(atoms, *args, **kwargs)

    failing = RigidVolumeScan(FRAMES, Failing(), scales=SCALES, keep_frames=path)
    with pytest.raises(RuntimeError, match="the model failed"):
        failing.run()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["scan.extxyz"]
    with pytest.raises(ValueError, match="run"):
        failing.scanned_frames()


def test_a_path_that_cannot_be_written_is_refused_before_any_evaluation(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        RigidVolumeScan(FRAMES, MolecularPairModel(), keep_frames=tmp_path / "no" / "x.extxyz")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        RigidVolumeScan(FRAMES, MolecularPairModel(), keep_frames=tmp_path)


def test_the_isolated_molecule_cache_is_bounded_and_gives_the_same_numbers():
    from mda_electrolyte.molecules import isolated_molecules

    molecules = [m for atoms in FRAMES
                 for m in isolated_molecules(atoms, atoms.arrays["molecule_index"])]
    n_atoms = [len(m) for m in molecules]
    unbounded = IsolatedMoleculeEvaluator(MolecularPairModel())
    unbounded.max_cached_atoms = 10**9
    bounded = IsolatedMoleculeEvaluator(MolecularPairModel())
    bounded.max_cached_atoms = 10
    for k in range(0, len(molecules), 4):
        e1, f1 = unbounded.evaluate(molecules[k:k + 4])
        e2, f2 = bounded.evaluate(molecules[k:k + 4])
        np.testing.assert_array_equal(e1, e2)
        for a, b in zip(f1, f2, strict=True):
            np.testing.assert_array_equal(a, b)
        assert bounded._cached_atoms <= max(10, sum(n_atoms[k:k + 4]))
    assert len(unbounded._cache) == len(molecules)
    # a repeated geometry still comes from the cache while it is held
    before = bounded.n_evaluated
    bounded.evaluate(molecules[-1:])
    assert bounded.n_evaluated == before
    assert IsolatedMoleculeEvaluator(MolecularPairModel()).max_cached_atoms == MAX_CACHED_ATOMS


@pytest.mark.parametrize("flag", ["no", "False", "frames", 1])
def test_a_mistyped_flag_is_no_path(flag, tmp_path, monkeypatch):
    from ase_electrolyte.atoms_checks import FlagError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(FlagError):
        RigidVolumeScan(FRAMES, MolecularPairModel(), keep_frames=flag)
    assert list(tmp_path.iterdir()) == []
