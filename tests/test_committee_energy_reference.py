"""A committee whose energy spread is an energy-reference offset between its members.

Members of one backend were never checked for a common energy reference: a copy of one model
with its per-atom energy shifted by 1.3 eV (what separates labels of two codes, functionals or
pseudopotentials) agreed with the original on every force and made a committee whose
``energy_std`` (0.65 eV/atom on copper) and mean energy passed as an uncertainty and an
energy. The decisive signature of an offset: members that differ by a constant per atom
differ by the same on the structure and on its atoms apart, so the spread of their binding
energies (energy less that of the isolated atoms) vanishes while that of their energies does
not. Refused at 0.1 eV/atom and above; smaller offsets (members fitted to one set of labels
whose energies are under-converged, e.g. students of a short distillation) are warned about.
Genuine committees, whose members differ in how they bind, pass unwarned.
"""

import warnings

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase import Atoms  # noqa: E402
from ase.calculators.calculator import InputError  # noqa: E402

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.committee import EnergyOffsetWarning  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_reference"))[1]


def _shifted(path, out, shift):
    """A copy of a SevenNet checkpoint whose per-atom energy shift is larger by ``shift`` eV:
    the same model on another energy reference (forces unchanged)."""
    import torch

    checkpoint = torch.load(path, weights_only=False, map_location="cpu")
    checkpoint["model_state_dict"]["rescale_atomic_energy.shift"] += shift
    checkpoint["config"]["shift"] = float(checkpoint["config"]["shift"]) + shift
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, out)
    return str(out)


def _bulk(k=0):
    return emt_copper(1, seed=40 + k)[0]


def _evaluate(calc, atoms):
    work = atoms.copy()
    work.calc = calc
    work.get_potential_energy()
    return calc.results


@pytest.mark.parametrize("shift", [1.3, -0.25, 0.4])
def test_a_shifted_copy_is_refused_naming_the_member_and_the_offset(tiny, tmp_path, shift):
    copy = _shifted(tiny[0], tmp_path / "shifted" / "model.pth", shift)
    committee = Calculator([tiny[0], copy], device="cpu")
    atoms = _bulk()
    before, labels = atoms.copy(), atoms.calc
    with pytest.raises(InputError, match="energy offset") as err:
        _evaluate(committee, atoms)
    message = str(err.value)
    assert "member 1" in message and repr(copy) in message
    assert f"{shift:+.4g} eV/atom from member 0" in message
    assert f"{shift:+.4g} eV/atom on its atoms apart" in message
    assert "different energy references" in message
    assert atoms == before and atoms.calc is labels  # the caller's frame untouched


