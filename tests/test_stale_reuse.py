"""A trajectory is reused or resumed only for the system that wrote it: the same positions with
other elements, masses, periodicity, box, topology or starting velocities are another run."""

import numpy as np
import pytest
from ase.build import bulk, molecule
from ase.calculators.emt import EMT

from ase_electrolyte.md import relax, run_md
from ase_electrolyte.topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES
from ase_electrolyte.trajectory import h5md_info, read_h5md, start_state


def _copper():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.calc = EMT()
    return atoms


def _gold(a):
    a.numbers[:] = 79


def _heavier(a):
    a.set_masses(a.get_masses() * 2)


def _no_pbc(a):
    a.pbc = False


def _larger_box(a):
    a.set_cell(a.cell.array * 1.1, scale_atoms=False)


def _velocities(a):
    a.set_velocities(np.random.default_rng(3).normal(scale=0.01, size=(len(a), 3)))


def _topology(a, charge):
    a.set_array(MOLECULE_INDEX, np.arange(len(a)))
    a.set_array(SPECIES, np.array(["Cu"] * len(a), dtype=object))
    a.set_array(FORMAL_CHARGE, np.full(len(a), charge, dtype=float))


_CHANGES = {
    "other elements": (_gold, "other elements"),
    "other masses": (_heavier, "other masses"),
    "not periodic": (_no_pbc, "periodic along"),
    "another box": (_larger_box, "another cell"),
    "given velocities": (_velocities, "other velocities"),
    "topology added": (lambda a: _topology(a, 0.0), "topology arrays"),
}


@pytest.mark.parametrize("stage, change", [
    (stage, change) for stage in ("run_md", "relax") for change in _CHANGES
    # a relaxation starts at rest whatever the velocities: not another start for it
    if not (stage == "relax" and change == "given velocities")
])
def test_the_same_positions_of_another_system_are_not_answered_with_the_old_run(
        change, stage, tmp_path):
    damage, why = _CHANGES[change]
    path = tmp_path / "run.h5md"

    def call(atoms):
        if stage == "relax":
            return relax(atoms, fmax=0.5, steps=5, trajectory=path)
        return run_md(atoms, ensemble="nve", steps=6, timestep_fs=2.0, temperature_K=100,
                      write_interval=3, trajectory=path, progress=False)

    first = call(_copper())
    # the same system again: reused as before
    np.testing.assert_array_equal(call(_copper()).positions, first.positions)
    other = _copper()
    damage(other)
    with pytest.raises(ValueError, match=f"different run: it.*{why}"):
        call(other)
    assert h5md_info(path)["complete"]  # the old run is left whole
    np.testing.assert_array_equal(read_h5md(path, -1).positions, first.positions)


def test_another_formal_charge_is_another_run(tmp_path):
    """The charge current the production records depends on the formal charges."""
    path = tmp_path / "run.h5md"
    kw = dict(ensemble="nve", steps=4, timestep_fs=2.0, temperature_K=100, write_interval=2,
              trajectory=path, progress=False)
    atoms = _copper()
    _topology(atoms, 0.0)
    run_md(atoms, **kw)
    charged = _copper()
    _topology(charged, 0.0)
    charged.arrays[FORMAL_CHARGE][:2] = [1.0, -1.0]
    with pytest.raises(ValueError, match="topology arrays"):
        run_md(charged, **kw)


def test_a_heavy_hydrogen_stage_fed_from_its_own_files_is_reused(tmp_path):
    """Stage after stage, each start read back from the previous file (velocities rounded, heavy
    hydrogen restored): the checks of masses and velocities accept the run's own chain."""
    from molecular_pair_model import MolecularPairModel

    gas = molecule("H2")  # a gas of H2: heavy hydrogen is every atom
    gas.center(vacuum=2.0)
    gas = gas.repeat(2)
    gas.pbc = True
    gas.set_array(MOLECULE_INDEX, np.repeat(np.arange(8), 2))
    gas.set_array(SPECIES, np.array(["H2"] * len(gas), dtype=object))
    gas.set_array(FORMAL_CHARGE, np.zeros(len(gas)))
    gas.calc = MolecularPairModel(r0=0.74)

    def chain():
        state = relax(gas, fmax=5.0, steps=3, trajectory=tmp_path / "relaxed.h5md")
        state = run_md(state, ensemble="nve", steps=4, timestep_fs=1.0, temperature_K=100,
                       hydrogen_mass=3.0, write_interval=2, trajectory=tmp_path / "a.h5md",
                       progress=False)
        return run_md(state, ensemble="nve", steps=4, timestep_fs=1.0, write_interval=2,
                      trajectory=tmp_path / "b.h5md", progress=False)

    first = chain()
    again = chain()
    np.testing.assert_allclose(again.positions, first.positions, rtol=0, atol=1e-9)
    assert start_state(tmp_path / "a.h5md")["masses"][gas.numbers == 1][0] == 3.0
    assert read_h5md(tmp_path / "a.h5md", 0).get_masses()[0] == gas.get_masses()[0]
