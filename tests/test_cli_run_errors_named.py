"""An error of the protocol's run names the command's options, and its warnings come as issued.

``electrolyte simulate`` checked its arguments under the options' names (``--relax-fmax``),
but the run itself was outside that renaming: an exploding pre-equilibration advised "a smaller
relax_fmax", a keyword the user of the command never typed. The run's errors are renamed now
(an :class:`~ase_electrolyte.md.MDInstabilityError` keeps its type); its warnings are shown
when issued, not held until a run of hours has ended.
"""

import warnings

import pytest

from ase_electrolyte.md import MDInstabilityError
from electrolyte_cli import arguments as A
from electrolyte_cli.simulate import PROTOCOL_FLAGS


def test_an_instability_of_the_run_names_the_option_and_keeps_its_type():
    with pytest.raises(MDInstabilityError, match="a smaller --relax-fmax relaxes the start"):
        with A.options_named(PROTOCOL_FLAGS, warnings_too=False):
            raise MDInstabilityError("run_protocol's preequilibration stage, step 1: an atom "
                                     "moved 0.9 Å; a smaller relax_fmax relaxes the start")


def test_an_error_naming_no_option_is_unchanged():
    err = RuntimeError("the model failed")
    with pytest.raises(RuntimeError) as raised:
        with A.options_named(PROTOCOL_FLAGS, warnings_too=False):
            raise err
    assert raised.value is err and str(err) == "the model failed"


def test_the_runs_warnings_come_when_issued():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with A.options_named(PROTOCOL_FLAGS, warnings_too=False):
            warnings.warn("the stress could not be checked", UserWarning)
            assert [str(w.message) for w in seen] == ["the stress could not be checked"]
    # the argument checks' renaming holds its warnings to rename them, as before
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with A.options_named(PROTOCOL_FLAGS):
            warnings.warn("temperature_K = 25.0 K is far from a liquid's", UserWarning)
            assert seen == []
    assert str(seen[0].message).startswith("--temperature 25.0 K")
