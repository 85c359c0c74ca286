"""The value a refused resume advises (``rerun with --temperature X to resume it``) is the
stored one, whole: given back, it resumes the run.

The stored setting (and the box's ``--density``) was printed to 6 significant digits
(``:g``): a run at ``--temperature 298.1534`` resumed with ``298.15`` was told to rerun with
``--temperature 298.153``, and that was refused again (settings are compared to 1e-12),
naming 298.153 twice. The settings are now shown to
:data:`ase_electrolyte.html_report.PLAIN_DIGITS` significant digits, the one form of
plain numbers of the reports.
"""

import re
import warnings

import pytest
from test_cli_interrupted import _ARGV, _argon_box, _SignallingLJ
from test_cli_resume_settings import _with

#: Settings of the run with more than 6 significant digits, and another value of each.
SETTINGS = {"--temperature": ("60.1234567", "60"), "--pressure": ("1.01325432", "1.01325"),
            "--relax-fmax": ("2.00000123", "2"), "--density": ("1.23456789", "1.2")}


def _argv(**overrides):
    argv = list(_ARGV)
    for flag, (value, _) in SETTINGS.items():
        argv = _with(argv, flag, overrides.get(flag, value))
    return argv


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    out = tmp_path_factory.mktemp("advice") / "run"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
        assert main(_argv() + ["-o", str(out)]) == 0
    return out


@pytest.mark.parametrize("flag", sorted(SETTINGS))
def test_the_advised_value_resumes_the_run(finished_run, flag, capsys, monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    stored, other = SETTINGS[flag]
    before = {p.name: p.stat().st_mtime_ns for p in finished_run.iterdir()}
    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
    assert main(_argv(**{flag: other}) + ["-o", str(finished_run)]) == 2
    err = capsys.readouterr().err
    (advised,) = re.findall(rf"rerun with {flag} (\S+) to resume it", err)
    assert advised == stored, err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_argv(**{flag: advised}) + ["-o", str(finished_run)]) == 0
    assert "error" not in capsys.readouterr().err
    # nothing was run again or rewritten
    after = {p.name: p.stat().st_mtime_ns for p in finished_run.iterdir()}
    assert {k: after[k] for k in before if k.endswith(".h5md")} == {
        k: v for k, v in before.items() if k.endswith(".h5md")}
