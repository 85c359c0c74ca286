"""``diagnose.json`` carries every number with its verdict.

Every Estimate the error decomposition computes (``results.estimates``: RMSE and RRMSE, total
and per element and species) and the scan's (energies per scale, the minimum) is in the
summary as value, error, unit and verdict; the relative errors per element and species were
computed and left out. The only bare numbers are settings (scale factors, frame indices) and
counts (``n`` of the softening fits).
"""

import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors_label_checks import FRAMES, _labelled  # noqa: E402

from mda_electrolyte.diagnose import diagnose  # noqa: E402

ESTIMATE_KEYS = {"value", "stderr", "unit", "method", "verdict"}


def _bare_numbers(tree, path=()):
    """Paths of numbers in ``tree`` outside Estimate dicts."""
    if isinstance(tree, dict):
        if ESTIMATE_KEYS <= set(tree):
            return []
        return [p for k, v in tree.items() for p in _bare_numbers(v, path + (k,))]
    if isinstance(tree, list):
        return [p for k, v in enumerate(tree) for p in _bare_numbers(v, path + (str(k),))]
    if isinstance(tree, (int, float)) and not isinstance(tree, bool):
        return ["/".join(path)]
    return []


def _estimates(tree, path=()):
    if isinstance(tree, dict):
        if ESTIMATE_KEYS <= set(tree):
            return {"/".join(path): tree}
        out = {}
        for k, v in tree.items():
            out.update(_estimates(v, path + (k,)))
        return out
    return {}


def test_every_number_of_diagnose_json_carries_its_verdict(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diagnose(FRAMES, MolecularPairModel(), tmp_path, reference=_labelled(FRAMES),
                 scales=[0.9, 0.95, 1.0, 1.05, 1.1, 1.2])
    summary = json.loads((tmp_path / "diagnose.json").read_text())
    bare = _bare_numbers(summary)
    allowed = ("rigid_volume_scan/scales/", "rigid_volume_scan/frames/")
    assert all(p.startswith(allowed) or (p.startswith("intra_inter_errors/softening_ols/")
                                         and p.endswith("/n")) for p in bare), bare
    errors = summary["intra_inter_errors"]
    for key in ("rmse", "rrmse", "rmse_per_element", "rrmse_per_element", "rmse_per_species",
                "rrmse_per_species"):
        found = _estimates(errors[key])
        assert found, key
        assert all(e["verdict"] for e in found.values())
    # the relative errors per species hold the same entries as the absolute ones
    assert set(_estimates(errors["rrmse_per_species"])) == set(
        _estimates(errors["rmse_per_species"]))
