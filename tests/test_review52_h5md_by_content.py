"""Every part of the package knows an H5MD file the same way: by its content where it exists.

Four places kept their own suffix list (``(".h5", ".h5md")`` in analyze and select, the
bridge's in diagnose and intra_inter_errors, observables' own): a run_md trajectory renamed
``run.dat`` or saved as ``.hdf5`` was an H5MD file to ``from_ase`` but not to them (analyze's
``--dt`` went through to be refused later, its header count was not read, conductivity's
observable files were taken for other paths).
"""

import shutil

import pytest
from ase.build import bulk

from ase_electrolyte import trajectory
from electrolyte_cli.analyze import header_atoms
from mda_electrolyte import observables


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("h5md") / "run.h5md"
    atoms = bulk("Cu", cubic=True)
    with trajectory.H5MDWriter(path, atoms, forces=False) as w:
        for k in range(3):
            w.write(atoms, step=10 * k, time=0.01 * k)
    return path


NAMES = ["run.dat", "run.hdf5", "run", "RUN.H5"]


@pytest.mark.parametrize("name", NAMES)
def test_observables_knows_a_renamed_trajectory(run_file, tmp_path, name):
    renamed = tmp_path / name
    shutil.copy(run_file, renamed)
    assert observables.is_h5md_path(renamed)
    assert observables.is_h5md_path(renamed) == trajectory.is_h5md_path(renamed)


@pytest.mark.parametrize("name", NAMES)
def test_analyze_reads_the_atom_count_of_a_renamed_trajectory(run_file, tmp_path, name):
    renamed = tmp_path / name
    shutil.copy(run_file, renamed)
    assert header_atoms(renamed) == 4


def test_text_files_are_no_h5md(tmp_path):
    text = tmp_path / "frames.dat"
    text.write_text("2\n\nH 0 0 0\nH 0 0 0.74\n")
    assert not observables.is_h5md_path(text)
    assert not observables.is_h5md_path(None)


@pytest.mark.parametrize("module, name", [
    ("electrolyte_cli/analyze.py", '(".h5", ".h5md")'),
    ("electrolyte_cli/select.py", '(".h5", ".h5md")'),
    ("mda_electrolyte/diagnose.py", "_H5MD_SUFFIXES"),
    ("mda_electrolyte/intra_inter_errors.py", "_H5MD_SUFFIXES"),
    ("mda_electrolyte/observables.py", "_SUFFIXES ="),
])
def test_no_second_suffix_list(module, name):
    from pathlib import Path

    root = Path(trajectory.__file__).parents[1]
    assert name not in (root / module).read_text()
