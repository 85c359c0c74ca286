"""Fixtures shared by the test modules."""

import matplotlib
import pytest

# plots are drawn in tests, never shown
matplotlib.use("Agg")


@pytest.fixture(scope="session")
def electrolyte_box_small():
    """A 58-atom periodic box: 1 LiPF6, 2 EC, 2 EMC packed by packmol (seeded)."""
    pytest.importorskip("rdkit")
    from ase_electrolyte.build import electrolyte_box

    return electrolyte_box(counts={"EC": 2, "EMC": 2, "Li": 1, "PF6": 1}, seed=0)
