"""Fixtures shared by the test modules."""


import matplotlib
import pytest

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
