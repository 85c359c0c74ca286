"""A temperature or pressure in the wrong unit is said once, wherever the run starts.

``run_protocol`` and ``electrolyte simulate`` warned (once) through ``check_protocol_arguments``
about 0.001 K and 101325 bar (1 atm in Pa); ``run_md`` called directly took both without a
word: a frozen box, or one compressed at 10 GPa. Now ``run_md`` warns too, by the one rule of
``units.warn_implausible`` (below 50 K, °C?, and below 1 K, k_B·T in eV?; an NPT pressure beyond
5·10⁴ bar, Pa?), and not again inside ``run_protocol``'s stages.
"""

import contextlib
import io
import warnings

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import (
    MIN_PLAUSIBLE_TEMPERATURE_K,
    check_protocol_arguments,
    run_md,
    run_protocol,
)


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


def _said(run):
    """Messages of the warnings ``run()`` gave, every one (no deduplication)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    return [(str(w.message), w.filename) for w in caught]


def _about(said, text):
    return [(m, f) for m, f in said if text in m]


def test_run_md_says_a_temperature_below_one_kelvin_once():
    said = _said(lambda: run_md(_argon(), ensemble="nvt", steps=2, timestep_fs=2.0,
                                temperature_K=0.001, progress=False))
    slips = _about(said, "temperature_K = 0.001 K")
    assert len(slips) == 1 and "eV" in slips[0][0]
    assert slips[0][1] == __file__  # pointed at the caller's line
    # argon at 60 K (a liquid far below an electrolyte's range) is a run meant
    calm = _said(lambda: run_md(_argon(), ensemble="nvt", steps=2, timestep_fs=2.0,
                                temperature_K=60.0, progress=False))
    assert not _about(calm, "temperature_K")
    assert MIN_PLAUSIBLE_TEMPERATURE_K == 50.0


def test_run_md_says_a_pressure_in_pascal_once_where_a_pressure_acts():
    said = _said(lambda: run_md(_argon(), ensemble="npt", steps=2, timestep_fs=2.0,
                                temperature_K=60.0, pressure_bar=101325.0, progress=False))
    slips = _about(said, "pressure_bar = 101325")
    assert len(slips) == 1 and "Pa" in slips[0][0] and slips[0][1] == __file__
    # NVT holds no pressure: a pressure given to it is refused as having no effect, not
    # doubted as a unit; a high but meant pressure (1 GPa) is not doubted either
    with pytest.raises(ValueError, match="pressure_bar = 101325 bar is the barostat's target"):
        run_md(_argon(), ensemble="nvt", steps=2, timestep_fs=2.0, temperature_K=60.0,
               pressure_bar=101325.0, progress=False)
    for ensemble, p in (("npt", 1e4), ("npt", -1e4)):
        calm = _said(lambda e=ensemble, p=p: run_md(
            _argon(), ensemble=e, steps=2, timestep_fs=2.0, temperature_K=60.0,
            pressure_bar=p, progress=False))
        assert not _about(calm, "pressure_bar")


_PROTOCOL = dict(relax_fmax=0.05, preequilibration_ps=0.004, preequilibration_timestep_fs=2.0,
                 equilibration_ps=0.004, production_ps=0.004, timestep_fs=2.0,
                 write_interval_fs=4.0, observe_interval_fs=2.0, progress=False)


#: an NPT stage at 0.001 K is not run here: its barostat mass (proportional to k_B·T) is so
#: small that the box flies apart at the first step (measured: an atom moving 0.7 Å)
@pytest.mark.parametrize("change, text", [
    (dict(temperature_K=0.001, preequilibration_ps=0.0, equilibration_ps=0.0,
          production_ensemble="nvt"), "temperature_K = 0.001 K"),
    (dict(temperature_K=60, pressure_bar=101325.0), "pressure_bar = 101325"),
])
def test_run_protocol_says_it_once_over_its_md_stages(tmp_path, change, text):
    atoms = _argon()
    calc = atoms.calc
    atoms.calc = None
    arguments = dict(_PROTOCOL, **change)
    said = _said(lambda: run_protocol(atoms, calc, tmp_path / "a", **arguments))
    assert len(_about(said, text)) == 1
    # checked first (as the electrolyte command does), then run: said by the check only
    checked = {k: v for k, v in arguments.items() if k != "progress"}
    said = _said(lambda: check_protocol_arguments(**checked))
    assert len(_about(said, text)) == 1
    said = _said(lambda: run_protocol(atoms, calc, tmp_path / "a", **arguments))
    assert not _about(said, text)
    # once only: the next run of the same arguments says it again, as a first one does
    said = _said(lambda: run_protocol(atoms, calc, tmp_path / "a", **arguments))
    assert len(_about(said, text)) == 1
    # a check of other arguments does not quiet this run
    _said(lambda: check_protocol_arguments(**dict(checked, relax_fmax=0.1)))
    said = _said(lambda: run_protocol(atoms, calc, tmp_path / "a", **arguments))
    assert len(_about(said, text)) == 1


@pytest.mark.parametrize("flag, value, text", [
    ("--temperature", "0.001", "--temperature 0.001 K"),
    ("--pressure", "101325", "--pressure 101325"),
])
def test_electrolyte_simulate_says_it_in_one_line(tmp_path, monkeypatch, flag, value, text):
    from test_cli_interrupted import _argon_box, _SignallingLJ

    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
    argv = ["simulate", "--counts", "EC=2", "--model", "sevennet-0", "-q",
            "--preequilibration-ps", "0", "--production-ps", "0.004", "--write-interval-fs",
            "2", flag, value, "-o", str(tmp_path / "run")]
    if flag == "--temperature":  # no NPT stage (see above)
        argv += ["--equilibration-ps", "0", "--ensemble", "nvt"]
    else:
        argv += ["--temperature", "60", "--equilibration-ps", "0.004", "--ensemble", "npt"]
    status = []
    with contextlib.redirect_stdout(io.StringIO()):
        said = _said(lambda: status.append(main(argv)))
    assert status == [0]
    # said once, under the option's name; before, a second warning named the keyword
    # (pressure_bar = 101325.0 bar ...): two lines on the terminal
    mentions = [m for m, _ in said if value in m]
    assert len(mentions) == 1 and text in mentions[0]
