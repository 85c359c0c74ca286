"""A stage file that does not continue the stage before it is refused before the first stage,
naming both stages, at every stage boundary.

Before, ``run_protocol`` compared a later stage file's settings and system up front, but its
start (the previous stage's last frame: positions, velocities, cell) only when its stage was
reached: with the files before it missing, those stages were recomputed first (here 9 model
evaluations before the equilibration's file was refused, 21 before the production's; up to
1.2 ns of MD in Ju et al. 2025's protocol). A later file beside an unfinished stage (an
``overwrite=True`` run stopped part-way leaves the old later files) was refused only after
that stage's resume (11 evaluations here).
"""

import shutil
import warnings

import h5py
import numpy as np
import pytest
from ase.build import bulk
from test_protocol_stage_files import _PROTOCOL, _Counting

from ase_electrolyte.md import run_protocol
from ase_electrolyte.topology import set_topology
from ase_electrolyte.trajectory import H5MDWriter, h5md_info, read_h5md

_STAGES = ("relaxed", "preequilibration", "equilibration", "production")


def _argon(seed=1):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=seed)
    set_topology(atoms, np.arange(len(atoms)), np.array(["Ar"] * len(atoms)),
                 np.zeros(len(atoms), int))
    return atoms


def _run(folder, atoms=None, calc=None, **change):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 60 K is implausible for an electrolyte
        return run_protocol(_argon() if atoms is None else atoms, calc or _Counting(), folder,
                            **dict(_PROTOCOL, **change))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two finished runs of the same settings from other inputs, for each production
    ensemble: every stage file of one has the other's settings and system, not its start."""
    out = {}
    for ensemble in ("npt", "nvt"):
        for seed in (1, 2):
            folder = tmp_path_factory.mktemp(f"{ensemble}{seed}") / "run"
            _run(folder, _argon(seed), production_ensemble=ensemble)
            out[ensemble, seed] = folder
    return out


_BOUNDARIES = [(ensemble, i) for ensemble in ("npt", "nvt") for i in range(1, 4)]


@pytest.mark.parametrize("ensemble, i", _BOUNDARIES,
                         ids=[f"{e}-{_STAGES[i - 1]}-{_STAGES[i]}" for e, i in _BOUNDARIES])
def test_a_stage_file_not_continuing_the_stage_before_it_is_refused_up_front(
        ensemble, i, runs, tmp_path):
    """The stage before the boundary is this run's (complete), the one after it another
    run's; every stage before those two is missing, so it would run first."""
    before, after = _STAGES[i - 1], _STAGES[i]
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(runs[ensemble, 1] / f"{before}.h5md", folder)
    shutil.copy(runs[ensemble, 2] / f"{after}.h5md", folder)
    kept = {p.name: p.read_bytes() for p in folder.iterdir()}
    calc = _Counting()
    with pytest.raises(ValueError, match=f"run_protocol's {after} stage: .*{after}.h5md does "
                                         f"not continue the {before} stage .*{before}.h5md"):
        _run(folder, calc=calc, production_ensemble=ensemble)
    assert calc.calls == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == kept


@pytest.mark.parametrize("ensemble, i", _BOUNDARIES,
                         ids=[f"{e}-{_STAGES[i - 1]}-{_STAGES[i]}" for e, i in _BOUNDARIES])
def test_a_chain_of_this_run_is_reused_at_every_boundary(ensemble, i, runs, tmp_path):
    """The same two files of this run pass the check (their own stage compares them again)
    and the result is the finished run's."""
    folder = tmp_path / "run"
    shutil.copytree(runs[ensemble, 1], folder)
    for name in _STAGES[:i - 1]:
        (folder / f"{name}.h5md").unlink()
    done = _run(folder, production_ensemble=ensemble)
    reference = _run(runs[ensemble, 1], production_ensemble=ensemble)
    np.testing.assert_allclose(done.atoms.positions, reference.atoms.positions, atol=1e-9)
    np.testing.assert_allclose(done.atoms.cell.array, reference.atoms.cell.array, atol=1e-9)
    assert done.density.value == pytest.approx(reference.density.value, abs=1e-12)


def _unfinish(path, keep):
    """``path`` as its run leaves it when stopped after ``keep`` frames (not complete): the
    writer's own truncation to its complete frames drops the rows after them."""
    with h5py.File(path, "r+") as f:
        meta = f["parameters/ase_electrolyte"].attrs
        meta["n_frames"] = keep
        meta["complete"] = False
    H5MDWriter(path, _argon(), mode="a").close(complete=False)
    info = h5md_info(path)
    assert info["n_frames"] == keep and not info["complete"]
    assert read_h5md(path, -1).info["step"] == info["last_step"] > 0


_UNFINISHED = [(u, later) for u in _STAGES[1:3] for later in _STAGES[_STAGES.index(u) + 1:]]


@pytest.mark.parametrize("unfinished, later", _UNFINISHED)
def test_a_later_file_beside_an_unfinished_stage_is_refused_up_front(unfinished, later, runs,
                                                                     tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(runs["npt", 1], folder)
    for name in _STAGES[_STAGES.index(unfinished) + 1:]:
        if name != later:
            (folder / f"{name}.h5md").unlink()
    _unfinish(folder / f"{unfinished}.h5md", 2)
    calc = _Counting()
    with pytest.raises(ValueError, match=f"run_protocol's {later} stage: .*{later}.h5md holds "
                                         f"a run, but the {unfinished} stage before it is "
                                         "unfinished .*2 frames"):
        _run(folder, calc=calc)
    assert calc.calls == 0
    # removing the later files resumes the unfinished stage
    (folder / f"{later}.h5md").unlink()
    done = _run(folder, calc=calc)
    assert calc.calls > 0 and done.temperature.value > 0
    assert all(h5md_info(done.files[name])["complete"] for name in _STAGES)
