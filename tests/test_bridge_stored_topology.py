"""A stored topology that contradicts its atoms is refused by name, from H5MD files and Atoms.

``from_ase`` took the molecule index of an H5MD file as stored: two EC under one index were
read as one neutral "EC" of 20 atoms, a PF6⁻ atom's index swapped with an EC atom's gave an EC
of charge -1, a negative or fractional index was cast, and species names that contradict the
compositions were kept, all without a word. The file's topology is now checked as the
Atoms' is (:func:`mda_electrolyte.molecules.check_stored_molecules`), naming the file.
"""

import shutil
import warnings

import h5py
import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase.calculators.lj import LennardJones  # noqa: E402

from ase_electrolyte.build import electrolyte_box  # noqa: E402
from ase_electrolyte.md import run_md  # noqa: E402
from ase_electrolyte.topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES  # noqa: E402
from mda_electrolyte import from_ase  # noqa: E402

INDEX = f"parameters/ase_electrolyte/{MOLECULE_INDEX}"
NAMES = "parameters/ase_electrolyte/species_name"
CHARGE = "particles/trajectory/charge"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    atoms = electrolyte_box(counts={"EC": 3, "Li": 1, "PF6": 1}, density=1.0, seed=0)
    atoms.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
    path = tmp_path_factory.mktemp("stored") / "run.h5md"
    run_md(atoms, ensemble="nvt", steps=4, timestep_fs=1.0, temperature_K=300,
           trajectory=path, write_interval=2, progress=False)
    return path, atoms


def _first(names, name):
    return int(np.flatnonzero(names == name)[0])


# each edit: (index, names, charges) -> edited copies; the box holds EC 0-2, Li, PF6
def _merge_two_ec(ids, names, charges):
    ec = np.unique(ids[names == "EC"])
    ids[ids == ec[1]] = ec[0]


def _split_off_one_hydrogen(ids, names, charges, numbers):
    # the H keeps no other atom: each index one bonded group, but an EC C–H bond joins two
    h = np.flatnonzero((names == "EC") & (numbers == 1))[0]
    ids[h] = ids.max() + 1


def _swap_pf6_and_ec_atoms(ids, names, charges):
    f = np.flatnonzero((names == "PF6"))[-1]
    e = _first(names, "EC")
    ids[f], ids[e] = ids[e], ids[f]


def _negative(ids, names, charges):
    ids[0] = -3


def _rename_all_ec(ids, names, charges):
    names[names == "PF6"] = "EC"


def _charge_one_ec(ids, names, charges):
    charges[_first(names, "EC")] = 1


EDITS = {
    "two EC under one index": (_merge_two_ec, "several covalently bonded groups"),
    "an H split off its EC": (_split_off_one_hydrogen, "covalent bond.* join atoms of two "
                                                       "molecules"),
    "a PF6 atom swapped with an EC atom": (_swap_pf6_and_ec_atoms,
                                           "several covalently bonded groups"),
    "a negative index": (_negative, "negative molecule_index"),
    "PF6 named EC": (_rename_all_ec, "molecules named 'EC' are"),
    "one EC charged": (_charge_one_ec, "formal charges"),
}


def _apply(edit, ids, names, charges, numbers):
    if edit is _split_off_one_hydrogen:
        edit(ids, names, charges, numbers)
    else:
        edit(ids, names, charges)


@pytest.mark.parametrize("case", sorted(EDITS))
def test_an_edited_h5md_topology_is_refused_naming_the_file(case, run, tmp_path):
    path, atoms = run
    edit, match = EDITS[case]
    broken = tmp_path / "edited.h5md"
    shutil.copy(path, broken)
    with h5py.File(broken, "r+") as f:
        ids, charges = f[INDEX][()], f[CHARGE][()]
        names = np.asarray(f[NAMES].asstr()[()], dtype=object)
        _apply(edit, ids, names, charges, f["particles/trajectory/species"][()])
        f[INDEX][...] = ids
        f[CHARGE][...] = charges
        del f[NAMES]
        f.create_dataset(NAMES, data=names, dtype=h5py.string_dtype())
    with pytest.raises(ValueError, match=match) as err:
        from_ase(broken)
    assert str(broken) in str(err.value) and "stored topology" in str(err.value)


def test_a_fractional_stored_index_is_refused(run, tmp_path):
    path, _ = run
    broken = tmp_path / "fraction.h5md"
    shutil.copy(path, broken)
    with h5py.File(broken, "r+") as f:
        ids = f[INDEX][()].astype(np.float64) + 0.5  # a cast made 0.5 molecule 0
        del f[INDEX]
        f.create_dataset(INDEX, data=ids)
    with pytest.raises(ValueError, match="whole numbers") as err:
        from_ase(broken)
    assert str(broken) in str(err.value)


def test_the_unedited_file_and_atoms_give_the_builders_molecules(run):
    path, atoms = run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = from_ase(path)
    ids = atoms.arrays[MOLECULE_INDEX]
    assert [r.atoms.ix.tolist() for r in u.residues] == \
        [np.flatnonzero(ids == j).tolist() for j in np.unique(ids)]
    assert u.residues.resnames.tolist() == ["EC", "EC", "EC", "Li", "PF6"]
    assert [int(r.atoms.formalcharges.sum()) for r in u.residues] == [0, 0, 0, 1, -1]


@pytest.mark.parametrize("case", sorted(EDITS))
def test_the_same_edits_of_atoms_are_refused(case, run):
    _, atoms = run
    edit, match = EDITS[case]
    edited = atoms.copy()
    edited.calc = None
    ids = edited.arrays[MOLECULE_INDEX].copy()
    names = edited.arrays[SPECIES].astype(object)
    charges = edited.arrays[FORMAL_CHARGE].copy()
    _apply(edit, ids, names, charges, edited.numbers)
    for key, value in ((MOLECULE_INDEX, ids), (SPECIES, names.astype(str)),
                       (FORMAL_CHARGE, charges)):
        del edited.arrays[key]
        edited.new_array(key, value)
    before = {k: v.copy() for k, v in edited.arrays.items()}
    with pytest.raises(ValueError, match=match):
        from_ase(edited)
    # the caller's Atoms are as they were
    assert before.keys() == edited.arrays.keys()
    for key, value in before.items():
        assert np.array_equal(value, edited.arrays[key])


def test_a_molecule_of_several_species_names_is_refused(run):
    _, atoms = run
    edited = atoms.copy()
    names = edited.arrays[SPECIES].copy()
    ec = np.flatnonzero(names == "EC")
    names[ec[1]] = "PF6"  # the first atom's name was taken for the molecule's
    edited.arrays[SPECIES] = names
    with pytest.raises(ValueError, match=r"several species names.*\['EC', 'PF6'\]"):
        from_ase(edited)


def test_frames_of_different_topologies_are_refused_naming_the_frame(run):
    _, atoms = run
    other = atoms.copy()
    # another box's topology on the same elements: the index read backwards
    other.arrays[MOLECULE_INDEX] = other.arrays[MOLECULE_INDEX][::-1].copy()
    same = atoms.copy()
    for frames in ([atoms, same, other], [atoms, other]):
        with pytest.raises(ValueError, match=f"frame {len(frames) - 1} carries other topology"):
            from_ase(frames, dt=0.1)
    # frames of one run (arrays equal, or numbered alike) are one trajectory
    renumbered = atoms.copy()
    ids = atoms.arrays[MOLECULE_INDEX]
    renumbered.arrays[MOLECULE_INDEX] = ids.max() - ids + 7  # the same molecules
    assert from_ase([atoms, same, renumbered], dt=0.1).trajectory.n_frames == 3
