"""Fault handling: the Sentry dies (SIGKILL) and nothing of the sandbox outlives it; a Sentry
bug (an exception in a handler) stops the sandbox, names the call, and never lets the host
run it.

The fault injection is test-only: RUNSC_PY_TEST_FAULT=<syscall> in the Sentry's own
environment, read once at start (sentry/kernel/task_syscall.py). The OCI runtime's fault
cases (delete --force after a kill mid-create) belong with the runtime's tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

PLATFORMS = ("seccomp", "ptrace")
EXIT_SENTRY_BUG = 128 + 9


def _pid_ns(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _alive(pid: int) -> bool:
    """Whether pid exists and is not a zombie (a zombie runs nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _in_ns(ns: str) -> list[int]:
    """Host pids of every process in the PID namespace `ns`."""
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and _pid_ns(int(p)) == ns]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sentry_killed_takes_every_workload_process(platform, runsc_argv, common_env):
    """kill -9 of the Sentry: the init task (PR_SET_PDEATHSIG, PTRACE_O_EXITKILL) and with
    it the whole PID namespace (two sleepers forked in the background) die; no process of
    the sandbox remains on the host, and the next `do` removes its cgroups."""
    script = "sleep 300 & sleep 301 & echo started; wait"
    sentry = subprocess.Popen(runsc_argv(platform, ["/bin/sh", "-c", script]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=common_env)
    try:
        assert sentry.stdout.readline() == b"started\n"
        init = _children(sentry.pid)
        assert len(init) == 1, f"the Sentry's host children: {init}"
        ns = _pid_ns(init[0])
        assert ns is not None and ns != _pid_ns(os.getpid())
        deadline = time.monotonic() + 60
        while len(_in_ns(ns)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # the shell and its two sleepers
        members = _in_ns(ns)
        assert len(members) >= 3, f"processes in the sandbox's PID namespace: {members}"
    finally:
        sentry.send_signal(signal.SIGKILL)
        sentry.wait(timeout=60)
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in members) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in members if _alive(p)] == []
    assert [p for p in _in_ns(ns) if _alive(p)] == []
    # Its cgroups (do's --pids-limit/--memory) outlived it; the next `do` removes them.
    name = f"runsc_py-do-{sentry.pid}"
    left = [os.path.join(r, name) for r, dirs, _ in os.walk("/sys/fs/cgroup") if name in dirs]
    subprocess.run(runsc_argv(platform, ["/bin/true"]), env=common_env, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    assert [d for d in left if os.path.isdir(d)] == []


@pytest.mark.parametrize("call", ["getuid", "fork"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_sentry_bug_stops_the_sandbox_and_names_the_call(platform, call, sec_probe,
                                                           run_sandboxed, common_env, describe):
    env = dict(common_env, RUNSC_PY_TEST_FAULT=call)
    p = run_sandboxed(platform, [sec_probe("fault_target"), call], env=env, timeout=60)
    assert p.stdout == b"before\n", describe(p)  # never "after": not answered, not passed on
    assert p.returncode == EXIT_SENTRY_BUG, describe(p)
    err = p.stderr.decode()
    assert f"sentry bug in {call}(" in err and "injected test fault" in err, describe(p)


def test_the_fault_injection_names_a_real_syscall(run_sandboxed, common_env, describe):
    env = dict(common_env, RUNSC_PY_TEST_FAULT="no_such_call")
    p = run_sandboxed("seccomp", ["/bin/true"], env=env, timeout=60)
    assert p.returncode != 0 and b"no syscall named 'no_such_call'" in p.stderr, describe(p)
