"""The pages of the modules changed this stop say what the code now refuses, blends and keeps.

Behaviour changed with only the docstring of one function following, or none, while the page
a user reads for it said nothing or the opposite:

* docs/api/md.rst did not say that a time written to an H5MD file of a run that states its
  time step is checked against that step (times in ns or fs were refused nowhere before), nor
  that the file of a stage a rerun skips is refused before the first stage (or removed with
  ``overwrite=True``).
* docs/api/electrostatics.rst said "the nearest cell's set is taken" and nothing of the blend
  of two kept lattice-sum sets about the middle between their cells, nor of ``set()`` keeping
  the sets unless ``method``, ``tolerance`` or ``cutoff`` changes.
* docs/api/build.rst said nothing of ``temperature_K`` beside ``conformers="lowest"`` (refused).
* docs/api/cli.rst said ``--dt`` is "also for ASE frames without times" and nothing of ASE
  frames with evenly spaced times of another spacing (refused before reading), nor that the
  shells are skipped for a topology whose formal charges record nothing.

Each case makes the behaviour happen and looks on the page for the words that state it; the
numbers the pages quote for the blend are the code's.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"


def _page(name):
    # the words of the page, line breaks read as spaces
    return " ".join((API / name).read_text(encoding="utf-8").split())


def _h5md_time_in_another_unit(tmp_path):
    from ase.build import bulk

    from ase_electrolyte.trajectory import H5MDWriter

    atoms = bulk("Cu", cubic=True)
    with H5MDWriter(tmp_path / "run.h5md", atoms, forces=False,
                    run_info={"timestep_fs": 2.0}) as writer:
        writer.write(atoms, step=0, time=0.0)
        writer.write(atoms, step=1, time=2e-6)  # 2 fs as ns


def _rerun_beside_a_skipped_stage_file(tmp_path):
    from ase.build import bulk
    from ase.calculators.emt import EMT

    from ase_electrolyte.md import run_protocol

    (tmp_path / "equilibration.h5md").write_bytes(b"")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_protocol(bulk("Cu", cubic=True), EMT(), tmp_path, temperature_K=300.0,
                     preequilibration_ps=0, equilibration_ps=0, production_ps=0.01,
                     timestep_fs=2.0, write_interval_fs=10.0, production_ensemble="nvt",
                     progress=False)


def _lowest_conformers_at_a_temperature(tmp_path):
    from ase_electrolyte.build import electrolyte_box

    # a tiny PACKMOL timeout: a box that got past the refusal fails naming the timeout
    electrolyte_box(counts={"DMC": 4}, conformers="lowest", temperature_K=400.0, seed=0,
                    packmol_timeout=1e-3)


def _dt_over_evenly_stored_times(tmp_path):
    import ase.io
    from ase import Atoms

    from electrolyte_cli import main

    frames = [Atoms("Li", positions=[[float(k), 0.0, 0.0]], cell=[10.0] * 3, pbc=True,
                    info={"time_ps": 0.01 * k}) for k in range(4)]
    path = tmp_path / "run.extxyz"
    ase.io.write(path, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["analyze", str(path), "--dt", "1", "-o", str(tmp_path / "out")])
    if status == 2:
        raise ValueError("refused")


CASES = {
    "h5md time unit": (_h5md_time_in_another_unit, "time step of the run", "md.rst", (
        'Where the run states its time step, as ``run_info["timestep_fs"]``',
        "any other time is refused", "in ns (10⁻⁶ ps per step) or in fs")),
    "skipped stage file": (_rerun_beside_a_skipped_stage_file, "skips that stage", "md.rst", (
        "The file of a stage this run skips is refused too, before the first stage runs",
        "``overwrite=True`` removes it instead")),
    "lowest conformers at a temperature": (
        _lowest_conformers_at_a_temperature, "no effect with conformers='lowest'", "build.rst",
        ('beside ``conformers="lowest"`` a temperature other than the default is refused '
         "before any conformer search or PACKMOL run",)),
    "dt over stored times": (_dt_over_evenly_stored_times, "refused", "cli.rst", (
        "Over ASE frames that carry evenly spaced times of another spacing",
        "``--dt`` is refused too, naming the stored spacing, before a frame is read")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refusal_of_this_stop_is_stated_on_its_page(case, tmp_path, capsys):
    act, message, page, stated = CASES[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        act(tmp_path)
    if case == "dt over stored times":
        err = capsys.readouterr().err
        assert "0.01 ps apart" in err and err.count("\n") == 1, err
    text = _page(page)
    missing = [words for words in stated if words not in text]
    assert not missing, (page, missing)


def test_the_electrostatics_page_states_the_blend_and_what_set_keeps_as_the_code_does():
    from ase_electrolyte import electrostatics

    text = _page("electrostatics.rst")
    assert "the nearest cell's set is taken" in text
    assert "the two sets' energies are blended with weights smooth in the cell" in text
    width = re.search(r"softmin of each set's squared strain over 10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", text)
    assert width, "the page gives no blend width"
    digits = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    assert 10.0 ** int(width.group(1).translate(digits)) == electrostatics._BLEND_STRAIN2
    named = re.search(r"``set\(\)`` drops the sets only when ``(\w+)``, ``(\w+)`` or ``(\w+)`` "
                      r"changes, the options they are chosen from, or the charge model \(([^:]+):",
                      text)
    assert named, "the page does not say which options set() drops the sets for"
    charge_model = re.findall(r"``(\w+)``", named.group(4))
    assert set(named.groups()[:3]) | set(charge_model) == set(electrostatics._LATTICE_OPTIONS)


def test_the_blend_is_the_one_the_page_states_between_two_cells_five_percent_apart():
    """±0.3 % strain about the middle between two cells 5 % apart: the weights of the two sets
    (a softmin of the squared strains) turn from one to the other within that range."""
    import torch
    from scipy.optimize import brentq

    from ase_electrolyte.electrostatics import _blend_weights

    a, b = np.eye(3) * 10.0, np.eye(3) * 10.5

    def weight_of_b(length):
        cell = torch.tensor(np.eye(3) * length, dtype=torch.float64)
        return float(_blend_weights([a, b], cell)[1])

    middle = brentq(lambda length: weight_of_b(length) - 0.5, 10.0, 10.5)
    assert abs(middle / 10.25 - 1.0) < 0.003
    assert weight_of_b(middle * 0.997) < 1e-3 and weight_of_b(middle * 1.003) > 1.0 - 1e-3
    assert 0.01 < weight_of_b(middle * 0.999) < weight_of_b(middle * 1.001) < 0.99
    assert "±0.3 % strain where they are 5 % apart" in _page("electrostatics.rst")


def test_shells_skipped_for_charges_that_record_nothing_as_the_cli_page_says(tmp_path):
    import MDAnalysis as mda
    from MDAnalysis.coordinates.memory import MemoryReader

    from mda_electrolyte.solvation import _report

    # two Li+ and two PF6- (P alone stands for the anion) whose charge column reads 0
    u = mda.Universe.empty(4, n_residues=4, atom_resindex=range(4), trajectory=True)
    u.add_TopologyAttr("resnames", ["LI", "LI", "PF6", "PF6"])
    u.add_TopologyAttr("names", ["Li", "Li", "P", "P"])
    u.add_TopologyAttr("elements", ["Li", "Li", "P", "P"])
    u.add_TopologyAttr("masses", [6.94, 6.94, 30.97, 30.97])
    u.add_TopologyAttr("formalcharges", [0, 0, 0, 0])
    positions = np.random.default_rng(0).random((3, 4, 3)).astype(np.float32) * 10
    u.load_new(positions, format=MemoryReader, dimensions=[10, 10, 10, 90, 90, 90])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = _report(u, tmp_path)
    assert set(result) == {"skipped"} and "anions from solvents" in result["skipped"], result
    text = _page("cli.rst")
    assert ("Formal charges that record nothing (cations whose formal charge is not a positive "
            "whole number") in text
    assert "the shells are then skipped with that reason" in text


def test_the_rdf_page_says_the_first_shell_carries_the_curve_verdict():
    from test_struct55_shell_verdicts import _run, _shells

    estimates, _ = _run(_shells(10))
    for name in ("first_peak", "first_minimum", "g_max"):
        assert not estimates[name].valid and "too short" in estimates[name].verdict, name
    text = _page("rdf.rst")
    assert ("The first peak and minimum are no better than the g(r) they are read from: they "
            "carry its verdict") in text
    assert ("is that of the pair counts divided by the frames' statistical inefficiency"
            in text)


def test_the_errors_page_says_one_frame_repeated_has_no_error_bar():
    from mda_electrolyte.error_metrics import error_estimates

    rng = np.random.default_rng(0)
    ref = rng.normal(size=(24, 3))
    model = 0.9 * ref + 0.3 * rng.normal(size=(24, 3))
    rmse, _ = error_estimates(np.stack([ref] * 30), np.stack([model] * 30), "eV/Å",
                              component_axes=1)
    assert np.isnan(rmse.stderr) and not rmse.valid
    assert any(note.startswith("no scatter over the") for note in rmse.notes), rmse.notes
    text = _page("intra_inter_errors.rst")
    assert 'have no error bar, NaN and not valid, "no scatter over the N frames"' in text
    assert "a model equal to its reference is 0 ± 0" in text
