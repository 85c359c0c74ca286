"""``no_minimum="preset"`` that cannot fall back to anything is refused before the pass.

Ju et al. (2025)'s donor-atom cutoffs (Li–O 2.6 Å, Li–P 4.2 Å) are Li⁺'s, and exist only for
species with such donors. Before, ``no_minimum="preset"`` with Na⁺ or K⁺ cations, or where no
species whose cutoff is searched has a donor-atom preset (water, a sulfonyl anion), was taken:
where the RDFs had first minima the run went as ``"raise"`` without a word (a setting without
effect), and where one had none it read every frame and only then raised.
"""

import warnings

import numpy as np
import pytest
from test_solvation import build, groups
from test_solvation_ion_counts_and_mixed_donors import _mixed_donor_shells

from mda_electrolyte import SolvationShells


def _shells(cation, n_frames=6):
    # 16 cations, 3-4 EC and some a PF6 each, jittered: every RDF has a first minimum
    shells = [((5 + 10 * i, 5 + 10 * j, 5),
               [("EC", None, "Oc")] * (3 + (i + j) % 2) + [("PF6", None)] * ((i * j) % 2))
              for i in range(4) for j in range(4)]
    u = build(shells, cation=cation)
    rng = np.random.default_rng(0)
    pos = u.atoms.positions
    frames = np.array([pos + rng.normal(0, 0.1, pos.shape) for _ in range(n_frames)]) % 40.0
    u.load_new(frames.astype(np.float32), dimensions=u.dimensions)
    return u


@pytest.mark.parametrize("cation", ["Na", "K"])
@pytest.mark.parametrize("cutoffs", [None, {"EC": 2.6}, {"PF6": 3.0}])
def test_other_cations_have_no_preset_to_fall_back_to(cation, cutoffs):
    u = _shells(cation)
    with pytest.raises(ValueError, match="no_minimum='preset'") as err:
        SolvationShells(*groups(u, cation), cutoffs=cutoffs, no_minimum="preset")
    assert repr(cation) in str(err.value) and "Li⁺" in str(err.value)
    # the same run without it finds its minima: the setting changed nothing there
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        found = SolvationShells(*groups(u, cation), cutoffs=cutoffs).run().results
    assert set(found.cutoff_source.values()) <= {"given", "rdf_minimum"}


@pytest.mark.parametrize("given", [{}, {"FSO": 2.5}, {"WAT": 2.5}])
def test_species_without_donor_atoms_have_no_preset(given):
    u = _mixed_donor_shells(n_frames=12)
    searched = sorted({"FSO", "WAT"} - set(given))
    with pytest.raises(ValueError, match="no first minimum") as err:
        SolvationShells(u.select_atoms("element Li"), {"FSO": u.select_atoms("resname FSO")},
                        {"WAT": u.select_atoms("resname WAT")}, cutoffs=given or None,
                        no_minimum="preset")
    assert "has no donor-atom cutoff" in str(err.value) and str(searched) in str(err.value)


@pytest.mark.parametrize("given", [None, {"EC": 2.6}, {"PF6": 3.0}])
def test_lithium_with_a_preset_species_searched_is_taken(given):
    u = _shells("Li")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = SolvationShells(*groups(u), cutoffs=given, no_minimum="preset").run().results
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = SolvationShells(*groups(u), cutoffs=given).run().results
    # the minima are found, so the fallback is not used: the same cutoffs and shells
    assert res.cutoffs == pytest.approx(plain.cutoffs)
    assert res.coordination_numbers == pytest.approx(plain.coordination_numbers)
    assert "preset_fallback" not in res.cutoff_source.values()
