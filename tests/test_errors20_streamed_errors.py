"""IntraInterErrors takes its force errors from running sums, not from every frame's forces.

The per-frame force arrays (12 of n_atoms x 3 floats per frame, ~990 bytes per analysed
atom-frame with their temporaries; ``benchmarks/bench_intra_inter_memory.py``) made memory grow
with the trajectory. :class:`~mda_electrolyte.error_metrics.PairStream` keeps per frame a few
sums per atom group and per value the running moments that the correlation of consecutive frames
needs; its Estimates must be those of :func:`error_estimates` / :func:`fit_estimates` on the
stacked arrays (value, error, verdict), also for correlated frames, parts merged as a parallel
run merges them, and values far from zero.
"""

import math
import warnings

import numpy as np
import pytest
from ase.build import molecule
from molecular_pair_model import MolecularPairModel

from mda_electrolyte import IntraInterErrors
from mda_electrolyte.error_metrics import PairStream, error_estimates, fit_estimates
from mda_electrolyte.molecules import make_whole


def _same(a, b, rtol=1e-10):
    for x, y in ((a.value, b.value), (a.stderr, b.stderr)):
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=rtol, abs=1e-300)
    assert a.converged == b.converged and a.notes == b.notes and a.dof == b.dof


def _ar1(n_frames, n_items, p, phi, rng, offset=0.0):
    x = np.empty((n_frames, n_items, p))
    x[0] = rng.normal(size=(n_items, p))
    for k in range(1, n_frames):
        x[k] = phi * x[k - 1] + math.sqrt(1 - phi**2) * rng.normal(size=(n_items, p))
    return x + offset


@pytest.mark.parametrize("phi, n_frames, parts, offset", [
    (0.0, 12, 1, 0.0), (0.9, 40, 1, 0.0), (0.9, 40, 3, 0.0), (0.5, 60, 4, 0.0),
    (0.7, 7, 2, 0.0), (0.9, 30, 2, -5000.0),
])
def test_streamed_estimates_equal_those_of_the_stacked_arrays(phi, n_frames, parts, offset):
    rng = np.random.default_rng(7)
    p = 1 if offset else 3
    ref = _ar1(n_frames, 20, p, phi, rng, offset)
    mod = 0.9 * ref + 0.1 * _ar1(n_frames, 20, p, phi, rng)
    groups = {"all": np.arange(20), "few": np.array([1, 4, 9])}
    streams = []
    for frames in np.array_split(np.arange(n_frames), parts):
        stream = PairStream(groups, p)
        for k in frames:
            stream.add(k, ref[k], mod[k])
        streams.append(stream)
    for other in streams[1:]:
        streams[0].merge(other)
    stream = streams[0]
    axes = 1 if p == 3 else 0
    for name, index in groups.items():
        r_arr = ref[:, index] if p == 3 else ref[:, index, 0]
        m_arr = mod[:, index] if p == 3 else mod[:, index, 0]
        for got, want in zip(stream.estimates(name, "eV/Å"),
                             error_estimates(r_arr, m_arr, "eV/Å", component_axes=axes),
                             strict=True):
            _same(got, want)
        fits, want = stream.fits(name, "eV/Å"), fit_estimates(r_arr, m_arr, "eV/Å")
        for key in ("slope_origin", "slope", "intercept", "r2"):
            _same(fits[key], want[key], rtol=1e-8 if offset else 1e-10)
    # the correlated cases are found correlated in both (blocks, or too few independent frames)
    if phi >= 0.9 and n_frames >= 30:
        rmse = stream.estimates("all", "eV/Å")[0]
        assert "blocks" in rmse.method or not rmse.converged


def _water_box(shift, n=8, edge=9.0):
    rng = np.random.default_rng(3)
    atoms, ids = None, []
    grid = np.array([[i, j, k] for i in range(2) for j in range(2) for k in range(2)])[:n]
    for j, g in enumerate(grid):
        m = molecule("H2O")
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += (g + 0.25) * edge / 2 - m.get_center_of_mass()
        atoms = m if atoms is None else atoms + m
        ids += [j] * 3
    atoms.positions += shift
    atoms.cell, atoms.pbc = [edge] * 3, True
    atoms.arrays["molecule_index"] = np.array(ids)
    atoms.wrap()
    return atoms


