"""The transport reports declare that they need charged species, so ``--only`` refuses them
before any analysis runs.

``register_analysis`` takes the requirement ``"charged species"`` (judged from the topology
alone by :func:`mda_electrolyte.report.unmet_requirements`), but the conductivity, Nernst–Einstein
and diffusion reports did not declare it: they found the lack inside themselves. So
``electrolyte analyze --only intra_inter_rdf,diffusion`` of a water trajectory ran the RDFs,
wrote their figure and a summary, and only then failed ("--only: skipped, the input lacks
what it needs: diffusion (no residue carries a net charge)", exit status 2). Now each of them
declares it: ``--only`` refuses it in one line before any analysis runs and writes nothing;
without ``--only`` it is skipped up front as "needs charged species (...)"; a salt is analysed.
"""

import json
import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import report

CHARGED = ("green_kubo_conductivity", "einstein_helfand_conductivity", "nernst_einstein",
           "diffusion")


@pytest.fixture(scope="module")
def water(tmp_path_factory):
    """Six frames of one water molecule with velocities (extxyz): no residue is charged."""
    import ase.io
    from ase.build import molecule

    rng = np.random.default_rng(0)
    frames = []
    for k in range(6):
        box = molecule("H2O", cell=[8.0, 8.0, 8.0], pbc=True)
        box.positions += 0.05 * k + 2.0
        box.set_velocities(rng.normal(scale=0.01, size=(3, 3)))
        box.info["time_ps"] = 0.01 * k
        frames.append(box)
    path = tmp_path_factory.mktemp("water") / "water.extxyz"
    ase.io.write(path, frames)
    return path


@pytest.mark.parametrize("name", CHARGED)
@pytest.mark.parametrize("first", [True, False])
def test_only_refuses_a_transport_analysis_of_no_charges_before_any_work(water, tmp_path,
                                                                        capsys, name, first):
    from electrolyte_cli import main

    out = tmp_path / "analysis"
    order = [name, "intra_inter_rdf"] if first else ["intra_inter_rdf", name]
    status = main(["analyze", str(water), "--only", ",".join(order), "-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"--only {name}: the analysis needs charged species (" in err, err
    # nothing ran: no RDF figure, no summary
    assert not out.exists() or not any(out.iterdir())


def test_without_only_they_are_skipped_up_front_and_the_rest_runs(water, tmp_path, capsys):
    from electrolyte_cli import main

    out = tmp_path / "analysis"
    assert main(["analyze", str(water), "-o", str(out)]) == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    for name in CHARGED:
        assert summary[name]["skipped"].startswith("needs charged species ("), summary[name]
    assert "r_angstrom" in summary["intra_inter_rdf"]


def test_the_declarations_are_registered():
    registry = report.registered_analyses()
    for name in CHARGED:
        assert name in registry
        assert "charged species" in report._REGISTRY[name][1], name
    # the viscosity is that of every molecule, charged or not
    assert "charged species" not in report._REGISTRY["viscosity"][1]


@pytest.mark.parametrize("name, key", [("einstein_helfand_conductivity", "conductivity"),
                                       ("diffusion", "D")])
def test_a_salt_meets_the_requirement_and_is_analysed(tmp_path, name, key):
    rng = np.random.default_rng(4)
    dt = 0.01
    v = ornstein_uhlenbeck(rng, 600, (16, 3), 0.05, dt, 3.0)
    u = salt_universe(v, integrate(v, dt) + rng.uniform(0, 40, size=(1, 16, 3)),
                      n_cations=8, dt=dt)
    assert report.unmet_requirements(u, ("charged species",), None) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entry = report.run_analyses(u, tmp_path, only=[name], temperature=300.0
                                    if name != "diffusion" else None)[name]
    assert "skipped" not in entry and key in entry, entry
