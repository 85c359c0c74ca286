"""A run folder whose later stage file cannot be written or read is refused before the first
stage, not after the stages before it have run.

Before, ``production.h5md`` being someone's notes, a folder or a damaged HDF5 file was refused
by the production stage itself: after the relaxation and every MD stage before it (21 model
evaluations here; a relaxation and 1.2 ns of MD in Ju et al. 2025's protocol).
"""

import warnings

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import run_protocol
from ase_electrolyte.trajectory import h5md_info


class _Counting(LennardJones):
    """Lennard-Jones argon that counts its evaluations."""

    def __init__(self, epsilon=0.0104):
        super().__init__(sigma=3.4, epsilon=epsilon, rc=8.0, smooth=True)
        self.calls = 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        super().calculate(*args, **kwargs)


_Counting.__module__, _Counting.__name__ = LennardJones.__module__, LennardJones.__name__

_PROTOCOL = dict(temperature_K=60, relax_fmax=0.05, preequilibration_ps=0.024,
                 preequilibration_timestep_fs=2.0, equilibration_ps=0.024,
                 production_ps=0.024, timestep_fs=2.0, write_interval_fs=4.0,
                 observe_interval_fs=2.0, progress=False)


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    return atoms


def _notes(path):
    path.write_text("my notes")
    return "exists and is not an HDF5 .H5MD. file; it is not overwritten"


def _folder(path):
    path.mkdir()
    (path / "keep.txt").write_text("x")
    return "is a folder; give a file name"


def _damaged(path):
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200))
    return "exists but cannot be read as an H5MD trajectory .truncated or damaged"


_KINDS = {"notes": _notes, "a folder": _folder, "a damaged file": _damaged}


@pytest.mark.parametrize("stage", ["preequilibration", "equilibration", "production"])
@pytest.mark.parametrize("kind", list(_KINDS))
def test_a_later_stage_file_that_cannot_be_used_is_refused_before_the_first_stage(
        kind, stage, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    path = folder / f"{stage}.h5md"
    match = _KINDS[kind](path)
    before = sorted(p.name for p in folder.rglob("*"))
    calc = _Counting()
    with pytest.raises(ValueError, match=f"{path} {match}"):
        run_protocol(_argon(), calc, folder, **_PROTOCOL)
    assert calc.calls == 0
    assert sorted(p.name for p in folder.rglob("*")) == before  # nothing written or removed


def test_overwrite_replaces_notes_but_never_a_folder(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    _folder(folder / "production.h5md")
    calc = _Counting()
    with pytest.raises(ValueError, match="is a folder"):
        run_protocol(_argon(), calc, folder, overwrite=True, **_PROTOCOL)
    assert calc.calls == 0 and (folder / "production.h5md" / "keep.txt").exists()
    (folder / "production.h5md" / "keep.txt").unlink()
    (folder / "production.h5md").rmdir()
    _notes(folder / "production.h5md")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run_protocol(_argon(), _Counting(), folder, overwrite=True, **_PROTOCOL)
    assert all(h5md_info(p)["complete"] for p in done.files.values())
