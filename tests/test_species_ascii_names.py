"""Species names and the box's records survive extended XYZ, the format a screening task
writes its initial box in and reads back on a rerun.

ASE's extended XYZ writes non-ASCII characters of ``info`` back escaped without their
backslash: a species named ``ÉCα`` came back in ``info["composition"]`` as ``u00c9Cu03b1`` (a
name no molecule of the box has), the rotamer source ``1.91 ± 0.10`` as ``1.91 u00b1 0.10``.
Names are now ASCII letters, digits, ``_`` and ``-``; the records the builder writes are ASCII.
"""

import io

import ase.io
import pytest

pytest.importorskip("rdkit")

from ase_electrolyte.species import Species  # noqa: E402


@pytest.mark.parametrize("name", ["ÉC", "ECα", "EC²", "Li⁺", "ＥＣ", "EC٣"])
def test_a_name_beyond_ascii_is_refused(name):
    with pytest.raises(ValueError, match="use ASCII letters, digits"):
        Species(name, "O=C1OCCO1")


@pytest.mark.parametrize("name", ["EC", "ec_2", "EC-d4", "A1"])
def test_ascii_names_pass(name):
    assert Species(name, "O=C1OCCO1").name == name


def test_the_box_records_come_back_from_extended_xyz():
    pytest.importorskip("packmol")
    from ase_electrolyte import electrolyte_box

    atoms = electrolyte_box(counts={Species("EC-d4", "O=C1OCCO1"): 2, "DMC": 2}, density=0.5,
                            seed=0)
    buffer = io.StringIO()
    ase.io.write(buffer, atoms, format="extxyz")
    buffer.seek(0)
    back = ase.io.read(buffer, format="extxyz")
    for key, value in atoms.info.items():
        assert back.info[key] == value, key
    assert set(back.arrays["molecule_species"]) == {"EC-d4", "DMC"}


def test_the_box_records_are_ascii():
    # every string the builder writes into info (names, sources, labels)
    pytest.importorskip("packmol")
    from ase_electrolyte import electrolyte_box

    atoms = electrolyte_box(counts={"DMC": 2, "EA": 2}, density=0.5, seed=1)

    def strings(x):
        if isinstance(x, str):
            yield x
        elif isinstance(x, dict):
            for k, v in x.items():
                yield from strings(k)
                yield from strings(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                yield from strings(v)

    found = list(strings(atoms.info))
    assert found and all(s.isascii() for s in found), [s for s in found if not s.isascii()]
