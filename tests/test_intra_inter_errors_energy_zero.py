"""Reference energies of another zero (another code's atomic reference energies).

The total energies of two codes differ by tens to hundreds of eV per atom whatever the
configuration: compared as they are, the model's energy RMSE was 150 000 meV/atom, its RRMSE
389, both called valid. Now the total and intra energy errors are marked not valid with the
offset named; the inter energy (a difference within each method) and the forces keep their
numbers and verdicts, and a model with real energy errors is not taken for another zero.
"""

import functools
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    MAX_ENERGY_OFFSET,
    IntraInterErrors,
    energy_zero_doubt,
)

FRAMES = [_frame(seed=s) for s in range(24)]
REF = MolecularPairModel(sigma=2.4)


def _labels(offset, frames=FRAMES):
    out = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = REF
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=probe.get_potential_energy()
                                         + offset * len(atoms), forces=probe.get_forces(),
                                         stress=probe.get_stress())
        out.append(lab)
    return out


def _isolated(offset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = IntraInterErrors(FRAMES, MolecularPairModel(), reference=_labels(0.0))
    out = []
    for mol in probe.unique_isolated_molecules():
        m = mol.copy()
        m.calc = REF
        m.calc = SinglePointCalculator(m, energy=m.get_potential_energy() + offset * len(m),
                                       forces=m.get_forces())
        out.append(m)
    return out


@functools.lru_cache(maxsize=None)
def _run(offset):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = IntraInterErrors(FRAMES, MolecularPairModel(), reference=_labels(offset),
                             reference_isolated=_isolated(offset)).run().results
    return r, [str(w.message) for w in caught]


@pytest.mark.parametrize("offset", [-150.0, 3.0])
def test_energies_of_another_zero_mark_total_and_intra_energy_alone(offset):
    right, quiet = _run(0.0)
    got, said = _run(offset)
    assert any("energies of another zero" in w for w in said)
    assert not any("another zero" in w for w in quiet)
    # 24 frames: one energy per frame cannot show their correlation (it takes 54), the one
    # note the right labels' energy error may carry
    assert all(n.startswith("too few frames to measure correlation")
               for n in right.rmse["total"]["energy"].notes)
    for tree in (got.rmse, got.rrmse):
        for c in ("total", "intra"):
            assert not tree[c]["energy"].valid
            named = re.search(r"differ from the reference's by (\S+) meV/atom",
                              tree[c]["energy"].verdict)
            assert float(named.group(1)) == pytest.approx(-offset * 1000, abs=10.0)
    for species in got.rmse_per_species:
        assert not got.rmse_per_species[species]["intra"]["energy"].valid
    # the inter energy and every force keep the numbers and verdicts of the same zero
    a, b = got.rmse["inter"]["energy"], right.rmse["inter"]["energy"]
    assert a.value == pytest.approx(b.value, rel=1e-6, abs=1e-9) and a.valid == b.valid
    for c in ("total", "intra", "inter", "trans", "rot", "vib"):
        a, b = got.rmse[c]["forces"], right.rmse[c]["forces"]
        assert (a.value, a.valid) == (b.value, b.valid)


def test_real_energy_errors_are_not_another_zero():
    rng = np.random.default_rng(3)
    ref = rng.normal(size=40) * 15.0
    n = 15
    # errors of 50 meV/atom about zero, or an offset of 0.9 eV/atom: a (bad) model's
    assert energy_zero_doubt(ref, ref + rng.normal(scale=0.05 * n, size=40), n) is None
    assert energy_zero_doubt(ref, ref + 0.9 * n, n) is None
    # an offset of 2 eV/atom with errors of 0.5 eV/atom about it: no constant
    assert energy_zero_doubt(ref, ref + 2.0 * n + rng.normal(scale=0.5 * n, size=40), n) is None
    doubt = energy_zero_doubt(ref, ref + 2.0 * n + rng.normal(scale=0.01 * n, size=40), n)
    assert doubt is not None and "another zero" in doubt
    assert MAX_ENERGY_OFFSET == 1.0
    # energies 0.8 times the reference's: a difference that follows the energy, a model error
    assert energy_zero_doubt(ref - 10.0 * n, 0.8 * (ref - 10.0 * n), n) is None
    # one or two frames cannot tell a constant
    assert energy_zero_doubt(ref[:2], ref[:2] + 100.0 * n, n) is None
