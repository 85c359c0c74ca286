"""Tiny SevenNet models trained from scratch on EMT copper, shared by the model-loop tests.

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
