"""charged_species reads residues whose partial charges were rounded in the file (a net charge
of 1e-4 e on a solvent molecule) as neutral, and names them; ions stay carriers."""
import warnings

import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte.conductivity import ROUNDED_NET_CHARGE, charged_species


def _universe(residue_charges):
    """One residue per entry of ``{resname: [per-atom charges of each residue, ...]}``."""
    names, charges, resindices = [], [], []
    for name, residues in residue_charges.items():
        for q in residues:
            resindices += [len(names)] * len(q)
            names.append(name)
            charges += list(q)
    u = mda.Universe.empty(len(charges), n_residues=len(names), atom_resindex=resindices,
                           trajectory=True)
    u.add_TopologyAttr("resnames", names)
    u.add_TopologyAttr("charges", np.asarray(charges))
    return u


EC_ROUNDED = [0.6321, -0.4712, -0.4712, -0.6032, 0.2306, 0.2306, 0.1131, 0.1131,
              0.1131, 0.1132]  # 4-decimal charges of a neutral molecule: sum 2e-4


def test_rounded_solvent_charges_are_neutral_and_named():
    assert abs(sum(EC_ROUNDED)) == pytest.approx(2e-4, abs=1e-9)
    u = _universe({"EC": [EC_ROUNDED] * 3, "Li": [[1.0]] * 2, "PF6": [[1.3] + [-0.3833] * 6] * 2})
    with pytest.warns(UserWarning, match=r"residues EC \(up to 0\.0002 e\).*read as neutral"):
        found = charged_species(u)
    assert found == {"Li": "resname Li", "PF6": "resname PF6"}


def test_scaled_ionic_charges_stay_carriers_without_a_warning():
    # scaled-charge force fields give ions ±0.8 e; exact neutral solvents warn of nothing
    u = _universe({"EC": [[0.5, -0.5]] * 2, "Li": [[0.8]] * 2, "BF4": [[0.8] + [-0.4] * 4] * 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = charged_species(u)
    assert found == {"BF4": "resname BF4", "Li": "resname Li"}


def test_a_residue_name_with_one_charged_residue_is_a_carrier():
    # the rounding rule is per residue name: an ion's name is not hidden by a rounded residue
    u = _universe({"X": [[ROUNDED_NET_CHARGE / 10], [1.0]], "Y": [[-1.0]]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert charged_species(u) == {"X": "resname X", "Y": "resname Y"}
