"""Building, loading and calling the compiled D3 kernels (CPU: g++, CUDA: nvcc) via ctypes.

The shared libraries are compiled on first use and cached in the ``d3`` folder of the build
cache of :mod:`ase_electrolyte.native_build` (``$ASE_ELECTROLYTE_CACHE/d3``, default
``~/.cache/ase_electrolyte/d3``), keyed by the sources, the flags and, for the CPU build,
the host CPU (``-march=native``) or, for the CUDA build, the GPU architecture; that module
holds the checksums, atomic writes, locking and error messages.

``device="cuda"`` can also run through a host build of the CUDA source (g++, the CUDA
built-ins emulated by ``csrc/d3_cuda_compat.h``): set ``ASE_ELECTROLYTE_D3_CUDA_HOST=1`` (or
``asan`` for an AddressSanitizer/UBSan build) or call :func:`set_cuda_host`. The tests use it
to run the whole CUDA code path on machines without a GPU.
"""

import ctypes
import os
import platform
import re
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import native_build
from ..environment import switch_on
from ..native_build import cpu_signature, find_nvcc  # noqa: F401  (public re-export)

CSRC = Path(__file__).parent / "csrc"
CACHE_SUBDIR = "d3"
# every file a build includes (they all enter the cache key); the last one is compiled
CPU_SOURCES = ("d3_abi.h", "d3_abi_exports.h", "d3_math.h",
               str(native_build.SHARED_CSRC / "cell_list.h"), "d3_cpu.cpp")
CUDA_SOURCES = ("d3_abi.h", "d3_abi_exports.h", "d3_math.h", "d3_cuda_compat.h",
                str(native_build.SHARED_CSRC / "cell_list.h"), "d3_cuda.cu")
CPU_FLAGS = (
    "-O3",
    "-march=native",
    "-fno-math-errno",
    "-fopenmp-simd",
    "-std=c++17",
    "-shared",
    "-fPIC",
    "-pthread",
)
CUDA_FLAGS = ("-O3", "-std=c++17", "-shared", "-Xcompiler", "-fPIC")
# the CUDA source compiled as C++ for the host emulation (tests without a GPU)
CUDA_HOST_FLAGS = ("-x", "c++", "-DD3_CUDA_HOST", "-O2", "-std=c++17", "-shared", "-fPIC",
                   "-pthread")
