"""What the topology lacks for an analysis is a requirement known before any analysis runs.

Before: ``electrolyte analyze --only intra_inter_rdf,solvation_shells`` of a file without a
lithium ran the RDFs, wrote their figure, and only then skipped the shells ("no single-atom
Li/Na/K residues") and failed with exit status 2. The topology's needs (charged species for
the transport analyses, single-atom Li/Na/K residues with formal charges for the shells) were
known only inside each analysis. They are requirements now (``"charged species"``, ``"shell
cations"``), judged by :func:`mda_electrolyte.report.unmet_requirements` from the topology
alone, so ``--only`` refuses such an analysis in one line before any analysis (or model) runs.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from cli_inputs import empty_registry, water_frames

from mda_electrolyte import report


def _universe(residues, *, elements=True, formal=True, partial=False):
    """One frame of single residues ``[(name, [(element, formal charge), ...]), ...]`` in a
    20 Å box, atoms 2 Å apart."""
    atoms = [(name, el, q) for name, members in residues for el, q in members]
    sizes = [len(members) for _, members in residues]
    u = mda.Universe.empty(len(atoms), n_residues=len(residues),
                           atom_resindex=np.repeat(np.arange(len(residues)), sizes),
                           trajectory=True)
    u.add_TopologyAttr("resnames", [name for name, _ in residues])
    u.add_TopologyAttr("names", [el for _, el, _ in atoms])
    if elements:
        u.add_TopologyAttr("elements", [el for _, el, _ in atoms])
    if formal:
        u.add_TopologyAttr("formalcharges", [q for _, _, q in atoms])
    if partial:
        u.add_TopologyAttr("charges", [float(q) for _, _, q in atoms])
    u.atoms.positions = 2.0 * np.arange(3 * len(atoms), dtype=float).reshape(-1, 3) % 18.0
    u.dimensions = [20, 20, 20, 90, 90, 90]
    return u


_WATER = ("SOL", [("O", 0), ("H", 0), ("H", 0)])
_PF6 = ("PF6", [("P", 0)] + [("F", 0)] * 5 + [("F", -1)])


#: (topology, its shells have a centre and anions told from solvents, it has charged species)
TOPOLOGIES = {
    "water alone": (lambda: _universe([_WATER, _WATER]), False, False),
    "Li+ PF6- in water": (lambda: _universe([("LI", [("Li", 1)]), _PF6, _WATER]), True, True),
    "Na+ PF6-": (lambda: _universe([("NA", [("Na", 1)]), _PF6]), True, True),
    "K+ PF6- in upper case": (lambda: _universe([("K", [("K", 1)]), _PF6]), True, True),
    # Mg2+ is no centre of the shells analysis (Li/Na/K), but it is charged
    "Mg2+ 2 PF6-": (lambda: _universe([("MG", [("Mg", 2)]), _PF6, _PF6]), False, True),
    # lithium bound in a molecule is no single-atom cation
    "LiF molecule": (lambda: _universe([("LIF", [("Li", 0), ("F", 0)]), _WATER]), False, False),
    "Li+ without element symbols": (
        lambda: _universe([("LI", [("Li", 1)]), _PF6], elements=False), False, True),
    # the charges alone are partial ones: no formal charge tells the anions apart
    "Li+ with partial charges only": (
        lambda: _universe([("LI", [("Li", 1)]), _PF6], formal=False, partial=True), False, True),
    "no charges at all": (
        lambda: _universe([("LI", [("Li", 1)]), _PF6], formal=False), False, False),
}


@pytest.mark.parametrize("label", TOPOLOGIES)
def test_the_requirements_are_read_from_the_topology(label):
    make, shells, charged = TOPOLOGIES[label]
    u = make()
    unmet = report.unmet_requirements(u, ("shell cations",), None)
    assert (not unmet) is shells, unmet
    if unmet:
        assert len(unmet) == 1 and unmet[0].startswith("shell cations (")
    unmet = report.unmet_requirements(u, ("charged species",), None)
    assert (not unmet) is charged, unmet
    if unmet:
        assert len(unmet) == 1 and unmet[0].startswith("charged species (")


@pytest.mark.parametrize("label", [k for k, (_, shells, _) in TOPOLOGIES.items() if not shells])
def test_an_unmet_shell_requirement_is_what_the_shells_analysis_skips(label, tmp_path):
    """The reference: the shells analysis itself skips each topology the requirement
    refuses (the requirement is its own checks, judged before it runs)."""
    from mda_electrolyte import solvation

    u = TOPOLOGIES[label][0]()
    result = solvation._report(u, str(tmp_path))
    assert set(result) == {"skipped"}, result


@pytest.mark.parametrize("label", TOPOLOGIES)
def test_an_unmet_charge_requirement_is_what_the_transport_analyses_refuse(label):
    from mda_electrolyte.conductivity import charged_species

    u = TOPOLOGIES[label][0]()
    refused = False
    try:
        charged_species(u)
    except ValueError:
        refused = True
    assert refused is bool(report.unmet_requirements(u, ("charged species",), None))


@pytest.fixture
def two_analyses(monkeypatch):
    """A registry of an analysis that needs a box (recording each run) and one that needs
    the requirement of the test."""
    empty_registry(monkeypatch)
    ran = []

    def register(requirement):
        @report.register_analysis("first_pass", needs=("box",))
        def first(universe, outdir, *, calculator=None, verbose=False):
            ran.append("first_pass")
            return {}

        @report.register_analysis("topology_bound", needs=("box", requirement))
        def bound(universe, outdir, *, calculator=None, verbose=False):
            ran.append("topology_bound")
            return {}

    return register, ran


@pytest.mark.parametrize("requirement", ["shell cations", "charged species"])
@pytest.mark.parametrize("order", ["first_pass,topology_bound", "topology_bound,first_pass"])
def test_only_refuses_before_any_analysis_runs(requirement, order, two_analyses, tmp_path,
                                               capsys):
    from electrolyte_cli import main

    register, ran = two_analyses
    register(requirement)
    traj = water_frames(tmp_path / "water.extxyz")
    out = tmp_path / "analysis"
    status = main(["analyze", str(traj), "--only", order, "-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"--only topology_bound: the analysis needs {requirement} (" in err, err
    assert ran == []
    assert not (out / "summary.json").exists()


@pytest.mark.parametrize("requirement", ["shell cations", "charged species"])
def test_without_only_the_analysis_is_skipped_and_the_others_run(requirement, two_analyses,
                                                                 tmp_path):
    import MDAnalysis as mda_

    register, ran = two_analyses
    register(requirement)
    u = mda_.Universe.empty(3, trajectory=True)
    u.dimensions = [8, 8, 8, 90, 90, 90]
    summary = report.run_analyses(u, tmp_path / "out")
    assert ran == ["first_pass"]
    assert summary["topology_bound"]["skipped"].startswith(f"needs {requirement} (")


@pytest.mark.parametrize("requirement", ["shell cations", "charged species"])
def test_a_met_requirement_runs_the_analysis(requirement, two_analyses, tmp_path):
    register, ran = two_analyses
    register(requirement)
    u = TOPOLOGIES["Li+ PF6- in water"][0]()
    report.run_analyses(u, tmp_path / "out", only=["topology_bound"])
    assert ran == ["topology_bound"]
