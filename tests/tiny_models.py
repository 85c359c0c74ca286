"""Tiny SevenNet models trained from scratch on EMT copper (crystal and liquid), shared by tests.

Trained once per test session (sevenn's trainer, a few seconds on a CPU) and cached in the
process, so that committee, active-learning and distillation tests reuse them.
"""

import numpy as np

TINY = {"channel": 4, "lmax": 1, "num_convolution_layer": 1, "cutoff": 3.2}
_CACHE = {}


def emt_copper(n_frames, *, a=3.6, rattle=0.08, seed=0, repeat=1):
    """Rattled fcc copper (4-atom cubic cell, repeated) labelled by EMT: energy, forces, stress."""
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.calculators.singlepoint import SinglePointCalculator

    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_frames):
        atoms = bulk("Cu", "fcc", a=a, cubic=True).repeat(repeat)
        atoms.rattle(rattle, rng=rng)
        atoms.calc = EMT()
        labels = {
            "energy": atoms.get_potential_energy(),
            "forces": atoms.get_forces(),
            "stress": atoms.get_stress(),
        }
        atoms.calc = SinglePointCalculator(atoms, **labels)
        frames.append(atoms)
    return frames


def tiny_committee(workdir, k=2, epochs=20):
    """Paths of ``k`` tiny models trained on the same EMT copper frames with seeds 1..k."""
    key = (k, epochs)
    if key not in _CACHE:
        from ase_electrolyte.finetuning import finetune

        res = finetune(
            TINY, emt_copper(6), epochs=epochs, lr=0.02, batch_size=3, ensemble=k,
            out=workdir, device="cpu", plot=False,
        )
        _CACHE[key] = (res, [str(p) for p in res.checkpoints])
    return _CACHE[key]


#: A tiny model for liquid copper: its cutoff reaches past the first coordination shell.
TINY_LIQUID = dict(TINY, cutoff=4.5)


def _random_box(symbol, n_atoms, density, rng, min_distance):
    """``n_atoms`` atoms at random, no pair closer than ``min_distance`` Å (a gas), g/cm³."""
    from ase import Atoms
    from ase.data import atomic_masses, atomic_numbers

    mass = atomic_masses[atomic_numbers[symbol]]
    edge = (n_atoms * mass / 0.602214076 / density) ** (1 / 3)
    positions = []
    while len(positions) < n_atoms:
        trial = rng.uniform(0.0, edge, 3)
        d = np.array(positions) - trial if positions else np.zeros((0, 3))
        d -= edge * np.round(d / edge)
        if not len(d) or np.min(np.linalg.norm(d, axis=1)) >= min_distance:
            positions.append(trial)
    return Atoms(f"{symbol}{n_atoms}", positions=positions, cell=[edge] * 3, pbc=True)


def emt_copper_liquid(densities=(7.0, 7.5, 8.0), per_density=4, *, temperature_K=1800.0,
                      rescale=(5.5, 6.3, 8.7, 9.4), gas_densities=(1.0, 2.5), seed=0):
    """Liquid EMT copper (32 atoms, far above EMT's melting point) labelled by EMT.

    One box melted at 3000 K, then per density (g/cm³) rescaled, 100 fs of Langevin MD at
    ``temperature_K`` and ``per_density`` frames 62.5 fs apart. Then the last liquid frame
    rescaled to each ``rescale`` density and one random gas frame per ``gas_densities``: they
    teach a model trained on them that the liquid coheres and resists compression (a model
    fitted to the liquid frames alone gives an isolated atom the mean liquid energy, and its
    liquid evaporates or collapses in NPT).
    """
    from ase import units
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.md.langevin import Langevin

    def labelled(config):
        config.calc = EMT()
        labels = {"energy": config.get_potential_energy(), "forces": config.get_forces(),
                  "stress": config.get_stress()}
        out = config.copy()
        out.calc = SinglePointCalculator(out, **labels)
        return out

    def rescaled(config, density):
        out = config.copy()
        scale = (out.get_masses().sum() / 0.602214076 / out.get_volume() / density) ** (1 / 3)
        out.set_cell(out.cell * scale, scale_atoms=True)
        return out

    rng = np.random.default_rng(seed)
    atoms = bulk("Cu", "fcc", a=3.65, cubic=True).repeat(2)
    atoms.rattle(0.1, rng=rng)
    atoms.calc = EMT()
    Langevin(atoms, 2.5 * units.fs, temperature_K=3000.0, friction=0.05, rng=rng,
             fixcm=False).run(150)
    frames = []
    for density in densities:
        atoms.set_cell(rescaled(atoms, density).cell, scale_atoms=True)
        dyn = Langevin(atoms, 2.5 * units.fs, temperature_K=temperature_K, friction=0.05,
                       rng=rng, fixcm=False)
        dyn.run(40)
        for _ in range(per_density):
            dyn.run(25)
            frames.append(labelled(atoms.copy()))
    frames += [labelled(rescaled(atoms, d)) for d in rescale]
    frames += [labelled(_random_box("Cu", 32, d, rng, 2.2)) for d in gas_densities]
    return frames


def tiny_liquid_copper(workdir, epochs=25):
    """A tiny model trained from scratch on :func:`emt_copper_liquid` (cached).

    Returns
    -------
    (str, list of ase.Atoms)
        The model's path and its EMT training frames.
    """
    key = ("liquid copper", epochs)
    if key not in _CACHE:
        from ase_electrolyte.finetuning import finetune

        frames = emt_copper_liquid()
        res = finetune(TINY_LIQUID, frames, epochs=epochs, lr=0.02, batch_size=4,
                       stress_weight=0.1, out=workdir, device="cpu", plot=False)
        _CACHE[key] = (str(res.checkpoint), frames)
    return _CACHE[key]
