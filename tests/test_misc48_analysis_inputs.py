"""Analysis inputs of the wrong kind, refused by name.

- SolvationShells.plot_by_type(labels=["nope"]) raised KeyError; now ValueError naming the
  labels of the run (and a near one).
- first_minimum(..., below=2.5) beside whole pair counts was taken as 2.5 pairs: a
  coordination number (cn_below) given for the pairs counted is off by frames x cations.
- IonCollection.charge_record(names="PF6") read the string as its letters ("P", "F").
- IonCollection.from_arrays (and the other constructors) with 0 or 1 frames were refused
  only by an estimator, as "give fewer n_blocks".
"""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_solvation import build, groups  # noqa: E402

from mda_electrolyte import SolvationShells  # noqa: E402
from mda_electrolyte.ion_collection import IonCollection  # noqa: E402
from mda_electrolyte.shell_cutoffs import first_minimum  # noqa: E402


@pytest.fixture(scope="module")
def shells():
    u = build([((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
               ((15, 15, 15), [("EC", None, "Oc")] * 4)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SolvationShells(*groups(u), cutoffs={"EC": 2.6, "PF6": 2.6}).run()


@pytest.mark.parametrize("labels", [["nope"], ["EC", "nope"], ("x", "y")])
def test_plot_by_type_unknown_labels(shells, labels):
    known = list(shells.results.by_type)
    open_before = plt.get_fignums()
    with pytest.raises(ValueError, match="unknown shell labels") as err:
        shells.plot_by_type(labels=labels)
    assert all(k in str(err.value) for k in known)
    assert plt.get_fignums() == open_before   # refused before a figure is made


def test_plot_by_type_close_label_suggested(shells):
    label = list(shells.results.by_type)[0]
    with pytest.raises(ValueError, match="did you mean") as err:
        shells.plot_by_type(labels=[label.lower() + "x"])
    assert f"did you mean {label!r}" in str(err.value)


@pytest.mark.parametrize("labels, match", [
    (5, "labels must be a list of shell labels"),
    ([1], r"labels must be shell labels \(str\), got 1"),
    ([["a"]], "labels must be shell labels"),
])
def test_plot_by_type_label_types(shells, labels, match):
    with pytest.raises(TypeError, match=match):
        shells.plot_by_type(labels=labels)


def test_plot_by_type_known_labels(shells):
    label = list(shells.results.by_type)[0]
    fig = shells.plot_by_type(labels=[label])
    plt.close(fig)


def _whole_histogram(r_min=1.0, width=0.05, r_max=8.0, density=30.0):
    """Poisson pair counts of a first shell at 2 Å over a second, from r_min."""
    edges = np.linspace(0, r_max, int(round(r_max / width)) + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    shell = 4 / 3 * np.pi * np.diff(edges**3)
    g_true = (8 * np.exp(-(((centres - 2) / 0.12) ** 2))
              + 2.5 * np.exp(-(((centres - 4.2) / 0.35) ** 2))
              + 1 / (1 + np.exp(-(centres - 5.2) / 0.2)))
    counts = np.random.default_rng(4).poisson(density * shell * g_true).astype(float)
    k = int(round(r_min / width))
    return edges[k:], (counts / (density * shell))[k:], counts[k:], counts[:k]


@pytest.mark.parametrize("below", [2.5, 0.3, np.float64(1e-3), [0.0, 1.5],
                                   np.array([2.0, 3.25])])
def test_fractional_below_beside_whole_counts(below):
    edges, g, counts, _ = _whole_histogram()
    with pytest.raises(ValueError, match="below must be whole pair counts like counts"):
        first_minimum(edges, g, counts=counts, below=below)


@pytest.mark.parametrize("as_total", [True, False])
def test_whole_below_accepted(as_total):
    edges, g, counts, below = _whole_histogram(r_min=1.5)
    given = below.sum() if as_total else below
    found = first_minimum(edges, g, counts=counts, below=given)
    assert found.cutoff is not None and 2.3 < found.cutoff < 3.0
    # the same count as an int, a NumPy int, or a float summed with round-off
    if as_total:
        for same in (int(below.sum()), np.int64(below.sum()), below.sum() * (1 + 1e-12)):
            assert first_minimum(edges, g, counts=counts, below=same).cutoff == found.cutoff


def test_expected_counts_keep_expected_below():
    # counts that are expectations (not whole) take a below of the same kind
    edges, g, counts, below = _whole_histogram(r_min=1.5)
    first_minimum(edges, g, counts=counts * 0.5, below=below.sum() * 0.5 + 0.25)


def _collection(**kw):
    return IonCollection.from_arrays(
        {"Li": 1, "PF6": 1, "P": 1, "F": 1}, dt=0.01,
        velocities=np.random.default_rng(0).normal(size=(6, 4, 3)),
        charges={"Li": 1.0, "PF6": -1.0, "P": 0.5, "F": -0.5}, **kw)


@pytest.mark.parametrize("names, expected", [
    ("PF6", ["PF6"]), (["PF6"], ["PF6"]), (("Li", "P"), ["Li", "P"]), ("F", ["F"]),
    ([], []), (None, ["Li", "PF6", "P", "F"]), (np.array(["PF6", "Li"]), ["Li", "PF6"]),
])
def test_charge_record_names_whole_species(names, expected):
    assert list(_collection().charge_record(names)) == expected


@pytest.mark.parametrize("names, error, match", [
    ("Cl", ValueError, r"no species \['Cl'\]; the collection holds"),
    (["Li", "PF"], ValueError, r"no species \['PF'\]"),
    (5, TypeError, "names must be species names"),
    (["Li", 3], TypeError, "got 3"),
])
def test_charge_record_bad_names(names, error, match):
    with pytest.raises(error, match=match):
        _collection().charge_record(names)


@pytest.mark.parametrize("n_frames", [0, 1])
@pytest.mark.parametrize("key", ["velocities", "positions"])
def test_from_arrays_needs_two_frames(n_frames, key):
    with pytest.raises(ValueError, match=f"{key} holds {n_frames} frame"):
        IonCollection.from_arrays({"Li": 1, "PF6": 1}, dt=0.01,
                                  **{key: np.zeros((n_frames, 2, 3))})


def test_from_arrays_frames_must_agree():
    with pytest.raises(ValueError, match="velocities hold 3 frames, positions 4"):
        IonCollection.from_arrays({"Li": 1}, dt=0.01, velocities=np.zeros((3, 1, 3)),
                                  positions=np.zeros((4, 1, 3)))


@pytest.mark.parametrize("n_frames", [0, 1])
def test_other_constructors_need_two_samples(n_frames):
    with pytest.raises(ValueError, match=f"{n_frames} frame.*at least 2"):
        IonCollection.from_charge_current(np.zeros((n_frames, 2, 3)), ["Li", "PF6"],
                                          dt=0.01, volume=1000.0)
    with pytest.raises(ValueError, match=f"{n_frames} frame.*at least 2"):
        IonCollection.from_pressure_tensor(np.zeros((n_frames, 3, 3)), dt=0.01,
                                           volume=1000.0, temperature=300.0)


def test_two_frames_accepted():
    c = IonCollection.from_arrays({"Li": 1}, dt=0.01, velocities=np.zeros((2, 1, 3)))
    assert c.n_frames == 2
