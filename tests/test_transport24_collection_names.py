"""Collections of several runs that do not match are named apart in the refusal.

IonCollector labels every collection "Universe" and IonCollection.from_arrays "arrays" unless
told otherwise: two runs at different spacings were refused as "Universe has a time step of
0.1 ps between analysed frames, Universe has 0.05 ps", naming neither run.
"""

import numpy as np
import pytest

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, OnsagerCoefficients
from mda_electrolyte.ion_collection import IonCollection


def _run(dt, n_ions=3, seed=0, label="arrays"):
    rng = np.random.default_rng(seed)
    pos = np.cumsum(rng.normal(size=(200, 2 * n_ions, 3)), axis=0)
    return IonCollection.from_arrays({"A": n_ions, "B": n_ions}, dt=dt, positions=pos,
                                     charges={"A": 1, "B": -1}, volume=1e4, label=label)


ESTIMATORS = [
    lambda cols: Diffusion.from_collections(cols),
    lambda cols: EinsteinHelfandConductivity.from_collections(cols, temperature=300),
    lambda cols: OnsagerCoefficients.from_collections(cols, temperature=300),
]


@pytest.mark.parametrize("estimate", ESTIMATORS)
def test_runs_at_different_spacings_are_named_by_their_place(estimate):
    cols = [_run(0.05, seed=1), _run(0.05, seed=2), _run(0.1, seed=3)]
    with pytest.raises(ValueError, match=r"collection 2 \(arrays\) has a time step of 0\.1 ps"
                                         r".*collection 0 \(arrays\) has 0\.05 ps.*step="):
        estimate(cols)


@pytest.mark.parametrize("estimate", ESTIMATORS)
def test_runs_of_other_systems_are_named_by_their_place(estimate):
    cols = [_run(0.05, seed=1), _run(0.05, n_ions=4, seed=2)]
    with pytest.raises(ValueError, match=r"'A' differs between collection 0 \(arrays\) and "
                                         r"collection 1 \(arrays\) \(3 vs 4 ions"):
        estimate(cols)


def test_distinct_labels_are_kept():
    cols = [_run(0.05, seed=1, label="run a.xtc"), _run(0.1, seed=2, label="run b.xtc")]
    with pytest.raises(ValueError, match=r"^run b\.xtc has a time step of 0\.1 ps.*run a\.xtc "
                                         r"has 0\.05 ps"):
        Diffusion.from_collections(cols)
