r"""Fine-tuning SevenNet models on labelled frames, through sevenn's own trainer.

The SevenNet-0 electrolyte study (Ju et al., 2025) finds the pretrained model too soft between
molecules and names fine-tuning on sampled intermolecular interactions as the remedy; BAMBOO
(Gong et al., 2024) fine-tunes to distil an ensemble and to align densities with experiment
(:mod:`ase_electrolyte.distill`, :mod:`ase_electrolyte.density_alignment`). This module writes
sevenn's ``input.yaml``, parses it with sevenn's own parser and runs the steps of sevenn's
``train_v2`` (data set, model, trainer with its loss, optimiser and scheduler, epoch loop,
checkpoints): there is no training loop here. Two things differ from ``train_v2``: the batch
order of epoch *e* is drawn from (seed, *e*) alone, and every epoch's checkpoint is kept until
the next one is written whole, so that a member stopped part-way (SIGTERM, Ctrl-C) resumes at
its last finished epoch and ends as the uninterrupted run would.
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import json
import os
import random
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator
from ase.data import chemical_symbols
from ase.stress import full_3x3_to_voigt_6_stress
from ase.units import Bohr, GPa

from .atomic_file import (
    atomic_path,
    check_output_path,
    save_figure,
    write_json_atomic,
    write_text_atomic,
)
from .atoms_checks import check_atoms, check_flag, check_number, check_overlaps
from .option_words import choice_word
from .topology import check_extxyz
from .units import LABEL_ENERGY_UNITS, LABEL_FORCE_UNITS, LABEL_STRESS_UNITS

__all__ = ["finetune", "FinetuneResult", "read_labelled", "read_frames_file", "label_errors",
           "label_error_estimates", "check_finetune_options", "earlier_members", "MAX_EPOCHS",
           "MAX_ENSEMBLE", "StressUncheckedWarning", "LabelOffsetWarning",
           "RepeatedFramesWarning"]

# forces (eV/Å) and energies (eV/atom) beyond these are not eV-based units for any liquid or
# crystal a universal model describes: kcal/mol (×23) and kJ/mol (×96) labels land here
_MAX_RMS_FORCE = 30.0
_MAX_ENERGY_PER_ATOM = 50.0
# the least-squares scale between label and base-model forces outside [1/4, 4] says the labels
# use another unit (kcal/mol/Å: 23; kJ/mol/Å: 96; Hartree/Bohr: 1/51)
_FORCE_SCALE_RANGE = (0.25, 4.0)
# the net force per atom |ΣF|/N beyond this (eV/Å) and beyond a tenth of the RMS force is no DFT
# drift (a few meV/Å) but an external field, a QM region cut from a larger system or labels
# of other atoms
_MAX_NET_FORCE = 0.1
# nearest-neighbour distance / sum of covalent radii (Cordero et al. 2008): 0.9-1.3 between
# bonded atoms; ×1.89 in bohr, ×0.1 in nm (see _check_distances)
_NEIGHBOUR_RATIO_RANGE = (0.5, 1.6)
# the quantile of the atoms' ratios judged against the lower end for nm (_check_distances)
_NM_QUANTILE = 0.75
# the median of that ratio over a data set's frames beyond which the positions are in bohr
# (correct structures: 0.73-1.24; see _check_data_distances)
_MAX_MEDIAN_RATIO = 1.5
# energy differences over the work of the forces between frames (1 in consistent units; see
# _check_work): the range accepted, and the correlation from which it is judged
_WORK_SCALE_RANGE = (0.4, 1.45)
#: The largest factor of energy differences on the trapezoidal work of the forces that
#: correct labels gave (1.13 over 560 judged random sets of EMT copper, 4 or 8 atoms rattled
#: by 0.05-0.3 Å, 4-20 frames; 0.83-0.98 along MD): a factor below the range is read as a
#: unit (:func:`_check_work`) only where it is at most this multiple of the unit's factor.
_MAX_CORRECT_WORK_FACTOR = 1.15
_MIN_WORK_CORRELATION = 0.95
# what that factor is when one of the two is in another unit (the other in eV or eV/Å)
# (units.LABEL_ENERGY_UNITS, LABEL_FORCE_UNITS: forces in another unit scale the work by their
# factor, so the ratio by its inverse)
_WORK_READINGS = {
    **{f"{unit} energies": LABEL_ENERGY_UNITS[unit]
       for unit in ("Hartree", "Rydberg", "kcal/mol", "kJ/mol")},
    **{f"{unit} forces": 1.0 / LABEL_FORCE_UNITS[unit]
       for unit in ("eV/bohr", "Hartree/bohr", "kcal/mol/Å", "kJ/mol/Å")},
}
# the info keys of labels that ase.io's extxyz reader leaves in an Atoms without calculator
_LABEL_KEYS = ("energy", "free_energy", "stress", "virial")
#: Energy units a label may be in by mistake: the factor of the label on eV.
ENERGY_UNIT_FACTORS = {unit: LABEL_ENERGY_UNITS[unit]
                       for unit in ("Hartree", "Rydberg", "kcal/mol", "kJ/mol")}
# labels within this of the base model's energy (eV/atom) pass the energy check whatever else
_ENERGY_OFFSET_ALLOWED = 0.5

#: Most epochs and ensemble members a fine-tune accepts: beyond any training (SevenNet-0 was
#: pretrained for 600 epochs; committees hold 2-10 members), so a larger number is a mistake
#: that would otherwise run until killed (epochs=10**12, ensemble=10**9 did).
MAX_EPOCHS = 10**6
#: Most fine-tuned members of one committee (see :data:`MAX_EPOCHS`).
MAX_ENSEMBLE = 1000

#: Largest seed of a fine-tuned member: torch.manual_seed's (an unsigned 64-bit integer).
MAX_SEED = 2**64 - 1

#: Units of the learning curve's RMSEs (``<split>_<quantity>_rmse``), by quantity.
RMSE_UNITS = {"energy": "eV/atom", "force": "eV/Å", "stress": "kbar"}

#: The note of a one-member fine-tune: a committee of one has no spread to measure uncertainty.
ONE_MEMBER_NOTE = (
    "one member: there is no ensemble spread, so no estimate of the model uncertainty "
    "(train ensemble >= 2 members for a committee)"
)


@dataclass
class FinetuneResult:
    """What :func:`finetune` returns.

    Attributes
    ----------
    checkpoint : pathlib.Path
        The fine-tuned model (first member of an ensemble), loadable as
        ``ase_electrolyte.Calculator(str(checkpoint))``.
    checkpoints : list of pathlib.Path
        One per ensemble member.
    learning_curves : list of list of dict
        Per member, one row per epoch: ``epoch``, ``lr`` and sevenn's errors
        ``train_energy_rmse`` (eV/atom), ``train_force_rmse`` (eV/Å), ``train_stress_rmse``
        (kbar), and ``valid_*`` the same when a validation set was given; epoch 0 is the base
        model, evaluated before training.
    plot : pathlib.Path or None
        Learning-curve PNG.
    workdir : pathlib.Path
    notes : list of str
        What the members cannot tell: one member has no spread (no uncertainty); members
        fine-tuned from one pretrained model differ only by batch order; members reused from
        an earlier, interrupted run of the same fine-tune.
    reused : list of int
        Members not trained by this call: finished by an earlier call with the same base
        model, data and settings (see :func:`earlier_members`), their model file unchanged.
    """

    checkpoint: Path
    checkpoints: list
    learning_curves: list
    plot: Path | None
    workdir: Path
    notes: list = field(default_factory=list)
    reused: list = field(default_factory=list)


def read_labelled(source, *, what="training data", check_units=True):
    """Frames with energy and forces (and, where periodic, stress) as a list of Atoms.

    Parameters
    ----------
    source : str, os.PathLike, ase.Atoms or sequence of ase.Atoms
        An extxyz file, an ``ase.db`` file (``.db``) or Atoms with a (single-point) calculator
        holding the labels: energy (eV), forces (eV/Å), optional stress (eV/Å³, ASE's sign:
        :math:`-p` on the diagonal; 6 Voigt or 9 values). Atoms without a calculator may hold
        them as ase.io's extxyz reader reads them: ``info["energy"]``, ``arrays["forces"]``,
        ``info["stress"]``, or ``info["virial"]`` (eV; the stress is :math:`-W/V`). Stress
        labels of frames not periodic in all three directions are not used.
    what : str
        Name of the data set, for messages.
    check_units : bool
        Refuse positions whose interatomic distances say nm or bohr (judged from the
        nearest-neighbour distances over the sums of covalent radii, Cordero et al. 2008:
        nm shrinks them ×0.1, bohr stretches them ×1.89); False for a data set of
        gases only, whose atoms legitimately sit beyond bonding distance.

    Returns
    -------
    list of ase.Atoms
        Copies, each with a :class:`~ase.calculators.singlepoint.SinglePointCalculator`.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A file that cannot be read as frames (see :func:`read_frames_file`), no frames, a
        frame of no atom, non-finite positions or a degenerate periodic cell, atoms (or
        periodic images) closer than 0.1 Å, a
        frame without energy or forces, non-finite labels, labels whose size says they are
        not in eV, eV/Å and eV/Å³ (forces beyond 30 eV/Å RMS only where the frame's energy
        does not differ from a neighbour's in the same cell by their work within ×8: atoms
        pressed together are eV/Å), forces that do not sum to about zero (a net force per atom above
        0.1 eV/Å and above a tenth of the RMS force), interatomic distances that say the
        positions are in nm or bohr, each naming the frame; energy differences between
        frames of the same atoms and cell that are not the work of the forces (trapezoidal
        rule), or, between frames in other cells, not the work of the stress labels on the
        strain (stresses in VASP's sign, GPa or kbar), naming the frames.
    """
    from mda_electrolyte.model_labels import stress_label_bound

    check_flag("check_units", check_units)
    frames = _frame_list(source, what)
    if not frames:
        raise ValueError(f"{what} holds no frames")
    out, medians, strong = [], [], []
    for k, atoms in enumerate(frames):
        if len(atoms) == 0:
            raise ValueError(f"{what}: frame {k} holds no atom")
        try:
            # sevenn would train on NaN positions or a degenerate cell and return a NaN model
            check_atoms(atoms)
        except ValueError as err:
            raise ValueError(f"{what}: frame {k}: {err}") from None
        results = _frame_labels(atoms, f"{what}: frame {k}")
        # a label of the wrong size was a bare numpy reshape error ("cannot reshape array of
        # size 2 into shape ()"), naming neither the frame nor the label
        energy = _label_array(results["energy"], (1,), "energy", f"{what}: frame {k}")
        energy = float(energy[0])
        forces = _label_array(results["forces"], (len(atoms) * 3,), "forces",
                              f"{what}: frame {k}", f"3 per atom for its {len(atoms)} atoms")
        forces = forces.reshape(len(atoms), 3)
        labels = {"energy": energy, "forces": forces}
        stress_key = next((key for key in ("stress", "virial")
                           if key in results or key in atoms.info), None)
        if stress_key and not atoms.pbc.all():
            # the stress was dropped without a word, and the frame trained as a cluster: a
            # periodic calculation's frame built as ase.Atoms(cell=...) (pbc False by default)
            # taught the model labels made with neighbours it never saw
            raise ValueError(
                f"{what}: frame {k} has a {stress_key} label but is not 3D-periodic (pbc "
                f"{atoms.pbc.tolist()}): a {stress_key} is a periodic box's, so its labels were "
                "made with periodic images the frame lacks (ase.Atoms(cell=...) leaves pbc "
                "False); set atoms.pbc = True, or, for a molecule in vacuum, drop the "
                f"{stress_key} label")
        if "stress" in results:
            stress = _label_array(results["stress"], (6, 9), "stress", f"{what}: frame {k}",
                                  "6 (Voigt) or 9 (3×3)")
            labels["stress"] = (
                full_3x3_to_voigt_6_stress(stress.reshape(3, 3)) if stress.size == 9 else stress
            )
        bad = {name: int(np.size(v) - np.isfinite(v).sum()) for name, v in labels.items()
               if not np.isfinite(v).all()}
        if bad:
            # which label and how much of it: one NaN force of a diverged DFT step reads
            # otherwise as the whole frame being damaged
            said = ", ".join(f"{name} ({n} of {np.size(labels[name])} values NaN or infinite)"
                             for name, n in bad.items())
            raise ValueError(f"{what}: frame {k} has non-finite labels: {said}; drop the "
                             "frame or fix its labels")
        rms_f = float(np.sqrt(np.mean(forces**2)))
        if rms_f > _MAX_RMS_FORCE:
            strong.append((k, rms_f))
        _check_net_force(forces, f"{what}: frame {k}")
        if check_units:
            medians.append(_check_distances(atoms, f"{what}: frame {k}"))
        # coincident atoms give the model a zero-length edge: sevenn trained on NaN and the
        # fine-tune ended in "training diverged ... lower lr" after paying for the epochs
        # (after the unit check: positions in nm press every bond below 0.1 Å, and say so)
        check_overlaps(atoms, what=f"{what}: frame {k}")
        if abs(energy) / len(atoms) > _MAX_ENERGY_PER_ATOM:
            raise ValueError(
                f"{what}: frame {k} has {energy / len(atoms):.3g} per atom, which does not look "
                "like eV (kcal/mol or kJ/mol?); convert the energies to eV"
            )
        # beyond 1 eV/Å³ (160 GPa) and what the frame's forces make: GPa or kbar written as
        # eV/Å³ (the bound shared with IntraInterErrors' references)
        if "stress" in labels and np.abs(labels["stress"]).max() > stress_label_bound(
                forces, atoms.get_volume()):
            raise ValueError(
                f"{what}: frame {k} has a stress of {np.abs(labels['stress']).max():.3g}, which "
                "does not look like eV/Å³ (GPa or kbar?); convert the stress to eV/Å³"
            )
        copy = atoms.copy()
        # the labels live in the calculator alone: read from info and arrays, they stayed
        # there too, and ase's extxyz writer refused the frames with a KeyError ("key from
        # calculator already exists in atoms.info") after the base model had been evaluated
        for key in _LABEL_KEYS:
            copy.info.pop(key, None)
        copy.arrays.pop("forces", None)
        copy.calc = SinglePointCalculator(copy, **labels)
        out.append(copy)
    for k, rms_f in strong:
        # atoms pressed together (EMT copper rattled by 0.3 Å: 35 eV/Å) are eV/Å where the
        # energy differs from a neighbour's by the work of the forces: kcal/mol/Å forces
        # among eV energies miss it by ×23
        if not _energy_follows_work(out, k):
            raise ValueError(
                f"{what}: frame {k} has an RMS force of {rms_f:.3g}, which does not look like "
                "eV/Å (kcal/mol/Å or kJ/mol/Å?); convert the forces to eV/Å"
            )
    if check_units:
        _check_data_distances(medians, what)
        _check_work(out, what)
        _check_stress_work(out, what)
    return out


def _check_net_force(forces, where):
    r"""ValueError when a frame's forces do not sum to about zero.

    Forces of an isolated or periodic system without external field sum to zero
    (translational invariance); DFT leaves a drift of a few meV/Å. A net force per atom
    :math:`\lvert\sum_i \mathbf F_i\rvert / N` above 0.1 eV/Å and above a tenth of the
    RMS force is an external field, a region cut from a larger system or forces of other
    atoms; a model trained on it learns a force no potential energy can give.
    """
    net = np.linalg.norm(forces.sum(axis=0)) / len(forces)
    rms = float(np.sqrt(np.mean(np.sum(forces**2, axis=1))))
    if net > _MAX_NET_FORCE and net > 0.1 * rms:
        raise ValueError(
            f"{where}: its forces sum to {net * len(forces):.3g} eV/Å ({net:.3g} eV/Å per atom, "
            f"RMS force {rms:.3g} eV/Å), not about zero: an external field, atoms cut from a "
            "larger system or forces of other atoms; a potential energy cannot give them"
        )


def _pair_box(atoms, cutoff):
    """Positions and a periodic cell in which vesin finds ``atoms``' pairs within ``cutoff``.

    A periodic direction keeps its cell vector; a non-periodic one (a molecule, a slab's
    normal) is replaced by an orthonormal complement of the periodic vectors, times more than
    the frame's extent plus the cutoff, so that no image comes within ``cutoff`` through it.
    """
    pbc = atoms.pbc
    cell = np.array(atoms.cell.array, dtype=np.float64)
    if pbc.all():
        return atoms.positions, cell
    span = np.ptp(atoms.positions, axis=0) if len(atoms) else np.zeros(3)
    length = float(np.linalg.norm(span)) + 2.0 * cutoff + 1.0
    periodic = cell[pbc]
    # the last rows of V^T span the complement of the periodic vectors
    _, _, vt = np.linalg.svd(np.vstack([periodic, np.zeros((3 - len(periodic), 3))]))
    complement = iter(vt[len(periodic):])
    box = np.array([cell[k] if pbc[k] else next(complement) * length for k in range(3)])
    return atoms.positions, box


def _nearest_ratios(atoms, cutoff):
    """Per atom, its nearest-neighbour distance over the sum of the two covalent radii.

    Over every periodic image (:func:`ase_electrolyte.neighbour_pairs.pairs_within`); ``inf``
    for an atom with no neighbour within ``cutoff`` Å.
    """
    from ase.data import covalent_radii

    from .neighbour_pairs import pairs_within

    radii = covalent_radii[atoms.numbers]
    positions, box = _pair_box(atoms, cutoff)
    pairs, d = pairs_within(positions, box, float(cutoff), "Pd")
    i, j = pairs[:, 0], pairs[:, 1]
    ratio = np.full(len(atoms), np.inf)
    r = d / (radii[i] + radii[j])
    # a half list: each pair once, for both of its atoms
    np.minimum.at(ratio, i, r)
    np.minimum.at(ratio, j, r)
    return ratio


#: noble gases: their nearest neighbours sit at van der Waals distances, not bonded ones
_NOBLE_GASES = (2, 10, 18, 36, 54, 86)


def _judged_atoms(atoms):
    """The atoms of a frame whose nearest-neighbour distances say its unit (None: too few)."""
    keep = np.flatnonzero(~np.isin(atoms.numbers, _NOBLE_GASES))
    return atoms[keep] if len(keep) >= 3 else None


def _unit_error(where, who, unit, median, limit, statistic="median"):
    factor = 0.1 if unit == "nm" else 1.0 / Bohr
    shown = f"{median:.2g} ×" if np.isfinite(median) else f"over {limit} ×"
    return ValueError(
        f"{where}: {who} sit {'beyond' if unit == 'bohr' else 'well within'} bonding distance "
        f"of their nearest neighbours ({statistic} nearest distance {shown} the sum of covalent "
        f"radii, where bonded atoms are 0.9-1.3 ×; H-H is 0.74 Å, O-H 0.96 Å, Cu-Cu 2.55 Å): "
        f"positions in {unit} (×{factor:.3g} the Å values)? convert the positions and the "
        "cell to Å (check_units=False skips this check)"
    )


def _check_distances(atoms, where):
    """ValueError when a frame's interatomic distances say its positions are not in Å.

    The nearest-neighbour distance over the sum of the two covalent radii
    (:data:`ase.data.covalent_radii`, Cordero et al. 2008) is 0.9-1.3 for bonded atoms (H-H
    0.74 Å, O-H 0.96 Å, C-H 1.09 Å, Li-H 1.6 Å, Cu-Cu 2.55 Å). Positions in nm make it ×0.1
    for every atom: refused when its upper quartile over the atoms is below 0.5 (a rattle
    presses pairs of atoms together, not three quarters of them). Positions in bohr make it ×1.89:
    judged here on the hydrogens alone, which are bonded in any molecule, liquid or hydride,
    refused when their median is above 1.6; frames without hydrogen are judged together by
    :func:`_check_data_distances`. Frames of fewer than 3 atoms, and noble gases (van der
    Waals distances), are not judged.

    Returns
    -------
    float or None
        The median ratio over the frame's judged atoms (None when not judged).
    """
    from ase.data import covalent_radii

    sub = _judged_atoms(atoms)
    if sub is None:
        return None
    radii = covalent_radii[sub.numbers]
    lo, hi = _NEIGHBOUR_RATIO_RANGE
    # positions in nm first, within a small radius: a 10x too dense frame holds 1000x the
    # pairs of a wide search
    near = _nearest_ratios(sub, lo * 2.0 * float(radii.max()))
    # the upper quartile, not the median: nm brings every atom within 0.2 × of its
    # neighbour, a rattle brings a pair (a water rattled by 0.2 Å: the O and an H of one
    # compressed O-H bond, 2 of its 3 atoms and so the median, in 5 % of frames)
    quartile = float(np.quantile(near, _NM_QUANTILE, method="inverted_cdf"))
    if quartile < lo:
        raise _unit_error(where, "its atoms", "nm", quartile, lo, "upper quartile of the")
    hydrogen = sub.numbers == 1
    # wide enough to show the ratio of bonds stretched x1.89 (bohr) in the message
    cutoff = max(hi * (covalent_radii[1] + radii.max()), 2.0 * 2 * radii.max())
    ratio = _nearest_ratios(sub, float(cutoff))
    if hydrogen.any() and float(np.median(ratio[hydrogen])) > hi:
        raise _unit_error(where, "its hydrogens", "bohr", float(np.median(ratio[hydrogen])), hi)
    return float(np.median(ratio))


def _check_data_distances(medians, what):
    """ValueError when the frames' nearest-neighbour distances together say bohr.

    ``medians`` holds, per frame, the median ratio of :func:`_check_distances` (None where not
    judged). Positions in bohr stretch every bond ×1.89: the median over the frames is then
    above 1.5, where correct structures lie at 0.73-1.24 (measured: the bulk reference
    structure of every element in :func:`ase.build.bulk`, 0.73 for U to 1.24 for Np; the G2
    molecules, 0.78-1.16; rock-salt, CsCl, zinc-blende and fluorite salts, 0.94-1.09). A
    gas or an expanded frame legitimately lies above 1.5 (copper at 1/8 of its density:
    2.0), so the data set is judged, not each frame: a unit error concerns every frame of a
    file, while gas frames are a minority of a training set.
    """
    judged = [(k, m) for k, m in enumerate(medians) if m is not None]
    if not judged:
        return
    overall = float(np.median([m for _, m in judged]))
    if overall <= _MAX_MEDIAN_RATIO:
        return
    far = [k for k, m in judged if m > _MAX_MEDIAN_RATIO]
    shown = ", ".join(map(str, far[:10])) + (" ..." if len(far) > 10 else "")
    raise _unit_error(
        f"{what}: frame(s) {shown} ({len(far)} of {len(judged)} judged)", "their atoms",
        "bohr", overall, _MAX_MEDIAN_RATIO,
    )


def _consecutive_pairs(frames):
    """``(ka, kb, step)`` for consecutive frames of the same atoms, cell and periodicity, the
    pairs whose energy difference is the work of the forces along ``step`` (minimum-image
    displacements in Å; cells equal to 1e-6 Å)."""
    from ase.geometry import find_mic

    groups = {}
    for k, atoms in enumerate(frames):
        key = (atoms.numbers.tobytes(), np.round(atoms.cell.array, 6).tobytes(),
               atoms.pbc.tobytes())
        groups.setdefault(key, []).append(k)
    for members in groups.values():
        for ka, kb in zip(members[:-1], members[1:], strict=True):
            a, b = frames[ka], frames[kb]
            step = b.positions - a.positions
            if a.pbc.any():
                step, _ = find_mic(step, a.cell, a.pbc)
            yield ka, kb, step


def _check_work(frames, what):
    r"""ValueError when the energy differences are not the work of the forces (unit mismatch).

    Between two frames of the same atoms and cell, :math:`E_b - E_a = -\int \mathbf F\cdot
    d\mathbf x`, which the trapezoidal rule gives as :math:`-\tfrac12\sum_i (\mathbf F_{a,i}
    + \mathbf F_{b,i})\cdot(\mathbf x_{b,i} - \mathbf x_{a,i})` (exact for a harmonic
    energy; minimum-image displacements). Over consecutive frames of each such group the
    least-squares factor :math:`s` of the energy differences on this work is 1 when energies
    and forces share a unit: forces in eV/bohr with positions in Å make it 1.89, energies in
    kcal/mol with forces in eV/Å 23, energies in Hartree 1/27, energies per atom 1/N (named
    when the differences times the atom counts fit, nearest reading first: for 32 atoms per
    frame they had read as Hartree energies alone, and frames of several sizes had passed
    unjudged, their differences correlating too little with the work). Judged from the labels
    alone
    (any chemistry, with or without a base model) where the two correlate (at least 0.95:
    frames far apart along an anharmonic path do not), on at least 3 pairs; refused outside
    [0.4, 1.45] (measured on correct labels: 0.83-0.98 for rattled EMT copper and ethanol),
    below it only within ×1.5 of a reading and at most :data:`_MAX_CORRECT_WORK_FACTOR` times
    it (correct labels of copper rattled by 0.3 Å give 0.19-0.98: the anharmonic steps, not a
    unit; those of 4-atom frames 0.32-0.39 had read as energies per atom, 1/4). A factor
    outside the range is judged only where its interval (:func:`_work_factor_interval`) lies
    outside it too: anharmonic pairs scatter about the fit, a unit moves them all (correct
    labels of a water molecule rattled by 0.19-0.3 Å gave 2.3-2.5, read as eV/bohr, in 10
    of 2490 random water sets; none now).
    """
    d_energy, work, involved, sizes, pairs = [], [], set(), [], []
    for ka, kb, step in _consecutive_pairs(frames):
        a, b = frames[ka], frames[kb]
        forces = a.calc.results["forces"] + b.calc.results["forces"]
        work.append(-0.5 * float(np.sum(forces * step)))
        d_energy.append(float(b.calc.results["energy"] - a.calc.results["energy"]))
        sizes.append(len(a))
        pairs.append((ka, kb))
        involved.update((ka, kb))
    if len(work) < 3:
        return
    d_energy, work = np.array(d_energy), np.array(work)
    if not np.any(work) or not np.any(d_energy):
        return

    def fit(differences):
        """(correlation, least-squares factor) of energy differences on the work."""
        product = float(differences @ work)
        return (product / np.sqrt(float(differences @ differences) * float(work @ work)),
                product / float(work @ work))

    corr, scale = fit(d_energy)
    lo, hi = _WORK_SCALE_RANGE
    # energies per atom give 1/N of the work, which for 32 atoms read as Hartree (1/27) and,
    # in a data set of frames of several sizes, correlated too little to be judged at all:
    # the energy differences times each frame's atom count are then the work
    corr_n, scale_n = fit(d_energy * np.array(sizes))
    per_atom = corr_n >= _MIN_WORK_CORRELATION and lo <= scale_n <= hi
    if corr < _MIN_WORK_CORRELATION and not per_atom:
        rms = {k: float(np.sqrt(np.mean(frames[k].calc.results["forces"] ** 2)))
               for k in involved}
        odd = _odd_frames(d_energy, work, pairs, rms)
        if odd:
            raise ValueError(
                f"{what}: frame(s) {_frames_listed(odd)} disagree with the others: without "
                f"them the energy differences of consecutive frames of the same atoms and "
                f"cell are the work of their forces (correlation >= {_MIN_WORK_CORRELATION}), "
                "with them they are not, by more than x8 (labels of another unit, e.g. "
                "kcal/mol/Å forces, or of another system, in those frames): convert or drop "
                "them (check_units=False skips this check)")
    if lo <= scale <= hi or (corr < _MIN_WORK_CORRELATION and not per_atom):
        return
    low, high = _work_factor_interval(d_energy, work)
    if low <= hi and high >= lo:
        # the pairs scatter too much to tell the factor from consistent labels' (a water
        # molecule rattled by 0.19 Å: 2.46, 2.21, 1.96 and -15 on its 4 pairs, 2.33 as one
        # fit, read as eV/bohr): not judged from the labels alone
        return
    # every reading within x1.5, the nearest first (Hartree and Rydberg differ by x2); below
    # the range only readings that the factor exceeds by at most what correct labels reach
    # (_MAX_CORRECT_WORK_FACTOR): per-atom energies of 4-atom frames (1/4) were within x1.5 of
    # correct labels' anharmonic 0.32-0.39 and refused them in 6 of 400 random sets
    ratios = [(scale / f, name) for name, f in _WORK_READINGS.items()
              if corr >= _MIN_WORK_CORRELATION]
    if per_atom:
        ratios.append((scale_n,
                       "energies per atom (eV/atom: multiply each by its frame's atom count)"))
    near = [(abs(np.log(ratio)), name) for ratio, name in ratios
            if scale >= lo or ratio <= _MAX_CORRECT_WORK_FACTOR]
    guess = _readings_guess(near)
    if scale < lo and not guess:
        # below the range and near no reading: steps between frames far apart along an
        # anharmonic path (32 EMT copper atoms rattled by 0.3 Å: 0.28-0.39 at correlation
        # 0.96-0.99), which no unit explains and the labels alone cannot tell from one
        return
    listed = _frames_listed(involved)
    raise ValueError(
        f"{what}: the energy differences of frames {listed} (consecutive frames of the same "
        f"atoms and cell) are {scale:.3g} × the work of their forces (correlation "
        f"{corr:.3f}; {100 * (1 - _WORK_FALSE_RATE):.0f} % interval {low:.3g}-{high:.3g}), "
        f"where energies in eV and forces in eV/Å give 1{guess}: convert the "
        "energies to eV and the forces to eV/Å (check_units=False skips this check)"
    )


#: The chance that the interval of :func:`_work_factor_interval` misses the factor of
#: consistent labels: at 0.02 none of 3090 random EMT sets (2490 of water, a molecule or
#: eight in a box, 600 of copper; 4-20 frames rattled by 0.05-0.3 Å) was refused, where
#: the fit alone had refused 10 (0.4 %).
_WORK_FALSE_RATE = 0.02


def _work_factor_interval(d_energy, work):
    r"""(low, high): the interval of the least-squares factor :math:`s` of energy differences
    on the trapezoidal work of the forces (:func:`_check_work`) at :data:`_WORK_FALSE_RATE`.

    Steps between frames far apart along an anharmonic path (atoms pressed together, bonds
    stretched) miss the trapezoid by chance, each its own way, where a unit scales every
    pair alike: the interval is Student's t on :math:`m - 1` degrees of freedom times the
    standard error :math:`\hat\sigma/\sqrt{\sum_i W_i^2}`, with :math:`\hat\sigma` the
    scaled median absolute residual :math:`1.4826\,\mathrm{med}|\Delta E_i - sW_i|`
    (times :math:`\sqrt{m/(m-1)}`; robust to the one pair pressed hardest, which would widen
    an RMS). Four pairs of a water molecule rattled by 0.19 Å (factors 2.46, 2.21, 1.96,
    -15) give 2.33 in 1.39-3.28, which reaches the accepted range: not read as eV/bohr (the
    same labels with forces in eV/bohr give 4.41 in 2.63-6.20, refused).

    Parameters
    ----------
    d_energy, work : numpy.ndarray
        Energy differences and trapezoidal work of consecutive pairs, eV (at least 2).

    Returns
    -------
    tuple of float
        The interval's ends (dimensionless).
    """
    from scipy import stats

    m = work.size
    scale = float(d_energy @ work) / float(work @ work)
    residual = d_energy - scale * work
    sigma = 1.4826 * float(np.median(np.abs(residual))) * np.sqrt(m / (m - 1))
    half = (float(stats.t.ppf(1.0 - _WORK_FALSE_RATE / 2.0, m - 1)) * sigma
            / np.sqrt(float(work @ work)))
    return scale - half, scale + half


# what the stress work factor is for stress labels in another unit or sign (label = factor ×
# stress in eV/Å³, ASE's sign)
_STRESS_READINGS = {
    "VASP's sign (the pressure, -stress)": -1.0,
    "GPa": LABEL_STRESS_UNITS["GPa"], "kbar": LABEL_STRESS_UNITS["kbar"],
    "GPa in VASP's sign": -LABEL_STRESS_UNITS["GPa"],
    "kbar in VASP's sign": -LABEL_STRESS_UNITS["kbar"],
}


#: The most frames (as a share of those judged) that :func:`_odd_frames` may set aside.
_MAX_ODD_SHARE = 0.25
#: How far (as a factor either way) an odd frame's energy differences must be from the work of
#: its pairs' forces: anharmonic steps between rattled frames stay within 0.83-0.98 over a
#: data set (single pairs of copper rattled by 0.3 Å: beyond x5), a frame of forces in
#: kcal/mol/Å among eV/Å gives about 2/24 = 0.083, energies of another unit far more.
_ODD_PAIR_FACTOR = 8.0


def _odd_frames(d_energy, work, pairs, rms_forces):
    """The few frames whose labels alone break the work check, or ``[]``.

    One frame of kcal/mol/Å forces among twelve in eV/Å took the correlation of energy
    differences and work below the threshold at which the check judges, so the frame passed
    into training. A frame is odd when every pair it is in is off the work by more than
    :data:`_ODD_PAIR_FACTOR` (a neighbour of an odd frame has one such pair only): above it
    with energy differences that many times the median of the others' (an energy of another
    unit; a pair whose work nearly cancels is above it by chance), or below it with the
    frame's RMS force (``rms_forces``, by frame) more than 4 times off the median of the
    others' (forces of another unit; copper rattled by 0.3 Å, forces of 10 eV/Å, had pairs
    at 0.08 of the work with forces like the others'). The odd frames, at most
    :data:`_MAX_ODD_SHARE` of the frames, are named only when the rest then correlates and
    scales as consistent labels do.
    """
    lo, hi = _WORK_SCALE_RANGE
    frames = sorted({k for pair in pairs for k in pair})
    pairs = np.asarray(pairs)
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.abs(d_energy / work)
    limit = np.log(_ODD_PAIR_FACTOR)
    odd = []
    for k in frames:
        mine = (pairs == k).any(axis=1)
        off = np.abs(np.log(size[mine]))
        if not np.all(off > limit):
            continue
        if np.all(size[mine] > 1.0):
            # ... and its energy differences larger than the others' by the same factor: the
            # one pair of a first or last frame whose work nearly cancels was 10-15 × off for
            # correct labels of 4-atom copper rattled by 0.25 Å (2 of 400 random sets refused)
            rest = np.abs(d_energy[~mine])
            if rest.size and np.all(np.abs(d_energy[mine]) > _ODD_PAIR_FACTOR * np.median(rest)):
                odd.append(k)
            continue
        others = np.median([v for j, v in rms_forces.items() if j != k])
        if np.all(size[mine] < 1.0) and others > 0 and not 0.25 < rms_forces[k] / others < 4:
            odd.append(k)
    if not odd or len(odd) > _MAX_ODD_SHARE * len(frames):
        return []
    keep = ~np.isin(pairs, odd).any(axis=1)
    if keep.sum() < 3:
        return []
    w, d = work[keep], d_energy[keep]
    norm = float(np.sqrt(float(d @ d) * float(w @ w)))
    if norm == 0 or float(d @ w) / norm < _MIN_WORK_CORRELATION:
        return []
    return odd if lo <= float(d @ w) / float(w @ w) <= hi else []


#: The factor of energy differences on force work, corrected by the base model's own
#: trapezoid error (:func:`_check_model_work`), accepted for labels of one unit system.
#: Measured over 60 random sets per base (EMT copper labels, 4-20 frames of 4 or 32 atoms
#: rattled by 0.05-0.3 Å): 0.71-1.10 against a Morse copper (Girifalco and Weizer 1959,
#: r0 2.866 or 2.4 Å); the same sets with forces in eV/bohr 1.34-2.08.
_MODEL_WORK_RANGE = (0.6, 1.25)
#: ... judged where the least-squares fit explains the label differences to this correlation
#: (Morse bases: 0.974-1.0 on consistent labels) ...
_MODEL_WORK_CORRELATION = 0.97
#: ... and the labels carry at least this share of the base model's trapezoid error (its
#: anharmonicity is theirs: Morse bases 0.71-5.9; a Lennard-Jones copper 10-40 × too stiff,
#: whose anharmonicity is not EMT's, -0.02-0.22: not judged).
_MODEL_WORK_SHARE = 0.5
#: ... on at least this many pairs of consecutive frames: the fit has two free factors (the
#: labels' and the model's share), and on 3 pairs of 4-atom copper rattled by 0.08 Å a tiny
#: SevenNet base judged consistent EMT labels 0.53 × (tests/test_finetune_epoch_resume.py).
_MODEL_WORK_MIN_PAIRS = 4


def _check_model_work(frames, predicted, what="training data"):
    r"""ValueError when the energy differences are not the work of the forces once the base
    model's trapezoid error is allowed for: a whole set of forces in eV/bohr (0.53 ×).

    :func:`_check_work` judges :math:`\Delta E \approx W` (the trapezoidal force work
    between consecutive frames of one cell) from the labels alone; between independently
    rattled frames (0.2-0.3 Å) the energy is far from harmonic and the factor of correct
    labels spread over 0.28-0.99, so a set in eV/bohr (×1.89) passed in 36 of 60 random
    sets. The base model's energies and forces on the same frames give its own trapezoid
    error :math:`e_M = \Delta E_M - W_M` exactly; fitting
    :math:`\Delta E = s\,W + c\,e_M` by least squares takes the anharmonicity out where
    the model shares it (:data:`_MODEL_WORK_SHARE`), and :math:`s` is then 1 within
    :data:`_MODEL_WORK_RANGE` for labels in eV and eV/Å whatever the model's own scale.
    Needs :data:`_MODEL_WORK_MIN_PAIRS` pairs of consecutive frames of the same atoms and cell.

    Parameters
    ----------
    frames : sequence of ase.Atoms
        Labelled frames (:func:`read_labelled`).
    predicted : sequence of dict
        The base model's ``energy`` (eV) and ``forces`` (eV/Å) per frame.
    what : str
        Name of the data set, for messages.

    Returns
    -------
    float or None
        The factor :math:`s` where judged and accepted, else None.
    """
    d_energy, halves, model_error, pairs = [], [], [], []
    for ka, kb, step in _consecutive_pairs(frames):
        a, b = frames[ka], frames[kb]
        model = np.asarray(predicted[ka]["forces"]) + np.asarray(predicted[kb]["forces"])
        # each frame's half of the trapezoid: a frame's forces in another unit scale it
        halves.append((-0.5 * float(np.sum(a.calc.results["forces"] * step)),
                       -0.5 * float(np.sum(b.calc.results["forces"] * step))))
        d_energy.append(float(b.calc.results["energy"] - a.calc.results["energy"]))
        model_error.append(float(predicted[kb]["energy"] - predicted[ka]["energy"])
                           + 0.5 * float(np.sum(model * step)))
        pairs.append((ka, kb))
    if len(pairs) < _MODEL_WORK_MIN_PAIRS:
        return None
    involved = {k for pair in pairs for k in pair}
    halves = np.array(halves)
    work = halves.sum(axis=1)
    # the model's anharmonicity stands in for the labels' only where its forces follow theirs:
    # the tiny SevenNet copper of tests/tiny_models.py on frames rattled beyond its training
    # (force correlation below 0.9) gave fitted factors of 0.26-0.57 for correct labels
    label = np.concatenate([frames[k].calc.results["forces"].ravel() for k in involved])
    model = np.concatenate([np.asarray(predicted[k]["forces"]).ravel() for k in involved])
    norm = float(np.sqrt((label @ label) * (model @ model)))
    if norm == 0.0 or float(label @ model) / norm < _UNIT_CORRELATION:
        return None
    d_energy, model_error = np.array(d_energy), np.array(model_error)
    _model_work_odd_frames(pairs, d_energy, halves, model_error, what)
    fit = _model_work_fit(d_energy, work, model_error)
    if fit is None:
        return None
    scale, _, corr, _ = fit
    lo, hi = _MODEL_WORK_RANGE
    if lo <= scale <= hi:
        return float(scale)
    guess = _readings_guess([(abs(np.log(scale / f)), name)
                             for name, f in _WORK_READINGS.items()])
    raise ValueError(
        f"{what}: the energy differences of frames {_frames_listed(involved)} (consecutive "
        f"frames of the same atoms and cell) are {scale:.3g} × the work of their forces once "
        f"the base model's own trapezoid error is allowed for (correlation {corr:.3f}), where "
        f"energies in eV and forces in eV/Å give 1{guess}: convert the energies to eV and "
        "the forces to eV/Å (check_units=False skips this check)"
    )


def _model_work_fit(d_energy, work, model_error):
    """(s, c, correlation, residuals) of the fit ``d_energy = s work + c model_error`` where it
    can be judged (:func:`_check_model_work`), else None."""
    design = np.column_stack([work, model_error])
    if not np.any(d_energy) or np.linalg.matrix_rank(design) < 2:
        return None
    (scale, share), *_ = np.linalg.lstsq(design, d_energy, rcond=None)
    fitted = design @ np.array([scale, share])
    corr = float(fitted @ d_energy) / np.sqrt(float(fitted @ fitted) * float(d_energy @ d_energy))
    if corr < _MODEL_WORK_CORRELATION or share < _MODEL_WORK_SHARE:
        return None
    return float(scale), float(share), corr, d_energy - fitted


def _model_work_odd_frames(pairs, d_energy, halves, model_error, what):
    """Raise naming the frames whose forces alone are in another unit, judged by the fit of
    :func:`_check_model_work` over the pairs without them.

    A frame is odd when the energy differences of its pairs miss that fit by more than
    :data:`_ODD_SPREADS` times the others' RMS residual, and reading its forces in another
    unit (:data:`_FORCE_READINGS`: its half of each trapezoid divided by the factor) brings
    them :data:`_UNIT_EXPLAINS` times closer and back within that scatter. Measured over 60
    random sets per Morse base (see :data:`_MODEL_WORK_RANGE`): an eV/bohr frame's pairs miss
    by 0.02-47 eV and read in eV/bohr come back to a correct frame's miss; a correct frame's
    pairs are 2-100 times further off when read so.
    """
    pairs = np.asarray(pairs)
    lo, hi = _MODEL_WORK_RANGE
    odd = []
    for k in sorted(set(pairs.ravel().tolist())):
        mine = (pairs == k).any(axis=1)
        # the others' fit on 3 pairs: a frame is named only where a unit explains its own
        # pairs' miss, a signature the whole-set factor alone does not need
        if (~mine).sum() < 3:
            continue
        fit = _model_work_fit(d_energy[~mine], halves[~mine].sum(axis=1), model_error[~mine])
        if fit is None or not lo <= fit[0] <= hi:
            continue
        scale, share, _, residual = fit
        spread = float(np.sqrt(np.mean(residual**2)))
        own = pairs[mine] == k

        def miss(factor, own=own, mine=mine, scale=scale, share=share):
            work = (halves[mine] * np.where(own, 1.0 / factor, 1.0)).sum(axis=1)
            return float(np.sqrt(np.mean((d_energy[mine] - scale * work
                                          - share * model_error[mine]) ** 2)))

        as_is = miss(1.0)
        if as_is <= _ODD_SPREADS * spread:
            continue
        best, name = min((miss(f), name) for name, f in _FORCE_READINGS.items())
        # ... and back within the others' scatter: the one pair of a last frame is brought
        # 3.7 times closer by some factor (eV/nm, ×10) by chance
        if best * _UNIT_EXPLAINS < as_is and best <= _ODD_SPREADS * spread:
            odd.append((k, name, as_is, best))
    if odd and len(odd) <= _MAX_ODD_SHARE * len(set(pairs.ravel().tolist())):
        listed = "; ".join(f"frame {k}: its energy differences miss by {m:.3g} eV, read as "
                           f"{name} by {b:.3g} eV" for k, name, m, b in odd[:10])
        raise ValueError(
            f"{what}: the force labels of {len(odd)} frame(s) are not the energy's gradient in "
            f"the unit of the others' (the energy differences of consecutive frames of the "
            f"same atoms and cell against the work of their forces, the base model's own "
            f"trapezoid error allowed for): {listed} (read as {odd[0][1]}?): convert those "
            "frames' forces to eV/Å (check_units=False skips this check)")


def _readings_guess(distances):
    """``"; they read as A or B"`` for the readings (``(|log ratio|, name)`` pairs) within
    ×1.5 of the measured scale, the nearest first (Hartree and Rydberg differ by ×2); ``""``
    for none."""
    near = [name for dist, name in sorted(distances) if dist < np.log(1.5)]
    return f"; they read as {' or '.join(near)}" if near else ""


def _frames_listed(indices):
    """The first ten frame indices, sorted, for an error message."""
    shown = sorted(indices)
    return ", ".join(map(str, shown[:10])) + (" ..." if len(shown) > 10 else "")


def _check_stress_work(frames, what):
    r"""ValueError when the stress labels are not the energy's strain derivative (unit, sign);
    ``None`` when judged right, else why the frames cannot tell (a str).

    Between two periodic frames of the same atoms in other cells (cell :math:`b = a\,D`),
    the energy difference is the work of the stress on the strain
    :math:`\varepsilon = (D + D^\mathsf{T})/2 - I` plus the work of the forces on the
    displacements beyond the homogeneous deformation, by the trapezoidal rule
    :math:`E_b - E_a \approx \tfrac12 (V_a\sigma_a + V_b\sigma_b):\varepsilon -
    \tfrac12\sum_i (\mathbf F_{a,i} + \mathbf F_{b,i})\cdot(\mathbf x_{b,i} -
    \mathbf x_{a,i} D)` (ASE's stress :math:`\sigma = V^{-1}\partial E/\partial\varepsilon`).
    The least-squares factor of the energy differences less the force work on the stress work
    is 1 for stresses in eV/Å³ in ASE's sign, -1 in VASP's (the pressure), 1/160 in GPa,
    1/1602 in kbar: labels alone tell them apart (a model trained from scratch, or a base
    whose stresses are noise, had no check of their sign). Judged over consecutive frames of
    each composition where the two correlate (at least 0.95), on at least 3 pairs; refused
    outside [0.4, 1.45] as :func:`_check_work` (measured on correct labels of strained EMT
    copper: 0.98-1.09 unrattled, 1.07-1.21 rattled by 0.02 Å; frames rattled by 0.05 Å
    correlate too little to be judged).
    """
    from ase.geometry import find_mic
    from ase.stress import voigt_6_to_full_3x3_stress

    groups = {}
    for k, atoms in enumerate(frames):
        if atoms.pbc.all() and "stress" in atoms.calc.results:
            groups.setdefault(atoms.numbers.tobytes(), []).append(k)
    residual, stress_work, involved = [], [], set()
    for members in groups.values():
        for ka, kb in zip(members[:-1], members[1:], strict=True):
            a, b = frames[ka], frames[kb]
            deformation = np.linalg.solve(a.cell.array, b.cell.array)
            strain = 0.5 * (deformation + deformation.T) - np.eye(3)
            if np.abs(strain).max() < 1e-6:
                continue  # one cell: _check_work judges the pair
            step, _ = find_mic(b.positions - a.positions @ deformation, b.cell, b.pbc)
            forces = a.calc.results["forces"] + b.calc.results["forces"]
            force_work = -0.5 * float(np.sum(forces * step))
            virial = sum(x.get_volume() * voigt_6_to_full_3x3_stress(x.calc.results["stress"])
                         for x in (a, b))
            stress_work.append(0.5 * float(np.sum(virial * strain)))
            residual.append(float(b.calc.results["energy"] - a.calc.results["energy"])
                            - force_work)
            involved.update((ka, kb))
    if len(stress_work) < 3:
        return (f"{len(stress_work)} pair(s) of consecutive periodic frames of one composition "
                "in other cells (3 needed)")
    residual, stress_work = np.array(residual), np.array(stress_work)
    norm = float(np.sqrt((residual @ residual) * (stress_work @ stress_work)))
    if norm == 0.0:
        return "no stress work between the frames"
    corr = float(residual @ stress_work) / norm
    scale = float(residual @ stress_work) / float(stress_work @ stress_work)
    lo, hi = _WORK_SCALE_RANGE
    if abs(corr) < _MIN_WORK_CORRELATION:
        return (f"the energy differences of {len(stress_work)} pairs of frames in other cells "
                f"follow the stress work too little (correlation {corr:.2f}; "
                f"{_MIN_WORK_CORRELATION} needed: the atoms move too far between them)")
    if lo <= scale <= hi:
        return None
    # the label is factor × stress, so the stress work is factor × the energy's: scale 1/factor
    guess = _readings_guess([(abs(np.log(abs(scale * f))), name)
                             for name, f in _STRESS_READINGS.items()
                             if np.sign(f) == np.sign(scale)])
    listed = _frames_listed(involved)
    raise ValueError(
        f"{what}: the energy differences of frames {listed} (consecutive periodic frames of the "
        f"same atoms in other cells), less the work of their forces, are {scale:.3g} × the "
        f"work of their stress labels on the strain (correlation {corr:.3f}), where stresses "
        f"in eV/Å³ in ASE's sign (-pressure) give 1{guess}: convert the stresses to eV/Å³ in "
        "ASE's sign (check_units=False skips this check)"
    )


def _frame_list(source, what):
    """Frames as a list of Atoms: a file's (:func:`read_frames_file`), one Atoms or a sequence.

    Parameters
    ----------
    source : str, os.PathLike, ase.Atoms or iterable of ase.Atoms
    what : str
        Name of the data set, for messages.

    Returns
    -------
    list of ase.Atoms
        Possibly empty; the caller's Atoms themselves, not copies.

    Raises
    ------
    TypeError
        ``source`` is not iterable, or an item is not an ase.Atoms (one Atoms was iterated
        into its Atom objects: "'Atom' object has no attribute 'info'").
    """
    from ase import Atoms

    if isinstance(source, Atoms):
        return [source]
    if isinstance(source, (str, os.PathLike)):
        return read_frames_file(source, what)
    if isinstance(source, bytes) or not np.iterable(source):
        raise TypeError(f"{what} must be a file, an ase.Atoms or a sequence of ase.Atoms, not "
                        f"{type(source).__name__}")
    frames = list(source)
    for k, atoms in enumerate(frames):
        if not isinstance(atoms, Atoms):
            raise TypeError(f"{what}: frame {k} is a {type(atoms).__name__}, not an ase.Atoms")
    return frames


def _check_frames_for_model(calc, frames, what):
    """Run a calculator's input checks on every frame before it evaluates any.

    Parameters
    ----------
    calc : ase_electrolyte.Calculator
        A model or committee.
    frames : sequence of ase.Atoms
    what : str
        Name of the data set, for messages.

    Raises
    ------
    ValueError
        Naming the frame: no atom, elements the model does not cover, non-finite positions,
        a degenerate cell, atoms closer than 0.1 Å. The calculator raised these one frame at a
        time, after the frames before had been evaluated, naming no frame.
    """
    for k, atoms in enumerate(frames):
        try:
            calc._check(atoms)
        except Exception as err:  # ase's InputError
            raise ValueError(f"{what}: frame {k}: {err}") from None


def _frame_labels(atoms, where):
    r"""The labels of a frame: its calculator's results, else ase.io.extxyz's plain keys.

    Atoms built in memory with ``info["energy"]``, ``arrays["forces"]`` and ``info["stress"]``
    hold the labels that the same frame written to extxyz and read back holds in a
    single-point calculator; they were refused as unlabelled. A ``virial`` (eV, the extxyz
    key of GAP and MACE data, which ase.io leaves in ``info``) is the stress
    :math:`\sigma = -W/V`: it was dropped, and a fine-tune trained on such frames without
    their stress. Other keys (``REF_energy``, ``dft_forces``) are named in the error, not
    guessed at.
    """
    calc = atoms.calc
    results = {} if calc is None else dict(calc.results)
    for name, store in (("energy", atoms.info), ("forces", atoms.arrays),
                        ("stress", atoms.info)):
        if name not in results and name in store:
            results[name] = store[name]
    if "stress" not in results and "virial" in atoms.info and atoms.pbc.all():
        virial = _label_array(atoms.info["virial"], (6, 9), "virial", where,
                              "6 (Voigt) or 9 (3×3)")
        if virial.size == 9:
            virial = full_3x3_to_voigt_6_stress(virial.reshape(3, 3))
        results["stress"] = -virial / atoms.get_volume()
    missing = [p for p in ("energy", "forces") if p not in results]
    if missing:
        elsewhere = [f"info[{key!r}]" for key in atoms.info
                     if any(w in key.lower() for w in ("energy", "force", "stress", "virial"))]
        elsewhere += [f"arrays[{key!r}]" for key in atoms.arrays
                      if any(w in key.lower() for w in ("energy", "force"))]
        hint = (
            f"; it holds {', '.join(elsewhere)}: give the labels as a SinglePointCalculator "
            "(energy=..., forces=..., stress=...) or under the keys energy, forces and stress"
            if elsewhere else ""
        )
        raise ValueError(
            f"{where} has no {' and no '.join(missing)} label; fine-tuning needs energy and "
            f"forces in every frame{hint}"
        )
    return results


def read_frames_file(path, what):
    """The frames of an extxyz (or other ase.io) file or an ASE database, read without change.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        Name of the data set, for messages.

    Returns
    -------
    list of ase.Atoms
        Possibly empty (an ASE database without rows).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Naming ``what`` and the file: a folder, an empty file, a format ase.io does not know, a
        malformed or truncated file, a ``.db`` that is not an ASE database. ase's own errors
        (``UnknownFileTypeError``, ``XYZError``, sqlite's ``DatabaseError``) named neither,
        and ``ase.db.connect`` wrote its tables into an empty or foreign ``.db`` file; also an
        empty path (``""`` was read as the working folder).
    TypeError
        ``path`` is no path (None, a number).
    """
    # Path(None) raised os' "expected str, bytes or os.PathLike object, not NoneType" and
    # Path("") the working folder ("x: . is a folder"), neither naming the data set
    if isinstance(path, bytes) or not isinstance(path, str | os.PathLike):
        raise TypeError(f"{what}: a file path (str or os.PathLike) is needed, not "
                        f"{type(path).__name__} {path!r:.60}")
    if not os.fspath(path).strip():
        raise ValueError(f"{what}: the file path is empty ({os.fspath(path)!r}); name a file "
                         "of frames")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what}: no file {path}")
    if path.is_dir():
        raise ValueError(f"{what}: {path} is a folder, not a file of frames")
    if path.stat().st_size == 0:
        raise ValueError(f"{what}: {path} is empty")
    if path.suffix == ".db":
        _check_ase_database(path, what)
        from ase.db import connect

        return [row.toatoms() for row in connect(path).select()]
    from ase.io.formats import UnknownFileTypeError, filetype, get_ioformat

    from mda_electrolyte.bridge import read_ase_frames

    try:
        get_ioformat(filetype(str(path)))
    except UnknownFileTypeError as err:
        raise ValueError(
            f"{what}: {path} is not a file of frames ase.io can read ({err}); give an extxyz "
            "file or an ASE database (.db)"
        ) from None
    try:
        return read_ase_frames(path)
    except ValueError as err:
        if "holds no frames" in str(err):
            return []
        raise ValueError(f"{what}: {err}") from None


def _check_ase_database(path, what):
    """ValueError unless ``path`` is an SQLite file holding ASE's ``systems`` table.

    Checked read-only: :func:`ase.db.connect` creates its tables in any SQLite file.
    """
    import sqlite3

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        finally:
            con.close()
    except sqlite3.DatabaseError as err:
        raise ValueError(f"{what}: {path} is not an ASE database ({err})") from None
    if "systems" not in tables:
        raise ValueError(
            f"{what}: {path} is an SQLite file but not an ASE database (no 'systems' table; "
            f"it holds {sorted(tables) or 'no table'})"
        )


def _label_array(value, sizes, name, where, expected=None):
    """A label as a flat float64 array of one of ``sizes`` values (ValueError naming it)."""
    try:
        array = np.asarray(value)
        # True read as an energy of 1 eV, a mask of flags as forces of 0 and 1 eV/Å: a label
        # taken from the wrong key or column, trained on as numbers
        if array.dtype.kind == "b":
            raise TypeError
        array = np.asarray(array, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{where}: the {name} label is not numbers ({value!r:.60})") from None
    if array.size not in sizes:
        raise ValueError(
            f"{where}: the {name} label holds {array.size} value(s), not "
            f"{expected or ' or '.join(map(str, sizes))}"
        )
    return array


def label_errors(model, frames, **calc_options):
    r"""RMS errors of a model against labelled frames, as sevenn reports them.

    Parameters
    ----------
    model : str, os.PathLike, list or ase.calculators.calculator.Calculator
        Anything :class:`ase_electrolyte.Calculator` accepts, or a calculator instance.
    frames : sequence of ase.Atoms
        Labelled frames (see :func:`read_labelled`).
    **calc_options
        Passed to :class:`ase_electrolyte.Calculator` (e.g. ``device="cpu"``).

    Returns
    -------
    dict
        Root-mean-square errors defined as sevenn's trainer records them:
        ``energy_rmse`` (eV/atom) :math:`\sqrt{\langle (\Delta E/N)^2\rangle_\mathrm{frames}}`,
        ``force_rmse`` (eV/Å) :math:`\sqrt{\langle \lVert\Delta\mathbf F_i\rVert^2
        \rangle_\mathrm{atoms}}` and ``stress_rmse`` (kbar)
        :math:`\sqrt{\langle \lVert\Delta\sigma\rVert^2\rangle_\mathrm{frames}}` over the six
        Voigt components of frames with stress labels (NaN when none has one). Bare numbers,
        with no uncertainty: :func:`label_error_estimates` gives them as Estimates with their
        errors and verdicts.
    """
    from ase.calculators.calculator import Calculator as _AseCalculator

    from .calculator import Calculator

    calc = model if isinstance(model, _AseCalculator) else Calculator(model, **calc_options)
    frames = read_labelled(frames)
    return _label_rmse(frames, _predict(calc, frames))


def label_error_estimates(model, frames, **calc_options):
    r"""RMS errors of a model against labelled frames, each with its uncertainty and verdict.

    The numbers :func:`label_errors` gives bare, as :class:`~ase_electrolyte.estimate.Estimate`
    objects: the error of each RMSE comes from the scatter of the frames' squared errors
    (:func:`mda_electrolyte.error_metrics.error_estimates`: t-scaled, blocked over
    consecutive frames found correlated), and an RMSE over fewer than 20 frames, or over
    frames correlated into fewer than 20 independent ones, is marked not valid with the
    reason. Frames of the same atoms (in the same order) give the force RMSE from the error
    vectors of every atom, whose components show whether consecutive frames are correlated
    from about 5 frames on: over 200 replicas of 30 atoms, independent frames were valid from 5
    frames (z-score standard deviation 1.32, 1.03, 0.94 over 5, 10, 40 frames; one-sigma
    coverage 0.62-0.74), AR(1) frames of lag-1 correlation 0.5 from 40 frames (1.01), of 0.9
    never up to 60. The energy and stress RMSEs are one number per frame, and so are the forces
    of frames of other atoms: their own values show a correlation only from 54 frames on, and
    below the RMSE is marked "too few frames to measure correlation"; a correlation the forces
    show blocks their frames too (:func:`mda_electrolyte.error_metrics.error_estimates`). A
    validation error on a handful of frames is a fit check, not a result.

    Parameters
    ----------
    model, frames, **calc_options
        As for :func:`label_errors`.

    Returns
    -------
    dict of Estimate
        ``energy_rmse`` (eV/atom) :math:`\sqrt{\langle (\Delta E/N)^2\rangle_\mathrm{frames}}`;
        ``force_rmse`` (eV/Å) :math:`\sqrt{\langle \langle \lVert\Delta\mathbf F_i\rVert^2
        \rangle_\mathrm{atoms} \rangle_\mathrm{frames}}`, each frame weighted once (for
        frames of one size, :func:`label_errors`'s value; its error from the components of
        the error vectors where the frames hold the same atoms); ``stress_rmse`` (GPa, 1 GPa = 10
        kbar) :math:`\sqrt{\langle \lVert\Delta\sigma\rVert^2\rangle_\mathrm{frames}}`
        over the frames with stress labels, absent when none has one.
    """
    from ase.calculators.calculator import Calculator as _AseCalculator

    from .calculator import Calculator

    frames = read_labelled(frames)
    calc = model if isinstance(model, _AseCalculator) else Calculator(model, **calc_options)
    return _label_error_estimates(frames, _predict(calc, frames))


def _label_error_estimates(frames, predicted):
    """:func:`label_error_estimates` of predictions ``predicted`` (from :func:`_predict`)."""
    from mda_electrolyte.error_metrics import error_estimates

    de, df, ds = [], [], []
    ref_f, pred_f = [], []
    for atoms, pred in zip(frames, predicted, strict=True):
        ref = atoms.calc.results
        de.append((pred["energy"] - ref["energy"]) / len(atoms))
        df.append(np.sqrt(np.mean(np.sum((pred["forces"] - ref["forces"]) ** 2, axis=1))))
        ref_f.append(np.asarray(ref["forces"], dtype=float))
        pred_f.append(np.asarray(pred["forces"], dtype=float))
        if "stress" in ref:
            ds.append(np.sqrt(np.sum((pred["stress"] - ref["stress"]) ** 2)) / GPa)
    # frames of the same atoms in the same order are a series whose every force component can
    # show a correlation of consecutive frames (error_metrics' mechanism: thousands of values
    # resolve it from about 5 frames, where one number per frame needs 54)
    series = len({atoms.numbers.tobytes() for atoms in frames}) == 1
    out = {}
    frame_values = ()
    if series:
        ref_f, pred_f = np.array(ref_f), np.array(pred_f)
        # the RMSE of the force vectors is √3 that of their components, its error alike
        root3 = np.sqrt(3.0)
        out["force_rmse"] = error_estimates(root3 * ref_f, root3 * pred_f, "eV/Å",
                                            component_axes=1)[0]
        # the forces' correlation blocks the energies' and stresses' frames as well
        frame_values = (pred_f - ref_f, ref_f)
    # each frame's error against zero: the RMSE over frames of the per-frame errors, whose
    # scatter over frames (not over the correlated atoms of one frame) gives its uncertainty
    for key, errors, unit in (("energy_rmse", de, "eV/atom"), ("force_rmse", df, "eV/Å"),
                              ("stress_rmse", ds, "GPa")):
        if errors and key not in out:
            values = frame_values if len(errors) == len(frames) else ()
            out[key] = error_estimates(np.zeros(len(errors)), np.asarray(errors), unit,
                                       frame_values=values)[0]
    return {key: out[key] for key in ("energy_rmse", "force_rmse", "stress_rmse") if key in out}


def _predict(calc, frames):
    """A model's energy (eV), forces (eV/Å) and, where labelled, stress (eV/Å³) per frame."""
    from mda_electrolyte.model_labels import evaluate_frame

    # the model's own forces, as the labels are (read_labelled reads its calculator's
    # results): a frame's FixAtoms zeroed the fixed atoms' predictions, whose labels
    # then counted whole as the model's error
    return [evaluate_frame(calc, atoms, ("energy", "forces", "stress")
                           if "stress" in atoms.calc.results else ("energy", "forces"),
                           checked=False)
            for atoms in frames]


def _label_rmse(frames, predicted):
    """:func:`label_errors` of predictions ``predicted`` (from :func:`_predict`)."""
    de, df2, ds2 = [], [], []
    for atoms, pred in zip(frames, predicted, strict=True):
        ref = atoms.calc.results
        de.append((pred["energy"] - ref["energy"]) / len(atoms))
        df2.append(np.sum((pred["forces"] - ref["forces"]) ** 2, axis=1))
        if "stress" in ref:
            ds2.append(np.sum((pred["stress"] - ref["stress"]) ** 2))
    kbar = 1.0 / (GPa / 10.0)
    return {
        "energy_rmse": float(np.sqrt(np.mean(np.square(de)))),
        "force_rmse": float(np.sqrt(np.mean(np.concatenate(df2)))),
        "stress_rmse": float(np.sqrt(np.mean(ds2)) * kbar) if ds2 else float("nan"),
    }


def _base_checkpoint(base):
    """(checkpoint path or None, model config dict or None) of ``base``."""
    if isinstance(base, dict):
        return None, _check_scratch_config(base)
    from sevenn.util import pretrained_name_to_path

    from .models import _NAMED, registered_name

    text = str(base) if not isinstance(base, os.PathLike) else os.fspath(base)
    # registered names in any case and spacing, as ase_electrolyte.Calculator reads them
    name = registered_name(base)
    spec = None if name is None else _NAMED[name]
    if spec is not None:
        # the name as the user wrote it (stripped), as in every other refusal of a base
        text = text.strip()
        if spec.backend != "sevennet":
            raise ValueError(
                f"finetune trains SevenNet models; {text!r} is a {spec.backend} model"
            )
        if spec.needs_modal:
            raise ValueError(f"fine-tuning the multi-fidelity {text!r} is not supported")
        return pretrained_name_to_path(spec.upstream), None
    path = Path(text)
    if os.path.lexists(path) or path.suffix in (".pth", ".pt"):
        from .models import _sevennet_file_modals, check_model

        # a truncated, empty or foreign file failed inside sevenn, after the data were read,
        # with a bare OSError ("Invalid argument"), EOFError or KeyError ('chemical_species')
        try:
            backend = check_model(text)
        except ValueError as err:
            # a multi-fidelity checkpoint file is refused as the registered one is (its
            # config was read, after the trust warning, by check_model)
            modals = _sevennet_file_modals(text) if os.path.isfile(text) else None
            if modals:
                raise ValueError(
                    f"base: fine-tuning the multi-fidelity checkpoint {text!r} (fidelities "
                    f"{list(modals)}) is not supported") from None
            raise ValueError(f"base: {err}") from None
        if backend != "sevennet":
            raise ValueError(f"finetune trains SevenNet models; base {text!r} is a {backend} "
                             "model file")
        # check_model has read its config (warned first where that unpickles more than
        # tensors, as Calculator warns before loading)
        _checkpoint_config(text)
        return str(path), None
    names = ", ".join(k for k, v in _NAMED.items() if v.backend == "sevennet")
    raise ValueError(
        f"base must be a registered SevenNet name ({names}), a SevenNet checkpoint file (.pth) "
        f"or a dict of sevenn model keys; got {base!r}"
    )


#: Keys of a from-scratch ``base`` dict that :func:`_model_section` hands sevenn besides its
#: model keys (``"auto"`` species: those of the training data).
_SCRATCH_EXTRA_KEYS = ("chemical_species",)
#: Integer model sizes of a ``base`` dict and their least values.
_SCRATCH_SIZES = {"channel": 1, "lmax": 0, "num_convolution_layer": 1}


def _check_scratch_config(base):
    """``base`` (sevenn model keys for a model trained from scratch) checked; ValueError naming
    a key sevenn does not read or a value it cannot build.

    sevenn ignores a key it does not know: ``{"cuttoff": 3.2}`` trained, without a word, a
    model of sevenn's default cutoff (4.5 Å) and sizes; a cutoff of NaN failed only while the
    run's record was written, a negative one "diverged" with the advice to lower ``lr``,
    ``channel=0`` and ``lmax=-1`` failed inside e3nn ("Cannot get lmax of empty Irreps").
    """
    import sevenn._const as const

    from .option_words import close_option

    known = set(const.DEFAULT_E3_EQUIVARIANT_MODEL_CONFIG) | set(_SCRATCH_EXTRA_KEYS)
    config = dict(base)
    for key in config:
        if key not in known:
            close = close_option(key, sorted(known), cutoff=0.6)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise ValueError(
                f"base: {key!r} is not a sevenn model key{hint}; sevenn would ignore it and "
                f"train its default instead. Model keys: {', '.join(sorted(known))}"
            )
    if "cutoff" in config:
        config["cutoff"] = check_number("base['cutoff'] (Å)", config["cutoff"], above=0)
    for key, least in _SCRATCH_SIZES.items():
        if key in config:
            config[key] = check_number(f"base[{key!r}]", config[key], integer=True,
                                       minimum=least)
    species = config.get("chemical_species", "auto")
    if not (species == "auto" or (isinstance(species, (list, tuple)) and species and all(
            isinstance(x, str) and x in chemical_symbols[1:] for x in species))):
        raise ValueError(
            f"base['chemical_species'] must be 'auto' (the training data's elements) or a list "
            f"of element symbols, got {species!r}"
        )
    return config


def _check_scratch_reach(model_config, train_frames, valid_frames):
    """ValueError when a from-scratch model could not describe the data: an element outside
    its ``chemical_species`` (sevenn: "Class values must be non-negative"), or a cutoff
    within which no training frame has a pair of atoms (a model that sees no neighbour
    learns nothing: its training 'diverged' with the advice to lower ``lr``)."""
    from .neighbour_pairs import pairs_within

    frames = train_frames + (valid_frames or [])
    species = model_config.get("chemical_species", "auto")
    if species != "auto":
        present = {chemical_symbols[z] for a in frames for z in set(a.numbers)}
        missing = sorted(present - set(species))
        if missing:
            raise ValueError(
                f"base['chemical_species'] {list(species)} lacks the element(s) "
                f"{', '.join(missing)} of the training or validation data; list them or give "
                "'auto'"
            )
    import sevenn._const as const

    cutoff = float(model_config.get(
        "cutoff", const.DEFAULT_E3_EQUIVARIANT_MODEL_CONFIG["cutoff"]))
    for atoms in train_frames:
        positions, box = _pair_box(atoms, cutoff)
        if len(pairs_within(positions, box, cutoff, "Pd")[0]):
            return
    raise ValueError(
        f"base['cutoff'] {cutoff:g} Å: no two atoms of any training frame are within it, so "
        "the model would see no neighbour and learn nothing; give a cutoff beyond the "
        "nearest-neighbour distance (sevenn's default is 4.5 Å)"
    )


def _model_section(checkpoint, model_config):
    """The ``model:`` section of sevenn's input.yaml."""
    import sevenn._const as const

    if checkpoint is None:
        # species, energy shift, force scale and neighbour count come from the training set
        section = {"chemical_species": "auto"}
        section.update(model_config)
        return _plain(section)
    cfg = _checkpoint_config(checkpoint)
    section = {}
    for key in const.DEFAULT_E3_EQUIVARIANT_MODEL_CONFIG:
        if key in cfg and key not in ("shift", "scale", "conv_denominator"):
            section[key] = cfg[key]
    section["chemical_species"] = list(cfg["chemical_species"])
    # sevenn's continue takes the shift, scale and neighbour count from the checkpoint; they stay
    # fixed, since a handful of frames cannot estimate them better than the pretraining set
    section.update({"train_shift_scale": False, "train_denominator": False})
    return _plain(section)


def _plain(value):
    """A structure yaml.safe_dump writes: numpy/torch scalars and tuples made plain."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def _covered_species(checkpoint):
    return set(_checkpoint_config(checkpoint)["chemical_species"])


def _checkpoint_config(checkpoint):
    """The model config of a SevenNet checkpoint; ValueError naming a file that holds none.

    A torch archive of something else (a bare ``state_dict``, another code's checkpoint) made
    sevenn warn "config is not found" and fail with a KeyError naming neither the file nor
    the problem.
    """
    import pickle
    import warnings
    import zipfile

    from sevenn.util import load_checkpoint

    try:
        with warnings.catch_warnings():
            # sevenn's warnings ("config is not found") are replaced by the error below
            warnings.simplefilter("ignore")
            config = load_checkpoint(checkpoint).config
        config["chemical_species"], config["cutoff"]  # noqa: B018 - what fine-tuning reads
    except (KeyError, TypeError, AttributeError, EOFError, RuntimeError, OSError,
            pickle.UnpicklingError, zipfile.BadZipFile) as err:
        if "out of memory" in str(err).lower():
            raise
        raise ValueError(
            f"base: {checkpoint!r} is not a SevenNet checkpoint ({type(err).__name__}: "
            f"{str(err).strip()[:200]}); give a checkpoint written by sevenn (checkpoint_*.pth, "
            "a fine-tuned model) or a registered name"
        ) from None
    return config


# what a frame's force label is, as a factor of the force in eV/Å, when written in another unit
_FORCE_READINGS = {unit: LABEL_FORCE_UNITS[unit] for unit in (
    "eV/bohr", "Hartree/bohr", "Rydberg/bohr", "kcal/mol/Å", "kJ/mol/Å", "eV/nm")}
#: A frame's label-to-model force ratio off the others' median by more than this factor is
#: another unit when a reading brings it within :data:`_READING_MATCH` of the median. A tiny
#: SevenNet model of EMT copper (20 epochs) gave per-frame ratios 1.17-1.74 (×0.84-1.25 of
#: their median) on 36 rattled frames; eV/bohr in one frame puts it ×0.53 off.
_ODD_RATIO = 1.5
_READING_MATCH = 1.25
#: ... and by this many times the robust standard deviation of the others' log factors.
_ODD_SPREADS = 5.0
#: Frames whose forces follow the model's less than this are not judged one by one.
_FRAME_CORRELATION = 0.5
#: A whole set's labels are read as another unit against the base model only where they
#: correlate with its predictions by at least this. A base model poor on the data (the tiny
#: SevenNet copper of tests/tiny_models.py on frames rattled beyond its training) gave label
#: energy differences 4-7 × its own at correlation 0.58-0.97, and forces at correlation
#: -0.2-0.3: no unit can be read from such a model, and fine-tuning is what it needs. A
#: Lennard-Jones copper (Heinz et al. 2008) on EMT frames rattled by 0.3 Å gave forces
#: 0.015-0.035 × the labels' (Hartree/bohr is 0.019 ×) at correlation 0.81-0.87.
_UNIT_CORRELATION = 0.9
#: A unit is one factor and leaves the correlation of a base model that describes the data
#: (Morse copper on EMT labels 0.98-1.0; the tiny SevenNet copper at the rattle it was trained
#: on 0.93-1.0). Below this, a whole set's forces are read as another unit only where the
#: energy differences are not as far off the model, and single frames are not named: a
#: Lennard-Jones copper (Heinz et al. 2008) on EMT frames rattled by 0.3 Å, 20 × too stiff
#: there, gave forces 0.0579 × (read as Rydberg/bohr) at 0.91 with energy differences
#: 0.045 ×, and consistent labels were refused.
_FORCE_UNIT_CORRELATION = 0.97
#: ... and a unit factor must bring the label-to-model factor this many times closer to 1
#: (in log) than it was: kcal/mol (×23) explains a factor of 15-35, not one of 5.
_UNIT_EXPLAINS = 3.0
#: ... and land within this factor of it: a base model that correlates with its data is off
#: in scale by less (Morse copper on EMT labels: 0.53-1.1; the tiny SevenNet copper at the
#: rattle it was trained on: 1.17-1.74); a Lennard-Jones copper 8-70 × too stiff is not
#: Hartree/bohr (×1/51).
_UNIT_MATCH = 2.0


def _set_force_factor(frames, forces, judged=None):
    """(least-squares factor, correlation) of the label forces on the model's over the frames
    ``judged`` (default all) as one fit; ``(None, None)`` where the model's forces are zero."""
    judged = range(len(frames)) if judged is None else judged
    dot = norm = l2 = 0.0
    for k in judged:
        label = np.asarray(frames[k].calc.results["forces"], dtype=np.float64)
        model = np.asarray(forces[k], dtype=np.float64)
        dot += float(np.sum(label * model))
        norm += float(np.sum(model * model))
        l2 += float(np.sum(label * label))
    if norm == 0.0 or l2 == 0.0:
        return None, None
    return dot / norm, dot / np.sqrt(norm * l2)


def _energy_factor(frames, energies):
    """(factor, correlation) of the label energy differences on the base model's between
    frames of one composition (:func:`_energy_difference_scale`), ``(None, None)`` where they
    cannot be compared."""
    groups = {}
    for k, atoms in enumerate(frames):
        groups.setdefault(np.sort(atoms.numbers).tobytes(), []).append(k)
    scale, corr, _, _ = _energy_difference_scale(
        [float(a.calc.results["energy"]) for a in frames], [float(e) for e in energies],
        [len(a) for a in frames], groups)
    return (scale, corr) if scale is not None else (None, None)


def _unit_reading(scale, corr, readings, min_corr=_UNIT_CORRELATION):
    """The (name, factor) of the unit reading that explains a label-to-model factor ``scale``
    much better than the base model's own error does, or ``None``.

    Only factors a base model's error cannot reach are readings here (outside
    :data:`_FORCE_SCALE_RANGE`: kcal/mol, kJ/mol, Hartree, Rydberg; eV/bohr's 0.53 is a
    Morse copper's factor on EMT labels), judged where the two correlate by at least
    :data:`_UNIT_CORRELATION`, and the reading must bring the factor
    :data:`_UNIT_EXPLAINS` times closer to 1 in log, and within ×:data:`_UNIT_MATCH`.
    """
    lo, hi = _FORCE_SCALE_RANGE
    if not corr >= min_corr or not scale > 0:
        return None
    far = [(abs(np.log(scale / f)), name, f) for name, f in readings.items()
           if not lo < f < hi]
    if not far:
        return None
    distance, name, f = min(far)
    near = min(abs(np.log(scale)) / _UNIT_EXPLAINS, np.log(_UNIT_MATCH))
    return (name, f) if distance <= near else None


def _mismatch_note(what, quantity, scale, corr, n_frames, warn=True):
    """Warn (UserWarning) that the base model does not describe the labels; return the text."""
    text = (f"{what}: the {quantity} labels of {n_frames} frame(s) are {scale:.3g} × the base "
            f"model's at correlation {corr:.2f}: the base model does not describe these data "
            "well enough to tell their unit (it is checked from the labels alone), and "
            "fine-tuning has far to move it; check that the base model covers this chemistry "
            "and these structures")
    if warn:
        warnings.warn(text, UserWarning, stacklevel=3)
    return text


def _force_ratios(frames, forces):
    """Per frame: (least-squares factor of label on model forces, correlation), or None where
    the model's forces are too small (RMS < 0.05 eV/Å: a relaxed structure) to tell."""
    out = []
    for atoms, model in zip(frames, forces, strict=True):
        label = np.asarray(atoms.calc.results["forces"], dtype=np.float64)
        model = np.asarray(model, dtype=np.float64)
        m2, l2 = float(np.sum(model * model)), float(np.sum(label * label))
        if m2 / model.size < 0.05**2 or l2 == 0.0:
            out.append(None)
            continue
        dot = float(np.sum(label * model))
        out.append((dot / m2, dot / np.sqrt(m2 * l2)))
    return out


#: A frame's energy off the other frames' offset from the base model by more than this many
#: robust standard deviations of theirs, and by :data:`_MODEL_FAILS_ENERGY` eV/atom, is one
#: the model fails on (:func:`_energy_odd`).
_MODEL_FAILS_SIGMAS = 5.0
_MODEL_FAILS_ENERGY = 0.2


def _energy_odd(frames, energies, k):
    """Whether frame ``k``'s energy label is off the offset (one per frame and per element,
    fitted by least squares) the other frames' labels have from the base model's energies,
    by :data:`_MODEL_FAILS_SIGMAS` robust standard deviations of theirs and
    :data:`_MODEL_FAILS_ENERGY` eV/atom; False where the others cannot tell."""
    elements = sorted({int(z) for a in frames for z in a.numbers})
    x = np.array([[1.0] + [float(np.count_nonzero(a.numbers == z)) for z in elements]
                  for a in frames])
    n = np.array([len(a) for a in frames], dtype=np.float64)
    r = (np.array([float(a.calc.results["energy"]) for a in frames])
         - np.asarray(energies, dtype=np.float64))
    others = np.arange(len(frames)) != k
    rank = np.linalg.matrix_rank(x[others])
    if others.sum() < rank + _OFFSET_FIT_SPARE or rank < np.linalg.matrix_rank(x):
        return False
    w = np.linalg.lstsq(x[others], r[others], rcond=None)[0]
    dev = (r - x @ w) / n
    spread = 1.4826 * float(np.median(np.abs(dev[others] - np.median(dev[others]))))
    return abs(dev[k]) > max(_MODEL_FAILS_SIGMAS * spread, _MODEL_FAILS_ENERGY)


#: The chance that correct labels have a frame named as another force unit (in a set, all
#: frames tested together): the limit of :func:`_odd_factor` is the quantile of Student's t
#: at this rate shared out over the frames (Bonferroni).
_ODD_FALSE_RATE = 0.05
#: Frames (besides the one judged) from which the trend of the factor with the force size is
#: fitted; fewer are judged against their median.
_TREND_FRAMES = 5
#: A frame whose model forces are more than this factor beyond the others' range (RMS) is
#: not judged one by one: how the base model's factor runs on there is not known.
_ODD_REACH = 2.0


def _odd_factor(logs, sizes, i, n_tested, aside=()):
    r"""(offset, spread, limit) of frame ``i``'s log label-to-model force factor from the
    other frames'.

    A base model's factor follows the size of its forces (an anharmonic or too soft model
    is off more on frames pressed hard than on near-harmonic ones), which a label unit leaves
    alone: with at least :data:`_TREND_FRAMES` others, the offset is from their robust line
    (Siegel's repeated medians) of log factor on ``sizes`` (log RMS model force; outside the
    others' sizes, the nearer of the line and its value at their nearest size, 0 between
    the two and 0 beyond ×:data:`_ODD_REACH` of their range), else from their median.
    The spread :math:`\sigma` is the scaled median absolute residual of the others, the limit
    :math:`t_{1-\alpha/(2n),\,\nu}\,\sigma\sqrt{1 + 1/m + (x_i-\bar x)^2/S_{xx}}`, the
    prediction interval of a new frame with :math:`\alpha` = :data:`_ODD_FALSE_RATE` shared
    over the ``n_tested`` frames, :math:`\nu` = :math:`m` others less the fitted
    parameters, and at least ×:data:`_ODD_RATIO` (no base model is that close). Frames
    ``aside`` (odd in a first pass) are left out of the others, so that one frame of
    kcal/mol/Å does not pull the line off a correct frame (unless fewer than 3 would be left).
    """
    from scipy import stats

    keep = np.ones(logs.size, dtype=bool)
    keep[list(aside)] = False
    if keep.sum() < 3:  # too few left to judge by: judged among all others
        keep[:] = True
    keep[i] = False
    others, x = logs[keep], sizes[keep]
    m = others.size
    # beyond the others' sizes the line may run on (Lennard-Jones copper: 0.34 at 8 eV/Å to
    # 0.013 at 2600 eV/Å) or level off (Morse copper 1.2-1.3 at 10-20 eV/Å, where a line
    # through 3-10 eV/Å frames runs on to 2.35): a frame there is judged against both
    at = float(np.clip(sizes[i], x.min(), x.max()))
    lever = 1.0 / m
    if m >= _TREND_FRAMES and np.ptp(x) > 0.0:
        slope = float(stats.siegelslopes(others, x).slope)
        params = 2
        lever += (at - x.mean()) ** 2 / float(np.sum((x - x.mean()) ** 2))
    else:
        slope, params = 0.0, 1
    intercept = float(np.median(others - slope * x))
    spread = 1.4826 * float(np.median(np.abs(others - intercept - slope * x)))
    quantile = float(stats.t.ppf(1.0 - _ODD_FALSE_RATE / (2.0 * n_tested), max(m - params, 1)))
    limit = max(np.log(_ODD_RATIO), quantile * spread * np.sqrt(1.0 + lever))
    level, line = logs[i] - intercept - slope * at, logs[i] - intercept - slope * sizes[i]
    off = 0.0 if level * line <= 0.0 else min(level, line, key=abs)
    if abs(sizes[i] - at) > np.log(_ODD_REACH):
        # far beyond, the curve is unknown (Lennard-Jones copper's factor falls ×1.8 below
        # the line from 10-65 eV/Å frames at 450 eV/Å)
        off = 0.0
    return float(off), spread, limit


def _check_force_scale(frames, forces, what="training data", warn=True, energies=None,
                       name_frames=True):
    r"""Raise if force labels are a unit factor away from the base model's forces, over the
    set or in single frames.

    The set: the least-squares factor of labels on model forces outside
    :data:`_FORCE_SCALE_RANGE` (kcal/mol/Å ×23, Hartree/bohr ×1/51). Each frame whose
    forces correlate with the model's by at least 0.97: its factor :math:`s_k` against
    :math:`\tilde s`, the other frames' robust trend of factor with force size at its own
    (:func:`_odd_factor`; the base model's own scale cancels); off by more than ×1.5 and
    the others' prediction interval (Student's t at :data:`_ODD_FALSE_RATE` shared over the
    frames, from the robust standard deviation :math:`\sigma` of their log factors about
    the trend), and within ×1.25 (or :math:`3\sigma` in log) of
    :math:`f\tilde s` for a unit reading :math:`f`
    (:data:`_FORCE_READINGS`), and three times closer to it (in log) than to
    :math:`\tilde s`, names the frame and the unit (at most a quarter of the frames; judged
    before the set). Judged on frames whose model forces have an RMS of at least 0.05 eV/Å;
    the median needs 3 such frames.

    The set is refused only where a unit explains it (:func:`_unit_reading`: correlation at
    least :data:`_UNIT_CORRELATION`, kcal/mol/Å, kJ/mol/Å, Hartree/bohr or Rydberg/bohr
    bringing the factor three times closer to 1). Labels the model follows less (correlation
    below 0.5), or a factor outside :data:`_FORCE_SCALE_RANGE` no unit explains, are the base
    model's failure on these data: warned of, and the warning's text returned (else None).

    Parameters
    ----------
    frames : sequence of ase.Atoms
        Labelled frames (:func:`read_labelled`).
    forces : sequence of array_like, shape (n_atoms, 3)
        The base model's forces on each frame, eV/Å.
    what : str
        Name of the data set, for messages.
    warn : bool
        Warn of a base model that does not describe the labels (else only return the note).
    energies : sequence of float, optional
        The base model's energy of each frame, eV: a frame whose force factor is odd and
        whose energy is off the others' offset from the model too (:func:`_energy_odd`) is
        one the model fails on, not named as another force unit.
    name_frames : bool
        Judge single frames (False: the set alone, as finetune's early look at its first 4
        frames does; its single frames are judged among all frames after).

    Returns
    -------
    str or None
        The note of a base model that does not describe the labels.
    """
    ratios = _force_ratios(frames, forces)
    judged = [(k, s, c) for k, r in enumerate(ratios) if r is not None for s, c in [r]]
    if not judged:
        return
    # single frames first: one frame of kcal/mol/Å among four takes the set out of range too,
    # and is named rather than the set
    # ... on frames whose forces the model follows as a unit leaves them (see
    # _FORCE_UNIT_CORRELATION): a Lennard-Jones copper on EMT atoms pressed together gave
    # 0.0216 × on such a frame (correlation 0.8) where the others gave 0.0558 ×, read as eV/bohr
    one_by_one = [(k, s) for k, s, c in judged if c >= _FORCE_UNIT_CORRELATION and s > 0]
    logs = np.log([s for _, s in one_by_one])
    # the model's own force scale, which a label unit leaves alone
    sizes = np.log([np.sqrt(np.mean(np.square(forces[k]))) for k, _ in one_by_one])
    odd = []
    n_tested = len(one_by_one)
    # a poor base model's factor differs between kinds of frame (Morse against EMT copper:
    # 0.65 on near-harmonic frames, 1.2 on frames pressed to 10-40 eV/Å in one set rattled
    # by 0.3 Å): a frame is odd off the others' trend with the force size, beyond their
    # scatter, and a reading must bring it back within it
    first = ([abs(o) >= lim for o, _, lim in (_odd_factor(logs, sizes, i, n_tested)
                                               for i in range(n_tested))]
             if n_tested >= 3 and name_frames else [])
    aside = [i for i, flagged in enumerate(first) if flagged]
    for i, (k, s) in enumerate(one_by_one):
        if n_tested < 3 or not name_frames:
            break
        off, spread, limit = _odd_factor(logs, sizes, i, n_tested, aside)
        if abs(off) < limit:
            continue
        centre = logs[i] - off
        distance, name = min((abs(off - np.log(f)), name) for name, f in _FORCE_READINGS.items())
        # ... and bring it much closer than it was: a poor base model's frame 0.66 × off
        # the others is not "eV/bohr" (0.53) because it is ×1.24 from it
        if distance < min(max(np.log(_READING_MATCH), 3.0 * spread),
                          abs(off) / _UNIT_EXPLAINS):
            odd.append((k, s, name, float(np.exp(centre))))
    # a frame where the model fails (atoms pressed together) is off in energy too, where a
    # frame of another force unit keeps its energy: Lennard-Jones copper's odd frames were
    # 1.3-36 eV/atom (6-13 robust sd) off the others' offset, eV/bohr frames 0-2.5 sd
    if energies is not None:
        odd = [o for o in odd if not _energy_odd(frames, energies, o[0])]
    if odd and len(odd) <= _MAX_ODD_SHARE * len(one_by_one):
        listed = "; ".join(f"frame {k}: {s:.3g} × where the others give {c:.3g} × (read as "
                           f"{name}?)" for k, s, name, c in odd[:10])
        raise ValueError(
            f"{what}: the force labels of {len(odd)} frame(s) disagree in scale with the "
            f"others' against the base model's forces ({listed}): convert those frames' "
            "forces to eV/Å (check_units=False skips this check)"
        )
    lo, hi = _FORCE_SCALE_RANGE
    scale, corr = _set_force_factor(frames, forces, [k for k, _, _ in judged])
    # eV/bohr (0.53 ×) is not refused for a whole set: a Morse copper (Girifalco and Weizer
    # 1959) as the base of EMT labels gives 0.53-0.57 at correlation 0.99 (4-13 frames
    # rattled by 0.05-0.2 Å); _check_work finds it from the labels alone. A factor out of
    # range that no unit explains, or labels the model does not follow, is the base model's
    # failure (a Lennard-Jones copper gives 0.1-0.45 at correlation 0.99 on frames rattled
    # by 0.15-0.2 Å), not a unit's.
    reading = _unit_reading(scale, corr, _FORCE_READINGS)
    if reading is not None and corr < _FORCE_UNIT_CORRELATION and energies is not None:
        # followed less closely than a unit leaves a describing model's forces: a unit only
        # where the energies are not as far off the model (forces alone in another unit)
        e_scale, e_corr = _energy_factor(frames, energies)
        if e_scale is not None and e_corr >= _FRAME_CORRELATION and not lo < e_scale < hi:
            reading = None
    if reading is not None:
        guess = _readings_guess([(abs(np.log(scale / f)), name)
                                 for name, f in _FORCE_READINGS.items()])
        raise ValueError(
            f"{what}: the force labels of {len(judged)} frame(s) are {scale:.3g} × the base "
            f"model's forces on the same frames (correlation {corr:.2f}); they do not "
            f"look like eV/Å (kcal/mol/Å is ×23, kJ/mol/Å ×96, Hartree/bohr ×1/51){guess}: "
            "convert the forces to eV/Å (check_units=False skips this check)"
        )
    if corr < _FRAME_CORRELATION or not lo < scale < hi:
        return _mismatch_note(what, "force", scale, corr, len(judged), warn)
    return None


#: A frame whose energy label is off the others' offset from the base model by more than
#: this (eV/atom) and by :data:`_ODD_ENERGY_SIGMAS` times the others' scatter is judged
#: against the unit readings (a Hartree slip moves a frame by 96 % of its energy).
_ODD_ENERGY = 0.5
_ODD_ENERGY_SIGMAS = 10.0


def _force_odd(frames, forces, k):
    """Whether the base model's forces on frame ``k`` are off the label-to-model factor of
    the other frames, judged as :func:`_check_force_scale` judges a frame (:func:`_odd_factor`:
    the others' robust line of log factor on log model force, Student's t prediction
    interval at :data:`_ODD_FALSE_RATE` shared over the frames, at least ×:data:`_ODD_RATIO`),
    or follow them less than a unit leaves them (correlation below
    :data:`_FORCE_UNIT_CORRELATION`; a Lennard-Jones copper 167 eV/atom off on EMT atoms
    pressed together: 0.84-0.89): a frame where the model itself fails, which is off in energy
    too. The others are the frames the model follows (correlation at least
    :data:`_FRAME_CORRELATION`); False where fewer than 3 of them can be compared.

    One rule with the frame check: this one had kept a fixed ×1.5 and 5 robust standard
    deviations about the others' median, which a base model's factor growing with the force
    size (Morse copper: 0.65 near-harmonic, 1.2 at 10-40 eV/Å) crosses by its trend alone.
    """
    ratios = _force_ratios(frames, forces)
    if ratios[k] is None or ratios[k][1] < _FORCE_UNIT_CORRELATION or ratios[k][0] <= 0:
        return True
    judged = [j for j, r in enumerate(ratios)
              if j == k or (r is not None and r[1] >= _FRAME_CORRELATION and r[0] > 0)]
    if len(judged) < 4:
        return False
    logs = np.log([ratios[j][0] for j in judged])
    sizes = np.log([np.sqrt(np.mean(np.square(forces[j]))) for j in judged])
    off, _, limit = _odd_factor(logs, sizes, judged.index(k), len(judged))
    return abs(off) >= limit


def _energy_follows_work(frames, k):
    """Whether frame ``k``'s energy label differs from a neighbour's (consecutive frames of
    the same atoms and cell) by the work of their force labels within ×:data:`_ODD_PAIR_FACTOR`
    (the anharmonic spread of single pairs): an energy alone in another unit breaks that on
    every pair (Hartree: by ×19 and more on copper 3 eV/atom below its reference)."""
    for ka, kb, step in _consecutive_pairs(frames):
        if k not in (ka, kb):
            continue
        a, b = frames[ka], frames[kb]
        work = -0.5 * float(np.sum((a.calc.results["forces"] + b.calc.results["forces"]) * step))
        d_energy = float(b.calc.results["energy"] - a.calc.results["energy"])
        if work != 0.0 and d_energy / work > 0 and abs(np.log(d_energy / work)) < np.log(
                _ODD_PAIR_FACTOR):
            return True
    return False


def _check_energy_frames(frames, energies, what="training data", forces=None):
    r"""Raise naming the frames whose energy label alone is in another unit or per atom.

    The offsets allowed between labels :math:`L` and the base model's energies :math:`M`
    (:func:`_check_energy_scale`) are one per frame and one per element:
    :math:`L - M = a + \sum_Z n_Z b_Z`, fitted by least squares; frames whose residual per
    atom exceeds 0.5 eV/atom and ten times the scatter of the rest are set aside, the worst
    first (at most a quarter of the frames), and the fit repeated. A frame set aside is
    named when its label read in another unit or per atom (:func:`_energy_readings`) lands
    within a fifth of its distance (and three times the scatter) of the fit. Needs two frames
    more than the fit has parameters. With the base model's ``forces`` (eV/Å), a frame whose
    force labels the model misses as well (:func:`_force_odd`) is not named: an energy label
    alone in another unit leaves the forces as the model gives them, while a base model that
    fails on a frame (a Lennard-Jones copper on EMT atoms pressed together, 1-36 eV/atom off)
    is off in both, and its energy then read as Hartree by chance. Nor is a frame whose energy
    label follows the work of the force labels to a neighbour in the same cell
    (:func:`_energy_follows_work`): its energy is in its forces' unit.
    """
    elements = sorted({int(z) for a in frames for z in a.numbers})
    x = np.array([[1.0] + [float(np.count_nonzero(a.numbers == z)) for z in elements]
                  for a in frames])
    n = np.array([len(a) for a in frames], dtype=np.float64)
    labels = np.array([float(a.calc.results["energy"]) for a in frames])
    r = labels - np.asarray(energies, dtype=np.float64)
    if len(frames) < np.linalg.matrix_rank(x) + _OFFSET_FIT_SPARE:
        return

    def fit(keep):
        """Deviations per atom from the fit on ``keep``, and the scatter of those kept."""
        w = np.linalg.lstsq(x[keep], r[keep], rcond=None)[0]
        dev = (r - x @ w) / n
        dof = int(keep.sum()) - np.linalg.matrix_rank(x[keep])
        return w, dev, (float(np.sqrt(np.sum(dev[keep] ** 2) / dof)) if dof > 0 else None)

    keep = np.ones(len(frames), dtype=bool)
    w, dev, scatter = fit(keep)
    if scatter is None:
        return
    # the worst frame is judged against the fit and scatter of the others: its own
    # deviation would widen the scatter it is measured by
    while (~keep).sum() + 1 <= _MAX_ODD_SHARE * len(frames):
        worst = int(np.argmax(np.where(keep, np.abs(dev), -1.0)))
        trial = keep.copy()
        trial[worst] = False
        if np.linalg.matrix_rank(x[trial]) < np.linalg.matrix_rank(x[keep]):
            break  # its composition alone fixes a parameter: it cannot be judged
        w2, dev2, scatter2 = fit(trial)
        if scatter2 is None or abs(dev2[worst]) <= max(_ODD_ENERGY,
                                                       _ODD_ENERGY_SIGMAS * scatter2):
            break
        keep, w, dev, scatter = trial, w2, dev2, scatter2
    odd = []
    for k in np.flatnonzero(~keep):
        fitted = float(x[k] @ w)
        best = min((abs(labels[k] / f - energies[k] - fitted) / n[k], name, f)
                   for name, f in _energy_readings(len(frames[k])))
        if (best[0] < min(0.2 * abs(dev[k]), max(3.0 * scatter, 0.05))
                and not _energy_follows_work(frames, int(k))
                and (forces is None or not _force_odd(frames, forces, int(k)))):
            odd.append((int(k), best[1], float(dev[k])))
    if odd:
        listed = "; ".join(f"frame {k}: {d:+.3g} eV/atom (read as {name}?)"
                           for k, name, d in odd[:10])
        raise ValueError(
            f"{what}: the energy labels of {len(odd)} frame(s) are off the offset the other "
            f"frames' labels have from the base model's energies (one per frame and per "
            f"element; the others scatter about it by {scatter * 1e3:.3g} meV/atom): "
            f"{listed}: convert those frames' energies to the total energy of each frame in eV "
            "(check_units=False skips this check)"
        )


def _check_stress_frames(frames, stresses, what="training data"):
    r"""Raise naming the frames whose stress label alone is in another unit or sign.

    Label minus base-model stress (Voigt, eV/Å³) is the model's error, much the same on
    frames of one system (a density error: 1-3 GPa); a frame whose difference from the
    others' median is over 0.1 GPa per component RMS and ten times the others' scatter,
    and which read in GPa, kbar or VASP's sign (:data:`_STRESS_READINGS`) lands within a
    fifth of that distance (and three times the scatter) of the median, is named. Needs 4
    frames with a stress label, at most a quarter of them named.
    """
    labelled = [k for k, a in enumerate(frames) if "stress" in a.calc.results]
    if len(labelled) < 4:
        return
    label = np.array([np.asarray(frames[k].calc.results["stress"], dtype=np.float64)
                      for k in labelled])
    model = np.array([np.asarray(stresses[k], dtype=np.float64) for k in labelled])
    diff = label - model
    odd, spreads = [], []
    for i, k in enumerate(labelled):
        others = np.delete(diff, i, axis=0)
        centre = np.median(others, axis=0)
        # a robust scatter of the others (MAD of each component, as a standard deviation)
        scatter = float(np.sqrt(np.mean((1.4826 * np.median(np.abs(others - centre),
                                                             axis=0)) ** 2)))
        spreads.append(scatter)
        off = float(np.sqrt(np.mean((diff[i] - centre) ** 2)))
        if off <= max(0.1 * GPa, _ODD_ENERGY_SIGMAS * scatter):
            continue
        best = min((float(np.sqrt(np.mean((label[i] / f - model[i] - centre) ** 2))), name)
                   for name, f in _STRESS_READINGS.items())
        if best[0] < min(0.2 * off, max(3.0 * scatter, 0.02 * GPa)):
            odd.append((k, best[1], off / GPa))
    if odd and len(odd) <= _MAX_ODD_SHARE * len(labelled):
        listed = "; ".join(f"frame {k}: {g:.3g} GPa off (read as {name}?)"
                           for k, name, g in odd[:10])
        raise ValueError(
            f"{what}: the stress labels of {len(odd)} frame(s) are off the difference the other "
            f"frames' labels have from the base model's stresses (they scatter about it by "
            f"{float(np.median(spreads)) / GPa:.3g} GPa): {listed}: convert those frames' "
            "stresses to eV/Å³ in ASE's sign, -pressure (check_units=False skips this check)"
        )


def _energy_readings(n_atoms):
    """(name, factor) of the ways an energy label may misread: label = factor × energy in eV."""
    readings = [(unit, f) for unit, f in ENERGY_UNIT_FACTORS.items()]
    if n_atoms >= 2:
        readings += [("the energy per atom given as the frame's energy", 1.0 / n_atoms),
                     ("the frame's energy times its atom count", float(n_atoms))]
    return readings


def _check_energy_scale(frames, energies, what="training data", warn=True, forces=None):
    r"""Raise if the energy labels read as another unit, or per atom, against the base model.

    A constant offset from the base model's energies is normal (another code, another
    pseudopotential or reference energy) and is allowed: per frame of any size, per atom, or
    one common to all frames. What is refused, naming the frame and both readings:

    * a frame whose label :math:`L` read as another unit or per atom (:math:`L/f` eV for a
      factor :math:`f`: Hartree 1/27.2, Rydberg 1/13.6, kcal/mol 23.1, kJ/mol 96.5, the
      energy per atom :math:`1/N`, the energy times the atom count :math:`N`) is within a
      tenth of :math:`|M|` of the base model's energy :math:`M` and ten times closer to it
      than the eV reading, that being over 0.5 eV/atom from :math:`M`, while no frame shows
      a plain offset (over 0.5 eV/atom from :math:`M` and fitting no other reading);
      judged where :math:`|M|/N \ge` 0.5 eV, and not where the differences between
      frames (below) follow the model's at ×1 rather than at :math:`f` (an offset common to
      all frames that reads as :math:`N` by chance);
    * frames of one composition whose label differences are a unit factor (Hartree,
      Rydberg, kcal/mol, kJ/mol: :func:`_unit_reading`) × the base model's differences,
      where the two correlate by at least :data:`_UNIT_CORRELATION`, the unit brings the
      factor three times closer to 1 (in log), and the model's energies spread by at least
      5 meV/atom: offsets cancel in differences, so this finds unit errors under any offset
      (all-electron energies in Hartree); not where the force labels (``forces`` given)
      follow the model's (correlation at least 0.5) by a factor outside [1/4, 4] too: energies
      alone in another unit leave the forces at the model's scale, and a base model as far off
      in both (a Lennard-Jones copper 20 × too stiff on EMT labels: energy differences
      0.045 ×, read as Hartree, forces 0.058 ×) does not describe the data. Both in one unit
      system (Hartree and Hartree/bohr) is found by the force check first
      (:func:`_check_force_scale`) where the forces follow the model closely.

    Differences that follow the model's little (correlation below 0.5) or by a factor
    outside [1/4, 4] that no unit explains are the base model's failure on these data (the
    reason to fine-tune it), not a unit: warned of, and the warning's text returned.

    Parameters
    ----------
    frames : sequence of ase.Atoms
        Labelled frames (:func:`read_labelled`).
    energies : sequence of float
        The base model's energy of each frame, eV.
    what : str
        Name of the data set, for messages.
    warn : bool
        Warn of a base model that does not describe the labels (else only return the note).
    forces : sequence of array_like, shape (n_atoms, 3), optional
        The base model's forces on each frame, eV/Å (see above).

    Returns
    -------
    str or None
        The note of a base model that does not describe the labels.
    """
    labels, model, sizes, groups = [], [], [], {}
    for k, (atoms, energy) in enumerate(zip(frames, energies, strict=True)):
        labels.append(float(atoms.calc.results["energy"]))
        model.append(float(energy))
        sizes.append(len(atoms))
        groups.setdefault(np.sort(atoms.numbers).tobytes(), []).append(k)
    scale, corr, compared, n_typical = _energy_difference_scale(labels, model, sizes, groups)
    supported, offset = [], []
    for k, (lab, mod, n) in enumerate(zip(labels, model, sizes, strict=True)):
        if abs(mod) / n < _ENERGY_OFFSET_ALLOWED:
            continue
        as_ev = abs(lab - mod) / n
        if as_ev <= _ENERGY_OFFSET_ALLOWED:
            continue
        best = min((abs(lab / f - mod) / n, name, f) for name, f in _energy_readings(n))
        # the reading must land within a tenth of the model's energy, and ten times closer
        # than the eV reading: a large factor (kcal/mol) brings any large label near the model
        # ... and the differences between frames, where they can tell, must not say ×1: an
        # offset common to all frames (-57 eV on 4 atoms of -13.8 eV) reads as "times the
        # atom count" by chance, while the differences are 1.0 × the model's
        contradicted = (scale is not None and corr >= _UNIT_CORRELATION
                        and abs(np.log(scale / best[2])) >= abs(np.log(scale)))
        if best[0] < 0.1 * min(as_ev, abs(mod) / n) and not contradicted:
            supported.append((k, best[1], best[2], lab, mod, n))
        else:
            offset.append(k)
    if supported and not offset:
        k, name, f, lab, mod, n = supported[0]
        others = [str(s[0]) for s in supported[1:]]
        also = (f" (and frame(s) {', '.join(others[:10])}{' ...' if len(others) > 10 else ''})"
                if others else "")
        raise ValueError(
            f"{what}: frame {k}{also} has an energy label of {lab:.6g} for {n} atoms, "
            f"where the base model gives {mod:.6g} eV ({mod / n:.3g} eV/atom); read as the "
            f"frame's energy in eV it is {lab / n:.3g} eV/atom, read as {name} it is "
            f"{lab / f / n:.3g} eV/atom: convert the energies to the total energy of each frame "
            "in eV (an offset from the base model's energies is allowed; check_units=False "
            "skips this check)"
        )
    if scale is None:
        return None
    reading = _unit_reading(scale, corr, ENERGY_UNIT_FACTORS)
    lo, hi = _FORCE_SCALE_RANGE
    if reading is not None and forces is not None:
        force_scale, force_corr = _set_force_factor(frames, forces)
        if (force_scale is not None and force_corr >= _FRAME_CORRELATION
                and not lo < force_scale < hi):
            reading = None
    if reading is not None:
        # the base model's differences are themselves off by tens of percent: every reading
        # within ×1.5 is named (Hartree and Rydberg differ by ×2), the nearest first
        guess = _readings_guess([(abs(np.log(scale / f)), name)
                                 for name, f in _energy_readings(n_typical)])
        raise ValueError(
            f"{what}: the energy labels of frames {', '.join(map(str, compared))} (of "
            f"one composition each) differ by {scale:.3g} × the base model's energy "
            f"differences (correlation {corr:.2f}), where energies in eV differ by about ×1 "
            f"(an offset cancels){guess}: convert the energies to eV (check_units=False skips "
            "this check)"
        )
    if corr < _FRAME_CORRELATION or not lo < scale < hi:
        return _mismatch_note(what, "energy difference", scale, corr, len(compared), warn)
    return None


def _energy_difference_scale(labels, model, sizes, groups):
    """(factor, correlation, frames compared, typical atom count) of the label energy
    differences per atom on the base model's, between frames of one composition (relative
    to each composition's mean: offsets cancel); factor ``None`` where the model's
    differences spread by less than 5 meV/atom or fewer than 2 frames share a composition."""
    dl, dm, compared, counts = [], [], [], []
    for members in groups.values():
        if len(members) < 2:
            continue
        n = sizes[members[0]]
        lab, mod = np.array(labels)[members], np.array(model)[members]
        dl.extend((lab - lab.mean()) / n)
        dm.extend((mod - mod.mean()) / n)
        compared.extend(members)
        counts.extend([n] * len(members))
    dl, dm = np.array(dl), np.array(dm)
    if dm.size < 2 or np.sqrt(np.mean(dm**2)) < 0.005 or not np.any(dl):
        return None, None, compared, None
    corr = float(dl @ dm) / np.sqrt(float(dl @ dl) * float(dm @ dm))
    scale = float(dl @ dm) / float(dm @ dm)
    return scale, corr, compared, int(np.median(counts))


#: Standard errors of a chance correlation (1/sqrt(degrees of freedom)) that the stress
#: fluctuations of labels and base model must beat before their factor is judged.
_STRESS_CHANCE_SIGMAS = 3.0


def _check_stress_scale(label, model):
    r"""Judge stress labels against the base model's stresses: ValueError when they are a
    unit factor or a sign away, ``None`` when judged right, else why they could not be.

    Stresses below 1 eV/Å³ pass :func:`read_labelled`'s size check in GPa (×160) or kbar
    (×1602) as long as the pressure is below 1 GPa or 1 kbar, as in a liquid near its density,
    and VASP's sign (its "in kB" line is the pressure, :math:`-\sigma`) passes any size
    check; all trained as eV/Å³ in ASE's sign.

    Only the frame-to-frame fluctuations are compared: each of the six components less its
    mean over the frames. The mean stress is what a base model misses most (a model whose
    density is 1.5 % off gives a pressure 1-3 GPa away from the labels' on the same MD
    frames of EMT copper), and on near-equilibrium frames it has either sign: compared as
    they were, correct labels at +0.2 GPa against the model's -1.7 GPa were refused as
    "VASP's sign" in 8 of 10 sets of 4 frames. Judged where the two fluctuations correlate
    by at least 0.5 and by :data:`_STRESS_CHANCE_SIGMAS` times a chance correlation's
    standard error :math:`1/\sqrt{6(n-1)}` (n frames); refused outside
    :data:`_FORCE_SCALE_RANGE` where a reading (:data:`_STRESS_READINGS`) explains the
    factor: within ×2 of it and, for GPa or kbar, three times closer to 1 in log; a factor
    no reading explains is the base model's failure on these data (not judged).

    Parameters
    ----------
    label, model : array_like, shape (n, 6) or (6 n,)
        Voigt stresses (eV/Å³) of the same n frames: the labels and the base model's.

    Returns
    -------
    str or None
        ``None`` when judged in eV/Å³ and ASE's sign; otherwise why the data cannot tell.
    """
    label = np.asarray(label, dtype=np.float64).reshape(-1, 6)
    model = np.asarray(model, dtype=np.float64).reshape(-1, 6)
    n = len(label)
    if n < 2:
        return f"{n} frame with a stress label: its fluctuations need several"
    label, model = label - label.mean(axis=0), model - model.mean(axis=0)
    m2, l2 = float(np.sum(model * model)), float(np.sum(label * label))
    # 1e-5 eV/Å³ (1.6 MPa) per component: below it, the model's fluctuations are rounding
    if m2 / model.size < 1e-5**2 or l2 == 0.0:
        return (f"the stresses hardly change over the {n} frames (the base model's by "
                f"{np.sqrt(m2 / model.size):.2g} eV/Å³ RMS)")
    corr = float(np.sum(label * model)) / np.sqrt(l2 * m2)
    needed = max(0.5, _STRESS_CHANCE_SIGMAS / np.sqrt(6 * (n - 1)))
    if abs(corr) < needed:
        return (f"the base model's stress fluctuations over the {n} frames follow the labels' "
                f"too little to tell (correlation {corr:.2f}; {needed:.2f} needed)")
    scale = float(np.sum(label * model)) / m2
    lo, hi = _FORCE_SCALE_RANGE
    if lo < scale < hi:
        return None
    # a sign or unit must explain the factor: within ×2 of a reading (and, for GPa or kbar,
    # three times closer to 1 in log); the tiny SevenNet copper on EMT frames rattled by
    # 0.3 Å, beyond its training, gave -9.2 × at correlation -0.60, which is no sign slip
    near = [name for name, f in _STRESS_READINGS.items() if scale / f > 0
            and abs(np.log(scale / f)) <= np.log(_UNIT_MATCH)
            and (f < 0 or abs(np.log(scale / f)) * _UNIT_EXPLAINS <= abs(np.log(scale)))]
    if not near:
        return (f"the base model's stress fluctuations over the {n} frames are "
                f"{1 / scale:.3g} × the labels' (correlation {corr:.2f}), which no unit or "
                "sign explains: the base model does not describe these data well enough to "
                "tell")
    raise ValueError(
        f"the training stresses are {scale:.3g} × the base model's stresses on the same "
        f"{n} frames (their changes from frame to frame, correlation {corr:.2f}); they do "
        "not look like eV/Å³ in ASE's sign (GPa is ×160, kbar ×1602, VASP's sign ×-1; "
        f"ASE's stress is -pressure); they read as {' or '.join(near)}"
    )


class StressUncheckedWarning(UserWarning):
    """The stress labels' sign and unit could not be checked (:func:`finetune`)."""


def _stress_unchecked(frames, predicted, stress_weight):
    """Judge the training stress labels' sign and unit against the base model's stresses
    (``predicted``, None without a base model: :func:`_check_stress_scale`) and, where those
    cannot tell, by the labels alone (:func:`_check_stress_work`); ValueError when either
    finds them wrong. When neither can tell and the stresses are trained on, warn
    (:class:`StressUncheckedWarning`) and return the warning's text (for the result's
    notes); else ``None``.

    MD frames of one cell (NVT) have no strain for the labels-alone check, and their stress
    fluctuations are small: a stress in VASP's sign or GPa was trained without a word.
    """
    import warnings

    labelled = [k for k, a in enumerate(frames) if "stress" in a.calc.results]
    if not labelled:
        return None
    if predicted is None:
        why_model = "no base model (trained from scratch) to compare them with"
    else:
        why_model = _check_stress_scale(
            [frames[k].calc.results["stress"] for k in labelled],
            [predicted[k]["stress"] for k in labelled])
    if why_model is None:
        return None
    why_labels = _check_stress_work(frames, "training data")
    if why_labels is None or not stress_weight:
        return None
    text = (
        f"the sign and unit of the stress labels of {len(labelled)} training frame(s) could "
        f"not be checked: {why_model}; and by the labels alone, {why_labels}. A stress in "
        "VASP's sign (the pressure) or in GPa or kbar is trained as it is: make sure they "
        "are ASE's stress in eV/Å³ (-pressure), or add frames of the same atoms in "
        "slightly strained cells, which let the labels tell"
    )
    warnings.warn(text, StressUncheckedWarning, stacklevel=3)
    return text


def _write_frames(frames, path, pressure_shift_bar=0.0):
    import ase.io

    shifted = []
    for atoms in frames:
        labels = dict(atoms.calc.results)
        if pressure_shift_bar and "stress" in labels:
            # p = -tr(σ)/3, so raising the label pressure by ΔP lowers the normal stresses by ΔP
            s = np.array(labels["stress"], dtype=np.float64)
            s[:3] -= pressure_shift_bar * 1e-4 * GPa
            labels["stress"] = s
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, **labels)
        shifted.append(copy)
    check_extxyz(shifted)
    with atomic_path(path) as tmp:
        ase.io.write(tmp, shifted, format="extxyz")


def _read_curve(csv_path):
    """sevenn's lc.csv as rows of plain keys (train_/valid_ + energy/force/stress_rmse)."""
    rows = []
    with open(csv_path) as f:
        for raw in csv.DictReader(f):
            row = {"epoch": int(raw["epoch"]), "lr": float(raw["lr"])}
            for key, value in raw.items():
                name = key.lower()
                for split, prefix in (("trainset", "train"), ("validset", "valid")):
                    if not name.startswith(split):
                        continue
                    for target in ("energy", "force", "stress"):
                        if f"_{target}_rmse" in name:
                            row[f"{prefix}_{target}_rmse"] = float(value)
            rows.append(row)
    return rows


def _plot_curves(curves, path):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), constrained_layout=True)
    units = RMSE_UNITS
    for k, curve in enumerate(curves):
        for ax, target in zip(axes, units, strict=True):
            for split, style in (("train", "-"), ("valid", "--")):
                key = f"{split}_{target}_rmse"
                pts = [(r["epoch"], r[key]) for r in curve if np.isfinite(r.get(key, np.nan))]
                if pts:
                    x, y = zip(*pts, strict=True)
                    ax.plot(x, y, style, marker="o", ms=3, color=f"C{k}",
                            label=f"{split}" + (f" member {k}" if len(curves) > 1 else ""))
            ax.set_xlabel("epoch")
            ax.set_ylabel(f"{target} RMSE ({units[target]})")
            ax.set_yscale("log")
    axes[0].legend(fontsize=7)
    save_figure(fig, path, dpi=120)


