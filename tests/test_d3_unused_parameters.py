"""D3 parameters that the chosen damping does not use are refused, not dropped."""

import pytest

from ase_electrolyte.d3 import D3
from ase_electrolyte.d3.parameters import _KNOWN_KEYS, known_dampings, resolve_parameters

# the parameters each damping reads (Grimme et al. 2010 zero damping; Grimme, Ehrlich and
# Goerigk 2011 rational damping; Smith et al. 2016 modified dampings; Witte et al. 2017
# optimized power; Schröder et al. 2015 CSO, whose a3/a4 are stored as rs6/rs8)
USED = {
    "bj": {"s6", "s8", "a1", "a2", "alp", "s9"},
    "bjm": {"s6", "s8", "a1", "a2", "alp", "s9"},
    "zero": {"s6", "s8", "rs6", "rs8", "alp", "s9"},
    "zerom": {"s6", "s8", "rs6", "rs8", "alp", "bet", "s9"},
    "op": {"s6", "s8", "a1", "a2", "alp", "bet", "s9"},
    "cso": {"s6", "a1", "a2", "rs6", "rs8", "a3", "a4", "alp", "s9"},
}


def test_the_table_covers_every_damping():
    assert set(USED) == set(known_dampings())


@pytest.mark.parametrize("damping", sorted(USED))
def test_a_parameter_the_damping_does_not_use_is_refused(damping):
    for key in sorted(_KNOWN_KEYS - USED[damping]):
        with pytest.raises(ValueError, match=rf"D3\({damping}\) does not use parameter\(s\) "
                                             rf"\['{key}'\]"):
            resolve_parameters(damping, None, {key: 1.0}, atm=False)
        with pytest.raises(ValueError, match=rf"does not use parameter\(s\) \['{key}'\]"):
            D3(damping=damping, params={key: 1.0}, device="cpu")


@pytest.mark.parametrize("damping", sorted(USED))
def test_every_parameter_the_damping_uses_is_taken(damping):
    # distinct admissible values near the published ones (a value of 0.5 for every parameter
    # is now refused: a2 = 0.5 bohr leaves bonded atoms nearly undamped)
    values = {"s6": 0.9, "s8": 0.8, "s9": 0.7, "a1": 0.45, "a2": 4.5, "rs6": 1.2, "rs8": 1.05,
              "alp": 15.0, "bet": 0.05 if damping == "zerom" else 6.5}
    if damping == "cso":
        values.update(a1=0.3, a2=2.6, rs6=0.1, rs8=6.0)
    params = {key: values[key] for key in USED[damping] if key not in ("a3", "a4")}
    out = resolve_parameters(damping, None, params, atm=True)
    for key, value in params.items():
        if damping == "cso" and key in ("rs6", "rs8"):
            key = {"rs6": "a3", "rs8": "a4"}[key]
        assert out[key] == value


def test_changing_the_damping_under_parameters_it_does_not_use_is_refused():
    calc = D3(damping="bj", functional=None, params={"s6": 1.0, "s8": 0.79, "a1": 0.43,
                                                    "a2": 4.44}, device="cpu")
    with pytest.raises(ValueError, match=r"D3\(zero\) does not use parameter\(s\) \['a1', 'a2'\]"):
        calc.set(damping="zero")
    assert calc.damping == "bj"
