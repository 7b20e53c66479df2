"""`runsc_py events [--stats] [--interval 5s] ID`: the sandbox cgroup's figures as JSON
lines ({"type": "stats", "id": ..., "data": {...}}); with --stats, once."""

from __future__ import annotations

import argparse
import json
import time

from runsc_py.cli import UsageError, store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stats", action="store_true", help="print the figures once and exit")
    p.add_argument("--interval", default="5s", help="time between two reports (e.g. 5s)")
    p.add_argument("id", metavar="ID")


def _seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0}
    for u in ("ms", "s", "m"):
        if text.endswith(u):
            try:
                return float(text[: -len(u)]) * units[u]
            except ValueError:
                break
    raise UsageError(f"--interval: bad duration {text!r}")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle
    from runsc_py.container.cgroups import Cgroup
    from runsc_py.container.state import ContainerError

    interval = _seconds(opts.interval)
    store = store_of(opts)
    while True:
        try:
            st = lifecycle.running_state(store, opts.id)
        except ContainerError:
            if opts.stats:
                raise
            return 0
        data = Cgroup(dict(st.cgroupPaths)).stats()
        print(json.dumps({"type": "stats", "id": opts.id, "data": data}), flush=True)
        if opts.stats:
            return 0
        time.sleep(interval)
