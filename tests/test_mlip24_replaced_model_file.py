"""set(model=path) after the file at path was written anew loads the new model.

Before: the path equal to the loaded one was no change, set() returned {} and the calculator
went on with the old network under the file's name (a CHGNet 0.3.0 file overwritten by the
r2scan one: -8.147 eV where a fresh calculator gave -21.626 eV).
"""

import glob
import os
import shutil
import warnings

import pytest


def test_a_model_file_written_anew_is_loaded_again_on_set(tmp_path):
    chgnet = pytest.importorskip("chgnet")
    from ase.build import bulk

    from ase_electrolyte import Calculator

    shipped = os.path.join(os.path.dirname(chgnet.__file__), "pretrained")
    first = glob.glob(os.path.join(shipped, "0.3.0", "*.pth.tar"))
    second = glob.glob(os.path.join(shipped, "r2scan", "*.pth.tar"))
    if not (first and second):
        pytest.skip("chgnet ships no two checkpoints")
    path = tmp_path / "model.pth.tar"
    shutil.copy(first[0], path)
    atoms = bulk("Cu", "fcc", a=3.6) * (2, 1, 1)
    atoms.rattle(0.05, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calc = Calculator(str(path), device="cpu")
        atoms.calc = calc
        before = atoms.get_potential_energy()
        # the same path set again, the file unchanged: no change, the results stand
        assert calc.set(model=str(path)) == {}
        assert calc.results
        shutil.copy(second[0], str(path) + ".new")
        os.replace(str(path) + ".new", path)
        assert calc.set(model=str(path)) == {"model": str(path)}
        assert not calc.results  # the old model's results are gone
        after = atoms.get_potential_energy()
        fresh = atoms.copy()
        fresh.calc = Calculator(str(path), device="cpu")
        assert after == pytest.approx(fresh.get_potential_energy(), abs=1e-6)
    assert abs(after - before) > 1.0  # the two models differ by far more than rounding
