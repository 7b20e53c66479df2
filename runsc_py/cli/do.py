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

DEFAULT_PIDS_LIMIT = 4096
DEFAULT_MEMORY = "50%"
DEFAULT_OVERLAY_SIZE = "50%"
MIN_MEMORY = 6 << 20

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_global_flags(p, suppress=True)
    p.add_argument("--report", action="store_true",
                   help="after the run, print which syscalls the workload made, on which "
                   "lane, their time in the Sentry, and any that got ENOSYS (to stderr)")
    p.add_argument("--pids-limit", type=int, default=DEFAULT_PIDS_LIMIT, metavar="N",
                   help="most tasks (threads included) the workload may have: clone and "
                   "fork get EAGAIN beyond, whatever its credentials (a pids cgroup and the "
                   f"Sentry's task table; default {DEFAULT_PIDS_LIMIT}; 0: the Sentry's cap "
                   "of 65536 only)")
    p.add_argument("--memory", default=DEFAULT_MEMORY, metavar="SIZE",
                   help="memory limit of the workload's tasks (a memory cgroup: its OOM "
                   "killer kills a task of the workload beyond it, never the Sentry), as "
                   "N[kmgt] or N%% of RAM (default 50%%; 0: none)")
    p.add_argument("--overlay-size", default=DEFAULT_OVERLAY_SIZE, metavar="SIZE",
                   help="size of the root's in-memory upper layer, where the workload's "
                   "writes go: ENOSPC beyond, as N[kmgt] or N%% of RAM (default 50%%, as a "
                   "Linux tmpfs; 0: none)")
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]",
                   help="the program to run and its arguments")


def parse_size(text: str) -> int:
    """Bytes of N, N[bkmgt] (powers of 1024, as docker's --memory) or N% of the RAM."""
    t = text.strip().lower()
    try:
        if t.endswith("%"):
            ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            return ram * int(t[:-1]) // 100
        unit = t[-1:] if t[-1:].isalpha() else ""
        if unit and unit not in "bkmgt":
            raise ValueError(unit)
        n = int(t[:-1] if unit else t) << (10 * "bkmgt".index(unit) if unit else 0)
    except ValueError:
        raise UsageError(f"bad size {text!r} (N, N[kmgt] or N%)") from None
    if n < 0:
        raise UsageError(f"bad size {text!r} (N, N[kmgt] or N%)")
    return n


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
    from runsc_py.container.workload_cgroup import WorkloadCgroup

    if opts.pids_limit < 0:
        raise UsageError("--pids-limit must be 0 or more")
    memory, overlay = parse_size(opts.memory), parse_size(opts.overlay_size)
    if 0 < memory < MIN_MEMORY:
        raise UsageError("--memory must be 0 (none) or at least 6m (as docker's)")
    cg = WorkloadCgroup.create(opts.pids_limit, memory)
    if cg.missing:  # said once; an explicit flag the host cannot honour is a warning
        explicit = opts.memory != DEFAULT_MEMORY or opts.pids_limit != DEFAULT_PIDS_LIMIT
        (log.warning if explicit else log.info)(
            "do: no %s cgroup here: %s", " or ".join(cg.missing),
            "memory is bounded by the host only" if "memory" in cg.missing else
            "tasks are bounded by the Sentry's task table only")
    try:
        status = _run_sandbox(opts, argv, log, run_do, cg, overlay)
        kills = cg.oom_kills()
        if kills:
            log.warning("do: the workload reached its memory limit (%d bytes): the OOM killer "
                        "of its memory cgroup killed %d task(s)", memory, kills)
        return status
    finally:
        cg.remove()


def _run_sandbox(opts: argparse.Namespace, argv: list[str], log: logging.Logger, run_do,
                 cg, overlay: int) -> int:
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
        max_tasks=opts.pids_limit,
        upper_pages=-(-overlay // 4096),
        on_launch=cg.join,
        rmdir_dirfds=cg.dir_fds(),
    )
