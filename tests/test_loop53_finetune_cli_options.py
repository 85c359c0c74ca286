"""``electrolyte finetune``'s refusals made once the frames are read name the options typed.

The options' own checks named ``--pressure-shift`` and ``--ensemble``; the refusals that need
the frames (a pressure shift of frames without stress labels, members of one batch per epoch)
came from the library with its keywords: "pressure_shift_bar 100 bar shifts stress labels",
"ensemble=2 members ... (batch_size 6 >= 6 training frame(s))", names the user never typed.
Each is one line, exit code 2, before any training, with the option in the keyword's place.
"""

import pytest
from ase import Atoms
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write
from tiny_models import emt_copper

import electrolyte_cli

pytest.importorskip("sevenn")


def _molecules(n):
    frames = []
    for k in range(n):
        atoms = Atoms("CuCu", positions=[[0, 0, 0], [0, 0, 2.3 + 0.02 * k]], cell=[8, 8, 8])
        atoms.calc = EMT()
        atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(),
                                           forces=atoms.get_forces())
        frames.append(atoms)
    return frames


def _error(argv, capsys, out):
    code = electrolyte_cli.main(["finetune", *argv, "-o", str(out), "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert not any("Traceback" in line for line in err), err
    assert not list(out.glob("member_*/*.pth")) if out.exists() else True
    return err[-1]


@pytest.mark.parametrize("shift", ["100", "-2.5", "1e4"])
def test_a_pressure_shift_without_stress_labels_names_the_option(tmp_path, capsys, shift):
    write(tmp_path / "mol.extxyz", _molecules(4))
    line = _error([str(tmp_path / "mol.extxyz"), "--epochs", "1", "--pressure-shift", shift],
                  capsys, tmp_path / "ft")
    assert f"--pressure-shift {float(shift):g} bar shifts stress labels" in line
    assert "pressure_shift_bar" not in line


@pytest.mark.parametrize("n_frames, batch", [(3, 3), (3, 8), (1, 1)])
def test_identical_members_name_the_options(tmp_path, capsys, n_frames, batch):
    write(tmp_path / "cu.extxyz", emt_copper(n_frames))
    line = _error([str(tmp_path / "cu.extxyz"), "--epochs", "1", "--ensemble", "2",
                   "--batch-size", str(batch)], capsys, tmp_path / "ft")
    assert line.count("--ensemble 2") == 1 and "ensemble=" not in line
    assert "batch_size" not in line
    if n_frames > 1:
        assert f"--batch-size {batch} >= {n_frames} training frame(s)" in line
