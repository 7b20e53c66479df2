"""python -m bench: the compatibility suite and the benchmarks, one report.

    python -m bench [--quick] [--out DIR] [--compare OLD.json] [--peer 'proot -r /' ...]
                    [--only compat|bench] [-k EXPR] [--jobs N] [--rounds N]

Writes DIR/report.md, DIR/results.json (raw numbers) and PNG plots (DIR defaults to
bench/results/<UTC date-time>/, git-ignored). Runtimes: native, seccomp, ptrace, proot (when
installed) and each --peer (a command that runs a program: `NAME=CMD` or CMD).

Exit status: 0 when everything ran, whatever the figures; 1 when a probe or benchmark fails
natively or the harness itself breaks (slow numbers and sandbox differences never fail it:
the report shows them, tests/syscalls asserts them).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import compat, plots, report  # noqa: E402
from bench.progress import bar  # noqa: E402


def runtimes(peers: list[str]) -> dict[str, list[str]]:
    rt: dict[str, list[str]] = {
        "native": [],
        "seccomp": [sys.executable, "-m", "runsc_py", "--platform=seccomp", "do"],
        "ptrace": [sys.executable, "-m", "runsc_py", "--platform=ptrace", "do"],
    }
    if shutil.which("proot"):
        rt["proot"] = ["proot", "-r", "/"]
    for peer in peers:
        name, sep, cmd = peer.partition("=")
        if not sep or " " in name:
            name, cmd = Path(shlex.split(peer)[0]).name, peer
        argv = shlex.split(cmd)
        if not shutil.which(argv[0]):
            raise SystemExit(f"bench: --peer {peer!r}: {argv[0]} is not installed")
        base, i = name, 2
        while name in rt and rt[name] != argv:
            name, i = f"{base}{i}", i + 1
        rt[name] = argv
    return rt


def git_commit() -> str:
    p = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                       capture_output=True, text=True)
    return p.stdout.strip() or "?"


def run_benchmarks(rt: dict[str, list[str]], out: Path, quick: bool, rounds: int | None,
                   expr: str | None) -> tuple[dict, int]:
    """pytest bench/ (every bench/test_*.py) in a child; returns its results and status."""
    raw = out / "bench-raw.json"
    env = dict(os.environ, RUNSC_BENCH_RUNTIMES=json.dumps(rt), RUNSC_BENCH_JSON=str(raw),
               RUNSC_BENCH_QUICK="1" if quick else "0", PYTHONPATH=str(REPO))
    if rounds:
        env["RUNSC_BENCH_ROUNDS"] = str(rounds)
    cmd = [sys.executable, "-m", "pytest", str(REPO / "bench"), "-q", "-s",
           "-p", "no:cacheprovider", "--benchmark-only",
           f"--benchmark-json={out / 'pytest-benchmark.json'}", "--benchmark-save-data",
           "--rootdir", str(REPO)]
    if expr:
        cmd += ["-k", expr]
    with open(out / "pytest.log", "w") as log:
        p = subprocess.run(cmd, cwd=REPO, env=env, stdout=log, stderr=None,
                           stdin=subprocess.DEVNULL)
    if not raw.exists():
        return {"runtimes": rt, "benchmarks": {}, "error": f"pytest exited {p.returncode}"}, 1
    res = json.loads(raw.read_text())
    raw.unlink()
    plain = out / "pytest-benchmark.json"
    if plain.exists():
        merge_plain(res, json.loads(plain.read_text()))
    # 5: nothing collected (e.g. -k matched nothing); 1: a test failed (native or harness).
    return res, 0 if p.returncode in (0, 5) else 1


def merge_plain(res: dict, pb: dict) -> None:
    """Benchmarks written with pytest-benchmark's own `benchmark` fixture (not `interleaved`
    or `measure`) join the results too: one row per group (or test), one column per
    `extra_info["runtime"]` (or parameter), the wall time of each round."""
    known = res["benchmarks"]
    for b in pb.get("benchmarks", []):
        info = b.get("extra_info", {})
        if "samples" in info or "kind" in info or "ns_per_iteration" in info:
            continue  # interleaved / measure: already in the results
        name = b.get("group") or b["name"].split("[")[0]
        runtime = str(info.get("runtime") or b.get("param") or "run")
        kind = Path(b.get("fullname", "").split("::")[0]).stem.removeprefix("test_") or "other"
        row = known.setdefault(name, {"kind": kind, "unit": "s", "what": b["fullname"],
                                      "samples": {}, "failed": {}})
        data = b.get("stats", {}).get("data") or [b.get("stats", {}).get("median", 0.0)]
        row["samples"][runtime] = data


def summary(res: dict) -> list[str]:
    lines = []
    if "compat" in res:
        c = res["compat"]
        for r in c["runtimes"]:
            if r == "native":
                continue
            same = sum(1 for p in c["probes"].values() if p["runs"][r]["same"])
            lines.append(f"compat {r:<8} {same}/{len(c['probes'])} probes match native")
    for name, b in res.get("bench", {}).get("benchmarks", {}).items():
        nat = b["samples"].get("native")
        parts = []
        for r, s in b["samples"].items():
            text = report.fmt(report.med(s), b["unit"])
            if nat and r != "native":
                text += f" ×{report.med(s) / report.med(nat):.3g}"
            parts.append(f"{r} {text}")
        parts += [f"{r} FAILED" for r in b["failed"]]
        lines.append(f"{name:<26} " + ", ".join(parts))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer rounds and iterations (CI: under 3 minutes)")
    ap.add_argument("--out", type=Path, help="output directory (default bench/results/DATE/)")
    ap.add_argument("--compare", type=Path, metavar="OLD.json",
                    help="an earlier results.json: show regressions and improvements")
    ap.add_argument("--peer", action="append", default=[], metavar="CMD",
                    help="another runtime, e.g. 'proot -r /' or 'name=cmd args' (repeatable)")
    ap.add_argument("--only", choices=("compat", "bench"), help="run one half only")
    ap.add_argument("-k", dest="expr", help="pytest -k expression selecting benchmarks")
    ap.add_argument("--jobs", type=int, default=2, help="probes run in parallel (default 2)")
    ap.add_argument("--rounds", type=int, help="benchmark rounds (default 7, --quick 3)")
    args = ap.parse_args(argv)

    started = time.time()
    now = datetime.datetime.now(datetime.UTC)
    out = args.out or REPO / "bench" / "results" / now.strftime("%Y-%m-%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    old = json.loads(args.compare.read_text()) if args.compare else None
    rt = runtimes(args.peer)
    res: dict = {"meta": {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python -m bench", *(shlex.quote(a) for a in (argv or sys.argv[1:]))]),
        "quick": args.quick, "host": f"{platform.system()} {platform.release()} "
        f"{platform.machine()}, Python {platform.python_version()}",
        "cpus": os.cpu_count(), "commit": git_commit(),
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "runtimes": {k: " ".join(v) or "(none)" for k, v in rt.items()},
    }}
    status = 0
    if args.only != "bench":
        res["compat"] = compat.run_suite(rt, jobs=args.jobs, progress=bar)
        broken = [n for n, p in res["compat"]["probes"].items() if not p["native_ok"]]
        if broken:
            print(f"bench: probes failing natively: {', '.join(broken)}", file=sys.stderr)
            status = 1
    if args.only != "compat":
        res["bench"], st = run_benchmarks(rt, out, args.quick, args.rounds, args.expr)
        if st:
            print(f"bench: a benchmark failed natively or broke; see {out / 'pytest.log'}",
                  file=sys.stderr)
        status = status or st
    res["meta"]["seconds"] = time.time() - started
    res["meta"]["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    (out / "results.json").write_text(json.dumps(res, indent=1))
    made = plots.make(res, out)
    path = report.write(res, out, made, old)
    print("\n".join(summary(res)))
    if old:
        for line in report.regressions(res, old):
            print("REGRESSION " + line.strip("|- ").replace(" | ", "  "))
    print(f"\nreport: {path}\nresults: {out / 'results.json'}"
          + (f"\nplots: {', '.join(made.values())}" if made else
             "\nplots: none (pip install '.[bench]' for matplotlib)")
          + f"\n({res['meta']['seconds']:.0f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
