"""The demo's verdict reasons: it takes the verdicts the analyses give and adds nothing that
contradicts them.

A demo box of one LiPF6 pair is "too few ions" and its run "too short". The demo guessed from
the summary's key paths which numbers are averages over ions and marked those "too few ions"
itself: with another threshold than the analysis' own (the shell statistics' 4 ions, an ion's
diffusion coefficient's 3), and any quantity it did not know was taken for an ion average. Now
the analyses mark their own averages over too few ions, and the demo adds only "too short" (to
every number of its short run). The summary here comes from every analysis run on a small
synthetic trajectory (molecules random-walking as rigid bodies in a packed 1 LiPF6 + 2 EC +
2 EMC box), not from the demo itself, plus hand-made sections.
"""

import copy
import warnings

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate
from electrolyte_cli.demo import demo_limits, mark_demo_summary

FEW = "too few ions: 1 Li+"
SHORT = "too short: 0.2 ps"


@pytest.fixture(scope="module")
def demo_like(tmp_path_factory):
    """``(universe, summary)``: every analysis on a synthetic 1-LiPF6 run, plus fabricated
    sections of the analyses such a run cannot feed (they need run_md observables or a model)."""
    pytest.importorskip("rdkit")
    from ase_electrolyte.build import electrolyte_box
    from mda_electrolyte.bridge import from_ase
    from mda_electrolyte.report import run_analyses

    atoms = electrolyte_box(counts={"EC": 2, "EMC": 2, "Li": 1, "PF6": 1}, seed=0)
    rng = np.random.default_rng(0)
    mol = atoms.arrays["molecule_index"]
    shift = np.zeros((mol.max() + 1, 3))
    frames = []
    for i in range(200):
        shift += rng.normal(0.0, 0.05, shift.shape)
        frame = atoms.copy()
        frame.set_positions(atoms.positions + shift[mol])
        frame.set_velocities(rng.normal(0.0, 0.05, (len(frame), 3)))
        frame.info["time_ps"] = 0.004 * i
        frames.append(frame)
    universe = from_ase(frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = run_analyses(universe, tmp_path_factory.mktemp("analysis"), keep_going=True)
    ok = Estimate(1.2, 0.01, "g/cm^3", "statistical inefficiency", 60)
    summary["density"] = {"density": ok.to_dict()}
    summary["viscosity"] = {"viscosity": Estimate(2.0, 0.2, "mPa s", "blocks", 20)}
    summary["rigid_volume_scan"] = {"bulk_modulus": Estimate(1.5, 0.1, "GPa", "fit", 9)}
    summary["intra_inter_errors"] = {"rmse_inter": [Estimate(0.05, 0.01, "eV/Å", "frames", 9)]}
    return universe, summary


def _estimates(obj, path=()):
    """``(path, Estimate)`` of every Estimate (or its dict) in ``obj``."""
    from ase_electrolyte.html_report import estimate_of

    est = obj if isinstance(obj, Estimate) else (
        estimate_of(obj) if isinstance(obj, dict) else None)
    if est is not None:
        return [(path, est)]
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in _estimates(v, (*path, k))]
    if isinstance(obj, (list, tuple)):
        return [x for i, v in enumerate(obj) for x in _estimates(v, (*path, i))]
    return []


def _few(est):
    return [n for n in est.notes if n.startswith("too few ions")]


def test_the_demo_adds_too_short_to_every_number_and_no_ion_count(demo_like):
    universe, summary = demo_like
    before = copy.deepcopy(summary)
    reasons = demo_limits(1, 0.2, len(universe.atoms))
    assert len(reasons) == 2 and reasons[0].startswith(FEW) and reasons[1].startswith(SHORT)
    marked = mark_demo_summary(summary, reasons)
    assert summary == before  # the caller's summary is not modified
    found, old = _estimates(marked), _estimates(before)
    assert [p for p, _ in found] == [p for p, _ in old]
    # not vacuous: an analysis counted its ions itself (the shell statistics of one Li+)
    assert any(_few(est) for _, est in old)
    assert any(not _few(est) for _, est in old)
    for (path, est), (_, was) in zip(found, old, strict=True):
        if was.given:
            # a setting (a preset cutoff where the RDF had no minimum) is no result of the
            # short run: left as it was given
            assert est == was, path
            continue
        # every number comes from the 0.2 ps run: never a result
        assert not est.valid and any(n.startswith(SHORT) for n in est.notes), path
        # the analysis' own verdict first, unchanged; "too few ions" only where it put it
        assert est.notes[:len(was.notes)] == was.notes, path
        assert _few(est) == _few(was), path
        assert est.value == was.value or (np.isnan(est.value) and np.isnan(was.value)), path
        assert est.stderr == was.stderr or (np.isnan(est.stderr) and np.isnan(was.stderr))


def test_a_long_run_of_few_ions_keeps_every_number_as_its_analysis_judged(demo_like):
    universe, summary = demo_like
    reasons = demo_limits(1, 500.0, len(universe.atoms))
    assert len(reasons) == 1 and reasons[0].startswith(FEW)
    marked = dict(_estimates(mark_demo_summary(summary, reasons)))
    for path, old in _estimates(summary):
        assert marked[path].valid == old.valid and marked[path].notes == old.notes, path
    assert marked[("density", "density")].valid
    assert marked[("viscosity", "viscosity")].valid


def _synthetic():
    """A summary of valid and not valid numbers, as objects, dicts and in lists, of analyses
    known and unknown to the demo."""
    ok = Estimate(0.5, 0.05, "S/m", "blocks", 40)
    own_few = Estimate(2.0, 0.3, "1", "frames", 12).with_notes(
        "too few ions: 2 (the transport analyses need at least 5)", converged=False)
    return {
        "einstein_helfand_conductivity": {"conductivity": ok, "parts": [ok.to_dict()]},
        "solvation_shells": {"Li": {"coordination": own_few.to_dict()}},
        "a_future_analysis": {"x": [Estimate(1.0, 0.1, "1", "blocks", 30)]},
        "diffusion": {"D": {"Li": Estimate(1e-10, 1e-11, "m^2/s", "blocks", 30)}},
        "skipped_one": {"skipped": "needs velocities"},
    }


@pytest.mark.parametrize("n_li, production_ps", [(1, 0.2), (1, 500.0), (8, 0.2), (8, 500.0)])
def test_a_synthetic_summary_keeps_the_analyses_verdicts(n_li, production_ps):
    summary = _synthetic()
    before = copy.deepcopy(summary)
    reasons = demo_limits(n_li, production_ps, 100)
    marked = mark_demo_summary(summary, reasons)
    assert summary == before
    short = production_ps < 200.0
    assert marked["skipped_one"] == {"skipped": "needs velocities"}
    for (path, est), (_, was) in zip(_estimates(marked), _estimates(before), strict=True):
        assert type(_at(marked, path)) is type(_at(before, path)), path  # dict stays dict
        assert _few(est) == _few(was), path  # the demo adds no ion count, removes none
        if short:
            assert not est.valid and est.notes == (*was.notes, reasons[-1]), path
        else:  # nothing concerns every number: each is as its analysis judged it
            assert est == was and est.valid == was.valid, path
    # a number its analysis judged valid over its ions stays valid when the run is long enough
    if not short:
        assert marked["einstein_helfand_conductivity"]["conductivity"].valid
        assert marked["diffusion"]["D"]["Li"].valid


def _at(obj, path):
    for key in path:
        obj = obj[key]
    return obj
