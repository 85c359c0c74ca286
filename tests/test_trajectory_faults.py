"""Trajectories as other programs, tools and crashes leave them: H5MD files without their box,
LAMMPS dumps cut inside their last frame, and a trajectory writer that refuses a step's data
during run_md. Each ends in a clear error before work, or in the right frames with a warning."""

import errno
import warnings

import ase.io
import h5py
import numpy as np
import pytest
from ase.build import bulk, molecule
from ase.calculators.lj import LennardJones
from test_fault_catalogue_sim import _Killed  # argon LJ killed at its at-th evaluation

from ase_electrolyte.md import MDInstabilityError, run_md
from ase_electrolyte.trajectory import (
    H5MDWriter,
    h5md_info,
    h5md_series,
    read_h5md,
    start_positions,
)
from mda_electrolyte.bridge import _cut_dump_frame, from_ase


def _lj():
    return LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)


def _argon(pbc=True):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.pbc = pbc
    atoms.calc = _lj()
    return atoms


def _written(path, atoms, n=3):
    with H5MDWriter(path, atoms) as w:
        for k in range(n):
            atoms.positions[0, 0] += 0.01
            w.write(atoms, step=k, time=0.1 * k)
    return path


# --- H5MD files and their box ------------------------------------------------------------------
def _no_edges(f):
    del f["particles/trajectory/box/edges"]


def _fixed_edges(f):
    cell = f["parameters/ase_electrolyte/cell"][()]
    del f["particles/trajectory/box/edges"]
    f["particles/trajectory/box/edges"] = cell  # one box for all frames: valid H5MD, not ours


def _flat_edges(f):
    g = f["particles/trajectory/box/edges"]
    n = g["value"].shape[0]
    del g["value"]
    g["value"] = np.ones((n, 2, 2))


def _no_cell(f):
    del f["parameters/ase_electrolyte/cell"]


def _bad_pbc(f):
    del f["parameters/ase_electrolyte/pbc"]
    f["parameters/ase_electrolyte/pbc"] = np.array([True, True])


@pytest.mark.parametrize(
    "edit, match",
    [
        (_no_edges, r"periodic \(pbc \[True, True, True\]\) but stores no box"),
        (_fixed_edges, "box/edges is one fixed box, not the per-frame series"),
        (_flat_edges, r"box/edges/value has shape \(3, 2, 2\)"),
        (_no_cell, "it has no parameters/ase_electrolyte/cell"),
        (_bad_pbc, r"pbc has shape \(2,\)"),
    ],
)
def test_an_h5md_file_without_a_usable_box_is_refused_by_every_reader(edit, match, tmp_path):
    path = _written(tmp_path / "run.h5md", _argon())
    with h5py.File(path, "a") as f:
        edit(f)
    before = path.read_bytes()
    # without the check: a Universe without a box (RDFs without periodic images), the start
    # cell for every frame, or h5py's KeyError naming neither file nor dataset
    for read in (from_ase, read_h5md, h5md_info, start_positions,
                 lambda p: h5md_series(p, "density")):
        with pytest.raises(ValueError, match=match):
            read(path)
    with pytest.raises(ValueError, match=f"{match}.*cannot be resumed"):
        H5MDWriter(path, _argon(), mode="a")
    with pytest.raises(ValueError, match="cannot be read as an H5MD trajectory.*overwrite=True"):
        run_md(_argon(), ensemble="nve", steps=2, timestep_fs=1.0, temperature_K=50,
               trajectory=path, progress=False)
    assert path.read_bytes() == before


def test_a_cluster_file_that_stores_a_box_is_read_without_one(tmp_path):
    cluster = _argon(pbc=False)
    path = _written(tmp_path / "cluster.h5md", cluster)
    u = from_ase(path)
    assert u.dimensions is None
    u.trajectory.close()
    # early versions wrote a box also for clusters: MDAnalysis would wrap the cluster in it
    with h5py.File(path, "a") as f:
        box = f["particles/trajectory/box"].create_group("edges")
        box["value"] = np.tile(np.eye(3) * 3.0, (3, 1, 1))
        box["step"] = np.arange(3)
        box["time"] = 0.1 * np.arange(3)
    u = from_ase(path)
    assert u.trajectory.n_frames == 3
    assert all(ts.dimensions is None for ts in u.trajectory)
    np.testing.assert_allclose(u.trajectory[2].positions, read_h5md(path, 2).positions,
                               atol=1e-5)


