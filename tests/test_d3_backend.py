"""D3 kernel build cache and the checks that run before the kernel."""

import ctypes
import json
import os

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule

from ase_electrolyte.d3 import D3, backend
from ase_electrolyte.d3.calculator import _close_pairs

# the cache is exercised with a one-line library (the kernels take seconds to compile)
FLAGS = ("-O0", "-shared", "-fPIC")
SOURCES = ("probe.h", "probe.cpp")


def build(compiler="auto"):
    cxx = backend.find_cxx() if compiler == "auto" else compiler
    return backend._build(cxx, FLAGS, SOURCES, "probe", "", "the probe")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    (src / "probe.h").write_text("#define ANSWER 42\n")
    (src / "probe.cpp").write_text(
        '#include "probe.h"\nextern "C" int probe() { return ANSWER; }\n'
    )
    monkeypatch.setattr(backend, "CSRC", src)
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "d3"


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_build_is_cached_checksummed_and_clean(cache):
    path = build()
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["sha256"] == backend._sha256(path)
    stamp = path.stat().st_mtime_ns
    assert build() == path and path.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert ctypes.CDLL(str(path)).probe() == 42
    assert leftovers(cache) == []


@pytest.mark.parametrize("damage", ["truncate", "foreign", "no-manifest"])
def test_corrupt_or_foreign_build_is_rebuilt(cache, damage):
    path = build()
    good = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "foreign":
        path.write_bytes(b"\x7fELF not ours" + bytes(100))
    else:
        path.with_suffix(".json").unlink()
    assert build() == path
    assert backend._sha256(path) == json.loads(path.with_suffix(".json").read_text())["sha256"]
    assert ctypes.CDLL(str(path)).probe() == 42
    assert leftovers(cache) == []


def test_cached_build_used_without_compiler(cache):
    path = build()
    assert build(compiler=None) == path
    path.write_bytes(b"corrupt")
    with pytest.raises(RuntimeError, match=r"corrupt.*no compiler"):
        build(compiler=None)


def test_failed_build_leaves_nothing_behind(cache):
    cxx = backend.find_cxx()
    with pytest.raises(RuntimeError, match="building the probe failed"):
        backend._build(cxx, ("--no-such-flag",), SOURCES, "probe", "", "the probe")
    assert leftovers(cache) == []
    assert not list(cache.glob("probe-*.so"))


def test_unwritable_cache_folder_named_in_error(cache, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(blocker / "sub"))
    with pytest.raises(RuntimeError, match=f"{blocker}.*ASE_ELECTROLYTE_CACHE"):
        build()


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
    with pytest.raises(ValueError, match="periodic images"):
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
