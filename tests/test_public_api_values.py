"""Bad numeric VALUES to the public Python API fail by name before any work, generated.

:mod:`test_public_api_arguments` feeds values of the wrong kind (None, True, "3"). Here every
numeric parameter of the public callables of the analyses, the box builder and the estimates
gets each of ``NaN, inf, -inf, -1, 0, 1e308`` (and reversed or equal bounds for the
``(min, max)`` windows), the other arguments valid and tiny. The contract, per value:

* a ValueError/TypeError whose message names the parameter, raised before a frame is read
  (counted through the trajectory reader) or a model evaluated; or
* for a value listed in ``ALLOWED`` with the reason it is legitimate: a result whose numbers are
  finite, except NaN errors of Estimates that say why they are not valid.

``test_every_numeric_parameter_is_covered`` walks ``__all__`` of the modules of this area with
:func:`inspect.signature`: each parameter with a numeric default or annotation is in ``CASES``
or in ``NOT_HERE`` with the reason.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from public_api_parameters import BAD, numeric_parameters
from test_fault_catalogue_analysis import _liquid, _model, _molecular_frames, _salt, _shells
from transport_data import IONS

import mda_electrolyte as mdae
from ase_electrolyte import build
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.screen.properties import replica_property
from ase_electrolyte.species import Species
from mda_electrolyte import correlation, molecules, volume_scan
from mda_electrolyte.diagnose import diagnose
from mda_electrolyte.error_metrics import error_estimates
from mda_electrolyte.intra_inter_errors import check_reference_frames
from mda_electrolyte.ion_collection import IonCollector
from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator

# --- frames read and models evaluated ----------------------------------------------------------

READS = []


def _counted(u):
    """``u`` whose reader appends to READS for every frame it reads."""
    t = u.trajectory
    read_frame, read_next = t._read_frame, t._read_next_timestep

    def frame(*a, **k):
        READS.append(1)
        return read_frame(*a, **k)

    def step(*a, **k):
        READS.append(1)
        return read_next(*a, **k)

    t._read_frame, t._read_next_timestep = frame, step
    return u


def S():
    return _counted(_salt())


def L():
    return _counted(_liquid())


def M(**kw):
    model = _model(**kw)
    calculate = model.calculate

    def counted(*a, **k):
        READS.append(1)
        return calculate(*a, **k)

    model.calculate = counted
    return model


_VISC = {"dt": 0.01, "volume": 8000.0, "temperature": 300.0}


def _tensor():
    from transport_data import ornstein_uhlenbeck

    return ornstein_uhlenbeck(np.random.default_rng(0), 400, (3, 3), 0.05, 0.01, 300.0)


_NE = {"temperature": 300.0, "diffusivities": {"Li": 0.1, "AN": 0.1},
       "diffusivity_errors": {"Li": 0.01, "AN": 0.01}, "n_ions": {"Li": 8, "AN": 8},
       "charges": {"Li": 1.0, "AN": -1.0}, "volume": 8000.0}
_GK = {"n_blocks": 2, "max_lag": 0.05}


def _box(**kw):
    return build.electrolyte_box({"EC": 1.0}, "LiPF6", 1.0, **{"n_atoms": 100, **kw})


# (case id, the parameter as the message names it, factory of the value)
CASES = [
    ("Diffusion(fit_window[0])", "fit_window", lambda x: mdae.Diffusion(S(), IONS,
                                                                        fit_window=(x, 0.6))),
    ("Diffusion(fit_window[1])", "fit_window", lambda x: mdae.Diffusion(S(), IONS,
                                                                        fit_window=(0.1, x))),
    ("Diffusion(fit_window_ps[0])", "fit_window_ps",
     lambda x: mdae.Diffusion(S(), IONS, fit_window_ps=(x, 0.3))),
    ("Diffusion(fit_window_ps[1])", "fit_window_ps",
     lambda x: mdae.Diffusion(S(), IONS, fit_window_ps=(0.05, x))),
    ("Diffusion(n_blocks)", "n_blocks", lambda x: mdae.Diffusion(S(), IONS, n_blocks=x)),
    ("Diffusion(volume)", "volume", lambda x: mdae.Diffusion(S(), IONS, volume=x)),
    ("Diffusion(temperature)", "temperature", lambda x: mdae.Diffusion(S(), IONS, temperature=x)),
    ("Diffusion(viscosity)", "viscosity",
     lambda x: mdae.Diffusion(S(), IONS, viscosity=x, temperature=300.0)),
    ("Diffusion(charges)", "charges",
     lambda x: mdae.Diffusion(S(), IONS, charges={"Li": x, "AN": -1.0})),
    ("GreenKuboConductivity(temperature)", "temperature",
     lambda x: mdae.GreenKuboConductivity(S(), IONS, x, **_GK)),
    ("GreenKuboConductivity(max_lag)", "max_lag",
     lambda x: mdae.GreenKuboConductivity(S(), IONS, 300.0, n_blocks=2, max_lag=x)),
    ("GreenKuboConductivity(plateau[0])", "plateau",
     lambda x: mdae.GreenKuboConductivity(S(), IONS, 300.0, **_GK, plateau=(x, 0.04))),
    ("GreenKuboConductivity(plateau[1])", "plateau",
     lambda x: mdae.GreenKuboConductivity(S(), IONS, 300.0, **_GK, plateau=(0.0, x))),
    ("GreenKuboConductivity(n_blocks)", "n_blocks",
     lambda x: mdae.GreenKuboConductivity(S(), IONS, 300.0, n_blocks=x, max_lag=0.05)),
    ("GreenKuboConductivity(volume)", "volume",
     lambda x: mdae.GreenKuboConductivity(S(), IONS, 300.0, **_GK, volume=x)),
    ("GreenKuboConductivity(charges)", "charges",
     lambda x: mdae.GreenKuboConductivity(S(), IONS, 300.0, **_GK,
                                          charges={"Li": x, "AN": -1.0})),
    ("EinsteinHelfandConductivity(temperature)", "temperature",
     lambda x: mdae.EinsteinHelfandConductivity(S(), IONS, x, n_blocks=2)),
    ("EinsteinHelfandConductivity(fit_window[0])", "fit_window",
     lambda x: mdae.EinsteinHelfandConductivity(S(), IONS, 300.0, n_blocks=2,
                                                fit_window=(x, 0.3))),
    ("EinsteinHelfandConductivity(fit_window[1])", "fit_window",
     lambda x: mdae.EinsteinHelfandConductivity(S(), IONS, 300.0, n_blocks=2,
                                                fit_window=(0.1, x))),
    ("EinsteinHelfandConductivity(fit_window_ps[1])", "fit_window_ps",
     lambda x: mdae.EinsteinHelfandConductivity(S(), IONS, 300.0, n_blocks=2,
                                                fit_window_ps=(0.01, x))),
    ("EinsteinHelfandConductivity(n_blocks)", "n_blocks",
     lambda x: mdae.EinsteinHelfandConductivity(S(), IONS, 300.0, n_blocks=x)),
    ("EinsteinHelfandConductivity(volume)", "volume",
     lambda x: mdae.EinsteinHelfandConductivity(S(), IONS, 300.0, n_blocks=2, volume=x)),
    ("OnsagerCoefficients(temperature)", "temperature",
     lambda x: mdae.OnsagerCoefficients(S(), IONS, x, n_blocks=2)),
    ("OnsagerCoefficients(fit_window[0])", "fit_window",
     lambda x: mdae.OnsagerCoefficients(S(), IONS, 300.0, n_blocks=2, fit_window=(x, 0.3))),
    ("OnsagerCoefficients(fit_window[1])", "fit_window",
     lambda x: mdae.OnsagerCoefficients(S(), IONS, 300.0, n_blocks=2, fit_window=(0.1, x))),
    ("OnsagerCoefficients(max_lag)", "max_lag",
     lambda x: mdae.OnsagerCoefficients(S(), IONS, 300.0, n_blocks=2, method="green-kubo",
                                        max_lag=x)),
    ("OnsagerCoefficients(n_blocks)", "n_blocks",
     lambda x: mdae.OnsagerCoefficients(S(), IONS, 300.0, n_blocks=x)),
    ("OnsagerCoefficients(volume)", "volume",
     lambda x: mdae.OnsagerCoefficients(S(), IONS, 300.0, n_blocks=2, volume=x)),
    ("OnsagerCoefficients(charges)", "charges",
     lambda x: mdae.OnsagerCoefficients(S(), IONS, 300.0, n_blocks=2,
                                        charges={"Li": x, "AN": -1.0})),
    ("GreenKuboViscosity(temperature)", "temperature",
     lambda x: mdae.GreenKuboViscosity(_tensor(), **{**_VISC, "temperature": x}, n_blocks=2,
                                       max_lag=0.3)),
    ("GreenKuboViscosity(volume)", "volume",
     lambda x: mdae.GreenKuboViscosity(_tensor(), **{**_VISC, "volume": x}, n_blocks=2,
                                       max_lag=0.3)),
    ("GreenKuboViscosity(dt)", "dt",
     lambda x: mdae.GreenKuboViscosity(_tensor(), **{**_VISC, "dt": x}, n_blocks=2,
                                       max_lag=0.3)),
    ("GreenKuboViscosity(max_lag)", "max_lag",
     lambda x: mdae.GreenKuboViscosity(_tensor(), **_VISC, n_blocks=2, max_lag=x)),
    ("GreenKuboViscosity(n_blocks)", "n_blocks",
     lambda x: mdae.GreenKuboViscosity(_tensor(), **_VISC, n_blocks=x, max_lag=0.3)),
    ("GreenKuboViscosity(plateau[1])", "plateau",
     lambda x: mdae.GreenKuboViscosity(_tensor(), **_VISC, n_blocks=2, max_lag=0.3,
                                       plateau=(0.0, x))),
    ("EinsteinHelfandViscosity(fit_window[0])", "fit_window",
     lambda x: mdae.EinsteinHelfandViscosity(_tensor(), **_VISC, n_blocks=2,
                                             fit_window=(x, 0.3))),
    ("EinsteinHelfandViscosity(fit_window[1])", "fit_window",
     lambda x: mdae.EinsteinHelfandViscosity(_tensor(), **_VISC, n_blocks=2,
                                             fit_window=(0.1, x))),
    ("EinsteinHelfandViscosity(n_blocks)", "n_blocks",
     lambda x: mdae.EinsteinHelfandViscosity(_tensor(), **_VISC, n_blocks=x)),
    ("EinsteinHelfandViscosity(dt)", "dt",
     lambda x: mdae.EinsteinHelfandViscosity(_tensor(), **{**_VISC, "dt": x}, n_blocks=2)),
    ("NernstEinstein(temperature)", "temperature",
     lambda x: mdae.NernstEinstein(**{**_NE, "temperature": x})),
    ("NernstEinstein(volume)", "volume", lambda x: mdae.NernstEinstein(**{**_NE, "volume": x})),
    ("NernstEinstein(diffusivities)", "diffusivit(y|ies)",
     lambda x: mdae.NernstEinstein(**{**_NE, "diffusivities": {"Li": x, "AN": 0.1}})),
    ("NernstEinstein(diffusivity_errors)", "diffusivity_errors",
     lambda x: mdae.NernstEinstein(**{**_NE, "diffusivity_errors": {"Li": x, "AN": 0.01}})),
    ("NernstEinstein(n_ions)", "n_ions",
     lambda x: mdae.NernstEinstein(**{**_NE, "n_ions": {"Li": x, "AN": 8}})),
    ("NernstEinstein(charges)", "charge",
     lambda x: mdae.NernstEinstein(**{**_NE, "charges": {"Li": x, "AN": -1.0}})),
    ("NernstEinstein(conductivity value)", "conductivity",
     lambda x: mdae.NernstEinstein(**_NE, conductivity=(x, 0.1))),
    ("NernstEinstein(conductivity error)", "conductivity",
     lambda x: mdae.NernstEinstein(**_NE, conductivity=(2.0, x))),
    ("IonCollector(ion_velocity_budget)", "ion_velocity_budget",
     lambda x: IonCollector(S(), IONS, ion_velocity_budget=x)),
    ("IonCollector(max_ion_frames)", "max_ion_frames",
     lambda x: IonCollector(S(), IONS, max_ion_frames=x)),
    ("IonCollector(n_universes)", "n_universes", lambda x: IonCollector(S(), IONS, n_universes=x)),
    ("IonCollector(charges)", "charges",
     lambda x: IonCollector(S(), IONS, charges={"Li": x, "AN": -1.0})),
    ("SolvationShells(cutoffs)", "cutoff", lambda x: _shells(L(), cutoffs={"AN": x, "SOL": 2.5})),
    ("SolvationShells(rdf_range[0])", "rdf_range", lambda x: _shells(L(), rdf_range=(x, 5.0))),
    ("SolvationShells(rdf_range[1])", "rdf_range", lambda x: _shells(L(), rdf_range=(0.0, x))),
    ("SolvationShells(rdf_nbins)", "rdf_nbins", lambda x: _shells(L(), rdf_nbins=x)),
    ("SolvationShells(angle_bins)", "angle_bins", lambda x: _shells(L(), angle_bins=x)),
    ("SolvationShells(rdf_smoothing)", "rdf_smoothing", lambda x: _shells(L(), rdf_smoothing=x)),
    ("SolvationShells(max_cutoff)", "max_cutoff", lambda x: _shells(L(), max_cutoff=x)),
    ("RigidVolumeScan(scales)", "scales",
     lambda x: mdae.RigidVolumeScan(_molecular_frames(1), M(), scales=[1.0, x])),
    ("RigidVolumeScan(vacuum)", "vacuum",
     lambda x: mdae.RigidVolumeScan(_molecular_frames(1), M(), scales=[1.0], vacuum=x)),
    ("report_frames(max_frames)", "max_frames", lambda x: volume_scan.report_frames(5, x)),
    ("check_report_frames(max_frames)", "max_frames",
     lambda x: volume_scan.check_report_frames(mdae.from_ase(_molecular_frames(2)),
                                               max_frames=x)),
    ("check_report_frames(scales)", "scales",
     lambda x: volume_scan.check_report_frames(mdae.from_ase(_molecular_frames(2)),
                                               scales=[1.0, x])),
    ("IntraInterErrors(vacuum)", "vacuum",
     lambda x: mdae.IntraInterErrors(_molecular_frames(1), M(), M(k=22.0), vacuum=x)),
    ("diagnose(max_scan_frames)", "max_scan_frames",
     lambda x: diagnose(_molecular_frames(2), M(), _OUT[0], max_scan_frames=x, scales=[1.0])),
    ("diagnose(max_error_frames)", "max_error_frames",
     lambda x: diagnose(_molecular_frames(2), M(), _OUT[0], max_error_frames=x, scales=[1.0])),
    ("diagnose(scales)", "scales",
     lambda x: diagnose(_molecular_frames(2), M(), _OUT[0], scales=[1.0, x])),
    ("diagnose(vacuum)", "vacuum",
     lambda x: diagnose(_molecular_frames(2), M(), _OUT[0], scales=[1.0], vacuum=x)),
    ("check_reference_frames(tolerance)", "tolerance",
     lambda x: check_reference_frames(_molecular_frames(1), _molecular_frames(1), tolerance=x)),
    ("IsolatedMoleculeEvaluator(decimals)", "decimals",
     lambda x: IsolatedMoleculeEvaluator(M(), decimals=x)),
    ("error_estimates(component_axes)", "component_axes",
     lambda x: error_estimates(np.ones((5, 3)), np.ones((5, 3)) + 0.1, "eV/Å",
                               component_axes=x)),
    ("covalent_bonds(mult)", "mult",
     lambda x: molecules.covalent_bonds(_molecular_frames(1)[0], mult=x)),
    ("bond_reach(mult)", "mult", lambda x: molecules.bond_reach(x)),
    ("atoms_molecule_ids(mult)", "mult",
     lambda x: molecules.atoms_molecule_ids(_molecular_frames(1)[0], mult=x)),
    ("check_sampling(dt)", "dt",
     lambda x: correlation.check_sampling(np.exp(-np.arange(20.0) / 5), x)),
    ("check_sampling(threshold)", "threshold",
     lambda x: correlation.check_sampling(np.exp(-np.arange(20.0) / 5), 0.01, threshold=x)),
    ("plateau_verdict(n_sigma)", "n_sigma",
     lambda x: correlation.plateau_verdict(np.arange(10.0), np.ones((3, 10)), slice(2, 8),
                                           n_sigma=x)),
    ("time_correlation(n_lags)", "n_lags",
     lambda x: correlation.time_correlation(np.ones((20, 3)), n_lags=x)),
    ("mean_squared_displacement(n_lags)", "n_lags",
     lambda x: correlation.mean_squared_displacement(np.ones((20, 3)), n_lags=x)),
    ("check_fit_window(fit_window[0])", "fit_window",
     lambda x: correlation.check_fit_window((x, 0.5), None)),
    ("check_fit_window(fit_window_ps[1])", "fit_window_ps",
     lambda x: correlation.check_fit_window(None, (0.1, x))),
    ("check_window(top)", "top", lambda x: correlation.check_window("w", (0.1, 0.5), top=x)),
    ("Estimate(value)", "value", lambda x: Estimate(x, 0.1, "S/m", "m")),
    ("Estimate(stderr)", "stderr", lambda x: Estimate(1.0, x, "S/m", "m")),
    ("Estimate(n_samples)", "n_samples", lambda x: Estimate(1.0, 0.1, "S/m", "m", n_samples=x)),
    ("Estimate(dof)", "dof", lambda x: Estimate(1.0, 0.1, "S/m", "m", dof=x)),
    ("replica_property(n_samples)", "n_samples",
     lambda x: replica_property(1.0, 0.1, "S/m", n_samples=x)),
    ("Species(charge)", "charge", lambda x: Species("X", "[Li+]", charge=x)),
    ("composition_counts(concentration)", "concentration",
     lambda x: build.composition_counts({"EC": 1.0}, "LiPF6", x, n_atoms=300)),
    ("packed_composition(concentration)", "concentration",
     lambda x: build.packed_composition({"EC": 10, "Li": 1, "PF6": 1}, {"EC": 1.0}, "LiPF6", x)),
    ("composition_counts(n_atoms)", "n_atoms",
     lambda x: build.composition_counts({"EC": 1.0}, "LiPF6", 1.0, n_atoms=x)),
    ("composition_counts(density)", "density",
     lambda x: build.composition_counts({"EC": 1.0}, "LiPF6", 1.0, units="molar", n_atoms=300,
                                        density=x)),
    ("composition_counts(solvent share)", "solvent",
     lambda x: build.composition_counts({"EC": x, "DMC": 1.0}, "LiPF6", 1.0, n_atoms=300)),
    ("estimate_density(counts)", "count|at least one solvent molecule",
     lambda x: build.estimate_density({"EC": x})),
    ("conformer(seed)", "seed", lambda x: build.conformer("EC", seed=x, n_conformers=1)),
    ("conformer(n_conformers)", "n_conformers", lambda x: build.conformer("EC", n_conformers=x)),
    ("electrolyte_box(tolerance)", "tolerance", lambda x: _box(tolerance=x)),
    ("electrolyte_box(packmol_timeout)", "packmol_timeout", lambda x: _box(packmol_timeout=x)),
    ("electrolyte_box(packmol_nloop)", "packmol_nloop", lambda x: _box(packmol_nloop=x)),
    ("electrolyte_box(density)", "density", lambda x: _box(density=x)),
    ("electrolyte_box(counts)", "count", lambda x: build.electrolyte_box(counts={"EC": x})),
    ("electrolyte_box(temperature_K)", "temperature_K", lambda x: _box(temperature_K=x)),
    ("conformer_ensemble(seed)", "seed",
     lambda x: build.conformer_ensemble("DMC", seed=x, n_conformers=1)),
    ("conformer_ensemble(n_conformers)", "n_conformers",
     lambda x: build.conformer_ensemble("DMC", n_conformers=x)),
    ("conformer_ensemble(temperature_K)", "temperature_K",
     lambda x: build.conformer_ensemble("DMC", temperature_K=x)),
]
_OUT = [None]

# values that are legitimate, with the reason; each must give a result without NaN (but for
# the NaN errors of Estimates that say why they are not valid)
ALLOWED = {
    ("Diffusion(fit_window[0])", 0): "a fit window may start at lag 0",
    ("Diffusion(fit_window_ps[0])", 0): "a fit window may start at lag 0",
    ("EinsteinHelfandConductivity(fit_window[0])", 0): "a fit window may start at lag 0",
    ("OnsagerCoefficients(fit_window[0])", 0): "a fit window may start at lag 0",
    ("EinsteinHelfandViscosity(fit_window[0])", 0): "a fit window may start at lag 0",
    ("GreenKuboConductivity(plateau[0])", 0): "a plateau window may start at lag 0",
    ("check_fit_window(fit_window[0])", 0): "a fit window may start at lag 0",
    ("Diffusion(charges)", -1): "D uses no charges; a charge only labels the species",
    ("Diffusion(charges)", 0): "D uses no charges; an uncharged species has a D",
    ("IonCollector(charges)", -1): "a collector without require_charges keeps any charge",
    ("IonCollector(charges)", 0): "a collector without require_charges keeps any charge",
    ("NernstEinstein(charges)", -1): "each species' term goes with q²; other species may "
                                     "neutralise",
    ("NernstEinstein(diffusivities)", -1): "a negative D of a nearly frozen ion is noise about "
                                           "zero: a term marked not valid",
    ("NernstEinstein(diffusivities)", 0): "a frozen species adds nothing",
    ("NernstEinstein(diffusivity_errors)", 0): "a D given exactly",
    ("NernstEinstein(conductivity value)", -1): "a noisy σ: α_d marked not valid",
    ("NernstEinstein(conductivity value)", 0): "a noisy σ: α_d marked not valid",
    ("NernstEinstein(conductivity error)", 0): "a σ given exactly",
    ("IonCollector(ion_velocity_budget)", 0): "0 bytes: no per-ion velocities are kept",
    ("IonCollector(ion_velocity_budget)", 1e308): "a ceiling: larger than needed is no limit",
    ("IonCollector(max_ion_frames)", 1e308): "a ceiling: larger than the run is no limit",
    ("IonCollector(n_universes)", 1e308): "only decides whether AtomGroups are accepted",
    ("SolvationShells(rdf_range[0])", 0): "the RDF starts at r = 0 by default",
    ("diagnose(max_scan_frames)", 1e308): "a ceiling: larger than the run is no limit",
    ("diagnose(max_error_frames)", 1e308): "a ceiling: larger than the run is no limit",
    ("report_frames(max_frames)", 1e308): "a ceiling: larger than the run is no limit",
    ("check_report_frames(max_frames)", 1e308): "a ceiling: larger than the run is no limit",
    ("check_reference_frames(tolerance)", 0): "labels of exactly these positions",
    ("error_estimates(component_axes)", 0): "the default: no component axis",
    ("EinsteinHelfandConductivity(fit_window_ps[1])", 1e308): "a ps window ending beyond the "
                                                              "run ends at its last lag",
    ("Diffusion(fit_window_ps[1])", 1e308): "a ps window ending beyond the run (one segment "
                                            "by default) ends at its last lag",
    ("check_fit_window(fit_window_ps[1])", 1e308): "ps windows end anywhere: checked against "
                                                   "the run (Diffusion(fit_window_ps[1]))",
    ("check_window(top)", math.inf): "no ceiling",
    ("check_window(top)", 1e308): "no ceiling",
    ("Estimate(value)", -1): "a measured number may be negative",
    ("Estimate(value)", 0): "a measured number may be zero",
    ("Estimate(value)", 1e308): "a large number in some unit",
    ("Estimate(stderr)", 0): "an exact number",
    ("Estimate(stderr)", 1e308): "a large error in some unit",
    ("Estimate(n_samples)", 0): "the default: not counted",
    ("Estimate(n_samples)", 1e308): "a count only shown",
    ("Estimate(dof)", 1e308): "t(1e308) is the normal distribution",
    ("replica_property(n_samples)", 0): "the default: not counted",
    ("replica_property(n_samples)", 1e308): "a count only shown",
    ("conformer(seed)", 0): "RDKit seeds from 0",
    ("conformer_ensemble(seed)", 0): "RDKit seeds from 0",
}

IDS = [c[0] for c in CASES]


def _finite_numbers(obj, path="result"):
    """Paths of NaN/inf numbers in ``obj``, but for the errors of Estimates marked not valid."""
    if isinstance(obj, Estimate):
        bad = [] if math.isfinite(obj.value) else [f"{path}.value"]
        if not math.isfinite(obj.stderr) and obj.valid:
            bad.append(f"{path}.stderr")
        return bad
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _finite_numbers(v, f"{path}[{k!r}]")]
    if isinstance(obj, (list, tuple)):
        return [p for k, v in enumerate(obj) for p in _finite_numbers(v, f"{path}[{k}]")]
    if isinstance(obj, (float, np.floating)) and not math.isfinite(obj):
        return [path]
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "f" and not np.all(np.isfinite(obj)):
        return [path]
    return []


# NaN entries the analyses report by design, independent of the value tried: the shells' RDF
# is NaN below its first pair (g(r) of an empty shell of volume ~0 is undefined)
_RESULT_KEYS_SKIPPED = {"rdf", "rdfs", "type_rdfs", "g", "angle_distributions", "angles"}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("value", BAD, ids=repr)
@pytest.mark.parametrize("case,name,make", CASES, ids=IDS)
def test_a_bad_number_is_refused_by_name_before_work_or_gives_a_finite_result(
        case, name, make, value, tmp_path):
    _OUT[0] = tmp_path / "diagnose"
    READS.clear()
    reason = ALLOWED.get((case, value))
    if reason is None:
        with pytest.raises((ValueError, TypeError)) as err:
            obj = make(value)
            if hasattr(obj, "run") and not getattr(obj, "results", None):
                obj.run()
        assert re.search(name, str(err.value)), f"{case} = {value!r}: {err.value}"
        assert not READS, f"{case} = {value!r}: refused after {len(READS)} frames/evaluations"
        return
    obj = make(value)
    if hasattr(obj, "run") and not getattr(obj, "results", None):
        obj.run()
    res = getattr(obj, "results", obj)
    if isinstance(res, dict):
        res = {k: v for k, v in res.items() if k not in _RESULT_KEYS_SKIPPED}
    assert not _finite_numbers(res), f"{case} = {value!r} ({reason})"


# --- (min, max) windows: reversed and equal bounds --------------------------------------------

WINDOWS = [
    ("Diffusion(fit_window)", "fit_window",
     lambda w: mdae.Diffusion(S(), IONS, fit_window=w), (0.1, 0.6)),
    ("Diffusion(fit_window_ps)", "fit_window_ps",
     lambda w: mdae.Diffusion(S(), IONS, fit_window_ps=w), (0.05, 0.3)),
    ("EinsteinHelfandConductivity(fit_window)", "fit_window",
     lambda w: mdae.EinsteinHelfandConductivity(S(), IONS, 300.0, n_blocks=2, fit_window=w),
     (0.1, 0.3)),
    ("OnsagerCoefficients(fit_window)", "fit_window",
     lambda w: mdae.OnsagerCoefficients(S(), IONS, 300.0, n_blocks=2, fit_window=w), (0.1, 0.3)),
    ("GreenKuboConductivity(plateau)", "plateau",
     lambda w: mdae.GreenKuboConductivity(S(), IONS, 300.0, **_GK, plateau=w), (0.01, 0.04)),
    ("EinsteinHelfandViscosity(fit_window)", "fit_window",
     lambda w: mdae.EinsteinHelfandViscosity(_tensor(), **_VISC, n_blocks=2, fit_window=w),
     (0.1, 0.3)),
    ("GreenKuboViscosity(plateau)", "plateau",
     lambda w: mdae.GreenKuboViscosity(_tensor(), **_VISC, n_blocks=2, max_lag=0.3, plateau=w),
     (0.05, 0.2)),
    ("SolvationShells(rdf_range)", "rdf_range", lambda w: _shells(L(), rdf_range=w), (1.0, 5.0)),
    ("check_fit_window", "fit_window", lambda w: correlation.check_fit_window(w, None),
     (0.1, 0.3)),
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("kind", ["reversed", "equal"])
@pytest.mark.parametrize("case,name,make,window", WINDOWS, ids=[w[0] for w in WINDOWS])
def test_a_reversed_or_empty_window_is_refused_by_name_before_reading(case, name, make, window,
                                                                      kind):
    lo, hi = window
    bad = (hi, lo) if kind == "reversed" else (lo, lo)
    READS.clear()
    with pytest.raises(ValueError) as err:
        obj = make(bad)
        if hasattr(obj, "run") and not getattr(obj, "results", None):
            obj.run()
    assert name in str(err.value), f"{case} = {bad}: {err.value}"
    assert not READS, f"{case} = {bad}: refused after {len(READS)} frames"


# --- numbers: the values just inside the new ceilings still work -----------------------------


def test_the_physical_ceilings_are_those_of_md_and_a_hot_large_system_still_computes():
    from ase_electrolyte.md import MAX_TEMPERATURE_K
    from mda_electrolyte import carriers

    assert carriers.MAX_TEMPERATURE_K == MAX_TEMPERATURE_K
    cold = mdae.NernstEinstein(**_NE).results.conductivity
    hot = mdae.NernstEinstein(**{**_NE, "temperature": MAX_TEMPERATURE_K,
                                 "volume": carriers.MAX_VOLUME}).results.conductivity
    # σ_NE ∝ 1/(V T): the ceilings keep the number finite and exact
    assert hot.value == pytest.approx(cold.value * 300.0 * 8000.0
                                      / (MAX_TEMPERATURE_K * carriers.MAX_VOLUME), rel=1e-12)
    assert hot.value > 0
    # the few ions of _NE in 1e24 Å³ are no electrolyte (carriers.MIN_ION_CONCENTRATION), and
    # 1e5 K is no liquid's temperature (units.implausible_doubts, 4e882fb): the two doubts of
    # the number
    assert not cold.notes and len(hot.notes) == 2
    assert sum(n.startswith("dilute beyond an electrolyte") for n in hot.notes) == 1
    assert sum(n.startswith("unit doubted: the temperature") for n in hot.notes) == 1


def test_a_max_lag_beyond_any_run_is_named_with_the_frames_it_would_need():
    # was OverflowError: cannot convert float infinity to integer
    with pytest.raises(ValueError, match=r"max_lag = 1e\+308 ps needs segments of more than "
                                         r"4611686018427387904 frames"):
        mdae.GreenKuboConductivity(_salt(), IONS, 300.0, n_blocks=2, max_lag=1e308).run()
    assert correlation.lag_count(0.3, 0.01) == 31


def test_bond_scale_changes_the_molecules_found():
    # the scale is used, not only checked: at 0.3 the O–H reach (0.29 Å of radii and ASE's
    # 0.3 Å neighbour-list skin) is shorter than water's 0.97 Å bond: every atom its own molecule
    atoms = _molecular_frames(1)[0]
    del atoms.arrays["molecule_index"]
    assert molecules.atoms_molecule_ids(atoms).max() == 3  # four molecules
    ids = molecules.atoms_molecule_ids(atoms, mult=0.3)
    assert ids.tolist() == list(range(len(atoms)))


# --- every numeric parameter of this area is tried ---------------------------------------------

MODULES = [
    "mda_electrolyte.diffusion", "mda_electrolyte.conductivity", "mda_electrolyte.viscosity",
    "mda_electrolyte.onsager", "mda_electrolyte.carriers", "mda_electrolyte.ion_collection",
    "mda_electrolyte.correlation", "mda_electrolyte.solvation", "mda_electrolyte.volume_scan",
    "mda_electrolyte.intra_inter_errors", "mda_electrolyte.molecules",
    "mda_electrolyte.model_labels", "mda_electrolyte.error_metrics", "mda_electrolyte.diagnose",
    "mda_electrolyte.shell_table", "ase_electrolyte.build", "ase_electrolyte.species",
    "ase_electrolyte.estimate", "ase_electrolyte.screen.plan", "ase_electrolyte.screen.engine",
    "ase_electrolyte.screen.properties",
]

# numeric parameters not tried above, with the reason
NOT_HERE = {
    "IonCollection.volume_spread": "tried in test_shell47_ion_collection_inputs",
    "IonCollection.ion_stride": "tried in test_shell47_ion_collection_inputs",
    "IonCollection.ion_offset": "tried in test_shell47_ion_collection_inputs",
    "StoredMoleculeLabels.tol": "needs labelled isolated molecules; its geometry match is tried "
                                "in test_intra_inter_errors",
    "electrolyte_box.concentration": "tried through composition_counts, which it calls first",
    "electrolyte_box.n_atoms": "tried through composition_counts, which it calls first",
    "electrolyte_box.seed": "tried through conformer (an allowed seed would run PACKMOL)",
    "ShellLayout.n_anion_molecules": "a record built by SolvationShells from the topology",
    "ShellLayout.n_oxygens": "a record built by SolvationShells from the topology",
    "ShellTable.radius": "a record built by SolvationShells from rdf_range",
    "Plan.seed": "a record of load_plan, whose checks test_screen_plan_faults tries",
    "Plan.replicas": "a record of load_plan, whose checks test_screen_plan_faults tries",
    "Plan.n_atoms": "a record of load_plan, whose checks test_screen_plan_faults tries",
    "Plan.task_timeout_s": "a record of load_plan, whose checks test_screen_timeout tries",
    "Plan.density": "a record of load_plan, whose checks test_screen_plan_faults tries",
    "Composition.concentration": "a record of load_plan (test_screen_plan_faults)",
    "Task.temperature_K": "a record of load_plan (test_screen_plan_faults)",
    "Task.replica": "a record of load_plan (test_screen_plan_faults)",
    "Task.seed": "a record of load_plan (test_screen_plan_faults)",
    "ScreenResult.n_tasks": "a result record, not an input",
    "ScreenResult.n_skipped": "a result record, not an input",
    "ScreenResult.n_done": "a result record, not an input",
    "ScreenResult.n_failed": "a result record, not an input",
    "ScreenResult.wall_s": "a result record, not an input",
    "run_screen.poll_s": "needs a Dask client; test_engine_inputs tries it",
    "resolve_species.n_universes": "tried through IonCollector(n_universes)",
    "shell_results.angle_bins": "tried through SolvationShells(angle_bins), the same check",
    "replicate_box.seed": "tried in test_screen55_replicate_momenta (bad seeds refused)",
}


def test_every_numeric_parameter_is_covered():
    tried = {c.split("(")[0] + "." + c.split("(")[1].split(")")[0].split("[")[0].split(" ")[0]
             for c in IDS + [w[0] for w in WINDOWS] if "(" in c}
    missing = [p for p in numeric_parameters(MODULES, defined_in_module=True)
               if p not in tried and p not in NOT_HERE]
    assert not missing, f"numeric parameters neither tried nor listed in NOT_HERE: {missing}"


def test_the_catalogue_is_consistent():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert all(case in IDS for case, _ in ALLOWED)
        assert len(set(IDS)) == len(IDS)
