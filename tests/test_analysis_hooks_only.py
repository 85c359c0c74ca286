"""The analyses keep MDAnalysis' ``run()``: what they add lives in the hooks it calls.

``FrameAnalysis`` and ``RigidVolumeScan`` overrode ``AnalysisBase.run`` to check the frame
selection, return to the caller's frame, empty an earlier run's results and make (and remove)
the volume scan's folder of scanned frames. Each now sits in a hook ``run`` calls
(``_configure_backend``, ``_setup_frames``, ``_setup_computation_groups``, ``_compute``,
``_conclude``), so that every backend, ``frames=`` and progress bar behave as in MDAnalysis.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.analysis.backends import BackendSerial
from MDAnalysis.analysis.base import AnalysisBase
from molecular_pair_model import MolecularPairModel

import mda_electrolyte as mdae
from mda_electrolyte.analysis_base import FrameAnalysis


def _analyses():
    import mda_electrolyte.intra_inter_errors
    import mda_electrolyte.ion_collection
    import mda_electrolyte.rdf
    import mda_electrolyte.solvation
    import mda_electrolyte.volume_scan  # noqa: F401 - the subclasses, defined on import

    seen, todo = [], [FrameAnalysis]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in seen if c.__module__.startswith("mda_electrolyte")]


def test_no_analysis_of_the_package_overrides_run():
    analyses = _analyses()
    assert {"IntraInterRDF", "SolvationShells", "IntraInterErrors", "RigidVolumeScan",
            "IonCollector"} <= {c.__name__ for c in analyses}
    assert [c.__name__ for c in analyses if c.run is not AnalysisBase.run] == []


def _universe(n_frames=6):
    u = mda.Universe.empty(4, n_residues=4, atom_resindex=[0, 1, 2, 3], trajectory=True)
    u.add_TopologyAttr("elements", ["Li", "O", "O", "O"])
    u.add_TopologyAttr("names", ["Li", "O", "O", "O"])
    rng = np.random.default_rng(0)
    u.load_new(rng.uniform(0, 20, (n_frames, 4, 3)).astype(np.float32),
               dimensions=[20, 20, 20, 90, 90, 90], dt=0.01)
    return u


class _CountingBackend(BackendSerial):
    """A backend of the caller's own, as MDAnalysis allows with unsupported_backend=True."""

    applied = 0

    def apply(self, func, computations):
        type(self).applied += 1
        return super().apply(func, computations)


def test_a_custom_backend_runs_through_mdanalysis_run_with_the_checks_before_it():
    u = _universe()
    u.trajectory[4]
    serial = mdae.IntraInterRDF(u.atoms, range=(0, 9.0), nbins=30).run()
    custom = mdae.IntraInterRDF(u.atoms, range=(0, 9.0), nbins=30).run(
        backend=_CountingBackend(n_workers=1), unsupported_backend=True)
    assert _CountingBackend.applied == 1
    assert u.trajectory.ts.frame == 4
    np.testing.assert_array_equal(custom.results.counts, serial.results.counts)
    assert serial.results.counts.sum() > 0
    for pair, g in serial.results.total.items():
        np.testing.assert_array_equal(custom.results.total[pair], g)
    # the selection is refused before the backend is given any frame
    with pytest.raises(ValueError, match="more than once"):
        custom.run(frames=[1, 1], backend=_CountingBackend(n_workers=1),
                   unsupported_backend=True)
    assert _CountingBackend.applied == 1
    assert len(custom.results) == 0 and u.trajectory.ts.frame == 4


@pytest.mark.parametrize("n_workers", [2.5, 0, "2"])
def test_a_bad_worker_count_is_refused_by_name(n_workers):
    rdf = mdae.IntraInterRDF(_universe().atoms, range=(0, 9.0), nbins=30)
    with pytest.raises(ValueError, match="IntraInterRDF: n_workers must be a whole number"):
        rdf.run(n_workers=n_workers, backend="multiprocessing")


def test_the_scan_folder_goes_after_a_failed_conclude(tmp_path, monkeypatch):
    from ase.build import molecule

    from mda_electrolyte import RigidVolumeScan

    frames = []
    for k in range(3):
        a = molecule("H2O") + molecule("H2O")
        a.positions[3:] += (3.0 + 0.1 * k, 0, 0)
        a.cell = [9.0, 9.0, 9.0]
        a.pbc = True
        a.arrays["mol-id"] = np.array([0, 0, 0, 1, 1, 1])
        frames.append(a)
    scan = RigidVolumeScan(frames, MolecularPairModel(), scales=[0.95, 1.0, 1.05],
                           keep_frames=tmp_path / "scan.extxyz")
    monkeypatch.setattr(type(scan), "_conclude_scan",
                        lambda self: (_ for _ in ()).throw(RuntimeError("conclude failed")))
    with pytest.raises(RuntimeError, match="conclude failed"):
        scan.run()
    assert list(tmp_path.iterdir()) == []
