"""Fine-tuning through sevenn's trainer: the training error falls, bad data is refused first."""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.finetuning import finetune, label_errors, read_labelled  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee"))


def _water_dimers(n, base):
    """Water dimers in a periodic box, labelled by SevenNet-0 plus a short-range LJ term."""
    from ase.build import molecule
    from ase.calculators.lj import LennardJones
    from ase.calculators.singlepoint import SinglePointCalculator

    lj = LennardJones(epsilon=0.01, sigma=1.0, rc=3.0, smooth=True)
    rng = np.random.default_rng(0)
    frames = []
    for k in range(n):
        a, b = molecule("H2O"), molecule("H2O")
        b.translate([2.9 + 0.2 * k, 0.3, 0.1])
        pair = a + b
        pair.set_cell([7.0, 7.0, 7.0])
        pair.pbc = True
        pair.center()
        pair.rattle(0.03, rng=rng)
        labels = {}
        for calc in (base, lj):
            pair.calc = calc
            for key, value in (("energy", pair.get_potential_energy()),
                               ("forces", pair.get_forces()), ("stress", pair.get_stress())):
                labels[key] = labels.get(key, 0.0) + value
        pair.calc = SinglePointCalculator(pair, **labels)
        frames.append(pair)
    return frames


def test_finetuning_sevennet0_lowers_the_training_error(tmp_path):
    base = Calculator("sevennet-0", device="cpu")
    frames = _water_dimers(3, base)
    train, valid = frames[:2], frames[2:]
    res = finetune("sevennet-0", train, valid=valid, epochs=2, batch_size=2, lr=2e-3,
                   out=tmp_path, device="cpu")
    curve = res.learning_curves[0]
    assert [row["epoch"] for row in curve] == [0, 1, 2]
    for row in curve:
        for split in ("train", "valid"):
            for target in ("energy", "force", "stress"):
                assert np.isfinite(row[f"{split}_{target}_rmse"])
    # one batch per epoch: sevenn's epoch-1 errors are those of the base model, which we
    # computed independently before training
    for target in ("energy", "force", "stress"):
        assert curve[1][f"train_{target}_rmse"] == pytest.approx(
            curve[0][f"train_{target}_rmse"], rel=1e-3
        )
    # the checkpoint is an ordinary SevenNet model file for Calculator
    loaded = Calculator(str(res.checkpoint), device="cpu")
    assert loaded.backend == "sevennet"
    after = label_errors(loaded, train)
    assert after["force_rmse"] < 0.7 * curve[0]["train_force_rmse"]
    assert res.plot.exists() and res.plot.stat().st_size > 0


def test_ensemble_members_differ_by_seed(tiny):
    res, paths = tiny
    assert len(paths) == 2 and paths[0] != paths[1]
    atoms = emt_copper(1, seed=4)[0]
    energies = []
    for p in paths:
        work = atoms.copy()
        work.calc = Calculator(p, device="cpu")
        energies.append(work.get_potential_energy())
    assert abs(energies[0] - energies[1]) > 1e-4
    for curve in res.learning_curves:
        assert curve[-1]["train_force_rmse"] < 0.5 * curve[0]["train_force_rmse"]


def test_frames_without_forces_are_refused(tmp_path):
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = emt_copper(2)
    frames[1].calc = SinglePointCalculator(frames[1], energy=-1.0)
    with pytest.raises(ValueError, match="frame 1 has no forces"):
        finetune("sevennet-0", frames, epochs=1, out=tmp_path, device="cpu")


@pytest.mark.parametrize("factor", [23.06, 1 / 51.42])  # kcal/mol/Å, Hartree/Bohr
def test_forces_in_other_units_are_refused(tiny, tmp_path, factor):
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = emt_copper(3, seed=2)
    for atoms in frames:
        r = atoms.calc.results
        atoms.calc = SinglePointCalculator(atoms, energy=r["energy"], forces=factor * r["forces"])
    with pytest.raises(ValueError, match="look like eV/Å"):
        finetune(tiny[1][0], frames, epochs=1, out=tmp_path, device="cpu")
    assert not list(tmp_path.iterdir())  # refused before any training


