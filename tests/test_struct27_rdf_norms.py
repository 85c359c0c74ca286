"""The shells' RDFs and IntraInterRDF against MDAnalysis' InterRDF on NPT frames.

SolvationShells' ``results.rdfs`` were documented as InterRDF's ``norm="density"``; they are
that divided by the number of cations (MDAnalysis' "density" sums over the first group: 8 times
ours for 8 Li⁺). Its docs now say so; these relations hold bin by bin, with a box that changes
from frame to frame (MDAnalysis' ``norm="rdf"`` uses the mean volume), and IntraInterRDF's
total/inter equal InterRDF's ``norm="rdf"`` of each frame alone, averaged over the frames, on
triclinic cells of changing volume (each frame normalised by its own volume: the mean volume's
normalisation reads an ideal gas in a changing box above 1, tests/test_struct51_npt_rdf.py).
"""

import warnings

import MDAnalysis as mda
import numpy as np
from MDAnalysis.analysis.rdf import InterRDF
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.lib.mdamath import triclinic_vectors
from shell_shapes import loose_shells

from mda_electrolyte import IntraInterRDF, SolvationShells


def test_shell_rdfs_are_interrdf_density_per_cation_on_npt_frames():
    u = loose_shells(4.0, 8, seed=2, n_background=100)
    positions = u.trajectory.timeseries(order="fac").copy()
    scale = 1.0 + 0.03 * np.arange(len(positions))
    u.load_new(positions * scale[:, None, None], format=MemoryReader,
               dimensions=np.array([[20.0 * s] * 3 + [90.0] * 3 for s in scale]))
    li, sol = u.select_atoms("resname LI"), u.select_atoms("resname SOL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shells = SolvationShells(li, {}, {"SOL": sol}, rdf_range=(0.0, 8.0),
                                 rdf_nbins=80).run()
    r, n = shells.results.rdfs["SOL"]
    density = InterRDF(li, sol, nbins=80, range=(0.0, 8.0), norm="density",
                       exclude_same="residue").run()
    np.testing.assert_allclose(r, density.results.bins, rtol=1e-12)
    np.testing.assert_allclose(n * li.n_atoms, density.results.rdf, rtol=1e-12, atol=1e-15)
    rdf = InterRDF(li, sol, nbins=80, range=(0.0, 8.0), norm="rdf").run()
    rho = sol.n_atoms / (rdf.results.volume_cum / rdf.n_frames)
    np.testing.assert_allclose(n / rho, rdf.results.rdf, rtol=1e-12, atol=1e-15)


def test_intra_inter_rdf_equals_interrdf_on_triclinic_npt_frames():
    rng = np.random.default_rng(0)
    n_atoms, n_frames = 90, 5
    u = mda.Universe.empty(n_atoms, n_residues=30, atom_resindex=np.arange(n_atoms) // 3,
                           trajectory=True)
    elements = ["O", "H", "H"] * 30
    u.add_TopologyAttr("elements", elements)
    # the molecules' bonds: random positions put atoms of two residues a bond length apart
    u.add_TopologyAttr("bonds", [(3 * m, 3 * m + k) for m in range(30) for k in (1, 2)])
    boxes = np.array([[14 + 0.5 * f, 15 + 0.4 * f, 13.5 + 0.3 * f, 80.0, 100.0, 70.0]
                      for f in range(n_frames)])
    positions = np.array([rng.uniform(size=(n_atoms, 3)) @ triclinic_vectors(box)
                          for box in boxes], dtype=np.float32)
    u.load_new(positions, format=MemoryReader, dimensions=boxes)
    ours = IntraInterRDF(u.atoms, pairs=[("element O", "element H"),
                                         ("element O", "element O")],
                         range=(0.0, 5.0), nbins=50).run().results
    oxygen, hydrogen = u.select_atoms("element O"), u.select_atoms("element H")
    def per_frame(a, b, **kwargs):
        return np.mean([InterRDF(a, b, nbins=50, range=(0.0, 5.0), **kwargs)
                        .run(start=f, stop=f + 1).results.rdf for f in range(n_frames)], axis=0)

    for key, (a, b) in {("element O", "element H"): (oxygen, hydrogen),
                        ("element O", "element O"): (oxygen, oxygen)}.items():
        total = per_frame(a, b)
        inter = per_frame(a, b, exclude_same="residue")
        # an atom is not paired with itself here (InterRDF(g, g) puts len(g) at r = 0)
        np.testing.assert_allclose(ours.total[key][1:], total[1:], rtol=1e-12, atol=0)
        np.testing.assert_allclose(ours.inter[key], inter, rtol=1e-12, atol=0)
        assert ours.total[key][0] == 0.0
