"""The guest's view of a siginfo (sentry.kernel.siginfo): recorded senders of the signals the
Sentry sends, the guest's uid of a sandbox sender, stale records (also checked natively and
sandboxed by tests/syscalls/probes/siginfo.c)."""

from __future__ import annotations

import struct
from types import SimpleNamespace

from sentry.kernel import siginfo
from sentry.kernel.creds import Credentials


def _info(signo: int, code: int, pid: int, uid: int, rest: bytes = b"") -> bytes:
    return (struct.pack("<iii4xiI", signo, 0, code, pid, uid) + rest).ljust(128, b"\0")


def _fields(info: bytes) -> tuple[int, int, int]:
    code, pid, uid = struct.unpack_from("<i4xiI", info, 8)
    return code, pid, uid


def _kernel() -> tuple[SimpleNamespace, SimpleNamespace]:
    leader = SimpleNamespace(creds=Credentials(uid=1000), host_tid=501)
    tg = SimpleNamespace(vpid=7, host_pid=501, tasks=[leader], exit_uid=0)
    leader.tg = tg
    zombie = SimpleNamespace(vpid=8, host_pid=502, tasks=[], exit_uid=1234)
    k = SimpleNamespace(signal_senders={}, thread_groups={7: tg, 8: zombie})
    return k, leader


def test_a_zero_pid_kill_takes_the_oldest_recorded_sender() -> None:
    k, t = _kernel()
    k.signal_senders[(501, 10)] = [(0, 3, 42), (0, 4, 43)]
    fixed = siginfo.guest_info(k, t, _info(10, 0, 0, 0))
    assert fixed is not None and _fields(fixed) == (0, 3, 42)
    assert k.signal_senders[(501, 10)] == [(0, 4, 43)]


def test_a_recorded_code_replaces_the_hosts() -> None:
    k, t = _kernel()  # SIGPIPE: sent with tgkill (SI_TKILL), Linux says SI_USER
    k.signal_senders[(501, 13)] = [(siginfo.SI_USER, 7, 1000)]
    fixed = siginfo.guest_info(k, t, _info(13, siginfo.SI_TKILL, 0, 0))
    assert fixed is not None and _fields(fixed) == (0, 7, 1000)
    assert (501, 13) not in k.signal_senders


def test_no_record_leaves_an_outside_senders_zero() -> None:
    k, t = _kernel()
    assert siginfo.guest_info(k, t, _info(10, 0, 0, 0)) is None


def test_a_host_raised_signal_gets_the_guest_uid() -> None:
    k, t = _kernel()
    fixed = siginfo.guest_info(k, t, _info(12, siginfo.SI_TKILL, 7, 65534))
    assert fixed is not None and _fields(fixed) == (siginfo.SI_TKILL, 7, 1000)
    chld = _info(17, 1, 8, 65534, struct.pack("<i", 3))
    fixed = siginfo.guest_info(k, t, chld)
    assert fixed is not None and _fields(fixed) == (1, 8, 1234)
    assert struct.unpack_from("<i", fixed, 24)[0] == 3  # si_status kept
    assert siginfo.guest_info(k, t, _info(12, siginfo.SI_TKILL, 7, 1000)) is None


def test_a_queued_siginfo_keeps_the_callers_uid() -> None:
    k, t = _kernel()
    assert siginfo.guest_info(k, t, _info(10, siginfo.SI_QUEUE, 7, 99)) is None
    assert siginfo.guest_info(k, t, _info(14, 0x80, 0, 0)) is None  # SI_KERNEL


def test_a_stop_the_sentry_sent_as_sigstop_is_reported_as_itself() -> None:
    k, t = _kernel()
    k.thread_groups[9] = SimpleNamespace(vpid=9, tasks=[t], stop_as=None, wait_stop=20,
                                         parent=None, exit_signal=17)
    stopped = _info(17, 5, 9, 1000, struct.pack("<i", 19))  # CLD_STOPPED, SIGSTOP
    fixed = siginfo.guest_info(k, t, stopped)
    assert fixed is not None and struct.unpack_from("<i", fixed, 24)[0] == 20  # SIGTSTP
    k.thread_groups[9].wait_stop = 19
    assert siginfo.guest_info(k, t, stopped) is None
