"""``electrolyte diagnose``'s words about ``--scales`` are the scan's: the help's default is
:data:`~mda_electrolyte.volume_scan.DEFAULT_SCALES`, and the example the refusals give is a
scan whose minimum the fit can find.

The help said "default 0.9 ... 1.5" of a default 0.85 ... 2.0 (11 factors), and the refusals
advised ``0.9,1.0,1.2``: three factors, a scan whose minimum :func:`scan_minimum` always
refuses ("too few points", it needs 5), found only after the model had evaluated every frame.
"""

import re

import numpy as np
import pytest

from electrolyte_cli import diagnose
from mda_electrolyte import volume_scan


def _help(capsys):
    from electrolyte_cli import main

    with pytest.raises(SystemExit):
        main(["diagnose", "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_the_help_states_the_scans_default_and_least_factors(capsys):
    text = _help(capsys)
    found = re.search(r"default ([\d.]+) \.\.\. ([\d.]+), (\d+) factors; the fit of its "
                      r"minimum needs at least (\d+) factors", text)
    assert found, text
    low, high, n, least = found.groups()
    assert float(low) == min(volume_scan.DEFAULT_SCALES)
    assert float(high) == max(volume_scan.DEFAULT_SCALES)
    assert int(n) == len(volume_scan.DEFAULT_SCALES)
    assert int(least) == volume_scan.MIN_MINIMUM_POINTS


def _scan(scales, n_frames=8, seed=0):
    """A rigid scan of ``n_frames`` frames: a Lennard-Jones-like E(s) (meV/atom) with its
    minimum at s = 1, each frame's curve shifted and tilted by noise."""
    rng = np.random.default_rng(seed)
    s = np.asarray(scales, dtype=float)
    curve = 40.0 * (s ** -12 - 2.0 * s ** -6)
    total = curve + rng.normal(0, 0.05, (n_frames, 1)) + rng.normal(0, 0.2, (n_frames, 1)) * (s - 1)
    volumes = 1000.0 * np.broadcast_to(s ** 3, total.shape)
    return volume_scan.scan_minimum(s, volumes, total, n_atoms=100)


def _example_scales(text):
    return [float(x) for x in re.search(r"(?:e\.g\.|such as) ([\d.,]+\d)", text).group(1)
            .split(",")]


@pytest.mark.parametrize("argument", [",", "1e9"])
def test_the_refusals_example_is_a_scan_whose_minimum_is_found(argument):
    with pytest.raises(ValueError) as refused:
        diagnose._check_scale_range(diagnose._parse_scales(argument))
    scales = _example_scales(str(refused.value))
    assert len(scales) >= volume_scan.MIN_MINIMUM_POINTS, refused.value
    minimum = _scan(scales)
    assert minimum["scale"].valid, minimum["scale"]
    assert minimum["scale"].value == pytest.approx(1.0, abs=3 * minimum["scale"].stderr + 0.01)


def test_the_old_example_was_refused_by_the_fit():
    """What the advice was: its minimum is never valid, whatever the model."""
    minimum = _scan([0.9, 1.0, 1.2])
    assert not minimum["scale"].valid
    assert "too few points" in minimum["scale"].verdict
