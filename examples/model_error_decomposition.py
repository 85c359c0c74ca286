"""Where does a model's error lie: within molecules or between them?

    python examples/model_error_decomposition.py

:class:`mda_electrolyte.IntraInterErrors` splits the energy, force and stress errors of a model
against a reference into intramolecular parts (each molecule evaluated alone) and
intermolecular remainders, and the forces further into translation, rotation and vibration of
each molecule (Ju et al. 2025). :class:`mda_electrolyte.RigidVolumeScan` scales the centres of
mass of rigid molecules and the cell, and follows the intermolecular energy of model and
reference: the curve whose slope sets the model's density.

Here the model is SevenNet-0 and the reference SevenNet-0 with Grimme's D3 (BJ) dispersion
summed in (ASE's :class:`~ase.calculators.mixing.SumCalculator`): the "error" is then the D3
term exactly, whatever the model, and every number can be checked against D3 evaluated on its
own. With DFT labels as the reference (an extxyz file, ``reference="labels.extxyz"``) the same
calls give the model's real errors. Three packed boxes of 1 LiPF6 in 4 EC (48 atoms) take a
minute with SevenNet-0 on a laptop CPU; ``main(model)`` takes any ASE calculator instead.
"""

import numpy as np
from ase.calculators.mixing import SumCalculator

from ase_electrolyte import D3, Calculator, electrolyte_box
from ase_electrolyte.estimate import Estimate
from mda_electrolyte import IntraInterErrors, RigidVolumeScan
from mda_electrolyte.molecules import isolated_molecules

SCALES = [0.98, 1.0, 1.05, 1.1, 1.2, 1.4]


def d3_parts(frame, d3):
    """D3 forces of the frame (eV/Å), and of its molecules alone; inter energy in meV/atom."""
    ids = frame.arrays["molecule_index"]
    whole = frame.copy()
    whole.calc = d3
    forces, energy = whole.get_forces(), whole.get_potential_energy()
    intra = np.zeros_like(forces)
    e_intra = 0.0
    for mol in isolated_molecules(frame, ids):
        mol.calc = d3
        intra[mol.arrays["frame_index"]] = mol.get_forces()
        e_intra += mol.get_potential_energy()
    return forces, intra, (energy - e_intra) * 1e3 / len(frame)


def force_roundoff(model, frame):
    """RMS change (eV/Å) of the model's forces on ``frame`` translated as a whole: the
    round-off of the model's arithmetic (float32 in SevenNet: ~1e-7 of the forces)."""
    moved = frame.copy()
    moved.translate([0.37, -0.21, 0.13])
    forces = []
    for atoms in (frame.copy(), moved):
        atoms.calc = model
        forces.append(np.array(atoms.get_forces()))
    return float(np.sqrt(np.mean((forces[1] - forces[0]) ** 2)))


def main(model=None):
    model = model if model is not None else Calculator("sevennet-0", device="cpu")
    d3 = D3(damping="bj", functional="pbe", device="cpu")
    reference = SumCalculator([model, d3])
    frames = [electrolyte_box(counts={"EC": 4, "Li": 1, "PF6": 1}, seed=s) for s in range(3)]
    print(f"{len(frames)} frames of {len(frames[0])} atoms, molecules "
          f"{sorted(set(frames[0].arrays['molecule_species']))}")

    # keep_arrays: the per-atom force arrays of every part stay in results.forces (memory
    # grows with frames x atoms; without it only the error statistics are kept)
    errors = IntraInterErrors(frames, model, reference=reference, keep_arrays=True).run().results
    for part in ("total", "intra", "inter", "trans", "rot", "vib"):
        print(f"force RMSE {part:5s}: {errors.rmse[part]['forces']}")
    print(f"energy RMSE total: {errors.rmse['total']['energy']}")
    for atom_type, slope in errors.softening.items():
        print(f"force softening slope {atom_type}: {slope}")

    # the model-minus-reference forces are minus D3's: their RMS is D3's, part by part
    parts = [d3_parts(frame, d3) for frame in frames]
    rms = {"total": np.sqrt(np.mean([np.mean(f**2) for f, _, _ in parts])),
           "intra": np.sqrt(np.mean([np.mean(i**2) for _, i, _ in parts])),
           "inter": np.sqrt(np.mean([np.mean((f - i) ** 2) for f, i, _ in parts]))}
    # a check, not a result: the model minus (model + D3) is minus D3, whatever the model, to
    # the model's round-off: its molecules are evaluated alone, elsewhere in space, and a
    # float32 model's forces there differ by its rounding (SevenNet-0: 7.9e-6 of D3's intra RMS
    # force, which a float64 tolerance called a miss)
    noise = force_roundoff(model, frames[0])
    off = max(abs(errors.rmse[k]["forces"].value - v) for k, v in rms.items())
    tolerance = max(1e-9 * min(rms.values()), 10.0 * noise)
    print("check: the force RMSE of each part "
          + ("equals" if off <= tolerance else f"MISSES (difference {off:.1e} eV/Å)")
          + f" D3's own RMS force to the model's round-off ({tolerance:.1e} eV/Å; eV/Å: "
          + ", ".join(f"{k} {v:.6f}" for k, v in rms.items()) + ")")

    scan = RigidVolumeScan(frames, model, scales=SCALES, reference=reference).run().results
    print("scale  volume/Å³  (model - reference) intermolecular energy, meV/atom")
    for k, s in enumerate(SCALES):  # keyed by the scale as text, f"{s:g}"
        print(f"{s:5.2f}  {scan.volumes[0, k]:9.1f}  {scan.estimates['inter_error'][f'{s:g}']}")
    d3_inter = [inter for _, _, inter in parts]
    by_hand = Estimate(float(np.mean(d3_inter)),
                       float(np.std(d3_inter, ddof=1) / np.sqrt(len(d3_inter))), "meV/atom",
                       "standard error over 3 frames (not t-scaled)", n_samples=len(d3_inter),
                       converged=False, notes=("3 frames: a check, not a result",))
    print(f"D3 intermolecular energy at scale 1.00, by hand: {by_hand}")
    return errors, scan, rms, d3_inter


if __name__ == "__main__":
    main()
