"""collect() sets up every Universe's collector before the first pass.

Before: ``collect([u_good, u_without_velocities], ions, velocities=True)`` ran the whole pass
over the first Universe and only then refused the second (no velocities); ``run_kwargs=[1]``
was Python's "argument after ** must be a mapping" after the set-up.
"""

import numpy as np
import pytest
from transport_data import salt_universe

from mda_electrolyte.ion_collection import IonCollector, collect

IONS = {"Li": "resname LI", "AN": "resname AN"}
T, N = 30, 4


def _universe(seed, velocities=True):
    rng = np.random.default_rng(seed)
    v = rng.normal(0.0, 5.0, (T, 2 * N, 3))
    x = 20.0 + np.cumsum(v, 0) * 0.001
    return salt_universe(v if velocities else None, x, n_cations=N, dt=0.001)


def _count_passes(monkeypatch):
    passes = []
    run = IonCollector.run

    def counted(self, *args, **kwargs):
        passes.append(self._label)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(IonCollector, "run", counted)
    return passes


@pytest.mark.parametrize(
    "bad,kwargs,match",
    [
        ("no velocities", {"velocities": True}, "Universe 1 has no velocities"),
        ("no ions", {}, "selects no atoms"),
    ],
)
def test_a_later_universe_is_refused_before_any_pass(monkeypatch, bad, kwargs, match):
    passes = _count_passes(monkeypatch)
    second = _universe(1, velocities=bad != "no velocities")
    if bad == "no ions":
        # "resname AN" selects the anions of the first Universe only
        second.residues[N:].resnames = "XX"
    with pytest.raises(ValueError, match=match):
        collect([_universe(0), second], IONS, **kwargs)
    assert passes == []


def test_run_kwargs_that_are_no_dict_are_refused_by_name(monkeypatch):
    passes = _count_passes(monkeypatch)
    with pytest.raises(TypeError, match="run_kwargs must be a dict of run"):
        collect([_universe(0)], IONS, run_kwargs=[1])
    assert passes == []


def test_good_universes_are_collected_in_order():
    cols = collect([_universe(0), _universe(1)], IONS, run_kwargs={"stop": 20})
    assert [c.label for c in cols] == ["Universe 0", "Universe 1"]
    assert [c.n_frames for c in cols] == [20, 20]
    assert not np.allclose(cols[0].current, cols[1].current)