def _check_force_spread(frames):
    """ValueError when a model trained from scratch on ``frames`` could only give zero forces.

    sevenn scales a new model's output by the RMS of the training forces: frames whose forces
    are all zero (relaxed structures, copies of one relaxed frame) gave a scale of 0, a model
    whose every force is 0 and whose energy is one constant, returned as trained.
    """
    rms = float(np.sqrt(np.mean(np.concatenate([a.calc.results["forces"].ravel()
                                                for a in frames]) ** 2)))
    if rms < 1e-6:
        raise ValueError(
            f"the training forces are all zero (RMS {rms:.3g} eV/Å over {len(frames)} "
            "frame(s): relaxed structures): a model trained from scratch is scaled by the RMS "
            "force and would give zero forces everywhere; add frames away from equilibrium "
            "(rattled or from MD) or fine-tune a pretrained base"
        )


def _check_base_outside_members(checkpoint, out, ensemble):
    """ValueError when the base checkpoint lies in a member folder this fine-tune replaces.

    Fine-tuning a model again into the folder it came from (``base="ft/member_0/finetuned.pth",
    out="ft"``, the next round of an active-learning loop) deleted the base model before sevenn
    read it: the user's model was lost and sevenn said "Given ... does not exist".
    """
    if checkpoint is None:
        return
    base = Path(checkpoint).resolve()
    for k in range(int(ensemble)):
        work = (Path(out) / f"member_{k}").resolve()
        if base.is_relative_to(work):
            raise ValueError(
                f"the base model {checkpoint} lies in {Path(out) / f'member_{k}'}, whose "
                "model and checkpoints this fine-tune replaces (the base would be deleted "
                "before it is read); copy it elsewhere or choose another output folder"
            )


