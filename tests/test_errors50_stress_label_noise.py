"""A stored 3×3 stress (or virial) with the numerical asymmetry of a computed stress is read.

Tensors whose off-diagonal pairs differed by more than 1e-6 relative were refused as "not
symmetric: not a stress"; CP2K's printed stress tensors differ by ~1e-4 of their largest
component. Up to 1e-3 the tensor is now averaged (as ``ase.stress.full_3x3_to_voigt_6_stress``
and ASE's extxyz reader average it); beyond, it is refused with the size of its asymmetry.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.stress import full_3x3_to_voigt_6_stress, voigt_6_to_full_3x3_stress

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.model_labels import stored_labels  # noqa: E402

REFERENCE = MolecularPairModel(sigma=2.4)
FRAMES = [_frame(seed=s) for s in range(5)]


def _labels(asymmetry, name="stress", form=(3, 3)):
    out = []
    rng = np.random.default_rng(1)
    for atoms in FRAMES:
        probe = atoms.copy()
        probe.calc = REFERENCE
        tensor = voigt_6_to_full_3x3_stress(probe.get_stress())
        noise = rng.normal(size=(3, 3))
        noise = noise - noise.T  # antisymmetric
        tensor = tensor + asymmetry * np.abs(tensor).max() * noise / np.abs(noise).max() / 2
        lab = atoms.copy()
        lab.info["energy"] = probe.get_potential_energy()
        lab.arrays["forces"] = probe.get_forces()
        if name == "virial":
            lab.info["virial"] = (-tensor * atoms.get_volume()).reshape(form)
        else:
            lab.info["stress"] = tensor.reshape(form)
        out.append(lab)
    return out


@pytest.mark.parametrize("name", ["stress", "virial"])
@pytest.mark.parametrize("form", [(3, 3), (9,)])
@pytest.mark.parametrize("asymmetry", [1e-5, 1e-4, 9e-4])
def test_noise_of_a_computed_stress_is_averaged(asymmetry, form, name):
    for lab in _labels(asymmetry, name, form):
        got = stored_labels(lab)["stress"]
        key = "stress" if name == "stress" else "virial"
        tensor = np.reshape(lab.info[key], (3, 3))
        if name == "virial":
            tensor = -tensor / lab.get_volume()
        # as ASE turns a 3×3 stress into Voigt order: the off-diagonal pairs averaged
        np.testing.assert_allclose(got, full_3x3_to_voigt_6_stress(tensor), rtol=1e-12,
                                   atol=1e-15)


def test_the_errors_are_those_of_the_averaged_tensor():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        noisy = IntraInterErrors(FRAMES, MolecularPairModel(), reference=_labels(1e-4)).run()
        clean = IntraInterErrors(FRAMES, MolecularPairModel(), reference=_labels(0.0)).run()
    a, b = noisy.results.rmse["total"]["stress"], clean.results.rmse["total"]["stress"]
    # the antisymmetric noise averages away: the errors of the symmetric labels
    assert a.value == pytest.approx(b.value, rel=1e-12)
    assert a.stderr == pytest.approx(b.stderr, rel=1e-9)


@pytest.mark.parametrize("asymmetry", [3e-3, 0.1, 1.0])
@pytest.mark.parametrize("name", ["stress", "virial"])
def test_a_tensor_beyond_numerical_noise_is_still_refused(asymmetry, name):
    lab = _labels(asymmetry, name)[0]
    with pytest.raises(ValueError, match=rf"{name} of a .* is a 3×3 tensor that is not "
                                         r"symmetric \(its off-diagonal pairs differ by up to "
                                         r".*, .* of its largest component; a .* differs by at "
                                         r"most 0.001\): not a"):
        stored_labels(lab)
