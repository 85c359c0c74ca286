"""Shell angles and per-label RDFs refuse shells that are not the table's.

Before: ``shell_angles(members, n_cations)`` numbered a member of cation slot ``n_cations``
(or more) as a shell of the next frame, so its carbonyl oxygen was paired with that frame's:
an Oc–M–Oc angle between two frames, without a word. ``type_rdfs(table, label_codes,
n_labels)`` read ``label_codes`` of another shape through the flat index (a run's codes of
another cation count counted the pairs under other shells' labels), counted a code of -1 to
the label before and raised numpy's reshape error for one beyond ``n_labels``.
"""

import warnings

import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from test_solvation import build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_composition import shell_members
from mda_electrolyte.shell_geometry import angle, shell_angles, type_rdfs

CUTOFFS = {"EC": 2.6, "PF6": 3.0}


@pytest.fixture(scope="module")
def table():
    # two Li⁺, each with EC through their carbonyl oxygens, in two identical frames
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
               ((25, 25, 25), [("EC", None, "Oc")] * 4)])
    positions = u.atoms.positions
    u.load_new(np.array([positions, positions], dtype=np.float32), format=MemoryReader,
               dimensions=u.dimensions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(*groups(u), cutoffs=CUTOFFS, store_table=True).run(
        ).results.table


def test_the_angles_of_the_tables_shells(table):
    members = shell_members(table, CUTOFFS)
    angles = shell_angles(members, table.layout.n_cations)
    values, shells = angles["Oc-M-Oc"]
    # 3 + 4 carbonyl oxygens per frame: 3 + 6 pairs, within each shell, in 4 shells
    assert values.size == 2 * (3 + 6)
    assert np.bincount(shells).tolist() == [3, 6, 3, 6]
    # the ligands sit on a tetrahedron's directions: 109.47°
    np.testing.assert_allclose(values, np.degrees(np.arccos(-1 / 3)), atol=0.5)
    np.testing.assert_allclose(angles["M-Oc-Cc"][0],
                               angle(-members.m_to_o.astype(float), members.o_to_c))


@pytest.mark.parametrize("n_cations,text", [
    (1, "cation slots run from 0 to 1, outside the 1 cations"),
    (0, "n_cations must be a whole number >= 1"),
    (1.5, "n_cations must be a whole number"),
])
def test_slots_beyond_the_cations_are_refused(table, n_cations, text):
    with pytest.raises(ValueError, match="shell_angles") as err:
        shell_angles(shell_members(table, CUTOFFS), n_cations)
    assert text in str(err.value)


@pytest.mark.parametrize("column", ["m_to_o", "o_to_c"])
def test_vectors_not_one_per_carbonyl_oxygen_are_refused(table, column):
    members = shell_members(table, CUTOFFS)
    setattr(members, column, getattr(members, column)[:-1])
    with pytest.raises(ValueError, match=f"members.{column} must hold one vector per member Oc"):
        shell_angles(members, table.layout.n_cations)


def test_rdfs_by_label_of_the_tables_shells(table):
    codes = np.array([[0, 1], [0, 1]])
    counts = type_rdfs(table, codes, 2)
    # label 0 is the first cation's shells, label 1 the second's: the Oc pairs within the
    # RDF range of each cation, counted in both frames
    alone = type_rdfs(table, np.zeros((2, 2), int), 1)[0]
    np.testing.assert_array_equal(counts.sum(axis=0), alone)
    assert counts[0, 0].sum() > 0 and counts[1, 0].sum() > 0


@pytest.mark.parametrize("codes,n_labels,text", [
    (np.array([[0, 1, 0, 1]]), 2, "label_codes must be of shape (2, 2)"),
    (np.array([[0, 1], [0, 1], [0, 1]]), 2, "label_codes must be of shape (2, 2)"),
    (np.array([[0, -1], [0, 1]]), 2, "label codes run from -1 to 1, outside the 2 labels"),
    (np.array([[0, 2], [0, 1]]), 2, "label codes run from 0 to 2, outside the 2 labels"),
    (np.array([[0, 1], [0, 1]]), 0, "n_labels must be a whole number >= 1"),
])
def test_label_codes_that_are_not_the_tables_shells_are_refused(table, codes, n_labels, text):
    with pytest.raises(ValueError, match="type_rdfs") as err:
        type_rdfs(table, codes, n_labels)
    assert text in str(err.value)
