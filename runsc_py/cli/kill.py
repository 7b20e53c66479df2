"""`runsc_py kill [--all] ID [SIGNAL]`: signal the workload (default TERM; a number or a
name, with or without SIG). Without --all the signal goes to the first task, which
(like any PID-namespace init) ignores signals it has no handler for, except KILL and STOP."""

from __future__ import annotations

from runsc_py.cli import store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-a", "--all", action="store_true", help="signal every process")
    p.add_argument("id", metavar="ID")
    p.add_argument("signal", nargs="?", default="TERM")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle

    sig = lifecycle.parse_signal(opts.signal)
    lifecycle.kill(store_of(opts), opts.id, sig, opts.all)
    return 0