def test_a_refused_committee_is_refused_again_before_its_members_run(tiny, tmp_path):
    copy = _shifted(tiny[0], tmp_path / "shifted" / "model.pth", 1.3)
    committee = Calculator([tiny[0], copy], device="cpu")
    with pytest.raises(InputError, match="energy offset"):
        _evaluate(committee, _bulk(0))
    calls = []
    for name in ("_members_shared_graph", "_members_one_by_one"):
        original = getattr(committee, name)
        setattr(committee, name,
                lambda *a, _f=original, **kw: (calls.append(1), _f(*a, **kw))[1])
    with pytest.raises(InputError, match="energy offset"):
        _evaluate(committee, _bulk(1))
    assert calls == []
    # other members: judged again, and a genuine committee passes
    committee.set(model=list(tiny[:2]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", EnergyOffsetWarning)
        assert np.isfinite(_evaluate(committee, _bulk(1))["energy_std"])


def test_one_shifted_member_among_genuine_ones_is_refused(tiny, tmp_path):
    copy = _shifted(tiny[0], tmp_path / "shifted" / "model.pth", 1.3)
    committee = Calculator([tiny[0], tiny[1], copy], device="cpu")
    with pytest.raises(InputError, match=r"member 2 .* \+1\.3 eV/atom from member 0"):
        _evaluate(committee, _bulk())


def test_a_small_offset_is_warned_about_once_and_its_spread_is_the_offset(tiny, tmp_path):
    shift = 0.02
    copy = _shifted(tiny[0], tmp_path / "shifted" / "model.pth", shift)
    committee = Calculator([tiny[0], copy], device="cpu")
    atoms = _bulk()
    with pytest.warns(EnergyOffsetWarning, match="no uncertainty of energy differences") as rec:
        results = _evaluate(committee, atoms)
    assert len([w for w in rec if w.category is EnergyOffsetWarning]) == 1
    # two members one shift apart: the population spread is half of it per atom (float32)
    assert results["energy_std"] == pytest.approx(len(atoms) * shift / 2, rel=1e-4)
    assert results["max_forces_std"] < 1e-5  # one network: the forces agree
    with warnings.catch_warnings():
        warnings.simplefilter("error", EnergyOffsetWarning)  # once per element set
        _evaluate(committee, _bulk(1))


def test_genuine_committees_pass_unwarned(tiny):
    """Members trained alike from different seeds differ in how they bind: never an offset,
    on compressed, equilibrium and expanded copper and on a larger cell."""
    frames = (emt_copper(2, a=3.45, rattle=0.1, seed=1) + emt_copper(2, seed=2)
              + emt_copper(2, a=3.75, rattle=0.1, seed=3) + emt_copper(1, seed=4, repeat=2))
    for members in (tiny, tiny[::-1]):
        committee = Calculator(list(members), device="cpu")
        with warnings.catch_warnings():
            warnings.simplefilter("error", EnergyOffsetWarning)
            spreads = [_evaluate(committee, f)["energy_std"] for f in frames]
        assert all(np.isfinite(spreads)) and max(spreads) > 0


def test_sevennet_releases_are_not_an_offset():
    """SevenNet-0's two releases differ in their per-element shift by up to 1.3 eV/atom, which
    their networks absorb: their isolated atoms differ (Li by 1.1 eV), their molecules and
    crystals hardly (water: 6 meV/atom), so their spread is a disagreement, not an offset."""
    from ase.build import bulk, molecule

    committee = Calculator(["sevennet-0", "sevennet-0-22may2024"], device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error", EnergyOffsetWarning)
        for atoms in (molecule("H2O"), bulk("LiF", "rocksalt", a=4.03, cubic=True)):
            assert _evaluate(committee, atoms)["energy_std"] > 0


def test_structures_that_do_not_bind_are_not_judged(tiny, tmp_path):
    """Atoms beyond each other's cutoff: every committee's members differ there by their
    isolated atoms alone, offset or not; the first structure that binds decides."""
    copy = _shifted(tiny[0], tmp_path / "shifted" / "model.pth", 1.3)
    committee = Calculator([tiny[0], copy], device="cpu")
    gas = Atoms("Cu3", positions=[[0, 0, 0], [5, 0, 0], [0, 5, 0]], cell=[15] * 3, pbc=True)
    results = _evaluate(committee, gas)
    assert results["energy_std"] == pytest.approx(3 * 1.3 / 2, rel=1e-5)
    with pytest.raises(InputError, match="energy offset"):
        _evaluate(committee, _bulk())


def test_members_that_cannot_take_a_lone_atom_leave_the_reference_unjudged(tiny, tmp_path):
    """A backend that fails on an atom without neighbours (no graph edges) must not make the
    committee fail: the check is skipped for that element set, the evaluation stands."""
    copy = _shifted(tiny[0], tmp_path / "shifted" / "model.pth", 1.3)
    committee = Calculator([tiny[0], copy], device="cpu")

    def no_lone_atoms(original):
        def calculate(atoms=None, *args, **kwargs):
            if atoms is not None and len(atoms) == 1:
                raise IndexError("index 0 is out of bounds for axis 0 with size 0")
            return original(atoms, *args, **kwargs)
        return calculate

    for member in committee.members:
        member.calculate = no_lone_atoms(member.calculate)
    atoms = _bulk()
    results = _evaluate(committee, atoms)
    assert results["energy_std"] == pytest.approx(len(atoms) * 1.3 / 2, rel=1e-5)
