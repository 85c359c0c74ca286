"""SolvationShells' inputs read one way whatever their spelling, refused before the pass.

Before: ``rdf_range=(0, 0.8)`` or ``max_cutoff=0.35`` (nm for Å) ran the whole pass to "no
first minimum found ... within (0.0, 0.8) Å", where a given cutoff of 0.26 was refused at once
with the nm advice (each now told the reading that brings it in, ``0.26 nm = 2.6 Å``, by
units.slip_advice); ``cutoffs={"ec": 2.6}`` for the solvent ``"EC"`` was refused as an
unknown species, and so were ``network_species=["pf6"]`` and
``shell_results(table, {"ec": 2.6, ...})``.
"""

import warnings

import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte.solvation import shell_results

CUTOFFS = {"EC": 2.6, "PF6": 2.6}


@pytest.fixture(scope="module")
def universe():
    # a CIP (3 EC and a PF6 on one Li⁺) and an SSIP (4 EC)
    return build([((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
                  ((15, 15, 15), [("EC", None, "Oc")] * 4)])


def _unread(u):
    """``u`` whose reader refuses to read a frame: a refusal must come before the pass."""
    def refuse(*args, **kwargs):
        raise AssertionError("a frame was read before the refusal")

    u.trajectory._read_frame = refuse
    u.trajectory._read_next_timestep = refuse
    return u


@pytest.mark.parametrize("kwargs,named", [({"rdf_range": (0.0, 0.8)}, "rdf_range's end 0.8 Å"),
                                          ({"max_cutoff": 0.35}, "max_cutoff = 0.35 Å")])
def test_a_search_range_in_nm_is_refused_before_the_pass(universe, kwargs, named):
    u = build([((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    shells = None
    with pytest.raises(ValueError, match=rf"{named} is shorter than any cation–ligand contact.*"
                                         r"is it in nm\? 0\.\d+ nm = \d\.?\d* Å$") as err:
        shells = SolvationShells(*groups(_unread(u)), **kwargs)
        shells.run()
    assert shells is None
    # the species whose cutoffs the search was for
    assert "['EC', 'PF6']" in str(err.value)


def test_every_cutoff_given_needs_no_search_range(universe):
    # the range ends short of the cutoffs' search, but there is no search: the cutoffs must
    # lie within the range, as before
    with pytest.raises(ValueError, match="outside the RDF range"):
        SolvationShells(*groups(universe), cutoffs=CUTOFFS, rdf_range=(0.0, 0.8))


def test_species_names_in_any_case_are_the_species(universe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        exact = SolvationShells(*groups(universe), cutoffs=CUTOFFS,
                                network_species=["PF6"]).run().results
        spelt = SolvationShells(*groups(universe), cutoffs={"ec": 2.6, " Pf6 ": 2.6},
                                network_species=["pf6"]).run().results
    assert spelt.cutoffs == exact.cutoffs == CUTOFFS
    assert spelt.cutoff_source == {"EC": "given", "PF6": "given"}
    assert spelt.coordination_numbers == exact.coordination_numbers == {"EC": 3.5, "PF6": 0.5}
    assert spelt.fractions == exact.fractions
    assert spelt.network_sizes == exact.network_sizes
    # and the table's own counting, as the shells are recounted with other cutoffs
    again = shell_results(exact.table, {"Ec": 2.6, "PF6": 2.6}, network_species=["pf6"])
    assert again["coordination_numbers"] == exact.coordination_numbers
    assert again["fractions"] == exact.fractions


@pytest.mark.parametrize("cutoffs,message", [
    ({"EC": 2.6, "ec": 2.5}, r"cutoffs names species 'EC' twice \('ec' and another spelling\)"),
    ({"ECC": 2.6}, r"unknown species 'ECC' \(did you mean 'EC'\?\); known: \['EC', 'PF6'\]"),
])
def test_a_cutoff_key_that_is_no_one_species_is_refused(universe, cutoffs, message):
    with pytest.raises(ValueError, match=message):
        SolvationShells(*groups(universe), cutoffs=cutoffs)
