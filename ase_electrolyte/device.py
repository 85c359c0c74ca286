"""One device vocabulary for the model loader, D3, electrostatics and the MD loop.

A :class:`Device` is a kind (``"cpu"`` or ``"cuda"``) and an index. :func:`parse_device`
accepts what users write — ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, a
:class:`torch.device` or a :class:`Device` — and is the only place these strings are parsed.
Whether a CUDA device can actually be *used* is a separate question each backend answers
(torch for the models, the D3 extension for its kernel), so parsing never imports torch or
compiles anything.

Examples
--------
>>> from ase_electrolyte.device import parse_device
>>> parse_device("cuda:1")
Device(kind='cuda', index=1)
>>> str(parse_device("cpu"))
'cpu'
"""

from __future__ import annotations

import ctypes
import numbers
import platform
import re
from dataclasses import dataclass

from .atoms_checks import check_flag
from .option_words import close_option

__all__ = ["Device", "device_spelling", "parse_device", "resolve_device", "reuse_freed_memory"]

# ASCII digits only: ``\d`` also matches other scripts' digits ("cuda:١"), which no backend reads
_PATTERN = re.compile(r"(cpu|cuda)(?::(\d+))?", re.ASCII)

# The largest GPU index: torch keeps a device index in 8 signed bits, so torch.device("cuda:128")
# is cuda:-128 and "cuda:1000" cuda:-24 (torch 2.x, measured) - another device than asked for -
# and an index of 10^21 was accepted here and refused only at the GPU check, after the parse
# the command line runs before loading anything was meant to catch it.
_MAX_DEVICE_INDEX = 127


@dataclass(frozen=True)
class Device:
    """A compute device: ``kind`` is ``"cpu"`` or ``"cuda"``, ``index`` the GPU number
    (0 to 127, the largest torch keeps).

    Raises
    ------
    ValueError
        Another kind, an index that is not an integer in [0, 127], or a CPU index other than 0.
    """

    kind: str
    index: int = 0

    def __post_init__(self):
        if self.kind not in ("cpu", "cuda"):
            raise ValueError(f"device kind must be 'cpu' or 'cuda', not {self.kind!r}")
        # a bool or a float would print as "cuda:True" or "cuda:1.0", which no backend reads
        if isinstance(self.index, bool) or not isinstance(self.index, numbers.Integral) \
                or self.index < 0:
            raise ValueError(f"device index must be an integer >= 0, not {self.index!r}")
        if self.index > _MAX_DEVICE_INDEX:
            raise ValueError(
                f"device index must be at most {_MAX_DEVICE_INDEX} (torch keeps a GPU index in 8 "
                f"signed bits and would wrap a larger one onto another device), not {self.index!r}")
        object.__setattr__(self, "index", int(self.index))
        if self.kind == "cpu" and self.index != 0:
            raise ValueError("the CPU device has no index")

    @property
    def is_cuda(self):
        """Whether the device is a CUDA GPU (``kind == "cuda"``)."""
        return self.kind == "cuda"

    def __str__(self):
        return "cpu" if self.kind == "cpu" else f"cuda:{self.index}"

    def torch(self):
        """The matching :class:`torch.device`."""
        import torch

        return torch.device(str(self))


def parse_device(device, *, allow_auto=True):
    """Parse a device spec into a :class:`Device`, or ``"auto"`` (kept for the backend to decide).

    Parameters
    ----------
    device : str, torch.device or Device
        ``"auto"``, ``"cpu"`` (also torch's ``"cpu:0"``), ``"cuda"`` (= ``"cuda:0"``),
        ``"cuda:N"``, in any case and with blanks around the word and the colon
        (``" CUDA : 1 "``).
    allow_auto : bool
        Whether ``"auto"`` is accepted (returned as the string ``"auto"``).

    Raises
    ------
    ValueError
        Anything else, naming the value and the accepted forms (``"gpu"`` is told its
        spelling ``"cuda"``, a near miss such as ``"cpuu"`` or ``"cdua:1"`` the word meant).

    Notes
    -----
    This is the torch-free check of a device's spelling, for checks that must run before
    heavy imports (the command line's); whether torch sees the GPU is
    :func:`resolve_device`'s question.
    """
    check_flag("allow_auto", allow_auto)
    if isinstance(device, Device):
        return device
    if type(device).__name__ == "device" and type(device).__module__ == "torch":
        # a torch device of another kind (mps, meta, xpu) is not the CPU: taking it for one
        # would run the model somewhere the user did not ask for
        if device.type not in ("cpu", "cuda"):
            raise ValueError(
                f"device must be a CPU or CUDA device, not torch.device({str(device)!r})"
            )
        return Device(device.type, device.index or 0) if device.type == "cuda" else Device("cpu")
    # blanks around the colon ("cuda : 1", a value pasted from a table) as around any option
    # word; torch's own parser refuses them, so the Device's str is what the backends read
    text = re.sub(r"\s*:\s*", ":", device.strip()).lower() if isinstance(device, str) else None
    if text == "auto" and allow_auto:
        return "auto"
    m = _PATTERN.fullmatch(text or "")
    # torch's "cpu:0" names the one CPU device; another index names nothing
    if m is None or (m.group(1) == "cpu" and m.group(2) is not None and m.group(2).strip("0")):
        accepted = "'cpu', 'cuda' or 'cuda:N'"
        if allow_auto:
            accepted = "'auto', " + accepted
        hint = ""
        if text is not None and re.fullmatch(r"gpu(:\d+)?", text, re.ASCII):
            hint = f"; a GPU is spelt {'cuda' + text[3:]!r} (NVIDIA, through torch)"
        elif m is not None:
            hint = "; the CPU has no index other than 0"
        elif text == "auto":
            hint = "; 'auto' is not accepted here: name the device"
        elif text:
            # a misspelt kind ("cpuu", "cdua:1", "atuo") is named as every option word's is
            kind, colon, index = text.partition(":")
            words = ["cpu", "cuda"] + (["auto"] if allow_auto and not colon else [])
            close = close_option(kind, words, cutoff=0.7)
            meant = _PATTERN.fullmatch(f"{close}{colon}{index}") if close else None
            if close == "auto" or (meant and (meant.group(1) == "cuda" or index in ("", "0"))):
                hint = f" (did you mean {close + colon + index!r}?)"
        raise ValueError(f"device must be {accepted}, not {device!r}{hint}")
    digits = (m.group(2) or "0").lstrip("0") or "0"
    if len(digits) > len(str(_MAX_DEVICE_INDEX)):
        # read as a number, 5000 digits end in Python's own "Exceeds the limit (4300 digits)"
        raise ValueError(
            f"device index must be at most {_MAX_DEVICE_INDEX} (torch keeps a GPU index in 8 "
            f"signed bits), not a {len(digits)}-digit number in {device!r}")
    return Device(m.group(1), int(digits) if m.group(1) == "cuda" else 0)


