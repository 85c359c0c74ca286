"""select_candidates caps ``n`` at the candidates there are; its shortage warnings named the
capped number as the one asked for (``-n 10`` of 5 frames, 3 of them distinct: '5 frames asked
for, but only 3 have distinct descriptors'). The warnings now name the n asked for and the
candidates; farthest_point_sampling and d_optimal_selection called directly keep their words,
and every warning points at the caller's line."""
import warnings

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import active_learning
from ase_electrolyte.active_learning import (
    d_optimal_selection,
    farthest_point_sampling,
    select_candidates,
)

# 5 candidates; frames 1 and 3 copy frames 0 and 2: 3 distinct descriptors, rank 2 once centred
_DESC = np.array([[0.0, 0.0], [0.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 3.0]])
_SPREAD = [0.1, 0.05, 0.3, 0.2, 0.9]  # frame 4 has the largest committee spread


def _frames(desc=_DESC):
    out = []
    for k in range(len(desc)):
        # two atoms 0.7 + 0.1 k Å apart: frames that no translation maps onto each other
        a = Atoms("H2", positions=[[0, 0, 0], [0.7 + 0.1 * k, 0, 0]], cell=[5, 5, 5],
                  pbc=True)
        a.info["max_forces_std"] = _SPREAD[k]
        a.info["row"] = k
        out.append(a)
    return out


@pytest.fixture
def fake_descriptors(monkeypatch):
    def descriptors(frames, model, device="auto"):
        return np.array([_DESC[a.info["row"]] for a in frames])

    monkeypatch.setattr(active_learning, "frame_descriptors", descriptors)


def _select(n, method):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        picked = select_candidates(_frames(), n, model="x", method=method)
    return picked, [w for w in caught if "asked for" in str(w.message)]


@pytest.mark.parametrize("method", ["fps", "d-optimal"])
@pytest.mark.parametrize("n", [6, 10, 1000])
def test_more_asked_than_candidates_names_the_n_asked(fake_descriptors, method, n):
    picked, caught = _select(n, method)
    rows = [a.info["row"] for a in picked]
    assert rows[0] == 4  # the largest committee spread is picked first
    # three distinct descriptors: one of each, no copy
    assert sorted(_DESC[r].tolist() for r in rows) == [[0.0, 0.0], [0.0, 3.0], [4.0, 0.0]]
    assert caught, "no shortage warning"
    for w in caught:
        text = str(w.message)
        assert text.startswith(f"{n} frames asked for, of 5 candidates, but"), text
        assert "5 frames asked for" not in text
        assert w.filename == __file__  # the user's call, not the library's lines
    assert any("only 3 have distinct descriptors: 3 selected" in str(w.message)
               for w in caught)


@pytest.mark.parametrize("method", ["fps", "d-optimal"])
def test_as_many_asked_as_candidates_names_n(fake_descriptors, method):
    picked, caught = _select(5, method)
    assert len(picked) == 3
    assert caught and all(str(w.message).startswith("5 frames asked for, but")
                          for w in caught)


@pytest.mark.parametrize("method", ["fps", "d-optimal"])
@pytest.mark.parametrize("n", [0, -1])
def test_no_frame_asked_is_refused(fake_descriptors, method, n):
    with pytest.raises(ValueError, match=r"\bn\b"):
        select_candidates(_frames(), n, model="x", method=method)


@pytest.mark.parametrize("method", ["fps", "d-optimal"])
def test_distinct_candidates_fewer_than_asked_all_kept_without_shortage(monkeypatch, method):
    desc = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    monkeypatch.setattr(active_learning, "frame_descriptors",
                        lambda frames, model, device="auto": desc[[a.info["row"]
                                                                   for a in frames]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        picked = select_candidates(_frames(desc), 9, model="x", method=method)
    assert sorted(a.info["row"] for a in picked) == [0, 1, 2, 3]
    assert picked[0].info["row"] == 2  # largest spread of the four
    # 4 centred frames span 3 directions: d-optimal's fourth pick is beyond the rank
    for w in caught:
        assert str(w.message).startswith("9 frames asked for, of 4 candidates, but the "
                                         "descriptors span only 3 directions"), w.message
    assert len(caught) == (1 if method == "d-optimal" else 0)


def test_direct_calls_keep_their_words_and_point_at_the_caller():
    with pytest.warns(UserWarning, match=r"^4 frames asked for, but only 3 have") as rec:
        assert farthest_point_sampling(_DESC, 4, first=4) == [4, 2, 0]
    assert all(w.filename == __file__ for w in rec)
    with pytest.warns(UserWarning, match=r"^4 frames asked for, but") as rec:
        picks, _ = d_optimal_selection(_DESC, 4, first=4)
    assert picks == [4, 2, 0]
    assert all(w.filename == __file__ for w in rec)


@pytest.mark.parametrize("method", ["fps", "d-optimal"])
def test_candidates_left_after_exclude_are_counted_as_such(fake_descriptors, method):
    extra = []
    for k in range(3):
        a = Atoms("H2", positions=[[0, 0, 0], [1.5 + 0.2 * k, 0, 0]], cell=[5, 5, 5],
                  pbc=True)
        a.info["max_forces_std"] = 0.01
        a.info["row"] = k
        extra.append(a)
    labelled = [a.copy() for a in extra]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        picked = select_candidates(_frames() + extra, 10, model="x", method=method,
                                   exclude=labelled)
    assert sorted(a.info["candidate_index"] for a in picked) == [0, 2, 4]
    shortage = [str(w.message) for w in caught if "asked for" in str(w.message)]
    assert shortage and all(m.startswith("10 frames asked for, of 5 candidates (3 more "
                                         "labelled already), but") for m in shortage)
