"""Nothing modifies what the caller passed in: Atoms, lists of Atoms, Universes and files.

Every public entry point that takes the caller's Atoms (the diagnostics, the molecule helpers,
``from_ase``, ``run_md``/``relax``, the calculators) or a Universe is called on inputs dressed
with everything a caller can see — positions outside the cell, ``info``, extra per-atom arrays,
constraints, momenta, masses, initial charges, a calculator with results — and everything is
compared after the call, also after a call that raises. A Universe must also stay on the frame
the caller left it on (an analysis that reads frame 0 of a trajectory for its set-up, and does
not return, hands the caller the wrong positions), with its topology, coordinates and file.
"""

import copy
import hashlib
import warnings

import numpy as np
import pytest
from ase.build import bulk, molecule
from ase.calculators.lj import LennardJones
from ase.calculators.singlepoint import SinglePointCalculator
from ase.constraints import FixAtoms
from molecular_pair_model import MolecularPairModel

from ase_electrolyte.md import relax, run_md
from ase_electrolyte.topology import set_topology
from mda_electrolyte import IntraInterErrors, RigidVolumeScan, from_ase
from mda_electrolyte.diagnose import diagnose
from mda_electrolyte.intra_inter_errors import check_reference_frames
from mda_electrolyte.model_labels import evaluate_frame, stored_labels
from mda_electrolyte.molecules import atoms_molecule_ids, covalent_bonds, isolated_molecules
from mda_electrolyte.volume_scan import rigid_scaled_atoms

CELL = np.array([[9.0, 0.0, 0.0], [1.0, 8.5, 0.0], [0.5, -0.8, 8.8]])
IDS = np.array([0] * 3 + [1] * 6 + [2] * 3 + [3] * 3)


def _frame(seed=0, *, ids=True, labels=True):
    """Two waters, methanol and CO2 cut by the cell faces, dressed with everything a caller
    can attach; ``labels``: a SinglePointCalculator with the pair model's results."""
    rng = np.random.default_rng(seed)
    fractions = [[0.02, 0.3, 0.3], [0.5, 0.97, 0.6], [0.4, 0.45, 0.02], [0.75, 0.3, 0.65]]
    atoms = None
    for j, name in enumerate(["H2O", "CH3OH", "CO2", "H2O"]):
        m = molecule(name)
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += np.array(fractions[j]) @ CELL - m.get_center_of_mass()
        m.positions += rng.normal(scale=0.03, size=m.positions.shape)
        atoms = m if atoms is None else atoms + m
    atoms.cell, atoms.pbc = CELL, True
    if ids:
        set_topology(atoms, IDS, np.array(["W", "M", "C", "W"])[IDS], np.zeros(len(IDS), int))
    atoms.info["tag"] = {"kept": [1, 2]}
    atoms.arrays["extra"] = np.arange(len(atoms), dtype=float)
    atoms.set_initial_charges(np.linspace(-0.1, 0.1, len(atoms)))
    atoms.set_momenta(rng.normal(size=(len(atoms), 3)) * 0.01)
    atoms.set_masses(atoms.get_masses() * 1.001)
    atoms.set_constraint(FixAtoms([0]))
    if labels:
        probe = atoms.copy()
        probe.set_constraint()
        probe.arrays["molecule_index"] = IDS
        probe.calc = MolecularPairModel()
        atoms.calc = SinglePointCalculator(atoms, energy=probe.get_potential_energy(),
                                           forces=probe.get_forces(), stress=probe.get_stress())
    return atoms


def _snapshot(atoms):
    calc = atoms.calc
    return {
        "positions": atoms.positions.copy(),
        "numbers": atoms.numbers.copy(),
        "cell": atoms.cell.array.copy(),
        "pbc": atoms.pbc.copy(),
        "info": copy.deepcopy(atoms.info),
        "arrays": {k: v.copy() for k, v in atoms.arrays.items()},
        "constraints": [(type(c).__name__, repr(c.todict())) for c in atoms.constraints],
        "calc": calc,
        "results": None if calc is None else copy.deepcopy(calc.results),
        "calc_positions": (None if getattr(calc, "atoms", None) is None
                           else calc.atoms.positions.copy()),
    }


