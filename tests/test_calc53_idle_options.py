"""Electrostatics options that the chosen scheme, method or short-range treatment never read
are refused (as D3 refuses three-body parameters with atm=False), not stored as if they
shaped the result.

Before: a direct sum with cutoff=9, tolerance=1e-4 or background=True, short_range_length=2
without a short-range treatment, fixed charges beside QRd parameters, QRd parameters (even
the string "garbage") beside fixed charges and a charge array name under another scheme were
all accepted and recorded by todict(), and the energy was that of the default options.
"""

import itertools

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.electrostatics import COULOMB, fit_qrd, qrd_charges

QRD = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}

#: (options, the option among them that nothing reads)
IDLE = [
    ({"qrd": QRD, "method": "direct", "cutoff": 9.0}, "cutoff"),
    ({"qrd": QRD, "method": "direct", "tolerance": 1e-4}, "tolerance"),
    ({"qrd": QRD, "method": "DIRECT", "tolerance": 1e-9}, "tolerance"),
    ({"qrd": QRD, "method": "direct", "background": True}, "background"),
    ({"qrd": QRD, "short_range_length": 2.0}, "short_range_length"),
    ({"qrd": QRD, "short_range": "molecules", "short_range_length": 2.0}, "short_range_length"),
    ({"qrd": QRD, "charges": [0.5, -0.5]}, "charges"),
    ({"scheme": "array", "charges": [0.5, -0.5]}, "charges"),
    ({"scheme": "fixed", "charges": [1.0, -1.0], "qrd": QRD}, "qrd"),
    ({"scheme": "fixed", "charges": [1.0, -1.0], "qrd": "garbage"}, "qrd"),
    ({"scheme": "array", "qrd": QRD}, "qrd"),
    ({"scheme": "fixed", "charges": [1.0, -1.0], "array": "formal_charge"}, "array"),
    ({"qrd": QRD, "array": "formal_charge"}, "array"),
]

#: the same options where the scheme, method or treatment reads them
READ = [
    {"qrd": QRD, "method": "ewald", "cutoff": 9.0},
    {"qrd": QRD, "method": "pme", "tolerance": 1e-4},
    {"qrd": QRD, "method": "auto", "tolerance": 1e-4, "cutoff": 9.0, "background": True},
    {"qrd": QRD, "method": "direct", "tolerance": float(np.float32(1e-6))},
    {"qrd": QRD, "short_range": "cutoff", "short_range_length": 2.0},
    {"qrd": QRD, "short_range": "gaussian", "short_range_length": 2.0},
    {"scheme": "fixed", "charges": [0.5, -0.5]},
    {"scheme": "array", "array": "formal_charge"},
]


def _name(case):
    return "-".join(f"{k}={v}" for k, v in case.items() if k != "qrd" or v is not QRD)


@pytest.mark.parametrize(("options", "idle"), IDLE, ids=[_name(o) for o, _ in IDLE])
def test_an_option_without_effect_is_refused_by_the_constructor(options, idle):
    with pytest.raises(InputError, match=rf"without effect: {idle} \("):
        Electrostatics(**options)


@pytest.mark.parametrize(("options", "idle"), IDLE, ids=[_name(o) for o, _ in IDLE])
def test_an_option_without_effect_is_refused_by_set_and_changes_nothing(options, idle):
    base = {k: v for k, v in options.items() if k != idle}
    calc = Electrostatics(**base)
    before = calc.todict()
    with pytest.raises(InputError, match=rf"without effect: {idle} \(.*set\({idle}="):
        calc.set(**{idle: options[idle]})
    assert calc.todict() == before


@pytest.mark.parametrize("options", READ, ids=[_name(o) for o in READ])
def test_the_same_options_are_taken_where_they_are_read(options):
    calc = Electrostatics(**options)
    for key, value in options.items():
        if key not in ("method", "qrd"):
            assert calc.parameters[key] == value
    assert Electrostatics(**calc.todict()).todict() == calc.todict()


