"""Benchmark: ase_electrolyte.D3 against simple-dftd3 (PBE-D3(BJ), 50.2/20 Å cutoffs).

Builds LiPF6/EC/EMC-like liquid boxes (molecules on a jittered grid at ~1.25 g/cm3 from
ase.build plus PF6-/Li+), times energy+forces+stress of both codes in this run, prints the
ratios, and the peak resident memory of each code measured in its own child process
(that process's resource.getrusage(RUSAGE_SELF).ru_maxrss, so neither the other code nor a
compiler run on first use is counted; tracemalloc cannot see C++/Fortran).

    python benchmarks/bench_d3.py            # ~1000 atoms, 3 alternating rounds of both codes
    python benchmarks/bench_d3.py --large    # also ~9000 atoms (simple-dftd3: minutes, 1.4 GB)
    python benchmarks/bench_d3.py --gpu-model  # pair images per atom each GPU pass visits
    python benchmarks/bench_d3.py --sizes 2,2,2 3,3,3 4,4,4 6,6,5   # ~70, 230, 530, 1700 atoms
    python benchmarks/bench_d3.py --atm --atm-cutoff 12 --sizes 2,2,2 3,3,3  # with ATM
    python benchmarks/bench_d3.py --tensor --atoms 5000  # compute_tensor: molecule/slab/wire

The times are reported only for the same numbers: each box's energy, forces and stress from
both codes must agree within the tolerances of ``tests/test_d3.py`` (energy 1e-9 relative,
forces 1e-8 eV/Å, stress 1e-9 eV/Å³), and ``--tensor``'s routes within
``TENSOR_REL_DIFF`` (1e-9); otherwise the benchmark stops (exit status 1) naming the quantity and
the difference. Before, ``|dE|/E`` was printed beside the speed-up however large, and the forces
and stress were never compared (only their largest entry was passed on, unread).

``--atm`` adds the three-body term to both codes (s9 = 1, simple-dftd3's ``disp3`` cutoff set
to ``--atm-cutoff``). Both codes' ATM loops visit every triple within the cutoff, ~N n_c²/6 for
n_c neighbours: at simple-dftd3's default 40 bohr (21.2 Å) a 66-atom box took simple-dftd3
145 s and ours 43 s on a loaded 2-core machine, hence the shorter default here.

``--gpu-model`` needs no GPU: it builds the CUDA kernels' bins and stencils on the host (the
same code the CUDA driver runs) for ~10k, ~30k and ~100k-atom boxes at 50.2/20 Å, and prints
the pair images each pass visits per atom against the ideal count, the images within the
cutoff N/V * 4/3 pi r_c^3 (goal: <= 2x), and against an all-pairs kernel (N pairs per atom).

``--tensor`` times :meth:`D3.compute_tensor` (the CUDA path; without a GPU its host build,
which runs the same code serially) on a sparse cluster, a slab and a wire of ``--atoms``
atoms at 10/8 Å cutoffs, against the CPU kernel's ``calculate`` in the same run, and prints
their ratio and largest relative difference. Both run in the padded 3D cell (cell lists);
the all-pairs loop over the lattice translations that compute_tensor ran before is timed
too, as ``old route``.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import molecule

# the grid-of-molecules builder is shared with tests/test_d3.py; the package is this
# checkout's where it is not installed
_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT / "tests"))
sys.path.append(str(_ROOT))
from _arguments import number  # noqa: E402  (benchmarks/, beside this script)
from d3_structures import molecules_on_grid, pf6  # noqa: E402


def _ec():
    # ethylene carbonate C3H4O3 (planar ring), Å
    return Atoms(
        "C3O3H4",
        positions=[
            [0.000, 0.000, 0.000],
            [0.730, 1.230, 0.000],
            [-0.730, 1.230, 0.000],
            [0.000, -1.200, 0.000],
            [1.130, -0.400, 0.000],
            [-1.130, -0.400, 0.000],
            [1.250, 1.500, 0.900],
            [1.250, 1.500, -0.900],
            [-1.250, 1.500, 0.900],
            [-1.250, 1.500, -0.900],
        ],
    )


def electrolyte_box(nrep, seed=0):
    """Box of nrep = (nx, ny, nz) molecules.

    EC, EMC-like (methyl acetate + ethanol fragments), PF6-, Li+.
    """
    kinds = [
        _ec(),
        molecule("CH3COOCH3") if "CH3COOCH3" in _names() else molecule("HCOOCH3"),
        _ec(),
        molecule("CH3CH2OCH3"),
        pf6(),
        Atoms("Li", positions=[[0, 0, 0]]),
        _ec(),
        molecule("HCOOCH3"),
    ]
    return molecules_on_grid(kinds, nrep, spacing=4.55, seed=seed)


def _names():
    from ase.collections import g2

    return set(g2.names)


def _run_one(code, nrep, repeats, atm_cutoff=None):
    box = electrolyte_box(nrep)
    atm = atm_cutoff is not None
    if code == "ours":
        from ase_electrolyte.d3 import D3

        calc = D3(damping="bj", functional="pbe", cutoff=50.2, cn_cutoff=20.0, device="cpu",
                  atm=atm, **({"atm_cutoff": atm_cutoff} if atm else {}))
    else:
        from dftd3.ase import DFTD3

        # DFTD3(method="pbe") leaves the ATM term out (dftd3 1.7: its energy equals the
        # two-body one), so s9 is given with PBE's published BJ parameters
        calc = DFTD3(
            damping="d3bj",
            params_tweaks={"s6": 1.0, "s8": 0.7875, "a1": 0.4289, "a2": 4.4407,
                           "s9": 1.0 if atm else 0.0},
            realspace_cutoff={"disp2": 50.2, "cn": 20.0, "disp3": atm_cutoff or 20.0},
        )
    times = []
    for _ in range(repeats):
        calc.reset()
        box.calc = calc
        t0 = time.perf_counter()
        e = box.get_potential_energy()
        f = box.get_forces()
        s = box.get_stress()
        times.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "natoms": len(box),
                "time": min(times),
                "energy": e,
                "forces": np.asarray(f, dtype=float).tolist(),
                "stress": np.asarray(s, dtype=float).tolist(),
                "peak_mb": peak_mb,
            }
        )
    )


#: largest differences between the two codes' results for the times to be reported: those
#: ``tests/test_d3.py`` holds ours to against simple-dftd3 (energy relative, eV/Å, eV/Å³)
SAME_ENERGY_REL, SAME_FORCES, SAME_STRESS = 1e-9, 1e-8, 1e-9
#: largest relative difference between compute_tensor, the old route and the CPU kernel
#: (compute_tensor's docstring: equal to ~1e-10 relative)
TENSOR_REL_DIFF = 1e-9


def check_same(ours, ref, where):
    """Stops (exit status 1) unless the child results ``ours`` and ``ref`` (energy, forces,
    stress of one box) agree within :data:`SAME_ENERGY_REL`, :data:`SAME_FORCES` and
    :data:`SAME_STRESS`; returns the relative energy difference."""
    forces_o, forces_r = np.asarray(ours["forces"]), np.asarray(ref["forces"])
    if forces_o.shape != forces_r.shape or ours["natoms"] != ref["natoms"]:
        sys.exit(f"bench_d3: {where}: the two codes ran boxes of {ours['natoms']} and "
                 f"{ref['natoms']} atoms; times not reported")
    rel = abs(ours["energy"] - ref["energy"]) / abs(ref["energy"])
    diffs = (("energy", rel, SAME_ENERGY_REL, "relative"),
             ("forces", float(np.abs(forces_o - forces_r).max(initial=0.0)), SAME_FORCES,
              "eV/Å"),
             ("stress", float(np.abs(np.subtract(ours["stress"], ref["stress"])).max()),
              SAME_STRESS, "eV/Å³"))
    for name, diff, limit, unit in diffs:
        if not diff <= limit:  # NaN too
            sys.exit(f"bench_d3: {where}: the {name} of ase_electrolyte.D3 differs from "
                     f"simple-dftd3's by {diff:.3g} {unit} (at most {limit:g}); times not "
                     "reported")
    return rel


def check_tensor(diff, kind):
    """Stops (exit status 1) where ``--tensor``'s largest relative difference ``diff`` for the
    structure ``kind`` exceeds :data:`TENSOR_REL_DIFF`."""
    if not diff <= TENSOR_REL_DIFF:
        sys.exit(f"bench_d3: --tensor {kind}: compute_tensor, the old route and the CPU kernel "
                 f"differ by {diff:.3g} relative (at most {TENSOR_REL_DIFF:g}); times not "
                 "reported")
    return diff


def _measure(code, nrep, repeats, atm_cutoff=None):
    child = [sys.executable, __file__, "--child", code, ",".join(map(str, nrep)), str(repeats)]
    if atm_cutoff is not None:
        child += ["--atm-cutoff", str(atm_cutoff)]
    done = subprocess.run(child, capture_output=True, text=True)
    if done.returncode != 0:
        # the child's own error (a missing package, a refused input), not a CalledProcessError
        # that hides it
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        name = "ase_electrolyte.D3" if code == "ours" else "simple-dftd3 (the dftd3 package)"
        sys.exit(f"bench_d3: the {name} run of a {nrep} box failed:\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def gpu_model():
    from ase.units import Bohr

    from ase_electrolyte.d3 import D3, backend

    calc = D3(damping="bj", functional="pbe", cutoff=50.2, cn_cutoff=20.0, device="cpu")
    cutoffs = {"cutoff": 50.2 / Bohr, "cn_cutoff": 20.0 / Bohr, "atm_cutoff": 40.0,
               "width": 0.0}
    print(f"{'atoms':>7} {'pass':>10} {'r_c Å':>6} {'visits/atom':>12} {'ideal/atom':>11} "
          f"{'ratio':>6} {'all-pairs kernel: pairs/atom':>29}")
    for nrep in ((10, 10, 11), (15, 15, 15), (22, 22, 23)):
        box = electrolyte_box(nrep)
        geometry, tables, _ = calc._prepare(box)
        visits = backend.gpu_visit_model(geometry, tables, calc.method_parameters, cutoffs)
        n, volume = len(box), box.get_volume()
        for name, rc in (("CN", 20.0), ("dispersion", 50.2)):
            per_atom = visits["cn" if name == "CN" else "dispersion"] / n
            ideal = n / volume * 4.0 / 3.0 * np.pi * rc**3
            print(f"{n:7d} {name:>10} {rc:6.1f} {per_atom:12.0f} {ideal:11.0f} "
                  f"{per_atom / ideal:6.2f} {n:29d}")


def _sparse_cluster(n, kind, seed=1, spacing=2.6):
    """``n`` atoms of H, Li, C, O, F on a jittered grid: a molecule, slab or wire."""
    rng = np.random.default_rng(seed)
    if kind == "molecule":
        counts = (int(np.ceil(n ** (1 / 3))),) * 3
    elif kind == "slab":
        side = int(np.ceil((n / 6) ** 0.5))
        counts = (side, side, 6)
    else:
        side = int(np.ceil((n / 4) ** 0.5))
        counts = (4, 4, side * side // 4 + 1)
    grid = np.array(list(np.ndindex(*counts)))[:n] * spacing
    atoms = Atoms(numbers=rng.choice([1, 3, 6, 8, 9], len(grid)),
                  positions=grid + rng.uniform(-0.4, 0.4, grid.shape),
                  cell=np.diag(np.array(counts) * spacing))
    atoms.pbc = {"molecule": False, "slab": (True, True, False),
                 "wire": (False, False, True)}[kind]
    return atoms


def tensor_route(natoms, rounds):
    import torch
    from ase.units import Bohr, Hartree

    from ase_electrolyte.d3 import D3, backend

    where = "GPU" if backend.cuda_available() else "host build of the CUDA code"
    if where != "GPU":
        backend.set_cuda_host("host")
    kwargs = dict(cutoff=10.0, cn_cutoff=8.0)
    print(f"compute_tensor on the {where}; CPU kernel with 1 thread; cutoffs 10/8 Å")
    print(f"{'structure':>9} {'atoms':>6} {'cpu s':>8} {'tensor s':>9} {'tensor/cpu':>10} "
          f"{'old route s':>11} {'max rel diff':>12}")
    for kind in ("molecule", "slab", "wire"):
        atoms = _sparse_cluster(natoms, kind)
        cpu = D3(device="cpu", num_threads=1, **kwargs)
        gpu = D3(device="cuda", **kwargs)
        device = "cpu" if where != "GPU" else gpu.device
        pos = torch.tensor(atoms.positions, device=device)
        times = {"cpu": [], "tensor": [], "old": []}
        for _ in range(rounds):
            cpu.reset()
            t0 = time.perf_counter()
            ref = cpu.get_forces(atoms)
            times["cpu"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            out = gpu.compute_tensor(pos, atoms.numbers, atoms.cell, atoms.pbc)
            forces = out["forces"].cpu().numpy()
            times["tensor"].append(time.perf_counter() - t0)
            # the route compute_tensor took before: the translation list, all pairs
            geometry, tables, _ = gpu._frame(atoms, translations=True)
            wrapped = atoms.positions
            if atoms.pbc.any():
                lat = atoms.cell[atoms.pbc]
                wrapped = wrapped - np.floor(wrapped @ np.linalg.pinv(lat)) @ lat
            geometry["xyz"] = torch.tensor(wrapped / Bohr, device=device)
            t0 = time.perf_counter()
            old = backend.run_kernel_tensor(gpu.device, geometry, tables,
                                            gpu.method_parameters, gpu._cutoffs_bohr())
            old_energy = float(old["energies"].sum()) * Hartree
            times["old"].append(time.perf_counter() - t0)
        diff = max(abs(float(out["energy"]) - old_energy) / abs(old_energy),
                   np.abs(forces - ref).max() / np.abs(ref).max(),
                   abs(float(out["energy"]) - cpu.results["energy"]) / abs(old_energy))
        check_tensor(diff, kind)
        best = {key: min(value) for key, value in times.items()}
        print(f"{kind:>9} {len(atoms):6d} {best['cpu']:8.3f} {best['tensor']:9.3f} "
              f"{best['tensor'] / best['cpu']:10.2f} {best['old']:11.3f} {diff:12.1e}")


def _nrep(text):
    """'5,5,5' -> (5, 5, 5): molecules per box side."""
    try:
        nrep = tuple(int(v) for v in text.split(","))
    except ValueError:
        nrep = ()
    if len(nrep) != 3 or min(nrep) < 1:
        raise argparse.ArgumentTypeError(f"a box size is three whole numbers >= 1 such as "
                                         f"5,5,5, not {text!r}")
    return nrep


# the options each mode reads (the default mode: the liquid boxes against simple-dftd3)
_MODE_OPTIONS = {
    "gpu_model": set(),
    "tensor": {"rounds", "atoms"},
    "boxes": {"rounds", "sizes", "large", "atm", "atm_cutoff"},
}


def _refuse_unused(parser, args):
    """One line and exit status 2 for options the chosen mode does not read: ``--atoms``
    without ``--tensor`` timed the default boxes, ``--gpu-model --sizes 2,2,2`` modelled its
    own three boxes, ``--tensor --atm`` ran no ATM term, each without a word."""
    if args.child:
        return
    if args.gpu_model and args.tensor:
        parser.error("--gpu-model and --tensor are two modes; give one")
    mode = "gpu_model" if args.gpu_model else "tensor" if args.tensor else "boxes"
    given = {name for name in ("rounds", "atoms", "sizes", "atm_cutoff")
             if getattr(args, name) is not None}
    given |= {name for name in ("large", "atm") if getattr(args, name)}
    unused = sorted(given - _MODE_OPTIONS[mode])
    if unused:
        who = {"gpu_model": "--gpu-model does", "tensor": "--tensor does",
               "boxes": "the box timings (without --tensor or --gpu-model) do"}
        parser.error(f"{who[mode]} not use "
                     + ", ".join("--" + name.replace("_", "-") for name in unused)
                     + (" (they would change nothing)" if len(unused) > 1
                        else " (it would change nothing)"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also the ~9000-atom box")
    parser.add_argument("--gpu-model", action="store_true",
                        help="only the GPU pair-image visit model (no timing, no GPU needed)")
    parser.add_argument("--rounds", type=number("--rounds", minimum=1, integer=True),
                        default=None, help="alternating rounds of both codes on each box "
                        "(default 3), or of the --tensor timings")
    parser.add_argument("--sizes", nargs="+", type=_nrep, default=None, metavar="NX,NY,NZ",
                        help="molecules per box side (8 kinds, ~8.3 atoms each); default 5,5,5")
    parser.add_argument("--atm", action="store_true", help="add the three-body ATM term")
    parser.add_argument("--atm-cutoff", type=number("--atm-cutoff (Å)", above=0.1), default=None,
                        help="ATM cutoff in Å (implies --atm; default 12)")
    parser.add_argument("--tensor", action="store_true",
                        help="only compute_tensor on a molecule, slab and wire vs the CPU")
    parser.add_argument("--atoms", type=number("--atoms", minimum=2, integer=True),
                        default=None, help="atoms of each --tensor structure (default 5000)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    _refuse_unused(parser, args)
    rounds = 3 if args.rounds is None else args.rounds
    atm_cutoff = args.atm_cutoff if args.atm_cutoff is not None else (12.0 if args.atm else None)
    if args.child:
        code, nrep, repeats = args.child
        _run_one(code, _nrep(nrep), int(repeats), atm_cutoff)
        return
    if args.gpu_model:
        gpu_model()
        return
    if args.tensor:
        tensor_route(5000 if args.atoms is None else args.atoms, rounds)
        return
    # (box, rounds): each round runs our code (3 evaluations, best kept) and then simple-dftd3
    # (one evaluation), each in a fresh child, so that both codes see the same slow changes of
    # the machine's load; the speed-up is best reference time / best time of ours
    sizes = [(nrep, rounds) for nrep in (args.sizes or [(5, 5, 5)])]
    sizes += [((10, 10, 11), 1)] if args.large else []
    if atm_cutoff is not None:
        print(f"with the ATM term, atm_cutoff {atm_cutoff:g} Å")
    # both codes share the machine: the ratio is what compares, the load says how noisy it is
    print("load average (1, 5, 15 min) at start: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(
        f"{'atoms':>6} {'simple-dftd3 s':>15} {'ours s':>8} {'speed-up':>9} "
        f"{'ref MB':>7} {'ours MB':>8} {'|dE|/E':>9}  per-round speed-ups"
    )
    for nrep, rounds in sizes:
        runs = {"ours": [], "ref": []}
        for _ in range(rounds):
            runs["ours"].append(_measure("ours", nrep, 3, atm_cutoff))
            runs["ref"].append(_measure("ref", nrep, 1, atm_cutoff))
        o = min(runs["ours"], key=lambda x: x["time"])
        r = min(runs["ref"], key=lambda x: x["time"])
        per_round = " ".join(f"{a['time'] / b['time']:.1f}"
                             for a, b in zip(runs["ref"], runs["ours"], strict=True))
        # every round computed the same box: each of ours against each reference
        rel_err = max(check_same(a, b, f"box {','.join(map(str, nrep))}")
                      for a in runs["ours"] for b in runs["ref"])
        print(
            f"{o['natoms']:6d} {r['time']:15.3f} {o['time']:8.3f} {r['time'] / o['time']:8.1f}x "
            f"{r['peak_mb']:7.0f} {o['peak_mb']:8.0f} {rel_err:9.1e}  {per_round}"
        )
    print("load average (1, 5, 15 min) at end:   " + " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
