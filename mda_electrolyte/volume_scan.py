"""Rigid-molecule volume scans (Magdău et al. 2023 §2.7).

Each atom of a frame is written ``r_i = τ_j + ξ_i`` (centre of mass ``τ_j`` of its molecule, offset
``ξ_i = Θ_j ξ_i⁰`` in the laboratory frame). The scan scales the centres of mass and the cell by
``s`` and keeps every molecule rigid, ``r_i(s) = s τ_j + ξ_i``, so that along it

    E_total(s) = E_inter(s) + E_intra,

with ``E_intra`` (every molecule evaluated in isolation) the same at every ``s`` and ``E_inter → 0``
as ``s → ∞``. The volume of a scan frame is ``s³`` times that of the frame.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import weakref
from pathlib import Path

import numpy as np
from MDAnalysis.analysis.results import ResultsGroup
from MDAnalysis.core.groups import AtomGroup

from ase_electrolyte.atomic_file import atomic_path, save_figure
from ase_electrolyte.atoms_checks import check_flag, check_number
from ase_electrolyte.option_words import choice_word
from ase_electrolyte.topology import check_extxyz

from . import rdf as _rdf
from .analysis_base import (
    FrameAnalysis,
    _frame_selection,
    check_atomgroup,
    kept_frame,
    require_results,
)
from .model_frames import FrameSource
from .model_labels import (
    IsolatedMoleculeEvaluator,
    evaluate_frame,
    is_calculator,
    not_calculator_error,
)
from .molecules import (
    check_vacuum,
    check_whole,
    isolated_molecules,
    make_whole,
    rigid_decomposition,
)
from .plotting import axes_to_draw_into, draws_user_text
from .report import mark_invalid, register_analysis
from .uncertainty import segment_estimate

__all__ = ["RigidVolumeScan", "rigid_scaled_atoms", "MAX_SCALE", "scan_minimum", "report_frames",
           "check_report_frames", "check_scan_frame"]



def _min_scan_distance():
    """Closest approach (Å) of two atoms in a scanned frame: a compression that pushes
    molecules closer is refused before any evaluation (the shortest bond, H₂, is 0.74 Å).

    The one bound of overlapping atoms, :data:`mda_electrolyte.rdf.MIN_PAIR_DISTANCE`, read
    at each call: a copy taken at import kept the old bound after the RDF's was changed, so
    the scan and the RDF judged the same frame by two distances.
    """
    return _rdf.MIN_PAIR_DISTANCE


def __getattr__(name):
    # MIN_SCAN_DISTANCE stays readable under its documented name, always the RDF's bound;
    # any other missing name is Python's own AttributeError
    if name == "MIN_SCAN_DISTANCE":
        return _min_scan_distance()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    # the name __getattr__ serves, listed: dir(), tab completion and the "did you mean"
    # of a misspelt attribute's AttributeError did not know MIN_SCAN_DISTANCE
    return sorted({*globals(), "MIN_SCAN_DISTANCE"})

#: Largest scale factor: at s = 100 molecules a few Å apart in the liquid are hundreds of Å
#: apart, beyond the cutoff of any model and of D3 (50 Å), where E_inter has reached 0; a
#: larger factor only makes a cell whose coordinates the model cannot resolve (s = 1e300
#: gives an infinite volume).
MAX_SCALE = 100.0

#: Default scale factors of the centres of mass and cell: compression to 0.85, expansion to 2.
DEFAULT_SCALES = (0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0)


def rigid_scaled_atoms(atoms, ids, scale):
    """Copy of a periodic frame with centres of mass and cell scaled by ``scale``, molecules rigid.

    Parameters
    ----------
    atoms : ase.Atoms
        Periodic in all directions; not modified.
    ids : array_like of int, shape (n_atoms,)
        Molecule index of every atom.
    scale : float
        Linear scale factor ``s`` (the volume scales by ``s³``): finite, > 0 and at most
        :data:`MAX_SCALE`.

    Raises
    ------
    TypeError
        ``atoms`` that are not an :class:`ase.Atoms`.
    ValueError
        A frame not periodic in all directions, a scale factor out of its bounds or not a
        number (a flag, text), molecules that cannot be made whole.

    Returns
    -------
    ase.Atoms
        Positions ``s τ_j + ξ_i`` (whole molecules, not wrapped into the cell) and cell ``s`` times
        the original; no calculator, and none of the frame's stored labels (the ``info``
        and ``arrays`` entries whose names contain, in any case and with any prefix or
        suffix, "energ", "force", "stress", "virial", "dipole" or "hessian", such as
        ``REF_energy`` and ``REF_forces``); the other entries (a total charge, molecule
        indices, initial charges) are kept.
    """
    from ase import Atoms

    if not isinstance(atoms, Atoms):
        # a Universe or a list failed on a missing attribute (AttributeError: 'list' object
        # has no attribute 'pbc')
        raise TypeError(f"atoms must be an ase.Atoms frame, not {type(atoms).__name__}")
    if not np.all(atoms.pbc):
        raise ValueError("a volume scan needs periodic frames with a box")
    # the scan's own bounds: "1.1" failed in numpy's isfinite with a TypeError, [1.1] in a
    # comparison, True scaled by 1, and 1e300 gave an infinite cell
    scale = check_number("scale", scale, above=0, maximum=MAX_SCALE)
    ids = np.asarray(ids)
    cell = atoms.cell.array
    whole = make_whole(atoms.positions, ids, cell)
    check_whole(whole, ids, cell, atoms.numbers)
    com, offsets = rigid_decomposition(whole, atoms.get_masses(), ids)
    scaled = _unlabelled(atoms)
    scaled.set_cell(cell * scale, scale_atoms=False)
    scaled.positions = scale * com[ids] + offsets
    return scaled


def _unlabelled(atoms):
    """A copy of ``atoms`` without its calculator and the labels of its geometry.

    A frame read from a training set carries its reference labels in ``info`` and ``arrays``
    (``REF_energy``, ``REF_forces``, the names MACE trains on): copied to the scaled frames, the
    scan's frames (training data, Magdău et al. 2023) held the unscaled frame's forces and
    energy at another geometry, and an ``info["energy"]`` beside the scan's own energy
    failed the extxyz write after the whole scan.
    """
    from ase_electrolyte.build import BOX_RECORDS

    from .model_labels import drop_stored_labels

    scaled = atoms.copy()
    scaled.calc = None
    # the builder's records (conformer_energies) describe the box, not this geometry's labels
    drop_stored_labels(scaled, keep=BOX_RECORDS)
    return scaled


def _scale_passes(atoms, ids, s):
    """Whether the frame scaled by ``s`` keeps atoms :data:`MIN_SCAN_DISTANCE` apart."""
    from ase_electrolyte.atoms_checks import check_overlaps

    try:
        check_overlaps(rigid_scaled_atoms(atoms, ids, s), _min_scan_distance())
    except ValueError:
        return False
    return True


def _smallest_passing_scale(atoms, ids, refused, digits=3):
    """The smallest scale factor of ``digits`` decimals in ``(refused, 1]`` from which on no
    atoms come closer than :data:`MIN_SCAN_DISTANCE` (the frame passing at ``s = 1``), found
    by bisection; ``None`` if none near the boundary passes."""
    def passes(s):
        return _scale_passes(atoms, ids, s)

    low, high = float(refused), 1.0
    while high - low > 0.1 ** (digits + 1):
        mid = 0.5 * (low + high)
        low, high = (low, mid) if passes(mid) else (mid, high)
    # the first factor on the grid above the last one refused that passes
    step = 10**digits
    for k in range(math.ceil(low * step), math.ceil(high * step) + 2):
        if k / step > low and passes(k / step):
            return k / step
    return None


class RigidVolumeScan(FrameAnalysis):
    """Energy of rigid molecules along a uniform scaling of their centres of mass and the cell.

    For each frame, the isolated molecules are evaluated once (``E_intra``) and the whole frame at
    every scale ``s`` (``E_total(s)``); ``E_inter(s) = E_total(s) − E_intra``. Energies are per atom
    of the scanned group, in meV/atom. A reference calculator, if given, is evaluated side by side.

    Parameters
    ----------
    atomgroup : MDAnalysis.AtomGroup, MDAnalysis.Universe, ase.Atoms or list of ase.Atoms
        Whole molecules in a periodic box (a Universe's molecules are its residues); a static
        AtomGroup (an UpdatingAtomGroup, read once, is refused).
    calculator : ase.calculators.calculator.BaseCalculator
        Any ASE calculator.
    scales : sequence of float
        Linear scale factors ``s`` of the centres of mass and the cell (default
        :data:`DEFAULT_SCALES`): finite, > 0, each once (to 6 significant digits, the keys of
        the results); scanned and reported in increasing order. A factor that brings atoms of
        a frame closer than :data:`MIN_SCAN_DISTANCE` is refused before any evaluation.
    reference : ase.calculators.calculator.BaseCalculator, optional
        A second calculator evaluated on the same scanned frames.
    keep_frames : bool, str or os.PathLike
        Keep the scanned frames with the calculators' energy, forces and stress (those the
        calculator implements: a calculator of energies alone gives frames with energies) for
        :meth:`scanned_frames` (e.g. as training data). ``True`` keeps them in memory: about
        110 bytes per atom of every frame and scale (10⁴ atoms, 11 scales, 100 frames: 1.2 GB;
        ``benchmarks/bench_volume_scan_memory.py``). A path (a text or ``pathlib.Path``
        ending in ``.extxyz`` or ``.xyz``, in any case) streams them to that extxyz file
        instead, each analysed frame's scan written as it is done (in a hidden folder beside
        the file, removed after the run) and the file assembled in frame order when the run
        succeeds: memory is one analysed frame's scan whatever the number of frames, and a
        run that fails leaves an earlier file as it was. The file holds the model's labels
        (``energy``, ``forces``, ``stress``) and, with a reference, ``reference_energy``,
        ``reference_stress`` (info) and ``reference_forces`` (arrays).
    vacuum : float, optional
        Evaluate isolated molecules in a periodic cube with this much vacuum (Å). A charged
        molecule's energy from a summed term with a neutralising background loses the part of
        its images (:func:`~mda_electrolyte.model_labels.background_self_energy`, Makov &
        Payne 1995), so that ``E_intra`` does not depend on the vacuum; a term without a
        background refuses the charged cube before any model call.
    compound : {"residues", "fragments"}
        What a molecule is in a Universe.

    Attributes
    ----------
    results.scales : numpy.ndarray, shape (n_scales,)
    results.total, results.intra, results.inter : numpy.ndarray, shape (n_frames, n_scales)
        Energies of the model in meV/atom (``intra`` is constant along each row).
    results.reference_total, results.reference_intra, results.reference_inter : numpy.ndarray
        The same for the reference calculator, when given.
    results.volumes : numpy.ndarray, shape (n_frames, n_scales)
        Cell volumes in Å³.
    results.estimates : dict
        ``{component: {f"{scale:g}": Estimate}}`` (keys are text, as in ``summary.json``:
        ``results.estimates["inter"]["0.98"]``) for the components above (and, with a reference,
        ``inter_error`` and ``total_error``, model minus reference): the mean over the scanned
        frames in meV/atom with its t-scaled standard error over frames
        (:func:`scan_estimates`); not valid for a single frame.
    results.orientations : numpy.ndarray of float32, shape (n_frames, m)
        Offsets ``ξ_i`` (Å) of up to :data:`CORRELATION_ATOMS` atoms of the molecules of two
        or more atoms in each frame: the molecules' orientations, whose correlation over
        consecutive frames the errors over frames are judged by (the ``frame_values`` of
        :func:`scan_estimates` and :func:`scan_minimum`). Consecutive frames whose
        orientations are correlated are averaged in blocks; where the frames are too few for
        so many values to show a correlation, the estimates are not valid ("too few frames
        to measure correlation"; 5 frames take 56 values, 6 frames 32, 10 frames 10).
    results.minimum : dict
        The rigid-molecule equation of state of the model about its energy minimum
        (:func:`scan_minimum`): ``"scale"`` (s₀ of the lowest total energy) and
        ``"bulk_modulus"`` (GPa), Estimates with a jackknife error over frames and a verdict
        (too few points, a poor fit, a minimum outside the scanned range);
        ``results.reference_minimum`` the same for the reference.

    Examples
    --------
    >>> from ase.build import molecule
    >>> from ase.calculators.lj import LennardJones
    >>> a, b = molecule("H2O"), molecule("H2O")
    >>> b.positions += [3.2, 0.0, 0.0]
    >>> box = a + b
    >>> box.cell, box.pbc = [8.0, 8.0, 8.0], True
    >>> scan = RigidVolumeScan([box], LennardJones(sigma=2.0, rc=3.9), scales=[1.0, 3.0]).run()
    >>> scan.results.total.shape
    (1, 2)
    >>> bool(abs(scan.results.inter[0, 1]) < 1e-12)  # molecules beyond the cutoff
    True
    """

    _analysis_algorithm_is_parallelizable = True

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")

    def __init__(
        self,
        atomgroup,
        calculator,
        scales=DEFAULT_SCALES,
        *,
        reference=None,
        keep_frames=True,
        vacuum=None,
        compound="residues",
        **kwargs,
    ):
        self._frames_path = None
        self._parts = self._parts_finalizer = None
        # "no" or "False" is a flag mistyped, which check_flag refuses, not a file to write;
        # a text with a suffix or a folder in it is a path, as a pathlib.Path is, in any case
        # of its suffix: "scan.XYZ" was refused as a mistyped flag where Path("scan.XYZ") was
        # written, and Path("scan.traj") got extxyz text that ase.io.read takes for a .traj
        if isinstance(keep_frames, os.PathLike) or (isinstance(keep_frames, str) and (
                Path(keep_frames).suffix or os.sep in keep_frames or "/" in keep_frames)):
            path = Path(keep_frames)
            # refused before any evaluation: a missing folder or a folder for a file was
            # found when the scan had been run on every frame
            if path.is_dir():
                raise IsADirectoryError(f"keep_frames: {path} is a folder, not a file to "
                                        "write the scanned frames to")
            if path.suffix.lower() not in (".extxyz", ".xyz"):
                raise ValueError(f"keep_frames: {path} is no extxyz file name; the scanned "
                                 "frames are written as extended XYZ: give a name ending in "
                                 ".extxyz (or .xyz), or True to keep them in memory")
            if not path.parent.is_dir():
                raise FileNotFoundError(f"keep_frames: the folder {path.parent} of {path} "
                                        "does not exist")
            self._frames_path = path.resolve()
            keep_frames = True
        check_flag("keep_frames", keep_frames)
        if isinstance(atomgroup, AtomGroup):
            # an UpdatingAtomGroup would be read once, here, and its atoms scanned in every frame
            check_atomgroup("RigidVolumeScan: the atomgroup", atomgroup)
        self._source = FrameSource(atomgroup, compound=compound)
        super().__init__(self._source.atomgroup.universe.trajectory, **kwargs)
        if not self._source.has_box():
            raise ValueError(
                "a rigid volume scan needs frames with a periodic box; these have none"
            )
        for name, calc in (("calculator", calculator), ("reference", reference)):
            if calc is not None and not is_calculator(calc):
                raise not_calculator_error(name, calc)
        if calculator is None:
            raise TypeError("calculator is required")
        if reference is not None and reference is calculator:
            # every model call made twice for a reference curve that is the model's own
            raise ValueError("the reference is the calculator under test itself: give the "
                             "reference method's calculator, or reference=None")
        # one by one (np.asarray would take True as 1.0 and "1.1" as 1.1); results are keyed
        # by f"{s:g}": two factors with one key would leave one of them out
        if isinstance(scales, np.ndarray) and scales.ndim != 1:
            raise ValueError(f"scales must be a non-empty sequence of numbers, not {scales!r}")
        scales = _keyed_scales(scales, maximum=MAX_SCALE)
        # a scan is a curve E(s): in increasing s whatever the order given
        self.scales = np.sort(scales)
        self.keep_frames = bool(keep_frames)
        self.vacuum = check_vacuum(vacuum)
        # E_intra needs the isolated molecules' energies alone
        self._sides = {"": IsolatedMoleculeEvaluator(calculator, forces=False)}
        if reference is not None:
            self._sides["reference_"] = IsolatedMoleculeEvaluator(reference, forces=False)

    def _get_aggregator(self):
        lookup = {"_per_frame": ResultsGroup.flatten_sequence}
        return ResultsGroup(lookup=lookup)

    def check_frames(self, start=None, stop=None, step=None, frames=None):
        """Raise before any model evaluation if a frame of the selection cannot be scanned.

        Every scaled frame is built (no calculator is called) and refused if its molecules
        cannot be made whole or if atoms come closer than :data:`MIN_SCAN_DISTANCE` (a
        compression that pushes molecules into each other, which no model can be judged on;
        the message names the smallest factor that passes). The first frame and its isolated
        molecules are put to the calculators' summed terms that check their input
        (:func:`~mda_electrolyte.model_labels.check_calculator_inputs`: an ion in a cube of
        ``vacuum`` without a neutralising background).
        :meth:`run` does the same for its frames before evaluating any of them.

        Raises
        ------
        ValueError
            Naming the frame, the scale factor and the atoms.
        TypeError
            ``frames`` that are not frame indices or a boolean mask.
        ValueError
            ``frames`` outside the trajectory (an index past its end, a mask of another
            length), as :meth:`run` refuses them.
        """
        # the frames as run() takes them (a tuple or range too)
        frames = _frame_selection(type(self).__name__, frames)
        with kept_frame(self._trajectory) as trajectory:
            try:
                selected = trajectory[start:stop:step] if frames is None else trajectory[frames]
            except IndexError as err:
                # a mask of another length, an index past the end: numpy's bare IndexError
                # where run() names the selection
                raise ValueError(f"{type(self).__name__}: the frame selection is outside the "
                                 f"trajectory ({trajectory.n_frames} frames): {err}") from None
            for k, ts in enumerate(selected):
                self._check_frame(ts)
                if k == 0:
                    self._check_calculator_inputs(ts)

    def _check_frame(self, ts):
        check_scan_frame(self._source, ts, self.scales, type(self).__name__)

    def _check_selected_frames(self):
        # every frame of the run, before the first model call: in the calling process, so that
        # the workers of a parallel run do not evaluate their parts first (36 model calls before
        # a multiprocessing run refused the last of 8 frames)
        with kept_frame(self._trajectory):
            for k, ts in enumerate(self._sliced_trajectory):
                self._check_frame(ts)
                if k == 0:
                    self._check_calculator_inputs(ts)

    def _check_calculator_inputs(self, ts):
        """A frame or isolated molecule that a calculator's summed term refuses (an ion in a
        cube of vacuum without a neutralising background), before any model call: it was
        refused after the model had evaluated the molecules before it."""
        from .model_labels import (
            check_calculator_inputs,
            check_vacuum_beyond_cutoff,
            input_checks,
        )

        sides = [("reference" if prefix else "model", evaluator.calculator, True)
                 for prefix, evaluator in self._sides.items()]
        # a vacuum within the model's cutoff: the "isolated" molecule sees its own images
        check_vacuum_beyond_cutoff(sides, self.vacuum, "the scan's E_intra")
        if not any(input_checks(calc) for _, calc, _ in sides):
            return
        atoms = self._source.atoms(ts)
        check_calculator_inputs(
            atoms, isolated_molecules(atoms, self._source.ids, vacuum=self.vacuum), sides,
            frame=ts.frame, vacuum=self.vacuum, what="the scan's E_intra")

    def _setup_computation_groups(self, n_parts, start=None, stop=None, step=None,
                                  frames=None):
        """With ``keep_frames=<path>``, a hidden folder beside the file for the scanned frames
        of each analysed frame (the workers of a parallel run write there too), then the
        frames split into parts (:meth:`FrameAnalysis._setup_computation_groups`).

        The folder is removed when :meth:`_conclude` has joined it into the file, or has
        failed; when a frame fails in a serial run; after a frame failed in another process
        (a parallel backend's worker), when the scan runs again, is garbage-collected or Python
        exits, whichever comes first.
        """
        groups = super()._setup_computation_groups(n_parts, start=start, stop=stop, step=step,
                                                   frames=frames)
        self._remove_parts()
        if self._frames_path is not None:
            self._parts = tempfile.mkdtemp(prefix=f".{self._frames_path.name}.parts-",
                                           dir=self._frames_path.parent)
            self._parts_finalizer = weakref.finalize(self, shutil.rmtree, self._parts,
                                                     ignore_errors=True)
        return groups

    def __getstate__(self):
        # a copy (a part of the frames, a worker's) writes into the folder but does not own
        # it: only this scan removes it, and a finalizer cannot be pickled
        state = self.__dict__.copy()
        state["_parts_finalizer"] = None
        return state

    def _remove_parts(self):
        """Remove the folder of scanned frames of the last run, if any."""
        finalizer = getattr(self, "_parts_finalizer", None)
        if finalizer is not None:
            finalizer()  # removes the folder once; later calls do nothing
        self._parts, self._parts_finalizer = None, None

    def _prepare(self):
        self.results._per_frame = []

    def _write_part(self, frame, scanned):
        """The scanned frames of analysed frame ``frame`` as an extxyz part file."""
        from ase.calculators.singlepoint import SinglePointCalculator
        from ase.io import write

        out = []
        for atoms in scanned:
            labels = atoms.info.pop("labels")
            copy = atoms.copy()
            copy.calc = SinglePointCalculator(copy, **labels[""])
            if "reference_" in labels:
                ref = labels["reference_"]
                copy.info["reference_energy"] = ref["energy"]
                if "forces" in ref:
                    copy.arrays["reference_forces"] = ref["forces"]
                if "stress" in ref:
                    copy.info["reference_stress"] = ref["stress"]
            out.append(copy)
        check_extxyz(out)
        write(os.path.join(self._parts, f"{frame:012d}.extxyz"), out, format="extxyz")

    def _single_frame(self):
        try:
            self._scan_frame()
        except (ValueError, RuntimeError) as err:
            # a model that fails (or gives NaN) hours into a scan did not say on which frame
            err.add_note(f"RigidVolumeScan: frame {int(self._ts.frame)}")
            raise

    def _scan_frame(self):
        atoms = self._source.atoms(self._ts)
        if not np.all(atoms.pbc):
            raise ValueError(f"frame {self._ts.frame} has no periodic box")
        ids = self._source.ids
        n = len(atoms)
        molecules = isolated_molecules(atoms, ids, vacuum=self.vacuum)
        record = {"frame": int(self._ts.frame), "volumes": [], "atoms": []}
        for prefix, evaluator in self._sides.items():
            energies, _ = evaluator.evaluate(molecules)
            record[prefix + "intra"] = float(energies.sum())
            record[prefix + "total"] = []
        for s in self.scales:
            scaled = rigid_scaled_atoms(atoms, ids, s)
            record["volumes"].append(scaled.get_volume())
            labels = {}
            for prefix, evaluator in self._sides.items():
                calc = evaluator.calculator
                implemented = getattr(calc, "implemented_properties", None)
                # the labels the calculator gives: one of energies alone was asked for forces
                # after the frame's energy (and the isolated molecules') had been paid for
                props = ["energy"] + [q for q in ("forces", "stress") if self.keep_frames and (
                    implemented is None or q in implemented)]
                try:
                    values = evaluate_frame(calc, scaled, props)
                except (ValueError, RuntimeError) as err:
                    # the frame alone was named: a model that fails on compression alone
                    # (atoms pushed together) looked like one that fails on the frame
                    err.add_note(f"RigidVolumeScan: the {'reference' if prefix else 'model'} "
                                 f"at scale factor s = {s:g}")
                    raise
                record[prefix + "total"].append(values["energy"])
                labels[prefix] = values
            if self.keep_frames:
                scaled.info["scale"] = float(s)
                scaled.info["frame"] = int(self._ts.frame)
                scaled.info["labels"] = labels
                record["atoms"].append(scaled)
        record["n_atoms"] = n
        whole = make_whole(atoms.positions, ids, atoms.cell.array)
        record["orientations"] = _orientation_values(
            rigid_decomposition(whole, atoms.get_masses(), ids)[1], ids)
        if self._frames_path is not None:
            # one analysed frame's scan in memory at a time
            self._write_part(record["frame"], record["atoms"])
            record["atoms"] = []
        self.results._per_frame.append(record)

    def _conclude(self):
        try:
            self._conclude_scan()
        finally:
            self._remove_parts()

    def _failed_part(self):
        # a frame's model call failed in this process: a serial run's parts go now (a worker's
        # copy does not own the folder; the scan removes it at its next run, when it is
        # garbage-collected or when Python exits)
        if self._parts_finalizer is not None:
            self._remove_parts()

    def _conclude_scan(self):
        records = sorted(self.results._per_frame, key=lambda r: r["frame"])
        del self.results["_per_frame"]
        if not records:
            raise ValueError("no frames analysed: start/stop/step or frames select none")
        self.results.scales = self.scales.copy()
        self.results.volumes = np.array([r["volumes"] for r in records])
        self.results.frames = np.array([r["frame"] for r in records])
        per_atom = 1000.0 / self._source.n_atoms
        for prefix in self._sides:
            total = np.array([r[prefix + "total"] for r in records]) * per_atom
            intra = np.array([[r[prefix + "intra"]] * self.scales.size for r in records]) * per_atom
            self.results[prefix + "total"] = total
            self.results[prefix + "intra"] = intra
            self.results[prefix + "inter"] = total - intra
        rows = {key: self.results[key] for key in
                ("total", "intra", "inter", "reference_total", "reference_intra",
                 "reference_inter") if key in self.results}
        if "reference_" in self._sides:
            rows["inter_error"] = self.results.inter - self.results.reference_inter
            rows["total_error"] = self.results.total - self.results.reference_total
        # the molecules' orientations measure the correlation of the frames, where the
        # energies of under 60 frames cannot
        orientations = np.array([r["orientations"] for r in records])
        self.results.orientations = orientations
        self.results.estimates = {
            key: scan_estimates(values, self.scales, frame_values=orientations)
            for key, values in rows.items()
        }
        for prefix in self._sides:
            self.results[prefix + "minimum"] = scan_minimum(
                self.scales, self.results.volumes, self.results[prefix + "total"],
                self._source.n_atoms, frame_values=orientations)
        if self._frames_path is not None:
            from ase_electrolyte.atomic_file import atomic_path

            with atomic_path(self._frames_path) as tmp, open(tmp, "wb") as out:
                for r in records:
                    with open(os.path.join(self._parts, f"{r['frame']:012d}.extxyz"),
                              "rb") as part:
                        shutil.copyfileobj(part, out)
            # what this run wrote: scanned_frames() reads the file back only while it is
            # this file (another scan into the same path gave its frames under this scan's
            # calculator name)
            self._frames_written = _file_identity(self._frames_path)
        self._scanned = [a for r in records for a in r["atoms"]]

    def scanned_frames(self, labels="model"):
        """The scanned frames as ASE Atoms, frame-major then scale.

        Parameters
        ----------
        labels : {"model", "reference"}
            Whose energy, forces and stress the frames carry (as a ``SinglePointCalculator``).

        Returns
        -------
        list of ase.Atoms
            New copies, with ``info["scale"]``, ``info["frame"]``, ``info["label_source"]``
            (``labels``) and ``info["label_calculator"]`` (its name); ready for
            ``ase.io.write``.
            With ``keep_frames=<path>``, read back from that file (all of them in memory;
            positions and labels to the 8 decimals extxyz writes).

        Raises
        ------
        ValueError
            ``keep_frames=False``, no run, or a last run that failed (its frames are not those
            of an earlier run), ``labels`` not one of those scanned (in any case), or, with
            ``keep_frames=<path>``, a file removed, replaced or changed since the run wrote
            it.
        """
        from ase.calculators.singlepoint import SinglePointCalculator

        if not self.keep_frames:
            raise ValueError("the scan ran with keep_frames=False")
        # a run that failed emptied the results: the frames of an earlier run are not its
        if not hasattr(self, "_scanned") or "scales" not in self.results:
            raise ValueError("run() the scan first (the last run() failed, or none ran)")
        # an option word in any case, as every other ("Reference" was refused)
        choices = ("model", "reference") if "reference_" in self._sides else ("model",)
        try:
            labels = choice_word("labels", labels, choices)
        except ValueError:
            raise ValueError(
                f"labels must be 'model' or (with a reference) 'reference', not {labels!r}"
            ) from None
        prefix = {"model": "", "reference": "reference_"}[labels]
        if self._frames_path is not None:
            if _file_identity(self._frames_path) != getattr(self, "_frames_written", None):
                raise ValueError(
                    f"{self._frames_path} is no longer the file this scan wrote (removed, "
                    "replaced or changed since its run: another scan into the same path?); "
                    "run() the scan again to read its frames")
            return self._read_scanned(prefix)
        out = []
        for atoms in self._scanned:
            copy = atoms.copy()
            copy.info = {"scale": atoms.info["scale"], "frame": atoms.info["frame"],
                         **self._label_source(prefix)}
            copy.calc = SinglePointCalculator(copy, **atoms.info["labels"][prefix])
            out.append(copy)
        return out

    def _label_source(self, prefix):
        """``info`` entries naming whose labels a scanned frame carries: frames of the model's
        labels (diagnose's ``volume_scan_frames.extxyz`` without a reference calculator),
        read back as reference labels, compared a model with itself or another model as if
        with a reference method (:class:`~mda_electrolyte.IntraInterErrors` says so)."""
        from .model_labels import calculator_name

        return {"label_source": "reference" if prefix else "model",
                "label_calculator": calculator_name(self._sides[prefix].calculator)}

    def _read_scanned(self, prefix):
        from ase.calculators.singlepoint import SinglePointCalculator
        from ase.io import read

        out = []
        for atoms in read(self._frames_path, index=":", format="extxyz"):
            if prefix:
                labels = {"energy": atoms.info["reference_energy"]}
                if "reference_forces" in atoms.arrays:
                    labels["forces"] = atoms.arrays["reference_forces"]
                if "reference_stress" in atoms.info:
                    labels["stress"] = atoms.info["reference_stress"]
            else:
                labels = {k: v for k, v in atoms.calc.results.items()
                          if k in ("energy", "forces", "stress")}
            atoms.arrays.pop("reference_forces", None)
            copy = atoms.copy()
            copy.info = {"scale": float(atoms.info["scale"]), "frame": int(atoms.info["frame"]),
                         **self._label_source(prefix)}
            copy.calc = SinglePointCalculator(copy, **labels)
            out.append(copy)
        return out

    @draws_user_text
    def plot(self, ax=None, component="inter"):
        """E(s) curves of every frame (model solid, reference dashed).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        component : {"inter", "total", "intra"}
            In any case.

        Returns
        -------
        matplotlib.axes.Axes
        """
        require_results(self, "scales")

        component = choice_word("component", component, ("inter", "total", "intra"))
        ax = axes_to_draw_into(ax, figsize=(5, 4))
        for k, row in enumerate(self.results[component]):
            line = ax.plot(
                self.results.scales, row, "o-", ms=3, label=f"model, frame {self.results.frames[k]}"
            )
            if "reference_" in self._sides:
                ax.plot(
                    self.results.scales,
                    self.results["reference_" + component][k],
                    "s--",
                    ms=3,
                    color=line[0].get_color(),
                    label=f"reference, frame {self.results.frames[k]}",
                )
        ax.axhline(0.0, color="k", lw=0.5)
        shown = [component] + (["reference_" + component] if "reference_" in self._sides else [])
        if self.results.frames.size >= 2:
            # the reported numbers: the mean over frames with its error at every scale (one
            # frame is its own mean, drawn above, with no error)
            for key, style in zip(shown, ("-", "--"), strict=False):
                est = list(self.results.estimates[key].values())
                ax.errorbar(self.results.scales, [e.value for e in est],
                            yerr=[e.stderr if np.isfinite(e.stderr) else 0.0 for e in est],
                            color="k", ls=style, lw=1.5, capsize=3,
                            label=f"{'reference' if key != component else 'model'} mean ± error"
                            + ("" if all(e.valid for e in est) else " (NOT VALID)"))
        mark_invalid(ax, *(e for key in shown for e in self.results.estimates[key].values()))
        ax.set_xlabel("scale s of centres of mass and cell")
        ax.set_ylabel(f"E_{component} (meV/atom)")
        ax.legend(fontsize=7)
        return ax


def check_scan_frame(source, ts, scales, label):
    """Refuse frame ``ts`` of ``source`` if its scan at ``scales`` cannot be run; no model is
    called.

    Its molecules must be whole (:func:`~mda_electrolyte.intra_inter_errors.check_molecules_whole`,
    which names a proton transfer), and no scale factor may push atoms closer than
    :data:`MIN_SCAN_DISTANCE` (the message names the smallest factor that passes).

    Parameters
    ----------
    source : mda_electrolyte.model_frames.FrameSource
    ts : MDAnalysis.coordinates.timestep.Timestep
        A frame of ``source``'s trajectory.
    scales : sequence of float
        Scale factors of the molecular centres of mass (dimensionless).
    label : str
        Who refuses, for the message.

    Raises
    ------
    ValueError
        Naming ``label``, the frame, the scale factor and the atoms.
    """
    from ase_electrolyte.atoms_checks import check_overlaps

    from .intra_inter_errors import check_molecules_whole

    # a molecule that changed its bonding (a proton transfer) named as such
    check_molecules_whole(source, [ts], label)
    atoms = source.atoms(ts)
    ids = source.ids
    refused = None
    for s in scales:
        if not _scale_passes(atoms, ids, s):
            refused = s
    if refused is None:
        return
    # the frame itself too close: the structure is at fault, as check_overlaps says
    check_overlaps(atoms, _min_scan_distance(), what=f"frame {ts.frame} (unscaled)")
    s = refused
    # the structure passes at s = 1: the scale factor pushed its molecules into each other
    smallest = _smallest_passing_scale(atoms, ids, s) if s < 1.0 else None
    check_overlaps(rigid_scaled_atoms(atoms, ids, s), _min_scan_distance(),
                   what=f"frame {ts.frame} scaled by s = {s:g} pushes molecules into each "
                   "other (the frame itself passes)",
                   hint=(f"factors from s = {smallest:g} up keep atoms "
                         f"{_min_scan_distance()} Å "
                         "apart: drop those below it" if smallest is not None
                         else "drop this factor"))


def report_frames(n_frames, max_frames=5):
    """The frames the rigid volume scan of :func:`~mda_electrolyte.report.run_analyses`
    evaluates: up to ``max_frames`` spread evenly over ``n_frames`` frames, first and last
    included.

    The one choice, for the report and for the checks made before a model is loaded
    (``electrolyte analyze``, :func:`check_report_frames`).

    Parameters
    ----------
    n_frames : int
        Frames of the trajectory (>= 1).
    max_frames : int
        Most frames scanned (>= 1).

    Returns
    -------
    numpy.ndarray of int
        Increasing frame indices.

    Examples
    --------
    >>> from mda_electrolyte.volume_scan import report_frames
    >>> report_frames(6).tolist()
    [0, 1, 2, 4, 5]
    >>> report_frames(2).tolist()
    [0, 1]
    """
    n = check_number("n_frames", n_frames, minimum=1, integer=True)
    most = check_number("max_frames", max_frames, minimum=1, integer=True)
    return np.unique(np.linspace(0, n - 1, min(n, most)).round().astype(int))


def check_report_frames(universe, max_frames=5, scales=DEFAULT_SCALES):
    """Refuse a trajectory whose :func:`report_frames` the rigid volume scan of
    :func:`~mda_electrolyte.report.run_analyses` cannot scan (:func:`check_scan_frame`),
    without a calculator.

    ``electrolyte analyze`` found a molecule broken (a proton transfer) or pushed into another
    by a factor only once the model had been loaded (seconds to minutes); this is checked
    before. The checks of the calculators' own inputs (an ion in a cube of vacuum) still come
    with the scan.

    Raises
    ------
    ValueError
        Naming the frame, the scale factor and the atoms.
    """
    source = FrameSource(universe)
    scales = np.sort(_keyed_scales(scales, maximum=MAX_SCALE))
    with kept_frame(universe.trajectory) as trajectory:
        for ts in trajectory[report_frames(trajectory.n_frames, max_frames)]:
            check_scan_frame(source, ts, scales, "RigidVolumeScan")


@register_analysis("rigid_volume_scan", needs=("calculator", "box"))
def _report(universe, outdir, *, calculator=None, verbose=False, max_frames=5):
    """``electrolyte analyze`` entry: a scan of up to ``max_frames`` frames spread over the run.

    Five by default: the error over fewer frames is marked not valid (too few degrees of
    freedom), and each frame costs a model evaluation per scale.
    """

    frames = report_frames(universe.trajectory.n_frames, max_frames)
    scan = RigidVolumeScan(universe, calculator, keep_frames=False).run(
        frames=frames, verbose=verbose
    )
    return scan_summary(scan, outdir)


def _same_frames_note(values):
    """Why an error over the frames (rows of ``values``) is none, where at least two frames
    give the same energies at every scale factor to rounding (:data:`FLAT_SPAN`); else None.

    One frame given five times (``[atoms] * 5``, a trajectory of one repeated frame) was
    reported as its energies ± 0, valid, and the minimum's s0 and B0 likewise.
    """
    n = values.shape[0]
    if n < 2 or not np.all(np.isfinite(values)):
        return None
    rounding = FLAT_SPAN * np.maximum(np.max(np.abs(values), axis=0), 1.0)
    if np.any(np.ptp(values, axis=0) > rounding):
        return None
    return (f"no scatter: the {n} scanned frames give the same energies at every scale "
            "factor (one frame given several times?), so there is no error over frames; "
            "scan frames spread over a run")


#: Atoms of a frame whose orientation offsets (:func:`_orientation_values`) are kept to measure
#: the correlation of the scanned frames: 3000 values resolve a lag-1 correlation of 0.1 over
#: 10 frames.
CORRELATION_ATOMS = 1000


def _orientation_values(offsets, ids):
    """The offsets ``ξ_i`` (Å, float32, flat) of up to :data:`CORRELATION_ATOMS` atoms of
    molecules of two or more atoms, evenly spaced: the molecules' orientations (and
    vibrations), which follow the frames' correlation in thousands of values where the one
    energy per frame and scale cannot (lone ions have none)."""
    ids = np.asarray(ids)
    _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    atoms = np.flatnonzero(counts[inverse.ravel()] > 1)
    if atoms.size > CORRELATION_ATOMS:
        atoms = atoms[np.linspace(0, atoms.size - 1, CORRELATION_ATOMS).round().astype(np.intp)]
    return np.asarray(offsets, dtype=np.float64)[atoms].astype(np.float32).ravel()


def _scan_blocks(values, frame_values):
    """``(blocks, note)`` of the scanned frames, rows of ``values`` in frame order: blocks of
    consecutive correlated frames (``None`` where the frames are independent) and why an
    error over them is not valid (correlated frames, or too few to tell; ``None`` where it
    is).

    The statistical inefficiency is that of :func:`~mda_electrolyte.error_metrics
    .frame_blocks` of the energies' columns, and of ``frame_values`` (one row of values per
    frame whose correlation stands for the energies', the molecules' orientations) as its
    ``proxies``. With ``frame_values``, where no correlation is found it must be one the
    values could have shown: a correlation that makes the error bars sqrt(2) too narrow
    standing 4 standard errors clear of none (the columns of a scan count as one series:
    their frames' energies at neighbouring scales move together, and one series does so
    only from 60 frames on). Without them (a table given to :func:`scan_estimates` alone),
    the rows are taken as independent where their columns show no correlation.
    """
    from .error_metrics import (
        _LAG1_Z,
        _RESOLVED_LAG1,
        _correlated_note,
        _expected_lag1,
        frame_blocks,
    )

    n = values.shape[0]
    if n < 2 or not np.all(np.isfinite(values)):
        return None, None
    proxies, m = [], 1
    if frame_values is not None:
        # values that never change (lone ions' zero offsets) tell nothing
        moving = np.ptp(frame_values, axis=0) > 0
        if moving.any():
            proxies, m = [frame_values[:, moving]], int(moving.sum())
    found, g = frame_blocks(*values.T, proxies=proxies)
    if g > 1.0:
        return found, _correlated_note(n, g)
    # beyond 200 frames one series resolves it (4/sqrt(199) = 0.28 against 0.57)
    # under 5 frames the error is not valid for its few degrees of freedom already
    if frame_values is not None and 5 <= n < 200 and \
            _expected_lag1(_RESOLVED_LAG1, n) - _expected_lag1(0.0, n) < \
            _LAG1_Z / math.sqrt(m * (n - 1)):
        source = (f"{m} orientation value(s)" if proxies else
                  "one energy series (the scale factors' energies move together; the "
                  "molecules' orientations do not change)")
        return None, (f"too few frames to measure correlation: {n} scanned frames of {source} "
                      "cannot tell frames correlated with their neighbours from independent "
                      "ones; scan more frames, or more molecules")
    return None, None


def _file_identity(path):
    """``(device, inode, size, mtime in ns)`` of ``path``, or None where it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _keyed_scales(scales, maximum=None):
    """``scales`` as a float64 array of finite factors > 0 (and <= ``maximum``) whose keys
    ``f"{s:g}"`` differ, or ValueError naming the fault.

    The results are keyed by ``f"{s:g}"``: two factors of one key (1.0 and 1.0000001) left
    one column out of :func:`scan_estimates` without a word, and a flag, NaN or negative
    factor was made a key of its own ("1", "nan", "-1"). Each factor is checked by itself:
    converted as a whole, ``[True, 1.5]`` became ``[1.0, 1.5]``.
    """
    if isinstance(scales, np.ndarray):
        scales = scales.ravel()
    if isinstance(scales, (str, bytes)) or np.ndim(scales) != 1 or len(scales) == 0:
        raise ValueError(f"scales must be a non-empty sequence of numbers, not {scales!r}")
    scales = np.array([check_number(f"scales[{k}]", s, above=0, maximum=maximum)
                       for k, s in enumerate(scales)], dtype=np.float64)
    keys = [f"{s:g}" for s in scales]
    repeated = sorted({k for k in keys if keys.count(k) > 1}, key=float)
    if repeated:
        raise ValueError(f"scales repeat the factor(s) {', '.join(repeated)} (to 6 "
                         "significant digits): give each scale factor once")
    return scales


