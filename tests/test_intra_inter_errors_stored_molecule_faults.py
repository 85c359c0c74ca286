"""A fault in one of many stored isolated-molecule labels is named with its index."""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator

from mda_electrolyte.model_labels import StoredMoleculeLabels


def _stored(n, bad=None, value=np.nan):
    out = []
    for k in range(n):
        water = molecule("H2O")
        water.positions[1] += 0.01 * k  # a distinct geometry each
        forces = np.full((3, 3), 0.1 * (k + 1))
        energy = -14.0 - 0.001 * k
        if k == bad:
            forces[1, 2] = value
        water.calc = SinglePointCalculator(water, energy=energy, forces=forces)
        out.append(water)
    return out


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_a_non_finite_label_of_one_stored_molecule_names_it(value):
    with pytest.raises(ValueError, match=r"^stored isolated molecule 37: the stored reference "
                                         r"forces of a H2O frame are not finite"):
        StoredMoleculeLabels(_stored(60, bad=37, value=value))


def test_finite_labels_are_read_and_found():
    stored = _stored(5)
    energies, forces = StoredMoleculeLabels(stored).evaluate([stored[3].copy()])
    assert energies[0] == pytest.approx(-14.003) and np.allclose(forces[0], 0.4)


def test_stored_isolated_labels_beside_a_reference_calculator_are_refused():
    # the calculator's own isolated molecules were taken, the stored labels ignored unsaid
    from ase.calculators.emt import EMT
    from ase.calculators.lj import LennardJones

    from mda_electrolyte.intra_inter_errors import IntraInterErrors

    a, b = molecule("H2O"), molecule("H2O")
    b.positions += [3.0, 0.0, 0.0]
    pair = a + b
    pair.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match=r"reference_isolated holds stored labels.*the "
                                         r"reference is a calculator \(lennardjones\)"):
        IntraInterErrors([pair], EMT(), reference=LennardJones(sigma=1.0, rc=6.0),
                         reference_isolated=_stored(2))
