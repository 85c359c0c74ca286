"""The user pages say what the code does today, with the code's own numbers.

Behaviour changed this stop without the pages that a user reads for it following:

* docs/theory.rst said the self-diffusion fit is "between 10 % and 60 % of each segment by
  default (a run split into 10 segments ... fits lags of 1 % to 6 % of its length)", while
  :class:`~mda_electrolyte.Diffusion` now fits 10 %–60 % of the whole trajectory by default.
* docs/api/md.rst did not mention the warning of a time step too long for moving hydrogen
  (:func:`~ase_electrolyte.md.hydrogen_timestep_fs`, which the docstring of ``run_md`` links
  and which had no entry) nor that of a coupling constant longer than the run.
* docs/api/electrostatics.rst did not say that options without effect are refused.
* docs/api/intra_inter_errors.rst said that the frames' forces measure the correlation of every
  error, "one energy per frame cannot show it": each error is now judged by its own values
  (54 frames for one value per frame, 14 for a stress), and ``diagnose`` takes 60 frames.
* docs/api/solvation.rst did not say that cutoffs may be given as Estimates, keeping a measured
  cutoff's verdict and error.
"""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_docs52_theory import _fitted_fraction, _random_walk_universe
from test_docs_coverage import DIRECTIVES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _page(name):
    return " ".join((DOCS / name).read_text(encoding="utf-8").split())


def _paragraph(name, marker):
    """The paragraph (text between blank lines) of page ``name`` that holds ``marker``."""
    text = (DOCS / name).read_text(encoding="utf-8")
    for block in re.split(r"\n[ \t]*\n", text):
        joined = " ".join(block.split())
        if marker in joined:
            return joined
    pytest.fail(f"docs/{name} has no paragraph with {marker!r}")


def _entries():
    return {target for _page, _kind, target, _members in DIRECTIVES}


# ---------------------------------------------------------------- diffusion fit window

_OWN_WINDOW = re.compile(r"(?:fit is|fitted) between (\d+) % and (\d+) % of "
                         r"(each segment|the trajectory)[^.]{0,30}? by default")


def stated_own_window(text, section):
    """(start, end) fractions and what they are fractions of, as the page states the package's
    own default fit window in ``section`` (a paper's window, "Ju et al. fit the MSD between",
    is not the package's)."""
    start = text.find(section)
    assert start >= 0, f"no {section!r} on the page"
    match = _OWN_WINDOW.search(text, start)
    assert match is not None, f"no default fit window stated after {section!r}"
    return (int(match.group(1)) / 100, int(match.group(2)) / 100), match.group(3)


def test_the_window_check_reads_the_package_statement_not_the_paper():
    text = ("*Self-diffusion* x. [Ju2025]_ fit the MSD between 10 % and 60 % of the trajectory; "
            "here the fit is between 10 % and 60 % of each segment by default (a run split)")
    assert stated_own_window(text, "*Self-diffusion*") == ((0.1, 0.6), "each segment")


@pytest.mark.parametrize("page, section", [
    ("theory.rst", "*Self-diffusion*"),
    ("api/diffusion.rst", r":math:`D = \mathrm{slope}/6`"),
], ids=["theory", "diffusion_page"])
def test_the_stated_default_diffusion_window_is_the_one_fitted(page, section):
    from mda_electrolyte import Diffusion

    u = _random_walk_universe(400, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(u, ions={"Li": "name Li"}).run()
    stated, of = stated_own_window(_page(page), section)
    # a segment as the transport section defines it: one run in 10 by default
    per_segment, per_run = _fitted_fraction(d, u)
    used = per_segment if of == "each segment" else per_run
    np.testing.assert_allclose(used, stated, atol=u.trajectory.dt / (u.trajectory.totaltime / 10))


# ---------------------------------------------------------------- md warnings


def test_the_hydrogen_time_steps_on_the_md_page_are_the_code_values():
    from ase_electrolyte.md import hydrogen_timestep_fs

    text = _paragraph("api/md.rst", "C–H stretch")
    for mass in (None, 3.0):
        assert f"{hydrogen_timestep_fs(mass):.3g} fs" in text, mass
    assert "ase_electrolyte.md.hydrogen_timestep_fs" in _entries()


def _emt_copper():
    from ase.build import bulk
    from ase.calculators.emt import EMT

    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    return atoms


def _methane():
    from ase.build import molecule
    from ase.calculators.emt import EMT

    atoms = molecule("CH4")
    atoms.center(vacuum=4.0)
    atoms.pbc = True
    atoms.calc = EMT()
    return atoms


@pytest.mark.parametrize("make, options, said, on_page", [
    (_methane, {"timestep_fs": 3.0}, "steps per period of a C–H stretch",
     "fewer than eight steps per period"),
    (_emt_copper, {"timestep_fs": 2.0, "tdamp_fs": 1e12}, "longer than the whole run",
     "longer than the whole run"),
], ids=["hydrogen_timestep", "tdamp_longer_than_run"])
def test_the_md_warnings_the_page_describes_are_given(make, options, said, on_page):
    from ase_electrolyte.md import run_md

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_md(make(), ensemble="nvt", steps=2, temperature_K=300.0, progress=False, **options)
    assert any(said in str(w.message) for w in caught), [str(w.message) for w in caught]
    assert on_page in _page("api/md.rst")


def test_the_md_page_states_which_runs_the_coupling_warning_judges():
    text = _paragraph("api/md.rst", "longer than the whole run")
    for name in ("tdamp_fs", "pdamp_fs"):
        assert f"``{name}``" in text


# ---------------------------------------------------------------- electrostatics options

_QRD = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}


