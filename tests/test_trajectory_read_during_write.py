"""A trajectory read by another process at every moment of a frame's write: after each
dataset the writer appends (per-step series, frame observables, box, forces, velocities,
positions) and after the frame's flush.

MDAnalysis' own H5MD reader and ours must see whole frames only: the frames of the last flush
while the frame is being written (never a frame of zeros, never a frame counted by its
positions that its velocities lack), and that frame as well once it is flushed. HDF5 refuses to
open one file twice in one process with different locking flags, so the reader is a child
process, started once and asked at each moment.
"""

import json
import subprocess
import sys
import textwrap
import warnings

from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte import trajectory
from ase_electrolyte.md import run_md

_READER = textwrap.dedent("""
    import json, sys, warnings
    import numpy as np
    warnings.simplefilter("ignore")
    from MDAnalysis.coordinates.H5MD import H5MDReader
    from ase_electrolyte.trajectory import h5md_info, read_h5md
    for path in sys.stdin:
        path = path.strip()
        out = {}
        try:
            reader = H5MDReader(path)
            out["mda"] = reader.n_frames
            out["mda_zero"] = [ts.frame for ts in reader if not np.any(ts.positions)]
            out["mda_steps"] = [int(ts.data["step"]) for ts in reader]
            reader.close()
        except Exception as err:
            out["mda_error"] = f"{type(err).__name__}: {err}"
        try:
            info = h5md_info(path)
            out["ours"] = info["n_frames"]
            out["ours_steps"] = [read_h5md(path, k).info["step"] for k in range(info["n_frames"])]
        except Exception as err:
            out["ours_error"] = f"{type(err).__name__}: {err}"
        print(json.dumps(out), flush=True)
""")


def test_every_moment_of_a_frames_write_shows_whole_frames_to_both_readers(tmp_path,
                                                                             monkeypatch):
    path = tmp_path / "md.h5md"
    reader = subprocess.Popen([sys.executable, "-c", _READER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    seen = []

    def read(moment, step):
        reader.stdin.write(f"{path}\n")
        reader.stdin.flush()
        seen.append((moment, step, json.loads(reader.stdout.readline())))

    append = trajectory._append_rows

    def appending(handles, k, values, steps, times):
        append(handles, k, values, steps, times)
        if path.exists():
            read(handles[0].name, int(steps[-1]))

    release = trajectory.H5MDWriter._release_reserve

    def flushed(self):
        release(self)
        if path.exists():
            read("flushed", int(self._attrs["n_frames"]))  # the frames the file now counts

    monkeypatch.setattr(trajectory, "_append_rows", appending)
    monkeypatch.setattr(trajectory.H5MDWriter, "_release_reserve", flushed)
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.02, seed=1)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_md(atoms, ensemble="nve", steps=6, timestep_fs=2.0, temperature_K=60,
                   write_interval=3, observe_interval=2, trajectory=path, progress=False)
    finally:
        reader.stdin.close()
        reader.wait(timeout=600)
    assert reader.returncode == 0
    written = [0, 3, 6]
    moments = 0
    for moment, step, out in seen:
        assert "mda_error" not in out and "ours_error" not in out, (moment, step, out)
        assert out["mda_zero"] == []
        # the frames of the file's last flush: those before the step being written; once
        # flushed ("step" is then the count of frames), that many
        whole = written[:step] if moment == "flushed" else [s for s in written if s < step]
        assert out["mda_steps"] == out["ours_steps"] == whole, (moment, step, out)
        assert out["mda"] == out["ours"] == len(whole)
        moments += moment != "flushed"
    # every dataset of the frames after the first (the first publishes the file) was read
    # after its append: at least the 4 particle datasets of each, and every frame once flushed
    assert moments >= 8
    assert {step for moment, step, _ in seen if moment == "flushed"} >= {2, 3}
