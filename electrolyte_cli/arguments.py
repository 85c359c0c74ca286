"""Argument checks shared by the ``electrolyte`` subcommands: one-line errors before any work."""

from __future__ import annotations

import argparse
import ast
import contextlib
import re
from pathlib import Path

# one reader of the thread variables, shared with the model loading (imported for the CLI)
from ase_electrolyte.environment import check_thread_variables  # noqa: F401

__all__ = []


#: The number an item without one stands for, by mapping: a solvent named alone is all of the
#: solvent (``--solvent EC``, as ``electrolyte_box("EC", ...)`` and a plan's ``solvent = "EC"``
#: read it); a count (``--counts``) has none.
_ITEM_DEFAULTS = {"solvent": 1.0}


def parse_mapping(text, what):
    """``"EC:3,EMC:7"`` → ``{"EC": 3.0, "EMC": 7.0}``; ``"EC"`` → ``{"EC": 1.0}`` for a
    solvent.

    Through :func:`ase_electrolyte.species.parse_shares`, the one reader of this notation.
    """
    from ase_electrolyte.species import parse_shares

    try:
        return parse_shares(text, what, default=_ITEM_DEFAULTS.get(what.lstrip("-")))
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def composition_word(kind):
    """An argparse ``type`` for ``--units``/``--ratio``: the words the Python API and plans accept.

    Through :func:`ase_electrolyte.build.composition_word`, the one reader of these words
    (``mol/kg``, ``mol/L``, ``weight``, ...), so the command accepts what ``electrolyte_box``
    and a screening plan accept.
    """

    def read(text):
        from ase_electrolyte import build

        try:
            return build.composition_word(text, kind)
        except ValueError as err:
            said = str(err)
            if not said.endswith(")"):  # no reason given (an ambiguous word has its own)
                said += did_you_mean(text, {"units": build.UNIT_SPELLINGS,
                                            "ratio": build.RATIO_SPELLINGS}[kind])
            raise argparse.ArgumentTypeError(said) from None

    read.__name__ = f"--{kind}"
    return read


def did_you_mean(word, known):
    """`` (did you mean 'x'?)`` naming the word of ``known`` closest to ``word``, or ``""``.

    Compared case-insensitively (difflib's ratio, cutoff 0.6, as
    :func:`ase_electrolyte.species.get_species` suggests species names), by the library's
    one reader of near names (:func:`~ase_electrolyte.option_words.close_option`).
    """
    from ase_electrolyte.option_words import close_option

    if not isinstance(word, str) or not word.strip():
        return ""
    found = close_option(" ".join(word.split()), [str(k) for k in known], cutoff=0.6)
    return f" (did you mean {found!r}?)" if found else ""


def unknown_choice(flag, value, known, accepted=None, hint=None):
    """The one refusal of a value that is none of an option's words: the value, what is
    accepted, and the closest word.

    ``accepted``: how the accepted values read, where they are more than ``known`` (``cuda:N``).
    ``hint``: the library's own advice on the value, said instead of the closest word.
    """
    words = list(accepted or known)
    listed = ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]
    advice = f"; {hint}" if hint else did_you_mean(value, known)
    return ValueError(f"{flag} {value!r}: use {listed}{advice}")


def choice(flag, known):
    """An argparse ``type`` for an option whose values are fixed words: the one rule of them.

    The words (``npt``, ``metal``, ``fps``) are names, whose case carries no meaning: ``NPT``
    is ``npt``, as ``D3-BJ`` is ``d3-bj`` for ``--dispersion`` and ``SevenNet-0`` is
    ``sevennet-0`` for ``--model``. argparse's ``choices`` refused ``--ensemble NPT`` while
    ``--dispersion D3-BJ`` passed. Any other value is refused by :func:`unknown_choice`, with
    the closest word. Returns the word as ``known`` spells it, which the option's
    ``choices=known`` (kept for ``--help``) then finds.
    """

    def read(text):
        key = " ".join(str(text).split()).lower()
        for word in known:
            if word.lower() == key:
                return word
        raise argparse.ArgumentTypeError(str(unknown_choice(flag, text, known)))

    read.__name__ = flag
    return read


def device_word(text):
    """An argparse ``type`` for ``--device``: the spelling of the library's one device parser.

    :func:`ase_electrolyte.device.parse_device` reads devices case-insensitively (``CPU``,
    ``Cuda:1``), as ``Calculator(device=...)`` does; the command refused ``--device CPU`` with
    its own pattern, and compared ``args.device`` with ``"cpu"`` as typed (the demo took
    ``CPU`` for a GPU run). A value the parser reads is returned in its one spelling
    (:func:`~ase_electrolyte.device.device_spelling`: ``CPU:0`` is ``cpu``, ``cuda:01`` is
    ``cuda:1``); any other passes unchanged, to be refused by
    :func:`check_device` with the option that it belongs to.
    """
    from ase_electrolyte.device import device_spelling

    try:
        return device_spelling(text)
    except ValueError:
        return text


def dispersion_word(text):
    """An argparse ``type`` for ``--dispersion``: ``none`` or ``d3-<damping>``, as
    :func:`ase_electrolyte.calculator.parse_dispersion` reads it (``D3(BJ)``, ``d3``,
    ``NONE``); any other value passes unchanged, refused by :func:`check_model_args`.

    ``"none"`` compared as typed: ``--dispersion NONE`` was a dispersion to the demo's report
    line ("sevennet-0 + NONE") and to ``analyze`` without ``--model`` (refused as a setting
    that would be ignored).
    """
    from ase_electrolyte.calculator import parse_dispersion

    if not isinstance(text, str) or not text.strip():
        return text  # "" is refused, not taken for none
    try:
        damping = parse_dispersion(text)
    except ValueError:
        return text
    return "none" if damping is None else f"d3-{damping}"


#: The ``--dispersion`` words, in the order the refusal lists them.
DISPERSION_WORDS = ("none", "d3", "d3-bj", "d3-zero", "d3-bjm", "d3-zerom", "d3-op", "d3-cso")


