"""Asked compositions that whole molecules, or a float, cannot hold: said at once.

``parse_shares("EC:1e-400")`` read the share as 0 (refused later as "got 0.0", a number never
written), and shares whose sum overflows were accepted; ``electrolyte_box`` packed 1 mol/kg
LiPF6 in EC:EMC 3:7 at 100 atoms as 1.44 mol/kg without a word, where a screening plan of the
same box is marked by :func:`~ase_electrolyte.screen.plan.packing_shortfall`.
"""

import re
import warnings

import pytest

from ase_electrolyte import build
from ase_electrolyte.build import (
    composition_counts,
    composition_density,
    electrolyte_box,
    packed_composition,
)
from ase_electrolyte.screen.plan import PACKING_TOLERANCE
from ase_electrolyte.species import parse_shares


@pytest.mark.parametrize("text, written", [
    ("EC:1e-400", "1e-400"),
    ("EC:3,EMC:1e-320", "1e-320"),  # subnormal: a share with a handful of digits
    ("EC:2.5e-310,EMC:1", "2.5e-310"),
    ("EC=30,Li=1e-999,PF6=3", "1e-999"),
])
def test_share_that_underflows_is_refused_with_the_number_written(text, written):
    what = "counts" if "=" in text else "solvent"
    with pytest.raises(ValueError, match=re.escape(written) + ".*underflows"):
        parse_shares(text, what)


@pytest.mark.parametrize("text", ["EC:1e308,EMC:1e308", "EC:1.7e308,EMC:1.7e308,DMC:1"])
def test_shares_whose_sum_overflows_are_refused(text):
    with pytest.raises(ValueError, match="sum beyond the largest float"):
        parse_shares(text)


@pytest.mark.parametrize("text, expected", [
    ("EC:0,EMC:1", {"EC": 0.0, "EMC": 1.0}),  # a zero written as zero is no underflow
    ("EC:0.0e5,EMC:1", {"EC": 0.0, "EMC": 1.0}),
    ("EC:1e-300,EMC:1", {"EC": 1e-300, "EMC": 1.0}),  # small but a normal float
    ("EC:1e300,EMC:1", {"EC": 1e300, "EMC": 1.0}),
])
def test_representable_shares_are_kept(text, expected):
    assert parse_shares(text) == expected


def _box_warnings(**kwargs):
    """The warnings of electrolyte_box up to its PACKMOL time check (a timeout no box meets
    stops it there, after the composition is counted and before any conformer)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="packmol_timeout"):
            electrolyte_box(seed=0, packmol_timeout=1e-4, **kwargs)
    found = [w for w in caught if "whole-molecule rounding" in str(w.message)]
    # its own class, which a user can filter or turn into an error
    assert all(w.category is getattr(build, "PackingShortfallWarning", None) for w in found)
    return found


@pytest.mark.parametrize("composition", [
    dict(solvent={"EC": 3, "EMC": 7}, salt="LiPF6", concentration=1.0, n_atoms=100),
    dict(solvent={"EC": 3, "EMC": 7}, salt="LiPF6", concentration=1.0, units="molar",
         density=1.2, n_atoms=120),
    dict(solvent={"EC": 1, "DMC": 1}, n_atoms=60),  # a share, no salt
    dict(solvent={"EC": 3, "EMC": 7}, salt="LiPF6", concentration=1.0, ratio="volume",
         n_atoms=200),
])
def test_composition_packed_beyond_tolerance_warns_with_a_size_that_holds_it(composition):
    found = _box_warnings(**composition)
    assert len(found) == 1
    message = str(found[0].message)
    size = int(re.search(r"n_atoms = (\d+) or more", message).group(1))
    assert size > composition["n_atoms"]
    # the size named packs the composition within the tolerance, as said
    asked = {k: composition[k] for k in ("salt", "concentration", "units", "ratio", "density")
             if k in composition}
    units, density = asked.get("units", "molal"), asked.get("density")
    for n in (size, size + size // 7):
        counts = composition_counts(composition["solvent"], n_atoms=n,
                                    **{**asked, "density": composition_density(units, density)})
        record = packed_composition(counts, composition["solvent"], **asked)
        assert abs(record["concentration_deviation"]["value"]) <= PACKING_TOLERANCE
        assert record["solvent_share_deviation"]["value"] <= PACKING_TOLERANCE
    # the packed deviation named is the one of the box asked
    counts = composition_counts(composition["solvent"], n_atoms=composition["n_atoms"],
                                **{**asked, "density": composition_density(units, density)})
    record = packed_composition(counts, composition["solvent"], **asked)
    if abs(record["concentration_deviation"]["value"]) > PACKING_TOLERANCE:
        assert f"{100 * record['concentration_deviation']['value']:+.0f} %" in message


@pytest.mark.parametrize("composition", [
    dict(solvent={"EC": 3, "EMC": 7}, salt="LiPF6", concentration=1.0, n_atoms=1500),
    dict(solvent={"EC": 1, "DMC": 1}, n_atoms=3000),
    dict(counts={"EC": 9, "Li": 1, "PF6": 1}),  # counts are what is asked: nothing to miss
])
def test_composition_within_tolerance_gives_no_warning(composition):
    assert _box_warnings(**composition) == []
