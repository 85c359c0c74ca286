"""Convert the DFT-D3 reference tables into ``ase_electrolyte/d3/data/``.

This records how ``d3_reference.npz`` and ``d3_parameters.json`` were made; the package
never runs it. Sources, both Apache-2.0 wheels from PyPI, unpacked but not imported
(importing them needs a matching ``tad-mctc`` and torch):

* ``tad-dftd3`` 0.7.0 -- ``reference-c6.pt`` (C6 of all reference-system pairs, a.u.),
  ``reference.py`` (reference coordination numbers), ``data/r4r2.py`` (<r4>/<r2>),
  ``param/parameters.toml`` (damping parameters, vendored verbatim from s-dftd3).
* ``tad-mctc`` -- ``data/radii.py`` (Pyykkö–Atsumi covalent radii, Å) and
  ``data/vdw-pairwise.pt`` (the pairwise R0 of s-dftd3's ``vdwrad.f90``, already in bohr).

Both are ports of simple-dftd3's Fortran tables; the bohr conversion (1 Å = 1.8897261246204407
bohr, CODATA 2018 as computed by mctc-lib) is the one simple-dftd3 uses.

Usage::

    pip download --no-deps -d /tmp/x tad-dftd3==0.7.0 tad-mctc
    cd /tmp/x && for w in *.whl; do unzip -o -q $w -d unpacked; done
    python scripts/convert_d3_tables.py /tmp/x/unpacked
"""

import argparse
import ast
import json
from pathlib import Path

import numpy as np
import tomllib
import torch

MAX_Z = 94  # H..Pu
MAX_REF = 7
AA2AU = 1.8897261246204407  # tad_mctc.units.length.AA2AU == mctc-lib aatoau


def _list_literal(source: str, name: str):
    """Return the first list literal assigned to ``name`` in a Python source file."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise KeyError(name)


def _reference_cn(source: str) -> np.ndarray:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "_load_cn":
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "tensor":
                    return np.array(ast.literal_eval(call.args[0]), dtype=np.float64)
    raise KeyError("_load_cn")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("unpacked", type=Path, help="folder holding tad_dftd3/ and tad_mctc/")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parents[1] / "ase_electrolyte" / "d3" / "data"
    )
    args = parser.parse_args()
    dftd3 = args.unpacked / "tad_dftd3"
    mctc = args.unpacked / "tad_mctc"

    cnref = _reference_cn((dftd3 / "reference.py").read_text())[: MAX_Z + 1]
    nref = (cnref >= 0).sum(axis=1).astype(np.int32)
    nref[0] = 0
    # references are stored contiguously from index 0 (checked here, relied on by the kernel)
    for z in range(1, MAX_Z + 1):
        assert np.all(cnref[z, : nref[z]] >= 0) and np.all(cnref[z, nref[z] :] < 0), z

    c6 = torch.load(dftd3 / "reference-c6.pt", map_location="cpu", weights_only=True)
    c6ref = c6.numpy().astype(np.float64)[: MAX_Z + 1, : MAX_Z + 1]
    assert c6ref.shape == (MAX_Z + 1, MAX_Z + 1, MAX_REF, MAX_REF)

    r4r2_raw = np.array(_list_literal((dftd3 / "data" / "r4r2.py").read_text(), "_r4_over_r2"))
    z = np.arange(len(r4r2_raw), dtype=np.float64)
    r4r2 = np.sqrt(0.5 * (r4r2_raw * np.sqrt(z)))[: MAX_Z + 1]  # as tad_dftd3.data.R4R2

    cov = np.array(_list_literal((mctc / "data" / "radii.py").read_text(), "_COV_2009"))
    rcov = (AA2AU * 4.0 / 3.0 * cov)[: MAX_Z + 1]  # as tad_mctc.data.radii.COV_D3

    r0ab = torch.load(mctc / "data" / "vdw-pairwise.pt", map_location="cpu", weights_only=True)
    r0ab = r0ab.numpy().astype(np.float64)[: MAX_Z + 1, : MAX_Z + 1]

    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / "d3_reference.npz",
        c6ref=c6ref,
        cnref=cnref,
        nref=nref,
        rcov=rcov,
        r4r2=r4r2,
        r0ab=r0ab,
        max_z=np.int32(MAX_Z),
    )
    toml = tomllib.loads((dftd3 / "param" / "parameters.toml").read_text())
    # keep only the D3 entries:
    # {"default": {damping: {...}}, "functionals": {name: {damping: {...}}}}
    params = {
        "default": toml["default"]["parameter"]["d3"],
        "functionals": {
            name: entry["d3"] for name, entry in toml["parameter"].items() if "d3" in entry
        },
    }
    (args.out / "d3_parameters.json").write_text(json.dumps(params, indent=1, sort_keys=True))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
