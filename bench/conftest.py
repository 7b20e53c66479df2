"""Benchmark fixtures: the runtimes side by side, the in-guest driver, the results file.

Runtimes: `native`, `seccomp` and `ptrace` (`python -m runsc_py --platform=P do`), `proot`
(`proot -r /`, the C ptrace peer) when installed, and any `--peer` of `python -m bench`
(passed here as JSON in RUNSC_BENCH_RUNTIMES).

Two ways to measure, both on pytest-benchmark and both recorded in RESULTS (written to
RUNSC_BENCH_JSON at the end, which `python -m bench` turns into the report):

- `interleaved(name, argv, ...)`: one test per benchmark; each pytest-benchmark round runs
  every runtime once, in an order that rotates from round to round, so noise from other
  load hits all runtimes alike. The figure is what the program printed (the in-guest
  driver bench/probes/loop.c: ns per iteration), or the wall time of the whole run.
- `measure(name, argv)` with the `runner` fixture: one test per runtime, rounds back to
  back (the older form; bench/test_*.py files written for it still join the report).

Nothing here asserts on a figure: a runtime that fails is reported as failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
PROBES = REPO / "bench" / "probes"
QUICK = os.environ.get("RUNSC_BENCH_QUICK", "") not in ("", "0")


def _default_runtimes() -> dict[str, list[str]]:
    rt: dict[str, list[str]] = {
        "native": [],
        "seccomp": [sys.executable, "-m", "runsc_py", "--platform=seccomp", "do"],
        "ptrace": [sys.executable, "-m", "runsc_py", "--platform=ptrace", "do"],
    }
    if shutil.which("proot"):
        rt["proot"] = ["proot", "-r", "/"]
    return rt


RUNNERS: dict[str, list[str]] = (
    json.loads(os.environ["RUNSC_BENCH_RUNTIMES"]) if os.environ.get("RUNSC_BENCH_RUNTIMES")
    else _default_runtimes()
)
ROUNDS = int(os.environ.get("RUNSC_BENCH_ROUNDS", "3" if QUICK else "7"))

# (benchmark name, runtime) -> samples, one per round; failures: (name, runtime) -> message.
RESULTS: dict[tuple[str, str], list[float]] = {}
FAILED: dict[tuple[str, str], str] = {}
# name -> {"kind": latency|throughput|startup|workload|..., "unit": "ns"|"ns/MiB"|"s", "what": ...}
INFO: dict[str, dict[str, str]] = {}


def n_iter(full: int) -> int:
    """Iterations of the in-guest loop: a tenth in --quick mode (at least 5)."""
    return max(5, full // 10) if QUICK else full


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(LC_ALL="C", LANG="C", TZ="UTC", PYTHONPATH=str(REPO))
    env.pop("PYTHONHOME", None)
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


@pytest.fixture(scope="session")
def floor_bin() -> Path:
    """bench/probes/floor.c: the trap design's floor (a C stand-in for the Sentry)."""
    return build("floor")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a 4 KiB file `data-4k` and a 1 MiB file `data-1m`."""
    d = tmp_path_factory.mktemp("bench-data")
    (d / "data-4k").write_bytes(bytes(range(256)) * 16)
    (d / "data-1m").write_bytes(bytes(range(256)) * 4096)
    return d


def _run_once(cmd: list[str], cwd: Path | None, wall: bool) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=bench_env(), cwd=cwd,
                       stdin=subprocess.DEVNULL, timeout=900)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0 or (not wall and not p.stdout.strip()):
        err = (p.stderr.strip() or p.stdout.strip()).splitlines()
        raise RuntimeError(f"exit {p.returncode}: {err[-1][:200] if err else ''}")
    return elapsed if wall else float(p.stdout.split()[-1])


@pytest.fixture
def interleaved(benchmark) -> Callable[..., None]:
    """interleaved(name, argv, kind=..., unit=..., wall=False, what="", cwd=None,
    runtimes=None, rounds=None, extra=None): every runtime once per round, the order
    rotating.

    `argv` may be a function of the runtime name returning the argv (for per-runtime
    scratch paths). `extra` adds runners for this benchmark only (name -> command prefix).
    A runtime that fails once is dropped from the later rounds."""

    def run(name: str, argv: list[str] | Callable[[str], list[str]], *, kind: str,
            unit: str, wall: bool = False, what: str = "", cwd: Path | None = None,
            runtimes: list[str] | None = None, rounds: int | None = None,
            extra: dict[str, list[str]] | None = None) -> None:
        runners = {**RUNNERS, **(extra or {})}
        names = [r for r in (runtimes or list(RUNNERS)) if r in RUNNERS] + list(extra or {})
        samples: dict[str, list[float]] = {r: [] for r in names}
        INFO[name] = {"kind": kind, "unit": unit, "what": what}
        state = {"round": 0}

        def one_round() -> None:
            i = state["round"]
            state["round"] += 1
            order = names[i % len(names):] + names[:i % len(names)]
            for r in order:
                if (name, r) in FAILED:
                    continue
                args = argv(r) if callable(argv) else argv
                try:
                    samples[r].append(_run_once([*runners[r], *args], cwd, wall))
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    FAILED[(name, r)] = str(e)

        benchmark.group = name
        benchmark.pedantic(one_round, rounds=rounds or ROUNDS, iterations=1, warmup_rounds=0)
        for r, s in samples.items():
            if s and (name, r) not in FAILED:
                RESULTS[(name, r)] = s
        benchmark.extra_info.update(
            kind=kind, unit=unit,
            samples={r: s for r, s in samples.items() if s},
            failed={r: FAILED[(name, r)] for r in names if (name, r) in FAILED},
        )
        if "native" in names and (name, "native") in FAILED:
            pytest.fail(f"{name} fails natively: {FAILED[(name, 'native')]}", pytrace=False)

    return run


@pytest.fixture(params=list(RUNNERS))
def runner(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def measure(benchmark, runner: str) -> Callable[[str, list[str]], None]:
    """measure(name, argv): runs `runner argv` once per round; records what it printed
    (a number of ns per iteration, the last word of stdout)."""

    def run(name: str, argv: list[str]) -> None:
        cmd = [*RUNNERS[runner], *argv]
        samples: list[float] = []
        INFO.setdefault(name, {"kind": "latency", "unit": "ns", "what": ""})

        def once() -> None:
            try:
                samples.append(_run_once(cmd, None, False))
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                FAILED[(name, runner)] = str(e)
                raise

        benchmark.group = name
        benchmark.pedantic(once, rounds=ROUNDS, iterations=1, warmup_rounds=0)
        RESULTS[(name, runner)] = samples
        benchmark.extra_info.update(runner=runner, unit="ns", samples=samples)

    return run


def _progress(done: int, total: int, label: str) -> None:
    from bench.progress import bar

    bar(done, total, label)


class _Progress:
    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.total = len(items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.done += 1
            _progress(self.done, self.total, f"benchmarks: {report.nodeid.split('::')[-1]}")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("RUNSC_BENCH_JSON"):
        config.pluginmanager.register(_Progress(), "runsc-bench-progress")


def _runtimes_of(name: str) -> list[str]:
    """The runtimes measured for `name`: RUNNERS' order, then any other (runc, runsc_py)."""
    seen = [r for n, r in [*RESULTS, *FAILED] if n == name]
    return [r for r in RUNNERS if r in seen] + sorted(set(seen) - set(RUNNERS))


