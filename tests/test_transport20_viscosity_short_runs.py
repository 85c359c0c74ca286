"""A run too short for the viscosity's segments is refused with the run's length and what would do.

The Green–Kubo ``max_lag`` refusal said "max_lag needs segments of more than 50 samples, a segment
has 20" of a 200-sample run (its length, its split into 10 segments for the error bar, and the
run or ``n_blocks`` that would do were not said); ``n_blocks`` too many said "200 samples cannot
be split into 60 blocks of at least 4"; the Einstein–Helfand fit window "of a 0.19 ps segment".
The conductivities' refusals (tests/test_transport_short_run_messages.py) say all of it; the
viscosity now says the same through the same code (correlation.check_segment_lags), whether the
tensor comes as an array, an H5MD file or the collection of a Universe.
"""

import re
import warnings

import numpy as np
import pytest
from transport_data import ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandViscosity, GreenKuboViscosity

DT, T, V = 0.01, 300.0, 2.0e4  # ps, K, Å³


def _tensor(n, seed=0):
    """Symmetric pressure tensor (bar) with OU shear components of 0.05 ps memory."""
    rng = np.random.default_rng(seed)
    p = ornstein_uhlenbeck(rng, n, (3, 3), 0.05, DT, 300.0)
    return 0.5 * (p + p.transpose(0, 2, 1))


CASES = {
    # (estimator, its keywords, the run's samples)
    "gk max_lag": (GreenKuboViscosity, {"max_lag": 0.5, "check_sampling": False}, 200),
    "eh fit_window": (EinsteinHelfandViscosity, {"fit_window": (0.1, 0.12)}, 300),
    "too many blocks": (GreenKuboViscosity, {"n_blocks": 60, "check_sampling": False}, 200),
}


def _refusal(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as info:
            make()
    return str(info.value)


def _run(cls, source, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(source, **kw).run()


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_refusal_says_the_run_its_split_and_what_suffices(case):
    cls, kw, n = CASES[case]
    p = _tensor(n)
    args = dict(temperature=T, volume=V, dt=DT, **kw)
    message = _refusal(lambda: _run(cls, p, **args))
    n_blocks = kw.get("n_blocks", 10)
    assert f"The run ({n} samples, {(n - 1) * DT:.4g} ps)" in message
    assert f"n_blocks = {n_blocks} segments" in message
    assert "error bar is their scatter" in message
    need = int(re.search(r"needs segments of at least (\d+) samples", message).group(1))
    assert f"a run of {n_blocks * need} samples ({(n_blocks * need - 1) * DT:.4g} ps)" in message
    allowed = int(re.search(r"this run allows n_blocks = (\d+)", message).group(1))
    assert allowed == n // need
    # what the message offers does: the n_blocks it allows, or the run it names
    _run(cls, p, **{**args, "n_blocks": allowed})
    _run(cls, _tensor(n_blocks * need, seed=1), **args)
    # and one sample fewer a segment than it said is refused
    assert "The run" in _refusal(lambda: _run(cls, _tensor(n_blocks * need - n_blocks, seed=2),
                                              **args))


def test_the_refusal_comes_before_any_correlation(monkeypatch):
    import mda_electrolyte.viscosity as viscosity

    def never(*a, **k):
        raise AssertionError("correlated before the check")

    monkeypatch.setattr(viscosity, "time_correlation", never)
    monkeypatch.setattr(viscosity, "mean_squared_displacement", never)
    p = _tensor(200)
    for cls, kw, _ in CASES.values():
        assert "The run (200 samples" in _refusal(
            lambda cls=cls, kw=kw: _run(cls, p, temperature=T, volume=V, dt=DT, **kw))


def test_several_runs_name_the_short_one():
    # runs are segments of their own (n_blocks = 1 by default): the short run is named
    runs = [_tensor(400, seed=3), _tensor(40, seed=4)]
    message = _refusal(lambda: _run(GreenKuboViscosity, runs, temperature=T, volume=V, dt=DT,
                                    max_lag=0.5, check_sampling=False))
    assert "array 1: 40 samples" in message and "n_blocks = 1 segments" in message
    assert "needs segments of at least 51 samples" in message


def test_an_absurd_n_blocks_is_named_without_overflow():
    message = _refusal(lambda: _run(GreenKuboViscosity, _tensor(200), temperature=T, volume=V,
                                    dt=DT, n_blocks=1e308, check_sampling=False))
    assert "n_blocks = 1e+308 segments" in message
    assert "this run allows n_blocks = 50" in message


@pytest.fixture(scope="module")
def md_file(tmp_path_factory):
    """40 NVT steps of 32 Lennard-Jones ions, the pressure tensor at every step."""
    from transport_data import lj_salt

    from ase_electrolyte.md import run_md

    path = tmp_path_factory.mktemp("visc20") / "nvt.h5md"
    run_md(lj_salt(), ensemble="nvt", steps=40, timestep_fs=2.0, temperature_K=600,
           trajectory=path, write_interval=1, progress=False)
    return path


def test_file_and_universe_say_the_same_as_arrays(md_file):
    from mda_electrolyte import from_ase
    from mda_electrolyte.ion_collection import IonCollector

    u = from_ase(md_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        col = IonCollector(u, {"A": "resname A", "B": "resname B"}).run().collection
    try:
        for cls, kw in ((GreenKuboViscosity, {"max_lag": 0.02, "check_sampling": False}),
                        (EinsteinHelfandViscosity, {"fit_window": (0.1, 0.12)})):
            from_universe = _refusal(lambda cls=cls, kw=kw: cls.from_collections(col, **kw))
            from_file = _refusal(lambda cls=cls, kw=kw: _run(cls, md_file, **kw))
            for message in (from_universe, from_file):
                # 41 samples 2 fs apart: the run, its split and the n_blocks it allows
                assert "The run (41 samples, 0.08 ps)" in message, message
                assert "n_blocks = 10 segments" in message
                assert re.search(r"a run of \d+ samples", message)
            # the same words but the label (the file's path or the collection's)
            strip = [re.sub(r"^\w+: [^:]*: ", "", m) for m in (from_universe, from_file)]
            assert strip[0] == strip[1]
    finally:
        u.trajectory.close()
