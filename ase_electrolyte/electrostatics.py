r"""Explicit long-range electrostatics on top of any MLIP: point charges summed by Ewald/PME.

Charges come from the charge-redistribution (QRd) scheme of Chalykh, Polovinkin, Korogod, Rybin and
Shapeev (2025), "Active learning and explicit electrostatics enable accurate modeling of
electrolytes", from fixed per-atom charges, or from an ``Atoms.arrays`` entry. Lattice sums are
done by torch-pme (Loche, Huguenin-Dumittan, Honarmand, et al., "Fast and flexible long-range
models for atomistic machine learning", J. Chem. Phys. 162, 142501 (2025)); forces and stress come
from torch's autograd through the same graph.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from ase.calculators.calculator import Calculator as _AseCalculator
from ase.calculators.calculator import PropertyNotImplementedError, all_changes
from ase.data import atomic_numbers, chemical_symbols
from ase.units import Bohr, Hartree

from .atoms_checks import (
    _check_thin_cell,
    check_atoms,
    check_flag,
    check_number,
    check_number_density,
    check_overlaps,
)
from .calculator_charges import (
    MAX_ATOM_CHARGE,
    TOTAL_CHARGE_TOLERANCE,
    _holds_bool,
    atomic_number_values,
    charge_values,
    declaration_inputs,
    declared_total_charge,
    net_charge_tolerance,
    same_input_value,
    unread_charge_sum,
)
from .calculator_errors import check_finite, input_errors
from .calculator_parameters import ParametersContract, applies_direct_edits
from .device import resolve_device
from .option_words import choice_word
from .topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES

__all__ = ["Electrostatics", "PMEErrorNotMeasuredWarning", "QRdFit", "UnreadChargesWarning",
           "fit_qrd", "qrd_charges"]

#: Coulomb constant e²/(4π ε0) in eV·Å, from ASE's (CODATA) Hartree and Bohr
COULOMB = Hartree * Bohr

_SCHEMES = ("qrd", "fixed", "array")
_METHODS = ("auto", "ewald", "pme", "direct")
_SHORT_RANGE = (None, "molecules", "cutoff", "gaussian")
# above this many atoms "auto" picks PME over Ewald (see benchmarks/bench_electrostatics.py)
_PME_ABOVE = 500
# erfc(x) < 2e-17 for x > 6: beyond sqrt(2)·6·a the Gaussian damping is exactly zero in float64
_ERFC_RANGE = 6.0 * math.sqrt(2.0)
# largest PME mesh (points) before we refuse: 2^24 complex doubles ≈ 270 MB
_PME_MAX_MESH = 2**24
# torch-pme's PME k-space bound falls as V^(-2/3) at a fixed number of charges, but the mesh
# error of each charge's own (self) interaction does not: 2-4 ions in boxes of 20-100 Å had
# force errors 14-95 × the tolerance (dense cells: 3-7 ×). The bound is taken at a volume of
# at most this many Å³ per atom (a liquid has ~10-20), which brings sparse cells to the level
# of dense ones (measured: 2 ions in 60 Å, 4 in 100 Å within 10 × tolerance) or to a refusal
_PME_VOLUME_PER_ATOM = 100.0
# torch-pme's PME k-space bound is an estimate, not a bound: the mesh's force errors exceeded
# it 2-24 × (RMS over atoms, 64-500 random charges in 12-20 Å boxes, cutoffs 5-8 Å, tolerances
# 1e-3-1e-6) while Ewald's stayed below it. The mesh error is therefore measured when the
# parameters are chosen: the k-space forces of the chosen mesh against those of a mesh half as
# fine with the highest interpolation order (whose own error is a small fraction: 11.46 × the
# tolerance measured this way where the exact error was 11.55 ×), and the mesh made finer until
# that measured error is within its share of the tolerance (at most this many refinements)
_PME_REFINEMENTS = 6
_PME_REFERENCE_NODES = 7
# The reference mesh is 8 × the chosen one and held to _PME_MAX_MESH too, so meshes above 2^21
# points (boxes beyond ~60-130 Å at 10⁻⁶; a few ions in a huge box) are not measured: they keep
# the estimate's mesh, with an error_bound of the estimate times its largest measured
# underestimate and a PMEErrorNotMeasuredWarning
_PME_ESTIMATE_FACTOR = 25.0
# cutoff="auto": Ewald takes the 8 Å that is cheapest up to 500 atoms; PME takes the candidate
# of least _pme_cost. The mesh is a power of two per axis, so at a fixed cutoff the measured
# mesh jumps 8 × in points as a box grows: at 10⁻⁶ a fixed 8 Å cost 1.7-3 × the step of 10 Å
# at 1728 atoms and 1.6-4.9 × that of 12 Å at 2744, see benchmarks/bench_electrostatics_cutoff.py
_DEFAULT_CUTOFF = 8.0
_PME_AUTO_CUTOFFS = (14.0, 12.0, 10.0, 8.0)
# lattice-sum set-ups kept per calculator, one per cell (beyond 5 % strain of each other)
_TUNED_CELLS = 8
# the options a lattice-sum set is chosen from, and those that define the charges it was
# chosen for (another charge model is another calculator: its numbers are a fresh one's);
# set() of any other (background, short_range, device, dtype) keeps the sets
_LATTICE_OPTIONS = ("method", "tolerance", "cutoff", "scheme", "qrd", "charges", "array",
                    "charge_scale", "total_charge")
# Where a cell lies between the cells of kept sets, the energies of the sets are blended with
# weights exp(-d²/_BLEND_STRAIN2) (normalised), d² the squared Frobenius norm of the strain
# from each set's cell: between two cells 5 % apart (isotropic) the blend turns over ±0.3 %
# strain about the middle, and a set 2.5 % nearer than another weighs < 1e-16 beside it. A set
# whose weight is below exp(-_BLEND_CUT) of the nearest's is not summed.
_BLEND_STRAIN2 = 1e-4
_BLEND_CUT = 30.0
# A set serves cells within _SET_REACH strain (largest entry of |F - I|) of its own, while the
# blend ranks sets by the squared norm: a set nearest by the norm could still leave its reach
# (one entry past 5 %, the others small) and was dropped at once, its weight 0.8 or more (the
# energy jumped by the difference of the two sums' errors at each crossing; in a random walk
# of the cell, 0.8 % of steps had a set leaving with weight > 1e-3). Its weight is therefore
# switched off smoothly (C²) over the last _SET_SWITCH of its reach.
_SET_REACH = 0.05
_SET_SWITCH = 0.005
# a set chosen anew because the charges changed (not the cell) is chosen for charges whose
# sum of q² is this much larger, so that charges fluctuating by a few % from step to step (a
# charge model's) keep it; kept down to this fraction of the sum of q² it was chosen for
_CHARGE_HEADROOM = 1.25
_CHARGE_RANGE_BELOW = 4.0
# Continuity of the energy in positions and cell. A sum cut sharply at a cutoff jumps when a
# term crosses it: pairs crossing the real-space cutoff, and a plane of Ewald k-vectors entering
# as a cell length crosses a multiple of the wavelength (an 8 Å box strained through the 8 Å
# cutoff: 5.4e-5 eV at tolerance 1e-6, 6.8e-3 eV at 1e-4, 8 ions; the stress is then a one-sided
# derivative, finite differences across it off by 0.5-68 eV per unit strain). Both sums are
# therefore switched off smoothly (a C² quintic step, as in the smooth cutoffs of MD codes,
# e.g. the switching functions of Steinbach & Brooks 1994): the real-space pairs over
# [cutoff, cutoff + _RSPACE_SWITCH], so every term inside the cutoff, which the error bound
# assumes, is kept in full; the Ewald k-vectors over [k_c, k_c·(1 + _KSPACE_SWITCH)] in a
# sphere, which the bound assumes too (torch-pme's box of vectors is 1.9 × the sphere).
_RSPACE_SWITCH = 0.5
_KSPACE_ON = 1.1
_KSPACE_OFF = 1.25


def _smooth_step(x):
    """1 for ``x <= 0``, 0 for ``x >= 1``, C² in between (torch tensor in, out)."""
    x = x.clamp(0.0, 1.0)
    return 1.0 - x**3 * (10.0 - 15.0 * x + 6.0 * x**2)


def _smooth_coulomb(smearing, r_on=None, r_off=None, k_on=None, k_off=None):
    """torch-pme's Coulomb potential whose real-space part is switched off over
    [``r_on``, ``r_off``] (Å) and whose Fourier kernel over [``k_on``, ``k_off``] (1/Å)."""
    import torchpme

    class SmoothCoulomb(torchpme.CoulombPotential):
        def sr_from_dist(self, dist, pair_mask=None):
            v = super().sr_from_dist(dist, pair_mask)
            if r_on is None:
                return v
            return v * _smooth_step((dist - r_on) / (r_off - r_on))

        def lr_from_k_sq(self, k_sq):
            g = super().lr_from_k_sq(k_sq)
            if k_on is None:
                return g
            # in k², not |k|: the square root's gradient at k = 0 is NaN
            return g * _smooth_step((k_sq - k_on**2) / (k_off**2 - k_on**2))

    return SmoothCoulomb(smearing=smearing)


def _rspace_error(sum_q2, n_atoms, volume, smearing, rc):
    """RMS over atoms of the real-space force error (e²/Å², as torch-pme's bounds) of pairs cut
    at ``rc`` and switched off over [``rc``, ``rc`` + :data:`_RSPACE_SWITCH`] (Å).

    Kolafa & Perram's (1992) estimate for randomly placed charges, q_i² (Σq²/V) ∫ 4πr² g(r)² dr
    with g the force of the part of erfc(r/√2σ)/r left out, computed with the switch. torch-pme's
    closed form, 2Σq²/√(N rc V)·exp(-rc²/2σ²), is that integral for a sharp cut: the switch's
    derivative adds a force of erfc(rc/√2σ)/rc per switch width, which grows as σ²/rc beside the
    force it replaces, so with the closed form the real-space force errors were 0.45 × its
    share of the tolerance at a 5 Å cutoff and 1.3 × at 12 Å, 1.7 × at 16 Å (σ grows with the
    cutoff). Measured against Ewald at 10⁻¹⁰ this integral is within 0.9-1.07 × the errors.
    """
    from scipy.integrate import quad
    from scipy.special import erfc

    a = math.sqrt(2.0) * smearing
    width = _RSPACE_SWITCH

    def g2(r):
        v = erfc(r / a) / r
        dv = -v / r - math.sqrt(2.0 / math.pi) / smearing * math.exp(-(r / a) ** 2) / r
        if r < rc + width:
            x = (r - rc) / width
            kept = x**3 * (10.0 - 15.0 * x + 6.0 * x**2)
            dv = dv * kept + v * 30.0 * (x * (1.0 - x)) ** 2 / width
        return 4.0 * math.pi * r * r * dv * dv

    integral = quad(g2, rc, rc + width)[0] + quad(g2, rc + width, math.inf)[0]
    return math.sqrt(sum_q2 / n_atoms * sum_q2 / volume * integral)


def _rspace_smearing(sum_q2, n_atoms, volume, rc, target):
    """The largest smearing (Å), up to rc/√2, whose :func:`_rspace_error` at ``rc`` is at most
    ``target`` (the error grows with the smearing: bisection in log space)."""
    hi = rc / math.sqrt(2.0)
    if _rspace_error(sum_q2, n_atoms, volume, hi, rc) <= target:
        return hi
    lo = rc / 50.0
    for _ in range(50):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if _rspace_error(sum_q2, n_atoms, volume, mid, rc) <= target \
            else (lo, mid)
    return lo


def _ewald_kvectors(cell, k_max):
    """The reciprocal vectors (1/Å, torch, differentiable through ``cell``) of length at most
    ``k_max``, k = 0 included (torch-pme drops its term)."""
    import torch

    recip = 2.0 * math.pi * torch.linalg.inv(cell).T
    with torch.no_grad():
        lengths = torch.linalg.norm(cell, dim=1)
        ns = [int(math.floor(float(k_max * length / (2.0 * math.pi)))) for length in lengths]
        axes = [torch.arange(-m, m + 1, dtype=cell.dtype, device=cell.device) for m in ns]
        n = torch.cartesian_prod(*axes).reshape(-1, 3)
        n = n[torch.linalg.norm(n @ recip, dim=1) <= k_max]
    return n @ recip


def _pme_cost(n_atoms, points, nodes, pairs):
    """Relative work of one PME step: mesh points, spline stencil points and real-space pairs,
    a pair (distance, potential and their autograd) taken as two points. The weights put the
    cheapest of 8, 10 and 12 Å first where one was measured clearly cheapest
    (benchmarks/bench_electrostatics_cutoff.py: 8 Å at 512 atoms, 10 Å at 1728, 12 Å at
    2744)."""
    return points + n_atoms * nodes**3 + 2.0 * pairs


class _CostlierThanBest(Exception):
    """A PME mesh calibration stopped: its mesh would cost more than the best one found."""


class UnreadChargesWarning(UserWarning):
    """The Atoms carries ``initial_charges`` that this term does not read (QRd or fixed
    charges) and whose sum is neither the net charge of the charges it uses nor the declared
    one.

    ASE calculators ignore the per-atom inputs they do not use, but a net charge given only
    there (as xTB-style codes read it: ``set_initial_charges([1, 0, ...])``) was otherwise
    lost without a word: the QRd charges summed to 0 for a structure meant as a cation. Given
    once per calculator and sum of the unread charges, until the options change.
    """


class PMEErrorNotMeasuredWarning(UserWarning):
    """PME's mesh error could not be measured (its reference mesh would exceed the mesh
    limit); ``error_bound`` is torch-pme's estimate times its largest measured
    underestimate (25) and may exceed the tolerance."""
# torch-pme's Ewald holds ~60 bytes per k-vector and atom (cos, sin and their gradients;
# measured): "auto" takes PME above 2^23 terms (~0.5 GiB), an explicit Ewald is refused above
# 2^26 (~4 GiB; a few ions in a box of hundreds of Å asked for 10⁹ terms and was killed)
_EWALD_BYTES_PER_TERM = 60
_EWALD_AUTO_TERMS = 2**23
_EWALD_MAX_TERMS = 2**26
# atoms closer than this (Å) are refused, as by D3
_MIN_DISTANCE = 0.1
# loosest tolerance accepted: torch-pme's own recommendation for speed ("1e-3 for a balance
# between accuracy and speed"). Its bounds are RMS force bounds, and the forces meet them at
# any tolerance, but the energy is not bounded: the smearing grows with the tolerance and the
# real-space tail cut at the cutoff shifts the energy. Measured (rattled rocksalt NaCl, 64
# ions, Ewald, cutoff 8 Å): 7 meV/atom at 1e-3, 0.12 eV/atom at 1e-2, 1.7 eV/atom at 0.1-0.999
# (-17.5 eV for -35.7 eV in the 8-ion cell); at 1e-3 at most 22 meV/atom over cutoffs 5-15 Å
_MAX_TOLERANCE = 1e-3
#: tightest tolerance accepted: the round-off of float64 sums (a smaller one, 5e-324, divided
#: by zero in the tuning)
_MIN_TOLERANCE = 1e-15
#: tightest tolerance accepted in float32: its round-off is ~1e-7 of the unit force (rattled
#: NaCl, 64-216 ions: force errors 1.2-1.5 × a tolerance of 1e-7, 10 × at 1e-8, 1000 × at
#: 1e-10; PME 2.1 × at 3e-7; at 1e-6 0.4-1.08 ×, as float64)
_MIN_TOLERANCE_FLOAT32 = 1e-6
#: the default ``tolerance`` (torch-pme's recommendation for accuracy)
_DEFAULT_TOLERANCE = 1e-6
# what Electrostatics.save writes and load reads
_FILE_VERSION = 1
_FILE_UNITS = {"b": "e", "s": "1", "charges": "e", "lengths": "angstrom"}
# pairs the torch graph holds (real-space pairs within the cutoff, all pairs of a direct sum,
# removed short-range pairs): ~150-250 bytes each with the autograd graph (measured: 8 ions in a
# 6 Å box, 2·10⁶ pairs at a 150 Å cutoff took 0.5 GB; a 400 Å cutoff ended in a raw allocator
# error after 4 GB). Above 2^25 pairs (~6 GiB) a sum is refused before it starts.
_BYTES_PER_PAIR = 200
_MAX_PAIRS = 2**25


# the k-space refusals' advice for a sparse cell: the methods send the user to each other
# (a molecule in a 1000 Å box: PME's mesh and Ewald's k-vectors both far beyond memory)
_VACUUM_HINT = "; a molecule or cluster in vacuum needs no lattice sum: pbc=False (direct sum)"


def _mesh_points(atoms, spacing):
    """Points of torch-pme's PME mesh for ``spacing`` (Å): per axis the power of two at or
    above 2 L / spacing + 1."""
    lengths = np.linalg.norm(atoms.cell.array, axis=1)
    with np.errstate(over="ignore"):
        return float(np.prod(2 ** np.ceil(np.log2(2 * lengths / spacing + 1))))


def _mesh_spacing_for(cell, params):
    """A mesh spacing (Å) that gives ``cell`` the mesh ``params["mesh"]`` chosen for the tuned
    cell, else ``params["mesh_spacing"]``.

    torch-pme rounds each axis' mesh to a power of two from the cell length and the spacing, so
    with a fixed spacing a cell strained through a rounding threshold doubled the mesh and the
    energy jumped by the mesh error (3.5e-3 eV, 64 ions at tolerance 1e-4, 0.6 % strain); the
    same mesh, scaled with the cell, keeps the energy smooth in the cell.
    """
    import torch
    from torchpme.lib.kvectors import get_ns_mesh

    spacing = params["mesh_spacing"]
    mesh = params.get("mesh")
    if mesh is None:
        return spacing
    lengths = np.linalg.norm(cell, axis=1)
    # torch-pme: n = 2^ceil(log2(2 L / h + 1)), so n holds for 2L/(n - 1) <= h < 2L/(n/2 - 1)
    lo = max(2.0 * L / (n - 1) for L, n in zip(lengths, mesh, strict=True))
    hi = min((2.0 * L / (n / 2 - 1) if n > 2 else math.inf)
             for L, n in zip(lengths, mesh, strict=True))
    if not lo < hi:
        return spacing
    h = math.sqrt(lo * hi) if math.isfinite(hi) else 2.0 * lo
    if get_ns_mesh(torch.tensor(cell, dtype=torch.float64), h).tolist() != list(mesh):
        return spacing
    return h


def _check_mesh(points, tol):
    if points > _PME_MAX_MESH:
        raise ValueError(
            f"tolerance {tol:g} needs a PME mesh of {points:.3g} points; raise the "
            f"cutoff (k-space work falls as its cube), loosen the tolerance or try "
            f"method='ewald'{_VACUUM_HINT}"
        )


def _kspace_forces(atoms, charges, smearing, spacing, nodes, device):
    """PME's reciprocal-space forces alone (no real-space pairs), e²/Å², float64."""
    import torch
    import torchpme

    pos = torch.tensor(atoms.positions, dtype=torch.float64, device=device, requires_grad=True)
    q = torch.tensor(np.asarray(charges, dtype=float).reshape(-1, 1), dtype=torch.float64,
                     device=device)
    cell = torch.tensor(atoms.cell.array, dtype=torch.float64, device=device)
    calc = torchpme.PMECalculator(torchpme.CoulombPotential(smearing=smearing),
                                  mesh_spacing=spacing, interpolation_nodes=nodes)
    calc.to(device=device, dtype=torch.float64)
    no_pairs = torch.zeros((0, 2), dtype=torch.long, device=device)
    phi = calc(q, cell, pos, no_pairs, torch.zeros(0, dtype=torch.float64, device=device))
    (grad,) = torch.autograd.grad((q * phi).sum(), pos)
    return -grad.detach().cpu().numpy()


