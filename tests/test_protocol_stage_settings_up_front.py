"""A stage file of another run is refused before the first stage, naming the stage and what
differs, not once the stages before it have evaluated the model.

Before, ``run_protocol`` read a later stage's file for damage up front but compared its
settings (temperature, pressure, heavy hydrogen, time step, lengths, intervals, seed,
ensemble, calculator) and system (elements, masses, box, topology) with this call only when
that stage was reached: a folder holding only ``production.h5md`` of another temperature was
refused after the relaxation, the pre-equilibration and the equilibration had run (33 model
evaluations here; a relaxation and 1.2 ns of MD in Ju et al. 2025's protocol).
"""

import shutil
import warnings

import numpy as np
import pytest
from ase.build import bulk
from test_protocol_stage_files import _PROTOCOL, _Counting

from ase_electrolyte.md import run_protocol
from ase_electrolyte.topology import set_topology

_STAGES = ("relaxed", "preequilibration", "equilibration", "production")


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    set_topology(atoms, np.arange(len(atoms)), np.array(["Ar"] * len(atoms)),
                 np.zeros(len(atoms), int))
    return atoms


def _run(folder, atoms=None, calc=None, **change):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 60 K is implausible for an electrolyte
        return run_protocol(_argon() if atoms is None else atoms, calc or _Counting(), folder,
                            **dict(_PROTOCOL, **change))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("finished") / "run"
    _run(folder)
    return folder


def _moved(a):
    a.positions += 0.3


def _larger_box(a):
    a.set_cell(a.cell.array * 1.02, scale_atoms=True)


def _heavier(a):
    a.set_masses(a.get_masses() * 1.5)


def _krypton(a):
    a.numbers[:] = 36


def _charged(a):
    set_topology(a, np.arange(len(a)), np.array(["Ar"] * len(a)), np.ones(len(a), int))


# (stage, change, what the message names: the protocol's argument, not the key run_md records,
# 'steps' or 'write_interval', which the protocol's caller never gives); a change is protocol
# keywords, "calc" (another calculator) or "atoms" (a function changing the input structure)
_CASES = [
    ("relaxed", {"relax_fmax": 0.1}, "'relax_fmax'"),
    ("relaxed", {"calc": 0.0110}, "'calculator'"),
    ("relaxed", {"atoms": _moved}, "other positions"),
    ("relaxed", {"atoms": _larger_box}, "another cell"),
    ("relaxed", {"atoms": _heavier}, "other masses"),
    ("preequilibration", {"temperature_K": 70}, "'temperature_K'"),
    ("preequilibration", {"pressure_bar": 100.0}, "'pressure_bar'"),
    # hydrogen_mass of argon: refused as having no effect (test_md51_hydrogen_mass_without_hydrogen)
    ("preequilibration", {"preequilibration_timestep_fs": 1.0},
     "'preequilibration_timestep_fs'"),
    ("preequilibration", {"preequilibration_ps": 0.032}, "'preequilibration_ps'"),
    ("preequilibration", {"write_interval_fs": 8.0}, "'write_interval_fs'"),
    ("preequilibration", {"seed": 1}, "'seed'"),
    ("preequilibration", {"calc": 0.0110}, "'calculator'"),
    # the first MD stage starts in the input cell, with velocities drawn at this seed
    ("preequilibration", {"atoms": _larger_box}, "another cell"),
    ("preequilibration", {"atoms": _heavier}, "other masses"),
    ("preequilibration", {"atoms": _krypton}, "other elements"),
    ("equilibration", {"temperature_K": 70}, "'temperature_K'"),
    ("equilibration", {"timestep_fs": 1.0}, "'timestep_fs'"),
    ("equilibration", {"equilibration_ps": 0.032}, "'equilibration_ps'"),
    ("equilibration", {"observe_interval_fs": 4.0}, "'observe_interval_fs'"),
    ("equilibration", {"seed": 2}, "'seed'"),
    ("equilibration", {"calc": 0.0110}, "'calculator'"),
    ("equilibration", {"atoms": _heavier}, "other masses"),
    ("equilibration", {"atoms": _charged}, "topology arrays"),
    ("production", {"production_ensemble": "nvt"}, "'production_ensemble'"),
    ("production", {"production_ps": 0.032}, "'production_ps'"),
    ("production", {"pressure_bar": 100.0}, "'pressure_bar'"),
    ("production", {"temperature_K": 70}, "'temperature_K'"),
    ("production", {"calc": 0.0110}, "'calculator'"),
    ("production", {"atoms": _krypton}, "other elements"),
]


