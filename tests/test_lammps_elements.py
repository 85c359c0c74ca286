"""Elements of a LAMMPS data + dump pair: from the data file's masses, checked against the dump.

LAMMPS types carry no element. A data file without a Masses section was read with every atom
hydrogen (MDAnalysis gives mass 0, the nearest element's mass is H's), and a dump whose
``element`` column contradicts the types' masses (``dump_modify element`` in another order) was
read from the masses without a word.
"""

import re

import ase.io
import numpy as np
import pytest
from ase.build import bulk
from ase.data import atomic_masses, atomic_numbers

from mda_electrolyte.bridge import from_ase

# rock salt: ase writes the types in sorted order, Cl = 1, Na = 2
_TYPES = {"Cl": 1, "Na": 2}


def _pair(tmp_path, *, masses=True, elements=("Cl", "Na"), mass_edit=None):
    """A data file of NaCl (with or without a Masses section) and a two-frame dump.

    ``elements`` are what the dump's element column names types 1 and 2 (``None``: no column).
    """
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    data = tmp_path / "nacl.data"
    ase.io.write(data, atoms, format="lammps-data", masses=masses, atom_style="atomic",
                 specorder=["Cl", "Na"])
    if mass_edit:
        data.write_text(re.sub(mass_edit[0], mass_edit[1], data.read_text()))
    columns = "id type element x y z" if elements else "id type x y z"
    text = ""
    for k in range(2):
        text += (f"ITEM: TIMESTEP\n{10 * k}\nITEM: NUMBER OF ATOMS\n{len(atoms)}\n"
                 "ITEM: BOX BOUNDS pp pp pp\n" + "0.0 5.64\n" * 3 + f"ITEM: ATOMS {columns}\n")
        for i, (s, p) in enumerate(zip(atoms.get_chemical_symbols(), atoms.positions,
                                       strict=True)):
            t = _TYPES[s]
            name = f" {elements[t - 1]}" if elements else ""
            text += f"{i + 1} {t}{name} {p[0] + 0.01 * k:.4f} {p[1]:.4f} {p[2]:.4f}\n"
    dump = tmp_path / "nacl.dump"
    dump.write_text(text)
    return data, dump, atoms


def _read(data, dump):
    return from_ase(data, dump=dump, dt=0.01, lammps_atom_style="id type x y z")


@pytest.mark.parametrize("masses,elements", [
    (True, ("Cl", "Na")),  # both say the same
    (True, None),  # the masses alone
    (False, ("Cl", "Na")),  # no Masses section: the dump names the elements (was all H)
])
def test_elements_and_masses_come_out_right(masses, elements, tmp_path):
    data, dump, atoms = _pair(tmp_path, masses=masses, elements=elements)
    u = _read(data, dump)
    assert list(u.atoms.elements) == atoms.get_chemical_symbols()
    np.testing.assert_allclose(u.atoms.masses, atoms.get_masses(), atol=1e-3)
    assert u.trajectory.n_frames == 2


def test_a_dump_naming_the_types_in_another_order_is_refused(tmp_path):
    data, dump, _ = _pair(tmp_path, elements=("Na", "Cl"))
    with pytest.raises(ValueError, match=r"element column names atom 1 \(type 2\) Cl, but the "
                       r"data file .* mass 22.98\d* amu of Na.*dump_modify element"):
        _read(data, dump)


def test_a_data_file_without_masses_and_a_dump_without_elements_is_refused(tmp_path):
    data, dump, _ = _pair(tmp_path, masses=False, elements=None)
    with pytest.raises(ValueError, match=r"nacl.data: atom type 2 has no mass \(the data file "
                       r"has no Masses section\?\), so its element is unknown"):
        _read(data, dump)


def test_a_mass_of_no_element_is_named_by_the_dump_or_refused(tmp_path):
    # Na given 21.5 amu (as repartitioned hydrogen or an isotope would be): more than 0.5 amu
    # from every element (Ne 20.18, Na 22.99)
    edit = (r"(\n2 +)[0-9.]+", r"\g<1>21.5")
    data, dump, atoms = _pair(tmp_path, elements=None, mass_edit=edit)
    with pytest.raises(ValueError, match=r"atom type 2 has the mass 21.5 amu, which is no "
                       r"element's"):
        _read(data, dump)
    data, dump, atoms = _pair(tmp_path, elements=("Cl", "Na"), mass_edit=edit)
    u = _read(data, dump)
    assert list(u.atoms.elements) == atoms.get_chemical_symbols()
    na = u.atoms.elements == "Na"
    np.testing.assert_allclose(u.atoms.masses[na], 21.5)  # the data file's mass is kept
    np.testing.assert_allclose(u.atoms.masses[~na], atomic_masses[atomic_numbers["Cl"]],
                               atol=1e-3)


def test_an_element_column_of_no_elements_is_refused(tmp_path):
    data, dump, _ = _pair(tmp_path, elements=("X1", "Na"))
    with pytest.raises(ValueError, match=r"names \['X1'\], which are no chemical elements"):
        _read(data, dump)
