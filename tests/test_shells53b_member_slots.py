"""shell_molecules keeps the shells of a table apart.

Before: ``shell_molecules(members, n_cations)`` numbered a member of cation slot
``n_cations`` or more as a shell of the next frame, merging it with that shell (two Li⁺ in
two frames given ``n_cations=1``: 3 shells of 4, 8 and 4 molecules where the table holds 4
shells of 4), and took a negative molecule or frame into its keys without a word.
"""

import pytest
from test_shells53b_geometry_shapes import CUTOFFS, table  # noqa: F401  (the fixture)

from mda_electrolyte.shell_composition import molecule_counts, shell_members, shell_molecules


@pytest.fixture(scope="module")
def members(table):  # noqa: F811
    # two Li⁺ (3 EC + PF6, 4 EC) in two identical frames: test_shells53b_geometry_shapes' table
    return shell_members(table, CUTOFFS)


def test_the_molecules_of_each_shell(members):
    molecules = shell_molecules(members, 2)
    # 3 EC and a PF6 around the first Li⁺, 4 EC around the second, in both frames
    counts = molecule_counts(molecules, 2, 2, 2).sum(axis=-1)
    assert counts.tolist() == [[4, 4], [4, 4]]
    assert molecules.has_c.sum() == 2 * 7


@pytest.mark.parametrize("n_cations,text", [
    (1, "cation slots run from 0 to 1, outside the 1 cations"),
    (0, "n_cations must be a whole number >= 1"),
    (2.5, "n_cations must be a whole number"),
])
def test_slots_outside_the_cations_are_refused(members, n_cations, text):
    with pytest.raises(ValueError, match="shell_molecules") as err:
        shell_molecules(members, n_cations)
    assert text in str(err.value)


@pytest.mark.parametrize("column", ["frame", "molecule"])
def test_negative_frames_or_molecules_are_refused(members, column):
    import dataclasses

    values = getattr(members, column).copy()
    values[0] = -1
    broken = dataclasses.replace(members, **{column: values})
    with pytest.raises(ValueError, match=f"shell_molecules: members' {column}s? run from -1"):
        shell_molecules(broken, 2)
