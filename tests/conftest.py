"""Fixtures shared by the test modules, and how the suite runs in parallel."""

import os

import matplotlib
import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # The README's test command runs two pytest-xdist workers on CI's two cores. Torch, the
    # compiled kernels and every CLI subprocess a test starts otherwise open one OpenMP thread
    # per core in each worker: four busy threads on two cores, and OpenMP's barriers wait on
    # a thread that is not running. Measured on the README's demo test (SevenNet-0, 100 atoms)
    # beside the other worker: 1276 s of setup with two threads, against 304 s alone on the
    # machine. Set before torch is imported (it reads the variable once); a value the user
    # gave is kept.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

# plots are drawn in tests, never shown
matplotlib.use("Agg")


@pytest.fixture(scope="session")
def electrolyte_box_small():
    """A 58-atom periodic box: 1 LiPF6, 2 EC, 2 EMC packed by packmol (seeded)."""
    pytest.importorskip("rdkit")
    from ase_electrolyte.build import electrolyte_box

    return electrolyte_box(counts={"EC": 2, "EMC": 2, "Li": 1, "PF6": 1}, seed=0)


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread():
    """NumPy's and SciPy's BLAS (OpenBLAS) run one thread in the test process.

    Set once, after collection (SciPy's own OpenBLAS is loaded here if no test module did, so
    that it is limited too). OpenBLAS splits a dot product of more than 10000 numbers between
    threads: profiled, the jackknifed slopes of a 20000-sample series (``linear_slope``) took
    16 ms of CPU each, most of a fluctuation compressibility's cost. Four of them (20000
    volumes, test_calibration): 1.4-1.6 s of CPU with two threads against 0.34-0.36 s with one
    (interleaved, same minutes, 2-core machine under load).
    Only BLAS: OpenMP, which torch and the compiled kernels use, keeps its own settings.
    """
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(limits=1, user_api="blas")
    yield
    limits.restore_original_limits()


def _expected_minutes(item):
    """``slow(minutes=...)`` of a test (1 when not given), 0 for a test not marked slow."""
    mark = item.get_closest_marker("slow")
    return 0 if mark is None else mark.kwargs.get("minutes", 1)


def pytest_collection_modifyitems(config, items):
    """The longest tests run first: ``slow`` ones by their ``minutes``, the rest after them
    in collection order (the sort is stable).

    Under pytest-xdist (``--dist loadscope``: a module's tests stay on one worker, so its
    fixtures are built once) a worker starts the README's demo at once while the other runs
    the short tests, instead of one worker finishing the suite alone on it at the end.
    """
    items.sort(key=lambda item: -_expected_minutes(item))
