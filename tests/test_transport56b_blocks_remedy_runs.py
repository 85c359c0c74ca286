"""The ``n_blocks`` a refusal of rows too few for the blocks advises is one the estimator takes.

Several runs give the segments of the conductivities and Onsager coefficients with one block
each, and Diffusion has an error over ions from one segment, so ``n_blocks = 1`` is accepted
there; the remedy advised "n_blocks = 2 to 3" (6 frames a run) and "analyse more frames (2
blocks need at least 4 frames)" (3 frames a run) all the same. Each advice is followed here:
every ``n_blocks`` it names must be accepted as far as the blocks go, the one below refused,
through ``run()`` and ``from_collections`` alike.
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
from mda_electrolyte.ion_collection import IonCollector

DT = 0.05
CLASSES = {
    "green_kubo": (GreenKuboConductivity, dict(temperature=300.0, volume=64000.0)),
    "einstein_helfand": (EinsteinHelfandConductivity, dict(temperature=300.0, volume=64000.0)),
    "onsager": (OnsagerCoefficients, dict(temperature=300.0, volume=64000.0)),
    "diffusion": (Diffusion, {}),
}
# fewest n_blocks each takes: one run, several runs
FEWEST = {"green_kubo": (2, 1), "einstein_helfand": (2, 1), "onsager": (2, 1),
          "diffusion": (1, 1)}


def _universe(seed, n_frames):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (4, 3), 0.1, DT, 2.0)
    return salt_universe(v, integrate(v, DT), n_cations=2, dt=DT, box=40.0)


def _advice(text):
    """The n_blocks values a remedy names (empty when it names none)."""
    m = re.search(r"give n_blocks = (\d+)(?: to (\d+))?\b", text)
    if not m:
        return []
    lo = int(m.group(1))
    return list(range(lo, int(m.group(2) or lo) + 1))


def _blocks_refusal(call):
    """The message of a refusal about splitting into blocks, or None if there was none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call()
        except ValueError as exc:
            if "cannot be split" in str(exc) or "needs at least 2 segments" in str(exc):
                return str(exc)
    return None


@pytest.mark.parametrize("n_frames", [3, 6, 9])
@pytest.mark.parametrize("n_runs", [1, 2])
@pytest.mark.parametrize("name", sorted(CLASSES))
@pytest.mark.parametrize("path", ["run", "from_collections"])
def test_the_advised_n_blocks_are_accepted(name, n_runs, n_frames, path):
    cls, kw = CLASSES[name]
    universes = [_universe(10 * k + n_frames, n_frames) for k in range(n_runs)]
    if path == "run":
        def make(n_blocks):
            return cls(universes if n_runs > 1 else universes[0], IONS, n_blocks=n_blocks,
                       **kw).run()
    else:
        collections = [IonCollector(u, IONS).run().collection for u in universes]

        def make(n_blocks):
            return cls.from_collections(collections, n_blocks=n_blocks, **kw)
    text = _blocks_refusal(lambda: make(5))
    assert text is not None and "cannot be split into 5 blocks" in text, text
    fewest = FEWEST[name][n_runs > 1]
    allowed = n_frames // 2
    advised = _advice(text)
    assert advised == list(range(fewest, allowed + 1)), text
    if not advised:
        assert "analyse more frames" in text
    for n_blocks in advised:
        assert _blocks_refusal(lambda n=n_blocks: make(n)) is None, (n_blocks, text)
    # one block more than advised is refused, and one fewer where that is not 0
    assert _blocks_refusal(lambda: make(allowed + 1)) is not None
    if fewest > 1:
        assert _blocks_refusal(lambda: make(fewest - 1)) is not None
