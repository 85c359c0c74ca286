"""Grimme's DFT-D3 dispersion correction: C++/CUDA kernels behind an ASE calculator."""

from .calculator import D3, InhomogeneousTailWarning, TailShareWarning
from .parameters import known_dampings, known_functionals

__all__ = [
    "D3", "InhomogeneousTailWarning", "TailShareWarning", "known_dampings", "known_functionals"
]
