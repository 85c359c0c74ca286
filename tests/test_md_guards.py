"""run_md's per-step guards on cases a user meets: cold runs from a loose relaxation, wrapped
atoms in changing and skewed cells, calculators that fail once or return malformed forces; and
the stale-reuse record of registered model names (their weights, not only their name)."""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones

from ase_electrolyte import md as md_module
from ase_electrolyte import models
from ase_electrolyte.md import (
    MDInstabilityError,
    calculator_fingerprint,
    relax,
    run_md,
)
from ase_electrolyte.native_build import file_sha256
from ase_electrolyte.trajectory import h5md_info, h5md_series, read_h5md


def _argon(cell="cubic"):
    if cell == "cubic":
        return bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    return bulk("Ar", "fcc", a=5.26).repeat(3)  # the 60° primitive cell: triclinic


class _LJ(LennardJones):
    """Argon LJ that can fail at its n-th evaluation, in one of several ways."""

    def __init__(self, fail_at=None, how="raise"):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.calls, self.fail_at, self.how = 0, fail_at, how

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.calls += 1
        if self.calls != self.fail_at:
            return
        f = self.results["forces"]
        if self.how == "raise":
            raise RuntimeError("CUDA error: out of memory (simulated)")
        self.results["forces"] = {
            "one row short": f[:-1],
            "flattened": f.ravel(),
            "integers": f.astype(np.int64),
            "booleans": f != 0,
            "complex": f.astype(complex),
            "a list": f.tolist(),
        }[self.how]


# poses as plain LJ, so that plain LJ may resume what it started
_LJ.__module__, _LJ.__name__ = LennardJones.__module__, LennardJones.__name__

_NVE = dict(ensemble="nve", steps=30, timestep_fs=2.0, temperature_K=60, write_interval=5,
            progress=False)


# --- the temperature guard --------------------------------------------------------------------
@pytest.mark.parametrize("ensemble, target, steps", [("nvt", 1.0, 150), ("nvt", 100.0, 150),
                                                     ("npt", 1.0, 60)])
def test_a_cold_run_from_a_loose_relaxation_is_not_stopped_by_its_own_heat(
        ensemble, target, steps, tmp_path):
    """A structure relaxed only to 2 eV/Å (the protocol's threshold) heats by a hundred K or
    more in its first steps; at a 1 K or 100 K target, 3 × target stopped such a sound run at
    step 2. The limit is now 3 × max(target, 300 K), and the thermostat brings the run back."""
    copper = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    copper.rattle(0.2, seed=1)
    copper.calc = EMT()
    start = relax(copper, fmax=2.0)
    path = tmp_path / "cold.h5md"
    run_md(start, ensemble=ensemble, steps=steps, timestep_fs=2.0, temperature_K=target,
           trajectory=path, write_interval=steps, observe_interval=1, progress=False)
    temperature = h5md_series(path, "temperature")[2]
    assert h5md_info(path)["complete"]
    # the old limit would have stopped it: the heat released is real, not an instability
    assert temperature.max() > 3 * target
    assert temperature.max() < 3 * 300.0
    if ensemble == "nvt":  # the thermostat brings it back towards the target (32 atoms' noise)
        assert abs(np.mean(temperature[-30:]) - target) < 0.5 * target + 30.0


@pytest.mark.parametrize("target, factor, limit", [(1.0, 3.0, 900.0), (100.0, 2.0, 600.0),
                                                  (1000.0, 3.0, 3000.0), (5000.0, 1.5, 7500.0)])
def test_the_temperature_limit_is_a_multiple_of_the_target_or_of_room_temperature(
        target, factor, limit):
    # 500 atoms: the canonical spread of the instantaneous temperature (1 - 1e-12 quantile
    # of chi2(f)/f, 1.27 for f = 1500) is below every factor (see
    # test_md_guard_small_molecules for the few-atom systems it raises)
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(5)
    atoms.calc = _LJ()
    guard = md_module._Guard(atoms, target, factor, None, 1.0)
    assert guard.t_max == pytest.approx(limit)


def test_a_runaway_at_a_cold_target_is_still_stopped(tmp_path):
    """Two argon atoms 0.7 σ apart explode to over 1000 K: stopped at 1 K as at 60 K."""
    atoms = _argon()
    atoms.positions[1] = atoms.positions[0] + [2.4, 0, 0]
    atoms.calc = _LJ()
    with pytest.raises(MDInstabilityError, match=r"temperature .* exceeds 900 K"):
        run_md(atoms, **dict(_NVE, temperature_K=1.0, max_displacement=None),
               trajectory=tmp_path / "hot.h5md")
    assert not h5md_info(tmp_path / "hot.h5md")["complete"]


