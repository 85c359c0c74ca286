"""``units="molar"`` without a salt: a pure solvent has no concentration, so neither the units
nor a density change a count. ``composition_counts({"EC": 1}, units="molar", density=1.2)``
and ``density=2.5`` gave the same molecules without a word (the density that was a slip went
unnoticed), as ``electrolyte simulate`` refuses ``--units`` without ``--salt``. Refused, in
every spelling of molar units, with and without a density, from ``composition_counts`` and
``electrolyte_box`` (before any conformer or PACKMOL run); the same pure solvent without the
units is taken, and a box's own density keeps working."""
import pytest

from ase_electrolyte.build import composition_counts, electrolyte_box

_MOLAR = ["molar", "mol/L", "mol/dm3", "molarity", " MOL/L "]
_SOLVENTS = [{"EC": 1}, {"EC": 3, "EMC": 7}, "DMC", {"H2O": 1}]


def _named(counts):
    return {sp.name: n for sp, n in counts.items()}


@pytest.mark.parametrize("units", _MOLAR)
@pytest.mark.parametrize("density", [None, 1.2, 2.5])
@pytest.mark.parametrize("solvent", _SOLVENTS, ids=str)
def test_molar_units_without_a_salt_are_refused_naming_the_cure(units, density, solvent):
    plain = composition_counts(solvent, n_atoms=300)
    assert sum(plain.values()) > 0  # the pure solvent alone is taken
    with pytest.raises(ValueError) as err:
        composition_counts(solvent, None, 0.0, units=units, n_atoms=300, density=density)
    message = str(err.value)
    assert f"units={units!r}" in message and "no effect without a salt" in message
    assert (f"and density={density!r}" in message) == (density is not None)
    assert "leave out units=" in message and "give salt= and concentration=" in message


@pytest.mark.parametrize("units", _MOLAR)
def test_the_box_refuses_them_before_packing(units, monkeypatch):
    import ase_electrolyte.build as build

    def no_conformers(*args, **kwargs):
        raise AssertionError("a conformer was built before the refusal")

    monkeypatch.setattr(build, "conformer", no_conformers)
    monkeypatch.setattr(build, "conformer_ensemble", no_conformers)
    with pytest.raises(ValueError, match="no effect without a salt"):
        electrolyte_box({"EC": 1}, units=units, density=1.3, n_atoms=100, seed=0)


def test_a_pure_solvent_counts_do_not_depend_on_a_density():
    """Why the density is refused: where it is taken (a salt given in mol/L) it moves the
    counts; for the pure solvent no density changes them, so one given was ignored."""
    counts = {d: _named(composition_counts({"EC": 1}, "LiPF6", 1.0, units="molar",
                                           n_atoms=5000, density=d)) for d in (1.1, 1.6)}
    assert counts[1.1]["Li"] / counts[1.1]["EC"] > counts[1.6]["Li"] / counts[1.6]["EC"]
    assert _named(composition_counts({"EC": 1}, n_atoms=5000)) == {"EC": 500}


@pytest.mark.parametrize("solvent", _SOLVENTS, ids=str)
@pytest.mark.parametrize("density", [1.2, 12.0])
def test_a_molal_pure_solvents_density_is_not_cured_by_molar_units(solvent, density):
    """The refusal of a density beside molal units advised units='molar', which a pure
    solvent's composition refuses in turn: its cure is to leave the density out."""
    with pytest.raises(ValueError) as err:
        composition_counts(solvent, n_atoms=300, density=density)
    message = str(err.value)
    assert "leave it out" in message and "pure solvent has no concentration" in message
    assert "with units='molar'" not in message


def test_a_huge_count_is_named_in_few_digits():
    """1e300 molecules of EC wrote the 301 digits of their atoms' count."""
    with pytest.raises(ValueError) as err:
        electrolyte_box(counts={"EC": 1e300}, seed=0)
    assert "make 1e+301 atoms" in str(err.value) and len(str(err.value)) < 300
    with pytest.raises(ValueError, match="make 1000010 atoms"):
        electrolyte_box(counts={"EC": 100001}, seed=0)
