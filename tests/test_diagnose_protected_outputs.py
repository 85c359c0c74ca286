"""diagnose() from Python refuses an earlier output its owner made read-only before the model
is called: it was found only when publishing, after every model evaluation (nothing lost, the
model's work wasted). Permissions are simulated through ``os.access``, as ``atomic_path`` and
the command line read them (the tests may run as root, whom modes do not stop)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_intra_inter_errors_label_checks import FRAMES, _labelled  # noqa: E402

from mda_electrolyte.diagnose import OUTPUT_FILES, diagnose  # noqa: E402


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_a_protected_output_is_refused_before_the_model_loads(tmp_path, monkeypatch, name):
    (tmp_path / name).write_bytes(b"protected")
    protected = os.path.realpath(tmp_path / name)
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        not (mode & os.W_OK and os.path.realpath(path) == protected)
        and access(path, mode, **kw)))
    loads = []

    def model():
        loads.append(1)
        raise AssertionError("the model was loaded before the output check")

    with pytest.raises(PermissionError, match=f"{name} is read-only.*chmod u\\+w"):
        diagnose(FRAMES, model, tmp_path, reference=_labelled(FRAMES), scales=[0.95, 1.0, 1.05],
                 max_scan_frames=1, max_error_frames=5)
    assert loads == []
    assert (tmp_path / name).read_bytes() == b"protected"