def _check_members_can_differ(ensemble, batch_size, n_frames):
    """ValueError when the members of a fine-tuned ensemble would all be the same model.

    Members fine-tuned from one pretrained model differ only by the order of their batches;
    with one batch per epoch (``batch_size`` at least the number of training frames) there is
    no order, and the members came out the same model: a committee of two such members of a
    tiny SevenNet had a force spread of 8e-7 eV/Å where batches of one frame gave 4e-3 eV/Å
    (3 frames, 3 epochs), a spread that selects nothing in active learning.
    """
    if ensemble > 1 and n_frames == 1:
        # "use batch_size < 1" was the advice: no batch size gives one frame two orders
        raise ValueError(
            f"ensemble={ensemble} members fine-tuned from one pretrained model on one training "
            "frame are the same model: one frame has one order, so their spread would be zero; "
            "give at least two frames, fine-tune one member (ensemble=1), or train the members "
            "from scratch"
        )
    if ensemble > 1 and batch_size >= n_frames:
        raise ValueError(
            f"ensemble={ensemble} members fine-tuned from one pretrained model with one batch "
            f"per epoch (batch_size {batch_size} >= {n_frames} training frame(s)) are the same "
            "model: the members differ only by the order of their batches, so their spread "
            f"would be zero; use batch_size < {n_frames} (or more frames), or train the "
            "members from scratch"
        )


