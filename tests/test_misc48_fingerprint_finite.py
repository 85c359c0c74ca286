"""A calculator parameter that is not finite (LennardJones(rc=inf)) entered the calculator
fingerprint as the bare JSON token Infinity; run_md stores the fingerprint in the trajectory's
run_info, which the writer now refuses to hold NaN/Infinity (no JSON). The fingerprint writes
such a number as its text, still distinct from every finite value, and run_md runs.
"""

import json

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import calculator_fingerprint, run_md


@pytest.mark.parametrize("rc, text", [(np.inf, "inf"), (float("inf"), "inf")])
def test_fingerprint_is_strict_json(rc, text):
    fp = calculator_fingerprint(LennardJones(sigma=3.4, epsilon=0.0104, rc=rc))
    dumped = json.dumps(fp, allow_nan=False)   # raised "Out of range float values" before
    assert f'"{text}"' in dumped


def test_fingerprints_still_differ():
    a = calculator_fingerprint(LennardJones(sigma=3.4, epsilon=0.0104, rc=np.inf))
    b = calculator_fingerprint(LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0))
    c = calculator_fingerprint(LennardJones(sigma=3.4, epsilon=0.0104, rc=np.inf))
    assert a != b and a == c


def test_run_md_with_an_infinite_parameter(tmp_path):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=5.0, smooth=True)
    # rc=inf is only recorded here (ASE's LJ with an infinite cutoff is no finite sum)
    atoms.calc.parameters["rc"] = 5.0
    atoms.calc.parameters["ro"] = np.inf
    out = run_md(atoms, ensemble="nve", steps=2, timestep_fs=2.0, temperature_K=60,
                 trajectory=tmp_path / "md.h5md", write_interval=2, progress=False)
    assert len(out) == 4 and (tmp_path / "md.h5md").is_file()
