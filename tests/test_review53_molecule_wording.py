"""A neutral species' one-trajectory D speaks of molecules, not ions.

With one trajectory (``n_blocks=1``) the error of D comes from the spread over the species'
ions, or its molecules for a solvent. The demo's D[EC] said "too few ions: 1 degree of freedom
for the error over them" and "t-scaled standard error over 2 ions", although EC is a solvent:
every word of a neutral species' D now says molecules, every word of an ion's D ions.
"""

import warnings

import numpy as np
import pytest
from transport_data import species_universe

from mda_electrolyte import Diffusion

COUNTS = {"LI": 2, "CL": 2, "SOL": 2}
CHARGE = {"LI": 1.0, "CL": -1.0, "SOL": 0.0}


@pytest.fixture(scope="module")
def estimates():
    masses = {"LI": 6.94, "CL": 35.45, "SOL": 90.0}
    u = species_universe(np.random.default_rng(531), COUNTS, masses, charges=CHARGE,
                         n_frames=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(u, {s: f"resname {s}" for s in COUNTS}).run()
    return d.results.diffusion_coefficient


@pytest.mark.parametrize("species,word,other", [("SOL", "molecules", "ions"),
                                                ("LI", "ions", "molecules"),
                                                ("CL", "ions", "molecules")])
def test_the_words_follow_the_charge(estimates, species, word, other):
    est = estimates[species]
    assert not est.valid
    words = " ".join(est.notes) + " " + est.method
    assert f"over 2 {word}" in est.method, est.method
    assert f"too few {word}" in words, words
    assert f"too few {other}" not in words and f"2 {other}" not in words, words
