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
``$CC``, ``$CXXFLAGS`` and ``$LDFLAGS`` are not read: each kernel's flags are fixed and part of
its key, so a build is reproducible from its manifest.

The compiler is given a snapshot of the source bytes that made the key (copied into the
build's temporary folder), so a source edited or checked out during a compile cannot be
cached under the key of the older text. A library is published only if it exists and loads
(``dlopen`` with every symbol resolved, in a child process with this environment): a
"compiler" that exits 0 without writing one, or a C compiler (``CXX=gcc``: no C++ runtime
linked, ``undefined symbol``), is reported by name instead of leaving a cached library that
fails on every later load. A cache folder on a full disk or read-only file system is named in
the error (:class:`CacheNotWritableError`); where the folder cannot be written and its build
came from another version of the compiler, that build (its checksum verified) is used with a
warning instead of failing.

Headers shared by the kernels of both packages live in :data:`SHARED_CSRC`
(``ase_electrolyte/csrc``): the neighbour engine ``cell_list.h`` of the D3 CPU kernel and the
RDF pair histogram. A build lists such a header among its sources by its path (a source is
relative to the build's ``source_dir`` or absolute); it is compiled beside the other sources
(copies in one folder, included by file name) and its bytes enter the key, so editing the
shared header rebuilds both kernels.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import warnings
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


# flock's errors on file systems without locks (NFS without lockd, some FUSE mounts)
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}


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
    specification asks. A value of blanks is taken as unset, as an empty one.
    """
    # blanks (``ASE_ELECTROLYTE_CACHE=" "`` from a shell script) are unset, as an empty
    # value: taken literally they made a folder named by spaces in the working folder
    root = os.environ.get("ASE_ELECTROLYTE_CACHE", "").strip()
    if root:
        return Path(os.path.abspath(os.path.expanduser(root)))
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
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
              signature: str = "", snapshot: dict | None = None) -> str:
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
    snapshot : dict, optional
        File name -> bytes of the sources, already read (the text that is compiled);
        default: read them now.
    """
    h = hashlib.sha256()
    for src in sources:
        path = Path(source_dir) / src
        h.update(path.read_bytes() if snapshot is None else snapshot[path.name])
    h.update(" ".join(flags).encode())
    h.update(signature.encode())
    return h.hexdigest()[:20]


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


def _root_source() -> str:
    """Where :func:`cache_root` came from, for messages."""
    if os.environ.get("ASE_ELECTROLYTE_CACHE", "").strip():
        return "$ASE_ELECTROLYTE_CACHE"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return "$XDG_CACHE_HOME" if xdg and os.path.isabs(xdg) else "the home folder's .cache"


def _blocking_file(folder: Path) -> Path | None:
    """The nearest existing ancestor of ``folder`` (itself included) if it is no folder."""
    for part in (folder, *folder.parents):
        if os.path.lexists(part):
            return None if part.is_dir() else part
    return None


def _ensure_writable(out_dir: Path) -> None:
    fix = "set ASE_ELECTROLYTE_CACHE to a writable folder"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        # a cache variable pointing at a file (a library path pasted for a folder) said only
        # "Not a directory" about a folder below it
        blocker = _blocking_file(out_dir)
        why = (f"{blocker} is a file, not a folder (the cache folder comes from "
               f"{_root_source()})" if blocker is not None else err.strerror)
        raise CacheNotWritableError(
            f"cannot create the kernel cache folder {out_dir} ({why}); {fix}"
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise CacheNotWritableError(f"the kernel cache folder {out_dir} is not writable; {fix}")


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive lock on ``lock_path`` (released by the OS if the process dies);
    yields whether it is held.

    flock needs only a descriptor, so a lock file of another user of a shared cache folder
    (mode 644) is opened for reading. Where the file system has no locks (an NFS mount without
    lockd: ENOLCK, EOPNOTSUPP) the build goes on unlocked: it is still published atomically,
    only processes starting together may compile twice.
    """
    try:
        fh = open(lock_path, "a")
    except PermissionError:
        fh = open(lock_path)
    with fh:
        locked = False
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                locked = True
            except OSError as err:
                if err.errno not in _NO_LOCKS:
                    raise
        try:
            yield locked
        finally:
            if locked:
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
        enter the key); the first that does not end in ``.h`` is the one compiled. They are
        compiled from copies in one folder, so each is included by its file name (a shared
        header in :data:`SHARED_CSRC` too) and no two may share a file name.
    flags : sequence of str
        Compiler flags; ``-I`` of the folder of the source copies and
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
        The cache folder cannot be created or written, also part-way (a full disk); the
        message names it.
    NativeBuildError
        The compiler failed (the message holds its command line and error output), could
        not be run, wrote no library or one that does not load (a C compiler as ``$CXX``).

    Warns
    -----
    RuntimeWarning
        The cache folder is not writable and its build (checksum intact) was made by
        another compiler version: that build is returned.
    """
    source_dir = Path(source_dir)
    out_dir = cache_dir(subdir)
    # the bytes read once make the key and are what is compiled
    snapshot = _read_sources(source_dir, sources)
    stem = f"{name}-{cache_key(source_dir, sources, flags, signature, snapshot)}"
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
    try:
        _ensure_writable(out_dir)
    except CacheNotWritableError as err:
        if not is_valid_build(target):
            raise
        # a read-only shared cache built by another compiler version: the build is intact
        # (checksum) and made from these sources and flags for this machine; use it
        warnings.warn(f"{what}: using {target}, built by another compiler version, because "
                      f"it cannot be rebuilt here ({err})", RuntimeWarning, stacklevel=3)
        return target
    try:
        _check_replaceable(out_dir / f"{stem}.lock", what)
        with _exclusive(out_dir / f"{stem}.lock") as locked:
            # another process may have finished this build while we waited for the lock
            if is_valid_build(target, version):
                return target
            _check_replaceable(target, what)
            _check_replaceable(_manifest(target), what)
            # while we hold the lock any temporary folder of this build is from a dead
            # compile; without one (no locks on this file system) it may be a live one's
            for stale in out_dir.glob(f".{stem}-*") if locked else ():
                shutil.rmtree(stale, ignore_errors=True)
            # build in a private folder, then rename: other processes never see a partial file
            tmp = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=out_dir))
            try:
                _compile(compiler, flags, sources, snapshot, tmp, what)
                meta = {"sha256": file_sha256(tmp / "lib.so"), "compiler": compiler,
                        "compiler_version": version, "flags": list(flags),
                        "sources": list(sources), "signature": signature}
                (tmp / "lib.json").write_text(json.dumps(meta, indent=1))
                os.replace(tmp / "lib.so", target)
                os.replace(tmp / "lib.json", _manifest(target))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as err:  # a full disk, a file system gone read-only, a quota
        raise CacheNotWritableError(
            f"cannot write {what} into the kernel cache folder {out_dir} "
            f"({err.strerror or err}); free space there or set ASE_ELECTROLYTE_CACHE to a "
            "writable folder") from None
    return target


