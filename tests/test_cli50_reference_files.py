"""``electrolyte diagnose --reference FILE`` of a file that holds no labelled frames says what
``--reference`` takes, not what a trajectory is.

Before: ``--reference production.h5md`` (the run's own H5MD file) was refused with "not a
trajectory format that can be read (h5md); give an H5MD file of run_md, an ASE .traj/.extxyz
file, or a LAMMPS data file with a dump": the cure named the very file refused. So was an
empty file, or a JSON file that is no ASE database. Now each refusal names ``--reference`` and
its cure: labelled frames (extxyz, ASE database) or a model name; all before the trajectory is
read or the model loaded.
"""

import pytest
from cli_inputs import water_frames

_CURE = ("give labelled frames (an extxyz file or ASE database with reference energies or "
         "forces) or a model name")


@pytest.fixture
def nothing_read(monkeypatch):
    """Reading the trajectory or loading a model fails the test."""
    import electrolyte_cli.arguments
    import mda_electrolyte.bridge

    def forbidden(*args, **kwargs):
        raise AssertionError("read or loaded before the refusal")

    monkeypatch.setattr(mda_electrolyte.bridge, "from_ase", forbidden)
    monkeypatch.setattr(electrolyte_cli.arguments, "make_calculator", forbidden)


def _h5md(path):
    import h5py

    with h5py.File(path, "w") as f:
        f.create_group("h5md")
    return path


@pytest.mark.parametrize("name, write, reason", [
    ("production.h5md", _h5md, "not a frames file ase.io can read (h5md)"),
    ("labels.H5", _h5md, "not a frames file ase.io can read (h5)"),
    ("plan.toml", lambda p: p.write_text("[x]\n"), "not a frames file ase.io can read (toml)"),
    ("labels.extxyz", lambda p: p.write_text(""),
     "not a frames file ase.io can read (Empty file: "),
])
def test_a_file_of_no_frames_is_refused_with_the_reference_cure(name, write, reason, tmp_path,
                                                                 capsys, nothing_read):
    from electrolyte_cli import main

    traj = water_frames(tmp_path / "w.extxyz")
    reference = tmp_path / name
    write(reference)
    status = main(["diagnose", str(traj), "--model", "sevennet-0", "--reference",
                   str(reference), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"electrolyte diagnose: error: --reference {reference}: {reason}"), err
    assert err.endswith(f"; {_CURE}\n"), err
    assert "H5MD file of run_md" not in err
    assert not (tmp_path / "out").exists()


def test_an_unreadable_database_is_refused_with_the_reference_cure(tmp_path, capsys,
                                                                   nothing_read):
    """A ``.json`` file is taken for an ASE database by its name and read: refused with the
    reader's reason and ``--reference``'s cure."""
    from electrolyte_cli import main

    traj = water_frames(tmp_path / "w.extxyz")
    reference = tmp_path / "summary.json"
    reference.write_text('{"density": 1.2}')
    status = main(["diagnose", str(traj), "--model", "sevennet-0", "--reference",
                   str(reference), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "--reference" in err, err
    assert err.endswith(f"; {_CURE}\n"), err
    assert "H5MD file of run_md" not in err


def test_a_labelled_extxyz_is_read_as_the_reference(tmp_path, monkeypatch):
    """The check lets a labels file through to be read (then the trajectory)."""
    from electrolyte_cli import main

    traj = water_frames(tmp_path / "w.extxyz")
    labels = water_frames(tmp_path / "labels.extxyz")

    class Reached(BaseException):  # past the command's own handling of errors
        pass

    def reached(*args, **kwargs):
        raise Reached(args)

    monkeypatch.setattr("mda_electrolyte.bridge.read_ase_frames", reached)
    with pytest.raises(Reached) as found:
        main(["diagnose", str(traj), "--model", "sevennet-0", "--reference", str(labels),
              "-o", str(tmp_path / "out")])
    assert str(found.value.args[0][0]) == str(labels)