def test_absurd_forces_are_refused_without_a_model():
    from ase.calculators.singlepoint import SinglePointCalculator

    atoms = emt_copper(1)[0]
    r = atoms.calc.results
    atoms.calc = SinglePointCalculator(atoms, energy=r["energy"], forces=1e3 * r["forces"] + 50)
    with pytest.raises(ValueError, match="does not look like eV/Å"):
        read_labelled([atoms])


def test_elements_outside_the_base_model_are_refused(tiny, tmp_path):
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = emt_copper(2)
    frames[0][0].symbol = "Ag"
    frames[0].calc = SinglePointCalculator(frames[0], **frames[1].calc.results)
    with pytest.raises(ValueError, match="does not cover the element"):
        finetune(tiny[1][0], frames, epochs=1, out=tmp_path, device="cpu")


def test_bad_arguments(tmp_path):
    frames = emt_copper(1)
    with pytest.raises(ValueError, match="epochs"):
        finetune("sevennet-0", frames, epochs=0, out=tmp_path)
    with pytest.raises(ValueError, match="SevenNet"):
        finetune("chgnet-0.3.0", frames, epochs=1, out=tmp_path)


@pytest.mark.parametrize(
    "option, message",
    [
        ({"lr": -1e-3}, r"lr \(the initial learning rate\) must be a finite number > 0"),
        ({"lr": float("inf")}, r"lr \(the initial learning rate\) must be a finite number"),
        ({"lr": "fast"}, r"lr \(the initial learning rate\) must be a finite number.*'fast'"),
        ({"batch_size": 0}, "batch_size must be a whole number >= 1, got 0"),
        ({"batch_size": 2.5}, "batch_size must be a whole number >= 1, got 2.5"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
        ({"force_weight": -1.0}, "force_weight must be a finite number >= 0"),
        ({"stress_weight": float("nan")},
         "stress_weight must be a finite number >= 0 and <= 1000000, got nan"),
        ({"pressure_shift_bar": float("nan")},
         "pressure_shift_bar must be a finite number >= -100000 and <= 100000, got nan"),
        ({"pressure_shift_bar": -1e6},
         "pressure_shift_bar must be a finite number >= -100000 and <= 100000, got -1000000.0"),
        ({"lr": 2.0}, r"lr \(the initial learning rate\) must be a finite number > 0 and <= 1, "
                      r"got 2.0"),
        ({"lr": True}, r"lr \(the initial learning rate\) must be a finite number > 0 and <= 1, "
                       r"got True"),
        ({"epochs": float("nan")}, "epochs must be a whole number >= 1 and <= 1000000, got nan"),
        ({"epochs": float("inf")}, "epochs must be a whole number >= 1 and <= 1000000, got inf"),
        ({"epochs": True}, "epochs must be a whole number >= 1 and <= 1000000, got True"),
        ({"ensemble": float("inf")}, "ensemble must be a whole number >= 1 and <= 1000, got inf"),
        ({"ensemble": True}, "ensemble must be a whole number >= 1 and <= 1000, got True"),
    ],
)
def test_training_options_are_refused_before_the_data_are_read(tmp_path, option, message):
    # the training file does not exist: the option's error must come first
    with pytest.raises(ValueError, match=message):
        finetune("sevennet-0", tmp_path / "not_read.extxyz", out=tmp_path / "o",
                 **{"epochs": 1, **option})
    assert not (tmp_path / "o").exists()


def test_an_output_path_that_is_a_file_is_refused_before_training(tmp_path):
    taken = tmp_path / "taken.extxyz"
    taken.write_text("")
    with pytest.raises(ValueError, match="output folder .*taken.extxyz is a file; give a folder"):
        finetune("sevennet-0", emt_copper(1), epochs=1, out=taken)


def _labelled(atoms):
    atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=np.zeros((len(atoms), 3)))
    return atoms


