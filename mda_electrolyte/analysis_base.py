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
from MDAnalysis.core.groups import AtomGroup, UpdatingAtomGroup

from ase_electrolyte.atoms_checks import check_number

__all__ = ["FrameAnalysis", "check_atomgroup", "check_range", "require_results"]


def check_range(name, value):
    """``(r_min, r_max)`` in Å as two floats with ``0 <= r_min < r_max``, or ValueError naming
    ``name``; bools and strings are refused as :func:`~ase_electrolyte.atoms_checks.check_number`
    refuses them.

    Parameters
    ----------
    name : str
        The argument, as the message shows it.
    value : object

    Returns
    -------
    tuple of float

    Raises
    ------
    ValueError
        Not two numbers, a bound that is not finite, or not ``0 <= r_min < r_max``.
    """
    try:
        if isinstance(value, (str, bytes)):
            raise TypeError
        low, high = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers (r_min, r_max) in Å, got {value!r}"
                         ) from None
    r_min = check_number(f"{name}: r_min (Å)", low, minimum=0)
    r_max = check_number(f"{name}: r_max (Å)", high)
    if not r_min < r_max:
        raise ValueError(f"{name} must satisfy 0 <= r_min < r_max, got {(low, high)}")
    return r_min, r_max


def check_atomgroup(name, group, *, universe=None):
    """``group`` when it is a static, non-empty AtomGroup (of ``universe`` if given).

    Every analysis of this package fixes its atoms (their molecules, species, classes) when it
    is created; an :class:`~MDAnalysis.core.groups.UpdatingAtomGroup` would be read once, at
    that frame, and silently not re-evaluated on the frames analysed.

    Parameters
    ----------
    name : str
        The argument, as the message shows it.
    group : object
    universe : MDAnalysis.Universe, optional
        The Universe ``group`` must belong to.

    Returns
    -------
    MDAnalysis.core.groups.AtomGroup

    Raises
    ------
    TypeError
        ``group`` is not an AtomGroup (e.g. a selection string).
    ValueError
        ``group`` is updating, empty, or of another Universe.
    """
    if not isinstance(group, AtomGroup):
        raise TypeError(f"{name} must be an AtomGroup (e.g. universe.select_atoms(...)), not "
                        f"{type(group).__name__}")
    if isinstance(group, UpdatingAtomGroup):
        raise ValueError(
            f"{name} is an UpdatingAtomGroup (select_atoms(..., updating=True)): the analysis "
            "fixes its atoms when it is created and would not follow the selection from frame "
            "to frame; pass a static selection")
    if group.n_atoms == 0:
        raise ValueError(f"{name} is empty (it selects no atoms)")
    if universe is not None and group.universe is not universe:
        raise ValueError(f"{name} belongs to another Universe")
    return group


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