def _calibrated_mesh(atoms, charges, smearing, spacing, nodes, tol, device, max_points=None):
    """The PME mesh spacing and interpolation order whose measured force error is at most its
    share of ``tol`` (``tol``/√2, the other half is real space's), and that error.

    The error of (``spacing``, ``nodes``) is the RMS over atoms of the difference between its
    k-space forces and those of a reference mesh half as fine with
    :data:`_PME_REFERENCE_NODES`-point interpolation. Where it is above the target the order
    is raised first (the mesh is a power of two per axis: a slightly smaller spacing is often
    the same mesh), then the mesh is halved, at most :data:`_PME_REFINEMENTS` times. Units of
    ``tol`` and the returned error: e²/Å², as torch-pme's bounds.

    Returns
    -------
    tuple or None
        ``(spacing, nodes, error)``; ``None`` where the first reference mesh would exceed
        :data:`_PME_MAX_MESH` points (nothing measured).

    Raises
    ------
    ValueError
        A refined mesh (or its reference) would exceed :data:`_PME_MAX_MESH` points, or no
        order on the finest mesh tried reaches the target.
    _CostlierThanBest
        A mesh to be measured has more than ``max_points`` points.
    """
    target = tol / math.sqrt(2.0)
    measured = math.inf
    if _mesh_points(atoms, 0.5 * spacing) > _PME_MAX_MESH:
        return None
    for _ in range(_PME_REFINEMENTS + 1):
        if max_points is not None and _mesh_points(atoms, spacing) > max_points:
            raise _CostlierThanBest
        _check_mesh(_mesh_points(atoms, spacing), tol)
        _check_mesh(_mesh_points(atoms, 0.5 * spacing), tol)
        reference = _kspace_forces(atoms, charges, smearing, 0.5 * spacing,
                                   _PME_REFERENCE_NODES, device)
        for order in range(nodes, _PME_REFERENCE_NODES + 1):
            diff = _kspace_forces(atoms, charges, smearing, spacing, order, device) - reference
            measured = float(np.sqrt(np.mean(np.sum(diff**2, axis=1))))
            if measured <= target:
                return spacing, order, measured
        spacing *= 0.5
    raise ValueError(
        f"PME could not reach the force tolerance {tol:g} in {_PME_REFINEMENTS} mesh "
        f"refinements (measured {measured:.3g} e²/Å² at mesh spacing {2 * spacing:.3g} Å); "
        "use method='ewald' or raise the cutoff")


def _strain(old_cell, cell):
    """Largest entry of :math:`|F - I|`, with :math:`F` the deformation taking ``old_cell`` to
    ``cell`` (rows are cell vectors: ``cell = old_cell @ F``); ``inf`` where it is not defined."""
    try:
        deformation = np.linalg.solve(old_cell, cell)
    except np.linalg.LinAlgError:
        return math.inf
    strain = float(np.abs(deformation - np.eye(3)).max())
    return strain if math.isfinite(strain) else math.inf


def _strain2(old_cell, cell):
    """Squared Frobenius norm of :math:`F - I` (see :func:`_strain`), plus
    :data:`_BLEND_STRAIN2` × the log of the set's switch, ``-log s``, where the strain nears
    the set's reach (:func:`_reach_switch`): the blend's rank of the set (inf beyond reach)."""
    deformation = np.linalg.solve(old_cell, cell) - np.eye(3)
    switch = float(_reach_switch(np.abs(deformation).max()))
    if switch <= 0.0:
        return math.inf
    return float(np.sum(deformation**2)) - _BLEND_STRAIN2 * math.log(switch)


def _reach_switch(strain):
    """1 up to :data:`_SET_REACH` - :data:`_SET_SWITCH` strain, 0 from :data:`_SET_REACH`, C²
    between (numpy or torch)."""
    x = (strain - (_SET_REACH - _SET_SWITCH)) / _SET_SWITCH
    if isinstance(x, float | np.floating):
        x = min(max(float(x), 0.0), 1.0)
        return 1.0 - x**3 * (10.0 - 15.0 * x + 6.0 * x**2)
    return _smooth_step(x)


def _blend_weights(old_cells, cell):
    """Weights (torch, differentiable through ``cell``, summing to 1) of the sets chosen for
    ``old_cells`` at ``cell``: a softmin of their squared strains over
    :data:`_BLEND_STRAIN2`, each set's weight switched off over the last :data:`_SET_SWITCH`
    of its reach, so that the energy, forces and stress are smooth where the nearest set
    changes and where a set leaves its reach."""
    import torch

    eye = torch.eye(3, dtype=cell.dtype, device=cell.device)
    logits = []
    for old in old_cells:
        strain = torch.linalg.solve(
            torch.as_tensor(old, dtype=cell.dtype, device=cell.device), cell) - eye
        switch = _reach_switch(strain.abs().amax())
        logits.append(-(strain**2).sum() / _BLEND_STRAIN2 + torch.log(switch))
    return torch.softmax(torch.stack(logits), dim=0)


def _charge_capacity(weight, error_bound, tol):
    r"""The range of :math:`\sum_i q_i^2` (e²) over which lattice-sum parameters chosen for
    charges of ``weight`` = :math:`\sum_i q_i^2`, with ``error_bound``, are kept.

    torch-pme's real-space and PME k-space bounds are proportional to :math:`\sum_i q_i^2`
    (Ewald's k-space one to its square root), as is the force error of a sum scaled in its
    charges, so for other charges the bound is at most ``error_bound`` × the ratio of the
    sums: the set is kept up to the sum at which that reaches ``tol`` (or the bound it was
    given with, where it could not meet ``tol``). Below a quarter of ``weight`` the set is
    more accurate than needed and chosen anew (a smearing ~5 % smaller costs ~15 % more
    k-vectors).
    """
    high = weight * max(1.0, tol / error_bound) if error_bound > 0 else math.inf
    return weight / _CHARGE_RANGE_BELOW, high


def _same_group_pairs(groups):
    """Pairs ``(i, j)``, ``i < j``, of atoms with the same group id (e.g. molecule index).

    Built group by group: the ``n × n`` comparison matrix it replaces took 10 GB for 10⁵ atoms.
    """
    groups = np.asarray(groups).reshape(-1)
    order = np.argsort(groups, kind="stable")
    _, starts, sizes = np.unique(groups[order], return_index=True, return_counts=True)
    i_all, j_all = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for size in np.unique(sizes[sizes > 1]):
        ti, tj = np.triu_indices(int(size), k=1)
        first = starts[sizes == size][:, None]
        # a stable sort keeps each group's indices ascending, so i < j
        i_all.append(order[first + ti].ravel())
        j_all.append(order[first + tj].ravel())
    i, j = np.concatenate(i_all), np.concatenate(j_all)
    keep = np.lexsort((j, i))
    return i[keep], j[keep]


#: Å; an atom moved farther than this since the last evaluation makes the structure another
#: one, whose molecules are detected again (an MD or optimiser step moves atoms ~0.01-0.2 Å)
_MOVED = 1.0


def _frame_coordinates(atoms):
    """Coordinates to compare two states of ``atoms`` by: fractional in a periodic cell (a
    barostat's scaling and wrapping leave them unchanged), else relative to the first atom."""
    if np.all(atoms.pbc):
        return atoms.positions @ np.linalg.inv(atoms.cell.array)
    return atoms.positions - atoms.positions[0]


def _largest_move(atoms, before):
    """Largest displacement (Å, minimum image) of an atom from ``before``
    (:func:`_frame_coordinates` of an earlier state)."""
    delta = _frame_coordinates(atoms) - before
    if np.all(atoms.pbc):
        delta = (delta - np.round(delta)) @ atoms.cell.array
    return float(np.linalg.norm(delta, axis=1).max()) if len(delta) else 0.0


def _ewald_terms(atoms, lr_wavelength):
    """k-vectors × atoms of torch-pme's Ewald sum for ``lr_wavelength`` (what we tune, Å).

    We pass torch-pme half the wavelength (see :meth:`Electrostatics._coulomb_per_atom`); it
    keeps ``ceil(|a_k| / λ)`` k-vectors along each cell vector.
    """
    lengths = np.linalg.norm(atoms.cell.array, axis=1)
    # a cutoff of 1e-300 Å asks for an infinite sum: inf (refused), without overflow warnings
    with np.errstate(over="ignore"):
        return float(np.prod(np.ceil(lengths / (0.5 * lr_wavelength)))) * len(atoms)


def _symbol_key(key):
    """Element symbol of a dict key given as a symbol or an atomic number."""
    if isinstance(key, (bool, np.bool_)):
        # True is an int: it was read as atomic number 1, hydrogen
        raise ValueError(f"QRd parameters are keyed by element, not by the flag {key!r}")
    if isinstance(key, (int, np.integer)):
        if not 0 < int(key) < len(chemical_symbols):
            raise ValueError(f"no element with atomic number {key}")
        return chemical_symbols[int(key)]
    if key not in atomic_numbers:
        # ASE's symbols are case-sensitive ("Co" is cobalt, "CO" no element): named, not read
        near = str(key).strip().capitalize()
        hint = f" (did you mean {near!r}?)" if near in atomic_numbers else ""
        raise ValueError(f"unknown element {key!r} in the QRd parameters{hint}")
    return str(key)


#: Largest QRd weight s (dimensionless, relative): at 1e6 one species already takes all the
#: excess charge; 1e308 overflowed their sum and lost the total charge.
_MAX_QRD_WEIGHT = 1e6


def _normalise_qrd(qrd):
    if not isinstance(qrd, dict) or not qrd:
        raise ValueError("scheme='qrd' needs qrd={element: (b, s), ...} with at least one element")
    out = {}
    for key, value in qrd.items():
        if isinstance(value, dict):
            value = (value.get("b"), value.get("s"))
        if isinstance(value, (str, bytes)) or np.ndim(value) != 1 or len(value) != 2:
            raise ValueError(f"the QRd parameters of {key} must be a pair (b, s), got {value!r}")
        symbol = _symbol_key(key)
        if symbol in out:
            # {"Li": (0, 1), 3: (1, 1)} kept the last pair without a word
            raise ValueError(f"the QRd parameters name {symbol} twice ({key!r} is {symbol})")
        # s of 1e308 overflowed the sum of weights: the charges no longer summed to the total
        out[symbol] = (
            check_number(f"QRd b of {key} (e)", value[0], minimum=-MAX_ATOM_CHARGE,
                         maximum=MAX_ATOM_CHARGE),
            check_number(f"QRd s of {key}", value[1], minimum=-_MAX_QRD_WEIGHT,
                         maximum=_MAX_QRD_WEIGHT))
    return out


def _idle_options(p):
    """``{option: why}`` for the options set away from their defaults that the chosen scheme,
    method and short-range treatment never read.

    They were stored and recorded by ``todict()`` as if they shaped the result: a direct sum
    with ``cutoff=9`` and ``tolerance=1e-4`` gave the energy of the default options to the
    last digit, as did ``short_range_length=2`` without a short-range treatment, and QRd
    parameters beside fixed charges were not even checked. Refused as D3 refuses its
    three-body parameters with ``atm=False``.
    """
    idle = {}
    if p["scheme"] != "fixed" and p["charges"] is not None:
        idle["charges"] = f"scheme={p['scheme']!r} does not read fixed charges"
    if p["scheme"] != "qrd" and p["qrd"] is not None:
        idle["qrd"] = f"scheme={p['scheme']!r} does not read QRd parameters"
    if p["scheme"] != "array" and p["array"] != "initial_charges":
        idle["array"] = f"scheme={p['scheme']!r} reads no charge array"
    if p["short_range"] not in ("cutoff", "gaussian") and p["short_range_length"] is not None:
        idle["short_range_length"] = (
            f"short_range={p['short_range']!r} reads no length; 'cutoff' and 'gaussian' do")
    if p["method"] == "direct":
        # the direct sum of a molecule: no lattice sum to cut, bound or neutralise
        if p["cutoff"] != "auto":
            idle["cutoff"] = "method='direct' sums every pair, with no real-space cutoff"
        # 1e-6 spelt in float32 is the default
        if not math.isclose(p["tolerance"], _DEFAULT_TOLERANCE, rel_tol=1e-6):
            idle["tolerance"] = "method='direct' is exact, with no lattice-sum error to bound"
        if p["background"]:
            idle["background"] = ("method='direct' is for non-periodic structures, which have "
                                  "no periodic net charge to neutralise")
    return idle


def _refuse_idle_options(p):
    """ValueError naming the options of :func:`_idle_options`, with how to drop them."""
    idle = _idle_options(p)
    if idle:
        defaults = {"array": "'initial_charges'", "cutoff": "'auto'",
                    "tolerance": f"{_DEFAULT_TOLERANCE:g}", "background": "False"}
        reset = ", ".join(f"{key}={defaults.get(key, 'None')}" for key in idle)
        raise ValueError(
            "option(s) without effect: " + "; ".join(f"{key} ({why})" for key, why in
                                                     idle.items())
            + f"; they would change nothing. Leave them out (set({reset}) on a calculator "
            "that has them) or choose the scheme/method/short_range that reads them")


def _refuse_zero_charges(p):
    """ValueError for options whose charges are zero on every structure they accept.

    ``scheme="fixed"`` with every charge 0, and ``scheme="qrd"`` with every b and s 0 (zero
    charges on a neutral structure; a charged one is refused as undetermined), summed every
    pair at the cost of a lattice sum and added exactly 0 (a box of NaCl: 0.0 eV, forces and
    stress 0) as a valid result, the Coulomb term missing without a word. Refused as D3
    refuses scales that leave it adding exactly 0.
    """
    if p["scheme"] == "fixed" and not np.any(p["charges"]):
        raise ValueError(
            f"scheme='fixed' with all {len(p['charges'])} charges 0 adds exactly 0 to every "
            "structure (each pair term is q_i q_j / r_ij); give the charges (e), or leave the "
            "term out")
    if p["scheme"] == "qrd" and not any(b or s for b, s in p["qrd"].values()):
        raise ValueError(
            "scheme='qrd' with every b and s 0 gives charges 0 to every neutral structure "
            "(it adds exactly 0) and none to a charged one (eq. 8 of Chalykh et al. 2025 is "
            "0/0); give the fitted (b, s) (fit_qrd), or leave the term out")


def _require_atoms(atoms):
    """TypeError unless ``atoms`` is an ase.Atoms: evaluate([atoms], q), get_charges([atoms])
    and check_input(None) ended in "'list' object has no attribute 'positions'" and the like."""
    from ase import Atoms

    if not isinstance(atoms, Atoms):
        raise TypeError(f"atoms must be an ase.Atoms, not a {type(atoms).__name__}")


def _qrd_weight_terms(symbols, s):
    """``"Na: 4 × 1, Cl: 4 × -1"``: the count and weight of each element, for messages."""
    weights = dict(zip(symbols, s, strict=True))
    counts = {x: symbols.count(x) for x in weights}
    return ", ".join(f"{x}: {counts[x]} × {weights[x]:g}" for x in weights)


