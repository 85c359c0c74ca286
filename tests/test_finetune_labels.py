"""Fine-tune labels in the wrong unit or convention are refused before training, naming the frame.

Energies per atom given as totals (or the reverse), in Hartree, Rydberg, kcal/mol or kJ/mol;
positions in bohr or nm; forces that do not sum to zero. A constant offset from the base
model's energies (another code's reference) passes.
"""

import re

import numpy as np
import pytest
from ase.build import bulk, fcc111, molecule
from ase.calculators.singlepoint import SinglePointCalculator
from ase.units import Bohr, Hartree, Rydberg, kcal, kJ, mol
from tiny_models import emt_copper

pytest.importorskip("sevenn")

from ase_electrolyte.finetuning import (  # noqa: E402
    _check_energy_scale,
    read_labelled,
)

# a base model whose energies are the reference's minus 1.8 eV/atom (a cohesive energy), with
# an error of 2 meV/atom
COHESIVE = -1.8


def _frames():
    """Six 4-atom and two 8-atom EMT copper frames, with the base model's energies."""
    frames = emt_copper(6, seed=3) + emt_copper(2, seed=4, repeat=(2, 1, 1))
    rng = np.random.default_rng(1)
    model = [a.calc.results["energy"] + COHESIVE * len(a) + rng.normal(0, 0.002) * len(a)
             for a in frames]
    return frames, model


def _relabel(frames, energy_of, only=None):
    """Copies whose energy label is ``energy_of(eV energy, n_atoms)`` (frames ``only``)."""
    out = []
    for k, atoms in enumerate(frames):
        r = dict(atoms.calc.results)
        if only is None or k in only:
            r["energy"] = energy_of(r["energy"] + COHESIVE * len(atoms), len(atoms))
        else:
            r["energy"] = r["energy"] + COHESIVE * len(atoms)
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, **r)
        out.append(copy)
    return out


@pytest.mark.parametrize("energy_of, reading", [
    (lambda e, n: e / Hartree, "Hartree"),
    (lambda e, n: e / Rydberg, "Rydberg"),
    (lambda e, n: e * mol / kcal, "kcal/mol"),
    (lambda e, n: e * mol / kJ, "kJ/mol"),
    (lambda e, n: e / n, "the energy per atom given as the frame's energy"),
    (lambda e, n: e * n, "the frame's energy times its atom count"),
])
def test_energies_in_another_unit_or_per_atom_are_named_with_both_readings(energy_of, reading):
    frames, model = _frames()
    labelled = _relabel(frames, energy_of)
    with pytest.raises(ValueError, match=r"frame 0 \(and frame\(s\) 1, 2, 3, 4, 5, 6, 7\) has an "
                                         r"energy label") as err:
        _check_energy_scale(labelled, model)
    text = str(err.value)
    assert f"read as {reading} it is " in text
    # both readings, eV/atom: as eV it is the label over 4 atoms; the named reading gives the
    # base model's energy per atom back
    lab = labelled[0].calc.results["energy"]
    as_ev = float(text.split("in eV it is ")[1].split()[0])
    as_reading = float(text.split(f"read as {reading} it is ")[1].split()[0])
    assert as_ev == pytest.approx(lab / 4, rel=5e-3)
    assert as_reading == pytest.approx(model[0] / 4, abs=0.02)


@pytest.mark.parametrize("energy_of, reading", [
    # all-electron energies in Hartree (water: -25 Ha/atom) pass the size check; the offset
    # hides the unit in the energies themselves, not in their differences
    (lambda e, n: e / Hartree - 25.0 * n, "Hartree"),
    (lambda e, n: e / Rydberg - 30.0 * n, "Rydberg"),
    (lambda e, n: (e + 1.7 * n) * mol / kcal, "kcal/mol"),
])
def test_a_unit_under_an_offset_is_found_in_the_energy_differences(energy_of, reading):
    frames, model = _frames()
    with pytest.raises(ValueError, match=r"frames 0, 1, 2, 3, 4, 5, 6, 7 \(of one composition "
                                         rf"each\) differ by .*they read as {reading}\b") as err:
        _check_energy_scale(_relabel(frames, energy_of), model)
    scale = float(str(err.value).split(" differ by ")[1].split()[0])
    factor = energy_of(1.0, 1) - energy_of(0.0, 1)
    assert scale == pytest.approx(factor, rel=0.3)


@pytest.mark.parametrize("energy_of", [
    lambda e, n: e,                  # the base model's own reference
    lambda e, n: e + 100.0,          # an offset per frame
    lambda e, n: e - 2.0 * n,        # an offset per atom (another code's reference energies)
    lambda e, n: e + 3.0 * n - 7.0,  # both
    lambda e, n: e - COHESIVE * n,   # energies relative to free atoms: near zero per atom
])
def test_a_constant_offset_from_the_base_model_passes(energy_of):
    frames, model = _frames()
    _check_energy_scale(_relabel(frames, energy_of), model)


