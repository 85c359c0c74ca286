"""Every True/False switch of the public API refuses what is not a bool, by name, before work.

A string such as ``"no"`` is truthy and ``1 in (True, False)`` holds, so a switch that is only
tested for truth (or for membership in ``(True, False)``) would take ``"no"`` as yes. All of
them go through :func:`ase_electrolyte.atoms_checks.check_flag`, whose
:class:`~ase_electrolyte.atoms_checks.FlagError` is both a ``TypeError`` and a ``ValueError``.
"""

import numpy as np
import pytest
from ase.build import molecule
from molecular_pair_model import MolecularPairModel
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

import mda_electrolyte as mdae
from ase_electrolyte import D3, Electrostatics
from ase_electrolyte.atoms_checks import FlagError, check_flag
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.electrostatics import fit_qrd
from ase_electrolyte.finetuning import finetune
from mda_electrolyte.ion_collection import IonCollector

NOT_SWITCHES = ["no", 1, 0.0, None, [True]]


def _salt(n_frames=20, n=4):
    rng = np.random.default_rng(0)
    v = ornstein_uhlenbeck(rng, n_frames, (2 * n, 3), 0.05, 0.01, 3.0)
    x = integrate(v, 0.01, start=rng.uniform(0, 20.0, (2 * n, 3)))
    return salt_universe(v, x, n_cations=n, dt=0.01, box=20.0)


def _water_frames():
    water = molecule("H2O")
    water.cell = [8.0, 8.0, 8.0]
    water.pbc = True
    return [water]


# (name of the switch, a call that takes it as ``flag``) over both packages
SWITCHES = {
    "GreenKuboConductivity(check_sampling)": lambda flag: mdae.GreenKuboConductivity(
        _salt(), IONS, 300.0, check_sampling=flag),
    "EinsteinHelfandConductivity(unwrap)": lambda flag: mdae.EinsteinHelfandConductivity(
        _salt(), IONS, 300.0, unwrap=flag),
    "Diffusion(unwrap)": lambda flag: mdae.Diffusion(_salt(), IONS, unwrap=flag),
    "Diffusion(remove_drift)": lambda flag: mdae.Diffusion(_salt(), IONS, remove_drift=flag),
    "OnsagerCoefficients(remove_drift)": lambda flag: mdae.OnsagerCoefficients(
        _salt(), IONS, 300.0, remove_drift=flag),
    "OnsagerCoefficients(check_sampling)": lambda flag: mdae.OnsagerCoefficients(
        _salt(), IONS, 300.0, check_sampling=flag),
    "IonCollector(positions)": lambda flag: IonCollector(_salt(), IONS, positions=flag),
    "IonCollector(observables)": lambda flag: IonCollector(_salt(), IONS, observables=flag),
    "IonCollector(require_charges)": lambda flag: IonCollector(_salt(), IONS,
                                                               require_charges=flag),
    "IonCollector(unwrap)": lambda flag: IonCollector(_salt(), IONS, unwrap=flag),
    "Density(detect_equilibration)": lambda flag: mdae.Density(
        np.full(50, 1.2), dt=0.01, detect_equilibration=flag),
    "RigidVolumeScan(keep_frames)": lambda flag: mdae.RigidVolumeScan(
        _water_frames(), MolecularPairModel(), scales=[1.0, 1.1], keep_frames=flag),
    "D3(atm)": lambda flag: D3(atm=flag),
    "Electrostatics(background)": lambda flag: Electrostatics(
        scheme="fixed", charges=[1.0, -1.0], background=flag),
    "fit_qrd(fit_offsets)": lambda flag: fit_qrd(_water_frames(), fit_offsets=flag),
    "finetune(check_units)": lambda flag: finetune(train=_water_frames(), epochs=1,
                                                   check_units=flag),
    "finetune(plot)": lambda flag: finetune(train=_water_frames(), epochs=1, plot=flag),
}


@pytest.mark.parametrize("label", list(SWITCHES))
@pytest.mark.parametrize("value", NOT_SWITCHES, ids=repr)
def test_a_switch_refuses_what_is_not_a_bool(label, value):
    name = label[label.index("(") + 1:-1]
    # calculators report bad options as ASE's InputError, the FlagError chained
    with pytest.raises((FlagError, InputError), match=rf"{name} must be True or False, not"):
        SWITCHES[label](value)


def test_velocities_take_a_bool_or_auto():
    u = _salt()
    for bad in ("yes", 1, "autumn"):
        with pytest.raises(FlagError, match="velocities must be True, False or 'auto'"):
            IonCollector(u, IONS, velocities=bad)
    # numpy's bool is a bool; "auto" follows the trajectory, and is an option word read in any
    # case and spacing as every other (transport23: "Auto" was refused)
    assert IonCollector(u, IONS, velocities=np.True_, positions=False)._velocities
    assert IonCollector(u, IONS, velocities="auto")._velocities
    assert IonCollector(u, IONS, velocities=" Auto ")._velocities


def test_flag_error_is_a_type_error_and_a_value_error():
    for caught in (TypeError, ValueError):
        with pytest.raises(caught):
            check_flag("switch", "no")
    check_flag("switch", np.False_)
    check_flag("switch", True)
