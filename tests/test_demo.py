"""What the demo adds to the analyses' verdicts: its own size (too few ions, too short)."""

import json
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate, estimates_to_dict
from ase_electrolyte.html_report import write_html_report
from electrolyte_cli.demo import (
    MIN_PRODUCTION_PS,
    demo_limits,
    mark_estimates,
)
from mda_electrolyte.frame_estimates import MIN_IONS


def _summary():
    sigma = Estimate(1.1, 0.2, "S/m", "t-scaled standard error over 10 blocks", 10)
    coordination = Estimate(4.2, 0.3, "1", "t-scaled standard error over 3 ions", 3)
    return {
        "green_kubo_conductivity": {
            "conductivity": sigma.to_dict(),  # as run_analyses returns it
            "parts": {"collective:Li": sigma.to_dict()},
            "frame_spacing_ps": 0.001,
        },
        "solvation_shells": {"coordination": {"Li": coordination}, "cutoff_A": [2.8, 3.1]},
        "diffusion": {"refused": "too few lags"},
    }


def test_demo_sized_runs_mark_every_number():
    reasons = demo_limits(1, 0.2, 103)
    assert len(reasons) == 2
    assert reasons[0].startswith("too few ions: 1 Li+") and reasons[1].startswith("too short")
    marked = mark_estimates(_summary(), reasons)
    gk = marked["green_kubo_conductivity"]
    for d in (gk["conductivity"], gk["parts"]["collective:Li"]):
        assert d["converged"] is False and d["value"] == 1.1 and d["stderr"] == 0.2
        assert "too few ions" in d["verdict"] and "too short" in d["verdict"]
    shell = marked["solvation_shells"]["coordination"]["Li"]
    assert isinstance(shell, Estimate) and not shell.valid and "too few ions" in shell.verdict
    # what is not an Estimate is left alone, and the input is not modified
    assert gk["frame_spacing_ps"] == 0.001 and marked["diffusion"] == {"refused": "too few lags"}
    assert marked["solvation_shells"]["cutoff_A"] == [2.8, 3.1]
    assert _summary()["green_kubo_conductivity"]["conductivity"]["converged"] is True
    # marking twice does not repeat a reason; the JSON round trip keeps the verdicts
    twice = mark_estimates(marked, reasons)
    assert twice["green_kubo_conductivity"]["conductivity"]["notes"].count(reasons[0]) == 1
    back = json.loads(json.dumps(estimates_to_dict(twice)))
    assert back["solvation_shells"]["coordination"]["Li"]["converged"] is False


def test_large_long_runs_keep_the_analyses_verdicts():
    assert demo_limits(MIN_IONS, MIN_PRODUCTION_PS, 1000) == []
    assert demo_limits(MIN_IONS - 1, MIN_PRODUCTION_PS, 1000)[0].startswith("too few ions")
    assert demo_limits(MIN_IONS, 10.0, 1000)[0].startswith("too short: 10 ps")
    assert mark_estimates(_summary(), []) == _summary()


def test_html_report_marks_the_demo_numbers(tmp_path):
    marked = mark_estimates(_summary(), demo_limits(1, 0.2, 103))
    page = write_html_report(
        tmp_path / "report.html", title="demo", settings={"atoms": 103}, summary=marked
    ).read_text()
    # the three Estimates: conductivity, its Li part, the Li coordination number
    assert page.count("class='invalid'") + page.count('class="invalid"') == 3
    assert "too few ions" in page
    with pytest.raises(ValueError):  # an invalid Estimate must say why: marking always does
        Estimate(1.0, 0.1, "S/m", "x", converged=False)


def test_simulate_terminal_lines_print_only_valid_numbers():
    from electrolyte_cli.simulate import result_lines

    good = Estimate(1.2034, 0.0041, "g/cm^3", "statistical inefficiency", 40)
    short = Estimate.invalid(0.8021, 0.0, "g/cm^3", "statistical inefficiency",
                             "too short: 2.1 independent samples (< 10)")
    density, temperature = result_lines({"density": short, "temperature": good})
    assert "0.80" not in density and "no result (too short: 2.1" in density
    assert "1.2034 ± 0.0041 g/cm^3 (valid)" in temperature


def _cheap_demo(out, monkeypatch):
    """``run``: the demo's own steps into ``out`` with a cheap stand-in for SevenNet-0, 0.05 ps.

    The stand-in keeps every molecule's shape (an elastic network within each molecule) and
    puts Lennard-Jones between molecules: a plain Lennard-Jones model let the molecules fall
    apart, and the analyses rightly refuse a trajectory whose stored molecules are no longer
    bonded groups."""
    pytest.importorskip("rdkit")
    pytest.importorskip("packmol")
    import argparse

    from molecular_pair_model import MolecularPairModel

    import electrolyte_cli.arguments as A
    from electrolyte_cli import demo

    monkeypatch.setattr(
        A, "make_calculator",
        lambda *a, **k: MolecularPairModel(k=2.0, r0="initial", epsilon=0.005, sigma=2.5,
                                           rc=6.0),
    )
    monkeypatch.setattr(A, "check_model_args", lambda *a, **k: None)
    args = argparse.Namespace(n_atoms=None, production_ps=0.048, equilibration_ps=None,
                              dispersion="none",
                              device="cpu", quiet=True, output=str(out))
    return lambda: demo.run(args)


@pytest.fixture(scope="module")
def cheap_demo_folder(tmp_path_factory):
    """The folder of one finished cheap demo (:func:`_cheap_demo`), run once for this module:
    the tests read it, and copy it before running in it again."""
    out = tmp_path_factory.mktemp("cheap_demo") / "demo"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _cheap_demo(out, monkeypatch)()
    return out


