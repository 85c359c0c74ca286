r"""Unit constants and conversions: the one place the packages take them from.

The internal units follow the two host libraries: ASE (Å, eV, amu, ASE time) for calculators
and MD, MDAnalysis (Å, ps, kJ/mol, amu, elementary charges) for analyses. Results are reported
in the units the papers use; every conversion factor below is derived from CODATA constants
(:mod:`scipy.constants`) or from ASE's own :mod:`ase.units`, never typed in.

:func:`convert` converts a value between two reporting units of the same dimension (the units
:class:`~ase_electrolyte.estimate.Estimate` can carry), e.g. ``convert(1.0, "S/m", "mS/cm")``
→ 10.
"""

from __future__ import annotations

import numbers
import re

import numpy as np
from ase import units as _ase
from ase.data import atomic_masses
from scipy import constants as _c

__all__ = [
    "VELOCITY_TO_ANGSTROM_PER_PS",
    "FORCE_TO_KJ_PER_MOL_ANGSTROM",
    "TIME_TO_PS",
    "GCM3_TO_AMU_PER_A3",
    "SIEMENS_PER_METRE",
    "M2_PER_S",
    "convert",
    "dimension",
    "UNITS",
    "IMPLAUSIBLE_PRESSURE_BAR",
    "MIN_SHEAR_SCATTER_BAR",
    "MIN_PLAUSIBLE_TEMPERATURE_K",
    "MAX_PLAUSIBLE_TEMPERATURE_K",
    "MAX_PLAUSIBLE_TIMESTEP_FS",
    "HYDROGEN_MASS_AMU",
    "LABEL_ENERGY_UNITS",
    "LABEL_FORCE_UNITS",
    "LABEL_STRESS_UNITS",
    "plausible_timestep_fs",
    "MIN_FRAME_SPACING_PS",
    "MIN_PLAUSIBLE_TIMESTEP_FS",
    "PLAUSIBLE_DIFFUSION_M2_S",
    "PLAUSIBLE_VISCOSITY_PA_S",
    "MAX_PLAUSIBLE_CONDUCTIVITY_S_M",
    "doubts_in_unit",
    "unit_advice",
    "unit_of_name",
    "slip_advice",
]

#: ASE velocity (Å per ASE time unit) → Å/ps.
VELOCITY_TO_ANGSTROM_PER_PS = 1000.0 * _ase.fs
#: eV/Å → kJ/(mol·Å).
FORCE_TO_KJ_PER_MOL_ANGSTROM = _ase.mol / _ase.kJ
#: ASE time unit → ps.
TIME_TO_PS = 1.0 / (1000.0 * _ase.fs)
#: g/cm³ → amu/Å³ (1e-24 cm³ per Å³, ASE's Avogadro constant).
GCM3_TO_AMU_PER_A3 = 1e-24 * _ase.mol
#: e² / (Å · ps) in S/m: the prefactor of a conductivity from currents in e·Å/ps, volumes in Å³.
SIEMENS_PER_METRE = _c.e**2 / (_c.angstrom * _c.pico)
#: Å²/ps → m²/s.
M2_PER_S = _c.angstrom**2 / _c.pico

#: Reporting unit → (dimension, value of one unit in SI). Spellings with and without the
#: middle dot are both accepted.
UNITS = {
    # conductivity
    "S/m": ("conductivity", 1.0),
    "mS/cm": ("conductivity", _c.milli / _c.centi),
    # the literature's other spellings of an electrolyte's conductivity (1.1e-2 S/cm), which
    # an experimental table in them was refused for as an unknown unit
    "S/cm": ("conductivity", 1.0 / _c.centi),
    "µS/cm": ("conductivity", _c.micro / _c.centi),
    # diffusion coefficient
    "m^2/s": ("diffusivity", 1.0),
    "Å^2/ps": ("diffusivity", M2_PER_S),
    "cm^2/s": ("diffusivity", _c.centi**2),
    "1e-9 m^2/s": ("diffusivity", 1e-9),
    # viscosity
    "Pa·s": ("viscosity", 1.0),
    "mPa·s": ("viscosity", _c.milli),
    "cP": ("viscosity", _c.milli),
    # density
    "g/cm^3": ("density", _c.gram / _c.centi**3),
    "kg/m^3": ("density", 1.0),
    # pressure and compressibility
    "Pa": ("pressure", 1.0),
    "bar": ("pressure", _c.bar),
    "GPa": ("pressure", _c.giga),
    "MPa": ("pressure", _c.mega),
    "kPa": ("pressure", _c.kilo),
    "kbar": ("pressure", _c.kilo * _c.bar),
    "atm": ("pressure", _c.atm),
    "1/Pa": ("compressibility", 1.0),
    "1/bar": ("compressibility", 1.0 / _c.bar),
    "1/GPa": ("compressibility", 1.0 / _c.giga),
    # thermal expansion
    "1/K": ("expansivity", 1.0),
    # length, time, energy, force, temperature
    "m": ("length", 1.0),
    "Å": ("length", _c.angstrom),
    "nm": ("length", _c.nano),
    # volumes of boxes (Tait fits of volumes given as Estimates)
    "Å^3": ("volume", _c.angstrom**3),
    "nm^3": ("volume", _c.nano**3),
    "s": ("time", 1.0),
    "ps": ("time", _c.pico),
    "fs": ("time", _c.femto),
    "ns": ("time", _c.nano),
    "J": ("energy", 1.0),
    "eV": ("energy", _c.eV),
    "meV": ("energy", _c.milli * _c.eV),
    "kJ/mol": ("energy", _c.kilo / _c.N_A),
    "kcal/mol": ("energy", _c.kilo * _c.calorie / _c.N_A),
    "eV/Å": ("force", _c.eV / _c.angstrom),
    "meV/Å": ("force", _c.milli * _c.eV / _c.angstrom),
    "kJ/(mol·Å)": ("force", _c.kilo / _c.N_A / _c.angstrom),
    # model errors: energies per atom, stress in the ASE unit
    "eV/atom": ("energy per atom", _c.eV),
    "meV/atom": ("energy per atom", _c.milli * _c.eV),
    "eV/Å^3": ("pressure", _c.eV / _c.angstrom**3),
    # drift of an MD run's conserved energy per atom (run_md's energy_drift); GROMACS reports
    # it in kJ/mol/ps per atom
    "meV/atom/ps": ("energy drift per atom", _c.milli * _c.eV / _c.pico),
    "eV/atom/ps": ("energy drift per atom", _c.eV / _c.pico),
    "meV/atom/ns": ("energy drift per atom", _c.milli * _c.eV / _c.nano),
    "kJ/mol/ps/atom": ("energy drift per atom", _c.kilo / _c.N_A / _c.pico),
    "K": ("temperature", 1.0),
    # atomic masses (ASE's and MDAnalysis' unit): a run's hydrogen_mass is a setting in amu
    "amu": ("mass", _c.atomic_mass),
    "kg": ("mass", 1.0),
    # Onsager coefficients: mol / (J · m · s) reported per volume, see mda_electrolyte.onsager
    "mol/(J·m·s)": ("onsager", 1.0),
    # angles (solvation-shell geometry): degrees, the unit the papers plot
    "°": ("angle", 1.0),
    "rad": ("angle", 180.0 / 3.141592653589793),
    # salt concentrations: molality (mol per kg of solvent; mmol/g is the same number) and
    # molarity (mol per litre of solution; SI's mol/m³ is a thousand times the number)
    "mol/kg": ("molality", 1.0),
    "mmol/g": ("molality", _c.milli / _c.gram),
    "mmol/kg": ("molality", _c.milli),
    "mol/L": ("molarity", 1.0 / _c.liter),
    "mmol/L": ("molarity", _c.milli / _c.liter),
    "mol/m^3": ("molarity", 1.0),
    # dimensionless
    "1": ("dimensionless", 1.0),
    "%": ("dimensionless", 0.01),
}

