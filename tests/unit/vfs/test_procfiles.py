"""procfs: fdinfo (per kind), mounts/mountinfo (escapes, chroot), limits, the read-only
/proc/sys limits, and /dev/console."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from sentry.abi.errno import EACCES, ENOENT
from sentry.kernel.fd_table import NR_OPEN
from sentry.kernel.thread_group import RLIM_INFINITY, host_rlimits
from sentry.kernel.wait import Timers
from sentry.kernel.waiter import WaitQueue
from sentry.vfs import ops
from sentry.vfs.constants import AT_FDCWD, O_CLOEXEC, O_RDONLY, O_RDWR, O_WRONLY
from sentry.vfs.dentry import VirtualDentry
from sentry.vfs.fsimpl.epoll import EPOLLONESHOT, EpollFile
from sentry.vfs.fsimpl.eventfd import EventFd
from sentry.vfs.fsimpl.host.stream import HostStreamFile
from sentry.vfs.fsimpl.inotify import InotifyFile
from sentry.vfs.fsimpl.pidfd import PidFd
from sentry.vfs.fsimpl.pipe import new_pipe
from sentry.vfs.fsimpl.proc.fdinfo import fdinfo_text
from sentry.vfs.fsimpl.proc import mounts
from sentry.vfs.fsimpl.proc.mounts import escape
from sentry.vfs.fsimpl.proc.pidfiles import limits_text
from sentry.vfs.fsimpl.signalfd import SignalFd
from sentry.vfs.fsimpl.timerfd import TimerFd
from sentry.vfs.fsimpl.tmpfs import TmpfsFS
from sentry.vfs.fsnotify import Watches
from tests.unit.vfs.conftest import make_task, user


def read(t, path: bytes, flags: int = O_RDONLY) -> bytes:
    return ops.open_at(t, AT_FDCWD, path, flags, 0).read(1 << 16)


# --- fdinfo ---------------------------------------------------------------------------
def test_fdinfo_head_and_cloexec(t):
    f = ops.open_at(t, AT_FDCWD, b"/etc/passwd", O_RDONLY, 0)
    f.offset = 5
    fd = t.fds.install(f, cloexec=True)
    text = read(t, b"/proc/self/fdinfo/%d" % fd)
    st = f.stat()
    assert text == b"pos:\t5\nflags:\t02100000\nmnt_id:\t%d\nino:\t%d\n" % (st.mnt_id, st.ino)
    assert st.mnt_id == f.vd.mount.id
    t.fds.set_cloexec(fd, False)
    assert b"flags:\t0100000\n" in read(t, b"/proc/self/fdinfo/%d" % fd)
    assert read(t, b"/proc/self/task/%d/fdinfo/%d" % (t.vtid, fd)).startswith(b"pos:\t5\n")
    names = {e.name for e in ops.open_at(t, AT_FDCWD, b"/proc/self/fdinfo", O_RDONLY, 0)
             .vd.dentry.inode.iterdir(t)}
    assert names == {b"%d" % n for n, _ in t.fds.items()}
    t.fds.close(fd)
    with pytest.raises(ENOENT):
        read(t, b"/proc/self/fdinfo/%d" % fd)
    fd = t.fds.install(f)
    with pytest.raises(EACCES):
        read(t, b"/proc/self/fdinfo/%d" % fd, O_WRONLY)


def test_fdinfo_needs_ptrace_read_access(root):
    owner = make_task(root, vpid=5)
    fd = owner.fds.install(ops.open_at(owner, AT_FDCWD, b"/etc/hosts", O_RDONLY, 0))
    other = make_task(root, user(1000), vpid=6, kernel=owner.kernel)
    for tg in owner.kernel.thread_groups.values():
        tg.dumpable = 1
    with pytest.raises(EACCES):
        read(other, b"/proc/5/fdinfo/%d" % fd)
    with pytest.raises(EACCES):
        ops.open_at(other, AT_FDCWD, b"/proc/5/fdinfo", O_RDONLY, 0)
    # the same ids may, unless the target is not dumpable; the owner may read its own
    same = make_task(root, user(1000), vpid=7, kernel=owner.kernel)
    fd7 = same.fds.install(ops.open_at(same, AT_FDCWD, b"/etc/hosts", O_RDONLY, 0))
    assert read(other, b"/proc/7/fdinfo/%d" % fd7).startswith(b"pos:\t0\n")
    same.tg.dumpable = 0
    with pytest.raises(EACCES):
        read(other, b"/proc/7/fdinfo/%d" % fd7)
    assert read(same, b"/proc/7/fdinfo/%d" % fd7).startswith(b"pos:\t0\n")
    assert read(owner, b"/proc/7/fdinfo/%d" % fd7).startswith(b"pos:\t0\n")  # CAP_SYS_PTRACE


def test_fdinfo_pipe_and_anon_files_have_an_internal_mount(t):
    r, w = new_pipe(t, 0)
    text = fdinfo_text(w, False)
    assert text.startswith(b"pos:\t0\nflags:\t01\nmnt_id:\t")
    assert b"mnt_id:\t0\n" not in text
    e = EventFd(3, True, False)
    assert r.stat().mnt_id != e.stat().mnt_id != 0


def test_fdinfo_eventfd_lines():
    e = EventFd(0x1234, True, False)
    assert fdinfo_text(e, True).endswith(
        b"eventfd-count:             1234\neventfd-id: %d\neventfd-semaphore: 1\n" % e.id)
    assert b"flags:\t02000002\n" in fdinfo_text(e, True)


def test_fdinfo_signalfd_sigmask():
    k = SimpleNamespace(signal_queue=WaitQueue())
    s = SignalFd(k, 1 << 9 | 1 << 8 | 1 << 33, False)  # SIGUSR1, SIGKILL (dropped), SIGRTMIN+1
    assert s.show_fdinfo() == b"sigmask:\t0000000200000200\n"


def test_fdinfo_epoll_lines_and_oneshot(t):
    r, w = new_pipe(t, 0)
    e = EventFd(1, False, False)
    for f in (r, e):
        f.incref()
    ep = EpollFile()
    ep.ctl(1, 9, e, 1 | EPOLLONESHOT, 7)
    ep.ctl(1, 4, r, 1 | 1 << 31, -1)
    lines = ep.show_fdinfo().decode().splitlines()
    assert lines[0].startswith("tfd:        4 events: 80000019 data: ffffffffffffffff  pos:0 ")
    assert lines[1].startswith("tfd:        9 events: 40000019 data:                7  pos:0 ")
    ep.collect(4)  # the oneshot fires
    assert ep.show_fdinfo().decode().splitlines()[1].startswith("tfd:        9 events: 40000000 ")
    st = e.stat()
    sdev = os.major(st.dev) << 20 | os.minor(st.dev)
    assert lines[1].endswith(f" ino:{st.ino:x} sdev:{sdev:x}")


def test_fdinfo_inotify_lines_newest_first():
    i = InotifyFile(0)
    reg = Watches()
    i.add_watch(reg, (os.makedev(254, 1), 0x13), 0x100)
    i.add_watch(reg, (os.makedev(0, 44), 0x2a), 0x200 | 0x80000000 | 0x01000000)
    assert i.show_fdinfo() == (
        b"inotify wd:2 ino:2a sdev:2c mask:80000200 ignored_mask:0 \n"
        b"inotify wd:1 ino:13 sdev:fe00001 mask:100 ignored_mask:0 \n")


def test_fdinfo_timerfd_lines():
    clock = [100.0]
    tf = TimerFd(Timers(lambda: clock[0]), 1, True)
    assert tf.show_fdinfo() == (b"clockid: 1\nticks: 0\nsettime flags: 00\n"
                                b"it_value: (0, 0)\nit_interval: (0, 0)\n")
    tf.settime(10.25, 2.5, False)
    tf.settime_flags = 1
    clock[0] += 0.25
    assert tf.show_fdinfo() == (b"clockid: 1\nticks: 0\nsettime flags: 01\n"
                                b"it_value: (10, 0)\nit_interval: (2, 500000000)\n")


def test_fdinfo_pidfd_lines():
    tg = SimpleNamespace(vpid=42, tasks=[object()], parent=object())
    p = PidFd(tg, False)
    assert p.show_fdinfo() == b"Pid:\t42\nNSpid:\t42\n"
    tg.tasks = []  # a zombie still names its pid
    assert p.show_fdinfo() == b"Pid:\t42\nNSpid:\t42\n"
    tg.parent = None  # reaped
    assert p.show_fdinfo() == b"Pid:\t-1\nNSpid:\t-1\n"


# --- mounts and mountinfo ---------------------------------------------------------------
def test_escape():
    assert escape(b"/a b\tc\nd\\e") == b"/a\\040b\\011c\\012d\\134e"
    assert escape(b"/plain") == b"/plain"


def test_mountinfo_matches_mounts_and_escapes(t, root):
    ops.mkdir_at(t, AT_FDCWD, b"/tmp/my dir", 0o755)
    at = ops.open_at(t, AT_FDCWD, b"/tmp/my dir", O_RDONLY, 0).vd
    fs = TmpfsFS()
    m = root.vfs.mount(fs, fs.root(0o755), VirtualDentry(at.mount, at.dentry), 1 | 8)
    info = read(t, b"/proc/self/mountinfo").decode().splitlines()
    mounts = read(t, b"/proc/self/mounts").decode().splitlines()
    assert len(info) == len(mounts) == len(root.vfs.order)
    first = info[0].split()
    assert first[:2] == [str(root.vfs.root_mount.id)] * 2 and first[4] == "/"
    last = info[-1].split()
    dev = m.root.inode.stat().dev
    assert last == [str(m.id), str(at.mount.id), f"{os.major(dev)}:{os.minor(dev)}", "/",
                    "/tmp/my\\040dir", "ro,noexec,relatime", "-", "tmpfs", "tmpfs", "rw"]
    assert mounts[-1] == "tmpfs /tmp/my\\040dir tmpfs ro,noexec,relatime 0 0"
    assert "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0" in mounts
    for a, b in zip(info, mounts, strict=True):
        i, mt = a.split(), b.split()
        assert (i[4], i[-3], i[-2]) == (mt[1], mt[2], mt[0])


def test_mountinfo_bind_root_is_the_source_directory(t, root):
    ops.mkdir_at(t, AT_FDCWD, b"/tmp/src", 0o755)
    ops.mkdir_at(t, AT_FDCWD, b"/tmp/src/in", 0o755)
    ops.mkdir_at(t, AT_FDCWD, b"/tmp/dst", 0o755)
    src = ops.open_at(t, AT_FDCWD, b"/tmp/src/in", O_RDONLY, 0).vd
    dst = ops.open_at(t, AT_FDCWD, b"/tmp/dst", O_RDONLY, 0).vd
    m = root.vfs.bind(src.mount, src.dentry, dst, 0)
    first, *_, last = read(t, b"/proc/self/mountinfo").decode().splitlines()
    assert last.split()[:6] == [str(m.id), str(dst.mount.id), first.split()[2], "/tmp/src/in",
                                "/tmp/dst", "rw,relatime"]


def test_mountinfo_after_chroot_hides_mounts_above(t, root):
    ops.mkdir_at(t, AT_FDCWD, b"/tmp/jail", 0o755)
    ops.mkdir_at(t, AT_FDCWD, b"/tmp/jail/sub", 0o755)
    at = ops.open_at(t, AT_FDCWD, b"/tmp/jail/sub", O_RDONLY, 0).vd
    fs = TmpfsFS()
    root.vfs.mount(fs, fs.root(0o755), at)
    jail = ops.open_at(t, AT_FDCWD, b"/tmp/jail", O_RDONLY, 0).vd
    t.fs.root = jail
    lines = mounts.mountinfo(t, t.tg).decode().splitlines()
    assert [ln.split()[4] for ln in lines] == ["/sub"]
    assert mounts.mounts(t, t.tg) == b"tmpfs /sub tmpfs rw,relatime 0 0\n"


# --- limits -----------------------------------------------------------------------------
def test_limits_text():
    rl = [(RLIM_INFINITY, RLIM_INFINITY)] * 16
    rl[7] = (64, 128)
    rl[13] = (0, 5)
    lines = limits_text(rl).decode().split("\n")

    def row(*cols: str) -> str:  # Linux's %-25s %-20s %-20s %-10s
        return f"{cols[0]:<25} {cols[1]:<20} {cols[2]:<20} " + (
            f"{cols[3]:<10}" if len(cols) > 3 else "")

    assert lines[0] == row("Limit", "Soft Limit", "Hard Limit", "Units")
    assert lines[0].endswith("Hard Limit           Units     ")
    assert lines[1] == row("Max cpu time", "unlimited", "unlimited", "seconds")
    assert lines[8] == row("Max open files", "64", "128", "files")
    assert lines[14] == "Max nice priority         0                    5                    "
    assert lines[16] == row("Max realtime timeout", "unlimited", "unlimited", "us")
    assert len(lines) == 18 and lines[17] == ""


def test_proc_limits_reads_the_thread_groups(t):
    t.tg.rlimits = host_rlimits()
    t.tg.rlimits[4] = (0, 4096)
    assert b"\nMax core file size        0                    4096                 bytes     \n" \
        in read(t, b"/proc/self/limits")


# --- /proc/sys limits ---------------------------------------------------------------------
def test_readonly_sysctls(t):
    assert read(t, b"/proc/sys/fs/nr_open") == b"%d\n" % NR_OPEN
    assert read(t, b"/proc/sys/kernel/ngroups_max") == b"65536\n"
    assert read(t, b"/proc/sys/kernel/cap_last_cap") == b"40\n"
    with open("/proc/sys/kernel/pid_max", "rb") as f:
        assert read(t, b"/proc/sys/kernel/pid_max") == f.read()
    for name in (b"fs/file-max", b"kernel/threads-max"):
        assert int(read(t, b"/proc/sys/" + name)) > 0
    with pytest.raises(EACCES):
        read(t, b"/proc/sys/kernel/pid_max", O_WRONLY)
    assert ops.stat_at(t, AT_FDCWD, b"/proc/sys/fs/file-max", True).mode & 0o777 == 0o644
    assert ops.stat_at(t, AT_FDCWD, b"/proc/sys/kernel/cap_last_cap", True).mode & 0o777 == 0o444


# --- /dev/console -------------------------------------------------------------------------
def test_dev_console_is_the_init_terminal(t, root):
    with pytest.raises(ENOENT):
        read(t, b"/dev/console")
    root.expose_console(None)
    master, slave = os.openpty()
    try:
        f = HostStreamFile(os.dup(slave), O_RDWR)
        root.expose_console(f)
        st = ops.stat_at(t, AT_FDCWD, b"/dev/console", True)
        assert st.rdev == os.fstat(slave).st_rdev
        c = ops.open_at(t, AT_FDCWD, b"/dev/console", O_WRONLY | O_CLOEXEC, 0)
        c.write(b"hi")
        assert os.read(master, 10) == b"hi"
    finally:
        os.close(master)
        os.close(slave)


def test_fdinfo_lock_lines(t):
    import struct

    from sentry.vfs.locks import fcntl_lock, flock

    def run(coro):
        try:
            coro.send(None)
        except StopIteration as s:
            return s.value
        raise AssertionError("parked")

    a = ops.open_at(t, AT_FDCWD, b"/tmp/lk", O_RDWR | 0o100, 0o600)
    b = ops.open_at(t, AT_FDCWD, b"/tmp/lk", O_RDWR, 0)
    fa, fb = t.fds.install(a), t.fds.install(b)
    addr = t.buf(32)
    t.mem.write(addr, struct.pack("<hh4xqqi4x", 1, 0, 10, 5, 0))  # F_WRLCK 10..14
    run(fcntl_lock(t, a, 6, addr))  # F_SETLK
    t.mem.write(addr, struct.pack("<hh4xqqi4x", 0, 0, 0, 3, 0))  # F_RDLCK 0..2, OFD
    run(fcntl_lock(t, b, 37, addr))  # F_OFD_SETLK
    run(flock(t, b, 2))  # LOCK_EX
    st = a.stat()
    where = b"%02x:%02x:%d" % (os.major(st.dev), os.minor(st.dev), st.ino)
    assert b"\nlock:\t1: POSIX  ADVISORY  WRITE %d %s 10 14\n" % (t.tg.vpid, where) \
        in read(t, b"/proc/self/fdinfo/%d" % fa)
    text = read(t, b"/proc/self/fdinfo/%d" % fb)
    assert b"\nlock:\t1: FLOCK  ADVISORY  WRITE %d %s 0 EOF\n" % (t.tg.vpid, where) in text
    assert b"\nlock:\t2: OFDLCK ADVISORY  READ -1 %s 0 2\n" % where in text
    assert b"POSIX" not in text  # a record lock shows on the description it was set through
