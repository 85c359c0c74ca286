"""The report's g(r) curves carry their own verdict: a one-frame run's bands are null, and the
summary says why (they were written as null without a word)."""

import numpy as np
from test_rdf import liquid_universe

from mda_electrolyte.rdf import IntraInterRDF, _report


def test_one_frame_curves_say_why_their_bands_are_missing(tmp_path):
    summary = _report(liquid_universe(n_frames=1), tmp_path)
    for name, entry in summary["pairs"].items():
        assert entry["g_total_err"] is None, name
        assert entry["g_verdict"].startswith("too few frames: 1"), name


def test_the_verdict_is_the_analysis_own(tmp_path):
    u = liquid_universe(n_frames=12)
    summary = _report(u, tmp_path)
    rdf = IntraInterRDF(u.atoms, pairs="elements",
                        range=(0.0, float(summary["r_angstrom"][-1]) + 0.025)).run()
    for key in rdf.results.pairs:
        entry = summary["pairs"][f"{key[0]}-{key[1]}"]
        marked = rdf._curve_verdict(key)
        assert entry["g_verdict"] == ("valid" if marked is None else marked.verdict)
        if entry["g_verdict"] == "valid":
            assert np.all(np.isfinite(entry["g_total_err"]))
