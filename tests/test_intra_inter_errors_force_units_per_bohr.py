"""Reference forces per Bohr in eV or kJ/mol: a unit mistake, not a model error.

Forces in eV/Bohr are 0.529 times those in eV/Å and in kJ/(mol·Bohr) 51.06 times: neither was
among the units judged, so that the model looked 1.9 times too stiff (or 51 times too soft)
with its force errors marked valid. Isolated-molecule forces against the frame's are not
judged by them: an intramolecular force half the total is physics there.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402
from test_intra_inter_errors_label_units import _labels, _run, _verdicts  # noqa: E402

from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    FORCE_UNIT_FACTORS,
    _isolated_force_doubt,
    unit_doubt,
)

BOHR = 0.529177


@pytest.mark.parametrize("unit, factor", [("eV/bohr", BOHR), ("kJ/mol/bohr", 96.4853 * BOHR)])
def test_forces_per_bohr_are_named(unit, factor):
    assert FORCE_UNIT_FACTORS[unit] == pytest.approx(factor)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 30, 3))
    model = x + 0.05 * rng.normal(size=x.shape)  # a model 5 % off, per component
    doubt = unit_doubt(factor * x, model, "forces")
    assert doubt is not None and f"in {unit} rather than eV/Å" in doubt
    # a softened or stiffened model (0.8, 1.25 times) is none
    assert unit_doubt(0.8 * x, model, "forces") is None
    assert unit_doubt(1.25 * x, model, "forces") is None


def test_labels_in_ev_per_bohr_mark_every_number():
    frames = [_frame(seed=s) for s in range(3)]
    model = MolecularPairModel(scale=0.99)
    labels = _labels(frames, MolecularPairModel(), forces=BOHR)
    r = _run(frames, model, labels, "eV/bohr")
    marked = _verdicts(r.estimates, "forces")
    assert marked and all(not e.valid and "eV/bohr" in e.verdict for e in marked.values())
    # the other labels came with the forces: doubted too, as for every force unit
    assert not r.rmse["total"]["energy"].valid
    assert all(not e.valid for e in r.softening.values())


def test_intramolecular_forces_half_the_total_are_no_unit_mistake():
    rng = np.random.default_rng(4)
    total = rng.normal(size=(5, 12, 3))
    polyatomic = np.ones(12, dtype=bool)
    assert _isolated_force_doubt(BOHR * total, total, polyatomic) is None
    # a real unit slip of the isolated labels is still named
    assert "kcal/mol" in _isolated_force_doubt(23.0605 * total, total, polyatomic)
