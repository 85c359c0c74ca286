"""Building, loading and calling the compiled D3 kernels (CPU: g++, CUDA: nvcc) via ctypes.

The shared libraries are compiled on first use and cached under
``$ASE_ELECTROLYTE_CACHE`` or ``$XDG_CACHE_HOME/ase_electrolyte`` (default
``~/.cache/ase_electrolyte``), keyed by a hash of the sources, the compiler, its flags and,
for the CPU build, the host CPU (the build uses ``-march=native``).
"""

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

CSRC = Path(__file__).parent / "csrc"
CPU_SOURCES = ("d3_math.h", "d3_cpu.cpp")
CUDA_SOURCES = ("d3_math.h", "d3_cuda.cu")
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
CUDA_FLAGS = ("-O3", "-std=c++17", "-shared", "-Xcompiler", "-fPIC", "-arch=native")

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


def find_cxx() -> str:
    """Path of the C++ compiler (``$CXX``, else g++, else c++); RuntimeError if none."""
    for candidate in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
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


def _build(compiler: str, flags, sources, name: str, extra_key: str = "") -> Path:
    h = hashlib.sha256()
    for src in sources:
        h.update((CSRC / src).read_bytes())
    h.update(" ".join(flags).encode())
    h.update(compiler.encode())
    h.update(_compiler_version(compiler).encode())
    h.update(extra_key.encode())
    out_dir = cache_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}-{h.hexdigest()[:16]}.so"
    if target.exists():
        return target
    main = next(s for s in sources if not s.endswith(".h"))
    # build to a private name, then rename: concurrent processes never see a partial file
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=out_dir)
    os.close(fd)
    cmd = [compiler, *flags, "-I", str(CSRC), "-o", tmp, str(CSRC / main)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        os.unlink(tmp)
        raise RuntimeError(f"building the D3 kernel failed:\n{' '.join(cmd)}\n{proc.stderr}")
    os.replace(tmp, target)
    return target


@lru_cache(maxsize=1)
def cpu_library() -> ctypes.CDLL:
    """The CPU kernel (compiled on first use)."""
    lib = ctypes.CDLL(str(_build(find_cxx(), CPU_FLAGS, CPU_SOURCES, "d3_cpu", _cpu_signature())))
    lib.d3_cpu_compute.argtypes = [ctypes.POINTER(D3System), ctypes.c_int, _dp, _dp, _dp, _dp]
    lib.d3_cpu_compute.restype = ctypes.c_int
    return lib


@lru_cache(maxsize=1)
def cuda_library() -> ctypes.CDLL:
    """The CUDA kernel (compiled with nvcc on first use); RuntimeError if impossible."""
    nvcc = find_nvcc()
    if nvcc is None:
        raise RuntimeError("device='cuda' needs nvcc to build the D3 CUDA kernel; none found")
    lib = ctypes.CDLL(str(_build(nvcc, CUDA_FLAGS, CUDA_SOURCES, "d3_cuda")))
    lib.d3_cuda_compute.argtypes = [ctypes.POINTER(D3System), _dp, _dp, _dp, _dp]
    lib.d3_cuda_compute.restype = ctypes.c_int
    lib.d3_cuda_last_error.restype = ctypes.c_char_p
    lib.d3_cuda_device_count.restype = ctypes.c_int
    return lib


@lru_cache(maxsize=1)
def cuda_available() -> bool:
    """True when a CUDA GPU is usable (torch says so, or the CUDA runtime finds a device)."""
    import torch

    if torch.cuda.is_available():
        return find_nvcc() is not None
    if find_nvcc() is None:
        return False
    for name in ("libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"):
        try:
            rt = ctypes.CDLL(name)
        except OSError:
            continue
        count = ctypes.c_int(0)
        return rt.cudaGetDeviceCount(ctypes.byref(count)) == 0 and count.value > 0
    return False


def select_device(device: str) -> str:
    """Resolve ``"auto"``/``"cpu"``/``"cuda"`` to the backend that will run."""
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', not {device!r}")
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        raise RuntimeError("device='cuda' requested but no usable CUDA GPU (with nvcc) was found")
    return device


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


def run_kernel(
    device: str, geometry: dict, tables: dict, params: dict, cutoffs: dict, num_threads: int
) -> dict:
    """Run one evaluation; all inputs in atomic units, outputs too (hartree, bohr).

    Returns energies (N,), gradient (N, 3), virial sigma (3, 3) = sum dE/dr (x) r, cn (N,).
    """
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
    if device == "cuda":
        lib = cuda_library()
        if lib.d3_cuda_compute(ctypes.byref(s), *args) != 0:
            raise RuntimeError(f"D3 CUDA kernel failed: {lib.d3_cuda_last_error().decode()}")
    else:
        code = cpu_library().d3_cpu_compute(ctypes.byref(s), int(num_threads), *args)
        if code != 0:
            raise RuntimeError(f"D3 CPU kernel failed with code {code}")
    return {"energies": energies, "gradient": grad, "sigma": sigma, "cn": cn}
