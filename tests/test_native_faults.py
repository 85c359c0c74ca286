"""Faults at the compiled kernels: inputs the C++ side cannot handle are refused by name before
any counting, a $CXX that names no compiler is reported, and the ATM term refuses triple-image
counts that would run for days."""

import os
import re
import subprocess
import sys
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule

from ase_electrolyte import native_build as nb
from ase_electrolyte.d3 import D3
from ase_electrolyte.d3.calculator import DEFAULT_ATM_CUTOFF, _check_atm_work
from mda_electrolyte import IntraInterRDF
from mda_electrolyte import pair_histogram as ph


@pytest.fixture(scope="module")
def kernel():
    k = ph.pair_histogram_kernel()
    if k is None:
        pytest.fail("the pair-histogram kernel could not be built (no C++ compiler?)",
                    pytrace=False)
    return k


def _count(kernel, positions, cell, r_max=4.0, nbins=10, num_threads=1):
    n = len(positions)
    zero = np.zeros(n, dtype=np.int64)
    counts = np.zeros(2 * (nbins + 1), dtype=np.int64)
    kernel(positions, cell, np.linspace(0.0, r_max, nbins + 1), zero, zero, np.arange(n),
           nbins + 1, counts, num_threads=num_threads)
    return counts


POINTS = np.random.default_rng(0).random((60, 3)) * 10.0


@pytest.mark.parametrize("threads, match", [
    (0, "num_threads must be an integer >= 1, not 0"),
    (-5, "num_threads must be an integer >= 1, not -5"),
    (True, "num_threads must be an integer >= 1, not True"),
    (2.0, "num_threads must be an integer >= 1, not 2.0"),
])
def test_kernel_refuses_bad_thread_counts(kernel, threads, match):
    with pytest.raises(ValueError, match=match):
        _count(kernel, POINTS, np.eye(3) * 10.0, num_threads=threads)


def test_kernel_refuses_thread_copies_beyond_the_limit_before_allocating(kernel):
    # was: 999 zero-filled copies of a 20-million-bin histogram (150 GiB), killed by the OOM
    # killer; now refused with the size named, before the C++ side allocates anything
    with pytest.raises(ValueError, match=r"num_threads = 1000 would need 148\.9 GiB"):
        _count(kernel, POINTS, np.eye(3) * 10.0, nbins=10**7, num_threads=1000)
    # threads do not change the counts
    one = _count(kernel, POINTS, np.eye(3) * 10.0)
    assert one.sum() > 0
    assert np.array_equal(_count(kernel, POINTS, np.eye(3) * 10.0, num_threads=3), one)


@pytest.mark.parametrize("offset, cell, match", [
    # positions in nm-sized numbers of a 1e-7 wide cell, or 1e9 Å away: wrapped, their
    # distances were noise (counted as pairs near 0 Å)
    (0.0, np.diag([1e-7, 1e7, 10.0]), r"atom 0 lies 6\.37e\+07 cell widths from the cell"),
    (1e9, np.eye(3) * 10.0, r"lies 1e\+08 cell widths from the cell"),
    (0.0, np.eye(3) * 1e300, "volume or face distances are not representable"),
    (0.0, np.diag([1e200, 1e200, 1e-200]), "volume or face distances are not representable"),
    (0.0, np.eye(3) * 1e-300, "the cell has no volume"),
])
def test_kernel_refuses_unrepresentable_geometry(kernel, offset, cell, match):
    r_max = min(4.0, 0.4 * np.min(np.abs(np.diag(cell))))
    with pytest.raises(ValueError, match=match):
        _count(kernel, POINTS + offset, cell, r_max=r_max)


