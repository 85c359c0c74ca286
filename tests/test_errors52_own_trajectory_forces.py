"""The forces of the model's own run_md trajectory are no reference labels.

An H5MD file of run_md records the calculator that ran it. ``reference="trajectory"`` took its
stored forces as labels however they were made: the model compared with its own run had an
"error" of its own rounding (1.5e-6 eV/Å for EMT against the float32 forces of its run),
reported as its error, and ``electrolyte analyze --model`` runs this analysis on every
trajectory with forces. Now the analysis refuses them (``electrolyte analyze`` and
``diagnose`` skip the error part with the reason), before any evaluation.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import run_md
from ase_electrolyte.topology import set_topology
from mda_electrolyte import IntraInterErrors, from_ase
from mda_electrolyte.diagnose import diagnose
from mda_electrolyte.intra_inter_errors import _report

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

ARGON = {"sigma": 3.4, "epsilon": 0.0104, "rc": 5.0, "smooth": True}


class CountingLJ(LennardJones):
    """Argon's Lennard-Jones, counting its evaluations."""

    def __init__(self, **kwargs):
        super().__init__(**{**ARGON, **kwargs})
        self.calls = 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        super().calculate(*args, **kwargs)


@pytest.fixture(scope="module")
def h5md(tmp_path_factory):
    """A short NVT run of liquid-like argon (every atom its own molecule), with forces."""
    atoms = bulk("Ar", "fcc", a=5.4, cubic=True).repeat(2)
    atoms.rattle(0.1, seed=1)
    n = len(atoms)
    set_topology(atoms, np.arange(n), ["Ar"] * n, np.zeros(n))
    atoms.calc = CountingLJ()
    path = tmp_path_factory.mktemp("own") / "run.h5md"
    run_md(atoms, ensemble="nvt", steps=24, timestep_fs=2.0, temperature_K=300,
           trajectory=str(path), write_interval=4, progress=False)
    return path


def test_the_models_own_forces_are_refused_before_any_evaluation(h5md):
    calc = CountingLJ()
    with pytest.raises(ValueError, match="are the model's own: run_md ran it with this"):
        IntraInterErrors(from_ase(h5md), calc, reference="trajectory")
    assert calc.calls == 0


@pytest.mark.parametrize("other", [{"epsilon": 0.012}, {"sigma": 3.3}, {"rc": 6.0}])
def test_another_model_is_compared_with_the_runs_forces(h5md, other):
    # other parameters make another calculator: its forces differ from the run's
    errors = IntraInterErrors(from_ase(h5md), CountingLJ(**other),
                              reference="trajectory").run()
    assert errors.results.rmse["total"]["forces"].value > 1e-4


def test_electrolyte_analyze_skips_the_errors_with_the_reason(h5md, tmp_path):
    summary = _report(from_ase(h5md), tmp_path, calculator=CountingLJ())
    assert "the model's own" in summary["skipped"]
    assert not (tmp_path / "intra_inter_errors.png").exists()


def test_diagnose_skips_the_error_part_and_runs_the_scan(h5md, tmp_path):
    calc = CountingLJ()
    summary = diagnose(h5md, calc, tmp_path / "out", max_scan_frames=1,
                       scales=[0.98, 0.99, 1.0, 1.01, 1.02])
    assert "the model's own" in summary["intra_inter_errors"]["skipped"]
    assert "rmse" not in summary["intra_inter_errors"]
    assert "skipped" not in summary["rigid_volume_scan"]
    assert calc.calls > 0  # the scan ran
