"""Topology arrays with whole numbers beyond int64 (ase_electrolyte.topology).

Before: a formal charge of 1e30 was cast to int64 as -9223372036854775808 and stored without
a word (a RuntimeWarning at most); a molecule index of 1e30 was refused as "negative
molecule_index (-9223372036854775808)", and an unsigned 2**64-1 wrapped to -1. Now both
arrays refuse magnitudes beyond 2**53 by name, in set_topology and get_topology, and the
Atoms is left as it was.
"""

import warnings

import numpy as np
import pytest
from ase.build import molecule

from ase_electrolyte.topology import get_topology, set_topology


@pytest.mark.parametrize("big", [1e30, -1e30, 2.0**60, np.uint64(2**64 - 1), np.int64(2**62)])
@pytest.mark.parametrize("which", ["molecule_index", "formal_charge"])
def test_set_topology_refuses_numbers_beyond_int64_exactness(big, which):
    atoms = molecule("H2O")
    values = {"molecule_index": [0, 0, 0], "formal_charge": [0, 0, 0]}
    values[which] = np.array([0, 0, big], dtype=np.asarray(big).dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast"
        with pytest.raises(ValueError, match=rf"Atoms.arrays\['{which}'\] holds .*beyond"):
            set_topology(atoms, values["molecule_index"], ["w"] * 3, values["formal_charge"])
    assert "molecule_index" not in atoms.arrays


@pytest.mark.parametrize("which", ["molecule_index", "formal_charge"])
def test_get_topology_refuses_a_stored_number_beyond_int64_exactness(which):
    atoms = molecule("H2O")
    set_topology(atoms, [0, 0, 0], ["w"] * 3, [0, 0, 0])
    atoms.arrays[which] = np.array([0.0, 0.0, 1e30])
    with pytest.raises(ValueError, match=rf"Atoms.arrays\['{which}'\] holds 1e\+30, beyond"):
        get_topology(atoms)


def test_large_but_exact_numbers_are_kept():
    atoms = molecule("H2O")
    set_topology(atoms, [0, 0, 2**40], ["w"] * 3, np.array([0.0, 0.0, -3.0]))
    topo = get_topology(atoms)
    assert topo["molecule_index"].tolist() == [0, 0, 2**40]
    assert topo["formal_charge"].tolist() == [0, 0, -3]
