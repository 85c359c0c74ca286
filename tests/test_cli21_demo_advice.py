"""``demo`` refusals advise only options the demo has, and the length they advise passes.

Measured before: ``demo --production-ps 0.001 --device cpu`` said "lengthen --production-ps or
shorten --write-interval-fs": the demo has no ``--write-interval-fs`` (its frame interval is
fixed, 4 fs on a CPU). Now it names the interval and the shortest production, 0.004 ps, which
then passes every check.
"""

import re

import pytest

import electrolyte_cli
import electrolyte_cli.arguments as A

#: Said where the checks end (matplotlib's check, the last before the work).
PASSED = "every check passed"


@pytest.fixture
def checks_only(monkeypatch, tmp_path):
    def checked():
        raise ValueError(PASSED)

    monkeypatch.setattr(A, "check_plotting", checked)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _options_of_demo():
    parser = electrolyte_cli.build_parser()
    sub = next(a for a in parser._actions if a.choices and "demo" in a.choices)
    return {o for a in sub.choices["demo"]._actions for o in a.option_strings}


@pytest.mark.parametrize("production_ps", ["0.001", "0.0039", "1e-6"])
def test_a_production_shorter_than_a_frame_names_the_shortest_that_passes(
        checks_only, capsys, production_ps):
    argv = ["demo", "--device", "cpu", "-o", "d", "--production-ps", production_ps]
    assert electrolyte_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("electrolyte demo: error: --production-ps")
    named = set(re.findall(r"--[a-z][a-z-]+", err))
    assert named <= _options_of_demo(), named - _options_of_demo()
    shortest = re.search(r"give at least ([0-9.e-]+) ps", err).group(1)
    # the advice is exact: it passes, a hair less does not
    assert _passes(argv[:-1] + [shortest], capsys)
    assert not _passes(argv[:-1] + [repr(float(shortest) * 0.99)], capsys)
    assert not (checks_only / "d").exists()


def test_an_equilibration_too_short_advises_what_the_demo_has(checks_only, capsys):
    argv = ["demo", "--device", "cpu", "-o", "d", "--equilibration-ps", "0.01"]
    assert electrolyte_cli.main(argv) == 2
    err = capsys.readouterr().err
    named = set(re.findall(r"--[a-z][a-z-]+", err))
    assert "--equilibration-ps" in named and named <= _options_of_demo()
    shortest = re.search(r"give at least ([0-9.e-]+) ps", err).group(1)
    assert _passes(argv[:-1] + [shortest], capsys)


def _passes(argv, capsys):
    """Whether every check of ``argv`` passes (each refusal is one line, status 2)."""
    assert electrolyte_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return PASSED in err
