"""Building, loading and calling the compiled D3 kernels (CPU: g++, CUDA: nvcc) via ctypes.

The shared libraries are compiled on first use and cached under
``$ASE_ELECTROLYTE_CACHE`` or ``$XDG_CACHE_HOME/ase_electrolyte`` (default
``~/.cache/ase_electrolyte``), keyed by a hash of the sources, the flags and, for the CPU
build, the host CPU (``-march=native``) or, for the CUDA build, the GPU architecture. Every
library is written atomically next to a manifest holding its SHA-256 and the compiler that
built it; a file whose checksum does not match (truncated, corrupt, foreign) is rebuilt, a
build from another compiler version is rebuilt when a compiler is present, and a valid
cached build is used on a machine without a compiler.

``device="cuda"`` can also run through a host build of the CUDA source (g++, the CUDA
built-ins emulated by ``csrc/d3_cuda_compat.h``): set ``ASE_ELECTROLYTE_D3_CUDA_HOST=1`` (or
``asan`` for an AddressSanitizer/UBSan build) or call :func:`set_cuda_host`. The tests use it
to run the whole CUDA code path on machines without a GPU.
"""

import ctypes
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

CSRC = Path(__file__).parent / "csrc"
CPU_SOURCES = ("d3_math.h", "d3_cpu.cpp")
CUDA_SOURCES = ("d3_math.h", "d3_cuda_compat.h", "d3_cuda.cu")
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

_dp = ctypes.POINTER(ctypes.c_double)
_ip = ctypes.POINTER(ctypes.c_int)


class D3System(ctypes.Structure):
    """Mirror of ``struct D3System`` in csrc/d3_math.h."""

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
    ]


def cache_dir() -> Path:
    """Folder of the compiled kernels."""
    root = os.environ.get("ASE_ELECTROLYTE_CACHE")
    if root:
        return Path(root) / "d3"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "ase_electrolyte" / "d3"


def _cpu_signature() -> str:
    # -march=native code must not be reused on another CPU sharing the cache folder
    info = platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith(("model name", "flags")):
                    info += line
                if line.strip() == "":
                    break
    except OSError:
        info += platform.processor()
    return info


