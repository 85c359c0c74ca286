"""The transport analyses read their option words in any case and spacing, as the calculators
and run_md do (ase_electrolyte.option_words.choice_word), and name a near miss.

Before, ``components="Traceless"``, ``method="Green-Kubo"``, ``plateau="AUTO"``,
``velocities="Auto"`` were refused, ``ion_center={"AN": "COM"}`` was read as a selection
string, and ``compound="Residues"`` took the fragments' branch of the charge lookup.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandViscosity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    OnsagerCoefficients,
)
from mda_electrolyte.ion_collection import IonCollector

DT, TAU = 0.01, 0.05


def _stress(seed=1, n=1500):
    rng = np.random.default_rng(seed)
    p = rng.normal(scale=30.0, size=(n, 3, 3))
    p = 0.5 * (p + p.transpose(0, 2, 1))
    return p + ornstein_uhlenbeck(rng, n, (3, 3), TAU, DT, 300.0)


def _salt(seed=2, n=600):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n, (8, 3), TAU, DT, 5.0)
    return salt_universe(v, integrate(v, DT, start=rng.uniform(0, 40, (8, 3))), n_cations=4,
                         dt=DT, box=40.0)


def _quiet(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().run().results


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("word", ["offdiagonal", "traceless"])
def test_viscosity_components_in_any_case_give_the_same_number(cls, word):
    kw = dict(temperature=300.0, volume=2e4, dt=DT)
    if cls is GreenKuboViscosity:
        kw["max_lag"] = 10 * TAU
    p = _stress()
    plain = _quiet(lambda: cls(p, components=word, **kw)).shear_viscosity
    shouted = _quiet(lambda: cls(p, components=f"  {word.upper()} ", **kw)).shear_viscosity
    assert shouted.value == plain.value and shouted.stderr == plain.stderr
    with pytest.raises(ValueError, match=f"components must be one of .*did you mean '{word}'"):
        cls(p, components=word[:-1], **kw)


def test_plateau_auto_in_any_case():
    p = _stress()
    kw = dict(temperature=300.0, volume=2e4, dt=DT, max_lag=10 * TAU)
    a = _quiet(lambda: GreenKuboViscosity(p, plateau="auto", **kw)).shear_viscosity
    b = _quiet(lambda: GreenKuboViscosity(p, plateau=" AUTO", **kw)).shear_viscosity
    assert a.value == b.value
    # the near miss is named for the viscosity as for the conductivity (it said only "window")
    with pytest.raises(ValueError, match="plateau must be 'auto' or a .*did you mean 'auto'"):
        GreenKuboViscosity(p, plateau="aut", **kw)
    u = _salt()
    kw = dict(temperature=300.0, max_lag=10 * TAU)
    c = _quiet(lambda: GreenKuboConductivity(u, IONS, plateau="auto", **kw)).conductivity
    d = _quiet(lambda: GreenKuboConductivity(u, IONS, plateau="Auto", **kw)).conductivity
    assert c.value == d.value
    with pytest.raises(ValueError, match="plateau must be 'auto' or a .*did you mean 'auto'"):
        GreenKuboConductivity(u, IONS, plateau="aut", **kw)


def test_onsager_method_in_any_case():
    u = _salt()
    a = _quiet(lambda: OnsagerCoefficients(u, IONS, 300.0, method="green-kubo",
                                           max_lag=10 * TAU))
    b = _quiet(lambda: OnsagerCoefficients(u, IONS, 300.0, method=" Green-Kubo ",
                                           max_lag=10 * TAU))
    assert a.conductivity.value == b.conductivity.value
    e = _quiet(lambda: OnsagerCoefficients(u, IONS, 300.0, method="EINSTEIN"))
    assert np.isfinite(e.conductivity.value)
    with pytest.raises(ValueError, match="method must be one of .*did you mean 'einstein'"):
        OnsagerCoefficients(u, IONS, 300.0, method="einstien")


def test_collector_words_in_any_case():
    u = _salt()
    a = IonCollector(u, IONS, velocities="auto").run().collection
    b = IonCollector(u, IONS, velocities=" AUTO ", compound="Residues",
                     ion_center={"AN": "COM"}).run().collection
    assert np.array_equal(a.current, b.current)
    assert np.array_equal(a.ion_positions, b.ion_positions)
    with pytest.raises(ValueError, match="velocities must be True, False or 'auto'"):
        IonCollector(u, IONS, velocities="yes")


def test_compound_word_reads_the_same_charges_in_any_case():
    u = _salt()
    a = _quiet(lambda: Diffusion(u, IONS, compound="residues"))
    b = _quiet(lambda: Diffusion(u, IONS, compound=" RESIDUES"))
    assert a.D == b.D
    assert a.charge_sources == b.charge_sources
    with pytest.raises(ValueError, match="compound must be one of .*did you mean 'residues'"):
        Diffusion(u, IONS, compound="residue")
