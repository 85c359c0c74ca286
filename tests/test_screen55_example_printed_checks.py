"""examples/dispersion_and_electrostatics.py: every number it prints is an Estimate or a check
labelled as one, and the intermolecular D3 energy's error holds the molecules' checks.

Before, it printed 'bare pair ... -3.1666 eV', 'Li force x: analytic ... finite difference ...'
and 'simple-dftd3: ...' as bare numbers, and the intermolecular energy (box minus its isolated
molecules) took the box energy's difference from simple-dftd3 as its whole error: the sums of
the molecules, half of the difference, were never checked."""

import contextlib
import io
import re
import runpy
import warnings
from pathlib import Path

import pytest

dftd3 = pytest.importorskip("dftd3.interface")
pytest.importorskip("rdkit")
pytest.importorskip("packmol")

from ase.units import Bohr, Hartree  # noqa: E402

from ase_electrolyte.estimate import Estimate  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dispersion_and_electrostatics.py"


@pytest.fixture(scope="module")
def run():
    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")
        ns = runpy.run_path(str(EXAMPLE), run_name="__main__")
    return ns, out.getvalue().splitlines()


def test_every_printed_number_is_an_estimate_or_a_labelled_check(run):
    ns, lines = run
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


def test_intermolecular_error_holds_the_molecules_checks(run):
    ns, _ = run
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
