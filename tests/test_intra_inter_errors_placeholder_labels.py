"""Stored reference labels that are placeholders, or another name for the energy.

Exporters write zeros where a quantity was not computed: a stress of exactly zero in every frame
was compared as a label, and the model's own stress reported as its stress error, marked valid.
Such a quantity is now left out of the default comparison with a warning and named in
``results.not_compared`` (and in diagnose.json), and refused before any model call when asked
for. A quantity that is zero in some frames only is a label. A reference that stores only
``free_energy`` (no ``energy``) lost its energy comparison without a word; it is compared now,
each energy number noting it.
"""

import warnings

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write
from molecular_pair_model import MolecularPairModel

from mda_electrolyte import IntraInterErrors
from mda_electrolyte.intra_inter_errors import errors_summary, placeholder_labels
from mda_electrolyte.model_labels import stored_labels

CELL = np.diag([11.0, 10.0, 12.0])
N_FRAMES = 5


def _frame(seed):
    """Three molecules (water, methanol, water) in a periodic cell, jittered."""
    rng = np.random.default_rng(seed)
    fractions = [[0.2, 0.3, 0.3], [0.6, 0.7, 0.6], [0.3, 0.75, 0.2]]
    atoms, ids = None, []
    for j, name in enumerate(["H2O", "CH3OH", "H2O"]):
        m = molecule(name)
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += np.array(fractions[j]) @ CELL - m.get_center_of_mass()
        m.positions += rng.normal(scale=0.03, size=m.positions.shape)
        atoms = m if atoms is None else atoms + m
        ids += [j] * len(m)
    atoms.cell, atoms.pbc = CELL, True
    atoms.arrays["molecule_index"] = np.array(ids)
    return atoms


