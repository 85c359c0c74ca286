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
``.pth.tar``               CHGNet checkpoint (``chgnet``)
=========================  ==========================================

A torch archive's table of contents (and its small ``data.pkl``, read as bytes) tells a
SevenNet checkpoint from a CHGNet one, a pickled MACE module or a compiled NequIP model under
any of these suffixes; a file given with a ``backend`` its content contradicts is refused
before it is unpickled, naming the backend it holds.

Model files are code: a pickled checkpoint or module (SevenNet ``.pth``, MACE ``.model``) runs
whatever it names when it is unpickled, and a compiled NequIP model runs its own code. Loading
such a file warns once per file and content (:class:`ModelFileTrustWarning`: the same file
under another path or a link is not warned again, a file replaced on disk is) that it must be
trusted like code. A SevenNet or CHGNet checkpoint is first opened with
``torch.load(weights_only=True)``, which allows only tensors and plain containers; when that
succeeds the file holds no code and no warning is given.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from typing import NamedTuple

from .atoms_checks import check_flag
from .environment import check_thread_variables

__all__ = [
    "list_models",
    "load_model",
    "check_model",
    "model_modals",
    "modal_spelling",
    "ModelInfo",
    "ModelFileTrustWarning",
    "resolve_device",
    "LoadedModel",
    "model_spec",
    "is_model_file",
    "registered_name",
]


@dataclass(frozen=True)
class _Backend:
    package: str  # import name
    extra: str  # pip extra of this project that installs it
    options: frozenset  # keyword options the upstream calculator accepts through us
    dtypes: frozenset  # accepted ``dtype`` values (None = the model's own)


_BACKENDS = {
    "sevennet": _Backend(
        "sevenn",
        "sevennet",
        frozenset({"modal", "enable_cueq", "enable_flash", "enable_oeq"}),
        frozenset({None, "float32"}),
    ),
    "chgnet": _Backend(
        "chgnet",
        "chgnet",
        frozenset({"on_isolated_atoms"}),
        frozenset({None, "float32"}),
    ),
    "mace": _Backend(
        "mace",
        "mace",
        frozenset({"head", "enable_cueq"}),
        frozenset({None, "float32", "float64"}),
    ),
    "nequip": _Backend(
        "nequip",
        "nequip",
        frozenset(
            {
                "chemical_species_to_atom_type_map",
                "neighborlist_backend",
                "neighborlist_backend_kwargs",
            }
        ),
        frozenset({None}),
    ),
    # quippy's Potential: args_str picks one potential of a multi-potential XML ("IP GAP"),
    # calc_args goes to every evaluation
    "gap": _Backend("quippy", "gap", frozenset({"args_str", "calc_args"}), frozenset({None})),
}


@dataclass(frozen=True)
class _Named:
    backend: str
    upstream: str  # the name the backend's loader understands
    description: str
    modals: tuple = ()  # the fidelities of a multi-fidelity model (its ``modal`` values)

    @property
    def needs_modal(self):
        return bool(self.modals)


_NAMED = {
    "sevennet-0": _Named(
        "sevennet",
        "7net-0_11Jul2024",
        "SevenNet-0 (11Jul2024), the model of Ju et al. 2025; PBE, 89 elements",
    ),
    "sevennet-0-22may2024": _Named(
        "sevennet", "7net-0_22May2024", "SevenNet-0 (22May2024), the earlier release"
    ),
    "sevennet-mf-0": _Named(
        "sevennet",
        "7net-mf-0",
        "SevenNet-MF-0, multi-fidelity: needs modal=, e.g. modal='PBE'",
        modals=("PBE", "R2SCAN"),
    ),
    "sevennet-l3i5": _Named("sevennet", "7net-l3i5", "SevenNet-l3i5 (lmax 3, 5 interactions)"),
    "chgnet-0.3.0": _Named("chgnet", "0.3.0", "CHGNet 0.3.0 (MPtrj)"),
    "chgnet-0.2.0": _Named("chgnet", "0.2.0", "CHGNet 0.2.0 (MPtrj, older release)"),
}


#: backend options that are switches (True or False): SevenNet's and MACE's GPU kernels
_FLAG_OPTIONS = frozenset({"enable_cueq", "enable_flash", "enable_oeq"})


#: sevenn's own spellings of its pretrained models (``sevenn.util.pretrained_name_to_path``):
#: a SevenNet user types ``"7net-0"`` as sevenn's calculator takes it
_ALIASES = {
    **{f"{head}-0_{day}": "sevennet-0" for head in ("7net", "sevennet")
       for day in ("11jul2024", "11july2024")},
    "7net-0": "sevennet-0",
    "7net-0_22may2024": "sevennet-0-22may2024",
    "sevennet-0_22may2024": "sevennet-0-22may2024",
    "7net-mf-0": "sevennet-mf-0",
    "7net-l3i5": "sevennet-l3i5",
}


def registered_name(model):
    """The registered name that ``model`` spells, or ``None`` where it is read as a file.

    The one reading of a model name, for :class:`ase_electrolyte.Calculator`, committees,
    fine-tuning, distillation and ``electrolyte diagnose``: a ``str`` in any case and
    spacing (``" SevenNet-0"``, ``"sevennet-0\\n"`` from a file) or one of sevenn's own
    spellings (``"7net-0"``) names the registered model. A registered name wins over a file
    of the same name in the working folder, since a name has no folder and a file can always
    be named with one (``"./sevennet-0"``); :func:`load_model` warns when both exist. An
    ``os.PathLike`` is always a file, and a path is never folded in case or spacing (file
    systems tell ``Model.pth`` from ``model.pth``).

    Parameters
    ----------
    model : str or os.PathLike

    Returns
    -------
    str or None
        The name as :func:`list_models` spells it.

    Examples
    --------
    >>> from ase_electrolyte.models import registered_name
    >>> registered_name(" SevenNet-0 "), registered_name("7net-0"), registered_name("my.pth")
    ('sevennet-0', 'sevennet-0', None)
    """
    if not isinstance(model, str):
        return None
    key = " ".join(model.split()).lower()
    key = _ALIASES.get(key, key)
    return key if key in _NAMED else None


