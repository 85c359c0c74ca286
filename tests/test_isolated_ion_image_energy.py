"""The energy of an isolated ion's periodic images, on both sides of the intra/inter split.

A charged molecule in a periodic cell with a neutralising background (an Ewald sum's dropped
G = 0 term, as in plane-wave DFT) has, beyond its own energy, the Madelung energy of its
images, −ξq²/(2L) in a cube of side L (Makov & Payne 1995): −1.70 eV for Li⁺ in 12 Å. The
model side takes it off (``background_self_energy``); stored reference labels of ions computed
that way were taken as the ions alone (a model equal to the reference showed E_intra errors of
681 meV/atom at vacuum 6, 340 at 12), and a model that sums charges of its own was not seen.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.mixing import SumCalculator
from ase.calculators.singlepoint import SinglePointCalculator
from counting_bonds import Bonds, ionic_frame

from ase_electrolyte.atoms_checks import FlagError
from ase_electrolyte.electrostatics import COULOMB, Electrostatics
from ase_electrolyte.topology import set_topology
from mda_electrolyte.intra_inter_errors import IntraInterErrors
from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator, madelung_energy
from mda_electrolyte.molecules import isolated_molecules
from mda_electrolyte.volume_scan import RigidVolumeScan

XI = 2.837297


_TERM = []


def _model():
    """Fresh counting bonds beside one Ewald term (its lattice sums set up once per cell)."""
    if not _TERM:
        _TERM.append(Electrostatics(scheme="array", array="formal_charge", method="ewald",
                                    background=True))
    bonds = Bonds()
    return bonds, SumCalculator([bonds, _TERM[0]])


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(7)
    out = []
    for _ in range(3):
        atoms = ionic_frame()
        atoms.positions += rng.normal(0.0, 0.04, atoms.positions.shape)
        out.append(atoms)
    return out


def _labelled(atoms, calc, energy_shift=0.0, keep_cell=True):
    """``atoms`` with the calculator's energy and forces stored (as a DFT export would)."""
    work = atoms.copy()
    work.calc = calc
    energy, forces = work.get_potential_energy() + energy_shift, work.get_forces()
    out = atoms.copy()
    if not keep_cell:
        out.cell[:] = 0.0
        out.pbc = False
    out.calc = SinglePointCalculator(out, energy=energy, forces=forces)
    return out


@pytest.fixture(scope="module", params=[6.0, 12.0])
def plane_wave_labels(request, frames):
    """The frames' and their isolated molecules' labels by the model itself, the molecules in
    their periodic cubes with the images' energy kept (a plane-wave code's, uncorrected)."""
    vacuum = request.param
    _, calc = _model()
    labelled = [_labelled(a, calc) for a in frames]
    with pytest.warns(UserWarning, match="without reference_isolated"):
        split = IntraInterErrors(frames, calc, reference=labelled, vacuum=vacuum)
    molecules = split.unique_isolated_molecules()
    return vacuum, labelled, [_labelled(m, calc) for m in molecules], molecules


def test_madelung_energy_of_a_cube_is_makov_payne_and_other_cells_scale_as_one_over_length():
    cube = 12.0 * np.eye(3)
    assert madelung_energy(1, cube) == pytest.approx(-XI * COULOMB / 24.0, rel=1e-6)
    assert madelung_energy(-2, cube) == pytest.approx(4 * madelung_energy(1, cube), rel=1e-12)
    assert madelung_energy(0, cube) == 0.0
    # a cube given off by 1e-7 Å takes the Ewald sum: the same energy
    nearly = cube + np.array([[0, 1e-7, 0], [0, 0, 0], [0, 0, 0]])
    assert madelung_energy(1, nearly) == pytest.approx(madelung_energy(1, cube), rel=1e-6)
    box = np.diag([12.0, 14.0, 16.0])
    # homogeneous of degree -1 in the lengths, and between the cubes of its shortest and longest
    assert madelung_energy(1, 2.0 * box) == pytest.approx(madelung_energy(1, box) / 2, rel=1e-6)
    assert madelung_energy(1, cube) < madelung_energy(1, box) < madelung_energy(1, 16 * np.eye(3))


@pytest.mark.parametrize("background", [True, False])
def test_plane_wave_reference_labels_are_corrected_when_said_so(plane_wave_labels, frames,
                                                                background):
    vacuum, labelled, isolated, molecules = plane_wave_labels
    _, calc = _model()
    split = IntraInterErrors(frames, calc, reference=labelled, reference_isolated=isolated,
                             vacuum=vacuum, reference_isolated_background=background).run()
    intra = split.results.rmse["intra"]["energy"].value
    inter = split.results.rmse["inter"]["energy"].value
    if background:
        # the model is the reference: no error once both sides are the ions alone
        assert intra == pytest.approx(0.0, abs=1e-6) and inter == pytest.approx(0.0, abs=1e-6)
    else:
        # labels taken as the ions alone: their images' energy is the whole E_intra error
        images = sum(madelung_energy(m.info["charge"], m.cell.array) for m in molecules
                     if m.info["frame"] == 0)
        assert intra == pytest.approx(-1000.0 * images / 5, rel=1e-6)
        assert inter == pytest.approx(intra, rel=1e-6)
        assert intra > 300.0


