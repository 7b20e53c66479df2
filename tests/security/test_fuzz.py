"""The syscall fuzzer (tests/security/fuzz/) in CI: a short seeded run per platform, and
the regression tests of the Sentry bugs it found.

The long run (>= 1,000,000 calls, see THREAT-MODEL.md) is the same driver:
    python3 tests/security/fuzz/driver.py --platform seccomp --seed 1 --calls 1000000
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "fuzz"))
import driver  # noqa: E402

PLATFORMS = ("seccomp", "ptrace")
CI_CALLS = 30_000  # a few seconds per platform when alone; the timeout is generous
CI_TIMEOUT = 240


@pytest.fixture(scope="module")
def fuzz_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return driver.build(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_seeded_fuzz_run(platform, fuzz_exe):
    o = driver.run(platform, seed=1, calls=CI_CALLS, batch=3000, timeout=CI_TIMEOUT,
                   exe=fuzz_exe)
    assert not o.problems, "\n".join(o.problems) + "\n--- stderr\n" + o.stderr[-3000:]
    assert o.calls >= CI_CALLS * 0.9, f"only {o.calls} calls were made"


# -- regressions of bugs the fuzzer found ----------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_poll_for_an_event_an_unpollable_stdio_never_has(platform, sec_probe, runsc_argv,
                                                        common_env, tmp_path, describe):
    """poll(POLLPRI) on stdio that is /dev/null or a regular file: the Sentry parked the
    task on the host fd and its epoll refused it (EPERM): the Sentry died. Linux waits for
    the timeout."""
    out = tmp_path / "out"
    with open(out, "wb") as f:
        p = subprocess.run(runsc_argv(platform, [sec_probe("poll_unpollable")]), stdout=f,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=common_env,
                           timeout=60)
    p.stdout = out.read_bytes()
    assert p.stdout == (b"poll POLLPRI on stdin and stdout: 0 revents 0 0\n"
                        b"select exceptfds on stdin: 0\n"), describe(p)
    assert p.returncode == 0, describe(p)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_signal_before_the_sentry_receives_a_call(platform, sec_probe, run_sandboxed,
                                                  describe):
    """A signal while a notify-lane call waited to be received: EINTR from getppid and
    -512 from syscall(-1) on seccomp. Now restarted (ENOSYS for -1), as Linux behaves."""
    # The race is the seccomp platform's; ptrace runs a short check, with a timer slow
    # enough that the task gets on between signal stops (200 us livelocks it under load).
    args = ["20000", "200"] if platform == "seccomp" else ["2000", "5000"]
    p = run_sandboxed(platform, [sec_probe("notify_interrupted"), *args], timeout=300)
    assert p.stdout == (b"getppid other than the parent: 0\n"
                        b"syscall(-1) other than ENOSYS: 0\n"
                        b"signals handled: some\n"), describe(p)
    assert p.returncode == 0, describe(p)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_chown_to_ids_above_int_max(platform, sec_probe, run_sandboxed, run_native, tmp_path,
                                    describe):
    """chown(-2, -3): the Sentry stored a negative uid and crashed at the next stat (a
    Sentry bug); Linux takes uid_t. Same output as a native run (as root)."""
    native = run_native([sec_probe("chown_ids"), str(tmp_path / "native")])
    p = run_sandboxed(platform, [sec_probe("chown_ids")])
    assert p.stdout == native.stdout and b"uid 4294967294" in p.stdout, describe(p)
    assert p.returncode == 0, describe(p)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_huge_sendfile_does_not_stall_the_sentry(platform, sec_probe, run_sandboxed,
                                                   describe):
    """sendfile(2 GiB) from /dev/zero ran whole in the Sentry's loop (minutes, every task
    stalled). At most 64 MiB per call now; a loop still gets everything."""
    p = run_sandboxed(platform, [sec_probe("big_sendfile")], timeout=120)
    assert p.stdout == b"one sendfile of 2 GiB: short\na loop of them: 200 MiB\n", describe(p)
    assert p.returncode == 0, describe(p)
