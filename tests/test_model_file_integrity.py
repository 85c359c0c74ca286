"""Model files that are corrupted, cut short, or written by a newer sevenn.

torch's zip reader does not check the CRC-32 stored with each record: one flipped byte in a
weight of a tiny SevenNet model loaded without a word and changed its energy of a copper cell
from 0.282 to 0.256 eV. Every record is now checked against its CRC-32 before a loader runs
(records saved without a CRC, ``torch.serialization.set_crc32_options(False)``, are taken
unchecked). A checkpoint of a newer sevenn that the installed one cannot build was refused as
"cannot be loaded as a sevennet model ... is it a sevennet model file?"; the error now names
both versions and the remedy.
"""

import zipfile

import numpy as np
import pytest
from ase.build import bulk
from tiny_models import TINY, emt_copper

torch = pytest.importorskip("torch")
pytest.importorskip("sevenn")

from ase.calculators.calculator import InputError  # noqa: E402

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte import models as models_module  # noqa: E402
from ase_electrolyte.finetuning import finetune  # noqa: E402
from ase_electrolyte.models import check_model  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    res = finetune(TINY, emt_copper(4), epochs=1, lr=0.02, batch_size=2, device="cpu",
                   out=tmp_path_factory.mktemp("tiny_integrity"), plot=False)
    return str(res.checkpoint)


def _energy(path):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=1)
    atoms.calc = Calculator(path, device="cpu")
    return atoms.get_potential_energy(), atoms.get_forces()


def _record_spans(path):
    """(name, first byte, size) of every non-empty record's data in the archive."""
    spans = []
    with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
        for info in archive.infolist():
            handle.seek(info.header_offset + 26)
            name_length, extra_length = np.frombuffer(handle.read(4), dtype="<u2")
            start = info.header_offset + 30 + int(name_length) + int(extra_length)
            if info.compress_size > 0:
                spans.append((info.filename, start, info.compress_size))
    return spans


def _never_load(monkeypatch):
    def never(*args):
        raise AssertionError("the loader ran on a corrupted file")

    monkeypatch.setattr(models_module, "_LOADERS", dict.fromkeys(models_module._LOADERS, never))


@pytest.mark.parametrize("where", [0.0, 0.5, 1.0])
def test_a_changed_byte_in_any_record_is_refused_naming_the_record(checkpoint, tmp_path,
                                                                   monkeypatch, where):
    data = open(checkpoint, "rb").read()
    spans = _record_spans(checkpoint)
    assert len(spans) > 5
    weights = [s for s in spans if "/data/" in s[0]]
    assert weights
    for name, start, size in [*weights, spans[0], spans[-1]]:
        damaged = bytearray(data)
        damaged[start + min(int(where * size), size - 1)] ^= 0x5A
        path = tmp_path / "damaged.pth"
        path.write_bytes(bytes(damaged))
        _never_load(monkeypatch)
        with pytest.raises(ValueError, match="is corrupted: its record") as err:
            check_model(str(path))
        assert repr(name) in str(err.value)
        with pytest.raises(InputError, match=r"is corrupted: .* checksum"):
            Calculator(str(path), device="cpu")
        monkeypatch.undo()


def test_a_corrupted_base_is_refused_before_the_training_data_is_read(checkpoint, tmp_path):
    data = bytearray(open(checkpoint, "rb").read())
    name, start, size = next(s for s in _record_spans(checkpoint) if "/data/" in s[0])
    data[start + size // 2] ^= 0xFF
    path = tmp_path / "base.pth"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="base: .* is corrupted"):
        finetune(str(path), tmp_path / "no such frames.extxyz", epochs=1, out=tmp_path / "ft",
                 device="cpu", plot=False)
    assert not (tmp_path / "ft").exists()


