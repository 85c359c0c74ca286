"""Stored isolated-molecule energies: unit slips refused, molten salts' large cohesion accepted.

The intermolecular energy a stored reference leaves, ``E − Σ_j E_j``, was refused beyond
2 eV/atom (and half the frames' energy). A molten salt's ions are molecules of one atom and its
cohesion is several eV per atom: SevenNet-0 gives (measured in-process, ``7net-0`` on CPU,
rattled rock-salt cells of 16 atoms, isolated neutral atoms) LiCl −3.518 eV/atom in the melt,
Li −0.470 and Cl −0.680 eV isolated, an intermolecular energy of −2.94 eV/atom; MgF₂ −3.60;
a charged DFT reference (isolated Mg²⁺, Cl⁻) gives MgCl₂ −8.7 eV/atom. All were refused.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors_label_checks import (  # noqa: E402
    FRAMES,
    Counting,
    _isolated_labels,
    _labelled,
)

from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    MAX_INTER_ENERGY,
    MAX_INTER_ENERGY_PER_MOLECULE,
    UNIT_FACTORS,
    IntraInterErrors,
    isolated_energy_doubt,
)


def _old_rule(frame_energies, molecule_energies, sizes):
    n = sum(sizes)
    inter = np.median((np.asarray(frame_energies) - np.sum(molecule_energies, axis=1)) / n)
    total = np.median(np.asarray(frame_energies) / n)
    return abs(inter) > 2.0 and abs(inter) > 0.5 * abs(total)


def _salt(total_per_atom, isolated, n_pairs=8, n_frames=5, spread=0.01):
    """Frames of a binary melt: energies (n_frames,), isolated (n_frames, 2 n_pairs)."""
    rng = np.random.default_rng(3)
    n = 2 * n_pairs
    frames = total_per_atom * n + rng.normal(scale=spread * n, size=n_frames)
    mols = np.tile(np.repeat([isolated], n_pairs, axis=0).ravel(), (n_frames, 1))
    return frames, mols, [1] * n


@pytest.mark.parametrize("case, total, isolated", [
    # SevenNet-0 (measured, see the module docstring): isolated neutral atoms
    ("LiCl, SevenNet-0", -3.518, (-0.470, -0.680)),
    ("NaCl, SevenNet-0", -3.236, (-0.221, -0.680)),
    # a charged VASP-like reference: Li⁺ = E(Li) + 5.39 eV, Cl⁻ = E(Cl) − 3.61 eV; lattice
    # energy of LiCl 8.8 eV per ion pair
    ("LiCl, charged ions", -3.5, (-1.9 + 5.39, -1.8 - 3.61)),
])
def test_molten_salts_pass_that_the_old_bound_refused(case, total, isolated):
    frames, mols, sizes = _salt(total, isolated)
    assert _old_rule(frames, mols, sizes), case
    assert abs(np.median(frames - mols.sum(1))) / sum(sizes) > MAX_INTER_ENERGY
    assert isolated_energy_doubt(frames, mols, sizes) is None, case


def test_a_divalent_melt_passes_and_one_beyond_any_cohesion_is_refused():
    # MgCl₂ with charged ions: Mg²⁺ = E(Mg) + 22.7 eV, lattice energy 26 eV per formula unit
    rng = np.random.default_rng(4)
    sizes = [1] * 12
    iso = np.tile([-1.5 + 22.7] * 4 + [-1.8 - 3.6] * 8, (5, 1))
    frames = iso.sum(1) - 26.2 * 4 + rng.normal(scale=0.1, size=5)
    assert _old_rule(frames, iso, sizes)
    assert isolated_energy_doubt(frames, iso, sizes) is None
    # isolated energies of another zero (all-electron totals, thousands of eV per ion)
    doubt = isolated_energy_doubt(frames, iso - 12000.0, sizes)
    assert doubt is not None and f"more than {MAX_INTER_ENERGY_PER_MOLECULE:g} eV per molecule" \
        in doubt


def _molecular_liquid(n_frames=6, n_mol=10, size=10, per_atom=-5.2, inter=-0.05):
    """VASP-like energies of a liquid of ``size``-atom molecules (eV)."""
    rng = np.random.default_rng(5)
    mol = rng.normal(per_atom * size, 0.3, size=(n_frames, n_mol))
    frames = mol.sum(1) + inter * size * n_mol + rng.normal(scale=0.2, size=n_frames)
    return frames, mol, [size] * n_mol


@pytest.mark.parametrize("size", [3, 10, 15])
@pytest.mark.parametrize("slip", ["per atom", *UNIT_FACTORS])
def test_every_unit_slip_of_the_isolated_energies_is_named(size, slip):
    frames, mol, sizes = _molecular_liquid(size=size)
    assert isolated_energy_doubt(frames, mol, sizes) is None
    stored = mol / size if slip == "per atom" else mol * UNIT_FACTORS[slip]
    doubt = isolated_energy_doubt(frames, stored, sizes)
    assert doubt is not None and f"look {'' if slip == 'per atom' else 'in '}{slip}" in doubt


def test_a_per_atom_reading_does_not_excuse_a_melt_of_single_atoms():
    # per atom changes nothing for molecules of one atom: no slip to name, and no refusal
    frames, mols, sizes = _salt(-3.518, (-0.470, -0.680))
    assert isolated_energy_doubt(frames, mols, sizes) is None
    assert isolated_energy_doubt(frames, mols / np.asarray(sizes), sizes) is None


def _melt_frames(n_frames=6):
    """Rattled LiCl cells, every ion its own molecule."""
    frames = []
    for k in range(n_frames):
        a = bulk("LiCl", "rocksalt", a=5.6).repeat((2, 2, 1))
        a.rattle(0.1, seed=k)
        a.arrays["molecule_index"] = np.arange(len(a))
        frames.append(a)
    return frames


def test_a_melt_is_split_as_its_reference_calculator_splits_it():
    frames = _melt_frames()
    # strong pair attraction: a cohesion of several eV per atom, as a molten salt's
    ref = MolecularPairModel(epsilon=2.0, sigma=2.5, rc=6.0)
    labels = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = ref
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=probe.get_potential_energy(),
                                         forces=probe.get_forces())
        labels.append(lab)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = IntraInterErrors(frames, MolecularPairModel(), reference=labels)
    isolated = []
    for mol in probe.unique_isolated_molecules():
        m = mol.copy()
        m.calc = ref
        m.calc = SinglePointCalculator(m, energy=m.get_potential_energy(), forces=m.get_forces())
        isolated.append(m)
    inter = np.median([lab.get_potential_energy() for lab in labels]) / len(frames[0])
    assert inter < -MAX_INTER_ENERGY  # the old bound refused these labels
    model = MolecularPairModel(epsilon=1.8, sigma=2.5, rc=6.0)
    stored = IntraInterErrors(frames, model, reference=labels,
                              reference_isolated=isolated, quantities=("energy", "forces"))
    direct = IntraInterErrors(frames, model, reference=ref, quantities=("energy", "forces"))
    got, want = stored.run().results, direct.run().results
    for c in ("total", "intra", "inter"):
        for q in ("energy", "forces"):
            assert got.rmse[c][q].value == pytest.approx(want.rmse[c][q].value, rel=1e-9,
                                                         abs=1e-12), (c, q)
    assert got.rmse["inter"]["energy"].value > 0


@pytest.mark.parametrize("factor", [UNIT_FACTORS["kcal/mol"], UNIT_FACTORS["Hartree"]])
def test_isolated_labels_in_another_unit_are_refused_before_the_model_runs(factor):
    labels = _labelled(FRAMES)
    isolated = _isolated_labels(FRAMES)
    for m in isolated:
        m.calc = SinglePointCalculator(m, energy=m.get_potential_energy() * factor,
                                       forces=m.get_forces())
    model = Counting()
    frames_e = np.array([lab.get_potential_energy() for lab in labels])
    mol_e = np.array([m.get_potential_energy() for m in isolated])
    if abs(np.median(frames_e) - np.sum(mol_e) * len(FRAMES) / len(isolated)) / 15 \
            <= MAX_INTER_ENERGY:
        pytest.fail("the test model's isolated energies are too small to show the slip")
    with pytest.raises(ValueError, match="do not belong with the frames' energies"):
        IntraInterErrors(FRAMES, model, reference=labels, reference_isolated=isolated).run()
    assert model.calls == 0
