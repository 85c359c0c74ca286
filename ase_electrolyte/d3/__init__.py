"""Grimme's DFT-D3 dispersion correction: C++/CUDA kernels behind an ASE calculator."""

from .calculator import D3
from .parameters import known_dampings, known_functionals

__all__ = ["D3", "known_dampings", "known_functionals"]