# --- the displacement guard -------------------------------------------------------------------
class _WrappingLJ(_LJ):
    """LJ that wraps the caller's atoms into the cell at every evaluation (as some codes do)."""

    def __init__(self, teleport_at=None):
        super().__init__()
        self.wrapped = 0
        self.teleport_at = teleport_at

    def calculate(self, atoms=None, *args, **kwargs):
        before = atoms.positions.copy()
        atoms.wrap()
        self.wrapped += int(np.any(np.abs(atoms.positions - before) > 1.0))
        if self.teleport_at is not None and self.calls + 1 == self.teleport_at:
            # a real jump of 0.8 Å, hidden behind a wrap by a whole lattice vector
            atoms.positions[0] += atoms.cell[0] + [0.8, 0.0, 0.0]
        super().calculate(atoms, *args, **kwargs)


@pytest.mark.parametrize("cell", ["cubic", "triclinic"])
@pytest.mark.parametrize("ensemble", ["nve", "npt"])
def test_an_atom_wrapped_across_the_box_is_no_jump(cell, ensemble):
    atoms = _argon(cell)
    atoms.positions -= 0.01  # atoms on the lower faces: wrapped by a box length at once
    atoms.calc = _WrappingLJ()
    # the barostat's time only where there is one (run_md refuses it for NVE)
    coupling = {"pdamp_fs": 500} if ensemble == "npt" else {}
    out = run_md(atoms, ensemble=ensemble, steps=60, timestep_fs=5.0, temperature_K=300,
                 max_displacement=0.3, progress=False, **coupling)
    assert atoms.calc.wrapped > 0  # the case was met
    if ensemble == "npt":
        assert not np.allclose(out.cell.array, atoms.cell.array)  # in a changing cell
    if ensemble == "npt":  # MTK integrates its own copy of the positions: no teleport there
        return
    # a real jump behind a wrap is still seen, at its real length
    jumper = _argon(cell)
    jumper.calc = _WrappingLJ(teleport_at=20)
    with pytest.raises(MDInstabilityError, match=r"atom 0 \(Ar\) moved 0\.8\d* Å in one step"):
        run_md(jumper, ensemble=ensemble, steps=60, timestep_fs=5.0, temperature_K=300,
               max_displacement=0.3, progress=False, **coupling)


# --- calculators that fail mid-run ------------------------------------------------------------
def _probes(ensemble):
    """Evaluations before an MD run's first step: an NPT start's two stress evaluations, which
    measure its stiffness for the barostat's check."""
    return 2 if ensemble == "npt" else 0


@pytest.mark.parametrize("ensemble", ["nve", "npt"])
def test_a_calculator_error_mid_run_keeps_the_file_says_so_and_resumes(ensemble, tmp_path):
    kw = dict(_NVE, ensemble=ensemble)
    reference = tmp_path / "reference.h5md"
    atoms = _argon()
    atoms.calc = _LJ()
    run_md(atoms, **kw, trajectory=reference)
    path = tmp_path / "failed.h5md"
    atoms.calc = _LJ(fail_at=13 + _probes(ensemble))
    with pytest.raises(RuntimeError, match="out of memory") as raised:
        run_md(atoms, **kw, trajectory=path)
    assert any(f"{path} keeps 3 frames up to step 10" in note and "resumes" in note
               for note in raised.value.__notes__)
    info = h5md_info(path)
    assert (info["n_frames"], info["last_step"], info["complete"]) == (3, 10, False)
    atoms.calc = _LJ()
    run_md(atoms, **kw, trajectory=path)
    info = h5md_info(path)
    assert (info["n_frames"], info["last_step"], info["complete"]) == (7, 30, True)
    steps, _, temperature = h5md_series(path, "temperature")
    np.testing.assert_array_equal(steps, np.arange(31))  # every step once, in order
    if ensemble == "nve":  # deterministic: the resumed run is the uninterrupted one
        np.testing.assert_allclose(read_h5md(path, -1).positions,
                                   read_h5md(reference, -1).positions, rtol=0, atol=1e-9)


@pytest.mark.parametrize("how, match", [
    ("one row short", r"forces of shape \(31, 3\) and type float64, not \(32, 3\)"),
    ("flattened", r"forces of shape \(96,\) and type float64, not \(32, 3\)"),
    ("integers", r"forces of shape \(32, 3\) and type int64, not \(32, 3\) floating"),
    ("booleans", r"type bool, not \(32, 3\) floating"),
    ("complex", r"type complex128, not \(32, 3\) floating"),
    ("a list", r"forces as list, not a numpy array of shape \(32, 3\)"),
])
@pytest.mark.parametrize("ensemble", ["nve", "npt"])
def test_malformed_forces_stop_the_run_at_the_last_good_frame_by_name(ensemble, how, match,
                                                                      tmp_path):
    """Integer forces had run on, truncated to zero; the others failed inside the integrator
    with a message that did not name the forces."""
    path = tmp_path / "bad.h5md"
    atoms = _argon()
    atoms.calc = _LJ(fail_at=12 + _probes(ensemble), how=how)
    with pytest.raises(MDInstabilityError, match=match) as raised:
        run_md(atoms, **dict(_NVE, ensemble=ensemble), trajectory=path)
    assert f"{path} keeps 3 frames up to step 10" in str(raised.value)
    assert h5md_info(path)["last_step"] == 10 and not h5md_info(path)["complete"]
    atoms.calc = _LJ()
    run_md(atoms, **dict(_NVE, ensemble=ensemble), trajectory=path)
    assert h5md_info(path)["complete"]