def _unknown_model(model):
    """The refusal of a ``str`` that is neither a registered name nor a file, with the name
    it looks like (``"sevenet-0"``, ``"sevennet 0"``)."""
    from .option_words import close_option

    close = close_option(" ".join(str(model).split()), list(_NAMED) + list(_ALIASES),
                         cutoff=0.75)
    hint = f" (did you mean {_ALIASES.get(close, close)!r}?)" if close else ""
    return ValueError(
        f"unknown model {model!r}{hint}; registered names: {', '.join(_NAMED)} (any case; "
        "sevenn's own spellings such as '7net-0' too), or give a model file"
    )


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
        ModelInfo(
            name,
            spec.backend,
            _installed(spec.backend),
            _BACKENDS[spec.backend].extra,
            spec.description,
        )
        for name, spec in _NAMED.items()
    ]


def resolve_device(device):
    """``"auto"`` → ``"cuda:0"`` when torch sees a GPU, else ``"cpu"``; as a string.

    Thin wrapper of :func:`ase_electrolyte.device.resolve_device`, the one device parser.
    """
    from .device import resolve_device as _resolve

    return str(_resolve(device))


def _backend_of_file(path):
    lower = path.lower()
    if lower.endswith(".model"):
        return "mace"
    if lower.endswith((".nequip.pt2", ".nequip.pth")):
        return "nequip"
    if lower.endswith(".xml"):
        return "gap"
    if lower.endswith((".pth", ".pt", ".pt2", ".pth.tar")):
        # these suffixes are shared by SevenNet and CHGNet checkpoints, NequIP compiled models
        # and MACE models saved under another name; the archive's table of contents says which
        kind = _archive_backend(path)
        if kind is not None:
            return kind
        if lower.endswith((".pth", ".pt")):
            return "sevennet"
        # a truncated or non-torch file is named as such: a CHGNet checkpoint cut short by an
        # interrupted download was told that its type could not be told from its .pth.tar
        _check_file_content(path, None)
    raise ValueError(
        f"cannot tell the model type of {path!r} from its suffix or content: expected .model "
        "(MACE), .nequip.pt2/.nequip.pth (NequIP/Allegro), .xml (GAP), .pth (SevenNet "
        "checkpoint) or .pth.tar (CHGNet checkpoint); pass backend=... to say which"
    )


#: How each backend's files are named in messages.
_FILE_KINDS = {"sevennet": "a SevenNet checkpoint", "chgnet": "a CHGNet checkpoint",
               "mace": "a pickled MACE model", "nequip": "a compiled NequIP/Allegro model",
               "gap": "a GAP potential"}


def _archive_backend(path):
    """The backend whose file ``path`` is by its torch archive's content, or ``None``."""
    kind = _torch_archive_kind(path)
    if kind is None:
        return None
    return "nequip" if kind.startswith("nequip") else kind


def _torch_archive_kind(path):
    """``"nequip-torchscript"``, ``"nequip-aotinductor"``, ``"mace"``, ``"sevennet"``,
    ``"chgnet"`` or ``None`` (unknown).

    Reads only the zip directory (and, for a pickled object, its small ``data.pkl`` as bytes,
    never unpickled), never the weights: ``nequip-compile`` writes its metadata as TorchScript
    extra files (``<name>/extra/type_names``) or packs an AOTInductor library
    (``<name>/data/aotinductor/``); a whole MACE module pickled by ``torch.save`` names its
    classes in ``data.pkl``; a SevenNet checkpoint is a dict of ``model_state_dict`` and
    ``config``, a CHGNet one (``CHGNet.as_dict``, its trainer's files) holds ``model_args``
    beside a ``state_dict``. A CHGNet checkpoint given as a SevenNet one failed inside sevenn
    as ``KeyError: 'cutoff'``.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if any(name.endswith("/extra/type_names") for name in names):
                return "nequip-torchscript"
            if any("/data/aotinductor/" in name for name in names):
                return "nequip-aotinductor"
            pickles = [name for name in names if name.endswith("/data.pkl")]
            if len(pickles) == 1:
                table = archive.read(pickles[0])
                if b"mace.modules" in table:
                    return "mace"
                if b"model_state_dict" in table and b"config" in table:
                    return "sevennet"
                if b"model_args" in table and b"state_dict" in table:
                    return "chgnet"
    except (zipfile.BadZipFile, OSError):
        return None
    return None


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
    device : str or ase_electrolyte.device.Device
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``, already resolved (no ``"auto"``; see
        :func:`ase_electrolyte.device.resolve_device`); given to the backend as
        ``"cpu"``/``"cuda:N"``.
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
        Unknown model name (the known ones are listed), unknown file type, a missing,
        empty, damaged or foreign file (a directory, a dangling link, a torch archive cut
        short or with a record that fails its CRC-32, a file its backend cannot read; named
        with the reason; a SevenNet checkpoint of a newer sevenn than the installed one that
        it cannot build names both versions), options or dtype the backend does not take, a
        multi-fidelity model without ``modal`` or with an unknown one (a fidelity is read in
        any case and spacing, :func:`modal_spelling`), a ``modal`` for a
        one-fidelity model, a ``backend`` other than a registered name's own (``backend``
        and ``dtype`` are read in any case), a switch (``enable_cueq``, ``enable_flash``,
        ``enable_oeq``) that is not True or False; a model file
        whose weights (any tensor of its torch modules) hold NaN or infinite values, naming
        the tensor.
        A thread count in the environment that numexpr (imported with the backend) cannot
        read, before that import (:func:`ase_electrolyte.environment.check_thread_variables`).
    ImportError
        The backend package is not installed (the message names the extra that installs it).
    """
    model, named, backend, source = _checked_model(model, backend, options)
    from .device import parse_device

    device = str(parse_device(device, allow_auto=False))
    spec = _BACKENDS[backend]
    if isinstance(dtype, str):
        # an option word, in any case ("Float32"), as Electrostatics' dtype
        dtype = " ".join(dtype.split()).lower()
    if dtype not in spec.dtypes:
        if spec.dtypes == {None}:
            # "choose from [None]" named no precision and no cure
            raise ValueError(
                f"dtype={dtype!r}: the {backend} backend takes no dtype, it evaluates a model "
                "in the precision the model was written in; leave dtype out (None)"
            )
        raise ValueError(
            f"dtype={dtype!r} is not available for the {backend} backend; choose from "
            f"{sorted(spec.dtypes, key=str)} (None: the model's own precision)"
        )
    if "numexpr" not in sys.modules:
        # the backends import pandas, and with it numexpr, which reads the thread count with
        # int(): "OMP_NUM_THREADS=4,2" failed there as "invalid literal for int()", naming
        # neither the variable nor the cure
        check_thread_variables()
    if named is not None:
        calc, numbers, periodic_only = _LOADERS[backend](source, device, dtype, options)
    else:
        calc, numbers, periodic_only = _load_file(backend, source, device, dtype, options)
        _check_finite_weights(calc, source)
    return LoadedModel(model, backend, calc, numbers, periodic_only)