def results() -> dict:
    """Everything measured, as `python -m bench` stores it in results.json."""
    out: dict[str, dict] = {}
    measured = {n for n, _ in RESULTS} | {n for n, _ in FAILED}
    for name in [n for n in INFO if n in measured] + sorted(measured - set(INFO)):
        info = INFO.get(name, {"kind": "latency", "unit": "ns", "what": ""})
        runtimes = _runtimes_of(name)
        out[name] = {
            **info,
            "samples": {r: RESULTS[(name, r)] for r in runtimes if (name, r) in RESULTS},
            "failed": {r: FAILED[(name, r)] for r in runtimes if (name, r) in FAILED},
        }
    return {"runtimes": RUNNERS, "rounds": ROUNDS, "quick": QUICK, "benchmarks": out}


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:9.1f} ms"
    if unit == "ns/MiB":
        return f"{(1 << 20) / (value / 1e9) / (1 << 20):7.1f} MiB/s"
    return f"{value / 1000:9.2f} us"


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("RUNSC_BENCH_JSON")
    if path:
        Path(path).write_text(json.dumps(results(), indent=1))


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 (pytest's own type)
    """The table that matters: medians of the runs' own figures, and ratios to native."""
    measured = {n for n, _ in RESULTS} | {n for n, _ in FAILED}
    names = [n for n in INFO if n in measured] + sorted(measured - set(INFO))
    if not names:
        return
    tr = terminalreporter
    tr.section("runsc-py benchmarks (median of rounds; ratio to native)")
    for name in names:
        unit = INFO.get(name, {}).get("unit", "ns")
        native = RESULTS.get((name, "native"))
        base = statistics.median(native) if native else None
        for r in _runtimes_of(name):
            if (name, r) in RESULTS:
                med = statistics.median(RESULTS[(name, r)])
                ratio = f"{med / base:8.2f}x" if base else "       -"
                tr.write_line(f"{name:<28} {r:<8} {_fmt(med, unit):>14} {ratio}")
            elif (name, r) in FAILED:
                tr.write_line(f"{name:<28} {r:<8} {'FAILED':>14}  {FAILED[(name, r)][:60]}")
