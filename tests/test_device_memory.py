"""reuse_freed_memory: large blocks come from the heap and stay there for reuse.

glibc's own accounting (``mallinfo2``) is read, not seconds: while a 64 MiB array is alive,
``hblkhd`` counts the bytes glibc mapped for it with ``mmap`` (the default for blocks above
its threshold, each one page-faulted in afresh); after the array is freed, ``fordblks`` counts
the free bytes the heap kept for the next allocation. Each case runs in its own interpreter,
because the setting is for the whole process.
"""

import json
import subprocess
import sys

_CHILD = """
import ctypes, json, sys
import numpy as np
from ase_electrolyte.device import reuse_freed_memory

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost").split()]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
if sys.argv[1] == "on":
    assert reuse_freed_memory() is True
    assert reuse_freed_memory() is True  # idempotent
a = np.ones(8 * 1024 * 1024)  # 64 MiB
alive = libc.mallinfo2()
del a
freed = libc.mallinfo2()
b = np.ones(8 * 1024 * 1024)
again = libc.mallinfo2()
print(json.dumps({"mapped_alive": alive.hblkhd, "heap_free_after": freed.fordblks,
                  "heap_alive": alive.arena, "heap_again": again.arena}))
"""


def _info(mode):
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.splitlines()[-1])


def test_large_blocks_come_from_the_heap_and_are_reused():
    mib64 = 64 * 1024 * 1024
    default = _info("off")
    reused = _info("on")
    # glibc's default: the 64 MiB block is its own mapping, returned to the system at free
    assert default["mapped_alive"] >= mib64
    assert default["heap_free_after"] < mib64
    # with the setting: from the heap, kept free after del, and the next block reuses it
    assert reused["mapped_alive"] < mib64
    assert reused["heap_free_after"] >= mib64
    assert reused["heap_again"] == reused["heap_alive"]


def test_cpu_calculator_turns_it_on():
    # on before the model is loaded (the load's allocations are those to keep on the heap):
    # the load itself is stopped, which spares loading SevenNet-0 in a fresh process
    code = (
        "from ase_electrolyte import Calculator, device\n"
        "import ase_electrolyte.calculator as calculator\n"
        "class Loaded(Exception):\n"
        "    pass\n"
        "def load_model(*args, **kwargs):\n"
        "    assert device._reuse_state['result'] is True\n"
        "    raise Loaded\n"
        "calculator.load_model = load_model\n"
        "assert 'result' not in device._reuse_state\n"
        "try:\n"
        "    Calculator('sevennet-0', device='cpu')\n"
        "except Loaded:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('the model was not loaded')\n"
        "assert device._reuse_state['result'] is True\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


def test_elsewhere_it_reports_false(monkeypatch):
    from ase_electrolyte import device

    monkeypatch.setattr(device, "_reuse_state", {})
    monkeypatch.setattr(device.platform, "libc_ver", lambda: ("", ""))
    assert device.reuse_freed_memory() is False
