"""``electrolyte finetune``'s line of a model's last epoch names the frames of each RMSE.

Before: the RMSEs of the ``--valid`` frames were written "valid energy 0.02 eV/atom", the word
of every result's verdict before a number that has none, and the line said every RMSE was on
the fine-tuning frames. Now: "training energy ...", "validation energy ...", and the line names
the --valid frames where it shows their RMSEs.
"""

import math

import pytest

from electrolyte_cli.finetune import fit_check_line


@pytest.mark.parametrize("target, unit", [("energy", "eV/atom"), ("force", "eV/Å"),
                                          ("stress", "kbar")])
def test_each_rmse_is_named_by_its_frames(target, unit):
    last = {"epoch": 3, "lr": 1e-3, f"train_{target}_rmse": 0.25,
            f"valid_{target}_rmse": 0.5}
    line = fit_check_line("m.pth", last)
    assert f"training {target} 0.25 {unit}" in line, line
    assert f"validation {target} 0.5 {unit}" in line, line
    assert " valid " not in line and " train " not in line, line
    assert "(RMSEs on the training and --valid frames, no error bar" in line, line


def test_without_valid_frames_the_line_names_the_training_frames_alone():
    line = fit_check_line("m.pth", {"epoch": 1, "train_energy_rmse": 0.01,
                                    "train_stress_rmse": math.nan})
    assert "(RMSEs on the training frames, no error bar" in line, line
    assert line.endswith("training energy 0.01 eV/atom, training stress n/a (no labels)"), line
    assert "--valid" not in line


def test_validation_rmses_without_labels_are_named_too():
    line = fit_check_line("m.pth", {"epoch": 2, "train_force_rmse": 0.1,
                                    "valid_force_rmse": math.nan})
    assert line.endswith("training force 0.1 eV/Å, validation force n/a (no labels)"), line