def _assert_unchanged(before, atoms, what="", *, cache=True):
    """``cache=False``: the calculator's results and last positions may have moved on."""
    after = _snapshot(atoms)
    if not cache:
        before = dict(before, results=None, calc_positions=None)
        after.update(results=None, calc_positions=None)
    assert after["calc"] is before["calc"], f"{what}: the calculator was replaced"
    assert after["arrays"].keys() == before["arrays"].keys(), what
    for key, value in before["arrays"].items():
        np.testing.assert_array_equal(after["arrays"][key], value, err_msg=f"{what}: {key}")
        assert after["arrays"][key].dtype == value.dtype, f"{what}: {key}"
    for key in ("positions", "numbers", "cell", "pbc", "calc_positions"):
        np.testing.assert_array_equal(after[key], before[key], err_msg=f"{what}: {key}")
    assert after["info"] == before["info"], what
    assert after["constraints"] == before["constraints"], what
    if before["results"] is not None:
        assert after["results"].keys() == before["results"].keys(), what
        for key, value in before["results"].items():
            np.testing.assert_array_equal(after["results"][key], value,
                                          err_msg=f"{what}: calc.results[{key}]")


def _model():
    return MolecularPairModel(scale=0.9)


def _reference():
    return MolecularPairModel()


# every entry point on Atoms or a list of Atoms; (call, frames given as a list, raises)
ATOMS_CALLS = {
    "from_ase": (lambda a: from_ase(a, dt=0.1), True, None),
    "atoms_molecule_ids": (lambda a: atoms_molecule_ids(a), False, None),
    "covalent_bonds": (lambda a: covalent_bonds(a), False, None),
    "isolated_molecules": (lambda a: list(isolated_molecules(a, IDS)), False, None),
    "isolated_molecules_vacuum": (lambda a: list(isolated_molecules(a, IDS, vacuum=4.0)),
                                  False, None),
    "rigid_scaled_atoms": (lambda a: rigid_scaled_atoms(a, IDS, 1.1), False, None),
    "stored_labels": (lambda a: stored_labels(a), False, None),
    "evaluate_frame": (lambda a: evaluate_frame(_model(), a, ["energy", "forces", "stress"]),
                       False, None),
    "volume_scan": (lambda a: RigidVolumeScan(a, _model(), scales=[1.0, 1.1], keep_frames=True,
                                              reference=_reference()).run(), True, None),
    "volume_scan_refused": (lambda a: RigidVolumeScan(a, _model(), scales=[1.0, 0.3]).run(),
                            True, "closer than"),
    "errors_reference_calculator": (
        lambda a: IntraInterErrors(a, _model(), reference=_reference()).run(), True, None),
    "errors_stored_labels": (lambda a: IntraInterErrors(a, _model()).run(), True, None),
    "errors_labels_as_reference": (
        lambda a: IntraInterErrors([_frame(s, labels=False) for s in range(2)], _model(),
                                   reference=a).run(), True, None),
    "errors_wrong_labels": (
        lambda a: IntraInterErrors([_frame(s + 5, labels=False) for s in range(2)], _model(),
                                   reference=a).run(), True, "belong to other positions"),
}


@pytest.mark.parametrize("ids", [True, False], ids=["topology", "bonds"])
@pytest.mark.parametrize("name", sorted(ATOMS_CALLS))
def test_atoms_given_to_an_entry_point_are_left_as_they_were(name, ids):
    call, as_list, raises = ATOMS_CALLS[name]
    frames = [_frame(s, ids=ids) for s in range(2)] if as_list else [_frame(0, ids=ids)]
    given = frames if as_list else frames[0]
    before = [_snapshot(a) for a in frames]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if raises:
            with pytest.raises(ValueError, match=raises):
                call(given)
        else:
            call(given)
    for k, (snap, atoms) in enumerate(zip(before, frames, strict=True)):
        _assert_unchanged(snap, atoms, f"{name}, frame {k}")


