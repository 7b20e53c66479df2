"""`runsc_py pause ID`: freeze every process of the sandbox (its cgroup's freezer)."""

from __future__ import annotations

import argparse

from runsc_py.cli import store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle

    lifecycle.pause(store_of(opts), opts.id, frozen=True)
    return 0
