"""Paths in the CLI's lines are unambiguous: a path with a control character or whitespace
other than single spaces between words (a newline, a tab, two spaces, a leading space) is shown
quoted as a Python string literal, whole, in the result lines (``report:``, ``input:``) and in
error lines, where collapsing whitespace into one line had turned ``a\\nb`` into ``a b``, and
a newline had split ``report:`` over two lines. Plain paths, spaces between words among them,
are shown as they are."""

import ast
import sys
import warnings

import pytest
from cli_inputs import water_frames

from electrolyte_cli import main
from electrolyte_cli.arguments import one_line, shown_path

_ODD = ["with\nnewline", "with\ttab", "two  spaces", " leading", "trailing ", "cr\rreturn",
        "form\x0cfeed", "line\u2028separator"]


@pytest.mark.parametrize("name", _ODD)
def test_an_odd_path_is_shown_quoted_and_reads_back_as_itself(name):
    path = f"/data/{name}/run"
    shown = shown_path(path)
    # one printable line whose quotes keep its whitespace as it is
    assert shown.isprintable() and shown[0] == shown[-1] == "'"
    assert ast.literal_eval(shown) == path


@pytest.mark.parametrize("path", ["/data/run", "/data/my run/out", "relative/ü/ø", "C:/a b"])
def test_a_plain_path_is_shown_as_it_is(path):
    assert shown_path(path) == path


@pytest.mark.parametrize("name", _ODD)
def test_error_text_quotes_the_path_it_names_whole_and_collapses_the_rest(name):
    folder = f"/data/{name}"
    text = (f"cannot write {folder}/analysis/summary.json.\n  The folder {folder} is full;"
            "   make room")
    line = one_line(text, [folder + "/analysis"])
    assert "\n" not in line and "   " not in line
    assert line == (f"cannot write {folder + '/analysis/summary.json'!r}. The folder "
                    f"{folder!r} is full; make room")


def test_error_text_without_odd_paths_is_collapsed_as_before():
    text = "a  message\nover lines /data/plain/x"
    assert one_line(text, ["/data/plain"]) == " ".join(text.split())
    assert one_line(text) == " ".join(text.split())


@pytest.fixture(scope="module")
def odd_folder(tmp_path_factory):
    if sys.platform == "win32":
        pytest.skip("no newline in Windows file names")
    folder = tmp_path_factory.mktemp("paths") / "run\nnumber  2"
    folder.mkdir()
    return folder, water_frames(folder / "water.extxyz", n_frames=12)


def test_result_lines_quote_the_input_and_the_report(odd_folder, capsys):
    folder, frames = odd_folder
    out = folder / "analysis"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(frames), "--only", "intra_inter_rdf", "-q",
                     "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"report: {str(out / 'summary.json')!r}" in lines
    assert any(line.startswith(f"  input: {str(frames)!r}, 12 frames") for line in lines)
    assert (out / "summary.json").is_file()


def test_an_error_line_names_the_folder_it_is_about_unambiguously(odd_folder, capsys):
    folder, frames = odd_folder
    blocker = folder / "a file"
    blocker.write_text("not a folder")
    status = main(["analyze", str(frames), "--only", "intra_inter_rdf", "-q",
                   "-o", str(blocker / "out")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    # the folder above the output that is no folder, as well as the output itself
    assert f"{str(blocker)!r}" in err and f"{str(blocker / 'out')!r}" in err
    assert str(folder).replace("\n", " ") not in err


def test_a_parser_error_quotes_the_word_it_names(odd_folder, capsys):
    folder, frames = odd_folder
    with pytest.raises(SystemExit) as stop:
        main(["analyze", str(frames), "--no-such-option", str(folder)])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.count("\n") == 1 and f"{str(folder)!r}" in err


def test_an_undecodable_byte_and_its_escape_typed_out_are_told_apart():
    import os

    undecodable = os.fsdecode(b"out\xff")  # a byte of another encoding (surrogate escape)
    typed = "out\\udcff"  # a folder really named with a backslash
    assert shown_path(typed) == typed
    assert shown_path(undecodable) == "'out\\udcff'" != shown_path(typed)
