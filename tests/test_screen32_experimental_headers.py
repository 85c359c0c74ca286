"""Headers of the experimental table: any case reads as the column, and a unit written into
a header is refused with that column's own place for it.

'Solvent', 'Temperature_K' (a spreadsheet's capitals) were refused as unknown columns;
'temperature (K)' was an unknown column with no hint; 'concentration (mol/kg)' was told to give
its unit in the 'unit' column, which holds the unit of value and error only."""

import pytest

pytest.importorskip("pandas")

from ase_electrolyte.screen import PlanError  # noqa: E402
from ase_electrolyte.screen.aggregate import read_experimental  # noqa: E402


def _table(tmp_path, header, row):
    path = tmp_path / "exp.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    return path


def test_headers_in_any_case_read_as_the_columns(tmp_path):
    lower = read_experimental(_table(tmp_path, "solvent,salt,concentration,property,value,"
                                     "temperature_K,unit", "EC,LiPF6,1.0,density,1.3,300,g/cm3"))
    upper = read_experimental(_table(tmp_path, "Solvent,SALT,Concentration,Property,Value,"
                                     "Temperature_K,Unit", "EC,LiPF6,1.0,density,1.3,300,g/cm3"))
    assert [(r["key"], r["value"], r["unit"]) for r in upper] == [
        (r["key"], r["value"], r["unit"]) for r in lower]
    assert upper[0]["key"][-2:] == (300.0, "density")
    with pytest.raises(PlanError, match=r"column\(s\) \['solvent'\] given twice"):
        read_experimental(_table(tmp_path, "solvent,Solvent,salt,concentration,property,value",
                                 "EC,EC,LiPF6,1.0,density,1.3"))


@pytest.mark.parametrize("column, advice", [
    ("value (g/cm3)", "name it 'value' and give the unit of value and error in a 'unit' column"),
    ("temperature (K)", "name it 'temperature_K' and give kelvin"),
    ("Temperature [°C]", "name it 'temperature_K' and give kelvin (25 °C = 298.15 K)"),
    ("concentration (mol/kg)", "name it 'concentration' and give its unit in a 'units' column"),
])
def test_a_unit_in_a_header_is_refused_naming_where_it_goes(tmp_path, column, advice):
    names = ["solvent", "salt", "concentration", "property", "value"]
    header = ",".join(column if column.split()[0].lower() == n else n for n in names)
    if column.lower().startswith("temperature"):
        header += f",{column}"
    with pytest.raises(PlanError, match="column") as err:
        read_experimental(_table(tmp_path, header, "EC,LiPF6,1.0,density,1.3" + (
            ",300" if column.lower().startswith("temperature") else "")))
    assert f"column {column!r}: {advice}" in str(err.value)
