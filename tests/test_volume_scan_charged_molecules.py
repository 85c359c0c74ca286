"""Charged molecules in a rigid volume scan, and scale factors that push molecules together.

- An ion in a periodic cube of ``vacuum`` is a charged cell: a summed ``Electrostatics`` term
  without a neutralising background refuses it. The scan found out when it evaluated the
  isolated molecules, after the model had been called; now the terms' own ``check_input`` is
  asked for the frame and one molecule of each kind and charge before the first model call
  (the mechanism ``IntraInterErrors`` uses, shared in ``model_labels``).
- With a background, a charged molecule in a cube of side ``L`` has the Madelung energy of its
  images, ``-ξ q² e²/(4πε₀ 2L)`` (Makov & Payne 1995): E_intra, and so every E_inter of the
  scan, moved by 1.7 eV between a vacuum of 8 and of 24 Å for Li⁺ F⁻ beside a water. That
  part is now taken off: E_intra is the molecules' alone, whatever the vacuum.
- A compression that brings atoms closer than 0.5 Å was refused with "fix the structure"; the
  structure passes, the scale factor is at fault: the message says so and names the smallest
  factor that passes.
"""

import math

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.mixing import SumCalculator
from counting_bonds import Bonds
from counting_bonds import ionic_frame as _ionic_frame

from ase_electrolyte.electrostatics import COULOMB, Electrostatics
from mda_electrolyte.diffusion import YEH_HUMMER_XI
from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator, background_self_energy
from mda_electrolyte.molecules import isolated_molecules
from mda_electrolyte.volume_scan import RigidVolumeScan


def _ewald(**kwargs):
    return Electrostatics(scheme="array", array="formal_charge", method="ewald", **kwargs)


def _model(**kwargs):
    bonds = Bonds()
    return bonds, SumCalculator([bonds, _ewald(**kwargs)])


@pytest.mark.parametrize("side", ["model", "reference"])
def test_an_ion_in_a_vacuum_cube_without_background_is_refused_before_any_model_call(side):
    counted, charged = _model()
    other = Bonds()
    model, reference = (charged, other) if side == "model" else (other, charged)
    scan = RigidVolumeScan([_ionic_frame()] * 2, model, scales=[1.0, 1.5], reference=reference,
                           vacuum=12.0)
    expected = (rf"the {side}'s electrostatics cannot evaluate the isolated molecule Li \(net "
                r"charge \+1 e\) in a periodic cube of vacuum that the scan's E_intra needs.*"
                "background=True")
    with pytest.raises(ValueError, match=expected):
        scan.check_frames()
    with pytest.raises(ValueError, match=expected):
        scan.run()
    with pytest.raises(ValueError, match=expected):
        scan.run(backend="multiprocessing", n_workers=2)
    assert counted.calls == 0 and other.calls == 0


def test_a_term_that_cannot_take_molecules_without_a_cell_is_refused_before_any_model_call():
    counted, model = _model(background=True)
    with pytest.raises(ValueError, match=r"isolated molecule Li \(net charge \+1 e\) without a "
                                         "cell.*needs a 3D-periodic cell"):
        RigidVolumeScan([_ionic_frame()], model, scales=[1.0, 1.5]).run()
    assert counted.calls == 0


@pytest.fixture(scope="module")
def scans_at_three_vacua():
    frames = [_ionic_frame(), _ionic_frame()]
    frames[1].positions[2:] += [0.3, -0.2, 0.1]  # the water elsewhere: another frame
    out = {}
    for vacuum in (6.0, 9.0, 12.0):
        _, model = _model(background=True)
        out[vacuum] = RigidVolumeScan(frames, model, scales=[1.0, 2.0], reference=Bonds(),
                                      vacuum=vacuum, keep_frames=False).run().results
    return frames, out


def test_the_intra_energy_of_ions_does_not_depend_on_the_vacuum(scans_at_three_vacua):
    frames, scans = scans_at_three_vacua
    n = len(frames[0])
    # the ions alone have no energy (one point charge each); the water is the model's alone
    water = frames[0][2:].copy()
    water.pbc, water.calc = False, Bonds()
    expected = water.get_potential_energy() * 1000.0 / n
    for result in scans.values():
        np.testing.assert_allclose(result.intra, expected, atol=1e-2)
    # uncorrected, the ions' images moved E_intra by 2 ξ e²/(4πε₀ 2L) between vacua 6 and 12
    # (cubes of 12 and 24 Å): 1.70 eV, 340 meV/atom
    shift = 2 * COULOMB * YEH_HUMMER_XI / 2 * (1 / 12.0 - 1 / 24.0) * 1000.0 / n
    assert shift > 300.0
    for key in ("inter", "inter_error", "total"):
        values = [r[key] if key in r else r.inter - r.reference_inter for r in scans.values()]
        spread = np.ptp(values, axis=0)
        assert spread.max() < 1e-3 * shift, key