class Parser(argparse.ArgumentParser):
    """Argument errors in one line (no usage block) and exit status 2.

    Negative numbers with an exponent (``--pressure -1e3``) are values, as ``-1.5`` is:
    argparse took them for options ("expected one argument").

    Long options are never abbreviated (``allow_abbrev=False``, inherited by every
    subcommand's parser): argparse took ``--vers`` for ``--version`` and ``--out`` for
    ``--output``, so a script's abbreviation changed meaning, or broke, as soon as another
    option started the same way; the docs teach none. An abbreviation is refused in one line
    that names the option it abbreviates.
    """

    def __init__(self, *args, **kwargs):
        import re

        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(
            r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|nan)$", re.IGNORECASE
        )

        # an option given twice kept its last value without a word (--solvent EC:1 ...
        # --solvent EMC:1 simulated EMC alone): refused, in every subcommand's parser
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)

    def parse_known_args(self, args=None, namespace=None):
        import sys

        for action in self._actions:
            if isinstance(action, _StoreOnce):
                action.given = None
        self._given = list(sys.argv[1:] if args is None else args)
        namespace, extras = super().parse_known_args(args, namespace)
        if extras and not self._subcommands():
            # a subcommand's parser handed its unknown words up, and the top parser said
            # "electrolyte: error: unrecognized arguments", naming neither the subcommand nor,
            # for an abbreviation, the option it abbreviates (which only this parser knows)
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def error(self, message):
        import re

        unknown = self._unknown_options()
        # only the parser that owns the options names them: the top parser also sees the
        # words a subcommand's parser did not know (``analyze --vers`` is no --version)
        if self._subcommands():
            before = []
            for word in getattr(self, "_given", []):
                if word in self._subcommands():
                    break
                before.append(word)
            hint = self._abbreviation_hint(before) + self._misspelling_hint(before)
            hint += self._in_front_hint(before, unknown, message)
        else:
            words = (message.split(": ", 1)[1].split()
                     if message.startswith("unrecognized arguments: ") else unknown)
            hint = self._abbreviation_hint(words) + self._misspelling_hint(words)
        if unknown and message.startswith("the following arguments are required"):
            # argparse checks the required arguments first: "electrolyte --verbose" said
            # "required: command", and the option typed was never named
            names = ", ".join(unknown)
            if message.endswith(": command"):
                message = (f"unrecognized option {names} before the subcommand; give a "
                           "subcommand first, its options after it (electrolyte SUBCOMMAND "
                           "--help lists them)")
            else:
                message = f"unrecognized option {names} (and {message})"
        elif message == "the following arguments are required: command":
            commands = ", ".join(self._subcommands())
            message = f"give a subcommand ({commands}); electrolyte --help says what each does"
        number = re.match(r"argument (\S+): invalid (int|float) value: '(.*)'$", message)
        if number:
            hint += _number_advice(number.group(3), number.group(2), number.group(1))
        invalid = re.match(r"argument command: invalid choice: '(.*)' \(choose from ", message)
        if invalid and self._subcommands():
            # "invalid choice: 'analyz' (choose from ...)" named no near miss, as a word
            # option's refusal does (and argparse does from Python 3.14 on)
            hint += did_you_mean(invalid.group(1), self._subcommands())
        # a type's refusal that names its option itself (unknown_choice) is not prefixed
        # "argument --ensemble: " a second time
        named = re.match(r"argument (\S+): (\S+) ", message)
        if named and named.group(2) in named.group(1).split("/"):
            message = message.split(": ", 1)[1]
        message = one_line(message, getattr(self, "_given", ()))
        self.exit(2, f"{self.prog}: error: {message}{hint}\n")

    def _get_value(self, action, arg_string):
        import math

        value = super()._get_value(action, arg_string)
        if isinstance(value, float) and not math.isfinite(value) and arg_string.strip(
        ).lstrip("+-").lower() not in ("inf", "infinity", "nan"):
            # float("1e400") is inf: the checks then said "got inf" of a number never typed
            raise argparse.ArgumentError(
                action, f"{arg_string} is beyond ±1.8e308, the largest floating-point "
                "number, and reads as infinity; give a finite number")
        return value

    def _subcommands(self):
        return next((list(a.choices) for a in self._actions
                     if isinstance(a, argparse._SubParsersAction)), [])

    def _unknown_options(self):
        """The option-like words of the command line this parser does not know, in order."""
        unknown = []
        for word in getattr(self, "_given", []):
            if word == "--":
                break
            if (not word.startswith("-") or word == "-"
                    or self._negative_number_matcher.match(word)):
                continue
            name = word.split("=", 1)[0]
            if name in self._option_string_actions:
                continue
            if self.allow_abbrev and self._abbreviated(name):
                continue
            if (not name.startswith("--") and len(name) > 2
                    and name[:2] in self._option_string_actions):
                continue  # a short option with its value attached (-n5)
            unknown.append(name)
        return list(dict.fromkeys(unknown))

    def _abbreviated(self, word):
        """The long options of this parser that ``word`` (``--out``, ``--out=x``) abbreviates."""
        name = word.split("=", 1)[0]
        if not name.startswith("--") or name == "--" or name in self._option_string_actions:
            return []
        return [known for known in self._option_string_actions
                if known.startswith("--") and known.startswith(name)]

    def _misspelling_hint(self, words):
        """``"; --temprature: did you mean --temperature?"`` for the unknown options among
        ``words`` that look like a misspelling of one of this parser's, or ``""``.

        "unrecognized arguments: --temprature 300" left the user to find the option in
        ``--help``; a word option's refusal names its near miss, and so does this.
        """
        from ase_electrolyte.option_words import close_option

        known = [o for o in self._option_string_actions if o.startswith("--")]
        said = []
        for word in dict.fromkeys(words):
            name = word.split("=", 1)[0]
            if (not name.startswith("--") or name in self._option_string_actions
                    or self._abbreviated(name)):
                continue
            near = close_option(name, known, cutoff=0.75)
            if near:
                said.append(f"{name}: did you mean {near}?")
        return "".join(f"; {text}" for text in said)

    def _in_front_hint(self, before, unknown, message):
        """``"; -q is an option of electrolyte analyze: give it after the subcommand
        (electrolyte analyze ... -q)"`` for the unknown options typed before the subcommand,
        or ``""``.

        ``electrolyte -q analyze run.h5md`` said "unrecognized arguments: -q", and
        ``electrolyte -o out analyze run.h5md`` "invalid choice: 'out'" (the option's value
        taken for the subcommand), naming neither the subcommand that has the option nor
        where it goes.
        """
        front = [w.split("=", 1)[0] for w in before if w.split("=", 1)[0] in unknown]
        if not front or message.startswith("the following arguments are required"):
            return ""  # "electrolyte --verbose": said with the missing subcommand
        given = getattr(self, "_given", [])
        command = next((w for w in given if w in self._subcommands()), None)
        sub = self._subparser(command)
        if sub is None:
            return (f"; {', '.join(front)} before the subcommand: give the subcommand first, "
                    "its options after it (electrolyte SUBCOMMAND --help lists them)")
        own = [w for w in front if w in sub._option_string_actions]
        other = [w for w in front if w not in own]
        hint = ""
        if own:
            one = len(own) == 1
            hint += (f"; {', '.join(own)} {'is an option' if one else 'are options'} of "
                     f"electrolyte {command}: give {'it' if one else 'them'} after the "
                     f"subcommand (electrolyte {command} ... {' '.join(own)})")
        if other:
            hint += (f"; {', '.join(other)} {'is' if len(other) == 1 else 'are'} no option of "
                     f"electrolyte {command} either (electrolyte {command} --help lists them)")
        return hint

    def _subparser(self, command):
        """The parser of subcommand ``command`` (``None`` for no known subcommand)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices.get(command)
        return None

    def _abbreviation_hint(self, words):
        """``"; options are not abbreviated: give --output, not --out"`` for the abbreviations
        among ``words``, or ``""``."""
        given = [f"{' or '.join(self._abbreviated(w))}, not {w.split('=', 1)[0]}"
                 for w in dict.fromkeys(words) if self._abbreviated(w)]
        return f"; options are not abbreviated: give {'; '.join(given)}" if given else ""


#: Whole numbers from 10**16 up are not spelled out in advice (their digits fill lines).
_LONGEST_SPELLED = 10**16


#: The unit of each numeric option that has one (besides the ``-ps``/``-fs`` lengths), for
#: the advice on a value typed with its unit (``--temperature 300K``).
OPTION_UNITS = {"--temperature": "K", "--pressure": "bar", "--pressure-shift": "bar",
                "--density": "g/cm^3", "--dt": "ps", "--vacuum": "Å", "--relax-fmax": "eV/Å"}


def option_unit(flag):
    """The unit ``flag``'s number is read in (:data:`OPTION_UNITS`, or ``ps``/``fs`` from its
    name), or ``None``."""
    for flags in (flag or "").split("/"):
        if flags in OPTION_UNITS:
            return OPTION_UNITS[flags]
        for unit in ("ps", "fs"):
            if flags.endswith(f"-{unit}"):
                return unit
    return None


def _unit_advice(value, flag):
    """The advice for a number typed with a unit (``300K``, ``1 ns``), or ``None``: the
    library's :func:`ase_electrolyte.units.unit_advice` in the option's unit, so that a screen
    plan or a Python call given ``"300 K"`` is told the same."""
    from ase_electrolyte.units import unit_advice

    return unit_advice(value, option_unit(flag))


def _number_advice(text, kind, flag=None):
    """What to write instead of ``text``, which Python's ``int``/``float`` (``kind``) refused
    for the option ``flag``.

    argparse's "invalid float value: '5,0'" named the value but not what is wrong with it: a
    decimal comma, a hexadecimal or a fraction where a whole number is asked look like numbers
    to the user who typed them, and so does a number with its unit.
    """
    value = text.strip()
    if not value:
        return "; the value is empty: give a number"
    with contextlib.suppress(ValueError):
        number = float(value)
        if kind == "int":
            if number.is_integer() and abs(number) < _LONGEST_SPELLED:
                return f"; give a whole number without a point or exponent: {int(number)}"
            if number.is_integer():
                # 1e308 was spelled out in its 309 digits, a line no terminal shows whole
                return (f"; give a whole number without a point or exponent ({value} is "
                        f"{len(str(abs(int(number))))} digits long)")
            return "; give a whole number"
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+", value):
        # 1,000: a thousand or a decimal comma; which one only the user knows
        return (f"; a comma is read neither as a decimal point nor as a thousands "
                f"separator: write {value.replace(',', '')} for thousands"
                + (f" or {value.replace(',', '.', 1)} for decimals"
                   if value.count(",") == 1 and kind == "float" else ""))
    if re.fullmatch(r"[-+]?\d+,\d+", value):
        meant = value.replace(",", ".")
        if kind == "int":
            return "; give a whole number" + (f": {int(float(meant))}"
                                              if float(meant).is_integer() else "")
        return f"; write the decimals with a point: {meant}"
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+\.\d*", value):
        return ("; give a whole number" if kind == "int" else
                f"; write it without thousands separators: {value.replace(',', '')}")
    if re.fullmatch(r"[-+]?0[xob][0-9a-f_]+", value, re.IGNORECASE):
        whole = int(value, 0)
        shown = (str(whole) if abs(whole) < _LONGEST_SPELLED
                 else f"{len(str(abs(whole)))} decimal digits long")
        return f"; give it in decimal digits ({value} is {shown})"
    parts = re.split(r"\s*[,;]\s*|\s+", value)
    if len(parts) > 1 and all(_reads_as_number(part) for part in parts):
        # "0.5,0.5" (one value per salt of a mixture, per temperature) read "give a number"
        # as if the numbers were not numbers
        return f"; {len(parts)} numbers where the option takes one: give one value"
    if (unit := _unit_advice(value, flag)) is not None:
        return unit
    return "; give a number" if kind == "float" else "; give a whole number"


def _reads_as_number(text):
    """Whether Python's ``float`` reads ``text``."""
    try:
        float(text)
    except ValueError:
        return False
    return True


class _StoreOnce(argparse._StoreAction):
    """A value option that refuses to be given twice in one command line."""

    given = None

    def __call__(self, parser, namespace, values, option_string=None):
        if self.given is not None:
            raise argparse.ArgumentError(
                self, f"given twice ({self.given[0]} {self.given[1]}, then {option_string} "
                f"{values}); give it once")
        self.given = (option_string, values)
        super().__call__(parser, namespace, values, option_string)


@contextlib.contextmanager
def options_named(flags, *, warnings_too=True, mappings=False):
    """Errors and warnings of the library's checks name the command-line option, not the
    keyword argument.

    The library's checks name their keyword (``production_ps must be a finite number >= 0``,
    ``temperature_K = 25.0 K is far from ...``); on the command line that is a name the user
    never typed. A ``ValueError`` or warning whose message names keywords of ``flags`` (keyword
    → option) is raised or issued again with the options in their place (``--production-ps must
    be ...``, ``--temperature 25.0 K is far from ...``): a leading keyword, a keyword with its
    value anywhere (``dt = 0.5`` as ``--dt 0.5``), a keyword with an underscore anywhere, "leave
    ``dt`` out" as "leave out ``--dt``", but not a keyword of a Python function (``dt= of
    from_ase``); any other passes unchanged. A ``RuntimeError`` of a run (an
    :class:`~ase_electrolyte.md.MDInstabilityError` advising ``relax_fmax``) keeps its type, its
    message renamed. ``warnings_too=False`` leaves warnings as they come: around a long run they
    are shown when issued, not held to its end. A keyword of ``flags`` with a space in it is a
    phrase (``"counts would be"``), replaced wherever it stands. ``mappings=True`` also writes
    each Python dict of names to numbers in the message (``{'EC': 2, 'Li': 1}``) as the options
    read one (``EC:2,Li:1``), for the library's advice on compositions.
    """
    import warnings

    caught = []
    try:
        with warnings.catch_warnings(record=True) if warnings_too else \
                contextlib.nullcontext([]) as caught:
            if warnings_too:
                warnings.simplefilter("always")
            yield
    except ValueError as err:
        renamed = _option_in_front(str(err), flags, mappings)
        if renamed is None:
            raise
        raise ValueError(renamed) from None
    except RuntimeError as err:
        renamed = _option_in_front(str(err), flags, mappings) if err.args and isinstance(
            err.args[0], str) else None
        if renamed is not None:
            err.args = (renamed, *err.args[1:])
        raise
    finally:
        # issued again outside the recording, under the caller's filters (also those before
        # an error: they were shown before it)
        for w in caught:
            message = _option_in_front(str(w.message), flags, mappings)
            warnings.warn_explicit(w.message if message is None else message, w.category,
                                   w.filename, w.lineno)


def _option_in_front(text, flags, mappings=False):
    """``text`` with the keywords of ``flags`` it names replaced by their options; ``None``
    when it names none.

    Replaced: a leading keyword (``temperature_K must be`` → ``--temperature must be``), a
    keyword with its value anywhere (``... : dt = 0.5 ps given`` → ``--dt 0.5 ps given``, as
    typed), and anywhere a keyword that is an identifier (with an underscore: no English word
    such as ``out`` or ``seed`` is taken for an option). A keyword named as one of a Python
    function (``dt= of from_ase``) stays: it read ``--dt of from_ase``, an option no function
    has, beside the command's own ``--dt of electrolyte analyze``. "leave ``dt`` out" reads
    "leave out ``--dt``". A keyword with a space is a phrase, replaced anywhere. With
    ``mappings``, a dict of names to numbers is written in the options' notation
    (:func:`_mapping_as_typed`).
    """
    import re

    # "dt= of from_ase": the keyword of a function, not the option
    of_function = r"(?! ?= ?of\b)"
    new = _mapping_as_typed(text) if mappings else text
    for keyword, flag in flags.items():
        word = rf"(?<![\w-]){re.escape(keyword)}"
        if " " in keyword:
            # "counts would be": no English sentence says it of anything but the keyword
            new = re.sub(rf"{word}(?!\w)", lambda m, flag=flag: flag, new)
            continue
        # "leave dt out" read "leave dt out" beside "give --dt 0.01": an option is left out
        new = re.sub(rf"\bleave {re.escape(keyword)} out\b",
                     lambda m, flag=flag: f"leave out {flag}", new)
        new = re.sub(rf"{word} ?=(?!\s*of\b) ?", lambda m, flag=flag: f"{flag} ", new)
        if "_" in keyword:
            new = re.sub(rf"{word}(?!\w){of_function}", lambda m, flag=flag: flag, new)
        # a leading English word is an option's keyword unless a phrase goes on ("out of
        # memory" from a run read "-o/--output of memory")
        phrase = "" if "_" in keyword else r"(?! of\b)"
        new = re.sub(rf"^{re.escape(keyword)}\b{of_function}{phrase}", lambda m, flag=flag: flag,
                     new)
    return None if new == text else new


