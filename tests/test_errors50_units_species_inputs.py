"""Units, per-species energy errors and malformed inputs of the intra/inter error metrics.

- ``results.units`` spelled the stress 'eV/Å³' beside Estimates in 'eV/Å^3' (one
  ``diagnose.json`` with two spellings of one unit); both now spell it as
  :mod:`ase_electrolyte.units` does.
- ``rmse_per_species[s]["intra"]["energy"]`` of a single species differed from
  ``rmse["intra"]["energy"]`` (220 against 218 meV/atom, valid against 'too few values') with
  nothing to say why: the first is over every molecule's energy per atom of that molecule, the
  second over the frames' summed intramolecular energy per atom. Each is checked against its
  formula here, and the per-species Estimates' method now says which it is.
- ``error_estimates(..., component_axes=1.0)`` ended in "'float' object cannot be interpreted
  as an integer"; two single numbers were told they "must have the same shape".
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.build import molecule

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402

from ase_electrolyte.units import UNITS  # noqa: E402
from mda_electrolyte.error_metrics import error_estimates, fit_estimates  # noqa: E402
from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402

CELL = np.diag([9.0, 9.5, 10.0])
PLACES = [[0.1, 0.1, 0.1], [0.6, 0.15, 0.2], [0.1, 0.6, 0.5], [0.6, 0.6, 0.7]]


def _frames(names, n_frames=8):
    out = []
    for seed in range(n_frames):
        rng = np.random.default_rng(seed)
        atoms, ids = None, []
        for j, (name, place) in enumerate(zip(names, PLACES, strict=False)):
            m = molecule(name)
            m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
            m.positions += np.array(place) @ CELL - m.get_center_of_mass()
            m.positions += rng.normal(scale=0.03, size=m.positions.shape)
            atoms = m if atoms is None else atoms + m
            ids += [j] * len(m)
        atoms.cell, atoms.pbc = CELL, True
        atoms.arrays["molecule_index"] = np.array(ids)
        out.append(atoms)
    return out


def _run(frames, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # a reference whose intramolecular terms differ: intra errors that are not zero
        return IntraInterErrors(frames, MolecularPairModel(),
                                reference=MolecularPairModel(k=23.0, r0=0.98, sigma=2.4),
                                **kw).run()


SYSTEMS = {"water": ["H2O"] * 4, "water+methanol": ["H2O", "CH3OH", "H2O", "CH3OH"]}


@pytest.fixture(scope="module", params=list(SYSTEMS))
def run(request):
    frames = _frames(SYSTEMS[request.param])
    return frames, _run(frames, keep_arrays=True)


def test_results_units_are_spelled_as_the_estimates_and_the_units_module(run):
    _, errors = run
    r = errors.results
    assert r.units == {"energy": "meV/atom", "forces": "eV/Å", "stress": "eV/Å^3"}
    for q, unit in r.units.items():
        assert unit in UNITS
        for component, entry in r.rmse.items():
            if q in entry:
                assert entry[q].unit == unit, (component, q)


def test_per_species_intra_energy_is_per_molecule_and_says_so(run):
    frames, errors = run
    r = errors.results
    ids = frames[0].arrays["molecule_index"]
    sizes = np.bincount(ids)
    n_atoms = len(frames[0])
    ref, mod = r.molecule_energies["reference"], r.molecule_energies["model"]
    diff = mod - ref  # (n_frames, n_molecules), eV
    # the frames' summed intramolecular energy per atom of the frame
    total = 1000 * np.sqrt(np.mean((diff.sum(axis=1) / n_atoms) ** 2))
    assert r.rmse["intra"]["energy"].value == pytest.approx(total, rel=1e-10)
    species = [frames[0][ids == j].get_chemical_formula(mode="hill") for j in range(sizes.size)]
    for name in dict.fromkeys(species):
        cols = [j for j, s in enumerate(species) if s == name]
        per_molecule = 1000 * np.sqrt(np.mean((diff[:, cols] / sizes[cols]) ** 2))
        est = r.rmse_per_species[name]["intra"]["energy"]
        assert est.value == pytest.approx(per_molecule, rel=1e-10), name
        for e in (est, r.rrmse_per_species[name]["intra"]["energy"]):
            assert "over every molecule's isolated energy per atom of that molecule" \
                in e.method
            assert "rmse['intra']['energy']" in e.method
    # the total's Estimate is no per-molecule number and does not say it is
    assert "every molecule" not in r.rmse["intra"]["energy"].method
    if len(set(species)) == 1:
        # one species: the two differ (by up to sqrt(4) for errors the molecules do not share)
        only = r.rmse_per_species[species[0]]["intra"]["energy"].value
        assert only != pytest.approx(total, rel=1e-6)
        assert total <= only * (1 + 1e-12) <= 2 * total


@pytest.mark.parametrize("axes", [1.0, np.float64(1.0), "1", True, 3, -1, None])
def test_component_axes_that_are_no_whole_number_0_to_2_are_named(axes):
    x = np.random.default_rng(0).normal(size=(6, 4, 3))
    with pytest.raises(ValueError, match=r"component_axes must be 0, 1 or 2 .* not "):
        error_estimates(x, x + 0.1, "eV/Å", component_axes=axes)


@pytest.mark.parametrize("axes", [1, np.int64(1), np.int32(1)])
def test_whole_number_component_axes_give_the_same_errors(axes):
    x = np.random.default_rng(0).normal(size=(6, 4, 3))
    got = error_estimates(x, 1.1 * x, "eV/Å", component_axes=axes)
    want = error_estimates(x, 1.1 * x, "eV/Å", component_axes=1)
    assert got == want


@pytest.mark.parametrize("reference, model", [
    (1.0, 2.0), (np.float64(1.0), np.float64(1.5)), (np.array(3.0), np.array(3.0)),
    (1.0, [1.0, 2.0]), ([1.0, 2.0], 2.0)])
@pytest.mark.parametrize("function", [error_estimates, fit_estimates])
def test_single_numbers_are_named_as_such(reference, model, function):
    args = (reference, model, "eV")
    with pytest.raises(ValueError, match=r"a single number is no values per frame; give "
                                         r"arrays with frames first"):
        function(*args)


@pytest.mark.parametrize("atom_types", [None, "categories", "numpy str", "integers"])
def test_labels_of_the_per_group_results_are_plain_str(atom_types):
    # keys were np.str_('H2O') (every repr showed the NumPy type) for species and atom types
    frames = _frames(SYSTEMS["water+methanol"], n_frames=3)
    n = len(frames[0])
    given = {"numpy str": np.array(["a", "b", "c"])[np.arange(n) % 3],
             "integers": np.arange(n) % 2}.get(atom_types, atom_types)
    r = _run(frames, atom_types=given).results
    for tree in (r.softening, r.softening_ols, r.rmse_per_species, r.rrmse_per_species,
                 r.rmse_per_element, r.rrmse_per_element):
        assert tree and all(type(k) is str for k in tree), list(tree)
    assert set(r.rmse_per_species) == {"H2O", "CH4O"}
    if atom_types == "integers":
        assert set(r.softening) == {"0", "1"}
