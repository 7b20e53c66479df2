"""Logging for the CLI: text or JSON lines, to stderr or a file (--log, --log-format).

JSON lines carry {"level", "msg", "time"} as runc's logrus does; containerd's runc shim
reads the last line whose level is "error" from --log to report a failed operation.
The root logger is configured, so the Sentry's module loggers land in the same place.

Start-up time matters here (the shim runs the runtime four times per container), so the
standard `logging` package is imported only when a record passes the level, or when a
command that loads the Sentry calls activate(): `log` below stands for the "runsc_py"
logger until then. setup() opens the log file at once, so a bad --log is still a usage
error before anything is done.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from typing import Any, TextIO

LOGGER_NAME = "runsc_py"
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40

# logrus level names, which runc's callers expect.
_LEVELS = {DEBUG: "debug", INFO: "info", WARNING: "warning", ERROR: "error", 50: "fatal"}


class _Config:
    """What setup() was asked for; applied to the root logger by activate()."""

    def __init__(self, stream: TextIO, to_file: bool, log_format: str, debug: bool) -> None:
        self.stream, self.to_file, self.format, self.debug = stream, to_file, log_format, debug


_config: _Config | None = None
_applied: _Config | None = None  # the configuration the root logger has now


def level_name(record: logging.LogRecord) -> str:
    return _LEVELS.get(record.levelno, record.levelname.lower())


def _utc_stamp(created: float) -> str:
    """RFC 3339 in UTC with microseconds, e.g. 2026-11-28T11:27:14.123456Z."""
    import time

    micro = int(round(created * 1_000_000))
    secs, micro = divmod(micro, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{micro:06d}Z"


def timestamp(record: logging.LogRecord) -> str:
    return _utc_stamp(record.created)


def _formatters() -> tuple[type, type]:
    import json
    import logging

    class JSONFormatter(logging.Formatter):
        """One JSON object per line: {"level": ..., "msg": ..., "time": ...}."""

        def format(self, record: logging.LogRecord) -> str:
            msg = record.getMessage()
            if record.exc_info:
                msg += "\n" + self.formatException(record.exc_info)
            return json.dumps({"level": level_name(record), "msg": msg,
                               "time": timestamp(record)})

    class TextFormatter(logging.Formatter):
        """`runsc_py: error: msg` on a terminal; with a timestamp in front in a file."""

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

    return JSONFormatter, TextFormatter


def setup(log_file: str | None, log_format: str, debug: bool) -> _Lazy:
    """Records the configuration (applied to the root logger at the first record, or by
    activate()) and returns the CLI's logger.

    Raises OSError when the log file cannot be opened (the caller reports it on stderr).
    """
    global _config
    stream: TextIO = sys.stderr
    if log_file:
        stream = open(log_file, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    old = _config
    _config = _Config(stream, bool(log_file), log_format, debug)
    if old is not None and old.stream is not sys.stderr and old.stream is not stream:
        if _applied is not old:
            old.stream.close()
    if _applied is not None:
        _apply(_config)
    return log


def _apply(cfg: _Config) -> None:
    global _applied
    import logging

    json_fmt, text_fmt = _formatters()
    handler = logging.StreamHandler(cfg.stream)
    handler.setFormatter(json_fmt() if cfg.format == "json" else text_fmt(cfg.to_file))
    if not cfg.to_file and not cfg.debug:
        # On the user's terminal (which is the workload's stderr too) the Sentry speaks only
        # of errors and of what was asked for (--strace); --log or --debug records the rest.
        handler.addFilter(_terminal_filter)
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        if isinstance(old, logging.StreamHandler) and old.stream is not sys.stderr:
            old.close()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if cfg.debug else logging.INFO)
    _applied = cfg


def activate() -> logging.Logger:
    """Imports logging and applies the configuration given to setup() (if any, once);
    returns the "runsc_py" logger. Commands that load the Sentry call it first."""
    import logging

    if _config is not None and _applied is not _config:
        _apply(_config)
    return logging.getLogger(LOGGER_NAME)


def _terminal_filter(record: logging.LogRecord) -> bool:
    return (record.levelno >= ERROR or record.name == LOGGER_NAME
            or record.name == "sentry.strace")


def logs_to_stderr() -> bool:
    """True when the configured handler writes to stderr (so an error is not printed twice)."""
    if _applied is None:
        return _config is not None and _config.stream is sys.stderr
    import logging

    return any(
        isinstance(h, logging.StreamHandler) and h.stream is sys.stderr
        for h in logging.getLogger().handlers
    )


def log_fds() -> set[int]:
    """The fds the configured log writes to (kept open in the sandbox process)."""
    out = set()
    streams = [] if _config is None else [_config.stream]
    if "logging" in sys.modules:
        streams += [getattr(h, "stream", None) for h in sys.modules["logging"].getLogger().handlers]
    for stream in streams:
        if stream is not None and hasattr(stream, "fileno"):
            try:
                out.add(stream.fileno())
            except (OSError, ValueError):
                pass
    return out


class _Lazy:
    """The "runsc_py" logger, without importing logging for records below the level."""

    def _threshold(self) -> int:
        if _config is None:
            return 0  # not configured by the CLI: logging's own defaults decide
        return DEBUG if _config.debug else INFO

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging.Logger's name
        return level >= self._threshold() and activate().isEnabledFor(level)

    def log(self, level: int, msg: str, *args: Any, **kw: Any) -> None:
        if level >= self._threshold():
            activate().log(level, msg, *args, **kw)

    def debug(self, msg: str, *args: Any, **kw: Any) -> None:
        self.log(DEBUG, msg, *args, **kw)

    def info(self, msg: str, *args: Any, **kw: Any) -> None:
        self.log(INFO, msg, *args, **kw)

    def warning(self, msg: str, *args: Any, **kw: Any) -> None:
        self.log(WARNING, msg, *args, **kw)

    def error(self, msg: str, *args: Any, **kw: Any) -> None:
        self.log(ERROR, msg, *args, **kw)


log = _Lazy()

Logger = _Lazy  # the type of `log` (the "runsc_py" logger, standing in for logging.Logger)
