"""Observables of files that are not run_md's, and windows that are not time spans, by name.

Found by probing: a ``.h5md`` path to a text file reached the conductivity and viscosity with
HDF5's "Unable to synchronously open file (file signature not found)", naming no file (the
retry for a locked file swallowed open_h5md's message); another program's H5MD file gave
``current_species_of_file`` a KeyError "component not found"; a folder gave HDF5's "file read
failed ... Is a directory"; ``read_observable`` windows reversed or NaN were "0 sample(s)",
text "could not convert string to float", one number "not enough values to unpack"; a
``name`` that is no string returned None and ``required="no"`` counted as required.
"""

import h5py
import numpy as np
import pytest
from transport_data import ion_run_file

from mda_electrolyte import GreenKuboConductivity, GreenKuboViscosity
from mda_electrolyte.conductivity import read_charge_current
from mda_electrolyte.observables import (
    current_ion_charges_of_file,
    current_species_of_file,
    read_observable,
)


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    return ion_run_file(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "notes.h5md"
    path.write_text("not a trajectory\n")
    return path


@pytest.fixture(scope="module")
def foreign_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("foreign") / "other.h5md"
    with h5py.File(path, "w") as f:
        f.create_group("h5md").attrs["version"] = np.array([1, 1])
        f.create_group("particles/all")
    return path


READERS = {
    "read_observable": lambda p: read_observable(p, "volume"),
    "current_species_of_file": current_species_of_file,
    "current_ion_charges_of_file": current_ion_charges_of_file,
    "read_charge_current": read_charge_current,
    "GreenKuboConductivity": lambda p: GreenKuboConductivity(p, None, 600),
    "GreenKuboViscosity": lambda p: GreenKuboViscosity(p),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_a_file_that_is_not_hdf5_is_named(text_file, reader):
    with pytest.raises(OSError, match=r"notes\.h5md is not an HDF5 \(H5MD\) file"):
        READERS[reader](text_file)


@pytest.mark.parametrize("reader", list(READERS))
def test_another_programs_h5md_is_named(foreign_file, reader):
    with pytest.raises(ValueError, match=r"other\.h5md is an H5MD file of another program"):
        READERS[reader](foreign_file)


@pytest.mark.parametrize(
    "reader",
    [
        "read_observable",
        "current_species_of_file",
        "current_ion_charges_of_file",
        "read_charge_current",
    ],
)
def test_a_folder_is_named(tmp_path, reader):
    with pytest.raises(ValueError, match="is not a file"):
        READERS[reader](tmp_path)


@pytest.mark.parametrize(
    ("window", "match"),
    [
        ((0.03, 0.01), "first <= last"),
        ((np.nan, 0.01), "finite times"),
        ((0.0, np.inf), "finite times"),
        ("ab", "two numbers"),
        ("12", "finite times"),
        ((0.01,), "two numbers"),
        ((0.0, 0.01, 0.02), "two numbers"),
        (0.01, "two numbers"),
        ((None, 0.01), "two numbers"),
    ],
)
def test_bad_windows_named(run_file, window, match):
    with pytest.raises(ValueError, match=rf"window must be .*{match}"):
        read_observable(run_file, "volume", window=window)


@pytest.mark.parametrize(
    "window", [(0.005, 0.02), [0.005, 0.02], np.array([0.005, 0.02]), (np.float32(0.005), 0.02)]
)
def test_windows_as_sequences_read(run_file, window):
    obs = read_observable(run_file, "volume", window=window)
    assert obs["time"][0] == pytest.approx(0.005) and obs["time"][-1] == pytest.approx(0.02)
    assert obs["value"].shape == (16,)


@pytest.mark.parametrize("name", [3, None, b"volume", ["volume"]])
def test_a_name_that_is_not_text_refused(run_file, name):
    with pytest.raises(TypeError, match="name must be an observable name"):
        read_observable(run_file, name)


@pytest.mark.parametrize("required", ["no", 1, None])
def test_required_must_be_a_flag(run_file, required):
    with pytest.raises(ValueError, match="required must be True or False"):
        read_observable(run_file, "nope", required=required)


def test_our_file_still_read(run_file):
    assert current_species_of_file(run_file) == ["A", "B"]
    assert read_observable(run_file, "nope") is None
    assert read_charge_current(run_file)["current"].shape == (40, 2, 3)


@pytest.mark.parametrize("observables", [3, 2.5, None, [], [3], b"x", {"a": "run.h5md"}])
def test_observables_of_another_type_named(run_file, observables):
    from mda_electrolyte import from_ase

    u = from_ase(run_file)
    with pytest.raises(TypeError, match=r"observables must be True, False, or the path\(s\)"):
        GreenKuboConductivity(u, {"A": "resname A", "B": "resname B"}, 600, observables=observables)


@pytest.mark.parametrize("wrap", [str, lambda p: p, lambda p: [p], lambda p: (str(p),)])
def test_observables_paths_accepted(run_file, wrap):
    import warnings

    from mda_electrolyte import from_ase

    u = from_ase(run_file)
    gk = GreenKuboConductivity(
        u,
        {"A": "resname A", "B": "resname B"},
        600,
        max_lag=0.005,
        n_blocks=2,
        observables=wrap(run_file),
        check_sampling=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert gk.run().results.source == "charge_current observable"
