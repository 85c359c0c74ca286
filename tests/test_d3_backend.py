"""D3 kernel builds (through the shared build cache) and the checks that run before the kernel."""

import ctypes
import os
import re
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule

from ase_electrolyte.d3 import D3, backend
from ase_electrolyte.d3.calculator import _close_pairs

# the cache itself (checksums, atomic writes, locking, errors) is tested once, for
# ase_electrolyte.native_build, in test_native_build.py


def test_d3_builds_go_through_the_shared_cache(tmp_path, monkeypatch):
    # the D3 wrapper: the d3 folder of the shared cache, the CPU signature in the key, and
    # the library loaded only after its checksum is verified
    from ase_electrolyte import native_build

    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path))
    assert backend.cache_dir() == tmp_path / "d3"
    calls = []
    monkeypatch.setattr(native_build, "build_library",
                        lambda *a, **kw: calls.append((a, kw)) or tmp_path / "x.so")
    assert backend._build("g++", ("-O0",), ("a.cpp",), "probe", "sig", "the probe") \
        == tmp_path / "x.so"
    (args, kw), = calls
    assert args == ("g++", ("a.cpp",), ("-O0",))
    assert kw["subdir"] == "d3" and kw["signature"] == "sig" and kw["source_dir"] == backend.CSRC


def test_damaged_cached_d3_library_is_refused_on_load(tmp_path):
    import shutil

    from ase_electrolyte import native_build

    good = Path(backend.cpu_library()._name)  # the cached build this process loaded
    assert native_build.is_valid_build(good)
    copy = tmp_path / good.name
    shutil.copy(good, copy)
    shutil.copy(good.with_suffix(".json"), copy.with_suffix(".json"))
    backend._load(copy)  # an intact copy loads and passes the ABI check
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    # a new file under the name: the copy is mapped into this process since it was loaded
    copy.unlink()
    copy.write_bytes(bytes(data))
    with pytest.raises(native_build.NativeBuildError, match="checksum"):
        backend._load(copy)


def test_cuda_host_build_serves_from_the_cache_without_a_compiler(tmp_path, monkeypatch):
    """The host emulation demanded a compiler even with a valid cached build (the CPU kernel
    did not), so the cuda_host tests failed on a machine without one; its key now also
    separates CPU architectures sharing a cache."""
    import json
    import platform

    from ase_electrolyte import native_build

    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path))
    monkeypatch.delenv("CXX", raising=False)
    backend.cuda_host_library.cache_clear()
    try:
        built = Path(backend.cuda_host_library()._name)
        assert built.parent == tmp_path / "d3"
        manifest = json.loads(built.with_suffix(".json").read_text())
        assert manifest["signature"] == platform.machine()
        monkeypatch.setenv("PATH", str(tmp_path / "no-compilers-here"))
        assert native_build.find_cxx(required=False) is None
        backend.cuda_host_library.cache_clear()
        assert Path(backend.cuda_host_library()._name) == built
        backend.cuda_host_library.cache_clear()
        for path in (tmp_path / "d3").glob("d3_cuda_host-*"):
            path.unlink()
        with pytest.raises(native_build.CompilerNotFoundError,
                           match=r"D3 CUDA host emulation must be compiled .*d3_cuda_host-\w+\.so "
                                 r"does not exist\) but no compiler was found"):
            backend.cuda_host_library()
    finally:
        backend.cuda_host_library.cache_clear()


def test_cuda_cache_key_has_architecture(monkeypatch):
    keys = []
    monkeypatch.setattr(backend, "find_nvcc", lambda: "/no/nvcc")
    monkeypatch.setattr(backend, "_build", lambda comp, flags, src, name, key, what: keys.append(
        (flags, key)) or (_ for _ in ()).throw(RuntimeError("stop")))
    backend.cuda_library.cache_clear()
    try:
        for arch in ("sm_80", "sm_90", "80;90"):
            with pytest.raises(RuntimeError, match="stop"):
                backend.cuda_library(arch)
    finally:
        backend.cuda_library.cache_clear()
    assert len({k for _, k in keys}) == 3
    assert "-gencode=arch=compute_90,code=sm_90" in keys[1][0]
    assert "-gencode=arch=compute_80,code=sm_80" in keys[2][0]
    with pytest.raises(ValueError, match="architecture"):
        backend.cuda_arch_flags("volta")