SANITIZE_FLAGS = ("-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                  "-fno-omit-frame-pointer", "-g", "-O1")
ERRLEN = 1024
# D3_MAX_REF of csrc/d3_abi.h: reference systems per element (C6 tables are 7 x 7)
D3_MAX_REF = 7

_dp = ctypes.POINTER(ctypes.c_double)
_ip = ctypes.POINTER(ctypes.c_int)


# the D3_ABI_VERSION of csrc/d3_abi.h this module mirrors
ABI_VERSION = 5

# enum D3Status of csrc/d3_abi.h
D3_OK, D3_ERROR, D3_OUT_OF_MEMORY, D3_INVALID, D3_NO_CUDA, D3_CUDA_ERROR = range(6)
# flags of d3_cuda_compute_on_device (csrc/d3_abi.h)
D3_XYZ_ON_DEVICE, D3_OUT_ON_DEVICE = 1, 2


class D3KernelError(RuntimeError):
    """A D3 library reported a failure (a C++ exception or a CUDA error), with its message."""


class D3KernelMemoryError(D3KernelError, MemoryError):
    """A D3 library ran out of host or device memory."""


class D3AbiError(RuntimeError):
    """A D3 library was built from another definition of the C interface (csrc/d3_abi.h)."""


class D3System(ctypes.Structure):
    """ctypes mirror of ``struct D3System`` (csrc/d3_abi.h, the only C definition).

    Checked field by field against the library on load (:func:`check_abi`).
    """

    _fields_ = [
        ("natoms", ctypes.c_int),
        ("nspecies", ctypes.c_int),
        ("species", _ip),
        ("xyz", _dp),
        ("cell_mode", ctypes.c_int),
        ("ntrans", ctypes.c_int),
        ("trans", _dp),
        ("lat", ctypes.c_double * 9),
        ("nref", _ip),
        ("cnref", _dp),
        ("rcov", _dp),
        ("r4r2", _dp),
        ("r0ab", _dp),
        ("c6ref", _dp),
        ("damping", ctypes.c_int),
        ("s6", ctypes.c_double),
        ("s8", ctypes.c_double),
        ("s9", ctypes.c_double),
        ("a1", ctypes.c_double),
        ("a2", ctypes.c_double),
        ("a3", ctypes.c_double),
        ("a4", ctypes.c_double),
        ("rs6", ctypes.c_double),
        ("rs8", ctypes.c_double),
        ("alp", ctypes.c_double),
        ("bet", ctypes.c_double),
        ("cutoff", ctypes.c_double),
        ("cn_cutoff", ctypes.c_double),
        ("atm_cutoff", ctypes.c_double),
        ("width", ctypes.c_double),
        ("atm", ctypes.c_int),
        ("tail", _dp),
    ]


def cache_dir() -> Path:
    """Folder of the compiled D3 kernels (:func:`ase_electrolyte.native_build.cache_dir`)."""
    return native_build.cache_dir(CACHE_SUBDIR)


def find_cxx(required: bool = True) -> str | None:
    """Path of the C++ compiler (``$CXX``, else g++, c++, clang++).

    RuntimeError (:class:`~ase_electrolyte.native_build.CompilerNotFoundError`) if none is
    found and ``required``, else None.
    """
    return native_build.find_cxx(required, purpose="ase_electrolyte.D3")


def _build(compiler: str | None, flags, sources, name: str, extra_key: str = "",
           what: str = "the D3 kernel") -> Path:
    """Path of the cached library for this key, compiled first if there is no valid one."""
    return native_build.build_library(compiler, sources, flags, source_dir=CSRC, name=name,
                                      subdir=CACHE_SUBDIR, signature=extra_key, what=what)


_ep = ctypes.c_char_p  # the caller's error-message buffer (with its length, ctypes.c_int)


def _declare_common(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Signatures of the functions every D3 library exports (csrc/d3_abi.h)."""
    decl = {
        "d3_abi_version": [ctypes.POINTER(ctypes.c_int)],
        "d3_abi_struct_size": [ctypes.POINTER(ctypes.c_longlong)],
        "d3_abi_field_offset": [ctypes.c_char_p, ctypes.POINTER(ctypes.c_longlong)],
        "d3_abi_damping_id": [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)],
        "d3_debug_throw_next": [ctypes.c_int],
        "d3_pair_damping": [ctypes.POINTER(D3System), ctypes.c_int, _ip, _ip, _dp, _dp, _dp],
        "d3_cuda_compute": [ctypes.POINTER(D3System), ctypes.c_int, ctypes.c_void_p,
                            _dp, _dp, _dp, _dp],
        "d3_cuda_compute_on_device": [ctypes.POINTER(D3System), ctypes.c_int, ctypes.c_void_p,
                                      ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_void_p, ctypes.c_void_p],
        "d3_cuda_device_count": [ctypes.POINTER(ctypes.c_int)],
        "d3_cuda_release": [],
        "d3_cuda_visit_model": [ctypes.POINTER(D3System), ctypes.POINTER(ctypes.c_longlong)],
    }
    for name, args in decl.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            # a library that passes its manifest's checksum but is not a D3 build (a cache
            # folder copied over, a manifest rewritten): an AttributeError said only
            # "undefined symbol"
            raise D3AbiError(
                f"the cached library {lib._name} does not export {name}, which every D3 "
                f"kernel does: it is not a D3 build; delete it and its manifest "
                f"({Path(lib._name).with_suffix('.json').name}) to rebuild it") from None
        fn.argtypes = [*args, _ep, ctypes.c_int]
        fn.restype = ctypes.c_int
    return lib


def call(lib: ctypes.CDLL, name: str, *args, what: str = "the D3 kernel") -> None:
    """Call ``lib.name(*args, err, errlen)`` and raise what its status says.

    D3KernelMemoryError (out of memory), ValueError (invalid arguments), D3KernelError
    (anything else: a C++ exception, a CUDA error, a library without CUDA), each with the
    library's message. The libraries never let an exception unwind into Python.
    """
    err = ctypes.create_string_buffer(ERRLEN)
    status = getattr(lib, name)(*args, err, ERRLEN)
    if status == D3_OK:
        return
    msg = f"{what} failed: {err.value.decode(errors='replace') or f'status {status}'}"
    if status == D3_OUT_OF_MEMORY:
        raise D3KernelMemoryError(msg)
    if status == D3_INVALID:
        raise ValueError(msg)
    raise D3KernelError(msg)


def check_abi(lib: ctypes.CDLL, path: str = "", struct=None) -> None:
    """Raise D3AbiError unless ``lib`` was built from the C interface this module mirrors.

    Compares D3_ABI_VERSION, ``sizeof(D3System)`` and the offset of every field of ``struct``
    (default :class:`D3System`), and the damping ids of
    ``ase_electrolyte.d3.parameters.KERNEL_DAMPINGS``, with what the library reports.
    """
    from .parameters import KERNEL_DAMPINGS

    struct = D3System if struct is None else struct
    where = f" ({path})" if path else ""
    fix = ("; the library and ase_electrolyte/d3/backend.py disagree on csrc/d3_abi.h: "
           "delete the cached build (it is rebuilt from the sources) or update the ctypes "
           "mirror with the header")
    version = ctypes.c_int(0)
    call(lib, "d3_abi_version", ctypes.byref(version), what="d3_abi_version")
    if version.value != ABI_VERSION:
        raise D3AbiError(f"D3 library{where} has ABI version {version.value}, Python expects "
                         f"{ABI_VERSION}{fix}")
    size = ctypes.c_longlong(0)
    call(lib, "d3_abi_struct_size", ctypes.byref(size), what="d3_abi_struct_size")
    if size.value != ctypes.sizeof(struct):
        raise D3AbiError(f"sizeof(D3System) is {size.value} bytes in the D3 library{where} "
                         f"but {ctypes.sizeof(struct)} in its ctypes mirror{fix}")
    for name, *_ in struct._fields_:
        offset = ctypes.c_longlong(0)
        try:
            call(lib, "d3_abi_field_offset", name.encode(), ctypes.byref(offset),
                 what="d3_abi_field_offset")
        except ValueError as err:
            raise D3AbiError(f"{err}{where}{fix}") from None
        if offset.value != getattr(struct, name).offset:
            raise D3AbiError(f"D3System.{name} is at byte {offset.value} in the D3 "
                             f"library{where} but at {getattr(struct, name).offset} in its "
                             f"ctypes mirror{fix}")
    for name, expected in KERNEL_DAMPINGS.items():
        value = ctypes.c_int(-1)
        try:
            call(lib, "d3_abi_damping_id", name.encode(), ctypes.byref(value),
                 what="d3_abi_damping_id")
        except ValueError as err:
            raise D3AbiError(f"{err}{where}{fix}") from None
        if value.value != expected:
            raise D3AbiError(f"damping {name!r} has id {value.value} in the D3 library{where} "
                             f"but {expected} in ase_electrolyte.d3.parameters{fix}")


def _load(path: Path) -> ctypes.CDLL:
    lib = _declare_common(native_build.load_library(path, "the D3 kernel"))
    check_abi(lib, str(path))
    return lib


@lru_cache(maxsize=1)
def cpu_library() -> ctypes.CDLL:
    """The CPU kernel (compiled on first use); its CUDA entry points return D3_NO_CUDA."""
    path = _build(find_cxx(required=False), CPU_FLAGS, CPU_SOURCES, "d3_cpu", cpu_signature(),
                  "the D3 CPU kernel")
    lib = _load(path)
    lib.d3_cpu_compute.argtypes = [ctypes.POINTER(D3System), ctypes.c_int, _dp, _dp, _dp, _dp,
                                   _ep, ctypes.c_int]
    lib.d3_cpu_compute.restype = ctypes.c_int
    return lib


def _cudart():
    for name in ("libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _gpu_arch(index: int) -> str:
    """``sm_XY`` of CUDA device ``index`` (compute capability X.Y)."""
    import torch

    if torch.cuda.is_available():
        major, minor = torch.cuda.get_device_capability(index)
        return f"sm_{major}{minor}"
    rt = _cudart()
    major, minor = ctypes.c_int(0), ctypes.c_int(0)
    # cudaDevAttrComputeCapabilityMajor = 75, ...Minor = 76
    if rt is None or rt.cudaDeviceGetAttribute(ctypes.byref(major), 75, index) != 0:
        raise RuntimeError(f"cannot read the compute capability of CUDA device {index}")
    rt.cudaDeviceGetAttribute(ctypes.byref(minor), 76, index)
    return f"sm_{major.value}{minor.value}"


def cuda_arch_flags(arch: str) -> tuple:
    """nvcc flags for ``arch`` (``"sm_90"``) or an explicit list ``"80;90"`` (PTX of the last)."""
    archs = [a.strip().removeprefix("sm_") for a in re.split(r"[;, ]+", arch) if a.strip()]
    if not archs or not all(a.isdigit() for a in archs):
        raise ValueError(f"CUDA architecture list {arch!r} is not like 'sm_90' or '80;90'")
    flags = [f"-gencode=arch=compute_{a},code=sm_{a}" for a in archs]
    flags.append(f"-gencode=arch=compute_{archs[-1]},code=compute_{archs[-1]}")
    return tuple(flags)


@lru_cache(maxsize=None)
def cuda_library(arch: str) -> ctypes.CDLL:
    """The CUDA kernel for ``arch`` (compiled with nvcc on first use); RuntimeError if impossible.

    ``arch`` is part of the cache key, so builds for different GPU models sharing one cache
    folder (a cluster home directory) never mix.
    """
    flags = CUDA_FLAGS + cuda_arch_flags(arch)
    path = _build(find_nvcc(), flags, CUDA_SOURCES, "d3_cuda", arch, "the D3 CUDA kernel (nvcc)")
    return _load(path)


@lru_cache(maxsize=2)
def cuda_host_library(sanitize: bool = False) -> ctypes.CDLL:
    """The CUDA source built for the host (g++), optionally with ASan/UBSan.

    A sanitizer build can only be loaded into a process started with the ASan runtime
    preloaded (``LD_PRELOAD=$(g++ -print-file-name=libasan.so)``); elsewhere
    :class:`D3KernelError` says so before anything is built or loaded (loading it would end
    the process).
    """
    if sanitize and not hasattr(ctypes.CDLL(None), "__asan_init"):
        # loading it would end the process from inside the ASan runtime (no exception)
        raise D3KernelError(
            "the sanitizer build of the D3 CUDA host emulation (ASE_ELECTROLYTE_D3_CUDA_HOST="
            "asan) needs the ASan runtime loaded first: start Python with "
            "LD_PRELOAD=$(g++ -print-file-name=libasan.so), or use "
            "ASE_ELECTROLYTE_D3_CUDA_HOST=1 for the build without sanitizers")
    flags = CUDA_HOST_FLAGS + (SANITIZE_FLAGS if sanitize else ())
    name = "d3_cuda_host_asan" if sanitize else "d3_cuda_host"
    # a valid cached build serves without a compiler, as for the CPU kernel; the host's
    # architecture keeps an x86 build from being loaded on an ARM node sharing the cache
    path = _build(find_cxx(required=False), flags, CUDA_SOURCES, name, platform.machine(),
                  "the D3 CUDA host emulation")
    lib = _load(path)
    lib.d3_cuda_host_set_order.argtypes = [ctypes.c_int, ctypes.c_uint, _ep, ctypes.c_int]
    lib.d3_cuda_host_set_order.restype = ctypes.c_int
    lib.d3_cuda_host_visits.argtypes = [ctypes.POINTER(ctypes.c_longlong), _ep, ctypes.c_int]
    lib.d3_cuda_host_visits.restype = ctypes.c_int
    lib.d3_cuda_host_last_bins.argtypes = [ctypes.c_int, _ip, _ip, _ip, _ip, _ip, _dp, _ep,
                                           ctypes.c_int]
    lib.d3_cuda_host_last_bins.restype = ctypes.c_int
    return lib


def cuda_host_visits(sanitize: bool = False) -> int:
    """Pair images the host emulation's binned passes examined since the last call."""
    visits = ctypes.c_longlong(0)
    call(cuda_host_library(sanitize), "d3_cuda_host_visits", ctypes.byref(visits),
         what="d3_cuda_host_visits")
    return visits.value


def cuda_host_last_bins(which: str = "cn", sanitize: bool = False) -> dict:
    """The bins the host emulation's last 3D-periodic call sorted the atoms into (for tests).

    ``which``: ``"cn"`` (the CN passes) or ``"dispersion"``. Returns ``dims`` (bins along
    a, b, c), ``start`` (nbins + 1: the atoms of bin k are at sorted places start[k] ..
    start[k+1] - 1), ``perm`` (sorted place -> atom), ``home`` (sorted place -> bin (a, b, c))
    and ``xyz`` (sorted positions wrapped into the cell, bohr, in the kernel's rotated frame).
    """
    passes = {"cn": 0, "dispersion": 1}
    if which not in passes:
        raise ValueError(f"which must be 'cn' or 'dispersion', not {which!r}")
    lib = cuda_host_library(sanitize)
    dims = np.zeros(3, dtype=np.int32)
    natoms = ctypes.c_int(0)
    null_i, null_d = _ip(), _dp()
    call(lib, "d3_cuda_host_last_bins", passes[which], _ptr(dims, ctypes.c_int),
         ctypes.byref(natoms), null_i, null_i, null_i, null_d, what="d3_cuda_host_last_bins")
    n = natoms.value
    out = {"dims": dims, "start": np.zeros(int(np.prod(dims)) + 1, dtype=np.int32),
           "perm": np.zeros(n, dtype=np.int32), "home": np.zeros((n, 3), dtype=np.int32),
           "xyz": np.zeros((n, 3))}
    call(lib, "d3_cuda_host_last_bins", passes[which], _ptr(dims, ctypes.c_int),
         ctypes.byref(natoms), _ptr(out["start"], ctypes.c_int), _ptr(out["perm"], ctypes.c_int),
         _ptr(out["home"], ctypes.c_int), _ptr(out["xyz"], ctypes.c_double),
         what="d3_cuda_host_last_bins")
    return out


_cuda_host_mode = None  # None: follow $ASE_ELECTROLYTE_D3_CUDA_HOST
HOST_ORDERS = {"forward": 0, "reverse": 1, "shuffled": 2}


def set_cuda_host(mode: str | None, order: str = "forward", seed: int = 0) -> None:
    """Run ``device="cuda"`` through the host build of the CUDA source (for tests).

    ``mode``: ``"host"``, ``"asan"`` (sanitizer build), ``"off"`` (a real GPU), or ``None``
    (follow ``$ASE_ELECTROLYTE_D3_CUDA_HOST``: empty/0 off, ``asan``, anything else host).
    ``order``: block and thread order of the emulated grid: forward, reverse or shuffled.
    """
    global _cuda_host_mode
    if mode not in (None, "host", "asan", "off"):
        raise ValueError(f"mode must be None, 'host', 'asan' or 'off', not {mode!r}")
    if order not in HOST_ORDERS:
        raise ValueError(f"order must be one of {list(HOST_ORDERS)}, not {order!r}")
    _cuda_host_mode = mode
    if cuda_host_mode() is not None:
        call(cuda_host_library(cuda_host_mode() == "asan"), "d3_cuda_host_set_order",
             HOST_ORDERS[order], seed, what="d3_cuda_host_set_order")


def cuda_host_mode() -> str | None:
    """``"host"`` or ``"asan"`` when device="cuda" runs on the host emulation, else None."""
    mode = _cuda_host_mode
    if mode is None:
        env = os.environ.get("ASE_ELECTROLYTE_D3_CUDA_HOST", "").strip().lower()
        mode = "off" if not switch_on("ASE_ELECTROLYTE_D3_CUDA_HOST") else (
            "asan" if env == "asan" else "host")
    return None if mode == "off" else mode


@lru_cache(maxsize=1)
def cuda_device_count() -> int:
    """Number of CUDA GPUs usable here (0 without a driver)."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.device_count()
    rt = _cudart()
    if rt is None:
        return 0
    count = ctypes.c_int(0)
    return count.value if rt.cudaGetDeviceCount(ctypes.byref(count)) == 0 else 0


def cuda_available() -> bool:
    """True when a CUDA GPU is present (or the host emulation is switched on)."""
    return cuda_host_mode() is not None or cuda_device_count() > 0


def _load_cuda(index: int) -> ctypes.CDLL:
    mode = cuda_host_mode()
    if mode is not None:
        return cuda_host_library(mode == "asan")
    arch = os.environ.get("ASE_ELECTROLYTE_CUDA_ARCH") or _gpu_arch(index)
    return cuda_library(arch)


_auto_warned = False


def select_device(device) -> str:
    """Resolve ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` to ``"cpu"`` or ``"cuda:N"``.

    ``"auto"`` takes GPU 0 when one is present and the CUDA kernel can be built (or is
    cached), else the CPU kernel, with one warning per process saying why the GPU is not
    used. An explicit CUDA device that cannot be used raises RuntimeError/ValueError.
    """
    global _auto_warned
    from ..device import parse_device

    # the package's one reading of a device (any case, torch's "cpu:0", a Device or a
    # torch.device; "gpu" is told its spelling)
    parsed = parse_device(device)
    if parsed != "auto" and not parsed.is_cuda:
        return "cpu"
    if parsed == "auto":
        if not cuda_available():
            return "cpu"
        try:
            _load_cuda(0)
        except RuntimeError as err:
            if not _auto_warned:
                _auto_warned = True
                warnings.warn(
                    f"D3: a CUDA GPU is present but the CUDA kernel cannot be built ({err}); "
                    "using the CPU kernel. Install nvcc (CUDA toolkit) to use the GPU.",
                    RuntimeWarning, stacklevel=3)
            return "cpu"
        return "cuda:0"
    index = parsed.index
    if not cuda_available():
        raise RuntimeError(
            f"device={device!r} requested but no CUDA GPU is usable here (no driver or no "
            "device); use device='cpu' or 'auto'"
        )
    count = 1 if cuda_host_mode() is not None else cuda_device_count()
    if index >= count:
        raise ValueError(
            f"device={device!r}: there are only {count} CUDA device(s) (cuda:0 .. "
            f"cuda:{count - 1})"
        )
    _load_cuda(index)  # build now (clear error before any structure is seen)
    return f"cuda:{index}"


def _torch_stream(index: int) -> int:
    """Handle of torch's current CUDA stream on device ``index`` (0: default stream)."""
    if cuda_host_mode() is not None:
        return 0
    import torch

    if torch.cuda.is_available():
        return torch.cuda.current_stream(index).cuda_stream
    return 0


def check_finite(out: dict, symbols) -> None:
    """Raise FloatingPointError naming the atoms whose kernel results are not finite.

    ``symbols`` are the chemical symbols in the caller's atom order. Never lets a NaN or inf
    energy, force or stress reach the caller. Where the coordination numbers ``out["cn"]``
    are not finite, the kernel found coincident atoms: ValueError naming them.
    """
    bad = ~np.isfinite(out["energies"]) | ~np.isfinite(out["gradient"]).all(axis=1)
    if not bad.any() and np.isfinite(out["sigma"]).all():
        return
    if "cn" in out and not np.isfinite(out["cn"]).all():
        # the kernels' CN passes mark distinct atoms closer than 0.1 Å (d3_math.h,
        # D3_CN_SELF_EPS): compute_tensor cannot look for them on the host
        idx = np.flatnonzero(~np.isfinite(out["cn"]))
        names = ", ".join(f"{symbols[i]}{i}" for i in idx[:10]) + (" ..." if len(idx) > 10
                                                                  else "")
        raise ValueError(
            f"D3: atoms closer than 0.1 Å to another atom or its periodic image: {names}; "
            "fix the structure (duplicated atoms? positions in bohr?)"
        )
    idx = np.flatnonzero(bad)
    names = ", ".join(f"{symbols[i]}{i}" for i in idx[:10]) + (" ..." if len(idx) > 10 else "")
    what = (f"{len(idx)} atom(s): {names}" if len(idx)
            else "the virial only (every per-atom value is finite)")
    raise FloatingPointError(
        f"the D3 kernel produced non-finite energies/forces/stress for {what}. This means "
        "overflow in the dispersion terms (e.g. atoms at unphysically short distances, which "
        "compute_tensor does not look for; the parameters' ranges are checked before); check "
        "the structure."
    )


def _ptr(array, ctype):
    return array.ctypes.data_as(ctypes.POINTER(ctype))


# the C side counts atoms, species and translations in int (csrc/d3_abi.h)
INT_MAX = 2**31 - 1


def _c_array(name: str, value, dtype, shape: tuple) -> np.ndarray:
    """``value`` as the C-contiguous array of ``dtype`` and ``shape`` the kernel reads.

    The C side cannot know the lengths of the arrays it is handed: a shorter one would be
    read past its end. Integer arrays must hold integers (no float truncated to an index).
    ValueError naming the array otherwise.
    """
    arr = np.asarray(value)
    if np.dtype(dtype).kind == "i" and arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"D3 kernel input {name} must be integers, not {arr.dtype}")
    if arr.dtype.kind not in "biuf" or arr.dtype.kind == "b":
        raise ValueError(f"D3 kernel input {name} must be numbers, not {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"D3 kernel input {name} has shape {arr.shape}, the kernel reads "
                         f"{shape}")
    if np.dtype(dtype).kind == "i" and arr.size and (arr.min() < -INT_MAX
                                                     or arr.max() > INT_MAX):
        raise ValueError(f"D3 kernel input {name} holds values beyond a C int")
    return np.ascontiguousarray(arr, dtype=dtype)


def _system(geometry: dict, tables: dict, params: dict, cutoffs: dict):
    """The kernel's D3System and the arrays it points into (keep them alive with it).

    Every array is checked for the shape the kernel reads (ValueError, before any call),
    and converted to a C-contiguous array of the kernel's type; the C side checks the
    values (csrc/d3_abi_exports.h, check_system).
    """
    n = len(geometry["species"])
    ns = len(tables["nref"])
    xyz = geometry["xyz"]
    trans = np.asarray(geometry["trans"])
    ntrans = len(trans) if trans.ndim == 2 else -1
    if n > INT_MAX or ntrans > INT_MAX:
        raise ValueError(f"{n} atoms and {ntrans} translations: the D3 kernel counts them in "
                         f"a C int (at most {INT_MAX})")
    ref = D3_MAX_REF
    keep = {
        "species": _c_array("species", geometry["species"], np.int32, (n,)),
        # a torch tensor's memory is passed as it is (run_kernel_tensor checks it)
        "xyz": np.zeros((0, 3)) if xyz is None or not isinstance(xyz, np.ndarray)
        else _c_array("xyz", xyz, np.float64, (n, 3)),
        "trans": _c_array("trans", trans, np.float64, (max(ntrans, 0), 3)),
        "nref": _c_array("nref", tables["nref"], np.int32, (ns,)),
        "cnref": _c_array("cnref", tables["cnref"], np.float64, (ns, ref)),
        "rcov": _c_array("rcov", tables["rcov"], np.float64, (ns,)),
        "r4r2": _c_array("r4r2", tables["r4r2"], np.float64, (ns,)),
        "r0ab": _c_array("r0ab", tables["r0ab"], np.float64, (ns, ns)),
        "c6ref": _c_array("c6ref", tables["c6ref"], np.float64, (ns, ns, ref, ref)),
    }
    lat = _c_array("lat", geometry["lat"], np.float64, (3, 3))
    s = D3System()
    s.natoms = n
    s.nspecies = len(keep["nref"])
    s.species = _ptr(keep["species"], ctypes.c_int)
    s.xyz = (_ptr(keep["xyz"], ctypes.c_double) if xyz is None or isinstance(xyz, np.ndarray)
             else ctypes.cast(ctypes.c_void_p(xyz.data_ptr()), _dp))
    s.cell_mode = geometry["cell_mode"]
    s.ntrans = len(keep["trans"])
    s.trans = _ptr(keep["trans"], ctypes.c_double)
    s.lat[:] = [float(v) for v in lat.ravel()]
    s.nref = _ptr(keep["nref"], ctypes.c_int)
    for name in ("cnref", "rcov", "r4r2", "r0ab", "c6ref"):
        setattr(s, name, _ptr(keep[name], ctypes.c_double))
    s.damping = params["damping_id"]
    for name in ("s6", "s8", "s9", "a1", "a2", "a3", "a4", "rs6", "rs8", "alp", "bet"):
        setattr(s, name, params[name])
    s.cutoff = cutoffs["cutoff"]
    s.cn_cutoff = cutoffs["cn_cutoff"]
    s.atm_cutoff = cutoffs["atm_cutoff"]
    s.width = cutoffs["width"]
    s.atm = 1 if params["s9"] != 0.0 else 0
    # the homogeneous tail's coefficients per species pair (D3System.tail; absent: NULL,
    # no tail)
    if cutoffs.get("tail") is not None:
        keep["tail"] = _c_array("tail", cutoffs["tail"], np.float64, (ns, ns))
        s.tail = _ptr(keep["tail"], ctypes.c_double)
    return s, keep


def _library(device: str) -> ctypes.CDLL:
    """The library that runs ``device`` (``"cpu"`` or ``"cuda:N"``)."""
    if device.startswith("cuda"):
        return _load_cuda(int(device.partition(":")[2] or 0))
    return cpu_library()


def pair_damping(device: str, tables: dict, params: dict, cutoffs: dict, zi, zj, r):
    """The kernels' damped two-body term of species pairs, without C6.

    A pair of species ``zi``, ``zj`` (indices into ``tables``) at ``r`` bohr adds
    ``-C6 * e`` to the energy without the smooth switch and ``-C6 * e_switched`` with the
    switch of ``cutoffs["width"]`` (equal for a hard cutoff); the library of ``device``
    evaluates them (d3_pair_damping of csrc/d3_abi.h), so that the tail correction
    integrates exactly what the kernels sum.

    Returns
    -------
    e, e_switched : numpy.ndarray
        Same shape as the broadcast of ``zi``, ``zj``, ``r``; hartree per hartree·bohr⁶.
    """
    zi, zj, r = np.broadcast_arrays(np.asarray(zi), np.asarray(zj), np.asarray(r, dtype=float))
    shape = r.shape
    zi = _c_array("zi", zi.ravel(), np.int32, (r.size,))
    zj = _c_array("zj", zj.ravel(), np.int32, (r.size,))
    r = np.ascontiguousarray(r.ravel(), dtype=np.float64)
    geometry = {"species": np.zeros(0, dtype=np.int32), "xyz": np.zeros((0, 3)),
                "trans": np.zeros((1, 3)), "lat": np.zeros((3, 3)), "cell_mode": 0}
    s, _keep = _system(geometry, tables, params, dict(cutoffs, tail=None))
    e, switched = np.empty(r.size), np.empty(r.size)
    call(_library(device), "d3_pair_damping", ctypes.byref(s), r.size, _ptr(zi, ctypes.c_int),
         _ptr(zj, ctypes.c_int), _ptr(r, ctypes.c_double), _ptr(e, ctypes.c_double),
         _ptr(switched, ctypes.c_double), what="d3_pair_damping")
    return e.reshape(shape), switched.reshape(shape)


def gpu_visit_model(geometry: dict, tables: dict, params: dict, cutoffs: dict) -> dict:
    """Pair images each GPU pass visits for a 3D-periodic system (no kernel runs).

    Uses the grids and stencils of the CUDA kernels and their per-atom bin function, run on
    the host through the host build. Returns ``{"cn": ..., "dispersion": ...}`` (the CN chain
    pass visits as many as the CN pass).
    """
    s, _keep = _system(geometry, tables, params, cutoffs)
    out = (ctypes.c_longlong * 2)()
    call(cuda_host_library(), "d3_cuda_visit_model", ctypes.byref(s), out,
         what="the GPU visit model")
    return {"cn": int(out[0]), "dispersion": int(out[1])}


def run_kernel(
    device: str, geometry: dict, tables: dict, params: dict, cutoffs: dict, num_threads: int
) -> dict:
    """Run one evaluation; all inputs in atomic units, outputs too (hartree, bohr).

    ``cutoffs`` holds cutoff, cn_cutoff, atm_cutoff and width (bohr) and, optionally,
    ``tail``, the (nspecies, nspecies) tail coefficients of csrc/d3_abi.h (D3System.tail:
    their dE/dCN enters the gradient and virial; the tail's energy is not in the energies).
    Returns energies (N,), gradient (N, 3), virial sigma (3, 3) = sum dE/dr (x) r, cn (N,).
    A failure inside the kernel raises D3KernelError (D3KernelMemoryError when out of
    memory, both RuntimeError subclasses) with the kernel's message; the process survives.
    """
    n = len(geometry["species"])
    s, _keep = _system(geometry, tables, params, cutoffs)

    energies = np.zeros(n)
    grad = np.zeros((n, 3))
    sigma = np.zeros((3, 3))
    cn = np.zeros(n)
    args = (
        _ptr(energies, ctypes.c_double),
        _ptr(grad, ctypes.c_double),
        _ptr(sigma, ctypes.c_double),
        _ptr(cn, ctypes.c_double),
    )
    if device.startswith("cuda"):
        index = int(device.partition(":")[2] or 0)
        call(_library(device), "d3_cuda_compute", ctypes.byref(s), index,
             _torch_stream(index), *args, what=f"the D3 CUDA kernel on {device}")
    else:
        call(cpu_library(), "d3_cpu_compute", ctypes.byref(s), int(num_threads), *args,
             what="the D3 CPU kernel")
    return {"energies": energies, "gradient": grad, "sigma": sigma, "cn": cn}


def run_kernel_tensor(device: str, geometry: dict, tables: dict, params: dict,
                      cutoffs: dict) -> dict:
    """Run one evaluation on positions that are a torch tensor on the kernel's device.

    ``geometry["xyz"]`` is a contiguous float64 torch tensor (N, 3) in bohr, in the kernel's
    frame, on CUDA device ``device`` (``"cuda:N"``; a CPU tensor with the host emulation).
    Its type, shape, layout and device are checked here (ValueError: the kernel would read
    past its end or another device's memory); its values are not (that needs a wait for the
    device; D3.compute_tensor checks them). The kernel reads it where it is and
    writes its results into new tensors on the same device, queued on torch's current stream:
    energies (N,), gradient (N, 3), sigma (3, 3), in atomic units (hartree, bohr), and the
    coordination numbers cn (N,).
    """
    import torch

    xyz = geometry["xyz"]
    index = int(device.partition(":")[2] or 0)
    n = len(geometry["species"])
    expected = (torch.device("cpu") if cuda_host_mode() is not None
                else torch.device("cuda", index))
    if not isinstance(xyz, torch.Tensor) or xyz.dtype != torch.float64:
        raise ValueError(f"D3 kernel input xyz must be a float64 torch tensor, not "
                         f"{getattr(xyz, 'dtype', type(xyz).__name__)}")
    if tuple(xyz.shape) != (n, 3) or not xyz.is_contiguous() or xyz.device != expected:
        raise ValueError(f"D3 kernel input xyz must be a contiguous ({n}, 3) tensor on "
                         f"{expected}, not {'' if xyz.is_contiguous() else 'non-contiguous '}"
                         f"{tuple(xyz.shape)} on {xyz.device}")
    s, _keep = _system(geometry, tables, params, cutoffs)
    n = len(_keep["species"])
    out = {"energies": torch.empty(n, dtype=torch.float64, device=xyz.device),
           "gradient": torch.empty((n, 3), dtype=torch.float64, device=xyz.device),
           "sigma": torch.empty((3, 3), dtype=torch.float64, device=xyz.device),
           # read only when a result is not finite: NaN marks coincident atoms
           "cn": torch.empty(n, dtype=torch.float64, device=xyz.device)}
    call(_load_cuda(index), "d3_cuda_compute_on_device", ctypes.byref(s), index,
         _torch_stream(index), D3_XYZ_ON_DEVICE | D3_OUT_ON_DEVICE,
         out["energies"].data_ptr(), out["gradient"].data_ptr(), out["sigma"].data_ptr(),
         out["cn"].data_ptr(), what=f"the D3 CUDA kernel on {device}")
    return out
