"""Molecules stored under a library species' name of another composition are said.

EC molecules whose topology arrays name them "DMC" (names edited, or written by another tool)
were analysed as DMC without a word. A user's own species may reuse a library name, so
``from_ase`` warns, naming the composition and the library species that has it; molecules named
by their own species are not warned of.
"""

import warnings

import numpy as np
import pytest

import mda_electrolyte as mdae
from ase_electrolyte.build import electrolyte_box


def _box(rename=None):
    atoms = electrolyte_box(counts={"EC": 3, "Li": 1, "PF6": 1}, seed=1)
    if rename:
        names = atoms.arrays["molecule_species"].copy()
        for old, new in rename.items():
            names[names == old] = new
        atoms.arrays["molecule_species"] = names
    return atoms


def test_ec_named_dmc_is_warned_of_with_the_species_it_is():
    with pytest.warns(UserWarning, match=r"molecules named 'DMC' are C3H4O3, the library's DMC "
                                         r"is C3H6O3 \(C3H4O3 is the library's 'EC'\)") as said:
        u = mdae.from_ase(_box({"EC": "DMC"}))
    assert said[0].filename == __file__            # the caller's line, not the bridge's
    # analysed under the stored name, as the warning says
    assert sorted(set(u.residues.resnames)) == ["DMC", "Li", "PF6"]


def test_molecules_under_their_own_names_and_unknown_names_are_not_warned_of():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = mdae.from_ase(_box())
        # a name the library does not have is the user's own species
        v = mdae.from_ase(_box({"EC": "MYCARB"}))
    assert sorted(set(u.residues.resnames)) == ["EC", "Li", "PF6"]
    assert np.array_equal(u.atoms.positions, v.atoms.positions)