class Counting(MolecularPairModel):
    """The pair model, counting its evaluations."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        self.calls += 1
        super().calculate(atoms, properties, system_changes)


def _labels(frames, zero=(), zero_frames=None, **renamed):
    """Reference labels of the pair model, with ``zero`` quantities set to exactly 0 in the
    frames ``zero_frames`` (all by default); ``renamed``: stored under another result name."""
    reference = MolecularPairModel()
    out = []
    for k, atoms in enumerate(frames):
        a = atoms.copy()
        a.calc = reference
        values = {"energy": a.get_potential_energy(), "forces": a.get_forces(),
                  "stress": a.get_stress()}
        for q in zero:
            if zero_frames is None or k in zero_frames:
                values[q] = np.zeros_like(np.asarray(values[q], dtype=float))
                if q == "energy":
                    values[q] = 0.0
        for old, new in renamed.items():
            values[new] = values.pop(old)
        labelled = atoms.copy()
        labelled.calc = SinglePointCalculator(labelled, **values)
        out.append(labelled)
    return out


@pytest.fixture(scope="module")
def frames():
    return [_frame(seed) for seed in range(N_FRAMES)]


def _placeholder_warnings(caught):
    return [str(w.message) for w in caught if "all-zero labels" in str(w.message)]


@pytest.mark.parametrize("quantity", ["stress", "forces", "energy"])
def test_a_quantity_zero_in_every_frame_is_left_out_with_a_warning_and_named(frames, quantity):
    model = Counting(scale=0.9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        errors = IntraInterErrors(frames, model, reference=_labels(frames, zero=(quantity,)))
    said = _placeholder_warnings(caught)
    verb = "are" if quantity == "forces" else "is"
    assert len(said) == 1 and f"{quantity} {verb} exactly zero in every one of the 5" in said[0]
    assert model.calls == 0
    assert quantity not in errors.quantities
    kept = [q for q in ("energy", "forces", "stress") if q != quantity]
    assert errors.quantities == tuple(kept)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors.run()
    assert list(errors.results.not_compared) == [quantity]
    assert "placeholder" in errors.results.not_compared[quantity]
    # nothing of the dropped quantity is reported, the others are compared as before
    assert all(quantity not in parts for parts in errors.results.rmse.values())
    for q in kept:
        assert errors.results.rmse["total"][q].value > 0


def test_a_quantity_of_all_zero_labels_asked_for_is_refused_before_the_model(frames):
    for quantity in ("stress", "forces", "energy"):
        model = Counting(scale=0.9)
        asked = ("forces", quantity) if quantity != "forces" else ("energy", "forces")
        with pytest.raises(ValueError, match=f"reference {quantity} (is|are) exactly zero "
                                             f".*all-zero labels.*Drop {quantity} from "
                                             "quantities"):
            IntraInterErrors(frames, model, reference=_labels(frames, zero=(quantity,)),
                             quantities=asked).run()
        assert model.calls == 0


def test_zero_energies_and_forces_leave_nothing_to_compare_and_are_refused(frames):
    model = Counting()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused, not warned about first
        with pytest.raises(ValueError, match="energy is exactly zero.*forces are exactly zero"
                                             ".*Nothing left to compare"):
            IntraInterErrors(frames, model, reference=_labels(frames, zero=("energy", "forces")))
    assert model.calls == 0


@pytest.mark.parametrize("quantity", ["stress", "forces", "energy"])
def test_a_quantity_zero_in_some_frames_only_is_a_label_and_compared(frames, quantity):
    labels = _labels(frames, zero=(quantity,), zero_frames={0, 3})
    assert placeholder_labels([stored_labels(a) for a in labels]) == {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        errors = IntraInterErrors(frames, MolecularPairModel(), reference=labels,
                                  keep_arrays=True)
        errors.run()
    assert _placeholder_warnings(caught) == []
    assert quantity in errors.quantities and errors.results.not_compared == {}
    # the model equals the reference but in the zeroed frames: the error is theirs alone
    side = {"energy": errors.results.energies, "forces": errors.results.forces,
            "stress": errors.results.stress}[quantity]
    diff = side["model"]["total"] - side["reference"]["total"]
    assert np.all(diff[[1, 2, 4]] == 0)
    assert np.all(side["reference"]["total"][[0, 3]] == 0)
    assert errors.results.rmse["total"][quantity].value > 0


def test_a_lone_atom_without_force_is_no_placeholder():
    ion = {"energy": 0.0, "forces": np.zeros((1, 3)), "stress": None, "energy_source": None,
           "positions": np.zeros((1, 3))}
    # a lone atom: no force, and energy 0 where isolated atoms are the energy zero
    assert placeholder_labels([ion, ion]) == {}
    pair = dict(ion, forces=np.zeros((2, 3)), positions=np.eye(2, 3))
    assert list(placeholder_labels([ion, pair])) == ["energy", "forces"]
    assert "the single one of the frames" in placeholder_labels([pair])["forces"]


def test_placeholder_stress_written_to_extxyz_is_left_out_and_named_in_the_summary(
        frames, tmp_path):
    path = tmp_path / "labels.extxyz"
    write(path, _labels(frames, zero=("stress",)), format="extxyz")
    with pytest.warns(UserWarning, match="reference stress is exactly zero"):
        errors = IntraInterErrors(frames, MolecularPairModel(scale=0.9), reference=str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors.run()
    summary = errors_summary(errors, tmp_path)
    assert "stress is exactly zero" in summary["not_compared"]["stress"]
    assert "stress" not in summary["rmse"]["total"]


def test_labels_of_free_energy_only_are_compared_as_the_energy_and_say_so(frames, tmp_path):
    model = MolecularPairModel(scale=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no reference_isolated
        usual = IntraInterErrors(frames, model, reference=_labels(frames)).run()
        free = IntraInterErrors(frames, model,
                                reference=_labels(frames, energy="free_energy")).run()
        path = tmp_path / "free.extxyz"
        write(path, _labels(frames, energy="free_energy"), format="extxyz")
        assert "energy" not in read(path, "0").calc.results  # only the free energy was kept
        from_file = IntraInterErrors(frames, model, reference=str(path)).run()
    for errors in (free, from_file):
        assert "energy" in errors.quantities
        np.testing.assert_allclose(errors.results.energies["reference"]["total"],
                                   usual.results.energies["reference"]["total"], rtol=1e-12)
        rmse = errors.results.rmse["total"]["energy"]
        assert rmse.value == pytest.approx(usual.results.rmse["total"]["energy"].value,
                                           rel=1e-9)
        assert rmse.converged == usual.results.rmse["total"]["energy"].converged
        assert any("free_energy" in n for n in rmse.notes)
        assert any("free_energy" in n for n in errors.results.rrmse["total"]["energy"].notes)
        # forces carry no such note
        assert not any("free_energy" in n for n in errors.results.rmse["total"]["forces"].notes)
    assert not any("free_energy" in n for n in usual.results.rmse["total"]["energy"].notes)


def test_energy_in_some_frames_and_free_energy_in_others_is_refused(frames):
    labels = _labels(frames)
    for k in (1, 3):
        results = dict(labels[k].calc.results)
        results["free_energy"] = results.pop("energy")
        labels[k].calc = SinglePointCalculator(labels[k], **results)
    model = Counting()
    with pytest.raises(ValueError, match=r"2 of 5 frames hold only a free_energy \(frame 1, 3\)"):
        IntraInterErrors(frames, model, reference=labels)
    assert model.calls == 0


def test_a_stored_energy_is_preferred_to_the_free_energy():
    atoms = _frame(0)
    atoms.calc = SinglePointCalculator(atoms, energy=-3.0, free_energy=-3.1,
                                       forces=np.ones((len(atoms), 3)))
    labels = stored_labels(atoms)
    assert labels["energy"] == -3.0 and labels["energy_source"] is None


class _ForceFree(Calculator):
    implemented_properties = ["energy", "forces", "stress"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.results = {"energy": 0.0, "forces": np.zeros((len(self.atoms), 3)),
                        "stress": np.zeros(6)}


def test_a_reference_calculator_giving_zeros_is_its_own_result_not_a_placeholder(frames):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        errors = IntraInterErrors(frames, MolecularPairModel(), reference=_ForceFree()).run()
    assert _placeholder_warnings(caught) == []
    assert errors.quantities == ("energy", "forces", "stress")


def _isolated_labels(frames, zero):
    """The reference's labels of the frames' isolated molecules, ``zero`` quantities set to 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        molecules = IntraInterErrors(frames, MolecularPairModel(),
                                     reference=MolecularPairModel()).unique_isolated_molecules()
    out = []
    for mol in molecules:
        a = mol.copy()
        a.calc = MolecularPairModel()
        values = {"energy": a.get_potential_energy(), "forces": a.get_forces()}
        if "energy" in zero:
            values["energy"] = 0.0
        if "forces" in zero:
            values["forces"] = np.zeros((len(mol), 3))
        labelled = mol.copy()
        labelled.calc = SinglePointCalculator(labelled, **values)
        out.append(labelled)
    return out


