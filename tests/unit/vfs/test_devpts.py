"""devpts, the pty pair and the line discipline, in-process on a fake Task."""

from __future__ import annotations

import struct
from typing import Any

from sentry.abi.errno import EAGAIN, EIO, ENOENT, ENOTTY, EPERM
from sentry.kernel.waiter import POLLHUP, POLLIN
from sentry.syscalls import sys_file, sys_ioctl, sys_read_write, sys_stat
from sentry.vfs.constants import AT_FDCWD, O_NOCTTY, O_NONBLOCK, O_RDWR
from sentry.vfs.fsimpl.devpts import jobctl as devpts_jobctl
from sentry.vfs.fsimpl.devpts.ldisc import SIGINT, LineDiscipline
from sentry.vfs.fsimpl.devpts.terminal import (
    TCGETS, TCSETS, TIOCGPGRP, TIOCGPTN, TIOCGPTPEER, TIOCGWINSZ, TIOCSCTTY, TIOCSPTLCK,
    TIOCSWINSZ,
)
from sentry.vfs.fsimpl.devpts.termios import ECHO, ICANON, Termios
from tests.unit.vfs.conftest import call

NB = O_RDWR | O_NOCTTY | O_NONBLOCK


def _open(t: Any, path: bytes, flags: int = NB) -> Any:
    return call(t, sys_file.sys_openat, AT_FDCWD, t.put(path), flags, 0)


def _pair(t: Any) -> tuple[int, int, int]:
    m = _open(t, b"/dev/ptmx")
    n = t.buf(4)
    assert call(t, sys_ioctl.sys_ioctl, m, TIOCGPTN, n) == 0
    index = t.mem.read_i32(n)
    zero = t.put(b"\0\0\0\0")
    assert call(t, sys_ioctl.sys_ioctl, m, TIOCSPTLCK, zero) == 0
    s = _open(t, b"/dev/pts/%d" % index)
    assert isinstance(s, int), s
    return m, s, index


def _write(t: Any, fd: int, data: bytes) -> Any:
    return call(t, sys_read_write.sys_write, fd, t.put(data), len(data))


def _read(t: Any, fd: int, n: int = 256) -> Any:
    buf = t.buf(n)
    r = call(t, sys_read_write.sys_read, fd, buf, n)
    return r if not isinstance(r, int) else t.mem.read(buf, r)


def test_ldisc_canonical_editing_and_echo() -> None:
    ld = LineDiscipline()
    assert ld.receive(b"ab\x7fc\n") == []
    assert ld.read(100) == b"ac\n"
    assert bytes(ld.out) == b"ab\b \bc\r\n"
    ld.out.clear()
    ld.receive(b"one two\x17x\x04")
    assert ld.read(100) == b"one x"
    ld.receive(b"\x04")
    assert ld.read(100) == b""  # VEOF at line start: EOF
    assert ld.read(100) is None


def test_ldisc_isig_flushes_and_raw_mode() -> None:
    ld = LineDiscipline()
    ld.receive(b"partial")
    assert ld.receive(b"\x03") == [SIGINT]
    assert ld.pending_input() == 0 and bytes(ld.out).endswith(b"^C")
    raw = Termios()
    raw.lflag &= ~(ICANON | ECHO)
    raw.iflag = 0
    ld.set_termios(raw)
    ld.out.clear()
    ld.receive(b"a\rb")
    assert ld.read(10) == b"a\rb" and not ld.out


def test_ptmx_open_unlock_and_replica(t: Any) -> None:
    m = _open(t, b"/dev/ptmx")
    n = t.buf(4)
    call(t, sys_ioctl.sys_ioctl, m, TIOCGPTN, n)
    path = b"/dev/pts/%d" % t.mem.read_i32(n)
    assert _open(t, path) is EIO  # locked
    call(t, sys_ioctl.sys_ioctl, m, TIOCSPTLCK, t.put(b"\0\0\0\0"))
    s = _open(t, path)
    st = t.buf(144)
    assert call(t, sys_stat.sys_newfstatat, AT_FDCWD, t.put(path), st, 0) == 0
    mode, rdev = struct.unpack_from("<I", t.mem.read(st + 24, 4))[0], t.mem.read(st + 40, 8)
    assert mode >> 12 == 0o2 and struct.unpack("<Q", rdev)[0] >> 8 == 136
    peer = call(t, sys_ioctl.sys_ioctl, m, TIOCGPTPEER, O_RDWR)
    assert isinstance(peer, int) and peer > s
    assert call(t, sys_ioctl.sys_ioctl, s, TIOCGPTN, n) is ENOTTY


