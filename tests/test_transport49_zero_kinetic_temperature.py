"""``electrolyte analyze`` on frames whose velocities are all zero names the cause.

Found by probing: with no ``--temperature`` the transport analyses divide by the frames' kinetic
temperature; velocities all zero (not written, or frozen atoms) gave 0 K, which the analyses then
refused as if the user had given it: "temperature (K) must be a finite number > 0, got 0.0; is it
in °C? 0 °C = 273.15 K". Now each is refused naming the zero velocities and asking for
``--temperature``; given it, the analyses run.
"""

import json
import shutil
import warnings

import h5py
import pytest
from transport_data import lj_salt

ANALYSES = ("green_kubo_conductivity", "einstein_helfand_conductivity", "nernst_einstein")


@pytest.fixture(scope="module")
def still_file(tmp_path_factory):
    from ase_electrolyte.md import run_md

    base = tmp_path_factory.mktemp("zero_velocities")
    path = base / "nvt.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(lj_salt(), ensemble="nvt", steps=159, timestep_fs=1.0, temperature_K=300,
               trajectory=path, write_interval=1, progress=False)
    still = base / "still.h5md"
    shutil.copy(path, still)
    with h5py.File(still, "r+") as f:
        f["particles/trajectory/velocity/value"][...] = 0.0
    return still


def _analyze(path, out, *extra):
    from electrolyte_cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["analyze", str(path), "-q", "--only", ",".join(ANALYSES), "-o", str(out),
                   *extra])
    return rc, json.loads((out / "summary.json").read_text())


def test_zero_velocities_are_named_not_taken_for_a_given_temperature(still_file, tmp_path):
    rc, summary = _analyze(still_file, tmp_path / "out")
    assert rc == 2
    for name in ANALYSES:
        refused = summary[name]["refused"]
        assert "kinetic temperature of the frames' velocities is 0 K" in refused, refused
        assert "--temperature" in refused and "°C" not in refused


def test_with_the_temperature_given_they_run(still_file, tmp_path):
    rc, summary = _analyze(still_file, tmp_path / "out", "--temperature", "300")
    # Green–Kubo reads the file's per-step charge-current observable, not the zeroed frames
    assert summary["green_kubo_conductivity"]["conductivity"]["value"] > 0
    for name in ANALYSES:
        assert "frames' velocities is 0 K" not in json.dumps(summary[name])
    # positions still move: Einstein–Helfand measures them
    assert summary["einstein_helfand_conductivity"]["conductivity"]["value"] > 0
