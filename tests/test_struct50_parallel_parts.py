"""A part of a parallel run comes back as its frames, times and results alone.

Each part of a run was returned as a copy of the whole analysis, calculators included. ASE's
EMT cannot be pickled once it has computed (its ``initialize`` sets a lambda), so every
``run(backend="multiprocessing")`` of IntraInterErrors and RigidVolumeScan with EMT failed
after all frames had been evaluated, with multiprocessing's "Error sending result: ...
Can't pickle local object 'EMT.initialize.<locals>.<lambda>'". The parts now hold what
``AnalysisBase.run`` reads of them, and the results equal the serial run's (Estimates by
value, error and verdict) for every frame selection, also with more parts than frames.

An analysis that cannot be sent at all (a calculator already used) is refused by a named
``TypeError`` before any frame is read, where pickle's AttributeError came from the pool.
"""

import warnings

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from test_transport20_backends import _flat  # every leaf of the results, Estimates whole

from mda_electrolyte import IntraInterErrors, RigidVolumeScan


def _frames(n=4):
    rng = np.random.default_rng(1)
    out = []
    for _ in range(n):
        a, b = molecule("H2O"), molecule("H2O")
        b.positions += [3.0 + 0.1 * rng.normal(), 0.2 * rng.normal(), 0.1 * rng.normal()]
        pair = a + b
        pair.cell, pair.pbc = [9.0] * 3, True
        pair.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
        out.append(pair)
    return out


def _errors(calc):
    return IntraInterErrors(_frames(), calc, reference=LennardJones(sigma=1.0, rc=4.0))


def _scan(calc):
    return RigidVolumeScan(_frames(), calc, scales=[0.95, 1.0, 1.2])


def _assert_same(serial, parallel):
    a, b = _flat(serial.results), _flat(parallel.results)
    assert a.keys() == b.keys()
    numbers = 0
    for k in a:
        try:
            x, y = np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float)
        except (TypeError, ValueError):
            assert str(a[k]) == str(b[k]), k
            continue
        numbers += 1
        np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-15, equal_nan=True, err_msg=k)
    assert numbers >= 5
    np.testing.assert_array_equal(parallel.frames, serial.frames)
    np.testing.assert_array_equal(parallel.times, serial.times)


@pytest.mark.parametrize("make", [_errors, _scan], ids=["IntraInterErrors", "RigidVolumeScan"])
@pytest.mark.parametrize("selection", [{},
                                       {"frames": [True, False, True, True]},
                                       {"frames": [3, 2, 0]}],
                         ids=["all", "mask", "backwards"])
def test_emt_runs_on_multiprocessing_with_the_serial_result(make, selection):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        serial = make(EMT()).run(**selection)
        # more parts than frames: empty parts come back too
        parallel = make(EMT()).run(backend="multiprocessing", n_workers=2, n_parts=5,
                                   **selection)
    _assert_same(serial, parallel)


@pytest.mark.parametrize("make,name", [(_errors, "IntraInterErrors"),
                                       (_scan, "RigidVolumeScan")])
def test_a_calculator_that_cannot_be_pickled_is_refused_before_any_frame(make, name):
    used = EMT()
    atoms = _frames(1)[0]
    atoms.calc = used
    atoms.get_potential_energy()
    analysis = make(used)
    calls = []
    original = used.calculate
    used.calculate = lambda *a, **k: (calls.append(1), original(*a, **k))[1]
    # a fault of the data (here the frame selection) is named first, whatever the backend
    with pytest.raises(ValueError, match=rf"^{name}: the frame selection is outside"):
        analysis.run(backend="multiprocessing", n_workers=2, frames=[0, 99])
    # then the analysis that cannot be sent, before any model call
    with pytest.raises(TypeError, match=rf"^{name}: backend='multiprocessing' sends the "
                                        r"analysis to worker processes, but its .*calculator "
                                        r"\(EMT\) cannot be pickled .*backend='dask'"):
        analysis.run(backend="multiprocessing", n_workers=2, frames=[0, 1])
    assert calls == []
    # a serial run of the same analysis is not concerned
    analysis.run()
    assert calls
