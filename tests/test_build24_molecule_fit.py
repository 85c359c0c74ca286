"""Boxes too small for one of their molecules: refused in words, before PACKMOL where the
geometry alone decides, with a size that holds the molecule.

Before: one DEC (8.9 Å across) at 1.5 g/cm³ (a 5.1 Å box, 8.8 Å diagonal) reached PACKMOL, which
failed with exit code 173 and 25 lines ending "check the spatial constraints" (the user gave
none); a molecule near its own image was refused with "pack more molecules or give a lower
density" (how much lower?), and 1.996 Å was shown as "2.00 Å" beside "tolerance 2.0 Å".
"""

import math
import re

import numpy as np
import pytest

pytest.importorskip("rdkit")

import ase_electrolyte.build as build  # noqa: E402
from ase_electrolyte.build import conformer, electrolyte_box  # noqa: E402
from ase_electrolyte.neighbour_pairs import pairs_within  # noqa: E402
from ase_electrolyte.species import get_species  # noqa: E402
from ase_electrolyte.units import GCM3_TO_AMU_PER_A3  # noqa: E402


def _density(name, edge, n=1):
    return n * get_species(name).mass / (edge**3 * GCM3_TO_AMU_PER_A3)


def _diagonal_edge(name):
    """The box edge whose diagonal is as long as the molecule's lowest conformer."""
    return build._extent(conformer(name).positions) / math.sqrt(3.0)


@pytest.mark.parametrize("name, counts, scale", [
    ("DEC", {"DEC": 1}, 0.97),
    ("EMC", {"EMC": 1}, 0.995),
    ("DEC", {"EC": 1, "DEC": 1}, 0.99),  # two molecules: not only a one-molecule box
])
def test_a_molecule_longer_than_the_box_diagonal_is_refused_before_packmol(
        monkeypatch, name, counts, scale):
    def no_packmol(*args, **kwargs):
        raise AssertionError("PACKMOL was run")

    monkeypatch.setattr(build, "_run_packmol", no_packmol)
    mass = sum(get_species(k).mass * n for k, n in counts.items())
    edge = _diagonal_edge(name) * scale
    density = mass / (edge**3 * GCM3_TO_AMU_PER_A3)
    with pytest.raises(ValueError, match=rf"one {name} molecule .* is longer than the "
                                         r"diagonal") as err:
        electrolyte_box(counts=counts, density=density, seed=0, conformers="lowest")
    advised = float(re.search(r"density of at most ([\d.]+) g/cm³", str(err.value)).group(1))
    assert advised < density


def _own_image_distance(atoms):
    pairs, shifts, d = pairs_within(atoms.positions, atoms.cell.array, 6.0, "PSd")
    molecule = atoms.arrays["molecule_index"]
    own = (molecule[pairs[:, 0]] == molecule[pairs[:, 1]]) & np.any(shifts != 0, axis=1)
    return float(d[own].min()) if own.any() else math.inf


def test_the_advised_density_holds_the_molecule_clear_of_its_images():
    density = _density("DEC", _diagonal_edge("DEC") * 0.97)
    with pytest.raises(ValueError) as err:
        electrolyte_box(counts={"DEC": 1}, density=density, seed=0, conformers="lowest")
    advised = float(re.search(r"density of at most ([\d.]+) g/cm³", str(err.value)).group(1))
    for seed in (0, 1):
        with pytest.warns(UserWarning, match="a gas"):  # the other advice: more molecules
            atoms = electrolyte_box(counts={"DEC": 1}, density=advised, seed=seed,
                                    conformers="lowest")
        assert _own_image_distance(atoms) >= 2.0


def test_packmol_failing_to_place_a_long_molecule_is_said_in_one_line():
    # just above the diagonal: PACKMOL's own search fails (or the molecule meets its image)
    density = _density("DEC", _diagonal_edge("DEC") * 1.005)
    with pytest.raises((RuntimeError, ValueError)) as err:
        electrolyte_box(counts={"DEC": 1}, density=density, seed=0, conformers="lowest")
    text = str(err.value)
    assert "\n" not in text and "spatial constraints" not in text
    assert "DEC" in text and re.search(r"density of at most [\d.]+ g/cm³", text)


def test_a_distance_to_its_own_image_is_not_rounded_up_to_the_tolerance():
    # one EC in a 4.96 Å box: 1.998 Å from its own image (shown "2.00" beside "2.0" before)
    with pytest.raises(ValueError, match="from its own periodic image") as err:
        electrolyte_box(counts={"EC": 1}, density=1.2, seed=0)
    shown = float(re.search(r"comes ([\d.]+) Å from its own", str(err.value)).group(1))
    assert shown < 2.0
