"""The box builder stopped where a test has seen what it needs, before the expensive work.

Fixtures, imported by the builder's test files (``from builder_stops import structures``):

* ``structures``: ``electrolyte_box`` stops at PACKMOL with :class:`StopAtPackmol`; the
  structures it would have packed (``(species, template, count, region)`` rows) are kept, one
  list per call;
* ``no_work``: conformer embedding, rotamer search and PACKMOL fail the test if reached, for
  refusals that must come before any of them.
"""

import pytest

import ase_electrolyte.build as build


class StopAtPackmol(Exception):
    """Raised where PACKMOL would have started."""


@pytest.fixture
def structures(monkeypatch):
    seen = []

    def stop(exe, structs, *args, **kwargs):
        seen.append(structs)
        raise StopAtPackmol

    monkeypatch.setattr(build, "_run_packmol", stop)
    return seen


@pytest.fixture
def no_work(monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("conformers, rotamers or PACKMOL were started")

    for name in ("_embeddings", "conformer", "_run_packmol", "_rotamers"):
        monkeypatch.setattr(build, name, started)
