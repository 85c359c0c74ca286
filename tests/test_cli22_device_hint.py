"""``--device gpu`` is told that a GPU is spelt ``cuda``, not "did you mean 'cpu'?".

The command's refusal put difflib's closest word after the accepted forms: for ``gpu`` that is
``cpu`` (ratio 0.67), the opposite of what its user asked for. The library's device parser
(:func:`ase_electrolyte.device.parse_device`) knows the fix; the refusal now says it.
"""

import pytest
from cli_inputs import water_frames

import electrolyte_cli


@pytest.mark.parametrize("device,fix", [
    ("gpu", "'cuda'"), ("GPU", "'cuda'"), ("gpu:1", "'cuda:1'"),
    ("cpu:1", "the CPU has no index other than 0"),
    ("cuda:x", "did you mean 'cuda'?"),
])
@pytest.mark.parametrize("command", [["select", "w.extxyz", "-n", "2"],
                                     ["finetune", "w.extxyz", "--epochs", "1"]])
def test_device_refusal_names_the_fix(tmp_path, monkeypatch, capsys, command, device, fix):
    monkeypatch.chdir(tmp_path)
    water_frames(tmp_path / "w.extxyz")
    assert electrolyte_cli.main([*command, "--device", device]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert f"--device {device!r}: use auto, cpu, cuda or cuda:N" in err[0]
    assert fix in err[0] and "did you mean 'cpu'" not in err[0], err[0]