def test_unstated_labels_of_ions_in_periodic_cells_are_refused_before_any_model_call(
        plane_wave_labels, frames):
    vacuum, labelled, isolated, _ = plane_wave_labels
    bonds, calc = _model()
    split = IntraInterErrors(frames, calc, reference=labelled, reference_isolated=isolated,
                             vacuum=vacuum)
    side = 2 * vacuum
    with pytest.raises(ValueError, match=rf"stored isolated molecule \d, Li .*net charge \+1 e, "
                                         rf"is stored with a periodic cell of {side:g}×{side:g}×"
                                         rf"{side:g} Å.*Makov & Payne 1995.*"
                                         r"reference_isolated_background=True"):
        split.run()
    assert bonds.calls == 0


def test_labels_of_ions_alone_without_a_cell_need_no_statement(frames):
    # a molecular code's labels: no cell, the ion alone (the model's cube energy less the
    # images'); taken as they are, the split of a model equal to the reference is exact
    _, calc = _model()
    labelled = [_labelled(a, calc) for a in frames]
    with pytest.warns(UserWarning):
        molecules = IntraInterErrors(frames, calc, reference=labelled,
                                     vacuum=8.0).unique_isolated_molecules()
    alone = [_labelled(m, calc, -madelung_energy(m.info.get("charge", 0), m.cell.array),
                       keep_cell=False) for m in molecules]
    split = IntraInterErrors(frames, calc, reference=labelled, reference_isolated=alone,
                             vacuum=8.0).run()
    assert split.results.rmse["intra"]["energy"].value == pytest.approx(0.0, abs=1e-6)
    # asked to take off the images' energy of a cell they do not have: refused
    bonds, calc = _model()
    with pytest.raises(ValueError, match=r"net charge \+1 e, is stored without a 3D-periodic "
                                         "cell.*needs the cell it was computed in"):
        IntraInterErrors(frames, calc, reference=labelled, reference_isolated=alone,
                         vacuum=8.0, reference_isolated_background=True).run()
    assert bonds.calls == 0


def test_the_label_of_the_molecules_own_charge_is_taken(frames):
    # a neutral Li atom and Li+ share a geometry: the label of the frame's charge is used,
    # whichever is stored first
    bonds, calc = _model()
    labelled = [_labelled(a, calc) for a in frames]
    with pytest.warns(UserWarning):
        molecules = IntraInterErrors(frames, calc, reference=labelled,
                                     vacuum=8.0).unique_isolated_molecules()
    alone = []
    for m in molecules:
        label = _labelled(m, calc, -madelung_energy(m.info.get("charge", 0), m.cell.array),
                          keep_cell=False)
        label.info["charge"] = m.info["charge"]
        if m.info["charge"] == 1:
            twin = label.copy()
            twin.info["charge"] = 0
            if "formal_charge" in twin.arrays:  # a neutral atom, declared one way
                twin.arrays["formal_charge"][:] = 0
            twin.calc = SinglePointCalculator(twin, energy=-5.39, forces=np.zeros((1, 3)))
            alone.append(twin)
        alone.append(label)
    split = IntraInterErrors(frames, calc, reference=labelled, reference_isolated=alone,
                             vacuum=8.0).run()
    assert split.results.rmse["intra"]["energy"].value == pytest.approx(0.0, abs=1e-6)
    # only the neutral twin stored: no label for the ion, named as another charge
    only_twin = [a for a in alone if not (a.get_chemical_formula() == "Li"
                                          and a.info["charge"] == 1)]
    bonds, calc = _model()
    with pytest.raises(ValueError, match=r"isolated molecule Li \(molecule 0\) \(net charge "
                                         r"\+1 e\): stored molecule \d+ has its geometry but a "
                                         r"net charge of \+0 e"):
        IntraInterErrors(frames, calc, reference=labelled, reference_isolated=only_twin,
                         vacuum=8.0).run()
    assert bonds.calls == 0


def test_background_statement_is_checked(frames, plane_wave_labels):
    _, labelled, isolated, _ = plane_wave_labels
    _, calc = _model()
    with pytest.raises(FlagError, match="background must be True or False, not 'yes'"):
        IntraInterErrors(frames, calc, reference=labelled, reference_isolated=isolated,
                         reference_isolated_background="yes")
    with pytest.raises(ValueError, match="give reference_isolated too"):
        IntraInterErrors(frames, calc, reference=labelled, reference_isolated_background=True)