def _mapping_as_typed(text):
    """``text`` with each Python dict of names to numbers (``{'EC': 2, 'Li': 1.0}``) written
    as ``--solvent`` and ``--counts`` read one (``EC:2,Li:1``), numbers in their shortest
    form; any other braces are left as they are.

    The builder's advice wrote the counts it would pack as ``{'EC': 2}``: in the terminal of
    ``electrolyte simulate`` a Python dict where the user had typed ``--solvent EC``.
    """
    import ast
    import numbers
    import re

    def typed(match):
        try:
            mapping = ast.literal_eval(match.group(0))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return match.group(0)
        if not (isinstance(mapping, dict) and mapping and all(
                isinstance(k, str) and isinstance(v, numbers.Real) and not isinstance(v, bool)
                for k, v in mapping.items())):
            return match.group(0)
        # repr, not :g: 1234567 molecules must not read 1.23457e+06
        return ",".join(f"{k}:{int(v) if float(v).is_integer() else v!r}"
                        for k, v in mapping.items())

    return re.sub(r"\{[^{}]*\}", typed, text)


def check_temperature(value, flag="--temperature"):
    """The one check of a temperature option of every subcommand (``simulate`` and
    ``analyze`` ``--temperature``), in K; returns it as a float.

    The protocol's check of a run's temperature
    (:func:`ase_electrolyte.md.check_protocol_arguments`, which a screen plan's temperatures
    go through too), its messages naming ``flag``: a temperature <= 0 is refused with its
    reading in °C (``-10 °C = 263.15 K``), one above a plasma's refused, and one outside a
    liquid's 50–6000 K warned about (°C? k_B·T in eV?). ``analyze --temperature -10`` was
    refused without the °C reading that ``simulate --temperature -10`` gave, and its warning
    of 20 K named the keyword ``temperature_K``, which no command takes.
    """
    from ase_electrolyte.md import check_protocol_arguments

    with options_named({"temperature_K": flag}):
        check_protocol_arguments(temperature_K=value)
    return float(value)


#: The library's doubt of a temperature outside a liquid's (units.warn_implausible), as the
#: builder and the analyses repeat it for a temperature :func:`check_temperature` has doubted.
_TEMPERATURE_DOUBT = r"temperature_K = .* K is far from a liquid's"


@contextlib.contextmanager
def temperature_doubted():
    """Inside, the library's doubt of an implausible temperature is not said again.

    :func:`check_temperature` said it, naming the option; the box builder (which draws the
    carbonates' rotamers at the temperature) and the analyses given it said it a second time,
    naming their keyword ``temperature_K``. Other warnings pass.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_TEMPERATURE_DOUBT, category=UserWarning)
        yield


@contextlib.contextmanager
def about(flag):
    """A ``ValueError`` raised inside is raised again with ``flag`` in front of its message.

    For the library's checks of one option's value whose messages name no option
    (``unknown salt 'NaCl'; known salts: ...``).
    """
    try:
        yield
    except ValueError as err:
        text = str(err)
        for python, command in _PYTHON_ADVICE.items():
            text = text.replace(python, command)
        raise ValueError(f"{flag}: {text}") from None


#: The library's advice for what only Python can give (a species or salt of one's own), as a
#: command's refusal says it: "for anything else pass Species(name, smiles)" read as something
#: to type on the command line, which takes the names of the library's species alone.
_PYTHON_ADVICE = {
    "for anything else pass Species(name, smiles)":
        "the command packs these only; a species of your own is built from Python "
        "(ase_electrolyte.species.Species(name, smiles))",
    "for anything else pass Salt(name, cation=Species(...), anion=Species(...))":
        "the command packs these only; a salt of your own is built from Python "
        "(ase_electrolyte.species.Salt(name, cation=..., anion=...))",
}


def check_not_empty(value, flag, what="a file name"):
    """An empty (or blank) path argument is refused: ``Path("")`` would silently be ``"."``."""
    if value is not None and not str(value).strip():
        raise ValueError(f"{flag} is empty; give {what}")


def check_link(path, flag, dangling_ok=False):
    """A symbolic link at ``path`` (or a folder above it) that loops, or points nowhere, is
    refused in one line naming ``flag``.

    Both read as "no such file" (a loop is no missing file), or failed only after the work
    with "[Errno 17] File exists" or "[Errno 40] Too many levels of symbolic links".
    ``dangling_ok``: a link to a file yet to be written (an output file) is fine.
    """
    import os

    from ase_electrolyte.atomic_file import broken_link

    for link in (Path(path), *Path(path).parents):
        problem = broken_link(link)
        if problem == "loops":
            raise ValueError(f"{flag} {path}: {link} is a symbolic link that loops; point "
                             "it at a real place or remove it")
        if problem == "dangling" and not (dangling_ok and link == Path(path)):
            raise ValueError(f"{flag} {path}: {link} is a symbolic link to "
                             f"{os.readlink(link)}, which does not exist; create it or remove "
                             "the link")


def check_unexpanded_home(path, flag):
    """An output path that starts with a ``~`` the shell left unexpanded is refused.

    The shell expands ``~`` only at the start of a word: ``--output=~/runs/a`` (or a quoted
    ``"~/runs/a"``) reached the command as typed and created a folder named ``~`` in the
    current folder, the results nowhere the user looked (and a later ``rm -r ~`` to remove it
    is the home folder). A leading ``~`` or ``~user`` that names a home folder is refused; one
    that names none (``~draft``) is an ordinary name.
    """
    import os

    text = os.fspath(path)
    if isinstance(text, str) and text.startswith("~") and os.path.expanduser(text) != text:
        home = text.split("/", 1)[0]
        raise ValueError(
            f"{flag} {text}: the shell did not expand {home!r} (it does not after '=' or in "
            f"quotes), so this would create a folder named {home!r} here; write the path with "
            f"the home folder, {os.path.expanduser(text)}")


def check_output_folder(path, flag="-o/--output"):
    """The output folder may exist (resume) but must not be a file; its parent must be writable.

    An empty name is refused (it would write into the current folder); so is a symbolic link
    that loops or points nowhere (:func:`check_link`).
    """
    import os

    check_not_empty(path, flag, "a folder name")
    check_unexpanded_home(path, flag)
    check_link(path, flag)
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{flag} {path}: a file of that name exists; give a folder")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        # "x is not a writable folder" of a file x read as a matter of permissions
        raise ValueError(f"{flag} {path}: {parent} is not a writable folder (it is a file); "
                         "give a path through folders")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{flag} {path}: {parent} is not a writable folder")
    if not out.exists():
        # a parent that looks writable may still refuse the folder (/proc, a read-only mount
        # seen by root): found here, not after the work of a command that creates it late
        # (select writes its file after the model has loaded and the frames are picked)
        make_folder(out, flag)
        for folder in (out, *out.parents):
            if folder == parent:
                break
            try:
                folder.rmdir()
            except OSError:  # another command has written into it meanwhile: its folder now
                break


@contextlib.contextmanager
def warnings_after_checks():
    """The warnings of a command's argument checks, issued once every check has passed; when
    one refuses, carried by the refusal as notes (``main`` writes them in its one line).

    ``electrolyte simulate --write-interval-fs 5 --equilibration-ps 0.001`` printed two
    warnings of rounded intervals and lengths, then the refusal of the equilibration: three
    lines on stderr for one refused command. Now the refusal's line ends with "; warning:
    ..." for each. Issued again under the caller's filters (``PYTHONWARNINGS=error`` makes
    them errors there).
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (ValueError, OSError, RuntimeError) as err:
            for text in dict.fromkeys(str(w.message) for w in caught):
                err.add_note(f"warning: {text}")
            raise
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def check_files_creatable(folder, flag="-o/--output"):
    """A new file can be created in the existing ``folder``, or a ValueError naming ``flag``.

    Permission bits do not tell it for root, nor for a file system that refuses files by its
    own rules (``/proc``, an NFS export squashing root): ``electrolyte select -o
    /proc/picked.extxyz`` loaded the model and picked the frames, then failed naming a
    hidden temporary file ("No such file or directory: '/proc/.picked.6939-...part.extxyz'").
    A hidden file is created and removed at once.
    """
    import os
    import tempfile

    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".electrolyte-write-check-")
    except OSError as err:
        raise ValueError(f"{flag}: the folder {shown_path(folder)} takes no new file "
                         f"({err.strerror or err}); give a folder you can write to") from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(probe)


#: The entries (``fnmatch`` patterns) that mark a folder as the output of each command whose
#: files another command's run would delete (each clears the figures and tables of its own
#: names before it writes), leave stale beside its new numbers, or mix with its own. Each
#: command's first written file is among them, so that a stopped run is known too.
_OUTPUT_MARKERS = {
    "demo": ("report.html",),  # first: a demo's folder holds a simulate run, its analysis
    "analyze": ("summary.json",),  # folder a summary.json
    "diagnose": ("diagnose.json",),
    "screen": ("plan.json",),
    "finetune": ("member_*",),
    "simulate": None,  # its run files (simulate.RUN_FILES), read where they are defined
}


def check_output(path, command, flag="-o/--output", writes_like=()):
    """The one check of a command's output folder, made before anything is read or loaded.

    Every command that writes a folder calls it, so that one obstacle reads the same in
    each: an empty name, an unexpanded ``~``, a link that loops or points nowhere, a file
    where the folder goes, a path through a file, a folder that cannot be written or created
    (:func:`check_output_folder`), a folder holding another command's output
    (:func:`check_not_another_commands_folder`) and one holding other files and nothing of
    the command's (:func:`check_not_foreign_folder`). ``simulate``, ``screen`` and
    ``finetune`` called only some of them: ``screen -o`` the folder of an ``analyze`` was
    called a folder of "other files", ``analyze -o`` it the output of another command.

    Parameters
    ----------
    path : str or os.PathLike
        The output folder as given.
    command : str
        The subcommand that writes it.
    flag : str
        The option, as the message names it.
    writes_like : tuple of str
        Commands whose output ``command`` writes itself (the demo's run is a ``simulate``
        run), whose markers are no sign of another command's folder.

    Raises
    ------
    ValueError
        One line naming the option, the path, the obstacle and what to give instead.
    """
    check_output_folder(path, flag)
    check_not_another_commands_folder(path, command, flag, writes_like)
    check_not_foreign_folder(path, command, flag)


