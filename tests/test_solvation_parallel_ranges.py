"""A parallel SolvationShells whose RDF range starts after 0 Å ends as the serial one does.

Before: ``run(backend="multiprocessing")`` (or ``"dask"``) with an ``rdf_range`` that starts
after 0 Å counted every frame and then failed in the conclusion with ``AttributeError:
'SolvationShells' object has no attribute '_below_one_bin'`` (set in ``_prepare``, which
only the workers' copies ran). Now the parallel run gives the serial cutoffs, or the serial
error (a range that starts after the first shell), also in the one-bin mode of a narrow range
far from 0 Å.
"""

import warnings

import numpy as np
import pytest

from mda_electrolyte import SolvationShells
from tests.test_solvation import _assert_identical, bn_fec

BACKENDS = ["multiprocessing", "dask"]


def _args():
    u = bn_fec()
    return (u.select_atoms("type 22"), {"PF6": u.select_atoms("byres type 20")},
            {"BN": u.select_atoms("byres type 5"), "FEC": u.select_atoms("byres type 19")})


def _run(backend, **kwargs):
    shells = SolvationShells(*_args(), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if backend == "serial":
            return shells.run(step=2)
        return shells.run(step=2, backend=backend, n_workers=2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_range_after_zero_gives_the_serial_cutoffs(backend):
    if backend == "dask":
        pytest.importorskip("dask")
    kwargs = {"rdf_range": (1.05, 7.5), "rdf_nbins": 64}
    serial, parallel = _run("serial", **kwargs), _run(backend, **kwargs)
    for key in ("cutoffs", "cutoff_source", "cutoff_details", "rdfs", "fractions",
                "coordination_numbers"):
        _assert_identical(serial.results[key], parallel.results[key], key)
    np.testing.assert_array_equal(serial._rdf_below, parallel._rdf_below)
    assert serial._rdf_below.shape == (3, 11)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rdf_range, nbins, one_bin", [((2.6, 7.5), 49, False),
                                                       ((5.0, 5.4), 1600, True)])
def test_range_after_the_first_shell_fails_as_the_serial_run(backend, rdf_range, nbins,
                                                             one_bin):
    # 2.6 Å: after the first Li-N/Li-O shell (the pairs below it show the earlier peak);
    # 5.0-5.4 Å in 1600 bins: 20 000 bins below, so all closer pairs in one bin from 0 Å
    if backend == "dask":
        pytest.importorskip("dask")
    kwargs = {"rdf_range": rdf_range, "rdf_nbins": nbins, "cutoffs": {"PF6": 3.0, "FEC": 2.7}
              if rdf_range[0] < 3 else {"PF6": 5.2, "FEC": 5.2}}
    messages = []
    for run_on in ("serial", backend):
        shells = SolvationShells(*_args(), **kwargs)
        assert shells._below_one_bin is one_bin
        with pytest.raises(ValueError) as err, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if run_on == "serial":
                shells.run(step=2)
            else:
                shells.run(step=2, backend=run_on, n_workers=2)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "(BN: " in messages[0]
    if not one_bin:
        assert "range starts at 2.6 Å after a shell" in messages[0]
