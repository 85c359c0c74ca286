"""NPT needs the stress: a calculator that says it computes none is refused before it runs;
stages that need none run and write their files without it.

Before, the barostat asked for the stress at the first NPT step: ``run_md`` failed with a bare
``PropertyNotImplementedError`` after the model's first evaluation, and ``run_protocol`` after
the whole relaxation (23 evaluations of a 32-atom box, ``relaxed.h5md`` written), naming
neither NPT nor the stage.
"""

import warnings

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import run_md, run_protocol
from ase_electrolyte.trajectory import h5md_info


class _NoStress(LennardJones):
    """LJ that computes (and declares) energy and forces only, as many MLIPs of clusters do."""

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.calls = 0

    def calculate(self, atoms=None, properties=None, system_changes=None):
        self.calls += 1
        super().calculate(atoms, ["energy", "forces"], system_changes)
        self.results.pop("stress", None)


def _argon(calc):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    atoms.calc = calc
    return atoms


_PROTOCOL = dict(temperature_K=60, relax_fmax=0.05, preequilibration_ps=0.0,
                 equilibration_ps=0.0, production_ps=0.024, timestep_fs=2.0,
                 write_interval_fs=4.0, observe_interval_fs=2.0, progress=False)


def test_npt_with_a_calculator_without_stress_is_refused_before_it_runs(tmp_path):
    calc = _NoStress()
    path = tmp_path / "npt.h5md"
    with pytest.raises(ValueError, match=r"NPT needs the stress .* _NoStress does not compute "
                                         r"\(implemented_properties \['energy', 'free_energy', "
                                         r"'forces'\]\)"):
        run_md(_argon(calc), ensemble="npt", steps=10, timestep_fs=2.0, temperature_K=60,
               trajectory=path, progress=False)
    assert calc.calls == 0 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("stages", [dict(production_ensemble="npt"),
                                    dict(equilibration_ps=0.024, production_ensemble="nvt"),
                                    dict(preequilibration_ps=0.024, production_ensemble="nve")])
def test_a_protocol_with_an_npt_stage_refuses_it_before_the_relaxation(stages, tmp_path):
    calc = _NoStress()
    with pytest.raises(ValueError, match="run_protocol's NPT stages .* needs the stress"):
        run_protocol(_argon(calc), calc, tmp_path / "run", **{**_PROTOCOL, **stages})
    assert calc.calls == 0
    assert not (tmp_path / "run").exists() or not any(
        p.suffix == ".h5md" for p in (tmp_path / "run").iterdir())


@pytest.mark.parametrize("ensemble", ["nvt", "nve"])
def test_runs_without_a_barostat_need_no_stress(ensemble, tmp_path):
    calc = _NoStress()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_protocol(_argon(calc), calc, tmp_path / "run",
                              **{**_PROTOCOL, "production_ensemble": ensemble})
    assert calc.calls > 0 and result.pressure is None
    assert all(h5md_info(p)["complete"] for p in result.files.values())


def test_a_periodic_relaxation_without_stress_writes_its_file(tmp_path):
    # before: PropertyNotImplementedError once the relaxation had run, relaxed.h5md not written
    from ase_electrolyte.md import relax
    from ase_electrolyte.trajectory import read_h5md

    calc = _NoStress()
    path = tmp_path / "relaxed.h5md"
    done = relax(_argon(calc), fmax=0.05, steps=50, trajectory=path)
    assert h5md_info(path)["complete"] and "pressure" not in h5md_info(path)["observables"]
    assert read_h5md(path).positions == pytest.approx(done.positions, abs=1e-12)
