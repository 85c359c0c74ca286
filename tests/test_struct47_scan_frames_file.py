"""``RigidVolumeScan.scanned_frames()`` of ``keep_frames=<path>`` reads only its own file.

Before: a second scan into the same path replaced the file, and the first scan's
``scanned_frames()`` returned the second scan's frames (other scales, other energies) under
the first scan's calculator name; a removed file gave a bare ``FileNotFoundError``.
``scanned_frames(labels="Reference")`` and ``plot(component="INTER")`` were refused while
every other option word of the package is read in any case.
"""

import matplotlib
import pytest
from ase.build import molecule
from ase.calculators.lj import LennardJones

from mda_electrolyte.volume_scan import RigidVolumeScan

matplotlib.use("Agg")


def _box():
    a, b = molecule("H2O"), molecule("H2O")
    b.positions += [3.2, 0.0, 0.0]
    box = a + b
    box.cell, box.pbc = [8.0, 8.0, 8.0], True
    return box


def _scan(path, sigma=2.0, scales=(1.0, 1.5), reference=None):
    return RigidVolumeScan(
        [_box(), _box()],
        LennardJones(sigma=sigma, rc=3.9),
        scales=list(scales),
        keep_frames=path,
        reference=reference,
    ).run()


def _replace(path):
    _scan(path, sigma=2.1, scales=(1.0, 1.2, 1.5))


def _remove(path):
    path.unlink()


def _append(path):
    with open(path, "a") as fh:
        fh.write("\n")


@pytest.mark.parametrize("change", [_replace, _remove, _append])
def test_a_file_changed_after_the_run_is_not_read_as_its_frames(tmp_path, change):
    path = tmp_path / "scan.extxyz"
    first = _scan(path)
    assert len(first.scanned_frames()) == 4
    change(path)
    with pytest.raises(ValueError, match="no longer the file this scan wrote"):
        first.scanned_frames()
    # a new run writes and reads its own file again
    first.run()
    frames = first.scanned_frames()
    assert sorted({a.info["scale"] for a in frames}) == [1.0, 1.5]


def test_the_later_scan_reads_its_own_frames(tmp_path):
    path = tmp_path / "scan.extxyz"
    _scan(path)
    second = _scan(path, sigma=2.1, scales=(1.0, 1.2, 1.5))
    assert sorted({a.info["scale"] for a in second.scanned_frames()}) == [1.0, 1.2, 1.5]


@pytest.mark.parametrize("word", ["Reference", " REFERENCE ", "reference"])
def test_labels_in_any_case(word):
    scan = RigidVolumeScan(
        [_box(), _box()],
        LennardJones(sigma=2.0, rc=3.9),
        scales=[1.0, 1.5],
        reference=LennardJones(sigma=2.1, rc=3.9),
    ).run()
    frames = scan.scanned_frames(labels=word)
    assert {a.info["label_source"] for a in frames} == {"reference"}
    with pytest.raises(ValueError, match="labels must be 'model' or"):
        scan.scanned_frames(labels="ref")


@pytest.mark.parametrize("word", ["INTER", "Total", " intra "])
def test_plot_component_in_any_case(word):
    scan = RigidVolumeScan([_box(), _box()], LennardJones(sigma=2.0, rc=3.9), scales=[1.0, 1.5])
    ax = scan.run().plot(component=word)
    assert ax.get_ylabel() == f"E_{word.strip().lower()} (meV/atom)"
    with pytest.raises(ValueError, match="component must be one of"):
        scan.plot(component="inter-energy")
