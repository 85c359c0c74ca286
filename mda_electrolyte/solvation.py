"""Cation solvation shells: SSIP/CIP/AGG classes, Ju et al. (2025) labels, networks and angles.

Ju et al. 2025; Gong et al. 2025; Chalykh et al. 2025 (see the theory page). The shells
themselves (which molecules are within the cutoff of
every cation, through which atoms) and the cutoffs from the first minimum of each cation–species
RDF come from solvation-analysis (:class:`solvation_analysis.solute.Solute`); this module
classifies the shells and derives what the seeds report from them:

- class per cation and frame under one of two named conventions, never mixed:

  ``"anion_count"`` (Gong et al. 2025): SSIP = no anion in the shell, CIP = one anion, AGG =
  more than one;
  ``"bridging"`` (mdgo): SSIP = no anion, CIP = exactly one anion and that anion is in no other
  cation's shell, AGG = any other shell with an anion (an anion bridging two or more cations, or
  several anions);
- label in Ju et al.'s (2025) notation, e.g. ``Li(ECc)3(PF6)``: every solvent molecule is ``c``
  when any of
  its carbonyl oxygens (Oc: bonded to exactly one atom, a carbon) coordinates, else ``e`` when an
  ether oxygen (Oe: bonded to exactly two carbons) does, else no suffix; anions get no suffix;
  solvents come first in the order given, then anions;
- coordination numbers (distinct molecules of a species per cation) and pairing fractions exactly
  as solvation-analysis defines them, the static degree of dissociation (free cations; free ions),
  the size distribution of cation networks joined through shared molecules (Chalykh et al. 2025)
  and the
  Oc–M–Oc and M–Oc–Cc angle distributions (Ju et al. 2025 Fig. 4).
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd
from MDAnalysis.analysis.base import AnalysisBase
from MDAnalysis.lib.distances import minimize_vectors
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mda_electrolyte.report import register_analysis
from mda_electrolyte.shell_cutoffs import ShellCutoff, bond_indices, donor_atoms, first_minimum

__all__ = ["SolvationShells", "oxygen_types"]

CLASSES = ("SSIP", "CIP", "AGG")
CONVENTIONS = ("anion_count", "bridging")
#: How a species' shell atoms and cutoff are chosen: any atom of the molecule with the first RDF
#: minimum (``"whole_molecule"``), or the donor atoms of Ju et al. (2025) with their fixed cutoffs,
#: Li–O 2.6 Å and Li–P 4.2 Å (``"donor_atoms"``).
CUTOFF_CONVENTIONS = ("whole_molecule", "donor_atoms")
_PRESET = "ju2025"
_OTHER, _OC, _OE = 0, 1, 2


class _NoRdfMinimum(ValueError):
    """A cation–species RDF has no first minimum to take the shell cutoff from."""


def oxygen_types(atomgroup):
    """Carbonyl/ether type of every atom from the bonds of the topology.

    Parameters
    ----------
    atomgroup : MDAnalysis.core.groups.AtomGroup
        Needs ``elements`` and ``bonds``.

    Returns
    -------
    types : numpy.ndarray of int, shape (n_atoms,)
        1 for a carbonyl oxygen Oc (bonded to exactly one atom, a carbon), 2 for an ether oxygen
        Oe (bonded to exactly two atoms, both carbons), 0 for every other atom.
    carbonyl_carbon : numpy.ndarray of int, shape (n_atoms,)
        Universe index of the carbon bonded to each Oc, -1 elsewhere.
    """
    universe = atomgroup.universe
    degree, carbons, partner = _bond_counts(universe)
    is_o = universe.atoms.elements == "O"
    oc = is_o & (degree == 1) & (carbons == 1)
    oe = is_o & (degree == 2) & (carbons == 2)
    types = np.where(oc, _OC, np.where(oe, _OE, _OTHER)).astype(np.int8)[atomgroup.ix]
    carbon = np.where(oc, partner, -1)[atomgroup.ix]
    return types, carbon


def _bond_counts(universe):
    """Bonds per atom, carbon neighbours per atom and one bond partner per atom (-1: none)."""
    n = universe.atoms.n_atoms
    bonds = bond_indices(universe)
    ends = np.concatenate([bonds, bonds[:, ::-1]])
    degree = np.bincount(ends[:, 0], minlength=n)
    is_c = universe.atoms.elements == "C"
    carbons = np.bincount(ends[:, 0], weights=is_c[ends[:, 1]], minlength=n).astype(np.intp)
    partner = np.full(n, -1, dtype=np.intp)
    partner[ends[:, 0]] = ends[:, 1]
    return degree, carbons, partner


def _check_inputs(cations, anions, solvents, cutoffs, convention, rdf_range,
                  cutoff_convention="whole_molecule", no_minimum="raise"):
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, not {convention!r}")
    if cutoff_convention not in CUTOFF_CONVENTIONS:
        raise ValueError(
            f"cutoff_convention must be one of {CUTOFF_CONVENTIONS}, not {cutoff_convention!r}")
    if no_minimum not in ("raise", "preset"):
        raise ValueError(f"no_minimum must be 'raise' or 'preset', not {no_minimum!r}")
    if cations.n_atoms == 0:
        raise ValueError("SolvationShells: the cation selection is empty")
    if not isinstance(anions, dict) or not isinstance(solvents, dict):
        raise TypeError("anions and solvents must be dicts mapping a species name to an AtomGroup")
    if not anions and not solvents:
        raise ValueError("SolvationShells: give at least one anion or solvent species")
    overlap = set(anions) & set(solvents)
    if overlap:
        raise ValueError(f"species names used both as anion and solvent: {sorted(overlap)}")
    species = {**anions, **solvents}
    universe = cations.universe
    for name, group in species.items():
        if group.n_atoms == 0:
            raise ValueError(f"SolvationShells: the selection of species {name!r} is empty")
        if group.universe is not universe:
            raise ValueError(f"species {name!r} belongs to another Universe than the cations")
    if len(cations.residues) != cations.n_atoms or (
        cations.residues.atoms.n_atoms != cations.n_atoms
    ):
        raise ValueError(
            "every cation must be a single atom in a residue of its own (one Li/Na/K per residue)"
        )
    groups = {"cations": cations, **species}
    names = list(groups)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            shared = np.intersect1d(groups[names[a]].ix, groups[names[b]].ix)
            if shared.size:
                raise ValueError(
                    f"selections {names[a]!r} and {names[b]!r} overlap "
                    f"({shared.size} atoms, e.g. index {shared[0]})"
                )
            shared_res = np.intersect1d(groups[names[a]].resindices, groups[names[b]].resindices)
            if shared_res.size:
                raise ValueError(
                    f"selections {names[a]!r} and {names[b]!r} share residues "
                    f"(e.g. residue index {shared_res[0]}); molecules are residues"
                )
    if universe.dimensions is None:
        raise ValueError("SolvationShells needs a periodic box: the trajectory has no dimensions")
    r_min, r_max = rdf_range
    for name, value in (cutoffs or {}).items():
        if name not in species:
            raise ValueError(f"cutoff given for unknown species {name!r}; known: {sorted(species)}")
        if not (r_min < float(value) <= r_max):
            raise ValueError(f"cutoff of {name!r} = {value} Å is outside the RDF range {rdf_range}")
    if not hasattr(universe.atoms, "elements"):
        raise ValueError("SolvationShells needs element symbols in the topology")
    for name, group in species.items():
        oxygens = group.select_atoms("element O")
        if oxygens.n_atoms == 0:
            continue
        if len(bond_indices(universe)) == 0:
            raise ValueError(
                f"species {name!r} has oxygen atoms but the topology has no bonds, so carbonyl "
                "and ether oxygens cannot be told apart; add bonds (e.g. "
                "universe.guess_TopologyAttrs(to_guess=['bonds']))"
            )
        degree = _bond_counts(universe)[0]
        residue_size = np.bincount(universe.atoms.resindices)[oxygens.resindices]
        lonely = oxygens[(residue_size > 1) & (degree[oxygens.ix] == 0)]
        if lonely.n_atoms:
            raise ValueError(
                f"species {name!r}: {lonely.n_atoms} oxygen atoms (e.g. index {lonely[0].ix}) have "
                "no bonds, so their carbonyl/ether type cannot be found; check the topology bonds"
            )


class SolvationShells(AnalysisBase):
    r"""First solvation shells of cations, their SSIP/CIP/AGG classes and Ju et al. (2025) labels.

    Parameters
    ----------
    cations : MDAnalysis.core.groups.AtomGroup
        The cations (Li⁺, Na⁺, K⁺, ...), one atom per residue.
    anions, solvents : dict of {str: AtomGroup}
        Species name → its atoms; molecules are the residues. Results are keyed by these names.
        The atoms given are the candidate coordinating atoms (usually whole molecules).
    cutoffs : dict of {str: float}, optional
        Shell cutoff per species in Å (cation to any candidate atom of the species). Species
        without one get the first minimum of the cation–species RDF
        (:func:`mda_electrolyte.shell_cutoffs.first_minimum`: smoothed, bin-count independent,
        with a depth test), or the preset of ``cutoff_convention="donor_atoms"``.
    convention : {"anion_count", "bridging"}
        How shells are classed, see the module documentation (Gong et al. 2025 vs mdgo).
    cutoff_convention : {"whole_molecule", "donor_atoms"}
        ``"whole_molecule"`` (default): the atoms given are the candidates and the cutoffs come
        from the RDF first minimum. ``"donor_atoms"``: Ju et al. (2025, SevenNet-0)'s Li⁺ shells,
        through donor atoms found from the bonds (oxygens bonded to carbon, the P of PF6⁻) with
        Li–O 2.6 Å and Li–P 4.2 Å (:data:`mda_electrolyte.shell_cutoffs.DONOR_PRESETS`);
        Li cations only.
    no_minimum : {"raise", "preset"}
        What to do when an RDF has no acceptable first minimum: raise, or (Li cations) use the
        ``"donor_atoms"`` preset for that species and say so in ``results.cutoff_details``.
    rdf_smoothing : float
        Smallest Gaussian smoothing width in Å of the first-minimum search.
    rdf_range : tuple of float
        Range of the cation–species RDFs in Å; given cutoffs must lie inside.
    rdf_nbins : int
        Bins of those RDFs.
    network_species : list of str, optional
        Species whose shared molecules join cations into networks (default: all species).
    angle_bins : int
        Bins of the angle histograms over 0–180°.
    **kwargs
        Passed to :class:`~MDAnalysis.analysis.base.AnalysisBase` (e.g. ``verbose``).

    Attributes
    ----------
    results.cutoffs : dict
        Species → cutoff in Å; ``results.cutoff_source`` says ``"given"``, ``"rdf_minimum"``,
        ``"preset"`` or ``"preset_fallback"`` (no RDF minimum).
    results.cutoff_details : dict
        Species → how the cutoff was chosen (:class:`~mda_electrolyte.shell_cutoffs.ShellCutoff`
        as a dict: first peak, depth, significance, pairs in the shell, warnings, a note).
    results.shell_atoms : dict
        Species → ``"whole_molecule"`` or ``"donor_atoms"``: the atoms the cutoff applies to.
    results.rdfs : dict
        Species → (r in Å, g(r)) of the RDFs used for the cutoffs (empty when all were given).
    results.shells : pandas.DataFrame
        One row per coordinating atom: frame, cation (atom index), species, molecule (residue
        index), atom (index), oxygen type ("Oc", "Oe" or ""), distance in Å.
    results.classes : numpy.ndarray of str, shape (n_frames, n_cations)
        SSIP/CIP/AGG of every cation in every frame.
    results.shell_labels : numpy.ndarray of object, shape (n_frames, n_cations)
        Ju et al. (2025) label of every shell, e.g. ``"Li(ECc)3(PF6)"``.
    results.fractions : dict
        Class → fraction of cation shells (over cations and frames).
    results.labels : dict
        Label → fraction of cation shells, most common first.
    results.coordination_numbers, results.pairing : dict
        Species → mean number of its molecules in a shell; fraction of cations with at least one
        (solvation-analysis' definitions).
    results.free_cation_fraction : float
        Static degree of dissociation α_s: fraction of cations with no anion in the shell.
    results.free_ion_fraction : float
        Free cations plus anion molecules in no shell, over all cations and anion molecules.
    results.network_sizes : dict
        Network size n (cations) → fraction of cations in networks of n cations (1 = isolated).
    results.angles : dict
        ``"Oc-M-Oc"`` and ``"M-Oc-Cc"`` → dict with ``bins`` (degrees), ``density`` (1/degree),
        ``mean`` (degrees; ``None`` when no such angle occurred) and ``n`` (number of angles).
    results.cn_distribution : dict
        Species (and ``"total"``: molecules of all species) → ``{n: fraction of cation shells
        with n such molecules}`` over cations and frames; ``results.cn_distribution_by_class``
        the total's distribution per class.
    results.ssip_networks : dict
        SSIPs joined into networks through shared solvent molecules (Chalykh et al. 2025):
        ``fraction_in_networks`` (SSIPs in networks of two or more cations; ``None`` without
        SSIPs), ``sizes`` (network size → fraction of SSIP shells), ``cn_distribution`` and
        ``composition`` (mean molecules of each species) for ``"network"`` and ``"isolated"``
        SSIPs, and ``n_ssip`` (SSIP shells counted).
    results.by_type : dict
        Per shell label (most common first), as Ju et al. (2025) Fig. 4: ``n_shells``;
        ``rdf`` and ``cn`` with ``"M-Oc"`` and ``"M-Oe"`` (g(r) of the cations of that label
        around the carbonyl/ether oxygens of all species, ``None`` without such oxygens, and the
        cumulative coordination number), on ``results.by_type_bins`` (Å, the RDF range and
        bins); ``angles`` with ``"Oc-M-Oc"`` and ``"M-Oc-Cc"`` (``density``, ``mean``, ``n``).
    results.timeseries : dict
        Per frame: ``fractions`` (n_frames, 3) in SSIP/CIP/AGG order, ``coordination_numbers``
        and ``pairing`` (dict species → array), ``free_cation_fraction`` (n_frames,).

    Examples
    --------
    solvation-analysis' LiPF6 in butyronitrile/FEC test trajectory, with the radii of its tests:

    >>> import os, numpy as np, MDAnalysis as mda, solvation_analysis
    >>> from mda_electrolyte import SolvationShells
    >>> d = os.path.join(os.path.dirname(solvation_analysis.__file__), "tests/data/bn_fec_data")
    >>> u = mda.Universe(f"{d}/bn_fec.data", f"{d}/bn_fec_short_wrap.dcd")
    >>> u.add_TopologyAttr("elements", np.loadtxt(f"{d}/bn_fec_elements.csv", dtype=str))
    >>> shells = SolvationShells(
    ...     u.select_atoms("type 22"), {"PF6": u.select_atoms("byres type 20")},
    ...     {"BN": u.select_atoms("byres type 5"), "FEC": u.select_atoms("byres type 19")},
    ...     cutoffs={"PF6": 2.8, "BN": 2.61468, "FEC": 2.43158}).run()
    >>> round(shells.results.coordination_numbers["BN"], 3), shells.results.fractions["AGG"]
    (4.329, 0.0)
    >>> list(shells.results.labels)[:3]
    ['Li(BN)5', 'Li(BN)4', 'Li(BN)4(FECc)']
    """

    def __init__(
        self,
        cations,
        anions,
        solvents,
        cutoffs=None,
        convention="anion_count",
        rdf_range=(0.0, 8.0),
        rdf_nbins=80,
        network_species=None,
        angle_bins=90,
        cutoff_convention="whole_molecule",
        no_minimum="raise",
        rdf_smoothing=0.2,
        **kwargs,
    ):
        rdf_range = tuple(float(v) for v in rdf_range)
        _check_inputs(cations, anions, solvents, cutoffs, convention, rdf_range,
                      cutoff_convention, no_minimum)
        super().__init__(cations.universe.trajectory, **kwargs)
        self._cations = cations
        self._anion_names = list(anions)
        self._solvent_names = list(solvents)
        self._species = {**solvents, **anions}
        self._cutoffs_given = {k: float(v) for k, v in (cutoffs or {}).items()}
        self._cutoff_convention = cutoff_convention
        self._no_minimum = no_minimum
        self._rdf_smoothing = float(rdf_smoothing)
        self._is_lithium = cations.elements[0] == "Li"
        self._shell_atoms = {name: "whole_molecule" for name in self._species}
        self._presets = {}
        if cutoff_convention == "donor_atoms" or no_minimum == "preset":
            for name, group in self._species.items():
                try:
                    self._presets[name] = donor_atoms(group, _PRESET)
                except ValueError as err:
                    if cutoff_convention == "donor_atoms":
                        raise ValueError(f"species {name!r}: {err}") from None
        if cutoff_convention == "donor_atoms":
            if not self._is_lithium:
                raise ValueError("cutoff_convention='donor_atoms' holds Li⁺ cutoffs (Ju et al. "
                                 f"2025); the cations are {cations.elements[0]!r}")
            for name, (donors, _) in self._presets.items():
                self._species[name] = donors
                self._shell_atoms[name] = "donor_atoms"
        self._convention = convention
        self._rdf_range = rdf_range
        self._rdf_nbins = int(rdf_nbins)
        self._angle_bins = int(angle_bins)
        unknown = set(network_species or ()) - set(self._species)
        if unknown:
            raise ValueError(f"network_species names unknown species {sorted(unknown)}")
        self._network_species = (
            list(self._species) if network_species is None else list(network_species)
        )
        universe = cations.universe
        types, carbon = oxygen_types(universe.atoms)
        self._otype = types
        self._carbonyl_carbon = carbon
        element = cations.elements[0]
        self._cation_symbol = element if element else cations.names[0]
        self._n_anion_molecules = sum(anions[n].n_residues for n in anions)
        # the oxygens of the per-type RDFs: of the molecules given, whatever the shell atoms
        in_species = np.zeros(universe.atoms.n_atoms, dtype=bool)
        for group in {**anions, **solvents}.values():
            in_species[group.ix] = True
        self._oxygen_ix = {
            "M-Oc": np.flatnonzero(in_species & (self._otype == _OC)),
            "M-Oe": np.flatnonzero(in_species & (self._otype == _OE)),
        }
        self._type_edges = np.linspace(*self._rdf_range, self._rdf_nbins + 1)

    # workers run a Solute over their own frames with radii fixed beforehand in run()
    _analysis_algorithm_is_parallelizable = True

    @classmethod
    def get_supported_backends(cls):
        return ("serial", "multiprocessing", "dask")

    def run(
        self,
        start=None,
        stop=None,
        step=None,
        frames=None,
        verbose=None,
        n_workers=None,
        n_parts=None,
        backend=None,
        *,
        unsupported_backend=False,
        progressbar_kwargs=None,
    ):
        """Find the shells in the analysed frames, serially or in parallel.

        Cutoffs not given are the first minima of the cation–species RDFs over *all* analysed
        frames; they are found here, before the frames are split between workers, so every
        backend gives the serial results. Parameters as
        :meth:`MDAnalysis.analysis.base.AnalysisBase.run`; ``backend`` is ``"serial"``,
        ``"multiprocessing"`` or ``"dask"``.

        Returns
        -------
        SolvationShells
            ``self``, with :attr:`results` filled.
        """
        # bad backend arguments fail here, before the RDF pass
        self._configure_backend(
            backend="serial" if backend is None else backend,
            n_workers=1 if n_workers is None and not hasattr(backend, "apply") else n_workers,
            unsupported_backend=unsupported_backend,
        )
        # the frame numbers of the whole run, as AnalysisBase.run will split them
        groups = self._setup_computation_groups(
            n_parts=1, start=start, stop=stop, step=step, frames=frames
        )
        analysed = np.concatenate(groups)[:, 1]
        self._radii, self._rdfs = self._rdf_cutoffs(analysed)
        return super().run(
            start=start,
            stop=stop,
            step=step,
            frames=frames,
            verbose=verbose,
            n_workers=n_workers,
            n_parts=n_parts,
            backend=backend,
            unsupported_backend=unsupported_backend,
            progressbar_kwargs=progressbar_kwargs,
        )

    def _rdf_cutoffs(self, frames):
        """Radii of all species and the RDFs behind those not given, over ``frames``.

        The same RDFs and first-minimum kernel as :class:`solvation_analysis.solute.Solute`
        (which computes them in its own ``_prepare``), done once for the whole run.
        """
        radii = dict(self._cutoffs_given)
        self._details = {
            name: ShellCutoff(cutoff=value, method="given", note="given by the caller")
            for name, value in radii.items()
        }
        if self._cutoff_convention == "donor_atoms":
            for name in self._species:
                if name not in radii:
                    radii[name] = self._presets[name][1]
                    element = self._presets[name][0].elements[0]
                    self._details[name] = ShellCutoff(
                        cutoff=radii[name], method="preset",
                        note=f"Ju et al. (2025) donor-atom cutoff Li–{element} {radii[name]} Å")
        if set(radii) >= set(self._species):
            return radii, {}
        rdfs = {}
        missing = []
        edges = np.linspace(*self._rdf_range, self._rdf_nbins + 1)
        bins = 0.5 * (edges[1:] + edges[:-1])
        shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
        counts = self._species_histograms(frames, edges)
        for k, name in enumerate(self._species):
            # InterRDF's norm="density": species atoms per Å³ around a cation
            g = counts[k] / (len(frames) * shell * self._cations.n_atoms)
            rdfs[name] = (bins, g)
            if name not in radii:
                found = first_minimum(edges, g, counts=counts[k], smoothing=self._rdf_smoothing)
                self._details[name] = found
                if found.cutoff is not None:
                    radii[name] = found.cutoff
                else:
                    missing.append(name)
        for name in [n for n in missing if self._no_minimum == "preset"]:
            if not self._is_lithium or name not in self._presets:
                continue
            donors, radius = self._presets[name]
            element = donors.elements[0]
            self._species[name] = donors
            self._shell_atoms[name] = "donor_atoms"
            radii[name] = radius
            self._details[name] = ShellCutoff(
                cutoff=radius, method="preset_fallback",
                warnings=[f"no first minimum ({self._details[name].note})"],
                note=(f"no first minimum in the Li–{name} RDF ({self._details[name].note}); "
                      f"used Ju et al. (2025)'s donor-atom cutoff Li–{element} {radius} Å"))
            missing.remove(name)
        for name, detail in self._details.items():
            for text in detail.warnings:
                warnings.warn(f"shell cutoff of {name!r} ({detail.cutoff} Å): {text}",
                              UserWarning, stacklevel=3)
        if missing:
            raise _NoRdfMinimum(
                f"no first minimum found in a cation–species RDF within {self._rdf_range} Å; "
                f"pass cutoffs={{name: value}} for it, or no_minimum='preset' for Li "
                f"({'; '.join(f'{n}: {self._details[n].note}' for n in sorted(missing))})"
            )
        return radii, rdfs

    def _species_histograms(self, frames, edges):
        """Cation–species distance histograms over ``frames``, one neighbour search per frame.

        The counts of :class:`MDAnalysis.analysis.rdf.InterRDF` (cations, species,
        ``exclude_same="residue"``) for every species at once: the cations are residues of their
        own, so no pair is excluded.
        """
        from MDAnalysis.lib.distances import capped_distance

        names = list(self._species)
        targets = np.concatenate([self._species[n].ix for n in names])
        code = np.concatenate([np.full(self._species[n].n_atoms, k) for k, n in enumerate(names)])
        n_bins = edges.size - 1
        counts = np.zeros((len(names), n_bins), dtype=np.intp)
        trajectory = self._cations.universe.trajectory
        for frame in frames:
            ts = trajectory[frame]
            pos = self._cations.universe.atoms.positions
            pairs, dist = capped_distance(pos[self._cations.ix], pos[targets], edges[-1],
                                          box=ts.dimensions)
            keep = (dist >= edges[0]) & (dist <= edges[-1])
            flat = code[pairs[keep, 1]] * n_bins + _bins(dist[keep], edges)
            counts += np.bincount(flat, minlength=counts.size).reshape(counts.shape)
        return counts

    def _run_solute(self, frames):
        from solvation_analysis.solute import Solute

        solute = Solute.from_atoms(
            self._cations,
            dict(self._species),
            radii=dict(self._radii),
            skip_rdf=True,
            analysis_classes=[],
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            solute.run(frames=frames, verbose=self._verbose)
        return solute

    def _prepare(self):
        # in a parallel run this sees only this worker's frames
        frames = np.asarray(self._sliced_trajectory.frames)
        solute = self._run_solute(frames)
        # every atom within the cutoff, not only the closest of each molecule
        rows = pd.concat(
            [solute.solvation_data.reset_index(), solute.solvation_data_duplicates.reset_index()],
            ignore_index=True,
        )
        code = {name: k for k, name in enumerate(self._species)}
        self._rows = {
            frame: (
                grp["solute_atom_ix"].to_numpy(np.intp),
                grp["solvent_atom_ix"].to_numpy(np.intp),
                grp["solvent"].map(code).to_numpy(np.intp),
                grp["solvent_ix"].to_numpy(np.intp),
                grp["distance"].to_numpy(float),
            )
            for frame, grp in rows.groupby("frame")
        }
        n, n_cat = self.n_frames, self._cations.n_atoms
        n_species = len(self._species)
        # per-frame data, concatenated in frame order across workers (see _get_aggregator);
        # everything derived from it is computed in _conclude
        self.results._class_codes = np.zeros((n, n_cat), dtype=np.int8)
        self.results.shell_labels = np.empty((n, n_cat), dtype=object)
        self.results._cn = np.zeros((n, n_species))
        self.results._pairing = np.zeros((n, n_species))
        self.results._free_ions = np.zeros(n)
        self.results._network_size = np.zeros((n, n_cat), dtype=np.intp)
        self.results._angles_oc_m_oc = []
        self.results._angles_m_oc_cc = []
        self.results._shell_tables = []
        self.results._counts = np.zeros((n, n_cat, n_species), dtype=np.intp)
        self.results._ssip_network_size = np.zeros((n, n_cat), dtype=np.intp)
        self.results._volume = np.zeros(n)
        self.results._type_rdf_rows = []
        self.results._type_angle_rows = []

    def _get_aggregator(self):
        from MDAnalysis.analysis.results import ResultsGroup

        return ResultsGroup(
            lookup={
                "_class_codes": ResultsGroup.ndarray_vstack,
                "shell_labels": ResultsGroup.ndarray_vstack,
                "_cn": ResultsGroup.ndarray_vstack,
                "_pairing": ResultsGroup.ndarray_vstack,
                "_free_ions": ResultsGroup.ndarray_hstack,
                "_network_size": ResultsGroup.ndarray_vstack,
                "_angles_oc_m_oc": ResultsGroup.flatten_sequence,
                "_angles_m_oc_cc": ResultsGroup.flatten_sequence,
                "_shell_tables": ResultsGroup.flatten_sequence,
                "_counts": ResultsGroup.ndarray_vstack,
                "_ssip_network_size": ResultsGroup.ndarray_vstack,
                "_volume": ResultsGroup.ndarray_hstack,
                "_type_rdf_rows": ResultsGroup.flatten_sequence,
                "_type_angle_rows": ResultsGroup.flatten_sequence,
            }
        )

    def _single_frame(self):
        frame = self._ts.frame
        empty = np.empty(0, dtype=np.intp)
        cat_atom, atom, spec, mol, dist = self._rows.get(frame, (empty,) * 4 + (np.empty(0),))
        cation_ix = self._cations.ix
        n_cat = len(cation_ix)
        slot = np.full(self._cations.universe.atoms.n_atoms, -1, dtype=np.intp)
        slot[cation_ix] = np.arange(n_cat)
        cat = slot[cat_atom]
        otype = self._otype[atom]
        self.results._shell_tables.append(
            (
                np.full(len(atom), frame),
                cation_ix[cat] if len(cat) else empty,
                spec,
                mol,
                atom,
                otype,
                dist,
            )
        )

        # molecules per shell; a molecule is "c" if any Oc coordinates, else "e" if any Oe does
        names = list(self._species)
        n_species = len(names)
        n_mol_key = int(mol.max()) + 1 if len(mol) else 1
        keys, inverse = np.unique(cat * n_mol_key + mol, return_inverse=True)
        inverse = inverse.ravel()
        m_cat, m_mol = keys // n_mol_key, keys % n_mol_key
        m_spec = np.empty(len(keys), dtype=np.intp)
        m_spec[inverse] = spec
        has_c = np.zeros(len(keys), bool)
        has_e = np.zeros(len(keys), bool)
        np.logical_or.at(has_c, inverse, otype == _OC)
        np.logical_or.at(has_e, inverse, otype == _OE)

        counts = np.zeros((n_cat, n_species), dtype=np.intp)
        np.add.at(counts, (m_cat, m_spec), 1)
        self.results._cn[self._frame_index] = counts.mean(axis=0)
        self.results._pairing[self._frame_index] = (counts > 0).mean(axis=0)

        anion_codes = [names.index(a) for a in self._anion_names]
        is_anion = np.isin(m_spec, anion_codes)
        n_anion = counts[:, anion_codes].sum(axis=1) if anion_codes else np.zeros(n_cat, np.intp)
        classes = np.where(n_anion == 0, 0, np.where(n_anion == 1, 1, 2))
        if self._convention == "bridging":
            anion_mols, hosts = np.unique(m_mol[is_anion], return_counts=True)
            bridging = set(anion_mols[hosts > 1].tolist())
            shares = np.zeros(n_cat, bool)
            for c, m in zip(m_cat[is_anion], m_mol[is_anion], strict=True):
                if m in bridging:
                    shares[c] = True
            classes = np.where(n_anion == 0, 0, np.where((n_anion == 1) & ~shares, 1, 2))
        self.results._class_codes[self._frame_index] = classes
        n_free_anions = self._n_anion_molecules - len(np.unique(m_mol[is_anion]))
        self.results._free_ions[self._frame_index] = ((n_anion == 0).sum() + n_free_anions) / (
            n_cat + self._n_anion_molecules
        )

        labels = self._shell_labels(n_cat, m_cat, m_spec, has_c, has_e)
        self.results.shell_labels[self._frame_index] = labels
        self.results._network_size[self._frame_index] = self._networks(n_cat, m_cat, m_spec, m_mol)
        self.results._counts[self._frame_index] = counts
        self.results._volume[self._frame_index] = self._ts.volume
        # networks of SSIPs joined through shared solvent molecules (Chalykh et al. 2025)
        solvent_codes = [names.index(n) for n in self._solvent_names]
        ssip = classes == 0
        linking = ssip[m_cat] & np.isin(m_spec, solvent_codes)
        self.results._ssip_network_size[self._frame_index] = np.where(
            ssip, self._networks(n_cat, m_cat[linking], m_spec[linking], m_mol[linking]), 0)
        self._angles_of_frame(cat, atom, otype, np.asarray(labels, dtype=object))
        self._type_rdfs_of_frame(np.asarray(labels, dtype=object))

    def _shell_labels(self, n_cat, m_cat, m_spec, has_c, has_e):
        names = list(self._species)
        suffix = np.where(has_c, 0, np.where(has_e, 1, 2))
        tally = np.zeros((n_cat, len(names), 3), dtype=np.intp)
        np.add.at(tally, (m_cat, m_spec, suffix), 1)
        labels = []
        text = ("c", "e", "")
        for c in range(n_cat):
            parts = [self._cation_symbol]
            for s, name in enumerate(names):
                for k in range(3):
                    n = tally[c, s, k]
                    if n:
                        sfx = text[k] if name in self._solvent_names else ""
                        parts.append(f"({name}{sfx})" + (str(n) if n > 1 else ""))
            labels.append("".join(parts))
        return labels

    def _type_rdfs_of_frame(self, labels):
        """Cation–Oc and cation–Oe distance histograms of this frame, per shell label."""
        from MDAnalysis.lib.distances import capped_distance

        box = self._ts.dimensions
        pos = self._cations.universe.atoms.positions
        edges = self._type_edges
        names, index = np.unique(labels, return_inverse=True)
        kinds = list(self._oxygen_ix)
        targets = np.concatenate([self._oxygen_ix[k] for k in kinds])
        if not targets.size:
            return
        kind_of = np.concatenate([np.full(self._oxygen_ix[k].size, n) for n, k in
                                  enumerate(kinds)])
        # one search for both oxygen kinds
        pairs, dist = capped_distance(pos[self._cations.ix], pos[targets], edges[-1], box=box)
        inside = dist >= edges[0]
        pairs, dist = pairs[inside], dist[inside]
        n_bins = edges.size - 1
        code = (index[pairs[:, 0]] * len(kinds) + kind_of[pairs[:, 1]]) * n_bins
        hists = np.bincount(code + _bins(dist, edges),
                            minlength=len(names) * len(kinds) * n_bins)
        hists = hists.reshape(len(names), len(kinds), n_bins)
        for n, name in enumerate(kinds):
            if not self._oxygen_ix[name].size:
                continue
            for k, label in enumerate(names):
                self.results._type_rdf_rows.append((str(label), name, hists[k, n]))

    def _networks(self, n_cat, m_cat, m_spec, m_mol):
        names = list(self._species)
        linking = np.isin(m_spec, [names.index(n) for n in self._network_species])
        mols, mol_node = np.unique(m_mol[linking], return_inverse=True)
        n_nodes = n_cat + len(mols)
        graph = coo_matrix(
            (np.ones(linking.sum()), (m_cat[linking], n_cat + mol_node.ravel())),
            shape=(n_nodes, n_nodes),
        )
        _, component = connected_components(graph, directed=False)
        # size of the network each cation belongs to
        return np.bincount(component[:n_cat])[component[:n_cat]]

    def _angles_of_frame(self, cat, atom, otype, labels):
        oc = otype == _OC
        if not oc.any():
            return
        box = self._ts.dimensions
        pos = self._cations.universe.atoms.positions
        cat_oc, atom_oc = cat[oc], atom[oc]
        metal = pos[self._cations.ix[cat_oc]]
        m_to_o = minimize_vectors(pos[atom_oc] - metal, box).astype(np.float64)
        o_to_c = minimize_vectors(pos[self._carbonyl_carbon[atom_oc]] - pos[atom_oc], box).astype(
            np.float64
        )
        m_oc_cc = _angle(-m_to_o, o_to_c)
        self.results._angles_m_oc_cc.append(m_oc_cc)
        for c in np.unique(cat_oc):
            mine = cat_oc == c
            self.results._type_angle_rows.append((str(labels[c]), "M-Oc-Cc", m_oc_cc[mine]))
            vecs = m_to_o[mine]
            a, b = np.triu_indices(len(vecs), k=1)
            if len(a):
                oc_m_oc = _angle(vecs[a], vecs[b])
                self.results._angles_oc_m_oc.append(oc_m_oc)
                self.results._type_angle_rows.append((str(labels[c]), "Oc-M-Oc", oc_m_oc))

    def _conclude(self):
        names = list(self._species)
        n_cat = self._cations.n_atoms
        # the per-frame data of all frames, in frame order; not part of the public results
        per_frame = {
            key: self.results.pop(key) for key in list(self.results) if key.startswith("_")
        }
        codes = per_frame["_class_codes"]
        cn, pairing = per_frame["_cn"], per_frame["_pairing"]
        labels = self.results.shell_labels
        self.results.cutoffs = {name: float(self._radii[name]) for name in self._species}
        source = {"given": "given", "rdf_first_minimum": "rdf_minimum", "preset": "preset",
                  "preset_fallback": "preset_fallback"}
        self.results.cutoff_source = {
            name: source[self._details[name].method] for name in self._species
        }
        self.results.cutoff_details = {
            name: self._details[name].as_dict() for name in self._species
        }
        self.results.shell_atoms = dict(self._shell_atoms)
        self.results.rdfs = dict(self._rdfs)
        self.results.classes = np.array(CLASSES)[codes]
        self.results.convention = self._convention
        self.results.fractions = {c: float(np.mean(codes == k)) for k, c in enumerate(CLASSES)}
        tally = Counter(labels.ravel().tolist())
        total = labels.size
        self.results.labels = {k: v / total for k, v in tally.most_common()}
        self.results.coordination_numbers = {n: float(cn[:, k].mean()) for k, n in enumerate(names)}
        self.results.pairing = {n: float(pairing[:, k].mean()) for k, n in enumerate(names)}
        free_cat = (codes == 0).mean(axis=1)
        self.results.free_cation_fraction = float(free_cat.mean())
        self.results.free_ion_fraction = float(per_frame["_free_ions"].mean())
        network_counts = Counter(per_frame["_network_size"].ravel().tolist())
        n_total = sum(network_counts.values())
        self.results.network_sizes = {s: c / n_total for s, c in sorted(network_counts.items())}
        edges = np.linspace(0.0, 180.0, self._angle_bins + 1)
        self.results.angles = {}
        for key, chunks in (
            ("Oc-M-Oc", per_frame["_angles_oc_m_oc"]),
            ("M-Oc-Cc", per_frame["_angles_m_oc_cc"]),
        ):
            values = np.concatenate(chunks) if chunks else np.empty(0)
            hist = np.histogram(values, bins=edges)[0].astype(float)
            density = hist / (hist.sum() * np.diff(edges)) if values.size else hist
            self.results.angles[key] = {
                "bins": 0.5 * (edges[1:] + edges[:-1]),
                "density": density,
                "mean": float(values.mean()) if values.size else None,
                "n": int(values.size),
            }
        self.results.timeseries = {
            "frames": self.frames.copy(),
            "fractions": np.stack([(codes == k).mean(axis=1) for k in range(3)], axis=1),
            "coordination_numbers": {n: cn[:, k].copy() for k, n in enumerate(names)},
            "pairing": {n: pairing[:, k].copy() for k, n in enumerate(names)},
            "free_cation_fraction": free_cat,
        }
        columns = ["frame", "cation", "species", "molecule", "atom", "oxygen_type", "distance"]
        tables = per_frame["_shell_tables"]
        stacked = [np.concatenate([t[k] for t in tables]) for k in range(7)]
        shells = pd.DataFrame(dict(zip(columns, stacked, strict=True)))
        shells["species"] = (
            np.array(names, dtype=object)[shells["species"].to_numpy(np.intp)]
            if len(shells)
            else shells["species"]
        )
        shells["oxygen_type"] = (
            np.array(["", "Oc", "Oe"], dtype=object)[shells["oxygen_type"].to_numpy(np.intp)]
            if len(shells)
            else shells["oxygen_type"]
        )
        self.results.shells = shells.sort_values(["frame", "cation", "distance"]).reset_index(
            drop=True
        )
        self.results.n_cations = n_cat
        self._conclude_distributions(per_frame, codes, names)
        self._conclude_by_type(per_frame, labels, edges)

    def _conclude_distributions(self, per_frame, codes, names):
        counts = per_frame["_counts"]
        total = counts.sum(axis=2)

        def distribution(values):
            if values.size == 0:
                return {}
            tally = np.bincount(values.ravel())
            return {int(n): float(c / values.size) for n, c in enumerate(tally) if c}

        self.results.cn_distribution = {n: distribution(counts[..., k])
                                        for k, n in enumerate(names)}
        self.results.cn_distribution["total"] = distribution(total)
        self.results.cn_distribution_by_class = {
            c: distribution(total[codes == k]) for k, c in enumerate(CLASSES)
        }
        sizes = per_frame["_ssip_network_size"]
        ssip = codes == 0
        networked = ssip & (sizes > 1)
        isolated = ssip & (sizes == 1)
        n_ssip = int(ssip.sum())
        self.results.ssip_networks = {
            "fraction_in_networks": float(networked.sum() / n_ssip) if n_ssip else None,
            "sizes": distribution(sizes[ssip]),
            "cn_distribution": {"network": distribution(total[networked]),
                                "isolated": distribution(total[isolated])},
            "composition": {
                where: {n: (float(counts[..., k][mask].mean()) if mask.any() else None)
                        for k, n in enumerate(names)}
                for where, mask in (("network", networked), ("isolated", isolated))
            },
            "n_ssip": n_ssip,
        }

    def _conclude_by_type(self, per_frame, labels, angle_edges):
        edges = self._type_edges
        shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
        volume = float(per_frame["_volume"].mean())
        n_shells = Counter(labels.ravel().tolist())
        sums = {}
        for name, kind, hist in per_frame["_type_rdf_rows"]:
            key = (name, kind)
            sums[key] = sums.get(key, 0) + hist
        angles = {}
        for name, kind, values in per_frame["_type_angle_rows"]:
            angles.setdefault((name, kind), []).append(values)
        self.results.by_type_bins = 0.5 * (edges[1:] + edges[:-1])
        by_type = {}
        for name, count in n_shells.most_common():
            entry = {"n_shells": int(count), "rdf": {}, "cn": {}, "angles": {}}
            for kind, ix in self._oxygen_ix.items():
                hist = sums.get((name, kind), np.zeros(edges.size - 1, dtype=np.intp))
                density = ix.size / volume
                entry["rdf"][kind] = hist / (count * density * shell) if ix.size else None
                entry["cn"][kind] = np.cumsum(hist) / count
            for kind in ("Oc-M-Oc", "M-Oc-Cc"):
                chunks = angles.get((name, kind), [])
                values = np.concatenate(chunks) if chunks else np.empty(0)
                hist = np.histogram(values, bins=angle_edges)[0].astype(float)
                entry["angles"][kind] = {
                    "density": hist / (hist.sum() * np.diff(angle_edges)) if values.size else hist,
                    "mean": float(values.mean()) if values.size else None,
                    "n": int(values.size),
                }
            by_type[name] = entry
        self.results.by_type = by_type

    def plot_by_type(self, labels=None, n_labels=3):
        """Cation–Oc/Oe RDFs and angle distributions per shell label (Ju et al. 2025 Fig. 4).

        Parameters
        ----------
        labels : list of str, optional
            Shell labels to show (default: the ``n_labels`` most common).
        n_labels : int

        Returns
        -------
        matplotlib.figure.Figure
        """
        return _plot_by_type(self.results, labels, n_labels)

    def plot(self, n_labels=10):
        """Bar charts of the class fractions and of the most common shell labels.

        Parameters
        ----------
        n_labels : int
            How many labels to show.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        if "fractions" not in self.results:
            raise RuntimeError("run() the analysis before plot()")
        fig, (ax1, ax2) = plt.subplots(
            1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 2.5]}
        )
        ax1.bar(
            list(self.results.fractions),
            list(self.results.fractions.values()),
            color=["C0", "C1", "C3"],
        )
        ax1.set_ylabel("fraction of shells")
        ax1.set_title(f"classes ({self.results.convention})", fontsize=9)
        items = list(self.results.labels.items())[:n_labels]
        ax2.barh([k for k, _ in items][::-1], [v for _, v in items][::-1], color="C2")
        ax2.set_xlabel("fraction of shells")
        ax2.set_title("shell labels", fontsize=9)
        fig.tight_layout()
        return fig


