"""Bad numeric VALUES to the simulation side of the public API fail by name before work, generated.

The companion of :mod:`test_public_api_values` (analyses, builder, estimates) for the modules
that run models: overlap checks, D3, electrostatics, neighbour pairs, MD, density alignment,
fine-tuning, distillation, active learning, devices and units. Every numeric parameter gets
each of ``NaN, inf, -inf, -1, 0, 1e308``, the other arguments valid and tiny (EMT copper, a
water molecule for D3). The contract, per value:

* a ValueError/TypeError (or ASE's InputError, a ValueError) whose message names the
  parameter, raised before a model is evaluated (counted through an EMT calculator); or
* for a value listed in ``ALLOWED`` with the reason it is legitimate: a result whose numbers
  are finite (but for the errors of Estimates marked not valid).

``test_every_numeric_parameter_is_covered`` walks ``__all__`` of these modules with
:func:`inspect.signature`: each parameter with a numeric default or annotation is in ``CASES``
or in ``NOT_HERE`` with the reason.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from ase.build import bulk, molecule
from ase.calculators.emt import EMT
from public_api_parameters import BAD, numeric_parameters

from ase_electrolyte import active_learning as al
from ase_electrolyte import atoms_checks, md, neighbour_pairs, units
from ase_electrolyte import density_alignment as da
from ase_electrolyte.d3 import D3
from ase_electrolyte.device import Device
from ase_electrolyte.distill import distill
from ase_electrolyte.electrostatics import Electrostatics, qrd_charges
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.finetuning import check_finetune_options

EVALUATIONS = []


class CountedEMT(EMT):
    """EMT that appends to EVALUATIONS for every evaluation."""

    def calculate(self, *args, **kwargs):
        EVALUATIONS.append(1)
        return super().calculate(*args, **kwargs)


def _copper():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.02, seed=1)
    atoms.calc = CountedEMT()
    return atoms


def _md(**kw):
    args = {"ensemble": "nvt", "steps": 2, "timestep_fs": 1.0, "temperature_K": 300.0,
            "tdamp_fs": 100.0, "progress": False, **kw}
    return md.run_md(_copper(), **args)


def _d3(**kw):
    atoms = molecule("H2O")
    atoms.center(vacuum=4.0)
    atoms.pbc = True
    atoms.calc = D3(device="cpu", **kw)
    return atoms.get_potential_energy()


_TRAJ = [None]


def _npt(**kw):
    args = {"temperature_K": 300.0, "steps": 3, "trajectory": _TRAJ[0], **kw}
    copper = _copper()
    return da.npt_density(copper.calc, copper, **args)


def _protocol(**kw):
    return md.check_protocol_arguments(**{"temperature_K": 300.0, **kw})


_FINETUNE = {"epochs": 1, "ensemble": 1, "loss": "huber", "check_units": True, "plot": False,
             "lr": 1e-3, "batch_size": 4, "seed": 1, "force_weight": 1.0, "stress_weight": 0.01,
             "pressure_shift_bar": 0.0}


def _finetune(**kw):
    return check_finetune_options(**{**_FINETUNE, "out": _TRAJ[0].parent / "ft", **kw})


def _rising(pressures):
    """Densities rising with the pressure, κ = 5e-5 1/bar (NaN and ±inf pressures give NaN)."""
    with np.errstate(all="ignore"):
        p = np.array(pressures, dtype=float)
        return 1.2 * np.exp(5e-5 * np.where(np.abs(p) < 1e7, p, np.nan))


def _volumes():
    """An NPT volume series, Å³: 8000 ± 20."""
    return 8000.0 + 20.0 * np.random.default_rng(0).normal(size=400)


def _descriptors():
    return np.random.default_rng(0).normal(size=(10, 3))


_H2O_QRD = {"H": (0.4, 1.0), "O": (-0.8, 1.0)}


def _coulomb(**kw):
    """Energy and forces of a periodic water molecule with QRd charges (Ewald or PME)."""
    atoms = molecule("H2O")
    atoms.center(vacuum=5.0)
    atoms.pbc = True
    atoms.calc = Electrostatics(qrd=_H2O_QRD, **kw)
    return atoms.get_potential_energy(), atoms.get_forces()

# (case id, the parameter as the message names it, factory of the value)
CASES = [
    ("check_overlaps(min_distance)", "min_distance",
     lambda x: atoms_checks.check_overlaps(_copper(), min_distance=x)),
    ("D3(cutoff)", "cutoff", lambda x: _d3(cutoff=x)),
    ("D3(cn_cutoff)", "cutoff", lambda x: _d3(cn_cutoff=x)),
    ("D3(atm_cutoff)", "cutoff", lambda x: _d3(atm=True, atm_cutoff=x)),
    ("D3(smooth_cutoff)", "smooth_cutoff", lambda x: _d3(smooth_cutoff=x)),
    ("D3(num_threads)", "num_threads", lambda x: _d3(num_threads=x)),
    ("qrd_charges(total_charge)", "total charge",
     lambda x: qrd_charges([8, 1, 1], _H2O_QRD, total_charge=x)),
    ("qrd_charges(qrd b)", "QRd b of H",
     lambda x: qrd_charges([8, 1, 1], {**_H2O_QRD, "H": (x, 1.0)})),
    ("qrd_charges(qrd s)", "(QRd s of H|weights s)",
     lambda x: qrd_charges([8, 1, 1], {**_H2O_QRD, "H": (0.4, x)})),
    ("Electrostatics(total_charge)", "total.charge", lambda x: _coulomb(total_charge=x)),
    ("Electrostatics(tolerance)", "tolerance", lambda x: _coulomb(tolerance=x)),
    ("Electrostatics(cutoff)", "cutoff", lambda x: _coulomb(cutoff=x)),
    ("Electrostatics(short_range_length)", "short_range_length",
     lambda x: _coulomb(short_range="gaussian", short_range_length=x)),
    ("pairs_within(cutoff)", "cutoff",
     lambda x: neighbour_pairs.pairs_within(_copper().positions, _copper().cell, x)),
    ("half_pairs(cutoff)", "cutoff",
     lambda x: neighbour_pairs.half_pairs(_copper().positions, _copper().cell, x)),
    ("search_cutoff(cutoff)", "cutoff",
     lambda x: neighbour_pairs.search_cutoff(_copper().cell[:], x)),
    ("face_distances(cell)", "cell",
     lambda x: neighbour_pairs.face_distances(np.diag([3.6, 3.6, x]))),
    ("relax(fmax)", "fmax", lambda x: md.relax(_copper(), fmax=x, steps=2)),
    ("relax(steps)", "steps", lambda x: md.relax(_copper(), steps=x)),
    ("run_md(steps)", "steps", lambda x: _md(steps=x)),
    ("run_md(timestep_fs)", "timestep_fs", lambda x: _md(timestep_fs=x)),
    ("run_md(temperature_K)", "temperature_K", lambda x: _md(temperature_K=x)),
    ("run_md(pressure_bar)", "pressure_bar",
     lambda x: _md(ensemble="npt", pressure_bar=x, pdamp_fs=1000.0)),
    ("run_md(tdamp_fs)", "tdamp_fs", lambda x: _md(tdamp_fs=x)),
    ("run_md(pdamp_fs)", "pdamp_fs", lambda x: _md(ensemble="npt", pdamp_fs=x)),
    ("run_md(hydrogen_mass)", "hydrogen_mass", lambda x: _md(hydrogen_mass=x)),
    ("run_md(write_interval)", "write_interval",
     lambda x: _md(write_interval=x, trajectory=_TRAJ[0])),
    ("run_md(observe_interval)", "observe_interval", lambda x: _md(observe_interval=x)),
    ("run_md(seed)", "seed", lambda x: _md(seed=x)),
    ("run_md(max_temperature_factor)", "max_temperature_factor",
     lambda x: _md(max_temperature_factor=x)),
    ("run_md(max_displacement)", "max_displacement", lambda x: _md(max_displacement=x)),
    ("check_protocol_arguments(pressure_bar)", "pressure_bar",
     lambda x: _protocol(pressure_bar=x)),
    ("check_protocol_arguments(relax_fmax)", "relax_fmax", lambda x: _protocol(relax_fmax=x)),
    ("check_protocol_arguments(preequilibration_ps)", "preequilibration_ps",
     lambda x: _protocol(preequilibration_ps=x)),
    ("check_protocol_arguments(equilibration_ps)", "equilibration_ps",
     lambda x: _protocol(equilibration_ps=x)),
    ("check_protocol_arguments(production_ps)", "production_ps",
     lambda x: _protocol(production_ps=x)),
    ("check_protocol_arguments(preequilibration_timestep_fs)", "preequilibration_(timestep_fs|ps)",
     lambda x: _protocol(preequilibration_timestep_fs=x)),
    ("check_protocol_arguments(timestep_fs)", "timestep_fs", lambda x: _protocol(timestep_fs=x)),
    ("check_protocol_arguments(hydrogen_mass)", "hydrogen_mass",
     lambda x: _protocol(hydrogen_mass=x)),
    ("check_protocol_arguments(write_interval_fs)", "(write_interval_fs|frame interval)",
     lambda x: _protocol(write_interval_fs=x)),
    ("check_protocol_arguments(observe_interval_fs)", "observe_interval_fs",
     lambda x: _protocol(observe_interval_fs=x)),
    ("npt_density(steps)", "steps", lambda x: _npt(steps=x)),
    ("npt_density(temperature_K)", "temperature_K", lambda x: _npt(temperature_K=x)),
    ("npt_density(pressure_bar)", "pressure_bar", lambda x: _npt(pressure_bar=x)),
    ("npt_density(timestep_fs)", "timestep_fs", lambda x: _npt(timestep_fs=x)),
    ("npt_density(tdamp_fs)", "tdamp_fs", lambda x: _npt(tdamp_fs=x)),
    ("npt_density(pdamp_fs)", "pdamp_fs", lambda x: _npt(pdamp_fs=x)),
    ("npt_density(write_interval)", "write_interval", lambda x: _npt(write_interval=x)),
    ("npt_density(seed)", "seed", lambda x: _npt(seed=x)),
    ("pressure_shift_for_density(rho_model)", "rho_model",
     lambda x: da.pressure_shift_for_density(x, 1.25, 4e-5)),
    ("pressure_shift_for_density(rho_target)", "rho_target",
     lambda x: da.pressure_shift_for_density(1.2, x, 4e-5)),
    ("pressure_shift_for_density(kappa_per_bar)", "compressibility",
     lambda x: da.pressure_shift_for_density(1.2, 1.25, x)),
    ("pressure_shift_for_density(rho_model_error)", "rho_model_error",
     lambda x: da.pressure_shift_for_density(1.2, 1.25, 4e-5, rho_model_error=x)),
    ("pressure_shift_for_density(rho_target_error)", "rho_target_error",
     lambda x: da.pressure_shift_for_density(1.2, 1.25, 4e-5, rho_target_error=x)),
    ("pressure_shift_for_density(kappa_error)", "kappa_error",
     lambda x: da.pressure_shift_for_density(1.2, 1.25, 4e-5, kappa_error=x)),
    ("compressibility_from_shifts(pressures_bar)", "pressures_bar",
     lambda x: da.compressibility_from_shifts([x, 100.0, 200.0], _rising([x, 100.0, 200.0]))),
    ("compressibility_from_shifts(densities)", "densities",
     lambda x: da.compressibility_from_shifts([0.0, 100.0, 200.0], [1.2, 1.205, x])),
    ("compressibility_from_shifts(density_errors)", "density_errors",
     lambda x: da.compressibility_from_shifts([0.0, 100.0, 200.0], [1.2, 1.205, 1.21],
                                              [0.001, 0.001, x])),
    ("compressibility_from_fluctuations(temperature_K)", "temperature_K",
     lambda x: da.compressibility_from_fluctuations(_volumes(), x, dt=0.01)),
    ("compressibility_from_fluctuations(dt)", "dt",
     lambda x: da.compressibility_from_fluctuations(_volumes(), 300.0, dt=x)),
    ("recorded_shapes(charged_species)", "charged_species",
     lambda x: md.recorded_shapes("npt", x)),
    ("finetune(epochs)", "epochs", lambda x: _finetune(epochs=x)),
    ("finetune(ensemble)", "ensemble", lambda x: _finetune(ensemble=x)),
    ("finetune(lr)", "lr", lambda x: _finetune(lr=x)),
    ("finetune(batch_size)", "batch_size", lambda x: _finetune(batch_size=x)),
    ("finetune(seed)", "seed", lambda x: _finetune(seed=x)),
    ("finetune(force_weight)", "force_weight", lambda x: _finetune(force_weight=x)),
    ("finetune(stress_weight)", "stress_weight", lambda x: _finetune(stress_weight=x)),
    ("finetune(pressure_shift_bar)", "pressure_shift_bar",
     lambda x: _finetune(pressure_shift_bar=x)),
    ("distill(n_students)", "n_students",
     lambda x: distill(["/nonexistent/a.pth", "/nonexistent/b.pth"], [_copper()], epochs=1,
                       n_students=x, out=_TRAJ[0].parent / "distill")),
    ("CandidateCollector(select_threshold)", "select_threshold",
     lambda x: al.CandidateCollector(_TRAJ[0].parent / "c.extxyz", x, 1.0)),
    ("CandidateCollector(stop_threshold)", "stop_threshold",
     lambda x: al.CandidateCollector(_TRAJ[0].parent / "c.extxyz", 0.1, x)),
    ("CandidateCollector(min_interval)", "min_interval",
     lambda x: al.CandidateCollector(_TRAJ[0].parent / "c.extxyz", 0.1, 1.0, min_interval=x)),
    ("farthest_point_sampling(n)", "n", lambda x: al.farthest_point_sampling(_descriptors(), x)),
    ("farthest_point_sampling(first)", "first",
     lambda x: al.farthest_point_sampling(_descriptors(), 3, first=x)),
    ("d_optimal_selection(n)", "n", lambda x: al.d_optimal_selection(_descriptors(), x)),
    ("d_optimal_selection(first)", "first",
     lambda x: al.d_optimal_selection(_descriptors(), 3, first=x)),
    ("d_optimal_selection(ridge)", "ridge",
     lambda x: al.d_optimal_selection(_descriptors(), 3, ridge=x)),
    ("Device(index)", "device index", lambda x: Device("cuda", x)),
    ("convert(value)", "value", lambda x: units.convert(x, "S/m", "mS/cm")),
]

# values that are legitimate, with the reason; each must give a result without NaN/inf (but
# for the errors of Estimates marked not valid)
ALLOWED = {
    ("D3(smooth_cutoff)", 0): "0 Å: a hard cutoff, simple-dftd3's default",
    ("recorded_shapes(charged_species)", 0): "a box without charged species (no charge current)",
    ("D3(num_threads)", 1e308): "a ceiling: the threads used are at most the cores",
    ("qrd_charges(total_charge)", 0): "a neutral molecule",
    ("qrd_charges(qrd b)", -1): "a base charge of either sign",
    ("qrd_charges(qrd b)", 0): "a base charge of 0",
    ("qrd_charges(qrd s)", 0): "a species that takes none of the excess charge",
    ("qrd_charges(qrd s)", -1): "a negative weight: the sum over the molecule is what counts",
    ("face_distances(cell)", -1): "a left-handed cell: its face distances are positive",
    ("qrd_charges(total_charge)", -1): "an anion",
    ("Electrostatics(total_charge)", 0): "a neutral molecule",
    ("search_cutoff(cutoff)", 1e308): "the radius itself (no cell list rescaling): the pair "
                                      "search then refuses it by its memory budget",
    ("relax(steps)", 0): "no optimiser step: the structure is returned as it is",
    ("relax(steps)", 1e308): "a ceiling: the optimiser stops when converged",
    ("run_md(pressure_bar)", -1): "a tensile pressure is a pressure",
    ("run_md(pressure_bar)", 0): "vacuum pressure",
    ("run_md(write_interval)", 1e308): "a ceiling: the first and last frames are written",
    ("run_md(observe_interval)", 1e308): "a ceiling: the first and last steps are observed",
    ("run_md(seed)", 0): "seeds start at 0",
    ("run_md(seed)", 1e308): "any whole number seeds NumPy",
    ("run_md(max_temperature_factor)", 1e308): "a guard's ceiling: the guard never fires",
    ("run_md(max_displacement)", 1e308): "a guard's ceiling: the guard never fires",
    ("check_protocol_arguments(pressure_bar)", -1): "a tensile pressure is a pressure",
    ("check_protocol_arguments(pressure_bar)", 0): "vacuum pressure",
    ("check_protocol_arguments(preequilibration_ps)", 0): "0 skips the stage",
    ("check_protocol_arguments(equilibration_ps)", 0): "0 skips the stage",
    ("check_protocol_arguments(hydrogen_mass)", 1e308): "checked here by sign only; the "
                                                        "masses are set per run (see "
                                                        "run_md(hydrogen_mass))",
    ("npt_density(pressure_bar)", -1): "a tensile pressure is a pressure",
    ("npt_density(pressure_bar)", 0): "vacuum pressure",
    ("npt_density(write_interval)", 1e308): "a ceiling: the first and last frames are stored",
    ("npt_density(seed)", 0): "seeds start at 0",
    ("npt_density(seed)", 1e308): "any whole number seeds NumPy",
    ("pressure_shift_for_density(rho_model_error)", 0): "a density given exactly",
    ("pressure_shift_for_density(rho_model_error)", 1e308): "an error larger than the "
                                                            "difference: marked not valid",
    ("pressure_shift_for_density(rho_target_error)", 0): "a density given exactly",
    ("pressure_shift_for_density(rho_target_error)", 1e308): "an error larger than the "
                                                             "difference: marked not valid",
    ("pressure_shift_for_density(kappa_error)", 0): "a compressibility given exactly",
    ("pressure_shift_for_density(kappa_error)", math.nan): "NaN is a 2-point fit's 'no error "
                                                           "estimate': the shift is marked not "
                                                           "valid with that note",
    ("pressure_shift_for_density(kappa_error)", 1e308): "an error larger than κ: marked not "
                                                        "valid",
    ("compressibility_from_shifts(pressures_bar)", -1): "a pressure below zero is a pressure",
    ("compressibility_from_shifts(pressures_bar)", 0): "the unshifted run",
    ("compressibility_from_shifts(density_errors)", 1e308): "a point of no weight",
    ("finetune(batch_size)", 1e308): "a ceiling: one batch of all the frames",
    ("finetune(seed)", 0): "seeds start at 0",
    ("finetune(force_weight)", 0): "energies (and stresses) only",
    ("finetune(stress_weight)", 0): "no stress term (molecules)",
    ("finetune(pressure_shift_bar)", -1): "a shift of either sign",
    ("finetune(pressure_shift_bar)", 0): "no shift, the default",
    ("CandidateCollector(stop_threshold)", math.inf): "documented: never stop",
    ("CandidateCollector(stop_threshold)", 1e308): "never stop",
    ("CandidateCollector(min_interval)", 1e308): "a ceiling: one candidate per run",
    ("farthest_point_sampling(first)", 0): "the first frame",
    ("d_optimal_selection(first)", 0): "the first frame",
    ("Device(index)", 0): "the first device",
    ("convert(value)", math.nan): "an unknown number (an Estimate's error) stays unknown",
    ("convert(value)", math.inf): "an infinite number stays infinite",
    ("convert(value)", -math.inf): "an infinite number stays infinite",
    ("convert(value)", -1): "a negative number converts",
    ("convert(value)", 0): "0 converts",
}

# Allowed results that are not finite by design
_NOT_FINITE_BY_DESIGN = {("convert(value)", v) for v in (math.nan, math.inf, -math.inf)}

IDS = [c[0] for c in CASES]


def _not_finite(obj, path="result"):
    """Paths of NaN/inf numbers in ``obj``, but for the errors of Estimates marked not valid."""
    if isinstance(obj, Estimate):
        bad = [] if math.isfinite(obj.value) else [f"{path}.value"]
        if not math.isfinite(obj.stderr) and obj.valid:
            bad.append(f"{path}.stderr")
        return bad
    if isinstance(obj, da.PressureShift):
        bad = [] if math.isfinite(obj.delta_bar) else [f"{path}.delta_bar"]
        return bad + _not_finite(obj.estimate, f"{path}.estimate")
    if isinstance(obj, da.Compressibility):
        return _not_finite(obj.estimate, f"{path}.estimate") + (
            [] if math.isfinite(obj.kappa_per_bar) else [f"{path}.kappa_per_bar"])
    if hasattr(obj, "positions") and hasattr(obj, "cell"):  # Atoms
        return [] if (np.isfinite(obj.positions).all() and np.isfinite(obj.cell[:]).all()
                      and np.isfinite(obj.get_velocities()).all()) else [path]
    if isinstance(obj, (list, tuple)):
        return [p for k, v in enumerate(obj) for p in _not_finite(v, f"{path}[{k}]")]
    if isinstance(obj, (float, np.floating)) and not math.isfinite(obj):
        return [path]
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "f" and not np.all(np.isfinite(obj)):
        return [path]
    return []


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("value", BAD, ids=repr)
@pytest.mark.parametrize("case,name,make", CASES, ids=IDS)
def test_a_bad_number_is_refused_by_name_before_work_or_gives_a_finite_result(
        case, name, make, value, tmp_path):
    _TRAJ[0] = tmp_path / "run.h5"
    EVALUATIONS.clear()
    reason = ALLOWED.get((case, value))
    if reason is None:
        with pytest.raises((ValueError, TypeError)) as err:
            make(value)
        assert re.search(name, str(err.value)), f"{case} = {value!r}: {err.value}"
        assert not EVALUATIONS, (f"{case} = {value!r}: refused after {len(EVALUATIONS)} "
                                 "model evaluations")
        return
    result = make(value)
    if (case, value) in _NOT_FINITE_BY_DESIGN:
        assert result == value or (math.isnan(value) and math.isnan(result))
        return
    assert not _not_finite(result), f"{case} = {value!r} ({reason}): {result!r}"


# --- the fixes, by their numbers ---------------------------------------------------------------


def test_a_huge_d3_cutoff_is_counted_as_infinitely_many_images_in_every_periodicity():
    # was OverflowError: (34, 'Numerical result out of range') at the first energy
    for pbc in (True, [True, True, False], [True, False, False]):
        for option in ("cutoff", "cn_cutoff", "atm_cutoff"):
            atoms = molecule("H2O")
            atoms.center(vacuum=4.0)
            atoms.pbc = pbc
            atoms.calc = D3(device="cpu", atm=True, **{option: 1e308})
            with pytest.raises(ValueError, match=r"spans ~inf periodic images"):
                atoms.get_potential_energy()
    # a molecule has no images: every pair is within the cutoff, the energy that of the default
    atoms = molecule("H2O")
    atoms.calc = D3(device="cpu", cutoff=1e308, cn_cutoff=1e308)
    big = atoms.get_potential_energy()
    atoms.calc = D3(device="cpu")
    assert big == pytest.approx(atoms.get_potential_energy(), rel=1e-9)


def test_overlap_threshold_bounds_and_the_thin_cell_message():
    atoms = _copper()
    atoms_checks.check_overlaps(atoms, min_distance=2.0)
    # a threshold above the 3.6 Å cell: every atom meets its own image there
    with pytest.raises(ValueError, match=r"3\.6 Å thin across a face \(< 4\.0 Å\): every "
                                         r"atom is that close to its own image"):
        atoms_checks.check_overlaps(atoms, min_distance=4.0)
    # the default still finds coincident atoms
    atoms.positions[1] = atoms.positions[0]
    with pytest.raises(ValueError, match=r"closer than 0\.1 Å: Cu0-Cu1 at 0 Å"):
        atoms_checks.check_overlaps(atoms)


def test_the_md_ceilings_and_a_run_just_inside_them():
    assert md.MAX_DAMPING_FS == 1e12 and md.MAX_TIMESTEP_FS == 1000.0
    # was OverflowError inside ASE's Nosé–Hoover chain at 1e308 fs
    out = _md(tdamp_fs=md.MAX_DAMPING_FS)
    assert np.isfinite(out.positions).all()
    with pytest.raises(ValueError, match=r"timestep_fs must be a finite number > 0 and <= 1000"):
        _md(timestep_fs=1001.0)


def test_the_pressure_shift_stays_within_the_md_pressure_range():
    # κ = 1e-300 1/bar gave a 'valid' shift of -4e298 bar
    with pytest.raises(ValueError, match=r"is -4\.08e\+298 bar, beyond ±1e\+07 bar"):
        da.pressure_shift_for_density(1.2, 1.25, 1e-300)
    # the largest compressibility accepted: an ideal gas at 1 bar, ΔP = -ln(ρt/ρm)/κ exactly
    shift = da.pressure_shift_for_density(1.2, 1.25, da.MAX_COMPRESSIBILITY)
    assert shift.delta_bar == pytest.approx(-math.log(1.25 / 1.2))
    # densities are those electrolyte_box accepts
    from ase_electrolyte.build import MAX_DENSITY

    assert da.pressure_shift_for_density(MAX_DENSITY, 1.0, 1.0).delta_bar == pytest.approx(
        math.log(MAX_DENSITY))


def test_npt_density_refuses_a_too_short_run_before_loading_its_model(tmp_path):
    # steps=2 ran the MD, then failed: "a time-series mean needs at least 4 samples, not 3";
    # a model name is not loaded (it does not exist: the check comes first)
    EVALUATIONS.clear()
    for steps in (2, 2.5):
        with pytest.raises(ValueError, match=r"steps \(the density's mean needs at least 4 "
                                             r"samples\) must be a whole number >= 3"):
            da.npt_density("/nonexistent/model.pth", _copper(), temperature_K=300.0,
                           steps=steps, trajectory=tmp_path / "t.h5")
    assert not EVALUATIONS
    _TRAJ[0] = tmp_path / "t3.h5"
    density = _npt(steps=3)
    # EMT copper near its lattice constant: ~9 g/cm³, a finite value with its error
    assert 8.0 < density.value < 10.0 and math.isfinite(density.stderr)


def test_the_fluctuation_compressibility_is_that_of_the_volume_variance_up_to_the_ceiling():
    # κ = <δV²>/(k_B T <V>): 1e308 K gave 0 ± 0 1/bar, 'valid'
    from ase.units import bar, kB

    v = _volumes()
    hot = da.compressibility_from_fluctuations(v, md.MAX_TEMPERATURE_K, dt=0.01)
    cold = da.compressibility_from_fluctuations(v, 300.0, dt=0.01)
    assert hot.value == pytest.approx(cold.value * 300.0 / md.MAX_TEMPERATURE_K, rel=1e-12)
    expected = np.var(v, ddof=1) / (kB * 300.0 * v.mean()) * bar
    assert cold.value == pytest.approx(expected, rel=0.05)


def test_a_unit_conversion_that_overflows_is_refused_by_value():
    with pytest.raises(ValueError, match=r"value 1e\+308 S/m overflows in mS/cm"):
        units.convert(np.array([1.0, 1e308]), "S/m", "mS/cm")
    # the other way it is a plain product
    assert units.convert(1e308, "mS/cm", "S/m") == pytest.approx(1e307)


def test_align_density_refuses_a_huge_stress_weight_before_labelling(tmp_path):
    # check_finetune_options runs before the base model is read: this base does not exist
    for weight in (1e308, math.nan):
        with pytest.raises(ValueError, match="stress_weight"):
            da.align_density("/nonexistent/model.pth", [_copper()], 100.0, epochs=1,
                             out=tmp_path / "align", stress_weight=weight)


# --- every numeric parameter of these modules is tried -----------------------------------------

MODULES = [
    "ase_electrolyte.atoms_checks", "ase_electrolyte.d3", "ase_electrolyte.electrostatics",
    "ase_electrolyte.neighbour_pairs", "ase_electrolyte.md", "ase_electrolyte.committee",
    "ase_electrolyte.calculator", "ase_electrolyte.calculator_parameters",
    "ase_electrolyte.density_alignment", "ase_electrolyte.finetuning", "ase_electrolyte.distill",
    "ase_electrolyte.active_learning", "ase_electrolyte.device", "ase_electrolyte.units",
]

_CONVERSION = ("a conversion of lengths into steps (bad values refused by name in "
               "test_protocol_steps); its callers check the protocol first "
               "(check_protocol_arguments, tried)")
NOT_HERE = {
    "protocol_steps.preequilibration_ps": _CONVERSION,
    "protocol_steps.equilibration_ps": _CONVERSION,
    "protocol_steps.production_ps": _CONVERSION,
    "protocol_steps.preequilibration_timestep_fs": _CONVERSION,
    "protocol_steps.timestep_fs": _CONVERSION,
    "protocol_steps.write_interval_fs": _CONVERSION,
    "protocol_steps.observe_interval_fs": _CONVERSION,
    "StageSteps.timestep_fs": "a result record of protocol_steps",
    "StageSteps.steps": "a result record of protocol_steps",
    "StageSteps.write_interval": "a result record of protocol_steps",
    "StageSteps.observe_interval": "a result record of protocol_steps",
    "check_number.minimum": "the checker's own bounds, given by the code",
    "check_number.above": "the checker's own bounds, given by the code",
    "check_number.maximum": "the checker's own bounds, given by the code",
    "QRdFit.n_frames": "a result record of fit_qrd",
    "fit_qrd.weights": "needs labelled frames; test_electrostatics_faults tries its weights",
    "fit_qrd.regularization": "needs labelled frames; test_electrostatics_faults tries it",
    "ProtocolResult.density_std": "a result record of run_protocol",
    "Compressibility.kappa_per_bar": "a result record; tried as "
                                     "pressure_shift_for_density(kappa_per_bar)",
    "Compressibility.kappa_error": "a result record; tried as "
                                   "pressure_shift_for_density(kappa_error)",
    "Compressibility.density_at_zero": "a result record of compressibility_from_shifts",
    "Compressibility.n_points": "a result record of compressibility_from_shifts",
    "PressureShift.delta_bar": "a result record; align_density checks it as delta_bar",
    "tait_pressure_shift.rho_model_error": "passed to pressure_shift_for_density (tried as "
                                           "pressure_shift_for_density(rho_model_error))",
    "tait_pressure_shift.rho_target_error": "passed to pressure_shift_for_density (tried as "
                                            "pressure_shift_for_density(rho_target_error))",
    "tait_pressure_shift.kappa_error": "passed to pressure_shift_for_density (tried as "
                                       "pressure_shift_for_density(kappa_error))",
    "PressureShift.error_bar": "a result record of pressure_shift_for_density",
    "MeanPressure.mean_bar": "a result record of mean_pressure",
    "MeanPressure.stderr_bar": "a result record of mean_pressure",
    "align_density.stress_weight": "checked by check_finetune_options before labelling "
                                   "(finetune(stress_weight) and "
                                   "test_align_density_refuses_a_huge_stress_weight_before_"
                                   "labelling)",
    "run_protocol.pressure_bar": "run_protocol calls check_protocol_arguments first (tried)",
    "run_protocol.relax_fmax": "run_protocol calls check_protocol_arguments first (tried)",
    "run_protocol.preequilibration_ps": "run_protocol calls check_protocol_arguments first",
    "run_protocol.equilibration_ps": "run_protocol calls check_protocol_arguments first",
    "run_protocol.production_ps": "run_protocol calls check_protocol_arguments first",
    "run_protocol.preequilibration_timestep_fs": "run_protocol calls check_protocol_arguments "
                                                 "first",
    "run_protocol.timestep_fs": "run_protocol calls check_protocol_arguments first",
    "run_protocol.hydrogen_mass": "run_protocol calls check_protocol_arguments first",
    "run_protocol.write_interval_fs": "run_protocol calls check_protocol_arguments first",
    "run_protocol.observe_interval_fs": "run_protocol calls check_protocol_arguments first",
    "run_protocol.seed": "passed to run_md (tried as run_md(seed))",
}


def test_every_numeric_parameter_is_covered():
    tried = {c.split("(")[0] + "." + c.split("(")[1].split(")")[0].split(" ")[0] for c in IDS}
    missing = [p for p in numeric_parameters(MODULES) if p not in tried and p not in NOT_HERE]
    assert not missing, f"numeric parameters neither tried nor listed in NOT_HERE: {missing}"


def test_the_catalogue_is_consistent():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert all(case in IDS for case, _ in ALLOWED)
        assert len(set(IDS)) == len(IDS)
