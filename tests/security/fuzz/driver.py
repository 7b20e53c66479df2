"""Runs the syscall fuzzer (fuzz.c) in a sandbox and checks what it saw against the table.

    python3 tests/security/fuzz/driver.py [--platform P] [--seed S] [--calls N] [--batch B]

The checks (each failure is one line in `Outcome.problems`):
- the Sentry never crashes: exit status 0 (the fuzzer's init), no "sentry bug" or Python
  traceback on stderr; never hangs: the run ends within the watchdog, and no batch was stuck
  in one call for the fuzzer's own BATCH_TIMEOUT;
- every result is a valid Linux result: -4095..-1 only with a real errno value; a number
  in neither the table nor the allow-list returns ENOSYS and nothing else (any other answer
  means the host ran it); a number in the table never returns ENOSYS, except the calls in
  ENOSYS_OK that Linux itself answers ENOSYS for some arguments;
- no call was passed to the host outside the allow-list: the Sentry's own count of trapped
  calls (`do --report`) covers every call the fuzzer issued with a number outside it;
- the fuzzer never died of its own wild pointers (a batch that "exited" with a fault), and
  its batches died only of signals its handlers could not catch (DEATHS_OK);
- the host is unharmed: the working directory (on the host) is still empty.
The Sentry's own log lines are kept for the report.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sentry.abi.sysno import NAMES, NUMBERS  # noqa: E402
from sentry.platform.allowlist import ALLOW  # noqa: E402
from sentry.syscalls.table import TABLE  # noqa: E402

ENOSYS = 38
MAX_ERRNO = 133  # EHWPOISON
# Linux answers ENOSYS for some arguments of these (an unknown futex op, a clone3 size it
# does not know is E2BIG/EINVAL, but an unknown prctl option is EINVAL: not listed).
ENOSYS_OK = {NUMBERS["futex"]}
# Signals a batch may die of: 32 and 33 are glibc's own (its sigaction refuses them, so the
# fuzzer cannot catch a kill(self, 32)).
DEATHS_OK = {32, 33}
# uretprobe (335, Linux 6.11) and uprobe (336, 6.18) bypass every seccomp filter in the
# host kernel itself; outside a uprobe trampoline they only signal or fail the caller
# (SIGILL for uretprobe, which the fuzzer never issues; ENXIO for uprobe). The ptrace
# platform stops them before the host: there they are ENOSYS like any unknown number.
SECCOMP_BYPASS = {336: {6}}  # nr -> errno values the host gives
# A batch that dies inside a notify-lane call (a signal it cannot catch) may do so before the
# Sentry received the call: the trapped-count check discounts the call each batch died in.


@dataclass
class Outcome:
    calls: int = 0
    batches: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    issued: dict[int, int] = field(default_factory=dict)
    ok: dict[int, int] = field(default_factory=dict)
    errs: dict[int, dict[int, int]] = field(default_factory=dict)
    deaths: dict[int, int] = field(default_factory=dict)
    stderr: str = ""
    inflight: dict[int, int] = field(default_factory=dict)  # calls a dying batch was in
    killed_in: list[str] = field(default_factory=list)  # "call (signal)" of each death


def build(out: Path) -> Path:
    exe = out / "fuzz"
    cmd = ["gcc", "-O1", "-Wall", "-static", "-o", str(exe), str(HERE / "fuzz.c")]
    subprocess.run(cmd, check=True, capture_output=True)
    return exe


def name(nr: int) -> str:
    return NAMES.get(nr, str(nr))


def parse(stdout: bytes, o: Outcome) -> None:
    text = stdout.decode(errors="replace")
    marker = "\n== fuzz summary ==\n"
    if marker not in text:
        o.problems.append("no summary: the fuzzer did not finish")
        return
    for line in text.rsplit(marker, 1)[1].splitlines():
        w = line.split()
        if w[:1] == ["calls"]:
            o.calls, o.batches = int(w[1]), int(w[3])
        elif w[:1] == ["death"]:
            o.deaths[int(w[1])] = int(w[2])
        elif w[:1] == ["nr"]:
            nr = int(w[1])
            o.issued[nr], o.ok[nr] = int(w[3]), int(w[5])
            o.errs[nr] = {} if w[7] == "-" else {
                int(e): int(c) for e, c in (x.split(":") for x in w[7].split(","))}
        elif w[:1] == ["inflight"]:
            nr = int(w[1]) & 0xFFFFFFFF
            nr = nr - (1 << 32) if nr >= 1 << 31 else nr
            o.inflight[nr] = o.inflight.get(nr, 0) + 1
            o.killed_in.append(f"{name(nr)} (signal {w[2]})")
        elif w[:1] == ["hang"]:
            o.problems.append(f"batch {w[1]} hung in {name(int(w[2]) & 0xFFFFFFFF)}"
                              f"({', '.join(w[3:])}) (replay: fuzz SEED N BATCH {w[1]})")
        elif w[:1] == ["batch"]:
            o.problems.append(f"the fuzzer faulted: {line}")


def report_counts(stderr: str) -> dict[int, int]:
    """`do --report`'s table: calls the Sentry trapped (or re-ran itself) per number."""
    counts: dict[int, int] = {}
    for m in re.finditer(r"^(\S+)\s+(notify|trace|host)\s+(\d+)\s", stderr, re.M):
        n = m.group(1)
        nr = NUMBERS.get(n) if n in NUMBERS else int(n) if re.fullmatch(r"-?\d+", n) else None
        if nr is not None:
            counts[nr] = counts.get(nr, 0) + int(m.group(3))
    return counts


