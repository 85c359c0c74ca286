"""What a calculator reads from the Atoms beyond positions, cell, elements and masses is part of
a run: ``initial_charges`` (an ``Electrostatics(scheme="array")``), ``initial_magmoms``, any
other per-atom array, ``info["charge"]`` and ``info["spin"]``. A file written with other ones is
another run, never reused or resumed for this one.

Before, the settings a file records left them out: NaCl whose ``initial_charges`` went from ±1 to
±0.5 under ``Electrostatics(scheme="array")`` (-35.69 eV to -8.92 eV) was answered with the
stored run of ±1 charges, and an interrupted run resumed with the new charges, one file then
holding two models' dynamics.
"""

import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon  # noqa: E402

from ase_electrolyte.md import relax, run_md, run_protocol
from ase_electrolyte.trajectory import h5md_info

#: A uniform field along x, eV/(Å e): what the charges of the test calculator feel.
_FIELD = 0.05


class _ChargedArgon(StoppingArgon):
    """Lennard-Jones argon plus point charges (``initial_charges``) in a uniform field and a
    net-charge term ``0.1 eV × info["charge"]²``: energy and forces follow the Atoms' inputs."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, properties, system_changes)
        q = self.atoms.get_initial_charges()
        self.results["energy"] += -_FIELD * float(q @ self.atoms.positions[:, 0])
        self.results["energy"] += 0.1 * float(self.atoms.info.get("charge", 0.0)) ** 2
        self.results["free_energy"] = self.results["energy"]
        forces = self.results["forces"].copy()
        forces[:, 0] += _FIELD * q
        self.results["forces"] = forces


def _start(calc=None, charges=None, **info):
    atoms = argon(calc if calc is not None else _ChargedArgon(), rattle=0.05, seed=2)
    if charges is not None:
        atoms.set_initial_charges(charges)
    atoms.info.update(info)
    return atoms


_Q = np.tile([0.5, -0.5], 16)


def _magmoms(atoms):
    atoms.set_initial_magnetic_moments(np.ones(len(atoms)))


def _partial(atoms):
    atoms.new_array("partial_charges", np.linspace(-1.0, 1.0, len(atoms)))


_CHANGES = {
    "other-charges": lambda a: a.set_initial_charges(0.5 * _Q),
    "charges-removed": lambda a: a.set_initial_charges(None),
    "net-charge-declared": lambda a: a.info.update(charge=1),
    "spin-declared": lambda a: a.info.update(spin=3),
    "magmoms-added": _magmoms,
    "own-array-added": _partial,
}

_MD = dict(ensemble="nve", steps=6, timestep_fs=2.0, write_interval=2, progress=False)


@pytest.mark.parametrize("change", list(_CHANGES), ids=list(_CHANGES))
def test_a_finished_run_with_other_calculator_inputs_is_not_reused(change, tmp_path):
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a cold start, no topology arrays
        run_md(_start(charges=_Q), temperature_K=40, trajectory=path, **_MD)
        atoms = _start(charges=_Q)
        _CHANGES[change](atoms)
        with pytest.raises(ValueError, match=r"its settings differ in \['atoms_inputs'\]"):
            run_md(atoms, temperature_K=40, trajectory=path, **_MD)
    assert atoms.calc.calls == 0


def test_the_changed_inputs_change_the_dynamics(tmp_path):
    """The refusal guards a real difference: other charges give another trajectory, the one a
    fresh run (``overwrite=True``) writes."""
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = run_md(_start(charges=_Q), temperature_K=40, trajectory=path, **_MD)
        other = run_md(_start(charges=0.5 * _Q), temperature_K=40, trajectory=path,
                       overwrite=True, **_MD)
        fresh = run_md(_start(charges=0.5 * _Q), temperature_K=40, **_MD)
    assert np.abs(first.positions - other.positions).max() > 1e-4
    np.testing.assert_allclose(other.positions, fresh.positions, rtol=0, atol=1e-12)


def test_an_interrupted_run_is_not_resumed_with_other_charges(tmp_path):
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(KeyboardInterrupt):
            run_md(_start(_ChargedArgon(stop_at=5), charges=_Q), temperature_K=40,
                   trajectory=path, **_MD)
        assert 0 < h5md_info(path)["n_frames"] and not h5md_info(path)["complete"]
        atoms = _start(charges=0.5 * _Q)
        with pytest.raises(ValueError, match=r"its settings differ in \['atoms_inputs'\]"):
            run_md(atoms, temperature_K=40, trajectory=path, **_MD)
        assert atoms.calc.calls == 0
        # the same charges resume, and end where the uninterrupted run ends
        resumed = run_md(_start(charges=_Q), temperature_K=40, trajectory=path, **_MD)
        whole = run_md(_start(charges=_Q), temperature_K=40, **_MD)
    np.testing.assert_allclose(resumed.positions, whole.positions, rtol=0, atol=1e-9)


def test_all_zero_charges_are_the_run_without_them(tmp_path):
    """ASE reads an absent ``initial_charges`` as zeros: files of a run without them (and of
    earlier versions, which recorded none) stay the run with zeros, and the reverse."""
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = run_md(_start(), temperature_K=40, trajectory=path, **_MD)
        assert "atoms_inputs" not in h5md_info(path)["run_info"]
        atoms = _start(charges=np.zeros(32))
        atoms.set_initial_magnetic_moments(np.zeros(32))
        again = run_md(atoms, temperature_K=40, trajectory=path, **_MD)
    assert atoms.calc.calls == 0
    np.testing.assert_array_equal(again.positions, first.positions)


def test_the_same_inputs_are_reused(tmp_path):
    path = tmp_path / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = run_md(_start(charges=_Q, charge=1), temperature_K=40, trajectory=path, **_MD)
        atoms = _start(charges=_Q, charge=1)
        again = run_md(atoms, temperature_K=40, trajectory=path, **_MD)
    assert atoms.calc.calls == 0
    np.testing.assert_array_equal(again.positions, first.positions)
    recorded = h5md_info(path)["run_info"]["atoms_inputs"]
    assert recorded["info['charge']"] == 1
    # 32 charges: recorded by a digest of their bytes, not as a list
    assert set(recorded["arrays['initial_charges']"]) == {"ndarray_sha256", "shape", "dtype"}


def test_a_relaxation_with_another_net_charge_is_another_run(tmp_path):
    path = tmp_path / "relaxed.h5md"
    relax(_start(charge=0), fmax=0.01, trajectory=path)
    atoms = _start(charge=-1)
    with pytest.raises(ValueError, match=r"its settings differ in \['atoms_inputs'\]"):
        relax(atoms, fmax=0.01, trajectory=path)
    assert atoms.calc.calls == 0


def test_a_protocol_with_other_charges_is_refused_before_its_first_stage(tmp_path):
    kw = dict(temperature_K=60, relax_fmax=0.05, preequilibration_ps=0, equilibration_ps=0,
              production_ps=0.008, production_ensemble="nve", timestep_fs=2.0,
              write_interval_fs=4.0, observe_interval_fs=2.0, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 60 K; no topology arrays
        done = run_protocol(_start(charges=_Q), _ChargedArgon(), tmp_path, **kw)
        calc = _ChargedArgon()
        again = run_protocol(_start(charges=_Q), calc, tmp_path, **kw)
        assert calc.calls == 0
        np.testing.assert_array_equal(again.atoms.positions, done.atoms.positions)
        calc = _ChargedArgon()
        with pytest.raises(ValueError, match=r"run_protocol's relaxed stage: .*its settings "
                                             r"differ in \['atoms_inputs'\]"):
            run_protocol(_start(charges=0.5 * _Q), calc, tmp_path, **kw)
    assert calc.calls == 0
