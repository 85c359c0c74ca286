"""Shell statistics of small analytic systems: how many ions a free-ion fraction averages over,
and an anion that coordinates one cation through atoms of two elements (O and F) at once.

The free-ion fraction is a fraction of every cation and every anion molecule, so its
"too few ions" verdict counts all of them (2 Li+ and 1 anion are 3 ions, not the smaller
count, 1). An anion whose O and F both lie inside the cutoff is one molecule of the shell: one
anion for the class, 1 for the coordination number, one label entry, whatever the backend.
"""

import json
import math
import warnings

import numpy as np
import pytest
from test_solvation_boundary_and_multivalent import BACKENDS, _universe

from mda_electrolyte import SolvationShells
from mda_electrolyte.frame_estimates import MIN_IONS


def _shells(n_li, bound_every_other=True, n_frames=8):
    """``n_li`` Li⁺ far apart, one F⁻; the F⁻ 2.0 Å from Li 0 in even frames, free in odd
    ones (or always bound)."""
    lis = [[5.0 + 9.0 * k, 5.0, 5.0] for k in range(n_li)]
    frames = []
    for f in range(n_frames):
        free = bound_every_other and f % 2
        anion = [5.0, 5.0 + (9.0 if free else 2.0), 5.0]
        frames.append(lis + [anion])
    molecules = [("LI", ["Li"], [])] * n_li + [("FA", ["F"], [])]
    return _universe(molecules, np.asarray(frames), [9.0 * n_li + 10.0, 30.0, 30.0, 90, 90, 90])


def _run(u, species, kwargs=None, run=None, **extra):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(u.select_atoms("element Li"),
                               {n: u.select_atoms(f"resname {n}") for n in species},
                               {}, cutoffs={n: 2.5 for n in species},
                               **(kwargs or {}), **extra).run(**(run or {}))


def _few_ions(estimate):
    return [n for n in estimate.notes if n.startswith("too few ions")]


@pytest.mark.parametrize("n_li", [1, 2, 3, 5])
def test_the_free_ion_fraction_counts_every_cation_and_anion(n_li):
    r = _run(_shells(n_li), ["FA"]).results
    n_ions = n_li + 1
    # bound frames: Li 0 and the anion paired, the other cations free; unbound: all free
    expect = 0.5 * ((n_li - 1) / n_ions + 1.0)
    assert r.free_ion_fraction == pytest.approx(expect)
    est = r.estimates["free_ion_fraction"]
    assert est.value == pytest.approx(expect)
    assert r.timeseries["free_cation_fraction"] == pytest.approx(
        [(n_li - 1) / n_li, 1.0] * 4)
    few = _few_ions(est)
    if n_ions < MIN_IONS:
        assert few == [f"too few ions: {n_ions} (a shell statistic needs at least {MIN_IONS})"]
    else:
        assert few == []
    # the cation statistics count the cations only
    assert bool(_few_ions(r.estimates["free_cation_fraction"])) == (n_li < MIN_IONS)


@pytest.mark.parametrize("kwargs,run", BACKENDS)
def test_free_ion_count_is_the_same_for_every_backend(kwargs, run):
    r = _run(_shells(2), ["FA"], kwargs=kwargs, run=run).results
    assert _few_ions(r.estimates["free_ion_fraction"]) == [
        f"too few ions: 3 (a shell statistic needs at least {MIN_IONS})"]
    assert r.free_ion_fraction == pytest.approx(0.5 * (1 / 3 + 1))


def _mixed_donor_shells(n_frames=6, far=2.3):
    """Li 0 with a sulfonyl-fluoride anion (S, two O, F) that touches it through one O at
    2.0 Å and its F at ``far`` Å, and three waters at 2.0 Å; Li 1 far away with one water."""
    li0 = np.array([10.0, 10.0, 10.0])
    o_a = li0 + [2.0, 0.0, 0.0]
    s = o_a + [1.0, 0.9, 0.0]
    f_a = li0 + far * np.array([np.cos(np.radians(50)), np.sin(np.radians(50)), 0.0])
    o_b = s + [1.2, 0.3, 0.0]
    atoms = [li0, li0 + 14.0, s, o_a, o_b, f_a]
    molecules = [("LI", ["Li"], []), ("LI", ["Li"], []),
                 ("FSO", ["S", "O", "O", "F"], [(0, 1), (0, 2), (0, 3)])]
    for d, centre in (([-1, 0, 0], li0), ([0, 0, 1], li0), ([0, 0, -1], li0),
                      ([1, 0, 0], li0 + 14.0)):
        o = centre + 2.0 * np.asarray(d, float)
        atoms += [o, o + [0.0, 0.76, 0.59], o + [0.0, -0.76, 0.59]]
        molecules.append(("WAT", ["O", "H", "H"], [(0, 1), (0, 2)]))
    rng = np.random.default_rng(5)
    frames = np.asarray(atoms)[None] + rng.normal(0, 0.005, (n_frames, len(atoms), 3))
    return _universe(molecules, frames, [40.0] * 3 + [90.0] * 3)


