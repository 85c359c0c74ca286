"""The caller's Atoms and the run's surroundings: constraints, a folder that changes under the
run, a read-only finished file, step counters past 2**31, Ctrl-C.

Each case ends in a clear error before the model is evaluated, or in a correct result: never a
NaN, an error from deep inside ASE or h5py, or a file written somewhere else.
"""

import os

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixBondLengths, FixCom, MirrorForce

from ase_electrolyte.md import relax, run_md, run_protocol
from ase_electrolyte.trajectory import H5MDWriter, h5md_info, h5md_series, read_h5md
from mda_electrolyte.bridge import from_ase

# copper has no molecules: the protocol's and the bridge's notes of it are expected here
pytestmark = [pytest.mark.filterwarnings("ignore:atoms carries no molecule"),
              pytest.mark.filterwarnings("ignore:molecules .* are not in the species library")]


class _EMT(EMT):
    """EMT counting its evaluations; ``at`` maps a call number to an action run before it."""

    def __init__(self, at=None):
        super().__init__()
        self.calls = 0
        self.at = at or {}

    def calculate(self, *args, **kwargs):
        self.calls += 1
        action = self.at.get(self.calls)
        if action is not None:
            action()
        super().calculate(*args, **kwargs)


def _copper(at=None):
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)  # 32 atoms
    atoms.rattle(0.02, seed=3)
    atoms.calc = _EMT(at)
    return atoms


_NVE = dict(ensemble="nve", steps=12, timestep_fs=2.0, temperature_K=300, write_interval=4,
            progress=False)


# --- constraints ------------------------------------------------------------------------------
def _all_fixed(atoms):
    return atoms, [FixAtoms(indices=range(len(atoms)))]


def _one_atom_fixed_centre(atoms):
    return atoms[:1], [FixCom()]


def _uncounted(atoms):
    # ASE's MirrorForce does not say how many degrees of freedom it removes (get_removed_dof)
    return atoms, [MirrorForce(0, 1)]


@pytest.mark.parametrize("constrain,match", [
    (_all_fixed, "leave none of the 96 degrees of freedom of the 32 atoms free"),
    (_one_atom_fixed_centre, "leave none of the 3 degrees of freedom of the 1 atoms free"),
    (_uncounted, r"does not say how many degrees of freedom it removes \(ASE's get_removed_dof"),
])
def test_constraints_that_leave_no_temperature_are_refused_before_the_model(
        constrain, match, tmp_path):
    """Every atom fixed made the first frame's temperature 0/0: the writer refused a NaN after
    the model's first evaluation; a constraint without get_removed_dof failed inside ASE's
    get_temperature at the first observable."""
    atoms, constraints = constrain(_copper())
    atoms.calc = _EMT()
    atoms.set_constraint(constraints)
    path = tmp_path / "md.h5md"
    with pytest.raises(ValueError, match=match):
        run_md(atoms, trajectory=path, **_NVE)
    assert atoms.calc.calls == 0 and not path.exists()
    if len(atoms) > 1:  # the protocol's NVE-only run is refused the same way, before relaxing
        with pytest.raises(ValueError, match=match):
            run_protocol(atoms, atoms.calc, tmp_path / "run", temperature_K=300,
                         preequilibration_ps=0, equilibration_ps=0, production_ps=0.024,
                         production_ensemble="nve", write_interval_fs=4, progress=False)
        assert atoms.calc.calls == 0


