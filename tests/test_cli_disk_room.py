"""``electrolyte simulate`` refuses, before packing or loading a model, a run whose
trajectories the disk (or the file-size limit) cannot hold.

A long run on a nearly full disk ran for hours and stopped at the first frame that did not
fit. The estimate is an upper bound of the H5MD writer's files (each file's fixed part, the
particle data of every frame, the series in whole 256-row chunks): a run it lets start has room
for its files (tests/test_disk33_estimate_bounds.py compares it with run_protocol's files).
"""

import argparse
import os

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

import electrolyte_cli.simulate as simulate
from ase_electrolyte.md import run_md
from ase_electrolyte.species import Species
from electrolyte_cli import main

BASE = ["simulate", "--counts", "EC=20,Li=2,PF6=2", "--model", "sevennet-0"]
BASE_COUNTS = {"EC": 20, "Li": 2, "PF6": 2}
#: atoms of BASE's box: EC 10 atoms, Li 1, PF6 7
BASE_ATOMS = 20 * 10 + 2 * 1 + 2 * 7
#: a box of 100 atoms: EC 10 atoms
HUNDRED = {"EC": 10}


def _protocol(production_ps, write_interval_fs=1.0, preequilibration_ps=0.0,
              equilibration_ps=0.0, ensemble="npt"):
    return argparse.Namespace(preequilibration_ps=preequilibration_ps,
                              equilibration_ps=equilibration_ps, production_ps=production_ps,
                              write_interval_fs=write_interval_fs, ensemble=ensemble)


def _argon(tmp_path, steps):
    # no topology: no charge current, as a box of neutral molecules
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    path = tmp_path / f"run_{steps}.h5md"
    # as the protocol's production writes: a frame and an observable sample every step here
    run_md(atoms, ensemble="nvt", steps=steps, timestep_fs=1.0, temperature_K=80,
           trajectory=path, write_interval=1, observe_interval=1, progress=False)
    return len(atoms), os.path.getsize(path)


def test_the_estimate_grows_as_the_writers_file_and_not_much_faster(tmp_path):
    """Between two runs of 100 and 300 frames the file grows by at most the estimate's growth,
    and by more than 2/3 of it (the estimate means something: a chunk of 256 rows of each
    series and the frames' particle data)."""
    n_atoms, short = _argon(tmp_path, 100)
    _, long = _argon(tmp_path, 300)
    grown = long - short
    # the crystal's atoms as a species of one neutral atom; NVT as run there
    box = {Species("Ar", "[Ar]"): n_atoms}
    estimated = (simulate.trajectory_bytes(box, _protocol(0.3, ensemble="nvt"))["production"]
                 - simulate.trajectory_bytes(box, _protocol(0.1, ensemble="nvt"))["production"])
    assert grown > 0
    assert grown <= estimated < 1.5 * grown, (estimated, grown)


def test_stage_sizes_follow_the_protocols_frames_and_samples():
    """Each stage holds at least its raw numbers (the particle data of its frames, a row of
    each series per frame and per sample); a long stage's bound is within 5 % of them (the
    layout's fixed parts and chunk indices are small beside 10^4 to 10^5 rows)."""
    from ase_electrolyte.md import protocol_steps

    args = _protocol(200.0, 100.0, 1000.0, 200.0, ensemble="nvt")
    sizes = simulate.trajectory_bytes(BASE_COUNTS, args)
    plan = protocol_steps(preequilibration_ps=1000.0, equilibration_ps=200.0,
                          production_ps=200.0, write_interval_fs=100.0)
    # a value of 8 B with its step and time (int64, float64): 7 scalars, the pressure
    # tensor (9), the charge current of Li and PF6 (2 x 3)
    sample = 7 * 24 + (9 + 2) * 8 + (6 + 2) * 8
    # NPT's integrator (thermostat and barostat chains of 3, strain, its momentum, reference
    # cell and volume: 24 numbers in 8 series); NVT's thermostat chains (6 numbers, 2 series)
    integrator = {"preequilibration": (24 + 16) * 8, "equilibration": (24 + 16) * 8,
                  "production": (6 + 4) * 8}
    for stage, steps in plan.items():
        frames = steps.steps // steps.write_interval + 1
        samples = steps.steps // steps.observe_interval + 1
        # positions, velocities, forces, with their steps and times; the box with its own
        raw = (frames * (72 * BASE_ATOMS + 6 * 8 + 11 * 8 + sample + integrator[stage])
               + samples * sample)
        assert raw <= sizes[stage] <= 1.05 * raw, (stage, raw, sizes[stage])
    assert 0 < sizes["relaxed"] < sizes["equilibration"]
    assert simulate.trajectory_bytes(BASE_COUNTS, _protocol(0.0))["production"] == 0


def _forbid_work(monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def _forbidden(*args, **kwargs):
        raise AssertionError("the box was packed or the model loaded before the disk check")

    monkeypatch.setattr(cli_arguments, "make_calculator", _forbidden)
    monkeypatch.setattr(cli_arguments, "check_model_args", lambda *a, **k: None)
    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _forbidden)


