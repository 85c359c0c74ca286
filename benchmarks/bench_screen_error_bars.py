"""Time and false-flag rate of the summary's ``error_bars`` check, per row.

    python benchmarks/bench_screen_error_bars.py [--rows 2000] [--seed 1]

For replicas of 3 to 20 per row, each replica's in-run error of 2 to 30 dof, and errors that
are right (factor 1) or too small (0.5, 0.3): the share of rows flagged as scattering more or
less than their in-run errors allow, and the milliseconds a row costs
(:func:`ase_electrolyte.screen.aggregate._scatter_note`). Goal: with right errors, each share at
most about ``SCATTER_P`` = 0.001 (Welch's F law alone flagged up to 0.07 of rows for 20 replicas
of 2 dof); time: rows whose Welch P is above ``BOOTSTRAP_BELOW`` cost a fraction of a
millisecond, rows the parametric bootstrap decides up to tens (its draws stop once the verdict
is certain): a table of 10⁴ rows whose in-run errors are all too small costs a minute or two.
"""

import argparse
import math
import time

from _arguments import number  # benchmarks/, beside this script


def _rows(rng, rows, k, nu, factor):
    import numpy as np
    from scipy import stats

    sigma = rng.uniform(0.5, 2.0, (rows, k))
    values = 5.0 + sigma * rng.standard_normal((rows, k))
    ratio = np.sqrt(rng.chisquare(nu, (rows, k)) / nu)
    t1 = stats.t.ppf(stats.norm.cdf(1.0), nu)
    return values, t1 * sigma * ratio * factor, [float(nu)] * k


def main():
    import numpy as np

    from ase_electrolyte.screen.aggregate import _scatter_note

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # --rows 0 ended in a ZeroDivisionError, a negative one in numpy's size error
    parser.add_argument("--rows", type=number("--rows", minimum=1, integer=True), default=2000)
    parser.add_argument("--seed", type=number("--seed", minimum=0, integer=True), default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"{'replicas':>8} {'dof':>4} {'factor':>6} {'more':>7} {'less':>7} {'ms/row':>7}")
    for k in (3, 5, 10, 20):
        for nu in (2, 6, 30):
            for factor in (1.0, 0.5, 0.3):
                values, errors, dofs = _rows(rng, args.rows, k, nu, factor)
                more = less = 0
                tick = time.perf_counter()
                for v, e in zip(values, errors, strict=True):
                    note = _scatter_note(v, e, dofs)[0]
                    more += "scatter more" in note
                    less += "scatter less" in note
                ms = 1e3 * (time.perf_counter() - tick) / args.rows
                print(f"{k:>8} {nu:>4} {factor:>6g} {more / args.rows:>7.4f} "
                      f"{less / args.rows:>7.4f} {ms:>7.2f}", flush=True)
    if not math.isfinite(ms):  # pragma: no cover - a clock that went wrong
        raise SystemExit("no timing")


if __name__ == "__main__":
    main()
