"""Resource exhaustion from inside the sandbox, bounded by limits; the Sentry survives and
the host is unharmed (tests/security/probes/exhaust.c).

Bounded today: memory under the guest's RLIMIT_AS/RLIMIT_DATA (the host enforces them on
the task: sys_rlimit.HOST_ENFORCED), fds under RLIMIT_NOFILE (the Sentry's fd table), a
non-root fork bomb under RLIMIT_NPROC (clone), deep trees and symlink chains (the walk
answers ENAMETOOLONG/ELOOP; no Python recursion). Not bounded yet (THREAT-MODEL.md): a
root fork bomb or a memory bomb without a limit set inside (no pids/memory cgroup in
`do`), and the in-memory upper layer's size.
"""

from __future__ import annotations

import pytest

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
