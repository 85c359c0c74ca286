"""Numbers the CLI prints: an Estimate with its verdict, or labelled a setting or a fit check."""

import math
import re

from ase_electrolyte.estimate import Estimate
from electrolyte_cli.demo import starting_density_line
from electrolyte_cli.finetune import fit_check_line
from electrolyte_cli.simulate import result_lines

_NUMBER = re.compile(r"(?<![\w/.])[-+]?\d+\.\d+")


def _is_marked(line):
    """A line with a decimal number says what it is: an Estimate, a setting or a fit check."""
    if not _NUMBER.search(line):
        return True
    return ("±" in line and re.search(r"\((valid|.+)\)", line) is not None) or \
        line.startswith("setting:") or "fit check" in line or "no result (" in line


def test_starting_density_is_printed_as_an_input_not_a_result():
    line = starting_density_line(1.1249)
    assert line.startswith("setting: box packed at 1.125 g/cm³")
    assert "an input" in line and "not a result" in line and _is_marked(line)


def test_starting_density_estimate_shows_its_propagated_error_and_verdict():
    from ase_electrolyte.build import estimate_density
    from ase_electrolyte.estimate import Estimate

    estimated = estimate_density({"EC": 2, "EMC": 5, "Li": 1, "PF6": 1}, with_uncertainty=True)
    line = starting_density_line(estimated)
    assert line.startswith(f"setting: box packed at {estimated.value:.3f} ± "
                           f"{estimated.stderr:.3f} g/cm³")
    assert estimated.stderr > 0 and "not valid" not in line and _is_marked(line)
    doubtful = Estimate.invalid(0.96, 0.17, "g/cm^3", "propagated", "no measured salt volume")
    assert "(estimate not valid: no measured salt volume)" in starting_density_line(doubtful)


def test_learning_curve_rmses_are_printed_as_a_fit_check_with_units():
    last = {"epoch": 5, "train_energy_rmse": 0.0123, "train_force_rmse": 0.1,
            "train_stress_rmse": math.nan, "valid_energy_rmse": 0.02, "lr": 1e-3}
    line = fit_check_line("m/member_0/finetuned.pth", last)
    assert line.startswith("m/member_0/finetuned.pth: fit check at epoch 5")
    assert "training energy 0.0123 eV/atom" in line and "training force 0.1 eV/Å" in line
    assert "validation energy 0.02 eV/atom" in line
    assert "training stress n/a (no labels)" in line and "nan" not in line
    assert "0.001" not in line  # the learning rate is no RMSE
    assert "no error bar" in line and _is_marked(line)
    assert fit_check_line("x", {"epoch": 1}).endswith("no RMSE recorded")


def test_simulation_results_are_printed_with_error_and_verdict_or_withheld():
    good = Estimate(1.21, 0.004, "g/cm^3", "t-scaled standard error over 10 blocks", 10)
    bad = Estimate.invalid(1.3, 0.2, "g/cm^3", "statistical inefficiency", "too short: 3.1")
    lines = result_lines({"density": good, "density_short": bad})
    assert lines[0].startswith("density: 1.2100 ± 0.0040 g/cm^3 (valid)")
    # a number that is not valid is not printed at all, only why
    assert lines[1] == "density_short: no result (too short: 3.1)" and "1.3" not in lines[1]
    assert all(_is_marked(line) for line in lines)
    assert not _is_marked("starting density 1.125 g/cm³ (pure liquids, ideal mixing)")


def test_a_selection_of_fewer_frames_than_asked_says_so():
    from electrolyte_cli.select import selection_line

    assert selection_line(5, 5, "fps", "x.extxyz") == (
        "5 frame(s) selected (fps) written to x.extxyz")
    short = selection_line(3, 20, "d-optimal", "x.extxyz")
    assert short.startswith("3 frame(s) selected (d-optimal) written to x.extxyz: fewer than "
                            "the 20 asked for")
