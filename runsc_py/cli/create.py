"""`runsc_py create [--bundle B] [--pid-file F] [--console-socket S] ID`: set up a container.

The sandbox process is forked and holds the workload before its first instruction until
`start`; the pid file names it. --no-pivot and --no-new-keyring are accepted (the Sentry
has no host root to pivot and no keyring).
"""

from __future__ import annotations

from runsc_py.cli import add_create_flags, store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_create_flags(p)
    p.add_argument("id", metavar="ID")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle

    lifecycle.create(store_of(opts), opts.id, opts.bundle, opts, pid_file=opts.pid_file,
                     console_socket=opts.console_socket, preserve_fds=opts.preserve_fds)
    return 0
