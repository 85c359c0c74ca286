"""``info["packed_composition"]`` held bare floats beside the Estimates of the box's other
records (``cation_molality``, ``counted_composition``): the asked concentration read as a
measured number, the packed one without an error or verdict, and the packed shares by volume,
which rest on the measured densities of the pure liquids, as if exact. Each number is now an
Estimate's dict form: the asked ones given, the packed ones and the deviations exact, the
shares by volume with their errors propagated from ``LIQUID_DENSITIES`` (checked here against
a finite difference of those densities)."""
import math

import numpy as np
import pytest

from ase_electrolyte.build import (
    COUNTED_METHOD,
    _packed_composition,
    _packed_record,
    composition_counts,
    electrolyte_box,
)
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.species import LIQUID_DENSITIES

_CASES = [
    ({"EC": 3, "EMC": 7}, "LiPF6", 1.0, {"ratio": "mass"}),
    ({"EC": 1, "DMC": 1}, "LiFSI", 1.2, {"ratio": "mole"}),
    ({"EC": 1, "DMC": 1}, "LiPF6", 1.0, {"ratio": "volume"}),
    ({"PC": 2, "DEC": 3, "EMC": 5}, "NaPF6", 0.8, {"ratio": "volume"}),
    ({"EC": 1, "EMC": 2}, "LiPF6", 1.0, {"units": "molar", "density": 1.25}),
    ({"DMC": 1}, None, 0.0, {}),
    ({"EC": 1, "DEC": 1}, None, 0.0, {"ratio": "volume"}),
]


def _record(solvent, salt, conc, kw, n_atoms=400):
    counts = composition_counts(solvent, salt, conc, n_atoms=n_atoms, **kw)
    raw = _packed_composition(counts, solvent, salt, conc, **kw)
    return counts, raw, _packed_record(raw, counts)


def _shares(counts, names, rho):
    by_name = {sp.name: (sp, n) for sp, n in counts.items()}
    v = np.array([by_name[k][1] * by_name[k][0].mass / r for k, r in zip(names, rho, strict=True)])
    return v / v.sum()


@pytest.mark.parametrize("case", _CASES, ids=lambda c: f"{'-'.join(c[0])}-{c[1]}-{c[3]}")
def test_every_number_is_an_estimate_given_or_exact(case):
    solvent, salt, conc, kw = case
    counts, raw, rec = _record(solvent, salt, conc, kw)
    assert rec["units"] == raw["units"] and rec["ratio"] == raw["ratio"]
    asked = Estimate.from_dict(rec["concentration_asked"])
    assert asked.given and asked.value == conc and asked.unit == raw["units"]
    for key in ("concentration_packed", "concentration_deviation"):
        e = Estimate.from_dict(rec[key])
        assert not e.given and e.valid and e.stderr == 0.0 and e.method == COUNTED_METHOD
        assert e.value == raw[key]
    assert Estimate.from_dict(rec["concentration_packed"]).unit == raw["units"]
    for name, value in raw["solvent_shares_asked"].items():
        e = Estimate.from_dict(rec["solvent_shares_asked"][name])
        assert e.given and e.value == value and e.unit == "1"
    packed = {k: Estimate.from_dict(v) for k, v in rec["solvent_shares_packed"].items()}
    assert {k: e.value for k, e in packed.items()} == raw["solvent_shares_packed"]
    assert all(e.valid and not e.given and e.unit == "1" for e in packed.values())
    by_volume = raw["ratio"] == "volume" and len(solvent) > 1
    assert all((e.stderr > 0) == by_volume for e in packed.values())
    worst = Estimate.from_dict(rec["solvent_share_deviation"])
    assert worst.value == raw["solvent_share_deviation"] and (worst.stderr > 0) == by_volume


@pytest.mark.parametrize("case", [c for c in _CASES if c[3].get("ratio") == "volume"],
                         ids=lambda c: "-".join(c[0]))
def test_volume_share_errors_are_the_density_errors_propagated(case):
    solvent, salt, conc, kw = case
    counts, raw, rec = _record(solvent, salt, conc, kw)
    names = list(raw["solvent_shares_packed"])
    rho = np.array([LIQUID_DENSITIES[n].value_g_cm3 for n in names])
    sigma = np.array([LIQUID_DENSITIES[n].error_g_cm3 for n in names])
    assert _shares(counts, names, rho) == pytest.approx(
        [raw["solvent_shares_packed"][n] for n in names], rel=1e-12)
    # central differences in each density, added in quadrature
    jac = np.empty((len(names), len(names)))
    for j in range(len(names)):
        h = 1e-6 * rho[j]
        up, down = rho.copy(), rho.copy()
        up[j] += h
        down[j] -= h
        jac[:, j] = (_shares(counts, names, up) - _shares(counts, names, down)) / (2 * h)
    expected = np.sqrt(((jac * sigma) ** 2).sum(axis=1))
    got = [rec["solvent_shares_packed"][n]["stderr"] for n in names]
    assert got == pytest.approx(expected, rel=1e-6)
    # the shares sum to one whatever the densities: the two of a binary err alike
    if len(names) == 2:
        assert got[0] == pytest.approx(got[1], rel=1e-9)


def test_the_error_bar_covers_the_share_at_densities_drawn_within_their_errors():
    """Calibration: with densities drawn from their stated errors, about 68 % of the packed
    EC shares fall within one propagated error of the recorded one (first order holds:
    errors of a few per mille)."""
    counts, raw, rec = _record({"EC": 1, "DMC": 1}, "LiPF6", 1.0, {"ratio": "volume"})
    names = list(raw["solvent_shares_packed"])
    rho = np.array([LIQUID_DENSITIES[n].value_g_cm3 for n in names])
    sigma = np.array([LIQUID_DENSITIES[n].error_g_cm3 for n in names])
    e = Estimate.from_dict(rec["solvent_shares_packed"]["EC"])
    rng = np.random.default_rng(0)
    drawn = np.array([_shares(counts, names, rho + sigma * rng.standard_normal(2))[0]
                      for _ in range(4000)])
    inside = np.mean(np.abs(drawn - e.value) <= e.stderr)
    assert inside == pytest.approx(math.erf(1 / math.sqrt(2)), abs=0.03)


def test_the_box_records_its_packed_composition_as_estimates():
    box = electrolyte_box({"EC": 1, "DMC": 1}, "LiPF6", 1.0, n_atoms=120, ratio="volume",
                          seed=0, conformers="lowest")
    rec = box.info["packed_composition"]
    counts = {sp: n for sp, n in composition_counts(
        {"EC": 1, "DMC": 1}, "LiPF6", 1.0, n_atoms=120, ratio="volume").items()}
    assert rec == _packed_record(_packed_composition(
        counts, {"EC": 1, "DMC": 1}, "LiPF6", 1.0, ratio="volume"), counts)
    packed = Estimate.from_dict(rec["concentration_packed"])
    assert packed.value == pytest.approx(box.info["cation_molality"]["value"], rel=1e-12)
    assert Estimate.from_dict(rec["concentration_asked"]).given