def qrd_charges(numbers, qrd, total_charge=0.0):
    r"""Charge-redistribution (QRd) charges of a composition.

    .. math::

        q_i = b_{z_i} + s_{z_i}\,\frac{Q_\mathrm{total} - \sum_j b_{z_j}}{\sum_j s_{z_j}}

    (Chalykh et al. 2025, eq. 8), so that :math:`\sum_i q_i = Q_\mathrm{total}` exactly. The charges
    depend on the composition only, never on the positions, and not on the scale of the weights
    (s and c·s give the same charges, for any c ≠ 0).

    Parameters
    ----------
    numbers : array_like of int, shape (n_atoms,)
        Atomic numbers.
    qrd : dict
        ``{element: (b, s)}`` with the element as symbol or atomic number; b in e, s dimensionless.
    total_charge : float
        :math:`Q_\mathrm{total}` in e, at most
        ±:data:`~ase_electrolyte.calculator_charges.MAX_ATOM_CHARGE` per atom (b within
        ±:data:`~ase_electrolyte.calculator_charges.MAX_ATOM_CHARGE`, s within ±1e6).

    Returns
    -------
    numpy.ndarray, shape (n_atoms,)
        Charges in e.

    Raises
    ------
    ValueError
        If ``numbers`` are not one integer atomic number per atom (no bools, fractions,
        symbols or tables), if an element of ``numbers`` has no parameters (named), if
        :math:`\sum_j s_{z_j} = 0` with weights of both signs (the charges are then
        undetermined) or with all weights zero and :math:`\sum_j b_{z_j} \ne Q_\mathrm{total}`,
        or if a charge exceeds ±:data:`~ase_electrolyte.calculator_charges.MAX_ATOM_CHARGE`
        (weights that nearly cancel over the composition). Weights all zero with
        :math:`\sum_j b_{z_j} = Q_\mathrm{total}` are fixed charges: the charges are the b.

    Examples
    --------
    >>> from ase_electrolyte.electrostatics import qrd_charges
    >>> q = qrd_charges([3, 9, 9], {"Li": (0.8, 1.0), "F": (-0.5, 2.0)}, total_charge=0.0)
    >>> [round(float(x), 6) for x in q], round(float(q.sum()), 12)
    ([0.84, -0.42, -0.42], 0.0)
    """
    qrd = _normalise_qrd(qrd)
    numbers = atomic_number_values(numbers)
    symbols = [chemical_symbols[z] for z in numbers]
    missing = sorted(set(symbols) - set(qrd), key=lambda s: atomic_numbers[s])
    if missing:
        raise ValueError(f"no QRd parameters (b, s) for the element(s) {', '.join(missing)}")
    limit = MAX_ATOM_CHARGE * max(1, len(numbers))
    total_charge = check_number(f"the total charge (e, at most ±{limit:g} for {len(numbers)} "
                                "atoms)", total_charge, minimum=-limit, maximum=limit)
    if len(numbers) == 0:
        return np.zeros(0)
    b = np.array([qrd[s][0] for s in symbols])
    s = np.array([qrd[s][1] for s in symbols])
    s_sum = s.sum()
    excess = total_charge - float(b.sum())
    # eq. 8 is unchanged by s -> c s: weights are judged relative to their largest, so that
    # s = 1e-13 for every element is s = 1 (it was refused as summing to zero), and 1e-300 is
    # neither lost to underflow nor divided into inf
    scale = float(np.abs(s).max())
    w = s / scale if scale > 0 else s
    if abs(w.sum()) <= 1e-12 * float(np.abs(w).sum()):
        if not np.any(s) and abs(excess) <= net_charge_tolerance(b):
            # weights s = 0 are fixed charges b: with nothing to redistribute the charges are
            # the b (the neutral NaCl of b = ±1, s = 0 was refused as weights summing to zero)
            return b
        if not np.any(s):
            raise ValueError(
                f"the QRd weights s of this composition are all zero (fixed charges b), so "
                f"the b summing to {float(b.sum()):.6g} e cannot be brought to the total "
                f"charge {total_charge:.6g} e; give a weight s != 0 to an element present "
                "or fix the total charge")
        # weights of both signs cancelling: any multiple of s added to b keeps the total, so
        # eq. 8 leaves the charges undetermined (0/0 or a finite excess over 0)
        raise ValueError(
            f"the QRd weights s of this composition sum to zero ({_qrd_weight_terms(symbols, s)})"
            ", so eq. 8 of Chalykh et al. 2025 leaves the charges undetermined; give weights "
            "that do not cancel over this composition")
    q = b + w * (excess / w.sum())
    # weights of both signs that nearly cancel over one composition (s_O = 1, s_H = -0.5 + 1e-9
    # for H2O+) divided by ~1e-9: charges of 5e8 e and energies of 1e18 eV were returned as
    # valid
    largest = float(np.abs(q).max())
    if largest > MAX_ATOM_CHARGE:
        raise ValueError(
            f"QRd gives a charge of {largest:.3g} e (limit ±{MAX_ATOM_CHARGE:g} e per atom) for "
            f"this composition: its weights s sum to {s_sum:.3g} (nearly cancelling) while "
            f"{excess:.3g} e is to be redistributed; check the (b, s) "
            "parameters or the total charge")
    return q


