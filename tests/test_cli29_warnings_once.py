"""A warning's text is shown once per command.

Python's filter shows a warning once per place in the code, and one value checked in several
places warned as often: ``simulate --density 0.0012`` (kg/L read as g/cm³? a gas) said "a
density of 0.0012 g/cm³ is far from a liquid electrolyte's ..." three times before packing
and once more in it.
"""

import warnings

import pytest


@pytest.fixture
def stop_at_packing(monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def stop(*args, **kwargs):
        raise RuntimeError("stopped where the box would be packed")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", stop)
    monkeypatch.setattr(cli_arguments, "make_calculator", stop)


def test_a_thin_density_is_warned_about_once(stop_at_packing, tmp_path, capsys):
    from electrolyte_cli import main

    # recorded as they reach the display (the command's wrapper passes each text on once)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")
        main(["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
              "--model", "sevennet-0", "-q", "--density", "0.0012", "-o", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert "stopped where the box would be packed" in err  # the checks ran to their end
    texts = [str(w.message) for w in shown]
    assert sum("0.0012 g/cm³" in t for t in texts) == 1, texts
    assert len(texts) == len(set(texts)), texts


def test_different_texts_are_each_shown_and_the_display_is_restored():
    """Only a repeated text is left out; the wrapper goes with the command."""
    from electrolyte_cli import _one_line_warnings

    before = warnings.showwarning, warnings.formatwarning
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with _one_line_warnings("analyze"):
            for text in ("first", "second", "first", "second", "third"):
                warnings.warn(text, UserWarning, stacklevel=1)
            warnings.warn("first", RuntimeWarning, stacklevel=1)  # another category
            line = warnings.formatwarning("first", UserWarning, "f.py", 1)
    assert (warnings.showwarning, warnings.formatwarning) == before
    assert [(w.category, str(w.message)) for w in shown] == [
        (UserWarning, "first"), (UserWarning, "second"), (UserWarning, "third"),
        (RuntimeWarning, "first")]
    assert line == "electrolyte analyze: warning: first\n"
