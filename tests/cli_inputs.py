"""The inputs of the CLI and report tests, defined once: each subcommand's arguments, a
four-atom and a two-atom Universe, a few water frames, a registry of analyses emptied for a
test's own, and a short run_md trajectory of a packed box whose molecules fly freely (no forces:
a cheap, stable MD)."""

import warnings

import MDAnalysis as mda
import numpy as np
from ase.calculators.calculator import Calculator, all_changes

#: Arguments each subcommand parses with, for tests that replace its ``run`` (nothing of them
#: is read): every subcommand of the ``electrolyte`` command.
SUBCOMMAND_ARGV = {
    "simulate": ["--model", "sevennet-0", "-o", "run"],
    "analyze": ["traj.h5md"],
    "diagnose": ["traj.h5md", "--model", "sevennet-0"],
    "demo": [],
    "screen": ["plan.toml"],
    "finetune": ["train.extxyz", "--epochs", "1"],
    "select": ["candidates.extxyz", "-n", "2", "--model", "model.pth"],
}


def four_atoms():
    """A Universe of four atoms at (0, 1, 2), (3, 4, 5) ... Å in a 10 Å cube, one frame."""
    u = mda.Universe.empty(4, trajectory=True)
    u.atoms.positions = np.arange(12, dtype=float).reshape(4, 3)
    u.dimensions = [10, 10, 10, 90, 90, 90]
    return u


def two_atoms(separation=None, box=None):
    """A Universe of two atoms, one frame: at the origin, the second ``separation`` Å along x
    (both at the origin without it), in a ``box`` Å cube (none without it)."""
    u = mda.Universe.empty(2, trajectory=True)
    if separation is not None:
        u.atoms.positions = np.array([[0.0, 0, 0], [separation, 0, 0]])
    if box is not None:
        u.dimensions = [box, box, box, 90, 90, 90]
    return u


def water_frames(path, n_frames=3):
    """``n_frames`` frames of one water molecule in a periodic 8 Å cube, 0.01 ps apart, each
    shifted by 0.05 Å, written to ``path`` (extxyz); returns ``path``."""
    import ase.io
    from ase.build import molecule

    frames = []
    for k in range(n_frames):
        box = molecule("H2O", cell=[8.0, 8.0, 8.0], pbc=True)
        box.positions += 0.05 * k + 2.0
        box.info["time_ps"] = 0.01 * k
        frames.append(box)
    ase.io.write(path, frames)
    return path


def labelled_water_frames(path, n_frames=3):
    """``n_frames`` rattled frames of one whole water molecule in a periodic 8 Å cube, each with
    reference forces (eV/Å), written to ``path`` (extxyz); returns ``path``. Frames a model
    analysis takes (a periodic crystal is one molecule that cannot be made whole, which
    ``analyze`` refuses before the model)."""
    import ase.io
    import numpy as np
    from ase.build import molecule
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = []
    for seed in range(n_frames):
        frame = molecule("H2O", cell=[8.0, 8.0, 8.0], pbc=True)
        frame.positions += 2.0
        frame.rattle(0.05, seed=seed)
        frame.calc = SinglePointCalculator(frame, forces=np.full((3, 3), 0.1 * (seed + 1)))
        frames.append(frame)
    ase.io.write(path, frames)
    return path


def empty_registry(monkeypatch):
    """No registered analysis (and no module that registers any) until the test ends."""
    from mda_electrolyte import report

    # the analysis modules are imported first: one imported while the registry is swapped
    # (the CLI's advice marking imports them) registers into the test's registry and, never
    # imported again, leaves the real one without its analyses for every later test
    report.registered_analyses()
    monkeypatch.setattr(report, "_REGISTRY", {})
    monkeypatch.setattr(report, "_ANALYSIS_MODULES", [])


class FreeMolecules(Calculator):
    """No forces and no stress: molecules fly freely."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.results = {"energy": 0.0, "free_energy": 0.0,
                        "forces": np.zeros((len(atoms), 3)), "stress": np.zeros(6)}


def free_run(path, counts, *, steps, timestep_fs, write_interval, observe_interval=None,
             hydrogen_mass=None):
    """An NVT run_md H5MD file at ``path`` of the box ``counts`` packed at seed 0 (300 K, no
    forces); returns ``path``. Needs RDKit (the caller skips without it)."""
    from ase_electrolyte.build import electrolyte_box
    from ase_electrolyte.md import run_md

    atoms = electrolyte_box(counts=counts, seed=0)
    atoms.calc = FreeMolecules()
    options = {} if hydrogen_mass is None else {"hydrogen_mass": hydrogen_mass}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(atoms, ensemble="nvt", steps=steps, timestep_fs=timestep_fs, temperature_K=300,
               trajectory=path, write_interval=write_interval,
               observe_interval=observe_interval, progress=False, **options)
    return path