def test_kernel_counts_huge_cells_and_far_but_representable_positions(kernel):
    # a 1e7 Å box and atoms a million cells away are fine: the same pairs as near the origin
    near = _count(kernel, POINTS, np.eye(3) * 10.0)
    assert np.array_equal(_count(kernel, POINTS + 1e7, np.eye(3) * 10.0), near)
    sparse = _count(kernel, POINTS * 1e6, np.eye(3) * 1e7, r_max=4e6)
    # brute force: 60 atoms uniform in the box, pairs within 4e6 Å by minimum image
    d = POINTS[:, None] * 1e6 - POINTS[None] * 1e6
    d -= 1e7 * np.round(d / 1e7)
    r = np.sqrt((d**2).sum(-1))[np.triu_indices(60, 1)]
    assert sparse.sum() == np.count_nonzero(r <= 4e6)


def _universe(offset):
    n = 40
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("elements", ["C"] * n)
    u.atoms.positions = POINTS[:n] + offset
    u.dimensions = [10, 10, 10, 90, 90, 90]
    return u


@pytest.mark.parametrize("engine", ["auto", "vesin"])
def test_rdf_refuses_coordinates_single_precision_cannot_resolve(engine):
    # 1e6 Å from the origin a float32 coordinate is resolved to 0.0625 Å: pairs moved bins
    # silently (1e8 Å: every pair counted at 0 Å)
    with pytest.raises(ValueError, match=r"frame 0 has coordinates as large as 1e\+06 Å, "
                       r"which single precision resolves only to 0\.0625 Å"):
        IntraInterRDF(_universe(1e6).atoms, range=(0.0, 4.0), nbins=8, engine=engine).run()
    # 1e4 Å away (5e-4 Å rounding) it runs: the pairs of the origin, at most one (ordered:
    # two counts) moved into a neighbouring bin by the rounding of the stored coordinates
    far = IntraInterRDF(_universe(1e4).atoms, range=(0.0, 4.0), nbins=8, engine=engine).run()
    near = IntraInterRDF(_universe(0.0).atoms, range=(0.0, 4.0), nbins=8, engine=engine).run()
    assert near.results.counts.sum() == far.results.counts.sum() > 0
    assert np.abs(far.results.counts - near.results.counts).sum() <= 4


@pytest.mark.parametrize("value, hint", [("/nonexistent/g++", ""),
                                         ("ccache g++", "wrappers such as 'ccache g\\+\\+'")])
def test_cxx_naming_no_compiler_is_reported_not_replaced(monkeypatch, value, hint):
    # was: g++ from PATH used silently in place of the compiler the user chose
    monkeypatch.setenv("CXX", value)
    for required in (True, False):
        with pytest.raises(nb.CompilerSettingError, match=r"the probe: the C\+\+ compiler "
                           rf"named by \$CXX \('{re.escape(value)}'\) was not found.*{hint}"):
            nb.find_cxx(required=required, purpose="the probe")
    monkeypatch.setenv("CXX", "  ")  # blank: as unset
    assert nb.find_cxx(required=False) in (None, *[
        __import__("shutil").which(c) for c in ("g++", "c++", "clang++")])


def test_pair_histogram_warns_and_uses_vesin_when_cxx_names_no_compiler(monkeypatch):
    monkeypatch.setenv("CXX", "/nonexistent/g++")
    ph.pair_histogram_kernel.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert ph.pair_histogram_kernel() is None
        assert any("$CXX ('/nonexistent/g++')" in str(w.message) for w in caught)
    finally:
        ph.pair_histogram_kernel.cache_clear()