class OwnCharges(Calculator):
    """A model summing charges of its own (Ewald with the G = 0 term dropped: a neutralising
    background no term of it shows), returning them: the harmonic bonds plus the Madelung
    energy of the cell's net formal charge, recording the sizes of the structures asked."""

    implemented_properties = ["energy", "forces", "charges"]

    def __init__(self):
        super().__init__()
        self.bonds = Bonds()
        self.sizes = []

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.sizes.append(len(self.atoms))
        work = self.atoms.copy()
        work.calc = self.bonds
        q = np.asarray(work.arrays.get("formal_charge", np.zeros(len(work))), dtype=float)
        images = madelung_energy(q.sum(), work.cell.array) if np.all(work.pbc) else 0.0
        self.results = {"energy": work.get_potential_energy() + images,
                        "forces": work.get_forces(), "charges": q}


class SizedBonds(Bonds):
    """The harmonic bonds, recording the sizes of the structures asked."""

    def __init__(self):
        super().__init__()
        self.sizes = []

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.sizes.append(len(self.atoms))


@pytest.mark.parametrize("side", ["model", "reference"])
def test_a_model_with_an_unseen_background_is_refused_before_any_frame(frames, side):
    own, other = OwnCharges(), SizedBonds()
    model, reference = (own, other) if side == "model" else (other, own)
    with pytest.raises(ValueError, match=r"calculator owncharges: the energy of the isolated "
                                         r"molecule Li \(molecule 0\) of net charge \+1 e changes "
                                         r"by \+0.8512 eV from a periodic cube of 12 Å to one of "
                                         r"24 Å.*would change it by \+0.8512 eV \(Makov & Payne"):
        IntraInterErrors(frames, model, reference=reference, vacuum=6.0).run()
    # the ions alone were evaluated (in two cubes each), no frame
    assert set(own.sizes) == {1} and set(other.sizes) <= {1}


def test_a_volume_scan_with_an_unseen_background_is_refused_before_any_frame(frames):
    own = OwnCharges()
    with pytest.raises(ValueError, match=r"changes by \+0.4256 eV from a periodic cube of 24 Å"):
        RigidVolumeScan(frames[:1], own, scales=[0.98, 1.0, 1.02], vacuum=12.0).run()
    assert len(frames[0]) not in own.sizes


def test_seen_backgrounds_of_a_molecular_ion_pass_the_check():
    # OH- with partial charges (a dipole and quadrupole about its centre) beside Li+ and
    # water: the Electrostatics term's images are counted, its O(L^-3) rest stays far below
    # the check's quarter of the Madelung change
    atoms = Atoms(["Li", "O", "H", "O", "H", "H"], positions=[[1, 1, 1], [5, 5, 5], [5, 5, 5.97],
                                        [8.0, 8.0, 8.0], [8.96, 8.0, 8.0], [7.76, 8.93, 8.0]],
                  cell=[11.0] * 3, pbc=True)
    set_topology(atoms, [0, 1, 1, 2, 2, 2], ["Li", "OH", "OH", "H2O", "H2O", "H2O"],
                 [1, -1, 0, 0, 0, 0])
    atoms.set_initial_charges([1.0, -1.4, 0.4, -0.8, 0.4, 0.4])
    term = Electrostatics(scheme="array", array="initial_charges", method="ewald",
                          background=True)
    evaluator = IsolatedMoleculeEvaluator(SumCalculator([Bonds(), term]))
    molecules = isolated_molecules(atoms, np.array([0, 1, 1, 2, 2, 2]), vacuum=5.0)
    energies, _ = evaluator.evaluate(molecules)
    assert np.all(np.isfinite(energies))
    # the hydroxide's energy alone does not depend on its cube (beyond the quadrupole's rest)
    larger = isolated_molecules(atoms, np.array([0, 1, 1, 2, 2, 2]), vacuum=10.0)
    again, _ = IsolatedMoleculeEvaluator(SumCalculator([Bonds(), term])).evaluate(larger)
    change = abs(again[1] - energies[1])
    full = abs(madelung_energy(-1, larger[1].cell.array) - madelung_energy(-1,
                                                                           molecules[1].cell.array))
    assert change < 0.05 * full


@pytest.mark.parametrize("charge, cell, match", [
    (np.nan, 12.0 * np.eye(3), "charge"),
    ("1", 12.0 * np.eye(3), "charge"),
    (1, np.zeros((3, 3)), "non-zero volume"),
    (1, [12.0, 12.0, 12.0], "3 finite vectors"),
    (1, np.diag([12.0, np.inf, 12.0]), "3 finite vectors"),
])
def test_madelung_energy_refuses_what_is_no_charge_or_cell(charge, cell, match):
    with pytest.raises(ValueError, match=match):
        madelung_energy(charge, cell)
