"""Stored isolated-molecule forces in another unit or of the other sign.

The energies of such labels pass every check (they are right); their forces made the
reference's intramolecular forces 23 times (kcal/(mol·Å)) or −1 times the truth, and the intra
and inter force errors (580 and 53 eV/Å for a model equal to the reference up to its
intermolecular term) were reported valid. Now they are marked not valid with the reason, and
the total errors, which do not use the isolated molecules, are left as they are.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors_isolated_energy_bound import _melt_frames  # noqa: E402
from test_intra_inter_errors_label_checks import (  # noqa: E402
    FRAMES,
    _isolated_labels,
    _labelled,
)

from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    FORCE_UNIT_FACTORS,
    IntraInterErrors,
)


def _run(factor, frames=FRAMES, labels=None, isolated=None):
    labels = _labelled(frames) if labels is None else labels
    isolated = _isolated_labels(frames) if isolated is None else isolated
    for m in isolated:
        m.calc = SinglePointCalculator(m, energy=m.get_potential_energy(),
                                       forces=factor * m.get_forces())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = IntraInterErrors(frames, MolecularPairModel(), reference=labels,
                             reference_isolated=isolated, keep_arrays=True).run().results
    return r, [str(w.message) for w in caught]


@pytest.mark.parametrize("unit, factor", [("kcal/mol/Å", FORCE_UNIT_FACTORS["kcal/mol/Å"]),
                                          ("Hartree/bohr", FORCE_UNIT_FACTORS["Hartree/bohr"]),
                                          ("sign", -1.0)])
def test_isolated_forces_in_another_unit_or_sign_mark_the_intra_and_inter_errors(unit, factor):
    right, none = _run(1.0)
    got, caught = _run(factor)
    assert not any("isolated-molecule forces" in m for m in none)
    assert any("stored isolated-molecule forces" in m for m in caught)
    for c in ("intra", "inter"):
        assert right.rmse[c]["forces"].valid
        for est in (got.rmse[c]["forces"], got.rrmse_per_element["O"][c]["forces"]):
            assert not est.valid and "isolated-molecule forces" in est.verdict
            if unit != "sign":
                assert unit in est.verdict
            else:
                assert "flip their sign" in est.verdict
    for c in ("total", "trans", "rot", "vib"):
        a, b = got.rmse[c]["forces"], right.rmse[c]["forces"]
        assert (a.value, a.valid) == (b.value, b.valid)


def test_a_melt_of_single_ions_has_no_intramolecular_force_to_judge():
    frames = _melt_frames(4)
    ref = MolecularPairModel(epsilon=2.0, sigma=2.5, rc=6.0)
    labels, isolated = [], []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = ref
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=probe.get_potential_energy(),
                                         forces=probe.get_forces())
        labels.append(lab)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = IntraInterErrors(frames, MolecularPairModel(), reference=labels)
    for mol in probe.unique_isolated_molecules():
        m = mol.copy()
        m.calc = ref
        m.calc = SinglePointCalculator(m, energy=m.get_potential_energy(), forces=m.get_forces())
        isolated.append(m)
    got, caught = _run(1.0, frames, labels, isolated)
    assert not any("isolated-molecule forces" in m for m in caught)
    assert np.all(got.forces["reference"]["intra"] == 0.0)
