"""read/write and their vector and positional forms, lseek.

Partial I/O (Linux's rule): bytes already moved beat a fault. The rule lives in
`_copy_out` and `_copy_in`: a fault after some bytes returns the count, a fault before
any byte is EFAULT.
"""

from __future__ import annotations

import weakref
from time import monotonic as clock
from typing import Any

from sentry.abi.errno import (EAGAIN, EBADF, EFAULT, EFBIG, EINVAL, EISDIR, EOPNOTSUPP, EPIPE,
                              SysError)
from sentry.abi.stat import S_IFDIR, S_IFMT, S_IFREG
from sentry.kernel import siginfo
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.kernel.thread_group import RLIM_INFINITY, RLIMIT_FSIZE
from sentry.kernel.wait import WaitSet
from sentry.kernel.waiter import POLLIN, POLLOUT
from sentry.vfs import fsnotify
from sentry.vfs.constants import O_APPEND, SEEK_HOLE
from sentry.vfs.file import DIRECT_READ_MAX, FileDescription, SeekableFile
from sentry.vfs.fsimpl.pipe import PipeFile

MAX_RW_COUNT = 0x7FFFF000  # Linux clamps every read/write to this
SIGPIPE, SIGXFSZ = 13, 25
IOV_MAX = 1024


def _copy_out(t: Task, f: FileDescription, iovs: list[tuple[int, int]], data: bytes,
              positional: bool = False) -> int:
    """Scatters data into iovs; returns bytes moved (EFAULT if none moved and some were due).

    For a seekable file read at its offset, the offset is moved back over bytes that could
    not be delivered, as Linux's copy_to_user failure leaves it.
    """
    if not data:
        return 0
    if len(data) <= iovs[0][1]:  # all of it fits the first buffer (read, pread: always)
        done = t.mem.write_partial(iovs[0][0], data)
    else:
        done = 0
        for base, length in iovs:
            if done >= len(data):
                break
            chunk = data[done:done + length]
            n = t.mem.write_partial(base, chunk)
            done += n
            if n < len(chunk):
                break
    if done < len(data):
        if isinstance(f, SeekableFile) and not positional:
            f.offset -= len(data) - done
        if done == 0:
            raise EFAULT()
    return done


def _copy_in(t: Task, iovs: list[tuple[int, int]]) -> bytes:
    """Gathers the bytes to write, stopping at the first fault (EFAULT if it is the first)."""
    parts = []
    want = 0
    for base, length in iovs:
        want += length
        chunk = t.mem.read_partial(base, length)
        parts.append(chunk)
        if len(chunk) < length:
            break
    data = b"".join(parts)
    if not data and want:
        raise EFAULT()
    return data


async def _write(t: Task, f: FileDescription, data: bytes) -> int:
    """Writes data the way a blocking write(2) does on a pipe, tty or stream socket: all of
    it, parking while the file is full. A non-blocking file, a file that never blocks
    (wait_source() is None: a short count is final), a signal or an error after some
    bytes end it early with the count moved so far (bytes moved beat EINTR/EPIPE).
    """
    if f.tty_job is not None:
        f.tty_job.check_write(t, f)
    data = _limited(t, f, data)
    done = _resumed_count(t, f, data)
    while True:
        try:
            done += f.write(data[done:])
        except SysError as e:
            if isinstance(e, EPIPE):
                _sigpipe(t)
            if not isinstance(e, EAGAIN) or f.nonblocking:
                if done:
                    return done
                raise
            # EAGAIN on a blocking file (a spurious wake-up): wait again.
        if done == len(data) or f.nonblocking:
            return done
        source = f.wait_source()
        if source is None:
            return done
        try:
            await t.wait_on(source, POLLOUT)
        except SysError:
            if done:
                return done
            raise
        except GeneratorExit:  # a signal cancelled the parked call (kernel.cancel)
            if done:
                _CUT_SHORT[t] = (f, data, done)
            raise