def test_the_options_a_direct_sum_refuses_were_indeed_unread():
    """The direct sum of a molecule is the exact pair sum whatever the lattice-sum options:
    the cutoff, tolerance and background of a lattice sum cannot act on it."""
    rng = np.random.default_rng(7)
    positions = rng.uniform(0.0, 6.0, (6, 3))
    q = np.array([0.8, -0.3, -0.5, 1.0, -0.6, -0.4])
    cluster = Atoms("Na3Cl3", positions=positions)
    exact = COULOMB * sum(q[i] * q[j] / np.linalg.norm(positions[i] - positions[j])
                          for i, j in itertools.combinations(range(6), 2))
    calc = Electrostatics(scheme="fixed", charges=q, method="direct")
    assert calc.get_potential_energy(cluster) == pytest.approx(exact, rel=1e-12, abs=1e-12)
    for option, value in (("cutoff", 2.0), ("tolerance", 1e-3), ("background", True)):
        with pytest.raises(InputError, match=f"without effect: {option}"):
            calc.set(**{option: value})


def test_a_scheme_changes_with_the_options_of_the_old_one_dropped():
    pair = Atoms("NaCl", positions=[[0, 0, 0], [2.5, 0, 0]])
    calc = Electrostatics(qrd=QRD)
    assert calc.get_potential_energy(pair) == pytest.approx(-COULOMB / 2.5, rel=1e-12)
    with pytest.raises(InputError, match=r"without effect: qrd .*set\(qrd=None\)"):
        calc.set(scheme="fixed", charges=[0.5, -0.5])
    assert calc.parameters["scheme"] == "qrd"
    changed = calc.set(scheme="fixed", charges=[0.5, -0.5], qrd=None)
    assert set(changed) == {"scheme", "charges", "qrd"}
    assert calc.get_potential_energy(pair) == pytest.approx(-0.25 * COULOMB / 2.5, rel=1e-12)
    assert calc.todict() == Electrostatics(scheme="fixed", charges=[0.5, -0.5]).todict()


def test_a_direct_edit_to_an_option_without_effect_is_refused_and_undone():
    calc = Electrostatics(qrd=QRD, method="direct")
    calc.parameters["cutoff"] = 9.0
    pair = Atoms("NaCl", positions=[[0, 0, 0], [2.5, 0, 0]])
    with pytest.raises(InputError, match="without effect: cutoff"):
        calc.get_potential_energy(pair)
    assert calc.parameters["cutoff"] == "auto"


@pytest.mark.parametrize("background", [True, False])
def test_fit_qrd_of_molecules_by_direct_sum_takes_no_background(background):
    """fit_qrd adds a background to its unit-charge sums; a direct sum has none to add, and
    one given by the caller is refused before any fit."""
    frames = [Atoms("NaCl", positions=[[0, 0, 0], [d, 0, 0]]) for d in (2.3, 2.6, 3.0)]
    for frame in frames:
        frame.info["charge"] = 0.0
    labels = [{"energy": -0.8 * 0.8 * COULOMB / f.get_distance(0, 1),
               "forces": np.zeros((2, 3))} for f in frames]
    for label, frame in zip(labels, frames, strict=True):
        force = 0.64 * COULOMB / frame.get_distance(0, 1) ** 2
        label["forces"] = np.array([[force, 0, 0], [-force, 0, 0]])
    options = {"background": True} if background else {}
    if background:
        with pytest.raises(ValueError, match="without effect: background"):
            fit_qrd(frames, reference=labels, method="direct", **options)
        return
    fit = fit_qrd(frames, reference=labels, method="direct", regularization=0.0,
                  fit_offsets=False, initial={"Na": (0.5, 1.0), "Cl": (-0.5, 1.0)})
    assert fit.electrostatics.parameters["method"] == "direct"
    assert not fit.electrostatics.parameters["background"]
    assert qrd_charges(frames[0].numbers, fit.qrd) == pytest.approx([0.8, -0.8], abs=1e-6)