def _check_pressure_shift(train_frames, pressure_shift_bar, stress_weight):
    """ValueError when a pressure shift cannot act: no stress label, or stresses unweighted.

    The shift moves the stress labels only; without them (or with ``stress_weight=0``) the
    model was trained exactly as unshifted and returned as shifted (a density alignment step
    that moved nothing).
    """
    if not pressure_shift_bar:
        return
    with_stress = sum("stress" in a.calc.results for a in train_frames)
    if not with_stress:
        raise ValueError(
            f"pressure_shift_bar {pressure_shift_bar:g} bar shifts stress labels, and none of the "
            f"{len(train_frames)} training frames has one: the model would be trained as "
            "unshifted; give periodic frames with stress labels"
        )
    if not stress_weight:
        raise ValueError(
            f"pressure_shift_bar {pressure_shift_bar:g} bar with stress_weight 0: the shifted "
            "stresses would not enter the loss; give a positive stress_weight"
        )


#: Largest distance (Å) between the corresponding atoms (and cell vectors) of a validation
#: frame and a training frame that are one frame: extxyz keeps 8 decimals, other writers 6
#: (a frame read back differs by up to 5e-7 Å); two MD frames differ by far more.
_SAME_FRAME_ANGSTROM = 1e-5

#: Fractional wave vectors h of the invariants |Σ_j exp(2πi h·s_j)| / n per element (see
#: :func:`_frame_invariants`): integers, so that wrapping an atom changes no phase.
_INVARIANT_WAVES = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1],
                             [1, -1, 0], [1, 0, -1], [0, 1, -1], [1, 1, 1], [2, 0, 0],
                             [0, 2, 0], [0, 0, 2]], dtype=np.float64)


