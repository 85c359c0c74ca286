"""The demo's HTML report shows the box's packing density and packed composition as numbers
with their errors and verdicts, never as bare numbers.

Before: the settings table read "packing density (g/cm³; input ...) 1.245" and "packing
density uncertainty (g/cm³) 0.011", two plain numbers, and said nothing of the composition
whole molecules make of the 1.0 mol/kg asked (1.44 mol/kg at ~100 atoms). Now the packing
density is one given Estimate (value ± error, "given, not a result"), and the asked
concentration and solvent shares (given) stand beside the packed ones (exact ratios of the
counts, as ``info["packed_composition"]`` of the box builder records them).
"""

import argparse
import html
import re

import pytest

from ase_electrolyte.build import composition_counts, estimate_density
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import write_html_report
from electrolyte_cli.demo import _demo_counts, demo_settings, protocol_settings


def _settings(n_atoms, density=None):
    counts = _demo_counts(n_atoms)
    density = estimate_density(counts) if density is None else density
    sim = protocol_settings(argparse.Namespace(equilibration_ps=None, production_ps=None,
                                               quiet=True), False)
    return counts, density, demo_settings(
        counts, density, sim, n_atoms=n_atoms, dispersion="d3-bj", gpu=False, wall_s=12.3,
        limits=["too short: 0.2 ps of production"])


def _rows(page):
    """``{heading: (cells...)}`` of every estimate row of the page."""
    rows = {}
    for cls, body in re.findall(r"<tr class='(\w+)'>(.*?)</tr>", page):
        cells = [html.unescape(re.sub("<[^>]+>", "", c))
                 for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", body)]
        rows.setdefault(cls, []).append(cells)
    return rows


def _page(settings, tmp_path):
    path = write_html_report(tmp_path / "report.html", title="demo", settings=settings,
                             summary={})
    return path.read_text()


@pytest.mark.parametrize("n_atoms", [100, 300, 1000])
def test_packing_density_is_one_given_estimate_with_its_error(n_atoms, tmp_path):
    counts, density, settings = _settings(n_atoms)
    packing = settings["packing density"]
    assert isinstance(packing, Estimate) and packing.given and packing.valid
    assert packing.value == density.value and packing.stderr == density.stderr > 0
    assert packing.unit == "g/cm^3"
    # no bare number of the density anywhere in the settings
    assert not any("packing density" in k for k in settings if k != "packing density")
    page = _page(settings, tmp_path)
    # value ± error as the terminal writes it (the error to two significant digits)
    given = [r for r in _rows(page)["given"] if r[1] == density.number_text()]
    assert given, page
    assert given[0][2] == "g/cm^3" and given[0][3] == "given, not a result"


@pytest.mark.parametrize("n_atoms", [100, 300, 1000])
def test_packed_composition_beside_the_asked_one(n_atoms, tmp_path):
    counts, _, settings = _settings(n_atoms)
    packed = settings["packed composition"]
    asked = Estimate.from_dict(packed["concentration_asked"])
    held = Estimate.from_dict(packed["concentration_packed"])
    assert asked.given and asked.value == 1.0 and asked.unit == "mol/kg"
    # by hand: formula units per kg of the solvents' mass
    solvent_g = sum(sp.mass * n for sp, n in counts.items() if sp.charge == 0)
    pairs = min(n for sp, n in counts.items() if sp.charge > 0)
    assert held.value == pytest.approx(1000.0 * pairs / solvent_g, rel=1e-12)
    assert not held.given and held.valid and held.stderr == 0
    shares = {k: Estimate.from_dict(v).value
              for k, v in packed["solvent_shares_packed"].items()}
    assert sum(shares.values()) == pytest.approx(1.0)
    by_name = {sp.name: sp for sp in counts}
    ec_g = by_name["EC"].mass * counts[by_name["EC"]]
    assert shares["EC"] == pytest.approx(ec_g / solvent_g, rel=1e-12)
    rows = _rows(_page(settings, tmp_path))
    numbers = [r[1] for r in rows["valid"]]
    assert any(n.startswith(f"{held.value:.6g}") for n in numbers), numbers
    assert any(r[1] == "1" and "given" in r[3] for r in rows["given"]), rows["given"]


def test_a_density_estimate_not_valid_is_struck_on_the_page(tmp_path):
    counts = _demo_counts(100)
    doubted = estimate_density(counts).with_notes("a density source in doubt",
                                                  converged=False)
    _, _, settings = _settings(100, doubted)
    packing = settings["packing density"]
    assert packing.given and not packing.valid
    assert "a density source in doubt" in packing.notes
    page = _page(settings, tmp_path)
    assert f"<s>{doubted.number_text()}</s>" in page
    assert "a density source in doubt" in page


#: The demo's protocol settings: (key, unit, value on a CPU without options).
PROTOCOL = [("temperature", "K", 298.0), ("pressure", "bar", 1.01325),
            ("pre-equilibration NPT", "ps", 0.2), ("equilibration NPT", "ps", 0.0),
            ("production NVT", "ps", 0.2), ("frame interval", "fs", 4.0)]


@pytest.mark.parametrize(("key", "unit", "value"), PROTOCOL)
def test_protocol_settings_are_given_numbers(key, unit, value, tmp_path):
    _, _, settings = _settings(100)
    est = settings[key]
    assert isinstance(est, Estimate) and est.given and est.valid and est.stderr == 0
    assert est.unit == unit and est.value == value


def test_no_bare_float_among_the_settings():
    # a count of atoms or molecules is an integer; every other number carries its unit
    _, _, settings = _settings(100)

    def floats(obj):
        if isinstance(obj, dict):
            if {"value", "stderr"} <= set(obj):
                return []
            return [f for v in obj.values() for f in floats(v)]
        return [obj] if isinstance(obj, float) else []

    assert floats({k: v for k, v in settings.items() if not isinstance(v, Estimate)}) == []


def test_the_counts_are_the_library_composition_counts():
    # the demo's composition is the one of its description, defined once
    assert _demo_counts(300) == composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0,
                                                   units="molal", n_atoms=300)
