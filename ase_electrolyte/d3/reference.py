"""DFT-D3 reference tables shipped with the package (see ``data/README.md``)."""

from functools import lru_cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).parent / "data"
MAX_REF = 7


@lru_cache(maxsize=1)
def reference_tables() -> dict:
    """Return the D3 tables in atomic units, indexed by atomic number (index 0 unused).

    Keys: ``c6ref`` (Z, Z, 7, 7) reference C6 in hartree·bohr⁶, ``cnref`` (Z, 7) reference
    coordination numbers (-1 where absent), ``nref`` (Z,) number of references, ``rcov``
    (Z,) covalent radii scaled by 4/3 in bohr, ``r4r2`` (Z,) sqrt(0.5 <r⁴>/<r²> sqrt(Z)),
    ``r0ab`` (Z, Z) pairwise cutoff radii in bohr, ``max_z`` highest tabulated element.
    """
    with np.load(DATA_DIR / "d3_reference.npz") as data:
        tables = {key: np.ascontiguousarray(data[key]) for key in data.files if key != "max_z"}
        tables["max_z"] = int(data["max_z"])
    for value in tables.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return tables
