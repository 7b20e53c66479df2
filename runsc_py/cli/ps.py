"""`runsc_py ps [--format table|json] ID`: the host processes of the sandbox (the
sandbox process, the Sentry, and its tasks). json: an array of host pids, as the shim reads."""

from __future__ import annotations

import argparse
import json
import os
import sys

from runsc_py.cli import store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--format", choices=("table", "json"), default="table")
    p.add_argument("id", metavar="ID")
    p.add_argument("ps_args", nargs="*", help=argparse.SUPPRESS)


def pids(store, cid: str) -> list[int]:
    from runsc_py.container import lifecycle, sandbox

    st = lifecycle.running_state(store, cid)
    return sorted({st.pid, *sandbox.sandbox_pids(store.dir(cid))})


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    found = pids(store_of(opts), opts.id)
    if opts.format == "json":
        json.dump(found, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(f"{'PID':>8}  CMD")
    for pid in found:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        print(f"{pid:>8}  {cmd or os.path.basename(str(pid))}")
    return 0
