"""The "too short" notes of the transport analyses read as sentences: "{subject} holds N
independent samples" with a singular subject.

Diffusion named its series "the position increments of Li", so its verdicts read "too short:
the position increments of Li holds 20.3 independent samples" and "4 correlation times of the
position increments of Li". Its subject is now "the position-increment series of Li"; every
analysis that judges its sampling by :func:`mda_electrolyte.correlation.independence_notes` is
checked here on a run short against its correlation time.
"""

import re
import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)


@pytest.fixture(scope="module")
def short_salt():
    # 400 frames of 0.05 ps, velocities correlated over 0.5 ps: ~20 independent samples
    rng = np.random.default_rng(5)
    dt = 0.05
    v = ornstein_uhlenbeck(rng, 400, (4, 3), 0.5, dt, 2.0)
    return salt_universe(v, integrate(v, dt), n_cations=2, dt=dt, box=40.0)


ANALYSES = {
    "diffusion": lambda u: Diffusion(u, IONS, n_blocks=5, remove_drift=False),
    "einstein_helfand": lambda u: EinsteinHelfandConductivity(
        u, IONS, temperature=300.0, volume=64000.0, n_blocks=5),
    "green_kubo": lambda u: GreenKuboConductivity(
        u, IONS, temperature=300.0, volume=64000.0, n_blocks=5),
    "onsager_einstein": lambda u: OnsagerCoefficients(
        u, IONS, temperature=300.0, volume=64000.0, n_blocks=5, remove_drift=False),
    "onsager_green_kubo": lambda u: OnsagerCoefficients(
        u, IONS, temperature=300.0, volume=64000.0, n_blocks=5, method="green-kubo"),
}


def _notes(results):
    """Every note of every Estimate in the results (dicts of Estimates included)."""
    found = []
    for value in vars(results).values() if not hasattr(results, "keys") else results.values():
        items = value.values() if isinstance(value, dict) else [value]
        for item in items:
            found += list(getattr(item, "notes", ()) or ())
    return found


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_every_too_short_note_has_a_singular_subject(short_salt, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = ANALYSES[name](short_salt).run().results
    notes = [n for n in _notes(results) if " holds " in n and "independent samples" in n]
    assert notes, (name, _notes(results))
    for note in notes:
        subject = re.match(r"too short: (.+?) holds \d", note).group(1)
        # a plural head noun ("increments of Li", "currents of") would need "hold"
        assert not re.search(r"\b(increments|currents|velocities|positions)( of|$)", subject), note
    if name == "diffusion":
        assert {re.match(r"too short: (.+?) holds", n).group(1) for n in notes} == {
            "the position-increment series of Li", "the position-increment series of AN"}
