"""Every refusal of SolvationShells and IntraInterRDF names the analysis, however deep it is
raised (a frame's check, the conclusion, a worker of a parallel run), with one mechanism
(analysis_base.names_errors); its type, and the rest of its message, are kept.

Before, SolvationShells' frame checks said ``frame 2: non-finite positions of shell atoms``
where IntraInterRDF's said ``IntraInterRDF: frame 2 has non-finite positions``; a bad
``convention`` or a species named twice did not say which analysis refused it either.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from shell_shapes import loose_shells

import mda_electrolyte as mdae
from mda_electrolyte.analysis_base import names_errors


def _universe(frames, boxes=None):
    """Two Li (resname LI) and one-atom solvent molecules (resname SOL) in a 20 Å box."""
    n = frames.shape[1]
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    elements = ["Li"] * 2 + ["Ar"] * (n - 2)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", ["LI"] * 2 + ["SOL"] * (n - 2))
    if boxes is None:
        boxes = np.array([[20.0] * 3 + [90.0] * 3] * len(frames))
    u.load_new(frames.astype(np.float32), format=MemoryReader, dimensions=boxes)
    return u


def _frames():
    return np.random.default_rng(0).uniform(0, 20, (6, 40, 3))


def _shells(u, **kw):
    return mdae.SolvationShells(u.select_atoms("resname LI"), {},
                                {"SOL": u.select_atoms("resname SOL")},
                                **{"rdf_range": (0.0, 6.0), **kw})


def _rdf(u):
    return mdae.IntraInterRDF(u.atoms, pairs=[("resname LI", "resname SOL")], range=(0.0, 6.0))


def _broken(kind):
    frames = _frames()
    boxes = None
    if kind == "nan":
        frames[2, 5] = np.nan
    elif kind == "shrinking box":
        boxes = np.array([[20.0] * 3 + [90.0] * 3] * len(frames))
        boxes[3, :3] = 10.0
    return _universe(frames, boxes)


@pytest.mark.parametrize("kind", ["nan", "shrinking box"])
@pytest.mark.parametrize("run", [{}, {"backend": "multiprocessing", "n_workers": 2}])
@pytest.mark.parametrize("make", [_shells, _rdf])
def test_frame_refusals_name_the_analysis(kind, run, make):
    analysis = make(_broken(kind))
    name = type(analysis).__name__
    with pytest.raises(ValueError) as caught:
        analysis.run(**run)
    message = str(caught.value)
    assert message.startswith(f"{name}: "), message
    # once, and the frame named
    assert message.count(name) == 1 and ("frame 2" in message or "frame 3" in message)


def test_a_frame_with_an_atom_on_a_cation_names_shells_and_frame():
    frames = _frames()
    frames[3, 5] = frames[3, 0]
    with pytest.raises(ValueError, match=r"^SolvationShells: frame 3: atom 5 lies on cation 0"):
        _shells(_universe(frames)).run()


def test_construction_refusals_name_the_analysis():
    u = _universe(_frames())
    li, sol = u.select_atoms("resname LI"), u.select_atoms("resname SOL")
    with pytest.raises(ValueError, match=r"^SolvationShells: convention must be one of"):
        mdae.SolvationShells(li, {}, {"SOL": sol}, convention="count")
    with pytest.raises(ValueError, match=r"^SolvationShells: species names used both"):
        mdae.SolvationShells(li, {"SOL": sol}, {"SOL": sol})
    with pytest.raises(TypeError, match=r"^SolvationShells: anions and solvents must be dicts"):
        mdae.SolvationShells(li, [sol], {})
    # a message that names the analysis already is left as it is
    with pytest.raises(ValueError, match=r"^SolvationShells needs element symbols"):
        bare = mda.Universe.empty(3, n_residues=3, atom_resindex=[0, 1, 2], trajectory=True)
        bare.add_TopologyAttr("resnames", ["LI", "SOL", "SOL"])
        bare.load_new(np.zeros((1, 3, 3), np.float32), format=MemoryReader,
                      dimensions=[20.0] * 3 + [90.0] * 3)
        mdae.SolvationShells(bare.select_atoms("resname LI"), {},
                             {"SOL": bare.select_atoms("resname SOL")})
    with pytest.raises(ValueError, match=r"^IntraInterRDF: nbins must be a positive integer"):
        mdae.IntraInterRDF(u.atoms, pairs=[("resname LI", "resname SOL")], nbins=0)


def test_shell_cutoff_warnings_name_the_analysis():
    u = loose_shells(1.0, 40, element="Ar")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _shells(u, rdf_range=(0.0, 7.0), rdf_nbins=70).run()
    texts = [str(w.message) for w in caught if "shell cutoff of 'SOL'" in str(w.message)]
    assert texts and all(t.startswith("SolvationShells: shell cutoff of 'SOL'") for t in texts)


def test_the_mechanism_keeps_type_attributes_and_other_arguments():
    class Refusal(ValueError):
        pass

    class Analysis:
        @names_errors
        def fail(self, err):
            raise err

    err = Refusal("frame 1: broken", 7)
    err.detail = "kept"
    with pytest.raises(Refusal) as caught:
        Analysis().fail(err)
    assert caught.value is err and caught.value.detail == "kept"
    assert caught.value.args == ("Analysis: frame 1: broken", 7)
    with pytest.raises(KeyError) as caught:
        Analysis().fail(KeyError("unknown shell labels ['x']"))
    assert caught.value.args[0] == "Analysis: unknown shell labels ['x']"
    # a subclass: named once, by whichever class of it the message names already
    class Mine(Analysis):
        pass

    with pytest.raises(ValueError) as caught:
        Mine().fail(ValueError("Analysis: frame 1: broken"))
    assert caught.value.args == ("Analysis: frame 1: broken",)
    with pytest.raises(ValueError) as caught:
        Mine().fail(ValueError("frame 1: broken"))
    assert caught.value.args == ("Mine: frame 1: broken",)
    # not the user's: left alone
    with pytest.raises(ZeroDivisionError, match="^division"):
        Analysis().fail(ZeroDivisionError("division by zero"))
