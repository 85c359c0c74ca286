"""A ``--device`` torch cannot give is refused naming the option once, with the device as
typed.

Before: ``electrolyte demo --device cuda`` on a machine without a GPU said "--device cuda:
--device 'cuda:0' was asked for but torch sees no CUDA GPU": the option twice, the second time
with the library's reading of the word. Now "--device cuda was asked for but torch sees no
CUDA GPU; use 'cpu', ...", and of a GPU index beyond those torch sees, "--device cuda:3: torch
sees 1 CUDA device(s), ...".
"""

import pytest

from electrolyte_cli import arguments as A

_NO_GPU = ("was asked for but torch sees no CUDA GPU; use 'cpu', or 'auto' (a GPU where torch "
           "sees one, else the CPU)")


@pytest.fixture
def gpus(monkeypatch):
    """Set how many CUDA devices torch sees."""
    import torch

    def see(n):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)

    return see


@pytest.mark.parametrize("typed", ["cuda", "CUDA", "cuda:0", "cuda:2", " Cuda:1 "])
def test_no_gpu_names_the_option_once(typed, gpus):
    gpus(0)
    with pytest.raises(ValueError) as refused:
        A.check_device(typed)
    shown = A.device_word(typed)
    assert str(refused.value) == f"--device {shown} {_NO_GPU}"
    assert str(refused.value).count("--device") == 1


@pytest.mark.parametrize("typed, count", [("cuda:3", 1), ("cuda:2", 2), ("cuda:9", 4)])
def test_an_index_beyond_the_gpus_names_the_option_once(typed, count, gpus):
    gpus(count)
    with pytest.raises(ValueError) as refused:
        A.check_device(typed)
    assert str(refused.value).startswith(f"--device {typed}: torch sees {count} CUDA "
                                         f"device(s), so use an index from 0 to {count - 1}")
    assert str(refused.value).count("--device") == 1


@pytest.mark.parametrize("typed", ["cuda", "cuda:0", "cuda:1", "auto", "cpu"])
def test_a_device_torch_sees_passes(typed, gpus):
    gpus(2)
    assert A.check_device(typed) is None


@pytest.mark.parametrize("command", [["demo"], ["simulate", "--model", "sevennet-0",
                                                "--solvent", "EC", "-o", "run"]])
def test_the_command_says_it_in_one_line(command, gpus, capsys, tmp_path, monkeypatch):
    from electrolyte_cli import main

    gpus(0)
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert err == f"electrolyte {command[0]}: error: --device cuda {_NO_GPU}\n", err