@pytest.mark.parametrize("zero", [("forces",), ("energy",)])
def test_all_zero_isolated_molecule_labels_are_refused_before_the_model(frames, zero):
    model = Counting(scale=0.9)
    with pytest.raises(ValueError, match=f"reference {zero[0]} (is|are) exactly zero in every "
                                         "one of the .* stored isolated molecules"):
        IntraInterErrors(frames, model, reference=_labels(frames),
                         reference_isolated=_isolated_labels(frames, zero))
    assert model.calls == 0
    # the same labels, as computed, split the reference without a word about placeholders
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        errors = IntraInterErrors(frames, model, reference=_labels(frames),
                                  reference_isolated=_isolated_labels(frames, ())).run()
    assert _placeholder_warnings(caught) == []
    assert errors.results.rmse["intra"]["forces"].value > 0


def test_a_trajectory_of_zero_forces_is_skipped_by_analyze_with_the_reason(frames, tmp_path):
    from mda_electrolyte import from_ase
    from mda_electrolyte.intra_inter_errors import _report

    stored = []
    for atoms in frames:
        a = atoms.copy()
        a.calc = SinglePointCalculator(a, forces=np.zeros((len(a), 3)))
        a.info["time_ps"] = 0.1 * len(stored)
        a.arrays["molecule_species"] = np.array(["H2O"] * 3 + ["CH3OH"] * 6 + ["H2O"] * 3)
        a.arrays["formal_charge"] = np.zeros(len(a))
        stored.append(a)
    universe = from_ase(stored)
    assert universe.trajectory.ts.has_forces
    model = Counting()
    out = _report(universe, tmp_path, calculator=model)
    assert "forces are exactly zero in every one of the 5 frames" in out["skipped"]
    assert model.calls == 0
    # asked for in Python, the same forces are refused
    with pytest.raises(ValueError, match="forces are exactly zero.*Nothing left to compare"):
        IntraInterErrors(universe, model, reference="trajectory")
