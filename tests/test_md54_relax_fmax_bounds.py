"""A relaxation threshold no model reaches, or one above the forces of any start, is refused
by name before any evaluation; the bounds themselves run.

``fmax=1e-9`` eV/Å ran every optimizer step (500 in run_protocol) and only then marked the
relaxation not converged; ``fmax=1e9`` (or 2000, 2 eV/Å in meV/Å) relaxed nothing without a word.
"""

import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import (
    MAX_RELAX_FMAX,
    MIN_RELAX_FMAX,
    check_protocol_arguments,
    relax,
    run_protocol,
)

# below single-precision round-off; 2 eV/Å in meV/Å and in kJ/(mol·nm); beyond any start
_REFUSED = [(1e-9, "below 1e-06 eV/Å"), (0.5 * MIN_RELAX_FMAX, "below 1e-06 eV/Å"),
            (2000.0, "above 100 eV/Å"), (193.0, "above 100 eV/Å"),
            (1e9, "above 100 eV/Å"), (1.01 * MAX_RELAX_FMAX, "above 100 eV/Å")]


@pytest.mark.parametrize("fmax, said", _REFUSED)
def test_relax_refuses_before_any_evaluation(tmp_path, fmax, said):
    calc = StoppingArgon()
    with pytest.raises(ValueError, match=f"^fmax = .* eV/Å is {said}") as err:
        relax(argon(calc, rattle=0.1), fmax=fmax, steps=50, trajectory=tmp_path / "r.h5md")
    assert "Ju et al. 2025: 2 eV/Å" in str(err.value)
    assert calc.calls == 0 and not (tmp_path / "r.h5md").exists()


@pytest.mark.parametrize("fmax, said", _REFUSED)
def test_the_protocol_refuses_before_any_evaluation(tmp_path, fmax, said):
    with pytest.raises(ValueError, match=f"^relax_fmax = .* eV/Å is {said}"):
        check_protocol_arguments(temperature_K=84.0, relax_fmax=fmax)
    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=f"^relax_fmax = .* eV/Å is {said}"):
            run_protocol(argon(rattle=0.1), calc, tmp_path / "run", temperature_K=84.0,
                         relax_fmax=fmax, progress=False)
    assert calc.calls == 0 and not (tmp_path / "run").exists()


def test_the_bounds_themselves_relax():
    # the smallest: reached by a double-precision pair potential, and converged
    strict = relax(argon(StoppingArgon(), rattle=0.1), fmax=MIN_RELAX_FMAX, steps=500)
    assert strict.info["relaxed_converged"]
    assert np.linalg.norm(strict.get_forces(), axis=1).max() <= MIN_RELAX_FMAX
    # the largest: a start below it is returned as it is, converged
    start = argon(StoppingArgon(), rattle=0.1)
    loose = relax(start, fmax=MAX_RELAX_FMAX, steps=500)
    assert loose.info["relaxed_converged"]
    np.testing.assert_array_equal(loose.positions, start.positions)
    check_protocol_arguments(temperature_K=84.0, relax_fmax=MIN_RELAX_FMAX)
    check_protocol_arguments(temperature_K=84.0, relax_fmax=MAX_RELAX_FMAX)
