"""Shell geometry by shell type: Oc–M–Oc and M–Oc–Cc angles, cation–Oc/Oe RDFs.

Ju et al. (2025, Fig. 4) resolve the structure of the first shell by its composition: the angle
between two carbonyl oxygens seen from the cation (Oc–M–Oc), the angle at a coordinating carbonyl
oxygen between the cation and its carbon (M–Oc–Cc), and the RDFs of the cations of one shell
label around the carbonyl and ether oxygens. All are derived here from the members of
:func:`mda_electrolyte.shell_composition.shell_members` and the cation–oxygen rows of a
:class:`~mda_electrolyte.shell_table.ShellTable`, with the labels of every shell.
"""

from __future__ import annotations

import numpy as np

from ase_electrolyte.atoms_checks import check_number
from mda_electrolyte.shell_table import OC

__all__ = ["histogram_bins", "angle", "shell_angles", "type_rdfs"]

ANGLE_KINDS = ("Oc-M-Oc", "M-Oc-Cc")
RDF_KINDS = ("M-Oc", "M-Oe")


def histogram_bins(values, edges):
    """Bin of every value as :func:`numpy.histogram` assigns it.

    Raises
    ------
    ValueError
        A value outside the edges or NaN: numpy.histogram leaves it out, while its index here
        was -1 (below) or the last bin (beyond, NaN), counted as a pair or angle there.
    """
    values = np.asarray(values)
    if values.size and not (values.min() >= edges[0] and values.max() <= edges[-1]):
        outside = np.flatnonzero(~((values >= edges[0]) & (values <= edges[-1])))
        raise ValueError(f"histogram_bins: {outside.size} value(s) outside the edges "
                         f"[{edges[0]:g}, {edges[-1]:g}] (e.g. {values[outside[0]]!r} at index "
                         f"{outside[0]}); keep the values inside")
    index = np.searchsorted(edges, values, side="right") - 1
    # the last edge belongs to the last bin
    return np.minimum(index, edges.size - 2)


def angle(u, v):
    """Angle in degrees between the rows of ``u`` and ``v`` (shape (n, 3) each).

    Raises
    ------
    ValueError
        Arrays of other shapes, or a row of zero length or not finite: it has no direction
        (its angle was a NaN, refused later as NaN in the per-frame values without naming it).
    """
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if u.ndim != 2 or u.shape != v.shape or u.shape[1] != 3:
        raise ValueError(f"angle: u and v must be vectors of one shape (n, 3), not {u.shape} "
                         f"and {v.shape}")
    lengths = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    bad = np.flatnonzero(~(np.isfinite(lengths) & (lengths > 0)))
    if bad.size:
        raise ValueError(f"angle: row {bad[0]} holds a vector of zero length or not finite "
                         f"({u[bad[0]].tolist()}, {v[bad[0]].tolist()}): it has no direction")
    cos = np.einsum("ij,ij->i", u, v) / lengths
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def shell_angles(members, n_cations):
    """Every Oc–M–Oc and M–Oc–Cc angle of the shells, with the shell it belongs to.

    Returns
    -------
    dict
        ``"Oc-M-Oc"`` and ``"M-Oc-Cc"`` → ``(angles in degrees, shell numbers)``; an Oc–M–Oc
        angle for every unordered pair of member Oc atoms of one shell.

    Raises
    ------
    ValueError
        ``n_cations`` not a whole number ≥ 1, a member's cation slot outside ``0 …
        n_cations − 1`` or a negative frame (a slot beyond was numbered as a shell of the next
        frame, and its Oc paired with that frame's: angles between frames), or vectors not
        one row per member Oc.
    """
    n_cations = check_number("shell_angles: n_cations", n_cations, integer=True, minimum=1)
    oc = members.oxygen == OC
    for name, column, bound in (("cation slots", members.cation, n_cations),
                                ("frames", members.frame, None)):
        column = np.asarray(column)
        if column.size and (column.min() < 0 or (bound is not None and column.max() >= bound)):
            raise ValueError(f"shell_angles: members' {name} run from {int(column.min())} to "
                             f"{int(column.max())}" + (f", outside the {bound} cations"
                                                       if bound is not None else ""))
    n_oc = int(np.count_nonzero(oc))
    for name in ("m_to_o", "o_to_c"):
        if np.shape(getattr(members, name)) != (n_oc, 3):
            raise ValueError(f"shell_angles: members.{name} must hold one vector per member "
                             f"Oc, shape ({n_oc}, 3), not {np.shape(getattr(members, name))}")
    shell = members.frame[oc].astype(np.int64) * n_cations + members.cation[oc]
    m_to_o = members.m_to_o.astype(np.float64)
    m_oc_cc = angle(-m_to_o, members.o_to_c)
    order = np.argsort(shell, kind="stable")
    shell_sorted, vecs = shell[order], m_to_o[order]
    first, second = [], []
    # after sorting, the pairs of one shell are (i, i + k) with the same shell number
    for k in range(1, int(np.bincount(shell_sorted).max()) if shell_sorted.size else 1):
        i = np.flatnonzero(shell_sorted[:-k] == shell_sorted[k:])
        if not i.size:
            break
        first.append(i)
        second.append(i + k)
    first = np.concatenate(first) if first else np.zeros(0, dtype=np.intp)
    second = np.concatenate(second) if second else np.zeros(0, dtype=np.intp)
    oc_m_oc = angle(vecs[first], vecs[second]) if first.size else np.zeros(0)
    return {"Oc-M-Oc": (oc_m_oc, shell_sorted[first]), "M-Oc-Cc": (m_oc_cc, shell)}


def type_rdfs(table, label_codes, n_labels):
    """Cation–Oc and cation–Oe pair counts per shell label over all frames.

    Parameters
    ----------
    table : ShellTable
    label_codes : numpy.ndarray of int, shape (n_frames, n_cations)
        Label index of every shell.
    n_labels : int

    Returns
    -------
    numpy.ndarray of int64, shape (n_labels, 2, n_bins)
        Counts on ``table.rdf_edges``, ``[:, 0]`` around Oc and ``[:, 1]`` around Oe.

    Raises
    ------
    ValueError
        ``label_codes`` not of shape (the table's frames, its cations) (the rows of another
        run were read as this table's shells), codes outside ``0 … n_labels − 1`` (a code of
        -1 counted the pairs to the label before), or ``n_labels`` not a whole number ≥ 1.
    """
    n_labels = check_number("type_rdfs: n_labels", n_labels, integer=True, minimum=1)
    label_codes = np.asarray(label_codes)
    shape = (table.n_frames, table.layout.n_cations)
    if label_codes.shape != shape:
        raise ValueError(f"type_rdfs: label_codes must be of shape {shape} (the table's "
                         f"frames and cations), not {label_codes.shape}")
    if label_codes.size and (label_codes.min() < 0 or label_codes.max() >= n_labels):
        raise ValueError(f"type_rdfs: label codes run from {int(label_codes.min())} to "
                         f"{int(label_codes.max())}, outside the {n_labels} labels")
    n_bins = table.rdf_edges.size - 1
    n_cat = label_codes.shape[1]
    label = label_codes.ravel()[table.oxygen_row_frames().astype(np.int64) * n_cat
                                + table.oxygen_cation]
    flat = (label * 2 + table.oxygen_kind) * n_bins + table.oxygen_bin
    return np.bincount(flat, minlength=n_labels * 2 * n_bins).reshape(n_labels, 2, n_bins)
