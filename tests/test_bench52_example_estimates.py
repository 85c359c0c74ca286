"""examples/transport_conductivity.py prints every result as an Estimate: value ± error with
its verdict. It printed bare floats: transference numbers without an error ('t_GK = 0.52'),
Nernst–Einstein's sigma and alpha_d and Onsager's sigma and transference numbers without any
verdict, the GK self/distinct parts without errors, Onsager's L matrix without errors."""

import re
import runpy
import warnings
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def example():
    import contextlib
    import io

    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")
        ns = runpy.run_path(str(EXAMPLES / "transport_conductivity.py"), run_name="__main__")
    return ns, out.getvalue()


@pytest.mark.parametrize("start", ["Green-Kubo", "Einstein-Helfand", "Nernst-Einstein",
                                   "D(Li)", "D(Cl)", "Onsager coefficients", "Onsager sigma"])
def test_each_result_line_carries_errors_and_verdicts(example, start):
    _, out = example
    (line,) = [x for x in out.splitlines() if x.startswith(start)]
    # the settings and checks beside the results (exact values, R², the plateau window) are
    # no estimates; every other number is one, with its error and verdict
    measured = re.sub(r"\(exact [^)]*\)|R² = [0-9.]+|plateau \([^)]*\) ps|\^\d", "", line)
    n_errors = measured.count("±")
    assert n_errors >= 1
    assert len(re.findall(r"\((valid|not valid[^)]*)\)", measured)) == n_errors, line
    numbers = re.findall(r"-?\d+\.?\d*(?:e[+-]?\d+)?", measured.split("=", 1)[-1])
    assert len(numbers) == 2 * n_errors, line  # each number is a value or its error


def test_printed_estimates_are_the_results(example):
    ns, out = example
    gk, ne, diff, on = ns["gk"].results, ns["ne"].results, ns["diff"].results, ns["on"]
    for estimate in (gk.conductivity, gk.conductivity_self, gk.conductivity_distinct,
                     ns["eh"].results.conductivity, ne.conductivity, ne.dissociation,
                     on.conductivity, *on.coefficients.values(),
                     *on.transference_numbers.values(), *gk.transference_numbers.values(),
                     *diff.diffusion_coefficient.values()):
        assert str(estimate) in out
