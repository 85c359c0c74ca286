"""The isolated-molecule cache tells a molecule in cubes of other sizes apart.

The cache key was the atoms, the internal geometry and the net charge: the same molecule in a
cube of 1 Å of vacuum (within a model's cutoff of its images) and of 10 Å shared one energy, so
that a scan or split rerun after ``.vacuum = 10`` reported the energies of the cubes before
(E_intra 15843708 against 15845121 meV/atom of a fresh scan, Lennard-Jones with rc = 6 Å).
"""

import sys
from pathlib import Path

import numpy as np
from ase.calculators.lj import LennardJones

sys.path.insert(0, str(Path(__file__).parent))
from test_volume_scan_charged_molecules import _water_pair  # noqa: E402

from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator  # noqa: E402
from mda_electrolyte.molecules import isolated_molecules  # noqa: E402
from mda_electrolyte.volume_scan import RigidVolumeScan  # noqa: E402


def _lj():
    return LennardJones(sigma=1.0, epsilon=0.01, rc=6.0)


def test_one_molecule_in_cubes_of_two_sizes_is_evaluated_in_each():
    frame = _water_pair()
    evaluator = IsolatedMoleculeEvaluator(_lj())
    for vacuum in (1.0, 10.0, 1.0):
        mols = isolated_molecules(frame, frame.arrays["molecule_index"], vacuum=vacuum)
        energies, forces = evaluator.evaluate(mols)
        probe = mols[0].copy()
        probe.calc = _lj()
        np.testing.assert_allclose(energies, probe.get_potential_energy(), rtol=1e-12)
        np.testing.assert_allclose(forces[1], probe.get_forces(), rtol=1e-10, atol=1e-14)
    # the images within the cutoff matter here: the two cubes are different problems
    small, large = (isolated_molecules(frame, frame.arrays["molecule_index"], vacuum=v)[0]
                    for v in (1.0, 10.0))
    small.calc, large.calc = _lj(), _lj()
    assert abs(small.get_potential_energy() - large.get_potential_energy()) > 1e-4
    # one evaluation per cube (the two waters share a geometry), the third call cached
    assert evaluator.n_evaluated == 2
    # without a cell: another key again
    evaluator.evaluate(isolated_molecules(frame, frame.arrays["molecule_index"]))
    assert evaluator.n_evaluated == 3


def test_a_scan_and_a_split_rerun_with_another_vacuum_match_fresh_ones():
    frames = [_water_pair(), _water_pair()]
    frames[1].positions[3:] += [0.2, 0.1, 0.0]
    scan = RigidVolumeScan(frames, _lj(), scales=[1.0, 1.3], vacuum=1.0, keep_frames=False)
    scan.run()
    scan.vacuum = 10.0
    scan.run()
    fresh = RigidVolumeScan(frames, _lj(), scales=[1.0, 1.3], vacuum=10.0,
                            keep_frames=False).run()
    np.testing.assert_allclose(scan.results.intra, fresh.results.intra, rtol=1e-12)
    errors = IntraInterErrors(frames, _lj(), reference=LennardJones(sigma=1.05, epsilon=0.01,
                                                                     rc=6.0), vacuum=1.0,
                              keep_arrays=True)
    errors.run()
    errors.vacuum = 10.0
    errors.run()
    again = IntraInterErrors(frames, _lj(), reference=LennardJones(sigma=1.05, epsilon=0.01,
                                                                    rc=6.0), vacuum=10.0,
                             keep_arrays=True).run()
    np.testing.assert_allclose(errors.results.molecule_energies["model"],
                               again.results.molecule_energies["model"], rtol=1e-12)