@pytest.mark.parametrize("options", [
    {"qrd": _QRD, "charges": [1.0, -1.0]},
    {"scheme": "fixed", "charges": [1.0, -1.0], "array": "charges"},
    {"scheme": "fixed", "charges": [1.0, -1.0], "qrd": _QRD},
    {"qrd": _QRD, "short_range_length": 2.0},
    {"qrd": _QRD, "method": "direct", "cutoff": 9.0},
    {"qrd": _QRD, "method": "direct", "tolerance": 1e-4},
    {"qrd": _QRD, "method": "direct", "background": True},
], ids=["charges", "array", "qrd", "short_range_length", "cutoff", "tolerance", "background"])
def test_each_option_refused_as_without_effect_is_named_on_the_page(options):
    from ase_electrolyte import Electrostatics

    with pytest.raises(ValueError, match="without effect") as err:
        Electrostatics(**options)
    refused = re.search(r"without effect: (\w+) \(", str(err.value)).group(1)
    text = _paragraph("api/electrostatics.rst", "never reads are refused")
    assert f"``{refused}" in text, refused


# ---------------------------------------------------------------- frames of an error


def _frames_needed(values_per_frame):
    from mda_electrolyte.error_metrics import error_estimates

    rng = np.random.default_rng(0)
    # enough squared errors for an error bar (20), too few frames to judge their correlation
    ref = rng.normal(size=(30 if values_per_frame == 1 else 10, values_per_frame))
    notes = " ".join(error_estimates(ref, ref + rng.normal(size=ref.shape), "eV")[0].notes)
    return int(re.search(r"it takes (\d+) frames", notes).group(1))


def test_the_frames_an_error_needs_on_the_errors_page_are_the_code_values():
    from mda_electrolyte.diagnose import diagnose

    text = _paragraph("api/intra_inter_errors.rst", "too few frames to measure correlation")
    assert f"one energy per frame shows a correlation from {_frames_needed(1)} frames" in text
    assert f"the six components of a stress from {_frames_needed(6)}" in text
    default = inspect.signature(diagnose).parameters["max_error_frames"].default
    assert f"takes {default} evenly spaced frames by default" in text
    assert "one energy per frame cannot show it" not in text


# ---------------------------------------------------------------- cutoffs as Estimates


@pytest.mark.parametrize("name", ["shell_results", "cutoff_cn_errors", "cutoff_share_errors"])
def test_the_solvation_page_says_cutoffs_may_be_estimates_for_each_taker(name):
    import mda_electrolyte.solvation as solvation

    text = _paragraph("api/solvation.rst", "cutoffs=results.cutoff_estimates")
    assert f"mda_electrolyte.solvation.{name}`" in text
    assert "Estimate" in inspect.getdoc(getattr(solvation, name))


@pytest.mark.parametrize("option, parameter", [
    ("--max-error-frames", "max_error_frames"),
    ("--max-scan-frames", "max_scan_frames"),
])
def test_the_diagnose_defaults_on_the_cli_page_are_the_code_defaults(option, parameter):
    from mda_electrolyte.diagnose import diagnose

    default = inspect.signature(diagnose).parameters[parameter].default
    text = _page("api/cli.rst")
    assert re.search(rf"``{option}``[^(]{{0,40}}\({default} by default", text), (option, default)


# ---------------------------------------------------------------- training labels


def _stress_without_box():
    import ase
    from ase.calculators.singlepoint import SinglePointCalculator

    atoms = ase.Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]], cell=[5.0, 5.0, 5.0])
    atoms.calc = SinglePointCalculator(atoms, energy=-1.0, forces=np.zeros((2, 3)),
                                       stress=np.zeros(6))
    return atoms


def test_the_finetune_page_says_a_stress_needs_a_periodic_frame():
    from ase_electrolyte.finetuning import read_labelled

    with pytest.raises(ValueError, match="not 3D-periodic"):
        read_labelled([_stress_without_box()])
    text = _paragraph("api/finetune.rst", "stress or virial label")
    assert "not periodic along all three axes is refused" in text
    assert "``pbc=True``" in text
