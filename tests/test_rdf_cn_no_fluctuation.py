"""A first-shell coordination number that never changed has no block error to give.

One Li⁺ with four waters always inside its first minimum (random orientation, the rest of the
waters farther than 3.2 Å): every block of frames counts exactly 4. Before, the RDF reported
``cn_first_shell`` as "4 ± 0 (valid)"; the shell statistics refuse such a series alike
("no fluctuation", :mod:`mda_electrolyte.frame_estimates`). A shell that exchanges keeps a
finite, positive error and no such note.
"""

import math
import warnings

import numpy as np
import pytest
from test_solvation_boundary_and_multivalent import _universe

from mda_electrolyte.frame_estimates import MIN_IONS
from mda_electrolyte.rdf import IntraInterRDF


def _li_in_water(shell_sizes, n_waters=40, box=18.0, seed=4):
    """Li⁺ ions 12.7 Å apart, ``shell_sizes[f]`` (one per ion, or one for a single ion)
    waters 2.0 ± 0.05 Å from each in frame f, the other waters placed at random farther than
    3.2 Å from every ion."""
    rng = np.random.default_rng(seed)
    shell_sizes = np.asarray(shell_sizes).reshape(len(shell_sizes), -1)
    n_li = shell_sizes.shape[1]
    lis = np.array([[1, 1, 1], [3, 3, 1], [3, 1, 3], [1, 3, 3]][:n_li]) * box / 4
    frames = []
    for sizes in shell_sizes:
        inner = []
        for li, n_shell in zip(lis, sizes, strict=True):
            d = rng.normal(size=(n_shell, 3))
            d /= np.linalg.norm(d, axis=1)[:, None]
            inner.append(li + (2.0 + rng.normal(0, 0.05, (n_shell, 1))) * d)
        inner = np.concatenate(inner)
        outer = np.empty((0, 3))
        while len(outer) < n_waters - len(inner):
            p = rng.uniform(0, box, (4 * n_waters, 3))
            v = p[:, None] - lis[None]
            v -= box * np.round(v / box)
            outer = np.concatenate([outer, p[np.all(np.linalg.norm(v, axis=-1) > 3.2, axis=1)]])
        frames.append(np.concatenate([lis, inner, outer[:n_waters - len(inner)]]))
    molecules = [("LI", ["Li"], [])] * n_li + [("WAT", ["O"], [])] * n_waters
    return _universe(molecules, np.asarray(frames), [box] * 3 + [90.0] * 3)


def _cn(u):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rdf = IntraInterRDF(u.atoms, pairs=[("element Li", "element O")], range=(0.0, 7.0),
                            nbins=140).run()
    return rdf.results.estimates[rdf.results.pairs[0]]


def test_a_shell_that_never_exchanged_is_not_valid():
    est = _cn(_li_in_water([4] * 100))
    # the first minimum lies in the empty gap between 2.2 and 3.2 Å: the count is exactly 4
    assert 2.1 < est["first_minimum"].value < 3.3
    cn = est["cn_first_shell"]
    assert cn.value == pytest.approx(4.0, abs=1e-12)
    assert not cn.valid and math.isnan(cn.stderr)
    assert any(n.startswith("no fluctuation") for n in cn.notes)


def test_a_shell_that_exchanges_keeps_its_error():
    sizes = np.random.default_rng(9).integers(3, 6, 100)
    est = _cn(_li_in_water(sizes))
    cn = est["cn_first_shell"]
    assert cn.value == pytest.approx(sizes.mean(), abs=1e-9)
    # independent frames: the error is that of a mean of 100 draws, within the spread a
    # 10-block t-scaled error has
    se = sizes.std(ddof=1) / np.sqrt(sizes.size)
    assert math.isfinite(cn.stderr) and 0.4 * se < cn.stderr < 3.0 * se
    assert not any(n.startswith("no fluctuation") for n in cn.notes)
    # one Li⁺ is its own shell, not the liquid's: refused as the shell statistics refuse it
    assert not cn.valid
    assert [n for n in cn.notes if n.startswith("too few")] == [
        f"too few reference atoms: 1 (a first-shell count needs at least {MIN_IONS} to "
        "average over)"]


def test_four_cations_exchanging_are_enough():
    sizes = np.random.default_rng(9).integers(3, 6, (100, 4))
    cn = _cn(_li_in_water(sizes))["cn_first_shell"]
    assert cn.value == pytest.approx(sizes.mean(), abs=1e-9)
    assert not any(n.startswith(("too few", "no fluctuation")) for n in cn.notes)
