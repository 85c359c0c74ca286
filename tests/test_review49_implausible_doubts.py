"""One rule of plausible values, asked two ways: ``units.implausible_doubts`` returns the doubts
and ``warn_implausible`` warns each. The transport analyses turned the warnings into verdict
notes by catching them (``warnings.catch_warnings``), which is not thread-safe: analyses run in
threads (dask's threaded scheduler, a screen worker's tasks) lost or swapped their notes, and a
number computed from a temperature in °C could come out valid."""
import sys
import threading
import warnings

import numpy as np
import pytest

from ase_electrolyte.units import implausible_doubts, warn_implausible
from mda_electrolyte.carriers import doubted_unit_notes

CASES = [
    {"temperature_K": 25.0},
    {"temperature_K": 0.0259},
    {"temperature_K": 3000.0},
    {"pressure_bar": 1.0e5},
    {"timestep_fs": 0.001},
    {"timestep_fs": 8.0, "timestep_name": "timestep_fs"},
    {"density_g_cm3": 1200.0},
    {"density_g_cm3": 0.05, "density_measured": False},
    {"concentration": 1000.0},
    {"shear_stress_bar": np.random.default_rng(0).normal(scale=1e-3, size=(50, 3))},
    {"temperature_K": 300.0, "pressure_bar": 1.0},
]


@pytest.mark.parametrize("values", CASES)
def test_the_warnings_are_the_doubts(values):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_implausible(**values)
    assert [str(w.message) for w in caught] == implausible_doubts(**values)
    assert all(issubclass(w.category, UserWarning) for w in caught)


@pytest.mark.parametrize("values", CASES)
def test_the_notes_are_the_doubts_and_warn_nothing(values):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a note is no warning
        notes = doubted_unit_notes("the temperature", **values)
    assert notes == [f"unit doubted: the temperature: {d}" for d in implausible_doubts(**values)]


def test_notes_asked_from_many_threads_at_once_are_each_threads_own():
    doubted, plain = {"temperature_K": 25.0}, {"temperature_K": 300.0}
    expected = len(doubted_unit_notes("T", **doubted))
    assert expected == 1
    wrong = []
    start = threading.Barrier(6)

    def ask(values, n_expected):
        start.wait()
        for _ in range(400):
            got = doubted_unit_notes("T", **values)
            if len(got) != n_expected:
                wrong.append(got)

    threads = [threading.Thread(target=ask, args=(doubted if k % 2 else plain,
                                                  expected if k % 2 else 0))
               for k in range(6)]
    # switch threads often, as a loaded machine does
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not wrong, wrong[:3]