def scan_estimates(values, scales, unit="meV/atom", *, frame_values=None):
    """Mean over scanned frames of an energy at every scale, as Estimates.

    Parameters
    ----------
    values : array_like, shape (n_frames, n_scales)
        One scan per frame (e.g. ``results.inter``), in ``unit``.
    scales : array_like, shape (n_scales,)
        The scale factors, finite and > 0 (the keys of the result, as ``f"{s:g}"``: each
        key once, i.e. factors distinct to 6 significant digits).
    unit : str
    frame_values : array_like, shape (n_frames, m), optional
        Values of each frame, in the rows' order, whose correlation over consecutive frames
        stands for the energies' (:class:`RigidVolumeScan` gives its molecules' orientation
        offsets, Å): thousands of them measure a correlation that the energies themselves
        resolve only from 60 frames on. Default: none; the rows are then taken as
        independent unless their columns show a correlation.

    Raises
    ------
    ValueError
        ``values``, ``scales`` or ``frame_values`` that are not real numbers (flags, text),
        scale factors that are not finite and > 0 or that share a key, a table that is not one
        row of the scale factors per frame, or ``frame_values`` of another number of frames.

    Returns
    -------
    dict
        ``{f"{s:g}": Estimate}``: the mean over frames with its t-scaled standard error over
        frames; a single frame is marked not valid (no error over frames), and so are fewer
        than five (:func:`~mda_electrolyte.uncertainty.few_dof_note`: too few degrees of
        freedom for a calibrated error). Rows in frame order that are correlated with their
        neighbours (:func:`~mda_electrolyte.error_metrics.frame_blocks` of the columns and
        of ``frame_values``: a lag-1 correlation beyond 4 standard errors) are averaged in
        blocks of consecutive frames first, and marked not valid when fewer than
        :data:`~mda_electrolyte.error_metrics.MIN_CORRELATED_FRAMES` independent frames
        remain. The columns alone show little: frames of lag-1 correlation 0.9 were seen
        correlated in none of 200 replicas of 20 frames and half of 25, and without
        ``frame_values`` rows whose columns show none are taken as independent samples
        (scans of independent replicas, or of frames spread over a run). With
        ``frame_values`` (:class:`RigidVolumeScan` always), where no correlation is found
        but the values could not have shown one that makes the error bars sqrt(2) too narrow
        (that correlation, sqrt(1/3) at lag 1, standing 4 standard errors
        ``4/sqrt(m (n − 1))`` clear of none, ``m`` the orientation values per frame, over
        5 to 199 frames), the estimates are not valid, "too few frames to measure
        correlation". Frames that give the same energies at every scale to rounding (one
        frame given several times) have no error over them: not valid, "no scatter".

    Examples
    --------
    >>> import numpy as np
    >>> from mda_electrolyte.volume_scan import scan_estimates
    >>> values = np.array([[-3.0, -1.0], [-5.0, -1.0], [-4.0, -1.2], [-3.5, -0.9], [-4.5, -1.1]])
    >>> print(scan_estimates(values, [1.0, 1.5])["1"])  # 5 frames, rows; 2 scales, columns
    -4.00 ± 0.40 meV/atom (valid)
    >>> scan_estimates(values[:3], [1.0, 1.5])["1"].verdict  # doctest: +NORMALIZE_WHITESPACE
    'too few scanned frames: 2 degrees of freedom for the error over them (a calibrated error
    needs at least 4)'
    >>> scan_estimates(np.array([[-3.0, -1.0]]), [1.0, 1.5])["1.5"].verdict
    'too few frames: 1 scanned frame (an error over frames needs at least 2)'
    """
    from ase_electrolyte.estimate import Estimate

    from .uncertainty import real_array

    values = real_array(values, f"values ({unit})")
    scales = _keyed_scales(scales)
    if values.ndim != 2 or values.shape[1] != scales.size or values.shape[0] == 0:
        raise ValueError(f"values of shape {values.shape} do not hold one row of "
                         f"{scales.size} scales per frame")
    n = values.shape[0]
    blocks, note = None, None
    same = _same_frames_note(values)
    if same is not None:
        # rows that do not differ are not n samples: their standard error of 0 read as exact
        return {f"{s:g}": Estimate.invalid(float(values[0, k]), float("nan"), unit,
                                           "no uncertainty available", same, n)
                for k, s in enumerate(scales)}
    frame_values = _checked_frame_values(frame_values, n)
    # consecutive frames of a trajectory (run(stop=40) of a 1 fs MD) are no independent
    # samples: taken as such, AR(1) frames of lag-1 correlation 0.9 over 40 frames gave
    # errors 3-4 times too small, marked valid; the rows follow the frames' order
    blocks, note = _scan_blocks(values, frame_values)
    out = {}
    for k, s in enumerate(scales):
        column = values[:, k]
        if not np.all(np.isfinite(column)):
            out[f"{s:g}"] = Estimate.invalid(
                float("nan"), float("nan"), unit, "no uncertainty available",
                "not finite: the calculator returned NaN or infinity at this scale", n)
        elif n < 2:
            out[f"{s:g}"] = Estimate.invalid(
                float(column[0]), float("nan"), unit, "no uncertainty available",
                "too few frames: 1 scanned frame (an error over frames needs at least 2)", n)
        elif blocks is not None and len(blocks) < 2:
            out[f"{s:g}"] = Estimate.invalid(
                float(column.mean()), float("nan"), unit, "no uncertainty available",
                note or f"correlated frames: the {n} scanned frames are one block of "
                "consecutive correlated frames (no error over them)", n)
        elif blocks is not None:
            out[f"{s:g}"] = segment_estimate(
                [column[b].mean() for b in blocks], unit, n_runs=1, n_blocks=len(blocks),
                notes=() if note is None else (note,), what="blocks of scanned frames",
                method=f"t-scaled standard error over {len(blocks)} blocks of consecutive "
                       f"scanned frames ({n} frames, correlated)")
        else:
            out[f"{s:g}"] = segment_estimate(
                column, unit, n_runs=1, n_blocks=n, what="scanned frames",
                notes=() if note is None else (note,),
                method=f"t-scaled standard error over {n} scanned frames")
    return out


