"""`runsc_py update [-r FILE|-] [--memory N] [--pids-limit N] [--cpu-shares N]
[--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] [--cpuset-mems L] ID`: change the
sandbox cgroup's limits (linux.resources JSON with -r, '-' for stdin)."""

from __future__ import annotations

import argparse
import json
import sys

from runsc_py.cli import UsageError, store_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-r", "--resources", metavar="FILE")
    for flag in ("--memory", "--memory-reservation", "--memory-swap", "--kernel-memory",
                 "--pids-limit", "--cpu-shares", "--cpu-quota", "--cpu-period",
                 "--cpu-rt-period", "--cpu-rt-runtime", "--blkio-weight"):
        p.add_argument(flag, type=int)
    p.add_argument("--cpuset-cpus")
    p.add_argument("--cpuset-mems")
    p.add_argument("id", metavar="ID")


def resources(opts: argparse.Namespace) -> dict:
    if opts.resources:
        try:
            if opts.resources == "-":
                r = json.load(sys.stdin)
            else:
                with open(opts.resources, encoding="utf-8") as f:
                    r = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"--resources: {e}") from None
        if not isinstance(r, dict):
            raise UsageError("--resources: must be a JSON object")
        return r
    r: dict = {"memory": {}, "cpu": {}, "pids": {}}
    pairs = (("memory", "limit", opts.memory), ("memory", "reservation", opts.memory_reservation),
             ("memory", "swap", opts.memory_swap), ("pids", "limit", opts.pids_limit),
             ("cpu", "shares", opts.cpu_shares), ("cpu", "quota", opts.cpu_quota),
             ("cpu", "period", opts.cpu_period), ("cpu", "cpus", opts.cpuset_cpus),
             ("cpu", "mems", opts.cpuset_mems))
    for group, key, value in pairs:
        if value is not None:
            r[group][key] = value
    return r


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    from runsc_py.container import lifecycle
    from runsc_py.container.cgroups import Cgroup

    st = lifecycle.running_state(store_of(opts), opts.id)
    Cgroup(dict(st.cgroupPaths)).apply(resources(opts))
    return 0
