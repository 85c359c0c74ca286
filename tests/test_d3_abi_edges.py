"""The D3 C boundary called as a direct caller would: every input at its edge.

``backend.run_kernel`` (and the CUDA entry point through the host build, marked cuda_host
where it runs) handed arrays of the wrong shape, type or layout, species and damping ids out
of range, non-finite parameters, cutoffs and positions, degenerate cells and translation
lists, zero atoms and absurd thread counts: each is a ValueError with the library's (or the
wrapper's) message, never a crash, a hang or a silent NaN or zero; layouts numpy can convert
give the same numbers. Every case runs in a child process, so a crash fails one case with its
exit status instead of ending the test run.
"""

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from ase.build import bulk, molecule

from ase_electrolyte import native_build
from ase_electrolyte.d3 import D3, backend

# name -> (periodic system?, edit of (geometry, tables, params, cutoffs) as Python source,
#          expected message)
FAULTS = {
    "species out of range": (True, 'g["species"] = g["species"] + 5',
                             "atom 0 has species index 5, outside 0 .. nspecies-1 = 1"),
    "negative species": (False, 'g["species"] = g["species"] - 3',
                         "atom 0 has species index -2, outside"),
    "species as floats": (False, 'g["species"] = g["species"] + 0.5',
                          "species must be integers, not float64"),
    "positions of fewer atoms": (True, 'g["xyz"] = g["xyz"][:1]',
                                 r"xyz has shape \(1, 3\), the kernel reads \(2, 3\)"),
    "positions with 2 columns": (False, 'g["xyz"] = g["xyz"][:, :2]',
                                 r"xyz has shape \(3, 2\), the kernel reads \(3, 3\)"),
    "NaN position": (True, 'g["xyz"] = g["xyz"].copy(); g["xyz"][1, 2] = np.nan',
                     "atom 1 has a non-finite position"),
    "inf position (molecule)": (False, 'g["xyz"] = g["xyz"].copy(); g["xyz"][0, 0] = np.inf',
                                "atom 0 has a non-finite position"),
    "position 1e300 bohr away": (True, 'g["xyz"] = g["xyz"].copy(); g["xyz"][0, 0] = 1e300',
                                 "more than 2\\^29 cell heights"),
    "unknown damping id": (False, 'p["damping_id"] = 9', r"unknown damping id 9 \(0 .. 4\)"),
    "negative damping id": (True, 'p["damping_id"] = -1', "unknown damping id -1"),
    "unknown cell mode": (True, 'g["cell_mode"] = 7', "cell_mode must be 0"),
    "zero cell": (True, 'g["lat"] = np.zeros((3, 3))', "the cell needs ax, by, cz > 0"),
    "NaN cell": (True, 'g["lat"] = np.full((3, 3), np.nan)', "non-finite cell"),
    "left-handed cell": (True, 'g["lat"] = -np.asarray(g["lat"])', "the cell needs ax, by"),
    "upper-triangular cell": (True, 'g["lat"] = np.asarray(g["lat"]).T',
                              "the cell must be lower triangular"),
    "cell of 1e-12 bohr": (True, 'g["lat"] = np.asarray(g["lat"]) * 1e-12',
                           "periodic images of a cell of volume"),
    "NaN cutoff": (True, 'c["cutoff"] = np.nan', "cutoff must be a number > 0 bohr, not nan"),
    "NaN cutoff (molecule)": (False, 'c["cutoff"] = np.nan', "cutoff must be a number > 0"),
    # +inf is no cutoff (a molecule's 1e308 Å), infinitely many images of a cell
    "infinite cutoff in a cell": (True, 'c["cutoff"] = np.inf', "spans ~inf periodic images"),
    "infinite ATM cutoff in a cell": (True, 'p["s9"] = 1.0; c["atm_cutoff"] = np.inf',
                                      "spans ~inf periodic images"),
    "negative cutoff": (True, 'c["cutoff"] = -1.0', "cutoff must be a number > 0 bohr"),
    "zero CN cutoff": (True, 'c["cn_cutoff"] = 0.0', "cn_cutoff must be a number > 0"),
    "NaN ATM cutoff": (True, 'p["s9"] = 1.0; c["atm_cutoff"] = np.nan',
                       "atm_cutoff must be a number > 0 bohr, not nan"),
    "NaN smooth width": (False, 'c["width"] = np.nan', "smooth-cutoff width must be a finite"),
    "width beyond the cutoff": (True, 'c["width"] = 2 * c["cutoff"]',
                                "must be smaller than the cutoff"),
    "negative width": (True, 'c["width"] = -5.0', "must be a finite number >= 0"),
    "NaN s6": (True, 'p["s6"] = np.nan', "damping parameter s6 is not finite"),
    "infinite a2": (False, 'p["a2"] = np.inf', "damping parameter a2 is not finite"),
    "8 reference systems": (True, 't["nref"] = t["nref"] + 7', "reference systems \\(1 .. 7\\)"),
    "no reference systems": (True, 't["nref"] = t["nref"] * 0', "has 0 reference systems"),
    "NaN C6 table": (True, 't["c6ref"] = t["c6ref"] * np.nan',
                     "non-finite value in the species tables"),
    "short C6 table": (True, 't["c6ref"] = t["c6ref"].ravel()[:10]',
                       r"c6ref has shape \(10,\), the kernel reads \(2, 2, 7, 7\)"),
    "short r0ab": (False, 't["r0ab"] = t["r0ab"].ravel()[:1]', "r0ab has shape"),
    "nref of another species count": (True, 't["nref"] = t["nref"][:1]', "cnref has shape"),
    "empty translation list": (False, 'g["trans"] = np.zeros((0, 3))',
                               "an empty translation list"),
    "no zero translation": (False, 'g["trans"] = np.array([[1.0, 0.0, 0.0]])',
                            "lacks the zero translation"),
    "NaN translation": (False, 'g["trans"] = np.full((2, 3), np.nan)',
                        "non-finite lattice translation"),
    "translations as a flat list": (False, 'g["trans"] = np.zeros(3)', "trans has shape"),
}

