"""Transport numbers behind fewer than MIN_IONS ions of a species are not valid, by the
analysis itself ("too few ions: 1 Li, 1 AN (...)"), with the count in the reason.

The rule, from the statistics (``carriers.few_ions_notes``): the block error of one run
measures how well these ions' trajectories were sampled, never how much ions differ for longer
than the run. Over seeded replicas of Ornstein–Uhlenbeck ions alike, the error of D of one ion
is honest (95 % intervals cover); ions whose mobilities differ and keep their difference over
the run are not covered, one ion's error describing that ion and not the species.
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.carriers import few_ions_notes
from mda_electrolyte.frame_estimates import MIN_IONS
from mda_electrolyte.ion_collection import IonCollection

TAU, DT, S, VOLUME, T = 0.1, 0.05, 1.0, 40.0**3, 300.0


def _collection(n, n_frames=2000, seed=0, solvent=0):
    rng = np.random.default_rng(seed)
    counts = {"Li": n, "AN": n}
    charges = {"Li": 1.0, "AN": -1.0}
    if solvent:
        counts["EC"] = solvent
        charges["EC"] = 0.0
    n_all = sum(counts.values())
    v = ornstein_uhlenbeck(rng, n_frames, (n_all, 3), TAU, DT, S)
    return IonCollection.from_arrays(counts, dt=DT, velocities=v, positions=integrate(v, DT),
                                     charges=charges, volume=VOLUME)


def _few(est):
    return [n for n in est.notes if n.startswith(("too few ions", "too few molecules"))]


def _all_estimates(n, solvent=0):
    col = _collection(n, solvent=solvent)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = Diffusion.from_collections(col, remove_drift=False, n_blocks=10).results
        gk = GreenKuboConductivity.from_collections(col, temperature=T, max_lag=1.0,
                                                    species=["Li", "AN"]).results
        eh = EinsteinHelfandConductivity.from_collections(col, temperature=T,
                                                          species=["Li", "AN"]).results
        ons = {m: OnsagerCoefficients.from_collections(col, temperature=T, method=m,
                                                       species=["Li", "AN"]).results
               for m in ("einstein", "green-kubo")}
        ne = NernstEinstein.from_collections(col, temperature=T, species=["Li", "AN"],
                                             remove_drift=False, n_blocks=10,
                                             conductivity=eh.conductivity).results
    out = {f"D {k}": e for k, e in d.diffusion_coefficient.items()}
    out["GK sigma"] = gk.conductivity
    out.update({f"GK t {k}": e for k, e in gk.transference_numbers.items()})
    out.update({f"GK part {k}": p["conductivity"] for k, p in gk.parts.items()})
    out["GK self"], out["GK distinct"] = gk.conductivity_self, gk.conductivity_distinct
    out["EH sigma"] = eh.conductivity
    for m, r in ons.items():
        out.update({f"{m} L {k}": e for k, e in r.coefficients.items()})
        out[f"{m} sigma"] = r.conductivity
        out.update({f"{m} t {k}": e for k, e in r.transference_numbers.items()})
    out["NE sigma"] = ne.conductivity
    out.update({f"NE t {k}": e for k, e in ne.transference_numbers.items()})
    out.update({f"NE term {k}": e for k, e in ne.contributions.items()})
    out["NE alpha"] = ne.dissociation
    return out


def test_one_ion_pair_marks_every_transport_number_with_the_counts_once():
    for key, est in _all_estimates(1).items():
        few = _few(est)
        # said once per number, with the count of each species it concerns
        assert not est.valid and len(few) == 1, (key, est.notes)
        if key.startswith("D "):
            species = key.split()[1]
            assert few[0].startswith(f"too few ions: 1 {species} ("), (key, few)
        elif key.startswith("NE term "):
            assert few[0].startswith(f"too few ions: 1 {key.split()[2]} ("), (key, few)
        elif " L " in key:
            # a coefficient counts the ions of its two species
            pair = key.split()[2].split("-")
            shown = ", ".join(f"1 {s}" for s in ("Li", "AN") if s in pair)
            assert few[0].startswith(f"too few ions: {shown} ("), (key, few)
        else:
            assert few[0].startswith("too few ions: 1 Li, 1 AN ("), (key, few)
        assert f"fewer than {MIN_IONS} of a species" in few[0]
        # the value and its error are still given: the mark is on the verdict
        assert np.isfinite(est.value) and np.isfinite(est.stderr), key


@pytest.mark.parametrize("n", [2, MIN_IONS - 1])
def test_fewer_ions_than_the_threshold_are_marked(n):
    for key, est in _all_estimates(n).items():
        assert _few(est) and _few(est)[0].startswith("too few ions: "), key
        assert f"{n} " in _few(est)[0], key


def test_enough_ions_are_not_marked_and_judged_on_their_own():
    estimates = _all_estimates(MIN_IONS)
    for key, est in estimates.items():
        assert not _few(est), (key, est.notes)
    # OU ions at 2000 frames: everything but σ_NE-based ratios is a result
    assert estimates["D Li"].valid and estimates["EH sigma"].valid
    assert estimates["GK sigma"].valid and estimates["NE sigma"].valid


def test_a_neutral_species_of_few_molecules_says_molecules():
    col = _collection(MIN_IONS, solvent=2)
    d = Diffusion.from_collections(col, remove_drift=False,
                                   n_blocks=10).results.diffusion_coefficient
    assert _few(d["EC"]) and _few(d["EC"])[0].startswith("too few molecules: 2 EC (")
    assert not d["EC"].valid
    assert not _few(d["Li"]) and not _few(d["AN"])


def test_nernst_einstein_from_given_numbers_counts_the_ions_it_is_given():
    kw = {"temperature": T, "volume": VOLUME, "charges": {"Li": 1.0, "AN": -1.0}}
    few = NernstEinstein(diffusivities={"Li": 0.1, "AN": 0.1}, n_ions={"Li": 1, "AN": 8},
                         **kw).results
    assert not few.conductivity.valid
    assert _few(few.conductivity)[0].startswith("too few ions: 1 Li (")
    assert not few.contributions["Li"].valid and few.contributions["AN"].valid
    many = NernstEinstein(diffusivities={"Li": 0.1, "AN": 0.1}, n_ions={"Li": 8, "AN": 8},
                          **kw).results
    assert many.conductivity.valid
    assert few.conductivity.value == pytest.approx(many.conductivity.value / 8 * 4.5)


def test_the_one_segment_ion_error_keeps_one_few_ions_note():
    # one trajectory, one block: the error is over the ions; the count is said once (the
    # error's own degrees of freedom are another reason)
    d = Diffusion.from_collections(_collection(2), remove_drift=False, n_blocks=1).results
    est = d.diffusion_coefficient["Li"]
    assert not est.valid
    assert [n for n in est.notes if n.startswith("too few ions: 2 Li (")] == _few(est)[:1]
    assert not any("ions of one segment" in n for n in est.notes)


def test_few_ions_notes_lists_only_the_species_below_the_threshold():
    assert few_ions_notes({"Li": MIN_IONS, "AN": 10**6}) == []
    (note,) = few_ions_notes({"Li": 1, "PF6": MIN_IONS, "Mg": 3})
    assert note.startswith("too few ions: 1 Li, 3 Mg (")


def _coverage(n_ions, spread, n_replicas, seed0):
    """95 % coverage of the species' mean D (1 Å²/ps) by D(Li) of runs of ``n_ions`` ions
    whose own D is lognormal about it with SD ``spread``, kept over the run."""
    hits = 0
    for r in range(n_replicas):
        rng = np.random.default_rng(seed0 + r)
        d_ion = np.exp(rng.normal(-spread**2 / 2, spread, size=2 * n_ions))
        v = ornstein_uhlenbeck(rng, 1000, (2 * n_ions, 3), TAU, DT, 1.0)
        v *= np.sqrt(d_ion / TAU)[None, :, None]
        # the ions' centres as an IonCollection: the estimator a Universe's IonCollector feeds
        # (equal D and interval to 1e-7, its float32 coordinates), at a third of the CPU
        col = IonCollection.from_arrays({"Li": n_ions, "AN": n_ions}, dt=DT,
                                        positions=integrate(v, DT) + 20.0)
        est = Diffusion.from_collections(col, remove_drift=False, n_blocks=10,
                                         fit_window_ps=(0.5, 2.5)
                                         ).results.diffusion_coefficient["Li"]
        lo, hi = est.interval(0.95, allow_invalid=True)
        hits += lo <= 1.0 <= hi
    return hits / n_replicas


def test_the_block_error_of_one_ion_covers_ions_alike_but_not_ions_that_differ():
    n = 200
    margin = 3 * np.sqrt(0.05 * 0.95 / n)
    # ions alike: the error of one ion's D is its sampling error, honest (measured 0.92 over
    # 400 replicas: the skewed MSD of one ion misses low a little more often)
    alike = _coverage(1, 0.0, n, 7_000)
    assert alike >= 0.95 - margin - 0.03, alike
    # ions whose mobility differs by a factor of SD 0.5 for the whole run: one ion's error
    # does not hold the species (measured 0.58 over 400 replicas)
    differ = _coverage(1, 0.5, n, 9_000)
    assert differ <= 0.75, differ


def test_independent_runs_count_their_ions_together():
    # the error over runs holds how ions differ: four runs of one pair are four ions
    def runs(k):
        return [_collection(1, seed=50 + j) for j in range(k)]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        three = {
            "D": Diffusion.from_collections(runs(3), remove_drift=False)
            .results.diffusion_coefficient["Li"],
            "EH": EinsteinHelfandConductivity.from_collections(runs(3), temperature=T)
            .results.conductivity,
            "GK": GreenKuboConductivity.from_collections(runs(3), temperature=T, max_lag=1.0)
            .results.conductivity,
            "L": OnsagerCoefficients.from_collections(runs(3), temperature=T)
            .results.coefficients["Li-Li"],
            "NE": NernstEinstein.from_collections(runs(3), temperature=T, remove_drift=False)
            .results.conductivity,
        }
        four = {
            "D": Diffusion.from_collections(runs(4), remove_drift=False)
            .results.diffusion_coefficient["Li"],
            "NE": NernstEinstein(Diffusion.from_collections(runs(4), remove_drift=False),
                                 temperature=T).results.conductivity,
            "L": OnsagerCoefficients.from_collections(runs(4), temperature=T)
            .results.coefficients["Li-Li"],
        }
    for key, est in three.items():
        assert _few(est) and _few(est)[0].startswith("too few ions: 3 "), (key, est.notes)
        assert "over 3 runs" in _few(est)[0], key
    for key, est in four.items():
        assert not _few(est), (key, est.notes)


@pytest.mark.parametrize("bad", [0, -1, 1.5, float("nan"), float("inf"), True, "2"])
def test_a_run_count_that_is_no_positive_integer_is_refused_by_name(bad):
    with pytest.raises((ValueError, TypeError), match="n_runs"):
        few_ions_notes({"Li": 1}, n_runs=bad)


def test_counts_of_runs_multiply():
    assert few_ions_notes({"Li": 2}, n_runs=2) == []
    assert few_ions_notes({"Li": 1}, n_runs=None) == few_ions_notes({"Li": 1}, n_runs=1)
    (note,) = few_ions_notes({"Li": 1, "AN": 1}, n_runs=3)
    assert note.startswith("too few ions: 3 Li, 3 AN over 3 runs (")
