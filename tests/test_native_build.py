"""The shared build cache of the compiled kernels (ase_electrolyte.native_build)."""

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from ase_electrolyte import native_build as nb

# exercised with a one-line library (the real kernels take seconds to compile)
FLAGS = ("-O0", "-shared", "-fPIC")
SOURCES = ("probe.h", "probe.cpp")


@pytest.fixture
def src(tmp_path, monkeypatch):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "probe.h").write_text("#define ANSWER 42\n")
    (folder / "probe.cpp").write_text(
        '#include "probe.h"\nextern "C" int probe() { return ANSWER; }\n'
    )
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path / "cache"))
    return folder


@pytest.fixture
def cache(src, tmp_path):
    return tmp_path / "cache" / "probes"


def build(src, compiler="auto", flags=FLAGS, signature=""):
    cxx = nb.find_cxx() if compiler == "auto" else compiler
    return nb.build_library(cxx, SOURCES, flags, source_dir=src, name="probe",
                            subdir="probes", signature=signature, what="the probe")


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path / "a"))
    assert nb.cache_dir("d3") == tmp_path / "a" / "d3"
    monkeypatch.delenv("ASE_ELECTROLYTE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert nb.cache_dir("x") == tmp_path / "xdg" / "ase_electrolyte" / "x"


def test_cache_folder_from_the_environment_is_absolute_and_expands_home(tmp_path, monkeypatch):
    """A quoted ``~`` made a folder named ``~`` in the working folder, and a relative value
    moved with every chdir; a relative XDG_CACHE_HOME is ignored as the XDG spec asks."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", "~/kernels")
    assert nb.cache_dir("d3") == home / "kernels" / "d3"
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", "rel")
    root = nb.cache_root()
    assert root == tmp_path / "rel" and root.is_absolute()
    monkeypatch.delenv("ASE_ELECTROLYTE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert nb.cache_root() == home / ".cache" / "ase_electrolyte"


def test_build_is_cached_checksummed_and_clean(src, cache):
    path = build(src)
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["sha256"] == nb.file_sha256(path)
    assert manifest["compiler_version"] == nb.compiler_version(nb.find_cxx())
    stamp = path.stat().st_mtime_ns
    assert build(src) == path and path.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert nb.load_library(path).probe() == 42
    assert leftovers(cache) == []


def test_key_changes_with_sources_flags_and_signature(src):
    first = build(src)
    assert build(src, signature="another CPU") != first
    assert build(src, flags=("-O1", *FLAGS[1:])) != first
    (src / "probe.h").write_text("#define ANSWER 43\n")  # a header is part of the key
    changed = build(src)
    assert changed != first
    assert nb.load_library(changed).probe() == 43


def test_other_compiler_version_is_rebuilt(src, monkeypatch):
    path = build(src)
    manifest = path.with_suffix(".json")
    meta = json.loads(manifest.read_text())
    meta["compiler_version"] = "g++ 1.0 (long gone)"
    manifest.write_text(json.dumps(meta))
    assert nb.is_valid_build(path) and not nb.is_valid_build(path, nb.compiler_version("g++"))
    build(src)
    assert json.loads(manifest.read_text())["compiler_version"] == nb.compiler_version(
        nb.find_cxx())


def test_header_from_another_folder_is_on_the_include_path_and_in_the_key(src, tmp_path):
    # the layout of the shared neighbour engine: a header outside the build's source folder,
    # listed by its path and included by its name
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "engine.h").write_text("#define OFFSET 100\n")
    (src / "user.cpp").write_text('#include "engine.h"\n#include "probe.h"\n'
                                  'extern "C" int probe() { return OFFSET + ANSWER; }\n')
    sources = ("probe.h", str(shared / "engine.h"), "user.cpp")

    def build_user():
        return nb.build_library(nb.find_cxx(), sources, FLAGS, source_dir=src, name="user",
                                subdir="probes", what="the probe")

    first = build_user()
    assert nb.load_library(first).probe() == 142
    assert str(shared / "engine.h") in json.loads(first.with_suffix(".json").read_text())["sources"]
    (shared / "engine.h").write_text("#define OFFSET 200\n")  # editing it rebuilds
    second = build_user()
    assert second != first and nb.load_library(second).probe() == 242
    # the key holds the bytes, not the paths: a copy in another folder has the same key
    moved = tmp_path / "elsewhere"
    shutil.copytree(shared, moved)
    assert nb.cache_key(src, ("probe.h", str(moved / "engine.h"), "user.cpp"), FLAGS) == \
        nb.cache_key(src, sources, FLAGS)


def test_the_d3_and_rdf_kernels_share_one_neighbour_engine():
    from ase_electrolyte.d3 import backend
    from mda_electrolyte import pair_histogram

    engine = str(nb.SHARED_CSRC / "cell_list.h")
    assert (nb.SHARED_CSRC / "cell_list.h").is_file()
    assert engine in backend.CPU_SOURCES and engine in pair_histogram.SOURCES
    assert engine in backend.CUDA_SOURCES  # the GPU bins take the same stencil
    # and no compiled source carries a cell list or stencil of its own (the CUDA file keeps
    # only the device side: the per-atom bin and the sort into bins)
    for source in (backend.CSRC / "d3_cpu.cpp", backend.CSRC / "d3_cuda.cu",
                   pair_histogram.SOURCE):
        text = source.read_text()
        assert '#include "cell_list.h"' in text
        assert "struct Stencil" not in text and "reach * reach" not in text
        if source.suffix != ".cu":
            assert "floor_div" not in text


@pytest.mark.parametrize("damage", ["truncate", "foreign", "no-manifest", "bad-manifest"])
def test_corrupt_or_foreign_build_is_rebuilt(src, cache, damage):
    path = build(src)
    good = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "foreign":
        path.write_bytes(b"\x7fELF not ours" + bytes(100))
    elif damage == "no-manifest":
        path.with_suffix(".json").unlink()
    else:
        path.with_suffix(".json").write_text("[1, 2")
    with pytest.raises(nb.NativeBuildError, match="checksum"):
        nb.load_library(path)
    assert build(src) == path
    assert nb.file_sha256(path) == json.loads(path.with_suffix(".json").read_text())["sha256"]
    assert nb.load_library(path).probe() == 42
    assert leftovers(cache) == []


def test_cached_build_used_without_compiler(src):
    path = build(src)
    assert build(src, compiler=None) == path
    path.write_bytes(b"corrupt")
    with pytest.raises(nb.CompilerNotFoundError, match=r"corrupt.*no compiler"):
        build(src, compiler=None)
    path.unlink()
    with pytest.raises(nb.CompilerNotFoundError, match=r"does not exist.*no compiler"):
        build(src, compiler=None)


def test_find_cxx_without_any_compiler(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CXX", raising=False)
    assert nb.find_cxx(required=False) is None
    with pytest.raises(nb.CompilerNotFoundError, match="the probe needs a C.. compiler.*CXX"):
        nb.find_cxx(purpose="the probe")


def test_failed_build_leaves_nothing_behind(src, cache):
    with pytest.raises(nb.NativeBuildError, match="(?s)building the probe failed.*no-such-flag"):
        build(src, flags=("--no-such-flag",))
    assert leftovers(cache) == []
    assert not list(cache.glob("probe-*.so"))


def test_killed_compile_leaves_no_partial_library(src, cache, tmp_path):
    # the "compiler" writes half a library then SIGKILLs the Python process driving the
    # build, so no finally clause runs; the target must not exist and the next build must
    # clear the orphaned temporary folder
    fake = tmp_path / "killer-cxx"
    fake.write_text('#!/bin/sh\n[ "$1" = "--version" ] && { echo killer 1; exit 0; }\n'
                    'while [ "$1" != "-o" ]; do shift; done\n'
                    'echo partial > "$2"\nkill -9 $PPID\nexit 1\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import test_native_build as t
        t.build(__import__("pathlib").Path({str(src)!r}), compiler={str(fake)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=dict(os.environ),
                          capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert leftovers(cache)  # the orphan is there ...
    assert not list(cache.glob("probe-*.so"))  # ... but no library was published
    path = build(src)
    assert nb.load_library(path).probe() == 42
    assert leftovers(cache) == []


def test_concurrent_builds_compile_once(src, cache, tmp_path):
    # a compiler that counts its runs and is slow enough for the threads to overlap
    log = tmp_path / "runs"
    cxx = nb.find_cxx()
    slow = tmp_path / "slow-cxx"
    slow.write_text(f'#!/bin/sh\n[ "$1" = "--version" ] && exec {cxx} --version\n'
                    f'echo run >> {log}\nsleep 1\nexec {cxx} "$@"\n')
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    results, errors = [], []

    def work():
        try:
            results.append(build(src, compiler=str(slow)))
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    assert log.read_text().count("run") == 1
    assert nb.load_library(results[0]).probe() == 42
    assert leftovers(cache) == []


def test_unwritable_cache_folder_named_in_error(src, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(blocker / "sub"))
    with pytest.raises(nb.CacheNotWritableError, match=f"{blocker}.*ASE_ELECTROLYTE_CACHE"):
        build(src)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_cache_folder_named_in_error(src, tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    (ro / "probes").mkdir(parents=True)
    (ro / "probes").chmod(0o500)
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(ro))
    try:
        with pytest.raises(nb.CacheNotWritableError, match=f"{ro}.*not writable"):
            build(src)
    finally:
        (ro / "probes").chmod(0o700)


def test_pair_histogram_kernel_uses_the_shared_cache(tmp_path, monkeypatch):
    from mda_electrolyte import pair_histogram

    if nb.find_cxx(required=False) is None:
        pytest.skip("no C++ compiler")
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path))
    path = pair_histogram._build()
    assert path.parent == tmp_path / "mda_electrolyte"
    assert nb.is_valid_build(path, nb.compiler_version(nb.find_cxx()))
    kernel = pair_histogram.PairHistogramKernel(path)
    # one intermolecular pair at 1.0 Å, bins of 1 Å: it lands in bin 1 of the second row
    counts = np.zeros(8, dtype=np.int64)
    kernel(np.array([[1.0, 1.0, 1.0], [2.0, 1.0, 1.0]]), np.eye(3) * 10.0,
           np.linspace(0.0, 4.0, 5), np.zeros(2), np.zeros(2), np.array([0, 1]), 4, counts)
    assert counts.tolist() == [0, 0, 0, 0, 0, 1, 0, 0]
    # without a compiler the valid cached build is still used, and without either: None
    monkeypatch.setattr(nb, "find_cxx", lambda required=True, purpose="": None)
    assert pair_histogram._build() == path
    # a new file under the name: the loaded library's pages must not change under the process
    # (writing into a mapped shared object crashes it with SIGBUS/SIGSEGV later)
    path.unlink()
    path.write_bytes(b"corrupt")
    assert pair_histogram._build() is None