def _calculator_modules(calc):
    """The torch modules an upstream calculator evaluates (SevenNet, NequIP: ``model``; MACE:
    ``models``); none for a backend without torch modules (GAP)."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        return []
    modules = getattr(calc, "models", None)
    if not isinstance(modules, (list, tuple)):
        modules = [getattr(calc, "model", None)]
    return [m for m in modules if isinstance(m, torch.nn.Module)]


def _network_tensors(module):
    """Every named tensor that makes ``module`` the network it is: its state dict's entries
    (parameters and buffers, non-tensors included as they are), else the tensor constants of
    its TorchScript graph.

    A frozen TorchScript module (a compiled NequIP/Allegro file) holds its weights as constants
    of its graph and has an empty state dict: digests of the state dict alone were the same for
    every compiled model, so a run with one was answered with another's stored run, and two
    different compiled members of a committee were taken for one.
    """
    import torch

    state = list(module.state_dict(keep_vars=True).items())
    if any(isinstance(t, torch.Tensor) for _, t in state):
        return state
    if not isinstance(module, torch.jit.ScriptModule):
        return state
    constants = []
    # findAllNodes searches the blocks of loops and branches too
    for i, node in enumerate(module.graph.findAllNodes("prim::Constant")):
        if node.hasAttribute("value") and node.kindOf("value") == "t":
            constants.append((f"graph constant {i}", node.t("value")))
    return state + constants


def _check_finite_weights(calc, source):
    """ValueError when a loaded model file holds NaN or infinite weights, naming the tensor.

    A checkpoint saved after a training diverged (or one damaged in a way its checksums do
    not show) loaded without a word and returned NaN at its first evaluation, where the
    error blamed the structure ("closest atoms Cu0-Cu1 at 2.55 Å"); a NaN in one element's
    embedding failed only on structures of that element. Every floating tensor of the
    model's modules (parameters and buffers: shifts, scales) is read once, on its device.
    """
    import torch

    for module in _calculator_modules(calc):
        for name, tensor in _network_tensors(module):
            if not (isinstance(tensor, torch.Tensor) and tensor.is_floating_point()):
                continue
            bad = ~torch.isfinite(tensor.detach())
            if bool(bad.any()):
                n_nan = int(torch.isnan(tensor.detach()).sum())
                raise ValueError(
                    f"model file {source!r} holds non-finite weights: {int(bad.sum())} of "
                    f"{tensor.numel()} values of its tensor {name!r} are NaN or infinite "
                    f"({n_nan} NaN), so it would return NaN; a training that diverged saved "
                    "it, or the file is damaged: use the last checkpoint before the "
                    "divergence"
                )


def _load_file(backend, source, device, dtype, options):
    """Load a model file; a file its backend cannot read is a ValueError naming the file.

    The loaders fail on a foreign file (a torch archive of something else, XML of no GAP
    potential) with whatever their parser meets first: ``KeyError: 'cutoff'``, a Fortran
    ``RuntimeError``. Running out of memory is no fault of the file and passes through.
    """
    import pickle
    import zipfile

    try:
        return _LOADERS[backend](source, device, dtype, options)
    except (ImportError, MemoryError):
        raise
    except (ValueError, KeyError, RuntimeError, EOFError, AttributeError, TypeError,
            pickle.UnpicklingError, zipfile.BadZipFile) as err:
        if "out of memory" in str(err).lower():
            raise
        # our loaders' own ValueErrors name the file and the fix; a version string the
        # checkpoint holds that is none (packaging's InvalidVersion, raised inside sevenn)
        # named neither the file nor the field
        if isinstance(err, ValueError) and type(err).__name__ != "InvalidVersion":
            raise
        # one line: the CLI prints errors as one line, and torch's spread over several
        reason = " ".join(str(err).split())
        newer = _newer_sevenn(source) if backend == "sevennet" else None
        if newer is not None:
            # a model of a newer release (new blocks, renamed weights) is no damaged file: the
            # remedy is another sevenn, not another file or backend
            raise ValueError(
                f"model file {source!r} was written by sevenn {newer[0]}, newer than the "
                f"installed sevenn {newer[1]}, which cannot load it ({type(err).__name__}: "
                f"{reason[:200]}); upgrade sevenn (pip install -U sevenn)"
            ) from err
        raise ValueError(
            f"model file {source!r} cannot be loaded as a {backend} model "
            f"({type(err).__name__}: {reason[:300]}); is it a {backend} model file? "
            "pass backend=... if its suffix misleads"
        ) from err


def _newer_sevenn(path):
    """``(file's sevenn version, installed version)`` when the checkpoint at ``path`` names a
    sevenn release newer than the installed one, else ``None`` (also when it names none)."""
    import pickle
    import re
    import zipfile

    import torch
    from sevenn import __version__ as installed

    def release(text):
        # the numeric release (0.13.0 of "0.13.0.dev1+g1234"): enough to tell newer from older
        found = re.match(r"\s*v?(\d+(?:\.\d+)*)", str(text))
        return tuple(int(p) for p in found.group(1).split(".")) if found else None

    try:
        # the loader has just unpickled the same file (and warned if it holds more than
        # tensors): reading its config again runs nothing new
        written = torch.load(path, map_location="cpu", weights_only=False)["config"]["version"]
    except (KeyError, TypeError, IndexError, RuntimeError, EOFError, AttributeError,
            pickle.UnpicklingError, zipfile.BadZipFile, ValueError, OSError):
        return None
    if not isinstance(written, str):
        return None  # not a version sevenn writes
    ours, theirs = release(installed), release(written)
    if ours is None or theirs is None:
        return None
    width = max(len(ours), len(theirs))
    if theirs + (0,) * (width - len(theirs)) > ours + (0,) * (width - len(ours)):
        return str(written), installed
    return None


class ModelFileTrustWarning(UserWarning):
    """A model file will be loaded in a way that can execute code stored in it."""


_WARNED_FILES = set()


def _file_version(path):
    """What makes a warned file the same file: its device, inode, size and modification time.

    The same file under another path, relative or through a link, is one; a file replaced on
    disk (a new checkpoint copied over the old one, which may hold other code) is another,
    where the resolved path alone kept the first file's silence.
    """
    try:
        st = os.stat(path)
    except OSError:
        return (os.path.realpath(path),)
    return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _warn_untrusted(path, how):
    """Warn once per file and content version (:func:`_file_version`) that loading it executes
    code from it."""
    key = _file_version(path)
    if key in _WARNED_FILES:
        return
    _WARNED_FILES.add(key)
    import warnings

    warnings.warn(
        f"loading {path!r} {how}: a model file can run arbitrary code on this machine; load "
        "only files you trust as you would trust a program",
        ModelFileTrustWarning,
        stacklevel=5,  # the caller of load_model (through _load_file and the loader)
    )


def _is_plain_checkpoint(path):
    """Whether ``torch.load(weights_only=True)`` accepts the file (tensors and containers only)."""
    import pickle

    import torch

    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, AttributeError, TypeError, ValueError,
            EOFError, OSError, KeyError, IndexError):
        # a file cut short or foreign is judged by the loader, which names it
        return False
    return True


def model_modals(model):
    """The fidelities (``modal`` values) of a registered model or SevenNet checkpoint file.

    Cheap: no network is built, and a checkpoint file that holds more than tensors is not
    unpickled (that would run its code before :func:`check_model`'s trust warning).

    Parameters
    ----------
    model : str or os.PathLike
        A registered name (see :func:`list_models`) or a model file.

    Returns
    -------
    tuple of str or None
        The fidelities in the model's own spelling (``('PBE', 'R2SCAN')`` for SevenNet-MF-0,
        Kim et al. 2024); ``()`` for a model of one fidelity; ``None`` where they are not
        known without loading it (another backend's file, a checkpoint holding code).
    """
    name = registered_name(model)
    if name is not None:
        return tuple(_NAMED[name].modals)
    if os.path.isfile(model) and str(model).lower().endswith((".pth", ".pt")):
        if not _is_plain_checkpoint(model):
            return None
        modals = _sevennet_file_modals(model)
        return () if modals is None else tuple(modals)
    return None


def check_model(model, *, backend=None, **options):
    """Check a model name or file, and its options, without loading it; return its backend.

    Cheap (no network is built): the ``electrolyte`` command calls it before any other work,
    and :func:`load_model` makes the same checks first.

    Parameters
    ----------
    model : str or os.PathLike
        A registered name (see :func:`list_models`) or a model file.
    backend : str, optional
        As for :func:`load_model`.
    **options
        Backend options, as for :func:`load_model`: their names are checked against the
        backend, and ``modal`` against the model's fidelities (a SevenNet checkpoint file's
        are read from its config, about 0.1 s; a checkpoint that holds more than tensors is
        unpickled for that, after :class:`ModelFileTrustWarning`).

    Raises
    ------
    ValueError
        Unknown name, missing file, file type not recognised, a file that cannot be a model
        (a directory, a dangling link, empty, not a torch archive or not XML as its backend
        needs, a torch archive cut short or whose records fail their CRC-32); options the
        backend does not take, a switch (``enable_cueq``...) that is not True or False;
        a multi-fidelity model (registered, or a SevenNet checkpoint
        file) without ``modal`` or with one it does not have, naming its fidelities; a
        ``modal`` for a one-fidelity model.
    ImportError
        The backend package is not installed.

    Examples
    --------
    >>> from ase_electrolyte.models import check_model
    >>> check_model("SevenNet-0")
    'sevennet'
    >>> check_model("sevennet-mf-0")
    Traceback (most recent call last):
    ...
    ValueError: 'sevennet-mf-0' is multi-fidelity: pass modal=..., one of ['PBE', 'R2SCAN'] ...
    """
    return _checked_model(model, backend, options)[2]


def _checked_model(model, backend, options):
    """``(model, registered spec or None, backend, source)`` once every check that needs no
    network has passed: the one pre-check of :func:`check_model` and :func:`load_model`.

    A multi-fidelity SevenNet checkpoint given by path passed the CLI's pre-check (which
    judged only names) and failed at the load; its fidelities are read here, before sevenn
    builds the network (10 s for SevenNet-MF-0) and then fails with "modal argument missing".
    """
    name = registered_name(model)
    path_object = isinstance(model, os.PathLike)
    if path_object:
        model = os.fspath(model)
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a registered name or a file path, not {type(model).__name__}"
        )
    if isinstance(backend, str) and " ".join(backend.split()).lower() in _BACKENDS:
        # a backend is an option word: any case and blanks ("SevenNet", " mace "), as the
        # model names; "SEVENNET" was refused as another backend than the name's own
        backend = " ".join(backend.split()).lower()
    for flag in sorted(_FLAG_OPTIONS & set(options)):
        # a backend takes them with ``if enable_cueq:``: "no" or "False" turned the GPU
        # kernels on, "yes" passed unchecked
        if options[flag] is not None:
            check_flag(flag, options[flag])
            options[flag] = bool(options[flag])
    named = None if name is None else _NAMED[name]
    if named is not None:
        if os.path.lexists(model):
            import warnings

            warnings.warn(
                f"{model!r} is read as the registered model {name!r}, not as the file of that "
                f"name in {os.getcwd()!r}; to load the file, give its path "
                f"({os.path.join('.', model)!r})",
                UserWarning,
                stacklevel=3,
            )
        model = name
        if backend is not None and backend != named.backend:
            # the name fixes the backend: another one asked for would be silently ignored
            raise ValueError(
                f"{model!r} is a {named.backend} model; backend={backend!r} cannot load it "
                "(backend= is for model files whose suffix misleads)"
            )
        backend = named.backend
        source = named.upstream
        _check_modal(model, named, options)
    elif path_object or _is_file_spec(model):
        if path_object and not os.path.lexists(model) and registered_name(model) is not None:
            raise ValueError(f"model file {model!r} does not exist (a path object is a file; "
                             f"the registered model {registered_name(model)!r} is given as a "
                             "str)")
        _check_file_path(model)
        asked = backend
        if backend is None:
            backend = _backend_of_file(model)
        elif backend not in _BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; known: {sorted(_BACKENDS)}")
        _check_file_content(model, backend)
        if asked is not None:
            _check_file_backend(model, backend)
        source = model
    else:
        raise _unknown_model(model)
    spec = _BACKENDS[backend]
    unknown = sorted(set(options) - spec.options)
    if unknown:
        from .option_words import close_option

        close = [c for c in (close_option(k, spec.options) for k in unknown) if c]
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        raise ValueError(
            f"the {backend} backend takes no option(s) {unknown}{hint}; it takes "
            f"{sorted(spec.options)}"
        )
    _require(backend)
    if named is None and backend == "sevennet":
        _check_file_modal(source, options)
    return model, named, backend, source


def _check_file_modal(path, options):
    """A SevenNet checkpoint file's ``modal`` judged against the fidelities its config lists.

    Reading the config unpickles the file as sevenn's loader does next: warned first where
    it holds more than tensors.
    """
    if not _is_plain_checkpoint(path):
        _warn_untrusted(path, "unpickles objects beyond plain tensors (torch weights_only=False)")
    modals = _sevennet_file_modals(path)
    if modals is not None:
        _check_modal(path, _Fidelities(modals), options)


_MODEL_SUFFIXES = (".model", ".pt2", ".pth", ".pt", ".xml", ".pth.tar")


def model_spec(model):
    """``model`` as stored in a calculator's parameters: a registered name as
    :func:`list_models` spells it (:func:`registered_name`), a file as its absolute path.

    ``todict()`` records it, and a relative path would name another file (or none) once the
    working folder changes; one spelling of a name lets a stored setting and its rerun
    compare equal (``"SevenNet-0 "`` and ``"sevennet-0"``). A path that does not exist (whose
    error names it as given) is returned unchanged.
    """
    name = registered_name(model)
    if name is not None:
        return name
    if isinstance(model, (str, os.PathLike)) and os.path.lexists(model):
        return os.path.abspath(model)
    return model  # a missing path object stays one: it is never read as a name


def is_model_file(path):
    """Whether ``path`` names a model file by its suffix (``.model``, ``.pt2``, ``.pth``,
    ``.pt``, ``.xml``, ``.pth.tar``; any case), as :func:`load_model` tells a file from a
    registered name.

    Tells a second model from a file of labelled frames where either may be given (``electrolyte
    diagnose --reference``). Nothing is read or imported.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    bool

    Examples
    --------
    >>> from ase_electrolyte.models import is_model_file
    >>> is_model_file("other.PTH"), is_model_file("frames.extxyz")
    (True, False)
    """
    return os.fspath(path).lower().endswith(_MODEL_SUFFIXES)


def _is_file_spec(model):
    """Whether ``model`` (not a registered name) is meant as a file: it exists in some form
    (a dangling link included) or carries a model-file suffix."""
    return os.path.lexists(model) or model.strip().lower().endswith(_MODEL_SUFFIXES)


def _other_case(path):
    """The file of the folder of ``path`` whose name differs from it in case alone, or None."""
    folder, name = os.path.split(path)
    try:
        entries = os.listdir(folder or ".")
    except OSError:
        return None
    same = sorted(e for e in entries if e != name and e.lower() == name.lower())
    return os.path.join(folder, same[0]) if same else None


def _check_file_path(path):
    """ValueError unless ``path`` is a readable, non-empty regular file (links followed)."""
    if not os.path.exists(path):
        if os.path.lexists(path):
            raise ValueError(
                f"model file {path!r} is a symbolic link that does not resolve (its target is "
                "missing, or the link points back to itself)"
            )
        stripped = path.strip()
        if stripped != path and os.path.exists(stripped):
            # a path is taken as typed (file names may hold spaces), but the near miss is named
            raise ValueError(f"model file {path!r} does not exist; {stripped!r} does (stray "
                             "spacing around the path?)")
        other = _other_case(path)
        if other is not None:
            raise ValueError(f"model file {path!r} does not exist; {other!r} does (file names "
                             "are case-sensitive here: give it as spelled on disk)")
        expanded = os.path.expandvars(os.path.expanduser(path))
        if expanded != path and os.path.exists(expanded):
            # a shell expands "~" and "$HOME"; Python's open, and so a model path, does not
            raise ValueError(f"model file {path!r} does not exist; {expanded!r} does ('~' and "
                             "$VARIABLES are not expanded in a path given from Python: give "
                             "os.path.expanduser(path) or the full path)")
        raise ValueError(f"model file {path!r} does not exist")
    if not os.path.isfile(path):
        raise ValueError(f"model {path!r} is not a file")
    try:
        size = os.path.getsize(path)
        with open(path, "rb"):
            pass
    except OSError as err:
        raise ValueError(f"model file {path!r} cannot be read: {err.strerror or err}") from err
    if size == 0:
        raise ValueError(f"model file {path!r} is empty")


# how the files of each backend begin: torch.save writes a zip archive (or, in its legacy
# format, a pickle, whose protocol byte is 0x80); a GAP potential is XML
_TORCH_MAGIC = (b"PK\x03\x04", b"\x80")


def _check_file_content(path, backend):
    """ValueError when the first bytes of ``path`` cannot be a ``backend`` model file.

    Reads a few bytes and, for a zip archive (torch.save), its directory and the CRC-32 of
    every record, so that an empty, truncated, corrupted or misnamed file is refused by name
    before a loader fails on it (an EOFError, a KeyError from deep inside) or, worse, loads
    it with changed weights.
    """
    with open(path, "rb") as handle:
        head = handle.read(64)
    if backend == "gap":
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not text.startswith(b"<"):
            raise ValueError(f"model file {path!r} is not XML, so not a GAP potential")
        _check_well_formed_xml(path)
    elif (backend in ("sevennet", "chgnet", "mace", "nequip", None)
          and not head.startswith(_TORCH_MAGIC)):
        raise ValueError(
            f"model file {path!r} is not a torch file (neither a torch.save zip archive nor a "
            f"pickle), so not a {backend or 'torch'} model"
        )
    elif head.startswith(_TORCH_MAGIC[0]):
        import zipfile

        # the zip directory sits at the end of the file: reading it (not the weights) shows a
        # file cut short by an interrupted copy or download
        try:
            with zipfile.ZipFile(path) as archive:
                damaged = _first_bad_record(archive)
        except zipfile.BadZipFile as err:
            raise ValueError(
                f"model file {path!r} is a damaged zip archive ({err}): truncated or corrupted"
            ) from err
        if damaged is not None:
            raise ValueError(
                f"model file {path!r} is corrupted: its record {damaged!r} does not match the "
                "checksum stored with it (a damaged copy, download or disk); torch would load "
                "the changed weights without a word"
            )


def _check_well_formed_xml(path):
    """ValueError when the XML at ``path`` is not well-formed (truncated, corrupted).

    QUIP's XML parser (FoX) does not raise on such a file: it prints "ERROR(FoX) Internal
    error!" and ends the Python process (a GAP file cut short by an interrupted copy killed the
    session that loaded it). Streamed through expat in blocks, so a large potential is not held.
    """
    from xml.parsers import expat

    parser = expat.ParserCreate()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except expat.ExpatError as err:
        raise ValueError(
            f"model file {path!r} is not well-formed XML ({expat.ErrorString(err.code)} at line "
            f"{err.lineno}, column {err.offset}): truncated or corrupted, so not a GAP potential "
            "QUIP can read (its parser would end the Python process)"
        ) from None


def _check_file_backend(path, backend):
    """ValueError when the torch archive at ``path`` is another backend's file than the
    ``backend`` asked for, before any backend unpickles it.

    A CHGNet checkpoint given with ``backend="sevennet"`` failed inside sevenn as
    ``KeyError: 'cutoff'``, and a SevenNet one with ``backend="chgnet"`` as "Unknown
    model_name": neither named the backend the file holds.
    """
    held = _archive_backend(path)
    if held is not None and held != backend:
        raise ValueError(
            f"model file {path!r} is {_FILE_KINDS[held]}, not {_FILE_KINDS[backend]} "
            f"(backend={backend!r}): pass backend={held!r}, or leave backend out and the "
            "file's content decides"
        )


def _first_bad_record(archive):
    """The name of the first record of a zip archive whose bytes fail their stored CRC-32.

    torch's reader does not check the CRC: one flipped byte in a weight loaded silently and
    changed the energies (a tiny SevenNet model: 0.256 eV for 0.282 eV). Records stored with
    a CRC of 0 are taken as unchecked (``torch.serialization.set_crc32_options(False)``
    writes no CRC). Reads the whole file, in 1 MiB pieces (a 10 MB model in ~0.03 s).
    """
    import zipfile

    for info in archive.infolist():
        if info.CRC == 0 or info.is_dir():
            continue
        try:
            with archive.open(info) as record:
                while record.read(1 << 20):
                    pass
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            return info.filename
    return None


def _check_modal(model, named, options):
    """ValueError, before the load, for a ``modal`` that the model cannot take.

    ``named`` is a registered model or anything with its ``modals`` (the fidelities of a
    checkpoint file, :func:`_sevennet_file_modals`).
    """
    modal = options.get("modal")
    if named.modals and modal is None:
        raise ValueError(
            f"{model!r} is multi-fidelity: pass modal=..., one of {list(named.modals)} "
            f"(e.g. modal={named.modals[-1]!r})"
        )
    if not named.modals and modal is not None:
        # SevenNet would only warn and evaluate its one fidelity: not the one asked for
        raise ValueError(
            f"{model!r} has one fidelity and takes no modal (got modal={modal!r}); "
            "modal= is for multi-fidelity models such as 'sevennet-mf-0'"
        )
    if named.modals and modal not in named.modals:
        spelled = modal_spelling(modal, named.modals)
        if spelled in named.modals:
            # sevenn's own names are case-sensitive; the options passed on carry its spelling
            options["modal"] = spelled
            return
        from .option_words import close_option

        close = close_option(modal, named.modals, cutoff=0.6) if isinstance(modal, str) else None
        hint = f" (did you mean {close!r}?)" if close else ""
        raise ValueError(
            f"unknown modal {modal!r} for {model!r}{hint}; choose one of {list(named.modals)}"
        )


def modal_spelling(modal, modals):
    """``modal`` as ``modals`` spell it, read as an option word (any case and spacing, ``-``,
    ``_`` and blanks alike: ``"pbe"`` is ``"PBE"``), or ``modal`` unchanged where it names
    none of them.

    The fidelities of SevenNet-MF-0 (Kim et al. 2024) are the functionals whose labels it
    was trained on, names whose case carries no meaning; sevenn compares them exactly.

    Examples
    --------
    >>> from ase_electrolyte.models import modal_spelling
    >>> modal_spelling(" r2scan ", ("PBE", "R2SCAN"))
    'R2SCAN'
    >>> modal_spelling("B3LYP", ("PBE", "R2SCAN"))
    'B3LYP'
    """
    if not isinstance(modal, str) or not modals:
        return modal
    from .option_words import choice_word

    try:
        return choice_word("modal", modal, tuple(modals))
    except ValueError:
        return modal


def _load_sevennet(source, device, dtype, options):
    import warnings

    from sevenn.calculator import SevenNetCalculator

    # a checkpoint file's fidelities were judged by _checked_model, before this build
    with warnings.catch_warnings():
        # our own error below replaces SevenNet's warning that it ignores the modal
        warnings.filterwarnings("ignore", message="modal=.* is ignored")
        calc = SevenNetCalculator(source, device=device, **options)
    if options.get("modal") is not None and calc.modal is None:
        raise ValueError(
            f"the SevenNet model {source!r} has one fidelity and takes no modal (got "
            f"modal={options['modal']!r})"
        )
    return calc, frozenset(int(z) for z in calc.type_map), False


class _Fidelities(NamedTuple):
    """The fidelities (``modal`` values) of a model file, as :class:`_Named` gives them."""

    modals: tuple


def _sevennet_file_modals(path):
    """The fidelities of a SevenNet checkpoint file (its config's modal map, in order), an
    empty tuple for a one-fidelity model, ``None`` where the file does not say (sevenn then
    judges the ``modal`` itself).

    Reads the checkpoint as sevenn's own loader does next (``weights_only=False``), without
    building the network.
    """
    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        config = checkpoint["config"]
    except Exception:  # noqa: BLE001 - sevenn's loader names whatever it cannot read
        return None
    if not isinstance(config, dict):
        return None
    modal_map = config.get("_modal_map")
    if not config.get("use_modality", False) or not modal_map:
        return ()
    return tuple(str(m) for m in modal_map)


def _load_chgnet(source, device, dtype, options):
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    if source in ("0.3.0", "0.2.0") and not os.path.lexists(source):
        model = CHGNet.load(model_name=source, use_device=device, verbose=False)
    else:
        # a checkpoint file (CHGNet.as_dict or its trainer's): CHGNet.load takes release
        # names only, and told of a file "Unknown model_name='model.pth.tar'"
        if not _is_plain_checkpoint(source):
            _warn_untrusted(source, "unpickles objects beyond plain tensors (torch "
                                    "weights_only=False)")
        model = CHGNet.from_file(source).to(device)
    calc = CHGNetCalculator(model, use_device=device, return_site_energies=True, **options)
    # CHGNet's atom embedding covers Z = 1..94; it builds its graph from a pymatgen Structure,
    # which needs a lattice
    return calc, frozenset(range(1, 95)), True


def _load_mace(source, device, dtype, options):
    from mace.calculators import MACECalculator

    # a MACE file is a whole pickled torch module: weights_only loading cannot read it
    _warn_untrusted(source, "unpickles a whole torch module (torch weights_only=False)")

    # default_dtype="" is MACE's "keep the model's own precision"; a name converts the weights
    calc = MACECalculator(model_paths=source, device=device, default_dtype=dtype or "", **options)
    return calc, frozenset(int(z) for z in calc.z_table.zs), False


def _load_nequip(source, device, dtype, options):
    import random
    import shutil
    import tempfile

    import numpy as np
    import torch
    from ase.data import chemical_symbols
    from nequip.data.transforms import ChemicalSpeciesToAtomTypeMapper
    from nequip.integrations.ase import NequIPCalculator
    from nequip.utils.dtype import torch_default_dtype

    _warn_untrusted(source, "runs the compiled code it contains (TorchScript/AOTInductor)")
    from nequip.utils.global_dtype import _GLOBAL_DTYPE

    class _NequIPFloat64Data(NequIPCalculator):
        # nequip builds positions, cell and shifts in torch's *default* dtype and expects its
        # global float64 there; under float32 a TorchScript model loses precision and an
        # AOTInductor model, which does not check input dtypes, returns wrong numbers (by up to
        # ~1 eV on a 6-atom test molecule)
        def atoms_to_data(self, atoms):
            with torch_default_dtype(_GLOBAL_DTYPE):
                return super().atoms_to_data(atoms)

    options = dict(options)
    # the model's type names are taken as chemical symbols unless the user maps them; nequip
    # itself rejects a type name that is no chemical symbol, and we add how to fix that
    options.setdefault("chemical_species_to_atom_type_map", True)

    # nequip picks its loader from the file name alone (TorchScript *.nequip.pth or AOTInductor
    # *.nequip.pt2); a file named otherwise is shown to it under the name its content calls for
    link_dir = None
    lower = source.lower()
    if not lower.endswith((".nequip.pth", ".nequip.pt2")):
        kind = _torch_archive_kind(source)
        if kind not in ("nequip-torchscript", "nequip-aotinductor"):
            raise ValueError(
                f"{source!r} is not a NequIP/Allegro compiled model (neither a TorchScript nor an "
                "AOTInductor file written by nequip-compile)"
            )
        link_dir = tempfile.mkdtemp(prefix="ase_electrolyte_nequip_")
        suffix = ".nequip.pth" if kind == "nequip-torchscript" else ".nequip.pt2"
        linked = os.path.join(link_dir, "model" + suffix)
        os.symlink(os.path.abspath(source), linked)
        source = linked
    # nequip's first load sets process-wide state (torch default dtype float64, seeds of random,
    # numpy and torch); loading a model must not change the caller's process, so it is put back
    # (numpy's legacy global generator is what nequip reseeds, hence the legacy calls)
    saved_state = (
        torch.get_default_dtype(),
        random.getstate(),
        np.random.get_state(),  # noqa: NPY002
        torch.random.get_rng_state(),
    )
    try:
        calc = _NequIPFloat64Data.from_compiled_model(source, device=device, **options)
    except ValueError as err:
        if "Invalid chemical symbol" in str(err):
            raise ValueError(
                f"{err}: the type names of this NequIP model are not chemical symbols; pass "
                "chemical_species_to_atom_type_map={'H': 'type name of H', ...}"
            ) from err
        raise
    finally:
        torch.set_default_dtype(saved_state[0])
        random.setstate(saved_state[1])
        np.random.set_state(saved_state[2])  # noqa: NPY002
        torch.random.set_rng_state(saved_state[3])
        if link_dir is not None:
            shutil.rmtree(link_dir, ignore_errors=True)

    # the elements are those the type mapper sends to a model type (the rest map to -1)
    mapper = next(t for t in calc.transforms if isinstance(t, ChemicalSpeciesToAtomTypeMapper))
    covered = (mapper.lookup_table >= 0).nonzero().reshape(-1).tolist()
    numbers = frozenset(int(z) for z in covered if 0 < z < len(chemical_symbols))
    return calc, numbers, False


def _load_gap(source, device, dtype, options):
    from quippy.potential import Potential

    # QUIP changes into the potential's folder to read it and, when the file is no GAP
    # potential (a RuntimeError), stays there: the caller's relative paths then pointed
    # elsewhere ("model file 'models/b.xml' does not exist" for a file that does)
    here = os.getcwd()
    try:
        calc = Potential(param_filename=source, **options)
    finally:
        if os.getcwd() != here:
            os.chdir(here)
    return calc, _gap_elements(source), False


def _gap_elements(path):
    """Atomic numbers a GAP XML covers, from its descriptors; ``None`` when they do not say.

    QUIP evaluates any element without complaint (an uncovered one gets its ``e0``, usually 0, and
    no descriptor term), so the set must come from the file: each ``<descriptor>`` names its
    centre and neighbour species (``Z=``, ``Z1=``, ``Z2=``, ``species_Z={...}``), and a non-zero
    ``<e0>`` marks an element that the fit saw. A descriptor without species information applies
    to every element, so then no set can be given.
    """
    import re
    import xml.etree.ElementTree as ElementTree

    root = ElementTree.parse(path).getroot()
    numbers = set()
    for e0 in root.iter("e0"):
        if float(e0.get("value", "0").replace("D", "E")) != 0.0:
            numbers.add(int(e0.get("Z")))
    descriptors = [(d.text or "") for d in root.iter("descriptor")]
    for text in descriptors:
        found = [int(z) for z in re.findall(r"\bZ[0-9]*\s*=\s*([0-9]+)", text)]
        for group in re.findall(r"\bspecies_Z\s*=\s*\{+([0-9\s]*)\}+", text):
            found.extend(int(z) for z in group.split())
        if not found:
            return None
        numbers.update(found)
    return frozenset(numbers) if descriptors else None


_LOADERS = {
    "sevennet": _load_sevennet,
    "chgnet": _load_chgnet,
    "mace": _load_mace,
    "nequip": _load_nequip,
    "gap": _load_gap,
}
