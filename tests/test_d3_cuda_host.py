"""The CUDA code path of D3 run on the host (no GPU needed) against the CPU kernel.

``d3_cuda.cu`` is built with g++ and the CUDA built-ins emulated (csrc/d3_cuda_compat.h); the
calculator then goes through ``device="cuda"`` dispatch, the persistent device buffers, the
per-block bodies and their tree reductions exactly as on a GPU, with the grid run in forward,
reverse and shuffled block/thread order. Cutoffs are chosen off the lattice so that no image
sits on a cutoff (where a GPU's rounding could legitimately differ from the CPU's).
"""

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule

from ase_electrolyte import native_build
from ase_electrolyte.d3 import D3, backend

pytestmark = pytest.mark.cuda_host

ORDERS = ["forward", "reverse", "shuffled"]
DAMPINGS = ["bj", "zero", "bjm", "zerom", "op", "cso"]


def small_triclinic():
    atoms = Atoms(
        "COH2Li",
        positions=[[0, 0, 0], [1.2, 0.1, 0], [-0.5, 0.9, 0.1], [-0.5, -0.9, 0.2], [1.5, 1.9, 1.4]],
        cell=[[3.1, 0, 0], [1.2, 3.4, 0], [0.7, -0.9, 3.3]],
        pbc=True,
    )
    atoms.rotate(30, (1, 2, 3), rotate_cell=True)
    return atoms


def slab():
    atoms = bulk("LiF", "rocksalt", a=4.03 * 1.02, cubic=True)
    atoms.rattle(0.05, seed=4)
    atoms.cell[2] = [0.0, 0.0, 30.0]
    atoms.pbc = (True, True, False)
    return atoms


def wire():
    atoms = molecule("CH3OH")
    atoms.cell = [[10.0, 0, 0], [0, 10.0, 0], [0.3, 0.2, 3.9]]
    atoms.pbc = (False, False, True)
    return atoms


def tiny_cell():
    return Atoms("Li", positions=[[0.1, 0.2, 0.3]], cell=[[2.9, 0, 0], [0.4, 3.0, 0],
                                                          [0.2, 0.3, 2.8]], pbc=True)


def high_cn():
    atoms = bulk("NaF", "rocksalt", a=4.63 * 1.06)
    atoms.rattle(0.05, seed=7)
    return atoms


def molecule_with_ions():
    atoms = molecule("CH3CH2OH")
    atoms += Atoms("LiF", positions=[[3.0, 0.5, 0.2], [4.5, 0.9, 0.1]])
    return atoms


KW = dict(cutoff=13.3, cn_cutoff=8.3)
CASES = {
    "triclinic": (small_triclinic, KW),
    "slab": (slab, KW),
    "wire": (wire, KW),
    "molecule": (molecule_with_ions, KW),
    "tiny-cell": (tiny_cell, KW),
    "high-cn": (high_cn, KW),
    "atm": (small_triclinic, dict(atm=True, atm_cutoff=7.1, **KW)),
    "atm-molecule": (molecule_with_ions, dict(atm=True, **KW)),
    "atm-slab": (slab, dict(atm=True, atm_cutoff=7.1, **KW)),
    "smooth": (small_triclinic, dict(smooth_cutoff=3.1, **KW)),
    # the homogeneous tail's dE/dCN (TailSumsBlock, TailThread) in the chain rule
    "tail": (small_triclinic, dict(tail_correction=True, **KW)),
    "tail-atm-smooth": (small_triclinic, dict(tail_correction=True, atm=True, atm_cutoff=7.1,
                                              smooth_cutoff=3.1, **KW)),
}


@pytest.fixture(scope="module", autouse=True)
def host_builds():
    """The CUDA kernels build for the host and run in every CI: without a compiler (and no
    valid cached build, the package's own fallback) every test here fails with one line that
    names what is missing, not a traceback from the build."""
    missing = None
    try:
        backend.cpu_library()
        backend.cuda_host_library()
    except native_build.NativeBuildError as err:
        missing = str(err)
    if missing:  # outside the except clause: one message, no chained build traceback
        pytest.fail(f"the cuda_host tests need the host builds of the D3 kernels: {missing}",
                    pytrace=False)


@pytest.fixture(params=ORDERS)
def cuda_host(request):
    backend.set_cuda_host("host", request.param, seed=11)
    yield request.param
    backend.set_cuda_host(None)


