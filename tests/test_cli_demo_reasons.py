"""The demo's verdict reasons sit only on the numbers they concern.

A demo box of one LiPF6 pair marks its numbers "too few ions" and "too short". The first
concerns averages over ions (shell statistics, conductivities, an ion's diffusion coefficient,
an RDF around Li, P or F); it was also attached to the whole system's kinetic temperature, to a
solvent's diffusion coefficient, to solvent-solvent RDFs and to the viscosity. The summary here
comes from every analysis run on a small synthetic trajectory (molecules random-walking as
rigid bodies in a packed 1 LiPF6 + 2 EC + 2 EMC box), not from the demo itself.
"""

import copy
import warnings

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate
from electrolyte_cli.demo import averages_over_ions, demo_limits, mark_demo_summary

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


def _is_ion_average(path):
    """The physics, spelled out per quantity of this box (ions: Li, PF6; Li, P, F in no
    solvent)."""
    section, keys = path[0], [str(k) for k in path[1:]]
    if section in ("density", "viscosity", "rigid_volume_scan", "intra_inter_errors"):
        return False  # whole-system averages, model errors on whole frames
    if keys[-1] == "temperature_K (kinetic)":
        return False  # 3N degrees of freedom of every atom
    if section == "diffusion":
        return keys[1] in ("Li", "PF6")  # EC and EMC are averages over solvent molecules
    if section == "intra_inter_rdf":
        return bool({"Li", "P", "F"} & set(keys[1].split("-")))  # C, H, O: solvent only
    return True  # Li-centred shells, conductivities and their ionic parts


def test_each_demo_reason_sits_only_on_the_numbers_it_concerns(demo_like):
    universe, summary = demo_like
    before = copy.deepcopy(summary)
    reasons = demo_limits(1, 0.2, len(universe.atoms))
    assert len(reasons) == 2 and reasons[0].startswith(FEW) and reasons[1].startswith(SHORT)
    marked = mark_demo_summary(summary, reasons, universe)
    assert summary == before  # the caller's summary is not modified
    found = _estimates(marked)
    kinds = {p[0] for p, _ in found}
    # not vacuous: the quantities the reason went wrong on are all here
    assert {"solvation_shells", "diffusion", "intra_inter_rdf", "density", "viscosity",
            "rigid_volume_scan", "intra_inter_errors"} <= kinds
    assert any(p[-1] == "temperature_K (kinetic)" for p, _ in found)
    assert ("diffusion", "D", "EC") in {p for p, _ in found}
    assert ("intra_inter_rdf", "pairs", "C-H", "g_max") in {p for p, _ in found}
    wrong, missing = [], []
    for path, est in found:
        # every number comes from the 0.2 ps run: never a result
        assert not est.valid and any(n.startswith(SHORT) for n in est.notes), path
        few = any(n.startswith("too few ions") for n in est.notes)
        if _is_ion_average(path) and not few:
            missing.append(path)
        if not _is_ion_average(path) and any(n.startswith(FEW) for n in est.notes):
            wrong.append(path)
    assert wrong == [] and missing == []
    # a number's own notes are kept, the demo's added once
    for (path, est), (_, old) in zip(found, _estimates(before), strict=True):
        assert est.notes[:len(old.notes)] == old.notes, path
        assert est.value == old.value or (np.isnan(est.value) and np.isnan(old.value)), path


def test_a_long_run_of_few_ions_leaves_the_other_numbers_as_judged(demo_like):
    """Production long enough, too few ions: numbers that are no ion averages keep their
    verdict (a valid kinetic temperature stays valid), ion averages are marked."""
    universe, summary = demo_like
    reasons = demo_limits(1, 500.0, len(universe.atoms))
    assert len(reasons) == 1 and reasons[0].startswith(FEW)
    marked = dict(_estimates(mark_demo_summary(summary, reasons, universe)))
    for path, old in _estimates(summary):
        new = marked[path]
        if _is_ion_average(path):
            assert not new.valid and any(n.startswith("too few ions") for n in new.notes), path
        else:
            assert new.valid == old.valid and new.notes == old.notes, path
    assert marked[("density", "density")].valid


@pytest.mark.parametrize("path, expected", [
    (("nernst_einstein", "temperature_K (kinetic)"), False),
    (("einstein_helfand_conductivity", "conductivity"), True),
    (("diffusion", "D", "EMC"), False),
    (("diffusion", "D", "PF6"), True),
    (("intra_inter_rdf", "pairs", "O-O", "cn_first_shell"), False),
    (("intra_inter_rdf", "pairs", "F-H", "first_peak"), True),
    (("viscosity", "viscosity"), False),
    (("a_future_analysis", "x"), True),  # unknown: taken as an ion average, marked
])
def test_averages_over_ions_by_quantity(path, expected):
    assert averages_over_ions(path, {"Li", "PF6"}, {"Li", "P", "F"}) is expected
