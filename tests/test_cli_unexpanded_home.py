"""Output paths with a ``~`` the shell left unexpanded.

The shell expands ``~`` only at the start of a word: ``--output=~/runs/a`` (or a quoted
``"~/runs/a"``) reached the command as typed, and every command created a folder named ``~`` in
the current folder, its results nowhere the user looked. Such a path (a ``~`` or ``~user``
that names a home folder) is now refused in one line (exit status 2) before any work, naming
the path the shell would have made; ``~draft``, which names no home, is an ordinary name. An
input path of that form read "no such file" while the file was in the home folder: the error
now says which path was meant and whether it exists.
"""

import os

import pytest
from cli_inputs import empty_registry, water_frames

from electrolyte_cli import main
from electrolyte_cli.arguments import check_unexpanded_home


@pytest.fixture
def here(tmp_path, monkeypatch):
    """The current folder and a home folder, both empty."""
    home = tmp_path / "home"
    home.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    # matplotlib's own folders elsewhere: imported first by this test (run alone), matplotlib
    # made its cache in the home folder the test asserts untouched by the refused command
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "matplotlib"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(cwd)
    water_frames(tmp_path / "w.extxyz")
    return cwd, home, tmp_path / "w.extxyz"


def _argv(command, frames):
    return {
        "simulate": ["simulate", "--solvent", "EC:1", "--model", "sevennet-0"],
        "analyze": ["analyze", str(frames), "-q"],
        "diagnose": ["diagnose", str(frames), "--model", "sevennet-0"],
        "demo": ["demo"],
        "finetune": ["finetune", str(frames), "--epochs", "1"],
    }[command]


@pytest.mark.parametrize("command", ["simulate", "analyze", "diagnose", "demo", "finetune"])
@pytest.mark.parametrize("form", ["--output=~/runs/a", "~/runs/a"])
def test_an_unexpanded_home_in_the_output_is_refused_before_any_work(command, form, here,
                                                                     capsys):
    cwd, home, frames = here
    argv = _argv(command, frames)
    argv += [form] if form.startswith("--") else ["-o", form]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (f"electrolyte {command}: error: -o/--output ~/runs/a: the shell did not "
                       "expand '~' (it does not after '=' or in quotes), so this would create "
                       f"a folder named '~' here; write the path with the home folder, "
                       f"{home}/runs/a")
    assert list(cwd.iterdir()) == [] and list(home.iterdir()) == []


def test_select_names_its_file_and_creates_nothing(here, capsys):
    cwd, home, frames = here
    assert main(["select", str(frames), "-n", "1", "--model", "m.pth",
                 "--output=~/picked.extxyz"]) == 2
    err = capsys.readouterr().err
    assert "-o/--output ~/picked.extxyz: the folder ~: the shell did not expand '~'" in err
    assert list(cwd.iterdir()) == [] and list(home.iterdir()) == []


def test_a_named_users_home_is_refused_too(here):
    import pwd

    # a user the system knows (the first of the password database: root on any Unix), not the
    # one running the tests, which a container may run under a uid with no entry
    user = pwd.getpwall()[0].pw_name
    assert os.path.expanduser(f"~{user}") != f"~{user}"
    with pytest.raises(ValueError, match=f"did not expand '~{user}'"):
        check_unexpanded_home(f"~{user}/runs", "-o/--output")


@pytest.mark.parametrize("name", ["~no_such_user_cli16/runs", "runs/~", "a~b", "./~/x"])
def test_a_tilde_that_names_no_home_is_an_ordinary_name(name, here):
    check_unexpanded_home(name, "-o/--output")


def test_an_ordinary_tilde_name_is_written_as_given(here, monkeypatch):
    from mda_electrolyte import report

    cwd, home, frames = here
    empty_registry(monkeypatch)
    report.register_analysis("n_atoms")(
        lambda universe, outdir, *, calculator=None, verbose=False:
        {"n_atoms": len(universe.atoms)})
    assert main(["analyze", str(frames), "-q", "-o", "~no_such_user_cli16"]) == 0
    summary = (cwd / "~no_such_user_cli16" / "summary.json").read_text()
    assert '"n_atoms": 3' in summary
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("there", [True, False])
def test_an_input_path_with_an_unexpanded_home_says_what_it_would_have_been(there, here,
                                                                          capsys):
    # "no such file" while the file was there, in the home folder
    cwd, home, frames = here
    if there:
        (home / "w.extxyz").write_bytes(frames.read_bytes())
    assert main(["analyze", "~/w.extxyz", "-q", "-o", str(cwd / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == ("electrolyte analyze: error: the trajectory ~/w.extxyz: no such file "
                       "(note: the shell did not expand '~' in ~/w.extxyz (it does not after "
                       f"'=' or in quotes); {home}/w.extxyz "
                       f"{'exists' if there else 'does not exist either'})")
    assert list(cwd.iterdir()) == []


def test_the_note_names_an_option_file_too(here, capsys):
    cwd, home, frames = here
    (home / "labels.extxyz").write_bytes(frames.read_bytes())
    assert main(["diagnose", str(frames), "--model", "sevennet-0",
                 "--reference=~/labels.extxyz", "-o", str(cwd / "d")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("electrolyte diagnose: error: --reference ~/labels.extxyz: ")
    assert err[-1].endswith(f"(note: the shell did not expand '~' in ~/labels.extxyz (it does "
                            f"not after '=' or in quotes); {home}/labels.extxyz exists)")


def test_the_output_refusal_says_it_once(here, capsys):
    cwd, home, frames = here
    assert main(["analyze", str(frames), "-q", "--output=~/x"]) == 2
    assert capsys.readouterr().err.count("did not expand") == 1