def test_data_both_ways_and_termios(t: Any) -> None:
    m, s, _ = _pair(t)
    assert _write(t, m, b"hi\n") == 3
    assert _read(t, s) == b"hi\n"
    assert _read(t, m) == b"hi\r\n"  # the echo
    assert _read(t, s) is EAGAIN
    assert _write(t, s, b"out\n") == 4
    assert _read(t, m) == b"out\r\n"
    buf = t.buf(36)
    assert call(t, sys_ioctl.sys_ioctl, m, TCGETS, buf) == 0
    tio = Termios.unpack(t.mem.read(buf, 36))
    assert tio == Termios()
    tio.lflag &= ~(ICANON | ECHO)
    t.mem.write(buf, tio.pack())
    assert call(t, sys_ioctl.sys_ioctl, s, TCSETS, buf) == 0
    _write(t, m, b"x")
    assert _read(t, s) == b"x" and _read(t, m) is EAGAIN
    ws = t.put(struct.pack("<4H", 24, 80, 0, 0))
    assert call(t, sys_ioctl.sys_ioctl, m, TIOCSWINSZ, ws) == 0
    out = t.buf(8)
    call(t, sys_ioctl.sys_ioctl, s, TIOCGWINSZ, out)
    assert struct.unpack("<4H", t.mem.read(out, 8))[:2] == (24, 80)


def test_hangups(t: Any) -> None:
    m, s, index = _pair(t)
    _write(t, s, b"bye")
    call(t, sys_file.sys_close, s)
    f = t.fds.get(m)
    assert f.poll_events() & POLLHUP
    assert _read(t, m) == b"bye"
    assert _read(t, m) is EIO
    m2, s2, index2 = _pair(t)
    call(t, sys_file.sys_close, m)
    call(t, sys_file.sys_close, m2)
    assert _open(t, b"/dev/pts/%d" % index2) is ENOENT  # the node went with its master
    assert _read(t, s2) == b""  # EOF after hang-up
    assert _write(t, s2, b"x") is EIO
    assert t.fds.get(s2).poll_events() & POLLIN


def test_ctty_and_isig_signal_the_foreground_group(t: Any, monkeypatch: Any) -> None:
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(devpts_jobctl.kjob, "signal_pgrp",
                        lambda k, pgid, sig: sent.append((pgid, sig)))
    m, s, _ = _pair(t)
    pg = t.buf(4)
    assert call(t, sys_ioctl.sys_ioctl, s, TIOCGPGRP, pg) is ENOTTY  # not our ctty yet
    assert call(t, sys_ioctl.sys_ioctl, s, TIOCSCTTY, 0) == 0
    assert call(t, sys_ioctl.sys_ioctl, s, TIOCGPGRP, pg) == 0 and t.mem.read_i32(pg) == 1
    _write(t, m, b"\x03")
    assert sent == [(1, SIGINT)]
    t.tg.sid = 99  # no longer a session leader  # type: ignore[attr-defined]
    t.tg.controlling_tty = None  # type: ignore[attr-defined]
    assert call(t, sys_ioctl.sys_ioctl, s, TIOCSCTTY, 0) is EPERM


def test_devpts_lists_live_ptys(t: Any) -> None:
    _pair(t)
    _pair(t)
    d = _open(t, b"/dev/pts", 0o200000)
    f = t.fds.get(d)
    names = sorted(e[0] for e in f._snapshot(t))
    assert names == [b".", b"..", b"0", b"1", b"ptmx"]


def test_container_root_mounts_devpts_with_its_options(host_tree: Any) -> None:
    from sentry.vfs.fsimpl.container_root import MountSpec, build_container_root
    from tests.unit.vfs.conftest import make_task

    mounts = [MountSpec("/dev", "tmpfs", "tmpfs", ["nosuid", "mode=755"]),
              MountSpec("/dev/pts", "devpts", "devpts",
                        ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                         "gid=5"])]
    t = make_task(build_container_root(str(host_tree), False, mounts))
    m, s, index = _pair(t)
    st = t.fds.get(s).stat()
    assert (st.mode & 0o7777, st.gid) == (0o620, 5)
    assert t.fds.get(m).guest_path() == b"/dev/ptmx"
    assert t.fds.get(s).guest_path() == b"/dev/pts/%d" % index
