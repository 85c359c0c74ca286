"""A .gro file of several frames read by MDAnalysis' own GRO reader is analysed as one frame:
every analysis now says so, naming ``from_ase``, which reads them all."""
import warnings

import MDAnalysis as mda
import numpy as np
import pytest

import mda_electrolyte as mdae


def _gro(path, n_frames, box_nm=2.0):
    """``n_frames`` frames of 8 water-free Li/Cl ions as gmx trjconv writes them."""
    u = mda.Universe.empty(8, n_residues=8, atom_resindex=np.arange(8), trajectory=True)
    u.add_TopologyAttr("names", ["LI", "CL"] * 4)
    u.add_TopologyAttr("resnames", ["LI", "CL"] * 4)
    u.add_TopologyAttr("resids", np.arange(1, 9))
    u.dimensions = [10 * box_nm] * 3 + [90] * 3
    text = []
    rng = np.random.default_rng(0)
    for k in range(n_frames):
        u.atoms.positions = rng.uniform(0, 10 * box_nm, (8, 3))
        one = path.with_name(f"one{k}.gro")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            u.atoms.write(str(one))
        text.append(one.read_text())
    path.write_text("".join(text))
    return path


def _rdf(u):
    if not hasattr(u.atoms, "elements"):
        u.add_TopologyAttr("elements", ["Li", "Cl"] * 4)
    return mdae.IntraInterRDF(u.atoms, range=(0, 9.0))


@pytest.mark.parametrize("n_frames", [2, 5])
def test_a_gro_of_several_frames_read_by_mdanalysis_is_named(tmp_path, n_frames):
    path = _gro(tmp_path / "traj.gro", n_frames)
    u = mda.Universe(str(path))
    assert u.trajectory.n_frames == 1  # MDAnalysis' reader: the first frame only
    with pytest.warns(UserWarning, match=r"IntraInterRDF: MDAnalysis' GRO reader reads only "
                                         r"the first frame of .*traj\.gro.*from_ase"):
        _rdf(u)
    # from_ase reads every frame, and its Universe is not doubted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every = mdae.from_ase(str(path), dt=1.0)
    assert every.trajectory.n_frames == n_frames
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message=r"(?!.*GRO reader)")
        _rdf(every)


def test_a_gro_of_one_frame_is_not_doubted(tmp_path):
    u = mda.Universe(str(_gro(tmp_path / "one.gro", 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message=r"(?!.*GRO reader)")
        _rdf(u)
