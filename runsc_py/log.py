"""Logging for the CLI: text or JSON lines, to stderr or a file (--log, --log-format).

JSON lines carry {"level", "msg", "time"} as runc's logrus does; containerd's runc shim
reads the last line whose level is "error" from --log to report a failed operation.
The root logger is configured, so the Sentry's module loggers land in the same place.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

LOGGER_NAME = "runsc_py"

# logrus level names, which runc's callers expect.
_LEVELS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "fatal",
}


def level_name(record: logging.LogRecord) -> str:
    return _LEVELS.get(record.levelno, record.levelname.lower())


def timestamp(record: logging.LogRecord) -> str:
    """RFC 3339 in UTC with microseconds, e.g. 2026-11-28T11:27:14.123456Z."""
    t = datetime.fromtimestamp(record.created, UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JSONFormatter(logging.Formatter):
    """One JSON object per line: {"level": ..., "msg": ..., "time": ...}."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.exc_info:
            msg += "\n" + self.formatException(record.exc_info)
        return json.dumps({"level": level_name(record), "msg": msg, "time": timestamp(record)})


class TextFormatter(logging.Formatter):
    """`runsc_py: error: msg` on a terminal; with a timestamp in front when logging to a file."""

    def __init__(self, with_time: bool) -> None:
        super().__init__()
        self.with_time = with_time

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.exc_info:
            msg += "\n" + self.formatException(record.exc_info)
        if self.with_time:
            return f"{timestamp(record)} {level_name(record)} {msg}"
        return f"runsc_py: {level_name(record)}: {msg}"


def setup(log_file: str | None, log_format: str, debug: bool) -> logging.Logger:
    """Configures the root logger and returns the CLI's logger.

    Raises OSError when the log file cannot be opened (the caller reports it on stderr).
    """
    stream: TextIO = sys.stderr
    if log_file:
        stream = open(log_file, "a", encoding="utf-8", buffering=1)
    handler = logging.StreamHandler(stream)
    if log_format == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(TextFormatter(with_time=bool(log_file)))
    if not log_file and not debug:
        # On the user's terminal (which is the workload's stderr too) the Sentry speaks only
        # of errors and of what was asked for (--strace); --log or --debug records the rest.
        handler.addFilter(_terminal_filter)
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        if isinstance(old, logging.StreamHandler) and old.stream is not sys.stderr:
            old.close()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return logging.getLogger(LOGGER_NAME)


def _terminal_filter(record: logging.LogRecord) -> bool:
    return (record.levelno >= logging.ERROR or record.name == LOGGER_NAME
            or record.name == "sentry.strace")


def logs_to_stderr() -> bool:
    """True when the configured handler writes to stderr (so an error is not printed twice)."""
    return any(
        isinstance(h, logging.StreamHandler) and h.stream is sys.stderr
        for h in logging.getLogger().handlers
    )