@pytest.mark.parametrize("reference", ["calculator", "stored", "refused"])
def test_diagnose_leaves_frames_and_their_labels_as_they_were(reference, tmp_path):
    frames = [_frame(s) for s in range(2)]
    before = [_snapshot(a) for a in frames]
    kwargs = dict(reference=_reference() if reference == "calculator" else None,
                  scales=[1.0, 0.3] if reference == "refused" else [1.0, 1.1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if reference == "refused":
            with pytest.raises(ValueError, match="closer than"):
                diagnose(frames, _model(), tmp_path, **kwargs)
        else:
            summary = diagnose(frames, _model(), tmp_path, **kwargs)
            assert summary["intra_inter_errors"]["rmse"]["total"]["energy"]["value"] > 0
    for k, (snap, atoms) in enumerate(zip(before, frames, strict=True)):
        _assert_unchanged(snap, atoms, f"diagnose, frame {k}")


# ------------------------------------------------------------------------- Universes
def _universe(n_frames=3):
    frames = [_frame(s) for s in range(n_frames)]
    for atoms in frames:
        atoms.set_constraint()
    return from_ase(frames, dt=0.1)


def _universe_snapshot(u):
    ts = u.trajectory.ts
    out = {
        "frame": ts.frame,
        "n_frames": u.trajectory.n_frames,
        "positions": u.atoms.positions.copy(),
        "velocities": u.atoms.velocities.copy(),
        "forces": u.atoms.forces.copy(),
        "dimensions": ts.dimensions.copy(),
        "all_positions": u.trajectory.coordinate_array.copy(),
        "resindices": u.atoms.resindices.copy(),
        "segindices": u.atoms.segindices.copy(),
        "bonds": sorted(tuple(map(int, b)) for b in u.bonds.indices),
    }
    for attr in u._topology.attrs:
        values = getattr(attr, "values", None)
        if values is not None and attr.attrname != "bonds":
            out["topology " + attr.attrname] = np.array(values, copy=True)
    return out


def _assert_universe_unchanged(before, u, what):
    after = _universe_snapshot(u)
    assert after["frame"] == before["frame"], f"{what}: left the Universe on another frame"
    assert after.keys() == before.keys(), what
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value, err_msg=f"{what}: {key}")
        else:
            assert after[key] == value, f"{what}: {key}"


UNIVERSE_CALLS = {
    "volume_scan": (lambda u: RigidVolumeScan(u, _model(), scales=[1.0, 1.1]).run(), None),
    "volume_scan_atomgroup": (
        lambda u: RigidVolumeScan(u.residues[:2].atoms, _model(), scales=[1.0, 1.1]).run(),
        None),
    "volume_scan_check": (
        lambda u: RigidVolumeScan(u, _model(), scales=[1.0, 0.3]).check_frames(),
        "closer than"),
    "errors": (lambda u: IntraInterErrors(u, _model(), reference=_reference()).run(), None),
    "errors_categories": (
        lambda u: IntraInterErrors(u, _model(), reference=_reference(),
                                   atom_types="categories").run(), None),
    "errors_trajectory_forces_set_up": (
        lambda u: IntraInterErrors(u, _model(), reference="trajectory"), None),
    "errors_unique_molecules": (
        lambda u: IntraInterErrors(u, _model(), reference=_reference())
        .unique_isolated_molecules(), None),
    "check_reference_frames": (
        lambda u: check_reference_frames(u, [_frame(s + 5) for s in range(3)]),
        "belong to other positions"),
    "diagnose": (lambda u: diagnose(u, _model(), _OUT[0], reference=_reference(),
                                    scales=[1.0, 1.1], max_error_frames=2), None),
    "diagnose_trajectory_forces": (
        lambda u: diagnose(u, _model(), _OUT[0], scales=[1.0, 1.1], max_scan_frames=1), None),
    "diagnose_refused": (lambda u: diagnose(u, _model(), _OUT[0], scales=[1.0, 0.3]),
                         "closer than"),
}
_OUT = [None]


@pytest.mark.parametrize("name", sorted(UNIVERSE_CALLS))
def test_a_universe_keeps_its_frame_coordinates_and_topology(name, tmp_path):
    """The caller's Universe on frame 1 stays on frame 1 (not the 0 a set-up read last)."""
    call, raises = UNIVERSE_CALLS[name]
    _OUT[0] = tmp_path
    u = _universe()
    u.trajectory[1]
    before = _universe_snapshot(u)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if raises:
            with pytest.raises(ValueError, match=raises):
                call(u)
        else:
            call(u)
    _assert_universe_unchanged(before, u, name)


# ------------------------------------------------------------------------- MD and files
def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=1)
    atoms.info["tag"] = {"kept": [1, 2]}
    atoms.arrays["extra"] = np.arange(len(atoms), dtype=float)
    atoms.set_initial_charges(np.zeros(len(atoms)))
    atoms.set_momenta(np.random.default_rng(0).normal(size=(len(atoms), 3)) * 0.05)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