def run(atoms, device, **kwargs):
    atoms = atoms.copy()
    atoms.calc = D3(device=device, **kwargs)
    out = {"energies": atoms.get_potential_energies(), "forces": atoms.get_forces()}
    out["energy"] = atoms.get_potential_energy()
    if atoms.pbc.any() and atoms.cell.rank == 3:
        out["stress"] = atoms.get_stress()
    return out


def assert_same(gpu, cpu):
    assert gpu["energy"] == pytest.approx(cpu["energy"], rel=1e-10, abs=1e-14)
    for key in ("energies", "forces", "stress"):
        if key in cpu:
            scale = max(1.0, np.abs(cpu[key]).max())
            assert np.abs(gpu[key] - cpu[key]).max() < 1e-10 * scale, key


@pytest.mark.parametrize("damping", DAMPINGS)
def test_every_damping_equals_cpu(cuda_host, damping):
    atoms = small_triclinic()
    cpu = run(atoms, "cpu", damping=damping, **KW)
    gpu = run(atoms, "cuda", damping=damping, **KW)
    assert_same(gpu, cpu)


@pytest.mark.parametrize("case", [c for c in CASES if c != "triclinic"])
def test_structures_equal_cpu(cuda_host, case):
    make, kwargs = CASES[case]
    atoms = make()
    damping = "zero" if case in ("high-cn", "wire") else "bj"
    cpu = run(atoms, "cpu", damping=damping, **kwargs)
    gpu = run(atoms, "cuda:0", damping=damping, **kwargs)
    assert_same(gpu, cpu)


def test_buffers_persist_and_regrow(cuda_host):
    # a smaller system after a larger one reuses the arena; a larger one after it regrows it;
    # a new species set replaces the cached tables
    for make in (high_cn, tiny_cell, slab, molecule_with_ions, tiny_cell):
        atoms = make()
        assert_same(run(atoms, "cuda", **KW), run(atoms, "cpu", **KW))


def test_device_index_checked():
    backend.set_cuda_host("host")
    try:
        assert backend.select_device("cuda:0") == "cuda:0"
        assert backend.select_device("auto") == "cuda:0"
        with pytest.raises(ValueError, match=r"cuda:1.*only 1 CUDA device"):
            D3(device="cuda:1")
    finally:
        backend.set_cuda_host(None)


def test_errors_come_back_as_messages_not_aborts():
    import ctypes

    s = backend.D3System()
    s.natoms = -1
    out = (ctypes.c_double * 16)()
    p = ctypes.cast(out, ctypes.POINTER(ctypes.c_double))
    lib = backend.cuda_host_library()
    with pytest.raises(ValueError, match="negative atom, species or image count"):
        backend.call(lib, "d3_cuda_compute", ctypes.byref(s), 0, None, p, p, p, p)
    s.natoms = 1
    with pytest.raises(ValueError, match="device index out of range"):
        backend.call(lib, "d3_cuda_compute", ctypes.byref(s), 77, None, p, p, p, p)
    with pytest.raises(backend.D3KernelError, match="device 7"):  # the CUDA runtime's error
        backend.call(lib, "d3_cuda_compute", ctypes.byref(s), 7, None, p, p, p, p)
    s.natoms = -1
    s.cell_mode = 0
    with pytest.raises(ValueError, match="negative atom"):
        backend.call(backend.cpu_library(), "d3_cpu_compute", ctypes.byref(s), 1, p, p, p, p)
    # the raw status and message, without the Python wrapper
    err = ctypes.create_string_buffer(backend.ERRLEN)
    assert lib.d3_cuda_compute(ctypes.byref(s), 0, None, p, p, p, p, err,
                               backend.ERRLEN) == backend.D3_INVALID
    assert b"negative atom" in err.value


@pytest.mark.parametrize("kind,error,message", [
    (1, backend.D3KernelMemoryError, "out of host memory"),
    (2, backend.D3KernelError, "runtime_error|test fault injected"),
    (3, backend.D3KernelError, "non-standard"),
])
def test_exception_in_cuda_driver_becomes_python_exception(kind, error, message):
    from test_d3_backend import assert_raised_from

    # thrown on the host side of the CUDA path, with the device buffers in use; the next
    # call on the same (persistent) buffers is still right
    atoms = CASES["triclinic"][0]()
    backend.set_cuda_host("host")
    try:
        expected = run(atoms, "cuda", damping="bj")
        backend.call(backend.cuda_host_library(), "d3_debug_throw_next", kind)
        with pytest.raises(Exception) as raised:  # the calculator may wrap it (ASE's errors)
            run(atoms, "cuda", damping="bj")
        assert_raised_from(raised.value, error, message)
        assert_same(run(atoms, "cuda", damping="bj"), expected)
    finally:
        backend.set_cuda_host(None)