def _frame_key(atoms):
    """What two frames that are one frame share exactly: their composition (in any atom
    order) and periodicity."""
    return np.sort(atoms.numbers).tobytes(), np.asarray(atoms.pbc, dtype=bool).tobytes()


def _full_cell(atoms):
    """The periodic axes' cell vectors, completed by vectors made up for the others (any
    will do): a non-periodic axis's own vector may be zero or, in a molecule's box written
    carelessly, parallel to another (a singular cell, which only periodic frames refuse)."""
    from ase.cell import Cell

    cell = atoms.cell.array * np.asarray(atoms.pbc, dtype=bool)[:, None]
    return Cell(cell).complete().array


def _frame_invariants(atoms):
    r"""``(invariants, tolerance)`` of a frame: the moduli of its structure factors per element,

    .. math:: I_{e,h} = \Big|\sum_{j \in e} e^{2\pi i\,\mathbf h\cdot\mathbf s_j}\Big| / n_e,

    with :math:`\mathbf s_j` fractional coordinates (wrapped on periodic axes, centred on the
    others) and ``h`` in :data:`_INVARIANT_WAVES`. They are unchanged by a reordering of the
    atoms, a translation of the frame and wrapping (a phase of an integer wave changes by a
    multiple of 2π), and move by less than ``tolerance`` (per invariant) when every atom and
    cell vector moves by up to :data:`_SAME_FRAME_ANGSTROM`: a frame and its stored copy
    differ by less, two frames an MD step apart by far more.
    """
    full = _full_cell(atoms)
    inverse = np.linalg.inv(full)
    pbc = np.asarray(atoms.pbc, dtype=bool)
    frac = atoms.positions @ inverse
    frac[:, pbc] -= np.floor(frac[:, pbc])
    if len(atoms):
        frac[:, ~pbc] -= frac[:, ~pbc].mean(axis=0)
    # the largest position the phases see (Å), and how far 1e-5 Å moves a fractional
    # coordinate: directly, and through a cell whose vectors moved by as much
    reach = float(np.linalg.norm(frac @ full, axis=1).max()) if len(atoms) else 0.0
    scale = float(np.sqrt((inverse * inverse).sum()))  # >= its 2-norm, without an SVD
    moved = _SAME_FRAME_ANGSTROM * scale * (1.0 + 3.0 * reach * scale)
    phases = 2.0 * np.pi * frac @ _INVARIANT_WAVES.T  # (n, waves)
    elements, index = np.unique(atoms.numbers, return_inverse=True)
    out = []
    for k in range(len(elements)):
        mine = phases[index == k]
        total = np.abs(np.exp(1j * mine).sum(axis=0)) / len(mine)
        out.append(total)
    invariants = np.concatenate(out) if out else np.zeros(0)
    # |e^{ia} - e^{ib}| <= |a - b|, per atom; twice over for the cell of either frame, twice
    # for the centring of non-periodic axes, and float round-off of the sums on top
    tolerance = (8.0 * np.pi * np.abs(_INVARIANT_WAVES).sum(axis=1) * moved + 1e-9)
    return invariants, np.tile(tolerance, len(elements))


