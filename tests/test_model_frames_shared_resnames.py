"""Residue names that do not tell molecules apart are not taken as species.

A Universe whose residues all carry one name (``MOL`` of a topology builder, ``1DUM`` of a
GRO file ASE wrote, ``UNL``) gave ``FrameSource.species`` that name for every molecule:
water and methanol were one species ``MOL``, and ``IntraInterErrors``' per-species force and
isolated-energy errors pooled the two. A list of ``Atoms`` fell back to the formulas already;
the Universe branch now applies the same check: a name shared by molecules of different
compositions makes every molecule's species its formula. Different names for one molecule
(``WAT`` and ``HOH``) are kept, as the user's split.
"""

import sys
import warnings
from pathlib import Path

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors_label_checks import FRAMES, _labelled  # noqa: E402

from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.model_frames import FrameSource  # noqa: E402

FRAMES = FRAMES[:3]
# the molecules of every frame: H2O, CH3OH, CO2, H2O
FORMULAS = ["H2O", "CH4O", "CO2", "H2O"]


def _universe(resnames):
    first = FRAMES[0]
    ids = first.arrays["molecule_index"]
    u = mda.Universe.empty(len(first), n_residues=len(resnames), atom_resindex=ids,
                           trajectory=True)
    u.add_TopologyAttr("elements", first.get_chemical_symbols())
    u.add_TopologyAttr("masses", first.get_masses())
    u.add_TopologyAttr("resnames", resnames)
    u.load_new(np.array([a.positions for a in FRAMES], dtype=np.float32), format=MemoryReader,
               dimensions=np.array([a.cell.cellpar() for a in FRAMES]))
    return u


@pytest.mark.parametrize("resnames", [
    ["MOL"] * 4,                          # one name for every molecule
    ["WAT", "MOL", "MOL", "WAT"],         # methanol and CO2 share one
    ["1DUM", "1DUM", "CO2", "1DUM"],      # water and methanol share one
])
def test_a_name_shared_by_different_molecules_gives_the_formulas(resnames):
    assert FrameSource(_universe(resnames)).species == FORMULAS


@pytest.mark.parametrize("resnames", [
    ["WAT", "MEOH", "CO2", "WAT"],
    ["WAT", "MEOH", "CO2", "HOH"],        # one molecule under two names: the user's split
    ["MOL", "MEOH", "CO2", "MOL"],        # a generic name, but used for one molecule only
])
def test_names_that_tell_the_molecules_apart_are_kept(resnames):
    assert FrameSource(_universe(resnames)).species == resnames


def test_an_atoms_list_and_a_universe_name_the_species_alike():
    frames = [a.copy() for a in FRAMES]
    for atoms in frames:
        atoms.arrays["residuenames"] = np.array(["MOL"] * len(atoms))
    assert FrameSource(frames).species == FrameSource(_universe(["MOL"] * 4)).species


def _per_species(resnames):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = IntraInterErrors(_universe(resnames), MolecularPairModel(),
                                  reference=_labelled(FRAMES)).run()
    return errors.results.rmse_per_species


def test_per_species_errors_do_not_pool_different_molecules():
    shared = _per_species(["MOL"] * 4)
    by_formula = _per_species(FORMULAS)
    assert sorted(shared) == ["CH4O", "CO2", "H2O"]
    for species in by_formula:
        for component, quantities in by_formula[species].items():
            for quantity, estimate in quantities.items():
                got = shared[species][component][quantity]
                assert got.value == estimate.value
                assert got.stderr == estimate.stderr or (
                    np.isnan(got.stderr) and np.isnan(estimate.stderr))
    # the pooled number differs from each molecule's: what the user was given before
    pooled = np.sqrt((3 * 2 * by_formula["H2O"]["total"]["forces"].value ** 2
                      + 6 * by_formula["CH4O"]["total"]["forces"].value ** 2) / 12)
    assert not np.isclose(pooled, by_formula["H2O"]["total"]["forces"].value, rtol=1e-3)
