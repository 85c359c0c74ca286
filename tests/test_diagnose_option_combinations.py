"""diagnose options each fine alone but not together are refused before the model loads.

Before, frames without a periodic box skipped the volume scan without a word, so that
``--scales`` and ``--max-scan-frames`` were ignored after the model had loaded; frames without
a box and without reference labels skipped both parts, and the model was loaded for a report
of two "skipped".
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from ase.build import molecule
from ase.io import write

sys.path.insert(0, str(Path(__file__).parent))
from test_intra_inter_errors import _frame  # noqa: E402

from electrolyte_cli import main  # noqa: E402
from mda_electrolyte.diagnose import diagnose  # noqa: E402


def _gas(n=3):
    frames = []
    for k in range(n):
        a, b = molecule("H2O"), molecule("CH3OH")
        b.positions += [3.5, 0.2 * k, 0.0]
        pair = a + b
        pair.arrays["molecule_index"] = np.array([0] * 3 + [1] * 6)
        frames.append(pair)
    return frames


def _never():
    pytest.fail("the model was loaded")


@pytest.mark.parametrize("kwargs, message", [
    ({"scales": [0.9, 1.0, 1.2]}, "scales given, but the frames have no periodic box"),
    ({}, "nothing to diagnose: the frames have no periodic box"),
])
def test_diagnose_refuses_a_run_that_would_ignore_its_options_or_do_nothing(tmp_path, kwargs,
                                                                            message):
    with pytest.raises(ValueError, match=message):
        diagnose(_gas(), _never, tmp_path / "d", **kwargs)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("options, flags", [
    (["--scales", "0.9,1.0"], "--scales given"),
    (["--max-scan-frames", "2"], "--max-scan-frames given"),
    (["--scales", "1.0,1.2", "--max-scan-frames", "2"], "--scales and --max-scan-frames given"),
    ([], "nothing to diagnose"),
    (["--max-error-frames", "5"], "--max-error-frames given, but"),
])
def test_the_command_says_so_in_one_line_with_exit_code_2(tmp_path, capsys, options, flags):
    path = tmp_path / "gas.extxyz"
    write(path, _gas())
    rc = main(["diagnose", str(path), "--model", "sevennet-0", "-o", str(tmp_path / "out"),
               "-q", *options])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and flags in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_periodic_frames_take_the_scan_options(tmp_path):
    # the scan's options for frames with a box pass the checks (the model below is a stand-in
    # that a periodic scan calls; it is loaded only after every check)
    from molecular_pair_model import MolecularPairModel

    frames = [_frame(seed=s) for s in range(2)]
    out = diagnose(frames, lambda: MolecularPairModel(k=0.2), tmp_path / "d",
                   scales=[1.0, 1.2], max_scan_frames=2)
    assert out["rigid_volume_scan"]["scales"] == [1.0, 1.2]
    assert "skipped" in out["intra_inter_errors"]


def test_max_error_frames_needs_something_to_compare_with(tmp_path, capsys):
    # periodic frames without labels: the scan runs, the error decomposition cannot
    path = tmp_path / "box.extxyz"
    write(path, [_frame(seed=s) for s in range(2)])
    rc = main(["diagnose", str(path), "--model", "sevennet-0", "-o", str(tmp_path / "out"),
               "-q", "--max-error-frames", "5"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--max-error-frames given, but" in err and "no --reference" in err, err
    assert not (tmp_path / "out").exists()
