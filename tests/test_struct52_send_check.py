"""The check that a parallel run can send its analysis leaves a model's tensors alone.

Before a ``backend="multiprocessing"`` or ``"dask"`` run, the analysis is pickled to nowhere so
that an object that cannot be sent is named before any frame is read. With torch loaded,
``multiprocessing``'s pickler carries torch's reducers: pickling a tensor moves its storage to
shared memory and leaves a duplicate of its file descriptor with the resource sharer until a
worker takes it. The check sends nothing, so none was ever taken: every parallel run of an
analysis holding a model kept one descriptor per tensor open (20 per run for 10 linear
layers), until the process ran out of them. Tensors are now left out of the check (they always
pickle), except those the pool itself refuses, which are still refused first.
"""

import os
import threading
import warnings

import numpy as np
import pytest
import torch
from ase.calculators.lj import LennardJones
from MDAnalysis.analysis.backends import BackendDask, BackendMultiprocessing
from test_struct50_parallel_parts import _frames

from mda_electrolyte import IntraInterErrors, RigidVolumeScan
from mda_electrolyte.analysis_base import _check_sendable


class TorchLJ(LennardJones):
    """Lennard-Jones carrying a torch network, as an MLIP calculator carries its model."""

    def __init__(self, net=None, **kwargs):
        super().__init__(sigma=1.0, rc=4.0, **kwargs)
        self.net = net if net is not None else torch.nn.Sequential(
            *[torch.nn.Linear(16, 16) for _ in range(10)])


def _open_descriptors():
    return len(os.listdir(f"/proc/{os.getpid()}/fd"))


def _errors(calc):
    return IntraInterErrors(_frames(), calc, reference=LennardJones(sigma=1.0, rc=4.0))


def _scan(calc):
    return RigidVolumeScan(_frames(), calc, scales=[0.95, 1.0, 1.2])


MAKERS = pytest.mark.parametrize("make", [_errors, _scan],
                                 ids=["IntraInterErrors", "RigidVolumeScan"])
BACKENDS = pytest.mark.parametrize("executor", [BackendMultiprocessing(n_workers=2),
                                                BackendDask(n_workers=2)],
                                   ids=["multiprocessing", "dask"])


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
@MAKERS
@BACKENDS
def test_the_check_keeps_no_descriptor_open_and_leaves_the_weights_where_they_are(
        make, executor):
    calc = TorchLJ()
    analysis = make(calc)
    _check_sendable(analysis, executor)  # the resource sharer's own socket, if any, first
    before = _open_descriptors()
    for _ in range(3):
        _check_sendable(analysis, executor)
    assert _open_descriptors() == before
    assert not any(p.is_shared() for p in calc.net.parameters())


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
@MAKERS
def test_parallel_runs_of_a_model_keep_no_descriptor_open_and_equal_the_serial_run(make):
    calc = TorchLJ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        serial = make(calc).run()
        make(calc).run(backend="multiprocessing", n_workers=2, n_parts=2)
        before = _open_descriptors()
        for _ in range(2):
            parallel = make(calc).run(backend="multiprocessing", n_workers=2, n_parts=2)
    # 20 more descriptors per run before (one per tensor of the network)
    assert _open_descriptors() == before
    assert serial.results.keys() == parallel.results.keys()
    np.testing.assert_array_equal(parallel.frames, serial.frames)


def _non_leaf():
    leaf = torch.nn.Linear(4, 4)
    return torch.nn.Module(), leaf.weight * 2.0  # requires grad, not a leaf


class _Tagged(torch.Tensor):
    """A tensor subclass with an attribute of its own."""


@MAKERS
def test_a_tensor_the_pool_refuses_is_still_refused_first(make):
    module, tensor = _non_leaf()
    module.cached = tensor  # a plain attribute, as a model may keep a graph's output
    analysis = make(TorchLJ(net=module))
    with pytest.raises(TypeError, match=r"backend='multiprocessing' sends the analysis .*"
                                        r"Cowardly refusing to serialize non-leaf tensor"):
        _check_sendable(analysis, BackendMultiprocessing(n_workers=2))
    # dask's cloudpickle sends it by value
    _check_sendable(analysis, BackendDask(n_workers=2))


@MAKERS
@BACKENDS
def test_what_a_tensor_subclass_holds_is_still_checked(make, executor):
    tagged = torch.zeros(3).as_subclass(_Tagged)
    tagged.lock = threading.Lock()  # no pickler sends a lock
    analysis = make(TorchLJ())
    analysis.extra = tagged
    with pytest.raises(TypeError, match=r"its extra\.lock \(lock\) cannot be pickled"):
        _check_sendable(analysis, executor)
