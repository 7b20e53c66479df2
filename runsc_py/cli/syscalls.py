"""`runsc_py syscalls [--format table|json]`: the syscall table, as `runsc syscalls` prints it.

Every number the kernel defines (sentry.abi.sysno.NAMES) with its status: "supported" or
"partial" (with a note saying what differs) from the Sentry's table
(sentry.syscalls.table.TABLE); "host (allow-list)" for calls the platform lets run on the
host, with the reason that is safe (sentry.platform.allowlist.ALLOW); "ENOSYS" otherwise.
A call split by an argument condition (anonymous mmap on the host, file mmap in the Sentry)
shows the Sentry's status and the condition in its note. In JSON "host (allow-list)" is
spelled "host".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

    from sentry.platform.allowlist import Allowed, Cond

HOST = "host"
ENOSYS = "ENOSYS"
STATUSES = ("supported", "partial", HOST, ENOSYS)  # summary order


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="output format (default: table)")


def rows() -> list[dict[str, object]]:
    """One dict per syscall number: nr, name, status, note."""
    from sentry.abi.sysno import NAMES
    from sentry.platform.allowlist import ALLOW
    from sentry.syscalls.table import TABLE

    # A call in both places must be split by an argument condition (anonymous mmap runs on
    # the host, a file mapping goes to the Sentry); an unconditional overlap is a bug.
    both = sorted(nr for nr in set(TABLE) & set(ALLOW) if ALLOW[nr].cond is None)
    if both:
        raise RuntimeError(f"in both the syscall table and the host allow-list: {both}")
    out: list[dict[str, object]] = []
    for nr in sorted(NAMES):
        allowed = ALLOW.get(nr)
        if nr in TABLE:
            status, note = TABLE[nr].status, TABLE[nr].note
            if allowed is not None:
                host = f"host (allow-list) when {_conds(allowed)}"
                note = f"{note}; {host}" if note else host
        elif allowed is not None:
            status, note = HOST, allowed.reason
            if allowed.cond is not None:
                note += f" (when {_conds(allowed)}; otherwise ENOSYS)"
        else:
            status, note = ENOSYS, ""
        out.append({"nr": nr, "name": NAMES[nr], "status": status, "note": note})
    return out


def _conds(allowed: Allowed) -> str:
    return " or ".join(map(_cond, allowed.conds))


def _cond(c: Cond) -> str:
    """An allow-list argument condition as text, e.g. `arg3 & 0x20 == 0x20`."""
    index, op, value, mask = c.index, c.op, c.value, c.mask
    if op == "masked_eq":
        return f"arg{index} & {mask:#x} == {value:#x}"
    if op == "le":
        return f"arg{index} <= {value}"
    return f"arg{index} {op} {value:#x}"


def summary(table: list[dict[str, object]]) -> dict[str, int]:
    counts = Counter(str(r["status"]) for r in table)
    return {"total": len(table), **{s: counts.get(s, 0) for s in STATUSES}}


def _label(status: object) -> str:
    return "host (allow-list)" if status == HOST else str(status)


def run(opts: argparse.Namespace, log: logging.Logger) -> int:
    table = rows()
    counts = summary(table)
    out = sys.stdout
    if opts.format == "json":
        # One syscall per line: greppable, and still one JSON document.
        body = ",\n ".join(json.dumps(r) for r in table)
        out.write(f'{{"syscalls": [\n {body}\n], "summary": {json.dumps(counts)}}}\n')
        return 0
    name_w = max(len(str(r["name"])) for r in table)
    status_w = max(len(_label(r["status"])) for r in table)
    out.write(f"{'NR':>3}  {'NAME':<{name_w}}  {'STATUS':<{status_w}}  NOTE\n")
    for r in table:
        status = _label(r["status"])
        line = f"{r['nr']:>3}  {r['name']:<{name_w}}  {status:<{status_w}}  {r['note']}"
        out.write(line.rstrip() + "\n")
    out.write(
        f"{counts['total']} syscalls: {counts['supported']} supported, {counts['partial']} "
        f"partial, {counts[HOST]} host (allow-list), {counts[ENOSYS]} ENOSYS\n"
    )
    return 0
