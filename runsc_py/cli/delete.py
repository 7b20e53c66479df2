"""`runsc_py delete [--force] ID`: remove a stopped container (--force: kill it first).
Exits 0 when the container does not exist (any more)."""

from __future__ import annotations

from runsc_py.cli import store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--force", action="store_true",
                   help="kill the container first if it still runs")
    p.add_argument("id", metavar="ID")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle

    lifecycle.delete(store_of(opts), opts.id, opts.force)
    return 0
