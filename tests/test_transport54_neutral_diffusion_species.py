"""Nernst–Einstein of a run Diffusion whose species include a neutral solvent.

A Diffusion of the ions and the solvent (the solvent in the drift reference, the barycentric
frame; the report analyses every species so) could not be given to NernstEinstein: "the charge
of 'SOL' must be finite and non-zero (e), not 0.0; leave uncharged species out", which only
``diffusivities=`` could do, losing the D's joint segments. A neutral species has no term of
σ_NE = e²/(V k_B T) Σ N_s z_s² D_s, so it is left out, as ``from_collections`` leaves it out.
"""

import warnings

import numpy as np
import pytest
from transport_data import species_universe

from mda_electrolyte import Diffusion, NernstEinstein
from mda_electrolyte.ion_collection import IonCollector

DT, BOX, T = 0.05, 40.0, 300.0
COUNTS = {"LI": 5, "CL": 5, "SOL": 6}
CHARGE = {"LI": 1.0, "CL": -1.0, "SOL": 0.0}
IONS = {s: f"resname {s}" for s in COUNTS}


@pytest.fixture(scope="module")
def universe():
    masses = {"LI": 6.94, "CL": 35.45, "SOL": 90.0}
    return species_universe(np.random.default_rng(541), COUNTS, masses, charges=CHARGE,
                            dt=DT, box=BOX)


@pytest.mark.parametrize("n_blocks", [None, 4])
def test_the_solvent_of_a_diffusion_has_no_term(universe, n_blocks):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(universe, IONS, n_blocks=n_blocks).run()
        r = NernstEinstein(d, temperature=T).results
        col = IonCollector(universe, IONS).run().collection
        same = NernstEinstein.from_collections(col, temperature=T, n_blocks=n_blocks).results
    assert set(r.contributions) == {"LI", "CL"}
    assert set(r.transference_numbers) == {"LI", "CL"}
    dc = d.results.diffusion_coefficient
    # σ_NE ∝ Σ N_s z_s² D_s over the ions only: the ratio of the terms is N D of each
    assert r.contributions["LI"].value / r.contributions["CL"].value == pytest.approx(
        dc["LI"].value / dc["CL"].value, rel=1e-12)
    # as from_collections, which takes the charged species of the same D's
    assert r.conductivity.value == pytest.approx(same.conductivity.value, rel=1e-9)
    assert r.conductivity.stderr == pytest.approx(same.conductivity.stderr, rel=1e-9)
    assert r.conductivity.valid == same.conductivity.valid


def test_given_diffusivities_of_a_neutral_species_are_still_refused():
    # a neutral species named in diffusivities= by the caller is a mistake worth a word
    with pytest.raises(ValueError, match="charge of 'SOL' must be finite and non-zero"):
        NernstEinstein(temperature=T, diffusivities={"LI": 0.1, "CL": 0.1, "SOL": 0.2},
                       n_ions={"LI": 5, "CL": 5, "SOL": 6},
                       charges={"LI": 1, "CL": -1, "SOL": 0}, volume=64000.0)


def test_a_diffusion_of_neutral_species_only_is_refused(universe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(universe, {"SOL": "resname SOL"}).run()
    with pytest.raises(ValueError, match="non-zero"):
        NernstEinstein(d, temperature=T)
