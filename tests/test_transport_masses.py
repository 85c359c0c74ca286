"""Masses of densities, ion centres and drift references: one check, virtual sites weigh nothing.

:func:`mda_electrolyte.molecules.check_masses` is the one check of masses. The density of a
Universe and the transport species (:func:`mda_electrolyte.carriers.atomgroup_masses`), the
per-ion masses of :meth:`IonCollection.from_arrays` and :func:`centers_of_mass` all go through
it. A massless site of no element (TIP4P's M) beside massive atoms is fine: before, the density
of a TIP4P Universe was refused ("needs every atom's mass: 1 of 16 atoms have none"). A mass of
0 on a real element (a GRO file's ``LI``) is refused with the atom types named, and a negative
per-ion mass, which moved the drift reference without a word, is refused.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from ase.data import atomic_masses
from MDAnalysis.coordinates.memory import MemoryReader

from ase_electrolyte.units import GCM3_TO_AMU_PER_A3
from mda_electrolyte import Density, Diffusion
from mda_electrolyte.ion_collection import IonCollection
from mda_electrolyte.molecules import MassElementWarning, centers_of_mass, check_masses

N_WATER, N_FRAMES, DT, BOX = 12, 400, 0.1, 15.0
M_O, M_H = float(atomic_masses[8]), float(atomic_masses[1])


def _tip4p(m_mass=0.0, seed=3, sites=4):
    """Rigid TIP4P-like waters (O, H, H, M) doing random walks in a fluctuating box (without
    the M site for ``sites=3``)."""
    rng = np.random.default_rng(seed)
    n = sites * N_WATER
    u = mda.Universe.empty(n, n_residues=N_WATER,
                           atom_resindex=np.repeat(np.arange(N_WATER), sites), trajectory=True)
    u.add_TopologyAttr("elements", ["O", "H", "H", ""][:sites] * N_WATER)
    u.add_TopologyAttr("types", ["OW", "HW", "HW", "MW"][:sites] * N_WATER)
    u.add_TopologyAttr("names", ["OW", "HW1", "HW2", "MW"][:sites] * N_WATER)
    u.add_TopologyAttr("resnames", ["SOL"] * N_WATER)
    u.add_TopologyAttr("masses", [M_O, M_H, M_H, m_mass][:sites] * N_WATER)
    shape = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0],
                      [0.1, 0.1, 0.0]])[:sites]
    centres = np.cumsum(rng.normal(0.0, 0.2, (N_FRAMES, N_WATER, 3)), axis=0)
    pos = (centres[:, :, None, :] + shape[None, None]).reshape(N_FRAMES, n, 3)
    lengths = BOX * (1 + 0.01 * rng.normal(size=N_FRAMES))
    dims = np.zeros((N_FRAMES, 6))
    dims[:, :3], dims[:, 3:] = lengths[:, None], 90.0
    u.load_new(pos.astype(np.float32), format=MemoryReader, dt=DT, dimensions=dims)
    return u, lengths


def test_density_of_a_tip4p_universe_counts_the_massive_atoms_only():
    u, lengths = _tip4p()
    with warnings.catch_warnings():
        warnings.simplefilter("error", MassElementWarning)  # the waters' masses are right
        r = Density(u, detect_equilibration=False).run().results
    exact = N_WATER * (M_O + 2 * M_H) / lengths**3 / GCM3_TO_AMU_PER_A3
    np.testing.assert_allclose(r.series, exact, rtol=1e-6)


def test_density_refuses_a_real_element_of_mass_zero_before_reading_frames():
    u, _ = _tip4p()
    masses = u.atoms.masses.copy()
    masses[0] = 0.0  # an oxygen the topology gave no mass
    u.add_TopologyAttr("masses", masses)
    u.trajectory[5]
    with pytest.raises(ValueError, match=r"density of a Universe: 1 of 48 atoms have no positive "
                                         r"mass \(masses \[0.0\] of atom types \['OW'\]"):
        Density(u)
    assert u.trajectory.frame == 5


@pytest.mark.parametrize("bad, match", [
    (-1.0, r"atom 3 has -1.0 amu"),
    (np.nan, r"atom 3 has nan amu"),
])
def test_density_refuses_negative_or_missing_masses_by_atom(bad, match):
    u, _ = _tip4p(m_mass=bad)
    with pytest.raises(ValueError, match=match):
        Density(u)


def test_density_names_masses_that_contradict_the_elements():
    # a molecule of known elements only is judged (one with a site of no element by its mass)
    u, _ = _tip4p(sites=3)
    masses = u.atoms.masses.copy()
    masses[1::3] = 3.0  # heavy hydrogen without repartitioning: each water 4 amu too heavy
    u.add_TopologyAttr("masses", masses)
    with pytest.warns(MassElementWarning, match="12 of 12 molecules"):
        r = Density(u, detect_equilibration=False).run().results
    # the density is that of the masses given
    assert r.series[0] * u.trajectory[0].volume * GCM3_TO_AMU_PER_A3 == pytest.approx(
        masses.sum(), rel=1e-5)


def test_diffusion_of_water_with_a_massless_site_is_that_of_its_real_atoms():
    u, _ = _tip4p()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with_m = Diffusion(u, {"W": "resname SOL"}, n_blocks=5, remove_drift=False).run()
        without = Diffusion(u, {"W": "resname SOL and not name MW"}, n_blocks=5,
                            remove_drift=False).run()
    a = with_m.results.diffusion_coefficient["W"]
    b = without.results.diffusion_coefficient["W"]
    assert a.value == pytest.approx(b.value, rel=1e-9)
    assert a.stderr == pytest.approx(b.stderr, rel=1e-9)
    # random walk of 0.2 Å per axis per frame: D = 3·0.04 / (6·0.1) Å²/ps
    assert abs(a.value - 0.2) < 4 * a.stderr + 0.02


def test_a_species_whose_real_atoms_have_no_mass_is_refused_with_their_types():
    u, _ = _tip4p()
    masses = u.atoms.masses.copy()
    masses[1::4] = 0.0
    u.add_TopologyAttr("masses", masses)
    with pytest.raises(ValueError, match=r"species 'W': 12 of 48 atoms have no positive mass "
                                         r"\(masses \[0.0\] of atom types \['HW'\]"):
        Diffusion(u, {"W": "resname SOL"})


def test_a_species_of_massless_sites_alone_has_no_centre():
    u, _ = _tip4p()
    with pytest.raises(ValueError, match="species 'M': molecule 0 has no mass"):
        Diffusion(u, {"M": "name MW"})


def _walk(n_ions=4, seed=1):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(0.0, 0.3, (300, n_ions, 3)), axis=0)


@pytest.mark.parametrize("masses, match", [
    ({"Li": 0.0}, r"masses\['Li'\] \(amu per ion\): molecule 0 has no mass"),
    ({"Li": [1.0, 0.0]}, r"masses\['Li'\] \(amu per ion\): molecule 1 has no mass"),
    ({"Li": -0.5}, r"masses\['Li'\] \(amu per ion\): atom 0 has -0.5 amu"),
    ({"AN": np.inf}, r"masses\['AN'\] \(amu per ion\): atom 0 has inf amu"),
    ({"Li": True}, r"masses\['Li'\] \(amu per ion\): masses must be real numbers"),
    ({"Li": "6.94"}, r"masses\['Li'\] \(amu per ion\): masses must be real numbers"),
    ({"Li": [1.0, 2.0, 3.0]}, r"masses\['Li'\] must be one mass or 2 \(one per ion\)"),
    ({"Na": 23.0}, r"masses names species \['Na'\]"),
])
def test_per_ion_masses_of_arrays_are_checked(masses, match):
    with pytest.raises(ValueError, match=match):
        IonCollection.from_arrays({"Li": 2, "AN": 2}, dt=DT, positions=_walk(), masses=masses)


def test_per_ion_masses_weigh_the_drift_reference():
    x = _walk()
    col = IonCollection.from_arrays({"Li": 2, "AN": 2}, dt=DT, positions=x,
                                    masses={"Li": 6.94, "AN": [100.0, 145.0]})
    w = np.array([6.94, 6.94, 100.0, 145.0])
    np.testing.assert_allclose(col.drift_weights(), w / w.sum())


@pytest.mark.parametrize("masses, match", [
    ([1.0, 1.0, 1.0], r"masses of shape \(3,\) for 4 atoms"),
    ([True, True, True, True], "masses must be real numbers"),
    (["1", "1", "1", "1"], "masses must be real numbers"),
    ([1.0, 1j, 1.0, 1.0], "masses must be real numbers"),
])
def test_centres_of_mass_refuse_masses_that_are_no_masses(masses, match):
    positions = np.arange(12.0).reshape(4, 3)
    with pytest.raises(ValueError, match=match):
        centers_of_mass(positions, masses, np.array([0, 0, 1, 1]))


def test_centres_of_mass_keep_the_caller_masses_and_are_mass_weighted():
    positions = np.arange(12.0).reshape(4, 3)
    masses = np.array([2.0, 0.0, 1.0, 3.0])
    before = masses.copy()
    com = centers_of_mass(positions, masses, np.array([0, 0, 1, 1]))
    np.testing.assert_allclose(com, [positions[0], 0.25 * positions[2] + 0.75 * positions[3]])
    np.testing.assert_array_equal(masses, before)


def test_check_masses_names_the_types_of_real_atoms_without_mass():
    numbers = np.array([3, 3, 17, 17])
    with pytest.raises(ValueError, match=r"2 of 4 atoms have no positive mass \(masses \[0.0\] "
                                         r"of atom types \['LI'\]; mass 0 on atoms of known "
                                         r"element, e.g. atom 0, Li\)"):
        check_masses(numbers, [0.0, 0.0, 35.45, 35.45], np.arange(4), "gro",
                     labels=np.array(["LI", "LI", "CL", "CL"]))