def _checked_frame_values(frame_values, n_frames):
    """``frame_values`` as a float array of ``n_frames`` rows, or ``None``."""
    from .uncertainty import real_array

    if frame_values is None:
        return None
    frame_values = real_array(frame_values, "frame_values")
    if frame_values.ndim == 0 or frame_values.shape[0] != n_frames \
            or not np.all(np.isfinite(frame_values)):
        raise ValueError(f"frame_values of shape {frame_values.shape} must hold one row of "
                         f"finite values for each of the {n_frames} frames")
    return frame_values.reshape(n_frames, -1)


#: Scale factors a fit of the minimum takes: the lowest point of the mean curve and up to three
#: on each side (a cubic in s; the expanded tail, where E_inter has levelled off, is no part of
#: the well).
_MINIMUM_WINDOW = 3
#: Points about the minimum a cubic fit needs (4 parameters and a residual to judge it by).
MIN_MINIMUM_POINTS = 5
#: Root-mean-square residual of the cubic, as a fraction of the energy span of its window, above
#: which the fit is poor (a curve with a kink or noise that a cubic does not describe).
POOR_FIT = 0.05
#: Span of the mean scan curve, as a fraction of its largest magnitude (at least 1 meV/atom),
#: at or below which the energy does not change with s beyond rounding (float64 sums round
#: at ~1e-13 of the total; a liquid's curve spans meV/atom of a total of eV/atom).
FLAT_SPAN = 1e-9


