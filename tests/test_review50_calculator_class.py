"""A calculator class given where an instance is meant is refused by name, before any frame.

``RigidVolumeScan(frames, LennardJones)`` failed inside the first evaluation with
"reset() missing 1 required positional argument: 'self'", and ``IntraInterErrors`` with the
class as its reference took it for stored labels or failed at run time with "calculator
<property object> failed to give energy".
"""

import pytest
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from test_struct50_parallel_parts import _frames

from mda_electrolyte import IntraInterErrors, RigidVolumeScan
from mda_electrolyte.model_labels import is_calculator

CLASSES = [LennardJones, EMT]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_a_class_is_no_calculator(cls):
    assert not is_calculator(cls)
    assert is_calculator(cls())


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("role", ["model", "reference"])
def test_intra_inter_errors_names_the_class(cls, role):
    args = {"model": LennardJones(sigma=1.0, rc=4.0), "reference": LennardJones(rc=4.0)}
    args[role] = cls
    with pytest.raises(TypeError) as err:
        IntraInterErrors(_frames(), args["model"], reference=args["reference"])
    said = f"not the class {cls.__name__}: give an instance, e.g. {cls.__name__}()"
    assert said in str(err.value)
    assert str(err.value).startswith(f"{role} must be an ASE calculator")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("role", ["calculator", "reference"])
def test_volume_scan_names_the_class(cls, role):
    args = {"calculator": LennardJones(rc=4.0), "reference": None}
    args[role] = cls
    with pytest.raises(TypeError) as err:
        RigidVolumeScan(_frames(), args["calculator"], reference=args["reference"],
                        scales=[0.95, 1.0, 1.05, 1.1, 1.2])
    assert str(err.value) == (f"{role} must be an ASE calculator, not the class "
                              f"{cls.__name__}: give an instance, e.g. {cls.__name__}()")


def test_instances_still_run():
    scan = RigidVolumeScan(_frames(2), LennardJones(rc=4.0),
                           scales=[0.95, 1.0, 1.05, 1.1, 1.2]).run()
    assert scan.results.total.shape[0] == 2
