"""from_ase on frames that are not one trajectory's, and on frames' forces and velocities.

Atoms reordered between frames (a program that sorts them), forces of a calculator that holds
none or holds them for other positions, non-finite forces or velocities: each is refused naming
the frame, or read without touching the caller's Atoms and calculators.
"""

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.calculator import Calculator
from ase.calculators.singlepoint import SinglePointCalculator

from mda_electrolyte import from_ase
from mda_electrolyte.bridge import BROKEN_BOND_SLACK


def _box():
    """Two EMC and a water in a 14 Å box, molecules several Å apart (no topology arrays)."""
    from ase_electrolyte.build import conformer

    parts = []
    for shift, name in (([3.0, 3.0, 3.0], "EMC"), ([10.0, 9.0, 8.0], "EMC"),
                        ([3.0, 10.0, 10.0], "H2O")):
        m = conformer(name, seed=0)
        m = Atoms(m.numbers, m.positions + shift)
        parts.append(m)
    atoms = parts[0] + parts[1] + parts[2]
    atoms.cell = [14.0, 14.0, 14.0]
    atoms.pbc = True
    return atoms


def _frames(n=3, seed=0, noise=0.03):
    """Frames of small, seeded thermal displacements of one box (one atom order)."""
    rng = np.random.default_rng(seed)
    ref = _box()
    out = []
    for k in range(n):
        a = ref.copy()
        a.positions += rng.normal(scale=noise, size=a.positions.shape)
        a.info["time_ps"] = 0.1 * k
        out.append(a)
    return out


def _swap(atoms, i, j):
    order = np.arange(len(atoms))
    order[[i, j]] = order[[j, i]]
    return atoms[order]


def _hydrogens_of_two_molecules(atoms):
    """A hydrogen of the first EMC and one of the second (same element, other molecule)."""
    h = np.flatnonzero(atoms.numbers == 1)
    n_emc = 15
    return int(h[h < n_emc][0]), int(h[(h >= n_emc) & (h < 2 * n_emc)][0])


def test_thermal_frames_of_one_order_are_one_trajectory():
    u = from_ase(_frames(n=4))
    assert u.trajectory.n_frames == 4
    assert sorted(map(str, u.residues.resnames)) == ["EMC", "EMC", "H2O"]


@pytest.mark.parametrize("k", [1, 2])
def test_hydrogens_swapped_between_molecules_are_refused_naming_the_frame(k):
    frames = _frames()
    i, j = _hydrogens_of_two_molecules(frames[0])
    frames[k] = _swap(frames[k], i, j)
    # same elements, same count: only the molecules' bonds tell
    assert np.array_equal(frames[k].numbers, frames[0].numbers)
    with pytest.raises(ValueError, match=rf"frame {k}: atoms .* bonded in frame 0, are .* "
                                         r"apart .*reordered"):
        from_ase(frames)
    # the frames before it are one trajectory
    assert from_ase(frames[:k]).trajectory.n_frames == k


def test_a_swap_of_two_atoms_of_one_molecule_and_element_is_harmless():
    frames = _frames()
    h = np.flatnonzero(frames[0].numbers == 1)[:2]  # two H of the first EMC's methyl
    frames[1] = _swap(frames[1], *h)
    assert from_ase(frames).trajectory.n_frames == 3


def test_atoms_of_other_elements_reordered_are_refused_naming_the_atom():
    frames = _frames()
    frames[2] = _swap(frames[2], 0, 2)  # C and H: the formula is the same
    assert frames[2].numbers[0] != frames[0].numbers[0]
    with pytest.raises(ValueError, match=r"frame 2: atom 0 is \w+, in frame 0 \w+ \(the same "
                                         r"atoms in another order"):
        from_ase(frames)


def test_a_frame_with_other_atoms_names_the_formulas():
    frames = _frames()
    frames[1].numbers[-1] = 9  # an H of the water made F
    with pytest.raises(ValueError, match=r"frame 1: atom \d+ is F, in frame 0 H \(.*against"):
        from_ase(frames)


