"""Ensemble distillation and density alignment, on tiny SevenNet models of EMT copper."""

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.density_alignment import (  # noqa: E402
    align_density,
    compressibility_from_shifts,
    mean_pressure,
    npt_density,
    pressure_shift_for_density,
)
from ase_electrolyte.distill import distill, relabel  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee"))[1]


def _spreads(calc, frames):
    out = []
    for atoms in frames:
        work = atoms.copy()
        work.calc = calc
        work.get_potential_energy()
        out.append(calc.results["max_forces_std"])
    return np.array(out)


def test_relabel_gives_the_committee_mean(tiny):
    frames = emt_copper(2, a=3.4, seed=5)
    labelled = relabel(frames, tiny, device="cpu")
    for atoms, lab in zip(frames, labelled, strict=True):
        forces = []
        for path in tiny:
            work = atoms.copy()
            work.calc = Calculator(path, device="cpu")
            forces.append(work.get_forces())
        np.testing.assert_allclose(lab.get_forces(), np.mean(forces, axis=0), atol=1e-5)
        assert lab.info["teacher_max_forces_std"] > 0


def test_distilled_students_agree_better_than_their_teachers(tiny, tmp_path):
    # compressed, hot copper: away from the members' training data, where they disagree
    frames = emt_copper(6, a=3.4, rattle=0.1, seed=21)
    held_out = emt_copper(4, a=3.4, rattle=0.1, seed=22)
    results = distill(tiny, frames, epochs=8, out=tmp_path, n_students=2, device="cpu",
                      lr=0.01, batch_size=3, plot=False)
    members = _spreads(Calculator(tiny, device="cpu"), held_out).mean()
    students = _spreads(Calculator([str(r.checkpoint) for r in results], device="cpu"),
                        held_out).mean()
    assert students < 0.6 * members


def test_alignment_raises_the_pressure_by_the_shift(tiny, tmp_path):
    delta = 20000.0  # bar; large against this tiny model's stress errors (a few kbar)
    train, held_out = emt_copper(6, seed=31), emt_copper(4, seed=32)
    _, _, before = mean_pressure(tiny[0], held_out, device="cpu")
    res = align_density(tiny[0], train, delta, epochs=15, out=tmp_path, device="cpu", lr=0.02,
                        batch_size=3, plot=False)
    aligned = Calculator(str(res.checkpoint), device="cpu")
    _, _, after = mean_pressure(aligned, held_out)
    shift = after - before
    sem = shift.std(ddof=1) / np.sqrt(len(shift))
    assert abs(shift.mean() - delta) < max(3 * sem, 0.05 * delta)
    # energies and forces stay tied to the base model
    base = Calculator(tiny[0], device="cpu")
    for atoms in held_out:
        a, b = atoms.copy(), atoms.copy()
        a.calc, b.calc = aligned, base
        rms = np.sqrt(np.mean((a.get_forces() - b.get_forces()) ** 2))
        assert rms < 0.25 * np.sqrt(np.mean(b.get_forces() ** 2))


def _static_pressure(calc, a):
    from ase.build import bulk
    from ase.units import bar

    atoms = bulk("Cu", "fcc", a=a, cubic=True)
    atoms.calc = calc
    density = atoms.get_masses().sum() / atoms.get_volume() * 1.66053906660  # g/cm³
    return -atoms.get_stress()[:3].mean() / bar, density


