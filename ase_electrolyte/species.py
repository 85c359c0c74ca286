"""The molecules and salts of liquid electrolytes, by name: SMILES, formula, mass and charge.

The built-in library covers the solvents and salts of the source papers (Ju et al. 2025: cyclic and
linear carbonates, ethers, esters; LiPF6, LiFSI, LiTFSI, NaPF6, KPF6) and other common ones
(diglyme, water; LiBF4, LiClO4, LiDFOB, LiBOB), so that boxes read from other
programs' files name and charge them (:func:`species_from_formula`). Any other molecule is a
:class:`Species` made from a SMILES string, and any other salt a :class:`Salt` of two species.

Examples
--------
>>> from ase_electrolyte.species import get_species, get_salt
>>> get_species("EMC").formula
'C4H8O3'
>>> salt = get_salt("LiTFSI")
>>> salt.cation.name, salt.anion.name, salt.anion.charge
('Li', 'TFSI', -1)
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

import numpy as np
from ase.data import atomic_masses, atomic_numbers, vdw_radii

from .atoms_checks import check_number
from .units import convert

__all__ = [
    "Species",
    "Salt",
    "SOLVENTS",
    "IONS",
    "SALTS",
    "get_species",
    "get_salt",
    "species_from_formula",
    "parse_shares",
    "salt_mixture",
    "mixture_ion_counts",
    "LIQUID_DENSITIES",
    "SALT_VOLUMES",
    "ROTAMER_ENTHALPIES",
]


def _rdkit():
    try:
        from rdkit import Chem
    except ImportError as err:  # pragma: no cover - rdkit is a declared dependency of `build`
        raise ImportError(
            "SMILES species need RDKit: pip install rdkit (extra 'build' of ase-electrolyte)"
        ) from err
    return Chem


@dataclass(frozen=True)
class Species:
    """One molecule or ion, defined by its SMILES string.

    Parameters
    ----------
    name : str
        Name used for residues and reports (``"EC"``, ``"PF6"``); ASCII letters, digits, ``_``
        and ``-`` only.
    smiles : str
        SMILES with explicit formal charges on charged atoms (``"F[P-](F)(F)(F)(F)F"``).
        Hydrogens are added.
    charge : int, optional
        Net charge in e; checked against the SMILES' formal charges when given.
    description : str, optional

    Raises
    ------
    ValueError
        If RDKit rejects the SMILES, the name is unusable, or ``charge`` disagrees with the SMILES.
    """

    name: str
    smiles: str
    charge: int | None = None
    description: str = field(default="", compare=False)

    def __post_init__(self):
        # ASCII: extended XYZ wrote 'ÉC' of info['composition'] back as 'u00c9C', another
        # species' name
        if not isinstance(self.name, str) or not self.name or not all(
            c.isascii() and (c.isalnum() or c in "_-") for c in self.name
        ):
            raise ValueError(f"species name {self.name!r}: use ASCII letters, digits, '_' or "
                             "'-'")
        if not isinstance(self.smiles, str):
            raise ValueError(f"species {self.name}: the SMILES must be a str, not {self.smiles!r}")
        mol = self.rdkit_mol  # validates the SMILES
        if mol.GetNumAtoms() == 0:
            # "" parses as a molecule of no atoms: zero atoms per molecule downstream
            raise ValueError(f"species {self.name}: the SMILES {self.smiles!r} holds no atom")
        unknown = sorted({a.GetSymbol() for a in mol.GetAtoms() if a.GetAtomicNum() == 0})
        if unknown:
            # a dummy/attachment atom ('*', 'R') has no element: mass, radius and the model
            # failed later with KeyError '*'
            raise ValueError(
                f"species {self.name}: SMILES {self.smiles!r} holds atoms without an element "
                f"({', '.join(unknown)}); write the full molecule"
            )
        isotopes = sorted({f"{a.GetIsotope()}{a.GetSymbol()}" for a in mol.GetAtoms()
                           if a.GetIsotope()})
        if isotopes:
            # masses, densities and molalities use the standard atomic masses: D2O given as
            # [2H]O[2H] was 18.015 g/mol
            raise ValueError(
                f"species {self.name}: SMILES {self.smiles!r} names isotopes "
                f"({', '.join(isotopes)}), which the library's masses ignore; write the element "
                "(heavier hydrogen in MD: hydrogen_mass=)"
            )
        radicals = sorted({a.GetSymbol() for a in mol.GetAtoms() if a.GetNumRadicalElectrons()})
        if radicals:
            # '[Li]' for '[Li+]' made a neutral lithium atom (charge 0: a salt of it could not be
            # neutral, a box of it had no ion); '[CH3]' a methyl radical, not methane. A bracket
            # atom gets no implicit hydrogens, so its unfilled valence became unpaired electrons
            raise ValueError(
                f"species {self.name}: SMILES {self.smiles!r} leaves unpaired electrons on "
                f"{', '.join(radicals)} (a radical or a neutral atom); an electrolyte species is "
                "closed-shell: write the ion's charge ('[Li+]', not '[Li]') or the hydrogens of "
                "a bracket atom ('[CH4]' or 'C', not '[CH3]')"
            )
        fragments = _rdkit().GetMolFrags(mol)
        if len(fragments) > 1:
            # one species is one molecule: its atoms share a molecule_index and are packed rigidly
            raise ValueError(
                f"species {self.name}: SMILES {self.smiles!r} holds {len(fragments)} separate "
                "molecules ('.'); give each its own Species (a salt: Salt(name, cation, anion))"
            )
        net = sum(a.GetFormalCharge() for a in mol.GetAtoms())
        if self.charge is None:
            object.__setattr__(self, "charge", int(net))
            return
        # 0.5 was taken for 0 and "0" stored as a string, which later sums and formats fail on
        charge = check_number(f"charge of species {self.name} (e)", self.charge, integer=True)
        object.__setattr__(self, "charge", charge)
        if charge != net:
            raise ValueError(
                f"species {self.name}: charge={self.charge} but SMILES {self.smiles!r} has net "
                f"formal charge {net}; put the charge on an atom in the SMILES, e.g. [N-]"
            )

    @cached_property
    def rdkit_mol(self):
        """The RDKit molecule with explicit hydrogens (no conformer)."""
        Chem = _rdkit()
        mol = Chem.MolFromSmiles(self.smiles)
        if mol is None:
            raise ValueError(f"RDKit rejects the SMILES {self.smiles!r} of species {self.name!r}")
        return Chem.AddHs(mol)

    @cached_property
    def symbols(self):
        """Chemical symbols in the atom order of :attr:`rdkit_mol` (a tuple: the library's
        species are shared, and a list changed in place changed every later box's atoms)."""
        return tuple(a.GetSymbol() for a in self.rdkit_mol.GetAtoms())

    @cached_property
    def atomic_formal_charges(self):
        """Formal charge (e) of every atom, in the order of :attr:`symbols` (read-only)."""
        charges = np.array([a.GetFormalCharge() for a in self.rdkit_mol.GetAtoms()],
                           dtype=np.int64)
        charges.flags.writeable = False
        return charges

    @property
    def n_atoms(self):
        """Atoms of one molecule or ion (``len(symbols)``)."""
        return len(self.symbols)

    @cached_property
    def formula(self):
        """Hill formula (``"C3H4O3"``)."""
        return hill_formula(self.symbols)

    @cached_property
    def mass(self):
        """Molar mass in g/mol (ASE's standard atomic masses)."""
        return float(sum(atomic_masses[atomic_numbers[s]] for s in self.symbols))

    @cached_property
    def vdw_volume(self):
        """Sum of the atomic van der Waals sphere volumes, Å³ (Bondi radii, ``ase.data``).

        This is Ju et al.'s (2025) V0 per molecule: the spheres are added, not merged.
        """
        radii = np.array([vdw_radii[atomic_numbers[s]] for s in self.symbols])
        if not np.all(np.isfinite(radii)):
            missing = sorted(
                {s for s, r in zip(self.symbols, radii, strict=True) if not np.isfinite(r)}
            )
            raise ValueError(f"no van der Waals radius for {missing} in ase.data.vdw_radii")
        return float(4.0 / 3.0 * math.pi * np.sum(radii**3))

    @cached_property
    def carbonyl_dihedrals(self):
        """The O=C–O–C dihedrals (atom indices) of the molecule's open-chain esters and carbonates.

        Each is one carbonyl oxygen, its carbon, an ether oxygen bonded to it and that oxygen's
        other carbon, none of them in a ring: the two of a linear carbonate (DMC, EMC, DEC),
        the one of an ester (EA). Their cis (syn, about 0°) and trans (anti, about 180°)
        rotamers are separated by a barrier of about 0.4 eV that MD does not cross in its
        nanoseconds, so a box starts from their Boltzmann ratio (Ju et al. 2025,
        :func:`ase_electrolyte.build.electrolyte_box`). Cyclic carbonates and lactones (EC, GBL)
        have none: their ring fixes the dihedral. Sorted by the ether oxygen's index.
        """
        Chem = _rdkit()
        pattern = Chem.MolFromSmarts("[OX1]=[CX3;!R]-[OX2;!R]-[#6]")
        return tuple(sorted(self.rdkit_mol.GetSubstructMatches(pattern), key=lambda m: m[2]))

    @cached_property
    def is_chiral(self):
        """True when the molecule has a stereocentre (PC, FEC, DFEC)."""
        Chem = _rdkit()
        return bool(Chem.FindMolChiralCenters(self.rdkit_mol, includeUnassigned=True))

    @cached_property
    def is_racemic(self):
        """True when the SMILES leaves the handedness open: packed as a racemic mixture.

        A molecule with stereocentres none of which the SMILES fixes: unassigned ones
        (``"CC1COC(=O)O1"``, PC) or those of a racemic (``&``) group of an enhanced-stereo
        CXSMILES (``"O=C1O[C@@H](F)[C@H](F)O1 |&1:3,5|"``, trans-DFEC). A SMILES that fixes
        a stereocentre (``"C[C@@H]1COC(=O)O1"``, one enantiomer of PC) is packed as written:
        half of its molecules were packed mirrored, the other enantiomer.
        """
        Chem = _rdkit()
        mol = self.rdkit_mol
        centres = Chem.FindMolChiralCenters(mol, includeUnassigned=True)
        racemic = {a.GetIdx() for group in mol.GetStereoGroups()
                   if group.GetGroupType() == Chem.StereoGroupType.STEREO_AND
                   for a in group.GetAtoms()}
        return bool(centres) and all(tag == "?" or i in racemic for i, tag in centres)


@dataclass(frozen=True)
class Salt:
    """A salt of one cation and one anion, in the neutral stoichiometry of their charges.

    Parameters
    ----------
    name : str
        Name used in messages and plans (``"LiPF6"``); ASCII letters, digits, ``_`` and ``-``
        only, as a :class:`Species` name. A library salt's name (:data:`SALTS`) names that
        salt's ions only.
    cation, anion : Species
        ``cation.charge > 0 > anion.charge`` (or a library name of one).

    Raises
    ------
    ValueError
        If the name is unusable or a library salt's with other ions, or the charges cannot
        make a neutral salt.
    """

    name: str
    cation: Species
    anion: Species

    def __post_init__(self):
        # None, '' and 'Li PF6 !' were taken: messages said "salt None", and the name a plan or
        # a table shows was none
        if not isinstance(self.name, str) or not self.name or not all(
            c.isascii() and (c.isalnum() or c in "_-") for c in self.name
        ):
            raise ValueError(f"salt name {self.name!r}: use ASCII letters, digits, '_' or '-'")
        for role in ("cation", "anion"):
            # a library name is as good as its Species; anything else would fail on .charge
            if not isinstance(getattr(self, role), Species):
                object.__setattr__(self, role, get_species(getattr(self, role)))
        if not (self.cation.charge > 0 and self.anion.charge < 0):
            raise ValueError(
                f"salt {self.name} cannot be neutral: cation {self.cation.name} has charge "
                f"{self.cation.charge:+d} and anion {self.anion.name} {self.anion.charge:+d} "
                "(need cation > 0 > anion)"
            )
        library = globals().get("SALTS", {}).get(self.name)
        if library is not None and (library.cation, library.anion) != (self.cation,
                                                                       self.anion):
            # Salt("LiFSI", "Li", "PF6") packed LiPF6 under the name of LiFSI, which every
            # message and plan label then said
            # an ion that is the library's molecule written otherwise ("[Li+1]", a name of
            # its own) was told "the library's Li+ PF6- salt, not Li PF6": the difference is
            # the Species, which the message must name
            differ = []
            for role, mine, theirs in (("cation", self.cation, library.cation),
                                       ("anion", self.anion, library.anion)):
                if mine == theirs:
                    continue
                same = _library_counterpart(mine) == theirs
                differ.append(
                    f"its {role} Species({mine.name!r}, {mine.smiles!r}) is "
                    + (f"the library's {theirs.name} under another "
                       f"{'spelling' if mine.name == theirs.name else 'name'}" if same else
                       f"not the library's {theirs.name} ({theirs.smiles!r})"))
            raise ValueError(
                f"salt name {self.name!r} is the library's salt of {library.cation.name} "
                f"({library.cation.smiles!r}) and {library.anion.name} "
                f"({library.anion.smiles!r}); {' and '.join(differ)}: give the library's "
                f"ions (get_salt({self.name!r})) or name this salt otherwise")

    @property
    def stoichiometry(self):
        """(cations, anions) per formula unit, e.g. (1, 1) for LiPF6."""
        g = math.gcd(self.cation.charge, -self.anion.charge)
        return (-self.anion.charge // g, self.cation.charge // g)

    @property
    def mass(self):
        """Molar mass of one formula unit, g/mol."""
        n_c, n_a = self.stoichiometry
        return n_c * self.cation.mass + n_a * self.anion.mass


def hill_formula(symbols):
    """Hill-order formula string of a list of chemical symbols."""
    counts = Counter(symbols)
    if "C" in counts:
        order = ["C"] + (["H"] if "H" in counts else []) + sorted(set(counts) - {"C", "H"})
    else:
        order = sorted(counts)
    return "".join(s + (str(counts[s]) if counts[s] > 1 else "") for s in order)


_SOLVENT_TABLE = [
    ("EC", "O=C1OCCO1", "ethylene carbonate"),
    ("PC", "CC1COC(=O)O1", "propylene carbonate"),
    ("VC", "O=C1OC=CO1", "vinylene carbonate"),
    ("FEC", "O=C1OCC(F)O1", "fluoroethylene carbonate"),
    # the racemic trans isomer (Ju et al. 2025): both enantiomers, "&1" of CXSMILES
    ("DFEC", "O=C1O[C@@H](F)[C@H](F)O1 |&1:3,5|", "trans-4,5-difluoroethylene carbonate"),
    # the linear carbonates and the ester have O=C-O-C rotamers (Species.carbonyl_dihedrals):
    # boxes draw them from their Boltzmann ratio (Ju et al. 2025)
    ("DMC", "COC(=O)OC", "dimethyl carbonate"),
    ("EMC", "CCOC(=O)OC", "ethyl methyl carbonate"),
    ("DEC", "CCOC(=O)OCC", "diethyl carbonate"),
    ("DME", "COCCOC", "1,2-dimethoxyethane"),
    ("DEE", "CCOCCOCC", "1,2-diethoxyethane"),
    ("EA", "CCOC(C)=O", "ethyl acetate"),
    ("GBL", "O=C1CCCO1", "gamma-butyrolactone"),
    # beyond the source papers: common in electrolytes read from other programs' files, where
    # molecules are named (and charged) by their composition
    ("G2", "COCCOCCOC", "diglyme"),
    ("H2O", "O", "water"),
]
_ION_TABLE = [
    ("Li", "[Li+]", "lithium cation"),
    ("Na", "[Na+]", "sodium cation"),
    ("K", "[K+]", "potassium cation"),
    ("PF6", "F[P-](F)(F)(F)(F)F", "hexafluorophosphate"),
    ("FSI", "FS(=O)(=O)[N-]S(=O)(=O)F", "bis(fluorosulfonyl)imide"),
    ("TFSI", "FC(F)(F)S(=O)(=O)[N-]S(=O)(=O)C(F)(F)F", "bis(trifluoromethanesulfonyl)imide"),
    ("BF4", "F[B-](F)(F)F", "tetrafluoroborate"),
    ("ClO4", "[O-]Cl(=O)(=O)=O", "perchlorate"),
    ("DFOB", "O=C1O[B-](F)(F)OC1=O", "difluoro(oxalato)borate"),
    ("BOB", "O=C1O[B-]2(OC1=O)OC(=O)C(=O)O2", "bis(oxalato)borate"),
]
_SALT_TABLE = [
    ("LiPF6", "Li", "PF6"),
    ("LiFSI", "Li", "FSI"),
    ("LiTFSI", "Li", "TFSI"),
    ("NaPF6", "Na", "PF6"),
    ("KPF6", "K", "PF6"),
    ("LiBF4", "Li", "BF4"),
    ("LiClO4", "Li", "ClO4"),
    ("LiDFOB", "Li", "DFOB"),
    ("LiBOB", "Li", "BOB"),
]

_XU_2004 = (
    "K. Xu, Nonaqueous liquid electrolytes for lithium-based rechargeable batteries, "
    "Chem. Rev. 104, 4303-4417 (2004), Table 1"
)
# the ethers are in the paper's Table 2 (Table 1 holds the carbonates and esters)
_XU_2004_ETHERS = _XU_2004.replace("Table 1", "Table 2")
# Xu's Table 1 lists GBL at 1.199 g/cm³ and EA at 0.902 g/cm³: no measurement at 25 °C supports
# the first (a GBL box started 6.6 % too dense), and the second is the 20 °C density (0.8 % at
# 25 °C). Both are taken from measurements of the pure liquids at 298.15 K instead. GBL's
# 1.125 g/cm³ is the middle of the reported 298.15 K values (about 1.124-1.129 g/cm³); its
# digits were not read off Ritzoulis et al.'s table, only their method and temperature.
_RITZOULIS_2000 = (
    "G. Ritzoulis, D. Missopolinou, S. Doulami and C. Panayiotou, Relative permittivities, "
    "densities, refractive indices and ultrasound velocities of the binary systems of "
    "gamma-butyrolactone with methanol, ethanol, 1-butanol and 1-octanol, J. Chem. Eng. Data 45, "
    "636-641 (2000): pure gamma-butyrolactone at 298.15 K (vibrating-tube densimeter)"
)
_GONZALEZ_2007 = (
    "B. Gonzalez, N. Calvar, E. Gomez and A. Dominguez, Density, dynamic viscosity, and derived "
    "properties of binary mixtures of methanol or ethanol with water, ethyl acetate, and methyl "
    "acetate at T = (293.15, 298.15, and 303.15) K, J. Chem. Thermodyn. 39, 1578-1588 (2007): "
    "pure ethyl acetate at 298.15 K"
)
# IAPWS-95 at 298.15 K and 0.101325 MPa: 997.05 kg/m³ (the VDI Heat Atlas' PPDS correlation
# gives 997.27 kg/m³, 0.02 % above)
_WAGNER_PRUSS_2002 = (
    "W. Wagner and A. Pruss, The IAPWS formulation 1995 for the thermodynamic properties of "
    "ordinary water substance for general and scientific use, J. Phys. Chem. Ref. Data 31, "
    "387-535 (2002): liquid water at 298.15 K and 0.101325 MPa"
)
# VC and DEE: the supplier's catalogue value "at 25 °C (lit.)"; each agrees with the pure
# liquid's 20 °C density less the usual 0.001 g/cm³/K of these liquids' expansion. The same
# catalogues give diglyme 0.943-0.944 g/mL, its 20 °C density: vibrating-tube measurements at
# 298.15 K lie at 0.938-0.939 g/cm³ (as for GBL above, the middle of the reported values).
_SIGMA_ALDRICH = "Sigma-Aldrich product specification: density at 25 °C (lit.)"
_COMUNAS_2003 = (
    "M. J. P. Comuñas, A. Baylaucq, C. Boned and J. Fernández, Volumetric properties of "
    "monoethylene glycol dimethyl ether and diethylene glycol dimethyl ether up to 60 MPa, "
    "J. Chem. Eng. Data 48, 1044-1049 (2003): pure diglyme at 298.15 K and 0.1 MPa "
    "(vibrating-tube densimeter)"
)
# FEC and DFEC have no entry: no measured density of the pure liquid at a stated temperature
# whose digits could be checked against a second source was found (FEC is quoted at 1.45 to
# 1.49 g/cm³, a spread larger than ideal mixing's own error); estimate_density refuses them by
# name and electrolyte_box takes density= or the van der Waals rule.


class _LiquidDensity(NamedTuple):
    """One record of :data:`LIQUID_DENSITIES`: a measured density, its standard uncertainty as
    the density of the liquid at 25 °C, the temperature it was measured at, and its source."""

    value_g_cm3: float
    error_g_cm3: float
    temperature_K: float
    source: str


# The errors are standard uncertainties as densities of the liquid at 25 °C, for
# estimate_density's error; sized by the kind of source, not fitted. Vibrating-tube values at
# 298.15 K (diglyme: 0.938-0.939 reported, EA): 0.001; water's IAPWS-95: 0.0001; GBL the
# half-width of its reported range (1.124-1.129). Xu's (2004) three-digit carbonates: 0.002,
# two units of the last digit. DME's two digits (0.86): half the last one. VC and DEE are
# supplier values whose digits were not checked against a measurement: 0.005. EC is the molten
# liquid's at 40 °C standing for EC in a 25 °C mixture, 15 K away at its expansion of about
# 0.001 g/cm³/K: 0.015, the whole of that shift (0.01 held two thirds of it). Supercooled EC at
# 25 °C would be the denser, but no sourced expansion coefficient is kept here to correct by.
#: Measured densities of the pure liquid solvents: name → named tuple
#: ``(value_g_cm3, error_g_cm3, temperature_K, source)``: the density in g/cm³, its standard
#: uncertainty in g/cm³ as the density of the liquid at 25 °C (the temperature
#: :func:`ase_electrolyte.build.estimate_density` takes every value at), the temperature in K
#: it was measured at, and the citation. EC's is the molten liquid's at 313.15 K (EC melts at
#: 36 °C), its error sized to hold the 15 K to 25 °C. Used for starting densities of
#: mixtures (:func:`ase_electrolyte.build.estimate_density`) and for volume ratios
#: (:func:`ase_electrolyte.build.composition_counts`); solvents missing here fall back to the
#: van der Waals box rule.
LIQUID_DENSITIES = {
    "EC": _LiquidDensity(1.321, 0.015, 313.15,
                         _XU_2004 + " (EC melts at 36 °C; value at 40 °C)"),
    "PC": _LiquidDensity(1.200, 0.002, 298.15, _XU_2004),
    "VC": _LiquidDensity(1.355, 0.005, 298.15, "vinylene carbonate, " + _SIGMA_ALDRICH),
    "DMC": _LiquidDensity(1.063, 0.002, 298.15, _XU_2004),
    "EMC": _LiquidDensity(1.006, 0.002, 298.15, _XU_2004),
    "DEC": _LiquidDensity(0.969, 0.002, 298.15, _XU_2004),
    "DME": _LiquidDensity(0.86, 0.005, 298.15, _XU_2004_ETHERS),
    "DEE": _LiquidDensity(0.842, 0.005, 298.15, "1,2-diethoxyethane, " + _SIGMA_ALDRICH),
    "G2": _LiquidDensity(0.939, 0.001, 298.15, _COMUNAS_2003),
    "EA": _LiquidDensity(0.894, 0.001, 298.15, _GONZALEZ_2007),
    "GBL": _LiquidDensity(1.125, 0.003, 298.15, _RITZOULIS_2000),
    "H2O": _LiquidDensity(0.99705, 0.0001, 298.15, _WAGNER_PRUSS_2002),
}

# The van der Waals rule (summed atomic spheres, box edge x1.1) gives LiPF6 104 cm³/mol: with
# it, 1 mol/L LiPF6 in EC:DMC 1:1 by mass started at 1.205 g/cm³ against the measured
# 1.29-1.30, and in EC:EMC 3:7 at 1.117 against about 1.20 (both 7 % low), because the ions
# contract the solvent around them (electrostriction) and fill its free volume. The volume that
# reproduces both measurements under ideal mixing with LIQUID_DENSITIES is 29.7 and 32.7
# cm³/mol (a change of 0.01 g/cm³ in either measurement moves it by 8-9 cm³/mol): 31 ± 5
# cm³/mol holds both to 0.5 %.
_LIPF6_SOLUTIONS = (
    "fitted under ideal mixing with LIQUID_DENSITIES to the measured densities of 1 mol/L "
    "LiPF6 in EC:DMC 1:1 by mass (1.29-1.30 g/cm³) and in EC:EMC 3:7 by mass (about "
    "1.20 g/cm³) at 25 °C, the standard electrolytes LP30 and LP57 as their suppliers state "
    "them; Xu (2004) reviews the solutions"
)
#: Volume a salt takes in a carbonate solution near 1 mol/L, per formula unit: name →
#: (cm³/mol, standard uncertainty in cm³/mol, source). It is an effective (apparent) molar
#: volume under the ideal mixing of :func:`ase_electrolyte.build.estimate_density`: it holds
#: the solvent's contraction around the ions, so it is far below the ions' van der Waals
#: volume. Salts missing here take the van der Waals rule, and the estimate warns.
SALT_VOLUMES = {
    "LiPF6": (31.0, 5.0, _LIPF6_SOLUTIONS),
}

_BOHETS_1999 = (
    "H. Bohets and B. J. van der Veken, On the conformational behavior of dimethyl carbonate, "
    "Phys. Chem. Chem. Phys. 1 (1999), doi:10.1039/A901046G: infrared and Raman band "
    "intensities against temperature"
)
#: Measured enthalpies of O=C–O–C rotamers (:attr:`Species.carbonyl_dihedrals`) above the
#: all-cis one: name → ``({rotamer label: (ΔH, standard uncertainty)}, phase, citation,
#: source)``, kcal/mol.
#: :func:`ase_electrolyte.electrolyte_box` weighs a library species' rotamers with them by
#: default (the rotamers not listed keep MMFF94's energies). DMC: cis-trans 8.0 ± 0.4 kJ/mol
#: above cis-cis in the pure liquid (Bohets and van der Veken 1999; 13.6 ± 0.9 kJ/mol in the
#: vapour; the near-trans–near-trans rotamer is not observed); Katon and Cohen (1975, Can. J.
#: Chem.) measured 2.6 ± 0.5 kcal/mol in the liquid, consistent within 1.4 standard errors.
#: MMFF94 puts it at 4.98 kcal/mol. No measured rotamer enthalpies of EMC, DEC or EA were
#: found: they keep MMFF94's.
ROTAMER_ENTHALPIES = {
    "DMC": ({"cis-trans": (convert(8.0, "kJ/mol", "kcal/mol"),
                           convert(0.4, "kJ/mol", "kcal/mol"))}, "pure liquid",
            "Bohets and van der Veken 1999", _BOHETS_1999),
}

#: Built-in solvents by name.
SOLVENTS = {n: Species(n, s, 0, d) for n, s, d in _SOLVENT_TABLE}
#: Built-in ions by name.
IONS = {n: Species(n, s, None, d) for n, s, d in _ION_TABLE}
#: Built-in salts by name.
SALTS = {n: Salt(n, IONS[c], IONS[a]) for n, c, a in _SALT_TABLE}


def parse_shares(text, what="solvent", default=None):
    """``"EC:3,EMC:7"`` or ``"EC=3,EMC=7"`` → ``{"EC": 3.0, "EMC": 7.0}``.

    The one reader of this notation (CLI ``--solvent``/``--counts`` and screening plans).

    Parameters
    ----------
    text : str
        Comma-separated ``NAME:NUMBER`` (or ``NAME=NUMBER``) items.
    what : str
        What the mapping is, for the error messages.
    default : float, optional
        Value of an item given without a number (``"EC"``, ``"EC,EMC"``) where no item has
        one; None: such an item is an error.

    Returns
    -------
    dict
        Name → number, in the order given (names as written, not resolved to species).

    Raises
    ------
    ValueError
        An item that does not parse, a number that is negative, NaN or infinite (also one
        that overflows, ``"EC:1e400"``), a name given twice (its earlier number would be lost), an
        empty item between commas, no item at all, or items without a number beside items with
        one (``"EC:3,EMC"``: a share forgotten).

    The papers' spelling, the names joined by ``:`` or ``/`` and then their numbers alike
    (``"EC:EMC 3:7"``, ``"EC/DMC 1/1"``), is the same mapping; a number per name.

    Examples
    --------
    >>> parse_shares("EC:3, EMC:7")
    {'EC': 3.0, 'EMC': 7.0}
    >>> parse_shares("EC:EMC 3:7")
    {'EC': 3.0, 'EMC': 7.0}
    """
    # the example of the right notation, of the kind of mapping given: molecule counts are
    # no solvent shares
    counts = str(what).lstrip("-").startswith("count")
    example, notation = ("EC=30,Li=3,PF6=3", "NAME=NUMBER") if counts else ("EC:3,EMC:7",
                                                                              "NAME:NUMBER")
    if not isinstance(text, str):
        # str(None) was parsed as the entry 'None' ("bad solvent entry 'None' in None"), a
        # number as an entry without a name
        given = "nothing (None)" if text is None else f"{type(text).__name__} {text!r:.60}"
        raise ValueError(
            f"{what} must be text of comma-separated {notation} items, e.g. {example!r}, not "
            f"{given}" + ("; where a dict is taken, {name: number} as well" if
                          not isinstance(text, dict) else
                          "; pass the dict itself where a dict is taken, not to parse_shares"))
    out = {}
    items = _comma_names([t.strip() for t in _paper_ratio(text, what, example).split(",")])
    # "EC:3,,EMC:7" or "EC:3," is a list with a hole: the missing item may be a lost species
    if len(items) > 1 and not all(items):
        raise ValueError(f"{what} {text!r} has an empty item between commas")
    for item in filter(None, items):
        sep = ":" if ":" in item else "="
        name, has_value, value = item.partition(sep)
        name = name.strip()
        if name in out:
            raise ValueError(f"{what} {name} is named twice in {text!r}")
        try:
            if not has_value and default is None:
                raise ValueError
            out[name] = float(value) if has_value else float(default)
        except ValueError:
            raise ValueError(
                f"bad {what} entry {item!r} in {text!r}; expected {notation}, e.g. {example}"
            ) from None
        if not name:
            raise ValueError(f"bad {what} entry {item!r} in {text!r}: no name")
        # "EC:1e400" read as inf, "EC:nan" as nan and "EC:-1" as -1.0 were returned, and
        # refused later as "got inf" (not the 1e400 written) or not at all
        if not (math.isfinite(out[name]) and out[name] >= 0):
            overflow = (" (it overflows a float)" if math.isinf(out[name])
                        and "inf" not in value.lower() else "")
            # a count may be 0 (none of that species); a share of 0 is refused by its user
            raise ValueError(
                f"{what} {'count' if counts else 'share'} of {name} must be a finite number "
                f"{'>= 0' if counts else '> 0'}, not {value.strip()}{overflow}, in {item!r} of "
                f"{text!r}; e.g. {example}")
        out[name] += 0.0  # "EC:-0" is a share of 0, not -0.0
        if 0 < out[name] < sys.float_info.min or (out[name] == 0 and _written_nonzero(value)):
            # "EC:1e-400" was read as a share of 0 and refused later as "got 0.0", a number
            # the user never wrote; a subnormal share keeps too few digits to be a ratio
            raise ValueError(
                f"{what} {'count' if counts else 'share'} of {name} {value.strip()} in "
                f"{item!r} of {text!r} underflows a float (smallest normal "
                f"{sys.float_info.min:.3g}); give the numbers on a common scale, e.g. {example}")
    if not math.isfinite(sum(out.values())):
        # shares are divided by their sum: "EC:1e308,EMC:1e308" sums to inf, each share NaN
        raise ValueError(f"the {what} numbers of {text!r} sum beyond the largest float "
                         f"({sys.float_info.max:.3g}); give them on a common scale, e.g. "
                         f"{example}")
    if not out:
        raise ValueError(f"empty {what}")
    bare = [t for t in filter(None, items) if ":" not in t and "=" not in t]
    if bare and len(bare) < len(out):
        # "EC:3,EMC" was EC:3,EMC:1 (the default share): a share left out of a mixture whose
        # other shares are given is one forgotten, not the default
        raise ValueError(
            f"{what} {text!r} gives the share of {', '.join(n for n in out if n not in bare)} "
            f"but not of {', '.join(bare)}: give every share, or none (equal shares)")
    return out


def _written_nonzero(value):
    """Whether the text of a number has a non-zero digit in its mantissa (``"1e-400"`` does,
    ``"0.0e5"`` does not)."""
    mantissa = re.split(r"[eE]", value.strip(), maxsplit=1)[0]
    return any(c in "123456789" for c in mantissa)


def _comma_names(items):
    """``items`` of a comma split with the pieces of a library name that holds commas joined
    again: ``"1,2-dimethoxyethane:1"`` (DME's description, which :func:`get_species` takes)
    was split into ``"1"`` and ``"2-dimethoxyethane:1"``, refused as "unknown species '1'"
    or a bad entry ``'1'``."""
    names = {k for k in _keys() if "," in k}
    names |= {_loose_key(k) for k in names}
    out, i = [], 0
    while i < len(items):
        for j in range(len(items), i + 1, -1):
            if any(":" in t or "=" in t for t in items[i:j - 1]):
                continue  # a name's pieces hold no number: only the last may
            joined = ",".join(items[i:j])
            name = re.split(r"[:=]", joined, maxsplit=1)[0]
            if name.strip() and (_lookup_key(name) in names
                                 or _loose_key(_lookup_key(name)) in names):
                out.append(joined)
                i = j
                break
        else:
            out.append(items[i])
            i += 1
    return out


#: The papers' "EC:EMC 3:7" (also "EC/DMC 1/1", "EC : EMC 3 : 7"): names joined by ":" or "/",
#: a blank, then as many numbers joined alike. A number is any word there (read by float()
#: with the own notation's checks): numbers that had to start with a digit or a dot left
#: "EC:EMC 3:-7", "nan:1" or "+1:1" unsplit, refused as one bad entry "expected NAME:NUMBER",
#: where "EC:-7" names the negative share and "EC:+1" is 1.
_PAPER_RATIO = re.compile(
    r"\s*(?P<names>[^\s\d:/,=][^,=]*?(?:\s*[:/]\s*[^\s\d:/,=][^,=:/]*?)+)\s+"
    r"(?P<numbers>[^\s:/,=]+(?:\s*[:/]\s*[^\s:/,=]+)+)\s*")


#: A ratio followed by its kind: "EC:EMC 3:7 (v/v)", "EC:DMC 1:1 by mass", "EC:3,EMC:7 wt%".
_RATIO_KIND = re.compile(r"(.*?\d)\s*(\(?\s*(?:[vwm]/[vwm]|wt\s*%?|vol\s*%?|mol\s*%?|by\s+"
                         r"(?:mass|weight|volume|moles?))\s*\)?)\s*", re.IGNORECASE)


def _paper_ratio(text, what, example):
    """``text`` in :func:`parse_shares`' own notation: the papers' ``"EC:EMC 3:7"`` as
    ``"EC:3,EMC:7"`` (it was refused as one bad entry, ``'EC:EMC 3:7'``), other text as it
    is."""
    kind = _RATIO_KIND.fullmatch(text)
    if kind is not None:
        # "(v/v)" was read as part of a share, refused as a bad entry: the kind of ratio is
        # an argument of its own, which a share must not silently drop
        raise ValueError(
            f"{what} {text!r}: the kind of ratio ({kind.group(2)!r}) is no share; give the "
            f"shares alone, {kind.group(1).strip()!r}, and the kind as ratio= ('mass', 'mole' "
            "or 'volume'; the command line's --ratio, a plan's ratio:)")
    found = _PAPER_RATIO.fullmatch(text)
    if found is None:
        return text
    names = [n.strip() for n in re.split(r"[:/]", found.group("names"))]
    numbers = [n.strip() for n in re.split(r"[:/]", found.group("numbers"))]
    if len(names) != len(numbers):
        raise ValueError(
            f"{what} {text!r} names {len(names)} species ({', '.join(names)}) but gives "
            f"{len(numbers)} numbers ({':'.join(numbers)}): give one number per name, e.g. "
            f"{example}")
    return ",".join(f"{n}:{x}" for n, x in zip(names, numbers, strict=True))


def get_species(name):
    """A :class:`Species` from the library by name, or ``name`` itself if it is a Species.

    Case, blanks, hyphens and underscores are ignored (``"ec"``, ``"E M C"``,
    ``"ethylene-carbonate"``), an ion may carry the sign of its charge
    (``"Li+"``, ``"PF6-"``, also as text copied from a paper writes it: ``"PF₆⁻"``, ``"Li⁺"``),
    and a library species may be named by its description (``"ethylene carbonate"``).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known species. A sign written twice
        (``"PF6--"``, ``"Li++"``, ``"Li+-"``) is no name of the library ion: two signs say
        another charge, and the message names the ion's own.
    """
    if isinstance(name, Species):
        return name
    if isinstance(name, str):
        for table in (SOLVENTS, IONS):
            if name in table:
                return table[name]
        found = _alias(name)
        if found is not None:
            return found
    hint = _what_it_may_be(name) or _close_matches(name, {k: v[0] for k, v in _keys().items()})
    raise ValueError(
        f"unknown species {name!r}{hint}; known solvents: "
        f"{', '.join(SOLVENTS)}; known ions: {', '.join(IONS)}; for anything else pass "
        "Species(name, smiles)"
    )


# the minus signs text copied from a paper carries (U+2212 and the dashes): "PF6−", "BF4–"
_MINUS_SIGNS = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d", "-"))


# the Greek letters of chemical names as the library's descriptions spell them: "γ-butyrolactone"
# (as papers write GBL) was unknown beside "gamma-butyrolactone"
_GREEK = str.maketrans({"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "Γ": "gamma"})


def _lookup_key(name):
    """``name`` as the library looks it up: compatibility characters as their plain ones
    (Unicode NFKC: "Li⁺" as "Li+", "LiPF₆" as "LiPF6", full-width letters), every minus sign
    as "-", blanks joined, lower case. "PF6-" was found and "PF6⁻" only hinted at."""
    import unicodedata

    text = unicodedata.normalize("NFKC", name).translate(_MINUS_SIGNS).translate(_GREEK)
    return " ".join(text.split()).lower()


def _alias(name):
    """The library species ``name`` means other than by its exact name, or None.

    Case and surrounding blanks are ignored (``"ec"``, ``" EMC"``), an ion may carry its
    charge's sign (``"Li+"``, ``"PF6-"``; the sign must match), and a species may be given by its
    description (``"ethylene carbonate"``).
    """
    key = _lookup_key(name)
    if _doubled_sign(key):
        # "PF6--" lost its second sign to the hyphens the loose key drops, and was PF6: a
        # charge of -2 misspelt, or a typo; neither is for the library to guess
        return None
    if len(key) > 1 and key[-1] in "+-":
        key = key[:-1].rstrip() + key[-1]  # "Li +" as "Li+"
    names = _keys().get(key) or _loose_keys().get(_loose_key(key))
    return {**SOLVENTS, **IONS}[names[0]] if names else None


#: Two signs in a row ("PF6--", "Li++", "Li+ -", "Li++PF6-"): a charge sign written twice.
_DOUBLED_SIGN = re.compile(r"[+-]\s*[+-]")


def _doubled_sign(key):
    """Whether a lookup key writes a charge sign twice in a row: one sign says an ion's
    charge (``"PF6-"``), two say another charge (``"PF6--"``: -2) or a typo, refused rather
    than read as the library ion (the loose key drops hyphens, so ``"PF6--"`` was PF6)."""
    return bool(_DOUBLED_SIGN.search(key))


def _loose_key(key, signs=False):
    """A lookup key (:func:`_lookup_key`) without its blanks, hyphens and underscores, as
    option_words.choice_word reads them alike: "E M C", "ethylene-carbonate", "G 2". An ion's
    trailing charge sign is kept ("PF6-"); ``signs=True`` drops every sign (a salt's ions
    written with theirs: "Li+ PF6-" is LiPF6)."""
    import re

    if signs:
        return re.sub(r"[\s_+-]", "", key)
    sign = key[-1] if len(key) > 1 and key[-1] in "+-" else ""
    return re.sub(r"[\s_-]", "", key[:-1] if sign else key) + sign


def _loose_keys():
    """:func:`_keys` by :func:`_loose_key`."""
    loose = {}
    for key, names in _keys().items():
        loose.setdefault(_loose_key(key), []).extend(names)
    return loose


def _quiet_smiles(text):
    """RDKit's molecule of ``text``, or None, without RDKit's parse errors on the terminal (a
    hint tries a name as SMILES; most names are none)."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        return _rdkit().MolFromSmiles(text)
    finally:
        RDLogger.EnableLog("rdApp.*")


def _what_it_may_be(name):
    """A hint for an unknown species name: a salt's name, or a SMILES (of a library species)."""
    if not isinstance(name, str) or not name:
        return ""
    key = _lookup_key(name)
    if key in {k.lower() for k in SALTS}:
        return f" ({name} is a salt: give it as salt=, its ions as species)"
    signs = re.search(r"[\s+-]+$", key)
    if signs and _doubled_sign(signs.group()):
        unsigned = _keys().get(key[:signs.start()].rstrip())
        sp = {**SOLVENTS, **IONS}[unsigned[0]] if unsigned else None
        if sp is not None:
            written = signs.group().count("+") - signs.group().count("-")
            said = (f"{written:+d}" if signs.group().count("+") * signs.group().count("-") == 0
                    else "no charge")
            if not sp.charge:
                return f" ({sp.name} is neutral: write {sp.name!r})"
            return (f" ({sp.name} has charge {sp.charge:+d}; the signs "
                    f"{''.join(signs.group().split())!r} say {said}: write {sp.name!r} or "
                    f"'{sp.name}{'+' if sp.charge > 0 else '-'}' (one sign))")
    if len(key) > 1 and key[-1] in "+-":
        unsigned = _keys().get(key[:-1].rstrip())
        sp = {**SOLVENTS, **IONS}[unsigned[0]] if unsigned else None
        if sp is not None:
            # 'PF6+' was only asked 'did you mean PF6?', as if it were a typo of the name
            if not sp.charge:
                return f" ({sp.name} is neutral: write {sp.name!r})"
            return (f" ({sp.name} has charge {sp.charge:+d}, not the sign {key[-1]}: write "
                    f"{sp.name!r} or '{sp.name}{'+' if sp.charge > 0 else '-'}')")
    formula = _formula_hint(name)
    if formula:
        return formula
    try:
        Chem = _rdkit()
    except ImportError:  # pragma: no cover - rdkit is a declared dependency of `build`
        return ""
    mol = _quiet_smiles(name)
    if mol is None:
        return ""
    canonical = Chem.MolToSmiles(mol)
    for sp in (*SOLVENTS.values(), *IONS.values()):
        # one atom too: "[Li+]" is the SMILES of Li
        if Chem.MolToSmiles(Chem.MolFromSmiles(sp.smiles)) == canonical:
            return f" (it is the SMILES of {sp.name}: use the name {sp.name!r})"
    if mol.GetNumAtoms() < 2:
        return ""  # "Xe" or "C" are read as SMILES too; only a molecule is worth the hint
    return f" (a SMILES? give it a name: Species('NAME', {name!r}))"


def _formula_hint(name):
    """A hint for a species given by its chemical formula (``"C3H4O3"``, ``"PF6"`` written as
    ``"F6P"``): the library species of that composition, or ``""``. A formula is no name: an
    isomer (1,4-dioxane, C4H8O2 as EA) has it too, so it is pointed to, not taken."""
    from ase.formula import Formula

    try:
        count = Formula(name.strip().rstrip("+-").rstrip(), strict=True).count()
    except ValueError:
        return ""
    sign = name.strip()[-1] if name.strip()[-1:] in ("+", "-") else ""
    for sp in (*SOLVENTS.values(), *IONS.values()):
        if Counter(sp.symbols) == Counter(count) and sign in ("", "+-"[sp.charge < 0]) \
                and (not sign or sp.charge):
            return (f" (it is the formula of {sp.name}: use the name {sp.name!r}; another "
                    f"molecule of this formula is Species('NAME', smiles))")
    return ""


def _keys():
    """Every name the library's species answer to (lower case, blanks joined): name,
    description, and an ion's name with its charge's sign."""
    keys = {}
    for sp in (*SOLVENTS.values(), *IONS.values()):
        words = [sp.name, sp.description]
        if sp.charge:
            words.append(sp.name + ("+" if sp.charge > 0 else "-"))
        for word in filter(None, words):
            keys.setdefault(" ".join(word.split()).lower(), []).append(sp.name)
    return keys


def _check_library_names():
    """Refuse, at import, a library in which one name, description or signed ion name means
    two species: the lookup would depend on the tables' order."""
    clash = {k: v for table in (_keys(), _loose_keys()) for k, v in table.items()
             if len(set(v)) > 1}
    if clash:
        raise RuntimeError(f"the species library names different species alike: {clash}")


def _close_matches(name, known):
    """`` (did you mean ...?)`` naming the library names closest to ``name``, or ``""``.

    ``known`` maps the lower-case names looked up to the library name each stands for.
    """
    import difflib

    if not isinstance(name, str) or not name.strip():
        return ""
    found = difflib.get_close_matches(_lookup_key(name), list(known), n=3, cutoff=0.6)
    names = list(dict.fromkeys(known[f] for f in found))
    return f" (did you mean {' or '.join(map(repr, names))}?)" if names else ""


def _liquid_density(species):
    """The record of :data:`LIQUID_DENSITIES` for ``species``
    (``(value_g_cm3, error_g_cm3, temperature_K, source)``), or None.

    Only for the library's molecule: a user :class:`Species` that takes a library name for
    another molecule (``Species("EC", "O")``) was given that solvent's density.
    """
    return _library_entry(species, LIQUID_DENSITIES)


def _rotamer_enthalpies(species):
    """The entry of :data:`ROTAMER_ENTHALPIES` for ``species``, or None (as
    :func:`_liquid_density`: only for the library's own molecule of that name)."""
    return _library_entry(species, ROTAMER_ENTHALPIES)


def _library_entry(species, table):
    """``table[name]`` of the library solvent that is ``species``' molecule
    (:func:`_library_counterpart`), else None."""
    library = _library_counterpart(species)
    return None if library is None or library.charge else table.get(library.name)


def _library_counterpart(species):
    """The library species (:data:`SOLVENTS`, :data:`IONS`) that is the same molecule as
    ``species``, or None.

    The library's measurements (:data:`LIQUID_DENSITIES`, :data:`SALT_VOLUMES`,
    :data:`ROTAMER_ENTHALPIES`) are of molecules, not of names: they hold for a
    :class:`Species` of another name or another spelling of the SMILES
    (``Species("ethylene_carbonate", "C1COC(=O)O1")`` is EC, ``Species("PF6",
    "[P-](F)(F)(F)(F)(F)F")`` PF6): by name alone the first had no measured density (its
    estimate refused) and the second no measured salt volume (a LiPF6 solution estimated by
    the van der Waals rule, 12 % low and marked not valid). The same molecule is the same
    canonical SMILES, stereochemistry and charges included (one enantiomer of PC is not the
    racemic liquid the library measured); a library name given to another molecule
    (``Species("EC", "O")``) is not the library's.

    Parameters
    ----------
    species : Species or str
        A species or a library name (:func:`get_species`).

    Returns
    -------
    Species or None

    Examples
    --------
    >>> from ase_electrolyte.species import Species, _library_counterpart
    >>> _library_counterpart(Species("ethylene_carbonate", "C1COC(=O)O1")).name
    'EC'
    >>> _library_counterpart(Species("EC", "O")) is None
    True
    """
    species = get_species(species)
    for table in (SOLVENTS, IONS):
        library = table.get(species.name)
        if library is not None and (library.smiles == species.smiles
                                    or _canonical_smiles(library) == _canonical_smiles(species)):
            return library
    if species.name in SOLVENTS or species.name in IONS:
        return None  # a library name for another molecule
    return _library_by_smiles().get(_canonical_smiles(species))


@lru_cache(maxsize=4096)
def _canonical_smiles(species):
    """RDKit's canonical SMILES of ``species``' molecule (explicit hydrogens, stereo and
    charges kept), with its enhanced stereo: without it the library's racemic trans-DFEC
    (``|&1:3,5|``) was the one enantiomer its SMILES writes, and the same racemate written
    from the other enantiomer another molecule."""
    Chem = _rdkit()
    return Chem.MolToCXSmiles(species.rdkit_mol, Chem.SmilesWriteParams(),
                              Chem.CXSmilesFields.CX_ENHANCEDSTEREO)


def _library_by_smiles():
    """``{canonical SMILES: library species}`` of :data:`SOLVENTS` and :data:`IONS`."""
    if not _LIBRARY_BY_SMILES:
        for table in (SOLVENTS, IONS):
            for sp in table.values():
                _LIBRARY_BY_SMILES.setdefault(_canonical_smiles(sp), sp)
    return _LIBRARY_BY_SMILES


_LIBRARY_BY_SMILES = {}


def get_salt(name):
    """A :class:`Salt` from the library by name, or ``name`` itself if it is a Salt.

    Case, blanks, hyphens and the ions' signs are ignored (``"lipf6"``, ``"Li PF6"``,
    ``"Li+ PF6-"``, ``"LiPF₆"`` as ``"LiPF6"``), and a
    library salt may be named by its ions' chemical names (``"lithium hexafluorophosphate"``),
    as :func:`get_species` takes a species' description.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known salts (and names the library salt a
        dotted SMILES such as ``"[Li+].F[P-](F)(F)(F)(F)F"`` is).
    """
    if isinstance(name, Salt):
        return name
    if isinstance(name, str):
        key = _lookup_key(name)
        found = _salt_keys().get(key)
        if found is None and not _doubled_sign(key):
            # "Li PF6", "li-pf6", "Li+ PF6-": blanks, hyphens and the ions' signs as
            # option_words.choice_word reads a word's spacing
            loose = {_loose_key(k, signs=True): v for k, v in _salt_keys().items()}
            found = loose.get(_loose_key(key, signs=True))
            if found is not None and _wrong_ion_sign(key, SALTS[found]):
                found = None
        if found is not None:
            return SALTS[found]
    doubled = isinstance(name, str) and _doubled_sign(_lookup_key(name))
    wrong = isinstance(name, str) and not doubled and _wrong_ion_sign_hint(name)
    hint = ((" (a charge sign is written twice: each ion takes one sign or none, "
             "'Li+ PF6-' or 'LiPF6')") if doubled else "") or wrong or (
        _salt_mixture_hint(name) or _salt_smiles_hint(name)
        or _close_matches(name, _salt_keys()))
    raise ValueError(
        f"unknown salt {name!r}{hint}; known salts: {', '.join(SALTS)}; "
        "for anything else pass Salt(name, cation=Species(...), anion=Species(...))"
    )


def _ion_pattern(word):
    """A regular expression of an ion's name or description as a lookup key may spell it:
    blanks, hyphens and underscores anywhere inside ("l i", "hexa-fluorophosphate")."""
    letters = [re.escape(c) for c in "".join(word.lower().split())]
    return r"[\s_-]*".join(letters)


def _wrong_ion_sign(key, salt):
    """Why the charge signs written in a salt's lookup key (:func:`_lookup_key`) are not its
    ions', or ``""``.

    The loose lookup drops every sign, so ``"Li- PF6+"`` was LiPF6: a sign says the ion's
    charge, and one against it is a typo or another ion, not the library's. A ``"+"`` may
    follow the cation, a ``"-"`` the anion; a hyphen between the two names without a blank
    after it (``"Li-PF6"``) joins them, as ``"li-pf6"`` is one spelling of LiPF6.
    """
    pairs = [(c, a) for c in (salt.cation.name, salt.cation.description.removesuffix(" cation"))
             for a in (salt.anion.name, salt.anion.description)]
    for cation, anion in pairs:
        if not cation or not anion:
            continue
        found = re.fullmatch(rf"\s*{_ion_pattern(cation)}(?P<mid>[\s_+-]*)"
                             rf"{_ion_pattern(anion)}(?P<tail>[\s+-]*)", key)
        if found is None:
            continue
        mid, tail = found.group("mid"), found.group("tail")
        wrong = []
        # "Li- PF6": a minus written on the cation (then a blank); "Li-PF6" joins the names
        if re.match(r"-\s", mid):
            wrong.append((salt.cation, "-"))
        if "+" in tail:
            wrong.append((salt.anion, "+"))
        return "; ".join(f"{ion.name} has charge {ion.charge:+d}, not the sign {sign}"
                         for ion, sign in wrong)
    # the names are not where the signs could stand: a sign inside a name ("L+iPF6")
    return "a charge sign stands inside an ion's name" if "+" in key else ""


def _wrong_ion_sign_hint(name):
    """The hint of :func:`get_salt` for a library salt written with its ions' signs wrong
    (``"Li- PF6+"``), or ``""``."""
    key = _lookup_key(name)
    loose = {_loose_key(k, signs=True): v for k, v in _salt_keys().items()}
    found = loose.get(_loose_key(key, signs=True))
    if found is None:
        return ""
    salt = SALTS[found]
    why = _wrong_ion_sign(key, salt)
    return (f" ({why}: write {salt.name!r} or "
            f"'{salt.cation.name}+ {salt.anion.name}-')") if why else ""


def _salt_keys():
    """Every name the library's salts answer to (lower case, blanks joined): the name and the
    chemical name of its ions' descriptions ("lithium hexafluorophosphate"), as
    :func:`get_species` takes a species' description."""
    keys = {}
    for salt in SALTS.values():
        keys.setdefault(salt.name.lower(), []).append(salt.name)
        cation = salt.cation.description.removesuffix(" cation")
        if salt.cation.description and salt.anion.description:
            word = " ".join(f"{cation} {salt.anion.description}".split()).lower()
            keys.setdefault(word, []).append(salt.name)
    clash = {k: v for k, v in keys.items() if len(set(v)) > 1}
    if clash:
        raise RuntimeError(f"the salt library names different salts alike: {clash}")
    return {k: v[0] for k, v in keys.items()}


def _salt_mixture_hint(name):
    """A hint for two or more salts given as one (``"LiPF6+LiFSI"``, ``["LiPF6", "LiFSI"]``):
    "did you mean 'LiPF6' or 'LiFSI'?" read as if one of them were a typo."""
    salts = salt_mixture(name)
    if not salts:
        return ""
    example = ", ".join(f"{ion!r}: {terms}" for ion, terms in mixture_ion_counts(salts).items())
    return (f" (a mixture of {' and '.join(s.name for s in salts)}: a composition holds one "
            f"salt; pack a mixture by its molecules, counts={{solvent: ..., {example}}} with "
            f"{', '.join(f'n{k}' for k in range(1, len(salts) + 1))} the formula units of "
            "each salt, e.g. from composition_counts of each at its concentration)")


def mixture_ion_counts(salts):
    """Ion name -> its count in the formula units ``n1``, ``n2``, ... of ``salts``
    (``{"Li": "n1 + n2", "PF6": "n1", "FSI": "n2"}``): the counts recipe of a salt mixture,
    which the Python hint and the ``electrolyte simulate`` refusal word alike.

    Examples
    --------
    >>> from ase_electrolyte.species import mixture_ion_counts, salt_mixture
    >>> mixture_ion_counts(salt_mixture("LiPF6+LiFSI"))
    {'Li': 'n1 + n2', 'PF6': 'n1', 'FSI': 'n2'}
    >>> mixture_ion_counts(["LiPF6", "LiFSI"])
    {'Li': 'n1 + n2', 'PF6': 'n1', 'FSI': 'n2'}

    Raises
    ------
    ValueError
        A text that names no mixture of library salts, or an entry that is no salt (a
        library name or a :class:`Salt`).
    TypeError
        ``salts`` neither a collection nor a text.
    """
    if isinstance(salts, str):
        # iterated letter by letter, "LiPF6+LiFSI" failed on 'L' having no stoichiometry
        mixture = salt_mixture(salts)
        if not mixture:
            raise ValueError(f"{salts!r} names no mixture of library salts (e.g. "
                             "'LiPF6+LiFSI'); give the salts, as names or Salt")
        salts = mixture
    if not isinstance(salts, (list, tuple, dict, set, frozenset)):
        raise TypeError(f"mixture_ion_counts needs the salts (a list of names or Salt, or a "
                        f"text such as 'LiPF6+LiFSI'), not {type(salts).__name__}")
    # a list of names ["LiPF6", "LiFSI"] was an AttributeError ('str' object has no
    # attribute 'stoichiometry')
    salts = [salt if isinstance(salt, Salt) else get_salt(salt) for salt in salts]
    ions = {}
    for k, salt in enumerate(salts, 1):
        n_c, n_a = salt.stoichiometry
        for ion, n in ((salt.cation, n_c), (salt.anion, n_a)):
            ions.setdefault(ion.name, []).append(f"{n if n > 1 else ''}n{k}")
    return {ion: " + ".join(terms) for ion, terms in ions.items()}


def salt_mixture(name):
    """The library salts ``name`` joins (``"LiPF6+LiFSI"``, ``"LiPF6/LiFSI"``, a list of
    names or :class:`Salt`); ``[]`` where it names fewer than two, or a part that is no salt.

    A composition holds one salt: the builder and ``electrolyte simulate`` refuse a mixture
    with the counts that pack it (:func:`mixture_ion_counts`).
    """
    import re

    if isinstance(name, str):
        parts = [p for p in re.split(r"\s*(?:\+|&|/|,|;|\band\b)\s*", name) if p.strip()]
    elif isinstance(name, (list, tuple, set, frozenset, dict)):
        parts = list(name)
    else:
        return []
    salts = []
    for part in parts:
        if isinstance(part, Salt):
            salts.append(part)
        elif isinstance(part, str) and _lookup_key(part) in _salt_keys():
            salts.append(SALTS[_salt_keys()[_lookup_key(part)]])
        else:
            return []
    return salts if len(salts) >= 2 else []


def _salt_smiles_hint(name):
    """A hint for a salt given as one dotted SMILES (``"[Li+].F[P-](F)(F)(F)(F)F"``)."""
    if not isinstance(name, str) or "." not in name:
        return ""
    try:
        Chem = _rdkit()
    except ImportError:  # pragma: no cover - rdkit is a declared dependency of `build`
        return ""
    mol = _quiet_smiles(name)
    if mol is None:
        return ""
    parts = sorted(Chem.MolToSmiles(f) for f in Chem.GetMolFrags(mol, asMols=True))
    for salt in SALTS.values():
        n_c, n_a = salt.stoichiometry
        ions = sorted([Chem.MolToSmiles(Chem.MolFromSmiles(salt.cation.smiles))] * n_c
                      + [Chem.MolToSmiles(Chem.MolFromSmiles(salt.anion.smiles))] * n_a)
        if parts == ions:
            return f" (it is the SMILES of {salt.name}: use the name {salt.name!r})"
    return (" (a salt of one SMILES? give its ions: Salt(name, cation=Species(...), "
            "anion=Species(...)))")


def species_from_formula(symbols):
    """The library species with the same composition as ``symbols``, or ``None``.

    Used to name molecules found by bond guessing. Compositions are unique within the library.

    Parameters
    ----------
    symbols : sequence of str or int, or str
        Chemical symbols (``["C", "C", "C", "H", ...]``, ``atoms.get_chemical_symbols()``),
        atomic numbers (``atoms.numbers``), or a formula in any order (``"C3H4O3"``,
        ``"H2O"``, ``"PF6"``) of one molecule, which may end in the sign of its charge
        (``"PF6-"``, ``"Li+"``).

    Raises
    ------
    TypeError
        ``symbols`` neither a sequence nor a text.
    ValueError
        Symbols that are no chemical elements (``"h"``, ``"X"``) or atomic numbers of none.
        A formula text that does not parse, names no chemical element, joins several
        formulas (``"H+2O"``, ``"2H2O"``: ASE's Formula reads them as HO2 and H4O2), or ends in
        a sign that is not the charge of the library species of its composition (``"H2O+"``).

    Examples
    --------
    >>> from ase_electrolyte.species import species_from_formula
    >>> species_from_formula("C3H4O3").name, species_from_formula(["H", "O", "H"]).name
    ('EC', 'H2O')
    >>> species_from_formula("PF6-").name
    'PF6'
    """
    from ase.data import chemical_symbols

    sign, written = "", symbols
    if isinstance(symbols, str):
        # a formula was split into its characters ("H2O" as "H", "2", "O") and matched
        # nothing: None, as for a molecule the library does not hold
        from ase.formula import Formula

        text = symbols.strip().translate(_MINUS_SIGNS)
        if text[-1:] in ("+", "-"):
            sign, text = text[-1], text[:-1].rstrip()
        advice = "give one such as 'C3H4O3' (or 'PF6-'), or the atoms' symbols"
        if not text or "+" in text or "-" in text or text[:1].isdigit():
            # ASE's Formula reads "+" as joining formulas and a leading number as a multiple:
            # "H2O+" was water, "H+2O" HO2, "" no molecule at all (None)
            raise ValueError(f"formula {symbols!r} is no formula of one molecule: {advice}")
        try:
            counts = Formula(text).count()
        except ValueError as err:
            raise ValueError(f"formula {symbols!r} does not parse ({str(err) or 'not a formula'}); "
                             f"{advice}") from None
        strange = sorted(el for el in counts if el not in chemical_symbols[1:])
        if strange or not counts:
            raise ValueError(f"formula {symbols!r} names {strange or 'no element'}, no chemical "
                             f"element; {advice}")
        symbols = [el for el, n in counts.items() for _ in range(n)]
    elif isinstance(symbols, (list, tuple, np.ndarray)):
        symbols = np.asarray(symbols).ravel().tolist()
        if symbols and all(isinstance(z, int) and not isinstance(z, bool) for z in symbols):
            # atomic numbers (atoms.numbers) failed as "unsupported operand type(s) for +:
            # 'int' and 'str'"
            bad = sorted({z for z in symbols if not 0 < z < len(chemical_symbols)})
            if bad:
                raise ValueError(f"atomic numbers {bad} name no chemical element")
            symbols = [chemical_symbols[z] for z in symbols]
        strange = sorted({str(el) for el in symbols if el not in chemical_symbols[1:]})
        if strange:
            # 'h', 'o', 'h' matched nothing and said None, as for a molecule outside the
            # library: a misspelt symbol is no molecule
            raise ValueError(f"symbols {strange} of {written!r:.80} are no chemical elements; "
                             "give chemical symbols ('H', 'O'), atomic numbers or a formula")
    else:
        raise TypeError(f"species_from_formula needs chemical symbols, atomic numbers or a "
                        f"formula, not {type(symbols).__name__}")
    formula = hill_formula(list(symbols))
    for table in (SOLVENTS, IONS):
        for sp in table.values():
            if sp.formula == formula:
                if sign and sign != ("+" if sp.charge > 0 else "-" if sp.charge < 0 else ""):
                    said = f"has charge {sp.charge:+d}" if sp.charge else "is neutral"
                    raise ValueError(
                        f"formula {written!r}: the library's {sp.name} of that formula {said}, "
                        f"not the sign {sign}; write {sp.name!r}")
                return sp
    return None


_check_library_names()
_salt_keys()  # refuses two salts of one name at import
