"""The D3 helpers that take a damping read it as ``D3(damping=...)`` does.

``known_functionals("BJ")``, ``known_functionals("d3bj")`` and ``known_functionals("bjj")``
all returned ``[]`` (no functional has parameters for it) while ``D3(damping="BJ")`` is BJ;
``damping_fractions("BJ", values)`` took BJ for zero damping and ended in ``KeyError: 'rs6'``.
"""

import numpy as np
import pytest

from ase_electrolyte.d3 import D3, known_functionals
from ase_electrolyte.d3.parameters import damping_fractions, resolve_parameters


@pytest.mark.parametrize("spelling, name", [
    ("BJ", "bj"), ("d3bj", "bj"), ("rational", "bj"), (" Zero ", "zero"), ("D3(0)", "zero"),
    ("d3zerom", "zerom"), ("OP", "op"), ("CSO", "cso"),
])
def test_known_functionals_reads_every_spelling_of_a_damping(spelling, name):
    expected = known_functionals(name)
    assert expected  # every damping has published sets
    assert known_functionals(spelling) == expected
    assert D3.known_functionals(spelling) == expected


@pytest.mark.parametrize("damping", ["bjj", "", 5, "becke"], ids=repr)
def test_an_unknown_damping_is_refused_not_an_empty_list(damping):
    with pytest.raises(ValueError, match="unknown D3 damping"):
        known_functionals(damping)


@pytest.mark.parametrize("spelling, name", [("BJ", "bj"), ("d3zero", "zero"), ("BJM", "bjm"),
                                            ("Op", "op")])
def test_damping_fractions_read_every_spelling_of_a_damping(spelling, name):
    values = resolve_parameters(name, "pbe", None, False)
    got, expected = damping_fractions(spelling, values), damping_fractions(name, values)
    assert sorted(got) == sorted(expected)
    for n in expected:
        assert np.array_equal(got[n], expected[n])
        assert np.all((got[n] >= 0) & (got[n] <= 1))
