"""Pipes, FIFOs, eventfd and poll/select, driven through the handlers on a fake Task.

A parked handler yields the fake kernel's Park (tests/unit/vfs/conftest.py); `Run` keeps
such a coroutine to resume it after the test changed the world.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest

from sentry.abi.errno import (
    EAGAIN, EBADF, EBUSY, EFAULT, EINVAL, ENOPKG, ENXIO, EPERM, EPIPE, ESPIPE, SysError,
)
from sentry.abi.stat import S_IFIFO, S_IFMT, unpack_stat
from sentry.kernel.args import Args
from sentry.kernel.wait import WaitSet
from sentry.kernel.waiter import POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT
from sentry.syscalls import (
    sys_eventfd, sys_file, sys_ioctl, sys_pipe, sys_poll, sys_read_write, sys_stat,
)
from sentry.vfs.constants import (
    AT_FDCWD, F_GETFD, F_GETFL, O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY,
)
from sentry.vfs.fsimpl.pipe import F_GETPIPE_SZ, F_SETPIPE_SZ, Pipe, PipeFile
from tests.unit.vfs.conftest import call

FIONREAD = 0x541B


class Run:
    """A handler coroutine under test: `parked` is what it waits on, `result` when done."""

    def __init__(self, t: Any, handler: Any, *args: int) -> None:
        raw = [a & ((1 << 64) - 1) for a in args] + [0] * (6 - len(args))
        self.parked: Any = None
        self.result: Any = None
        self.done = False
        try:
            self.coro = handler(t, Args(raw))
        except SysError as e:
            self.done, self.result = True, type(e)
            return
        if isinstance(self.coro, int):  # a plain handler (or open's common path)
            self.done, self.result = True, self.coro
            return
        self.step()

    def step(self) -> None:
        try:
            self.parked = self.coro.send(None)
        except StopIteration as s:
            self.done, self.result = True, s.value
        except SysError as e:
            self.done, self.result = True, type(e)


def make_pipe(t: Any, flags: int = 0) -> tuple[int, int]:
    buf = t.buf(8)
    assert call(t, sys_pipe.sys_pipe2, buf, flags) == 0
    return struct.unpack("<ii", t.mem.read(buf, 8))


def write(t: Any, fd: int, data: bytes) -> Any:
    return call(t, sys_read_write.sys_write, fd, t.put(data), len(data))


def read(t: Any, fd: int, n: int = 65536) -> Any:
    buf = t.buf(n)
    r = call(t, sys_read_write.sys_read, fd, buf, n)
    return t.mem.read(buf, r) if isinstance(r, int) else r


# --- the buffer model ------------------------------------------------------------------
def test_pipe_buffer_pages_merge_and_atomicity():
    p = Pipe()
    p.readers = p.writers = 1
    assert sum(p.write(b"x", False) for _ in range(65536)) == 65536  # 1-byte writes merge
    with pytest.raises(EAGAIN):
        p.write(b"x", False)
    assert len(p.read(70000)) == 65536
    total = 0
    while True:
        try:
            total += p.write(b"y" * 3000, False)
        except EAGAIN:
            break
    assert total == 16 * 3000  # 3000 + 3000 > one page: no merging
    p.read(1 << 20)
    for _ in range(16):
        p.write(b"z" * 4096, False)
    assert p.read(1) == b"z"  # the first page is not free yet
    with pytest.raises(EAGAIN):
        p.write(b"a", False)  # atomic, and the last page is full
    assert p.size == 65535


def test_pipe_packets_and_eof_and_epipe():
    p = Pipe()
    p.readers = p.writers = 1
    p.write(b"hello", True)
    p.write(b"world", True)
    assert p.read(3) == b"hel"  # the rest of the packet is dropped
    assert p.read(100) == b"world"
    assert p.size == 0
    p.write(b"a" * 5000, True)  # split into packets of at most a page
    assert len(p.read(10000)) == 4096 and len(p.read(10000)) == 904
    with pytest.raises(EAGAIN):
        p.read(1)
    p.writers = 0
    assert p.read(1) == b""
    p.readers = 0
    with pytest.raises(EPIPE):
        p.write(b"x", False)
    assert p.write(b"", False) == 0  # a null write succeeds even then


def test_pipe_capacity():
    p = Pipe()
    assert p.set_capacity(0) == 4096 and p.set_capacity(5000) == 8192
    assert p.set_capacity(1 << 20) == 1 << 20
    with pytest.raises(EPERM):
        p.set_capacity(2 << 20)
    with pytest.raises(EINVAL):
        p.set_capacity((1 << 31) + 1)
    p.readers = 1
    p.set_capacity(8192)
    p.write(b"x" * 8192, False)
    with pytest.raises(EBUSY):
        p.set_capacity(4096)


# --- pipe(2) and the file -------------------------------------------------------------
def test_pipe2_fds_flags_and_io(t):
    r, w = make_pipe(t, O_CLOEXEC)
    assert call(t, sys_file.sys_fcntl, r, F_GETFD) == 1
    assert call(t, sys_file.sys_fcntl, r, F_GETFL) == O_RDONLY
    assert call(t, sys_file.sys_fcntl, w, F_GETFL) == O_WRONLY
    assert write(t, w, b"hello") == 5
    buf = t.buf(4)
    assert call(t, sys_ioctl.sys_ioctl, r, FIONREAD, buf) == 0 and t.mem.read_i32(buf) == 5
    assert read(t, r, 3) == b"hel" and read(t, r) == b"lo"
    assert write(t, r, b"x") is EBADF and read(t, w) is EBADF
    assert call(t, sys_read_write.sys_lseek, r, 0, 0) is ESPIPE
    assert call(t, sys_pipe.sys_pipe2, t.buf(8), 0o2000) is EINVAL  # O_APPEND
    assert call(t, sys_pipe.sys_pipe2, t.buf(8), 0o200) is ENOPKG  # O_NOTIFICATION_PIPE
    assert call(t, sys_pipe.sys_pipe, 8) is EFAULT
    assert len(t.fds) == 2  # ...and nothing left installed
    r2, w2 = make_pipe(t, O_DIRECT | O_NONBLOCK)
    assert call(t, sys_file.sys_fcntl, r2, F_GETFL) == O_NONBLOCK
    assert call(t, sys_file.sys_fcntl, w2, F_GETFL) == O_WRONLY | O_NONBLOCK | O_DIRECT


def test_fstat_and_proc_name(t):
    r, w = make_pipe(t)
    buf = t.buf(144)
    assert call(t, sys_stat.sys_fstat, r, buf) == 0
    st = unpack_stat(t.mem.read(buf, 144))
    assert st.mode & S_IFMT == S_IFIFO and st.mode & 0o777 == 0o600 and st.nlink == 1
    call(t, sys_stat.sys_fstat, w, buf)
    assert unpack_stat(t.mem.read(buf, 144)).ino == st.ino
    assert t.fds.get(r).guest_path() == b"pipe:[%d]" % st.ino
    r2, _ = make_pipe(t)
    call(t, sys_stat.sys_fstat, r2, buf)
    assert unpack_stat(t.mem.read(buf, 144)).ino != st.ino


def test_fcntl_pipe_size(t):
    r, w = make_pipe(t)
    assert call(t, sys_file.sys_fcntl, r, F_GETPIPE_SZ) == 65536
    assert call(t, sys_file.sys_fcntl, w, F_SETPIPE_SZ, 5000) == 8192
    assert call(t, sys_file.sys_fcntl, r, F_GETPIPE_SZ) == 8192


def test_blocking_read_parks_and_eof(t):
    r, w = make_pipe(t)
    run = Run(t, sys_read_write.sys_read, r, t.buf(16), 16)
    assert not run.done and run.parked.source is t.fds.get(r).pipe.queue
    assert write(t, w, b"data") == 4
    run.step()
    assert run.done and run.result == 4
    call(t, sys_file.sys_close, w)
    assert read(t, r) == b""  # EOF: no writer left


def test_reader_closing_gives_epipe_to_a_blocked_writer(t):
    r, w = make_pipe(t)
    assert write(t, w, b"x" * 65536) == 65536
    run = Run(t, sys_read_write.sys_write, w, t.put(b"more"), 4)
    assert not run.done
    call(t, sys_file.sys_close, r)
    run.step()
    assert run.result is EPIPE
    assert write(t, w, b"x") is EPIPE


def test_nonblocking_eagain(t):
    r, w = make_pipe(t, O_NONBLOCK)
    assert read(t, r) is EAGAIN
    assert write(t, w, b"x" * 70000) == 65536
    assert write(t, w, b"x") is EAGAIN


def test_fork_shares_descriptions(t):
    r, w = make_pipe(t)
    child = t.fds.fork()
    call(t, sys_file.sys_close, w)
    assert not Run(t, sys_read_write.sys_read, r, t.buf(1), 1).done  # a writer is left
    p = t.fds.get(r).pipe
    assert p.writers == 1  # the child's copy keeps the write end
    child.close_all()
    assert p.writers == 0 and p.readers == 1


# --- FIFOs ------------------------------------------------------------------------------
def mkfifo(t: Any, path: bytes) -> None:
    assert call(t, sys_file.sys_mknod, t.put(path), S_IFIFO | 0o600, 0) == 0


def open_run(t: Any, path: bytes, flags: int) -> Run:
    return Run(t, sys_file.sys_openat, AT_FDCWD, t.put(path), flags, 0)


def test_fifo_open_rules(t):
    mkfifo(t, b"/tmp/f")
    assert open_run(t, b"/tmp/f", O_WRONLY | O_NONBLOCK).result is ENXIO
    reader = open_run(t, b"/tmp/f", O_RDONLY)
    assert not reader.done  # blocks until a writer comes
    writer = open_run(t, b"/tmp/f", O_WRONLY)
    assert writer.done and isinstance(writer.result, int)
    reader.step()
    assert reader.done and isinstance(reader.result, int)
    assert write(t, writer.result, b"fifo") == 4 and read(t, reader.result) == b"fifo"
    rw = open_run(t, b"/tmp/f", O_RDWR)
    assert rw.done and isinstance(rw.result, int)
    nb = open_run(t, b"/tmp/f", O_RDONLY | O_NONBLOCK)
    assert nb.done


def test_fifo_open_cancelled_uncounts_the_end(t):
    mkfifo(t, b"/tmp/g")
    reader = open_run(t, b"/tmp/g", O_RDONLY)
    assert not reader.done
    reader.coro.close()  # a signal: the kernel closes the coroutine
    assert open_run(t, b"/tmp/g", O_WRONLY | O_NONBLOCK).result is ENXIO
    assert len(t.fds) == 0


def test_fifo_data_dropped_when_all_ends_close(t):
    mkfifo(t, b"/tmp/h")
    rw = open_run(t, b"/tmp/h", O_RDWR).result
    assert write(t, rw, b"old") == 3
    call(t, sys_file.sys_close, rw)
    r = open_run(t, b"/tmp/h", O_RDONLY | O_NONBLOCK).result
    assert read(t, r) == b""
    assert isinstance(t.fds.get(r), PipeFile)


# --- poll and select --------------------------------------------------------------------
def poll(t: Any, entries: list[tuple[int, int]], timeout: int) -> Run:
    addr = t.put(b"".join(struct.pack("<ihh", fd, ev, 0) for fd, ev in entries))
    run = Run(t, sys_poll.sys_poll, addr, len(entries), timeout)
    run.addr = addr  # type: ignore[attr-defined]
    return run


def revents(t: Any, run: Any, n: int) -> list[int]:
    raw = t.mem.read(run.addr, 8 * n)
    return [struct.unpack_from("<ihh", raw, 8 * i)[2] for i in range(n)]


def test_poll_readiness_bits(t):
    r, w = make_pipe(t)
    run = poll(t, [(r, POLLIN), (w, POLLOUT), (99, POLLIN), (-1, POLLIN)], 0)
    assert run.result == 2 and revents(t, run, 4) == [0, POLLOUT, POLLNVAL, 0]
    write(t, w, b"x")
    call(t, sys_file.sys_close, w)
    run = poll(t, [(r, 0)], 0)
    assert run.result == 1 and revents(t, run, 1) == [POLLHUP]
    r2, w2 = make_pipe(t)
    call(t, sys_file.sys_close, r2)
    run = poll(t, [(w2, POLLOUT)], 0)
    assert revents(t, run, 1) == [POLLOUT | POLLERR]


def test_poll_parks_on_every_source_with_a_deadline(t):
    a, aw = make_pipe(t)
    b, bw = make_pipe(t)
    run = poll(t, [(a, POLLIN), (b, POLLIN)], 5000)
    assert not run.done
    ws = run.parked.source
    assert isinstance(ws, WaitSet) and ws.deadline is not None
    assert [s for s, _ in ws.sources] == [t.fds.get(a).pipe.queue, t.fds.get(b).pipe.queue]
    write(t, bw, b"!")
    run.step()
    assert run.done and run.result == 1 and revents(t, run, 2) == [0, POLLIN]


def test_poll_timeout_passes(t, monkeypatch):
    a, _ = make_pipe(t)
    now = [100.0]
    monkeypatch.setattr(sys_poll, "clock", lambda: now[0])
    run = poll(t, [(a, POLLIN)], 50)
    assert not run.done and run.parked.source.deadline == pytest.approx(100.05)
    now[0] = 100.06
    run.step()
    assert run.done and run.result == 0


def test_select_sets_and_ebadf(t):
    a, aw = make_pipe(t)  # 0, 1
    b, bw = make_pipe(t)  # 2, 3
    write(t, bw, b"x")
    rd = t.put(((1 << a) | (1 << b)).to_bytes(8, "little"))
    wr = t.put(((1 << aw)).to_bytes(8, "little"))
    tv = t.put(struct.pack("<qq", 0, 0))
    assert call(t, sys_poll.sys_select, 4, rd, wr, 0, tv) == 2
    assert int.from_bytes(t.mem.read(rd, 8), "little") == 1 << b
    assert int.from_bytes(t.mem.read(wr, 8), "little") == 1 << aw
    bad = t.put((1 << 9).to_bytes(8, "little"))
    assert call(t, sys_poll.sys_select, 10, bad, 0, 0, tv) is EBADF
    assert call(t, sys_poll.sys_select, -1, 0, 0, 0, 0) is EINVAL
    assert call(t, sys_poll.sys_select, 0, 0, 0, 0, t.put(struct.pack("<qq", 0, -1))) is EINVAL


def test_ppoll_and_pselect_arguments(t):
    a, _ = make_pipe(t)
    fds = t.put(struct.pack("<ihh", a, POLLIN, 0))
    zero = t.put(struct.pack("<qq", 0, 0))
    assert call(t, sys_poll.sys_ppoll, fds, 1, t.put(struct.pack("<qq", 0, 10**9)), 0, 8) \
        is EINVAL
    mask = t.put(bytes(8))
    assert call(t, sys_poll.sys_ppoll, fds, 1, zero, mask, 4) is EINVAL
    assert call(t, sys_poll.sys_ppoll, fds, 1, zero, mask, 8) == 0
    pack = t.put(struct.pack("<qq", mask, 8))
    assert call(t, sys_poll.sys_pselect6, 0, 0, 0, 0, zero, pack) == 0


# --- eventfd ------------------------------------------------------------------------------
def test_eventfd_counter_semaphore_and_limits(t):
    e = call(t, sys_eventfd.sys_eventfd2, 0, O_NONBLOCK)
    assert read(t, e, 8) is EAGAIN
    assert write(t, e, struct.pack("<Q", 3)) == 8 and write(t, e, struct.pack("<Q", 4)) == 8
    assert read(t, e, 4) is EINVAL and write(t, e, bytes(16)) is EINVAL
    assert struct.unpack("<Q", read(t, e, 16)) == (7,)
    assert write(t, e, struct.pack("<Q", (1 << 64) - 1)) is EINVAL
    assert write(t, e, struct.pack("<Q", (1 << 64) - 2)) == 8
    assert write(t, e, struct.pack("<Q", 1)) is EAGAIN
    s = call(t, sys_eventfd.sys_eventfd2, 2, 1 | O_NONBLOCK)  # EFD_SEMAPHORE
    assert [read(t, s, 8) for _ in range(3)] == [struct.pack("<Q", 1)] * 2 + [EAGAIN]
    assert call(t, sys_eventfd.sys_eventfd2, 0, 0o2000) is EINVAL
    assert t.fds.get(e).guest_path() == b"anon_inode:[eventfd]"


def test_eventfd_blocking_read_and_poll(t):
    e = call(t, sys_eventfd.sys_eventfd, 0)
    run = Run(t, sys_read_write.sys_read, e, t.buf(8), 8)
    assert not run.done
    p = poll(t, [(e, POLLIN | POLLOUT)], 0)
    assert revents(t, p, 1) == [POLLOUT]
    write(t, e, struct.pack("<Q", 5))
    assert revents(t, poll(t, [(e, POLLIN)], 0), 1) == [POLLIN]
    run.step()
    assert run.result == 8
    f = t.fds.get(e)
    assert f.flags == O_RDWR and f.poll_events() & POLLIN == 0


def test_write_cut_short_by_a_signal_resumes_when_repeated(t):
    r, w = make_pipe(t)
    data = bytes(range(256)) * 400  # 102400 bytes: more than the pipe holds
    addr = t.put(data)
    run = Run(t, sys_read_write.sys_write, w, addr, len(data))
    assert not run.done  # 65536 bytes went in, then it parked
    run.coro.close()  # a signal: the notify lane restarts the call (SA_RESTART)
    assert read(t, r) == data[:65536]
    again = Run(t, sys_read_write.sys_write, w, addr, len(data))
    assert again.done and again.result == len(data)  # only the rest went in
    assert read(t, r) == data[65536:]
    other = Run(t, sys_read_write.sys_write, w, t.put(b"new"), 3)
    assert other.result == 3 and read(t, r) == b"new"
