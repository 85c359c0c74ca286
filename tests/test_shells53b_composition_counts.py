"""shell_composition counts molecules only into the shells and species that exist.

Before: ``molecule_counts`` counted an entry with species code ``n_species`` as species 0 of
the next cation's shell, and one with code -1 as the previous shell's last species, without a
word (``[[0, 0], [1, 0]]`` for one molecule of species 2 of 2 in shell 0); a shell beyond
``n_frames × n_cations`` was numpy's reshape error. ``shell_classes`` read anion code -1 as the
last species (an anion) and raised numpy's IndexError for one beyond; ``free_ion_fractions``
took a negative number of anion molecules (a free-ion fraction of 2.0) or fewer than its
shells hold (a fraction below the truth).
"""

import numpy as np
import pytest

from mda_electrolyte.shell_composition import (
    ShellMolecules,
    free_ion_fractions,
    molecule_counts,
    shell_classes,
)


def _molecules(shell, molecule, species):
    n = len(shell)
    return ShellMolecules(shell=np.array(shell, np.int64), molecule=np.array(molecule, np.int32),
                          species=np.array(species, np.int8), has_c=np.zeros(n, bool),
                          has_e=np.zeros(n, bool))


def test_counts_classes_and_free_ions_of_a_known_frame():
    # two cations: shell 0 holds solvent 0 and anion molecule 5 (species 1), shell 1 holds
    # solvent 0 twice over two molecules
    molecules = _molecules([0, 0, 1, 1], [0, 5, 1, 2], [0, 1, 0, 0])
    counts = molecule_counts(molecules, 1, 2, 2)
    assert counts.tolist() == [[[1, 1], [2, 0]]]
    assert shell_classes(counts, molecules, [1]).tolist() == [[1, 0]]
    # 2 cations + 3 anion molecules, of which one cation (shell 1) and 2 anions are free
    assert free_ion_fractions(shell_classes(counts, molecules, [1]), molecules, [1],
                              3).tolist() == [pytest.approx(3 / 5)]


@pytest.mark.parametrize("shell,species,args,text", [
    ([0], [2], (1, 2, 2), "species 2 to 2, outside the 2 species"),
    ([1], [-1], (1, 2, 2), "species -1 to -1, outside the 2 species"),
    ([5], [0], (1, 2, 2), "shells 5 to 5, outside the 2 shells"),
    ([-1], [0], (1, 2, 2), "shells -1 to -1"),
    ([0], [0], (1.5, 2, 2), "n_frames must be a whole number"),
    ([0], [0], (1, 0, 2), "n_cations must be a whole number >= 1"),
    ([0], [0], (1, 2, 0), "n_species must be a whole number >= 1"),
])
def test_entries_outside_the_shells_or_species_are_refused(shell, species, args, text):
    with pytest.raises(ValueError, match="molecule_counts") as err:
        molecule_counts(_molecules(shell, [0] * len(shell), species), *args)
    assert text in str(err.value)


@pytest.mark.parametrize("codes", [[-1], [2], [0.5], [np.nan]])
def test_anion_codes_that_are_no_species_are_refused(codes):
    counts = np.zeros((1, 2, 2), np.int32)
    with pytest.raises(ValueError, match="shell_classes: anion code must be a whole number"):
        shell_classes(counts, _molecules([], [], []), codes)


@pytest.mark.parametrize("shape", [(2, 2), (1, 1, 2, 2)])
def test_counts_of_another_shape_are_refused(shape):
    with pytest.raises(ValueError, match="shell_classes: counts must be"):
        shell_classes(np.zeros(shape, np.int32), _molecules([], [], []), [1])


@pytest.mark.parametrize("n_anions,text", [
    (-3, "n_anion_molecules must be a whole number >= 0"),
    (1.5, "n_anion_molecules must be a whole number"),
    (1, "2 anion molecules are in the shells of frame 0, more than the 1 given"),
])
def test_anion_molecules_fewer_than_the_shells_hold_are_refused(n_anions, text):
    molecules = _molecules([0, 1], [0, 1], [1, 1])
    with pytest.raises(ValueError, match="free_ion_fractions") as err:
        free_ion_fractions(np.zeros((1, 2), np.int8), molecules, [1], n_anions)
    assert text in str(err.value)


def test_classes_of_another_shape_are_refused():
    with pytest.raises(ValueError, match="free_ion_fractions: classes must be of shape"):
        free_ion_fractions(np.zeros(2, np.int8), _molecules([], [], []), [1], 2)
