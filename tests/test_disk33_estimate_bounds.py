"""The disk check's estimate of the stage files is an upper bound of what run_protocol writes.

The estimate was 72 B per atom and frame plus 512 B per frame and 256 B per sample: a tiny box's
stage files (~0.6 MB each, almost all HDF5 layout: ~100 datasets with their headers, chunk
indices and first 256-row chunks) were 2 to 330 times it, so a run passed the check and then
filled the disk. The estimate now counts each file's fixed part and the series in whole chunks.

The boxes, stage lengths and frame intervals differ from the calibration's (see
``electrolyte_cli/simulate.py``): 38 atoms with three charged species (Li, PF6, FSI: the
``charge_current`` allowance), 20 atoms crossing the 256-frame chunk in an NPT production, and a
296-atom box.
"""

import argparse
import warnings

import pytest
from ase.calculators.lj import LennardJones

import electrolyte_cli.simulate as simulate

STAGES = ("relaxed", "preequilibration", "equilibration", "production")

# counts, stage lengths (ps), frame interval (fs), production ensemble
CASES = {
    # 271 production samples: the second 256-row chunk of every per-sample series
    "three_ions": ({"Li": 2, "PF6": 1, "FSI": 1, "EC": 2}, (0.02, 0.01, 0.27), 3.0, "nvt"),
    # 261 frames: the second chunk of every per-frame series, with the NPT integrator's series
    "npt_frames": ({"Li": 1, "PF6": 1, "DMC": 1}, (0.0, 0.0, 0.26), 1.0, "npt"),
    # the particle data two thirds of the production file (0.87 of 1.35 MB)
    "particles": ({"Li": 2, "PF6": 2, "EC": 28}, (0.0, 0.01, 0.04), 1.0, "nvt"),
}


def _protocol(lengths, write_interval_fs, ensemble):
    pre, eq, prod = lengths
    return argparse.Namespace(preequilibration_ps=pre, equilibration_ps=eq, production_ps=prod,
                              write_interval_fs=write_interval_fs, ensemble=ensemble)


@pytest.fixture(scope="module", params=sorted(CASES))
def written(request, tmp_path_factory):
    """(molecule counts, atoms in the box, protocol settings, {stage: bytes written}) of one
    run_protocol."""
    pytest.importorskip("rdkit")
    from ase_electrolyte.build import electrolyte_box
    from ase_electrolyte.md import run_protocol

    counts, lengths, write_interval_fs, ensemble = CASES[request.param]
    box = electrolyte_box(counts=counts, density=1.0, seed=0)
    out = tmp_path_factory.mktemp(request.param)
    pre, eq, prod = lengths
    with warnings.catch_warnings():
        # stages of a few dozen steps: their estimates are refused as too short, said by warnings
        warnings.simplefilter("ignore")
        result = run_protocol(box, LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True),
                              out, temperature_K=300, preequilibration_ps=pre,
                              equilibration_ps=eq, production_ps=prod,
                              production_ensemble=ensemble,
                              write_interval_fs=write_interval_fs, progress=False)
    sizes = {stage: path.stat().st_size for stage, path in result.files.items()}
    return counts, len(box), _protocol(lengths, write_interval_fs, ensemble), sizes


def test_each_stage_file_fits_its_estimate(written):
    counts, _, args, sizes = written
    estimate = simulate.trajectory_bytes(counts, args)
    assert set(sizes) == {stage for stage in STAGES if estimate[stage]}
    for stage, size in sizes.items():
        assert size <= estimate[stage], (stage, size, estimate[stage])
        # what it asks beyond the file does not grow with the atoms: the margins of its fixed
        # parts (48 KiB a file, 3 KiB a dataset) and of the chunk indices; measured 0.03 to
        # 0.12 MB, 1.01x to 1.18x the files here (under 3 MB)
        assert estimate[stage] - size <= 0.15e6, (stage, size, estimate[stage])


def test_a_disk_one_byte_short_of_the_written_files_is_refused(written, tmp_path, monkeypatch):
    """Fails with the old estimate: it asked a fraction of what the run really wrote."""
    counts, n_atoms, args, sizes = written
    out = tmp_path / "fresh"
    out.mkdir()
    written_bytes = sum(sizes.values())
    monkeypatch.setattr(simulate, "free_bytes", lambda folder: written_bytes - 1)
    with pytest.raises(ValueError, match=f"{n_atoms} atoms"):
        simulate.check_disk_room(out, counts, args)
    # and a disk of the estimate's bytes lets the run start
    need = sum(simulate.trajectory_bytes(counts, args).values())
    monkeypatch.setattr(simulate, "free_bytes", lambda folder: need)
    simulate.check_disk_room(out, counts, args)
