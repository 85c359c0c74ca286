"""The disk estimate reads the writer's layout from the modules that own it.

``electrolyte_cli.simulate.trajectory_bytes`` held copies of private numbers of the writer and
of run_md (the 32 KiB / 256-row chunk rule, one frame per particle chunk, 7 scalar observables,
the integrator variables' sizes with ASE's chains of 3): a change of the writer left the
estimate silently on the old layout. It now reads :func:`ase_electrolyte.trajectory.
series_chunk_rows`, :data:`~ase_electrolyte.trajectory.PARTICLE_CHUNK_ROWS` and
:func:`ase_electrolyte.md.recorded_shapes`, which are checked here against a file run_md writes.
"""

import argparse
import itertools
import math
import warnings

import h5py
import numpy as np
import pytest
from ase import Atoms
from ase.calculators.lj import LennardJones

import electrolyte_cli.simulate as simulate
from ase_electrolyte.md import recorded_shapes, run_md
from ase_electrolyte.topology import set_topology
from ase_electrolyte.trajectory import (
    FRAME_SPACING,
    PARTICLE_CHUNK_ROWS,
    h5md_info,
    integrator_state,
    series_chunk_rows,
)

COUNTS = [{"EC": 1}, {"Li": 2, "PF6": 2, "EC": 10},
          {"Li": 1, "Na": 1, "K": 1, "PF6": 1, "BF4": 1, "ClO4": 1},
          {"EC": 300, "DMC": 200, "Li": 40, "PF6": 40}]
# (pre-equilibration, equilibration, production in ps, write interval in fs, ensemble)
PROTOCOLS = [(0.0, 0.0, 0.1, 5.0, "nvt"), (1.0, 2.0, 10.0, 10.0, "npt"),
             (0.5, 1.0, 100.0, 1.0, "nve"), (0.0, 5.0, 1000.0, 100.0, "nvt")]
# trajectory_bytes of (COUNTS index, PROTOCOLS index, force_spread) computed by the code before
# its layout was read from the writer (commit 3af8706), recomputed when the writer added the
# frame spacing /observables/dt (38df808, counted by the estimate in 582d52b): relaxed,
# pre-equilibration, equilibration, production bytes
BEFORE = {
    (0, 0, False): (370360, 0, 0, 469752),
    (0, 0, True): (401080, 0, 0, 500472),
    (0, 1, False): (370360, 681720, 781944, 4714296),
    (0, 1, True): (401080, 712440, 812664, 5003064),
    (0, 2, False): (370360, 827352, 2158392, 171364408),
    (0, 2, True): (401080, 858072, 2207544, 176432056),
    (0, 3, False): (370360, 0, 673624, 280793208),
    (0, 3, True): (401080, 0, 710488, 306219192),
    (1, 0, False): (439792, 0, 0, 691824),
    (1, 0, True): (470512, 0, 0, 722544),
    (1, 1, False): (439792, 1514352, 2377776, 13103856),
    (1, 1, True): (470512, 1545072, 2408496, 13392624),
    (1, 2, False): (439792, 2804784, 9908976, 947657968),
    (1, 2, True): (470512, 2835504, 9958128, 952725616),
    (1, 3, False): (439792, 0, 1141040, 422974704),
    (1, 3, True): (470512, 0, 1177904, 448400688),
    (2, 0, False): (464080, 0, 0, 577872),
    (2, 0, True): (494800, 0, 0, 608592),
    (2, 1, False): (464080, 847440, 1019664, 7269072),
    (2, 1, True): (494800, 878160, 1050384, 7557840),
    (2, 2, False): (464080, 1133760, 3115152, 275669328),
    (2, 2, True): (494800, 1164480, 3164304, 280736976),
    (2, 3, False): (464080, 0, 872816, 450878784),
    (2, 3, True): (494800, 0, 909680, 476304768),
    (3, 0, False): (1403680, 0, 0, 9725472),
    (3, 0, True): (1434400, 0, 0, 9756192),
    (3, 1, False): (1403680, 42827040, 84039264, 417555744),
    (3, 1, True): (1434400, 42857760, 84069984, 417844512),
    (3, 2, False): (1403680, 104640672, 414360864, 41297421856),
    (3, 2, True): (1434400, 104671392, 414410016, 41302489504),
    (3, 3, False): (1403680, 0, 22279328, 4458818592),
    (3, 3, True): (1434400, 0, 22316192, 4484244576),
}
STAGES = ("relaxed", "preequilibration", "equilibration", "production")


