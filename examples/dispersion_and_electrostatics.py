"""DFT-D3 dispersion and explicit Coulomb energies of an electrolyte box, each checked.

    python examples/dispersion_and_electrostatics.py

Seconds on a laptop CPU, no model needed:

* :class:`ase_electrolyte.D3` (Grimme et al. 2010, Becke–Johnson damping with PBE's parameters,
  the correction Ju et al. 2025 add to SevenNet-0) on 1 LiPF6 in 4 EC, against the independent
  simple-dftd3 (the ``dftd3`` package) with the same cutoffs; its forces against a finite
  difference of its energy; the intermolecular part as the box minus its isolated molecules.
* :class:`ase_electrolyte.Electrostatics` on rock salt NaCl, whose Madelung constant is known
  (1.747565), then the ions' formal charges of the same box by Ewald and by particle-mesh Ewald.

Every result is printed as an :class:`~ase_electrolyte.estimate.Estimate`: a deterministic sum
has no statistical error, so its error is the disagreement of two independent evaluations (a
difference of sums, the intermolecular energy, carries the checks of every sum in it). The other
numbers are printed as checks, labelled so: a reference beside the value it checks, and the
exact Coulomb energy of a bare ion pair for scale.
"""

import warnings

import numpy as np
from ase.build import bulk
from ase.units import Bohr, Hartree

from ase_electrolyte import D3, Electrostatics, UnreadChargesWarning, electrolyte_box
from ase_electrolyte.electrostatics import COULOMB
from ase_electrolyte.estimate import Estimate
from mda_electrolyte.molecules import isolated_molecules

CUTOFF, CN_CUTOFF = 50.2, 20.0  # Å, D3's defaults (the VASP-style values used with SevenNet-0)

atoms = electrolyte_box(counts={"EC": 4, "Li": 1, "PF6": 1}, seed=0)
n_atoms = len(atoms)
print(f"box: {atoms.info['composition']}, {n_atoms} atoms, {atoms.cell[0, 0]:.2f} Å")

# --- D3 against simple-dftd3 ----------------------------------------------------------------
d3 = D3(damping="bj", functional="pbe", cutoff=CUTOFF, cn_cutoff=CN_CUTOFF, device="cpu")
box = atoms.copy()
box.calc = d3
e_d3, f_d3 = box.get_potential_energy(), box.get_forces()

try:
    from dftd3.interface import DispersionModel, RationalDampingParam
except ImportError:  # simple-dftd3 is optional: the other checks still run
    e_ref = f_ref = None
else:
    model = DispersionModel(atoms.numbers, atoms.positions / Bohr, atoms.cell[:] / Bohr,
                            atoms.pbc)
    model.set_realspace_cutoff(CUTOFF / Bohr, CN_CUTOFF / Bohr, CN_CUTOFF / Bohr)
    ref = model.get_dispersion(RationalDampingParam(method="pbe", atm=False), grad=True)
    e_ref, f_ref = ref["energy"] * Hartree, -ref["gradient"] * Hartree / Bohr

if e_ref is None:
    d3_energy = Estimate.invalid(e_d3, float("nan"), "eV", "no uncertainty available",
                                 "not checked: simple-dftd3 (dftd3) is not installed")
else:
    d3_energy = Estimate(e_d3, abs(e_d3 - e_ref), "eV",
                         "difference from simple-dftd3 with the same cutoffs", n_samples=1)
    print(f"check: simple-dftd3 {e_ref:.10f} eV; largest force difference "
          f"{np.abs(f_d3 - f_ref).max():.1e} eV/Å")
print(f"D3(BJ) energy of the box: {d3_energy}")

# forces are the energy's gradient: central difference on the Li atom along x
li = int(np.flatnonzero(atoms.numbers == 3)[0])
h = 1e-4
shifted = []
for sign in (1, -1):
    moved = atoms.copy()
    moved.positions[li, 0] += sign * h
    shifted.append(d3.get_potential_energy(moved))
