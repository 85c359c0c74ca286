"""A packed box holds the molecules it says: no two within the reach of the covalent bond guess.

PACKMOL keeps 2 Å (its tolerance) between atoms of different molecules, but the covalent bond
guess downstream (:func:`mda_electrolyte.molecules.covalent_bonds`) bonds S and O up to 2.31 Å,
P and O up to 2.33 Å, S and C up to 2.41 Å: a TFSI⁻ whose S came 2.2 Å from a solvent's O was
one molecule with it in every analysis that guesses bonds (seen in 2 of 12 boxes of LiFSI and
LiTFSI here, and 1 of 44 in a screening). Such a box is packed again, with every atom kept its
bond reach from the other molecules' atoms; a box without such a contact is packed once, as
before. The close pair is built here by hand (a first PACKMOL answer with an EC's carbonyl O
2.15 Å from a TFSI⁻'s S), the repacking is the real PACKMOL.
"""

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")

import ase_electrolyte.build as build  # noqa: E402
from ase_electrolyte.build import conformer, electrolyte_box  # noqa: E402
from ase_electrolyte.species import get_species  # noqa: E402
from ase_electrolyte.trajectory import GCM3_TO_AMU_PER_A3  # noqa: E402
from mda_electrolyte.molecules import covalent_bonds  # noqa: E402

_COUNTS = {"EC": 1, "Li": 1, "TFSI": 1}
_EDGE = 20.0  # Å


def _density():
    mass = sum(get_species(k).mass * n for k, n in _COUNTS.items())
    return mass / (_EDGE**3 * GCM3_TO_AMU_PER_A3)


def _rotation(a, b):
    """Rotation matrix taking unit vector ``a`` to unit vector ``b`` (Rodrigues)."""
    v, c = np.cross(a, b), float(np.dot(a, b))
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1.0 + c)


def _close_pair(gap=2.15):
    """EC, Li⁺ and TFSI⁻ positions (packing order) with EC's carbonyl O ``gap`` Å from an S.

    EC's carbonyl O (atom 0, its outermost atom) faces the S from the direction in which the
    rest of EC keeps farthest from the TFSI⁻ (400 directions tried).
    """
    ec0, tfsi = conformer("EC").positions, conformer("TFSI").positions
    centre = np.full(3, _EDGE / 2)
    tfsi = tfsi + centre
    s = tfsi[4]  # an S (symbols F C F F S ...)
    k = np.arange(400) + 0.5
    polar, azimuth = np.arccos(1 - 2 * k / 400), np.pi * (1 + 5**0.5) * k
    directions = np.stack([np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar),
                           np.cos(polar)], axis=1)
    o = ec0[0] / np.linalg.norm(ec0[0])
    best, placed = -1.0, None
    for u in directions:
        ec = ec0 @ _rotation(o, -u).T
        ec = ec - ec[0] + s + gap * u
        d = np.linalg.norm(ec[:, None] - tfsi[None], axis=-1)
        d[0, 4] = np.inf  # the pair made close on purpose
        if d.min() > best:
            best, placed = d.min(), ec
    li = centre + np.array([0.0, 0.0, -7.0])
    return np.vstack([placed, li, tfsi])


def _molecule_count(atoms):
    """Molecules the bond guess finds (connected components; free ions alone)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    b = covalent_bonds(atoms)
    graph = coo_matrix((np.ones(len(b)), (b[:, 0], b[:, 1])), shape=(len(atoms),) * 2)
    return connected_components(graph, directed=False)[0]


pytestmark = pytest.mark.filterwarnings("ignore:a density of")  # a sparse box, on purpose


@pytest.fixture
def first_answer(monkeypatch):
    """PACKMOL's first answer is the close pair; later calls are the real PACKMOL."""
    real = build._run_packmol
    calls = []

    def packmol(*args, **kwargs):
        calls.append(kwargs.get("radii"))
        if len(calls) == 1:
            return _close_pair()
        return real(*args, **kwargs)

    monkeypatch.setattr(build, "_run_packmol", packmol)
    return calls


