"""diagnose on frames whose stored labels are an exporter's zeros.

Frames written with energy 0 and zero forces where nothing was computed were taken for labels:
the model's own energies and forces were reported as its errors. Such frames now hold no labels
for diagnose (the error part is skipped, with the reason; without a box there is nothing to
diagnose, said before the model loads); a stress of zeros beside real energies and forces is
left out of the comparison and named in diagnose.json. A free energy alone is a label.
"""

import json
import warnings

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator
from molecular_pair_model import MolecularPairModel

from mda_electrolyte.diagnose import diagnose, has_labels

CELL = np.diag([11.0, 10.0, 12.0])


def _frames(n=3, periodic=True):
    frames = []
    for k in range(n):
        a, b = molecule("H2O"), molecule("CH3OH")
        a.positions += [2.0, 3.0, 3.0]
        b.positions += [6.0 + 0.1 * k, 5.0, 6.0]
        pair = a + b
        pair.arrays["molecule_index"] = np.array([0] * 3 + [1] * 6)
        if periodic:
            pair.cell, pair.pbc = CELL, True
        frames.append(pair)
    return frames


def _placeholders(frames):
    for atoms in frames:
        atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=np.zeros((len(atoms), 3)),
                                           stress=np.zeros(6))
    return frames


def _never():
    pytest.fail("the model was loaded")


def test_zero_labels_on_periodic_frames_skip_the_errors_with_the_reason(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = diagnose(_placeholders(_frames()), MolecularPairModel(), tmp_path / "d",
                           max_scan_frames=1)
    skipped = summary["intra_inter_errors"]["skipped"]
    assert "energy is exactly zero" in skipped and "forces are exactly zero" in skipped
    assert "no reference labels" in skipped
    assert "skipped" not in summary["rigid_volume_scan"]
    written = json.loads((tmp_path / "d" / "diagnose.json").read_text())
    assert written["intra_inter_errors"]["skipped"] == skipped


def test_zero_labels_without_a_box_are_nothing_to_diagnose_before_the_model_loads(tmp_path):
    with pytest.raises(ValueError, match="nothing to diagnose.*all-zero labels"):
        diagnose(_placeholders(_frames(periodic=False)), _never, tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_a_zero_stress_beside_real_labels_is_named_in_the_report(tmp_path):
    frames = _frames(periodic=False)
    reference = MolecularPairModel()
    for atoms in frames:
        a = atoms.copy()
        a.calc = reference
        atoms.calc = SinglePointCalculator(atoms, energy=a.get_potential_energy(),
                                           forces=a.get_forces())
    periodic = _frames()
    for atoms, labelled in zip(periodic, frames, strict=True):
        atoms.calc = SinglePointCalculator(atoms, **labelled.calc.results, stress=np.zeros(6))
    # the labels are the pair model's without a box; the molecules are far from the cell
    # faces, so that they differ little from the periodic frames' own
    with pytest.warns(UserWarning, match="reference stress is exactly zero in every one of "
                                         "the 3 frames"):
        summary = diagnose(periodic, MolecularPairModel(scale=0.9), tmp_path / "d",
                           max_scan_frames=1)
    errors = summary["intra_inter_errors"]
    assert "stress" in errors["not_compared"]
    assert "stress" not in errors["rmse"]["total"]
    assert errors["rmse"]["total"]["forces"]["value"] > 0


def test_a_free_energy_alone_is_a_label():
    water = molecule("H2O")
    assert not has_labels(water)
    water.info["free_energy"] = -14.2
    assert has_labels(water)
    other = molecule("H2O")
    other.calc = SinglePointCalculator(other, free_energy=-14.2)
    assert has_labels(other)


@pytest.mark.parametrize("forces", [np.ones((3, 3)), np.ones(9)])
def test_forces_kept_in_info_are_labels(forces):
    """IntraInterErrors reads ``info["forces"]`` ((n, 3) or 3n values); diagnose skipped them."""
    water = molecule("H2O")
    water.info["forces"] = forces
    assert has_labels(water)


@pytest.mark.parametrize("periodic, options, said", [
    (True, ["--max-error-frames", "5"], "--max-error-frames given, but"),
    (False, [], "nothing to diagnose: .*all-zero labels"),
])
def test_the_command_refuses_zero_labels_in_one_line_before_the_model(tmp_path, capsys,
                                                                      periodic, options, said):
    import re

    from ase.io import write

    from electrolyte_cli import main

    path = tmp_path / "frames.extxyz"
    write(path, _placeholders(_frames(periodic=periodic)), format="extxyz")
    # refused by the checks that come before the model is loaded (seconds, gigabytes)
    rc = main(["diagnose", str(path), "--model", "sevennet-0", "-o", str(tmp_path / "out"),
               "-q", *options])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and re.search(said, err) and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()
