"""Grimme's DFT-D3 dispersion correction: C++/CUDA kernels behind an ASE calculator."""

from .calculator import D3, InhomogeneousTailWarning
from .parameters import known_dampings, known_functionals

__all__ = ["D3", "InhomogeneousTailWarning", "known_dampings", "known_functionals"]
