"""An ensemble's name is read in any case, once, wherever it is given.

``electrolyte simulate --ensemble NPT`` was read as ``npt``, while ``run_md(ensemble="NPT")``,
``run_protocol(production_ensemble="NVT")`` and a screening plan's ``production_ensemble =
"NVT"`` were refused: one name, three answers. All go through ``md.ensemble_name`` now; a run
started as ``"NVE"`` resumes as ``"nve"`` (one spelling is stored), and a misspelt name is
refused with the closest one.
"""

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import check_protocol_arguments, ensemble_name, run_md
from ase_electrolyte.screen import PlanError, load_plan


@pytest.mark.parametrize("given,name", [("NPT", "npt"), (" nvt ", "nvt"), ("Nve", "nve"),
                                        ("npt", "npt")])
def test_a_name_in_any_case_is_the_ensemble(given, name):
    assert ensemble_name(given) == name


@pytest.mark.parametrize("given,hint", [
    ("npx", "did you mean 'npt'"), ("NVTT", "did you mean 'nvt'"),
    ("langevin", None), (3, None), (None, None), ("", None)])
def test_anything_else_is_refused_naming_the_closest_name(given, hint):
    with pytest.raises(ValueError, match="ensemble must be one of") as err:
        ensemble_name(given)
    assert (hint in str(err.value)) if hint else "did you mean" not in str(err.value)


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.rattle(0.05, seed=1)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=6.0, smooth=True)
    return atoms


def _count_calls(monkeypatch):
    calls = []
    calculate = LennardJones.calculate

    def counted(self, *args, **kwargs):
        calls.append(1)
        return calculate(self, *args, **kwargs)

    monkeypatch.setattr(LennardJones, "calculate", counted)
    return calls


def test_run_md_in_capitals_is_the_run_in_lower_case_and_resumes_as_it(tmp_path, monkeypatch):
    path = tmp_path / "nve.h5md"
    first = _argon()
    run_md(first, ensemble="NVE", steps=6, timestep_fs=2.0, temperature_K=60.0,
           trajectory=path, write_interval=2, progress=False)
    lower = _argon()
    run_md(lower, ensemble="nve", steps=6, timestep_fs=2.0, temperature_K=60.0,
           trajectory=tmp_path / "lower.h5md", write_interval=2, progress=False)
    assert abs(first.get_positions() - lower.get_positions()).max() == 0.0
    # the finished file is this run's in either spelling: nothing is evaluated again
    again = _argon()
    calls = _count_calls(monkeypatch)
    run_md(again, ensemble="nve", steps=6, timestep_fs=2.0, temperature_K=60.0,
           trajectory=path, write_interval=2, progress=False)
    assert len(calls) <= 1  # at most the final state's single point
    assert abs(again.get_positions() - first.get_positions()).max() == 0.0


def test_run_md_refuses_a_misspelt_ensemble_before_any_step(tmp_path, monkeypatch):
    atoms = _argon()
    calls = _count_calls(monkeypatch)
    with pytest.raises(ValueError, match="did you mean 'nvt'"):
        run_md(atoms, ensemble="nvtt", steps=6, timestep_fs=2.0, temperature_K=60.0,
               trajectory=tmp_path / "x.h5md", progress=False)
    assert not calls and not (tmp_path / "x.h5md").exists()


def test_the_protocol_reads_the_production_ensemble_in_any_case():
    check_protocol_arguments(temperature_K=298.0, production_ensemble="NVT")
    with pytest.raises(ValueError, match="production_ensemble must be one of.*did you mean 'nve'"):
        check_protocol_arguments(temperature_K=298.0, production_ensemble="nvee")


def _plan(ensemble):
    return load_plan({
        "name": "ensembles", "seed": 3, "replicas": 1, "temperatures": [298], "n_atoms": 400,
        "analyses": ["diffusion"],
        "model": {"calculator": "ase.calculators.emt:EMT", "device": "cpu"},
        "protocol": {"production_ensemble": ensemble},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}],
    })


def test_a_plan_in_capitals_is_the_plan_in_lower_case():
    upper, lower = _plan("NVT"), _plan("nvt")
    assert upper.protocol["production_ensemble"] == "nvt"
    assert upper.fingerprint() == lower.fingerprint()
    with pytest.raises(PlanError, match="did you mean 'npt'"):
        _plan("nptt")
