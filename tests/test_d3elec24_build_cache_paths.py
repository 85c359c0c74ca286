"""The kernel build cache where its folder, its files or its locks are not what it expects.

A one-line library stands in for the kernels (they take seconds to compile); every refusal
must come before the compiler runs, and a build that can go on must load.
"""

import errno

import pytest

from ase_electrolyte import native_build as nb

FLAGS = ("-O0", "-shared", "-fPIC")
SOURCES = ("probe.cpp",)

pytestmark = pytest.mark.skipif(nb.find_cxx(required=False) is None, reason="no C++ compiler")


@pytest.fixture
def src(tmp_path, monkeypatch):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "probe.cpp").write_text('extern "C" int probe() { return 42; }\n')
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(tmp_path / "cache"))
    return folder


def build(src):
    return nb.build_library(nb.find_cxx(), SOURCES, FLAGS, source_dir=src, name="probe",
                            subdir="probes", what="the probe")


def no_compile(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the compiler ran before the refusal")
    monkeypatch.setattr(nb, "_compile", refuse)


@pytest.mark.parametrize("blank", ["", " ", "  \t"])
def test_blank_cache_variables_are_unset(monkeypatch, tmp_path, blank):
    monkeypatch.delenv("ASE_ELECTROLYTE_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    default = nb.cache_root()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", blank)
    assert nb.cache_root() == default
    monkeypatch.setenv("XDG_CACHE_HOME", blank)
    assert nb.cache_root() == default


def test_cache_variable_naming_a_file_says_so_before_compiling(src, tmp_path, monkeypatch):
    library = tmp_path / "d3_cpu.so"
    library.write_bytes(b"\x7fELF")
    monkeypatch.setenv("ASE_ELECTROLYTE_CACHE", str(library))
    no_compile(monkeypatch)
    with pytest.raises(nb.CacheNotWritableError) as err:
        build(src)
    message = str(err.value)
    assert f"{library} is a file, not a folder" in message
    assert "$ASE_ELECTROLYTE_CACHE" in message


@pytest.mark.parametrize("suffix", [".so", ".json", ".lock"])
def test_folder_in_place_of_a_build_file_is_refused_before_compiling(src, monkeypatch, suffix):
    target = build(src)
    target.unlink()
    blocked = target.with_suffix(suffix)
    blocked.unlink(missing_ok=True)
    blocked.mkdir()
    no_compile(monkeypatch)
    with pytest.raises(nb.CacheNotWritableError, match="is a folder, not a file; remove it"):
        build(src)
    assert blocked.is_dir()  # the user's folder is left alone


def test_symlinked_foreign_library_is_rebuilt_not_followed(src, tmp_path):
    target = build(src)
    foreign = tmp_path / "foreign.so"
    foreign.write_bytes(b"not a library")
    target.unlink()
    target.symlink_to(foreign)
    rebuilt = build(src)
    assert not rebuilt.is_symlink()
    assert foreign.read_bytes() == b"not a library"
    assert nb.load_library(rebuilt).probe() == 42


@pytest.mark.parametrize("code", [errno.ENOLCK, errno.EOPNOTSUPP])
def test_file_system_without_locks_builds_unlocked_and_keeps_others_temporaries(
        src, monkeypatch, code):
    if nb.fcntl is None:
        pytest.skip("no flock here")
    target = build(src)
    target.unlink()
    # another process's compile in progress: without a lock it cannot be told from a dead one
    live = target.parent / f".{target.stem}-other"
    live.mkdir()

    def no_locks(fd, op):
        raise OSError(code, "no locks")
    monkeypatch.setattr(nb.fcntl, "flock", no_locks)
    rebuilt = build(src)
    assert nb.load_library(rebuilt).probe() == 42
    assert live.is_dir()


def test_lock_file_of_another_user_is_opened_for_reading(src, monkeypatch):
    """A shared cache folder: the lock file made by another user (mode 644) cannot be opened
    for appending, but flock needs only a descriptor."""
    target = build(src)
    target.unlink()
    real_open = open

    def others_lock(path, mode="r", *args, **kwargs):
        if str(path).endswith(".lock") and "a" in mode:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, mode, *args, **kwargs)
    monkeypatch.setattr(nb, "open", others_lock, raising=False)
    assert nb.load_library(build(src)).probe() == 42
