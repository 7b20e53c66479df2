"""`runsc_py list [--format table|json] [-q]`: the containers under --root."""

from __future__ import annotations

import argparse
import json
import sys

from runsc_py.cli import store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--format", choices=("table", "json"), default="table")
    p.add_argument("-q", "--quiet", action="store_true", help="only the ids")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle
    from runsc_py.container.state import ContainerError

    store = store_of(opts)
    states = []
    for cid in store.ids():
        try:
            states.append(lifecycle.state(store, cid))
        except ContainerError as e:
            log.warning("list: %s", e)
    if opts.quiet:
        for st in states:
            print(st.id)
    elif opts.format == "json":
        json.dump([st.runc_state() for st in states], sys.stdout)
        sys.stdout.write("\n")
    else:
        rows = [("ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER")]
        rows += [(s.id, str(s.oci()["pid"]), s.status, s.bundle, s.created, s.owner)
                 for s in states]
        widths = [max(len(r[i]) for r in rows) for i in range(6)]
        for r in rows:
            print("   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0