def test_one_frame_per_atom_among_good_frames_is_named():
    frames, model = _frames()
    labelled = _relabel(frames, lambda e, n: e / n, only={5})
    with pytest.raises(ValueError, match=r"^validation data: frame 5 has an energy label .* "
                                         r"read as the energy per atom given as the frame's"):
        _check_energy_scale(labelled, model, "validation data")


def _labelled(atoms, forces=None):
    atoms.calc = SinglePointCalculator(
        atoms, energy=-4.0 * len(atoms),
        forces=np.zeros((len(atoms), 3)) if forces is None else forces)
    return atoms


def _water_box():
    box = molecule("H2O") + molecule("H2O")
    box.positions[3:] += [2.9, 0.3, 0.1]
    box.set_cell([7.0, 7.0, 7.0])
    box.pbc = True
    box.center()
    return box


@pytest.mark.parametrize("structure", [
    lambda: _water_box(), lambda: molecule("CH3CH2OH"), lambda: molecule("CH4"),
])
@pytest.mark.parametrize("unit, factor", [("bohr", 1 / 0.52917721), ("nm", 0.1)])
def test_positions_in_bohr_or_nm_are_named(structure, unit, factor):
    good = _labelled(structure())
    read_labelled([good])
    scaled = good.copy()
    scaled.set_cell(scaled.cell * factor, scale_atoms=True)
    scaled.positions = good.positions * factor
    with pytest.raises(ValueError, match=rf"frame 1: .* positions in {unit} \(×"):
        read_labelled([good, _labelled(scaled)])


@pytest.mark.parametrize("structure", [
    lambda: bulk("Cu", "fcc", a=3.6, cubic=True),
    lambda: bulk("LiF", "rocksalt", a=4.03).repeat(2),
    lambda: bulk("Ar", "fcc", a=5.26).repeat(2),           # van der Waals neighbours
    lambda: bulk("Cu", "fcc", a=3.6, cubic=True) * (1, 1, 1) + molecule("H2"),
])
def test_plausible_structures_and_gases_pass_the_distance_check(structure):
    atoms = structure()
    if not atoms.pbc.any():
        atoms.center(vacuum=4.0)
    read_labelled([_labelled(atoms)])
    # two water molecules 8 Å apart (a dimer scan at long range)
    far = molecule("H2O") + molecule("H2O")
    far.positions[3:] += [8.0, 0.0, 0.0]
    read_labelled([_labelled(far)])


@pytest.mark.parametrize("extra", [
    np.array([0.3, 0.0, 0.0]),     # a uniform external field on every atom
    "one atom dropped",            # the force of one atom is missing (zeros)
])
def test_forces_that_do_not_sum_to_zero_are_named(extra):
    frames = emt_copper(3, seed=1)
    r = dict(frames[1].calc.results)
    forces = r["forces"].copy()
    if isinstance(extra, str):
        forces[np.argmax(np.linalg.norm(forces, axis=1))] = 0.0
    else:
        forces = forces + extra
    r["forces"] = forces
    frames[1].calc = SinglePointCalculator(frames[1], **r)
    with pytest.raises(ValueError, match=r"frame 1: its forces sum to .* not about zero"):
        read_labelled(frames)


def test_a_dft_like_force_drift_passes():
    frames = emt_copper(2, seed=1)
    r = dict(frames[1].calc.results)
    r["forces"] = r["forces"] + 0.005  # meV/Å per atom: a DFT grid's drift
    frames[1].calc = SinglePointCalculator(frames[1], **r)
    out = read_labelled(frames)
    np.testing.assert_allclose(out[1].get_forces(), r["forces"])


def _in_bohr(atoms):
    """A copy with positions and cell in bohr, as an atomic-units code writes them."""
    out = atoms.copy()
    out.set_cell(atoms.cell / Bohr, scale_atoms=False)
    out.positions = atoms.positions / Bohr
    return _labelled(out)


