"""``dt`` given for H5MD files, whose observables carry their times.

Before: ``Density("npt.h5md", dt=0.5)`` and ``EquationOfState(rho, sources=[files], dt=0.5)``
read the files' own spacing and ignored the ``dt`` given without a word (a Universe's dt was
refused already). A ``dt`` that spaces array sources among files is still taken.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.lj import LennardJones

from ase_electrolyte.trajectory import H5MDWriter
from mda_electrolyte import Density, EquationOfState

RHO = np.linspace(1.0, 1.3, 5)
P = 2000.0 * ((RHO / 1.15) ** 7 - 1.0)


def _file(path, observables, n=60):
    atoms = molecule("H2O")
    atoms.center(vacuum=4.0)
    atoms.pbc = True
    atoms.calc = LennardJones(sigma=1.0, rc=3.0)
    rng = np.random.default_rng(abs(hash(str(path))) % 2**32)
    with H5MDWriter(path, atoms) as w:
        for k in range(n):
            values = {
                name: mean * (1.0 + 0.01 * rng.normal()) + 0.01 * rng.normal()
                for name, mean in observables.items()
            }
            w.write(atoms, step=k, time=0.01 * k, observables=values)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    density = _file(folder / "npt.h5md", {"density": 1.2})
    pressures = [_file(folder / f"nvt{k}.h5md", {"pressure": p}) for k, p in enumerate(P)]
    return density, pressures


@pytest.mark.parametrize("dt", [0.01, 0.5, 1])
def test_density_of_a_file_refuses_dt(files, dt):
    density, _ = files
    with pytest.raises(ValueError, match="an H5MD file whose observables carry their times"):
        Density(density, dt=dt)
    assert Density(density).run().results.density == pytest.approx(1.2, rel=0.01)


@pytest.mark.parametrize("dt", [0.01, 0.5])
def test_eos_of_files_only_refuses_dt(files, dt):
    _, pressures = files
    with pytest.raises(ValueError, match="sources that are all H5MD files"):
        EquationOfState(RHO, sources=pressures, dt=dt)
    assert EquationOfState(RHO, sources=pressures).run().results.rho0 == pytest.approx(
        1.15, abs=0.01
    )


def test_dt_spaces_the_arrays_among_files(files):
    _, pressures = files
    rng = np.random.default_rng(1)
    mixed = list(pressures)
    mixed[2] = P[2] * (1.0 + 0.01 * rng.normal(size=60)) + rng.normal(size=60)
    with pytest.raises(ValueError, match="needs its spacing dt="):
        EquationOfState(RHO, sources=mixed)
    assert EquationOfState(RHO, sources=mixed, dt=0.01).run().results.rho0 == pytest.approx(
        1.15, abs=0.01
    )
