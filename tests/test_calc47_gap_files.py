"""A GAP model file that QUIP cannot read ends in a clear error and leaves the process as it was.

A GAP XML that is not well-formed (a download or copy cut short) passed the model check and
QUIP's parser (FoX) then printed "ERROR(FoX) Internal error!" and ended the Python process. A
well-formed XML of no GAP potential was refused, but QUIP had changed into the file's folder
and stayed there, so the caller's relative paths pointed elsewhere afterwards.
"""

import os
import subprocess
import sys

import pytest
from ase.calculators.calculator import InputError

from ase_electrolyte.models import check_model

_GAP_START = (
    '<?xml version="1.0"?>\n<Potential label="GAP_2024" init_args="IP GAP label=GAP_2024">\n'
    '<GAP_params label="GAP_2024" gap_version="1715000000">\n<GAP_data e0="0.0">\n'
    '<e0 Z="3" value="-0.1"/>\n'
)

_MALFORMED = {
    "unclosed tag": "<xml",
    "cut short": _GAP_START,
    "cut inside an attribute": _GAP_START + '<e0 Z="9" val',
    "mismatched tags": "<Potential><GAP_params></Potential>",
    "two roots": "<a/><b/>",
    "bytes after a tag": "<a>\x00\x01\x02</a>",
}


@pytest.mark.parametrize("text", list(_MALFORMED.values()), ids=list(_MALFORMED))
def test_a_malformed_gap_file_is_refused_by_the_model_check(tmp_path, text):
    path = tmp_path / "broken.xml"
    path.write_text(text)
    with pytest.raises(ValueError, match="is not well-formed XML .* truncated or corrupted"):
        check_model(str(path))


def test_a_well_formed_xml_passes_the_model_check(tmp_path):
    path = tmp_path / "fine.xml"
    path.write_text(_GAP_START + "</GAP_data></GAP_params></Potential>\n")
    assert check_model(str(path)) == "gap"


def test_a_calculator_on_a_truncated_gap_file_raises_and_the_process_lives_on(tmp_path):
    pytest.importorskip("quippy")
    path = tmp_path / "cut.xml"
    path.write_text(_GAP_START)
    # in a child process: before the fix QUIP ended the process that loaded the file
    code = (
        "from ase_electrolyte import Calculator\n"
        "try:\n"
        f"    Calculator({str(path)!r}, device='cpu')\n"
        "except ValueError as err:\n"
        "    print('REFUSED', type(err).__name__, err)\n"
        "print('ALIVE')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "REFUSED InputError" in run.stdout and "not well-formed XML" in run.stdout
    assert "ALIVE" in run.stdout


@pytest.mark.parametrize("relative", [True, False])
def test_a_failed_gap_load_leaves_the_working_directory(tmp_path, monkeypatch, relative):
    pytest.importorskip("quippy")
    from ase_electrolyte import Calculator

    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "a.xml").write_text("<foo/>")
    (folder / "b.xml").write_text("<foo/>")
    monkeypatch.chdir(tmp_path)
    for name in ("a.xml", "b.xml"):
        path = os.path.join("models", name) if relative else str(folder / name)
        with pytest.raises(InputError, match="cannot be loaded as a gap model"):
            Calculator(path, device="cpu")
        assert os.getcwd() == str(tmp_path)
