"""The rules ``electrolyte analyze`` applies before reading, public and worded for the command.

The frame-spacing rule of :func:`mda_electrolyte.from_ase` (a ``dt`` over evenly stored times
of another spacing is refused) and the temperature count an H5MD file states were private
names that the command imported; the rule took a list of Atoms built only to carry times.
The library's "leave dt out" read "leave dt out" on the command line beside "give --dt 0.01".
"""

import numpy as np
import pytest


@pytest.mark.parametrize("dt, times, refused", [
    (1.0, [0.0, 0.01, 0.02, 0.03], True),        # 100 times the stored spacing
    (0.005, [5.0, 5.01, 5.02], True),             # half of it, frames from 5 ps on
    (0.01, [0.0, 0.01, 0.02, 0.03], False),       # the stored spacing itself
    (0.01 * (1 + 1e-8), [0.0, 0.01, 0.02], False),  # equal to rounding
    (1.0, [0.0, 0.01, 0.05], False),              # uneven: what dt overrides
    (1.0, [0.0], False),                          # one frame: no spacing stored
    (1.0, [0.0, np.nan, 0.02], False),            # not a time: dt overrides it
])
def test_dt_against_stored_times(dt, times, refused):
    from mda_electrolyte.bridge import check_dt_against_times

    if refused:
        spacing = f"{times[1] - times[0]:g}"
        with pytest.raises(ValueError, match=rf"{spacing} ps apart: leave dt out, or give "
                                             rf"dt = {spacing}$"):
            check_dt_against_times(dt, times)
    else:
        check_dt_against_times(dt, times)


@pytest.mark.parametrize("dt, spacing", [(1.0, 0.01), (0.02, 0.01), (0.5, 0.25)])
def test_from_ase_applies_the_same_rule(dt, spacing):
    import ase

    from mda_electrolyte import from_ase
    from mda_electrolyte.bridge import check_dt_against_times

    frames = []
    for k in range(4):
        frame = ase.Atoms("Ar2", positions=[[0, 0, 0], [3.0 + 0.01 * k, 0, 0]],
                          cell=[10, 10, 10], pbc=True)
        frame.info["time_ps"] = 2.0 + spacing * k
        frames.append(frame)
    with pytest.raises(ValueError) as library:
        from_ase(frames, dt=dt)
    with pytest.raises(ValueError) as rule:
        check_dt_against_times(dt, [f.info["time_ps"] for f in frames])
    assert str(library.value) == str(rule.value)
    assert from_ase(frames, dt=spacing).trajectory.dt == pytest.approx(spacing)


@pytest.mark.parametrize("keyword, flag", [("dt", "--dt"), ("lammps_units", "--lammps-units"),
                                           ("density", "--density")])
def test_leave_a_keyword_out_reads_leave_out_its_option(keyword, flag):
    from electrolyte_cli.arguments import _option_in_front

    text = f"the frames say otherwise: leave {keyword} out, or give {keyword} = 3"
    assert _option_in_front(text, {keyword: flag}) == (
        f"the frames say otherwise: leave out {flag}, or give {flag} 3")


def test_stated_temperature_count_is_public_and_documented():
    from pathlib import Path

    import ase_electrolyte.trajectory as trajectory

    assert trajectory.stated_temperature_count("no such file.h5md") is None
    pages = Path(__file__).parent.parent / "docs" / "api"
    text = "".join(p.read_text() for p in pages.glob("*.rst"))
    assert ".. autofunction:: ase_electrolyte.trajectory.stated_temperature_count" in text
    assert ".. autofunction:: mda_electrolyte.bridge.check_dt_against_times" in text