def _compiler_version(compiler: str) -> str:
    try:
        return subprocess.run(
            [compiler, "--version"], capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def find_cxx(required: bool = True) -> str | None:
    """Path of the C++ compiler (``$CXX``, else g++, c++, clang++).

    RuntimeError if none is found and ``required``, else None.
    """
    for candidate in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    if not required:
        return None
    raise RuntimeError(
        "ase_electrolyte.D3 needs a C++ compiler to build its kernel on first use, and none "
        "was found (tried $CXX, g++, c++, clang++). Install one (e.g. `apt install g++`) or "
        "set CXX."
    )


def find_nvcc() -> str | None:
    """Path of nvcc ($NVCC, PATH, $CUDA_HOME/bin, /usr/local/cuda/bin), or None."""
    candidates = [os.environ.get("NVCC"), shutil.which("nvcc")]
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if home:
            candidates.append(str(Path(home) / "bin" / "nvcc"))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _valid_cached(target: Path, manifest: Path, version: str | None) -> bool:
    """Whether ``target`` is a complete build of this key (and, with a compiler, of it)."""
    try:
        meta = json.loads(manifest.read_text())
        if meta.get("sha256") != _sha256(target):
            return False
    except (OSError, ValueError, AttributeError):
        return False
    return version is None or meta.get("compiler_version") == version


def _writable_cache(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RuntimeError(
            f"cannot create the D3 kernel cache folder {out_dir} ({err.strerror}); set "
            "ASE_ELECTROLYTE_CACHE to a writable folder"
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise RuntimeError(
            f"the D3 kernel cache folder {out_dir} is not writable; set ASE_ELECTROLYTE_CACHE "
            "to a writable folder"
        )


def _build(compiler: str | None, flags, sources, name: str, extra_key: str = "",
           what: str = "the D3 kernel") -> Path:
    """Path of the cached library for this key, compiled first if there is no valid one."""
    h = hashlib.sha256()
    for src in sources:
        h.update((CSRC / src).read_bytes())
    h.update(" ".join(flags).encode())
    h.update(extra_key.encode())
    out_dir = cache_dir()
    stem = f"{name}-{h.hexdigest()[:20]}"
    target = out_dir / f"{stem}.so"
    manifest = out_dir / f"{stem}.json"
    version = _compiler_version(compiler) if compiler else None
    if _valid_cached(target, manifest, version):
        return target
    if compiler is None:
        state = "is corrupt" if target.exists() else "does not exist"
        raise RuntimeError(
            f"{what} must be compiled (its cached build {target} {state}) but no compiler was "
            "found; install one or point ASE_ELECTROLYTE_CACHE at a folder with a build made "
            "on a machine of the same kind"
        )
    _writable_cache(out_dir)
    main = next(s for s in sources if not s.endswith(".h"))
    # build in a private folder, then rename: other processes never see a partial file, and
    # the folder goes away whatever happens
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=out_dir))
    try:
        lib = tmp / "lib.so"
        cmd = [compiler, *flags, "-I", str(CSRC), "-o", str(lib), str(CSRC / main)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"building {what} failed:\n{' '.join(cmd)}\n{proc.stderr}")
        meta = {"sha256": _sha256(lib), "compiler": compiler, "compiler_version": version,
                "flags": list(flags), "sources": list(sources)}
        (tmp / "lib.json").write_text(json.dumps(meta, indent=1))
        os.replace(lib, target)
        os.replace(tmp / "lib.json", manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@lru_cache(maxsize=1)
def cpu_library() -> ctypes.CDLL:
    """The CPU kernel (compiled on first use)."""
    path = _build(find_cxx(required=False), CPU_FLAGS, CPU_SOURCES, "d3_cpu", _cpu_signature(),
                  "the D3 CPU kernel")
    lib = ctypes.CDLL(str(path))
    lib.d3_cpu_compute.argtypes = [ctypes.POINTER(D3System), ctypes.c_int, _dp, _dp, _dp, _dp,
                                   ctypes.c_char_p, ctypes.c_int]
    lib.d3_cpu_compute.restype = ctypes.c_int
    return lib


def _declare_cuda(lib: ctypes.CDLL) -> ctypes.CDLL:
    lib.d3_cuda_compute.argtypes = [ctypes.POINTER(D3System), ctypes.c_int, ctypes.c_void_p,
                                    _dp, _dp, _dp, _dp, ctypes.c_char_p, ctypes.c_int]
    lib.d3_cuda_compute.restype = ctypes.c_int
    lib.d3_cuda_device_count.restype = ctypes.c_int
    lib.d3_cuda_release.restype = None
    lib.d3_cuda_visit_model.argtypes = [ctypes.POINTER(D3System),
                                        ctypes.POINTER(ctypes.c_longlong), ctypes.c_char_p,
                                        ctypes.c_int]
    lib.d3_cuda_visit_model.restype = ctypes.c_int
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
    return _declare_cuda(ctypes.CDLL(str(path)))


@lru_cache(maxsize=2)
def cuda_host_library(sanitize: bool = False) -> ctypes.CDLL:
    """The CUDA source built for the host (g++), optionally with ASan/UBSan.

    A sanitizer build can only be loaded into a process started with the ASan runtime
    preloaded (``LD_PRELOAD=$(g++ -print-file-name=libasan.so)``).
    """
    flags = CUDA_HOST_FLAGS + (SANITIZE_FLAGS if sanitize else ())
    name = "d3_cuda_host_asan" if sanitize else "d3_cuda_host"
    path = _build(find_cxx(), flags, CUDA_SOURCES, name, "", "the D3 CUDA host emulation")
    lib = _declare_cuda(ctypes.CDLL(str(path)))
    lib.d3_cuda_host_set_order.argtypes = [ctypes.c_int, ctypes.c_uint]
    lib.d3_cuda_host_set_order.restype = None
    lib.d3_cuda_host_visits.restype = ctypes.c_longlong
    return lib


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
        cuda_host_library(cuda_host_mode() == "asan").d3_cuda_host_set_order(
            HOST_ORDERS[order], seed)


def cuda_host_mode() -> str | None:
    """``"host"`` or ``"asan"`` when device="cuda" runs on the host emulation, else None."""
    mode = _cuda_host_mode
    if mode is None:
        env = os.environ.get("ASE_ELECTROLYTE_D3_CUDA_HOST", "").strip().lower()
        mode = "off" if env in ("", "0", "off", "false", "no") else (
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
    name = str(device).strip().lower()
    m = re.fullmatch(r"cuda(?::(\d+))?", name)
    if name not in ("auto", "cpu") and m is None:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', not {device!r}")
    if name == "cpu":
        return "cpu"
    if name == "auto":
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
    index = int(m.group(1) or 0)
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
    energy, force or stress reach the caller.
    """
    bad = ~np.isfinite(out["energies"]) | ~np.isfinite(out["gradient"]).all(axis=1)
    if not bad.any() and np.isfinite(out["sigma"]).all():
        return
    idx = np.flatnonzero(bad)
    names = ", ".join(f"{symbols[i]}{i}" for i in idx[:10]) + (" ..." if len(idx) > 10 else "")
    what = (f"{len(idx)} atom(s): {names}" if len(idx)
            else "the virial only (every per-atom value is finite)")
    raise FloatingPointError(
        f"the D3 kernel produced non-finite energies/forces/stress for {what}. This means "
        "overflow in the dispersion terms (e.g. parameters far outside the published ranges "
        "or atoms at unphysically short distances); check the structure and the parameters."
    )


def _ptr(array, ctype):
    return array.ctypes.data_as(ctypes.POINTER(ctype))


def _system(geometry: dict, tables: dict, params: dict, cutoffs: dict):
    """The kernel's D3System and the arrays it points into (keep them alive with it)."""
    n = len(geometry["species"])
    keep = {
        "species": np.ascontiguousarray(geometry["species"], dtype=np.int32),
        "xyz": np.ascontiguousarray(geometry["xyz"], dtype=np.float64),
        "trans": np.ascontiguousarray(geometry["trans"], dtype=np.float64).reshape(-1, 3),
        "nref": np.ascontiguousarray(tables["nref"], dtype=np.int32),
        "cnref": np.ascontiguousarray(tables["cnref"], dtype=np.float64),
        "rcov": np.ascontiguousarray(tables["rcov"], dtype=np.float64),
        "r4r2": np.ascontiguousarray(tables["r4r2"], dtype=np.float64),
        "r0ab": np.ascontiguousarray(tables["r0ab"], dtype=np.float64),
        "c6ref": np.ascontiguousarray(tables["c6ref"], dtype=np.float64),
    }
    s = D3System()
    s.natoms = n
    s.nspecies = len(keep["nref"])
    s.species = _ptr(keep["species"], ctypes.c_int)
    s.xyz = _ptr(keep["xyz"], ctypes.c_double)
    s.cell_mode = geometry["cell_mode"]
    s.ntrans = len(keep["trans"])
    s.trans = _ptr(keep["trans"], ctypes.c_double)
    s.lat[:] = [float(v) for v in np.asarray(geometry["lat"], dtype=np.float64).ravel()]
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
    return s, keep


def gpu_visit_model(geometry: dict, tables: dict, params: dict, cutoffs: dict) -> dict:
    """Pair images each GPU pass visits for a 3D-periodic system (no kernel runs).

    Uses the bins and stencils of the CUDA kernels (built on the host, as the CUDA driver
    does) through the host build. Returns ``{"cn": ..., "dispersion": ...}`` (the CN chain
    pass visits as many as the CN pass).
    """
    s, _keep = _system(geometry, tables, params, cutoffs)
    out = (ctypes.c_longlong * 2)()
    err = ctypes.create_string_buffer(ERRLEN)
    if cuda_host_library().d3_cuda_visit_model(ctypes.byref(s), out, err, ERRLEN) != 0:
        raise ValueError(err.value.decode())
    return {"cn": int(out[0]), "dispersion": int(out[1])}


def run_kernel(
    device: str, geometry: dict, tables: dict, params: dict, cutoffs: dict, num_threads: int
) -> dict:
    """Run one evaluation; all inputs in atomic units, outputs too (hartree, bohr).

    Returns energies (N,), gradient (N, 3), virial sigma (3, 3) = sum dE/dr (x) r, cn (N,).
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
    err = ctypes.create_string_buffer(ERRLEN)
    if device.startswith("cuda"):
        index = int(device.partition(":")[2] or 0)
        lib = _load_cuda(index)
        code = lib.d3_cuda_compute(ctypes.byref(s), index, _torch_stream(index), *args, err,
                                   ERRLEN)
        if code != 0:
            raise RuntimeError(f"D3 CUDA kernel failed on {device}: {err.value.decode()}")
    else:
        code = cpu_library().d3_cpu_compute(ctypes.byref(s), int(num_threads), *args, err,
                                            ERRLEN)
        if code != 0:
            raise RuntimeError(f"D3 CPU kernel failed: {err.value.decode()}")
    return {"energies": energies, "gradient": grad, "sigma": sigma, "cn": cn}
