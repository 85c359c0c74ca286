"""Sphinx config: API reference from numpydoc docstrings, warnings are errors (tox -e docs)."""

project = "ase-electrolyte"
author = "ase-electrolyte developers"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_member_order = "bysource"
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False

# docstring examples use the names of their own module, as `pytest --doctest-modules` runs them
doctest_global_setup = """
import matplotlib
matplotlib.use("Agg")
from ase_electrolyte import *  # noqa: F401,F403
from mda_electrolyte import *  # noqa: F401,F403
from ase_electrolyte.trajectory import H5MDWriter, h5md_info  # noqa: F401
from ase_electrolyte.build import estimate_density  # noqa: F401
from ase_electrolyte.html_report import write_html_report  # noqa: F401
from ase_electrolyte.committee import committee_spread  # noqa: F401
from ase_electrolyte.atoms_checks import check_number  # noqa: F401
from ase_electrolyte.species import parse_shares  # noqa: F401
from ase_electrolyte.md import (  # noqa: F401
    atoms_temperature, atoms_temperature_dof, temperature_dof, velocity_temperature)
from mda_electrolyte.model_labels import stress_label_bound  # noqa: F401
import numpy as np  # noqa: F401
"""