def _same_frame(train, valid):
    """Whether ``valid`` is ``train`` with its atoms in any order, moved as a whole and
    wrapped: once moved onto ``train`` (by the mean displacement of its atoms), every atom
    within :data:`_SAME_FRAME_ANGSTROM` of its own atom of the same element (or of its
    periodic image), one to one. The cells are already known to be one cell."""
    if not len(valid):
        return True
    full = _full_cell(valid)
    inverse = np.linalg.inv(full)
    pbc = np.asarray(valid.pbc, dtype=bool)
    elements, counts = np.unique(valid.numbers, return_counts=True)
    theirs = {z: train.positions[train.numbers == z] for z in elements}
    mine = {z: valid.positions[valid.numbers == z] for z in elements}
    # the rarest element's first atom of valid anchors the translation: one of train's
    # atoms of that element is where it went; measured from the anchor, another atom is
    # off by up to both tolerances
    rare = elements[np.argmin(counts)]
    for anchor in theirs[rare]:
        shift = anchor - mine[rare][0]
        moved = _matched_displacements(theirs, mine, shift, full, inverse, pbc,
                                       2.0 * _SAME_FRAME_ANGSTROM)
        if moved is not None:
            # the frame moved by its atoms' mean displacement: no atom is favoured
            off = moved - moved.mean(axis=0)
            if np.sqrt((off * off).sum(axis=1)).max() <= _SAME_FRAME_ANGSTROM:
                return True
    return False


def _matched_displacements(theirs, mine, shift, full, inverse, pbc, within):
    """The displacement (n, 3) from each atom of ``mine`` moved by ``shift`` to its own atom
    of ``theirs`` (the same element, nearest periodic image), or ``None`` when an atom has
    none within ``within`` Å or two have the same."""
    out = []
    for z, points in mine.items():
        targets = theirs[z]
        matched = []
        # a wrong anchor fails at the first atoms: a few first, then in pieces of about
        # a million distances
        step = max(1, 1_000_000 // len(targets))
        first = min(4, len(points))
        starts = [0, first, *range(first + step, len(points), step)]
        for start, stop in zip(starts, [*starts[1:], len(points)], strict=True):
            if start >= stop:
                continue
            d = targets[None, :, :] - (points[start:stop, None, :] + shift)
            if pbc.any():
                frac = d @ inverse
                frac[..., pbc] -= np.round(frac[..., pbc])
                d = frac @ full
            dist = np.sqrt((d * d).sum(axis=-1))
            nearest = dist.argmin(axis=1)
            rows = np.arange(len(nearest))
            if dist[rows, nearest].max() > within:
                return None
            matched.append(nearest)
            out.append(d[rows, nearest])
        matched = np.concatenate(matched)
        if len(np.unique(matched)) != len(matched):  # two atoms on one: not one to one
            return None
    return np.concatenate(out)


def _check_disjoint(train_frames, valid_frames):
    """Refuse validation frames that are training frames.

    Their error measures how well the training set is fitted, not how the model does on
    structures it has not seen, and the learning curve would show no overfitting. One frame
    is one composition, periodicity and cell (within :data:`_SAME_FRAME_ANGSTROM`) whose
    atoms, in any order, lie each within :data:`_SAME_FRAME_ANGSTROM` of their own atom of
    the same element in the other frame, or of its periodic image, once the frames are moved
    onto each other (by the mean displacement of the atoms): a frame translated as a whole,
    wrapped into the cell, written to a file and read back, or with its atoms reordered
    (sorted by element, a molecule written first) is the same frame. Positions rounded to
    1e-6 Å and compared exactly had missed 14 of 50 rattled 32-atom frames written to extxyz
    and read back (a coordinate within 5e-9 Å of a rounding boundary); compared in their
    stored order, every reordered copy passed.

    Training frames are first narrowed to those whose structure-factor moduli
    (:func:`_frame_invariants`) lie within their tolerance of the validation frame's: 10⁴
    training and 10³ validation frames of 32 atoms are checked in 2-4 s (compared atom by
    atom with every training frame, 45 s).
    """
    shared = _shared_frames(train_frames, valid_frames)
    if shared:
        shown = ", ".join(f"{v} (= training frame {t})" for v, t in shared[:5])
        raise ValueError(
            f"{len(shared)} of {len(valid_frames)} validation frame(s) are training frames: "
            f"{shown}{' ...' if len(shared) > 5 else ''} ({FRAMES_NUMBERED}); validate on "
            "frames not trained on"
        )


def _shared_frames(frames, others):
    """``(k, j)`` for each frame ``others[k]`` that is a frame of ``frames`` (``frames[j]``,
    the first such), as :func:`_check_disjoint` matches them: atoms in any order, moved,
    wrapped, written and read back. Indices from 0, as every message names a frame."""
    train_frames, valid_frames = frames, others
    groups = {}
    for k, atoms in enumerate(train_frames):
        groups.setdefault(_frame_key(atoms), []).append(k)
    tables = {}
    shared = []
    for v, atoms in enumerate(valid_frames):
        key = _frame_key(atoms)
        if key not in groups:
            continue
        if key not in tables:
            index = np.array(groups[key])
            table = np.array([_frame_invariants(train_frames[k])[0] for k in index])
            order = np.argsort(table[:, 0], kind="stable") if table.shape[1] else None
            tables[key] = (index, table, order)
        index, table, order = tables[key]
        mine, tolerance = _frame_invariants(atoms)
        if order is None:  # frames of no atoms: every one is a candidate
            near = np.arange(len(index))
        else:
            column = table[order, 0]
            lo = np.searchsorted(column, mine[0] - tolerance[0], side="left")
            hi = np.searchsorted(column, mine[0] + tolerance[0], side="right")
            near = order[lo:hi]
            near = near[(np.abs(table[near] - mine) <= tolerance).all(axis=1)]
        for j in np.sort(near):
            other = train_frames[index[j]]
            if (np.abs(other.cell.array - atoms.cell.array).max() <= _SAME_FRAME_ANGSTROM
                    and _same_frame(other, atoms)):
                shared.append((v, int(index[j])))
                break
    return shared


#: How every message numbers frames: from 0, as ``ase.io.read(path, index)`` and Python do
#: (and as "frame k" in the label checks). The leakage and repeated-frame lists counted from 1
#: beside them, so "validation frame 1 (= training frame 1)" meant the first of each.
FRAMES_NUMBERED = "frames numbered from 0, as ase.io.read's index"


class RepeatedFramesWarning(UserWarning):
    """A data set holds the same frame more than once, with the same labels: each copy is
    weighted again in the loss and in the errors of the set (warned by :func:`finetune`)."""


#: Energy labels (eV/atom) of one frame given twice that differ by more than this contradict
#: each other: written to extxyz and read back, a label keeps at least 8 significant digits.
_SAME_LABEL_EV_PER_ATOM = 1e-6


def _check_repeated_frames(frames, what):
    """Refuse a frame given twice with other energy labels; warn, and return a note, when one
    is given twice with the same labels (``None`` when every frame is given once).

    Frames are matched as :func:`_check_disjoint` matches them (atoms in any order, moved,
    wrapped, written and read back). A file concatenated twice, or one MD frame appended by
    two rounds of active learning, trained each frame twice as hard without a word, and
    counted it twice in the set's error; one frame labelled by two codes or settings gave
    the model two answers for one structure.
    """
    repeats = [(k, j) for k, j in _shared_frames(frames, frames) if j != k]
    if not repeats:
        return None
    contradictory = []
    for k, j in repeats:
        a, b = frames[k], frames[j]
        gap = abs(a.calc.results["energy"] - b.calc.results["energy"]) / max(len(a), 1)
        if gap > _SAME_LABEL_EV_PER_ATOM:
            contradictory.append(f"{k} (= frame {j}, energy labels {gap:.3g} eV/atom apart)")
    if contradictory:
        raise ValueError(
            f"{what}: {len(contradictory)} frame(s) repeat an earlier frame with other labels: "
            f"{', '.join(contradictory[:5])}{' ...' if len(contradictory) > 5 else ''} "
            f"({FRAMES_NUMBERED}); one structure cannot have two energies: keep the frame "
            "with the labels of your reference method and drop the other")
    shown = ", ".join(f"{k} (= frame {j})" for k, j in repeats[:5])
    note = (f"{what}: {len(repeats)} of {len(frames)} frame(s) repeat an earlier frame with the "
            f"same labels: {shown}{' ...' if len(repeats) > 5 else ''} ({FRAMES_NUMBERED}); "
            "each copy is weighted again in the loss and in the set's errors: drop the "
            "copies unless the weighting is meant")
    warnings.warn(note, RepeatedFramesWarning, stacklevel=3)
    return note


def _model_labels_note(frames, what):
    """Warn, and return a note, where frames carry a model's own labels
    (``info["label_source"] == "model"``), else ``None``.

    ``electrolyte diagnose`` without a reference writes its scanned frames
    (``volume_scan_frames.extxyz``) with the model's labels under the plain names, and marks
    them so. Fine-tuned on, they teach a model another model's predictions (or its own), not
    the reference method's, and the errors of a set of them measure two models' disagreement.
    Distillation onto a teacher's labels is meant; it is warned of, not refused.
    """
    marked = [k for k, a in enumerate(frames) if a.info.get("label_source") == "model"]
    if not marked:
        return None
    shown = ", ".join(map(str, marked[:5])) + (" ..." if len(marked) > 5 else "")
    names = sorted({str(frames[k].info.get("label_calculator", "?")) for k in marked})
    note = (f"{what}: {len(marked)} of {len(frames)} frame(s) carry a model's labels, not a "
            f"reference method's (info['label_source'] = 'model', by {', '.join(names)}; frames "
            f"{shown}; {FRAMES_NUMBERED}): the model learns that model's predictions; label "
            "them with the reference method unless distillation is meant")
    warnings.warn(note, UserWarning, stacklevel=3)
    return note


def _untrained_elements(train_frames, valid_frames, from_scratch):
    """Elements of the validation frames that no training frame holds: a ValueError for a
    model trained from scratch, else a note for the result (``None`` when there is none).

    From scratch, sevenn takes its species from both sets: a validation-only element got an
    embedding never trained (its validation errors were a random network's) and the model
    file named it among its covered elements, so later runs of that element were accepted.
    From a pretrained base the element stays the base's, untouched by the fine-tune's labels.
    """
    trained = {int(z) for a in train_frames for z in a.numbers}
    extra = sorted({int(z) for a in valid_frames for z in a.numbers} - trained)
    if not extra:
        return None
    names = ", ".join(chemical_symbols[z] for z in extra)
    frames = [k for k, a in enumerate(valid_frames) if set(a.numbers.tolist()) & set(extra)]
    shown = (", ".join(map(str, frames[:10])) + (" ..." if len(frames) > 10 else "")
             + f" ({FRAMES_NUMBERED})")
    if from_scratch:
        raise ValueError(
            f"validation data: frame(s) {shown} hold {names}, which no training frame holds: a "
            "model trained from scratch would cover it with weights never trained (its "
            "validation errors those of a random network, and the model would accept it "
            "later); add frames of it to the training data or drop those validation frames"
        )
    return (
        f"validation frame(s) {shown} hold {names}, which no training frame holds: their "
        "errors measure the base model's description of it, which this fine-tune does not fit"
    )


#: Mean offset (eV/atom) of validation energy labels below the refusal floor from which
#: :func:`_check_label_offsets` warns: several times a fine-tuned model's energy error.
_OFFSET_NOTED = 0.005


#: How far (a factor either way) beyond the training frames' range of RMS forces a validation
#: frame's may lie for its energy label to be compared (:func:`_check_label_offsets`): MD-like
#: sets of 8 and 4 EMT copper frames (tests/test_finetune_validation_labels.py) reach ×1.44.
_OFFSET_FORCE_MARGIN = 1.5


def _rms_force(atoms):
    """The RMS of a labelled frame's force components (eV/Å)."""
    return float(np.sqrt(np.mean(np.asarray(atoms.calc.results["forces"]) ** 2)))


class LabelOffsetWarning(UserWarning):
    """Validation energy labels offset from the training labels by less than
    :func:`finetune` refuses, yet more than their scatter (from a base model: 5 meV/atom and
    four times the labels' scatter)."""


#: Frames beyond the offsets fitted that a training set needs before the validation labels
#: are compared with it (:func:`_check_label_offsets`): the training scatter needs them.
_OFFSET_FIT_SPARE = 2


def _check_label_offsets(train_frames, train_model, valid_frames, valid_model,
                         train_model_forces=None, valid_model_forces=None):
    r"""ValueError when the validation energy labels are offset from the training labels;
    a warning's text (else ``None``) when offset by less, but by more than they scatter.

    The offsets allowed between labels and the base model's energies (another code,
    functional, pseudopotential: :func:`_check_energy_scale`) are one per frame and one per
    element, with the structural energy of a distorted frame, about
    :math:`\sum_i |\mathbf F_i|^2 / 2k` (one term for the label forces, one for the base
    model's), :math:`L - M = a + \sum_Z n_Z b_Z + c_L \sum|\mathbf F_L|^2 + c_M
    \sum|\mathbf F_M|^2`, fitted on the training frames; validation frames of compositions
    that fit determines (in the span of the training compositions) must follow it, where
    their RMS force lies within the training frames' range (× :data:`_OFFSET_FORCE_MARGIN`
    either way). Without those terms and that range, copper rattled by 0.09 or 0.22 Å
    against training frames rattled by 0.25 or 0.14 Å lay 0.5-0.9 eV/atom off the fit by its
    structural energy, refused as an offset. A mean residual of at
    least 0.1 eV/atom (labels of two codes or functionals differ by 0.5 eV/atom and up)
    beyond four times both the training frames' RMS residual per atom and the validation
    residuals' scatter is refused: the validation errors would be that offset, whatever the
    model learns. Without a base model (training from scratch) ``M`` is 0 and the floor is
    0.5 eV/atom, the labels' structural spread not being removed. With a base model, a mean
    offset below the floor but of at least :data:`_OFFSET_NOTED` and four times those
    scatters is warned about (:class:`LabelOffsetWarning`): labels with DFT-D3 against
    labels without it differ by -37 meV/atom on an LiPF6/EC/EMC box (D3(BJ), PBE), frame to
    frame by 0.5 meV/atom, which the 0.1 eV/atom floor passed without a word.
    """
    import warnings

    from .committee import _REFERENCE_EV_PER_ATOM

    def design(frames, elements, model_forces):
        # ... and the sums of squared label (and base model) forces: a frame's energy above
        # its minimum is about sum |F|^2 / 2k (harmonic), so frames more or less distorted
        # than the training frames lay off a fit of offsets alone by their structural energy
        rows = np.array([[1.0] + [float(np.count_nonzero(a.numbers == z)) for z in elements]
                         + [float(np.sum(np.asarray(a.calc.results["forces"]) ** 2))]
                         for a in frames])
        if model_forces is None:
            return rows
        return np.column_stack([rows, [float(np.sum(np.asarray(f) ** 2))
                                       for f in model_forces]])

    def residual(frames, model):
        labels = np.array([float(a.calc.results["energy"]) for a in frames])
        return labels - (np.zeros(len(frames)) if model is None
                         else np.asarray(model, dtype=np.float64))

    elements = sorted({int(z) for a in train_frames + valid_frames for z in a.numbers})
    with_model = train_model_forces is not None and valid_model_forces is not None
    x_train = design(train_frames, elements, train_model_forces if with_model else None)
    x_valid = design(valid_frames, elements, valid_model_forces if with_model else None)
    rank = np.linalg.matrix_rank(x_train)
    if len(train_frames) < rank + _OFFSET_FIT_SPARE:
        return
    r_train = residual(train_frames, train_model)
    w = np.linalg.lstsq(x_train, r_train, rcond=None)[0]
    n_train = np.array([len(a) for a in train_frames], dtype=np.float64)
    scatter = float(np.sqrt(np.sum(((r_train - x_train @ w) / n_train) ** 2)
                            / (len(train_frames) - rank)))
    # validation compositions the training ones determine: in their row space
    projector = np.linalg.pinv(x_train) @ x_train
    judged = np.linalg.norm(x_valid - x_valid @ projector, axis=1) <= 1e-6 * np.linalg.norm(
        x_valid, axis=1)
    # ... and structures the training frames sample: their RMS force within the training
    # frames' range, widened by _OFFSET_FORCE_MARGIN either way (the fit's force terms are
    # not extrapolated far). Validation copper rattled by 0.09 Å against training frames
    # rattled by 0.25 Å lay 0.9 eV/atom below the fit (0.2 eV/atom against a Morse base),
    # their lower structural energy refused as "labels of another code"
    rms_train = [_rms_force(a) for a in train_frames]
    judged &= np.array([min(rms_train) / _OFFSET_FORCE_MARGIN <= _rms_force(a)
                        <= max(rms_train) * _OFFSET_FORCE_MARGIN for a in valid_frames])
    if not judged.any():
        return
    n_valid = np.array([len(a) for a in valid_frames], dtype=np.float64)[judged]
    off = (residual(valid_frames, valid_model)[judged] - x_valid[judged] @ w) / n_valid
    shift = float(off.mean())
    # a base model poor on the validation structures (another phase) scatters them; an offset
    # of their labels moves them all alike
    spread = float(off.std(ddof=1)) if len(off) > 1 else 0.0
    floor = _REFERENCE_EV_PER_ATOM if train_model is not None else _ENERGY_OFFSET_ALLOWED
    significant = 4.0 * max(scatter, spread)
    if abs(shift) < max(floor, significant):
        if train_model is None or abs(shift) < max(_OFFSET_NOTED, significant):
            return None
        # below the floor a label offset (D3 in one set only: -37 meV/atom for an LiPF6/EC/EMC
        # box) and a base model that misses the validation structures more cannot be told
        # apart: said, not refused
        text = (
            f"the energy labels of {int(judged.sum())} validation frame(s) are offset from "
            f"the training labels by {shift * 1e3:+.3g} meV/atom on average (against the base "
            f"model's energies, with the per-frame and per-element offsets the training "
            f"labels show; training frames scatter about those by {scatter * 1e3:.3g} "
            f"meV/atom, the validation frames by {spread * 1e3:.3g}): the validation energy "
            "errors include it. Labels of other settings (DFT-D3 in one set only: about "
            "-40 meV/atom for an organic electrolyte; another cutoff, k-points or "
            "pseudopotentials) differ so; so does a base model that misses the validation "
            "structures (another phase) by that much more"
        )
        warnings.warn(text, LabelOffsetWarning, stacklevel=3)
        return text
    against = "the base model's energies" if train_model is not None else "their elements"
    raise ValueError(
        f"validation data: the energy labels of {int(judged.sum())} validation frame(s) are "
        f"offset from the training labels by {shift:+.3g} eV/atom on average (against "
        f"{against}, with the per-frame and per-element offsets the training labels show; "
        f"training frames scatter about those by {scatter * 1e3:.3g} meV/atom): labels of "
        "another code, functional or reference energy, so the validation errors would be "
        "that offset; label both sets alike (check_units=False skips this check)"
    )


#: Largest initial learning rate (Adam) and pressure shift (bar, either sign) accepted.
_MAX_LR = 1.0
_MAX_PRESSURE_SHIFT_BAR = 1e5
#: Largest force or stress loss weight (relative to the energy's 1): at 1e6 the energy term is
#: already a millionth of the loss; 1e308 made the loss infinite and training 'diverged' at
#: epoch 1 with the advice to lower lr.
_MAX_LOSS_WEIGHT = 1e6


def _check_training_options(*, lr, batch_size, seed, force_weight, stress_weight,
                            pressure_shift_bar, out):
    """Refuse options sevenn would only trip over after the data are loaded and preprocessed."""
    # above these a fine-tune only diverges or shifts densities by far more than any model
    # misses them (10 % is ~10^3 bar at an electrolyte's 8e-5 /bar compressibility)
    check_number("lr (the initial learning rate)", lr, above=0, maximum=_MAX_LR)
    check_number("force_weight", force_weight, minimum=0, maximum=_MAX_LOSS_WEIGHT)
    check_number("stress_weight", stress_weight, minimum=0, maximum=_MAX_LOSS_WEIGHT)
    check_number("pressure_shift_bar", pressure_shift_bar, minimum=-_MAX_PRESSURE_SHIFT_BAR,
                 maximum=_MAX_PRESSURE_SHIFT_BAR)
    check_number("batch_size", batch_size, integer=True, minimum=1)
    check_number("seed", seed, integer=True, minimum=0)
    # None and numbers failed in os.fspath ("expected str, bytes or os.PathLike object, not
    # NoneType") without naming out; "" read as the working folder
    if isinstance(out, bytes) or not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out (the output folder) must be a path (str or os.PathLike), not "
                        f"{type(out).__name__} {out!r:.60}")
    if not os.fspath(out).strip():
        raise ValueError(f"out (the output folder) is empty ({out!r}); name a folder")
    check_output_path(out, "output folder", folder=True)


