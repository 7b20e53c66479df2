"""`runsc_py do [FLAGS] CMD [ARGS...]`: run one program in a new sandbox, as `runsc do`.

No bundle and no set-up: the program runs on the Sentry with the caller's working
directory and environment, and `do` exits with its status (128+N if signal N killed it).
The global flags may also follow `do` (`runsc_py do --platform=ptrace --strace /bin/true`);
everything from CMD on is the workload's argv.
"""

from __future__ import annotations

import argparse
import os

from runsc_py.cli import UsageError, add_global_flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_global_flags(p, suppress=True)
    p.add_argument("--report", action="store_true",
                   help="after the run, print which syscalls the workload made, on which "
                   "lane, their time in the Sentry, and any that got ENOSYS (to stderr)")
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]",
                   help="the program to run and its arguments")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    argv = list(opts.argv)
    if argv[:1] == ["--"]:  # argparse keeps the separator in a REMAINDER
        argv = argv[1:]
    if not argv:
        raise UsageError("no program given (usage: runsc_py do [FLAGS] CMD [ARGS...])")
    if opts.network not in ("none", "host"):
        # The packet-level stack (--network=sandbox) does not exist yet: refuse, not pretend.
        raise UsageError(f"--network={opts.network} is not supported by do yet "
                         "(none or host)")
    log.debug("do: %s (platform=%s, strace=%s)", argv, opts.platform, opts.strace)
    from sentry.sandbox import LaunchError, run_do

    try:
        return _run(opts, argv, log, run_do)
    except LaunchError as e:  # not found (127) or not executable (126), as a shell says
        log.error("do: %s", e)
        return e.status


def _run(opts: argparse.Namespace, argv: list[str], log: logging.Logger, run_do) -> int:
    return run_do(
        argv,
        platform=opts.platform,
        strace=opts.strace,
        debug=opts.debug,
        cwd=os.getcwd(),
        env=dict(os.environ),
        log=log,
        report=opts.report,
        network=opts.network,
        sentry_seccomp=opts.sentry_seccomp,
        file_access=opts.file_access,
    )
