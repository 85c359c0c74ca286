"""The reason diagnose gives for skipping the error decomposition names the way to give a
reference in both of its front ends.

Before: "no reference: pass a reference calculator or labelled frames", printed as is by
``electrolyte diagnose``, which has no calculator to pass: its option is ``--reference``.
"""

import json
import warnings

import pytest
from molecular_pair_model import MolecularPairModel
from test_diagnose_placeholder_labels import _frames, _placeholders

from mda_electrolyte.diagnose import diagnose

_ADVICE = ("no reference: give a reference model or labelled frames (reference= in Python, "
           "--reference of electrolyte diagnose)")


@pytest.mark.parametrize("placeholders", [False, True])
def test_the_skip_names_the_python_keyword_and_the_option(placeholders, tmp_path, capsys):
    from electrolyte_cli.arguments import print_summary

    frames = _frames(2)
    if placeholders:  # zeros an exporter wrote: no labels, the reason names them too
        frames = _placeholders(frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = diagnose(frames, MolecularPairModel(), tmp_path / "d", max_scan_frames=1)
    skipped = summary["intra_inter_errors"]["skipped"]
    assert skipped.startswith(_ADVICE), skipped
    assert "pass a reference calculator" not in skipped
    assert ("exactly zero" in skipped) is placeholders
    written = json.loads((tmp_path / "d" / "diagnose.json").read_text())
    assert written["intra_inter_errors"]["skipped"] == skipped
    print_summary(summary, tmp_path / "d", "diagnose.json")
    out = capsys.readouterr().out
    assert f"  intra_inter_errors: skipped ({_ADVICE}" in out, out
