"""h5md_series on a series the file does not record: a ValueError naming the ones it has.

It raised a bare KeyError, printed as its quoted repr; it is now a ValueError (still a KeyError
for callers that catch that), with the closest recorded name.
"""

import warnings

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte import md
from ase_electrolyte import trajectory as tr


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("series") / "run.h5md"
    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        md.run_md(atoms, trajectory=path, ensemble="nvt", steps=2, timestep_fs=1.0,
                  temperature_K=300.0, write_interval=1, progress=False)
    return path


@pytest.mark.parametrize("name, near", [
    ("nope", None), ("temprature", "temperature"), ("Temperature", "temperature"), ("", None),
])
@pytest.mark.parametrize("caught", [ValueError, KeyError])
def test_missing_series_names_what_the_file_has(run, name, near, caught):
    with pytest.raises(caught) as err:
        tr.h5md_series(run, name)
    text = str(err.value)
    assert not text.startswith(("'", '"'))  # not KeyError's quoted repr
    assert f"has no observable {name!r}" in text and "'temperature'" in text
    assert str(run) in text
    if near is not None:
        assert f"did you mean {near!r}" in text
    else:
        assert "did you mean" not in text


def test_recorded_series_still_read(run):
    step, time, value = tr.h5md_series(run, "temperature")
    assert step.tolist() == [0, 1, 2] and value.shape == (3,)
