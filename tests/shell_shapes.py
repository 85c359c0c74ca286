"""Synthetic solvation shells shared by the shell-cutoff tests: loose Li⁺ shells as MDAnalysis
Universes, and Poisson histograms of analytic g(r) shapes with their exact first minimum.

One implementation of each generator: the located, trust, coordination-number, share-error,
range and calibration tests draw the same frames and histograms from here (the same random
draws, in the same order, as the copies they replace).
"""

import MDAnalysis as mda
import numpy as np
from MDAnalysis.coordinates.memory import MemoryReader


def shell_frames(rng, li, first, n_frames, n_background, box):
    """Positions per frame: the Li⁺ ``li`` first, then around each Li Poisson(``first``) (at
    most 10) atoms at 2.0 ± 0.15 Å and Poisson(3) (at most 20) at 4.0 ± 0.15 Å, the unused
    ones of those 30 uniform in the box, then ``n_background`` uniform atoms (not wrapped)."""
    frames = []
    for _ in range(n_frames):
        parts = [li]
        for centre in li:
            for radius, mean, most in ((2.0, first, 10), (4.0, 3.0, 20)):
                k = min(rng.poisson(mean), most)
                direction = rng.normal(size=(most, 3))
                direction /= np.linalg.norm(direction, axis=1)[:, None]
                shell = centre + direction * rng.normal(radius, 0.15, size=(most, 1))
                shell[k:] = rng.uniform(0, box, size=(most - k, 3))
                parts.append(shell)
        parts.append(rng.uniform(0, box, size=(n_background, 3)))
        frames.append(np.concatenate(parts))
    return np.array(frames)


#: 8 Li⁺ on a 10 Å grid of a 20 Å box.
GRID_LI = np.array([[x, y, z] for x in (5, 15) for y in (5, 15) for z in (5, 15)], float)