@pytest.mark.parametrize("structure", [
    lambda: bulk("Cu", "fcc", a=3.6, cubic=True),                 # a metal
    lambda: bulk("W", "bcc", a=3.16).repeat(2),                  # the shortest bonds of metals
    lambda: bulk("LiF", "rocksalt", a=4.03).repeat(2),            # a salt
    lambda: fcc111("Al", (2, 2, 3), vacuum=5.0),                 # a slab (periodic in 2D)
    lambda: molecule("CCl4"), lambda: molecule("PF3"),          # molecules without hydrogen
    lambda: molecule("NF3"), lambda: molecule("CO2"),
])
def test_positions_in_bohr_are_named_without_hydrogen(structure):
    """Bohr is found from every element pair's bonds, not only X-H ones."""
    atoms = structure()
    if not atoms.pbc.any():
        atoms.center(vacuum=4.0)
    read_labelled([_labelled(atoms.copy())])
    with pytest.raises(ValueError, match=r"frame\(s\) 0, 1 \(2 of 2 judged\): .* positions "
                                         r"in bohr \(×1.89"):
        read_labelled([_in_bohr(atoms), _in_bohr(atoms)])


def test_correct_structures_of_every_element_pass_the_distance_check():
    """No false alarm on the reference crystal of any element (ase.build.bulk), nor on the
    G2 molecules without hydrogen: they lie at 0.73-1.24 × the covalent radii sum."""
    from ase.collections import g2
    from ase.data import chemical_symbols, reference_states

    frames = []
    for z in range(1, len(reference_states)):
        try:
            frames.append(_labelled(bulk(chemical_symbols[z]).repeat(2)))
        except (ValueError, KeyError, RuntimeError):
            continue  # no reference crystal ase can build
    frames += [_labelled(g2[name]) for name in g2.names if 1 not in g2[name].numbers]
    assert len(frames) > 80
    for k, atoms in enumerate(frames):
        if not atoms.pbc.any():
            atoms.center(vacuum=4.0)
        read_labelled([atoms], what=f"frame {k} ({atoms.get_chemical_formula()})")


def test_gas_frames_among_condensed_ones_pass_and_a_gas_alone_needs_check_units_false():
    """An expanded metal (copper at 1/8 of its density) looks like copper in bohr: among
    condensed frames it passes (a data set is judged, not each frame); alone it is refused
    unless the check is switched off."""
    condensed = [_labelled(bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)) for _ in range(3)]
    gas = _labelled(bulk("Cu", "fcc", a=7.2, cubic=True))
    assert len(read_labelled(condensed + [gas])) == 4
    with pytest.raises(ValueError, match=r"frame\(s\) 0 \(1 of 1 judged\).* bohr"):
        read_labelled([gas])
    assert len(read_labelled([gas], check_units=False)) == 1


def _emt_frames(structure, n, rattle, seed=0):
    """``n`` rattled copies of ``structure`` labelled by EMT (eV, eV/Å)."""
    from ase.calculators.emt import EMT

    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        atoms = structure.copy()
        atoms.rattle(rattle, rng=rng)
        atoms.calc = EMT()
        atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(),
                                           forces=atoms.get_forces())
        frames.append(atoms)
    return frames


def _md_frames():
    """Eight frames 5 fs apart of EMT copper released from rattled positions (a trajectory)."""
    from ase import units
    from ase.calculators.emt import EMT
    from ase.md.verlet import VelocityVerlet

    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.rattle(0.15, rng=np.random.default_rng(0))
    atoms.calc = EMT()
    dyn = VelocityVerlet(atoms, 2.5 * units.fs)
    frames = []
    for _ in range(8):
        dyn.run(2)
        frames.append(atoms.copy())
        frames[-1].calc = SinglePointCalculator(frames[-1],
                                                energy=atoms.get_potential_energy(),
                                                forces=atoms.get_forces())
    return frames


_WORK_DATA = {
    # rattled by 0.05 Å: at 0.08 Å these 5 pairs give 0.83 (0.69-0.97 at 98 %), so forces
    # in eV/bohr 1.57 in 1.31-1.83, within reach of the accepted 1.45, which the labels alone
    # no longer judge (_work_factor_interval); finetune's base-model work check finds it
    "copper": lambda: _emt_frames(bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2), 6, 0.05),
    "ethanol": lambda: _emt_frames(molecule("CH3CH2OH"), 6, 0.05),
    "copper MD": _md_frames,
}


