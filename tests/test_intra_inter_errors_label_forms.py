"""Labels in the other forms data sets store them, and frames whose molecules change bonding.

- per-atom energies alone (``energies``), whose sum is the frame's energy, and a virial
  (``info["virial"]`` in eV, GAP's extxyz, ``σ = −W/V``) instead of a stress were left out: the
  energy or stress comparison dropped without a word;
- a proton moved to another molecule in a later frame was 'the molecule assignment joins
  separate molecules' (periodic frames) or, in clusters without a cell, evaluated with the
  proton on its old molecule; now the atom and the molecule it joined are named, before any
  model evaluation (the volume scan too).
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.lj import LennardJones
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write

sys.path.insert(0, str(Path(__file__).parent))
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.model_labels import stored_labels  # noqa: E402
from mda_electrolyte.molecules import make_whole  # noqa: E402
from mda_electrolyte.volume_scan import RigidVolumeScan  # noqa: E402

FRAMES = [_frame(seed=s) for s in range(6)]
REF = LennardJones(sigma=1.5, epsilon=0.01, rc=5.0, smooth=True)


class Counting(LennardJones):
    def __init__(self, **kw):
        super().__init__(sigma=1.5, epsilon=0.012, rc=5.0, smooth=True, **kw)
        self.calls = 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        super().calculate(*args, **kwargs)


def _labels(frames, form="plain"):
    out = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = REF
        energy, forces = probe.get_potential_energy(), probe.get_forces()
        lab = atoms.copy()
        if form == "plain":
            stress = {"stress": probe.get_stress()} if atoms.pbc.all() else {}
            lab.calc = SinglePointCalculator(lab, energy=energy, forces=forces, **stress)
        else:
            lab.calc = None
            lab.arrays["forces"] = forces
            if form == "energies":
                lab.arrays["energies"] = probe.get_potential_energies()
                lab.info["stress"] = probe.get_stress()
            else:
                lab.info["energy"] = energy
                lab.info["virial"] = -probe.get_stress(voigt=False) * atoms.get_volume()
        out.append(lab)
    return out


def _run(labels, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stored labels without reference_isolated
        return IntraInterErrors(FRAMES, Counting(), reference=labels, **kw).run()


@pytest.mark.parametrize("form, quantity", [("energies", "energy"), ("virial", "stress")])
def test_per_atom_energies_and_a_virial_give_the_same_errors_as_the_totals(form, quantity,
                                                                           tmp_path):
    plain = _run(_labels(FRAMES))
    other = _labels(FRAMES, form)
    assert stored_labels(other[0])[quantity] == pytest.approx(
        stored_labels(_labels(FRAMES)[0])[quantity], rel=1e-12, abs=1e-15)
    got = _run(other)
    assert got.quantities == plain.quantities == ("energy", "forces", "stress")
    for c in ("total",):
        a, b = got.results.rmse[c][quantity], plain.results.rmse[c][quantity]
        assert a.value == pytest.approx(b.value, rel=1e-9)
        assert a.verdict == b.verdict
    # through an extxyz file as GAP writes it (the virial in the comment line)
    path = tmp_path / "labels.extxyz"
    write(path, other, format="extxyz")
    back = read(path, ":")
    assert stored_labels(back[1])[quantity] == pytest.approx(
        stored_labels(other[1])[quantity], rel=1e-6, abs=1e-12)
    assert _run(str(path)).results.rmse["total"][quantity].value == pytest.approx(
        plain.results.rmse["total"][quantity].value, rel=1e-5)


def test_a_stress_and_a_virial_that_disagree_are_refused_before_the_model_runs():
    labels = _labels(FRAMES)
    for lab in labels:
        # the virial of the other sign beside the stress
        lab.info["virial"] = lab.get_stress(voigt=False) * lab.get_volume()
    model = Counting()
    with pytest.raises(ValueError, match="reference frame 0: the stored reference stress and "
                                         "virial of a .* frame disagree"):
        IntraInterErrors(FRAMES, model, reference=labels)
    assert model.calls == 0
    # one that agrees is no fault
    for lab in labels:
        lab.info["virial"] = -lab.get_stress(voigt=False) * lab.get_volume()
    _run(labels)


def test_a_virial_without_a_cell_or_per_atom_energies_of_another_count_are_refused():
    lab = _labels(FRAMES[:1], "virial")[0]
    lab.pbc = False
    with pytest.raises(ValueError, match="virial needs a periodic cell"):
        stored_labels(lab)
    lab = _labels(FRAMES[:1], "energies")[0]
    lab.arrays["energies"] = lab.arrays["energies"][:, None] * [1.0, 1.0]
    with pytest.raises(ValueError, match=r"per-atom energies of a .* frame "
                                         r"\(arrays\['energies'\]\) have shape"):
        stored_labels(lab)


def _proton_moved(frames, k, periodic=True):
    out = [a.copy() for a in frames]
    if not periodic:
        for a, f in zip(out, frames, strict=True):
            a.positions = make_whole(f.positions, f.arrays["molecule_index"], f.cell.array)
            a.pbc, a.cell = False, None
    atoms = out[k]
    oxygen = [i for i in np.flatnonzero(atoms.numbers == 8)
              if atoms.arrays["molecule_index"][i] == 3][0]
    # atom 1, a hydrogen of water 0, moved onto the oxygen of water 3
    atoms.positions[1] = atoms.positions[oxygen] + [0.0, 0.0, 1.0]
    return out


PROTON = "atom 1 \\(H\\) of molecule 0 is bonded to molecule 3 in this frame.*proton transfer"


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("index", ["molecule_index", "bonded fragments"])
def test_a_proton_transfer_is_named_before_the_model_runs(periodic, index):
    frames = _proton_moved(FRAMES, 3, periodic)
    if index != "molecule_index":
        for a in frames:
            del a.arrays["molecule_index"]
    model = Counting()
    with pytest.raises(ValueError, match=f"IntraInterErrors: frame 3: .*{PROTON}"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            IntraInterErrors(frames, model, reference=_labels(frames)).run()
    assert model.calls == 0
    # the frames before it are analysed
    _run_frames = frames[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = IntraInterErrors(_run_frames, Counting(), reference=_labels(_run_frames)).run()
    assert np.isfinite(r.results.rmse["total"]["forces"].value)


def test_a_dissociated_molecule_is_named():
    frames = [a.copy() for a in FRAMES]
    for a, f in zip(frames, FRAMES, strict=True):
        a.positions = make_whole(f.positions, f.arrays["molecule_index"], f.cell.array)
        a.pbc, a.cell = False, None
    frames[2].positions[1] += [0.0, 0.0, 6.0]  # a hydrogen of water 0, far from every atom
    with pytest.raises(ValueError, match="frame 2: atom 1 \\(H\\) of molecule 0 is bonded to "
                                         "no other atom of it .* dissociated"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            IntraInterErrors(frames, Counting(), reference=_labels(frames)).run()


def test_a_volume_scan_names_a_proton_transfer_before_the_model_runs():
    frames = _proton_moved(FRAMES, 2)
    model = Counting()
    with pytest.raises(ValueError, match=f"RigidVolumeScan: frame 2: .*{PROTON}"):
        RigidVolumeScan(frames, model, scales=[1.0, 1.1]).run()
    assert model.calls == 0