def _trajectory(n_frames, phi=0.95, repeat=1):
    """Water frames whose atoms drift as AR(1) (consecutive frames correlated); ``repeat``
    copies of the 8-molecule box along each axis."""
    rng = np.random.default_rng(11)
    d, e = np.zeros((8, 3)), np.zeros((24, 3))
    frames = []
    for _ in range(n_frames):
        # molecules moved whole, their atoms jittered a little (bonds kept)
        d = phi * d + math.sqrt(1 - phi**2) * rng.normal(scale=0.2, size=d.shape)
        e = phi * e + math.sqrt(1 - phi**2) * rng.normal(scale=0.01, size=e.shape)
        box = _water_box(np.repeat(d, 3, axis=0) + e)
        if repeat > 1:
            ids = box.arrays.pop("molecule_index")
            # whole molecules repeated: a molecule wrapped across the small box's face
            # would be cut in two by the copies
            box.positions = make_whole(box.positions, ids, box.cell.array)
            box = box.repeat(repeat)
            box.arrays["molecule_index"] = np.concatenate(
                [ids + 8 * k for k in range(repeat**3)])
            box.wrap()
        frames.append(box)
    return frames


def test_intra_inter_errors_equal_the_array_estimates_of_their_kept_forces():
    frames = _trajectory(20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept = IntraInterErrors(frames, MolecularPairModel(scale=0.8),
                                reference=MolecularPairModel(), keep_arrays=True).run()
        lean = IntraInterErrors(frames, MolecularPairModel(scale=0.8),
                                reference=MolecularPairModel()).run()
        par = IntraInterErrors(frames, MolecularPairModel(scale=0.8),
                               reference=MolecularPairModel()).run(backend="multiprocessing",
                                                                   n_workers=2)
    # not kept, and said so where read as before (it was None: "not subscriptable")
    assert not lean.results.forces and not lean.results.molecule_energies
    with pytest.raises(KeyError, match="keep_arrays=True"):
        lean.results.forces["model"]
    forces = kept.results.forces
    values = (forces["model"]["total"] - forces["reference"]["total"],
              forces["reference"]["total"])
    for c in ("total", "intra", "inter", "trans", "rot", "vib"):
        want = error_estimates(forces["reference"][c], forces["model"][c], "eV/Å",
                               component_axes=1, frame_values=values)
        for run in (lean, par):
            _same(run.results.rmse[c]["forces"], want[0])
            if c == "total":
                _same(run.results.rrmse[c]["forces"], want[1])
    oxygen = np.array([a.symbol == "O" for a in frames[0]])
    want = fit_estimates(forces["reference"]["total"][:, oxygen],
                         forces["model"]["total"][:, oxygen], "eV/Å")["slope_origin"]
    for run in (lean, par):
        _same(run.results.softening["O"], want)
        assert run.results.softening["O"].value == pytest.approx(0.8, abs=1e-12)
        _same(run.results.rmse_per_species[next(iter(run.results.rmse_per_species))]["intra"]
              ["energy"],
              kept.results.rmse_per_species[next(iter(kept.results.rmse_per_species))]["intra"]
              ["energy"])
    # the plot's sample: model = 0.8 x reference in every component drawn
    x, y = lean.results.force_sample["total"]
    assert 0 < x.size <= 20000
    np.testing.assert_allclose(y, 0.8 * x, atol=1e-12)


_PEAKS = """
import gc, sys, tracemalloc, warnings
sys.path[:0] = {paths!r}
import mda_electrolyte.intra_inter_errors as iie
from molecular_pair_model import MolecularPairModel
from test_errors20_streamed_errors import _trajectory

# the parity plot's sample (PLOT_POINTS over the run, spread over its frames) held small
iie.PLOT_POINTS = 50


def peak(frames):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = iie.IntraInterErrors(frames, MolecularPairModel(scale=0.8),
                                      reference=MolecularPairModel())
        # the isolated-molecule caches (bounded by MAX_CACHED_ATOMS) are measured elsewhere
        errors._model.isolated.max_cached_atoms = 0
        errors._reference.isolated.max_cached_atoms = 0
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        errors.run()
        out = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out


peak(_trajectory(2, repeat=2))  # one-time allocations
print(peak(_trajectory(4, repeat=2)), peak(_trajectory(12, repeat=2)))
"""


def _peaks():
    """Peak traced bytes of runs over 4 and 12 frames, in a fresh interpreter: tracemalloc
    counts every thread's allocations, and threads left by earlier tests of a session (a dask
    client's, a progress bar's) allocated while the run was traced (53 kB per frame measured
    in the full suite, 10-15 kB alone)."""
    import os
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    script = _PEAKS.format(paths=[here, os.path.dirname(here)])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    few, many = map(int, done.stdout.split())
    return few, many


def test_memory_does_not_grow_with_the_frames_forces():
    n_atoms = 192
    few, many = _peaks()
    per_frame = (many - few) / 8
    # the per-frame force arrays of both sides in six components held 12 x 192 x 3 x 8 B =
    # 55 kB per frame (with their temporaries ~990 B per atom-frame, 190 kB); a few sums per
    # frame, component and atom group remain (measured 10-15 kB, whatever the atoms)
    assert per_frame < 12 * n_atoms * 3 * 8 / 2, per_frame