def _cubic_minimum(scales, energies):
    """``(s0, E''(s0), misfit)`` of a cubic fitted to ``energies`` (meV/atom) at ``scales``;
    ``s0`` NaN without a minimum inside the scales; ``misfit`` the residual's root mean square
    over the energies' span."""
    coef = np.polyfit(scales, energies, 3)
    resid = energies - np.polyval(coef, scales)
    span = float(np.ptp(energies))
    misfit = float(np.sqrt(np.mean(resid**2)) / span) if span > 0 else 0.0
    d1, d2 = np.polyder(coef), np.polyder(coef, 2)
    roots = [float(r.real) for r in np.roots(d1) if abs(r.imag) < 1e-12]
    roots = [r for r in roots if scales[0] <= r <= scales[-1] and np.polyval(d2, r) > 0]
    if not roots:
        return math.nan, math.nan, misfit
    s0 = min(roots, key=lambda r: np.polyval(coef, r))
    return s0, float(np.polyval(d2, s0)), misfit


def _other_minima(scales, window, k, energies, v1, to_ev):
    """``(s0, E''(s0))`` pairs (E'' in meV/atom) of other fits of the same mean curve
    ``energies`` (meV/atom): a cubic over the five scale factors nearest the lowest point
    ``k``, a quartic over ``window`` (six points or more), and the Vinet equation of state of
    :class:`ase.eos.EquationOfState` over ``window`` (volumes ``s³ V1``, Å³; Birch–Murnaghan's
    read a harmonic well in s 19 % off, a difference of its own form, not of the points).
    Fits that fail or have no minimum inside the scales are left out."""
    import warnings

    from ase.eos import EquationOfState as AseEOS

    found = []
    near = np.arange(max(0, k - 2), min(scales.size, k + 3))
    fits = [(near, 3)] if near.size >= MIN_MINIMUM_POINTS and near.size < window.size else []
    fits += [(window, 4)] if window.size >= 6 else []
    for points, degree in fits:
        coef = np.polyfit(scales[points], energies[points], degree)
        d1, d2 = np.polyder(coef), np.polyder(coef, 2)
        roots = [float(r.real) for r in np.roots(d1) if abs(r.imag) < 1e-12
                 and scales[points[0]] <= r.real <= scales[points[-1]]
                 and np.polyval(d2, r.real) > 0]
        if roots:
            s0 = min(roots, key=lambda r, c=coef: np.polyval(c, r))
            found.append((s0, float(np.polyval(d2, s0))))
    for eos in ("vinet",):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                v0, _, b = AseEOS(v1 * scales[window] ** 3, energies[window] * to_ev,
                                  eos=eos).fit(warn=False)
        except Exception:   # noqa: BLE001 - a fit that does not converge is one fewer
            continue
        s0 = (v0 / v1) ** (1.0 / 3.0) if v0 > 0 else math.nan
        if not (math.isfinite(s0) and b > 0 and scales[window[0]] <= s0 <= scales[window[-1]]):
            continue
        # B0 = E''(s0) / (9 s0 V1): the curvature in s (meV/atom) that gives this B0
        found.append((float(s0), float(b) * 9.0 * s0 * v1 / to_ev))
    return found


