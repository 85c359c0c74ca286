"""MDAnalysis analyses for liquid electrolytes.

Public API
----------
from_ase
    A Universe from ASE Atoms, an ASE trajectory, our H5MD files or LAMMPS data + dump, with
    molecules, species and formal charges.
IntraInterRDF
    Intra- and intermolecular partial RDFs of many pairs in one pass.
SolvationShells
    Cation solvation shells, SSIP/CIP/AGG classes and Ju et al. (2025) labels.
IonCollector, IonCollection
    One pass over a trajectory into the per-frame ion data every transport estimator uses.
GreenKuboConductivity, EinsteinHelfandConductivity, Diffusion, NernstEinstein
    Transport coefficients (``from_collections`` estimates them from IonCollections).
GreenKuboViscosity, EinsteinHelfandViscosity, OnsagerCoefficients
    Shear viscosity and Onsager transport coefficients.
Density, EquationOfState, TaitCompressibility, ThermalExpansion
    Densities and equations of state.
RigidVolumeScan, IntraInterErrors
    MLIP diagnostics.
"""

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "from_ase": "mda_electrolyte.bridge",
    "IntraInterRDF": "mda_electrolyte.rdf",
    "SolvationShells": "mda_electrolyte.solvation",
    "IonCollector": "mda_electrolyte.ion_collection",
    "IonCollection": "mda_electrolyte.ion_collection",
    "GreenKuboConductivity": "mda_electrolyte.conductivity",
    "EinsteinHelfandConductivity": "mda_electrolyte.conductivity",
    "NernstEinstein": "mda_electrolyte.conductivity",
    "Diffusion": "mda_electrolyte.diffusion",
    "GreenKuboViscosity": "mda_electrolyte.viscosity",
    "EinsteinHelfandViscosity": "mda_electrolyte.viscosity",
    "OnsagerCoefficients": "mda_electrolyte.onsager",
    "Density": "mda_electrolyte.density",
    "EquationOfState": "mda_electrolyte.density",
    "TaitCompressibility": "mda_electrolyte.density",
    "ThermalExpansion": "mda_electrolyte.density",
    "RigidVolumeScan": "mda_electrolyte.volume_scan",
    "IntraInterErrors": "mda_electrolyte.intra_inter_errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mda_electrolyte' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
