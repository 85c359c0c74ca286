"""A model file replaced after the calculator loaded it.

The trajectory's calculator fingerprint hashed the model file as it was on disk when the run
started, while the calculator evaluated the network it had loaded before: a run with the old
network was recorded under the new file's contents, and a later run of the new model took that
trajectory for its own. The fingerprint now carries the bytes the calculator (or each committee
member) loaded.
"""

import shutil
import warnings

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.committee import RepeatedMemberWarning  # noqa: E402
from ase_electrolyte.md import calculator_fingerprint, run_md  # noqa: E402
from ase_electrolyte.native_build import file_sha256  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_loaded_fingerprint"))[1]


def _replace(path, source):
    shutil.copyfile(source, path)


@pytest.mark.parametrize("committee", [False, True])
def test_the_fingerprint_names_the_loaded_bytes_not_the_file_now(tiny, tmp_path, committee):
    model = tmp_path / "model.pth"
    shutil.copyfile(tiny[0], model)
    loaded_digest = file_sha256(str(model))
    spec = [str(model), str(tiny[1])] if committee else str(model)
    calc = Calculator(spec, device="cpu")
    before = calculator_fingerprint(calc)
    assert before["file_sha256"][str(model)] == loaded_digest
    _replace(model, tiny[1])  # retrained in place
    assert file_sha256(str(model)) != loaded_digest
    # the loaded calculator still runs the old network: its fingerprint is unchanged
    assert calculator_fingerprint(calc) == before
    # a calculator loaded from the file now is another one (for the committee, now two
    # copies of member 1: warned, and beside the point here)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RepeatedMemberWarning)
        fresh = calculator_fingerprint(Calculator(spec, device="cpu"))
    assert fresh["file_sha256"][str(model)] == file_sha256(str(model))
    assert fresh != before


def test_a_run_of_the_old_network_is_not_reused_for_the_new_model(tiny, tmp_path):
    model = tmp_path / "model.pth"
    shutil.copyfile(tiny[0], model)
    old = Calculator(str(model), device="cpu")
    _replace(model, tiny[1])  # replaced after the load, before the run
    atoms = emt_copper(1, seed=3)[0]
    atoms.calc = old
    kw = dict(ensemble="nve", steps=2, timestep_fs=1.0, temperature_K=100, write_interval=1,
              trajectory=tmp_path / "run.h5md", progress=False)
    first = run_md(atoms, **kw)
    atoms.calc = Calculator(str(model), device="cpu")
    with pytest.raises(ValueError, match="different run"):
        run_md(atoms, **kw)
    # the old network's run is still answered for the old network
    atoms.calc = old
    np.testing.assert_array_equal(run_md(atoms, **kw).positions, first.positions)
