"""ASE's EMT that counts its evaluations: a refusal must come before any.

Its class is shown as ASE's EMT (module and name), so a run's calculator fingerprint is that of
EMT itself and a stored run of plain EMT is this calculator's too.
"""

from ase.calculators.emt import EMT


class CountingEMT(EMT):
    """EMT counting its evaluations in ``calls``; raises Ctrl-C (KeyboardInterrupt) at the
    ``stop_at``-th when given."""

    def __init__(self, stop_at=None, **kwargs):
        super().__init__(**kwargs)
        self.calls, self._stop = 0, stop_at

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self._stop:
            raise KeyboardInterrupt
        super().calculate(*args, **kwargs)


CountingEMT.__module__, CountingEMT.__name__ = EMT.__module__, EMT.__name__