def test_nve_honours_fixed_atoms_and_bond_lengths_and_leaves_the_callers_atoms_alone(tmp_path):
    """Velocity Verlet keeps fixed atoms in place and constrained bonds at their length in every
    stored frame; the stored temperature counts only the free degrees of freedom (ASE's
    get_temperature); the caller's Atoms keep their positions, momenta and constraints."""
    atoms = _copper()
    fixed = list(range(8))
    bonds = [[8, 9], [10, 11]]
    atoms.set_constraint([FixAtoms(indices=fixed), FixBondLengths(bonds)])
    before = atoms.positions.copy()
    lengths = [atoms.get_distance(*b, mic=True) for b in bonds]
    path = tmp_path / "md.h5md"
    out = run_md(atoms, trajectory=path, **_NVE)
    np.testing.assert_array_equal(atoms.positions, before)
    assert not np.any(atoms.get_momenta()) and len(atoms.constraints) == 2
    assert [type(c) for c in out.constraints] == [FixAtoms, FixBondLengths]
    moved = False
    _, _, temperature = h5md_series(path, "temperature")
    for i in range(h5md_info(path)["n_frames"]):
        frame = read_h5md(path, i)
        np.testing.assert_allclose(frame.positions[fixed], before[fixed], rtol=0, atol=1e-12)
        np.testing.assert_allclose(frame.get_velocities()[fixed], 0.0, atol=1e-12)
        for b, length in zip(bonds, lengths, strict=True):
            assert frame.get_distance(*b, mic=True) == pytest.approx(length, abs=1e-6)
        moved |= bool(np.abs(frame.positions[20:] - before[20:]).max() > 1e-3)
        free = 3 * len(frame) - 3 * len(fixed) - len(bonds)
        kinetic = 0.5 * np.sum(frame.get_masses()[:, None] * frame.get_velocities() ** 2)
        assert temperature[frame.info["step"]] == pytest.approx(
            2 * kinetic / (free * units.kB), rel=1e-9)
    assert moved  # the free atoms did move


# --- the process' folder changes during the run ----------------------------------------------
@pytest.mark.parametrize("call", ["run_md", "relax", "run_protocol"])
def test_a_relative_path_is_the_folder_the_call_was_made_from(call, tmp_path, monkeypatch):
    """A calculator (or another thread) that changed the process' folder mid-run made the writer
    stat a relative file that was not there (FileNotFoundError mid-run), the relaxation write
    into the new folder, and the protocol's later stages run elsewhere."""
    start, other = tmp_path / "start", tmp_path / "other"
    start.mkdir()
    other.mkdir()
    monkeypatch.chdir(start)
    atoms = _copper(at={3: lambda: os.chdir(other)})
    if call == "run_md":
        run_md(atoms, trajectory="md.h5md", **_NVE)
        written = [start / "md.h5md"]
    elif call == "relax":
        atoms.rattle(0.1, seed=4)
        relax(atoms, fmax=0.5, trajectory="relaxed.h5md")
        written = [start / "relaxed.h5md"]
    else:
        result = run_protocol(atoms, atoms.calc, "run", temperature_K=300,
                              preequilibration_ps=0, equilibration_ps=0, production_ps=0.024,
                              production_ensemble="nve", write_interval_fs=4, progress=False)
        written = [start / "run" / "relaxed.h5md", start / "run" / "production.h5md"]
        assert sorted(result.files.values()) == sorted(written)
        assert np.isfinite(result.temperature.value)
    assert atoms.calc.calls > 3 and os.getcwd() == str(other)
    assert all(h5md_info(p)["complete"] for p in written)
    assert not list(other.iterdir())


