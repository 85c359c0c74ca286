"""The examples of the public classes run as a user runs them, and print the right numbers.

Each example checks itself against an answer known without it (simple-dftd3, the NaCl Madelung
constant, C–H bonds counted, a coordination number recounted, processes with exact transport
coefficients, a density built into an equation of state, D3 as the whole model error); these
tests assert those numbers, not that the scripts ran.
"""

import ast
import contextlib
import io
import re
import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest

import ase_electrolyte
import mda_electrolyte

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: the examples run here (the others are run in test_examples.py; structure_of_a_liquid.py
#: in test_screen54_example_numbers.py, with its printed numbers)
HERE = {"dispersion_and_electrostatics.py", "structure_of_a_liquid.py",
        "viscosity_and_equation_of_state.py", "one_pass_transport.py",
        "model_error_decomposition.py"}


def run_example(name, run_name="__main__"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runpy.run_path(str(EXAMPLES / name), run_name=run_name)


def test_every_public_class_has_an_example_that_uses_it():
    """The house rule: each public class of both packages is imported by some example."""
    imported = set()
    for path in EXAMPLES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                imported |= {alias.name for alias in node.names}
    public = {name for module in (ase_electrolyte, mda_electrolyte) for name in module.__all__
              if name[0].isupper()}
    assert public - imported == set()
    assert HERE <= {p.name for p in EXAMPLES.glob("*.py")}


@pytest.fixture(scope="module")
def dispersion():
    """dispersion_and_electrostatics.py run once for every test of its numbers: its names and
    what it printed."""
    pytest.importorskip("dftd3.interface")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ns = run_example("dispersion_and_electrostatics.py")
    return ns, out.getvalue()


def test_dispersion_and_electrostatics_agree_with_independent_answers(dispersion):
    ns, out = dispersion
    # D3 against simple-dftd3 (same cutoffs) to rounding, and its forces the energy's gradient
    assert ns["d3_energy"].valid and abs(ns["e_d3"] - ns["e_ref"]) < 1e-9
    assert ns["d3_energy"].stderr == abs(ns["e_d3"] - ns["e_ref"])
    assert np.abs(ns["f_d3"] - ns["f_ref"]).max() < 1e-8
    assert ns["fd"] == pytest.approx(ns["f_d3"][ns["li"], 0], abs=1e-7)
    # dispersion binds the molecules: the box lies below its isolated molecules
    assert ns["inter_energy"].value < 0 and ns["inter_energy"].valid
    assert ns["inter"] == pytest.approx(ns["e_d3"] - ns["isolated"], rel=1e-12)
    # rock salt's Madelung constant, Ewald and PME both
    assert ns["madelung"]["ewald"] == pytest.approx(1.747565, abs=1e-6)
    assert ns["madelung"]["pme"] == pytest.approx(1.747565, abs=1e-5)
    # initial charges summing to +1 beside a term whose charges sum to 0: named, once
    assert len(ns["unread"]) == 1 and "initial_charges sum to 1 e" in str(ns["unread"][0].message)
    assert "NaCl Madelung constant: 1.74756" in out
    # the formal charges of the box: Ewald and PME agree within their tolerance, and a ±1 pair
    # (with its periodic images and their neutralising dipoles) attracts
    e_coul = ns["e_coul"]
    assert e_coul.valid and e_coul.value < 0 and e_coul.stderr < 1e-3
    assert "(valid)" in out.split("D3(BJ) energy of the box:")[1].splitlines()[0]



def test_dispersion_prints_every_number_as_an_estimate_or_a_labelled_check(dispersion):
    """Every number it prints is an Estimate or a check labelled as one. Before, it printed
    'bare pair ... -3.1666 eV', 'Li force x: analytic ... finite difference ...' and
    'simple-dftd3: ...' as bare numbers."""
    from ase_electrolyte.estimate import Estimate

    ns, out = dispersion
    lines = out.splitlines()
    shown = [str(v) for v in ns.values() if isinstance(v, Estimate)]
    # the settings of the box and the warning's own text are no results
    plain = [line for line in lines if re.search(r"\d", line)
             and not line.startswith(("box:", "UnreadChargesWarning:"))]
    assert plain
    bare = [line for line in plain if not line.startswith("check")
            and not any(text in line for text in shown)]
    assert bare == []
    # a check says what it is checked against, with the difference where there are two
    checks = [line for line in plain if line.startswith("check")]
    assert any("differ by" in line for line in checks)
    assert any("exact" in line for line in checks)


def test_dispersion_intermolecular_error_holds_the_molecules_checks(dispersion):
    """The intermolecular energy (box minus its isolated molecules) took the box energy's
    difference from simple-dftd3 as its whole error: the sums of the molecules, half of the
    difference, were never checked."""
    from ase.units import Bohr, Hartree

    dftd3 = pytest.importorskip("dftd3.interface")
    ns, _ = dispersion
    param = dftd3.RationalDampingParam(method="pbe", atm=False)
    mol_diffs = []
    for mol in ns["isolated_molecules"](ns["atoms"], ns["atoms"].arrays["molecule_index"]):
        ours = ns["d3"].get_potential_energy(mol)
        ref = dftd3.DispersionModel(mol.numbers, mol.positions / Bohr).get_dispersion(
            param, grad=False)["energy"] * Hartree
        mol_diffs.append(abs(ours - ref))
    box_diff = abs(ns["e_d3"] - ns["e_ref"])
    # the molecules' sums disagree by rounding: not zero, so the box's alone is too small
    assert sum(mol_diffs) > 0
    inter = ns["inter_energy"]
    assert inter.valid and inter.unit == "meV"
    assert inter.stderr == pytest.approx((box_diff + sum(mol_diffs)) * 1e3 / ns["n_atoms"],
                                         rel=1e-6)
    assert "molecule" in inter.method

def test_viscosity_and_equation_of_state_recover_what_they_were_built_with(capsys):
    ns = run_example("viscosity_and_equation_of_state.py")
    out = capsys.readouterr().out
    eta = ns["eta_exact"]
    for name in ("gk", "eh", "gk_runs"):
        est = ns[name].results.shear_viscosity
        assert est.valid and abs(est.value - eta) < 3 * est.stderr, name
    assert len(ns["gk_runs"].collections) == 5
    checks = [(ns["eos"].results.zero_pressure_density, ns["RHO0"]),
              (ns["tait"].results.compressibility, ns["C"] / ns["B"] * 1e4),
              (ns["expansion"].results.expansivity, ns["ALPHA"])]
    for est, exact in checks:
        assert est.valid and abs(est.value - exact) < 3 * est.stderr, (est, exact)
        assert est.relative_error < 0.01
    for temp, rho in zip(ns["temps"], ns["densities_t"], strict=True):
        exact = ns["RHO0"] * (1 - ns["ALPHA"] * (temp - 350.0))
        assert rho.valid and abs(rho.value - exact) < 4 * rho.stderr
    assert out.count("(valid)") == 11  # 3 viscosities, ρ0, κ_T, 5 densities, α


def test_one_pass_transport_equals_the_direct_pass_and_the_exact_answers(capsys):
    ns = run_example("one_pass_transport.py")
    capsys.readouterr()
    gk, direct = ns["gk"].results.conductivity, ns["direct"].results.conductivity
    assert (gk.value, gk.stderr) == pytest.approx((direct.value, direct.stderr), rel=1e-12)
    for est in (gk, ns["eh"].results.conductivity):
        assert est.valid and abs(est.value - ns["sigma_exact"]) < 3 * est.stderr
    for name in ns["IONS"]:
        d = ns["diff"].results.diffusion_coefficient[name]
        assert d.valid and abs(d.value - ns["S"] ** 2 * ns["TAU"]) < 3 * d.stderr


def test_model_error_decomposition_finds_d3_as_the_whole_error(capsys):
    """The stand-in model (a molecular pair potential) replaces SevenNet-0: the model minus
    (model + D3) is minus D3, part by part, whatever the model."""
    from tests.molecular_pair_model import MolecularPairModel

    ns = run_example("model_error_decomposition.py", run_name="example")
    errors, scan, rms, d3_inter = ns["main"](MolecularPairModel())
    out = capsys.readouterr().out
    for part in ("total", "intra", "inter"):
        assert errors.rmse[part]["forces"].value == pytest.approx(rms[part], rel=1e-9), part
    assert rms["inter"] > rms["intra"] > 0  # dispersion acts mostly between molecules
    # translation + rotation + vibration of each molecule add up to its force error
    diff = {p: errors.forces["model"][p] - errors.forces["reference"][p]
            for p in ("total", "trans", "rot", "vib")}
    assert np.abs(diff["trans"] + diff["rot"] + diff["vib"] - diff["total"]).max() < 1e-12
    inter_error = [scan.estimates["inter_error"][f"{s:g}"].value for s in ns["SCALES"]]
    assert inter_error[1] == pytest.approx(-np.mean(d3_inter), rel=1e-9)
    assert np.all(np.diff(inter_error) < 0) and inter_error[-1] > 0  # decays as r⁻⁶, > 0
    assert not errors.rmse["total"]["forces"].valid  # 3 frames
    assert "too few" in out
    # D3's own RMS force is a check of the RMSEs, printed as one (it was a bare 'D3 alone, RMS
    # force (eV/Å): total 0.023097, ...' beside the Estimates)
    line, = [x for x in out.splitlines() if "RMS force" in x]
    assert line.startswith("check: the force RMSE of each part equals D3's own RMS force")