CHILD = textwrap.dedent('''
    import json, sys, warnings
    import numpy as np
    from ase.build import bulk, molecule
    from ase.units import Bohr
    from ase_electrolyte.d3 import D3, backend
    warnings.simplefilter("ignore")
    device, faults = sys.argv[1], json.loads(sys.argv[2])
    if device == "cuda":
        backend.set_cuda_host("host")
    for name, (periodic, edit) in faults.items():
        print("CASE", name, flush=True)  # a crash names the case that caused it
        atoms = bulk("NaCl", "rocksalt", a=5.6) if periodic else molecule("H2O")
        calc = D3(device=device)
        if periodic:
            g, t, _ = calc._prepare(atoms)
        else:  # the all-pairs kernel input (compute_tensor's; calculate pads a 3D cell)
            g, t, _ = calc._frame(atoms, translations=True)
            g["xyz"] = atoms.positions / Bohr
        p, c = dict(calc.method_parameters), calc._cutoffs_bohr()
        exec(edit)
        try:
            out = backend.run_kernel(calc.device, g, t, p, c, 1)
        except ValueError as err:
            print("ValueError:", err, flush=True)
        else:
            finite = all(np.isfinite(v).all() for v in out.values())
            print("RESULT", finite, out["energies"].sum(), flush=True)
''')


@pytest.fixture(scope="module")
def builds():
    """Both libraries built once in this process, so the children only load them."""
    try:
        backend.cpu_library()
        backend.cuda_host_library()
    except native_build.NativeBuildError as err:
        pytest.fail(f"the D3 ABI tests need the host builds of the D3 kernels: {err}",
                    pytrace=False)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda_host)])