def test_aligned_model_npt_density_moves_to_the_target(tiny, tmp_path):
    """BAMBOO's alignment end to end on a tiny model of copper (the cheapest real path here).

    The base model's NPT density and its compressibility (from its equation of state) give the
    ΔP that moves it 2 % denser, to a stand-in "experimental" density; after fine-tuning with
    the shifted stress labels the model's pressure has moved by ΔP within the uncertainty of ΔP,
    and a short NPT run of the aligned model lands on the target.
    """
    from ase.build import bulk

    base = Calculator(tiny[0], device="cpu")
    eos = [_static_pressure(base, a) for a in (3.56, 3.58, 3.60, 3.62, 3.64)]
    kappa = compressibility_from_shifts(*zip(*eos, strict=True))
    cell = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)  # 32 atoms
    npt = {"temperature_K": 50.0, "steps": 200, "timestep_fs": 2.0, "seed": 1}
    rho_base = npt_density(base, cell, trajectory=tmp_path / "base.h5md", **npt)
    target = 1.02 * rho_base.value
    shift = pressure_shift_for_density(rho_base.value, target, kappa,
                                       rho_model_error=rho_base.stderr)
    assert shift.valid and shift.delta_bar < 0  # denser: lower the model's pressure
    frames = [f for a in (3.54, 3.58, 3.62) for f in emt_copper(2, a=a, seed=int(100 * a))]
    res = align_density(tiny[0], frames, shift, epochs=15, out=tmp_path / "align",
                        device="cpu", lr=0.02, batch_size=3, plot=False)
    aligned = Calculator(str(res.checkpoint), device="cpu")
    # the pressure at the fixed density the base model sampled moves by ΔP
    a_npt = (4 * 63.546 / 0.602214076 / rho_base.value) ** (1 / 3)  # cubic cell of that density
    moved = _static_pressure(aligned, a_npt)[0] - _static_pressure(base, a_npt)[0]
    assert abs(moved - shift.delta_bar) < 3 * shift.error_bar
    # the aligned model's NPT density lands on the target: more than half the way there, and
    # within three combined standard errors of it
    rho_aligned = npt_density(aligned, cell, trajectory=tmp_path / "aligned.h5md", **npt)
    assert rho_aligned.value - rho_base.value > 0.5 * (target - rho_base.value)
    assert abs(rho_aligned.value - target) < 3 * np.hypot(rho_aligned.stderr, rho_base.stderr)


def test_compressibility_and_shift_from_synthetic_densities():
    rng = np.random.default_rng(0)
    kappa = 8e-5
    p = np.linspace(-2000, 2000, 9)
    err = np.full(p.shape, 0.001)
    rho = 1.1 * np.exp(kappa * p) + rng.normal(0, 0.001, p.shape)
    fit = compressibility_from_shifts(p, rho, err)
    assert abs(fit.kappa_per_bar - kappa) < 3 * fit.kappa_error
    shift = pressure_shift_for_density(1.1, 1.1 * np.exp(kappa * 500.0), fit, rho_model_error=0.001)
    # the shift that lowers the density: the model must be pushed to lower pressure to densify
    assert shift.valid and abs(shift.delta_bar + 500.0) < 3 * shift.error_bar
    unresolved = pressure_shift_for_density(1.1, 1.1001, kappa, rho_model_error=0.002)
    assert not unresolved.valid
    with pytest.raises(ValueError, match="not resolved"):
        align_density("sevennet-0", emt_copper(1), unresolved, epochs=1)
    with pytest.raises(ValueError, match="does not rise"):
        compressibility_from_shifts([0.0, 1000.0, 2000.0], [1.2, 1.19, 1.18])


def test_alignment_inputs_are_checked_before_any_model_is_loaded():
    frames = emt_copper(2)
    slab = frames[0].copy()
    slab.pbc = (True, True, False)
    # "no-such-model" would fail to load: each refusal comes first
    with pytest.raises(ValueError, match="3D-periodic"):
        align_density("no-such-model", [frames[1], slab], 1000.0, epochs=1)
    with pytest.raises(ValueError, match="3D-periodic"):
        align_density("no-such-model", [], 1000.0, epochs=1)
    with pytest.raises(ValueError, match="finite"):
        align_density("no-such-model", frames, float("nan"), epochs=1)
    with pytest.raises(ValueError, match="same length"):
        compressibility_from_shifts([0.0, 1000.0], [1.2, 1.21, 1.22])
    with pytest.raises(ValueError, match="positive"):
        pressure_shift_for_density(1.2, 1.21, -1e-5)
