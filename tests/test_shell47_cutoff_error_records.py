"""cutoff_cn_errors / cutoff_share_errors check the run records they are given, by name.

Before: a species missing from ``cutoffs``, ``cutoff_estimates`` or ``cutoff_source`` was a
bare ``KeyError``; a NaN cutoff, or one beyond the table's radius, gave an error of 0 Å (no
count changes within it) as if measured; a misspelt source (``"rdf-minimum"``) or a NaN
scatter dropped the cutoff's error without a word; a scatter given as text was numpy's
``TypeError``, one of 10⁶ Å an error of ~8·10⁵ molecules, one keyed by a species the table does
not hold was ignored, and a table of ``None`` an ``AttributeError``.
"""

import warnings

import numpy as np
import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte.solvation import cutoff_cn_errors, cutoff_share_errors

FUNCTIONS = {"cn": cutoff_cn_errors, "share": cutoff_share_errors}


@pytest.fixture(scope="module")
def run():
    # 16 Li⁺ with 3 or 4 EC and some a PF6, jittered over 6 frames: the EC cutoff comes from
    # its RDF's first minimum (with an error), PF6's from the donor preset
    shells = [
        (
            (5 + 10 * i, 5 + 10 * j, 5),
            [("EC", None, "Oc")] * (3 + (i + j) % 2) + [("PF6", None)] * ((i * j) % 2),
        )
        for i in range(4)
        for j in range(4)
    ]
    u = build(shells)
    rng = np.random.default_rng(0)
    pos = u.atoms.positions
    frames = np.array([pos + rng.normal(0, 0.15, pos.shape) for _ in range(6)]) % 40.0
    u.load_new(frames.astype(np.float32), dimensions=u.dimensions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = SolvationShells(*groups(u), no_minimum="preset", max_cutoff=4.5).run().results
    assert res.cutoff_source == {"EC": "rdf_minimum", "PF6": "preset_fallback"}
    return res


def _args(res, **changes):
    args = {
        "cutoffs": dict(res.cutoffs),
        "cutoff_estimates": dict(res.cutoff_estimates),
        "cutoff_source": dict(res.cutoff_source),
    }
    args.update(changes)
    return args


@pytest.mark.parametrize("which", list(FUNCTIONS))
@pytest.mark.parametrize(
    "case,error,fragment",
    [
        ("no estimates", ValueError, "cutoff_estimates has no entry for species ['EC', 'PF6']"),
        ("no PF6 source", ValueError, "cutoff_source has no entry for species ['PF6']"),
        ("NaN cutoff", ValueError, "cutoffs['EC'] (Å) must be a finite number > 0, got nan"),
        ("cutoff past radius", ValueError, "exceeds the table's collection radius 4.5 Å"),
        ("source misspelt", ValueError, "cutoff_source['EC'] must be one of"),
        ("estimate a number", TypeError, "cutoff_estimates['EC'] must be an Estimate"),
        ("spread as text", ValueError, "give it as a number, not as text"),
        ("NaN spread", ValueError, "spreads['EC'] (scatter of the cutoff, Å)"),
        ("huge spread", ValueError, "<= 4.5, got 1000000.0"),
        (
            "spread of no species",
            ValueError,
            "spreads names species ['XX'] the table does not hold",
        ),
        ("cutoffs a list", TypeError, "cutoffs must be a dict"),
    ],
)
def test_bad_records_are_refused_by_name(run, which, case, error, fragment):
    est = run.cutoff_estimates
    changes = {
        "no estimates": {"cutoff_estimates": {}},
        "no PF6 source": {"cutoff_source": {"EC": "rdf_minimum"}},
        "NaN cutoff": {"cutoffs": {"EC": float("nan"), "PF6": 4.2}},
        "cutoff past radius": {"cutoffs": {"EC": 50.0, "PF6": 4.2}},
        "source misspelt": {"cutoff_source": {"EC": "rdf-minimum", "PF6": "preset_fallback"}},
        "estimate a number": {"cutoff_estimates": {"EC": 0.05, "PF6": est["PF6"]}},
        "spread as text": {"spreads": {"EC": "0.05"}},
        "NaN spread": {"spreads": {"EC": float("nan")}},
        "huge spread": {"spreads": {"EC": 1e6}},
        "spread of no species": {"spreads": {"XX": 0.05}},
        "cutoffs a list": {"cutoffs": [2.5, 4.2]},
    }[case]
    with pytest.raises(error) as err:
        FUNCTIONS[which](run.table, **_args(run, **changes))
    assert fragment in str(err.value)


@pytest.mark.parametrize("which", list(FUNCTIONS))
def test_what_is_no_table_is_refused(run, which):
    with pytest.raises(TypeError, match="table must be a ShellTable"):
        FUNCTIONS[which](None, **_args(run))


def test_good_records_in_any_spelling_give_the_runs_errors(run):
    spreads = {name: d["cutoff_spread"] for name, d in run.cutoff_details.items()}
    # the run's own errors, from its own records
    assert cutoff_cn_errors(run.table, **_args(run), spreads=spreads) == run.cutoff_cn_errors
    assert run.cutoff_cn_errors["EC"][1] > 0
    shares = cutoff_share_errors(run.table, **_args(run), spreads=spreads)
    assert shares == run.cutoff_share_errors
    # species named in another case, numpy numbers, a scatter of None (the estimate's error)
    spelt = _args(run, cutoffs={"ec": np.float32(run.cutoffs["EC"]), "pf6": run.cutoffs["PF6"]})
    again = cutoff_cn_errors(run.table, **spelt, spreads={"Ec": spreads["EC"], "PF6": None})
    assert again["EC"][1] == pytest.approx(run.cutoff_cn_errors["EC"][1], rel=1e-5)
