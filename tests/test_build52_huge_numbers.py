"""Whole numbers beyond a float: ``check_number(10**400)`` raised a bare OverflowError from
``float()`` (naming no argument), and ``electrolyte_box(counts={"EC": 1e308})`` an
OverflowError while writing its own refusal (``float(10 * 10**308)``). Both are refused by
name, the number shown in a few digits; the same bounds hold for the numbers a float holds."""
import pytest

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.build import composition_counts, electrolyte_box


@pytest.mark.parametrize("value, shown", [(10**400, "1.00e+400"), (-(10**400), "-1.00e+400"),
                                          (7 * 10**309, "7.00e+309")])
@pytest.mark.parametrize("kwargs", [{}, {"integer": True}, {"minimum": 0}, {"maximum": 10},
                                    {"integer": True, "minimum": 1, "maximum": 10**6}])
def test_an_int_beyond_a_float_is_refused_by_name(value, shown, kwargs):
    with pytest.raises(ValueError) as err:
        check_number("steps", value, **kwargs)
    assert str(err.value).startswith("steps must be a ") and f"got {shown}" in str(err.value)


@pytest.mark.parametrize("value", [2**70, 10**20, 5])
def test_ints_a_float_holds_keep_their_bounds(value):
    assert check_number("steps", value, integer=True) == value
    with pytest.raises(ValueError, match=f"got {value}$"):
        check_number("steps", value, integer=True, maximum=4)


@pytest.mark.parametrize("count, said", [(1e308, "make 1e+309 atoms"),
                                         (10**400, "count of EC must be a whole number"),
                                         (1e300, "make 1e+301 atoms")])
def test_a_box_of_absurd_counts_is_refused_by_name(count, said):
    with pytest.raises(ValueError, match=said.replace("+", r"\+")):
        electrolyte_box(counts={"EC": count}, seed=0)


@pytest.mark.parametrize("keyword", ["n_atoms", "concentration"])
def test_composition_numbers_beyond_a_float_are_refused_by_name(keyword):
    kwargs = {"n_atoms": 400, "concentration": 1.0, keyword: 10**400}
    with pytest.raises(ValueError, match=f"{keyword} must be"):
        composition_counts({"EC": 1}, "LiPF6", kwargs.pop("concentration"), **kwargs)
