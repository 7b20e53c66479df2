"""The Sentry's own seccomp filter (sentry/platform/sentry_filter.py): installed on the
Sentry once the sandbox is set up, it kills the Sentry on a host call it does not need."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from sentry.platform import sentry_filter

PLATFORMS = ("seccomp", "ptrace")


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_running_sentry_is_filtered(platform, runsc_argv, common_env):
    p = subprocess.Popen(runsc_argv(platform, ["/bin/sh", "-c", "echo up; sleep 60"]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=common_env)
    try:
        assert p.stdout.readline() == b"up\n"
        st = _status(p.pid)
        assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1", st
    finally:
        p.kill()
        p.wait(timeout=60)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_filter_can_be_turned_off(platform, runsc_argv, common_env):
    argv = runsc_argv(platform, ["--sentry-seccomp=off", "/bin/sh", "-c", "echo up; sleep 60"])
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=common_env)
    try:
        assert p.stdout.readline() == b"up\n"
        assert _status(p.pid)["Seccomp"] == "0"
    finally:
        p.kill()
        p.wait(timeout=60)


# What a compromised Sentry would try, each in a child that installs the filter first.
FORBIDDEN = {
    "exec a program": "os.execv('/bin/true', ['true'])",
    "fork": "os.fork()",
    "open a socket": "import socket; socket.socket()",
    "mount": "import ctypes; ctypes.CDLL(None).mount(b'x', b'/mnt', b'tmpfs', 0, None)",
    "load a BPF program": "import ctypes; ctypes.CDLL(None).syscall(321, 0, 0, 0)",
}


@pytest.mark.parametrize("what", sorted(FORBIDDEN))
def test_a_call_outside_the_list_kills_the_sentry(what, common_env):
    code = ("import os; from sentry.platform import sentry_filter as f; f.install('kill'); "
            f"print('installed', flush=True); {FORBIDDEN[what]}; print('survived')")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, env=common_env,
                       timeout=60)
    assert p.stdout == b"installed\n", p
    assert p.returncode == -signal.SIGSYS, p


@pytest.mark.parametrize("container", (False, True))
def test_every_listed_call_is_known_and_none_creates_processes(container):
    names = sentry_filter.allowed_names(container=container)
    sentry_filter.build(container=container)  # raises on a name libseccomp does not know
    for bad in ("clone", "clone3", "fork", "vfork", "execve", "execveat", "socket",
                "mount", "bpf", "ptrace_scope", "init_module", "setns", "unshare"):
        assert bad not in names


def test_sentry_filter_mode_is_checked():
    with pytest.raises(ValueError):
        sentry_filter.install("maybe")
