"""`runsc_py wait ID`: block until the container stops; print its exit status as JSON
({"id": ..., "exitStatus": N}) and exit 0."""

from __future__ import annotations

import argparse
import json

from runsc_py.cli import store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID")


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle
    from runsc_py.container.state import Status

    store = store_of(opts)
    st = lifecycle.state(store, opts.id)
    if st.state is not Status.STOPPED:
        lifecycle.wait_gone(st.pid, st.pidStartTime, None)  # a pidfd: no polling
    code = lifecycle.exit_status(store, opts.id)
    print(json.dumps({"id": opts.id, "exitStatus": -1 if code is None else code}))
    return 0
