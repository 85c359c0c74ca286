"""Pretrained machine-learning interatomic potentials for liquid electrolytes, as ASE calculators.

Public API
----------
Calculator
    An MLIP (SevenNet, CHGNet, MACE, NequIP/Allegro, GAP) as one ASE calculator, optionally with
    DFT-D3 dispersion summed in.
list_models
    The registered model names and whether their backend package is installed.
D3
    Grimme's DFT-D3 dispersion correction (C++/CUDA core) as an ASE calculator.
electrolyte_box
    An electrolyte box (solvents + salt) from a composition.
finetune
    Fine-tune a SevenNet model on labelled frames through sevenn's trainer
    (``Calculator([...])`` of several models is a committee with an uncertainty).
Electrostatics
    Explicit Coulomb term (QRd, fixed or per-atom charges; Ewald/PME via torch-pme) as an ASE
    calculator, also summed into ``Calculator(..., electrostatics=...)``.
UnreadChargesWarning
    Warned when an Atoms' ``initial_charges`` sum to a net charge that no term reads (neither
    the charges used nor the declared ``atoms.info["charge"]``/``formal_charge`` sum).
fit_qrd
    Fit the QRd charge parameters (b, s) per element to reference labels minus a model.

Heavy dependencies (torch, the MLIP packages, the compiled D3 core) are imported on first use.
"""

from importlib import import_module

__version__ = "0.1.0"

_LAZY = {
    "Calculator": "ase_electrolyte.calculator",
    "list_models": "ase_electrolyte.models",
    "D3": "ase_electrolyte.d3",
    "electrolyte_box": "ase_electrolyte.build",
    "finetune": "ase_electrolyte.finetuning",
    "Electrostatics": "ase_electrolyte.electrostatics",
    "fit_qrd": "ase_electrolyte.electrostatics",
    "UnreadChargesWarning": "ase_electrolyte.electrostatics",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ase_electrolyte' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
