"""Frames handed to a calculator must hold every atom: united-atom sites are refused.

A united-atom topology (CH3 of 15.035 amu with element C) has no hydrogens on its carbons.
:class:`~mda_electrolyte.model_frames.FrameSource` turned its frames into ``Atoms`` of the
heavy atoms alone (dimethyl ether as C2O), which a calculator evaluated as if they were the
molecules. Masses that differ from the element's for other reasons (hydrogen mass
repartitioning, deuterium, a missing mass) are not united atoms.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from ase.build import molecule

from mda_electrolyte.model_frames import FrameSource


def _ether_universe(all_atom=True, masses=None):
    ether = molecule("CH3OCH3")
    if not all_atom:
        ether = ether[[a.index for a in ether if a.symbol != "H"]]
    ether.center(vacuum=5.0)
    ether.pbc = True
    n = len(ether)
    u = mda.Universe.empty(n, n_residues=1, atom_resindex=np.zeros(n, dtype=int),
                           trajectory=True)
    u.add_TopologyAttr("elements", ether.get_chemical_symbols())
    u.add_TopologyAttr("masses", ether.get_masses() if masses is None else masses(ether))
    u.add_TopologyAttr("resnames", ["DME"])
    u.atoms.positions = ether.positions
    u.dimensions = ether.cell.cellpar()
    return u, ether


@pytest.mark.parametrize("site_mass, hydrogens", [(13.019, 1), (14.027, 2), (15.035, 3),
                                                   (16.043, 4)])
def test_united_atom_sites_are_refused_before_any_frame(site_mass, hydrogens):
    u, ether = _ether_universe(all_atom=False,
                               masses=lambda a: np.where(a.numbers == 8, 15.999, site_mass))
    before = u.atoms.masses.copy()
    with pytest.raises(ValueError, match=rf"united-atom sites .*C \+ {hydrogens} H"):
        FrameSource(u)
    assert np.array_equal(u.atoms.masses, before)
    # the same sites as ASE Atoms with their masses
    ether.set_masses(np.where(ether.numbers == 8, 15.999, site_mass))
    with pytest.raises(ValueError, match="united-atom sites"):
        FrameSource([ether])


def test_all_atom_masses_of_other_kinds_are_evaluated():
    # hydrogen mass repartitioning (H 3.024 amu, each carbon 2.016 amu lighter per H), and
    # deuterium: heavy atoms are not heavier than their element by hydrogens
    def repartitioned(a):
        masses = a.get_masses().copy()
        h = a.numbers == 1
        masses[h] = 3.024
        masses[a.numbers == 6] -= 3 * 2.016
        return masses

    for masses in (None, repartitioned, lambda a: np.where(a.numbers == 1, 2.014,
                                                            a.get_masses())):
        u, ether = _ether_universe(masses=masses)
        fs = FrameSource(u)
        frame = fs.atoms(u.trajectory.ts)
        assert frame.get_chemical_formula() == ether.get_chemical_formula() == "C2H6O"
        np.testing.assert_allclose(frame.get_masses(), u.atoms.masses)
