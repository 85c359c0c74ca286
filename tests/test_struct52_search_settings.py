"""SolvationShells refuses settings of the first-minimum search where no minimum is searched.

``no_minimum``, ``rdf_smoothing`` and ``max_cutoff`` steer the search of the cation-species
RDF first minima. Where every species' cutoff is known before the pass (``cutoffs=`` for all,
or the donor-atom presets of ``cutoff_convention="donor_atoms"``) nothing is searched:
``no_minimum="preset"``, ``rdf_smoothing=0.5`` or ``max_cutoff=4.0`` changed nothing, without a
word, and the shells read as those of a search the caller had tuned. Now refused by name
before the pass; their defaults given explicitly still pass, and where a cutoff is to be found
the same settings are taken.
"""

import warnings

import pytest
from test_struct29_solvation_analysis_cases import RADII, _cell

from mda_electrolyte import SolvationShells

SETTINGS = [("no_minimum", "preset"), ("rdf_smoothing", 0.5), ("max_cutoff", 4.0)]


@pytest.fixture(scope="module")
def groups():
    u = _cell(n_frames=3)
    return (u.select_atoms("element Li"), u.select_atoms("resname BF4"),
            u.select_atoms("resname DME"))


def _all_known(groups, **kw):
    li, bf4, dme = groups
    return SolvationShells(li, {"BF4": bf4}, {"DME": dme}, cutoffs=RADII, **kw)


def _presets(groups, **kw):
    # the DME oxygens are bonded to carbon: Ju et al. (2025)'s Li-O preset for every species
    li, _, dme = groups
    return SolvationShells(li, {}, {"DME": dme}, cutoff_convention="donor_atoms", **kw)


@pytest.mark.parametrize("make,source", [(_all_known, r"cutoffs=\{'BF4': 2.5, 'DME': 2.6\}"),
                                         (_presets, "donor_atoms")],
                         ids=["cutoffs", "donor_atoms"])
@pytest.mark.parametrize("setting,value", SETTINGS, ids=[s for s, _ in SETTINGS])
def test_a_search_setting_without_a_search_is_refused_by_name(groups, make, source, setting,
                                                              value):
    with pytest.raises(ValueError, match=rf"^SolvationShells: {setting}={value!r} sets the "
                                         rf"search .*{source}.* no effect"):
        make(groups, **{setting: value})


@pytest.mark.parametrize("make", [_all_known, _presets], ids=["cutoffs", "donor_atoms"])
def test_the_defaults_given_explicitly_are_the_defaults(groups, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = make(groups).run(stop=2).results
        spelt = make(groups, no_minimum="Raise", rdf_smoothing=0.2, max_cutoff=6).run(
            stop=2).results
    assert spelt.cutoffs == plain.cutoffs
    assert spelt.coordination_numbers == plain.coordination_numbers


@pytest.mark.parametrize("setting,value", SETTINGS, ids=[s for s, _ in SETTINGS])
def test_where_a_cutoff_is_searched_the_settings_are_taken(groups, setting, value):
    li, bf4, dme = groups
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        shells = SolvationShells(li, {"BF4": bf4}, {"DME": dme}, cutoffs={"BF4": 2.5},
                                 **{setting: value}).run()
    assert shells.results.cutoffs["BF4"] == 2.5
    assert shells.results.cutoffs["DME"] > 2.0
    # and read: a wider smoothing finds another DME minimum, a max_cutoff short of the
    # minimum stops the search
    if setting == "rdf_smoothing":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            default = SolvationShells(li, {"BF4": bf4}, {"DME": dme},
                                      cutoffs={"BF4": 2.5}).run()
        assert shells.results.cutoffs["DME"] != default.results.cutoffs["DME"]
    if setting == "max_cutoff":
        with pytest.raises(ValueError, match="lie beyond max_cutoff"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            SolvationShells(li, {"BF4": bf4}, {"DME": dme}, cutoffs={"BF4": 2.5},
                            max_cutoff=2.2).run()
