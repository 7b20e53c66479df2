"""`python -m bench`'s compatibility half end to end, on one small probe: natively, in the
sandbox, and under two made-up runtimes (`--peer` commands) that change the probe's output,
so each verdict (pass, unsupported, differs) comes from a real run and reaches the report.
The whole suite runs in CI as `make bench-quick`; this keeps the harness honest in between.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench import compat, report

# The probe prints `uname: 0` first; the peers rewrite what the program prints.
ENOSYS_PEER = ["sh", "-c", '"$@" | sed "s/^uname: 0$/uname: -1 ENOSYS/"', "sh"]
GARBLE_PEER = ["sh", "-c", '"$@" | sed "s/^sysname: .*/sysname: Plan9/"', "sh"]


def test_verdicts_per_runtime_from_real_runs(tmp_path: Path) -> None:
    runtimes = {
        "native": [],
        "seccomp": [sys.executable, "-m", "runsc_py", "--platform=seccomp", "do"],
        "enosys": ENOSYS_PEER,
        "garbled": GARBLE_PEER,
    }
    res = compat.run_suite(runtimes, jobs=2, only=["uname"])
    probe = res["probes"]["uname"]
    assert probe["native_ok"] and probe["covers"] == ["uname"]
    assert probe["runs"]["seccomp"]["same"], probe["runs"]["seccomp"]["diff"]
    row = res["syscalls"]["uname"]
    assert row["probes"] == ["uname"]
    assert row["results"] == {"seccomp": compat.PASS, "enosys": compat.UNSUPPORTED,
                              "garbled": compat.DIFFERS}
    assert "+uname: -1 ENOSYS" in probe["runs"]["enosys"]["diff"]
    assert res["syscalls"]["getpid"]["results"]["seccomp"] == compat.NOPROBE  # only uname ran

    text = "\n".join(report.compat_sections(res, {}))
    assert "| 63 | uname | supported | notify | uname | pass | **unsupported** | **differs** |" \
        in text
    assert "#### uname under garbled" in text and "+sysname: Plan9" in text


def test_python_m_bench_writes_report_json_and_plots(tmp_path: Path) -> None:
    """The command itself, benchmark half, one benchmark, one round: exit 0, the results
    file with a sample per runtime, the report's table. (Figures are never checked.)"""
    import json
    import subprocess

    from bench.probelib import REPO

    out = tmp_path / "run"
    p = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "bench", "-k",
                        "startup", "--rounds", "1", "--peer", "envwrap=env X=1", "--out",
                        str(out)], cwd=REPO, capture_output=True, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    res = json.loads((out / "results.json").read_text())
    row = res["bench"]["benchmarks"]["start-up: /bin/true"]
    assert {"native", "seccomp", "ptrace", "envwrap"} <= set(row["samples"]), row
    assert all(len(s) == 1 for s in row["samples"].values())
    text = (out / "report.md").read_text()
    assert "| start-up: /bin/true |" in text and "--peer 'envwrap=env X=1'" in text
    assert "[#" in p.stderr  # the progress bar
