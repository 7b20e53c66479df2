"""`runsc_py run [--detach] [create flags] ID`: create and start; without --detach, wait
for the workload and exit with its status, then delete the container."""

from __future__ import annotations

import argparse
import os

from runsc_py.cli import add_create_flags, store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_create_flags(p)
    p.add_argument("-d", "--detach", action="store_true", help="do not wait for the workload")
    p.add_argument("--keep", action="store_true", help="do not delete the container at exit")
    p.add_argument("--no-subreaper", action="store_true", help="accepted (runc's flag)")
    p.add_argument("id", metavar="ID")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle

    store = store_of(opts)
    st = lifecycle.create(store, opts.id, opts.bundle, opts, pid_file=opts.pid_file,
                          console_socket=opts.console_socket, preserve_fds=opts.preserve_fds)
    try:
        lifecycle.start(store, opts.id)
    except BaseException:
        lifecycle.delete(store, opts.id, force=True)
        raise
    if opts.detach:
        return 0
    # The sandbox process is our child: its exit status is the workload's.
    _, status = os.waitpid(st.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code
    if not opts.keep:
        lifecycle.delete(store, opts.id, force=True)
    return code
