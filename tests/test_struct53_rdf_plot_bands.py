"""IntraInterRDF.plot draws each curve with its error band.

The intra- and intermolecular g(r), the split the analysis exists for, were drawn bare beside
the total's one-sigma band, although ``results.intra_err`` and ``inter_err`` hold theirs (and
the report writes them). Each band is drawn about its own curve, from its own errors.
"""

import matplotlib
import MDAnalysis as mda
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import IntraInterRDF

matplotlib.use("Agg")

# three-atom molecules (C-O-O chains 1.2 Å apart) on a shaken lattice: intra pairs at 1.2 and
# 2.4 Å, inter pairs beyond
GRID = np.stack(np.meshgrid(*[np.arange(4) * 4.0] * 3, indexing="ij"), -1).reshape(-1, 3)


def _rdf(n_frames, seed=0):
    rng = np.random.default_rng(seed)
    n_mol = len(GRID)
    u = mda.Universe.empty(3 * n_mol, n_residues=n_mol,
                           atom_resindex=np.arange(3 * n_mol) // 3, trajectory=True)
    u.add_TopologyAttr("elements", ["C", "O", "O"] * n_mol)
    centres = GRID + rng.normal(0.0, 0.4, (n_frames, n_mol, 3))
    pos = np.repeat(centres, 3, axis=1)
    pos[:, 1::3] += [1.2, 0.0, 0.0]
    pos[:, 2::3] += [-1.2, 0.0, 0.0]
    u.load_new(pos.astype(np.float32), format=MemoryReader,
               dimensions=[16.0, 16.0, 16.0, 90.0, 90.0, 90.0])
    return IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=30).run()


def _band_of(poly, r):
    """(lower, upper) of a fill_between band at the bin centres ``r``."""
    verts = poly.get_paths()[0].vertices
    n = r.size
    lower, upper = verts[1:n + 1, 1], verts[n + 2:2 * n + 2, 1][::-1]
    np.testing.assert_allclose(verts[1:n + 1, 0], r)
    return lower, upper


@pytest.fixture(scope="module")
def rdf():
    return _rdf(12)


@pytest.mark.parametrize("pair", [("C", "O"), ("O", "O"), ("C", "C")])
def test_every_curve_has_its_band(rdf, pair):
    fig = rdf.plot(pairs=[pair])
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3
    r = rdf.results.bins
    found = {}
    for band in bands:
        lower, upper = _band_of(band, r)
        centre, half = (lower + upper) / 2, (upper - lower) / 2
        for part in ("total", "inter", "intra"):
            if (np.allclose(centre, rdf.results[part][pair])
                    and np.allclose(half, rdf.results[f"{part}_err"][pair])):
                found.setdefault(part, band)
    assert set(found) == {"total", "inter", "intra"}
    # one legend entry for the bands
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()].count("± 1σ") == 1


def test_no_band_without_errors():
    one = _rdf(1)
    fig = one.plot(pairs=[("C", "O")])
    assert not [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
