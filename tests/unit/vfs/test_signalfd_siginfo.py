"""signalfd_copyinfo's translation of siginfo_t into struct signalfd_siginfo, per layout
(the kill/chld/rt/timer layouts are also checked natively by tests/syscalls/probes/signalfd.c)."""

from __future__ import annotations

import struct

from sentry.vfs.fsimpl.signalfd import SIGINFO_SIZE, to_signalfd_siginfo


def _info(signo: int, code: int, body: bytes) -> bytes:
    return (struct.pack("<iii4x", signo, 0, code) + body).ljust(128, b"\0")


def _fields(rec: bytes) -> dict[str, int]:
    names = ("signo", "errno", "code", "pid", "uid", "fd", "tid", "band", "overrun",
             "trapno", "status", "int")
    out = dict(zip(names, struct.unpack_from("<IiiIIiIIIIii", rec, 0), strict=True))
    out["ptr"], out["utime"], out["stime"], out["addr"] = struct.unpack_from("<QQQQ", rec, 48)
    out["addr_lsb"] = struct.unpack_from("<H", rec, 80)[0]
    out["syscall"], out["call_addr"], out["arch"] = struct.unpack_from("<iQI", rec, 84)
    return out


def test_segv_fault_gives_the_address_only() -> None:
    rec = to_signalfd_siginfo(_info(11, 1, struct.pack("<Q", 0xDEAD000)))
    f = _fields(rec)
    assert len(rec) == SIGINFO_SIZE
    assert (f["signo"], f["code"], f["addr"], f["pid"], f["uid"]) == (11, 1, 0xDEAD000, 0, 0)


def test_bus_mceerr_gives_the_lsb() -> None:
    f = _fields(to_signalfd_siginfo(_info(7, 4, struct.pack("<QH", 0x1000, 12))))
    assert (f["addr"], f["addr_lsb"]) == (0x1000, 12)


def test_sigpoll_gives_band_and_fd() -> None:
    f = _fields(to_signalfd_siginfo(_info(29, 1, struct.pack("<qi", 0x41, 5))))
    assert (f["band"], f["fd"], f["pid"]) == (0x41, 5, 0)


def test_sigsys_gives_call_syscall_arch() -> None:
    f = _fields(to_signalfd_siginfo(_info(31, 1, struct.pack("<QiI", 0x401000, 59, 0xC000003E))))
    assert (f["call_addr"], f["syscall"], f["arch"]) == (0x401000, 59, 0xC000003E)


def test_sigchld_gives_status_and_times() -> None:
    f = _fields(to_signalfd_siginfo(_info(17, 1, struct.pack("<iIi4xqq", 7, 0, 3, 11, 12))))
    assert (f["pid"], f["status"], f["utime"], f["stime"]) == (7, 3, 11, 12)
