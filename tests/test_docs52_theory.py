"""The theory page states every method the packages compute, linked to its API entry, with the
numbers the code uses.

Before, docs/theory.rst gave no equation for dispersion (D3), explicit electrostatics (QRd),
viscosity, Onsager coefficients, the Yeh–Hummer correction, thermal expansion or the model loop
(fine-tuning, distillation, density alignment, active learning), linked none of the classes it
described to their API entries, and said that D is fitted "between 10 % and 60 % of the
trajectory" while :class:`~mda_electrolyte.Diffusion` fits 10-60 % of each of its 10 segments,
i.e. lags of 1-6 % of a single run (measured below).
"""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_docs52_crossrefs import CONF

import ase_electrolyte
import mda_electrolyte

ROOT = Path(__file__).resolve().parents[1]
THEORY = (ROOT / "docs" / "theory.rst").read_text(encoding="utf-8")
DIFFUSION_PAGE = (ROOT / "docs" / "api" / "diffusion.rst").read_text(encoding="utf-8")

_XREF = re.compile(r":(?:func|class|meth|data|mod):`(?:[^`<]*<([^>`]+)>|~?([^`<>]+?))`")


def _resolve(target):
    """The object a dotted cross-reference target names, or None (the docs' own resolver)."""
    return CONF["import_target"](target)


def linked_objects(text):
    """The objects the cross-references of ``text`` resolve to (ids), and the targets that
    resolve to nothing."""
    found, stale = set(), []
    for match in _XREF.finditer(text):
        target = (match.group(1) or match.group(2)).strip().lstrip("~")
        obj = _resolve(target)
        if obj is None:
            stale.append(target)
        else:
            found.add(id(obj))
    return found, stale


def _entry_points():
    names = []
    for package in (ase_electrolyte, mda_electrolyte):
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isclass(obj) and issubclass(obj, (Warning, Exception)):
                continue  # a warning is no method: its page describes it
            names.append(pytest.param(obj, id=f"{package.__name__}.{name}"))
    return names


def test_the_link_check_sees_missing_and_stale_links():
    found, stale = linked_objects(":class:`~mda_electrolyte.Diffusion`, :func:`x.no_such`, "
                                  ":func:`fit <ase_electrolyte.fit_qrd>`")
    assert found == {id(mda_electrolyte.Diffusion), id(ase_electrolyte.fit_qrd)}
    assert stale == ["x.no_such"]


@pytest.mark.parametrize("obj", _entry_points())
def test_every_entry_point_of_the_packages_is_linked_from_the_theory_page(obj):
    found, stale = linked_objects(THEORY)
    assert not stale, stale
    assert id(obj) in found, f"docs/theory.rst does not link {obj.__qualname__}"


def _d3_parameters(damping):
    from ase_electrolyte.d3.parameters import resolve_parameters

    return resolve_parameters(damping, "pbe", None, False)


def _quoted_numbers():
    """(what, text the theory page must hold, built from the value the code uses)."""
    from ase_electrolyte import D3
    from ase_electrolyte.build import _VDW_BOX_SCALE
    from ase_electrolyte.density_alignment import TAIT_C
    from ase_electrolyte.md import run_protocol
    from ase_electrolyte.species import SALT_VOLUMES
    from mda_electrolyte.diffusion import YEH_HUMMER_XI

    bj, zero = _d3_parameters("bj"), _d3_parameters("zero")
    d3 = D3().parameters
    protocol = {name: p.default for name, p in inspect.signature(run_protocol).parameters.items()}
    volume, error, _source = SALT_VOLUMES["LiPF6"]
    return [
        ("D3(BJ) PBE s8", f":math:`s_8 = {bj['s8']}`"),
        ("D3(BJ) PBE a1", f":math:`a_1 = {bj['a1']}`"),
        ("D3(BJ) PBE a2", f":math:`a_2 = {bj['a2']}` bohr"),
        ("D3(zero) PBE rs6", f":math:`s_{{r,6}} = {zero['rs6']}`"),
        ("D3(zero) PBE s8", f":math:`s_8 = {zero['s8']}`"),
        ("D3 zero-damping exponent", f":math:`\\alpha_6 = {zero['alp']:g}`"),
        ("D3 cutoff", f"{d3['cutoff']} Å for the dispersion"),
        ("D3 CN cutoff", f"{d3['cn_cutoff']} Å for the coordination number"),
        ("Yeh-Hummer constant", f":math:`\\xi = {YEH_HUMMER_XI}`"),
        ("Tait C", f":math:`C = {TAIT_C}`"),
        ("box scale", f":math:`L = {_VDW_BOX_SCALE}\\,V_0^{{1/3}}`"),
        ("LiPF6 molar volume", f"{volume:g} ± {error:g} cm³/mol"),
        ("relaxation", f"max :math:`|F| < {protocol['relax_fmax']:g}` eV/Å"),
        ("pre-equilibration", f"{protocol['preequilibration_ps'] / 1000:g} ns NPT at 1 atm with a "
                              f"{protocol['preequilibration_timestep_fs']:g} fs"),
        ("heavy hydrogen", f"({protocol['hydrogen_mass']:g} amu)"),
        ("production", f"{protocol['timestep_fs']:g} fs, "
                       f"{protocol['equilibration_ps'] / 1000:g} ns equilibration and\n"
                       f"{protocol['production_ps'] / 1000:g} ns production"),
        ("density sampling", f"densities sampled every {protocol['observe_interval_fs']:g} fs"),
    ]


