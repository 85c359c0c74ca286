"""Reference labels whose values alone show a fault are refused before any model evaluation.

Before, labels in another unit were found (and only marked) after the model had been evaluated
on every frame; these faults need no model to be seen:

- forces that do not sum to about zero (an external field, atoms cut from a larger system);
- stresses no liquid has (GPa or kbar stored as eV/Å³);
- the trajectory's forces of the whole system compared with a model evaluated on a part of it
  (no net-force check sees it: the pull of the left-out atoms mostly cancels);
- stored isolated-molecule energies that do not belong with the frames' energies (per atom, in
  another unit), and isolated-molecule labels that a frame lacks (found after the model had
  run on every earlier frame).
"""

import json
import sys
import warnings
from pathlib import Path

import MDAnalysis as mda
import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from MDAnalysis.coordinates.memory import MemoryReader

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.diagnose import diagnose  # noqa: E402
from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    MAX_LABEL_STRESS,
    IntraInterErrors,
    check_reference_frames,
)


class Counting(MolecularPairModel):
    """The test model, counting its evaluations."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        super().calculate(*args, **kwargs)


def _labelled(frames, energy=lambda e, a: e, forces=lambda f, a: f, stress=lambda s, a: s):
    ref = MolecularPairModel(sigma=2.4)
    out = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = ref
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(
            lab, energy=energy(probe.get_potential_energy(), atoms),
            forces=forces(probe.get_forces(), atoms), stress=stress(probe.get_stress(), atoms))
        out.append(lab)
    return out


FRAMES = [_frame(seed=s) for s in range(6)]


@pytest.mark.parametrize("case, change, message", [
    # the test model's forces are stiff (RMS 45 eV/Å): a field of a fifth of them
    ("a field on every atom", {"forces": lambda f, a: f + [0.0, 0.0, 9.0]},
     "reference frame 0: its forces sum to"),
    # a liquid near 1 bar, +-0.3 GPa, in kbar: 3 "eV/Å³"
    ("stress in kbar", {"stress": lambda s, a: 1602.1766 * 0.002 * np.sign(s)},
     "no liquid is under such a stress .* GPa, kbar or bar"),
    ("stress in bar", {"stress": lambda s, a: 1.6021766e6 * 0.002 * np.sign(s)},
     "no liquid is under such a stress"),
])
def test_labels_another_unit_shows_alone_are_refused_before_the_model_runs(case, change,
                                                                          message):
    labels = _labelled(FRAMES, **change)
    model = Counting()
    with pytest.raises(ValueError, match=message):
        IntraInterErrors(FRAMES, model, reference=labels).run()
    assert model.calls == 0, case
    # the check electrolyte diagnose runs before loading the model says the same
    with pytest.raises(ValueError, match=message):
        check_reference_frames(FRAMES, labels)


def test_labels_of_a_liquid_in_ase_units_pass_and_their_errors_are_the_models():
    # a liquid under 1 GPa (0.006 eV/Å³) and DFT's few meV/Å of drift are no unit fault
    labels = _labelled(FRAMES, forces=lambda f, a: f + 0.003,
                       stress=lambda s, a: s + 0.006 * np.array([1, 1, 1, 0, 0, 0]))
    check_reference_frames(FRAMES, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stored labels without reference_isolated
        r = IntraInterErrors(FRAMES, MolecularPairModel(), reference=labels).run().results
    assert np.isfinite(r.rmse["total"]["stress"].value)
    assert MAX_LABEL_STRESS * 160.21766 == pytest.approx(160.2, rel=0.01)


def _universe_with_forces(frames, forces):
    ids = frames[0].arrays["molecule_index"]
    u = mda.Universe.empty(len(frames[0]), n_residues=int(ids.max()) + 1, atom_resindex=ids,
                           trajectory=True)
    u.add_TopologyAttr("elements", frames[0].get_chemical_symbols())
    u.add_TopologyAttr("masses", frames[0].get_masses())
    u.load_new(np.array([a.positions for a in frames]), format=MemoryReader,
               dimensions=np.array([a.cell.cellpar() for a in frames]),
               forces=np.array(forces))
    return u


def test_trajectory_forces_of_the_whole_system_against_a_part_are_refused():
    from ase.calculators.lj import LennardJones

    from ase_electrolyte.trajectory import FORCE_TO_KJ_PER_MOL_ANGSTROM

    # a model that needs no molecule index, which Atoms made from a Universe do not carry
    ref = LennardJones(sigma=1.5, epsilon=0.01, rc=5.0, smooth=True)
    forces = []
    for atoms in FRAMES:
        probe = atoms.copy()
        probe.calc = ref
        forces.append(probe.get_forces() * FORCE_TO_KJ_PER_MOL_ANGSTROM)
    u = _universe_with_forces(FRAMES, forces)
    part = u.atoms[u.atoms.resindices != 1]
    # the part's forces in the whole system do not sum to zero, yet too little to be seen
    net = np.linalg.norm(forces[0][part.ix].sum(0)) / FORCE_TO_KJ_PER_MOL_ANGSTROM / part.n_atoms
    assert net < 0.1
    model = Counting()
    with pytest.raises(ValueError, match="AtomGroup of 9 of the Universe's 15 atoms"):
        IntraInterErrors(part, model, reference="trajectory")
    assert model.calls == 0
    # the whole Universe is compared as before, and exactly: the labels are the reference's
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = IntraInterErrors(u, ref, reference="trajectory", quantities=("forces",),
                             keep_arrays=True).run()
    # the trajectory stores single-precision forces in kJ/(mol·Å)
    rms = np.sqrt(np.mean(r.results.forces["reference"]["total"] ** 2))
    assert r.results.rmse["total"]["forces"].value < 1e-5 * rms


def _isolated_labels(frames, per_atom=False, drop_last=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = IntraInterErrors(frames, MolecularPairModel(), reference=_labelled(frames))
    ref = MolecularPairModel(sigma=2.4)
    molecules = probe.unique_isolated_molecules()
    if drop_last:
        molecules = [m for m in molecules if m.info["frame"] != len(frames) - 1]
    out = []
    for mol in molecules:
        m = mol.copy()
        m.calc = ref
        e = m.get_potential_energy() / (len(m) if per_atom else 1)
        m.calc = SinglePointCalculator(m, energy=e, forces=m.get_forces())
        out.append(m)
    return out


@pytest.mark.parametrize("backend", [None, "multiprocessing"])
def test_isolated_labels_missing_for_a_frame_are_named_before_the_model_runs(backend):
    labels = _labelled(FRAMES)
    isolated = _isolated_labels(FRAMES, drop_last=True)
    model = Counting()
    run = {} if backend is None else {"backend": backend, "n_workers": 2}
    with pytest.raises(ValueError, match="frame 5: no stored reference label for the isolated"):
        IntraInterErrors(FRAMES, model, reference=labels, reference_isolated=isolated).run(**run)
    assert model.calls == 0


def test_isolated_energies_per_atom_are_refused_and_the_right_ones_give_the_calculators_split():
    labels = _labelled(FRAMES)
    model = Counting()
    with pytest.raises(ValueError, match="intermolecular energy is .* eV/atom .* do not belong"):
        IntraInterErrors(FRAMES, model, reference=labels,
                         reference_isolated=_isolated_labels(FRAMES, per_atom=True)).run()
    assert model.calls == 0
    stored = IntraInterErrors(FRAMES, MolecularPairModel(), reference=labels,
                              reference_isolated=_isolated_labels(FRAMES)).run().results
    direct = IntraInterErrors(FRAMES, MolecularPairModel(),
                              reference=MolecularPairModel(sigma=2.4)).run().results
    for c in ("intra", "inter"):
        assert stored.rmse[c]["energy"].value == pytest.approx(direct.rmse[c]["energy"].value,
                                                               rel=1e-6)


def test_diagnose_refuses_such_labels_before_loading_the_model(tmp_path):
    labels = _labelled(FRAMES, stress=lambda s, a: 1602.1766 * 0.002 * np.sign(s))
    out = tmp_path / "d"
    out.mkdir()
    (out / "diagnose.json").write_text('{"earlier": 1}')
    with pytest.raises(ValueError, match="no liquid is under such a stress"):
        diagnose(FRAMES, lambda: pytest.fail("the model was loaded"), out, reference=labels,
                 scales=[1.0, 1.1])
    assert json.loads((out / "diagnose.json").read_text()) == {"earlier": 1}


@pytest.mark.parametrize("tol", [float("nan"), -1e-4, 0.05, 1.0, True])
def test_a_tolerance_that_would_match_another_frames_molecule_is_refused(tol):
    from mda_electrolyte.model_labels import StoredMoleculeLabels

    # frame 1's molecules are frame 0's jittered by 0.03 Å: a tolerance of 0.05 Å took the
    # label of frame 0's molecule for frame 1's
    with pytest.raises(ValueError, match="tol \\(Å\\) must be a finite number >= 0 and <= 0.01"):
        StoredMoleculeLabels(_isolated_labels(FRAMES[:1]), tol=tol)
    stored = StoredMoleculeLabels(_isolated_labels(FRAMES[:1]), tol=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = IntraInterErrors(FRAMES[:2], MolecularPairModel(), reference=MolecularPairModel())
    first, second = (probe.unique_isolated_molecules(start=k, stop=k + 1) for k in (0, 1))
    assert len(stored.evaluate(first)[0]) == 4
    with pytest.raises(ValueError, match="no stored reference label for the isolated"):
        stored.evaluate(second)


@pytest.mark.parametrize("selection", [{"start": 6}, {"start": 2, "stop": 2}, {"stop": -7}])
def test_isolated_molecules_of_no_frame_are_refused(selection):
    # an empty list was returned, nothing labelled, and the run then found no stored label
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = IntraInterErrors(FRAMES, MolecularPairModel(), reference=MolecularPairModel())
    with pytest.raises(ValueError, match="select none of the trajectory's 6 frames"):
        probe.unique_isolated_molecules(**selection)
    # one frame: its four molecules
    assert len(probe.unique_isolated_molecules(start=5)) == 4
