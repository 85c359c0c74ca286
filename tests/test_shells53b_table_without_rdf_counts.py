"""A shell table without RDF counts is saved and read back.

Before: ``ShellTable.save`` stored a table's ``rdf_counts`` of None (the default of the
dataclass, of ``ShellTable.of_frame`` and of a table built without them; :func:`check_table`
accepts it) as a pickled object array, and ``ShellTable.load`` (``allow_pickle=False``)
refused the file it had written with numpy's "Object arrays cannot be loaded when
allow_pickle=False". Now such a table is saved without the entry and read back with None,
and a file an earlier save wrote that way reads as None too (nothing is unpickled).
"""

import dataclasses
import warnings

import numpy as np
import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_table import _PER_FRAME, ShellTable
from mda_electrolyte.solvation import shell_results

CUTOFFS = {"EC": 2.6, "PF6": 3.0}


@pytest.fixture(scope="module")
def table():
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
               ((25, 25, 25), [("EC", None, "Oc")] * 4)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(*groups(u), cutoffs=CUTOFFS, store_table=True).run(
        ).results.table


def _same_shells(a, b):
    ra, rb = shell_results(a, CUTOFFS), shell_results(b, CUTOFFS)
    np.testing.assert_array_equal(ra["class_codes"], rb["class_codes"])
    np.testing.assert_array_equal(ra["shell_labels"], rb["shell_labels"])
    for name in _PER_FRAME:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("with_counts", [True, False])
def test_a_table_is_read_back_as_saved(tmp_path, table, with_counts):
    saved = table if with_counts else dataclasses.replace(table, rdf_counts=None)
    back = ShellTable.load(saved.save(tmp_path / "shells"))
    _same_shells(saved, back)
    if with_counts:
        np.testing.assert_array_equal(back.rdf_counts, table.rdf_counts)
    else:
        assert back.rdf_counts is None


def test_a_file_of_an_earlier_save_without_counts_is_read(tmp_path, table):
    path = table.save(tmp_path / "shells")
    # what the earlier save wrote: the archive with None pickled as rdf_counts
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["rdf_counts"] = np.array(None, dtype=object)
    np.savez_compressed(path, **arrays)
    back = ShellTable.load(path)
    assert back.rdf_counts is None
    _same_shells(table, back)
