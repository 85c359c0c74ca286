"""``electrolyte simulate`` refuses a file under the name of a stage it will not run, before
the box is packed or the model loaded, in the words of
:func:`ase_electrolyte.md.run_protocol`'s own refusal.

Before, only a stage file with frames was refused here, and by a length of exactly 0: an empty
or damaged ``equilibration.h5md`` beside ``--equilibration-ps 0`` was told to be removed "to
run that stage anew" (a stage this run skips), someone's notes under the name passed to the
library, which refused them only after packing and loading.
"""

import h5py
import numpy as np
import pytest
from test_cli_interrupted import _ARGV


def _with(argv, flag, value):
    argv = list(argv)
    argv[argv.index(flag) + 1] = value
    return argv


def _empty(path):
    path.write_bytes(b"")


def _notes(path):
    path.write_text("equilibration notes\n")


def _foreign_hdf5(path):
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)


@pytest.mark.parametrize("write", [_empty, _notes, _foreign_hdf5])
@pytest.mark.parametrize("stage, flag, length", [
    ("equilibration", "--equilibration-ps", "0"),
    ("equilibration", "--equilibration-ps", "0.0"),
    ("preequilibration", "--preequilibration-ps", "0"),
])
def test_a_skipped_stage_file_is_refused_before_packing(tmp_path, capsys, monkeypatch, write,
                                                        stage, flag, length):
    import warnings

    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    def forbidden(*args, **kwargs):
        raise AssertionError("packed or loaded before the stage files were checked")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)
    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    out = tmp_path / "run"
    out.mkdir()
    write(out / f"{stage}.h5md")
    before = (out / f"{stage}.h5md").read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(_with(_ARGV, flag, length) + ["-o", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert (f"{out / f'{stage}.h5md'} is the {stage} stage of an earlier run, and this run "
            f"skips that stage ({flag} {float(length):g}): left beside this run's stages it "
            "would be taken for one of them; refused before") in err, err
    assert err.rstrip().endswith("remove it or choose another output folder"), err
    assert (out / f"{stage}.h5md").read_bytes() == before
