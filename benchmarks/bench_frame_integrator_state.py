"""Cost of storing the integrator state (Nosé–Hoover chain, MTK barostat) with each frame.

``run_md`` writes, with every frame of an NPT run, 8 small variables (two 3-chains of the
thermostat, two of the barostat, the strain and its momentum, the reference cell and volume),
which a resume restores so that it continues the uninterrupted run. Prints the CPU time per
``H5MDWriter.write`` of an 864-atom frame with and without them, interleaved, best of 3
(``time.process_time``: the machine is shared). A frame is written every ``write_interval``
steps (100 in Ju et al. 2025's production), so the cost per MD step is this difference divided
by the interval. Run: ``python benchmarks/bench_frame_integrator_state.py [--frames 300]
[--repeats 3]``.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _arguments import number  # benchmarks/, beside this script
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.trajectory import H5MDWriter

_STATE = {"thermostat_eta": np.zeros(3), "thermostat_p_eta": np.zeros(3),
          "barostat_xi": np.zeros(3), "barostat_p_xi": np.zeros(3), "strain": 0.0,
          "strain_momentum": 0.0, "reference_cell": np.eye(3), "reference_volume": 1.0}


def main(frames=300, repeats=3):
    # a temporary folder removed at the end: a benchmark leaves no files behind
    with tempfile.TemporaryDirectory() as tmp:
        best = _best(Path(tmp), frames, repeats)
    extra = best["with"] - best["without"]
    print(f"H5MDWriter.write, 864 atoms: {best['without'] * 1e3:.2f} ms per frame "
          f"without the integrator state (the reference), {best['with'] * 1e3:.2f} ms with it "
          f"(ratio {best['with'] / best['without']:.2f}; +{extra * 1e3:.2f} ms; "
          f"+{extra * 1e3 / 100:.3f} ms per MD step at a frame every 100 steps)")


def _best(folder, frames, repeats):
    atoms = bulk("Cu", cubic=True).repeat((6, 6, 6))
    atoms.calc = EMT()
    atoms.get_forces()
    with H5MDWriter(folder / "warm-up.h5md", atoms) as writer:  # first-use costs: no mode's
        writer.write(atoms, step=0, time=0.0, integrator_state=_STATE)
    best = {"without": np.inf, "with": np.inf}
    for r in range(repeats):
        for label, state in (("without", None), ("with", _STATE)):
            with H5MDWriter(folder / f"{label}{r}.h5md", atoms) as writer:
                start = time.process_time()
                for i in range(frames):
                    writer.write(atoms, step=i, time=i * 1e-3, integrator_state=state)
                best[label] = min(best[label], (time.process_time() - start) / frames)
    return best


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=number("--frames", minimum=1, integer=True),
                        default=300, help="frames written per file")
    parser.add_argument("--repeats", type=number("--repeats", minimum=1, integer=True),
                        default=3, help="files per mode (best of)")
    args = parser.parse_args()
    main(frames=args.frames, repeats=args.repeats)
