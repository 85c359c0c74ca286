"""The "not diffusive" note of a caged MSD does not say its slope grows.

The note read "its slope grows as t^(β - 1) with β = -0.48" for ions held in cages (an MSD that
levels off, β < 1: its slope falls); it now says the slope varies as t^(β - 1), and β is below 1
for caged and 2 for ballistic motion.
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity
from mda_electrolyte.ion_collection import IonCollection

DT = 0.02
N = 16


def _collection(kind):
    rng = np.random.default_rng(2)
    if kind == "caged":
        # positions relax about fixed sites: the MSD levels off at 2 × 3 × 0.25 Å²
        pos = ornstein_uhlenbeck(rng, 3000, (2 * N, 3), 1.0, DT, 0.5)
        pos += rng.uniform(0.0, 20.0, (1, 2 * N, 3))
        vel = np.gradient(pos, DT, axis=0)
    else:
        vel = np.repeat(rng.normal(0.0, 1.0, (1, 2 * N, 3)), 3000, axis=0)
        pos = integrate(vel, DT)
    return IonCollection.from_arrays({"LI": N, "AN": N}, dt=DT, velocities=vel, positions=pos,
                                     charges={"LI": 1.0, "AN": -1.0}, volume=8000.0)


@pytest.mark.parametrize("kind, below_one", [("caged", True), ("ballistic", False)])
@pytest.mark.parametrize("estimate", [
    lambda col: Diffusion.from_collections(col, n_blocks=10).results.diffusion_coefficient["LI"],
    lambda col: EinsteinHelfandConductivity.from_collections(
        col, temperature=300.0).results.conductivity,
], ids=["diffusion", "einstein-helfand"])
def test_the_note_says_varies_and_beta_is_the_motions(kind, below_one, estimate):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = estimate(_collection(kind))
    notes = [n for n in est.notes if n.startswith("not diffusive: the log-log slope")]
    assert notes and not est.valid
    assert "grows as" not in notes[0]
    assert "varies as t^(β - 1) with β = " in notes[0]
    beta = float(notes[0].split("β = ")[1].split()[0])
    assert (beta < 1.0) is below_one
    if not below_one:
        assert beta == pytest.approx(2.0, abs=0.05)
