"""The bridging convention counts frames in which no anion lies in any shell.

Before: ``shell_classes(..., "bridging")`` took the largest molecule index of the shells'
molecules, a reduction over nothing when no shell held one: a streamed run
(``store_table=False``, or a dropped table) whose anion cutoff was measured (an RDF minimum,
or a measured Estimate given) counts its shells at ``r_c ± δ`` frame by frame with the anions
alone, and one frame without an anion in any shell stopped the run with "SolvationShells:
zero-size array to reduction operation maximum which has no identity". The table kept
counted the same frames.
"""

import warnings

import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from test_solvation import build, groups

import mda_electrolyte.solvation as solvation
from ase_electrolyte.estimate import Estimate
from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_composition import ShellMolecules, shell_classes


def _no_molecules():
    return ShellMolecules(shell=np.zeros(0, np.int64), molecule=np.zeros(0, np.int32),
                          species=np.zeros(0, np.int8), has_c=np.zeros(0, bool),
                          has_e=np.zeros(0, bool))


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
def test_shells_without_molecules_are_ssip(convention):
    counts = np.zeros((2, 3, 2), np.int32)
    classes = shell_classes(counts, _no_molecules(), [1], convention)
    assert classes.shape == (2, 3) and not classes.any()


def _half_free():
    """One Li⁺ with 3 EC and a PF6⁻ in its shell in frames 0 and 2; the PF6⁻ 12 Å away in
    frames 1 and 3."""
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    near = u.atoms.positions.copy()
    far = near.copy()
    far[u.select_atoms("resname PF6").ix] += np.array([12.0, 0.0, 0.0])
    u.load_new(np.array([near, far, near, far], dtype=np.float32), format=MemoryReader,
               dimensions=u.dimensions)
    return u


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
@pytest.mark.parametrize("store_table", [True, False, "dropped"])
def test_a_frame_of_free_cations_is_counted(monkeypatch, convention, store_table):
    u = _half_free()
    cutoffs = {"EC": 2.6, "PF6": Estimate(3.0, 0.2, "Å", "RDF first minimum", n_samples=100)}
    if store_table == "dropped":
        monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
        monkeypatch.setattr(solvation, "_TABLE_PROBE_FRAMES", 2)
        store_table = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = SolvationShells(*groups(u), cutoffs=cutoffs, convention=convention,
                                  store_table=store_table).run().results
    fractions = results.estimates["fractions"]
    assert fractions["SSIP"].value == pytest.approx(0.5)
    assert fractions["CIP"].value == pytest.approx(0.5)
    assert fractions["AGG"].value == 0.0
    # the measured cutoff's scatter is counted: no anion crosses r_c ± δ
    assert results.cutoff_share_errors["PF6"]["delta"] == pytest.approx(0.2)
    assert results.cutoff_share_errors["PF6"]["pairing"] == 0.0
