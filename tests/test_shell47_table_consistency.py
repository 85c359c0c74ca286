"""A shell table whose arrays disagree is refused by name, on load and in shell_results.

Before: ``ShellTable.load`` of an edited file, or ``shell_results`` of a table whose fields
were replaced (``dataclasses.replace``), ended in numpy's "operands could not be broadcast
together", an ``IndexError`` or "cannot reshape array" deep in the derivation; a table of NaN
distances gave coordination numbers 0 and 100 % SSIP, NaN volumes and a NaN radius passed
without a word.
"""

import dataclasses
import warnings

import numpy as np
import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_table import ShellTable, check_table
from mda_electrolyte.solvation import shell_results

CUTOFFS = {"EC": 2.6, "PF6": 2.6}


@pytest.fixture(scope="module")
def table():
    # a CIP (3 EC and a PF6 on one Li⁺) and an SSIP (4 EC), over 3 frames
    u = build(
        [
            ((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
            ((15, 15, 15), [("EC", None, "Oc")] * 4),
        ]
    )
    pos = u.atoms.positions
    u.load_new(np.array([pos, pos + 0.01, pos - 0.01]), dimensions=u.dimensions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SolvationShells(*groups(u), cutoffs=CUTOFFS).run().results.table


def _damaged(t):
    n = t.n_frames
    lay = t.layout
    return {
        "fewer frames": (
            {"frames": t.frames[:2], "volumes": t.volumes[:2]},
            "offsets has shape (4,), not (3,): one more than the 2 frames",
        ),
        "fewer offsets": ({"offsets": t.offsets[:2]}, "offsets has shape (2,), not (4,)"),
        "offsets past the rows": ({"offsets": t.offsets + 1}, "offsets do not run from 0"),
        "cation slot": ({"cation": t.cation + 5}, "cation holds 6, outside 0 to 1"),
        "atom index": ({"atom": t.atom + 10_000}, "atom holds"),
        "NaN distances": (
            {"distance": np.full_like(t.distance, np.nan)},
            "distance holds values that are not finite",
        ),
        "distance past the radius": ({"distance": t.distance + 5}, "to the radius 2.6 Å"),
        "NaN volume": ({"volumes": np.full(n, np.nan)}, "volumes holds a non-finite"),
        "NaN radius": ({"radius": float("nan")}, "radius is nan Å"),
        "vectors missing": ({"m_to_o": t.m_to_o[:-1]}, "m_to_o has shape"),
        "NaN vectors": ({"o_to_c": np.full_like(t.o_to_c, np.nan)}, "o_to_c holds non-finite"),
        "oxygen kind": ({"oxygen_kind": t.oxygen_kind + 3}, "oxygen_kind holds"),
        "oxygen bin": ({"oxygen_bin": t.oxygen_bin + 1000}, "oxygen_bin holds"),
        "rdf counts": ({"rdf_counts": t.rdf_counts[:1]}, "rdf_counts of shape (1, 80)"),
        "edges": ({"rdf_edges": t.rdf_edges[::-1]}, "rdf_edges are not increasing"),
        "layout species": (
            {"layout": dataclasses.replace(lay, species=("EC",))},
            "its species ['EC'] are not its solvents ['EC'] then anions",
        ),
        "layout atoms": (
            {"layout": dataclasses.replace(lay, atom_oxygen=lay.atom_oxygen[:5])},
            "layout.atom_oxygen has shape (5,)",
        ),
    }


CASES = [
    "fewer frames",
    "fewer offsets",
    "offsets past the rows",
    "cation slot",
    "atom index",
    "NaN distances",
    "distance past the radius",
    "NaN volume",
    "NaN radius",
    "vectors missing",
    "NaN vectors",
    "oxygen kind",
    "oxygen bin",
    "rdf counts",
    "edges",
    "layout species",
    "layout atoms",
]


@pytest.mark.parametrize("case", CASES)
def test_shell_results_refuses_a_table_whose_arrays_disagree(table, case):
    fields, fragment = _damaged(table)[case]
    bad = dataclasses.replace(table, **fields)
    with pytest.raises(ValueError, match="the shell table is inconsistent") as err:
        shell_results(bad, CUTOFFS)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "case", ["fewer offsets", "NaN distances", "NaN radius", "layout species", "cation slot"]
)
def test_load_refuses_an_edited_file_naming_it(table, case, tmp_path):
    path = table.save(tmp_path / "table.npz")
    with np.load(path) as data:
        arrays = dict(data)
    fields, fragment = _damaged(table)[case]
    for name, value in fields.items():
        if name == "layout":
            arrays["species"] = np.array(value.species)
        else:
            arrays[name] = np.asarray(value)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=f"{path} is inconsistent") as err:
        ShellTable.load(path)
    assert fragment in str(err.value)


def test_a_sound_table_passes_and_rederives_its_results(table, tmp_path):
    check_table(table)
    again = ShellTable.load(table.save(tmp_path / "t"))
    check_table(again)
    assert shell_results(again, CUTOFFS)["coordination_numbers"] == {"EC": 3.5, "PF6": 0.5}


def test_shell_results_refuses_what_is_no_table():
    with pytest.raises(TypeError, match="table must be a ShellTable"):
        shell_results({"frames": []}, CUTOFFS)


@pytest.mark.parametrize("case", ["NaN distances", "fewer offsets", "layout atoms"])
def test_save_refuses_a_table_whose_arrays_disagree_and_keeps_the_earlier_file(
    table, case, tmp_path
):
    path = table.save(tmp_path / "table.npz")
    before = path.read_bytes()
    fields, fragment = _damaged(table)[case]
    bad = dataclasses.replace(table, **fields)
    with pytest.raises(ValueError, match="the shell table is inconsistent") as err:
        bad.save(path)
    assert fragment in str(err.value)
    # the sound table written before is still there, whole
    assert path.read_bytes() == before
    assert ShellTable.load(path).n_frames == table.n_frames
