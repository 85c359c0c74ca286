"""The Atoms that relax, run_md and run_protocol return hold the caller's calculator object.

Not a copy (a copy of a machine-learned model would load it again). Its results then describe
the returned state while the caller's Atoms may still hold the same calculator: ASE's
``check_state`` must make each Atoms get its own energy, forces and stress, whichever is asked
first, also when the run was reused from its file and the calculator last saw another state.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import relax, run_md, run_protocol


def _lj():
    return LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.1, seed=7)
    atoms.calc = _lj()
    return atoms


def _own(atoms):
    """Energy, forces and stress of ``atoms`` from a calculator of its own."""
    probe = atoms.copy()
    probe.calc = _lj()
    return probe.get_potential_energy(), probe.get_forces(), probe.get_stress()


_MD = dict(ensemble="nvt", steps=8, timestep_fs=2.0, temperature_K=60, write_interval=4,
           progress=False)


def _call(call, atoms, tmp_path):
    if call == "relax":
        return relax(atoms, fmax=0.01)
    if call == "run_md":
        return run_md(atoms, **_MD)
    if call == "run_md reused from its file":
        run_md(atoms, trajectory=tmp_path / "md.h5md", **_MD)
        atoms.get_potential_energy()  # the calculator now last saw the caller's state
        return run_md(atoms, trajectory=tmp_path / "md.h5md", **_MD)
    return run_protocol(
        atoms, atoms.calc, tmp_path / "run", temperature_K=60, preequilibration_ps=0.0,
        equilibration_ps=0.008, production_ps=0.008, timestep_fs=2.0, write_interval_fs=4.0,
        observe_interval_fs=2.0, progress=False,
    ).atoms


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("call", ["relax", "run_md", "run_md reused from its file",
                                  "run_protocol"])
@pytest.mark.parametrize("first", ["returned", "caller's"])
def test_the_shared_calculator_gives_each_atoms_its_own_results(call, first, tmp_path):
    atoms = _argon()
    start = atoms.positions.copy()
    out = _call(call, atoms, tmp_path)
    assert out.calc is atoms.calc
    np.testing.assert_array_equal(atoms.positions, start)  # the caller's Atoms is not moved
    assert np.abs(out.positions - start).max() > 1e-3  # the returned state is another
    order = [out, atoms, out] if first == "returned" else [atoms, out, atoms]
    for each in order:  # alternately: the shared results never answer for the other Atoms
        energy, forces, stress = _own(each)
        assert each.get_potential_energy() == pytest.approx(energy, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(each.get_forces(), forces, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(each.get_stress(), stress, rtol=1e-12, atol=1e-14)
    assert _own(atoms)[0] != pytest.approx(_own(out)[0], rel=1e-6)