def test_d3_with_cxx_naming_no_compiler_fails_naming_it():
    # a fresh process: the D3 libraries of this one are loaded already
    code = ("from ase.build import molecule\nfrom ase_electrolyte.d3 import D3\n"
            "a = molecule('H2O'); a.calc = D3()\n"
            "try:\n    a.get_potential_energy()\nexcept RuntimeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, CXX="/nonexistent/g++"), timeout=120)
    assert "ase_electrolyte.D3: the C++ compiler named by $CXX ('/nonexistent/g++')" \
        in out.stdout, out.stdout + out.stderr


def test_atm_refuses_astronomic_triple_counts_before_the_kernel():
    # was: one atom in a 3 Å cell with atm_cutoff = 300 Å passed the pair limits and ran
    # for about a day
    atoms = Atoms("Ar", cell=[3.0, 3.0, 3.0], pbc=True)
    atoms.calc = D3(atm=True, atm_cutoff=300.0)
    with pytest.raises(ValueError, match=r"ATM term with atm_cutoff = 300 Å would visit "
                       r"~1\.75e\+13 triple images of this 1-atom periodic cell"):
        atoms.get_potential_energy()
    slab = Atoms("Ar", cell=[3.0, 3.0, 0.0], pbc=[True, True, False])
    slab.calc = D3(atm=True, atm_cutoff=2000.0, cutoff=10.0, cn_cutoff=10.0)
    with pytest.raises(ValueError, match="triple images of this 1-atom periodic cell"):
        slab.get_potential_energy()


def test_atm_limit_leaves_realistic_electrolytes_alone():
    # 7000 and 30000 atoms at 0.1 atoms/Å³ with the default cutoff, a 1000-atom slab
    for n in (7000, 30000):
        cell = np.eye(3) * (n / 0.1) ** (1 / 3)
        _check_atm_work(n, cell, np.ones(3, bool), DEFAULT_ATM_CUTOFF)
    _check_atm_work(1000, np.diag([20.0, 20.0, 0.0]), np.array([1, 1, 0], bool),
                    DEFAULT_ATM_CUTOFF, ntrans=81)
    # a moderate cutoff around one atom runs and gives the converged lattice energy's sign
    atoms = Atoms("Ar", cell=[3.0, 3.0, 3.0], pbc=True)
    atoms.calc = D3(atm=True, atm_cutoff=15.0)
    assert atoms.get_potential_energy() < 0


def test_cuda_host_tests_without_a_compiler_fail_with_one_line(tmp_path):
    # the CUDA kernels build for the host in every CI: no compiler (and nothing cached) is a
    # failure naming the missing build, not a skip and not a traceback from the build
    (tmp_path / "bin").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "CXX"}
    env.update(PATH=str(tmp_path / "bin"), ASE_ELECTROLYTE_CACHE=str(tmp_path / "cache"))
    test = os.path.join(os.path.dirname(__file__), "test_d3_cuda_host.py")
    out = subprocess.run([os.path.realpath(sys.executable), "-m", "pytest", "-q",
                          "-p", "no:cacheprovider", f"{test}::test_device_index_checked"],
                         capture_output=True, text=True, env=env, timeout=120)
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "the cuda_host tests need the host builds of the D3 kernels: the D3 CPU kernel " \
           "must be compiled" in text and "no compiler was found" in text, text
    assert "Traceback" not in text and "raise " not in text, text


def test_asan_host_emulation_without_the_runtime_is_an_error_not_an_exit():
    # was: the process ended inside the ASan runtime ('ASan runtime does not come first in
    # initial library list', exit status 1, no Python exception) when the sanitizer build was
    # chosen without LD_PRELOAD; device="auto" now falls back to the CPU kernel with a warning
    code = ("import warnings\nfrom ase.build import molecule\nfrom ase_electrolyte.d3 import D3\n"
            "try:\n    D3(device='cuda')\nexcept RuntimeError as e:\n    print('refused:', e)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    a = molecule('H2O'); a.calc = D3(device='auto')\n"
            "    print('auto:', a.calc.device, round(a.get_potential_energy(), 8),\n"
            "          any('ASan runtime' in str(x.message) for x in w))\n")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    env["ASE_ELECTROLYTE_D3_CUDA_HOST"] = "asan"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ("refused: D3: the sanitizer build of the D3 CUDA host emulation "
            "(ASE_ELECTROLYTE_D3_CUDA_HOST=asan) needs the ASan runtime loaded first: start "
            "Python with LD_PRELOAD=$(g++ -print-file-name=libasan.so)") in out.stdout, out.stdout
    a = molecule("H2O")
    a.calc = D3(device="cpu")
    assert f"auto: cpu {round(a.get_potential_energy(), 8)} True" in out.stdout, out.stdout
