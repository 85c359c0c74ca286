"""The pages of the analyses and calculators say what they now refuse, where a user looks.

Refusals added to the code this session were not on the pages of their modules: Diffusion's
``temperature=`` without ``viscosity=``, OnsagerCoefficients' ``unwrap=True`` with Green–Kubo
and ``check_sampling=False`` with Einstein, an Electrostatics term whose charges are all 0,
ion charges given in coulombs, and the bounds of a relaxation threshold. Each case here makes
the refusal happen, takes the setting the message names, and looks for it on the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"


def _page(name):
    # the words of the page, line breaks read as spaces
    return re.sub(r"\s+", " ", (API / name).read_text(encoding="utf-8"))


def _universe():
    import MDAnalysis as mda
    from MDAnalysis.coordinates.memory import MemoryReader

    u = mda.Universe.empty(4, n_residues=4, atom_resindex=range(4), trajectory=True)
    u.add_TopologyAttr("resnames", ["LI", "LI", "PF6", "PF6"])
    u.add_TopologyAttr("masses", [7.0] * 4)
    positions = np.random.default_rng(0).random((20, 4, 3)).astype(np.float32) * 10
    u.load_new(positions, format=MemoryReader, dimensions=[20, 20, 20, 90, 90, 90], dt=1.0)
    return u, {"LI": "resname LI", "PF6": "resname PF6"}


def _diffusion(**options):
    from mda_electrolyte import Diffusion

    u, ions = _universe()
    return Diffusion(u, ions, **options)


def _onsager(**options):
    from mda_electrolyte import OnsagerCoefficients

    u, ions = _universe()
    return OnsagerCoefficients(u, ions, temperature=300.0, **options)


@pytest.mark.parametrize("make, options, page, stated", [
    (_diffusion, {"temperature": 300.0}, "diffusion.rst",
     ("``temperature=``", "without ``viscosity=``")),
    (_onsager, {"method": "green-kubo", "unwrap": True}, "onsager.rst",
     ("``unwrap=True`` with ``method=\"green-kubo\"``",)),
    (_onsager, {"method": "einstein", "check_sampling": False}, "onsager.rst",
     ("``check_sampling=False`` with ``method=\"einstein\"``",)),
], ids=["diffusion-temperature", "onsager-unwrap", "onsager-check_sampling"])
def test_a_setting_refused_as_without_effect_is_named_on_its_page(make, options, page, stated):
    with pytest.raises(ValueError, match="no effect"):
        make(**options)
    text = _page(page)
    for words in stated:
        assert words in text, (page, words)


@pytest.mark.parametrize("options, stated", [
    ({"scheme": "fixed", "charges": [0.0, 0.0]}, '``scheme="fixed"`` with every charge 0'),
    ({"scheme": "qrd", "qrd": {"Na": (0.0, 0.0), "Cl": (0.0, 0.0)}},
     '``scheme="qrd"`` with every b and s 0'),
], ids=["fixed", "qrd"])
def test_an_electrostatics_term_of_zero_charges_is_refused_as_its_page_says(options, stated):
    from ase.calculators.calculator import InputError

    from ase_electrolyte.electrostatics import Electrostatics

    with pytest.raises(InputError, match="exactly 0"):
        Electrostatics(**options)
    assert stated in _page("electrostatics.rst")


def test_the_conductivity_page_gives_the_smallest_ion_charge_the_code_takes():
    from mda_electrolyte.carriers import MIN_ION_CHARGE, check_ion_charge

    with pytest.raises(ValueError, match="coulombs"):
        check_ion_charge("charges['LI']", 1.602e-19)
    text = _page("conductivity.rst")
    assert "coulombs is refused" in text
    exponent = int(round(np.log10(MIN_ION_CHARGE)))
    assert MIN_ION_CHARGE == 10.0 ** exponent
    superscript = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    assert f"10{str(exponent).translate(superscript)} e in size" in text


@pytest.mark.parametrize("page", ["md.rst", "cli.rst"])
def test_the_relaxation_threshold_bounds_on_the_pages_are_the_code_bounds(page):
    from ase_electrolyte.md import MAX_RELAX_FMAX, MIN_RELAX_FMAX

    text = _page(page)
    digits = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
    quoted = re.findall(r"10⁻([⁰¹²³⁴⁵⁶⁷⁸⁹]+)–(\d+) eV/Å", text)
    assert quoted, f"{page} states no relaxation threshold bounds"
    for low, high in quoted:
        bounds = (10.0 ** -int(low.translate(digits)), float(high))
        assert bounds == (MIN_RELAX_FMAX, MAX_RELAX_FMAX), page


@pytest.mark.parametrize("kind, words", [
    ("complex", "complex array"), ("flags", "flags"), ("text", "numeric text"),
    ("masked", "masked array")])
def test_descriptors_that_are_no_real_numbers_are_refused_as_the_selection_page_says(kind,
                                                                                     words):
    from ase_electrolyte.active_learning import d_optimal_selection, farthest_point_sampling

    x = np.random.default_rng(1).random((6, 3))
    bad = {"complex": x.astype(complex), "flags": x > 0.5, "text": x.astype(str),
           "masked": np.ma.masked_array(x, mask=x > 0.9)}[kind]
    for select in (farthest_point_sampling, d_optimal_selection):
        with pytest.raises(ValueError, match="real number|masked|complex"):
            select(bad, 2)
    text = _page("active_learning.rst")
    assert "must be real numbers" in text and words in text, words


def test_an_observe_interval_longer_than_an_npt_stage_is_refused_as_the_md_page_says():
    from ase_electrolyte.md import check_protocol_arguments

    with pytest.raises(ValueError, match="observe_interval_fs = 100 fs is longer than the "
                                         "equilibration"):
        check_protocol_arguments(
            temperature_K=300.0, pressure_bar=1.0, relax_fmax=2.0, preequilibration_ps=0,
            equilibration_ps=0.05, production_ps=0.05, production_ensemble="nvt",
            preequilibration_timestep_fs=2.0, timestep_fs=1.0, hydrogen_mass=3.0,
            write_interval_fs=10.0, observe_interval_fs=100.0)
    assert "``observe_interval_fs`` (other than its default) longer than an NPT stage" \
        in _page("md.rst")


@pytest.mark.parametrize("value, unit, words", [
    (1.0e-5, "m^2/s", "diffusion coefficient"), (0.003, "mPa·s", "viscosity"),
    (1.0e5, "mS/cm", "conductivity")])
def test_a_measured_transport_value_in_another_unit_is_doubted_as_the_screen_page_says(
        value, unit, words):
    from ase_electrolyte.units import doubts_in_unit

    assert doubts_in_unit(value, unit)
    text = _page("screen.rst")
    assert "measured diffusion coefficient, viscosity or conductivity" in text
    assert words in text