def _loss_word(loss):
    """``loss`` as ``"huber"`` or ``"mse"`` in any case and spacing (``"MSE"``, ``"Huber"``),
    as the other option words are read (:func:`~ase_electrolyte.option_words.choice_word`):
    ``"MSE"`` was refused as "not 'huber' or 'mse'"."""
    try:
        return choice_word("loss", loss, ("huber", "mse"))
    except ValueError:
        raise ValueError(f"loss must be 'huber' or 'mse', not {loss!r} (in any case: 'MSE' "
                         "reads as 'mse')") from None


def check_finetune_options(*, epochs, ensemble, loss, check_units, plot, lr, batch_size, seed,
                           force_weight, stress_weight, pressure_shift_bar, out):
    """The checks :func:`finetune` makes of its options before it reads any frame.

    For callers that do expensive work before they call :func:`finetune` (labelling frames
    with a model, :func:`ase_electrolyte.density_alignment.align_density`), so that a bad option
    fails first there too. Returns ``(epochs, ensemble)`` as ints.

    Raises
    ------
    ValueError
        Naming the option (also ``epochs`` above :data:`MAX_EPOCHS`, ``ensemble`` above
        :data:`MAX_ENSEMBLE`); also an ``out`` that is empty, a file or holds members of an
        earlier, larger ensemble.
    TypeError
        An ``out`` that is not a path (``None``, a number, bytes).
    """
    # NaN and infinity failed inside int() without naming the argument, True passed as 1
    epochs = check_number("epochs", epochs, integer=True, minimum=1, maximum=MAX_EPOCHS)
    ensemble = check_number("ensemble", ensemble, integer=True, minimum=1,
                            maximum=MAX_ENSEMBLE)
    # member k is trained with seed + k, which torch.manual_seed takes up to 2**64 - 1: above
    # it the member failed with "Overflow when unpacking long long" once the data were read and
    # checked, or, for the last members of an ensemble only, after the first were trained
    # (compared as integers: check_number's bound compares floats, where 2**64 - 1 is 2**64)
    check_number("seed", seed, integer=True, minimum=0)
    if int(seed) + int(ensemble) - 1 > MAX_SEED:
        raise ValueError(
            f"seed (member k trains with seed + k) must be at most {MAX_SEED - int(ensemble) + 1}"
            f" for {int(ensemble)} member(s), torch's largest seed being {MAX_SEED} (2**64 - 1), "
            f"got {int(seed)}")
    _loss_word(loss)
    check_flag("check_units", check_units)
    check_flag("plot", plot)
    _check_training_options(lr=lr, batch_size=batch_size, seed=seed, force_weight=force_weight,
                            stress_weight=stress_weight, pressure_shift_bar=pressure_shift_bar,
                            out=out)
    # members of an earlier, larger ensemble would sit beside this run's as if they were its own
    extra = sorted(
        p.name for p in Path(out).glob("member_*")
        if p.is_dir() and p.name[7:].isdigit() and int(p.name[7:]) >= int(ensemble)
    ) if Path(out).is_dir() else []
    if extra:
        raise ValueError(
            f"out {out} holds {', '.join(extra)} of an earlier fine-tune with a larger ensemble "
            f"than this one ({int(ensemble)}); choose another folder or remove them"
        )
    return epochs, ensemble


#: A finished member's record, beside its ``finetuned.pth``: what it was trained from.
_RECORD = "finetuned.json"


def _frames_digest(frames):
    """SHA-256 of labelled frames: elements, positions, cell, periodicity and labels."""
    if frames is None:
        return None
    h = hashlib.sha256()
    for atoms in frames:
        results = atoms.calc.results
        for array in (atoms.numbers, atoms.positions, atoms.cell.array, atoms.pbc,
                      results["energy"], results["forces"], results.get("stress", np.nan)):
            h.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        h.update(b"|")
    return h.hexdigest()


def _run_settings(checkpoint, model_config, train_frames, valid_frames, *, epochs, lr,
                  batch_size, force_weight, stress_weight, loss, pressure_shift_bar):
    """What a member's model depends on, besides its seed (JSON-plain).

    The device, the plot and the unit checks change nothing of the model, so a member
    trained on a GPU is reused on a CPU.
    """
    from sevenn import __version__

    from .native_build import file_sha256

    base = {"file_sha256": file_sha256(checkpoint)} if checkpoint else {"scratch": model_config}
    settings = {
        "base": base, "train": _frames_digest(train_frames),
        "valid": _frames_digest(valid_frames), "epochs": int(epochs), "lr": float(lr),
        "batch_size": int(batch_size), "force_weight": float(force_weight),
        "stress_weight": float(stress_weight), "loss": loss,
        "pressure_shift_bar": float(pressure_shift_bar), "sevenn": __version__,
    }
    # as read back from the record: tuples as lists, numpy scalars as numbers
    return json.loads(json.dumps(_plain(settings)))


def _member_state(work, settings, seed):
    """Why ``work``'s model is not this run's member of seed ``seed`` (None: it is).

    It is when its record names the same settings and seed and the model file is the one
    recorded (a file replaced or cut short since is not).
    """
    from .native_build import file_sha256

    model, record = work / "finetuned.pth", work / _RECORD
    if not model.is_file():
        return "no model"
    try:
        stored = json.loads(record.read_text())
    except (OSError, ValueError):
        return ("no record of its data and settings (a fine-tune stopped before it finished "
                "or written by an earlier version)")
    if not isinstance(stored, dict) or not isinstance(stored.get("settings"), dict):
        return "a damaged record of its data and settings"
    if not (work / "lc.csv").is_file():
        return "no learning curve (lc.csv)"
    differ = _record_differences(stored, settings, seed)
    if differ:
        return "trained with " + ", ".join(differ)
    if stored.get("model_sha256") != file_sha256(model):
        return "its model file changed since it was trained"
    return None


def _record_differences(stored, settings, seed):
    """What a member record's settings and seed differ in from this run's, in words."""
    old = stored["settings"]
    names = {"base": "another base model", "train": "other training data",
             "valid": "other validation data", "sevenn": "another sevenn version"}
    differ = [names.get(key) or f"{key} {old.get(key)!r}, not {settings[key]!r}"
              for key in settings if old.get(key) != settings[key]]
    if stored.get("seed") != seed:
        differ.append(f"seed {stored.get('seed')!r}, not {seed}")
    return differ


def _stopped_state(work, settings, seed, epochs):
    """``(epoch, why)`` of a training stopped part-way in ``work`` (no finished model):
    ``why`` is None when this run resumes it at ``epoch``, else why it is trained anew.
    ``None`` when ``work`` holds no epoch checkpoint. Changes no file."""
    checkpoints = _epoch_checkpoints(work)
    if not checkpoints:
        return None
    last = max(checkpoints)
    try:
        stored = json.loads((work / _TRAINING).read_text())
    except (OSError, ValueError):
        return last, "no record of what its checkpoints are of"
    if not isinstance(stored, dict) or not isinstance(stored.get("settings"), dict):
        return last, "a damaged record of what its checkpoints are of"
    differ = _record_differences(stored, settings, seed)
    if differ:
        return last, "trained with " + ", ".join(differ)
    usable = [e for e in checkpoints if e <= epochs and _curve_until(work, e) is not None]
    if not usable:
        return last, "its learning curve lacks epochs before its checkpoints"
    return max(usable), None


def _stopped_note(what, out, settings, seed, epochs, ensemble):
    """Where a fine-tune stopped by ``what`` ("interrupted") left its members, read from the
    folder as the next call will read it.

    It said "from its epoch 3 of 5 (its checkpoint)" of the newest checkpoint file, which the
    next call skips when its learning curve lacks an epoch, and named no file; a member
    finished just before the stop (its model written, its curve not yet read) was said to have
    no model. The advice for a Python caller is the last part, starting "the same call": the
    command line says its own.
    """
    members = [out / f"member_{k}" for k in range(ensemble)]
    done = [k for k, work in enumerate(members)
            if _member_state(work, settings, seed + k) is None]
    if not done:
        kept = "no member finished"
    elif len(done) == 1:
        kept = f"member {done[0]} finished and kept ({out}/member_{done[0]}/finetuned.pth)"
    elif done == list(range(done[0], done[-1] + 1)):
        kept = f"members {done[0]}-{done[-1]} finished and kept ({out}/member_k/finetuned.pth)"
    else:
        kept = (f"members {', '.join(map(str, done))} finished and kept "
                f"({out}/member_k/finetuned.pth)")
    stopped = next((k for k in range(ensemble) if k not in done), None)
    if stopped is None:
        return (f"finetune: {what} after every member of {ensemble} finished; {kept}; the same "
                "call reuses them")
    work = members[stopped]
    state = _stopped_state(work, settings, seed + stopped, epochs)
    if state is None:
        where = (f"member {stopped} has no model and no complete epoch of {epochs} yet (no "
                 "epoch checkpoint): it is trained from its start")
        resumes = f"at member {stopped} from its first epoch"
    elif state[1] is not None:
        where = (f"member {stopped} has no model yet; its checkpoint "
                 f"{work / f'checkpoint_{state[0]}.pth'} cannot be resumed ({state[1]}): it "
                 "is trained from its start")
        resumes = f"at member {stopped} from its first epoch"
    else:
        epoch = state[0]
        where = (f"member {stopped} has no model yet: its last complete epoch is {epoch} of "
                 f"{epochs}, kept in {work / f'checkpoint_{epoch}.pth'}, from which it "
                 + (f"continues at epoch {epoch + 1}" if epoch < epochs
                    else "writes its model"))
        resumes = f"at member {stopped} from its epoch {epoch} of {epochs} (its checkpoint)"
    return (f"finetune: {what} in member {stopped} of {ensemble}; {kept}; {where}; the same "
            f"call resumes {resumes}, reusing the finished ones")


def _write_member_record(work, settings, seed):
    """Mark a member finished: its record names what it was trained from, and its file."""
    from .native_build import file_sha256

    write_json_atomic(work / _RECORD, {
        "settings": settings, "seed": int(seed),
        "model_sha256": file_sha256(work / "finetuned.pth"),
    }, indent=1)


#: The record of a member being trained, beside its epoch checkpoints: what they are of.
_TRAINING = "training.json"


def _epoch_checkpoints(work):
    """``{epoch: path}`` of the per-epoch checkpoints in ``work`` (epochs from 1)."""
    found = {}
    for path in work.glob("checkpoint_*.pth"):
        tail = path.stem[len("checkpoint_"):]
        if tail.isdigit() and int(tail) >= 1:
            found[int(tail)] = path
    return found


def _curve_files(work):
    """sevenn's learning curves in ``work`` in the order written: ``lc.csv``, then those a
    resumed run wrote beside it (sevenn names them ``lc0.csv``, ``lc1.csv``, ...)."""
    more = sorted((p for p in work.glob("lc*.csv") if p.stem[2:].isdigit()),
                  key=lambda p: int(p.stem[2:]))
    first = work / "lc.csv"
    return ([first] if first.is_file() else []) + more


def _curve_until(work, last_epoch):
    """The learning curve's rows of epochs 1 to ``last_epoch`` from every curve file of
    ``work`` (a later file's row replaces an earlier one's: that epoch was trained again),
    as ``(header, rows)``; ``None`` when an epoch has no row."""
    header, rows = None, {}
    for path in _curve_files(work):
        try:
            with open(path, newline="") as f:
                lines = list(csv.reader(f))
        except (OSError, UnicodeDecodeError, csv.Error):
            return None
        if not lines:
            continue
        if header is None:
            header = lines[0]
        elif lines[0] != header:
            return None
        for row in lines[1:]:
            # a row cut short by the stop, or of an epoch after the checkpoint, is dropped
            if len(row) == len(header) and row[0].isdigit() and 1 <= int(row[0]) <= last_epoch:
                rows[int(row[0])] = row
    if header is None or sorted(rows) != list(range(1, last_epoch + 1)):
        return None
    return header, [rows[e] for e in range(1, last_epoch + 1)]


def _write_curve(work, curve):
    """``work/lc.csv`` as ``curve`` (header, rows); the curve files of resumed runs removed."""
    import io

    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([curve[0], *curve[1]])
    write_text_atomic(work / "lc.csv", text.getvalue())
    for path in _curve_files(work)[1:]:
        path.unlink()


def _resume_point(work, settings, seed, epochs):
    """``(checkpoint, epoch)`` where this member's stopped training resumes, or ``None``.

    The checkpoints count only when ``work``'s training record names this run's settings and
    seed (another run's checkpoints are not this member's), and only the last epoch whose
    learning-curve rows are all there (the curve is merged into ``lc.csv`` up to it; see
    :func:`_stopped_state`).
    """
    state = _stopped_state(work, settings, seed, epochs)
    if state is None or state[1] is not None:
        return None
    epoch = state[0]
    _write_curve(work, _curve_until(work, epoch))
    return work / f"checkpoint_{epoch}.pth", epoch


class _EpochOrder:
    """The training frames' order in each epoch, drawn from (seed, epoch) alone.

    sevenn's shuffling loader drew each epoch's order from torch's global generator, whose
    state a resumed run cannot restore: the resumed epochs saw other batches than an
    uninterrupted run. The loader iterates its sampler once per epoch.
    """

    def __init__(self, n, seed, first_epoch):
        self.n, self.seed, self.epoch = int(n), int(seed), int(first_epoch)

    def __len__(self):
        return self.n

    def __iter__(self):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n)
        self.epoch += 1
        return iter(order.tolist())


def _keep_last_checkpoint(trainer, work):
    """Make ``trainer`` write its checkpoints whole and keep only the last epoch's.

    sevenn's ``torch.save`` into the checkpoint's own name left a file cut short when stopped
    mid-write, and every epoch's checkpoint kept would fill the disk (a SevenNet-0-size model
    with its optimiser state is tens of MB per epoch). ``checkpoint_0`` (the initial weights)
    and ``checkpoint_best`` are kept.
    """
    write = trainer.write_checkpoint

    def write_checkpoint(path, **extra):
        path = Path(path)
        with atomic_path(path) as tmp:
            write(str(tmp), **extra)
        epoch = extra.get("epoch")
        if isinstance(epoch, int) and epoch >= 1 and path.name == f"checkpoint_{epoch}.pth":
            for old, older in _epoch_checkpoints(work).items():
                if old < epoch:
                    older.unlink(missing_ok=True)

    trainer.write_checkpoint = write_checkpoint
    return trainer


def replaced_by_settings(out, *, ensemble, seed, epochs, lr, batch_size, pressure_shift_bar):
    """``[(model file, why), ...]`` of the members in ``out`` that a fine-tune with these
    settings would replace, judged from the members' records alone: no torch, no data.

    The cheap part of :func:`earlier_members` (which also compares the base checkpoint and the
    frames): ``electrolyte finetune`` refuses a folder of other members before it imports
    torch. Options the command does not set are :func:`finetune`'s defaults. An empty list:
    every member may be reused, which :func:`earlier_members` decides.
    """
    # the signature finetune had when its module loaded (the function may be wrapped since)
    defaults = {k: v.default for k, v in _FINETUNE_SIGNATURE.parameters.items()}
    # as finetune records them (JSON-plain), with its defaults for what is not given
    options = json.loads(json.dumps({
        "epochs": int(epochs), "lr": float(lr), "batch_size": int(batch_size),
        "force_weight": float(defaults["force_weight"]),
        "stress_weight": float(defaults["stress_weight"]), "loss": defaults["loss"],
        "pressure_shift_bar": float(pressure_shift_bar)}))
    out = Path(out)
    replaced = []
    for k in range(int(ensemble)):
        work = out / f"member_{k}"
        if (work / "finetuned.pth").is_file():
            why = _member_state(work, options, int(seed) + k)
            if why is not None:
                replaced.append((work / "finetuned.pth", why))
            continue
        stopped = _stopped_state(work, options, int(seed) + k, int(epochs))
        if stopped is not None and stopped[1] is not None:
            epoch, why = stopped
            replaced.append((work / f"checkpoint_{epoch}.pth",
                             f"a training stopped at epoch {epoch}, {why}"))
    return replaced


def earlier_members(out, base, train, **options):
    """The models an earlier fine-tune left in ``out``: those :func:`finetune` would reuse.

    :func:`finetune` with the same arguments reuses a member that an earlier call finished
    with the same base model (file content), data (frames and labels), settings and seed, so
    that a fine-tune stopped part-way (SIGTERM, Ctrl-C, a failed member) resumes at the
    first unfinished member; every other model in ``out`` is replaced. Reads and checks the
    data as :func:`finetune` does (:func:`read_labelled`); loads no model.

    Parameters
    ----------
    out, base, train
        As for :func:`finetune`.
    **options
        The other keyword arguments of :func:`finetune` (``valid``, ``epochs``, ``ensemble``,
        ``lr``, ``batch_size``, ``seed``, ...), checked as it checks them.

    Returns
    -------
    dict
        ``"reused"``: the model files (``out/member_k/finetuned.pth``) that would be reused;
        ``"replaced"``: ``(model file, why)`` of those that would be replaced, the reason
        naming what differs (other training data, ``epochs 60, not 400``, no record of what
        it was trained from), and ``(last epoch checkpoint, why)`` of a member stopped
        part-way whose training would be started anew; ``"resumed"``: ``(checkpoint,
        epoch)`` of a member stopped part-way that would resume at that epoch.

    Raises
    ------
    TypeError
        A keyword :func:`finetune` does not take.
    ValueError
        As :func:`finetune` before training: a bad option, a base that is no SevenNet model,
        data that cannot be read or are refused.
    """
    bound = _FINETUNE_SIGNATURE.bind(base, train, out=out, **options)
    bound.apply_defaults()
    o = dict(bound.arguments)
    epochs, ensemble = check_finetune_options(**{
        k: o[k] for k in inspect.signature(check_finetune_options).parameters})
    valid, check_units, seed = o["valid"], o["check_units"], o["seed"]
    lr, batch_size, loss = o["lr"], o["batch_size"], _loss_word(o["loss"])
    force_weight, stress_weight = o["force_weight"], o["stress_weight"]
    pressure_shift_bar = o["pressure_shift_bar"]
    out = Path(out)
    found = {"reused": [], "replaced": [], "resumed": []}
    present = [k for k in range(ensemble) if (out / f"member_{k}" / "finetuned.pth").is_file()
               or _epoch_checkpoints(out / f"member_{k}")]
    if not present:
        return found
    checkpoint, model_config = _base_checkpoint(base)
    train_frames = read_labelled(train, what="training data", check_units=check_units)
    valid_frames = (read_labelled(valid, what="validation data", check_units=check_units)
                    if valid is not None else None)
    settings = _run_settings(
        checkpoint, model_config, train_frames, valid_frames, epochs=epochs, lr=lr,
        batch_size=batch_size, force_weight=force_weight, stress_weight=stress_weight,
        loss=loss, pressure_shift_bar=pressure_shift_bar)
    for k in present:
        work = out / f"member_{k}"
        if not (work / "finetuned.pth").is_file():
            epoch, why = _stopped_state(work, settings, seed + k, epochs)
            if why is None:
                found["resumed"].append((work / f"checkpoint_{epoch}.pth", epoch))
            else:
                found["replaced"].append((work / f"checkpoint_{epoch}.pth",
                                          f"a training stopped at epoch {epoch}, {why}"))
            continue
        why = _member_state(work, settings, seed + k)
        if why is None:
            found["reused"].append(work / "finetuned.pth")
        else:
            found["replaced"].append((work / "finetuned.pth", why))
    return found