def test_single_precision_forces_run_as_double():
    class _Float32LJ(_LJ):
        def calculate(self, *args, **kwargs):
            super().calculate(*args, **kwargs)
            self.results["forces"] = self.results["forces"].astype(np.float32)

    outs = []
    for calc in (_LJ(), _Float32LJ()):
        atoms = _argon()
        atoms.calc = calc
        outs.append(run_md(atoms, **_NVE))
    np.testing.assert_allclose(outs[1].positions, outs[0].positions, rtol=0, atol=1e-5)


# --- registered model names: the weights behind the name ----------------------------------------
class _NamedLJ(_LJ):
    """Argon LJ standing for a registered model name (as ase_electrolyte.Calculator records it)."""

    model = "fake-net"

    def todict(self):
        return {**super().todict(), "model": self.model}


_NamedLJ.__module__, _NamedLJ.__name__ = "fake_backend", "FakeNetCalculator"


@pytest.fixture
def fake_registered_model(monkeypatch, tmp_path):
    """A registered name ``fake-net`` whose package ships its weights as a file."""
    weights = tmp_path / "site-packages" / "fake_net" / "checkpoint.pth"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights of release 1")
    monkeypatch.setitem(models._NAMED, "fake-net", models._Named("fake", "v1", "a fake model"))
    monkeypatch.setitem(models._BACKENDS, "fake",
                        models._Backend("ase", "fake", frozenset(), frozenset({None})))
    monkeypatch.setitem(md_module._WEIGHT_FILES, "fake", lambda upstream: str(weights))
    return weights


def _stage(tmp_path):
    atoms = _argon()
    atoms.calc = _NamedLJ()
    return run_md(atoms, ensemble="nvt", steps=4, timestep_fs=2.0, temperature_K=60,
                  write_interval=2, trajectory=tmp_path / "md.h5md", progress=False)


@pytest.mark.parametrize("upgrade", ["new weights, same size", "new package version"])
def test_a_registered_name_with_new_weights_is_another_calculator(
        upgrade, fake_registered_model, monkeypatch, tmp_path):
    before = calculator_fingerprint(_NamedLJ())
    assert before["weights"]["fake-net"]["file_sha256"] == file_sha256(fake_registered_model)
    first = _stage(tmp_path)
    # the same weights: the finished run is reused, not recomputed
    np.testing.assert_array_equal(_stage(tmp_path).positions, first.positions)
    if upgrade == "new weights, same size":
        fake_registered_model.write_bytes(b"weights of release 2")
    else:
        import ase

        monkeypatch.setattr(md_module, "_package_version",
                            lambda package: f"{ase.__version__}.post1")
    after = calculator_fingerprint(_NamedLJ())
    assert after["parameters"] == before["parameters"]  # the name is the same
    assert after["weights"] != before["weights"]
    with pytest.raises(ValueError, match=r"different run: its settings differ in \['calculator'\]"):
        _stage(tmp_path)


def test_a_registered_name_without_a_weights_file_is_identified_by_its_package_version(
        fake_registered_model, monkeypatch):
    import ase

    monkeypatch.setitem(md_module._WEIGHT_FILES, "fake", lambda upstream: None)
    weights = calculator_fingerprint(_NamedLJ())["weights"]
    assert weights == {"fake-net": {"package": "ase", "version": ase.__version__}}
    # a committee of registered names records each
    committee = _NamedLJ()
    committee.model = ["fake-net", "FAKE-NET"]
    assert list(calculator_fingerprint(committee)["weights"]) == ["fake-net"]


@pytest.mark.parametrize("name, package, resolve", [
    ("sevennet-0", "sevenn",
     lambda: __import__("sevenn._const", fromlist=["x"]).SEVENNET_0_11Jul2024),
    ("chgnet-0.3.0", "chgnet",
     lambda: next((__import__("pathlib").Path(__import__("importlib.util").util.find_spec(
         "chgnet").submodule_search_locations[0]) / "pretrained" / "0.3.0").glob("*.pth.tar"))),
])
def test_the_shipped_checkpoints_of_registered_names_are_hashed(name, package, resolve):
    import importlib.util

    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
    calc = _NamedLJ()
    calc.model = name
    record = calculator_fingerprint(calc)["weights"][name]
    assert record["package"] == package and record["version"]
    assert record["file_sha256"] == file_sha256(resolve())