# Blocking writes a signal cut short after moving bytes: task → (file, data, bytes moved).
# Linux would return the count; the notify lane can only restart the call (SA_RESTART)
# or fail it with EINTR, and the guest then writes the same bytes again. Such a repeat
# (same file, same bytes) resumes after what already went in instead of duplicating it.
_CUT_SHORT: weakref.WeakKeyDictionary[Task, tuple[FileDescription, bytes, int]] = \
    weakref.WeakKeyDictionary()


def _resumed_count(t: Task, f: FileDescription, data: bytes) -> int:
    """Bytes of `data` already written by the cut-short call this one repeats (else 0)."""
    if not _CUT_SHORT:
        return 0
    entry = _CUT_SHORT.pop(t, None)
    if entry is None or entry[0] is not f or entry[1] != data:
        return 0
    return entry[2]


# Tasks whose last failed write was cancelled by its own SIGPIPE or SIGXFSZ (_self_signal).
_SIGPIPE_SENT: weakref.WeakSet[Task] = weakref.WeakSet()


def _sigpipe(t: Task) -> None:
    """EPIPE from a write comes with SIGPIPE to the writing thread (pipe_write, stream
    sockets): see _self_signal."""
    _self_signal(t, SIGPIPE)


def _self_signal(t: Task, sig: int) -> None:
    """The signal a failing write sends its own thread (SIGPIPE with EPIPE, SIGXFSZ with
    EFBIG), queued before the call returns, so a handler runs before the code after it.

    Host quirk: a signal sent while the task waits in the notify lane cancels that wait
    (ERESTARTSYS). So the call dies with the process (default action), or is restarted
    after the handler (SA_RESTART), and that restarted write gets EPIPE without a second
    signal; the mark is dropped once an answer is taken (t.commit). Sending it after the
    answer instead would land in some later call and cancel that one.
    Differences (notify lane): a handler without SA_RESTART sees EINTR instead of EPIPE
    (EFBIG); a blocked write that moved bytes before the reader left says EPIPE, not the
    count.
    """
    host_pid = getattr(t.tg, "host_pid", 0)
    if host_pid <= 0:
        return  # not a host task (unit tests' fakes)
    if t in _SIGPIPE_SENT:
        _SIGPIPE_SENT.discard(t)  # the restart of the call our signal interrupted
        return
    previous = t.commit

    def commit() -> None:
        if previous is not None:
            previous()
        _SIGPIPE_SENT.discard(t)

    t.commit = commit
    _SIGPIPE_SENT.add(t)
    siginfo.send(t.kernel, host_pid, t.host_tid, sig, siginfo.user_sender(t))


def fsize_limit(t: Task, f: FileDescription, pos: int, n: int) -> int:
    """RLIMIT_FSIZE on a write of n bytes at pos (generic_write_checks): a regular file's
    write is cut to the limit; one at or past it gets SIGXFSZ and EFBIG."""
    limit = t.tg.rlimits[RLIMIT_FSIZE][0]
    if limit == RLIM_INFINITY or not n:
        return n
    inode = f.inode
    if inode is None or inode.mode & S_IFMT != S_IFREG:
        return n
    if pos >= limit:
        _self_signal(t, SIGXFSZ)
        raise EFBIG()
    return min(n, limit - pos)


def fsize_cut(t: Task, f: FileDescription, end: int, more: bool) -> None:
    """A splice-style copy (sendfile, splice) that wrote up to `end` with `more` to write:
    its next write, at the limit, sends SIGXFSZ (the call still returns its count)."""
    limit = t.tg.rlimits[RLIMIT_FSIZE][0]
    if more and limit != RLIM_INFINITY and end >= limit and f.inode is not None \
            and f.inode.mode & S_IFMT == S_IFREG:
        _self_signal(t, SIGXFSZ)


