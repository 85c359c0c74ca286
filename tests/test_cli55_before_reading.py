"""``analyze --dt`` over frames with their own times, and ``--constraints``/``--com-removed``
against an H5MD file's stated count, refused before a frame is read.

Both were refused by the library only once every frame had been read (seconds to minutes for
a long trajectory). The times of an extxyz file stand in its comment lines, those of an ASE
``.traj`` file in each frame's header; an H5MD file of ``electrolyte simulate`` states its
temperatures' N_dof in its metadata.
"""


import ase
import ase.io
import pytest
from ase.build import molecule
from ase.io.trajectory import Trajectory
from test_cli54_constraints_before_reading import _run, unread  # noqa: F401
from test_tcount30_temperature_count import stated  # noqa: F401


def _water(k=0):
    w = molecule("H2O", cell=[8.0, 8.0, 8.0], pbc=True)
    w.positions += 2.0 + 0.05 * k
    return w


def _frames(times):
    frames = []
    for k, t in enumerate(times):
        w = _water(k)
        if t is not None:
            w.info["time_ps"] = t
        frames.append(w)
    return frames


def _write(path, frames):
    if path.suffix == ".traj":
        with Trajectory(path, "w") as traj:
            for a in frames:
                traj.write(a)
    else:
        ase.io.write(path, frames)


EVEN = [0.0, 0.01, 0.02, 0.03]


@pytest.mark.parametrize("suffix", [".extxyz", ".traj"])
@pytest.mark.parametrize("dt", ["1", "0.02", "0.005"])
def test_dt_against_evenly_stored_times_refused_before_reading(suffix, dt, unread, capsys):  # noqa: F811
    path = unread / f"run{suffix}"
    _write(path, _frames(EVEN))
    status, err = _run(["analyze", str(path), "--dt", dt, "-o", "out"], capsys)
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"electrolyte analyze: error: --dt {dt} ps:"), err
    assert "0.01 ps apart" in err and "give --dt 0.01" in err, err
    assert not (unread / "out").exists()


@pytest.mark.parametrize("suffix", [".extxyz", ".traj"])
@pytest.mark.parametrize("times, dt", [
    (EVEN, "0.01"),                       # dt agrees with the stored spacing
    ([0.0, 0.01, 0.03, 0.04], "1"),       # uneven: dt overrides them
    ([None, None, None], "1"),            # no stored times: dt gives them
    ([0.0, None, 0.02], "1"),             # some frames without: the library's to judge
])
def test_dt_the_library_may_accept_goes_on_to_the_frames(suffix, times, dt, unread, capsys):  # noqa: F811
    path = unread / f"run{suffix}"
    _write(path, _frames(times))
    status, err = _run(["analyze", str(path), "--dt", dt, "-o", "out"], capsys)
    assert "read the trajectory before refusing" in err, err


def test_the_library_refuses_what_the_header_check_refuses(tmp_path):
    """The early refusal is the library's rule: the same frames read whole are refused too."""
    from mda_electrolyte.bridge import from_ase

    path = tmp_path / "run.extxyz"
    _write(path, _frames(EVEN))
    with pytest.raises(ValueError, match="0.01 ps apart"):
        from_ase(path, dt=1.0)


@pytest.mark.parametrize("options", [
    ["--constraints", "0"], ["--constraints", "11"], ["--constraints", "13"],
    ["--com-removed", "no"], ["--constraints", "12", "--com-removed", "no"],
])
def test_count_contradicting_the_h5md_statement_refused_before_reading(
        options, stated, unread, capsys):  # noqa: F811
    status, err = _run(["analyze", str(stated), *options, "-o", "out"], capsys)
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"{' '.join(options[:2])}" in err and "contradicts" in err, err
    assert "21 degrees of freedom (12 constraints, centre of mass at rest)" in err, err
    assert not (unread / "out").exists()


@pytest.mark.parametrize("argv", [
    ["--dt", "1"], ["--constraints", "0"], ["--com-removed", "no"]])
def test_the_early_refusals_import_no_analysis(argv, stated, unread, capsys, monkeypatch):  # noqa: F811
    """A refusal whose words hold no Python keyword imports no analysis module to mark one
    (the analyses' import took seconds; 20 s on a loaded machine)."""
    import electrolyte_cli.arguments as cli_arguments

    def forbidden():
        raise AssertionError("imported the analyses to word a refusal")

    monkeypatch.setattr(cli_arguments, "analysis_keywords", forbidden)
    path = stated
    if argv[0] == "--dt":
        path = unread / "run.extxyz"
        _write(path, _frames(EVEN))
    status, err = _run(["analyze", str(path), *argv, "-o", "out"], capsys)
    assert status == 2 and "imported the analyses" not in err, err


@pytest.mark.parametrize("options", [
    ["--constraints", "12"], ["--com-removed", "yes"],
    ["--constraints", "12", "--com-removed", "yes"],
])
def test_the_files_own_count_goes_on_to_the_frames(options, stated, unread, capsys):  # noqa: F811
    status, err = _run(["analyze", str(stated), *options, "-o", "out"], capsys)
    assert "read the trajectory before refusing" in err, err