@pytest.mark.parametrize("kwargs,run", BACKENDS)
def test_an_anion_binding_through_o_and_f_counts_once(kwargs, run):
    u = _mixed_donor_shells()
    pos = u.atoms.positions.astype(float)
    # both donors of the one anion are inside the cutoff
    assert np.linalg.norm(pos[3] - pos[0]) < 2.5 and np.linalg.norm(pos[5] - pos[0]) < 2.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = SolvationShells(u.select_atoms("element Li"), {"FSO": u.select_atoms("resname FSO")},
                            {"WAT": u.select_atoms("resname WAT")},
                            cutoffs={"FSO": 2.5, "WAT": 2.5}, **kwargs).run(**run).results
    assert r.coordination_numbers == pytest.approx({"WAT": 2.0, "FSO": 0.5})
    assert r.cn_distribution["FSO"] == pytest.approx({0: 0.5, 1: 0.5})
    assert r.cn_distribution["total"] == pytest.approx({1: 0.5, 4: 0.5})
    assert r.fractions == pytest.approx({"SSIP": 0.5, "CIP": 0.5, "AGG": 0.0})
    assert r.labels == pytest.approx({"Li(WAT)3(FSO)": 0.5, "Li(WAT)": 0.5})
    assert r.pairing == pytest.approx({"WAT": 1.0, "FSO": 0.5})
    # one anion, one of two cations bound: (1 free cation + 0 free anions) / 3 ions
    assert r.free_ion_fraction == pytest.approx(1 / 3)


def test_only_the_f_inside_still_binds_the_anion_once():
    # the O inside, the F just outside: the same molecule count as both inside
    both = _run_mixed(2.3)
    one = _run_mixed(2.7)
    for key in ("coordination_numbers", "fractions", "labels"):
        assert getattr(both, key) == pytest.approx(getattr(one, key))


def _run_mixed(far):
    u = _mixed_donor_shells(far=far)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(u.select_atoms("element Li"), {"FSO": u.select_atoms("resname FSO")},
                               {"WAT": u.select_atoms("resname WAT")},
                               cutoffs={"FSO": 2.5, "WAT": 2.5}).run().results


def _numbers_without_verdict(obj, path=()):
    """Paths of plain numbers (and lists of them) that are not inside an Estimate's dict."""
    if isinstance(obj, dict):
        if {"value", "verdict"} <= set(obj):
            return []
        return [p for k, v in obj.items() for p in _numbers_without_verdict(v, (*path, str(k)))]
    if isinstance(obj, list):
        if obj and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in obj):
            return [path]
        return [p for k, v in enumerate(obj) for p in _numbers_without_verdict(v, (*path, k))]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return [path]
    return []


def _report_universe():
    u = _mixed_donor_shells(n_frames=12)
    # the waters as ethers (O bonded to carbons): donor atoms under Ju et al. (2025)
    elements = u.atoms.elements.copy()
    elements[(u.atoms.resnames == "WAT") & (elements == "H")] = "C"
    u.atoms.elements = elements
    charges = np.zeros(u.atoms.n_atoms)
    charges[[0, 1]], charges[5] = 1.0, -1.0
    u.add_TopologyAttr("formalcharges", charges)
    return u


def test_the_labels_not_listed_in_the_report_are_one_share(tmp_path, monkeypatch):
    import mda_electrolyte.solvation as solvation

    u = _report_universe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = solvation._report(u, tmp_path)
        assert "labels_not_listed" not in full
        assert sum(e.value for e in full["labels"].values()) == pytest.approx(1.0)
        # a report that lists one label of the two gives the other's share, with a verdict
        monkeypatch.setattr(solvation, "_REPORTED_LABELS", 1)
        short = solvation._report(u, tmp_path)
    (name, listed), = short["labels"].items()
    assert listed.value == pytest.approx(full["labels"][name].value)
    other = short["labels_not_listed"]
    assert other.value + listed.value == pytest.approx(1.0)
    assert other.value == pytest.approx(0.5) and other.verdict


def test_every_number_of_the_shell_and_rdf_reports_has_a_verdict_or_an_error(tmp_path):
    from ase_electrolyte.estimate import estimates_to_dict
    from mda_electrolyte.rdf import _report as rdf_report
    from mda_electrolyte.solvation import _report as shells_report

    u = _report_universe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shells = json.loads(json.dumps(estimates_to_dict(shells_report(u, tmp_path))))
        rdf = json.loads(json.dumps(estimates_to_dict(rdf_report(u, tmp_path))))
    # the shells: only the settings the shells were counted with are bare (inputs, in Å)
    assert {p[0] for p in _numbers_without_verdict(shells)} == {"settings"}
    fso = shells["coordination_numbers"]["FSO"]
    assert fso["value"] == pytest.approx(0.5) and fso["verdict"]
    free = shells["free_ion_fraction"]
    assert free["value"] == pytest.approx(1 / 3)
    assert "too few ions: 3" in free["verdict"] and not free["converged"]
    # the RDFs: each curve has its band of the same length (or null: no blocks), the headline
    # numbers are Estimates
    bare = _numbers_without_verdict(rdf)
    curves = {"g_intra", "g_inter", "g_total", "g_intra_err", "g_inter_err", "g_total_err"}
    assert {p[-1] for p in bare} <= curves | {"r_angstrom"}
    n_bins = len(rdf["r_angstrom"])
    for name, pair in rdf["pairs"].items():
        for curve in ("g_intra", "g_inter", "g_total"):
            err = pair[f"{curve}_err"]
            assert err is None or (len(err) == n_bins and all(math.isfinite(e) and e >= 0
                                                                for e in err)), (name, curve)
        assert {"g_max", "first_peak", "first_minimum", "cn_first_shell"} <= set(pair)


def test_no_minimum_error_does_not_advise_the_preset_already_given():
    u = _mixed_donor_shells(n_frames=12)
    groups = {"FSO": u.select_atoms("resname FSO")}, {"WAT": u.select_atoms("resname WAT")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # water has no donor-atom preset (its O is bonded to no carbon): the preset cannot help
        with pytest.raises(ValueError, match="no first minimum") as err:
            SolvationShells(u.select_atoms("element Li"), *groups,
                            no_minimum="preset").run()
        assert "has no donor-atom cutoff" in str(err.value) and "WAT" in str(err.value)
        with pytest.raises(ValueError, match="or no_minimum='preset'"):
            SolvationShells(u.select_atoms("element Li"), *groups).run()