# --- a read-only finished run -----------------------------------------------------------------
def _read_only(monkeypatch, path):
    """``os.access`` says ``path`` cannot be written (as for a user without permission; root's
    own os.access ignores the mode bits)."""
    real = os.access

    def access(p, mode, *args, **kwargs):
        if os.path.realpath(p) == os.path.realpath(path) and mode & os.W_OK:
            return False
        return real(p, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


@pytest.mark.parametrize("call", ["run_md", "relax"])
def test_a_read_only_finished_run_is_reused_and_only_writing_it_is_refused(
        call, tmp_path, monkeypatch):
    """A finished run in a read-only file was refused ("cannot be written") although reusing it
    reads only; a resume or a rewrite of it is refused before the model, the file unchanged."""
    path = tmp_path / f"{call}.h5md"
    atoms = _copper()

    def go(**kw):
        if call == "run_md":
            return run_md(atoms, trajectory=path, **_NVE, **kw)
        return relax(atoms, trajectory=path, fmax=0.5, **kw)

    done = go()
    data = path.read_bytes()
    _read_only(monkeypatch, path)
    atoms.calc.calls = 0
    again = go()
    assert atoms.calc.calls == 0
    np.testing.assert_array_equal(again.positions, done.positions)
    with pytest.raises(ValueError, match=r"cannot be written \(permission denied\): it does not "
                                         "hold this finished run"):
        go(overwrite=True)
    assert atoms.calc.calls == 0 and path.read_bytes() == data


# --- step numbers and times -------------------------------------------------------------------
@pytest.mark.parametrize("step", [2**63, 2**64, float("inf"), float("nan"), None, "12", 2.5])
def test_the_writer_refuses_a_step_the_file_cannot_hold_and_stays_usable(step, tmp_path):
    """A step past int64 failed inside h5py ("Python int too large to convert to C long"), was
    counted as a failed write and broke the writer; an infinite step was an OverflowError."""
    atoms = _copper()
    path = tmp_path / "w.h5md"
    with H5MDWriter(path, atoms) as w:
        w.write(atoms, step=2**31 - 1, time=1.0)
        with pytest.raises(ValueError, match="step must be a non-negative integer of at most "
                                             "9223372036854775807"):
            w.write(atoms, step=step, time=2.0)
        w.write(atoms, step=2**31 + 7, time=2.0)  # the writer goes on
    info = h5md_info(path)
    assert (info["n_frames"], info["last_step"], info["complete"]) == (2, 2**31 + 7, True)


@pytest.mark.parametrize("time", [None, "x", True, float("-inf")])
def test_the_writer_refuses_a_time_that_is_not_a_number(time, tmp_path):
    atoms = _copper()
    with H5MDWriter(tmp_path / "w.h5md", atoms) as w:
        with pytest.raises(ValueError, match=r"time must be finite \(a number of ps\)"):
            w.write(atoms, step=0, time=time)


def test_steps_past_two_to_the_31_round_trip_through_every_reader(tmp_path):
    atoms = _copper()
    path = tmp_path / "w.h5md"
    steps = [2**31 - 2 + 3 * k for k in range(4)] + [2**62]
    with H5MDWriter(path, atoms) as w:
        for step in steps:
            # 1 fs per step: the writer refuses times per step below any MD time step
            w.write(atoms, step=step, time=step * 1e-3)
    assert [read_h5md(path, k).info["step"] for k in range(len(steps))] == steps
    np.testing.assert_array_equal(h5md_series(path, "temperature")[0], steps)
    u = from_ase(path)
    assert [int(ts.data["step"]) for ts in u.trajectory] == steps
    u.trajectory.close()


def test_the_series_of_a_file_without_frames_says_so(tmp_path):
    path = tmp_path / "empty.h5md"
    # closed as complete: an empty file is published (one closed incomplete is not written)
    H5MDWriter(path, _copper()).close(complete=True)
    with pytest.raises(KeyError, match="holds no frame yet, so no 'density' sample"):
        h5md_series(path, "density")


# --- Ctrl-C -----------------------------------------------------------------------------------
@pytest.mark.parametrize("constraints", [
    lambda: [], lambda: [FixAtoms(indices=range(8)), FixBondLengths([[8, 9], [10, 11]])],
    lambda: [FixCom()],
], ids=["free", "fixed atoms and bonds", "fixed centre of mass"])
def test_ctrl_c_says_what_is_kept_and_the_same_call_resumes_the_same_frames(constraints,
                                                                           tmp_path):
    """KeyboardInterrupt left the file resumable but said nothing of it (the note was added to
    Exceptions only); the resumed NVE run is the uninterrupted one, frame by frame, also under
    constraints (the resume's set_positions applies them to the stored frame)."""
    reference = tmp_path / "solo.h5md"
    solo = _copper()
    solo.set_constraint(constraints())
    run_md(solo, trajectory=reference, **_NVE)
    path = tmp_path / "md.h5md"

    def interrupt():
        raise KeyboardInterrupt

    atoms = _copper(at={8: interrupt})
    atoms.set_constraint(constraints())
    with pytest.raises(KeyboardInterrupt) as raised:
        run_md(atoms, trajectory=path, **_NVE)
    assert any(f"{path} keeps 2 frames up to step 4" in note and "the same call resumes" in note
               for note in getattr(raised.value, "__notes__", []))
    info = h5md_info(path)
    assert (info["n_frames"], info["last_step"], info["complete"]) == (2, 4, False)
    atoms.calc.at = {}
    run_md(atoms, trajectory=path, **_NVE)
    assert h5md_info(path)["n_frames"] == h5md_info(reference)["n_frames"] == 4
    for k in range(4):
        a, b = read_h5md(path, k), read_h5md(reference, k)
        assert a.info["step"] == b.info["step"] == 4 * k
        np.testing.assert_allclose(a.positions, b.positions, rtol=0, atol=1e-9)
    steps = h5md_series(path, "temperature")[0]
    np.testing.assert_array_equal(steps, np.arange(13))  # every step once, in order


# --- what the caller gets back ----------------------------------------------------------------
def test_a_fresh_a_resumed_and_a_reused_run_return_the_same_atoms(tmp_path):
    """A reused run's Atoms carried info step and time_ps, a fresh one's did not; the caller's
    tags, charges and info come back in all three and are never modified."""
    atoms = _copper()
    atoms.set_tags(np.arange(len(atoms)))
    atoms.set_initial_charges(np.full(len(atoms), 0.25))
    atoms.info["label"] = "mine"
    before = {k: v.copy() for k, v in atoms.arrays.items()}
    path = tmp_path / "md.h5md"

    def interrupt():
        raise KeyboardInterrupt

    atoms.calc.at = {8: interrupt}
    with pytest.raises(KeyboardInterrupt):
        run_md(atoms, trajectory=path, **_NVE)
    atoms.calc.at = {}
    resumed = run_md(atoms, trajectory=path, **_NVE)
    reused = run_md(atoms, trajectory=path, **_NVE)
    fresh = run_md(atoms, trajectory=tmp_path / "fresh.h5md", **_NVE)
    for out in (resumed, reused, fresh):
        # and the run's record of its conserved energy (run_md's energy_drift)
        drift = out.info.pop("energy_drift")
        assert drift["unit"] == "meV/atom/ps"
        assert out.info == {"label": "mine", "step": 12, "time_ps": pytest.approx(0.024)}
        np.testing.assert_array_equal(out.get_tags(), np.arange(len(atoms)))
        np.testing.assert_array_equal(out.get_initial_charges(), 0.25)
    np.testing.assert_allclose(reused.positions, fresh.positions, rtol=0, atol=1e-9)
    relaxed = [relax(atoms, fmax=0.5, trajectory=tmp_path / "relaxed.h5md") for _ in range(2)]
    assert [r.info["step"] for r in relaxed] == [0, 0]
    assert relaxed[0].info["relaxed_fmax"] == pytest.approx(relaxed[1].info["relaxed_fmax"])
    assert atoms.info == {"label": "mine"} and atoms.arrays.keys() == before.keys()
    for k, v in before.items():
        np.testing.assert_array_equal(atoms.arrays[k], v)


class _AskedOnly(EMT):
    """EMT that returns only the properties asked for (ASE's protocol allows it): no stress
    unless asked."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=None):
        if system_changes is None:
            from ase.calculators.calculator import all_changes
            system_changes = all_changes
        super().calculate(atoms, properties, system_changes)
        if "stress" not in properties:
            self.results.pop("stress", None)


def test_npt_with_a_calculator_that_gives_stress_only_when_asked(tmp_path):
    """The first frame had no pressure (the guard asks for forces only) and every later one
    had it (the barostat asks for stress): the writer refused step 4 after the model had run.
    Now every frame carries the pressure, equal to that of a calculator giving all at once."""
    kw = dict(ensemble="npt", steps=8, timestep_fs=2.0, temperature_K=300, write_interval=4,
              progress=False)
    eager = _copper()
    run_md(eager, trajectory=tmp_path / "eager.h5md", **kw)
    lazy = _copper()
    lazy.calc = _AskedOnly()
    run_md(lazy, trajectory=tmp_path / "lazy.h5md", **kw)
    info = h5md_info(tmp_path / "lazy.h5md")
    assert info["complete"] and {"pressure", "pressure_tensor"} <= set(info["observables"])
    steps, _, p_lazy = h5md_series(tmp_path / "lazy.h5md", "pressure")
    np.testing.assert_array_equal(steps, np.arange(9))
    p_eager = h5md_series(tmp_path / "eager.h5md", "pressure")[2]
    np.testing.assert_allclose(p_lazy, p_eager, rtol=1e-9, atol=1e-6)


# --- symbolic links -------------------------------------------------------------------------
def _protocol(atoms, outdir):
    return run_protocol(atoms, atoms.calc, outdir, temperature_K=300, preequilibration_ps=0,
                        equilibration_ps=0, production_ps=0.008, production_ensemble="nve",
                        write_interval_fs=4, progress=False)


@pytest.mark.parametrize("link,match", [
    ("missing/run", r"is a symbolic link to .*missing/run, which does not exist: create that "
                    "folder"),
    ("loop", r"is a symbolic link that loops"),
])
def test_a_run_folder_through_a_broken_link_is_named_before_the_model(link, match, tmp_path):
    """A link to a missing folder or a looping link was a bare FileExistsError from mkdir."""
    outdir = tmp_path / ("loop" if link == "loop" else "link")
    os.symlink(tmp_path / link, outdir)
    atoms = _copper()
    with pytest.raises(ValueError, match=match):
        _protocol(atoms, outdir)
    assert atoms.calc.calls == 0


@pytest.mark.parametrize("link,match", [
    ("missing/md.h5md", r"is a symbolic link to .*missing/md.h5md, whose folder does not exist"),
    ("loop.h5md", r"is a symbolic link that loops"),
])
def test_a_trajectory_through_a_broken_link_is_named_before_the_model(link, match, tmp_path):
    path = tmp_path / ("loop.h5md" if link == "loop.h5md" else "link.h5md")
    os.symlink(tmp_path / link, path)
    atoms = _copper()
    for call in (lambda: run_md(atoms, trajectory=path, **_NVE),
                 lambda: relax(atoms, trajectory=path)):
        with pytest.raises(ValueError, match=match):
            call()
    assert atoms.calc.calls == 0


def test_links_to_a_new_file_and_to_a_folder_are_written_through(tmp_path):
    """A link to a file not yet written (or to a folder elsewhere) receives the run; the link
    stays a link, and the same call through the link or the target reuses the run."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere / "md.h5md", tmp_path / "md.h5md")
    atoms = _copper()
    run_md(atoms, trajectory=tmp_path / "md.h5md", **_NVE)
    assert (tmp_path / "md.h5md").is_symlink() and h5md_info(elsewhere / "md.h5md")["complete"]
    os.symlink(elsewhere, tmp_path / "run")
    _protocol(atoms, tmp_path / "run")
    calls = atoms.calc.calls
    run_md(atoms, trajectory=elsewhere / "md.h5md", **_NVE)
    result = _protocol(atoms, elsewhere)
    assert atoms.calc.calls == calls and h5md_info(result.files["production"])["complete"]