def test_a_molecular_ion_keeps_only_its_higher_multipoles_of_order_l_minus_3():
    """The corrected energy of a charged water (charges spread over its atoms) approaches the
    direct Coulomb sum of its charges, the remainder falling as L⁻³ (the quadrupole term of
    Makov & Payne 1995), while the removed monopole part falls as L⁻¹."""
    ion = molecule("H2O")
    ion.arrays["formal_charge"] = np.array([-0.6, -0.2, -0.2])
    q, d = ion.arrays["formal_charge"], ion.get_all_distances()
    direct = COULOMB * sum(q[i] * q[j] / d[i, j] for i in range(3) for j in range(i + 1, 3))
    remainders, sides = [], []
    for vacuum in (8.0, 16.0):
        mol = isolated_molecules(ion, [0, 0, 0], vacuum=vacuum)
        term = _ewald(background=True)
        energy, _ = IsolatedMoleculeEvaluator(term).evaluate(mol)
        side = mol[0].cell[0, 0]
        removed = background_self_energy(term, mol[0])
        np.testing.assert_allclose(removed, -COULOMB * YEH_HUMMER_XI / (2.0 * side), rtol=1e-12)
        remainders.append(energy[0] - direct)
        sides.append(side)
    ratio = remainders[0] / remainders[1]
    assert abs(remainders[0]) < 0.01 * abs(COULOMB * YEH_HUMMER_XI / (2.0 * sides[0]))
    assert 0.7 * (sides[1] / sides[0]) ** 3 < ratio < 1.3 * (sides[1] / sides[0]) ** 3


def test_neutral_molecules_short_ranged_models_and_molecules_without_a_cell_lose_nothing():
    frame = _ionic_frame()
    cubes = isolated_molecules(frame, frame.arrays["molecule_index"], vacuum=10.0)
    bare = isolated_molecules(frame, frame.arrays["molecule_index"])
    term = _ewald(background=True)
    assert background_self_energy(term, cubes[2]) == 0.0  # the neutral water
    assert background_self_energy(Bonds(), cubes[0]) == 0.0  # no term with a background
    assert background_self_energy(_ewald(), cubes[0]) == 0.0  # no background: refused instead
    assert background_self_energy(term, bare[0]) == 0.0  # no cell, no images
    # the molecules given are not changed
    assert cubes[0].info["charge"] == 1 and "initial_charges" not in cubes[0].arrays


def _water_pair():
    a, b = molecule("H2O"), molecule("H2O")
    b.positions += [2.9, 0.0, 0.0]
    box = a + b
    box.cell, box.pbc = [7.0, 7.0, 7.0], True
    box.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
    return box


def test_a_compression_names_the_scale_factor_and_the_smallest_one_that_passes():
    frame = _water_pair()
    model = Bonds()
    with pytest.raises(ValueError) as refused:
        RigidVolumeScan([frame], model, scales=[0.2, 1.0]).run()
    message = str(refused.value)
    assert "frame 0 scaled by s = 0.2 pushes molecules into each other (the frame itself " \
           "passes)" in message
    assert "fix the structure" not in message
    smallest = float(message.split("factors from s = ")[1].split(" ")[0])
    assert 0.2 < smallest < 1.0 and model.calls == 0
    # the factor named passes, one a thousandth below it does not
    RigidVolumeScan([frame], model, scales=[smallest, 1.0]).check_frames()
    with pytest.raises(ValueError, match=f"scaled by s = {smallest - 0.001:g} pushes"):
        RigidVolumeScan([frame], model, scales=[smallest - 0.001, 1.0]).check_frames()
    assert math.isclose(round(smallest, 3), smallest)


def test_a_frame_that_overlaps_unscaled_is_the_structure_at_fault():
    frame = _water_pair()
    frame.positions[3:] += frame.positions[0] + [0.3, 0.0, 0.0] - frame.positions[3]
    with pytest.raises(ValueError, match=r"frame 0 \(unscaled\): atoms closer than 0.5 Å.*fix "
                                         "the structure"):
        RigidVolumeScan([frame], Bonds(), scales=[0.9, 1.0]).check_frames()


def test_a_weighted_term_has_its_images_taken_off_with_its_weight():
    from ase.calculators.mixing import LinearCombinationCalculator

    ion = Atoms("Li", positions=[[0.0, 0.0, 0.0]])
    ion.arrays["formal_charge"] = np.array([1])
    energies = []
    for vacuum in (6.0, 12.0):
        mol = isolated_molecules(ion, [0], vacuum=vacuum)
        calc = LinearCombinationCalculator([Bonds(), _ewald(background=True)], [1.0, 0.5])
        removed = background_self_energy(calc, mol[0])
        np.testing.assert_allclose(
            removed, -0.5 * COULOMB * YEH_HUMMER_XI / (2.0 * mol[0].cell[0, 0]), rtol=1e-12)
        energies.append(IsolatedMoleculeEvaluator(calc).evaluate(mol)[0][0])
    # a lone point charge alone has no energy, whatever its cube
    np.testing.assert_allclose(energies, [0.0, 0.0], atol=1e-5)
