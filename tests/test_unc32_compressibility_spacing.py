"""compressibility_from_fluctuations takes its frame spacing in ps by the transport analyses'
rule: 1e-15 (1 fs written in seconds) was accepted and the result called valid."""
import numpy as np
import pytest

from ase_electrolyte.density_alignment import compressibility_from_fluctuations
from mda_electrolyte.correlation import check_frame_spacing


@pytest.mark.parametrize("dt", [1e-15, 1e-12, 1e-9])
def test_a_spacing_in_seconds_is_refused_with_the_transport_message(dt):
    volumes = 1000.0 + np.random.default_rng(0).normal(size=400)
    with pytest.raises(ValueError) as caught:
        compressibility_from_fluctuations(volumes, 300.0, dt=dt)
    with pytest.raises(ValueError) as same:
        check_frame_spacing(dt)
    assert str(caught.value) == str(same.value) and "give it in ps" in str(caught.value)


def test_a_spacing_in_ps_gives_the_same_compressibility_as_none():
    volumes = 1000.0 + np.random.default_rng(1).normal(size=400)
    with_dt = compressibility_from_fluctuations(volumes, 300.0, dt=0.01)
    without = compressibility_from_fluctuations(volumes, 300.0)
    assert with_dt.value == without.value and with_dt.stderr == without.stderr