# --- LAMMPS dumps cut inside their last frame --------------------------------------------------
def _dump_pair(tmp_path, n_frames=3, steps=None, columns="id type element x y z"):
    atoms = bulk("Cu", cubic=True).repeat(2)
    ase.io.write(tmp_path / "data.lmp", atoms, format="lammps-data", masses=True,
                 atom_style="atomic")
    rng = np.random.default_rng(0)
    frames, text = [], ""
    for k in range(n_frames):
        pos = atoms.positions + rng.normal(scale=0.02, size=atoms.positions.shape)
        frames.append(pos)
        step = 10 * k if steps is None else steps[k]
        text += (f"ITEM: TIMESTEP\n{step}\nITEM: NUMBER OF ATOMS\n{len(atoms)}\n"
                 "ITEM: BOX BOUNDS pp pp pp\n")
        text += "".join(f"0.0 {x}\n" for x in np.diag(atoms.cell.array))
        text += f"ITEM: ATOMS {columns}\n"
        element = " Cu" if "element" in columns else ""
        text += "".join(f"{i + 1} 1{element} {p[0]:.6f} {p[1]:.6f} {p[2]:.6f}\n"
                        for i, p in enumerate(pos))
    return tmp_path / "data.lmp", text, np.array(frames)


def _readers(data):
    return {
        "ase": lambda dump: [ts.positions.copy() for ts in from_ase(dump, dt=0.01).trajectory],
        "mdanalysis": lambda dump: [
            ts.positions.copy()
            for ts in from_ase(data, dump=dump, dt=0.01,
                               lammps_atom_style="id type x y z").trajectory
        ],
    }


# where the last frame is cut: (bytes kept from the end of the whole file) -> what is missing
_CUTS = {
    "after its TIMESTEP item": (lambda t, last: last + len("ITEM: TIMESTEP\n"), "timestep not"),
    "inside the atom count": (lambda t, last: t.index("ITEM: NUMBER", last) + 8, "its header"),
    "inside the box": (lambda t, last: t.index("ITEM: BOX", last) + 30, "its header"),
    "after the ATOMS item": (lambda t, last: t.index("ITEM: ATOMS", last) + 33,
                             "0 of its 32 atom lines"),
    "five atoms short": (lambda t, last: len(t) - 5 * 36, r"2\d of its 32 atom lines"),
    "inside the last atom's line": (lambda t, last: len(t) - 7, "inside the line of its last"),
}


@pytest.mark.parametrize("reader", ["ase", "mdanalysis"])
@pytest.mark.parametrize("cut", list(_CUTS))
def test_a_dump_cut_inside_its_last_frame_warns_and_gives_the_whole_frames(cut, reader,
                                                                           tmp_path):
    data, text, frames = _dump_pair(tmp_path)
    last = text.rindex("ITEM: TIMESTEP")
    keep, what = _CUTS[cut]
    dump = tmp_path / "cut.lammpstrj"
    dump.write_text(text[: keep(text, last)])
    with pytest.warns(UserWarning, match=rf"cut\.lammpstrj: frame 2 .*{what}.*reading its 2 "
                                         "complete frames"):
        got = _readers(data)[reader](dump)
    # without the check: silently 2 frames, a third of fewer atoms, or a RuntimeError
    assert len(got) == 2
    np.testing.assert_allclose(np.array(got), frames[:2], atol=1e-5)


@pytest.mark.parametrize("reader", ["ase", "mdanalysis"])
def test_a_whole_dump_reads_silently_and_a_dump_without_a_whole_frame_is_refused(reader,
                                                                                 tmp_path):
    data, text, frames = _dump_pair(tmp_path)
    dump = tmp_path / "d.lammpstrj"
    dump.write_text(text)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*cut short")
        assert len(_readers(data)[reader](dump)) == 3
        # cut exactly between two frames: nothing is missing, nothing to say
        dump.write_text(text[: text.rindex("ITEM: TIMESTEP")])
        assert len(_readers(data)[reader](dump)) == 2
    dump.write_text(text[: text.index("ITEM: ATOMS") + len("ITEM: ATOMS id type element x y z\n")])
    with pytest.raises(ValueError, match=r"frame 0 \(timestep 0\) holds 0 of its 32 atom "
                                         "lines.*no complete frame"):
        _readers(data)[reader](dump)


