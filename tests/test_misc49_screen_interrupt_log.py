"""A Ctrl-C inside a dask client call: distributed's cancel-path NameError is not printed.

``distributed.utils.sync`` (2026.8.0) answers a KeyboardInterrupt with a ``cancel`` callback
that reads ``future`` before it is set; tornado logged ``Exception in callback
functools.partial(<function sync.<locals>.cancel ...>)`` / ``NameError: cannot access free
variable 'future'`` over ``electrolyte screen``'s "interrupted" line. The filter is fed the
record tornado makes (no dask run).
"""

import argparse
import functools
import logging
import sys

import pytest

from electrolyte_cli import screen as S


def sync():
    """A closure of the shape of distributed.utils.sync's: ``cancel`` reads an unset
    ``future``."""
    future: object

    def cancel():
        if future is not None:  # noqa: F821 - the unset free variable is the point
            future.cancel()

    def set_it():
        nonlocal future
        future = None

    return cancel


def _record(callback=None, exc=None, msg="Exception in callback %r"):
    callback = callback or functools.partial(sync())
    if exc is None:
        try:
            callback()
        except NameError:
            exc_info = sys.exc_info()
    else:
        exc_info = (type(exc), exc, None)
    return logging.LogRecord(S._LOOP_LOGGER, logging.ERROR, "ioloop.py", 760, msg, (callback,),
                             exc_info)


def test_the_cancel_name_error_is_dropped():
    record = _record()
    assert "cannot access free variable 'future'" in str(record.exc_info[1])
    assert "sync.<locals>.cancel" in record.getMessage()
    assert S._SyncCancelFilter().filter(record) is False


def _other_callback():
    raise NameError("cannot access free variable 'future' where it is not associated")


@pytest.mark.parametrize("record", [
    # another callback's NameError about a 'future'
    _record(callback=functools.partial(_other_callback),
            exc=NameError("cannot access free variable 'future'")),
    # the cancel callback failing otherwise
    _record(exc=RuntimeError("cannot access free variable 'future'")),
    _record(exc=NameError("name 'result' is not defined")),
    # no exception at all, or a message that cannot be formatted
    logging.LogRecord(S._LOOP_LOGGER, logging.ERROR, "x", 1, "Exception in callback %r",
                      (functools.partial(sync()),), None),
    logging.LogRecord(S._LOOP_LOGGER, logging.ERROR, "x", 1, "%d %d", ("a",),
                      (NameError, NameError("free variable 'future'"), None)),
])
def test_every_other_record_passes(record):
    assert S._SyncCancelFilter().filter(record) is True


@pytest.fixture
def loop_logger():
    logger = logging.getLogger(S._LOOP_LOGGER)
    yield logger
    logger.removeFilter(S._SYNC_CANCEL_FILTER)


def _fake_screen(raised):
    def run_screen(*args, **kwargs):
        logger = logging.getLogger(S._LOOP_LOGGER)
        record = _record()
        logger.error("Exception in callback %r", *record.args, exc_info=record.exc_info)
        logger.error("another error on the loop")
        raise raised
    return run_screen


@pytest.mark.parametrize("raised", [KeyboardInterrupt(), ValueError("plan")])
def test_screen_command_drops_it_and_only_it(tmp_path, monkeypatch, caplog, capfd, loop_logger,
                                             raised):
    import ase_electrolyte.screen as screen_pkg

    plan = tmp_path / "plan.toml"
    plan.write_text("")
    monkeypatch.setattr(screen_pkg, "run_screen", _fake_screen(raised))
    args = argparse.Namespace(plan=str(plan), output=str(tmp_path / "out"), scheduler=None,
                              workers=None, experimental=None, no_plots=True, quiet=True)
    with caplog.at_level(logging.ERROR, logger=S._LOOP_LOGGER), \
            pytest.raises(type(raised)):
        S.run(args)
    texts = [r.getMessage() for r in caplog.records if r.name == S._LOOP_LOGGER]
    assert texts == ["another error on the loop"]
    assert "free variable" not in capfd.readouterr().err
    # kept after an interrupt (the loop thread may log it after the call has left), removed
    # after any other end
    kept = S._SYNC_CANCEL_FILTER in loop_logger.filters
    assert kept is isinstance(raised, KeyboardInterrupt)


def test_filter_removed_after_a_finished_screen(loop_logger):
    with S._quiet_interrupted_sync():
        assert S._SYNC_CANCEL_FILTER in loop_logger.filters
    assert S._SYNC_CANCEL_FILTER not in loop_logger.filters
    # without it the record reaches the handlers (the filter is what drops it)
    assert loop_logger.filter(_record())
