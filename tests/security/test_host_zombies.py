"""The host reaps exactly what the guest reaped: after a workload has waited for all its
children (every wait4/waitid form, from another thread, a CLONE_PARENT grandchild), no
host zombie is left in the sandbox's PID namespace. A host wait4 the Sentry lets run must
be pinned to the child the Sentry chose (sys_process.py): an unpinned one could reap
another child, and a child the host never reaps stays a zombie holding its pid."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

PLATFORMS = ("seccomp", "ptrace")


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, pid namespace) of a host process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state, os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _zombies_in_ns(ns: str) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st is not None and st[1] == ns and st[0] == "Z":
                out.append(int(name))
    return out


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_host_zombie_after_the_guest_reaped(platform, sec_probe, runsc_argv, common_env):
    p = subprocess.Popen(runsc_argv(platform, [sec_probe("reaped_children")]),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=common_env)
    try:
        line = p.stdout.readline()
        assert line == b"reaped 19, then ECHILD\n", (line, p.stderr.read1())
        with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
            init = [int(c) for c in f.read().split()]
        assert len(init) == 1, init
        st = _stat(init[0])
        assert st is not None
        # A zombie is there at once if at all (the guest has reaped); look a few times.
        for _ in range(5):
            assert _zombies_in_ns(st[1]) == []
            time.sleep(0.1)
    finally:
        p.stdin.close()
        p.wait(timeout=120)
    assert p.returncode == 0, p.stderr.read()