def test_auto_falls_back_to_cpu_with_one_warning(monkeypatch, tmp_path):
    # a GPU is present but the CUDA kernel cannot be built (no nvcc, nothing cached)
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path))
    monkeypatch.setattr(backend, "cuda_host_mode", lambda: None)
    monkeypatch.setattr(backend, "cuda_device_count", lambda: 1)
    monkeypatch.setattr(backend, "_gpu_arch", lambda index: "sm_80")
    monkeypatch.setattr(backend, "find_nvcc", lambda: None)
    monkeypatch.setattr(backend, "_auto_warned", False)
    backend.cuda_library.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="CPU kernel"):
            assert backend.select_device("auto") == "cpu"
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert D3(device="auto").device == "cpu"  # no second warning
        with pytest.raises(RuntimeError, match="no compiler"):
            backend.select_device("cuda")
    finally:
        backend.cuda_library.cache_clear()


def test_sanitizers_find_nothing(tmp_path):
    # the whole CUDA path once more under AddressSanitizer + UBSan, in a child process with
    # the ASan runtime preloaded (the kernel library cannot be loaded into this one)
    cxx = backend.find_cxx(required=False)
    if cxx is None:
        pytest.fail("the sanitizer test needs a C++ compiler (tried $CXX, g++, c++, clang++)",
                    pytrace=False)
    libasan = subprocess.run([cxx, "-print-file-name=libasan.so"], capture_output=True,
                             text=True).stdout.strip()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        pytest.skip("the compiler has no AddressSanitizer runtime")
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        sys.path.insert(0, %r)
        import test_d3_cuda_host as t
        from ase_electrolyte.d3 import backend
        backend.set_cuda_host("asan", "shuffled", seed=5)
        for name in ("triclinic", "slab", "atm-molecule", "tiny-cell", "smooth", "tail"):
            make, kw = t.CASES[name]
            atoms = make()
            t.assert_same(t.run(atoms, "cuda", damping="bj", **kw),
                          t.run(atoms, "cpu", damping="bj", **kw))
        print("SANITIZED-OK")
        """
        % os.path.dirname(__file__)
    )
    env = dict(os.environ, LD_PRELOAD=libasan, ASAN_OPTIONS="detect_leaks=0",
               UBSAN_OPTIONS="print_stacktrace=1", ASE_ELECTROLYTE_D3_CUDA_HOST="asan")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "SANITIZED-OK" in proc.stdout
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr


@pytest.mark.skipif(backend.find_nvcc() is None, reason="nvcc not installed")
def test_nvcc_compiles_without_register_spills(tmp_path):
    nvcc = backend.find_nvcc()
    listed = subprocess.run([nvcc, "--list-gpu-arch"], capture_output=True, text=True).stdout
    archs = [a for a in ("70", "80", "90") if f"compute_{a}" in listed]
    assert archs, listed
    gencode = [f"-gencode=arch=compute_{a},code=sm_{a}" for a in archs]
    cmd = [nvcc, "-std=c++17", "-O3", "-c", *gencode, "-Xptxas", "-v",
           "-I", str(backend.CSRC), "-I", str(native_build.SHARED_CSRC),
           "-o", str(tmp_path / "d3_cuda.o"), str(backend.CSRC / "d3_cuda.cu")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    log = proc.stdout + proc.stderr
    spills = [int(v) for v in re.findall(r"(\d+) bytes spill stores", log)]
    compiled = re.findall(r"Compiling entry function '(\w+)' for '(sm_\d+)'", log)
    assert {arch for _, arch in compiled} == {f"sm_{a}" for a in archs}
    assert len(spills) >= len(compiled) > 0
    assert max(spills) == 0, log


def test_binned_passes_visit_few_more_images_than_within_cutoff():
    # the GPU passes of a 3D cell visit O(N rho rc^3) pair images, counted by the emulation,
    # equal to the host-side model the benchmark uses, and within 2x of the ideal
    from ase.units import Bohr
    from d3_structures import electrolyte_like_box

    box = electrolyte_like_box(4, 4.4)
    kwargs = dict(cutoff=13.3, cn_cutoff=8.3)
    backend.set_cuda_host("host")
    try:
        calc = D3(device="cuda", **kwargs)
        backend.cuda_host_visits()
        calc.get_potential_energy(box)
        counted = backend.cuda_host_visits()
    finally:
        backend.set_cuda_host(None)
    geometry, tables, _ = calc._prepare(box)
    cutoffs = {"cutoff": 13.3 / Bohr, "cn_cutoff": 8.3 / Bohr, "atm_cutoff": 1.0, "width": 0.0}
    model = backend.gpu_visit_model(geometry, tables, calc.method_parameters, cutoffs)
    assert counted == 2 * model["cn"] + model["dispersion"]  # CN, dispersion, CN chain
    n, volume = len(box), box.get_volume()
    for key, rc in (("cn", 8.3), ("dispersion", 13.3)):
        ideal = n * n / volume * 4.0 / 3.0 * np.pi * rc**3
        assert ideal < model[key] <= 2.0 * ideal, key


# ---------------------------------------------------------------------------------------------
# D3.compute_tensor: positions as a tensor on the kernel's device (a CPU tensor on the host
# emulation), the atoms binned on the device.


def liquid_box():
    from d3_structures import electrolyte_like_box

    return electrolyte_like_box(3, 4.4, seed=2)


TENSOR_CASES = {
    "liquid": (liquid_box, KW),
    "high-cn": (high_cn, KW),
    "slab": (slab, KW),
    "molecule": (molecule_with_ions, KW),
    "atm-triclinic": (small_triclinic, dict(atm=True, atm_cutoff=7.1, **KW)),
}


def run_tensor(calc, atoms, positions=None):
    import torch

    pos = torch.tensor(atoms.positions if positions is None else positions)
    out = calc.compute_tensor(pos, atoms.numbers, atoms.cell, atoms.pbc)
    for value in out.values():
        assert isinstance(value, torch.Tensor) and value.dtype == torch.float64
        assert value.device == pos.device
    got = {key: value.numpy() for key, value in out.items()}
    got["energy"] = float(got["energy"])
    return got


@pytest.mark.parametrize("case", list(TENSOR_CASES))
def test_tensor_api_equals_cpu(cuda_host, case):
    make, kwargs = TENSOR_CASES[case]
    atoms = make()
    cpu = run(atoms, "cpu", **kwargs)
    got = run_tensor(D3(device="cuda", **kwargs), atoms)
    assert_same(got, cpu)
    assert ("stress" in got) == ("stress" in cpu)


@pytest.mark.parametrize("case", ["liquid", "slab"])
def test_tensor_api_wraps_atoms_outside_the_cell(cuda_host, case):
    # whole lattice vectors along the periodic directions do not change anything; in the
    # 3D box the atoms are wrapped and binned on the device
    make, kwargs = TENSOR_CASES[case]
    atoms = make()
    rng = np.random.default_rng(5)
    shifts = rng.integers(-3, 4, size=(len(atoms), 3)) * atoms.pbc
    moved = atoms.positions + shifts @ atoms.cell[:]
    assert np.abs(moved - atoms.positions).max() > 10.0
    got = run_tensor(D3(device="cuda", **kwargs), atoms, moved)
    assert_same(got, run(atoms, "cpu", **kwargs))


def test_tensor_api_follows_moving_atoms(cuda_host):
    # one calculator, positions changing between calls: bins are rebuilt every call (atoms
    # move by up to a few bins), so each call equals the CPU kernel on its own positions;
    # then another system on the same calculator and device buffers
    atoms = liquid_box()
    calc = D3(device="cuda", **KW)
    rng = np.random.default_rng(1)
    for _ in range(3):
        atoms.positions += rng.normal(scale=0.8, size=atoms.positions.shape)
        assert_same(run_tensor(calc, atoms), run(atoms, "cpu", **KW))
    atoms.set_cell(atoms.cell[:] * 1.03, scale_atoms=True)  # the cell changes (NPT)
    assert_same(run_tensor(calc, atoms), run(atoms, "cpu", **KW))
    other = high_cn()
    assert_same(run_tensor(calc, other), run(other, "cpu", **KW))


def test_tensor_api_takes_the_system_of_the_last_calculation(cuda_host):
    import torch

    atoms = high_cn()
    calc = D3(device="cuda", **KW)
    atoms.calc = calc
    expected = atoms.get_forces()
    out = calc.compute_tensor(torch.tensor(atoms.positions))
    assert np.abs(out["forces"].numpy() - expected).max() < 1e-10 * np.abs(expected).max()
    assert float(out["energy"]) == pytest.approx(atoms.get_potential_energy(), rel=1e-10)


def test_tensor_api_takes_every_spelling_of_the_same_system(cuda_host):
    import torch

    atoms = high_cn()
    calc = D3(device="cuda", **KW)
    pos = torch.tensor(atoms.positions)
    expected = run_tensor(calc, atoms)["energy"]
    for numbers in (atoms.numbers.astype(float), torch.tensor(atoms.numbers),
                    list(atoms.numbers), atoms.numbers.astype(np.uint8)):
        for pbc in (True, np.True_, [True] * 3, np.ones(3, dtype=bool),
                    torch.ones(3, dtype=torch.bool)):
            out = calc.compute_tensor(pos, numbers, atoms.cell, pbc)
            assert float(out["energy"]) == pytest.approx(expected, rel=1e-12)


def test_tensor_api_refuses_bad_input_before_the_kernel(monkeypatch):
    import torch

    from ase_electrolyte.calculator_errors import InputError

    backend.set_cuda_host("host")
    try:
        atoms = high_cn()
        calc = D3(device="cuda", **KW)
        pos = torch.tensor(atoms.positions)

        def never(*args, **kwargs):
            raise AssertionError("the kernel ran")

        monkeypatch.setattr(backend, "run_kernel_tensor", never)
        system = (atoms.numbers, atoms.cell, atoms.pbc)
        bad = [
            (TypeError, "torch.Tensor", atoms.positions),
            (TypeError, "float64", pos.float()),
            (InputError, "shape \\(N, 3\\)", pos[:, :2]),
            (InputError, "shape \\(N, 3\\)", pos.reshape(-1)),
            (InputError, f"{len(atoms) - 1} atoms but numbers {len(atoms)}", pos[1:]),
            (InputError, "on meta", torch.zeros((len(atoms), 3), dtype=torch.float64,
                                                device="meta")),
            (InputError, "require grad", pos.clone().requires_grad_()),
        ]
        nan = pos.clone()
        nan[1, 2] = float("nan")
        bad.append((InputError, r"non-finite positions, atom indices \[1\]", nan))
        inf = pos.clone()
        inf[0, 0] = float("inf")
        bad.append((InputError, r"non-finite positions, atom indices \[0\]", inf))
        # was: 1e17 Å (a blown-up run) wrapped into the cell lost every digit and gave a
        # finite, wrong energy; calculate refuses such positions through check_atoms
        for far in (1e9, 1e17, -1e300):
            moved = pos.clone()
            moved[1, 1] += far
            bad.append((InputError, r"positions beyond 1e\+08 Å .*atom indices \[1\]", moved))
        both = nan.clone()
        both[0, 0] = 1e12  # the non-finite atom is named first
        bad.append((InputError, r"non-finite positions, atom indices \[1\]", both))
        for error, message, value in bad:
            with pytest.raises(error, match=message):
                calc.compute_tensor(value, *system)
        with pytest.raises(InputError, match="needs numbers"):
            calc.compute_tensor(pos)  # no system and no earlier calculation
        # was: 11.5 truncated to Na, True taken as H, pbc="False" as periodic, [True, True]
        # a numpy broadcasting error
        for numbers, message in ((np.array([11.5, 9.0]), r"integer atomic numbers, not "
                                  r"float64 values such as \[11.5, 9.0\]"),
                                 (np.array([True, True]), "not bool values"),
                                 (np.array(["Na", "F"]), "not <U2 values"),
                                 (atoms.numbers.reshape(2, 1), r"1D\), not shape \(2, 1\)")):
            with pytest.raises(InputError, match=f"numbers must be .*{message}"):
                calc.compute_tensor(pos, numbers, atoms.cell, atoms.pbc)
        for pbc in ("False", "yes", [True, True], [1, 1, 1], np.ones(3)):
            with pytest.raises(InputError, match=r"pbc must be True, False or three of them"):
                calc.compute_tensor(pos, atoms.numbers, atoms.cell, pbc)
        with pytest.raises(InputError, match="tabulated for H to"):
            calc.compute_tensor(pos, np.full(len(atoms), 95), atoms.cell, atoms.pbc)
        with pytest.raises(InputError, match="zero volume"):
            calc.compute_tensor(pos, atoms.numbers, [[3, 0, 0], [0, 3, 0], [3, 3, 0]], True)
        with pytest.raises(InputError, match="cell has non-finite"):
            calc.compute_tensor(pos, atoms.numbers, np.diag([3.0, np.nan, 3.0]), True)
        with pytest.raises(InputError, match="needs numbers"):
            calc.compute_tensor(pos)  # refused systems are not remembered
        with pytest.raises(InputError, match="device='cpu'"):
            D3(device="cpu").compute_tensor(pos, *system)
    finally:
        backend.set_cuda_host(None)


def test_tensor_api_non_finite_result_refused(cuda_host, monkeypatch):
    # a result that is not finite comes back as an error naming the atoms, never as NaN
    from ase_electrolyte.calculator_errors import NonFiniteResult

    atoms = molecule_with_ions()
    calc = D3(device="cuda", **KW)
    real = backend.run_kernel_tensor

    def poisoned(*args):
        out = real(*args)
        out["gradient"][2, 1] = float("nan")
        return out

    monkeypatch.setattr(backend, "run_kernel_tensor", poisoned)
    name = f"{atoms.get_chemical_symbols()[2]}2"
    with pytest.raises(NonFiniteResult, match=rf"1 atom\(s\): {name}\b"):
        run_tensor(calc, atoms)


def reference_grid(lat, natoms, cutoff):
    """Bins along a, b, c of a pass (the CUDA kernels' rule: bins of cutoff/10, at most
    8 N + 64 of them), from the heights of the lower-triangular cell ``lat`` (bohr)."""
    volume = abs(np.linalg.det(lat))
    heights = volume / np.linalg.norm(np.cross(lat[[1, 2, 0]], lat[[2, 0, 1]]), axis=1)
    width = cutoff / 10.0
    while True:
        dims = np.clip(np.floor(heights / width), 1, 1024).astype(int)
        if dims.prod() <= 8.0 * natoms + 64.0:
            return dims
        width *= 1.1


@pytest.mark.parametrize("case", ["liquid", "high-cn", "triclinic"])
def test_device_bins_equal_numpy_reference(cuda_host, case):
    # the counting sort on the device puts every atom, wrapped into the cell, into its bin:
    # same grid, populations, homes and wrapped positions as a numpy construction
    from ase.units import Bohr

    make = {"liquid": liquid_box, "high-cn": high_cn, "triclinic": small_triclinic}[case]
    atoms = make()
    rng = np.random.default_rng(3)
    moved = atoms.positions + rng.integers(-2, 3, size=(len(atoms), 3)) @ atoms.cell[:]
    calc = D3(device="cuda", **KW)
    run_tensor(calc, atoms, moved)
    geometry, _, rotation = calc._frame(atoms)
    lat = geometry["lat"]
    xyz = moved @ rotation / Bohr
    frac = xyz @ np.linalg.inv(lat)
    for which, cutoff in (("cn", KW["cn_cutoff"]), ("dispersion", KW["cutoff"])):
        bins = backend.cuda_host_last_bins(which)
        dims = reference_grid(lat, len(atoms), cutoff / Bohr)
        np.testing.assert_array_equal(bins["dims"], dims)
        idx = np.minimum(np.floor((frac - np.floor(frac)) * dims).astype(int), dims - 1)
        flat = np.ravel_multi_index(idx.T, dims)
        np.testing.assert_array_equal(np.diff(bins["start"]),
                                      np.bincount(flat, minlength=dims.prod()))
        perm = bins["perm"]
        np.testing.assert_array_equal(np.sort(perm), np.arange(len(atoms)))
        np.testing.assert_array_equal(bins["home"], idx[perm])
        # sorted by bin: the atoms at places start[k] .. start[k+1]-1 are those of bin k
        np.testing.assert_array_equal(flat[perm], np.sort(flat))
        wrapped = xyz - np.floor(frac) @ lat
        assert np.abs(bins["xyz"] - wrapped[perm]).max() < 1e-12 * np.abs(xyz).max()
        assert np.all((bins["xyz"] @ np.linalg.inv(lat) > -1e-12)
                      & (bins["xyz"] @ np.linalg.inv(lat) < 1 + 1e-12))
