"""`runsc_py exec [--process JSON | flags] [--detach] [--pid-file F] ID [CMD ARGS...]`:
run a new process inside the running sandbox.

The process is started by the Sentry (its control socket); this command's process is the
exec proxy, a host process that stays connected, relays signals to it and exits with
its status. With --detach the proxy is forked and named in --pid-file (the shim waits
on it); otherwise `exec` is the proxy itself.
"""

from __future__ import annotations

import argparse
import json

from runsc_py.cli import UsageError, store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--process", metavar="FILE", help="the process, as JSON (OCI)")
    p.add_argument("--console-socket", metavar="PATH")
    p.add_argument("--cwd")
    p.add_argument("-e", "--env", action="append", default=[])
    p.add_argument("-t", "--tty", action="store_true")
    p.add_argument("-u", "--user", help="UID[:GID]")
    p.add_argument("-g", "--additional-gids", action="append", type=int, default=[])
    p.add_argument("-d", "--detach", action="store_true")
    p.add_argument("--pid-file")
    for flag in ("--process-label", "--apparmor", "--cgroup", "--preserve-fds"):
        p.add_argument(flag, help=argparse.SUPPRESS)
    for flag in ("--no-new-privs", "--ignore-paused"):
        p.add_argument(flag, action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-c", "--cap", action="append", default=[], help=argparse.SUPPRESS)
    p.add_argument("id", metavar="ID")
    p.add_argument("command", nargs=argparse.REMAINDER)


def process_of(opts: argparse.Namespace) -> dict:
    if opts.process:
        try:
            with open(opts.process, encoding="utf-8") as f:
                proc = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"--process: {e}") from None
        if not isinstance(proc, dict) or not proc.get("args"):
            raise UsageError("--process: process.args must be a non-empty list")
        return proc
    cmd = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    if not cmd:
        raise UsageError("no command given (exec ID CMD [ARGS...] or --process FILE)")
    user: dict = {"uid": 0, "gid": 0}
    if opts.user:
        uid, _, gid = opts.user.partition(":")
        try:
            user = {"uid": int(uid), "gid": int(gid or 0)}
        except ValueError:
            raise UsageError(f"--user: expected UID[:GID], got {opts.user!r}") from None
    if opts.additional_gids:
        user["additionalGids"] = opts.additional_gids
    return {"args": cmd, "env": opts.env, "cwd": opts.cwd or "/", "user": user,
            "terminal": opts.tty}


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import execproxy

    for flag in ("process_label", "apparmor", "cgroup"):
        if getattr(opts, flag):
            log.info("exec: --%s accepted and ignored", flag.replace("_", "-"))
    proc = process_of(opts)
    return execproxy.exec_process(store_of(opts), opts.id, proc, detach=opts.detach,
                                  pid_file=opts.pid_file, console_socket=opts.console_socket)
