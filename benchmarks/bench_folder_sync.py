"""Cost of syncing the folder after ``atomic_path``'s rename (power-cut safety of the new name).

Prints the time per ``write_text_atomic`` with and without the folder sync, and per frame of an
``H5MDWriter`` (whose frames are written in place: only the first one renames, so the folder
sync is paid once per file). Run: ``python benchmarks/bench_folder_sync.py [--files 200]
[--frames 500]``.
"""

import argparse
import tempfile
import time
from pathlib import Path
from unittest import mock

from _arguments import number  # benchmarks/, beside this script
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte import atomic_file
from ase_electrolyte.atomic_file import write_text_atomic
from ase_electrolyte.trajectory import H5MDWriter


def _per_call(fn, n):
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - start) / n


def main(n_files=200, n_frames=500):
    # a temporary folder removed at the end: a benchmark leaves no files behind
    with tempfile.TemporaryDirectory() as tmp:
        _run(Path(tmp), n_files, n_frames)


def _run(folder, n_files, n_frames):
    text = "x" * 4096
    write_text_atomic(folder / "warm-up.txt", text)  # first-use costs are no call's
    with_sync = _per_call(lambda i: write_text_atomic(folder / f"a{i % 5}.txt", text), n_files)
    with mock.patch.object(atomic_file, "_sync_folder", lambda folder: False):
        without = _per_call(lambda i: write_text_atomic(folder / f"b{i % 5}.txt", text), n_files)
    print(f"write_text_atomic, 4 kB: {with_sync * 1e3:.3f} ms with the folder sync, "
          f"{without * 1e3:.3f} ms without (the reference); ratio {with_sync / without:.2f}")

    atoms = bulk("Cu", cubic=True).repeat((6, 6, 6))
    atoms.calc = EMT()
    atoms.get_forces()
    with H5MDWriter(folder / "warm-up.h5md", atoms) as writer:
        writer.write(atoms, step=0, time=0.0)
    per_frame = {}
    for label, patch in (("with", None), ("without", lambda folder: False)):
        ctx = mock.patch.object(atomic_file, "_sync_folder", patch) if patch else mock.MagicMock()
        with ctx, H5MDWriter(folder / f"{label}.h5md", atoms) as writer:
            per_frame[label] = _per_call(
                lambda i, w=writer: w.write(atoms, step=i, time=i * 1e-3), n_frames)
        print(f"H5MDWriter.write, {len(atoms)} atoms: {per_frame[label] * 1e3:.3f} ms per frame "
              f"{label} the folder sync")
    print(f"H5MDWriter.write with / without the folder sync: "
          f"{per_frame['with'] / per_frame['without']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=number("--files", minimum=1, integer=True), default=200,
                        help="write_text_atomic calls timed per mode")
    parser.add_argument("--frames", type=number("--frames", minimum=1, integer=True),
                        default=500, help="H5MD frames timed per mode")
    args = parser.parse_args()
    main(n_files=args.files, n_frames=args.frames)
