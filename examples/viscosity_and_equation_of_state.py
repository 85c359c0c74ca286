"""Shear viscosity, equation of state, compressibility and thermal expansion on known answers.

    python examples/viscosity_and_equation_of_state.py

Seconds, synthetic inputs whose answers are known exactly, so that each estimator's number and
error bar can be judged before it is trusted on an MD run:

* :class:`mda_electrolyte.GreenKuboViscosity` and :class:`mda_electrolyte.EinsteinHelfandViscosity`
  on the pressure tensor of an isotropic liquid whose shear components are Ornstein–Uhlenbeck
  processes (variance S², correlation time tau): η = V S² tau / (k_B T). Five independent
  "runs" go in as :class:`mda_electrolyte.IonCollection` objects (what an H5MD file's
  ``pressure_tensor`` observable becomes), their spread the error.
* :class:`mda_electrolyte.EquationOfState`: NVT mean pressures on P(ρ) = a ρⁿ + b with 30 bar
  noise; the zero-pressure density it was built with is 1.32 g/cm³.
* :class:`mda_electrolyte.TaitCompressibility`: volumes on the Tait equation with C = 0.0894 and
  B = 1000 bar, so κ_T = C/B = 0.894 1/GPa at 1 atm.
* :class:`mda_electrolyte.Density` and :class:`mda_electrolyte.ThermalExpansion`: the
  equilibrated means (and errors) of five NPT density series with correlated fluctuations
  about ρ(T) = ρ₀(1 − α (T − 350 K)), α = 9 × 10⁻⁴ 1/K, and α from them.

On an MD run the inputs come from the H5MD files of ``electrolyte simulate`` (``sources=`` of
the equation of state, the file paths of the viscosities and of :class:`~mda_electrolyte.Density`).
"""

import numpy as np
from scipy import constants
from scipy.signal import lfilter

from mda_electrolyte import (
    Density,
    EinsteinHelfandViscosity,
    EquationOfState,
    GreenKuboViscosity,
    IonCollection,
    TaitCompressibility,
    ThermalExpansion,
)

rng = np.random.default_rng(0)

# --- shear viscosity ------------------------------------------------------------------------
DT, TAU, S, VOLUME, T = 0.01, 0.2, 300.0, 2.0e4, 300.0  # ps, ps, bar, Å³, K
N_SAMPLES = 20000


def ou(shape, s):
    """Stationary Ornstein–Uhlenbeck series of variance s² and correlation time TAU."""
    a = np.exp(-DT / TAU)
    noise = rng.normal(size=(N_SAMPLES + 500,) + shape)
    return lfilter([s * np.sqrt(1 - a * a)], [1, -a], noise, axis=0)[500:]


def pressure_tensor(mean_pressure=500.0):
    """Symmetric pressure tensor (bar) of an isotropic liquid: every shear part ∫⟨PP⟩ = S² TAU.

    Off-diagonal elements have variance S²; the traceless diagonal is spanned by two
    orthonormal traceless directions of variance 2 S² (isotropy); the isotropic pressure
    fluctuates on top, which no shear viscosity may see.
    """
    p = np.zeros((N_SAMPLES, 3, 3))
    amp = ou((2,), np.sqrt(2) * S)
    e1, e2 = np.array([1, -1, 0]) / np.sqrt(2), np.array([1, 1, -2]) / np.sqrt(6)
    diag = amp[:, :1] * e1 + amp[:, 1:] * e2 + mean_pressure + 50 * rng.normal(size=(N_SAMPLES, 1))
    p[:, [0, 1, 2], [0, 1, 2]] = diag
    off = ou((3,), S)
    for k, (i, j) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, i, j] = p[:, j, i] = off[:, k]
    return p


# η = V S² tau / (k_B T): Å³ bar² ps / J -> Pa·s -> mPa·s
eta_exact = VOLUME * 1e-30 * (S * 1e5) ** 2 * TAU * 1e-12 / (constants.k * T) * 1e3
print(f"exact shear viscosity: {eta_exact:.4f} mPa·s")

one_run = pressure_tensor()
gk = GreenKuboViscosity(one_run, temperature=T, volume=VOLUME, dt=DT, max_lag=10 * TAU).run()
eh = EinsteinHelfandViscosity(one_run, temperature=T, volume=VOLUME, dt=DT).run()
print(f"Green–Kubo, one run (10 blocks):       {gk.results.shear_viscosity}")
print(f"Einstein–Helfand, one run (10 blocks): {eh.results.shear_viscosity}")

runs = [IonCollection.from_pressure_tensor(pressure_tensor(), dt=DT, volume=VOLUME,
                                           temperature=T, label=f"run {k}") for k in range(5)]
gk_runs = GreenKuboViscosity.from_collections(runs, max_lag=10 * TAU)  # estimated: no .run()
print(f"Green–Kubo, 5 independent runs:        {gk_runs.results.shear_viscosity}")

# --- equation of state: zero-pressure density -----------------------------------------------
RHO0, N_EXP, BULK = 1.32, 7.0, 2.0e4  # g/cm³, -, bar (K = a n ρ0ⁿ at ρ0)
a = BULK / (N_EXP * RHO0**N_EXP)
densities = np.linspace(1.26, 1.38, 7)
pressures = a * densities**N_EXP - a * RHO0**N_EXP + rng.normal(scale=30.0, size=7)
eos = EquationOfState(densities, pressures, pressure_errors=np.full(7, 30.0)).run()
print(f"zero-pressure density: {eos.results.zero_pressure_density} (built with {RHO0})")

# --- isothermal compressibility (Tait) ------------------------------------------------------
C, B, V0 = 0.0894, 1000.0, 1.0e4  # -, bar, Å³
p_tait = np.array([1.0, 200.0, 400.0, 600.0, 800.0, 1000.0, 1200.0])
v_tait = V0 * (1 - C * np.log1p((p_tait - 1.01325) / B)) + rng.normal(scale=0.5, size=7)
tait = TaitCompressibility(p_tait, v_tait, volume_errors=np.full(7, 0.5)).run()
print(f"isothermal compressibility: {tait.results.compressibility} (built with {C / B * 1e4:.4g})")

# --- thermal expansion, from the NPT density series of five runs ----------------------------
ALPHA, N_NPT = 9e-4, 5000  # 1/K, samples of each run's density series (1 ps apart)
temps = np.array([300.0, 325.0, 350.0, 375.0, 400.0])
densities_t = []
for temp in temps:
    # correlated fluctuations (AR(1), ~10 samples' memory) about the run's density
    series = RHO0 * (1 - ALPHA * (temp - 350.0)) + lfilter(
        [0.005 * np.sqrt(1 - 0.9**2)], [1, -0.9], rng.normal(size=N_NPT))
    densities_t.append(Density(series, dt=1.0).run().results.equilibrium_density)
    print(f"NPT density at {temp:.0f} K: {densities_t[-1]}")
expansion = ThermalExpansion(temps, [d.value for d in densities_t],
                             [d.stderr for d in densities_t], reference_temperature=350.0).run()
print(f"thermal expansion coefficient: {expansion.results.expansivity} (built with {ALPHA})")
