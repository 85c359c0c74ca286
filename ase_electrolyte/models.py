"""The registry of models: which names and files exist, which backend loads them.

Backend choice is made here and only here. A *backend* is an MLIP package whose own ASE calculator
does the model evaluation (``sevenn``, ``chgnet``, ``mace-torch``, ``nequip``, ``quippy-ase``); the
:class:`ase_electrolyte.Calculator` wraps the calculator that :func:`load_model` returns.

Registered names all carry their weights inside a PyPI package, so nothing is downloaded at run
time. Files are recognised by their suffix:

=========================  ==========================================
suffix                     backend
=========================  ==========================================
``.model``                 MACE (``mace-torch``)
``.nequip.pt2``,           NequIP / Allegro compiled model (``nequip``)
``.nequip.pth``
``.xml``                   GAP (``quippy-ase``)
``.pth``, ``.pt``          SevenNet checkpoint (``sevenn``)
=========================  ==========================================
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["list_models", "load_model", "ModelInfo", "resolve_device", "LoadedModel"]


@dataclass(frozen=True)
class _Backend:
    package: str  # import name
    extra: str  # pip extra of this project that installs it
    options: frozenset  # keyword options the upstream calculator accepts through us
    dtypes: frozenset  # accepted ``dtype`` values (None = the model's own)


_BACKENDS = {
    "sevennet": _Backend(
        "sevenn", "sevennet", frozenset({"modal", "enable_cueq", "enable_flash", "enable_oeq"}),
        frozenset({None, "float32"}),
    ),
    "chgnet": _Backend(
        "chgnet", "chgnet", frozenset({"on_isolated_atoms"}), frozenset({None, "float32"}),
    ),
    "mace": _Backend(
        "mace", "mace", frozenset({"head", "enable_cueq"}), frozenset({None, "float32", "float64"}),
    ),
    "nequip": _Backend("nequip", "nequip", frozenset({"chemical_species_to_atom_type_map"}),
                       frozenset({None})),
    "gap": _Backend("quippy", "gap", frozenset({"param_xml_str", "init_args"}), frozenset({None})),
}


@dataclass(frozen=True)
class _Named:
    backend: str
    upstream: str  # the name the backend's loader understands
    description: str
    needs_modal: bool = False


_NAMED = {
    "sevennet-0": _Named("sevennet", "7net-0_11Jul2024",
                         "SevenNet-0 (11Jul2024), the model of seed 000; PBE, 89 elements"),
    "sevennet-0-22may2024": _Named("sevennet", "7net-0_22May2024",
                                   "SevenNet-0 (22May2024), the earlier release"),
    "sevennet-mf-0": _Named("sevennet", "7net-mf-0",
                            "SevenNet-MF-0, multi-fidelity: needs modal=, e.g. modal='PBE'",
                            needs_modal=True),
    "sevennet-l3i5": _Named("sevennet", "7net-l3i5", "SevenNet-l3i5 (lmax 3, 5 interactions)"),
    "chgnet-0.3.0": _Named("chgnet", "0.3.0", "CHGNet 0.3.0 (MPtrj)"),
    "chgnet-0.2.0": _Named("chgnet", "0.2.0", "CHGNet 0.2.0 (MPtrj, older release)"),
}


class ModelInfo(NamedTuple):
    """One registered model, as :func:`list_models` reports it."""

    name: str
    backend: str
    installed: bool
    extra: str
    description: str


class LoadedModel(NamedTuple):
    """What :func:`load_model` returns."""

    name: str  # registered name or file path
    backend: str
    calculator: object  # the upstream ASE calculator
    numbers: frozenset | None  # atomic numbers the model covers; None when unknown
    periodic_only: bool  # the backend cannot evaluate a structure without a cell


def _installed(backend):
    return importlib.util.find_spec(_BACKENDS[backend].package) is not None


def list_models():
    """The registered model names and whether their backend package is installed.

    Returns
    -------
    list of ModelInfo
        ``(name, backend, installed, extra, description)`` per model; ``extra`` is the pip extra
        that installs the backend (``pip install "ase-electrolyte[extra]"``).

    Examples
    --------
    >>> from ase_electrolyte import list_models
    >>> [m.name for m in list_models()][:2]
    ['sevennet-0', 'sevennet-0-22may2024']
    """
    return [
        ModelInfo(name, spec.backend, _installed(spec.backend), _BACKENDS[spec.backend].extra,
                  spec.description)
        for name, spec in _NAMED.items()
    ]


def resolve_device(device):
    """``"auto"`` → ``"cuda"`` when torch sees a GPU, else ``"cpu"``; other values are checked."""
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str) or device.split(":")[0] not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', not {device!r}")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was asked for but torch sees no CUDA GPU")
    return device


def _backend_of_file(path):
    lower = path.lower()
    if lower.endswith(".model"):
        return "mace"
    if lower.endswith((".nequip.pt2", ".nequip.pth")):
        return "nequip"
    if lower.endswith(".xml"):
        return "gap"
    if lower.endswith((".pth", ".pt")):
        return "sevennet"
    raise ValueError(
        f"cannot tell the model type of {path!r} from its suffix: expected .model (MACE), "
        ".nequip.pt2/.nequip.pth (NequIP/Allegro), .xml (GAP) or .pth (SevenNet checkpoint); "
        "pass backend=... to say which"
    )


def _require(backend):
    if not _installed(backend):
        spec = _BACKENDS[backend]
        raise ImportError(
            f"the {backend} backend needs the package {spec.package!r}, which is not installed; "
            f'install it with: pip install "ase-electrolyte[{spec.extra}]"'
        )


def load_model(model, *, device, dtype=None, backend=None, **options):
    """Resolve ``model`` to a backend and build its ASE calculator.

    Parameters
    ----------
    model : str or os.PathLike
        A registered name (see :func:`list_models`) or a model file.
    device : str
        ``"cpu"`` or ``"cuda[:N]"`` (already resolved, see :func:`resolve_device`).
    dtype : {None, "float32", "float64"}
        Floating-point precision where the backend lets us choose; ``None`` keeps the model's.
    backend : str, optional
        Force the backend of a file whose suffix is ambiguous.
    **options
        Backend options (e.g. ``modal`` for SevenNet-MF-0, ``enable_cueq`` for SevenNet on GPU).

    Returns
    -------
    LoadedModel

    Raises
    ------
    ValueError
        Unknown model name (the known ones are listed), unknown file type, missing file, options
        or dtype the backend does not take, a multi-fidelity model without ``modal``.
    ImportError
        The backend package is not installed (the message names the extra that installs it).
    """
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if not isinstance(model, str):
        raise TypeError(f"model must be a registered name or a file path, not {type(model).__name__}")
    named = _NAMED.get(model.lower())
    if named is not None:
        backend = named.backend
        source = named.upstream
        if named.needs_modal and "modal" not in options:
            raise ValueError(f"{model!r} is multi-fidelity: pass modal=..., e.g. modal='PBE'")
    elif os.path.exists(model):
        if backend is None:
            backend = _backend_of_file(model)
        elif backend not in _BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; known: {sorted(_BACKENDS)}")
        source = model
    elif model.lower().endswith((".model", ".pt2", ".pth", ".pt", ".xml")):
        raise ValueError(f"model file {model!r} does not exist")
    else:
        raise ValueError(
            f"unknown model {model!r}; registered names: {', '.join(_NAMED)} (or give a model file)"
        )

    spec = _BACKENDS[backend]
    unknown = sorted(set(options) - spec.options)
    if unknown:
        raise ValueError(
            f"the {backend} backend takes no option(s) {unknown}; it takes {sorted(spec.options)}"
        )
    if dtype not in spec.dtypes:
        raise ValueError(
            f"dtype={dtype!r} is not available for the {backend} backend; choose from "
            f"{sorted(spec.dtypes, key=str)}"
        )
    _require(backend)
    calc, numbers, periodic_only = _LOADERS[backend](source, device, dtype, options)
    return LoadedModel(model, backend, calc, numbers, periodic_only)


def _load_sevennet(source, device, dtype, options):
    from sevenn.calculator import SevenNetCalculator

    calc = SevenNetCalculator(source, device=device, **options)
    return calc, frozenset(int(z) for z in calc.type_map), False


def _load_chgnet(source, device, dtype, options):
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    model = CHGNet.load(model_name=source, use_device=device, verbose=False)
    calc = CHGNetCalculator(model, use_device=device, return_site_energies=True, **options)
    # CHGNet's atom embedding covers Z = 1..94; it builds its graph from a pymatgen Structure,
    # which needs a lattice
    return calc, frozenset(range(1, 95)), True


def _load_mace(source, device, dtype, options):
    from mace.calculators import MACECalculator

    calc = MACECalculator(model_paths=source, device=device,
                          default_dtype=dtype or "float64", **options)
    return calc, frozenset(int(z) for z in calc.z_table.zs), False


def _load_nequip(source, device, dtype, options):
    from nequip.integrations.ase import NequIPCalculator

    calc = NequIPCalculator.from_compiled_model(source, device=device, **options)
    return calc, None, False


def _load_gap(source, device, dtype, options):
    from quippy.potential import Potential

    return Potential(param_filename=source, **options), None, False


_LOADERS = {
    "sevennet": _load_sevennet,
    "chgnet": _load_chgnet,
    "mace": _load_mace,
    "nequip": _load_nequip,
    "gap": _load_gap,
}