def _plot_by_type(results, labels=None, n_labels=3):
    import matplotlib.pyplot as plt

    if "by_type" not in results:
        raise RuntimeError("run() the analysis before plot_by_type()")
    names = list(results.by_type)[:n_labels] if labels is None else list(labels)
    unknown = [n for n in names if n not in results.by_type]
    if unknown:
        raise KeyError(f"unknown shell labels {unknown}; known: {list(results.by_type)}")
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    r = results.by_type_bins
    angle_bins = results.angles["Oc-M-Oc"]["bins"]
    for k, name in enumerate(names):
        entry = results.by_type[name]
        for kind, style in (("M-Oc", "-"), ("M-Oe", "--")):
            if entry["rdf"][kind] is not None:
                axes[0].plot(r, entry["rdf"][kind], style, color=f"C{k}", label=f"{name} {kind}")
        for ax, kind in ((axes[1], "Oc-M-Oc"), (axes[2], "M-Oc-Cc")):
            ax.plot(angle_bins, entry["angles"][kind]["density"], color=f"C{k}", label=name)
    axes[0].set_xlabel("r (Å)")
    axes[0].set_ylabel("g(r)")
    for ax, kind in ((axes[1], "Oc-M-Oc"), (axes[2], "M-Oc-Cc")):
        ax.set_xlabel(f"{kind} angle (degrees)")
        ax.set_ylabel("density (1/degree)")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _bins(values, edges):
    """Bin of every value as :func:`numpy.histogram` assigns it (values inside the edges)."""
    index = np.searchsorted(edges, values, side="right") - 1
    # the last edge belongs to the last bin
    return np.minimum(index, edges.size - 2)