@pytest.mark.parametrize("reader", ["ase", "mdanalysis"])
@pytest.mark.parametrize("steps, match", [
    ((0, 10, 10, 20), r"frame 2 is at timestep 10, not after frame 1 \(timestep 10\): frames "
                      "repeated"),
    ((0, 10, 5, 20), r"frame 2 is at timestep 5, not after frame 1"),
    ((0, 10, 20, 40), r"frames are not evenly spaced in timesteps \(intervals \[10, 20\]\)"),
])
def test_dump_frames_repeated_or_unevenly_spaced_are_refused(steps, match, reader, tmp_path):
    # a run restarted from a restart file appends from the restart's step: read at one dt, the
    # later frames would be given the wrong times
    data, text, _ = _dump_pair(tmp_path, n_frames=4, steps=steps)
    dump = tmp_path / "d.lammpstrj"
    dump.write_text(text)
    with pytest.raises(ValueError, match=f"d.lammpstrj: {match}"):
        _readers(data)[reader](dump)


def test_a_dump_without_elements_is_not_read_alone_as_hydrogen(tmp_path):
    data, text, frames = _dump_pair(tmp_path, columns="id type x y z")
    dump = tmp_path / "d.lammpstrj"
    dump.write_text(text)
    # ase takes the types 1, 2, ... as atomic numbers: 32 Cu atoms read as H32
    with pytest.raises(ValueError, match=r"without an 'element' column \(columns id type x y "
                                         r"z\).*give its data file"):
        from_ase(dump, dt=0.01)
    # with its data file the elements come from the masses
    u = _readers(data)  # noqa: F841 - the pair is readable
    assert set(from_ase(data, dump=dump, dt=0.01, lammps_atom_style="id type x y z")
               .atoms.elements) == {"Cu"}


@pytest.mark.parametrize("reader", ["ase", "mdanalysis"])
def test_a_dump_with_a_frame_of_other_atoms_or_a_broken_line_names_the_file(reader, tmp_path):
    data, text, _ = _dump_pair(tmp_path)
    first = text.index("ITEM: TIMESTEP", 1)
    second = text.index("ITEM: TIMESTEP", first + 1)
    frame = text[first:second]
    short = frame.replace("NUMBER OF ATOMS\n32", "NUMBER OF ATOMS\n31").rsplit("\n", 2)[0] + "\n"
    dump = tmp_path / "d.lammpstrj"
    dump.write_text(text[:first] + short + text[second:])
    with pytest.raises(ValueError, match=r"d.lammpstrj: "):
        _readers(data)[reader](dump)
    # a crash mid-frame and a restart appending to the dump: a frame cut inside the file
    dump.write_text(text[:first] + frame[:-100] + text[second:])
    with pytest.raises(ValueError, match=r"d.lammpstrj: "):
        _readers(data)[reader](dump)


def test_the_cut_frame_is_found_across_read_blocks(tmp_path):
    _, text, _ = _dump_pair(tmp_path, n_frames=4)
    dump = tmp_path / "d.lammpstrj"
    dump.write_text(text[:-50])
    whole = _cut_dump_frame(dump)
    assert whole[1] == 3 and whole[0] == text.rindex("ITEM: TIMESTEP")
    # blocks that split 'ITEM: TIMESTEP' at every position count every frame once
    for block in (5, 7, 13, 14, 15, 64):
        assert _cut_dump_frame(dump, block=block) == whole


# --- run_md: a writer's refusal is not a physics blow-up ---------------------------------------
class _GrowingLJ(LennardJones):
    """LJ that starts reporting a committee spread after some evaluations (a result the first
    frames did not have: the writer refuses frames of other observables)."""

    def __init__(self, from_call):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.calls, self.from_call = 0, from_call

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.calls += 1
        if self.calls >= self.from_call:
            self.results["max_forces_std"] = 0.01