#: Energy units a label (a reference energy) may be stored in by mistake: the factor of a label
#: in that unit on the same energy in eV (kcal/mol: 23.06). Fine-tuning's label checks and the
#: intra/intermolecular error analysis both read their unit slips from these tables.
LABEL_ENERGY_UNITS = {
    "kcal/mol": _ase.mol / _ase.kcal,
    "kJ/mol": _ase.mol / _ase.kJ,
    "meV": 1000.0,
    "Hartree": 1.0 / _ase.Hartree,
    "Rydberg": 1.0 / _ase.Rydberg,
}
#: Force units a force label may be in by mistake: the factor of a label in that unit on the
#: same force in eV/Å. Each energy of :data:`LABEL_ENERGY_UNITS` per Å, the atomic-unit codes'
#: gradients per bohr (in their energy unit, or in eV or kJ/mol), and eV/nm.
LABEL_FORCE_UNITS = {
    **{f"{unit}/Å": factor for unit, factor in LABEL_ENERGY_UNITS.items()},
    **{f"{unit}/bohr": factor * _ase.Bohr for unit, factor in LABEL_ENERGY_UNITS.items()
       if unit != "meV"},
    "eV/bohr": _ase.Bohr,
    "eV/nm": 10.0,
}
#: Stress units a stress label may be in by mistake: the factor of a label in that unit on the
#: same stress in eV/Å³ (ASE's unit).
LABEL_STRESS_UNITS = {"GPa": 1.0 / _ase.GPa, "kbar": 1.0 / (1000.0 * _ase.bar),
                      "bar": 1.0 / _ase.bar}

#: Lowest temperature (K) :func:`warn_implausible` takes without a doubt, for an MD run and an
#: analysis alike: below 50 K no classical liquid exists (neon's 24.6–27 K and the quantum
#: liquids helium and hydrogen aside; argon melts at 84 K, nitrogen at 63 K), while the °C of
#: an electrolyte's usual temperatures (20–45 °C) read as K fall below it. Below 1 K the slip
#: is an energy (k_B·T in eV: 300 K is 0.02585 eV), not °C.
MIN_PLAUSIBLE_TEMPERATURE_K = 50.0
#: Highest temperature (K) :func:`warn_implausible` takes without a doubt: no liquid exists
#: above it (the highest boiling points at 1 atm, rhenium's and tungsten's, are 5870 and 5830 K),
#: so a value above is a unit or a typo: 300 K in mK reads 3·10⁵, an extra zero or two 3000 to
#: 30000. Below it a temperature can be meant, for every quantity alike: a molecular liquid
#: decomposes above about 1000 K, but melts (molten salts to 1500 K, the tests' EMT copper at
#: 1800 K) and training runs sampling far from equilibrium (2000–5000 K) are given on purpose.
#: The one slip left among them, R·T in J/mol (2479 at 298 K), no bound can tell from a melt.
MAX_PLAUSIBLE_TEMPERATURE_K = 6000.0
#: Largest absolute pressure (bar) :func:`warn_implausible` takes without a doubt: 50 kbar (5 GPa)
#: is beyond any liquid electrolyte's conditions; 1 atm written in Pa reads 101325 bar.
IMPLAUSIBLE_PRESSURE_BAR = 5.0e4

