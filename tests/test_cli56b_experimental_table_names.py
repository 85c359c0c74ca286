"""Every refusal of a screen's experimental table names the file the same way: its path as
read, shown by the terminal as any path of the command line is (quoted whole when whitespace in
it would be collapsed).

Before: a missing column named the plan's table by its resolved path and a bad row by its bare
name ('experimental table /data/plans/exp.csv: missing column(s)' beside 'experimental table
exp.csv, row 1: 4 fields'), a missing table by its repr; and under a folder named with two
spaces the terminal quoted the folder given inside the absolute path
("/tmp/'my  plans/exp.csv'").
"""

import pytest

pytest.importorskip("pandas")

_HEADER = "solvent,salt,concentration,property,value"
_PLAN = """seed = 1
replicas = 1
temperatures = [298]
n_atoms = 1300
analyses = ["diffusion"]
experimental = "exp.csv"
[model]
calculator = "ase.calculators.emt:EMT"
[[composition]]
solvent = "EC"
salt = "LiPF6"
concentration = 1.0
"""

#: A faulty table and words of its refusal, one of each place a refusal is made.
TABLES = [
    ("solvent,salt,concentration,value\nEC,LiPF6,1.0,1.3\n", ": missing column(s) ['property']"),
    (f"{_HEADER},colour\nEC,LiPF6,1.0,density,1.3,red\n", ": unknown column(s) ['colour']"),
    (f"{_HEADER},Value\nEC,LiPF6,1.0,density,1.3,1\n", ": column(s) ['value'] given twice"),
    (f"{_HEADER}\n", ": a header but no rows"),
    (f"{_HEADER}\nEC,LiPF6,1.0,density\n", ", row 1: 4 fields"),
    (f"{_HEADER}\nEC,LiPF6,1.0,density,1.3\nEC,LiPF7,1.0,density,1.3\n",
     ", row 2: unknown salt 'LiPF7'"),
    (f"{_HEADER}\nEC,LiPF6,1.0,density,-1\n", ", row 1: density must be > 0"),
    (f"{_HEADER}\nEC,LiPF6,1.0,density,1.3 g/cm3\n", ", row 1: value"),
    (None, " does not exist"),
]


@pytest.mark.parametrize("folder", ["plans", "my  plans"])
# a missing --experimental file is the command line's to refuse ('--experimental PATH: no such
# file'), before the plan is read
@pytest.mark.parametrize("table, words, given", [
    (table, words, given) for table, words in TABLES for given in ("plan", "option")
    if table is not None or given == "plan"])
def test_each_refusal_names_the_table_by_its_path(tmp_path, monkeypatch, capsys, folder, table,
                                                  words, given):
    from electrolyte_cli import main
    from electrolyte_cli.arguments import shown_path

    monkeypatch.chdir(tmp_path)
    (tmp_path / folder).mkdir()
    plan = tmp_path / folder / "plan.toml"
    plan.write_text(_PLAN if given == "plan" else _PLAN.replace('experimental = "exp.csv"\n',
                                                                ""))
    if table is not None:
        (tmp_path / folder / "exp.csv").write_text(table)
    argv = ["screen", f"{folder}/plan.toml", "-o", "out"]
    if given == "option":
        argv += ["--experimental", f"{folder}/exp.csv"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    # the table is named by its path as the library read it: resolved beside a plan, as
    # typed after --experimental
    path = (tmp_path / folder / "exp.csv").resolve() if given == "plan" else f"{folder}/exp.csv"
    assert f"experimental table {shown_path(path)}{words}" in err, err
    assert err.count("exp.csv") == 1, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("typed", ["my  plans", "my\tplans", "a\nb"])
def test_a_path_given_is_shown_whole_inside_its_absolute_form(tmp_path, monkeypatch, typed):
    """A name given relative, met in the text under its absolute path, is quoted with it."""
    from electrolyte_cli.arguments import one_line, shown_path

    monkeypatch.chdir(tmp_path)
    full = tmp_path.resolve() / typed / "exp.csv"
    said = one_line(f"experimental table {full}: missing column(s)", [f"{typed}/plan.toml"])
    assert said == f"experimental table {shown_path(full)}: missing column(s)"
    # the name as typed is still shown as typed
    assert one_line(f"file {typed}/x: gone", [typed]) == f"file {shown_path(f'{typed}/x')}: gone"


def test_a_word_that_is_no_path_leaves_the_line_as_it_was(tmp_path, monkeypatch):
    """A NUL in a word of the command line (main(argv) from Python) has no absolute form; the
    error line naming it is still made."""
    from electrolyte_cli.arguments import one_line

    monkeypatch.chdir(tmp_path)
    # shown as shown_path shows any odd name: quoted
    assert one_line("bad  word:\n a\x00b", ["a\x00b", "my  plans"]) == "bad word: 'a\\x00b'"
