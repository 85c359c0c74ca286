"""Option words: one reading of a word option in any case and spacing, and of a near miss.

A word option (``method="ewald"``, ``ensemble="NPT"``, ``convention="ssip"``) names one of a
few choices. It is read in any case and spacing, with ``-``, ``_`` and spaces alike, as ASE
reads its own calculator keywords, so that a stored setting and its rerun see one spelling, and
a misspelt word is refused with the choice it looks like (``"dispresion"`` → did you mean
``"dispersion"``?).
"""

from __future__ import annotations

import re

__all__ = ["choice_word", "close_option"]


def close_option(key, names, cutoff=0.8):
    """The one of ``names`` that ``key`` looks like a misspelling of (another case, a swapped
    or missing letter: ``"Dispersion"``, ``"dispresion"``), or ``None``; ``cutoff`` is
    difflib's similarity ratio (a lower one for names of three letters, where one wrong letter
    leaves 0.67)."""
    import difflib

    lower = {str(name).lower(): name for name in names}
    found = difflib.get_close_matches(str(key).lower(), list(lower), n=1, cutoff=cutoff)
    return lower[found[0]] if found else None


def _compact(word):
    return re.sub(r"[\s_\-]+", "", word).lower()


def choice_word(what, value, choices):
    """``value`` as the one of ``choices`` it names in any case, spacing and separators
    (``"NPT"``, ``" Ewald "``, ``"Green Kubo"`` for ``"green-kubo"``), or ValueError naming the
    choices and a near one; ``None`` where ``None`` is a choice. Option words carry no case:
    one reading for run_md's ensemble and Electrostatics' words, so that a stored setting and
    its rerun see one spelling.

    Examples
    --------
    >>> from ase_electrolyte.option_words import choice_word
    >>> choice_word("method", " EWALD ", ("ewald", "pme"))
    'ewald'
    >>> choice_word("components", "off-diagonal", ("offdiagonal", "all"))
    'offdiagonal'
    """
    if isinstance(value, str) and " ".join(value.split()).lower() in choices:
        return " ".join(value.split()).lower()
    if value is None and None in choices:
        return None
    if isinstance(value, str):
        # "off-diagonal", "Green Kubo" and "anion_count" name "offdiagonal", "green-kubo"
        # and "anion count": separators are spelling, not meaning; a word two choices share
        # that way is left to the error below rather than guessed.
        same = [c for c in choices if isinstance(c, str) and _compact(c) == _compact(value)]
        if len(same) == 1:
            return same[0]
    words = [c for c in choices if isinstance(c, str)]
    close = close_option(value, words, cutoff=0.6) if isinstance(value, str) else None
    hint = f" (did you mean {close!r}?)" if close else ""
    raise ValueError(f"{what} must be one of {choices}, not {value!r}{hint}")
