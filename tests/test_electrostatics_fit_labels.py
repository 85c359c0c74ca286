"""fit_qrd checks every frame's reference labels (finite numbers of the right shape, in a dict)
and that the weights let some of them into the fit, before any model call, naming the frame;
a full 3x3 stress is the Voigt one."""

import numpy as np
import pytest
from ase.stress import full_3x3_to_voigt_6_stress, voigt_6_to_full_3x3_stress
from test_electrostatics_fit_inputs import NeverCalled, frames_and_labels

from ase_electrolyte import fit_qrd

pytest.importorskip("torchpme")


def edited(labels, frame, **changes):
    out = [dict(label) for label in labels]
    out[frame].update(changes)
    return out


def bad_labels(labels):
    forces = labels[1]["forces"]
    return {
        # before: AttributeError "'float' object has no attribute 'get'"
        "a number for a dict": ([1.0] + labels[1:], r"reference entry 0 must be a dict"),
        "None for a dict": (labels[:2] + [None], r"reference entry 2 must be a dict"),
        # before: scipy's "Initial guess is outside of provided bounds", after every model call
        "NaN energy": (edited(labels, 1, energy=np.nan), r"frame 1: reference energy.*finite"),
        # before: scipy's "Residuals are not finite in the initial point"
        "infinite forces": (edited(labels, 2, forces=np.full_like(labels[2]["forces"], np.inf)),
                            r"frame 2: reference forces.*finite"),
        "NaN stress": (edited(labels, 0, stress=np.full(6, np.nan)),
                       r"frame 0: reference stress.*finite"),
        # before: "the optimiser ended in non-finite values" (squares overflowed)
        "huge energy": (edited(labels, 0, energy=1e200), r"frame 0: reference energy.*1e\+12"),
        # before: numpy's "cannot reshape array of size 5 into shape (6,)"
        "stress of 5": (edited(labels, 1, stress=np.zeros(5)),
                        r"frame 1: reference stress .*shape \(6,\) or \(3, 3\)"),
        # before: "only 0-dimensional arrays can be converted to Python scalars"
        "two energies": (edited(labels, 0, energy=[1.0, 2.0]),
                         r"frame 0: reference energy .*shape \(\)"),
        # before: "could not convert string to float: 'abc'"
        "text energy": (edited(labels, 0, energy="abc"), r"frame 0: reference energy.*'abc'"),
        "flat forces": (edited(labels, 1, forces=forces.ravel()),
                        rf"frame 1: reference forces .*shape \({len(forces)}, 3\).*got shape "
                        rf"\({forces.size},\)"),
        "forces of another frame": (edited(labels, 0, forces=forces),
                                    r"frame 0: reference forces"),
    }


CASES = sorted(bad_labels(frames_and_labels()[1]))


@pytest.mark.parametrize("case", CASES)
def test_bad_labels_are_refused_by_frame_before_any_model_call(case):
    frames, labels = frames_and_labels()
    reference, match = bad_labels(labels)[case]
    with pytest.raises(ValueError, match=match):
        fit_qrd(frames, NeverCalled(), reference, tolerance=1e-6, background=True)


def test_a_full_stress_and_a_one_element_energy_are_the_voigt_stress_and_the_energy():
    frames, labels = frames_and_labels()
    rng = np.random.default_rng(4)
    for label in labels:  # a stress label to fit, symmetric
        label["stress"] = full_3x3_to_voigt_6_stress(
            (lambda m: (m + m.T) / 2)(rng.normal(0.0, 1e-3, (3, 3))))
    other = [{"energy": np.array([label["energy"]]), "forces": label["forces"],
              "stress": voigt_6_to_full_3x3_stress(label["stress"])} for label in labels]
    options = {"regularization": 0.0, "tolerance": 1e-6, "background": True}
    voigt = fit_qrd(frames, None, labels, **options)
    full = fit_qrd(frames, None, other, **options)
    assert full.qrd == voigt.qrd
    assert full.errors_after == voigt.errors_after and voigt.errors_after["stress"] > 0


@pytest.mark.parametrize("keep,weights", [
    # before: the regulariser alone was fitted and reported as a success, every error inf
    # and blamed on the composition
    (("energy",), (0.0, 0.1, 10.0)),
    (("forces",), (1.0, 0.0, 10.0)),
    (("energy", "forces"), (0.0, 0.0, 10.0)),
])
def test_weights_that_leave_out_every_label_carried_are_refused_before_any_model_call(
        keep, weights):
    frames, labels = frames_and_labels()
    reference = [{key: label[key] for key in keep} for label in labels]
    with pytest.raises(ValueError, match=r"weights give 0 to every label the frames carry \("
                                         + ", ".join(keep)):
        fit_qrd(frames, NeverCalled(), reference, weights=weights, tolerance=1e-6,
                background=True)
    # a stress label of a frame that is not periodic does not count
    molecule = frames[0].copy()
    molecule.pbc = False
    molecule.info["charge"] = 0.0
    with pytest.raises(ValueError, match=r"weights give 0 to every label"):
        fit_qrd([molecule], NeverCalled(), [{"energy": -1.0, "stress": np.zeros(6)}],
                weights=(0.0, 1.0, 1.0), tolerance=1e-6)
