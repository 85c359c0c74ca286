"""Files replaced whole or not at all.

A report, summary or table written in place is truncated when the disk fills, a file-size limit
is reached or the process is killed midway; a rerun that fails that way would also destroy the
previous, complete file. Every file the packages write in one go (JSON, HTML, CSV, PNG, YAML,
NPZ) goes through :func:`atomic_path`: it is written to a temporary file beside its target and
renamed over it once complete (``os.replace`` is atomic on POSIX file systems), and the temporary
file is removed when the write fails. Readers see the old file or the new one, never half of one.

Trajectories grow frame by frame and stay readable up to their last flushed frame
(:mod:`ase_electrolyte.trajectory`); only a new one goes through :func:`atomic_path`, kept open
until its first frame, which renames it over its name (a file of no frame is none that
MDAnalysis can open).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import math
import os
import stat
import threading
from pathlib import Path

__all__ = ["atomic_path", "write_text_atomic", "write_json_atomic", "save_figure",
           "check_output_path", "is_read_only", "temporaries_of"]

# a name longer than this is refused by common file systems (ext4, xfs, btrfs, tmpfs)
_NAME_MAX = 255
# several atomic_path blocks of one thread may be open for the same target (nested writers)
_SERIAL = itertools.count()


def is_read_only(path):
    """Whether ``path`` is an existing file this process may not write (``os.access``: for
    root every file is writable, as for its own writes).

    Replacing a file by a rename, or removing it, needs only its folder's permission; the
    writers here and the command line's reruns refuse a target for which this is true, so that
    a file its owner protected (``chmod a-w``) is never replaced or removed.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> from ase_electrolyte.atomic_file import is_read_only
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "summary.json"
    >>> is_read_only(target)  # nothing there yet
    False
    """
    return os.path.exists(path) and not os.access(path, os.W_OK)


def _temporary_name(path):
    tag = f".{os.getpid()}-{threading.get_ident()}-{next(_SERIAL)}.part{path.suffix}"
    stem = path.stem
    # the target's own name may be near the limit: shorten the stem, never the unique tag
    room = _NAME_MAX - len(tag) - 1
    encoded = stem.encode()
    if len(encoded) > room:
        # with a digest of the whole stem: two long names that share their start would
        # otherwise share a shortened stem, and a writer clearing its own killed writers'
        # temporaries (temporaries_of) could take another name's for one of them
        mark = _long_stem_mark(stem)
        stem = encoded[: max(room - len(mark), 0)].decode(errors="ignore") + mark
    return path.with_name(f".{stem}{tag}")


def _long_stem_mark(stem):
    """``~`` and a digest of ``stem``: the end of a shortened stem of a temporary name."""
    import hashlib

    return "~" + hashlib.sha256(stem.encode(errors="surrogateescape")).hexdigest()[:16]


def temporaries_of(path):
    """The temporary files of :func:`atomic_path` for ``path`` that exist in its folder.

    For a writer that holds ``path``'s claim (:class:`~ase_electrolyte.writer_lock.WriterLock`):
    no other writer of it runs, so each of them was left by one that was killed. A long name's
    temporaries carry a shortened stem ending in a digest of the whole one, whose length
    depends on the writer's process and thread numbers: a pattern of the whole stem missed
    them, and a killed writer's file of a trajectory named with over ~200 bytes stayed for
    good.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    list of pathlib.Path
        In name order; empty when the folder cannot be listed.
    """
    import re

    path = Path(os.fspath(path))
    pattern = re.compile(rf"\.(?P<stem>.*)\.\d+-\d+-\d+\.part{re.escape(path.suffix)}")
    whole = path.stem
    mark = _long_stem_mark(whole)
    try:
        names = sorted(os.listdir(path.parent))
    except OSError:
        return []
    found = []
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        stem = match["stem"]
        if stem == whole or (stem.endswith(mark)
                             and whole.startswith(stem[: len(stem) - len(mark)])):
            found.append(path.parent / name)
    return found


def broken_link(path):
    """``"loops"`` or ``"dangling"`` for a symbolic link at ``path`` that does not resolve
    (a loop, or a target that does not exist), else ``None``.

    The one test of both the library's output paths (:func:`check_output_path`) and the
    command line's inputs and outputs; each words its own message.
    """
    import errno

    path = Path(os.fspath(path))
    if not path.is_symlink() or path.exists():
        return None
    try:
        os.stat(path)
    except OSError as err:
        return "loops" if err.errno == errno.ELOOP else "dangling"
    return None


def check_output_path(path, what, *, folder=False):
    """``path`` as a :class:`~pathlib.Path`, if a file (or a folder) can be made there.

    The checks an output path gets before the work that fills it: a file must not be an
    existing folder, a folder not an existing file, and no part of the path may be a file (the
    missing folders are made when writing).

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        What ``path`` is, for the message (e.g. ``"trajectory"``, ``"output folder"``).
    folder : bool
        Whether ``path`` is a folder to create or reuse (else a file).

    Raises
    ------
    TypeError
        ``path`` is no path (None, a number, a flag, ...), named by ``what``.
    ValueError
        Naming ``what``, ``path`` and the problem; also an empty path (``""``: the current
        folder by accident), a symbolic link that loops, or a link to a folder that does not
        exist (a link to a missing *file* is written through).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ase_electrolyte.atomic_file import check_output_path
    >>> notes = pathlib.Path(tempfile.mkdtemp()) / "notes"
    >>> _ = notes.write_text("x")
    >>> check_output_path(notes / "run.h5md", "trajectory")
    Traceback (most recent call last):
    ...
    ValueError: trajectory .../notes/run.h5md: .../notes is a file, not a folder
    """
    path = _path_given(path, what)
    # a link whose target is missing, or that loops: mkdir and open failed with
    # FileExistsError or ELOOP, naming neither the link nor its target
    problem = broken_link(path)
    if problem == "loops":
        raise ValueError(
            f"{what} {path} is a symbolic link that loops ({os.readlink(path)}); point it "
            "at a real place or remove it"
        )
    if problem == "dangling":
        if folder:
            raise ValueError(
                f"{what} {path} is a symbolic link to {os.readlink(path)}, which does not "
                "exist: create that folder or give another"
            )
        if not Path(os.path.realpath(path)).parent.is_dir():
            raise ValueError(
                f"{what} {path} is a symbolic link to {os.readlink(path)}, whose folder does "
                "not exist: create it or give another path"
            )
    if folder and path.exists() and not path.is_dir():
        raise ValueError(f"{what} {path} is a file; give a folder")
    if not folder and path.is_dir():
        raise ValueError(f"{what} {path} is a folder; give a file name")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{what} {path}: {parent} is a file, not a folder")
            break
    return path


def _path_given(path, what):
    """``path`` as a :class:`~pathlib.Path`, or TypeError / ValueError naming ``what``: no
    path (None, a number, a flag), an empty one, or one with a NUL character."""
    # os.fspath's "expected str, bytes or os.PathLike object, not NoneType" named no argument
    if not isinstance(path, str | bytes | os.PathLike):
        raise TypeError(f"{what} must be a path (str or os.PathLike), not "
                        f"{type(path).__name__} {path!r:.60}")
    text = os.fsdecode(os.fspath(path))
    # Path("") is ".": an empty name wrote into (or over) the current folder
    if not text.strip():
        raise ValueError(f"{what} path is empty ({text!r}); give a file or folder name")
    if "\0" in text:
        raise ValueError(f"{what} path {text!r} holds a NUL character, which no file name "
                         "can hold")
    return Path(text)


def _target(path):
    """The file to replace: a symlink is written through (its target is replaced, not the link)."""
    path = Path(os.fsdecode(os.fspath(path)))
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a file that can be written")
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path.name}: folder {folder} does not exist")
    return path


@contextlib.contextmanager
def atomic_path(path):
    """A temporary path beside ``path`` that replaces ``path`` when the block ends without error.

    The temporary name keeps the suffix of ``path``, so that writers which infer the format from
    it (``Figure.savefig``, ``DataFrame.to_csv``, ``numpy.savez``) write the same format. It is
    hidden (a leading dot) and unique to the process, the thread and the block. Its contents are
    flushed to disk before the rename and the folder after it (a rename
    the folder's blocks have not recorded is lost in a power cut), and an existing target's
    permissions are kept. A symlink
    ``path`` is written through: the file it points to is replaced.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace; its folder must exist.

    Yields
    ------
    pathlib.Path
        Where to write.

    Raises
    ------
    TypeError
        ``path`` is no path (None, a number, a flag).
    ValueError
        ``path`` is empty or holds a NUL character.
    IsADirectoryError
        ``path`` is a folder (raised before the block runs).
    FileNotFoundError
        The folder of ``path`` does not exist (before the block runs), or the block wrote
        nothing to the temporary path.
    PermissionError
        ``path`` exists and is read-only (raised before the block runs): the rename would
        replace it although an open for writing is refused.
    OSError
        From the write or the rename (e.g. ``ENOSPC``, ``EFBIG``); ``path`` is then unchanged
        and the temporary file is gone.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ase_electrolyte.atomic_file import atomic_path
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("a,b\\n1,2\\n")
    >>> target.read_text()
    'a,b\\n1,2\\n'
    """
    path = _target(_path_given(path, "the output file"))
    if is_read_only(path):
        # the rename needs only the folder's permission: a file its owner made read-only (a
        # finished run's summary, a trajectory) was replaced where a plain open is refused
        raise PermissionError(
            errno.EACCES,
            f"{path} is read-only: not replaced (the file is unchanged); give it write "
            "permission (chmod u+w) or write to another path",
        )
    tmp = _temporary_name(path)
    try:
        yield tmp
        if not tmp.is_file():
            raise FileNotFoundError(f"nothing was written for {path}: no file at {tmp.name}")
        with open(tmp, "rb") as fh:
            # a crash of the machine after the rename must not publish empty or partial contents
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError) and err.errno is not None and err.filename is None:
            # writers that hold a file object (PIL's PNG, h5py) raise "[Errno 28] No space
            # left on device" naming no file: name the one that was not written
            raise _naming(err, path) from err
        raise
    # after the replace, outside the clean-up above: the new file is in place and whole
    _sync_folder(path.parent)


#: errno values of a folder that cannot be synced at all (a file system or platform without
#: directory fsync): nothing to warn about, the rename is as durable as that system makes it
_FOLDER_SYNC_UNSUPPORTED = frozenset(
    getattr(errno, name) for name in ("EINVAL", "ENOTSUP", "EOPNOTSUPP", "EBADF", "EISDIR",
                                      "EACCES", "EPERM", "ENOSYS", "EROFS")
    if hasattr(errno, name)
)


def _sync_folder(folder):
    """Flush ``folder``'s entries to disk, so that a rename into it survives a power cut.

    ``os.replace`` changes the folder, not the file: until the folder's own blocks reach the
    disk, a crash of the machine may bring back the old name (or none) although the new file's
    contents were synced. POSIX asks for an ``fsync`` of the folder; where the platform cannot
    open a folder (Windows) or the file system does not sync one (``EINVAL``), nothing is done.

    Parameters
    ----------
    folder : str or os.PathLike

    Returns
    -------
    bool
        Whether the folder was synced.

    Warns
    -----
    RuntimeWarning
        The sync failed for another reason (``EIO``: the disk reported an error): the file is
        in place and readable now, but its name may not survive a crash of the machine.
    """
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError as err:
        if err.errno in _FOLDER_SYNC_UNSUPPORTED:
            return False
        _warn_unsynced(folder, err)
        return False
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in _FOLDER_SYNC_UNSUPPORTED:
            _warn_unsynced(folder, err)
        return False
    finally:
        os.close(fd)
    return True


def _warn_unsynced(folder, err):
    import warnings

    warnings.warn(
        f"the folder {folder} could not be flushed to disk after a file was renamed into it "
        f"({err.strerror or err}): the file is in place, but a crash of the machine may lose "
        "the new name", RuntimeWarning, stacklevel=3,
    )


def _naming(err, path):
    """``err`` (an OSError without a file name) again, naming ``path``."""
    try:
        return type(err)(err.errno, err.strerror or os.strerror(err.errno), os.fspath(path))
    except Exception:  # noqa: BLE001 - a subclass with another signature: keep the original
        return err


def write_text_atomic(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` through :func:`atomic_path`.

    Parameters
    ----------
    path : str or os.PathLike
    text : str
    encoding : str
        A codec name Python knows (``"utf-8"``, ``"ascii"``, ``"latin-1"``, ...).

    Returns
    -------
    pathlib.Path
        The file written (the target of ``path`` if it is a symlink).

    Raises
    ------
    TypeError
        ``text`` or ``encoding`` is not a str.
    ValueError
        An encoding Python does not know, or ``text`` holds a character ``encoding`` cannot
        write (named with its position); the text is encoded before any file is touched.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a codec name (str), not {type(encoding).__name__}")
    # encoded first: a UnicodeEncodeError from inside write_text named neither the file nor
    # the argument
    try:
        data = text.encode(encoding)
    except LookupError:
        raise ValueError(f"{os.fspath(path)}: unknown encoding {encoding!r}; give a codec "
                         "name such as 'utf-8'; the file is unchanged") from None
    except UnicodeEncodeError as err:
        raise ValueError(
            f"{os.fspath(path)}: the text cannot be written as {encoding}: "
            f"{err.object[err.start:err.end]!r} at character {err.start} ({err.reason}); "
            "give encoding='utf-8' or leave the character out; the file is unchanged"
        ) from None
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return _target(path)


def write_json_atomic(path, data, **dumps_options):
    """Serialise ``data`` with :func:`json.dumps`, then write it through :func:`atomic_path`.

    The serialisation runs first: data that cannot be serialised, or that hold a NaN or
    infinite number (not JSON), raise before any file is touched, naming the file and the key.

    What NumPy, :mod:`pathlib` and the packages' analyses put in a summary is written as
    JSON reads it back: a NumPy number as the Python number it holds, an array as (nested)
    lists, a path as its text, an :class:`~ase_electrolyte.estimate.Estimate` as its
    :meth:`~ase_electrolyte.estimate.Estimate.to_dict` (value, error and verdict: never its
    bare value), a tuple or set as a list (a set sorted), and NumPy numbers or paths as keys as
    text. Anything else goes to ``default`` if one is given.

    Parameters
    ----------
    path : str or os.PathLike
    data : object
        JSON-serialisable, or made of the types above (with ``default`` among
        ``dumps_options`` for others).
    **dumps_options
        Passed to :func:`json.dumps` (``indent``, ``default``, ``sort_keys``, ...).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        A value (or key) of a type JSON cannot hold and ``default`` does not convert; the file
        and the key path (``a.b[2]``) are named, and the file is unchanged.
    ValueError
        A NaN or infinite number outside an Estimate (JSON has none; named as above), or data
        that contain themselves.
    """
    # NaN and inf are no JSON (json.dumps would write the bare tokens NaN/Infinity that strict
    # readers reject); a number that is not one belongs in an invalid Estimate, which writes
    # null, so a bare one is a defect upstream: refused before the file is touched
    dumps_options.setdefault("allow_nan", False)
    default = dumps_options.pop("default", None)
    # converted up front rather than through json's ``default`` hook: the hook is not called
    # for keys, and its TypeError names neither the file nor where in the data the value sits
    plain = _json_ready(data, "", default, path, set())
    try:
        text = json.dumps(plain, **dumps_options)
    except ValueError as err:
        where = _first_non_finite(plain)
        raise ValueError(f"{path}: {err}: {where or 'the data'} is a NaN or infinite number "
                         "outside an Estimate") from None
    return write_text_atomic(path, text)


_JSON_SCALARS = (str, int, float, bool, type(None))


def _json_key(key, where, path):
    """``key`` as the text JSON writes for it (json's own ``True`` -> ``"true"``, ``3`` ->
    ``"3"``), so that ``sort_keys`` can order keys of mixed types."""
    if isinstance(key, str):
        return key
    import sys

    np = sys.modules.get("numpy")
    if np is not None and isinstance(key, np.number | np.bool_):
        key = key.item()
    if isinstance(key, _JSON_SCALARS):
        return json.dumps(key)
    if isinstance(key, os.PathLike):
        return os.fspath(key)
    raise TypeError(
        f"{path}: the key {key!r} of {where or 'the data'} is a {type(key).__name__}, which "
        "JSON cannot hold as a key (keys are text or numbers): convert it to str; the file "
        "is unchanged")


def _json_ready(value, where, default, path, open_ids):
    """``value`` as plain JSON types (dict, list, str, int, float, bool, None)."""
    import sys

    if isinstance(value, _JSON_SCALARS):
        return value
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.number | np.bool_):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    from .estimate import Estimate

    if isinstance(value, Estimate):
        return value.to_dict()
    if isinstance(value, dict | list | tuple | set | frozenset) or (
            np is not None and isinstance(value, np.ndarray)):
        if id(value) in open_ids:
            raise ValueError(f"{path}: {where or 'the data'} is a container that holds "
                             "itself (a loop, no JSON form); the file is unchanged")
        identity = id(value)
        open_ids.add(identity)
        try:
            if isinstance(value, dict):
                out = {}
                for key, item in value.items():
                    name = _json_key(key, where, path)
                    out[name] = _json_ready(item, f"{where}.{name}".lstrip("."), default,
                                            path, open_ids)
                return out
            if isinstance(value, set | frozenset):
                try:
                    value = sorted(value)
                except TypeError:
                    value = list(value)
            elif np is not None and isinstance(value, np.ndarray):
                # tolist keeps an object array's Estimates (an Estimate there was written as
                # its bare float value); a 0-d array is its one number
                value = value.tolist()
                if not isinstance(value, list):
                    return _json_ready(value, where, default, path, open_ids)
            return [_json_ready(item, f"{where}[{i}]", default, path, open_ids)
                    for i, item in enumerate(value)]
        finally:
            open_ids.discard(identity)
    kind = f"{type(value).__module__}.{type(value).__qualname__}".removeprefix("builtins.")
    if default is not None:
        try:
            converted = default(value)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{path}: {where or 'the data'} is of type {kind}, which default= "
                            f"could not convert ({err}); the file is unchanged") from None
        if converted is not value:
            return _json_ready(converted, where, None, path, open_ids)
    raise TypeError(
        f"{path}: {where or 'the data'} is of type {kind}: Object of type {type(value).__name__} "
        "is not JSON serializable; convert it to numbers, text, lists or dicts (or pass "
        "default=); the file is unchanged")


def _first_non_finite(data, where=""):
    """Key path (``a.b[2]``) of the first NaN or infinite float in nested dicts and lists."""
    if isinstance(data, float) and not math.isfinite(data):
        return where
    items = (data.items() if isinstance(data, dict)
             else enumerate(data) if isinstance(data, (list, tuple)) else ())
    for key, value in items:
        found = _first_non_finite(
            value, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}".lstrip("."))
        if found:
            return found
    return None


def save_figure(figure, path, **savefig_options):
    """``figure.savefig`` through :func:`atomic_path`, then close the figure (also on failure).

    The format follows the suffix of ``path`` (``.png``, ``.pdf``, ...), as with
    :meth:`matplotlib.figure.Figure.savefig`; pyplot would otherwise keep a figure whose save
    failed open for the rest of the process.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    path : str or os.PathLike
    **savefig_options
        Passed to ``savefig`` (``dpi``, ``bbox_inches``, ...).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        ``path`` has no suffix, or one matplotlib writes no figure as, and no ``format`` is
        given; or a ``dpi`` that is neither a finite number > 0 nor ``"figure"``: nothing is
        written.
    """
    try:
        if savefig_options.get("format") is None:
            _check_figure_suffix(figure, path)
        dpi = savefig_options.get("dpi")
        if dpi is not None and not (isinstance(dpi, str) and dpi == "figure"):
            from .atoms_checks import check_number

            # NaN reached matplotlib as "cannot convert float NaN to integer", 0 or less an
            # image of no pixels, naming neither the option nor the file
            try:
                savefig_options["dpi"] = check_number("dpi", dpi, above=0)
            except ValueError as err:
                raise ValueError(f"{os.fspath(path)}: {err} (or 'figure'); nothing "
                                 "was written") from None
            _check_raster_size(figure, path, savefig_options)
        with atomic_path(path) as tmp:
            figure.savefig(tmp, **savefig_options)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)
    return _target(path)


#: Bytes of the RGBA canvas a raster figure may take (2 GiB): dpi=1e6 on a 1-inch figure
#: asked Agg for 4 TB and failed with MemoryError "std::bad_alloc", naming nothing.
_MAX_RASTER_BYTES = 2 * 1024**3

_VECTOR_FORMATS = ("pdf", "svg", "svgz", "eps", "ps", "pgf")


def _check_raster_size(figure, path, options):
    """Refuse a raster figure whose canvas at ``options["dpi"]`` exceeds
    ``_MAX_RASTER_BYTES``, before matplotlib allocates it."""
    fmt = options.get("format") or Path(os.fspath(path)).suffix.lower().removeprefix(".")
    size = getattr(figure, "get_size_inches", None)
    if str(fmt).lower() in _VECTOR_FORMATS or size is None:
        return
    width, height = (float(x) * options["dpi"] for x in size())
    if 4.0 * width * height > _MAX_RASTER_BYTES:
        raise ValueError(
            f"{os.fspath(path)}: dpi={options['dpi']:g} makes a {width:.3g} x {height:.3g} "
            f"pixel image ({4.0 * width * height / 1024**3:.3g} GiB of memory, at most "
            f"{_MAX_RASTER_BYTES / 1024**3:g}): give a dpi of a few hundred (dots per inch), "
            "or a vector format (.pdf, .svg); nothing was written")


def _check_figure_suffix(figure, path):
    """Refuse a figure ``path`` whose suffix names no format matplotlib writes.

    The figure is written to a temporary name that ends in ``.part`` plus the target's suffix,
    and matplotlib takes the format from that name: a ``path`` without a suffix failed with
    "Format 'part' is not supported", naming neither the file nor the cause.
    """
    suffix = Path(os.fspath(path)).suffix.lower().removeprefix(".")
    canvas = getattr(figure, "canvas", None)
    supported = canvas.get_supported_filetypes() if canvas is not None else {}
    if not suffix:
        raise ValueError(f"{os.fspath(path)} has no suffix to choose the figure's format by: "
                         "name it *.png, *.pdf or *.svg (or give format=)")
    if supported and suffix not in supported:
        raise ValueError(f"{os.fspath(path)}: matplotlib writes no {suffix!r} figure; name it "
                         f"with one of {', '.join(sorted(supported))} (or give format=)")
