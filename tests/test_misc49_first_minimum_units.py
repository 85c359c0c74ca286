"""first_minimum on edges given in nm: the message names the unit.

Edges of 0-0.8 (an RDF in nm) gave only "the smoothed RDF has no peak in its range"; with a
smoothing scaled to nm a "cutoff" of 0.25 Å came back valid. Edges ending below 1.5 Å now say
that edges are in Å (in the note, or as a warning that makes the estimate not valid).
"""

import numpy as np
import pytest

from mda_electrolyte.shell_cutoffs import first_minimum


def _g(r):
    return 3 * np.exp(-((r - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(r - 3) / 0.15))


def _rdf(n=80, r_max=8.0):
    e = np.linspace(0, r_max, n + 1)
    c = 0.5 * (e[1:] + e[:-1])
    return e, _g(c), 1e4 * 4 / 3 * np.pi * np.diff(e**3) * _g(c)


@pytest.mark.parametrize("n", [40, 80, 400])
@pytest.mark.parametrize("with_counts", [False, True])
def test_nm_edges_without_cutoff_name_the_unit(n, with_counts):
    e, g, counts = _rdf(n)
    found = first_minimum(e / 10, g, counts=counts if with_counts else None)
    assert found.cutoff is None
    assert "edges are in Å" in found.note and "multiply them by 10" in found.note
    assert "0.8 Å" in found.note
    assert not found.estimate().valid


@pytest.mark.parametrize("g", [np.zeros(10), np.ones(2), np.linspace(0, 1, 10)])
def test_other_notes_on_short_edges_name_the_unit(g):
    found = first_minimum(np.linspace(0, 1.2, g.size + 1), g)
    assert found.cutoff is None and "edges are in Å" in found.note


def test_cutoff_found_on_nm_edges_is_not_valid():
    e, g, counts = _rdf(400)
    found = first_minimum(e / 10, g, counts=counts / 1000, smoothing=0.02)
    assert found.cutoff is not None and found.cutoff < 0.3
    assert any("edges are in Å" in w for w in found.warnings)
    assert not found.estimate().valid


@pytest.mark.parametrize("r_max", [1.5, 8.0, 12.0])
def test_edges_in_angstrom_carry_no_hint(r_max):
    e, g, counts = _rdf(80, 8.0)
    e = e * r_max / 8.0 if r_max >= 8.0 else e
    found = first_minimum(e, g, counts=counts)
    assert "edges are in Å" not in (found.note or "")
    assert not any("edges are in Å" in w for w in found.warnings)
    # a range ending exactly at 1.5 Å gets no hint either
    flat = first_minimum(np.linspace(0, 1.5, 11), np.ones(10))
    assert "edges are in Å" not in flat.note