def _water_box():
    atoms = None
    for f in ([0.25, 0.25, 0.25], [0.75, 0.75, 0.25], [0.25, 0.75, 0.75], [0.75, 0.25, 0.75]):
        m = molecule("H2O")
        m.positions += np.array(f) * 8.0 - m.get_center_of_mass()
        atoms = m if atoms is None else atoms + m
    atoms.cell, atoms.pbc = [8.0] * 3, True
    ids = np.repeat(np.arange(4), 3)
    set_topology(atoms, ids, np.array(["H2O"] * 12), np.zeros(12, dtype=int))
    atoms.info["tag"] = {"kept": [1]}
    atoms.set_momenta(np.random.default_rng(0).normal(size=(12, 3)) * 1e-3)
    atoms.calc = MolecularPairModel(k=0.5)
    return atoms


_MD = dict(steps=3, timestep_fs=0.5, temperature_K=80, progress=False)


@pytest.mark.parametrize("how", ["nve", "nvt", "npt", "nvt_heavy_hydrogen", "relax",
                                 "relax_refused", "md_refused"])
def test_md_and_relax_leave_the_callers_atoms_and_calculator_answers_for_them(how, tmp_path):
    """The Atoms are unchanged (masses with heavy hydrogen too); the shared calculator may
    cache the last state, but asked about the caller's Atoms it answers for them."""
    atoms = _water_box() if "hydrogen" in how else _argon()
    fresh = atoms.copy()
    fresh.calc = copy.deepcopy(atoms.calc)
    expected = fresh.get_potential_energy()
    atoms.get_potential_energy()
    before = _snapshot(atoms)
    masses = atoms.get_masses().copy()
    traj = tmp_path / "run.h5md"
    if how == "relax":
        out = relax(atoms, fmax=0.01, steps=3, trajectory=traj)
    elif how == "relax_refused":
        with pytest.raises(ValueError, match="fmax"):
            relax(atoms, fmax=-1.0, steps=3)
    elif how == "md_refused":
        with pytest.raises(ValueError, match="timestep_fs"):
            run_md(atoms, ensemble="nvt", **dict(_MD, timestep_fs=-1.0))
    else:
        ensemble = how.split("_")[0]
        out = run_md(atoms, ensemble=ensemble, trajectory=traj,
                     hydrogen_mass=3.0 if "hydrogen" in how else None, **_MD)
    if "refused" not in how:
        assert out is not atoms
        assert not np.array_equal(out.positions, atoms.positions)
    _assert_unchanged(before, atoms, how, cache=False)
    np.testing.assert_array_equal(atoms.get_masses(), masses)
    assert atoms.get_potential_energy() == pytest.approx(expected, rel=1e-12, abs=1e-12)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_diagnose_reads_an_h5md_path_and_leaves_the_file_as_it_was(tmp_path):
    """diagnose(path) read H5MD files with ase.io and refused run_md's own output."""
    atoms = _water_box()
    run_md(atoms, ensemble="nvt", steps=4, timestep_fs=0.5, temperature_K=100, progress=False,
           trajectory=tmp_path / "w.h5md", write_interval=2)
    digest = _sha(tmp_path / "w.h5md")
    model = MolecularPairModel(k=0.4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_path = diagnose(tmp_path / "w.h5md", model, tmp_path / "a",
                             reference=MolecularPairModel(k=0.5), scales=[1.0, 1.1])
        u = from_ase(tmp_path / "w.h5md")
        from_universe = diagnose(u, model, tmp_path / "b",
                                 reference=MolecularPairModel(k=0.5), scales=[1.0, 1.1])
    assert _sha(tmp_path / "w.h5md") == digest
    a = from_path["intra_inter_errors"]["rmse"]["total"]["forces"]
    b = from_universe["intra_inter_errors"]["rmse"]["total"]["forces"]
    assert a["value"] == pytest.approx(b["value"], rel=1e-12) and a["value"] > 0