@pytest.mark.parametrize("what, quoted", _quoted_numbers(),
                         ids=[what for what, _ in _quoted_numbers()])
def test_numbers_on_the_theory_page_are_the_code_values(what, quoted):
    assert quoted in THEORY, f"{what}: docs/theory.rst does not say {quoted!r}"


def _random_walk_universe(n_frames, dt, n_ions=20, seed=0, charged=False):
    import MDAnalysis as mda
    from MDAnalysis.coordinates.memory import MemoryReader

    rng = np.random.default_rng(seed)
    u = mda.Universe.empty(n_ions, n_residues=n_ions, atom_resindex=np.arange(n_ions),
                           trajectory=True)
    names = ["Li", "F"] * (n_ions // 2)
    u.add_TopologyAttr("names", names)
    u.add_TopologyAttr("masses", [6.94 if n == "Li" else 19.0 for n in names])
    if charged:
        u.add_TopologyAttr("formalcharges", [1.0 if n == "Li" else -1.0 for n in names])
    x = np.cumsum(rng.normal(scale=np.sqrt(2 * 0.1 * dt), size=(n_frames, n_ions, 3)), axis=0)
    u.load_new(x, format=MemoryReader, dt=dt, dimensions=[30, 30, 30, 90, 90, 90])
    return u


def _stated_window(text, what):
    """(start, end) as fractions of the stated fit window of ``what``, and what it is a
    fraction of."""
    pattern = rf"{what}.{{0,400}}?between (\d+) % and (\d+) % of (each segment|the trajectory)"
    match = re.search(pattern, " ".join(text.split()))
    assert match is not None, f"no fit window stated for {what}"
    return (int(match.group(1)) / 100, int(match.group(2)) / 100), match.group(3)


def _fitted_fraction(analysis, u):
    """The fit window used, as fractions of one segment and of the whole run."""
    time = u.trajectory.totaltime
    segment = time / 10  # one run: the default 10 segments
    lo, hi = analysis.results.fit_window
    return (lo / segment, hi / segment), (lo / time, hi / time)


@pytest.mark.parametrize("page, what", [
    (THEORY, r"\*Self-diffusion\*"),
    (DIFFUSION_PAGE, r":math:`D = \\mathrm\{slope\}/6` from a line fitted"),
], ids=["theory", "diffusion_page"])
def test_the_stated_diffusion_fit_window_is_the_one_used(page, what):
    from mda_electrolyte import Diffusion

    u = _random_walk_universe(400, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(u, ions={"Li": "name Li"}).run()
    stated, of = _stated_window(page, what)
    per_segment, per_run = _fitted_fraction(d, u)
    used = per_segment if of == "each segment" else per_run
    # the window ends on whole frames: within a frame spacing of the stated fractions
    tolerance = u.trajectory.dt / (u.trajectory.totaltime / 10)
    np.testing.assert_allclose(used, stated, atol=tolerance)
    assert per_run[1] > 0.55  # lags up to 60 % of the run, as Ju et al. (2025) fit them


def test_the_stated_einstein_helfand_fit_window_is_the_one_used():
    from mda_electrolyte import EinsteinHelfandConductivity

    u = _random_walk_universe(400, 0.5, charged=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eh = EinsteinHelfandConductivity(u, {"Li": "name Li", "F": "name F"}, 300.0).run()
    stated, of = _stated_window(THEORY, r"\*Einstein–Helfand\*")
    assert of == "each segment"
    per_segment, _ = _fitted_fraction(eh, u)
    np.testing.assert_allclose(per_segment, stated,
                               atol=u.trajectory.dt / (u.trajectory.totaltime / 10))