def scan_minimum(scales, volumes, total, n_atoms, *, frame_values=None):
    r"""Scale factor and bulk modulus of the minimum of a rigid-molecule scan, as Estimates.

    The mean over frames of ``E_total(s)`` is fitted with a cubic in ``s`` over its lowest point
    and up to three scale factors on each side; ``s0`` is the cubic's minimum and the bulk
    modulus ``B0 = V d²E/dV² = E''(s0) / (9 s0 V1)`` (``V = s³ V1``, ``V1`` the frames' mean
    volume at ``s = 1``, energies of the whole frame). Errors: the jackknife over frames (each
    frame left out of the mean curve in turn, refitted), t-scaled, over blocks of consecutive
    frames where the frames are correlated, combined in quadrature with the fit's resolution:
    the largest difference from other fits of the same mean curve (a cubic over the five
    nearest scale factors, a quartic, and the Vinet equation of state of
    :class:`ase.eos.EquationOfState`). Scale factors 0.05 apart are 15 % apart in volume: a
    Lennard-Jones scan's B0 of 2 GPa reads 4.2 ± 1.9 GPa. Not valid for fewer than five
    frames, and where
    the frames are correlated or too few to tell, as every error over frames
    (:func:`scan_estimates`).

    Parameters
    ----------
    scales : array_like, shape (n_scales,)
        Distinct scale factors > 0, in any order (the columns of ``volumes`` and ``total``
        follow them; the fit takes them in increasing order).
    volumes : array_like, shape (n_frames, n_scales)
        Cell volumes (Å³).
    total : array_like, shape (n_frames, n_scales)
        Total energies in meV/atom.
    n_atoms : int
        Atoms per frame.
    frame_values : array_like, shape (n_frames, m), optional
        As for :func:`scan_estimates`.

    Returns
    -------
    dict
        ``"scale"`` (unit ``"1"``) and ``"bulk_modulus"`` (``"GPa"``): Estimates, not valid
        (value NaN where there is none) for fewer than :data:`MIN_MINIMUM_POINTS` scale
        factors in all, a curve that does not change with ``s`` beyond
        rounding (:data:`FLAT_SPAN`), a minimum at the smallest or largest scale factor
        (outside the scanned range), fewer than :data:`MIN_MINIMUM_POINTS` scale factors
        about it, a cubic whose residual exceeds :data:`POOR_FIT` of the energies' span,
        too few frames, or frames that do not differ about the minimum ("no scatter": the
        values are the curve's, the error over frames none).

    Raises
    ------
    ValueError
        Tables whose shape does not match the scale factors, repeated or non-positive scale
        factors, volumes that are not finite and > 0, an ``n_atoms`` that is not a whole
        number >= 1.
    """
    from ase_electrolyte.estimate import Estimate
    from ase_electrolyte.units import convert

    from .error_metrics import _few_frames
    from .uncertainty import jackknife_error, real_array

    scales = real_array(scales, "scales").ravel()
    volumes = real_array(volumes, "volumes (Å³)")
    total = real_array(total, "total energies (meV/atom)")
    n_atoms = check_number("n_atoms", n_atoms, integer=True, minimum=1)
    if total.ndim != 2 or total.shape[0] == 0 or total.shape[1] != scales.size \
            or volumes.shape != total.shape:
        # a table of other shape failed inside the fit with an IndexError
        raise ValueError(f"total {total.shape} and volumes {volumes.shape} must hold one row "
                         f"of the {scales.size} scale factors per frame")
    if not (np.all(np.isfinite(scales)) and np.all(scales > 0)) \
            or np.unique(scales).size != scales.size:
        raise ValueError(f"scales must be distinct finite factors > 0, not {scales.tolist()}")
    if not np.all(np.isfinite(volumes)) or np.any(volumes <= 0):
        raise ValueError("volumes must be finite and > 0 (Å³)")
    # a scan read back in another order (rows of a CSV file, a shuffled table) was fitted about
    # neighbours in that order, and its minimum called valid
    order = np.argsort(scales)
    scales, volumes, total = scales[order], volumes[:, order], total[:, order]
    n_frames = total.shape[0]
    method = (f"cubic in s about the lowest point of the mean over {n_frames} frames; "
              "t-scaled jackknife over frames")
    units = {"scale": "1", "bulk_modulus": "GPa"}

    def invalid(reason):
        return {k: Estimate.invalid(math.nan, math.nan, u, method, reason, n_frames)
                for k, u in units.items()}

    if not np.all(np.isfinite(total)):
        return invalid("not finite: the calculator returned NaN or infinity in the scan")
    if scales.size < MIN_MINIMUM_POINTS:
        # before the curve is judged: the one value of a scan of s = 1 alone spans 0 meV/atom
        # and read as 'flat ... no molecule is within the model's reach of another' for two
        # waters 3 Å apart, a model's fault named where the scan was too short
        return invalid(f"too few points: {scales.size} scale factor"
                       f"{'s' if scales.size > 1 else ''} scanned in all ({scales.tolist()}); "
                       f"a fit of the minimum needs at least {MIN_MINIMUM_POINTS} about it; "
                       f"scan more (e.g. the default scales {list(DEFAULT_SCALES)})")
    mean = total.mean(axis=0)
    span = float(np.ptp(mean))
    # (1 meV/atom the least magnitude: a curve about 0 spans more than 1e-9 meV/atom)
    if span <= FLAT_SPAN * max(float(np.max(np.abs(mean))), 1.0):
        # the lowest of rounding noise: a box of one molecule out of its images' reach gave
        # s0 = 0.93-1.09 with B ~ 1e-15 GPa, 'poor fit' or 'extend the scales beyond it'
        return invalid(f"flat: the energy does not change with s (its span, {span:.2g} "
                       "meV/atom, is rounding): no molecule is within the model's reach of "
                       "another or of an image (a box of one molecule, a model without "
                       "intermolecular terms), so that there is no minimum to find")
    k = int(np.argmin(mean))
    if k in (0, scales.size - 1):
        end = "smallest" if k == 0 else "largest"
        return invalid(f"minimum outside the scanned range: the lowest energy is at the {end} "
                       f"scale factor s = {scales[k]:g}; extend the scales beyond it")
    window = np.arange(max(0, k - _MINIMUM_WINDOW), min(scales.size, k + _MINIMUM_WINDOW + 1))
    if window.size < MIN_MINIMUM_POINTS:
        return invalid(f"too few points: {window.size} scale factors about the minimum (a fit "
                       f"of it needs {MIN_MINIMUM_POINTS}); scan more scale factors near s = "
                       f"{scales[k]:g}")
    v1 = float(np.mean(volumes[:, 0] / scales[0] ** 3))
    to_ev = n_atoms / 1000.0

    def fit(keep):
        s0, curvature, misfit = _cubic_minimum(scales[window], total[keep][:, window].mean(0))
        bulk = convert(curvature * to_ev / (9.0 * s0 * v1), "eV/Å^3", "GPa")
        return s0, bulk, misfit

    # the frames' correlation, as for the mean curve's estimates (an error over 40
    # consecutive frames of a 1 fs run was the jackknife over 40 independent ones)
    blocks, note = _scan_blocks(total, _checked_frame_values(frame_values, n_frames))
    s0, bulk, misfit = fit(np.ones(n_frames, dtype=bool))
    if not math.isfinite(s0):
        return invalid("no minimum: the cubic fitted about the lowest point has none inside "
                       "the scanned range")
    # the scales are far apart for a curvature (0.05 in s is 15 % in V): a cubic over them
    # read a Vinet curve's B0 of 2 GPa as 2.3-3.7 GPa and a Lennard-Jones scan's as 2.1-4.2,
    # both valid with errors of 1e-4 GPa from the frames' scatter alone. The largest
    # difference from other fits of the same points is the fit's resolution, part of the error
    others = _other_minima(scales, window, k, mean, v1, to_ev)
    resolution = (
        max((abs(o[0] - s0) for o in others), default=0.0),
        max((abs(convert(o[1] * to_ev / (9.0 * o[0] * v1), "eV/Å^3", "GPa") - bulk)
             for o in others), default=0.0))
    notes = []
    if misfit > POOR_FIT:
        notes.append(f"poor fit: the cubic's residual is {misfit:.2g} of the energies' span "
                     f"about the minimum (at most {POOR_FIT})")
    # the jackknife over blocks is t-scaled by their number (uncertainty.jackknife_error): the
    # Estimate's dof and method say so, or its intervals take the t quantile of the frames
    # (200 AR(1) frames in 18 blocks: dof 199, "jackknife over frames", where scan_estimates
    # of the same table says 17 over 18 blocks)
    n_independent = n_frames if blocks is None else len(blocks)
    if blocks is not None:
        method = (f"cubic in s about the lowest point of the mean over {n_frames} frames; "
                  f"t-scaled jackknife over {len(blocks)} blocks of consecutive frames "
                  "(correlated)")
    method += (", combined with the fit's resolution (the largest difference from a cubic "
               "over the 5 nearest scales, a quartic and a Vinet fit)")
    out = {}
    for j, (name, value) in enumerate((("scale", s0), ("bulk_modulus", bulk))):
        item = list(notes)
        same = _same_frames_note(total[:, window])
        if same is not None:
            item.append(same)
            err = math.nan
        elif n_frames < 2:
            item.append(f"too few frames: {n_frames} (an error over frames needs at least 2)")
            err = math.nan
        elif blocks is not None and len(blocks) < 2:
            item.append(note)
            err = math.nan
        else:
            err = math.hypot(jackknife_error(lambda keep, j=j: fit(keep)[j], n_frames,
                                             blocks=blocks), resolution[j])
            few = _few_frames(n_independent)
            item += [x for x in (few, note) if x]
            if not math.isfinite(err):
                item.append("no minimum without one of the frames")
        out[name] = Estimate(value, err, units[name], method, n_frames, converged=not item,
                             notes=tuple(item),
                             dof=n_independent - 1 if n_independent >= 2 and math.isfinite(err)
                             else None)
    return out


