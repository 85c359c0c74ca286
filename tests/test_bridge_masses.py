"""Masses that contradict the elements: refused, named, or (hydrogen mass of a run) restored.

Densities, molar masses, centres of mass and centre-of-mass motion take the Universe's masses.
``from_ase`` passed on whatever masses it was given: Atoms with a Li of mass 0 or 1.008 amu, or
the H5MD file of a run with ``hydrogen_mass=3`` (Ju et al. 2025's protocol), whose stored masses
are those it integrated with, gave a Universe 5.7 % heavier than the box (416.09 amu read as
439.99 amu) without a word. :func:`mda_electrolyte.molecules.check_masses` is the one check.
"""

import warnings

import numpy as np
import pytest
from ase.data import atomic_masses

from mda_electrolyte import from_ase
from mda_electrolyte.molecules import (
    MOLECULE_MASS_TOLERANCE,
    MassElementWarning,
    check_masses,
)

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase_electrolyte.build import electrolyte_box  # noqa: E402
from ase_electrolyte.species import get_species  # noqa: E402


@pytest.fixture(scope="module")
def box():
    return electrolyte_box(counts={"EC": 3, "Li": 1, "PF6": 1}, density=1.0, seed=0)


def _quiet(source):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return from_ase(source)


def _residue_masses(u):
    return {str(r.resname): float(r.atoms.masses.sum()) for r in u.residues}


def test_standard_masses_pass_and_give_the_species_masses(box):
    u = _quiet(box)
    for name, mass in _residue_masses(u).items():
        assert mass == pytest.approx(get_species(name).mass, abs=1e-9)


@pytest.mark.parametrize("value, match", [(0.0, "mass 0"), (np.nan, "nan amu"),
                                          (-6.94, "-6.94 amu"), (np.inf, "inf amu")])
def test_a_lithium_without_a_usable_mass_is_refused(box, value, match):
    atoms = box.copy()
    masses = atoms.get_masses()
    masses[atoms.numbers == 3] = value
    atoms.set_masses(masses)
    with pytest.raises(ValueError, match=match):
        from_ase(atoms)
    assert np.array_equal(atoms.get_masses(), masses, equal_nan=True)  # not changed


@pytest.mark.parametrize("element, mass", [(3, 1.008), (1, 3.0), (1, 2.014)])
def test_masses_that_change_a_molecules_mass_are_named(box, element, mass):
    # a Li of hydrogen's mass, hydrogen raised for MD without repartitioning, deuterium
    atoms = box.copy()
    masses = atoms.get_masses()
    masses[atoms.numbers == element] = mass
    atoms.set_masses(masses)
    with pytest.warns(MassElementWarning, match="total mass other than their elements'") as rec:
        u = from_ase(atoms)
    assert len(rec) == 1
    # the masses given are kept (isotopes may be meant): the warning says what they are
    assert np.allclose(u.atoms.masses, masses)


def test_hydrogen_mass_repartitioning_keeps_molecules_and_passes(box):
    # 2 amu from each heavy atom to each of its hydrogens: every molecule's total unchanged
    from mda_electrolyte.molecules import covalent_bonds

    atoms = box.copy()
    masses = atoms.get_masses()
    for a, b in covalent_bonds(atoms):
        h, heavy = (a, b) if atoms.numbers[a] == 1 else (b, a)
        if atoms.numbers[h] == 1 and atoms.numbers[heavy] > 1:
            masses[h] += 2.0
            masses[heavy] -= 2.0
    assert masses.max() > 3.0  # repartitioned
    atoms.set_masses(masses)
    u = _quiet(atoms)
    assert np.allclose(u.atoms.masses, masses)
    for name, mass in _residue_masses(u).items():
        assert mass == pytest.approx(get_species(name).mass, abs=1e-9)


def test_the_h5md_of_a_run_with_heavy_hydrogen_gives_the_real_masses(box, tmp_path):
    import h5py
    from ase.calculators.lj import LennardJones

    from ase_electrolyte.md import run_md
    from ase_electrolyte.units import GCM3_TO_AMU_PER_A3

    atoms = box.copy()
    atoms.calc = LennardJones(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)
    path = tmp_path / "hmr.h5md"
    run_md(atoms, ensemble="nvt", steps=4, timestep_fs=1.0, temperature_K=300,
           trajectory=path, write_interval=2, progress=False, hydrogen_mass=3.0)
    with h5py.File(path) as f:  # the real masses where readers look; the run's own kept apart
        stored = f["particles/trajectory/mass"][()]
        integrated = f["parameters/ase_electrolyte/integration_mass"][()]
        density = f["observables/density/value"][()]
    np.testing.assert_array_equal(stored, box.get_masses())
    assert set(integrated[box.numbers == 1].tolist()) == {3.0}
    u = _quiet(path)
    assert np.allclose(u.atoms.masses, box.get_masses(), rtol=0, atol=1e-12)
    # the Universe's density is the run's own (of the real masses)
    volume = np.linalg.det(box.cell.array)
    assert u.atoms.masses.sum() / volume / GCM3_TO_AMU_PER_A3 == pytest.approx(density[0],
                                                                               rel=1e-9)


def test_virtual_sites_of_no_mass_beside_massive_atoms_pass():
    # TIP4P: O, H, H and a massless site M of no element; a molecule of sites alone has none
    numbers = np.array([8, 1, 1, 0])
    masses = np.array([atomic_masses[8], atomic_masses[1], atomic_masses[1], 0.0])
    ids = np.zeros(4, dtype=int)
    assert np.array_equal(check_masses(numbers, masses, ids, "TIP4P"), masses)
    with pytest.raises(ValueError, match="molecule 1 has no mass"):
        check_masses(np.array([8, 0]), np.array([16.0, 0.0]), np.array([0, 1]), "sites")


def test_mass_tables_agree_within_the_tolerance_and_one_deuterium_does_not():
    # MDAnalysis' table (P 30.97376, S 32.06; it has no Li, whose guessed mass is 0) against
    # ASE's: within the tolerance for every library species; one D instead of H is beyond it
    from ase.data import atomic_numbers
    from MDAnalysis.guesser.tables import masses as mda_masses

    from ase_electrolyte.species import IONS, SOLVENTS

    for sp in {**SOLVENTS, **IONS}.values():
        table = np.array([mda_masses.get(s.upper(), atomic_masses[atomic_numbers[s]])
                          for s in sp.symbols])
        numbers = np.array([sp.rdkit_mol.GetAtomWithIdx(k).GetAtomicNum()
                            for k in range(sp.n_atoms)])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_masses(numbers, table, np.zeros(sp.n_atoms, dtype=int), sp.name)
    assert 2.014 - atomic_masses[1] > MOLECULE_MASS_TOLERANCE