def _angle(u, v):
    cos = np.einsum("ij,ij->i", u, v) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


_CATIONS = ("Li", "Na", "K")


def _species_name(residue):
    name = getattr(residue, "resname", "") or ""
    if name:
        return name
    counts = Counter(residue.atoms.elements)
    return "".join(f"{e}{counts[e] if counts[e] > 1 else ''}" for e in sorted(counts))


@register_analysis("solvation_shells", needs=("box",))
def _report(universe, outdir, *, calculator=None, verbose=False):
    """Shell classes and labels of the Li/Na/K cations for ``electrolyte analyze``.

    Cations are single-atom Li/Na/K residues; anions are residues with negative total formal
    charge (the topology needs ``formalcharges``); everything else is solvent, grouped by residue
    name (or composition).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not hasattr(universe.atoms, "elements"):
        return {"skipped": "no element symbols in the topology"}
    single = [
        r for r in universe.residues if r.atoms.n_atoms == 1 and r.atoms[0].element in _CATIONS
    ]
    if not single:
        return {"skipped": "no single-atom Li/Na/K residues"}
    symbol = Counter(r.atoms[0].element for r in single).most_common(1)[0][0]
    cations = sum(r.atoms for r in single if r.atoms[0].element == symbol)
    if not hasattr(universe.atoms, "formalcharges"):
        return {"skipped": "no formal charges in the topology to tell anions from solvents"}
    anions, solvents = {}, {}
    for residue in universe.residues:
        if residue.atoms.n_atoms == 1 and residue.atoms[0].element in _CATIONS:
            continue
        name = _species_name(residue)
        target = anions if residue.atoms.formalcharges.sum() < 0 else solvents
        target[name] = target[name] + residue.atoms if name in target else residue.atoms
    # a short run or a single cation gives RDFs too noisy to have a first minimum; for Li such a
    # species falls back to Ju et al. (2025)'s donor-atom cutoffs (Li–O 2.6 Å, Li–P 4.2 Å)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        shells = SolvationShells(cations, anions, solvents, verbose=verbose,
                                 no_minimum="preset" if symbol == "Li" else "raise").run()
    notes = {name: d["note"] for name, d in shells.results.cutoff_details.items()}
    cutoff_warnings = [str(w.message) for w in caught if "shell cutoff" in str(w.message)]
    fallbacks = [
        notes[name] for name, src in shells.results.cutoff_source.items()
        if src == "preset_fallback"
    ]
    fig = shells.plot()
    fig.savefig(outdir / "solvation_shells.png", dpi=120)
    plt.close(fig)
    return {
        "cation": symbol,
        "convention": shells.results.convention,
        "cutoffs_angstrom": shells.results.cutoffs,
        "cutoff_source": shells.results.cutoff_source,
        "fractions": shells.results.fractions,
        "labels": dict(list(shells.results.labels.items())[:20]),
        "coordination_numbers": shells.results.coordination_numbers,
        "pairing": shells.results.pairing,
        "free_cation_fraction": shells.results.free_cation_fraction,
        "free_ion_fraction": shells.results.free_ion_fraction,
        "network_sizes": {str(k): v for k, v in shells.results.network_sizes.items()},
        "ssip_fraction_in_networks": shells.results.ssip_networks["fraction_in_networks"],
        "cn_distribution_total": {
            str(k): v for k, v in shells.results.cn_distribution["total"].items()
        },
        "angles_mean_degrees": {k: v["mean"] for k, v in shells.results.angles.items()},
        "cutoff_notes": notes,
        **({"cutoff_note": "; ".join(fallbacks)} if fallbacks else {}),
        "cutoff_warnings": cutoff_warnings,
        "shell_atoms": shells.results.shell_atoms,
        "png": "solvation_shells.png",
    }
