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
}


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
    if atoms.pbc.all():
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
    cxx = backend.find_cxx()
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
        for name in ("triclinic", "slab", "atm-molecule", "tiny-cell", "smooth"):
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
    cmd = [nvcc, "-std=c++17", "-O3", "-c", *gencode, "-Xptxas", "-v", "-I",
           str(backend.CSRC), "-o", str(tmp_path / "d3_cuda.o"), str(backend.CSRC / "d3_cuda.cu")]
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
