"""`runsc_py state ID`: the container's state as JSON (the OCI fields and runc's extras)."""

from __future__ import annotations

import json
import sys

from runsc_py.cli import store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle

    st = lifecycle.state(store_of(opts), opts.id)
    json.dump(st.runc_state(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