def check_results(o: Outcome, platform: str) -> None:
    for nr, issued in sorted(o.issued.items()):
        errs = o.errs.get(nr, {})
        if errs.get(0):
            o.problems.append(f"{name(nr)}: {errs[0]} results in -4095..-1 that are no errno")
        known = nr in TABLE or nr in ALLOW
        if platform == "seccomp" and nr in SECCOMP_BYPASS:
            bad = {e: c for e, c in errs.items() if e not in SECCOMP_BYPASS[nr]}
            if bad or o.ok.get(nr):
                o.problems.append(f"{name(nr)}: unexpected {bad or 'success'} from the host")
            continue
        if not known:
            other = {e: c for e, c in errs.items() if e != ENOSYS}
            if other or o.ok.get(nr):
                o.problems.append(f"{name(nr)} ({nr}) is in neither the table nor the "
                                  f"allow-list, yet answered {o.ok.get(nr, 0)} successes and "
                                  f"errors {other}: did the host run it?")
        elif errs.get(ENOSYS) and nr not in ENOSYS_OK:
            o.problems.append(f"{name(nr)} is in the table but returned ENOSYS "
                              f"{errs[ENOSYS]} times out of {issued}")


def check_trapped(o: Outcome, platform: str) -> None:
    counts = report_counts(o.stderr)
    for nr, issued in sorted(o.issued.items()):
        if nr in ALLOW and platform == "seccomp":
            continue  # the allow lane: the host runs it, the Sentry never sees it
        if platform == "seccomp" and nr in SECCOMP_BYPASS:
            continue
        seen = counts.get(nr, 0)
        issued -= o.inflight.get(nr, 0)  # a batch died in it: it may never have trapped
        if seen < issued:
            o.problems.append(f"{name(nr)} ({nr}): issued {issued}, the Sentry saw {seen}")


def run(platform: str, seed: int, calls: int, batch: int, timeout: float,
        exe: Path | None = None) -> Outcome:
    o = Outcome()
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        exe = exe or build(Path(tmp))
        cwd = Path(tmp) / "cwd"
        cwd.mkdir()
        env = dict(os.environ, PYTHONPATH=str(REPO), LC_ALL="C")
        cmd = [sys.executable, "-m", "runsc_py", f"--platform={platform}", "do", "--report",
               str(exe), str(seed), str(calls), str(batch)]
        start = time.monotonic()
        try:
            p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            o.problems.append(f"the sandbox hung (> {timeout} s)")
            o.stderr = (e.stderr or b"").decode(errors="replace")
            return o
        o.seconds = time.monotonic() - start
        o.stderr = p.stderr.decode(errors="replace")
        if p.returncode != 0:
            o.problems.append(f"exit status {p.returncode} (the fuzzer's init exits 0)")
        for bad in ("sentry bug", "Traceback"):
            if bad in o.stderr:
                o.problems.append(f"{bad!r} on stderr")
        if list(cwd.iterdir()):
            o.problems.append(f"the host's cwd changed: {sorted(os.listdir(cwd))}")
        parse(p.stdout, o)
    unexpected = {s: c for s, c in o.deaths.items() if s not in DEATHS_OK}
    if unexpected:
        log = [ln for ln in o.stderr.splitlines()
               if ln.startswith("runsc_py: ") and "unsupported syscall" not in ln]
        o.problems.append(f"batches died of signals {unexpected}; in calls {o.killed_in}; "
                          f"Sentry log: {log[-5:]}")
    check_results(o, platform)
    check_trapped(o, platform)
    return o


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--platform", default="seccomp", choices=("seccomp", "ptrace"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--timeout", type=float, default=3600)
    a = ap.parse_args()
    o = run(a.platform, a.seed, a.calls, a.batch, a.timeout)
    print(f"platform {a.platform} seed {a.seed}: {o.calls} calls in {o.batches} batches, "
          f"{o.seconds:.1f} s wall; deaths {o.deaths or 'none'}")
    for line in o.problems:
        print("PROBLEM:", line)
    if "sentry bug" in o.stderr:  # the Sentry's own account: the call and the traceback
        print(o.stderr[o.stderr.index("sentry bug"):][:3000])
    return 1 if o.problems else 0


if __name__ == "__main__":
    sys.exit(main())