def test_a_frame_of_another_count_is_refused_naming_it():
    frames = _frames()
    frames[1] = frames[1][:-1]
    with pytest.raises(ValueError, match=r"frame 1 has 32 atoms .* frame 0 has 33"):
        from_ase(frames)


def test_a_stored_topology_does_not_hide_a_reordered_frame_without_one():
    from ase_electrolyte.topology import set_topology
    from mda_electrolyte.molecules import atoms_molecule_ids

    frames = _frames()
    ids = atoms_molecule_ids(frames[0])
    names = np.array(["ETH", "ETH", "WAT"])[ids]
    set_topology(frames[0], ids, names, np.zeros(len(ids)))
    i, j = _hydrogens_of_two_molecules(frames[0])
    frames[1] = _swap(frames[1], i, j)  # written by a tool that keeps no topology arrays
    with pytest.raises(ValueError, match="frame 1: atoms .*reordered"):
        from_ase(frames)


def test_the_broken_bond_limit_is_beyond_any_vibration():
    # a C–H bond (1.09 Å) stretched by 40 % is still one molecule's; the limit is far beyond
    from ase.data import covalent_radii

    limit = 2 * (covalent_radii[6] + covalent_radii[1]) + BROKEN_BOND_SLACK
    assert limit > 1.4 * 1.09 + 1.0
    frames = _frames()
    c, h = 0, next(k for k in range(15) if frames[0].numbers[k] == 1
                   and frames[0].get_distance(0, k) < 1.2)
    direction = frames[1].positions[h] - frames[1].positions[c]
    frames[1].positions[h] = frames[1].positions[c] + 1.4 * 1.09 * direction / np.linalg.norm(
        direction)
    assert from_ase(frames).trajectory.n_frames == 3
    frames[1].positions[h] = frames[1].positions[c] + (limit + 0.05) * direction / np.linalg.norm(
        direction)
    with pytest.raises(ValueError, match=f"frame 1: atoms {c} \\(C\\) and {h} \\(H\\)"):
        from_ase(frames)


def test_bonds_across_the_boundary_of_a_triclinic_cell_are_measured_by_minimum_image():
    # each frame wrapped into its own (sheared) cell: a molecule cut by a face is still whole
    frames = _frames()
    cell = np.array([[14.0, 0.0, 0.0], [5.0, 13.0, 0.0], [3.0, 4.0, 12.0]])
    for k, a in enumerate(frames):
        a.set_cell(cell, scale_atoms=False)
        a.positions += [4.5 * k, 0.0, 0.0]  # the first EMC across the a face in frame 1, 2
        a.wrap()
    u = from_ase(frames)
    assert u.trajectory.n_frames == 3
    assert len(u.residues) == 3


class _EnergyOnly(Calculator):
    implemented_properties = ["energy"]

    def calculate(self, atoms=None, properties=None, system_changes=None):
        super().calculate(atoms, properties, system_changes)
        self.results = {"energy": -1.0}


class _Forces(Calculator):
    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=None, system_changes=None):
        super().calculate(atoms, properties, system_changes)
        self.results = {"energy": 0.0, "forces": np.ones((len(atoms), 3))}


def test_a_calculator_of_energies_only_gives_no_forces_and_no_traceback():
    atoms = _box()
    atoms.calc = _EnergyOnly()
    assert atoms.get_potential_energy() == -1.0
    u = from_ase(atoms)  # was PropertyNotImplementedError: forces property not implemented
    assert not u.trajectory.ts.has_forces
    assert atoms.calc.results == {"energy": -1.0}


def test_a_calculator_whose_atoms_moved_keeps_its_results():
    first = _box()
    first.calc = _Forces()
    first.get_forces()
    second = first.copy()
    second.positions += 0.01
    second.calc = first.calc  # one calculator for both frames, as a loop over frames leaves it
    second.info["time_ps"] = 0.1
    first.info["time_ps"] = 0.0
    with pytest.warns(UserWarning, match=r"only 1 of 2 frames carry forces \(frame 1 has none\)"):
        u = from_ase([first, second])
    assert not u.trajectory.ts.has_forces
    # get_property cleared the caller's calculator (results of other positions)
    assert set(first.calc.results) == {"energy", "forces"}
    np.testing.assert_array_equal(first.calc.results["forces"], np.ones((len(first), 3)))


