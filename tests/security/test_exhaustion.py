"""Resource exhaustion from inside the sandbox, bounded by limits; the Sentry survives and
the host is unharmed (tests/security/probes/exhaust.c).

Inside the guest's own limits: memory under RLIMIT_AS/RLIMIT_DATA (the host enforces them
on the task: sys_rlimit.HOST_ENFORCED), fds under RLIMIT_NOFILE (the Sentry's fd table), a
non-root fork bomb under RLIMIT_NPROC (clone), deep trees and symlink chains (the walk
answers ENAMETOOLONG/ELOOP; no Python recursion).

Under `do`'s limits, which the guest's root cannot lift (small ones here, for time): tasks
under --pids-limit (the Sentry's task table and a pids cgroup: EAGAIN), the workload's
memory under --memory (a memory cgroup holding the workload only: its OOM killer kills the
hog, the Sentry lives and says so), the root's upper layer under --overlay-size (ENOSPC,
as a tmpfs of that size natively).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, _env, _runsc_argv

PLATFORMS = ("seccomp", "ptrace")

WANT = {
    "memory": "mmap bomb: ENOMEM below RLIMIT_AS: yes\nbrk bomb: ENOMEM after < 64 MiB\nend\n",
    "fds": ("open: EMFILE after 61 (+3 stdio)\ndup: EMFILE\npipe: EMFILE\n"
            "pipe with one free: EMFILE\nend\n"),
    "fork": "fork bomb: EAGAIN after 19 children\nend\n",
    "deep": ("depth 3000, getcwd: ERANGE\nstat ../ x600: ok\n"
             "chdir to /tmp/deep by 5 x ../: ok\nopen a 4500-byte path: ENAMETOOLONG\n"
             "open a symlink loop: ELOOP\n40 links: ok\n41 links: ELOOP\nend\n"),
}


@pytest.mark.parametrize("mode", sorted(WANT))
@pytest.mark.parametrize("platform", PLATFORMS)
def test_exhaustion_is_bounded(platform, mode, sec_probe, run_sandboxed, describe):
    p = run_sandboxed(platform, [sec_probe("exhaust"), mode], timeout=240)
    assert p.stdout.decode() == WANT[mode], describe(p)
    assert p.returncode == 0, describe(p)
    assert b"sentry bug" not in p.stderr and b"Traceback" not in p.stderr, describe(p)


UNDER_LIMITS = {
    "fork-root": (["--pids-limit", "50"],
                  "root fork bomb: EAGAIN after 49 children\nall reaped: yes\nfork after: ok\n"
                  "end\n"),
    "threads-root": (["--pids-limit", "50"], "root thread bomb: EAGAIN after 49 threads\nend\n"),
    "fork-tree": (["--pids-limit", "50"], "tree bomb: EAGAIN, at most 50 tasks\nend\n"),
    # What a tmpfs of size=1m answers natively (exhaust.c, -DUPPER_DIR).
    "upper": (["--overlay-size", "1m"],
              "write: ENOSPC after 1024 KiB\nfallocate 1 MiB more: ENOSPC\n"
              "ftruncate to 1 GiB (sparse): ok\nunlink: ok\nwrite after unlink: ok\nend\n"),
}


def _run_do(argv: list[str], platform: str) -> tuple[subprocess.CompletedProcess, int]:
    """Runs `do argv` and returns (completed, pid of the `do`)."""
    cmd = _runsc_argv(platform, argv)
    with subprocess.Popen(cmd, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as p:
        try:
            out, err = p.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
    return subprocess.CompletedProcess(cmd, p.returncode, out, err), p.pid


def _leftover_cgroups(pid: int) -> list[str]:
    name = f"runsc_py-do-{pid}"
    return [os.path.join(root, name) for root, dirs, _ in os.walk("/sys/fs/cgroup")
            if name in dirs]


@pytest.mark.parametrize("mode", sorted(UNDER_LIMITS))
@pytest.mark.parametrize("platform", PLATFORMS)
def test_root_bounded_by_do_limits(platform, mode, sec_probe, describe, tmp_path):
    flags, want = UNDER_LIMITS[mode]
    extra = []
    if mode == "upper":  # a host file too big to copy up into the 1 MiB layer
        big = tmp_path / "big"
        big.write_bytes(b"y" * (2 << 20))
        extra = [str(big)]
        want = want.replace("end\n", "copy-up of a 2 MiB file: ENOSPC\nstill readable: yes\nend\n")
    p, pid = _run_do([*flags, sec_probe("exhaust"), mode, *extra], platform)
    assert p.stdout.decode() == want, describe(p)
    assert p.returncode == 0, describe(p)
    assert b"sentry bug" not in p.stderr and b"Traceback" not in p.stderr, describe(p)
    assert _leftover_cgroups(pid) == [], describe(p)


def _memory_cgroup_usable() -> bool:
    from runsc_py.container.workload_cgroup import WorkloadCgroup

    cg = WorkloadCgroup.create(0, 1 << 30)
    try:
        return not cg.missing
    finally:
        cg.remove()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_root_memory_bomb_is_oom_killed(platform, sec_probe, describe):
    """A child of the workload eats memory past --memory: the memory cgroup's OOM killer
    kills it (SIGKILL, as Linux under a memory cgroup), the parent and the Sentry live on,
    and `do` reports the kill. Likewise a child dirtying a sparse upper-layer file through
    a shared mapping (pages the upper layer's size does not see: the workload's memory)."""
    if not _memory_cgroup_usable():
        pytest.skip("no memory cgroup here (do warns: memory is bounded by the host only)")
    p, pid = _run_do(["--memory", "64m", sec_probe("exhaust"), "memory-root"], platform)
    assert p.stdout.decode() == ("memory bomb: killed by KILL\nparent alive, malloc after: ok\n"
                                 "shared mapping bomb: killed by KILL\nmalloc after: ok\nend\n"
                                 ), describe(p)
    assert p.returncode == 0, describe(p)
    assert (b"the workload reached its memory limit (67108864 bytes): the OOM killer of its "
            b"memory cgroup killed 2 task(s)") in p.stderr, describe(p)
    assert b"sentry bug" not in p.stderr and b"Traceback" not in p.stderr, describe(p)
    assert _leftover_cgroups(pid) == [], describe(p)


SENTRY_CAP_ONLY = """
import sys
from sentry.sandbox import run_do
sys.exit(run_do(sys.argv[2:], platform=sys.argv[1], max_tasks=30))
"""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sentry_task_cap_alone(platform, sec_probe, describe):
    """Without any cgroup (run_do itself, no `do` CLI): the Sentry's task table alone gives
    a root fork bomb EAGAIN at its cap."""
    cmd = [sys.executable, "-c", SENTRY_CAP_ONLY, platform, sec_probe("exhaust"), "fork-root"]
    p = subprocess.run(cmd, env=_env(), cwd=REPO, capture_output=True, timeout=240,
                       stdin=subprocess.DEVNULL)
    assert p.stdout.decode() == ("root fork bomb: EAGAIN after 29 children\nall reaped: yes\n"
                                 "fork after: ok\nend\n"), describe(p)
    assert p.returncode == 0, describe(p)
