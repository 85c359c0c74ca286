"""An environment whose matplotlib folders cannot be made (``MPLCONFIGDIR``, ``XDG_CONFIG_HOME``,
``XDG_CACHE_HOME``, ``HOME`` naming a file or a path below one) is said in one warning line of
the command's format, naming the variable, before any work.

matplotlib logged two bare lines ("mkdir -p failed for path ...", "Matplotlib created a
temporary cache directory at ... it is highly recommended to set the MPLCONFIGDIR environment
variable ..."), the cache folder's only when the first figure was drawn, after the analyses
had run. It then works from a temporary folder, so the command goes on: a warning, not an
error. Each case runs in a fresh interpreter: matplotlib chooses its folders once per process.
"""

import os
import subprocess
import sys

import pytest

#: The variables matplotlib reads for its folders; each case sets only its own.
FOLDER_VARIABLES = ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")


#: The command's plotting check alone, in its warning format (a fresh matplotlib).
CHECK = ("from electrolyte_cli import _one_line_warnings\n"
         "from electrolyte_cli.arguments import check_plotting\n"
         "with _one_line_warnings('analyze'):\n"
         "    check_plotting()\n")


def _run(tmp_path, argv, variables):
    env = {k: v for k, v in os.environ.items() if k not in FOLDER_VARIABLES}
    env.pop("ELECTROLYTE_DEBUG", None)
    env.update(MPLBACKEND="Agg", PYTHONWARNINGS="default", **variables)
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env,
                          timeout=600, cwd=tmp_path)
    return proc.returncode, proc.stderr.splitlines()


def _check_plotting(tmp_path, **variables):
    """The plotting check with ``variables`` set and the other folder variables unset."""
    return _run(tmp_path, ["-c", CHECK], variables)


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a file"
    path.write_text("not a folder")
    return path


@pytest.mark.parametrize("variable,below,meant", [
    ("MPLCONFIGDIR", "mpl", "mpl"),  # a folder that cannot be made below a file
    ("MPLCONFIGDIR", "", ""),  # the file itself
    ("XDG_CONFIG_HOME", "", "matplotlib"),
    ("XDG_CACHE_HOME", "", "matplotlib"),  # the cache: chosen only at the first figure before
    ("HOME", "", ".config/matplotlib"),
])
def test_an_unusable_matplotlib_folder_is_one_warning_line_naming_the_variable(
        tmp_path, a_file, variable, below, meant):
    given = a_file / below if below else a_file
    status, lines = _check_plotting(tmp_path, **{variable: str(given)})
    assert status == 0
    (warning,) = lines  # nothing else: matplotlib's own lines are gone
    assert warning.startswith(f"electrolyte analyze: warning: {variable}={given}: matplotlib "
                              f"cannot use {a_file / meant} (")
    assert ("Not a directory" if meant else "File exists") in warning
    assert "temporary" in warning and "for this run only" in warning
    assert "MPLCONFIGDIR to a writable folder" in warning
    if variable.startswith("XDG"):
        assert f"set {variable} or MPLCONFIGDIR" in warning
    assert "highly recommended" not in warning and "mkdir -p" not in warning


def test_the_warning_comes_before_any_work(tmp_path, a_file):
    """The command itself: the warning, then the error of the input's read (its first work),
    nothing else. An argument's refusal (a missing input) comes before matplotlib is imported
    (cli21: every refusal without the heavy imports), and alone."""
    unreadable = tmp_path / "notes.txt"
    unreadable.write_text("not a trajectory\n")
    status, lines = _run(tmp_path, ["-m", "electrolyte_cli", "analyze", str(unreadable),
                                    "-o", str(tmp_path / "o")],
                         {"XDG_CACHE_HOME": str(a_file)})
    assert status == 2
    # a refusal is one line, the warnings of the checks before it joined to it (cli52)
    (error,) = lines
    assert error.startswith("electrolyte analyze: error: ") and "notes.txt" in error
    assert f"; warning: XDG_CACHE_HOME={a_file}: " in error
    status, lines = _run(tmp_path, ["-m", "electrolyte_cli", "analyze",
                                    str(tmp_path / "missing.h5md"), "-o", str(tmp_path / "o")],
                         {"XDG_CACHE_HOME": str(a_file)})
    assert status == 2
    (error,) = lines
    assert error.startswith("electrolyte analyze: error: ") and "missing.h5md" in error


def test_a_writable_folder_says_nothing(tmp_path):
    folder = tmp_path / "mpl"
    assert _check_plotting(tmp_path, MPLCONFIGDIR=str(folder)) == (0, [])
    assert folder.is_dir()  # matplotlib made it and keeps its settings there
