"""simulation.json holds the composition the counts make, per ion and per species, as the box
records it (only the total cation molality was written: nothing per ion for a box of several
salts, no mass fractions)."""

import json
import warnings

import pytest
from test_cli_interrupted import _ARGV, _argon_box, _SignallingLJ

from ase_electrolyte.build import _counted_composition
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.species import get_species

_COUNTS = {"EC": 30, "Li": 2, "Na": 1, "PF6": 3}


def _box_with_composition(**kwargs):
    atoms = _argon_box(**kwargs)
    atoms.info["counted_composition"] = _counted_composition(
        {get_species(k): n for k, n in _COUNTS.items()})
    return atoms


def test_simulation_json_records_the_counted_composition(tmp_path):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    out = tmp_path / "run"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _box_with_composition)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
        assert main(_ARGV + ["-o", str(out)]) == 0
    record = json.loads((out / "simulation.json").read_text())["counted_composition"]
    # as read back from the packed box's extxyz, to JSON precision
    molality = {k: Estimate.from_dict(v).to("mol/kg").value
                for k, v in record["ion_molality"].items()}
    ec = get_species("EC").mass * 30 / 1000.0  # kg of solvent
    assert molality["Li"] == pytest.approx(2 / ec, rel=1e-12)
    assert molality["Na"] == pytest.approx(1 / ec, rel=1e-12)
    assert molality["PF6"] == pytest.approx(3 / ec, rel=1e-12)
    fractions = [Estimate.from_dict(v) for v in record["mass_fractions"].values()]
    assert sum(f.to("1").value for f in fractions) == pytest.approx(1.0, rel=1e-12)
    assert all(f.stderr == 0 and f.valid and f.method.startswith("exact") for f in fractions)