def test_forces_of_every_frame_are_read_in_kj_per_mol_per_angstrom():
    from ase import units

    frames = _frames()
    rng = np.random.default_rng(1)
    forces = [rng.normal(size=(len(frames[0]), 3)) for _ in frames]
    for a, f in zip(frames, forces, strict=True):
        a.calc = SinglePointCalculator(a, energy=0.0, forces=f)
    u = from_ase(frames)
    for ts, f in zip(u.trajectory, forces, strict=True):
        np.testing.assert_allclose(ts.forces, f * units.mol / units.kJ, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("what", ["forces", "velocities"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_forces_or_velocities_are_refused_naming_frame_and_atom(what, bad):
    frames = _frames()
    for k, a in enumerate(frames):
        values = np.zeros((len(a), 3))
        if k == 2:
            values[5, 1] = bad
        if what == "forces":
            a.calc = SinglePointCalculator(a, energy=0.0, forces=values)
        else:
            a.set_velocities(values)
    with pytest.raises(ValueError, match=rf"frame 2: non-finite {what} for 1 atom\(s\) "
                                         r"\(e\.g\. atom 5\)"):
        from_ase(frames)


def test_from_ase_changes_no_frame():
    frames = _frames()
    for a in frames:
        a.calc = SinglePointCalculator(a, energy=0.0, forces=np.ones((len(a), 3)))
        a.set_velocities(np.full((len(a), 3), 0.01))
        a.info["note"] = "kept"
    before = [(a.positions.copy(), {k: v.copy() for k, v in a.arrays.items()}, dict(a.info),
               {k: np.copy(v) for k, v in a.calc.results.items()}) for a in frames]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_ase(frames)
    for a, (pos, arrays, info, results) in zip(frames, before, strict=True):
        np.testing.assert_array_equal(a.positions, pos)
        assert set(a.arrays) == set(arrays)
        for k, v in arrays.items():
            np.testing.assert_array_equal(a.arrays[k], v)
        assert a.info == info
        assert set(a.calc.results) == set(results)


def test_a_lone_molecule_without_cell_is_read():
    w = molecule("H2O")
    frames = [w.copy(), w.copy()]
    frames[1].positions += 0.02
    u = from_ase(frames, dt=0.1)
    assert u.trajectory.n_frames == 2
    assert isinstance(frames[0], Atoms)


@pytest.mark.parametrize("pbc", [False, [True, True, False]])
def test_a_frame_of_other_periodicity_is_refused_naming_it(pbc):
    # frame 0's periodicity made the box: frame 2 without a cell had none, a slab frame was
    # read as 3D-periodic
    frames = _frames()
    frames[2].pbc = pbc
    if pbc is False:
        frames[2].cell = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"frame 2 is periodic along \[.*\], frame 0 along "
                                         r"\[True, True, True\]: not one trajectory"):
        from_ase(frames)


def test_frames_of_a_changing_box_are_one_trajectory():
    # NPT: the cell changes, the periodicity does not
    frames = _frames()
    for k, a in enumerate(frames):
        a.set_cell(np.eye(3) * (14.0 + 0.5 * k), scale_atoms=False)
    u = from_ase(frames)
    np.testing.assert_allclose([ts.dimensions[0] for ts in u.trajectory], [14.0, 14.5, 15.0])


@pytest.mark.parametrize("column", ["vx", "fy"])
def test_a_lammps_dump_with_non_finite_velocities_or_forces_names_file_frame_and_atom(
        tmp_path, column):
    import ase.io

    water = molecule("H2O")
    water.center(vacuum=3.0)
    water.pbc = True
    water.arrays["mol-id"] = np.ones(len(water), dtype=int)
    data = tmp_path / "data.lmp"
    ase.io.write(data, water, format="lammps-data", atom_style="full", masses=True)
    types = {s: i + 1 for i, s in enumerate(sorted(set(water.get_chemical_symbols())))}
    cols = ["id", "type", "x", "y", "z", "vx", "vy", "vz", "fx", "fy", "fz"]
    lines = []
    for step in range(3):
        lines += ["ITEM: TIMESTEP", str(10 * step), "ITEM: NUMBER OF ATOMS", "3",
                  "ITEM: BOX BOUNDS pp pp pp"] + [f"0.0 {water.cell[0, 0]}"] * 3
        lines.append("ITEM: ATOMS " + " ".join(cols))
        for i in range(3):
            row = {"id": i + 1, "type": types[water[i].symbol],
                   **dict(zip("xyz", water.positions[i], strict=True))}
            row.update({c: 0.0 for c in cols[5:]})
            if step == 1 and i == 2:
                row[column] = "nan"
            lines.append(" ".join(str(row[c]) for c in cols))
    dump = tmp_path / "dump.lammpstrj"
    dump.write_text("\n".join(lines) + "\n")
    what = "velocities" if column == "vx" else "forces"
    with pytest.raises(ValueError, match=rf"dump.lammpstrj: frame 1: non-finite {what} for 1 "
                                         r"atom\(s\) \(e\.g\. atom 2\)"):
        from_ase(data, dump=dump, lammps_atom_style="id resid type charge x y z", dt=0.1)


def test_bond_lengths_are_minimum_images_in_a_skewed_cell():
    # the nearest image in fractional coordinates is longer than the minimum image in a
    # strongly skewed cell; the check must not call such a bond broken
    from ase.geometry import find_mic

    from mda_electrolyte.bridge import _check_bonds_kept

    cell = np.array([[10.0, 0.0, 0.0], [9.0, 3.0, 0.0], [8.5, 2.5, 2.0]])
    rng = np.random.default_rng(7)
    bonds = np.array([[0, 1]])
    naive_longer = 0
    for _ in range(200):
        d = rng.normal(size=3)
        d *= rng.uniform(0.8, 3.0) / np.linalg.norm(d)  # within C–C's 3.64 Å
        shift = rng.integers(-3, 4, size=3) @ cell
        frames = [Atoms("C2", [[0, 0, 0], d], cell=cell, pbc=True),
                  Atoms("C2", [[0, 0, 0], d + shift], cell=cell, pbc=True)]
        fractional = np.linalg.solve(cell.T, (d + shift))
        naive = np.linalg.norm((fractional - np.round(fractional)) @ cell)
        naive_longer += naive > find_mic(d[None], cell, pbc=True)[1][0] + 1e-9
        _check_bonds_kept(frames, bonds)  # no error: every bond is whole
        far = d * 4.0 / np.linalg.norm(d)  # beyond 3.64 Å, and its minimum image too
        if find_mic(far[None], cell, pbc=True)[1][0] > 3.7:
            frames[1].positions[1] = far + shift
            with pytest.raises(ValueError, match="frame 1: atoms 0 \\(C\\) and 1 \\(C\\)"):
                _check_bonds_kept(frames, bonds)
    assert naive_longer > 10  # the cell is skewed enough for the exact search to matter


def test_forces_under_another_name_are_named_not_lost(tmp_path):
    import ase.io

    frames = _frames()
    for a in frames:
        a.arrays["REF_forces"] = np.ones((len(a), 3))  # a fitting data set's column
    path = tmp_path / "set.extxyz"
    ase.io.write(path, frames)
    with pytest.warns(UserWarning, match=r"Atoms.arrays \['REF_forces'\] are not read: .* it "
                                         r"gets no forces\."):
        u = from_ase(path)
    assert not u.trajectory.ts.has_forces
    # attached as the frames' calculators' forces, they are read, and nothing is named
    for a in frames:
        a.calc = SinglePointCalculator(a, forces=a.arrays["REF_forces"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = from_ase(frames)
    assert u.trajectory.ts.has_forces


def test_a_zero_mass_with_momenta_is_named_a_mass_not_a_velocity():
    frames = _frames()
    for a in frames:
        a.set_momenta(np.full((len(a), 3), 0.01))
        masses = a.get_masses()
        masses[4] = 0.0
        a.set_masses(masses)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ASE's own division by the zero mass
        with pytest.raises(ValueError, match=r"no positive mass .*atom 4"):
            from_ase(frames)
