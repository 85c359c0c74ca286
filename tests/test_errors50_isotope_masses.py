"""Isotope-labelled atoms are no united-atom sites.

The united-atom check (element mass plus 1-4 hydrogens within 0.05 amu) refused a ¹³C-labelled
methanol as "united-atom sites (C + 1 H)", and ¹⁵N or ¹⁸O alike: ¹³C is 13.0034 amu, CH
13.019. The isotopes are now accepted, with their masses used for the centres of mass of the
degree-of-freedom split, while united-atom masses, rounded to 2 or 3 decimals, stay refused.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.build import molecule

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte.force_decomposition import dof_decomposition  # noqa: E402
from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.model_frames import FrameSource  # noqa: E402

CELL = np.diag([9.0, 9.5, 10.0])


def _frames(names, symbol, mass, n_frames=3):
    out = []
    for seed in range(n_frames):
        rng = np.random.default_rng(seed)
        atoms, ids = None, []
        for j, (name, place) in enumerate(zip(names, [[0.2, 0.2, 0.2], [0.7, 0.7, 0.6]],
                                              strict=True)):
            m = molecule(name)
            m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
            m.positions += np.array(place) @ CELL - m.get_center_of_mass()
            atoms = m if atoms is None else atoms + m
            ids += [j] * len(m)
        atoms.cell, atoms.pbc = CELL, True
        atoms.arrays["molecule_index"] = np.array(ids)
        masses = atoms.get_masses()
        # the first atom of that element labelled
        masses[np.flatnonzero(atoms.symbols == symbol)[0]] = mass
        atoms.set_masses(masses)
        out.append(atoms)
    return out


ISOTOPES = [("CH3OH", "C", 13.0033548), ("CH3OH", "C", 14.0032420), ("NH3", "N", 15.0001089),
            ("H2O", "O", 16.9991317), ("H2O", "O", 17.9991596), ("CH3OH", "O", 17.9991596)]


@pytest.mark.parametrize("name, symbol, mass", ISOTOPES)
def test_isotope_labelled_molecules_are_analysed_with_their_masses(name, symbol, mass):
    frames = _frames([name, name], symbol, mass)
    source = FrameSource(frames)
    np.testing.assert_allclose(source.masses, frames[0].get_masses(), rtol=0, atol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = IntraInterErrors(frames, MolecularPairModel(),
                                  reference=MolecularPairModel(sigma=2.4),
                                  keep_arrays=True).run()
    r = errors.results
    # the translational part shares each molecule's net force by the labelled masses
    f = r.forces["reference"]["total"][0]
    ids = frames[0].arrays["molecule_index"]
    trans, _, _ = dof_decomposition(f, frames[0].positions, frames[0].get_masses(), ids)
    np.testing.assert_allclose(r.forces["reference"]["trans"][0], trans, rtol=1e-10,
                               atol=1e-12)
    assert np.isfinite(r.rmse["total"]["forces"].value)


@pytest.mark.parametrize("symbol, mass, sites", [
    ("C", 13.019, 1), ("C", 14.027, 2), ("C", 15.035, 3), ("C", 14.03, 2), ("C", 15.03, 3),
    ("O", 17.007, 1), ("N", 15.015, 1), ("C", 13.02, 1)])
def test_united_atom_masses_are_still_refused(symbol, mass, sites):
    name = {"C": "CH3OH", "O": "H2O", "N": "NH3"}[symbol]
    with pytest.raises(ValueError, match=rf"united-atom sites .* = {symbol} \+ {sites} H"):
        FrameSource(_frames([name, name], symbol, mass, n_frames=1))
