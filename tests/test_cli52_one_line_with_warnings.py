"""A refused ``simulate`` or ``demo`` is one line on stderr, its checks' warnings in it.

``electrolyte simulate --write-interval-fs 5 --production-ps 0.0105 --equilibration-ps 0.001``
printed the warnings of the rounded interval and length, then the refusal of the equilibration:
three lines for one refused command. The warnings of the argument checks are now held: issued
as before when every check passes, written at the end of the refusal's one line when one
refuses.
"""

import warnings

import pytest

from electrolyte_cli import main
from electrolyte_cli.arguments import warnings_after_checks

_SIM = ["simulate", "--model", "sevennet-0", "--counts", "EC=4,Li=1,PF6=1"]

# (options, the refusal, the warnings said in its line)
CASES = [
    (_SIM + ["--write-interval-fs", "5", "--equilibration-ps", "0.001"],
     "--equilibration-ps 0.001", ["--write-interval-fs 5 fs is not a multiple"]),
    (_SIM + ["--write-interval-fs", "5", "--production-ps", "0.0105", "--equilibration-ps",
             "0.001"],
     "--equilibration-ps 0.001", ["--write-interval-fs 5 fs", "--production-ps 0.0105 ps"]),
    (["simulate", "--model", "nosuch-model", "--counts", "EC=4,Li=1,PF6=1", "--temperature",
      "25"], "unknown model", ["is it in °C?"]),
    (["simulate", "--model", "nosuch-model", "--counts", "EC=4,Li=1,PF6=1", "--pressure",
      "101325"], "unknown model", ["is it in Pa"]),
    (["demo", "--device", "cpu", "--production-ps", "0.005", "--equilibration-ps", "0.001"],
     "--equilibration-ps 0.001", ["--production-ps 0.005 ps is not a whole number"]),
]


@pytest.mark.parametrize(("argv", "refusal", "said"), CASES)
def test_refusal_is_one_line_with_its_warnings(tmp_path, capsys, argv, refusal, said):
    out = tmp_path / "out"
    status = main([*argv, "-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"electrolyte {argv[0]}: error: ")
    assert refusal in lines[0]
    for text in said:
        assert text in lines[0].split("; warning: ", 1)[1]
    assert not out.exists()


def test_warnings_issued_when_the_checks_pass():
    with pytest.warns(UserWarning, match="rounded"):
        with warnings_after_checks():
            warnings.warn("rounded", UserWarning, stacklevel=1)


@pytest.mark.parametrize("error", [ValueError, OSError, RuntimeError])
def test_warnings_become_notes_of_a_refusal(error):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(error) as raised:
            with warnings_after_checks():
                warnings.warn("first", UserWarning, stacklevel=1)
                warnings.warn("first", UserWarning, stacklevel=1)
                warnings.warn("second", UserWarning, stacklevel=1)
                raise error("refused")
    assert raised.value.__notes__ == ["warning: first", "warning: second"]
    assert not seen  # said in the refusal, not again as warnings


def test_warnings_as_errors_still_stop_the_command(monkeypatch):
    # PYTHONWARNINGS=error: the held warning is raised where it is issued again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="rounded"):
            with warnings_after_checks():
                warnings.warn("rounded", UserWarning, stacklevel=1)


@pytest.mark.parametrize(("options", "refusal"), [
    (["--dt", "0.5"], "--dt 0.5 ps: the frames"),
    ([], "none of them can run on this trajectory"),
    (["--only", "intra_inter_rdf"], "--temperature applies to the analyses"),
])
def test_analyze_refusal_is_one_line_with_its_warnings(tmp_path, capsys, options, refusal):
    from cli_inputs import water_frames

    traj = water_frames(tmp_path / "water.extxyz")
    out = tmp_path / "out"
    status = main(["analyze", str(traj), "--temperature", "25", "-o", str(out), "-q",
                   *options])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert refusal in lines[0]
    # the doubt of the temperature only where the check that says it has run
    if "--only" not in options:
        assert "; warning: --temperature 25.0 K" in lines[0] and "°C" in lines[0]
    assert not (out / "summary.json").exists()


def test_analyze_warnings_said_once_when_it_runs(tmp_path, capsys):
    import ase.io
    from ase.build import molecule

    # frames without times: the reading warns that it assumes 1 ps, held until the checks
    # pass and then said once, before the analyses
    frames = []
    for k in range(3):
        water = molecule("H2O", cell=[8.0, 8.0, 8.0], pbc=True)
        water.positions += 2.0 + 0.05 * k
        frames.append(water)
    traj = tmp_path / "untimed.extxyz"
    ase.io.write(traj, frames)
    with pytest.warns(UserWarning) as said:
        assert main(["analyze", str(traj), "-o", str(tmp_path / "out"), "-q"]) == 0
    texts = [str(w.message) for w in said]
    assert sum("carry no time" in t for t in texts) == 1, texts