def device_spelling(device):
    """``device`` as :func:`parse_device` reads it, in one spelling: ``"auto"``, ``"cpu"``,
    ``"cuda"`` or ``"cuda:N"`` (torch-free, like the parser).

    ``"CPU"``, torch's ``"cpu:0"`` and ``" Cpu "`` are ``"cpu"``; ``"CUDA:01"`` is
    ``"cuda:1"``. A bare ``"cuda"`` stays bare: a screening plan gives each worker its own GPU
    for it, where ``"cuda:0"`` puts every task on GPU 0.

    Raises
    ------
    ValueError
        What :func:`parse_device` refuses, with its hint.

    Examples
    --------
    >>> from ase_electrolyte.device import device_spelling
    >>> device_spelling(" CPU:0 "), device_spelling("Cuda"), device_spelling("cuda:01")
    ('cpu', 'cuda', 'cuda:1')
    """
    parsed = parse_device(device)
    if parsed == "auto":
        return "auto"
    bare = isinstance(device, str) and ":" not in device
    return "cuda" if parsed.is_cuda and bare else str(parsed)


def resolve_device(device):
    """Parse ``device`` and settle ``"auto"`` with torch: GPU 0 when torch sees one, else CPU.

    A CUDA device torch cannot see (no GPU, or index out of range) raises ``ValueError``.
    The CPU is returned without importing torch (a second or more of start-up).

    Returns
    -------
    Device
    """
    dev = parse_device(device)
    if dev == Device("cpu"):
        return dev  # needs no torch: the spelling alone settles it
    import torch

    if dev == "auto":
        return Device("cuda", 0) if torch.cuda.is_available() else Device("cpu")
    if dev.is_cuda:
        if not torch.cuda.is_available():
            # the fix named too: a job script written for a GPU node and run on a CPU one
            raise ValueError(f"device={str(dev)!r} was asked for but torch sees no CUDA GPU; "
                             "use 'cpu', or 'auto' (a GPU where torch sees one, else the CPU)")
        count = torch.cuda.device_count()
        if dev.index >= count:
            raise ValueError(
                f"device={str(dev)!r}: torch sees {count} CUDA device(s), so use an index "
                f"from 0 to {count - 1} (CUDA_VISIBLE_DEVICES numbers the visible ones from 0)"
            )
    return dev


# glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_REUSE_LIMIT = 1 << 30  # bytes
_reuse_state = {}


def reuse_freed_memory():
    """Let glibc's ``malloc`` keep freed memory for reuse: CPU model evaluation stops faulting.

    A force call of a message-passing model on the CPU allocates and frees tensors of tens of
    MB (per-edge features and their gradients) hundreds of times. glibc serves blocks above its
    mmap threshold with a fresh ``mmap`` and returns them at ``free``, and gives back the top
    of the heap above its trim threshold: every such tensor then costs the kernel a page fault
    and a zeroing per 4 kB page. Measured on 2 cores with SevenNet-0 on a 103-atom LiPF6/EC/EMC
    box: 1.06 s per force call, 0.39 s of it system time; after this call 0.73 s, system time
    0.01 s (1.45x faster). The same holds inside dask workers, whose nanny sets
    ``MALLOC_TRIM_THRESHOLD_`` and makes it worse (2.3x).

    This sets ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` to 1 GiB with ``mallopt(3)``, for
    the whole process: blocks up to 1 GiB come from the heap and freed memory stays there (up
    to 1 GiB beyond what is in use) for the next allocation instead of going back to the
    system. The process's resident memory therefore stays near its peak rather than falling
    between force calls; nothing else changes. :class:`ase_electrolyte.Calculator` calls it when
    it loads a model on the CPU. It does nothing where the C library is not glibc (macOS,
    Windows, musl). PyTorch's CPU performance guide gives the same advice in the form of
    replacing the allocator (jemalloc, tcmalloc).

    Returns
    -------
    bool
        Whether the settings are in force (``False`` where the C library is not glibc or
        ``mallopt`` refused).

    Examples
    --------
    >>> from ase_electrolyte.device import reuse_freed_memory
    >>> reuse_freed_memory() in (True, False)
    True
    """
    if "result" in _reuse_state:
        return _reuse_state["result"]
    ok = False
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):
            mallopt = None
        if mallopt is not None:
            mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            mallopt.restype = ctypes.c_int
            ok = bool(mallopt(_M_MMAP_THRESHOLD, _REUSE_LIMIT)) and bool(
                mallopt(_M_TRIM_THRESHOLD, _REUSE_LIMIT)
            )
    _reuse_state["result"] = ok
    return ok
