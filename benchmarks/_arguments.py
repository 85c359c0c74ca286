"""Argument types of the benchmark scripts: a bad number is argparse's one-line error (exit
status 2) before any work, through the package's one number check
(:func:`ase_electrolyte.atoms_checks.check_number`), not a traceback after the first timings
(``--rounds 0`` ended in ``min() arg is an empty sequence``)."""

import argparse

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.option_words import choice_word


def number(name, **bounds):
    """An argparse ``type`` reading a number that :func:`check_number` accepts with ``bounds``
    (``minimum``, ``above``, ``maximum``, ``integer``)."""

    def read(text):
        try:
            # "0" shown as 0, not 0.0, in the message
            value = int(text) if text.strip().lstrip("+-").isdigit() else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, not {text!r}") from None
        try:
            return check_number(name, value, **bounds)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return read


def word(name, choices):
    """An argparse ``type`` reading one of ``choices`` in any case and spacing
    (:func:`ase_electrolyte.option_words.choice_word`, a near miss named)."""

    def read(text):
        try:
            return choice_word(name, text, tuple(choices))
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return read


def device(name):
    """An argparse ``type`` reading a device (``auto``, ``cpu``, ``cuda``, ``cuda:N``) through
    the package's one device check (:func:`ase_electrolyte.device.parse_device`), before any
    model is loaded."""
    from ase_electrolyte.device import parse_device

    def read(text):
        try:
            parse_device(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"{name}: {err}") from None
        return text.strip()

    return read
