"""A composition the builder cannot pack names its cure: what to give, and the numbers that
make it so (LiPF6 151.9 g/mol: 1 mol/L of it alone weighs 0.1519 kg per litre)."""
import re

import pytest
from ase.build import molecule

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import get_salt


@pytest.mark.parametrize("concentration", [1e-6, 1e-9, 1e-300])
def test_a_salt_too_dilute_for_any_box_asks_for_a_higher_concentration(concentration):
    with pytest.raises(ValueError) as err:
        composition_counts({"EC": 3, "EMC": 7}, "LiPF6", concentration)
    message = str(err.value)
    # "no box ... keeps one of each, or a higher concentration" named no cure to give
    assert message.endswith("keeps one of each; give a higher concentration")
    exact = float(re.search(r"its (\S+) ion pairs", message).group(1))
    assert 0 < exact < 1e-3 or concentration == 1e-300


def test_a_salt_too_dilute_for_this_box_gives_the_smallest_box_that_holds_it():
    with pytest.raises(ValueError) as err:
        composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 0.01)
    message = str(err.value)
    smallest = int(re.search(r"give n_atoms=(\d+) or more", message).group(1))
    assert message.endswith("or a higher concentration")
    # the box named holds one ion pair, one atom fewer does not
    counts = {sp.name: n for sp, n in composition_counts(
        {"EC": 3, "EMC": 7}, "LiPF6", 0.01, n_atoms=smallest).items()}
    assert counts["Li"] == counts["PF6"] == 1
    with pytest.raises(ValueError):
        composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 0.01, n_atoms=smallest - 1)


@pytest.mark.parametrize("salt", [None, "LiPF6"])
@pytest.mark.parametrize("share, any_box", [(1e-3, True), (1e-8, False)])
def test_a_solvent_lost_to_rounding_asks_for_a_larger_share_of_it(salt, share, any_box):
    kw = {} if salt is None else {"salt": salt, "concentration": 1.0}
    with pytest.raises(ValueError) as err:
        composition_counts({"EC": share, "EMC": 7}, **kw)
    message = str(err.value)
    assert message.endswith("a larger share of EC")
    # a higher concentration keeps no solvent
    assert "concentration" not in message.split("rounding to whole molecules")[1]
    assert ("give n_atoms=" in message) == any_box


@pytest.mark.parametrize("concentration, density", [(1.0, 0.01), (1.0, 0.1519), (8.0, 1.2),
                                                    (3.0, 0.3)])
def test_a_molar_salt_heavier_than_its_litre_names_its_mass_and_cures(concentration, density):
    with pytest.raises(ValueError) as err:
        composition_counts({"EC": 3, "EMC": 7}, "LiPF6", concentration, units="molar",
                           density=density)
    message = str(err.value)
    salt_kg = concentration * get_salt("LiPF6").mass / 1000.0
    assert f"concentration={concentration}" in message and f"density={density}" in message
    assert f"weighs {salt_kg:.4g} kg per litre" in message
    assert f"above {salt_kg:.4g} g/cm³" in message and message.endswith("a lower concentration")


def test_a_molar_salt_lighter_than_its_litre_packs():
    # 1 mol/L LiPF6 at 1.2 g/cm³: 0.152 kg of salt, 1.048 kg of solvent in the litre
    counts = {sp.name: n for sp, n in composition_counts(
        {"EC": 1}, "LiPF6", 1.0, units="molar", density=1.2, n_atoms=3000).items()}
    molality = counts["Li"] / (counts["EC"] * 88.062 / 1000.0)
    assert molality == pytest.approx(1.0 / 1.048, rel=0.03)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_candidate_labelled_already_is_named_for_the_python_and_command_line(n):
    from ase_electrolyte.active_learning import select_candidates

    frames = []
    for k in range(n):
        atoms = molecule("H2O", vacuum=3.0)
        atoms.positions[0, 0] += 0.2 * k
        frames.append(atoms)
    with pytest.raises(ValueError) as err:
        select_candidates(frames, 1, exclude=[f.copy() for f in frames[::-1]])
    message = str(err.value)
    # "a frame of exclude" named the Python keyword, which the command line shows too
    assert "of exclude" not in message
    assert f"every one of the {n} candidate frame(s) is one of the frames labelled already" \
        in message and message.endswith("collected since they were labelled")
