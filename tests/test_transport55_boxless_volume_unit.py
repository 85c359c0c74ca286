"""A volume given for frames without a box is judged by the density of the Universe's atoms.

Without a box (an XYZ or DCD trajectory written without cells) ``volume=`` is the only
volume, and its one check was the ions' concentration (at most 300 mol/L): a dilute
electrolyte passes it a thousand times too concentrated. 16 ions among 4000 solvent molecules
(0.1 mol/L, 1 g/cm³) with ``volume=120`` (a 120 nm³ box given in nm³) gave σ = 2983 S/m,
"valid". The Universe's atoms and their masses are known: the given volume puts them at
1000 g/cm³, denser than any liquid (implausible_doubts: at most 5 g/cm³).
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandConductivity, NernstEinstein, OnsagerCoefficients

COUNTS = {"LI": 8, "CL": 8, "SOL": 4000}
MASS = {"LI": 6.94, "CL": 35.45, "SOL": 18.0}
CHARGE = {"LI": 1.0, "CL": -1.0, "SOL": 0.0}
IONS = {"LI": "resname LI", "CL": "resname CL"}
DT, T = 0.05, 300.0


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(55)
    names = [n for n, k in COUNTS.items() for _ in range(k)]
    n = len(names)
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("names", names)
    u.add_TopologyAttr("resnames", names)
    u.add_TopologyAttr("masses", [MASS[x] for x in names])
    u.add_TopologyAttr("formalcharges", [CHARGE[x] for x in names])
    # the solvent stands still: only the ions are read
    v = np.zeros((600, n, 3))
    v[:, :16] = ornstein_uhlenbeck(rng, 600, (16, 3), 0.1, DT, 2.0)
    u.load_new(integrate(v, DT, rng.uniform(0, 49, (n, 3))).astype(np.float32),
               format=MemoryReader, dt=DT)
    assert u.dimensions is None
    return u


@pytest.fixture(scope="module")
def volume(universe):
    # the box of these atoms at 1 g/cm³ (1 g/cm³ = 0.60221 amu/Å³)
    return float(universe.atoms.masses.sum()) / 0.6022140762


def _conductivity(universe, volume):
    return EinsteinHelfandConductivity(universe, IONS, temperature=T,
                                       volume=volume).run().results.conductivity


def _onsager(universe, volume):
    return OnsagerCoefficients(universe, IONS, temperature=T,
                               volume=volume).run().results.conductivity


def _nernst_einstein(universe, volume):
    from mda_electrolyte.ion_collection import IonCollector

    col = IonCollector(universe, IONS).run().collection
    return NernstEinstein.from_collections(col, temperature=T,
                                           volume=volume).results.conductivity


ANALYSES = pytest.mark.parametrize("analysis", [_conductivity, _onsager, _nernst_einstein],
                                   ids=["Einstein-Helfand", "Onsager", "Nernst-Einstein"])


def _pair(analysis, universe, volume, factor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analysis(universe, volume), analysis(universe, volume * factor)


@ANALYSES
@pytest.mark.parametrize("factor", [1e-3, 0.1], ids=["nm3 read as Å3", "10 times smaller"])
def test_a_boxless_volume_too_small_for_its_atoms_is_not_a_result(universe, volume, analysis,
                                                                   factor):
    right, slipped = _pair(analysis, universe, volume, factor)
    assert not any("g/cm³" in n for n in right.notes), right
    assert not slipped.valid
    density = f"{1.0 / factor:.3g} g/cm³"
    assert any(density in n and "another unit" in n for n in slipped.notes), slipped.notes


@ANALYSES
def test_a_thinner_volume_is_taken(universe, volume, analysis):
    # a trajectory of some atoms only (ions without their solvent) is thinner than its liquid:
    # only the dense side is doubted
    _, thin = _pair(analysis, universe, volume, 1e3)
    assert not any("g/cm³" in n for n in thin.notes), thin.notes