def scan_summary(scan, outdir):
    """Save the plot and per-frame table of a finished :class:`RigidVolumeScan`; its summary.

    The summary holds the scales and scanned frames (settings) and, per component, the
    Estimates of :func:`scan_estimates` (``results.estimates``); the energies of every frame
    and scale, exact model evaluations rather than estimates, go to
    ``rigid_volume_scan.csv`` (one row per frame and scale, meV/atom, volume in Å³).
    """
    import csv


    outdir = Path(outdir)
    ax = scan.plot()
    ax.figure.tight_layout()
    save_figure(ax.figure, outdir / "rigid_volume_scan.png", dpi=120)
    r = scan.results
    columns = [key for key in ("total", "intra", "inter", "reference_total", "reference_intra",
                               "reference_inter") if key in r]
    with atomic_path(outdir / "rigid_volume_scan.csv") as tmp, open(tmp, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["frame", "scale", "volume_A3"] + [f"{c}_meV_per_atom" for c in columns])
        for i, frame in enumerate(r.frames):
            for k, s in enumerate(r.scales):
                out.writerow([int(frame), f"{s:g}", repr(float(r.volumes[i, k]))]
                             + [repr(float(r[c][i, k])) for c in columns])
    # headline (printed by the command): the intermolecular energy of the frames as they are
    headline = {f"{key} (s=1)": r.estimates[key]["1"] for key in ("inter", "inter_error")
                if key in r.estimates and "1" in r.estimates[key]}
    return {
        **headline,
        "scales": r.scales.tolist(),
        "frames": r.frames.tolist(),
        "units": "meV/atom",
        # per component and scale: mean over the scanned frames ± error over frames, verdict
        "energies": r.estimates,
        # the rigid-molecule equation of state about the minimum: s0 and B0 with verdicts
        "minimum": r.minimum,
        **({"reference_minimum": r.reference_minimum} if "reference_minimum" in r else {}),
        "per_frame": "rigid_volume_scan.csv",
        "plot": "rigid_volume_scan.png",
    }