def fsize_grow(t: Task, size: int, new_size: int) -> None:
    """RLIMIT_FSIZE on a truncate or fallocate that grows a file (inode_newsize_ok)."""
    limit = t.tg.rlimits[RLIMIT_FSIZE][0]
    if new_size > size and limit != RLIM_INFINITY and new_size > limit:
        _self_signal(t, SIGXFSZ)
        raise EFBIG()


def _limited(t: Task, f: FileDescription, data: bytes, pos: int | None = None,
             quiet: bool = False) -> bytes:
    """`data` cut to RLIMIT_FSIZE for a write at pos (None: at the file position; O_APPEND:
    at the end, as write and pwrite then write). `quiet`: a later chunk of a call that
    moved bytes already, cut to nothing rather than failing."""
    if t.tg.rlimits[RLIMIT_FSIZE][0] == RLIM_INFINITY or not isinstance(f, SeekableFile):
        return data
    if pos is None or f.flags & O_APPEND:
        pos = f.size() if f.flags & O_APPEND else f.offset
    if quiet:
        return data if pos < t.tg.rlimits[RLIMIT_FSIZE][0] else b""
    return data[:fsize_limit(t, f, pos, len(data))]


def _accessed(f: FileDescription, n: int) -> int:
    """inotify's IN_ACCESS after a read that moved bytes; returns n."""
    if fsnotify.active and n:
        fsnotify.file_event(f, fsnotify.IN_ACCESS)
    return n


def _modified(f: FileDescription, n: int) -> int:
    """inotify's IN_MODIFY after a write that moved bytes; returns n."""
    if fsnotify.active and n:
        fsnotify.file_event(f, fsnotify.IN_MODIFY)
    return n


def _iovecs(t: Task, addr: int, count: int) -> list[tuple[int, int]]:
    """Reads and checks an iovec array (EINVAL for a bad count or total), clamped."""
    if count < 0 or count > IOV_MAX:
        raise EINVAL()
    iovs = t.mem.read_iovecs(addr, count)
    out, total = [], 0
    for base, length in iovs:
        if length >= 1 << 63:
            raise EINVAL()
        total += length
        if total >= 1 << 63:
            raise EINVAL()
        out.append((base, length))
    return _clamp(out)