def test_every_fault_is_refused_with_its_message(device, builds):
    """All faults in one child process per library: a crash (segfault, abort) fails the test
    naming the case it happened in; a result instead of the refusal fails it too."""
    faults = {name: (periodic, edit) for name, (periodic, edit, _) in FAULTS.items()}
    proc = subprocess.run([sys.executable, "-c", CHILD, device, json.dumps(faults)],
                          capture_output=True, text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0:
        last = [line for line in lines if line.startswith("CASE")][-1:]
        pytest.fail(f"exit status {proc.returncode} in {last}: {proc.stderr[-1500:]}")
    answers = dict(zip([line[5:] for line in lines[0::2]], lines[1::2], strict=True))
    failures = [f"{name}: {answers.get(name)}" for name, (_, _, message) in FAULTS.items()
                if not (answers.get(name, "").startswith("ValueError:")
                        and re.search(message, answers[name]))]
    assert not failures, "\n".join(failures)


def _kernel_input(atoms, **kwargs):
    calc = D3(device="cpu", **kwargs)
    g, t, _ = calc._prepare(atoms)
    return calc, g, t


@pytest.mark.parametrize("layout", ["float32", "fortran", "strided", "list"])
def test_layouts_numpy_can_convert_give_the_same_numbers(layout):
    atoms = bulk("NaCl", "rocksalt", a=5.6)
    atoms.rattle(0.05, seed=3)
    calc, g, t = _kernel_input(atoms)
    args = (t, calc.method_parameters, calc._cutoffs_bohr(), 1)
    ref = backend.run_kernel("cpu", g, *args)
    xyz = g["xyz"]
    other = {"float32": xyz.astype(np.float32).astype(np.float64),
             "fortran": np.asfortranarray(xyz),
             "strided": np.repeat(xyz, 2, axis=0)[::2],
             "list": xyz.tolist()}[layout]
    g2 = dict(g, xyz=other if layout != "list" else np.asarray(other))
    out = backend.run_kernel("cpu", g2, *args)
    if layout == "float32":  # the positions themselves changed: only close
        assert out["energies"].sum() == pytest.approx(ref["energies"].sum(), rel=1e-5)
    else:
        assert out["energies"].sum() == ref["energies"].sum()
        np.testing.assert_array_equal(out["gradient"], ref["gradient"])


def test_an_infinite_cutoff_of_a_molecule_takes_every_pair():
    """A molecule given cutoffs of 1e308 Å reaches the kernel as inf bohr: no cutoff."""
    calc, g, t = _kernel_input(molecule("CH3CH2OH"))
    args = (g, t, calc.method_parameters)
    ref = backend.run_kernel("cpu", *args, calc._cutoffs_bohr(), 1)
    cutoffs = dict(calc._cutoffs_bohr(), cutoff=np.inf, cn_cutoff=np.inf, atm_cutoff=np.inf)
    out = backend.run_kernel("cpu", *args, cutoffs, 1)
    assert out["energies"].sum() == pytest.approx(ref["energies"].sum(), rel=1e-12)
    np.testing.assert_allclose(out["gradient"], ref["gradient"], rtol=0, atol=1e-14)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda_host)])
@pytest.mark.parametrize("periodic", [True, False], ids=["crystal", "molecule"])
def test_zero_atoms_give_zero_results(device, periodic, builds):
    """The CUDA driver launched zero-block grids and read bins it never built (segfault)."""
    calc, g, t = _kernel_input(bulk("NaCl", "rocksalt", a=5.6) if periodic
                               else molecule("H2O"))
    g = dict(g, species=g["species"][:0], xyz=g["xyz"][:0])
    if device == "cuda":
        backend.set_cuda_host("host")
    try:
        out = backend.run_kernel(device if device == "cpu" else "cuda:0", g, t,
                                 calc.method_parameters, calc._cutoffs_bohr(), 1)
    finally:
        backend.set_cuda_host(None)
    assert out["energies"].shape == (0,) and out["gradient"].shape == (0, 3)
    np.testing.assert_array_equal(out["sigma"], np.zeros((3, 3)))


def test_thread_counts_beyond_the_hardware_and_memory_are_refused_before_allocating():
    """10^5 threads (6912 used: one per atom) on 6912 atoms would hold 1.9 GB of per-thread
    buffers; on 10^5 atoms 400 GB (an OOM kill, not an exception)."""
    atoms = bulk("Ar", "fcc", a=5.3, cubic=True).repeat((12, 12, 12))
    calc, g, t = _kernel_input(atoms, cutoff=8.0, cn_cutoff=6.0)
    with pytest.raises(ValueError, match="threads would hold .* GB of per-thread buffers for "
                                         "6912 atoms"):
        backend.run_kernel("cpu", g, t, calc.method_parameters, calc._cutoffs_bohr(), 100_000)


