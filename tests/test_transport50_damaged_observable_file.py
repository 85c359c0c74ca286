"""An H5MD file cut short (an interrupted copy or run) was refused by the observable readers
with HDF5's own "Unable to synchronously open file (truncated file: eof = 500, ...)", naming
neither the file nor a cure; every reader now names the file as damaged and what to do, and
a file that is no HDF5 at all keeps its own message."""

import h5py
import numpy as np
import pytest

from mda_electrolyte.conductivity import read_charge_current
from mda_electrolyte.observables import (
    current_ion_charges_of_file,
    current_species_of_file,
    read_observable,
)

READERS = [lambda p: read_observable(p, "temperature"), read_charge_current,
           current_species_of_file, current_ion_charges_of_file]


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    path = tmp_path_factory.mktemp("h5") / "whole.h5md"
    with h5py.File(path, "w") as f:
        f.create_dataset("observables/temperature/value", data=np.ones(200))
    return path


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("keep", [500, 2000])
def test_a_truncated_file_is_named_as_damaged(tmp_path, whole, reader, keep):
    cut = tmp_path / "cut.h5md"
    cut.write_bytes(whole.read_bytes()[:keep])
    with pytest.raises(OSError) as err:
        reader(cut)
    message = str(err.value)
    assert message.startswith(f"{cut} is a damaged HDF5 (H5MD) file and cannot be read")
    assert "Restore it or rerun run_md" in message


@pytest.mark.parametrize("reader", READERS)
def test_a_text_file_keeps_its_own_message(tmp_path, reader):
    text = tmp_path / "text.h5md"
    text.write_text("not hdf5")
    with pytest.raises(OSError, match="is not an HDF5"):
        reader(text)
