"""Word options of the structure analyses are read in any case and spacing, as the calculators
and run_md read theirs (ase_electrolyte.option_words.choice_word), and a misspelt word is
refused naming the choices and the one it looks like.

Before, ``convention="Bridging"``, ``cutoff_convention="DONOR_ATOMS"``, ``no_minimum="Preset"``,
``IntraInterRDF(compound="Fragments", engine="VESIN", pairs="Elements")``,
``molecule_ids(compound="RESIDUES")``, ``donor_atoms(preset="JU2025")``,
``from_ase(lammps_units="REAL")`` and ``run(backend="Serial")`` were refused while their
lower-case spellings ran. Each is checked to give the same numbers as the lower-case word.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from shell_shapes import loose_shells

import mda_electrolyte as mdae
from mda_electrolyte.molecules import molecule_ids
from mda_electrolyte.shell_composition import shell_classes
from mda_electrolyte.shell_cutoffs import donor_atoms, first_minimum


def _shells(u, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return mdae.SolvationShells(u.atoms[:20], {"AN": u.atoms[1000:]},
                                    {"SOL": u.atoms[20:1000]},
                                    cutoffs={"AN": 3.0, "SOL": 3.0}, rdf_range=(0.0, 7.0),
                                    rdf_nbins=70, **kw).run()


@pytest.fixture(scope="module")
def universe():
    # 20 Li⁺ placed at random: some close enough to share an anion (bridging differs)
    return loose_shells(2.0, 8, seed=3, n_li=20)


def test_shell_words_in_any_case_give_the_same_shells(universe):
    plain = _shells(universe, convention="bridging", cutoff_convention="whole_molecule",
                    no_minimum="raise").results
    spelt = _shells(universe, convention=" Bridging ", cutoff_convention="WHOLE_MOLECULE",
                    no_minimum="Raise").results
    assert spelt.convention == "bridging"
    assert spelt.fractions == plain.fractions
    assert spelt.coordination_numbers == plain.coordination_numbers
    # the two conventions differ on these shells: the word was read, not ignored
    counted = _shells(universe, convention="Anion_Count").results
    assert counted.convention == "anion_count"
    assert counted.fractions != plain.fractions


@pytest.mark.parametrize("kw,near", [({"convention": "bridgng"}, "bridging"),
                                     ({"cutoff_convention": "donor_atom"}, "donor_atoms"),
                                     ({"no_minimum": "presets"}, "preset")])
def test_a_misspelt_shell_word_names_the_choice_it_looks_like(universe, kw, near):
    with pytest.raises(ValueError, match=f"{next(iter(kw))} must be one of .*did you mean "
                                         f"'{near}'"):
        _shells(universe, **kw)


def test_shell_classes_read_the_convention_in_any_case():
    # three cations: one with one anion shared with the next (bridging: AGG both), one alone
    counts = np.array([[[1], [1], [0]]], np.int32)
    molecules = type("M", (), {"shell": np.array([0, 1]), "molecule": np.array([0, 0]),
                               "species": np.array([0, 0], np.int8)})()
    lower = shell_classes(counts, molecules, [0], "bridging")
    assert np.array_equal(shell_classes(counts, molecules, [0], "BRIDGING"), lower)
    assert lower.tolist() == [[2, 2, 0]]
    assert shell_classes(counts, molecules, [0], "Anion_Count").tolist() == [[1, 1, 0]]


def _water_universe(elements=("O", "H", "H")):
    # two water molecules (or "O", "C", "H": a carbon-bonded oxygen), bonded, one residue each
    pos = np.array([[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0],
                    [5, 5, 5], [5.96, 5, 5], [4.76, 5.93, 5]], np.float32)
    u = mda.Universe.empty(6, n_residues=2, atom_resindex=[0, 0, 0, 1, 1, 1], trajectory=True)
    u.add_TopologyAttr("elements", list(elements) * 2)
    u.add_TopologyAttr("names", ["OW", "HW1", "HW2"] * 2)
    u.add_TopologyAttr("resnames", ["SOL", "SOL"])
    u.add_TopologyAttr("bonds", [(0, 1), (0, 2), (3, 4), (3, 5)])
    u.load_new(np.stack([pos, pos + 0.1]), format=MemoryReader, dimensions=[12.0] * 3 + [90] * 3)
    return u


def test_molecule_words_in_any_case():
    u = _water_universe()
    assert np.array_equal(molecule_ids(u.atoms, "RESIDUES"), molecule_ids(u.atoms, "residues"))
    assert np.array_equal(molecule_ids(u.atoms, " Fragments"), [0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="compound must be one of .*did you mean 'fragments'"):
        molecule_ids(u.atoms, "fragment")


def test_intra_inter_rdf_words_in_any_case():
    u = _water_universe()
    plain = mdae.IntraInterRDF(u.atoms, pairs="elements", range=(0.0, 5.0), nbins=50,
                               compound="fragments").run().results
    spelt = mdae.IntraInterRDF(u.atoms, pairs="Elements", range=(0.0, 5.0), nbins=50,
                               compound="FRAGMENTS", engine="Auto").run().results
    assert set(plain.total) == set(spelt.total)
    for key in plain.total:
        np.testing.assert_array_equal(spelt.intra[key], plain.intra[key])
        np.testing.assert_array_equal(spelt.inter[key], plain.inter[key])
    # O–H pairs of one molecule are intramolecular: the word was read
    assert plain.intra[("H", "O")].sum() > 0 if ("H", "O") in plain.intra else \
        plain.intra[("O", "H")].sum() > 0
    with pytest.raises(ValueError, match="engine must be one of .*did you mean 'vesin'"):
        mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), engine="vesn")


def test_cutoff_words_in_any_case():
    u = _water_universe(("O", "C", "H"))
    donors, cut = donor_atoms(u.atoms, "JU2025")
    same, cut_lower = donor_atoms(u.atoms, "ju2025")
    assert donors == same and list(donors.ix) == [0, 3] and cut == cut_lower == 2.6
    r = np.linspace(0.05, 7.95, 80)
    g = 3 * np.exp(-((r - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(r - 3.5) / 0.2))
    found = first_minimum(np.linspace(0, 8, 81), g)
    assert found.estimate("Cutoff") == found.estimate("cutoff")
    assert found.estimate(" PEAK ") == found.estimate("peak")


def test_lammps_units_in_any_case(tmp_path):
    import ase
    import ase.io

    a = ase.Atoms("OH2", positions=[[1, 1, 1], [1.96, 1, 1], [0.76, 1.93, 1]], cell=[8] * 3,
                  pbc=True)
    a.arrays["mol-id"] = np.ones(3, int)
    ase.io.write(tmp_path / "data.lmp", a, format="lammps-data", atom_style="full", masses=True)
    lines = []
    for step in (0, 10):
        lines += ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", "3",
                  "ITEM: BOX BOUNDS pp pp pp", "0.0 8.0", "0.0 8.0", "0.0 8.0",
                  "ITEM: ATOMS id type x y z vx vy vz"]
        types = {"H": 1, "O": 2}
        lines += [f"{i + 1} {types[atom.symbol]} {atom.x} {atom.y} {atom.z} 0.01 0.0 0.0"
                  for i, atom in enumerate(a)]
    (tmp_path / "dump.lammpstrj").write_text("\n".join(lines) + "\n")

    def read(units):
        return mdae.from_ase(tmp_path / "data.lmp", dump=tmp_path / "dump.lammpstrj",
                             lammps_units=units, lammps_atom_style="id resid type charge x y z",
                             dt=0.01)

    real, spelt = read("real"), read("REAL")
    np.testing.assert_array_equal(spelt.atoms.velocities, real.atoms.velocities)
    # real (Å/fs) and metal (Å/ps) velocities differ by 1000: the word was read
    np.testing.assert_allclose(real.atoms.velocities, 1000 * read(" Metal ").atoms.velocities)
    with pytest.raises(ValueError, match="lammps_units must be one of .*did you mean 'real'"):
        read("rael")


def test_backend_words_in_any_case():
    # MDAnalysis matches its backend names as written: "Serial" was taken for a custom backend
    # object ("Must specify 'unsupported_backend=True'...")
    u = _water_universe()
    rdf = mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=50, compound="fragments")
    plain = {k: v.copy() for k, v in rdf.run(backend="serial").results.total.items()}
    for word, workers in (("Serial", None), (" MULTIPROCESSING ", 2)):
        spelt = rdf.run(backend=word, n_workers=workers).results.total
        assert set(spelt) == set(plain)
        for key in plain:
            np.testing.assert_array_equal(spelt[key], plain[key])
    with pytest.raises(ValueError, match="backend must be one of .*did you mean 'dask'"):
        rdf.run(backend="dsk", n_workers=2)
