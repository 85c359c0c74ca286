"""The transport analyses name a bad selection, a list where a dict is due, and no Universes.

Found by probing: a selection typo (``"name Li and ("``) in ``ions`` or ``ion_center``
raised MDAnalysis' SelectionError "Unknown selection token: 'None'", naming neither the
species nor the selection; ``charges=[1, -1]`` raised "cannot convert dictionary update
sequence element #0"; an empty list of Universes was refused as "the error estimate needs at
least 2 segments".
"""

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    IonCollector,
    OnsagerCoefficients,
)


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(3)
    v = ornstein_uhlenbeck(rng, 300, (6, 3), 0.1, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=3, dt=0.01)


ANALYSES = {
    "GreenKuboConductivity": lambda u, ions, **k: GreenKuboConductivity(u, ions, 300, **k),
    "EinsteinHelfandConductivity": lambda u, ions, **k: EinsteinHelfandConductivity(
        u, ions, 300, **k
    ),
    "OnsagerCoefficients": lambda u, ions, **k: OnsagerCoefficients(u, ions, 300, **k),
    "Diffusion": lambda u, ions, **k: Diffusion(u, ions, **k),
    "IonCollector": lambda u, ions, **k: IonCollector(u, ions, **k),
}


@pytest.mark.parametrize("analysis", list(ANALYSES))
@pytest.mark.parametrize(
    "selection", ["name Li and (", "resname (", "nmae Li", "name Li or", "name Li and resid 0:1"]
)
def test_selection_typos_named(universe, analysis, selection):
    ions = {"Li": selection, "AN": "resname AN"}
    with pytest.raises(ValueError, match=r"ions\['Li'\] = .* is not a valid MDAnalysis selection"):
        ANALYSES[analysis](universe, ions)


@pytest.mark.parametrize("analysis", [a for a in ANALYSES if a != "IonCollector"])
def test_ion_center_typos_named(universe, analysis):
    with pytest.raises(
        ValueError, match=r"ion_center\['AN'\] = 'name A and \(' is not a valid MDAnalysis"
    ):
        ANALYSES[analysis](universe, IONS, ion_center={"AN": "name A and ("})


@pytest.mark.parametrize("analysis", [a for a in ANALYSES if a != "IonCollector"])
@pytest.mark.parametrize("name", ["charges", "ion_center"])
@pytest.mark.parametrize("value", [[1, -1], (1.0, -1.0), np.array([1.0, -1.0]), "com"])
def test_lists_where_a_dict_is_due_named(universe, analysis, name, value):
    with pytest.raises(TypeError, match=rf"{name} must be a dict \{{species name: \.\.\.\}}"):
        ANALYSES[analysis](universe, IONS, **{name: value})


@pytest.mark.parametrize("analysis", [a for a in ANALYSES if a != "IonCollector"])
@pytest.mark.parametrize("empty", [[], ()])
def test_no_universes_named(analysis, empty):
    with pytest.raises(ValueError, match="the list of Universes is empty"):
        ANALYSES[analysis](empty, IONS)


def test_valid_selections_still_work(universe):
    gk = GreenKuboConductivity(
        universe,
        {"Li": "name Li", "AN": "resname AN and name A"},
        300,
        max_lag=0.1,
        charges={"Li": 1.0, "AN": -1.0},
        ion_center={"AN": "name A"},
        n_blocks=2,
        check_sampling=False,
    ).run()
    assert np.isfinite(gk.results.conductivity.value)
    assert gk.results.charges["Li"] == {"charge": 1.0, "source": "given"}
