"""A kernel rebuilt at a cache path that this process already loaded is the one used.

The dynamic loader hands back the library already loaded under a path: a foreign library
refused at the D3 kernel's place (its manifest's checksum matched), deleted as the message
says and rebuilt, was still the foreign one in the same process (refused again, 'delete it to
rebuild'), until Python was restarted. A library whose checksum differs from the one loaded
under its path is now loaded from a copy of its own.
"""

import json
import os
import shutil

import pytest
from ase.build import molecule

from ase_electrolyte import native_build as nb
from ase_electrolyte.d3 import backend

pytestmark = pytest.mark.skipif(nb.find_cxx(required=False) is None, reason="no C++ compiler")

FLAGS = ["-O0", "-shared", "-fPIC"]


def _swap_in(target, other):
    """Publish ``other`` (a library with a manifest) at ``target`` as a copied cache would."""
    tmp = target.with_name(target.name + ".new")
    shutil.copyfile(other, tmp)
    os.replace(tmp, target)  # a new file: the one loaded stays intact
    meta = json.loads(other.with_suffix(".json").read_text())
    target.with_suffix(".json").write_text(json.dumps(meta))


def test_a_library_rebuilt_at_a_loaded_path_is_the_new_one(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    (src / "one.cpp").write_text('extern "C" int which() { return 1; }\n')
    (src / "two.cpp").write_text('extern "C" int which() { return 2; }\n')
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path / "cache"))
    kw = {"source_dir": src, "subdir": "probe"}
    one = nb.build_library(nb.find_cxx(), ["one.cpp"], FLAGS, name="one", **kw)
    two = nb.build_library(nb.find_cxx(), ["two.cpp"], FLAGS, name="two", **kw)
    _swap_in(one, two)
    assert nb.load_library(one).which() == 2  # the foreign build, as the cache holds it
    one.unlink()
    one.with_suffix(".json").unlink()
    rebuilt = nb.build_library(nb.find_cxx(), ["one.cpp"], FLAGS, name="one", **kw)
    assert rebuilt == one
    assert nb.load_library(rebuilt).which() == 1
    # the same build again is the library already loaded
    assert nb.load_library(rebuilt).which() == 1


def test_d3_works_after_its_foreign_cached_kernel_is_deleted_and_rebuilt(tmp_path, monkeypatch):
    from ase_electrolyte import D3

    water = molecule("H2O")
    backend.cpu_library.cache_clear()
    genuine = backend._build(nb.find_cxx(), backend.CPU_FLAGS, backend.CPU_SOURCES, "d3_cpu",
                             backend.cpu_signature())
    reference = D3().get_potential_energy(water.copy())
    src = tmp_path / "src"
    src.mkdir()
    (src / "other.cpp").write_text('extern "C" int other() { return 1; }\n')
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path / "cache"))
    other = nb.build_library(nb.find_cxx(), ["other.cpp"], FLAGS, source_dir=src,
                             name="other", subdir="others")
    target = backend.cache_dir() / genuine.name
    target.parent.mkdir(parents=True)
    _swap_in(target, other)
    backend.cpu_library.cache_clear()
    try:
        with pytest.raises(backend.D3AbiError, match="not a D3 build"):
            backend.cpu_library()
        # the message's fix: delete it and its manifest; the rebuild publishes the kernel's
        # bytes there (copied from the build already made, rather than compiled again)
        target.unlink()
        target.with_suffix(".json").unlink()
        _swap_in(target, genuine)
        energy = D3().get_potential_energy(water.copy())
    finally:
        backend.cpu_library.cache_clear()
    assert energy == pytest.approx(reference, rel=1e-12)
    assert energy < 0
