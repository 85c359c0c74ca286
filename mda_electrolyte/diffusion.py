r"""Self-diffusion coefficients of ion species from mean-squared displacements (SPEC §2.5).

.. math:: \mathrm{MSD}(\tau) = \langle |\mathbf r_i(t+\tau) - \mathbf r_i(t)|^2 \rangle_{t,i},
          \qquad D = \frac{\text{slope}}{6}

averaged over all ions of a species and all time origins (by FFT), the slope from a straight line
fitted between 10 % and 60 % of the trajectory length by default (seed 000), R² reported.
"""

from __future__ import annotations

import numpy as np
from scipy import constants

from .carriers import CarrierAnalysis
from .correlation import check_fit_window, fit_line, fit_window_slice, mean_squared_displacement
from .report import register_analysis

__all__ = ["Diffusion"]

# Å²/ps -> m²/s
_M2_PER_S = constants.angstrom**2 / constants.pico


class Diffusion(CarrierAnalysis):
    r"""Self-diffusion coefficient of every ion species from its MSD.

    Parameters
    ----------
    universes : MDAnalysis.Universe or list of Universe
        One or several independent trajectories of the same system, analysed frames equally
        spaced in time.
    ions : dict
        Species name -> selection string or AtomGroup (one Universe only); each molecule (residue
        or fragment) of the selection is one particle, followed by its centre of mass or by the
        atom ``ion_center`` picks. Neutral molecules (solvent) are allowed.
    fit_window : (float, float)
        Fit range as fractions of the segment length (default 10 %–60 %, seed 000).
    fit_window_ps : (float, float), optional
        Fit range in ps; overrides ``fit_window``.
    unwrap : bool
        Unwrap positions by accumulating minimum-image displacements between analysed frames (needs
        a box, and frames closer than half a box). If ``False`` (default), positions that jump by
        more than half a box between frames raise an error.
    charges, ion_center, compound
        As for :class:`~mda_electrolyte.GreenKuboConductivity`; charges (optional here) are passed
        on to :class:`~mda_electrolyte.NernstEinstein`.
    n_blocks : int
        Blocks each trajectory is split into (default 1: the whole trajectory).
    volume : float, optional
        Volume in Å³ for Nernst–Einstein (default: mean box volume, if there is a box).
    verbose : bool
        Progress bar.

    Attributes
    ----------
    results.time : numpy.ndarray
        Lag times in ps.
    results.msd : dict
        Species -> MSD in Å², mean over ions and segments.
    results.D, results.D_err : dict
        Species -> D and its standard error in Å²/ps. D is the slope of the mean MSD / 6; the error
        is the standard error of the mean of the per-ion, per-segment D (ions taken as
        independent).
    results.D_m2_s, results.D_err_m2_s : dict
        The same in m²/s.
    results.r2 : dict
        Species -> R² of the line fitted to the mean MSD.
    results.fit_window : tuple of float
        Fit range in ps.
    results.n_ions, results.charges : dict
        Species -> number of ions and ion charge in e (``charges`` is ``None`` if unknown).
    results.volume : float or None
        Mean volume in Å³.

    Examples
    --------
    >>> import numpy as np, MDAnalysis as mda
    >>> from MDAnalysis.coordinates.memory import MemoryReader
    >>> from mda_electrolyte import Diffusion
    >>> rng = np.random.default_rng(1)
    >>> u = mda.Universe.empty(50, n_residues=50, atom_resindex=np.arange(50), trajectory=True)
    >>> u.add_TopologyAttr("names", ["Li"] * 50)
    >>> u.add_TopologyAttr("masses", [6.94] * 50)
    >>> D, dt = 0.1, 0.5  # Å²/ps, ps
    >>> x = np.cumsum(rng.normal(scale=np.sqrt(2 * D * dt), size=(400, 50, 3)), axis=0)
    >>> u.load_new(x, format=MemoryReader, dt=dt)  # doctest: +ELLIPSIS
    <Universe with 50 atoms>
    >>> d = Diffusion(u, ions={"Li": "name Li"}).run()
    >>> abs(d.results.D["Li"] - D) < 4 * d.results.D_err["Li"]
    True
    """

    _needs = ("positions",)
    _needs_charges = False
    _needs_volume = False

    def __init__(
        self,
        universes,
        ions,
        *,
        fit_window=(0.1, 0.6),
        fit_window_ps=None,
        unwrap=False,
        charges=None,
        ion_center=None,
        compound="residues",
        n_blocks=None,
        volume=None,
        verbose=False,
    ):
        check_fit_window(fit_window, fit_window_ps)
        self._fit_window = tuple(fit_window)
        self._fit_window_ps = None if fit_window_ps is None else tuple(fit_window_ps)
        super().__init__(
            universes,
            ions,
            charges=charges,
            ion_center=ion_center,
            compound=compound,
            n_blocks=n_blocks,
            volume=volume,
            unwrap=unwrap,
            verbose=verbose,
        )
        if len(self._universes) * self._n_blocks == 1:
            single = [s.name for s in self._species[0] if s.n_ions == 1]
            if single:
                raise ValueError(
                    f"species {single} have a single ion in a single trajectory, so D has no error "
                    "estimate; analyse several trajectories or use n_blocks >= 2"
                )

    def _segment(self, data, dt, volume):
        pos = data["positions"]
        n_frames = pos.shape[0]
        msd = {}
        for name, sl in self._species_slices().items():
            per_column = mean_squared_displacement(
                pos[:, sl].reshape(n_frames, -1), sum_columns=False
            )
            # x, y, z columns of each ion -> |Δr|² per ion, shape (T, n_ions)
            msd[name] = per_column.reshape(n_frames, -1, 3).sum(axis=2)
        return {"msd": msd, "volume": volume}

    def _combine(self, segments, dt):
        n = min(next(iter(s["msd"].values())).shape[0] for s in segments)
        time = np.arange(n) * dt
        window = fit_window_slice(time, self._fit_window, self._fit_window_ps)
        res = self.results
        res.time = time
        res.fit_window = (float(time[window][0]), float(time[window][-1]))
        res.msd, res.D, res.D_err, res.r2 = {}, {}, {}, {}
        for sp in self._species[0]:
            per_ion = np.concatenate([s["msd"][sp.name][:n] for s in segments], axis=1)
            mean = per_ion.mean(axis=1)
            slope, _, r2 = fit_line(time[window], mean[window])
            ion_slopes, _, _ = fit_line(time[window], per_ion[window])
            d_ions = ion_slopes / 6.0
            res.msd[sp.name] = mean
            res.D[sp.name] = float(slope / 6.0)
            res.D_err[sp.name] = float(d_ions.std(ddof=1) / np.sqrt(d_ions.size))
            res.r2[sp.name] = float(r2)
        res.D_m2_s = {k: v * _M2_PER_S for k, v in res.D.items()}
        res.D_err_m2_s = {k: v * _M2_PER_S for k, v in res.D_err.items()}
        res.n_ions = {sp.name: sp.n_ions for sp in self._species[0]}
        res.charges = None
        if all(sp.charges is not None for sp in self._species[0]):
            charges = {}
            for sp in self._species[0]:
                if not np.allclose(sp.charges, sp.charges[0]):
                    raise ValueError(f"species {sp.name!r} mixes ions of different charge")
                charges[sp.name] = float(sp.charges[0])
            res.charges = charges
        volumes = [s["volume"] for s in segments]
        res.volume = None if any(v is None for v in volumes) else float(np.mean(volumes))
        res.n_segments = len(segments)

    def plot(self, ax=None):
        """MSD of every species with its fitted line over the fit window.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        r = self.results
        t = np.linspace(*r.fit_window, 2)
        for i, (name, msd) in enumerate(r.msd.items()):
            ax.plot(
                r.time,
                msd,
                color=f"C{i}",
                label=f"{name}: D = {r.D_m2_s[name]:.3g} m²/s (R² = {r.r2[name]:.3f})",
            )
            intercept = msd[(r.time >= t[0]) & (r.time <= t[1])].mean() - 6 * r.D[name] * t.mean()
            ax.plot(t, 6 * r.D[name] * t + intercept, color=f"C{i}", ls="--")
        ax.axvspan(*r.fit_window, color="0.9", zorder=0)
        ax.set_xlabel("lag time (ps)")
        ax.set_ylabel("MSD (Å²)")
        ax.legend()
        return ax


@register_analysis("diffusion", needs=("box",))
def _report_diffusion(universe, outdir, *, calculator=None, verbose=False):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .conductivity import charged_species

    try:
        ions = charged_species(universe)
    except ValueError as err:
        return {"skipped": str(err)}
    # with a single ion of a species there is no spread over ions to take D's error from, so
    # the error comes from blocks of the trajectory instead
    single = any(universe.select_atoms(sel).n_residues < 2 for sel in ions.values())
    diff = Diffusion(universe, ions, unwrap=True, n_blocks=5 if single else 1).run(verbose=verbose)
    r = diff.results
    ax = diff.plot()
    ax.figure.savefig(outdir / "diffusion.png", dpi=120)
    plt.close(ax.figure)
    return {
        "D_m2_per_s": r.D_m2_s,
        "D_err_m2_per_s": r.D_err_m2_s,
        "D_A2_per_ps": r.D,
        "r2": r.r2,
        "fit_window_ps": list(r.fit_window),
        "n_ions": r.n_ions,
        "ions": ions,
        "plot": "diffusion.png",
    }
