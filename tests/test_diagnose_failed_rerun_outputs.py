"""A diagnose run that fails while the model is evaluated leaves an earlier run's outputs.

The outputs of an earlier run in the folder were removed before the scan and the error part
ran: a model failing in the error part (or an interrupted run) lost the earlier
``diagnose.json`` and figures and left the new scan's files beside no summary. Both parts now
run before anything in the folder is touched.
"""

import sys
import warnings
from pathlib import Path

import pytest
from ase.calculators.calculator import Calculator, all_changes

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors_label_checks import FRAMES, _labelled  # noqa: E402

from mda_electrolyte.diagnose import diagnose  # noqa: E402

SCALES = [0.95, 1.0, 1.05]
OUTPUTS = ("diagnose.json", "rigid_volume_scan.png", "rigid_volume_scan.csv",
           "intra_inter_errors.png", "volume_scan_frames.extxyz")


class FailsAfter(Calculator):
    """The pair model, raising from its ``n``-th evaluation on."""

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self, n):
        super().__init__()
        self.model, self.n, self.calls = MolecularPairModel(), n, 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.calls += 1
        if self.calls >= self.n:
            raise RuntimeError("the model ran out of memory")
        work = self.atoms.copy()
        work.calc = self.model
        self.results = {"energy": work.get_potential_energy(), "forces": work.get_forces()}
        if "stress" in properties:
            self.results["stress"] = work.get_stress()


def _run(tmp_path, model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return diagnose(FRAMES, model, tmp_path, reference=_labelled(FRAMES), scales=SCALES,
                        max_scan_frames=1, max_error_frames=5)


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    folder = tmp_path_factory.mktemp("earlier")
    _run(folder, MolecularPairModel())
    return folder, {name: (folder / name).read_bytes() for name in OUTPUTS}


@pytest.fixture(scope="module")
def scan_calls(tmp_path_factory):
    counted = FailsAfter(10**9)
    _run(tmp_path_factory.mktemp("count"), counted)
    return counted.calls


@pytest.mark.parametrize("part", ["scan", "errors"])
def test_a_failed_rerun_leaves_the_earlier_outputs(earlier, scan_calls, part):
    folder, before = earlier
    # the scan evaluates first: fail in its first frame or after it, in the error part
    n = 1 if part == "scan" else scan_calls - 1
    with pytest.raises(RuntimeError, match="ran out of memory"):
        _run(folder, FailsAfter(n))
    assert {name: (folder / name).read_bytes() for name in OUTPUTS} == before


def test_a_rerun_that_succeeds_replaces_every_output(earlier, tmp_path):
    summary = _run(tmp_path, MolecularPairModel())
    assert set(summary) == {"rigid_volume_scan", "intra_inter_errors"}
    assert all((tmp_path / name).is_file() for name in OUTPUTS)
