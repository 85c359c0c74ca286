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

import re
from dataclasses import dataclass

__all__ = ["Device", "parse_device", "resolve_device"]

_PATTERN = re.compile(r"(cpu|cuda)(?::(\d+))?")


@dataclass(frozen=True)
class Device:
    """A compute device: ``kind`` is ``"cpu"`` or ``"cuda"``, ``index`` the GPU number."""

    kind: str
    index: int = 0

    def __post_init__(self):
        if self.kind not in ("cpu", "cuda"):
            raise ValueError(f"device kind must be 'cpu' or 'cuda', not {self.kind!r}")
        if int(self.index) != self.index or self.index < 0:
            raise ValueError(f"device index must be an integer >= 0, not {self.index!r}")
        if self.kind == "cpu" and self.index != 0:
            raise ValueError("the CPU device has no index")

    @property
    def is_cuda(self):
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
        ``"auto"``, ``"cpu"``, ``"cuda"`` (= ``"cuda:0"``), ``"cuda:N"``.
    allow_auto : bool
        Whether ``"auto"`` is accepted (returned as the string ``"auto"``).

    Raises
    ------
    ValueError
        Anything else, naming the value and the accepted forms.
    """
    if isinstance(device, Device):
        return device
    if type(device).__name__ == "device" and type(device).__module__ == "torch":
        return Device(device.type, device.index or 0) if device.type == "cuda" else Device("cpu")
    text = str(device).strip().lower() if isinstance(device, str) else None
    if text == "auto" and allow_auto:
        return "auto"
    m = _PATTERN.fullmatch(text or "")
    if m is None or (m.group(1) == "cpu" and m.group(2) is not None):
        accepted = "'cpu', 'cuda' or 'cuda:N'"
        if allow_auto:
            accepted = "'auto', " + accepted
        raise ValueError(f"device must be {accepted}, not {device!r}")
    return Device(m.group(1), int(m.group(2) or 0))


def resolve_device(device):
    """Parse ``device`` and settle ``"auto"`` with torch: GPU 0 when torch sees one, else CPU.

    A CUDA device torch cannot see (no GPU, or index out of range) raises ``ValueError``.

    Returns
    -------
    Device
    """
    dev = parse_device(device)
    import torch

    if dev == "auto":
        return Device("cuda", 0) if torch.cuda.is_available() else Device("cpu")
    if dev.is_cuda:
        if not torch.cuda.is_available():
            raise ValueError(f"device={str(dev)!r} was asked for but torch sees no CUDA GPU")
        if dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={str(dev)!r}: torch sees {torch.cuda.device_count()} CUDA device(s)"
            )
    return dev