def test_thread_counts_give_the_same_results_to_rounding():
    """1 to 17 threads (more than the cores: the summation order changes with the split):
    energy within 1e-14 relative, gradient within 1e-15 hartree/bohr, virial within 1e-14
    hartree (measured: 2e-16, 3e-17, 3e-16), with and without the three-body term."""
    from d3_structures import electrolyte_like_box

    box = electrolyte_like_box(3, 4.4, seed=5)
    for atm in (False, True):
        # an ATM cutoff only where the three-body term is on (refused without it: no effect)
        calc, g, t = _kernel_input(box, cutoff=14.0, cn_cutoff=8.0, atm=atm,
                                   **({"atm_cutoff": 5.0} if atm else {}))
        args = (t, calc.method_parameters, calc._cutoffs_bohr())
        ref = backend.run_kernel("cpu", g, *args, 1)
        for threads in (2, 3, 17):
            out = backend.run_kernel("cpu", g, *args, threads)
            assert out["energies"].sum() == pytest.approx(ref["energies"].sum(), rel=1e-14)
            assert np.abs(out["gradient"] - ref["gradient"]).max() < 1e-15
            assert np.abs(out["sigma"] - ref["sigma"]).max() < 1e-14


def test_tensor_entry_point_refuses_positions_it_cannot_read(builds):
    """run_kernel_tensor hands the tensor's memory to the kernel: a shorter, strided, float32
    or misplaced tensor would be read past its end or misread."""
    torch = pytest.importorskip("torch")
    backend.set_cuda_host("host")
    try:
        atoms = bulk("NaCl", "rocksalt", a=5.6)
        calc = D3(device="cuda")
        g, t, _ = calc._prepare(atoms)
        args = (t, calc.method_parameters, calc._cutoffs_bohr())
        xyz = torch.tensor(g["xyz"])
        good = backend.run_kernel_tensor("cuda:0", dict(g, xyz=xyz), *args)
        ref = backend.run_kernel("cuda:0", g, *args, 1)
        assert float(good["energies"].sum()) == pytest.approx(ref["energies"].sum(), rel=1e-12)
        for bad, match in ((xyz[:1], r"contiguous \(2, 3\) tensor on cpu, not \(1, 3\)"),
                           (xyz.repeat(2, 1)[:, ::2], "not non-contiguous"),
                           (xyz.float(), "float64 torch tensor, not torch.float32"),
                           (g["xyz"], "float64 torch tensor, not float64")):
            with pytest.raises(ValueError, match=match):
                backend.run_kernel_tensor("cuda:0", dict(g, xyz=bad), *args)
    finally:
        backend.set_cuda_host(None)


def test_counts_beyond_the_kernels_int_indices_are_refused_before_reading():
    """A D3System claiming 2^30 atoms or 2^30 translations (the arrays are not there: the
    refusal must come before any of them is read)."""
    import ctypes

    calc, g, t = _kernel_input(molecule("H2O"))
    s, keep = backend._system(g, t, calc.method_parameters, calc._cutoffs_bohr())
    energy, grad, sigma, cn = np.zeros(3), np.zeros(9), np.zeros(9), np.zeros(3)
    out = [a.ctypes.data_as(ctypes.POINTER(ctypes.c_double)) for a in (energy, grad, sigma, cn)]
    for field in ("natoms", "ntrans"):
        setattr(s, field, 2**30)
        with pytest.raises(ValueError, match="beyond what the kernels index in int"):
            backend.call(backend.cpu_library(), "d3_cpu_compute", ctypes.byref(s), 1, *out)
        setattr(s, field, len(keep["species"]) if field == "natoms" else 1)
    backend.call(backend.cpu_library(), "d3_cpu_compute", ctypes.byref(s), 1, *out)
    ref = backend.run_kernel("cpu", g, t, calc.method_parameters, calc._cutoffs_bohr(), 1)
    np.testing.assert_array_equal(energy, ref["energies"])  # the same system, unharmed
    assert energy.sum() < 0


def test_null_outputs_and_names_are_refused_not_dereferenced():
    """The ABI queries called with NULL pointers (another binding's mistake)."""
    lib = backend.cpu_library()
    for name, args in (("d3_abi_version", (None,)), ("d3_abi_struct_size", (None,)),
                       ("d3_abi_field_offset", (None, None)),
                       ("d3_abi_damping_id", (b"zero", None))):
        with pytest.raises(ValueError, match="NULL"):
            backend.call(lib, name, *args)
    with pytest.raises(ValueError, match="NULL system or output pointer"):
        backend.call(lib, "d3_cpu_compute", None, 1, None, None, None, None)