def check_not_another_commands_folder(path, command, flag="-o/--output", writes_like=()):
    """An output folder that holds the output of another command is refused, before any work.

    ``writes_like``: the commands whose output ``command`` writes there itself (the demo's
    ``analysis`` folder holds a ``summary.json`` of its own analyses, the marker of
    ``analyze``), whose markers are no sign of another command's folder.

    ``analyze`` and ``diagnose`` both write ``rigid_volume_scan.png``/``.csv`` and
    ``intra_inter_errors.png`` and clear them before they write: ``analyze -o`` the folder of a
    ``diagnose`` deleted its figures and its per-frame table while ``diagnose.json`` still
    named them, and ``analyze -o`` a demo's ``analysis`` folder replaced its summary under the
    demo's ``report.html``, which then showed the old numbers as the folder's report.
    """
    import fnmatch
    import os

    folder = Path(path)
    if not folder.is_dir():
        return
    try:
        entries = os.listdir(folder)
    except OSError:  # named by check_not_foreign_folder, which lists it too
        return
    from .simulate import RUN_FILES

    for other, patterns in _OUTPUT_MARKERS.items():
        if other == command or other in writes_like:
            continue
        patterns = RUN_FILES if patterns is None else patterns
        marker = next(iter(sorted(e for p in patterns for e in fnmatch.filter(entries, p))),
                      None)
        if marker is not None:
            # a sibling, not a folder inside the other command's output: "." and ".." by
            # their real names ("-o .." advised ".._analyze", a folder of that name here, and
            # "-o ." a folder inside the other command's output)
            real = folder.resolve() if folder.name in ("", ".", "..") else folder
            example = (real.with_name(f"{real.name}_{command}") if real.name else
                       Path.cwd() / f"electrolyte_{command}")
            raise ValueError(
                f"{flag} {path} holds the output of electrolyte {other} ({marker}); "
                f"electrolyte {command} would delete, leave stale or mix with its files "
                f"there: give a new or empty folder, e.g. {example}")


def output_names(command):
    """The names (``fnmatch`` patterns) that mark a folder as an earlier run of ``command``,
    to resume or rerun into: the record it writes (``summary.json`` of ``analyze``, the stage
    files of ``simulate``), and the staging folder a killed ``analyze`` or ``diagnose`` left.

    Not every name it writes: a folder of the user's with a ``viscosity.png`` of their own
    (or ``learning_curve.png``, ``plots``) was taken as an earlier run of ``analyze``
    (``finetune``, ``screen``), and ``analyze -o .`` deleted that figure as the earlier run's
    figure of an analysis it did not run now.
    """
    from mda_electrolyte.report import STAGING_PREFIX

    from .simulate import RUN_FILES as run

    staging = f"{STAGING_PREFIX}*"
    return {
        "analyze": ("summary.json", staging),
        "diagnose": ("diagnose.json", staging),
        "simulate": run,
        # its analysis folder (a demo stopped in its analyses is resumed) and its report
        "demo": (*run, "analysis", "report.html"),
        "screen": ("plan.json", "tasks", "tasks.csv"),
        "finetune": ("member_*",),
    }[command]


def _bookkeeping(name):
    """Whether ``name`` is a file the commands keep while they write (a writer's lock, an
    analysis' staging folder): no sign of a folder's owner."""
    from ase_electrolyte.writer_lock import FOLDER_LOCK_NAME
    from mda_electrolyte.report import STAGING_PREFIX

    return name == FOLDER_LOCK_NAME or name.startswith(STAGING_PREFIX)


def check_not_foreign_folder(path, command, flag="-o/--output"):
    """An existing output folder that holds files, none of them written by ``command``, is
    refused before any work.

    ``-o /``, ``-o ~``, ``-o .`` or a folder of the user's own files were taken as output
    folders: the run files were mixed with the user's, the commands' clearing of their own
    figure and table names before they write (``analyze`` removes ``*.png`` of its analyses)
    could replace a user's file of that name, and ``rm -r`` of the run folder, the usual way
    to discard a run, would take the user's files with it. An empty folder is taken, and so
    is one holding the record of an earlier run of the command (:func:`output_names`), to
    resume or rerun; a file that merely has the name of one of its figures is no such record.

    Raises
    ------
    ValueError
        Naming the folder, a few of its entries and what to give instead.
    """
    import fnmatch
    import os

    folder = Path(path)
    if not folder.is_dir():
        return
    try:
        names = os.listdir(folder)
    except OSError as err:
        raise ValueError(f"{flag} {path}: the folder cannot be listed ({err.strerror}); give "
                         "a folder you can read and write") from None
    entries = sorted(e for e in names if not _bookkeeping(e))
    # a staging folder of a killed run is bookkeeping, and the mark of an earlier run
    if not entries or any(fnmatch.fnmatchcase(e, pattern) for e in names
                          for pattern in output_names(command)):
        return
    shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3
                                      else "")
    real = folder.resolve()
    root = real == Path(real.anchor)
    where = "the root folder" if root else (
        "your home folder" if real == Path.home().resolve() else
        "the current folder" if real == Path.cwd().resolve() else "a folder")
    # not a folder inside the root, which is no place for a run either
    example = (Path.cwd() if root else Path(path)) / f"electrolyte_{command}"
    raise ValueError(
        f"{flag} {path} is {where} holding other files ({shown}) and no output of "
        f"electrolyte {command}: its files would be mixed with them (and removing the run "
        f"would remove them); give a new or empty folder, e.g. {example}")


@contextlib.contextmanager
def claim_output_folder(path, flag="-o/--output"):
    """Create the output folder and claim it for this run; release with ``with``.

    Taken right after the argument checks, before a box is packed or a model loaded: a second
    command into a folder that another one is writing fails at once, in one line with exit
    status 2 (:class:`~ase_electrolyte.writer_lock.ConcurrentWriterError` is an ``OSError``),
    and leaves the folder to the first. Folders this call created are removed again if the
    command ends with nothing written in them (a failed command leaves no empty folder behind).
    """
    from ase_electrolyte.writer_lock import WriterLock

    out = Path(path)
    created = []
    for folder in (out, *out.parents):
        if folder.exists():
            break
        created.append(folder)
    make_folder(out, flag)
    try:
        with WriterLock(out, "output folder"):
            yield out
    finally:
        for folder in created:
            try:
                folder.rmdir()
            except OSError:  # not empty: it holds what the command wrote
                break


def check_some_result(summary, report):
    """A run in which no analysis gave a result is an error (exit status 2), raised once the
    report of ``summary`` (the file ``report`` names with the reasons) is written and printed.

    With ``--keep-going`` (``analyze``; ``demo`` always keeps going) a run whose every
    analysis failed (a broken model, figures that cannot be drawn), or was refused by its
    input (every one too short), ended with exit status 0, as a finished report: a script
    went on to read numbers that are not there. One result of any verdict is enough (its
    verdict says whether it is one); a summary without analyses (none run) is none failed.

    Raises
    ------
    ValueError
        No analysis of ``summary`` gave a result, naming them by outcome.
    """
    outcome = {}
    for name, kind in gave_no_result(summary).items():
        outcome.setdefault(kind, []).append(name)
    if not outcome:
        return
    said = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in outcome.items())
    raise ValueError(f"no analysis gave a result ({said}; the lines above and "
                     f"{report} say why)")


def check_plotting():
    """matplotlib can be imported, or a ``ValueError`` naming the cause, before any work.

    An ``MPLBACKEND`` in the environment that is no backend matplotlib knows (a typo, one of
    another installation) made ``import matplotlib`` itself fail: ``analyze`` read the
    trajectory and ran its first analysis before failing with matplotlib's "Key backend: ...",
    which named neither the variable nor the cure, and with ``--keep-going`` every analysis
    failed the same way. The command draws into files only (PNG), never on a display.
    """
    import os

    try:
        with _matplotlib_folder_warnings():
            import matplotlib

            # both chosen (and made) once per process: the cache folder only when the first
            # figure's fonts are looked up, after every analysis had run
            matplotlib.get_configdir()
            matplotlib.get_cachedir()
    except (ValueError, ImportError) as err:
        backend = os.environ.get("MPLBACKEND")
        if backend is None or not isinstance(err, ValueError):
            raise ValueError(f"matplotlib cannot be imported ({type(err).__name__}: "
                             f"{one_line(err)}); the figures need it") from None
        cause = one_line(err).split("; supported values", 1)[0]
        raise ValueError(f"the environment's MPLBACKEND={backend!r} is no matplotlib "
                         f"backend, so no figure can be drawn ({cause}); unset MPLBACKEND, "
                         "or set MPLBACKEND=Agg: electrolyte writes its figures to PNG files "
                         "and needs no display") from None


@contextlib.contextmanager
def _matplotlib_log_to(handler, alone=False):
    """matplotlib's log records go to ``handler`` while the block runs (not on to the root
    logger, whose last-resort handler printed them as bare lines).

    ``alone``: the logger's other handlers are set aside meanwhile. The plotting check, now
    called by each command inside :func:`matplotlib_log_lines`, turns the records it keeps
    into one warning each; that block's handler printed them besides, as raw lines.
    """
    import logging

    logger = logging.getLogger("matplotlib")
    propagate = logger.propagate
    others = list(logger.handlers) if alone else []
    for other in others:
        logger.removeHandler(other)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        for other in others:
            logger.addHandler(other)
        logger.propagate = propagate


