"""A message that opens with an English word that is also a keyword keeps its phrase.

``electrolyte finetune`` now runs the library inside ``options_named``, which writes each
keyword as the option the user typed; a run's own ``RuntimeError("out of memory")`` came out as
"-o/--output of memory". A leading keyword without an underscore followed by "of" is a phrase,
not an option; a keyword that opens a check's message is still replaced. (The command itself:
``test_cli_arguments::test_a_failed_finetune_leaves_no_folder_it_made``.)
"""

import pytest

from electrolyte_cli.arguments import _option_in_front

FLAGS = {"out": "-o/--output", "seed": "--seed", "steps": "--steps", "dt": "--dt",
         "temperature_K": "--temperature"}


@pytest.mark.parametrize("text", ["out of memory", "out of disk space on /tmp",
                                  "steps of the integrator diverged", "seed of the worker lost"])
def test_a_phrase_opening_with_a_keyword_word_is_left_as_it_is(text):
    assert _option_in_front(text, FLAGS) is None


@pytest.mark.parametrize("text, said", [
    ("out must be a folder", "-o/--output must be a folder"),
    ("seed must be a whole number >= 0", "--seed must be a whole number >= 0"),
    ("temperature_K of 25 K is far from a liquid's",
     "--temperature of 25 K is far from a liquid's"),
    ("steps = 0 given", "--steps 0 given"),
])
def test_a_keyword_opening_a_check_is_named_as_its_option(text, said):
    assert _option_in_front(text, FLAGS) == said
