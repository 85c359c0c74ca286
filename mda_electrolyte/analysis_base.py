"""The base of the trajectory analyses of :mod:`mda_electrolyte`.

:class:`FrameAnalysis` is :class:`MDAnalysis.analysis.base.AnalysisBase` with two guarantees every
analysis of this package gives: the frame selection (``start``/``stop``/``step`` or ``frames``) is
checked before any frame is read, and the Universe is left on the frame it was on (AnalysisBase
leaves it wherever the iteration stopped, which silently changes ``universe.atoms.positions``
for the caller).
"""

from __future__ import annotations

import numpy as np
from MDAnalysis.analysis.base import AnalysisBase

__all__ = ["FrameAnalysis", "require_results"]


class FrameAnalysis(AnalysisBase):
    """AnalysisBase that checks its frame selection first and restores the current frame.

    Subclasses set ``_min_frames`` to the fewest frames their estimate needs (1 by default) and
    ``_needs_time`` when they read a time series.
    """

    _min_frames = 1
    #: Whether the analysis reads a time series (it then refuses a trajectory whose time step
    #: is zero, negative or not a number before reading any frame).
    _needs_time = False

    def run(self, start=None, stop=None, step=None, frames=None, verbose=None, n_workers=None,
            n_parts=None, backend=None, *, unsupported_backend=False, progressbar_kwargs=None):
        """Check the frame selection, run :meth:`AnalysisBase.run`, go back to the frame the
        trajectory was on; parameters and return value are those of AnalysisBase.run.

        Raises
        ------
        ValueError
            A selection that names frames beyond the trajectory or selects fewer than the
            analysis needs (e.g. ``start > stop``, ``frames=[]``).
        """
        trajectory = self._trajectory
        name = type(self).__name__
        try:
            # AnalysisBase.run sets the frames up again; this only checks them before work
            self._setup_frames(trajectory, start=start, stop=stop, step=step, frames=frames)
        except IndexError as err:
            raise ValueError(f"{name}: the frame selection is outside the trajectory "
                             f"({trajectory.n_frames} frames): {err}") from None
        if self.n_frames < self._min_frames:
            raise ValueError(
                f"{name}: {'no frames analysed' if self.n_frames == 0 else 'too few frames'}: "
                f"the frame selection (start={start}, stop={stop}, step={step}, "
                f"frames={'None' if frames is None else len(frames)}) gives {self.n_frames} of "
                f"the trajectory's {trajectory.n_frames} frames; it needs at least "
                f"{self._min_frames} frame{'s' if self._min_frames > 1 else ''}"
            )
        if self._needs_time:
            try:
                dt = float(trajectory.dt)
            except Exception:  # noqa: BLE001 - a reader without times is judged on the frames
                dt = None
            if dt is not None and not 0 < dt < np.inf:
                raise ValueError(
                    f"{name}: the trajectory's time step is {dt} ps; a time series needs "
                    "frames at increasing times (set dt when loading, e.g. "
                    "universe.load_new(..., dt=0.01))"
                )
            order = None if frames is None else np.asarray(frames)
            if order is not None and order.dtype != bool and np.any(np.diff(order) <= 0):
                raise ValueError(f"{name}: frames must be in increasing order for a time "
                                 "series, without repeats")
        current = trajectory.ts.frame
        try:
            return super().run(start=start, stop=stop, step=step, frames=frames,
                               verbose=verbose, n_workers=n_workers, n_parts=n_parts,
                               backend=backend, unsupported_backend=unsupported_backend,
                               progressbar_kwargs=progressbar_kwargs)
        finally:
            trajectory[current]


def require_results(analysis, key):
    """``analysis.results`` once it holds ``key``; a plot or report of an analysis not yet run
    raises here instead of with an AttributeError from inside ``Results``.

    Raises
    ------
    RuntimeError
        When ``run()`` has not filled the results.
    """
    results = getattr(analysis, "results", None)
    if results is None or key not in results:
        raise RuntimeError(f"{type(analysis).__name__}: run() the analysis before plot()")
    return results
