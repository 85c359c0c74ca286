"""Active learning with a committee that cannot spread.

A committee of one model given several times (one name in two spellings, one file under two
paths, a link, a copy) was only warned about (RepeatedMemberWarning) and then accepted by
CandidateCollector: its force spread is zero on every structure, so a hot MD run selected no
frame and never stopped, which read as a model confident everywhere. attach now refuses it
before any structure is evaluated; a committee holding a repeat beside distinct members still
spreads and is accepted.
"""

import os
import shutil
import warnings

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase_electrolyte import Calculator  # noqa: E402
from ase_electrolyte.active_learning import CandidateCollector  # noqa: E402
from ase_electrolyte.committee import RepeatedMemberWarning  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_committee_zero_spread"))[1]


def _spellings(tiny, tmp_path):
    """One model as several members: repeated, a copy, a link, another relative path."""
    copy = tmp_path / "copy" / "model.pth"
    copy.parent.mkdir()
    shutil.copyfile(tiny[0], copy)
    link = tmp_path / "link.pth"
    os.symlink(tiny[0], link)
    return {
        "repeated": [tiny[0], tiny[0]],
        "copy": [tiny[0], str(copy)],
        "link": [str(link), tiny[0], str(copy)],
        "relative": [tiny[0], os.path.relpath(tiny[0])],
    }


@pytest.mark.parametrize("kind", ["repeated", "copy", "link", "relative"])
def test_one_model_as_every_member_is_refused_before_any_evaluation(tiny, tmp_path, kind):
    members = _spellings(tiny, tmp_path)[kind]
    with pytest.warns(RepeatedMemberWarning):
        committee = Calculator(members, device="cpu")
    path = tmp_path / "candidates.extxyz"
    collector = CandidateCollector(path, 0.01, 0.5)
    with pytest.raises(ValueError, match="holds one model .* spread is zero on every structure"):
        collector.attach(committee)
    assert committee.callbacks == [] and collector.models == "" and collector.committee == ""
    assert not path.exists()
    # what the collector would have seen: a spread of float round-off alone, far below any
    # selection threshold
    atoms = emt_copper(1, a=3.3, rattle=0.3, seed=5)[0]
    atoms.calc = committee
    atoms.get_potential_energy()
    assert committee.results["max_forces_std"] < 1e-5


def test_a_repeat_beside_distinct_members_is_accepted_and_spreads(tiny, tmp_path):
    with pytest.warns(RepeatedMemberWarning, match="comes from 2 distinct models"):
        committee = Calculator([tiny[0], tiny[1], tiny[0]], device="cpu")
    collector = CandidateCollector(tmp_path / "candidates.extxyz", 1e-4, 100.0)
    assert collector.attach(committee) is committee
    atoms = emt_copper(1, a=3.3, rattle=0.3, seed=5)[0]
    atoms.calc = committee
    atoms.get_potential_energy()
    assert committee.results["max_forces_std"] > 1e-4
    assert collector.n_candidates == 1


def test_distinct_members_attach_without_warning(tiny, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedMemberWarning)
        committee = Calculator(list(tiny), device="cpu")
    collector = CandidateCollector(tmp_path / "candidates.extxyz", 0.01, 0.5)
    collector.attach(committee)
    assert collector.committee.startswith("sha256:") and np.isfinite(collector.max_spread)
