"""Lennard-Jones argon whose ``stop_at``-th evaluation is a Ctrl-C: the interrupted run of the
MD resume tests (one definition for every file that stops a run part-way, or counts the model's
evaluations to show that a refusal came before any), and the 32-atom box those tests run."""

from ase.build import bulk
from ase.calculators.lj import LennardJones


class StoppingArgon(LennardJones):
    """Lennard-Jones argon (σ 3.4 Å, ε 0.0104 eV, smooth 8 Å cutoff) that counts its
    evaluations in ``calls`` and raises ``KeyboardInterrupt`` at the ``stop_at``-th.

    ``options`` are recorded in its parameters, as :class:`ase_electrolyte.Calculator` records a
    backend's options (the pair potential ignores them): a model run with other options."""

    def __init__(self, stop_at=None, **options):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.parameters.update(options)
        self.stop_at, self.calls = stop_at, 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        super().calculate(*args, **kwargs)


# the fingerprint of a calculator is its class: the stopping one is the same model as
# LennardJones, so a resume with a plain LennardJones (or another stop) continues the run
StoppingArgon.__module__, StoppingArgon.__name__ = LennardJones.__module__, LennardJones.__name__


def argon(calc=None, *, rattle=0.0, seed=1, repeat=2):
    """fcc argon (a = 5.26 Å, cubic cell ``repeat`` times: 32 atoms by default), its atoms
    displaced by ``rattle`` Å (ASE's ``rattle`` with ``seed``), with ``calc`` attached."""
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(repeat)
    if rattle:
        atoms.rattle(rattle, seed=seed)
    atoms.calc = calc
    return atoms
