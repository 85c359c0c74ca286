"""A candidates file is one selection: appending frames selected otherwise is refused by name.

A CandidateCollector appended to whatever file it was given: frames selected above another
threshold, thinned at another interval, or judged by another committee's spread (other model
files, or the same paths retrained in place) were mixed into one file, and ``select`` could
not tell them apart. The collector now compares its settings and its committee's identity
(file contents) with the file's first frame and refuses a difference by name before any MD
step; ``overwrite=True`` starts the file anew (an earlier run's frames never pass for this
run's).
"""

import types

import ase.io
import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte.active_learning import CandidateCollector


def _committee(*paths):
    """The two attributes CandidateCollector.attach reads from a committee calculator."""
    return types.SimpleNamespace(model=[str(p) for p in paths], callbacks=[])


def _models(tmp_path, *contents):
    paths = []
    for k, text in enumerate(contents):
        path = tmp_path / f"m{k}.pth"
        path.write_bytes(text)
        paths.append(path)
    return paths


def _evaluate(collector, n, spread=0.5):
    atoms = bulk("Cu", cubic=True)
    for k in range(n):
        atoms.positions[0, 0] = 0.01 * k
        collector(atoms, {"max_forces_std": spread, "energy_std": 0.1,
                          "forces_std": np.full(len(atoms), spread)})


def _first_run(tmp_path, **kw):
    path = tmp_path / "candidates.extxyz"
    a, b = _models(tmp_path, b"model a", b"model b")
    collector = CandidateCollector(path, 0.1, 10.0, **kw)
    collector.attach(_committee(a, b))
    _evaluate(collector, 3)
    return path, (a, b)


def test_the_same_settings_and_committee_append(tmp_path):
    path, members = _first_run(tmp_path)
    # the same files under other names (copies) are the same committee; order does not matter
    copies = []
    for k, m in enumerate(members):
        c = tmp_path / f"copy{k}.pth"
        c.write_bytes(m.read_bytes())
        copies.append(c)
    again = CandidateCollector(path, 0.1, 10.0, source="second run")
    again.attach(_committee(copies[1], copies[0]))
    _evaluate(again, 2)
    frames = ase.io.read(path, ":")
    assert len(frames) == 5
    # no source: none written (an empty 'source=' was read back swallowing 'models')
    assert [f.info.get("source") for f in frames] == [None] * 3 + ["second run"] * 2
    assert all(f.info["models"] == f"{copies[1]};{copies[0]}" for f in frames[3:])
    assert all(f.info["models"] == f"{members[0]};{members[1]}" for f in frames[:3])
    assert len({f.info["committee"] for f in frames}) == 1
    assert frames[0].info["committee"].startswith("sha256:")


@pytest.mark.parametrize("kw, named", [
    ({"select_threshold": 0.2}, "select_threshold 0.1, not 0.2"),
    ({"stop_threshold": 5.0}, "stop_threshold 10, not 5"),
    ({"stop_threshold": float("inf")}, "stop_threshold 10, not inf"),
    ({"min_interval": 4}, "min_interval 1, not 4"),
])
def test_other_settings_are_refused_before_any_evaluation(tmp_path, kw, named):
    path, _ = _first_run(tmp_path)
    before = path.read_bytes()
    args = {"select_threshold": 0.1, "stop_threshold": 10.0, **kw}
    with pytest.raises(ValueError, match=named.replace(".", r"\.")) as err:
        CandidateCollector(path, args.pop("select_threshold"), args.pop("stop_threshold"),
                           **args)
    assert "overwrite=True" in str(err.value) and str(path) in str(err.value)
    assert path.read_bytes() == before


def test_another_committee_is_refused_at_attach(tmp_path):
    path, (a, b) = _first_run(tmp_path)
    before = path.read_bytes()
    c = tmp_path / "c.pth"
    c.write_bytes(b"model c")
    collector = CandidateCollector(path, 0.1, 10.0)
    committee = _committee(a, c)
    with pytest.raises(ValueError, match="another committee"):
        collector.attach(committee)
    # not registered: the refused collector never writes into the file
    assert committee.callbacks == []
    assert path.read_bytes() == before


def test_a_member_retrained_in_place_is_another_committee(tmp_path):
    path, (a, b) = _first_run(tmp_path)
    b.write_bytes(b"model b, retrained")
    with pytest.raises(ValueError, match="or the same files with other contents"):
        CandidateCollector(path, 0.1, 10.0).attach(_committee(a, b))


def test_overwrite_starts_anew(tmp_path):
    path, (a, b) = _first_run(tmp_path)
    collector = CandidateCollector(path, 0.3, 10.0, overwrite=True)
    # an earlier run's frames must not pass for this run's, even when it finds none
    assert not path.exists()
    collector.attach(_committee(b))
    _evaluate(collector, 2, spread=0.2)
    assert not path.exists() and collector.n_candidates == 0
    _evaluate(collector, 2, spread=0.4)
    frames = ase.io.read(path, ":")
    assert [f.info["select_threshold"] for f in frames] == [0.3, 0.3]
    # and a later collector of the same settings and committee appends to it
    again = CandidateCollector(path, 0.3, 10.0)
    again.attach(_committee(b))
    _evaluate(again, 1)
    assert len(ase.io.read(path, ":")) == 3


