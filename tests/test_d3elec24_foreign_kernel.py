"""A library in the D3 kernel's cache place that passes its manifest's checksum but is no D3
build (a cache folder copied over, a manifest rewritten) is refused naming it and the fix; an
AttributeError ('undefined symbol') reached the user before."""

import json

import pytest
from ase.build import molecule

from ase_electrolyte import D3
from ase_electrolyte import native_build as nb
from ase_electrolyte.d3 import backend

pytestmark = pytest.mark.skipif(nb.find_cxx(required=False) is None, reason="no C++ compiler")


@pytest.fixture
def foreign_cpu_kernel(tmp_path, monkeypatch):
    """A one-function library with a valid manifest where the D3 CPU kernel is looked for."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "other.cpp").write_text('extern "C" int other() { return 1; }\n')
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path / "cache"))
    other = nb.build_library(nb.find_cxx(), ["other.cpp"], ["-O0", "-shared", "-fPIC"],
                             source_dir=src, name="other", subdir="others")
    key = nb.cache_key(backend.CSRC, backend.CPU_SOURCES, backend.CPU_FLAGS,
                       backend.cpu_signature())
    target = backend.cache_dir() / f"d3_cpu-{key}.so"
    target.parent.mkdir(parents=True)
    target.write_bytes(other.read_bytes())
    meta = json.loads(other.with_suffix(".json").read_text())
    target.with_suffix(".json").write_text(json.dumps(meta))  # its checksum is the file's
    assert nb.is_valid_build(target, nb.compiler_version(nb.find_cxx()))
    backend.cpu_library.cache_clear()
    yield target
    backend.cpu_library.cache_clear()


def test_foreign_library_with_a_valid_manifest_is_named_with_the_fix(foreign_cpu_kernel):
    with pytest.raises(backend.D3AbiError) as err:
        backend.cpu_library()
    message = str(err.value)
    assert str(foreign_cpu_kernel) in message
    assert "not a D3 build" in message and "delete it and its manifest" in message


def test_the_calculator_reports_it_as_an_error_not_an_attribute_error(foreign_cpu_kernel):
    with pytest.raises(Exception) as err:
        D3().get_potential_energy(molecule("H2O"))
    assert not isinstance(err.value, AttributeError)
    assert "not a D3 build" in str(err.value)