@pytest.mark.parametrize("fraction", [0.001, 0.1, 0.5, 0.9, 0.999])
def test_a_file_cut_short_anywhere_is_named_before_the_loader(checkpoint, tmp_path,
                                                            monkeypatch, fraction):
    data = open(checkpoint, "rb").read()
    path = tmp_path / "cut.pth"
    path.write_bytes(data[: max(1, int(fraction * len(data)))])
    _never_load(monkeypatch)
    with pytest.raises(InputError, match=str(path)):
        Calculator(str(path), device="cpu")


def test_a_checkpoint_saved_without_crcs_loads_and_gives_the_same_numbers(checkpoint,
                                                                          tmp_path):
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    path = tmp_path / "no_crc.pth"
    previous = torch.serialization.get_crc32_options()
    torch.serialization.set_crc32_options(False)
    try:
        torch.save(state, path)
    finally:
        torch.serialization.set_crc32_options(previous)
    energy, forces = _energy(str(path))
    ref_energy, ref_forces = _energy(checkpoint)
    assert energy == ref_energy
    np.testing.assert_array_equal(forces, ref_forces)


def _resaved(checkpoint, path, change):
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    change(state)
    torch.save(state, path)
    return str(path)


def test_a_checkpoint_of_a_newer_sevenn_it_cannot_build_names_both_versions(checkpoint,
                                                                            tmp_path):
    from sevenn import __version__

    def newer_block(state):
        state["config"]["version"] = "99.1.0"
        state["model_state_dict"]["a_block_of_sevenn_99.weight"] = torch.zeros(3)

    path = _resaved(checkpoint, tmp_path / "newer.pth", newer_block)
    with pytest.raises(InputError, match=rf"written by sevenn 99.1.0, newer than the installed "
                                         rf"sevenn {__version__}.*upgrade sevenn"):
        Calculator(path, device="cpu")
    # the same fault in a file of this sevenn's version is a damaged model, not a newer one
    same = _resaved(checkpoint, tmp_path / "same.pth", lambda s: s["model_state_dict"].update(
        {"a_block_of_sevenn_99.weight": torch.zeros(3)}))
    with pytest.raises(InputError, match="cannot be loaded as a sevennet model") as err:
        Calculator(same, device="cpu")
    assert "newer than the installed" not in str(err.value)


@pytest.mark.parametrize("version", ["99.0.0", "0.13.0.dev7+gabc"])
def test_a_newer_or_odd_version_that_builds_gives_the_same_numbers(checkpoint, tmp_path,
                                                                   version):
    path = _resaved(checkpoint, tmp_path / "version.pth",
                    lambda s: s["config"].__setitem__("version", version))
    energy, forces = _energy(path)
    ref_energy, ref_forces = _energy(checkpoint)
    assert energy == ref_energy
    np.testing.assert_array_equal(forces, ref_forces)


@pytest.mark.parametrize("version, reason", [("not a version", "InvalidVersion"),
                                             (13, "TypeError")])
def test_a_version_sevenn_cannot_read_is_named_with_the_file(checkpoint, tmp_path, version,
                                                              reason):
    path = _resaved(checkpoint, tmp_path / "odd.pth",
                    lambda s: s["config"].__setitem__("version", version))
    with pytest.raises(InputError, match=rf"cannot be loaded as a sevennet model \({reason}") \
            as err:
        Calculator(path, device="cpu")
    assert path in str(err.value) and "newer than the installed" not in str(err.value)


def test_a_newer_sevenn_base_is_named_as_the_base_of_the_fine_tune(checkpoint, tmp_path):
    def newer_block(state):
        state["config"]["version"] = "99.1.0"
        state["model_state_dict"]["a_block_of_sevenn_99.weight"] = torch.zeros(3)

    path = _resaved(checkpoint, tmp_path / "newer.pth", newer_block)
    with pytest.raises(ValueError, match=r"^base: model file .* written by sevenn 99.1.0"):
        finetune(path, emt_copper(2, seed=3), epochs=1, out=tmp_path / "ft", device="cpu",
                 plot=False, check_units=False)
    assert not (tmp_path / "ft").exists()