#: Longest time step (fs) :func:`warn_implausible` takes without a doubt for hydrogen at its real
#: mass (:data:`HYDROGEN_MASS_AMU`), the lightest atom of a molecular electrolyte. Velocity
#: Verlet is stable only for ω·dt < 2 (Allen and Tildesley 2017): the O–H and C–H stretches
#: (3700 and 3000 cm⁻¹, periods 9.0 and 11.1 fs) allow 2.9–3.5 fs, so 5 fs is past the
#: stability limit (the 1 fs of Ju et al. 2025's real masses, 2 fs with tritium, are within
#: it). The limit of other masses: :func:`plausible_timestep_fs`.
MAX_PLAUSIBLE_TIMESTEP_FS = 5.0
#: Shortest time between frames or samples (ps) any entry of the packages takes: 0.01 fs, ten
#: times below the shortest MD time step in use (0.1 fs, path-integral and reactive runs). A
#: shorter one is a spacing in another unit (2 fs in seconds is 2e-15, in ns 2e-6), which would
#: scale every rate (D, σ, η) by as much. :func:`mda_electrolyte.from_ase`'s ``dt``,
#: ``electrolyte analyze --dt`` and the transport analyses refuse it.
MIN_FRAME_SPACING_PS = 1.0e-5
#: Shortest MD time step (fs) :func:`warn_implausible` takes without a doubt: the frame spacing
#: bound :data:`MIN_FRAME_SPACING_PS` in fs. A step given in ps to an fs argument (1 fs as
#: 0.001) falls below it.
MIN_PLAUSIBLE_TIMESTEP_FS = MIN_FRAME_SPACING_PS * 1000.0
#: Range (m²/s) of a diffusion coefficient :func:`implausible_doubts` takes without a doubt.
#: Liquids diffuse at 10⁻¹³–10⁻⁸ m²/s (Li⁺ in a polymer 10⁻¹³, an ionic liquid 10⁻¹¹, water
#: 2.3·10⁻⁹, a molten salt 10⁻⁸; a hot fluid of a training run 10⁻⁷), a gas at 1 atm at 10⁻⁵.
#: The slips land outside: 10⁻⁵ cm²/s (the experimentalists' unit) or 0.1 Å²/ps (MD's) given
#: as m²/s read 10⁻⁵ and 0.1 m²/s; a number in m²/s given as Å²/ps, or as 10⁻⁹ m²/s, reads
#: 10⁻⁸ or 10⁻⁹ times too little (10⁻¹⁷, 10⁻¹⁸). A slip by 10⁴ (m²/s given as cm²/s) from
#: 10⁻⁹ lands at 10⁻¹³, a polymer's, and is not told.
PLAUSIBLE_DIFFUSION_M2_S = (1.0e-16, 1.0e-6)
#: Range (Pa·s) of a shear viscosity :func:`implausible_doubts` takes without a doubt. The
#: lower bound is :data:`mda_electrolyte.diffusion.MIN_GIVEN_VISCOSITY_MPAS` (0.05 mPa·s:
#: acetonitrile 0.34, liquid argon 0.27 mPa·s; gases 0.01–0.02 mPa·s), where a liquid's
#: viscosity in Pa·s given as mPa·s (0.00089 for water's 0.89 mPa·s) lands; the upper one is
#: a million times water's (an ionic liquid reaches about 1 Pa·s, glycerol 1.4 Pa·s), where
#: a viscous liquid's mPa·s given as Pa·s (an ionic liquid's 2000 mPa·s) lands. The slip by
#: 1000 of a thin liquid (2.5 mPa·s given as 2.5 Pa·s) stays among real liquids' values.
PLAUSIBLE_VISCOSITY_PA_S = (5.0e-5, 1.0e3)
#: Largest ionic conductivity (S/m) :func:`implausible_doubts` takes without a doubt: above the
#: most conductive melts (molten LiF about 9 S/cm, 900 S/m; a liquid electrolyte 0.1–2 S/m),
#: where 20 mS/cm or more given as S/cm lands, and µS/cm given as S/m. The slips by 10 and 100
#: (mS/cm as S/m, S/cm as S/m) stay among real electrolytes' 10⁻³–10² S/m: no bound tells
#: them, and a conductivity has no lower bound (a solvent alone conducts 10⁻⁸ S/m).
MAX_PLAUSIBLE_CONDUCTIVITY_S_M = 2.0e3
#: Mass (amu) of hydrogen (ASE's standard atomic mass), at which
#: :data:`MAX_PLAUSIBLE_TIMESTEP_FS` applies.
HYDROGEN_MASS_AMU = float(atomic_masses[1])


def plausible_timestep_fs(lightest_mass_amu=None):
    """The longest MD time step (fs) not doubted for a system whose lightest atom has this mass.

    The one time-step rule of the package (:func:`warn_implausible`, hence
    :func:`~ase_electrolyte.md.run_md` and :func:`~ase_electrolyte.md.check_protocol_arguments`):
    :data:`MAX_PLAUSIBLE_TIMESTEP_FS` for hydrogen, scaled by √(m / m_H). A vibration of a light
    atom against heavier ones has ω ∝ 1/√m, and Verlet's stability ω·dt < 2 scales alike:
    tritium (3 amu, the protocol's pre-equilibration) 8.6 fs, lithium 13 fs, argon 31 fs,
    copper 40 fs (EMT copper's highest phonon, 7.3 THz, is stable to 44 fs). A mass heavier than
    hydrogen only lengthens the limit; a lighter one (a hydrogen mass below 1 amu) shortens it.

    Parameters
    ----------
    lightest_mass_amu : float, optional
        Mass (amu) of the lightest atom as the run integrates it (a heavy hydrogen's mass
        where the run gives one). ``None``: unknown (the protocol's arguments, checked before a
        box exists), taken to be hydrogen at :data:`HYDROGEN_MASS_AMU`.

    Returns
    -------
    float
        fs.

    Examples
    --------
    >>> from ase_electrolyte.units import plausible_timestep_fs
    >>> plausible_timestep_fs()
    5.0
    >>> round(plausible_timestep_fs(3.0), 2)
    8.63
    """
    if lightest_mass_amu is None:
        return MAX_PLAUSIBLE_TIMESTEP_FS
    mass = float(lightest_mass_amu)
    if not (np.isfinite(mass) and mass > 0):
        raise ValueError(
            f"lightest_mass_amu must be a finite mass > 0 amu, got {lightest_mass_amu!r}")
    return MAX_PLAUSIBLE_TIMESTEP_FS * float(np.sqrt(mass / HYDROGEN_MASS_AMU))


