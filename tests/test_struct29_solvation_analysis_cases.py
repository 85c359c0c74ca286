"""SolvationShells against solvation-analysis (Solute, Pairing, Coordination, Networking) on
shells the bn_fec comparison does not have.

A random cell of Li⁺, a bidentate ether (DME-like O-C-C-O, both oxygens can bind one Li⁺) and
a BF₄⁻-like anion that bridges cations, with empty shells, in a triclinic cell whose size
changes from frame to frame (NPT). Measured: the same 160 (frame, cation, molecule) triples;
coordination numbers and pairing to rounding; the "bridging" CIP/AGG shares equal to the
cations in solvation-analysis' networks of two ions and of more (its ``solute_status``
counts networks, not cations, for "networked": 0.125 here for 0.281 of the cations).
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.lib.mdamath import triclinic_vectors
from solvation_analysis.solute import Solute

from mda_electrolyte import SolvationShells

RADII = {"BF4": 2.5, "DME": 2.6}


def _cell(seed=3, n_li=12, n_dme=30, n_bf4=10, n_frames=8):
    rng = np.random.default_rng(seed)
    elements, resindex, resnames, bonds = [], [], [], []

    def add(els, name, bnd):
        start, res = len(elements), len(resnames)
        elements.extend(els)
        resindex.extend([res] * len(els))
        resnames.append(name)
        bonds.extend((start + a, start + b) for a, b in bnd)

    for _ in range(n_li):
        add(["Li"], "LI", [])
    for _ in range(n_dme):
        add(["O", "C", "C", "O"], "DME", [(0, 1), (1, 2), (2, 3)])
    for _ in range(n_bf4):
        add(["B", "F", "F", "F", "F"], "BF4", [(0, k) for k in range(1, 5)])
    resindex = np.array(resindex)
    u = mda.Universe.empty(len(elements), n_residues=len(resnames), atom_resindex=resindex,
                           trajectory=True)
    for attr, values in (("elements", elements), ("names", elements), ("types", elements),
                         ("resnames", resnames), ("bonds", bonds)):
        u.add_TopologyAttr(attr, values)
    donors = np.flatnonzero(np.isin(elements, ["O", "F"]))
    positions, dims = [], []
    for f in range(n_frames):
        a = 19.0 * (1 + 0.02 * f)
        dim = [a, 1.05 * a, 0.95 * a, 80.0, 95.0, 70.0]
        centres = rng.uniform(0, 1, (len(resnames), 3)) @ triclinic_vectors(dim)
        pos = centres[resindex] + rng.normal(scale=0.9, size=(len(elements), 3))
        # each Li 2 Å from a random O or F: shared anions, two oxygens of one DME, empty shells
        for i in range(n_li):
            d = rng.normal(size=3)
            pos[i] = pos[rng.choice(donors)] + 2.0 * d / np.linalg.norm(d)
        positions.append(pos)
        dims.append(dim)
    u.load_new(np.array(positions, dtype=np.float32), format=MemoryReader,
               dimensions=np.array(dims))
    return u


def test_shells_coordination_pairing_and_networks_equal_solvation_analysis():
    u = _cell()
    li = u.select_atoms("element Li")
    species = {"BF4": u.select_atoms("resname BF4"), "DME": u.select_atoms("resname DME")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Solute.from_atoms(li, species, radii=RADII, skip_rdf=True,
                                analysis_classes=["pairing", "coordination", "networking"],
                                networking_solvents="BF4").run()
        ours = SolvationShells(li, {"BF4": species["BF4"]}, {"DME": species["DME"]},
                               cutoffs=RADII, convention="bridging",
                               network_species=["BF4"]).run().results
    sd = ref.solvation_data.reset_index()
    triples = set(zip(ours.shells.frame, u.atoms[ours.shells.cation].resindices,
                      ours.shells.molecule, strict=True))
    assert triples == set(zip(sd.frame, sd.solute_ix, sd.solvent_ix, strict=True))
    # a bidentate DME counts once: some shell holds both of a DME's oxygens
    per_molecule = ours.shells.groupby(["frame", "cation", "molecule"]).size()
    assert (per_molecule > 1).any()
    for name in RADII:
        assert ours.coordination_numbers[name] == pytest.approx(
            ref.coordination.coordination_numbers[name], rel=1e-12)
        assert ours.pairing[name] == pytest.approx(ref.pairing.solvent_pairing[name],
                                                   rel=1e-12)
    # solvation-analysis' networks of ions joined through BF4: of two ions (one Li, one BF4)
    # the CIPs, of more the AGGs, counted by their cations
    net = ref.networking.network_df.reset_index()
    per_network = net.groupby(["frame", "network"]).solvent
    size = per_network.size()
    cations = per_network.apply(lambda s: int((s != "BF4").sum()))
    n_shells = u.trajectory.n_frames * li.n_atoms
    assert ours.fractions["CIP"] == pytest.approx(cations[size == 2].sum() / n_shells)
    assert ours.fractions["AGG"] == pytest.approx(cations[size > 2].sum() / n_shells)
    assert ours.fractions["AGG"] > 0.1 and ours.fractions["SSIP"] > 0.1
    # networks of n cations through BF4, from solvation-analysis' networks
    sizes = {}
    for n in cations:
        sizes[n] = sizes.get(n, 0) + n / n_shells
    sizes[1] = sizes.get(1, 0.0) + ours.fractions["SSIP"]
    assert ours.network_sizes == pytest.approx(sizes)