def finetune(
    base="sevennet-0",
    train=None,
    *,
    valid=None,
    epochs,
    out="finetune",
    lr=1e-3,
    batch_size=4,
    seed=1,
    ensemble=1,
    device="auto",
    force_weight=1.0,
    stress_weight=0.01,
    loss="huber",
    pressure_shift_bar=0.0,
    check_units=True,
    plot=True,
    verbose=False,
):
    r"""Fine-tune a SevenNet model (or train a small one from scratch) with sevenn's trainer.

    sevenn's ``train_v2`` runs the epochs: loss
    :math:`L = \ell(E/N) + w_F\,\ell(\mathbf F) + w_S\,\ell(\sigma)` (``ℓ`` Huber with
    δ = 0.01 or MSE), Adam and an exponential learning-rate decay (γ = 0.99 per epoch), as in
    sevenn's fine-tuning preset; the shift, scale and neighbour-count normalisation of the base
    model are kept.

    Parameters
    ----------
    base : str, os.PathLike or dict
        A registered SevenNet name (default SevenNet-0), a SevenNet checkpoint (``.pth``), or a
        dict of sevenn model keys (e.g. ``{"channel": 8, "lmax": 1, "num_convolution_layer":
        2, "cutoff": 4.0}``) for a model trained from scratch, with the species, energy shift,
        force scale and neighbour count taken from ``train``. Its keys are sevenn's model
        keys and ``chemical_species`` (``"auto"`` or a list covering every element of
        ``train`` and ``valid``); a key sevenn does not read (which it would ignore), a
        cutoff that is not a positive number or within which no training frame has a pair
        of atoms, and sizes below 1 (``lmax`` below 0) are refused before any work.
    train : str, os.PathLike or sequence of ase.Atoms
        Labelled frames: extxyz, ``ase.db`` or Atoms with energy (eV), forces (eV/Å) and
        optionally stress (eV/Å³); see :func:`read_labelled`.
    valid : same as ``train``, optional
        Validation frames; their errors are recorded per epoch.
    epochs : int
        Number of epochs.
    out : str or os.PathLike
        Working directory; member ``k`` is trained in ``out/member_k`` (sevenn's log, lc.csv,
        input.yaml), its final model copied to ``out/member_k/finetuned.pth`` and marked
        finished by ``out/member_k/finetuned.json`` (what it was trained from). A member
        that an earlier call finished with the same base model, data, settings and seed is
        reused, not trained again (:func:`earlier_members`): a fine-tune stopped part-way
        resumes at its first unfinished member, from that member's last finished epoch
        (``out/member_k/checkpoint_<epoch>.pth``, written every epoch, the previous one
        removed; ``out/member_k/training.json`` names the run they are of). Any other
        earlier model is replaced.
    lr : float
        Initial learning rate of Adam.
    batch_size : int
        Frames per batch.
    seed : int
        sevenn's ``random_seed`` of member 0; member ``k`` uses ``seed + k``.
    ensemble : int
        Number of members trained with different seeds. From a pretrained base the members
        differ only by the order of the batches (and dropout-free models start identical); from
        scratch they also differ by their initial weights.
    device : {"auto", "cpu", "cuda", "cuda:N"}
    force_weight, stress_weight : float
        Loss weights relative to the energy term (sevenn's fine-tuning preset: 1 and 0.01),
        each 0 to 1e6.
    loss : {"huber", "mse"}
        In any case (``"MSE"``, ``"Huber"``), as the other option words.
    pressure_shift_bar : float
        ΔP (bar) added to the pressure of every stress label (density alignment, see
        :func:`ase_electrolyte.density_alignment.align_density`):
        :math:`\sigma \to \sigma - \Delta P\,I`. A nonzero shift needs training frames
        with stress labels and a positive ``stress_weight`` (refused otherwise: it would
        change nothing).
    check_units : bool
        Compare the label forces and stresses with the base model's (the forces first on
        up to 4 frames, before the rest are evaluated) and refuse labels a unit factor (or,
        for stresses, a sign) away; compare every frame's energy label with the base
        model's and refuse energies that read as Hartree, Rydberg, kcal/mol, kJ/mol, per
        atom or times the atom count, naming the frame.
        Single frames of another unit among consistent ones (eV/bohr or Hartree/bohr
        forces, Hartree energies, a stress in GPa or VASP's sign), whose factor or offset
        against the base model differs from the other frames' by a unit reading, are
        refused naming each frame and the likely unit, in training and validation data.
        Forces in eV/bohr, of a whole set or of single
        frames, whose 0.53 × a base model's own force scale can hide, are found from the
        energy differences of consecutive frames of one cell against the work of the forces,
        with the base model's trapezoid error allowed for. A
        whole set is refused only where its labels follow
        the base model's (correlation at least 0.97 for forces, 0.9 for energy differences)
        and a unit factor explains their ratio, energies alone only
        where the forces are not as far off the model; a base model that does not describe
        the data (labels 5 × its forces, or uncorrelated with them, or 20 × off in both) is no
        unit: warned about (UserWarning, naming the factor and correlation) and noted in the
        result. A constant offset from
        the base model's energies (per frame, per atom or both) is allowed. The base
        model's energies of all frames are
        computed anyway for the learning curve's epoch 0. Refuse validation energy labels
        offset from the training labels (beyond the per-frame and per-element offsets the
        training labels show against the base model) by 0.1 eV/atom or more, 0.5 eV/atom
        without a base model; from a base model, offsets
        from 5 meV/atom up to that, beyond four times the labels' scatter, are warned about
        (:class:`LabelOffsetWarning`) and noted in the result. Stress labels whose sign and
        unit neither the base model's stress fluctuations nor frames in other cells can
        tell are warned about (:class:`StressUncheckedWarning`) and noted, when trained on
        (``stress_weight`` > 0). Also refuse positions whose
        interatomic distances say nm or bohr (:func:`read_labelled`), with or without a base
        model.
    plot : bool
        Write ``out/learning_curve.png``.
    verbose : bool
        Print sevenn's log to the screen.

    Returns
    -------
    FinetuneResult

    Raises
    ------
    ValueError
        Before any training, naming the frame: frames without energy or forces, a frame
        given twice with other energy labels (given twice with the same labels: a
        :class:`RepeatedFramesWarning` and a note), labels not
        in eV-based units (energies, forces, stresses) or positions not in Å, forces that do
        not sum to about zero; validation energy labels offset from the training labels
        (another code or reference); validation frames of an element no training frame holds,
        for a model trained from scratch (from a pretrained base the result notes them);
        a from-scratch ``base`` dict sevenn would misread (see ``base``);
        also elements that the base model does not cover, bad numbers
        of epochs or members, or members of one pretrained base trained with one batch per
        epoch (``batch_size`` at least the training frames: identical members, no spread).
    RuntimeError
        A member's training errors became non-finite (diverged, e.g. too large an ``lr``); its
        ``finetuned.pth`` is not written.
    ase_electrolyte.writer_lock.ConcurrentWriterError
        Another fine-tune (another process or thread) is training into ``out``: raised before
        this one trains or removes anything there (``out`` is claimed until the call returns).
    KeyboardInterrupt
        Ctrl-C, or :class:`ase_electrolyte.md.Terminated` on SIGTERM (where SIGTERM has its
        default action, :func:`ase_electrolyte.md.terminate_as_interrupt`): the member being
        trained has no model and is not marked finished; the note names the finished
        members, which the same call reuses, and the epoch from which it resumes the member
        being trained (the result equals an uninterrupted run's).

    Examples
    --------
    A tiny model trained from scratch on EMT-labelled copper (a few seconds on a CPU):

    >>> import tempfile
    >>> import numpy as np
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> from ase_electrolyte.finetuning import finetune
    >>> rng = np.random.default_rng(0)
    >>> frames = []
    >>> for k in range(4):
    ...     a = bulk("Cu", "fcc", a=3.6, cubic=True)
    ...     a.rattle(0.05, rng=rng)
    ...     a.calc = EMT()
    ...     _ = a.get_stress()
    ...     frames.append(a)
    >>> tiny = {"channel": 4, "lmax": 1, "num_convolution_layer": 1, "cutoff": 4.0}
    >>> res = finetune(tiny, frames, epochs=2, out=tempfile.mkdtemp(), plot=False,
    ...                device="cpu")
    >>> res.checkpoint.name, len(res.learning_curves[0])
    ('finetuned.pth', 3)
    """
    if train is None:
        raise ValueError("finetune needs training frames (train=...)")
    epochs, ensemble = check_finetune_options(
        epochs=epochs, ensemble=ensemble, loss=loss, check_units=check_units, plot=plot, lr=lr,
        batch_size=batch_size, seed=seed, force_weight=force_weight,
        stress_weight=stress_weight, pressure_shift_bar=pressure_shift_bar, out=out,
    )
    # one spelling in the run's record: "MSE" and "mse" reuse each other's members
    loss = _loss_word(loss)
    from .models import resolve_device

    device = resolve_device(device)
    # the base's file and config first (a damaged or foreign file is found in a second), then
    # the data, then the base model: reading and checking the data is the cheaper of the two
    checkpoint, model_config = _base_checkpoint(base)
    _check_base_outside_members(checkpoint, out, ensemble)
    train_frames = read_labelled(train, what="training data", check_units=check_units)
    valid_frames = (read_labelled(valid, what="validation data", check_units=check_units)
                    if valid is not None else None)
    untrained_note = None
    repeated_notes = [_check_repeated_frames(frames, name) for frames, name in (
        (train_frames, "training data"), (valid_frames, "validation data")) if frames]
    repeated_notes += [_model_labels_note(frames, name) for frames, name in (
        (train_frames, "training data"), (valid_frames, "validation data")) if frames]
    if valid_frames is not None:
        _check_disjoint(train_frames, valid_frames)
        untrained_note = _untrained_elements(train_frames, valid_frames, checkpoint is None)
    _check_pressure_shift(train_frames, pressure_shift_bar, stress_weight)
    stress_unchecked = offset_note = None
    # a base model that does not describe the data (no unit can be read from it)
    mismatch_notes = []
    if checkpoint is None:
        _check_scratch_reach(model_config, train_frames, valid_frames)
        _check_force_spread(train_frames)
        if check_units:
            stress_unchecked = _stress_unchecked(train_frames, None, stress_weight)
        if check_units and valid_frames is not None:
            _check_label_offsets(train_frames, None, valid_frames, None)
    else:
        _check_members_can_differ(ensemble, batch_size, len(train_frames))

    if checkpoint is not None:
        covered = _covered_species(checkpoint)
        present = {chemical_symbols[z] for a in train_frames + (valid_frames or []) for z in
                   set(a.numbers)}
        missing = sorted(present - covered)
        if missing:
            raise ValueError(
                f"the base model {base!r} does not cover the element(s) {', '.join(missing)} of "
                "the training data"
            )
        from .calculator import Calculator
        from .calculator_errors import InputError

        try:
            base_calc = Calculator(checkpoint, device=device)
        except InputError as err:
            # a base whose weights cannot be built (a newer sevenn's) was named as
            # "Calculator: model file ...", not as the base of this fine-tune
            raise ValueError(f"base: {str(err).removeprefix('Calculator: ')}") from None
        # a whole set in another unit is refused after four evaluations, not all of them
        predicted = _predict(base_calc, train_frames[:4])
        if check_units:
            # its note, if any, comes from the check of every frame below
            # the set alone: against the median of 3 others a poor base model's own
            # frame-to-frame scale reads as a unit (the tiny SevenNet copper on EMT frames
            # rattled by 0.1 Å: 0.989 × on one frame, 1.62-2.34 × on the others, read as
            # eV/bohr in 4 of 60 consistent sets that the check of all frames passed)
            _check_force_scale(train_frames[:4], [p["forces"] for p in predicted], warn=False,
                               energies=[p["energy"] for p in predicted], name_frames=False)
        # every frame once: the unit checks and the epoch-0 errors of the learning curve
        predicted += _predict(base_calc, train_frames[4:])
        valid_predicted = _predict(base_calc, valid_frames) if valid_frames else None
        if check_units:
            for frames, pred, name in ((train_frames, predicted, "training data"),
                                       (valid_frames, valid_predicted, "validation data")):
                if not frames:
                    continue
                mismatch_notes.append(
                    _check_force_scale(frames, [p["forces"] for p in pred], name,
                                       energies=[p["energy"] for p in pred]))
                _check_model_work(frames, pred, name)
            stress_unchecked = _stress_unchecked(train_frames, predicted, stress_weight)
            mismatch_notes.append(
                _check_energy_scale(train_frames, [p["energy"] for p in predicted],
                                    forces=[p["forces"] for p in predicted]))
            if valid_frames:
                mismatch_notes.append(_check_energy_scale(
                    valid_frames, [p["energy"] for p in valid_predicted], "validation data",
                    forces=[p["forces"] for p in valid_predicted]))
            # single frames of another unit among consistent ones (the checks above judge
            # the set, and the base model's own scale and offsets cancel here)
            for frames, pred, name in ((train_frames, predicted, "training data"),
                                       (valid_frames, valid_predicted, "validation data")):
                if frames:
                    _check_energy_frames(frames, [p["energy"] for p in pred], name,
                                         forces=[p["forces"] for p in pred])
                    _check_stress_frames(frames, [p.get("stress") for p in pred], name)
            if valid_frames:
                offset_note = _check_label_offsets(
                    train_frames, [p["energy"] for p in predicted], valid_frames,
                    [p["energy"] for p in valid_predicted],
                    [p["forces"] for p in predicted], [p["forces"] for p in valid_predicted])

    settings = _run_settings(
        checkpoint, model_config, train_frames, valid_frames, epochs=epochs, lr=lr,
        batch_size=batch_size, force_weight=force_weight, stress_weight=stress_weight,
        loss=loss, pressure_shift_bar=pressure_shift_bar)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    from .writer_lock import WriterLock

    # two fine-tunes into one folder trained into the same member folders at once, each
    # deleting and resuming from the other's files: the second is refused here, before
    # any training and before it removes anything of the first's
    with WriterLock(out, "fine-tune folder"):
        # an earlier run's plot must not outlive this one (plot=False writes none), nor its
        # models: a member that fails here would leave the earlier one beside this run's others.
        # A member an earlier call of this same fine-tune finished is kept and reused: a run
        # stopped part-way (SIGTERM) resumes at its first unfinished member
        (out / "learning_curve.png").unlink(missing_ok=True)
        finished = []
        for k in range(int(ensemble)):
            work = out / f"member_{k}"
            if _member_state(work, settings, seed + k) is None:
                finished.append(k)
            else:
                (work / "finetuned.pth").unlink(missing_ok=True)
                (work / _RECORD).unlink(missing_ok=True)
        base_errors = {}
        if checkpoint is not None:
            base_errors["train"] = _label_rmse(train_frames, predicted)
            if valid_frames is not None:
                base_errors["valid"] = _label_rmse(valid_frames, valid_predicted)

        from .md import Terminated, terminate_as_interrupt

        checkpoints, curves, resumed = [], [], {}
        # SIGTERM (a batch scheduler's limit) unwinds as Ctrl-C does: it killed the process, and
        # the CLI's "run the same command again to resume" was refused or retrained every member
        with terminate_as_interrupt():
            try:
                for k in range(int(ensemble)):
                    work = out / f"member_{k}"
                    if k in finished:
                        path = work / "finetuned.pth"
                    else:
                        work.mkdir(exist_ok=True)
                        resume = _resume_point(work, settings, seed + k, int(epochs))
                        if resume is not None:
                            resumed[k] = resume[1]
                        path = _train_one(
                            work, checkpoint, model_config, train_frames, valid_frames,
                            epochs=int(epochs), lr=lr, batch_size=batch_size, seed=seed + k,
                            device=device, weights=(force_weight, stress_weight), loss=loss,
                            pressure_shift_bar=pressure_shift_bar, verbose=verbose,
                            settings=settings, resume=resume,
                        )
                    curve = _read_curve(work / "lc.csv")
                    if base_errors:
                        row0 = {"epoch": 0, "lr": float("nan")}
                        for split, errs in base_errors.items():
                            for key, value in errs.items():
                                row0[f"{split}_{key}"] = value
                        curve.insert(0, row0)
                    else:
                        curve.insert(0, _scratch_row0(path, train_frames, valid_frames, device))
                    checkpoints.append(path)
                    curves.append(curve)
            except KeyboardInterrupt as err:
                what = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
                err.add_note(_stopped_note(what, out, settings, seed, int(epochs),
                                           int(ensemble)))
                raise

        plot_path = None
        if plot:
            plot_path = out / "learning_curve.png"
            _plot_curves(curves, plot_path)
        notes = []
        if finished:
            notes.append(
                f"member(s) {', '.join(map(str, finished))} reused: finished by an earlier run of "
                "this fine-tune (same base model, data, settings and seed), not trained again"
            )
        for k, epoch in resumed.items():
            notes.append(
                f"member {k} resumed from its epoch {epoch} checkpoint (a stopped run of this "
                "fine-tune): its batches, optimiser and learning rate continue as uninterrupted"
            )
        if untrained_note is not None:
            notes.append(untrained_note)
        notes.extend(n for n in repeated_notes if n is not None)
        notes.extend(n for n in (stress_unchecked, offset_note) if n is not None)
        notes.extend(n for n in mismatch_notes if n is not None)
        if ensemble == 1:
            notes.append(ONE_MEMBER_NOTE)
        elif checkpoint is not None:
            notes.append(
                "members fine-tuned from one pretrained model differ only by batch order; their "
                "spread underestimates the model uncertainty"
            )
        return FinetuneResult(checkpoints[0], checkpoints, curves, plot_path, out, notes,
                              reused=finished)


# finetune's options as they are defined: earlier_members, distill and align_density bind to
# this, not to the module attribute (a wrapped or patched finetune has other parameters)
_FINETUNE_SIGNATURE = inspect.signature(finetune)


def _scratch_row0(path, train_frames, valid_frames, device):
    """Epoch-0 errors of a model trained from scratch: its initial weights (checkpoint_0)."""
    row = {"epoch": 0, "lr": float("nan")}
    initial = path.parent / "checkpoint_0.pth"
    for split, frames in (("train", train_frames), ("valid", valid_frames)):
        if frames is None or not initial.exists():
            continue
        for key, value in label_errors(str(initial), frames, device=device).items():
            row[f"{split}_{key}"] = value
    return row


def _check_not_diverged(curve, work, lr):
    """RuntimeError when a training error became non-finite: the weights are NaN.

    sevenn trains on through NaN losses (a learning rate of 1e6 gave NaN errors from epoch 2
    and a checkpoint whose every energy and force is NaN, returned as the fine-tuned model).
    """
    for row in curve:
        bad = sorted(k for k, v in row.items() if k.startswith("train_") and not np.isfinite(v))
        if bad:
            raise RuntimeError(
                f"training diverged in {work}: {', '.join(bad)} not finite from epoch "
                f"{row['epoch']} (learning rate {row['lr']:g}); the model's weights are not "
                f"finite, so no fine-tuned model is written; lower lr (now {lr:g})"
            )


def _train_one(work, checkpoint, model_config, train_frames, valid_frames, *, epochs, lr,
               batch_size, seed, device, weights, loss, pressure_shift_bar, verbose, settings,
               resume=None):
    """Train one member in ``work``; ``resume``: ``(checkpoint, epoch)`` of its stopped
    training (:func:`_resume_point`), continued with its optimiser and scheduler state."""
    import torch
    import yaml
    from sevenn import __version__
    from sevenn.logger import Logger
    from sevenn.parse_input import read_config_yaml

    _write_frames(train_frames, work / "train.extxyz", pressure_shift_bar)
    if valid_frames is not None:
        _write_frames(valid_frames, work / "valid.extxyz", pressure_shift_bar)
    has_stress = any("stress" in a.calc.results for a in train_frames)
    train_section = {
        "random_seed": int(seed),
        "epoch": epochs,
        # every epoch: a stopped member resumes at its last one (older ones are removed)
        "per_epoch": 1,
        "device": device,
        "is_train_stress": bool(has_stress),
        "loss": "Huber" if loss == "huber" else "mse",
        "optimizer": "adam",
        "optim_param": {"lr": float(lr)},
        "scheduler": "exponentiallr",
        "scheduler_param": {"gamma": 0.99},
        "force_loss_weight": float(weights[0]),
        "stress_loss_weight": float(weights[1]),
        "error_record": [["Energy", "RMSE"], ["Force", "RMSE"], ["Stress", "RMSE"],
                         ["TotalLoss", "None"]],
    }
    if loss == "huber":
        train_section["loss_param"] = {"delta": 0.01}
    if resume is not None:
        train_section["continue"] = {
            "checkpoint": str(resume[0]),
            "reset_optimizer": False,
            "reset_scheduler": False,
            "reset_epoch": False,
        }
    elif checkpoint is not None:
        train_section["continue"] = {
            "checkpoint": str(checkpoint),
            "reset_optimizer": True,
            "reset_scheduler": True,
            "reset_epoch": True,
        }
    data_section = {
        "batch_size": int(batch_size),
        "dataset_type": "atoms",
        "data_format_args": {"index": ":"},
        "load_trainset_path": [str(work / "train.extxyz")],
    }
    if valid_frames is not None:
        data_section["load_validset_path"] = [str(work / "valid.extxyz")]
    config_text = {
        "model": _model_section(checkpoint, model_config),
        "train": train_section,
        "data": data_section,
    }
    input_yaml = work / "input.yaml"
    write_text_atomic(input_yaml, yaml.safe_dump(_plain(config_text), sort_keys=False))

    if resume is None:
        # an earlier fine-tune in this folder left its curve and checkpoints: the final one
        # (checkpoint_<epochs>.pth) must be this run's, or be missing
        for old in [*work.glob("lc*.csv"), *work.glob("checkpoint_*.pth")]:
            old.unlink()
        # what the epoch checkpoints to come are of: only the same run resumes from them
        write_json_atomic(work / _TRAINING, {"settings": settings, "seed": int(seed)})
    model_cfg, train_cfg, data_cfg = read_config_yaml(str(input_yaml))
    train_cfg.update({"is_ddp": False, "ddp_backend": "nccl", "local_rank": 0, "rank": 0,
                      "world_size": 1})
    config = {"version": __version__, "_model_type": "E3_equivariant_model"}
    config.update(model_cfg)
    config.update(train_cfg)
    config.update(data_cfg)

    random.seed(seed)
    torch.manual_seed(seed)
    logger = Logger()
    logger.switch_file(str(work / "log.sevenn"))
    logger.screen = bool(verbose)
    with logger:
        _sevenn_train(config, work, seed)
    from .md import _raise_if_terminated

    # a SIGTERM whose exception sevenn dropped: the member is not marked finished
    _raise_if_terminated()
    if resume is not None:
        # the rows before the resumed epoch and the resumed run's, as one curve
        curve = _curve_until(work, epochs)
        if curve is None:
            raise RuntimeError(f"the learning curve of the resumed training in {work} lacks "
                               "epochs; run again with another output folder")
        _write_curve(work, curve)
    _check_not_diverged(_read_curve(work / "lc.csv"), work, lr)
    final = work / f"checkpoint_{epochs}.pth"
    target = work / "finetuned.pth"
    # a copy cut short (full disk) must not stand as the fine-tuned model
    with atomic_path(target) as tmp:
        shutil.copyfile(final, tmp)
    # last: a member whose record is missing (stopped before it) is trained again
    _write_member_record(work, settings, seed)
    return target


def _sevenn_train(config, work, seed):
    """sevenn's ``train_v2`` for one model, with the batch order of :class:`_EpochOrder` and
    the checkpoints of :func:`_keep_last_checkpoint` (no distributed or reEWC training)."""
    from sevenn.logger import Logger
    from sevenn.model_build import build_E3_equivariant_model
    from sevenn.scripts.processing_continue import processing_continue_v2
    from sevenn.scripts.processing_epoch import processing_epoch_v2
    from sevenn.train import atoms_dataset
    from sevenn.train.trainer import Trainer
    from torch_geometric.loader import DataLoader

    log = Logger()
    log.timer_start("total")
    start_epoch, state_dicts = 1, None
    if config["continue"]["checkpoint"]:
        state_dicts, start_epoch = processing_continue_v2(config)
    # the statistics (shift, scale, species) enter the config here, before the model is built
    datasets = atoms_dataset.from_config(config, str(work))
    batch_size = config["batch_size"]
    loaders = {
        name: DataLoader(data, batch_size=batch_size,
                         sampler=_EpochOrder(len(data), seed, start_epoch))
        if name == "trainset" else DataLoader(data, batch_size=batch_size, shuffle=False)
        for name, data in datasets.items()
    }
    log.write("\nModel building...\n")
    model = build_E3_equivariant_model(config)
    log.print_model_info(model, config)
    trainer = _keep_last_checkpoint(Trainer.from_config(model, config), work)
    if state_dicts:
        trainer.load_state_dicts(*state_dicts, strict=False)
    processing_epoch_v2(config, trainer, loaders, start_epoch, working_dir=str(work))
    log.timer_end("total", message="Total wall time")