def _refusing_series(monkeypatch):
    def refuse(self, atoms, step, time, observables=None):
        if step >= 3:
            raise ValueError("observable pressure_tensor has shape (2, 2), stored (3, 3)")
        return original(self, atoms, step, time, observables)

    original = H5MDWriter.write_observables
    monkeypatch.setattr(H5MDWriter, "write_observables", refuse)
    return _lj(), "shape \\(2, 2\\)", 3


@pytest.mark.parametrize("case", ["new observable at a frame", "refused per-step sample"])
def test_a_step_the_writer_refuses_is_named_as_the_writers_error(case, tmp_path, monkeypatch):
    if case == "new observable at a frame":
        calc, match, step = _GrowingLJ(from_call=5), "every frame needs the same ones", 4
    else:
        calc, match, step = _refusing_series(monkeypatch)
    atoms = _argon()
    atoms.calc = calc
    path = tmp_path / "run.h5md"
    with pytest.raises(ValueError, match=rf"step {step}: the trajectory writer refused the "
                                         rf"step's data \(.*{match}.*\); .*run\.h5md keeps 2 "
                                         r"frames up to step 2") as err:
        run_md(atoms, ensemble="nvt", steps=10, timestep_fs=1.0, temperature_K=50,
               trajectory=path, write_interval=2, progress=False)
    # not reported as an unstable integration or a malformed calculator result
    assert not isinstance(err.value, MDInstabilityError)
    assert "integration failed" not in str(err.value)
    info = h5md_info(path)
    assert info["n_frames"] == 2 and not info["complete"]


def test_a_genuine_blow_up_is_still_an_instability(tmp_path):
    class _NaN(LennardJones):
        calls = 0

        def calculate(self, *args, **kwargs):
            super().calculate(*args, **kwargs)
            _NaN.calls += 1
            if _NaN.calls >= 4:
                self.results["forces"][0, 0] = np.nan

    atoms = molecule("H2", vacuum=4.0, pbc=True)
    atoms.calc = _NaN(sigma=0.7, epsilon=0.1, rc=3.0, smooth=True)
    with pytest.raises(MDInstabilityError, match="non-finite forces"):
        run_md(atoms, ensemble="nve", steps=10, timestep_fs=0.5, temperature_K=50,
               trajectory=tmp_path / "r.h5md", write_interval=1, progress=False)


# --- a trajectory open for reading in this process ---------------------------------------------
@pytest.mark.parametrize("how", ["overwrite", "resume", "relax"])
def test_writing_a_file_a_universe_of_this_process_reads_names_it_and_keeps_the_file(how,
                                                                                     tmp_path):
    """HDF5 writes no file the process has open: a resume said 'cannot be read ... remove it'
    (of a sound file), an overwrite 'unable to truncate a file which is already open'."""
    from ase_electrolyte.md import relax
    from ase_electrolyte.trajectory import h5md_info

    path = tmp_path / "md.h5md"
    md = dict(ensemble="nve", steps=6, timestep_fs=2.0, temperature_K=60, progress=False,
              write_interval=2)
    if how == "resume":
        atoms = _argon()
        atoms.calc = _Killed(at=5)
        with pytest.raises(RuntimeError, match="killed"):
            run_md(atoms, trajectory=path, **md)
    elif how == "relax":
        relax(_argon(), trajectory=path)
    else:
        run_md(_argon(), trajectory=path, **md)
    before = path.read_bytes()
    u = from_ase(path)
    with pytest.raises(OSError, match=r"md.h5md is open for reading in this process \(an "
                       r"MDAnalysis Universe of from_ase.*close it first.*unchanged") as err:
        if how == "relax":
            relax(_argon(), trajectory=path, overwrite=True)
        else:
            run_md(_argon(), trajectory=path, overwrite=how == "overwrite", **md)
    assert err.value.errno == errno.EBUSY
    assert path.read_bytes() == before
    u.trajectory.close()
    if how == "relax":
        relax(_argon(), trajectory=path, overwrite=True)
        assert h5md_info(path)["complete"]
    else:
        run_md(_argon(), trajectory=path, overwrite=how == "overwrite", **md)
        info = h5md_info(path)
        assert info["complete"] and info["n_frames"] == 4 and info["last_step"] == 6
