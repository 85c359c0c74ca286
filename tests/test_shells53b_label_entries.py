"""shell_tallies labels each shell by its own molecules.

Before: a molecule entry of species code -1 was tallied as the previous shell's last species
(an EC of the second Li⁺ given -1 put a second PF6⁻ into the first Li⁺'s label), a code one
too high was numpy's IndexError and a shell beyond the last numpy's reshape error, naming
neither the entry nor the function.
"""

import dataclasses
import warnings

import numpy as np
import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_composition import (
    label_text,
    shell_members,
    shell_molecules,
    shell_tallies,
)

CUTOFFS = {"EC": 2.6, "PF6": 3.0}


@pytest.fixture(scope="module")
def shells():
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
               ((25, 25, 25), [("EC", None, "Oc")] * 4)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = SolvationShells(*groups(u), cutoffs=CUTOFFS, store_table=True).run(
        ).results.table
    return shell_molecules(shell_members(table, CUTOFFS), 2), table.layout


def test_labels_of_the_shells(shells):
    molecules, layout = shells
    rows, codes = shell_tallies(molecules, layout, 1)
    assert [label_text(rows[c], layout) for c in codes[0]] == ["Li(ECc)3(PF6)", "Li(ECc)4"]


@pytest.mark.parametrize("column,value,text", [
    ("species", 2, "species 0 to 2, outside the 2 species"),
    ("species", -1, "species -1 to 0, outside the 2 species"),
    ("shell", 2, "shells 0 to 2, outside the 2 shells"),
])
def test_entries_outside_the_layout_are_refused(shells, column, value, text):
    molecules, layout = shells
    values = getattr(molecules, column).copy()
    values[np.argmax(molecules.species == 1) if column == "species" else -1] = value
    with pytest.raises(ValueError, match="shell_tallies") as err:
        shell_tallies(dataclasses.replace(molecules, **{column: values}), layout, 1)
    assert text in str(err.value)


@pytest.mark.parametrize("n_frames", [-1, 0.5])
def test_frames_that_are_no_count_are_refused(shells, n_frames):
    molecules, layout = shells
    with pytest.raises(ValueError, match="shell_tallies: n_frames must be a whole number"):
        shell_tallies(molecules, layout, n_frames)
