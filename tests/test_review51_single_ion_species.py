"""A species of one ion in one unsplit trajectory is marked, not a refusal of every species.

Diffusion now fits one segment per trajectory by default (10-60 % of the run, Ju et al. 2025),
its error the scatter over the ions. A box of one LiPF6 in a solvent (the CPU demo's) was
refused as a whole, "species ['Li', 'PF6'] have a single ion in a single trajectory", losing the
solvent's D, which its many molecules give with an error. Now the single ion's D is the slope of
its MSD marked not valid (no error), the others are unchanged; where every species is a single
ion, nothing could be a result and the analysis is refused before any frame is read.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import Diffusion
from mda_electrolyte.correlation import fit_line

N_SOL, DT, BOX = 12, 0.05, 40.0
SELECT = {"LI": "resname LI", "PF6": "resname PF6", "SOL": "resname SOL"}


def _universe(seed, n_frames=1500):
    rng = np.random.default_rng(seed)
    n = 2 + N_SOL
    v = ornstein_uhlenbeck(rng, n_frames, (n, 3), 0.5, DT, 2.0)
    pos = integrate(v, DT, rng.uniform(0, BOX, (n, 3)))
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("names", ["Li", "P"] + ["O"] * N_SOL)
    u.add_TopologyAttr("resnames", ["LI", "PF6"] + ["SOL"] * N_SOL)
    u.add_TopologyAttr("masses", [6.94, 145.0] + [18.0] * N_SOL)
    u.add_TopologyAttr("formalcharges", [1.0, -1.0] + [0.0] * N_SOL)
    u.load_new(pos.astype(np.float32), format=MemoryReader, dt=DT,
               dimensions=[BOX, BOX, BOX, 90, 90, 90])
    return u


def _run(u, ions, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Diffusion(u, ions, **kw).run()


@pytest.fixture(scope="module")
def universe():
    return _universe(51)


@pytest.mark.parametrize("single", [["LI"], ["LI", "PF6"]])
def test_single_ions_are_marked_and_the_solvent_keeps_its_error(universe, single):
    ions = {k: SELECT[k] for k in single + ["SOL"]}
    res = _run(universe, ions).results
    for name in single:
        est = res.diffusion_coefficient[name]
        assert not est.valid and np.isnan(est.stderr)
        assert "single ion in a single trajectory" in est.verdict
        # the value is the slope of its own MSD over the fit window, /6
        window = (res.time >= res.fit_window[0]) & (res.time <= res.fit_window[1])
        slope = fit_line(res.time[window], res.msd[name][window])[0]
        assert est.value == pytest.approx(slope / 6.0, rel=1e-12)
    sol = res.diffusion_coefficient["SOL"]
    assert np.isfinite(sol.stderr) and sol.stderr > 0
    assert "single ion" not in sol.verdict
    # the solvent's D does not depend on which single ions are analysed beside it, but for the
    # drift removal, which weighs every analysed particle: same without drift removal
    alone = _run(universe, {"SOL": SELECT["SOL"]}, remove_drift=False).results
    beside = _run(universe, ions, remove_drift=False).results
    assert beside.diffusion_coefficient["SOL"].value == pytest.approx(
        alone.diffusion_coefficient["SOL"].value, rel=1e-12)
    assert beside.diffusion_coefficient["SOL"].stderr == pytest.approx(
        alone.diffusion_coefficient["SOL"].stderr, rel=1e-12)


def test_only_single_ions_are_refused_before_reading(universe):
    with pytest.raises(ValueError, match=r"\['LI', 'PF6'\] have a single ion.*n_blocks >= 2"):
        Diffusion(universe, {"LI": SELECT["LI"], "PF6": SELECT["PF6"]}, remove_drift=False)


def test_split_runs_give_the_single_ion_an_error_from_its_segments(universe):
    res = _run(universe, {"LI": SELECT["LI"], "SOL": SELECT["SOL"]}, n_blocks=5).results
    est = res.diffusion_coefficient["LI"]
    assert np.isfinite(est.stderr) and "single ion" not in est.verdict