_ALIASES = {"Å²/ps": "Å^2/ps", "m²/s": "m^2/s", "cm²/s": "cm^2/s", "g/cm³": "g/cm^3",
            "kg/m³": "kg/m^3", "mPa s": "mPa·s", "Pa s": "Pa·s", "A^2/ps": "Å^2/ps",
            "": "1", "dimensionless": "1", "1e-9 m²/s": "1e-9 m^2/s",
            "eV/Å³": "eV/Å^3", "Å³": "Å^3", "A^3": "Å^3", "nm³": "nm^3", "deg": "°",
            "degree": "°", "degrees": "°", "g/cm3": "g/cm^3", "g/mL": "g/cm^3",
            "g/ml": "g/cm^3", "kg/L": "g/cm^3", "kg/m3": "kg/m^3", "Angstrom": "Å",
            "angstrom": "Å",
            # the micro sign and the Greek mu look alike; "u" is the ASCII stand-in
            "μS/cm": "µS/cm", "uS/cm": "µS/cm",
            # the product written with * or . (ASCII), centipoise in lower case, the
            # H5MD/SI form of g/cm³ (run_md's files carry it) and the chemist's cc
            "mPa*s": "mPa·s", "mPa.s": "mPa·s", "Pa*s": "Pa·s", "Pa.s": "Pa·s", "cp": "cP",
            "g cm-3": "g/cm^3", "g/cc": "g/cm^3",
            # a litre is a dm³; "M" and "m" are not read (only their case tells mol/L from
            # mol/kg, as composition_word refuses them)
            "mol/l": "mol/L", "mol/dm^3": "mol/L", "mol/dm³": "mol/L", "mol/dm3": "mol/L",
            "mol/m³": "mol/m^3", "mol/m3": "mol/m^3", "mmol/l": "mmol/L",
            "mol kg-1": "mol/kg", "mol L-1": "mol/L",
            # the unified atomic mass unit's other symbols
            "u": "amu", "Da": "amu"}


def _lookup(unit):
    if not isinstance(unit, str):
        raise TypeError(f"a unit is a string such as 'S/m', not {unit!r}")
    key = _ALIASES.get(unit, unit)
    try:
        return UNITS[key]
    except KeyError:
        raise ValueError(
            f"unknown unit {unit!r}; known: {', '.join(sorted(UNITS))}"
        ) from None


#: Shear stresses of a pressure-tensor series that scatter less than this (bar, standard
#: deviation) are doubted as another unit (:func:`warn_implausible`): the scatter falls as
#: 1/√V, from hundreds of bar for a thousand atoms to about 10 bar for a million; the same
#: series in eV/Å³, GPa or kbar scatters 10⁻⁴, 10⁻² or 10⁻¹.
MIN_SHEAR_SCATTER_BAR = 1.0


def warn_implausible(*, stacklevel=3, **values):
    """Warn about values that are valid numbers but implausible for a liquid electrolyte: each
    doubt of :func:`implausible_doubts` (same keywords) is one :class:`UserWarning`, at
    ``stacklevel`` (the caller's caller by default); nothing is refused (such values can be
    meant)."""
    import warnings

    for doubt in implausible_doubts(**values):
        warnings.warn(doubt, stacklevel=stacklevel)


