"""The `runsc_py` command: global flags, then a command from COMMANDS, then its arguments.

As with runc and runsc, global flags come before the command
(`runsc_py --root R --log F --log-format json create ...`); `do` also accepts them after
its name. Each command is a module in runsc_py/cli/, imported only when it runs, and the
Sentry is imported by the command itself, so `runsc_py --help` loads neither.

The commands the shim runs for every container (create, start, kill, delete, state...)
load neither the Sentry nor the `logging` package unless they log something (see
runsc_py/log.py): each is a Python start-up of its own.

Exit status: the command's (for `do`, the workload's, or 128+N if a signal killed it);
1 for a usage error or a failure of the runtime itself, reported in one line on stderr
and in the log.
"""

from __future__ import annotations

import os
import sys

from runsc_py import __version__, log
from runsc_py.cli import UsageError, fastpath, ignored_flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from types import ModuleType
    from typing import NoReturn

    from runsc_py.cli import Parser


class Command:
    """A command: its module, its help line, and whether it configures logging at once
    (the commands that load the Sentry, whose loggers must land in --log from the start)
    or only when it logs something."""

    __slots__ = ("module", "help", "eager_log")

    def __init__(self, module: str, help: str, eager_log: bool = False) -> None:
        self.module, self.help, self.eager_log = module, help, eager_log


COMMANDS: dict[str, Command] = {
    "create": Command("runsc_py.cli.create", "create a container, held before it runs"),
    "start": Command("runsc_py.cli.start", "start a created container"),
    "state": Command("runsc_py.cli.state", "print a container's state (JSON)"),
    "kill": Command("runsc_py.cli.kill", "send a signal to a container's workload"),
    "delete": Command("runsc_py.cli.delete", "delete a container"),
    "run": Command("runsc_py.cli.run", "create and start a container"),
    "exec": Command("runsc_py.cli.exec", "run a new process in a running container", True),
    "ps": Command("runsc_py.cli.ps", "list a container's processes"),
    "list": Command("runsc_py.cli.list", "list the containers"),
    "events": Command("runsc_py.cli.events", "print a container's resource figures"),
    "pause": Command("runsc_py.cli.pause", "freeze a container's processes"),
    "resume": Command("runsc_py.cli.resume", "thaw a paused container"),
    "update": Command("runsc_py.cli.update", "change a container's resource limits"),
    "wait": Command("runsc_py.cli.wait", "wait for a container to stop; print its status"),
    "spec": Command("runsc_py.cli.spec", "write a default config.json"),
    "features": Command("runsc_py.cli.features", "print the features this runtime supports"),
    "do": Command("runsc_py.cli.do", "run a program in a new sandbox, no bundle needed", True),
    "syscalls": Command("runsc_py.cli.syscalls", "print the syscall table and its support",
                        True),
}

PROG = "runsc_py"


def _global_parser() -> Parser:
    import argparse

    from runsc_py.cli import Parser, add_global_flags

    lines = [f"  {name:<10} {cmd.help}" for name, cmd in COMMANDS.items()]
    p = Parser(
        prog=PROG,
        usage=f"{PROG} [GLOBAL FLAGS] COMMAND [ARGS...]",
        description="A gVisor-style sandbox: runs programs on a user-space kernel (the Sentry).",
        epilog="commands:\n" + "\n".join(lines)
        + f"\n\nRun '{PROG} COMMAND --help' for a command's flags.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"{PROG} version {__version__}")
    add_global_flags(p)
    p.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return p


def _command_parser(name: str, cmd: Command, module: ModuleType) -> Parser:
    from runsc_py.cli import Parser

    p = Parser(prog=f"{PROG} {name}", description=cmd.help)
    module.add_arguments(p)
    return p


def _report(logger: log.Logger | None, msg: str) -> None:
    """One line on stderr, and the same as an error in the log when it goes elsewhere."""
    msg = " ".join(msg.split())
    if logger is not None:
        logger.error(msg)
        if log.logs_to_stderr():
            return
    print(f"{PROG}: error: {msg}", file=sys.stderr)


def _setup_log(opts: argparse.Namespace) -> log.Logger:
    try:
        return log.setup(opts.log, opts.log_format, opts.debug)
    except OSError as e:
        raise UsageError(f"cannot open log file {opts.log}: {e.strerror}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    logger: log.Logger | None = None
    opts: argparse.Namespace | None = None
    try:
        fast = fastpath.parse(args)  # the shim's calls: no argparse (start-up time)
        opts = fast or _global_parser().parse_args(args)
        logger = _setup_log(opts)
        if opts.command is None:
            raise UsageError(f"no command given; see '{PROG} --help'")
        cmd = COMMANDS.get(opts.command)
        if cmd is None:
            known = ", ".join(COMMANDS)
            raise UsageError(f"unknown command {opts.command!r} (commands: {known})")
        __import__(cmd.module)  # not importlib.import_module: importlib loads `warnings`
        module = sys.modules[cmd.module]
        before = (opts.log, opts.log_format, opts.debug)
        if fast is None:
            _command_parser(opts.command, cmd, module).parse_args(opts.args, namespace=opts)
        if (opts.log, opts.log_format, opts.debug) != before:  # `do --log F ...`
            logger = _setup_log(opts)
        if cmd.eager_log:
            log.activate()
        for flag in ignored_flags(opts):
            logger.info("%s: %s accepted and ignored", opts.command, flag)
        status = int(module.run(opts, logger))
        sys.stdout.flush()  # a closed pipe fails here, inside the handler below
        return status
    except UsageError as e:
        known = opts is not None and opts.command in COMMANDS
        _report(logger, f"{opts.command}: {e}" if known else str(e))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stdout closed early (`runsc_py syscalls | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as e:  # the CLI's last resort: one line (traceback with --debug), exit 1
        if logger is not None:
            logger.debug("runsc_py %s", " ".join(args), exc_info=True)
        where = f"{opts.command}: " if opts is not None and opts.command else ""
        _report(logger, f"{where}{e or type(e).__name__}")
        return 1


def entry() -> NoReturn:
    """The `runsc_py` command (bin/runsc_py, `python -m runsc_py`): main(), then exit.

    The shim's calls (the commands fastpath parses) end without the interpreter's
    finalization, which tears every module down (~3 ms of each call) for nothing: what it
    would do that matters is done first (atexit handlers, logging's among them; stdio
    flushed). Those commands run no threads, and every file they write is closed."""
    status = main()
    if fastpath.parse(sys.argv[1:]) is None:
        sys.exit(status)
    import atexit

    atexit._run_exitfuncs()  # what finalization would call first
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(status)  # let the interpreter report it as usual
    os._exit(status)


if __name__ == "__main__":
    entry()