@pytest.mark.slow
def test_demo_end_to_end_with_a_cheap_potential(cheap_demo_folder):
    """The demo's own steps (box, protocol, analyses, marking, report) with LJ for SevenNet-0."""
    out = cheap_demo_folder
    simulation = json.loads((out / "simulation.json").read_text())
    assert set(simulation["estimates"]) >= {"density", "temperature"}
    assert simulation["estimates"]["density"]["converged"] is False  # 0.2 ps of NPT
    summary = json.loads((out / "analysis" / "summary.json").read_text())
    found = []

    def walk(obj, path):
        if isinstance(obj, dict) and {"value", "converged", "verdict"} <= set(obj):
            found.append((path, obj))
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, (*path, k))

    for name, section in summary.items():
        walk(section, (name,))
    # settings (a preset cutoff where an RDF had no minimum) are given, not results of the run
    measured = [(p, d) for p, d in found if not d.get("given")]
    assert measured and all(not d["converged"] and "too short: 0.048 ps" in d["verdict"]
                            for _, d in measured), [p for p, d in measured if d["converged"]
                                                    or "too short: 0.048 ps" not in d["verdict"]]
    # "too few ions" is each analysis' own verdict on its averages over ions (the demo adds
    # none): present where the one Li+ is averaged over (shells, transport), never on the
    # run's temperature, the density or the viscosity, which are not ion averages
    few_ions = [path for path, d in found if "too few ions" in d["verdict"]]
    assert few_ions, [p for p, _ in found]
    not_over_ions = ("density", "viscosity", "temperature")
    assert not any(any(word in part for part in path for word in not_over_ions)
                   for path in few_ions), few_ions
    page = (out / "analysis" / "report.html").read_text()
    assert page.count("class='invalid'") >= len(found) + 1  # and the run's own density


def test_demo_that_cannot_write_its_marked_summary_leaves_no_unmarked_one(
        cheap_demo_folder, tmp_path, monkeypatch):
    """Disk full at the demo's marked summary: no summary.json whose numbers read as results."""
    import errno
    import shutil

    import ase_electrolyte.atomic_file as atomic_file
    import mda_electrolyte.report  # noqa: F401 - binds the real writer for the first summary

    # the finished demo's run folder without its analyses: the rerun reuses the finished MD
    # stages (the fault is in the reporting after them) and analyses the run again
    out = tmp_path / "demo"
    shutil.copytree(cheap_demo_folder, out, ignore=shutil.ignore_patterns("analysis"))
    run = _cheap_demo(out, monkeypatch)
    write = atomic_file.write_json_atomic

    def full_disk_for_the_demo_summary(path, *args, **kwargs):
        if Path(path).parent.name == "analysis":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write(path, *args, **kwargs)

    # the demo's own (second) write; the analyses' first write is bound in mda_electrolyte.report
    monkeypatch.setattr(atomic_file, "write_json_atomic", full_disk_for_the_demo_summary)
    with pytest.raises(OSError, match="No space left"):
        run()
    assert (out / "simulation.json").exists()
    assert not (out / "analysis" / "summary.json").exists()


def test_an_estimate_that_already_counted_too_few_ions_is_not_marked_twice():
    from mda_electrolyte.frame_estimates import frame_average

    shell = frame_average(np.r_[np.zeros(50), np.ones(50)], n_ions=1, what="SSIP")
    assert any(n.startswith("too few ions") for n in shell.notes)
    marked = mark_estimates({"s": shell}, demo_limits(1, 0.2, 103))["s"]
    assert sum(n.startswith("too few ions") for n in marked.notes) == 1
    assert any(n.startswith("too short: 0.2 ps") for n in marked.notes)


def test_gpu_demo_equilibration_gives_a_density_that_is_a_result():
    """The GPU demo's NPT length gives a valid density with an error below 0.01 g/cm³ for a
    volume correlated three times longer than the barostat gave a Lennard-Jones liquid."""
    import argparse
    import warnings

    from ase_electrolyte.md import check_protocol_arguments, series_estimate
    from electrolyte_cli.demo import GPU_EQUILIBRATION_PS, protocol_settings
    from electrolyte_cli.simulate import _protocol_options
    from mda_electrolyte.uncertainty import MIN_INDEPENDENT_SAMPLES

    # the demo is sized for the one threshold of a valid series mean
    assert MIN_INDEPENDENT_SAMPLES == 50
    args = argparse.Namespace(equilibration_ps=None, production_ps=None, quiet=True)
    for gpu in (True, False):
        settings = protocol_settings(args, gpu)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no off-grid length or interval either
            check_protocol_arguments(**_protocol_options(settings))
    assert protocol_settings(args, True).equilibration_ps == GPU_EQUILIBRATION_PS
    # AR(1) densities sampled every 10 fs, statistical inefficiency 0.9 ps, sd 0.02 g/cm³
    # (1000 atoms of a carbonate electrolyte: sqrt(kT κ_T / V) ρ)
    dt, g, sd = 0.01, 0.9, 0.02
    phi = (g / dt - 1) / (g / dt + 1)
    n = int(round(GPU_EQUILIBRATION_PS / dt))
    rng = np.random.default_rng(1)
    results, z = 0, []
    for _ in range(20):
        noise = rng.standard_normal(n) * np.sqrt(1 - phi**2) * sd
        x = np.empty(n)
        x[0] = rng.standard_normal() * sd
        for i in range(1, n):
            x[i] = phi * x[i - 1] + noise[i]
        est, _ = series_estimate(x + 1.2, "g/cm^3")
        results += est.valid and est.stderr < 0.01
        z.append((est.value - 1.2) / est.stderr)
    assert results >= 16
    assert 0.7 < np.std(z) < 1.4
    # the CPU demo's equilibration (none) and production: no density result, said so
    assert protocol_settings(args, False).equilibration_ps == 0.0
