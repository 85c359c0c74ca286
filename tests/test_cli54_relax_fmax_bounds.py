"""``simulate --relax-fmax`` outside the relaxation's bounds is refused as typed, before the
box is packed or the model loaded, and the help states the bounds.

``--relax-fmax 1e-9`` packed the box, loaded the model and ran all 500 optimizer steps (29 s
each for 100 atoms on a loaded CPU) before marking the relaxation not valid; ``1e9`` skipped
the relaxation without a word. The bounds are the library's
(:data:`ase_electrolyte.md.MIN_RELAX_FMAX`, :data:`~ase_electrolyte.md.MAX_RELAX_FMAX`),
which the command reaches through its protocol check.
"""

import warnings

import pytest

from ase_electrolyte.md import MAX_RELAX_FMAX, MIN_RELAX_FMAX


@pytest.fixture
def no_work(tmp_path, monkeypatch):
    """Packing and the model fail the test: a refusal must come before them."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("packed the box or loaded the model")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(value, capsys):
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["simulate", "--counts", "EC=10", "--model", "sevennet-0",
                       "--relax-fmax", value, "-o", "run"])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("value, said", [
    ("1e-9", "is below"), (f"{MIN_RELAX_FMAX / 2:g}", "is below"), ("1e-300", "is below"),
    ("1e9", "is above"), (f"{MAX_RELAX_FMAX * 1.01:g}", "is above"),
    ("2000", "is above"),  # 2 eV/Å typed in meV/Å
    ("1e308", "is above"),
])
def test_a_threshold_outside_the_bounds_is_refused_before_packing(value, said, no_work,
                                                                   capsys):
    status, err = _run(value, capsys)
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"electrolyte simulate: error: --relax-fmax {float(value):g}"), err
    assert said in err and "relax_fmax" not in err, err
    assert not (no_work / "run").exists()


@pytest.mark.parametrize("value", [f"{MIN_RELAX_FMAX:g}", "0.05", "2", f"{MAX_RELAX_FMAX:g}"])
def test_thresholds_within_the_bounds_go_on_to_packing(value, no_work, capsys):
    status, err = _run(value, capsys)
    assert "packed the box or loaded the model" in err, err


def test_the_help_states_the_librarys_bounds(capsys):
    from electrolyte_cli import main

    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"from {MIN_RELAX_FMAX:g} to {MAX_RELAX_FMAX:g}" in text, text
