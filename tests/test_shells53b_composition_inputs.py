"""shell_composition's counting helpers refuse what they cannot count, by name.

Before: ``tally`` and ``distribution`` handed negative or fractional values to numpy's
bincount ("'list' argument must have no negative elements", "Cannot cast array data from
dtype('float64') to dtype('int64') according to the rule 'safe'", also for whole floats such
as 2.0), naming neither the function nor the value; ``network_sizes`` took an integer
``linking`` as indices (``[1, 1, 0, 0]`` picked entries 1, 1, 0, 0 instead of masking), joined
shells beyond ``n_frames × n_cations`` to the molecule nodes of the graph (4 shells with
``n_cations=2`` came back as one frame of 2 cations in a network of 2) and raised numpy's
reshape or broadcast errors for fractional counts or a ``shells`` mask of the wrong length.
"""

import numpy as np
import pytest

from mda_electrolyte.shell_composition import (
    ShellMolecules,
    distribution,
    network_sizes,
    tally,
)

BAD_VALUES = [
    ([1, -1, 2], ValueError, "got -1 at position 1"),
    ([1.5, 2.0], ValueError, "got 1.5 at position 0"),
    ([0.0, np.nan], ValueError, "got nan at position 1"),
    ([np.inf], ValueError, "got inf"),
    (np.array([-3], dtype=np.int8), ValueError, "got -3"),
    (["a", "b"], TypeError, "not an array of <U1"),
]


@pytest.mark.parametrize("function", [tally, distribution])
@pytest.mark.parametrize("values,error,text", BAD_VALUES)
def test_values_that_are_not_counts_are_refused_by_name(function, values, error, text):
    with pytest.raises(error, match=f"{function.__name__}: values must be whole numbers") as err:
        function(values)
    assert text in str(err.value)


@pytest.mark.parametrize("values", [[1.0, 2.0, 2.0, 0.0], np.array([1, 2, 2, 0], np.uint8),
                                    [[1, 2], [2, 0]]])
def test_whole_numbers_of_any_type_and_shape_are_counted(values):
    assert tally(values).tolist() == [1, 1, 2]
    assert tally(values, minlength=5).tolist() == [1, 1, 2, 0, 0]
    assert distribution(values) == {0: 0.25, 1: 0.25, 2: 0.5}


def test_booleans_and_no_values_count():
    assert tally([True, False, True]).tolist() == [1, 2]
    assert tally([], minlength=2).tolist() == [0, 0]
    assert distribution([]) == {}


@pytest.mark.parametrize("minlength", [-1, 1.5, np.nan, "3", True])
def test_minlength_that_is_not_a_count_is_refused(minlength):
    with pytest.raises(ValueError, match="tally: minlength must be a whole number"):
        tally([1, 2], minlength=minlength)


def _molecules(shell, molecule):
    n = len(shell)
    return ShellMolecules(shell=np.array(shell, np.int64), molecule=np.array(molecule, np.int32),
                          species=np.zeros(n, np.int8), has_c=np.zeros(n, bool),
                          has_e=np.zeros(n, bool))


# shells 0 and 1 share molecule 0, shells 2 and 3 molecule 1: two networks of two
PAIRS = _molecules([0, 1, 2, 3], [0, 0, 1, 1])


def test_networks_of_shared_molecules():
    assert network_sizes(PAIRS, 1, 4).tolist() == [[2, 2, 2, 2]]
    assert network_sizes(PAIRS, 2, 2).tolist() == [[2, 2], [2, 2]]
    # only the entries of the first pair link; only shells 1 and 2 take part
    linking = np.array([True, True, False, False])
    assert network_sizes(PAIRS, 1, 4, linking=linking).tolist() == [[2, 2, 1, 1]]
    shells = np.array([False, True, True, False])
    assert network_sizes(PAIRS, 1, 4, shells=shells).tolist() == [[0, 2, 2, 0]]


@pytest.mark.parametrize("kwargs,error,text", [
    ({"n_frames": 1, "n_cations": 2}, ValueError, "outside the 2 shells"),
    ({"n_frames": 0, "n_cations": 4}, ValueError, "outside the 0 shells"),
    ({"n_frames": 0.5, "n_cations": 8}, ValueError, "n_frames must be a whole number"),
    ({"n_frames": -1, "n_cations": 4}, ValueError, "n_frames must be a whole number >= 0"),
    ({"n_frames": 1, "n_cations": 0}, ValueError, "n_cations must be a whole number >= 1"),
    ({"n_frames": 1, "n_cations": 4.5}, ValueError, "n_cations must be a whole number"),
    ({"n_frames": 1, "n_cations": 4, "linking": np.array([1, 1, 0, 0])}, TypeError,
     "linking must be booleans"),
    ({"n_frames": 1, "n_cations": 4, "linking": np.array([True, False])}, ValueError,
     "linking has 2 entries, not 4 (one per molecule entry)"),
    ({"n_frames": 1, "n_cations": 4, "shells": np.array([0, 1, 1, 0])}, TypeError,
     "shells must be booleans"),
    ({"n_frames": 1, "n_cations": 4, "shells": np.array([True, False])}, ValueError,
     "shells has 2 entries, not 4 (one per shell)"),
])
def test_network_arguments_that_do_not_fit_are_refused(kwargs, error, text):
    with pytest.raises(error, match="network_sizes") as err:
        network_sizes(PAIRS, **kwargs)
    assert text in str(err.value)


@pytest.mark.parametrize("shell,molecule,text", [
    ([-1, 1], [0, 0], "outside the 4 shells"),
    ([0, 1], [-2, 0], "molecule indices -2 to 0, outside the indices ≥ 0"),
])
def test_molecule_entries_out_of_range_are_refused(shell, molecule, text):
    with pytest.raises(ValueError, match="network_sizes") as err:
        network_sizes(_molecules(shell, molecule), 1, 4)
    assert text in str(err.value)