class Electrostatics(ParametersContract, _AseCalculator):
    r"""Coulomb energy of atomic point charges as an ASE calculator (Ewald, PME or direct sum).

    .. math::

        E = \frac{1}{4\pi\varepsilon_0}\sum_{i<j}{}^{'} \frac{q_i q_j}{r_{ij}}
            - \frac{1}{4\pi\varepsilon_0}\sum_{(i,j)\in\mathcal S} q_i q_j\,\frac{g(r_{ij})}{r_{ij}}

    The first sum runs over all pairs and, for a 3D-periodic cell, over all their periodic images
    (conditionally convergent; evaluated by Ewald or particle-mesh Ewald with tin-foil boundary
    conditions). The optional second term removes short-range pairs :math:`\mathcal S` that the
    MLIP already describes (``short_range``). This is the QRd term of Chalykh et al. (2025),
    eq. 7, when ``scheme="qrd"``; in that paper the Coulomb sum covers *all* pairs, without damping
    or exclusion, so ``short_range=None`` is the default.

    Parameters
    ----------
    scheme : {"qrd", "fixed", "array"}
        Where charges come from: QRd parameters (``qrd``), fixed per-atom charges (``charges``)
        or the per-atom array named ``array`` of the Atoms (e.g. ``"initial_charges"``).
    qrd : dict, optional
        ``{element: (b, s)}`` (symbol or atomic number → b in e, s dimensionless), see
        :func:`qrd_charges`. Every b and s 0 is refused (it adds exactly 0).
    charges : array_like, optional
        Per-atom charges in e for ``scheme="fixed"``, each within ±10 e; all 0 is refused (it
        adds exactly 0).
    array : str
        Name of the ``Atoms.arrays`` entry for ``scheme="array"``. An array that is 0 on
        every atom of a structure is summed (0 eV): the term evaluated on a neutral molecule
        of a box it serves (``array="formal_charge"``, an intra/inter split) adds nothing.
    total_charge : float, optional
        :math:`Q_\mathrm{total}` (e) for QRd. If ``None``: the net charge the Atoms declares
        (:func:`ase_electrolyte.calculator_charges.declared_total_charge`: the sum of the
        ``formal_charge`` array written by :func:`ase_electrolyte.electrolyte_box`, or
        ``atoms.info["charge"]``; where both are present they must agree), else 0. With
        ``scheme="fixed"`` or ``"array"`` it is a check: charges that do not sum to it (within
        10⁻⁶ e, or N · 2⁻²⁴ · max|q|, the round-off of N charges read as float32, where that is
        larger) are refused; if ``None``, charges that do not sum to the Atoms' declared net
        charge are (for one structure's charges meant to sum to another value; for scaled
        ionic charges see ``charge_scale``).
    charge_scale : float
        Ratio of this term's net charge to the net charge the Atoms declares (default 1), for
        force-field charges scaled to mimic electronic polarisation (e.g. 0.8 e for Li⁺ and
        PF₆⁻, 0.7-0.9 common): with ``total_charge=None`` the charges of ``scheme="fixed"`` or
        ``"array"`` must sum to ``charge_scale`` × the declared net charge, and QRd takes
        :math:`Q_\mathrm{total}` = ``charge_scale`` × the declared one. One scale serves every
        structure, where one ``total_charge`` cannot: the neutral box, each isolated ion
        (Li⁺ declared +1, charges summing to 0.8) and each solvent molecule of an intra/inter
        split (:func:`mda_electrolyte.molecules.isolated_molecules` declares each molecule's
        formal charge, which a charge-aware model reads). Given with ``total_charge``, which
        already fixes the sum, it is refused.
    method : {"auto", "ewald", "pme", "direct"}
        ``"auto"``: direct sum for molecules, Ewald for periodic cells up to 500 atoms, PME above
        (and for a sparse, large cell whose Ewald sum would hold more than 2²³ k-vector × atom
        terms). An explicit ``"ewald"`` above 2²⁶ terms (~4 GiB) is refused, as is a PME mesh
        above 2²⁴ points. The choice is made with the lattice-sum set of a cell (below): in a
        fixed cell (NVE, NVT) it is never made again, so the energy has no jump; under NPT it is
        made anew with the set once the cell is strained 5 %, where PME's cutoff may change
        too (580 atoms of LiPF6/EC/EMC at 10⁻⁶: 10 Å, 32³ to 8 Å, 64³; the energy moved by
        1.0e-4 eV, 4.2e-3 eV at 10⁻⁴; 232 atoms, Ewald: 6e-6 eV and 1.1e-3 eV). PME's first
        choice measures its mesh error (~14 k-space sums, 13-15 of its steps at 580-850 atoms,
        one torch thread; repaid after 3-7 steps by its cheaper step than Ewald's, see
        benchmarks/bench_electrostatics_first_call.py).
        ``"direct"`` is for non-periodic structures only; it is exact and reads no lattice-sum
        option, so a numeric ``cutoff``, a ``tolerance`` other than the default or
        ``background=True`` given with it are refused as without effect. With ``"auto"`` they
        are read for every 3D-periodic structure and not refused on a molecule, which sums
        directly: one term serves a box and its isolated molecules
        (:mod:`mda_electrolyte.intra_inter_errors` evaluates both with the box's calculator),
        as D3's ``tail_correction`` corrects boxes and leaves molecules alone.
    tolerance : float
        Accuracy of the lattice sum, in [10⁻¹⁵, 10⁻³]: torch-pme's bound on the RMS force error in
        units of the force between two unit charges at 1 Å (as LAMMPS' ``kspace_modify``
        accuracy). The energy is not bounded by it: at 10⁻³ it was within 22 meV/atom of the
        exact sum (rattled NaCl, cutoffs 5-15 Å), at 10⁻² 0.12 eV/atom off, at 0.1 1.7 eV/atom,
        so looser values are refused (torch-pme recommends 10⁻³ for speed, 10⁻⁶ for accuracy).
        Per ion, the energies of rocksalt and CsCl-type crystals were within 0.05-0.73 ×
        ``tolerance`` × :data:`COULOMB` (eV; 10⁻³-10⁻⁶, Ewald, 2-64 ions) of their Madelung
        energies: the error is per ion, so a crystal's grows with its size (8 ions 4e-4 eV,
        64 ions 3e-3 eV at 10⁻⁵).
        Smearing, k-space resolution and mesh are chosen from torch-pme's error bounds. Ewald
        meets it at every cutoff (measured: 0.35-0.45 × the tolerance at 5 Å, 0.6-0.72 × at
        8-16 Å, 12-64 random ions in 7-12 Å boxes; the real-space half counts the switch of
        the pairs beyond the cutoff, without which the errors were 0.9-1.2 × at 12-16 Å).
        torch-pme's PME bound is an estimate its errors exceed by 2-24 ×, so PME's mesh error
        is measured when the mesh is chosen (against a mesh half as fine at interpolation
        order 7) and the order, then the mesh, raised until it meets its share: measured
        0.65-1.04 × the tolerance (RMS of the error vectors), ``error_bound`` 0.7-0.97 ×.
        A mesh above 2²¹ points is not measured (its reference would pass the mesh limit):
        it keeps the estimate's mesh with a :class:`PMEErrorNotMeasuredWarning` and an
        ``error_bound`` 25 × the estimate.
        The stress is not bounded by it either: on rattled NaCl the virial's pressure was
        0.13 bar (Ewald) and 1.8 bar (PME) off at 10⁻⁶, and 226-363 bar off at 10⁻⁴, so an NPT
        run or an equation of state with explicit electrostatics wants 10⁻⁶.
    cutoff : float or "auto"
        Real-space cutoff in Å for Ewald/PME, above 0.1 Å (the closest distance accepted); the
        Gaussian smearing follows from it and ``tolerance``. ``"auto"`` (default): 8 Å for
        Ewald; for PME the cutoff among 8, 10, 12 and 14 Å whose step costs least (mesh points +
        spline stencil points + real-space pairs, each mesh measured). The PME mesh is a power
        of two per axis: at 10⁻⁶ a fixed 8 Å needed 128³ points from ~1700 atoms of a liquid on,
        and its step took 2.7-3 × that of the automatic 10 Å at 1728 atoms, 1.6-2.9 × that of
        12 Å at 2744. The cutoff chosen is in :meth:`lattice_parameters`. The real-space pairs
        are switched off smoothly (a C² step) from the cutoff to 0.5 Å beyond it and the Ewald
        k-vectors from 1.1 to 1.25 × the bound's k-space cutoff, so that the energy, forces and
        stress are continuous in the positions and the cell (a pair or k-vector crossing a sharp
        cutoff made the energy jump: 5.4e-5 eV at 10⁻⁶, 8 ions in an 8 Å box strained through
        the 8 Å cutoff); the PME mesh chosen for a cell is kept, scaled, while the parameters
        are. They are chosen anew once the cell is strained 5 % from the one they were chosen
        for; the energy then moves by the difference of two sums' errors (64 random charges,
        Ewald: 1.4e-6 eV at 10⁻⁶, 6.3e-4 eV at 10⁻⁴, 0.002-0.007 × ``tolerance`` ×
        :data:`COULOMB` per charge). Up to 8 sets are kept and a cell takes the nearest; about
        the middle between two kept cells (±0.3 % strain where they are 5 % apart) their
        energies are blended with weights smooth in the cell, whose derivative the stress
        holds, so that a cell swinging about the middle (NPT after the volume moved 5 %) does
        not jump between the two sets at each crossing (1.3e-5 eV, 16 ions at 10⁻⁴; such a
        step costs two sums); a set's weight is switched off over the last 0.5 % of its reach,
        so one leaving it while it still weighs does not jump either. Charges that change from
        call to call (``scheme="array"`` fed by a charge model) keep the set while its error
        bound, scaled with :math:`\sum_i q_i^2` as torch-pme's bounds are, stays within
        ``tolerance`` (and the sum above a quarter of the one it was chosen for); a set chosen
        anew for other charges leaves room for a sum 25 % larger.
    background : bool
        Allow a net charge under periodic boundaries, neutralised by a uniform background
        (without it a charged periodic cell raises :class:`ValueError`; a net charge within
        the tolerance of ``total_charge``'s check is round-off, taken as neutral).
    short_range : {None, "molecules", "cutoff", "gaussian"}
        Short-range treatment: ``None`` all pairs (Chalykh et al. 2025); ``"molecules"`` drops
        intramolecular pairs (molecules from the ``molecule_index`` array, else covalent bonds);
        ``"cutoff"`` removes :math:`q_iq_j f(r)/r` with the raised-cosine switch
        :math:`f(r) = (1+\cos(\pi r / r_s))/2` for :math:`r < r_s`; ``"gaussian"`` damps
        :math:`1/r \to \mathrm{erf}(r/(\sqrt2 a))/r` (Gaussian charges of width ``a``).
    short_range_length : float, optional
        :math:`r_s` (``"cutoff"``) or :math:`a` (``"gaussian"``) in Å; refused with the other
        treatments, which read no length.
    device : str, ase_electrolyte.device.Device or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (a GPU when torch sees one);
        ``parameters["device"]`` holds the device used (``"cpu"`` or ``"cuda:N"``).
    dtype : {"float64", "float32"}
        torch precision. float32 takes a ``tolerance`` of 10⁻⁶ or looser (its round-off, about
        10⁻⁷ of the unit force, gave force errors 10 × a tolerance of 10⁻⁸).

    Notes
    -----
    ASE's parameters contract: every option is in ``calc.parameters``; ``set(**options)``
    checks them together and resets the results; the lattice-sum set-ups chosen so far are
    dropped only when ``method``, ``tolerance`` or ``cutoff`` changes (the options they are
    chosen from), or the charge model (``scheme``, ``qrd``, ``charges``, ``array``,
    ``charge_scale``, ``total_charge``: another model, whose numbers are a fresh
    calculator's), so that the energy of a cell does not move with an unrelated option;
    ``todict()`` holds every option and ``Electrostatics(**calc.todict())`` is the same term.
    The word options (``scheme``, ``method``, ``short_range``, ``dtype``) are read in any case
    and spacing and recorded in lower case, as D3's ``damping``; a misspelt one is refused
    naming the near choice.
    A bad option or structure raises ``InputError`` (ASE's, also a ``ValueError``); a
    non-finite result ``CalculationFailed``.

    An option that the chosen scheme, method or short-range treatment never reads (fixed
    ``charges`` or a non-default ``array`` under another scheme, ``qrd`` beside fixed or
    array charges, ``short_range_length`` without ``"cutoff"``/``"gaussian"``, the
    lattice-sum options of ``method="direct"``) is refused, as D3 refuses three-body
    parameters with ``atm=False``: it would be recorded by ``todict()`` without changing any
    number. To change the scheme, drop the old scheme's options in the same call
    (``set(scheme="fixed", charges=q, qrd=None)``).

    ``initial_charges`` that the scheme does not read (QRd, fixed charges) are compared with
    it: a sum that is neither the net charge of the charges used nor the declared one (a net
    charge given only there) gives an :class:`UnreadChargesWarning`; ASE's ``check_state``
    compares them, so a change re-evaluates.

    Units are ASE's: eV, eV/Å, eV/Å³ (Voigt xx, yy, zz, yz, xz, xy), with the Coulomb constant
    :data:`COULOMB` = Hartree·Bohr = 14.3996 eV·Å. Per-atom energies ``energies`` are
    :math:`q_i\phi_i/2` plus half of each removed short-range pair. QRd charges depend only on the
    composition, so the forces have no charge-derivative term. Checks (before any sum): missing QRd
    parameters (elements named), a charged periodic cell without ``background=True``, a tolerance
    outside [10⁻¹⁵, 10⁻³] (float32: [10⁻⁶, 10⁻³]), a zero-volume cell, partial periodicity
    (unsupported), charges that contradict a given ``total_charge`` or exceed ±10 e on an atom
    (:data:`~ase_electrolyte.calculator_charges.MAX_ATOM_CHARGE`; charges in another unit), a
    ``molecule_index`` that is not whole numbers, a molecule spanning half the periodic cell
    (``short_range="molecules"``), and a pair list (real-space cutoff, short-range reach,
    intramolecular pairs, the direct sum of a molecule) of more than 2²⁵ pairs (~6 GiB with the
    autograd graph: e.g. a 400 Å cutoff in a 6 Å box, ~3·10⁵ atoms of a liquid at 8 Å, or a
    9000-atom cluster).

    Examples
    --------
    Rocksalt NaCl with ±1 charges: the Madelung constant 1.747565 (per ion pair, in units of
    :math:`e^2/(4\pi\varepsilon_0 r_0)`).

    >>> from ase.build import bulk
    >>> from ase_electrolyte import Electrostatics
    >>> from ase_electrolyte.electrostatics import COULOMB
    >>> atoms = bulk("NaCl", "rocksalt", a=5.64)
    >>> qrd = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}
    >>> atoms.calc = Electrostatics(scheme="qrd", qrd=qrd, tolerance=1e-10)
    >>> round(-atoms.get_potential_energy() * (5.64 / 2) / COULOMB, 6)
    1.747565
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies", "charges"]
    default_parameters = {
        "scheme": "qrd",
        "qrd": None,
        "charges": None,
        "array": "initial_charges",
        "total_charge": None,
        "charge_scale": 1.0,
        "method": "auto",
        "tolerance": _DEFAULT_TOLERANCE,
        "cutoff": "auto",
        "background": False,
        "short_range": None,
        "short_range_length": None,
        "device": "cpu",
        "dtype": "float64",
    }

    def __init__(self, **kwargs):
        ase_keywords = self._split_ase_keywords(kwargs)
        self._check_names(kwargs)
        super().__init__(**ase_keywords)
        self._initialise(kwargs)

    def _configure(self, p, old, given):
        """Check the options together; the cached sum set-up is dropped when they change."""
        p = dict(p)
        check_flag("background", p["background"])
        # a numpy bool made todict() and save() fail: "Object of type bool_ is not JSON
        # serializable"
        p["background"] = bool(p["background"])
        p["scheme"] = choice_word("scheme", p["scheme"], _SCHEMES)
        if p["scheme"] == "qrd":
            p["qrd"] = _normalise_qrd(p["qrd"])
        elif p["scheme"] == "fixed" and p["charges"] is None:
            raise ValueError("scheme='fixed' needs charges=[q_0, q_1, ...] (e)")
        if p["charges"] is not None:
            # checked under every scheme: a value the scheme does not read (yet) is stored,
            # recorded by todict() and read after set(scheme="fixed"); 'x', NaN or an object
            # was kept until then.
            # A list of floats: todict() is then plain JSON, and a numpy array's repr, which
            # elides the middle of a long array, never stands for it in a fingerprint
            p["charges"] = charge_values(p["charges"], "the fixed charges").tolist()
        p["method"] = choice_word("method", p["method"], _METHODS)
        p["tolerance"] = check_number(
            f"tolerance, in (0, {_MAX_TOLERANCE:g}],", p["tolerance"], above=0)
        if p["tolerance"] > _MAX_TOLERANCE:
            raise ValueError(
                f"tolerance must lie in (0, {_MAX_TOLERANCE:g}], got {p['tolerance']!r}: it bounds "
                "the RMS force error of the lattice sum, not its energy, which a looser one puts "
                "off by 0.1-2 eV/atom (rocksalt NaCl: 0.12 eV/atom at 1e-2); torch-pme recommends "
                "1e-3 for speed, 1e-6 for accuracy (the default)")
        if p["tolerance"] < _MIN_TOLERANCE:
            # 5e-324 halved to 0 in the tuning: a ZeroDivisionError; 1e-20 "met" a bound the
            # float64 sums cannot hold
            raise ValueError(
                f"tolerance must be at least {_MIN_TOLERANCE:g}, got {p['tolerance']!r}: it is an "
                "RMS force error in units of the force between two unit charges 1 Å apart, and "
                "the float64 lattice sums round off at about 1e-15 of that")
        if isinstance(p["cutoff"], str):
            # in any case and spacing, as every option word ("AUTO", " Auto "); a number
            # spelt as a string ("8") is refused by check_number below with its type
            try:
                float(p["cutoff"])
            except ValueError:
                p["cutoff"] = choice_word("cutoff, a number in Å or the word,",
                                          p["cutoff"], ("auto",))
        if not (isinstance(p["cutoff"], str) and p["cutoff"] == "auto"):
            # above the closest distance accepted (0.1 Å), as D3's cutoffs: a real-space sum
            # within it holds no pair, and 5e-324 Å divided by zero in the tuning
            p["cutoff"] = check_number("cutoff (Å) or 'auto'", p["cutoff"], above=_MIN_DISTANCE)
        p["total_charge"] = check_number("total_charge (e)", p["total_charge"], allow_none=True)
        p["charge_scale"] = check_number("charge_scale (net charge of the term's charges over "
                                         "the declared one)", p["charge_scale"], above=0)
        if p["total_charge"] is not None and p["charge_scale"] != 1.0:
            # which one would fix the sum of an isolated ion's charges?
            raise ValueError(
                f"total_charge={p['total_charge']:g} and charge_scale={p['charge_scale']:g} both "
                "set the net charge: give total_charge for one structure's charges, or "
                "charge_scale (with total_charge=None) for charges scaled from the declared one")
        if not isinstance(p["array"], str):
            raise TypeError(f"array must be the name of a per-atom array, not {p['array']!r}")
        p["short_range"] = choice_word("short_range", p["short_range"], _SHORT_RANGE)
        if p["short_range"] in ("cutoff", "gaussian") and p["short_range_length"] is None:
            raise ValueError(
                f"short_range={p['short_range']!r} needs short_range_length > 0 (Å)"
            )
        # checked with any short_range, as the charges above
        p["short_range_length"] = check_number(
            "short_range_length (Å)", p["short_range_length"], above=0, allow_none=True)
        p["dtype"] = choice_word("dtype", p["dtype"], ("float64", "float32"))
        # 1e-6 spelt in float32 (np.float32(1e-6) is 9.99999997e-07) is 1e-6
        if p["dtype"] == "float32" and p["tolerance"] < _MIN_TOLERANCE_FLOAT32 * (1 - 1e-6):
            # the bound was "met" by a tuning that cannot see round-off: force errors 10 ×
            # the tolerance at 1e-8 and 1000 × at 1e-10 were returned without a word
            raise ValueError(
                f"tolerance {p['tolerance']:g} is tighter than float32 lattice sums reach (their "
                f"round-off gave force errors 10 × a tolerance of 1e-8, 1000 × one of 1e-10); "
                f"give dtype='float64' or a tolerance of at least {_MIN_TOLERANCE_FLOAT32:g}")
        _refuse_idle_options(p)
        _refuse_zero_charges(p)
        # the one device vocabulary; "auto" settles on a GPU torch sees, else the CPU
        p["device"] = str(resolve_device(p["device"]))
        if old is None:
            self._molecules = None
            self._stored_molecules = None
        # the lattice-sum sets depend on these options alone (the device and dtype measure the
        # same mesh; the charges of one charge model are checked against each set's range when
        # it is taken): set() of another option (background, short_range, device...) dropped them,
        # and the next call chose a new set for the cell it then had: the energy moved by the
        # difference of two sums' errors (2.6e-4 eV, 32 ions at 1e-4 after a 3 % strain) and a
        # PME term paid its tuning again. The molecules found (bonds detected once per run)
        # depend on no option either: found anew, a stretched bond could switch a pair
        if old is None or any(p[key] != old[key] for key in _LATTICE_OPTIONS):
            self._tuned = []
            self._tuned_count = 0
        # sums of unread initial charges already warned about (UnreadChargesWarning)
        self._unread_warned = set()
        return p

    def __repr__(self):
        p = self.parameters
        return (
            f"Electrostatics(scheme={p['scheme']!r}, method={p['method']!r}, "
            f"tolerance={p['tolerance']:g}, short_range={p['short_range']!r})"
        )

    # ---------------------------------------------------------------- charges and checks
    @applies_direct_edits
    def total_charge(self, atoms):
        """:math:`Q_\\mathrm{total}` (e) used for ``atoms`` by the QRd scheme."""
        _require_atoms(atoms)
        if self.parameters["total_charge"] is not None:
            return float(self.parameters["total_charge"])
        # a NaN here would make every charge NaN, and torch-pme's tuning would then ask for
        # an astronomically fine mesh instead of failing; the formal charges' sum was taken
        # over an info['charge'] that said otherwise (declared_total_charge refuses that)
        declared = declared_total_charge(atoms)
        return 0.0 if declared is None else self.parameters["charge_scale"] * declared

    @applies_direct_edits
    def get_charges(self, atoms=None):
        """Per-atom charges (e) of ``atoms`` under this calculator's scheme.

        Parameters
        ----------
        atoms : ase.Atoms, optional
            Defaults to the last calculated structure.

        Returns
        -------
        numpy.ndarray, shape (n_atoms,)

        Raises
        ------
        ValueError
            No ``atoms`` and none evaluated yet; charges the scheme cannot give for
            ``atoms`` (missing QRd parameters or charge array, a count or total that does
            not fit).
        """
        atoms = self.atoms if atoms is None else atoms
        if atoms is None:
            # 'NoneType' object has no attribute 'numbers'
            raise ValueError("no structure evaluated yet: pass the atoms, get_charges(atoms)")
        _require_atoms(atoms)
        p = self.parameters
        if p["scheme"] == "qrd":
            return qrd_charges(atoms.numbers, p["qrd"], self.total_charge(atoms))
        if p["scheme"] == "fixed":
            q = p["charges"]
        else:
            if p["array"] not in atoms.arrays:
                raise ValueError(f"the Atoms has no per-atom array {p['array']!r} for charges")
            q = charge_values(atoms.arrays[p["array"]], f"the {p['array']!r} array")
        if len(q) != len(atoms):
            raise ValueError(f"{len(q)} charges for {len(atoms)} atoms")
        q = np.array(q, dtype=float)
        source = ("the fixed charges sum" if p["scheme"] == "fixed"
                  else f"the {p['array']!r} array sums")
        stated = p["total_charge"]
        # a stated total was silently ignored: charges summing to 0 were used for a cell
        # declared to carry +1 e
        if stated is not None and abs(float(q.sum()) - stated) > net_charge_tolerance(q):
            raise ValueError(
                f"{source} to {float(q.sum()):.6g} e, not the stated total_charge "
                f"{stated:.6g} e; fix the charges or total_charge (None: no check)")
        # without a stated total, the Atoms' own declaration: initial charges summing to +1 e
        # in a cell whose info['charge'] (read by a charge-aware model) said 0 were summed as
        # a charged cell, the model told it was neutral
        declared = declared_total_charge(atoms) if stated is None else None
        scale = p["charge_scale"]
        if declared is not None and abs(float(q.sum()) - scale * declared) > \
                net_charge_tolerance(q):
            expected = (f"a net charge of {declared:.6g} e" if scale == 1.0 else
                        f"a net charge of {declared:.6g} e, × charge_scale {scale:g} = "
                        f"{scale * declared:.6g} e")
            hint = f" (× {float(q.sum()) / declared:.6g}?)" if declared else ""
            raise ValueError(
                f"{source} to {float(q.sum()):.6g} e, but the Atoms declares {expected} "
                f"(atoms.info['charge'] or the {FORMAL_CHARGE!r} array); fix the charges or "
                "the declaration, give charge_scale for ionic charges scaled from the formal "
                f"ones{hint}, or total_charge for one structure's charges meant to sum to "
                "another value")
        return q

    @applies_direct_edits
    def check_elements(self, atoms):
        """Raise :class:`ValueError` naming the elements without QRd parameters."""
        _require_atoms(atoms)
        if self.parameters["scheme"] == "qrd":
            qrd = self.parameters["qrd"]
            missing = sorted({s for s in atoms.get_chemical_symbols() if s not in qrd})
            if missing:
                raise ValueError(
                    f"no QRd parameters (b, s) for the element(s) {', '.join(missing)}"
                )

    @applies_direct_edits
    def check_input(self, atoms, overlaps=True):
        """Raise what :meth:`calculate` would refuse in ``atoms``, without any sum.

        The checks of the structure (elements without QRd parameters, non-finite positions,
        degenerate cells, partial periodicity, a ``method`` that does not fit the
        periodicity, a bad ``molecule_index``, with ``overlaps`` atoms closer than 0.1 Å),
        of its charges (count, finiteness, stated total, a charged periodic cell without
        ``background``) and of the pair lists' memory. The
        :class:`~ase_electrolyte.Calculator` runs it before its model, so that a structure
        this term refuses costs no model evaluation.

        Parameters
        ----------
        atoms : ase.Atoms
        overlaps : bool
            Also look for atoms closer than 0.1 Å (a caller that has just looked with the
            same distance passes ``False``).

        Raises
        ------
        ase.calculators.calculator.InputError
            Also a ``ValueError``.
        """
        with input_errors():
            self._check(atoms, overlaps)
            self._check_sum(atoms, self.get_charges(atoms))

    def _check_sum(self, atoms, q):
        """ValueError for a charged periodic cell without background or pair lists beyond
        memory (before any sum)."""
        net = float(np.sum(q))
        if (bool(np.all(atoms.pbc)) and abs(net) > net_charge_tolerance(q)
                and not self.parameters["background"]):
            raise ValueError(
                f"the periodic cell carries a net charge of {net:.6g} e; give background=True to "
                "neutralise it by a uniform background, or fix total_charge/the charges"
            )
        self._check_pair_budget(atoms)

    def _check(self, atoms, overlaps=True):
        self.check_elements(atoms)
        self._check_structure(atoms, overlaps)

    def _check_structure(self, atoms, overlaps):
        """:meth:`_check` but the elements (charges given by the caller need no parameters)."""
        _require_atoms(atoms)
        if len(atoms) == 0:
            raise ValueError("Electrostatics needs at least one atom")
        # a term pickled on a GPU machine and unpickled on one without (a dask worker) kept
        # its "cuda:0" and failed in torch, after the model of a Calculator had been paid for
        resolve_device(self.parameters["device"])
        # coincident atoms (or an atom and its image in a nearly singular cell) give a huge
        # finite Coulomb energy, not a NaN: refused here, as D3 does (also non-finite
        # positions and degenerate cells)
        # a zero cell vector first: check_number_density divides by the lengths' product
        # (ZeroDivisionError)
        check_atoms(atoms)
        # two net charges declared (info['charge'] and the formal charges' sum) are refused
        # under every scheme: another term or the model reads the one this term does not
        declared_total_charge(atoms)
        pbc = np.asarray(atoms.pbc, dtype=bool)
        if pbc.any():
            # a cell 0.001 Å thin (a vector that short) was blamed on nm units below; named
            # first, whatever ``overlaps`` says (every atom overlaps its own image)
            _check_thin_cell(np.asarray(atoms.cell[:], dtype=float), pbc, "Electrostatics",
                             _MIN_DISTANCE)
        # a cell in nm: named as such, before its crowded images are named as overlaps
        check_number_density(atoms, "Electrostatics")
        if overlaps:
            check_overlaps(atoms, _MIN_DISTANCE, "Electrostatics")
        if pbc.any() and not pbc.all():
            raise ValueError(
                f"partial periodicity pbc={pbc.tolist()} is not supported (no 2D/1D lattice "
                "sum): for a slab or wire set pbc=True with a vacuum along the non-periodic "
                "axes (its periodic images across the vacuum then interact, mainly through "
                "their dipoles), or pbc=False for a molecule or cluster"
            )
        if self.parameters["method"] == "direct" and pbc.all():
            raise ValueError("method='direct' is for non-periodic structures; use 'ewald' or 'pme'")
        if self.parameters["method"] in ("ewald", "pme") and not pbc.all():
            raise ValueError(f"method={self.parameters['method']!r} needs a 3D-periodic cell")
        if self.parameters["short_range"] == "molecules":
            # a bad molecule_index, a molecule too large for memory or spanning half the
            # cell is refused before the lattice sum (and a Calculator's model), not after it
            self._intramolecular_pairs(atoms)

    # ---------------------------------------------------------------- ASE interface
    def _untracked_inputs(self, atoms):
        """What the charges and the removed pairs read from ``atoms`` besides positions,
        numbers, cell, pbc and initial charges (which ASE's ``check_state`` compares)."""
        p = self.parameters
        keys = [MOLECULE_INDEX] if p["short_range"] == "molecules" else []
        if p["scheme"] == "array":
            keys.append(p["array"])
        out = {f"atoms.arrays[{k!r}]": atoms.arrays.get(k) for k in keys}
        # read under every scheme: the QRd total, the check of a charge array's sum, and the
        # refusal of two declarations that disagree
        out.update(declaration_inputs(atoms))
        return out

    def untracked_changes(self, old, atoms):
        """Names of the inputs of this term that differ between ``old`` and ``atoms`` and that
        ASE's ``check_state`` does not compare: ``atoms.info["charge"]``, the
        ``formal_charge``, charge (``scheme="array"``) and ``molecule_index`` arrays.

        Parameters
        ----------
        old, atoms : ase.Atoms or None
            ``None`` for ``old`` (nothing evaluated yet) gives no names.

        Returns
        -------
        list of str
        """
        if old is None:
            return []
        before, now = self._untracked_inputs(old), self._untracked_inputs(atoms)
        return [key for key in now if not same_input_value(before[key], now[key])]

    def check_state(self, atoms, tol=1e-15):
        """ASE's changes, plus ``"charges"`` when an input of the charges or of the removed
        pairs changed (:meth:`untracked_changes`): a changed ``atoms.info["charge"]`` must not
        return the previous energy. ``atoms`` that is no ase.Atoms raises TypeError (ASE's
        comparison failed with "'list' object has no attribute 'cell'")."""
        _require_atoms(atoms)
        changes = super().check_state(atoms, tol)
        if self.untracked_changes(self.atoms, atoms):
            changes = [*changes, "charges"]
        return changes

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        """Energy, forces, per-atom energies (and stress for a periodic cell) in one pass."""
        if atoms is not None:
            with input_errors():
                self._check(atoms)
        super().calculate(atoms, properties, system_changes)
        if "stress" in properties and not self.atoms.pbc.all():
            raise PropertyNotImplementedError(
                f"stress needs a 3D-periodic cell; this structure has pbc={self.atoms.pbc.tolist()}"
            )
        with input_errors():
            q = self.get_charges(self.atoms)
            results = self._evaluate(self.atoms, q)
        check_finite(results, self.atoms, "Electrostatics")
        # the charges summed, as ASE's charge-giving calculators keep them (a Calculator
        # summing this term in gives them as its own)
        results["charges"] = np.array(q, dtype=np.float64)
        self._warn_unread_charges(self.atoms, q)
        self.results = results

    def _warn_unread_charges(self, atoms, q):
        """:class:`UnreadChargesWarning` for ``initial_charges`` this term does not read whose
        sum matches neither the charges ``q`` it uses nor the declared net charge."""
        p = self.parameters
        if "initial_charges" not in atoms.arrays or (
                p["scheme"] == "array" and p["array"] == "initial_charges"):
            return
        used = float(np.sum(q))
        declared = declared_total_charge(atoms)
        net = unread_charge_sum(atoms, [used] + ([] if declared is None else [declared]),
                                self._unread_warned)
        if net is None:
            return
        warnings.warn(
            f"the Atoms' initial_charges sum to {net:.6g} e, but this Electrostatics term "
            f"(scheme={p['scheme']!r}) does not read them: its charges sum to {used:.6g} e"
            + ("" if declared is None else f" (declared net charge {declared:.6g} e)")
            + "; declare the net charge in atoms.info['charge'] or the formal_charge array, "
            "or use scheme='array' to take the initial charges", UnreadChargesWarning,
            stacklevel=3)

    def get_properties(self, properties, atoms):
        """Dict of the requested properties for ``atoms`` (one evaluation for all of them).

        ``properties`` is a list of names (one name as a string is that one); ``"stress"``
        is skipped for structures without a periodic 3D cell. A name the term does not
        implement raises ``PropertyNotImplementedError`` (``"energy"`` was read letter by
        letter and ``"forcez"`` skipped: both gave an empty dict).
        """
        from .d3.calculator import _property_names

        properties = _property_names(properties, self.implemented_properties, "Electrostatics")
        self.get_property("energy", atoms)
        return {name: self.results[name] for name in properties if name in self.results}

    @applies_direct_edits
    def evaluate(self, atoms, charges):
        """Coulomb energy, forces, per-atom energies and stress of ``atoms`` with ``charges``.

        Parameters
        ----------
        atoms : ase.Atoms
            Positions and cell (not modified, no calculator needed).
        charges : array_like, shape (n_atoms,)
            Charges in e, each within ±:data:`~ase_electrolyte.calculator_charges.MAX_ATOM_CHARGE`.

        Returns
        -------
        dict
            ``energy``, ``free_energy`` (eV), ``forces`` (eV/Å), ``energies`` (eV) and, for a
            periodic cell, ``stress`` (eV/Å³, Voigt).

        Raises
        ------
        ase.calculators.calculator.InputError
            Also a ``ValueError``: what :meth:`calculate` refuses in the structure (partial
            periodicity, a degenerate cell, non-finite positions, atoms closer than 0.1 Å,
            a ``method`` that does not fit the periodicity), charges that are not one finite
            number per atom within ±10 e, a charged periodic cell without ``background``,
            before any sum.
        """
        # unchecked, a cell with pbc=[True, True, False] was summed as a cluster (the direct
        # sum, marked nothing), a flat cell raised ZeroDivisionError, coincident atoms gave
        # -1.4e16 eV and a NaN charge asked for a PME mesh of 1e15 points
        with input_errors():
            self._check_structure(atoms, overlaps=True)
            q = charge_values(charges, "the charges")
            if len(q) != len(atoms):
                raise ValueError(f"{len(q)} charges for {len(atoms)} atoms")
        return self._evaluate(atoms, q)

    def _evaluate(self, atoms, q):
        """:meth:`evaluate` of a structure and charges already checked."""
        import torch

        p = self.parameters
        q = np.asarray(q, dtype=float).reshape(-1)
        periodic = bool(np.all(atoms.pbc))
        from .d3.calculator import near_origin

        # in dtype="float32" pair vectors of atoms far from the origin lost their digits
        # (energies 0.5 eV off at 10⁷ Å): moved near it in float64 first
        atoms = atoms.copy()
        atoms.calc = None
        atoms.positions = near_origin(atoms.positions, atoms.cell[:], atoms.pbc)
        self._check_sum(atoms, q)
        dtype = torch.float64 if p["dtype"] == "float64" else torch.float32
        device = torch.device(p["device"])
        n = len(atoms)
        if n == 0 or not np.any(q):
            zero = {"energy": 0.0, "free_energy": 0.0, "forces": np.zeros((n, 3)),
                    "energies": np.zeros(n)}
            if periodic:
                zero["stress"] = np.zeros(6)
            return zero

        pos0 = torch.tensor(atoms.positions, dtype=dtype, device=device, requires_grad=True)
        q_t = torch.tensor(q, dtype=dtype, device=device)
        if periodic:
            strain = torch.zeros((3, 3), dtype=dtype, device=device, requires_grad=True)
            deform = torch.eye(3, dtype=dtype, device=device) + strain
            pos = pos0 @ deform
            cell = torch.tensor(atoms.cell.array, dtype=dtype, device=device) @ deform
        else:
            strain = None
            pos = pos0
            cell = torch.zeros((3, 3), dtype=dtype, device=device)

        per_atom = self._coulomb_per_atom(atoms, q, q_t, pos, cell, periodic)
        per_atom = per_atom - self._short_range_per_atom(atoms, q_t, pos, cell, periodic)
        per_atom = per_atom * COULOMB
        energy = per_atom.sum()
        inputs = [pos0] + ([strain] if periodic else [])
        grads = torch.autograd.grad(energy, inputs)
        results = {
            "energy": float(energy.detach().cpu()),
            "energies": per_atom.detach().cpu().numpy().astype(np.float64),
            "forces": -grads[0].detach().cpu().numpy().astype(np.float64),
        }
        results["free_energy"] = results["energy"]
        if periodic:
            virial = grads[1].detach().cpu().numpy().astype(np.float64)
            virial = 0.5 * (virial + virial.T)
            sigma = virial / abs(atoms.cell.volume)
            results["stress"] = sigma[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
        return results

    def _check_pair_budget(self, atoms):
        r"""ValueError, before any sum, when a pair list would exceed :data:`_MAX_PAIRS`.

        Periodic: pairs within the real-space cutoff (and the short-range reach) estimated from
        the density, :math:`n^2 \cdot \frac{4}{3}\pi r_c^3 / (2V)`; non-periodic: all
        :math:`n(n-1)/2` pairs of the direct sum.
        """
        p = self.parameters
        n = len(atoms)
        reaches = {}
        if np.all(atoms.pbc):
            # "auto" starts at the default and takes longer cutoffs only within this budget
            reaches["cutoff"] = self._cutoff()
        if p["short_range"] in ("cutoff", "gaussian"):
            length = float(p["short_range_length"])
            label = ("short_range_length" if p["short_range"] == "cutoff"
                     else "the Gaussian's reach (8.49 × short_range_length)")
            reaches[label] = length * (1.0 if p["short_range"] == "cutoff" else _ERFC_RANGE)
        if not np.all(atoms.pbc):
            pairs = 0.5 * n * (n - 1)
            if pairs > _MAX_PAIRS:
                raise ValueError(
                    f"a non-periodic structure of {n} atoms needs a direct sum over {pairs:.3g} "
                    f"pairs (~{pairs * _BYTES_PER_PAIR / 2**30:.3g} GiB; limit {_MAX_PAIRS:.3g}); "
                    "put it in a periodic cell with vacuum and use Ewald/PME")
            return
        volume = abs(float(atoms.cell.volume))
        for name, reach in reaches.items():
            # min(): a reach of 1e300 Å overflowed reach**3
            # the real-space pairs are switched off smoothly beyond the cutoff
            searched = reach + (_RSPACE_SWITCH if name == "cutoff" else 0.0)
            pairs = 0.5 * n * n * 4.0 / 3.0 * math.pi * min(searched, 1e30) ** 3 / volume
            if pairs > _MAX_PAIRS:
                raise ValueError(
                    f"{name} {reach:.4g} Å in this cell ({volume:.4g} Å³, {n} atoms) holds "
                    f"~{pairs:.3g} pairs with their periodic images (~"
                    f"{pairs * _BYTES_PER_PAIR / 2**30:.3g} GiB; limit {_MAX_PAIRS:.3g}); "
                    f"use a smaller {'cutoff' if name == 'cutoff' else 'short_range_length'}")

    # ---------------------------------------------------------------- sums
    @applies_direct_edits
    def lattice_parameters(self, atoms, charges):
        """The torch-pme parameters that meet ``tolerance`` for ``atoms`` with ``charges``.

        Returns
        -------
        dict
            ``method`` and, for Ewald/PME, ``cutoff`` (Å), ``smearing`` (Å) and
            ``lr_wavelength`` (Ewald, Å) or ``mesh_spacing`` (Å), ``interpolation_nodes`` and
            ``mesh`` (points per axis for this cell) (PME), with ``error_bound`` (same units as
            ``tolerance``: torch-pme's real-space bound combined with its k-space bound for
            Ewald, with the measured mesh error for PME).

        Parameters
        ----------
        atoms : ase.Atoms
            Positions and cell (not modified).
        charges : array_like, shape (n_atoms,)
            Charges in e, each within ±:data:`~ase_electrolyte.calculator_charges.MAX_ATOM_CHARGE`.

        Raises
        ------
        ase.calculators.calculator.InputError
            Also a ``ValueError``, before any tuning: what :meth:`evaluate` refuses in the
            structure (but atoms closer than 0.1 Å, which the tuning does not read) and in the
            charges (not one finite number per atom).
        """
        # unchecked, 2 charges for 8 atoms were tuned as if they were the structure's, and a
        # NaN charge asked for "a PME mesh of 2.25e+15 points" instead of being named
        with input_errors():
            self._check_structure(atoms, overlaps=False)
            q = charge_values(charges, "the charges")
            if len(q) != len(atoms):
                raise ValueError(f"{len(q)} charges for {len(atoms)} atoms")
        return self._lattice_parameters(atoms, q)

    def _lattice_parameters(self, atoms, charges):
        """:meth:`lattice_parameters` of checked input."""
        p = self.parameters
        method = p["method"]
        if not np.all(atoms.pbc):
            return {"method": "direct"}
        if method == "auto":
            method = "pme" if len(atoms) > _PME_ABOVE else "ewald"
            if method == "ewald":
                out = self._tune(atoms, charges, "ewald")
                # a sparse, large cell (a few ions in a big box): PME costs far less
                if _ewald_terms(atoms, out["lr_wavelength"]) <= _EWALD_AUTO_TERMS:
                    return out
                method = "pme"
        if method == "pme" and p["cutoff"] == "auto":
            return self._tune_pme_cutoff(atoms, charges)
        out = self._tune(atoms, charges, method)
        if method == "ewald":
            terms = _ewald_terms(atoms, out["lr_wavelength"])
            if terms > _EWALD_MAX_TERMS:
                raise ValueError(
                    f"tolerance {p['tolerance']:g} needs an Ewald sum of {terms:.3g} k-vector × "
                    f"atom terms (~{terms * _EWALD_BYTES_PER_TERM / 2**30:.3g} GiB) for this "
                    f"cell ({np.linalg.norm(atoms.cell.array, axis=1).round(4).tolist()} Å); "
                    "raise the cutoff (k-space work falls as its cube), loosen the tolerance "
                    f"or try method='pme' (or 'auto'){_VACUUM_HINT}"
                )
        return out

    def _cutoff(self):
        """The real-space cutoff (Å) given, or the default for ``cutoff="auto"``."""
        cutoff = self.parameters["cutoff"]
        return _DEFAULT_CUTOFF if cutoff == "auto" else float(cutoff)

    def _tune_pme_cutoff(self, atoms, charges):
        """PME's parameters for ``cutoff="auto"``: those of the cutoff in
        :data:`_PME_AUTO_CUTOFFS` whose step costs least (:func:`_pme_cost`), among those within
        the pair budget.

        torch-pme's estimate of each cutoff's mesh (cheap) gives a floor of its cost, as the
        measurement only refines the mesh and raises the order. The cutoffs are measured in
        the order of their floors until the next floor is above the best cost measured, and a
        measurement stops as soon as its mesh would cost more than that best (the one-off
        choice measured 0.7-2 × that of a fixed 8 Å). Where a mesh is too large to measure,
        the default cutoff's estimate is kept (with its :class:`PMEErrorNotMeasuredWarning`),
        as for a given cutoff.
        """
        n = len(atoms)
        volume = abs(float(atoms.cell.volume))
        floors, refusal = [], None
        for rc in _PME_AUTO_CUTOFFS:
            pairs = 0.5 * n * n * 4.0 / 3.0 * math.pi * (rc + _RSPACE_SWITCH)**3 / volume
            if pairs > _MAX_PAIRS:
                continue
            try:
                points, nodes = self._tune(atoms, charges, "pme", rc=rc, estimate=True)
            except ValueError as err:  # a mesh beyond memory at this cutoff
                refusal = refusal or err
                continue
            floors.append((_pme_cost(n, points, nodes, pairs), rc, pairs))
        best = None
        for floor, rc, pairs in sorted(floors):
            if best is not None and floor >= best[0]:
                break
            budget = None if best is None else best[0] - _pme_cost(n, 0, 0, pairs)
            try:
                out = self._tune(atoms, charges, "pme", rc=rc, max_cost=budget, auto=True)
            except _CostlierThanBest:
                continue
            except ValueError as err:
                refusal = refusal or err
                continue
            if out is None:  # not measurable: as for a given cutoff, at the default
                return self._tune(atoms, charges, "pme", rc=_DEFAULT_CUTOFF)
            cost = _pme_cost(n, _mesh_points(atoms, out["mesh_spacing"]),
                             out["interpolation_nodes"], pairs)
            if best is None or cost < best[0]:
                best = (cost, out)
        if best is None:
            if refusal is not None:
                raise refusal
            return self._tune(atoms, charges, "pme", rc=_DEFAULT_CUTOFF)
        return best[1]

    def _tune(self, atoms, charges, method, rc=None, max_cost=None, auto=False,
              estimate=False):
        """:meth:`lattice_parameters` of ``method`` (``"ewald"`` or ``"pme"``) at the real-space
        cutoff ``rc`` (Å; default: :meth:`_cutoff`).

        For ``cutoff="auto"`` (PME): ``estimate`` returns torch-pme's estimate of the mesh,
        ``(points, nodes)``, unmeasured; with ``auto`` a mesh too large to measure gives
        ``None`` instead of a warning, and one whose mesh cost (:func:`_pme_cost` without
        pairs) exceeds ``max_cost`` raises :class:`_CostlierThanBest`."""
        import torch
        from torchpme.tuning.ewald import EwaldErrorBounds
        from torchpme.tuning.pme import PMEErrorBounds

        p = self.parameters
        tol = p["tolerance"]
        rc = self._cutoff() if rc is None else float(rc)
        q = torch.tensor(np.asarray(charges, dtype=float).reshape(-1, 1), dtype=torch.float64)
        cell = torch.tensor(atoms.cell.array, dtype=torch.float64)
        pos = torch.tensor(atoms.positions, dtype=torch.float64)
        bounds_cls = EwaldErrorBounds if method == "ewald" else PMEErrorBounds
        bounds = bounds_cls(q, cell, pos)
        # half the error budget to real space: torch-pme's sharp-cut bound,
        # exp(-rc²/2σ²) prefac/sqrt(rc V) = tol/√2, or, where the switch of the pairs beyond
        # rc makes the error larger (12 ions in 7 Å: at 1e-4 cutoffs beyond ~8 Å, at 1e-6
        # beyond 12-20 Å), the smearing that meets it with the switch counted; the bound is
        # the larger of the two estimates
        target = tol / math.sqrt(2.0)
        prefac = float(bounds.prefac) / math.sqrt(rc * abs(atoms.cell.volume))
        ratio = max(prefac / target, math.e)
        sum_q2 = float(np.sum(np.asarray(charges, dtype=float) ** 2))
        volume = abs(float(atoms.cell.volume))
        smearing = min(rc / math.sqrt(2.0 * math.log(ratio)),
                       _rspace_smearing(sum_q2, len(atoms), volume, rc, target))
        err_rspace = max(prefac * math.exp(-rc**2 / (2.0 * smearing**2)),
                         _rspace_error(sum_q2, len(atoms), volume, smearing, rc))
        s_t = torch.tensor(smearing, dtype=torch.float64)

        lengths = np.linalg.norm(atoms.cell.array, axis=1)
        hi0 = max(float(lengths.max()), 1.0)
        # torch-pme's k-space bounds are force bounds that fall as 1/V: in a sparse cell (a
        # few ions in a box of hundreds of Å) they accept a wavelength or mesh spacing far
        # beyond the smearing, and the Gaussians' self-energy, subtracted exactly, is then
        # summed only in part (energies off by eV). The sum up to k_max = 2π/x misses
        # ⟨q²⟩/(√(2π)σ)·erfc(πσ√2/x) per atom (e²/Å): x is capped so that this is <= tol.
        from scipy.special import erfcinv

        self_energy = float(np.mean(np.asarray(charges, dtype=float) ** 2)) / (
            math.sqrt(2.0 * math.pi) * smearing)
        if tol < self_energy:
            hi0 = min(hi0, math.sqrt(2.0) * math.pi * smearing / float(erfcinv(tol / self_energy)))

        def solve(kerr):
            # the k-space error grows with the wavelength / mesh spacing: bisect in log space
            lo, hi = 1e-4, hi0
            if kerr(hi) <= target:
                return hi
            for _ in range(60):
                mid = math.sqrt(lo * hi)
                lo, hi = (mid, hi) if kerr(mid) <= target else (lo, mid)
            return lo

        if method == "ewald":
            def kerr(x):
                return float(bounds.err_kspace(s_t, torch.tensor(x, dtype=torch.float64)))

            x = solve(kerr)
            out = {"lr_wavelength": x}
        else:
            best = None
            # the interpolation order that needs the least work: mesh points plus spline stencil
            sparse = (volume / min(volume, _PME_VOLUME_PER_ATOM * len(atoms))) ** (2.0 / 3.0)
            for nodes in range(3, 8):
                def kerr(x, nodes=nodes):
                    return sparse * float(bounds.err_kspace(
                        s_t, torch.tensor(x, dtype=torch.float64), torch.tensor(nodes)))

                x = solve(kerr)
                points = _mesh_points(atoms, x)
                cost = _pme_cost(len(atoms), points, nodes, 0.0)
                if best is None or cost < best[0]:
                    best = (cost, x, nodes, points)
            _, x, nodes, points = best
            _check_mesh(points, tol)
            if estimate:
                return points, nodes
            max_points = None
            if max_cost is not None:
                max_points = max_cost - _pme_cost(len(atoms), 0, nodes, 0)
                if points > max_points:
                    raise _CostlierThanBest
            calibrated = _calibrated_mesh(atoms, charges, smearing, x, nodes, tol,
                                          self.parameters["device"], max_points)
            if calibrated is None and auto:
                return None
            if calibrated is None:
                kspace = _PME_ESTIMATE_FACTOR * sparse * float(bounds.err_kspace(
                    s_t, torch.tensor(x, dtype=torch.float64), torch.tensor(nodes)))
                warnings.warn(
                    f"PME's mesh error is not measured here (a {points:.3g}-point mesh; its "
                    f"reference would exceed {_PME_MAX_MESH:.3g} points): the mesh is torch-pme's "
                    f"estimate, which measured errors exceeded up to {_PME_ESTIMATE_FACTOR:g} ×; "
                    f"error_bound {math.hypot(err_rspace, kspace):.3g} "
                    f"for tolerance {tol:g}. For a verified bound use method='ewald' or a larger "
                    "cutoff", PMEErrorNotMeasuredWarning, stacklevel=2)
            else:
                x, nodes, kspace = calibrated
            out = {"mesh_spacing": x, "interpolation_nodes": nodes}

            def kerr(y):
                return kspace
        err = math.hypot(err_rspace, kerr(x))
        out.update(method=method, cutoff=rc, smearing=smearing, error_bound=err)
        if method == "pme":
            from torchpme.lib.kvectors import get_ns_mesh

            out["mesh"] = get_ns_mesh(cell, out["mesh_spacing"]).tolist()
        return out

    def _cached_lattice_parameters(self, atoms, q):
        # parameters chosen once and kept while the cell stays within 5 % strain of the one
        # they were chosen for: the energy is then one smooth function along an MD run instead
        # of jumping by ~tolerance at every retune. The strain, not the lengths: the smearing
        # follows the volume and the k-space resolution the reciprocal cell, and a cell sheared
        # to angles of 30-45° with the same lengths (a full-cell barostat, a monoclinic box
        # after a cubic one) kept the cubic cell's parameters, with force errors 1.1-1.9 × the
        # tolerance (1e-5, 64 charges in 12 Å; retuned: 0.7-0.9 ×).
        # One set per cell (up to _TUNED_CELLS, the least recently used dropped): with a
        # single set, a term alternating between two cells (two Atoms on one calculator, a
        # scan revisiting its volumes) retuned at every call, 5-12 s per call for 600 PME
        # charges where the sum takes a fraction of that, and each cell's numbers depended on
        # which cell had come before. The nearest cell's set is taken (ties: the older set),
        # blended with others near the middle between them (_lattice_sets).
        # A set is kept for other charges while it meets the tolerance for them (see
        # _charge_capacity): keyed on the exact sum of q², charges that change at every step
        # (scheme="array" fed by a charge model) chose new parameters at every call (216
        # ions, PME: 3-4 s of tuning per 0.1 s step, and an energy jump at each).
        return self._lattice_sets(atoms, q)[0][0]

    def _lattice_sets(self, atoms, q):
        """The kept lattice-sum sets that evaluate ``atoms``: ``[(params, cell), ...]``, the
        nearest first, each with the cell it was chosen for (one set, chosen now where none
        is kept within 5 % strain).

        Several are returned where the cell lies near the middle between the cells of kept
        sets (:data:`_BLEND_STRAIN2`): their energies are blended there
        (:func:`_blend_weights`), so that the energy does not jump each time the nearest set
        changes (a barostat swinging about that middle flipped between two sets at every
        crossing: 4e-4 eV per flip, 32 ions at tolerance 1e-4).
        """
        cell = np.array(atoms.cell.array, dtype=float)
        n = len(atoms)
        weight = float(np.sum(np.asarray(q, dtype=float) ** 2))
        near, charges_only = [], False
        for k, (old_n, old_cell, _, count, low, high) in enumerate(self._tuned):
            if old_n != n:
                continue
            strain = _strain(old_cell, cell)
            # a rank of inf: the switch rounded to 0 at the edge of the set's reach
            rank = _strain2(old_cell, cell) if strain < _SET_REACH else math.inf
            if rank == math.inf:
                continue
            if low <= weight <= high:
                near.append((rank, count, k))
            else:
                charges_only = True
        if near:
            near.sort()
            # sets whose blend weight is below _BLEND_NEGLIGIBLE are not summed
            kept = [item for item in near
                    if (item[0] - near[0][0]) / _BLEND_STRAIN2 < _BLEND_CUT]
            chosen = [k for _, _, k in kept]
            entries = [self._tuned[k] for k in chosen]
            # most recently used first: the least recently used set is the one dropped
            self._tuned = entries + [entry for k, entry in enumerate(self._tuned)
                                     if k not in chosen]
            return [(entry[2], entry[1]) for entry in entries]
        # a cell with a set whose charges are outside its range: the charges vary from call
        # to call, so the new set is chosen with room for them to grow
        headroom = _CHARGE_HEADROOM if charges_only else 1.0
        params = self._lattice_parameters(atoms, np.asarray(q, dtype=float) * math.sqrt(headroom))
        self._tuned_count += 1
        low, high = _charge_capacity(weight * headroom, params["error_bound"],
                                     self.parameters["tolerance"])
        self._tuned.insert(0, (n, cell, params, self._tuned_count, low, high))
        del self._tuned[_TUNED_CELLS:]
        return [(params, cell)]

    def _coulomb_per_atom(self, atoms, q, q_t, pos, cell, periodic):
        """:math:`q_i\\phi_i` summed to the full Coulomb energy (units e²/Å)."""
        import torch
        import torchpme

        charges = q_t.reshape(-1, 1)
        if not periodic:
            n = len(atoms)
            i, j = np.triu_indices(n, k=1)
            idx = torch.tensor(np.stack([i, j], axis=1), device=pos.device)
            dist = torch.linalg.norm(pos[idx[:, 1]] - pos[idx[:, 0]], dim=1)
            calc = torchpme.Calculator(torchpme.CoulombPotential())
        else:
            sets = self._lattice_sets(atoms, q)
            if len(sets) > 1:
                weights = _blend_weights([old for _, old in sets], cell)
                return sum(w * self._lattice_per_atom(atoms, params, charges, pos, cell)
                           for w, (params, _) in zip(weights, sets, strict=True))
            return self._lattice_per_atom(atoms, sets[0][0], charges, pos, cell)
        calc.to(device=pos.device, dtype=pos.dtype)
        phi = calc(charges, cell, pos, idx, dist)
        return (charges * phi).reshape(-1)

    def _lattice_per_atom(self, atoms, params, charges, pos, cell):
        """:math:`q_i\\phi_i` of the Ewald or PME sum with the set ``params`` (e²/Å)."""
        import torchpme

        rc = params["cutoff"]
        kvectors = None
        if params["method"] == "ewald":
            # the wavelength's k_c = 2π/λ is the sphere torch-pme's error bound assumes
            k_c = 2.0 * math.pi / params["lr_wavelength"]
            k_off = k_c * _KSPACE_OFF
            potential = _smooth_coulomb(params["smearing"], rc, rc + _RSPACE_SWITCH,
                                        k_c * _KSPACE_ON, k_off)
            # torch-pme 0.5 keeps k-vectors up to π/λ along each axis; its wavelength is
            # not used as the vectors are given
            calc = torchpme.EwaldCalculator(potential, lr_wavelength=params["lr_wavelength"])
            kvectors = _ewald_kvectors(cell, k_off)
        else:
            potential = _smooth_coulomb(params["smearing"], rc, rc + _RSPACE_SWITCH)
            calc = torchpme.PMECalculator(
                potential,
                mesh_spacing=_mesh_spacing_for(atoms.cell.array, params),
                interpolation_nodes=params["interpolation_nodes"],
            )
        idx, dist = self._pairs(atoms, rc + _RSPACE_SWITCH, pos, cell)
        calc.to(device=pos.device, dtype=pos.dtype)
        phi = (calc(charges, cell, pos, idx, dist) if kvectors is None
               else calc(charges, cell, pos, idx, dist, kvectors=kvectors))
        return (charges * phi).reshape(-1)

    @staticmethod
    def _pairs(atoms, cutoff, pos, cell):
        """Half neighbour list (vesin); distances differentiable through ``pos`` and ``cell``."""
        import torch

        from .neighbour_pairs import half_pairs

        i, j, shifts = half_pairs(atoms.positions, atoms.cell.array, float(cutoff))
        idx = torch.tensor(np.stack([i, j], axis=1).astype(np.int64), device=pos.device)
        s = torch.tensor(shifts, dtype=pos.dtype, device=pos.device)
        dist = torch.linalg.norm(pos[idx[:, 1]] - pos[idx[:, 0]] + s @ cell, dim=1)
        return idx, dist

    def _molecule_ids(self, atoms):
        if MOLECULE_INDEX in atoms.arrays:
            mol = np.asarray(atoms.arrays[MOLECULE_INDEX])
            # a cast to int made 0.5 molecule 0 (two molecules merged, their pairs removed)
            # and NaN an arbitrary id
            if (mol.dtype.kind not in "iuf" or not np.isfinite(mol).all()
                    or not np.array_equal(mol, np.round(mol))):
                raise ValueError(
                    f"the {MOLECULE_INDEX!r} array must hold whole numbers (one molecule id per "
                    f"atom), got {mol.tolist()[:8]}{' ...' if mol.size > 8 else ''}")
            # the stored index checked against the atoms once per topology: two builder boxes
            # joined with '+' both number their molecules from 0, and taken as it was the
            # index paired atoms of different molecules in the exclusion (their Coulomb
            # interaction removed without a word)
            names = atoms.arrays.get(SPECIES)
            key = (atoms.numbers.tobytes(), mol.tobytes(), tuple(bool(p) for p in atoms.pbc),
                   None if names is None else np.asarray(names).astype(str).tobytes())
            stored = getattr(self, "_stored_molecules", None)
            if stored is None or stored[0] != key:
                from mda_electrolyte.molecules import atoms_molecule_ids

                # the sum takes the positions as they are: a cluster's molecules are whole
                self._stored_molecules = (key, atoms_molecule_ids(atoms, whole=True)
                                          .astype(np.int64))
            return self._stored_molecules[1]
        # bonds detected once per run: a bond that stretches during MD must not switch a
        # pair in or out of the sum (the energy would jump). Another structure of the same
        # composition (one term alternated between two Atoms; an atom moved by more than
        # _MOVED since the last evaluation) gets its own molecules, not the last one's
        key = (tuple(atoms.numbers), tuple(bool(p) for p in atoms.pbc))
        if (self._molecules is None or self._molecules[0] != key
                or _largest_move(atoms, self._molecules[2]) > _MOVED):
            from mda_electrolyte.molecules import atoms_molecule_ids

            self._molecules = (key, atoms_molecule_ids(atoms), None)
        self._molecules = (*self._molecules[:2], _frame_coordinates(atoms))
        return self._molecules[1]

    def _intramolecular_pairs(self, atoms):
        """Pairs ``(i, j)`` of atoms of the same molecule and the lattice shifts (in cell
        vectors) of their minimum-image vectors (zeros without a periodic cell).

        Raises ValueError (before any sum) for more pairs than :data:`_MAX_PAIRS` (a bonded
        network, a crystal or a metal found as one molecule: 4096 ions of NaCl marked as
        one molecule were summed for 80 s and 2 GB before the refusal below) and for a
        molecule spanning half the periodic cell, whose intramolecular vectors the minimum
        image does not define.
        """
        ids = self._molecule_ids(atoms)
        _, sizes = np.unique(ids, return_counts=True)
        pairs = float(np.sum(sizes * (sizes - 1.0) / 2.0))
        if pairs > _MAX_PAIRS:
            raise ValueError(
                f"short_range='molecules': a molecule of {int(sizes.max())} atoms ("
                f"{pairs:.3g} intramolecular pairs, ~{pairs * _BYTES_PER_PAIR / 2**30:.3g} GiB; "
                f"limit {_MAX_PAIRS:.3g}); is the {MOLECULE_INDEX!r} array right (a bonded "
                "network, a crystal or a metal is no molecule)?"
            )
        i, j = _same_group_pairs(ids)
        shift = np.zeros((len(i), 3))
        if np.all(atoms.pbc) and len(i):
            # minimum image: the bonded copy of an atom of the same molecule is its nearest
            lattice = atoms.cell.array
            raw = atoms.positions[j] - atoms.positions[i]
            shift = -np.round(raw @ np.linalg.inv(lattice))
            widths = abs(atoms.cell.volume) / np.linalg.norm(
                np.cross(lattice[[1, 2, 0]], lattice[[2, 0, 1]]), axis=1)
            # within half the thinnest width the rounded vector is the minimum image
            if np.linalg.norm(raw + shift @ lattice, axis=1).max() >= 0.5 * widths.min():
                raise ValueError(
                    "a molecule spans half the cell: intramolecular pairs are not defined by "
                    "the minimum image; use a larger cell"
                )
        return i, j, shift

    def _short_range_per_atom(self, atoms, q_t, pos, cell, periodic):
        """Per-atom share of the removed short-range pair energy (units e²/Å)."""
        import torch

        mode = self.parameters["short_range"]
        if mode is None:
            return torch.zeros_like(q_t)
        n = len(atoms)
        if mode == "molecules":
            i, j, shift = self._intramolecular_pairs(atoms)
            idx = torch.tensor(np.stack([i, j], axis=1).astype(np.int64), device=pos.device)
            vec = pos[idx[:, 1]] - pos[idx[:, 0]]
            if periodic:
                vec = vec + torch.tensor(shift, dtype=pos.dtype, device=pos.device) @ cell
            dist = torch.linalg.norm(vec, dim=1)
            g = torch.ones_like(dist)
        else:
            length = float(self.parameters["short_range_length"])
            reach = length if mode == "cutoff" else _ERFC_RANGE * length
            if periodic:
                # vesin refuses a tiny cutoff ("cutoff is too small", a RuntimeError): search
                # at least _MIN_DISTANCE and keep the pairs within reach below
                idx, dist = self._pairs(atoms, max(reach, _MIN_DISTANCE), pos, cell)
            else:
                i, j = np.triu_indices(n, k=1)
                idx = torch.tensor(np.stack([i, j], axis=1), device=pos.device)
                dist = torch.linalg.norm(pos[idx[:, 1]] - pos[idx[:, 0]], dim=1)
            keep = dist.detach() < reach
            idx, dist = idx[keep], dist[keep]
            if mode == "cutoff":
                g = 0.5 * (1.0 + torch.cos(math.pi * dist / length))
            else:
                g = torch.special.erfc(dist / (math.sqrt(2.0) * length))
        pair = q_t[idx[:, 0]] * q_t[idx[:, 1]] * g / dist
        out = torch.zeros_like(q_t)
        out.index_add_(0, idx[:, 0], 0.5 * pair)
        out.index_add_(0, idx[:, 1], 0.5 * pair)
        return out

    # ---------------------------------------------------------------- persistence
    @applies_direct_edits
    def todict_json(self):
        """The term as a JSON-serialisable dict (what :meth:`save` writes)."""
        p = self.parameters
        out = {
            "format": "ase_electrolyte.Electrostatics",
            "version": _FILE_VERSION,
            "units": dict(_FILE_UNITS),
            "scheme": p["scheme"],
        }
        if p["scheme"] == "qrd":
            out["qrd"] = {el: {"b": b, "s": s} for el, (b, s) in p["qrd"].items()}
        elif p["scheme"] == "fixed":
            out["charges"] = [float(x) for x in p["charges"]]
        else:
            out["array"] = p["array"]
        for key in ("total_charge", "charge_scale", "method", "tolerance", "cutoff", "background",
                    "short_range", "short_range_length", "dtype"):
            out[key] = p[key]
        return out

    def save(self, path):
        """Write the term (scheme, parameters, sum settings) as a small JSON file."""
        from .atomic_file import write_text_atomic

        # whole or not at all: a failed write keeps an earlier file of that name
        write_text_atomic(path, json.dumps(self.todict_json(), indent=2) + "\n")

    @classmethod
    def load(cls, path, **overrides):
        """Read a term written by :meth:`save`; ``overrides`` replace stored options (e.g. device).

        Raises
        ------
        ValueError
            If the file is not an ``Electrostatics`` JSON file (not JSON, not UTF-8 text,
            another format), was written in another format version or other units, or holds
            a key that is no option (a misspelt option was dropped, and its default used).
        """
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            # an empty, truncated or binary file raised the decoder's error without the path
            raise ValueError(
                f"{path} is not an ase_electrolyte.Electrostatics JSON file ({err})"
            ) from err
        if not isinstance(data, dict) or data.get("format") != "ase_electrolyte.Electrostatics":
            raise ValueError(f"{path} is not an ase_electrolyte.Electrostatics JSON file")
        if data.get("version") != _FILE_VERSION:
            raise ValueError(
                f"{path}: format version {data.get('version')!r}; this version of "
                f"ase_electrolyte reads version {_FILE_VERSION}"
            )
        if data.get("units", _FILE_UNITS) != _FILE_UNITS:
            raise ValueError(
                f"{path}: units {data.get('units')!r}; the file format has {_FILE_UNITS} "
                "(convert the values, do not relabel them)"
            )
        unknown = sorted(set(data) - {"format", "version", "units"} - set(cls.default_parameters))
        if unknown:
            raise ValueError(
                f"{path}: unknown key(s) {', '.join(map(repr, unknown))}; the options are "
                f"{', '.join(sorted(cls.default_parameters))}"
            )
        kwargs = {k: v for k, v in data.items() if k in cls.default_parameters}
        kwargs.update(overrides)
        return cls(**kwargs)


# ==================================================================== fitting
@dataclass
class QRdFit:
    """Result of :func:`fit_qrd`.

    Attributes
    ----------
    electrostatics : Electrostatics
        The fitted term, ready for ``Calculator(model, electrostatics=...)``.
    qrd : dict
        ``{element: (b, s)}`` in the canonical gauge (see :func:`fit_qrd`).
    qrd_stderr : dict
        ``{element: (σ_b, σ_s)}``: t-scaled standard errors (±1 error covers 68 %) in the
        canonical gauge from the Jacobian at the optimum, with the label noise independent
        within each label type and its variance estimated per type
        (``extra["stderr_method"]``; calibrated over seeded replicas of
        noisy synthetic labels, ``tests/test_electrostatics_qrd_stderr.py``). ``inf`` for an
        element whose (b, s) the labels do not determine (``extra["unidentified"]``: its
        composition and the total charge do not vary enough; the regulariser sets them).
        The bias the regulariser puts in (b, s) is not included. ``extra`` also holds
        ``"stderr_dof"`` (``{element: (ν_b, ν_s)}``, Welch–Satterthwaite degrees of freedom of
        each error) and ``"stderr_notes"`` (why errors are not to be trusted: undetermined
        elements, or fewer than 4 degrees of freedom, e.g. few frames for the energies'
        noise). ``"starts"``: how many starts the optimiser ran from; ``"minima"``: the
        distinct minima they reached (``{"qrd", "cost", "starts"}``, best first, by the charges
        they give); ``"qrd_spread"``: ``{element: (Δb, Δs)}`` over the minima that fit as well as
        the best (0 when it is alone); ``"sign_determined"``: False when every frame is neutral
        and ``initial`` did not choose the sign.
    offsets : dict
        Per-element energy offsets (eV) fitted alongside (empty without ``fit_offsets``).
    errors_before, errors_after : dict
        RMSE of the energy per atom (eV/atom), forces (eV/Å) and stress (eV/Å³) of the model
        (plus offsets) without and with the QRd term, over the frames that carry each label.
    success : bool
        Whether the optimiser converged to a minimum that the labels determine: False also
        when distinct minima fit equally well or the charges' sign is undetermined
        (``message`` says which).
    """

    electrostatics: Electrostatics
    qrd: dict
    qrd_stderr: dict
    offsets: dict
    errors_before: dict
    errors_after: dict
    success: bool
    message: str = ""
    n_frames: int = 0
    extra: dict = field(default_factory=dict)


# largest |label| fit_qrd takes (eV, eV/Å, eV/Å³): no structure's energy comes near, and the
# weighted squares (weights up to 1e15) stay far from overflow
_MAX_LABEL = 1e12


def _labels(frame, ref, k):
    """Reference labels of frame ``k`` as a dict with energy, forces, stress (any may be None),
    checked: finite numbers of the right shapes (stress as Voigt 6), named by the frame."""
    from ase.stress import full_3x3_to_voigt_6_stress

    if ref is None:
        calc = frame.calc
        if calc is None or not getattr(calc, "results", None):
            raise ValueError(f"frame {k} carries no reference labels (no calculator results)")
        res = calc.results
    elif isinstance(ref, _AseCalculator):
        from mda_electrolyte.model_labels import evaluate_frame

        # labels of the frame's coordinates, not of its MD: a fixed atom's force is no zero
        res = evaluate_frame(ref, frame, ("energy", "forces", "stress") if frame.pbc.all()
                             else ("energy", "forces"), checked=False)
    else:
        res = ref[k]
    if not isinstance(res, Mapping):
        # 'float' object has no attribute 'get'
        raise ValueError(f"reference entry {k} must be a dict of energy/forces/stress, not "
                         f"{type(res).__name__}")
    n = len(frame)
    shapes = {"energy": [(), (1,)], "forces": [(n, 3)], "stress": [(6,), (3, 3)]}
    units = {"energy": "eV", "forces": "eV/Å", "stress": "eV/Å³"}
    out = {}
    for key in ("energy", "forces", "stress"):
        v = res.get(key)
        if v is None:
            out[key] = None
            continue
        # before: "could not convert string to float", numpy's "cannot reshape array of size
        # 9 into shape (6,)", or, for NaN, scipy's "Initial guess is outside of provided
        # bounds" after every model call
        try:
            raw = np.asarray(v)
            # a bool (True was an energy of 1 eV) or text ("1.5" was read as 1.5) is no label
            if raw.dtype.kind not in "iuf" or _holds_bool(v, raw):
                raise TypeError
            v = raw.astype(float)
            got = f"shape {v.shape}"
        except (TypeError, ValueError):
            v, got = None, f"{res.get(key)!r:.60}"
        if v is None or v.shape not in shapes[key]:
            want = " or ".join(str(sh) for sh in shapes[key])
            raise ValueError(f"frame {k}: reference {key} must be numbers of shape {want} "
                             f"({units[key]}), got {got}")
        if not np.all(np.isfinite(v)) or np.abs(v).max(initial=0.0) > _MAX_LABEL:
            raise ValueError(f"frame {k}: reference {key} must be finite and within "
                             f"±{_MAX_LABEL:g} {units[key]}")
        out[key] = full_3x3_to_voigt_6_stress(v) if v.shape == (3, 3) else v
    if out["energy"] is not None:
        out["energy"] = out["energy"].reshape(())
    if out["energy"] is None and out["forces"] is None:
        raise ValueError(f"frame {k}: reference labels need an energy or forces")
    return out


def _model_labels(frame, model):
    n = len(frame)
    if model is None:
        return {"energy": 0.0, "forces": np.zeros((n, 3)), "stress": np.zeros(6)}
    from mda_electrolyte.model_labels import evaluate_frame

    # as the reference labels: calc.results are unconstrained, so the model's must be too
    out = evaluate_frame(model, frame, ("energy", "forces", "stress") if frame.pbc.all()
                         else ("energy", "forces"), checked=False)
    out.setdefault("stress", None)
    return out


def _bilinear_blocks(frame, term, elements):
    """Energy, forces and stress of the Coulomb quadratic form between unit charges per element.

    With charges constant per element, :math:`E = \\sum_{ab} c_a c_b B_{ab}` (same for forces and
    stress), so one set of lattice sums per frame serves every trial (b, s) of the fit.
    """
    z = np.array(frame.get_chemical_symbols())
    present = [e for e in elements if np.any(z == e)]
    k = len(elements)
    n = len(frame)
    periodic = bool(frame.pbc.all())
    B_e = np.zeros((k, k))
    B_f = np.zeros((k, k, n, 3))
    B_s = np.zeros((k, k, 6))

    def run(mask):
        res = term.evaluate(frame, mask.astype(float))
        return res["energy"], res["forces"], res.get("stress", np.zeros(6))

    single = {}
    for e in present:
        single[e] = run(z == e)
        a = elements.index(e)
        B_e[a, a], B_f[a, a], B_s[a, a] = single[e]
    for ia, ea in enumerate(present):
        for eb in present[ia + 1:]:
            both = run((z == ea) | (z == eb))
            a, b = elements.index(ea), elements.index(eb)
            cross = [(x - y - w) / 2 for x, y, w in zip(both, single[ea], single[eb], strict=True)]
            B_e[a, b] = B_e[b, a] = cross[0]
            B_f[a, b] = B_f[b, a] = cross[1]
            B_s[a, b] = B_s[b, a] = cross[2]
    return B_e, B_f, B_s if periodic else None


# largest weight or regulariser of fit_qrd: weights are relative, and w·r² must not overflow
_MAX_FIT_WEIGHT = 1e15
# kinds of the rows of fit_qrd's residual vector: labels of each type, whose noise has its
# own variance, and the rows without label noise (charge regulariser, gauge)
_ROW_KINDS = ("energy", "forces", "stress", "prior")
_STDERR_METHOD = (
    "t-scaled least-squares covariance A⁻¹ (Σ_t σ_t² J_tᵀJ_t) A⁻¹ at the optimum, with the "
    "label noise independent within each label type (energy, forces, stress) and its "
    "variance σ_t² estimated per type from the residuals (leverage-corrected; "
    "Welch–Satterthwaite degrees of freedom); the regulariser's bias is not included"
)


def _fit_stderr(J, r, kinds, x, k):
    """Standard errors of fit_qrd's parameters and the indices of those the labels leave
    undetermined (their error is inf).

    The weighted residuals r = W (y - f(x)) of each label type t carry noise of their own
    variance σ_t² (the weights need not match it: a single pooled σ² was 5-6 times too small
    for energies noisier than the weights assumed). Linearised, the estimate moves by
    δx = A⁻¹ J_dᵀ ε with A = JᵀJ over every row (labels, regulariser, gauge) and J_d the label
    rows; its covariance is A⁻¹ (Σ_t σ_t² G_t) A⁻¹, G_t = J_tᵀ J_t. The gauge rows fix
    s -> αs, b -> b + ts, and δx stays on their tangent plane, so this is the covariance in
    the canonical gauge. σ_t² solve E[Σ_{i∈t} r_i²] = Σ_u σ_u² Σ_{i∈t, j∈u} (I - H)_ij², with
    H = J A⁻¹ Jᵀ, whose sums are traces of p×p matrices.
    """
    from mda_electrolyte.uncertainty import t_factor

    labelled = [t for t in range(3) if np.any(kinds == t)]
    A = J.T @ J
    A_inv = np.linalg.pinv(A)
    G = {t: J[kinds == t].T @ J[kinds == t] for t in labelled}
    AG = {t: A_inv @ G[t] for t in labelled}
    M = np.array([[(np.sum(kinds == t) - 2.0 * np.trace(AG[t]) if t == u else 0.0)
                   + np.sum(AG[u] * AG[t].T) for u in labelled] for t in labelled])
    S = np.array([float(r[kinds == t] @ r[kinds == t]) for t in labelled])
    sigma2 = np.clip(np.linalg.lstsq(M, S, rcond=None)[0], 0.0, None) if labelled else []
    # each type's share of each parameter's variance, and the degrees of freedom of its σ_t²
    share = np.array([s2 * np.diag(A_inv @ G[t] @ A_inv)
                      for s2, t in zip(sigma2, labelled, strict=True)]).reshape(-1, len(x))
    dof = np.array([max(M[a, a], 1.0) for a in range(len(labelled))])
    variance = share.sum(axis=0)
    se = np.sqrt(np.clip(variance, 0.0, None))
    # t-scaled, as the package's other errors: the σ_t² come from few rows where there are few
    # frames (8 energies, 3 offsets: ~3 degrees of freedom, and |z| < 1 in 59 % of the fits
    # instead of 68 %). Welch–Satterthwaite degrees of freedom per parameter; the factor is
    # the t quantile that covers 68.27 %, so that ±1 error is a one-sigma interval
    with np.errstate(divide="ignore", invalid="ignore"):
        nu = variance**2 / np.sum(share**2 / dof[:, None], axis=0)
    nu = np.where(np.isfinite(nu) & (nu >= 1.0), nu, 1.0)
    se = se * np.array([t_factor(float(v)) for v in nu])
    # directions the labels do not see, beyond the two gauges: those parameters are set by the
    # regulariser (or the start), not by the data
    # (p×p: the label rows may be millions). The Jacobian is a finite difference (relative
    # error ~1e-8), so a direction counts as unseen below 1e-6 of the largest singular value
    lam, vec = np.linalg.eigh(sum(G.values(), np.zeros_like(A)))
    null = vec[:, lam <= 1e-12 * max(lam.max(initial=0.0), 1e-300)]
    s = x[k:2 * k]
    gauge = np.zeros((len(x), 2))
    gauge[k:2 * k, 0] = s  # s -> (1 + ε) s
    gauge[:k, 1] = s       # b -> b + ε s
    q, _ = np.linalg.qr(gauge)
    rest = null - q @ (q.T @ null)
    unidentified = []
    if rest.size:
        u, sr, _ = np.linalg.svd(rest, full_matrices=False)
        u = u[:, sr > 0.5]
        unidentified = [int(i) for i in np.flatnonzero(np.sum(u * u, axis=1) > 1e-6)]
        se[unidentified] = np.inf
    return se, nu, unidentified


# fit_qrd's starts: the user's (or b = 0, s = 1) and seeded random ones, b ~ N(0, 1) e and
# s ~ U(0.3, 1.5) (positive: no frame's Σ s·count vanishes at the start)
_STARTS = 4
# the random starts are the lowest-loss of this many seeded draws (one residual each)
_CANDIDATES = 64
_START_SEED = 20251
# two optima are the same minimum when no frame's charge differs by more than this (e); the
# optimiser's tolerances put one minimum reached from different starts within ~1e-8
_SAME_MINIMUM = 1e-5


def _canonical_gauge(x, k):
    """(b, s, μ) in fit_qrd's canonical gauge: Σ s² = 1, Σ s > 0, Σ b s = 0 (same charges)."""
    x = np.array(x, dtype=float)
    b, s = x[:k], x[k:2 * k]
    s = s / np.linalg.norm(s)
    s = s if s.sum() >= 0 else -s
    x[:k], x[k:2 * k] = b - (b @ s) * s, s
    return x


def _distinct_minima(runs, best, all_charges, neutral, k):
    """The optima of ``runs`` grouped by their charges (up to the overall sign when every
    frame is neutral), best first, each ``{"x", "cost", "starts"}`` in the canonical gauge with
    the best's sign; ``best`` is the best run's canonical parameters."""
    reference = all_charges(best)
    minima = []
    for run in sorted(runs, key=lambda r: r.cost):
        x = _canonical_gauge(run.x, k)
        q = all_charges(x)
        if neutral and q @ reference < 0:
            x[:k], q = -x[:k], -q
        for m in minima:
            if np.max(np.abs(q - m["charges"]), initial=0.0) <= _SAME_MINIMUM:
                m["starts"] += 1
                break
        else:
            minima.append({"x": x, "charges": q, "cost": float(run.cost), "starts": 1})
    minima[0]["x"] = best
    return minima


def fit_qrd(
    frames,
    model=None,
    reference=None,
    *,
    weights=(1.0, 0.1, 10.0),
    regularization=1e-3,
    fit_offsets=True,
    initial=None,
    **options,
):
    r"""Fit QRd parameters (b, s) per element to the residual between reference labels and a model.

    Minimises (Chalykh et al. 2025, eq. 10, with stress and a charge regulariser)

    .. math::

        \mathcal L = \sum_k \Big[ w_E \Big(\frac{\Delta E_k - E^\mathrm{QRd}_k - \sum_i \mu_{z_i}}
        {N_k}\Big)^2
        + \frac{w_F}{3N_k}\sum_{i} |\Delta\mathbf F_{ki} - \mathbf F^\mathrm{QRd}_{ki}|^2
        + \frac{w_\sigma}{6} |\Delta\sigma_k - \sigma^\mathrm{QRd}_k|^2
        + \frac{\lambda}{N_k}\sum_i q_{ki}^2 \Big]

    with :math:`\Delta X = X^\mathrm{ref} - X^\mathrm{model}`, by ``scipy.optimize.least_squares``.
    The Coulomb sums are done once per frame (the energy is a quadratic form in the per-element
    charges), so the fit costs one model evaluation and a few lattice sums per frame.

    The QRd charges are unchanged by :math:`s \to \alpha s` and by :math:`b \to b + t s`, so (b, s)
    are determined only up to these two gauges; the result is returned in the canonical gauge
    :math:`\sum_z s_z^2 = 1`, :math:`\sum_z s_z > 0`, :math:`\sum_z b_z s_z = 0`. Composition and
    total charge must vary over the frames for b and s to be separately identifiable.

    The loss is not convex in (b, s): from one start the optimiser can end in a local minimum
    (measured: energy-only labels of 20 frames, a start ending 0.24 eV/atom off labels that
    the truth fits exactly, marked successful). The fit therefore runs from the given (or
    default) start and from the lowest-loss 3 of 64 seeded random draws (deterministic) and
    returns the best minimum; ``extra["minima"]`` lists the distinct minima reached. When
    another minimum fits the labels as well as the best (a likelihood ratio within two
    sigma of the label noise), the charges are not determined: ``success`` is False and
    ``extra["qrd_spread"]`` holds the spread of (b, s) over those minima. When every frame is
    neutral, the labels do not change under :math:`q \to -q` (:math:`b \to -b`): the sign
    is taken from the charges of ``initial``; without an ``initial`` that gives charges,
    ``success`` is False and says so.

    Parameters
    ----------
    frames : sequence of ase.Atoms
        Structures (not modified).
    model : ase.calculators.calculator.Calculator or None
        The short-range model (e.g. :class:`ase_electrolyte.Calculator`); ``None`` fits the
        reference labels themselves.
    reference : None, sequence of dict or ase Calculator
        Labels: ``None`` takes each frame's attached calculator results (e.g. a
        ``SinglePointCalculator`` read from an extended XYZ file); a list of dicts with
        ``energy`` (eV), ``forces`` (eV/Å) and/or ``stress`` (eV/Å³, Voigt); or a calculator.
    weights : tuple of float
        :math:`(w_E, w_F, w_\sigma)`, in 1/(eV/atom)², 1/(eV/Å)², 1/(eV/Å³)² up to a common scale.
    regularization : float
        :math:`\lambda` (1/e²·scale): pulls the charges toward zero.
    fit_offsets : bool
        Fit per-element energy offsets :math:`\mu_z` (eV) with the charges, as a model trained on
        another reference generally has shifted atomic energies; the "before" errors then use
        offsets fitted alone.
    initial : dict, optional
        Starting ``{element: (b, s)}`` (one of the starts); default b = 0, s = 1. Its charges
        choose the overall sign of the fitted charges when every frame is neutral.
    **options
        :class:`Electrostatics` options for the lattice sums and the returned term (``method``,
        ``tolerance``, ``cutoff``, ``short_range``, ...).

    Returns
    -------
    QRdFit

    Raises
    ------
    ValueError
        No frames, a frame without labels, or labels of the wrong shape; a frame the term
        refuses (partial periodicity, atoms closer than 0.1 Å), named by its index; weights
        that are not three numbers in [0, 1e15] (not all 0), a regularization outside
        [0, 1e15], weights of 0 for every label type the frames carry, an ``initial`` naming
        an element the frames do not hold, an ``initial`` with every s = 0 or whose s sum
        to 0 over a frame's atoms (its charges undefined), a reference entry that is no
        dict or labels that are not finite numbers of the right shape (all before any model
        call; a reference calculator's labels as it gives them).
    TypeError
        ``frames`` that are one Atoms or hold something else, a ``reference`` that is no
        sequence of dicts (one dict of labels: pass ``[labels]`` for one frame), an
        ``initial`` that is no dict.
    """
    from scipy.optimize import least_squares

    check_flag("fit_offsets", fit_offsets)
    # before any frame is summed or model called: a negative weight was "math domain error",
    # a negative regulariser or NaN a non-finite residual from scipy after the model ran, a
    # weight of 1e308 an overflow, an initial s of all zeros a division by zero
    if isinstance(weights, (str, bytes)) or np.ndim(weights) != 1 or len(weights) != 3:
        raise ValueError(f"weights must be three numbers (w_E, w_F, w_σ), not {weights!r}")
    w_e, w_f, w_s = (check_number(f"fit_qrd weight {name}", w, minimum=0.0,
                                  maximum=_MAX_FIT_WEIGHT)
                     for name, w in zip(("w_E", "w_F", "w_σ"), weights, strict=True))
    if w_e == w_f == w_s == 0.0:
        raise ValueError("fit_qrd weights are all 0: no label would enter the fit")
    regularization = check_number("fit_qrd regularization", regularization, minimum=0.0,
                                  maximum=_MAX_FIT_WEIGHT)
    from ase import Atoms

    # one Atoms was iterated into Atom objects: "'Atom' object has no attribute
    # 'get_chemical_symbols'"
    if isinstance(frames, Atoms):
        raise TypeError("fit_qrd frames must be a sequence of ase.Atoms; for one structure "
                        "pass [atoms]")
    frames = list(frames)
    if not frames:
        raise ValueError("fit_qrd needs at least one frame")
    for n_f, frame in enumerate(frames):
        if not isinstance(frame, Atoms):
            raise TypeError(f"fit_qrd frame {n_f} is a {type(frame).__name__}, not an ase.Atoms")
    # the fit sets these itself: scheme= ended in "Electrostatics() got multiple values for
    # keyword argument 'scheme'", qrd= in the same for the returned term after every sum
    taken = sorted({"scheme", "qrd", "charges"} & set(options))
    if taken:
        raise ValueError(
            f"fit_qrd sets {', '.join(taken)} itself (the fitted term is scheme='qrd' with the "
            "fitted qrd); its options are those of the lattice sums (method, tolerance, cutoff, "
            "short_range, ...), and the start is initial=")
    if reference is not None and not isinstance(reference, _AseCalculator):
        # one dict of labels for all frames ended in KeyError: 0 (or a count of its keys as
        # "entries"), a number or a string in "object of type 'int' has no len()"
        if isinstance(reference, (Mapping, str, bytes)) or not isinstance(reference, Iterable):
            raise TypeError(
                f"fit_qrd reference must be None, an ASE calculator or a sequence of dicts (one "
                f"per frame), not a {type(reference).__name__}"
                + ("; for one frame pass [labels]" if isinstance(reference, Mapping) else ""))
        reference = list(reference)
        if len(reference) != len(frames):
            raise ValueError(f"{len(reference)} reference entries for {len(frames)} frames")
    elements = sorted({s for f in frames for s in f.get_chemical_symbols()},
                      key=lambda s: atomic_numbers[s])
    k = len(elements)
    if initial is not None and not isinstance(initial, Mapping):
        # [] and 0 were taken for "no start", a list of pairs was told scheme='qrd' needs a dict
        raise TypeError(f"fit_qrd initial must be None or a dict {{element: (b, s)}}, not "
                        f"{initial!r}")
    init = _normalise_qrd(initial) if initial else {}
    # an element the frames do not hold starts nothing: {"Na": (1, 1)} on Li/F frames (a
    # misnamed element, or the wrong frames) was dropped without a word and the fit ran
    # from the default start
    foreign = [e for e in init if e not in elements]
    if foreign:
        raise ValueError(
            f"fit_qrd initial names {', '.join(foreign)}, which the frames do not hold (their "
            f"elements: {', '.join(elements)}); give starts for those elements only")
    if not any(init.get(e, (0.0, 1.0))[1] != 0.0 for e in elements):
        raise ValueError("fit_qrd initial: every s of the frames' elements is 0, which fixes "
                         "no charge; give nonzero s (default 1)")
    s_start = np.array([init.get(e, (0.0, 1.0))[1] for e in elements])
    s_start = s_start / np.linalg.norm(s_start)
    for n_f, frame in enumerate(frames):
        symbols = frame.get_chemical_symbols()
        if abs(sum(s_start[elements.index(e)] for e in symbols)) < 1e-12 * len(symbols):
            raise ValueError(f"fit_qrd initial: the s of frame {n_f}'s atoms sum to 0, which "
                             "leaves its charges undefined; give s that do not cancel")
    options = dict(options)
    # single-element unit charges are not neutral: the blocks need the background term, which
    # cancels in any neutral combination
    # its own charges are never read: evaluate() is given each block's charges
    term = Electrostatics(scheme="fixed", charges=[1.0], **options)
    if term.parameters["method"] != "direct":
        # a direct sum (molecules) has no background to add, and refuses one as without effect
        term.set(background=True)

    for n_f, frame in enumerate(frames):
        check_atoms(frame)
        # every frame before any model call or sum; the sums below call evaluate(), which
        # checks nothing: a slab (pbc TTF) was summed as a molecule and coincident atoms
        # entered the fit
        try:
            term._check(frame)
        except ValueError as err:
            raise ValueError(f"frame {n_f}: {err}") from None

    # every frame's labels before any model call (a reference calculator's are checked as it
    # gives them)
    given = not isinstance(reference, _AseCalculator)
    refs = [_labels(frame, reference, n_f) if given else None
            for n_f, frame in enumerate(frames)]
    if given:
        # weights that give 0 to every label the frames carry: the "fit" was the regulariser
        # alone, reported as a success (with every error inf, blamed on the composition)
        carried = {key for ref, frame in zip(refs, frames, strict=True)
                   for key in ("energy", "forces", "stress")
                   if ref[key] is not None and (key != "stress" or frame.pbc.all())}
        weight = {"energy": w_e, "forces": w_f, "stress": w_s}
        if not any(weight[key] > 0.0 for key in carried):
            raise ValueError(
                f"fit_qrd weights give 0 to every label the frames carry "
                f"({', '.join(sorted(carried))}): no label would enter the fit")
    data = []
    for n_f, frame in enumerate(frames):
        ref = refs[n_f] if given else _labels(frame, reference, n_f)
        mod = _model_labels(frame, model)
        n = len(frame)
        d = {
            "n": n,
            # the returned term's Q_total: a charge_scale in the options was left out here,
            # so a fit of scaled charges fitted unscaled ones and returned a scaled term
            "Q": term.total_charge(frame),
            "count": np.array([np.sum(np.array(frame.get_chemical_symbols()) == e)
                               for e in elements], dtype=float),
            "dE": None if ref["energy"] is None else float(ref["energy"]) - float(mod["energy"]),
            "dF": None if ref["forces"] is None else ref["forces"] - mod["forces"],
            "dS": None,
        }
        if ref["stress"] is not None and frame.pbc.all():
            d["dS"] = ref["stress"].reshape(6) - np.asarray(mod["stress"]).reshape(6)
        d["B_e"], d["B_f"], d["B_s"] = _bilinear_blocks(frame, term, elements)
        data.append(d)

    def charges_of(params, d):
        b, s = params[:k], params[k:2 * k]
        s_sum = d["count"] @ s
        return b + s * (d["Q"] - d["count"] @ b) / s_sum

    def residuals(params, with_qrd=True, gauge=True, kinds=False):
        """The weighted residual vector; with ``kinds`` the kind of each row instead
        (_ROW_KINDS: labels by type, or a row without label noise)."""
        mu = params[2 * k:] if fit_offsets else np.zeros(k)
        out = []
        for d in data:
            c = charges_of(params, d) if with_qrd else np.zeros(k)
            if d["dE"] is not None:
                e = d["dE"] - c @ d["B_e"] @ c - d["count"] @ mu
                out.append(("energy", [math.sqrt(w_e) * e / d["n"]]))
            if d["dF"] is not None:
                f = d["dF"] - np.einsum("a,b,abnx->nx", c, c, d["B_f"])
                out.append(("forces", math.sqrt(w_f / (3 * d["n"])) * f.ravel()))
            if d["dS"] is not None and d["B_s"] is not None:
                st = d["dS"] - np.einsum("a,b,abx->x", c, c, d["B_s"])
                out.append(("stress", math.sqrt(w_s / 6) * st))
            if with_qrd:
                out.append(("prior", np.sqrt(regularization * d["count"] / d["n"]) * c))
        if with_qrd and gauge:
            b, s = params[:k], params[k:2 * k]
            out.append(("prior", [s @ s - 1.0, b @ s]))
        if kinds:
            return np.concatenate([np.full(np.size(x), _ROW_KINDS.index(kind))
                                   for kind, x in out])
        return np.concatenate([np.ravel(x) for _, x in out])

    def errors(params, with_qrd):
        mu = params[2 * k:] if fit_offsets else np.zeros(k)
        se, sf, ss = [], [], []
        for d in data:
            c = charges_of(params, d) if with_qrd else np.zeros(k)
            if d["dE"] is not None:
                se.append((d["dE"] - c @ d["B_e"] @ c - d["count"] @ mu) / d["n"])
            if d["dF"] is not None:
                sf.append((d["dF"] - np.einsum("a,b,abnx->nx", c, c, d["B_f"])).ravel())
            if d["dS"] is not None and d["B_s"] is not None:
                ss.append(d["dS"] - np.einsum("a,b,abx->x", c, c, d["B_s"]))

        def rmse(x):
            return float(np.sqrt(np.mean(np.concatenate(x) ** 2))) if x else None

        return {"energy_per_atom": rmse([np.atleast_1d(x) for x in se]), "forces": rmse(sf),
                "stress": rmse(ss)}

    # "before": the model, with per-element offsets fitted alone (linear least squares)
    mu0 = np.zeros(k)
    rows = [(d["count"] / d["n"], d["dE"] / d["n"]) for d in data if d["dE"] is not None]
    if fit_offsets and rows:
        A = np.array([r[0] for r in rows])
        y = np.array([r[1] for r in rows])
        mu0 = np.linalg.lstsq(A, y, rcond=None)[0]
    before_params = np.concatenate([np.zeros(k), np.ones(k), mu0 if fit_offsets else []])
    errors_before = errors(before_params, with_qrd=False)

    b0 = np.array([init.get(e, (0.0, 1.0))[0] for e in elements])
    s0 = np.array([init.get(e, (0.0, 1.0))[1] for e in elements])
    mu_start = mu0 if fit_offsets else np.zeros(0)
    x0 = _canonical_gauge(np.concatenate([b0, s0, mu_start]), k)
    neutral = all(abs(d["Q"]) < TOTAL_CHARGE_TOLERANCE for d in data)

    def all_charges(params):
        return np.concatenate([charges_of(params, d) for d in data])

    # least squares from several starts: the loss is not convex in (b, s), and one start can
    # end in a local minimum whose error bars describe it alone
    rng = np.random.default_rng(_START_SEED)
    candidates = [_canonical_gauge(np.concatenate(
        [rng.normal(0.0, 1.0, k), rng.uniform(0.3, 1.5, k), mu_start]), k)
        for _ in range(_CANDIDATES)]
    with np.errstate(all="ignore"):
        losses = [float(np.sum(residuals(c) ** 2)) for c in candidates]
    order = np.argsort(np.where(np.isfinite(losses), losses, np.inf), kind="stable")
    starts = [x0] + [candidates[i] for i in order[:_STARTS - 1]]
    method = "lm" if len(residuals(x0)) >= len(x0) else "trf"
    runs = []
    for start in starts:
        with np.errstate(all="ignore"):
            sol = least_squares(residuals, start, method=method, xtol=1e-14, ftol=1e-14,
                                gtol=1e-14, max_nfev=20000)
        if np.isfinite(sol.cost) and np.all(np.isfinite(sol.x)):
            runs.append(sol)
    if not runs:
        raise ValueError("fit_qrd: the optimiser ended in non-finite values from every start")
    sol = min(runs, key=lambda r: r.cost)
    x = _canonical_gauge(sol.x, k)
    # all frames neutral: q -> -q (b -> -b) changes no label, so the labels fix the charges
    # only up to their overall sign; the sign is taken from the start's charges when they
    # have one
    signed = all_charges(x0)
    sign_unknown = neutral and not np.any(np.abs(signed) > 1e-12)
    if neutral and not sign_unknown and all_charges(x) @ signed < 0:
        x[:k] = -x[:k]
    minima = _distinct_minima(runs, x, all_charges, neutral, k)
    n_rows = int(np.sum(residuals(sol.x, kinds=True) < _ROW_KINDS.index("prior")))
    # another minimum the labels do not tell from the best: the likelihood ratio
    # Δχ² = 2 Δcost / σ̂² below 4 (two sigma), σ̂² from the best fit's residuals; with no
    # rows to spare for σ̂², or labels fitted to rounding, minima equal to 1e-10 of the
    # labels' own residual (RMS) are equal
    spare = n_rows - (len(x) - 2)
    sigma2 = 2.0 * sol.cost / spare if spare > 0 else 0.0
    floor = 1e-20 * float(np.sum(residuals(before_params, with_qrd=False) ** 2))
    rivals = [m for m in minima[1:]
              if 2.0 * (m["cost"] - minima[0]["cost"]) <= 4.0 * sigma2 + floor]
    b, s = x[:k], x[k:2 * k]
    errors_after = errors(x, with_qrd=True)

    from mda_electrolyte.uncertainty import few_dof_note

    se, nu, unidentified = _fit_stderr(sol.jac, sol.fun, residuals(sol.x, kinds=True), sol.x,
                                       k)
    qrd = {e: (float(b[a]), float(s[a])) for a, e in enumerate(elements)}
    stderr = {e: (float(se[a]), float(se[k + a])) for a, e in enumerate(elements)}
    unseen = sorted({elements[i % k] for i in unidentified if i < 2 * k},
                    key=lambda e: atomic_numbers[e])
    dof = {e: (float(nu[a]), float(nu[k + a])) for a, e in enumerate(elements)}
    notes = [f"(b, s) of {', '.join(unseen)} not determined by the labels (composition and "
             "total charge do not vary enough): error inf"] if unseen else []
    fewest = min((v for e, pair in dof.items() if e not in unseen for v in pair), default=None)
    few = None if fewest is None else few_dof_note(int(round(fewest)), "label rows",
                                                   "the label noise of the QRd errors")
    if few:
        notes.append(few)
    success, message = bool(sol.success), str(sol.message)
    if sign_unknown:
        success = False
        message = ("every frame is neutral, so the labels fix the charges only up to their "
                   "overall sign (q -> -q fits as well); give initial={element: (b, s)} whose "
                   "charges have the expected signs")
        notes.append(message)
    if rivals:
        success = False
        message = (f"{len(rivals) + 1} distinct minima fit the labels equally well (within "
                   "two sigma of the label noise): the charges are not determined; "
                   "extra['qrd_spread'] is their spread")
        notes.append(message)
    spread = {}
    for a, e in enumerate(elements):
        group = [minima[0]["x"]] + [m["x"] for m in rivals]
        spread[e] = (float(np.ptp([g[a] for g in group])),
                     float(np.ptp([g[k + a] for g in group])))
    extra = {"stderr_method": _STDERR_METHOD, "stderr_dof": dof, "unidentified": unseen,
             "stderr_notes": notes, "starts": len(starts),
             "minima": [{"qrd": {e: (float(m["x"][a]), float(m["x"][k + a]))
                                 for a, e in enumerate(elements)},
                         "cost": m["cost"], "starts": m["starts"]} for m in minima],
             "qrd_spread": spread, "sign_determined": not sign_unknown}
    offsets = {e: float(x[2 * k + a]) for a, e in enumerate(elements)} if fit_offsets else {}
    return QRdFit(
        electrostatics=Electrostatics(scheme="qrd", qrd=qrd, **options),
        qrd=qrd,
        qrd_stderr=stderr,
        offsets=offsets,
        errors_before=errors_before,
        errors_after=errors_after,
        success=success,
        message=message,
        n_frames=len(frames),
        extra=extra,
    )
