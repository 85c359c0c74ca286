"""Faults of the kernel build cache (ase_electrolyte.native_build) met by users.

Each must end in a clear error naming the cause, or a correct build, and never leave a cached
library that fails on every later load: a "compiler" that writes nothing or a library that
does not load (a C compiler as $CXX), a compiler that cannot be run, a full disk part-way
through publishing a build, a read-only cache with a build of another compiler version, and
a source edited while it compiles.
"""

import errno
import json
import re
import shutil
import stat
import subprocess

import pytest

from ase_electrolyte import native_build as nb

FLAGS = ("-O0", "-shared", "-fPIC")
SOURCES = ("probe.h", "probe.cpp")

needs_cxx = pytest.mark.skipif(nb.find_cxx(required=False) is None, reason="no C++ compiler")


@pytest.fixture
def src(tmp_path, monkeypatch):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "probe.h").write_text("#define ANSWER 42\n")
    (folder / "probe.cpp").write_text(
        '#include "probe.h"\nextern "C" int probe() { return ANSWER; }\n')
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path / "cache"))
    return folder


def build(src, compiler=None, sources=SOURCES):
    compiler = compiler or nb.find_cxx()
    return nb.build_library(compiler, sources, FLAGS, source_dir=src, name="probe",
                            subdir="probes", what="the probe")


def published(tmp_path):
    """Libraries, manifests and temporary folders left in the probe cache folder."""
    folder = tmp_path / "cache" / "probes"
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock")) \
        if folder.exists() else []


def script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_compiler_that_writes_no_library_is_named(src, tmp_path):
    # was: FileNotFoundError of a temporary path (CXX=/bin/true, a wrapper that drops -o)
    fake = script(tmp_path / "quiet-cxx", "exit 0\n")
    with pytest.raises(nb.NativeBuildError,
                       match=rf"the compiler {fake} exited without an error but wrote no "
                             r"library .*set CXX to a C\+\+ compiler"):
        build(src, fake)
    assert published(tmp_path) == []


@needs_cxx
def test_library_that_does_not_load_is_not_cached(src, tmp_path):
    # was: CXX=gcc built the D3 kernel without the C++ runtime; the library was cached with a
    # valid manifest and every load failed with OSError 'undefined symbol' (also later,
    # without a compiler, from the cache)
    (src / "runtime.cpp").write_text(
        '#include <stdexcept>\nstruct Base { virtual ~Base() {} };\n'
        'struct Derived : Base {};\n'
        'extern "C" int probe() {\n  try { throw std::runtime_error("x"); }\n'
        '  catch (const std::exception&) { Base* b = new Derived; delete b; return 42; }\n}\n')
    (src / "missing.cpp").write_text('extern "C" int missing_symbol();\n'
                                     'extern "C" int probe() { return missing_symbol(); }\n')
    cases = [(nb.find_cxx(), "missing.cpp", "undefined symbol: missing_symbol")]
    gcc = shutil.which("gcc")
    if gcc and "Free Software" in nb.compiler_version(gcc):
        cases.append((gcc, "runtime.cpp", "undefined symbol"))
    for compiler, source, why in cases:
        with pytest.raises(nb.NativeBuildError,
                           match=rf"the library made by {re.escape(compiler)} does not load "
                                 rf"\(.*{why}.*\); if CXX names a C compiler"):
            build(src, compiler, sources=(source,))
        assert published(tmp_path) == []
    # the same runtime-using source built by the C++ compiler loads and runs
    assert nb.load_library(build(src, sources=("runtime.cpp",))).probe() == 42


def test_compiler_that_cannot_be_run_is_named(src, tmp_path):
    garbage = tmp_path / "not-a-program"
    garbage.write_bytes(b"\x00\x01 no interpreter line")
    garbage.chmod(0o755)
    with pytest.raises(nb.NativeBuildError,
                       match=rf"cannot run the compiler {garbage} \(Exec format error\)"):
        build(src, str(garbage))
    assert published(tmp_path) == []


