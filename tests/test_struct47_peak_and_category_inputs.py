"""Inputs of ``rdf.peak_top`` and the atom-category helpers that were read as something else.

Before:

- ``peak_top(centres, g > 2, counts)`` fitted a mask of flags as a g(r) of 0 and 1; bin
  centres given as text were converted; complex g lost its imaginary part with only a
  ComplexWarning; a negative g was searched and refused as "a bin next to the highest
  holds no pair"; centres shifted below 0 Å gave a peak at -3 Å.
- ``atom_categories([True, 1, 1], bonds)`` named three hydrogens (the flag as Z = 1).
- ``element_symbols("LiO")`` gave one symbol 'LiO'; ``oxygen_classes("OHH", bonds)``
  read one atom and refused the bonds as indexing atoms "outside 0 .. 0".
"""

import numpy as np
import pytest

from mda_electrolyte.atom_categories import atom_categories, element_symbols, oxygen_classes
from mda_electrolyte.rdf import peak_top

CENTRES = np.arange(0.025, 8.0, 0.05)
G = 1.0 + 3.0 * np.exp(-((CENTRES - 2.0) ** 2) / (2 * 0.1**2))
COUNTS = np.round(G * CENTRES**2 * 100)
WATER_BONDS = [(0, 1), (0, 2)]


@pytest.mark.parametrize(
    "args,fragment",
    [
        ((CENTRES, G > 2, COUNTS), "g must be real numbers"),
        ((CENTRES.astype(str), G, COUNTS), r"centres \(Å\) must be real numbers"),
        ((CENTRES, G + 0j, COUNTS), "g: complex values"),
        ((CENTRES, G, COUNTS > 5), "counts must be real numbers"),
        ((list(CENTRES), [None] * CENTRES.size, COUNTS), "g must be real numbers"),
        ((CENTRES, -G, COUNTS), r"g must be >= 0 \(an RDF\)"),
        ((CENTRES - 5.0, G, COUNTS), "bin centres must be distances >= 0"),
    ],
)
def test_peak_top_refuses_what_is_no_rdf(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        peak_top(*args)


@pytest.mark.parametrize(
    "convert", [np.asarray, list, tuple, lambda a: np.asarray(a, dtype=np.float32)]
)
def test_peak_top_takes_real_numbers_of_any_container(convert):
    top = peak_top(convert(CENTRES), convert(G), convert(COUNTS))
    assert top.height == pytest.approx(4.0, abs=0.05)
    assert top.position == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize(
    "numbers", [[True, 1, 1], [8, False, 1], [8, np.True_, 1], [8, "1", 1], "OHH"]
)
def test_atom_categories_refuses_flags_and_text_as_numbers(numbers):
    with pytest.raises(ValueError, match=r"numbers must be one atomic number .* per atom"):
        atom_categories(numbers, WATER_BONDS)


@pytest.mark.parametrize("numbers", [[8, 1, 1], (8, 1, 1), np.array([8, 1, 1]), [8.0, 1, 1]])
def test_atom_categories_takes_numbers_of_any_container(numbers):
    assert atom_categories(numbers, WATER_BONDS).tolist() == ["O", "H", "H"]


@pytest.mark.parametrize("symbols", ["OHH", b"OHH", None, 8])
def test_one_text_is_no_list_of_symbols(symbols):
    with pytest.raises(TypeError, match="symbols, one per atom"):
        oxygen_classes(symbols, WATER_BONDS)
    with pytest.raises(TypeError, match="symbols, one per atom"):
        element_symbols(symbols)


@pytest.mark.parametrize("symbols", [["O", "H", "H"], ("o", "H", "h"), np.array(["O", "H", "H"])])
def test_symbols_of_any_container_are_read(symbols):
    assert element_symbols(symbols).tolist() == ["O", "H", "H"]
    kind, carbon = oxygen_classes(symbols, WATER_BONDS)
    assert kind.tolist() == [0, 0, 0] and carbon.tolist() == [-1, -1, -1]
