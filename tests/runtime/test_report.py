"""`runsc_py do --report`: the per-syscall summary after a run (issue 7)."""

from __future__ import annotations

import pytest

PROG = ("import ctypes, os; os.getpid(); "
        "print(ctypes.CDLL(None).syscall(1000), ctypes.get_errno())")


@pytest.mark.parametrize("platform", ["seccomp", "ptrace"])
def test_report_lists_calls_lanes_and_enosys(platform, run_sandboxed, describe) -> None:
    p = run_sandboxed(platform, ["--report", "/usr/bin/python3", "-c", PROG])
    assert p.returncode == 0, describe(p)
    assert p.stdout.startswith(b"-1 "), describe(p)
    err = p.stderr.decode()
    assert f"syscalls trapped by the Sentry ({platform} platform):" in err, describe(p)
    lanes: dict[str, set[str]] = {}
    for line in err.splitlines():
        cols = line.split()
        if line[:1].isalpha() and len(cols) == 5 and cols[2].isdigit():
            lanes.setdefault(cols[0], set()).add(cols[1])
    assert lanes.get("getpid", set()) & {"notify", "trace"}, describe(p)
    # File maps: by the guest's fd number from a notification (seccomp), or stopped.
    want = "notify" if platform == "seccomp" else "trace"
    assert want in lanes.get("mmap", set()), describe(p)
    assert "unsupported, answered ENOSYS: ? (1000)" in err, describe(p)


def test_report_keeps_the_exit_status(run_sandboxed, describe) -> None:
    p = run_sandboxed("seccomp", ["--report", "/bin/sh", "-c", "exit 3"])
    assert p.returncode == 3, describe(p)
    assert "allow-lane calls ran on the host" in p.stderr.decode(), describe(p)
