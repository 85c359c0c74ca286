"""``electrolyte simulate`` packs the carbonates' O=C-O-C rotamers at the run's temperature.

The box builder draws each linear carbonate's rotamer from its Boltzmann ratio at
``temperature_K`` (Ju et al. 2025); the command called it without the temperature, so a run
at 400 K packed the rotamer mix of 298.15 K.
"""

import pytest

_PACKED = "packing reached"


@pytest.fixture
def packing(monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    calls = []

    def box(counts=None, **kwargs):
        calls.append(kwargs)
        raise ValueError(_PACKED)

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", box)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    return calls


@pytest.mark.parametrize("composition", [
    ["--counts", "Li=1,PF6=1,DMC=10"],
    ["--solvent", "EC:3,DMC:7", "--salt", "LiPF6", "--concentration", "1"],
])
@pytest.mark.parametrize("temperature", [None, "250", "400"])
def test_the_box_is_packed_at_the_runs_temperature(packing, composition, temperature, tmp_path,
                                                  capsys):
    from electrolyte_cli import main

    words = ["simulate", *composition, "--model", "sevennet-0", "-q", "-o", str(tmp_path / "o")]
    if temperature is not None:
        words += ["--temperature", temperature]
    assert main(words) == 2
    assert _PACKED in capsys.readouterr().err
    assert len(packing) == 1
    assert packing[0]["temperature_K"] == float(temperature or 298.0)


def test_an_implausible_temperature_is_doubted_once(monkeypatch, tmp_path, capsys):
    """The protocol's checks and the box builder both doubt 25 K ("is it in °C?"): one line."""
    import warnings

    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    def stop(*args, **kwargs):
        raise ValueError("model load reached")

    monkeypatch.setattr(cli_arguments, "make_calculator", stop)
    words = ["simulate", "--counts", "Li=1,PF6=1,DMC=3", "--model", "sevennet-0", "-q",
             "--temperature", "25", "-o", str(tmp_path / "o")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(words) == 2
    assert "model load reached" in capsys.readouterr().err  # the box was packed
    doubts = [w for w in caught if "°C" in str(w.message)]
    assert len(doubts) == 1, [str(w.message) for w in doubts]
    assert "--temperature 25" in str(doubts[0].message)
