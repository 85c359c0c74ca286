"""matplotlib's log messages during a command (its font cache being built, a font not found) are
lines of the command's format, not bare lines among its output.

With a fresh font cache folder, "Matplotlib is building the font cache; this may take a
moment." was printed bare by Python's last-resort log handler at the first figure, after the
analyses had run (measured: ``electrolyte analyze ... --only intra_inter_rdf`` with an empty
``MPLCONFIGDIR`` printed exactly that line). Each case runs in a fresh interpreter (matplotlib
reads its folders and builds its cache once per process); matplotlib says the font cache line
only after 5 s of building, so the timer is shortened to 0 s here, as a slow disk would make it.
"""

import os
import subprocess
import sys

#: A command whose run draws as the analyses do (``matplotlib.pyplot`` with a fresh font cache),
#: with matplotlib's 5 s font cache timer at 0 s, then logs a matplotlib warning of its own.
SCRIPT = """
import logging, sys, threading
Timer = threading.Timer
class Now(Timer):
    def __init__(self, interval, *args, **kwargs):
        super().__init__(0 if interval == 5 else interval, *args, **kwargs)
threading.Timer = Now
import electrolyte_cli
def run(args):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    fig.savefig("figure.png")
    logging.getLogger("matplotlib.font_manager").warning(
        "findfont: Font family 'Nope' not found.\\nFalling back to DejaVu Sans.")
    print("RESULT")
electrolyte_cli.analyze.run = run
sys.exit(electrolyte_cli.main(["analyze", "traj.h5md"]))
"""


def _run(tmp_path, cache):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MPLCONFIGDIR", "XDG_CACHE_HOME", "ELECTROLYTE_DEBUG")}
    env.update(MPLBACKEND="Agg", MPLCONFIGDIR=str(cache), PYTHONWARNINGS="error")
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=600, cwd=tmp_path)


def test_the_font_cache_message_is_one_line_of_the_command_naming_the_folder(tmp_path):
    cache = tmp_path / "mpl cache"
    proc = _run(tmp_path, cache)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["RESULT"]
    lines = proc.stderr.splitlines()
    # PYTHONWARNINGS=error: a note printed from matplotlib's timer thread, not a warning
    # that would end there as a traceback
    assert lines[0] == (f"electrolyte analyze: note: matplotlib is building its font cache in "
                        f"{cache} (once per cache folder; this may take a minute)")
    assert lines[1:] == ["electrolyte analyze: warning: matplotlib: findfont: Font family "
                         "'Nope' not found. Falling back to DejaVu Sans."]
    assert not any(line.startswith("Matplotlib is building") for line in lines)
    assert (tmp_path / "figure.png").stat().st_size > 0
    # the cache is built: a second run says nothing of it
    again = _run(tmp_path, cache)
    assert again.returncode == 0
    assert [line for line in again.stderr.splitlines() if "font cache" in line] == []