def implausible_doubts(*, temperature_K=None, pressure_bar=None, timestep_fs=None,
                       density_g_cm3=None, concentration=None, shear_stress_bar=None,
                       timestep_name=None, lightest_mass_amu=None, density_measured=True,
                       diffusion_m2_s=None, viscosity_Pa_s=None, conductivity_S_m=None):
    """The doubts about values that are valid numbers but implausible for a liquid electrolyte,
    as sentences (empty when none).

    The sign of a wrong unit: a temperature outside :data:`MIN_PLAUSIBLE_TEMPERATURE_K` –
    :data:`MAX_PLAUSIBLE_TEMPERATURE_K` (50–6000 K: °C?; below 1 K, k_B·T in eV?; above, mK or
    a typo: a melt or a training run at 1800 K is meant), a pressure
    beyond :data:`IMPLAUSIBLE_PRESSURE_BAR` (5·10⁴ bar: Pa?), a time step above
    :func:`plausible_timestep_fs` of ``lightest_mass_amu`` (5 fs for hydrogen) or below
    :data:`MIN_PLAUSIBLE_TIMESTEP_FS` (0.01 fs: ps?), a density
    outside 0.3–5 g/cm³ (kg/m³?), a salt concentration above 30 mol/kg or mol/L (mmol?;
    water-in-salt electrolytes reach about 21 mol/kg), shear stresses of a pressure-tensor
    series (``shear_stress_bar``) whose scatter is below :data:`MIN_SHEAR_SCATTER_BAR` (eV/Å³,
    GPa or kbar?), a diffusion coefficient outside :data:`PLAUSIBLE_DIFFUSION_M2_S`
    (10⁻¹⁶–10⁻⁶ m²/s: cm²/s? Å²/ps?), a shear viscosity outside
    :data:`PLAUSIBLE_VISCOSITY_PA_S` (5·10⁻⁵–10³ Pa·s: mPa·s for Pa·s or back?), an ionic
    conductivity above :data:`MAX_PLAUSIBLE_CONDUCTIVITY_S_M` (2000 S/m: mS/cm as S/cm?).
    Arrays are judged by their extreme values. The one rule of the
    package: :func:`~ase_electrolyte.md.run_md`, the protocol's checks, the box builder and
    the analyses ask it, through :func:`warn_implausible` (warnings) or directly (an analysis
    marking the number computed from such a value: a warning caught with
    ``warnings.catch_warnings`` was not thread-safe and checked the values twice).

    ``timestep_name``, when given, is the argument that set ``timestep_fs`` (fs), named in its
    doubt (``preequilibration_timestep_fs = 8 fs is long ...``): a protocol takes two time steps,
    and "a time step of 8 fs" did not say which. ``lightest_mass_amu`` (amu) is the lightest
    atom's mass as the run integrates it; ``None`` (not known) judges the step for hydrogen.
    ``density_measured`` says whether ``density_g_cm3`` was measured from atoms and a box
    (an analysis: a thin one asks about missing masses and the box) or is a value asked for
    (a box to be built: only its unit can be wrong).

    Examples
    --------
    >>> from ase_electrolyte.units import implausible_doubts
    >>> implausible_doubts(temperature_K=300.0)
    []
    >>> implausible_doubts(temperature_K=25.0)[0].endswith("is it in °C?")
    True
    """
    import numpy as np

    doubts = []
    if temperature_K is not None:
        t, scalar = _finite_values(temperature_K)
        if t.size and not (MIN_PLAUSIBLE_TEMPERATURE_K <= t.min()
                           and t.max() <= MAX_PLAUSIBLE_TEMPERATURE_K):
            shown = float(t[0]) if scalar else f"{t.min():g}–{t.max():g}"
            # below 1 K the slip is an energy (k_B T in eV), not °C: 25 °C reads 25 K; above
            # the range °C cannot be the slip (1e5 °C is hotter still), a typo or scale is
            hints = []
            if t.min() < MIN_PLAUSIBLE_TEMPERATURE_K:
                hints.append("is it k_B·T in eV (300 K = 0.0259 eV)?" if t.min() < 1.0
                             and t.max() < 1.0 else "is it in °C?")
            if t.max() > MAX_PLAUSIBLE_TEMPERATURE_K:
                in_mk = t.max() / 1000.0
                mk = (f"mK? {t.max():g} mK = {in_mk:g} K; "
                      if MIN_PLAUSIBLE_TEMPERATURE_K <= t.min() / 1000.0
                      and in_mk <= MAX_PLAUSIBLE_TEMPERATURE_K else "")
                hints.append(f"is it a typo or in another unit ({mk}no liquid exists above "
                             f"{MAX_PLAUSIBLE_TEMPERATURE_K:g} K)?")
            hint = " ".join(hints)
            doubts.append(f"temperature_K = {shown} K is far from a liquid's "
                          f"({MIN_PLAUSIBLE_TEMPERATURE_K:g}–{MAX_PLAUSIBLE_TEMPERATURE_K:g} K; "
                          f"a liquid electrolyte's 200–500 K, argon's 84 K): {hint}")
    if pressure_bar is not None:
        p, scalar = _finite_values(pressure_bar)
        if p.size and np.abs(p).max() > IMPLAUSIBLE_PRESSURE_BAR:
            shown = float(p[0]) if scalar else f"up to {np.abs(p).max():g}"
            doubts.append(f"pressure_bar = {shown} bar is beyond 50 kbar: is it in Pa "
                          "(1 atm = 1.01325 bar)?")
    limit = plausible_timestep_fs(lightest_mass_amu)
    step = (None if timestep_fs is None else f"a time step of {timestep_fs:g} fs"
            if timestep_name is None else f"{timestep_name} = {timestep_fs:g} fs")
    if timestep_fs is not None and 0 < timestep_fs < MIN_PLAUSIBLE_TIMESTEP_FS:
        # 1 fs written in ps ran a thousand times more steps for the same time
        doubts.append(f"{step} is shorter than any MD time step (0.1–2 fs): is it in ps? "
                      f"{timestep_fs:g} ps = {timestep_fs * 1000:g} fs")
    if timestep_fs is not None and timestep_fs > limit:
        if lightest_mass_amu is None:
            doubts.append(f"{step} is long for molecular MD (0.5–2 fs): is it in another unit?")
        else:
            # a system without hydrogen is told its own limit, not molecular MD's 0.5–2 fs
            doubts.append(
                f"{step} is long for a lightest atom of {float(lightest_mass_amu):g} amu: "
                f"Verlet integration is stable to about {limit:.3g} fs "
                f"({MAX_PLAUSIBLE_TIMESTEP_FS:g} fs × √(m / {HYDROGEN_MASS_AMU} amu); "
                "molecular MD with hydrogen takes 0.5–2 fs): is it in another unit?")
    if density_g_cm3 is not None:
        d, scalar = _finite_values(density_g_cm3)
        if d.size and not (0.3 <= d.min() and d.max() <= 5.0):
            # ten digits: a density given in kg/m³ and converted was shown with the
            # conversion's last bit ("0.0013000000000000002" for 1.3 kg/m³)
            shown = f"{d[0]:.10g}" if scalar else f"{d.min():g}–{d.max():g}"
            # too dense is nearly always kg/m³; too thin is more often a density computed
            # from atoms without masses or from a box too large for them than a unit
            if d.max() > 5.0:
                cause = "is it in kg/m³ (1 g/cm³ = 1000 kg/m³)?"
            elif density_measured:
                cause = ("are masses missing (MDAnalysis gives an atom of unknown mass 0 amu), "
                         "is the box too large for its atoms (a vacuum gap, lengths in another "
                         "unit), or is it in another unit (1 g/cm³ = 1 kg/L = 1000 kg/m³)?")
            else:
                # an asked density has no atoms behind it: only its unit can be wrong
                cause = ("a box packed this thin is a gas; is it in another unit "
                         "(1 g/cm³ = 1 kg/L = 1000 kg/m³)?")
            doubts.append(f"a density of {shown} g/cm³ is far from a liquid electrolyte's "
                          f"(0.7–2 g/cm³): {cause}")
    if concentration is not None:
        c, _ = _finite_values(concentration)
        if c.size and c.max() > 30.0:
            doubts.append(f"a salt concentration of {c.max():g} mol/kg (or mol/L) is beyond "
                          "any liquid electrolyte's (water-in-salt: about 21 mol/kg): is it in "
                          "mmol?")
    if diffusion_m2_s is not None:
        d, scalar = _finite_values(diffusion_m2_s)
        low, high = PLAUSIBLE_DIFFUSION_M2_S
        d = d[d > 0]  # a measured D can be 0 or below within its error: no unit in that
        if d.size and not (low <= d.min() and d.max() <= high):
            shown = f"{d[0]:.3g}" if scalar else f"{d.min():.3g}–{d.max():.3g}"
            cause = ("is it in cm²/s (10⁻⁵ cm²/s = 10⁻⁹ m²/s) or Å²/ps (0.1 Å²/ps = "
                     "10⁻⁹ m²/s)?" if d.max() > high else
                     "is a number in m²/s given in Å²/ps or in 10⁻⁹ m²/s (1 Å²/ps = "
                     "10⁻⁸ m²/s)?")
            doubts.append(f"a diffusion coefficient of {shown} m²/s is far from a liquid's "
                          f"(10⁻¹³–10⁻⁸ m²/s; water 2.3·10⁻⁹, a gas 10⁻⁵): {cause}")
    if viscosity_Pa_s is not None:
        eta, scalar = _finite_values(viscosity_Pa_s)
        low, high = PLAUSIBLE_VISCOSITY_PA_S
        eta = eta[eta > 0]
        if eta.size and not (low <= eta.min() and eta.max() <= high):
            shown = f"{eta[0]:.3g}" if scalar else f"{eta.min():.3g}–{eta.max():.3g}"
            cause = ("is a number in mPa·s (cP) given in Pa·s (1 Pa·s = 1000 mPa·s)?"
                     if eta.max() > high else
                     "is a number in Pa·s given in mPa·s or cP (water: 0.00089 Pa·s = "
                     "0.89 mPa·s)?")
            doubts.append(f"a shear viscosity of {shown} Pa·s is far from a liquid's "
                          f"(5·10⁻⁵–10³ Pa·s; water 8.9·10⁻⁴, an ionic liquid 0.01–1): {cause}")
    if conductivity_S_m is not None:
        sigma, scalar = _finite_values(conductivity_S_m)
        if sigma.size and sigma.max() > MAX_PLAUSIBLE_CONDUCTIVITY_S_M:
            shown = f"{sigma[0]:.3g}" if scalar else f"up to {sigma.max():.3g}"
            doubts.append(
                f"an ionic conductivity of {shown} S/m is beyond any ionic conductor's (molten "
                "LiF about 900 S/m, a liquid electrolyte 0.1–2 S/m): is a number in mS/cm "
                "given in S/cm (1 S/cm = 1000 mS/cm = 100 S/m), or in µS/cm given in S/m?")
    if shear_stress_bar is not None:
        shear = np.asarray(shear_stress_bar, dtype=float)
        shear = shear[np.isfinite(shear)]
        scatter = float(shear.std()) if shear.size > 1 else 0.0
        # an exact 0 is no unit slip (a tensor of zeros, a placeholder): other checks say so
        if 0.0 < scatter < MIN_SHEAR_SCATTER_BAR:
            doubts.append(
                f"the shear stresses of the pressure tensor scatter by {scatter:.3g} bar, where "
                "MD of any box gives tens to thousands of bar: is the tensor in eV/Å³ (1 eV/Å³ "
                "= 1.602·10⁶ bar; ASE's get_stress), GPa (10⁴ bar) or kbar (10³ bar)?")
    return doubts