@pytest.mark.parametrize("data", list(_WORK_DATA))
@pytest.mark.parametrize("reading, energy_factor, force_factor", [
    ("eV/bohr forces", 1.0, Bohr),
    ("Hartree/bohr forces", 1.0, Bohr / Hartree),
    ("kcal/mol energies", mol / kcal, 1.0),
    ("Hartree energies", 1.0 / Hartree, 1.0),
])
def test_energies_and_forces_in_different_units_are_named_from_the_labels_alone(
        data, reading, energy_factor, force_factor):
    """Energy differences are the work of the forces: a unit mismatch between the two is
    found without a base model, for any chemistry (eV/bohr forces pass every size check)."""
    frames = _WORK_DATA[data]()
    assert len(read_labelled(frames)) == len(frames)  # correct labels: no false alarm
    relabelled = []
    for atoms in frames:
        r = dict(atoms.calc.results)
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, energy=r["energy"] * energy_factor,
                                          forces=r["forces"] * force_factor)
        relabelled.append(copy)
    try:
        read_labelled(relabelled)
    except ValueError as err:
        message = str(err)
    else:
        pytest.fail("not refused")
    if "per atom, which does not look like eV" in message or "RMS force" in message:
        return  # refused earlier by the size of the labels
    # 32-atom frames: Hartree energies (1/27.2) and energies per atom (1/32) give nearly
    # one factor, and both readings are named, the nearer first
    assert re.search(rf"the energy differences of frames 0, 1, 2.* they read as "
                     rf"(energies per atom \(.*\) or )?{reading}", message), message
    assert len(read_labelled(relabelled, check_units=False)) == len(frames)


@pytest.mark.parametrize("stress_key", ["stress", "virial"])
def test_labels_held_in_info_and_arrays_train_and_the_callers_frames_keep_them(tmp_path,
                                                                              stress_key):
    """Labels read from ``info``/``arrays`` (ase.io's extxyz keys) train: the copies held them
    twice, and ase's extxyz writer raised KeyError after the base model had run."""
    import ase.io
    from tiny_models import TINY

    from ase_electrolyte.finetuning import finetune

    frames = []
    for atoms in emt_copper(3, seed=7):
        r = atoms.calc.results
        plain = atoms.copy()  # no calculator: the labels as plain keys
        plain.info["energy"] = r["energy"]
        plain.arrays["forces"] = r["forces"].copy()
        plain.info[stress_key] = (r["stress"] if stress_key == "stress"
                                  else -r["stress"] * atoms.get_volume())
        frames.append((plain, r))
    labelled = read_labelled([f for f, _ in frames])
    assert all("energy" not in a.info and stress_key not in a.info for a in labelled)
    res = finetune(TINY, [f for f, _ in frames], epochs=1, out=tmp_path, device="cpu",
                   plot=False)
    written = ase.io.read(res.workdir / "member_0" / "train.extxyz", ":")
    for got, (plain, r) in zip(written, frames, strict=True):
        np.testing.assert_allclose(got.get_stress(), r["stress"], rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(got.get_forces(), r["forces"], rtol=1e-6, atol=1e-10)
        assert stress_key in plain.info and "forces" in plain.arrays  # the caller's frames


@pytest.mark.parametrize("change", ["unwrapped", "translated", "translated and wrapped",
                                    "written and read back"])
def test_a_validation_frame_that_is_a_moved_training_frame_is_refused(change, tmp_path):
    """Leakage: a validation frame that is a training frame wrapped into the cell or moved as
    a whole (labels are invariant to both) makes the validation error a training error."""
    import ase.io

    from ase_electrolyte.finetuning import _check_disjoint

    train = emt_copper(3, seed=9)
    other = emt_copper(1, seed=10)[0]
    leaked = train[1].copy()
    leaked.calc = SinglePointCalculator(leaked, **train[1].calc.results)
    if change == "unwrapped":
        leaked.positions[0] -= leaked.cell[0]  # one atom in the next cell
    if "translated" in change:
        leaked.positions += [1.3, -0.7, 2.9]
    if change == "translated and wrapped":
        leaked.wrap()
    if change == "written and read back":
        ase.io.write(tmp_path / "v.extxyz", [other, leaked])
        valid = read_labelled(tmp_path / "v.extxyz")
    else:
        valid = read_labelled([other, leaked])
    _check_disjoint(read_labelled(train), [valid[0]])  # a different frame passes
    with pytest.raises(ValueError, match=r"^1 of 2 validation frame\(s\) are training frames: "
                                         r"1 \(= training frame 1\)"):
        _check_disjoint(read_labelled(train), valid)


def test_training_from_scratch_on_frames_without_force_is_refused_before_training(tmp_path):
    """sevenn scales a new model by the RMS training force: relaxed (or identical relaxed)
    frames gave a model of zero forces everywhere and one constant energy."""
    from ase.calculators.emt import EMT
    from tiny_models import TINY

    from ase_electrolyte.finetuning import finetune

    frames = []
    for a in (3.55, 3.6, 3.65):  # relaxed: zero forces by symmetry
        atoms = bulk("Cu", "fcc", a=a, cubic=True)
        atoms.calc = EMT()
        atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(),
                                           forces=atoms.get_forces())
        frames.append(atoms)
    with pytest.raises(ValueError, match=r"training forces are all zero .* over 3 frame"):
        finetune(TINY, frames, epochs=1, out=tmp_path / "o", device="cpu")
    assert not (tmp_path / "o").exists()