@pytest.mark.parametrize("free_fraction", [0.0, 0.5, 0.999])
def test_a_disk_without_room_for_the_run_is_refused_in_one_line(tmp_path, capsys, monkeypatch,
                                                               free_fraction):
    _forbid_work(monkeypatch)
    # simulate's defaults: an NVT production
    need = sum(simulate.trajectory_bytes(BASE_COUNTS, _protocol(200.0, 100.0, 1000.0, 200.0,
                                                                ensemble="nvt")).values())
    free = int(free_fraction * need)
    monkeypatch.setattr(simulate, "free_bytes", lambda folder: free)
    out = tmp_path / "out"
    assert main(BASE + ["-o", str(out), "-q"]) == 2
    said = capsys.readouterr()
    assert said.err.count("\n") == 1 and "Traceback" not in said.err and said.out == ""
    assert said.err.startswith("electrolyte simulate: error: -o/--output")
    # both numbers, as the message writes them
    assert f"has {simulate._bytes(free)} free" in said.err
    assert f"need up to {simulate._bytes(need)} more" in said.err
    assert f"{BASE_ATOMS} atoms" in said.err and "--write-interval-fs" in said.err
    # the claimed folder is given back empty: nothing was written
    assert not out.exists()


def test_a_disk_with_room_goes_on_to_pack(tmp_path, capsys, monkeypatch):
    import ase_electrolyte.build

    _forbid_work(monkeypatch)
    # simulate's defaults: an NVT production
    need = sum(simulate.trajectory_bytes(BASE_COUNTS, _protocol(200.0, 100.0, 1000.0, 200.0,
                                                                ensemble="nvt")).values())
    monkeypatch.setattr(simulate, "free_bytes", lambda folder: need)

    def _pack(*args, **kwargs):
        raise ValueError("packing reached")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _pack)
    assert main(BASE + ["-o", str(tmp_path / "out"), "-q"]) == 2
    assert "packing reached" in capsys.readouterr().err


def test_a_resume_counts_the_stage_files_already_written(tmp_path, monkeypatch):
    args = _protocol(1.0, 10.0, 1.0, 1.0)
    sizes = simulate.trajectory_bytes(HUNDRED, args)
    out = tmp_path / "run"
    out.mkdir()
    # the pre-equilibration written whole, the equilibration half
    (out / "preequilibration.h5md").write_bytes(b"\0" * sizes["preequilibration"])
    (out / "equilibration.h5md").write_bytes(b"\0" * (sizes["equilibration"] // 2))
    left = (sizes["relaxed"] + sizes["equilibration"] - sizes["equilibration"] // 2
            + sizes["production"])
    monkeypatch.setattr(simulate, "free_bytes", lambda folder: left)
    simulate.check_disk_room(out, HUNDRED, args)  # fits exactly
    monkeypatch.setattr(simulate, "free_bytes", lambda folder: left - 1)
    with pytest.raises(ValueError, match=f"need up to {simulate._bytes(left)} more"):
        simulate.check_disk_room(out, HUNDRED, args)


def test_a_file_size_limit_below_the_largest_stage_is_refused(tmp_path, monkeypatch):
    import resource

    args = _protocol(10.0, 10.0)
    largest = simulate.trajectory_bytes(HUNDRED, args)["production"]
    monkeypatch.setattr(simulate, "free_bytes", lambda folder: 10 * largest)
    real = resource.getrlimit

    def limited(which):
        return (largest - 1, largest - 1) if which == resource.RLIMIT_FSIZE else real(which)

    monkeypatch.setattr(resource, "getrlimit", limited)
    with pytest.raises(ValueError, match="production.h5md .* file-size limit .*ulimit -f"):
        simulate.check_disk_room(tmp_path, HUNDRED, args)


@pytest.mark.parametrize("n, text", [(0, "0 bytes"), (999, "999 bytes"), (1000, "1 kB"),
                                     (1_234_567, "1.23 MB"), (2.5e9, "2.5 GB"),
                                     (3e12, "3 TB")])
def test_sizes_are_written_with_their_unit(n, text):
    assert simulate._bytes(n) == text


def test_the_demo_is_refused_before_its_banner_naming_its_own_options(tmp_path, capsys,
                                                                     monkeypatch):
    _forbid_work(monkeypatch)
    monkeypatch.setattr(simulate, "free_bytes", lambda folder: 1000)
    out = tmp_path / "demo"
    assert main(["demo", "--device", "cpu", "-o", str(out), "-q"]) == 2
    said = capsys.readouterr()
    assert said.out == "" and said.err.count("\n") == 1
    assert "has 1 kB free" in said.err and "--production-ps" in said.err
    # the demo has no --write-interval-fs: never advised there
    assert "--write-interval-fs" not in said.err
    assert not out.exists()