def test_the_constructed_pair_is_what_the_bond_guess_joins():
    positions = _close_pair()
    structures = [(get_species(k), conformer(k), 1, None) for k in _COUNTS]
    atoms = build._packed_atoms(structures, positions, _EDGE)
    assert atoms.get_distance(4 + 11, 0) == pytest.approx(2.15, abs=1e-9)
    # every other pair of atoms of different molecules is beyond the tolerance
    inter = atoms.arrays["molecule_index"][:, None] != atoms.arrays["molecule_index"][None]
    d = atoms.get_all_distances(mic=True)
    d[0, 15] = d[15, 0] = np.inf
    assert d[inter].min() > 2.0
    assert _molecule_count(atoms) == 2  # EC and TFSI⁻ one molecule, Li⁺ alone
    assert build._bond_contacts(atoms).tolist() == [[0, 15]]


def test_a_box_with_a_bond_contact_is_packed_again_apart(first_answer):
    atoms = electrolyte_box(counts=_COUNTS, density=_density(), seed=0)
    assert first_answer[0] is None and first_answer[1] is not None and len(first_answer) == 2
    assert _molecule_count(atoms) == 3
    assert build._bond_contacts(atoms).size == 0
    # the repacking's radii: S (1.35 Å reach) and O (0.96 Å) at least their reach apart
    radii = first_answer[1]
    assert radii[16] + radii[8] >= 2.31 + build.BOND_REACH_MARGIN - 1e-9
    assert radii[3] == 1.0  # Li⁺ bonds to nothing: half the tolerance, as before


def test_a_contact_that_stays_is_refused_naming_the_pair(monkeypatch):
    monkeypatch.setattr(build, "_run_packmol", lambda *a, **k: _close_pair())
    with pytest.raises(RuntimeError, match=r"1 pair\(s\) of atoms of different molecules within "
                       r"a covalent bond's reach.* O 0 of EC 0 and S 15 of TFSI 2, 2\.15 Å apart "
                       r"\(reach 2\.31 Å\), packed with every atom its bond reach"):
        electrolyte_box(counts=_COUNTS, density=_density(), seed=0)


def test_a_repacking_that_fails_names_the_contact_it_was_for(monkeypatch):
    calls = []

    def packmol(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            return _close_pair()
        raise RuntimeError("PACKMOL could not pack the molecules")

    monkeypatch.setattr(build, "_run_packmol", packmol)
    with pytest.raises(RuntimeError, match=r"S 15 of TFSI 2, 2\.15 Å apart.*packing it again "
                                           r"with every atom .* failed: PACKMOL could not pack"):
        electrolyte_box(counts=_COUNTS, density=_density(), seed=0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_packed_salt_boxes_hold_the_molecules_they_name(seed):
    # LiTFSI in EC at the ideal-mixing density: seed 1 held two S···O contacts of 2.2 Å
    counts = {"EC": 20, "Li": 5, "TFSI": 5}
    atoms = electrolyte_box(counts=counts, density=build.estimate_density(counts).value, seed=seed)
    assert _molecule_count(atoms) == sum(counts.values())
    again = electrolyte_box(counts=counts, density=build.estimate_density(counts).value, seed=seed)
    assert np.array_equal(atoms.positions, again.positions)


def test_a_molecule_within_bond_reach_of_its_own_image_is_refused(monkeypatch):
    # one Cl2 along x in a 4.29 Å box: its Cl 2.30 Å from the other's image, beyond the 2 Å
    # tolerance (which alone was checked) and within the Cl-Cl reach of 2.64 Å: bonded to its
    # own image, the molecule was an endless chain through the images downstream
    from ase_electrolyte.species import Species

    chlorine = Species("Cl2", "ClCl")
    edge, bond = 4.29, 1.99
    density = chlorine.mass / (edge**3 * GCM3_TO_AMU_PER_A3)
    positions = np.array([[0.5, edge / 2, edge / 2], [0.5 + bond, edge / 2, edge / 2]])
    monkeypatch.setattr(build, "_run_packmol", lambda *a, **k: positions)
    with pytest.raises(ValueError, match=r"too short for one Cl2 molecule .* 2\.30 Å from its own "
                                         r"periodic image \(within the 2\.64 Å reach of a covalent "
                                         r"bond guess: a bond to itself\)"):
        electrolyte_box(counts={chlorine: 1}, density=density, seed=0)
    # a box of a bond's reach more is left alone
    wider = chlorine.mass / ((edge + 0.4) ** 3 * GCM3_TO_AMU_PER_A3)
    atoms = electrolyte_box(counts={chlorine: 1}, density=wider, seed=0)
    assert _molecule_count(atoms) == 1