def _check_replaceable(path: Path, what: str) -> None:
    """Refuse, before compiling, a folder where a build's file is to be published.

    :func:`os.replace` cannot put a file over a folder: the compile would run and then fail
    with "Is a directory", reported as a full disk. A symbolic link (to anything) is replaced.
    """
    if path.is_dir() and not path.is_symlink():
        raise CacheNotWritableError(
            f"cannot build {what}: {path} in the kernel cache is a folder, not a file; remove "
            "it (the build is published under that name) or set ASE_ELECTROLYTE_CACHE to "
            "another folder")


def _read_sources(source_dir: Path, sources: Sequence[str]) -> dict[str, bytes]:
    """File name -> bytes of every source, read once (the snapshot that is compiled)."""
    snapshot = {}
    for src in sources:
        path = Path(source_dir) / src
        if path.name in snapshot:
            raise NativeBuildError(f"two sources of one build are named {path.name!r}: "
                                   "they are included by file name, so one would hide the other")
        snapshot[path.name] = path.read_bytes()
    return snapshot


def _compile(compiler: str, flags, sources, snapshot: dict, tmp: Path, what: str) -> None:
    """Compile the snapshot into ``tmp/lib.so`` and check that the library loads."""
    folder = tmp / "src"
    folder.mkdir()
    for file_name, data in snapshot.items():
        (folder / file_name).write_bytes(data)
    main = Path(next(s for s in sources if not s.endswith(".h"))).name
    lib = tmp / "lib.so"
    cmd = [compiler, *flags, "-I", str(folder), "-o", str(lib), str(folder / main)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as err:  # not an executable any more, a script without interpreter
        raise NativeBuildError(f"building {what}: cannot run the compiler {compiler} "
                               f"({err.strerror or err}); set CXX to a C++ compiler") from None
    if proc.returncode != 0:
        raise NativeBuildError(f"building {what} failed:\n{' '.join(cmd)}\n{proc.stderr}")
    if not lib.is_file():
        raise NativeBuildError(
            f"building {what}: the compiler {compiler} exited without an error but wrote no "
            f"library ({' '.join(cmd)}); set CXX to a C++ compiler")
    problem = _load_problem(lib)
    if problem:
        raise NativeBuildError(
            f"building {what}: the library made by {compiler} does not load ({problem}); "
            "if CXX names a C compiler (gcc, cc: no C++ runtime linked), set it to a C++ "
            "compiler (g++, clang++) or unset it")


def _load_problem(lib: Path) -> str:
    """Why ``lib`` cannot be loaded with every symbol resolved ('' if it can).

    Tried in a child Python with this environment (an ``LD_PRELOAD`` of a sanitizer runtime
    included), so that a library that does not load never enters this process.
    """
    code = "import ctypes, os, sys; ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW)"
    try:
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(lib)],
                              capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as err:
        return f"the load test did not run: {err}"
    if proc.returncode == 0:
        return ""
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


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
        the manifest is missing, or the library does not load (the loader's message).

    Notes
    -----
    A library published at a path after another was loaded from it in this process (a
    foreign or corrupt build deleted and rebuilt) is loaded from a private copy: the
    dynamic loader would return the first one. The same build loaded again is the same
    object.
    """
    path = Path(path)
    if not is_valid_build(path):
        raise NativeBuildError(
            f"{what} at {path} does not match the checksum of its manifest "
            f"{_manifest(path)} (truncated, overwritten or foreign); delete it to rebuild"
        )
    sha = json.loads(_manifest(path).read_text())["sha256"]
    loaded = _LOADED.setdefault(str(path.resolve()), {})
    if sha in loaded:
        return loaded[sha]
    try:
        lib = _load_private_copy(path, sha) if loaded else ctypes.CDLL(str(path))
    except OSError as err:  # built elsewhere against another C++ runtime, say
        raise NativeBuildError(
            f"{what} at {path} does not load ({err}); delete it and its manifest to rebuild "
            "it here") from None
    loaded[sha] = lib
    return lib


# the libraries loaded in this process, by cache path and checksum: the dynamic loader
# returns the library first loaded under a path, so a build published there later (a foreign
# or corrupt file deleted and rebuilt) would have been served by the first one
_LOADED: dict = {}


def _load_private_copy(path: Path, sha: str) -> ctypes.CDLL:
    """Load ``path`` from a copy under a name of its own (see :data:`_LOADED`), checked
    against ``sha`` after copying; the copy is removed once loaded (it stays mapped)."""
    folder = Path(tempfile.mkdtemp(prefix="ase_electrolyte-reload-"))
    try:
        copy = folder / f"{path.stem}-{sha[:16]}{path.suffix}"
        shutil.copyfile(path, copy)
        if file_sha256(copy) != sha:
            raise OSError(f"it changed while it was copied to {copy}")
        return ctypes.CDLL(str(copy))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
