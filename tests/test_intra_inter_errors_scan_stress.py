"""Stress labels judged against the energies of the frames before any model runs.

Frames that are one configuration deformed (a volume scan, of rigid molecules as
:class:`~mda_electrolyte.RigidVolumeScan` writes them, or affine) carry their own test of the
stress labels: the energy changes between them by ``∫ dE/dt dt`` with ``dE/dt = V σ : L``
(plus ``Σ f_i · ξ_i L`` for rigid molecules). Stresses in GPa (a liquid's tenths of a GPa stay
below the 1 eV/Å³ bound) or of the other sign (a pressure) were found only after the model had
run on every frame; now they are refused by name, before. Labels a Pulay stress or a kinetic
part moves by 1 GPa, and liquids near zero pressure or highly compressed, are not refused.
"""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402
from test_intra_inter_errors_label_checks import Counting  # noqa: E402

from mda_electrolyte.diagnose import diagnose  # noqa: E402
from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    SCAN_STRESS_TOLERANCE,
    STRESS_UNIT_FACTORS,
    IntraInterErrors,
    check_reference_frames,
    scan_stress_doubt,
)
from mda_electrolyte.model_labels import stored_labels  # noqa: E402
from mda_electrolyte.volume_scan import rigid_scaled_atoms  # noqa: E402

GPA = 1 / 160.21766
SCAN = (0.85, 0.9, 0.95, 1.0, 1.05, 1.1)


def _deformed(atoms, s, kind):
    if kind == "rigid":
        return rigid_scaled_atoms(atoms, atoms.arrays["molecule_index"], s)
    out = atoms.copy()
    if kind == "affine":
        out.set_cell(atoms.cell.array * s, scale_atoms=True)
    else:  # a shear of the cell with the atoms (an elastic-constant set)
        shear = np.eye(3)
        shear[1, 0] = s - 1.0
        out.set_cell(atoms.cell.array @ shear, scale_atoms=True)
    return out


def _scan(kind="rigid", scales=SCAN, seed=0, stress=lambda s: s, r0="initial"):
    """Frames of one configuration deformed, labelled by a liquid-like pair model whose bonds
    are at rest in the first frame (its pressure is the molecules' alone: tenths of a GPa at
    s = 1); ``r0=1.0``: bonds under tension (-47 GPa of intramolecular virial)."""
    base = _frame(seed=seed)
    calc = MolecularPairModel(sigma=2.4, r0=r0, rc=9.0)
    frames, labels = [], []
    for s in scales:
        atoms = _deformed(base, s, kind)
        atoms.calc = calc
        energy, forces, st = (atoms.get_potential_energy(), atoms.get_forces(),
                              atoms.get_stress())
        frame = atoms.copy()
        frame.calc = None
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=energy, forces=forces, stress=stress(st))
        frames.append(frame)
        labels.append(lab)
    return frames, labels


def _doubt(frames, labels):
    return scan_stress_doubt(labels, [stored_labels(a) for a in labels],
                             frames[0].arrays["molecule_index"], frames[0].get_masses())


SLIPS = [("a pressure in eV/Å³", -1.0, "eV/Å³ but of the other sign")] + [
    (f"{unit}{' pressure' if sign < 0 else ''}", sign * f,
     f"a pressure in {unit}" if sign < 0 else f"in {unit}")
    for unit, f in STRESS_UNIT_FACTORS.items() if unit != "bar" for sign in (1.0, -1.0)]


@pytest.mark.parametrize("kind", ["rigid", "affine", "shear"])
@pytest.mark.parametrize("case, factor, named", SLIPS)
def test_stresses_in_another_unit_or_sign_are_refused_before_the_model_runs(kind, case, factor,
                                                                             named):
    frames, labels = _scan(kind, stress=lambda s: factor * s)
    # a liquid's stress in GPa (the rigid scan's) passes the bound on magnitude (median over
    # the frames) that refuses kbar and bar: then the scan names the slip and the sign
    median = np.median([np.abs(stored_labels(a)["stress"]).max() for a in labels])
    assert median < 1.0 or abs(factor) > 100 and kind != "rigid" or abs(factor) > 1000
    message = ("stresses contradict the reference energies of frames .*they look "
               f"{named}" if median < 1.0 else "no liquid is under such a stress")
    model = Counting()
    with pytest.raises(ValueError, match=message):
        IntraInterErrors(frames, model, reference=labels).run()
    assert model.calls == 0
    with pytest.raises(ValueError, match=message):
        check_reference_frames(frames, labels)
    # the labels as the frames' own (no reference=) are judged too
    with pytest.raises(ValueError, match=message):
        IntraInterErrors(labels, model)
    assert model.calls == 0


@pytest.mark.parametrize("kind", ["rigid", "affine", "shear"])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("offset", [0.0, 1.0, -1.0])
def test_right_stresses_pass_with_a_pulay_or_kinetic_offset_of_a_gpa(kind, seed, offset):
    iso = offset * GPA * np.array([1.0, 1, 1, 0, 0, 0])
    frames, labels = _scan(kind, seed=seed, stress=lambda s: s + iso)
    assert _doubt(frames, labels) is None
    check_reference_frames(frames, labels)


