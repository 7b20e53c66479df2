"""Entry points that assemble a sandbox: platform + kernel + root file system + first task.

`run_do` is `runsc_py do`: the host's root read-only under an in-memory writable layer,
the caller's cwd and environment, its stdio passed through, and the workload's exit status
returned (128+N for a signal), like `runsc do`.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Mapping

from sentry.abi.errno import EACCES, ENOENT, ENOTDIR, SysError
from sentry.kernel import loader
from sentry.kernel.fd_table import FdTable
from sentry.kernel.kernel import Kernel
from sentry.platform import get_platform
from sentry.vfs.fsimpl.rootfs import build_do_root, controlling_tty, stdio_files

log = logging.getLogger("sentry")

EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127


class LaunchError(Exception):
    """The workload could not be started; `status` is the shell-style exit status."""

    def __init__(self, msg: str, status: int) -> None:
        super().__init__(msg)
        self.status = status


def find_program(t, name: bytes, env: Mapping[str, str]) -> bytes:
    """execvp's search: a name without '/' is looked up along PATH in the sandbox."""
    if b"/" in name:
        return name
    from sentry.syscalls.sys_file import open_file

    denied = None
    for d in env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
        cand = os.fsencode(d or ".") + b"/" + name
        try:
            f = open_file(t, loader.AT_FDCWD, cand, loader.O_RDONLY | loader.O_PATH, 0)
            try:
                f.check_exec(t.creds)
            finally:
                loader.release(f)
            return cand
        except (ENOENT, ENOTDIR):
            continue
        except EACCES:
            denied = denied or cand
    return denied or name


def _launch_error(name: bytes, e: SysError) -> LaunchError:
    what = os.fsdecode(name)
    reason = os.strerror(e.errno).lower()
    status = EXIT_NOT_FOUND if isinstance(e, (ENOENT, ENOTDIR)) else EXIT_CANNOT_EXECUTE
    if "/" not in what and isinstance(e, ENOENT):
        reason = "command not found"
    return LaunchError(f"{what}: {reason}", status)


def run_do(
    argv: list[str],
    *,
    platform: str = "seccomp",
    strace: bool = False,
    debug: bool = False,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    rootfs: str = "/",
    log: logging.Logger | None = None,
    report: bool = False,
    network: str = "none",
) -> int:
    """Runs argv in a new sandbox; returns the exit status to propagate.

    Raises LaunchError (status 127 or 126, with a one-line message) if the program cannot
    be found or executed.
    """
    env = dict(os.environ if env is None else env)
    cwd = cwd or os.getcwd()
    from sentry import netstack

    netstack.set_network(network)
    kernel = Kernel(get_platform(platform), hostname=os.uname().nodename, strace=strace,
                    report=report)
    root = build_do_root(rootfs)
    fds = FdTable()
    stdio = stdio_files((0, 1, 2), root)
    for f in stdio:
        fds.install(f)
    t = kernel.new_init_task(fds, root.fs_context(os.fsencode(cwd)))
    t.tg.controlling_tty = controlling_tty(stdio)
    args = [os.fsencode(a) for a in argv]
    envp = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
    path = find_program(t, args[0], env)
    try:
        plan = loader.prepare(t, path, args, envp)
    except SysError as e:
        raise _launch_error(path, e) from None
    # The terminal's ^C reaches the workload directly (same process group); the Sentry
    # must outlive it to report the status.
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        kernel.start_init(plan)
        return kernel.run()
    finally:
        signal.signal(signal.SIGINT, old)
        if kernel.report is not None:
            print(kernel.report.render(), file=sys.stderr)
