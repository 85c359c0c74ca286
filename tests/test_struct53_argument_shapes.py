"""Arguments whose shape was misread: a bare pair of selections, a non-boolean verbose.

``IntraInterRDF(pairs=("name A", "name B"))`` iterated the two texts as two pairs of
characters and refused "each pair must be two selection strings, got ('n', 'a', ...)", and
``plot(pairs=("Li", "F"))`` refused "unknown pairs [('L', 'i'), ('F',)]"; ``[5]`` failed
inside ``tuple()`` ("'int' object is not iterable"). ``verbose="no"`` (or 1) was taken as
true by MDAnalysis' AnalysisBase and drew progress bars.
"""

import matplotlib
import MDAnalysis as mda
import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.lj import LennardJones
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import IntraInterRDF
from mda_electrolyte.volume_scan import RigidVolumeScan

matplotlib.use("Agg")


def _universe(n_frames=4):
    rng = np.random.default_rng(0)
    # molecules on a lattice 4.67 Å apart, shaken: no atoms of two molecules bond-close
    grid = np.stack(np.meshgrid(*[np.arange(3) * 14.0 / 3] * 3, indexing="ij"), -1).reshape(-1, 3)
    n_mol = len(grid)
    u = mda.Universe.empty(2 * n_mol, n_residues=n_mol,
                           atom_resindex=np.arange(2 * n_mol) // 2, trajectory=True)
    u.add_TopologyAttr("elements", ["C", "O"] * n_mol)
    u.add_TopologyAttr("names", ["C", "O"] * n_mol)
    centres = grid + rng.normal(0.0, 0.3, (n_frames, n_mol, 3))
    pos = np.repeat(centres, 2, axis=1)
    pos[:, 1::2] += [1.13, 0.0, 0.0]
    u.load_new(pos.astype(np.float32), format=MemoryReader,
               dimensions=[14.0, 14.0, 14.0, 90.0, 90.0, 90.0])
    return u


def _frames():
    a, b = molecule("H2O"), molecule("H2O")
    b.positions += [3.2, 0.0, 0.0]
    box = a + b
    box.cell, box.pbc = [8.0, 8.0, 8.0], True
    return [box, box.copy()]


BARE_PAIRS = [("name C", "name O"), ["name C", "name O"], ("name O", "name O")]


@pytest.mark.parametrize("pairs", BARE_PAIRS)
def test_one_pair_given_bare_is_named(pairs):
    with pytest.raises(ValueError, match=r"not one pair .*give \[\('name"):
        IntraInterRDF(_universe().atoms, pairs=pairs, range=(0.0, 6.0))


@pytest.mark.parametrize("pairs", [[5], [("name C",)], [("name C", "name O"), "name O"],
                                   [(1, 2)]])
def test_pairs_that_are_not_pairs_of_selections(pairs):
    with pytest.raises(ValueError, match="each pair must be two selection strings"):
        IntraInterRDF(_universe().atoms, pairs=pairs, range=(0.0, 6.0))


@pytest.mark.parametrize("pairs", [5, 2.5, None])
def test_pairs_not_a_list(pairs):
    with pytest.raises(TypeError, match="pairs must be 'elements' or a list"):
        IntraInterRDF(_universe().atoms, pairs=pairs, range=(0.0, 6.0))


@pytest.mark.parametrize("pairs", [[("name C", "name O")], [["name C", "name O"]],
                                   (("name C", "name O"), ("name O", "name O"))])
def test_lists_of_pairs_taken(pairs):
    rdf = IntraInterRDF(_universe().atoms, pairs=pairs, range=(0.0, 6.0), nbins=12).run()
    assert rdf.results.pairs == [tuple(p) for p in pairs]
    # every C has its own O at 1.13 Å: one intramolecular partner
    assert rdf.results.cn_intra[rdf.results.pairs[0]][-1] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def element_rdf():
    return IntraInterRDF(_universe().atoms, range=(0.0, 6.0), nbins=12).run()


@pytest.mark.parametrize("pairs", [("C", "O"), ["O", "C"], ("C", "C")])
def test_plot_one_pair_given_bare_is_named(element_rdf, pairs):
    with pytest.raises(ValueError, match=r"not one pair .*give \[\("):
        element_rdf.plot(pairs=pairs)


@pytest.mark.parametrize("pairs", [[5], [("C",)], ["CO"]])
def test_plot_unknown_pairs_named(element_rdf, pairs):
    with pytest.raises(KeyError, match="unknown pairs"):
        element_rdf.plot(pairs=pairs)


@pytest.mark.parametrize("pairs", [[("O", "C")], [["C", "O"]]])
def test_plot_pairs_in_either_order(element_rdf, pairs):
    fig = element_rdf.plot(pairs=pairs)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["C–O"]


NOT_FLAGS = ["no", "False", 1, 0, 2.0]


def _rdf(**kwargs):
    return IntraInterRDF(_universe().atoms, range=(0.0, 6.0), nbins=12, **kwargs)


def _scan(**kwargs):
    return RigidVolumeScan(_frames(), LennardJones(sigma=2.0, rc=3.9), scales=[1.0, 1.1],
                           **kwargs)


@pytest.mark.parametrize("make", [_rdf, _scan], ids=["rdf", "scan"])
@pytest.mark.parametrize("verbose", NOT_FLAGS)
def test_verbose_not_a_flag_refused_at_creation(make, verbose):
    with pytest.raises(ValueError, match="verbose must be True or False"):
        make(verbose=verbose)


@pytest.mark.parametrize("make", [_rdf, _scan], ids=["rdf", "scan"])
@pytest.mark.parametrize("verbose", NOT_FLAGS)
def test_verbose_not_a_flag_refused_by_run(make, verbose, capsys):
    analysis = make()
    with pytest.raises(ValueError, match="verbose must be True or False"):
        analysis.run(verbose=verbose)
    # refused before any frame: no progress bar drawn, no results left
    assert "it/s" not in capsys.readouterr().err
    assert not analysis.results


@pytest.mark.parametrize("make", [_rdf, _scan], ids=["rdf", "scan"])
@pytest.mark.parametrize("verbose", [False, True, np.False_, None])
def test_flags_taken(make, verbose):
    analysis = make(verbose=verbose).run(verbose=verbose)
    assert analysis.n_frames in (2, 4)