@pytest.mark.parametrize("scales, pressure", [
    # near zero pressure: a sign flip there is no evidence (the model comparison marks it)
    ((0.98, 1.0, 1.02), (-0.2, 0.4)),
    # highly compressed: several GPa
    ((0.8, 0.82, 0.85), (2.0, 60.0)),
    # expanded to where the molecules no longer meet, in coarse steps
    ((1.0, 1.5, 2.0), (-0.2, 0.4)),
])
def test_liquids_near_zero_pressure_and_highly_compressed_pass(scales, pressure):
    frames, labels = _scan("rigid", scales=scales)
    p = [-stored_labels(a)["stress"][:3].mean() / GPA for a in labels]
    assert pressure[0] < max(p) < pressure[1]
    assert _doubt(frames, labels) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stored labels without reference_isolated
        r = IntraInterErrors(frames, MolecularPairModel(sigma=2.4, r0="initial", rc=9.0),
                             reference=labels).run().results
    # the reference's own labels: no error, and no refusal
    assert r.rmse["total"]["stress"].value < 1e-9


def test_a_sign_flip_near_zero_pressure_is_left_to_the_model_comparison():
    frames, labels = _scan("rigid", scales=(0.98, 0.99, 1.0, 1.01, 1.02), stress=lambda s: -s)
    assert _doubt(frames, labels) is None
    model = MolecularPairModel(sigma=2.45, r0="initial", rc=9.0)
    with pytest.warns(UserWarning, match="flip their sign"):
        r = IntraInterErrors(frames, model, reference=labels).run().results
    assert not r.rmse["total"]["stress"].valid
    assert "flip their sign" in r.rmse["total"]["stress"].verdict
    assert "flip" not in r.rmse["total"]["forces"].verdict


def test_the_judged_rate_is_the_derivative_of_the_energy():
    # bonds under tension: the atomic stress is mostly the intramolecular virial, which a
    # rigid scan's force term must cancel (without it these right labels were refused); in a
    # fine scan, stresses 16 times too large are found with their ratio
    for kind in ("rigid", "affine", "shear"):
        frames, labels = _scan(kind, scales=(0.95, 0.951, 0.952), r0=1.0)
        assert _doubt(frames, labels) is None
        frames, labels = _scan(kind, scales=(0.95, 0.951, 0.952), r0=1.0,
                               stress=lambda s: 16.0 * s)
        doubt = _doubt(frames, labels)
        assert doubt is not None and "are 0.06" in doubt, (kind, doubt)


def test_frames_that_are_not_one_configuration_are_not_judged():
    # different configurations, one per seed, each at its own scale: nothing to compare
    frames, labels = [], []
    for seed, s in enumerate(SCAN):
        f, lab = _scan("rigid", scales=(s,), seed=seed, stress=lambda x: 160.21766 * x)
        frames += f
        labels += lab
    assert _doubt(frames, labels) is None
    # a scan without forces cannot be judged for rigid molecules (their term needs them)
    frames, labels = _scan("rigid", stress=lambda s: -s)
    bare = []
    for lab in labels:
        b = lab.copy()
        b.calc = SinglePointCalculator(b, energy=lab.get_potential_energy(),
                                       stress=lab.get_stress())
        bare.append(b)
    assert _doubt(frames, bare) is None
    # the same scan with its forces is
    assert _doubt(frames, labels) is not None


def test_the_tolerance_is_two_gpa():
    assert SCAN_STRESS_TOLERANCE / GPA == pytest.approx(2.0)


def test_diagnose_refuses_a_scan_in_gpa_before_loading_the_model(tmp_path):
    frames, labels = _scan("rigid", stress=lambda s: 160.21766 * s)
    out = tmp_path / "d"
    out.mkdir()
    (out / "diagnose.json").write_text('{"earlier": 1}')
    with pytest.raises(ValueError, match="they look in GPa"):
        diagnose(frames, lambda: pytest.fail("the model was loaded"), out, reference=labels,
                 scales=[1.0, 1.1])
    assert json.loads((out / "diagnose.json").read_text()) == {"earlier": 1}


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("offset", [1.0, -1.0])
def test_a_default_scan_with_bonds_under_tension_passes(seed, offset):
    # the intramolecular virial (-47 GPa) dwarfs the molecules' pressure: the rigid scan's
    # force term cancels it over the default scale factors, out to s = 2
    from mda_electrolyte.volume_scan import DEFAULT_SCALES

    iso = offset * GPA * np.array([1.0, 1, 1, 0, 0, 0])
    frames, labels = _scan("rigid", scales=DEFAULT_SCALES, seed=seed, r0=1.0,
                           stress=lambda s: s + iso)
    assert _doubt(frames, labels) is None
    frames, labels = _scan("rigid", scales=DEFAULT_SCALES, seed=seed, r0=1.0,
                           stress=lambda s: -s)
    assert "other sign" in _doubt(frames, labels)