def _finite_values(values):
    """``(finite values flattened, whether one number was given)``: :func:`implausible_doubts`
    judges a series by its finite values. A NaN among them made its extremes NaN, which
    compared false: a temperature series in °C with one NaN was told "nan–nan K" without the
    °C hint, a density series in kg/m³ was asked about missing masses, and a pressure in Pa or
    a concentration in mmol was not doubted at all (NaN itself is refused by the checks of
    numbers, not read as a unit)."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)], values.ndim == 0


#: Dimension → (keyword of :func:`implausible_doubts`, the unit it reads) for
#: :func:`doubts_in_unit`.
_DOUBTED_DIMENSIONS = {
    "temperature": ("temperature_K", "K"),
    "pressure": ("pressure_bar", "bar"),
    "density": ("density_g_cm3", "g/cm^3"),
    "molality": ("concentration", "mol/kg"),
    "molarity": ("concentration", "mol/L"),
    "diffusivity": ("diffusion_m2_s", "m^2/s"),
    "viscosity": ("viscosity_Pa_s", "Pa·s"),
    "conductivity": ("conductivity_S_m", "S/m"),
}


def doubts_in_unit(value, unit, *, density_measured=True):
    """:func:`implausible_doubts` of ``value`` given in ``unit``, whatever its dimension.

    For a value whose unit comes with it (an experimental table's column, an Estimate's
    ``unit``): the rule of its dimension, after :func:`convert` to the unit the rule reads
    (``[]`` for a dimension without a rule: an angle, an energy).

    Parameters
    ----------
    value : float or array_like
        The number (or a series of them) in ``unit``.
    unit : str
        A unit of :data:`UNITS` (or one of its spellings).
    density_measured : bool
        For a density: whether it was measured from atoms and a box (an analysis' number)
        rather than a value asked for (a box to be built, or an experimental table's, where
        only its unit can be wrong), as :func:`implausible_doubts` takes it.

    Returns
    -------
    list of str
        The doubts, each a sentence naming the value and the slip it suggests; empty for none
        or for a dimension without a rule.

    Notes
    -----
    What no bound can tell: a slip that lands among real values. A conductivity in mS/cm
    given as S/m (10 times too large) or in S/cm given as S/m (100 times too small) stays
    within real electrolytes' 10⁻³–10² S/m (:data:`MAX_PLAUSIBLE_CONDUCTIVITY_S_M` catches
    only the slips beyond molten LiF's 900 S/m); an energy has no rule at all (R·T at 298 K
    is 2479 J/mol, 2.479 kJ/mol or 0.0257 eV, each a possible energy), so R·T in J/mol where
    kJ/mol or eV is meant passes. Such a number is checked against an independent value of
    the same quantity (an experiment, a second method), not by its size.

    Examples
    --------
    >>> from ase_electrolyte.units import doubts_in_unit
    >>> doubts_in_unit(1.0e-5, "cm^2/s"), doubts_in_unit(2.3, "1e-9 m^2/s")
    ([], [])
    >>> doubts_in_unit(1.0e-5, "m^2/s")[0].startswith("a diffusion coefficient of 1e-05 m²/s")
    True
    """
    rule = _DOUBTED_DIMENSIONS.get(dimension(unit))
    if rule is None:
        return []
    keyword, reads = rule
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=float)  # a series, as implausible_doubts takes it
    extra = {"density_measured": density_measured} if keyword == "density_g_cm3" else {}
    return implausible_doubts(**{keyword: convert(value, unit, reads)}, **extra)


def dimension(unit):
    """The physical dimension of a reporting unit (``"conductivity"``, ``"density"``, ...)."""
    return _lookup(unit)[0]


def convert(value, from_unit, to_unit):
    """Convert ``value`` from ``from_unit`` to ``to_unit`` (same dimension).

    Parameters
    ----------
    value : float or numpy.ndarray
    from_unit, to_unit : str
        Keys of :data:`UNITS` (``"S/m"``, ``"mS/cm"``, ``"Å^2/ps"``, ``"g/cm^3"``, ...).

    Raises
    ------
    ValueError
        An unknown unit, units of different dimensions, or a finite value that would overflow
        to infinity in ``to_unit`` (NaN and infinities are converted as they are: an unknown
        error stays unknown).
    TypeError
        A unit that is not a string, or a value that is not a real number or array (a bool,
        a string, a list, ``None``).

    Examples
    --------
    >>> from ase_electrolyte.units import convert
    >>> convert(1.0, "S/m", "mS/cm")
    10.0
    >>> round(convert(1.0, "Å^2/ps", "1e-9 m^2/s"), 12)
    10.0
    >>> convert(1.2, "mol/kg", "mmol/g"), round(convert(1.2, "mol/L", "mol/m^3"), 9)
    (1.2, 1200.0)
    """
    dim_a, si_a = _lookup(from_unit)
    dim_b, si_b = _lookup(to_unit)
    if dim_a != dim_b:
        raise ValueError(f"cannot convert {from_unit!r} ({dim_a}) to {to_unit!r} ({dim_b})")
    # True would convert as 1, a list repeat itself, None fail in a bare multiplication
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if (isinstance(value, (bool, np.bool_)) or kind in ("b", "c", "O", "U", "S", "V")
            or (kind is None and not isinstance(value, numbers.Real))):
        raise TypeError(f"value must be a real number or an array of real numbers, not "
                        f"{value!r:.80}")
    # in double precision whatever the value's type: float32 (MDAnalysis' arrays) kept its
    # type, so 1e38 S/m was refused as an overflow in mS/cm, 1e-38 Å²/ps became 0 m²/s and
    # every result lost its digits past the seventh; an int beyond 64 bits (10**30) reached
    # numpy's isfinite as an object and raised its TypeError
    try:
        x = float(value) if kind is None else np.asarray(value, dtype=np.float64)
    except OverflowError:
        raise ValueError(f"value {value!r:.20} {from_unit} is beyond the range of a float (is it "
                         "in another unit?)") from None
    with np.errstate(over="ignore", under="ignore"):
        out = x * (si_a / si_b)
    # NaN and infinities pass as they are (an Estimate's unknown error stays unknown); a finite
    # value that overflows was returned as inf (1e308 S/m in mS/cm)
    if np.any(np.isinf(out) & np.isfinite(x)):
        raise ValueError(f"value {np.max(np.abs(x)):g} {from_unit} overflows in {to_unit}: "
                         "beyond the range of a float (is it in another unit?)")
    if np.any((out == 0) & (x != 0)):
        raise ValueError(f"value {np.min(np.abs(x[x != 0]) if np.ndim(x) else abs(x)):g} "
                         f"{from_unit} underflows to 0 in {to_unit}: below the range of a "
                         "float (is it in another unit?)")
    return out


#: Spellings of °C in a temperature typed with its unit (``25C``, ``25 °C``), told in K.
_CELSIUS = ("°C", "C", "degC", "℃")

#: A number followed by a unit: ``300K``, ``1 ns``, ``1.2e3 kg/m^3`` (the unit starts with
#: neither a digit, a sign, a point nor a list separator).
_NUMBER_AND_UNIT = re.compile(
    r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(\s*)([^\d\s,;.+-].*?)\s*")


def unit_advice(text, unit=None):
    """The advice for a number typed as text, with or without its unit, or ``None``.

    The one reading of ``"300 K"`` where a number in K is asked, for the Python number checks
    (:func:`~ase_electrolyte.atoms_checks.check_number`, hence screening plans and
    :func:`~ase_electrolyte.md.run_md`) and the command line alike: "must be a finite number,
    got '1 ps'" said neither that the unit is the trouble nor which one the argument reads.

    Parameters
    ----------
    text : str
        What was given where a number is asked.
    unit : str, optional
        The unit the argument reads (a key of :data:`UNITS` or another unit's name, such as
        ``"mol/kg"``); ``None``: a number without a unit (a count).

    Returns
    -------
    str or None
        ``"; give the number alone, in K: 300"`` (converted by :func:`convert` where the
        units convert, °C to K by its offset), ``"; give the number alone, in K ('F' is not
        read)"``, ``"; give the number alone, without a unit ('atoms')"`` or, for a number in
        quotes, ``"; give it as a number, not as text: 300"``; ``None`` for text that is no
        number.

    Examples
    --------
    >>> from ase_electrolyte.units import unit_advice
    >>> unit_advice("1 ns", "ps")
    '; give the number alone, in ps: 1000'
    >>> unit_advice("25 °C", "K")
    '; give the number alone, in K: 298.15'
    >>> unit_advice("25 F", "K")
    "; give the number alone, in K ('F' is not read)"
    >>> unit_advice("fast", "ps") is None
    True
    """
    if not isinstance(text, str):
        return None
    try:
        bare = float(text)
    except ValueError:
        pass
    else:
        # a plan's "300" or Python's "300": text where a number is asked (YAML, TOML and
        # Python all write numbers unquoted); "nan" or "1e999" would be refused as numbers too
        return (f"; give it as a number, not as text: {bare:g}" if np.isfinite(bare)
                else None)
    found = _NUMBER_AND_UNIT.fullmatch(text)
    if not found:
        return None
    number, spaced, given = float(found.group(1)), found.group(2), found.group(3)
    if not np.isfinite(number):
        return None  # "1e999 K": no number to give back
    if (not spaced and re.match(r"[eE]([-+]?\d|$)", given)) or re.search(r"[,;]", given):
        return None  # an exponent (1e, 1e-3x) or a list, not a unit ("1 e" is a charge)
    if unit is None:
        return f"; give the number alone, without a unit ({given!r})"
    if _ALIASES.get(given, given) == _ALIASES.get(unit, unit):
        # the argument's own unit, one convert() may not know ("3 amu" for a mass in amu)
        return f"; give the number alone, in {unit}: {number:g}"
    if unit == "K" and given in _CELSIUS:
        # an offset, not a factor: convert() has no such unit
        return f"; give the number alone, in K: {number + _c.zero_Celsius:g}"
    try:
        converted = convert(number, given, unit)
    except (ValueError, TypeError):
        return f"; give the number alone, in {unit} ({given!r} is not read)"
    return f"; give the number alone, in {unit}: {converted:g}"


#: For a number refused by its bounds, the units it is most often given in by mistake instead
#: of the argument's own (nm for Å as GROMACS writes lengths; ps for fs and back; Pa for bar;
#: a density's kg/m³ is check_density's own reading).
_LIKELY_SLIPS = {"Å": ("nm",), "fs": ("ps",), "ps": ("fs", "ns"), "ns": ("ps",),
                 "bar": ("Pa", "GPa"), "1/bar": ("1/GPa", "1/Pa"),
                 "eV/Å": ("meV/Å", "kJ/(mol·Å)")}


def slip_advice(value, unit, accepted):
    """``"; is it in nm? 0.2 nm = 2 Å"`` for a number refused in ``unit`` that another unit
    makes acceptable, or ``""``.

    ``accepted`` is the refusing check's bound test (a function of the number in ``unit``);
    only the usual slips are tried: nm for Å; ps for fs; fs or ns for ps; ps for ns; Pa or GPa
    for bar (1/GPa or 1/Pa for 1/bar); meV/Å or kJ/(mol·Å) for eV/Å; and °C for K. The first
    one the bounds take is named: a wider search would name some unit for any number.

    Examples
    --------
    >>> from ase_electrolyte.units import slip_advice
    >>> slip_advice(0.2, "Å", lambda x: x >= 0.5)
    '; is it in nm? 0.2 nm = 2 Å'
    >>> slip_advice(-3.0, "Å", lambda x: x >= 0.5)
    ''
    >>> slip_advice(-10.0, "K", lambda x: x > 0)
    '; is it in °C? -10 °C = 263.15 K'
    """
    if unit == "K":
        # °C is an offset, not a factor: -10 (°C) or 0 (°C) refused as a temperature in K
        meant = float(value) + _c.zero_Celsius
        if accepted(meant):
            return f"; is it in °C? {float(value):g} °C = {meant:g} K"
        return ""
    for other in _LIKELY_SLIPS.get(unit, ()):
        with np.errstate(all="ignore"):
            meant = float(value) * (_lookup(other)[1] / _lookup(unit)[1])
        if np.isfinite(meant) and accepted(meant):
            return f"; is it in {other}? {float(value):g} {other} = {meant:g} {unit}"
    return ""


#: Units an argument's name may end in (``temperature_K``, ``production_ps``) besides those in
#: parentheses (``density (g/cm³)``).
_NAME_SUFFIXES = ("K", "ps", "fs", "ns", "bar", "s", "eV", "Å", "nm", "GPa", "Pa")


#: Units of arguments that :func:`convert` does not convert, named in advice as they are.
_UNCONVERTED_UNITS = ("e", "bytes")

#: The concentration units' words (a plan's and the builder's ``units=``) → their units.
_CONCENTRATION_WORDS = {"molal": "mol/kg", "molar": "mol/L"}


def unit_of_name(name):
    """The unit an argument named ``name`` reads, or ``None``.

    A unit in parentheses (``"density (g/cm³)"``, ``"concentration (mol/kg)"``) or the
    suffix of an identifier (``"temperature_K (NVT)"``, ``"protocol production_ps"``), the
    conventions of this package's messages.

    Examples
    --------
    >>> from ase_electrolyte.units import unit_of_name
    >>> unit_of_name("temperature_K (NVT)"), unit_of_name("density (g/cm³)")
    ('K', 'g/cm³')
    >>> unit_of_name("n_atoms") is None
    True
    >>> unit_of_name("kappa_per_bar")
    '1/bar'
    """
    if not isinstance(name, str):
        return None
    for inside in re.findall(r"\(([^()]+)\)", name):
        inside = inside.strip()
        if inside in _CONCENTRATION_WORDS:  # a plan's "concentration (molal)"
            return _CONCENTRATION_WORDS[inside]
        # "(Å)", "(e, at most ...)", "(a width in Å)", "(e per ion)"
        for word in (inside, inside.split(",")[0].split(" per ")[0].strip(),
                     *re.findall(r"\bin (\S+?)[,;]?(?:\s|$)", inside)):
            if word in UNITS or word in _ALIASES or word in _UNCONVERTED_UNITS:
                return word
    for per, suffix in re.findall(r"[A-Za-z]_(per_)?([A-Za-zÅ]+)\b", name):
        if suffix in _NAME_SUFFIXES:
            # kappa_per_bar is in 1/bar: read as "bar", a compressibility's slip was advised as
            # a pressure's ("is it in Pa?") and an Estimate asked for .to('bar')
            if per:
                return f"1/{suffix}" if f"1/{suffix}" in UNITS else None
            return suffix
    return None