def _clamp(iovs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, room = [], MAX_RW_COUNT
    for base, length in iovs:
        n = min(length, room)
        out.append((base, n))
        room -= n
    return out


def _total(iovs: list[tuple[int, int]]) -> int:
    return sum(n for _, n in iovs)


def sys_read(t: Task, a: Args) -> Any:
    """Implements read(2).

    Tries at once and returns the count (the loop's fast path); only a read that would
    block returns the coroutine that parks the task.
    """
    f = t.fds.get(a.fd(0))
    n = a.size(2)
    if n > MAX_RW_COUNT:
        n = MAX_RW_COUNT
    if f.tty_job is not None:
        f.tty_job.check_read(t)
    if f.task_read:
        return f.read_task(t, [(a.ptr(1), n)])
    direct = f.read_to if n <= DIRECT_READ_MAX else None
    addr = a.ptr(1)
    if direct is not None:  # straight into task memory (host files), no closure
        try:
            done = direct(t.mem, addr, n)
        except EAGAIN:
            if f.nonblocking:
                raise
        else:
            if fsnotify.active and done:
                fsnotify.file_event(f, fsnotify.IN_ACCESS)
            return done
    return _read_slow(t, f, direct, addr, n)


def _read_slow(t: Task, f: Any, direct: Any, addr: int, n: int) -> Any:
    """sys_read's other cases: a copy through bytes, a wait (in a function of its own:
    the closure's cells would cost sys_read's fast path their making at every call)."""
    iovs = [(addr, n)]

    def op() -> int:
        if direct is not None:
            done = direct(t.mem, addr, n)
        else:
            done = _copy_out(t, f, iovs, f.read(n))
        if fsnotify.active and done:
            fsnotify.file_event(f, fsnotify.IN_ACCESS)
        return done

    if direct is None:
        try:
            return op()
        except EAGAIN:
            if f.nonblocking:
                raise
        if hasattr(f, "read_deadline"):  # a terminal: VTIME
            return _read_timed(t, f, lambda data: _copy_out(t, f, iovs, data), n)
    return t.io_wait(f, POLLIN, op)


async def _read_timed(t: Task, f: Any, finish: Any, n: int) -> int:
    """A blocking read of a file whose reads may end at a deadline (a terminal's VTIME):
    waits for data as io_wait does, and at f.read_deadline() takes what is there."""
    started = clock()
    while True:
        deadline = f.read_deadline(started)
        if deadline is not None and clock() >= deadline:
            return finish(f.read(n, expired=True))
        await t.wait_on(WaitSet([(f.wait_source(), POLLIN)], deadline), 0)
        try:
            return finish(f.read(n))
        except EAGAIN:
            pass


async def sys_write(t: Task, a: Args) -> int:
    """Implements write(2)."""
    f = t.fds.get(a.int(0))
    if not f.writable:
        raise EBADF()
    iovs = _clamp([(a.ptr(1), a.size(2))])
    return _modified(f, await _write(t, f, _copy_in(t, iovs)))


async def sys_readv(t: Task, a: Args) -> int:
    """Implements readv(2)."""
    f = t.fds.get(a.int(0))
    return await _readv(t, f, _iovecs(t, a.ptr(1), a.int(2)))


async def _readv(t: Task, f: FileDescription, iovs: list[tuple[int, int]]) -> int:
    if f.tty_job is not None:
        f.tty_job.check_read(t)
    if f.task_read:
        r = f.read_task(t, iovs)
        return r if r.__class__ is int else await r
    finish = lambda data: _copy_out(t, f, iovs, data)  # noqa: E731
    if hasattr(f, "read_deadline"):  # a terminal: VTIME
        try:
            n = finish(f.read(_total(iovs)))
        except EAGAIN:
            if f.nonblocking:
                raise
            n = await _read_timed(t, f, finish, _total(iovs))
        return _accessed(f, n)
    n = await t.io_wait(f, POLLIN, lambda: finish(f.read(_total(iovs))))
    return _accessed(f, n)


async def sys_writev(t: Task, a: Args) -> int:
    """Implements writev(2)."""
    f = t.fds.get(a.int(0))
    if not f.writable:
        raise EBADF()
    return _modified(f, await _write(t, f, _copy_in(t, _iovecs(t, a.ptr(1), a.int(2)))))


def sys_pread64(t: Task, a: Args) -> int:
    """Implements pread64(2)."""
    fd, buf, count, off = a.int(0), a.ptr(1), a.size(2), a.long(3)
    if off < 0:
        raise EINVAL()
    f = t.fds.get(fd)
    n = min(count, MAX_RW_COUNT)
    return _accessed(f, _copy_out(t, f, [(buf, n)], f.pread(n, off), positional=True))


def sys_pwrite64(t: Task, a: Args) -> int:
    """Implements pwrite64(2)."""
    fd, buf, count, off = a.int(0), a.ptr(1), a.size(2), a.long(3)
    if off < 0:
        raise EINVAL()
    f = t.fds.get(fd)
    if not f.writable:
        raise EBADF()
    return _modified(f, f.pwrite(_limited(t, f, _copy_in(t, _clamp([(buf, count)])), off), off))


def sys_preadv(t: Task, a: Args) -> int:
    """Implements preadv(2)."""
    fd, off = a.int(0), a.long(3)
    if off < 0:
        raise EINVAL()
    f = t.fds.get(fd)
    iovs = _iovecs(t, a.ptr(1), a.int(2))
    return _accessed(f, _copy_out(t, f, iovs, f.pread(_total(iovs), off), positional=True))


def sys_pwritev(t: Task, a: Args) -> int:
    """Implements pwritev(2)."""
    fd, off = a.int(0), a.long(3)
    if off < 0:
        raise EINVAL()
    f = t.fds.get(fd)
    if not f.writable:
        raise EBADF()
    data = _limited(t, f, _copy_in(t, _iovecs(t, a.ptr(1), a.int(2))), off)
    return _modified(f, f.pwrite(data, off))


RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT = 0x1, 0x2, 0x4, 0x8
RWF_APPEND, RWF_NOAPPEND, RWF_ATOMIC, RWF_DONTCACHE = 0x10, 0x20, 0x40, 0x80
_RWF_KNOWN = 0xFF  # through RWF_DONTCACHE (Linux 6.14)


def _rw_flags(f: FileDescription, flags: int) -> None:
    """preadv2/pwritev2's flags, checked as Linux's kiocb_set_rw_flags: RWF_NOWAIT needs a
    file that can answer without waiting (regular files and pipes here); the sync flags
    and RWF_HIPRI change nothing (the Sentry's writes are done when they return)."""
    if flags & ~_RWF_KNOWN:
        raise EOPNOTSUPP()
    if flags & RWF_APPEND and flags & RWF_NOAPPEND:
        raise EINVAL()
    if flags & RWF_NOWAIT and not isinstance(f, (SeekableFile, PipeFile)):
        raise EOPNOTSUPP()
    if flags & (RWF_ATOMIC | RWF_DONTCACHE):
        raise EOPNOTSUPP()  # no O_DIRECT atomic writes; no uncached I/O (as tmpfs)


async def sys_preadv2(t: Task, a: Args) -> int:
    """Implements preadv2(2): preadv, or readv at the file position for offset -1.
    Differences: RWF_NOWAIT is EOPNOTSUPP on sockets and terminals; RWF_ATOMIC and
    RWF_DONTCACHE are EOPNOTSUPP."""
    fd, off, flags = a.int(0), a.long(3), a.int(5)
    if off < -1:
        raise EINVAL()
    f = t.fds.get(fd)
    iovs = _iovecs(t, a.ptr(1), a.int(2))
    if not _total(iovs):
        return 0  # before the flags, as Linux
    _rw_flags(f, flags)
    if off != -1:
        return _accessed(f, _copy_out(t, f, iovs, f.pread(_total(iovs), off),
                                      positional=True))
    if flags & RWF_NOWAIT:
        return _accessed(f, _copy_out(t, f, iovs, f.read(_total(iovs))))
    return await _readv(t, f, iovs)


async def sys_pwritev2(t: Task, a: Args) -> int:
    """Implements pwritev2(2): pwritev, or writev at the file position for offset -1;
    RWF_APPEND writes at the end (moving the position only for offset -1), RWF_NOAPPEND
    at the offset even with O_APPEND. Differences: as preadv2."""
    fd, off, flags = a.int(0), a.long(3), a.int(5)
    if off < -1:
        raise EINVAL()
    f = t.fds.get(fd)
    if not f.writable:
        raise EBADF()
    iovs = _iovecs(t, a.ptr(1), a.int(2))
    if not _total(iovs):
        return 0
    _rw_flags(f, flags)
    data = _copy_in(t, iovs)
    if flags & (RWF_APPEND | RWF_NOAPPEND) and isinstance(f, SeekableFile):
        f._check_write()
        at = f.size() if flags & RWF_APPEND else f.offset if off == -1 else off
        n = f.pwrite_at(data[:fsize_limit(t, f, at, len(data))], at)
        if off == -1:
            f.offset = at + n
        return _modified(f, n)
    if off != -1:
        return _modified(f, f.pwrite(_limited(t, f, data, off), off))
    if flags & RWF_NOWAIT:
        return _modified(f, f.write(_limited(t, f, data)))
    return _modified(f, await _write(t, f, data))


def sys_lseek(t: Task, a: Args) -> int:
    """Implements lseek(2)."""
    fd, off, whence = a.int(0), a.long(1), a.uint(2)
    f = t.fds.get(fd)
    if whence > SEEK_HOLE:
        raise EINVAL()
    return f.seek(off, whence)


_CHUNK = 1 << 20
# One sendfile or copy_file_range moves at most this much (a short count; callers loop,
# as the calls allow): the copy runs in the Sentry's loop and must not stall every other
# task for the ~2 GiB Linux allows per call (found by the fuzzer: sendfile from
# /dev/zero, 2 GiB in Python, stopped the sandbox for minutes).
COPY_MAX = 64 << 20


def _read_from(f: FileDescription, n: int, off: int | None) -> bytes:
    return f.read(n) if off is None else f.pread(n, off)


async def sys_sendfile(t: Task, a: Args) -> int:
    """Implements sendfile(2)."""
    out_fd, in_fd, offp, count = a.int(0), a.int(1), a.ptr(2), a.size(3)
    fin, fout = t.fds.get(in_fd), t.fds.get(out_fd)
    if not fin.readable or not fout.writable:
        raise EBADF()
    if fout.flags & O_APPEND:
        raise EINVAL()
    off = t.mem.read_i64(offp) if offp else None
    if off is not None and off < 0:
        raise EINVAL()
    count = min(count, MAX_RW_COUNT, COPY_MAX)
    done = 0
    while done < count:
        at = None if off is None else off + done
        want = min(_CHUNK, count - done)
        data = await t.io_wait(fin, POLLIN, lambda w=want, o=at: _read_from(fin, w, o))
        if not data:
            break
        n = await _write(t, fout, data) if not done else _try_write(t, fout, data)
        if n < len(data) and off is None and isinstance(fin, SeekableFile):
            fin.offset -= len(data) - n  # give back what was read but not sent
        done += n
        if n < len(data):
            if isinstance(fout, SeekableFile):
                fsize_cut(t, fout, fout.offset, True)
            break
    if offp:
        t.mem.write_u64(offp, off + done)
    return done


def _try_write(t: Task, f: FileDescription, data: bytes) -> int:
    """A follow-up chunk: whatever fits now (0 ends the call; its bytes are not lost)."""
    data = _limited(t, f, data, quiet=True)
    if not data:
        return 0
    try:
        return f.write(data)
    except SysError:
        return 0


def sys_copy_file_range(t: Task, a: Args) -> int:
    """Implements copy_file_range(2) (regular files, by reading and writing)."""
    fd_in, offp_in, fd_out, offp_out = a.int(0), a.ptr(1), a.int(2), a.ptr(3)
    length, flags = a.size(4), a.uint(5)
    if flags:
        raise EINVAL()
    fin, fout = t.fds.get(fd_in), t.fds.get(fd_out)
    if not fin.readable or not fout.writable or fout.flags & O_APPEND:
        raise EBADF()
    for f in (fin, fout):
        kind = f.stat().mode & S_IFMT
        if kind == S_IFDIR:
            raise EISDIR()
        if kind != S_IFREG or not isinstance(f, SeekableFile):
            raise EINVAL()
    off_in = t.mem.read_i64(offp_in) if offp_in else fin.offset
    off_out = t.mem.read_i64(offp_out) if offp_out else fout.offset
    if off_in < 0 or off_out < 0:
        raise EINVAL()
    if fin.inode is fout.inode and off_in < off_out + length and off_out < off_in + length:
        raise EINVAL()
    done = 0
    length = fsize_limit(t, fout, off_out, min(length, MAX_RW_COUNT, COPY_MAX))
    while done < length:
        data = fin.pread(min(_CHUNK, length - done), off_in + done)
        if not data:
            break
        n = fout.pwrite(data, off_out + done)
        done += n
        if n < len(data):
            break
    for ptr, f, off in ((offp_in, fin, off_in), (offp_out, fout, off_out)):
        if ptr:
            t.mem.write_u64(ptr, off + done)
        else:
            f.offset = off + done
    return done
