"""A stopped fine-tune says where it stopped: the member, its last complete epoch, the file kept.

Before, ``electrolyte finetune`` stopped by Ctrl-C or SIGTERM said only "interrupted; run the
same command again to resume", and the library's note named the newest checkpoint's epoch
(which the next call may not resume from) but no file. The line is now built from the
library's note, which reads the member folders as the next call reads them.
"""

import re
import signal

import pytest
from tiny_models import TINY, emt_copper

pytest.importorskip("sevenn")

from ase_electrolyte.finetuning import finetune  # noqa: E402


class _StopAtStep:
    """Adam.step that sends this process SIGINT at the ``at``-th step of the run."""

    def __init__(self, step, at):
        self.step, self.at, self.calls = step, at, 0

    def __call__(self, optimizer, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            signal.raise_signal(signal.SIGINT)
        return self.step(optimizer, *args, **kwargs)


def test_a_member_stopped_after_complete_epochs_names_its_checkpoint_and_resumes_there(
        tmp_path, monkeypatch, capsys):
    import torch

    from electrolyte_cli import _again

    out = tmp_path / "ft"
    # 2 frames in one batch: one step per epoch; step 3 is epoch 3, after epochs 1 and 2
    options = dict(epochs=4, lr=0.01, batch_size=2, seed=1, ensemble=1, device="cpu",
                   plot=False)
    frames = emt_copper(2)
    stop = _StopAtStep(torch.optim.Adam.step, at=3)
    with monkeypatch.context() as patch:
        patch.setattr(torch.optim.Adam, "step", lambda self, *a, **k: stop(self, *a, **k))
        with pytest.raises(KeyboardInterrupt) as caught:
            finetune(TINY, frames, out=out, **options)
    note = " ".join(caught.value.__notes__)
    named = re.search(r"last complete epoch is (\d+) of 4, kept in (\S+\.pth)", note)
    assert named, note
    epoch, kept = int(named.group(1)), named.group(2)
    # the file named is there, and is the one the next call resumes from
    assert kept == str(out / "member_0" / f"checkpoint_{epoch}.pth")
    assert (out / "member_0" / f"checkpoint_{epoch}.pth").is_file()
    assert f"continues at epoch {epoch + 1}" in note and 1 <= epoch <= 2
    # the command's line: the same facts, the command's own advice, not the Python caller's
    line = _again("finetune", caught.value, [str(out)])
    assert line.startswith("in member 0 of 1; no member finished; member 0 has no model yet: "
                           f"its last complete epoch is {epoch} of 4, kept in {kept}")
    assert line.endswith("; run the same command again to resume")
    assert "the same call" not in line
    res = finetune(TINY, frames, out=out, **options)
    assert any(f"member 0 resumed from its epoch {epoch} checkpoint" in n for n in res.notes)
    assert len(res.learning_curves[0]) == 5  # epoch 0 (initial weights) and 1-4


def test_a_member_stopped_in_its_first_epoch_is_said_to_start_over(tmp_path, monkeypatch):
    import torch

    out = tmp_path / "ft"
    stop = _StopAtStep(torch.optim.Adam.step, at=1)
    with monkeypatch.context() as patch:
        patch.setattr(torch.optim.Adam, "step", lambda self, *a, **k: stop(self, *a, **k))
        with pytest.raises(KeyboardInterrupt) as caught:
            finetune(TINY, emt_copper(2), out=out, epochs=2, lr=0.01, batch_size=2,
                     device="cpu", plot=False)
    note = " ".join(caught.value.__notes__)
    assert "interrupted in member 0 of 1; no member finished" in note
    assert "no complete epoch of 2 yet (no epoch checkpoint): it is trained from its start" in note
    assert not list((out / "member_0").glob("checkpoint_[1-9]*.pth"))


def test_notes_of_other_libraries_are_not_read_as_where_it_stopped():
    from electrolyte_cli import _again

    err = KeyboardInterrupt()
    err.add_note("sevenn: interrupted; the same call resumes")
    assert _again("finetune", err) == "run the same command again to resume"
