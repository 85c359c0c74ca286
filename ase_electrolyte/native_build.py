"""Build cache for the compiled kernels: compile on first use, verify on every use.

The package's C++/CUDA kernels (the DFT-D3 kernels in ``ase_electrolyte/d3/csrc``, the RDF
pair histogram in ``mda_electrolyte/csrc``) are shared libraries loaded with :mod:`ctypes`.
They are compiled the first time they are needed and kept in a cache folder:

``$ASE_ELECTROLYTE_CACHE/<subdir>``, else ``$XDG_CACHE_HOME/ase_electrolyte/<subdir>``,
else ``~/.cache/ase_electrolyte/<subdir>``.

A build is named ``<name>-<key>.so`` where ``key`` is the first 20 hex digits of

.. math:: \\mathrm{SHA256}(\\text{sources} \\,\\|\\, \\text{flags} \\,\\|\\,
          \\text{signature})

over the bytes of every source file (headers included, wherever they live), the compiler
flags and a machine
signature (the CPU model and instruction-set flags for ``-march=native`` code, the GPU
architecture for CUDA code), so builds for different machines sharing one cache folder (a
cluster home directory) never mix. Next to each library, ``<name>-<key>.json`` records the
library's SHA-256, the compiler and its ``--version`` text, the flags and the sources.

A cached library is used only if its SHA-256 matches the manifest (a truncated, corrupt or
foreign file is rebuilt) and, when a compiler is present, only if that compiler's version is
the one that built it (a compiler upgrade rebuilds). Without a compiler, a cached build that
passes its checksum is used; this is why the compiler version lives in the manifest and not
in the file name: the name must be computable on a machine with no compiler.

Builds are atomic and safe to run concurrently: the compiler writes into a private temporary
folder, the library and the manifest are moved into place with :func:`os.replace`, and the
whole build runs under an exclusive lock (``<name>-<key>.lock``, :func:`fcntl.flock`) so that
processes starting together compile once and the others wait and reuse the result. Temporary
folders left by a compile that was killed (``SIGKILL``, a node going down) are removed by the
next build of the same library.

The compiler is ``$CXX`` when it is set, else the first of g++, c++, clang++ on ``PATH``.
A ``$CXX`` that names no executable is an error (:class:`CompilerSettingError`), also where
a cached build could serve: a user who chose a compiler is told, never given another one.

Headers shared by the kernels of both packages live in :data:`SHARED_CSRC`
(``ase_electrolyte/csrc``): the neighbour engine ``cell_list.h`` of the D3 CPU kernel and the
RDF pair histogram. A build lists such a header among its sources by its path (a source is
relative to the build's ``source_dir`` or absolute); its folder is added to the include path
and its bytes to the key, so editing the shared header rebuilds both kernels.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

try:  # POSIX; elsewhere concurrent builds are still atomic, only not deduplicated
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

__all__ = [
    "SHARED_CSRC",
    "NativeBuildError",
    "CompilerNotFoundError",
    "CompilerSettingError",
    "CacheNotWritableError",
    "cache_root",
    "cache_dir",
    "cpu_signature",
    "compiler_version",
    "find_cxx",
    "find_nvcc",
    "file_sha256",
    "cache_key",
    "is_valid_build",
    "build_library",
    "load_library",
]


#: Folder of the C++ headers shared by the kernels of ``ase_electrolyte`` and
#: ``mda_electrolyte`` (the base package holds them; both packages' builds read them from here).
SHARED_CSRC = Path(__file__).resolve().parent / "csrc"


class NativeBuildError(RuntimeError):
    """A compiled kernel could not be built or loaded (the message says why and what to do)."""


class CompilerNotFoundError(NativeBuildError):
    """A kernel must be compiled but no compiler was found."""


class CompilerSettingError(NativeBuildError):
    """``$CXX`` names a compiler that cannot be found (never silently replaced by another)."""


class CacheNotWritableError(NativeBuildError):
    """The cache folder cannot be created or written; the message names it."""


def cache_root() -> Path:
    """Root of the build cache.

    Returns
    -------
    pathlib.Path
        ``$ASE_ELECTROLYTE_CACHE``, else ``$XDG_CACHE_HOME/ase_electrolyte``, else
        ``~/.cache/ase_electrolyte``; always absolute. Read at every call, so changing the
        environment variable takes effect immediately.

    Notes
    -----
    A ``~`` in ``$ASE_ELECTROLYTE_CACHE`` (quoted in a shell, so not expanded there) is the
    home folder, not a folder named ``~`` under the working folder, and a relative value is
    taken from the working folder once, here, so the library path stays valid after a
    ``chdir``. A relative ``$XDG_CACHE_HOME`` is ignored, as the XDG Base Directory
    specification asks.
    """
    root = os.environ.get("ASE_ELECTROLYTE_CACHE")
    if root:
        return Path(os.path.abspath(os.path.expanduser(root)))
    xdg = os.environ.get("XDG_CACHE_HOME")
    if not xdg or not os.path.isabs(xdg):
        xdg = str(Path.home() / ".cache")
    return Path(xdg) / "ase_electrolyte"


def cache_dir(subdir: str) -> Path:
    """Cache folder of one family of kernels (``"d3"``, ``"mda_electrolyte"``).

    Parameters
    ----------
    subdir : str
        Folder name under :func:`cache_root`.

    Returns
    -------
    pathlib.Path
        Not created here; :func:`build_library` creates it when it compiles.
    """
    return cache_root() / subdir


def cpu_signature() -> str:
    """Text identifying the host CPU: architecture, model name and instruction-set flags.

    ``-march=native`` code must not be reused on another CPU that shares the cache folder,
    so this enters the key of every CPU build. Read from the first processor block of
    ``/proc/cpuinfo`` (all cores of one machine are alike), else :func:`platform.processor`.
    """
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


def compiler_version(compiler: str) -> str:
    """The ``--version`` output of ``compiler`` (empty if it cannot be run)."""
    try:
        return subprocess.run(
            [compiler, "--version"], capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def find_cxx(required: bool = True, purpose: str = "ase_electrolyte") -> str | None:
    """Path of the C++ compiler: ``$CXX``, else ``g++``, ``c++``, ``clang++`` on ``PATH``.

    Parameters
    ----------
    required : bool
        If True, raise when none is found; else return None.
    purpose : str
        Who needs the compiler, for the error message (``"ase_electrolyte.D3"``).

    Raises
    ------
    CompilerSettingError
        ``$CXX`` is set but names no executable (whatever ``required`` says): a user who
        chose a compiler is told, rather than another compiler being used in its place.
    CompilerNotFoundError
        No compiler and ``required``.
    """
    chosen = os.environ.get("CXX", "").strip()
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            hint = (" (one executable is run without a shell: no arguments or wrappers such "
                    "as 'ccache g++')" if len(chosen.split()) > 1 else "")
            raise CompilerSettingError(
                f"{purpose}: the C++ compiler named by $CXX ({chosen!r}) was not found or is "
                f"not executable{hint}; set CXX to an installed compiler or unset it to use "
                "g++, c++ or clang++ from PATH"
            )
        return found
    for candidate in ("g++", "c++", "clang++"):
        if shutil.which(candidate):
            return shutil.which(candidate)
    if not required:
        return None
    raise CompilerNotFoundError(
        f"{purpose} needs a C++ compiler to build its kernel on first use, and none "
        "was found (tried $CXX, g++, c++, clang++). Install one (e.g. `apt install g++`) or "
        "set CXX."
    )


def find_nvcc() -> str | None:
    """Path of nvcc (``$NVCC``, ``PATH``, ``$CUDA_HOME/bin``, ``$CUDA_PATH/bin``,
    ``/usr/local/cuda/bin``), or None."""
    candidates = [os.environ.get("NVCC"), shutil.which("nvcc")]
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if home:
            candidates.append(str(Path(home) / "bin" / "nvcc"))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def file_sha256(path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_key(source_dir, sources: Sequence[str], flags: Sequence[str],
              signature: str = "") -> str:
    """The 20-hex-digit key of a build: SHA-256 of the sources, the flags and ``signature``.

    Parameters
    ----------
    source_dir : str or pathlib.Path
        Folder of the sources.
    sources : sequence of str
        Every file the build reads, headers included, relative to ``source_dir`` or
        absolute (a shared header in :data:`SHARED_CSRC`). Only the bytes enter the key,
        not the paths, so an installation in another folder has the same keys.
    flags : sequence of str
        Compiler flags.
    signature : str
        Machine signature (:func:`cpu_signature`, a GPU architecture), or anything else
        that must separate builds.
    """
    h = hashlib.sha256()
    for src in sources:
        h.update((Path(source_dir) / src).read_bytes())
    h.update(" ".join(flags).encode())
    h.update(signature.encode())
    return h.hexdigest()[:20]


def _include_dirs(source_dir: Path, sources: Sequence[str]) -> list[Path]:
    """``source_dir``, then the folder of every header outside it, each once."""
    dirs = [source_dir]
    for src in sources:
        if src.endswith(".h"):
            folder = (source_dir / src).parent
            if not any(folder.resolve() == d.resolve() for d in dirs):
                dirs.append(folder)
    return dirs


def _manifest(target: Path) -> Path:
    return target.with_suffix(".json")


def is_valid_build(target, version: str | None = None) -> bool:
    """Whether ``target`` is a complete build recorded by its manifest.

    Parameters
    ----------
    target : str or pathlib.Path
        The library; its manifest is the ``.json`` file of the same name.
    version : str or None
        The present compiler's ``--version`` text; if given, the build must come from it.
        None (no compiler here) checks the checksum only.
    """
    target = Path(target)
    try:
        meta = json.loads(_manifest(target).read_text())
        if meta.get("sha256") != file_sha256(target):
            return False
    except (OSError, ValueError, AttributeError):
        return False
    return version is None or meta.get("compiler_version") == version


def _ensure_writable(out_dir: Path) -> None:
    fix = "set ASE_ELECTROLYTE_CACHE to a writable folder"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CacheNotWritableError(
            f"cannot create the kernel cache folder {out_dir} ({err.strerror}); {fix}"
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise CacheNotWritableError(f"the kernel cache folder {out_dir} is not writable; {fix}")


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive lock on ``lock_path`` (released by the OS if the process dies)."""
    with open(lock_path, "a") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def build_library(compiler: str | None, sources: Sequence[str], flags: Sequence[str], *,
                  source_dir, name: str, subdir: str, signature: str = "",
                  what: str = "the kernel") -> Path:
    """Path of the cached library for this key, compiled first if there is no valid one.

    Parameters
    ----------
    compiler : str or None
        Compiler executable (g++, nvcc, ...); None where none is installed, in which case
        only a valid cached build can be returned.
    sources : sequence of str
        Files of the build relative to ``source_dir`` or absolute, headers included (all
        enter the key); the first that does not end in ``.h`` is the one compiled. A header
        in another folder (a shared one in :data:`SHARED_CSRC`) is included by its file name:
        its folder goes on the include path.
    flags : sequence of str
        Compiler flags; ``-I source_dir``, ``-I`` of each other header folder and
        ``-o <library> <source>`` are appended.
    source_dir : str or pathlib.Path
        Folder of the sources.
    name : str
        Stem of the library file (``"d3_cpu"``).
    subdir : str
        Cache folder under :func:`cache_root`.
    signature : str
        Machine signature entering the key (see :func:`cache_key`).
    what : str
        What is built, for messages (``"the D3 CPU kernel"``).

    Returns
    -------
    pathlib.Path
        The library, with a manifest whose checksum matches it.

    Raises
    ------
    CompilerNotFoundError
        No valid cached build and ``compiler`` is None.
    CacheNotWritableError
        The cache folder cannot be created or written (the message names it).
    NativeBuildError
        The compiler failed (the message holds its command line and error output).
    """
    source_dir = Path(source_dir)
    out_dir = cache_dir(subdir)
    stem = f"{name}-{cache_key(source_dir, sources, flags, signature)}"
    target = out_dir / f"{stem}.so"
    version = compiler_version(compiler) if compiler else None
    if is_valid_build(target, version):
        return target
    if compiler is None:
        state = "is corrupt" if target.exists() else "does not exist"
        raise CompilerNotFoundError(
            f"{what} must be compiled (its cached build {target} {state}) but no compiler was "
            "found; install one or point ASE_ELECTROLYTE_CACHE at a folder with a build made "
            "on a machine of the same kind"
        )
    _ensure_writable(out_dir)
    main = next(s for s in sources if not s.endswith(".h"))
    with _exclusive(out_dir / f"{stem}.lock"):
        # another process may have finished this build while we waited for the lock
        if is_valid_build(target, version):
            return target
        # we hold the lock, so any temporary folder of this build is from a dead compile
        for stale in out_dir.glob(f".{stem}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        # build in a private folder, then rename: other processes never see a partial file
        tmp = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=out_dir))
        try:
            lib = tmp / "lib.so"
            includes = [arg for d in _include_dirs(source_dir, sources)
                        for arg in ("-I", str(d))]
            cmd = [compiler, *flags, *includes, "-o", str(lib), str(source_dir / main)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise NativeBuildError(
                    f"building {what} failed:\n{' '.join(cmd)}\n{proc.stderr}")
            meta = {"sha256": file_sha256(lib), "compiler": compiler,
                    "compiler_version": version, "flags": list(flags),
                    "sources": list(sources), "signature": signature}
            (tmp / "lib.json").write_text(json.dumps(meta, indent=1))
            os.replace(lib, target)
            os.replace(tmp / "lib.json", _manifest(target))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_library(path, what: str = "the kernel") -> ctypes.CDLL:
    """Load a library built by :func:`build_library`, after checking it against its manifest.

    Parameters
    ----------
    path : str or pathlib.Path
        The library.
    what : str
        What it is, for the error message.

    Raises
    ------
    NativeBuildError
        The file does not match the checksum in its manifest (changed since it was built),
        or the manifest is missing.
    """
    path = Path(path)
    if not is_valid_build(path):
        raise NativeBuildError(
            f"{what} at {path} does not match the checksum of its manifest "
            f"{_manifest(path)} (truncated, overwritten or foreign); delete it to rebuild"
        )
    return ctypes.CDLL(str(path))
