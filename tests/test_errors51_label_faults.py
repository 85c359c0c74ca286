"""Faults of reference labels and of the numbers made from them (issue #16, area B).

* A reference that varies only at the rounding of its values (energies equal to 1e-9 of their
  size) was a denominator like any other: an RRMSE of 5506 marked valid. The RRMSE and the
  least-squares line, which divide by the reference's spread, are now marked not valid, the
  value kept (the RMSE and the slope through the origin, which do not divide by it, unchanged).
* A frame's stored energy beside per-atom energies that do not sum to it: the energy was
  compared, the per-atom energies ignored without a word. Refused now, naming both.
* Frames labelled with a stress alone were "no labels" to ``diagnose`` (the error part
  skipped as "no reference") and refused by ``IntraInterErrors`` ("quantities must include
  energy or forces"); the stress is compared now.
* Force unit readings said "in kcal/mol rather than eV/Å" (the unit of an energy), and a
  stress was "the reference stress are ..., as if they were".
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.diagnose import diagnose, has_labels  # noqa: E402
from mda_electrolyte.error_metrics import (  # noqa: E402
    PairStream,
    error_estimates,
    fit_estimates,
)
from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    UNIT_FACTORS,
    IntraInterErrors,
    unit_doubt,
)
from mda_electrolyte.model_labels import stored_labels  # noqa: E402

N_FRAMES = 30


def _rrmse(ref, mod, mean_axes):
    """The RRMSE of Magdău et al. (2023) written out: Σ (y − x)² / Σ (x − x̄)²."""
    ref, mod = np.asarray(ref), np.asarray(mod)
    return np.sqrt(np.sum((mod - ref) ** 2)
                   / np.sum((ref - ref.mean(axis=mean_axes, keepdims=True)) ** 2))


def _energies(relative, level=-1234.5, seed=0):
    rng = np.random.default_rng(seed)
    ref = level * (1.0 + relative * rng.normal(size=N_FRAMES))
    return ref, ref + rng.normal(scale=0.01, size=N_FRAMES)


def _forces(relative, level=5.0, seed=0):
    """Forces of one offset in every component, varying by ``relative`` of it."""
    rng = np.random.default_rng(seed)
    ref = level * (1.0 + relative * rng.normal(size=(N_FRAMES, 4, 3)))
    return ref, ref + rng.normal(scale=1e-3, size=ref.shape)


@pytest.mark.parametrize("relative", [1e-9, 1e-11, 3e-8])
@pytest.mark.parametrize("values", [_energies, _forces])
def test_a_reference_varying_at_rounding_is_no_rrmse_denominator(values, relative):
    ref, mod = values(relative)
    axes = 1 if ref.ndim == 3 else 0
    rmse, rrmse = error_estimates(ref, mod, "eV", component_axes=axes)
    # the value is the written-out ratio, huge, and kept; what changes is its verdict
    mean_axes = (0, 1) if axes else (0,)
    assert rrmse.value == pytest.approx(_rrmse(ref, mod, mean_axes), rel=1e-6)
    assert rrmse.value > 100 and np.isfinite(rrmse.stderr)
    assert not rrmse.valid and "rounding" in rrmse.verdict
    # the RMSE divides by nothing: its verdict is the same as for a reference that varies
    assert rmse.valid == error_estimates(*values(1e-2), "eV", component_axes=axes)[0].valid
    assert "rounding" not in rmse.verdict


@pytest.mark.parametrize("relative", [1e-9, 3e-8])
def test_the_streamed_errors_judge_the_spread_alike(relative):
    ref, mod = _forces(relative)
    stream = PairStream({"all": np.arange(4)}, 3)
    for k in range(N_FRAMES):
        stream.add(k, ref[k], mod[k])
    rmse, rrmse = stream.estimates("all", "eV/Å")
    whole = error_estimates(ref, mod, "eV/Å", component_axes=1)[1]
    assert rrmse.value == pytest.approx(whole.value, rel=1e-6)
    assert not rrmse.valid and "rounding" in rrmse.verdict and not whole.valid


@pytest.mark.parametrize("relative", [1e-9, 3e-8])
def test_the_least_squares_line_of_such_a_reference_is_not_valid(relative):
    ref, _ = _forces(relative)
    mod = 0.8 * ref + np.random.default_rng(3).normal(scale=1e-3, size=ref.shape)
    fits = fit_estimates(ref, mod, "eV/Å")
    for name in ("slope", "intercept", "r2"):
        assert not fits[name].valid and "rounding" in fits[name].verdict, name
    # the slope through the origin divides by Σ x², which is large: 0.8 as fitted
    assert fits["slope_origin"].value == pytest.approx(np.sum(ref * mod) / np.sum(ref * ref))
    assert "rounding" not in fits["slope_origin"].verdict


@pytest.mark.parametrize("relative", [3e-7, 1e-5, 1e-2])
def test_a_reference_varying_beyond_rounding_keeps_its_rrmse(relative):
    # a liquid's total energy fluctuates by ~1e-5 of it (ten thousand atoms at 300 K)
    ref, mod = _energies(relative)
    rrmse = error_estimates(ref, mod, "eV")[1]
    assert "rounding" not in rrmse.verdict
    assert rrmse.value == pytest.approx(_rrmse(ref, mod, (0,)), rel=1e-9)


# --- a stored energy beside per-atom energies -------------------------------------------------

def _water():
    atoms = _frame(seed=1)
    atoms.calc = None
    return atoms


def _per_atom(atoms):
    return np.random.default_rng(5).normal(-3.0, 0.5, size=len(atoms))


def _stored(atoms, energy, energies, where):
    atoms = atoms.copy()
    if where == "results":
        atoms.calc = SinglePointCalculator(atoms, energy=energy, energies=energies)
    else:
        atoms.info["energy"] = energy
        atoms.arrays["energies"] = energies
    return atoms


@pytest.mark.parametrize("where", ["results", "info/arrays"])
@pytest.mark.parametrize("fault", ["without E0", "kcal/mol", "another frame"])
def test_per_atom_energies_that_do_not_sum_to_the_energy_are_refused(fault, where):
    atoms = _water()
    e = _per_atom(atoms)
    energies = {"without E0": e + 0.5,  # isolated-atom energies left out
                "kcal/mol": 23.0605 * e,
                "another frame": e + np.random.default_rng(9).normal(0, 0.01, size=e.size)}
    with pytest.raises(ValueError, match="not the sum of its stored per-atom energies") as err:
        stored_labels(_stored(atoms, float(e.sum()), energies[fault], where))
    assert f"{e.sum():.10g}" in str(err.value)


@pytest.mark.parametrize("where", ["results", "info/arrays"])
@pytest.mark.parametrize("rounding", ["float32", "1e-9"])
def test_per_atom_energies_that_sum_to_the_energy_to_rounding_are_read(rounding, where):
    atoms = _water()
    e = _per_atom(atoms)
    energies = (e.astype(np.float32).astype(np.float64) if rounding == "float32"
                else e * (1 + 1e-9))
    labels = stored_labels(_stored(atoms, float(e.sum()), energies, where))
    # the energy is the label compared
    assert labels["energy"] == float(e.sum())


def test_intra_inter_errors_refuses_mismatched_energies_before_the_model():
    class Counting(MolecularPairModel):
        calls = 0

        def calculate(self, *args, **kwargs):
            Counting.calls += 1
            super().calculate(*args, **kwargs)

    frames = [_frame(seed=s) for s in range(3)]
    labels = []
    for atoms in frames:
        e = _per_atom(atoms)
        labels.append(_stored(atoms, float(e.sum()) + 1.0, e, "info/arrays"))
    with pytest.raises(ValueError, match="per-atom energies"):
        IntraInterErrors(frames, Counting(), reference=labels)
    assert Counting.calls == 0


# --- frames labelled with a stress alone -------------------------------------------------------

REFERENCE = MolecularPairModel(sigma=2.4)


def _stress_only(n=6, form="info stress"):
    out = []
    for s in range(n):
        atoms = _frame(seed=s)
        probe = atoms.copy()
        probe.calc = REFERENCE
        stress = probe.get_stress()
        if form == "info stress":
            atoms.info["stress"] = stress
        elif form == "virial":
            from ase.stress import voigt_6_to_full_3x3_stress

            atoms.info["virial"] = -voigt_6_to_full_3x3_stress(stress) * atoms.get_volume()
        else:
            atoms.calc = SinglePointCalculator(atoms, stress=stress)
        out.append(atoms)
    return out


def _stress_rmse(frames, model):
    """RMSE over frames of the full 3×3 stress tensors (eV/Å³), written out."""
    from ase.stress import voigt_6_to_full_3x3_stress

    diffs = []
    for atoms in frames:
        probe_ref, probe_mod = atoms.copy(), atoms.copy()
        probe_ref.calc, probe_mod.calc = REFERENCE, model
        diffs.append(voigt_6_to_full_3x3_stress(probe_mod.get_stress())
                     - voigt_6_to_full_3x3_stress(probe_ref.get_stress()))
    return float(np.sqrt(np.mean(np.square(diffs))))


@pytest.mark.parametrize("form", ["info stress", "virial", "calculator result"])
def test_a_stress_alone_is_a_label(form):
    frames = _stress_only(1, form)
    assert has_labels(frames[0])
    # a frame without a cell has no stress to compare
    bare = frames[0].copy()
    bare.pbc = False
    assert not has_labels(bare)


@pytest.mark.parametrize("form", ["info stress", "virial"])
def test_diagnose_compares_a_stress_alone(tmp_path, form):
    frames = _stress_only(6, form)
    model = MolecularPairModel(sigma=2.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no reference_isolated: totals only
        summary = diagnose(frames, model, tmp_path / "d", max_scan_frames=1)
    errors = summary["intra_inter_errors"]
    assert "skipped" not in errors
    got = errors["rmse"]["total"]["stress"]
    assert got["value"] == pytest.approx(_stress_rmse(frames, model), rel=1e-6)
    assert got["value"] > 0


def test_intra_inter_errors_compares_the_stress_alone_against_a_calculator():
    frames = [_frame(seed=s) for s in range(6)]
    model = MolecularPairModel(sigma=2.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = IntraInterErrors(frames, model, reference=REFERENCE, quantities="stress").run()
    assert r.quantities == ("stress",)
    assert r.results.rmse["total"]["stress"].value == pytest.approx(
        _stress_rmse(frames, model), rel=1e-6)
    # the calculator evaluates the isolated molecules: the stress is split into its parts too
    assert set(r.results.rmse) >= {"intra", "inter"}


# --- unit words ----------------------------------------------------------------------------------

@pytest.mark.parametrize("unit", sorted(UNIT_FACTORS))
def test_force_units_are_named_as_force_units(unit):
    x = np.random.default_rng(2).normal(size=(8, 30, 3))
    doubt = unit_doubt(UNIT_FACTORS[unit] * x, x, "forces")
    assert f"in {unit}/Å rather than eV/Å" in doubt, doubt


@pytest.mark.parametrize("factor, said", [(160.21766, "in GPa rather than"),
                                          (-1.0, "opposite sign"),
                                          (-160.21766, "in GPa rather than")])
def test_a_stress_is_one_tensor_in_the_sentence(factor, said):
    x = np.random.default_rng(4).normal(size=(8, 3, 3)) * 0.01
    x = x + np.swapaxes(x, 1, 2)
    doubt = unit_doubt(factor * x, x, "stress")
    assert said in doubt and doubt.startswith("the reference stress is "), doubt
    assert "as if it were" in doubt and "they" not in doubt


@pytest.mark.parametrize("name, verb", [("energy", "is"), ("forces", "are"), ("stress", "is")])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_a_non_finite_label_is_named_in_a_sentence(name, verb, value):
    atoms = _stress_only(1)[0]
    probe = atoms.copy()
    probe.calc = REFERENCE
    labels = {"energy": probe.get_potential_energy(), "forces": probe.get_forces(),
              "stress": probe.get_stress()}
    labels[name] = np.asarray(labels[name], dtype=float) * value
    atoms.info.pop("stress")
    atoms.calc = SinglePointCalculator(atoms, **labels)
    with pytest.raises(ValueError, match=f"reference {name} of a .* frame {verb} not finite"):
        stored_labels(atoms)
