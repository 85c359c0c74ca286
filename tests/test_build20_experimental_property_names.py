"""An experimental table's property names are checked when it is read, not after the screen.

A summary holds ``density``, ``conductivity_gk``, ``conductivity_eh``, ``viscosity``,
``D_<library species>``, ``SSIP``/``CIP``/``AGG`` and ``<analysis>.<key>``; a row named
otherwise (``Density``, ``D_li``, ``densty``) was compared with nothing, which only a warning
after the last simulation said. The plan's check runs before any task.
"""

import pytest

pytest.importorskip("pandas")

from ase_electrolyte.screen import PlanError, load_plan  # noqa: E402
from ase_electrolyte.screen.aggregate import read_experimental  # noqa: E402
from ase_electrolyte.screen.properties import task_properties  # noqa: E402
from ase_electrolyte.species import IONS, SOLVENTS  # noqa: E402

HEADER = "solvent,salt,concentration,property,value\n"


def _table(tmp_path, prop, value="1.2"):
    path = tmp_path / "exp.csv"
    path.write_text(HEADER + f"EC,LiPF6,1.0,{prop},{value}\n")
    return path


@pytest.mark.parametrize("prop, hint", [
    ("Density", "did you mean 'density'"),
    ("densty", "did you mean 'density'"),
    ("DENSITY", "did you mean 'density'"),
    ("conductivity", "did you mean 'conductivity_gk' or 'conductivity_eh'"),
    ("Conductivity_GK", "did you mean 'conductivity_gk'"),
    ("viscosty", "did you mean 'viscosity'"),
    ("cip", "did you mean 'CIP'"),
    ("D_li", "did you mean 'D_Li'"),
    ("d_PF6", "did you mean 'D_PF6'"),
    ("D_pf6-", "did you mean 'D_PF6'"),
    ("D_ethylene carbonate", "did you mean 'D_EC'"),
    ("D_Xq", "'Xq' is no species of the library"),
    ("sigma", "the summary's names: "),
])
def test_a_name_no_summary_has_is_refused_with_the_name_meant(tmp_path, prop, hint):
    with pytest.raises(PlanError, match=f"row 1: property '{prop}'") as err:
        read_experimental(_table(tmp_path, prop))
    assert hint in str(err.value)


def test_every_name_a_task_can_report_is_accepted(tmp_path):
    """The names task_properties gives a task (the function the summary is made of), for every
    library species' diffusion coefficient, pass the check."""
    est = {"value": 1.0, "stderr": 0.1, "converged": True, "verdict": "valid"}
    summary = {
        "green_kubo_conductivity": {"sigma": {**est, "unit": "mS/cm"}},
        "einstein_helfand_conductivity": {"sigma": {**est, "unit": "mS/cm"}},
        "viscosity": {"viscosity": {**est, "unit": "mPa*s"}},
        "diffusion": {"D": {name: {**est, "value": 1e-10, "unit": "m^2/s"}
                            for name in (*SOLVENTS, *IONS)}},
        "solvation_shells": {"fractions": {"SSIP": 0.5, "CIP": 0.3, "AGG": 0.2},
                             "t_plus": {**est, "value": 0.4, "unit": "1"}},
    }
    names = set(task_properties({"density": {**est, "unit": "g/cm^3"}}, summary))
    assert {"density", "conductivity_gk", "conductivity_eh", "viscosity", "D_Li", "D_EC",
            "SSIP", "CIP", "AGG", "solvation_shells.t_plus"} <= names
    for name in sorted(names):
        value = "0.3" if name in ("SSIP", "CIP", "AGG") else "1.2"
        rows = read_experimental(_table(tmp_path, name, value))
        assert rows[0]["property"] == name


def test_the_plan_refuses_the_table_before_any_task(tmp_path):
    path = _table(tmp_path, "D_li")
    with pytest.raises(PlanError, match="did you mean 'D_Li'"):
        load_plan({"model": {"calculator": "ase.calculators.emt:EMT"},
                   "experimental": str(path),
                   "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}]})
