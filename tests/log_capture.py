"""Capture of what mmengine logs, for tests that assert on log lines."""
import contextlib
import logging

from mmengine.logging import MMLogger


@contextlib.contextmanager
def mmengine_messages():
    """The list of messages logged on mmengine's current logger while the
    block runs (mmengine's logger does not propagate to pytest's caplog)."""
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
