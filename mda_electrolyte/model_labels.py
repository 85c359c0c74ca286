"""How a model and a reference are evaluated on frames and molecules, and where labels come from.

The diagnostics (:class:`~mda_electrolyte.IntraInterErrors`,
:class:`~mda_electrolyte.RigidVolumeScan`, ``electrolyte diagnose``) compare two *methods*, each
either an ASE calculator or stored labels (e.g. DFT):

- :func:`evaluate_frame`: energy, forces and stress of a whole frame with a calculator;
- :class:`IsolatedMoleculeEvaluator`: isolated molecules with a calculator, cached per geometry
  (and batched where the calculator offers ``calculate_batch``);
- :class:`StoredMoleculeLabels`: stored isolated-molecule labels looked up by geometry;
- :func:`read_frames` and :func:`stored_labels`: labelled frames from files or Atoms, refusing
  non-finite labels where they are read;
- :class:`EvaluationMethod`: one method's totals and isolated-molecule results for a frame.

Units: energies in eV, forces in eV/Å, stress in eV/Å³ (ASE sign convention, Voigt order).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ase_electrolyte.atoms_checks import check_number

__all__ = ["IsolatedMoleculeEvaluator", "StoredMoleculeLabels", "EvaluationMethod",
           "evaluate_frame", "read_frames", "stored_labels", "is_calculator", "geometry_key",
           "calculator_name", "input_checks", "check_calculator_inputs",
           "background_self_energy", "madelung_energy", "check_vacuum_beyond_cutoff",
           "stress_label_bound", "MAX_STRESS", "drop_stored_labels"]

#: Largest stress (eV/Å³, any component) a label in eV/Å³ has without forces that make more
#: (:func:`stress_label_bound`): 1 eV/Å³ is 160 GPa, beyond any liquid or crystal near its
#: density, where a stress in GPa, kbar or bar written as eV/Å³ (×160, ×1602, ×1.6e6) of a
#: few GPa lands.
MAX_STRESS = 1.0


#: What a stored label's name holds (in any case, with any prefix or suffix: ``REF_energy``,
#: ``dft_forces``, ``energy_xtb``): a calculation's values at the frame's geometry.
LABEL_NAME = re.compile(r"energ|force|stress|virial|dipole|hessian", re.IGNORECASE)


def drop_stored_labels(atoms, keep=()):
    """Remove from ``atoms.info`` and ``atoms.arrays`` (in place) the stored labels of a
    calculation: entries whose names match :data:`LABEL_NAME` (energy, force, stress,
    virial, dipole or Hessian, in any case, with any prefix or suffix).

    A frame read from a training set carries its reference labels there (``REF_energy``,
    ``REF_forces``, the names MACE trains on); a frame made from it at another geometry (a
    volume scan's scaled frame) or of another size (:func:`ase_electrolyte.build.replicate_box`)
    would carry them beside atoms they do not belong to, as ASE drops a calculator's results
    when it copies or repeats atoms.

    Parameters
    ----------
    atoms : ase.Atoms
        Changed in place: pass a copy.
    keep : collection of str
        Names kept whatever they hold (the box builder's records, such as
        ``conformer_energies``; ASE's own arrays ``numbers`` and ``positions`` never match).
    """
    for entries in (atoms.info, atoms.arrays):
        for key in [k for k in entries
                    if k not in keep and k not in ("numbers", "positions")
                    and LABEL_NAME.search(str(k))]:
            del entries[key]


def stress_label_bound(forces=None, volume=None):
    r"""The largest stress component (eV/Å³) a frame's label in eV/Å³ may have.

    :data:`MAX_STRESS`, or the virial scale of the frame's force labels where larger,
    :math:`\sum_i |\mathbf F_i| \, (V/N)^{1/3} / V`: a frame of atoms pressed together
    carries a stress of that order (EMT copper rattled by 0.2-0.3 Å in a 4-atom cell, closest
    pair 1.1-1.9 Å, RMS forces 5-60 eV/Å, has stresses of 0.5-3.5 eV/Å³, 0.15-0.35 of this
    scale), while a stress written in GPa of a frame with forces of a few eV/Å exceeds it
    5-fold. The one bound of stored stress labels: the fine-tune's training labels
    (:func:`ase_electrolyte.finetuning.read_labelled`) and the references of
    :class:`~mda_electrolyte.IntraInterErrors`.

    Parameters
    ----------
    forces : array_like, shape (n_atoms, 3), optional
        The frame's force labels, eV/Å (None: the bound is :data:`MAX_STRESS`).
    volume : float, optional
        The cell volume, Å³ (needed with ``forces``).

    Returns
    -------
    float
        eV/Å³.

    Examples
    --------
    >>> stress_label_bound()
    1.0
    >>> round(stress_label_bound([[30.0, 0, 0], [-30.0, 0, 0]], 8.0), 3)
    11.906
    """
    if forces is None or volume is None:
        return MAX_STRESS
    forces = np.asarray(forces, dtype=np.float64).reshape(-1, 3)
    volume = abs(float(volume))
    if not len(forces) or not volume > 0.0:
        return MAX_STRESS
    scale = float(np.linalg.norm(forces, axis=1).sum()) * (volume / len(forces)) ** (1 / 3)
    return max(MAX_STRESS, scale / volume)


def geometry_key(numbers, positions, decimals):
    """Hashable key of a molecule's atoms and internal geometry (positions rounded, centred)."""
    centred = np.asarray(positions, dtype=np.float64) - np.mean(positions, axis=0)
    # + 0.0 turns -0.0 into 0.0 so that mirror-rounded zeros share a key
    return (np.asarray(numbers).tobytes(), (np.round(centred, decimals) + 0.0).tobytes())


def calculator_name(calculator):
    """A calculator's name for messages."""
    return getattr(calculator, "name", None) or type(calculator).__name__


def _label_number(energy, calculator, mol):
    """A batch result's energy as a float, or ValueError naming the calculator and molecule
    (an array of several values was float()'s TypeError)."""
    if isinstance(energy, (str, bytes)):
        # float("1.5") would take a text for a number
        raise ValueError(f"{calculator_name(calculator)}.calculate_batch returned the energy "
                         f"{energy!r} for the isolated molecule {mol.get_chemical_formula()}"
                         f"{_which(mol)}, not a number (eV)")
    value = np.asarray(energy, dtype=np.float64)
    if value.size != 1:
        raise ValueError(f"{calculator_name(calculator)}.calculate_batch returned an energy of "
                         f"{value.size} values for the isolated molecule "
                         f"{mol.get_chemical_formula()}{_which(mol)}, not one number (eV)")
    return float(value.reshape(()))


def _which(mol):
    """`` (molecule k)`` for a molecule cut from a frame, nothing for one given alone."""
    index = mol.info.get("molecule_index")
    return "" if index is None else f" (molecule {index})"


def input_checks(calculator):
    """The calculator and its summed terms that can check a structure without evaluating it.

    Those with a ``check_input(atoms)`` method (:class:`~ase_electrolyte.D3`,
    :class:`~ase_electrolyte.Electrostatics`): the calculator itself, an
    :class:`ase_electrolyte.Calculator`'s ``dispersion`` and ``electrostatics``, and the
    members of ASE's sums and mixtures (``mixer.calcs``), each once.

    Parameters
    ----------
    calculator : ase.calculators.calculator.BaseCalculator

    Returns
    -------
    list
        The terms, outermost first.
    """
    found = []
    for term, _ in _terms_with_checks(calculator, 1.0, 0):
        if not any(term is f for f in found):
            found.append(term)
    return found


def _terms_with_checks(calculator, weight, depth):
    """``(term, weight)`` of every term with a ``check_input``, each path once: the weight is
    the product of the mixtures' weights above it (ASE's ``LinearCombinationCalculator``)."""
    return _terms_with(calculator, lambda c: callable(getattr(c, "check_input", None)),
                       weight, depth)


def _terms_with(calculator, has, weight, depth):
    """``(term, weight)`` of ``calculator`` and every term summed into it (an
    :class:`ase_electrolyte.Calculator`'s ``dispersion`` and ``electrostatics``, the members of
    ASE's sums and mixtures) for which ``has(term)``, each path once."""
    found = []
    # a calculator that holds itself through a chain of members stops here
    if depth > 8:
        return found
    if has(calculator):
        found.append((calculator, weight))
    members = [(getattr(calculator, name, None), weight)
               for name in ("dispersion", "electrostatics")]
    # ASE 3.23+ keeps a sum's members in its mixer, older versions on the calculator
    for holder in (calculator, getattr(calculator, "mixer", None)):
        calcs = list(getattr(holder, "calcs", None) or ())
        weights = getattr(holder, "weights", None)
        weights = [1.0] * len(calcs) if weights is None or len(weights) != len(calcs) \
            else [float(w) for w in weights]
        members += [(c, weight * w) for c, w in zip(calcs, weights, strict=True)]
    for member, w in members:
        if member is not None and member is not calculator and is_calculator(member):
            found += _terms_with(member, has, w, depth + 1)
    return found


def check_vacuum_beyond_cutoff(sides, vacuum, what):
    """Refuse a ``vacuum`` that leaves an isolated molecule within a model's cutoff of its own
    periodic images.

    :func:`~mda_electrolyte.molecules.isolated_molecules` puts a molecule of extent ``w`` in a
    cube of side ``w + 2·vacuum``, so its nearest image atoms are ``2·vacuum`` apart: a model
    of cutoff ``r_c`` ≥ that (:attr:`ase_electrolyte.Calculator.model_cutoff`) sees them, and
    the "isolated" energy holds the molecule's interaction with its images, with nothing
    to show for it. Models whose backend does not say its cutoff are not judged.

    Parameters
    ----------
    sides : iterable of (str, calculator, bool)
        As :func:`check_calculator_inputs` takes them.
    vacuum : float or None
        Å; ``None`` (molecules without a cell) is not judged.
    what : str
        What needs the molecules (``"the intra/inter split"``).

    Raises
    ------
    ValueError
        Naming the method, the model, its cutoff and the smallest vacuum that passes.
    """
    if vacuum is None:
        return
    for name, calc, isolated in sides:
        if calc is None or not isolated:
            continue
        for model, _ in _terms_with(calc, lambda c: _cutoff_of(c) is not None, 1.0, 0):
            cutoff = _cutoff_of(model)
            if 2.0 * float(vacuum) <= cutoff:
                raise ValueError(
                    f"vacuum = {float(vacuum):g} Å leaves an isolated molecule "
                    f"{2.0 * float(vacuum):g} Å from its own periodic images, within the "
                    f"{name}'s {cutoff:g} Å cutoff ({calculator_name(model)}): its energy in "
                    f"{what} would hold its interaction with its images; give vacuum > "
                    f"{0.5 * cutoff:g} Å (e.g. {max(10.0, cutoff):g})")


def _cutoff_of(calc):
    """A model calculator's cutoff (Å), ``None`` for anything else."""
    value = getattr(type(calc), "model_cutoff", None)
    if not isinstance(value, property):
        return None
    try:
        cutoff = calc.model_cutoff
    except AttributeError:  # not loaded: nothing evaluates it
        return None
    return float(cutoff) if isinstance(cutoff, (int, float)) and cutoff > 0 else None


def check_calculator_inputs(atoms, molecules, sides, *, frame, vacuum, what):
    """Refuse, before any evaluation, a frame or an isolated molecule of it that a calculator's
    term refuses by its own ``check_input`` (:func:`input_checks`).

    An ion in a periodic cube of vacuum is a charged cell, which
    :class:`~ase_electrolyte.Electrostatics` refuses without ``background=True``, and a
    molecule without a cell is refused by its Ewald or PME sum; alone or in a sum, that
    refusal came only after the frame (or, in a volume scan, its isolated molecules) had
    been evaluated by the model.

    Parameters
    ----------
    atoms : ase.Atoms
        The frame; not modified (each term checks a copy).
    molecules : list of ase.Atoms
        Its isolated molecules (:func:`~mda_electrolyte.molecules.isolated_molecules`); one
        of each kind and net charge is checked.
    sides : iterable of (str, calculator, bool)
        Each method's name (``"model"``), calculator (``None``: stored labels, skipped) and
        whether it evaluates the isolated molecules.
    frame : int
        The frame's index, for messages.
    vacuum : float or None
        The vacuum of the molecules' cubes (Å), for messages.
    what : str
        What needs the molecules (``"the intra/inter split"``).

    Raises
    ------
    ValueError
        Naming the method, the term, the frame or molecule (formula, net charge) and the
        term's own reason.
    """
    checks = [(name, isolated, term) for name, calc, isolated in sides if calc is not None
              for term in input_checks(calc)]
    if not checks:
        return
    for name, _, term in checks:
        try:
            term.check_input(atoms.copy())
        except Exception as exc:  # the term's refusal of the whole frame, before a sum
            raise ValueError(f"the {name}'s {calculator_name(term)} cannot evaluate "
                             f"frame {int(frame)}: {exc}") from exc
    kinds = {}
    for mol in molecules:
        kinds.setdefault((mol.numbers.tobytes(), mol.info.get("charge")), mol)
    where = "in a periodic cube of vacuum" if vacuum is not None else "without a cell"
    for name, isolated, term in checks:
        if not isolated:
            continue
        for mol in kinds.values():
            try:
                term.check_input(mol.copy())
            except Exception as exc:  # the term's refusal, named with the molecule
                charge = mol.info.get("charge")
                raise ValueError(
                    f"the {name}'s {calculator_name(term)} cannot evaluate the isolated "
                    f"molecule {mol.get_chemical_formula()}"
                    f"{'' if charge is None else f' (net charge {charge:+g} e)'} {where}"
                    f" that {what} needs: {exc}") from exc


def background_self_energy(calculator, mol):
    r"""Energy (eV) that a charged molecule in a periodic cell has from its own images and a
    neutralising background, in the summed terms of ``calculator`` that add one.

    A net charge ``q`` in a cube of side ``L`` with a uniform neutralising background has,
    beyond its energy alone, the Madelung energy of a simple cubic lattice of point charges,
    :math:`-\xi q^2 / (2 L)` (×e²/4πε₀, ``ξ = 2.837297``; the leading term of Makov & Payne,
    Phys. Rev. B 51, 4014 (1995)): −0.85 eV for Li⁺ in a cube of 24 Å, −0.43 eV in one of
    48 Å, so that isolated-molecule energies depended on ``vacuum``. Other 3D-periodic cells
    take the lattice's own Madelung energy (:func:`madelung_energy`). The terms counted are
    those of :func:`input_checks` with ``parameters["background"]`` true and a
    ``get_charges`` method (:class:`~ase_electrolyte.Electrostatics`), each with the weight
    of the mixtures above it (ASE's ``LinearCombinationCalculator``); a model that sums
    charges of its own is not seen (:class:`IsolatedMoleculeEvaluator` measures whether its
    ions' energies depend on the cube). Higher multipoles of a molecular ion leave an
    :math:`O(L^{-3})` remainder.

    Parameters
    ----------
    calculator : ase.calculators.calculator.BaseCalculator
    mol : ase.Atoms
        A molecule in a 3D-periodic cell (a partly periodic cell, or none, gives 0).

    Returns
    -------
    float
        Subtract it from the molecule's energy for that of the molecule alone.
    """
    if not np.all(mol.pbc):
        return 0.0
    total = 0.0
    for term, weight in _terms_with_checks(calculator, 1.0, 0):
        parameters = getattr(term, "parameters", None) or {}
        if not (parameters.get("background") and callable(getattr(term, "get_charges", None))):
            continue
        q = float(np.sum(term.get_charges(mol.copy())))
        total += weight * madelung_energy(q, mol.cell.array)
    return total


def madelung_energy(charge, cell):
    r"""Energy (eV) of a point charge's periodic images and their neutralising background.

    :math:`-\xi q^2 / (2 L)` (×e²/4πε₀, ``ξ = 2.837297``) in a cube of side ``L``, the
    leading Makov–Payne term (Makov & Payne, Phys. Rev. B 51, 4014 (1995)) that a plane-wave
    code's energy of an ion in a cell (its G = 0 term dropped) holds beyond the ion's own;
    the Ewald sum of the one charge in any other cell (:class:`~ase_electrolyte.Electrostatics`,
    tolerance 10⁻⁸).

    Parameters
    ----------
    charge : float
        Net charge (e).
    cell : array_like, shape (3, 3)
        The periodic cell (Å), of non-zero volume.

    Returns
    -------
    float
        eV; 0 for no charge. Negative in a cube (−2.04 eV for q = 1 in 10 Å) and in cells
        not far from one, but positive in elongated cells, where the images form lines or
        sheets against the background: +0.21 eV in a 10 × 10 × 40 Å box, growing as
        :math:`\pi q^2 L_z / (6 A)` (×e²/4πε₀) with the long side :math:`L_z` over the
        cross-section :math:`A` (a slab's charged sheet).

    Raises
    ------
    ValueError
        A charge that is not a finite number, a cell that is not three finite vectors of
        non-zero volume.
    """
    from ase_electrolyte.electrostatics import COULOMB

    from .diffusion import YEH_HUMMER_XI

    q = check_number("charge (e)", charge)
    cell = np.asarray(cell, dtype=np.float64)
    if cell.shape != (3, 3) or not np.all(np.isfinite(cell)) \
            or not abs(float(np.linalg.det(cell))) > 0:
        raise ValueError(f"cell must be 3 finite vectors (Å) of non-zero volume, not "
                         f"{cell.tolist()}")
    if q == 0.0:
        return 0.0
    side = float(cell[0, 0])
    if side > 0 and np.allclose(cell, side * np.eye(3), rtol=0, atol=1e-9 * side):
        return -COULOMB * YEH_HUMMER_XI * q * q / (2.0 * side)
    from ase import Atoms

    from ase_electrolyte.electrostatics import Electrostatics

    point = Atoms("X", positions=[[0.0, 0.0, 0.0]], cell=cell, pbc=True)
    point.calc = Electrostatics(scheme="fixed", charges=[1.0], background=True,
                                method="ewald", tolerance=1e-8)
    return q * q * float(point.get_potential_energy())


#: Atoms of isolated molecules an :class:`IsolatedMoleculeEvaluator` keeps in its cache (70 bytes
#: each for large molecules, 190 for water's three: about 40 MB): each frame of a trajectory
#: brings new geometries, and a cache of every one grew with frames × atoms (water of 10⁴ atoms
#: over 10³ frames: 1.9 GB).
MAX_CACHED_ATOMS = 200_000


class IsolatedMoleculeEvaluator:
    """Energies and forces of isolated molecules with one ASE calculator, cached per geometry
    and net charge (``info["charge"]``, which :func:`~mda_electrolyte.molecules.isolated_molecules`
    sets from the frame's formal charges).

    Molecules with the same atoms, internal geometry (to ``10**-decimals`` Å, in any
    position: energies and forces are translation invariant) and cell are evaluated once, as
    long as the calculator stays the same (its
    :func:`ase_electrolyte.md.calculator_fingerprint`: class, parameters, model files); a
    changed calculator empties the cache. A calculator that
    offers ``calculate_batch(list_of_atoms)`` returning one ``{"energy", "forces"}`` dict per
    molecule is called once for all molecules missing from the cache.

    A charged molecule in a periodic cube (``vacuum=``) evaluated by a term with a neutralising
    background has the energy of a lattice of its images, ``−ξq²/(2L)`` beyond its own; that
    part (:func:`background_self_energy`, Makov & Payne 1995) is taken off its energy, which
    then no longer depends on the vacuum.

    Parameters
    ----------
    calculator : ase.calculators.calculator.BaseCalculator
    decimals : int
        Rounding of positions in the cache key (Å).
    forces : bool
        Evaluate the forces too (``False``: energies alone, for a calculator that implements
        no forces or an analysis that needs none; the forces returned are then ``None``).

    Attributes
    ----------
    max_cached_atoms : int
        Atoms of the molecules kept in the cache (:data:`MAX_CACHED_ATOMS` by default), the
        least recently used dropped beyond it.
    """

    def __init__(self, calculator, decimals=8, *, forces=True):
        from ase_electrolyte.atoms_checks import check_flag

        self.calculator = calculator
        check_flag("forces", forces)
        self.forces = bool(forces)
        # 0 or fewer decimals (a 1 Å grid) took different geometries for one; NaN/inf were an
        # OverflowError; more than 15 decimals are below the round-off of float64 positions
        self.decimals = check_number("decimals", decimals, integer=True, minimum=3, maximum=15)
        self.max_cached_atoms = MAX_CACHED_ATOMS
        self._cache = OrderedDict()
        self._cached_atoms = 0
        self._calculator_state = None
        self._images_checked = set()
        self.n_evaluated = 0

    def evaluate(self, molecules):
        """Energy (eV) and forces (eV/Å) of every molecule.

        Parameters
        ----------
        molecules : list of ase.Atoms
            From :func:`mda_electrolyte.molecules.isolated_molecules`; not modified.

        Returns
        -------
        energies : numpy.ndarray, shape (n_molecules,)
        forces : list of numpy.ndarray, shape (n_atoms_j, 3)
            ``None`` for every molecule with ``forces=False``.
        """
        from ase_electrolyte.md import calculator_fingerprint

        # a calculator changed since the last call (calc.set(...), another model file under
        # the same path) gives other energies for the same geometry: the analysis rerun after
        # calc.set(epsilon=...) combined the new totals with the old isolated molecules
        state = calculator_fingerprint(self.calculator)
        if state != self._calculator_state:
            self._cache.clear()
            self._cached_atoms = 0
            self._images_checked.clear()
            self._calculator_state = state
        # an ion and its neutral twin share a geometry but not an energy, nor does a molecule
        # in cubes of other sizes (a scan rerun after scan.vacuum = 10 took the energies in
        # the cubes of the vacuum before)
        keys = [geometry_key(m.numbers, m.positions, self.decimals) + (
            m.info.get("charge"), tuple(bool(p) for p in m.pbc),
            (np.round(m.cell.array, self.decimals) + 0.0).tobytes() if np.any(m.pbc) else None)
            for m in molecules]
        missing = {}
        for key, mol in zip(keys, molecules, strict=True):
            # an energy cached without its forces (forces=False then) is evaluated again
            cached = self._cache.get(key)
            if (cached is None or (self.forces and cached[1] is None)) and key not in missing:
                missing[key] = mol
        if missing:
            todo = list(missing.items())
            batch = getattr(self.calculator, "calculate_batch", None)
            if callable(batch):
                copies = [m.copy() for _, m in todo]
                try:
                    results = batch(copies)
                except Exception as exc:  # the calculator's own error, re-raised with context
                    raise RuntimeError(
                        f"{calculator_name(self.calculator)}.calculate_batch failed on "
                        f"{len(copies)} isolated molecules: {exc}"
                    ) from exc
                results = list(results) if results is not None else []
                # fewer results than molecules left some uncached (a KeyError further on),
                # a result without energy or forces a bare KeyError
                if len(results) != len(todo) or not all(
                        isinstance(res, dict) and "energy" in res
                        and ("forces" in res or not self.forces) for res in results):
                    raise ValueError(
                        f"{calculator_name(self.calculator)}.calculate_batch returned "
                        f"{len(results)} result(s) for {len(todo)} isolated molecules, or one "
                        "without 'energy' and 'forces': it must return one "
                        "{'energy', 'forces'} dict per molecule, in order"
                    )
                for (key, mol), res in zip(todo, results, strict=True):
                    self._store(key, mol, _label_number(res["energy"], self.calculator, mol),
                                np.asarray(res["forces"], dtype=np.float64)
                                if self.forces else None)
            else:
                for key, mol in todo:
                    self._store(key, mol, *self._single(mol))
        self._check_images([(key, mol) for key, mol in missing.items()])
        energies = np.array([self._cache[k][0] for k in keys])
        forces = [self._cache[k][1] if self.forces else None for k in keys]
        for key in keys:
            self._cache.move_to_end(key)
        while self._cached_atoms > self.max_cached_atoms and self._cache:
            _, (_, _, n_atoms) = self._cache.popitem(last=False)
            self._cached_atoms -= n_atoms
        return energies, forces

    def _check_images(self, evaluated):
        """Refuse a calculator whose energy of a charged molecule in a periodic cube still
        depends on the cube once :func:`background_self_energy` is taken off.

        That term counts the backgrounds it can see (an :class:`~ase_electrolyte.Electrostatics`
        with ``background=True``); a model that sums charges of its own (a calculator
        returning ``charges``, a wrapped Ewald sum) in a neutralising background adds the
        Madelung energy of the ion's images, −ξq²/(2L), unseen: its isolated Li⁺ in a 24 Å
        cube was 0.85 eV below the ion alone, taken as its intramolecular energy. One molecule
        of each kind and net charge is evaluated again in a cube of twice the side: a change
        of more than a quarter of what an unseen background of its net charge would give is
        refused (a molecular ion's remaining ``O(L⁻³)`` quadrupole term stays below that).
        """
        for key, mol in evaluated:
            charge = mol.info.get("charge")
            kind = (key[0], charge)
            if not charge or kind in self._images_checked or not np.all(mol.pbc):
                continue
            side = float(mol.cell.array[0, 0])
            if not (side > 0 and np.allclose(mol.cell.array, side * np.eye(3), rtol=0,
                                             atol=1e-9 * side)):
                continue
            self._images_checked.add(kind)
            larger = mol.copy()
            larger.set_cell(2.0 * mol.cell.array)
            larger.positions += 0.5 * side
            energy = self._single(larger)[0] - background_self_energy(self.calculator, larger)
            change = energy - self._cache[key][0]
            unseen = madelung_energy(charge, larger.cell.array) \
                - madelung_energy(charge, mol.cell.array)
            if abs(change) > 0.25 * abs(unseen):
                raise ValueError(
                    f"calculator {calculator_name(self.calculator)}: the energy of the isolated "
                    f"molecule {mol.get_chemical_formula()}{_which(mol)} of net charge "
                    f"{float(charge):+g} e changes by {change:+.4g} eV from a periodic cube of "
                    f"{side:g} Å to one of {2 * side:g} Å (the background terms it is seen to "
                    f"hold taken off): the Madelung energy of an unseen neutralising background "
                    f"would change it by {unseen:+.4g} eV (Makov & Payne 1995). It sums charges "
                    "of its own with its images, so that its 'isolated' energies hold their "
                    "images'; evaluate the molecules without a cell (vacuum=None), or give its "
                    "long-range part as an ase_electrolyte.Electrostatics(background=True) term")

    def _single(self, mol):
        reset = getattr(self.calculator, "reset", None)
        if callable(reset):
            # ASE compares positions, cell and arrays, not info: an ion evaluated right after
            # its neutral twin (info["charge"] only differs) was given the twin's results
            reset()
        try:
            # a molecule cut from a constrained frame keeps a mapped FixAtoms: its fixed
            # atoms' forces are read unconstrained, as a reference's are
            values = evaluate_frame(self.calculator, mol,
                                    ("energy", "forces") if self.forces else ("energy",),
                                    checked=False)
        except Exception as exc:  # the calculator's own error, re-raised with context
            hint = (
                ""
                if np.any(mol.pbc)
                else (
                    "; if the calculator needs a periodic cell, "
                    "pass vacuum=<Å larger than its cutoff>"
                )
            )
            raise RuntimeError(
                f"calculator {calculator_name(self.calculator)} failed on the isolated molecule "
                f"{mol.get_chemical_formula()}{_which(mol)}: {exc}{hint}"
            ) from exc
        return values["energy"], values.get("forces")

    def _store(self, key, mol, energy, forces):
        if not np.isfinite(energy) or (forces is not None and (
                forces.shape != (len(mol), 3) or not np.all(np.isfinite(forces)))):
            raise ValueError(
                f"calculator {calculator_name(self.calculator)} returned a non-finite or "
                f"misshapen result for the isolated molecule {mol.get_chemical_formula()}"
            )
        # the molecule alone, not a lattice of its images in a background: uniform in the
        # positions, so the forces keep no part of it
        if key in self._cache:
            # its energy alone was cached before; now with the forces
            self._cached_atoms -= self._cache.pop(key)[2]
        self._cache[key] = (energy - background_self_energy(self.calculator, mol), forces,
                            len(mol))
        self._cached_atoms += len(mol)
        self.n_evaluated += 1


class StoredMoleculeLabels:
    """Stored isolated-molecule labels (e.g. DFT) looked up by geometry and net charge.

    A charged molecule computed in a periodic cell by a code that neutralises it with a uniform
    background (plane-wave DFT: VASP, Quantum ESPRESSO, CP2K's periodic Poisson solver) has,
    beyond the energy of the ion alone, the Madelung energy of its images,
    −ξq²/(2L) in a cube of side ``L`` (Makov & Payne 1995;
    :func:`madelung_energy`): −1.70 eV for Li⁺ in 12 Å, −0.85 eV in 24 Å. Taken as the ion
    alone, that energy went into the reference's intramolecular energy (a model equal to the
    reference showed an ``E_intra`` error of 681 meV/atom for Li⁺F⁻ + water at ``vacuum=6``,
    340 at 12), whereas the model's isolated ions have it taken off
    (:func:`background_self_energy`). ``background`` says which the labels are.

    Parameters
    ----------
    labelled : str, pathlib.Path or list of ase.Atoms
        Isolated molecules with energy and forces (an extxyz file or ASE database, as read by
        ``ase.io.read``), e.g. those of :meth:`IntraInterErrors.unique_isolated_molecules`
        computed with the reference method. A molecule's net charge, where stored
        (``info["charge"]`` or the ``formal_charge`` array, e), must be that of the frame's
        molecule it labels: an ion and its neutral twin share a geometry.
    tol : float
        Largest coordinate difference (Å, after centring) at which a stored molecule matches,
        in ``[0, 0.01]``: thermal motion moves a molecule's atoms by tenths of an Å between
        frames, so that a wider tolerance matched the labels of another frame's molecule.
    background : bool or None
        How the energies of charged molecules stored with a 3D-periodic cell were computed:
        ``True``, in that cell with a neutralising background, uncorrected (the Madelung energy
        of the cell stored with each is taken off); ``False``, of the molecule alone (a
        molecular code, or energies already corrected or extrapolated to an infinite cell).
        ``None`` (default): not said, which is refused for such a molecule (a charged
        molecule without a periodic cell is taken as alone either way; with ``True`` it is
        refused, having no cell to take the images' energy of).
    """

    def __init__(self, labelled, tol=1e-4, background=None):
        from ase_electrolyte.atoms_checks import check_flag

        # NaN matched nothing (every molecule "has no label"); 1 Å matched the label of the
        # same molecule in another frame, its energy and forces taken for this one's
        self.tol = check_number("tol (Å)", tol, minimum=0, maximum=0.01)
        if background is not None:
            check_flag("background", background)
            background = bool(background)
        self.background = background
        frames = read_frames(labelled)
        self._groups = {}
        self._madelung = {}
        every = []
        for k, atoms in enumerate(frames):
            try:
                labels = stored_labels(atoms)
            except ValueError as err:
                # which of hundreds of stored molecules holds the NaN was not said
                raise ValueError(f"stored isolated molecule {k}: {err}") from None
            if labels.get("energy") is None or labels.get("forces") is None:
                raise ValueError(
                    f"stored isolated molecule {k} ({atoms.get_chemical_formula()}) "
                    "has no energy or forces"
                )
            every.append(labels)
            centred = atoms.positions - atoms.positions.mean(axis=0)
            group = self._groups.setdefault(atoms.numbers.tobytes(), ([], [], [], [], [], []))
            group[0].append(centred)
            group[1].append(labels["energy"])
            group[2].append(labels["forces"])
            group[3].append(k)
            group[4].append(_stored_charge(atoms, k))
            periodic = bool(np.all(atoms.pbc)) and abs(atoms.cell.volume) > 0
            group[5].append(atoms.cell.array.copy() if periodic else None)
        self._groups = {
            key: (np.array(p), np.array(e), np.array(f), np.array(i), q, c)
            for key, (p, e, f, i, q, c) in self._groups.items()
        }
        # zeros written where nothing was computed: taken as labels, the model's own
        # intramolecular forces (or energies) were reported as its intra errors
        zero = placeholder_labels(every, "stored isolated molecules")
        if zero:
            raise ValueError(" ".join(zero.values()) + " Compute the molecules of "
                             "IntraInterErrors.unique_isolated_molecules() with the "
                             "reference method")

    def evaluate(self, molecules):
        """Stored energy (eV) and forces (eV/Å) of every molecule.

        A charged molecule's energy stored with a periodic cell has that cell's Madelung energy
        taken off with ``background=True``.

        Raises
        ------
        ValueError
            A molecule without a stored label, naming a stored molecule with its interatomic
            distances that is turned or mirrored (a code that reoriented its input), holds
            its atoms in another order, or has another net charge, where one does; a charged
            molecule stored with a periodic cell when ``background`` is ``None``, or without
            one (or of unknown charge) when it is ``True``.
        """
        energies, forces = [], []
        for mol in molecules:
            group = self._groups.get(mol.numbers.tobytes())
            centred = mol.positions - mol.positions.mean(axis=0)
            charge = mol.info.get("charge")
            match, other_charge = None, None
            if group is not None:
                dev = np.abs(group[0] - centred[None]).max(axis=(1, 2))
                fits = [j for j in np.argsort(dev, kind="stable") if dev[j] <= self.tol]
                same = [j for j in fits if charge is None or group[4][j] is None
                        or group[4][j] == float(charge)]
                match = int(same[0]) if same else None
                other_charge = int(fits[0]) if fits and not same else None
            if match is None:
                raise ValueError(
                    "no stored reference label for the isolated molecule "
                    f"{mol.get_chemical_formula()}{_which(mol)}"
                    + (f" (net charge {float(charge):+g} e): stored molecule "
                       f"{int(group[3][other_charge])} has its geometry but a net charge of "
                       f"{group[4][other_charge]:+g} e" if other_charge is not None else
                       (_rotated_hint(group, centred, self.tol) if group is not None
                        else "") or self._order_hint(mol.numbers, centred))
                    + "; compute the molecules of "
                    "IntraInterErrors.unique_isolated_molecules() with the reference method"
                )
            q = group[4][match] if charge is None else float(charge)
            energies.append(group[1][match] - self._images_energy(mol, group, match, q))
            forces.append(group[2][match])
        return np.array(energies, dtype=np.float64), forces

    def _images_energy(self, mol, group, match, charge):
        """The Madelung energy (eV) in the stored energy of molecule ``match``, to take off."""
        cell, k = group[5][match], int(group[3][match])
        # a molecule of unknown charge is judged only when asked to be corrected
        if self.background is False or charge == 0 or (
                self.background is None and (cell is None or charge is None)):
            return 0.0
        name = f"the stored isolated molecule {k}, {mol.get_chemical_formula()}{_which(mol)}"
        if charge is None:
            raise ValueError(
                f"{name}: its net charge is not known (no formal charges in the frames, no "
                "info['charge'] stored), so that the Madelung energy of its images "
                "(background=True) cannot be taken off; set the frames' formal charges "
                "(ase_electrolyte.topology.set_topology) or store info['charge']")
        if cell is None:
            raise ValueError(
                f"{name}, of net charge {charge:+g} e, is stored without a 3D-periodic cell: "
                "the reference_isolated_background=True correction needs the cell it was "
                "computed in; store the cell, or pass False for labels of the molecule alone")
        key = (charge, cell.tobytes())
        if key not in self._madelung:
            self._madelung[key] = madelung_energy(charge, cell)
        if self.background is None:
            # which the labels are cannot be read from them, and either guess was wrong by
            # 0.85 eV per Li+ in a 24 Å cube
            lengths = "×".join(f"{x:.4g}" for x in np.linalg.norm(cell, axis=1))
            raise ValueError(
                f"{name}, of net charge {charge:+g} e, is stored with a periodic cell of "
                f"{lengths} Å: computed there with a neutralising background (plane-wave "
                "codes), its energy holds the Madelung energy of its images, "
                f"{self._madelung[key]:.3g} eV (Makov & Payne 1995), which the model's isolated "
                "molecules have taken off; say which the labels are: "
                "reference_isolated_background=True takes it off, False takes the labels as "
                "the molecule alone (a molecular code, or corrected energies)")
        return self._madelung[key]

    def _order_hint(self, numbers, centred):
        """``: stored molecule k holds its atoms in another order`` when a stored molecule of
        the same atoms in another order has its interatomic distances, else nothing."""
        wanted = np.sort(_distances(centred), axis=None)
        for key, group in self._groups.items():
            stored = np.frombuffer(key, dtype=numbers.dtype)
            if key == numbers.tobytes() or stored.size != numbers.size \
                    or not np.array_equal(np.sort(stored), np.sort(numbers)):
                continue
            for k, positions in zip(group[3], group[0], strict=True):
                found = np.sort(_distances(positions), axis=None)
                if np.abs(found - wanted).max() <= max(self.tol, 1e-6) * 2:
                    return (f": stored molecule {int(k)} has its atoms in another order; "
                            "store them in the order of unique_isolated_molecules()")
        return ""


def _stored_charge(atoms, k):
    """A stored molecule's net charge (e), read as every calculator reads it
    (:func:`~ase_electrolyte.calculator_charges.declared_total_charge`: ``info["charge"]`` or
    the formal charges' sum, which must agree), or ``None`` where neither is stored."""
    from ase_electrolyte.calculator_charges import declared_total_charge

    try:
        return declared_total_charge(atoms)
    except ValueError as err:
        raise ValueError(f"stored isolated molecule {k}: {err}") from None


def _distances(positions):
    """Interatomic distances (Å) of one molecule, ``(n, n)``."""
    return np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)


def _rotated_hint(group, centred, tol):
    """``: stored molecule k has its distances but is turned`` when a stored molecule of the
    same atoms has the same interatomic distances (a code that reorients its input, Gaussian's
    standard orientation: its forces are turned too), else nothing."""
    wanted = _distances(centred)
    for k, stored in zip(group[3], group[0], strict=True):
        if np.abs(_distances(stored) - wanted).max() <= max(tol, 1e-6) * 2:
            return (f": stored molecule {int(k)} has its interatomic distances but is turned or "
                    "mirrored (a code that reorients its input, e.g. Gaussian's standard "
                    "orientation); store the labels in the orientation written (nosymm), "
                    "since the forces turn with it")
    return ""


def read_frames(source):
    """Labelled frames as a list of Atoms from a file path (extxyz, ASE db), an Atoms or a list."""
    if isinstance(source, (str, Path)):
        from .bridge import read_ase_frames

        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no such label file: {path}")
        return read_ase_frames(path)
    from ase import Atoms

    if isinstance(source, Atoms):
        return [source]
    return list(source)


def _label_array(value, name, atoms, where=""):
    """A stored label as a real float64 array, or ValueError naming it, where it is stored
    and the frame."""
    from .uncertainty import real_array

    what = f"the stored reference {name} of a {atoms.get_chemical_formula()} frame{where}"
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{what} is {value!r}, not a number")
    return real_array(value, what)


#: Largest difference of a stored 3×3 stress's (or virial's) off-diagonal pairs, relative to its
#: largest component, that is the numerical noise of a computed stress (averaged away) rather
#: than a tensor that is no stress.
_MAX_LABEL_ASYMMETRY = 1e-3


def _voigt_label(value, name, atoms, where=""):
    """A stored stress-like label (6 Voigt values, or a symmetric 3×3 tensor or its 9 values)
    as Voigt ``(6,)``, or ValueError naming it and the frame."""
    formula = atoms.get_chemical_formula()
    value = _label_array(value, name, atoms, where)
    if value.shape in ((9,), (3, 3)):
        tensor = value.reshape(3, 3)
        size = max(float(np.abs(tensor).max()), 1e-300)
        asymmetry = float(np.abs(tensor - tensor.T).max())
        # a computed stress is symmetric to its numerical noise (CP2K prints tensors whose
        # off-diagonal pairs differ by 1e-4 of the largest component): within
        # _MAX_LABEL_ASYMMETRY it is averaged as ase.stress.full_3x3_to_voigt_6_stress and
        # ase.io's extxyz reader do; it was refused at 1e-6
        if asymmetry > _MAX_LABEL_ASYMMETRY * size:
            raise ValueError(f"the stored reference {name} of a {formula} frame{where} is a "
                             f"3×3 tensor that is not symmetric (its off-diagonal pairs differ "
                             f"by up to {asymmetry:.3g}, {asymmetry / size:.2g} of its largest "
                             f"component; a {name} differs by at most "
                             f"{_MAX_LABEL_ASYMMETRY:g}): not a {name}")
        tensor = 0.5 * (tensor + tensor.T)
        value = tensor[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
    if value.shape != (6,):
        raise ValueError(f"the stored reference {name} of a {formula} frame{where} has shape "
                         f"{value.shape}, not 6 Voigt values (xx yy zz yz xz xy) or a 3×3 "
                         "tensor")
    return value


def _number_label(value, name, atoms, where):
    """A stored energy as a float, or ValueError naming it and the frame."""
    value = _label_array(value, name, atoms, where)
    if value.size != 1:
        raise ValueError(f"the stored reference {name} of a "
                         f"{atoms.get_chemical_formula()} frame{where} holds {value.size} values, "
                         "not one number (eV)")
    return float(value.reshape(()))


def _per_atom_energies_label(value, name, atoms, where):
    """Stored per-atom energies, ``(n_atoms,)``, or ValueError naming them and the frame."""
    value = _label_array(value, "per-atom energies", atoms, where)
    if value.shape != (len(atoms),):
        raise ValueError(f"the stored reference per-atom energies of a "
                         f"{atoms.get_chemical_formula()} frame{where} have shape "
                         f"{value.shape}, not ({len(atoms)},)")
    return value


def _forces_label(value, name, atoms, where):
    """Stored forces as ``(n_atoms, 3)``, or ValueError naming them and the frame.

    ``info["forces"]`` of ``3·n_atoms`` values (what an extxyz comment line or a flattened
    array holds) is read row by row, x y z of each atom in turn (NumPy's and ASE's order); a
    calculator's result or a per-atom array of another shape is no such flattening."""
    value = _label_array(value, name, atoms, where)
    n = len(atoms)
    if where == " (info['forces'])" and value.shape == (3 * n,):
        value = value.reshape(n, 3)
    if value.shape != (n, 3):
        flat = f" or {3 * n} values (x y z of each atom in turn)" if "info" in where else ""
        raise ValueError(f"the stored reference forces of a "
                         f"{atoms.get_chemical_formula()} frame{where} have shape "
                         f"{value.shape}, not ({n}, 3) (one row per atom){flat}")
    return value


#: The labels :func:`stored_labels` reads: their reader and where they belong on an Atoms
#: (ASE's convention, which extxyz follows: one value per frame in ``info``, one row per atom
#: in ``arrays``); a calculator's ``results`` are read first.
_LABEL_READERS = {
    "energy": (_number_label, "info"),
    "free_energy": (_number_label, "info"),
    "energies": (_per_atom_energies_label, "arrays"),
    "forces": (_forces_label, "arrays"),
    "stress": (lambda v, name, atoms, where: _voigt_label(v, name, atoms, where), "info"),
    "virial": (lambda v, name, atoms, where: _voigt_label(v, name, atoms, where), "info"),
}


def label_places(atoms):
    """Where a frame's reference labels may be stored, in the order they are read: the
    calculator's results (as ``ase.io.read`` leaves them), ``info`` and ``arrays``; a list of
    ``(where, mapping)``, ``where`` as messages name it."""
    results = dict(getattr(atoms.calc, "results", {}) or {})
    return [("", results), (" (info", atoms.info), (" (arrays", atoms.arrays)]


def _stored_label(atoms, results, name):
    """Label ``name`` of a frame, read and shaped (``None`` where not stored).

    Read from the calculator's results, ``info`` or ``arrays``: forces or per-atom energies
    in ``info`` are read (forces flattened or not), a frame's energy, stress or virial in
    ``arrays`` (one row per atom) is refused, and so are two copies that disagree (a label
    rewritten in ``info`` beside the calculator results ``ase.io.read`` left: the stale one
    was compared)."""
    read, home = _LABEL_READERS[name]
    places = [("", results)] + [(f"{where}[{name!r}])", store)
                                for where, store in label_places(atoms)[1:]]
    found = []
    for where, store in places:
        value = store.get(name)
        if value is None:
            continue
        if where.startswith(" (arrays") and home == "info":
            per = "per-atom " if name in ("energy", "free_energy") else ""
            raise ValueError(
                f"the stored reference {name} of a {atoms.get_chemical_formula()} frame is "
                f"in arrays[{name!r}], one row per atom, where a frame's {name} is one "
                f"{'number' if per else 'tensor'}: store it in info[{name!r}]"
                + (" (per-atom energies in arrays['energies'])" if per else ""))
        found.append((where, read(value, name, atoms, where)))
    if not found:
        return None
    first_where, first = found[0]
    for where, value in found[1:]:
        scale = float(np.max(np.abs(first))) if np.size(first) else 0.0
        if np.shape(value) != np.shape(first) or not np.allclose(
                value, first, rtol=1e-6, atol=1e-6 * scale, equal_nan=True):
            raise ValueError(
                f"the stored reference {name} of a {atoms.get_chemical_formula()} frame is "
                f"stored twice, {first_where.strip(' ()') or 'as a calculator result'} and "
                f"{where.strip(' ()')}, with other values: which is the label? keep one "
                "(an edited info or arrays entry beside the calculator results of ase.io.read "
                "is not read first)")
    return first


#: Å by which a frame's atoms may sit off the atoms its labels were computed for (a calculator's
#: results, stored labels, :func:`~mda_electrolyte.intra_inter_errors.check_reference_frames`).
RESULTS_POSITION_TOLERANCE = 1e-3


def _calculator_results(atoms):
    """The results of ``atoms.calc`` where they were computed for these atoms: the same
    elements, cell and positions (to :data:`RESULTS_POSITION_TOLERANCE`, a wrap into the cell
    or a translation of the whole frame allowed, which change no label).

    ASE keeps a calculator's results until its next calculation, whatever was done to the
    atoms since: a frame moved after its evaluation (or sharing a live calculator last run on
    other atoms) had those results read as its labels, the errors of other positions marked
    valid."""
    calc = atoms.calc
    results = dict(getattr(calc, "results", {}) or {})
    computed = getattr(calc, "atoms", None)
    if not results or computed is None:
        return results
    from ase.geometry import find_mic

    name = type(calc).__name__
    cure = ("recompute them (atoms.get_forces()) or, to compare with another reference, drop "
            "the calculator (atoms.calc = None) and pass reference=<labels or a calculator>")
    if len(computed) != len(atoms) or np.any(computed.numbers != atoms.numbers):
        raise ValueError(
            f"the {name} results stored with a {atoms.get_chemical_formula()} frame were "
            f"computed for other atoms ({computed.get_chemical_formula()}): they are no "
            f"labels of this frame (a calculator shared by several Atoms keeps the results "
            f"of the last one evaluated); {cure}")
    periodic = bool(np.any(atoms.pbc))
    # a snapshot without a cell (labels read from a plain xyz, the box set after reading)
    # says nothing of the cell they were computed in
    if periodic and np.any(computed.pbc) and (np.any(computed.pbc != atoms.pbc) or not np.allclose(
            computed.cell.array, atoms.cell.array, rtol=0,
            atol=1e-6 * max(1.0, float(np.abs(atoms.cell.array).max())))):
        raise ValueError(
            f"the {name} results stored with a {atoms.get_chemical_formula()} frame were "
            "computed in another cell than the frame's: they belong to another system; "
            + cure)
    shift = atoms.positions - computed.positions
    if periodic:
        shift, _ = find_mic(shift, atoms.cell.array, pbc=atoms.pbc)
    shift = shift - shift[:1]
    if periodic:
        shift, _ = find_mic(shift, atoms.cell.array, pbc=atoms.pbc)
    allowed = RESULTS_POSITION_TOLERANCE + 1e-6 * float(np.abs(atoms.positions).max(initial=0))
    worst = float(np.abs(shift).max(initial=0.0))
    if worst > allowed:
        raise ValueError(
            f"the {name} results stored with a {atoms.get_chemical_formula()} frame belong to "
            f"other positions (atoms moved by up to {worst:.3g} Å since they were computed): "
            f"they are no labels of this frame; {cure}")
    return results


#: Relative difference (of the larger of the energy and the sum of the per-atom energies'
#: magnitudes) by which a frame's stored energy may miss the sum of its stored per-atom
#: energies: the rounding of values printed to 7 significant digits or more, summed.
_PER_ATOM_SUM_RTOL = 1e-6


def _check_per_atom_sum(energy, per_atom, formula):
    """Raise unless the stored per-atom energies of a frame sum to its stored energy (to
    rounding, :data:`_PER_ATOM_SUM_RTOL`).

    The energy is the label compared; per-atom energies that leave out a constant (the
    isolated-atom energies E0 a fitting code subtracts), another unit or another frame's
    values sat beside it unread, and nothing said which was the reference."""
    total = float(np.sum(per_atom))
    size = max(abs(energy), float(np.sum(np.abs(per_atom))))
    if abs(energy - total) <= _PER_ATOM_SUM_RTOL * size:
        return
    raise ValueError(
        f"the stored reference energy of a {formula} frame, {energy:.10g} eV, is not the sum "
        f"of its stored per-atom energies, {total:.10g} eV ({energy - total:.4g} eV apart, "
        f"beyond rounding, {_PER_ATOM_SUM_RTOL:g} of their size): per-atom energies without "
        "the isolated-atom energies, in another unit or of another frame? keep the one that is "
        "the label (the energy is the one compared; drop arrays['energies'] or fix them)")


def stored_labels(atoms):
    """Stored energy/forces/stress of an Atoms (calculator results or info/arrays), or None.

    An energy is also taken as the sum of stored per-atom energies (``energies``; where both
    are stored the energy is the label, and per-atom energies that do not sum to it beyond
    rounding, 1e-6 of their size, are refused) or, where
    neither is stored, as the stored ``free_energy`` (``energy_source`` then says so), and a
    stress from a stored virial (``info["virial"]``, eV, as extxyz files of GAP and others
    hold it: ``σ = −W / V``), which were left out before (the comparison of that quantity
    dropped without a word). Forces stored in ``info["forces"]`` (``(n_atoms, 3)``, or
    flattened to ``3·n_atoms`` values, x y z of each atom in turn) are read as well: they were
    left out, and only the energy compared, without a word.

    Returns
    -------
    dict
        ``energy`` (float, eV), ``forces`` ((n_atoms, 3), eV/Å), ``stress`` (Voigt (6,),
        eV/Å³; a 3×3 tensor, symmetric to 1e-3 of its largest component, is averaged into
        Voigt order as ASE does), each ``None`` when not
        stored, ``energy_source`` (``"free_energy"`` when the energy is the stored free
        energy, else ``None``) and ``positions`` (a copy).

    Raises
    ------
    ValueError
        A label that is not a real number array of its shape (an energy that is not one
        number, per-atom energies not one per atom, forces not ``(n_atoms, 3)``, a stress or
        virial neither 6 values nor a 3×3 tensor symmetric to 1e-3 of its largest
        component), that holds NaN or infinity, a
        frame's energy, stress or virial stored per atom (in ``arrays``), one label stored
        twice (calculator results, ``info``, ``arrays``) with other values, an energy that is
        not the sum of the per-atom energies stored beside it, a virial of a
        frame without a cell, or a stress and a virial that disagree, named with the frame's
        formula and where it is stored; calculator results computed for other atoms, another
        cell or other positions (atoms moved since, beyond a wrap or a translation of the
        whole frame).
    """
    results = _calculator_results(atoms)
    formula = atoms.get_chemical_formula()
    out = {"energy": None, "forces": None, "stress": None, "energy_source": None}
    energy = _stored_label(atoms, results, "energy")
    per_atom = _stored_label(atoms, results, "energies")
    if energy is None:
        if per_atom is not None:
            energy = float(per_atom.sum())
    elif per_atom is not None:
        _check_per_atom_sum(energy, per_atom, formula)
    if energy is None:
        # ASE's own calculators store both; a code or exporter that keeps only the free
        # energy (Mermin, with electronic smearing: the energy the forces derive from) lost
        # the energy comparison without a word
        energy = _stored_label(atoms, results, "free_energy")
        if energy is not None:
            out["energy_source"] = "free_energy"
    out["energy"] = energy
    forces = _stored_label(atoms, results, "forces")
    if forces is not None:
        out["forces"] = forces.copy()
    stress = _stored_label(atoms, results, "stress")
    if stress is not None:
        out["stress"] = stress.copy()
    virial = _stored_label(atoms, results, "virial")
    if virial is not None:
        volume = abs(float(np.linalg.det(atoms.cell.array))) if np.all(atoms.pbc) else 0.0
        if not volume > 0:
            raise ValueError(f"the stored reference virial of a {formula} frame has no cell "
                             "to divide by: a virial needs a periodic cell (or store the "
                             "stress)")
        from_virial = -virial / volume
        if out["stress"] is None:
            out["stress"] = from_virial
        elif np.all(np.isfinite(out["stress"])) and np.all(np.isfinite(from_virial)) \
                and not np.allclose(out["stress"], from_virial, rtol=1e-4,
                                    atol=1e-6 * float(np.abs(from_virial).max())):
            # two stresses, which one to compare? -virial/V is ASE's stress
            raise ValueError(
                f"the stored reference stress and virial of a {formula} frame disagree: "
                f"the stress is {np.round(out['stress'], 6).tolist()} eV/Å³, −virial/V "
                f"{np.round(from_virial, 6).tolist()}; one has another sign or unit: keep "
                "the right one")
    out["positions"] = atoms.positions.copy()
    for name in ("energy", "forces", "stress"):
        # a NaN label would make every error it enters NaN: refuse it where it is read
        if out[name] is not None and not np.all(np.isfinite(out[name])):
            raise ValueError(
                f"the stored reference {name} of a {formula} frame "
                f"{'are' if name == 'forces' else 'is'} not finite (NaN or infinity); drop or "
                "relabel that frame"
            )
    return out


def placeholder_labels(labels, what="frames"):
    """``{quantity: sentence}`` for each stored label that is exactly zero in every frame.

    Exporters write zeros where a quantity was not computed (a stress of a code run without
    it, forces of a single-point energy); compared as labels, the model's own stress was
    reported as its stress error, marked valid. No liquid frame of more than one atom has
    exactly zero forces, a zero stress tensor or an energy of exactly 0 eV; a quantity that
    is zero in some frames only is a label (:class:`~mda_electrolyte.IntraInterErrors`
    compares it), and so are the energy and forces of frames (or molecules) of one atom each.

    Parameters
    ----------
    labels : list of dict
        :func:`stored_labels` of every frame.
    what : str
        What the labels are of, for the sentence (``"frames"``, ``"stored isolated
        molecules"``).
    """
    found = {}
    # a lone atom feels no force, and its energy is 0 where energies are taken from isolated
    # atoms (a binding-energy convention)
    lone = all(len(lab["positions"]) < 2 for lab in labels)
    for q in ("energy", "forces", "stress"):
        values = [lab[q] for lab in labels]
        if not values or any(v is None for v in values) or (lone and q != "stress"):
            continue
        if all(not np.any(v) for v in values):
            where = (f"the single one of the {what}" if len(values) == 1
                     else f"every one of the {len(values)} {what}")
            verb = "are" if q == "forces" else "is"
            found[q] = (f"the reference {q} {verb} exactly zero in {where}: all-zero labels, "
                        f"a placeholder of an exporter that did not compute the {q}?")
    return found


def is_calculator(obj):
    """Whether ``obj`` behaves as an ASE calculator (rather than stored labels).

    A calculator class is not one: its ``calculate`` is an unbound function, and a class given
    for an instance failed inside the first evaluation ("reset() missing 1 required positional
    argument: 'self'") or was reported as a calculator that "failed to give energy".
    """
    if isinstance(obj, type):
        return False
    return callable(getattr(obj, "calculate", None)) or callable(getattr(obj, "get_property", None))


def not_calculator_error(name, obj):
    """The :class:`TypeError` for ``name`` given ``obj``, which is no calculator; a calculator
    class is told to give an instance."""
    if isinstance(obj, type) and (callable(getattr(obj, "calculate", None))
                                  or callable(getattr(obj, "get_property", None))):
        return TypeError(f"{name} must be an ASE calculator, not the class {obj.__name__}: "
                         f"give an instance, e.g. {obj.__name__}()")
    return TypeError(f"{name} must be an ASE calculator, not {type(obj).__name__}")


def evaluate_frame(calculator, atoms, properties, *, checked=True):
    """``{property: value}`` of a whole frame with a calculator (a copy of ``atoms`` is used).

    The one reading of a calculator's labels of a frame's coordinates: the forces and stress
    without the frame's constraints (``FixAtoms`` of a slab's lower layers zeroed the fixed
    atoms' forces, which were then compared with, or taught as, a reference's real ones).
    The fine-tune's and distillation's labels, density alignment, the committee's spread
    calibration and the charge fit of :class:`ase_electrolyte.Electrostatics` read them
    through it.

    Parameters
    ----------
    calculator : ase.calculators.calculator.BaseCalculator
    atoms : ase.Atoms
        Not changed (its constraints are kept on the copy, and not applied to the labels).
    properties : sequence of {"energy", "forces", "stress"}
    checked : bool, optional
        ``True``: the calculator's own error is re-raised as a :class:`RuntimeError` naming it
        and the frame, and non-finite values are refused. ``False``: its errors propagate
        unchanged and non-finite values are returned, for callers that name the frame
        themselves or collect the frames it fails on.

    Returns
    -------
    dict
        energy (eV, float), forces (eV/Å, (n, 3)), stress (eV/Å³, Voigt (6,)), as asked,
        float64.

    Raises
    ------
    RuntimeError
        With ``checked``: the calculator failed to give a property.
    ValueError
        With ``checked``: the calculator returned a non-finite value.
    """
    frame = atoms.copy()
    frame.calc = calculator
    getters = {
        "energy": frame.get_potential_energy,
        # the model's forces on these coordinates: a frame's constraints zeroed fixed atoms'
        "forces": lambda: frame.get_forces(apply_constraint=False),
        "stress": lambda: frame.get_stress(voigt=True, apply_constraint=False),
    }
    out = {}
    for prop in properties:
        if not checked:
            value = np.array(getters[prop](), dtype=np.float64)
            out[prop] = float(value) if prop == "energy" else value
            continue
        try:
            value = np.array(getters[prop](), dtype=np.float64)
        except Exception as exc:  # the calculator's own error, re-raised with context
            raise RuntimeError(
                f"calculator {calculator_name(calculator)} failed to give {prop} of a "
                f"{len(atoms)}-atom frame: {exc}"
            ) from exc
        if not np.all(np.isfinite(value)):
            raise ValueError(
                f"calculator {calculator_name(calculator)} returned non-finite {prop}"
            )
        out[prop] = float(value) if prop == "energy" else value
    return out


class EvaluationMethod:
    """Totals and isolated-molecule results of one method (the model or the reference).

    Parameters
    ----------
    name : str
        ``"model"`` or ``"reference"``, for messages.
    calculator : ase.calculators.calculator.BaseCalculator, optional
        Evaluates whole frames (:func:`evaluate_frame`); or
    labels : list of dict, optional
        Stored labels per frame (:func:`stored_labels`), checked against the frame's positions.
    isolated : IsolatedMoleculeEvaluator or StoredMoleculeLabels, optional
        The isolated molecules of the same method (``None``: no intra/inter split).
    """

    def __init__(self, name, calculator=None, labels=None, isolated=None):
        self.name = name
        self.calculator = calculator
        self.labels = labels
        self.isolated = isolated

    def has(self, quantity):
        """Whether this method gives ``quantity`` (``"energy"``, ``"forces"``, ``"stress"``)."""
        if self.calculator is not None:
            # a calculator of energies alone was asked for forces after the frame's energy
            # had been paid for (PropertyNotImplementedError)
            implemented = getattr(self.calculator, "implemented_properties", None)
            return implemented is None or quantity in implemented
        return all(lab[quantity] is not None for lab in self.labels)

    def totals(self, atoms, frame, properties):
        """``{property: value}`` of frame number ``frame`` (Atoms ``atoms``)."""
        if self.calculator is not None:
            return evaluate_frame(self.calculator, atoms, properties)
        if frame >= len(self.labels):
            raise ValueError(
                f"the {self.name} labels hold {len(self.labels)} frames; frame {frame} has none"
            )
        labels = self.labels[frame]
        stored = labels.get("positions")
        if stored is not None:
            shift = stored - atoms.positions
            if np.all(atoms.pbc):
                from ase.geometry import find_mic

                shift, _ = find_mic(shift, atoms.cell.array, pbc=True)
            if np.abs(shift).max() > RESULTS_POSITION_TOLERANCE:
                raise ValueError(
                    f"the {self.name} labels of frame {frame} belong to other positions (off by "
                    f"{np.abs(shift).max():.3g} Å): labels and frames must be in the same order"
                )
        return {p: labels[p] for p in properties}
