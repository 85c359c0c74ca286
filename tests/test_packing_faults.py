"""PACKMOL that cannot start, fails, cannot pack, or writes the wrong structure: a named error.

Each fault ends in one RuntimeError (or a ValueError before packing) saying what happened, never
a bare OSError, an IndexError from reading its output, or a box of the wrong atoms.
"""

import stat
import warnings

import numpy as np
import pytest

import ase_electrolyte.build as build
from ase_electrolyte.build import MIN_TOLERANCE, electrolyte_box


def _fake_packmol(tmp_path, monkeypatch, body, executable=True):
    """A stand-in packmol: a shell script run in PACKMOL's working folder."""
    exe = tmp_path / "packmol"
    exe.write_text("#!/bin/sh\ncat > /dev/null\n" + body)
    if executable:
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(build, "packmol_executable", lambda: str(exe))
    return exe


# EC: 10 atoms per molecule; counts {"EC": 3} → 30 atoms
_XYZ_ONE_ATOM = "printf '1\\nx\\nC 0 0 0\\n' > packed.xyz\n"
_XYZ_NAN = ("{ echo 30; echo x; for i in $(seq 30); do echo 'C nan 0 0'; done; } > packed.xyz\n")


@pytest.mark.parametrize("body, executable, match", [
    ("exit 0\n", False, r"PACKMOL at .*packmol could not be started \(Permission denied\)"),
    ("exit 1\n", True, r"failed with exit code 1 and wrote no packed structure:\n\(it printed "
                       r"nothing\)"),
    ("echo 'Success!'\nexit 0\n", True, "exit code 0 and wrote no packed structure"),
    ("echo 'ERROR: bad input'\nexit 0\n", True, "failed with exit code 0 and wrote no packed"),
    (_XYZ_ONE_ATOM + "echo 'Success!'\n", True,
     "reported success but its packed.xyz does not hold 30 finite positions"),
    (_XYZ_NAN + "echo 'Success!'\n", True, "does not hold 30 finite positions"),
    ("printf 'x\\n' > packed.xyz\necho 'Success!'\n", True, "does not hold 30 finite"),
    # its best, overlapping, attempt: the density and tolerance named
    (_XYZ_ONE_ATOM + "echo 'ENDED WITHOUT PERFECT PACKING'\nexit 173\n", True,
     r"could not pack the molecules into the .* Å box \(1.3 g/cm³\) with 2.0 Å between"),
    (_XYZ_ONE_ATOM + "exit 0\n", True, r"could not pack the molecules .* \(1.3 g/cm³\)"),
])
def test_packmol_faults_are_named(tmp_path, monkeypatch, body, executable, match):
    _fake_packmol(tmp_path, monkeypatch, body, executable)
    with pytest.raises(RuntimeError, match=match):
        electrolyte_box(counts={"EC": 3}, density=1.3, seed=0)


def test_a_density_that_cannot_be_packed_names_itself():
    """Real PACKMOL: 2.1 g/cm³ of EC (1.32 measured) is not packed 2 Å apart in 5 loops.

    (2.5 g/cm³, used before, is now refused before PACKMOL: test_packability.py.)
    """
    with pytest.raises(RuntimeError, match=r"could not pack .* \(2.1 g/cm³\) with 2.0 Å between "
                                           "molecules; give a lower density"):
        electrolyte_box(counts={"EC": 10}, density=2.1, seed=0, packmol_nloop=5)


@pytest.mark.parametrize("kw, match", [
    ({"tolerance": 1e-7}, r"tolerance \(Å\) must be a finite number >= 0.5, got 1e-07"),
    ({"tolerance": 0.0}, r"tolerance \(Å\) must be a finite number >= 0.5"),
    ({"tolerance": MIN_TOLERANCE - 0.01}, r"tolerance \(Å\) must be"),
    # (a 527 Å box / 0.55 Å)³ = 8.8e8 cells: PACKMOL would allocate gigabytes
    ({"tolerance": 0.5, "density": 1e-5}, r"needs 8.79e\+08 PACKMOL cells .* higher density"),
])
def test_tolerances_packmol_cannot_grid_are_refused_before_packing(kw, match, monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("conformers or PACKMOL were started")

    monkeypatch.setattr(build, "conformer", started)
    monkeypatch.setattr(build, "_run_packmol", started)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 1e-5 g/cm³ is also implausible
        with pytest.raises(ValueError, match=match):
            electrolyte_box(counts={"EC": 10}, seed=0, **kw)


def test_the_packed_box_holds_what_was_asked():
    """Element counts, molecule identities and charge of the box against the request."""
    atoms = electrolyte_box({"EC": 1, "DMC": 1}, "LiPF6", 1.0, ratio="mole", n_atoms=120,
                            seed=3, tolerance=MIN_TOLERANCE + 1.0)
    comp = atoms.info["composition"]
    from ase_electrolyte.species import get_species

    expected = {}
    for name, n in comp.items():
        for s in get_species(name).symbols:
            expected[s] = expected.get(s, 0) + n
    symbols, counts = np.unique(atoms.get_chemical_symbols(), return_counts=True)
    assert dict(zip(symbols.tolist(), counts.tolist(), strict=True)) == expected
    assert comp["Li"] == comp["PF6"] >= 1 and comp["EC"] == comp["DMC"]
    assert int(atoms.arrays["formal_charge"].sum()) == 0
    mol = atoms.arrays["molecule_index"]
    species = atoms.arrays["molecule_species"]
    for k in np.unique(mol):
        names = set(species[mol == k])
        assert len(names) == 1  # one species per molecule, of its own atom count
        assert np.sum(mol == k) == get_species(names.pop()).n_atoms
    assert len(np.unique(mol)) == sum(comp.values())