fd = -(shifted[0] - shifted[1]) / (2 * h)
print(f"check: Li force x analytic {f_d3[li, 0]:.8f} eV/Å, central finite difference "
      f"(h = {h:g} Å) {fd:.8f} eV/Å, differ by {abs(f_d3[li, 0] - fd):.1e} eV/Å")

# intermolecular dispersion: the box minus each molecule alone (made whole, no cell). Its error
# bounds the disagreements with simple-dftd3 of the box and of every molecule: the box's alone
# said nothing of the molecules' sums, which the difference holds as well
molecules = isolated_molecules(atoms, atoms.arrays["molecule_index"])
e_mols = [d3.get_potential_energy(mol) for mol in molecules]
isolated = sum(e_mols)
inter = e_d3 - isolated
if e_ref is None:
    inter_energy = Estimate.invalid(inter * 1e3 / n_atoms, float("nan"), "meV",
                                    "no uncertainty available",
                                    "not checked: simple-dftd3 (dftd3) is not installed")
else:
    ref_mols = [DispersionModel(mol.numbers, mol.positions / Bohr).get_dispersion(
        RationalDampingParam(method="pbe", atm=False), grad=False)["energy"] * Hartree
        for mol in molecules]
    bound = abs(e_d3 - e_ref) + sum(abs(e - r) for e, r in zip(e_mols, ref_mols, strict=True))
    inter_energy = Estimate(inter * 1e3 / n_atoms, bound * 1e3 / n_atoms, "meV",
                            "sum of the box's and each molecule's difference from "
                            "simple-dftd3", n_samples=1)
print(f"intermolecular D3 energy per atom: {inter_energy}")

# --- Electrostatics -------------------------------------------------------------------------
nacl = bulk("NaCl", "rocksalt", a=5.64)
r0 = 5.64 / 2
madelung = {}
for method in ("ewald", "pme"):
    calc = Electrostatics(scheme="qrd", qrd={"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)},
                          method=method, tolerance=1e-8, device="cpu")
    madelung[method] = -calc.get_potential_energy(nacl) * r0 / COULOMB
m_nacl = Estimate(madelung["ewald"], abs(madelung["ewald"] - madelung["pme"]), "1",
                  "difference of Ewald and PME at tolerance 1e-8", n_samples=1)
print(f"NaCl Madelung constant: {m_nacl} (exact 1.747565)")

# a net charge given only as initial_charges, which the QRd term does not read, is named
# (ASE calculators ignore inputs they do not use; a cation evaluated as neutral is worth a word)
cation = nacl.copy()
cation.set_initial_charges([1.0, 0.0])
with warnings.catch_warnings(record=True) as said:
    warnings.simplefilter("always")
    Electrostatics(scheme="qrd", qrd={"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)},
                   device="cpu").get_potential_energy(cation)
unread = [w for w in said if issubclass(w.category, UnreadChargesWarning)]
print(f"UnreadChargesWarning: {unread[0].message}")

coulomb = {}
for method in ("ewald", "pme"):
    calc = Electrostatics(scheme="array", array="formal_charge", method=method,
                          tolerance=1e-6, device="cpu")
    coulomb[method] = calc.get_potential_energy(atoms)
e_coul = Estimate(coulomb["ewald"], abs(coulomb["ewald"] - coulomb["pme"]), "eV",
                  "difference of Ewald and PME at tolerance 1e-6", n_samples=1)
print(f"Coulomb energy of the formal charges (Li+ and the P of PF6-): {e_coul}")
# the same two charges without their periodic images, for scale
q_pos = atoms.positions[atoms.arrays["formal_charge"] != 0]
d = q_pos[0] - q_pos[1]
d -= atoms.cell[0, 0] * np.round(d / atoms.cell[0, 0])
print(f"check (exact, Coulomb's law): a bare +1/-1 pair at the minimum-image distance "
      f"{np.linalg.norm(d):.2f} Å has {-COULOMB / np.linalg.norm(d):.4f} eV, for scale")
