"""Structure analyses on cases the older tests did not reach.

- A ``global`` pair selection of IntraInterRDF that matches only atoms outside the atomgroup
  passed the "matches no atom" check (it counted the selection, not its atoms in the group),
  ran the whole pass with N_b = 0 and failed in the conclusion with "1800 of the estimates to
  average are NaN or infinite". It is now refused when the analysis is created, by name.
- Parallel runs (multiprocessing, 2 and 3 workers, a frame count no worker count
  divides, start/stop/step and ``frames=`` arrays) give the serial IntraInterRDF and
  SolvationShells results and the serial error for a broken frame.
- A sheared box that grows between frames (NPT) is normalised by the mean volume, as
  MDAnalysis' InterRDF does on the same frames.
- SSIP/CIP/AGG of a Li⁺ with two anions (one through a periodic image), an anion bridging two
  Li⁺ across the boundary and a sulfate on one Li⁺, against a hand count.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.analysis.rdf import InterRDF
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.lib.mdamath import triclinic_vectors

from mda_electrolyte import IntraInterRDF, SolvationShells
from tests.test_solvation_boundary_and_multivalent import _universe

BOX = 20.0
MOLECULES = [("LI", ["Li"], [])] * 4 + [("FA", ["F"], [])] * 4 + [("W", ["O"], [])] * 6


def _gas(n_frames=7, nan_frame=None):
    frames = np.random.default_rng(0).uniform(0, BOX, size=(n_frames, len(MOLECULES), 3))
    if nan_frame is not None:
        frames[nan_frame, 9] = np.nan
    return _universe(MOLECULES, frames, [BOX, BOX, BOX, 90, 90, 90])


def _shells(u):
    return SolvationShells(u.select_atoms("element Li"), {"FA": u.select_atoms("resname FA")},
                           {"W": u.select_atoms("resname W")}, cutoffs={"FA": 3.0, "W": 3.0},
                           rdf_range=(0, 6), rdf_nbins=30)


def _rdf(u):
    return IntraInterRDF(u.atoms, range=(0, 6), nbins=30)


def _same(a, b, path="results"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for x, y in zip(a, b, strict=True):
            _same(x, y, path)
    elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=path)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12, nan_ok=True), path
    elif hasattr(a, "value") and hasattr(a, "error"):  # an Estimate
        _same(vars(a), vars(b), path)


def test_a_global_selection_outside_the_atomgroup_is_refused_before_the_pass():
    u = _gas()
    with pytest.raises(ValueError, match=r"'global resname W' matches no atom of the "
                                         r"atomgroup \(6 atom\(s\) of the Universe outside"):
        IntraInterRDF(u.atoms[:8], pairs=[("element Li", "global resname W")], range=(0, 6))
    # a global selection partly inside the group is its atoms in the group, as documented
    inside = IntraInterRDF(u.atoms[:10], pairs=[("element Li", "global resname W")],
                           range=(0, 6)).run()
    assert inside._n_b.tolist() == [2.0]


@pytest.mark.parametrize("make", [_rdf, _shells], ids=["IntraInterRDF", "SolvationShells"])
def test_parallel_runs_equal_the_serial_one(make):
    # multiprocessing only: dask starts each worker as a new process (about 15 s a run here);
    # the same cases on dask with 2 and 3 workers gave the serial results when this was written
    u = _gas()
    for run in ({}, {"start": 1, "stop": 7, "step": 2}, {"frames": np.array([0, 2, 3, 6])}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            serial = make(u).run(**run).results
            for n_workers in (2, 3):
                parallel = make(u).run(backend="multiprocessing", n_workers=n_workers,
                                       **run).results
                _same(dict(serial), dict(parallel))


@pytest.mark.parametrize("backend", ["serial", "multiprocessing"])
@pytest.mark.parametrize("make,message", [(_rdf, "IntraInterRDF: frame 4 has non-finite"),
                                          (_shells, "frame 4: non-finite positions")])
def test_a_broken_frame_fails_alike_on_every_backend(backend, make, message):
    kwargs = {} if backend == "serial" else {"backend": backend, "n_workers": 3}
    with pytest.raises(ValueError, match=message):
        make(_gas(nan_frame=4)).run(**kwargs)


def test_a_growing_sheared_box_is_normalised_as_interrdf_frame_by_frame():
    # each frame by its own volume: the mean of InterRDF over each frame alone (InterRDF over
    # all of them normalises by the mean volume, which reads an ideal gas in a changing box
    # above 1, tests/test_struct51_npt_rdf.py)
    rng = np.random.default_rng(1)
    n_li, n_o, n_frames = 10, 60, 12
    n = n_li + n_o
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("names", ["LI"] * n_li + ["O"] * n_o)
    boxes = np.array([[L, 1.05 * L, 0.95 * L, 75, 80, 70]
                      for L in np.linspace(16.0, 18.0, n_frames)])
    positions = np.array([rng.uniform(size=(n, 3)) @ triclinic_vectors(box) for box in boxes])
    u.load_new(positions.astype(np.float32), format=MemoryReader, dimensions=boxes)
    ref = np.mean([InterRDF(u.select_atoms("name LI"), u.select_atoms("name O"), range=(0, 6),
                            nbins=60).run(start=f, stop=f + 1).results.rdf
                   for f in range(n_frames)], axis=0)
    ours = IntraInterRDF(u.atoms, pairs=[("name LI", "name O")], range=(0, 6), nbins=60).run()
    np.testing.assert_allclose(ours.results.total[("name LI", "name O")], ref,
                               rtol=1e-12, atol=0)
    assert ours.results.volume == pytest.approx(np.mean([abs(np.linalg.det(
        triclinic_vectors(box, dtype=np.float64))) for box in boxes]), rel=1e-6)


@pytest.mark.parametrize("store_table", [True, False])
@pytest.mark.parametrize("convention,classes", [
    ("anion_count", {"SSIP": 0.0, "CIP": 0.75, "AGG": 0.25}),
    ("bridging", {"SSIP": 0.0, "CIP": 0.25, "AGG": 0.75})])
def test_classes_through_periodic_images_match_a_hand_count(convention, classes, store_table):
    # Li 0: two F⁻ (one through the x image); Li 1 and Li 2 share one F⁻ (through the z image);
    # Li 3: one O of a sulfate
    li = [[1, 10, 10], [10, 1, 1], [10, 1, 17], [10, 10, 10]]
    fluoride = [[BOX - 1, 10, 10], [1, 12, 10], [10, 1, 19]]
    s = np.array([10, 10, 13.5])
    sulfate = [s, s + [0, 0, -1.5], s + [1.4, 0, 0.5], s + [-1.4, 0, 0.5], s + [0, 1.4, 0.5]]
    frames = np.array([li + fluoride + [list(x) for x in sulfate]] * 3, float)
    molecules = [("LI", ["Li"], [])] * 4 + [("FA", ["F"], [])] * 3 + [
        ("SO4", ["S", "O", "O", "O", "O"], [(0, 1), (0, 2), (0, 3), (0, 4)])]
    u = _universe(molecules, frames, [BOX, BOX, BOX, 90, 90, 90])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r = SolvationShells(u.select_atoms("element Li"),
                            {"FA": u.select_atoms("resname FA"),
                             "SO4": u.select_atoms("resname SO4")}, {},
                            cutoffs={"FA": 2.5, "SO4": 2.5}, convention=convention,
                            rdf_range=(0, 6), rdf_nbins=30, store_table=store_table).run().results
    assert r.fractions == pytest.approx(classes)
    assert r.coordination_numbers == pytest.approx({"FA": 1.0, "SO4": 0.25})
    assert r.free_cation_fraction == 0.0 and r.free_ion_fraction == 0.0
    assert r.network_sizes == pytest.approx({1: 0.5, 2: 0.5})
    assert r.labels == pytest.approx({"Li(FA)": 0.5, "Li(FA)2": 0.25, "Li(SO4)": 0.25})
