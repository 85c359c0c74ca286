"""A box given by molecule counts refuses the arguments that only a composition reads.

``electrolyte_box(counts=..., n_atoms=5000)`` packed the counts' molecules (40 atoms for four
EC) and ignored ``n_atoms`` without a word; ``units="molar"`` and ``ratio="mole"`` likewise.
They are now refused before any conformer or PACKMOL run; their default values, which every
caller that gives counts passes implicitly, are accepted.
"""

import pytest

pytest.importorskip("rdkit")

import builder_stops  # noqa: E402

import ase_electrolyte.build as build  # noqa: E402
from ase_electrolyte.build import electrolyte_box  # noqa: E402

no_work = builder_stops.no_work  # the shared fixture


@pytest.mark.parametrize("kw, named", [
    ({"n_atoms": 5000}, "n_atoms=5000 is for a composition"),
    ({"n_atoms": 40}, "n_atoms=40 is"),  # even the counts' own size: it is not read
    ({"n_atoms": True}, "n_atoms=True is"),
    ({"n_atoms": float("nan")}, "n_atoms=nan is"),
    ({"units": "molar"}, "units='molar' is"),
    ({"units": "mol/kg"}, "units='mol/kg' is"),
    ({"ratio": "mole"}, "ratio='mole' is"),
    ({"ratio": "mole", "n_atoms": 200}, "n_atoms=200, ratio='mole' are for a composition"),
])
def test_composition_arguments_with_counts_are_refused_before_any_work(kw, named, no_work):
    with pytest.raises(ValueError, match=named) as err:
        electrolyte_box(counts={"EC": 4}, density=1.0, seed=0, **kw)
    assert "would be ignored with counts=" in str(err.value)


class _Stop(Exception):
    pass


@pytest.mark.parametrize("kw", [{}, {"n_atoms": 1000}, {"n_atoms": 1000.0}, {"units": "molal"},
                                {"ratio": "mass"}])
def test_the_defaults_given_with_counts_are_accepted(kw, monkeypatch):
    def stop(exe, structures, *args, **kwargs):
        raise _Stop([(sp.name, n) for sp, _, n, _ in structures])

    monkeypatch.setattr(build, "_run_packmol", stop)
    with pytest.raises(_Stop) as err:
        electrolyte_box(counts={"EC": 4, "Li": 1, "PF6": 1}, density=1.0, seed=0, **kw)
    assert err.value.args[0] == [("EC", 4), ("Li", 1), ("PF6", 1)]