def test_overlapping_atoms_raise_naming_them():
    water = molecule("H2O")
    water += Atoms("H", positions=[water.positions[0] + [0.05, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"O0-H3 at 0.05 Å"):
        D3(device="cpu").get_potential_energy(water)
    # an atom on top of another atom's periodic image, across the cell boundary
    crystal = bulk("LiF", "rocksalt", a=4.0, cubic=True)
    crystal += Atoms("Li", positions=[crystal.cell[0] + [0.03, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"Li0-Li8"):
        D3(device="cpu").get_potential_energy(crystal)


def test_close_pairs_agree_with_ase_neighbor_list():
    from ase.neighborlist import primitive_neighbor_list

    rng = np.random.default_rng(0)
    cell = np.array([[3.1, 0, 0], [1.2, 3.4, 0], [0.7, -0.9, 3.3]])
    for pbc in ([True] * 3, [True, True, False], [False, False, True], [False] * 3):
        pos = rng.uniform(-5, 8, size=(40, 3))
        ours = {(i, j) for i, j, _ in _close_pairs(pos, cell, np.array(pbc), 0.9)}
        i, j = primitive_neighbor_list("ij", pbc, cell, pos, 0.9)
        assert ours == {(min(a, b), max(a, b)) for a, b in zip(i, j, strict=True)}


def test_close_pairs_report_the_nearest_image():
    """In a cell shorter than the radius a pair meets several images; its distance is the least."""
    from ase.neighborlist import primitive_neighbor_list

    rng = np.random.default_rng(1)
    skewed = np.array([[1.1, 0, 0], [0.5, 1.0, 0], [0.3, -0.4, 1.2]])
    for cell in (np.diag([0.7, 0.8, 0.9]), skewed):
        pos = rng.uniform(0, 1, size=(3, 3)) @ cell
        ours = {(i, j): d for i, j, d in _close_pairs(pos, cell, np.array([True] * 3), 1.5)}
        i, j, d = primitive_neighbor_list("ijd", [True] * 3, cell, pos, 1.5)
        nearest = {}
        for a, b, r in zip(i, j, d, strict=True):
            key = (min(a, b), max(a, b))  # (i, i): an atom and its own image
            nearest[key] = min(r, nearest.get(key, np.inf))
        assert ours.keys() == nearest.keys()
        for key, r in nearest.items():
            assert ours[key] == pytest.approx(r, abs=1e-12)


@pytest.mark.parametrize("kind", ["cutoff", "cn_cutoff", "slab", "singular"])
def test_impossible_work_raises_before_kernel(kind, monkeypatch):
    def no_kernel(*args, **kwargs):
        raise AssertionError("the kernel must not run")

    monkeypatch.setattr(backend, "run_kernel", no_kernel)
    atoms = bulk("LiF", "rocksalt", a=4.03)
    kwargs = {}
    if kind in ("cutoff", "cn_cutoff"):
        kwargs[kind] = 1e4
    elif kind == "slab":
        atoms.pbc = (True, True, False)
        kwargs["cutoff"] = 1e4
    else:
        atoms = Atoms("Li", cell=[[3, 0, 0], [0, 3, 0], [3, 3, 1e-4]], pbc=True)
    # a nearly singular cell is named by the shared thin-cell check, before any image count
    match = "thin across a face" if kind == "singular" else "periodic images"
    with pytest.raises(ValueError, match=match):
        D3(device="cpu", **kwargs).get_potential_energy(atoms)


def test_environment_switches_cuda_host(monkeypatch):
    monkeypatch.setenv("ASE_ELECTROLYTE_D3_CUDA_HOST", "1")
    assert backend.cuda_host_mode() == "host"
    monkeypatch.setenv("ASE_ELECTROLYTE_D3_CUDA_HOST", "asan")
    assert backend.cuda_host_mode() == "asan"
    monkeypatch.setenv("ASE_ELECTROLYTE_D3_CUDA_HOST", "0")
    assert backend.cuda_host_mode() is None
    with pytest.raises(ValueError, match="order"):
        backend.set_cuda_host("host", order="sideways")
    assert os.environ["ASE_ELECTROLYTE_D3_CUDA_HOST"] == "0"


# ---- the C boundary (csrc/d3_abi.h) --------------------------------------------------------


def assert_raised_from(exc, error, message):
    """``exc`` is, or was raised from, an ``error`` whose message matches ``message``."""
    chain = [exc]
    while chain[-1].__cause__ is not None:
        chain.append(chain[-1].__cause__)
    found = [e for e in chain if isinstance(e, error)]
    assert found, f"no {error.__name__} in {chain!r}"
    assert re.search(message, str(found[-1])), str(found[-1])


def _lif():
    atoms = bulk("LiF", "rocksalt", a=4.03 * 1.02, cubic=True)
    atoms.rattle(0.05, seed=3)
    return atoms


@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("kind,error,message", [
    (1, backend.D3KernelMemoryError, "out of host memory in the D3 CPU kernel"),
    (2, backend.D3KernelError, "C\\+\\+ exception in the D3 CPU kernel: test fault injected"),
    (3, backend.D3KernelError, "non-standard"),
])
def test_exception_thrown_in_cpu_kernel_becomes_python_exception(num_threads, kind, error,
                                                                 message):
    # thrown from inside a worker thread of the first pass; the process survives and the next
    # evaluation is the same as before
    atoms = _lif()
    calc = D3(device="cpu", num_threads=num_threads)
    expected = calc.get_forces(atoms).copy()
    backend.call(backend.cpu_library(), "d3_debug_throw_next", kind)
    calc.reset()
    with pytest.raises(Exception) as raised:  # the calculator may wrap it (ASE's errors)
        calc.get_forces(atoms)
    assert_raised_from(raised.value, error, message)
    assert issubclass(error, RuntimeError)
    if kind == 1:
        assert issubclass(error, MemoryError)
    calc.reset()
    # (threads take work dynamically: equal up to the order of the sums)
    np.testing.assert_allclose(calc.get_forces(atoms), expected, rtol=0,
                               atol=1e-10 * np.abs(expected).max())


def test_abi_check_accepts_the_library_and_fires_on_a_mismatch():
    lib = backend.cpu_library()
    backend.check_abi(lib)

    # a mirror with one field missing: the size differs
    class Short(ctypes.Structure):
        _fields_ = backend.D3System._fields_[:-1]

    with pytest.raises(backend.D3AbiError, match=r"sizeof\(D3System\) is \d+ bytes .* but \d+"):
        backend.check_abi(lib, "libfake.so", struct=Short)

    # same size, two fields swapped: the offsets differ
    fields = list(backend.D3System._fields_)
    i = [name for name, _ in fields].index("s6")
    fields[i], fields[i + 1] = fields[i + 1], fields[i]

    class Swapped(ctypes.Structure):
        _fields_ = fields

    assert ctypes.sizeof(Swapped) == ctypes.sizeof(backend.D3System)
    with pytest.raises(backend.D3AbiError, match=r"D3System.s8 is at byte \d+"):
        backend.check_abi(lib, struct=Swapped)

    # a field the C struct does not have (in place of the last one, of the same type)
    last = backend.D3System._fields_[-1][1]

    class Extra(ctypes.Structure):
        _fields_ = [*backend.D3System._fields_[:-1], ("atoms", last)]

    with pytest.raises(backend.D3AbiError, match="no field 'atoms'"):
        backend.check_abi(lib, struct=Extra)


def test_abi_check_fires_on_version_and_damping_ids(monkeypatch):
    from ase_electrolyte.d3 import parameters

    lib = backend.cpu_library()
    monkeypatch.setattr(backend, "ABI_VERSION", backend.ABI_VERSION + 1)
    with pytest.raises(backend.D3AbiError, match="ABI version"):
        backend.check_abi(lib)
    monkeypatch.undo()
    monkeypatch.setitem(parameters.KERNEL_DAMPINGS, "zero", 2)
    with pytest.raises(backend.D3AbiError, match="damping 'zero' has id 1"):
        backend.check_abi(lib)
    monkeypatch.setitem(parameters.KERNEL_DAMPINGS, "becke", 9)
    monkeypatch.setitem(parameters.KERNEL_DAMPINGS, "zero", 1)
    with pytest.raises(backend.D3AbiError, match="no damping named 'becke'"):
        backend.check_abi(lib)


def test_cpu_library_cuda_entry_points_say_built_without_cuda():
    lib = backend.cpu_library()
    count = ctypes.c_int(-1)
    with pytest.raises(backend.D3KernelError, match="built without CUDA"):
        backend.call(lib, "d3_cuda_device_count", ctypes.byref(count))
    assert count.value == 0
    s = backend.D3System()
    out = (ctypes.c_double * 4)()
    p = ctypes.cast(out, ctypes.POINTER(ctypes.c_double))
    with pytest.raises(backend.D3KernelError, match="built without CUDA"):
        backend.call(lib, "d3_cuda_compute", ctypes.byref(s), 0, None, p, p, p, p)
    err = ctypes.create_string_buffer(8)  # a short buffer truncates, never overflows
    assert lib.d3_cuda_release(err, 8) == backend.D3_NO_CUDA
    assert err.value == b"this D3"
