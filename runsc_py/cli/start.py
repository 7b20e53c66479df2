"""`runsc_py start ID`: let a created container's workload run."""

from __future__ import annotations

from runsc_py.cli import store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle

    lifecycle.start(store_of(opts), opts.id)
    return 0
