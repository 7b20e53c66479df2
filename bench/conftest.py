"""Benchmark fixtures: the C probe, the runners side by side, and the summary table.

Runners: `native`, `seccomp` and `ptrace` (`python -m runsc_py --platform=P do`), and
`proot` (`proot -r /`, the C ptrace peer). Each round runs the probe once; the figure that
counts is the per-call latency the probe measured itself, kept in `benchmark.extra_info`
and summed up in a table (medians, ratios to native and to proot) at the end of the run.
pytest-benchmark's own table times whole runs, start-up included.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
PROBES = REPO / "bench" / "probes"

RUNNERS: dict[str, list[str]] = {
    "native": [],
    "seccomp": [sys.executable, "-m", "runsc_py", "--platform=seccomp", "do"],
    "ptrace": [sys.executable, "-m", "runsc_py", "--platform=ptrace", "do"],
    "proot": ["proot", "-r", "/"],
}
ROUNDS = int(os.environ.get("RUNSC_BENCH_ROUNDS", "5"))

# (benchmark name, runner) -> the per-call latencies (ns) the probe printed, one per round.
RESULTS: dict[tuple[str, str], list[float]] = {}
FAILED: dict[tuple[str, str], str] = {}


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(LC_ALL="C", PYTHONPATH=str(REPO))
    return env


def build(name: str) -> Path:
    """gcc -O2 bench/probes/NAME.c into bench/out/ (cached by content hash)."""
    src = PROBES / f"{name}.c"
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:12]
    out = OUT / f"{name}-{digest}"
    if not out.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
        r = subprocess.run(["gcc", "-O2", "-Wall", "-o", str(tmp), str(src)],
                           capture_output=True, text=True)
        if r.returncode:
            pytest.fail(f"building {src}:\n{r.stderr}", pytrace=False)
        os.replace(tmp, out)
    return out


@pytest.fixture(scope="session")
def loop_bin() -> Path:
    return build("loop")


@pytest.fixture(params=list(RUNNERS))
def runner(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def measure(benchmark, runner: str) -> Callable[[str, list[str]], None]:
    """measure(name, argv): runs `runner argv` once per round; records what it printed."""

    def run(name: str, argv: list[str]) -> None:
        cmd = [*RUNNERS[runner], *argv]
        samples: list[float] = []

        def once() -> None:
            p = subprocess.run(cmd, capture_output=True, text=True, env=bench_env(),
                               stdin=subprocess.DEVNULL, timeout=900)
            if p.returncode != 0 or not p.stdout.strip():
                msg = f"{cmd} exited {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
                err = p.stderr.strip().splitlines()
                FAILED[(name, runner)] = f"exit {p.returncode}: {err[-1] if err else ''}"
                raise RuntimeError(msg)
            samples.append(float(p.stdout.split()[-1]))

        benchmark.group = name
        benchmark.pedantic(once, rounds=ROUNDS, iterations=1, warmup_rounds=0)
        RESULTS[(name, runner)] = samples
        benchmark.extra_info.update(
            runner=runner, unit="ns per iteration (measured by the probe)",
            ns_per_iteration=samples, median_ns=statistics.median(samples),
        )

    return run


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:>8.3g}x" if base else "        -"


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 (pytest's own type)
    """The table that matters: medians of the probe's own figures, and their ratios."""
    names = sorted({n for n, _ in RESULTS} | {n for n, _ in FAILED})
    if not names:
        return
    tr = terminalreporter
    tr.section("per-call latency (median of rounds, as measured by the probe)")
    tr.write_line(f"{'benchmark':<24} {'runner':<8} {'median':>12} {'vs native':>9} "
                  f"{'vs proot':>9}  rounds")
    for name in names:
        native = RESULTS.get((name, "native"))
        proot = RESULTS.get((name, "proot"))
        base_n = statistics.median(native) if native else None
        base_p = statistics.median(proot) if proot else None
        for r in RUNNERS:
            if (name, r) in RESULTS:
                s = RESULTS[(name, r)]
                med = statistics.median(s)
                tr.write_line(f"{name:<24} {r:<8} {med / 1000:>9.2f} us {_ratio(med, base_n)} "
                              f"{_ratio(med, base_p)}  {len(s)}")
            elif (name, r) in FAILED:
                tr.write_line(f"{name:<24} {r:<8} {'FAILED':>12}  {FAILED[(name, r)][:60]}")