def test_estimate_is_unchanged_by_reading_the_layout_from_its_owners():
    """Refactor guard: an exact-equality regression check of a refactor that must not change
    a number. The table was computed with the estimate's own copies of the layout, before it
    read them from the writer and run_md; the layout has not changed since, so every number
    is the same. (A change of the writer's layout changes these numbers on purpose: the
    table is then recomputed, and the bound tests of test_disk33/34 judge the new values.)"""
    assert len(BEFORE) == len(COUNTS) * len(PROTOCOLS) * 2
    for (c, p, spread), expected in BEFORE.items():
        pre, eq, prod, interval, ensemble = PROTOCOLS[p]
        args = argparse.Namespace(preequilibration_ps=pre, equilibration_ps=eq,
                                  production_ps=prod, write_interval_fs=interval,
                                  ensemble=ensemble)
        sizes = simulate.trajectory_bytes(COUNTS[c], args, force_spread=spread)
        assert tuple(sizes[k] for k in STAGES) == expected, (c, p, spread)


def _charged_box(n_species):
    """A periodic box of 2 x ``n_species`` atoms, each its own molecule: species ``s<i>`` a
    cation and an anion, every species charged."""
    n = 2 * n_species
    side = 4.0 * math.ceil(n ** (1 / 3))
    grid = list(itertools.product(range(math.ceil(n ** (1 / 3))), repeat=3))[:n]
    atoms = Atoms(f"Ar{n}", positions=4.0 * np.array(grid, dtype=float) + 0.5,
                  cell=[side] * 3, pbc=True)
    set_topology(atoms, molecule_index=np.arange(n),
                 species=[f"s{i // 2}" for i in range(n)],
                 formal_charge=[1 if i % 2 else -1 for i in range(n)])
    return atoms


@pytest.fixture(scope="module", params=["npt", "nvt"])
def written(request, tmp_path_factory):
    """(ensemble, charged species, path) of a short run_md of a box of 12 charged species,
    whose charge current (288 B a row) is chunked in 113 rows, not 256."""
    species = 12
    path = tmp_path_factory.mktemp(request.param) / "run.h5md"
    atoms = _charged_box(species)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.01, rc=8.0, smooth=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a run of a few steps: too short to judge
        run_md(atoms, ensemble=request.param, steps=4, timestep_fs=1.0, temperature_K=100.0,
               trajectory=path, write_interval=2, observe_interval=1, progress=False)
    return request.param, species, path


def _value_datasets(group):
    """``{name: value dataset}`` of the time series in ``group``."""
    return {name: group[name]["value"] for name in group if "value" in group[name]}


def test_recorded_shapes_are_what_run_md_stores(written):
    ensemble, species, path = written
    observables, integrator = recorded_shapes(ensemble, species)
    with h5py.File(path) as f:
        stored = {k: d.shape[1:] for k, d in _value_datasets(f["observables"]).items()}
        samples = {k: d.shape[1:]
                   for k, d in _value_datasets(f["parameters/ase_electrolyte/series"]).items()}
    # and the frame spacing MDAnalysis' reader takes its dt from (no recorded observable)
    assert stored == {**observables, FRAME_SPACING: ()}
    assert samples == observables
    assert observables["charge_current"] == (species, 3)
    state = integrator_state(path, -1)
    assert {k: np.shape(v) for k, v in state.items()} == integrator
    assert set(h5md_info(path)["series"]) == set(observables)


def test_public_chunk_rule_is_the_chunks_the_writer_creates(written):
    _, _, path = written
    series = []
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: series.append(name)
                     if isinstance(obj, h5py.Group) and "value" in obj and "step" in obj
                     else None)
        assert len(series) > 20
        for name in series:
            group = f[name]
            value = group["value"]
            if name.startswith("particles/") and name.rsplit("/", 1)[-1] in (
                    "position", "velocity", "force"):
                assert value.chunks[0] == PARTICLE_CHUNK_ROWS, name
            else:
                rows = series_chunk_rows(value.shape[1:], value.dtype.itemsize)
                assert value.chunks[0] == rows, name
            for clock in ("step", "time"):
                assert group[clock].chunks == (series_chunk_rows((), 8),), name
        current = f["parameters/ase_electrolyte/series/charge_current/value"]
        # 32 KiB of 288 B rows
        assert current.chunks[0] == series_chunk_rows((12, 3)) == 113
