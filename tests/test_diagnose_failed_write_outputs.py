"""A diagnose run that fails while its outputs are written leaves the earlier run's outputs.

Once both parts had run, the earlier run's ``diagnose.json``, figures, table and scan frames
were removed and the new ones written one by one: a full disk at the error figure (or Ctrl-C
while the scan frames were written) left the new scan's files beside no summary, the earlier
run lost. The outputs are now written into a hidden folder and published as
``run_analyses`` publishes, the summary last.
"""

import errno
import os
import sys
import warnings
from pathlib import Path

import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors_label_checks import FRAMES, _labelled  # noqa: E402

import mda_electrolyte.intra_inter_errors as intra_inter_errors  # noqa: E402
import mda_electrolyte.volume_scan as volume_scan  # noqa: E402
from mda_electrolyte.diagnose import diagnose  # noqa: E402

SCALES = [0.95, 1.0, 1.05]
OUTPUTS = ("diagnose.json", "rigid_volume_scan.png", "rigid_volume_scan.csv",
           "intra_inter_errors.png", "volume_scan_frames.extxyz")


def _labelled_no_box(frames):
    out = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = MolecularPairModel(sigma=2.4)
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=probe.get_potential_energy(),
                                         forces=probe.get_forces())
        out.append(lab)
    return out


def _run(folder, frames=FRAMES):
    periodic = frames is FRAMES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return diagnose(frames, MolecularPairModel(), folder,
                        reference=_labelled(frames) if periodic else _labelled_no_box(frames),
                        scales=SCALES if periodic else None, max_scan_frames=1,
                        max_error_frames=5)


def _contents(folder):
    return {p.name: p.read_bytes() for p in Path(folder).iterdir()}


@pytest.fixture()
def earlier(tmp_path):
    _run(tmp_path)
    # an earlier run's outputs that this run would write differently: a marker in each
    for name in OUTPUTS:
        with open(tmp_path / name, "ab") as fh:
            fh.write(b"\n earlier run")
    return tmp_path, _contents(tmp_path)


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _interrupted(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("where, fault, raised", [
    ("errors_figure", _disk_full, OSError),
    ("scan_figure", _disk_full, OSError),
    ("scan_frames", _interrupted, KeyboardInterrupt),
])
def test_a_failed_write_leaves_the_earlier_outputs(earlier, monkeypatch, where, fault, raised):
    folder, before = earlier
    if where == "errors_figure":
        monkeypatch.setattr(intra_inter_errors, "save_figure", fault)
    elif where == "scan_figure":
        monkeypatch.setattr(volume_scan, "save_figure", fault)
    else:
        monkeypatch.setattr("ase.io.write", fault)
    with pytest.raises(raised):
        _run(folder)
    # byte for byte, and no hidden folder of the failed run left behind
    assert _contents(folder) == before
    assert sorted(os.listdir(folder)) == sorted(OUTPUTS)


def test_a_rerun_replaces_every_output_and_leaves_no_hidden_folder(earlier):
    folder, before = earlier
    _run(folder)
    after = _contents(folder)
    assert sorted(after) == sorted(OUTPUTS)
    assert all(after[name] != before[name] for name in OUTPUTS)
    assert not any(b"earlier run" in data for data in after.values())


def test_a_rerun_without_a_box_removes_the_earlier_scan_files(earlier):
    folder, _ = earlier
    from mda_electrolyte.molecules import atoms_molecule_ids, make_whole

    frames = [atoms.copy() for atoms in FRAMES]
    for atoms in frames:
        # molecules wrapped across the faces, made whole before the box goes
        atoms.positions = make_whole(atoms.positions, atoms_molecule_ids(atoms),
                                     atoms.cell.array)
        atoms.pbc = False
        atoms.cell = None
    summary = _run(folder, frames=frames)
    assert "skipped" in summary["rigid_volume_scan"]
    assert sorted(os.listdir(folder)) == ["diagnose.json", "intra_inter_errors.png"]


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(earlier):
    from mda_electrolyte.report import _staging_prefix

    folder, _ = earlier
    # a run of this host killed outright (SIGKILL) while writing: its hidden folder stayed
    stale = folder / (_staging_prefix().replace(str(os.getpid()), "1") + "abcd1234")
    stale.mkdir()
    (stale / "intra_inter_errors.png").write_bytes(b"partial")
    _run(folder)
    assert sorted(os.listdir(folder)) == sorted(OUTPUTS)
