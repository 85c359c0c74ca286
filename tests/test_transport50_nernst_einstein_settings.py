"""The Nernst–Einstein entry of the summary gave σ_NE, α_d and the transference numbers without
the inputs they are made of (the conductivities' entries carry "settings" with the charges):
e²/(V k_B T) Σ N_s z_s² D_s is now kept with its charges, ion counts and volume, and so are
the results (results.n_ions, results.charges)."""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import NernstEinstein, report


@pytest.mark.parametrize("charges", [(1.0, -1.0), (2.0, -2.0)])
def test_summary_entry_keeps_its_inputs(tmp_path, charges):
    rng = np.random.default_rng(0)
    v = ornstein_uhlenbeck(rng, 500, (8, 3), 0.1, 0.01, 3.0)
    u = salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01, box=20.0, charges=charges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entry = report.run_analyses(u, tmp_path, only=["nernst_einstein"])["nernst_einstein"]
    settings = entry["settings"]
    assert settings["n_ions"] == {"LI": 4, "AN": 4}
    assert settings["volume_A3"] == pytest.approx(20.0**3)
    assert {k: c["charge"] for k, c in settings["charges"].items()} == {
        "LI": charges[0], "AN": charges[1]}
    # σ_NE is e²/(V k_B T) Σ N z² D of these very inputs
    z2 = sum(settings["n_ions"][s] * settings["charges"][s]["charge"] ** 2
             for s in settings["n_ions"])
    assert z2 == 4 * (charges[0] ** 2 + charges[1] ** 2)


@pytest.mark.parametrize("n_ions, charges", [({"Li": 3, "Mg": 1, "A": 5},
                                               {"Li": 1, "Mg": 2.0, "A": np.float64(-1)}),
                                              ({"Li": 2, "A": 2}, {"Li": 1.0, "A": -1.0})])
def test_results_keep_counts_and_charges(n_ions, charges):
    d = {s: 0.1 * (k + 1) for k, s in enumerate(n_ions)}
    ne = NernstEinstein.from_estimates(temperature=300.0, diffusivities=d, n_ions=n_ions,
                                       charges=charges, volume=1.0e4)
    r = ne.results
    assert r.n_ions == n_ions and all(type(n) is int for n in r.n_ions.values())
    assert r.charges == {s: float(q) for s, q in charges.items()}
    assert all(type(q) is float for q in r.charges.values())
    assert r.volume == 1.0e4 and r.temperature == 300.0


@pytest.mark.parametrize("count", [4.0, np.float32(4), np.int64(4), np.uint8(4)])
def test_whole_number_counts_of_any_numeric_type(count):
    # 4.0 passed the count check and then failed in numpy ("expected a sequence of integers
    # or a single integer, got '4.0'")
    def sigma(n):
        return NernstEinstein.from_estimates(
            temperature=300.0, diffusivities={"Li": 0.1, "A": 0.2}, n_ions={"Li": n, "A": 4},
            charges={"Li": 1, "A": -1}, volume=8000.0).results
    r = sigma(count)
    assert r.conductivity.value == sigma(4).conductivity.value
    assert r.n_ions == {"Li": 4, "A": 4}