@pytest.mark.parametrize("stage, change, named", _CASES,
                         ids=[f"{s}-{'-'.join(c)}-{n.strip(chr(39))}" for s, c, n in _CASES])
def test_a_stage_file_of_another_run_is_refused_before_any_evaluation(
        stage, change, named, finished, tmp_path):
    # only that stage's file: every stage before it would have to run before reaching it
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(finished / f"{stage}.h5md", folder)
    before = (folder / f"{stage}.h5md").read_bytes()
    change = dict(change)
    atoms = _argon()
    if "atoms" in change:
        change.pop("atoms")(atoms)
    calc = _Counting(change.pop("calc", 0.0104))
    with pytest.raises(ValueError, match=f"run_protocol's {stage} stage: .*{stage}.h5md was "
                                         f"written by a different run: .*{named}"):
        _run(folder, atoms, calc, **change)
    assert calc.calls == 0
    assert sorted(p.name for p in folder.iterdir()) == [f"{stage}.h5md"]
    assert (folder / f"{stage}.h5md").read_bytes() == before


@pytest.mark.parametrize("stage", _STAGES[1:])
def test_a_later_stage_of_this_run_is_not_refused_up_front(stage, finished, tmp_path):
    """What only the earlier stages decide (the positions a later stage starts from) is left to
    the stage itself: a folder that lost its earlier files recomputes them and, the relaxation
    and a seeded uninterrupted MD stage being deterministic, reuses the later one."""
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    kept = _STAGES.index(stage)
    for name in _STAGES[:kept]:
        (folder / f"{name}.h5md").unlink()
    calc = _Counting()
    done = _run(folder, calc=calc)
    assert calc.calls > 0  # the earlier stages were recomputed
    for name in _STAGES[kept:]:
        assert (folder / f"{name}.h5md").read_bytes() == (finished / f"{name}.h5md").read_bytes()
    reference = _run(finished)
    np.testing.assert_allclose(done.atoms.positions, reference.atoms.positions, atol=1e-9)
    assert done.density.value == pytest.approx(reference.density.value, abs=1e-12)


def test_overwrite_still_recomputes_a_stage_file_of_another_run(finished, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(finished / "production.h5md", folder)
    done = _run(folder, temperature_K=70, overwrite=True)
    assert done.temperature.value > 0
    from ase_electrolyte.trajectory import h5md_info

    assert h5md_info(done.files["production"])["run_info"]["temperature_K"] == 70.0


@pytest.mark.parametrize("stage", _STAGES)
@pytest.mark.parametrize("kind", ["an older version's file", "another system size"])
def test_a_stage_file_that_cannot_be_this_run_is_refused_up_front(kind, stage, finished,
                                                                  tmp_path):
    import h5py

    folder = tmp_path / "run"
    folder.mkdir()
    path = folder / f"{stage}.h5md"
    shutil.copy(finished / f"{stage}.h5md", path)
    atoms = _argon()
    if kind == "an older version's file":
        with h5py.File(path, "r+") as f:  # earlier versions recorded no settings
            del f["parameters/ase_electrolyte"].attrs["run_info"]
        named = "it records no settings or calculator"
    else:
        atoms = atoms.repeat((2, 1, 1))
        named = f"it holds {len(atoms) // 2} atoms, the system {len(atoms)}"
    before = path.read_bytes()
    calc = _Counting()
    with pytest.raises(ValueError, match=f"run_protocol's {stage} stage: .*{named}"):
        _run(folder, atoms, calc)
    assert calc.calls == 0 and path.read_bytes() == before
