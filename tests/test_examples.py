"""Every file in examples/ runs, quickly, with stand-ins where it needs SevenNet-0.

An example that no longer runs (a renamed keyword, a result attribute gone) is the first thing a
new user meets; each is run here as a user runs it (``python examples/x.py``, through runpy),
with the model or the lengths replaced only where the real ones take minutes.
"""

import re
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_every_example_is_run_here():
    # the last five are run by tests/test_examples_more.py
    covered = {"build_and_run.py", "transport_conductivity.py", "align_density_liquid.py",
               "screen_plan.toml", "dispersion_and_electrostatics.py", "structure_of_a_liquid.py",
               "viscosity_and_equation_of_state.py", "one_pass_transport.py",
               "model_error_decomposition.py"}
    assert {p.name for p in EXAMPLES.iterdir() if p.suffix in (".py", ".toml")} == covered


@pytest.fixture(scope="module")
def transport():
    """transport_conductivity.py run once for every test of what it computes and prints: its
    names and its output."""
    import contextlib
    import io
    import warnings

    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")
        ns = runpy.run_path(str(EXAMPLES / "transport_conductivity.py"), run_name="__main__")
    return ns, out.getvalue()


def test_transport_conductivity_recovers_the_exact_answers(transport):
    ns, out = transport
    gk, exact = ns["gk"].results, ns["exact"]
    assert abs(gk.sigma - exact) < 3 * gk.sigma_err  # Ornstein–Uhlenbeck ions: known σ
    for name in ns["ions"]:
        d = ns["diff"].results
        assert abs(d.D[name] - ns["s"] ** 2 * ns["tau"]) < 3 * d.D_err[name]
    assert "verdicts: GK valid; EH valid" in out
    assert "refused: frames every 1000 fs are too sparse" in out  # the aliased case



@pytest.mark.parametrize("start", ["Green-Kubo", "Einstein-Helfand", "Nernst-Einstein",
                                   "D(Li)", "D(Cl)", "Onsager coefficients", "Onsager sigma"])
def test_transport_result_lines_carry_errors_and_verdicts(transport, start):
    """Every result of transport_conductivity.py is printed as an Estimate, value ± error with
    its verdict. It printed bare floats: transference numbers without an error
    ('t_GK = 0.52'), Nernst–Einstein's sigma and alpha_d and Onsager's sigma and transference
    numbers without any verdict, the GK self/distinct parts without errors, Onsager's L matrix
    without errors."""
    _, out = transport
    (line,) = [x for x in out.splitlines() if x.startswith(start)]
    # the settings and checks beside the results (exact values, R², the plateau window) are
    # no estimates; every other number is one, with its error and verdict
    measured = re.sub(r"\(exact [^)]*\)|R² = [0-9.]+|plateau \([^)]*\) ps|\^\d", "", line)
    n_errors = measured.count("±")
    assert n_errors >= 1
    assert len(re.findall(r"\((valid|not valid[^)]*)\)", measured)) == n_errors, line
    numbers = re.findall(r"-?\d+\.?\d*(?:e[+-]?\d+)?", measured.split("=", 1)[-1])
    assert len(numbers) == 2 * n_errors, line  # each number is a value or its error


def test_transport_printed_estimates_are_the_results(transport):
    ns, out = transport
    gk, ne, diff, on = ns["gk"].results, ns["ne"].results, ns["diff"].results, ns["on"]
    for estimate in (gk.conductivity, gk.conductivity_self, gk.conductivity_distinct,
                     ns["eh"].results.conductivity, ne.conductivity, ne.dissociation,
                     on.conductivity, *on.coefficients.values(),
                     *on.transference_numbers.values(), *gk.transference_numbers.values(),
                     *diff.diffusion_coefficient.values()):
        assert str(estimate) in out

def test_build_and_run_with_a_stand_in_model(tmp_path, monkeypatch, capsys):
    """SevenNet-0 replaced by the molecular pair model of the tests: the build, the protocol
    and the MDAnalysis bridge of the example run as written."""
    import ase_electrolyte
    from tests.molecular_pair_model import MolecularPairModel

    monkeypatch.setattr(ase_electrolyte, "Calculator", lambda *a, **k: MolecularPairModel())
    monkeypatch.setattr(sys, "argv", ["build_and_run.py", str(tmp_path / "run")])
    ns = runpy.run_path(str(EXAMPLES / "build_and_run.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "residues ['EC', 'EC', 'EC', 'EC', 'Li', 'PF6']" in out
    assert "frames 6 dt / ps 0.002" in out and "charge 1" in out
    # its numbers carry errors and verdicts (it printed a raw Li velocity and a bare box
    # length): the run's Estimates and the box as a given value, no other decimal number
    result, box = ns["result"], ns["box"]
    shown = [result.temperature, result.density, result.energy_drift["production"], box]
    assert box.given and box.value == ns["atoms"].cell[0, 0]
    rest = [line for line in out.splitlines() if not line.startswith("frames ")]
    for estimate in shown:
        assert str(estimate) in out
        rest = [line.replace(str(estimate), "") for line in rest]
    assert [line for line in rest if re.search(r"\d\.\d|\de[+-]\d", line)] == []


def test_the_screen_plan_example_is_a_valid_plan_of_forty_tasks():
    from ase_electrolyte.screen import load_plan

    plan = load_plan(EXAMPLES / "screen_plan.toml")
    assert len(plan.tasks()) == 40  # 4 compositions × 2 temperatures × 5 replicas
    # the example's boxes are the compositions it names: none would be marked as another
    from ase_electrolyte.screen.plan import packing_shortfall

    assert [packing_shortfall(c, plan.n_atoms) for c in plan.compositions] == [""] * 4


@pytest.mark.slow
def test_align_density_liquid_runs_with_short_lengths(tmp_path, monkeypatch, capsys):
    """The whole BAMBOO path with 2 and 1 training epochs and 60-step NPT runs (about a minute
    and a half on a loaded CPU; the numbers are not results at these lengths)."""
    ns = runpy.run_path(str(EXAMPLES / "align_density_liquid.py"), run_name="example")
    ns["NPT"].update(steps=60, write_interval=10)
    finetune, align = ns["finetune"], ns["align_density"]
    ns["finetune"] = lambda *a, **k: finetune(*a, **{**k, "epochs": 2})
    ns["align_density"] = lambda *a, **k: align(*a, **{**k, "epochs": 1})
    monkeypatch.setattr(sys, "argv", ["align_density_liquid.py", "--out", str(tmp_path)])
    ns["main"]()
    out = capsys.readouterr().out
    assert "base model NPT density:" in out and "aligned model NPT density:" in out
    assert "pressure moved on 3 held-out frames" in out
    # the shift on held-out frames is an Estimate with its verdict (it was 'X ± Y bar', no
    # verdict), the MSDs checks
    line, = [x for x in out.splitlines() if x.startswith("pressure moved")]
    assert " bar (3 correlated frames of one run: a check, not a result)" in line
    assert sum(x.startswith("check: ") and "MSD" in x for x in out.splitlines()) == 2