def loose_shells(first, n_frames, *, seed=0, n_background=400, box=20.0, li=None, n_li=None,
                 element="N", atoms_per_molecule=1):
    """A Universe of Li⁺ (resname LI) in loose shells of one-atom solvent (resname SOL).

    ``li``: the Li positions (default :data:`GRID_LI`); ``n_li``: that many Li uniform in
    3-17 Å instead, drawn first from the seed's stream. A molecule of ``atoms_per_molecule``
    atoms has the others 1.2 Å apart further along z from its first atom (which is the one
    placed in the shells).
    """
    rng = np.random.default_rng(seed)
    if n_li is not None:
        li = rng.uniform(3, 17, (n_li, 3))
    elif li is None:
        li = GRID_LI
    frames = shell_frames(rng, li, first, n_frames, n_background, box)
    n_li = len(li)
    firsts = frames[:, n_li:]
    others = [firsts + 1.2 * (j + 1) * np.array([0.0, 0.0, 1.0])
              for j in range(atoms_per_molecule - 1)]
    molecules = np.stack([firsts, *others], axis=2).reshape(n_frames, -1, 3)
    positions = np.concatenate([frames[:, :n_li], molecules], axis=1)
    n_mol = firsts.shape[1]
    n_solvent = n_mol * atoms_per_molecule
    n = n_li + n_solvent
    resindex = np.concatenate([np.arange(n_li), n_li + np.arange(n_solvent) // atoms_per_molecule])
    u = mda.Universe.empty(n, n_residues=n_li + n_mol, atom_resindex=resindex, trajectory=True)
    elements = ["Li"] * n_li + [element] * n_solvent
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", ["LI"] * n_li + ["SOL"] * n_mol)
    u.load_new(positions.astype(np.float32) % box, format=MemoryReader,
               dimensions=[box] * 3 + [90] * 3)
    return u


def shape_g(r, amp, width, trough, rise, steep):
    """A first peak ``amp`` at 2 Å of width ``width``, a trough at ``trough`` and a sigmoid
    rise to 1 at ``rise`` of steepness ``steep`` (Å)."""
    return amp * np.exp(-((r - 2) / width) ** 2) + trough + (1 - trough) / (
        1 + np.exp(-(r - rise) / steep))


def poisson_replicas(amp, width, trough, rise, steep, scale, seeds, nbins=160):
    """(edges, counts, g) per seed: the pairs of :func:`shape_g` over 0-8 Å in ``nbins`` bins
    (the exact integral of g over each shell, ``scale`` pairs per unit g and Å³), Poisson
    drawn with the seed, and g = counts / (shell volume × scale)."""
    edges = np.linspace(0, 8, nbins + 1)
    shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
    fine = np.linspace(0, 9, 18001)
    g = shape_g(fine, amp, width, trough, rise, steep)
    cum = np.concatenate([[0], np.cumsum(g[1:] * 4 * np.pi * fine[1:] ** 2 * np.diff(fine))])
    expected = scale * np.diff(np.interp(edges, fine, cum))
    for seed in seeds:
        counts = np.random.default_rng(seed).poisson(expected).astype(float)
        yield edges, counts, counts / shell / scale


def true_first_minimum(amp, width, trough, rise, steep):
    """The first local minimum of :func:`shape_g` after its peak, Å (to 1e-4 Å)."""
    r = np.linspace(0, 9, 90001)
    g = shape_g(r, amp, width, trough, rise, steep)
    k = int(np.argmax(g)) + 1
    while g[k + 1] < g[k]:
        k += 1
    return float(r[k])


def bound_shells(n_configs, repeat=1, seed=0, n_li=16, n_free=160, *, box=18.0,
                 one_residue_per_li=False, lattice=None, gap=3.0, spare=4):
    """A Universe of Li⁺ each holding four O at N(2.0, 0.1) Å, with ``n_free`` free O
    farther than ``gap`` Å from every Li⁺: a first shell with a deep, clear minimum.

    ``n_configs`` independent configurations, each held for ``repeat`` consecutive frames
    (frames correlated over ``repeat``). The Li⁺ are ``n_li`` uniform in the box, or the
    points of ``lattice`` shifted as a whole and jittered by 0.3 Å each configuration; the
    free O are the first ``n_free`` of ``spare * n_free`` uniform candidates that keep the gap.
    Atoms: every Li⁺, then the bound O, then the free O, each its own residue (solvation
    shells of one-atom molecules); with ``one_residue_per_li`` each Li⁺ and its four O are one
    residue, in that order (an intramolecular Li–O pair for IntraInterRDF).
    """
    rng = np.random.default_rng(seed)
    if lattice is not None:
        n_li = len(lattice)
    frames = []
    for _ in range(n_configs):
        if lattice is None:
            li = rng.uniform(0, box, (n_li, 3))
        else:
            li = (lattice + rng.uniform(0, box, 3) + rng.normal(0, 0.3, lattice.shape)) % box
        v = rng.normal(size=(n_li, 4, 3))
        v /= np.linalg.norm(v, axis=-1, keepdims=True)
        bound = li[:, None] + rng.normal(2.0, 0.1, (n_li, 4))[..., None] * v
        cand = rng.uniform(0, box, (spare * n_free, 3))
        d = cand[:, None] - li[None]
        d -= box * np.round(d / box)
        free = cand[np.linalg.norm(d, axis=-1).min(axis=1) > gap][:n_free]
        if lattice is not None and len(free) < n_free:
            raise ValueError(f"only {len(free)} of {spare * n_free} candidates keep the gap")
        if one_residue_per_li:
            shells = np.concatenate([li[:, None], bound], axis=1).reshape(-1, 3)
            frames += [np.concatenate([shells, free]) % box] * repeat
        else:
            frames += [np.concatenate([li, bound.reshape(-1, 3), free]) % box] * repeat
    n = 5 * n_li + n_free
    if one_residue_per_li:
        resindex = np.r_[np.repeat(np.arange(n_li), 5), n_li + np.arange(n_free)]
        elements = (["Li"] + ["O"] * 4) * n_li + ["O"] * n_free
    else:
        resindex = np.arange(n)
        elements = ["Li"] * n_li + ["O"] * (4 * n_li + n_free)
    u = mda.Universe.empty(n, n_residues=resindex[-1] + 1, trajectory=True,
                           atom_resindex=resindex)
    u.add_TopologyAttr("elements", elements)
    u.load_new(np.array(frames, dtype=np.float32), order="fac", dimensions=np.tile(
        [box] * 3 + [90.0] * 3, (len(frames), 1)).astype(np.float32))
    return u
