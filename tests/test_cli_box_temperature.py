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