@pytest.mark.parametrize("frame,message", [
    (lambda: Atoms(), "frame 1 holds no atom"),
    (lambda: Atoms("H2", positions=[[0, 0, 0], [np.nan, 0, 0]]),
     "frame 1: non-finite positions for 1 atom"),
    (lambda: Atoms("H2", positions=[[0, 0, 0], [0.7, 0, 0]], cell=[[1, 0, 0], [2, 0, 0],
                                                                    [0, 0, 1]], pbc=True),
     "frame 1: the periodic cell has zero volume"),
])
def test_frames_that_are_no_structure_are_refused_before_training(frame, message, tmp_path):
    # a NaN position reached sevenn (a NaN model); no atom divided by zero
    frames = [emt_copper(1)[0], _labelled(frame())]
    with pytest.raises(ValueError, match=f"training data: {message}"):
        read_labelled(frames)
    with pytest.raises(ValueError, match=f"validation data: {message}"):
        finetune({"channel": 4}, emt_copper(1), valid=frames, epochs=1, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_validation_frames_that_are_training_frames_are_refused_before_the_model(tmp_path,
                                                                                 monkeypatch):
    import ase.io

    from ase_electrolyte import finetuning

    def looked_at(checkpoint):
        raise AssertionError("the base model was read before the frames were checked")

    monkeypatch.setattr(finetuning, "_covered_species", looked_at)

    frames = emt_copper(3)
    # the same file given twice, and one frame written out and read back among new ones
    ase.io.write(tmp_path / "train.extxyz", frames)
    for valid, message in (
        (tmp_path / "train.extxyz", r"3 of 3 validation frame\(s\) are training frames: "
                                    r"0 \(= training frame 0\), 1 \(= training frame 1\)"),
        ([emt_copper(4)[3], ase.io.read(tmp_path / "train.extxyz", index=1)],
         r"1 of 2 validation frame\(s\) are training frames: 1 \(= training frame 1\)"),
    ):
        # the frames are checked before the base model is read (only its name is checked)
        with pytest.raises(ValueError, match=message):
            finetune("sevennet-0", tmp_path / "train.extxyz", valid=valid, epochs=1,
                     out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_an_output_folder_below_a_file_is_refused_before_the_data_are_read(tmp_path):
    (tmp_path / "notes").write_text("x")
    with pytest.raises(ValueError, match="output folder .*notes is a file, not a folder"):
        finetune("sevennet-0", tmp_path / "not_read.extxyz", epochs=1,
                 out=tmp_path / "notes" / "run")
    assert (tmp_path / "notes").read_text() == "x"


def test_members_of_an_earlier_larger_ensemble_are_refused_before_the_data_are_read(tmp_path):
    out = tmp_path / "ft"
    for k in range(3):
        (out / f"member_{k}").mkdir(parents=True)
        (out / f"member_{k}" / "finetuned.pth").write_text("earlier")
    with pytest.raises(ValueError, match=r"holds member_2 of an earlier fine-tune with a larger "
                                         r"ensemble than this one \(2\)"):
        finetune("sevennet-0", tmp_path / "not_read.extxyz", epochs=1, ensemble=2, out=out)
    # nothing of the earlier run was touched
    assert all((out / f"member_{k}" / "finetuned.pth").read_text() == "earlier"
               for k in range(3))


def test_a_rerun_without_plot_leaves_no_earlier_learning_curve(tmp_path):
    from tiny_models import TINY

    out = tmp_path / "ft"
    out.mkdir()
    (out / "learning_curve.png").write_bytes(b"an earlier run's plot")
    res = finetune(TINY, emt_copper(2), epochs=1, batch_size=2, out=out, device="cpu",
                   plot=False)
    assert res.plot is None
    assert not (out / "learning_curve.png").exists()


@pytest.mark.parametrize("label, value, message", [
    ("energy", np.array([1.0, 2.0]), "frame 0: the energy label holds 2 value"),
    ("forces", np.zeros((3, 3)), r"frame 0: the forces label holds 9 value\(s\), not 3 per atom "
                                 "for its 4 atoms"),
    ("stress", np.zeros(4), r"frame 0: the stress label holds 4 value\(s\), not 6 \(Voigt\) or "
                            r"9 \(3×3\)"),
])
def test_labels_of_the_wrong_size_are_named(label, value, message):
    # were bare numpy errors ("cannot reshape array of size 2 into shape ()")
    frames = emt_copper(2)
    results = dict(frames[0].calc.results, **{label: value})
    frames[0].calc = SinglePointCalculator(frames[0], **results)
    with pytest.raises(ValueError, match=f"training data: {message}"):
        read_labelled(frames)
    # a 3×3 stress is the same label as its Voigt form
    frames = emt_copper(1)
    voigt = frames[0].calc.results["stress"]
    from ase.stress import voigt_6_to_full_3x3_stress

    frames[0].calc = SinglePointCalculator(
        frames[0], **dict(frames[0].calc.results, stress=voigt_6_to_full_3x3_stress(voigt)))
    np.testing.assert_allclose(read_labelled(frames)[0].calc.results["stress"], voigt)


def test_a_failed_rerun_leaves_no_model_of_the_earlier_run(tmp_path, monkeypatch):
    from tiny_models import TINY

    from ase_electrolyte import finetuning

    out = tmp_path / "ft"
    for k in range(2):
        (out / f"member_{k}").mkdir(parents=True)
        (out / f"member_{k}" / "finetuned.pth").write_text("earlier run")

    def fails(work, *args, **kwargs):
        raise RuntimeError(f"training of {work.name} stopped")

    monkeypatch.setattr(finetuning, "_train_one", fails)
    with pytest.raises(RuntimeError, match="training of member_0 stopped"):
        finetune(TINY, emt_copper(2), epochs=1, ensemble=2, out=out, device="cpu", plot=False)
    # member_1 was not reached: its earlier model would have stood beside this run's member_0
    assert not any(out.glob("member_*/finetuned.pth"))


def test_one_member_says_it_has_no_spread(tmp_path, monkeypatch):
    from tiny_models import TINY

    from ase_electrolyte import finetuning

    def trained(work, *args, **kwargs):
        (work / "lc.csv").write_text("epoch,lr\n1,0.001\n")
        return work / "finetuned.pth"

    monkeypatch.setattr(finetuning, "_train_one", trained)
    monkeypatch.setattr(finetuning, "_scratch_row0", lambda *a: {"epoch": 0})
    one = finetune(TINY, emt_copper(2), epochs=1, out=tmp_path / "a", device="cpu", plot=False)
    # two frames of one cell from scratch: nothing checks the stresses' sign either (noted)
    assert one.notes[-1] == finetuning.ONE_MEMBER_NOTE
    assert [n for n in one.notes if "stress labels" not in n] == [finetuning.ONE_MEMBER_NOTE]
    assert "no estimate of the model uncertainty" in one.notes[-1]
    two = finetune(TINY, emt_copper(2), epochs=1, ensemble=2, out=tmp_path / "b",
                   device="cpu", plot=False)
    assert finetuning.ONE_MEMBER_NOTE not in two.notes


@pytest.mark.parametrize("spelling", ["SevenNet-0", "SEVENNET-0", "sevennet-0"])
def test_a_registered_base_is_found_in_any_case(spelling):
    from ase_electrolyte.finetuning import _base_checkpoint

    # as ase_electrolyte.Calculator and the CLI read names: "SevenNet-0" was 'not registered'
    path, config = _base_checkpoint(spelling)
    assert config is None
    assert path == _base_checkpoint("sevennet-0")[0]
    assert "SevenNet_0__11Jul2024" in str(path)


@pytest.mark.parametrize("base, message", [
    ("CHGNet-0.3.0", "'CHGNet-0.3.0' is a chgnet model"),
    ("SevenNet-MF-0", "multi-fidelity 'SevenNet-MF-0' is not supported"),
    ("sevennet-9", "base must be a registered SevenNet name"),
])
def test_a_base_that_cannot_be_fine_tuned_is_named(base, message):
    from ase_electrolyte.finetuning import _base_checkpoint

    with pytest.raises(ValueError, match=message):
        _base_checkpoint(base)


def _bare(atoms):
    """A copy of a labelled frame without its calculator, and its labels."""
    bare = atoms.copy()
    return bare, dict(atoms.calc.results)


@pytest.mark.parametrize("place", ["info", "virial 3x3", "virial 9", "virial 6", "3x3 stress"])
def test_labels_where_extxyz_keeps_them_are_the_labels(tmp_path, place):
    # Atoms with info["energy"] / arrays["forces"] were refused as unlabelled, though the same
    # frame written to extxyz and read back was accepted; a virial was dropped, so a fine-tune
    # trained without the frames' stress
    import ase.io
    from ase.stress import voigt_6_to_full_3x3_stress

    frames = emt_copper(2, seed=5)
    bare = []
    for atoms in frames:
        b, r = _bare(atoms)
        b.info["energy"] = r["energy"]
        b.arrays["forces"] = r["forces"].copy()
        full = voigt_6_to_full_3x3_stress(r["stress"])
        if place == "info":
            b.info["stress"] = r["stress"]
        elif place == "3x3 stress":
            b.info["stress"] = full
        else:
            virial = -full * atoms.get_volume()
            b.info["virial"] = {"virial 3x3": virial, "virial 9": virial.ravel(),
                                "virial 6": -r["stress"] * atoms.get_volume()}[place]
        bare.append(b)
    ase.io.write(tmp_path / "f.extxyz", bare)
    # ase.io's extxyz reader refuses a virial of 6 values itself (naming the key)
    for source in (bare, tmp_path / "f.extxyz")[:1 if place == "virial 6" else 2]:
        got = read_labelled(source)
        for atoms, ref in zip(got, frames, strict=True):
            assert atoms.calc.results["energy"] == pytest.approx(ref.calc.results["energy"],
                                                                 abs=1e-12)
            np.testing.assert_allclose(atoms.calc.results["forces"], ref.calc.results["forces"],
                                       atol=1e-12)
            np.testing.assert_allclose(atoms.calc.results["stress"], ref.calc.results["stress"],
                                       atol=1e-12)
    # a frame not periodic in all directions has no stress to train: one that holds a stress
    # label is refused (it was dropped in silence, the frame trained as a cluster)
    slab = bare[0].copy()
    slab.pbc = [True, True, False]
    with pytest.raises(ValueError, match="not 3D-periodic"):
        read_labelled([slab])
    # a calculator's labels come first
    first = frames[0].copy()
    first.calc = SinglePointCalculator(first, **frames[0].calc.results)
    first.info["energy"] = 123.0
    assert read_labelled([first])[0].calc.results["energy"] == frames[0].calc.results["energy"]


@pytest.mark.parametrize("energy_key, forces_key, missing, named", [
    ("REF_energy", "REF_forces", "energy and no forces", ["info['REF_energy']",
                                                          "arrays['REF_forces']"]),
    ("dft_energy", "forces", "energy", ["info['dft_energy']"]),
    ("energy", "DFT_Force", "forces", ["arrays['DFT_Force']"]),
    ("free_energy_sigma0", "REF_forces", "energy and no forces",
     ["info['free_energy_sigma0']", "arrays['REF_forces']"]),
])
def test_labels_under_other_keys_are_named_not_guessed(tmp_path, energy_key, forces_key,
                                                       missing, named):
    import ase.io

    b, r = _bare(emt_copper(1)[0])
    b.info[energy_key] = r["energy"]
    b.arrays[forces_key] = r["forces"].copy()
    b.info["REF_virial"] = np.zeros(9)
    ase.io.write(tmp_path / "f.extxyz", [b])
    for source in ([b], tmp_path / "f.extxyz"):
        with pytest.raises(ValueError, match=rf"training data: frame 0 has no {missing} label; "
                                             r".*; it holds .*SinglePointCalculator") as err:
            read_labelled(source)
        for key in [*named, "info['REF_virial']"]:
            assert key in str(err.value)
    # a frame with nothing that looks like a label gets no hint
    with pytest.raises(ValueError, match=r"frame 0 has no energy and no forces label; "
                                         r"fine-tuning needs energy and forces in every frame$"):
        read_labelled([emt_copper(1)[0].copy()])


# VASP's sign; GPa and both on near-equilibrium frames (stresses below 1 eV/Å³ even in GPa)
@pytest.mark.parametrize("factor, rattle", [(-1.0, 0.08), (160.2, 0.03), (-160.2, 0.03)])
def test_stresses_in_other_units_or_sign_are_refused_before_training(tiny, tmp_path, factor,
                                                                     rattle):
    # below 1 eV/Å³ (1 GPa in GPa) a stress passed the size check in any unit and either sign
    frames = emt_copper(4, seed=2, rattle=rattle)
    for atoms in frames:
        r = dict(atoms.calc.results)
        r["stress"] = factor * r["stress"]
        atoms.calc = SinglePointCalculator(atoms, **r)
    with pytest.raises(ValueError, match=r"the training stresses are (-?[0-9.]+) × the base "
                                         r"model's stresses .*do not look like eV/Å³") as err:
        finetune(tiny[1][0], frames, epochs=1, out=tmp_path / "o", device="cpu")
    # the tiny model's stresses follow EMT's to within a factor 3: the scale named is the
    # unit factor's
    assert 1 / 4 < float(str(err.value).split(" are ")[1].split()[0]) / factor < 4
    assert not (tmp_path / "o").exists()


def test_stresses_in_ev_per_cubic_angstrom_pass_the_unit_check(tiny):
    from ase_electrolyte.finetuning import _check_force_scale, _check_stress_scale, _predict

    calc = Calculator(tiny[1][0], device="cpu")
    for seed in range(2):
        frames = emt_copper(4, seed=seed)
        _check_force_scale(frames, [p["forces"] for p in _predict(calc, frames)])
    # labels that do not follow the model's stresses (correlation below 0.5) say nothing
    rng = np.random.default_rng(0)
    model = rng.normal(0.0, 0.01, 24)
    _check_stress_scale(-10 * rng.normal(0.0, 0.01, 24), model)
    with pytest.raises(ValueError, match=r"stresses are -1 × .*correlation -1\.00"):
        _check_stress_scale(-model, model)


def test_energies_in_hartree_are_refused_before_training(tiny, tmp_path):
    # the tiny copper model's energies are EMT's, near 0 eV/atom: the energy differences
    # between the frames give the unit away (tests/test_finetune_labels.py: the whole class)
    from ase.units import Hartree

    base = tiny[1][0]
    frames = emt_copper(4, seed=2)
    for atoms in frames:
        r = dict(atoms.calc.results)
        r["energy"] = r["energy"] / Hartree - 200.0
        atoms.calc = SinglePointCalculator(atoms, **r)
    with pytest.raises(ValueError, match=r"frames 0, 1, 2, 3 .*read as (Rydberg or )?Hartree"):
        finetune(base, frames, epochs=1, out=tmp_path / "o", device="cpu")
    assert not (tmp_path / "o").exists()


def test_a_fine_tune_at_a_vanishing_learning_rate_is_the_base_model(tiny, tmp_path):
    # the written, loaded checkpoint is the base model (shift, scale, species, weights) to
    # float precision on frames it did not see, and the errors finetune reports are its own
    base = tiny[1][0]
    train = emt_copper(3, seed=11)
    res = finetune(base, train, epochs=1, lr=1e-30, batch_size=3, out=tmp_path, device="cpu",
                   plot=False)
    tuned = Calculator(str(res.checkpoint), device="cpu")
    for atoms in emt_copper(2, seed=12, repeat=2):
        got = {}
        for name, calc in (("base", Calculator(base, device="cpu")), ("tuned", tuned)):
            work = atoms.copy()
            work.calc = calc
            got[name] = (work.get_potential_energy(), work.get_forces(), work.get_stress())
        assert got["tuned"][0] == pytest.approx(got["base"][0], abs=1e-9)
        np.testing.assert_allclose(got["tuned"][1], got["base"][1], atol=1e-9)
        np.testing.assert_allclose(got["tuned"][2], got["base"][2], atol=1e-9)
    after = label_errors(tuned, train)
    curve = res.learning_curves[0]
    for key in ("energy_rmse", "force_rmse", "stress_rmse"):
        # epoch 0: computed here before training; epoch 1: sevenn's, written with 6 decimals
        # ('{:6f}': 0.006723 for 0.0067229, 1.6e-5 relative), so within half their last digit
        assert curve[0][f"train_{key}"] == pytest.approx(after[key], rel=1e-9)
        assert curve[1][f"train_{key}"] == pytest.approx(after[key], rel=1e-6, abs=5.01e-7)