@pytest.mark.parametrize("content, named", [
    (None, "not written by a CandidateCollector"),
    (b"\x00\x01binary\n\xff\xfe\n", "not an extxyz of candidate frames"),
    (b"twelve\ncomment\n", "not an extxyz of candidate frames"),
])
def test_a_file_of_other_frames_is_refused(tmp_path, content, named):
    path = tmp_path / "train.extxyz"
    if content is None:
        # labelled training data given as the candidates file: unlabelled frames would be
        # appended to it
        atoms = bulk("Cu", cubic=True)
        atoms.info["energy"] = -1.0
        ase.io.write(path, [atoms, atoms], format="extxyz")
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=named):
        CandidateCollector(path, 0.1, 10.0)
    assert path.read_bytes() == before


def test_an_empty_file_is_no_selection(tmp_path):
    path = tmp_path / "c.extxyz"
    path.write_bytes(b"")
    collector = CandidateCollector(path, 0.1, 10.0)
    _evaluate(collector, 1)
    assert len(ase.io.read(path, ":")) == 1


def test_a_file_of_an_earlier_version_is_judged_by_its_model_names(tmp_path):
    # written before the committee's identity was recorded: frames carry 'models' only
    path = tmp_path / "c.extxyz"
    a, b = _models(tmp_path, b"a", b"b")
    atoms = bulk("Cu", cubic=True)
    atoms.info.update(select_threshold=0.1, stop_threshold=10.0,
                      models=f"{a};{b}", max_forces_std=0.5)
    ase.io.write(path, atoms, format="extxyz")
    CandidateCollector(path, 0.1, 10.0).attach(_committee(a, b))
    with pytest.raises(ValueError, match="models"):
        CandidateCollector(path, 0.1, 10.0).attach(_committee(b, a))


def test_overwrite_must_be_a_flag(tmp_path):
    with pytest.raises(TypeError, match="overwrite"):
        CandidateCollector(tmp_path / "c.extxyz", 0.1, 10.0, overwrite="no")


def test_attaching_twice_to_one_committee_judges_each_evaluation_once(tmp_path):
    a, b = _models(tmp_path, b"a", b"b")
    committee = _committee(a, b)
    collector = CandidateCollector(tmp_path / "c.extxyz", 0.1, 10.0)
    collector.attach(committee)
    collector.attach(committee)
    # was appended twice: each candidate written twice, the evaluations counted double
    assert committee.callbacks == [collector]
    atoms = bulk("Cu", cubic=True)
    for callback in committee.callbacks:
        callback(atoms, {"max_forces_std": 0.5, "energy_std": 0.1,
                         "forces_std": np.full(len(atoms), 0.5)})
    assert collector.n_evaluations == 1
    assert len(ase.io.read(tmp_path / "c.extxyz", ":")) == 1


def test_one_collector_on_two_committees_is_refused(tmp_path):
    a, b, c = _models(tmp_path, b"a", b"b", b"c")
    collector = CandidateCollector(tmp_path / "c.extxyz", 0.1, 10.0)
    collector.attach(_committee(a, b))
    other = _committee(a, c)
    with pytest.raises(ValueError, match="attached to another committee already"):
        collector.attach(other)
    assert other.callbacks == []
    assert collector.models == f"{a};{b}"


def test_members_changed_after_attach_are_refused_before_a_frame_is_written(tmp_path):
    a, b, c = _models(tmp_path, b"a", b"b", b"c")
    committee = _committee(a, b)
    collector = CandidateCollector(tmp_path / "c.extxyz", 0.1, 10.0)
    collector.attach(committee)
    _evaluate(collector, 1)
    # as calc.set(model=[...]) does: the frames would carry the old committee's identity
    committee.model = [str(a), str(c)]
    with pytest.raises(ValueError, match="members changed since this collector"):
        _evaluate(collector, 1)
    assert len(ase.io.read(tmp_path / "c.extxyz", ":")) == 1
    # attaching again checks the file against the new committee: another one, refused
    with pytest.raises(ValueError, match="another committee"):
        collector.attach(committee)


def test_a_refused_attach_leaves_the_collector_as_it_was(tmp_path):
    path, (a, b) = _first_run(tmp_path)
    c = tmp_path / "c.pth"
    c.write_bytes(b"c")
    collector = CandidateCollector(path, 0.1, 10.0)
    with pytest.raises(ValueError, match="another committee"):
        collector.attach(_committee(a, c))
    assert (collector.models, collector.committee) == ("", "")
    collector.attach(_committee(a, b))
    _evaluate(collector, 1)
    assert len(ase.io.read(path, ":")) == 4


def _fake_descriptors(frames, model, device="auto"):
    return np.arange(len(frames) * 2, dtype=float).reshape(-1, 2) ** 1.5


@pytest.mark.parametrize("committees, warned", [(["sha256:a", "sha256:b"], True),
                                                (["sha256:a", "sha256:a"], False),
                                                ([None, None], False)])
def test_select_warns_of_candidates_of_several_committees(tmp_path, monkeypatch, committees,
                                                          warned):
    import warnings

    from ase_electrolyte import active_learning
    from ase_electrolyte.active_learning import select_candidates

    monkeypatch.setattr(active_learning, "frame_descriptors", _fake_descriptors)
    frames = []
    for k, committee in enumerate(committees):
        atoms = bulk("Cu", cubic=True)
        atoms.positions[0, 0] = 0.1 * k
        atoms.info["max_forces_std"] = 0.2 + k
        if committee:
            atoms.info["committee"] = committee
        frames.append(atoms)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        picked = select_candidates(frames, 2)
    found = [w for w in caught if "not on one scale" in str(w.message)]
    assert len(found) == int(warned)
    assert [a.info["candidate_index"] for a in picked] == [1, 0]