@contextlib.contextmanager
def _matplotlib_folder_warnings():
    """matplotlib's log lines while it chooses its folders, as one warning line each.

    A ``MPLCONFIGDIR``, ``XDG_CONFIG_HOME`` or ``XDG_CACHE_HOME`` that names no writable folder
    made matplotlib log two bare lines ("mkdir -p failed ...", "Matplotlib created a temporary
    cache directory ... highly recommended ...") outside the command's line format, the
    cache's only once the first figure was drawn; it then works from a temporary folder, so
    this is a warning naming the variable, said before any work.
    """
    import logging
    import os
    import re
    import warnings

    # matplotlib sets MPLCONFIGDIR to its temporary folder: the user's values are read first
    given = {name: os.environ.get(name) for name in
             ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HOME")}
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    with _matplotlib_log_to(Keep(logging.WARNING), alone=True):
        yield
    failed = {}
    for message in records:
        made = re.match(r"mkdir -p failed for path (.*?): (.*)$", message, re.S)
        if made:
            failed[made.group(1)] = made.group(2)
            continue
        moved = re.match(r"Matplotlib created a temporary cache directory at (.*?) because "
                         r"there was an issue with (?:MPLCONFIGDIR|the default path) \((.*?)\);",
                         message, re.S)
        if not moved:
            warnings.warn(f"matplotlib: {one_line(message)}", stacklevel=2)
            continue
        temporary, path = moved.groups()
        variable = ("MPLCONFIGDIR" if given["MPLCONFIGDIR"] else next(
            (name for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME")
             if given[name] and Path(path).parent == Path(given[name])), "HOME"))
        cause = failed.get(path, "not a writable folder")
        cure = {"MPLCONFIGDIR": "set MPLCONFIGDIR to a writable folder (or unset it)",
                "XDG_CONFIG_HOME": "set XDG_CONFIG_HOME or MPLCONFIGDIR to a writable folder",
                "XDG_CACHE_HOME": "set XDG_CACHE_HOME or MPLCONFIGDIR to a writable folder",
                "HOME": "set MPLCONFIGDIR to a writable folder"}
        warnings.warn(
            f"{variable}={shown_path(given[variable] or '')}: matplotlib cannot use "
            f"{shown_path(path)} ({one_line(cause)}) and keeps its settings and font cache in "
            f"the temporary {shown_path(temporary)} for this run only; {cure[variable]} to "
            "keep them", stacklevel=2)


#: matplotlib's log message when it builds its font cache (after 5 s of building).
FONT_CACHE_MESSAGE = "Matplotlib is building the font cache"


@contextlib.contextmanager
def matplotlib_log_lines(command, paths=()):
    """matplotlib's log messages during a command as lines of the command's format.

    With a fresh or unusable font cache, "Matplotlib is building the font cache; this may take
    a moment." appeared as a bare line among the command's output (Python's last-resort log
    handler), at the first figure, after the analyses had run. It is now one line saying what
    happens and where (``electrolyte analyze: note: matplotlib is building its font cache in
    ...``); any other warning matplotlib logs (a font not found) is one ``warning:`` line.
    The lines are printed, not issued as Python warnings: matplotlib logs the font cache
    message from a timer thread, where a warning made an error (``PYTHONWARNINGS=error``)
    would be a traceback, not a stop.
    """
    import logging
    import sys

    class Lines(logging.Handler):
        def emit(self, record):
            message = record.getMessage()
            if message.startswith(FONT_CACHE_MESSAGE):
                import matplotlib

                text = (f"note: matplotlib is building its font cache in "
                        f"{shown_path(matplotlib.get_cachedir())} (once per cache folder; "
                        "this may take a minute)")
            else:
                text = f"warning: matplotlib: {one_line(message, paths)}"
            print(f"electrolyte {command}: {text}", file=sys.stderr, flush=True)

    with _matplotlib_log_to(Lines(logging.WARNING)):
        yield


def make_folder(path, flag="-o/--output"):
    """``path`` and the folders above it created, or a ``ValueError`` naming ``flag`` and the path.

    A folder that cannot be created although its parent looks writable (``-o /proc/x``, a
    read-only mount seen as writable by root) read "[Errno 2] No such file or directory"
    without the option or the path.
    """
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        cause = err.strerror or type(err).__name__
        where = "" if err.filename in (None, str(path)) else f" (at {err.filename})"
        raise ValueError(f"{flag} {path}: the folder cannot be created{where}: {cause}; give "
                         "a folder in a place you can write to") from None


def check_model_args(model, dispersion, device, flag="--model", backend=None, modal=False):
    """Model name or file, modal, dispersion spec and device, checked without loading anything.

    Parameters
    ----------
    backend : str, optional
        The backend the command needs (``"sevennet"`` for descriptors and fine-tuning): a
        model of another is refused here, not after it has loaded.
    modal : str or None or False, optional
        ``--modal``, the fidelity of a multi-fidelity model, judged by
        :func:`ase_electrolyte.models.check_model` (spell it with :func:`modal_word` first);
        ``False`` (the default): the command has no ``--modal`` and takes models of one
        fidelity.

    Returns
    -------
    str
        The model's backend.
    """
    from ase_electrolyte.models import check_model, list_models

    options = {} if modal is False or modal is None else {"modal": modal}
    try:
        found = check_model(model, **options)
    except ImportError as err:
        raise ValueError(f"{flag} {model}: {err}") from None
    except ValueError as err:
        text = str(err)
        if modal is False and "multi-fidelity" in text:
            raise ValueError(f"{flag} {model} is multi-fidelity; {flag} takes a model of one "
                             "fidelity (there is no --modal for it): give one") from None
        if text.startswith("unknown model") and "did you mean" not in text:
            close = did_you_mean(model, [m.name for m in list_models()])
            text = text.replace(";", f"{close};", 1) if close else text
        if modal is not False:
            # the library's advice names its keyword (pass modal=...): the option here
            text = (_option_in_front(text, {"modal": "--modal"}) or text).replace(
                "pass --modal ...", "give --modal")
        raise ValueError(f"{flag}: {text}") from None
    if backend is not None and found != backend:
        raise ValueError(f"{flag} {model}: this command needs a {backend} model, not a {found} "
                         "model")
    check_dispersion(dispersion)
    check_device(device)
    return found


def check_dispersion(dispersion, flag="--dispersion"):
    """``none`` or ``d3-<damping>`` as :func:`ase_electrolyte.calculator.parse_dispersion`
    reads it; anything else (``""`` too, which was taken for none) is refused with the words."""
    from ase_electrolyte.calculator import parse_dispersion

    try:
        if not str(dispersion).strip():
            raise ValueError  # "" was taken for "none" without a word
        parse_dispersion(dispersion)
    except ValueError:
        raise unknown_choice(flag, dispersion, DISPERSION_WORDS) from None


def modal_word(model, modal):
    """``--modal`` spelled as ``model`` spells its fidelity (``pbe`` is ``PBE``), or as given.

    The fidelities of SevenNet-MF-0 (Kim et al. 2024) are the functionals whose labels it
    was trained on, names whose case carries no meaning (:func:`choice`); whether the model
    has the fidelity is :func:`ase_electrolyte.models.check_model`'s to judge. A checkpoint
    file that holds more than tensors is not read here (unpickling it runs its code, which
    ``check_model`` warns of first): its ``--modal`` is taken as typed.
    """
    if modal is None:
        return None
    if not str(modal).strip():
        raise ValueError("--modal is empty; give a fidelity of the model, or leave it out")
    from ase_electrolyte.models import modal_spelling, model_modals

    return modal_spelling(modal, model_modals(model))


def check_device(device, flag="--device"):
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (any case, :func:`device_word`); a CUDA device
    torch does not see is refused."""
    from ase_electrolyte.device import parse_device

    try:
        parse_device(device)
    except ValueError as err:
        # the parser's advice where it has some: the word closest to "gpu" is "cpu", the
        # opposite of what its user asked for ("did you mean 'cpu'?"); "a GPU is spelt 'cuda'"
        hint = str(err).partition("; ")[2]
        raise unknown_choice(flag, device, ("auto", "cpu", "cuda"),
                             ("auto", "cpu", "cuda", "cuda:N"), hint=hint) from None
    device = device_word(device)
    if device.startswith("cuda"):
        from ase_electrolyte.models import resolve_device

        try:
            resolve_device(device)
        except (ValueError, RuntimeError) as err:
            raise ValueError(_device_refusal(str(err), device, flag)) from None


def _device_refusal(text, device, flag="--device"):
    """The library's refusal ``text`` of a CUDA device, said of ``flag`` as typed.

    The library names its keyword and the device it read (``device='cuda:0' was asked for
    ...``): prefixed with the option it read "--device cuda: --device 'cuda:0' was asked for",
    the option twice. Now "--device cuda was asked for but torch sees no CUDA GPU; ..." and
    "--device cuda:3: torch sees 1 CUDA device(s), ...".
    """
    import re

    named = re.match(r"device='[^']*'(:?)\s*", text)
    if named is None:
        said = _option_in_front(text, {"device": flag}) or text
        return f"{flag} {device}: {said}"
    return f"{flag} {device}{':' if named.group(1) else ''} {text[named.end():]}"


def check_input_file(path, dump=None, flag="the trajectory"):
    """The input file (and LAMMPS dump) exist and are files: not empty names, not folders."""
    for p, name in ((path, flag), (dump, "--dump")):
        if p is None:
            continue
        check_not_empty(p, name)
        if str(p) == "-" and not Path(p).exists():
            raise ValueError(f"{name} '-': standard input is not read; give a file name")
        check_link(p, name)
        if Path(p).is_dir():
            raise ValueError(f"{name} {p} is a folder; give a file")
        if Path(p).exists() and not Path(p).is_file():
            # a pipe (bash's <(zcat traj.gz)), a device or a socket was "no such file"; the
            # readers seek and read twice, which a pipe cannot
            raise ValueError(f"{name} {p} is not a regular file (a pipe, device or socket); "
                             "write it to a file first and give that")
        if not Path(p).is_file():
            raise ValueError(f"{name} {p}: no such file")
    if dump is not None and Path(path).suffix.lower() in _NOT_LAMMPS_DATA:
        # read as a LAMMPS data file anyway, failing with a parser error that named no option
        raise ValueError(f"--dump {dump}: a LAMMPS dump is read with the LAMMPS data file as "
                         f"{flag}, not {path}; leave out --dump for an ASE or H5MD file")


def check_not_being_written(traj):
    """A trajectory that a run is still writing is refused before it is read (one that a run
    left unfinished, interrupted, is read as far as it goes: the reader warns).

    ``analyze`` of the ``production.h5md`` of a running ``simulate`` analysed the frames
    written so far and reported them with exit status 0, as if of the finished run. The
    writer's claim is probed, not taken (:func:`ase_electrolyte.writer_lock.writer_of`).
    """
    from ase_electrolyte.writer_lock import writer_of
    from mda_electrolyte.observables import is_h5md_path

    if not is_h5md_path(traj):
        return
    writer = writer_of(traj)
    if writer is not None:
        raise ValueError(
            f"{traj} is being written by {writer}: its analysis would be of the frames written "
            "so far, not of the run; analyse it when the run has finished (or analyse a copy, "
            "knowing that it is part of the run)")


def check_trajectory_contents(traj, dump=None):
    """The trajectory (and LAMMPS dump) of ``analyze``/``diagnose`` hold something to read: not
    empty, and an H5MD file that HDF5 opens; checked after the options and
    :func:`check_not_being_written`, before the reader loads.

    An empty file, an H5MD file cut short or one that is no HDF5 file were refused only by the
    reader, once MDAnalysis had loaded (seconds), and an empty one as "not an HDF5 file" or
    "not a trajectory format that can be read", not as what it is.
    """
    from mda_electrolyte.observables import is_h5md_path

    for path, flag in ((traj, "the trajectory"), (dump, "--dump")):
        if path is not None and Path(path).stat().st_size == 0:
            raise ValueError(f"{flag} {path} is empty (0 bytes): a copy, download or run that "
                             "stopped before writing leaves such a file; give the file with "
                             "its contents")
    if is_h5md_path(traj):
        _check_hdf5_opens(traj)


def _check_hdf5_opens(path):
    """The H5MD file ``path`` opens in HDF5 (milliseconds), or a ValueError saying why not.

    A file that is no HDF5 file, or one cut short, was refused only by the reader, after
    MDAnalysis had loaded (seconds). Checked once no writer holds it: a file being extended
    may look shorter than its header for a moment. Without HDF5's file locking, as the readers
    open it.
    """
    import h5py

    try:
        with h5py.File(path, "r", locking=False):
            pass
    except OSError as err:
        text = str(err)
        if "truncated file" in text:
            # HDF5's own words (sblock->base_addr, stored_eof) read as Python keywords to
            # the terminal's advice marking, which imports the analyses to look them up
            sizes = re.search(r"\beof = (\d+).*\bstored_eof = (\d+)", text)
            held = f": {sizes[1]} of its {sizes[2]} bytes" if sizes else ""
            raise ValueError(
                f"{path} is truncated{held} (shorter than its HDF5 header says: an incomplete "
                "copy or a full disk), so no frame of it can be read; copy it again from "
                "where the run wrote it") from None
        if "signature not found" in text:
            raise ValueError(
                f"{path} is not an HDF5 (H5MD) file (no HDF5 signature: another format under "
                "an .h5md name, or a file whose beginning is missing); give the H5MD file of "
                "electrolyte simulate") from None
        # another cause (permissions, a file open for writing elsewhere): the reader says it


#: Trajectory formats of other engines that hold positions (and a box) only, by suffix.
POSITIONS_ONLY = {".xtc": "GROMACS XTC", ".trr": "GROMACS TRR", ".tng": "GROMACS TNG",
                  ".dcd": "DCD", ".nc": "AMBER NetCDF", ".ncdf": "AMBER NetCDF",
                  ".netcdf": "AMBER NetCDF", ".mdcrd": "AMBER mdcrd", ".crd": "coordinate"}


def check_trajectory_files(path, dump=None):
    """:func:`check_input_file`, then the formats ``electrolyte analyze``/``diagnose`` read.

    A positions-only trajectory of another engine (XTC, TRR, DCD, NetCDF) is refused in one
    line that says what it lacks (elements, molecules, charges: a topology, which these
    commands do not take beside it) and what to give instead; so is a ``--dump`` that is not a
    LAMMPS text dump (a DCD beside a data file was read as text: "'utf-8' codec can't
    decode byte 0xa3"). Checked by suffix and first line, before anything is read.
    """
    check_input_file(path, dump)
    instead = (f"write the frames with their topology as an .extxyz ({_extxyz_recipe(path)}), "
               "or give a LAMMPS data file with a text dump (--dump)")
    kind = POSITIONS_ONLY.get(Path(path).suffix.lower())
    if kind is not None:
        if kind.startswith("GROMACS"):
            # a .gro file of every frame holds the atom names the elements are read from
            instead += (", or a .gro file of every frame (gmx trjconv -f traj.xtc -s "
                        "topol.tpr -o traj.gro)")
        raise ValueError(f"{path}: a {kind} trajectory holds positions only, without the "
                         "elements, molecules and charges the analyses need, and this command "
                         f"takes no separate topology; {instead}")
    if dump is None:
        return
    kind = POSITIONS_ONLY.get(Path(dump).suffix.lower())
    # an empty one is named as empty (check_trajectory_contents), not as another format
    if kind is None and Path(dump).stat().st_size and not _starts_like_a_dump(dump):
        kind = "not a LAMMPS text dump"
    elif kind is not None:
        kind = f"a {kind} trajectory, not a LAMMPS text dump"
    if kind is not None:
        raise ValueError(f"--dump {dump}: {kind} (one that begins with 'ITEM: TIMESTEP', "
                         "from LAMMPS' dump atom or dump custom with id type x y z); "
                         "convert it, or give one")


def _extxyz_recipe(path):
    """Python that writes the frames of the positions-only trajectory ``path`` with their
    elements, box and times as ``traj.extxyz``, through MDAnalysis and ASE.

    The advice was ``u.atoms.convert_to('ASE')``, a converter MDAnalysis does not have ("No
    'ASE' converter found"): the user who followed it met a second error.
    """
    return ("with MDAnalysis and ASE: u = MDAnalysis.Universe('topol.tpr', "
            f"{str(path)!r}); ase.io.write('traj.extxyz', [ase.Atoms(u.atoms.elements, "
            "u.atoms.positions, cell=u.dimensions, pbc=True, "
            "info={'time_ps': ts.time}) for ts in u.trajectory])")


def _starts_like_a_dump(path):
    """Whether the (possibly gzip- or bz2-compressed) file begins with ``ITEM: TIMESTEP``."""
    import bz2
    import gzip

    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(Path(path).suffix.lower(), open)
    try:
        with opener(path, "rb") as f:
            head = f.read(4096)
    except OSError as err:  # a damaged archive, unreadable: let the reader name it
        return not isinstance(err, (gzip.BadGzipFile,))
    first = head.lstrip().split(b"\n", 1)[0].strip()
    return first.startswith(b"ITEM:") and b"TIMESTEP" in first


#: Suffixes of trajectory files that are not LAMMPS data files (with --dump, a mistake).
_NOT_LAMMPS_DATA = (".extxyz", ".xyz", ".traj", ".h5", ".h5md", ".db", ".dcd", ".xtc")


def check_frames_file(path, flag, hint="an extxyz file or ASE database"):
    """A file of frames ase.io can read (by its name or first bytes), checked without reading it.

    Refuses an empty name, a missing file, a folder, an empty file and a format ase.io does not
    know, in one line naming ``flag``.
    """
    # a missing or empty file is refused before ase.io, which imports scipy (0.8 s)
    check_input_file(path, flag=flag)
    from ase.io.formats import UnknownFileTypeError, filetype, get_ioformat

    try:
        get_ioformat(filetype(str(path)))
    except UnknownFileTypeError as err:
        raise ValueError(f"{flag} {path}: not a frames file ase.io can read ({err}); give "
                         f"{hint}") from None


def add_model_args(p, required):
    p.add_argument(
        "--model",
        required=required,
        default=None,
        help="MLIP name or file (e.g. sevennet-0, chgnet-0.3.0, model.pth)",
    )
    p.add_argument(
        "--modal", default=None,
        help="fidelity of a multi-fidelity --model (sevennet-mf-0: PBE or R2SCAN; Kim et "
        "al. (2024))",
    )
    add_dispersion_arg(p, "none", "D3 dispersion (Grimme et al. 2010, 2011): none, d3-bj "
                       "(default cutoffs 50.2/20 Å), d3-zero, ...")
    add_device_arg(p)


def add_device_arg(p):
    """``--device``, read by :func:`device_word` (every subcommand's the same way)."""
    p.add_argument("--device", type=device_word, default="auto",
                   help="auto, cpu, cuda, cuda:N (any case)")


def add_dispersion_arg(p, default, help):
    """``--dispersion``, read by :func:`dispersion_word` (every subcommand's the same way)."""
    p.add_argument("--dispersion", type=dispersion_word, default=default, help=help)


def make_calculator(model, dispersion, device, modal=None):
    from ase_electrolyte import Calculator

    disp = None if dispersion in (None, "none", "") else dispersion
    options = {} if modal is None else {"modal": modal}
    return Calculator(model, dispersion=disp, device=device, **options)


def print_summary(summary, out, filename="summary.json", command=None):
    """Print each analysis' headline numbers with their errors and verdicts, then the report path.

    Headline numbers are the :class:`~ase_electrolyte.estimate.Estimate` values (or their
    dicts) at the top of an analysis' summary and one level down (per species); a number that is
    not valid is printed as ``NOT VALID`` with the reason, never as a result; deeper numbers are
    counted in one line, valid and not, with the kinds of reason (:func:`reason_counts`).
    Skipped, failed and refused analyses say why. With ``command`` (``"analyze"``,
    ``"demo"``: commands that run each analysis at its defaults), a Python keyword a reason
    advises is marked
    :data:`PYTHON_ONLY` and a last line says what that means (:func:`python_only`).
    """
    from ase_electrolyte.html_report import estimate_of, no_result_of
    from mda_electrolyte.report import INPUT_KEY

    marked = []

    def said(text):
        text = one_line(text)
        if command is None:
            return text
        text, found = python_only(text, ANALYSIS_COMMANDS.get(command))
        marked.append(found)
        return text

    for name, value in summary.items():
        if name == INPUT_KEY and isinstance(value, dict):
            # what was analysed, not an analysis
            frames = value.get("frames")
            print(f"  input: {shown_path(value.get('trajectory'))}"
                  + (f", {frames} frame{'s' * (frames != 1)}" if isinstance(frames, int) else "")
                  + (f" (NOTE: {one_line(value['note'])})" if "note" in value else ""))
            drift = estimate_of(value.get("energy_drift"))
            if drift is not None and not drift.valid:
                # the analyses of a run whose conserved energy drifts are of no ensemble
                print(f"    energy drift of the run: no result ({one_line(drift.verdict)})")
            _print_temperature_given(value)
        elif no_result_of(value) is not None:
            # the HTML report's reading: a reason beside results is not taken for no result
            kind, reason, _ = no_result_of(value)
            word = "FAILED" if kind == "failed" else kind
            print(f"  {one_line(name)}: {word} ({said(reason)})")
        else:
            lines = list(_headline_estimates(value))
            deeper = _deeper_estimates(value)
            # a reason beside numbers (no_result_of leaves it a result): said, never "done"
            reasons = [(k, value[k]) for k in ("failed", "refused", "skipped")
                       if isinstance(value, dict) and isinstance(value.get(k), str)]
            # a name or label of the user's (a species, a plan's label) with a line break in
            # it split a number's line in two
            name = one_line(name)
            print(f"  {name}:" if lines or deeper or reasons else f"  {name}: done")
            for kind, reason in reasons:
                print(f"    {'FAILED' if kind == 'failed' else kind}: {said(reason)}")
            for label, est in lines:
                # a number given (--temperature, a viscosity passed in) is no result, valid
                # or not: said as one
                shown = given_text(est) if is_setting(est) else format_estimate(est)
                print(f"    {one_line(label)}: {said(shown)}")
            if deeper:
                # too many to print (an RDF's peaks and minima of every pair), never hidden
                # a number given is neither a valid result nor one that is not
                given = sum(est.given for est in deeper)
                valid = sum(est.valid and not est.given for est in deeper)
                # a given number in doubt (a cutoff among overlapping atoms) is counted as
                # given, and said to be not valid: "3 given" alone hid it
                doubted = sum(est.given and not est.valid for est in deeper)
                # "15 not valid" alone sent a user to the JSON to learn why: the reasons'
                # kinds are counted here
                why = reason_counts([est for est in deeper if not (est.valid or est.given)])
                print(f"    {len(deeper)} more number{'s' * (len(deeper) != 1)} in {filename} "
                      f"({valid} valid, {len(deeper) - valid - given} not valid"
                      + (f": {why}" if why else "")
                      + (f"; {given} given" if given and why else f", {given} given" if given
                         else "")
                      + (f", {doubted} of them not valid: " + reason_counts(
                          [est for est in deeper if est.given and not est.valid])
                         if doubted else "") + ")")
    if any(marked):
        # the reasons advise keywords this command has no option for
        print(f"  {python_only_note(command)}")
    if gave_no_result(summary):
        # "report: run/summary.json" read as a report of results to a user and to a script
        # that takes the path from that line, where the file holds the reasons alone and the
        # command goes on to fail (exit status 2) for want of a result
        print(f"no result: the reasons alone are recorded in {shown_path(out / filename)}",
              flush=True)
    else:
        print(f"report: {shown_path(out / filename)}", flush=True)


#: Kinds of reason :func:`reason_counts` names; further kinds are counted together.
MAX_REASON_KINDS = 4

#: Characters of a note's leading label (``"too short"``, ``"counted with shell cutoffs from RDF
#: first minima that are not valid"``) read as its kind; a longer text before ``": "`` is the
#: reason's detail, not a label.
_MAX_LABEL = 80


def reason_counts(estimates):
    """``"81 too short, 22 no peak, 3 other"``: how many of ``estimates`` (not valid) have each
    kind of reason, most frequent first, the first :data:`MAX_REASON_KINDS` kinds by name.

    A note's kind is its leading label, the words before its first ``": "`` outside brackets
    (``"too short: 3.0 independent samples"`` is ``too short``); a component named in front
    (``"D of Li: not diffusive: ..."``, ``"σ: too short: ..."``: a label that does not begin
    with a lower-case letter) gives way to the label after it. A note without a
    label, and the kinds past the first few, are counted as ``other``. A number with several
    kinds of reason is counted under each, which the text then says. ``""`` for no estimates.
    """
    from collections import Counter

    counts = Counter()
    for est in estimates:
        # in the notes' order (not a set's, which varies between runs): kinds of equal count
        # are named in the order the analyses wrote them
        counts.update(dict.fromkeys([_reason_kind(note) for note in est.notes if note.strip()]
                                    or [None], 1))
    if not counts:
        return ""
    named = [(k, n) for k, n in counts.most_common() if k is not None]
    shown = named[:MAX_REASON_KINDS]
    # "other" counts numbers, each once, whose reasons are none of those named
    other = sum(1 for est in estimates
                if not {_reason_kind(n) for n in est.notes} & {k for k, _ in shown})
    parts = [f"{n} {one_line(k)}" for k, n in shown] + ([f"{other} other"] if other else [])
    several = sum(n for _, n in shown) + other > len(estimates)
    return ", ".join(parts) + ("; a number may have several reasons" if several else "")


def _reason_kind(note):
    """The kind of one note (its leading label, see :func:`reason_counts`), ``None`` if it has
    none."""
    labels, depth, start = [], 0, 0
    text = note.strip()
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith(": ", k):
            label = text[start:k].strip()
            # a detail holds a number ("the dip after the first peak at 2.71 Å"); a short
            # name in front ("D of PF6", "σ") may
            if not label or len(label) > _MAX_LABEL or (
                    len(label) > 12 and any(c.isdigit() for c in label)):
                break
            labels.append(label)
            start = k + 2
    # a kind is in words ("too short", "unit doubted: production.h5md: ..."); a component named
    # in front of it ("D of Li", "σ", "Li-O") is not
    return next((x for x in labels if "a" <= x[0] <= "z"), None)


def gave_no_result(summary):
    """``{name: kind}`` of the analyses of ``summary`` when none of them gave a result, else
    ``{}`` (one result of any verdict is a result; its verdict says whether it is one).

    A failure, refusal or skip is read as the HTML report reads it
    (:func:`~ase_electrolyte.html_report.no_result_of`: a reason beside numbers is a result's
    note), so that the terminal, the report and the exit status agree. A summary without
    analyses (none run) is ``{}``: none failed to give a result.
    """
    from ase_electrolyte.html_report import no_result_of
    from mda_electrolyte.report import INPUT_KEY

    outcome = {}
    for name, value in summary.items():
        if name == INPUT_KEY:
            continue
        found = no_result_of(value)
        if found is None:
            return {}
        outcome[name] = found[0]
    return outcome


def _deeper_estimates(section, depth=0):
    """The Estimates below the headline levels (two levels down and deeper), in order, and
    those under a :data:`_DETAIL_KEYS` key at any depth.

    The details were left out of the count as well as the lines: the terminal of a Green–Kubo
    conductivity said nothing of its Onsager parts (``parts``: collective and distinct
    contributions, each with its verdict) that ``summary.json`` holds.
    """
    found = []
    for key, value in _entries(section):
        if key in _DETAIL_KEYS and depth == 0:
            found += _deeper_estimates(value, 2)
            continue
        if _as_estimate(value) is not None:
            if depth >= 2:
                found.append(_as_estimate(value))
        elif _entries(value):
            found += _deeper_estimates(value, depth + 1)
    return found


#: Keys of an analysis' summary whose Estimates are details, not headline numbers.
_DETAIL_KEYS = ("parts",)


def _entries(obj):
    """``(key, value)`` pairs of a dict, or of a list, tuple, set or object array by position (an
    Estimate in a list is a number like one in a dict: never left out of the count)."""
    import numpy as np

    if isinstance(obj, dict):
        return list(obj.items())
    if isinstance(obj, np.ndarray) and obj.dtype == object:
        obj = obj.tolist()
    if isinstance(obj, (set, frozenset)):
        obj = sorted(obj, key=str)  # the order summary.json writes a set in
    if isinstance(obj, (list, tuple)):
        return list(enumerate(obj))
    return []


def _as_estimate(obj):
    from ase_electrolyte.html_report import estimate_of

    return estimate_of(obj)


def _headline_estimates(section):
    for key, value in _entries(section):
        if key in _DETAIL_KEYS:
            continue
        est = _as_estimate(value)
        if est is not None:
            yield (f"[{key}]" if isinstance(key, int) else key), est
        else:
            for sub, inner in _entries(value):
                est = _as_estimate(inner)
                if est is not None:
                    yield f"{key}[{sub}]", est


def is_setting(est):
    """Whether the Estimate ``est`` is a number given, not measured
    (:meth:`~ase_electrolyte.estimate.Estimate.given_value`: the temperature of ``electrolyte
    analyze --temperature`` the analyses divide by), which has no verdict of its own.

    Read from :attr:`~ase_electrolyte.estimate.Estimate.given` alone: an Estimate whose method
    text begins with ``"given"`` (a kinetic temperature "given (no samples recorded)") is no
    setting, and a setting's method may say anything. A dict without the ``given`` key (a
    summary written before the flag) is read by
    :meth:`~ase_electrolyte.estimate.Estimate.from_dict`'s older convention."""
    return est.given


def given_text(est):
    """The terminal's line of a number given (:func:`is_setting`): ``"300 K (a setting given,
    not a result)"``, with its error where one was given (``"1.00 ± 0.10 mPa·s (given, not a
    result)"``) and its verdict where it is not valid (``"2.6 Å (a setting given, not a
    result; NOT VALID: reason)"``)."""
    from ase_electrolyte.html_report import plain_number_text
    from mda_electrolyte.plotting import same_unit

    # "dimensionless" is "1" spelt out: "0.5 dimensionless" read as a unit's name
    unit = "" if same_unit(est.unit, "1") else f" {est.unit}"
    # a given number in doubt (a cutoff among overlapping atoms, a temperature in °C) was
    # printed as a plain setting, its verdict dropped, where the HTML report and str() say it
    doubt = "" if est.valid else f"; NOT VALID: {one_line(est.verdict)}"
    if est.stderr == 0:
        # as typed (12 digits): six read --temperature 298.1534 as "298.153 K"
        return f"{plain_number_text(est.value)}{unit} (a setting given, not a result{doubt})"
    return f"{est.number_text()}{unit} (given, not a result{doubt})"


def _print_temperature_given(record):
    """The settings of an input record (:func:`mda_electrolyte.report.given_temperature_record`):
    the temperature given, the run's own measured one with its error and verdict, and their
    comparison."""
    import numbers

    from ase_electrolyte.html_report import estimate_of, plain_number_text

    settings = record.get("settings")
    if not isinstance(settings, dict) or "temperature_K" not in settings:
        return
    given = settings["temperature_K"]
    est = estimate_of(given)
    if est is None and isinstance(given, numbers.Real) and not isinstance(given, bool):
        # the summary of an earlier version: the bare number
        from ase_electrolyte.estimate import Estimate

        est = Estimate.given_value(float(given), "K")
    if est is None:
        return
    # a temperature in doubt (25 for 25 °C) said so here, not only in the numbers divided by it
    doubt = "" if est.valid else f"; NOT VALID: {one_line(est.verdict)}"
    print(f"    setting: temperature {plain_number_text(est.value)} K (given, used as it is "
          f"by the analyses that divide by k_B T{doubt})")
    measured = estimate_of(record.get("run_temperature"))
    if measured is not None:
        print(f"    run's temperature: {format_estimate(measured)}")
    if isinstance(record.get("temperature_check"), str):
        print(f"    {one_line(record['temperature_check'])}")


def format_estimate(est):
    """``"1.020 ± 0.080 S/m (valid)"``, or ``"NOT VALID (reason)"`` without the number."""
    if not est.valid:
        return f"NOT VALID ({one_line(est.verdict)})"
    return str(est)


def one_line(err, paths=()):
    """``err``'s text in one line: each run of whitespace one space.

    Each of ``paths`` (a folder above one, a path below one: ``PATH/summary.json``) that the
    text names is shown as :func:`shown_path` shows it: a folder named with a newline or two
    spaces read as another folder once its whitespace was collapsed.
    """
    import re

    text = str(err)
    given = [name for name in map(_path_text, paths) if name]
    # the library names a file it resolved (a screen plan's experimental table beside the plan:
    # '/tmp/my  plans/exp.csv') by its absolute path, in which the name given ('my  plans')
    # was quoted alone: "/tmp/'my  plans/exp.csv'"
    given += [full for name in given for full in _absolute_forms(name)]
    # a message may name a folder above a path given (the output's parent that is no folder)
    names = {str(up) for name in given
             for up in (Path(name), *Path(name).parents)} | set(given)
    odd = sorted((name for name in names if name and shown_path(name) != name),
                 key=len, reverse=True)
    if not odd:
        return " ".join(text.split())
    # a path named in the text, with the names below it (up to a space or punctuation); a
    # name that starts with a blank is one where the blank comes on top of the space before
    # it: " sevennet-0" is not the name in "registered names: sevennet-0"
    pattern = "|".join((r"(?:(?<=\s)|^)" if name[0].isspace() else "") + re.escape(name)
                       + r"(?:/[^\s/,;:'\"()]+)*" for name in odd)
    parts = re.split(f"({pattern})", text)
    for k in range(0, len(parts), 2):
        parts[k] = re.sub(r"\s+", " ", parts[k])
    for k in range(1, len(parts), 2):
        if parts[k - 1][-1:] in ("'", '"') and parts[k + 1][:1] == parts[k - 1][-1]:
            # quoted by the library already ("unknown model ' sevennet-0'"): quoted again it
            # read "'' sevennet-0''"
            continue
        base = next(name for name in odd if parts[k].startswith(name))
        below = parts[k][len(base):]
        kept = below.rstrip(".")  # a full stop after the path ends the sentence
        parts[k] = repr(base + kept)
        parts[k + 1] = below[len(kept):] + parts[k + 1]
    return "".join(parts).strip()


def _absolute_forms(name):
    """The absolute and the resolved form of the path ``name`` (none that cannot be made: a
    word with a NUL character, which the line naming it is still to be printed)."""
    import os

    try:
        return [os.path.abspath(name), os.path.realpath(name)]
    except (ValueError, OSError):
        return []


def shown_path(path):
    """``path`` as a terminal line shows it: as it is, or quoted as a Python string literal
    (``'/tmp/a\\nb'``) when it holds a control character or whitespace other than single
    spaces between the words of a name, which a line would break at, :func:`one_line` collapse,
    or a reader take for the space between words."""
    text = _path_text(path)
    # a space at either end of a name reads as the space between words ("/data/ run")
    if text.isprintable() and all(" ".join(part.split()) == part for part in text.split("/")):
        return text
    return repr(text)


def _path_text(path):
    import os

    try:
        return os.fsdecode(path)
    except TypeError:  # not a path (None, a number): its text
        return str(path)


def argument_paths(args):
    """The words of a parsed command line (its paths among them) that a message may name."""
    words = []
    for value in vars(args).values():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, (str, Path)):
                words.append(item)
    return words


#: The modules whose classes and functions the analyses of ``analyze`` and ``demo`` call, with
#: the keywords their messages advise (``use fewer n_blocks``, ``give cutoffs=``).
_ANALYSIS_MODULES = ("rdf", "solvation", "shell_cutoffs", "conductivity", "diffusion",
                     "viscosity", "density", "volume_scan", "intra_inter_errors", "carriers",
                     "correlation", "onsager", "ion_collection", "uncertainty", "observables")

#: Marks an analysis keyword in the terminal lines of a command that has no option for it.
PYTHON_ONLY = "(Python only)"


def analysis_keywords():
    """The keyword arguments of the public functions of the analysis modules and of their
    public classes' constructors and ``run`` methods (the frame selection ``start``, ``stop``,
    ``step``, ``frames``).

    Their messages advise them (``use fewer n_blocks or longer runs``, ``give cutoffs=``);
    ``electrolyte analyze`` and ``demo`` run each analysis at its defaults and have no option
    for any of them. Read from the modules' source with :mod:`ast` (:func:`source_keywords`),
    not by importing them: a one-line refusal that quotes a word with an underscore imported
    MDAnalysis, SciPy and every analysis (seconds) before it was printed.
    """
    if not _KEYWORDS:
        modules = [f"mda_electrolyte.{short}" for short in _ANALYSIS_MODULES]
        try:
            _KEYWORDS.append(source_keywords(modules))
        except ValueError:
            # an install without the sources (byte code only): the modules imported
            _KEYWORDS.append(_imported_keywords(modules))
    return _KEYWORDS[0]


def _imported_keywords(modules):
    """:func:`source_keywords` read from the imported modules with :mod:`inspect`."""
    import importlib
    import inspect

    names = set()
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            funcs = ([obj.__init__, getattr(obj, "run", None)] if inspect.isclass(obj)
                     else [obj])
            names.update(p.name for func in funcs if inspect.isfunction(func)
                         for p in inspect.signature(func).parameters.values()
                         if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                         and p.name != "self")
    return frozenset(names)


def source_keywords(modules):
    """The keywords :func:`analysis_keywords` reads, of the modules named ``modules``, from
    their source.

    Returns
    -------
    frozenset of str
    """
    names = set()
    for module_name in modules:
        module = _ModuleSource.of(module_name)
        if module is None:
            raise ValueError(f"{module_name}: no Python source file to read keywords from")
        for name, node in module.defined.items():
            if name.startswith("_"):
                continue
            if isinstance(node, ast.ClassDef):
                # an analysis class' run() too, inherited from AnalysisBase: its frame
                # selection (start, stop, step, frames) and parallel options, which a refusal
                # quotes; "stop=None" was left unmarked between a marked "start=None" and
                # "step=None" (start and step are keywords elsewhere)
                for method in ("__init__", "run"):
                    names.update(module.method_keywords(node, method) or ())
            else:
                names.update(_keywords_of(node))
    return frozenset(names)


def _keywords_of(function):
    """The parameters of a ``def`` that a call may name (neither positional-only nor ``self``,
    ``*args`` or ``**kwargs``)."""
    args = function.args
    return {a.arg for a in args.args + args.kwonlyargs if a.arg != "self"}


class _ModuleSource:
    """A module's top-level functions and classes, read from its source file with :mod:`ast`
    without importing it (nor its package), and the names it imports (to follow a class' bases
    into the modules that define them, MDAnalysis' ``AnalysisBase`` among them)."""

    _read = {}

    @classmethod
    def of(cls, name):
        """The module ``name``'s source, or ``None`` where it has no Python source file."""
        if name not in cls._read:
            path = _source_file(name)
            cls._read[name] = None if path is None else cls(name, path)
        return cls._read[name]

    def __init__(self, name, path):
        self.name = name
        self.package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self.defined = {}  # name -> FunctionDef or ClassDef (the last binding)
        self.imported = {}  # name -> (module, attribute or None for the module itself)
        self._walk(ast.parse(path.read_bytes(), filename=str(path)).body)

    def _walk(self, body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defined[node.name] = node
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node)
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (base, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imported[alias.asname] = (alias.name, None)
            elif isinstance(node, (ast.If, ast.Try)):
                # a definition under a guard: that of the path an import takes as a rule
                # (try's body and else, an if's body) is read last, and kept
                if isinstance(node, ast.If):
                    blocks = (node.orelse, node.body)
                else:
                    blocks = (*(h.body for h in node.handlers), node.body, node.orelse,
                              node.finalbody)
                for block in blocks:
                    self._walk(block)

    def _absolute(self, node):
        if not node.level:
            return node.module
        parts = self.package.split(".")
        base = ".".join(parts[:len(parts) - node.level + 1])
        return f"{base}.{node.module}" if node.module else base

    def resolve(self, expression, depth=0):
        """The (module, ClassDef) an expression of this module names, else ``None``."""
        if depth > 20:
            return None
        if isinstance(expression, ast.Name):
            name = expression.id
            if isinstance(self.defined.get(name), ast.ClassDef):
                return self, self.defined[name]
            if name in self.imported:
                module, attribute = self.imported[name]
                return _resolve_in(module, attribute, depth)
        elif isinstance(expression, ast.Attribute) and isinstance(expression.value, ast.Name):
            module, attribute = self.imported.get(expression.value.id, (None, None))
            if module is not None:
                # "from MDAnalysis.analysis import base" then "base.AnalysisBase"
                return _resolve_in(module if attribute is None else f"{module}.{attribute}",
                                   expression.attr, depth)
        return None

    def method_keywords(self, node, method, depth=0):
        """The keywords of ``method`` of class ``node`` as :func:`inspect.signature` reads
        them, the method inherited along the bases (first base first) or made by
        ``@dataclass``; ``None`` where no base read here defines it (``object``'s)."""
        defs = [item for item in node.body if item.__class__ in (
            ast.FunctionDef, ast.AsyncFunctionDef) and item.name == method]
        if defs:
            return _keywords_of(defs[-1])  # the last binding, as the class keeps it
        if method == "__init__" and _is_dataclass(node):
            return {item.target.id for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                    and "ClassVar" not in ast.unparse(item.annotation)
                    and not _init_false(item.value)}
        for base in node.bases:
            resolved = self.resolve(base, depth + 1)
            if resolved is not None:
                found = resolved[0].method_keywords(resolved[1], method, depth + 1)
                if found is not None:
                    return found
        return None


def _resolve_in(module, attribute, depth):
    source = _ModuleSource.of(module)
    if source is None or attribute is None:
        return None
    return source.resolve(ast.Name(attribute), depth + 1)


def _is_dataclass(node):
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "dataclass":
            return not (call and any(k.arg == "init" and isinstance(k.value, ast.Constant)
                                     and k.value.value is False for k in call.keywords))
    return False


def _init_false(value):
    """Whether a dataclass field's default is ``field(init=False)``."""
    return (isinstance(value, ast.Call) and any(
        k.arg == "init" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in value.keywords))


def _source_file(name):
    """The source file of module ``name``, found without importing it nor its packages
    (:func:`importlib.util.find_spec` of ``a.b`` imports ``a``), else ``None``."""
    import importlib.util

    top, _, rest = name.partition(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if not rest:
        return Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else None
    for location in spec.submodule_search_locations or ():
        path = Path(location, *rest.split("."))
        for candidate in (path.with_suffix(".py"), path / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


_KEYWORDS = []


#: The commands that run the analyses at their defaults, with the analysis keywords each does
#: have an option for (``analyze --dt``).
ANALYSIS_COMMANDS = {"analyze": {"dt": "--dt", "temperature": "--temperature",
                                  "constraints": "--constraints"}, "demo": {}}


def python_only(text, options=None, keywords=None):
    """``text`` with each analysis keyword it advises marked :data:`PYTHON_ONLY`, and whether
    any was.

    The analyses' refusals and verdicts advise their Python keywords (``use fewer n_blocks``,
    ``use a longer max_lag``, ``give cutoffs=``): in the terminal of a command that has no such
    option the advice read as something to type. Marked: a keyword with ``=`` (Python syntax)
    and a keyword with an underscore (``n_blocks``, ``fit_window``), not inside a file name or
    an option; a plain English word (``frames``, ``cutoffs``) is never taken for one.
    ``options`` (keyword → option) names the keywords the command does have, which are left
    as they are. ``keywords``: the Python names to mark, default :func:`analysis_keywords`
    (``electrolyte simulate`` gives the box builder's, :func:`builder_keywords`).

    Returns
    -------
    tuple of (str, bool)
    """
    import re

    if keywords is None and not _could_be_keywords(text):
        # no word that could be a keyword (">= 0", a path's "electrolyte_demo"): the analysis
        # modules (MDAnalysis, seconds) are not imported to say a one-line refusal
        return text, False
    options = options or {}
    marked = re.escape(PYTHON_ONLY)
    found = False
    names = analysis_keywords() if keywords is None else set(keywords)
    for name in sorted(names - set(options), key=len, reverse=True):
        key = re.escape(name)
        # once: a text marked already (a verdict quoted in a refusal) is not marked again
        # the value whole, never a part of it: a dict, tuple or list written after "=" holds
        # spaces and commas ("cutoffs={name: value}" was marked inside its braces), and a
        # value marked already was marked again after its "=" ("n_blocks= (Python only)4")
        value = rf"(?:{_BRACKETED}|(?![{{(\[])[^\s,;)]*(?![^\s,;)]))"
        patterns = [rf"(?<![\w.'\"-])({key}={value})(?!\s*{marked})"]
        if "_" in name:
            # a call quoted whole, its arguments two brackets deep ("replicate_box(atoms,
            # (2, 2, 2))" was marked between the name and its arguments), then the bare name
            patterns.append(rf"(?<![\w./'\"-])({key}\((?:[^()]|\([^()]*\))*\))"
                            rf"(?!\s*{marked})")
            patterns.append(rf"(?<![\w./'\"-])({key})(?![\w=./(-])(?!\s*{marked})")
        for pattern in patterns:
            text, count = re.subn(pattern, rf"\1 {PYTHON_ONLY}", text)
            found = found or count > 0
    return text, found


# a value in brackets after a keyword's "=", one level deep: {...}, (...) or [...]
_BRACKETED = r"\{[^{}]*\}|\([^()]*\)|\[[^\[\]]*\]"

#: A word that :func:`python_only` could mark: ``name=`` or a name with an underscore, not
#: inside a path or an option, nor right after a quote (a value the message quotes: the user's
#: own ``--only nosuch_name`` was marked as advice) (the lookarounds of its patterns).
_KEYWORD_LIKE = re.compile(r"(?<![\w.'\"-])[A-Za-z_]\w*=|(?<![\w./'\"-])\w*_\w*(?![\w=./-])")


def _could_be_keywords(text):
    """Whether ``text`` holds a word :func:`python_only` could mark, other than the names of
    the analyses (``intra_inter_rdf``: what ``--only`` takes, no keyword), which a refusal of
    ``--only`` lists and which are read without importing the analyses."""
    words = {match.group() for match in _KEYWORD_LIKE.finditer(text)}
    if not words or any(word.endswith("=") for word in words):
        return bool(words)
    from mda_electrolyte.report import declared_analyses

    return bool(words - set(declared_analyses()))


def builder_keywords():
    """The keywords of :func:`ase_electrolyte.build.electrolyte_box` and the names of the
    builder's functions its advice quotes (``replicate_box``): Python, which ``electrolyte
    simulate`` has an option for only where :data:`electrolyte_cli.simulate.BOX_OPTIONS`
    says so."""
    import inspect

    from ase_electrolyte import build

    return set(inspect.signature(build.electrolyte_box).parameters) | {
        name for name in build.__all__ if "_" in name and callable(getattr(build, name))}


def python_only_note(command):
    """What :data:`PYTHON_ONLY` means in the terminal of ``command``."""
    return (f"{PYTHON_ONLY}: a keyword of the analysis in Python (mda_electrolyte), not an "
            f"option of electrolyte {command}, which runs each analysis at its defaults: "
            "analyse a longer trajectory, or run that analysis from Python with it")
