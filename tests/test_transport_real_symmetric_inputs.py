"""Transport and density inputs: complex values refused, asymmetric pressure tensors judged.

Complex arrays were cast to real by ``np.asarray(..., dtype=float)`` with only numpy's
ComplexWarning (the imaginary part dropped); a pressure tensor with one triangle left at zero
gave a Green–Kubo viscosity of 0.26 of the truth, valid.
"""

import re
import warnings

import numpy as np
import pytest
from test_viscosity import DT, TAU, T, V, pressure_process

from mda_electrolyte import EinsteinHelfandViscosity, GreenKuboViscosity
from mda_electrolyte.density import Density, EquationOfState, TaitCompressibility
from mda_electrolyte.diffusion import check_cubic_box
from mda_electrolyte.ion_collection import IonCollection
from mda_electrolyte.viscosity import MAX_ANTISYMMETRY

RNG = np.random.default_rng(7)


def _symmetric(p):
    return p + p.transpose(0, 2, 1)


COMPLEX_INPUTS = {
    "density series": lambda z: Density(1.2 + 0.01 * RNG.normal(size=200) + z, dt=0.01),
    "pressure series": lambda z: EquationOfState(
        [1.0, 1.1, 1.2, 1.3], sources=[RNG.normal(size=100) + k + z for k in range(4)],
        dt=0.01),
    "pressures": lambda z: TaitCompressibility([1, 100, 200, 400 + z], [10, 9.9, 9.8, 9.7]),
    "pressure tensor (collection)": lambda z: IonCollection.from_pressure_tensor(
        RNG.normal(size=(100, 3, 3)) + z, dt=0.01, volume=1e3),
    "pressure tensor (viscosity)": lambda z: GreenKuboViscosity(
        _symmetric(RNG.normal(size=(100, 3, 3))) + z, dt=0.01, volume=1e3, temperature=300.0),
    "velocities": lambda z: IonCollection.from_arrays(
        {"LI": 2}, dt=0.01, velocities=RNG.normal(size=(50, 2, 3)) + z, charges={"LI": 1},
        volume=1e3),
    "charges": lambda z: IonCollection.from_arrays(
        {"LI": 2}, dt=0.01, velocities=RNG.normal(size=(50, 2, 3)), charges={"LI": 1 + z},
        volume=1e3),
    "charge current": lambda z: IonCollection.from_charge_current(
        RNG.normal(size=(50, 1, 3)) + z, ["LI"], dt=0.01, volume=1e3),
    "box": lambda z: check_cubic_box(np.array([10.0, 10, 10, 90, 90, 90]) + z, "the box"),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_INPUTS))
def test_complex_input_is_refused_with_numpy_warnings_as_errors(name):
    make = COMPLEX_INPUTS[name]
    with warnings.catch_warnings():
        # before: numpy's ComplexWarning (an error here) while the value was cast to real
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        with pytest.raises(ValueError, match="complex values"):
            make(0.5j)
        make(0.0)  # the same input, real: accepted


def _upper_triangle(p):
    q = p.copy()
    q[:, 1, 0] = q[:, 2, 0] = q[:, 2, 1] = 0.0
    return q


def _nine_columns_reshaped(p):
    # xx yy zz xy xz yz yx zx zy written as one row of 9 and reshaped row-major
    cols = [p[:, i, j] for i, j in ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2), (1, 0),
                                    (2, 0), (2, 1))]
    return np.stack(cols, axis=1).reshape(-1, 3, 3)


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("empty", ["lower", "upper"])
def test_a_tensor_with_one_triangle_left_at_zero_is_refused(cls, empty):
    p = pressure_process(1, n=4000)
    q = _upper_triangle(p)
    if empty == "upper":
        q = np.ascontiguousarray(q.transpose(0, 2, 1))
    kw = dict(temperature=T, volume=V, dt=DT, components="offdiagonal")
    with pytest.raises(ValueError, match=f"the {empty} off-diagonal triangle .* is zero"):
        cls(q, **kw)
    # the collection route is checked too (from_collections)
    col = IonCollection.from_pressure_tensor(q, dt=DT, volume=V, temperature=T)
    with pytest.raises(ValueError, match="triangle"):
        cls.from_collections(col)


@pytest.mark.parametrize("cls, kw", [(GreenKuboViscosity, {"max_lag": 10 * TAU}),
                                     (EinsteinHelfandViscosity, {})])
def test_components_in_the_wrong_places_make_the_viscosity_not_valid(cls, kw):
    # nine columns reshaped in another order: 0.52-0.58 of the truth before (not valid only
    # when a diagonal element's mean read as a static shear stress)
    p = pressure_process(1, n=8000, isotropic=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok = cls(p, temperature=T, volume=V, dt=DT, **kw).run().results
        bad = cls(_nine_columns_reshaped(p), temperature=T, volume=V, dt=DT, **kw).run().results
    assert not any("not symmetric" in n for n in ok.shear_viscosity.notes)
    assert not bad.shear_viscosity.converged
    note = next(n for n in bad.shear_viscosity.notes if n.startswith("not symmetric"))
    ratio = float(re.search(r"is ([0-9.]+) times its symmetric one", note).group(1))
    assert MAX_ANTISYMMETRY < ratio < 1.5


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.6])
def test_a_small_antisymmetric_part_is_symmetrised_away(fraction):
    # a molecular pressure tensor's antisymmetric part (here up to 0.6 of the shear part,
    # below MAX_ANTISYMMETRY) does not enter: η equals that of the symmetric tensor exactly
    assert fraction < MAX_ANTISYMMETRY
    p = pressure_process(2, n=4000)
    rng = np.random.default_rng(3)
    a = rng.normal(size=(p.shape[0], 3)) * fraction * 300.0
    q = p.copy()
    for k, (i, j) in enumerate(((0, 1), (0, 2), (1, 2))):
        q[:, i, j] += a[:, k]
        q[:, j, i] -= a[:, k]
    kw = dict(temperature=T, volume=V, dt=DT, max_lag=10 * TAU)
    ref = GreenKuboViscosity(p, **kw).run().results
    got = GreenKuboViscosity(q, **kw).run().results
    assert got.viscosity == pytest.approx(ref.viscosity, rel=1e-9)
    assert got.viscosity_err == pytest.approx(ref.viscosity_err, rel=1e-9)