@needs_cxx
@pytest.mark.parametrize("step", ["library", "manifest"])
def test_full_disk_while_publishing_names_the_cache_folder(src, tmp_path, monkeypatch, step):
    # was: OSError '[Errno 28] No space left on device' naming nothing
    real = nb.os.replace

    def replace(a, b):
        if str(b).endswith(".so" if step == "library" else ".json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(a, b)

    monkeypatch.setattr(nb.os, "replace", replace)
    folder = tmp_path / "cache" / "probes"
    with pytest.raises(nb.CacheNotWritableError,
                       match=rf"cannot write the probe into the kernel cache folder {folder} "
                             r"\(No space left on device\); free space there"):
        build(src)
    # a library published without its manifest is not valid: it is rebuilt, never loaded
    assert [p for p in published(tmp_path) if p.endswith(".json") or p.startswith(".")] == []
    monkeypatch.setattr(nb.os, "replace", real)
    assert nb.load_library(build(src)).probe() == 42


@needs_cxx
def test_read_only_cache_serves_the_build_of_another_compiler_version(src, tmp_path,
                                                                      monkeypatch):
    # was: CacheNotWritableError although an intact build of these sources was there (a
    # shared, read-only cache made with another g++ release)
    path = build(src)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["compiler_version"] = "g++ 1.0 (another release)"
    path.with_suffix(".json").write_text(json.dumps(meta))

    def read_only(folder):
        raise nb.CacheNotWritableError(f"the kernel cache folder {folder} is not writable")

    monkeypatch.setattr(nb, "_ensure_writable", read_only)
    with pytest.warns(RuntimeWarning, match=r"the probe: using .*probe-.*\.so, built by "
                                            r"another compiler version.*not writable"):
        assert build(src) == path
    assert nb.load_library(path).probe() == 42
    # a damaged build is never used in its place (a new file: writing into the loaded
    # library's mapped pages would crash this process with SIGBUS)
    path.unlink()
    path.write_bytes(b"corrupt")
    with pytest.raises(nb.CacheNotWritableError, match="not writable"):
        build(src)


@needs_cxx
def test_source_edited_during_the_compile_is_not_cached_under_the_old_key(src, tmp_path):
    # a compiler run that sees another text than the key was made of (an edit, a git
    # checkout during the build) would cache the new code under the old key: the old text
    # would later load it. The build compiles the bytes that made the key.
    cxx = nb.find_cxx()
    editing = script(tmp_path / "editing-cxx",
                     f'[ "$1" = "--version" ] && exec {cxx} --version\n'
                     f"echo '#define ANSWER 43' > {src / 'probe.h'}\n"
                     f'exec {cxx} "$@"\n')
    key_42 = nb.cache_key(src, SOURCES, FLAGS)
    first = build(src, editing)
    assert key_42 in first.name and nb.load_library(first).probe() == 42
    assert (src / "probe.h").read_text().strip() == "#define ANSWER 43"
    second = build(src)
    assert second != first and nb.load_library(second).probe() == 43


@needs_cxx
def test_two_sources_with_one_file_name_are_refused(src, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "probe.h").write_text("#define ANSWER 7\n")
    with pytest.raises(nb.NativeBuildError, match="two sources of one build are named "
                                                  "'probe.h'"):
        build(src, sources=("probe.h", str(other / "probe.h"), "probe.cpp"))


@needs_cxx
def test_cached_library_that_does_not_load_is_named(src, tmp_path):
    # a cached build with an intact checksum that the loader refuses (made on a machine with
    # another C++ runtime): NativeBuildError with the path, not a bare OSError
    lib = tmp_path / "cache" / "foreign.so"
    lib.parent.mkdir(parents=True)
    (src / "missing.cpp").write_text('extern "C" int missing_symbol();\n'
                                     'extern "C" int probe() { return missing_symbol(); }\n')
    subprocess.run([nb.find_cxx(), *FLAGS, "-o", str(lib), str(src / "missing.cpp")],
                   check=True)
    lib.with_suffix(".json").write_text(json.dumps({"sha256": nb.file_sha256(lib)}))
    with pytest.raises(nb.NativeBuildError,
                       match=rf"the probe at {lib} does not load \(.*missing_symbol.*delete"):
        nb.load_library(lib, "the probe")
