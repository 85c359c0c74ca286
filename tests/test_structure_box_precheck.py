"""A box that shrinks below twice the RDF range is refused before the pass, naming its frame
with the message the pass gives.

Before: IntraInterRDF and SolvationShells refused it only at the frame where it happened,
after the earlier frames' work. The boxes are read without the coordinates in memory (and
H5MD); a file reader (DCD, XTC) reads its frames for them, about 1 % of the pass's time.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import SolvationShells
from mda_electrolyte.rdf import IntraInterRDF, _selected_frame_indices

N_FRAMES, SHRUNK = 12, 9


def shrinking(box=20.0, small=14.0):
    """Li⁺ and one-atom solvent in a 20 Å box that is ``small`` Å in frame :data:`SHRUNK`."""
    rng = np.random.default_rng(3)
    n = 40
    positions = rng.uniform(0, small, (N_FRAMES, n, 3)).astype(np.float32)
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    elements = ["Li"] * 8 + ["N"] * (n - 8)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", ["LI"] * 8 + ["SOL"] * (n - 8))
    dims = np.tile(np.array([box] * 3 + [90] * 3, np.float32), (N_FRAMES, 1))
    dims[SHRUNK, :3] = small
    u.load_new(positions, format=MemoryReader, dimensions=dims)
    return u


def rdf(u):
    return IntraInterRDF(u.atoms, range=(0.0, 8.0))


def shells(u):
    return SolvationShells(u.select_atoms("element Li"), {},
                           {"SOL": u.select_atoms("resname SOL")}, cutoffs={"SOL": 2.5})


class Counted:
    """Counts the frames an analysis analyses."""

    def __init__(self, analysis, monkeypatch):
        self.frames = []
        original = analysis._single_frame

        def single_frame():
            self.frames.append(analysis._ts.frame)
            return original()

        monkeypatch.setattr(analysis, "_single_frame", single_frame)


@pytest.mark.parametrize("make, message", [
    (rdf, rf"r_max = 8.0 Å exceeds half the smallest box width of frame {SHRUNK} "
          r"\(7.000 Å; the box shrank\)"),
    (shells, rf"frame {SHRUNK}: rdf_range ends at 8.0 Å, beyond half the smallest box width "
             r"\(7.000 Å; the box shrank\)")])
@pytest.mark.parametrize("backend", ["serial", "multiprocessing"])
def test_a_box_that_shrinks_is_refused_before_any_frame(make, message, backend, monkeypatch):
    u = shrinking()
    analysis = make(u)
    counted = Counted(analysis, monkeypatch)
    u.trajectory[2]
    kwargs = {} if backend == "serial" else {"backend": backend, "n_workers": 2}
    with pytest.raises(ValueError, match=message):
        analysis.run(**kwargs)
    assert counted.frames == []
    assert u.trajectory.ts.frame == 2


@pytest.mark.parametrize("make", [rdf, shells])
def test_frames_that_leave_the_small_box_out_run(make):
    u = shrinking()
    make(u).run(stop=SHRUNK)
    make(u).run(frames=[k for k in range(N_FRAMES) if k != SHRUNK])
    make(u).run(start=SHRUNK + 1)
    with pytest.raises(ValueError, match=f"frame {SHRUNK}"):
        make(u).run(start=SHRUNK - 1, stop=SHRUNK + 2)


@pytest.mark.parametrize("make", [rdf, shells])
def test_a_file_reader_is_refused_before_any_frame_too(make, tmp_path, monkeypatch):
    u = shrinking()
    path = str(tmp_path / "shrinking.dcd")
    with mda.Writer(path, u.atoms.n_atoms) as writer:
        for _ in u.trajectory:
            writer.write(u.atoms)
    from_file = mda.Universe(u._topology, path)
    from_file.trajectory[4]
    analysis = make(from_file)
    counted = Counted(analysis, monkeypatch)
    with pytest.raises(ValueError, match=rf"frame {SHRUNK}\b.*7.000 Å; the box shrank"):
        analysis.run()
    assert counted.frames == []
    assert from_file.trajectory.ts.frame == 4


@pytest.mark.parametrize("selection", [slice(None), slice(2, 10, 3), slice(None, None, -2),
                                       slice(5, None, -1), slice(-3, None), [4, 1, 7],
                                       np.arange(N_FRAMES) % 3 == 0])
def test_selected_frame_indices_are_the_frames_iterated(selection):
    u = shrinking()
    sliced = u.trajectory[selection]
    assert list(_selected_frame_indices(sliced)) == [ts.frame for ts in sliced]
