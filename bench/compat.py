"""The compatibility suite: every differential probe natively and under every runtime, and
a verdict per syscall of the table.

A probe's `// covers:` line names the syscalls it checks (bench/probelib.py). Per runtime, a
syscall is:

- `pass`: every probe that covers it printed what it printed natively (and exited alike);
- `differs`: a covering probe printed something else on a line about this syscall (a line
  whose label names it), or on a line about none of its syscalls (then all of them differ);
- `unsupported`: it differs and the runtime answered ENOSYS where Linux did not;
- `xfail`: the only differences are lines or probes marked as a known bug;
- `no probe`: nothing covers it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from bench import probelib
from sentry.syscalls.table import TABLE

TIMEOUT = 60  # a probe takes about a second; a hung one costs this much, then "differs"
PASS, DIFFERS, UNSUPPORTED, XFAIL, NOPROBE, ERROR = (
    "pass", "differs", "unsupported", "xfail", "no probe", "error")
# The statuses of the calls the sandbox serves: the Sentry's table, and the host allow-list
# (`runsc_py syscalls` spells it "host" in JSON). Each needs a probe; ENOSYS rows do not.
SERVED = ("supported", "partial", "host")
# The runtimes the probes' xfail marks are about (known bugs of the Sentry); for any other
# runtime (proot, a --peer) every line is compared and a difference is a difference.
OURS = ("seccomp", "ptrace")


@dataclass
class Run:
    """One probe under one runtime, compared with the native run."""

    returncode: int
    same: bool
    matched: int
    total: int
    diff: str = ""
    differing: list[str] = field(default_factory=list)
    stderr_tail: str = ""
    seconds: float = 0.0
    xfail_same: bool = False  # the lines an xfail-line marks match natively now
    xfail_stale: list[str] = field(default_factory=list)  # marks whose own lines all match


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.update(LC_ALL="C", LANG="C", TZ="UTC", PYTHONPATH=str(probelib.REPO))
    e.pop("PYTHONHOME", None)
    return e


def _run(prefix: list[str], binary: Path) -> tuple[subprocess.CompletedProcess, float]:
    with tempfile.TemporaryDirectory(prefix="runsc-compat-") as d:
        scratch = Path(d) / "scratch"
        t0 = time.perf_counter()
        try:
            p = subprocess.run([*prefix, str(binary), str(scratch)], cwd=d, env=env(),
                               capture_output=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT)
        except subprocess.TimeoutExpired as e:
            p = subprocess.CompletedProcess(e.cmd, -9, e.stdout or b"",
                                            (e.stderr or b"") + b"\n(timed out)")
        return p, time.perf_counter() - t0


def run_suite(runtimes: dict[str, list[str]], jobs: int = 2,
              progress: Callable[[int, int, str], None] | None = None,
              only: list[str] | None = None) -> dict:
    """Runs every probe natively and under each runtime but native; returns the raw results
    (JSON-able): {"probes": {name: {meta..., "runs": {runtime: Run}}}, "syscalls": {...}}."""
    metas = [m for m in probelib.differential_probes() if not only or m.name in only]
    binaries = {m.name: probelib.build(m.src) for m in metas}
    others = [r for r in runtimes if r != "native"]
    total = len(metas) * (1 + len(others))
    done = 0
    natives: dict[str, subprocess.CompletedProcess] = {}
    runs: dict[str, dict[str, Run]] = {m.name: {} for m in metas}

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, f"compat: {label}")

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = {m.name: pool.submit(_run, [], binaries[m.name]) for m in metas}
        for name, f in futs.items():
            natives[name], secs = f.result()
            meta = next(m for m in metas if m.name == name)
            c = probelib.compare(meta, natives[name], natives[name])
            runs[name]["native"] = Run(natives[name].returncode, True, c.matched, c.total,
                                       seconds=secs)
            step(f"{name} native")
        jobs_ = {(m.name, r): pool.submit(_run, runtimes[r], binaries[m.name])
                 for m in metas for r in others}
        for (name, r), f in jobs_.items():
            p, secs = f.result()
            meta = next(m for m in metas if m.name == name)
            if r not in OURS:
                meta = replace(meta, xfail="", xfail_lines=[])
            c = probelib.compare(meta, natives[name], p, label=r)
            runs[name][r] = Run(p.returncode, c.same, c.matched, c.total, c.diff, c.differing,
                                p.stderr.decode(errors="replace")[-600:] if not c.same else "",
                                secs, c.xfail_same, c.xfail_stale)
            step(f"{name} {r}")
    probes = {
        m.name: {
            "title": m.title, "area": m.area, "covers": m.covers, "xfail": m.xfail,
            "xfail_lines": [asdict(x) for x in m.xfail_lines],
            "native_ok": natives[m.name].returncode == 0,
            "runs": {r: asdict(v) for r, v in runs[m.name].items()},
        }
        for m in metas
    }
    return {"runtimes": list(runtimes), "probes": probes,
            "syscalls": verdicts(probes, list(runtimes))}


def _about(line: str, name: str, covers: list[str]) -> bool:
    """Whether an output line is about syscall `name` (or about none it covers: then all)."""
    about = probelib.line_syscalls(line, covers)
    return not about or name in about


def _verdict(name: str, probe: dict, run: dict, runtime: str = "seccomp") -> str:
    if runtime not in OURS:
        probe = {**probe, "xfail": "", "xfail_lines": []}
    if probe["xfail"] and not run["same"]:
        return XFAIL
    mine = [line for line in run["differing"] if _about(line, name, probe["covers"])]
    if mine:
        return UNSUPPORTED if any("ENOSYS" in line for line in mine) else DIFFERS
    stale = run.get("xfail_stale")  # absent in older results.json: all marks or none
    if not run.get("xfail_same") and any(
            _about(x["prefix"], name, probe["covers"])
            and (stale is None or x["prefix"] not in stale) for x in probe["xfail_lines"]):
        return XFAIL
    return PASS


_RANK = {PASS: 0, XFAIL: 1, DIFFERS: 2, UNSUPPORTED: 3}


def verdicts(probes: dict, runtimes: list[str]) -> dict:
    """Per syscall number (the rows of `runsc_py syscalls`): status, note, lane, the probes
    that cover it and a verdict per runtime."""
    from runsc_py.cli.syscalls import rows as table_rows

    out: dict[str, dict] = {}
    for row in table_rows():
        nr, name = int(row["nr"]), str(row["name"])
        e = TABLE.get(nr)
        out[name] = {"nr": nr, "status": str(row["status"]), "note": str(row["note"]),
                     "lane": e.lane if e else "", "probes": [], "results": {}}
    for pname, p in probes.items():
        for c in p["covers"]:
            if c in out:
                out[c]["probes"].append(pname)
    for name, row in out.items():
        for r in runtimes:
            if r == "native":
                continue
            worst = NOPROBE if not row["probes"] else PASS
            for pname in row["probes"]:
                run = probes[pname]["runs"].get(r)
                v = _verdict(name, probes[pname], run, r) if run else NOPROBE
                if _RANK.get(v, 0) > _RANK.get(worst, 0):
                    worst = v
            row["results"][r] = worst
    return out
