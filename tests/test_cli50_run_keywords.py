"""The keywords of an analysis' ``run()`` quoted in a refusal are marked "(Python only)" in the
terminal of ``electrolyte analyze`` / ``demo``, as its constructor's are.

Before: the keywords were collected from the analysis modules' functions and constructors only,
so a refusal of ``electrolyte analyze frames.gro`` (one frame) read "the frame selection
(start=None (Python only), stop=None, step=None (Python only), frames=None (Python only))":
``stop``, a keyword of ``run()`` alone, was left unmarked between its marked neighbours (start,
step and frames are keywords of some constructor too), and so were ``n_parts``, ``n_workers``
and ``backend``.
"""

import inspect

import pytest

from electrolyte_cli import arguments
from electrolyte_cli.arguments import ANALYSIS_COMMANDS, PYTHON_ONLY, python_only

#: The message of mda_electrolyte.analysis_base for a frame selection of too few frames.
_SELECTION = ("IonCollector: too few frames: the frame selection (start=None, stop=None, "
              "step=None, frames=None) gives 1 of the trajectory's 1 frames; it needs at least "
              "2 frames")


def _run_keywords():
    """Every keyword of the ``run()`` of a public class of the analysis modules."""
    import importlib

    names = set()
    for short in arguments._ANALYSIS_MODULES:
        module = importlib.import_module(f"mda_electrolyte.{short}")
        for name, obj in vars(module).items():
            if (name.startswith("_") or not inspect.isclass(obj)
                    or obj.__module__ != module.__name__
                    or not inspect.isfunction(getattr(obj, "run", None))):
                continue
            names.update(p.name for p in inspect.signature(obj.run).parameters.values()
                         if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                         and p.name != "self")
    return sorted(names)


@pytest.mark.parametrize("command", sorted(ANALYSIS_COMMANDS))
def test_every_keyword_of_a_frame_selection_is_marked(command):
    text, found = python_only(_SELECTION, ANALYSIS_COMMANDS[command])
    assert found
    for keyword in ("start", "stop", "step", "frames"):
        assert f"{keyword}=None {PYTHON_ONLY}" in text, text
    assert text.count(PYTHON_ONLY) == 4, text


@pytest.mark.parametrize("keyword", _run_keywords())
def test_each_run_keyword_quoted_with_a_value_is_marked(keyword):
    text, found = python_only(f"the analysis refused {keyword}=3; give another",
                              ANALYSIS_COMMANDS["analyze"])
    assert found and text == f"the analysis refused {keyword}=3 {PYTHON_ONLY}; give another"


@pytest.mark.parametrize("keyword", ["n_parts", "n_workers", "progressbar_kwargs"])
def test_a_run_keyword_named_alone_is_marked(keyword):
    text, found = python_only(f"use fewer {keyword} or a longer run", {})
    assert found and text == f"use fewer {keyword} {PYTHON_ONLY} or a longer run"


def test_plain_words_and_options_stay_unmarked():
    """``stop`` without ``=`` is an English word; ``--dt`` is the command's own option."""
    for text in ("the run did not stop at frame 3", "--dt 0.01 between frames",
                 "a backend of MDAnalysis", "it will stop = after"):
        assert python_only(text, ANALYSIS_COMMANDS["analyze"]) == (text, False)
